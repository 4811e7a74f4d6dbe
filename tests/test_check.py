"""Tests of the search engine of dslib.check: counts, bounds, strategies, properties, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections import deque
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import CheckResult, Counterexample, Model, ModelError, check, state_graph
from dslib.check.search import properties
from dslib.small_systems.puzzles import Jugs, WaterJugs

# -- small models -----------------------------------------------------------------------


def counter(limit: int = 9) -> Model[int]:
    """0, then +2 or +3, up to ``limit``."""

    def actions(n: int) -> list[tuple[str, int]]:
        return [(f"+{k}", n + k) for k in (2, 3) if n + k <= limit]

    return Model(init=[0], actions=actions, name="counter")


class Graph(Model[int]):
    """A model from an explicit graph: state i has edges ``adj[i]`` (labels ``i->j``)."""

    def __init__(self, adj: list[list[int]], init: list[int]) -> None:
        super().__init__(name="graph")
        self.adj = adj
        self.init = init

    def init_states(self) -> list[int]:
        return self.init

    def actions(self, s: int) -> list[tuple[str, int]]:
        return [(f"{s}->{t}#{k}", t) for k, t in enumerate(self.adj[s])]


@st.composite
def graphs(draw: Any, max_nodes: int = 12) -> Graph:
    n = draw(st.integers(1, max_nodes))
    adj = [draw(st.lists(st.integers(0, n - 1), max_size=3)) for _ in range(n)]
    init = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=2))
    return Graph(adj, init)


def distances(g: Graph) -> dict[int, int]:
    """Independent BFS distances from the initial states."""
    dist: dict[int, int] = {}
    queue: deque[int] = deque()
    for s in g.init:
        if s not in dist:
            dist[s] = 0
            queue.append(s)
    while queue:
        v = queue.popleft()
        for w in g.adj[v]:
            if w not in dist:
                dist[w] = dist[v] + 1
                queue.append(w)
    return dist


def assert_valid_execution(model: Model[Any], cex: Counterexample) -> None:
    """Every step of a counterexample is an action of the model from the previous state."""
    assert cex.steps[0].state in list(model.init_states())
    for prev, step in zip(cex.steps, cex.steps[1:], strict=False):
        assert (step.action, step.state) in list(model.actions(prev.state))


# -- counts and strategies ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_counts_match_an_independent_enumeration(g: Graph) -> None:
    dist = distances(g)
    generated = sum(len(g.adj[v]) for v in dist)
    for strategy in ("bfs", "dfs"):
        r = check(g, strategy=strategy)
        assert r.ok and r.stop_reason == "exhausted"
        assert r.distinct_states == len(dist)
        assert r.states_generated == generated
    assert check(g).depth == max(dist.values())


@settings(max_examples=60, deadline=None)
@given(graphs(), st.data())
def test_bfs_counterexample_is_shortest_and_valid(g: Graph, data: Any) -> None:
    dist = distances(g)
    bad = data.draw(st.sampled_from(sorted(dist)))
    r = check(g, invariants={"not bad": lambda s: s != bad})
    assert not r.ok and r.kind == "invariant" and r.property == "not bad"
    assert r.counterexample is not None
    assert r.counterexample.final == bad
    assert len(r.counterexample) == dist[bad]
    assert_valid_execution(g, r.counterexample)
    for strategy in ("dfs", "random"):
        r2 = check(g, invariants={"not bad": lambda s: s != bad}, strategy=strategy, walks=200)
        if not r2.ok:
            assert r2.counterexample is not None and r2.counterexample.final == bad
            assert len(r2.counterexample) >= dist[bad]
            assert_valid_execution(g, r2.counterexample)


@settings(max_examples=60, deadline=None)
@given(graphs(), st.integers(0, 5))
def test_depth_bound_counts_states_within_the_bound(g: Graph, bound: int) -> None:
    dist = distances(g)
    within = sum(1 for d in dist.values() if d <= bound)
    beyond = any(d > bound for d in dist.values())
    for strategy in ("bfs", "dfs"):
        r = check(g, max_depth=bound, strategy=strategy)
        assert r.distinct_states == within, strategy
        assert r.stop_reason == ("bound" if beyond else "exhausted"), strategy


@settings(max_examples=40, deadline=None)
@given(graphs(), st.integers(1, 12))
def test_state_bound(g: Graph, limit: int) -> None:
    reachable = len(distances(g))
    for strategy in ("bfs", "dfs", "random"):
        r = check(g, max_states=limit, strategy=strategy)
        assert r.distinct_states == min(limit, reachable) or strategy == "random"
        if reachable > limit and strategy != "random":
            assert r.stop_reason == "bound" and "max_states" in r.bound
        if reachable <= limit and strategy != "random":
            assert r.stop_reason == "exhausted"


def test_random_walks_are_seeded_and_bounded() -> None:
    m = counter(60)
    a = check(m, strategy="random", seed=3, walks=5, max_depth=4)
    b = check(m, strategy="random", seed=3, walks=5, max_depth=4)
    assert (a.distinct_states, a.states_generated) == (b.distinct_states, b.states_generated)
    assert a.stop_reason == "bound" and "5 walks" in a.bound
    assert a.depth <= 4


def test_counter_counterexample_by_hand() -> None:
    # 0 -> 2 -> 4 -> 7: 7 = 2 + 2 + 3 needs three steps; no two steps make 7.
    r = check(counter(), invariants={"never 7": lambda n: n != 7})
    assert r.counterexample is not None
    assert r.counterexample.actions == ["+2", "+2", "+3"]
    assert r.counterexample.states == [0, 2, 4, 7]
    assert r.depth == 3


# -- goals, boundary, deadlock, time ------------------------------------------------------


def test_goals_witness_and_missed_goal() -> None:
    r = check(counter(), goals={"reach 9": lambda n: n == 9, "reach 1": lambda n: n == 1})
    assert not r.ok and r.kind == "goal" and r.property == "reach 1"
    assert r.goals_missed == ("reach 1",)
    # 9 = 3 + 3 + 3 (three steps; two steps reach at most 6).
    assert r.witnesses["reach 9"].actions == ["+3", "+3", "+3"]
    assert "never reached in any reachable state" in r.summary()


def test_goals_alone_stop_the_search_early() -> None:
    m = Model(init=[0], actions=lambda n: [("inc", n + 1)])  # infinite
    r = check(m, goals=lambda n: n == 5)
    assert r.ok and r.stop_reason == "goals reached"
    assert len(r.witnesses["goal 1"]) == 5
    # With an invariant too, the search must go on (here until the bound).
    r = check(m, goals=lambda n: n == 5, invariants=lambda n: n >= 0, max_states=20)
    assert r.ok and r.stop_reason == "bound" and r.distinct_states == 20


def test_boundary_stops_expansion() -> None:
    m = Model(init=[0], actions=lambda n: [("inc", n + 1)])
    r = check(m, boundary=lambda n: n >= 4)
    assert r.stop_reason == "exhausted" and r.distinct_states == 5  # 0..4, 4 not expanded
    r = check(m, boundary=lambda n: n >= 4, invariants=lambda n: n < 4)
    assert not r.ok  # boundary states are still checked


def test_deadlock() -> None:
    m = Model(init=[0], actions=lambda n: [("inc", n + 1)] if n < 3 else [])
    assert check(m).ok
    r = check(m, deadlock=True)
    assert not r.ok and r.kind == "deadlock" and r.counterexample is not None
    assert len(r.counterexample) == 3
    assert "deadlock" in r.summary()
    r = check(m, deadlock=True, strategy="dfs")
    assert r.kind == "deadlock"


def test_time_limit() -> None:
    m = Model(init=[0], actions=lambda n: [("inc", n + 1), ("dec", n - 1)])
    r = check(m, time_limit=0.2)
    assert r.ok and r.stop_reason == "time limit" and r.distinct_states > 100


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    r = check(counter(3000), progress=True, max_states=2500)
    assert r.stop_reason == "bound"


# -- the result ---------------------------------------------------------------------------


def test_result_text_is_deterministic_and_has_no_timing() -> None:
    r = check(WaterJugs(), invariants={"big jug never holds 4": lambda s: s.big != 4})
    text = str(r)
    assert "states/s" not in text and " s," not in text
    assert text.splitlines()[0] == r.summary()
    assert "last state: Jugs(small=3, big=4)" in text
    assert "states/s" in r.stats()
    assert r.states_per_second > 0
    assert repr(r).startswith("CheckResult(ok=False, invariant='big jug never holds 4'")
    frame = r.counterexample.to_frame()
    assert list(frame.columns) == ["action", "changed"]
    assert frame.loc[6, "changed"] == "small: 2 → 3; big: 5 → 4"


def test_ok_summary_mentions_bound() -> None:
    r = check(counter(100), max_states=10)
    assert r.ok and not r.complete
    assert "stopped at the state bound (max_states=10)" in r.summary()
    assert check(counter()).complete


def test_output_is_the_same_under_any_hash_seed() -> None:
    code = textwrap.dedent(
        """
        from dslib.check import ActorModel, check
        from dslib.small_systems.twophase import two_phase_system, system_consistent
        from dslib.small_systems.mutex import ricart_agrawala, at_most_one_critical
        m = ActorModel(two_phase_system(3, mutant="rm_gives_up"), symmetric=["rm1", "rm2", "rm3"])
        print(check(m, invariants=[system_consistent]))
        ra = ActorModel(ricart_agrawala(3, mutant="tie_by_timestamp"))
        print(check(ra, invariants=[at_most_one_critical]))
        """
    )
    outs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.append(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert outs[0] == outs[1]
    assert "violated" in outs[0]


# -- bad input -----------------------------------------------------------------------------


def test_unhashable_state_names_state_and_action() -> None:
    m = Model(init=[(0,)], actions=lambda s: [("grow", (s[0] + 1, [1]))] if s[0] < 2 else [])
    with pytest.raises(ModelError, match=r"action grow from the initial state .*not hashable"):
        check(m)
    m = Model(init=[[0]], actions=lambda s: [])
    with pytest.raises(ModelError, match=r"initial state \[0\] is not hashable"):
        check(m)


def test_action_producing_none_names_state_and_action() -> None:
    def actions(n: int) -> list[tuple[str, Any]]:
        return [("inc", n + 1), ("oops", None if n == 1 else n)]

    with pytest.raises(
        ModelError,
        match=r"action oops produced None from the state reached "
        r"after 1 steps \(last action: inc\): 1",
    ):
        check(Model(init=[0], actions=actions))


def test_actions_returning_none_or_bad_items() -> None:
    with pytest.raises(ModelError, match=r"actions\(\) returned None for the initial state: 0"):
        check(Model(init=[0], actions=lambda n: None))
    with pytest.raises(ModelError, match=r"produced 1; each item must be a pair"):
        check(Model(init=[0], actions=lambda n: [1]))
    with pytest.raises(ModelError, match=r"actions\(\) raised KeyError"):
        check(Model(init=[0], actions=lambda n: {}[n]))


def test_invariant_that_raises_names_state_and_action() -> None:
    def fragile(n: int) -> bool:
        return 10 // (n - 4) != 99

    with pytest.raises(ModelError) as info:
        check(counter(), invariants=[fragile])
    text = str(info.value)
    assert "invariant 'fragile' raised ZeroDivisionError" in text
    assert "reached by action +2 from the state reached after 1 steps (last action: +2)" in text
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    with pytest.raises(ModelError, match="invariant 'invariant 1' raised .* initial state"):
        check(counter(), invariants=lambda n: 1 // n)


def test_argument_validation() -> None:
    m = counter()
    with pytest.raises(TypeError, match="check takes a dslib.check.Model"):
        check("model")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="strategy='astar'; allowed: bfs, dfs, random"):
        check(m, strategy="astar")
    with pytest.raises(ValueError, match="max_states=0 must be an int >= 1"):
        check(m, max_states=0)
    with pytest.raises(ValueError, match="time_limit=-1 must be a number of seconds > 0"):
        check(m, time_limit=-1)
    with pytest.raises(TypeError, match="invariant 3 is not callable"):
        check(m, invariants=[3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="two invariants share a name"):
        check(m, invariants=[("a", bool), ("a", bool)])
    with pytest.raises(ValueError, match="init is empty"):
        Model(init=[], actions=lambda s: [])
    with pytest.raises(TypeError, match="must be an iterable of initial states"):
        Model(init=3, actions=lambda s: [])  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="override actions"):
        check(Model(init=[0]))


def test_properties_names() -> None:
    def small(n: int) -> bool:
        return n < 5

    names = [n for n, _ in properties([small, ("big", lambda n: n > 1), lambda n: True])]
    assert names == ["small", "big", "property 3"]
    assert properties(None) == []


def test_check_result_is_a_dataclass_with_fields() -> None:
    r = check(counter())
    assert isinstance(r, CheckResult)
    assert r.model.name == "counter"
    assert r.counterexample is None and r.lasso is None and r.witnesses == {}


# -- the puzzle of the chapter --------------------------------------------------------------


def test_water_jugs_solution_and_state_count() -> None:
    r = check(WaterJugs(), invariants={"big jug never holds 4": lambda s: s.big != 4})
    assert r.counterexample is not None and len(r.counterexample) == 6
    assert r.counterexample.final == Jugs(3, 4)
    assert_valid_execution(WaterJugs(), r.counterexample)
    # Reachable: every pair where one jug is empty or full (3 and 5 are coprime):
    # small in {0, 3} with big in 0..5 (12), plus big in {0, 5} with small in {1, 2} (4).
    full = check(WaterJugs())
    assert full.distinct_states == 16
    assert len(state_graph(WaterJugs())) == 16
    # With jugs of 2 and 4 gallons only even amounts exist: 4 is reached, 3 never.
    assert check(WaterJugs(2, 4), invariants=lambda s: s.big != 3).ok
    with pytest.raises(ValueError, match="small=6 is larger than big=5"):
        WaterJugs(6, 5)
