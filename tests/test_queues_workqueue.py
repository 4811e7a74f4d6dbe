"""dslib.queues.workqueue: visibility timeouts, receipts, dead letters, FIFO groups, dedup."""

from __future__ import annotations

import pytest

from dslib.core import Context
from dslib.queues.workqueue import (
    DeleteMessage,
    DeleteReply,
    Delivery,
    QueueServer,
    QueueState,
    ReceiveMessage,
    ReceiveReply,
    SendMessage,
    WorkQueueConfig,
    judge_work_queue,
    work_queue_run,
)

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
    assert counts["duplicated"] == 3 and counts["reordered"] > 0


def test_delete_on_receive_is_caught_as_lost_messages() -> None:
    for seed in range(5):
        result = judge_work_queue(work_queue_run(WorkQueueConfig(mutant="delete_on_receive"), seed))
        assert not result.ok and result.counts()["lost"] > 0, seed
