"""Tests of dslib.orchestration.scheduling: filter and score, packing heuristics against the
optimum (exhaustive search and z3, cross-checked), FFD's and first fit's bounds, preemption
against a brute-force oracle, the capacity invariant, bad input, and the mutant table."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from dslib.orchestration.scheduling import (
    CAUGHT_BY,
    CHECKS,
    FFD_WORST,
    HEURISTICS,
    MUTANTS,
    Cluster,
    NodeSpec,
    TaskSpec,
    capacity_violations,
    check_capacity_every_placement,
    filter_nodes,
    fragmentation,
    mutant_report,
    optimal_node_count,
    optimal_node_count_z3,
    pack,
    schedule,
    utilisation,
)

SIZES = st.tuples(st.integers(0, 10), st.integers(0, 10))


def tasks_of(sizes: list[tuple[int, int]]) -> list[TaskSpec]:
    return [TaskSpec(f"t{i}", c, m) for i, (c, m) in enumerate(sizes)]


def nodes_like(node: NodeSpec, n: int) -> list[NodeSpec]:
    return [NodeSpec(f"n{i}", node.cpu, node.memory) for i in range(n)]


def brute_optimum(sizes: list[tuple[int, int]], cap: tuple[int, int]) -> int:
    """Every assignment of tasks to len(sizes) nodes: the fewest nodes used."""
    n = len(sizes)
    best = n
    for where in itertools.product(range(n), repeat=n):
        loads: dict[int, list[int]] = {}
        for (c, m), j in zip(sizes, where, strict=True):
            load = loads.setdefault(j, [0, 0])
            load[0] += c
            load[1] += m
        if all(load[0] <= cap[0] and load[1] <= cap[1] for load in loads.values()):
            best = min(best, len(loads))
    return best if sizes else 0


# -- filter and score ------------------------------------------------------------------------------
def test_a_task_that_fits_nowhere_gives_kubernetes_event_not_an_exception() -> None:
    cluster = Cluster(tuple(NodeSpec(f"n{i}", 1000, 1000) for i in range(3)))
    r = schedule(TaskSpec("big", 4000, 100), cluster)
    assert not r.scheduled and r.cluster == cluster
    assert r.event == "0/3 nodes are available: 3 Insufficient cpu."
    mixed = Cluster((NodeSpec("a", 100, 5000), NodeSpec("b", 5000, 100), NodeSpec("c", 50, 50)))
    r = schedule(TaskSpec("t", 1000, 1000), mixed)
    assert r.event == "0/3 nodes are available: 2 Insufficient cpu, 2 Insufficient memory."
    r = pack([TaskSpec("x", 2000, 0)], [NodeSpec("n", 1000, 0)])
    assert r.pending == ("x",) and "Insufficient cpu" in r.events[0]


@given(st.lists(SIZES, min_size=1, max_size=4), SIZES, st.lists(SIZES, max_size=6))
def test_the_filter_is_the_brute_force_definition(
    caps: list[tuple[int, int]], task: tuple[int, int], placed: list[tuple[int, int]]
) -> None:
    nodes = tuple(NodeSpec(f"n{i}", c, m) for i, (c, m) in enumerate(caps))
    cluster = Cluster(nodes)
    for i, (c, m) in enumerate(placed):
        cluster = cluster.place(TaskSpec(f"p{i}", c, m), nodes[i % len(nodes)].name)
    feasible, reasons = filter_nodes(TaskSpec("t", *task), cluster)
    for k, node in enumerate(nodes):
        mine = [p for j, p in enumerate(placed) if j % len(nodes) == k]
        fits = all(task[r] + sum(p[r] for p in mine) <= caps[k][r] for r in (0, 1))
        assert (node.name in feasible) == fits
        assert (node.name in reasons) == (not fits)


def test_the_policies_score_as_documented() -> None:
    cluster = Cluster((NodeSpec("a", 1000, 1000), NodeSpec("b", 1000, 1000)))
    cluster = cluster.place(TaskSpec("x", 500, 500), "b")
    t = TaskSpec("t", 200, 200)
    assert schedule(t, cluster, "first_fit").node == "a"
    assert schedule(t, cluster, "best_fit").node == "b"
    assert schedule(t, cluster, "spread").node == "a"


def test_affinity_and_anti_affinity_filter_nodes() -> None:
    nodes = (
        NodeSpec("a", 1000, 1000, labels={"zone": "x"}),
        NodeSpec("b", 1000, 1000, labels={"zone": "y"}),
    )
    cluster = Cluster(nodes)
    r = schedule(TaskSpec("t", 10, 10, affinity={"zone": "y"}), cluster)
    assert r.node == "b"
    web = [TaskSpec(f"w{i}", 10, 10, app="web", anti_affinity=("web",)) for i in range(3)]
    result = pack(web, nodes, "best_fit")
    assert result.pending == ("w2",)
    assert "2 node(s) didn't match pod anti-affinity rules" in result.events[2]


# -- packing against the optimum ------------------------------------------------------------------
@settings(max_examples=25)
@given(st.lists(SIZES, max_size=5))
def test_the_exhaustive_optimum_is_the_brute_force_one(sizes: list[tuple[int, int]]) -> None:
    assert optimal_node_count(tasks_of(sizes), NodeSpec("n", 10, 10)) == brute_optimum(
        sizes, (10, 10)
    )


@settings(max_examples=8)
@given(st.lists(SIZES, max_size=6))
def test_z3_and_the_exhaustive_search_agree(sizes: list[tuple[int, int]]) -> None:
    node = NodeSpec("n", 10, 10)
    assert optimal_node_count_z3(tasks_of(sizes), node) == optimal_node_count(tasks_of(sizes), node)


@settings(max_examples=40)
@given(st.lists(st.integers(1, 10), max_size=9))
def test_ffd_and_first_fit_stay_within_their_bounds_and_never_beat_the_optimum(
    sizes: list[int],
) -> None:
    tasks = tasks_of([(s, 0) for s in sizes])
    node = NodeSpec("n", 10, 0)
    opt = optimal_node_count(tasks, node)
    nodes = nodes_like(node, max(1, len(sizes)))
    ffd = pack(tasks, nodes, "first_fit_decreasing").nodes_used
    ff = pack(tasks, nodes, "first_fit").nodes_used
    assert opt <= ffd and 9 * ffd <= 11 * opt + 6
    assert opt <= ff <= math.floor(1.7 * opt)


def test_ffd_packs_the_worst_case_for_ascending_order_optimally() -> None:
    tasks = tasks_of([(s, 0) for s in FFD_WORST])
    nodes = nodes_like(NodeSpec("n", 10, 0), len(FFD_WORST))
    assert pack(tasks, nodes).nodes_used == optimal_node_count(tasks, nodes[0]) == 6
    assert pack(tasks, nodes, mutant="ffd_ascending").nodes_used == 9


@settings(max_examples=30)
@given(st.lists(SIZES, max_size=8), st.sampled_from(HEURISTICS))
def test_every_placement_keeps_every_node_within_capacity(
    sizes: list[tuple[int, int]], heuristic: str
) -> None:
    clusters: list[Cluster] = []
    result = pack(tasks_of(sizes), nodes_like(NodeSpec("n", 10, 10), 3), heuristic,
                  on_place=clusters.append)  # fmt: skip
    assert all(capacity_violations(c) == [] for c in clusters)
    assert len(clusters) + len(result.pending) == len(sizes)


def overcommits(sizes: list[tuple[int, int]], mutant: str | None) -> bool:
    clusters: list[Cluster] = []
    nodes = nodes_like(NodeSpec("n", 10, 10), 2)
    pack(tasks_of(sizes), nodes, "first_fit", mutant=mutant, on_place=clusters.append)
    return any(capacity_violations(c) for c in clusters)


def test_hypothesis_finds_the_overcommitting_scheduler_and_shrinks_it() -> None:
    """The same invariant as a property: hypothesis finds a failing workload for the
    mutant (none exists for the correct scheduler, see the test above) and shrinks it to
    two tasks that together exceed a node."""
    found = find(
        st.lists(SIZES, max_size=8),
        lambda sizes: overcommits(sizes, "overcommit"),
        settings=settings(derandomize=True, database=None, max_examples=200),
    )
    assert len(found) == 2 and overcommits(found, "overcommit")
    assert not overcommits(found, None)


def test_utilisation_and_fragmentation() -> None:
    nodes = nodes_like(NodeSpec("n", 1000, 1000), 2)
    cluster = Cluster(tuple(nodes)).place(TaskSpec("a", 600, 300), "n0")
    assert utilisation(cluster) == (0.6, 0.3)
    assert fragmentation(cluster, TaskSpec("p", 500, 100)) == 1.0  # n1 is empty: not counted
    assert fragmentation(cluster, TaskSpec("p", 400, 100)) == 0.0
    two = cluster.place(TaskSpec("b", 200, 0), "n1")
    assert fragmentation(two, TaskSpec("p", 500, 100)) == pytest.approx(400 / 1200)
    assert fragmentation(Cluster(tuple(nodes)), TaskSpec("p", 500, 100)) == 0.0


# -- preemption ---------------------------------------------------------------------------------
CLUSTERS = st.lists(st.tuples(st.integers(0, 1), st.integers(1, 6), st.integers(0, 3)), max_size=5)


@settings(max_examples=40)
@given(CLUSTERS, st.integers(1, 10), st.integers(0, 4))
def test_preemption_evicts_the_lowest_priorities_a_brute_force_search_finds(
    placed: list[tuple[int, int, int]], size: int, priority: int
) -> None:
    nodes = nodes_like(NodeSpec("n", 10, 10), 2)
    cluster = Cluster(tuple(nodes))
    for i, (node, cpu, prio) in enumerate(placed):
        if cluster.free(f"n{node}")[0] >= cpu:
            cluster = cluster.place(TaskSpec(f"p{i}", cpu, 0, priority=prio), f"n{node}")
    incoming = TaskSpec("in", size, 0, priority=priority)
    r = schedule(incoming, cluster, preemption=True)
    # the oracle: every node, every subset of strictly lower-priority tasks
    best = None
    for node in nodes:
        on = [t for t in cluster.tasks_on(node.name) if t.priority < priority]
        for k in range(len(on) + 1):
            for victims in itertools.combinations(on, k):
                left = cluster.free(node.name)[0] + sum(v.cpu for v in victims)
                if left >= size:
                    worst = max((v.priority for v in victims), default=-1)
                    best = worst if best is None else min(best, worst)
    if best is None:
        assert not r.scheduled and "No preemption victims" in r.event
        return
    assert r.scheduled
    assert capacity_violations(r.cluster) == []
    priorities = {t.name: t.priority for t, _n in cluster.placed}
    assert all(priorities[v] < priority for v in r.victims)
    assert max((priorities[v] for v in r.victims), default=-1) == best


# -- bad input ----------------------------------------------------------------------------------
def test_bad_input_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="cpu=-1 is negative; allowed: an int >= 0"):
        TaskSpec("t", -1, 0)
    with pytest.raises(ValueError, match="memory=-2 is negative"):
        NodeSpec("n", 1, -2)
    with pytest.raises(TypeError, match="must be an int"):
        TaskSpec("t", 0.5, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="allowed: first_fit, best_fit, spread"):
        schedule(TaskSpec("t", 1, 1), Cluster((NodeSpec("n", 1, 1),)), policy="worst")
    with pytest.raises(ValueError, match="does not fit an empty node"):
        optimal_node_count([TaskSpec("t", 20, 0)], NodeSpec("n", 10, 0))
    with pytest.raises(ValueError, match="node names repeat"):
        Cluster((NodeSpec("n", 1, 1), NodeSpec("n", 1, 1)))
    with pytest.raises(ValueError, match="unknown mutant"):
        pack([], [NodeSpec("n", 1, 1)], mutant="nope")


# -- mutants ------------------------------------------------------------------------------------
def test_every_mutant_is_caught_by_its_named_check_and_the_scheduler_passes_all() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert set(CAUGHT_BY) == set(MUTANTS)
    for m in report.mutants:
        assert set(CAUGHT_BY[m.name]) <= set(m.caught_by)
    assert all(CHECKS[name](None).ok for name in CHECKS)


def test_the_capacity_check_names_the_first_overcommitted_placement() -> None:
    out = check_capacity_every_placement("overcommit")
    assert not out.ok and out.counterexample_length == 2
    assert out.detail == "after 2 placements (first_fit): n1: cpu 1200/1000"


@given(st.lists(SIZES, min_size=1, max_size=3), st.lists(st.tuples(SIZES, st.integers(0, 2))))
def test_capacity_violations_is_the_brute_force_sum(
    caps: list[tuple[int, int]], placed: list[tuple[tuple[int, int], int]]
) -> None:
    """The invariant's checker against sums written out: a node is over if what its tasks
    request exceeds its capacity in either resource."""
    nodes = tuple(NodeSpec(f"n{i}", c, m) for i, (c, m) in enumerate(caps))
    cluster = Cluster(nodes)
    for i, ((c, m), k) in enumerate(placed):
        cluster = cluster.place(TaskSpec(f"p{i}", c, m), nodes[k % len(nodes)].name)
    over = set()
    for k, (c, m) in enumerate(caps):
        mine = [s for s, j in placed if j % len(nodes) == k]
        if sum(s[0] for s in mine) > c or sum(s[1] for s in mine) > m:
            over.add(f"n{k}")
    assert {v.split(":")[0] for v in capacity_violations(cluster)} == over
