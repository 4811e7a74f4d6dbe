"""Chapter 5 (architectures): six exercises.

- ``ch05.backoff``: the wait before a retry: capped exponential backoff with full jitter;
- ``ch05.gossip_round``: one synchronous round of push, pull or push-pull gossip;
- ``ch05.circuit_breaker``: the state machine of a circuit breaker;
- ``ch05.may_retry``: a client's retry rule: attempts, deadline and retry budget;
- ``ch05.outbox_check``: the outbox's checker: every commit published once, nothing invented;
- ``ch05.can_read``: schema resolution: can a reader schema read what a writer schema wrote?

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
from dslib.architectures.outbox import publication_problems
from dslib.architectures.overload import retry_allowed
from dslib.architectures.p2p import gossip_round as _gossip_reference
from dslib.architectures.schema import Field, Schema, read_problems
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
            f"Failure number {threshold} in a row (the threshold) opens the breaker: "
            "failures + 1 >= threshold -> BreakerState('open', 0, now)."
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


# == ch05.may_retry ==============================================================================
def _may_retry_reference(
    attempt: int, max_attempts: int, time_left: float, requests: int, retries: int, ratio: Any
) -> bool:
    return attempt + 1 < max_attempts and time_left > 0 and retry_allowed(requests, retries, ratio)


_RETRY_CASES = [
    (0, 3, 2.0, 100, 0, 0.1),  # plenty of everything
    (1, 3, 2.0, 100, 0, 0.1),  # the third attempt is allowed
    (2, 3, 2.0, 100, 0, 0.1),  # that was the third: none left
    (0, 1, 2.0, 100, 0, None),  # a single attempt: never retry
    (0, 3, 0.0, 100, 0, 0.1),  # the deadline is reached
    (0, 3, -0.5, 100, 0, None),  # past the deadline
    (0, 3, 2.0, 100, 9, 0.1),  # the 10th retry of 100 requests fits
    (0, 3, 2.0, 100, 10, 0.1),  # the 11th does not
    (0, 3, 2.0, 95, 9, 0.1),  # 10 retries > 9.5: not allowed
    (0, 3, 2.0, 5, 40, None),  # no budget
    (0, 3, 2.0, 5, 0, 0.1),  # a young client: 1 > 0.5
]


def _may_retry_examples() -> list[Example]:
    return [Example(c, _may_retry_reference(*c)) for c in _RETRY_CASES]


_RETRY_MISTAKES = (
    Mistake(
        "one attempt too many",
        lambda f: f(2, 3, 2.0, 100, 0, None) is True and f(0, 1, 2.0, 100, 0, None) is True,
        "attempt counts from 0, so after attempt number `attempt` the request has had "
        "attempt + 1 attempts: another is allowed only if attempt + 1 < max_attempts. Yours "
        "allows one attempt more than max_attempts.",
    ),
    Mistake(
        "ignores the deadline",
        lambda f: f(0, 3, 0.0, 100, 0, None) is True and f(0, 3, -0.5, 100, 0, None) is True,
        "A retry after the deadline is wasted work: nobody waits for its answer. Retry only "
        "while time_left > 0.",
    ),
    Mistake(
        "ignores the budget",
        lambda f: f(0, 3, 2.0, 100, 50, 0.1) is True,
        "The retry budget is the point: with ratio 0.1 a client may have sent at most one "
        "retry per 10 requests. Yours retried with 50 retries for 100 requests.",
    ),
    Mistake(
        "counts the budget before this retry",
        lambda f: f(0, 3, 2.0, 95, 9, 0.1) is True and f(0, 3, 2.0, 100, 10, 0.1) is False,
        "Count the retry you are about to send: allowed if retries + 1 <= ratio * requests. "
        "Yours compares retries < ratio * requests, which lets the 10th retry of 95 requests "
        "through (10 > 9.5).",
    ),
)


def _may_retry_diagnose(m: Mismatch) -> str | None:
    if m.problem == "raised" and m.example.args[5] is None:
        return "ratio=None means no budget: every retry is allowed by the budget."
    if m.problem != "raised" and not isinstance(m.got, bool):
        return f"Return True or False, not {type(m.got).__name__}."
    return None


def _check_may_retry(answer: Any, case: tuple[Any, ...]) -> Failure | None:
    got = call_answer(answer, *case)
    right = _may_retry_reference(*case)
    if got is right:
        return None
    return Failure(f"may_retry{case!r} returned {got!r}; expected {right!r}", None)


MAY_RETRY_STATEMENT = """\
Write may_retry(attempt, max_attempts, time_left, requests, retries, ratio): may a client
retry a request whose attempt number `attempt` (0 for the first) has just failed?

Retries multiply the load exactly when a server is overloaded (Site Reliability
Engineering, ch. 21 "Handling Overload", section "Deciding to Retry"), so three limits:

- attempts: the request may have at most max_attempts attempts in all;
- the deadline: time_left is the time until the request's deadline when the retry would
  be sent; a retry with no time left is wasted (nobody waits for its answer);
- the retry budget: the client has sent `requests` requests and `retries` retries so far;
  the retry is allowed only if, counting it, retries stay at most ratio times the
  requests. ratio=None means no budget.

Return True or False. (Section 5.6 measures what each limit buys under overload.)"""

MAY_RETRY = add_exercise(
    id="ch05.may_retry",
    answered_by=("retry_allowed", "may_retry"),
    title="A retry rule with a retry budget",
    statement=MAY_RETRY_STATEMENT,
    answer=FunctionAnswer(
        "may_retry", ("attempt", "max_attempts", "time_left", "requests", "retries", "ratio")
    ),
    stages=(
        Examples(
            "examples",
            _may_retry_examples,
            diagnose=_may_retry_diagnose,
            mistakes=_RETRY_MISTAKES,
            default_hint="Three conditions, all needed: an attempt left, time, and the budget.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(
                        st.integers(0, 5),
                        st.integers(1, 5),
                        st.sampled_from([-1.0, 0.0, 0.5, 3.0]),
                        st.integers(0, 200),
                        st.integers(0, 40),
                        st.sampled_from([None, 0.0, 0.1, 0.25, 1.0]),
                    ),
                    _check_may_retry,
                    lambda c: f"may_retry{c!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "attempt counts from 0: after attempt k the request has had k + 1 attempts.",
        "Count the retry you are about to send in the budget.",
    ),
)


# == ch05.outbox_check ===========================================================================
_OUTBOX_CASES: list[tuple[list[int], list[int]]] = [
    ([1, 2, 3], [1, 2, 3]),
    ([1, 2, 3], [3, 1, 2]),  # order does not matter
    ([1, 2, 3], [1, 3]),  # lost
    ([1, 2], [1, 2, 2]),  # duplicated
    ([1, 2], [1, 2, 2, 2]),  # duplicated, listed once
    ([1], [1, 7]),  # invented
    ([1], [1, 7, 7]),  # invented, published twice: listed once, as invented
    ([4, 2, 9], [9, 9, 5, 4]),  # all three
    ([], []),
]


def _outbox_examples() -> list[Example]:
    return [Example((c, p), publication_problems(c, p)) for c, p in _OUTBOX_CASES]


def _as_list(got: Any) -> Any:
    return list(got) if isinstance(got, (list, tuple)) else got


_OUTBOX_MISTAKES = (
    Mistake(
        "compares sets",
        lambda f: _as_list(f([1, 2], [1, 2, 2])) == [] and _as_list(f([1], [2])) != [],
        "An event published twice is a problem (a consumer would apply the change twice), and "
        "comparing sets cannot see it: count how often each event was published "
        "(collections.Counter).",
    ),
    Mistake(
        "one entry per extra copy",
        lambda f: _as_list(f([1], [1, 1, 1])) == [("duplicated", 1), ("duplicated", 1)],
        "List each duplicated event once, however many copies there are: "
        "('duplicated', e) once per event.",
    ),
    Mistake(
        "forgets invented events",
        lambda f: _as_list(f([1], [1, 7])) == [],
        "An event whose change never committed is a problem too: it tells the world of an "
        "order that does not exist. Report ('invented', e) for every published e not "
        "committed.",
    ),
    Mistake(
        "an invented event also duplicated",
        lambda f: ("duplicated", 7) in _as_list(f([1], [1, 7, 7])),
        "An invented event published twice is one problem, ('invented', e): 'duplicated' "
        "is for a committed change published more than once.",
    ),
    Mistake(
        "not sorted",
        lambda f: (
            isinstance(f([4, 2, 9], [9, 9, 5, 4]), list)
            and sorted(f([4, 2, 9], [9, 9, 5, 4])) == publication_problems([4, 2, 9], [9, 9, 5, 4])
            and f([4, 2, 9], [9, 9, 5, 4]) != publication_problems([4, 2, 9], [9, 9, 5, 4])
        ),
        "The problems are right but not in order: return sorted(problems), so that the same "
        "run always prints the same list.",
    ),
)


def _outbox_diagnose(m: Mismatch) -> str | None:
    if m.problem != "raised" and not isinstance(m.got, list):
        return f"Return a list of (kind, event) pairs, not {type(m.got).__name__}."
    return None


_EVENT_IDS = st.lists(st.integers(1, 6), max_size=8)


def _check_outbox(answer: Any, case: tuple[list[int], list[int]]) -> Failure | None:
    committed, published = case
    committed = sorted(set(committed))
    got = call_answer(answer, list(committed), list(published))
    right = publication_problems(committed, published)
    if got == right:
        return None
    return Failure(
        f"outbox_problems({committed!r}, {published!r}) returned {got!r}; expected {right!r}",
        None,
        length=len(committed) + len(published),
    )


OUTBOX_STATEMENT = """\
Write outbox_problems(committed, published): the checker of section 5.6's outbox.
committed lists the changes a database committed (each once), published the event ids a
broker holds, in the order published (an event's id is its change's id).

Return the problems, sorted, as a list of (kind, event) pairs:
- ("lost", e): e was committed but never published;
- ("duplicated", e): e was committed and published more than once (listed once);
- ("invented", e): e was published but never committed (listed once, however often).

An empty list means: every committed change was published exactly once, and no event
exists without its commit.

The check runs examples, then a hypothesis property against the definition on random
small lists."""

OUTBOX_CHECK = add_exercise(
    id="ch05.outbox_check",
    answered_by=("publication_problems",),
    title="The outbox's checker: exactly once, nothing invented",
    statement=OUTBOX_STATEMENT,
    answer=FunctionAnswer("outbox_problems", ("committed", "published")),
    stages=(
        Examples(
            "examples",
            _outbox_examples,
            diagnose=_outbox_diagnose,
            mistakes=_OUTBOX_MISTAKES,
            default_hint="Count each event's copies; compare with the set of commits.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(_EVENT_IDS, _EVENT_IDS),
                    _check_outbox,
                    lambda c: f"committed={sorted(set(c[0]))!r}, published={c[1]!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "collections.Counter(published) says how often each event was published.",
        "Three kinds of problem: lost, duplicated, invented.",
    ),
)


# == ch05.can_read ===============================================================================
def _schema(version: int, *fields: tuple[str, str] | tuple[str, str, Any]) -> Schema:
    return Schema("order", version, tuple(Field(*f) for f in fields))


_ITEM, _QTY = ("item", "str"), ("qty", "int")
_NOTE = ("note", "str", "")
_CAN_READ_CASES = [
    (_schema(2, _ITEM, _QTY), _schema(1, _ITEM, _QTY)),  # same fields
    (_schema(2, _ITEM, _QTY, _NOTE), _schema(1, _ITEM, _QTY)),  # reader adds a default
    (_schema(2, _ITEM, _QTY, ("gift", "bool")), _schema(1, _ITEM, _QTY)),  # no default
    (_schema(2, _ITEM), _schema(1, _ITEM, _QTY)),  # the writer's extra field is ignored
    (_schema(2, _ITEM, ("qty", "float")), _schema(1, _ITEM, _QTY)),  # int read as float
    (_schema(2, _ITEM, _QTY), _schema(1, _ITEM, ("qty", "float"))),  # float is no int
    (_schema(2, _ITEM, ("qty", "str")), _schema(1, _ITEM, _QTY)),  # int is no str
    (_schema(2, ("qty", "int", 0)), _schema(1, _ITEM)),  # a default covers a missing field
    (_schema(2), _schema(1, _ITEM, _QTY)),
]


def _can_read_reference(reader: Schema, writer: Schema) -> bool:
    return not read_problems(reader, writer)


def _can_read_text(args: tuple[Any, ...]) -> str:
    reader, writer = args

    def fields(s: Schema) -> str:
        return ", ".join(
            f"{f.name}: {f.type}" + (f" = {f.default!r}" if f.default is not None else "")
            for f in s.fields
        )

    return f"can_read(reader=[{fields(reader)}], writer=[{fields(writer)}])"


_R_AB = _schema(2, _QTY, ("note", "str"))
_W_A = _schema(1, _QTY)
_CAN_READ_MISTAKES = (
    Mistake(
        "reader and writer swapped",
        lambda f: f(_R_AB, _W_A) is True and f(_W_A, _R_AB) is False,
        "The first argument reads, the second wrote. A field the READER needs and the writer "
        "lacks is the problem (unless the reader has a default); a field only the writer has "
        "is ignored. Yours judges the other direction.",
    ),
    Mistake(
        "a default does not help",
        lambda f: f(_schema(2, _QTY, _NOTE), _W_A) is False,
        "A reader field the writer lacks takes the reader's default: only a field with no "
        "default (default None) makes the message unreadable.",
    ),
    Mistake(
        "the writer's extra fields break it",
        lambda f: f(_W_A, _schema(1, _QTY, _NOTE)) is False and f(_W_A, _W_A) is True,
        "A field the writer has and the reader lacks is simply skipped: the reader never "
        "asks for it. Only the reader's fields matter.",
    ),
    Mistake(
        "no type check",
        lambda f: f(_schema(2, ("qty", "str")), _W_A) is True,
        "A field in both schemas must have the same type: an int written cannot be read as a str.",
    ),
    Mistake(
        "promotes both ways",
        lambda f: f(_W_A, _schema(1, ("qty", "float"))) is True,
        "An int is read as a float (promotion), but a float cannot be read as an int: it "
        "would lose its fraction. Allow only (writer int, reader float).",
    ),
    Mistake(
        "no promotion",
        lambda f: f(_schema(2, ("qty", "float")), _W_A) is False,
        "An int written may be read as a float (promotion): (writer int, reader float) "
        "is readable.",
    ),
)


def _can_read_diagnose(m: Mismatch) -> str | None:
    if m.problem != "raised" and not isinstance(m.got, bool):
        return f"Return True or False, not {type(m.got).__name__}."
    return None


_TYPES4 = st.sampled_from(["int", "float", "str", "bool"])
_DEFAULT_OF: dict[str, int | float | str | bool] = {
    "int": 0,
    "float": 0.0,
    "str": "",
    "bool": False,
}


@st.composite
def _schemas(draw: st.DrawFn, version: int) -> Schema:
    names = draw(st.lists(st.sampled_from("abc"), unique=True, max_size=3))
    out = []
    for name in names:
        type_ = draw(_TYPES4)
        out.append(Field(name, type_, _DEFAULT_OF[type_] if draw(st.booleans()) else None))
    return Schema("m", version, tuple(out))


def _check_can_read(answer: Any, case: tuple[Schema, Schema]) -> Failure | None:
    reader, writer = case
    got = call_answer(answer, reader, writer)
    right = _can_read_reference(reader, writer)
    if got is right:
        return None
    return Failure(
        f"{_can_read_text(case)} returned {got!r}; expected {right!r}",
        None,
        length=len(reader.fields) + len(writer.fields),
    )


CAN_READ_STATEMENT = """\
Write can_read(reader, writer): can every message written with the schema `writer` be
read with the schema `reader`? Both are Schema values (dslib.architectures.schema) whose
fields are Field(name, type, default); type is "int", "float", "str" or "bool"; default
None means the field has no default.

The rules are Avro's schema resolution (Avro specification, "Schema Resolution"):
- the reader's fields are matched with the writer's by name;
- a field only the writer has is ignored;
- a field only the reader has takes the reader's default; with no default, the message
  cannot be read;
- a field in both must have the same type, except that an int written may be read as a
  float (promotion); nothing else is promoted.

Return True or False. A change from old to new is backward compatible when
can_read(new, old), forward compatible when can_read(old, new) (section 5.7)."""

CAN_READ = add_exercise(
    id="ch05.can_read",
    answered_by=("read_problems",),
    title="Schema resolution: can this reader read that writer?",
    statement=CAN_READ_STATEMENT,
    answer=FunctionAnswer("can_read", ("reader", "writer")),
    stages=(
        Examples(
            "examples",
            [Example(c, _can_read_reference(*c)) for c in _CAN_READ_CASES],
            call_text=_can_read_text,
            diagnose=_can_read_diagnose,
            mistakes=_CAN_READ_MISTAKES,
            default_hint="Loop over the reader's fields; look each up in the writer.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(_schemas(2), _schemas(1)),
                    _check_can_read,
                    _can_read_text,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "Only the reader's fields matter; the writer's other fields are skipped.",
        "Promotion goes one way: int to float.",
    ),
    imports="from dslib.architectures.schema import Field, Schema",
)
