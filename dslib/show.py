"""``show(obj)``: the library's own source, highlighted, in a notebook.

The book never copies code into a notebook: it shows the code that runs, from
the library, so that the text and the tested code cannot drift apart.
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path
from typing import Any

__all__ = ["Source", "show"]


class Source:
    """Source code that renders highlighted in Jupyter and as plain text elsewhere.

    ``str(source)`` is the code; ``repr`` (what a notebook stores as text) is the
    code too, so that strict nbval compares exactly what the reader sees.
    """

    def __init__(self, code: str, name: str, location: str) -> None:
        self.code = code
        self.name = name
        self.location = location

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        formatter = HtmlFormatter(noclasses=True, style="default", nowrap=False)
        body = highlight(self.code, PythonLexer(), formatter)
        return (
            f'<div style="font-size:90%"><code>{self.location}</code></div>'
            f'<div style="max-height:40em;overflow:auto">{body}</div>'
        )

    def __repr__(self) -> str:
        return f"# {self.location}\n{self.code.rstrip()}"

    def __str__(self) -> str:
        return self.code


def show(obj: Any, lines: tuple[int, int] | None = None) -> Source:
    """Show the source of a library class, function or method, highlighted.

    Parameters
    ----------
    obj : class, function, method or module
        What to show.
    lines : (int, int), optional
        Only these lines of it (1-based, inclusive), for a long definition.

    Returns
    -------
    Source
        Rendered as highlighted HTML in a notebook, as plain code elsewhere.

    Raises
    ------
    TypeError
        If ``obj`` has no source that Python can find (a built-in, an instance).

    Examples
    --------
    >>> from dslib.core import Context
    >>> src = show(Context.broadcast)
    >>> print(src)  # doctest: +NORMALIZE_WHITESPACE
    def broadcast(self, msg: Hashable) -> None:
        \"\"\"Send ``msg`` to every peer (every node but this one), in sorted order.\"\"\"
        for dst in self.peers:
            self.send(dst, msg)
    """
    try:
        code = inspect.getsource(obj)
        file = inspect.getsourcefile(obj) or "?"
    except (TypeError, OSError) as exc:
        raise TypeError(
            f"show: cannot find the source of {obj!r} ({exc}); give a class, a function, "
            "a method or a module of the library"
        ) from None
    code = textwrap.dedent(code)
    if lines is not None:
        lo, hi = lines
        all_lines = code.splitlines()
        if not (1 <= lo <= hi <= len(all_lines)):
            raise ValueError(
                f"show: lines={lines!r} out of range; {getattr(obj, '__qualname__', obj)} "
                f"has lines 1 to {len(all_lines)}"
            )
        code = "\n".join(all_lines[lo - 1 : hi]) + "\n"
    name = getattr(obj, "__qualname__", getattr(obj, "__name__", repr(obj)))
    module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
    package = Path(__file__).resolve().parent
    try:
        where = "dslib/" + Path(file).resolve().relative_to(package).as_posix()
    except ValueError:
        where = Path(file).name
    # No line numbers: a notebook's stored output should change only when the code shown does.
    location = f"{where}  ({module}.{name})"
    return Source(code, name, location)
