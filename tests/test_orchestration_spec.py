"""Tests of chapter 10's models (dslib.orchestration.spec) against brute-force oracles.

The liveness verdicts of ``check_leads_to`` on ``ReconcileSpec`` are compared with a
direct search (a diverged state from which the fair actions cannot reach convergence once
faults are spent); the rolling-update invariant's verdict with an exhaustive enumeration.
"""

from __future__ import annotations

from collections import deque
from itertools import product
from typing import Any

import pytest

from dslib.check import check
from dslib.orchestration.spec import (
    ReconcileSpec,
    RolloutSpec,
    at_most_max_unavailable_unready,
    check_reconcile,
    check_rollout,
    converged,
)


def reachable(model: Any) -> set[Any]:
    seen = set(model.init_states())
    todo = deque(seen)
    while todo:
        s = todo.popleft()
        for _, t in model.actions(s):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def oracle_reconcile_fails(spec: ReconcileSpec) -> bool:
    """Is there a reachable state, faults spent, from which the controller never converges?

    Once faults are spent, the only actions are heartbeats, deliveries and reconciles,
    and every execution eventually takes each enabled one (weak fairness): the execution
    from such a state is determined up to heartbeats. Follow it.
    """
    for s in reachable(spec):
        if s.kills or s.losses or s.scales:
            continue
        state = s
        for _ in range(20):
            moves = [t for label, t in spec.actions(state) if label != "Heartbeat"]
            if not moves:
                break
            state = moves[0]
        if not converged(state):
            return True
    return False


@pytest.mark.parametrize(
    ("replicas", "top", "kills", "losses", "scales"),
    [c for c in product((0, 1, 2), (2,), (0, 1), (0, 1), (0, 1)) if c[0] <= c[1]],
)
def test_reconcile_liveness_agrees_with_a_brute_force_oracle(
    replicas: int, top: int, kills: int, losses: int, scales: int
) -> None:
    for mutant in (None, "edge_triggered"):
        spec = ReconcileSpec(replicas, top, kills, losses, scales, mutant)
        lasso = check_reconcile(spec)
        assert (lasso is not None) == oracle_reconcile_fails(spec), (mutant, lasso)
        if mutant is None:
            assert lasso is None


def test_the_edge_triggered_lasso_loses_the_event_and_loops_on_heartbeats() -> None:
    lasso = check_reconcile(ReconcileSpec(mutant="edge_triggered"))
    assert str(lasso).splitlines()[1:] == [
        "   0  initial state              ReconcileState(desired=2, pods=2, events=(), kills=1,"
        " losses=1, scales=1, beat=False)",
        "   1  Kill a pod                 pods: 2 → 1; events: () → (('kill', -1),); kills: 1 → 0",
        "   2  Lose the event kill        events: (('kill', -1),) → (); losses: 1 → 0",
        "   3  Heartbeat            ↺     beat: False → True",
        "   4  Heartbeat            ↺     beat: True → False",
        "the trigger holds at step 2, the target never after it; then back to step 2, forever",
    ]
    assert lasso.cycle and not lasso.stutters


def oracle_min_ready(spec: RolloutSpec) -> int:
    return min(s.old_pods + s.new_ready for s in reachable(spec))


@pytest.mark.parametrize(
    ("replicas", "mu", "ms"),
    [c for c in product((1, 2, 3, 4), (0, 1, 2), (0, 1, 2)) if c[1] or c[2]],
)
def test_rollout_safety_agrees_with_enumeration(replicas: int, mu: int, ms: int) -> None:
    for mutant in (None, "ignores_max_unavailable"):
        spec = RolloutSpec(replicas, mu, ms, mutant)
        result = check(spec, invariants=at_most_max_unavailable_unready(spec))
        assert result.ok == (oracle_min_ready(spec) >= replicas - mu), (mutant, result.summary())
        if mutant is None:
            assert result.ok


def test_the_mutant_counterexample_is_three_steps() -> None:
    result = check_rollout(RolloutSpec(3, 1, 0, "ignores_max_unavailable"))
    assert not result.ok
    assert result.counterexample.actions == ["Step", "Delete an old pod", "Delete an old pod"]


def test_every_correct_rollout_finishes() -> None:
    for replicas, mu, ms in [(3, 1, 0), (3, 0, 1), (2, 2, 2)]:
        assert check_rollout(RolloutSpec(replicas, mu, ms)).ok


def test_bad_model_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="replicas=3 must be at most max_replicas=2"):
        ReconcileSpec(3, 2)
    with pytest.raises(ValueError, match="unknown mutant"):
        ReconcileSpec(mutant="ignores_max_unavailable")
