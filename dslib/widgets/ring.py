"""The consistent-hashing ring explorer of chapter 13: nodes, virtual nodes, keys, and what
moves when a node joins or leaves.

``ring_scenario`` is the pure part: a ring of ``nodes`` nodes with ``vnodes``
points each, ``keys`` keys, and optionally one node joining (``n{N+1}``) or
leaving (``n{N}``); it counts the keys on each node before and after and the
keys that move, and, for comparison, how many would move with hash mod N.
``ring_figure`` draws it; ``RingExplorer`` puts sliders in front of both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import dslib.viz  # noqa: F401  (registers the PNG renderer of bare figures)
from dslib.sharding.partitioning import (
    RING_SIZE,
    ConsistentHashRing,
    ModHash,
    make_keys,
    moved_keys,
    stable_hash,
)
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["CHANGES", "RingExplorer", "RingScenario", "ring_figure", "ring_scenario"]

CHANGES = ("none", "join", "leave")
"""What happens to the ring: nothing, a node joins, a node leaves."""

_COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
    "#8c6d31",
)


@dataclass(frozen=True)
class RingScenario:
    """A ring before and after one change, and what the change moved.

    Attributes
    ----------
    before, after : ConsistentHashRing
    change : str
        ``"none"``, ``"join"`` or ``"leave"``.
    keys : tuple of str
    moved : tuple of str
        The keys whose node changed.
    moved_mod_n : int
        How many keys hash mod N would have moved for the same change.
    """

    before: ConsistentHashRing
    after: ConsistentHashRing
    change: str
    keys: tuple[str, ...]
    moved: tuple[str, ...]
    moved_mod_n: int

    def counts(self, ring: ConsistentHashRing) -> dict[str, int]:
        """Keys per node of ``ring`` (every node, zero included)."""
        out = dict.fromkeys(ring.nodes, 0)
        for k in self.keys:
            out[ring.lookup(k)] += 1
        return out

    def ideal(self) -> float:
        """The even share: the fraction of keys a scheme that stays balanced must move,
        ``1 / (N + 1)`` on a join, ``1 / N`` on a leave (the keys of the node that leaves),
        0 otherwise. An unbalanced ring can move less (the method keeps its old name)."""
        if self.change == "join":
            return 1 / len(self.after.nodes)
        if self.change == "leave":
            return 1 / len(self.before.nodes)
        return 0.0


def ring_scenario(
    nodes: int = 4, vnodes: int = 1, keys: int = 200, change: str = "join"
) -> RingScenario:
    """Build the ring, apply the change, and find what moved.

    Parameters
    ----------
    nodes : int, default 4
        Nodes ``n1 .. nN`` (at least 2).
    vnodes : int, default 1
        Points per node.
    keys : int, default 200
    change : {"none", "join", "leave"}
        ``"join"`` adds ``n{N+1}``; ``"leave"`` removes ``nN``.

    Examples
    --------
    >>> s = ring_scenario(nodes=4, vnodes=8, keys=200, change="join")
    >>> len(s.moved), s.moved_mod_n, round(s.ideal(), 2)
    (32, 144, 0.2)
    >>> all(s.after.lookup(k) == "n5" for k in s.moved)  # every moved key goes to the new node
    True
    """
    if not (isinstance(nodes, int) and nodes >= 2):
        raise ValueError(f"ring_scenario: nodes={nodes!r} must be an int >= 2")
    if change not in CHANGES:
        raise ValueError(f"ring_scenario: change={change!r}; choose one of {', '.join(CHANGES)}")
    names = [f"n{i}" for i in range(1, nodes + 1)]
    before = ConsistentHashRing(names, vnodes)
    key_list = make_keys(keys)
    if change == "join":
        after = before.with_node(f"n{nodes + 1}")
        mod_after = ModHash([*names, f"n{nodes + 1}"])
    elif change == "leave":
        after = before.without_node(names[-1])
        mod_after = ModHash(names[:-1])
    else:
        after = before
        mod_after = ModHash(names)
    moved = tuple(k for k in key_list if before.lookup(k) != after.lookup(k))
    return RingScenario(
        before,
        after,
        change,
        tuple(key_list),
        moved,
        moved_keys(ModHash(names), mod_after, key_list),
    )


def _angle(h: float) -> float:
    """Ring position to angle: 0 at the top, clockwise."""
    return math.pi / 2 - 2 * math.pi * h / RING_SIZE


def _draw_ring(
    ax: Any,
    ring: ConsistentHashRing,
    keys: tuple[str, ...],
    moved: set[str],
    colors: dict[str, str],
    title: str,
) -> None:
    ax.set_aspect("equal")
    ax.set_axis_off()
    points = ring.points
    prev = points[-1][0] - RING_SIZE
    for h, node in points:  # each arc (prev, h] belongs to the node of h
        steps = max(2, int(60 * (h - prev) / RING_SIZE) + 2)
        thetas = [_angle(prev + (h - prev) * i / (steps - 1)) for i in range(steps)]
        ax.plot(
            [math.cos(t) for t in thetas],
            [math.sin(t) for t in thetas],
            color=colors[node],
            linewidth=5,
            solid_capstyle="butt",
        )
        prev = h
    for h, node in points:
        t = _angle(h)
        ax.plot(
            [math.cos(t)],
            [math.sin(t)],
            "o",
            color=colors[node],
            markersize=7,
            markeredgecolor="black",
            markeredgewidth=0.6,
        )
    for k in keys:
        t = _angle(stable_hash(k))
        r = 0.86
        node = ring.lookup(k)
        if k in moved:
            ax.plot([r * math.cos(t)], [r * math.sin(t)], "x", color="black", markersize=5)
        else:
            ax.plot([r * math.cos(t)], [r * math.sin(t)], ".", color=colors[node], markersize=3)
    ax.set_xlim(-1.15, 1.15)
    ax.set_ylim(-1.15, 1.15)
    ax.set_title(title, fontsize=9)


def ring_figure(scenario: RingScenario) -> Any:
    """The ring after the change (moved keys as black crosses), keys per node before and
    after, and the keys moved against the even share (``RingScenario.ideal``) and hash mod N.

    >>> ring_figure(ring_scenario(nodes=3, vnodes=2, keys=50, change="leave"))
    <Figure size 900x330 with 3 Axes>
    """
    from matplotlib.figure import Figure

    every = sorted(set(scenario.before.nodes) | set(scenario.after.nodes), key=lambda n: int(n[1:]))
    colors = {n: _COLORS[i % len(_COLORS)] for i, n in enumerate(every)}
    fig = Figure(figsize=(9.0, 3.3), dpi=100)
    grid = fig.add_gridspec(1, 3, width_ratios=(1.1, 1.2, 0.8))
    ring_ax = fig.add_subplot(grid[0, 0])
    v = scenario.before.vnodes
    _draw_ring(
        ring_ax,
        scenario.after,
        scenario.keys,
        set(scenario.moved),
        colors,
        f"{len(scenario.after.nodes)} nodes x {v} point{'s' if v != 1 else ''}"
        + ("" if scenario.change == "none" else f" (after the {scenario.change})"),
    )
    bars = fig.add_subplot(grid[0, 1])
    before, after = scenario.counts(scenario.before), scenario.counts(scenario.after)
    xs = range(len(every))
    bars.bar(
        [x - 0.2 for x in xs],
        [before.get(n, 0) for n in every],
        width=0.4,
        color=[colors[n] for n in every],
        alpha=0.45,
        label="before",
    )
    bars.bar(
        [x + 0.2 for x in xs],
        [after.get(n, 0) for n in every],
        width=0.4,
        color=[colors[n] for n in every],
        label="after",
    )
    bars.axhline(
        len(scenario.keys) / len(scenario.after.nodes),
        color="black",
        linestyle=":",
        linewidth=1,
        label="even share",
    )
    bars.set_xticks(list(xs))
    bars.set_xticklabels(every, fontsize=8)
    bars.set_ylabel("keys", fontsize=8)
    bars.tick_params(labelsize=8)
    bars.legend(fontsize=7)
    bars.set_title("keys per node", fontsize=9)
    moved_ax = fig.add_subplot(grid[0, 2])
    n = len(scenario.keys)
    values = [100 * scenario.ideal(), 100 * len(scenario.moved) / n, 100 * scenario.moved_mod_n / n]
    moved_ax.bar(["even share", "ring", "mod N"], values, color=["#bbbbbb", "#1f5fa8", "#c62828"])
    for x, val in enumerate(values):
        moved_ax.text(x, val + 1, f"{val:.0f}%", ha="center", fontsize=8)
    moved_ax.set_ylim(0, 105)
    moved_ax.set_ylabel("% of keys moved", fontsize=8)
    moved_ax.tick_params(labelsize=8)
    moved_ax.set_title(f"keys moved ({scenario.change})", fontsize=9)
    fig.tight_layout()
    return fig


_CONTROLS: ControlTable = {
    "nodes": ("IntSlider", {"min": 2, "max": 12, "description": "nodes"}),
    "vnodes": ("IntSlider", {"min": 1, "max": 64, "description": "vnodes"}),
    "keys": ("IntSlider", {"min": 20, "max": 1000, "step": 20, "description": "keys"}),
    "change": ("Dropdown", {"options": CHANGES, "description": "change"}),
}


class RingExplorer(Explorer):
    """Sliders for ``ring_scenario``; the figure is redrawn on every change.

    ``controls`` maps each parameter to its widget, so tests (and readers) can
    set values from code; ``scenario`` is the last one drawn.

    Examples
    --------
    >>> explorer = RingExplorer(nodes=3)
    >>> explorer.controls["change"].value = "leave"
    >>> explorer.scenario.change, len(explorer.scenario.after.nodes)
    ('leave', 2)
    """

    def __init__(self, **initial: Any) -> None:
        params: dict[str, Any] = {"nodes": 4, "vnodes": 1, "keys": 200, "change": "join"}
        params = parameters("RingExplorer", params, initial)
        self.controls = controls(params, _CONTROLS, "70px")
        self.scenario: RingScenario | None = None
        self._start([("nodes", "vnodes"), ("keys", "change")], rows=True)

    def update(self) -> None:
        """Rebuild the scenario with the current values and redraw."""
        self.scenario = ring_scenario(**self.values())
        self._show(ring_figure(self.scenario))
