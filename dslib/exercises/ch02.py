"""Chapter 2 (time and order): causality and the clocks that track it.

- ``ch02.compare_vector_clocks``: decide whether one vector clock is before,
  after, equal to or concurrent with another, the test at the heart of every
  system that tracks causality (Dynamo's conflict detection among them);
- ``ch02.happened_before``: the happens-before relation of a run itself (Lamport 1978,
  section 2), from program order and messages, closed under transitivity;
- ``ch02.hlc_receive``: the receive rule of a hybrid logical clock (Kulkarni et al. 2014,
  Figure 5).

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch02.compare_vector_clocks").stages]
['examples', 'properties', 'causality']
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st

from dslib.clocks import (
    ORDERINGS,
    HybridLogicalClock,
    clock_events,
    clock_run,
    compare_vectors,
    happens_before,
)
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
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


# == ch02.happened_before ========================================================================
Event = tuple[str, int, Any]


def hb_reference(events: list[Any]) -> set[tuple[tuple[str, int], tuple[str, int]]]:
    """Every pair ``(a, b)`` with ``a -> b``: program order, send before receive, transitively.

    Written from the definition (a transitive closure over the direct edges), independently
    of ``dslib.clocks.happens_before``, which the tests compare it with.

    >>> sorted(hb_reference([("p", 0, None), ("p", 1, None), ("q", 0, ("p", 0))]))
    [(('p', 0), ('p', 1)), (('p', 0), ('q', 0))]
    """
    ids = [(n, i) for n, i, _ in events]
    edges: dict[tuple[str, int], set[tuple[str, int]]] = {a: set() for a in ids}
    for n, i, cause in events:
        if (n, i + 1) in edges:
            edges[(n, i)].add((n, i + 1))
        if cause is not None:
            edges[tuple(cause)].add((n, i))
    closure = {a: set(edges[a]) for a in ids}
    for k in ids:  # Warshall
        for a in ids:
            if k in closure[a]:
                closure[a] |= closure[k]
    return {(a, b) for a in ids for b in closure[a]}


def _as_events(sim_events: Any) -> list[Event]:
    return [(e.node, e.index, e.cause) for e in sim_events]


def _hb_call(args: tuple[Any, ...]) -> str:
    return f"happened_before({args[0]!r})"


_CHAIN: list[Event] = [
    ("p1", 0, None),
    ("p1", 1, None),  # sends to p2
    ("p2", 0, None),
    ("p2", 1, ("p1", 1)),  # receives p1's message
    ("p2", 2, None),  # sends to p3
    ("p3", 0, ("p2", 2)),
]
_CROSS: list[Event] = [
    ("a", 0, None),  # sends to b
    ("b", 0, None),  # sends to a
    ("a", 1, ("b", 0)),
    ("b", 1, ("a", 0)),
]


def _hb_examples() -> list[Example]:
    cases: list[list[Event]] = [
        [("p", 0, None)],
        [("p", 0, None), ("p", 1, None), ("p", 2, None)],
        [("p", 0, None), ("q", 0, ("p", 0))],
        _CHAIN,
        _CROSS,
        [],
    ]
    return [Example((list(c),), hb_reference(c)) for c in cases]


def _direct(events: list[Event]) -> set[tuple[tuple[str, int], tuple[str, int]]]:
    ids = {(n, i) for n, i, _ in events}
    out = {((n, i), (n, i + 1)) for n, i, _ in events if (n, i + 1) in ids}
    return out | {(tuple(c), (n, i)) for n, i, c in events if c is not None}


def _as_pairs(got: Any) -> Any:
    return set(got) if isinstance(got, (set, frozenset, list)) else got


_HB_MISTAKES = (
    Mistake(
        "not transitive",
        lambda f: _as_pairs(f(list(_CHAIN))) == _direct(_CHAIN),
        "You listed the direct edges only (the next event of a node, a send and its "
        "receive). Happens-before is transitive: p1's first event also happened before "
        "everything its message led to on p2 and p3. Close the relation: keep adding (a, c) "
        "whenever (a, b) and (b, c) are in it, until nothing changes.",
    ),
    Mistake(
        "messages backwards",
        lambda f: (
            (("p2", 1), ("p1", 1)) in _as_pairs(f(list(_CHAIN)))
            and (("p1", 1), ("p2", 1)) not in _as_pairs(f(list(_CHAIN)))
        ),
        "A message goes from its send to its receive: the send (the cause) happened before "
        "the receive, not the other way round.",
    ),
    Mistake(
        "reflexive",
        lambda f: (("p", 0), ("p", 0)) in _as_pairs(f([("p", 0, None)])),
        "Happens-before is irreflexive: no event happened before itself. Leave out (a, a).",
    ),
)


def _hb_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, (set, frozenset))):
        return "Return a set of pairs (a, b) of event ids, each id a tuple (node, index)."
    if m.problem != "wrong":
        return None
    want, got = m.example.expected, set(m.got)
    missing = sorted(want - got)
    if missing:
        a, b = missing[0]
        if a[0] == b[0]:
            return (
                f"{a} comes before {b} on the same node: program order is part of happens-before."
            )
        return f"{a} happened before {b} (through messages): you left the pair out."
    extra = sorted(got - want)
    if extra:
        return f"{extra[0][0]} did not happen before {extra[0][1]}: no chain of events links them."
    return None


@st.composite
def _runs(draw: Any) -> list[Event]:
    seed = draw(st.integers(0, 10_000))
    nodes = draw(st.integers(2, 4))
    return _as_events(clock_events(clock_run(nodes=nodes, steps=3, seed=seed)))


def _check_hb(answer: Any, events: list[Event]) -> Failure | None:
    got = call_answer(answer, list(events))
    want = hb_reference(events)
    if isinstance(got, (set, frozenset)) and set(got) == want:
        return None
    shown = sorted(got) if isinstance(got, (set, frozenset)) else got
    return Failure(
        f"happened_before({events!r}) returned {shown!r}; expected {sorted(want)!r}",
        _hb_diagnose(Mismatch(Example((events,), want), "wrong", got=got))
        if isinstance(got, (set, frozenset))
        else None,
    )


HB_STATEMENT = """\
Write happened_before(events): the happens-before relation of a run, as a set of pairs.

- events is a list of (node, index, cause): the event number index (0, 1, 2, ...) of node;
  cause is None, or for a receive, the (node, index) of the send whose message it received.
- Event (node, index) is named by that tuple. a -> b (Lamport 1978, section 2) when a comes
  before b on the same node, or a is the send of the message that b received, or there is
  a c with a -> c and c -> b.
- Return the set of every pair (a, b) with a -> b (no pair (a, a)). Do not change events.

The check runs examples, then a hypothesis property on random runs of dslib.clocks.clock_run
(2 to 4 nodes)."""

HAPPENED_BEFORE = add_exercise(
    id="ch02.happened_before",
    answered_by=("happens_before",),
    title="Happens-before, from a run",
    statement=HB_STATEMENT,
    answer=FunctionAnswer("happened_before", ("events",)),
    stages=(
        Examples(
            "examples",
            _hb_examples,
            call_text=_hb_call,
            diagnose=_hb_diagnose,
            mistakes=_HB_MISTAKES,
            default_hint="Direct edges first (next event on a node; send to receive), then "
            "close them under transitivity.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition on simulated runs",
                    _runs(),
                    _check_hb,
                    lambda events: f"events={events!r}",
                    max_examples=60,
                )
            ],
        ),
    ),
    hints=(
        "Start from the direct edges, then repeat: for every (a, b) and (b, c), add (a, c).",
        "An event's id is (node, index); its successor on the node is (node, index + 1).",
    ),
)


# == ch02.hlc_receive ============================================================================
def _hlc(own_l: float, c: int, ml: float, mc: int, pt: float) -> tuple[float, int]:
    new = HybridLogicalClock(own_l, c).receive(HybridLogicalClock(ml, mc), pt)
    return (new.l, new.c)


def _hlc_call(args: tuple[Any, ...]) -> str:
    return "hlc_receive({}, {}, {}, {}, {})".format(*args)


_HLC_CASES = [
    (5.0, 3, 8.0, 1, 2.0),  # the message's l wins
    (5.0, 3, 5.0, 7, 2.0),  # a tie of l: the larger counter
    (5.0, 3, 6.0, 1, 10.0),  # the physical clock wins
    (9.0, 2, 4.0, 6, 3.0),  # the node's own l wins
    (4.0, 0, 4.0, 0, 4.0),  # all three equal
    (0.0, 0, 0.0, 0, 1.5),
]


def _hlc_examples() -> list[Example]:
    return [Example(c, _hlc(*c)) for c in _HLC_CASES]


def _pair(got: Any) -> Any:
    return tuple(got) if isinstance(got, (tuple, list)) else got


_HLC_MISTAKES = (
    Mistake(
        "ignores the physical clock",
        lambda f: _pair(f(5.0, 3, 6.0, 1, 10.0)) == (6.0, 2),
        "l also takes the physical clock: l' = max(l, msg_l, pt). When pt is the largest, the "
        "counter restarts at 0: that keeps l close to real time (Theorem 2).",
    ),
    Mistake(
        "the node's own counter when the message's l wins",
        lambda f: _pair(f(5.0, 3, 8.0, 1, 2.0)) == (8.0, 4),
        "When the message's l wins, the counter follows the message: msg_c + 1, not c + 1. "
        "The counter belongs to whichever l became the new l.",
    ),
    Mistake(
        "ignores the message's counter on a tie",
        lambda f: _pair(f(5.0, 3, 5.0, 7, 2.0)) == (5.0, 4),
        "When the node's l and the message's l are equal (and win), both counters count "
        "events at that l: take max(c, msg_c) + 1.",
    ),
)


def _hlc_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, (tuple, list))):
        return "Return a pair (l, c)."
    return None


_TIMES = st.integers(0, 6).map(float)


def _check_hlc(answer: Any, case: tuple[float, int, float, int, float]) -> Failure | None:
    got = _pair(call_answer(answer, *case))
    want = _hlc(*case)
    if got == want:
        return None
    return Failure(f"{_hlc_call(case)} returned {got!r}; expected {want!r}", None)


HLC_STATEMENT = """\
Write hlc_receive(l, c, msg_l, msg_c, pt): a hybrid logical clock's new (l, c) when its node
receives a message stamped (msg_l, msg_c) while its physical clock reads pt.

The rule (Kulkarni et al. 2014, Figure 5, "receive event of message m"):
- l' = max(l, msg_l, pt);
- the counter follows whichever l became l': if l' equals both l and msg_l, it is
  max(c, msg_c) + 1; if it equals l only, c + 1; if msg_l only, msg_c + 1; if it is pt
  (larger than both), 0.
Return the pair (l', c').

The check runs examples, then a hypothesis property on small random clocks, where ties are
common."""

HLC_RECEIVE = add_exercise(
    id="ch02.hlc_receive",
    answered_by=("HybridLogicalClock.receive", "HybridLogicalClock"),
    title="A hybrid logical clock receives",
    statement=HLC_STATEMENT,
    answer=FunctionAnswer("hlc_receive", ("l", "c", "msg_l", "msg_c", "pt")),
    stages=(
        Examples(
            "examples",
            _hlc_examples,
            call_text=_hlc_call,
            diagnose=_hlc_diagnose,
            mistakes=_HLC_MISTAKES,
            default_hint="l' = max(l, msg_l, pt); then ask which of the three equals l'.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with Figure 5",
                    st.tuples(_TIMES, st.integers(0, 3), _TIMES, st.integers(0, 3), _TIMES),
                    _check_hlc,
                    _hlc_call,
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "Compute l' first, then compare it with l and msg_l (both may equal it).",
        "If pt is strictly the largest, the counter restarts at 0.",
    ),
)
