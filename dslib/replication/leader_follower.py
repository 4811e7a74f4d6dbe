"""Leader-follower replication with asynchronous followers: lag and the session anomalies.

One **leader** takes every write, gives it the next *log sequence number* (LSN), applies it
and answers the client at once; it ships each entry to the **followers** without waiting
for them (asynchronous replication). A follower applies the leader's log in LSN order,
each entry some time after it arrives (``lag``: a busy follower replaying a long log), so
at any moment it holds a *prefix* of the leader's log, possibly a short one. Reads go to
followers to spread the load, and a client that reads from a follower that has not yet
applied what it saw before sees time go backwards (Terry et al. 1994, section 3;
Kleppmann 2017, chapter 5, "Problems with Replication Lag"):

- **read your writes**: a client writes, then reads a follower that has not applied the
  write yet, and sees the old value;
- **monotonic reads**: a client reads from a fresh follower, then from a lagging one, and
  sees an older value of the same key;
- **consistent prefix**: a client sees a write (the answer) and then, on another key,
  misses a write that came before it in the leader's log (the question).

The client's *routing* decides which replica serves a read (``ROUTINGS``):

- ``"any-follower"``: a follower chosen at random for each read (the anomalies above);
- ``"leader-after-write"``: for ``window`` time units after its last write, the client
  reads from the leader; later reads go to any follower. It gives read-your-writes as long
  as the lag stays below the window, and nothing else;
- ``"sticky"``: each client always reads the same follower (chosen from its id). One
  follower applies a prefix in order, so reads never go back: monotonic reads and
  consistent prefix hold, read-your-writes does not;
- ``"lsn-token"``: the client keeps the largest LSN it has seen (of its writes, and of the
  state each read saw) and sends it with each read; a follower holds the read until it has
  applied that LSN. All three hold.

``check_prefix_reads`` checks consistent prefix as a session sees it: each read of a
client, in order, must be explained by a prefix of the leader's log that is no shorter than
the one explaining its previous read. (Consistent prefix alone, without "no shorter", is
only violated by a read of several keys at once; a client reading one key at a time sees it
as here.) ``dslib.consistency.check_sessions``, with the leader's log as the version order,
checks read-your-writes and monotonic reads per key.

``MUTANTS`` names a broken version of each fix, one line from the rule it breaks
(``SessionClient(mutant=...)``).

References
----------
.. [1] D. Terry, A. Demers, K. Petersen, M. Spreitzer, M. Theimer and B. Welch, "Session
   guarantees for weakly consistent replicated data", PDIS 1994, section 3.
.. [2] M. Kleppmann, "Designing Data-Intensive Applications", O'Reilly 2017, chapter 5,
   section "Problems with Replication Lag".

Examples
--------
>>> run = lag_run("any-follower", seed=1)
>>> lag_anomalies(run)["read-your-writes"] > 0
True
>>> lag_anomalies(lag_run("lsn-token", seed=1))
{'read-your-writes': 0, 'monotonic-reads': 0, 'consistent-prefix': 0}
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency import check_sessions
from dslib.core import Context, Node, System
from dslib.mutants import Mutant, MutantReport, check_mutant, run_mutants
from dslib.sim.history import History
from dslib.sim.network import Network, constant
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "ROUTINGS",
    "LagRun",
    "PrefixResult",
    "Replica",
    "SessionClient",
    "check_prefix_reads",
    "lag_anomalies",
    "lag_mutant_report",
    "lag_run",
    "lag_table",
    "leader_follower_system",
    "prefix_reads_by_enumeration",
]

ROUTINGS = ("any-follower", "leader-after-write", "sticky", "lsn-token")
"""Where a client sends its reads (see the module docstring)."""

MUTANTS = {
    "leader_for_one_read": "after a write only the next read goes to the leader, not every "
    "read of the window",
    "sticky_per_request": "the sticky follower is chosen per request, not once per client",
    "token_from_writes_only": "the LSN token advances on the client's writes but not on the "
    "state its reads saw",
}
"""The broken version of each fix, by name."""

_FIX_OF_MUTANT = {
    "leader_for_one_read": "leader-after-write",
    "sticky_per_request": "sticky",
    "token_from_writes_only": "lsn-token",
}


# -- messages --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Write:
    """A client's write of ``value`` to ``key`` (to the leader)."""

    request_id: int
    key: str
    value: str


@dataclass(frozen=True)
class WriteOk:
    """The leader applied the write at log position ``lsn``."""

    request_id: int
    lsn: int


@dataclass(frozen=True)
class Read:
    """A client's read of ``key``; the replica answers once it has applied ``min_lsn``."""

    request_id: int
    key: str
    min_lsn: int = 0


@dataclass(frozen=True)
class ReadOk:
    """The value read (``None``: never written) and the LSN the replica had applied."""

    request_id: int
    value: str | None
    lsn: int


@dataclass(frozen=True)
class Append:
    """The leader's log entry number ``lsn``, shipped to a follower."""

    lsn: int
    key: str
    value: str


# -- replicas ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplicaState:
    """A replica: the LSN it has applied, its store, entries not applied, reads on hold."""

    applied: int = 0
    store: tuple[tuple[str, str], ...] = ()
    arrived: tuple[tuple[int, str, str], ...] = ()
    ready: tuple[int, ...] = ()
    held: tuple[tuple[str, int, str, int], ...] = ()  # (client, request id, key, min_lsn)
    log: tuple[tuple[str, str], ...] = ()  # the leader's log: (key, value) per LSN


def _get(store: tuple[tuple[str, str], ...], key: str) -> str | None:
    return dict(store).get(key)


def _put(store: tuple[tuple[str, str], ...], key: str, value: str) -> tuple[tuple[str, str], ...]:
    d = dict(store)
    d[key] = value
    return tuple(sorted(d.items()))


class Replica(Node[ReplicaState]):
    """The leader (``followers`` given) or a follower (``lag``: delay to apply an entry).

    Parameters
    ----------
    followers : sequence of str, optional
        The leader's followers; empty for a follower.
    lag : (float, float), default (0, 0)
        A follower applies an entry a delay drawn from this range after it arrives, and
        in LSN order.
    """

    def __init__(self, followers: Sequence[str] = (), lag: tuple[float, float] = (0.0, 0.0)):
        lo, hi = lag
        if not (0 <= lo <= hi and math.isfinite(hi)):
            raise ValueError(f"Replica: lag={lag!r} must be (lo, hi) with 0 <= lo <= hi")
        self.followers = tuple(followers)
        self.lag = (float(lo), float(hi))

    def init(self, ctx: Context) -> ReplicaState:
        return ReplicaState()

    def on_message(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        if isinstance(msg, Write) and self.followers:
            lsn = state.applied + 1
            state = replace(
                state,
                applied=lsn,
                store=_put(state.store, msg.key, msg.value),
                log=(*state.log, (msg.key, msg.value)),
            )
            ctx.send(src, WriteOk(msg.request_id, lsn))
            for f in self.followers:
                ctx.send(f, Append(lsn, msg.key, msg.value))
            return state
        if isinstance(msg, Append) and not self.followers:
            ctx.set_timer(("apply", msg.lsn), self.lag)
            return replace(state, arrived=(*state.arrived, (msg.lsn, msg.key, msg.value)))
        if isinstance(msg, Read):
            if state.applied >= msg.min_lsn:
                ctx.send(src, ReadOk(msg.request_id, _get(state.store, msg.key), state.applied))
                return state
            return replace(state, held=(*state.held, (src, msg.request_id, msg.key, msg.min_lsn)))
        return state

    def on_timer(self, ctx: Context, state: ReplicaState, timer: Any) -> ReplicaState:
        if not (isinstance(timer, tuple) and timer[0] == "apply"):
            return state
        ready = set(state.ready) | {timer[1]}
        entries = {lsn: (k, v) for lsn, k, v in state.arrived}
        applied, store = state.applied, state.store
        while applied + 1 in ready:  # apply in LSN order: the follower holds a prefix
            applied += 1
            ready.discard(applied)
            store = _put(store, *entries[applied])
        still = tuple(h for h in state.held if h[3] > applied)
        for client, rid, key, need in state.held:
            if need <= applied:
                ctx.send(client, ReadOk(rid, _get(store, key), applied))
        return replace(
            state,
            applied=applied,
            store=store,
            arrived=tuple(e for e in state.arrived if e[0] > applied),
            ready=tuple(sorted(ready)),
            held=still,
        )


# -- clients -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionState:
    """A client: its next operation, request in flight, token, time of its last write."""

    next_op: int = 0
    request_id: int = 0
    waiting: bool = False
    token: int = 0
    last_write: float = -math.inf
    leader_next: bool = False


class SessionClient(Node[SessionState]):
    """A client that writes to the leader and reads where its ``routing`` says.

    Parameters
    ----------
    routing : str
        One of ``ROUTINGS``.
    leader : str
        The leader's id.
    followers : sequence of str
        The followers' ids.
    workload : sequence of tuples
        ``("put", key, value)`` or ``("get", key)``.
    think : float, default 5
        Delay between an answer and the next operation.
    window : float, default 35
        ``"leader-after-write"``: how long after a write reads go to the leader.
    mutant : str, optional
        A name of ``MUTANTS``.
    """

    def __init__(
        self,
        routing: str,
        leader: str,
        followers: Sequence[str],
        workload: Sequence[tuple[Any, ...]],
        think: float = 5.0,
        window: float = 35.0,
        mutant: str | None = None,
    ) -> None:
        if routing not in ROUTINGS:
            raise ValueError(f"SessionClient: routing={routing!r}; allowed: {', '.join(ROUTINGS)}")
        if not followers:
            raise ValueError("SessionClient: give at least one follower")
        for i, op in enumerate(workload):
            if not ((len(op) == 3 and op[0] == "put") or (len(op) == 2 and op[0] == "get")):
                raise ValueError(
                    f"SessionClient: operation {i} is {op!r}; allowed: ('put', key, value) "
                    "or ('get', key)"
                )
        self.routing = routing
        self.leader = leader
        self.followers = tuple(followers)
        self.workload = tuple(tuple(op) for op in workload)
        self.think = float(think)
        self.window = float(window)
        self.mutant = check_mutant("SessionClient", mutant, MUTANTS)

    def init(self, ctx: Context) -> SessionState:
        if self.workload:
            ctx.set_timer("next", 0.0)
        return SessionState()

    def _reader(self, ctx: Context, state: SessionState) -> str:
        """The replica this read goes to: the routing rule, and each fix's mutant."""
        if self.routing == "leader-after-write":
            if self.mutant == "leader_for_one_read":
                return self.leader if state.leader_next else ctx.choose(self.followers)
            if ctx.now - state.last_write <= self.window:
                return self.leader
        if self.routing == "sticky":
            home = zlib.crc32(ctx.id.encode())
            if self.mutant == "sticky_per_request":
                home += state.request_id
            return self.followers[home % len(self.followers)]
        return ctx.choose(self.followers)

    def on_timer(self, ctx: Context, state: SessionState, timer: Any) -> SessionState:
        if timer != "next":
            return state
        op = self.workload[state.next_op]
        rid = state.request_id + 1
        state = replace(state, request_id=rid, waiting=True)
        if op[0] == "put":
            ctx.record("invoke", "put", op[2], op[1])
            ctx.send(self.leader, Write(rid, op[1], op[2]))
            return state
        ctx.record("invoke", "get", None, op[1])
        token = state.token if self.routing == "lsn-token" else 0
        ctx.send(self._reader(ctx, state), Read(rid, op[1], token))
        return replace(state, leader_next=False)

    def on_message(self, ctx: Context, state: SessionState, src: str, msg: Any) -> SessionState:
        if not state.waiting or getattr(msg, "request_id", None) != state.request_id:
            return state
        op = self.workload[state.next_op]
        if isinstance(msg, WriteOk):
            ctx.record("ok", "put", op[2], op[1])
            state = replace(
                state, token=max(state.token, msg.lsn), last_write=ctx.now, leader_next=True
            )
        elif isinstance(msg, ReadOk):
            ctx.record("ok", "get", msg.value, op[1])
            if self.mutant != "token_from_writes_only":
                state = replace(state, token=max(state.token, msg.lsn))
        else:
            return state
        state = replace(state, next_op=state.next_op + 1, waiting=False)
        if state.next_op < len(self.workload):
            ctx.set_timer("next", self.think)
        return state

    def __repr__(self) -> str:
        return f"SessionClient({self.routing}, {len(self.workload)} ops)"


def _workloads(clients: int, operations: int) -> list[list[tuple[Any, ...]]]:
    """Writers write a key, read it twice, read the other; the last client only reads."""
    loads = []
    for c in range(clients):
        ops: list[tuple[Any, ...]] = []
        for i in range(operations):
            if c == clients - 1 and clients > 1:  # the observer
                ops.append(("get", "xy"[(i // 2) % 2]))
                continue
            step, key = (i + c) % 4, "xy"[((i + c) // 4) % 2]
            if step == 0:
                ops.append(("put", key, f"c{c + 1}.{i}"))
            else:
                ops.append(("get", key if step < 3 else "yx"["xy".index(key)]))
        loads.append(ops)
    return loads


def leader_follower_system(
    routing: str = "any-follower",
    followers: int = 2,
    lag: tuple[float, float] = (0.0, 30.0),
    clients: int = 3,
    operations: int = 12,
    window: float = 35.0,
    mutant: str | None = None,
) -> System:
    """A leader ``l``, followers ``f1``..., and ``clients`` session clients ``c1``....

    Follower ``f1`` applies entries after a delay in ``(0, 1)``; the others after a delay
    drawn from ``lag``: a fresh follower and lagging ones.

    Examples
    --------
    >>> sorted(leader_follower_system(followers=2, clients=1))
    ['c1', 'f1', 'f2', 'l']
    """
    if not (isinstance(followers, int) and followers >= 1):
        raise ValueError(f"leader_follower_system: followers={followers!r} must be an int >= 1")
    if not (isinstance(clients, int) and clients >= 1):
        raise ValueError(f"leader_follower_system: clients={clients!r} must be an int >= 1")
    names = [f"f{i + 1}" for i in range(followers)]
    nodes: dict[str, Node[Any]] = {"l": Replica(names)}
    for i, f in enumerate(names):
        nodes[f] = Replica(lag=(0.0, 1.0) if i == 0 else lag)
    for c, load in enumerate(_workloads(clients, operations)):
        nodes[f"c{c + 1}"] = SessionClient(routing, "l", names, load, window=window, mutant=mutant)
    return System(nodes)


# -- the checks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrefixResult:
    """What ``check_prefix_reads`` found: ``ok``, and the first violation of each client."""

    ok: bool
    violations: tuple[str, ...]

    def __repr__(self) -> str:
        return f"PrefixResult({'ok' if self.ok else f'violated ({len(self.violations)})'})"


def _interval(
    log: Sequence[tuple[Hashable, Any]], key: Hashable, value: Any
) -> tuple[int, int] | None:
    """The prefix lengths p with which a read of ``key`` returns ``value``: lo <= p < hi."""
    positions = [i + 1 for i, (k, _) in enumerate(log) if k == key]
    if value is None:
        return (0, positions[0] if positions else len(log) + 1)
    for j, p in enumerate(positions):
        if log[p - 1][1] == value:
            return (p, positions[j + 1] if j + 1 < len(positions) else len(log) + 1)
    return None


def _reads(history: History) -> dict[Hashable, list[Any]]:
    sessions: dict[Hashable, list[Any]] = {}
    for op in history.operations():
        if op.f == "get" and op.status == "ok":
            sessions.setdefault(op.process, []).append(op)
    return sessions


def check_prefix_reads(history: History, log: Sequence[tuple[Hashable, Any]]) -> PrefixResult:
    """Consistent prefix, in session order: each client's reads see growing prefixes of ``log``.

    A read of ``key`` that returned ``value`` is explained by the prefixes of the leader's
    log after which ``key`` holds ``value`` (``None``: not yet written). A client's
    successive reads must be explained by prefixes that never get shorter. The check walks
    each client's reads keeping the shortest prefix its reads so far force; a read whose
    prefixes all lie below it is a violation.

    Parameters
    ----------
    history : History
        ``get`` operations (key, result) of the clients; other operations are skipped.
    log : sequence of (key, value)
        The leader's log in LSN order; values unique per key.

    Returns
    -------
    PrefixResult

    Raises
    ------
    TypeError
        If ``history`` is not a ``History``.
    ValueError
        If a read returned a value the log never wrote to its key.

    Examples
    --------
    The question ``q`` is asked, then answered; a client sees the answer, then no question:

    >>> h = History([("c", "invoke", "get", None, 0, "a"), ("c", "ok", "get", "yes", 1, "a"),
    ...              ("c", "invoke", "get", None, 2, "q"), ("c", "ok", "get", None, 3, "q")])
    >>> r = check_prefix_reads(h, [("q", "why?"), ("a", "yes")])
    >>> r.ok
    False
    >>> print(r.violations[0])
    c read a -> 'yes' (needs the log up to LSN 2), then q -> None (only before LSN 1)
    """
    if not isinstance(history, History):
        raise TypeError(f"check_prefix_reads: expected a dslib History, got {type(history)}")
    log = [tuple(e) for e in log]
    violations = []
    sessions = _reads(history)
    for process in sorted(sessions, key=repr):
        need, since = 0, None
        for op in sessions[process]:
            span = _interval(log, op.key, op.result)
            if span is None:
                raise ValueError(
                    f"check_prefix_reads: {op} read {op.result!r}, which the log never "
                    f"wrote to {op.key!r}"
                )
            lo, hi = span
            if need >= hi:  # hi >= 1, so an earlier read raised need: since is set
                assert since is not None
                violations.append(
                    f"{process} read {since.key} -> {since.result!r} (needs the log up to LSN "
                    f"{need}), then {op.key} -> {op.result!r} (only before LSN {hi})"
                )
                break
            if lo > need:
                need, since = lo, op
    return PrefixResult(not violations, tuple(violations))


def prefix_reads_by_enumeration(history: History, log: Sequence[tuple[Hashable, Any]]) -> bool:
    """The oracle of ``check_prefix_reads``: try every non-decreasing choice of prefixes.

    Exponential; for tests on small histories.

    Examples
    --------
    >>> h = History([("c", "invoke", "get", None, 0, "x"), ("c", "ok", "get", 1, 1, "x")])
    >>> prefix_reads_by_enumeration(h, [("x", 1)])
    True
    """
    log = [tuple(e) for e in log]
    for reads in _reads(history).values():
        spans = [_interval(log, op.key, op.result) for op in reads]
        if any(s is None for s in spans):
            return False
        if not any(
            all(lo <= p < hi for p, (lo, hi) in zip(ps, spans, strict=True))  # type: ignore[misc]
            for ps in itertools.combinations_with_replacement(range(len(log) + 1), len(spans))
        ):
            return False
    return True


@dataclass
class LagRun:
    """One run: the simulation, the clients' history and the leader's log."""

    routing: str
    seed: int
    sim: Simulation
    history: History
    log: tuple[tuple[str, str], ...]

    def __repr__(self) -> str:
        return f"LagRun({self.routing}, seed={self.seed}, {len(self.log)} writes)"


def lag_run(
    routing: str = "any-follower",
    seed: int = 0,
    *,
    followers: int = 2,
    lag: tuple[float, float] = (0.0, 30.0),
    clients: int = 3,
    operations: int = 12,
    window: float = 35.0,
    mutant: str | None = None,
) -> LagRun:
    """Run ``leader_follower_system`` to the end (network latency 1) and keep what it did.

    Examples
    --------
    >>> lag_run("sticky", seed=0)
    LagRun(sticky, seed=0, 6 writes)
    """
    system = leader_follower_system(
        routing, followers, lag, clients, operations, window=window, mutant=mutant
    )
    sim = Simulation(system, seed=seed, network=Network(latency=constant(1.0))).run(until=10_000)
    return LagRun(routing, seed, sim, sim.history, sim.states["l"].log)


def lag_anomalies(run: LagRun) -> dict[str, int]:
    """Violations found in ``run``: read-your-writes, monotonic reads, consistent prefix.

    Read-your-writes and monotonic reads: ``check_sessions`` with the leader's log as the
    version order (violations counted); consistent prefix: ``check_prefix_reads`` (clients
    with a violation).
    """
    order: dict[Hashable, Sequence[Any]] = {}
    for k, v in run.log:
        order[k] = (*order.get(k, ()), v)
    s = check_sessions(run.history, ["read-your-writes", "monotonic-reads"], version_order=order)
    counts = {g: sum(v.guarantee == g for v in s.violations) for g in s.guarantees}
    counts["consistent-prefix"] = len(check_prefix_reads(run.history, run.log).violations)
    return counts


def lag_table(seeds: Sequence[int] = range(10), **options: Any) -> Any:
    """Per routing: runs (of ``len(seeds)``) with each anomaly, and violations in all.

    Examples
    --------
    >>> lag_table(range(2)).loc["lsn-token"].tolist()
    [0, 0, 0]
    """
    import pandas as pd

    rows = {}
    for routing in ROUTINGS:
        counts = [lag_anomalies(lag_run(routing, s, **options)) for s in seeds]
        rows[routing] = {g: sum(c[g] > 0 for c in counts) for g in counts[0]}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = f"routing (runs of {len(seeds)} with the anomaly)"
    return frame


def lag_mutant_report(seeds: Sequence[int] = range(3)) -> MutantReport:
    """Each fix's mutant, run over ``seeds``; a check passes if no seed shows its anomaly.

    Checks: read-your-writes and monotonic reads (``check_sessions``), consistent prefix
    (``check_prefix_reads``), each on every fix (the routing the mutant breaks).
    """

    def build(mutant: str | None, routing: str) -> Any:
        return lambda: [lag_run(routing, s, mutant=mutant) for s in seeds]

    def check(name: str) -> Any:
        return lambda runs: all(lag_anomalies(r)[name] == 0 for r in runs)

    guarantees = {
        "leader-after-write": ("read-your-writes",),
        "sticky": ("monotonic-reads", "consistent-prefix"),
        "lsn-token": ("read-your-writes", "monotonic-reads", "consistent-prefix"),
    }
    checks = {g: check(g) for g in ("read-your-writes", "monotonic-reads", "consistent-prefix")}
    mutants = [
        Mutant(name, bug, build(name, _FIX_OF_MUTANT[name]), caught)
        for name, bug, caught in (
            (
                "leader_for_one_read",
                MUTANTS["leader_for_one_read"],
                ("read-your-writes",),
            ),
            (
                "sticky_per_request",
                MUTANTS["sticky_per_request"],
                ("monotonic-reads", "consistent-prefix"),
            ),
            (
                "token_from_writes_only",
                MUTANTS["token_from_writes_only"],
                ("monotonic-reads", "consistent-prefix"),
            ),
        )
    ]

    def correct() -> Any:
        # each fix, with only the guarantees it promises checked: the leader-after-write fix
        # does not promise monotonic reads, so its runs are judged by read-your-writes only
        return [(fix, lag_run(fix, s)) for fix in guarantees for s in seeds]

    def promised(name: str) -> Any:
        def run_check(runs: Any) -> bool:
            if runs and isinstance(runs[0], tuple):
                return all(
                    lag_anomalies(r)[name] == 0 for fix, r in runs if name in guarantees[fix]
                )
            return checks[name](runs)

        return run_check

    return run_mutants(correct, mutants, {g: promised(g) for g in checks}, all_checks=False)
