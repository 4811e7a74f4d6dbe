"""A Jepsen-style test of real processes: workload, nemesis, history, checker.

Jepsen (Kingsbury, "Jepsen" analyses, jepsen.io) tests a distributed database by
running clients against a real cluster while a *nemesis* kills, pauses and partitions
its nodes, recording every operation's invocation and completion, and then checking
the history against a model. This module does the same with the book's parts:

- the system: the book's Raft key-value store (``dslib.raft.kv``), every node its own
  process (``dslib.runtime.Cluster``); or three members of a real etcd
  (``dslib.runtime.etcd``);
- the nemesis: a ``RandomNemesis`` schedule drawn from the seed exactly as the
  simulator draws it (``random.Random(f"{seed}:nemesis")``), played against the
  processes (``NemesisPlayer``), partitions going through the proxies;
- the clients: the book's ``RaftClient`` nodes, or threads calling etcd's API with
  the same operations (``kv_workload``, without appends: etcd has none);
- the checks: linearizability of the history (``check_linearizable`` with the
  ``KeyValue`` model), and for Raft the appends acknowledged but lost, or applied
  twice, in the final store (as ``run_kv`` checks a simulated run), and Figure 3's
  safety properties on the servers' final states.

Each run ends with every fault healed, crashed nodes restarted, paused ones resumed,
so that the final store can be read; the clients stop there, and an operation left
open counts as ``info`` (it may or may not have happened).

References
----------
K. Kingsbury, "Jepsen: etcd 3.4.3" (2020), section "Results": etcd's reads are
linearizable by default; a *serializable* read may return stale data, as documented.
D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm"
(2014), section 8: a read served without consulting a quorum can be stale.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dslib.consistency import ConsistencyResult, KeyValue, check_linearizable
from dslib.core import System
from dslib.raft.core import SAFETY_PROPERTIES, RaftConfig, leaders
from dslib.raft.kv import _final_store, _lost_and_doubled, kv_system, kv_workload
from dslib.runtime import Cluster
from dslib.runtime.clients import Outcome, run_workloads
from dslib.runtime.etcd import EtcdClient, EtcdCluster, EtcdError
from dslib.runtime.nemesis import NemesisPlayer
from dslib.sim.history import History
from dslib.sim.nemesis import Fault, Partition, RandomNemesis
from dslib.sim.network import Network
from dslib.stats import percentile

__all__ = [
    "RealRun",
    "history_stats",
    "random_schedule",
    "run_etcd",
    "run_raft",
    "run_system",
    "stale_read",
]

KINDS = ("crash", "pause", "partition")
"""The nemesis's episodes by default: kill -9 and restart, SIGSTOP and SIGCONT, a partition."""

Progress = bool | Callable[[str], None]


@dataclass(frozen=True)
class RealRun:
    """What a run of real processes under a nemesis came to.

    Attributes
    ----------
    system : str
        What ran (``"raft 3 servers"``, ``"etcd 3 members, serializable reads"``).
    history : History
        The clients' operations, times in ms since the run began.
    result : ConsistencyResult
        The linearizability verdict (``result.explain()`` says why).
    lost, doubled : tuple
        Acknowledged appends missing from the final store, and appends in it twice
        (Raft only; etcd's workload has no appends).
    faults : tuple of (float, str)
        The faults applied, at their time in ms.
    seconds : float
        Wall-clock seconds of the workload (the nemesis's phase and the settling).
    stats : dict
        ``history_stats``: operations by outcome, throughput, latency p50 and p99.
    broken : tuple of str
        Safety properties of Figure 3 that the servers' final states break (Raft).
    """

    system: str
    history: History
    result: ConsistencyResult
    lost: tuple[Any, ...] = ()
    doubled: tuple[Any, ...] = ()
    faults: tuple[tuple[float, str], ...] = ()
    seconds: float = 0.0
    stats: dict[str, float] = field(default_factory=dict)
    broken: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """``"ok"``, or what went wrong first: a broken property, lost writes, the checker."""
        if self.broken:
            return "broke " + ", ".join(self.broken)
        if self.lost or self.doubled:
            return "lost or doubled writes"
        return self.result.verdict

    def summary(self) -> str:
        """One line: the verdict, the counts and the figures."""
        s = self.stats
        return (
            f"{self.system}: {self.verdict}; {s.get('ok', 0):.0f} ok, {s.get('info', 0):.0f} "
            f"info, {s.get('fail', 0):.0f} fail; {len(self.faults)} faults; lost "
            f"{len(self.lost)}, doubled {len(self.doubled)}; {s.get('throughput', 0):.0f} ops/s, "
            f"latency p50 {s.get('p50', 0):.1f} ms, p99 {s.get('p99', 0):.1f} ms"
        )

    def __repr__(self) -> str:
        return f"RealRun({self.summary()})"


def history_stats(history: History, time_unit: float = 0.001) -> dict[str, float]:
    """Operations by outcome, throughput and latency of a history.

    Parameters
    ----------
    history : History
    time_unit : float, default 0.001
        Seconds per unit of the history's times (the runtime's default: ms).

    Returns
    -------
    dict
        ``ok``, ``info``, ``fail`` (counts); ``throughput``: ``ok`` operations per
        second from the first invocation to the last completion; ``p50`` and ``p99``:
        the latency of ``ok`` operations in ms (nearest rank, ``dslib.stats.percentile``).

    Examples
    --------
    >>> h = History()
    >>> h.invoke("c1", "put", 1, time=0.0, key="x")
    >>> h.complete("c1", "ok", "put", None, time=4.0, key="x")
    >>> h.invoke("c1", "get", None, time=4.0, key="x")
    >>> h.complete("c1", "ok", "get", 1, time=10.0, key="x")
    >>> history_stats(h)
    {'ok': 2, 'info': 0, 'fail': 0, 'throughput': 200.0, 'p50': 4.0, 'p99': 6.0}
    """
    ops = history.operations()
    counts = {"ok": 0, "info": 0, "fail": 0}
    for op in ops:
        counts[op.status] = counts.get(op.status, 0) + 1
    ms = time_unit * 1000.0
    latencies = [(op.complete_time - op.invoke_time) * ms for op in ops if op.status == "ok"]
    ends = [
        op.complete_time
        for op in ops
        if op.complete_time is not None and op.complete_time < float("inf")
    ]
    span = (max(ends, default=0.0) - min((op.invoke_time for op in ops), default=0.0)) * time_unit
    return {
        **counts,
        "throughput": counts["ok"] / span if span > 0 else 0.0,
        "p50": percentile(latencies, 50) if latencies else 0.0,
        "p99": percentile(latencies, 99) if latencies else 0.0,
    }


def random_schedule(
    ids: Sequence[str],
    nodes: Sequence[str],
    until: float,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    mean_interval: float = 3000.0,
    duration: float = 1500.0,
) -> list[tuple[float, Fault]]:
    """The schedule a ``Simulation`` with this seed and ``RandomNemesis`` would apply.

    Times are in ms. Crashes and pauses hit only ``nodes`` (the servers: a client
    that restarts would begin its workload again); a partition splits all ``ids``.

    Examples
    --------
    >>> for t, fault in random_schedule(["c1", "s1", "s2", "s3"], ["s1", "s2"], 8000.0):
    ...     print(f"{t:7.1f} ms  {fault}")
     4429.7 ms  Crash(node='s1')
     5929.7 ms  Restart(node='s1')
     5993.7 ms  Pause(node='s2', duration=1500.0)
    """
    nemesis = RandomNemesis(until, kinds, mean_interval, duration, nodes=nodes)
    return nemesis.schedule(ids, random.Random(f"{seed}:nemesis"))


def _reporter(progress: Progress) -> Callable[[str], None] | None:
    if progress is True:
        return lambda line: print(line, file=sys.stderr, flush=True)
    if callable(progress):
        return progress
    return None


def _loop(
    seconds: float,
    player: NemesisPlayer,
    report: Callable[[str], None] | None,
    line: Callable[[float], str],
) -> float:
    """Play the schedule for ``seconds`` and on until every fault of it has been applied,
    reporting once a second; return the start time.

    A restart blocks until the process is up, which on a loaded machine can take a second:
    the faults after it are then applied late, never dropped (a schedule's last faults were
    lost when the loop stopped at ``seconds``)."""
    start = time.monotonic()
    last = -1
    while (elapsed := time.monotonic() - start) < seconds or player.horizon > 0:
        player.play(elapsed * 1000.0)
        if report is not None and int(elapsed) > last:
            last = int(elapsed)
            report(f"{elapsed:6.1f} s  {line(elapsed)}  faults {len(player.applied)}")
        time.sleep(0.02)
    return start


# -- the book's Raft ------------------------------------------------------------------------
def run_raft(
    servers: int = 3,
    clients: int = 3,
    seconds: float = 30.0,
    *,
    seed: int = 0,
    kinds: Sequence[str] = KINDS,
    mean_interval: float = 3000.0,
    duration: float = 1500.0,
    settle: float = 3.0,
    schedule: Sequence[tuple[float, Fault]] | None = None,
    mutant: str | None = None,
    network: Network | None = None,
    progress: Progress = False,
    directory: str | Path | None = None,
    time_limit: float | None = 120.0,
) -> RealRun:
    """The book's Raft key-value store on real processes, under a nemesis, checked.

    Parameters
    ----------
    servers, clients : int
        Cluster size and number of clients (``kv_system``).
    seconds : float, default 30
        How long the nemesis acts (then ``settle`` seconds of a healed cluster).
    seed : int
        Seeds the workload, the nodes' timers and the nemesis (as the simulator).
    kinds, mean_interval, duration
        The nemesis's episodes and their timing in ms (``random_schedule``).
    settle : float, default 3
        Seconds the healed cluster serves the clients before they stop.
    schedule : sequence of (float, Fault), optional
        A fixed schedule (times in ms) instead of the random one.
    mutant : str, optional
        Run a broken Raft (a name of ``dslib.raft.core.MUTANTS``), to see the
        harness catch it.
    network : Network, optional
        Latency, loss and duplication for the proxy to add, as in the simulator
        (default: none added; the loopback's own latency is tens of microseconds).
    progress : bool or callable
        True: a line a second on stderr; a callable: called with each line (in a
        notebook cell, ``progress=print`` shows the lines under the cell).
    directory : path, optional
        Where the cluster's temporary directory goes.
    time_limit : float or None
        Seconds the linearizability check may take before it says ``unknown``.

    Returns
    -------
    RealRun

    Raises
    ------
    NodeProcessError
        If a node's process fails (a handler raised, a port was in use).
    TimeoutError
        If the healed cluster does not agree on one store within a minute.
    """
    ops = max(50, int(seconds * 150))  # more than clients can do in ``seconds``
    system = kv_system(servers, clients, ops, seed, RaftConfig(mutant=mutant))
    ids = sorted(system.ids)
    server_ids = [i for i in ids if i.startswith("s")]
    if schedule is None:
        schedule = random_schedule(
            ids, server_ids, seconds * 1000.0, seed, kinds, mean_interval, duration
        )
    report = _reporter(progress)
    with Cluster(
        system, seed=seed, proxy=True, network=network, directory=directory, timeout=60.0
    ) as cluster:
        player = NemesisPlayer(cluster, schedule)

        def line(_elapsed: float) -> str:
            counts = cluster.record_counts()
            down = [i for i in server_ids if cluster.status(i) != "running"]
            return f"ok {counts['ok']:6d}  info {counts['info']:4d}  down {down}"

        start = _loop(seconds, player, report, line)
        player.recover(server_ids)
        time.sleep(settle)  # the healed cluster serves the clients' retries
        for client in ids:
            if client not in server_ids:
                cluster.crash(client)  # stop; an operation in flight stays open (info)
        elapsed = time.monotonic() - start
        states = cluster.wait_until(lambda s: _agreed(s, server_ids), timeout=60.0)
        history = cluster.history()
    raft_states = {i: states[i] for i in server_ids}
    broken = tuple(p.__name__ for p in SAFETY_PROPERTIES if not p(raft_states))
    final = _final_store(raft_states)
    lost, doubled = _lost_and_doubled(history, final)
    result = check_linearizable(history, KeyValue(), time_limit=time_limit)
    name = f"raft {servers} servers, {clients} clients"
    return RealRun(
        name if mutant is None else f"{name}, mutant {mutant}",
        history,
        result,
        lost,
        doubled,
        tuple(player.applied),
        elapsed,
        history_stats(history),
        broken,
    )


def _agreed(states: dict[str, Any], servers: Sequence[str]) -> bool:
    """Whether every server has applied the same log prefix, under one leader."""
    raft = [states[i] for i in servers]
    applied = {(s.commit_index, s.last_applied) for s in raft}
    return len(applied) == 1 and bool(leaders(dict(zip(servers, raft, strict=True))))


# -- etcd -------------------------------------------------------------------------------------
def _etcd_perform(
    cluster: EtcdCluster, serializable: bool, timeout: float
) -> Callable[[str, tuple[str, Hashable, Any]], Outcome]:
    """One operation of a client against etcd, with the client's current member."""
    names = list(cluster.names)
    member: dict[str, int] = {}

    def perform(client: str, op: tuple[str, Hashable, Any]) -> Outcome:
        index = member.setdefault(client, int(client.lstrip("c") or 0) % len(names))
        etcd = EtcdClient(cluster.urls[names[index]], timeout)
        f, key, value = op
        try:
            if f == "get":
                return "ok", etcd.get(str(key), serializable=serializable)
            if f == "put":
                etcd.put(str(key), value)
                return "ok", None
            return "ok", etcd.cas(str(key), *value)
        except (OSError, EtcdError) as exc:
            member[client] = (index + 1) % len(names)  # try another member next time
            if f == "get" or isinstance(exc, ConnectionRefusedError) or _refused(exc):
                return "fail", None  # a read changes nothing; a refused request never left
            return "info", None  # the write may have been committed

    return perform


def _refused(exc: BaseException) -> bool:
    reason = getattr(exc, "reason", None)
    return isinstance(reason, ConnectionRefusedError)


def etcd_workload(seed: int, n: int, client: str) -> list[tuple[str, Hashable, Any]]:
    """``kv_workload`` without its appends: gets, puts and cas on the register keys."""
    return [op for op in kv_workload(seed, n, client) if op[0] != "append"]


def run_etcd(
    members: int = 3,
    clients: int = 3,
    seconds: float = 30.0,
    *,
    seed: int = 0,
    serializable: bool = False,
    kinds: Sequence[str] = KINDS,
    mean_interval: float = 3000.0,
    duration: float = 1500.0,
    timeout: float = 1.0,
    schedule: Sequence[tuple[float, Fault]] | None = None,
    progress: Progress = False,
    directory: str | Path | None = None,
    etcd: str | None = None,
    time_limit: float | None = 120.0,
) -> RealRun:
    """A real etcd cluster under the nemesis, with the register workload, checked.

    Parameters
    ----------
    members, clients : int
        Cluster size; clients, each a thread that starts at member ``i mod members``
        and moves to the next member after an error.
    seconds : float
        How long the workload and the nemesis run.
    serializable : bool, default False
        Reads with ``serializable=true``: answered by the member alone, not through
        the quorum (etcd's default is linearizable).
    timeout : float, default 1
        Seconds a client waits for an answer (then a write is ``info``, a read ``fail``).
    kinds, mean_interval, duration, seed, schedule, progress, directory, time_limit
        As for ``run_raft``. etcd has no skewable clock and TCP no loss: the kinds
        are ``crash``, ``pause`` and ``partition``.
    etcd : str, optional
        The ``etcd`` binary (default: on ``PATH``).

    Returns
    -------
    RealRun

    Raises
    ------
    EtcdNotFoundError
        If there is no ``etcd`` binary (the message says how to install it).
    """
    names = [f"e{i}" for i in range(1, members + 1)]
    if schedule is None:
        schedule = random_schedule(
            names, names, seconds * 1000.0, seed, kinds, mean_interval, duration
        )
    workloads = {f"c{i}": etcd_workload(seed, 100_000, f"c{i}") for i in range(1, clients + 1)}
    report = _reporter(progress)
    done = {"ok": 0, "info": 0, "fail": 0}
    with EtcdCluster(names, directory=directory, etcd=etcd) as cluster:
        stop = threading.Event()
        box: dict[str, Any] = {}
        epoch = time.monotonic()

        def clients_run() -> None:
            try:
                box["history"] = run_workloads(
                    _etcd_perform(cluster, serializable, timeout),
                    workloads,
                    epoch=epoch,
                    stop=stop,
                    on_complete=lambda _c, status: done.__setitem__(status, done[status] + 1),
                )
            except BaseException as exc:  # reported in the main thread
                box["error"] = exc

        thread = threading.Thread(target=clients_run, name="dslib-etcd-clients", daemon=True)
        thread.start()
        player = NemesisPlayer(cluster, schedule)

        def line(_elapsed: float) -> str:
            down = [m for m in names if cluster.status(m) != "running"]
            return (
                f"ok {done['ok']:6d}  info {done['info']:4d}  fail {done['fail']:4d}  down {down}"
            )

        try:
            _loop(seconds, player, report, line)
            player.recover(names)
        finally:  # the clients stop however the nemesis's phase ends
            stop.set()
            thread.join()
        elapsed = time.monotonic() - epoch
    if "error" in box:
        raise box["error"]
    history: History = box["history"]
    result = check_linearizable(history, KeyValue(), time_limit=time_limit)
    reads = "serializable" if serializable else "linearizable"
    return RealRun(
        f"etcd {members} members, {clients} clients, {reads} reads",
        history,
        result,
        faults=tuple(player.applied),
        seconds=elapsed,
        stats=history_stats(history),
    )


def stale_read(
    serializable: bool, *, directory: str | Path | None = None, etcd: str | None = None
) -> RealRun:
    """The smallest run that tells etcd's two kinds of read apart.

    ``c1`` writes ``x = 1`` and the write completes; member ``e3`` is partitioned
    from ``e1`` and ``e2``; ``c1`` writes ``x = 2`` through ``e1`` (retrying until
    the majority commits it); then ``c2`` reads ``x`` from ``e3``. A serializable
    read answers from ``e3``'s own copy: ``1``, after ``x = 2`` completed, which no
    linearizable register can return. A linearizable read needs a quorum, which
    ``e3`` cannot reach: it times out and changes nothing (``fail``).

    Returns
    -------
    RealRun
        Its ``result`` is the checker's verdict; ``result.explain()`` shows the
        three operations and why no order of them works.

    Raises
    ------
    EtcdNotFoundError
        If there is no ``etcd`` binary.
    """
    history = History()
    with EtcdCluster(directory=directory, etcd=etcd) as cluster:
        epoch = time.monotonic()

        def now() -> float:
            return (time.monotonic() - epoch) * 1000.0

        def write(value: int) -> None:
            for _attempt in range(60):  # the majority may first need a new leader
                history.invoke("c1", "put", value, time=now(), key="x")
                try:
                    EtcdClient(cluster.urls["e1"], 2.0).put("x", value)
                except (OSError, EtcdError):
                    history.complete("c1", "info", "put", None, time=now(), key="x")
                    continue
                history.complete("c1", "ok", "put", None, time=now(), key="x")
                return
            raise TimeoutError("stale_read: the majority never committed the write")

        write(1)
        # A write completes once a majority has it; wait until e3 has applied it too, so
        # that what e3 holds when it is cut off is x = 1 (not yet nothing).
        deadline = time.monotonic() + 30.0
        while EtcdClient(cluster.urls["e3"], 2.0).get("x", serializable=True) != 1:
            if time.monotonic() > deadline:
                raise TimeoutError("stale_read: member e3 never applied x = 1")
            time.sleep(0.05)
        cluster.partition(["e1", "e2"], ["e3"])
        write(2)
        history.invoke("c2", "get", None, time=now(), key="x")
        try:
            value = EtcdClient(cluster.urls["e3"], 2.0).get("x", serializable=serializable)
        except (OSError, EtcdError):
            history.complete("c2", "fail", "get", None, time=now(), key="x")
        else:
            history.complete("c2", "ok", "get", value, time=now(), key="x")
        cluster.heal()
    reads = "serializable" if serializable else "linearizable"
    return RealRun(
        f"etcd stale-read test, {reads} reads from a partitioned member",
        history,
        check_linearizable(history, KeyValue()),
        faults=((0.0, repr(Partition((("e1", "e2"), ("e3",))))),),
        stats=history_stats(history),
    )


# -- any System -----------------------------------------------------------------------------
def run_system(
    system: System,
    seconds: float = 10.0,
    *,
    seed: int = 0,
    nodes: Sequence[str] | None = None,
    kinds: Sequence[str] = (),
    mean_interval: float = 3000.0,
    duration: float = 1500.0,
    model: Any = None,
    progress: Progress = False,
    directory: str | Path | None = None,
) -> tuple[dict[str, Any], History, ConsistencyResult | None]:
    """Run any ``System`` of the book as real processes for ``seconds``, optionally under faults.

    Parameters
    ----------
    system : System
    seconds : float
    seed : int
    nodes : sequence of str, optional
        The nodes crashes and pauses may hit (default: every node).
    kinds : sequence of str, default ()
        Nemesis episodes (``"crash"``, ``"pause"``, ``"partition"``); none by default.
    model : SequentialSpec, optional
        Check the clients' history for linearizability against it.
    progress, directory
        As for ``run_raft``.

    Returns
    -------
    (dict, History, ConsistencyResult or None)
        The final states of the running nodes, the history, and the verdict if a
        model was given.

    Examples
    --------
    >>> from dslib.basics import Pinger, Ponger
    >>> system = System({"pinger": Pinger(count=2), "ponger": Ponger()})
    >>> states, history, _ = run_system(system, 0.5)
    >>> states["pinger"]
    PingerState(sent=2, acked=2)
    """
    ids = sorted(system.ids)
    schedule = (
        random_schedule(ids, nodes or ids, seconds * 1000.0, seed, kinds, mean_interval, duration)
        if kinds
        else []
    )
    report = _reporter(progress)
    with Cluster(system, seed=seed, proxy=True, directory=directory) as cluster:
        player = NemesisPlayer(cluster, schedule)

        def line(_elapsed: float) -> str:
            counts = cluster.record_counts()
            down = [i for i in ids if cluster.status(i) != "running"]
            return f"recorded {sum(counts.values()):6d}  down {down}"

        _loop(seconds, player, report, line)
        player.recover(ids)
        states = cluster.states
        history = cluster.history()
    result = check_linearizable(history, model) if model is not None else None
    return states, history, result
