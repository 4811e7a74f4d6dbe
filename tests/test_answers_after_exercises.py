"""No page shows an exercise's answer before the exercise (issue 17).

Each exercise names the library code that answers it (``Exercise.answered_by``: the names a
page passes to ``dslib.show``). Reading the book in order (pages sorted by path, cells in
order), every ``show(...)`` of such a name, and every code cell that defines a function of
the answer's name (a page writing its own ``percentile``), must come after the first cell
that names the exercise's id. A page may still show the code after the exercise ("compare
it with yours")."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

import dslib.exercises as ex

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SHOW = re.compile(r"\bshow\(\s*(?:dslib\.)?([A-Za-z_][\w.]*)")


def _cells() -> list[tuple[str, int, str, str]]:
    """(page, cell index, cell type, source) for every cell of the book, in reading order."""
    out = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*/[0-9][0-9].[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        page = str(path.relative_to(NOTEBOOKS))
        out += [(page, i, c.cell_type, c.source) for i, c in enumerate(nb.cells)]
    return out


def _shows(target: str, name: str) -> bool:
    return target == name or target.endswith("." + name)


def answers_shown_early(cells: list[tuple[str, int, str, str]]) -> list[str]:
    """Every show of an exercise's answer that comes before the exercise, as one line each."""
    problems = []
    for exercise in ex.all_exercises():
        where = next(
            (k for k, (_, _, _, src) in enumerate(cells) if f'"{exercise.id}"' in src), None
        )
        if where is None or not exercise.answered_by:
            continue
        names = {n.rsplit(".", 1)[-1] for n in exercise.answered_by}
        name = getattr(exercise.answer, "name", None)
        defines = re.compile(
            rf"^def ({'|'.join(sorted(names | ({name} if name else set())))})\(", re.M
        )
        for page, index, kind, src in cells[:where]:
            if kind != "code":
                continue
            for defined in defines.findall(src):
                problems.append(
                    f"{page} cell {index} defines {defined}, the answer of {exercise.id} "
                    f"(asked at {cells[where][0]} cell {cells[where][1]})"
                )
            for target in SHOW.findall(src):
                hit = [n for n in exercise.answered_by if _shows(target, n)]
                if hit:
                    at = f"{cells[where][0]} cell {cells[where][1]}"
                    problems.append(
                        f"{page} cell {index} shows {target} (the answer of {exercise.id}, "
                        f"asked at {at})"
                    )
    return problems


def test_no_page_shows_an_answer_before_its_exercise() -> None:
    problems = answers_shown_early(_cells())
    assert not problems, "\n".join(problems)


def test_every_answered_exercise_is_asked_in_the_book() -> None:
    """An exercise that names its answer but is never asked could not be checked above."""
    text = "\n".join(src for _, _, _, src in _cells())
    missing = [e.id for e in ex.all_exercises() if e.answered_by and f'"{e.id}"' not in text]
    assert not missing


@pytest.mark.parametrize(
    ("cells", "caught"),
    [
        ([("a.ipynb", 0, "code", "show(RaftNode.vote_rule)"), ("a.ipynb", 1, "code", "")], True),
        ([("a.ipynb", 0, "code", "show(dslib.raft.RaftNode.vote_rule, lines=(1, 3))")], True),
        ([("a.ipynb", 0, "markdown", "show(RaftNode.vote_rule)")], False),
        ([("a.ipynb", 0, "code", "show(RaftNode._on_vote_reply)")], False),
        (
            [("a.ipynb", 0, "code", "def grant_vote(term, voted_for, log, msg):\n    return 1")],
            True,
        ),
        ([("a.ipynb", 0, "code", "x = 1\ndef vote_rule(state, msg):\n    return 1")], True),
        ([("a.ipynb", 0, "code", "def granted_votes(replies):\n    return 1")], False),
    ],
)
def test_the_check_catches_a_shown_answer(
    cells: list[tuple[str, int, str, str]], caught: bool
) -> None:
    """The check on made-up pages: the answer of ch15.request_vote shown before it is asked."""
    asked = ("b.ipynb", 0, "code", 'statement("ch15.request_vote")')
    assert bool(answers_shown_early([*cells, asked])) is caught
    assert not answers_shown_early([asked, *cells])
