"""Shared fixtures and helpers: no test ever writes to the reader's real exercise progress file;
seeds split between make test and the deep run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import dslib.exercises as ex


@pytest.fixture(autouse=True)
def progress_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``DSLIB_PROGRESS_FILE`` at a fresh temporary path for every test."""
    path = tmp_path / "data" / "progress.json"
    monkeypatch.setenv("DSLIB_PROGRESS_FILE", str(path))
    return path


def quiet_check(exercise_id: str, answer: Any, capsys: pytest.CaptureFixture[str]) -> Any:
    """Check an answer without recording it; assert that what it printed is its ``text``."""
    result = ex.check(exercise_id, answer, record=False)
    assert capsys.readouterr().out.strip() == result.text.strip()
    return result


def seeds(total: int, quick: int) -> list[Any]:
    """Seeds ``0 .. total - 1`` for ``pytest.mark.parametrize``: make test runs the first
    ``quick``, the deep run (``DSLIB_DEEP=1``, part of ``make soak``) all of them.

    >>> [getattr(s, "values", (s,))[0] for s in seeds(4, 2)]
    [0, 1, 2, 3]
    >>> [bool(getattr(s, "marks", ())) for s in seeds(4, 2)]
    [False, False, True, True]
    """
    if not 0 < quick <= total:
        raise ValueError(f"seeds: need 0 < quick <= total, got quick={quick}, total={total}")
    return [s if s < quick else pytest.param(s, marks=pytest.mark.deep) for s in range(total)]
