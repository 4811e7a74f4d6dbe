"""What every explorer widget shares: controls, a figure shown as PNG, redraw on change.

A figure is put into an ``ipywidgets.Image`` as PNG bytes rather than shown
through an ``Output`` widget, so that a notebook's stored output is the same in
every front end (and under nbval).
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["Explorer", "figure_png", "parameters"]


def figure_png(figure: Any, dpi: int = 80, fast: bool = False) -> bytes:
    """The figure as PNG bytes (``fast`` trades file size for encoding time).

    >>> from matplotlib.figure import Figure
    >>> figure_png(Figure(figsize=(1, 1)))[:4]
    b'\\x89PNG'
    """
    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 1}} if fast else {}
    figure.savefig(buffer, format="png", dpi=dpi, **extra)
    return buffer.getvalue()


def parameters(owner: str, defaults: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The explorer's starting values: ``defaults`` with what the reader ``given`` replacing them.

    Raises
    ------
    TypeError
        For a parameter the explorer does not have (a typo must not be ignored).

    Examples
    --------
    >>> parameters("Demo", {"n": 3, "seed": 0}, {"seed": 7})
    {'n': 3, 'seed': 7}
    >>> parameters("Demo", {"n": 3}, {"N": 5})
    Traceback (most recent call last):
    ...
    TypeError: Demo: unknown parameters ['N']; known: ['n']
    """
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise TypeError(f"{owner}: unknown parameters {unknown}; known: {sorted(defaults)}")
    return {**defaults, **given}


class Explorer:
    """Base of the explorers: subclasses set ``controls``, ``widget`` and define ``update()``.

    ``controls`` maps each parameter to its widget (tests and readers set values
    from code); every change of a value calls ``update()``.
    """

    controls: dict[str, Any]
    widget: Any

    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute and redraw with the current values."""
        raise NotImplementedError

    def _changed(self, change: Any) -> None:
        self.update()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
