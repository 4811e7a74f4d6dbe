"""Tests of chapter 10's control plane: the store, the controllers, the kubelet, the cluster.

The store's compare-and-set and watches are compared with a dict oracle; the replica-set
reconcile and first-fit placement with brute force; ``converged`` and ``backoff_respected``
with independent rewrites; the cluster is run under hypothesis fault schedules; every
mutant is caught by the check named for it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from itertools import pairwise, permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation, System
from dslib.core import Context, Node
from dslib.orchestration import (
    ApiServer,
    ClusterSpec,
    ControllerConfig,
    Deployment,
    KubeletConfig,
    KubeletState,
    NodeInfo,
    Pod,
    ReplicaSet,
    Store,
    TooOld,
    Watch,
    WatchEvent,
    backoff_delay,
    backoff_respected,
    build_cluster,
    converged,
    first_fit,
    lost_event_run,
    reconcile_replica_set,
    run_cluster,
)
from dslib.orchestration.checks import (
    CHECKS,
    MUTANT_CHECKS,
    MUTANTS,
    Variant,
    catch_rate,
    mutant_report,
)
from dslib.orchestration.kubelet import Container
from dslib.orchestration.store import Put
from dslib.sim import Crash, Heal, Partition, Restart

# -- the store ------------------------------------------------------------------------

KEYS = ("a", "b", "c")


@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(("put", "delete")),
            st.sampled_from(KEYS),
            st.sampled_from(("any", "create", "current", "stale")),
            st.integers(0, 5),
        ),
        max_size=25,
    )
)
def test_compare_and_set_agrees_with_a_dict_oracle(ops: list[tuple[str, str, str, int]]) -> None:
    store = Store(history=4)
    oracle: dict[str, tuple[int, int]] = {}  # key -> (replicas, version)
    revision = 0
    for op, key, how, size in ops:
        current = oracle.get(key, (0, 0))[1]
        expected = {"any": None, "create": 0, "current": current, "stale": current + 7}[how]
        if op == "put":
            store, reply = store.put(ReplicaSet(key, size, "v1"), expected)
            allowed = expected is None or expected == current
        else:
            store, reply = store.delete(f"rs/{key}", expected)
            allowed = key in oracle and (expected is None or expected == current)
        assert reply.ok == allowed, (op, key, how, reply)
        if allowed:
            revision += 1
            if op == "put":
                oracle[key] = (size, revision)
            else:
                del oracle[key]
        assert store.revision == revision
    got = {obj.name: (obj.replicas, store.get(f"rs/{obj.name}")[1]) for obj in store.list("rs")}
    assert got == oracle
    # the change log keeps the last 4 writes; older watches are too old
    assert len(store.changes) == min(4, revision)
    assert store.changes_since(revision) == ()
    if revision > 4:
        assert store.changes_since(revision - 5) is None
        assert [c.revision for c in store.changes_since(revision - 4)] == list(
            range(revision - 3, revision + 1)
        )


class Watcher(Node[tuple]):
    def __init__(self, since: int) -> None:
        self.since = since

    def init(self, ctx: Context) -> tuple:
        ctx.set_timer("watch", 10.0)
        for i in range(5):
            ctx.send("api", Put(NodeInfo(f"n{i}", 1)))
        return ()

    def on_timer(self, ctx: Context, state: tuple, timer: object) -> tuple:
        ctx.send("api", Watch(self.since))
        return state

    def on_message(self, ctx: Context, state: tuple, src: str, msg: object) -> tuple:
        return (*state, msg)


def test_a_watch_from_a_compacted_revision_is_told_it_is_too_old() -> None:
    def received(since: int) -> tuple:
        system = System({"api": ApiServer(history=2), "w": Watcher(since)})
        return Simulation(system, seed=1).run().states["w"]

    old = [m for m in received(1) if not hasattr(m, "ok")]
    assert old == [TooOld(since=1, compacted=3)]
    recent = [m.change.revision for m in received(3) if isinstance(m, WatchEvent)]
    assert recent == [4, 5]


def test_bad_objects_and_settings_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"replicas=-1 must be an int >= 0"):
        Deployment("web", -1, "v1")
    with pytest.raises(ValueError, match=r"ReplicaSet web: replicas=-2 must be an int >= 0"):
        ReplicaSet("web", -2, "v1")
    with pytest.raises(ValueError, match=r"max_unavailable=0 and max_surge=0 allow no progress"):
        Deployment("web", 3, "v1", max_unavailable=0, max_surge=0)
    with pytest.raises(ValueError, match="period=0 must be a number > 0"):
        ControllerConfig(period=0)
    with pytest.raises(ValueError, match="unknown mutant"):
        KubeletConfig(mutant="fast")
    with pytest.raises(ValueError, match="nodes=0 must be an int >= 1"):
        ClusterSpec(nodes=0)
    with pytest.raises(TypeError, match="not a store object"):
        Store().put({"name": "x"})


# -- the controllers' decisions against brute force -------------------------------------

pods_strategy = st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), max_size=6).map(
    lambda flags: [
        Pod(
            f"p{i}",
            "rs",
            "v1",
            node="n1" if bound else None,
            phase="Running" if running else "Pending",
            ready=ready and running and bound,
        )
        for i, (bound, running, ready) in enumerate(flags)
    ]
)


@settings(max_examples=60)
@given(pods_strategy, st.integers(0, 7))
def test_reconcile_replica_set_deletes_the_least_useful_pods(
    pods: list[Pod], replicas: int
) -> None:
    create, delete = reconcile_replica_set(replicas, pods)
    assert len(pods) + create - len(delete) == replicas
    assert create == 0 or not delete
    kept = [p for p in pods if p.name not in delete]

    def usefulness(p: Pod) -> int:
        return (p.node is not None) + (p.phase == "Running") + p.ready

    # brute force: no other choice of as many pods to delete keeps more useful pods
    best = max(
        (
            sorted(usefulness(p) for p in pods if p.name not in chosen)
            for chosen in {
                tuple(sorted(c)) for c in permutations([p.name for p in pods], len(delete))
            }
        ),
        default=[],
    )
    assert sorted(usefulness(p) for p in kept) == best


@settings(max_examples=60)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.lists(st.integers(0, 3), max_size=6),
    st.integers(1, 3),
)
def test_first_fit_takes_the_first_node_with_room(
    caps: list[int], placed: list[int], cpu: int
) -> None:
    nodes = [NodeInfo(f"n{i}", c) for i, c in enumerate(caps)]
    pods = [Pod(f"q{j}", "rs", "v1", cpu=1, node=f"n{k % len(caps)}") for j, k in enumerate(placed)]
    free = {n.name: n.cpu - sum(1 for p in pods if p.node == n.name) for n in nodes}
    fits = [n.name for n in nodes if free[n.name] >= cpu]
    assert first_fit(Pod("p", "rs", "v1", cpu=cpu), nodes, pods) == (fits[0] if fits else None)


def test_a_pod_that_fits_no_node_is_a_scheduling_event_not_an_exception() -> None:
    spec = ClusterSpec(deployments=(Deployment("big", 1, "v1", cpu=3),))
    run = run_cluster(spec, until=8.0)
    assert run.converged_at is None
    assert len(run.events) == 1
    assert re.fullmatch(
        r" +\d+\.0  FailedScheduling big-v1-\d+\.0: 0/3 nodes available: insufficient cpu",
        run.events[0],
    )


# -- the cluster ------------------------------------------------------------------------


def test_level_triggered_controllers_converge_after_a_lost_event_and_edge_triggered_never() -> None:
    level = lost_event_run()
    assert level.converged_at is not None and level.converged_at > 23.0
    assert level.snapshots[-1].desired == {"web": 6}
    edge = lost_event_run("edge_triggered")
    assert edge.snapshots[18].converged  # it did converge before the lost event
    assert edge.converged_at is None
    assert len(edge.snapshots[-1].running) == 4  # still the 4 pods of before the scale-up


def test_a_restarted_controller_manager_converges_from_a_fresh_list() -> None:
    spec = ClusterSpec(script=((21.0, Deployment("web", 2, "v1")),))
    run = run_cluster(spec, 0, 60.0, [(20.0, Crash("controllers")), (30.0, Restart("controllers"))])
    assert not run.snapshots[28].converged  # the scale-down waits for the controllers
    assert run.converged_at is not None and run.snapshots[-1].desired == {"web": 2}
    assert len(run.snapshots[-1].running) == 2


def test_a_lost_node_is_marked_not_ready_and_its_pods_run_elsewhere() -> None:
    run = run_cluster(ClusterSpec(), 0, 60.0, [(20.0, Crash("node1"))])
    assert run.converged_at is not None
    assert {p.node for p in run.snapshots[-1].running} == {"node2", "node3"}
    reasons = [e.split()[1] for e in run.events]
    assert reasons.count("NodeNotReady") == 1 and reasons.count("Evicted") == 2


def test_a_controller_cut_off_from_every_heartbeat_evicts_nothing() -> None:
    everyone = ("api", "node1", "node2", "node3", "operator")
    run = run_cluster(
        ClusterSpec(), 0, 60.0, [(20.0, Partition((("controllers",), everyone))), (40.0, Heal())]
    )
    assert not any("Evicted" in e for e in run.events)
    assert run.converged_at is not None


faults = st.lists(
    st.tuples(
        st.floats(10.0, 40.0).map(lambda t: round(t, 1)),
        st.sampled_from(("crash", "isolate", "split")),
        st.sampled_from(("node1", "node2", "node3")),
    ),
    max_size=3,
)


@settings(max_examples=6, deadline=None)
@given(faults, st.integers(0, 3))
def test_the_cluster_converges_once_any_fault_schedule_heals(
    schedule: list[tuple[float, str, str]], seed: int
) -> None:
    everyone = ("api", "controllers", "node1", "node2", "node3", "operator")
    plan: list[tuple[float, object]] = []
    crashed: list[str] = []
    for t, kind, node in schedule:
        if kind == "crash" and node not in crashed and len(crashed) < 2:
            crashed.append(node)
            plan.append((t, Crash(node)))
        elif kind == "isolate":
            plan.append((t, Partition(((node,), tuple(n for n in everyone if n != node)))))
        else:
            plan.append(
                (t, Partition((("controllers",), tuple(n for n in everyone if n != "controllers"))))
            )
    plan += [(45.0, Heal())] + [(45.0, Restart(n)) for n in crashed[:1]]
    run = run_cluster(ClusterSpec(), seed, 100.0, plan)
    assert run.converged_at is not None and run.converged_at <= 80.0, run.events


def oracle_converged(sim: Simulation) -> bool:
    """An independent statement of "observed equals desired", from the raw states."""
    store = sim.states["api"].store
    want: dict[str, tuple[str, int]] = {}
    for _, obj, _ in store.objects:
        if isinstance(obj, Deployment):
            want[obj.name] = (obj.version, obj.replicas)
    rs_owner = {obj.name: obj.owner for _, obj, _ in store.objects if isinstance(obj, ReplicaSet)}
    for _, obj, _ in store.objects:
        if isinstance(obj, ReplicaSet) and obj.owner in want:
            version, replicas = want[obj.owner]
            if obj.replicas != (replicas if obj.version == version else 0):
                return False
    running: dict[str, str] = {}
    for node, st_ in sim.states.items():
        if isinstance(st_, KubeletState) and node not in sim.crashed:
            for c in st_.containers:
                if not c.ready or c.phase != "Running":
                    return False
                running[c.name] = node
    count = dict.fromkeys(want, 0)
    node_ready = {obj.name: obj.ready for _, obj, _ in store.objects if isinstance(obj, NodeInfo)}
    stored = 0
    for _, obj, _ in store.objects:
        if not isinstance(obj, Pod):
            continue
        stored += 1
        dep = rs_owner.get(obj.owner)
        if dep not in want or obj.version != want[dep][0] or not obj.ready:
            return False
        if running.get(obj.name) != obj.node or not node_ready.get(obj.node or "", False):
            return False
        count[dep] += 1
    return stored == len(running) and all(count[d] == want[d][1] for d in want)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 50), faults)
def test_converged_agrees_with_an_independent_oracle(seed: int, schedule: list) -> None:
    plan = [(t, Crash(n)) for t, _, n in schedule[:1]] + [(30.0, Heal())]
    spec = ClusterSpec(script=((12.0, Deployment("web", 3, "v2")),))
    sim = build_cluster(spec, seed, plan)
    seen = set()
    for t in range(1, 50):
        sim.run(until=float(t) + (seed % 7) / 10)
        assert converged(sim) == oracle_converged(sim), t
        seen.add(converged(sim))
    assert seen == {True, False}


# -- the kubelet ------------------------------------------------------------------------


def oracle_backoff(starts: tuple[float, ...], base: float, cap: float) -> bool:
    wait = base
    for a, b in pairwise(starts):
        if b - a < min(wait, cap):
            return False
        wait *= 2
    return True


@settings(max_examples=80)
@given(
    st.lists(st.integers(0, 40), max_size=7),
    st.sampled_from((0.5, 1.0, 2.0)),
    st.sampled_from((4.0, 8.0, 100.0)),
)
def test_backoff_respected_agrees_with_an_oracle(gaps: list[int], base: float, cap: float) -> None:
    starts = tuple(float(sum(gaps[:i])) for i in range(len(gaps) + 1))
    config = KubeletConfig(backoff_base=base, backoff_cap=cap)
    assert backoff_respected([Container("p", "v1", 0.0, starts=starts)], config) == (
        oracle_backoff(starts, base, cap)
    )


def test_backoff_doubles_to_its_cap_and_the_mutant_has_none() -> None:
    config = KubeletConfig(backoff_base=1.0, backoff_cap=8.0)
    assert [backoff_delay(k, config) for k in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert backoff_delay(5, KubeletConfig(mutant="no_backoff")) == 0.0


# -- the mutants --------------------------------------------------------------------------


def test_every_check_passes_the_correct_control_plane_and_catches_its_mutants() -> None:
    report = mutant_report()
    assert report.ok
    caught = {m.name: set(m.caught_by) for m in report.mutants}
    assert set(caught) == set(MUTANTS)
    for name, checks in MUTANT_CHECKS.items():
        assert set(checks) <= set(CHECKS)
        assert caught[name] == set(checks), name


def test_the_seeded_checks_catch_their_mutants_in_every_seed_tried() -> None:
    assert catch_rate(
        "edge_triggered", "converges after a lost watch event (simulator)", range(3)
    ) == (3, 3)
    assert catch_rate("no_backoff", "crash loops back off (simulator)", range(2)) == (2, 2)
    assert catch_rate(None, "a lost node's pods are rescheduled (simulator)", range(3)) == (0, 3)
    assert not CHECKS["crash loops back off (simulator)"](Variant("no_backoff")).ok


def test_same_seed_same_run_under_any_hash_seed() -> None:
    code = (
        "from dslib.orchestration import lost_event_run\n"
        "r = lost_event_run()\n"
        "print(r.converged_at, r.events, r.snapshots[25])\n"
    )
    outs = set()
    for hash_seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        outs.add(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(outs) == 1
