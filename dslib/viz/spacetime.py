"""Space-time (message sequence) diagrams of a trace.

A line per node, time running left to right; an arrow per message from its
send to its delivery; a lost message ends in a red cross where it would have
arrived; a crashed node's line is greyed out until it restarts; timer firings
are small ticks; a partition is a shaded band.

The figure is built without ``pyplot`` (a bare ``Figure``), so a notebook shows
it once, and scripts can save it with ``fig.savefig``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dslib.sim.trace import Trace, TraceEvent
from dslib.viz.plots import _new_axes

__all__ = ["message_label", "space_time_diagram"]

_COLORS = {"deliver": "#1f5fa8", "drop": "#c62828", "duplicate": "#8e24aa"}


def message_label(msg: Any, width: int = 24) -> str:
    """A short label for a message: its class name and fields, cut to ``width`` characters.

    >>> from dslib.sim.clients import Reply
    >>> message_label(Reply(3, True, "x"))
    "Reply(3, True, 'x')"
    >>> message_label(Reply(3, True, "a long result"), width=16)
    'Reply(3, True,..'
    """
    if isinstance(msg, str):
        text = msg
    elif hasattr(msg, "__dataclass_fields__"):
        fields = [repr(getattr(msg, f)) for f in msg.__dataclass_fields__]
        text = f"{type(msg).__name__}({', '.join(fields)})"
    else:
        text = repr(msg)
    return text if len(text) <= width else text[: width - 2] + ".."


def space_time_diagram(
    trace: Trace | Iterable[TraceEvent],
    nodes: Sequence[str] | None = None,
    start: float | None = None,
    end: float | None = None,
    labels: bool | None = None,
    timers: bool = True,
    title: str | None = None,
    ax: Any = None,
    figsize: tuple[float, float] | None = None,
    *,
    label: Callable[[Any], str | None] | None = None,
    marks: Mapping[tuple[str, float], str] | Iterable[tuple[str, float, str]] | None = None,
    xlabel: str = "time",
) -> Any:
    """Draw a trace as a space-time diagram.

    Parameters
    ----------
    trace : Trace or iterable of TraceEvent
        What to draw (a simulation's ``sim.trace``, or a replayed counterexample's).
    nodes : sequence of str, optional
        Which nodes, top to bottom (default: every node in the trace, sorted).
    start, end : float, optional
        The window of time to draw (default: all of it).
    labels : bool, optional
        Write each message's label on its arrow (default: when there are at most 40).
    timers : bool, default True
        Mark timer firings with a tick.
    title : str, optional
        The figure's title.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    figsize : (float, float), optional
        Size of a new figure in inches (default grows with the number of nodes).
    label : callable, optional
        ``label(message) -> str or None``: the text on each message's arrow, ``None`` for
        no text on that arrow (default: ``message_label``, the message's class and fields).
        Given a ``label``, labels are drawn unless ``labels=False``.
    marks : mapping or iterable, optional
        Short texts written at events: a mapping from ``(node, time)`` to the text, or
        ``(node, time, text)`` triples. Each event gets a dot on its node's line, and its
        text sits beside it where it overlaps no other mark or label.
    xlabel : str, default "time"
        The label of the time axis (say which unit the times are in).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``label`` is not callable, returns something other than a str or None, or a mark
        is not ``(node, time, text)``.
    ValueError
        If a mark names a node that is not drawn.

    Examples
    --------
    >>> from dslib.sim.trace import Trace
    >>> t = Trace()
    >>> t.append((0.0, "send", "a", "b", "ping", 1, None))
    >>> t.append((1.0, "deliver", "b", "a", "ping", 1, None))
    >>> space_time_diagram(t)
    <Figure size 700x170 with 1 Axes>

    A label of our own (none on some arrows), the events named, the unit on the axis:

    >>> t.append((1.0, "send", "b", "a", "pong", 2, None))
    >>> t.append((2.0, "deliver", "a", "b", "pong", 2, None))
    >>> fig = space_time_diagram(
    ...     t, label=lambda m: m if m == "ping" else None,
    ...     marks={("a", 0.0): "a.0", ("b", 1.0): "b.0"}, xlabel="time (ms)")
    >>> sorted(text.get_text() for text in fig.axes[0].texts if text.get_text())
    ['a.0', 'b.0', 'ping']
    >>> fig.axes[0].get_xlabel()
    'time (ms)'
    >>> space_time_diagram(t, marks=[("c", 0.0, "c.0")])
    Traceback (most recent call last):
    ...
    ValueError: space_time_diagram: mark ('c', 0.0, 'c.0') is on node 'c', which is not drawn; drawn: ['a', 'b']
    """  # noqa: E501
    if label is not None and not callable(label):
        raise TypeError(f"space_time_diagram: label={label!r} must be a function message -> str")
    events = list(trace)
    if nodes is None:
        found = {e.node for e in events if e.node is not None}
        found |= {e.peer for e in events if e.peer is not None}
        nodes = sorted(found)
    else:
        nodes = list(nodes)
    lane = {n: i for i, n in enumerate(nodes)}
    mark_list = _marks(marks, lane)
    times = [e.time for e in events]
    t0 = start if start is not None else (min(times) if times else 0.0)
    t1 = end if end is not None else (max(times) if times else 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0

    def visible(t: float) -> bool:
        return t0 <= t <= t1

    # Messages: each send paired with its delivery or drop.
    sends: dict[int, TraceEvent] = {}
    arrows = []
    for e in events:
        if e.kind == "send" and e.ref is not None:
            sends[e.ref] = e
        elif e.kind == "duplicate" and e.ref is not None:
            original = sends.get(e.detail)
            if original is not None:
                sends[e.ref] = original
        elif e.kind in ("deliver", "drop") and e.ref in sends:
            s = sends[e.ref]
            if s.node in lane and e.node in lane and (visible(s.time) or visible(e.time)):
                arrows.append((s, e))
    if labels is None:
        labels = label is not None or len(arrows) <= 40
    if figsize is None:
        # Wider for busy traces: an inch per 20 messages past 40, up to 14 inches.
        figsize = (
            7.0 + min(7.0, max(0, len(arrows) - 40) / 20),
            0.8 + 0.45 * max(2, len(nodes)),
        )
    ax = _new_axes(ax, figsize)
    fig = ax.figure

    def y(node: str) -> float:
        return float(len(nodes) - 1 - lane[node])

    # Node lines, greyed out while crashed.
    down_since: dict[str, float] = {}
    down: list[tuple[str, float, float]] = []
    for e in events:
        if e.kind == "crash" and e.node in lane:
            down_since[e.node] = e.time
        elif e.kind == "restart" and e.node in down_since:
            down.append((e.node, down_since.pop(e.node), e.time))
    down += [(n, t, t1) for n, t in down_since.items()]
    for n in nodes:
        ax.hlines(y(n), t0, t1, color="#444444", linewidth=1.2, zorder=1)
    for n, a, b in down:
        ax.hlines(y(n), max(a, t0), min(b, t1), color="#dddddd", linewidth=4, zorder=2)
        if visible(a):
            ax.plot([a], [y(n)], marker="X", color="#c62828", markersize=9, zorder=5)

    # Partitions: shaded from the Partition/Cut fault to the next Heal.
    part_start: float | None = None
    for e in events:
        name = type(e.data).__name__ if e.kind == "fault" else ""
        if name in ("Partition", "Cut") and part_start is None:
            part_start = e.time
        elif name == "Heal" and part_start is not None:
            ax.axvspan(max(part_start, t0), min(e.time, t1), color="#fff3cd", zorder=0)
            part_start = None
    if part_start is not None:
        ax.axvspan(max(part_start, t0), t1, color="#fff3cd", zorder=0)

    pending: list[tuple[float, float, float, float, str, str]] = []  # labels, placed last
    for s, e in arrows:
        color = _COLORS["drop"] if e.kind == "drop" else _COLORS["deliver"]
        x0, y0, x1, y1 = s.time, y(str(s.node)), e.time, y(str(e.node))
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-" if e.kind == "drop" else "->",
                "color": color,
                "linewidth": 0.9,
                "linestyle": "--" if e.kind == "drop" else "-",
                "shrinkA": 0,
                "shrinkB": 0,
            },
            zorder=3,
        )
        if e.kind == "drop":
            ax.plot([x1], [y1], marker="x", color=color, markersize=7, zorder=4)
        if labels:
            text = message_label(s.data) if label is None else label(s.data)
            if text is not None and not isinstance(text, str):
                raise TypeError(
                    f"space_time_diagram: label({s.data!r}) returned {text!r}; "
                    "allowed: a str or None"
                )
            if text:
                pending.append((x0, y0, x1, y1, text, color))

    if timers:
        xs = [e.time for e in events if e.kind == "timer" and e.node in lane and visible(e.time)]
        ys = [y(e.node) for e in events if e.kind == "timer" and e.node in lane and visible(e.time)]
        ax.plot(xs, ys, linestyle="none", marker="|", color="#2e7d32", markersize=9, zorder=4)

    ax.set_yticks([y(n) for n in nodes])
    ax.set_yticklabels(nodes)
    ax.set_ylim(-0.6, len(nodes) - 0.4)
    ax.set_xlim(t0 - 0.02 * (t1 - t0), t1 + 0.02 * (t1 - t0))
    ax.set_xlabel(xlabel)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    placed_marks = [(x, y(node), text) for node, x, text in mark_list if visible(x)]
    if placed_marks:
        ax.plot(
            [x for x, _, _ in placed_marks],
            [yy for _, yy, _ in placed_marks],
            linestyle="none", marker="o", color="#333333", markersize=3, zorder=5,
        )  # fmt: skip
    fig.tight_layout()
    taken = _place_marks(ax, placed_marks)
    _place_labels(ax, pending, taken)
    return fig


def _marks(
    marks: Mapping[tuple[str, float], str] | Iterable[tuple[str, float, str]] | None,
    lane: Mapping[str, int],
) -> list[tuple[str, float, str]]:
    """The marks as sorted ``(node, time, text)`` triples, checked."""
    if marks is None:
        return []
    items = (
        [(*key, text) for key, text in marks.items()]
        if isinstance(marks, Mapping)
        else [tuple(m) for m in marks]
    )
    out = []
    for m in items:
        if not (
            len(m) == 3
            and isinstance(m[0], str)
            and isinstance(m[1], (int, float))
            and not isinstance(m[1], bool)
            and isinstance(m[2], str)
        ):
            raise TypeError(
                f"space_time_diagram: mark {m!r} must be (node, time, text): "
                "a str, a number and a str"
            )
        if m[0] not in lane:
            raise ValueError(
                f"space_time_diagram: mark {m!r} is on node {m[0]!r}, which is not drawn; "
                f"drawn: {sorted(lane)}"
            )
        out.append((m[0], float(m[1]), m[2]))
    return sorted(out, key=lambda m: (m[1], m[0], m[2]))


# Where a mark's text may sit, in points from its event, in order of preference: above, below,
# then above or below to either side.
_MARK_PLACES = ((0, 4), (0, -4), (-9, 4), (9, 4), (-9, -4), (9, -4), (0, 11), (0, -11))


def _place_marks(ax: Any, marks: list[tuple[float, float, str]]) -> list[Any]:
    """Write each mark's text next to its event, where it overlaps no text written before.

    Returns the extents (in display pixels) of the texts written, for the labels to avoid.
    """
    taken: list[Any] = []
    for x, y, text in marks:
        artist = ax.annotate(
            text, xy=(x, y), xytext=(0, 0), textcoords="offset points", fontsize=6.5,
            color="#333333", ha="center", va="bottom", zorder=6,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.3},
        )  # fmt: skip
        for dx, dy in (*_MARK_PLACES, _MARK_PLACES[0]):
            artist.set_position((dx, dy))
            artist.set_va("bottom" if dy > 0 else "top")
            box = artist.get_window_extent().expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken):
                break
        taken.append(artist.get_window_extent())
    return taken


# Where along its arrow a label may sit, in order of preference: the middle first.
_LABEL_PLACES = (0.5, 0.3, 0.7, 0.15, 0.85)


def _place_labels(
    ax: Any,
    labels: list[tuple[float, float, float, float, str, str]],
    taken: list[Any] | None = None,
) -> None:
    """Write each message's label on its arrow where it overlaps no label written before.

    Two messages that cross (each node sends to the other at about the same time) have the
    same midpoint, so labels there would be written over each other; each label takes the
    first place along its arrow (``_LABEL_PLACES``) that is free, or the middle if none is.
    Done after the layout, in the pixels the figure is drawn with. ``taken`` holds the extents
    of texts already written (the marks), which the labels avoid too.
    """
    taken = list(taken or [])
    for x0, y0, x1, y1, text, color in labels:
        label = ax.text(
            0.0, 0.0, text, fontsize=6.5, color=color, ha="center", va="bottom", zorder=6,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 0.5},
        )  # fmt: skip
        for place in (*_LABEL_PLACES, 0.5):
            label.set_position((x0 + place * (x1 - x0), y0 + place * (y1 - y0)))
            box = label.get_window_extent().expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken):
                break
        taken.append(label.get_window_extent())
