"""Tests of dslib.consensus.flp: the FLP protocol, its lassos, bivalence, and Ben-Or's escape."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from dslib.check import Lasso, StateGraph, check
from dslib.consensus.flp import (
    COINS,
    MUTANTS,
    Proc,
    WaitForTwo,
    agreement,
    bivalent_forever,
    bivalent_states,
    brute_force_valence,
    decided_values,
    graph_of,
    initial_valences,
    never_decides,
    normalise,
    rounds_table,
    simulate,
    termination,
    valences,
    validity,
)


@functools.cache
def full_graph(coin: str) -> StateGraph:
    """The graph of every input and crash, within the drift bound (shared: it takes seconds)."""
    return graph_of(WaitForTwo(coin=coin))


def assert_genuine_lasso(model: WaitForTwo, lasso: Lasso, bad: Any) -> None:
    """Replay ``lasso`` step by step, check that ``bad`` holds all along, and that it is fair:
    every weak-fairness class enabled (by a changing step) in every state of the cycle is
    taken in the cycle; an empty cycle ends where no fair step is enabled."""
    states = lasso.prefix.states
    assert states[0] in model.init_states()
    steps = list(zip(lasso.prefix.actions, states[1:], strict=True)) + [
        (s.action, s.state) for s in lasso.cycle
    ]
    current = states[0]
    visited = [current]
    for action, nxt in steps:
        assert (action, nxt) in list(model.actions(current)), action
        assert model.within_drift(nxt)
        current = nxt
        visited.append(current)
    assert all(bad(s) for s in visited)

    def enabled(s: Any) -> set[Any]:
        return {
            model.fairness(a)
            for a, t in model.actions(s)
            if t != s and model.fairness(a) is not None
        }

    if not lasso.cycle:
        assert enabled(lasso.prefix.final) == set()
        return
    loop = [lasso.prefix.final] + [s.state for s in lasso.cycle]
    always = set.intersection(*(enabled(s) for s in loop))
    taken = {model.fairness(s.action) for s in lasso.cycle}
    assert always <= taken, always - taken


# -- safety ---------------------------------------------------------------------------------
@pytest.mark.parametrize("coin", ["keep", "flip"])
def test_agreement_and_validity_hold_for_every_execution_within_the_drift(coin: str) -> None:
    model = WaitForTwo(coin=coin)
    r = check(model, invariants=[agreement, validity], constraint=model.within_drift)
    assert r.ok and r.complete, r.summary()


def test_agreement_holds_with_the_coin_chosen_by_an_adversary() -> None:
    model = WaitForTwo(coin="random", inputs=(0, 1, 1))
    r = check(model, invariants=[agreement, validity], constraint=model.within_drift)
    assert r.ok and r.complete, r.summary()


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_breaks_agreement_and_the_checker_shows_how(mutant: str) -> None:
    model = WaitForTwo(coin="flip", mutant=mutant)
    r = check(model, invariants=[agreement, validity], constraint=model.within_drift)
    assert not r.ok and r.property == "agreement"
    final = r.counterexample.final
    assert len(decided_values(final)) == 2
    # every step of the counterexample is a step of the model
    states = r.counterexample.states
    for action, before, after in zip(
        r.counterexample.actions, states[:-1], states[1:], strict=True
    ):
        assert (action, after) in list(model.actions(before))


def test_the_invariants_can_fail() -> None:
    p = Proc(0, 1, 0, (0, None, None), ())
    from dslib.consensus.flp import FLPState

    s = FLPState((p._replace(decided=(0,)), p._replace(decided=(1,)), p), frozenset(), (0, 0, 0))
    assert not agreement(s) and not validity(s) and not termination(s)
    assert termination(s._replace(procs=(s.procs[0], s.procs[1], p._replace(phase=0))))


# -- termination ----------------------------------------------------------------------------
@pytest.mark.parametrize("coin", COINS)
def test_termination_fails_for_every_coin_rule_with_a_fair_lasso(coin: str) -> None:
    # one configuration each, to keep it quick (with coin "zero", 001 always decides: 0
    # spreads; its lasso starts from 011)
    model = WaitForTwo(coin=coin, inputs=(0, 1, 1) if coin == "zero" else (0, 0, 1))
    lasso = never_decides(model)
    assert lasso is not None
    assert_genuine_lasso(model, lasso, lambda s: not termination(s))
    if coin == "flip":  # the adversary needs no crash: delaying a process is enough
        actions = [str(a) for a in lasso.prefix.actions] + [str(s.action) for s in lasso.cycle]
        assert not any(a.endswith("crashes") for a in actions)


def test_termination_holds_when_the_inputs_agree() -> None:
    # the check can pass: with equal inputs everyone decides in round 1, one crash or not
    model = WaitForTwo(coin="flip", inputs=(1, 1, 1))
    assert never_decides(model) is None


# -- bivalence ------------------------------------------------------------------------------
@pytest.mark.parametrize("coin", ["flip", "keep"])
def test_valences_agree_with_an_independent_forward_search(coin: str) -> None:
    model = WaitForTwo(coin=coin, inputs=(0, 0, 1), crashes=False)
    g = graph_of(model)
    val = valences(g)
    inside = [k for k in range(len(g.states)) if k not in g.outside]
    sample = inside[:: max(1, len(inside) // 40)] + list(g.initial)
    for k in sample:
        assert val[k] == brute_force_valence(model, g.states[k]), g.states[k]


def test_valences_see_all_three_kinds() -> None:
    g = graph_of(WaitForTwo(coin="flip", inputs=(0, 0, 1), crashes=False))
    kinds = {len(v) for v in valences(g)}
    assert {1, 2} <= kinds  # univalent and bivalent states both occur
    assert any(v == frozenset({0}) for v in valences(g))
    assert any(v == frozenset({1}) for v in valences(g))


@pytest.mark.parametrize("coin", COINS)
def test_unanimous_inputs_are_univalent_and_the_rest_depends_on_the_rule(coin: str) -> None:
    rows = {
        r["inputs"]: r for r in initial_valences(full_graph(coin).model, graph=full_graph(coin))
    }
    assert rows["000"]["valence"] == "0-valent"  # validity forces it
    assert rows["111"]["valence"] == "1-valent"
    assert sorted(rows) == ["000", "001", "010", "011", "100", "101", "110", "111"]


def test_lemma_2_a_bivalent_initial_configuration_for_flip() -> None:
    rows = {
        r["inputs"]: r for r in initial_valences(full_graph("flip").model, graph=full_graph("flip"))
    }
    assert rows["001"]["valence"] == "bivalent"
    # Lemma 2's argument: along 000, 001, 011, 111 the valence must change somewhere
    chain = [rows[k]["valence"] for k in ("000", "001", "011", "111")]
    assert chain[0] != chain[-1]


def test_keep_rule_has_no_bivalent_configuration_and_still_fails_to_terminate() -> None:
    # FLP's dichotomy: no bivalent initial configuration means a protocol that cannot
    # decide in some run; here a run that loops in a univalent configuration
    g = full_graph("keep")
    model = g.model
    assert bivalent_states(g) == frozenset()
    assert never_decides(model, graph=g) is not None


def test_lemma_3_the_adversary_keeps_the_configuration_bivalent_forever() -> None:
    g = full_graph("flip")
    model = g.model
    lasso = bivalent_forever(model, graph=g)
    assert lasso is not None and lasso.cycle
    bivalent = bivalent_states(g)
    assert_genuine_lasso(model, lasso, lambda s: s in bivalent)
    # and by the independent search, where the cycle starts and half-way round it
    for s in (lasso.prefix.final, lasso.cycle[len(lasso.cycle) // 2].state):
        assert brute_force_valence(model, s) == frozenset({0, 1})


def test_no_bivalent_path_when_there_is_no_bivalent_start() -> None:
    assert bivalent_forever(full_graph("keep").model, graph=full_graph("keep")) is None


# -- normalisation --------------------------------------------------------------------------
def test_normalise_keeps_the_behaviour() -> None:
    # shifting rounds and dropping dead messages must not change what can happen next
    model = WaitForTwo(coin="flip", inputs=(0, 1, 1), crashes=False)
    [s] = model.init_states()
    for _ in range(12):
        raw = [(lab, t) for _, outs in model.steps(s) for lab, t in outs]
        normal = model.actions(s)
        assert [lab for lab, _ in raw] == [lab for lab, _ in normal]
        for (_, t), (_, u) in zip(raw, normal, strict=True):
            assert normalise(t)[0] == u
            assert [a for a, _ in model.actions(u)] == [
                a for _, outs in model.steps(t) for a, _ in outs
            ]
        s = normal[0][1]


# -- the escape: Ben-Or's coin --------------------------------------------------------------
def test_simulation_is_deterministic_per_seed() -> None:
    assert [simulate(s) for s in range(5)] == [simulate(s) for s in range(5)]
    assert len({simulate(s) for s in range(20)}) > 1


def test_random_coin_decides_under_the_random_scheduler_with_valid_agreement() -> None:
    runs = [simulate(s, inputs=(0, 1, 1), crash=s % 2 == 0) for s in range(60)]
    assert all(r.decided and r.value in (0, 1) for r in runs)
    table = rounds_table(runs)
    assert -1 not in table and min(table) >= 1 and max(table) > min(table)


def test_the_adversary_stops_a_deterministic_rule_but_not_the_coin() -> None:
    flip = bivalent_states(full_graph("flip"))
    runs = [
        simulate(s, coin="flip", scheduler="adversary", bivalent=flip, max_steps=300)
        for s in range(5)
    ]
    assert not any(r.decided for r in runs)
    coin = bivalent_states(full_graph("random"))
    runs = [simulate(s, scheduler="adversary", bivalent=coin, max_steps=2_000) for s in range(20)]
    assert all(r.decided for r in runs)


def test_unanimous_inputs_decide_in_round_one() -> None:
    assert {simulate(s, inputs=(1, 1, 1)).rounds for s in range(10)} == {1}
    assert {simulate(s, inputs=(1, 1, 1)).value for s in range(10)} == {1}


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"coin": "heads"}, "coin='heads'; allowed"),
        ({"inputs": (0, 1)}, "must be three values"),
        ({"inputs": (0, 1, 2)}, "must be three values"),
        ({"max_drift": -1}, "max_drift=-1"),
        ({"mutant": "nope"}, "nope"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WaitForTwo(**kwargs)
    with pytest.raises(TypeError, match="crashes"):
        WaitForTwo(crashes=1)  # type: ignore[arg-type]


def test_bad_simulation_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="scheduler"):
        simulate(0, scheduler="fair")
    with pytest.raises(ValueError, match="max_steps"):
        simulate(0, max_steps=0)
    with pytest.raises(TypeError):
        simulate(True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="crash"):
        simulate(0, crash=1)  # type: ignore[arg-type]
