"""Tests of the transactions playground (dslib.widgets.transactions).

The controller and the widget are driven from code, as a reader's clicks would drive them;
every test asserts what the store and the checker did, not only that it ran.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dslib.databases.anomalies import CATALOGUE, Scripted, run_anomaly
from dslib.databases.concurrency import LEVELS
from dslib.widgets.transactions import (
    SCENARIOS,
    TransactionsController,
    TransactionsPlayground,
    transactions_figure,
)

ROOT = Path(__file__).resolve().parents[1]
SKEW = ("T1", "T1", "T2", "T2", "T1", "T2", "T1", "T2")
"""Write skew in the catalogue's order: both read x and y, T1 appends x, T2 y, both commit."""


def names(result: object) -> list[str]:
    return sorted(a.name for a in result.anomalies)  # type: ignore[attr-defined]


def test_write_skew_at_snapshot_isolation_is_named_g2_item_the_moment_the_cycle_closes() -> None:
    c = TransactionsController("write skew", "snapshot-isolation")
    for k, txn in enumerate(SKEW[:-1]):
        c.step(txn)
        assert c.result.anomalies == (), f"no committed cycle yet after step {k + 1}"
        if k < 5:
            assert c.pending_result.anomalies == ()
    # T2's append closed the cycle among the running transactions: named as pending
    assert c.notes[6] == "T2: append y 2; if T1 and T2 commit, a cycle closes: G2-item (write skew)"
    assert c.verdict() == "if T2 commits now: G2-item (write skew)"
    note = c.step("T2")  # the last commit: the cycle closes among committed transactions
    assert note == "T2 commits; a cycle closes: G2-item (write skew), allowed at snapshot-isolation"
    assert names(c.result) == ["G2-item"] and c.result.ok is True  # SI allows it
    (anomaly,) = c.result.anomalies
    assert sorted(kind for _, _, kind, _ in anomaly.cycle) == ["rw", "rw"]
    assert c.summary() == (
        "write skew at snapshot-isolation: T1 committed, T2 committed: "
        "G2-item (write skew), allowed at snapshot-isolation"
    )


def test_serializable_levels_prevent_write_skew() -> None:
    ssi = TransactionsController("write skew", "serializable-snapshot")
    for txn in SKEW:
        ssi.step(txn)
    assert ssi.status == {"T1": "aborted", "T2": "committed"}
    assert ssi.reason["T1"] == "dangerous structure"
    assert ssi.result.anomalies == () and ssi.result.ok is True
    assert ssi.notes[7] == "T1 is aborted (dangerous structure)"

    locking = TransactionsController("write skew", "serializable")  # 2PL
    for txn in SKEW[:5]:
        locking.step(txn)
    assert locking.status["T1"] == "waiting" and locking.waits_for["T1"] == ("T2",)
    with pytest.raises(ValueError, match="T1 waits for a lock held by T2; step T2"):
        locking.step("T1")
    note = locking.step("T2")  # T2 waits for T1: a cycle of waits; the younger T2 is aborted
    assert note == (
        "T2: append y 2 would wait in a cycle of waits (a deadlock); T2 is aborted (deadlock); "
        "T1: append x 1 goes on"
    )
    assert locking.status == {"T1": "active", "T2": "aborted"}
    locking.step("T1")
    assert locking.finished and locking.result.anomalies == () and locking.result.ok is True
    assert [s for _, s, _ in locking.operations("T2")] == ["done", "done", "aborted", "skipped"]


def test_every_catalogue_anomaly_at_every_level_matches_the_scripted_simulation() -> None:
    """The playground, stepped in script order, finds what the catalogue's runs find."""
    for anomaly in CATALOGUE:
        for level in LEVELS:
            c = TransactionsController(anomaly.name, level)
            c.play()
            run = run_anomaly(anomaly, level)
            assert names(c.result) == names(run.result), (anomaly.name, level)
            server_aborts = sorted(r for r in c.reason.values() if r != "asked by the client")
            assert server_aborts == sorted(run.run.aborted), (anomaly.name, level)


def test_a_mutant_lets_a_forbidden_anomaly_through_and_the_verdict_says_so() -> None:
    c = TransactionsController("lost update", "snapshot-isolation")
    c.play()
    assert c.reason == {"T1": "first committer wins"} and c.result.ok is True
    c.configure(mutant="si-without-first-committer-wins")
    assert c.status == {"T1": "committed", "T2": "committed"}
    assert names(c.result) == ["G-single"] and c.result.ok is False
    assert c.verdict() == "G-single (lost update), forbidden at snapshot-isolation"


def test_the_graph_grows_with_each_operation() -> None:
    c = TransactionsController("read-only anomaly", "snapshot-isolation")
    sizes = []
    while not c.finished:
        c.script_step()
        sizes.append(len(c.pending_result.edges))
    assert sizes == sorted(sizes) and sizes[0] == 0 and sizes[-1] >= 3
    assert names(c.result) == ["G2-item"]


def test_a_level_change_replays_the_steps_and_drops_those_the_new_level_refuses() -> None:
    c = TransactionsController("write skew", "snapshot-isolation")
    for txn in SKEW[:6]:
        c.step(txn)
    c.configure(level="serializable")
    # T1's append waits for T2's read lock; T2's append closes a cycle of waits: T2 aborted
    assert c.actions == list(SKEW[:6]) and c.status["T2"] == "aborted"
    c.configure(level="read-committed")
    assert c.actions == list(SKEW[:6]) and c.note == "level read-committed: 6 step(s) replayed"
    c.step("T1")
    c.step("T2")
    assert names(c.result) == ["G2-item"] and c.result.ok is True
    c.configure(level="serializable")  # T2, the deadlock's victim, cannot commit: dropped
    assert c.note == "level serializable: 7 step(s) replayed; 1 step(s) it refuses dropped"
    assert c.status == {"T1": "committed", "T2": "aborted"}
    c.back()
    assert c.actions == list(SKEW[:6])
    c.configure(scenario="dirty read")
    assert c.actions == [] and c.transactions == ("T1", "T2")
    c.reset()
    assert c.note == "start" and all(s == "not started" for s in c.status.values())


def test_bad_input_says_what_is_allowed_and_changes_nothing() -> None:
    with pytest.raises(ValueError, match="scenario='write-skew'; allowed:"):
        TransactionsController("write-skew")
    with pytest.raises(ValueError, match="level='SERIALIZABLE'; allowed:"):
        TransactionsController(level="SERIALIZABLE")
    with pytest.raises(ValueError, match="breaks level 'snapshot-isolation'"):
        TransactionsController(level="serializable", mutant="si-without-first-committer-wins")
    with pytest.raises(TypeError, match="must be a scenario's name"):
        TransactionsController(3)  # type: ignore[arg-type]
    four = Scripted("four", "", (), (("T1", ("commit",)), ("T4", ("commit",))))
    with pytest.raises(ValueError, match=r"transactions are \['T1', 'T4'\]"):
        TransactionsController(four)
    unended = Scripted("x", "", (), (("T1", ("r", "x")), ("T2", ("commit",))))
    with pytest.raises(ValueError, match="must end with its only commit or abort"):
        TransactionsController(unended)
    c = TransactionsController("dirty read", "read-committed")
    with pytest.raises(ValueError, match=r"no transaction 'T3' in 'dirty read'"):
        c.step("T3")
    with pytest.raises(TypeError, match="must be a name"):
        c.step(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="already at the start"):
        c.back()
    c.play()
    with pytest.raises(ValueError, match="T1 has aborted: it has no operation left"):
        c.step("T1")
    with pytest.raises(ValueError, match="every transaction has ended"):
        c.script_step()
    with pytest.raises(ValueError, match="level='snapshot'"):
        c.configure(level="snapshot")
    assert c.level == "read-committed" and len(c.actions) == 4


def test_a_scenario_of_ones_own_with_three_transactions_and_registers() -> None:
    lost = Scripted(
        "my lost update",
        "",
        (),
        (
            ("T1", ("r", "x")),
            ("T2", ("r", "x")),
            ("T1", ("w", "x", 1)),
            ("T1", ("commit",)),
            ("T2", ("w", "x", 2)),
            ("T2", ("commit",)),
            ("T3", ("r", "x")),
            ("T3", ("commit",)),
        ),
    )
    c = TransactionsController(lost, "read-committed")
    assert c.workload == "rw-register" and c.transactions == ("T1", "T2", "T3")
    c.play()
    assert c.operations("T3")[0] == ("r x=2", "done", 7)
    # registers do not show whether 1 was installed before 2 (lists would): no ww edge is
    # proven, and the cycle is each transaction's read overwritten by the other (two rw)
    assert names(c.result) == ["G2-item"]
    (anomaly,) = c.result.anomalies
    assert sorted(kind for _, _, kind, _ in anomaly.cycle) == ["rw", "rw"]


# -- the figure --------------------------------------------------------------------------------
def test_the_figure_shows_every_operation_and_the_graph() -> None:
    c = TransactionsController("write skew", "serializable")
    for txn in SKEW[:5]:
        c.step(txn)
    fig = transactions_figure(c)
    left, right = fig.axes
    assert [t.get_text() for t in left.texts if t.get_gid() == "txn"] == [
        "T2  active",
        "T1  waits for T2",
    ]
    kinds = sorted(p.get_gid() for p in left.patches)
    assert kinds == ["done"] * 4 + ["to do"] * 3 + ["waiting"]
    assert sorted(t.get_text() for t in right.texts if t.get_gid() == "node") == ["T1", "T2"]
    assert right.get_title() == "dependency graph: no cycle"
    assert fig._suptitle.get_text() == c.summary()
    c.step("T2")
    c.step("T1")
    assert "aborted" in [p.get_gid() for p in transactions_figure(c).axes[0].patches]
    done = TransactionsController("write skew", "snapshot-isolation")
    done.play()
    assert transactions_figure(done).axes[1].get_title() == "G2-item: write skew"
    with pytest.raises(TypeError, match="not a TransactionsController"):
        transactions_figure("c")  # type: ignore[arg-type]


_FINGERPRINT = """
from dslib.widgets.transactions import TransactionsController
c = TransactionsController("read-only anomaly", "serializable-snapshot")
c.play()
print(repr(c.notes), repr(c.history()), repr(c.result.edges))
"""


def test_same_steps_give_the_same_story_under_any_hash_seed() -> None:
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
        out.add(hashlib.sha256(run.stdout.encode()).hexdigest())
    assert len(out) == 1


# -- the widget, clicked from code ---------------------------------------------------------
def test_the_widget_buttons_and_knobs_drive_the_controller() -> None:
    p = TransactionsPlayground()
    c = p.controller
    assert p.image.value[:4] == b"\x89PNG"
    assert p.buttons["back"].disabled and p.buttons["step T3"].disabled  # two transactions
    for txn in SKEW:
        p.buttons[f"step {txn}"].click()
    assert c.actions == list(SKEW)
    assert "G2-item (write skew), allowed at snapshot-isolation" in p.heading.value
    assert p.buttons["step T1"].disabled and p.buttons["next in script"].disabled
    p.knobs["level"].value = "serializable-snapshot"  # the same clicks at SSI
    assert c.level == "serializable-snapshot" and c.status["T1"] == "aborted"
    assert "no cycle" in p.heading.value
    before = p.image.value
    p.buttons["back"].click()
    assert len(c.actions) == 7 and p.image.value != before
    p.buttons["reset"].click()
    assert c.actions == []
    p.buttons["next in script"].click()
    assert c.actions == ["T1"]
    p.knobs["scenario"].value = "read-only anomaly"
    assert c.scenario.name == "read-only anomaly" and not p.buttons["step T3"].disabled
    p.buttons["step T1"].click()  # T1 reads y first in this scenario
    assert c.operations("T1")[0] == ("r y=[]", "done", 1)
    repr_text = repr(p)
    assert repr_text == f"TransactionsPlayground({c.summary()})"
    assert p._repr_mimebundle_()["text/plain"] == repr_text
    assert p.static().axes


def test_a_refused_click_shows_why_and_changes_nothing() -> None:
    p = TransactionsPlayground(scenario="write skew", level="serializable")
    for txn in SKEW[:5]:
        p.buttons[f"step {txn}"].click()
    assert p.buttons["step T1"].disabled  # waiting: the button is off, ...
    p._act(p.controller.step, "T1")  # ... and a click that got through is refused
    assert "T1 waits for a lock held by T2" in p.message.value
    assert len(p.controller.actions) == 5


def test_the_widget_shows_a_given_controller() -> None:
    c = TransactionsController("lost update", "read-committed")
    c.play()
    p = TransactionsPlayground(controller=c)
    assert "G-single (lost update)" in p.heading.value
    with pytest.raises(TypeError, match="not to the playground"):
        TransactionsPlayground(controller=c, level="serializable")
    with pytest.raises(TypeError, match="is not a TransactionsController"):
        TransactionsPlayground(controller="c")  # type: ignore[arg-type]
    assert SCENARIOS[0] == "dirty write" and len(SCENARIOS) == len(CATALOGUE)
