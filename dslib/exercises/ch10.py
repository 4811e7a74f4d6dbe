"""Chapter 10 (orchestration): first fit decreasing, the autoscaler's rule, fencing tokens.

- ``ch10.first_fit_decreasing``: pack tasks of one resource onto nodes with FFD;
- ``ch10.desired_replicas``: the horizontal autoscaler's rule with its tolerance;
- ``ch10.fence``: the resource's check of fencing tokens.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch10.fence").stages]
['examples', 'properties']

References
----------
.. [1] G. Dósa, "The Tight Bound of First Fit Decreasing Bin-Packing Algorithm Is
   FFD(I) <= 11/9 OPT(I) + 6/9", ESCAPE 2007, section 1.
.. [2] Kubernetes documentation, "Horizontal Pod Autoscaling", section "Algorithm details".
.. [3] M. Kleppmann, "How to do distributed locking", 2016, section "Making the lock safe
   with fencing".
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import hypothesis.strategies as st

from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mistake,
    Properties,
    Property,
    call_answer,
)
from dslib.orchestration.autoscaling import desired_replicas as _desired
from dslib.orchestration.scheduling import NodeSpec, TaskSpec, pack

__all__ = [
    "DESIRED_REPLICAS",
    "FENCE",
    "FIRST_FIT_DECREASING",
    "best_fit_decreasing_bins",
    "fence_reference",
    "ffd_bins",
    "first_fit_bins",
]


# == ch10.first_fit_decreasing ==================================================================
def ffd_bins(sizes: Sequence[int], capacity: int) -> list[int]:
    """The reference: ``dslib.orchestration.scheduling.pack`` with ``first_fit_decreasing``,
    read back as the node number (in the order nodes were first used) of each task.

    >>> ffd_bins([2, 9, 3, 8], 10)
    [1, 0, 2, 1]
    """
    return _pack_bins(sizes, capacity, "first_fit_decreasing")


def first_fit_bins(sizes: Sequence[int], capacity: int) -> list[int]:
    """First fit in the given order (no sorting).

    >>> first_fit_bins([2, 9, 3, 8], 10)
    [0, 1, 0, 2]
    """
    return _pack_bins(sizes, capacity, "first_fit")


def best_fit_decreasing_bins(sizes: Sequence[int], capacity: int) -> list[int]:
    """Best fit decreasing: largest first, each into the fullest node it fits.

    >>> best_fit_decreasing_bins([7, 5, 4, 1], 10), ffd_bins([7, 5, 4, 1], 10)
    ([0, 1, 1, 1], [0, 1, 1, 0])
    """
    return _pack_bins(sizes, capacity, "best_fit_decreasing")


def _pack_bins(sizes: Sequence[int], capacity: int, heuristic: str) -> list[int]:
    tasks = [TaskSpec(f"t{i}", s, 0) for i, s in enumerate(sizes)]
    nodes = [NodeSpec(f"n{i:03d}", capacity, 0) for i in range(max(1, len(sizes)))]
    result = pack(tasks, nodes, heuristic)
    node_of = {t.name: n for t, n in result.cluster.placed}
    # first fit and best fit open the first empty node only when no used node has room, so
    # the nodes in use are always the first ones: a node's number is its index
    return [int(node_of[f"t{i}"][1:]) for i in range(len(sizes))]


def _ascending(sizes: Sequence[int], capacity: int) -> list[int]:
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    return _first_fit_in(order, sizes, capacity)


def _sorted_order(sizes: Sequence[int], capacity: int) -> list[int]:
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    bins = _first_fit_in(order, sizes, capacity)
    return [bins[i] for i in order]


def _first_fit_in(order: Sequence[int], sizes: Sequence[int], capacity: int) -> list[int]:
    loads: list[int] = []
    out = [0] * len(sizes)
    for i in order:
        for b, load in enumerate(loads):
            if load + sizes[i] <= capacity:
                loads[b] += sizes[i]
                out[i] = b
                break
        else:
            loads.append(sizes[i])
            out[i] = len(loads) - 1
    return out


def _ffd_call(args: tuple[Any, ...]) -> str:
    return f"first_fit_decreasing({list(args[0])!r}, {args[1]!r})"


_FFD_CASES = [
    ([4, 6, 5, 5], 10),
    ([7, 5, 4, 1], 10),
    ([2, 9, 3, 8], 10),
    ([1, 6, 5, 4], 10),
    ([2, 5, 4, 7, 1, 3, 8], 10),
    ([3, 7, 2, 6, 2], 10),
    ([4, 4, 4, 6, 6, 6], 10),
    ([1, 2, 3], 10),
    ([10, 10], 10),
    ([], 10),
    ([5, 3, 5, 3, 2, 2], 10),
    ([6, 4, 3, 3, 2, 2], 10),
]


def _ffd_examples() -> list[Example]:
    return [Example(case, ffd_bins(*case)) for case in _FFD_CASES]


def _same_as(f: Any, other: Any, cases: Sequence[tuple[list[int], int]]) -> bool:
    return all(f(list(s), c) == other(s, c) for s, c in cases)


_FFD_MISTAKES = [
    Mistake(
        "no sort",
        lambda f: _same_as(f, first_fit_bins, [([2, 5, 4, 7, 1, 3, 8], 10), ([1, 6, 5, 4], 10)]),
        "Your answer packs the tasks in the order given: that is first fit. First fit "
        "*decreasing* first sorts the tasks from largest to smallest (equal sizes keep their "
        "order), then places each into the first node it fits.",
    ),
    Mistake(
        "ascending",
        lambda f: _same_as(f, _ascending, [([2, 5, 4, 7, 1, 3, 8], 10), ([1, 6, 5, 4], 10)]),
        "Your answer sorts the tasks smallest first: the small ones then fill the nodes and "
        "every large task needs a node of its own. Sort largest first (reverse=True).",
    ),
    Mistake(
        "best fit",
        lambda f: _same_as(
            f, best_fit_decreasing_bins, [([7, 5, 4, 1], 10), ([1, 5, 7, 1, 4], 10)]
        ),
        "Your answer puts each task into the fullest node it fits (best fit). First fit "
        "takes the first node, in the order nodes were opened, that has room.",
    ),
    Mistake(
        "sorted order",
        lambda f: _same_as(f, _sorted_order, [([2, 9, 3, 8], 10), ([2, 5, 4, 7, 1, 3, 8], 10)]),
        "Your list follows the sorted order: return the node of each task in the order the "
        "tasks were given (result[i] is the node of sizes[i]).",
    ),
]


@st.composite
def _ffd_case(draw: Any) -> tuple[list[int], int]:
    capacity = draw(st.integers(1, 12))
    return draw(st.lists(st.integers(1, capacity), max_size=10)), capacity


def _ffd_check(answer: Any, case: tuple[list[int], int]) -> Failure | None:
    sizes, capacity = case
    got = call_answer(answer, list(sizes), capacity)
    want = ffd_bins(sizes, capacity)
    if got == want:
        return None
    return Failure(f"{_ffd_call(case)} returned {got!r}; expected {want!r}", None)


FIRST_FIT_DECREASING = add_exercise(
    id="ch10.first_fit_decreasing",
    title="First fit decreasing",
    statement="""\
Write first_fit_decreasing(sizes, capacity): pack tasks of one resource (say CPU) onto
identical nodes of the given capacity with first fit decreasing, and return, for each task
in the order given, the number of the node it goes to.

Nodes are numbered 0, 1, 2, ... in the order they are opened. Sort the tasks from largest
to smallest (tasks of equal size keep their given order), then place each into the first
node (lowest number) with room for it, opening a new node when none has room. Every size
is between 1 and capacity. Do not change the arguments.""",
    answer=FunctionAnswer("first_fit_decreasing", ("sizes", "capacity")),
    stages=(
        Examples(
            "examples",
            _ffd_examples,
            call_text=_ffd_call,
            mistakes=_FFD_MISTAKES,
            default_hint="Sort the indices of the tasks by size, largest first; keep a list "
            "of the load of each open node.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "FFD's nodes on random tasks",
                    _ffd_case(),
                    _ffd_check,
                    _ffd_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "sorted(range(len(sizes)), key=lambda i: -sizes[i]) gives the order (stable).",
        "Keep loads, a list with the load of each open node; the first b with "
        "loads[b] + size <= capacity takes the task.",
    ),
    answered_by=("pack",),
)


# == ch10.desired_replicas =======================================================================
def _dr_call(args: tuple[Any, ...]) -> str:
    return f"desired_replicas({', '.join(repr(a) for a in args)})"


_DR_CASES = [
    (4, 90, 60, 0.1),
    (3, 140, 100, 0.1),
    (5, 70, 60, 0.1),
    (10, 104, 100, 0.1),
    (10, 95, 100, 0.1),
    (10, 25, 50, 0.1),
    (2, 0, 50, 0.1),
    (6, 80, 100, 0.0),
    (6, 80, 100, 0.25),
    (0, 90, 60, 0.1),
    (7, 290, 70, 0.1),
    (15, 124, 60, 0.1),
]


def _dr_examples() -> list[Example]:
    return [Example(case, _desired(*case)) for case in _DR_CASES]


_DR_MISTAKES = [
    Mistake(
        "inverted",
        lambda f: f(4, 90, 60, 0.1) == 3 and f(10, 25, 50, 0.1) == 20,
        "Your ratio is upside down: more load (metric above target) must give more replicas. "
        "desired = ceil(current * metric / target).",
    ),
    Mistake(
        "no tolerance",
        lambda f: f(10, 104, 100, 0.1) == 11 and f(6, 80, 100, 0.25) == 5,
        "Within the tolerance (abs(metric / target - 1) <= tolerance) the autoscaler keeps "
        "the current count: your answer moves on a 4 % deviation with a 10 % tolerance.",
    ),
    Mistake(
        "float ratio",
        lambda f: f(7, 290, 70, 0.1) == 30 and f(15, 124, 60, 0.1) == 32,
        "Your answer multiplies by the ratio metric / target in floating point, which is "
        "rounded: 7 * (290 / 70) is 29.000000000000004, and ceil makes it 30 pods where 29 "
        "carry the load exactly. Divide last (current * metric / target), or use integers: "
        "-(-current * metric // target).",
    ),
    Mistake(
        "floor",
        lambda f: f(5, 70, 60, 0.1) == 5 and f(3, 140, 100, 0.1) == 4,
        "Your answer rounds down: 5 pods at 70 % for a 60 % target need 5.83 pods, so 6; "
        "with 5 they stay above target. Round up (math.ceil).",
    ),
    Mistake(
        "round",
        lambda f: f(3, 140, 100, 0.1) == 4 and f(5, 70, 60, 0.1) == 6,
        "Your answer rounds to the nearest: 4.2 pods' worth of load needs 5 pods. Round up "
        "(math.ceil).",
    ),
]


@st.composite
def _dr_case(draw: Any) -> tuple[int, int, int, float]:
    tolerance = draw(st.sampled_from([0.0, 0.05, 0.1, 0.2]))
    return (
        draw(st.integers(0, 40)),
        draw(st.integers(0, 500)),
        draw(st.integers(1, 200)),
        tolerance,
    )


def _dr_check(answer: Any, case: tuple[int, int, int, float]) -> Failure | None:
    _current, metric, target, tolerance = case
    # a case on the tolerance's edge depends on how 0.1 is rounded in binary: skip it
    edge = abs(Fraction(metric, target) - 1) - Fraction(tolerance)
    if abs(edge) < Fraction(1, 10**6):
        return None
    got = call_answer(answer, *case)
    want = _desired(*case)
    if got == want:
        return None
    return Failure(f"{_dr_call(case)} returned {got!r}; expected {want!r}", None)


DESIRED_REPLICAS = add_exercise(
    id="ch10.desired_replicas",
    title="The autoscaler's rule",
    statement="""\
Write desired_replicas(current, metric, target, tolerance): the number of replicas the
horizontal autoscaler asks for.

- current: replicas now (an int >= 0);
- metric: the metric's average over the pods now, e.g. 90 for 90 % CPU (an int >= 0);
- target: the metric's target value (an int > 0);
- tolerance: a float in [0, 1), 0.1 in Kubernetes.

If abs(metric / target - 1) <= tolerance, return current (no change); otherwise return
ceil(current * metric / target). Compute exactly (integers, or fractions.Fraction):
metric and target are ints, so current * metric and target are too.""",
    answer=FunctionAnswer("desired_replicas", ("current", "metric", "target", "tolerance")),
    stages=(
        Examples(
            "examples",
            _dr_examples,
            call_text=_dr_call,
            mistakes=_DR_MISTAKES,
            default_hint="desired = ceil(current * metric / target), unless the ratio "
            "metric / target is within the tolerance of 1.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "the rule on random cases", _dr_case(), _dr_check, _dr_call, max_examples=200
                )
            ],
        ),
    ),
    hints=(
        "Ceiling of an integer division without floats: -(-a // b).",
        "Test the tolerance first: abs(metric - target) <= tolerance * target.",
    ),
    answered_by=("desired_replicas",),
)


# == ch10.fence ====================================================================================
def fence_reference(tokens: Sequence[int]) -> list[bool]:
    """The resource's rule: accept a write whose token is at least the largest accepted.

    >>> fence_reference([1, 1, 2, 1, 2, 3])
    [True, True, True, False, True, True]
    """
    largest = 0
    out = []
    for token in tokens:
        ok = token >= largest
        out.append(ok)
        if ok:
            largest = token
    return out


def _strict(tokens: Sequence[int]) -> list[bool]:
    largest, out = 0, []
    for t in tokens:
        out.append(t > largest)
        largest = max(largest, t)
    return out


def _last(tokens: Sequence[int]) -> list[bool]:
    previous, out = 0, []
    for t in tokens:
        out.append(t >= previous)
        previous = t
    return out


def _fence_call(args: tuple[Any, ...]) -> str:
    return f"fence({list(args[0])!r})"


_FENCE_CASES = [
    [1, 1, 2, 1, 2, 3],
    [1, 2, 1, 1, 3],
    [3, 2, 1],
    [1, 1, 1],
    [],
    [2, 1, 2, 3, 2],
    [5],
]


def _fence_examples() -> list[Example]:
    return [Example((case,), fence_reference(case)) for case in _FENCE_CASES]


_FENCE_MISTAKES = [
    Mistake(
        "accepts all",
        lambda f: f([2, 1]) == [True, True] and f([3, 1, 2]) == [True, True, True],
        "Your resource accepts a write with an older token: that is the write of a holder "
        "whose lease has expired (after a pause). Refuse a token smaller than the largest "
        "accepted so far.",
    ),
    Mistake(
        "strict",
        lambda f: f([1, 1]) == [True, False] and f([2, 2, 3]) == [True, False, True],
        "Your resource refuses the holder's second write: the same token may write again (it "
        "is still the current holder's). Accept token >= largest, not >.",
    ),
    Mistake(
        "previous write",
        lambda f: f([2, 1, 1]) == [True, False, True] and f([3, 1, 2]) == [True, False, True],
        "Your resource compares with the previous write's token, even a refused one: after "
        "2 and a refused 1, another 1 is still stale. Compare with the largest token "
        "accepted so far.",
    ),
]


def _fence_check(answer: Any, case: tuple[list[int]]) -> Failure | None:
    got = call_answer(answer, list(case[0]))
    want = fence_reference(case[0])
    if got == want:
        return None
    return Failure(f"{_fence_call(case)} returned {got!r}; expected {want!r}", None)


FENCE = add_exercise(
    id="ch10.fence",
    title="Fencing tokens",
    statement="""\
Write fence(tokens): the resource's side of fencing. tokens lists the fencing tokens of
the writes that reach the resource, in the order they arrive (ints >= 1); return a list
of booleans, True where the resource accepts the write.

The resource accepts a write whose token is at least the largest token it has accepted
so far (the current holder may write many times with the same token), and refuses a
write with a smaller token: it comes from a controller whose lease was given to someone
else since. Do not change the argument.""",
    answer=FunctionAnswer("fence", ("tokens",)),
    stages=(
        Examples(
            "examples",
            _fence_examples,
            call_text=_fence_call,
            mistakes=_FENCE_MISTAKES,
            default_hint="Keep the largest accepted token; accept when token >= it.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "the rule on random arrivals",
                    st.tuples(st.lists(st.integers(1, 4), max_size=10)),
                    _fence_check,
                    _fence_call,
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=("One variable, the largest accepted token, is all the resource needs.",),
    answered_by=("Resource.fence_rule",),
)
