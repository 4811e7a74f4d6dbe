"""Figures from traces, histories and results (matplotlib, networkx).

Every function returns a matplotlib ``Figure`` built without ``pyplot``, so a
notebook shows it exactly once, and takes an optional ``ax`` to draw into.
"""

from dslib.viz.plots import latency_cdf, latency_histogram, topology
from dslib.viz.spacetime import message_label, space_time_diagram

__all__ = [
    "latency_cdf",
    "latency_histogram",
    "message_label",
    "space_time_diagram",
    "topology",
]
