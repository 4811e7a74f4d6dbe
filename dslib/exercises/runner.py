"""``check``: run an exercise's stages on an answer and say precisely what is wrong.

The report is plain, deterministic text: the stages with a mark each
(``✓`` passed, ``✗`` failed, ``·`` not run), then, for a failure, what went
wrong, the smallest failing input or the end of the failing trace, and a hint.

Examples
--------
>>> def percentile(latencies, q):
...     raise NotImplementedError
>>> r = check("ch01.percentile", percentile, record=False)
ch01.percentile: Percentiles by nearest rank
  not attempted yet: percentile raised NotImplementedError.
  Replace the `raise NotImplementedError` with your code and run the check again.
>>> r.attempted, r.passed
(False, False)
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dslib.errors import renamed
from dslib.exercises.progress import (
    ProgressFileError,
    load_progress,
    progress_path,
    record_attempt,
)
from dslib.exercises.registry import all_exercises, get_exercise
from dslib.exercises.stages import Failure, NotAttempted, StageResult, trace_excerpt

__all__ = ["ExerciseResult", "check", "progress", "statement"]

PASS, FAIL, SKIP = "✓", "✗", "·"


@dataclass(frozen=True)
class ExerciseResult:
    """The outcome of ``check``.

    (Named ``CheckResult`` before, and still importable under that name for one
    release, with a warning; ``dslib.check.CheckResult`` is the model checker's.)

    Attributes
    ----------
    exercise : str
        The exercise id.
    attempted : bool
        False when the answer is still a stub.
    passed : bool
        Whether every stage passed.
    stage : str or None
        The stage that failed (``None`` if all passed or not attempted).
    hint : str or None
        The hint chosen from the failure.
    message : str
        What went wrong (or "passed" / "not attempted yet").
    stages : tuple of StageResult
        The stages that ran, in order.
    failure : Failure or None
        The full failure (counterexample, trace, ...).
    text : str
        The printed report.

    Examples
    --------
    >>> r = check("ch01.percentile", lambda latencies, q: max(latencies), record=False)
    ... # doctest: +ELLIPSIS
    ch01.percentile: Percentiles by nearest rank
    ...
    >>> r
    ExerciseResult('ch01.percentile', failed, stage='examples')
    >>> r.passed, r.stage, r.hint is not None
    (False, 'examples', True)
    """

    exercise: str
    attempted: bool
    passed: bool
    stage: str | None
    hint: str | None
    message: str
    stages: tuple[StageResult, ...] = ()
    failure: Failure | None = None
    text: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        """The same as ``passed`` (so that a check result works in ``dslib.mutants``)."""
        return self.passed

    @property
    def counterexample_length(self) -> int | None:
        """The size of the counterexample, if the check failed with one."""
        return None if self.failure is None else self.failure.length

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        status = "passed" if self.passed else ("failed" if self.attempted else "not attempted")
        where = f", stage={self.stage!r}" if self.stage else ""
        return f"ExerciseResult({self.exercise!r}, {status}{where})"

    def _ipython_display_(self) -> None:
        """Show nothing in a notebook: ``check`` has printed the report already."""


def _indent(text: str, prefix: str = "  ") -> str:
    return textwrap.indent(text, prefix)


def _wrap(text: str, prefix: str = "  ") -> str:
    out = []
    for paragraph in text.split("\n"):
        out.append(
            textwrap.fill(
                paragraph,
                width=92,
                initial_indent=prefix,
                subsequent_indent=prefix,
                break_long_words=False,
                break_on_hyphens=False,
            )
            if paragraph.strip()
            else ""
        )
    return "\n".join(out)


def _report(
    exercise_id: str, title: str, names: list[str], results: list[StageResult]
) -> tuple[str, Failure | None]:
    lines = [f"{exercise_id}: {title}"]
    width = max(len(n) for n in names)
    for i, name in enumerate(names):
        if i < len(results):
            r = results[i]
            mark = PASS if r.ok else FAIL
            lines.append(f"  {mark} {name:<{width}}  {r.summary}")
        else:
            lines.append(f"  {SKIP} {name:<{width}}  not run")
    failure = next((r.failure for r in results if not r.ok), None)
    if failure is None:
        lines.append("Passed: every stage. Well done.")
        return "\n".join(lines), None
    lines.append("")
    lines.append("What went wrong:")
    lines.append(_wrap(failure.message))
    if failure.counterexample and failure.trace is None:
        lines.append("")
        lines.append(
            "The smallest failing case (hypothesis shrank it):"
            if failure.shrunk
            else "The failing case:"
        )
        lines.append(_indent(failure.counterexample, "    "))
    if failure.trace is not None:
        lines.append("")
        where = f" ({failure.counterexample})" if failure.counterexample else ""
        if failure.trace_at is not None:
            lines.append(f"The trace of the failing run{where}; >> marks where it went wrong:")
        else:
            lines.append(f"The end of the trace of the failing run{where}:")
        lines.append(trace_excerpt(failure.trace, failure.trace_at))
    if failure.hint:
        lines.append("")
        lines.append("Hint:")
        lines.append(_wrap(failure.hint))
    return "\n".join(lines), failure


def check(exercise_id: str, answer: Any, *, record: bool = True) -> ExerciseResult:
    """Check your answer to an exercise, print what passed and what is wrong.

    The stages run in order (examples, then properties, then simulations) and
    the check stops at the first that fails: you see what went wrong, the
    smallest failing input or the trace of the failing run, and a hint. An
    answer that is still the stub (it raises ``NotImplementedError``) prints
    "not attempted yet" and raises nothing.

    Parameters
    ----------
    exercise_id : str
        Such as ``"ch01.percentile"``; ``statement(exercise_id)`` says what to write.
    answer : function, Node class or Node
        Your answer (the function or class itself, not a call of it).
    record : bool, default True
        Record the attempt in your progress file (see ``progress``).
        A stub is never recorded.

    Returns
    -------
    ExerciseResult
        ``passed``, ``stage``, ``hint``, ``message`` and the full ``text``.

    Raises
    ------
    ValueError
        If there is no such exercise (the message suggests the closest ids).
    TypeError
        If the answer is not of the kind the exercise expects (a class where a
        function is expected, a function with the wrong parameters, ...).

    Examples
    --------
    >>> def count_deliveries(trace):
    ...     return len(trace.of_kind("deliver"))
    >>> check("ch00.count_deliveries", count_deliveries, record=False).passed
    ch00.count_deliveries: Count the messages delivered
      ✓ examples    3 examples
      ✓ properties  1 property, up to 60 random cases each
    Passed: every stage. Well done.
    True
    """
    exercise = get_exercise(exercise_id)
    prepared = exercise.answer.prepare(answer)
    names = [stage.name for stage in exercise.stages]
    results: list[StageResult] = []
    for stage in exercise.stages:
        try:
            result = stage.run(prepared)
        except NotAttempted as stub:
            if not any(r.ok for r in results):
                text = (
                    f"{exercise.id}: {exercise.title}\n"
                    f"  not attempted yet: {stub}.\n"
                    "  Replace the `raise NotImplementedError` with your code and run the "
                    "check again."
                )
                print(text)
                return ExerciseResult(
                    exercise.id, False, False, None, None, "not attempted yet", text=text
                )
            result = StageResult(
                stage.name,
                False,
                "stopped: part of your code is still a stub",
                Failure(
                    f"{stub} in stage '{stage.name}'",
                    "Finish the parts of your answer that still raise NotImplementedError.",
                ),
            )
        results.append(result)
        if not result.ok:
            break
    text, failure = _report(exercise.id, exercise.title, names, results)
    passed = failure is None
    if record:
        try:
            record_attempt(exercise.id, passed, None if passed else results[-1].stage)
        except ProgressFileError as exc:
            text += f"\n\n(Your progress was not saved: {exc})"
    print(text)
    return ExerciseResult(
        exercise.id,
        True,
        passed,
        None if passed else results[-1].stage,
        None if failure is None else failure.hint,
        "passed" if failure is None else failure.message,
        tuple(results),
        failure,
        text,
    )


def statement(exercise_id: str, hints: bool = False) -> None:
    """Print what an exercise asks for, the code to start from, and how to check it.

    Parameters
    ----------
    exercise_id : str
        Such as ``"ch01.pong"``.
    hints : bool, default False
        Also print the exercise's general hints (``check`` gives a hint chosen
        from what your answer did; these are for when you do not know where to
        start).

    Examples
    --------
    >>> statement("ch01.percentile")  # doctest: +ELLIPSIS
    ch01.percentile: Percentiles by nearest rank (chapter 1)
    <BLANKLINE>
    Write percentile(latencies, q): ...
    """
    exercise = get_exercise(exercise_id)
    stages = ", ".join(s.name for s in exercise.stages)
    print(f"{exercise.id}: {exercise.title} (chapter {exercise.chapter})")
    print()
    print(exercise.statement.strip())
    print()
    print(f"Your answer: {exercise.answer.describe()}. Start from:")
    print()
    print(_indent(exercise.stub.strip("\n"), "    "))
    print()
    print(f'Check it with: check("{exercise.id}", {_answer_name(exercise)})')
    print(f"The check runs these stages in order: {stages}.")
    if hints and exercise.hints:
        print()
        print("Hints:")
        for hint in exercise.hints:
            print(_wrap(hint, "  - ").replace("\n  - ", "\n    "))


def _answer_name(exercise: Any) -> str:
    spec = exercise.answer
    return str(getattr(spec, "name", None) or getattr(spec, "class_name", "answer"))


def progress(dates: bool = True, path: Path | str | None = None) -> Any:
    """A table of every exercise: chapter, title, attempted, passed, last attempt.

    Parameters
    ----------
    dates : bool, default True
        Include the date of the last attempt. A notebook that shows the table
        should pass ``dates=False`` so that its output does not change from day
        to day (and mark the cell ``# NBVAL_IGNORE_OUTPUT``: your progress is
        yours, not the book's).
    path : path, optional
        The progress file (default: see ``dslib.exercises.progress_path``).

    Returns
    -------
    pandas.DataFrame
        Indexed by exercise id, in book order.

    Raises
    ------
    ProgressFileError
        If the progress file exists but cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
    >>> table = progress(dates=False, path=path).head(4)  # chapters 0 and 1
    >>> print(table.to_string())  # doctest: +NORMALIZE_WHITESPACE
                           chapter                         title  attempted  passed
    exercise
    ch00.count_deliveries        0  Count the messages delivered      False   False
    ch01.pong                    1           Reply to every ping      False   False
    ch01.percentile              1   Percentiles by nearest rank      False   False
    ch01.dedup_server            1       Apply each request once      False   False
    """
    import pandas as pd

    entries = load_progress(path if path is not None else progress_path())
    rows = []
    for ex in all_exercises():
        entry = entries.get(ex.id, {})
        row: dict[str, Any] = {
            "exercise": ex.id,
            "chapter": ex.chapter,
            "title": ex.title,
            "attempted": bool(entry.get("attempts", 0)),
            "passed": bool(entry.get("passed", False)),
        }
        if dates:
            row["last attempt"] = entry.get("last_attempt", "")
        rows.append(row)
    return pd.DataFrame(rows).set_index("exercise")


__getattr__ = renamed(__name__, {"CheckResult": (ExerciseResult, "ExerciseResult")})
