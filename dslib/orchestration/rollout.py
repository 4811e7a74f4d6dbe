"""Rolling updates: replace a deployment's pods a few at a time, and roll back a bad version.

A deployment owns one replica set per version. When its ``version`` changes, the
deployment controller scales the new replica set up and the old ones down, one step per
reconcile, within two bounds (the Kubernetes ``RollingUpdate`` strategy):

- ``max_surge``: at most ``replicas + max_surge`` pods exist (counted by the replica
  sets' desired sizes), so the update needs at most that much spare room;
- ``max_unavailable``: at least ``replicas - max_unavailable`` pods stay ready, so an
  old pod is removed only when enough others are ready to cover it.

Both 0 would allow no step at all; ``Deployment`` refuses it. ``rolling_update_step`` is
one step, a pure function; the ``ignores_max_unavailable`` mutant sits one line from the
rule it breaks. If the new version's pods are not all ready ``progress_deadline``
seconds after its replica set was created, the controller rolls back
(``should_roll_back``): it sets the deployment's version to the previous one, which is a
rolling update like any other.

``rollout_run`` measures an update in the simulator (ready replicas over time, the
update's duration, the lowest availability); ``rollout_table`` tabulates them over
``max_unavailable`` x ``max_surge``.

Examples
--------
Three replicas of v1, none of v2 yet, surge 1, unavailable 1: the new replica set grows
to 1 (4 pods in all) and one old pod goes (2 stay ready, the minimum):

>>> rolling_update_step(3, max_unavailable=1, max_surge=1, new=0, old=(3,), new_ready=0,
...                     old_ready=3)
(1, (2,))
>>> rolling_update_step(3, max_unavailable=1, max_surge=1, new=0, old=(3,), new_ready=0,
...                     old_ready=3, mutant="ignores_max_unavailable")
(1, (0,))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MUTANTS",
    "RolloutRun",
    "rolling_update_step",
    "rollout_run",
    "rollout_table",
    "should_roll_back",
]

MUTANTS = {
    "ignores_max_unavailable": "a rolling update that scales the old replica sets down at once, "
    "ignoring max_unavailable",
}
"""The rolling update's broken versions (selected through ``ControllerConfig.mutant``)."""


def rolling_update_step(
    replicas: int,
    max_unavailable: int,
    max_surge: int,
    new: int,
    old: Sequence[int],
    new_ready: int,
    old_ready: int,
    mutant: str | None = None,
) -> tuple[int, tuple[int, ...]]:
    """One step of a rolling update: the new desired sizes of the new and old replica sets.

    Parameters
    ----------
    replicas, max_unavailable, max_surge : int
        The deployment's.
    new : int
        The new replica set's desired size now.
    old : sequence of int
        The old replica sets' desired sizes, oldest first.
    new_ready, old_ready : int
        Ready pods in the new replica set, and in all the old ones.
    mutant : str, optional
        ``"ignores_max_unavailable"``: remove every old pod at once.

    Returns
    -------
    (int, tuple of int)
        The new sizes: the new replica set's, and each old one's.

    Notes
    -----
    Scale up first: the new set grows by as much as ``replicas + max_surge`` leaves room
    for, up to ``replicas``. Then scale down: old pods that are not ready may go (they add
    nothing to availability), and ready ones as long as ``new_ready + old_ready`` stays at
    least ``replicas - max_unavailable``. Removing from the old sets relies on the replica
    set controller deleting unready pods first (``reconcile_replica_set`` does).

    Examples
    --------
    Surge 0: nothing can be added until an old pod goes:

    >>> rolling_update_step(3, 1, 0, new=0, old=(3,), new_ready=0, old_ready=3)
    (0, (2,))
    >>> rolling_update_step(3, 1, 0, new=0, old=(2,), new_ready=0, old_ready=2)
    (1, (2,))
    """
    total = new + sum(old)
    if new > replicas:
        new = replicas
    else:
        new += max(0, min(replicas + max_surge - total, replicas - new))
    min_available = replicas - max_unavailable
    old_unready = max(0, sum(old) - old_ready)
    removable = old_unready + max(0, new_ready + old_ready - min_available)
    if mutant == "ignores_max_unavailable":
        removable = sum(old)  # the bug: no minimum of ready pods is kept
    sizes = []
    for size in old:
        cut = min(size, removable)
        removable -= cut
        sizes.append(size - cut)
    return new, tuple(sizes)


def should_roll_back(
    now: float, created: float, progress_deadline: float, new_ready: int, replicas: int
) -> bool:
    """Has the new version missed its deadline (not all ready ``progress_deadline`` after)?

    >>> should_roll_back(40.0, created=5.0, progress_deadline=30.0, new_ready=1, replicas=3)
    True
    >>> should_roll_back(40.0, created=5.0, progress_deadline=30.0, new_ready=3, replicas=3)
    False
    """
    return now - created > progress_deadline and new_ready < replicas


@dataclass(frozen=True)
class RolloutRun:
    """One rolling update measured in the simulator.

    Attributes
    ----------
    times : tuple of float
        The sample times (every second).
    ready : tuple of int
        Ready pods of the deployment at each time (as the kubelets run them).
    new_ready : tuple of int
        Ready pods of the new version at each time.
    started : float
        When the new version was applied.
    finished : float or None
        When every replica was ready in the final version and no old pod ran (``None``:
        not by the end of the run).
    min_ready : int
        The fewest ready pods from ``started`` to ``finished`` (or to the end).
    final_version : str
        The deployment's version at the end (the old one after a rollback).
    events : tuple of str
        The control plane's events, ``reason: message``.
    """

    times: tuple[float, ...]
    ready: tuple[int, ...]
    new_ready: tuple[int, ...]
    started: float
    finished: float | None
    min_ready: int
    final_version: str
    events: tuple[str, ...]

    @property
    def duration(self) -> float | None:
        """``finished - started`` (``None`` if it never finished)."""
        return None if self.finished is None else self.finished - self.started


def rollout_run(
    replicas: int = 4,
    max_unavailable: int = 1,
    max_surge: int = 1,
    new_version: str = "v2",
    seed: int = 0,
    nodes: int = 3,
    cpu: int = 4,
    until: float = 120.0,
    mutant: str | None = None,
    bad_versions: Iterable[str] = ("bad",),
) -> RolloutRun:
    """Update a deployment of ``replicas`` pods from v1 to ``new_version`` at t=20 and measure it.

    Parameters
    ----------
    replicas, max_unavailable, max_surge : int
        The deployment's.
    new_version : str, default "v2"
        A version in ``bad_versions`` never passes its readiness probe (the controller then
        rolls back after its progress deadline).
    seed : int
    nodes, cpu : int
        The cluster: ``nodes`` workers of ``cpu`` CPUs each (a pod asks for 1).
    until : float
        The end of the run.
    mutant : str, optional
        A mutant of ``ControllerConfig``.
    bad_versions : iterable of str

    Returns
    -------
    RolloutRun

    Examples
    --------
    >>> run = rollout_run(replicas=3, max_unavailable=1, max_surge=0, until=60.0)
    >>> run.min_ready, run.final_version, run.duration is not None
    (2, 'v2', True)
    """
    from dslib.orchestration.cluster import ClusterSpec, Image, deployment_pods, run_cluster
    from dslib.orchestration.controllers import ControllerConfig
    from dslib.orchestration.store import Deployment

    start = 20.0
    dep = Deployment("web", replicas, "v1", max_unavailable, max_surge)
    images = {v: Image(ready=False) for v in bad_versions}
    spec = ClusterSpec(
        nodes=nodes,
        cpu=cpu,
        deployments=(dep,),
        script=((start, Deployment("web", replicas, new_version, max_unavailable, max_surge)),),
        controller=ControllerConfig(mutant=mutant),
        images=tuple(sorted(images.items())),
    )
    result = run_cluster(spec, seed=seed, until=until)
    ready, new_ready, finished = [], [], None
    for snap in result.snapshots:
        pods = deployment_pods(snap.running, "web")
        ready.append(sum(1 for p in pods if p.ready))
        new_ready.append(sum(1 for p in pods if p.ready and p.version == snap.versions["web"]))
        done = (
            snap.time >= start
            and snap.versions["web"] == new_version
            and new_ready[-1] == replicas
            and len(pods) == replicas
        )
        if done and finished is None:
            finished = snap.time
        elif not done and snap.time > start:
            finished = None
    during = [
        r
        for t, r in zip(result.times, ready, strict=True)
        if t >= start and (finished is None or t <= finished)
    ]
    return RolloutRun(
        times=result.times,
        ready=tuple(ready),
        new_ready=tuple(new_ready),
        started=start,
        finished=finished,
        min_ready=min(during) if during else 0,
        final_version=result.snapshots[-1].versions["web"],
        events=result.events,
    )


def rollout_table(
    replicas: int = 4,
    settings: Iterable[tuple[int, int]] = ((1, 0), (0, 1), (1, 1), (2, 0), (0, 2), (2, 2)),
    seeds: Iterable[int] = (0,),
) -> Any:
    """Duration and lowest availability of an update, for each ``(max_unavailable, max_surge)``.

    Returns
    -------
    pandas.DataFrame
        ``max_unavailable``, ``max_surge``, ``duration (s)`` (mean over seeds), ``min ready``
        (lowest over seeds), ``bound`` (``replicas - max_unavailable``).

    Examples
    --------
    >>> rollout_table(3, settings=[(1, 0)])  # doctest: +NORMALIZE_WHITESPACE
       max_unavailable  max_surge  duration (s)  min ready  bound
    0                1          0          25.0          2      2
    """
    import pandas as pd

    seeds = list(seeds)
    rows = []
    for mu, ms in settings:
        runs = [rollout_run(replicas, mu, ms, seed=s, until=150.0) for s in seeds]
        durations = [r.duration for r in runs if r.duration is not None]
        rows.append(
            {
                "max_unavailable": mu,
                "max_surge": ms,
                "duration (s)": (
                    round(sum(durations) / len(durations), 1) if durations else float("nan")
                ),
                "min ready": min(r.min_ready for r in runs),
                "bound": replicas - mu,
            }
        )
    return pd.DataFrame(rows)
