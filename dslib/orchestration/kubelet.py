"""The kubelet: the agent on each worker that runs the pods bound to it.

Every ``heartbeat`` seconds the kubelet probes its containers, then sends the API server
a ``Sync`` (its heartbeat, with each pod's status); the answer lists the pods bound to
the node, and the kubelet starts the new ones and stops those no longer listed. It is
level-triggered too: it never needs to have seen a change, only the current list.

What a container does is given by its image (``Image``): how long it takes to become
ready, whether it ever does, and whether (and when) it crashes.

- **Readiness probe**: ready once ``ready_after`` seconds have passed since the start
  (never, for an image with ``ready=False``). Only ready pods count as available.
- **Liveness probe**: a container of an image with ``crash_after`` fails it that long
  after each start; the kubelet restarts it after a **back-off** that doubles with each
  restart, ``min(backoff_base * 2**(restarts - 1), backoff_cap)`` (Kubernetes: 10 s
  doubling to 5 minutes, shown as ``CrashLoopBackOff``), so a crash loop does not burn
  the node. The mutant ``no_backoff`` restarts at once; ``backoff_respected`` catches it.

Examples
--------
>>> backoff_delay(3, KubeletConfig(backoff_base=1.0, backoff_cap=16.0))
4.0
>>> [backoff_delay(k, KubeletConfig()) for k in range(1, 8)]
[1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node
from dslib.mutants import check_mutant
from dslib.orchestration.store import Assigned, PodStatus, Sync

__all__ = [
    "MUTANTS",
    "Container",
    "Image",
    "Kubelet",
    "KubeletConfig",
    "KubeletState",
    "backoff_delay",
    "backoff_respected",
]

MUTANTS = {
    "no_backoff": "the kubelet restarts a crashed container at once, with no back-off",
}
"""The kubelet's broken versions (``KubeletConfig(mutant=...)``)."""


@dataclass(frozen=True)
class Image:
    """How a container of this image behaves.

    Attributes
    ----------
    ready_after : float, default 2.0
        Seconds from start until its readiness probe passes.
    ready : bool, default True
        ``False``: the readiness probe never passes (a bad version).
    crash_after : float or None
        Seconds from each start until it crashes (fails its liveness probe).
    """

    ready_after: float = 2.0
    ready: bool = True
    crash_after: float | None = None


@dataclass(frozen=True)
class KubeletConfig:
    """The kubelet's timing.

    Examples
    --------
    >>> KubeletConfig(heartbeat=0)
    Traceback (most recent call last):
    ...
    ValueError: KubeletConfig: heartbeat=0 must be a number > 0
    """

    heartbeat: float = 1.0
    backoff_base: float = 1.0
    backoff_cap: float = 16.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        for name in ("heartbeat", "backoff_base", "backoff_cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"KubeletConfig: {name}={value!r} must be a number > 0")
        check_mutant("KubeletConfig", self.mutant, MUTANTS)


def backoff_delay(restarts: int, config: KubeletConfig) -> float:
    """The wait before restart number ``restarts`` (1 for the first)."""
    if config.mutant == "no_backoff":
        return 0.0  # the bug: a crash loop restarts as fast as it crashes
    return float(min(config.backoff_base * 2 ** (restarts - 1), config.backoff_cap))


@dataclass(frozen=True)
class Container:
    """A pod as its kubelet runs it.

    Attributes
    ----------
    name, version : str
    started : float
        When the current run started.
    phase : str
        ``"Running"``, or ``"Waiting"`` (in back-off until ``wait_until``).
    ready : bool
    restarts : int
    wait_until : float
    starts : tuple of float
        When each run started (the first start, then each restart).
    """

    name: str
    version: str
    started: float
    phase: str = "Running"
    ready: bool = False
    restarts: int = 0
    wait_until: float = 0.0
    starts: tuple[float, ...] = ()


@dataclass(frozen=True)
class KubeletState:
    """The containers this node runs, by name."""

    containers: tuple[Container, ...] = ()


class Kubelet(Node[KubeletState]):
    """The worker's agent (see the module docstring).

    Parameters
    ----------
    images : mapping of str to Image, optional
        The behaviour of each version; any other version is ``Image()``.
    config : KubeletConfig, optional
    api : str, default "api"
    """

    def __init__(
        self,
        images: Mapping[str, Image] | Iterable[tuple[str, Image]] = (),
        config: KubeletConfig | None = None,
        api: str = "api",
    ) -> None:
        self.images = dict(images)
        self.config = KubeletConfig() if config is None else config
        self.api = api

    def image(self, version: str) -> Image:
        """The behaviour of ``version``."""
        return self.images.get(version, Image())

    def init(self, ctx: Context) -> KubeletState:
        ctx.set_timer("heartbeat", 0.0)
        return KubeletState()

    def _probe(self, now: float, c: Container) -> Container:
        if c.phase == "Waiting":
            if now < c.wait_until:
                return c
            c = replace(c, phase="Running", started=now, starts=(*c.starts, now))
        image = self.image(c.version)
        if image.crash_after is not None and now - c.started >= image.crash_after:
            restarts = c.restarts + 1  # the liveness probe failed: restart after a back-off
            wait = now + backoff_delay(restarts, self.config)
            c = replace(c, phase="Waiting", ready=False, restarts=restarts, wait_until=wait)
            return self._probe(now, c) if wait <= now else c
        return replace(c, ready=image.ready and now - c.started >= image.ready_after)

    def on_timer(self, ctx: Context, state: KubeletState, timer: Any) -> KubeletState:
        ctx.set_timer("heartbeat", self.config.heartbeat)
        containers = tuple(self._probe(ctx.now, c) for c in state.containers)
        statuses = tuple(PodStatus(c.name, c.phase, c.ready, c.restarts) for c in containers)
        ctx.send(self.api, Sync(ctx.id, statuses))
        return replace(state, containers=containers)

    def on_message(self, ctx: Context, state: KubeletState, src: str, msg: Any) -> KubeletState:
        if not isinstance(msg, Assigned):
            return state
        have = {c.name: c for c in state.containers}
        run = []
        for pod in sorted(msg.pods, key=lambda p: p.name):
            c = have.get(pod.name)
            run.append(
                c if c is not None else Container(pod.name, pod.version, ctx.now, starts=(ctx.now,))
            )
        return replace(state, containers=tuple(run))


def backoff_respected(containers: Iterable[Container], config: KubeletConfig) -> bool:
    """Did every restart wait at least its back-off (``backoff_delay``) after the crash?

    The gap between start ``k`` and start ``k + 1`` must be at least the crash time plus
    ``backoff_delay(k, config)`` for the correct kubelet's settings; judged against
    ``KubeletConfig(config.heartbeat, config.backoff_base, config.backoff_cap)`` so that
    a mutant is held to the rule it breaks.

    Examples
    --------
    >>> c = Container("p", "v1", 0.0, starts=(0.0, 3.0, 6.0))
    >>> backoff_respected([c], KubeletConfig())
    True
    >>> backoff_respected([Container("p", "v1", 0.0, starts=(0.0, 1.0, 2.0, 3.0))],
    ...                   KubeletConfig())
    False
    """
    rule = KubeletConfig(config.heartbeat, config.backoff_base, config.backoff_cap)
    for c in containers:
        for k, (a, b) in enumerate(zip(c.starts, c.starts[1:], strict=False), start=1):
            if b - a < backoff_delay(k, rule):
                return False
    return True
