"""Chapter 6 (load balancing): the least-connections choice, the power of two choices, smooth
weighted round robin, Maglev's lookup table.

- ``ch06.least_connections``: pick the healthy backend with the fewest
  outstanding requests, ties to the first in the list. The last stage plugs
  your function into the simulator's ``LoadBalancer``, in front of a slow
  backend and a backend that crashes.
- ``ch06.power_of_two``: the less loaded of two backends drawn with
  ``rng.sample(backends, 2)``, ties to the first drawn.
- ``ch06.smooth_weighted_round_robin``: nginx's smooth weighted round robin, the
  sequence of picks for given weights.
- ``ch06.maglev``: fill Maglev's lookup table from the backends' preference lists
  (Eisenbud et al. 2016, Pseudocode 1).

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch06.least_connections").stages]
['examples', 'properties', 'balancer']
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st

from dslib.balancing import (
    Dispatch,
    HealthCheck,
    Policy,
    least_connections,
    power_of_two_choices,
    run_balancer,
    smooth_weighted_round_robin,
)
from dslib.balancing.maglev import populate
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
    Stage,
    StageResult,
    call_answer,
)

__all__ = ["ReaderPolicy", "SeededRandom"]


def _call(args: tuple[Any, ...]) -> str:
    backends, outstanding, healthy = args
    return f"least_connections({backends!r}, {stable_repr(outstanding)}, {stable_repr(healthy)})"


def _examples() -> list[Example]:
    every = {"b1", "b2", "b3"}
    return [
        Example((["b1", "b2", "b3"], {"b1": 2, "b2": 0, "b3": 1}, every), "b2"),
        Example((["b1", "b2", "b3"], {"b1": 3, "b2": 0, "b3": 1}, {"b1", "b3"}), "b3"),
        Example((["b1", "b2", "b3"], {"b1": 1, "b2": 1, "b3": 1}, every), "b1"),
        Example((["b3", "b1", "b2"], {"b1": 1, "b2": 1, "b3": 1}, every), "b3"),
        Example((["b1", "b2", "b3"], {"b1": 2, "b3": 1}, every), "b2"),
        Example((["b1", "b2"], {"b1": 0, "b2": 0}, set()), None),
        Example((["b1", "b2"], {"b1": 4, "b2": 5, "b9": 0}, {"b1", "b2", "b9"}), "b1"),
    ]


def _first_healthy(backends: list[str], healthy: set[str]) -> str | None:
    return next((b for b in backends if b in healthy), None)


# The first healthy backend is neither the least nor the most loaded one here.
_LOADED = (
    (["b1", "b2", "b3"], {"b1": 1, "b2": 0, "b3": 2}, {"b1", "b2", "b3"}),
    (["b1", "b2", "b3", "b4"], {"b1": 5, "b2": 1, "b3": 0, "b4": 9}, {"b2", "b3", "b4"}),
)

# Usual mistakes, recognised by behaviour over several calls (one wrong name can be explained
# by more than one mistake: the first healthy backend can also be the most loaded one).
_LC_MISTAKES = (
    Mistake(
        "first healthy backend",
        lambda f: all(f(list(b), dict(o), set(h)) == _first_healthy(b, h) for b, o, h in _LOADED),
        "Your answer returns the first healthy backend whatever the loads. Compare the "
        "outstanding counts: among the healthy backends, the fewest outstanding.get(b, 0) "
        "wins, and only a tie goes to the one that comes first in backends.",
    ),
)


def _hint(
    backends: list[str], outstanding: dict[str, int], healthy: set[str], got: Any
) -> str | None:
    """What a wrong answer ``got`` suggests."""
    right = least_connections(backends, outstanding, healthy)
    if got == right:
        return None
    if isinstance(got, int) and not isinstance(got, bool):
        return "Return the backend's name (a string such as 'b2'), not its count or its position."
    if right is None:
        return (
            "No backend is healthy: return None (the balancer then refuses the request). "
            "Never pick a backend that is not in healthy."
        )
    if got is None:
        return "Some backend is healthy here: return the one with the fewest outstanding requests."
    if got not in backends:
        return f"Choose among backends (here {backends}); {got!r} is not one of them."
    if got not in healthy:
        return (
            f"{got!r} is not healthy: the health checks ejected it. Consider only the backends "
            "in healthy (its count may be 0 precisely because it was ejected)."
        )
    counts = {b: outstanding.get(b, 0) for b in backends if b in healthy}
    if counts[got] == max(counts.values()) and counts[got] != min(counts.values()):
        return (
            "That is the most loaded backend: pick the fewest outstanding requests (min, not max)."
        )
    if counts[got] == counts[right]:
        if got == min(b for b in counts if counts[b] == counts[got]):
            return (
                "Ties go to the backend that comes first in the list backends, not to the "
                "smallest name: iterate over backends in order."
            )
        return (
            "Ties go to the first backend in the list: keep the first minimum you meet (use <, "
            "not <=, when you compare with the best so far)."
        )
    return None


def _diagnose(m: Mismatch) -> str | None:
    backends, outstanding, healthy = m.example.args
    if m.problem == "mutated":
        return "Do not change the arguments: read outstanding and healthy, never modify them."
    if m.problem == "raised":
        if isinstance(m.error, KeyError):
            return (
                "A backend missing from outstanding has no request outstanding: use "
                "outstanding.get(backend, 0), not outstanding[backend]."
            )
        if isinstance(m.error, ValueError) and not (set(backends) & set(healthy)):
            return "With no healthy backend, return None instead of raising (min() of nothing)."
        return None
    return _hint(backends, outstanding, healthy, m.got)


_NAMES = ["b1", "b2", "b3", "b4", "b5", "b6"]


@st.composite
def _cases(draw: Any) -> tuple[list[str], dict[str, int], set[str]]:
    backends = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=6, unique=True))
    outstanding = draw(
        st.dictionaries(st.sampled_from(_NAMES), st.integers(0, 5), max_size=len(_NAMES))
    )
    healthy = draw(st.sets(st.sampled_from(_NAMES)))
    return backends, outstanding, healthy


def _check_definition(
    answer: Any, case: tuple[list[str], dict[str, int], set[str]]
) -> Failure | None:
    backends, outstanding, healthy = case
    got = call_answer(answer, list(backends), dict(outstanding), set(healthy))
    right = least_connections(backends, outstanding, healthy)
    if got == right:
        return None
    return Failure(
        f"{_call(case)} returned {got!r}; expected {right!r}",
        _hint(backends, outstanding, healthy, got),
    )


def _on_error(case: Any, exc: BaseException) -> str | None:
    if isinstance(exc, KeyError):
        return "A backend missing from outstanding counts as 0: use outstanding.get(backend, 0)."
    return None


# -- the balancer stage ------------------------------------------------------------------------
class ReaderPolicy(Policy):
    """A balancer policy that asks a reader's ``least_connections`` function.

    The function sees every configured backend (rotated by the number of
    requests dispatched, so that ties take turns), the outstanding counts of
    all of them, and the set of healthy ones. Each wrong choice is kept in
    ``problems``; a choice that is not a healthy backend is replaced by the
    correct one so the run goes on.

    >>> policy = ReaderPolicy(lambda b, o, h: b[0], ["b1", "b2"])
    >>> policy.choose(Dispatch(("b2",), {"b1": 0, "b2": 3}))
    'b2'
    >>> policy.problems[0][3]
    'b1'
    """

    name = "your least connections"

    def __init__(self, function: Callable[..., Any], backends: list[str]) -> None:
        self.function = function
        self.backends = list(backends)
        self.problems: list[tuple[list[str], dict[str, int], set[str], Any, Any]] = []

    def choose(self, request: Dispatch) -> str:
        k = request.dispatched % len(self.backends)
        rotated = self.backends[k:] + self.backends[:k]
        counts, ok = dict(request.outstanding), set(request.healthy)
        got = call_answer(self.function, list(rotated), dict(counts), set(ok))
        right = least_connections(rotated, counts, ok)
        if got != right and len(self.problems) < 5:
            self.problems.append((rotated, counts, ok, got, right))
        choice = got if got in ok else right
        assert choice is not None
        return choice


class BalancerStage(Stage):
    """Runs the answer as the balancer's policy: four backends, the last five times slower
    than the others, the second crashing at time 100 and restarting at 250, health checks
    every 5; 1000 requests."""

    name = "balancer"

    def run(self, answer: Any) -> StageResult:
        backends = ["b1", "b2", "b3", "b4"]
        policy = ReaderPolicy(answer, backends)
        try:
            run = run_balancer(
                policy,
                [(0.5, 1.5), (0.5, 1.5), (0.5, 1.5), (2.5, 7.5)],
                rate=1.8,
                requests=1000,
                seed=3,
                health=HealthCheck(5.0, 2, 2),
                crash=(1, 100.0, 250.0),
            )
        except Exception as exc:  # the reader's function raised inside the simulation
            cause: BaseException | None = exc
            while cause is not None and not isinstance(cause, AnswerRaised):
                cause = cause.__cause__
            if cause is None:
                raise
            if isinstance(cause.__cause__, NotImplementedError):  # pragma: no cover
                raise
            return StageResult(
                self.name,
                False,
                "your function raised in the balancer",
                Failure(f"in the balancer, your function raised {cause.text}", None, length=1),
            )
        if policy.problems:
            rotated, counts, ok, got, right = policy.problems[0]
            case = (rotated, counts, ok)
            return StageResult(
                self.name,
                False,
                "a wrong choice in the balancer",
                Failure(
                    f"in the balancer, {_call(case)} returned {got!r}; expected {right!r}",
                    _hint(rotated, counts, ok, got),
                    length=1,
                ),
            )
        share = dict(run.sent)["b4"] / 1000
        if share >= 0.125 or run.unanswered > 20:
            return StageResult(
                self.name,
                False,
                "the balancer did not avoid the slow backend",
                Failure(
                    f"the slow backend got {share:.1%} of the requests (it should get less than "
                    f"half of an equal share, 12.5%); {run.unanswered} requests were lost",
                    "A backend that answers slowly keeps more requests outstanding: choose by "
                    "the counts in outstanding.",
                ),
            )
        return StageResult(
            self.name,
            True,
            f"1000 requests: p99 {run.p(99):.1f}, slow backend {share:.1%}, "
            f"{run.unanswered} lost in the crash",
        )


STATEMENT = """\
Write least_connections(backends, outstanding, healthy): the backend a least-connections
load balancer sends the next request to.

- backends is a list of backend names, in order, such as ["b1", "b2", "b3"];
- outstanding maps a backend's name to the number of requests sent to it and not yet
  answered; a backend missing from outstanding has 0;
- healthy is a set of the backends the health checks consider up.

Return the name of the backend in healthy with the fewest outstanding requests. If several
have that fewest, return the one that comes first in backends. Consider only backends that
are in both backends and healthy; if there is none, return None. Do not change the arguments.

The check runs examples, then a hypothesis property (your function agrees with the
definition on random cases), then runs your function inside the simulator's LoadBalancer,
in front of four backends, one five times slower than the others and one that crashes for a
while: the slow backend must get less than half of an equal share of the requests."""

LEAST_CONNECTIONS = add_exercise(
    id="ch06.least_connections",
    answered_by=("least_connections",),
    title="The least-connections choice",
    statement=STATEMENT,
    answer=FunctionAnswer("least_connections", ("backends", "outstanding", "healthy")),
    stages=(
        Examples(
            "examples",
            _examples,
            call_text=_call,
            diagnose=_diagnose,
            mistakes=_LC_MISTAKES,
            default_hint="Go through backends in order; among those in healthy, keep the one "
            "with the smallest outstanding.get(b, 0) (the first one on a tie).",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _cases(),
                    _check_definition,
                    _call,
                    on_error=_on_error,
                    max_examples=150,
                )
            ],
        ),
        BalancerStage(),
    ),
    hints=(
        "outstanding.get(b, 0) is the count of b, 0 if it is missing.",
        "Keep the best so far; replace it only by a strictly smaller count.",
    ),
)


# == ch06.power_of_two ============================================================================
class SeededRandom(random.Random):
    """A ``random.Random(seed)`` that shows as ``random.Random(seed)`` in a check's report.

    >>> rng = SeededRandom(3)
    >>> rng, rng.sample(["a", "b", "c"], 2) == random.Random(3).sample(["a", "b", "c"], 2)
    (random.Random(3), True)
    """

    def __init__(self, label: int = 0) -> None:
        super().__init__(label)
        self.label = label

    def __repr__(self) -> str:
        return f"random.Random({self.label})"


class _FixedLooks:
    """A stand-in for ``rng`` whose draws are known: ``sample(pop, 2)`` gives ``pop[1], pop[2]``,
    every other draw gives ``pop[0]`` (to tell apart answers that draw differently)."""

    def sample(self, population: Any, k: int) -> list[Any]:
        pop = list(population)
        return pop[1 : 1 + k] if k == 2 and len(pop) >= 3 else pop[:k]

    def choice(self, population: Any) -> Any:
        return next(iter(population))

    def choices(self, population: Any, weights: Any = None, k: int = 1, **_: Any) -> list[Any]:
        return [next(iter(population))] * k

    def randrange(self, *args: int) -> int:
        return 0 if len(args) == 1 else args[0]

    def randint(self, a: int, b: int) -> int:
        return a

    def random(self) -> float:
        return 0.0

    def shuffle(self, x: Any) -> None:
        return None

    def __repr__(self) -> str:
        return "rng"


def _p2_call(args: tuple[Any, ...]) -> str:
    backends, outstanding, rng = args
    return f"power_of_two({backends!r}, {stable_repr(outstanding)}, {rng!r})"


_FIVE = ["b1", "b2", "b3", "b4", "b5"]
_LOADS = {"b1": 0, "b2": 3, "b3": 1, "b4": 4, "b5": 2}


def _p2_reference(backends: list[str], outstanding: dict[str, int], seed: int) -> str:
    return power_of_two_choices(list(backends), dict(outstanding), random.Random(seed))


def _p2_examples() -> list[Example]:
    cases = [
        (_FIVE, _LOADS, 0),  # draws b4, b5: b5; the least loaded of all (b1) is not drawn
        (_FIVE, _LOADS, 1),  # draws b2, b1: b1
        (_FIVE, _LOADS, 5),  # draws b5, b3: b3
        (_FIVE, {"b1": 0, "b2": 2, "b3": 2, "b4": 1, "b5": 1}, 4),  # b2, b3 tie: the first drawn
        (_FIVE, {"b1": 3}, 6),  # draws b5, b1; b5 is missing: 0
        (["b1", "b2"], {"b1": 1, "b2": 1}, 0),  # draws b2, b1: a tie, b2 drawn first
        (["b1"], {"b1": 7}, 3),
    ]
    return [
        Example((list(b), dict(o), SeededRandom(s)), _p2_reference(b, o, s)) for b, o, s in cases
    ]


def _p2_least_of_all(f: Callable[..., Any]) -> bool:
    # seeds 0 and 5 draw neither b1 nor the runner-up: only an answer that looks at every
    # backend returns b1
    return all(f(list(_FIVE), dict(_LOADS), SeededRandom(s)) == "b1" for s in (0, 5))


_P2_MISTAKES = (
    Mistake(
        "two looks that can hit one backend",
        lambda f: f(["b1", "b2", "b3"], {"b1": 5, "b2": 1, "b3": 9}, _FixedLooks()) == "b1",
        "Your answer can return a backend that rng.sample(backends, 2) does not draw: it draws "
        "the two looks separately (rng.choice twice, or rng.sample(backends, 1) twice), and two "
        "separate draws can hit the same backend, which leaves no choice at all. Draw both at "
        "once with one call, rng.sample(backends, 2): two distinct backends.",
    ),
    Mistake(
        "the more loaded of the two",
        lambda f: f(["b1", "b2", "b3"], {"b1": 5, "b2": 1, "b3": 9}, _FixedLooks()) == "b3",
        "That is the more loaded of the two drawn backends: take the one with FEWER outstanding "
        "requests (min, not max).",
    ),
    Mistake(
        "looks at every backend",
        _p2_least_of_all,
        "Your answer returns the least loaded of ALL the backends, which is least connections. "
        "The power of two choices looks only at the two backends rng.sample(backends, 2) draws "
        "and takes the less loaded of those two.",
    ),
    Mistake(
        "ties to the second drawn",
        lambda f: f(["b1", "b2", "b3"], {"b1": 5, "b2": 4, "b3": 4}, _FixedLooks()) == "b3",
        "On a tie, keep the backend drawn first: compare with <, not <=.",
    ),
)


def _p2_diagnose(m: Mismatch) -> str | None:
    if m.problem == "raised" and isinstance(m.error, KeyError):
        return (
            "A backend missing from outstanding has no request outstanding: use "
            "outstanding.get(backend, 0), not outstanding[backend]."
        )
    if m.problem == "raised" and isinstance(m.error, ValueError):
        return "With a single backend, draw rng.sample(backends, 1): there is only one to take."
    return None


@st.composite
def _p2_cases(draw: Any) -> tuple[list[str], dict[str, int], int]:
    backends = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=6, unique=True))
    outstanding = draw(st.dictionaries(st.sampled_from(backends), st.integers(0, 4)))
    return backends, outstanding, draw(st.integers(0, 10_000))


def _p2_show(case: tuple[list[str], dict[str, int], int]) -> str:
    backends, outstanding, seed = case
    return _p2_call((backends, outstanding, SeededRandom(seed)))


def _p2_check(answer: Any, case: tuple[list[str], dict[str, int], int]) -> Failure | None:
    backends, outstanding, seed = case
    rng, right_rng = SeededRandom(seed), random.Random(seed)
    for i in range(3):  # three picks from one generator: it must draw as the definition does
        got = call_answer(answer, list(backends), dict(outstanding), rng)
        right = power_of_two_choices(list(backends), dict(outstanding), right_rng)
        if got != right:
            nth = ("first", "second", "third")[i]
            hint = (
                "Draw exactly once per call, rng.sample(backends, 2) (or 1 with one backend), "
                "so that the next call draws what the definition draws."
                if i
                else None
            )
            return Failure(
                f"{_p2_show(case)}: the {nth} call returned {got!r}; expected {right!r}", hint
            )
    return None


P2_STATEMENT = """\
Write power_of_two(backends, outstanding, rng): the backend a power-of-two-choices load
balancer sends the next request to.

- backends is a list of backend names, such as ["b1", "b2", "b3"] (at least one);
- outstanding maps a name to the requests sent to that backend and not yet answered; a
  backend missing from outstanding has 0;
- rng is a random.Random: draw the two looks with ONE call, rng.sample(backends, 2), which
  returns two distinct backends in the order drawn (with a single backend, rng.sample(
  backends, 1)).

Return the drawn backend with fewer outstanding requests; on a tie, the one drawn first. Do
not change the arguments, and draw nothing else from rng: the check compares your picks with
the definition's on the same seeded generator, call after call.

The check runs examples, then a hypothesis property (three picks in a row agree with the
definition on random cases)."""

POWER_OF_TWO = add_exercise(
    id="ch06.power_of_two",
    answered_by=("power_of_two_choices",),
    title="The power of two choices",
    statement=P2_STATEMENT,
    answer=FunctionAnswer("power_of_two", ("backends", "outstanding", "rng")),
    stages=(
        Examples(
            "examples",
            _p2_examples,
            call_text=_p2_call,
            diagnose=_p2_diagnose,
            mistakes=_P2_MISTAKES,
            default_hint="first, second = rng.sample(backends, 2); return the one with the "
            "smaller outstanding.get(b, 0), first on a tie.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition, pick after pick",
                    _p2_cases(),
                    _p2_check,
                    _p2_show,
                    max_examples=100,
                )
            ],
        ),
    ),
    hints=(
        "rng.sample(backends, min(2, len(backends))) draws the looks, distinct, in order.",
        "min(drawn, key=...) keeps the first of equal keys.",
    ),
)


# == ch06.smooth_weighted_round_robin =============================================================
def _sw_call(args: tuple[Any, ...]) -> str:
    return f"smooth_weighted_round_robin({args[0]!r}, {args[1]!r})"


_SW_CASES = [
    ([("a", 5), ("b", 1), ("c", 1)], 7),
    ([("a", 3), ("b", 1)], 8),
    ([("a", 1), ("b", 1), ("c", 1)], 6),
    ([("a", 2), ("b", 3)], 5),
    ([("b", 1), ("a", 5)], 6),
    ([("a", 3), ("b", 2), ("c", 1)], 12),
    ([("x", 4)], 3),
    ([("a", 2), ("b", 2)], 0),
]


def _sw_examples() -> list[Example]:
    return [Example((list(w), n), smooth_weighted_round_robin(w, n)) for w, n in _SW_CASES]


def _plain_wrr(weights: list[tuple[str, int]], picks: int) -> list[str]:
    cycle = [name for name, w in weights for _ in range(w)]
    return [cycle[i % len(cycle)] for i in range(picks)]


_SW_MISTAKES = (
    Mistake(
        "each backend its weight in a row",
        lambda f: (
            f([("a", 3), ("b", 1)], 4) == _plain_wrr([("a", 3), ("b", 1)], 4)
            and f([("a", 2), ("b", 2)], 4) == _plain_wrr([("a", 2), ("b", 2)], 4)
        ),
        "Your picks give each backend its whole weight in a row (a, a, a, b): the counts are "
        "right but the heavy backend gets a burst. The smooth rule interleaves them: before "
        "each pick add every backend's weight to its current weight, pick the largest current "
        "weight, then subtract the TOTAL weight from the winner's.",
    ),
    Mistake(
        "never subtracts",
        lambda f: (
            f([("a", 3), ("b", 1)], 4) == ["a"] * 4 and f([("a", 1), ("b", 2)], 3) == ["b"] * 3
        ),
        "The heaviest backend wins every pick: after a backend wins, subtract the total weight "
        "(the sum of all the weights) from its current weight, so that the others catch up.",
    ),
    Mistake(
        "subtracts the winner's own weight",
        lambda f: (
            f([("a", 5), ("b", 1), ("c", 1)], 7) == list("aaaaaba")
            and f([("a", 3), ("b", 2), ("c", 1)], 6) == list("abaaba")
        ),
        "Subtract the TOTAL weight (the sum of all the weights) from the winner's current "
        "weight, not the winner's own weight: otherwise the current weights keep growing and "
        "the counts drift away from the weights.",
    ),
    Mistake(
        "ties to the last",
        lambda f: f([("a", 1), ("b", 1), ("c", 1)], 3) == ["c", "b", "a"],
        "On a tie of current weights the backend that comes first in weights wins: replace "
        "the best only when a current weight is strictly larger (>, not >=).",
    ),
)


@st.composite
def _sw_cases(draw: Any) -> tuple[list[tuple[str, int]], int]:
    names = draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=5, unique=True))
    weights = [(n, draw(st.integers(1, 9))) for n in names]
    total = sum(w for _, w in weights)
    return weights, draw(st.integers(total, 3 * total))


def _sw_picks(answer: Any, case: tuple[list[tuple[str, int]], int]) -> Any:
    weights, picks = case
    return call_answer(answer, [tuple(p) for p in weights], picks)


def _sw_windows(answer: Any, case: tuple[list[tuple[str, int]], int]) -> Failure | None:
    weights, picks = case
    got = _sw_picks(answer, case)
    if not isinstance(got, list) or len(got) != picks:
        return Failure(f"{_sw_call(case)} returned {got!r}; expected a list of {picks} names")
    total = sum(w for _, w in weights)
    for start in range(picks - total + 1):
        window = got[start : start + total]
        for name, w in weights:
            if window.count(name) != w:
                return Failure(
                    f"{_sw_call(case)}: picks {start} to {start + total - 1} hold {name!r} "
                    f"{window.count(name)} times; its weight is {w}",
                    "Every run of sum(weights) consecutive picks must hold each backend "
                    "exactly its weight's number of times.",
                )
    return None


def _sw_smooth(answer: Any, case: tuple[list[tuple[str, int]], int]) -> Failure | None:
    weights, _ = case
    got = _sw_picks(answer, case)
    total = sum(w for _, w in weights)
    for k in range(1, len(got) + 1):
        for name, w in weights:
            share = -(-w * k // total)  # ceil(w * k / total)
            if got[:k].count(name) > share:
                return Failure(
                    f"{_sw_call(case)}: the first {k} picks hold {name!r} "
                    f"{got[:k].count(name)} times, more than its share rounded up, {share}",
                    "A backend may run ahead of its share w * k / sum(weights) by less than one "
                    "pick: that is what 'smooth' means.",
                )
    return None


def _sw_definition(answer: Any, case: tuple[list[tuple[str, int]], int]) -> Failure | None:
    weights, picks = case
    got = _sw_picks(answer, case)
    right = smooth_weighted_round_robin(weights, picks)
    if got == right:
        return None
    at = next(i for i, (a, b) in enumerate(zip(got, right, strict=False)) if a != b)
    return Failure(f"{_sw_call(case)}: pick {at} is {got[at]!r}; the rule gives {right[at]!r}")


SW_STATEMENT = """\
Write smooth_weighted_round_robin(weights, picks): the first picks backends of nginx's smooth
weighted round robin.

- weights is a list of (name, weight) pairs, such as [("a", 5), ("b", 1), ("c", 1)]: names
  distinct, weights ints >= 1;
- picks is the number of picks (>= 0).

Each backend has a current weight, 0 at the start. For each pick: add every backend's
weight to its current weight; the backend with the largest current weight wins (on a tie,
the one that comes first in weights); subtract the total weight (the sum of all the weights)
from the winner's current weight. Return the list of the winners' names, in order. For the
weights above, the seven picks are a, a, b, a, c, a, a.

The check runs examples, then hypothesis properties: every sum(weights) consecutive picks
hold each backend exactly its weight's number of times; no backend runs ahead of its share;
and the picks are the rule's."""

SMOOTH_WEIGHTED_ROUND_ROBIN = add_exercise(
    id="ch06.smooth_weighted_round_robin",
    answered_by=("smooth_weighted_round_robin",),
    title="Smooth weighted round robin",
    statement=SW_STATEMENT,
    answer=FunctionAnswer("smooth_weighted_round_robin", ("weights", "picks")),
    stages=(
        Examples(
            "examples",
            _sw_examples,
            call_text=_sw_call,
            mistakes=_SW_MISTAKES,
            default_hint="Keep one current weight per backend; per pick: add the weights, "
            "take the largest (first on a tie), subtract the total from it.",
        ),
        Properties(
            "properties",
            [
                Property("each weight in every window", _sw_cases(), _sw_windows, max_examples=80),
                Property("no backend ahead of its share", _sw_cases(), _sw_smooth, max_examples=80),
                Property("the rule's picks", _sw_cases(), _sw_definition, max_examples=80),
            ],
        ),
    ),
    hints=(
        "The current weights always sum to 0 after a pick: the winner gives back what all gained.",
        "Compare with > so that the first of equal current weights stays the best.",
    ),
)


# == ch06.maglev =================================================================================
def _perm(offset: int, skip: int, m: int) -> list[int]:
    return [(offset + j * skip) % m for j in range(m)]


_MAGLEV_CASES = [
    [[3, 0, 4, 1, 2], [0, 2, 4, 1, 3], [3, 4, 0, 1, 2]],  # 5 entries, 3 backends
    [_perm(3, 4, 7), _perm(0, 2, 7), _perm(3, 1, 7)],  # the paper's Table 1 shape
    [_perm(0, 1, 5)],  # one backend takes everything
    [_perm(0, 1, 7), _perm(0, 1, 7)],  # the same preferences: they alternate
    [_perm(2, 3, 11), _perm(5, 1, 11), _perm(9, 7, 11), _perm(1, 10, 11)],
    [_perm(1, 2, 13), _perm(4, 5, 13)],
]


def _maglev_examples() -> list[Example]:
    return [Example((c,), populate(c)) for c in _MAGLEV_CASES]


def _counts(table: Any) -> list[int]:
    return sorted({x: list(table).count(x) for x in set(table)}.values())


_MAGLEV_MISTAKES = (
    Mistake(
        "fills one backend at a time",
        lambda f: f([_perm(0, 1, 7), _perm(3, 2, 7)]) == [0] * 7,
        "Backends take turns: each takes ONE entry in its turn, then the next backend "
        "goes. Yours let the first backend take every entry it prefers, so it got the "
        "whole table: the turns are what keep the counts within one of each other.",
    ),
    Mistake(
        "takes entries already taken",
        lambda f: (
            f([_perm(0, 1, 5), _perm(0, 1, 5)]) != [0, 1, 0, 1, 0]
            and len(f([_perm(0, 1, 5), _perm(0, 1, 5)])) == 5
        ),
        "In its turn a backend takes its next preferred entry THAT IS STILL EMPTY: skip "
        "the entries other backends already have (advance next[i] past them). Yours "
        "overwrote an entry another backend had taken.",
    ),
)


def _maglev_diagnose(m: Mismatch) -> str | None:
    if m.problem == "raised" and isinstance(m.error, IndexError):
        return (
            "An IndexError: stop as soon as the table is full, even in the middle of a "
            "round; after that every backend's remaining preferences are all taken."
        )
    if m.problem == "raised" and isinstance(m.error, (TimeoutError, RecursionError)):
        return "Stop when every entry is taken: count the entries filled."
    if m.problem != "raised" and not isinstance(m.got, list):
        return f"Return a list of backend indices, not {type(m.got).__name__}."
    if m.problem != "raised" and isinstance(m.got, list):
        (prefs,) = m.example.args
        if len(m.got) != len(prefs[0]):
            return (
                f"The table has one entry per preference slot: {len(prefs[0])}, not {len(m.got)}."
            )
    return None


_PRIMES = (5, 7, 11, 13)


@st.composite
def _maglev_inputs(draw: st.DrawFn) -> list[list[int]]:
    m = draw(st.sampled_from(_PRIMES))
    n = draw(st.integers(1, min(4, m)))
    return [_perm(draw(st.integers(0, m - 1)), draw(st.integers(1, m - 1)), m) for _ in range(n)]


def _check_maglev(answer: Any, prefs: list[list[int]]) -> Failure | None:
    got = call_answer(answer, [list(p) for p in prefs])
    right = populate(prefs)
    if got == right:
        return None
    return Failure(
        f"populate({prefs!r}) returned {got!r}; expected {right!r}",
        None,
        length=len(prefs) * len(prefs[0]),
    )


MAGLEV_STATEMENT = """\
Write populate(preferences): fill Maglev's lookup table (Eisenbud et al., NSDI 2016,
section 3.4, Pseudocode 1). preferences[i] is backend i's preference list: a permutation of
the table's entries 0 .. m-1 (m = len(preferences[0])), most preferred first.

- Keep next[i], where backend i is in its list (0 at first), and the table: m entries,
  all empty.
- Backends take turns, i = 0, 1, ..., N-1, 0, 1, ...: in its turn, backend i moves next[i]
  past the entries already taken, takes the entry preferences[i][next[i]], and moves
  next[i] on by one.
- Stop as soon as every entry is taken (possibly in the middle of a round).

Return the table: a list of m backend indices (table[k] is the backend of entry k).

Turns make every backend's count of entries within one of the others' (balance); the
preferences make a table change little when a backend leaves (section 6.5 measures both).
The check runs examples, then a hypothesis property against the definition on random
permutations (offset + j * skip) mod m, as Maglev's are."""

MAGLEV = add_exercise(
    id="ch06.maglev",
    answered_by=("populate", "maglev_table"),
    title="Maglev's lookup table",
    statement=MAGLEV_STATEMENT,
    answer=FunctionAnswer("populate", ("preferences",)),
    stages=(
        Examples(
            "examples",
            _maglev_examples,
            diagnose=_maglev_diagnose,
            mistakes=_MAGLEV_MISTAKES,
            default_hint="One entry per backend per turn; skip taken entries; stop when full.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _maglev_inputs(),
                    _check_maglev,
                    lambda c: f"populate({c!r})",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "Each backend claims one empty entry per turn.",
        "Stop as soon as the table is full, even in the middle of a round.",
    ),
)
