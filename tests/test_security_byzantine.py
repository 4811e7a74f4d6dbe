"""Tests of dslib.security.byzantine: Raft broken by one liar, Bracha's broadcast checked.

The model's node-by-node reduction is compared with the unreduced search (an independent
oracle: every interleaving) on configurations small enough for both.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import CheckResult, check
from dslib.mutants import Mutant, Outcome, run_mutants
from dslib.security.byzantine import (
    BRACHA_PROPERTIES,
    BrachaModel,
    BrachaModelState,
    BrachaState,
    Echo,
    Initial,
    Ready,
    agreement,
    bracha_receive,
    bracha_system,
    correct_states,
    echo_quorum,
    quorum_proof,
    raft_broken,
    ready_consistency,
    validity,
)
from dslib.sim import Simulation

SAFETY = {"agreement": agreement, "ready_consistency": ready_consistency}


def test_the_thresholds_of_bracha() -> None:
    s, out = bracha_receive(BrachaState(), "p1", Initial(0), 4, 1, "p0")
    assert out == () and s == BrachaState()  # only the sender's initial counts
    s, out = bracha_receive(BrachaState(), "p0", Initial(0), 4, 1, "p0")
    assert out == (Echo(0),)
    for q in ("p1", "p2"):
        s, out = bracha_receive(s, q, Echo(0), 4, 1, "p0")
        assert out == ()
    s, out = bracha_receive(s, "p2", Echo(0), 4, 1, "p0")  # a repeat counts once
    assert out == () and s.echoes == (2, 0)
    s, out = bracha_receive(s, "p3", Echo(0), 4, 1, "p0")
    assert out == (Ready(0),) and s.ready == 0
    t, out = bracha_receive(BrachaState(), "p1", Ready(1), 4, 1, "p0")
    t, out = bracha_receive(t, "p2", Ready(1), 4, 1, "p0")
    assert out == (Ready(1),)  # f + 1 readies: amplification
    t, out = bracha_receive(t, "p3", Ready(1), 4, 1, "p0")
    assert t.delivered == 1  # 2f + 1 readies
    with pytest.raises(TypeError, match="not an Initial"):
        bracha_receive(BrachaState(), "p1", "hello", 4, 1, "p0")  # type: ignore[arg-type]


def test_the_echo_quorum_is_the_byzantine_quorum_that_z3_proves() -> None:
    for f in (1, 2, 3):
        n = 3 * f + 1
        assert echo_quorum(n, f) == n - f  # a Byzantine quorum of dslib.verify.quorums
        assert quorum_proof(n, f).holds
        assert not quorum_proof(n - 1, f).holds
    assert echo_quorum(4, 1, "small_echo_quorum") == 2


@functools.cache
def bracha_check(mutant: str | None) -> CheckResult:
    """The model check of n=4, f=1 with an equivocating sender (run once per mutant)."""
    model = BrachaModel(4, 1, byzantine=("p0",), sender="p0", mutant=mutant)
    return check(model, invariants=SAFETY)


def test_bracha_holds_with_an_equivocating_sender_n4_f1() -> None:
    result = bracha_check(None)
    assert result.ok and result.stop_reason == "exhausted"


def test_bracha_is_valid_with_a_correct_sender_and_a_byzantine_peer() -> None:
    props = {**SAFETY, "validity": validity(1)}
    result = check(
        BrachaModel(4, 1, byzantine=("p3",), sender="p0", value=1),
        invariants=props,
        goals={"all deliver": lambda s: all(x.delivered == 1 for _, x in s.nodes)},
    )
    assert result.ok and result.stop_reason == "exhausted" and "all deliver" in result.witnesses


def test_too_small_an_echo_quorum_is_caught_by_the_model_checker() -> None:
    result = bracha_check("small_echo_quorum")
    assert not result.ok and result.property == "ready_consistency"
    assert len(result.counterexample) <= 5


def terminal_states(model: BrachaModel, reduce: bool) -> set[tuple[object, ...]]:
    """Every final state (no action enabled), by a plain search: the oracle when reduce=False."""
    start = list(model.init_states())
    seen = set(start)
    todo = list(start)
    final = set()
    while todo:
        s = todo.pop()
        if reduce:
            nexts = [t for _, t in model.actions(s)]
        else:
            nexts = [t for dst, local in s.nodes for _, t in model._steps(s, dst, local)]
        if not nexts:
            final.add(s.nodes)
        for t in nexts:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return final


@pytest.mark.parametrize(
    "n, f, byzantine, sender",
    [(3, 0, (), "p0"), (3, 1, ("p2",), "p0"), (3, 1, ("p0",), "p0")],
)
def test_the_reduction_reaches_every_final_state_of_the_full_search(
    n: int, f: int, byzantine: tuple[str, ...], sender: str
) -> None:
    model = BrachaModel(n, f, byzantine=byzantine, sender=sender, value=1)
    assert terminal_states(model, reduce=True) == terminal_states(model, reduce=False)


def simulate(mutant: str | None, seeds: range) -> dict[str, int]:
    failures = dict.fromkeys(BRACHA_PROPERTIES, 0)
    for seed in seeds:
        system = bracha_system(4, 1, byzantine=("p0",), sender="p0", mutant=mutant)
        states = Simulation(system, seed=seed).run().states
        for name, prop in BRACHA_PROPERTIES.items():
            failures[name] += not prop(states)
    return failures


def test_the_simulator_with_an_equivocator() -> None:
    assert simulate(None, range(20)) == dict.fromkeys(BRACHA_PROPERTIES, 0)
    broken = simulate("small_echo_quorum", range(20))
    assert broken["ready_consistency"] > 0  # about 30% of seeds (63 of 200)
    assert broken["agreement"] == 0  # 2f + 1 readies still cannot split with n = 3f + 1


@settings(max_examples=30)
@given(
    st.lists(st.sampled_from([0, 1]), min_size=9, max_size=9).map(tuple),
    st.integers(0, 1000),
)
def test_bracha_holds_whatever_the_equivocator_says(lies: tuple[int, ...], seed: int) -> None:
    system = bracha_system(4, 1, byzantine=("p0",), sender="p0", lies=lies)
    states = Simulation(system, seed=seed).run().states
    assert all(prop(states) for prop in BRACHA_PROPERTIES.values())


def test_a_plan_of_lies_splits_the_mutant() -> None:
    # p1 hears initial 0, echo 0, ready 0; p2 and p3 hear 1 (the model checker's attack)
    lies = (0, 0, 0, 1, 1, 1, 1, 1, 1)
    system = bracha_system(4, 1, mutant="small_echo_quorum", lies=lies)
    assert not ready_consistency(Simulation(system, seed=0).run().states)
    assert ready_consistency(Simulation(bracha_system(4, 1, lies=lies), seed=0).run().states)


def test_the_mutant_table() -> None:
    def model_check(mutant: str | None) -> Outcome:
        r = bracha_check(mutant)
        length = len(r.counterexample) if r.counterexample is not None else None
        return Outcome(r.ok and r.stop_reason == "exhausted", length)

    def simulation(mutant: str | None) -> Outcome:
        return Outcome(simulate(mutant, range(20)) == dict.fromkeys(BRACHA_PROPERTIES, 0))

    report = run_mutants(
        lambda: None,
        [
            Mutant(
                "small_echo_quorum",
                "f + 1 echoes",
                lambda: "small_echo_quorum",
                ("model checker", "simulation"),
            )
        ],
        {"model checker": model_check, "simulation": simulation},
    )
    assert report.ok, report.problems()


def test_one_lying_server_breaks_raft() -> None:
    broken = raft_broken(seed=1)
    assert broken["state_machine_safety"] is False
    first = {name: entry for name, (entry, _) in broken["entries"].items()}
    assert first["s1"] != first["s2"]  # s1 replaced its committed first entry
    assert broken["entries"]["s1"][1] >= 1 and broken["entries"]["s2"][1] >= 1
    assert raft_broken(seed=1, forge=False)["state_machine_safety"] is True


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="at most f=1"):
        bracha_system(4, 1, byzantine=("p0", "p1"))
    with pytest.raises(ValueError, match="need n >= 1"):
        BrachaModel(3, 3)
    with pytest.raises(ValueError, match="unknown mutant"):
        echo_quorum(4, 1, "big")
    with pytest.raises(TypeError, match="must be an int"):
        echo_quorum(4.0, 1)  # type: ignore[arg-type]
    assert correct_states({"p0": 0}) == {}
    assert isinstance(BrachaModel().init_states()[0], BrachaModelState)
