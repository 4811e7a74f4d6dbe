"""Reconciliation and rolling updates as small models, checked exhaustively.

The simulator (``dslib.orchestration.cluster``) tries one interleaving of the control
plane per seed. These models keep only what the two properties of the chapter are about,
so that ``dslib.check`` can try every interleaving.

``ReconcileSpec``: one replica set. The operator may scale it, a pod may be killed, a
watch event may be lost (each a bounded number of times: faults stop). The controller
either compares the desired count with the pods that exist (level-triggered, ``Reconcile``)
or acts on each event's change (``edge_triggered``: a killed pod's event makes it create
one; a scale event makes it create or delete the difference). A kubelet's heartbeat
ticks forever. Liveness: ``diverged ~> converged``, under weak fairness of the
controller's and the network's actions (faults are not fair: they may never happen).
The edge-triggered controller fails it: the lasso kills a pod, loses the event, and then
goes round the heartbeat forever with one pod missing.

``RolloutSpec``: a rolling update from ``replicas`` old pods, with the deployment
controller's real rule (``rollout.rolling_update_step``) as one action and the replica-set
controllers' creates and deletes and the new pods' readiness as others. Safety:
``at_most_max_unavailable_unready`` in every state; liveness: the update finishes.

Examples
--------
>>> from dslib.check import check_leads_to
>>> print(check_leads_to(ReconcileSpec(), diverged, converged))
None
>>> lasso = check_leads_to(ReconcileSpec(mutant="edge_triggered"), diverged, converged)
>>> [str(s.action) for s in lasso.prefix.steps[1:]], [str(s.action) for s in lasso.cycle]
(['Kill a pod', 'Lose the event kill'], ['Heartbeat', 'Heartbeat'])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from dslib.check import Model, check, check_leads_to
from dslib.mutants import check_mutant
from dslib.orchestration.rollout import rolling_update_step

__all__ = [
    "MUTANTS",
    "ReconcileSpec",
    "ReconcileState",
    "RolloutSpec",
    "RolloutState",
    "at_most_max_unavailable_unready",
    "check_reconcile",
    "check_rollout",
    "converged",
    "diverged",
    "update_done",
]

MUTANTS = {
    "edge_triggered": "the controller acts on each event's change, never on the totals",
    "ignores_max_unavailable": "the rolling update scales the old pods down at once",
}
"""The models' broken versions."""


@dataclass(frozen=True)
class ReconcileState:
    """One replica set.

    Attributes
    ----------
    desired : int
        The replica set's size.
    pods : int
        Pods that exist.
    events : tuple of (str, int)
        Watch events not yet delivered to the controller, in order: ``("kill", -1)`` or
        ``("scale", change)``.
    kills, losses, scales : int
        Faults of each kind still allowed.
    beat : bool
        Toggled by each heartbeat.
    """

    desired: int
    pods: int
    events: tuple[tuple[str, int], ...] = ()
    kills: int = 1
    losses: int = 1
    scales: int = 1
    beat: bool = False


def converged(s: ReconcileState) -> bool:
    """The observed state equals the desired state."""
    return s.pods == s.desired


def diverged(s: ReconcileState) -> bool:
    """The observed state differs from the desired state."""
    return s.pods != s.desired


class ReconcileSpec(Model[ReconcileState]):
    """One replica set, its controller, and bounded faults.

    Parameters
    ----------
    replicas : int, default 2
        The initial size (the pods exist).
    max_replicas : int, default 3
        The operator scales to any size from 0 to this.
    kills, losses, scales : int, default 1
        How many pods may be killed, watch events lost, and scale changes made.
    mutant : str, optional
        ``"edge_triggered"``.

    Examples
    --------
    >>> spec = ReconcileSpec(replicas=1, max_replicas=1)
    >>> [label for label, _ in spec.actions(spec.init_states()[0])]
    ['Heartbeat', 'Kill a pod', 'Scale to 0']
    """

    def __init__(
        self,
        replicas: int = 2,
        max_replicas: int = 3,
        kills: int = 1,
        losses: int = 1,
        scales: int = 1,
        mutant: str | None = None,
    ) -> None:
        for name, v in (
            ("replicas", replicas),
            ("max_replicas", max_replicas),
            ("kills", kills),
            ("losses", losses),
            ("scales", scales),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"ReconcileSpec: {name}={v!r} must be an int >= 0")
        if replicas > max_replicas:
            raise ValueError(
                f"ReconcileSpec: replicas={replicas} must be at most max_replicas={max_replicas}"
            )
        self.replicas, self.max_replicas = replicas, max_replicas
        self.faults = (kills, losses, scales)
        self.mutant = check_mutant("ReconcileSpec", mutant, {"edge_triggered": ""})
        how = "edge-triggered" if mutant else "level-triggered"
        super().__init__(name=f"ReconcileSpec({replicas} replicas, {how})")

    def init_states(self) -> list[ReconcileState]:
        """The replica set at its size; every fault still possible."""
        k, lo, sc = self.faults
        return [ReconcileState(self.replicas, self.replicas, (), k, lo, sc)]

    def actions(self, s: ReconcileState) -> Iterator[tuple[str, ReconcileState]]:
        """Heartbeat, the faults, the network's delivery, and the controller's step."""
        yield "Heartbeat", replace(s, beat=not s.beat)
        if s.kills and s.pods:
            yield (
                "Kill a pod",
                replace(s, pods=s.pods - 1, events=(*s.events, ("kill", -1)), kills=s.kills - 1),
            )
        if s.losses and s.events:
            kind = s.events[0][0]
            yield f"Lose the event {kind}", replace(s, events=s.events[1:], losses=s.losses - 1)
        if s.scales:
            for size in range(self.max_replicas + 1):
                if size != s.desired:
                    event = ("scale", size - s.desired)
                    yield (
                        f"Scale to {size}",
                        replace(s, desired=size, events=(*s.events, event), scales=s.scales - 1),
                    )
        if s.events:
            kind, change = s.events[0]
            pods = s.pods
            if self.mutant == "edge_triggered":
                # the bug: act on the change alone (a pod went: add one; it grew by k: add k)
                pods = max(0, pods + (1 if kind == "kill" else change))
            yield f"Deliver the event {kind}", replace(s, pods=pods, events=s.events[1:])
        if self.mutant is None and s.pods != s.desired:
            # level-triggered: compare the desired count with the pods that exist
            step = 1 if s.pods < s.desired else -1
            yield "Reconcile", replace(s, pods=s.pods + step)

    def fairness(self, action: Any) -> Hashable | None:
        """Weak fairness for the heartbeat, deliveries and the controller; none for faults."""
        label = str(action)
        if label.startswith(("Kill", "Lose", "Scale")):
            return None
        return label.split(" the event")[0]


@dataclass(frozen=True)
class RolloutState:
    """A rolling update in progress.

    Attributes
    ----------
    old_size, new_size : int
        The old and the new replica set's desired sizes.
    old_pods : int
        Old pods that exist (all ready).
    new_ready, new_unready : int
        New pods, ready and not yet ready.
    """

    old_size: int
    new_size: int
    old_pods: int
    new_ready: int = 0
    new_unready: int = 0


class RolloutSpec(Model[RolloutState]):
    """A rolling update of ``replicas`` pods with the controller's real step.

    Parameters
    ----------
    replicas : int, default 3
    max_unavailable, max_surge : int, default 1
    mutant : str, optional
        ``"ignores_max_unavailable"``.

    Examples
    --------
    >>> RolloutSpec(3, max_unavailable=0, max_surge=0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: RolloutSpec: max_unavailable=0 and max_surge=0 allow no progress; allowed: ...
    """

    def __init__(
        self,
        replicas: int = 3,
        max_unavailable: int = 1,
        max_surge: int = 1,
        mutant: str | None = None,
    ) -> None:
        for name, v in (
            ("replicas", replicas),
            ("max_unavailable", max_unavailable),
            ("max_surge", max_surge),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"RolloutSpec: {name}={v!r} must be an int >= 0")
        if max_unavailable == 0 and max_surge == 0:
            raise ValueError(
                "RolloutSpec: max_unavailable=0 and max_surge=0 allow no progress; allowed: "
                "at least one of them >= 1"
            )
        self.replicas, self.max_unavailable, self.max_surge = replicas, max_unavailable, max_surge
        self.mutant = check_mutant(
            "RolloutSpec", mutant, {"ignores_max_unavailable": MUTANTS["ignores_max_unavailable"]}
        )
        super().__init__(
            name=f"RolloutSpec({replicas} replicas, max_unavailable={max_unavailable}, "
            f"max_surge={max_surge}{', ' + mutant if mutant else ''})"
        )

    def init_states(self) -> list[RolloutState]:
        """Every pod old and ready; the new replica set empty."""
        return [RolloutState(self.replicas, 0, self.replicas)]

    def actions(self, s: RolloutState) -> Iterator[tuple[str, RolloutState]]:
        """The deployment controller's step, the replica sets' creates and deletes, readiness."""
        new_pods = s.new_ready + s.new_unready
        new_size, (old_size,) = rolling_update_step(
            self.replicas,
            self.max_unavailable,
            self.max_surge,
            s.new_size,
            (s.old_size,),
            min(s.new_size, s.new_ready),
            min(s.old_size, s.old_pods),
            mutant=self.mutant,
        )
        if (new_size, old_size) != (s.new_size, s.old_size):
            yield "Step", replace(s, new_size=new_size, old_size=old_size)
        if new_pods < s.new_size:
            yield "Create a new pod", replace(s, new_unready=s.new_unready + 1)
        if s.old_pods > s.old_size:
            yield "Delete an old pod", replace(s, old_pods=s.old_pods - 1)
        if new_pods > s.new_size:
            if s.new_unready:
                yield "Delete a new pod", replace(s, new_unready=s.new_unready - 1)
            else:
                yield "Delete a new pod", replace(s, new_ready=s.new_ready - 1)
        if s.new_unready:
            yield (
                "A new pod is ready",
                replace(s, new_ready=s.new_ready + 1, new_unready=s.new_unready - 1),
            )

    def unready(self, s: RolloutState) -> int:
        """How many of the ``replicas`` are not ready."""
        return max(0, self.replicas - s.old_pods - s.new_ready)


def at_most_max_unavailable_unready(spec: RolloutSpec) -> Any:
    """The invariant "never more than ``max_unavailable`` replicas unready" of ``spec``."""

    def invariant(s: RolloutState) -> bool:
        return spec.unready(s) <= spec.max_unavailable

    invariant.__name__ = "at_most_max_unavailable_unready"
    invariant.__doc__ = f"never more than {spec.max_unavailable} of the replicas unready"
    return invariant


def update_done(s: RolloutState) -> bool:
    """Every old pod gone and the new ones all ready (the old set's size 0)."""
    return s.old_pods == 0 and s.old_size == 0 and s.new_unready == 0


def check_reconcile(spec: ReconcileSpec) -> Any:
    """``diverged ~> converged`` on ``spec``: ``None`` if it holds, else the lasso.

    Without lost events or scaling, even the edge-triggered controller converges; with a
    scale-down and a kill but no loss, it replaces a pod it should not:

    >>> check_reconcile(ReconcileSpec(losses=0, scales=0, mutant="edge_triggered")) is None
    True
    >>> lasso = check_reconcile(ReconcileSpec(losses=0, mutant="edge_triggered"))
    >>> [str(s.action) for s in lasso.prefix.steps[1:]]
    ['Scale to 0', 'Kill a pod', 'Deliver the event scale', 'Deliver the event kill']
    """
    return check_leads_to(spec, diverged, converged, name="diverged ~> converged")


def check_rollout(spec: RolloutSpec) -> Any:
    """The rolling update's safety (every state) and liveness (it finishes).

    Returns the ``CheckResult`` of the invariant if it fails, else the lasso of
    ``eventually update_done`` if that fails, else the (passing) ``CheckResult``.

    >>> print(check_rollout(RolloutSpec(3, 1, 1)).summary())  # doctest: +ELLIPSIS
    ok: every reachable state explored (bfs; ... distinct states, ...)
    """
    result = check(spec, invariants=at_most_max_unavailable_unready(spec))
    if not result.ok:
        return result
    lasso = check_leads_to(spec, lambda s: True, update_done, name="the update finishes")
    return lasso if lasso is not None else result
