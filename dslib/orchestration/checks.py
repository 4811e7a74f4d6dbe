"""The named checks of sections 10.1 and 10.3, and the mutants they must catch.

Each check is a function of a ``Variant`` (which mutant, if any) and returns an
``Outcome``:

- ``reconciliation converges (model checking)``: ``diverged ~> converged`` on
  ``ReconcileSpec`` under weak fairness, every interleaving of one kill, one lost event
  and one scale change (``dslib.orchestration.spec``); deterministic;
- ``converges after a lost watch event (simulator)``: ``lost_event_run``: the watch event
  of a scale-up is dropped; the cluster must converge by t=60;
- ``a lost node's pods are rescheduled (simulator)``: ``node1`` crashes for good at t=20;
  its pods must run elsewhere and the cluster converge by t=60;
- ``crash loops back off (simulator)``: a version that crashes 1 s after each start runs
  for 60 s; every restart must wait its back-off (``kubelet.backoff_respected``), and at
  least three restarts must have happened (else the check has seen nothing and fails);
- ``rolling update keeps max_unavailable (model checking)``: ``RolloutSpec`` for five
  settings of ``(replicas, max_unavailable, max_surge)``: never more than
  ``max_unavailable`` unready in any state, and every fair execution finishes;
- ``rolling update keeps max_unavailable (simulator)``: ``rollout_run`` of 4 replicas with
  ``max_unavailable=1, max_surge=1``: never fewer than 3 ready pods on the workers from the
  update's start to its end, and the update finishes.

The simulator checks are seeded runs (seed 0 by default); ``catch_rate`` counts, over
many seeds, how often each seeded check catches its mutant.

Examples
--------
>>> reconciliation_converges(Variant()).ok
True
>>> outcome = reconciliation_converges(Variant("edge_triggered"))
>>> outcome.ok, outcome.counterexample_length, outcome.detail
(False, 4, 'Kill a pod; Lose the event kill; then Heartbeat forever')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, mutant_table, run_mutants
from dslib.orchestration import controllers, kubelet
from dslib.orchestration.cluster import ClusterSpec, lost_event_run, run_cluster
from dslib.orchestration.controllers import ControllerConfig
from dslib.orchestration.kubelet import Image, KubeletConfig, KubeletState, backoff_respected
from dslib.orchestration.rollout import rollout_run
from dslib.orchestration.spec import ReconcileSpec, RolloutSpec, check_reconcile, check_rollout
from dslib.orchestration.store import Deployment
from dslib.sim import Crash

__all__ = [
    "CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "ROLLOUT_SETTINGS",
    "Variant",
    "catch_rate",
    "converges_after_lost_event",
    "crash_loops_back_off",
    "lost_node_rescheduled",
    "mutant_report",
    "orchestration_mutant_table",
    "reconciliation_converges",
    "rollout_keeps_max_unavailable",
    "rollout_keeps_max_unavailable_sim",
]

MUTANTS = {**controllers.MUTANTS, **kubelet.MUTANTS}
"""Every broken version of the chapter's control plane, by name."""

ROLLOUT_SETTINGS = ((3, 1, 0), (3, 0, 1), (3, 1, 1), (3, 2, 1), (4, 1, 2))
"""``(replicas, max_unavailable, max_surge)`` that the rolling-update model checks."""


@dataclass(frozen=True)
class Variant:
    """Which control plane the checks build: the correct one, or a mutant of ``MUTANTS``.

    Examples
    --------
    >>> Variant("fast")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Variant: unknown mutant 'fast'; allowed: None or one of ['edge_triggered', ...]
    """

    mutant: str | None = None

    def __post_init__(self) -> None:
        check_mutant("Variant", self.mutant, MUTANTS)

    @property
    def controller(self) -> ControllerConfig:
        """The controllers' configuration."""
        return ControllerConfig(mutant=self.mutant if self.mutant in controllers.MUTANTS else None)

    @property
    def kubelet(self) -> KubeletConfig:
        """The kubelets' configuration."""
        return KubeletConfig(mutant=self.mutant if self.mutant in kubelet.MUTANTS else None)


def reconciliation_converges(variant: Variant) -> Outcome:
    """Model checking: ``diverged ~> converged`` on ``ReconcileSpec`` (see the module)."""
    edge = "edge_triggered" if variant.mutant == "edge_triggered" else None
    lasso = check_reconcile(ReconcileSpec(mutant=edge))
    if lasso is None:
        return Outcome(True)
    steps = [str(s.action) for s in lasso.prefix.steps[1:]]
    loop = sorted({str(s.action) for s in lasso.cycle})
    detail = "; ".join(steps) + ("; then " + ", ".join(loop) + " forever" if loop else "")
    return Outcome(False, len(lasso.prefix) + len(lasso.cycle), detail)


def converges_after_lost_event(variant: Variant, seed: int = 0) -> Outcome:
    """Simulator: a scale-up whose watch event is lost; converged by t=60?"""
    run = lost_event_run(variant.controller.mutant, seed=seed)
    if run.converged_at is not None:
        return Outcome(True)
    return Outcome(False, None, f"seed {seed}: not converged at t={run.times[-1]:g}")


def lost_node_rescheduled(variant: Variant, seed: int = 0) -> Outcome:
    """Simulator: ``node1`` crashes for good at t=20; converged again by t=60?"""
    spec = ClusterSpec(controller=variant.controller, kubelet=variant.kubelet)
    run = run_cluster(spec, seed, 60.0, [(20.0, Crash("node1"))])
    if all(s.converged for s in run.snapshots if s.time > 20.0):
        # nothing ran on node1, so nothing was checked: not a pass
        return Outcome(False, None, f"seed {seed}: the crash of node1 disturbed nothing")
    if run.converged_at is not None:
        return Outcome(True)
    last = run.snapshots[-1]
    stuck = sum(1 for p in last.running if p.ready)
    return Outcome(False, None, f"seed {seed}: {stuck} of {last.desired['web']} pods ready at t=60")


def crash_loops_back_off(variant: Variant, seed: int = 0) -> Outcome:
    """Simulator: a crash-looping version for 60 s; did every restart wait its back-off?"""
    spec = ClusterSpec(
        deployments=(Deployment("loop", 2, "crashy"),),
        kubelet=variant.kubelet,
        controller=variant.controller,
        images=(("crashy", Image(crash_after=1.0)),),
    )
    from dslib.orchestration.cluster import build_cluster

    sim = build_cluster(spec, seed)
    sim.run(until=60.0)
    containers = [
        c for st in sim.states.values() if isinstance(st, KubeletState) for c in st.containers
    ]
    restarts = max((c.restarts for c in containers), default=0)
    if restarts < 3:
        return Outcome(False, None, f"only {restarts} restarts: the check saw no crash loop")
    if backoff_respected(containers, spec.kubelet):
        return Outcome(True)
    return Outcome(False, None, f"{restarts} restarts in 60 s without back-off")


def rollout_keeps_max_unavailable(variant: Variant) -> Outcome:
    """Model checking: ``RolloutSpec`` safety and liveness for every ``ROLLOUT_SETTINGS``."""
    mutant = variant.mutant if variant.mutant == "ignores_max_unavailable" else None
    for replicas, mu, ms in ROLLOUT_SETTINGS:
        result = check_rollout(RolloutSpec(replicas, mu, ms, mutant))
        if hasattr(result, "ok") and not result.ok:
            return Outcome(
                False,
                len(result.counterexample),
                f"replicas={replicas}, max_unavailable={mu}, max_surge={ms}: {result.property}",
            )
        if not hasattr(result, "ok"):
            return Outcome(False, len(result.prefix) + len(result.cycle), "never finishes")
    return Outcome(True)


def rollout_keeps_max_unavailable_sim(variant: Variant, seed: int = 0) -> Outcome:
    """Simulator: 4 replicas, ``max_unavailable=1``: at least 3 ready throughout, and done."""
    run = rollout_run(4, 1, 1, seed=seed, until=80.0, mutant=variant.controller.mutant)
    if run.min_ready < 3:
        return Outcome(False, None, f"seed {seed}: only {run.min_ready} of 4 ready")
    if run.finished is None:
        return Outcome(False, None, f"seed {seed}: the update did not finish by t=80")
    return Outcome(True)


CHECKS: dict[str, Callable[[Variant], Any]] = {
    "reconciliation converges (model checking)": reconciliation_converges,
    "converges after a lost watch event (simulator)": converges_after_lost_event,
    "a lost node's pods are rescheduled (simulator)": lost_node_rescheduled,
    "crash loops back off (simulator)": crash_loops_back_off,
    "rolling update keeps max_unavailable (model checking)": rollout_keeps_max_unavailable,
    "rolling update keeps max_unavailable (simulator)": rollout_keeps_max_unavailable_sim,
}
"""The chapter's control-plane checks, by the name the mutant table shows."""

_LIVE, _LOST, _NODE, _LOOP, _ROLL, _ROLL_SIM = CHECKS

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "edge_triggered": (_LIVE, _LOST),
    "never_evicts": (_NODE,),
    "ignores_max_unavailable": (_ROLL, _ROLL_SIM),
    "no_backoff": (_LOOP,),
}
"""The checks that must catch each mutant."""

_SEEDED = {
    _LOST: converges_after_lost_event,
    _NODE: lost_node_rescheduled,
    _LOOP: crash_loops_back_off,
    _ROLL_SIM: rollout_keeps_max_unavailable_sim,
}


def _same(variant: Variant) -> Variant:
    return variant


def mutant_report(all_checks: bool = False) -> MutantReport:
    """Run the checks on the correct control plane and on every mutant.

    Examples
    --------
    >>> mutant_report().ok
    True
    """
    mutants = [
        Mutant(name, bug, partial(_same, Variant(name)), MUTANT_CHECKS[name])
        for name, bug in MUTANTS.items()
    ]
    return run_mutants(Variant, mutants, CHECKS, all_checks=all_checks)


def catch_rate(mutant: str | None, check: str, seeds: Iterable[int]) -> tuple[int, int]:
    """In how many of ``seeds`` does the seeded ``check`` fail on ``mutant``?

    >>> catch_rate("never_evicts", "a lost node's pods are rescheduled (simulator)", range(2))
    (2, 2)
    """
    if check not in _SEEDED:
        raise ValueError(f"catch_rate: check={check!r} is not seeded; allowed: {sorted(_SEEDED)}")
    seeds = list(seeds)
    fn = _SEEDED[check]
    caught = sum(1 for s in seeds if not fn(Variant(mutant), seed=s).ok)
    return caught, len(seeds)


def orchestration_mutant_table(seeds: Iterable[int] = range(5)) -> Any:
    """The mutant table with, for each seeded check, its catch rate over ``seeds``.

    ``catch rate`` is ``deterministic`` for a model-checking check; for a seeded one,
    ``caught/seeds`` (and for the correct version, how many seeds make any seeded check
    fail: a false alarm).

    Examples
    --------
    >>> table = orchestration_mutant_table(range(1))
    >>> table.set_index("mutant")["catch rate"]["no_backoff"]
    '1/1 seeds'
    """
    seeds = list(seeds)
    table = mutant_table(mutant_report())
    rates = []
    for name in table["mutant"]:
        if name == "correct version":
            alarms = sum(
                1 for s in seeds if not all(fn(Variant(), seed=s).ok for fn in _SEEDED.values())
            )
            rates.append(f"{alarms}/{len(seeds)} seeds fail a check")
            continue
        seeded = [c for c in MUTANT_CHECKS[name] if c in _SEEDED]
        if not seeded:
            rates.append("deterministic")
            continue
        caught, n = catch_rate(name, seeded[0], seeds)
        model = any(c not in _SEEDED for c in MUTANT_CHECKS[name])
        rates.append(("deterministic; " if model else "") + f"{caught}/{n} seeds")
    table["catch rate"] = rates
    return table
