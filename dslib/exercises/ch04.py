"""Chapter 4 (failure).

- ``ch04.phi``: the suspicion level phi of the accrual failure detector,
  from the silence so far and the past inter-arrival times of heartbeats;
- ``ch04.swim_override``: whether a SWIM membership update overrides what a member knows;
- ``ch04.first_probe``: the expected periods until a crashed member is first probed;
- ``ch04.om1_decide``: a loyal lieutenant's decision in the Byzantine generals' algorithm
  OM(1) (Lamport, Shostak and Pease 1982, section 3), checked against every lie.

``Approx`` (a float expected up to a relative tolerance) is here too, for the
other chapters' numeric exercises.

Examples
--------
>>> Approx(0.1 + 0.2) == 0.3, Approx(1.0) == 1.1
(True, False)
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import hypothesis.strategies as st

from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
    Properties,
    Property,
    Raises,
    call_answer,
)
from dslib.failure import Update, apply_update, expected_first_probe, phi_from_intervals

__all__ = ["Approx"]


class Approx:
    """A float expected up to a relative tolerance ``rel`` (``inf`` only equals ``inf``).

    Examples
    --------
    >>> Approx(2.0, rel=1e-6) == 2.0000001, Approx(math.inf) == math.inf, Approx(1.0)
    (True, True, 1.0)
    """

    def __init__(self, value: float, rel: float = 1e-9) -> None:
        self.value, self.rel = float(value), rel

    def __eq__(self, other: object) -> bool:
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            return False
        if math.isinf(self.value) or math.isinf(other):
            return self.value == other
        return math.isclose(self.value, other, rel_tol=self.rel, abs_tol=1e-12)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(round(self.value, 6))

    def __repr__(self) -> str:
        return repr(round(self.value, 12))


def _reference(elapsed: float, intervals: list[float], min_std: float) -> float:
    return phi_from_intervals(elapsed, intervals, min_std)


def _phi_examples() -> list[Example]:
    cases = [
        (1.0, [1.0, 1.0, 1.0], 0.1),  # on time: phi = log10(2)
        (1.5, [1.0, 1.0, 1.0], 0.25),  # 2 sigma late
        (2.2, [0.8, 1.0, 1.2], 0.01),  # a spread of intervals: pstdev 0.163
        (0.5, [1.0, 2.0], 0.1),  # early: phi small
        (3.0, [2.0], 0.5),  # one interval: the floor is the deviation
        (2.0, [1.0, 1.0, 1.0], 0.1),  # 10 sigma: far in the tail
    ]
    out = [Example(c, Approx(_reference(*c))) for c in cases]
    out.append(Example((1.0, [], 0.1), Raises(ValueError)))
    return out


def _precision_examples() -> list[Example]:
    cases = [(2.5, [1.0, 1.0], 0.1), (4.0, [1.0, 1.0], 0.1)]  # 15 and 30 sigma late
    return [Example(c, Approx(_reference(*c))) for c in cases]


def _variants(elapsed: float, xs: list[float], min_std: float) -> dict[str, float | None]:
    """What common mistakes compute, to recognise them."""
    mean = statistics.fmean(xs)
    pstd = max(statistics.pstdev(xs), min_std)
    z = (elapsed - mean) / (pstd * math.sqrt(2))
    out: dict[str, float | None] = {}
    p_later = 0.5 * math.erfc(z)
    out["ln"] = -math.log(p_later) if p_later > 0 else None
    cdf = 1 - p_later
    out["cdf"] = -math.log10(cdf) if cdf > 0 else None
    if len(xs) > 1:
        sstd = max(statistics.stdev(xs), min_std)
        p = 0.5 * math.erfc((elapsed - mean) / (sstd * math.sqrt(2)))
        out["sample"] = -math.log10(p) if p > 0 else None
    nofloor = statistics.pstdev(xs)
    if nofloor > 0:
        p = 0.5 * math.erfc((elapsed - mean) / (nofloor * math.sqrt(2)))
        out["nofloor"] = -math.log10(p) if p > 0 else math.inf
    p = 0.5 * math.erfc((elapsed - mean) / pstd)  # forgot sqrt(2)
    out["nosqrt2"] = -math.log10(p) if p > 0 else math.inf
    return out


def _phi_with_std(elapsed: float, xs: list[float], std: float) -> float:
    p = 0.5 * math.erfc((elapsed - statistics.fmean(xs)) / (std * math.sqrt(2)))
    return -math.log10(p) if p > 0 else math.inf


def _same_phi(got: Any, want: float) -> bool:
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return False
    return got == want if math.isinf(want) else math.isclose(got, want, rel_tol=1e-6)


# Cases whose intervals spread more than min_std, so that the spread matters.
_SPREAD_CASES = ((2.2, [0.8, 1.0, 1.2], 0.01), (0.5, [1.0, 2.0], 0.1), (1.3, [0.8, 1.0, 1.2], 0.1))

# Usual mistakes, recognised by behaviour over several calls (one wrong value can be explained
# by more than one mistake: min_std as the spread gives inf where the tail also rounds to 0).
_PHI_MISTAKES = (
    Mistake(
        "min_std as the spread",
        lambda f: all(
            _same_phi(f(e, list(xs), m), _phi_with_std(e, xs, m)) for e, xs, m in _SPREAD_CASES
        ),
        "You used min_std itself as the standard deviation. It is only a floor: the spread "
        "is the intervals' population standard deviation, std = max(statistics.pstdev("
        "intervals), min_std), and min_std matters only when the intervals hardly vary.",
    ),
)


def _hint_for(elapsed: float, xs: list[float], min_std: float, got: Any) -> str | None:
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        return "Return a float: phi = -log10(P_later)."
    right = _reference(elapsed, xs, min_std)
    if math.isinf(got) and not math.isinf(right):
        return (
            "You returned inf where phi is finite: 1 - F(t), computed as one minus a number "
            "very close to 1, rounds to 0 far in the tail. Compute P_later directly with "
            "math.erfc: P_later = 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2)))."
        )
    for name, value in _variants(elapsed, xs, min_std).items():
        if value is None or not math.isclose(got, value, rel_tol=1e-6):
            continue
        if name == "ln":
            return "phi uses the base-10 logarithm: -math.log10(P_later), not math.log."
        if name == "cdf":
            return (
                "phi is -log10 of the probability that the heartbeat comes LATER than now, "
                "P_later = 1 - F(elapsed); you used F(elapsed), the probability that it came "
                "earlier."
            )
        if name == "sample":
            return (
                "Use the population standard deviation (statistics.pstdev: divide by n), "
                "not the sample one (statistics.stdev: divide by n - 1)."
            )
        if name == "nofloor":
            return "Floor the standard deviation: std = max(pstdev(intervals), min_std)."
        if name == "nosqrt2":
            return (
                "The normal CDF is F(t) = (1 + erf((t - mean) / (std * sqrt(2)))) / 2: "
                "divide by std * math.sqrt(2), not by std alone."
            )
    if math.isfinite(got) and math.isclose(got, right, rel_tol=1e-3):
        return (
            f"Close, but not precise: {got!r} instead of {right!r}. Computing 1 - F(t) as one "
            "minus a number close to 1 loses digits (and gives 0 far in the tail). Compute "
            "P_later directly: 0.5 * math.erfc((elapsed - mean) / (std * math.sqrt(2)))."
        )
    return None


def _diagnose(m: Mismatch) -> str | None:
    elapsed, xs, min_std = m.example.args
    if m.problem == "no-raise":
        return "With no intervals there is no estimate: raise ValueError."
    if m.problem == "mutated":
        return "Do not change the caller's list of intervals."
    if m.problem == "raised":
        if not xs:
            return "For an empty list, raise ValueError (not another exception)."
        if isinstance(m.error, ZeroDivisionError):
            return (
                "A ZeroDivisionError: when every interval is the same, the standard "
                "deviation is 0. Floor it: std = max(pstdev(intervals), min_std)."
            )
        if isinstance(m.error, ValueError) and "math domain" in str(m.error):
            return (
                "math.log10(0) is a math domain error: far in the tail P_later underflows. "
                "Compute it with math.erfc, and return math.inf if it is exactly 0."
            )
        if isinstance(m.error, statistics.StatisticsError):
            return (
                "statistics.stdev needs two values; use statistics.pstdev (population), "
                "which works for one."
            )
        return None
    return _hint_for(elapsed, xs, min_std, m.got)


_INTERVALS = st.lists(st.floats(0.5, 2.0, allow_nan=False), min_size=1, max_size=8)


def _value(answer: Any, elapsed: float, xs: list[float], min_std: float) -> Any:
    return call_answer(answer, elapsed, list(xs), min_std)


def _check_reference(answer: Any, case: tuple[float, list[float], float]) -> Failure | None:
    elapsed, xs, min_std = case
    got = _value(answer, elapsed, xs, min_std)
    right = _reference(elapsed, xs, min_std)
    if Approx(right, rel=1e-7) == got:
        return None
    return Failure(
        f"phi({elapsed!r}, {xs!r}, {min_std!r}) returned {got!r}; expected {right!r}",
        _hint_for(elapsed, xs, min_std, got),
    )


def _check_monotone(answer: Any, case: tuple[float, float, list[float]]) -> Failure | None:
    a, b, xs = case
    lo, hi = min(a, b), max(a, b)
    p_lo, p_hi = _value(answer, lo, xs, 0.1), _value(answer, hi, xs, 0.1)
    if p_lo > p_hi + 1e-9:
        return Failure(
            f"phi({lo!r}, xs, 0.1) = {p_lo!r} is greater than phi({hi!r}, xs, 0.1) = {p_hi!r}: "
            "a longer silence can never be less suspicious",
            _hint_for(lo, xs, 0.1, p_lo) or _hint_for(hi, xs, 0.1, p_hi),
        )
    return None


PHI_STATEMENT = """\
Write phi(elapsed, intervals, min_std): the suspicion level of the phi accrual failure
detector (Hayashibara et al. 2004) after a silence of `elapsed` since the last heartbeat.

- intervals is a non-empty list of past inter-arrival times of heartbeats. If it is
  empty, raise ValueError.
- mean = the mean of intervals; std = the POPULATION standard deviation of intervals
  (statistics.pstdev), but at least min_std: std = max(pstdev(intervals), min_std).
- Model the next inter-arrival time as normal(mean, std). The probability that the
  heartbeat arrives later than `elapsed` is
      P_later = 1 - F(elapsed) = 0.5 * erfc((elapsed - mean) / (std * sqrt(2)))
- phi = -log10(P_later); if P_later is exactly 0, return math.inf.

So phi = 1 means: suspect the node now, and the chance that the suspicion is a mistake (the
heartbeat merely late) is 10%; phi = 8, one in 10^8. Do not change the caller's list.

The check runs examples, then checks precision far in the tail (15 and 30 standard
deviations late, where 1 - F(t) computed naively rounds to 0), then two hypothesis
properties: agreement with the definition, and phi never decreases as the silence grows."""

PHI = add_exercise(
    id="ch04.phi",
    answered_by=("phi_value", "phi_from_intervals"),
    title="The phi of an accrual failure detector",
    statement=PHI_STATEMENT,
    answer=FunctionAnswer("phi", ("elapsed", "intervals", "min_std")),
    stages=(
        Examples(
            "examples",
            _phi_examples,
            diagnose=_diagnose,
            mistakes=_PHI_MISTAKES,
            default_hint="Work it by hand: mean, std = max(pstdev, min_std), z = "
            "(elapsed - mean) / (std * sqrt(2)), P_later = erfc(z) / 2, phi = -log10(P_later).",
        ),
        Examples(
            "tail precision",
            _precision_examples,
            diagnose=_diagnose,
            default_hint="Far in the tail, compute P_later with math.erfc, not as 1 - F.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    st.tuples(
                        st.floats(0.0, 4.0, allow_nan=False),
                        _INTERVALS,
                        st.sampled_from([0.01, 0.1, 0.3]),
                    ),
                    _check_reference,
                    max_examples=150,
                ),
                Property(
                    "never decreases with the silence",
                    st.tuples(
                        st.floats(0.0, 3.0, allow_nan=False),
                        st.floats(0.0, 3.0, allow_nan=False),
                        _INTERVALS,
                    ),
                    _check_monotone,
                    lambda c: (
                        f"elapsed={min(c[0], c[1])!r} and {max(c[0], c[1])!r}, "
                        f"intervals={c[2]!r}, min_std=0.1"
                    ),
                    max_examples=100,
                ),
            ],
        ),
    ),
    hints=(
        "math.erfc(x) is 1 - erf(x), computed precisely even when it is tiny.",
        "statistics.fmean and statistics.pstdev do the averaging.",
    ),
    imports="import math\nimport statistics",
)


# == ch04.swim_override ===========================================================================
_STATUSES = ("alive", "suspect", "dead")


def _override_reference(view: tuple[str, int], update: tuple[str, int]) -> bool:
    return apply_update(view, Update("m", update[0], update[1]))


def _ov_call(args: tuple[Any, ...]) -> str:
    return f"overrides({args[0]!r}, {args[1]!r})"


_OV_CASES = [
    (("alive", 3), ("suspect", 3)),
    (("alive", 3), ("suspect", 2)),
    (("suspect", 3), ("alive", 3)),
    (("suspect", 3), ("alive", 4)),
    (("suspect", 3), ("suspect", 4)),
    (("suspect", 3), ("suspect", 3)),
    (("alive", 3), ("alive", 2)),
    (("alive", 3), ("alive", 5)),
    (("dead", 1), ("alive", 5)),
    (("alive", 9), ("dead", 0)),
    (("dead", 2), ("dead", 3)),
]


def _ov_examples() -> list[Example]:
    return [Example(c, _override_reference(*c)) for c in _OV_CASES]


_OV_MISTAKES = (
    Mistake(
        "an old rumour wins",
        lambda f: f(("alive", 3), ("alive", 2)) is True,
        "An update with a lower incarnation is old news: alive at i overrides only an older "
        "alive (below i), never a newer one.",
    ),
    Mistake(
        "refutes at the same incarnation",
        lambda f: f(("suspect", 3), ("alive", 3)) is True,
        "A suspected member refutes by announcing itself alive with a HIGHER incarnation than "
        "the suspicion's: alive at i overrides suspect only below i. Otherwise an old alive "
        "rumour, still circulating, would cancel every new suspicion.",
    ),
    Mistake(
        "dead is not final",
        lambda f: f(("dead", 1), ("alive", 5)) is True,
        "Dead is final in SWIM (§4.2): nothing overrides it. A member declared dead must "
        "rejoin under a new identity.",
    ),
    Mistake(
        "suspect does not override alive at the same incarnation",
        lambda f: f(("alive", 3), ("suspect", 3)) is False,
        "A suspicion at incarnation i overrides alive at i (and below): the member has not "
        "refuted it yet, since a refutation would carry i + 1.",
    ),
)


def _ov_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, bool)):
        return "Return True or False."
    return None


def _check_ov(answer: Any, case: tuple[tuple[str, int], tuple[str, int]]) -> Failure | None:
    view, update = case
    got = call_answer(answer, view, update)
    want = _override_reference(view, update)
    if got is want:
        return None
    return Failure(f"{_ov_call(case)} returned {got!r}; expected {want!r}", None)


_VIEWS = st.tuples(st.sampled_from(_STATUSES), st.integers(0, 3))

OV_STATEMENT = """\
Write overrides(view, update): whether a membership update overrides what a SWIM member
believes about another member.

- view and update are pairs (status, incarnation): status is "alive", "suspect" or
  "dead"; the incarnation is an int that only the member itself increments, to refute a
  suspicion about itself.
- The rules (Das, Gupta and Motivala 2002, section 4.2): dead overrides everything, and
  nothing overrides dead; suspect at incarnation i overrides alive at i or below, and
  suspect below i; alive at i overrides suspect below i and alive below i.
- Return True or False.

The check runs examples, then a hypothesis property over every status and small
incarnations."""

SWIM_OVERRIDE = add_exercise(
    id="ch04.swim_override",
    answered_by=("apply_update",),
    title="SWIM: which rumour wins",
    statement=OV_STATEMENT,
    answer=FunctionAnswer("overrides", ("view", "update")),
    stages=(
        Examples(
            "examples",
            _ov_examples,
            call_text=_ov_call,
            diagnose=_ov_diagnose,
            mistakes=_OV_MISTAKES,
            default_hint="Take the statuses case by case: dead first, then suspect, then alive.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the rules",
                    st.tuples(_VIEWS, _VIEWS),
                    _check_ov,
                    _ov_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "Compare incarnations with < or <= depending on the pair of statuses.",
        "If the view is dead, the answer is always False.",
    ),
)


# == ch04.first_probe ==============================================================================
def _fp_call(args: tuple[Any, ...]) -> str:
    return f"first_probe({args[0]!r}, {args[1]!r})"


_FP_CASES = [(2, 1), (3, 2), (8, 7), (16, 15), (16, 8), (100, 99), (1000, 999), (10, 1)]


def _fp_examples() -> list[Example]:
    out = [Example(c, Approx(expected_first_probe(*c))) for c in _FP_CASES]
    out += [Example((1, 0), Raises(ValueError)), Example((8, 8), Raises(ValueError))]
    return out


def _close(got: Any, want: float) -> bool:
    return (
        isinstance(got, (int, float))
        and not isinstance(got, bool)
        and math.isclose(got, want, rel_tol=1e-9)
    )


_FP_MISTAKES = (
    Mistake(
        "picks among all n",
        lambda f: _close(f(8, 7), 1 / (1 - (1 - 1 / 8) ** 7)),
        "A member never probes itself: each picks one of the OTHER n - 1 members, so the "
        "chance that a given member picks the crashed one is 1/(n - 1), not 1/n.",
    ),
    Mistake(
        "adds the probabilities",
        lambda f: _close(f(8, 7), 1.0) and _close(f(16, 8), 15 / 8),
        "The members' picks are independent, so their chances do not add up (that gives a "
        "certainty of 1 when alive = n - 1). The crashed member escapes a period when every "
        "live member misses it: (1 - 1/(n - 1)) ** alive; p is one minus that.",
    ),
    Mistake(
        "the probability, not the periods",
        lambda f: _close(f(8, 7), 1 - (1 - 1 / 7) ** 7),
        "That is p, the chance of a probe in one period. The number of periods until the first "
        "success of independent trials is geometric, with mean 1/p.",
    ),
    Mistake(
        "the limit for every n",
        lambda f: _close(f(3, 2), math.e / (math.e - 1)) and _close(f(8, 7), math.e / (math.e - 1)),
        "e/(e - 1) is the limit as the group grows (the paper's headline); for a small group "
        "compute the exact geometric mean, 1/p with p = 1 - (1 - 1/(n - 1)) ** alive.",
    ),
)


def _fp_diagnose(m: Mismatch) -> str | None:
    if m.problem == "no-raise":
        return "n must be at least 2 and alive between 1 and n - 1: raise ValueError otherwise."
    return None


def _check_fp(answer: Any, case: tuple[int, int]) -> Failure | None:
    n, alive = case
    got = call_answer(answer, n, alive)
    want = expected_first_probe(n, alive)
    if _close(got, want):
        return None
    return Failure(f"{_fp_call(case)} returned {got!r}; expected {want!r}", None)


@st.composite
def _fp_case(draw: Any) -> tuple[int, int]:
    n = draw(st.integers(2, 200))
    return n, draw(st.integers(1, n - 1))


FP_STATEMENT = """\
Write first_probe(n, alive): the expected number of protocol periods from a member's crash
until some live member first probes it (SWIM, Das et al. 2002, section 3.1).

- The group has n members; one has crashed, and alive of the others (1 <= alive <= n - 1)
  are running.
- Every period, each live member picks one of the other n - 1 members uniformly at random,
  independently, and probes it.
- Count the periods until the first in which the crashed member is picked (the first
  period counts as 1). Return the expected number, as a float.
- If n < 2, or alive is not between 1 and n - 1, raise ValueError.

As the group grows with every other member alive, the answer tends to e/(e - 1), about 1.58
periods, whatever the size: the paper's argument that detection time does not grow with the
group. The check runs examples, then a hypothesis property."""

FIRST_PROBE = add_exercise(
    id="ch04.first_probe",
    answered_by=("expected_first_probe",),
    title="SWIM: how long until someone probes the crashed member",
    statement=FP_STATEMENT,
    answer=FunctionAnswer("first_probe", ("n", "alive")),
    stages=(
        Examples(
            "examples",
            _fp_examples,
            call_text=_fp_call,
            diagnose=_fp_diagnose,
            mistakes=_FP_MISTAKES,
            default_hint="p = 1 - (1 - 1/(n - 1)) ** alive per period; the mean is 1/p.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the geometric mean",
                    _fp_case(),
                    _check_fp,
                    _fp_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "The crashed member escapes a period if every live member picks someone else.",
        "The mean of a geometric distribution with success probability p is 1/p.",
    ),
)


# == ch04.om1_decide ============================================================================
_A, _R = "attack", "retreat"
_OM_CASES = [
    ((_A, [_A, _A]), _A),
    ((_A, [_R, _R]), _R),  # outvoted: the commander lied to me, or the others lie
    ((_A, [_R]), _R),  # a tie: the default, retreat
    ((_R, [_A, _A, _A]), _A),
    ((_A, [_A, _R]), _A),
    ((_R, [_A]), _R),
    ((_A, []), _A),
]


def _om_examples() -> list[Example]:
    return [Example(args, want) for args, want in _OM_CASES]


def _om_call(args: tuple[Any, ...]) -> str:
    return "decide({!r}, {!r})".format(*args)


_OM_MISTAKES = (
    Mistake(
        "obeys the commander",
        lambda f: f(_A, [_R, _R]) == _A and f(_R, [_A, _A, _A]) == _R,
        "You obey the commander's order whatever the others relay: a traitorous commander "
        "can then send attack to some and retreat to others (IC1 broken). Take the majority of "
        "the commander's value and the relayed ones.",
    ),
    Mistake(
        "breaks ties towards attack",
        lambda f: f(_A, [_R]) == _A and f(_R, [_A]) == _A,
        "On a tie every loyal lieutenant must pick the same default, and the paper's is "
        "retreat: majority(...) is attack only with strictly more attacks than retreats.",
    ),
    Mistake(
        "leaves out the commander's value",
        lambda f: f(_A, [_R]) == _R and f(_A, [_A, _R]) == _R,
        "The value you received from the commander counts too: majority over it and every "
        "relayed value.",
    ),
)


def _om_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and m.got not in (_A, _R)):
        return "Return 'attack' or 'retreat'."
    return None


def _om_reference(from_commander: str, relayed: list[str]) -> str:
    values = [from_commander, *relayed]
    return _A if 2 * values.count(_A) > len(values) else _R


def _check_om_values(answer: Any, case: tuple[str, list[str]]) -> Failure | None:
    got = call_answer(answer, case[0], list(case[1]))
    want = _om_reference(*case)
    if got == want:
        return None
    return Failure(f"{_om_call(case)} returned {got!r}; expected {want!r}", None)


def _check_om_generals(answer: Any, n: int) -> Failure | None:
    from dslib.failure.models import check_om1

    outcome = check_om1(n, decide=lambda c, r: call_answer(answer, c, list(r)))
    if outcome.ok:
        return None
    return Failure(f"OM(1) with {n} generals and your decide: {outcome.detail}", None)


OM_STATEMENT = """\
Write decide(from_commander, relayed): a loyal lieutenant's decision in OM(1).

Byzantine generals (Lamport, Shostak and Pease 1982, section 3; chapter 4.4): the commander
sent this lieutenant from_commander ("attack" or "retreat"); every other lieutenant relayed
what the commander sent it, the list relayed (a traitor may have lied, to the commander's
face or in its relay). Return the majority of all these values: from_commander and every
relayed one, with "retreat" when there are as many of each. Do not change relayed.

The check runs examples, then random values against the rule, then OM(1) with your decide
against every traitor and every lie, for 4 to 6 generals (where it must work)."""

OM1_DECIDE = add_exercise(
    id="ch04.om1_decide",
    answered_by=("majority",),
    title="Byzantine generals: a lieutenant decides",
    statement=OM_STATEMENT,
    answer=FunctionAnswer("decide", ("from_commander", "relayed")),
    stages=(
        Examples(
            "examples",
            _om_examples,
            call_text=_om_call,
            diagnose=_om_diagnose,
            mistakes=_OM_MISTAKES,
            default_hint="Count the attacks among all the values; attack only with a strict "
            "majority.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the rule",
                    st.tuples(
                        st.sampled_from([_A, _R]), st.lists(st.sampled_from([_A, _R]), max_size=5)
                    ),
                    _check_om_values,
                    _om_call,
                    max_examples=100,
                )
            ],
        ),
        Properties(
            "generals",
            [
                Property(
                    "OM(1) tolerates one traitor",
                    st.integers(4, 6),
                    _check_om_generals,
                    lambda n: f"n={n}",
                    max_examples=3,
                )
            ],
        ),
    ),
    hints=(
        "All values count the same: the commander's and the relayed ones.",
        "A tie means retreat.",
    ),
)
