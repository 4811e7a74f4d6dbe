"""Tests of dslib.security.needham_schroeder: Lowe's attack found, NSL clean, within one bound."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dslib.check import CheckResult, check
from dslib.mutants import Mutant, run_mutants
from dslib.security.attacker import Atom, Enc, PublicKey, Tup
from dslib.security.needham_schroeder import (
    NB,
    PROPERTIES,
    NeedhamSchroeder,
    NSAction,
    attack_trace,
    message_2,
    needham_schroeder,
    needham_schroeder_lowe,
    responder_authenticated,
    responder_nonce_secret,
)
from dslib.viz.security import attack_diagram


def test_the_model_checker_finds_lowes_attack_as_a_shortest_trace() -> None:
    result = check(needham_schroeder(), invariants=PROPERTIES)
    assert not result.ok and result.property == "responder_authenticated"
    steps = [s.action for s in result.counterexample.steps[1:]]
    assert [str(a) for a in steps] == [
        "A sends {Na, A}pk(I) to I",
        "B receives {Na, A}pk(B) (as from A), replies {Na, Nb}pk(A)",
        "A receives {Na, Nb}pk(A) (as from I), replies {Nb}pk(I)",
        "B receives {Nb}pk(B) (as from A)",
    ]
    last = result.counterexample.steps[-1].state
    assert last.responder[:2] == ("done", "A") and last.initiator[1] == "I"
    assert last.knowledge.knows(NB)  # the intruder learned B's nonce too


def test_the_secrecy_property_fails_on_its_own() -> None:
    result = check(needham_schroeder(), invariants={"secret": responder_nonce_secret})
    assert not result.ok and len(result.counterexample) == 4


def test_lowes_fix_has_no_attack_within_the_same_bound() -> None:
    fixed = check(needham_schroeder_lowe(), invariants=PROPERTIES)
    broken = check(needham_schroeder(), invariants={"true": lambda s: True})
    assert fixed.ok and fixed.stop_reason == "exhausted"
    assert broken.stop_reason == "exhausted"
    # the honest run completes under NSL: B finishes with A when A talks to B
    goal = check(
        needham_schroeder_lowe(),
        goals={"B done with A": lambda s: s.responder[:2] == ("done", "A")},
    )
    assert goal.ok


def test_lowes_fix_names_the_responder_in_message_2() -> None:
    assert message_2(Atom("Na"), NB, "B", "A", lowe=True) == Enc(
        PublicKey("A"), Tup((Atom("Na"), NB, Atom("B")))
    )


def test_the_mutant_table() -> None:
    def checker(name: str) -> Callable[[NeedhamSchroeder], CheckResult]:
        return lambda model: check(model, invariants={name: PROPERTIES[name]})

    report = run_mutants(
        needham_schroeder_lowe,
        [
            Mutant(
                "no_lowe_fix",
                "message 2 without the responder's name",
                needham_schroeder,
                ("responder_authenticated", "responder_nonce_secret"),
            )
        ],
        {n: checker(n) for n in PROPERTIES},
    )
    assert report.ok, report.problems()
    assert report.mutants[0].counterexample_length == 4


def test_the_attack_is_drawn_through_the_intruders_lane() -> None:
    import matplotlib

    matplotlib.use("Agg")
    cex = check(needham_schroeder(), invariants=PROPERTIES).counterexample
    trace = attack_trace(cex)
    sends = [(e.node, e.peer) for e in trace if e.kind == "send"]
    assert sends == [("A", "I"), ("I", "B"), ("B", "I"), ("I", "A"), ("A", "I"), ("I", "B")]
    fig = attack_diagram(cex, title="Lowe")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A", "I", "B"]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="unknown mutant"):
        NeedhamSchroeder(mutant="typo")
    with pytest.raises(TypeError, match="Counterexample"):
        attack_trace([1, 2])
    assert responder_authenticated(needham_schroeder().init_states()[0])
    assert isinstance(NSAction("A", "send", "B", message_2(NB, NB, "B", "A", True)), NSAction)
