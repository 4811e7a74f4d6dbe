"""How long checking a Raft exercise takes: each stage of each chapter-15 exercise.

For ``ch15.request_vote``, ``ch15.append_entries`` and ``ch15.commit_index``, the
reference solution (``solutions/ch15.py``) is run through every stage (examples,
hypothesis properties, model checking of 3 servers); the table gives the median wall
seconds of ``--repeat`` runs per stage and for the whole check.

Run: ``python benchmarks/bench_exercises_ch15.py [--repeat 3]``
"""

from __future__ import annotations

import argparse

from timing import timed

from dslib.exercises import get_exercise, load_solution

EXERCISES = ("ch15.request_vote", "ch15.append_entries", "ch15.commit_index")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    stage_names: list[str] = []
    for exercise_id in EXERCISES:
        exercise = get_exercise(exercise_id)
        answer = load_solution(exercise_id)
        times = {}
        for stage in exercise.stages:
            seconds, result = timed(lambda s=stage, a=answer: s.run(a), args.repeat)
            if not result.ok:
                raise SystemExit(f"{exercise_id}: the solution fails stage {stage.name!r}")
            times[stage.name] = seconds
            if stage.name not in stage_names:
                stage_names.append(stage.name)
        rows.append((exercise_id, times))
    header = ["exercise", *stage_names, "whole check"]
    print(f"Chapter 15 exercises: seconds per stage for the solution (median of {args.repeat})")
    print("  ".join(f"{h:>20}" for h in header))
    for exercise_id, times in rows:
        cells = [f"{times[n]:.2f}" if n in times else "-" for n in stage_names]
        print("  ".join(f"{c:>20}" for c in [exercise_id, *cells, f"{sum(times.values()):.2f}"]))


if __name__ == "__main__":
    main()
