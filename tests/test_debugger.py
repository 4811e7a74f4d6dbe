"""Tests of the step-through debugger: the navigator core (no widgets) and the widget,
driven from code (no browser)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Network, Node, Simulation, System
from dslib.basics import CounterServer, Ping, Pinger, Pong, Ponger
from dslib.check import ActorModel, Counterexample, check
from dslib.sim import Client, Crash, Heal, Nemesis, Partition, Reply, Request, Restart
from dslib.small_systems.mutex import (
    CheckThenSet,
    all_done,
    at_most_one_critical,
    mutual_exclusion,
    ricart_agrawala,
)
from dslib.small_systems.twophase import Prepared, system_consistent, two_phase_system
from dslib.widgets.debugger import Debugger
from dslib.widgets.navigator import (
    Navigator,
    describe_step,
    steps_from_json,
    steps_to_json,
)


def ping_pong(count: int = 1) -> System:
    return System({"pinger": Pinger(count=count), "ponger": Ponger()})


def request_response() -> System:
    return System(
        {
            "client": Client(["server"], [("incr", None)], timeout=10.0, retries=1),
            "server": CounterServer(),
        }
    )


def agrees_with_simulator(system: System, nav: Navigator) -> None:
    """The exported path replays in the simulator to the navigator's states, at every prefix."""
    steps = nav.export()
    sim = Simulation(system)
    for i, step in enumerate(steps):
        sim.apply(step)
        expected = nav.goto(i + 1)
        assert sim.states == expected.nodes, f"after step {i} {step}"
        assert sim.crashed == expected.crashed


# -- the navigator: taking events ---------------------------------------------------------
def test_enabled_events_and_taking_them_change_the_state() -> None:
    nav = Navigator(ping_pong())
    assert nav.enabled()[0] == ("fire", "pinger", "tick")
    assert nav.position == 0 and nav.previous is None and nav.last_step is None
    after = nav.take(("fire", "pinger", "tick"))
    assert after.node("pinger").sent == 1
    assert after.messages() == [("pinger", "ponger", Ping(0))]
    assert after.pending_timers() == []
    assert "pinger.sent: 0 → 1" in nav.changes()
    assert nav.enabled()[0] == ("deliver", "pinger", "ponger", Ping(0))
    nav.take(0)
    assert nav.state.node("ponger") == 1
    assert nav.state.messages() == [("ponger", "pinger", Pong(0))]
    assert nav.position == 2 and nav.length == 2
    assert nav.export() == [("fire", "pinger", "tick"), ("deliver", "pinger", "ponger", Ping(0))]


def test_taking_an_event_that_is_not_enabled_says_what_is() -> None:
    nav = Navigator(ping_pong())
    with pytest.raises(ValueError, match=r"not enabled now; enabled: pinger: timer 'tick'"):
        nav.take(("deliver", "pinger", "ponger", Ping(0)))
    with pytest.raises(ValueError, match="event 9 does not exist"):
        nav.take(9)
    with pytest.raises(ValueError, match="is not a step"):
        nav.take(("teleport", "pinger"))
    with pytest.raises(ValueError, match="is not a step"):
        nav.take(("crash",))
    assert nav.position == 0  # nothing happened


def test_labels_describe_every_kind_of_step() -> None:
    assert describe_step(("deliver", "a", "b", Ping(1))) == "a → b: Ping(seq=1)"
    assert describe_step(("drop", "a", "b", "m")) == "lose a → b: 'm'"
    assert describe_step(("duplicate", "a", "b", "m")) == "duplicate a → b: 'm'"
    assert describe_step(("fire", "a", ("timeout", 1))) == "a: timer ('timeout', 1)"
    assert describe_step(("restart", "a")) == "restart a"
    assert describe_step(("deliver", "a", "b", "m", ["x", 2])) == "a → b: 'm' [choose 'x', 2]"
    with pytest.raises(ValueError, match="is not a step"):
        describe_step("deliver")


def test_back_forward_and_goto_move_along_the_branch() -> None:
    nav = Navigator(ping_pong(count=2))
    for _ in range(3):
        nav.take(0)
    path = nav.export()
    third = nav.state
    assert not nav.can_forward and nav.can_back
    nav.back(2)
    assert nav.position == 1 and nav.length == 3 and nav.can_forward
    assert nav.forward() == nav.goto(2)
    assert nav.goto(3) == third
    assert nav.goto(0).node("pinger").sent == 0
    assert nav.export() == []
    nav.goto(3)
    assert nav.export() == path  # going back and forth does not change the path
    with pytest.raises(ValueError, match="beyond this branch"):
        nav.forward()
    with pytest.raises(ValueError, match="beyond this branch"):
        nav.back(4)
    with pytest.raises(ValueError, match="must be an int >= 0"):
        nav.back(-1)


def test_going_back_and_taking_another_event_starts_a_branch() -> None:
    nav = Navigator(ping_pong())
    nav.take(("fire", "pinger", "tick"))
    nav.take(("deliver", "pinger", "ponger", Ping(0)))
    first = nav.export()
    nav.back()
    nav.take(("drop", "pinger", "ponger", Ping(0)))
    branches = nav.branches()
    assert [b.length for b in branches] == [2, 2]
    assert [b.current for b in branches] == [False, True]
    assert branches[1].last == "lose pinger → ponger: Ping(seq=0)"
    assert nav.state.messages() == [] and nav.state.node("ponger") == 0
    nav.switch(1)  # the old branch is still there
    assert nav.export() == first and nav.state.node("ponger") == 1
    # Taking an event already taken from here follows it: no new branch.
    nav.back()
    nav.take(("drop", "pinger", "ponger", Ping(0)))
    assert len(nav.branches()) == 2
    # A third branch from the initial state.
    nav.goto(0)
    nav.take(("crash", "ponger"))
    assert len(nav.branches()) == 3
    assert nav.length == 1 and nav.branches()[2].current
    with pytest.raises(ValueError, match="the branches are 1 to 3"):
        nav.switch(4)


def test_forward_follows_the_branch_visited_last() -> None:
    nav = Navigator(ping_pong())
    nav.take(("fire", "pinger", "tick"))
    nav.take(("drop", "pinger", "ponger", Ping(0)))
    nav.back()
    nav.take(("duplicate", "pinger", "ponger", Ping(0)))
    nav.goto(0)
    assert nav.forward(2).messages() == [("pinger", "ponger", Ping(0))] * 2
    nav.switch(1)
    nav.goto(0)
    assert nav.forward(2).messages() == []


def test_choices_are_part_of_the_step() -> None:
    system = two_phase_system(1)
    nav = Navigator(system, faults=())
    fires = [s for s in nav.enabled() if s[:2] == ("fire", "rm1")]
    assert fires == [("fire", "rm1", "decide", ("prepare",)), ("fire", "rm1", "decide", ("abort",))]
    with pytest.raises(ValueError, match="calls ctx.choose; say which choices"):
        nav.take(("fire", "rm1", "decide"))
    assert nav.take(("fire", "rm1", "decide", ["abort"])).node("rm1") == "aborted"
    nav.back()
    nav.take(("fire", "rm1", "decide", ("prepare",)))
    assert nav.state.messages() == [("rm1", "tm", Prepared("rm1"))]
    agrees_with_simulator(system, nav)


def test_faults_can_be_turned_off() -> None:
    nav = Navigator(ping_pong(), faults=["crash"])
    nav.take(0)
    kinds = {s[0] for s in nav.enabled()}
    assert kinds == {"deliver", "crash"}
    with pytest.raises(ValueError, match="drop events are off"):
        nav.take(("drop", "pinger", "ponger", Ping(0)))
    with pytest.raises(ValueError, match="unknown"):
        Navigator(ping_pong(), faults=["meteor"])
    with pytest.raises(TypeError, match="takes a dslib.System"):
        Navigator("not a system")  # type: ignore[arg-type]


# -- faults ------------------------------------------------------------------------------
def test_crash_loses_state_and_messages_then_restart() -> None:
    system = request_response()
    nav = Navigator(system)
    nav.take(("fire", "client", "next"))
    nav.take(("crash", "server"))
    assert nav.state.crashed == {"server"}
    rows = {r[0]: r for r in nav.state_rows()}
    assert rows["server"][1] == "crashed" and rows["server"][3] == {"*"}
    request = Request("client", 1, "incr")
    labels = nav.labels()
    assert "client → server: " + repr(request) + " (lost: server is down)" in labels
    nav.take(("deliver", "client", "server", request))
    assert nav.state.messages() == [] and "server is down" in nav.changes()
    nav.take(("restart", "server"))
    assert nav.state.node("server") == 0
    assert {r[0]: r[1] for r in nav.state_rows()}["server"] == "restarted"
    # The client times out and retries, and this time the reply is lost: partial failure.
    nav.take(("fire", "client", ("timeout", 1)))
    nav.take(("deliver", "client", "server", request))
    nav.take(("drop", "server", "client", Reply(1, True, 1)))
    assert nav.state.node("server") == 1
    agrees_with_simulator(system, nav)


def test_duplicate_makes_a_second_copy() -> None:
    system = ping_pong()
    nav = Navigator(system)
    nav.take(0)
    nav.take(("duplicate", "pinger", "ponger", Ping(0)))
    assert nav.state.messages() == [("pinger", "ponger", Ping(0))] * 2
    assert "2 copies" in nav.changes() and "×2" in nav.network_lines()[0]
    nav.take(("deliver", "pinger", "ponger", Ping(0)))
    nav.take(("deliver", "pinger", "ponger", Ping(0)))
    assert nav.state.node("ponger") == 2
    agrees_with_simulator(system, nav)


def test_partition_blocks_deliveries_across_it_until_heal() -> None:
    system = System({"a": Pinger(count=1, ponger="b"), "b": Ponger(), "c": Ponger()})
    nav = Navigator(system)
    offered = [s for s in nav.enabled() if s[0] == "partition"]
    assert offered == [
        ("partition", ("a",), ("b", "c")),
        ("partition", ("b",), ("a", "c")),
        ("partition", ("c",), ("a", "b")),
    ]
    nav.take(("fire", "a", "tick"))
    nav.take(("partition", ["a"], ["b", "c"]))
    assert nav.partition == (("a",), ("b", "c")) and "partition: {a} | {b, c}" in nav.text()
    assert ("deliver", "a", "b", Ping(0)) not in nav.enabled()
    assert ("drop", "a", "b", Ping(0)) in nav.enabled()
    with pytest.raises(ValueError, match="different sides of the partition"):
        nav.take(("deliver", "a", "b", Ping(0)))
    with pytest.raises(ValueError, match=r"nodes \['c'\] are in no group"):
        nav.take(("partition", ["a"], ["b"]))
    nav.take(("heal",))
    assert nav.partition is None and "heals" in nav.changes()
    nav.take(("deliver", "a", "b", Ping(0)))
    assert nav.state.node("b") == 1
    agrees_with_simulator(system, nav)


def test_fifo_links_deliver_the_oldest_first() -> None:
    system = ping_pong(count=2)
    nav = Navigator(system, fifo=True)
    nav.take(("fire", "pinger", "tick"))
    nav.take(("fire", "pinger", "tick"))
    assert ("deliver", "pinger", "ponger", Ping(1)) not in nav.enabled()
    nav.take(("duplicate", "pinger", "ponger", Ping(0)))
    assert nav.state.messages() == [("pinger", "ponger", m) for m in (Ping(0), Ping(0), Ping(1))]
    nav.take(("deliver", "pinger", "ponger", Ping(0)))
    nav.take(("deliver", "pinger", "ponger", Ping(0)))
    nav.take(("deliver", "pinger", "ponger", Ping(1)))
    assert nav.state.node("ponger") == 3
    agrees_with_simulator(system, nav)


# -- invariants -----------------------------------------------------------------------------
def test_invariant_status_names_the_values_that_break_it() -> None:
    def ponger_quiet(state: Any) -> bool:
        """The ponger has answered nothing."""
        return state.node("ponger") == 0

    def explained(state: Any) -> tuple[bool, str]:
        n = state.node("ponger")
        return (n == 0, f"the ponger answered {n} ping(s)")

    def broken(state: Any) -> bool:
        raise RuntimeError("oops")

    nav = Navigator(ping_pong(), [ponger_quiet, explained, broken])
    assert [s.ok for s in nav.check_invariants()] == [True, True, None]
    nav.take(0)
    nav.take(0)
    quiet, why, err = nav.check_invariants()
    assert quiet.ok is False and quiet.reads == ("ponger",)
    assert quiet.values == (("ponger", "1"),)
    assert quiet.description == "The ponger has answered nothing."
    assert str(quiet).startswith("✗ ponger_quiet (The ponger has answered nothing.) fails")
    assert why.explanation == "the ponger answered 1 ping(s)"
    assert err.ok is None and "RuntimeError: oops" in str(err)
    assert "ponger_quiet" in nav.invariants_html() and "#c62828" in nav.invariants_html()
    assert "failing: ponger_quiet, explained" in repr(nav)


def test_counterexample_loads_and_reaches_the_violating_state() -> None:
    system = ricart_agrawala(2, mutant="tie_by_timestamp")
    result = check(ActorModel(system), invariants=[at_most_one_critical])
    cex = result.counterexample
    assert cex is not None
    nav = Navigator.from_counterexample(system, result, invariants=[at_most_one_critical])
    assert nav.position == len(cex) == nav.length
    assert nav.title.startswith("model checker: invariant 'at_most_one_critical'")
    for k, step in enumerate(cex.steps):  # the same states as the checker's, step by step
        assert nav.goto(k) == step.state
    (status,) = nav.check_invariants()
    assert status.ok is False and status.reads == ("p1", "p2")
    assert "status='critical'" in status.values[0][1]
    assert [s.ok for s in nav.check_invariants(cex.steps[-2].state)] == [True]
    # Go back two steps, take something else: a branch where only one process gets in.
    nav.back(2)
    nav.take(("crash", "p2"))
    assert len(nav.branches()) == 2 and nav.check_invariants()[0].ok
    nav.switch(1)
    assert nav.check_invariants()[0].ok is False
    # At a chosen step.
    assert Navigator.from_counterexample(system, cex, step=2).position == 2
    with pytest.raises(ValueError, match="step=7 must be an int from 0 to 6"):
        Navigator.from_counterexample(system, cex, step=7)


def test_counterexample_with_crashes_replays_and_exports() -> None:
    system = two_phase_system(2, "tm_forgets_decision")
    result = check(
        ActorModel(system, max_crashes=1, crashable=["tm"]), invariants=[system_consistent]
    )
    nav = Navigator.from_counterexample(system, result, invariants=[system_consistent])
    assert nav.check_invariants()[0].ok is False
    assert ("crash", "tm") in nav.export() and ("restart", "tm") in nav.export()
    assert nav.divergence() == ""
    agrees_with_simulator(system, nav)


def test_counterexample_of_a_duplicating_network_gets_explicit_duplicates() -> None:
    system = two_phase_system(2)

    def rm1_hears_commit_twice(state: Any) -> bool:
        """Stop when a Commit to rm1 was delivered twice (the TM stays committed)."""
        return not (state.node("rm1") == "committed" and state.node("rm2") == "committed")

    result = check(ActorModel(system, duplicating=True), invariants=[rm1_hears_commit_twice])
    assert result.counterexample is not None
    nav = Navigator.from_counterexample(system, result)
    assert nav.state.nodes == result.counterexample.final.nodes
    agrees_with_simulator(system, nav)


def test_a_duplicating_counterexample_may_lose_a_message_it_delivered() -> None:
    # The checker keeps a delivered message in flight, so it can deliver it and then lose
    # it; the navigator must copy it before delivering (as replay does), or the loss is
    # not possible there. It was not, before both used copies_first.
    class Once(Node[int]):
        def init(self, ctx: Context) -> int:
            ctx.send("counter", "ping")
            return 0

    class Counts(Node[int]):
        def init(self, ctx: Context) -> int:
            return 0

        def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
            return state + 1

    system = System({"once": Once(), "counter": Counts()})

    def delivered_then_lost(state: Any) -> bool:
        return state.node("counter") == 1 and not state.messages()

    result = check(
        ActorModel(system, duplicating=True, lossy=True),
        goals={"delivered, then lost": delivered_then_lost},
        boundary=lambda s: s.node("counter") > 1,
    )
    witness = result.witnesses["delivered, then lost"]
    assert [a.kind for a in witness.actions[-2:]] == ["deliver", "drop"]
    nav = Navigator.from_counterexample(system, witness)
    assert [s[0] for s in nav.export()[-3:]] == ["duplicate", "deliver", "drop"]
    assert nav.state.nodes == witness.final.nodes
    agrees_with_simulator(system, nav)


def test_a_lasso_loads_its_prefix_and_one_turn_of_its_cycle() -> None:
    system = ricart_agrawala(2)
    result = check(ActorModel(system, max_crashes=1, restart=False), eventually=[all_done])
    lasso = result.lasso
    assert lasso is not None
    nav = Navigator.from_counterexample(system, lasso)
    assert nav.length == len(lasso.prefix) + len(lasso.cycle)
    assert nav.state == lasso.prefix.final
    assert nav.title == f"lasso: {len(lasso.prefix)} steps, {lasso.ending()}"
    assert Navigator.from_counterexample(system, result).title.startswith("model checker: ")


def test_from_counterexample_refuses_what_it_cannot_load() -> None:
    system = ricart_agrawala(2)
    ok = check(ActorModel(system), invariants=[at_most_one_critical])
    with pytest.raises(ValueError, match="has no counterexample"):
        Navigator.from_counterexample(system, ok)
    spec = check(CheckThenSet(), invariants=[mutual_exclusion])
    with pytest.raises(TypeError, match="of an ActorModel"):
        Navigator.from_counterexample(system, spec)
    buggy = check(
        ActorModel(ricart_agrawala(2, mutant="tie_by_timestamp")), invariants=[at_most_one_critical]
    )
    with pytest.raises(ValueError, match="are not the model's"):
        Navigator.from_counterexample(ricart_agrawala(3), buggy)
    with pytest.raises(TypeError, match="takes a Counterexample"):
        Navigator.from_counterexample(system, [1, 2])  # type: ignore[arg-type]
    manual = Counterexample([(None, 0)])
    with pytest.raises(TypeError, match="of an ActorModel"):
        Navigator.from_counterexample(system, manual)


# -- traces ------------------------------------------------------------------------------------
def test_from_trace_follows_a_simulation_with_every_kind_of_fault() -> None:
    nemesis = Nemesis(
        [
            (5.0, Partition((("pinger",), ("ponger",)))),
            (15.0, Heal()),
            (20.0, Crash("ponger")),
            (30.0, Restart("ponger")),
        ]
    )
    system = ping_pong(count=20)
    network = Network(latency=2.0, loss=0.1, duplication=0.2)
    sim = Simulation(system, seed=1, network=network, nemesis=nemesis).run()
    nav = Navigator.from_trace(system, sim.trace)
    kinds = {s[0] for s in nav.export()}
    every = {"fire", "deliver", "drop", "duplicate", "crash", "restart", "partition", "heal"}
    assert kinds == every
    assert nav.state.nodes == sim.states and nav.state.crashed == sim.crashed
    assert Simulation.replay(system, nav.export()).states == sim.states
    halfway = Navigator.from_trace(system, sim, time=20.0)
    assert halfway.state.crashed == {"ponger"} and ("crash", "ponger") in halfway.export()
    assert halfway.length == nav.length and halfway.position < nav.length
    assert Navigator.from_trace(system, sim, step=3).position == 3


def test_from_trace_finds_the_choices_a_handler_made() -> None:
    system = two_phase_system(3)
    outcomes = set()
    for seed in range(6):
        sim = Simulation(system, seed=seed).run()
        nav = Navigator.from_trace(system, sim)
        assert nav.state.nodes == sim.states
        outcomes.add(nav.state.node("tm").status)
        choices = [s[3] for s in nav.export() if s[0] == "fire" and s[1].startswith("rm")]
        assert choices and all(c in (("prepare",), ("abort",)) for c in choices)
    assert outcomes == {"committed", "aborted"}


class Coin(Node[str]):
    """Chooses heads or tails when it starts, then tells its peer."""

    def init(self, ctx: Context) -> str:
        side = str(ctx.choose(["heads", "tails"]))
        ctx.send("peer", side)
        return side


class Listener(Node[str]):
    def init(self, ctx: Context) -> str:
        return ""

    def on_message(self, ctx: Context, state: str, src: str, msg: Any) -> str:
        return str(msg)


def test_initial_states_chosen_in_init() -> None:
    system = System({"coin": Coin(), "peer": Listener()})
    assert Navigator(system, initial=1).state.node("coin") == "tails"
    with pytest.raises(ValueError, match="has 2 initial state"):
        Navigator(system, initial=2)
    sides = set()
    for seed in range(8):
        sim = Simulation(system, seed=seed).run()
        nav = Navigator.from_trace(system, sim)  # starts where the simulation started
        assert nav.state.nodes == sim.states and nav.goto(0).node("coin") == sim.states["coin"]
        sides.add(sim.states["coin"])
    assert sides == {"heads", "tails"}


def test_from_trace_refuses_another_systems_trace() -> None:
    sim = Simulation(ping_pong()).run()
    with pytest.raises(ValueError, match="are not the system's"):
        Navigator.from_trace(request_response(), sim)
    with pytest.raises(ValueError, match="step or time, not both"):
        Navigator.from_trace(ping_pong(), sim, step=1, time=1.0)


# -- JSON (the value encoding itself is tested in test_codec.py) ----------------------------
def test_saved_paths_refuse_other_systems_and_bad_files() -> None:
    text = steps_to_json([("fire", "pinger", "tick")], nodes=["pinger", "ponger"])
    assert steps_from_json(text, nodes=["pinger", "ponger"]) == [("fire", "pinger", "tick")]
    with pytest.raises(ValueError, match="saved for the nodes"):
        steps_from_json(text, nodes=["a", "b"])
    with pytest.raises(ValueError, match="not JSON"):
        steps_from_json("{oops")
    with pytest.raises(ValueError, match='expected an object with "format": "dslib.steps"'):
        steps_from_json('{"steps": []}')
    with pytest.raises(ValueError, match="unknown version 2"):
        steps_from_json('{"format": "dslib.steps", "version": 2, "steps": []}')
    with pytest.raises(ValueError, match="step 1"):
        steps_from_json('{"format": "dslib.steps", "version": 1, "steps": [["jump"]]}')
    with pytest.raises(ValueError, match="step 2"):
        steps_to_json([("heal",), ("jump",)])


def test_json_round_trip_replays_to_the_same_states() -> None:
    system = request_response()
    nav = Navigator(system)
    request = Request("client", 1, "incr")
    for step in [
        ("fire", "client", "next"),
        ("deliver", "client", "server", request),
        ("duplicate", "server", "client", Reply(1, True, 1)),
        ("partition", ["client"], ["server"]),
        ("drop", "server", "client", Reply(1, True, 1)),
        ("fire", "client", ("timeout", 1)),
        ("heal",),
        ("crash", "server"),
        ("restart", "server"),
        ("deliver", "client", "server", request),
    ]:
        nav.take(step)
    text = nav.to_json(indent=1)
    loaded = Navigator.from_json(system, text)
    assert loaded.export() == nav.export()
    for k in range(nav.length + 1):
        assert loaded.goto(k) == nav.goto(k)
    sim = Simulation.replay(system, steps_from_json(text))
    assert sim.states == nav.state.nodes
    agrees_with_simulator(system, loaded)
    assert Navigator.from_json(system, text, step=3).position == 3
    with pytest.raises(ValueError, match=r"step 2 \('crash', 'server'\) cannot be taken"):
        Navigator.from_steps(system, [("crash", "server"), ("crash", "server")])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=14))
def test_any_path_replays_in_the_simulator_and_survives_json(picks: list[int]) -> None:
    system = two_phase_system(2)
    nav = Navigator(system, [system_consistent])
    for k in picks:
        enabled = nav.enabled()
        if not enabled:
            break
        nav.take(k % len(enabled))
        if k % 7 == 0 and nav.can_back:  # wander: back, and sometimes branch
            nav.back()
    steps = nav.export()
    assert steps_from_json(steps_to_json(steps, nodes=system.ids), nodes=system.ids) == steps
    sim = Simulation.replay(system, steps)
    assert sim.states == nav.state.nodes and sim.crashed == nav.state.crashed
    assert system_consistent(nav.state)


# -- static views -----------------------------------------------------------------------------
def test_text_html_frame_and_figures_show_the_same_state() -> None:
    system = ricart_agrawala(2, mutant="tie_by_timestamp")
    result = check(ActorModel(system), invariants=[at_most_one_critical])
    nav = Navigator.from_counterexample(system, result, invariants=[at_most_one_critical])
    text = nav.text()
    assert "step 6 of 6: p2 → p1: LockReply()" in text
    assert "'critical'*" in text  # p1's status changed at the last step
    assert "✗ at_most_one_critical" in text and "enabled events (5)" in text
    html = nav.html()
    assert html.count("background:#fff3cd") == 2  # p1's status and replies
    assert "LockReply()" in html and "✗ at_most_one_critical" in html
    frame = nav.state_frame()
    assert list(frame.index) == ["p1", "p2"]
    assert frame.loc["p1", "changed"] == "status, replies" and frame.loc["p2", "changed"] == ""
    fig = nav.render()
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title() == nav.heading()
    diagram = nav.diagram(window=None)
    assert [t.get_text() for t in diagram.axes[0].get_yticklabels()] == ["p1", "p2"]
    # The same text whatever happened before: a fresh navigator on the same path agrees.
    again = Navigator.from_steps(system, nav.export(), invariants=[at_most_one_critical])
    again.title = nav.title
    assert again.text() == text


def test_navigator_module_does_not_import_ipywidgets() -> None:
    code = (
        "import sys; import dslib.widgets.navigator; "
        "assert 'ipywidgets' not in sys.modules, 'ipywidgets imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- the widget ---------------------------------------------------------------------------------
def test_widget_take_back_forward_by_clicking() -> None:
    debugger = Debugger(ping_pong(), diagram=True)
    assert debugger.image.value[:4] == b"\x89PNG"
    assert debugger.back_button.disabled and debugger.forward_button.disabled
    assert debugger.events.options[0] == (" 0  pinger: timer 'tick'", 0)
    debugger.events.value = 0
    debugger.take_button.click()
    nav = debugger.navigator
    assert nav.position == 1 and "step 1 of 1" in debugger.heading.value
    assert "pinger → ponger: Ping(seq=0)" in debugger.events.options[0][0]
    assert "background:#fff3cd" in debugger.state.value
    before = debugger.image.value
    debugger.take_button.click()  # the first event is selected after each step
    assert nav.state.node("ponger") == 1 and debugger.image.value != before
    debugger.back_button.click()
    assert nav.position == 1 and not debugger.forward_button.disabled
    debugger.forward_button.click()
    assert nav.position == 2 and debugger.forward_button.disabled
    debugger.position.value = 0
    assert nav.position == 0
    assert debugger.static().axes


def test_widget_branches_and_errors() -> None:
    debugger = Debugger(ping_pong(), diagram=False)
    nav = debugger.navigator
    debugger.take_button.click()
    debugger.take_button.click()
    debugger.back_button.click()
    drop = nav.enabled().index(("drop", "pinger", "ponger", Ping(0)))
    debugger.events.value = drop
    debugger.take_button.click()
    assert [label for label, _ in debugger.branch.options] == [str(b) for b in nav.branches()]
    assert debugger.branch.value == 2 and not debugger.branch.disabled
    debugger.branch.value = 1
    assert nav.export()[-1][0] == "deliver" and nav.state.node("ponger") == 1
    # Errors are shown, not raised.
    debugger.path_text.value = "not json"
    debugger.load_button.click()
    assert "not JSON" in debugger.message.value
    debugger.back_button.click()
    assert debugger.message.value == ""


def test_widget_export_and_load_a_path() -> None:
    system = request_response()
    first = Debugger(system, diagram=False)
    for _ in range(3):
        first.take_button.click()
    text = first.export()
    assert first.path_text.value == text and json.loads(text)["nodes"] == ["client", "server"]
    second = Debugger(system, diagram=False)
    second.path_text.value = text
    second.load_button.click()
    assert second.navigator.export() == first.navigator.export()
    assert second.navigator.state == first.navigator.state
    third = Debugger.from_json(system, text, diagram=False)
    assert third.navigator.export() == first.navigator.export()


def test_widget_on_a_counterexample_shows_the_failing_invariant() -> None:
    system = ricart_agrawala(2, mutant="tie_by_timestamp")
    result = check(ActorModel(system), invariants=[at_most_one_critical])
    invariants = [at_most_one_critical]
    debugger = Debugger.from_counterexample(system, result, 4, invariants, diagram=False)
    assert debugger.position.value == 4 and debugger.position.max == 6
    assert "holds" in debugger.invariants.value
    debugger.position.value = 6
    assert "fails" in debugger.invariants.value and "p1 = RAState" in debugger.invariants.value
    assert "model checker" in debugger.heading.value
    assert repr(debugger).endswith("failing: at_most_one_critical)")
    bundle = debugger._repr_mimebundle_()
    assert bundle["text/plain"] == repr(debugger)
    assert "application/vnd.jupyter.widget-view+json" in bundle
    sim = Simulation(system, seed=0)
    trace_debugger = Debugger.from_trace(system, sim.run().trace, diagram=False)
    assert trace_debugger.navigator.state.nodes == sim.states
    steps = [("fire", "p1", "want")]
    assert Debugger.from_steps(system, steps, diagram=False).navigator.export() == steps


def test_widget_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="takes a dslib.System or a Navigator"):
        Debugger(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="give invariants and options to the Navigator"):
        Debugger(Navigator(ping_pong()), [at_most_one_critical])
    with pytest.raises(ValueError, match="window=0"):
        Debugger(ping_pong(), window=0)
