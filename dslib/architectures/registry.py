"""A replicated service registry under a partition: consistent (CP) or available (AP).

A registry replicated on three nodes must choose, when a partition cuts one replica off,
between answering from what that replica knows (stale) and not answering (unavailable): the
CAP trade-off of chapter 11, in the component every service depends on to find the others.

- **CP**, etcd-like (etcd keeps its data in a Raft group; a linearizable read is confirmed by
  a majority): every heartbeat goes to the leader, and a lookup is answered by the leader
  only after a majority has confirmed it is still the leader (a *read index*, Ongaro 2014,
  section 6.4). Here the leader is fixed at ``r1``, on the majority side of the partition;
  chapter 15 shows how Raft elects one. A client cut off with a minority gets no answer.
- **AP**, Eureka-like: every replica accepts heartbeats, passes them on to its peers, and
  answers lookups from its own copy. A replica that would expire more than half of its
  instances at once assumes the network, not the instances, has failed and stops expiring
  them (Eureka's *self-preservation*; Netflix Eureka wiki, "Understanding Eureka Peer to Peer
  Communication"). A client cut off with a minority gets an answer, possibly stale.

- ``Replica`` (``mode="cp"`` or ``"ap"``), ``Instance``, ``LookupClient``;
- ``registry_run``: instances crash and join during a partition, clients on both sides
  look the service up; answers compared with the instances really alive;
- ``MUTANTS`` (``mutant=``), ``REGISTRY_MUTANTS``, ``REGISTRY_CHECKS``.

Examples
--------
>>> rows = registry_run("ap", seed=0)
>>> [(r["client"], r["answered"]) for r in rows if r["period"] == "partition"]
[('c1 (majority)', 1.0), ('c2 (minority)', 1.0)]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.nemesis import Crash, Fault, Heal, Nemesis, Partition
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "REGISTRY_CHECKS",
    "REGISTRY_MODES",
    "REGISTRY_MUTANTS",
    "Answer",
    "Forwarded",
    "Heartbeat",
    "Instance",
    "Lookup",
    "LookupClient",
    "ReadAck",
    "ReadIndex",
    "Replica",
    "ReplicaState",
    "Replicated",
    "Snapshot",
    "registry_run",
    "truth",
]

REGISTRY_MODES = ("cp", "ap")

MUTANTS: dict[str, str] = {
    "local-read": "CP: a follower answers lookups from its own copy, without the leader",
    "stuck-preservation": "AP: once a replica stops expiring instances, it never starts again",
}
"""The broken versions, selected with ``mutant=``: name -> what is wrong."""

REPLICAS = ("r1", "r2", "r3")
LEADER = "r1"
TTL = 3.0


# == messages ===================================================================================
@dataclass(frozen=True)
class Heartbeat:
    instance: str


@dataclass(frozen=True)
class Replicated:
    """AP: a heartbeat passed on to a peer."""

    instance: str


@dataclass(frozen=True)
class Lookup:
    seq: int


@dataclass(frozen=True)
class Forwarded:
    """CP: a follower passes a lookup to the leader (``via`` answers the client)."""

    client: str
    seq: int
    via: str


@dataclass(frozen=True)
class ReadIndex:
    round: int


@dataclass(frozen=True)
class ReadAck:
    round: int


@dataclass(frozen=True)
class Snapshot:
    """CP: the leader's live instances, pushed to followers (only the mutant reads them)."""

    instances: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    seq: int
    instances: tuple[str, ...]
    client: str = ""


# == the replica ================================================================================
@dataclass(frozen=True)
class ReplicaState:
    """``seen``: each instance's last heartbeat (local time); ``pending``: CP lookups
    waiting for the read round ``round``; ``copy``: a follower's last snapshot;
    ``preserving``: AP expiry suspended."""

    seen: tuple[tuple[str, float], ...] = ()
    pending: tuple[tuple[str, int, str], ...] = ()
    round: int = 0
    copy: tuple[str, ...] = ()
    preserving: bool = False


class Replica(Node[ReplicaState]):
    """One registry replica (see the module's docstring for the two modes).

    Examples
    --------
    >>> Replica("cp")
    Replica(cp)
    """

    def __init__(self, mode: str, ttl: float = TTL, mutant: str | None = None) -> None:
        if mode not in REGISTRY_MODES:
            raise ValueError(f"Replica: mode={mode!r}; allowed: {', '.join(REGISTRY_MODES)}")
        self.mode, self.ttl = mode, float(ttl)
        self.mutant = check_mutant("Replica", mutant, MUTANTS)

    def init(self, ctx: Context) -> ReplicaState:
        if self.mode == "cp" and ctx.id == LEADER:
            ctx.set_timer("snapshot", 1.0)
        return ReplicaState()

    def live(self, state: ReplicaState, now: float) -> tuple[str, ...]:
        """The instances heard from within ``ttl`` (all of them while AP preserves)."""
        fresh = tuple(sorted(i for i, t in state.seen if now - t <= self.ttl))
        if self.mode == "ap" and self.preserves(state, fresh):
            return tuple(sorted(i for i, _t in state.seen))
        return fresh

    def preserves(self, state: ReplicaState, fresh: tuple[str, ...]) -> bool:
        """AP self-preservation: more than half the known instances would expire at once."""
        if self.mutant == "stuck-preservation" and state.preserving:  # mutant: for ever
            return True
        return 2 * (len(state.seen) - len(fresh)) > len(state.seen)

    def _heard(self, ctx: Context, state: ReplicaState, instance: str) -> ReplicaState:
        seen = tuple(sorted({**dict(state.seen), instance: ctx.now}.items()))
        return replace(state, seen=seen)

    def on_timer(self, ctx: Context, state: ReplicaState, timer: Any) -> ReplicaState:
        ctx.set_timer("snapshot", 1.0)
        live = self.live(state, ctx.now)
        for peer in REPLICAS:
            if peer != ctx.id:
                ctx.send(peer, Snapshot(live))
        return state

    def on_message(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        if self.mode == "ap":
            return self._ap(ctx, state, src, msg)
        return self._cp(ctx, state, src, msg)

    def _ap(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        if isinstance(msg, Heartbeat):
            for peer in REPLICAS:
                if peer != ctx.id:
                    ctx.send(peer, Replicated(msg.instance))
            return self._heard(ctx, state, msg.instance)
        if isinstance(msg, Replicated):
            return self._heard(ctx, state, msg.instance)
        if isinstance(msg, Lookup):
            fresh = tuple(sorted(i for i, t in state.seen if ctx.now - t <= self.ttl))
            state = replace(state, preserving=self.preserves(state, fresh))
            ctx.send(src, Answer(msg.seq, self.live(state, ctx.now)))
        return state

    def _cp(self, ctx: Context, state: ReplicaState, src: str, msg: Any) -> ReplicaState:
        leader = ctx.id == LEADER
        if isinstance(msg, Heartbeat):
            if not leader:
                ctx.send(LEADER, msg)
                return state
            return self._heard(ctx, state, msg.instance)
        if isinstance(msg, Snapshot):
            return replace(state, copy=msg.instances)
        if isinstance(msg, Lookup) and not leader:
            if self.mutant == "local-read":  # mutant: no leader, no majority
                ctx.send(src, Answer(msg.seq, state.copy))
                return state
            ctx.send(LEADER, Forwarded(src, msg.seq, ctx.id))
            return state
        if isinstance(msg, Answer) and not leader:
            ctx.send(msg.client, Answer(msg.seq, msg.instances))
            return state
        if isinstance(msg, (Lookup, Forwarded)) and leader:
            ask = (src, msg.seq, ctx.id) if isinstance(msg, Lookup) else (msg.client, msg.seq, src)
            if not state.pending:
                for peer in REPLICAS:
                    if peer != ctx.id:
                        ctx.send(peer, ReadIndex(state.round + 1))
                state = replace(state, round=state.round + 1)
            return replace(state, pending=(*state.pending, ask))
        if isinstance(msg, ReadIndex):
            ctx.send(src, ReadAck(msg.round))
            return state
        if isinstance(msg, ReadAck) and leader and msg.round == state.round and state.pending:
            live = self.live(state, ctx.now)  # the leader and one follower: a majority of 3
            for client, seq, via in state.pending:
                if via == ctx.id:
                    ctx.send(client, Answer(seq, live))
                else:
                    ctx.send(via, Answer(seq, live, client))
            return replace(state, pending=())
        return state

    def __repr__(self) -> str:
        return f"Replica({self.mode})"


# == instances and clients ======================================================================
class Instance(Node[int]):
    """From time ``start``, sends a heartbeat to its ``home`` replica every time unit (the
    state counts them).

    Examples
    --------
    >>> Instance("r1")
    Instance(home r1)
    """

    def __init__(self, home: str, start: float = 0.0) -> None:
        self.home, self.start = home, float(start)

    def init(self, ctx: Context) -> int:
        ctx.set_timer("beat", self.start)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.send(self.home, Heartbeat(ctx.id))
        ctx.set_timer("beat", 1.0)
        return state + 1

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state

    def __repr__(self) -> str:
        return f"Instance(home {self.home})"


@dataclass(frozen=True)
class ClientState:
    """``results``: ``(seq, sent at, answered at or None, instances or None)``."""

    seq: int = 0
    results: tuple[tuple[int, float, float | None, tuple[str, ...] | None], ...] = ()


class LookupClient(Node[ClientState]):
    """Looks the service up at its ``home`` replica every ``every`` time units.

    Examples
    --------
    >>> LookupClient("r3")
    LookupClient(home r3)
    """

    def __init__(self, home: str, every: float = 0.5) -> None:
        self.home, self.every = home, every

    def init(self, ctx: Context) -> ClientState:
        ctx.set_timer("look", self.every)
        return ClientState()

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        ctx.send(self.home, Lookup(state.seq + 1))
        ctx.set_timer("look", self.every)
        return ClientState(state.seq + 1, (*state.results, (state.seq + 1, ctx.now, None, None)))

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, Answer):
            return state
        results = tuple(
            (s, t, ctx.now, msg.instances) if s == msg.seq and a is None else (s, t, a, i)
            for s, t, a, i in state.results
        )
        return replace(state, results=results)

    def __repr__(self) -> str:
        return f"LookupClient(home {self.home})"


# == the run ====================================================================================
PARTITION, HEAL, END = 20.0, 60.0, 90.0
DIES, JOINS = 30.0, 35.0


def truth(t: float) -> tuple[str, ...]:
    """The instances alive at time ``t``: ``i2`` dies at 30, ``i4`` starts at 35."""
    alive = {"i1", "i3"} | ({"i2"} if t < DIES else set()) | ({"i4"} if t >= JOINS else set())
    return tuple(sorted(alive))


def _fresh(answer: tuple[str, ...], sent: float, answered: float, grace: float) -> bool:
    """Right at some moment between ``grace`` before the lookup was sent and its answer."""
    moments = [sent - grace, sent, answered, DIES, JOINS]
    return any(answer == truth(t) for t in moments if sent - grace <= t <= answered)


def registry_run(
    mode: str, seed: int = 0, timeout: float = 2.0, mutant: str | None = None
) -> list[dict[str, Any]]:
    """Three replicas (``r1``, ``r2`` | ``r3``), four instances, two clients; a partition
    from 20 to 60 cuts ``r3`` and client ``c2`` off; ``i2`` crashes at 30 and ``i4``
    is deployed at 35 (its first heartbeat), both on the majority side.

    Returns
    -------
    list of dict
        One row per client and period (``partition``: lookups sent from 20 to 60;
        ``after heal``: from 70 to 90): ``lookups``, ``answered`` (fraction answered
        within ``timeout``), ``stale`` (fraction of the answers that were never right
        in the last ``TTL + 1.5`` time units before the lookup, up to its answer),
        ``last answer`` (the instances in the period's last answer, or ``"none"``).

    Examples
    --------
    >>> rows = registry_run("cp", seed=0)
    >>> [(r["client"], r["answered"]) for r in rows if r["period"] == "partition"]
    [('c1 (majority)', 1.0), ('c2 (minority)', 0.0)]
    """
    if mode not in REGISTRY_MODES:
        raise ValueError(f"registry_run: mode={mode!r}; allowed: {', '.join(REGISTRY_MODES)}")
    nodes: dict[str, Node[Any]] = {r: Replica(mode, mutant=mutant) for r in REPLICAS}
    homes = {"i1": "r1", "i2": "r2", "i3": "r1", "i4": "r2"}
    nodes |= {i: Instance(h, JOINS if i == "i4" else 0.0) for i, h in homes.items()}
    nodes |= {"c1": LookupClient("r2"), "c2": LookupClient("r3")}
    majority = ("r1", "r2", "i1", "i2", "i3", "i4", "c1")
    schedule: list[tuple[float, Fault]] = [
        (PARTITION, Partition((majority, ("r3", "c2")))),
        (DIES, Crash("i2")),
        (HEAL, Heal()),
    ]
    sim = Simulation(
        System(nodes), seed=seed, network=Network(uniform(0.05, 0.25)), nemesis=Nemesis(schedule)
    )
    sim.run(until=END + timeout)
    rows = []
    grace = TTL + 1.5
    for client, label in (("c1", "c1 (majority)"), ("c2", "c2 (minority)")):
        state: ClientState = sim.states[client]
        for period, lo, hi in (("partition", PARTITION, HEAL), ("after heal", HEAL + 10, END)):
            asked = [r for r in state.results if lo <= r[1] < hi]
            answered = [r for r in asked if r[2] is not None and r[2] - r[1] <= timeout]
            stale = [r for r in answered if not _fresh(r[3] or (), r[1], r[2] or r[1], grace)]
            rows.append(
                {
                    "mode": mode,
                    "client": label,
                    "period": period,
                    "lookups": len(asked),
                    "answered": round(len(answered) / len(asked), 3) if asked else 1.0,
                    "stale": round(len(stale) / len(answered), 3) if answered else 0.0,
                    "last answer": " ".join(answered[-1][3] or ()) if answered else "none",
                }
            )
    return rows


# == checks and mutants =========================================================================
_SEEDS = range(3)


def check_cp_never_stale(mutant: str | None) -> Outcome:
    """CP: no answer is stale, on either side, in any period (three seeds)."""
    bad = [r for s in _SEEDS for r in registry_run("cp", s, mutant=mutant) if r["stale"] > 0]
    return Outcome(not bad, None, f"{bad[0]['client']} stale {bad[0]['stale']}" if bad else "")


def check_ap_converges(mutant: str | None) -> Outcome:
    """AP: every lookup is answered, and after the heal no answer is stale (three seeds)."""
    runs = [r for s in _SEEDS for r in registry_run("ap", s, mutant=mutant)]
    bad = [r for r in runs if r["answered"] < 1 or (r["period"] == "after heal" and r["stale"])]
    return Outcome(not bad, None, f"{bad[0]['client']} {bad[0]['period']}" if bad else "")


REGISTRY_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "CP never stale": check_cp_never_stale,
    "AP available and converges": check_ap_converges,
}
"""Named checks (``None`` = correct): each runs the partition scenario on three seeds."""

REGISTRY_MUTANTS: list[Mutant[str | None]] = [
    Mutant("local-read", MUTANTS["local-read"], lambda: "local-read", ("CP never stale",)),
    Mutant(
        "stuck-preservation",
        MUTANTS["stuck-preservation"],
        lambda: "stuck-preservation",
        ("AP available and converges",),
    ),
]
"""The mutants, for ``run_mutants(lambda: None, REGISTRY_MUTANTS, REGISTRY_CHECKS)``."""
