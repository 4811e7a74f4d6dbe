"""dslib.queues.workqueue: visibility timeouts, receipts, dead letters, FIFO groups, dedup."""

from __future__ import annotations

import pytest

from dslib import Simulation
from dslib.core import Context
from dslib.queues.workqueue import (
    ChangeVisibility,
    DeleteMessage,
    DeleteReply,
    Delivery,
    QueueServer,
    QueueState,
    ReceiveMessage,
    ReceiveReply,
    SendMessage,
    Worker,
    WorkerState,
    WorkQueueConfig,
    judge_work_queue,
    work_queue_run,
    work_queue_system,
)
from dslib.sim.network import Network

IDS = ("queue", "sender", "w1", "w2")


def call(server: QueueServer, state: QueueState, src: str, msg: object, now: float):
    ctx = Context("queue", IDS, now=now)
    state = server.on_message(ctx, state, src, msg)
    return state, [m for _, m in ctx.sent]


def test_a_received_message_is_hidden_until_the_visibility_timeout() -> None:
    server = QueueServer(WorkQueueConfig(visibility_timeout=10.0))
    state, _ = call(server, QueueState(), "sender", SendMessage("a"), 0.0)
    state, (reply,) = call(server, state, "w1", ReceiveMessage(), 1.0)
    assert reply == ReceiveReply(Delivery("a", None, (0, 1)))
    state, (reply,) = call(server, state, "w2", ReceiveMessage(), 10.9)
    assert reply == ReceiveReply(None)  # still hidden
    state, (reply,) = call(server, state, "w2", ReceiveMessage(), 11.0)
    assert reply == ReceiveReply(Delivery("a", None, (0, 2)))  # redelivered, a new receipt
    state, (reply,) = call(server, state, "w1", DeleteMessage((0, 1)), 12.0)
    assert reply == DeleteReply((0, 1), False) and len(state.messages) == 1  # stale receipt
    state, (reply,) = call(server, state, "w2", DeleteMessage((0, 2)), 12.0)
    assert reply == DeleteReply((0, 2), True) and state.messages == ()


def test_after_max_receive_count_a_message_goes_to_the_dead_letter_queue() -> None:
    server = QueueServer(WorkQueueConfig(visibility_timeout=1.0, max_receive_count=2))
    state, _ = call(server, QueueState(), "sender", SendMessage("poison"), 0.0)
    for now in (1.0, 2.0):
        state, (reply,) = call(server, state, "w1", ReceiveMessage(), now)
        assert reply.delivery is not None
    state, (reply,) = call(server, state, "w1", ReceiveMessage(), 3.0)
    assert reply == ReceiveReply(None)
    assert [m.body for m in state.dead_letter] == ["poison"] and state.messages == ()


def test_fifo_delivers_a_group_in_order_one_at_a_time() -> None:
    server = QueueServer(WorkQueueConfig(fifo=True))
    state = QueueState()
    for body, group in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        state, _ = call(server, state, "sender", SendMessage(body, group, body), 0.0)
    state, (first,) = call(server, state, "w1", ReceiveMessage(), 1.0)
    state, (second,) = call(server, state, "w2", ReceiveMessage(), 1.0)
    assert (first.delivery.body, second.delivery.body) == ("a1", "b1")  # a2 waits for a1
    state, _ = call(server, state, "w1", DeleteMessage(first.delivery.receipt), 2.0)
    state, (third,) = call(server, state, "w1", ReceiveMessage(), 2.0)
    assert third.delivery.body == "a2"


def test_fifo_deduplicates_a_retried_send_within_the_window_standard_does_not() -> None:
    for fifo, expected in ((True, 1), (False, 2)):
        server = QueueServer(WorkQueueConfig(fifo=fifo, dedup_window=100.0))
        state = QueueState()
        for now in (0.0, 50.0):
            state, _ = call(server, state, "sender", SendMessage("m0", "g0", "m0"), now)
        assert len(state.messages) == expected
    server = QueueServer(WorkQueueConfig(fifo=True, dedup_window=100.0))
    state = QueueState()
    for now in (0.0, 150.0):  # the window has passed: a new message
        state, _ = call(server, state, "sender", SendMessage("m0", "g0", "m0"), now)
    assert len(state.messages) == 2


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"visibility_timeout": 0}, "must be > 0"),
        ({"max_receive_count": 0}, "None or an int >= 1"),
        ({"poison": (20,)}, "allowed: message numbers 0 to 19"),
        ({"process_time": (5.0, 1.0)}, "0 < lo <= hi"),
        ({"mutant": "typo"}, "unknown mutant"),
    ],
)
def test_bad_work_queue_configuration_says_what_is_allowed(options, match) -> None:
    with pytest.raises(ValueError, match=match):
        WorkQueueConfig(**options)


# -- runs with crashing and pausing workers -----------------------------------------------------
@pytest.mark.parametrize("fifo", [False, True])
def test_at_least_once_holds_under_worker_crashes_and_pauses(fifo) -> None:
    for seed in range(15):
        sim = work_queue_run(WorkQueueConfig(fifo=fifo), seed)
        result = judge_work_queue(sim)  # FIFO: per-group order too
        assert result.ok, (fifo, seed, result.summary())
        assert sim.states["queue"].messages == ()
        assert "m7" in [m.body for m in sim.states["queue"].dead_letter]


def test_redelivery_duplicates_and_the_standard_queue_reorders() -> None:
    sim = work_queue_run(WorkQueueConfig(), 2)
    counts = judge_work_queue(sim, ("exactly-once", "per-key order")).counts()
    assert counts["duplicated"] > 0 and counts["reordered"] > 0


def test_delete_on_receive_is_caught_as_lost_messages() -> None:
    for seed in range(5):
        result = judge_work_queue(work_queue_run(WorkQueueConfig(mutant="delete_on_receive"), seed))
        assert not result.ok and result.counts()["lost"] > 0, seed


# -- one receive at a time ----------------------------------------------------------------------
def _receives_outstanding(sim: Simulation) -> dict[str, int]:
    """The most receives each worker had sent and not yet had answered, over the run."""
    out: dict[str, int] = {}
    open_: dict[str, int] = {}
    for e in sim.trace:
        if e.kind == "send" and isinstance(e.data, ReceiveMessage):
            open_[e.node] = open_.get(e.node, 0) + 1
            out[e.node] = max(out.get(e.node, 0), open_[e.node])
        elif e.kind == "deliver" and isinstance(e.data, ReceiveReply):
            open_[e.node] = max(0, open_.get(e.node, 0) - 1)
    return out


@pytest.mark.parametrize("fifo", [False, True])
def test_a_fault_free_run_with_defaults_dead_letters_only_the_poison(fifo) -> None:
    """Regression: a poll timer equal to the round trip sent a second receive too early.

    The queue answered both, the busy worker dropped the second delivery, and that
    message stayed hidden for a visibility timeout and used up a receive: in a run
    without faults a good message ended in the dead-letter queue.
    """
    config = WorkQueueConfig(fifo=fifo)
    for seed in range(10):
        system = work_queue_system(config)
        sim = Simulation(system, seed=seed, network=Network(latency=1.0)).run(until=500.0)
        assert [m.body for m in sim.states["queue"].dead_letter] == ["m7"], (fifo, seed)
        assert sim.states["queue"].messages == ()
        assert set(_receives_outstanding(sim).values()) == {1}, (fifo, seed)
        assert judge_work_queue(sim, "exactly-once").counts()["duplicated"] == 0, (fifo, seed)


def test_a_polling_worker_waits_for_the_reply_to_its_last_receive() -> None:
    worker = Worker(WorkQueueConfig(poll_interval=2.0, retry_timeout=10.0))
    state, sent = WorkerState(), []
    for now in (2.0, 4.0, 11.9, 12.0):  # no reply comes: one receive, a retry after 10
        ctx = Context("w1", IDS, now=now)
        state = worker.on_timer(ctx, state, "poll")
        sent += [(now, m) for _, m in ctx.sent]
    assert sent == [(2.0, ReceiveMessage()), (12.0, ReceiveMessage())]
    ctx = Context("w1", IDS, now=13.0)
    state = worker.on_message(ctx, state, "queue", ReceiveReply(None))  # nothing visible
    ctx = Context("w1", IDS, now=14.0)
    worker.on_timer(ctx, state, "poll")
    assert [m for _, m in ctx.sent] == [ReceiveMessage()]  # answered: ask again at once


def test_a_busy_worker_hands_a_second_delivery_back_and_the_queue_shows_it() -> None:
    worker = Worker(WorkQueueConfig())
    ctx = Context("w1", IDS, now=1.0)
    state = worker.on_message(
        ctx, WorkerState(), "queue", ReceiveReply(Delivery("a", None, (0, 1)))
    )
    ctx = Context("w1", IDS, now=1.5)
    state = worker.on_message(ctx, state, "queue", ReceiveReply(Delivery("b", None, (1, 1))))
    assert state.delivery == Delivery("a", None, (0, 1)) and state.released == 1
    assert [m for _, m in ctx.sent] == [ChangeVisibility((1, 1), 0.0)]
    server = QueueServer(WorkQueueConfig(visibility_timeout=30.0))
    queue, _ = call(server, QueueState(), "sender", SendMessage("b"), 0.0)
    queue, _ = call(server, queue, "w1", ReceiveMessage(), 1.0)
    queue, _ = call(server, queue, "w1", ChangeVisibility((0, 0)), 2.0)  # a stale receipt
    queue, (reply,) = call(server, queue, "w2", ReceiveMessage(), 2.0)
    assert reply == ReceiveReply(None)
    queue, _ = call(server, queue, "w1", ChangeVisibility((0, 1)), 2.0)
    queue, (reply,) = call(server, queue, "w2", ReceiveMessage(), 2.0)
    assert reply == ReceiveReply(Delivery("b", None, (0, 2)))  # shown again, not after 30
