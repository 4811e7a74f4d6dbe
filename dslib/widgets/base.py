"""What every explorer widget shares: controls, a figure shown as PNG, redraw on change.

A figure is put into an ``ipywidgets.Image`` as PNG bytes rather than shown
through an ``Output`` widget, so that a notebook's stored output is the same in
every front end (and under nbval).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from dslib.viz.png import SCALE, figure_png

__all__ = [
    "SCALE",
    "Explorer",
    "Summarised",
    "controls",
    "figure_png",
    "parameters",
    "show_figure",
]


def show_figure(image: Any, figure: Any, fast: bool = False) -> None:
    """Show ``figure`` in the ipywidgets ``Image`` sharp and at its natural size.

    The PNG is drawn at ``SCALE`` times the figure's dpi (``dslib.viz.png.figure_png``); the
    image is as wide as the figure at its own dpi (``figsize`` times ``dpi``, in CSS pixels)
    and never wider than the output area, so that it is neither blurred by stretching nor cut
    off on a narrow window.

    >>> import ipywidgets as w
    >>> from matplotlib.figure import Figure
    >>> image = w.Image(format="png")
    >>> show_figure(image, Figure(figsize=(8, 2), dpi=100))
    >>> image.layout.width, image.layout.max_width, int.from_bytes(image.value[16:20], "big")
    ('800px', '100%', 1600)
    """
    image.value = figure_png(figure, fast=fast)
    image.layout.width = f"{round(figure.get_figwidth() * figure.dpi)}px"
    image.layout.max_width = "100%"


C = TypeVar("C")


def given_controller(owner: str, kind: type[C], controller: C | None, options: dict[str, Any]) -> C:
    """The controller a playground shows: ``controller`` if given, else ``kind(**options)``.

    A playground takes either a controller (the part without buttons, which tests and
    readers drive from code) or the options to make one, never both.

    >>> class Counter:
    ...     def __init__(self, start=0):
    ...         self.start = start
    >>> given_controller("Playground", Counter, None, {"start": 3}).start
    3
    >>> given_controller("Playground", Counter, Counter(1), {"start": 3})
    Traceback (most recent call last):
    ...
    TypeError: Playground: give options to the Counter, not to the playground that shows it
    """
    if controller is None:
        return kind(**options)
    if options:
        raise TypeError(
            f"{owner}: give options to the {kind.__name__}, not to the playground that shows it"
        )
    if not isinstance(controller, kind):
        raise TypeError(f"{owner}: controller={controller!r} is not a {kind.__name__}")
    return controller


def small_button(label: str, tip: str, style: str = "", min_width: str = "70px") -> Any:
    """A button as wide as its label (at least ``min_width``), with a tooltip."""
    import ipywidgets as w

    return w.Button(
        description=label,
        tooltip=tip,
        button_style=style,
        layout=w.Layout(width="auto", min_width=min_width),
    )


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


class Summarised:
    """A widget's owner whose displayed output reads as its one-line ``repr``.

    A notebook stores a widget's output without its state (the view needs a live kernel), so
    JupyterLab before a run, nbval and the HTML edition see only the output's ``text/plain``.
    ipywidgets puts the widget tree there (``VBox(children=(HBox(...``); this puts the owner's
    ``repr``, a short summary of what the widget shows, which subclasses define.
    """

    widget: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """Display the widget, with the one-line summary as its text form."""
        data: dict[str, Any] = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)
        return data


class Playground(Summarised):
    """Base of the playgrounds driven by buttons (Raft, Paxos, the queue): a controller
    action runs through ``_act``, which shows a refused action's error in ``message``
    instead of raising (this is a live UI), and ``update()`` redraws from the controller."""

    message: Any
    heading: Any

    def update(self) -> None:
        """Redraw everything from the controller."""
        raise NotImplementedError

    def _act(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Run a controller action and redraw; on ``ValueError``/``TypeError`` show it instead."""
        try:
            action(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            self.update()
            self.message.value = f"<span style='color:#c62828'>{html.escape(str(exc))}</span>"
            return False
        self.update()
        return True

    def _show_heading(self, summary: str, note: str, ok: bool | None = None) -> None:
        """The heading: ``summary`` in bold (green if ``ok``, red if not), ``note`` below."""
        color = "" if ok is None else f" style='color:{'#2e7d32' if ok else '#c62828'}'"
        self.heading.value = (
            f"<b{color}>{html.escape(summary)}</b>"
            f"<div style='font-size:90%'>{html.escape(note)}</div>"
        )


class Explorer(Summarised):
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

    def _show(self, figure: Any, fast: bool = False) -> None:
        """Make ``figure`` the one shown (``show_figure``; ``fast`` as for ``figure_png``)."""
        self.figure = figure
        show_figure(self.image, figure, fast=fast)

    def _changed(self, change: Any) -> None:
        self.update()

    def __repr__(self) -> str:
        """The explorer's name and its current values (what the picture shows)."""
        values = ", ".join(f"{k}={v!r}" for k, v in self.values().items())
        return f"{type(self).__name__}({values})"
