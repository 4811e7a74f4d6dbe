"""Chapter 2 (time and order): causality and the clocks that track it.

- ``ch02.compare_vector_clocks``: decide whether one vector clock is before,
  after, equal to or concurrent with another, the test at the heart of every
  system that tracks causality (Dynamo's conflict detection among them);
- ``ch02.happened_before``: the happens-before relation of a run itself (Lamport 1978,
  section "The Partial Ordering"), from program order and messages, closed under transitivity;
- ``ch02.hlc_receive``: the receive rule of a hybrid logical clock (Kulkarni et al. 2014,
  Figure 5).
- ``ch02.causal_delivery``: when a causal broadcast may be delivered (Birman, Schiper and
  Stephenson 1991, section 4), checked on examples, definitions and broadcast runs.
- ``ch02.consistent_cut``: whether a cut of a run is consistent (Chandy and Lamport 1985,
  section 4), the property a snapshot must have.
- ``ch02.commit_wait``: Spanner's commit timestamp and commit wait from a TrueTime interval
  (Corbett et al. 2012, section 4.1.2).
- ``ch02.put_with_context``: what a replica keeps after a put with dotted version vectors
  (Preguiça et al. 2010): the versions the client's context does not cover, and the new one.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch02.compare_vector_clocks").stages]
['examples', 'properties', 'causality']
"""

from __future__ import annotations

from collections.abc import Iterator
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
- Event (node, index) is named by that tuple. a -> b (Lamport 1978, section "The Partial
  Ordering") when a comes before b on the same node, or a is the send of the message that b
  received, or there is a c with a -> c and c -> b.
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


# == ch02.causal_delivery ========================================================================
_CAUSAL_CASES: list[tuple[dict[str, int], str, dict[str, int], bool]] = [
    ({"p1": 1}, "p2", {"p1": 1, "p2": 0}, True),  # p1's message delivered: go
    ({}, "p2", {"p1": 1, "p2": 0}, False),  # p1's message not yet delivered: wait
    ({"p1": 2}, "p2", {"p1": 1, "p2": 0}, True),  # delivered more of p1 than the sender had
    ({"p2": 1}, "p2", {"p2": 0}, False),  # already delivered
    ({}, "p2", {"p2": 1}, False),  # the sender's earlier message is missing
    ({"p1": 1, "p2": 2}, "p2", {"p2": 2, "p1": 1}, True),
    ({}, "p1", {"p1": 0}, True),  # nothing before it
    ({"p3": 1}, "p1", {"p1": 0, "p3": 2}, False),
    ({"p1": 3}, "p1", {"p1": 3, "p2": 0}, True),  # a zero entry the receiver lacks
]


def _causal_examples() -> list[Example]:
    return [Example((d, o, v), want) for d, o, v, want in _CAUSAL_CASES]


def _causal_call(args: tuple[Any, ...]) -> str:
    return "deliverable({!r}, {!r}, {!r})".format(*args)


_CAUSAL_MISTAKES = (
    Mistake(
        "waits for the sender's messages only",
        lambda f: f({}, "p2", {"p1": 1, "p2": 0}) is True and f({}, "p2", {"p2": 1}) is False,
        "You wait only for the sender's earlier messages: that is FIFO order. The sender had "
        "also delivered deps[k] messages of each other process k before it broadcast, and "
        "those happened before this message: wait until delivered[k] >= deps[k] for each.",
    ),
    Mistake(
        "requires every entry to be equal",
        lambda f: (
            f({"p1": 2}, "p2", {"p1": 1, "p2": 0}) is False
            and f({"p1": 1}, "p2", {"p1": 1, "p2": 0}) is True
        ),
        "The receiver may have delivered more of another process's messages than the sender "
        "had (delivered[k] > deps[k]); that holds nothing back. Only the sender's own entry "
        "must be equal (this is its next message); the others need delivered[k] >= deps[k].",
    ),
    Mistake(
        "compares the sender's entry with <= or >= instead of ==",
        lambda f: f({"p2": 1}, "p2", {"p2": 0}) is True or f({}, "p2", {"p2": 1}) is True,
        "The sender's entry must be exactly equal: deps[origin] < delivered[origin] means "
        "this message was delivered already, and deps[origin] > delivered[origin] that an "
        "earlier message of the sender is still missing.",
    ),
)


def _causal_diagnose(m: Mismatch) -> str | None:
    if m.problem == "raised" and isinstance(m.error, KeyError):
        return (
            "A process missing from a dict has no messages delivered or depended on: use "
            "delivered.get(k, 0) and deps.get(k, 0)."
        )
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, bool)):
        return "Return True or False."
    return None


def _causal_reference(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    if deps.get(origin, 0) != delivered.get(origin, 0):
        return False
    return all(deps.get(k, 0) <= delivered.get(k, 0) for k in deps if k != origin)


_PROCESSES = ("p1", "p2", "p3")
_COUNTS = st.dictionaries(st.sampled_from(_PROCESSES), st.integers(0, 2), max_size=3)


def _check_causal_definition(
    answer: Any, case: tuple[dict[str, int], str, dict[str, int]]
) -> Failure | None:
    got = call_answer(answer, dict(case[0]), case[1], dict(case[2]))
    want = _causal_reference(*case)
    if got is want:
        return None
    return Failure(f"{_causal_call(case)} returned {got!r}; expected {want!r}", None)


def _check_causal_runs(answer: Any, seed: int) -> Failure | None:
    from dslib.clocks.broadcast import (
        broadcast_history,
        broadcast_run,
        causal_order,
        delivered_once,
    )

    def rule(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
        return bool(call_answer(answer, dict(delivered), origin, dict(deps)))

    history = broadcast_history(broadcast_run("causal", 4, 6, seed, deliverable=rule))
    for name, outcome in (
        ("causal order", causal_order(history)),
        ("every message delivered", delivered_once(history)),
    ):
        if not outcome.ok:
            return Failure(
                f"with your rule, broadcast_run('causal', nodes=4, messages=6, seed={seed}) "
                f"breaks {name}: {outcome.detail}",
                None,
            )
    return None


CAUSAL_STATEMENT = """\
Write deliverable(delivered, origin, deps): may a process deliver a causal broadcast now?

Causal broadcast (chapter 2.4): each message carries deps, a dict from process to count.
deps[origin] is the message's sequence number (how many messages its sender origin had
broadcast before it); deps[k], for any other process k, is how many of k's messages the sender
had delivered when it broadcast. The receiver has delivered delivered[k] messages of each k.
A missing entry counts as 0.

Return True when the message can be delivered without breaking causal order: it is the next
message of origin, and every message it depends on has been delivered (Birman, Schiper and
Stephenson 1991, section 4). Do not change the dicts.

The check runs examples, then a hypothesis property on small random counts, then causal
broadcast runs of dslib.clocks.broadcast.broadcast_run with your rule, checked for causal order and
for every message delivered once."""

CAUSAL_DELIVERY = add_exercise(
    id="ch02.causal_delivery",
    answered_by=("causally_deliverable",),
    title="When may a causal broadcast be delivered?",
    statement=CAUSAL_STATEMENT,
    answer=FunctionAnswer("deliverable", ("delivered", "origin", "deps")),
    stages=(
        Examples(
            "examples",
            _causal_examples,
            call_text=_causal_call,
            diagnose=_causal_diagnose,
            mistakes=_CAUSAL_MISTAKES,
            default_hint="Two conditions: deps[origin] == delivered[origin], and "
            "deps[k] <= delivered[k] for every other k.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(_COUNTS, st.sampled_from(_PROCESSES), _COUNTS),
                    _check_causal_definition,
                    _causal_call,
                    max_examples=150,
                )
            ],
        ),
        Properties(
            "runs",
            [
                Property(
                    "causal broadcast with your rule keeps causal order",
                    st.integers(0, 1000),
                    _check_causal_runs,
                    lambda seed: f"seed={seed}",
                    max_examples=8,
                )
            ],
        ),
    ),
    hints=(
        "The sender's entry says which of its messages this is: it must be the next one.",
        "Every other entry says what the sender had seen: the receiver must have seen as much.",
    ),
)


# == ch02.consistent_cut =========================================================================
def _m(sender: str, k: int = 0) -> tuple[str, int]:
    return (sender, k)


_IN_FLIGHT = {"p1": [("send", _m("p1"))], "p2": [("receive", _m("p1"))]}
_TWO_SENDS = {
    "p1": [("receive", _m("p2", 1)), ("receive", _m("p2", 0))],
    "p2": [("send", _m("p2", 0)), ("send", _m("p2", 1))],
}
_CUT_CHAIN = {
    "p1": [("send", _m("p1"))],
    "p2": [("receive", _m("p1")), ("send", _m("p2"))],
    "p3": [("receive", _m("p2"))],
}
_CUT_CASES: list[tuple[dict[str, list[tuple[str, tuple[str, int]]]], dict[str, int], bool]] = [
    (_IN_FLIGHT, {"p1": 1, "p2": 1}, True),  # sent and received inside
    (_IN_FLIGHT, {"p1": 1, "p2": 0}, True),  # in flight: fine
    (_IN_FLIGHT, {"p1": 0, "p2": 1}, False),  # received inside, sent outside
    (_IN_FLIGHT, {"p1": 0, "p2": 0}, True),  # the empty cut
    (_TWO_SENDS, {"p1": 0, "p2": 0}, True),
    (_TWO_SENDS, {"p1": 1, "p2": 1}, False),  # p2.1 received inside, sent outside
    (_TWO_SENDS, {"p1": 2, "p2": 2}, True),
    (_CUT_CHAIN, {"p1": 1, "p2": 2, "p3": 0}, True),
    (_CUT_CHAIN, {"p1": 1, "p2": 1, "p3": 1}, False),  # p2's send is outside
    (_CUT_CHAIN, {"p1": 0, "p2": 2, "p3": 1}, False),  # p1's send is outside
]


def _cut_examples() -> list[Example]:
    return [Example((logs, cut), want) for logs, cut, want in _CUT_CASES]


def _cut_call(args: tuple[Any, ...]) -> str:
    return "consistent({!r}, {!r})".format(*args)


_CUT_MISTAKES = (
    Mistake(
        "rejects messages in flight",
        lambda f: f(_IN_FLIGHT, {"p1": 1, "p2": 0}) is False,
        "A message sent inside the cut and received outside it was in flight when the state "
        "was recorded: that is allowed (it belongs to the channel's state). Only a message "
        "received inside but sent outside makes a cut inconsistent.",
    ),
    Mistake(
        "counts one entry too many",
        lambda f: f(_TWO_SENDS, {"p1": 0, "p2": 0}) is False,
        "cut[p] counts the entries inside: they are logs[p][:cut[p]], the first cut[p] "
        "entries, not logs[p][:cut[p] + 1].",
    ),
    Mistake(
        "looks for the send in the whole log",
        lambda f: f(_IN_FLIGHT, {"p1": 0, "p2": 1}) is True,
        "The send must be inside the cut too: among the first cut[sender] entries of the "
        "sender's log. A send after the cut had not happened yet in the recorded state.",
    ),
)


def _cut_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, bool)):
        return "Return True or False."
    return None


def _cut_reference(logs: Any, cut: Any) -> bool:
    sent = {msg for p in cut for kind, msg in logs[p][: cut[p]] if kind == "send"}
    return all(msg in sent for p in cut for kind, msg in logs[p][: cut[p]] if kind == "receive")


@st.composite
def _logs_and_cuts(draw: Any) -> tuple[dict[str, list[Any]], dict[str, int]]:
    nodes = [f"p{i}" for i in range(1, draw(st.integers(2, 3)) + 1)]
    logs: dict[str, list[Any]] = {n: [] for n in nodes}
    in_flight: list[tuple[tuple[str, int], str]] = []
    for _ in range(draw(st.integers(0, 8))):
        if in_flight and draw(st.booleans()):
            msg, receiver = in_flight.pop(draw(st.integers(0, len(in_flight) - 1)))
            logs[receiver].append(("receive", msg))
        else:
            sender = draw(st.sampled_from(nodes))
            msg = (sender, sum(1 for k, _ in logs[sender] if k == "send"))
            logs[sender].append(("send", msg))
            in_flight.append((msg, draw(st.sampled_from([n for n in nodes if n != sender]))))
    return logs, {n: draw(st.integers(0, len(logs[n]))) for n in nodes}


def _check_cut(answer: Any, case: tuple[dict[str, list[Any]], dict[str, int]]) -> Failure | None:
    logs, cut = case
    got = call_answer(answer, {p: list(log) for p, log in logs.items()}, dict(cut))
    want = _cut_reference(logs, cut)
    if got is want:
        return None
    return Failure(f"{_cut_call(case)} returned {got!r}; expected {want!r}", None)


CUT_STATEMENT = """\
Write consistent(logs, cut): is the cut consistent?

logs maps each process to its events in order: ("send", m) or ("receive", m), where a
message m is named (sender, k), the sender's k-th message. cut maps each process p to how
many of its events are inside the cut: the first cut[p] events of logs[p]. A snapshot
records the state of each process after its events inside the cut.

The cut is consistent (Chandy and Lamport 1985, section 4) when no message is received
inside it but sent outside it: the recorded state could then have happened. A message sent
inside and received outside is fine: it was in flight. Return True or False; do not change
the arguments.

The check runs examples, then a hypothesis property on random logs and cuts."""

CONSISTENT_CUT = add_exercise(
    id="ch02.consistent_cut",
    answered_by=("consistent_cut",),
    title="Is a cut consistent?",
    statement=CUT_STATEMENT,
    answer=FunctionAnswer("consistent", ("logs", "cut")),
    stages=(
        Examples(
            "examples",
            _cut_examples,
            call_text=_cut_call,
            diagnose=_cut_diagnose,
            mistakes=_CUT_MISTAKES,
            default_hint="Collect the messages sent inside the cut; then every message "
            "received inside must be among them.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _logs_and_cuts(),
                    _check_cut,
                    _cut_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "The events inside the cut are logs[p][:cut[p]] for each p.",
        "Only receives can make a cut inconsistent.",
    ),
)


# == ch02.commit_wait ============================================================================
_WAIT_CASES = [
    ((96.0, 104.0), (104.0, 8.0)),
    ((10.0, 10.0), (10.0, 0.0)),  # no uncertainty: no wait
    ((0.5, 3.5), (3.5, 3.0)),
    ((-2.0, 2.0), (2.0, 4.0)),
]


def _wait_examples() -> list[Example]:
    return [Example(args, want) for args, want in _WAIT_CASES]


def _wait_call(args: tuple[Any, ...]) -> str:
    return "commit({!r}, {!r})".format(*args)


_WAIT_MISTAKES = (
    Mistake(
        "takes the timestamp from the earliest bound",
        lambda f: _pair(f(96.0, 104.0))[:1] == (96.0,),
        "The timestamp must be at least TT.now().latest: the true time may already be as late "
        "as latest, and a transaction that started before this commit arrived may have a "
        "timestamp up to there. Take s = latest.",
    ),
    Mistake(
        "waits half the interval",
        lambda f: _pair(f(96.0, 104.0)) == (104.0, 4.0),
        "Waiting epsilon (half the width) brings the local clock to s, but TT.after(s) needs "
        "TT.now().earliest > s, and earliest is latest - 2 * epsilon: wait s - earliest.",
    ),
    Mistake(
        "does not wait",
        lambda f: _pair(f(96.0, 104.0)) == (104.0, 0.0),
        "Without commit wait a transaction that starts right after the acknowledgement, at a "
        "leader whose clock is behind, can get a smaller timestamp: wait until TT.after(s).",
    ),
)


def _wait_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, (tuple, list))):
        return "Return a pair (s, wait)."
    return None


def _check_wait(answer: Any, case: tuple[float, float]) -> Failure | None:
    earliest, width = case
    args = (earliest, earliest + width)
    got = _pair(call_answer(answer, *args))
    want = (earliest + width, width)
    if got == want:
        return None
    return Failure(f"{_wait_call(args)} returned {got!r}; expected {want!r}", None)


WAIT_STATEMENT = """\
Write commit(earliest, latest): the commit timestamp s and the commit wait of a Spanner leader.

A commit request arrives when the leader's TrueTime says TT.now() = [earliest, latest]: the
true time is somewhere in between (chapter 2.6). Spanner's rules (Corbett et al. 2012,
section 4.1.2): the timestamp s is no less than TT.now().latest; and the leader lets no one
see the commit until TT.after(s) is true, that is until TT.now().earliest > s. The interval
moves with the leader's local clock. Return (s, wait): the smallest such s, and how long the
leader must wait, on its local clock, from now until TT.after(s) (ignore the strict >).

The check runs examples, then a hypothesis property on random intervals."""

COMMIT_WAIT = add_exercise(
    id="ch02.commit_wait",
    answered_by=("commit_rule",),
    title="Commit wait",
    statement=WAIT_STATEMENT,
    answer=FunctionAnswer("commit", ("earliest", "latest")),
    stages=(
        Examples(
            "examples",
            _wait_examples,
            call_text=_wait_call,
            diagnose=_wait_diagnose,
            mistakes=_WAIT_MISTAKES,
            default_hint="s = latest; then wait until earliest has grown to s.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the rule",
                    st.tuples(st.integers(-20, 20).map(float), st.integers(0, 10).map(float)),
                    _check_wait,
                    lambda case: _wait_call((case[0], case[0] + case[1])),
                    max_examples=100,
                )
            ],
        ),
    ),
    hints=(
        "The timestamp is the latest bound.",
        "Both bounds move at the speed of the local clock.",
    ),
)


# == ch02.put_with_context =======================================================================
Version = tuple[Any, tuple[str, int], dict[str, int]]

_V1: Version = ("v1", ("A", 1), {})
_MILK: Version = ("milk", ("A", 2), {"A": 1})
_EGGS: Version = ("eggs", ("A", 3), {"A": 1})
_ON_B: Version = ("y", ("B", 1), {})

_PUT_CASES: list[tuple[list[Version], dict[str, int], Any, str, int]] = [
    ([], {}, "v1", "A", 0),  # the first write
    ([_V1], {"A": 1}, "milk", "A", 1),  # the client read v1: milk replaces it
    ([_V1], {}, "eggs", "A", 1),  # a blind put: a sibling
    ([_MILK], {"A": 1}, "eggs", "A", 2),  # read v1 before milk was written: a sibling
    ([_MILK, _EGGS], {"A": 3}, "bread", "A", 3),  # read both siblings: replaces both
    ([_V1, _ON_B], {"A": 1}, "z", "B", 1),  # through another server: y was not read
    ([("x", ("B", 3), {"A": 2})], {"A": 2, "B": 2}, "w", "A", 2),  # B:3 is past the context
]


def put_reference(
    versions: list[Version], context: dict[str, int], value: Any, server: str, counter: int
) -> list[Version]:
    """The versions a replica keeps after a put with dotted version vectors.

    Every stored version whose dot the client's context does not cover stays, a sibling; the
    new version, dotted ``(server, counter + 1)`` and stored with the client's context, comes
    last (``dslib.clocks.server_put``, Preguiça et al. 2010).

    >>> put_reference([("v1", ("A", 1), {})], {}, "eggs", "A", 1)
    [('v1', ('A', 1), {}), ('eggs', ('A', 2), {})]
    >>> put_reference([("v1", ("A", 1), {})], {"A": 1}, "milk", "A", 1)
    [('milk', ('A', 2), {'A': 1})]
    """
    kept = [(v, dot, dict(ctx)) for v, dot, ctx in versions if context.get(dot[0], 0) < dot[1]]
    return [*kept, (value, (server, counter + 1), dict(context))]


def _put_call(args: tuple[Any, ...]) -> str:
    return "put({!r}, {!r}, {!r}, {!r}, {!r})".format(*args)


def _put_examples() -> list[Example]:
    return [Example(args, put_reference(*args)) for args in _PUT_CASES]


def _versions(got: Any) -> Any:
    """The answer's versions as (value, (server, n), dict) triples, if it returned a list."""
    if not isinstance(got, (list, tuple)):
        return got
    out = []
    for v in got:
        if not (isinstance(v, (list, tuple)) and len(v) == 3):
            return got
        value, dot, ctx = v
        out.append((value, tuple(dot) if isinstance(dot, (list, tuple)) else dot, ctx))
    return out


_PUT_MISTAKES = (
    Mistake(
        "last writer wins",
        lambda f: _versions(f([_ON_B], {}, "x", "A", 0)) == [("x", ("A", 1), {})],
        "You kept only the new version: that is last-writer-wins, and it drops a write the "
        "client never read. A put replaces only the versions the client had seen: keep every "
        "version whose dot (s, n) the context does not cover (context.get(s, 0) < n). A blind "
        "put (context {}) covers nothing, so every stored version stays as a sibling.",
    ),
    Mistake(
        "takes the server's clock as the context",
        lambda f: _versions(f([_V1], {}, "eggs", "A", 1)) == [("eggs", ("A", 2), {"A": 1})],
        "You used what the server has seen (its own clock, every version it holds) as the "
        "context; the client may have read less. The context that decides what the put "
        "replaces, and that the new version is stored with, is the one the client sent.",
    ),
    Mistake(
        "compares with the new version's vector",
        lambda f: (
            _versions(f([_V1], {}, "eggs", "A", 1)) == [("eggs", ("A", 2), {})]
            and _versions(f([_ON_B], {}, "x", "A", 0))[:1] == [_ON_B]
        ),
        "You dropped the versions that the new version's vector (the context plus the new "
        "dot) covers. That vector counts the server's own earlier writes, which the client "
        "never read: a blind put through A then discards v1. Decide by the client's context "
        "alone: a version stays unless context.get(s, 0) >= n for its dot (s, n).",
    ),
    Mistake(
        "keeps the versions the client had seen",
        lambda f: _versions(f([_V1], {"A": 1}, "milk", "A", 1))[:1] == [_V1],
        "The client read v1 (its context {'A': 1} covers v1's dot ('A', 1)), so its put "
        "replaces v1: drop every version whose dot (s, n) the context covers, "
        "context.get(s, 0) >= n (>=, not >).",
    ),
)


def _put_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, (list, tuple))):
        return (
            "Return a list of (value, dot, context) triples: the versions kept, then the new one."
        )
    if m.problem != "wrong":
        return None
    want, got = m.example.expected, _versions(m.got)
    if isinstance(got, list) and got[:-1] == want[:-1] and got[-1:] != want[-1:]:
        return (
            "The versions kept are right; the new one is not. It is (value, (server, counter "
            "+ 1), context), with the client's context as given."
        )
    return None


@st.composite
def _put_cases(draw: Any) -> tuple[list[Version], dict[str, int], Any, str, int]:
    servers = ["A", "B"]
    counters = {s: draw(st.integers(0, 3)) for s in servers}
    dots = sorted(
        {
            (s, n)
            for s in servers
            for n in draw(st.sets(st.integers(1, 3), max_size=2))
            if n <= counters[s]
        }
    )
    ctx = st.dictionaries(st.sampled_from(servers), st.integers(0, 3), max_size=2)
    versions = [(f"v{i}", dot, draw(ctx)) for i, dot in enumerate(dots)]
    server = draw(st.sampled_from(servers))
    return versions, draw(ctx), "new", server, counters[server]


def _check_put(answer: Any, case: tuple[Any, ...]) -> Failure | None:
    got = _versions(call_answer(answer, *_copy_put(case)))
    want = put_reference(*case)
    if got == want:
        return None
    return Failure(
        f"{_put_call(case)} returned {got!r}; expected {want!r}",
        _put_diagnose(Mismatch(Example(case, want), "wrong", got=got)),
    )


def _copy_put(case: tuple[Any, ...]) -> tuple[Any, ...]:
    versions, context, value, server, counter = case
    return [(v, dot, dict(c)) for v, dot, c in versions], dict(context), value, server, counter


def _put_run(answer: Any, ops: list[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """Gets and puts through one server with the answer as its put: the values the replica
    keeps after each operation in turn."""
    versions: list[Version] = []
    counter = 0
    contexts: dict[Any, dict[str, int]] = {}
    for op in ops:
        if op[0] == "get":
            ctx: dict[str, int] = {}
            for _, (s, n), c in versions:
                for k, x in [*c.items(), (s, n)]:
                    ctx[k] = max(ctx.get(k, 0), x)
            contexts[op[1]] = ctx
        else:
            args = (versions, dict(contexts.get(op[1], {})), op[2], "A", counter)
            got = _versions(call_answer(answer, *_copy_put(args)))
            if not isinstance(got, list):
                raise TypeError(f"{_put_call(args)} returned {got!r}, not a list of versions")
            versions, counter = got, counter + 1
        yield [v for v, _, _ in versions]


def _check_put_run(answer: Any, seed: int) -> Failure | None:
    from dslib.clocks import sibling_run, version_operations

    ops = version_operations(seed, length=8)
    for k, kept in enumerate(_put_run(answer, ops), start=1):
        want = sibling_run(ops[:k])[1]  # the exact reference: the writes no later put had seen
        if kept != want:
            shown = "\n".join(f"  {op!r}" for op in ops[:k])
            return Failure(
                f"after these gets and puts through server A (each put with the client's last "
                f"get as its context):\n{shown}\nthe replica keeps {kept!r}; it should keep "
                f"{want!r}, the writes no later put had seen",
                None,
            )
    return None


PUT_STATEMENT = """\
Write put(versions, context, value, server, counter): what a replica keeps of a key after a
put, with dotted version vectors (Preguiça et al. 2010), as the book's section 2.2 describes
them.

- versions is what the replica stores: a list of (value, dot, context) triples. The dot
  (s, n) names the version: the n-th write that server s coordinated. Its context is the
  version vector its writer had read: a dict from server to counter (a missing server
  counts as 0).
- context is what the client's last get returned: the merge of the dots and contexts of the
  versions it read; {} for a blind put (the client read nothing).
- server coordinates the put; counter is the largest n it has used in a dot so far.

The put replaces exactly the versions the client had seen: those whose dot (s, n) the context
covers, context[s] >= n. Every other version stays, a sibling of the new one. The new version
is (value, (server, counter + 1), context). Return the versions kept, in their order, then the
new one. Do not change the arguments.

The check runs examples, then a hypothesis property on random stores and contexts, then
random runs of gets and puts compared with an exact reference that tracks which writes each
client had read (dslib.clocks.sibling_run)."""

PUT_WITH_CONTEXT = add_exercise(
    id="ch02.put_with_context",
    answered_by=("server_put",),
    title="A put with a client's context",
    statement=PUT_STATEMENT,
    answer=FunctionAnswer("put", ("versions", "context", "value", "server", "counter")),
    stages=(
        Examples(
            "examples",
            _put_examples,
            call_text=_put_call,
            diagnose=_put_diagnose,
            mistakes=_PUT_MISTAKES,
            default_hint="Keep a version unless the context covers its dot; then add the new "
            "one, dotted (server, counter + 1), with the client's context.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _put_cases(),
                    _check_put,
                    _put_call,
                    max_examples=150,
                )
            ],
        ),
        Properties(
            "runs",
            [
                Property(
                    "keeps what the exact reference keeps",
                    st.integers(0, 1000),
                    _check_put_run,
                    lambda seed: f"version_operations({seed}, length=8)",
                    max_examples=20,
                )
            ],
        ),
    ),
    hints=(
        "A dot (s, n) is covered when context.get(s, 0) >= n.",
        "Only the client's context decides; the server's own counter only names the new dot.",
    ),
)
