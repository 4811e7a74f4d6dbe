"""Tests of symmetry reduction: the reduced count is the number of orbits, in any order."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any

import pytest

from dslib.check import ActorModel, Model, Symmetry, check, rename, replay, state_graph
from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
from dslib.small_systems.twophase import TwoPhase, consistent, system_consistent, two_phase_system


def brute_force_orbits(model: Model[Any], permute: Any, perms: list[dict[Any, Any]]) -> int:
    """Enumerate every reachable state (no symmetry), then group them into orbits."""
    states = state_graph(model, max_states=None).states
    orbits = {frozenset(permute(s, p) for p in perms) for s in states}
    return len(orbits)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_spec_two_phase_orbits(n: int) -> None:
    plain = TwoPhase(n)
    perms = Symmetry(plain.permute, plain.rms).permutations
    orbits = brute_force_orbits(plain, plain.permute, perms)
    # Orbits by hand: multisets of per-RM profiles (4 kinds while the TM is in init,
    # 2 after commit, 6 after abort; see spec_state_count).
    assert orbits == comb(n + 3, 3) + (n + 1) + comb(n + 5, 5)
    reduced = TwoPhase(n, symmetry=True)  # canonical key
    generic = TwoPhase(n)
    generic.symmetry = Symmetry(generic.permute, generic.rms)  # min hash over permutations
    for model in (reduced, generic):
        for strategy in ("bfs", "dfs"):
            r = check(model, invariants=[consistent], strategy=strategy)
            assert r.ok and r.distinct_states == orbits, (model, strategy)


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("duplicating", [False, True])
def test_actor_two_phase_orbits(n: int, duplicating: bool) -> None:
    rms = [f"rm{i}" for i in range(1, n + 1)]
    plain = ActorModel(two_phase_system(n), duplicating=duplicating)
    perms = Symmetry(plain.permute, rms).permutations
    orbits = brute_force_orbits(plain, plain.permute, perms)
    model = ActorModel(two_phase_system(n), duplicating=duplicating, symmetric=rms)
    full = check(plain).distinct_states
    assert orbits < full
    for strategy in ("bfs", "dfs"):
        assert check(model, strategy=strategy).distinct_states == orbits


def test_orbits_with_crashes_and_a_non_symmetric_system() -> None:
    # The buggy Ricart-Agrawala compares timestamps only: its processes are interchangeable.
    for system, ids in (
        (ricart_agrawala(2, mutant="tie_by_timestamp"), ["p1", "p2"]),
        (two_phase_system(2), ["rm1", "rm2"]),
    ):
        plain = ActorModel(system, max_crashes=1)
        perms = Symmetry(plain.permute, ids).permutations
        orbits = brute_force_orbits(plain, plain.permute, perms)
        model = ActorModel(system, max_crashes=1, symmetric=ids)
        assert check(model).distinct_states == orbits
        assert check(model, strategy="dfs").distinct_states == orbits
    # The correct one breaks ties by process id, so renaming processes changes what
    # happens: declaring them symmetric is wrong, and the reduced count shows it.
    ids = ["p1", "p2", "p3"]
    plain = ActorModel(ricart_agrawala(3))
    orbits = brute_force_orbits(plain, plain.permute, Symmetry(plain.permute, ids).permutations)
    wrong = check(ActorModel(ricart_agrawala(3), symmetric=ids)).distinct_states
    assert wrong != orbits


def test_counterexample_under_symmetry_is_a_real_execution() -> None:
    system = ricart_agrawala(3, mutant="tie_by_timestamp")
    model = ActorModel(system, symmetric=["p1", "p2", "p3"])
    r = check(model, invariants=[at_most_one_critical])
    plain = check(ActorModel(system), invariants=[at_most_one_critical])
    assert len(r.counterexample) == len(plain.counterexample)
    replay(system, r.counterexample)  # raises if a step is not what the simulator does
    system2 = two_phase_system(3, "rm_gives_up")
    r = check(ActorModel(system2, symmetric=["rm1", "rm2", "rm3"]), invariants=[system_consistent])
    replay(system2, r.counterexample)


def test_symmetry_validation() -> None:
    def ident(s: Any, m: Any) -> Any:
        return s

    with pytest.raises(ValueError, match="at least one group"):
        Symmetry(ident)
    with pytest.raises(ValueError, match="repeats a name"):
        Symmetry(ident, ["a", "a"])
    with pytest.raises(ValueError, match=r"names \['a'\] are in two groups"):
        Symmetry(ident, ["a", "b"], ["a", "c"])
    with pytest.raises(ValueError, match="more than 100000"):
        Symmetry(ident, list(range(9)))
    with pytest.raises(TypeError, match="must be a function"):
        Symmetry("permute", ["a"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a list of names"):
        Symmetry(ident, "ab")
    assert len(Symmetry(ident, ["a", "b"], ["x", "y", "z"]).permutations) == 12
    with pytest.raises(ValueError, match="different classes"):
        ActorModel(two_phase_system(2), symmetric=["rm1", "tm"])
    with pytest.raises(ValueError, match="'rm9', which is not a node"):
        ActorModel(two_phase_system(2), symmetric=["rm1", "rm9"])


@dataclass(frozen=True)
class Vote:
    voter: str
    term: int


def test_rename_looks_inside_values() -> None:
    value = (
        "a",
        Vote("b", 3),
        frozenset({"a", "c"}),
        ["b", 1],
        {"a": ("b",)},
        True,
        2,
        None,
    )
    mapping = {"a": "b", "b": "a", 1: 7}
    assert rename(value, mapping) == (
        "b",
        Vote("a", 3),
        frozenset({"b", "c"}),
        ["a", 7],
        {"b": ("a",)},
        True,  # booleans are never names
        2,
        None,
    )
