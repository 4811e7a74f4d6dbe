"""Drawings of chapter 16's protocol runs (the systems live in ``dslib.security``)."""

from __future__ import annotations

from typing import Any

from dslib.security.needham_schroeder import attack_trace
from dslib.viz.spacetime import space_time_diagram

__all__ = ["attack_diagram"]


def attack_diagram(counterexample: Any, title: str | None = None) -> Any:
    """Draw a counterexample as a space-time diagram: lanes A, I (the network), B.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return space_time_diagram(
        attack_trace(counterexample),
        nodes=["A", "I", "B"],
        labels=True,
        timers=False,
        title=title,
        figsize=(8.0, 3.0),
    )
