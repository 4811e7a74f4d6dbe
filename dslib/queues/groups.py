"""Consumer groups: partitions shared among consumers, committed offsets, commit policies.

A *consumer group* reads a topic together: each partition is assigned to one member at a
time, so the group processes each record once in the happy case, and the partitions'
order is kept (Kreps et al., NetDB 2011, section 3.2: "consumer groups", and "the
partition is the smallest unit of parallelism"). A *group coordinator* (``Coordinator``,
one broker's role in Kafka) keeps the members, the assignment and each partition's
*committed offset*: where the group resumes after a member fails.

- **Membership.** A consumer joins (``JoinGroup``) and heartbeats; the coordinator drops a
  member silent for ``session_timeout``. Every change of membership is a *rebalance*: a
  new *generation* and a new assignment, computed by an *assignor*:
  ``range_assignment`` (each member a contiguous block; Kafka's ``RangeAssignor``) or
  ``round_robin_assignment`` (partitions dealt in turn; ``RoundRobinAssignor``).
- **Fencing.** A commit names the generation it was made in; the coordinator refuses it
  unless the generation is current and the partition is the member's. A member dropped
  for a missed heartbeat (a long pause) so cannot move an offset it no longer owns.
- **Commit policies.** Where the commit stands relative to processing decides the
  guarantee. ``"at-most-once"``: commit the batch's end, then process (a crash in between
  skips the batch). ``"at-least-once"``: process, then commit (a crash in between
  processes the batch again). ``"effectively-once"``: at-least-once into an *idempotent
  sink*, which keeps one result per (partition, offset), so a repeat changes nothing.

Processing is a write to the ``Sink`` node, the outside world; ``SinkConfig.idempotent``
chooses an appending sink or an idempotent one. A write carries an attempt id, so the
network's own duplicates are dropped (as TCP would): only a *retried* or *repeated*
write can duplicate.

``GROUP_MUTANTS`` names the broken versions (``GroupConfig(mutant=...)``):
``commit_before_processing`` claims at-least-once but commits first; ``judge_group``'s
at-least-once check catches it as lost records, on every run of
``consumer_crash_scenario`` (a crash placed between the commit and the writes) and on
some of the random runs (``group_catch_rate`` measures how often).

In the example, the group keeps at-least-once and processes five records twice: the
price of a crash between processing and committing.

Examples
--------
>>> range_assignment(["c2", "c1"], 5)
{'c1': (0, 1, 2), 'c2': (3, 4)}
>>> round_robin_assignment(["c2", "c1"], 5)
{'c1': (0, 2, 4), 'c2': (1, 3)}
>>> result = judge_group(group_run(GroupConfig(), seed=0))
>>> result.summary()
'at-least-once: ok (lost 0, duplicated 5, reordered 0, phantom 0)'

References
----------
.. [1] J. Kreps, N. Narkhede, J. Rao, "Kafka: a Distributed Messaging System for Log
   Processing", NetDB 2011, section 3.2 (consumer groups, offsets kept by consumers).
.. [2] Apache Kafka documentation, Design chapter, section "Message Delivery Semantics"
   (at-most-once, at-least-once, exactly-once and where the offset is saved) and
   KIP-62 (heartbeats and session timeouts of consumer groups).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import check_mutant
from dslib.queues.checker import QueueCheckResult, Receive, check_queue
from dslib.queues.log import (
    Fetch,
    FetchReply,
    LogConfig,
    Metadata,
    MetadataRequest,
    log_system,
    producer_sends,
)
from dslib.sim.nemesis import RandomNemesis
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "ASSIGNORS",
    "COMMIT_POLICIES",
    "GROUP_MUTANTS",
    "Assignment",
    "CommitReply",
    "ConsumerState",
    "Coordinator",
    "CoordinatorState",
    "GroupConfig",
    "GroupConsumer",
    "GroupHeartbeat",
    "JoinGroup",
    "OffsetCommit",
    "OffsetFetch",
    "OffsetFetchReply",
    "Sink",
    "SinkState",
    "Write",
    "WriteAck",
    "consumer_crash_scenario",
    "consumers_under_faults",
    "group_catch_rate",
    "group_run",
    "group_system",
    "judge_group",
    "range_assignment",
    "round_robin_assignment",
]

COMMIT_POLICIES = ("at-most-once", "at-least-once", "effectively-once")
"""Where a consumer commits, and the guarantee it claims."""

GUARANTEE_OF = {
    "at-most-once": "at-most-once",
    "at-least-once": "at-least-once",
    "effectively-once": "exactly-once",
}

GROUP_MUTANTS: dict[str, str] = {
    "commit_before_processing": "the consumer claims at-least-once but commits a batch's "
    "offset before it has processed the batch",
}
"""Broken versions of the consumer group, by name, with what is wrong."""


def _check_members(who: str, members: Sequence[str], partitions: int) -> list[str]:
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 0:
        raise ValueError(f"{who}: partitions={partitions!r} must be an int >= 0")
    names = sorted(members)
    if len(set(names)) != len(names) or not all(isinstance(m, str) for m in names):
        raise ValueError(f"{who}: members {list(members)!r} must be distinct strings")
    return names


def range_assignment(members: Sequence[str], partitions: int) -> dict[str, tuple[int, ...]]:
    """Kafka's range assignor: sorted members get contiguous blocks, the first ones larger.

    Parameters
    ----------
    members : sequence of str
    partitions : int

    Returns
    -------
    dict
        Member -> its partitions (every member appears, possibly with none).

    Raises
    ------
    ValueError
        If members repeat or ``partitions`` is negative.

    Examples
    --------
    >>> range_assignment(["a", "b", "c"], 4)
    {'a': (0, 1), 'b': (2,), 'c': (3,)}
    """
    names = _check_members("range_assignment", members, partitions)
    out, start = {}, 0
    for i, m in enumerate(names):
        n = partitions // len(names) + (1 if i < partitions % len(names) else 0)
        out[m] = tuple(range(start, start + n))
        start += n
    return out


def round_robin_assignment(members: Sequence[str], partitions: int) -> dict[str, tuple[int, ...]]:
    """Kafka's round-robin assignor: partitions dealt to the sorted members in turn.

    Parameters
    ----------
    members : sequence of str
    partitions : int

    Returns
    -------
    dict
        Member -> its partitions.

    Raises
    ------
    ValueError
        If members repeat or ``partitions`` is negative.

    Examples
    --------
    >>> round_robin_assignment(["a", "b", "c"], 4)
    {'a': (0, 3), 'b': (1,), 'c': (2,)}
    """
    names = _check_members("round_robin_assignment", members, partitions)
    return {m: tuple(range(i, partitions, len(names))) for i, m in enumerate(names)}


ASSIGNORS = {"range": range_assignment, "round-robin": round_robin_assignment}
"""The assignors by name."""


@dataclass(frozen=True)
class GroupConfig:
    """A topic with producers (``log``), a consumer group, its policy and the sink.

    Parameters
    ----------
    log : LogConfig, default three partitions, thirty records
    consumers : int, default 2
        Consumers ``c1 .. cN``.
    assignor : {"range", "round-robin"}, default "range"
    policy : {"at-most-once", "at-least-once", "effectively-once"}, default "at-least-once"
    batch : int, default 3
        Records a consumer processes between commits.
    heartbeat, session_timeout, poll_interval, retry_timeout : float
    mutant : str or None
        A broken version from ``GROUP_MUTANTS``.

    Raises
    ------
    ValueError
        If the assignor or policy is unknown, a time is not > 0, or a count < 1.

    Examples
    --------
    >>> GroupConfig(assignor="sticky")
    Traceback (most recent call last):
    ...
    ValueError: GroupConfig: assignor='sticky'; allowed: ['range', 'round-robin']
    """

    log: LogConfig = field(default_factory=lambda: LogConfig(partitions=3, messages=30))
    consumers: int = 2
    assignor: str = "range"
    policy: str = "at-least-once"
    batch: int = 3
    heartbeat: float = 3.0
    session_timeout: float = 12.0
    poll_interval: float = 2.0
    retry_timeout: float = 10.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        owner = "GroupConfig"
        if not isinstance(self.log, LogConfig):
            raise TypeError(f"{owner}: log={self.log!r} must be a LogConfig")
        if self.assignor not in ASSIGNORS:
            raise ValueError(f"{owner}: assignor={self.assignor!r}; allowed: {list(ASSIGNORS)}")
        if self.policy not in COMMIT_POLICIES:
            raise ValueError(f"{owner}: policy={self.policy!r}; allowed: {list(COMMIT_POLICIES)}")
        for name in ("consumers", "batch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{owner}: {name}={v!r} must be an int >= 1")
        for name in ("heartbeat", "session_timeout", "poll_interval", "retry_timeout"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise TypeError(f"{owner}: {name}={v!r} must be a finite number")
            if v <= 0:
                raise ValueError(f"{owner}: {name}={v!r} must be > 0 (simulated time units)")
        check_mutant(owner, self.mutant, GROUP_MUTANTS)

    @property
    def consumer_ids(self) -> tuple[str, ...]:
        """``("c1", ..., "cN")``."""
        return tuple(f"c{i + 1}" for i in range(self.consumers))

    @property
    def commits_first(self) -> bool:
        """Whether a consumer commits before it processes (at-most-once, or the mutant)."""
        return self.policy == "at-most-once" or self.mutant == "commit_before_processing"


# -- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinGroup:
    """Consumer -> coordinator: add me to the group."""


@dataclass(frozen=True)
class GroupHeartbeat:
    """Consumer -> coordinator: I am alive, in ``generation``."""

    generation: int


@dataclass(frozen=True)
class Assignment:
    """Coordinator -> member: the generation and the member's partitions (``None``: rejoin)."""

    generation: int
    partitions: tuple[int, ...] | None


@dataclass(frozen=True)
class OffsetCommit:
    """Member -> coordinator: the group has processed ``partition`` up to ``offset``."""

    generation: int
    partition: int
    offset: int


@dataclass(frozen=True)
class CommitReply:
    """Coordinator -> member: was the commit accepted?"""

    partition: int
    offset: int
    ok: bool


@dataclass(frozen=True)
class OffsetFetch:
    """Member -> coordinator: where does the group stand in ``partition``?"""

    partition: int


@dataclass(frozen=True)
class OffsetFetchReply:
    """Coordinator -> member: the committed offset of ``partition`` (0 if none)."""

    partition: int
    offset: int


@dataclass(frozen=True)
class Write:
    """Consumer -> sink: the result of processing one record (``attempt`` is unique)."""

    attempt: tuple[str, int, int]
    partition: int
    offset: int
    key: Hashable
    value: Hashable


@dataclass(frozen=True)
class WriteAck:
    """Sink -> consumer: ``attempt`` is stored."""

    attempt: tuple[str, int, int]


# -- the coordinator --------------------------------------------------------------------------


@dataclass(frozen=True)
class CoordinatorState:
    """Members with when each was last heard, the generation, assignment and offsets."""

    members: tuple[tuple[str, float], ...] = ()
    generation: int = 0
    assignment: tuple[tuple[str, tuple[int, ...]], ...] = ()
    offsets: tuple[int, ...] = ()
    rebalances: int = 0


class Coordinator(Node[CoordinatorState]):
    """The group coordinator: membership, generations, assignment, committed offsets."""

    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> CoordinatorState:
        ctx.set_timer("tick", self.config.heartbeat)
        return CoordinatorState(offsets=tuple(0 for _ in range(self.config.log.partitions)))

    def _rebalance(
        self, ctx: Context, state: CoordinatorState, members: dict[str, float]
    ) -> CoordinatorState:
        assign = ASSIGNORS[self.config.assignor](sorted(members), self.config.log.partitions)
        state = replace(
            state,
            members=tuple(sorted(members.items())),
            generation=state.generation + 1,
            assignment=tuple(sorted(assign.items())),
            rebalances=state.rebalances + 1,
        )
        for m, parts in state.assignment:
            ctx.send(m, Assignment(state.generation, parts))
        return state

    def on_timer(self, ctx: Context, state: CoordinatorState, timer: Any) -> CoordinatorState:
        ctx.set_timer("tick", self.config.heartbeat)
        alive = {m: t for m, t in state.members if ctx.now - t < self.config.session_timeout}
        if len(alive) != len(state.members):
            state = self._rebalance(ctx, state, alive)
        return state

    def on_message(
        self, ctx: Context, state: CoordinatorState, src: str, msg: Any
    ) -> CoordinatorState:
        members = dict(state.members)
        assignment = dict(state.assignment)
        if isinstance(msg, JoinGroup):
            members[src] = ctx.now
            return self._rebalance(ctx, state, members)
        if isinstance(msg, GroupHeartbeat):
            if src not in members:
                ctx.send(src, Assignment(state.generation, None))
                return state
            members[src] = ctx.now
            if msg.generation != state.generation:
                ctx.send(src, Assignment(state.generation, assignment[src]))
            return replace(state, members=tuple(sorted(members.items())))
        if isinstance(msg, OffsetCommit):
            ok = msg.generation == state.generation and msg.partition in assignment.get(src, ())
            if ok:
                offsets = list(state.offsets)
                offsets[msg.partition] = msg.offset
                state = replace(state, offsets=tuple(offsets))
            ctx.send(src, CommitReply(msg.partition, msg.offset, ok))
            return state
        if isinstance(msg, OffsetFetch):
            ctx.send(src, OffsetFetchReply(msg.partition, state.offsets[msg.partition]))
        return state


# -- the sink ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkState:
    """What the sink stored, in order: ``(consumer, partition, offset, key, value)``."""

    stored: tuple[tuple[str, int, int, Hashable, Hashable], ...] = ()
    # bookkeeping, left out of the repr (a set's order would depend on PYTHONHASHSEED)
    attempts: frozenset[tuple[str, int, int]] = field(default=frozenset(), repr=False)
    keys: frozenset[tuple[int, int]] = field(default=frozenset(), repr=False)


class Sink(Node[SinkState]):
    """The outside world a consumer writes to: appending, or idempotent per (partition, offset)."""

    def __init__(self, idempotent: bool) -> None:
        self.idempotent = idempotent

    def init(self, ctx: Context) -> SinkState:
        return SinkState()

    def on_message(self, ctx: Context, state: SinkState, src: str, msg: Any) -> SinkState:
        if not isinstance(msg, Write):
            return state
        ctx.send(src, WriteAck(msg.attempt))
        if msg.attempt in state.attempts:  # the network's duplicate of one attempt
            return state
        place = (msg.partition, msg.offset)
        state = replace(state, attempts=state.attempts | {msg.attempt})
        if self.idempotent and place in state.keys:
            return state
        row = (src, msg.partition, msg.offset, msg.key, msg.value)
        return replace(state, stored=(*state.stored, row), keys=state.keys | {place})


# -- the consumers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """A batch in progress: ``phase`` is "commit-first", "write" or "commit-after"."""

    partition: int
    offset: int
    entries: tuple[tuple[Hashable, Hashable], ...]
    phase: str
    pending: tuple[tuple[str, int, int], ...] = ()
    since: float = 0.0

    @property
    def end(self) -> int:
        """The offset after the batch: what the commit says."""
        return self.offset + len(self.entries)


@dataclass(frozen=True)
class ConsumerState:
    """A member: generation, partitions, position per partition, work, leaders, attempts.

    ``incarnation`` counts restarts (it is the one thing kept on disk), so that the
    attempt ids ``(member, incarnation, n)`` of writes never repeat. ``unanswered`` holds,
    per partition, when the oldest fetch still without a reply was sent: a crashed leader
    answers nothing, so silence for ``retry_timeout`` is the consumer's only sign that
    leadership may have moved, and it asks the controller again.
    """

    generation: int = -1
    partitions: tuple[int, ...] = ()
    positions: tuple[tuple[int, int], ...] = ()
    work: tuple[Work, ...] = ()
    leaders: tuple[str | None, ...] = ()
    unanswered: tuple[tuple[int, float], ...] = ()
    attempts: int = 0
    incarnation: int = 0


class GroupConsumer(Node[ConsumerState]):
    """A member of the group: fetches its partitions, processes batches, commits offsets."""

    def __init__(self, config: GroupConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> ConsumerState:
        ctx.send("coordinator", JoinGroup())
        ctx.send("controller", MetadataRequest())
        ctx.set_timer("heartbeat", self.config.heartbeat)
        ctx.set_timer("poll", self.config.poll_interval)
        ctx.persist(0)
        return ConsumerState(leaders=tuple(None for _ in range(self.config.log.partitions)))

    def on_recover(self, ctx: Context, durable: Any) -> ConsumerState:
        incarnation = durable + 1 if isinstance(durable, int) else 0
        state = self.init(ctx)
        ctx.persist(incarnation)
        return replace(state, incarnation=incarnation)

    def _write(
        self, ctx: Context, state: ConsumerState, work: Work, phase: str = "write"
    ) -> tuple[ConsumerState, Work]:
        ids = []
        for i, (key, value) in enumerate(work.entries):
            attempt = (ctx.id, state.incarnation, state.attempts + i)
            ids.append(attempt)
            ctx.send("sink", Write(attempt, work.partition, work.offset + i, key, value))
        state = replace(state, attempts=state.attempts + len(ids))
        return state, replace(work, phase=phase, pending=tuple(ids), since=ctx.now)

    def _put(self, state: ConsumerState, work: Work | None, partition: int) -> ConsumerState:
        rest = tuple(w for w in state.work if w.partition != partition)
        return replace(
            state,
            work=rest if work is None else tuple(sorted((*rest, work), key=lambda w: w.partition)),
        )

    def _done(self, state: ConsumerState, work: Work) -> ConsumerState:
        positions = dict(state.positions)
        positions[work.partition] = work.end
        return replace(
            self._put(state, None, work.partition), positions=tuple(sorted(positions.items()))
        )

    def on_timer(self, ctx: Context, state: ConsumerState, timer: Any) -> ConsumerState:
        c = self.config
        if timer == "heartbeat":
            ctx.set_timer("heartbeat", c.heartbeat)
            ctx.send("coordinator", GroupHeartbeat(state.generation))
            return state
        ctx.set_timer("poll", c.poll_interval)
        unanswered = dict(state.unanswered)
        # a leader that is unknown, or silent for retry_timeout (crashed?): ask who leads now
        # (a Kafka consumer refreshes its metadata when a fetch times out)
        silent = [p for p, t in unanswered.items() if ctx.now - t >= c.retry_timeout]
        if silent or any(lead is None for lead in state.leaders):
            ctx.send("controller", MetadataRequest())
        for p in silent:
            del unanswered[p]  # count the next retry_timeout from the next fetch
        positions = dict(state.positions)
        busy = {w.partition: w for w in state.work}
        for p in state.partitions:
            if p in busy:
                w = busy[p]
                if ctx.now - w.since >= c.retry_timeout:  # no answer: try again
                    if w.phase in ("write", "write-then-done"):
                        state, w = self._write(ctx, state, w, w.phase)
                        state = self._put(state, w, p)
                    else:
                        ctx.send("coordinator", OffsetCommit(state.generation, p, w.end))
            elif p not in positions:
                ctx.send("coordinator", OffsetFetch(p))
            elif (leader := state.leaders[p]) is not None:
                ctx.send(leader, Fetch(p, positions[p]))
                unanswered.setdefault(p, ctx.now)
        return replace(state, unanswered=tuple(sorted(unanswered.items())))

    def on_message(self, ctx: Context, state: ConsumerState, src: str, msg: Any) -> ConsumerState:
        c = self.config
        if isinstance(msg, Metadata):
            return replace(state, leaders=msg.leaders)
        if isinstance(msg, Assignment):
            if msg.partitions is None:
                ctx.send("coordinator", JoinGroup())
                return replace(
                    state, generation=-1, partitions=(), positions=(), work=(), unanswered=()
                )
            if msg.generation < state.generation:
                return state
            keep = set(msg.partitions)
            return replace(
                state,
                generation=msg.generation,
                partitions=msg.partitions,
                unanswered=tuple((p, t) for p, t in state.unanswered if p in keep),
                positions=(),  # read the committed offsets again: others may have moved them
                work=tuple(w for w in state.work if w.partition in keep),
            )
        if isinstance(msg, OffsetFetchReply):
            positions = dict(state.positions)
            if msg.partition in state.partitions and msg.partition not in positions:
                positions[msg.partition] = msg.offset
            return replace(state, positions=tuple(sorted(positions.items())))
        if isinstance(msg, FetchReply):
            p = msg.partition
            state = replace(state, unanswered=tuple(x for x in state.unanswered if x[0] != p))
            positions = dict(state.positions)
            if (
                msg.error is not None
                or p not in state.partitions
                or positions.get(p) != msg.offset
                or not msg.entries
                or any(w.partition == p for w in state.work)
            ):
                if msg.error == "not_leader":
                    ctx.send("controller", MetadataRequest())
                return state
            entries = tuple((e.key, e.value) for e in msg.entries[: c.batch])
            work = Work(p, msg.offset, entries, "commit-first", since=ctx.now)
            if c.commits_first:
                ctx.send("coordinator", OffsetCommit(state.generation, p, work.end))
                return self._put(state, work, p)
            state, work = self._write(ctx, state, work)
            return self._put(state, work, p)
        if isinstance(msg, CommitReply):
            found = next((w for w in state.work if w.partition == msg.partition), None)
            if found is None or found.end != msg.offset:
                return state
            if found.phase not in ("commit-first", "commit-after"):
                return state  # a late copy of a reply already handled
            work = found
            if not msg.ok:  # fenced: the partition is someone else's now
                return self._put(state, None, msg.partition)
            if work.phase == "commit-first":
                if c.policy == "at-most-once":  # write once, never retry: at most once
                    state, work = self._write(ctx, state, work)
                    return self._done(state, work)
                state, work = self._write(ctx, state, work, "write-then-done")
                return self._put(state, work, work.partition)
            return self._done(state, work)
        if isinstance(msg, WriteAck):
            for w in state.work:
                if msg.attempt in w.pending:
                    pending = tuple(a for a in w.pending if a != msg.attempt)
                    if pending:
                        return self._put(state, replace(w, pending=pending), w.partition)
                    if w.phase == "write-then-done":
                        return self._done(state, w)
                    ctx.send("coordinator", OffsetCommit(state.generation, w.partition, w.end))
                    return self._put(
                        state,
                        replace(w, phase="commit-after", pending=(), since=ctx.now),
                        w.partition,
                    )
        return state


def group_system(config: GroupConfig | None = None) -> System:
    """The log's controller, brokers and producers, the coordinator, consumers and sink.

    Parameters
    ----------
    config : GroupConfig, optional

    Returns
    -------
    System

    Examples
    --------
    >>> sorted(group_system().ids)
    ['b1', 'b2', 'b3', 'c1', 'c2', 'controller', 'coordinator', 'p1', 'sink']
    """
    config = GroupConfig() if config is None else config
    if not isinstance(config, GroupConfig):
        raise TypeError(f"group_system: config={config!r} must be a GroupConfig")
    log = log_system(config.log)
    nodes = {i: log[i] for i in log.ids if i != "reader"}
    nodes["coordinator"] = Coordinator(config)
    nodes["sink"] = Sink(idempotent=config.policy == "effectively-once")
    nodes.update({c: GroupConsumer(config) for c in config.consumer_ids})
    return System(nodes)


def group_run(
    config: GroupConfig | None = None,
    seed: int = 0,
    kinds: Sequence[str] = ("crash", "pause"),
    loss: float = 0.02,
    duplication: float = 0.02,
) -> Simulation:
    """One seeded run of a consumer group whose consumers crash and pause.

    Faults hit the consumers only (the log's own faults are ``faulty_run``'s business):
    episodes every 20 time units on average until time 250, each 15 long; a pause longer
    than ``session_timeout`` costs the member its place, and a rebalance. The run goes on
    to time 600 so the group catches up.

    Parameters
    ----------
    config : GroupConfig, optional
    seed : int, default 0
    kinds : sequence of {"crash", "pause", "partition", "loss"}, default ("crash", "pause")
    loss, duplication : float, default 0.02

    Returns
    -------
    Simulation

    Examples
    --------
    >>> group_run(seed=1).states["coordinator"].rebalances > 2
    True
    """
    config = GroupConfig() if config is None else config
    if not isinstance(config, GroupConfig):
        raise TypeError(f"group_run: config={config!r} must be a GroupConfig")
    return consumers_under_faults(
        group_system(config), config.consumer_ids, seed, kinds, loss, duplication, 250.0, 600.0
    )


def consumer_crash_scenario(config: GroupConfig | None = None) -> Simulation:
    """A fixed schedule: consumer ``c1`` crashes at time 12.5 and restarts at 32.5.

    With the default settings ``c1`` fetches the first record of partition 0 at time 12.
    A consumer that commits first has sent the commit (it reaches the coordinator at 13)
    and not yet written the record when it crashes, so the record is skipped; one that
    processes first has sent the write and not the commit, so the record is at worst
    processed twice. No other fault, no loss; run to time 400.

    Parameters
    ----------
    config : GroupConfig, optional
        Default ``GroupConfig()``.

    Returns
    -------
    Simulation

    Raises
    ------
    TypeError
        If ``config`` is not a ``GroupConfig``.

    Examples
    --------
    The record is processed twice by the correct consumer (at-least-once allows it) and
    lost by the one that commits first:

    >>> judge_group(consumer_crash_scenario()).summary()
    'at-least-once: ok (lost 0, duplicated 1, reordered 0, phantom 0)'
    >>> broken = GroupConfig(mutant="commit_before_processing")
    >>> judge_group(consumer_crash_scenario(broken)).summary()
    'at-least-once: 1 lost (duplicated 0, reordered 0, phantom 0)'
    """
    from dslib.sim.nemesis import Crash, Nemesis, Restart

    config = GroupConfig() if config is None else config
    if not isinstance(config, GroupConfig):
        raise TypeError(f"consumer_crash_scenario: config={config!r} must be a GroupConfig")
    nemesis = Nemesis([(12.5, Crash("c1")), (32.5, Restart("c1"))])
    sim = Simulation(
        group_system(config),
        seed=0,
        network=Network(latency=1.0),
        nemesis=nemesis,
        record_trace=False,
    )
    return sim.run(until=400.0)


def consumers_under_faults(
    system: System,
    victims: Sequence[str],
    seed: int,
    kinds: Sequence[str],
    loss: float,
    duplication: float,
    faults_until: float,
    until: float,
) -> Simulation:
    """Run ``system`` with faults of ``kinds`` on ``victims`` only (episodes every 20 time
    units on average, each 15 long, until ``faults_until``), a network of latency 1 with
    ``loss`` and ``duplication``, to time ``until``: the runs of ``group_run`` and
    ``dslib.queues.workqueue.work_queue_run``.

    Examples
    --------
    >>> sim = consumers_under_faults(group_system(), ["c1"], 1, ["pause"], 0.0, 0.0, 50.0, 100.0)
    >>> sim.now
    100.0
    """
    nemesis = RandomNemesis(
        until=faults_until, kinds=tuple(kinds), mean_interval=20.0, duration=15.0, nodes=victims
    )
    network = Network(latency=1.0, loss=loss, duplication=duplication)
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis, record_trace=False)
    return sim.run(until=until)


def judge_group(sim: Simulation, guarantee: str | Sequence[str] | None = None) -> QueueCheckResult:
    """``check_queue`` on what the producers sent and the sink stored.

    Parameters
    ----------
    sim : Simulation
        A finished ``group_run``.
    guarantee : str or sequence of str, optional
        Default: the one the group's policy claims (effectively-once: exactly-once).

    Returns
    -------
    QueueCheckResult

    Examples
    --------
    >>> judge_group(group_run(GroupConfig(policy="at-most-once"), seed=2)).ok
    True
    """
    consumer = next(n for n in sim.system.ids if isinstance(sim.system[n], GroupConsumer))
    config: GroupConfig = sim.system[consumer].config  # type: ignore[attr-defined]
    if guarantee is None:
        guarantee = GUARANTEE_OF[config.policy]
    sends = producer_sends(sim.states)
    receives = [
        Receive(value, consumer="sink", key=key, partition=p, offset=o)
        for _, p, o, key, value in sim.states["sink"].stored
    ]
    return check_queue(sends, receives, guarantee)


def group_catch_rate(config: GroupConfig, seeds: Sequence[int], guarantee: str) -> tuple[int, int]:
    """``(failing runs, runs)`` of ``group_run`` judged by ``guarantee``.

    Examples
    --------
    >>> c = GroupConfig(mutant="commit_before_processing")
    >>> group_catch_rate(c, range(3), "at-least-once")[0] > 0
    True
    """
    caught = sum(not judge_group(group_run(config, s), guarantee).ok for s in seeds)
    return caught, len(seeds)
