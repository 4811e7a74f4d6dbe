"""The cluster playground of chapter 10: nodes and pods as boxes, the reconcile loop stepping.

``ClusterController`` runs a cluster of ``dslib.orchestration.cluster`` (three workers,
one deployment ``web``) in the simulator and lets the reader act as the operator and as
the nemesis: set the replicas, ``max_unavailable`` and ``max_surge``, push a new version
or a bad one (its readiness probe never passes), kill or restart a worker, and step the
clock. ``cluster_figure`` draws it: each worker a box holding its pods (coloured by
version, pale while not ready), the desired and observed counts, and ready pods over time.
``ClusterPlayground`` puts the knobs and buttons on it.

Examples
--------
>>> c = ClusterController()
>>> c.advance(15)
>>> c.summary()
't=15: web 4 x v1 wanted; 4 ready (v1 4); converged'
>>> c.kill("node1")
>>> c.advance(20)
>>> c.summary()
't=35: web 4 x v1 wanted; 4 ready (v1 4); node1 down; converged'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dslib.orchestration.cluster import (
    ClusterSpec,
    Image,
    Operator,
    Snapshot,
    build_cluster,
    deployment_pods,
    snapshot,
)
from dslib.orchestration.store import Deployment
from dslib.widgets.base import Playground, given_controller, show_figure

__all__ = ["BAD_VERSION", "ClusterController", "ClusterPlayground", "cluster_figure"]

BAD_VERSION = "bad"
"""The version whose readiness probe never passes."""

_VERSION_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22")


class ClusterController:
    """A three-worker cluster with one deployment, driven by hand.

    Parameters
    ----------
    replicas : int, default 4
    max_unavailable, max_surge : int, default 1
    nodes : int, default 3
    cpu : int, default 3
        CPUs per worker; a pod asks for 1.
    seed : int, default 0

    Raises
    ------
    ValueError
        For a negative count, or ``max_unavailable`` and ``max_surge`` both 0 (the
        messages of ``Deployment``).
    """

    def __init__(
        self,
        replicas: int = 4,
        max_unavailable: int = 1,
        max_surge: int = 1,
        nodes: int = 3,
        cpu: int = 3,
        seed: int = 0,
    ) -> None:
        self.deployment = Deployment("web", replicas, "v1", max_unavailable, max_surge)
        self.spec = ClusterSpec(
            nodes=nodes,
            cpu=cpu,
            deployments=(self.deployment,),
            images=((BAD_VERSION, Image(ready=False)),),
        )
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Start again from t=0."""
        self.deployment = self.spec.deployments[0]
        self.sim = build_cluster(self.spec, self.seed)
        self.history: list[Snapshot] = [snapshot(self.sim)]
        self.next_version = 2
        self.note = "a new cluster: the controllers start from the desired state"

    @property
    def now(self) -> float:
        """The simulated time."""
        return self.sim.now

    @property
    def operator(self) -> Operator:
        """The operator node (writes the deployment)."""
        node = self.sim.system["operator"]
        assert isinstance(node, Operator)
        return node

    def advance(self, seconds: float = 1.0) -> None:
        """Run the cluster ``seconds`` further, sampling every second."""
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
            raise ValueError(f"advance: seconds={seconds!r} must be a number > 0")
        end = self.sim.now + seconds
        t = self.sim.now
        while t < end - 1e-9:
            t = min(end, t + 1.0)
            self.sim.run(until=t)
            self.history.append(snapshot(self.sim))
        self.note = f"ran {seconds:g}s"

    def _apply(self, deployment: Deployment, note: str) -> None:
        self.deployment = deployment
        self.operator.apply_at(self.sim.now, deployment)
        self.note = note

    def configure(self, **settings: int) -> None:
        """Change ``replicas``, ``max_unavailable`` or ``max_surge`` (the operator applies it)."""
        unknown = sorted(set(settings) - {"replicas", "max_unavailable", "max_surge"})
        if unknown:
            raise TypeError(
                f"configure: unknown settings {unknown}; known: replicas, "
                "max_unavailable, max_surge"
            )
        d = self.deployment
        values = {
            "replicas": d.replicas,
            "max_unavailable": d.max_unavailable,
            "max_surge": d.max_surge,
            **settings,
        }
        new = Deployment(
            d.name,
            values["replicas"],
            d.version,
            values["max_unavailable"],
            values["max_surge"],
            d.cpu,
        )
        self._apply(new, "applied " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))

    def push(self, bad: bool = False) -> None:
        """Roll out a new version (``v2``, ``v3``, ...), or the bad one."""
        if bad:
            version = BAD_VERSION
        else:
            version = f"v{self.next_version}"
            self.next_version += 1
        d = self.deployment
        new = Deployment(d.name, d.replicas, version, d.max_unavailable, d.max_surge, d.cpu)
        self._apply(new, f"pushed {version}")

    def kill(self, node: str) -> None:
        """Crash a worker (its kubelet and its pods)."""
        self._worker(node)
        if node in self.sim.crashed:
            raise ValueError(f"kill: {node} is already down")
        self.sim.crash(node)
        self.note = f"killed {node}"

    def restart(self, node: str) -> None:
        """Restart a crashed worker (empty: its kubelet asks what to run)."""
        self._worker(node)
        if node not in self.sim.crashed:
            raise ValueError(f"restart: {node} is not down")
        self.sim.restart(node)
        self.note = f"restarted {node}"

    def _worker(self, node: str) -> None:
        if node not in self.spec.workers:
            raise ValueError(f"no worker {node!r}; workers: {', '.join(self.spec.workers)}")

    @property
    def current(self) -> Snapshot:
        """The cluster now."""
        return snapshot(self.sim)

    def summary(self) -> str:
        """One line: time, desired, ready by version, workers down, converged or not."""
        s = snapshot(self.sim)
        pods = deployment_pods(s.running, "web")
        ready = [p for p in pods if p.ready]
        by: dict[str, int] = {}
        for p in ready:
            by[p.version] = by.get(p.version, 0) + 1
        versions = ", ".join(f"{v} {n}" for v, n in sorted(by.items()))
        parts = [
            f"t={s.time:g}: web {s.desired['web']} x {s.versions['web']} wanted",
            f"{len(ready)} ready ({versions})" if ready else "0 ready",
        ]
        parts += [f"{n} down" for n in s.down]
        parts.append("converged" if s.converged else "reconciling")
        return "; ".join(parts)

    def events(self) -> list[str]:
        """The control plane's events so far."""
        from dslib.orchestration.cluster import events_of

        return list(events_of(self.sim.states["api"].store))

    def figure(self) -> Any:
        """``cluster_figure(self)``."""
        return cluster_figure(self)

    def __repr__(self) -> str:
        return f"ClusterController({self.summary()})"


def cluster_figure(controller: ClusterController) -> Any:
    """The workers with their pods, and ready pods against desired over time.

    Examples
    --------
    >>> c = ClusterController()
    >>> c.advance(10)
    >>> cluster_figure(c)
    <Figure size 860x420 with 2 Axes>
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    c = controller
    snap = snapshot(c.sim)
    fig = Figure(figsize=(8.6, 4.2), dpi=100)
    top, bottom = fig.subplots(2, 1, height_ratios=(1.25, 1.0))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.11, hspace=0.15)
    versions = sorted({p.version for s in c.history for p in s.running} | {snap.versions["web"]})
    colour = {
        v: ("#d62728" if v == BAD_VERSION else _VERSION_COLOURS[i % 6])
        for i, v in enumerate(versions)
    }
    workers = c.spec.workers
    cpu = c.spec.cpu
    for i, w in enumerate(workers):
        x0 = i * (cpu + 1.2)
        down = w in snap.down
        lost = not snap.nodes.get(w, True)
        edge = "#7f7f7f" if down else ("#ff7f0e" if lost else "#333333")
        top.add_patch(
            Rectangle(
                (x0, 0),
                cpu + 0.4,
                1.6,
                fill=down,
                facecolor="#eeeeee",
                edgecolor=edge,
                linewidth=2 if lost else 1.2,
            )
        )
        state = "down" if down else ("NotReady" if lost else "Ready")
        top.text(x0 + 0.2, 1.75, f"{w} ({state})", fontsize=9, color=edge)
        pods = [p for p in snap.running if p.node == w]
        for j, p in enumerate(pods):
            col = colour.get(p.version, "#7f7f7f")
            top.add_patch(
                Rectangle(
                    (x0 + 0.2 + j * 1.0, 0.3),
                    0.8,
                    1.0,
                    facecolor=col,
                    alpha=1.0 if p.ready else 0.3,
                    edgecolor=col,
                )
            )
            top.text(
                x0 + 0.6 + j * 1.0,
                0.8,
                p.version,
                ha="center",
                va="center",
                fontsize=8,
                color="white" if p.ready else "black",
            )
        if down:
            top.text(
                x0 + (cpu + 0.4) / 2,
                0.8,
                "✕",
                ha="center",
                va="center",
                fontsize=26,
                color="#7f7f7f",
            )
    width = len(workers) * (cpu + 1.2)
    top.set_xlim(-0.2, width)
    top.set_ylim(-0.1, 2.2)
    top.axis("off")
    ready = sum(1 for p in deployment_pods(snap.running, "web") if p.ready)
    top.set_title(
        f"t={snap.time:g}   desired {snap.desired['web']} x {snap.versions['web']}   "
        f"running {len(deployment_pods(snap.running, 'web'))}, ready {ready}   "
        + ("converged" if snap.converged else "reconciling"),
        fontsize=10,
    )
    times = [s.time for s in c.history]
    bottom.step(
        times,
        [s.desired["web"] for s in c.history],
        where="post",
        color="k",
        linestyle="--",
        label="desired",
    )
    bottom.step(
        times,
        [sum(1 for p in deployment_pods(s.running, "web") if p.ready) for s in c.history],
        where="post",
        color="#2ca02c",
        label="ready",
    )
    bottom.step(
        times,
        [
            sum(
                1
                for p in deployment_pods(s.running, "web")
                if p.ready and p.version == s.versions["web"]
            )
            for s in c.history
        ],
        where="post",
        color="#1f77b4",
        linewidth=0.9,
        label="ready, desired version",
    )
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("pods")
    bottom.set_ylim(0, max(1, max(s.desired["web"] for s in c.history)) + 2.5)
    bottom.legend(fontsize=8, loc="upper left", ncols=3, frameon=False)
    return fig


class ClusterPlayground(Playground):
    """The clickable playground over a ``ClusterController``.

    Attributes
    ----------
    controller : ClusterController
    knobs : dict of str to ipywidgets.IntSlider
        ``replicas``, ``max_unavailable``, ``max_surge``: a change is applied by the
        operator (the run goes on from there).
    buttons : dict of str to ipywidgets.Button
        ``step`` (1 s), ``run 10 s``, ``kill node``, ``restart node`` (the worker chosen in
        ``node_menu``), ``push version``, ``push bad version``, ``reset``.
    node_menu : ipywidgets.Dropdown
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML

    Examples
    --------
    >>> p = ClusterPlayground()
    >>> p.buttons["run 10 s"].click()
    >>> p
    ClusterPlayground(t=10: web 4 x v1 wanted; 4 ready (v1 4); converged)
    """

    def __init__(self, controller: ClusterController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller(
            "ClusterPlayground", ClusterController, controller, options
        )
        c = self.controller
        self.figure: Any = None
        d = c.deployment
        label = {"style": {"description_width": "110px"}}
        self.knobs: dict[str, Any] = {
            "replicas": w.IntSlider(
                value=d.replicas, min=0, max=6, description="replicas", **label
            ),
            "max_unavailable": w.IntSlider(
                value=d.max_unavailable, min=0, max=3, description="max unavailable", **label
            ),
            "max_surge": w.IntSlider(
                value=d.max_surge, min=0, max=3, description="max surge", **label
            ),
        }
        for name, knob in self.knobs.items():
            knob.observe(
                lambda change, name=name: self._act(c.configure, **{name: change.new}),
                names="value",
            )
        self.node_menu = w.Dropdown(
            options=list(c.spec.workers),
            description="node",
            layout=w.Layout(width="150px"),
            style={"description_width": "40px"},
        )
        actions: dict[str, tuple[str, Callable[[], Any]]] = {
            "step": ("success", lambda: c.advance(1.0)),
            "run 10 s": ("success", lambda: c.advance(10.0)),
            "kill node": ("danger", lambda: c.kill(self.node_menu.value)),
            "restart node": ("info", lambda: c.restart(self.node_menu.value)),
            "push version": ("primary", lambda: c.push(bad=False)),
            "push bad version": ("warning", lambda: c.push(bad=True)),
            "reset": ("", c.reset),
        }
        self.buttons: dict[str, Any] = {}
        for name, (style, action) in actions.items():
            button = w.Button(
                description=name,
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
                w.HBox(list(self.knobs.values())),
                self.heading,
                self.image,
                w.HBox(
                    [b["step"], b["run 10 s"], self.node_menu, b["kill node"], b["restart node"]]
                ),
                w.HBox([b["push version"], b["push bad version"], b["reset"]]),
                self.message,
            ]
        )
        self.update()

    def update(self) -> None:
        """Redraw everything from the controller."""
        c = self.controller
        self.message.value = ""
        now = c.current
        self._show_heading(c.summary(), c.note, now.converged)
        self.figure = cluster_figure(c)
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"ClusterPlayground({self.controller.summary()})"
