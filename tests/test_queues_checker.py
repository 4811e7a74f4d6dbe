"""dslib.queues.checker: hand-made histories for each violation, and the brute-force oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.queues.checker import GUARANTEES, Receive, Send, brute_force_violations, check_queue


# -- hand-made histories: one per kind of violation -------------------------------------------
def test_clean_history_passes_every_guarantee() -> None:
    sends = [Send("a", key="k", producer="p"), Send("b", key="k", producer="p")]
    receives = [Receive("a", consumer="c"), Receive("b", consumer="c")]
    for guarantee in GUARANTEES:
        result = check_queue(sends, receives, guarantee)
        assert result.ok, guarantee
        assert result.counts() == {"lost": 0, "duplicated": 0, "reordered": 0, "phantom": 0}


def test_lost_acknowledged_breaks_at_least_once_only() -> None:
    sends = [Send("a"), Send("b", acknowledged=False)]
    receives: list[Receive] = []
    result = check_queue(sends, receives, "at-least-once")
    assert not result.ok
    assert [v.message for v in result.lost] == ["a"]  # b was never acknowledged
    assert check_queue(sends, receives, "at-most-once").ok
    assert not check_queue(sends, receives, "exactly-once").ok


def test_duplicate_breaks_at_most_once_and_counts_deliveries() -> None:
    sends = [Send("a"), Send("b")]
    receives = [
        Receive("a", consumer="c1"),
        Receive("b"),
        Receive("a", consumer="c2"),
        Receive("a", consumer="c1"),
    ]
    result = check_queue(sends, receives, "at-most-once")
    assert not result.ok
    assert [(v.message, v.deliveries) for v in result.duplicated] == [("a", 3)]
    assert check_queue(sends, receives, "at-least-once").ok
    assert not check_queue(sends, receives, "exactly-once").ok


def test_reorder_per_key_and_per_partition() -> None:
    sends = [
        Send("a", key="k1", producer="p", partition=0),
        Send("b", key="k2", producer="p", partition=0),
    ]
    receives = [Receive("b", consumer="c"), Receive("a", consumer="c")]
    assert check_queue(sends, receives, "per-key order").ok  # different keys: no order
    result = check_queue(sends, receives, "per-partition order")
    assert not result.ok
    assert [(v.message, v.consumer) for v in result.reordered] == [("a", "c")]
    assert "after b" in result.reordered[0].detail


def test_order_is_per_producer_and_per_consumer() -> None:
    sends = [Send("a", key="k", producer="p1"), Send("b", key="k", producer="p2")]
    # two producers' sends are concurrent: any order is fine
    assert check_queue(sends, [Receive("b"), Receive("a")], "per-key order").ok
    sends = [Send("a", key="k", producer="p"), Send("b", key="k", producer="p")]
    # each consumer sees its own stream: c2 gets only b, c1 gets a then b
    receives = [
        Receive("b", consumer="c2"),
        Receive("a", consumer="c1"),
        Receive("b", consumer="c1"),
    ]
    assert check_queue(sends, receives, "per-key order").ok


def test_a_repeat_is_a_duplicate_not_a_reorder() -> None:
    sends = [Send("a", key="k", producer="p"), Send("b", key="k", producer="p")]
    receives = [Receive("a"), Receive("b"), Receive("a")]
    result = check_queue(sends, receives, ("exactly-once", "per-key order"))
    assert result.counts() == {"lost": 0, "duplicated": 1, "reordered": 0, "phantom": 0}


def test_phantom_breaks_every_guarantee() -> None:
    for guarantee in GUARANTEES:
        result = check_queue([Send("a")], [Receive("a"), Receive("zzz", consumer="c")], guarantee)
        assert not result.ok, guarantee
        assert [(v.message, v.consumer) for v in result.phantom] == [("zzz", "c")]


def test_table_has_one_row_per_violation() -> None:
    sends = [Send("a", key="k", producer="p"), Send("b", key="k", producer="p"), Send("c")]
    receives = [Receive("b"), Receive("a"), Receive("a"), Receive("q")]
    frame = check_queue(sends, receives).to_frame()
    assert list(frame["kind"]) == ["lost", "duplicated", "reordered", "phantom"]
    assert list(frame["message"]) == ["c", "a", "a", "q"]
    assert len(check_queue(sends, receives, "at-most-once").to_frame(all_kinds=False)) == 2


@pytest.mark.parametrize(
    ("sends", "receives", "guarantee", "error", "match"),
    [
        ([Send("a"), Send("a")], [], "exactly-once", ValueError, "sent twice"),
        ([Send("a")], [], "at-least-twice", ValueError, "allowed: one or more of"),
        ([Send("a")], [], ("per-key order", "per-partition order"), ValueError, "one order"),
        ([Send("a")], [], (), ValueError, "unknown guarantee"),
        (["a"], [], "exactly-once", TypeError, "Send values"),
        ([Send("a")], [("a",)], "exactly-once", TypeError, "Receive values"),
    ],
)
def test_bad_input_says_what_is_allowed(sends, receives, guarantee, error, match) -> None:
    with pytest.raises(error, match=match):
        check_queue(sends, receives, guarantee)


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[Send], list[Receive]]:
    n = draw(st.integers(0, 6))
    sends = [
        Send(
            f"m{i}",
            key=draw(st.sampled_from(["k1", "k2"])),
            producer=draw(st.sampled_from(["p1", "p2"])),
            acknowledged=draw(st.booleans()),
            partition=draw(st.sampled_from([0, 1])),
        )
        for i in range(n)
    ]
    names = [s.message for s in sends] + ["ghost"]
    receives = draw(
        st.lists(
            st.builds(Receive, st.sampled_from(names), consumer=st.sampled_from(["c1", "c2"])),
            max_size=10,
        )
    )
    return sends, receives


@settings(max_examples=300, deadline=None)
@given(histories(), st.sampled_from(["per-key order", "per-partition order"]))
def test_checker_agrees_with_the_oracle(history, order) -> None:
    sends, receives = history
    result = check_queue(sends, receives, ("exactly-once", order))
    want = brute_force_violations(sends, receives, order)
    assert sorted(v.message for v in result.lost) == want["lost"]
    assert sorted((v.message, v.deliveries) for v in result.duplicated) == want["duplicated"]
    assert [v.message for v in result.phantom] == want["phantom"]
    reordered = sorted(((v.message, v.consumer) for v in result.reordered), key=repr)
    assert reordered == want["reordered"]
    assert result.ok == (not any(want.values()))
    for guarantee, kinds in GUARANTEES.items():
        if guarantee.endswith("order") and guarantee != order:
            continue
        expected = not any(want[k] for k in kinds)
        assert check_queue(sends, receives, guarantee).ok == expected, guarantee
