"""Your progress through the exercises, kept in a small JSON file.

Where the file is: ``$DSLIB_PROGRESS_FILE`` if set; otherwise
``$XDG_DATA_HOME/dslib/progress.json``, with ``XDG_DATA_HOME`` defaulting to
``~/.local/share``. It is the only file the library writes outside the working
directory.

The file is never overwritten silently: if it cannot be read or is not what
dslib wrote (corrupt JSON, an unknown format), every function that would
write it refuses with a ``ProgressFileError`` that names the path and says how
to fix it, so that no entry is lost. Writes go to a temporary file in the same
folder first and then replace the old file in one step (``os.replace``), so an
interrupted write never leaves half a file.

The format::

    {"version": 1,
     "exercises": {"ch01.pong": {"attempts": 2, "passed": true,
                                 "last_result": "passed", "last_stage": null,
                                 "last_attempt": "2025-01-31"}}}

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
>>> record_attempt("ch01.pong", passed=False, stage="examples", path=path, today="2025-01-31")
>>> load_progress(path)["ch01.pong"]["attempts"]
1
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from dslib.errors import DslibError

__all__ = [
    "ProgressFileError",
    "load_progress",
    "progress_path",
    "record_attempt",
    "reset_progress",
]

VERSION = 1


class ProgressFileError(DslibError):
    """The progress file cannot be read, or is not a progress file; dslib left it as it was.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
    >>> _ = path.write_text("{oops")
    >>> load_progress(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.exercises.progress.ProgressFileError: the progress file ... is not valid JSON ...
    """


def progress_path() -> Path:
    """Where progress is kept (see the module docstring for the rules).

    Examples
    --------
    >>> import os
    >>> old = os.environ.get("DSLIB_PROGRESS_FILE")
    >>> os.environ["DSLIB_PROGRESS_FILE"] = "/tmp/my-progress.json"
    >>> str(progress_path())
    '/tmp/my-progress.json'
    >>> if old is None:
    ...     del os.environ["DSLIB_PROGRESS_FILE"]
    ... else:
    ...     os.environ["DSLIB_PROGRESS_FILE"] = old
    """
    override = os.environ.get("DSLIB_PROGRESS_FILE")
    if override:
        return Path(override).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME")
    base = Path(data_home) if data_home and os.path.isabs(data_home) else None
    if base is None:
        base = Path.home() / ".local" / "share"
    return base / "dslib" / "progress.json"


def _fix_advice(path: Path) -> str:
    return (
        f"dslib has not changed it. Fix it by hand, or move it away "
        f"(for example: mv '{path}' '{path}.old') and dslib will start a new one; "
        "to keep your progress elsewhere, set the environment variable DSLIB_PROGRESS_FILE"
    )


def load_progress(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """The recorded entries, by exercise id (empty if there is no file yet).

    Raises
    ------
    ProgressFileError
        If the file exists but cannot be read or is not a dslib progress file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> load_progress(pathlib.Path(tempfile.mkdtemp()) / "none-yet.json")
    {}
    """
    p = Path(path) if path is not None else progress_path()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProgressFileError(
            f"cannot read the progress file {p}: {exc.strerror or exc}. {_fix_advice(p)}"
        ) from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProgressFileError(
            f"the progress file {p} is not valid JSON ({exc}). {_fix_advice(p)}"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("exercises"), dict)
        or not all(isinstance(v, dict) for v in data["exercises"].values())
    ):
        raise ProgressFileError(
            f"the progress file {p} is not a dslib progress file of version {VERSION} "
            f'(expected {{"version": {VERSION}, "exercises": {{...}}}}). {_fix_advice(p)}'
        )
    entries: dict[str, dict[str, Any]] = data["exercises"]
    return entries


def _write(p: Path, entries: dict[str, dict[str, Any]]) -> None:
    data = {"version": VERSION, "exercises": {k: entries[k] for k in sorted(entries)}}
    text = json.dumps(data, indent=1, sort_keys=True) + "\n"
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".progress-", suffix=".tmp", dir=p.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, p)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ProgressFileError(
            f"cannot write the progress file {p}: {exc.strerror or exc}; "
            "set DSLIB_PROGRESS_FILE to a path you can write"
        ) from None


def record_attempt(
    exercise_id: str,
    passed: bool,
    stage: str | None = None,
    path: Path | str | None = None,
    today: str | None = None,
) -> None:
    """Record one attempt at an exercise (``check`` calls this).

    Parameters
    ----------
    exercise_id : str
        The exercise.
    passed : bool
        Whether every stage passed. ``passed`` in the file stays true once an
        attempt has passed.
    stage : str, optional
        The stage that failed.
    path : path, optional
        The progress file (default: ``progress_path()``).
    today : str, optional
        The date to record (ISO format; default: today's date).

    Raises
    ------
    ProgressFileError
        If the existing file cannot be read or the new one cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
    >>> record_attempt("ch01.pong", True, path=path, today="2025-01-31")
    >>> record_attempt("ch01.pong", False, "examples", path=path, today="2025-02-01")
    >>> entry = load_progress(path)["ch01.pong"]
    >>> entry["attempts"], entry["passed"], entry["last_result"], entry["last_attempt"]
    (2, True, 'failed', '2025-02-01')
    """
    p = Path(path) if path is not None else progress_path()
    entries = load_progress(p)
    old = entries.get(exercise_id, {})
    entries[exercise_id] = {
        "attempts": int(old.get("attempts", 0)) + 1,
        "passed": bool(old.get("passed", False)) or bool(passed),
        "last_result": "passed" if passed else "failed",
        "last_stage": stage,
        "last_attempt": today or datetime.date.today().isoformat(),
    }
    _write(p, entries)


def reset_progress(exercise_id: str | None = None, path: Path | str | None = None) -> None:
    """Forget recorded progress: of one exercise, or (by default) of all.

    Resetting everything first copies the old file to ``progress.json.bak``
    beside it, so that a reset by mistake can be undone by moving it back.

    Raises
    ------
    ProgressFileError
        If the file is unreadable or corrupt (it is left as it is: move it away
        yourself, as the message says), or cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "progress.json"
    >>> record_attempt("ch01.pong", passed=True, path=path, today="2025-01-31")
    >>> reset_progress(path=path)
    >>> load_progress(path), path.with_name("progress.json.bak").exists()
    ({}, True)
    """
    p = Path(path) if path is not None else progress_path()
    entries = load_progress(p)
    if exercise_id is None:
        if p.exists():
            _write(p.with_name(p.name + ".bak"), entries)
        entries = {}
    else:
        if not isinstance(exercise_id, str):
            raise TypeError(f"exercise_id={exercise_id!r} must be a string or None")
        entries.pop(exercise_id, None)
    if entries or p.exists():
        _write(p, entries)
