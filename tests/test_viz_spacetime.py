"""Tests of the space-time diagram's own labels and marks (``label=``, ``marks=``, ``xlabel=``):
what is written, where (no two texts overlap), and the errors for bad arguments."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from dslib.clocks import clock_events, clock_run
from dslib.sim.trace import Trace
from dslib.viz import space_time_diagram


def _texts(fig: Any) -> list[Any]:
    return [t for t in fig.axes[0].texts if t.get_text()]


def _overlapping(fig: Any) -> list[tuple[str, str]]:
    """Pairs of written texts whose drawn extents overlap, in display pixels."""
    boxes = [(t.get_text(), t.get_window_extent()) for t in _texts(fig)]
    return [(a, b) for (a, box_a), (b, box_b) in combinations(boxes, 2) if box_a.overlaps(box_b)]


def _crossing() -> Trace:
    # a and b send to each other at the same instant: the two arrows share their midpoint
    t = Trace()
    t.append((0.0, "send", "a", "b", "x", 1, None))
    t.append((0.0, "send", "b", "a", "y", 2, None))
    t.append((1.0, "deliver", "b", "a", "x", 1, None))
    t.append((1.0, "deliver", "a", "b", "y", 2, None))
    return t


def test_label_writes_its_text_and_none_leaves_an_arrow_bare() -> None:
    fig = space_time_diagram(_crossing(), label=lambda m: "to b" if m == "x" else None)
    assert [t.get_text() for t in _texts(fig)] == ["to b"]
    fig = space_time_diagram(_crossing(), label=lambda m: f"<{m}>", labels=False)
    assert _texts(fig) == []


def test_without_label_the_default_labels_are_the_messages() -> None:
    fig = space_time_diagram(_crossing())
    assert sorted(t.get_text() for t in _texts(fig)) == ["x", "y"]  # message_label
    assert fig.axes[0].get_xlabel() == "time"


def test_marks_as_a_mapping_or_triples_and_the_axis_label() -> None:
    by_map = space_time_diagram(
        _crossing(), label=lambda m: None, marks={("a", 0.0): "a.0", ("b", 1.0): "b.1"}
    )
    by_triples = space_time_diagram(
        _crossing(), label=lambda m: None, marks=[("b", 1.0, "b.1"), ("a", 0.0, "a.0")],
        xlabel="true time (time units)",
    )  # fmt: skip
    assert sorted(t.get_text() for t in _texts(by_map)) == ["a.0", "b.1"]
    assert sorted(t.get_text() for t in _texts(by_triples)) == ["a.0", "b.1"]
    assert by_triples.axes[0].get_xlabel() == "true time (time units)"
    # a mark outside the window is not drawn
    fig = space_time_diagram(_crossing(), end=0.5, marks=[("a", 1.0, "late")], labels=False)
    assert _texts(fig) == []


def test_marks_and_labels_at_one_point_do_not_overlap() -> None:
    # both labels want the shared midpoint; four marks sit at the arrows' ends
    marks = [("a", 0.0, "a.0"), ("b", 0.0, "b.0"), ("a", 1.0, "a.1"), ("b", 1.0, "b.1")]
    fig = space_time_diagram(_crossing(), label=lambda m: f"msg {m}", marks=marks)
    assert len(_texts(fig)) == 6
    assert _overlapping(fig) == []


def test_the_chapter_2_run_with_lamport_labels_and_event_names_has_no_overlap() -> None:
    sim = clock_run(nodes=3, steps=4, seed=4)
    events = clock_events(sim)
    fig = space_time_diagram(
        sim.trace, figsize=(7, 3), label=lambda m: f"L={m.lamport}",
        marks={(e.node, e.time): e.name for e in events},
    )  # fmt: skip
    texts = [t.get_text() for t in _texts(fig)]
    assert sorted(t for t in texts if t.startswith("L=")) == sorted(
        f"L={e.lamport}" for e in events if e.kind == "send"
    )
    assert sorted(t for t in texts if not t.startswith("L=")) == sorted(e.name for e in events)
    assert _overlapping(fig) == []


def test_the_overlap_check_can_fail() -> None:
    # the same texts written without placement, all at one point, do overlap
    fig = space_time_diagram(_crossing(), labels=False)
    for text in ("one", "two"):
        fig.axes[0].text(0.5, 0.5, text)
    assert _overlapping(fig) == [("one", "two")]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"label": "L"}, TypeError, "must be a function"),
        ({"label": lambda m: 3}, TypeError, "allowed: a str or None"),
        ({"marks": [("a", 0.0)]}, TypeError, "must be (node, time, text)"),
        ({"marks": {("a", "0"): "x"}}, TypeError, "must be (node, time, text)"),
        ({"marks": [("c", 0.0, "c.0")]}, ValueError, "which is not drawn"),
    ],
)
def test_bad_labels_and_marks_are_refused(kwargs: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        space_time_diagram(_crossing(), **kwargs)
