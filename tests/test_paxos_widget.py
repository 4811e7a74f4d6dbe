"""Tests of the Paxos playground (dslib.widgets.paxos).

The controller and the widget are driven from code, as a reader's clicks would drive them;
every test asserts what the acceptors, proposers and learner did, not only that it ran.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.consensus import Accept, Ballot, Nack, Prepare, Promise
from dslib.widgets.paxos import (
    PaxosController,
    PaxosPlayground,
    ballot_text,
    chosen_ballots,
    message_text,
    paxos_figure,
)

ROOT = Path(__file__).resolve().parents[1]


def x_chosen_by_p1() -> PaxosController:
    """p1 runs ballot (0,p1) with a1 and a2 alone: x is chosen; a3 heard nothing."""
    c = PaxosController()
    c.start("p1")
    c.deliver_all("Prepare", dst="a1")
    c.deliver_all("Prepare", dst="a2")
    c.deliver_all("Promise")
    c.deliver_all("Accept", dst="a1")
    c.deliver_all("Accept", dst="a2")
    assert c.chosen == [("x", Ballot(0, "p1"))]
    return c


def test_a_chosen_value_stays_chosen_when_the_other_proposer_takes_over() -> None:
    c = x_chosen_by_p1()
    assert c.summary() == "step 7: chosen: x at ballot (0,p1); agreement holds"
    assert "now chosen: x at ballot (0,p1)" in c.note
    # p2 starts a higher ballot; a2 (which voted x) and a3 promise it
    c.start("p2")
    c.deliver_all("Prepare", src="p2", dst="a2")
    c.deliver_all("Prepare", src="p2", dst="a3")
    promises = [m for m in c.messages if isinstance(m[2], Promise) and m[1] == "p2"]
    assert sorted((src, msg.last_vote) for src, _, msg in promises) == [
        ("a2", (Ballot(0, "p1"), "x")),
        ("a3", None),
    ]
    c.deliver_all("Promise", dst="p2")
    # P2c: p2 must propose the value of the highest vote reported, x, not its own y
    assert c.state.node("p2").value == "x"
    assert "p2 has promises from a quorum and proposes x" in c.note
    c.deliver_all("Accept", src="p2")
    assert c.chosen == [("x", Ballot(0, "p1")), ("x", Ballot(0, "p2"))]
    assert c.summary().endswith("chosen: x at ballot (0,p2); agreement holds")
    assert c.verdicts == {"agreement": True, "validity": True, "integrity": True}


def test_a_promise_to_a_higher_ballot_makes_the_acceptor_refuse_and_the_proposer_retry() -> None:
    c = PaxosController()
    c.start("p1")
    c.deliver_all("Prepare", dst="a1")
    c.deliver_all("Prepare", dst="a2")
    c.start("p2")  # (0,p2) > (0,p1)
    c.deliver_all("Prepare", src="p2", dst="a1")
    assert c.state.node("a1").promised == Ballot(0, "p2")
    c.deliver_all("Promise", dst="p1")
    assert c.state.node("p1").phase == "2"
    c.deliver(("p1", "a1", Accept(Ballot(0, "p1"), "x")))
    assert c.note.startswith("p1 → a1: accept x in (0,p1); a1 refuses; sends nack")
    assert c.state.node("a1").votes == frozenset()
    c.deliver(("a1", "p1", Nack(Ballot(0, "p1"), Ballot(0, "p2"))))
    # the duel: p1 jumps over the ballot that pre-empted it
    assert c.state.node("p1").ballot == Ballot(1, "p1")
    assert c.note.endswith("p1 starts ballot (1,p1); sends prepare (1,p1) to a1, a2, a3")


def test_the_reader_can_break_a_mutant_and_the_verdict_says_so() -> None:
    c = PaxosController(mutant="accept_below_promise")
    c.start("p1")
    c.deliver_all("Prepare", dst="a1")
    c.deliver_all("Prepare", dst="a2")
    c.deliver_all("Promise")  # p1 proposes x in (0,p1) to all
    c.start("p2")
    c.deliver_all("Prepare", src="p2", dst="a2")
    c.deliver_all("Prepare", src="p2", dst="a3")
    c.deliver_all("Promise", dst="p2")  # nobody voted yet: p2 proposes y in (0,p2)
    c.deliver_all("Accept", src="p2", dst="a3")
    c.deliver_all("Accept", src="p2", dst="a2")  # y chosen in (0,p2)
    assert c.chosen == [("y", Ballot(0, "p2"))]
    c.deliver_all("Accept", src="p1", dst="a1")
    c.deliver_all("Accept", src="p1", dst="a2")  # a2 promised (0,p2), votes below it
    assert {v for v, _ in c.chosen} == {"x", "y"}
    assert c.summary().endswith("agreement VIOLATED")
    assert not c.verdicts["agreement"]


def test_drop_back_and_reset() -> None:
    c = PaxosController()
    c.start("p1")
    first = c.messages[0]
    c.drop(0)
    assert first not in c.messages and len(c.messages) == 2
    assert c.note == "lost p1 → a1: prepare (0,p1)"
    states = list(c.states)
    c.deliver(0)
    c.back()
    assert c.states == states and c.position == 2
    c.back()
    c.back()
    assert c.position == 0 and c.messages == []
    with pytest.raises(ValueError, match="already at the start"):
        c.back()
    c.start("p2")
    c.reset()
    assert c.position == 0 and c.note.startswith("start: proposers p1, p2")


def test_a_second_start_is_one_round_higher() -> None:
    c = PaxosController()
    c.start("p2")
    c.start("p2")
    assert c.state.node("p2").ballot == Ballot(1, "p2")
    assert sorted({m[2] for m in c.messages if m[0] == "p2"}, key=repr) == [
        Prepare(Ballot(0, "p2")),
        Prepare(Ballot(1, "p2")),
    ]


def test_impossible_actions_say_why_and_change_nothing() -> None:
    c = PaxosController()
    with pytest.raises(ValueError, match="no message is in flight"):
        c.deliver(0)
    with pytest.raises(
        ValueError, match=r"unknown proposer 'p3'; the proposers are \['p1', 'p2'\]"
    ):
        c.start("p3")
    c.start("p1")
    with pytest.raises(ValueError, match="choose 0 to 2"):
        c.drop(3)
    with pytest.raises(TypeError, match="number of a message in flight"):
        c.deliver("a1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not in flight"):
        c.deliver(("p2", "a1", Prepare(Ballot(0, "p2"))))
    with pytest.raises(ValueError, match="kind='Vote'; allowed: Prepare, Promise"):
        c.deliver_all("Vote")
    with pytest.raises(ValueError, match="no message in flight matches"):
        c.deliver_all("Promise")
    with pytest.raises(ValueError, match="mutant"):
        PaxosController(mutant="no_such_bug")
    assert c.position == 1


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["start", "deliver", "drop"]), st.integers(0, 30)), max_size=40
    )
)
def test_whatever_the_reader_does_agreement_holds_and_the_chosen_value_stays(
    moves: list[tuple[str, int]],
) -> None:
    c = PaxosController()
    values: set[object] = set()
    for kind, k in moves:
        if kind == "start":
            c.start(c.proposers[k % 2])
        elif c.messages:
            getattr(c, kind)(k % len(c.messages))
        chosen = {v for v, _ in c.chosen}
        assert len(chosen) <= 1 and c.verdicts["agreement"]
        assert values <= chosen  # once chosen, always chosen
        values = chosen


# -- text and figure ------------------------------------------------------------------------------
def test_texts() -> None:
    assert ballot_text(Ballot(2, "p1")) == "(2,p1)"
    assert message_text(Accept(Ballot(0, "p1"), "x")) == "accept x in (0,p1)"
    assert message_text("hello") == "'hello'"
    c = x_chosen_by_p1()
    assert chosen_ballots(c.state, 3) == []  # two votes are not a quorum of three
    assert repr(c) == "PaxosController(step 7: chosen: x at ballot (0,p1); agreement holds)"


def test_the_figure_draws_every_node_link_and_message() -> None:
    c = x_chosen_by_p1()
    c.deliver_all("Accepted", dst="l1")
    assert c.note.endswith("l1 learns x")
    c.start("p2")
    fig = paxos_figure(c)
    ax, side = fig.axes
    nodes = {t.get_gid(): t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("node:")}
    assert sorted(nodes) == ["node:a1", "node:a2", "node:a3", "node:l1", "node:p1", "node:p2"]
    assert nodes["node:a1"].startswith("a1  promised (0,p1)\naccepted x in (0,p1)")
    assert nodes["node:l1"] == "l1\nlearned x"
    links = {(src, dst) for src, dst, _ in c.messages}
    arrows = [a for a in ax.texts if a.get_gid() == "message"]
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "message-label"]
    assert len(arrows) == len(labels) == len(links)
    numbers = sorted(int(n) for label in labels for n in label.split(","))
    assert numbers == list(range(len(c.messages)))
    rows = [t.get_text() for t in side.texts][1:]
    assert rows == [f"{n}  {s} → {d}: {message_text(m)}" for n, (s, d, m) in enumerate(c.messages)]
    assert fig.texts[0].get_text() == c.summary()
    # an acceptor whose vote is chosen is green
    boxes = {
        t.get_gid(): t.get_bbox_patch().get_facecolor()[:3]
        for t in ax.texts
        if t.get_gid() in nodes
    }
    assert boxes["node:a1"] == boxes["node:l1"] != boxes["node:a3"]
    with pytest.raises(TypeError, match="not a PaxosController"):
        paxos_figure("c")  # type: ignore[arg-type]


_FINGERPRINT = """
import hashlib
from tests.test_paxos_widget import x_chosen_by_p1
c = x_chosen_by_p1(); c.start("p2"); c.deliver_all("Prepare", src="p2")
print(hashlib.sha256(("|".join(c.notes) + repr(c.messages)).encode()).hexdigest())
"""


def test_same_actions_give_the_same_notes_under_any_hash_seed() -> None:
    out = set()
    for hash_seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
        run = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        out.add(run.stdout.strip())
    c = x_chosen_by_p1()
    c.start("p2")
    c.deliver_all("Prepare", src="p2")
    out.add(hashlib.sha256(("|".join(c.notes) + repr(c.messages)).encode()).hexdigest())
    assert len(out) == 1


# -- the widget, clicked from code ------------------------------------------------------------
def test_the_widget_buttons_drive_the_controller() -> None:
    p = PaxosPlayground()
    c = p.controller
    assert p.image.value[:4] == b"\x89PNG"
    assert p.buttons["deliver"].disabled and p.buttons["back"].disabled
    assert "step 0: nothing chosen yet; agreement holds" in p.heading.value
    p.buttons["start p1"].click()
    assert c.position == 1 and len(p.message_menu.options) == 3
    assert p.message_menu.options[0] == ("0  p1 → a1: prepare (0,p1)", 0)
    before = p.image.value
    p.message_menu.value = 2
    p.buttons["deliver"].click()
    assert c.actions[-1].node == "a3" and c.state.node("a3").promised == Ballot(0, "p1")
    assert p.image.value != before
    [to_a1] = [n for label, n in p.message_menu.options if "p1 → a1" in label]
    p.message_menu.value = to_a1
    p.buttons["drop"].click()
    assert c.note.startswith("lost p1 → a1")
    p.buttons["back"].click()
    assert c.position == 2 and not p.buttons["back"].disabled
    p.buttons["start p2"].click()
    assert c.state.node("p2").ballot == Ballot(0, "p2")
    p.buttons["reset"].click()
    assert c.position == 0 and p.message_menu.options == ()
    p.buttons["deliver"].click()  # nothing in flight: an error shown, nothing changes
    assert "no message is in flight" in p.message.value and c.position == 0
    assert repr(p) == "PaxosPlayground(step 0: nothing chosen yet; agreement holds)"
    assert p._repr_mimebundle_()["text/plain"] == repr(p)
    assert p.static().axes


def test_the_widget_shows_a_given_controller() -> None:
    c = x_chosen_by_p1()
    p = PaxosPlayground(controller=c)
    assert "chosen: x at ballot (0,p1)" in p.heading.value
    with pytest.raises(TypeError, match="not to the playground"):
        PaxosPlayground(controller=c, acceptors=5)
    with pytest.raises(TypeError, match="is not a PaxosController"):
        PaxosPlayground(controller="c")  # type: ignore[arg-type]
