"""A progress bar for a long notebook cell that leaves one stable line behind.

A cell that runs for more than a few seconds should show that it is working and say how
long it usually takes, so that a reader on a slow machine does not think it hangs. A
progress bar alone would break the book's promise that a stored output is what the code
prints (DESIGN.md, section 6): its text holds elapsed times and rates, which differ on
every run. ``progress`` keeps the bar out of the stored text:

- in a Jupyter kernel it shows a ``tqdm`` notebook bar whose plain-text form is already the
  final line, ``done: 40 seeds (usually about 15 s on a 2-core machine)``; when the work is
  done the bar is replaced by that line (an ``update_display_data`` message). A front end
  that draws widgets (JupyterLab) shows the bar, then the line; a notebook executed by
  ``nbclient`` stores the line alone; ``nbval``, which compares only ``text/plain`` and
  skips the widget's view, sees the same line in both;
- anywhere else (a script, a test) it shows a ``tqdm`` bar on a terminal's stderr, if there
  is a terminal, which it erases when done, and prints the line.

The object it returns is a callback ``(done, total)``, as
``dslib.testing.executors.map_seeds(progress=...)`` and the sweeps built on it call it, and
it also counts steps of a loop in a notebook with ``update()``.
"""

from __future__ import annotations

import math
import sys
from types import TracebackType
from typing import Any

__all__ = ["MACHINE", "Progress", "progress"]

MACHINE = "a 2-core machine"
"""The machine that ``usually_s`` was measured on (DESIGN.md, section 6: a quiet 2-core one)."""

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _in_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (a front end may draw widgets)."""
    module = sys.modules.get("IPython")
    if module is None:
        return False
    shell = module.get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _check_count(value: object, name: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"progress: {name}={value!r} must be an int >= {least}")
    if value < least:
        raise ValueError(f"progress: {name}={value!r} must be an int >= {least}")
    return value


class Progress:
    """The bar and the closing line of one long piece of work; made by ``progress``.

    Call it as ``bar(done, total)`` (the ``map_seeds`` protocol) or advance it with
    ``bar.update(n)``; it closes by itself when ``done`` reaches its total. Used in a
    ``with`` block it also closes when the block ends.

    Parameters
    ----------
    total : int
        Steps of the whole work (seeds, runs, checks); at least 1.
    what : str
        What a step is, plural (``"seeds"``, ``"gossip runs"``).
    usually_s : float
        Seconds the work usually takes on ``MACHINE``; more than 0.
    live : bool, optional
        Show a notebook bar (True) or a terminal one (False); by default, a notebook bar in
        a Jupyter kernel.

    Attributes
    ----------
    line : str
        The line left behind, known from the start (it never holds a measured time).
    done : int
        Steps done so far.
    closed : bool
        Whether the bar is gone.

    Examples
    --------
    >>> bar = Progress(10, "seeds", 4, live=False)
    >>> bar(4, 10)
    >>> bar.update(5)
    >>> bar, bar.closed
    (Progress(9/10 seeds, usually about 4 s), False)
    >>> bar.update()
    done: 10 seeds (usually about 4 s on a 2-core machine)
    >>> bar.closed
    True
    """

    def __init__(self, total: int, what: str, usually_s: float, live: bool | None = None) -> None:
        self.total = _check_count(total, "total", 1)
        if not isinstance(what, str) or not what.strip():
            raise TypeError(f"progress: what={what!r} must name the steps, such as 'seeds'")
        if (
            isinstance(usually_s, bool)
            or not isinstance(usually_s, (int, float))
            or not math.isfinite(usually_s)
            or usually_s <= 0
        ):
            raise ValueError(
                f"progress: usually_s={usually_s!r} must be the seconds the work usually "
                f"takes on {MACHINE}, a number > 0"
            )
        self.what = what.strip()
        self.usually_s = usually_s
        self.line = f"done: {self.total} {self.what} (usually about {usually_s:g} s on {MACHINE})"
        self.done = 0
        self.closed = False
        self.live = _in_kernel() if live is None else live
        self._handle: Any = None
        self._bar: Any = self._open()

    def _open(self) -> Any:
        desc = f"{self.what} (usually about {self.usually_s:g} s)"
        if not self.live:
            from tqdm.std import tqdm

            return tqdm(total=self.total, desc=desc, leave=False, disable=None, file=sys.stderr)
        from IPython.display import display

        bundle: dict[str, Any] = {"text/plain": self.line}
        bar: Any = None
        try:
            from tqdm.notebook import tqdm as notebook_tqdm

            bar = notebook_tqdm(total=self.total, desc=desc, leave=False, display=False)
        except ImportError:  # no ipywidgets: the line alone
            bar = None
        if bar is not None and hasattr(bar, "container"):
            view = {"version_major": 2, "version_minor": 0, "model_id": bar.container.model_id}
            bundle[_WIDGET_VIEW] = view
        self._handle = display(bundle, raw=True, display_id=True)
        return bar

    def __call__(self, done: int, total: int) -> None:
        """Record that ``done`` of ``total`` steps are done (``map_seeds``'s ``progress``)."""
        _check_count(done, "done", 0)
        if total != self.total:
            raise ValueError(
                f"progress: the work reports {total!r} {self.what} in all, but this bar was "
                f"made for total={self.total}; make it with total={total!r}"
            )
        if not self.done <= done <= self.total:
            raise ValueError(
                f"progress: done={done} must lie between the {self.done} {self.what} "
                f"already done and total={self.total}"
            )
        self._advance(done - self.done)

    def update(self, n: int = 1) -> None:
        """Record ``n`` more steps done (a loop in a notebook calls it once per step)."""
        _check_count(n, "n", 0)
        if self.done + n > self.total:
            raise ValueError(
                f"progress: {self.done} + {n} {self.what} done is more than total={self.total}"
            )
        self._advance(n)

    def _advance(self, n: int) -> None:
        if self.closed:
            raise ValueError(f"progress: the bar for {self.total} {self.what} is already closed")
        self.done += n
        if self._bar is not None and n:
            self._bar.update(n)
        if self.done == self.total:
            self.close()

    def close(self) -> None:
        """Remove the bar and leave the line (again: nothing)."""
        if self.closed:
            return
        self.closed = True
        if self._bar is not None:
            self._bar.close()
        if self.live:
            self._handle.update({"text/plain": self.line}, raw=True)
        else:
            print(self.line)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
            return
        self.closed = True  # the work failed: the bar stays as it was, and no line
        if self._bar is not None:
            self._bar.close()

    def __repr__(self) -> str:
        return f"Progress({self.done}/{self.total} {self.what}, usually about {self.usually_s:g} s)"


def progress(total: int, what: str, usually_s: float) -> Progress:
    """A progress bar for a long cell that leaves one stable line: how long it usually takes.

    Parameters
    ----------
    total : int
        Steps of the work (seeds, runs, checks); at least 1.
    what : str
        What a step is, plural (``"seeds"``).
    usually_s : float
        Seconds the work usually takes on a quiet 2-core machine (``MACHINE``), as measured
        when the notebook was written; > 0.

    Returns
    -------
    Progress
        A callback ``(done, total)`` for ``map_seeds(progress=...)`` and the functions that
        pass ``progress=`` on to it; ``update(n)`` advances it by ``n`` steps. It closes
        by itself at ``total`` steps, or at the end of a ``with`` block.

    Raises
    ------
    TypeError
        If ``total`` is not an int or ``what`` is not a non-empty str.
    ValueError
        If ``total`` < 1 or ``usually_s`` is not a finite number > 0; later, if the work
        reports another total or more steps than ``total``.

    Notes
    -----
    The line names the planned work and the usual time, never a measured one, so that
    the stored output of a notebook is the same on every run (DESIGN.md, section 6). In a
    Jupyter kernel the line is the bar's plain-text form from the start: a front end that
    draws no widgets, and ``nbval`` (which skips widget views), see the same text before
    and after the bar is replaced. If the work fails, the bar stays as it was.

    Examples
    --------
    >>> from dslib.testing.executors import map_seeds
    >>> squares = map_seeds(lambda s: s * s, range(4), progress=progress(4, "seeds", 2))
    done: 4 seeds (usually about 2 s on a 2-core machine)
    >>> squares
    [0, 1, 4, 9]
    >>> with progress(3, "runs", 0.5) as bar:
    ...     for run in range(3):
    ...         bar.update()
    done: 3 runs (usually about 0.5 s on a 2-core machine)
    >>> map_seeds(abs, range(5), progress=progress(4, "seeds", 2))
    Traceback (most recent call last):
    ...
    ValueError: progress: the work reports 5 seeds in all, but this bar was made for \
total=4; make it with total=5
    """
    return Progress(total, what, usually_s)
