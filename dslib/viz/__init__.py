"""Figures from traces, histories and results (matplotlib, networkx).

Every function returns a matplotlib ``Figure`` built without ``pyplot``, so a
notebook shows it exactly once, and takes an optional ``ax`` to draw into.
Importing this module under IPython registers a PNG renderer for such figures: drawn at
twice the figure's dpi and shown at its natural size, so that text and lines stay sharp on
high-density screens (``dslib.viz.png``).
"""

from dslib.viz.history import linearization_points, plot_history
from dslib.viz.plots import latency_cdf, latency_histogram, topology
from dslib.viz.raft import raft_figure, raft_logs, raft_ring, raft_view
from dslib.viz.spacetime import message_label, space_time_diagram

__all__ = [
    "latency_cdf",
    "latency_histogram",
    "linearization_points",
    "message_label",
    "plot_history",
    "raft_figure",
    "raft_logs",
    "raft_ring",
    "raft_view",
    "space_time_diagram",
    "topology",
]


def _register_png_formatter() -> None:
    """Let IPython show a bare ``Figure`` (one not made by pyplot) as ``notebook_png`` makes it.

    A PNG rather than an SVG: the same figure gives the same bytes on every run (matplotlib's
    SVG ids are random unless salted), a plot of many points stays small, and the stored
    notebook holds pixels that look the same in every front end.
    """
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None:
        return
    from dslib.viz.png import notebook_png

    shell.display_formatter.formatters["image/png"].for_type(Figure, notebook_png)


_register_png_formatter()
