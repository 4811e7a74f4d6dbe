"""Tests of the happens-before explorer (dslib.widgets.clocks).

The controller and the widget are driven from code, as a reader's clicks would drive them.
What the explorer says about a pair of events is compared with an oracle written here from
the definitions (Lamport 1978: program order, send before receive, transitive closure by
Warshall's algorithm), on runs built from random actions; its stamps are compared with
those the simulator's ``ClockProcess`` wrote; each mutant of the clock rules is caught.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.clocks import ClockEvent, clock_events, clock_run
from dslib.widgets.clocks import (
    MUTANTS,
    ClockController,
    ClockPlayground,
    clocks_figure,
    event_name,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_figures import MIN_TEXT_PX, overlapping, png_size, smallest_text_px  # noqa: E402

Id = tuple[str, int]


# -- the oracle ------------------------------------------------------------------------------
def closure(events: list[ClockEvent]) -> set[tuple[Id, Id]]:
    """Happens-before from the definition: direct edges, then Warshall's transitive closure."""
    ids = [e.id for e in events]
    edge = {(a, b): False for a in ids for b in ids}
    for e in events:
        if e.index > 0:
            edge[((e.node, e.index - 1), e.id)] = True
        if e.cause is not None:
            edge[(e.cause, e.id)] = True
    for k in ids:
        for i in ids:
            if edge[(i, k)]:
                for j in ids:
                    if edge[(k, j)]:
                        edge[(i, j)] = True
    return {pair for pair, on in edge.items() if on}


def oracle_relation(hb: set[tuple[Id, Id]], a: Id, b: Id) -> str:
    if a == b:
        return "equal"
    if (a, b) in hb:
        return "before"
    if (b, a) in hb:
        return "after"
    return "concurrent"


def vector_before(x: ClockEvent, y: ClockEvent, processes: list[str]) -> bool:
    """V(x) < V(y), entry by entry, written out."""
    xs = [x.vector.get(p) for p in processes]
    ys = [y.vector.get(p) for p in processes]
    return all(i <= j for i, j in zip(xs, ys, strict=True)) and xs != ys


actions = st.lists(
    st.tuples(
        st.sampled_from(["local", "send", "deliver"]),
        st.integers(0, 3),
        st.integers(0, 3),
    ),
    max_size=14,
)


def play(c: ClockController, script: list[tuple[str, int, int]]) -> None:
    """Apply a random script of reader actions, skipping the ones that do not apply."""
    for kind, i, j in script:
        p, q = c.processes[i % c.nodes], c.processes[j % c.nodes]
        if kind == "local":
            c.local(p)
        elif kind == "send" and p != q:
            c.send(p, q)
        elif kind == "deliver" and c.pending:
            c.deliver(c.pending[j % len(c.pending)])


@settings(max_examples=60, deadline=None)
@given(
    nodes=st.integers(2, 4),
    steps=st.integers(0, 2),
    seed=st.integers(0, 50),
    script=actions,
)
def test_the_explorer_agrees_with_the_definitions_on_random_runs(
    nodes: int, steps: int, seed: int, script: list[tuple[str, int, int]]
) -> None:
    c = ClockController(nodes=nodes, steps=steps, seed=seed)
    play(c, script)
    hb = closure(c.events)
    for x in c.events:
        assert c.past(x.id) == {a for a, b in hb if b == x.id}
        assert c.future(x.id) == {b for a, b in hb if a == x.id}
        for y in c.events:
            truth = oracle_relation(hb, x.id, y.id)
            assert c.relation(x.id, y.id) == truth
            assert c.vector_says(x.id, y.id) == truth
            assert (truth == "before") == vector_before(x, y, c.processes)
            misleads = truth == "concurrent" and x.lamport != y.lamport
            assert c.misleads(x.id, y.id) == misleads
            assert c.lamport_verdict(x.id, y.id) == ("misleads" if misleads else "consistent")
    assert c.misleading_pairs() == sorted(
        (x.id, y.id)
        for x in c.events
        for y in c.events
        if x.lamport < y.lamport and oracle_relation(hb, x.id, y.id) == "concurrent"
    )
    assert c.clocks_wrong() == []
    assert sorted(c.pending) == sorted(
        e.id for e in c.events if e.kind == "send" and not any(r.cause == e.id for r in c.events)
    )


@pytest.mark.parametrize("seed", range(6))
def test_the_stamps_are_the_simulators(seed: int) -> None:
    """Stamped again with the library's rules, in the order the events happened, the
    simulated run has the very timestamps ClockProcess wrote (all three clocks)."""
    c = ClockController(nodes=3, steps=4, seed=seed)
    simulated = clock_events(clock_run(nodes=3, steps=4, seed=seed))
    assert sorted(c.events, key=lambda e: e.id) == sorted(simulated, key=lambda e: e.id)
    assert c.pending == []


def test_the_chapters_run_and_its_misleading_pairs() -> None:
    c = ClockController(nodes=3, steps=4, seed=4)  # the run of section 2.2
    assert len(c.events) == 18
    counted, example = c.conditions()["lamport characterises ->"]
    assert len(c.misleading_pairs()) == counted == 48
    assert c.misleading_pairs()[0] == example == (("p1", 0), ("p2", 1))
    # the default pair: the first misleading one whose a has a past and a future
    assert (c.a, c.b) == (("p1", 1), ("p2", 2))
    assert c.past(("p1", 1)) and c.future(("p1", 1))
    assert c.select_misleading() == "a = p1.0, b = p2.1"
    assert c.misleads() and c.relation() == "concurrent"
    assert c.summary() == (
        "18 events; a=p1.0, b=p2.1: concurrent; L(a)=1 < L(b)=2, Lamport misleads; "
        "vector: concurrent"
    )
    assert repr(c) == f"ClockController({c.summary()})"


def test_a_run_built_by_hand() -> None:
    c = ClockController(nodes=3, steps=0)
    assert c.events == [] and c.a is None and c.summary() == "0 events: add an event"
    assert c.send("p1", "p2") == "p1.0 sends to p2 (in flight)"
    assert c.send("p3", "p2") == "p3.0 sends to p2 (in flight)"
    assert c.pending == [("p1", 0), ("p3", 0)]
    assert c.deliver(("p3", 0)) == "p2.0 receives the message of p3.0"  # not FIFO
    assert c.deliver() == "p2.1 receives the message of p1.0"
    c.local("p1")
    e = {x.id: x for x in c.events}
    assert e[("p2", 1)].vector.as_dict() == {"p1": 1, "p2": 2, "p3": 1}
    assert e[("p2", 1)].lamport == 3 and e[("p1", 1)].lamport == 2
    assert c.relation(("p3", 0), ("p2", 1)) == "before"
    assert c.relation(("p1", 1), ("p2", 1)) == "concurrent"
    assert c.lamport_says(("p1", 1), ("p2", 1)) == "L(a)=2 < L(b)=3: looks like a -> b"
    assert c.past(("p2", 1)) == {("p1", 0), ("p3", 0), ("p2", 0)}
    assert c.future(("p1", 0)) == {("p1", 1), ("p2", 1)}
    assert [x.physical for x in c.events] == [1.0, 2.0, 3.0, 4.0, 5.0]
    c.back()
    assert len(c.events) == 4 and len(c.actions) == 4
    c.reset()
    assert c.events == [] and c.actions == []


def test_events_added_after_a_simulated_run_carry_on_its_clocks() -> None:
    c = ClockController(nodes=2, steps=2, seed=1)
    last = max(e.physical for e in c.events)
    assert c.local("p1") == "p1.4 local event"
    added = c.events[-1]
    assert added.physical == last + 1 and added.lamport == 7  # p1's last event had L=6
    assert added.vector.as_dict() == {"p1": 5, "p2": 4}


def test_impossible_actions_say_why_and_change_nothing() -> None:
    c = ClockController(nodes=2, steps=0)
    with pytest.raises(ValueError, match=r"unknown process 'p3'; the processes are"):
        c.local("p3")
    with pytest.raises(ValueError, match="cannot send to itself"):
        c.send("p1", "p1")
    with pytest.raises(ValueError, match="no message is in flight"):
        c.deliver()
    with pytest.raises(ValueError, match="nothing to undo"):
        c.back()
    with pytest.raises(ValueError, match="no events selected"):
        c.relation()
    with pytest.raises(ValueError, match="misleads on no pair"):
        c.select_misleading()
    c.send("p1", "p2")
    with pytest.raises(ValueError, match=r"no message of \('p2', 0\) is in flight"):
        c.deliver(("p2", 0))
    with pytest.raises(ValueError, match="is not an event of the run"):
        c.select(("p1", 0), ("p2", 5))
    assert len(c.actions) == 1
    for _ in range(47):
        c.local("p2")
    with pytest.raises(ValueError, match=r"the run has 48 events, the most the picture can show"):
        c.local("p2")
    with pytest.raises(ValueError, match="nodes=5; allowed: 2 to 4"):
        ClockController(nodes=5)
    with pytest.raises(TypeError, match="nodes=2.0 must be an int"):
        ClockController(nodes=2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps=7"):
        ClockController(steps=7)
    with pytest.raises(TypeError, match="seed"):
        ClockController(seed="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="send_probability"):
        ClockController(send_probability=1.5)
    with pytest.raises(TypeError, match="hlc"):
        ClockController(hlc=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="vector_no_merge"):
        ClockController(mutant="no_clocks")


# -- the mutants -------------------------------------------------------------------------------
CAUGHT_BY = {
    "vector_no_merge": "vector respects ->",
    "lamport_no_max": "lamport respects ->",
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_every_mutant_is_caught_by_its_named_check_in_nearly_every_seed(mutant: str) -> None:
    """The vector mutant is caught in every run of ``clock_run(3, 4, seed)``; the Lamport
    one in 95 of seeds 0-99 (a run can have no receive whose message carries a time past the
    receiver's: then forgetting IR2 changes nothing). The correct clocks break nothing."""
    assert sorted(CAUGHT_BY) == sorted(MUTANTS)
    caught = 0
    for seed in range(20):
        correct = ClockController(nodes=3, steps=4, seed=seed)
        assert correct.clocks_wrong() == []
        broken = ClockController(nodes=3, steps=4, seed=seed, mutant=mutant)
        caught += CAUGHT_BY[mutant] in broken.clocks_wrong()
    assert caught >= (20 if mutant == "vector_no_merge" else 18), (mutant, caught)


def test_the_explorer_points_at_the_broken_clock_on_a_pair() -> None:
    # p1 sends to p2 after two local events; p2 receives: L(p1.2)=3, the receive must be 4
    def run(mutant: str | None) -> ClockController:
        c = ClockController(nodes=2, steps=0, mutant=mutant)
        c.local("p1")
        c.local("p1")
        c.send("p1", "p2")
        c.deliver()
        c.select(("p1", 2), ("p2", 0))
        return c

    assert run(None).lamport_verdict() == "consistent" and run(None).vector_says() == "before"
    lamport = run("lamport_no_max")
    assert lamport.lamport_verdict() == "wrong" and lamport.relation() == "before"
    assert "Lamport wrong" in lamport.summary()
    vector = run("vector_no_merge")
    assert vector.vector_says() == "concurrent" and vector.summary().endswith("(WRONG)")
    fig = clocks_figure(vector)
    assert any("WRONG, the truth is before" in t.get_text() for t in fig.texts)


# -- the figure --------------------------------------------------------------------------------
def test_the_figure_draws_every_event_its_clocks_and_the_light_cone() -> None:
    c = ClockController(nodes=3, steps=4, seed=4)
    a = ("p3", 3)
    c.select(a, ("p2", 2))
    fig = clocks_figure(c)
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    for e in c.events:
        name = event_name(e.id)
        assert name in texts or f"a={name}" in texts or f"b={name}" in texts
        vector = ",".join(str(e.vector.get(p)) for p in c.processes)
        assert f"L={e.lamport}\n[{vector}]" in texts
    assert "a=p3.3" in texts and "b=p2.2" in texts
    # every dot coloured by its relation to a
    colours = {}
    for line in ax.lines:
        xs = line.get_xdata()
        if line.get_marker() == "o" and len(xs) == 1 and line.get_markerfacecolor() != "none":
            colours[int(xs[0])] = line.get_color()
    want = {"past": "#1f5fa8", "future": "#e65100", "concurrent": "#9e9e9e"}
    for i, e in enumerate(c.events):
        if e.id == a:
            assert colours[i] == "#000000"
        elif e.id in c.past(a):
            assert colours[i] == want["past"]
        elif e.id in c.future(a):
            assert colours[i] == want["future"]
        else:
            assert colours[i] == want["concurrent"]
    assert fig.texts[0].get_text() == c.summary()
    with pytest.raises(TypeError, match="not a ClockController"):
        clocks_figure("c")  # type: ignore[arg-type]


def test_a_message_in_flight_is_drawn_dashed_to_its_receiver() -> None:
    c = ClockController(nodes=2, steps=0)
    c.local("p1")
    c.send("p1", "p2")
    (ax,) = clocks_figure(c).axes
    dashed = [
        t for t in ax.texts if t.arrow_patch is not None and t.arrow_patch.get_linestyle() == "--"
    ]
    assert len(dashed) == 1


def test_an_arrow_bends_around_an_event_in_its_way() -> None:
    """p1 -> p3 across p2's line: a straight arrow would pass through p2.0's dot (and read as
    a message relayed by p2); the same message with nothing in its way stays straight."""

    def bend(local_on: str) -> float:
        c = ClockController(nodes=3, steps=0)
        c.send("p1", "p3")
        c.local(local_on)
        c.deliver()
        (ax,) = clocks_figure(c).axes
        (arrow,) = [t for t in ax.texts if t.arrow_patch is not None]
        return float(arrow.arrow_patch.get_connectionstyle().rad)

    assert bend("p2") != 0.0
    assert bend("p1") == 0.0


@pytest.mark.parametrize(
    "options",
    [
        {"nodes": 3, "steps": 4, "seed": 4},
        {"nodes": 2, "steps": 6, "seed": 3},
        {"nodes": 4, "steps": 5, "seed": 1, "hlc": True},
        {"nodes": 4, "steps": 6, "seed": 2},
        {"nodes": 2, "steps": 0},
    ],
)
def test_the_figure_is_readable(options: dict[str, object]) -> None:
    fig = clocks_figure(ClockController(**options))  # type: ignore[arg-type]
    assert smallest_text_px(fig) >= MIN_TEXT_PX
    assert overlapping(fig) == []


_FINGERPRINT = """
import hashlib
from dslib.widgets.clocks import ClockController
c = ClockController(nodes=4, steps=4, seed=7, hlc=True)
c.send("p4", "p1"); c.send("p2", "p1"); c.deliver(("p2", c.pending[1][1])); c.local("p3")
print(hashlib.sha256((c.summary() + repr(c.events) + repr(c.misleading_pairs())).encode()).hexdigest())
"""  # noqa: E501


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
    assert len(out) == 1 and len(next(iter(out))) == 64


# -- the widget, clicked from code ---------------------------------------------------------
def test_the_widget_buttons_and_menus_drive_the_controller() -> None:
    p = ClockPlayground(nodes=2, steps=0)
    c = p.controller
    assert repr(p) == "ClockPlayground(0 events: add an event)"
    assert p.image.value[:4] == b"\x89PNG"
    natural = round(p.figure.get_figwidth() * p.figure.dpi)  # shown sharp, at natural size
    assert p.image.layout.width == f"{natural}px" and p.image.layout.max_width == "100%"
    assert png_size(bytes(p.image.value))[0] == 2 * natural
    assert p.buttons["back"].disabled and p.buttons["deliver"].disabled
    assert (p.menus["from"].value, p.menus["to"].value) == ("p1", "p2")
    p.buttons["send"].click()
    assert c.pending == [("p1", 0)] and not p.buttons["deliver"].disabled
    assert p.menus["message"].value == ("p1", 0)
    p.menus["process"].value = "p1"
    p.buttons["local"].click()
    p.buttons["deliver"].click()
    assert [e.kind for e in c.events] == ["send", "local", "receive"]
    assert p.buttons["deliver"].disabled
    p.buttons["deliver"].click()  # nothing in flight: an error shown, nothing changes
    assert "no message is in flight" in p.message.value and len(c.actions) == 3
    p.pick["a"].value = ("p1", 1)
    p.pick["b"].value = ("p2", 0)
    assert (c.a, c.b) == (("p1", 1), ("p2", 0))
    assert "concurrent" in p.heading.value and "Lamport consistent" in p.heading.value
    before = p.image.value
    p.buttons["back"].click()
    assert len(c.events) == 2 and p.image.value != before
    p.buttons["reset"].click()
    assert c.events == [] and p.pick["a"].options == ()
    assert p._repr_mimebundle_()["text/plain"] == repr(p)
    assert p.static().axes


def test_the_knobs_make_a_new_run_and_the_misleading_button_finds_a_pair() -> None:
    p = ClockPlayground(nodes=2, steps=0)
    p.knobs["nodes"].value = 3
    p.knobs["steps"].value = 4
    p.knobs["seed"].value = 4
    c = p.controller
    assert (c.nodes, c.steps, c.seed, len(c.events)) == (3, 4, 4, 18)
    p.pick["a"].value = ("p3", 3)
    p.knobs["hlc"].value = True  # only the labels: the same run, the same pair
    assert p.controller is c and c.hlc and c.a == ("p3", 3)
    assert any(t.get_text().endswith(",0)") for t in p.figure.axes[0].texts)
    p.buttons["misleading pair"].click()
    assert (c.a, c.b) == (("p1", 0), ("p2", 1)) and "Lamport misleads" in p.heading.value
    p.knobs["seed"].value = -1
    assert p.controller.seed == -1
    assert repr(p) == f"ClockPlayground({p.controller.summary()})"


def test_the_widget_shows_a_given_controller() -> None:
    c = ClockController(nodes=3, steps=4, seed=4)
    p = ClockPlayground(controller=c)
    assert p.controller is c and "Lamport misleads" in p.heading.value
    with pytest.raises(TypeError, match="not to the playground"):
        ClockPlayground(controller=c, nodes=3)
    with pytest.raises(TypeError, match="is not a ClockController"):
        ClockPlayground(controller="c")  # type: ignore[arg-type]
