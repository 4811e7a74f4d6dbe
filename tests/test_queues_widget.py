"""Tests of the replicated-log playground (dslib.widgets.queues).

The controller and the widget are driven from code, as a reader's clicks would drive them;
every test asserts what the brokers, the group and the checker did, not only that it ran.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dslib.widgets.queues import QueueController, QueuePlayground, queues_figure

ROOT = Path(__file__).resolve().parents[1]


def leader_crash(acks: int | str) -> QueueController:
    """b1 appends the first record at t=6 and crashes at 6.5, before b2 and b3 fetch it."""
    c = QueueController(acks=acks)
    c.advance(6.5)
    assert [len(c.replica(b, 0).log) for b in ("b1", "b2", "b3")] == [1, 0, 0]
    c.crash("b1")
    c.advance(30)  # the controller notices the silence and elects b2
    assert c.leader(0) == "b2"
    return c


def test_acks_1_loses_the_record_the_old_leader_acknowledged_and_acks_all_does_not() -> None:
    lossy = leader_crash(1)
    assert lossy.verdict.counts()["lost"] == 1
    assert lossy.summary() == (
        "t=36.5, b1 down: at-least-once: 1 lost (duplicated 0, reordered 0, phantom 0)"
    )
    safe = leader_crash("all")
    assert safe.verdict.ok
    # under acks=all the record was not acknowledged; the producer retries it to b2
    assert safe.sim.states["p1"].sends[0] == ("p1-0", "k0", 0, False)
    safe.advance(30)
    assert safe.sim.states["p1"].sends[0] == ("p1-0", "k0", 0, True)
    assert safe.replica("b2", 0).log[0].value == "p1-0"


def test_unclean_election_loses_what_only_the_old_isr_had() -> None:
    def run(unclean: bool) -> QueueController:
        c = QueueController(unclean=unclean)
        c.isolate("b3")
        c.advance(40)  # b3 falls out of every ISR
        c.heal()
        c.crash("b1")
        c.crash("b2")
        c.advance(30)
        return c

    clean, dirty = run(False), run(True)
    assert [clean.leader(p) for p in range(3)] == [None, None, None]  # offline, waiting
    assert clean.verdict.ok
    assert [dirty.leader(p) for p in range(3)] == ["b3", "b3", "b3"]
    assert dirty.verdict.counts()["lost"] > 0


def test_a_knob_replays_the_same_actions_under_the_new_settings() -> None:
    c = leader_crash(1)
    actions = list(c.actions)
    c.configure(acks="all")
    assert c.actions == actions and c.now == 36.5 and c.verdict.ok
    assert c.note == "settings: acks='all'; the run replayed"
    c.configure(acks=1)
    assert c.verdict.counts()["lost"] == 1
    with pytest.raises(ValueError, match="acks=2"):
        c.configure(acks=2)
    with pytest.raises(TypeError, match="unknown settings"):
        c.configure(ack=1)
    assert c.settings.acks == 1


def test_consumers_join_and_leave_and_the_group_rebalances() -> None:
    c = QueueController()
    c.advance(20)
    assert c.coordinator.assignment == (("c1", (0, 1)), ("c2", (2,)))
    c.add_consumer()
    c.advance(10)
    assert [m for m, _ in c.coordinator.assignment] == ["c1", "c2", "c3"]
    c.remove_consumer()
    c.remove_consumer()
    assert c.consumers == ["c1"]
    c.advance(5)  # not yet: the coordinator waits for the session timeout
    assert len(c.coordinator.assignment) == 3
    c.advance(15)
    assert c.coordinator.assignment == (("c1", (0, 1, 2)),)
    assert c.verdict.ok
    c.back()
    assert len(c.coordinator.assignment) == 3 and c.now == 35
    c.reset()
    assert c.now == 0 and c.actions == [] and c.consumers == ["c1", "c2"]


def test_lag_is_the_high_watermark_minus_the_committed_offset() -> None:
    c = QueueController(consumers=0)
    c.advance(60)
    leader = c.replica(c.leader(0), 0)
    assert c.coordinator.offsets[0] == 0 and c.lag(0) == leader.high_watermark > 0
    c.add_consumer()
    c.advance(100)
    assert [c.lag(p) for p in range(3)] == [0, 0, 0]


def test_impossible_actions_say_why_and_change_nothing() -> None:
    c = QueueController()
    with pytest.raises(ValueError, match=r"unknown broker 'b9'; the brokers are"):
        c.crash("b9")
    with pytest.raises(ValueError, match="b1 is not down"):
        c.restart("b1")
    with pytest.raises(ValueError, match="no broker is cut off"):
        c.heal()
    with pytest.raises(ValueError, match="already at the start"):
        c.back()
    with pytest.raises(ValueError, match="allowed: a number in"):
        c.advance(0)
    c.crash("b1")
    with pytest.raises(ValueError, match="already down"):
        c.crash("b1")
    c.add_consumer()
    c.add_consumer()
    with pytest.raises(ValueError, match="every consumer runs already"):
        c.add_consumer()
    assert len(c.actions) == 3
    with pytest.raises(ValueError, match="max_consumers"):
        QueueController(consumers=5)
    with pytest.raises(ValueError, match="policy"):
        QueueController(policy="exactly-once")


# -- the figure --------------------------------------------------------------------------------
def test_the_figure_draws_every_replica_record_watermark_and_commit() -> None:
    c = leader_crash(1)
    fig = queues_figure(c)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "replica"]
    assert len(labels) == 9  # 3 partitions x 3 replicas
    assert labels.count("b1  down") == 3
    assert "b2  leader, in ISR" in labels
    records = [p for p in ax.patches if p.get_gid() == "record"]
    live = [c.replica(b, p) for p in range(3) for b in c.config.log.replicas(p)]
    assert len(records) == sum(len(r.log) for r in live if r is not None)
    watermarks = sorted(
        line.get_xdata()[0] for line in ax.lines if line.get_gid() == "high-watermark"
    )
    assert watermarks == pytest.approx(sorted(r.high_watermark - 0.025 for r in live if r))
    commits = [line.get_xdata()[0] for line in ax.lines if line.get_gid() == "committed"]
    assert commits == list(c.coordinator.offsets)
    assert fig._suptitle.get_text() == c.summary()
    assert fig.texts[0].get_text().startswith("t=36.5: 7 records produced.  group (generation 2)")
    with pytest.raises(TypeError, match="not a QueueController"):
        queues_figure("c")  # type: ignore[arg-type]


_FINGERPRINT = """
import hashlib
from tests.test_queues_widget import leader_crash
c = leader_crash(1)
print(hashlib.sha256((c.summary() + repr(c.sim.states)).encode()).hexdigest())
"""


def test_same_actions_give_the_same_run_under_any_hash_seed() -> None:
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
    c = leader_crash(1)
    out.add(hashlib.sha256((c.summary() + repr(c.sim.states)).encode()).hexdigest())
    assert len(out) == 1


# -- the widget, clicked from code ---------------------------------------------------------
def test_the_widget_buttons_and_knobs_drive_the_controller() -> None:
    p = QueuePlayground(acks=1)
    c = p.controller
    assert p.image.value[:4] == b"\x89PNG"
    assert p.buttons["back"].disabled and p.buttons["heal"].disabled
    p.buttons["advance"].click()
    assert c.now == 10 and not p.buttons["back"].disabled
    before = p.image.value
    p.broker_menu.value = "b2"
    p.buttons["crash"].click()
    assert c.down == ["b2"] and p.image.value != before
    p.buttons["crash"].click()  # twice: an error shown, nothing changes
    assert "already down" in p.message.value and len(c.actions) == 2
    p.buttons["restart"].click()
    p.buttons["cut off"].click()
    assert c.isolated == ["b2"] and not p.buttons["heal"].disabled
    p.buttons["heal"].click()
    p.buttons["add consumer"].click()
    p.buttons["remove consumer"].click()
    assert [kind for kind, _ in c.actions] == [
        "advance",
        "crash",
        "restart",
        "isolate",
        "heal",
        "add",
        "remove",
    ]
    p.knobs["acks"].value = "all"
    assert c.settings.acks == "all" and len(c.actions) == 7
    p.knobs["policy"].value = "effectively-once"
    assert c.config.policy == "effectively-once"
    assert c.summary().endswith("exactly-once: ok (lost 0, duplicated 0, reordered 0, phantom 0)")
    p.buttons["back"].click()
    assert len(c.actions) == 6
    p.buttons["reset"].click()
    assert c.actions == [] and "t=0:" in p.heading.value
    assert repr(p) == f"QueuePlayground({c.summary()})"
    assert p._repr_mimebundle_()["text/plain"] == repr(p)
    assert p.static().axes


def test_a_reader_can_lose_a_record_under_acks_1_by_clicks_alone() -> None:
    p = QueuePlayground()
    p.knobs["acks"].value = 1
    for step in (5.0, 1.0, 0.5):  # to t=6.5: b1 has appended p1-0, its followers not yet
        p.step_menu.value = step
        p.buttons["advance"].click()
    p.broker_menu.value = "b1"
    p.buttons["crash"].click()
    p.step_menu.value = 10.0
    for _ in range(3):
        p.buttons["advance"].click()
    assert p.controller.now == 36.5
    assert "1 lost" in p.heading.value
    p.knobs["acks"].value = "all"  # the same clicks under acks=all: nothing lost
    assert "at-least-once: ok" in p.heading.value


def test_the_widget_shows_a_given_controller() -> None:
    c = leader_crash(1)
    p = QueuePlayground(controller=c)
    assert "1 lost" in p.heading.value
    with pytest.raises(TypeError, match="not to the playground"):
        QueuePlayground(controller=c, acks=1)
    with pytest.raises(TypeError, match="is not a QueueController"):
        QueuePlayground(controller="c")  # type: ignore[arg-type]
