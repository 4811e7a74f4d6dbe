"""Fairness as in TLA+ (stuttering, weak and strong), leads-to, and CONSTRAINT counting.

The checker is compared with an independent brute force: on random small models,
``oracle`` enumerates every set of states, keeps the strongly connected ones, and
decides fairness literally from the definitions (Lamport, Specifying Systems, 8.4
and 8.9), with no component decomposition.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.check import Lasso, Model, check, check_eventually, check_leads_to, state_graph
from dslib.check.specs import (
    EWD840,
    LamportMutex,
    all_inactive,
    clock_constraint,
    mutex,
    termination_detected,
    termination_detection,
)

Edges = list[list[tuple[str, int]]]


def table_model(edges: Edges) -> Model[int]:
    return Model(init=[0], actions=lambda s: edges[s], name="table")


def enabled(edges: Edges, s: int, cls: Any) -> set[Any]:
    """ENABLED <<A>>_v: a step of the class that changes the state."""
    return {cls(a) for a, t in edges[s] if t != s} - {None}


def oracle(edges: Edges, wf: Any, sf: Any, p: set[int] | None, q: set[int]) -> bool:
    """Is there a fair execution violating <>q (p is None) or p ~> q? Brute force."""
    n = len(edges)
    reach = {0}
    todo = [0]
    while todo:
        v = todo.pop()
        for _, w in edges[v]:
            if w not in reach:
                reach.add(w)
                todo.append(w)
    starts = [0] if p is None else [s for s in reach if s in p]
    starts = [s for s in starts if s not in q]
    pending = set(starts)
    todo = list(starts)
    while todo:
        v = todo.pop()
        for _, w in edges[v]:
            if w not in q and w not in pending:
                pending.add(w)
                todo.append(w)
    for size in range(1, n + 1):
        for subset in itertools.combinations(sorted(pending), size):
            members = set(subset)
            g = nx.DiGraph()
            g.add_nodes_from(members)
            g.add_edges_from((v, w) for v in members for _, w in edges[v] if w in members)
            if size > 1 and not nx.is_strongly_connected(g):
                continue
            # Going round S forever, taking every step inside S, is the fairest way to stay.
            inside = [(a, v, w) for v in members for a, w in edges[v] if w in members and w != v]
            wf_always = set.intersection(*(enabled(edges, v, wf) for v in members))
            wf_taken = {wf(a) for a, _, _ in inside}
            sf_sometimes = set.union(*(enabled(edges, v, sf) for v in members))
            sf_taken = {sf(a) for a, _, _ in inside}
            if wf_always <= wf_taken and sf_sometimes <= sf_taken:
                return True
    return False


def assert_fair_lasso(
    edges: Edges, lasso: Lasso, wf: Any, sf: Any, p: set[int] | None, q: set[int]
) -> None:
    """The lasso is an execution of the model, violates the property, and is fair."""
    prefix = lasso.prefix.states
    assert prefix[0] == 0
    prev = 0
    for step in list(lasso.prefix.steps[1:]) + list(lasso.cycle):
        assert (step.action, step.state) in edges[prev]
        prev = step.state
    assert prev == lasso.prefix.final
    start = 0 if p is None else lasso.trigger
    assert start is not None
    assert p is None or prefix[start] in p
    after = prefix[start:] + [s.state for s in lasso.cycle]
    assert not any(s in q for s in after)
    loop = [s.state for s in lasso.cycle] or [lasso.prefix.final]
    befores = [lasso.prefix.final] + [s.state for s in lasso.cycle]
    real = [s.action for s, b in zip(lasso.cycle, befores, strict=False) if s.state != b]
    wf_always = set.intersection(*(enabled(edges, v, wf) for v in loop))
    sf_sometimes = set.union(*(enabled(edges, v, sf) for v in loop))
    assert wf_always <= {wf(a) for a in real}
    assert sf_sometimes <= {sf(a) for a in real}


@st.composite
def fair_models(draw: Any) -> tuple[Edges, dict[str, str], set[int] | None, set[int]]:
    n = draw(st.integers(1, 5))
    edges = [
        draw(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(0, n - 1)), max_size=3))
        for _ in range(n)
    ]
    kinds = {a: draw(st.sampled_from(["wf", "sf", "none"])) for a in "abcd"}
    leads = draw(st.booleans())
    p = set(draw(st.lists(st.integers(0, n - 1), max_size=3))) if leads else None
    q = set(draw(st.lists(st.integers(0, n - 1), max_size=2)))
    return edges, kinds, p, q


@settings(max_examples=400, deadline=None)
@given(fair_models())
def test_liveness_agrees_with_brute_force(case: Any) -> None:
    edges, kinds, p, q = case
    wf = lambda a: a if kinds[a] == "wf" else None  # noqa: E731
    sf = lambda a: a if kinds[a] == "sf" else None  # noqa: E731
    m = table_model(edges)
    if p is None:
        lasso = check_eventually(m, lambda s: s in q, fairness=wf, strong_fairness=sf)
    else:
        lasso = check_leads_to(
            m, lambda s: s in p, lambda s: s in q, fairness=wf, strong_fairness=sf
        )
    assert (lasso is not None) == oracle(edges, wf, sf, p, q)
    if lasso is not None:
        assert_fair_lasso(edges, lasso, wf, sf, p, q)
    # check() says the same, and is never ok where the oracle finds a violation.
    if p is None:
        r = check(m, eventually={"e": lambda s: s in q}, fairness=wf, strong_fairness=sf)
    else:
        r = check(
            m, leads_to={"l": (lambda s: s in p, lambda s: s in q)}, fairness=wf, strong_fairness=sf
        )
    assert r.ok == (lasso is None)


# -- the examples ---------------------------------------------------------------------


def test_a_stuttering_step_does_not_satisfy_weak_fairness() -> None:
    # The example: at 0, A may leave the state unchanged or go to 1. With WF_x(A),
    # TLC says <>(x = 1) holds: A is ENABLED <<A>>_x at 0 (the step to 1 changes x), and a
    # step 0 -> 0 is not an <<A>>_x step, so A must eventually go to 1.
    m = Model(init=[0], actions=lambda n: [("A", 0), ("A", 1)] if n == 0 else [])
    assert check_eventually(m, lambda n: n == 1) is None
    assert check(m, eventually={"x = 1": lambda n: n == 1}).ok
    # Only stuttering steps enabled: A is not ENABLED <<A>>_x, the execution may stop.
    m = Model(init=[0], actions=lambda n: [("A", 0)])
    lasso = check_eventually(m, lambda n: n == 1)
    assert lasso is not None and lasso.stutters


def test_strong_fairness_gets_a_retry_through() -> None:
    # 0 = sent, 1 = lost (retry enabled), 2 = delivered. Delivery is enabled at 0 only,
    # and a loss disables it until the retry: weak fairness allows losing every copy.
    edges: Edges = [[("deliver", 2), ("lose", 1)], [("retry", 0)], []]
    m = table_model(edges)
    wf = lambda a: a if a != "lose" else None  # noqa: E731
    lasso = check_eventually(m, lambda s: s == 2, fairness=wf)
    assert lasso is not None and [str(s.action) for s in lasso.cycle] == ["lose", "retry"]
    sf = lambda a: a if a == "deliver" else None  # noqa: E731
    assert check_eventually(m, lambda s: s == 2, fairness=wf, strong_fairness=sf) is None
    assert oracle(edges, wf, lambda a: None, None, {2})
    assert not oracle(edges, wf, sf, None, {2})


def test_leads_to_checks_every_trigger_not_only_the_first() -> None:
    # 0 -> 1 (p) -> 2 (q) -> 3 (p) -> stuck: the first p is answered, the second is not.
    m = table_model([[("a", 1)], [("b", 2)], [("c", 3)], []])
    assert check_eventually(m, lambda s: s == 2) is None
    lasso = check_leads_to(m, lambda s: s in (1, 3), lambda s: s == 2)
    assert lasso is not None and lasso.trigger == 3 and lasso.stutters
    assert "the trigger holds at step 3" in str(lasso)
    r = check(m, leads_to=[("p ~> q", lambda s: s in (1, 3), lambda s: s == 2)])
    assert not r.ok and r.kind == "leads-to" and r.property == "p ~> q"
    assert "its trigger holds after 3 steps" in r.summary()


def test_bad_leads_to_arguments() -> None:
    m = table_model([[]])
    with pytest.raises(TypeError, match="pair"):
        check(m, leads_to={"x": lambda s: True})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="q="):
        check_leads_to(m, lambda s: True, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="strong_fairness"):
        check(m, eventually=lambda s: True, strong_fairness=3)  # type: ignore[arg-type]


# -- EWD 840: a specification whose liveness TLC checks -------------------------------------------


def test_ewd840_liveness_needs_fairness_of_the_token() -> None:
    # The TLA+ module states Liveness == (\A i : ~active[i]) ~> terminationDetected under
    # Spec == Init /\ [][Next]_vars /\ WF_vars(System), and TLC checks it there; without
    # fairness the token may simply stop.
    m = EWD840(3)
    r = check(
        m,
        invariants=[termination_detection],
        leads_to={"Liveness": (all_inactive, termination_detected)},
    )
    assert r.ok and r.complete
    r = check(
        m, leads_to={"Liveness": (all_inactive, termination_detected)}, fairness=lambda a: None
    )
    assert not r.ok and r.lasso is not None and r.lasso.stutters
    trigger = r.lasso.prefix.states[r.lasso.trigger]
    assert all_inactive(trigger) and not termination_detected(r.lasso.prefix.final)


# -- CONSTRAINT counting ------------------------------------------------------------------------


@pytest.mark.parametrize("max_clock", [2, 3])
def test_constraint_drops_states_like_tlc(max_clock: int) -> None:
    # TLC drops a state that violates the CONSTRAINT: not counted, not checked, not
    # expanded. A boundary keeps the states past it, so it counts exactly those more.
    # (On the instance, 3 processes and clocks up to 6, constraint= counts TLC's
    # 724,274 states: too slow for a test; `benchmarks/bench_check.py --only constraint`.)
    m = LamportMutex(2)
    within = clock_constraint(max_clock)
    dropped = check(m, invariants=[mutex], constraint=within)
    kept = check(m, invariants=[mutex], boundary=lambda s: not within(s))
    assert dropped.ok and kept.ok and dropped.complete
    g = state_graph(m, boundary=lambda s: not within(s))
    past = sum(not within(s) for s in g.states)
    assert past > 0
    assert kept.distinct_states == len(g) and dropped.distinct_states == len(g) - past
    # An invariant that fails only past the limit is not checked there, as in TLC.
    beyond = {"clock <= limit": within}
    assert check(m, invariants=beyond, constraint=within).ok
    assert not check(m, invariants=beyond, boundary=lambda s: not within(s)).ok
    # The graph agrees with the search.
    cg = state_graph(m, constraint=within)
    assert len(cg) == dropped.distinct_states and len(cg.outside) == past


# -- a retrying client over a lossy link, as nodes ------------------------------------------------


def test_retry_over_a_lossy_link_needs_strong_fairness() -> None:
    from dslib.check import ActorModel
    from dslib.core import Context, Node, System

    class Asker(Node[str]):
        def init(self, ctx: Context) -> str:
            ctx.send("server", "request")
            ctx.set_timer("retry", 1)
            return "waiting"

        def on_message(self, ctx: Context, state: str, src: str, msg: Any) -> str:
            return "answered"

        def on_timer(self, ctx: Context, state: str, timer: Any) -> str:
            if state == "waiting":
                ctx.send("server", "request")
                ctx.set_timer("retry", 1)
            return state

    class Answerer(Node[str]):
        def init(self, ctx: Context) -> str:
            return "up"

        def on_message(self, ctx: Context, state: str, src: str, msg: Any) -> str:
            ctx.send(src, "reply")
            return state

    system = System({"client": Asker(), "server": Answerer()})
    model = ActorModel(system, lossy=True)
    prop = {
        "answered": (
            lambda s: s.node("client") == "waiting",
            lambda s: s.node("client") == "answered",
        )
    }
    one = lambda s: len(s.messages()) <= 1  # noqa: E731
    weak = check(model, leads_to=prop, constraint=one)
    assert not weak.ok and weak.lasso is not None and not weak.lasso.stutters
    kinds = [step.action.kind for step in weak.lasso.cycle]
    assert "drop" in kinds and "deliver" in kinds
    # A lost message is the network's doing: the node column says so, the action keeps
    # who sent it and to whom.
    rows = weak.lasso.rows()
    lost = [r for r in rows if r[1].startswith("lose")]
    assert lost and all(r[2] == "network" for r in lost)
    assert check(model, leads_to=prop, constraint=one, strong_fairness=model.fairness).ok
    # Without the loss (a reliable link) weak fairness is enough.
    assert check(ActorModel(system), leads_to=prop, constraint=one).ok


def test_state_graph_initial_states_and_constraint() -> None:
    # Repeated initial states count once (a set, not a list scan: linear time).
    g = state_graph(Model(init=[0, 1, 0, 2, 1], actions=lambda n: []))
    assert g.initial == [0, 1, 2] and len(g) == 3
    # An initial state outside the constraint is dropped, as TLC drops it.
    m = Model(init=[0, 5], actions=lambda n: [("inc", n + 1)])
    g = state_graph(m, constraint=lambda n: n < 3)
    assert [g.states[i] for i in g.initial] == [0] and len(g) == 3
    r = check(m, constraint=lambda n: n < 3)
    assert r.ok and r.complete and r.distinct_states == 3
    with pytest.raises(TypeError, match="constraint"):
        check(m, constraint=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="constraint"):
        state_graph(m, constraint=3)  # type: ignore[arg-type]
