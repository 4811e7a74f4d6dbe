"""Known-wrong answers: the table every exercise's tests keep, and what "rejected well" means.

An exercise's checker is only as good as the wrong answers it has been shown to
reject. Each chapter's tests keep a table of ``WrongAnswer`` rows (the exercise,
a wrong answer, the stage that must catch it, words its hint must contain) and
check each row with ``rejection_problems``, so that every chapter asks the same
of its checker: caught, at the right stage, with the right hint, the report
saying so.

Examples
--------
>>> from dslib.exercises import check
>>> row = WrongAnswer("ch01.percentile", lambda xs, q: max(xs), "examples", "whatever q is")
>>> result = check(row.exercise, row.answer, record=False)  # doctest: +ELLIPSIS
ch01.percentile: Percentiles by nearest rank
...
>>> rejection_problems(row, result)
[]
>>> for problem in rejection_problems(row._replace(stage="properties"), result):
...     print(problem)
stopped at stage 'examples', not at 'properties'
the report does not mark 'properties' failed
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from dslib.exercises.registry import get_exercise
from dslib.exercises.runner import ExerciseResult

__all__ = ["CHANGED_INPUT", "WrongAnswer", "rejection_problems", "too_few_wrong_answers"]

CHANGED_INPUT = ""
"""The ``hint`` of a row whose answer changes its input: the message must say so."""


class WrongAnswer(NamedTuple):
    """One known-wrong answer and how the checker must reject it.

    Attributes
    ----------
    exercise : str
        The exercise id.
    answer : any
        The wrong answer (a function or a ``Node`` class).
    stage : str
        The stage that must catch it.
    hint : str
        Words the hint must contain; ``CHANGED_INPUT`` (empty) for an answer that
        changes its input, which the message must report instead.
    """

    exercise: str
    answer: Any
    stage: str
    hint: str

    @property
    def id(self) -> str:
        """A test id: the exercise and the answer's name.

        >>> WrongAnswer("ch01.pong", print, "examples", "x").id
        'ch01.pong-print'
        """
        return f"{self.exercise}-{getattr(self.answer, '__name__', type(self.answer).__name__)}"


def rejection_problems(row: WrongAnswer, result: ExerciseResult) -> list[str]:
    """What is wrong with how ``check`` rejected a known-wrong answer (empty: nothing).

    The answer must be attempted and fail; at ``row.stage``; with a hint that
    contains ``row.hint`` (or a message that says the input was changed); and the
    report must show the message, mark the stage failed (``✗``) and every later
    stage not run (``·``).

    Parameters
    ----------
    row : WrongAnswer
    result : ExerciseResult
        What ``dslib.exercises.check(row.exercise, row.answer)`` returned.

    Returns
    -------
    list of str
        One sentence per problem.

    Raises
    ------
    ValueError
        If ``result`` is about another exercise, or ``row.stage`` is not a stage of it.
    """
    if result.exercise != row.exercise:
        raise ValueError(f"the result is of {result.exercise!r}, the row of {row.exercise!r}")
    names = [s.name for s in get_exercise(row.exercise).stages]
    if row.stage not in names:
        raise ValueError(f"{row.exercise} has no stage {row.stage!r}; its stages are {names}")
    problems = []
    if not result.attempted or result.passed:
        return [f"not rejected (attempted={result.attempted}, passed={result.passed})"]
    if result.stage != row.stage:
        problems.append(f"stopped at stage {result.stage!r}, not at {row.stage!r}")
    if row.hint == CHANGED_INPUT:
        if "changed its input" not in result.message:
            problems.append(f"the message does not say the input was changed: {result.message!r}")
    elif result.hint is None or row.hint not in result.hint:
        problems.append(f"the hint {result.hint!r} does not contain {row.hint!r}")
    text = " ".join(result.text.split())
    if not result.message or " ".join(result.message.split()) not in text:
        problems.append("the report does not show the message")
    if f"✗ {row.stage}" not in result.text:
        problems.append(f"the report does not mark {row.stage!r} failed")
    later = names[names.index(row.stage) + 1 :] if row.stage == result.stage else []
    problems += [f"the report does not mark {s!r} not run" for s in later if f"· {s}" not in text]
    return problems


def too_few_wrong_answers(
    table: Iterable[WrongAnswer], exercises: Sequence[str], at_least: int = 2
) -> list[str]:
    """The exercises with fewer than ``at_least`` rows in ``table``.

    >>> too_few_wrong_answers([WrongAnswer("ch01.pong", None, "examples", "x")], ["ch01.pong"])
    ['ch01.pong']
    """
    rows = list(table)
    return [e for e in exercises if sum(1 for r in rows if r.exercise == e) < at_least]
