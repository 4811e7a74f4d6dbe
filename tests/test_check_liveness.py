"""Tests of liveness checking: weak fairness, lassos, and an independent brute force."""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import ActorModel, Lasso, Model, check, check_eventually, state_graph
from dslib.check.liveness import strongly_connected_components
from dslib.small_systems.mutex import Peterson, Polite, mutual_exclusion, someone_critical
from dslib.small_systems.twophase import two_phase_system


def table_model(edges: dict[int, list[tuple[str, int]]], init: int = 0) -> Model[int]:
    return Model(init=[init], actions=lambda s: edges.get(s, []), name="table")


def assert_valid_lasso(model: Model[Any], lasso: Lasso, goal: Any, fairness: Any = None) -> None:
    """A lasso is an execution of the model that never meets the goal and is fair."""
    fair = fairness if fairness is not None else model.fairness
    states = lasso.prefix.states + [s.state for s in lasso.cycle]
    assert not any(goal(s) for s in states)
    assert lasso.prefix.steps[0].state in list(model.init_states())
    prev = lasso.prefix.steps[0].state
    for step in list(lasso.prefix.steps[1:]) + list(lasso.cycle):
        assert (step.action, step.state) in list(model.actions(prev))
        prev = step.state
    assert prev == lasso.prefix.final
    loop_states = [s.state for s in lasso.cycle] or [lasso.prefix.final]
    enabled_everywhere = None
    for s in loop_states:
        enabled = {fair(a) for a, t in model.actions(s) if t != s} - {None}
        enabled_everywhere = enabled if enabled_everywhere is None else enabled_everywhere & enabled
    befores = [lasso.prefix.final] + [s.state for s in lasso.cycle]
    taken = {fair(s.action) for s, b in zip(lasso.cycle, befores, strict=False) if s.state != b}
    assert enabled_everywhere is not None and enabled_everywhere <= taken


# -- small systems whose answers are derived by hand -----------------------------------------------


def test_weak_fairness_forces_a_continuously_enabled_exit() -> None:
    # 0 <-> 1, and from 1 an exit to 2 (the goal). Exit is enabled only at 1, so
    # it is not continuously enabled on the cycle 0 -> 1 -> 0: weak fairness does not
    # force it, and the cycle is a violation.
    m = table_model({0: [("go", 1)], 1: [("back", 0), ("exit", 2)]})
    lasso = check_eventually(m, lambda s: s == 2)
    assert lasso is not None
    assert [s.action for s in lasso.cycle] == ["go", "back"] and len(lasso.prefix) == 0
    assert_valid_lasso(m, lasso, lambda s: s == 2)
    # From 1, exit or a self-loop: exit is enabled at every state of the only cycle
    # (the self-loop at 1), so weak fairness forces it: no violation.
    m = table_model({0: [("go", 1)], 1: [("spin", 1), ("exit", 2)]})
    assert check_eventually(m, lambda s: s == 2) is None
    # Unless exit needs no fairness: then staying at 1 forever is fair. A spin changes
    # nothing (a stuttering step, as in TLA+), so the lasso simply stops there.
    lasso = check_eventually(m, lambda s: s == 2, fairness=lambda a: None if a == "exit" else a)
    assert lasso is not None and lasso.stutters
    assert len(lasso.prefix) == 1


def test_deadlock_and_unfair_only_states_stutter() -> None:
    # 0 -> 1 (a dead end): the execution stops at 1 without the goal.
    m = table_model({0: [("step", 1)], 2: []})
    lasso = check_eventually(m, lambda s: s == 2)
    assert lasso is not None and lasso.stutters and lasso.prefix.final == 1
    assert "stays in step 1's state forever" in str(lasso)
    # 0 has only an unfair action: it may never happen, so the execution may stop at 0.
    m = table_model({0: [("maybe", 1)], 1: [("exit", 2)]})
    fair = lambda a: None if a == "maybe" else a  # noqa: E731
    lasso = check_eventually(m, lambda s: s == 2, fairness=fair)
    assert lasso is not None and lasso.stutters and len(lasso.prefix) == 0
    assert check_eventually(m, lambda s: s == 2) is None  # with "maybe" fair it must happen


def test_goal_in_the_initial_state_and_boundaries() -> None:
    m = table_model({0: [("loop", 0)]})
    assert check_eventually(m, lambda s: s == 0) is None
    counter = Model(init=[0], actions=lambda n: [("inc", n + 1)])
    # Executions leaving the boundary are not judged.
    assert check_eventually(counter, lambda n: False, boundary=lambda n: n >= 5) is None
    with pytest.raises(ValueError, match="more than max_states=10"):
        check_eventually(counter, lambda n: n > 100, max_states=10)


def test_lasso_through_several_fairness_witnesses() -> None:
    # A cycle 0 -> 1 -> 2 -> 0 where "a" is enabled at 0 and 1 (taken at 1) and "b" is
    # enabled everywhere (taken at 2); the lasso must go all the way round.
    m = table_model(
        {
            0: [("x", 1), ("a", 3)],
            1: [("a", 2), ("b", 3)],
            2: [("b", 0)],
            3: [],
        }
    )
    fair = lambda a: {"a": "a", "b": "b"}.get(a)  # noqa: E731
    goal = lambda s: s == 3  # noqa: E731
    lasso = check_eventually(m, goal, fairness=fair)
    # "b" is enabled at 1 and 2 but disabled at 0; "a" enabled at 0 and 1, disabled at 2.
    # The whole cycle takes a (1 -> 2) and b (2 -> 0): fair.
    assert lasso is not None
    assert [s.action for s in lasso.cycle] == ["x", "a", "b"]
    assert_valid_lasso(m, lasso, goal, fair)


# -- the chapter's examples -----------------------------------------------------------------------


def test_polite_livelocks_and_peterson_does_not() -> None:
    r = check(Polite(), invariants=[mutual_exclusion], eventually=[someone_critical])
    assert not r.ok and r.kind == "eventually" and r.lasso is not None
    # Both raise, both see the other's flag, both lower theirs: 6 steps back to the start.
    assert len(r.lasso.prefix) == 0 and len(r.lasso.cycle) == 6
    assert_valid_lasso(Polite(), r.lasso, someone_critical)
    assert "loops through 6 steps forever" in r.summary()
    assert check(Peterson(), invariants=[mutual_exclusion], eventually=[someone_critical]).ok


def decided(state: Any) -> bool:
    return all(s in ("committed", "aborted") for i, s in state.nodes.items() if i != "tm")


def test_two_phase_commit_blocks_when_the_tm_crashes() -> None:
    model = ActorModel(two_phase_system(2))
    assert check(model, eventually=[decided]).ok
    crashing = ActorModel(two_phase_system(2), max_crashes=1, crashable=["tm"])
    r = check(crashing, eventually=[decided])
    assert not r.ok and r.lasso is not None and r.lasso.stutters
    # rm1 prepares, its Prepared arrives, rm2 aborts on its own, the TM crashes: rm1
    # waits forever (restarting the TM is possible but not forced).
    assert len(r.lasso.prefix) == 4
    assert r.lasso.prefix.final.node("rm1") == "prepared"
    assert_valid_lasso(crashing, r.lasso, decided)
    frame = r.lasso.to_frame()
    assert list(frame.columns) == ["action", "node", "loop", "changed"]


def test_eventually_is_not_checked_beyond_a_bound() -> None:
    # The example: a bounded search said "ok" about a liveness property it never
    # checked. Every kind of bound now leaves it unknown, and not ok.
    m = Model(init=[0], actions=lambda n: [("inc", n + 1)])
    for bound in ({"max_states": 50}, {"max_depth": 7}, {"strategy": "random", "walks": 3}):
        r = check(m, eventually={"big": lambda n: n > 1000}, **bound)  # type: ignore[arg-type]
        assert not r.ok and r.stop_reason == "bound" and r.lasso is None
        assert r.unchecked == ("big",)
        assert r.summary().startswith("unknown: liveness 'big' not checked")
    r = check(m, leads_to={"p": (lambda n: n == 1, lambda n: n == 2)}, max_depth=3)
    assert not r.ok and r.unchecked == ("p",)
    # The same property on a finite model is checked (and holds).
    finite = Model(init=[0], actions=lambda n: [("inc", n + 1)] if n < 20 else [])
    r = check(finite, eventually={"big": lambda n: n == 20}, max_states=50)
    assert r.ok and r.complete and r.unchecked == ()


# -- an independent brute force on random graphs ---------------------------------------------------


def brute_force_violation(
    n: int, edges: list[list[tuple[str, int]]], goal: set[int], fair: Any
) -> bool:
    """Is there a set S of non-goal states, reachable through non-goal states, strongly
    connected (a single state counts: it may stutter), where every fairness class enabled
    at all states of S is taken by an edge inside S? Self-loops are stuttering steps.
    (Checks every subset, not just the maximal components: the claim that maximal
    components suffice is what is tested.)"""
    reach = set()
    todo = [0] if 0 not in goal else []
    while todo:
        v = todo.pop()
        if v in reach:
            continue
        reach.add(v)
        todo += [w for _, w in edges[v] if w not in goal]
    for size in range(1, len(reach) + 1):
        for subset in itertools.combinations(sorted(reach), size):
            members = set(subset)
            g = nx.DiGraph()
            g.add_nodes_from(members)
            g.add_edges_from((v, w) for v in members for _, w in edges[v] if w in members)
            if size > 1 and not nx.is_strongly_connected(g):
                continue
            # A step back to the same state stutters: it neither enables nor takes a class.
            always = set.intersection(
                *({fair(a) for a, w in edges[v] if w != v} - {None} for v in members)
            )
            taken = {fair(a) for v in members for a, w in edges[v] if w in members and w != v}
            taken -= {None}
            if always <= taken:
                return True
    return False


@st.composite
def labelled_graphs(draw: Any) -> tuple[int, list[list[tuple[str, int]]], set[int]]:
    n = draw(st.integers(1, 6))
    edges = [
        draw(st.lists(st.tuples(st.sampled_from("abcu"), st.integers(0, n - 1)), max_size=3))
        for _ in range(n)
    ]
    goal = set(draw(st.lists(st.integers(0, n - 1), max_size=2)))
    return n, edges, goal


@settings(max_examples=150, deadline=None)
@given(labelled_graphs())
def test_liveness_agrees_with_brute_force(graph: Any) -> None:
    n, edges, goal = graph
    fair = lambda a: None if a == "u" else a  # noqa: E731  ("u" needs no fairness)
    m = table_model({i: e for i, e in enumerate(edges)})
    lasso = check_eventually(m, lambda s: s in goal, fairness=fair)
    assert (lasso is not None) == brute_force_violation(n, edges, goal, fair)
    if lasso is not None:
        assert_valid_lasso(m, lasso, lambda s: s in goal, fair)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.data())
def test_tarjan_agrees_with_networkx(n: int, data: Any) -> None:
    succ = [data.draw(st.lists(st.integers(0, n - 1), max_size=3)) for _ in range(n)]
    ours = {frozenset(c) for c in strongly_connected_components(list(range(n)), succ)}
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((v, w) for v in range(n) for w in succ[v])
    assert ours == {frozenset(c) for c in nx.strongly_connected_components(g)}


def test_state_graph_to_networkx() -> None:
    g = state_graph(Polite())
    nxg = g.to_networkx()
    assert nxg.number_of_nodes() == len(g) and nxg.number_of_edges() == g.edge_count
    assert nxg.nodes[0]["initial"]
