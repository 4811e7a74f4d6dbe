"""Tests of two-phase commit: state counts, mutants with their shortest traces, refinement."""

from __future__ import annotations

from typing import Any

import pytest

from dslib.check import ActorModel, check, state_graph
from dslib.small_systems.twophase import (
    NODE_MUTANTS,
    SPEC_MUTANTS,
    TwoPhase,
    abstract,
    consistent,
    spec_state_count,
    system_consistent,
    two_phase_system,
)

# -- an independent, naive enumerator of the TLA+ TwoPhase spec ----------------------------------
#
# Written differently on purpose: a state is a dict, frozen into a sorted tuple of items;
# each TLA+ action is a function returning the next dict or None (not enabled); the
# reachable set is a fixpoint, recomputed until nothing new appears.


def naive_two_phase(n: int) -> int:
    rms = [f"r{i}" for i in range(n)]

    def freeze(d: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted(d.items()))

    init = {f"rm:{r}": "working" for r in rms}
    init |= {"tm": "init", "tmPrepared": frozenset(), "msgs": frozenset()}

    def successors(d: dict[str, Any]) -> list[dict[str, Any]]:
        out = []

        def with_(**changes: Any) -> dict[str, Any]:
            new = dict(d)
            for k, v in changes.items():
                new[k.replace("__", ":")] = v
            return new

        msgs = d["msgs"]
        if d["tm"] == "init" and d["tmPrepared"] == frozenset(rms):
            out.append(with_(tm="committed", msgs=msgs | {"Commit"}))
        if d["tm"] == "init":
            out.append(with_(tm="aborted", msgs=msgs | {"Abort"}))
        for r in rms:
            if d["tm"] == "init" and f"Prepared {r}" in msgs:
                out.append(with_(tmPrepared=d["tmPrepared"] | {r}))
            if d[f"rm:{r}"] == "working":
                out.append(with_(**{f"rm__{r}": "prepared", "msgs": msgs | {f"Prepared {r}"}}))
                out.append(with_(**{f"rm__{r}": "aborted"}))
            if "Commit" in msgs:
                out.append(with_(**{f"rm__{r}": "committed"}))
            if "Abort" in msgs:
                out.append(with_(**{f"rm__{r}": "aborted"}))
        return out

    seen = {freeze(init): init}
    while True:
        new = {}
        for d in seen.values():
            for e in successors(d):
                k = freeze(e)
                if k not in seen:
                    new[k] = e
        if not new:
            return len(seen)
        seen.update(new)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_spec_state_counts(n: int) -> None:
    r = check(TwoPhase(n), invariants=[consistent])
    assert r.ok and r.complete
    assert r.distinct_states == naive_two_phase(n) == spec_state_count(n)
    if n == 3:
        assert r.distinct_states == 288  # what TLC reports for the TwoPhase module


# -- mutants: each is caught, with the shortest trace derived by hand ------------------------------


@pytest.mark.parametrize(
    ("mutant", "n", "length"),
    [
        # rm1: RMPrepare, TMRcvPrepared, TMCommit (one is enough), RMRcvCommitMsg = 4;
        # rm2: RMChooseToAbort = 1. Five actions, whatever the number of RMs.
        ("tm_commits_early", 2, 5),
        ("tm_commits_early", 3, 5),
        # Commit needs all n prepared and heard (2n) and TMCommit; then one RM receives
        # it and another, prepared, aborts on its own: 2n + 3.
        ("rm_aborts_when_prepared", 2, 7),
        ("rm_aborts_when_prepared", 3, 9),
        # Commit as above (2n + 1), then TMAbort; one RM receives Commit, another (which
        # is prepared, so it cannot abort on its own) receives Abort: 2n + 4.
        ("tm_decides_twice", 2, 8),
    ],
)
def test_spec_mutants_are_caught_with_the_shortest_trace(mutant: str, n: int, length: int) -> None:
    r = check(TwoPhase(n, mutant=mutant), invariants=[consistent])
    assert not r.ok and r.property == "consistent"
    assert r.counterexample is not None and len(r.counterexample) == length
    final = r.counterexample.final
    assert "committed" in final.rm_state and "aborted" in final.rm_state


def test_every_spec_mutant_is_listed_and_caught() -> None:
    for mutant in SPEC_MUTANTS:
        assert not check(TwoPhase(3, mutant=mutant), invariants=[consistent]).ok
    with pytest.raises(ValueError, match="unknown mutant 'x'"):
        TwoPhase(2, mutant="x")
    with pytest.raises(ValueError, match="rms=0 must be at least 1"):
        TwoPhase(0)


# -- the nodes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3])
def test_nodes_are_consistent_on_every_network(n: int) -> None:
    system = two_phase_system(n)
    for options in ({}, {"duplicating": True}, {"lossy": True}, {"fifo": True}):
        assert check(ActorModel(system, **options), invariants=[system_consistent]).ok
    for duplicating in (False, True):
        crashing = ActorModel(system, max_crashes=1, duplicating=duplicating)
        assert check(crashing, invariants=[system_consistent]).ok


@pytest.mark.parametrize(
    ("mutant", "options", "length"),
    [
        # rm1 decides to prepare, its Prepared arrives (the TM commits at once), rm2
        # decides to abort, the Commit reaches rm1: 4 steps.
        ("tm_commits_early", {}, 4),
        # Both prepare (2), both Prepared arrive (2; the TM commits), Commit reaches
        # rm1 (1), rm2's "give up" timer fires (1): 6.
        ("rm_gives_up", {}, 6),
        ("rm_gives_up", {"duplicating": True}, 6),
        # Commit as above (4 steps), Commit reaches rm1 (1), the TM crashes (1) and
        # restarts afresh (1), times out and aborts (1), Abort reaches rm2 (1): 9.
        ("tm_forgets_decision", {"max_crashes": 1, "crashable": ["tm"]}, 9),
    ],
)
def test_node_mutants_are_caught_with_the_shortest_trace(
    mutant: str, options: dict[str, Any], length: int
) -> None:
    r = check(ActorModel(two_phase_system(2, mutant), **options), invariants=[system_consistent])
    assert not r.ok and r.counterexample is not None
    assert len(r.counterexample) == length


def test_every_node_mutant_is_caught() -> None:
    for mutant in NODE_MUTANTS:
        model = ActorModel(two_phase_system(2, mutant), max_crashes=1)
        assert not check(model, invariants=[system_consistent]).ok, mutant
    with pytest.raises(ValueError, match="unknown mutant"):
        two_phase_system(2, "nope")
    with pytest.raises(ValueError, match="n=0 must be an int >= 1"):
        two_phase_system(0)


# -- refinement: the nodes do nothing the specification does not allow --------------------------


@pytest.mark.parametrize("n", [1, 2, 3])
def test_every_node_state_is_a_state_of_the_specification(n: int) -> None:
    spec_states = set(state_graph(TwoPhase(n)).states)
    rms = [f"rm{i}" for i in range(1, n + 1)]
    model = ActorModel(two_phase_system(n), duplicating=True)
    r = check(model, invariants={"refines TwoPhase": lambda s: abstract(s, rms) in spec_states})
    assert r.ok and r.complete


def test_refinement_check_catches_a_mutant() -> None:
    spec_states = set(state_graph(TwoPhase(2)).states)
    model = ActorModel(two_phase_system(2, "tm_commits_early"), duplicating=True)
    r = check(
        model,
        invariants={"refines TwoPhase": lambda s: abstract(s, ["rm1", "rm2"]) in spec_states},
    )
    # rm1 prepares and its Prepared arrives: the TM commits with only rm1 prepared,
    # which no state of the specification allows (TMCommit needs every RM prepared).
    assert not r.ok and len(r.counterexample) == 2


def test_spec_symmetry_and_labels() -> None:
    spec = TwoPhase(["a", "b"], symmetry=True)
    assert spec.rms == ("a", "b")
    r = check(spec, invariants=[consistent])
    # Orbits of 2 RMs: 10 multisets of 4 profiles + 3 of 2 + 21 of 6.
    assert r.distinct_states == 34
    assert spec.actor("TMCommit") == "tm" and spec.actor("RMPrepare(a)") == "a"
