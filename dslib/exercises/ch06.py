"""Chapter 6 (load balancing): the least-connections choice.

- ``ch06.least_connections``: pick the healthy backend with the fewest
  outstanding requests, ties to the first in the list. The last stage plugs
  your function into the simulator's ``LoadBalancer``, in front of a slow
  backend and a backend that crashes.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch06.least_connections").stages]
['examples', 'properties', 'balancer']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st

from dslib.balancing import Dispatch, HealthCheck, Policy, least_connections, run_balancer
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

__all__ = ["ReaderPolicy"]


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
