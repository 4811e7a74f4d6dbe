"""Chapter 5 (architectures): three exercises.

- ``ch05.backoff``: the wait before a retry: capped exponential backoff with full jitter;
- ``ch05.gossip_round``: one synchronous round of push, pull or push-pull gossip;
- ``ch05.circuit_breaker``: the state machine of a circuit breaker.

The server side of client-server (a deduplicating server) is exercise
``ch01.dedup_server``.

Examples
--------
>>> from dslib.architectures.microservices import BreakerState
>>> BreakerState()
BreakerState(mode='closed', failures=0, opened_at=0.0)
"""

from __future__ import annotations

import math
from typing import Any

import hypothesis.strategies as st

from dslib.architectures.client_server import backoff_delay
from dslib.architectures.microservices import BreakerState, breaker_transition
from dslib.architectures.p2p import gossip_round as _gossip_reference
from dslib.exercises.ch04 import Approx
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


# == ch05.backoff ================================================================================
def _ceiling(attempt: int, base: float, cap: float) -> float:
    return backoff_delay(attempt, base, cap, 0.0, "none")


def _backoff_reference(attempt: int, base: float, cap: float, u: float) -> float:
    return backoff_delay(attempt, base, cap, u, "full")


def _backoff_examples() -> list[Example]:
    cases = [
        (0, 1.0, 60.0, 0.25),
        (3, 1.0, 60.0, 0.3),
        (3, 0.5, 60.0, 0.75),
        (5, 1.0, 10.0, 0.25),
        (10, 2.0, 30.0, 0.9),
        (4, 1.0, 60.0, 0.0),
    ]
    return [Example(c, Approx(_backoff_reference(*c))) for c in cases]


def _backoff_large() -> list[Example]:
    cases = [(100, 1.0, 30.0, 0.5), (2000, 0.5, 30.0, 0.5)]
    return [Example(c, Approx(_backoff_reference(*c))) for c in cases]


def _backoff_hint(attempt: int, base: float, cap: float, u: float, got: Any) -> str | None:
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return "Return a number: the wait, u * min(cap, base * 2**attempt)."
    ceiling = _ceiling(attempt, base, cap)
    near = lambda x: math.isclose(got, x, rel_tol=1e-9, abs_tol=1e-12)  # noqa: E731
    if near(ceiling):
        return (
            "That is the ceiling without jitter. Full jitter draws the wait uniformly below it: "
            "multiply the ceiling by u."
        )
    if attempt < 60 and near(u * min(cap, base * 2 ** (attempt + 1))):
        return (
            "Off by one: the first retry (attempt 0) waits up to base, so the ceiling is "
            "base * 2**attempt, not base * 2**(attempt + 1)."
        )
    if attempt < 60 and near(min(cap, u * base * 2**attempt)):
        return (
            "Cap the ceiling first, then draw below it: u * min(cap, base * 2**attempt). "
            "Capping after the jitter makes every long wait exactly cap again: the clients "
            "line up at cap and retry together."
        )
    if attempt < 60 and near(u * base * 2**attempt):
        return "Cap the ceiling: it grows up to cap and no further, min(cap, base * 2**attempt)."
    if attempt < 60 and (near(ceiling + u) or near(ceiling + u * base)):
        return "Jitter multiplies the ceiling by u (uniform in [0, 1)); it is not added to it."
    return None


def _backoff_diagnose(m: Mismatch) -> str | None:
    attempt, base, cap, u = m.example.args
    if m.problem == "raised" and isinstance(m.error, OverflowError):
        return (
            f"2**{attempt} times a float is too large for a float. A client can retry for a "
            "long time: stop growing the ceiling once it reaches cap, for example "
            "min(cap, base * 2**min(attempt, 64)), or double in a loop that stops at cap."
        )
    if m.problem == "raised":
        return None
    return _backoff_hint(attempt, base, cap, u, m.got)


def _check_backoff(answer: Any, case: tuple[int, float, float, float]) -> Failure | None:
    attempt, base, cap, u = case
    cap = max(cap, base)
    got = call_answer(answer, attempt, base, cap, u)
    right = _backoff_reference(attempt, base, cap, u)
    if Approx(right) == got:
        return None
    return Failure(
        f"backoff({attempt}, {base!r}, {cap!r}, {u!r}) returned {got!r}; expected {right!r}",
        _backoff_hint(attempt, base, cap, u, got),
    )


BACKOFF_STATEMENT = """\
Write backoff(attempt, base, cap, u): how long a client waits before retry number
`attempt` (0 for the first retry), with capped exponential backoff and full jitter.

- The ceiling doubles with each retry, starting at base, and never exceeds cap:
      ceiling = min(cap, base * 2**attempt)
- Full jitter draws the wait uniformly between 0 and the ceiling; u is the uniform random
  number in [0, 1) to use (the caller draws it, so your function is deterministic):
      wait = u * ceiling
- attempt may be large (a client that retries for hours): it must not overflow.

Why jitter: clients that failed together would otherwise retry together, at the same
instants, and keep a recovering server overloaded (section 5.1 measures it).

The check runs examples, then large attempts, then a hypothesis property comparing your
function with the definition on random inputs."""

BACKOFF = add_exercise(
    id="ch05.backoff",
    answered_by=("backoff_delay",),
    title="Exponential backoff with full jitter",
    statement=BACKOFF_STATEMENT,
    answer=FunctionAnswer("backoff", ("attempt", "base", "cap", "u")),
    stages=(
        Examples(
            "examples",
            _backoff_examples,
            diagnose=_backoff_diagnose,
            default_hint="wait = u * min(cap, base * 2**attempt).",
        ),
        Examples(
            "large attempts",
            _backoff_large,
            diagnose=_backoff_diagnose,
            default_hint="For a large attempt the ceiling is cap: wait = u * cap.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(
                        st.integers(0, 80),
                        st.sampled_from([0.1, 0.5, 1.0, 2.0]),
                        st.sampled_from([1.0, 10.0, 30.0, 1000.0]),
                        st.floats(0.0, 0.999, allow_nan=False),
                    ),
                    _check_backoff,
                    lambda c: f"attempt={c[0]}, base={c[1]!r}, cap={max(c[1], c[2])!r}, u={c[3]!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "The first retry is attempt 0: its ceiling is base.",
        "Cap the ceiling, then multiply by u.",
    ),
)


# == ch05.gossip_round ===========================================================================
def _gossip_text(args: tuple[Any, ...]) -> str:
    informed, choices, mode = args
    return f"gossip_round({sorted(informed)!r}, {dict(sorted(choices.items()))!r}, {mode!r})"


_CHOICES = {"a": "b", "b": "c", "c": "a", "d": "a"}
_CHAIN = {"a": "b", "b": "c", "c": "d", "d": "a"}


def _gossip_examples() -> list[Example]:
    cases: list[tuple[set[str], dict[str, str], str]] = [
        ({"a"}, dict(_CHOICES), "push"),
        ({"a"}, dict(_CHOICES), "pull"),
        ({"a"}, dict(_CHOICES), "push-pull"),
        ({"a"}, dict(_CHAIN), "push"),  # a informs b; b must not inform c in the same round
        ({"c"}, dict(_CHAIN), "pull"),  # b pulls from c; a pulls from b, who did not know yet
        ({"b", "d"}, {"a": "c", "b": "a", "c": "d", "d": "b"}, "push-pull"),
        ({"a", "b", "c", "d"}, dict(_CHOICES), "pull"),
    ]
    return [Example((set(i), dict(c), m), _gossip_reference(i, c, m)) for i, c, m in cases]


def _both_ends(informed: set[str], choices: dict[str, str]) -> set[str]:
    """Every node on a contact with a node informed at the start, whatever the mode."""
    return set(informed) | {
        x for i, p in choices.items() if i in informed or p in informed for x in (i, p)
    }


def _as_set(got: Any) -> Any:
    return set(got) if isinstance(got, (set, frozenset)) else got


_MODES = ("push", "pull", "push-pull")

# Usual mistakes, recognised by behaviour over several calls and modes (one wrong set can be
# explained by more than one mistake).
_GOSSIP_MISTAKES = (
    Mistake(
        "informs both ends of every contact",
        lambda f: all(
            _as_set(f({"a"}, dict(c), mode)) == _both_ends({"a"}, c)
            for c in (_CHOICES, _CHAIN)
            for mode in ("push", "pull")
        ),
        "A contact passes the rumour one way, and the mode says which: in push the caller "
        "tells its peer (an informed i informs choices[i]); in pull the caller learns from its "
        "peer (an uninformed i learns if choices[i] knows). You informed both ends of every "
        "contact that touches an informed node, whatever the mode.",
    ),
    Mistake(
        "ignores the mode",
        lambda f: all(
            len({frozenset(_as_set(f({"a"}, dict(c), mode))) for mode in _MODES}) == 1
            for c in (_CHOICES, _CHAIN)
        ),
        "Your answer gives the same set for push, pull and push-pull: the mode decides who "
        "passes the rumour. push: an informed i tells choices[i]; pull: an uninformed i asks "
        "choices[i]; push-pull: both.",
    ),
)


def _gossip_hint(informed: set[str], choices: dict[str, str], mode: str, got: Any) -> str | None:
    if not isinstance(got, (set, frozenset)):
        return f"Return a set (or frozenset) of node names, not {type(got).__name__}."
    right = _gossip_reference(informed, choices, mode)
    if not set(informed) <= set(got):
        return "Nodes never forget the rumour: every node informed before the round still is."
    push = _gossip_reference(informed, choices, "push")
    pull = _gossip_reference(informed, choices, "pull")
    if got == push and right != push:
        if mode == "pull":
            return (
                "That is push. In pull, the uninformed node asks: an uninformed i becomes "
                "informed if choices[i] is informed."
            )
        return "push-pull does both: the informed push AND the uninformed pull."
    if got == pull and right != pull:
        if mode == "push":
            return (
                "That is pull. In push, the informed node tells: an informed i informs choices[i]."
            )
        return "push-pull does both: the informed push AND the uninformed pull."
    if set(got) > set(right):
        return (
            "Your round informs too many: decide every contact from who was informed at the "
            "START of the round. A node informed during the round starts spreading only in the "
            "next one (keep the old set, build a new one)."
        )
    return None


def _gossip_diagnose(m: Mismatch) -> str | None:
    informed, choices, mode = m.example.args
    if m.problem == "mutated":
        return "Do not change the caller's set: build a new set and return it."
    if m.problem == "raised":
        return None
    return _gossip_hint(informed, choices, mode, m.got)


@st.composite
def _gossip_case(draw: Any) -> tuple[set[str], dict[str, str], str]:
    n = draw(st.integers(2, 7))
    names = [chr(ord("a") + i) for i in range(n)]
    informed = set(draw(st.lists(st.sampled_from(names), min_size=1, max_size=n)))
    choices = {x: draw(st.sampled_from([y for y in names if y != x])) for x in names}
    mode = draw(st.sampled_from(["push", "pull", "push-pull"]))
    return informed, choices, mode


def _check_gossip(answer: Any, case: tuple[set[str], dict[str, str], str]) -> Failure | None:
    informed, choices, mode = case
    got = call_answer(answer, set(informed), dict(choices), mode)
    right = _gossip_reference(informed, choices, mode)
    if isinstance(got, (set, frozenset)) and set(got) == set(right):
        return None
    shown = sorted(got) if isinstance(got, (set, frozenset)) else got
    return Failure(
        f"{_gossip_text(case)} returned {shown!r}; expected {sorted(right)!r}",
        _gossip_hint(informed, choices, mode, got),
    )


GOSSIP_STATEMENT = """\
Write gossip_round(informed, choices, mode): the set of informed nodes after one
synchronous round of gossip.

- informed: the set of nodes that know the rumour at the start of the round;
- choices: a dict; choices[i] is the peer node i contacts this round (every node contacts
  one peer);
- mode: "push", "pull" or "push-pull":
    push:      an informed i tells choices[i];
    pull:      an uninformed i asks choices[i], and learns the rumour if choices[i] knows it;
    push-pull: both.
- Every contact is decided by who was informed at the START of the round: a node that
  learns the rumour in this round does not pass it on until the next one.
- Return a new set (do not change `informed`); nodes never forget.

Example: informed={"a"}, choices={"a": "b", "b": "c", "c": "a", "d": "a"}:
push gives {"a", "b"}; pull gives {"a", "c", "d"}; push-pull gives all four.

The check runs examples, then a hypothesis property on random groups of 2 to 7 nodes."""

GOSSIP_ROUND = add_exercise(
    id="ch05.gossip_round",
    answered_by=("gossip_round",),
    title="One round of gossip",
    statement=GOSSIP_STATEMENT,
    answer=FunctionAnswer("gossip_round", ("informed", "choices", "mode")),
    stages=(
        Examples(
            "examples",
            _gossip_examples,
            call_text=_gossip_text,
            diagnose=_gossip_diagnose,
            mistakes=_GOSSIP_MISTAKES,
            default_hint="Start from a copy of informed; for each (i, peer) in choices, "
            "decide with the OLD set whether i informs peer (push) or learns (pull).",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _gossip_case(),
                    _check_gossip,
                    _gossip_text,
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "Keep the set from the start of the round unchanged while you build the new one.",
        "In push-pull a node may both learn (pull) and be told (push) in the same round.",
    ),
)


# == ch05.circuit_breaker ========================================================================
_THRESHOLD, _COOLDOWN = 3, 10.0


def _breaker_text(args: tuple[Any, ...]) -> str:
    b, event, now, threshold, cooldown = args
    return (
        f"transition(BreakerState({b.mode!r}, {b.failures}, {b.opened_at!r}), {event!r}, "
        f"{now!r}, {threshold}, {cooldown!r})"
    )


def _breaker_examples() -> list[Example]:
    cases = [
        (BreakerState("closed", 0, 0.0), "failure", 1.0),
        (BreakerState("closed", 2, 0.0), "success", 2.0),
        (BreakerState("closed", 2, 0.0), "failure", 3.0),
        (BreakerState("closed", 1, 0.0), "call", 3.0),
        (BreakerState("open", 0, 3.0), "call", 5.0),
        (BreakerState("open", 0, 3.0), "call", 13.0),
        (BreakerState("open", 0, 3.0), "failure", 4.0),
        (BreakerState("half-open", 0, 3.0), "success", 14.0),
        (BreakerState("half-open", 0, 3.0), "failure", 14.0),
        (BreakerState("half-open", 0, 3.0), "call", 14.0),
    ]
    return [
        Example(
            (b, e, t, _THRESHOLD, _COOLDOWN), breaker_transition(b, e, t, _THRESHOLD, _COOLDOWN)
        )
        for b, e, t in cases
    ]


def _breaker_hint(args: tuple[Any, ...], got: Any) -> str | None:
    b, event, now, threshold, cooldown = args
    if not isinstance(got, BreakerState):
        return "Return a BreakerState (dataclasses.replace(breaker, ...) or BreakerState(...))."
    right = breaker_transition(b, event, now, threshold, cooldown)
    if b.mode == "closed" and event == "success" and got.failures == b.failures:
        return (
            "A success resets the count: the breaker counts CONSECUTIVE failures, so that "
            "rare errors spread over time never open it."
        )
    if b.mode == "closed" and event == "failure" and right.mode == "open" and got.mode != "open":
        return (
            f"The {threshold}-th consecutive failure opens the breaker: failures + 1 >= "
            "threshold -> BreakerState('open', 0, now)."
        )
    if right.mode == "open" and got.mode == "open" and got.opened_at != now:
        return "When the breaker opens, remember when: opened_at = now (the cool-down starts)."
    if right.mode == "open" and got.mode == "open" and got.failures != 0:
        return "Reset failures to 0 when the breaker opens (they count again once it closes)."
    if b.mode == "open" and event == "call" and right.mode == "half-open":
        return (
            "Once the cool-down has passed (now - opened_at >= cooldown), the next call is "
            "the trial: the breaker goes half-open."
        )
    if b.mode == "open" and event == "call" and right.mode == "open":
        return (
            "Before the cool-down has passed (now - opened_at < cooldown) an open breaker "
            "stays open: the call is refused without trying."
        )
    if b.mode == "open" and event in ("success", "failure"):
        return (
            "A result arriving while open belongs to a call made before the breaker opened: "
            "it changes nothing."
        )
    if b.mode == "half-open" and event == "failure":
        return (
            "The trial call failed: the dependency is still broken. Open again, with "
            "opened_at = now, to wait another cool-down."
        )
    if b.mode == "half-open" and event == "success":
        return "The trial call succeeded: close the breaker, with failures = 0."
    if b.mode == "half-open" and event == "call":
        return "While the trial call is out, other calls are refused: the state does not change."
    return None


def _breaker_diagnose(m: Mismatch) -> str | None:
    if m.problem == "raised":
        return None
    return _breaker_hint(m.example.args, m.got)


_EVENTS = st.lists(
    st.tuples(st.sampled_from(["call", "success", "failure"]), st.integers(0, 6)),
    min_size=1,
    max_size=25,
)


def _check_breaker(answer: Any, case: list[tuple[str, int]]) -> Failure | None:
    state, mine, now = BreakerState(), BreakerState(), 0.0
    story = []
    for event, gap in case:
        now += float(gap)
        right = breaker_transition(state, event, now, _THRESHOLD, _COOLDOWN)
        got = call_answer(answer, mine, event, now, _THRESHOLD, _COOLDOWN)
        story.append(f"{event} at {now:g}")
        if got != right:
            args = (mine, event, now, _THRESHOLD, _COOLDOWN)
            return Failure(
                f"after the events {', '.join(story)} (threshold 3, cool-down 10): "
                f"{_breaker_text(args)} returned {got!r}; expected {right!r}",
                _breaker_hint(args, got),
                length=len(story),
            )
        state, mine = right, got
    return None


BREAKER_STATEMENT = """\
Write transition(breaker, event, now, threshold, cooldown): the next state of a circuit
breaker (Nygard, Release It!, ch. 5) after `event` at time `now`.

breaker is a BreakerState(mode, failures, opened_at) (from
dslib.architectures.microservices); mode is "closed", "open" or "half-open"; event is
"call" (a call is about to be made), "success" or "failure" (a call's result).

- closed: "success" resets failures to 0; "failure" adds 1, and when failures reaches
  threshold the breaker opens: BreakerState("open", 0, now); "call" changes nothing.
- open: a "call" at now - opened_at >= cooldown is the trial call: the mode becomes
  "half-open" (failures and opened_at unchanged). Anything else changes nothing (a call
  before the cool-down is refused; a late result is ignored).
- half-open: "success" closes it: BreakerState("closed", 0, opened_at); "failure" opens
  it again: BreakerState("open", 0, now); "call" changes nothing (refused while the trial
  is out).

Return a new BreakerState (it is frozen: use dataclasses.replace or the constructor).

The check runs examples of every transition, then a hypothesis property: random sequences
of events, compared step by step with the definition."""

CIRCUIT_BREAKER = add_exercise(
    id="ch05.circuit_breaker",
    answered_by=("breaker_transition",),
    title="A circuit breaker's state machine",
    statement=BREAKER_STATEMENT,
    answer=FunctionAnswer("transition", ("breaker", "event", "now", "threshold", "cooldown")),
    stages=(
        Examples(
            "examples",
            _breaker_examples,
            call_text=_breaker_text,
            diagnose=_breaker_diagnose,
            default_hint="Write one branch per mode, and in each one per event.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "follows the definition on random event sequences",
                    _EVENTS,
                    _check_breaker,
                    lambda c: ", ".join(f"{e} after {g}" for e, g in c),
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "Only consecutive failures count: a success in between starts again from 0.",
        "The cool-down is measured from opened_at, which is set each time it opens.",
    ),
    imports=(
        "from dataclasses import replace\n"
        "from dslib.architectures.microservices import BreakerState"
    ),
)
