"""Mutants: deliberately broken variants that prove the checks can fail.

A check that has never caught a bug proves nothing. So each protocol of the
book ships *mutants*, variants with one known bug each (a server that does not
deduplicate, a Raft that grants votes without the log check, ...), and the tests
assert that the chapter's checks catch every one of them, while the correct
version passes every check. The chapter shows the result as a table in its
"How do we know it is right?" section.

A **mutant** is a name, a sentence saying what is broken, a factory that
builds the broken thing (a function, a ``Node`` class, a ``System``: whatever
the checks take) and the names of the checks that should catch it.

A **check** is any callable that takes what a factory builds and returns a
result: ``True``/``False``, or an object with a boolean ``ok`` (or
``passed``) and optionally ``counterexample_length`` (or a ``counterexample``
or ``trace`` whose ``len`` is taken). Model checking, hypothesis, z3 and the
consistency checkers all fit; so do the stages of an exercise
(``dslib.exercises.stage_checks``).

Examples
--------
A majority quorum of ``n`` replicas, and two broken ones. The check: any two
quorums intersect, i.e. ``2 * size > n``, for every ``n`` up to 7; the
counterexample length is the smallest ``n`` that fails.

>>> def intersect(quorum):
...     bad = [n for n in range(1, 8) if 2 * quorum(n) <= n]
...     return Outcome(not bad, bad[0] if bad else None)
>>> def in_range(quorum):
...     return all(1 <= quorum(n) <= n for n in range(1, 8))
>>> mutants = [
...     Mutant("half", "n // 2: may not meet", lambda: lambda n: n // 2, ("intersection",)),
...     Mutant("all+1", "n + 1: too many", lambda: lambda n: n + 1, ("in range",)),
... ]
>>> checks = {"intersection": intersect, "in range": in_range}
>>> report = assert_mutants_caught(lambda: lambda n: n // 2 + 1, mutants, checks)
>>> print(mutant_table(report).to_string(index=False))
         mutant                  bug                 caught by counterexample length
correct version                    — none: passes all 2 checks                     —
           half n // 2: may not meet    intersection, in range                     1
          all+1      n + 1: too many                  in range                     —
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = [
    "CheckRun",
    "Mutant",
    "MutantReport",
    "MutantResult",
    "Outcome",
    "assert_mutants_caught",
    "check_mutant",
    "check_name",
    "deprecated_spelling",
    "mutant_table",
    "outcome_of",
    "run_mutants",
    "seeded_mutant_report",
    "seeded_mutant_table",
    "tally_runs",
]

T = TypeVar("T")


def check_mutant(owner: str, mutant: object, mutants: Mapping[str, str]) -> str | None:
    """Validate a ``mutant=`` argument against the ``MUTANTS`` table of its module.

    Every system with deliberately broken versions selects one the same way (raft's
    convention): a module-level ``MUTANTS: dict[str, str]`` (name -> what is wrong) beside the
    rules, and a ``mutant: str | None = None`` argument checked here.

    Parameters
    ----------
    owner : str
        The class or function that took the argument, for the error message.
    mutant : str or None
        The argument: ``None`` for the correct version, or a key of ``mutants``.
    mutants : Mapping[str, str]
        The module's ``MUTANTS`` table.

    Returns
    -------
    str or None
        ``mutant``, unchanged.

    Raises
    ------
    ValueError
        If ``mutant`` is neither ``None`` nor a name in ``mutants``; the message lists them.

    Examples
    --------
    >>> MUTANTS = {"off_by_one": "the loop stops one early"}
    >>> check_mutant("f", "off_by_one", MUTANTS)
    'off_by_one'
    >>> check_mutant("f", "typo", MUTANTS)
    Traceback (most recent call last):
    ...
    ValueError: f: unknown mutant 'typo'; allowed: None or one of ['off_by_one']
    """
    if mutant is None:
        return None
    if not isinstance(mutant, str) or mutant not in mutants:
        raise ValueError(
            f"{owner}: unknown mutant {mutant!r}; allowed: None or one of {sorted(mutants)}"
        )
    return mutant


def check_name(owner: str, check: object, checks: Iterable[str]) -> str:
    """Validate a ``check=`` argument (the name of one of a module's checks).

    Parameters
    ----------
    owner : str
        The function that took the argument, for the error message.
    check : str
        The argument.
    checks : iterable of str
        The module's check names.

    Returns
    -------
    str
        ``check``, unchanged.

    Raises
    ------
    ValueError
        If ``check`` is not one of ``checks``; the message lists them.

    Examples
    --------
    >>> check_name("f", "safety", ("safety", "liveness"))
    'safety'
    >>> check_name("f", "speed", ("safety", "liveness"))
    Traceback (most recent call last):
    ...
    ValueError: f: unknown check 'speed'; allowed: ['safety', 'liveness']
    """
    allowed = list(checks)
    if check not in allowed:
        raise ValueError(f"{owner}: unknown check {check!r}; allowed: {allowed}")
    return str(check)


def deprecated_spelling(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` (an older way to select a broken version) is now spelled ``new``.

    The old spellings (``buggy=True``, ``bug=...``, ``chain_lease=math.inf``, a separate
    function) keep working for one release, with this ``DeprecationWarning``.

    Parameters
    ----------
    old, new : str
        The old and the new spelling, as a reader would type them.
    stacklevel : int, default 3
        Passed to ``warnings.warn``: 3 names the caller of the function that calls this one.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     deprecated_spelling("f(buggy=True)", "f(mutant='tie')", stacklevel=2)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    f(buggy=True) is deprecated: write f(mutant='tie') (the old spelling will be removed...)
    """
    warnings.warn(
        f"{old} is deprecated: write {new} (the old spelling will be removed in the next release)",
        DeprecationWarning,
        stacklevel=stacklevel,
    )


@dataclass(frozen=True)
class Outcome:
    """A convenient result for a check: ``ok`` and the counterexample's length.

    >>> Outcome(False, 3)
    Outcome(ok=False, counterexample_length=3, detail='')
    """

    ok: bool
    counterexample_length: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class Mutant(Generic[T]):
    """A deliberately broken variant.

    Attributes
    ----------
    name : str
        Short, e.g. ``"no-dedup"``.
    bug : str
        What is broken, in one sentence.
    build : callable
        A factory of no arguments that builds the broken thing.
    caught_by : tuple of str
        The names of the checks that must catch it (at least one).

    Examples
    --------
    >>> Mutant("off-by-one", "n instead of n + 1", lambda: lambda n: n, ("examples",)).name
    'off-by-one'
    """

    name: str
    bug: str
    build: Callable[[], T]
    caught_by: tuple[str, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Mutant: name={self.name!r} must be a non-empty string")
        if not callable(self.build):
            raise TypeError(f"Mutant {self.name!r}: build must be a function of no arguments")
        if isinstance(self.caught_by, str) or not self.caught_by:
            raise ValueError(
                f"Mutant {self.name!r}: caught_by={self.caught_by!r} must be a non-empty tuple "
                "of check names (a mutant no check is meant to catch proves nothing)"
            )


@dataclass(frozen=True)
class CheckRun:
    """One check run on one variant: did it pass, and what did it find.

    ``error`` is set when the check itself raised: that is neither a pass nor
    a catch, and ``assert_mutants_caught`` reports it.

    >>> CheckRun("examples", False, 3).caught, CheckRun("examples", False, error="boom").caught
    (True, False)
    """

    check: str
    ok: bool
    counterexample_length: int | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def caught(self) -> bool:
        """The check failed cleanly (found a bug) rather than raising."""
        return not self.ok and self.error is None


@dataclass(frozen=True)
class MutantResult:
    """Every check run on one mutant.

    >>> m = MutantResult("m", "bug", ("a", "b"), (CheckRun("a", False, 4), CheckRun("b", True)))
    >>> m.caught_by, m.missed, m.counterexample_length
    (('a',), ('b',), 4)
    """

    name: str
    bug: str
    expected: tuple[str, ...]
    runs: tuple[CheckRun, ...]

    @property
    def caught_by(self) -> tuple[str, ...]:
        """The checks that caught it, in the order of the checks."""
        return tuple(r.check for r in self.runs if r.caught)

    @property
    def missed(self) -> tuple[str, ...]:
        """The expected checks that did not catch it."""
        caught = set(self.caught_by)
        return tuple(c for c in self.expected if c not in caught)

    @property
    def counterexample_length(self) -> int | None:
        """The shortest counterexample among the checks that caught it."""
        lengths = [r.counterexample_length for r in self.runs if r.caught]
        known = [n for n in lengths if n is not None]
        return min(known) if known else None

    @property
    def seconds(self) -> float:
        """Time spent in all checks of this mutant."""
        return sum(r.seconds for r in self.runs)


@dataclass(frozen=True)
class MutantReport:
    """The correct version's runs and every mutant's.

    >>> m = MutantResult("m", "bug", ("a",), (CheckRun("a", True),))
    >>> MutantReport(("a",), (CheckRun("a", True),), (m,)).problems()
    ["mutant 'm' (bug) is not caught by check 'a'"]
    """

    checks: tuple[str, ...]
    correct: tuple[CheckRun, ...]
    mutants: tuple[MutantResult, ...]

    def problems(self) -> list[str]:
        """What is wrong: a check the correct version fails, a mutant a check misses."""
        out = []
        for r in self.correct:
            if r.error is not None:
                out.append(f"check {r.check!r} raised on the correct version: {r.error}")
            elif not r.ok:
                out.append(f"the correct version fails check {r.check!r}")
        for m in self.mutants:
            for r in m.runs:
                if r.error is not None:
                    out.append(f"check {r.check!r} raised on mutant {m.name!r}: {r.error}")
            for c in m.missed:
                run = next((r for r in m.runs if r.check == c), None)
                if run is not None and run.error is None:
                    out.append(f"mutant {m.name!r} ({m.bug}) is not caught by check {c!r}")
        return out

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems()

    def to_frame(self, times: bool = False, correct_row: bool = True) -> Any:
        """The mutant table as a pandas DataFrame (see ``mutant_table``)."""
        return mutant_table(self, times=times, correct_row=correct_row)

    def table(self, times: bool = False, correct_row: bool = True) -> Any:
        """Deprecated name of ``to_frame`` (warns; removed in the next release)."""
        deprecated_spelling("MutantReport.table()", "MutantReport.to_frame()")
        return self.to_frame(times=times, correct_row=correct_row)


def outcome_of(result: Any) -> tuple[bool, int | None]:
    """Read ``(ok, counterexample length)`` from what a check returned.

    Accepts a bool, or an object with ``ok`` or ``passed``; the length comes
    from ``counterexample_length``, else ``len(counterexample)`` or
    ``len(trace)`` when those exist.

    Raises
    ------
    TypeError
        If the result says neither.

    Examples
    --------
    >>> outcome_of(True), outcome_of(Outcome(False, 4))
    ((True, None), (False, 4))
    >>> class R:
    ...     passed = False
    ...     counterexample = ["a", "b"]
    >>> outcome_of(R())
    (False, 2)
    """
    if isinstance(result, bool):
        return result, None
    ok: Any = getattr(result, "ok", None)
    if ok is None:
        ok = getattr(result, "passed", None)
    if not isinstance(ok, bool):
        raise TypeError(
            f"a check must return a bool or an object with a boolean 'ok' (or 'passed'); "
            f"got {type(result).__name__}: {result!r:.80}"
        )
    length = getattr(result, "counterexample_length", None)
    if length is None:
        for name in ("counterexample", "trace"):
            found = getattr(result, name, None)
            if found is not None and hasattr(found, "__len__"):
                length = len(found)
                break
    return ok, length if isinstance(length, int) else None


def _run(name: str, check: Callable[[Any], Any], factory: Callable[[], Any]) -> CheckRun:
    start = time.perf_counter()
    try:
        ok, length = outcome_of(check(factory()))
    except Exception as exc:
        return CheckRun(
            name, False, None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"
        )
    return CheckRun(name, ok, None if ok else length, time.perf_counter() - start)


def run_mutants(
    correct: Callable[[], T],
    mutants: Sequence[Mutant[T]],
    checks: Mapping[str, Callable[[T], Any]],
    all_checks: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> MutantReport:
    """Run every check on the correct version and on each mutant.

    Parameters
    ----------
    correct : callable
        Factory of the correct version.
    mutants : sequence of Mutant
        The broken variants; names must be distinct.
    checks : mapping of str to callable
        The checks by name, in the order the table shows them.
    all_checks : bool, default True
        Run every check on every mutant (the table then shows every check that
        catches it). With False, only the checks in each mutant's
        ``caught_by`` run on it, which saves time when checks are slow.
    progress : callable, optional
        Called as ``progress(done, total)`` after each run of a check, with
        ``total`` the runs of the whole table (``dslib.viz.progress.progress``
        makes one that shows a bar).

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If names repeat, there are no checks, or a mutant names an unknown check.

    Examples
    --------
    >>> wrong = Mutant("abs-less", "returns x", lambda: lambda x: x, ("non-negative",))
    >>> report = run_mutants(lambda: abs, [wrong], {"non-negative": lambda f: f(-1) >= 0})
    >>> report.ok, report.mutants[0].caught_by
    (True, ('non-negative',))
    """
    if not checks:
        raise ValueError("run_mutants needs at least one check")
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"run_mutants: mutant names repeat: {duplicates}")
    for m in mutants:
        unknown = [c for c in m.caught_by if c not in checks]
        if unknown:
            raise ValueError(
                f"mutant {m.name!r} names unknown checks {unknown}; the checks are {list(checks)}"
            )
    chosen = [[n for n in checks if all_checks or n in m.caught_by] for m in mutants]
    total, done = len(checks) + sum(map(len, chosen)), 0

    def run(name: str, build: Callable[[], T]) -> CheckRun:
        nonlocal done
        outcome = _run(name, checks[name], build)
        done += 1
        if progress is not None:
            progress(done, total)
        return outcome

    correct_runs = tuple(run(name, correct) for name in checks)
    results = [
        MutantResult(m.name, m.bug, tuple(m.caught_by), tuple(run(n, m.build) for n in names))
        for m, names in zip(mutants, chosen, strict=True)
    ]
    return MutantReport(tuple(checks), correct_runs, tuple(results))


def assert_mutants_caught(
    correct: Callable[[], T],
    mutants: Sequence[Mutant[T]],
    checks: Mapping[str, Callable[[T], Any]],
    all_checks: bool = True,
) -> MutantReport:
    """Run the mutants (see ``run_mutants``) and fail loudly if a check is not doing its job.

    Raises
    ------
    AssertionError
        If the correct version fails a check, a mutant escapes a check that
        should catch it, or a check raises; the message lists every problem.

    Examples
    --------
    >>> escapes = Mutant("same", "no bug at all", lambda: abs, ("non-negative",))
    >>> assert_mutants_caught(lambda: abs, [escapes], {"non-negative": lambda f: f(-1) >= 0})
    Traceback (most recent call last):
    ...
    AssertionError: the checks are not doing their job:
      mutant 'same' (no bug at all) is not caught by check 'non-negative'
    """
    report = run_mutants(correct, mutants, checks, all_checks=all_checks)
    problems = report.problems()
    if problems:
        raise AssertionError("the checks are not doing their job:\n  " + "\n  ".join(problems))
    return report


def mutant_table(report: MutantReport, times: bool = False, correct_row: bool = True) -> Any:
    """The mutant table of a chapter: mutant, bug, caught by, counterexample length (, time).

    Parameters
    ----------
    report : MutantReport
        What ``run_mutants`` returned.
    times : bool, default False
        Add a column with the seconds the checks took. Off by default: a
        notebook's stored output must not change from run to run.
    correct_row : bool, default True
        Start with a row for the correct version ("none: passes all N checks").

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> wrong = Mutant("abs-less", "returns x", lambda: lambda x: x, ("non-negative",))
    >>> report = run_mutants(lambda: abs, [wrong], {"non-negative": lambda f: f(-1) >= 0})
    >>> list(mutant_table(report, times=True).columns)
    ['mutant', 'bug', 'caught by', 'counterexample length', 'time (s)']
    """
    import pandas as pd

    rows = []
    if correct_row:
        failing = [r.check for r in report.correct if not r.ok]
        n = len(report.correct)
        row: dict[str, Any] = {
            "mutant": "correct version",
            "bug": "—",
            "caught by": (
                f"none: passes all {n} check{'s' if n != 1 else ''}"
                if not failing
                else "FAILS " + ", ".join(failing)
            ),
            "counterexample length": "—",
        }
        if times:
            row["time (s)"] = round(sum(r.seconds for r in report.correct), 3)
        rows.append(row)
    for m in report.mutants:
        length = m.counterexample_length
        row = {
            "mutant": m.name,
            "bug": m.bug,
            "caught by": ", ".join(m.caught_by) if m.caught_by else "NOT CAUGHT",
            "counterexample length": "—" if length is None else str(length),
        }
        if times:
            row["time (s)"] = round(m.seconds, 3)
        rows.append(row)
    return pd.DataFrame(rows)


# == mutant tables over seeds, from a catch-rate function ==========================================
CatchRate = Callable[[str | None, str, range], tuple[Any, ...]]
"""``catch_rate(mutant, check, seeds) -> (caught, runs[, found])``: on how many of the runs on
``seeds`` the check ``check`` fails for ``mutant`` (a name, or ``None`` for the correct
version). The optional third item says what was found: an ``int`` is a counterexample's
length (the smallest), a ``str`` the first case that failed, ``None`` nothing."""


def tally_runs(runs: Iterable[tuple[bool, int | None]]) -> tuple[int, int, int | None]:
    """``(caught, runs, least)`` for a ``CatchRate``, from each run's ``(failed, length)``.

    Parameters
    ----------
    runs : iterable of (bool, int or None)
        For each run: did the check fail on it, and the length of what it found there (the
        events of the run, the operations until it failed, ...; ``None`` if it passed or the
        length is unknown).

    Returns
    -------
    (int, int, int or None)
        The runs the check failed on, the runs in all, and the least length among the runs it
        failed on (``None`` if it failed on none, or none had a length).

    Examples
    --------
    >>> tally_runs([(False, None), (True, 7), (True, 4), (True, None)])
    (3, 4, 4)
    >>> tally_runs([])
    (0, 0, None)
    """
    caught = total = 0
    least: int | None = None
    for failed, length in runs:
        total += 1
        if failed:
            caught += 1
            if length is not None:
                least = length if least is None else min(least, length)
    return caught, total, least


def _seed_count(seeds: object, where: str) -> int:
    if not (isinstance(seeds, int) and not isinstance(seeds, bool) and seeds >= 1):
        raise ValueError(f"{where}: seeds={seeds!r} must be an int >= 1")
    return seeds


def seeded_mutant_report(
    catch_rate: CatchRate,
    mutants: Mapping[str, str],
    mutant_checks: Mapping[str, Sequence[str]],
    checks: Sequence[str],
    seeds: int,
    *,
    where: str,
    direct: Mapping[str, Callable[[str | None], Any]] | None = None,
    all_checks: bool = True,
) -> MutantReport:
    """Run every check on the correct version and on each mutant, over seeds ``0..seeds-1``.

    The shape of the mutant report of a module whose mutants are selected by name
    (``mutant=`` and a ``MUTANTS`` table, see ``check_mutant``) and whose checks are measured
    by a catch-rate function over seeds: a check fails on a variant when it fails on any of the
    seeds, and its counterexample is the one ``catch_rate`` found.

    Parameters
    ----------
    catch_rate : callable
        ``catch_rate(mutant, check, seeds) -> (caught, runs[, found])`` (see ``CatchRate``):
        ``found`` is the counterexample's length if an int, the first failing case if a str.
    mutants : mapping of str to str
        Mutant name -> what is broken, in the order of the table.
    mutant_checks : mapping of str to sequence of str
        Mutant name -> the checks that must catch it.
    checks : sequence of str
        The checks, in the order of the table.
    seeds : int
        Seeds ``0..seeds-1``.
    where : str
        The caller, named in error messages.
    direct : mapping of str to callable, optional
        Checks that do not depend on the seed, run once as ``direct[check](mutant)`` instead of
        through ``catch_rate``; what they return is read by ``outcome_of``, so their own
        counterexample is kept.
    all_checks : bool, default True
        Passed to ``run_mutants``: with False, a mutant runs only the checks that must catch it.

    Returns
    -------
    MutantReport

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1, a mutant has no entry in ``mutant_checks``, ``direct``
        names a check not in ``checks``, or ``run_mutants`` refuses the declarations.

    Examples
    --------
    An absolute value, and a broken one that returns ``x``; the run on seed ``s`` checks
    ``f(-s) >= 0``, and what it found is ``s``:

    >>> def catch_rate(mutant, check, seeds):
    ...     f = {None: abs, "identity": lambda x: x}[mutant]
    ...     bad = [s for s in seeds if f(-s) < 0]
    ...     return len(bad), len(seeds), min(bad, default=None)
    >>> report = seeded_mutant_report(
    ...     catch_rate, {"identity": "returns x"}, {"identity": ("non-negative",)},
    ...     ("non-negative",), 5, where="abs_report")
    >>> report.problems(), report.mutants[0].caught_by, report.mutants[0].counterexample_length
    ([], ('non-negative',), 1)
    >>> seeded_mutant_report(catch_rate, {}, {}, ("non-negative",), 0, where="abs_report")
    Traceback (most recent call last):
    ...
    ValueError: abs_report: seeds=0 must be an int >= 1
    """
    _seed_count(seeds, where)
    run_once = dict(direct or {})
    unknown = [c for c in run_once if c not in checks]
    if unknown:
        raise ValueError(
            f"{where}: direct names checks {unknown} that are not in checks {list(checks)}"
        )
    missing = [name for name in mutants if name not in mutant_checks]
    if missing:
        raise ValueError(f"{where}: mutant_checks has no entry for the mutants {missing}")

    def check(name: str) -> Callable[[str | None], Any]:
        if name in run_once:
            return run_once[name]

        def run(mutant: str | None) -> Outcome:
            caught, _, *found = catch_rate(mutant, name, range(seeds))
            first = found[0] if found else None
            if isinstance(first, str):
                return Outcome(caught == 0, None, first)
            return Outcome(caught == 0, first)

        return run

    def build(name: str | None) -> Callable[[], str | None]:
        return lambda: name

    listed = [
        Mutant(name, bug, build(name), tuple(mutant_checks[name])) for name, bug in mutants.items()
    ]
    return run_mutants(build(None), listed, {n: check(n) for n in checks}, all_checks=all_checks)


def seeded_mutant_table(
    report: MutantReport,
    catch_rate: CatchRate,
    seeds: int,
    *,
    where: str,
    column: str,
    length_column: str | None = None,
    check_column: str | None = None,
    correct_check: str = "—",
    first_column: str | None = None,
    rate: str = "{caught} of {runs}",
    deterministic: Collection[str] = (),
    deterministic_rate: str = "deterministic",
    every_check: bool = False,
) -> Any:
    """The mutant table of ``report`` with a column of catch rates: in how many runs each
    mutant's check caught it.

    The rate is ``catch_rate(mutant, check, range(seeds))`` for the first check that must catch
    the mutant (or every one, with ``every_check``). The correct version's row reads ``rate``
    with 0 caught of ``seeds`` runs: the report has no problems (else this raises), so every
    check passed the correct version on every seed, which is what that row counts.

    Parameters
    ----------
    report : MutantReport
        What ``seeded_mutant_report`` returned for the same ``catch_rate`` and ``seeds``.
    catch_rate : callable
        See ``CatchRate``.
    seeds : int
        Seeds ``0..seeds-1``.
    where : str
        The caller, named in error messages.
    column : str
        The name of the column of catch rates (the last).
    length_column : str, optional
        Rename ``counterexample length`` to this; by default the column is dropped.
    check_column : str, optional
        Add a column with the check the rate is about (the mutant's first), before the rates.
    correct_check : str, default "—"
        What ``check_column`` shows for the correct version.
    first_column : str, optional
        Add a column, before the rates, with what ``catch_rate`` found (its third item) for the
        mutant's first check, "—" for nothing.
    rate : str, default "{caught} of {runs}"
        How a rate is written: a format string with fields ``caught`` and ``runs``.
    deterministic : collection of str, default ()
        Checks that do not depend on the seed (they catch on every seed or none): their rate
        reads ``deterministic_rate`` instead.
    deterministic_rate : str, default "deterministic"
    every_check : bool, default False
        Show every check that must catch a mutant, as ``"check: rate"`` joined by ``"; "``.

    Returns
    -------
    pandas.DataFrame
        ``mutant_table``'s columns, then ``check_column``, ``first_column`` and ``column``.

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1.
    AssertionError
        If the report has problems (the correct version fails a check or a mutant escapes).

    Examples
    --------
    Quorum sizes for ``n = seed + 1`` replicas, and two broken ones:

    >>> QUORUM = {None: lambda n: n // 2 + 1, "half": lambda n: n // 2, "all": lambda n: n}
    >>> def catch_rate(mutant, check, seeds):
    ...     holds = {"intersect": lambda n, q: 2 * q > n, "minimal": lambda n, q: q <= n // 2 + 1}
    ...     bad = [s + 1 for s in seeds if not holds[check](s + 1, QUORUM[mutant](s + 1))]
    ...     return len(bad), len(seeds), min(bad, default=None)
    >>> report = seeded_mutant_report(
    ...     catch_rate, {"half": "n // 2", "all": "every replica"},
    ...     {"half": ("intersect",), "all": ("minimal",)}, ("intersect", "minimal"), 4,
    ...     where="quorum_report")
    >>> table = seeded_mutant_table(report, catch_rate, 4, where="quorum_table",
    ...                             column="seeds caught", length_column="smallest n")
    >>> print(table.drop(columns="bug").to_string(index=False))
             mutant                 caught by smallest n seeds caught
    correct version none: passes all 2 checks          —       0 of 4
               half                 intersect          1       4 of 4
                all                   minimal          3       2 of 4
    >>> table = seeded_mutant_table(report, catch_rate, 4, where="quorum_table",
    ...                             column="catch rate", rate="{caught} of {runs} seeds",
    ...                             check_column="its check", correct_check="any")
    >>> print(table[["mutant", "its check", "catch rate"]].to_string(index=False))
             mutant its check   catch rate
    correct version       any 0 of 4 seeds
               half intersect 4 of 4 seeds
                all   minimal 2 of 4 seeds
    """
    _seed_count(seeds, where)
    problems = report.problems()
    if problems:
        raise AssertionError(f"{where}: the checks are not doing their job: " + "; ".join(problems))
    table = report.to_frame()
    if length_column is None:
        table = table.drop(columns="counterexample length")
    else:
        table = table.rename(columns={"counterexample length": length_column})
    named, firsts, rates = [correct_check], ["—"], [rate.format(caught=0, runs=seeds)]
    for m in report.mutants:
        shown, first = [], None
        for k, check in enumerate(m.expected if every_check else m.expected[:1]):
            caught, runs, *found = catch_rate(m.name, check, range(seeds))
            if k == 0 and found:
                first = found[0]
            said = (
                deterministic_rate
                if check in deterministic
                else rate.format(caught=caught, runs=runs)
            )
            shown.append(f"{check}: {said}" if every_check else said)
        named.append(m.expected[0])
        firsts.append("—" if first is None or first == "" else str(first))
        rates.append("; ".join(shown))
    if check_column is not None:
        table[check_column] = named
    if first_column is not None:
        table[first_column] = firsts
    table[column] = rates
    return table
