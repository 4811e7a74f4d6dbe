"""Chapter 12 (replication): an OR-set merge, the read phase of ABD, siblings, prefix reads.

- ``ch12.or_set_merge``: merge two replicas of an observed-remove set, so that
  replicas converge and a concurrent add beats a remove;
- ``ch12.abd_read``: decide what an ABD read does with the replies of the
  replicas: wait, write the newest value back, or return it.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch12.or_set_merge").stages]
['examples', 'laws', 'convergence']
>>> [s.name for s in get_exercise("ch12.abd_read").stages]
['examples', 'properties', 'simulation']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import hypothesis.strategies as st

from dslib.clocks import compare_vectors
from dslib.consistency import Register, check_linearizable
from dslib.core import stable_repr
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    AnswerRaised,
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
    Properties,
    Property,
    SimRun,
    SimulationStage,
    call_answer,
)
from dslib.replication.abd import (
    abd_read_decision,
    abd_system,
    default_register_workloads,
    inversion_scenario,
    majority,
)
from dslib.replication.crdts import ORSet, crdt_system, crdt_values, random_crdt_states
from dslib.sim.nemesis import RandomNemesis
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation

__all__: list[str] = []

Pair = tuple[frozenset[tuple[Hashable, tuple[str, int]]], frozenset[tuple[str, int]]]


# == ch12.or_set_merge ==========================================================================
def _pair(s: ORSet) -> Pair:
    return (s.entries, s.tombstones)


def _reference_merge(a: Pair, b: Pair) -> Pair:
    return _pair(ORSet(*a).merge(ORSet(*b)))


def _show_pair(p: Any) -> str:
    if isinstance(p, tuple) and len(p) == 2:
        return f"({stable_repr(p[0])}, {stable_repr(p[1])})"
    return stable_repr(p)


def _orset_call(args: tuple[Any, ...]) -> str:
    return f"merge(a={_show_pair(args[0])}, b={_show_pair(args[1])})"


def _orset_examples() -> list[Example]:
    x1, x2, y1 = ("x", ("r1", 1)), ("x", ("r2", 1)), ("y", ("r1", 2))
    empty: frozenset[Any] = frozenset()
    return [
        Example(((frozenset({x1}), empty), (frozenset({y1}), empty)), (frozenset({x1, y1}), empty)),
        # r2 removed x (it had seen tag ("r1", 1)); r1 still has it: removed after the merge.
        Example(
            ((frozenset({x1}), empty), (empty, frozenset({("r1", 1)}))),
            (empty, frozenset({("r1", 1)})),
        ),
        Example(
            ((empty, frozenset({("r1", 1)})), (frozenset({x1, y1}), empty)),
            (frozenset({y1}), frozenset({("r1", 1)})),
        ),
        # r2 removed x (tag r1,1) while r1 added x again (tag r2,1): the new add wins.
        Example(
            ((frozenset({x2}), empty), (empty, frozenset({("r1", 1)}))),
            (frozenset({x2}), frozenset({("r1", 1)})),
        ),
        Example(
            ((frozenset({x1, y1}), empty), (frozenset({x1, y1}), empty)),
            (frozenset({x1, y1}), empty),
        ),
        Example(((empty, empty), (empty, empty)), (empty, empty)),
    ]


def _orset_diagnose(m: Mismatch) -> str | None:
    a, b = m.example.args
    want = m.example.expected
    got = m.got
    if m.problem == "raised":
        return (
            "a and b are pairs (entries, tombstones) of frozensets; return such a pair, built "
            "with | (union), & or a comprehension, e.g. frozenset(p for p in ... if ...)."
        )
    if not (isinstance(got, tuple) and len(got) == 2):
        return "Return a pair (entries, tombstones), each a frozenset."
    entries, tombstones = got
    if tombstones != a[1] | b[1]:
        return (
            "The tombstones of the merge are every tag either replica has removed: "
            "a_tombstones | b_tombstones. A tag, once removed, stays removed."
        )
    alive = {p for p in a[0] | b[0] if p[1] not in tombstones}
    if set(entries) > alive:
        return (
            "An entry whose tag is tombstoned on either side is gone: after the union, drop "
            "the entries whose tag is in the merged tombstones. Otherwise a removed element "
            "comes back with the next merge."
        )
    if set(entries) < alive:
        lost = sorted(alive - set(entries), key=stable_repr)
        return (
            f"Your merge lost {stable_repr(lost[0])}, an add that no remove has seen (its tag "
            "is not tombstoned). Keep every entry of either side whose tag is not tombstoned: "
            "a concurrent add must win over a remove that did not observe it."
        )
    if got != want:
        return "Return exactly (entries, tombstones) as frozensets."
    return None


def _orset_law(law: str) -> Callable[[Any, Any], Failure | None]:
    def check(answer: Any, states: tuple[ORSet, ORSet, ORSet]) -> Failure | None:
        a, b, c = (_pair(s) for s in states)

        def merge(x: Pair, y: Pair) -> Any:
            out = call_answer(answer, x, y)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise AnswerRaised(TypeError(f"merge returned {out!r}, not a pair"))
            return (frozenset(out[0]), frozenset(out[1]))

        if law == "idempotent":
            aa = merge(a, a)
            if aa != a:
                hint = _orset_diagnose(Mismatch(Example((a, a), a), "wrong", got=aa))
                return Failure(
                    f"merge(a, a) = {_show_pair(aa)}, not a = {_show_pair(a)}: merging a replica "
                    "with itself (which gossip does all the time) changed it",
                    hint
                    or "A merge must be idempotent: receiving the same state twice changes "
                    "nothing.",
                )
        elif law == "commutative":
            ab, ba = merge(a, b), merge(b, a)
            if ab != ba:
                return Failure(
                    f"merge(a, b) = {_show_pair(ab)} but merge(b, a) = {_show_pair(ba)}",
                    "The order in which two replicas meet must not matter: treat a and b alike.",
                )
        elif law == "associative":
            left, right = merge(a, merge(b, c)), merge(merge(a, b), c)
            if left != right:
                return Failure(
                    f"merge(a, merge(b, c)) = {_show_pair(left)} but merge(merge(a, b), c) = "
                    f"{_show_pair(right)}",
                    "Grouping must not matter: states reach a replica along any path.",
                )
        else:
            want = _reference_merge(a, b)
            got = merge(a, b)
            if got != want:
                hint = _orset_diagnose(Mismatch(Example((a, b), want), "wrong", got=got))
                return Failure(
                    f"merge(a, b) = {_show_pair(got)}; expected {_show_pair(want)} for "
                    f"a={_show_pair(a)}, b={_show_pair(b)}",
                    hint,
                )
        return None

    return check


def _orset_show(states: Any) -> str:
    a, b, c = (_show_pair(_pair(s)) for s in states)
    return f"a={a}, b={b}, c={c}"


def _orset_build(answer: Any, run: SimRun) -> Simulation:
    merge = None
    if answer is not None:

        def merge(x: ORSet, y: ORSet) -> ORSet:
            out = call_answer(answer, _pair(x), _pair(y))
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"merge returned {out!r}, not a pair (entries, tombstones)")
            return ORSet(frozenset(out[0]), frozenset(out[1]))

    system = crdt_system("or-set", replicas=3, ops=8, merge=merge, gossip_until=400.0)
    sim = Simulation(system, seed=run.params["seed"])
    sim.at(10.0, lambda s: s.partition(("c1", "r1"), ("c2", "c3", "r2", "r3")))
    sim.at(60.0, lambda s: s.heal())
    return sim


def _orset_judge(sim: Simulation, run: SimRun) -> Failure | None:
    mine = crdt_values(sim)
    reference = crdt_values(_orset_build(None, run).run())
    if len({stable_repr(v) for v in mine.values()}) > 1:
        shown = ", ".join(f"{r}: {stable_repr(v)}" for r, v in mine.items())
        return Failure(
            f"after the partition healed and the replicas gossiped until time 400, they "
            f"still disagree: {shown}",
            "Replicas converge only if merge is commutative, associative and idempotent, and "
            "keeps everything either side knows (the union of both parts).",
            trace=sim.trace,
        )
    got, want = next(iter(mine.values())), next(iter(reference.values()))
    if stable_repr(got) != stable_repr(want):
        return Failure(
            f"the replicas converged to {stable_repr(got)}, but the same run with a correct "
            f"merge ends with {stable_repr(want)}",
            "Check what happens to an element added on one side of the partition and removed on "
            "the other: an add the remove did not observe must survive.",
            trace=sim.trace,
        )
    return None


ORSET_STATEMENT = """\
Write merge(a, b) for an observed-remove set (OR-set), a CRDT.

A replica's state is a pair (entries, tombstones) of frozensets:
- entries: the live (element, tag) pairs; every add(element) makes a new, unique tag
  (replica, counter), so adding "x" twice gives two pairs;
- tombstones: the tags that have been removed. remove(element) tombstones the tags of the
  element that this replica has seen, and drops those entries.

The set's value is {element for (element, tag) in entries}. Return the merged pair:
- its tombstones are every tag removed on either side;
- its entries are the entries of either side whose tag is not tombstoned.

So an element removed on one replica stays removed after merging with a replica that still
had it (the same tag is tombstoned), but an element added again concurrently, with a new tag
that the remove never saw, survives: "add wins".

The check runs examples, then the CRDT laws (commutative, associative, idempotent) on
reachable states drawn by hypothesis, then simulations: three replicas that gossip their
states through a partition must converge to the value a correct merge gives."""

_STATES = random_crdt_states("or-set")

OR_SET_MERGE = add_exercise(
    id="ch12.or_set_merge",
    answered_by=("ORSet.merge",),
    title="Merge two OR-set replicas",
    statement=ORSET_STATEMENT,
    answer=FunctionAnswer("merge", ("a", "b")),
    stages=(
        Examples(
            "examples",
            _orset_examples,
            call_text=_orset_call,
            diagnose=_orset_diagnose,
            default_hint="Union both parts; then drop the entries whose tag is tombstoned.",
        ),
        Properties(
            "laws",
            [
                Property(
                    "idempotent",
                    _STATES,
                    _orset_law("idempotent"),
                    _orset_show,
                    max_examples=60,
                ),
                Property(
                    "commutative",
                    _STATES,
                    _orset_law("commutative"),
                    _orset_show,
                    max_examples=60,
                ),
                Property(
                    "associative",
                    _STATES,
                    _orset_law("associative"),
                    _orset_show,
                    max_examples=60,
                ),
                Property(
                    "agrees with the definition",
                    _STATES,
                    _orset_law("definition"),
                    _orset_show,
                    max_examples=60,
                ),
            ],
        ),
        SimulationStage(
            "convergence",
            [
                SimRun(f"3 replicas, partition 10-60, seed {seed}", {"seed": seed})
                for seed in range(4)
            ],
            _orset_build,
            _orset_judge,
            "3 replicas gossiping through a partition",
        ),
    ),
    hints=(
        "The merged tombstones: tombstones_a | tombstones_b.",
        "The merged entries: those of entries_a | entries_b whose tag is not tombstoned.",
    ),
    body="entries_a, tombstones_a = a\nentries_b, tombstones_b = b",
)


# == ch12.abd_read ==============================================================================
T0 = (0, "", 0)
T1 = (1, "s1", 1)
T2 = (2, "s2", 1)
T2b = (2, "s3", 4)


def _abd_call(args: tuple[Any, ...]) -> str:
    return f"abd_read({stable_repr(args[0])}, n={args[1]})"


def _abd_examples() -> list[Example]:
    return [
        Example(({"s1": (T1, "a")}, 3), None),
        Example(({"s1": (T1, "a"), "s2": (T0, None)}, 3), ("write-back", T1, "a")),
        Example(({"s2": (T0, None), "s3": (T1, "a")}, 3), ("write-back", T1, "a")),
        Example(({"s1": (T1, "a"), "s3": (T1, "a")}, 3), ("return", T1, "a")),
        Example(({"s1": (T2, "b"), "s2": (T1, "z")}, 3), ("write-back", T2, "b")),
        Example(({"s1": (T1, "a"), "s2": (T2, "b"), "s3": (T2, "b")}, 3), ("return", T2, "b")),
        Example(({"s1": (T1, "a"), "s2": (T0, None)}, 5), None),
        Example(
            ({"s1": (T2, "b"), "s2": (T2b, "a"), "s4": (T1, "z")}, 5), ("write-back", T2b, "a")
        ),
        Example(({"s1": (T0, None), "s2": (T0, None)}, 3), ("return", T0, None)),
    ]


def _abd_diagnose(m: Mismatch) -> str | None:
    replies, n = m.example.args
    want, got = m.example.expected, m.got
    if m.problem == "raised":
        return (
            "replies is a dict from replica to (tag, value); tags are tuples (counter, writer, "
            "op) and compare as tuples."
        )
    if want is None:
        return (
            f"Wait (return None) until a majority of the n={n} replicas, {majority(n)}, have "
            "replied: a read quorum. With fewer, a write that a majority already holds could be "
            "missed."
        )
    if got is None:
        return f"{len(replies)} of {n} replicas is a majority: decide now."
    if not (isinstance(got, tuple) and len(got) == 3):
        return "Return None, ('write-back', tag, value) or ('return', tag, value)."
    what, tag, value = got
    best_tag, best_value = max(replies.values(), key=lambda tv: tv[0])
    if (tag, value) != (best_tag, best_value):
        by_value = max(replies.values(), key=lambda tv: repr(tv[1]))
        if (tag, value) == by_value:
            return "Pick the reply with the largest tag, not the largest value."
        if tag[0] == best_tag[0]:
            return (
                "Two tags with the same counter: compare the whole tag tuple (counter, writer, "
                "op), which is what max(replies.values(), key=lambda tv: tv[0]) does."
            )
        return "Pick the (tag, value) of the reply with the largest tag."
    if what == "return":
        return (
            "Only a minority reported the newest tag: return it now and a later read, whose "
            "majority misses that minority, would return an older value (a new-old inversion). "
            "Write it back to a majority first: ('write-back', tag, value)."
        )
    if what == "write-back":
        return (
            "A majority already holds the newest tag, so every later read's majority meets one "
            "of them: the write-back can be skipped. Return ('return', tag, value)."
        )
    return "The first element is 'write-back' or 'return'."


_TAGS = st.sampled_from([T0, T1, T2, T2b, (3, "s1", 2)])


@st.composite
def _replies(draw: Any) -> tuple[dict[str, tuple[Any, Any]], int]:
    n = draw(st.sampled_from([3, 4, 5]))
    who = draw(
        st.lists(st.sampled_from([f"s{i}" for i in range(1, n + 1)]), unique=True, max_size=n)
    )
    replies = {}
    for r in sorted(who):
        tag = draw(_TAGS)
        replies[r] = (tag, None if tag == T0 else f"v{tag[0]}{tag[1]}")
    return replies, n


def _half_quorum(answer: Any) -> bool:
    """Does the answer count a quorum of 4 replicas as 2 (half, not a majority)?"""
    try:
        two_of_four = call_answer(answer, {"s1": (T1, "a"), "s2": (T1, "a")}, 4)
        one_of_two = call_answer(answer, {"s1": (T1, "a"), "s2": (T0, None)}, 4)
    except AnswerRaised:
        return False
    return two_of_four == ("return", T1, "a") or one_of_two is not None


HALF_QUORUM_HINT = (
    "Your quorum is half of the replicas: with n=4 you decide on 2 replies (or return what 2 "
    "hold). Two halves of 4 replicas need not intersect, so a later read can miss the "
    "write. A majority is n // 2 + 1 (3 of 4): wait for that many replies, and skip the "
    "write-back only when that many hold the newest tag."
)


def _abd_property(answer: Any, case: tuple[dict[str, Any], int]) -> Failure | None:
    replies, n = case
    want = abd_read_decision(dict(replies), n)
    got = call_answer(answer, dict(replies), n)
    if got != want:
        m = Mismatch(Example((replies, n), want), "wrong", got=got)
        # by behaviour: an answer whose denominator is wrong is told so, not blamed for
        # returning "a minority's" tag (which is what the single wrong value suggests)
        hint = HALF_QUORUM_HINT if n % 2 == 0 and _half_quorum(answer) else _abd_diagnose(m)
        return Failure(
            f"abd_read({stable_repr(replies)}, n={n}) returned {got!r}; expected {want!r}",
            hint,
        )
    return None


def _abd_build(answer: Any, run: SimRun) -> Simulation:
    def decide(replies: dict[str, Any], n: int) -> Any:
        return call_answer(answer, dict(replies), n)

    decide.__name__ = "your_abd_read"
    if run.params["kind"] == "inversion":
        return inversion_scenario(read_decision=decide)
    loads = default_register_workloads(3, 8)
    network = Network(latency=exponential(3.0), loss=0.05)
    nemesis = RandomNemesis(
        until=150,
        kinds=("partition", "crash"),
        mean_interval=30,
        duration=20,
        nodes=("s1", "s2", "s3"),
    )
    system = abd_system(3, 3, workloads=loads, read_decision=decide)
    return Simulation(system, seed=run.params["seed"], network=network, nemesis=nemesis)


def _abd_judge(sim: Simulation, run: SimRun) -> Failure | None:
    result = check_linearizable(sim.history, Register())
    if result.ok:
        return None
    return Failure(
        "the run is not linearizable:\n" + result.explain(),
        "A read that returns a value only a minority holds lets a later read return an older "
        "one. Unless a majority reported the newest tag, write it back before returning.",
        trace=sim.trace,
        length=len(result.minimal) if result.minimal else None,
    )


ABD_STATEMENT = """\
Write abd_read(replies, n): what an ABD read does with the replies it has so far.

A read asks all n replicas for their (tag, value); tags are tuples (counter, writer, op),
unique, and compare as tuples (the largest is the newest write). replies is a dict from
replica name to the (tag, value) it reported. Return:

- None while fewer than a majority of the n replicas (n // 2 + 1) have replied;
- otherwise, with (tag, value) the reply with the largest tag:
  - ("return", tag, value) if at least a majority of the n replicas reported that tag
    (every later read's majority will meet one of them);
  - ("write-back", tag, value) otherwise: the coordinator then stores (tag, value) at a
    majority before returning value, so that no later read can return an older value.

The check runs examples, then hypothesis compares your decisions with the specification on
random replies, then runs ABD in the simulator with your read: the new-old inversion
scenario (dslib.replication.abd.inversion_scenario) and random partitions and crashes, each
checked for linearizability."""

ABD_READ = add_exercise(
    id="ch12.abd_read",
    answered_by=("abd_read_decision",),
    title="The read phase of ABD",
    statement=ABD_STATEMENT,
    answer=FunctionAnswer("abd_read", ("replies", "n")),
    stages=(
        Examples(
            "examples",
            _abd_examples,
            call_text=_abd_call,
            diagnose=_abd_diagnose,
            default_hint="Wait for a majority; take the largest tag; write back unless a "
            "majority already has it.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the specification",
                    _replies(),
                    _abd_property,
                    lambda c: f"replies={stable_repr(c[0])}, n={c[1]}",
                    max_examples=150,
                )
            ],
        ),
        SimulationStage(
            "simulation",
            [SimRun("the new-old inversion scenario", {"kind": "inversion"})]
            + [
                SimRun(
                    f"3 replicas, 3 clients, partitions and crashes, seed {seed}",
                    {"kind": "random", "seed": seed},
                )
                for seed in range(6)
            ],
            _abd_build,
            _abd_judge,
            "the inversion scenario and random faults, checked for linearizability",
        ),
    ),
    hints=(
        "max(replies.values(), key=lambda tv: tv[0]) is the reply with the largest tag.",
        "Count how many replies carry that tag; compare with n // 2 + 1.",
    ),
)


# == ch12.siblings ===============================================================================
Clocked = tuple[Any, dict[str, int]]


def siblings_reference(versions: list[Clocked]) -> list[Clocked]:
    """The versions no other version's vector clock dominates, in order, one per clock.

    Dynamo's syntactic reconciliation (DeCandia et al. 2007, §4.4), by vector clocks.

    >>> siblings_reference([("a", {"n1": 1}), ("b", {"n1": 2}), ("c", {"n1": 1, "n2": 1})])
    [('b', {'n1': 2}), ('c', {'n1': 1, 'n2': 1})]
    """
    out: list[Clocked] = []
    for i, (value, clock) in enumerate(versions):
        if any(compare_vectors(other, clock) == "after" for _, other in versions):
            continue  # obsolete: another version's writer had seen this one
        if any(compare_vectors(c, clock) == "equal" for _, c in versions[:i]):
            continue  # the same version, already kept
        out.append((value, clock))
    return out


def _sib_call(args: tuple[Any, ...]) -> str:
    return f"siblings({args[0]!r})"


_SIB_CASES: list[list[Clocked]] = [
    [("milk", {"n1": 1})],
    [("milk", {"n1": 1}), ("eggs", {"n1": 2})],
    [("milk", {"n1": 2}), ("eggs", {"n1": 1, "n2": 1})],
    [("a", {"n1": 1}), ("b", {"n1": 1, "n2": 1}), ("c", {"n1": 2})],
    [("a", {"n1": 3}), ("b", {"n1": 3})],
    [("a", {"n1": 1}), ("b", {"n1": 1, "n2": 0})],
    [("x", {"n1": 1, "n2": 2}), ("y", {"n1": 2, "n2": 1}), ("z", {"n1": 2, "n2": 2})],
    [],
]


def _sib_examples() -> list[Example]:
    return [Example((list(c),), siblings_reference(c)) for c in _SIB_CASES]


def _as_list(got: Any) -> Any:
    return [tuple(v) for v in got] if isinstance(got, list) else got


_SIB_MISTAKES = (
    Mistake(
        "keeps only the largest total",
        lambda f: (
            _as_list(f([("milk", {"n1": 2}), ("eggs", {"n1": 1, "n2": 1})]))
            == [("milk", {"n1": 2})]
            and _as_list(f([("a", {"n1": 3}), ("b", {"n1": 1, "n2": 1})])) == [("a", {"n1": 3})]
        ),
        "You kept one version, chosen by its total count: that is a last-writer-wins rule in "
        "disguise, and it drops concurrent writes. Two versions whose clocks are concurrent "
        "(neither >= the other in every entry) are BOTH kept: siblings for the client to merge.",
    ),
    Mistake(
        "keeps both copies of one version",
        lambda f: len(_as_list(f([("a", {"n1": 3}), ("b", {"n1": 3})]))) == 2,
        "Two versions with equal clocks are the same version (written once, stored twice): "
        "keep only the first.",
    ),
    Mistake(
        "missing entries are not zeros",
        lambda f: len(_as_list(f([("milk", {"n1": 1}), ("eggs", {"n1": 1, "n2": 1})]))) == 2,
        "A node missing from a clock has counted no events there: {'n1': 1} is dominated by "
        "{'n1': 1, 'n2': 1} (compare over the nodes of both clocks, a missing entry as 0).",
    ),
)


def _sib_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, list)):
        return "Return a list of (value, clock) pairs, in the order of versions."
    if m.problem != "wrong":
        return None
    want, got = m.example.expected, _as_list(m.got)
    if sorted(map(repr, want)) == sorted(map(repr, got)):
        return "Keep the versions in the order they were given."
    if any(v not in got for v in want):
        return (
            "You dropped a version no other clock dominates. A version is obsolete only if "
            "another clock is >= in every entry and > in one."
        )
    return "You kept a version another clock dominates (>= in every entry, > in one): drop it."


@st.composite
def _clocked(draw: Any) -> list[Clocked]:
    nodes = ["n1", "n2", "n3"]
    n = draw(st.integers(0, 5))
    return [
        (f"v{i}", draw(st.dictionaries(st.sampled_from(nodes), st.integers(0, 2), max_size=3)))
        for i in range(n)
    ]


def _check_siblings(answer: Any, versions: list[Clocked]) -> Failure | None:
    got = _as_list(call_answer(answer, [(v, dict(c)) for v, c in versions]))
    want = siblings_reference(versions)
    if got == want:
        return None
    return Failure(
        f"siblings({versions!r}) returned {got!r}; expected {want!r}",
        _sib_diagnose(Mismatch(Example((versions,), want), "wrong", got=got)),
    )


SIB_STATEMENT = """\
Write siblings(versions): what a Dynamo-style store keeps of a key's versions after
syntactic reconciliation (DeCandia et al. 2007, section 4.4).

- versions is a list of (value, clock) pairs; clock is a vector clock, a dict from node to
  counter (a node missing from it counts as 0).
- A version is obsolete when another version's clock dominates it: >= in every entry and
  > in at least one (its writer had seen it). Versions whose clocks are concurrent are all
  kept: siblings, for the client to reconcile.
- Two versions with equal clocks are the same version stored twice: keep the first.
- Return the versions kept, as (value, clock) pairs, in the order of versions. Do not
  change versions.

The check runs examples, then a hypothesis property on random versions over three nodes."""

SIBLINGS = add_exercise(
    id="ch12.siblings",
    answered_by=("siblings_reference",),
    title="Dynamo's siblings",
    statement=SIB_STATEMENT,
    answer=FunctionAnswer("siblings", ("versions",)),
    stages=(
        Examples(
            "examples",
            _sib_examples,
            call_text=_sib_call,
            diagnose=_sib_diagnose,
            mistakes=_SIB_MISTAKES,
            default_hint="For each version, ask whether any other clock dominates it.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _clocked(),
                    _check_siblings,
                    lambda versions: f"versions={versions!r}",
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "Your ch02 compare (or dslib.clocks.compare_vectors) tells 'after' from 'concurrent'.",
        "Keep a version unless some other clock is after it, or an earlier one is equal to it.",
    ),
)


# == ch12.prefix_reads ===========================================================================
Log = list[tuple[str, Any]]


def first_stale_read_reference(log: Log, reads: list[tuple[str, Any]]) -> int | None:
    """The index of the first read no growing prefix of ``log`` explains, or None.

    >>> first_stale_read_reference([("q", "why?"), ("a", "yes")], [("a", "yes"), ("q", None)])
    1
    """
    need = 0
    for i, (key, value) in enumerate(reads):
        positions = [p + 1 for p, (k, _) in enumerate(log) if k == key]
        if value is None:
            lo, hi = 0, positions[0] if positions else len(log) + 1
        else:
            j = next(j for j, p in enumerate(positions) if log[p - 1][1] == value)
            lo = positions[j]
            hi = positions[j + 1] if j + 1 < len(positions) else len(log) + 1
        if need >= hi:
            return i
        need = max(need, lo)
    return None


_QA_LOG: Log = [("q", "why?"), ("a", "yes")]
_QA = [("a", "yes"), ("q", None)]
_X12: Log = [("x", 1), ("x", 2)]


def _pr_call(args: tuple[Any, ...]) -> str:
    return f"first_stale_read(log={args[0]!r}, reads={args[1]!r})"


_PR_CASES: list[tuple[Log, list[tuple[str, Any]]]] = [
    (_QA_LOG, _QA),
    (_QA_LOG, [("q", "why?"), ("a", "yes")]),
    (_QA_LOG, [("q", None), ("a", None), ("q", "why?")]),
    (_X12, [("x", 2), ("x", 1)]),
    (_X12, [("x", 1), ("x", 2), ("x", 2)]),
    ([("x", 1)], [("x", 1), ("x", None)]),
    ([("x", 1), ("y", 1), ("x", 2)], [("y", 1), ("x", 1), ("x", 2), ("y", None)]),
    ([("x", 1), ("y", 1), ("x", 2)], [("x", 2), ("y", None)]),
    ([], [("x", None)]),
]


def _pr_examples() -> list[Example]:
    return [
        Example((list(lg), list(rs)), first_stale_read_reference(lg, rs)) for lg, rs in _PR_CASES
    ]


_PR_MISTAKES = (
    Mistake(
        "a read of nothing is never stale",
        lambda f: (
            f([("x", 1)], [("x", 1), ("x", None)]) is None and f(_X12, [("x", 2), ("x", 1)]) == 1
        ),
        "A read that returns None (key not written yet) is stale too: it is explained only by "
        "the prefixes before the key's first write, so it is stale once an earlier read needed "
        "a longer prefix.",
    ),
    Mistake(
        "each read judged alone",
        lambda f: f(_QA_LOG, _QA) is None and f(_X12, [("x", 2), ("x", 1)]) is None,
        "You judged each read on its own, and every single read is explained by some prefix. "
        "Carry forward the shortest prefix the earlier reads need (the largest of their lower "
        "ends): a later read is stale when all its prefixes are shorter than that.",
    ),
    Mistake(
        "the next write's position counted as allowed",
        lambda f: f(_QA_LOG, _QA) == 1 and f(_X12, [("x", 2), ("x", 1)]) is None,
        "Off by one: a read of a value is explained by the prefixes that contain its write and "
        "NOT the key's next write. The prefix of length p contains LSNs 1..p, so a read is stale "
        "when the needed length is >= the position of the next write.",
    ),
)


@st.composite
def _pr_case(draw: Any) -> tuple[Log, list[tuple[str, Any]]]:
    log = [(draw(st.sampled_from("xy")), i) for i in range(draw(st.integers(0, 5)))]
    reads = []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.sampled_from("xy"))
        reads.append((key, draw(st.sampled_from([None, *[v for k, v in log if k == key]]))))
    return log, reads


def _pr_property(answer: Any, case: tuple[Log, list[tuple[str, Any]]]) -> Failure | None:
    log, reads = case
    want = first_stale_read_reference(log, reads)
    got = call_answer(answer, list(log), list(reads))
    if got == want:
        return None
    return Failure(
        f"{_pr_call((log, reads))} returned {got!r}; expected {want!r}",
        "Compare with the examples: the needed prefix only grows, and None reads count too.",
    )


PR_STATEMENT = """\
Write first_stale_read(log, reads): the first read of a client that no growing prefix of
the leader's log explains (consistent prefix, in the client's order), or None.

- log is the leader's log, a list of (key, value) in LSN order (LSN 1 first); values are
  unique per key. A follower holds a prefix of it: the first p entries, for some p.
- reads is what one client read, in order: (key, value), value None if the key had no
  value yet.
- A read of (key, value) is explained by the prefixes that contain the write of value
  and not the key's next write (for None: the prefixes before the key's first write).
- The client's reads must be explained by prefixes that never get shorter. Return the
  index of the first read that cannot be, or None if all can.

The check runs examples, then compares your answers with the definition on random logs
and reads (hypothesis)."""

PREFIX_READS = add_exercise(
    id="ch12.prefix_reads",
    answered_by=("check_prefix_reads",),
    title="Consistent prefix, as a client reads",
    statement=PR_STATEMENT,
    answer=FunctionAnswer("first_stale_read", ("log", "reads")),
    stages=(
        Examples(
            "examples",
            _pr_examples,
            call_text=_pr_call,
            mistakes=_PR_MISTAKES,
            default_hint="Keep the shortest prefix the reads so far need; a read is stale when "
            "its prefixes all end before it.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _pr_case(),
                    _pr_property,
                    lambda c: f"log={c[0]!r}, reads={c[1]!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "For each read, find lo (the position of its write, 0 for None) and hi (the position "
        "of the key's next write, or len(log) + 1).",
        "need = max(need, lo) after each read; the read is stale if need >= hi.",
    ),
)


# == ch12.bootstrap ==============================================================================
def _bs_reference(snapshot: list[Any], snapshot_lsn: int, log: list[Any], copy_ends: int) -> Any:
    return list(snapshot) + list(log[snapshot_lsn:])


def _bs_call(args: tuple[Any, ...]) -> str:
    return (
        f"follower_state(snapshot={args[0]!r}, snapshot_lsn={args[1]}, log={args[2]!r}, "
        f"copy_ends_lsn={args[3]})"
    )


_BS_CASES: list[tuple[list[str], int, list[str], int]] = [
    (["a"], 1, ["a", "b", "c"], 1),
    (["a"], 1, ["a", "b", "c", "d"], 3),
    (["a", "b"], 2, ["a", "b"], 2),
    ([], 0, ["a", "b"], 1),
    (["a", "b"], 2, ["a", "b", "c", "d", "e"], 4),
]


def _bs_examples() -> list[Example]:
    return [
        Example((list(s), n, list(lg), e), _bs_reference(s, n, lg, e)) for s, n, lg, e in _BS_CASES
    ]


_BS_MISTAKES = (
    Mistake(
        "asks from the copy's end",
        lambda f: (
            f(["a"], 1, ["a", "b", "c", "d"], 3) == ["a", "d"]
            and f(["a"], 1, ["a", "b", "c"], 1) == ["a", "b", "c"]
        ),
        "You continued from the leader's position when the copy ended: the writes made while "
        "the snapshot was being copied (after snapshot_lsn, up to copy_ends_lsn) are in "
        "neither the snapshot nor what you asked for, so they are lost. Continue from the "
        "snapshot's own LSN.",
    ),
    Mistake(
        "replays the whole log",
        lambda f: f(["a"], 1, ["a", "b"], 1) == ["a", "a", "b"],
        "You applied the whole log on top of the snapshot: the writes the snapshot already "
        "holds are applied twice. Apply only the entries after snapshot_lsn.",
    ),
    Mistake(
        "drops the snapshot",
        lambda f: f(["a"], 1, ["a", "b"], 1) == ["b"],
        "You returned only the log after the snapshot: the follower starts FROM the snapshot; "
        "the new entries go after it.",
    ),
    Mistake(
        "skips the entry after the snapshot",
        lambda f: f(["a"], 1, ["a", "b", "c"], 1) == ["a", "c"],
        "Off by one: entry k is at index k - 1, so the entries after LSN s start at log[s].",
    ),
)


@st.composite
def _bs_case(draw: Any) -> tuple[list[str], int, list[str], int]:
    n = draw(st.integers(0, 8))
    log = [f"w{i}" for i in range(1, n + 1)]
    taken = draw(st.integers(0, n))
    return log[:taken], taken, log, draw(st.integers(taken, n))


def _bs_property(answer: Any, case: tuple[list[str], int, list[str], int]) -> Failure | None:
    want = _bs_reference(*case)
    got = call_answer(answer, *[list(c) if isinstance(c, list) else c for c in case])
    if got == want:
        return None
    return Failure(
        f"{_bs_call(case)} returned {got!r}; expected {want!r}",
        "The follower must end with exactly the leader's entries, each once, in order.",
    )


BS_STATEMENT = """\
Write follower_state(snapshot, snapshot_lsn, log, copy_ends_lsn): the state of a new
follower bootstrapped from a snapshot while the leader keeps taking writes.

- The state is the list of entries applied, in order.
- snapshot is the leader's state when the snapshot was taken: its first snapshot_lsn
  log entries. Copying it took a while; the leader was at LSN copy_ends_lsn when the copy
  ended.
- log is the leader's whole log now (entry k, counting from 1, at index k - 1).
- Return the state the follower reaches by installing the snapshot and then applying
  the log entries it asks the leader for. It must equal the leader's: no entry lost, none
  applied twice.

The check runs examples, then a hypothesis property on random logs and copy times."""

BOOTSTRAP = add_exercise(
    id="ch12.bootstrap",
    answered_by=("bootstrap",),
    title="Bootstrapping a follower from a snapshot",
    statement=BS_STATEMENT,
    answer=FunctionAnswer("follower_state", ("snapshot", "snapshot_lsn", "log", "copy_ends_lsn")),
    stages=(
        Examples(
            "examples",
            _bs_examples,
            call_text=_bs_call,
            mistakes=_BS_MISTAKES,
            default_hint="Install the snapshot, then apply the entries after its LSN.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "equals the leader",
                    _bs_case(),
                    _bs_property,
                    lambda c: _bs_call(c),
                    max_examples=100,
                )
            ],
        ),
    ),
    hints=(
        "Which LSN does the snapshot end at? That is where the log must continue.",
        "copy_ends_lsn is a trap: the writes during the copy are not in the snapshot.",
    ),
)


# == ch12.conflicts ==============================================================================
Shipped = tuple[str, float, float]  # (leader, time taken, time the other leader received it)


def conflicts_reference(writes: list[Shipped]) -> int:
    """Pairs of writes at different leaders, neither received by the other's leader in time.

    >>> conflicts_reference([("a", 0.0, 5.0), ("b", 1.0, 3.0), ("a", 4.0, 6.0)])
    1
    """
    return sum(
        1
        for i, (li, ti, ai) in enumerate(writes)
        for lj, tj, aj in writes[i + 1 :]
        if li != lj and ai > tj and aj > ti
    )


def _cf_call(args: tuple[Any, ...]) -> str:
    return f"conflicts({args[0]!r})"


_CF_CASES: list[list[Shipped]] = [
    [("a", 0.0, 5.0), ("b", 1.0, 3.0)],
    [("a", 0.0, 2.0), ("b", 3.0, 9.0)],
    [("a", 0.0, 5.0), ("a", 1.0, 6.0)],
    [("a", 0.0, 5.0), ("b", 1.0, 3.0), ("a", 4.0, 6.0)],
    [("a", 0.0, 9.0), ("b", 1.0, 2.0), ("b", 3.0, 4.0)],
    [("b", 2.0, 3.0), ("a", 0.0, 4.0)],
    [("a", 5.0, 9.0), ("b", 1.0, 3.0)],
    [],
]


def _cf_examples() -> list[Example]:
    return [Example((list(c),), conflicts_reference(c)) for c in _CF_CASES]


_CF_MISTAKES = (
    Mistake(
        "counts writes at one leader",
        lambda f: f([("a", 0.0, 5.0), ("a", 1.0, 6.0)]) == 1,
        "Two writes taken at the same leader never conflict: the second was taken on a state "
        "that already held the first. Only pairs at different leaders can be concurrent.",
    ),
    Mistake(
        "one direction only",
        lambda f: (
            f([("a", 5.0, 9.0), ("b", 1.0, 3.0)]) == 1 or f([("b", 2.0, 3.0), ("a", 0.0, 4.0)]) == 0
        ),
        "A pair conflicts only if NEITHER write had reached the other's leader in time: the "
        "first must arrive after the second was taken AND the second after the first was "
        "taken. Check both directions, whatever order the pair comes in.",
    ),
)


@st.composite
def _cf_case(draw: Any) -> list[Shipped]:
    out = []
    for _ in range(draw(st.integers(0, 6))):
        t = float(draw(st.integers(0, 10)))
        out.append((draw(st.sampled_from("ab")), t, t + float(draw(st.integers(1, 6)))))
    return out


def _cf_property(answer: Any, writes: list[Shipped]) -> Failure | None:
    want = conflicts_reference(writes)
    got = call_answer(answer, list(writes))
    if got == want:
        return None
    return Failure(
        f"{_cf_call((writes,))} returned {got!r}; expected {want!r}",
        "Count each unordered pair once, at different leaders, neither received in time.",
    )


CF_STATEMENT = """\
Write conflicts(writes): how many pairs of writes to one key are concurrent under
multi-leader replication with two leaders, "a" and "b".

- writes is a list of (leader, taken, arrives): the write was taken by leader at time
  taken, and reached the other leader at time arrives (> taken).
- A write w has seen a write u if they were taken at the same leader, or u reached w's
  leader before w was taken (u's arrives < w's taken, for u at the other leader).
- Two writes conflict when neither has seen the other. Return the number of conflicting
  pairs (each unordered pair once).

The check runs examples, then compares your answers with the definition on random writes
(hypothesis)."""

CONFLICTS = add_exercise(
    id="ch12.conflicts",
    answered_by=("concurrent_pairs",),
    title="Concurrent writes under two leaders",
    statement=CF_STATEMENT,
    answer=FunctionAnswer("conflicts", ("writes",)),
    stages=(
        Examples(
            "examples",
            _cf_examples,
            call_text=_cf_call,
            mistakes=_CF_MISTAKES,
            default_hint="For each pair at different leaders, ask whether either reached the "
            "other's leader before the other was taken.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _cf_case(),
                    _cf_property,
                    lambda c: f"writes={c!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "Loop over pairs i < j; skip pairs at the same leader.",
        "Conflict: arrives_i > taken_j and arrives_j > taken_i.",
    ),
)
