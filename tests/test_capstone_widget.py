"""Tests of the capstone explorer (dslib.widgets.capstone), driven by its knobs and buttons.

Each test moves the cursor or turns a knob as a reader would and asserts what the figure and
the summary say against the run itself: the leaders and shards at the cursor are the
timeline's, the faults in force are the nemesis', a mutant's failed check shows as failed.
"""

from __future__ import annotations

import pytest

from dslib.capstone.shardkv import MUTANTS, group_state
from dslib.widgets.capstone import CapstoneController, CapstonePlayground, capstone_figure


@pytest.fixture(scope="module")
def faulty() -> CapstoneController:
    return CapstoneController(seed=1, groups=3, faults=True)


def test_at_the_cursor_leaders_and_shards_are_the_servers_own_states(
    faulty: CapstoneController,
) -> None:
    """Independent of the timeline: replay the trace to the cursor and read each server's
    last state; a leader of the highest term serves exactly what ``at`` says."""
    c = faulty
    for t in (300.0, 700.0, 1200.0, c.end):
        m = c.at(t)
        last: dict[str, object] = {}
        for e in c.run.sim.trace.of_kind("init", "state", "restart", "crash"):
            if e.time > t:
                break
            last[str(e.node)] = None if e.kind == "crash" else e.data
        for g, shards in m.serving:
            leads = [
                (s.current_term, n)
                for n in c.run.groups[g]  # type: ignore[union-attr]
                if (s := last.get(n)) is not None and s.role == "leader"
            ]  # type: ignore[union-attr]
            if not leads:
                assert m.leader(g) is None and shards == ()
                continue
            assert m.leader(g) == max(leads)[1]
            state = last[max(leads)[1]]
            assert group_state(state).serving() == shards  # type: ignore[arg-type]


def test_stepping_through_the_changes_visits_faults_and_configurations(
    faulty: CapstoneController,
) -> None:
    c = faulty
    p = CapstonePlayground(c)
    seen_faults, configs = set(), set()
    for _ in range(3):  # the button, as a reader clicks it; the slider follows
        p.buttons["next change"].click()
        assert p.cursor.value == c.cursor > 0.0
    while c.cursor < c.horizon:  # then the controller alone (no redraw at each step)
        m = c.at()
        seen_faults |= set(m.faults)
        configs.add(m.config)
        c.next_change()
    assert seen_faults == {f.label for f in c.faults if f.start < c.horizon}
    assert configs == set(range(len(c.run.configs)))
    p.buttons["-100 ms"].click()
    before = c.cursor
    p.buttons["previous change"].click()
    assert c.cursor < before and c.cursor in c.moments()
    p.cursor.value = 700.0  # the slider moves the cursor
    assert c.cursor == 700.0 and "t=700 of" in p.heading.value
    c.seek(0.0)
    p.buttons["previous change"].click()  # refused: the error is shown, nothing raised
    assert "at the start of the run" in p.message.value


def test_the_knobs_rerun_the_store_and_a_mutant_fails_its_check() -> None:
    p = CapstonePlayground(seed=1, groups=2, faults=False)
    c = p.controller
    assert c.summary().endswith("verdicts all ok") and c.run.faults == 0
    p.knobs["faults"].value = True
    assert c.run.faults > 0 and c.cursor == 0.0
    p.knobs["groups"].value = 3
    assert sorted(c.run.groups) == ["g1", "g2", "g3"]
    p.knobs["mutant"].value = "controller_reuses_number"
    assert c.settings["mutant"] == "controller_reuses_number"
    assert "mutant controller_reuses_number" in c.figure()._suptitle.get_text()
    p.knobs["mutant"].value = "none"
    assert c.settings["mutant"] is None
    with pytest.raises(ValueError, match="no mutant 'nope'"):
        c.configure(mutant="nope")
    with pytest.raises(ValueError, match="groups=9 must be an int from 1 to 4"):
        CapstoneController(groups=9)
    with pytest.raises(TypeError, match="faults=1 must be True or False"):
        c.configure(faults=1)
    assert sorted(MUTANTS)[0] in p.knobs["mutant"].options


def test_a_caught_mutant_shows_failed_verdicts() -> None:
    """``serves_after_handoff`` with faults loses writes at seed 1 (it escapes about half the
    seeds of so small a run): the verdict boxes say which checks failed."""
    c = CapstoneController(seed=1, groups=2, faults=True, mutant="serves_after_handoff")
    failed = [name for name, ok, _ in c.verdicts() if not ok]
    assert failed and "failed: " + ", ".join(failed) in c.summary()
    texts = [t.get_text() for t in capstone_figure(c).axes[2].texts]
    assert any(t.endswith("FAILED") for t in texts)


def test_the_static_figure_and_the_one_line_summary(faulty: CapstoneController) -> None:
    faulty.seek(700.0)
    fig = capstone_figure(faulty)
    assert len(fig.axes) == 3
    assert fig.axes[1].get_title().startswith("t = 700 ms, configuration c")
    assert repr(CapstonePlayground(faulty)).startswith("CapstonePlayground(t=700 of ")
    with pytest.raises(TypeError, match="must be a CapstoneController"):
        capstone_figure(None)  # type: ignore[arg-type]
