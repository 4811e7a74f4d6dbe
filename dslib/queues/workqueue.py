"""A work queue in the style of Amazon SQS: visibility timeouts, redelivery, dead letters.

A log keeps every record and lets each consumer keep its place; a *work queue* hands
each message to one worker and forgets it once the worker says it is done. The worker
cannot say so at the moment it receives the message (it may crash while working), so the
queue only *hides* a received message for a *visibility timeout*; the worker *deletes* it
when done, and a message not deleted in time becomes visible again and is delivered
again: at-least-once delivery.

- ``ReceiveMessage`` returns visible messages and hides them for ``visibility_timeout``;
  each delivery carries a fresh *receipt handle*, and only the latest handle deletes.
- A message received more than ``max_receive_count`` times is moved to the *dead-letter
  queue* instead (a "poison" message that makes every worker fail must not circle
  forever).
- A *FIFO* queue delivers the messages of one *message group* in order, one at a time:
  no message of a group is delivered while an earlier one of the group is in flight.
  A send with a *deduplication id* seen in the last ``dedup_window`` is accepted but not
  enqueued again, so a producer may retry a send without making a duplicate.

``WORK_QUEUE_MUTANTS`` has ``delete_on_receive``: the queue deletes a message as soon as
it delivers it, so a worker that crashes mid-task loses it (caught as a lost message by
``judge_work_queue``, at-least-once).

Processing is a ``Write`` to the ``Sink`` of ``dslib.queues.groups`` (the outside world),
whose attempt ids drop the network's own duplicates.

Examples
--------
>>> sim = work_queue_run(WorkQueueConfig(fifo=True), seed=0)
>>> judge_work_queue(sim).summary()
'at-least-once, per-key order: ok (lost 0, duplicated 1, reordered 0, phantom 0)'
>>> [m.body for m in sim.states["queue"].dead_letter]
['m7']

The example's run keeps at-least-once and each group's order, with one message
processed twice (the price of a worker that stops between its work and its delete), and
the poison message ``m7`` in the dead-letter queue.

References
----------
.. [1] Amazon SQS Developer Guide: "Amazon SQS visibility timeout", "Using dead-letter
   queues" (maxReceiveCount), "Amazon SQS FIFO queues" (message groups, exactly-once
   processing with deduplication ids in a 5-minute interval).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import check_mutant
from dslib.queues.checker import QueueCheckResult, Receive, Send, check_queue
from dslib.queues.groups import Sink, Write, WriteAck, consumers_under_faults
from dslib.sim.simulator import Simulation

__all__ = [
    "WORK_QUEUE_MUTANTS",
    "ChangeVisibility",
    "DeleteMessage",
    "DeleteReply",
    "Delivery",
    "QueueServer",
    "QueueState",
    "ReceiveMessage",
    "ReceiveReply",
    "SendMessage",
    "SendReply",
    "Sender",
    "SenderState",
    "Stored",
    "WorkQueueConfig",
    "Worker",
    "WorkerState",
    "judge_work_queue",
    "work_queue_run",
    "work_queue_system",
]

WORK_QUEUE_MUTANTS: dict[str, str] = {
    "delete_on_receive": "the queue deletes a message when it delivers it, not when the "
    "worker deletes it, so a worker that crashes mid-task loses it",
}
"""Broken versions of the work queue, by name, with what is wrong."""


@dataclass(frozen=True)
class WorkQueueConfig:
    """The queue's settings, the sender's messages, the workers.

    Parameters
    ----------
    fifo : bool, default False
        A FIFO queue: message groups delivered in order, sends deduplicated.
    visibility_timeout : float, default 20
        How long a received message stays hidden.
    max_receive_count : int or None, default 3
        Receives after which a message goes to the dead-letter queue (``None``: never).
    dedup_window : float, default 300
        How long a FIFO queue remembers a deduplication id (SQS: five minutes).
    messages : int, default 20
        Messages the sender sends, ``m0, m1, ...``, one every ``send_interval``.
    groups : int, default 3
        Message groups ``g0 ..`` (FIFO), in turn.
    poison : tuple of int, default (7,)
        The messages every worker fails on (they end in the dead-letter queue).
    workers : int, default 2
        Workers ``w1 .. wN``.
    process_time : (float, float), default (2, 6)
        How long a worker works on a message.
    send_interval, retry_timeout, poll_interval : float
    mutant : str or None
        A broken version from ``WORK_QUEUE_MUTANTS``.

    Raises
    ------
    ValueError
        If a time is not > 0, a count < 1, or a poison index out of range.

    Examples
    --------
    >>> WorkQueueConfig(visibility_timeout=-1)
    Traceback (most recent call last):
    ...
    ValueError: WorkQueueConfig: visibility_timeout=-1 must be > 0 (simulated time units)
    """

    fifo: bool = False
    visibility_timeout: float = 20.0
    max_receive_count: int | None = 3
    dedup_window: float = 300.0
    messages: int = 20
    groups: int = 3
    poison: tuple[int, ...] = (7,)
    workers: int = 2
    process_time: tuple[float, float] = (2.0, 6.0)
    send_interval: float = 4.0
    retry_timeout: float = 10.0
    poll_interval: float = 2.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        owner = "WorkQueueConfig"
        if not isinstance(self.fifo, bool):
            raise TypeError(f"{owner}: fifo={self.fifo!r} must be True or False")
        times = (
            "visibility_timeout",
            "dedup_window",
            "send_interval",
            "retry_timeout",
            "poll_interval",
        )
        for name in times:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise TypeError(f"{owner}: {name}={v!r} must be a finite number")
            if v <= 0:
                raise ValueError(f"{owner}: {name}={v!r} must be > 0 (simulated time units)")
        for name in ("messages", "groups", "workers"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{owner}: {name}={v!r} must be an int >= 1")
        m = self.max_receive_count
        if m is not None and (isinstance(m, bool) or not isinstance(m, int) or m < 1):
            raise ValueError(f"{owner}: max_receive_count={m!r} must be None or an int >= 1")
        if any(not isinstance(i, int) or not 0 <= i < self.messages for i in self.poison):
            raise ValueError(
                f"{owner}: poison={self.poison!r}; allowed: message numbers 0 to "
                f"{self.messages - 1}"
            )
        lo, hi = self.process_time
        if not (0 < lo <= hi):
            raise ValueError(f"{owner}: process_time={self.process_time!r} must be 0 < lo <= hi")
        check_mutant(owner, self.mutant, WORK_QUEUE_MUTANTS)

    @property
    def worker_ids(self) -> tuple[str, ...]:
        """``("w1", ..., "wN")``."""
        return tuple(f"w{i + 1}" for i in range(self.workers))


# -- messages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendMessage:
    """Sender -> queue: enqueue ``body`` (in ``group``, deduplicated by ``dedup_id``)."""

    body: Hashable
    group: str | None = None
    dedup_id: Hashable = None


@dataclass(frozen=True)
class SendReply:
    """Queue -> sender: ``body`` is accepted."""

    body: Hashable


@dataclass(frozen=True)
class ReceiveMessage:
    """Worker -> queue: give me a visible message, if there is one."""


@dataclass(frozen=True)
class Delivery:
    """One message handed to a worker, with the receipt handle that deletes it."""

    body: Hashable
    group: str | None
    receipt: tuple[int, int]


@dataclass(frozen=True)
class ReceiveReply:
    """Queue -> worker: the delivery, or ``None`` when nothing is visible."""

    delivery: Delivery | None


@dataclass(frozen=True)
class DeleteMessage:
    """Worker -> queue: I am done with the message of this receipt."""

    receipt: tuple[int, int]


@dataclass(frozen=True)
class ChangeVisibility:
    """Worker -> queue: hide the message of this receipt ``timeout`` from now (0: show it).

    SQS's ChangeMessageVisibility. A worker that gets a delivery it cannot take releases
    it at once, so the message waits for no visibility timeout (no reply: if this is
    lost, the visibility timeout releases the message all the same).
    """

    receipt: tuple[int, int]
    timeout: float = 0.0


@dataclass(frozen=True)
class DeleteReply:
    """Queue -> worker: was the receipt current (and the message deleted)?"""

    receipt: tuple[int, int]
    ok: bool


# -- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    """A message in the queue: id, body, group, receives so far, when it is visible."""

    id: int
    body: Hashable
    group: str | None
    receives: int = 0
    visible_at: float = 0.0


@dataclass(frozen=True)
class QueueState:
    """The queue: its messages in order, the dead-letter queue, dedup ids with times."""

    messages: tuple[Stored, ...] = ()
    dead_letter: tuple[Stored, ...] = ()
    next_id: int = 0
    dedup: tuple[tuple[Hashable, float], ...] = ()


class QueueServer(Node[QueueState]):
    """The queue (SQS itself: replicated and durable, so it does not crash here)."""

    def __init__(self, config: WorkQueueConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> QueueState:
        return QueueState()

    def _visible(self, state: QueueState, now: float) -> Stored | None:
        in_flight = {m.group for m in state.messages if m.visible_at > now}
        for m in state.messages:
            if m.visible_at <= now and not (self.config.fifo and m.group in in_flight):
                return m
            if self.config.fifo:
                in_flight.add(m.group)  # a group's later messages wait for this one
        return None

    def on_message(self, ctx: Context, state: QueueState, src: str, msg: Any) -> QueueState:
        c = self.config
        if isinstance(msg, SendMessage):
            ctx.send(src, SendReply(msg.body))
            if c.fifo and msg.dedup_id is not None:
                recent = tuple((d, t) for d, t in state.dedup if ctx.now - t < c.dedup_window)
                if any(d == msg.dedup_id for d, _ in recent):
                    return replace(state, dedup=recent)  # a retried send: accepted, not again
                state = replace(state, dedup=(*recent, (msg.dedup_id, ctx.now)))
            stored = Stored(state.next_id, msg.body, msg.group)
            return replace(state, messages=(*state.messages, stored), next_id=state.next_id + 1)
        if isinstance(msg, ReceiveMessage):
            while True:
                m = self._visible(state, ctx.now)
                if m is None:
                    ctx.send(src, ReceiveReply(None))
                    return state
                rest = tuple(x for x in state.messages if x.id != m.id)
                if c.max_receive_count is not None and m.receives >= c.max_receive_count:
                    state = replace(state, messages=rest, dead_letter=(*state.dead_letter, m))
                    continue  # moved to the dead-letter queue; look for another
                m = replace(m, receives=m.receives + 1, visible_at=ctx.now + c.visibility_timeout)
                ctx.send(src, ReceiveReply(Delivery(m.body, m.group, (m.id, m.receives))))
                if c.mutant == "delete_on_receive":
                    return replace(state, messages=rest)  # broken: gone before the work is done
                messages = tuple(m if x.id == m.id else x for x in state.messages)
                return replace(state, messages=messages)
        if isinstance(msg, ChangeVisibility):
            message_id, receives = msg.receipt
            messages = tuple(
                replace(m, visible_at=ctx.now + msg.timeout)
                if m.id == message_id and m.receives == receives
                else m
                for m in state.messages
            )
            return replace(state, messages=messages)
        if isinstance(msg, DeleteMessage):
            message_id, receives = msg.receipt
            hit = [m for m in state.messages if m.id == message_id and m.receives == receives]
            ctx.send(src, DeleteReply(msg.receipt, bool(hit)))
            if hit:
                return replace(
                    state, messages=tuple(m for m in state.messages if m.id != message_id)
                )
        return state


# -- the sender and the workers -------------------------------------------------------------


@dataclass(frozen=True)
class SenderState:
    """``sent``: (body, group, acknowledged) of each message made; ``made``: how many.

    ``last_try[i]`` is when message ``i`` was last sent (``None``: not yet).
    """

    made: int = 0
    sent: tuple[tuple[Hashable, str | None, bool], ...] = ()
    last_try: tuple[float | None, ...] = ()


class Sender(Node[SenderState]):
    """Sends ``config.messages`` messages and retries each until it is acknowledged.

    To a FIFO queue it sends a group's next message only once the previous one is
    acknowledged: the queue's order is the order it *receives* sends, so two sends in
    flight could arrive swapped (SQS's guide asks the same of producers).
    """

    def __init__(self, config: WorkQueueConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> SenderState:
        ctx.set_timer("send", self.config.send_interval)
        ctx.set_timer("retry", self.config.retry_timeout)
        return SenderState()

    def _flush(self, ctx: Context, state: SenderState) -> SenderState:
        """Send what is due: never sent, or unanswered for ``retry_timeout``."""
        c = self.config
        tries = list(state.last_try)
        waiting: set[str | None] = set()
        for i, (body, group, acked) in enumerate(state.sent):
            if acked:
                continue
            due = tries[i] is None or ctx.now - tries[i] >= c.retry_timeout  # type: ignore[operator]
            if due and not (c.fifo and group in waiting):
                ctx.send("queue", SendMessage(body, group, body if c.fifo else None))
                tries[i] = ctx.now
            waiting.add(group)
        return replace(state, last_try=tuple(tries))

    def on_timer(self, ctx: Context, state: SenderState, timer: Any) -> SenderState:
        c = self.config
        if timer == "send":
            if state.made >= c.messages:
                return state
            ctx.set_timer("send", c.send_interval)
            body, group = f"m{state.made}", f"g{state.made % c.groups}"
            state = replace(
                state,
                made=state.made + 1,
                sent=(*state.sent, (body, group, False)),
                last_try=(*state.last_try, None),
            )
            return self._flush(ctx, state)
        ctx.set_timer("retry", c.retry_timeout)
        return self._flush(ctx, state)

    def on_message(self, ctx: Context, state: SenderState, src: str, msg: Any) -> SenderState:
        if isinstance(msg, SendReply):
            sent = tuple((b, g, a or b == msg.body) for b, g, a in state.sent)
            return self._flush(ctx, replace(state, sent=sent))
        return state


@dataclass(frozen=True)
class WorkerState:
    """The delivery in hand, its phase and attempt counters.

    ``phase`` is "wait" (a receive sent, no reply yet), "work", "write" or "delete" ("" when
    idle); ``since`` is when it began. ``released`` counts deliveries the worker handed back
    because it already held one.
    """

    delivery: Delivery | None = None
    phase: str = ""
    since: float = 0.0
    attempt: tuple[str, int, int] | None = None
    attempts: int = 0
    incarnation: int = 0
    released: int = 0


class Worker(Node[WorkerState]):
    """Receives a message, works on it, writes the result to the sink, deletes it.

    It has one receive out at a time: the next ``ReceiveMessage`` waits for the reply to
    the last one, or for ``retry_timeout`` if that reply was lost. Were a poll to send a
    receive while the last one is still unanswered (a poll interval close to the round
    trip), the queue would answer both and hide two messages for a worker that can take
    one. A second delivery can still come (the network duplicates a request, or a retried
    request's first answer was only late); the worker hands it back at once with
    ``ChangeVisibility(receipt, 0)``, so the message waits no visibility timeout, and
    counts it in ``released``.
    """

    def __init__(self, config: WorkQueueConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> WorkerState:
        ctx.set_timer("poll", self.config.poll_interval)
        ctx.persist(0)
        return WorkerState()

    def on_recover(self, ctx: Context, durable: Any) -> WorkerState:
        incarnation = durable + 1 if isinstance(durable, int) else 0
        state = self.init(ctx)
        ctx.persist(incarnation)
        return replace(state, incarnation=incarnation)

    def _write(self, ctx: Context, state: WorkerState) -> WorkerState:
        d = state.delivery
        assert d is not None
        attempt = (ctx.id, state.incarnation, state.attempts)
        ctx.send("sink", Write(attempt, 0, d.receipt[0], d.group, d.body))
        return replace(
            state, phase="write", since=ctx.now, attempt=attempt, attempts=state.attempts + 1
        )

    def on_timer(self, ctx: Context, state: WorkerState, timer: Any) -> WorkerState:
        c = self.config
        if timer == "work" and state.phase == "work" and state.delivery is not None:
            if int(str(state.delivery.body)[1:]) in c.poison:  # it fails: no delete, a redelivery
                return self._idle(state)
            return self._write(ctx, state)
        if timer != "poll":
            return state
        ctx.set_timer("poll", c.poll_interval)
        if state.delivery is None:
            if state.phase == "wait" and ctx.now - state.since < c.retry_timeout:
                return state  # the last receive is not answered yet
            ctx.send("queue", ReceiveMessage())
            return replace(state, phase="wait", since=ctx.now)
        if ctx.now - state.since >= c.retry_timeout:  # no answer: try again
            if state.phase == "write":
                return self._write(ctx, state)
            if state.phase == "delete":
                ctx.send("queue", DeleteMessage(state.delivery.receipt))
                return replace(state, since=ctx.now)
        return state

    @staticmethod
    def _idle(state: WorkerState) -> WorkerState:
        """Nothing in hand; the counters stay."""
        return WorkerState(
            attempts=state.attempts, incarnation=state.incarnation, released=state.released
        )

    def on_message(self, ctx: Context, state: WorkerState, src: str, msg: Any) -> WorkerState:
        if isinstance(msg, ReceiveReply):
            if msg.delivery is None:
                return replace(state, phase="") if state.phase == "wait" else state
            if state.delivery is not None:  # one in hand already: hand this one back now
                ctx.send("queue", ChangeVisibility(msg.delivery.receipt, 0.0))
                return replace(state, released=state.released + 1)
            ctx.set_timer("work", self.config.process_time)
            return replace(state, delivery=msg.delivery, phase="work", since=ctx.now)
        if isinstance(msg, WriteAck) and state.phase == "write" and msg.attempt == state.attempt:
            assert state.delivery is not None
            ctx.send("queue", DeleteMessage(state.delivery.receipt))
            return replace(state, phase="delete", since=ctx.now)
        delivery = state.delivery
        if (
            isinstance(msg, DeleteReply)
            and delivery is not None
            and msg.receipt == delivery.receipt
        ):
            return self._idle(state)
        return state


def work_queue_system(config: WorkQueueConfig | None = None) -> System:
    """The queue, the sender, the workers and the sink.

    Examples
    --------
    >>> sorted(work_queue_system().ids)
    ['queue', 'sender', 'sink', 'w1', 'w2']
    """
    config = WorkQueueConfig() if config is None else config
    if not isinstance(config, WorkQueueConfig):
        raise TypeError(f"work_queue_system: config={config!r} must be a WorkQueueConfig")
    nodes: dict[str, Node[Any]] = {
        "queue": QueueServer(config),
        "sender": Sender(config),
        "sink": Sink(idempotent=False),
    }
    nodes.update({w: Worker(config) for w in config.worker_ids})
    return System(nodes)


def work_queue_run(
    config: WorkQueueConfig | None = None,
    seed: int = 0,
    kinds: Sequence[str] = ("crash", "pause"),
    loss: float = 0.02,
    duplication: float = 0.02,
) -> Simulation:
    """One seeded run: workers crash and pause until time 200; the run ends at 500.

    Parameters
    ----------
    config : WorkQueueConfig, optional
    seed : int, default 0
    kinds : sequence of str, default ("crash", "pause")
        ``RandomNemesis`` kinds, hitting the workers (episodes every 20 on average,
        each 15 long).
    loss, duplication : float, default 0.02

    Returns
    -------
    Simulation

    Examples
    --------
    >>> work_queue_run(seed=1).states["queue"].messages
    ()
    """
    config = WorkQueueConfig() if config is None else config
    if not isinstance(config, WorkQueueConfig):
        raise TypeError(f"work_queue_run: config={config!r} must be a WorkQueueConfig")
    return consumers_under_faults(
        work_queue_system(config), config.worker_ids, seed, kinds, loss, duplication, 200.0, 500.0
    )


def judge_work_queue(
    sim: Simulation, guarantee: str | Sequence[str] | None = None
) -> QueueCheckResult:
    """``check_queue`` on what the sender sent and the sink stored (dead letters count).

    A message in the dead-letter queue is not lost: it is delivered there, to the
    consumer ``"dead-letter"``.

    Parameters
    ----------
    sim : Simulation
        A finished ``work_queue_run``.
    guarantee : str or sequence of str, optional
        Default at-least-once, with per-key order (the key is the message group) for a
        FIFO queue.

    Returns
    -------
    QueueCheckResult

    Examples
    --------
    >>> judge_work_queue(work_queue_run(seed=2), "exactly-once").counts()["duplicated"]
    1
    """
    config: WorkQueueConfig = sim.system["queue"].config  # type: ignore[attr-defined]
    if guarantee is None:
        guarantee = ("at-least-once", "per-key order") if config.fifo else "at-least-once"
    sends = [
        Send(b, key=g, producer="sender", acknowledged=a) for b, g, a in sim.states["sender"].sent
    ]
    receives = [Receive(v, consumer="sink", key=k) for _, _, _, k, v in sim.states["sink"].stored]
    receives += [
        Receive(m.body, consumer="dead-letter", key=m.group)
        for m in sim.states["queue"].dead_letter
    ]
    return check_queue(sends, receives, guarantee)
