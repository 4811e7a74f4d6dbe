"""Tests of the node API: Node, Context, System, stable_repr."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import NOTHING_PERSISTED, Context, Node, System
from dslib.core import check_state, stable_repr
from dslib.errors import ProtocolError


@dataclass(frozen=True)
class Ping:
    seq: int


class Idle(Node[int]):
    def init(self, ctx: Context) -> int:
        return 0


def ctx(node: str = "a", ids: tuple[str, ...] = ("a", "b", "c")) -> Context:
    return Context(node, ids)


def test_context_collects_effects_in_order() -> None:
    c = ctx()
    c.send("b", Ping(1))
    c.broadcast(Ping(2))
    c.set_timer("t", 5)
    c.set_timer("r", (1.0, 2.0))
    c.cancel_timer("t")
    c.persist(("term", 3))
    c.record("invoke", "read", None)
    assert c.sent == [("b", Ping(1)), ("b", Ping(2)), ("c", Ping(2))]
    assert c.timers_set == [("r", (1.0, 2.0))]  # the cancel undid the set of "t"
    assert c.timers_cancelled == ["t"]
    assert c.persisted == ("term", 3)
    assert c.records == [("invoke", "read", None, None)]
    assert c.peers == ("b", "c")


def test_send_to_unknown_node_names_node_and_event() -> None:
    c = Context("a", ("a", "b"), event=("message", "b", Ping(7)))
    with pytest.raises(ProtocolError, match=r"node 'a' sent .* unknown node 'zz'.*Ping\(seq=7\)"):
        c.send("zz", Ping(1))


def test_unhashable_message_rejected() -> None:
    with pytest.raises(ProtocolError, match="not hashable"):
        ctx().send("b", ["a", "list"])


@pytest.mark.parametrize(
    "delay", [-1, float("nan"), float("inf"), (2, 1), (-1, 3), (1,), "5", True]
)
def test_bad_timer_delays_rejected(delay: object) -> None:
    with pytest.raises(ProtocolError, match="a delay is a finite number >= 0"):
        ctx().set_timer("t", delay)  # type: ignore[arg-type]


@given(st.floats(min_value=0, max_value=1e9), st.floats(min_value=0, max_value=1e9))
@settings(max_examples=50, deadline=None)
def test_valid_timer_delays_accepted(a: float, b: float) -> None:
    c = ctx()
    c.set_timer("x", a)
    c.set_timer("y", (min(a, b), max(a, b)))
    assert len(c.timers_set) == 2


@given(st.floats(max_value=-1e-9) | st.just(float("nan")))
@settings(max_examples=30, deadline=None)
def test_negative_or_nan_delays_always_rejected(d: float) -> None:
    with pytest.raises(ProtocolError):
        ctx().set_timer("x", d)


def test_record_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="allowed: 'invoke', 'ok', 'fail', 'info'"):
        ctx().record("done", "read")


def test_persist_rejects_unhashable() -> None:
    with pytest.raises(ProtocolError, match="persisted a value that is not hashable"):
        ctx().persist({"term": 1})


def test_choose_uses_rng_and_rejects_empty() -> None:
    picks = {Context("a", ("a",), rng=random.Random(s)).choose(["x", "y", "z"]) for s in range(30)}
    assert picks == {"x", "y", "z"}
    with pytest.raises(ValueError, match="no options"):
        ctx().choose([])


def test_choose_with_custom_chooser() -> None:
    c = Context("a", ("a",), chooser=lambda opts: opts[-1])
    assert c.choose(range(4)) == 3


def test_context_id_must_be_a_node() -> None:
    with pytest.raises(ValueError, match="not one of the system's nodes"):
        Context("x", ("a", "b"))


def test_check_state() -> None:
    check_state(3, "a", ("init",), "init")
    with pytest.raises(ProtocolError, match=r"on_message of node 'a' returned None .*message 'm'"):
        check_state(None, "a", ("message", "b", "m"), "on_message")
    with pytest.raises(ProtocolError, match="not hashable"):
        check_state([1], "a", ("timer", "t"), "on_timer")


def test_default_handlers_explain_what_is_missing() -> None:
    with pytest.raises(ProtocolError, match="defines no on_message"):
        Idle().on_message(ctx(), 0, "b", "hi")
    with pytest.raises(ProtocolError, match="defines no on_timer"):
        Idle().on_timer(ctx(), 0, "t")
    with pytest.raises(NotImplementedError, match="must define init"):
        Node().init(ctx())
    assert Idle().on_recover(ctx(), NOTHING_PERSISTED) == 0


def test_system_validation() -> None:
    s = System({"b": Idle(), "a": Idle()})
    assert s.ids == ("a", "b") and len(s) == 2 and "a" in s and list(s) == ["a", "b"]
    with pytest.raises(KeyError, match="no node 'z'"):
        s["z"]
    with pytest.raises(TypeError, match="mapping"):
        System([Idle()])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one node"):
        System({})
    with pytest.raises(TypeError, match="not a string"):
        System({1: Idle()})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="empty string"):
        System({"": Idle()})
    with pytest.raises(TypeError, match="dslib.Node instance"):
        System({"a": Idle})  # type: ignore[dict-item]


@given(st.frozensets(st.text(max_size=4), max_size=6))
@settings(max_examples=50, deadline=None)
def test_stable_repr_is_order_independent(s: frozenset[str]) -> None:
    shuffled = list(s)
    random.Random(0).shuffle(shuffled)
    assert stable_repr(frozenset(shuffled)) == stable_repr(s)
    assert stable_repr(dict.fromkeys(shuffled, 1)) == stable_repr(dict.fromkeys(sorted(s), 1))


def test_stable_repr_of_dataclass_and_tuples() -> None:
    assert stable_repr(Ping(3)) == "Ping(seq=3)"
    assert stable_repr((1,)) == "(1,)"
    assert stable_repr(((), [1.5])) == "((), [1.5])"


def test_reset_starts_a_fresh_call_and_leaves_earlier_effects_alone() -> None:
    c = ctx()
    c.send("b", Ping(1))
    c.set_timer("t", 1.0)
    c.cancel_timer("u")
    c.persist(3)
    c.record("invoke", "read")
    earlier = (c.sent, c.timers_set, c.timers_cancelled, c.records)
    c.reset(("timer", "t"), now=5.0)
    assert (c.sent, c.timers_set, c.timers_cancelled, c.records) == ([], [], [], [])
    assert c.persisted is NOTHING_PERSISTED
    assert (c.event, c.now) == (("timer", "t"), 5.0)
    c.send("c", Ping(2))
    # A runtime that kept the earlier call's lists still sees them unchanged.
    assert earlier == ([("b", Ping(1))], [("t", 1.0)], ["u"], [("invoke", "read", None, None)])
    c.reset(("init",))
    assert c.now == 5.0  # no clock given: unchanged
    assert c.sent == []
