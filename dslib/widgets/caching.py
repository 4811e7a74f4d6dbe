"""The hit-ratio explorer of chapter 9: every policy's curve, Che's theory and MIN's bound.

The reader picks the policy to pick out, the cache size to read off, the Zipf exponent of
the workload and the share of requests that are scans; the explorer draws the hit ratio of
every policy of ``dslib.caching.policies`` against cache size on one seeded trace
(``dslib.caching.hitratio.hit_ratio_curves``), with Che's approximation for LRU and
Belady's MIN on the same trace, and lists the hit ratios at the chosen size.

``caching_figure`` draws a ``HitRatioCurves``: it is the static figure the page stores,
and what the explorer shows.

Examples
--------
>>> explorer = CachingExplorer(exponent=1.0)
>>> explorer
CachingExplorer(policy='arc', size=100, exponent=1.0, scan_share=0.0)
>>> explorer.reading()
'size 100: arc 0.5849, LRU 0.4974 (Che 0.5060), MIN 0.6906'
"""

from __future__ import annotations

import html
from typing import Any

from dslib.caching.hitratio import CURVE_POLICIES, HitRatioCurves, hit_ratio_curves
from dslib.widgets.base import ControlTable, Explorer, controls, parameters

__all__ = ["EXPLORER_SIZES", "CachingExplorer", "caching_figure", "explorer_curves"]

EXPLORER_SIZES: tuple[int, ...] = (2, 5, 10, 20, 50, 100, 200, 400)
"""The cache sizes the explorer measures (a catalogue of 2,000 keys: 0.1 % to 20 %)."""

CATALOGUE = 2000
LENGTH = 20_000

_COLOURS = {
    "lru": "#1f77b4",
    "lfu": "#ff7f0e",
    "fifo": "#8c564b",
    "clock": "#9467bd",
    "random": "#7f7f7f",
    "arc": "#2ca02c",
}


def explorer_curves(exponent: float, scan_share: float, seed: int = 0) -> HitRatioCurves:
    """The curves the explorer draws: catalogue 2,000, 20,000 requests, ``EXPLORER_SIZES``.

    Scans are 100 keys long (the size of a mid-sized cache).

    >>> explorer_curves(0.8, 0.0).table.shape
    (8, 8)
    """
    return hit_ratio_curves(
        CATALOGUE,
        exponent,
        sizes=EXPLORER_SIZES,
        length=LENGTH,
        seed=seed,
        scan_share=scan_share,
        scan_length=100,
    )


def caching_figure(
    curves: HitRatioCurves, policy: str | None = None, size: int | None = None
) -> Any:
    """Hit ratio against cache size (log scale): each policy, Che (dashed), MIN (dotted).

    Parameters
    ----------
    curves : HitRatioCurves
        From ``hit_ratio_curves``.
    policy : str, optional
        Drawn thick; the others thin.
    size : int, optional
        A vertical line at this cache size.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> caching_figure(explorer_curves(0.8, 0.0), "lru", 100)
    <Figure size 800x400 with 1 Axes>
    """
    from matplotlib.figure import Figure

    table = curves.table
    fig = Figure(figsize=(8.0, 4.0), dpi=100)
    ax = fig.add_subplot()
    sizes = table.index.to_numpy()
    for name in [c for c in table.columns if c in _COLOURS]:
        chosen = policy is None or name == policy
        ax.plot(
            sizes,
            table[name],
            marker="o",
            markersize=4 if chosen else 2,
            linewidth=2.4 if chosen else 1.0,
            alpha=1.0 if chosen else 0.55,
            color=_COLOURS[name],
            label=name.upper() if name != "random" else "random",
        )
    if "che" in table:
        ax.plot(sizes, table["che"], "k--", linewidth=1.2, label="Che (LRU theory)")
    if "min" in table:
        ax.plot(sizes, table["min"], "k:", linewidth=1.6, label="MIN (optimal)")
    if size is not None:
        ax.axvline(size, color="#c62828", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"cache size (keys, of a catalogue of {curves.catalogue:,})")
    ax.set_ylabel("hit ratio")
    ax.set_title(
        f"Zipf exponent {curves.exponent:g}, scans {curves.scan_share:.0%} of "
        f"{curves.length:,} requests",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", ncol=2)
    fig.tight_layout()
    return fig


_CONTROLS: ControlTable = {
    "policy": ("Dropdown", {"options": list(CURVE_POLICIES), "description": "policy"}),
    "size": ("SelectionSlider", {"options": list(EXPLORER_SIZES), "description": "cache size"}),
    "exponent": (
        "FloatSlider",
        {"min": 0.4, "max": 1.4, "step": 0.1, "description": "Zipf s", "continuous_update": False},
    ),
    "scan_share": (
        "FloatSlider",
        {"min": 0.0, "max": 0.5, "step": 0.05, "description": "scans", "continuous_update": False},
    ),
}


class CachingExplorer(Explorer):
    """Knobs for the policy, cache size, Zipf exponent and scan share; curves redrawn live.

    Changing the exponent or the scan share measures a new trace (about a second);
    changing the policy or the size only redraws. ``curves`` is the last measurement.

    Parameters
    ----------
    policy : str, default "arc"
    size : int, default 100
        One of ``EXPLORER_SIZES``.
    exponent : float, default 0.8
    scan_share : float, default 0.0

    Raises
    ------
    TypeError
        For a parameter the explorer does not have.
    ValueError
        For a policy or size it does not offer, or an exponent or scan share out of range.
    """

    def __init__(self, **initial: Any) -> None:
        import ipywidgets as widgets

        params = parameters(
            "CachingExplorer",
            {"policy": "arc", "size": 100, "exponent": 0.8, "scan_share": 0.0},
            initial,
        )
        if params["policy"] not in CURVE_POLICIES:
            raise ValueError(
                f"CachingExplorer: unknown policy {params['policy']!r}; "
                f"allowed: {', '.join(CURVE_POLICIES)}"
            )
        if params["size"] not in EXPLORER_SIZES:
            raise ValueError(
                f"CachingExplorer: size={params['size']!r}; allowed: {list(EXPLORER_SIZES)}"
            )
        for name, top in (("exponent", 1.4), ("scan_share", 0.5)):
            value = params[name]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"CachingExplorer: {name} must be a number; got {value!r}")
            if not 0 <= value <= top:
                raise ValueError(f"CachingExplorer: {name}={value} must be in [0, {top}]")
        self.controls = controls(params, _CONTROLS, "80px")
        self.text = widgets.HTML()
        self.curves: HitRatioCurves | None = None
        self._measured: tuple[float, float] | None = None
        self._start([("policy", "size"), ("exponent", "scan_share")], below=[self.text])

    def update(self) -> None:
        """Measure again if the workload changed; redraw the figure and the reading."""
        v = self.values()
        workload = (round(float(v["exponent"]), 2), round(float(v["scan_share"]), 2))
        if self.curves is None or workload != self._measured:
            self.curves = explorer_curves(*workload)
            self._measured = workload
        self._show(caching_figure(self.curves, v["policy"], v["size"]), fast=True)
        self.text.value = f"<b>{html.escape(self.reading())}</b>"

    def reading(self) -> str:
        """The hit ratios at the chosen size: the chosen policy, LRU, Che and MIN."""
        assert self.curves is not None
        v = self.values()
        row = self.curves.table.loc[v["size"]]
        return (
            f"size {v['size']}: {v['policy']} {row[v['policy']]:.4f}, LRU {row['lru']:.4f} "
            f"(Che {row['che']:.4f}), MIN {row['min']:.4f}"
        )

    def __repr__(self) -> str:
        v = self.values()
        return (
            f"CachingExplorer(policy={v['policy']!r}, size={v['size']}, "
            f"exponent={round(float(v['exponent']), 2)}, "
            f"scan_share={round(float(v['scan_share']), 2)})"
        )
