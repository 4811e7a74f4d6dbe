"""Shared fixtures: no test ever writes to the reader's real exercise progress file."""

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
