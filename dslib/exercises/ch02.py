"""Chapter 2 (time and order): comparing vector clocks.

- ``ch02.compare_vector_clocks``: decide whether one vector clock is before,
  after, equal to or concurrent with another, the test at the heart of every
  system that tracks causality (Dynamo's conflict detection among them).

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch02.compare_vector_clocks").stages]
['examples', 'properties', 'causality']
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st

from dslib.clocks import ORDERINGS, clock_events, clock_run, compare_vectors, happens_before
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Properties,
    Property,
    call_answer,
)

__all__: list[str] = []

_FLIP = {"before": "after", "after": "before", "equal": "equal", "concurrent": "concurrent"}


def _examples() -> list[Example]:
    return [
        Example(({"a": 1}, {"a": 2}), "before"),
        Example(({"a": 2, "b": 1}, {"a": 1, "b": 1}), "after"),
        Example(({"a": 1, "b": 2}, {"a": 1, "b": 2}), "equal"),
        Example(({"a": 2, "b": 1}, {"a": 1, "b": 2}), "concurrent"),
        Example(({"a": 1}, {"a": 1, "b": 1}), "before"),
        Example(({"a": 1, "c": 1}, {"a": 1}), "after"),
        Example(({"a": 1}, {"a": 1, "b": 0}), "equal"),
        Example(({"a": 3}, {"b": 1}), "concurrent"),
        Example(({"a": 2, "b": 1}, {"a": 1, "b": 3}), "concurrent"),
        Example(({}, {"c": 2}), "before"),
    ]


def _by_sums(a: dict[str, int], b: dict[str, int]) -> str:
    sa, sb = sum(a.values()), sum(b.values())
    return "before" if sa < sb else "after" if sa > sb else "equal"


def _diagnose(m: Mismatch) -> str | None:
    a, b = m.example.args
    if m.problem == "raised" and isinstance(m.error, KeyError):
        return (
            "A node missing from a clock has counted no events there: treat it as 0 "
            "(a.get(node, 0)), and look at the nodes of both clocks."
        )
    if m.problem == "type" or (m.problem == "wrong" and m.got not in ORDERINGS):
        return f"Return one of the strings {', '.join(repr(o) for o in ORDERINGS)}."
    if m.problem != "wrong":
        return None
    want = m.example.expected
    if m.got == _by_sums(a, b) and want == "concurrent":
        return (
            "Comparing totals (or any single number) cannot detect concurrency: that is what a "
            "Lamport clock does. Compare entry by entry: a is before b when every entry of a is "
            "<= the same entry of b and they are not equal; concurrent when neither is <= the "
            "other."
        )
    if set(a) != set(b):
        return (
            "The two clocks name different nodes: take every node of either clock "
            "(set(a) | set(b)), with a missing entry counting as 0."
        )
    if want == "concurrent":
        return (
            "Some entries of a are larger and some of b are larger: neither clock is <= the "
            "other, so the events are concurrent."
        )
    if m.got == _FLIP.get(want):
        return "You have before and after the wrong way round: 'before' means a <= b entry-wise."
    return "Compare entry by entry: before (a <= b, a != b), after, equal or concurrent."


_NODES = ("a", "b", "c")
_CLOCKS = st.dictionaries(st.sampled_from(_NODES), st.integers(0, 3), max_size=3)


def _check_definition(answer: Any, case: tuple[dict[str, int], dict[str, int]]) -> Failure | None:
    a, b = case
    got = call_answer(answer, dict(a), dict(b))
    want = compare_vectors(a, b)
    if got != want:
        return Failure(
            f"compare({a!r}, {b!r}) returned {got!r}; expected {want!r}",
            _diagnose(Mismatch(Example((a, b), want), "wrong", got=got)),
        )
    return None


def _check_antisymmetry(answer: Any, case: tuple[dict[str, int], dict[str, int]]) -> Failure | None:
    a, b = case
    ab = call_answer(answer, dict(a), dict(b))
    ba = call_answer(answer, dict(b), dict(a))
    if ba != _FLIP.get(ab):
        return Failure(
            f"compare(a, b) returned {ab!r} but compare(b, a) returned {ba!r} for a={a!r}, "
            f"b={b!r}; swapping the arguments must swap before and after and keep equal and "
            "concurrent",
            "Your comparison is not symmetric: check both directions, a <= b and b <= a, over "
            "the nodes of both clocks.",
        )
    return None


def _check_causality(answer: Any, case: tuple[int, int]) -> Failure | None:
    seed, nodes = case
    events = clock_events(clock_run(nodes=nodes, steps=3, seed=seed))
    hb = happens_before(events)
    for x in events:
        for y in events:
            if x.id == y.id:
                continue
            got = call_answer(answer, x.vector.as_dict(), y.vector.as_dict())
            want = "before" if (x.id, y.id) in hb else "after" if (y.id, x.id) in hb else None
            if want is None and got != "concurrent":
                want = "concurrent"
            if want is not None and got != want:
                return Failure(
                    f"in clock_run(nodes={nodes}, steps=3, seed={seed}), event "
                    f"{x.node}{x.index} has V={x.vector.as_dict()} and event {y.node}{y.index} "
                    f"has V={y.vector.as_dict()}; the first {_relation(want)} the second, but "
                    f"compare returned {got!r}",
                    "A vector clock tells exactly whether one event happened before another: "
                    "compare entry by entry, with a missing node counting as 0.",
                    length=len(events),
                )
    return None


def _relation(want: str) -> str:
    return {
        "before": "happened before",
        "after": "happened after",
        "concurrent": "is concurrent with",
    }[want]


STATEMENT = """\
Write compare(a, b): how does vector clock a relate to vector clock b?

A vector clock is a dict from node name to a counter, e.g. {"p1": 2, "p2": 1}; a node
missing from the dict counts as 0 ({"p1": 1} and {"p1": 1, "p2": 0} are the same clock).
Return

- "equal" when every entry of a equals the same entry of b;
- "before" when every entry of a is <= the same entry of b, and they are not equal
  (the event stamped a happened before the one stamped b);
- "after" when b is before a;
- "concurrent" when neither a <= b nor b <= a.

Do not change a or b. The check runs examples, then hypothesis properties on random clocks
(the answer agrees with the definition; swapping a and b swaps "before" and "after"), then
compares your answer with the true happens-before relation of simulated runs
(dslib.clocks.clock_run)."""

COMPARE = add_exercise(
    id="ch02.compare_vector_clocks",
    answered_by=("compare_vectors", "VectorClock.compare"),
    title="Compare two vector clocks",
    statement=STATEMENT,
    answer=FunctionAnswer("compare", ("a", "b")),
    stages=(
        Examples(
            "examples",
            _examples,
            diagnose=_diagnose,
            default_hint="Compare entry by entry over the nodes of both clocks.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(_CLOCKS, _CLOCKS),
                    _check_definition,
                    max_examples=150,
                ),
                Property(
                    "antisymmetric",
                    st.tuples(_CLOCKS, _CLOCKS),
                    _check_antisymmetry,
                    max_examples=100,
                ),
            ],
        ),
        Properties(
            "causality",
            [
                Property(
                    "before exactly when happened-before",
                    st.tuples(st.integers(0, 10_000), st.integers(2, 4)),
                    _check_causality,
                    lambda c: f"clock_run(nodes={c[1]}, steps=3, seed={c[0]})",
                    max_examples=15,
                )
            ],
        ),
    ),
    hints=(
        "a <= b means: for every node n, a.get(n, 0) <= b.get(n, 0).",
        "Look at set(a) | set(b): a node may appear in only one of the clocks.",
    ),
)
