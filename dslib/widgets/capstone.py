"""The capstone explorer of chapter 17: one small run of the sharded store, stepped in time.

``CapstoneController`` runs the capstone store (``dslib.capstone.shardkv.run_shardkv``: shard
groups and the controller, each a Raft group of three servers; clients and a bank client;
an admin that changes the configuration; the nemesis if faults are on; optionally a mutant)
and keeps its timeline (``dslib.capstone.observe.shardkv_timeline``) and its faults
(``fault_intervals``). A time cursor steps through the run: ``at()`` says, at the cursor,
which group serves which shard, who leads each group, the latest configuration and the
faults in force. ``capstone_figure`` draws it: the whole run as one lane per group (its
leaders coloured by term, faults shaded, the cursor a red line), the shards at the cursor
(filled where a group serves the shard, outlined where the configuration says it should),
and the run's five verdicts. ``CapstonePlayground`` puts the knobs and buttons on it.

Examples
--------
>>> c = CapstoneController(seed=1, groups=2, faults=False)
>>> c.seek(400.0)
>>> c.at().serving
(('g1', (0, 1, 2)), ('g2', (3, 4, 5)))
>>> c.summary()
't=400 of 5500 ms, c2: g1 serves 0 1 2, g2 serves 3 4 5; verdicts all ok'
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dslib.capstone.observe import (
    FAULT_COLOURS,
    FaultInterval,
    Timeline,
    fault_intervals,
    shardkv_timeline,
)
from dslib.capstone.shardkv import MUTANTS, ShardKVRun, run_shardkv
from dslib.widgets.base import Playground, given_controller, show_figure, small_button

__all__ = ["CapstoneController", "CapstonePlayground", "Moment", "capstone_figure"]

VERDICTS = ("linearizable", "appends once", "one home", "bank total", "settled")
"""The run's checks, in the order the figure shows them."""

_TERM_COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22")


@dataclass(frozen=True)
class Moment:
    """The store at one time of a run.

    Attributes
    ----------
    time : float
    config : int
        The latest configuration the controller had committed (0: none yet).
    leaders : tuple of (str, str, int)
        Every group's leaders at ``time`` as ``(group, node, term)``, by group and term;
        a group without a leader has no row (two rows: an old leader has not yet heard of
        the new term).
    serving : tuple of (str, tuple of int)
        For each shard group, the shards its leader serves (empty without a leader).
    faults : tuple of str
        The faults in force, labelled as ``fault_intervals`` labels them.
    """

    time: float
    config: int
    leaders: tuple[tuple[str, str, int], ...]
    serving: tuple[tuple[str, tuple[int, ...]], ...]
    faults: tuple[str, ...]

    def leader(self, group: str) -> str | None:
        """The leader of ``group`` with the highest term, or None."""
        rows = [(term, node) for g, node, term in self.leaders if g == group]
        return max(rows)[1] if rows else None


def _int_in(owner: str, name: str, value: Any, lo: int, hi: int) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi):
        raise ValueError(f"{owner}: {name}={value!r} must be an int from {lo} to {hi}")
    return value


class CapstoneController:
    """One small run of the capstone store, and a time cursor over it.

    Parameters
    ----------
    seed : int, default 1
        Seeds the run (network, timeouts, workload, configuration changes, faults).
    groups : int, default 2
        Shard groups, 1 to 4 (three servers each; six shards).
    faults : bool, default True
        Whether the nemesis strikes (``capstone_nemesis``).
    mutant : str, optional
        A broken store from ``dslib.capstone.shardkv.MUTANTS``.
    clients, ops : int, default 3 and 10
        Key-value clients and operations per client (kept small: a run takes well under a
        second).
    bank : int, default 1
        Bank clients (three transfers each), judged by the bank total.

    Raises
    ------
    ValueError
        For a count out of range or an unknown mutant.
    TypeError
        For ``faults`` that is not a bool.
    """

    def __init__(
        self,
        seed: int = 1,
        groups: int = 2,
        faults: bool = True,
        mutant: str | None = None,
        clients: int = 3,
        ops: int = 10,
        bank: int = 1,
    ) -> None:
        self.settings: dict[str, Any] = {}
        self._set(seed=seed, groups=groups, faults=faults, mutant=mutant)
        self.clients = _int_in("CapstoneController", "clients", clients, 1, 4)
        self.ops = _int_in("CapstoneController", "ops", ops, 1, 20)
        self.bank = _int_in("CapstoneController", "bank", bank, 0, 2)
        self.rerun()

    def _set(self, **settings: Any) -> None:
        unknown = sorted(set(settings) - {"seed", "groups", "faults", "mutant"})
        if unknown:
            raise TypeError(
                f"configure: unknown settings {unknown}; known: seed, groups, faults, mutant"
            )
        new = {**self.settings, **settings}
        _int_in("CapstoneController", "seed", new["seed"], 0, 10**9)
        _int_in("CapstoneController", "groups", new["groups"], 1, 4)
        if not isinstance(new["faults"], bool):
            raise TypeError(f"CapstoneController: faults={new['faults']!r} must be True or False")
        if new["mutant"] is not None and new["mutant"] not in MUTANTS:
            raise ValueError(
                f"CapstoneController: no mutant {new['mutant']!r}; the mutants are "
                f"{sorted(MUTANTS)} (or None)"
            )
        self.settings = new

    def configure(self, **settings: Any) -> None:
        """Change ``seed``, ``groups``, ``faults`` or ``mutant`` and run again (cursor at 0)."""
        self._set(**settings)
        self.rerun()
        self.note = "ran " + ", ".join(f"{k}={v!r}" for k, v in sorted(settings.items()))

    def rerun(self) -> None:
        """Run the store with the current settings; the cursor goes back to 0."""
        s = self.settings
        self.run: ShardKVRun = run_shardkv(
            s["seed"],
            groups=s["groups"],
            clients=self.clients,
            ops=self.ops,
            faults=s["faults"],
            mutant=s["mutant"],
            bank=self.bank,
            transfers=3,
        )
        self._timeline: Timeline | None = None  # drawn from the trace when first asked for
        self._faults: list[FaultInterval] | None = None
        self._change_times: list[float] | None = None
        self.cursor = 0.0
        self.note = "a new run"

    @property
    def timeline(self) -> Timeline:
        """The run's timeline (``shardkv_timeline``)."""
        if self._timeline is None:
            self._timeline = shardkv_timeline(self.run)
        return self._timeline

    @property
    def faults(self) -> list[FaultInterval]:
        """The run's faults as intervals (``fault_intervals``)."""
        if self._faults is None:
            self._faults = fault_intervals(self.run.sim.trace, self.end)
        return self._faults

    @property
    def _changes(self) -> list[float]:
        if self._change_times is None:
            self._change_times = self._moments()
        return self._change_times

    @property
    def end(self) -> float:
        """When the run ended (ms)."""
        return float(self.run.sim.now)

    @property
    def horizon(self) -> float:
        """Where the figure's time axis ends: a little after the last change before the
        run's end (the run then goes on quietly while the clients finish)."""
        inner = [t for t in self._changes if t < self.end]
        return min(self.end, 1.1 * max(inner, default=self.end) + 100.0)

    @property
    def groups(self) -> list[str]:
        """The shard groups' names."""
        return sorted(self.run.groups)

    def _moments(self) -> list[float]:
        t = self.timeline
        times = {0.0, self.end}
        for lead in t.leaderships():
            times |= {lead.start, lead.end}
        for g in self.groups:
            for start, stop, _ in t.ownership(g):
                times |= {start, stop}
        for f in self.faults:
            times |= {f.start, f.end}
        times |= {m for m, _ in t.marks}
        return sorted(x for x in times if 0.0 <= x <= self.end)

    def moments(self) -> list[float]:
        """Every time at which something the figure shows changes (leaders, shards served,
        faults, configurations), sorted."""
        return list(self._changes)

    def seek(self, time: float) -> None:
        """Put the cursor at ``time`` (clamped to the run)."""
        if not isinstance(time, (int, float)) or isinstance(time, bool) or time != time:
            raise ValueError(f"seek: time={time!r} must be a number (ms)")
        self.cursor = min(max(float(time), 0.0), self.end)
        self.note = f"cursor at {self.cursor:.0f} ms"

    def step(self, ms: float = 100.0) -> None:
        """Move the cursor ``ms`` forward (back if negative)."""
        if not isinstance(ms, (int, float)) or isinstance(ms, bool) or ms == 0:
            raise ValueError(f"step: ms={ms!r} must be a non-zero number")
        self.seek(self.cursor + ms)

    def next_change(self) -> None:
        """Move the cursor to the next moment at which something changes."""
        i = bisect.bisect_right(self._changes, self.cursor)
        if i >= len(self._changes):
            raise ValueError("next_change: the cursor is at the end of the run")
        self.seek(self._changes[i])

    def previous_change(self) -> None:
        """Move the cursor to the previous moment at which something changed."""
        i = bisect.bisect_left(self._changes, self.cursor)
        if i == 0:
            raise ValueError("previous_change: the cursor is at the start of the run")
        self.seek(self._changes[i - 1])

    def at(self, time: float | None = None) -> Moment:
        """The store at ``time`` (default: the cursor)."""
        t = self.cursor if time is None else float(time)
        leaders = sorted(
            (x.group, x.node, x.term)
            for x in self.timeline.leaderships()
            if x.start <= t < x.end or (t == self.end and x.end == self.end)
        )
        serving = []
        for g in self.groups:
            shards: tuple[int, ...] = ()
            for start, stop, owned in self.timeline.ownership(g):
                if start <= t < stop or (t == self.end and stop == self.end):
                    shards = owned
            serving.append((g, shards))
        config = 0
        for when, label in self.timeline.marks:
            if when <= t:
                config = int(label[1:])
        faults = tuple(f.label for f in self.faults if f.start <= t < f.end)
        return Moment(t, config, tuple(leaders), tuple(serving), faults)

    def verdicts(self) -> list[tuple[str, bool, str]]:
        """The run's five checks as ``(name, ok, detail)``, in ``VERDICTS`` order."""
        r = self.run
        lin = r.result.verdict
        appends = f"lost {len(r.lost)}, doubled {len(r.doubled)}"
        return [
            ("linearizable", lin == "ok", lin),
            ("appends once", not (r.lost or r.doubled), appends),
            ("one home", r.home.ok, r.home.detail[:60] or "ok"),
            ("bank total", r.bank.ok, r.bank.detail[:60] or "ok"),
            ("settled", r.settled.ok, r.settled.detail[:60] or "ok"),
        ]

    def summary(self) -> str:
        """One line: the cursor, the configuration, who serves what, and the verdicts."""
        m = self.at()
        parts = []
        for g, shards in m.serving:
            if m.leader(g) is None:
                parts.append(f"{g} has no leader")
            else:
                parts.append(f"{g} serves {' '.join(map(str, shards)) or 'nothing'}")
        failed = [name for name, ok, _ in self.verdicts() if not ok]
        verdict = "verdicts all ok" if not failed else "failed: " + ", ".join(failed)
        return f"t={m.time:.0f} of {self.end:.0f} ms, c{m.config}: {', '.join(parts)}; {verdict}"

    def figure(self) -> Any:
        """``capstone_figure(self)``."""
        return capstone_figure(self)

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"CapstoneController(seed={s['seed']}, groups={s['groups']}, faults={s['faults']}, "
            f"mutant={s['mutant']!r}: {self.summary()})"
        )


def capstone_figure(controller: CapstoneController) -> Any:
    """The run's groups over time with the cursor, the shards at the cursor, the verdicts.

    Examples
    --------
    >>> c = CapstoneController(seed=1, groups=2, faults=True)
    >>> c.seek(600.0)
    >>> capstone_figure(c)
    <Figure size 900x560 with 3 Axes>
    """
    if not isinstance(controller, CapstoneController):
        raise TypeError(f"capstone_figure: controller={controller!r} must be a CapstoneController")
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    c = controller
    m = c.at()
    names = ["ctrl", *c.groups]
    fig = Figure(figsize=(9.0, 5.6), dpi=100)
    strip, grid, verdict = fig.subplots(3, 1, height_ratios=(1.3, 1.5, 0.45))
    fig.subplots_adjust(left=0.2, right=0.98, top=0.87, bottom=0.03, hspace=0.75)
    # the whole run: one lane per group, its leaders coloured by term; faults shaded
    seen: set[str] = set()
    for f in c.faults:
        strip.axvspan(
            f.start,
            max(f.end, f.start + 1.0),
            color=FAULT_COLOURS[f.kind],
            alpha=0.2,
            lw=0,
            label=None if f.kind in seen else f.kind,
        )
        seen.add(f.kind)
    for lead in c.timeline.leaderships():
        row = len(names) - 1 - names.index(lead.group)
        strip.barh(
            row,
            lead.end - lead.start,
            left=lead.start,
            height=0.6,
            color=_TERM_COLOURS[lead.term % len(_TERM_COLOURS)],
            lw=0,
        )
    for when, _label in c.timeline.marks:
        strip.axvline(when, color="#444444", lw=0.6, ls=":")
    strip.axvline(m.time, color="#c62828", lw=2)
    strip.set_yticks(range(len(names)))
    strip.set_yticklabels([f"{g} leader" for g in reversed(names)], fontsize=8)
    strip.set_xlim(0, max(c.horizon, m.time))
    strip.set_ylim(-0.6, len(names) - 0.4)
    strip.tick_params(labelsize=7)
    strip.set_xlabel(
        "time (ms): bars are leaders (colour: term), dotted lines new "
        "configurations, shades faults",
        fontsize=7,
    )
    if seen:
        strip.legend(
            fontsize=6,
            ncol=len(seen),
            loc="lower left",
            bbox_to_anchor=(0.0, 1.0),
            frameon=False,
            title="faults:",
            title_fontsize=6,
            alignment="left",
        )
    # the shards at the cursor: filled where served, outlined where the configuration says
    shards = len(c.run.configs[-1].shards) if c.run.configs else 0
    config = c.run.configs[m.config] if m.config < len(c.run.configs) else None
    serving = dict(m.serving)
    for y, g in enumerate(c.groups):
        row = len(c.groups) - 1 - y
        for s in range(shards):
            served = s in serving.get(g, ())
            owner = config is not None and config.shards[s] == g
            grid.add_patch(
                Rectangle(
                    (s + 0.08, row + 0.12),
                    0.84,
                    0.76,
                    facecolor="#fdae6b" if served else "white",
                    edgecolor="#a63603" if owner else "#dddddd",
                    lw=2.0 if owner else 0.8,
                )
            )
            if served:
                grid.text(s + 0.5, row + 0.5, str(s), ha="center", va="center", fontsize=9)
    labels = []
    for g in reversed(c.groups):
        terms = [term for gg, _node, term in m.leaders if gg == g]
        node = m.leader(g)
        labels.append(f"{g}: {node} leads (t{max(terms)})" if node else f"{g}: no leader")
    grid.set_xlim(0, max(shards, 1))
    grid.set_ylim(0, len(c.groups))
    grid.set_yticks([i + 0.5 for i in range(len(c.groups))])
    grid.set_yticklabels(labels, fontsize=8)
    grid.set_xticks([s + 0.5 for s in range(shards)])
    grid.set_xticklabels([f"shard {s}" for s in range(shards)], fontsize=7)
    grid.tick_params(length=0)
    for side in grid.spines.values():
        side.set_visible(False)
    faults = "; ".join(m.faults[:3]) + (f" (+{len(m.faults) - 3})" if len(m.faults) > 3 else "")
    grid.set_title(
        f"t = {m.time:.0f} ms, configuration c{m.config} (outlined: its owner; filled: served "
        f"now)\nfaults: {faults or 'none'}",
        fontsize=8,
    )
    # the verdicts
    verdict.axis("off")
    verdict.set_xlim(0, len(VERDICTS))
    verdict.set_ylim(0, 1)
    for i, (name, ok, detail) in enumerate(c.verdicts()):
        colour = "#2e7d32" if ok else "#c62828"
        verdict.add_patch(
            Rectangle((i + 0.04, 0.05), 0.92, 0.9, facecolor=colour, alpha=0.15, edgecolor=colour)
        )
        verdict.text(
            i + 0.5,
            0.62,
            f"{name}: {'ok' if ok else 'FAILED'}",
            ha="center",
            va="center",
            fontsize=8,
            color=colour,
            weight="bold",
        )
        verdict.text(i + 0.5, 0.28, detail[:34], ha="center", va="center", fontsize=6)
    knobs = c.settings
    fig.suptitle(
        f"capstone run: seed {knobs['seed']}, {knobs['groups']} groups, faults "
        f"{'on' if knobs['faults'] else 'off'}, mutant {knobs['mutant'] or 'none'}",
        fontsize=10,
        y=0.985,
    )
    return fig


class CapstonePlayground(Playground):
    """The clickable explorer over a ``CapstoneController``.

    Attributes
    ----------
    controller : CapstoneController
    knobs : dict of str to ipywidgets control
        ``seed`` (IntText), ``groups`` (IntSlider, 1 to 3), ``faults`` (Checkbox),
        ``mutant`` (Dropdown: none or a name of ``MUTANTS``): a change runs the store again.
    cursor : ipywidgets.FloatSlider
        The time cursor (ms).
    buttons : dict of str to ipywidgets.Button
        ``previous change``, ``-100 ms``, ``+100 ms``, ``next change``, ``rerun``.
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML

    Examples
    --------
    >>> p = CapstonePlayground(seed=1, faults=False)
    >>> p.buttons["next change"].click()
    >>> p.cursor.value > 0
    True
    """

    def __init__(self, controller: CapstoneController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller(
            "CapstonePlayground", CapstoneController, controller, options
        )
        c = self.controller
        self.figure: Any = None
        self._busy = False
        style = {"style": {"description_width": "60px"}}
        s = c.settings
        self.knobs: dict[str, Any] = {
            "seed": w.BoundedIntText(
                value=s["seed"],
                min=0,
                max=10**9,
                description="seed",
                layout=w.Layout(width="150px"),
                **style,
            ),
            "groups": w.IntSlider(value=s["groups"], min=1, max=3, description="groups", **style),
            "faults": w.Checkbox(value=s["faults"], description="faults"),
            "mutant": w.Dropdown(
                options=["none", *sorted(MUTANTS)],
                value=s["mutant"] or "none",
                description="mutant",
                **style,
            ),
        }
        for name, knob in self.knobs.items():
            knob.observe(lambda change, name=name: self._knob(name, change.new), names="value")
        self.cursor = w.FloatSlider(
            value=c.cursor,
            min=0.0,
            max=c.end,
            step=10.0,
            description="time (ms)",
            readout_format=".0f",
            continuous_update=False,
            layout=w.Layout(width="600px"),
            style={"description_width": "70px"},
        )
        self.cursor.observe(lambda change: self._cursor(change.new), names="value")
        actions: dict[str, tuple[str, str, Callable[[], Any]]] = {
            "previous change": ("", "back to the last change", c.previous_change),
            "-100 ms": ("", "cursor 100 ms back", lambda: c.step(-100.0)),
            "+100 ms": ("info", "cursor 100 ms on", lambda: c.step(100.0)),
            "next change": ("info", "on to the next change", c.next_change),
            "rerun": ("success", "run the store again", c.rerun),
        }
        self.buttons: dict[str, Any] = {}
        for name, (kind, tip, action) in actions.items():
            button = small_button(name, tip, kind)
            button.on_click(lambda _b, action=action: self._act(action))
            self.buttons[name] = button
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()
        self.widget = w.VBox(
            [
                w.HBox(list(self.knobs.values())),
                self.heading,
                self.image,
                self.cursor,
                w.HBox(list(self.buttons.values())),
                self.message,
            ]
        )
        self.update()

    def _knob(self, name: str, value: Any) -> None:
        if self._busy:
            return
        if name == "mutant" and value == "none":
            value = None
        self._act(self.controller.configure, **{name: value})

    def _cursor(self, value: float) -> None:
        if not self._busy:
            self._act(self.controller.seek, value)

    def update(self) -> None:
        """Redraw everything from the controller (the cursor slider follows it)."""
        c = self.controller
        self.message.value = ""
        self._busy = True
        try:
            self.cursor.max = c.end
            self.cursor.value = c.cursor
        finally:
            self._busy = False
        ok = all(v for _, v, _ in c.verdicts())
        self._show_heading(c.summary(), c.note, ok)
        self.figure = capstone_figure(c)
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"CapstonePlayground({self.controller.summary()})"
