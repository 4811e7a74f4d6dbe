"""A picture of a history: one row per process, one interval per operation.

``plot_history`` draws what the clients saw, and, given a checker's result,
why it is or is not allowed: for a linearizability result, the order found is
numbered at each operation's *linearization point* (an instant inside its
interval at which it can be taken to happen); for a violation, the operations
that cannot be ordered are red and the longest partial linearization the
search found is numbered, so the eye can follow the order up to the point
where it breaks.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

from dslib.consistency.histories import TimedOperation, describe, timeline
from dslib.consistency.results import ConsistencyResult
from dslib.consistency.sessions import SessionResult
from dslib.core import stable_repr
from dslib.sim.history import History, Operation
from dslib.viz.plots import _new_axes

__all__ = ["linearization_points", "plot_history"]

_OK, _FAIL, _INFO = "#9ecae1", "#e0e0e0", "#fdd0a2"
_CORE, _CONTEXT, _ORDER = "#d62728", "#ff9896", "#08519c"


def linearization_points(history: History, order: Sequence[Operation]) -> dict[int, float]:
    """A time inside each operation's interval at which it can be taken to happen.

    ``order`` must respect real time (a linearization, or a prefix of one, of
    one group). Two valid choices bound the points: the *earliest*, the
    latest invocation among the first ``i`` operations, and the *latest*, the
    earliest completion among operations ``i`` onwards. Both lie inside each
    interval and never decrease along ``order``, so their midpoint does too;
    that is the point drawn (the earliest when no later operation completes).

    Parameters
    ----------
    history : History
    order : sequence of Operation
        Operations of ``history`` in linearization order.

    Returns
    -------
    dict
        Operation index -> time.

    Examples
    --------
    >>> from dslib.consistency import history_from_intervals
    >>> h = history_from_intervals([("a", "write", 1, None, 0, 4), ("b", "read", None, 1, 2, 3)])
    >>> linearization_points(h, h.operations())
    {0: 1.5, 1: 2.5}
    """
    timed = {t.op.index: t for t in timeline(history)}
    times = [e.time for e in history.events]
    early: list[float] = []
    last = -1
    for op in order:
        last = max(last, timed[op.index].invoke)
        early.append(times[last])
    late: list[float] = []
    first = math.inf
    for op in reversed(order):
        first = min(first, timed[op.index].complete)
        late.append(times[int(first)] if math.isfinite(first) else math.inf)
    late.reverse()
    return {
        op.index: e if math.isinf(lt) else (e + lt) / 2
        for op, e, lt in zip(order, early, late, strict=True)
    }


def _ops_of(history: History, key: Hashable, keyed: bool) -> list[TimedOperation]:
    timed = timeline(history)
    if keyed:
        timed = [t for t in timed if t.op.key == key]
    return timed


def plot_history(
    history: History,
    result: ConsistencyResult | SessionResult | None = None,
    ax: Any = None,
    *,
    key: Hashable = None,
    title: str | None = None,
    labels: bool | None = None,
    window: tuple[float, float] | None = None,
) -> Any:
    """Draw a history, and optionally what a checker found.

    Parameters
    ----------
    history : History
    result : ConsistencyResult or SessionResult, optional
        From ``check_linearizable`` or ``check_sequential`` (the order found,
        or the operations that cannot be ordered in red, the core darker, and
        the longest partial order numbered), or from ``check_sessions`` (each
        violation's two operations in red, joined by an arrow).
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure.
    key : hashable, optional
        Draw only the operations on this key. By default, for a violation in
        a group of a partitioned model (a key of a map), that group.
    title : str, optional
        By default a one-line summary of ``result``.
    labels : bool, optional
        Write ``f(value) -> result`` above each interval. By default, every
        interval when at most 30 are drawn, else only the highlighted ones.
    window : (float, float), optional
        Draw only the operations that overlap this time window (to zoom in
        on a violation in a long history).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``history`` is not a History or ``result`` is of another type.

    Examples
    --------
    >>> from dslib.consistency import Register, check_linearizable, history_from_intervals
    >>> h = history_from_intervals([
    ...     ("c1", "write", 1, None, 0, 1), ("c2", "write", 2, None, 2, 3),
    ...     ("c3", "read", None, 1, 4, 5)])
    >>> plot_history(h, check_linearizable(h, Register()))
    <Figure size 700x310 with 1 Axes>
    """
    if not isinstance(history, History):
        raise TypeError(f"plot_history: expected a dslib History, got {type(history).__name__}")
    if result is not None and not isinstance(result, (ConsistencyResult, SessionResult)):
        raise TypeError(
            "plot_history: result must be what check_linearizable, check_sequential or "
            f"check_sessions returned, got {type(result).__name__}"
        )
    if window is not None and not (
        isinstance(window, tuple)
        and len(window) == 2
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in window)
        and window[0] < window[1]
    ):
        raise ValueError(
            f"plot_history: window={window!r} must be a pair (start, end), start < end"
        )
    keyed = key is not None
    if (
        not keyed
        and isinstance(result, ConsistencyResult)
        and result.verdict == "violation"
        and result.groups > 1
    ):
        key, keyed = result.group, True
    timed = _ops_of(history, key, keyed)
    if window is not None:
        timed = [
            t for t in timed if t.op.invoke_time <= window[1] and t.op.complete_time >= window[0]
        ]
    processes = sorted({t.op.process for t in timed}, key=stable_repr)
    row = {p: i for i, p in enumerate(processes)}
    starts = [t.op.invoke_time for t in timed]
    ends = [t.op.complete_time for t in timed if math.isfinite(t.op.complete_time)]
    lo = min(starts, default=0.0) if window is None else window[0]
    hi = max(ends + starts, default=1.0) if window is None else window[1]
    span = max(hi - lo, 1e-9)
    right = hi + 0.08 * span  # where open (info) intervals end

    ax = _new_axes(ax, (7.0, 1.3 + 0.6 * max(1, len(processes))))
    fig = ax.figure

    core: set[int] = set()
    context: set[int] = set()
    numbers: dict[int, tuple[int, float]] = {}
    arrows: list[tuple[Operation, Operation]] = []
    if isinstance(result, ConsistencyResult):
        if result.verdict == "violation":
            core = {op.index for op in result.core}
            context = {op.index for op in result.minimal} - core
            sequence: Sequence[Operation] = result.partial
        else:
            sequence = result.order if result.verdict == "ok" else ()
        if result.criterion == "linearizability":
            points = linearization_points(history, sequence)
            numbers = {op.index: (i + 1, points[op.index]) for i, op in enumerate(sequence)}
        else:
            numbers = {op.index: (i + 1, op.invoke_time) for i, op in enumerate(sequence)}
    elif isinstance(result, SessionResult):
        for v in result.violations:
            core |= {v.first.index, v.second.index}
            arrows.append((v.first, v.second))

    highlighted = core | context if labels is None else set()
    if labels is None:
        labels = len(timed) <= 30
    for t in timed:
        op = t.op
        y = row[op.process]
        end = op.complete_time if math.isfinite(op.complete_time) else right
        if op.index in core:
            color = _CORE
        elif op.index in context:
            color = _CONTEXT
        else:
            color = {"ok": _OK, "fail": _FAIL}.get(op.status, _INFO)
        ax.barh(
            y,
            max(end - op.invoke_time, span * 0.004),
            left=op.invoke_time,
            height=0.32,
            color=color,
            edgecolor="#555555",
            linewidth=0.6,
            linestyle="--" if op.status == "info" else "-",
        )
        if labels or op.index in highlighted:
            ax.text(
                (max(op.invoke_time, lo) + min(end, hi)) / 2,
                y - 0.2,
                describe(op),
                ha="center",
                va="bottom",
                fontsize=7,
            )
        if op.index in numbers:
            n, x = numbers[op.index]
            x = min(max(x, op.invoke_time + span * 0.005), end)
            if not lo <= x <= right:
                continue  # outside the window drawn
            ax.text(
                x,
                y,
                str(n),
                ha="center",
                va="center",
                fontsize=6.5,
                color="white",
                bbox={"boxstyle": "circle,pad=0.2", "fc": _ORDER, "ec": "none"},
            )
    for first, second in arrows:
        if first.process in row and second.process in row:
            x0 = first.complete_time if math.isfinite(first.complete_time) else right
            ax.annotate(
                "",
                xy=(second.invoke_time, row[second.process]),
                xytext=(x0, row[first.process]),
                arrowprops={"arrowstyle": "->", "color": _CORE, "lw": 1.0},
            )

    ax.set_yticks(range(len(processes)))
    ax.set_yticklabels([str(p) for p in processes], fontsize=8)
    ax.set_ylim(len(processes) - 0.4, -0.7)
    ax.set_xlim(lo - 0.03 * span, right + 0.02 * span)
    ax.set_xlabel("time", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        title if title is not None else _summary(result, key if keyed else None), fontsize=9
    )
    fig.tight_layout()
    return fig


def _summary(result: ConsistencyResult | SessionResult | None, key: Hashable) -> str:
    where = f" (key {key!r})" if key is not None else ""
    if result is None:
        return f"history{where}"
    if isinstance(result, SessionResult):
        if result.ok:
            return f"session guarantees hold{where}"
        broken = ", ".join(g for g, status, _ in result.table() if status == "violated")
        return f"broken{where}: {broken}\nred: the two operations of each violation"
    what = "linearization" if result.criterion == "linearizability" else "order"
    if result.verdict == "ok":
        return f"{result.criterion}: ok{where}\nnumbers: a valid {what}"
    if result.verdict == "unknown":
        return f"{result.criterion}: unknown{where}"
    return (
        f"{result.criterion}: violation{where}\nred: {len(result.minimal)} operations that "
        f"cannot be ordered (dark: the core); numbers: the longest partial {what}"
    )
