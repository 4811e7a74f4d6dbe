"""What every explorer widget shares: controls, a figure shown as PNG, redraw on change.

A figure is put into an ``ipywidgets.Image`` as PNG bytes rather than shown
through an ``Output`` widget, so that a notebook's stored output is the same in
every front end (and under nbval).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Explorer", "controls", "figure_png", "parameters"]


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


ControlTable = Mapping[str, tuple[str, dict[str, Any]]]
"""The controls of an explorer, by name: each one's ipywidgets class and its arguments."""


def controls(values: Mapping[str, Any], table: ControlTable, width: str) -> dict[str, Any]:
    """One ipywidgets control per row of ``table``, each starting at its entry of ``values``.

    Parameters
    ----------
    values : mapping of str to any
        The starting value of each control, by name (from ``parameters``).
    table : mapping of str to (str, dict)
        For each control, by name and in the order they are shown: the
        ipywidgets class, such as ``"IntSlider"``, and its other arguments
        (``description``, ``min``, ``max``, ``step``, ``options``).
    width : str
        The width of a control's label, such as ``"80px"``, so that the sliders
        of a column line up. A checkbox has its label to its right and gets none.

    Returns
    -------
    dict of str to ipywidgets control

    Raises
    ------
    KeyError
        If a row of ``table`` has no value in ``values``.

    Examples
    --------
    >>> made = controls({"n": 3}, {"n": ("IntSlider", {"min": 1, "max": 9, "description": "N"})},
    ...                 "70px")
    >>> made["n"].value, made["n"].max, made["n"].style.description_width
    (3, 9, '70px')
    """
    import ipywidgets as w

    out = {}
    for name, (kind, options) in table.items():
        style = {} if kind == "Checkbox" else {"style": {"description_width": width}}
        out[name] = getattr(w, kind)(value=values[name], **options, **style)
    return out


class Explorer:
    """Base of the explorers: subclasses set ``controls``, call ``_start`` and define
    ``update()``, which draws with ``_show``.

    ``controls`` maps each parameter to its widget (tests and readers set values
    from code); every change of a value calls ``update()``. ``figure`` is the
    last figure drawn, ``image`` shows it, ``widget`` holds it all.
    """

    controls: dict[str, Any]
    widget: Any
    image: Any
    figure: Any = None

    def values(self) -> dict[str, Any]:
        """The current value of every control."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self) -> None:
        """Recompute and redraw with the current values."""
        raise NotImplementedError

    def _start(
        self, groups: Sequence[Sequence[str]], below: Sequence[Any] = (), rows: bool = False
    ) -> None:
        """Lay the controls out above the figure and ``below``, watch them, and draw.

        Each group of control names is a column of the panel, or a row of it
        with ``rows=True``.
        """
        import ipywidgets as w

        self.image = w.Image(format="png")
        for control in self.controls.values():
            control.observe(self._changed, names="value")
        boxes = [[self.controls[name] for name in group] for group in groups]
        panel = [w.HBox(b) for b in boxes] if rows else [w.HBox([w.VBox(b) for b in boxes])]
        self.widget = w.VBox([*panel, self.image, *below])
        self.update()

    def _show(self, figure: Any, dpi: int = 80, fast: bool = False) -> None:
        """Make ``figure`` the one shown (see ``figure_png`` for ``dpi`` and ``fast``)."""
        self.figure = figure
        self.image.value = figure_png(figure, dpi=dpi, fast=fast)

    def _changed(self, change: Any) -> None:
        self.update()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
