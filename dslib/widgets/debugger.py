"""The step-through debugger: a system's behaviours, explored by hand in the notebook.

``Debugger`` is a thin clickable view over a ``Navigator``
(``dslib.widgets.navigator``), which does all the work and is tested without a
browser. The reader sees the current global state (each node's state, with
what the last step changed highlighted; the messages in flight; the timers
set; the crashed nodes; the partition), the status of every invariant, the
path so far as a space-time diagram, and the list of events that may happen
next. They pick an event and press **take**; **back** and **forward** move
along the path; taking another event after going back starts a new branch,
and the **branch** menu returns to any branch. **export** writes the path as
JSON into the text box (to save or share); **load** takes a path pasted there.

The diagram is shown as PNG bytes in an ``Image`` widget, so a notebook's
stored output does not depend on the front end; ``static()`` draws the same
view as a figure for readers without a live kernel. Every control is an
attribute, so that code (and tests) can drive it: set ``events.value`` and
call ``take_button.click()``.

Examples
--------
>>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
>>> debugger = Debugger(ricart_agrawala(2), [at_most_one_critical], diagram=False)
>>> debugger.events.value = 0
>>> debugger.take_button.click()
>>> debugger
Debugger(step 1 of 1: p1: timer 'want'; 7 events enabled)
"""

from __future__ import annotations

import html
from typing import Any

from dslib.check.search import PropertySpec
from dslib.core import System
from dslib.errors import DslibError
from dslib.widgets.base import Summarised, show_figure
from dslib.widgets.navigator import Navigator, steps_from_json

__all__ = ["Debugger"]


class Debugger(Summarised):
    """An ipywidgets explorer of a system's behaviours, over a ``Navigator``.

    Parameters
    ----------
    system : System or Navigator
        The nodes (a new navigator is made with ``invariants`` and ``options``),
        or a navigator to show.
    invariants : callable, dict or list, optional
        As for ``dslib.check.check``: properties of the global state.
    diagram : bool, default True
        Draw the space-time diagram of the path after every step.
    window : int, default 30
        How many of the last steps the diagram shows.
    **options
        Further options of ``Navigator`` (``fifo``, ``faults``, ``crashable``, ...).

    Attributes
    ----------
    navigator : Navigator
        The state of the exploration (read it, or drive it and call ``update()``).
    events : ipywidgets.Select
        The enabled events; its value is the index of the selected one.
    take_button, back_button, forward_button, export_button, load_button : ipywidgets.Button
    position : ipywidgets.IntSlider
        The step of the current branch shown.
    branch : ipywidgets.Dropdown
        The branch shown (its value is the branch number).
    heading, state, invariants, message : ipywidgets.HTML
        Where we are; the state; the invariants; the last error (empty when none).
    image : ipywidgets.Image
        The space-time diagram (PNG).
    path_text : ipywidgets.Textarea
        The exported path (JSON), or a path to load.
    widget : ipywidgets.VBox
        Everything, as displayed.

    Examples
    --------
    >>> from dslib.basics import Pinger, Ponger
    >>> from dslib import System
    >>> debugger = Debugger(System({"pinger": Pinger(count=1), "ponger": Ponger()}))
    >>> debugger.take_button.click()
    >>> debugger.navigator.export()
    [('fire', 'pinger', 'tick')]
    >>> debugger.back_button.click()
    >>> debugger.navigator.position, debugger.forward_button.disabled
    (0, False)
    """

    def __init__(
        self,
        system: System | Navigator,
        invariants: PropertySpec = None,
        *,
        diagram: bool = True,
        window: int = 30,
        **options: Any,
    ) -> None:
        import ipywidgets as w

        if isinstance(system, Navigator):
            if invariants is not None or options:
                raise TypeError(
                    "Debugger: give invariants and options to the Navigator, not to the "
                    "Debugger that shows it"
                )
            self.navigator = system
        elif isinstance(system, System):
            self.navigator = Navigator(system, invariants, **options)
        else:
            raise TypeError(
                f"Debugger takes a dslib.System or a Navigator, got {type(system).__name__}"
            )
        if not (isinstance(window, int) and not isinstance(window, bool) and window >= 1):
            raise ValueError(f"Debugger: window={window!r} must be an int >= 1")
        self.show_diagram = bool(diagram)
        self.window = window
        self.figure: Any = None
        self._updating = False

        self.heading = w.HTML()
        self.message = w.HTML()
        self.back_button = w.Button(description="◀ back", layout=w.Layout(width="90px"))
        self.forward_button = w.Button(description="forward ▶", layout=w.Layout(width="90px"))
        self.position = w.IntSlider(min=0, max=0, value=0, description="step")
        self.branch = w.Dropdown(description="branch", layout=w.Layout(width="420px"))
        self.events = w.Select(rows=8, layout=w.Layout(width="100%"))
        self.take_button = w.Button(description="take", button_style="primary")
        self.state = w.HTML()
        self.invariants = w.HTML()
        self.image = w.Image(format="png")
        self.export_button = w.Button(description="export path")
        self.load_button = w.Button(description="load path")
        self.path_text = w.Textarea(
            placeholder="export writes the path here as JSON; paste a path and press load",
            layout=w.Layout(width="100%", height="60px"),
        )

        self.back_button.on_click(lambda _b: self._act(self.navigator.back))
        self.forward_button.on_click(lambda _b: self._act(self.navigator.forward))
        self.take_button.on_click(lambda _b: self._take())
        self.export_button.on_click(lambda _b: self.export())
        self.load_button.on_click(lambda _b: self._load())
        self.position.observe(self._position_changed, names="value")
        self.branch.observe(self._branch_changed, names="value")

        navigation = w.HBox([self.back_button, self.forward_button, self.position, self.branch])
        # The diagram right under the steps it shows, then the events to take beside the state
        # they act on: side by side, the whole debugger fits a 1000-pixel-tall window.
        half = w.Layout(width="50%", padding="0 8px 0 0")
        choose = w.VBox(
            [w.HTML("<b>enabled events</b> (select one, then take it)"), self.events],
            layout=half,
        )
        look = w.VBox([self.state, w.HTML("<b>invariants</b>"), self.invariants], layout=half)
        self.widget = w.VBox(
            [
                self.heading,
                navigation,
                self.image,
                self.message,
                w.HBox([choose, look]),
                w.HBox([self.take_button, self.export_button, self.load_button]),
                self.path_text,
            ]
        )
        self.update()

    # -- other sources: each builds a Navigator the same way and shows it ------------------
    @classmethod
    def from_steps(
        cls, system: System, *args: Any, diagram: bool = True, **options: Any
    ) -> Debugger:
        """A debugger on a list of steps: ``Navigator.from_steps(system, steps, step,
        invariants, **options)``, shown (``diagram`` as for ``Debugger``)."""
        return cls(Navigator.from_steps(system, *args, **options), diagram=diagram)

    @classmethod
    def from_counterexample(
        cls, system: System, *args: Any, diagram: bool = True, **options: Any
    ) -> Debugger:
        """A debugger on a model-checker counterexample: ``Navigator.from_counterexample(system,
        counterexample, step, invariants, **options)``, shown.

        >>> from dslib.check import ActorModel, check
        >>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
        >>> system = ricart_agrawala(2, mutant="tie_by_timestamp")
        >>> result = check(ActorModel(system), invariants=[at_most_one_critical])
        >>> Debugger.from_counterexample(system, result, 4, [at_most_one_critical], diagram=False)
        Debugger(step 4 of 6: p2 → p1: LockRequest(ts=1); 9 events enabled)
        """
        return cls(Navigator.from_counterexample(system, *args, **options), diagram=diagram)

    @classmethod
    def from_trace(
        cls, system: System, *args: Any, diagram: bool = True, **options: Any
    ) -> Debugger:
        """A debugger on a simulation's trace: ``Navigator.from_trace(system, trace, step,
        invariants, time=..., **options)``, shown."""
        return cls(Navigator.from_trace(system, *args, **options), diagram=diagram)

    @classmethod
    def from_json(
        cls, system: System, *args: Any, diagram: bool = True, **options: Any
    ) -> Debugger:
        """A debugger on a path saved as JSON: ``Navigator.from_json(system, text, step,
        invariants, types, **options)``, shown."""
        return cls(Navigator.from_json(system, *args, **options), diagram=diagram)

    # -- actions ----------------------------------------------------------------------------
    def _act(self, action: Any, *args: Any) -> bool:
        """Run a navigator action; show its error instead of raising (this is a live UI)."""
        try:
            action(*args)
        except (ValueError, TypeError, DslibError) as exc:
            self.update()
            self.message.value = f"<span style='color:#c62828'>{html.escape(str(exc))}</span>"
            return False
        self.update()
        return True

    def _take(self) -> None:
        if self.events.value is None:
            self.message.value = "<span style='color:#c62828'>no event is selected</span>"
            return
        self._act(self.navigator.take, self.events.value)

    def take(self, step: Any) -> None:
        """Take an event (a step as data, or its index among the enabled events) and redraw.

        Raises
        ------
        ValueError
            If it is not enabled.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> debugger = Debugger(ricart_agrawala(2), diagram=False)
        >>> debugger.take(("crash", "p2"))
        >>> debugger.navigator.state.crashed, debugger.back_button.disabled
        (frozenset({'p2'}), False)
        """
        self.navigator.take(step)
        self.update()

    def export(self) -> str:
        """Write the path so far as JSON into ``path_text`` and return it.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> debugger = Debugger.from_steps(ricart_agrawala(2), [("crash", "p1")], diagram=False)
        >>> debugger.export() == debugger.path_text.value == debugger.navigator.to_json()
        True
        """
        text = self.navigator.to_json()
        self.path_text.value = text
        return text

    def _load(self) -> None:
        def load(text: str) -> None:
            nav = self.navigator
            nav.load(steps_from_json(text, nodes=nav.system.ids))

        self._act(load, self.path_text.value)

    def _position_changed(self, change: Any) -> None:
        if not self._updating:
            self._act(self.navigator.goto, change["new"])

    def _branch_changed(self, change: Any) -> None:
        if not self._updating and change["new"] is not None:
            self._act(self.navigator.switch, change["new"])

    # -- drawing ----------------------------------------------------------------------------
    def update(self) -> None:
        """Redraw every part from the navigator (after driving it from code).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> debugger = Debugger(ricart_agrawala(2), diagram=False)
        >>> _ = debugger.navigator.take(("crash", "p1"))
        >>> debugger.update()
        >>> debugger.position.value, "step 1 of 1: crash p1" in debugger.heading.value
        (1, True)
        """
        nav = self.navigator
        self._updating = True
        try:
            self.message.value = ""
            title = f"<div><i>{html.escape(nav.title)}</i></div>" if nav.title else ""
            changed = (
                f"<div style='font-size:90%'>changed: {html.escape(nav.changes())}</div>"
                if nav.last_step is not None
                else ""
            )
            self.heading.value = f"{title}<div><b>{html.escape(nav.heading())}</b></div>{changed}"
            self.state.value = nav.state_html()
            self.invariants.value = nav.invariants_html()
            labels = nav.labels()
            self.events.options = [(f"{i:2}  {label}", i) for i, label in enumerate(labels)]
            self.events.value = 0 if labels else None
            self.take_button.disabled = not labels
            self.back_button.disabled = not nav.can_back
            self.forward_button.disabled = not nav.can_forward
            self.position.max = max(nav.length, 1)
            self.position.value = nav.position
            self.position.disabled = nav.length == 0
            branches = nav.branches()
            self.branch.options = [(str(b), b.number) for b in branches]
            self.branch.value = next(b.number for b in branches if b.current)
            self.branch.disabled = len(branches) < 2
            if self.show_diagram:
                self._draw()
        finally:
            self._updating = False

    def _draw(self) -> None:
        nav = self.navigator
        try:
            self.figure = nav.diagram(window=self.window)
        except Exception as exc:  # the replay failed: say why, keep the rest usable
            self.figure = None
            self.image.value = b""
            self.message.value = (
                "<span style='color:#c62828'>the path does not replay in the simulator: "
                f"{html.escape(str(exc))}</span>"
            )
            return
        # fast compression: the image is redrawn on every click and never stored
        show_figure(self.image, self.figure, fast=True)
        note = nav.divergence()
        if note:
            self.message.value = f"<span style='color:#e65100'>{html.escape(note)}</span>"

    def static(self) -> Any:
        """The current view as a matplotlib figure (``Navigator.render``), for readers without a
        live kernel: show it beside the live widget.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> len(Debugger(ricart_agrawala(2), diagram=False).static().axes)
        2
        """
        return self.navigator.render(window=self.window)

    def __repr__(self) -> str:
        nav = self.navigator
        failed = [s.name for s in nav.check_invariants() if not s.ok]
        what = f"; failing: {', '.join(failed)}" if failed else ""
        n = len(nav.enabled())
        return f"Debugger({nav.heading()}; {n} event{'s' * (n != 1)} enabled{what})"
