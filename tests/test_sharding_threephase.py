"""Three-phase commit's model (dslib.sharding.threephase): safe in one group, not across a cut."""

from __future__ import annotations

import pytest

from dslib.check import check
from dslib.sharding.threephase import ThreePhaseState, atomic, three_phase_model


def reachable(partitioned: bool) -> set[ThreePhaseState]:
    """Brute force: every reachable state, by a plain worklist."""
    model = three_phase_model(partitioned)
    seen = set(model.init_states())
    todo = list(seen)
    while todo:
        for _, nxt in model.actions(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("partitioned", [False, True])
def test_the_model_checker_agrees_with_a_brute_force_search(partitioned: bool) -> None:
    states = reachable(partitioned)
    result = check(three_phase_model(partitioned), invariants=[atomic])
    assert result.ok == all(atomic(s) for s in states)
    if result.ok:
        assert result.distinct_states == len(states)


def test_one_group_is_atomic_and_never_blocks() -> None:
    states = reachable(False)
    assert all(atomic(s) for s in states)
    # Non-blocking: once the coordinator is silent, every state can still terminate.
    model = three_phase_model(False)
    silent = [s for s in states if s.coordinator == "silent"]
    stuck = [s for s in silent if not list(model.actions(s))]
    assert silent and all(x in ("committed", "aborted") for s in stuck for x in s.status)


def test_a_partition_breaks_atomicity_in_seven_steps() -> None:
    result = check(three_phase_model(partitioned=True), invariants=[atomic])
    assert not result.ok and result.counterexample is not None
    assert len(result.counterexample.actions) == 7
    assert result.counterexample.actions[-2:] == ["A terminates: commit", "B terminates: abort"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError, match="True or False"):
        three_phase_model("yes")  # type: ignore[arg-type]
