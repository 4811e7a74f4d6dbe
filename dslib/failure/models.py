"""System models, failure-detector classes and gray failures (chapter 4.4).

**System models** (Dwork, Lynch and Stockmeyer, "Consensus in the Presence of Partial
Synchrony", JACM 35(2), 1988, section 1) say what timing a protocol may rely on:

- **synchronous**: messages arrive and processes step within known bounds;
- **partially synchronous**: the bounds hold only from an unknown *global stabilisation
  time* (GST) on; before it, anything goes;
- **asynchronous**: no bounds at all: every delay is finite, but none is bounded.

``model_run`` runs a group of heartbeating members under each model: the same network
(latency 0.1 to 1) plus, before GST (partially synchronous) or all along (asynchronous),
process pauses, the asynchronous ones growing without bound.

**Failure-detector classes** (Chandra and Toueg, "Unreliable Failure Detectors for Reliable
Distributed Systems", JACM 43(2), 1996) describe a detector by two properties:
*completeness* (a crashed process is eventually suspected, permanently, by every correct
process: *strong*) and *accuracy* (*strong*: no correct process is ever suspected; *weak*:
some correct process is never suspected; *eventual*: the same from some time on). P is strong
completeness with strong accuracy, ◇P with eventual strong accuracy, S with weak accuracy,
◇S with eventual weak accuracy. ``detector_properties`` measures them on a finished run.
A finite run can refute "eventually" only by showing mistakes up to its end, so each
eventual property is reported with the time of the last mistake.

**Gray failures** (Huang et al., "Gray Failure: The Achilles' Heel of Cloud-Scale Systems",
HotOS 2017, section 2) are failures one observer sees and another does not:
``GrayMember(fail_requests=True)`` heartbeats as usual but fails every request, and a one-way
``Cut`` makes one side suspect the other while the other trusts it.

Examples
--------
>>> sim = model_run("synchronous", seed=1)
>>> props = detector_properties(sim)
>>> props["strong completeness"], props["strong accuracy"]
(True, True)
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.failure import ArrivalWindow, FixedTimeout, Heartbeat, PhiAccrual
from dslib.mutants import (
    Outcome,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)
from dslib.sim.nemesis import Crash, Nemesis, Pause
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "ATTACK",
    "MODELS",
    "MUTANTS",
    "RETREAT",
    "GrayMember",
    "GrayState",
    "GrowingTimeout",
    "Request",
    "Response",
    "check_om1",
    "check_two_generals",
    "class_run",
    "class_table",
    "detector_properties",
    "fd_catch_rate",
    "fd_mutant_table",
    "majority",
    "model_run",
    "observed_class",
    "om1",
    "properties_of",
    "request_outcomes",
    "suspicion_matrix",
    "two_generals_decisions",
    "two_generals_model",
]

MODELS = ("synchronous", "partially synchronous", "asynchronous")
"""The three system models of Dwork, Lynch and Stockmeyer (1988)."""

MUTANTS: dict[str, str] = {
    "never_suspect": "the detector never suspects anyone (no timeout at all)",
    "timeout_below_period": "the timeout is half the heartbeat period: every gap between "
    "two heartbeats looks like a crash",
}
"""The broken detectors of ``GrayMember`` (``mutant=`` name -> what is wrong)."""


@dataclass(frozen=True)
class Request:
    """A client's request number ``seq``.

    >>> Request(3).seq
    3
    """

    seq: int


@dataclass(frozen=True)
class Response:
    """The answer to request ``seq``: ``ok`` or a failure.

    >>> Response(3, False).ok
    False
    """

    seq: int
    ok: bool


@dataclass(frozen=True)
class GrowingTimeout:
    """A timeout that grows by ``step`` each time it wrongly suspected a member.

    Chandra and Toueg's way to an eventually perfect detector when the system is partially
    synchronous (1996, Figure 10): suspect a member after a silence longer than its
    timeout; when a heartbeat later shows the suspicion was wrong, trust the member again
    and lengthen *its* timeout. After GST the delays have some bound nobody knows; each
    mistake adds ``step``, so after at most ``bound / step`` more mistakes the timeout
    exceeds it and the mistakes stop. The price: a crash is detected after the grown
    timeout. The number of past mistakes about a member (``corrections``) is kept by the
    member that uses the detector (``GrayState.corrections``).

    Examples
    --------
    >>> d = GrowingTimeout(1.5, step=0.5)
    >>> d.timeout_after(0), d.timeout_after(3)
    (1.5, 3.0)
    >>> w = ArrivalWindow(10.0)
    >>> d.suspects(w, now=12.0), d.suspects(w, now=12.0, corrections=1)
    (True, False)
    >>> GrowingTimeout(1.5, step=0)
    Traceback (most recent call last):
    ...
    ValueError: GrowingTimeout: initial=1.5 and step=0 must be numbers > 0 (a step of 0 is a fixed timeout)
    """  # noqa: E501

    initial: float
    step: float = 0.5

    def __post_init__(self) -> None:
        if not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and x > 0
            for x in (self.initial, self.step)
        ):
            raise ValueError(
                f"GrowingTimeout: initial={self.initial!r} and step={self.step!r} must be "
                "numbers > 0 (a step of 0 is a fixed timeout)"
            )

    def timeout_after(self, corrections: int) -> float:
        """The timeout after ``corrections`` wrong suspicions of the same member."""
        return float(self.initial) + float(self.step) * corrections

    def level(self, window: ArrivalWindow, now: float) -> float:
        """The silence so far (time since the last heartbeat)."""
        return 0.0 if window.last is None else now - window.last

    def suspects(self, window: ArrivalWindow, now: float, corrections: int = 0) -> bool:
        """Whether the silence is longer than the timeout after ``corrections`` mistakes."""
        return window.last is not None and now - window.last > self.timeout_after(corrections)

    def __str__(self) -> str:
        return f"timeout {self.initial:g} + {self.step:g} per mistake"


ClassDetector = FixedTimeout | PhiAccrual | GrowingTimeout
"""The detectors a ``GrayMember`` can use."""


@dataclass(frozen=True)
class GrayState:
    """A member's arrival windows, who it suspects now, every change, (as a client) the
    outcome of each request it sent: ``(time, server, seq, "ok" | "failed")``, and, with a
    ``GrowingTimeout``, how many times it wrongly suspected each member (``corrections``).

    >>> GrayState().suspected
    frozenset()
    """

    windows: tuple[tuple[str, ArrivalWindow], ...] = ()
    suspected: frozenset[str] = frozenset()
    log: tuple[tuple[float, str, str], ...] = ()
    requests: int = 0
    outcomes: tuple[tuple[float, str, int, str], ...] = ()
    corrections: tuple[tuple[str, int], ...] = ()


class GrayMember(Node[GrayState]):
    """A group member: heartbeats every other member each ``period``, suspects one whose
    silence exceeds ``timeout``, and serves requests (or, with ``fail_requests``, fails them).

    With ``request_to``, it is also a client: it sends that member a request every period.

    Parameters
    ----------
    period : float, default 1.0
    timeout : float, default 3.0
    fail_requests : bool, default False
        A gray failure: heartbeats as usual, every request fails.
    request_to : str or None, default None
    mutant : str or None, default None
        A broken detector from ``MUTANTS``.
    detector : FixedTimeout, PhiAccrual or GrowingTimeout, optional
        The detector to use instead of ``FixedTimeout(timeout)``.

    Raises
    ------
    ValueError
        If ``period`` or ``timeout`` is not positive or ``mutant`` is unknown, or if
        ``detector`` is given with the mutant ``timeout_below_period`` (which sets a timeout).
    TypeError
        If ``detector`` is not one of the three kinds.

    Examples
    --------
    >>> GrayMember(timeout=0)
    Traceback (most recent call last):
    ...
    ValueError: GrayMember: period=1.0 and timeout=0 must be numbers > 0
    """

    def __init__(
        self,
        period: float = 1.0,
        timeout: float = 3.0,
        fail_requests: bool = False,
        request_to: str | None = None,
        mutant: str | None = None,
        detector: ClassDetector | None = None,
    ) -> None:
        if not all(isinstance(x, (int, float)) and x > 0 for x in (period, timeout)):
            raise ValueError(
                f"GrayMember: period={period!r} and timeout={timeout!r} must be numbers > 0"
            )
        self.mutant = check_mutant("GrayMember", mutant, MUTANTS)
        if detector is not None and not isinstance(
            detector, (FixedTimeout, PhiAccrual, GrowingTimeout)
        ):
            raise TypeError(
                f"GrayMember: detector={detector!r}; allowed: FixedTimeout, PhiAccrual, "
                "GrowingTimeout or None"
            )
        if detector is not None and mutant == "timeout_below_period":
            raise ValueError(
                "GrayMember: the mutant timeout_below_period sets the timeout; "
                "give it without a detector"
            )
        self.period = float(period)
        timeout = period / 2 if mutant == "timeout_below_period" else timeout  # mutant
        self.detector: ClassDetector = (
            detector if detector is not None else FixedTimeout(float(timeout))
        )
        self._size = self.detector.window if isinstance(self.detector, PhiAccrual) else 1
        self.fail_requests = fail_requests
        self.request_to = request_to

    def init(self, ctx: Context) -> GrayState:
        ctx.set_timer("beat", ctx.rng.random() * self.period)
        ctx.set_timer("check", self.period / 10)
        if self.request_to is not None:
            ctx.set_timer("request", self.period)
        # phi needs two heartbeats for an estimate; a timeout counts the silence from 0
        start = ArrivalWindow() if isinstance(self.detector, PhiAccrual) else ArrivalWindow(0.0)
        return GrayState(windows=tuple((p, start) for p in ctx.peers))

    def _suspects(self, state: GrayState, target: str, window: ArrivalWindow, now: float) -> bool:
        if isinstance(self.detector, GrowingTimeout):
            return self.detector.suspects(window, now, dict(state.corrections).get(target, 0))
        return self.detector.suspects(window, now)

    def effective_timeout(self, state: GrayState, target: str) -> float:
        """The silence after which this member, in ``state``, would suspect ``target``.

        >>> member = GrayMember(detector=GrowingTimeout(1.5, step=0.5))
        >>> member.effective_timeout(GrayState(corrections=(("p2", 2),)), "p2")
        2.5
        """
        if isinstance(self.detector, FixedTimeout):
            return float(self.detector.timeout)
        if isinstance(self.detector, GrowingTimeout):
            return self.detector.timeout_after(dict(state.corrections).get(target, 0))
        window = dict(state.windows).get(target, ArrivalWindow())
        return self.detector.effective_timeout(window)

    def on_timer(self, ctx: Context, state: GrayState, timer: Any) -> GrayState:
        if timer == "beat":
            ctx.broadcast(Heartbeat(ctx.id, 0))
            ctx.set_timer("beat", self.period)
            return state
        if timer == "request" and self.request_to is not None:
            ctx.send(self.request_to, Request(state.requests))
            ctx.set_timer("request", self.period)
            return replace(state, requests=state.requests + 1)
        ctx.set_timer("check", self.period / 10)
        if self.mutant == "never_suspect":  # mutant: no suspicion, ever
            return state
        new = [
            t
            for t, w in state.windows
            if t not in state.suspected and self._suspects(state, t, w, ctx.now)
        ]
        if not new:
            return state
        now = round(ctx.now, 9)
        return replace(
            state,
            suspected=state.suspected | set(new),
            log=state.log + tuple((now, t, "suspect") for t in new),
        )

    def on_message(self, ctx: Context, state: GrayState, src: str, msg: Any) -> GrayState:
        if isinstance(msg, Request):
            ctx.send(src, Response(msg.seq, not self.fail_requests))
            return state
        if isinstance(msg, Response):
            outcome = (round(ctx.now, 9), src, msg.seq, "ok" if msg.ok else "failed")
            return replace(state, outcomes=(*state.outcomes, outcome))
        if not isinstance(msg, Heartbeat):
            return state
        windows = tuple((t, self._arrived(w, ctx.now) if t == src else w) for t, w in state.windows)
        if src in state.suspected:
            log = (*state.log, (round(ctx.now, 9), src, "trust"))
            state = replace(state, windows=windows, suspected=state.suspected - {src}, log=log)
            if isinstance(self.detector, GrowingTimeout):  # a mistake: lengthen src's timeout
                counts = dict(state.corrections)
                counts[src] = counts.get(src, 0) + 1
                state = replace(state, corrections=tuple(sorted(counts.items())))
            return state
        return replace(state, windows=windows)

    def _arrived(self, window: ArrivalWindow, now: float) -> ArrivalWindow:
        """The window after a heartbeat at ``now``: phi keeps intervals, a timeout the last."""
        if isinstance(self.detector, PhiAccrual):
            return window.add(now, self._size)
        return ArrivalWindow(now)


def _pauses(model: str, nodes: list[str], duration: float, gst: float, seed: int) -> list[Any]:
    """Pauses drawn from the seed: none (synchronous), before GST only (partially synchronous),
    or all along, each longer than the one before (asynchronous)."""
    if model == "synchronous":
        return []
    draw = random.Random(f"{seed}:pauses")
    out: list[Any] = []
    t, k = draw.uniform(5.0, 15.0), 0
    end = gst if model == "partially synchronous" else duration
    while t < end:
        length = draw.uniform(3.0, 6.0) + (k if model == "asynchronous" else 0.0)
        if model == "partially synchronous":
            length = min(length, gst - t)
        out.append((round(t, 3), Pause(draw.choice(nodes), round(length, 3))))
        t += length + draw.uniform(5.0, 15.0)
        k += 1
    return out


def model_run(
    model: str,
    nodes: int = 4,
    duration: float = 200.0,
    gst: float = 100.0,
    crash: float | None = 50.0,
    seed: int = 0,
    timeout: float = 3.0,
    mutant: str | None = None,
    detector: ClassDetector | None = None,
) -> Simulation:
    """``nodes`` members ``p1``... heartbeating each other every 1, under a system model.

    Latency is ``uniform(0.1, 1.0)`` in every model; the models differ in process pauses
    (``_pauses``). The last member crashes at ``crash`` (``None``: nobody crashes). Each
    member suspects with ``FixedTimeout(timeout)``, or with ``detector`` when given.

    Raises
    ------
    ValueError
        If ``model`` is unknown or ``nodes`` is not an int >= 2.

    Examples
    --------
    >>> model_run("eventually synchronous")
    Traceback (most recent call last):
    ...
    ValueError: model_run: unknown model 'eventually synchronous'; allowed: ('synchronous', 'partially synchronous', 'asynchronous')
    """  # noqa: E501
    if model not in MODELS:
        raise ValueError(f"model_run: unknown model {model!r}; allowed: {MODELS}")
    if not (isinstance(nodes, int) and not isinstance(nodes, bool) and nodes >= 2):
        raise ValueError(f"model_run: nodes={nodes!r} must be an int >= 2")
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    system = System({i: GrayMember(timeout=timeout, mutant=mutant, detector=detector) for i in ids})
    schedule = _pauses(model, ids[:-1] if crash is not None else ids, duration, gst, seed)
    if crash is not None:
        schedule.append((crash, Crash(ids[-1])))
    sim = Simulation(
        system,
        seed=seed,
        network=Network(latency=uniform(0.1, 1.0)),
        nemesis=Nemesis(sorted(schedule, key=lambda entry: entry[0])),
    )
    return sim.run(until=duration)


def detector_properties(sim: Simulation) -> dict[str, Any]:
    """Chandra and Toueg's properties, measured on a finished run of ``GrayMember`` nodes.

    The crashed members are those the trace shows crashing; the others are correct.

    Returns
    -------
    dict
        ``"strong completeness"``: every correct member suspects every crashed one at the
        end of the run (it suspected it and never trusted it again);
        ``"strong accuracy"``: no correct member was ever suspected;
        ``"weak accuracy"``: some correct member was never suspected;
        ``"last mistake"``: when the last suspicion of a correct member ended (``None``:
        none), from which on accuracy held until the end, so eventual accuracy is only
        ever *observed*, never proved, by a finite run;
        ``"mistakes"``: how many suspicions of correct members there were.

    Examples
    --------
    >>> props = detector_properties(model_run("asynchronous", seed=1))
    >>> props["strong accuracy"], props["mistakes"] > 0
    (False, True)
    """
    crashed = {e.node for e in sim.trace if e.kind == "crash" and e.node is not None}
    states = {n: s for n, s in sim.states.items() if isinstance(s, GrayState)}
    return properties_of({n: s.log for n, s in states.items()}, crashed, sim.now)


def properties_of(
    logs: dict[str, tuple[tuple[float, str, str], ...]], crashed: Iterable[str], end: float
) -> dict[str, Any]:
    """``detector_properties`` from each member's suspicion log (``(time, target,
    "suspect" | "trust")``), the crashed members, and the end of the run.

    Examples
    --------
    >>> logs = {"p1": ((5.0, "p2", "suspect"), (6.0, "p2", "trust")), "p2": ()}
    >>> properties_of(logs, [], 10.0)["last mistake"]
    6.0
    """
    crashed = set(crashed)
    correct = sorted(n for n in logs if n not in crashed)
    suspected_at_end: dict[str, set[str]] = {}
    suspected_ever: set[str] = set()
    mistakes = 0
    last: float | None = None
    for n in correct:
        now_suspected: set[str] = set()
        for time, target, what in logs[n]:
            if what == "suspect":
                now_suspected.add(target)
                if target not in crashed:
                    suspected_ever.add(target)
                    mistakes += 1
            else:
                now_suspected.discard(target)
                if target not in crashed:
                    last = max(last or 0.0, time)
        suspected_at_end[n] = now_suspected
        if now_suspected - crashed:  # still wrongly suspected at the end
            last = end
    return {
        "strong completeness": all(crashed <= suspected_at_end[n] for n in correct),
        "strong accuracy": not suspected_ever,
        "weak accuracy": any(n not in suspected_ever for n in correct),
        "last mistake": last,
        "mistakes": mistakes,
    }


def observed_class(
    logs: dict[str, tuple[tuple[float, str, str], ...]],
    crashed: Iterable[str],
    end: float,
    since: float,
) -> str:
    """The Chandra-Toueg classes a finished run is consistent with, judging "eventually" by
    the stretch from ``since`` to ``end``.

    The logs are as in ``properties_of``. Strong completeness is required for every class
    (``"none"`` without it). Then: **P**, no correct member was ever suspected; **S**, some
    correct member was never suspected; **◇P**, no correct member was suspected at any
    instant from ``since`` to ``end``; **◇S**, some correct member was not. The answer
    names the strongest classes the run fits: ``"P"``, ``"◇P and S"``, ``"◇P"``, ``"S"``,
    ``"◇S"``, or ``"none"`` (completeness without any accuracy, or no completeness).

    A finite run can refute a class but never prove one: "eventually" is read as "in the
    last stretch of the run", which a longer run may contradict.

    Raises
    ------
    ValueError
        Unless ``since <= end``.

    Examples
    --------
    >>> logs = {"p1": ((5.0, "p2", "suspect"), (6.0, "p2", "trust")), "p2": ()}
    >>> observed_class(logs, [], end=20.0, since=10.0)  # p1 never suspected; p2 not lately
    '◇P and S'
    >>> observed_class(logs, [], end=20.0, since=5.5)  # p2 suspected at 5.5
    'S'
    """
    if not since <= end:
        raise ValueError(f"observed_class: since={since!r} must be <= end={end!r}")
    crashed = set(crashed)
    props = properties_of(logs, crashed, end)
    if not props["strong completeness"]:
        return "none"
    correct = sorted(n for n in logs if n not in crashed)
    ever: set[str] = set()
    lately: set[str] = set()
    for observer in correct:
        began: dict[str, float] = {}
        for time, target, what in logs[observer]:
            if target in crashed:
                continue
            if what == "suspect":
                ever.add(target)
                began.setdefault(target, time)
            elif target in began:
                if time > since:  # suspected during [began, time), which reaches past since
                    lately.add(target)
                del began[target]
        lately.update(began)  # still suspected at the end
    strong, weak = not ever, any(n not in ever for n in correct)
    eventual_strong, eventual_weak = not lately, any(n not in lately for n in correct)
    if strong:
        return "P"
    if eventual_strong:
        return "◇P and S" if weak else "◇P"
    if weak:
        return "S"
    return "◇S" if eventual_weak else "none"


def class_run(
    detector: ClassDetector,
    model: str = "partially synchronous",
    seed: int = 0,
    duration: float = 300.0,
    gst: float = 100.0,
    crash: float = 50.0,
) -> dict[str, Any]:
    """Place ``detector`` among Chandra and Toueg's classes by one run of ``model_run``.

    Four members heartbeat each other with ``detector``; ``p4`` crashes at ``crash``.
    "Eventually" is judged over the second half of the time after GST,
    ``[(gst + duration) / 2, duration]`` (``observed_class``).

    Returns
    -------
    dict
        ``detector``, ``model``, ``seed``; ``strong completeness``; ``detection time``
        (from the crash until the last correct member suspected ``p4`` for good);
        ``mistakes before GST`` and ``mistakes after GST`` (suspicions of correct members
        that began before or after ``gst``); ``last mistake`` (as in ``properties_of``);
        ``timeout at the end`` (the longest silence a correct member would still tolerate
        from another at the end: the grown timeout, or phi's ``effective_timeout``); and
        ``class``, from ``observed_class``.

    Raises
    ------
    ValueError
        Unless ``0 < crash < gst < duration``, or as ``model_run`` does.

    Examples
    --------
    >>> row = class_run(GrowingTimeout(1.5, step=0.5), seed=1)
    >>> row["strong completeness"], row["mistakes after GST"] < row["mistakes before GST"]
    (True, True)
    """
    if not (
        all(isinstance(x, (int, float)) for x in (crash, gst, duration))
        and 0 < crash < gst < duration
    ):
        raise ValueError(
            f"class_run: need 0 < crash < gst < duration; got crash={crash!r}, gst={gst!r}, "
            f"duration={duration!r}"
        )
    sim = model_run(model, duration=duration, gst=gst, crash=crash, seed=seed, detector=detector)
    states = {n: s for n, s in sorted(sim.states.items()) if isinstance(s, GrayState)}
    crashed = {e.node for e in sim.trace if e.kind == "crash" and e.node is not None}
    correct = [n for n in states if n not in crashed]
    logs = {n: s.log for n, s in states.items()}
    props = properties_of(logs, crashed, sim.now)
    wrong = [
        t
        for n in correct
        for t, target, what in logs[n]
        if what == "suspect" and target not in crashed
    ]
    final = []
    for n in correct:
        suspicions = [t for t, target, what in logs[n] if target in crashed and what == "suspect"]
        if suspicions:
            final.append(max(0.0, suspicions[-1] - crash))
    node = sim.system.nodes[correct[0]]
    assert isinstance(node, GrayMember)
    longest = max(node.effective_timeout(states[n], t) for n in correct for t in correct if t != n)
    return {
        "detector": str(detector),
        "model": model,
        "seed": seed,
        "strong completeness": props["strong completeness"],
        "detection time": round(max(final), 2) if props["strong completeness"] else math.nan,
        "mistakes before GST": sum(1 for t in wrong if t < gst),
        "mistakes after GST": sum(1 for t in wrong if t >= gst),
        "last mistake": None if props["last mistake"] is None else round(props["last mistake"], 2),
        "timeout at the end": round(longest, 2),
        "class": observed_class(logs, crashed, sim.now, (gst + duration) / 2),
    }


def class_table(
    detectors: Sequence[ClassDetector],
    model: str = "partially synchronous",
    seeds: Iterable[int] = range(3),
    duration: float = 300.0,
    gst: float = 100.0,
) -> Any:
    """``class_run`` for each detector and seed: one row each, indexed by detector and seed.

    Examples
    --------
    >>> t = class_table([FixedTimeout(3.0)], model="synchronous", seeds=[0], duration=150.0)
    >>> t.loc[("timeout 3", 0), "class"], int(t.loc[("timeout 3", 0), "mistakes after GST"])
    ('P', 0)
    """
    import pandas as pd

    rows = [
        class_run(d, model=model, seed=seed, duration=duration, gst=gst)
        for d in detectors
        for seed in seeds
    ]
    return pd.DataFrame(rows).drop(columns="model").set_index(["detector", "seed"])


def suspicion_matrix(sim: Simulation) -> dict[str, dict[str, bool]]:
    """Who suspects whom at the end of the run: ``matrix[observer][target]``.

    >>> suspicion_matrix(model_run("synchronous", nodes=2, crash=None, duration=10.0))
    {'p1': {'p2': False}, 'p2': {'p1': False}}
    """
    states = {n: s for n, s in sorted(sim.states.items()) if isinstance(s, GrayState)}
    return {n: {t: t in s.suspected for t, _ in s.windows} for n, s in states.items()}


def request_outcomes(sim: Simulation, client: str) -> dict[str, int]:
    """How many of ``client``'s requests succeeded and failed.

    >>> request_outcomes(model_run("synchronous", nodes=2, duration=5.0), "p1")
    {'ok': 0, 'failed': 0}
    """
    state = sim.states.get(client)
    outcomes = state.outcomes if isinstance(state, GrayState) else ()
    return {
        "ok": sum(1 for o in outcomes if o[3] == "ok"),
        "failed": sum(1 for o in outcomes if o[3] == "failed"),
    }


# == the detector's mutants ======================================================================
FD_CHECKS: dict[str, Callable[[Simulation], Outcome]] = {
    "strong completeness": lambda sim: Outcome(
        bool(detector_properties(sim)["strong completeness"])
    ),
    "strong accuracy": lambda sim: Outcome(bool(detector_properties(sim)["strong accuracy"])),
}
"""The checks of a synchronous run: there, a correct detector is a perfect one (class P)."""


def fd_catch_rate(mutant: str | None, check: str, seeds: Iterable[int]) -> tuple[int, int]:
    """``(caught, runs)``: synchronous runs (60 long, a crash at 30) in which ``check`` fails.

    >>> fd_catch_rate("never_suspect", "strong completeness", range(3))
    (3, 3)
    """
    check_name("fd_catch_rate", check, FD_CHECKS)
    caught = runs = 0
    for seed in seeds:
        sim = model_run("synchronous", duration=60.0, crash=30.0, seed=seed, mutant=mutant)
        caught += not FD_CHECKS[check](sim).ok
        runs += 1
    return caught, runs


def fd_mutant_table(seeds: int = 10) -> Any:
    """The mutant table of the detector: in synchronous runs with a crash, the correct
    detector is perfect (P); each mutant breaks one of the two properties.

    Examples
    --------
    >>> print(fd_mutant_table(3)[["mutant", "caught by", "runs caught"]].to_string(index=False))
                  mutant                 caught by runs caught
         correct version none: passes all 2 checks      0 of 3
           never_suspect       strong completeness      3 of 3
    timeout_below_period           strong accuracy      3 of 3
    """
    expected = {
        "never_suspect": ("strong completeness",),
        "timeout_below_period": ("strong accuracy",),
    }
    mutants = dict(sorted(MUTANTS.items()))
    report = seeded_mutant_report(
        fd_catch_rate, mutants, expected, list(FD_CHECKS), seeds, where="fd_mutant_table"
    )
    return seeded_mutant_table(
        report, fd_catch_rate, seeds, where="fd_mutant_table", column="runs caught"
    )


# == Byzantine generals: OM(1) checked exhaustively ================================================
ATTACK, RETREAT = "attack", "retreat"


def majority(values: Iterable[str]) -> str:
    """The majority of ``values``, ``"retreat"`` on a tie (Lamport, Shostak and Pease 1982,
    section 3: the function *majority* with a default).

    >>> majority(["attack", "attack", "retreat"]), majority(["attack", "retreat"])
    ('attack', 'retreat')
    """
    values = list(values)
    attack = sum(1 for v in values if v == ATTACK)
    return ATTACK if attack > len(values) - attack else RETREAT


def om1(
    n: int,
    order: str,
    traitor: int | None,
    lies: dict[tuple[int, int], str],
    relay: bool = True,
    decide: Callable[[str, list[str]], str] | None = None,
) -> dict[int, str]:
    """Algorithm OM(1) (Lamport, Shostak and Pease 1982, section 3) with generals ``0`` (the
    commander) to ``n - 1``, at most one ``traitor``: what each loyal lieutenant decides.

    The commander sends ``order`` to every lieutenant; each lieutenant relays what it received
    to every other one; each decides the majority of the value it received from the commander
    and those relayed to it. A traitor sends ``lies[(sender, receiver)]`` instead of the true
    value (for a traitorous commander, to each lieutenant; for a traitorous lieutenant, to
    each other lieutenant). With ``relay=False`` (a broken version) lieutenants obey the
    commander without relaying. ``decide(from_commander, relayed)`` replaces the lieutenant's
    rule, the majority of all the values (for exercise ``ch04.om1_decide``).

    Examples
    --------
    >>> om1(4, "attack", None, {})
    {1: 'attack', 2: 'attack', 3: 'attack'}
    >>> om1(3, "attack", 2, {(2, 1): "retreat"})     # lieutenant 2 lies to 1
    {1: 'retreat'}
    """
    if not (isinstance(n, int) and n >= 2):
        raise ValueError(f"om1: n={n!r} must be an int >= 2 (a commander and a lieutenant)")
    lieutenants = range(1, n)
    received = {i: lies.get((0, i), order) if traitor == 0 else order for i in lieutenants}
    decisions = {}
    for i in lieutenants:
        if i == traitor:
            continue
        if not relay:  # broken version: the commander's word alone
            decisions[i] = received[i]
            continue
        relayed = [
            lies.get((j, i), received[j]) if j == traitor else received[j]
            for j in lieutenants
            if j != i
        ]
        decisions[i] = (
            majority([received[i], *relayed]) if decide is None else decide(received[i], relayed)
        )
    return decisions


def check_om1(
    n: int, relay: bool = True, decide: Callable[[str, list[str]], str] | None = None
) -> Outcome:
    """Check OM(1) with ``n`` generals against every single traitor and every lie.

    Interactive consistency (section 1): **IC1**, all loyal lieutenants decide the same;
    **IC2**, if the commander is loyal, every loyal lieutenant decides its order. Every
    traitor, every order and every assignment of lies (``2 ** (n - 2)`` or ``2 ** (n - 1)``
    per traitor) is tried. ``decide`` is passed to ``om1``.

    Returns
    -------
    Outcome
        ``detail`` names the first counterexample: the traitor, the order and the lies.

    Examples
    --------
    >>> check_om1(4).ok
    True
    >>> check_om1(3).detail
    "commander says attack, traitor 1 lies {(1, 2): 'retreat'}: IC2 broken, decisions {2: 'retreat'}"
    """  # noqa: E501
    if not (isinstance(n, int) and 3 <= n <= 8):
        raise ValueError(f"check_om1: n={n!r} must be an int from 3 to 8")
    for traitor in [None, *range(n)]:
        links = (
            [(0, i) for i in range(1, n)]
            if traitor == 0
            else [(traitor, i) for i in range(1, n) if i != traitor]
            if traitor is not None
            else []
        )
        for order in (ATTACK, RETREAT):
            for choice in itertools.product((ATTACK, RETREAT), repeat=len(links)):
                lies = dict(zip(links, choice, strict=True))
                decisions = om1(n, order, traitor, lies, relay, decide)
                problem = None
                if len(set(decisions.values())) > 1:
                    problem = "IC1 broken"
                elif traitor != 0 and any(d != order for d in decisions.values()):
                    problem = "IC2 broken"
                if problem:
                    who = "nobody" if traitor is None else f"traitor {traitor}"
                    return Outcome(
                        False,
                        n,
                        f"commander says {order}, {who} lies {lies}: {problem}, "
                        f"decisions {decisions}",
                    )
    return Outcome(True)


# == two generals: every small protocol model-checked ==============================================
def two_generals_model(messages: int, a_needs: int, b_needs: int) -> Any:
    """One protocol of the two generals' family, as a ``dslib.check.Model``.

    General ``A`` has an input, attack or retreat. It sends message 1 to ``B``, carrying the
    input; ``B`` answers with message 2, ``A`` with message 3, and so on, up to ``messages``
    messages; any message may be lost, which ends the exchange. Then each decides: ``A``
    attacks when its input is attack and it has received at least ``a_needs`` messages;
    ``B`` attacks when it has learned the input is attack and has received at least
    ``b_needs`` messages (at least one, to learn it). A state is ``(input, delivered, lost)``.

    Examples
    --------
    >>> m = two_generals_model(2, 1, 1)
    >>> sorted(m.actions(("attack", 0, False)))
    [('deliver message 1', ('attack', 1, False)), ('lose message 1', ('attack', 0, True))]
    """
    from dslib.check import Model

    def actions(state: tuple[str, int, bool]) -> Iterable[tuple[str, tuple[str, int, bool]]]:
        order, delivered, lost = state
        if lost or delivered >= messages:
            return
        yield f"deliver message {delivered + 1}", (order, delivered + 1, False)
        yield f"lose message {delivered + 1}", (order, delivered, True)

    return Model(
        init=[(ATTACK, 0, False), (RETREAT, 0, False)],
        actions=actions,
        name=f"two generals: {messages} messages, A needs {a_needs}, B needs {b_needs}",
    )


def two_generals_decisions(
    state: tuple[str, int, bool], a_needs: int, b_needs: int
) -> tuple[str, str]:
    """``(A's decision, B's decision)`` in a final state of ``two_generals_model``.

    >>> two_generals_decisions(("attack", 1, True), 0, 1)
    ('attack', 'attack')
    """
    order, delivered, _ = state
    a_received, b_received = delivered // 2, (delivered + 1) // 2
    a = ATTACK if order == ATTACK and a_received >= a_needs else RETREAT
    b = ATTACK if order == ATTACK and b_received >= max(b_needs, 1) else RETREAT
    return a, b


def check_two_generals(messages: int, a_needs: int, b_needs: int) -> dict[str, Any]:
    """Model-check one protocol: **agreement** in every final state (the exchange is over),
    and **validity**: with input attack and no message lost, both attack.

    Returns
    -------
    dict
        ``"agreement"`` and ``"validity"`` (bool) and ``"counterexample"``: the labels of
        a shortest run that breaks agreement (``None`` if none).

    Examples
    --------
    >>> result = check_two_generals(2, 1, 1)
    >>> result["agreement"], result["validity"], result["counterexample"]
    (False, True, ['deliver message 1', 'lose message 2'])
    """
    from dslib.check import check

    def final(state: tuple[str, int, bool]) -> bool:
        return state[2] or state[1] >= messages

    def agreement(state: tuple[str, int, bool]) -> bool:
        if not final(state):
            return True
        a, b = two_generals_decisions(state, a_needs, b_needs)
        return a == b

    result = check(
        two_generals_model(messages, a_needs, b_needs), invariants={"agreement": agreement}
    )
    valid = two_generals_decisions((ATTACK, messages, False), a_needs, b_needs) == (ATTACK, ATTACK)
    trace = None
    if result.counterexample is not None:
        trace = [str(s.action) for s in result.counterexample.steps if s.action is not None]
    return {"agreement": result.ok, "validity": valid, "counterexample": trace}
