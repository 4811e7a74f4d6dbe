"""``find_bug``: let hypothesis look for a failing schedule, and shrink the one it finds.

``find_bug(system_factory, invariants=..., consistency=...)`` runs a system
under faults for up to ``max_examples`` runs chosen by hypothesis. If one
breaks an invariant, makes a handler raise, or records a history that the
consistency check rejects, ``find_bug`` shrinks it and returns the short
failing schedule: a list of steps that replays in the simulator
(``result.replay()``) and draws as a space-time diagram (``result.diagram()``).

How a run is chosen: the same steps, faults and checks as the rule-based
``SystemMachine`` (``dslib.testing.machine``), but hypothesis draws the whole
run at once, as bytes, two per step: the kind of step (drawn by
``DEFAULT_WEIGHTS`` among the kinds possible at that moment) and which
message, timer, node or partition. Drawing bytes is ten times quicker than
drawing rule by rule, and a zero byte is "no step", so hypothesis shrinks a
run by deleting steps and lowering the choices that remain.

A run ends after ``steps`` steps or when the system is idle. Two settings
decide how reliably a bug is found (``benchmarks/bench_find_bug.py``): the
step limit, since a bug that needs a duplicate to arrive *after* another
client's write takes some 17 steps, which random runs of 40 steps rarely
reached; and the budget, since a bug that needs three faults in the right
order shows in few random runs. With 100 steps and 600 examples, the default,
``find_bug`` found every bug of the benchmark in 20 of 20 seeds.

How it is shrunk: hypothesis shrinks the bytes for a budget of runs
(``shrink_budget``), then ``polish`` removes blocks of steps as long as the
run still fails the same way, so that no single step of the result can go.

Runs are reproducible: the same ``seed`` gives the same examples, the same
bug and the same schedule (hypothesis' database is off). The result also
carries what hypothesis itself needs to reproduce its failing example: the
seed and the ``@reproduce_failure`` blob (valid for this version of hypothesis).

Examples
--------
A primary that acknowledges writes before its backup has them: correct as long
as nothing crashes.

>>> from dslib.consistency import Register, check_linearizable
>>> from dslib.small_systems.registers import primary_backup
>>> def linearizable(history):
...     return check_linearizable(history, Register())
>>> def buggy():
...     return primary_backup(mutant="ack-before-replicate")
>>> print(find_bug(buggy, consistency=linearizable, faults=()))
no bug found in 600 examples (seed 0)
>>> result = find_bug(buggy, consistency=linearizable)
>>> result.ok, result.violated, len(result.schedule)
(False, 'consistency', 10)
>>> print(result.steps_table())
 1  c1: invoke the next operation
 2  deliver c1 → primary: Request(client='c1', request_id=1, f='write', key=None, value=1)
 3  deliver primary → c1: Reply(request_id=1, ok=True, value=1)
 4  crash primary
 5  restart primary
 6  deliver primary → backup: Fetch(incarnation=2)
 7  deliver backup → primary: Snapshot(incarnation=2, copy=Copy(version=0, value=None, applied=()))
 8  c1: invoke the next operation
 9  deliver c1 → primary: Request(client='c1', request_id=2, f='read', key=None, value=None)
10  deliver primary → c1: Reply(request_id=2, ok=True, value=None)
>>> sim = result.replay()
>>> linearizable(sim.history).ok
False
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from dslib.core import System, check_seed, stable_repr
from dslib.sim.history import History
from dslib.sim.simulator import Simulation
from dslib.testing.machine import (
    DEFAULT_FAULTS,
    STEP_KINDS,
    CheckError,
    Deliver,
    Duplicate,
    Fire,
    Lose,
    MachineConfig,
    Step,
    Stepper,
    Violation,
    describe_step,
    replay,
    system_machine,
)
from dslib.testing.strategies import SHAPES

__all__ = [
    "DEFAULT_WEIGHTS",
    "POLISH_BLOCK",
    "FindBugResult",
    "find_bug",
    "find_bug_check",
    "polish",
]

_BLOB = re.compile(r"@reproduce_failure\([^)]*\)")


class _Abort(BaseException):
    """Carries a ``CheckError`` out of hypothesis, which stops at once on a ``BaseException``
    (an ``Exception`` it would take for a failure, and shrink)."""

    def __init__(self, error: CheckError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(frozen=True)
class _Run:
    steps: tuple[Step, ...]
    workload: Any
    failure: BaseException | None


@dataclass(frozen=True)
class FindBugResult:
    """What ``find_bug`` found: nothing, or a shrunk failing schedule.

    Attributes
    ----------
    ok : bool
        No bug found.
    examples : int
        How many runs it took to find the bug (all runs when none was found).
    runs : int
        How many runs in all, shrinking included.
    schedule : tuple of Step
        The shrunk failing schedule (empty when ``ok``).
    violated : str or None
        What failed: an invariant's name, ``"consistency"``, or ``"error"``
        (a handler or the system raised).
    detail : str
        What the failing check said.
    seed : int
        Hypothesis' seed: ``find_bug(..., seed=seed)`` finds the same bug again.
    reproduce_failure : str or None
        The ``@reproduce_failure(...)`` decorator that replays the failing
        example in hypothesis (for this hypothesis version), if it printed one.
    workload : any
        The workload drawn for the failing run (with ``workloads``).
    """

    ok: bool
    examples: int
    runs: int
    schedule: tuple[Step, ...] = ()
    violated: str | None = None
    detail: str = ""
    seed: int = 0
    reproduce_failure: str | None = None
    workload: Any = None
    system_factory: Callable[..., System] | None = field(default=None, repr=False)
    timers: str = field(default="timely", repr=False)
    invoke_timers: tuple[Hashable, ...] = field(default=("next",), repr=False)
    sim_seed: int = field(default=0, repr=False)

    @property
    def counterexample_length(self) -> int | None:
        """The number of steps of the shrunk schedule (``None`` when ``ok``)."""
        return None if self.ok else len(self.schedule)

    @property
    def counterexample(self) -> tuple[Step, ...] | None:
        """The shrunk schedule (``None`` when ``ok``)."""
        return None if self.ok else self.schedule

    def system(self) -> System:
        """A fresh system of the failing run."""
        if self.system_factory is None:
            raise ValueError("this result has no system factory to build the system from")
        if self.workload is not None:
            return self.system_factory(self.workload)
        return self.system_factory()

    def replay(self) -> Simulation:
        """Replay the schedule in a fresh simulation; returns it (``.trace``, ``.history``)."""
        if self.ok:
            raise ValueError("no bug was found: there is no schedule to replay")
        return replay(
            self.system(),
            self.schedule,
            seed=self.sim_seed,
            timers=self.timers,
            invoke_timers=self.invoke_timers,
        )

    @property
    def history(self) -> History:
        """The history of the failing run (replayed)."""
        return self.replay().history

    def diagram(self, **kwargs: Any) -> Any:
        """The space-time diagram of the failing run (``dslib.viz.space_time_diagram``).

        Keyword arguments go to ``space_time_diagram`` (``title``, ``figsize``, ...).
        """
        from dslib.viz.spacetime import space_time_diagram

        return space_time_diagram(self.replay().trace, **kwargs)

    def steps_table(self) -> str:
        """The schedule, one numbered step per line."""
        width = len(str(len(self.schedule)))
        return "\n".join(
            f"{i:>{width}}  {describe_step(s)}" for i, s in enumerate(self.schedule, start=1)
        )

    def __str__(self) -> str:
        if self.ok:
            return f"no bug found in {self.examples} examples (seed {self.seed})"
        what = "a handler raised" if self.violated == "error" else f"{self.violated} violated"
        lines = [
            f"bug found after {self.examples} examples (seed {self.seed}): {what}",
            f"shrunk schedule ({len(self.schedule)} steps, after {self.runs} runs in all):",
            self.steps_table(),
        ]
        if self.detail:
            lines.append(self.detail)
        return "\n".join(lines)


DEFAULT_WEIGHTS: dict[str, int] = {
    "deliver": 8,
    "settle": 3,
    "invoke": 3,
    "fire": 2,
    "drop": 1,
    "duplicate": 1,
    "crash": 1,
    "restart": 4,
    "partition": 1,
    "heal": 4,
    "skew": 1,
}
"""How often ``find_bug`` takes each kind of step, relative to the others, when it is possible.

Faults are rare and short: a crashed node restarts, and a partition heals,
a few steps later on average. Most steps move the run forward."""


FAULT_STEPS = ("drop", "duplicate", "crash", "partition", "skew")
"""The kinds of step that are faults. When nothing but a fault is possible, the run ends."""


def _decode(raw: bytes) -> list[tuple[int, int]]:
    """A run drawn as bytes: two per step, ``(kind, pick)``; a kind byte 0 is no step."""
    return [(raw[t], raw[t + 1]) for t in range(0, len(raw) - 1, 2)]


def _execute(
    config: MachineConfig,
    weights: Sequence[tuple[str, int]],
    workload: Any,
    raw: bytes,
) -> Stepper:
    """Run one raw run: each step takes a kind by weight among the possible ones.

    The run ends early when the system is idle: no message to deliver, no timer
    to fire, no operation to invoke, no node to restart, no partition to heal.
    (A crash of an idle system can still break an invariant at its restart, but
    that is rare, and stopping keeps a correct system's runs short.)

    Raises what the run raises (a ``Violation``, or a handler's error), with the
    stepper attached as ``stepper`` to the exception.
    """
    stepper = config.stepper(workload)
    try:
        config.check_invariants(stepper)
        for k, i in _decode(raw):
            if k == 0:
                continue  # shrinking turns steps into nothing
            possible = [(kind, w) for kind, w in weights if stepper.possible(kind)]
            if all(kind in FAULT_STEPS for kind, _ in possible):
                break  # idle: only a fault could happen now
            r = k % sum(w for _, w in possible)
            chosen = possible[-1][0]
            for kind, w in possible:
                if r < w:
                    chosen = kind
                    break
                r -= w
            stepper.take(chosen, i)
            config.check_invariants(stepper)
        config.check_history(stepper)
    except Exception as exc:
        exc.stepper = stepper  # type: ignore[attr-defined]
        raise
    return stepper


def _kind_of(failure: BaseException) -> str:
    return failure.property if isinstance(failure, Violation) else "error"


POLISH_BLOCK = 8
"""The longest block of consecutive steps ``polish`` tries to remove at once."""


def _attempt(
    config: MachineConfig, workload: Any, steps: Sequence[Step], kind: str
) -> tuple[Step, ...] | None:
    """Replay ``steps``, skipping those not allowed any more; the steps taken if the run
    fails the same way (``kind``), else ``None``."""
    stepper = config.stepper(workload)
    try:
        config.check_invariants(stepper)
        for step in steps:
            taken = step if stepper.allowed(step) else _similar(stepper, step)
            if taken is not None:
                stepper.apply(taken)
                config.check_invariants(stepper)
        config.check_history(stepper)
    except CheckError:
        raise  # the check is broken: not a failure of the system
    except Exception as exc:
        return tuple(stepper.steps) if _kind_of(exc) == kind else None
    return None


def _similar(stepper: Stepper, step: Step) -> Step | None:
    """A step like ``step`` that is allowed now: the same kind of message on the same link,
    or the same timer of the same node (a message's contents change when an earlier step
    is removed: a restart count, a request id)."""
    if isinstance(step, (Deliver, Lose, Duplicate)):
        for option in stepper.options(step.kind):
            if (option.src, option.dst) == (step.src, step.dst) and type(option.msg) is type(
                step.msg
            ):
                return option
    elif isinstance(step, Fire):
        name = step.timer[0] if isinstance(step.timer, tuple) and step.timer else step.timer
        for option in stepper.options("fire"):
            timer = option.timer
            if option.node == step.node and (
                timer == name or (isinstance(timer, tuple) and timer and timer[0] == name)
            ):
                return option
    return None


def polish(
    config: MachineConfig, workload: Any, steps: Sequence[Step], kind: str
) -> tuple[Step, ...]:
    """Remove steps as long as the run still fails the same way.

    Remove a block of consecutive steps (``POLISH_BLOCK`` long, then one
    shorter, ..., then single steps; at every place, from the end
    backwards), replay, and skip every later step that is
    no longer allowed (removing a crash makes its restart impossible;
    removing a request's delivery removes its reply) or take a similar one
    (the same kind of message on the same link). Keep the shorter run if it
    still fails. Removing whole operations at the start lets the bug happen
    on an earlier operation. No single step of the result can be removed.

    Parameters
    ----------
    config : MachineConfig
        The faults, timers and checks (``system_machine(...).config``).
    workload : any
        The workload of the run (``None`` without ``workloads``).
    steps : sequence of Step
        A failing schedule.
    kind : str
        How it fails: an invariant's name, ``"consistency"`` or ``"error"``.

    Returns
    -------
    tuple of Step
    """
    current = _attempt(config, workload, steps, kind)
    if current is None:
        return tuple(steps)
    changed = True
    while changed:
        changed = False
        for size in range(min(POLISH_BLOCK, len(current)), 0, -1):
            start = len(current) - size
            while start >= 0:
                candidate = current[:start] + current[start + size :]
                shorter = _attempt(config, workload, candidate, kind)
                if shorter is not None and len(shorter) < len(current):
                    current = shorter
                    changed = True
                start = min(start - 1, len(current) - size)
    return current


def find_bug(
    system_factory: Callable[..., System],
    invariants: Any = (),
    consistency: Callable[[History], Any] | None = None,
    *,
    max_examples: int = 600,
    seed: int = 0,
    steps: int = 100,
    faults: Iterable[str] = DEFAULT_FAULTS,
    timers: str = "timely",
    max_crashed: int = 1,
    crashable: Sequence[str] | None = None,
    shapes: Sequence[str] = SHAPES,
    workloads: st.SearchStrategy[Any] | None = None,
    invoke_timers: Sequence[Hashable] = ("next",),
    weights: Mapping[str, int] | None = None,
    sim_seed: int = 0,
    shrink: bool = True,
    shrink_budget: int = 50,
) -> FindBugResult:
    """Search for a schedule of steps and faults that breaks a property; shrink it.

    Each example is one run of the system, as in ``SystemMachine`` (the same
    steps, faults and checks), drawn by hypothesis as a list of numbers: per
    step, which kind of step (by ``weights``, among the kinds possible then)
    and which message, timer, node or partition. Hypothesis generates such
    lists quickly and shrinks them well: the shrunk list is a short run.

    Parameters
    ----------
    system_factory : callable
        Returns a fresh ``System`` (with ``workloads``: takes the drawn workload).
    invariants : function, sequence or mapping of functions
        Checked on ``sim.states`` after every step (see ``system_machine``).
    consistency : callable, optional
        Checked on the run's ``History`` at the end: returns a bool or an
        object with a boolean ``ok``.
    max_examples : int, default 600
        How many runs to try before saying that no bug was found.
    seed : int, default 0
        Hypothesis' seed: the same seed, the same runs, the same result, on
        every call (hypothesis' example database is off). For fresh randomness,
        pass a new seed each time, e.g. ``seed=random.randrange(2**32)``, and
        keep it: ``result.seed`` finds the same bug again.
    steps : int, default 100
        The most steps in one run (a ``settle`` counts as one). A run also ends
        when the system is idle (nothing but a fault could happen), so a
        correct system's runs stop when its clients are done.
    faults, timers, max_crashed, crashable, shapes, workloads, invoke_timers
        As for ``system_machine``.
    weights : mapping of str to int, optional
        How often to take each kind of step (``DEFAULT_WEIGHTS`` for the kinds
        not given; 0 never).
    sim_seed : int, default 0
        The simulation's seed (``ctx.rng``).
    shrink : bool, default True
        Shrink the failing run. Without shrinking the schedule is the first
        failing run as hypothesis generated it: long, but found sooner.
    shrink_budget : int, default 50
        How many runs hypothesis may spend shrinking. Then ``find_bug``
        removes, one by one, the steps whose removal keeps the run allowed and
        failing the same way (``polish``), so the schedule is 1-minimal.

    Returns
    -------
    FindBugResult
        ``str(result)`` says "no bug found in N examples", or shows the shrunk
        schedule; ``result.replay()`` and ``result.diagram()`` show the run.

    Raises
    ------
    ValueError, TypeError
        If an argument is not allowed (see ``system_machine``).
    CheckError
        If an invariant or ``consistency`` is broken: it cannot take one
        argument, raises, or returns neither a bool nor an object with a
        boolean ``ok``. That is an error in the check, not a bug in the system.
    hypothesis.errors.FlakyFailure
        If the failure does not happen again when the same run is replayed:
        the system is not deterministic (it reads a wall clock or a global random).
    """
    if not (isinstance(max_examples, int) and not isinstance(max_examples, bool)):
        raise TypeError(f"find_bug: max_examples={max_examples!r} must be an int")
    if max_examples < 1:
        raise ValueError(f"find_bug: max_examples={max_examples} must be >= 1")
    if not (isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1):
        raise ValueError(f"find_bug: steps={steps!r} must be an int >= 1")
    check_seed(seed, "find_bug")
    if not (isinstance(shrink_budget, int) and shrink_budget >= 0):
        raise ValueError(f"find_bug: shrink_budget={shrink_budget!r} must be an int >= 0")
    table = dict(DEFAULT_WEIGHTS)
    for kind, w in (weights or {}).items():
        if kind not in table:
            raise ValueError(f"find_bug: weights has kind {kind!r}; kinds are {list(table)}")
        if not (isinstance(w, int) and not isinstance(w, bool) and w >= 0):
            raise ValueError(f"find_bug: weight {w!r} of {kind!r} must be an int >= 0")
        table[kind] = w
    order = [(kind, table[kind]) for kind in STEP_KINDS if table[kind] > 0]
    if not order:
        raise ValueError("find_bug: every weight is 0; nothing could happen")
    config = system_machine(
        system_factory,
        invariants,
        consistency,
        faults=faults,
        timers=timers,
        max_crashed=max_crashed,
        crashable=crashable,
        shapes=shapes,
        workloads=workloads,
        invoke_timers=invoke_timers,
        seed=sim_seed,
    ).config
    runs: list[_Run] = []
    failed: set[tuple[Any, bytes]] = set()
    budget = {"left": shrink_budget}

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=True,
        phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
        verbosity=Verbosity.quiet,
    )
    @given(
        workloads if workloads is not None else st.none(),
        st.binary(min_size=2 * steps, max_size=2 * steps),
    )
    def search(workload: Any, raw: bytes) -> None:
        key = (stable_repr(workload), raw)
        if failed and key not in failed:
            if budget["left"] <= 0:
                return  # the shrinking budget is spent: only known failures fail now
            budget["left"] -= 1
        try:
            stepper = _execute(config, order, workload, raw)
        except CheckError as exc:
            raise _Abort(exc) from None  # not a failure to shrink: stop the search
        except Exception as exc:
            failed.add(key)
            done = getattr(exc, "stepper", None)
            runs.append(_Run(tuple(done.steps) if done else (), workload, exc))
            raise
        runs.append(_Run(tuple(stepper.steps), workload, None))

    common: dict[str, Any] = {
        "seed": seed,
        "system_factory": system_factory,
        "timers": timers,
        "invoke_timers": tuple(invoke_timers),
        "sim_seed": sim_seed,
    }
    if workloads is None:
        config.system()  # a factory that does not build a System fails here, not as a "bug"
    try:
        hypothesis_seed(seed)(search)()
    except _Abort as abort:
        raise abort.error from abort.error.__cause__
    except Exception as exc:
        final = runs[-1] if runs else None
        if final is None or final.failure is None:
            raise
        first = next(i for i, r in enumerate(runs) if r.failure is not None)
        failure = final.failure
        kind = _kind_of(failure)
        detail = (
            failure.detail
            if isinstance(failure, Violation)
            else f"{type(failure).__name__}: {failure}"
        )
        schedule = final.steps
        if shrink:
            schedule = polish(config, final.workload, schedule, kind)
            if schedule != final.steps:
                detail = _detail(config, final.workload, schedule, kind) or detail
        notes = getattr(exc, "__notes__", [])
        blob = next((m.group(0) for n in notes for m in [_BLOB.search(n)] if m), None)
        return FindBugResult(
            ok=False,
            examples=first + 1,
            runs=len(runs),
            schedule=schedule,
            violated=kind,
            detail=detail,
            reproduce_failure=blob,
            workload=final.workload,
            **common,
        )
    return FindBugResult(ok=True, examples=len(runs), runs=len(runs), **common)


def _detail(config: MachineConfig, workload: Any, steps: Sequence[Step], kind: str) -> str:
    """What the check says about the polished schedule."""
    stepper = config.stepper(workload)
    try:
        config.check_invariants(stepper)
        for step in steps:
            stepper.apply(step)
            config.check_invariants(stepper)
        config.check_history(stepper)
    except Violation as exc:
        return exc.detail
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def find_bug_check(
    invariants: Any = (), consistency: Callable[[History], Any] | None = None, **kwargs: Any
) -> Callable[[Callable[..., System]], FindBugResult]:
    """A check for ``dslib.mutants``: takes a system factory, returns ``find_bug``'s result.

    Keyword arguments go to ``find_bug``.

    >>> from dslib.mutants import outcome_of
    >>> from dslib.small_systems.registers import primary_backup
    >>> check = find_bug_check(consistency=lambda h: True, max_examples=5)
    >>> outcome_of(check(primary_backup))
    (True, None)
    """
    if consistency is not None and not callable(consistency):
        raise TypeError(f"find_bug_check: consistency={consistency!r} must be callable")

    def check(system_factory: Callable[..., System]) -> FindBugResult:
        return find_bug(system_factory, invariants, consistency, **kwargs)

    return check
