"""A partitioned, replicated log in the style of Kafka, as nodes.

A *topic* is split into *partitions*; each partition is an append-only log of records,
replicated on ``replication_factor`` brokers. One replica of each partition is its
*leader*: producers append to it and the other replicas, the *followers*, copy it by
fetching, as a consumer would (Kreps, Narkhede and Rao, "Kafka: a Distributed Messaging
System for Log Processing", NetDB 2011, sections 3.1-3.3; replication came later, in
Kafka 0.8: the documentation's section "Replication").

The pieces, each one rule of the design:

- **Partition choice.** A producer sends a record with a key to partition
  ``crc32(key) % partitions`` (same key, same partition: per-key order), or round robin
  (``LogConfig(partitioner="round-robin")``).
- **acks.** ``acks=0``: the producer does not wait (it counts the record as sent);
  ``acks=1``: the leader answers once the record is in *its* log; ``acks="all"``: once
  every replica of the *in-sync set* (ISR) has it.
- **In-sync replicas.** A follower that has not caught up with the leader's log end for
  ``lag_time`` leaves the ISR; one that has caught up to the high watermark joins it again.
  The leader only *asks* the controller to change the ISR (``AlterIsr``): the controller
  elects leaders from the ISR it holds, so that set must never name a replica that may
  miss an acknowledged record. Until the controller answers, the leader counts the union
  of the old and the requested set (the "maximal ISR" of KIP-497).
- **min_insync.** With ``acks="all"``, the leader refuses a record (``not_enough_replicas``)
  when the ISR has fewer than ``min_insync`` members, so an acknowledged record is on at
  least that many brokers.
- **High watermark.** The offset below which every ISR member holds the log: records
  below it are *committed*. Consumers read only below it; ``acks="all"`` answers when
  it passes the record.
- **Controller.** One node (Kafka's controller; ZooKeeper or KRaft keeps it available;
  here it does not crash) hears brokers' heartbeats. When a leader's broker is silent for
  ``session_timeout`` it elects a new leader *from the ISR*, with a new *leader epoch*.
  If no ISR member is alive the partition stays offline, unless ``unclean=True``: then
  any live replica is elected, and records only the old ISR had are lost.
- **Truncation by leader epoch.** Every record carries the epoch of the leader that wrote
  it. A follower fetches with its log end and the epoch of its last record; the leader
  answers with the largest epoch it knows not above that one and where that epoch ends in
  its log, and the follower cuts its log there before it copies anything (KIP-101, and
  KIP-279 for the largest epoch "not above"). A former leader that rejoins so loses the
  records it wrote but never committed, and its log matches the new leader's.
- **Idempotent producers.** With ``idempotent=True`` each record carries the producer's
  id and a sequence number per partition; the leader appends a record only if its
  sequence number is above the last one of that producer in the log, so a retried send is
  written once (KIP-98, the idempotent producer). The producer keeps one request in
  flight per partition, so sequence numbers arrive in order.
- **Batching.** The producer sends a partition's waiting records together, up to
  ``batch_size`` *records* in one ``Produce`` request, once the batch is full or its
  oldest record has waited ``linger`` (Kafka's ``batch.size``, counted in records here
  rather than bytes, and ``linger.ms``). The leader appends a batch at once, answers it
  with one ``ProduceReply`` (``acks`` applies to the batch: ``"all"`` answers when the
  high watermark passes its last record), and checks sequence numbers record by record,
  so a retried batch is written once. A leader spends ``request_cost`` time units on
  each produce request and ``record_cost`` on each record in it, one request after the
  other: the per-request cost that batching amortises (both 0 by default: requests are
  served at once). With the defaults, ``batch_size=1`` and ``linger=0``, the producer
  sends each record alone as soon as the previous one is answered.

Logs are durable: a broker persists its logs and high watermarks (Kafka relies on
replication rather than on ``fsync``; a model that loses unflushed writes on a crash would
make ``min_insync`` matter more, see Notes of ``LogConfig``).

``MUTANTS`` names the deliberately broken versions (``LogConfig(mutant=...)``); each sits
one line from the rule it breaks; ``dslib.queues.checks`` names the check that catches it.

Examples
--------
>>> from dslib import Simulation
>>> config = LogConfig(partitions=2, messages=6)
>>> sim = Simulation(log_system(config), seed=1).run(until=200.0)
>>> sends, receives = sends_and_receives(sim.states)
>>> len(sends), sum(s.acknowledged for s in sends), len(receives)
(6, 6, 6)
>>> sim.states["b1"].replicas[0].leader, sim.states["b1"].replicas[0].isr
('b1', ('b1', 'b2', 'b3'))

References
----------
.. [1] J. Kreps, N. Narkhede, J. Rao, "Kafka: a Distributed Messaging System for Log
   Processing", NetDB 2011, sections 3.1 (efficiency on a single partition: the log,
   offsets), 3.2 (distributed coordination: partitions, consumer groups) and 3.3
   (delivery guarantees: at-least-once, order within a partition). The paper's Kafka has
   no replication: section 3.3 ends by planning it.
.. [2] Apache Kafka documentation, Design chapter, section "Replication" (the ISR, the
   high watermark, unclean leader election, min.insync.replicas).
.. [3] KIP-101 "Alter Replication Protocol to use Leader Epoch rather than High Watermark
   for Truncation"; KIP-279 "Fix log divergence between leader and follower after fast
   leader fail over"; KIP-497 "Add inter-broker API to alter ISR" (the maximal ISR);
   KIP-98 "Exactly Once Delivery and Transactional Messaging" (idempotent producer).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import check_mutant
from dslib.queues.checker import Receive, Send

__all__ = [
    "ACKS",
    "MUTANTS",
    "AlterIsr",
    "Broker",
    "BrokerState",
    "Controller",
    "ControllerState",
    "Entry",
    "Fetch",
    "FetchReply",
    "Heartbeat",
    "LeaderAndIsr",
    "LogConfig",
    "LogReader",
    "Metadata",
    "MetadataRequest",
    "PartitionInfo",
    "Produce",
    "ProduceReply",
    "Producer",
    "ProducerState",
    "ReaderState",
    "Replica",
    "final_logs",
    "log_system",
    "partition_for",
    "producer_sends",
    "sends_and_receives",
]

ACKS = (0, 1, "all")
"""The allowed values of ``LogConfig.acks``."""

PARTITIONERS = ("key", "round-robin")

MUTANTS: dict[str, str] = {
    "ack_before_isr": "with acks='all' the leader answers once the record is in its own log, "
    "before the in-sync replicas have it",
    "unclean_election": "unclean leader election is on by mistake: with no in-sync replica "
    "alive, the controller elects an out-of-sync one",
    "hw_past_isr": "the leader advances the high watermark to its own log end, past what "
    "the in-sync replicas hold",
    "retry_without_idempotence": "the producer claims idempotence but sends retries without "
    "its producer id and sequence number, so the leader cannot tell them from new records",
}
"""Broken versions of the log, by name, with what is wrong."""


def _check_time(owner: str, allow_zero: bool = False, **values: float) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise TypeError(f"{owner}: {name}={v!r} must be a finite number")
        if v < 0 or (v == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise ValueError(f"{owner}: {name}={v!r} must be {bound} (a time in simulated units)")


def _check_count(owner: str, name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}: {name}={value!r} must be an int")
    if value < low:
        raise ValueError(f"{owner}: {name}={value!r} must be >= {low}")


@dataclass(frozen=True)
class LogConfig:
    """The topic, the brokers, the producer's and the reader's settings, and the mutant.

    Parameters
    ----------
    brokers : int, default 3
        Brokers ``b1 .. bN``.
    partitions : int, default 1
        Partitions of the one topic, numbered from 0.
    replication_factor : int, default 3
        Replicas of each partition (partition ``p`` lives on brokers ``p, p+1, ...``
        modulo ``brokers``; the first is the preferred leader).
    min_insync : int, default 2
        ``min.insync.replicas``: with ``acks="all"`` the ISR must have this many members.
    acks : {0, 1, "all"}, default "all"
    unclean : bool, default False
        ``unclean.leader.election.enable``.
    idempotent : bool, default True
        The producer sends its id and a sequence number, and leaders drop repeats.
    partitioner : {"key", "round-robin"}, default "key"
    producers : int, default 1
        Producers ``p1 .. pN``; each sends ``messages`` records.
    messages : int, default 20
        Records per producer, one every ``send_interval``.
    keys : int, default 3
        Records are keyed ``k0 .. k{keys-1}``, in turn.
    send_interval, retry_timeout, heartbeat, session_timeout, lag_time, fetch_interval, tick : float
        Times in simulated units: between two new records; before a producer resends;
        between heartbeats; silence after which the controller counts a broker dead; lag
        after which a follower leaves the ISR; between fetches; between the controller's
        and leaders' periodic checks.
    batch_size : int, default 1
        Most *records* (not bytes) in one produce request for one partition.
    linger : float, default 0.0
        How long a producer waits for a batch to fill: a batch smaller than
        ``batch_size`` is sent once its oldest record has waited ``linger``.
    request_cost, record_cost : float, default 0.0
        Time a leader spends serving one produce request, and one record of it; requests
        are served one at a time, in arrival order. 0 and 0: served on arrival.
    mutant : str or None, default None
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError
        If a count or time is out of range (``linger`` and the costs may be 0, other times
        must be > 0), ``min_insync`` exceeds ``replication_factor``,
        ``replication_factor`` exceeds ``brokers``, or ``acks``, ``partitioner`` or
        ``mutant`` is not one of the allowed values.
    TypeError
        If a number has the wrong type.

    Notes
    -----
    Kafka acknowledges a record once it is in the page cache of the ISR, not on disk; a
    crash of every ISR member at once can lose it. Here logs are durable, so with
    ``acks="all"`` and clean elections nothing acknowledged is lost whatever
    ``min_insync`` is: ``min_insync`` matters when an election is unclean.

    Examples
    --------
    >>> LogConfig(min_insync=4)
    Traceback (most recent call last):
    ...
    ValueError: LogConfig: min_insync=4 exceeds replication_factor=3; allowed: 1 to 3
    >>> LogConfig(acks=2)
    Traceback (most recent call last):
    ...
    ValueError: LogConfig: acks=2; allowed: 0, 1 or 'all'
    >>> LogConfig(batch_size=0)
    Traceback (most recent call last):
    ...
    ValueError: LogConfig: batch_size=0 must be >= 1
    >>> LogConfig(linger=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: LogConfig: linger=-1.0 must be >= 0 (a time in simulated units)
    """

    brokers: int = 3
    partitions: int = 1
    replication_factor: int = 3
    min_insync: int = 2
    acks: int | str = "all"
    unclean: bool = False
    idempotent: bool = True
    partitioner: str = "key"
    producers: int = 1
    messages: int = 20
    keys: int = 3
    send_interval: float = 5.0
    retry_timeout: float = 15.0
    heartbeat: float = 3.0
    session_timeout: float = 12.0
    lag_time: float = 12.0
    fetch_interval: float = 2.0
    tick: float = 4.0
    batch_size: int = 1
    linger: float = 0.0
    request_cost: float = 0.0
    record_cost: float = 0.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        owner = "LogConfig"
        for name in ("brokers", "partitions", "replication_factor", "min_insync", "producers"):
            _check_count(owner, name, getattr(self, name), 1)
        _check_count(owner, "messages", self.messages, 0)
        _check_count(owner, "keys", self.keys, 1)
        _check_count(owner, "batch_size", self.batch_size, 1)
        if self.replication_factor > self.brokers:
            raise ValueError(
                f"{owner}: replication_factor={self.replication_factor} exceeds "
                f"brokers={self.brokers}; allowed: 1 to {self.brokers}"
            )
        if self.min_insync > self.replication_factor:
            raise ValueError(
                f"{owner}: min_insync={self.min_insync} exceeds replication_factor="
                f"{self.replication_factor}; allowed: 1 to {self.replication_factor}"
            )
        if self.acks not in ACKS or isinstance(self.acks, bool):
            raise ValueError(f"{owner}: acks={self.acks!r}; allowed: 0, 1 or 'all'")
        if self.partitioner not in PARTITIONERS:
            raise ValueError(
                f"{owner}: partitioner={self.partitioner!r}; allowed: {list(PARTITIONERS)}"
            )
        for name in ("unclean", "idempotent"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{owner}: {name}={getattr(self, name)!r} must be True or False")
        _check_time(
            owner,
            send_interval=self.send_interval,
            retry_timeout=self.retry_timeout,
            heartbeat=self.heartbeat,
            session_timeout=self.session_timeout,
            lag_time=self.lag_time,
            fetch_interval=self.fetch_interval,
            tick=self.tick,
        )
        _check_time(
            owner,
            allow_zero=True,
            linger=self.linger,
            request_cost=self.request_cost,
            record_cost=self.record_cost,
        )
        check_mutant(owner, self.mutant, MUTANTS)

    @property
    def serves_at_once(self) -> bool:
        """Whether leaders serve produce requests on arrival (both costs 0)."""
        return self.request_cost == 0 and self.record_cost == 0

    def service_time(self, records: int) -> float:
        """The time a leader spends on a produce request of ``records`` records.

        Examples
        --------
        >>> LogConfig(request_cost=0.5, record_cost=0.02).service_time(10)
        0.7
        """
        return self.request_cost + self.record_cost * records

    @property
    def broker_ids(self) -> tuple[str, ...]:
        """``("b1", ..., "bN")``."""
        return tuple(f"b{i + 1}" for i in range(self.brokers))

    @property
    def producer_ids(self) -> tuple[str, ...]:
        """``("p1", ..., "pN")``."""
        return tuple(f"p{i + 1}" for i in range(self.producers))

    def replicas(self, partition: int) -> tuple[str, ...]:
        """The brokers that hold ``partition``, preferred leader first."""
        ids = self.broker_ids
        return tuple(ids[(partition + i) % len(ids)] for i in range(self.replication_factor))


def partition_for(key: Hashable, partitions: int) -> int:
    """The partition of a key: ``crc32(str(key)) % partitions`` (stable across runs).

    Examples
    --------
    >>> [partition_for(k, 3) for k in ("k0", "k1", "k2", "k0")]
    [0, 1, 0, 0]
    """
    return zlib.crc32(str(key).encode()) % partitions


# -- records and messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One record of a partition's log, with the epoch of the leader that appended it.

    Examples
    --------
    >>> Entry(epoch=3, key="k0", value="p1-7", producer_id="p1", seq=7)
    Entry(epoch=3, key='k0', value='p1-7', producer_id='p1', seq=7)
    """

    epoch: int
    key: Hashable
    value: Hashable
    producer_id: str | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Heartbeat:
    """Broker -> controller: I am alive (``restarted`` on the first one after a restart)."""

    restarted: bool = False


@dataclass(frozen=True)
class LeaderAndIsr:
    """Controller -> replicas: the partition's leader, its epoch and the ISR."""

    partition: int
    leader: str | None
    epoch: int
    isr: tuple[str, ...]
    isr_version: int


@dataclass(frozen=True)
class AlterIsr:
    """Leader -> controller: please change the ISR of ``partition`` to ``isr``."""

    partition: int
    epoch: int
    isr_version: int
    isr: tuple[str, ...]


@dataclass(frozen=True)
class MetadataRequest:
    """Client -> controller: who leads each partition?"""


@dataclass(frozen=True)
class Metadata:
    """Controller -> client: ``leaders[p]`` leads partition ``p`` (``None``: offline)."""

    leaders: tuple[str | None, ...]


@dataclass(frozen=True)
class Produce:
    """Producer -> leader: append a batch of records (with ``producer_id`` and ``seq`` if
    idempotent).

    ``key``, ``value`` and ``seq`` are the batch's first record; ``more`` holds the others,
    each ``(key, value, seq)``, with consecutive sequence numbers (empty for a batch of one).

    Examples
    --------
    >>> batch = Produce(0, "k0", "p1-0", "all", "p1", 0, more=(("k1", "p1-1", 1),))
    >>> batch.records, batch.size
    ((('k0', 'p1-0', 0), ('k1', 'p1-1', 1)), 2)
    """

    partition: int
    key: Hashable
    value: Hashable
    acks: int | str
    producer_id: str | None = None
    seq: int | None = None
    more: tuple[tuple[Hashable, Hashable, int | None], ...] = ()

    @property
    def records(self) -> tuple[tuple[Hashable, Hashable, int | None], ...]:
        """Every record of the batch, ``(key, value, seq)``, first to last."""
        return ((self.key, self.value, self.seq), *self.more)

    @property
    def size(self) -> int:
        """The number of records in the batch."""
        return 1 + len(self.more)


@dataclass(frozen=True)
class ProduceReply:
    """Leader -> producer: the batch that begins with ``value`` and has ``count`` records.

    ``error`` is ``None`` or a reason; ``offset`` is where the batch's first record was
    written.
    """

    partition: int
    value: Hashable
    error: str | None = None
    offset: int | None = None
    count: int = 1


@dataclass(frozen=True)
class Fetch:
    """Follower or reader -> leader: records from ``offset`` on.

    A follower sends its ``epoch`` (the leader epoch it follows) and ``last_epoch`` (the
    epoch of its last record, -1 if none); a reader sends ``epoch=None``.
    """

    partition: int
    offset: int
    epoch: int | None = None
    last_epoch: int = -1


@dataclass(frozen=True)
class FetchReply:
    """Leader -> fetcher: ``entries`` from ``offset``, the high watermark, or a divergence.

    ``diverging`` is ``(epoch, end_offset)``: the largest epoch of the leader's log not above
    the fetcher's ``last_epoch`` and the offset where it ends; the follower truncates there.
    """

    partition: int
    epoch: int
    offset: int
    entries: tuple[Entry, ...] = ()
    high_watermark: int = 0
    diverging: tuple[int, int] | None = None
    error: str | None = None


# -- the controller ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionInfo:
    """What the controller holds for one partition."""

    leader: str | None
    epoch: int
    isr: tuple[str, ...]
    isr_version: int = 0


@dataclass(frozen=True)
class ControllerState:
    """``heard[i]``: when broker ``config.broker_ids[i]`` was last heard; the partitions."""

    heard: tuple[float, ...]
    partitions: tuple[PartitionInfo, ...]
    elections: tuple[tuple[float, int, str, int, bool], ...] = ()
    """(time, partition, new leader, epoch, unclean) of every election."""


class Controller(Node[ControllerState]):
    """Elects partition leaders and holds the ISR (Kafka's controller)."""

    def __init__(self, config: LogConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> ControllerState:
        c = self.config
        parts = tuple(
            PartitionInfo(c.replicas(p)[0], 0, tuple(sorted(c.replicas(p))))
            for p in range(c.partitions)
        )
        ctx.set_timer("tick", c.tick)
        state = ControllerState(tuple(0.0 for _ in c.broker_ids), parts)
        for p in range(c.partitions):
            self._announce(ctx, state, p)
        return state

    def alive(self, state: ControllerState, now: float) -> tuple[str, ...]:
        """The brokers heard from within ``session_timeout``, sorted."""
        ids = self.config.broker_ids
        return tuple(
            b
            for b, t in zip(ids, state.heard, strict=True)
            if now - t < self.config.session_timeout
        )

    def _announce(self, ctx: Context, state: ControllerState, p: int) -> None:
        info = state.partitions[p]
        msg = LeaderAndIsr(p, info.leader, info.epoch, info.isr, info.isr_version)
        for b in self.config.replicas(p):
            ctx.send(b, msg)

    def elect(self, state: ControllerState, p: int, alive: tuple[str, ...]) -> tuple[str, bool]:
        """The new leader of ``p`` and whether the election is unclean ("" if none)."""
        info = state.partitions[p]
        clean = [b for b in self.config.replicas(p) if b in info.isr and b in alive]
        if clean:
            return clean[0], False
        if self.config.unclean or self.config.mutant == "unclean_election":
            dirty = [b for b in self.config.replicas(p) if b in alive]
            if dirty:
                return dirty[0], True
        return "", False

    def on_timer(self, ctx: Context, state: ControllerState, timer: Any) -> ControllerState:
        ctx.set_timer("tick", self.config.tick)
        alive = self.alive(state, ctx.now)
        parts = list(state.partitions)
        elections = state.elections
        for p, info in enumerate(parts):
            if info.leader is None or info.leader not in alive:
                leader, unclean = self.elect(state, p, alive)
                if leader:
                    isr = (leader,) if unclean else tuple(sorted({*info.isr} & {*alive} | {leader}))
                    parts[p] = PartitionInfo(leader, info.epoch + 1, isr, info.isr_version + 1)
                    elections += ((ctx.now, p, leader, info.epoch + 1, unclean),)
                elif info.leader is not None:
                    parts[p] = replace(info, leader=None, epoch=info.epoch + 1)
        state = replace(state, partitions=tuple(parts), elections=elections)
        for p in range(len(parts)):  # resend: a lost announcement must not stall anyone
            self._announce(ctx, state, p)
        return state

    def on_message(
        self, ctx: Context, state: ControllerState, src: str, msg: Any
    ) -> ControllerState:
        ids = self.config.broker_ids
        if isinstance(msg, Heartbeat) and src in ids:
            i = ids.index(src)
            state = replace(state, heard=(*state.heard[:i], ctx.now, *state.heard[i + 1 :]))
            if msg.restarted:  # it lost its roles: tell it again
                for p in range(self.config.partitions):
                    if src in self.config.replicas(p):
                        info = state.partitions[p]
                        ctx.send(
                            src,
                            LeaderAndIsr(p, info.leader, info.epoch, info.isr, info.isr_version),
                        )
            return state
        if isinstance(msg, AlterIsr):
            info = state.partitions[msg.partition]
            if (
                info.leader == src
                and info.epoch == msg.epoch
                and info.isr_version == msg.isr_version
            ):
                new = replace(info, isr=msg.isr, isr_version=info.isr_version + 1)
                parts = list(state.partitions)
                parts[msg.partition] = new
                state = replace(state, partitions=tuple(parts))
            self._announce(ctx, state, msg.partition)
            return state
        if isinstance(msg, MetadataRequest):
            ctx.send(src, Metadata(tuple(i.leader for i in state.partitions)))
            return state
        return state


# -- the brokers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replica:
    """One broker's replica of one partition.

    ``log`` and ``high_watermark`` are durable; the rest is what the broker learned from
    the controller (``leader``, ``epoch``, ``isr``, ``isr_version``) and, on the leader,
    the followers' log ends, when each last caught up, the ISR change it asked for
    (``pending_isr``) and the ``acks="all"`` answers it owes: ``(offset, producer, value,
    count)``, one per batch, ``offset`` being its last record's.
    """

    log: tuple[Entry, ...] = ()
    high_watermark: int = 0
    leader: str | None = None
    epoch: int = -1
    isr: tuple[str, ...] = ()
    isr_version: int = -1
    follower_end: tuple[tuple[str, int], ...] = ()
    caught_up: tuple[tuple[str, float], ...] = ()
    pending_isr: tuple[str, ...] | None = None
    waiting: tuple[tuple[int, str, Hashable, int], ...] = ()

    @property
    def log_end(self) -> int:
        """The offset the next record gets (Kafka's log end offset)."""
        return len(self.log)

    @property
    def last_epoch(self) -> int:
        """The epoch of the last record, -1 if the log is empty."""
        return self.log[-1].epoch if self.log else -1

    def maximal_isr(self) -> tuple[str, ...]:
        """The ISR the leader counts: the current one and any it asked for (KIP-497)."""
        return tuple(sorted({*self.isr, *(self.pending_isr or ())}))

    def epoch_end(self, epoch: int) -> tuple[int, int]:
        """``(e, end)``: the largest epoch ``e <= epoch`` in the log and where it ends.

        What a leader answers a follower whose last record has epoch ``epoch``
        (KIP-101's ``OffsetsForLeaderEpoch``, with KIP-279's "largest epoch not above").

        Examples
        --------
        A leader that wrote in epochs 0 and 2; a follower last wrote in epoch 1 (as a
        leader that was deposed): it must cut its log at offset 2, the end of epoch 0.

        >>> leader = Replica(log=(Entry(0, "k", "a"), Entry(0, "k", "b"), Entry(2, "k", "c")))
        >>> leader.epoch_end(1), leader.epoch_end(2), leader.epoch_end(5)
        ((0, 2), (2, 3), (2, 3))
        """
        best = -1
        for entry in self.log:
            if entry.epoch <= epoch:
                best = max(best, entry.epoch)
        end = next((i for i, e in enumerate(self.log) if e.epoch > best), len(self.log))
        return best, end


@dataclass(frozen=True)
class BrokerState:
    """A broker: one ``Replica`` per partition (empty for partitions it does not hold).

    ``requests`` are the produce requests waiting to be served, ``(producer, request)``,
    the first one being served (only when ``LogConfig`` gives requests a cost).
    """

    replicas: tuple[Replica, ...]
    registered: bool = True
    requests: tuple[tuple[str, Produce], ...] = ()


def _lookup(pairs: tuple[tuple[str, Any], ...], key: str, default: Any) -> Any:
    return next((v for k, v in pairs if k == key), default)


def _assign(
    pairs: tuple[tuple[str, Any], ...], key: str, value: Any
) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted({**dict(pairs), key: value}.items()))


class Broker(Node[BrokerState]):
    """A Kafka broker: leader of some partitions, follower of others."""

    def __init__(self, config: LogConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> BrokerState:
        ctx.set_timer("heartbeat", self.config.heartbeat)
        ctx.set_timer("fetch", self.config.fetch_interval)
        ctx.set_timer("tick", self.config.tick)
        ctx.send("controller", Heartbeat())
        return BrokerState(tuple(Replica() for _ in range(self.config.partitions)))

    def on_recover(self, ctx: Context, durable: Any) -> BrokerState:
        state = self.init(ctx)
        ctx.send("controller", Heartbeat(restarted=True))
        if durable is NOTHING_PERSISTED:
            return state
        return BrokerState(tuple(Replica(log, hw) for log, hw in durable))

    def _persist(self, ctx: Context, state: BrokerState) -> None:
        ctx.persist(tuple((r.log, r.high_watermark) for r in state.replicas))

    @staticmethod
    def _put(state: BrokerState, p: int, replica: Replica) -> BrokerState:
        rs = state.replicas
        return replace(state, replicas=(*rs[:p], replica, *rs[p + 1 :]))

    # -- timers
    def on_timer(self, ctx: Context, state: BrokerState, timer: Any) -> BrokerState:
        c = self.config
        if timer == "heartbeat":
            ctx.set_timer("heartbeat", c.heartbeat)
            ctx.send("controller", Heartbeat())
        elif timer == "fetch":
            ctx.set_timer("fetch", c.fetch_interval)
            for p, r in enumerate(state.replicas):
                if r.leader is not None and r.leader != ctx.id and ctx.id in c.replicas(p):
                    ctx.send(r.leader, Fetch(p, r.log_end, r.epoch, r.last_epoch))
        elif timer == "serve" and state.requests:
            (src, msg), rest = state.requests[0], state.requests[1:]
            if rest:
                ctx.set_timer("serve", c.service_time(rest[0][1].size))
            return self._produce(ctx, replace(state, requests=rest), src, msg)
        elif timer == "tick":
            ctx.set_timer("tick", c.tick)
            for p, r in enumerate(state.replicas):
                if r.leader == ctx.id and r.pending_isr is None:
                    self._shrink_isr(ctx, p, r)
                elif r.leader == ctx.id and r.pending_isr is not None:  # resend the request
                    ctx.send("controller", AlterIsr(p, r.epoch, r.isr_version, r.pending_isr))
        return state

    def _shrink_isr(self, ctx: Context, p: int, r: Replica) -> None:
        lagging = [
            f
            for f in r.isr
            if f != ctx.id and ctx.now - _lookup(r.caught_up, f, 0.0) > self.config.lag_time
        ]
        if lagging:
            isr = tuple(f for f in r.isr if f not in lagging)
            ctx.send("controller", AlterIsr(p, r.epoch, r.isr_version, isr))
            # the shrink takes effect when the controller confirms; until then the leader
            # keeps counting the larger set. (pending_isr is not set for a shrink.)

    # -- messages
    def on_message(self, ctx: Context, state: BrokerState, src: str, msg: Any) -> BrokerState:
        if isinstance(msg, LeaderAndIsr):
            return self._leader_and_isr(ctx, state, msg)
        if isinstance(msg, Produce):
            if self.config.serves_at_once:
                return self._produce(ctx, state, src, msg)
            if not state.requests:  # idle: start serving it
                ctx.set_timer("serve", self.config.service_time(msg.size))
            return replace(state, requests=(*state.requests, (src, msg)))
        if isinstance(msg, Fetch):
            return self._fetch(ctx, state, src, msg)
        if isinstance(msg, FetchReply):
            return self._fetched(ctx, state, msg)
        return state

    def _leader_and_isr(self, ctx: Context, state: BrokerState, msg: LeaderAndIsr) -> BrokerState:
        p = msg.partition
        r = state.replicas[p]
        if (msg.epoch, msg.isr_version) < (r.epoch, r.isr_version):
            return state  # stale
        if msg.epoch == r.epoch and msg.isr_version == r.isr_version and msg.leader == r.leader:
            return state
        if msg.epoch != r.epoch or msg.leader != r.leader:  # a new leadership
            r = replace(
                r,
                leader=msg.leader,
                epoch=msg.epoch,
                follower_end=(),
                caught_up=tuple((f, ctx.now) for f in sorted(msg.isr)),
                pending_isr=None,
                waiting=(),
            )
        r = replace(r, isr=msg.isr, isr_version=msg.isr_version)
        if r.pending_isr is not None and set(r.pending_isr) <= set(msg.isr):
            r = replace(r, pending_isr=None)
        if r.leader == ctx.id:
            r = self._advance(ctx, p, r)
        return self._put(state, p, r)

    def _produce(self, ctx: Context, state: BrokerState, src: str, msg: Produce) -> BrokerState:
        p, c = msg.partition, self.config
        r = state.replicas[p]

        def answer(error: str | None, offset: int | None = None) -> None:
            if msg.acks != 0:
                ctx.send(src, ProduceReply(p, msg.value, error, offset, msg.size))

        if r.leader != ctx.id:
            answer("not_leader")
            return state
        if msg.acks == "all" and len(r.isr) < c.min_insync:
            answer("not_enough_replicas")
            return state
        seqs: list[tuple[int, int]] = []
        if msg.producer_id is not None:
            seqs = [
                (e.seq, i)
                for i, e in enumerate(r.log)
                if e.producer_id == msg.producer_id and e.seq is not None
            ]
        last_seq = max(seqs)[0] if seqs else -1
        offsets = []
        for key, value, seq in msg.records:
            if msg.producer_id is not None and seq is not None and seq <= last_seq:
                # a repeat: do not write it again
                offsets.append(next((i for s, i in seqs if s == seq), max(seqs)[1]))
                continue
            r = replace(r, log=(*r.log, Entry(r.epoch, key, value, msg.producer_id, seq)))
            offsets.append(r.log_end - 1)
        if msg.acks == "all" and c.mutant != "ack_before_isr":
            r = replace(r, waiting=(*r.waiting, (max(offsets), src, msg.value, msg.size)))
        else:
            answer(None, offsets[0])  # acks=1 (and the mutant's acks=all): in my log is enough
        state = self._put(state, p, self._advance(ctx, p, r))
        self._persist(ctx, state)
        return state

    def _advance(self, ctx: Context, p: int, r: Replica) -> Replica:
        """Move the high watermark up to what every ISR member holds; answer acks=all."""
        ends = [
            r.log_end if b == ctx.id else _lookup(r.follower_end, b, 0) for b in r.maximal_isr()
        ]
        new = min(ends) if ends else r.log_end
        if self.config.mutant == "hw_past_isr":
            new = r.log_end  # broken: my own log end, whatever the followers hold
        hw = max(r.high_watermark, min(new, r.log_end))
        owed = []
        for offset, producer, value, count in r.waiting:
            if offset < hw:
                ok = len(r.isr) >= self.config.min_insync
                error = None if ok else "not_enough_replicas_after_append"
                ctx.send(producer, ProduceReply(p, value, error, offset - count + 1, count))
            else:
                owed.append((offset, producer, value, count))
        return replace(r, high_watermark=hw, waiting=tuple(owed))

    def _fetch(self, ctx: Context, state: BrokerState, src: str, msg: Fetch) -> BrokerState:
        p = msg.partition
        r = state.replicas[p]
        if r.leader != ctx.id or (msg.epoch is not None and msg.epoch != r.epoch):
            ctx.send(src, FetchReply(p, r.epoch, msg.offset, error="not_leader"))
            return state
        if msg.epoch is None:  # a reader: committed records only
            entries = r.log[msg.offset : r.high_watermark]
            ctx.send(src, FetchReply(p, r.epoch, msg.offset, entries, r.high_watermark))
            return state
        if msg.offset > 0:
            epoch, end = r.epoch_end(msg.last_epoch)
            if epoch != msg.last_epoch or end < msg.offset:
                ctx.send(src, FetchReply(p, r.epoch, msg.offset, diverging=(epoch, end)))
                return state
        r = replace(r, follower_end=_assign(r.follower_end, src, msg.offset))
        if msg.offset >= r.log_end:
            r = replace(r, caught_up=_assign(r.caught_up, src, ctx.now))
        r = self._advance(ctx, p, r)
        if src not in r.maximal_isr() and msg.offset >= r.high_watermark and r.pending_isr is None:
            pending = tuple(sorted({*r.isr, src}))
            r = replace(r, pending_isr=pending, caught_up=_assign(r.caught_up, src, ctx.now))
            ctx.send("controller", AlterIsr(p, r.epoch, r.isr_version, pending))
        ctx.send(src, FetchReply(p, r.epoch, msg.offset, r.log[msg.offset :], r.high_watermark))
        state = self._put(state, p, r)
        self._persist(ctx, state)
        return state

    def _fetched(self, ctx: Context, state: BrokerState, msg: FetchReply) -> BrokerState:
        p = msg.partition
        r = state.replicas[p]
        if msg.error is not None or msg.epoch != r.epoch or r.leader == ctx.id:
            return state
        if msg.diverging is not None:
            epoch, end = msg.diverging
            _, own_end = r.epoch_end(epoch)
            cut = min(end, own_end, r.log_end)
            r = replace(r, log=r.log[:cut], high_watermark=min(r.high_watermark, cut))
        elif msg.offset == r.log_end:
            log = (*r.log, *msg.entries)
            r = replace(
                r, log=log, high_watermark=max(r.high_watermark, min(msg.high_watermark, len(log)))
            )
        else:
            return state
        state = self._put(state, p, r)
        self._persist(ctx, state)
        return state


# -- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outbox:
    """One partition's records of a producer not yet acknowledged, oldest first.

    ``queue`` holds ``(sequence number, key, value, record number)`` of each (the record
    number indexes ``ProducerState.sends``); the first ``in_flight`` of them are the batch
    sent at ``sent_at`` and not yet answered (0: none is in flight).
    """

    queue: tuple[tuple[int, Hashable, Hashable, int], ...] = ()
    sent_at: float | None = None
    next_seq: int = 0
    in_flight: int = 0


@dataclass(frozen=True)
class ProducerState:
    """A producer: records made so far, outboxes, leaders known, and what it sent.

    ``sends`` is ``(value, key, partition, acknowledged)`` for every record, in the order
    the producer made them; ``made_at`` and ``acked_at`` say when each was made (the
    application's send) and acknowledged (``None``: not yet); ``requests`` counts the
    produce requests sent, retries included.
    """

    made: int = 0
    outboxes: tuple[Outbox, ...] = ()
    leaders: tuple[str | None, ...] = ()
    sends: tuple[tuple[Hashable, Hashable, int, bool], ...] = ()
    made_at: tuple[float, ...] = ()
    acked_at: tuple[float | None, ...] = ()
    requests: int = 0


class Producer(Node[ProducerState]):
    """Sends ``config.messages`` records in batches, one batch in flight per partition,
    retrying a batch until it is acknowledged."""

    def __init__(self, config: LogConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> ProducerState:
        ctx.send("controller", MetadataRequest())
        ctx.set_timer("send", self.config.send_interval)
        ctx.set_timer("retry", self.config.retry_timeout)
        n = self.config.partitions
        return ProducerState(0, tuple(Outbox() for _ in range(n)), tuple(None for _ in range(n)))

    def _ready(self, state: ProducerState, box: Outbox, now: float) -> bool:
        """Nothing in flight, and a full batch or one whose oldest record lingered enough."""
        if box.in_flight or not box.queue:
            return False
        c = self.config
        return len(box.queue) >= c.batch_size or now - state.made_at[box.queue[0][3]] >= c.linger

    def _send_batch(self, ctx: Context, state: ProducerState, p: int, retry: bool) -> ProducerState:
        """Send the batch in flight again (``retry``) or the next one, if the leader is known."""
        c = self.config
        box = state.outboxes[p]
        leader = state.leaders[p]
        if not box.queue or leader is None:
            return state
        batch = box.queue[: box.in_flight or c.batch_size]
        ids = c.idempotent
        if retry and c.mutant == "retry_without_idempotence":
            ids = False  # broken: the leader cannot tell the retry from a new record
        (seq, key, value, _), rest = batch[0], batch[1:]
        more = tuple((k, v, s if ids else None) for s, k, v, _ in rest)
        if ids:
            ctx.send(leader, Produce(p, key, value, c.acks, ctx.id, seq, more))
        else:
            ctx.send(leader, Produce(p, key, value, c.acks, None, None, more))
        state = replace(state, requests=state.requests + 1)
        return self._box(state, p, replace(box, sent_at=ctx.now, in_flight=len(batch)))

    def _send_ready(self, ctx: Context, state: ProducerState, p: int) -> ProducerState:
        """Send partition ``p``'s next batch if it is ready, else wait for it to linger."""
        box = state.outboxes[p]
        if self._ready(state, box, ctx.now):
            if self.config.acks == 0:  # fire and forget: counted as sent at once
                n = min(len(box.queue), self.config.batch_size)
                state = self._send_batch(ctx, state, p, retry=False)
                return self._acked(ctx, state, p, n)
            return self._send_batch(ctx, state, p, retry=False)
        if box.queue and not box.in_flight:
            wait = state.made_at[box.queue[0][3]] + self.config.linger - ctx.now
            ctx.set_timer(("linger", p), max(wait, 0.0))
        return state

    @staticmethod
    def _box(state: ProducerState, p: int, box: Outbox) -> ProducerState:
        bs = state.outboxes
        return replace(state, outboxes=(*bs[:p], box, *bs[p + 1 :]))

    def _acked(self, ctx: Context, state: ProducerState, p: int, count: int) -> ProducerState:
        """The first ``count`` records of partition ``p``'s queue are acknowledged."""
        box = state.outboxes[p]
        done = {i for *_, i in box.queue[:count]}
        state = self._box(
            state, p, replace(box, queue=box.queue[count:], sent_at=None, in_flight=0)
        )
        sends = tuple((v, k, q, a or i in done) for i, (v, k, q, a) in enumerate(state.sends))
        acked_at = tuple(
            ctx.now if t is None and i in done else t for i, t in enumerate(state.acked_at)
        )
        return replace(state, sends=sends, acked_at=acked_at)

    def on_timer(self, ctx: Context, state: ProducerState, timer: Any) -> ProducerState:
        c = self.config
        if timer == "send":
            if state.made >= c.messages:
                return state
            ctx.set_timer("send", c.send_interval)
            i = state.made
            key = f"k{i % c.keys}"
            value = f"{ctx.id}-{i}"
            p = partition_for(key, c.partitions) if c.partitioner == "key" else i % c.partitions
            box = state.outboxes[p]
            box = replace(
                box, queue=(*box.queue, (box.next_seq, key, value, i)), next_seq=box.next_seq + 1
            )
            state = replace(
                self._box(state, p, box),
                made=i + 1,
                sends=(*state.sends, (value, key, p, False)),
                made_at=(*state.made_at, ctx.now),
                acked_at=(*state.acked_at, None),
            )
            return self._send_ready(ctx, state, p)
        if isinstance(timer, tuple) and timer[0] == "linger":
            return self._send_ready(ctx, state, timer[1])
        # retry: resend every batch that has waited too long, send any that is ready
        ctx.set_timer("retry", c.retry_timeout)
        ctx.send("controller", MetadataRequest())
        for p, box in enumerate(state.outboxes):
            if box.in_flight and ctx.now - (box.sent_at or 0.0) >= c.retry_timeout:
                state = self._send_batch(ctx, state, p, retry=True)
            elif self._ready(state, box, ctx.now):
                state = self._send_ready(ctx, state, p)
        return state

    def on_message(self, ctx: Context, state: ProducerState, src: str, msg: Any) -> ProducerState:
        if isinstance(msg, Metadata):
            fresh = msg.leaders != state.leaders
            state = replace(state, leaders=msg.leaders)
            if fresh:
                for p, box in enumerate(state.outboxes):
                    if self._ready(state, box, ctx.now):
                        state = self._send_ready(ctx, state, p)
            return state
        if isinstance(msg, ProduceReply):
            if msg.error is not None:
                return state  # the retry timer sends the batch again
            p = msg.partition
            box = state.outboxes[p]
            if box.in_flight == msg.count and box.queue and box.queue[0][2] == msg.value:
                return self._send_ready(ctx, self._acked(ctx, state, p, msg.count), p)
            if box.in_flight:  # an answer to an older batch: send the one in flight again
                return self._send_batch(ctx, state, p, retry=False)
            return self._send_ready(ctx, state, p)
        return state


@dataclass(frozen=True)
class ReaderState:
    """A reader: the next offset of each partition, leaders known, what it read.

    ``read`` is ``(partition, offset, key, value)`` of every record, in reading order;
    ``read_at`` says when each was read.
    """

    next_offset: tuple[int, ...]
    leaders: tuple[str | None, ...]
    read: tuple[tuple[int, int, Hashable, Hashable], ...] = ()
    read_at: tuple[float, ...] = ()


class LogReader(Node[ReaderState]):
    """Reads every partition from offset 0, committed records only, once each."""

    def __init__(self, config: LogConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> ReaderState:
        ctx.set_timer("poll", self.config.fetch_interval)
        ctx.send("controller", MetadataRequest())
        n = self.config.partitions
        return ReaderState(tuple(0 for _ in range(n)), tuple(None for _ in range(n)))

    def on_timer(self, ctx: Context, state: ReaderState, timer: Any) -> ReaderState:
        ctx.set_timer("poll", self.config.fetch_interval)
        if any(lead is None for lead in state.leaders) or ctx.rng.random() < 0.2:
            ctx.send("controller", MetadataRequest())
        for p, leader in enumerate(state.leaders):
            if leader is not None:
                ctx.send(leader, Fetch(p, state.next_offset[p]))
        return state

    def on_message(self, ctx: Context, state: ReaderState, src: str, msg: Any) -> ReaderState:
        if isinstance(msg, Metadata):
            return replace(state, leaders=msg.leaders)
        if isinstance(msg, FetchReply) and msg.error is None:
            p = msg.partition
            if msg.offset != state.next_offset[p] or not msg.entries:
                return state
            read = tuple((p, msg.offset + i, e.key, e.value) for i, e in enumerate(msg.entries))
            nxt = list(state.next_offset)
            nxt[p] += len(msg.entries)
            return replace(
                state,
                next_offset=tuple(nxt),
                read=state.read + read,
                read_at=state.read_at + (ctx.now,) * len(read),
            )
        if isinstance(msg, FetchReply) and msg.error == "not_leader":
            ctx.send("controller", MetadataRequest())
        return state


def log_system(config: LogConfig | None = None, **options: Any) -> System:
    """The controller, the brokers, the producers and one reader (``"reader"``).

    Parameters
    ----------
    config : LogConfig, optional
        The settings (default ``LogConfig()``).
    **options
        Fields of ``LogConfig`` to set instead (not with ``config``).

    Returns
    -------
    System

    Raises
    ------
    TypeError
        If ``config`` is not a ``LogConfig``, or both ``config`` and options are given.

    Examples
    --------
    >>> sorted(log_system(partitions=2).ids)
    ['b1', 'b2', 'b3', 'controller', 'p1', 'reader']
    """
    if config is None:
        config = LogConfig(**options)
    elif options:
        raise TypeError("log_system: give a LogConfig or its fields as options, not both")
    if not isinstance(config, LogConfig):
        raise TypeError(f"log_system: config={config!r} must be a LogConfig")
    nodes: dict[str, Node[Any]] = {"controller": Controller(config), "reader": LogReader(config)}
    nodes.update({b: Broker(config) for b in config.broker_ids})
    nodes.update({p: Producer(config) for p in config.producer_ids})
    return System(nodes)


def sends_and_receives(states: Mapping[str, Any]) -> tuple[list[Send], list[Receive]]:
    """What the producers sent and the reader read, for ``dslib.queues.checker.check_queue``.

    Parameters
    ----------
    states : mapping
        Node id -> state at the end of a run (``Simulation.states``); the producers and
        the reader must be up.

    Returns
    -------
    (list of Send, list of Receive)

    Raises
    ------
    ValueError
        If the reader's state is missing.

    Examples
    --------
    >>> from dslib import Simulation
    >>> sim = Simulation(log_system(messages=2), seed=0).run(until=100.0)
    >>> sends, receives = sends_and_receives(sim.states)
    >>> [(s.message, s.acknowledged) for s in sends]
    [('p1-0', True), ('p1-1', True)]
    """
    if "reader" not in states:
        raise ValueError("sends_and_receives: no state for 'reader' (is it crashed?)")
    sends = producer_sends(states)
    reader: ReaderState = states["reader"]
    receives = [
        Receive(value, consumer="reader", key=key, partition=p, offset=o)
        for p, o, key, value in reader.read
    ]
    return sends, receives


def producer_sends(states: Mapping[str, Any]) -> list[Send]:
    """Every record the producers made, each producer's in order, as ``Send`` values.

    Parameters
    ----------
    states : mapping
        Node id -> state (``Simulation.states``); producers are the ``ProducerState`` ones.

    Returns
    -------
    list of Send

    Examples
    --------
    >>> from dslib import Simulation
    >>> sim = Simulation(log_system(messages=1), seed=0).run(until=50.0)
    >>> producer_sends(sim.states)
    [Send(message='p1-0', key='k0', producer='p1', acknowledged=True, partition=0)]
    """
    sends = []
    for node in sorted(states):
        if isinstance(states[node], ProducerState):
            for value, key, p, acked in states[node].sends:
                sends.append(Send(value, key=key, producer=node, acknowledged=acked, partition=p))
    return sends


def final_logs(states: Mapping[str, Any], config: LogConfig) -> dict[int, tuple[Entry, ...]]:
    """The log of each partition's longest-epoch leader that is up (its current log).

    Parameters
    ----------
    states : mapping
        Node id -> state (``Simulation.states``).
    config : LogConfig

    Returns
    -------
    dict
        Partition -> log; a partition with no live replica that thinks it leads is absent.

    Examples
    --------
    >>> from dslib import Simulation
    >>> sim = Simulation(log_system(messages=2), seed=0).run(until=100.0)
    >>> [e.value for e in final_logs(sim.states, LogConfig())[0]]
    ['p1-0', 'p1-1']
    """
    out: dict[int, tuple[Entry, ...]] = {}
    for p in range(config.partitions):
        best: tuple[int, tuple[Entry, ...]] | None = None
        for b in config.replicas(p):
            st = states.get(b)
            if isinstance(st, BrokerState) and st.replicas[p].leader == b:
                r = st.replicas[p]
                if best is None or r.epoch > best[0]:
                    best = (r.epoch, r.log)
        if best is not None:
            out[p] = best[1]
    return out
