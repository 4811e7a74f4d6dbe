"""The CAP trade-off, measured: one workload on a CP and an AP store, across a partition.

Gilbert and Lynch (2002, §4, Theorem 1) proved what Brewer conjectured: in an
asynchronous network that may lose messages between two groups of nodes, no
read/write store can be both *available* (every request to a non-failed node
gets an answer) and *atomic* (linearizable). The proof is one run: split the
nodes into two sides, write on one side, read on the other; if both answer,
the read cannot have seen the write. So when a partition comes, a store must
choose: refuse some requests (**CP**) or answer with possibly stale data
(**AP**). Abadi (2012, "Consistency Tradeoffs in Modern Distributed Database
System Design", *IEEE Computer* 45(2), §"PACELC") added the other half: *else*,
when there is no partition, the choice is between **latency** and
consistency, because waiting for a quorum takes time.

This module runs the same key-value workload against

- ``"CP"``: ABD with majority quorums (``dslib.replication.abd``): linearizable,
  but a replica that cannot reach a majority cannot answer;
- ``"AP"``: Dynamo-style nodes (``dslib.replication.dynamo``) with ``R = W = 1``,
  sloppy quorums and last-writer-wins: the replica a client talks to answers
  at once, whatever the network does; replicas converge once it heals.

and measures, side by side, what each gave up: availability (the fraction of
operations answered), latency percentiles, the linearizability verdict, the
number of stale reads, and (for AP) whether replicas converged.

Examples
--------
>>> cp, ap = cap_experiment("CP", seed=1), cap_experiment("AP", seed=1)
>>> (round(cp.availability, 2), cp.linearizable, ap.availability, ap.linearizable)
(0.92, True, 1.0, False)
>>> ap.stale_reads > 0, ap.converged
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dslib.core import Node, System
from dslib.replication.abd import ABDReplica
from dslib.replication.dynamo import DynamoNode, dynamo_convergence
from dslib.sim.clients import Client
from dslib.sim.history import History, Operation
from dslib.sim.nemesis import Heal, Nemesis, Partition
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation

__all__ = [
    "CONFIGURATIONS",
    "CapResult",
    "cap_compare",
    "cap_experiment",
    "cap_system",
    "cap_table",
    "cap_workloads",
    "gilbert_lynch",
    "legal_read_values",
    "stale_reads",
]

CONFIGURATIONS = ("CP", "AP")
"""The two configurations of the playground."""


def cap_workloads(
    clients: int, operations: int = 12, keys: Sequence[Hashable] = ("x", "y")
) -> list[list[tuple[str, Hashable, Any]]]:
    """One workload per client: puts and gets of a few keys, every written value distinct.

    >>> cap_workloads(2, 4)
    [[('put', 'x', 1), ('get', 'y', None), ('put', 'y', 3), ('get', 'x', None)], \
[('put', 'y', 2), ('get', 'x', None), ('put', 'x', 4), ('get', 'y', None)]]
    """
    if not (isinstance(clients, int) and clients >= 1):
        raise ValueError(f"cap_workloads: clients={clients!r} must be an int >= 1")
    if not (isinstance(operations, int) and operations >= 0):
        raise ValueError(f"cap_workloads: operations={operations!r} must be an int >= 0")
    if not keys:
        raise ValueError("cap_workloads: keys must not be empty")
    out = []
    for c in range(clients):
        ops: list[tuple[str, Hashable, Any]] = []
        for k in range(operations):
            if k % 2 == 0:
                ops.append(("put", keys[(c + k // 2) % len(keys)], c + 1 + (k // 2) * clients))
            else:
                ops.append(("get", keys[(c + k // 2 + 1) % len(keys)], None))
        out.append(ops)
    return out


def cap_system(
    config: str,
    servers: int = 3,
    clients: int = 3,
    operations: int = 12,
    timeout: float = 25.0,
    think: float | tuple[float, float] = (5.0, 15.0),
) -> System:
    """The store of ``config`` (``"CP"`` or ``"AP"``): servers ``s1``..., clients ``c1``...

    Client ``ci`` talks to server ``s((i - 1) mod servers + 1)`` only (it is
    "near" it), so when a partition separates them from the majority, they
    stay with their server.

    Examples
    --------
    >>> cap_system("CP", servers=3, clients=1)
    System(c1=Client(12 ops), s1=ABDReplica, s2=ABDReplica, s3=ABDReplica)
    >>> cap_system("AP", servers=3, clients=1)
    System(c1=Client(12 ops), s1=DynamoNode(N=3, R=1, W=1, sloppy, lww), \
s2=DynamoNode(N=3, R=1, W=1, sloppy, lww), s3=DynamoNode(N=3, R=1, W=1, sloppy, lww))
    >>> cap_system("CA")
    Traceback (most recent call last):
    ...
    ValueError: config='CA'; choose 'CP' or 'AP' (CA is not a choice when partitions happen)
    """
    if config not in CONFIGURATIONS:
        raise ValueError(
            f"config={config!r}; choose 'CP' or 'AP' (CA is not a choice when partitions happen)"
        )
    if not (isinstance(servers, int) and not isinstance(servers, bool) and servers >= 1):
        raise ValueError(f"cap_system: servers={servers!r} must be an int >= 1")
    if not (isinstance(clients, int) and not isinstance(clients, bool) and clients >= 1):
        raise ValueError(f"cap_system: clients={clients!r} must be an int >= 1")
    ids = [f"s{i}" for i in range(1, servers + 1)]
    nodes: dict[str, Node[Any]] = {}
    for s in ids:
        if config == "CP":
            nodes[s] = ABDReplica(ids, give_up=timeout)
        else:
            nodes[s] = DynamoNode(
                ids,
                n=servers,
                r=1,
                w=1,
                sloppy=True,
                resolve="lww",
                anti_entropy=20.0,
                timeout=timeout / 3,
                give_up=timeout,
            )
    for i, load in enumerate(cap_workloads(clients, operations), start=1):
        server = ids[(i - 1) % servers]
        nodes[f"c{i}"] = Client([server], load, timeout=timeout, retries=0, think=think)
    return System(nodes)


# == stale reads ================================================================================
def legal_read_values(read: Operation, writes: Sequence[Operation]) -> set[Any]:
    """The values a linearizable store may return to ``read``, looking at the writes alone.

    A write may be the one the read sees unless it certainly did not take
    effect (``fail``), it began after the read ended, or another write of
    the same key began after it ended and ended before the read began (then
    that one, or a later one, is the latest). A write whose client gave up
    (``info``) has not ended: it may take effect at any time after it began,
    so no write supersedes it. The initial value ``None`` is legal until some
    write has certainly completed before the read began.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> w1 = Operation(0, "a", "put", 1, 1, "ok", 0.0, 1.0, "x")
    >>> w2 = Operation(1, "a", "put", 2, 2, "ok", 2.0, 3.0, "x")
    >>> r = Operation(2, "b", "get", None, 1, "ok", 4.0, 5.0, "x")
    >>> sorted(legal_read_values(r, [w1, w2]))
    [2]
    """
    same = [w for w in writes if w.key == read.key and w.status != "fail"]
    legal: set[Any] = set()
    for w in same:
        if w.invoke_time > read.complete_time:
            continue
        ended = w.complete_time if w.status == "ok" else math.inf
        superseded = any(
            o is not w
            and o.status == "ok"
            and o.invoke_time > ended
            and o.complete_time < read.invoke_time
            for o in same
        )
        if not superseded:
            legal.add(w.value)
    if not any(w.status == "ok" and w.complete_time < read.invoke_time for w in same):
        legal.add(None)
    return legal


def stale_reads(history: History) -> list[Operation]:
    """The reads (``get``/``read`` that completed ``ok``) that returned a value no write allowed.

    A necessary condition for linearizability, checked read by read: a
    stale read alone proves the history is not linearizable, and is easy to
    explain (it returned an older value than one known to be written).

    >>> from dslib.consistency import history_from_intervals
    >>> def op(p, f, value, result, start, end):
    ...     return {"process": p, "f": f, "key": "x", "value": value, "result": result,
    ...             "start": start, "end": end}
    >>> h = history_from_intervals([
    ...     op("a", "put", 1, 1, 0, 1), op("a", "put", 2, 2, 2, 3), op("b", "get", None, 1, 4, 5)
    ... ])
    >>> [str(op) for op in stale_reads(h)]
    ["b get['x'](None) -> ok 1  [4.0, 5.0]"]
    """
    ops = history.operations()
    writes = [o for o in ops if o.f in ("put", "write")]
    out = []
    for op in ops:
        if (
            op.f in ("get", "read")
            and op.status == "ok"
            and op.result not in legal_read_values(op, writes)
        ):
            out.append(op)
    return out


# == the experiment =============================================================================
@dataclass(frozen=True)
class CapResult:
    """What one configuration gave, and what it gave up.

    Attributes
    ----------
    config : str
    partition : (float, float) or None
        When the partition started and healed.
    isolated : tuple of str
        The servers cut off (with their clients).
    operations : int
        How many operations were invoked.
    answered : int
        How many completed ``ok``.
    availability : float
        ``answered / operations``.
    availability_during : float or None
        The same, over the operations invoked while the partition lasted.
    latencies : tuple of float
        Of the answered operations.
    linearizable : bool or None
        The verdict of ``dslib.consistency.check_linearizable`` with ``KeyValue``
        (``None`` if the check was not run).
    stale_reads : int
    converged : bool or None
        For AP: every home replica holds the same data at the end.
    simulation : Simulation

    Examples
    --------
    >>> r = cap_experiment("AP", partition=None, operations=4)
    >>> r.config, r.operations, r.availability
    ('AP', 12, 1.0)
    """

    config: str
    partition: tuple[float, float] | None
    isolated: tuple[str, ...]
    operations: int
    answered: int
    availability: float
    availability_during: float | None
    latencies: tuple[float, ...] = field(repr=False)
    linearizable: bool | None
    stale_reads: int
    converged: bool | None
    simulation: Simulation = field(repr=False, compare=False)
    verdict: Any = field(repr=False, compare=False, default=None)

    def latency(self, q: float) -> float:
        """The ``q``-th percentile of the answered operations' latencies (nan if none)."""
        if not self.latencies:
            return math.nan
        s = sorted(self.latencies)
        return s[max(1, math.ceil(q * len(s) / 100 - 1e-12)) - 1]


def _check_partition(
    partition: tuple[float, float] | None, isolated: Sequence[str], servers: int
) -> None:
    if partition is not None and not (
        isinstance(partition, tuple)
        and len(partition) == 2
        and all(isinstance(x, (int, float)) for x in partition)
        and 0 <= partition[0] < partition[1]
    ):
        raise ValueError(
            f"partition={partition!r} must be (start, heal) with 0 <= start < heal, or None"
        )
    ids = {f"s{i}" for i in range(1, servers + 1)}
    bad = sorted(set(isolated) - ids)
    if bad:
        raise ValueError(f"isolated servers {bad} are not among {sorted(ids)}")
    if partition is not None and (not isolated or set(isolated) == ids):
        raise ValueError(
            f"isolated={tuple(isolated)!r}: cut off some of the servers, not none or all"
        )


def cap_experiment(
    config: str,
    partition: tuple[float, float] | None = (40.0, 160.0),
    isolated: Sequence[str] = ("s1",),
    servers: int = 3,
    clients: int = 3,
    operations: int = 12,
    latency: float = 2.0,
    timeout: float = 25.0,
    seed: int = 0,
    until: float = 600.0,
    check: bool = True,
) -> CapResult:
    """Run the CAP workload on ``config`` with a partition, and measure.

    Parameters
    ----------
    config : {"CP", "AP"}
    partition : (float, float) or None, default (40, 160)
        When the network splits and when it heals (``None``: no partition).
    isolated : sequence of str, default ("s1",)
        The servers cut off from the others; each client goes with its server.
    servers, clients, operations : int
        Operations per client.
    latency : float, default 2
        Mean one-way latency (exponential, at least a quarter of the mean).
    timeout : float, default 25
        How long a client waits before it counts an operation as unanswered.
    seed : int, default 0
    until : float, default 600
        How long to run (long enough for the AP replicas to converge).
    check : bool, default True
        Run the linearizability checker (turn off for speed).

    Returns
    -------
    CapResult

    Examples
    --------
    >>> r = cap_experiment("CP", partition=None)
    >>> r.availability, r.linearizable, r.stale_reads
    (1.0, True, 0)
    """
    _check_partition(partition, isolated, servers)
    system = cap_system(config, servers, clients, operations, timeout)
    schedule: list[tuple[float, Any]] = []
    if partition is not None:
        cut = set(isolated)
        ids = [f"s{i}" for i in range(1, servers + 1)]
        side = [
            n for n in system.ids if n in cut or (n.startswith("c") and _server_of(n, ids) in cut)
        ]
        rest = [n for n in system.ids if n not in side]
        schedule = [(partition[0], Partition((tuple(side), tuple(rest)))), (partition[1], Heal())]
    network = Network(latency=exponential(latency * 0.75, minimum=latency * 0.25))
    sim = Simulation(
        system, seed=seed, network=network, nemesis=Nemesis(schedule), record_trace=False
    )
    sim.run(until=until)
    ops = sim.history.operations()
    done = [o for o in ops if o.status == "ok"]
    during = None
    if partition is not None:
        inside = [o for o in ops if partition[0] <= o.invoke_time < partition[1]]
        during = sum(o.status == "ok" for o in inside) / len(inside) if inside else None
    linearizable: bool | None = None
    verdict = None
    if check:
        from dslib.consistency import KeyValue, check_linearizable

        verdict = check_linearizable(sim.history, KeyValue())
        linearizable = bool(verdict.ok)
    stale = stale_reads(sim.history)
    converged = dynamo_convergence(sim).ok if config == "AP" else None
    return CapResult(
        config=config,
        partition=partition,
        isolated=tuple(isolated),
        operations=len(ops),
        answered=len(done),
        availability=len(done) / len(ops) if ops else 1.0,
        availability_during=during,
        latencies=tuple(o.complete_time - o.invoke_time for o in done),
        linearizable=linearizable,
        stale_reads=len(stale),
        converged=converged,
        simulation=sim,
        verdict=verdict,
    )


def _server_of(client: str, servers: Sequence[str]) -> str:
    return servers[(int(client[1:]) - 1) % len(servers)]


def cap_compare(**kwargs: Any) -> dict[str, CapResult]:
    """``cap_experiment`` for both configurations, with the same arguments.

    >>> sorted(cap_compare(partition=None, operations=4))
    ['AP', 'CP']
    """
    return {config: cap_experiment(config, **kwargs) for config in CONFIGURATIONS}


def cap_table(results: dict[str, CapResult]) -> Any:
    """The side-by-side table of ``cap_compare``'s results (a pandas DataFrame).

    >>> print(cap_table(cap_compare(seed=1)).to_string())
                                         CP    AP
    operations                           36    36
    answered                             33    36
    availability                       0.92   1.0
    availability during the partition  0.79   1.0
    latency p50                         8.8   3.8
    latency p95                        16.5   7.9
    latency p99                        18.5  13.1
    linearizable                        yes    no
    stale reads                           0     4
    replicas converged                    —   yes
    """
    import pandas as pd

    rows: dict[str, dict[str, Any]] = {}
    for name, r in results.items():
        rows[name] = {
            "operations": r.operations,
            "answered": r.answered,
            "availability": round(r.availability, 2),
            "availability during the partition": (
                "—" if r.availability_during is None else round(r.availability_during, 2)
            ),
            "latency p50": round(r.latency(50), 1),
            "latency p95": round(r.latency(95), 1),
            "latency p99": round(r.latency(99), 1),
            "linearizable": {True: "yes", False: "no", None: "not checked"}[r.linearizable],
            "stale reads": r.stale_reads,
            "replicas converged": "—" if r.converged is None else ("yes" if r.converged else "no"),
        }
    return pd.DataFrame(rows)


def gilbert_lynch(config: str, seed: int = 0) -> CapResult:
    """The run of Gilbert and Lynch's proof (2002, §4.1, Theorem 1), on ``config``.

    The network splits ``{s1, c1}`` from ``{s2, s3, c2}`` at time 0 and heals
    at 200. Client ``c1`` writes ``x = 1`` through ``s1`` at time 20; client
    ``c2`` reads ``x`` through ``s2`` at time 60, long after the write would
    have completed on a healthy network. No message crosses the partition, so
    ``s2`` cannot know about the write: either the write is not answered (CP),
    or the read returns the old value ``None`` (AP). Both answered and correct
    is impossible.

    Examples
    --------
    >>> for config in ("CP", "AP"):
    ...     ops = gilbert_lynch(config).simulation.history.operations()
    ...     print(config, [(op.process, op.f, op.status, op.result) for op in ops])
    CP [('c1', 'put', 'info', None), ('c2', 'get', 'ok', None)]
    AP [('c1', 'put', 'ok', 1), ('c2', 'get', 'ok', None)]
    """
    if config not in CONFIGURATIONS:
        raise ValueError(f"config={config!r}; choose 'CP' or 'AP'")
    base = cap_system(config, servers=3, clients=2, operations=0)
    nodes = dict(base.nodes)
    nodes["c1"] = Client(["s1"], [("put", "x", 1)], timeout=30.0, retries=0, start=20.0)
    nodes["c2"] = Client(["s2"], [("get", "x", None)], timeout=30.0, retries=0, start=60.0)
    system = System(nodes)
    schedule: list[tuple[float, Any]] = [
        (0.0, Partition((("c1", "s1"), ("c2", "s2", "s3")))),
        (200.0, Heal()),
    ]
    network = Network(latency=exponential(1.5, minimum=0.5))
    sim = Simulation(system, seed=seed, network=network, nemesis=Nemesis(schedule))
    sim.run(until=400.0)
    from dslib.consistency import KeyValue, check_linearizable

    ops = sim.history.operations()
    verdict = check_linearizable(sim.history, KeyValue())
    done = [o for o in ops if o.status == "ok"]
    return CapResult(
        config=config,
        partition=(0.0, 200.0),
        isolated=("s1",),
        operations=len(ops),
        answered=len(done),
        availability=len(done) / len(ops),
        availability_during=len(done) / len(ops),
        latencies=tuple(o.complete_time - o.invoke_time for o in done),
        linearizable=verdict.ok,
        stale_reads=len(stale_reads(sim.history)),
        converged=dynamo_convergence(sim).ok if config == "AP" else None,
        simulation=sim,
        verdict=verdict,
    )
