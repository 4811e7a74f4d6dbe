"""Figures of a run: the topology of who talked to whom, latency histograms and CDFs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dslib.core import System
from dslib.sim.trace import Trace

__all__ = ["latency_cdf", "latency_histogram", "topology"]


def _new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    return fig.add_subplot()


def _finish(ax: Any, title: str | None, legend: bool = False) -> Any:
    """Add the legend (when several series share the axes) and the title; lay out; the figure."""
    if legend:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    ax.figure.tight_layout()
    return ax.figure


def _series(data: Any) -> dict[str, list[float]]:
    """Normalise a Trace, a list of numbers, or a mapping name -> (Trace | numbers)."""
    if isinstance(data, Trace):
        return {"latency": data.latencies()}
    if isinstance(data, Mapping):
        out = {}
        for name in data:
            value = data[name]
            out[str(name)] = value.latencies() if isinstance(value, Trace) else list(value)
        return out
    if isinstance(data, Sequence):
        return {"latency": list(data)}
    raise TypeError(
        f"expected a Trace, a list of latencies or a dict of them, got {type(data).__name__}"
    )


def latency_histogram(data: Any, bins: int = 30, ax: Any = None, title: str | None = None) -> Any:
    """Histogram of message latencies.

    Parameters
    ----------
    data : Trace, sequence of float, or mapping of name to either
        Where the latencies come from; a mapping draws one histogram per name.
    bins : int, default 30
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> latency_histogram([1.0, 2.0, 2.5, 3.0])
    <Figure size 600x300 with 1 Axes>
    """
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"latency_histogram: bins={bins!r} must be an int >= 1")
    ax = _new_axes(ax, (6.0, 3.0))
    series = _series(data)
    for name, values in series.items():
        ax.hist(values, bins=bins, alpha=0.6, label=name)
    ax.set_xlabel("latency")
    ax.set_ylabel("messages")
    return _finish(ax, title, legend=len(series) > 1)


def latency_cdf(
    data: Any,
    ax: Any = None,
    title: str | None = None,
    xlabel: str = "latency",
    percentiles: Sequence[float] = (50, 99),
) -> Any:
    """Empirical CDF of latencies, with chosen percentiles marked.

    Parameters
    ----------
    data : Trace, sequence of float, or mapping of name to either
        One curve per series.
    percentiles : sequence of float, default (50, 99)
        Percentiles to mark with dotted lines.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> latency_cdf({"fast": [1, 2, 3], "slow": [4, 5, 9]})
    <Figure size 600x300 with 1 Axes>
    """
    ax = _new_axes(ax, (6.0, 3.0))
    series = _series(data)
    for name, values in series.items():
        xs = sorted(values)
        if not xs:
            continue
        n = len(xs)
        ys = [(i + 1) / n for i in range(n)]
        (line,) = ax.step(xs, ys, where="post", label=name)
        for p in percentiles:
            x = xs[min(n - 1, max(0, int(-(-p * n // 100)) - 1))]
            ax.axvline(x, color=line.get_color(), linestyle=":", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction at or below")
    ax.set_ylim(0, 1.02)
    return _finish(ax, title, legend=len(series) > 1)


def topology(source: Trace | System, ax: Any = None, title: str | None = None) -> Any:
    """Who talks to whom: a graph of nodes with an edge per communicating pair.

    From a ``Trace``, edge widths grow with the number of messages sent between
    the pair; from a ``System``, every pair is drawn (a complete graph).

    Examples
    --------
    >>> from dslib.sim.trace import Trace
    >>> t = Trace()
    >>> t.append((0.0, "send", "a", "b", "ping", 1, None))
    >>> topology(t)
    <Figure size 400x400 with 1 Axes>
    """
    import networkx as nx

    graph = nx.Graph()
    if isinstance(source, System):
        graph.add_nodes_from(source.ids)
        ids = source.ids
        graph.add_edges_from((a, b, {"count": 1}) for i, a in enumerate(ids) for b in ids[i + 1 :])
    elif isinstance(source, Trace):
        for e in source:
            if e.node is not None and e.kind in ("init", "restart", "crash"):
                graph.add_node(e.node)
            if e.kind == "send":
                a, b = sorted((str(e.node), str(e.peer)))
                graph.add_node(a)
                graph.add_node(b)
                if graph.has_edge(a, b):
                    graph[a][b]["count"] += 1
                else:
                    graph.add_edge(a, b, count=1)
    else:
        raise TypeError(f"topology takes a Trace or a System, got {type(source).__name__}")
    ax = _new_axes(ax, (4.0, 4.0))
    nodes = sorted(graph.nodes)
    pos = nx.circular_layout(nodes)
    counts = [graph[a][b]["count"] for a, b in sorted(graph.edges)]
    most = max(counts, default=1)
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=sorted(graph.edges),
        ax=ax,
        width=[0.8 + 3.5 * c / most for c in counts],
        edge_color="#90a4ae",
    )
    nx.draw_networkx_nodes(
        graph, pos, nodelist=nodes, ax=ax, node_color="#bbdefb", edgecolors="#1f5fa8", node_size=700
    )
    nx.draw_networkx_labels(graph, pos, labels={n: n for n in nodes}, ax=ax, font_size=8)
    ax.set_axis_off()
    return _finish(ax, title)
