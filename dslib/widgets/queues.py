"""The replicated-log playground of chapter 7: a topic, its replicas and a consumer group.

The reader sets the producer's ``acks``, ``min_insync``, unclean election and the group's
commit policy, then drives a run of ``dslib.queues.group_system`` (the chapter's own
brokers, controller, producer, coordinator and consumers: one source of truth) forward in
steps, crashing and restarting brokers, cutting one off the network, and adding or removing
consumers. Every action is kept, and the run is rebuilt from the start by replaying them, so
changing a knob shows the same story under the new settings.

After each action the picture shows every replica's log, each replica's high watermark,
which broker leads and which replicas are in sync, and the group's committed offset and lag
in each partition. The verdict is the checker's (``dslib.queues.judge_group``) on the run
*finished*: every fault healed now and the run continued until it is quiet, so that a
record not yet read counts only if it can never be read.

``QueueController`` is the pure part (no ipywidgets): tests and notebooks drive it from
code, and ``queues_figure`` draws it. ``QueuePlayground`` puts knobs and buttons in front.

References
----------
.. [1] J. Kreps, N. Narkhede, J. Rao, "Kafka: a Distributed Messaging System for Log
   Processing", NetDB 2011, sections 3.1-3.3.
.. [2] Apache Kafka documentation, Design chapter, sections "Replication" and "Message
   Delivery Semantics".

Examples
--------
>>> c = QueueController(acks=1)
>>> c.advance(30)
't=30: 6 records produced'
>>> c.crash("b1")
'b1 crashes'
>>> c.summary()
't=30, b1 down: at-least-once: ok (lost 0, duplicated 0, reordered 0, phantom 0)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dslib.queues.checker import QueueCheckResult
from dslib.queues.groups import (
    COMMIT_POLICIES,
    CoordinatorState,
    GroupConfig,
    group_system,
    judge_group,
)
from dslib.queues.log import ACKS, BrokerState, LogConfig, ProducerState
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation
from dslib.widgets.base import Playground, given_controller, show_figure

__all__ = ["QueueController", "QueuePlayground", "queues_figure"]

SETTLE = 300.0
"""How long the finished run goes on after the faults heal, for the verdict."""


@dataclass(frozen=True)
class _Settings:
    acks: int | str
    min_insync: int
    unclean: bool
    policy: str


class QueueController:
    """A consumer group reading a three-partition topic on three brokers, driven by hand.

    Parameters
    ----------
    acks : {0, 1, "all"}, default "all"
    min_insync : int, default 2
        1 to 3.
    unclean : bool, default False
        Unclean leader election.
    policy : {"at-most-once", "at-least-once", "effectively-once"}, default "at-least-once"
        The group's commit policy.
    consumers : int, default 2
        Consumers at the start (``c1 ..``); at most ``max_consumers``.
    max_consumers : int, default 4
    messages : int, default 30
        Records the producer sends, one every 5 time units.
    seed : int, default 0
        The simulation's seed (the network's delays).

    Raises
    ------
    ValueError, TypeError
        For a setting out of range (the messages of ``LogConfig`` and ``GroupConfig``).

    Notes
    -----
    The network delays each message by 1 and loses none: every loss the reader sees comes
    from the faults they made and the settings they chose. Consumers beyond ``consumers``
    exist from the start but are down (and their first messages withdrawn) until
    ``add_consumer`` starts them.

    Examples
    --------
    Three consumers; ``c3`` stops at time 30 and the group gives its partition away once
    its heartbeats have been missing for the session timeout:

    >>> c = QueueController(consumers=3)
    >>> _ = c.advance(30)
    >>> c.remove_consumer()
    'c3 stops; its heartbeats stop with it'
    >>> _ = c.advance(16)
    >>> c.coordinator.generation, c.coordinator.assignment
    (4, (('c1', (0, 1)), ('c2', (2,))))
    """

    def __init__(
        self,
        acks: int | str = "all",
        min_insync: int = 2,
        unclean: bool = False,
        policy: str = "at-least-once",
        consumers: int = 2,
        max_consumers: int = 4,
        messages: int = 30,
        seed: int = 0,
    ) -> None:
        for name, value in (("consumers", consumers), ("max_consumers", max_consumers)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"QueueController: {name}={value!r} must be an int")
        if not 1 <= max_consumers <= 9 or not 0 <= consumers <= max_consumers:
            raise ValueError(
                f"QueueController: consumers={consumers}, max_consumers={max_consumers}; "
                "allowed: 0 <= consumers <= max_consumers <= 9"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"QueueController: seed={seed!r} must be an int")
        self.max_consumers = max_consumers
        self.start_consumers = consumers
        self.messages = messages
        self.seed = seed
        self.actions: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.settings = _Settings(acks, min_insync, unclean, policy)
        self.config = self._config(self.settings)
        self._replay()
        self._note("start")

    # -- settings and the run -----------------------------------------------------------------
    def configure(self, **settings: Any) -> str:
        """Change ``acks``, ``min_insync``, ``unclean`` or ``policy`` and replay the actions.

        Raises
        ------
        TypeError
            For a setting the controller does not have.
        ValueError
            For a value out of range (nothing changes).
        """
        unknown = sorted(set(settings) - {"acks", "min_insync", "unclean", "policy"})
        if unknown:
            raise TypeError(
                f"configure: unknown settings {unknown}; known: "
                "['acks', 'min_insync', 'policy', 'unclean']"
            )
        new = replace(self.settings, **settings)
        config = self._config(new)  # raises before anything changes
        self.settings, self.config = new, config
        self._replay()
        note = ", ".join(f"{k}={v!r}" for k, v in sorted(settings.items()))
        return self._note(f"settings: {note}; the run replayed")

    def _config(self, settings: _Settings) -> GroupConfig:
        return GroupConfig(
            log=LogConfig(
                partitions=3,
                messages=self.messages,
                keys=4,  # k0 .. k3 fall in partitions 0, 1, 0, 2: none is empty
                acks=settings.acks,
                min_insync=settings.min_insync,
                unclean=settings.unclean,
            ),
            consumers=self.max_consumers,
            policy=settings.policy,
        )

    def _simulation(self) -> Simulation:
        sim = Simulation(
            group_system(self.config),
            seed=self.seed,
            network=Network(latency=1.0),
            record_trace=False,
        )
        idle = self.config.consumer_ids[self.start_consumers :]
        for c in idle:  # not started yet: crash it and take back its first messages
            sim.crash(c)
        step, sim.step_time = sim.step_time, 0.0
        for src, dst, msg in sim.in_flight():
            if src in idle:
                sim.drop(src, dst, msg)
        sim.step_time = step
        return sim

    @staticmethod
    def _apply(sim: Simulation, kind: str, arg: str, cut: list[str]) -> None:
        """Do one action on ``sim``; ``cut``: the brokers isolated once it is done."""
        if kind == "advance":
            sim.run(until=sim.now + float(arg))
        elif kind in ("crash", "remove"):
            sim.crash(arg)
        elif kind in ("restart", "add"):
            sim.restart(arg)
        elif kind in ("isolate", "heal"):
            sim.heal()
            if cut:
                rest = [n for n in sim.system.ids if n not in cut]
                sim.partition(*[(b,) for b in cut], rest)

    @staticmethod
    def _isolated(actions: list[tuple[str, str]]) -> list[str]:
        cut: list[str] = []
        for kind, arg in actions:
            if kind == "isolate" and arg not in cut:
                cut.append(arg)
            elif kind == "heal":
                cut = []
        return sorted(cut)

    def _replayed(self) -> Simulation:
        """A new run with every action of the reader done again."""
        sim = self._simulation()
        for i, (kind, arg) in enumerate(self.actions):
            self._apply(sim, kind, arg, self._isolated(self.actions[: i + 1]))
        return sim

    def _replay(self) -> None:
        self.sim = self._replayed()
        self._verdict: QueueCheckResult | None = None

    def _act(self, kind: str, arg: str, note: str) -> str:
        self.actions.append((kind, arg))
        self._apply(self.sim, kind, arg, self.isolated)
        self._verdict = None
        return self._note(note)

    def _note(self, note: str) -> str:
        self.notes.append(note)
        return note

    # -- the reader's actions -----------------------------------------------------------------
    def advance(self, time: float = 10.0) -> str:
        """Let the run go on for ``time`` (simulated units; the producer sends every 5)."""
        if isinstance(time, bool) or not isinstance(time, (int, float)) or not 0 < time <= 600:
            raise ValueError(f"advance: time={time!r}; allowed: a number in (0, 600]")
        self._act("advance", repr(float(time)), "")
        self.notes[-1] = f"t={self.now:g}: {self.produced} records produced"
        return self.notes[-1]

    def _broker(self, broker: str) -> str:
        if broker not in self.config.log.broker_ids:
            raise ValueError(
                f"unknown broker {broker!r}; the brokers are {list(self.config.log.broker_ids)}"
            )
        return broker

    def crash(self, broker: str) -> str:
        """Crash ``broker`` (its log survives on disk; it comes back with ``restart``)."""
        if self._broker(broker) in self.sim.crashed:
            raise ValueError(f"{broker} is already down")
        return self._act("crash", broker, f"{broker} crashes")

    def restart(self, broker: str) -> str:
        """Restart a crashed ``broker``: it rejoins as a follower and truncates if it must."""
        if self._broker(broker) not in self.sim.crashed:
            raise ValueError(f"{broker} is not down")
        return self._act("restart", broker, f"{broker} restarts")

    def isolate(self, broker: str) -> str:
        """Cut ``broker`` off from every other node (it keeps running) until ``heal``."""
        if self._broker(broker) in self.isolated:
            raise ValueError(f"{broker} is already cut off")
        return self._act("isolate", broker, f"{broker} is cut off from every other node")

    def heal(self) -> str:
        """Remove every network partition."""
        if not self.isolated:
            raise ValueError("no broker is cut off")
        return self._act("heal", "", "the network heals")

    def add_consumer(self) -> str:
        """Start the first consumer not running: it joins the group, which rebalances."""
        idle = [c for c in self.config.consumer_ids if c in self.sim.crashed]
        if not idle:
            raise ValueError(f"every consumer runs already (at most {self.max_consumers})")
        return self._act("add", idle[0], f"{idle[0]} joins the group")

    def remove_consumer(self) -> str:
        """Stop the last running consumer: the group notices its missed heartbeats."""
        running = self.consumers
        if not running:
            raise ValueError("no consumer is running")
        return self._act("remove", running[-1], f"{running[-1]} stops; its heartbeats stop with it")

    def back(self) -> str:
        """Undo the last action (the run is replayed without it)."""
        if not self.actions:
            raise ValueError("nothing to undo: already at the start")
        self.actions.pop()
        self._replay()
        return self._note(f"back to t={self.now:g}")

    def reset(self) -> str:
        """Forget every action."""
        self.actions = []
        self._replay()
        return self._note("start")

    # -- what the run shows -------------------------------------------------------------------
    @property
    def now(self) -> float:
        """The simulated time."""
        return self.sim.now

    @property
    def note(self) -> str:
        """What the last action did."""
        return self.notes[-1]

    @property
    def isolated(self) -> list[str]:
        """The brokers cut off now, sorted."""
        return self._isolated(self.actions)

    @property
    def down(self) -> list[str]:
        """The brokers crashed now, sorted."""
        return sorted(b for b in self.config.log.broker_ids if b in self.sim.crashed)

    @property
    def consumers(self) -> list[str]:
        """The consumers running now."""
        return [c for c in self.config.consumer_ids if c not in self.sim.crashed]

    @property
    def produced(self) -> int:
        """Records the producer has made so far."""
        state: ProducerState = self.sim.states["p1"]
        return len(state.sends)

    @property
    def coordinator(self) -> CoordinatorState:
        """The group coordinator's state: members, assignment, committed offsets."""
        state: CoordinatorState = self.sim.states["coordinator"]
        return state

    def replica(self, broker: str, partition: int) -> Any:
        """``broker``'s ``Replica`` of ``partition``; ``None`` while it is down."""
        state = self.sim.states.get(self._broker(broker))
        return state.replicas[partition] if isinstance(state, BrokerState) else None

    def leader(self, partition: int) -> str | None:
        """The live broker that leads ``partition`` in the highest epoch, if any."""
        best: tuple[int, str] | None = None
        for b in self.config.log.replicas(partition):
            r = self.replica(b, partition)
            if r is not None and r.leader == b and (best is None or r.epoch > best[0]):
                best = (r.epoch, b)
        return None if best is None else best[1]

    def lag(self, partition: int) -> int:
        """The group's lag in ``partition``: its leader's high watermark minus the commit."""
        leader = self.leader(partition)
        hw = 0 if leader is None else self.replica(leader, partition).high_watermark
        return max(0, hw - self.coordinator.offsets[partition])

    @property
    def verdict(self) -> QueueCheckResult:
        """The checker's verdict on this run finished: faults healed now, run until quiet."""
        if self._verdict is None:
            sim = self._replayed()
            sim.heal()
            for b in self.config.log.broker_ids:
                if b in sim.crashed:
                    sim.restart(b)
            sim.run(until=max(sim.now, 5.0 * self.messages) + SETTLE)
            self._verdict = judge_group(sim)
        return self._verdict

    def summary(self) -> str:
        """One line: the time, the faults now, the verdict of the finished run."""
        faults = [f"{b} down" for b in self.down] + [f"{b} cut off" for b in self.isolated]
        where = ", ".join([f"t={self.now:g}", *faults])
        return f"{where}: {self.verdict.summary()}"

    def figure(self) -> Any:
        """``queues_figure(self)``."""
        return queues_figure(self)

    def __repr__(self) -> str:
        return f"QueueController({self.summary()})"


# -- the figure -------------------------------------------------------------------------------
_EPOCH_COLORS = ("#bbdefb", "#c8e6c9", "#fff3c4", "#f8bbd0", "#d1c4e9", "#ffe0b2")


def _replica_label(c: QueueController, broker: str, partition: int) -> str:
    r = c.replica(broker, partition)
    if r is None:
        return f"{broker}  down"
    role = "leader" if c.leader(partition) == broker else "follower"
    leader = c.leader(partition)
    isr = c.replica(leader, partition).isr if leader is not None else ()
    cut = ", cut off" if broker in c.isolated else ""
    return f"{broker}  {role}, {'in ISR' if broker in isr else 'out of ISR'}{cut}"


def queues_figure(controller: QueueController) -> Any:
    """Every replica's log with its high watermark, and the group's committed offsets.

    One block of rows per partition, one row per replica (the leader marked, each replica
    in or out of the leader's ISR, down or cut off). A record is a cell labelled with the
    producer's sequence number and coloured by the leader epoch that wrote it; the bar after
    a replica's cells is its high watermark (records left of it are committed). Under each
    block, a triangle marks the group's committed offset in that partition, with the lag
    and the member that owns the partition. The title is ``controller.summary()``.

    Parameters
    ----------
    controller : QueueController

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``controller`` is not a ``QueueController``.

    Examples
    --------
    >>> c = QueueController()
    >>> _ = c.advance(20)
    >>> fig = queues_figure(c)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "replica"][:3]
    ['b1  leader, in ISR', 'b2  follower, in ISR', 'b3  follower, in ISR']
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    if not isinstance(controller, QueueController):
        raise TypeError(f"queues_figure: {controller!r} is not a QueueController")
    c = controller
    log = c.config.log
    width = max(
        12,
        *(
            len(r.log)
            for b in log.broker_ids
            for p in range(log.partitions)
            if (r := c.replica(b, p)) is not None
        ),
    )
    fig = Figure(figsize=(10.0, 1.0 + 1.25 * log.partitions))
    ax = fig.subplots()
    owners = {p: m for m, parts in c.coordinator.assignment for p in parts}
    y = 0.0
    for p in range(log.partitions):
        ax.text(-0.3, y + 0.55, f"partition {p}", fontsize=8, weight="bold", ha="right")
        for b in log.replicas(p):
            y -= 1.0
            r = c.replica(b, p)
            ax.text(
                -0.3,
                y + 0.5,
                _replica_label(c, b, p),
                fontsize=7.5,
                ha="right",
                va="center",
                gid="replica",
                color="#9e9e9e" if r is None else "black",
            )
            if r is None:
                continue
            for k, entry in enumerate(r.log):
                color = _EPOCH_COLORS[entry.epoch % len(_EPOCH_COLORS)]
                ax.add_patch(
                    Rectangle(
                        (k, y + 0.1),
                        0.95,
                        0.8,
                        facecolor=color,
                        edgecolor="#555",
                        lw=0.5,
                        gid="record",
                    )
                )
                ax.text(
                    k + 0.47,
                    y + 0.5,
                    str(entry.seq if entry.seq is not None else k),
                    fontsize=6.5,
                    ha="center",
                    va="center",
                )
            ax.plot(
                [r.high_watermark - 0.025] * 2,
                [y, y + 1.0],
                color="black",
                lw=2.2,
                gid="high-watermark",
            )
        y -= 0.45
        committed = c.coordinator.offsets[p]
        ax.plot([committed], [y], marker="^", color="#c62828", ms=7, gid="committed")
        owner = owners.get(p, "no member")
        ax.text(
            committed + 0.3,
            y,
            f"group committed {committed}, lag {c.lag(p)}, owner {owner}",
            fontsize=7,
            color="#c62828",
            va="center",
        )
        y -= 0.9
    ax.set_xlim(-6.5, width + 0.5)
    ax.set_ylim(y, 1.0)
    ax.axis("off")
    members = ", ".join(f"{m}: {list(parts)}" for m, parts in c.coordinator.assignment)
    fig.text(
        0.01,
        0.01,
        f"{c.note}.  group (generation {c.coordinator.generation}): "
        f"{members or 'no member'}.  Settings: acks={c.settings.acks!r}, min_insync="
        f"{c.settings.min_insync}, unclean={c.settings.unclean}, {c.settings.policy}",
        fontsize=7,
    )
    fig.text(
        0.01,
        0.035,
        "cell: a record (the producer's sequence number), coloured by the leader epoch that "
        "wrote it;  bar: the replica's high watermark;  ▲: the group's committed offset",
        fontsize=7,
        color="#555",
    )
    ok = c.verdict.ok
    fig.suptitle(c.summary(), fontsize=9, color="#2e7d32" if ok else "#c62828")
    return fig


# -- the widget -------------------------------------------------------------------------------
class QueuePlayground(Playground):
    """The clickable playground over a ``QueueController``.

    Parameters
    ----------
    controller : QueueController, optional
        Show this controller (default: a new one with ``**options``).
    **options
        Options of ``QueueController``.

    Attributes
    ----------
    controller : QueueController
    knobs : dict of str to ipywidgets control
        ``acks``, ``min_insync``, ``unclean``, ``policy``: a change replays the run.
    buttons : dict of str to ipywidgets.Button
        ``advance`` (by the time chosen in ``step_menu``), ``crash``, ``restart``,
        ``cut off``, ``heal`` (acting on the broker chosen in ``broker_menu``),
        ``add consumer``, ``remove consumer``, ``back``, ``reset``.
    step_menu : ipywidgets.Dropdown
        How far ``advance`` goes: 0.5, 1, 5 or 10 time units (10 at first); a small step
        lets the reader crash a leader between an append and the followers' next fetch.
    broker_menu : ipywidgets.Dropdown
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML
        The summary and the last action; the last error.

    Examples
    --------
    >>> p = QueuePlayground()
    >>> p.buttons["advance"].click()
    >>> p
    QueuePlayground(t=10: at-least-once: ok (lost 0, duplicated 0, reordered 0, phantom 0))
    """

    def __init__(self, controller: QueueController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller("QueuePlayground", QueueController, controller, options)
        c = self.controller
        self.figure: Any = None
        s = c.settings
        label = {"style": {"description_width": "80px"}}
        self.knobs: dict[str, Any] = {
            "acks": w.Dropdown(options=list(ACKS), value=s.acks, description="acks", **label),
            "min_insync": w.IntSlider(
                value=s.min_insync, min=1, max=3, description="min in-sync", **label
            ),
            "unclean": w.Checkbox(value=s.unclean, description="unclean election"),
            "policy": w.Dropdown(
                options=list(COMMIT_POLICIES), value=s.policy, description="commit", **label
            ),
        }
        for name, knob in self.knobs.items():
            knob.observe(
                lambda change, name=name: self._act(c.configure, **{name: change.new}),
                names="value",
            )
        self.step_menu = w.Dropdown(
            options=[("0.5", 0.5), ("1", 1.0), ("5", 5.0), ("10", 10.0)],
            value=10.0,
            description="by",
            layout=w.Layout(width="110px"),
            style={"description_width": "20px"},
        )
        self.broker_menu = w.Dropdown(
            options=list(c.config.log.broker_ids),
            description="broker",
            layout=w.Layout(width="160px"),
        )
        actions: dict[str, tuple[str, Callable[[], Any]]] = {
            "advance": ("success", lambda: c.advance(self.step_menu.value)),
            "crash": ("danger", lambda: c.crash(self.broker_menu.value)),
            "restart": ("info", lambda: c.restart(self.broker_menu.value)),
            "cut off": ("warning", lambda: c.isolate(self.broker_menu.value)),
            "heal": ("info", c.heal),
            "add consumer": ("", c.add_consumer),
            "remove consumer": ("", c.remove_consumer),
            "back": ("", c.back),
            "reset": ("", c.reset),
        }
        self.buttons: dict[str, Any] = {}
        for name, (style, action) in actions.items():
            button = w.Button(
                description="◀ back" if name == "back" else name,
                button_style=style,
                layout=w.Layout(width="auto", min_width="70px"),
            )
            button.on_click(lambda _b, action=action: self._act(action))
            self.buttons[name] = button
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()
        b = self.buttons
        self.widget = w.VBox(
            [
                w.HBox([self.knobs["acks"], self.knobs["min_insync"]]),
                w.HBox([self.knobs["policy"], self.knobs["unclean"]]),
                self.heading,
                self.image,
                w.HBox(
                    [
                        b["advance"],
                        self.broker_menu,
                        b["crash"],
                        b["restart"],
                        b["cut off"],
                        b["heal"],
                    ]
                ),
                w.HBox([b["add consumer"], b["remove consumer"], b["back"], b["reset"]]),
                self.message,
            ]
        )
        self.update()

    def update(self) -> None:
        """Redraw everything from the controller (after driving it from code)."""
        c = self.controller
        self.message.value = ""
        self._show_heading(c.summary(), c.note, c.verdict.ok)
        self.buttons["back"].disabled = not c.actions
        self.buttons["heal"].disabled = not c.isolated
        self.figure = queues_figure(c)
        # fast compression: the image is redrawn on every click and never stored
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"QueuePlayground({self.controller.summary()})"
