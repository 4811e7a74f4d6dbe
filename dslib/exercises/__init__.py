"""Self-paced exercises that say exactly what is wrong.

Each exercise is checked in stages (examples, then hypothesis properties,
then small simulation runs under faults); ``check`` stops at the first stage
that fails and prints what went wrong, the smallest failing input or the end
of the failing trace, and a hint chosen from what your answer did. A stub that
still raises ``NotImplementedError`` prints "not attempted yet".

``statement(id)`` prints what an exercise asks for and the code to start from;
``progress()`` is a table of every exercise and how far you got, kept in a
small file (see ``progress_path``); ``reset_progress()`` starts afresh.

Reference solutions are in ``solutions/`` at the top of the repository: try
first.

Examples
--------
>>> import dslib.exercises as ex
>>> [e.id for e in ex.all_exercises(chapter=1)]
['ch01.pong', 'ch01.percentile', 'ch01.dedup_server']
>>> ex.check("ch01.pong!", None)
Traceback (most recent call last):
...
ValueError: no exercise 'ch01.pong!'; did you mean 'ch01.pong'?
"""

from collections.abc import Callable
from typing import Any

from dslib.errors import renamed

# Every chapter's exercises are registered on import, so the registry never depends on
# which chapter modules a program happened to import.
from dslib.exercises import (
    ch00,
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
    ch10,
    ch11,
    ch12,
    ch13,
    ch14,
    ch15,
    ch16,
    ch17,
)
from dslib.exercises.progress import ProgressFileError, progress_path, reset_progress
from dslib.exercises.registry import Exercise, all_exercises, get_exercise, load_solution
from dslib.exercises.runner import ExerciseResult, check, progress, statement
from dslib.exercises.stages import NotAttempted, Stage, StageResult

__all__ = [
    "Exercise",
    "ExerciseResult",
    "ProgressFileError",
    "StageResult",
    "all_exercises",
    "ch00",
    "ch01",
    "ch02",
    "ch03",
    "ch04",
    "ch05",
    "ch06",
    "ch07",
    "ch08",
    "ch09",
    "ch10",
    "ch11",
    "ch12",
    "ch13",
    "ch14",
    "ch15",
    "ch16",
    "ch17",
    "check",
    "get_exercise",
    "load_solution",
    "progress",
    "progress_path",
    "reset_progress",
    "stage_checks",
    "statement",
]


def stage_checks(exercise_id: str) -> dict[str, Callable[[Any], StageResult]]:
    """Each stage of an exercise as a check for ``dslib.mutants``: ``{name: check}``.

    A check takes an answer (as ``check`` would) and returns the stage's
    ``StageResult``, whose ``ok`` and ``counterexample_length`` the mutant table
    reads. A stub counts as failing (``ok`` False). Nothing is printed or recorded.

    Examples
    --------
    >>> checks = stage_checks("ch01.percentile")
    >>> sorted(checks)
    ['examples', 'properties']
    >>> checks["examples"](lambda xs, q: max(xs)).ok
    False
    """
    exercise = get_exercise(exercise_id)

    def make(stage: Stage) -> Callable[[Any], StageResult]:
        def run(answer: Any) -> StageResult:
            prepared = exercise.answer.prepare(answer)
            try:
                return stage.run(prepared)
            except NotAttempted as stub:
                return StageResult(stage.name, False, f"not attempted: {stub}")

        run.__name__ = f"{exercise_id}:{stage.name}"
        return run

    return {stage.name: make(stage) for stage in exercise.stages}


__getattr__ = renamed(__name__, {"CheckResult": (ExerciseResult, "ExerciseResult")})
