"""Tests of dslib.sharding's partitioning schemes, hot spots, the controller's rebalance,
and the ring explorer."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Simulation, System
from dslib.sharding import (
    AdminReply,
    Config,
    ConfigReply,
    ConsistentHashRing,
    Join,
    JumpHash,
    Leave,
    ModHash,
    Query,
    RangePartitioner,
    Rendezvous,
    ShardController,
    hot_keys,
    jump_hash,
    key_bytes,
    load_stats,
    make_keys,
    minimal_moves,
    moved_keys,
    moves,
    rebalance,
    rendezvous_score,
    ring_shares,
    salt_hot_keys,
    salted_subkeys,
    shard_of,
    stable_hash,
    vnode_spread,
    vnode_spread_theory,
    zipf_requests,
    zipf_top_share,
)
from dslib.sharding.partitioning import (
    PARTITION_CHECKS,
    PARTITION_MUTANT_CHECKS,
    PARTITION_MUTANTS,
    mutant_partitioner,
    partition_catch_rate,
    partition_mutant_report,
    partition_mutant_table,
)
from dslib.sharding.store import Admin
from dslib.widgets.ring import RingExplorer, ring_figure, ring_scenario

ROOT = Path(__file__).resolve().parent.parent
KEYS = make_keys(3000)
NODES = [f"n{i}" for i in range(1, 11)]
FAST = settings(max_examples=60, deadline=None, database=None)


def schemes() -> list:
    return [
        ModHash(NODES),
        RangePartitioner.from_keys(NODES, KEYS),
        ConsistentHashRing(NODES, vnodes=1),
        ConsistentHashRing(NODES, vnodes=100),
        Rendezvous(NODES),
        JumpHash(NODES),
    ]


# -- stable hashing ---------------------------------------------------------------------------
def test_stable_hash_is_64_bit_and_salt_changes_it() -> None:
    hashes = {stable_hash(k) for k in KEYS[:500]}
    assert len(hashes) == 500 and all(0 <= h < 2**64 for h in hashes)
    assert stable_hash("k", salt="a") != stable_hash("k", salt="b") != stable_hash("k")
    assert stable_hash(7) == stable_hash("7") and stable_hash(b"7") == stable_hash("7")


@pytest.mark.parametrize("bad", [1.5, None, ("a",), True])
def test_key_bytes_rejects_other_types(bad: object) -> None:
    with pytest.raises(TypeError, match="a key is a str, bytes or int"):
        key_bytes(bad)  # type: ignore[arg-type]


def test_lookups_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "from dslib.sharding import *\n"
        "ks = make_keys(200)\n"
        "ns = ['a', 'b', 'c', 'd']\n"
        "ps = [ModHash(ns), ConsistentHashRing(ns, 8), Rendezvous(ns), JumpHash(ns)]\n"
        "print([p.assign(ks) for p in ps])\n"
    )
    outputs = set()
    for seed in ("0", "1", "12345"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
            check=True,
        ).stdout
        outputs.add(out)
    assert len(outputs) == 1


# -- every scheme ---------------------------------------------------------------------------------
@pytest.mark.parametrize("p", schemes(), ids=lambda p: p.name)
def test_every_key_maps_to_a_member_and_partitioners_are_immutable(p: object) -> None:
    from dslib.sharding import Partitioner

    assert isinstance(p, Partitioner)
    owners = p.assign(KEYS[:300])
    assert set(owners) <= set(p.nodes)
    bigger = p.with_node("new", keys=KEYS)
    smaller = p.without_node("n3")
    assert "new" in bigger.nodes and "n3" not in smaller.nodes
    assert p.assign(KEYS[:300]) == owners  # the original did not change
    assert p.lookup_steps(KEYS[0]) >= 1 and p.state_size() >= len(p.nodes) - 1
    with pytest.raises(ValueError, match="already a member"):
        p.with_node("n1", keys=KEYS)
    with pytest.raises(ValueError, match="not a member"):
        p.without_node("zz")


@pytest.mark.parametrize(
    "p",
    [
        RangePartitioner.from_keys(NODES, KEYS),
        ConsistentHashRing(NODES, vnodes=50),
        Rendezvous(NODES),
        JumpHash(NODES),
    ],
    ids=lambda p: p.name,
)
def test_a_join_moves_keys_only_to_the_new_node(p: object) -> None:
    after = p.with_node("new", keys=KEYS)  # type: ignore[attr-defined]
    moved = [k for k in KEYS if p.lookup(k) != after.lookup(k)]  # type: ignore[attr-defined]
    assert moved and all(after.lookup(k) == "new" for k in moved)
    if not isinstance(p, RangePartitioner):
        assert abs(len(moved) / len(KEYS) - 1 / 11) < 0.05  # about 1/(N+1)


@pytest.mark.parametrize(
    "p",
    [RangePartitioner.from_keys(NODES, KEYS), ConsistentHashRing(NODES, 50), Rendezvous(NODES)],
    ids=lambda p: p.name,
)
def test_a_leave_moves_only_the_leaving_nodes_keys(p: object) -> None:
    after = p.without_node("n4")  # type: ignore[attr-defined]
    for k in KEYS:
        if p.lookup(k) != "n4":  # type: ignore[attr-defined]
            assert after.lookup(k) == p.lookup(k)  # type: ignore[attr-defined]


def test_hash_mod_n_moves_almost_everything_and_jump_hash_the_minimum() -> None:
    mod = moved_keys(ModHash(NODES), ModHash([*NODES, "new"]), KEYS) / len(KEYS)
    jump = moved_keys(JumpHash(NODES), JumpHash([*NODES, "new"]), KEYS) / len(KEYS)
    assert mod > 0.85  # N / (N + 1) = 0.91
    assert 0.07 < jump < 0.11  # 1 / (N + 1) = 0.09


def test_jump_hash_leave_of_a_middle_node_moves_two_buckets() -> None:
    p = JumpHash(NODES)
    after = p.without_node("n3")
    assert after.nodes[2] == "n10" and len(after.nodes) == 9
    fraction = moved_keys(p, after, KEYS) / len(KEYS)
    assert 0.15 < fraction < 0.25  # about 2 / N
    last = p.without_node("n10")
    assert abs(moved_keys(p, last, KEYS) / len(KEYS) - 0.1) < 0.03


def test_balance_of_each_scheme() -> None:
    keys = make_keys(20_000)
    rel = {p.name: load_stats(p, keys).relative_std for p in schemes()}
    # Hash mod N, rendezvous and jump hash are as even as random placement: about sqrt(N/K).
    noise = math.sqrt(len(NODES) / len(keys))
    for name in ("hash mod N", "rendezvous", "jump hash"):
        assert rel[name] < 2.5 * noise, (name, rel[name])
    # Range partitioning is as even as the sample it was built from ...
    assert load_stats(RangePartitioner.from_keys(NODES, KEYS), KEYS).relative_std < 0.01
    # ... and keys outside that sample (new sequential ids) all land in the last range.
    assert rel["range"] > 2.0
    assert rel["consistent hashing (v=1)"] > 0.4 > 0.15 > rel["consistent hashing (v=100)"]


def test_load_stats_counts_every_node_and_every_occurrence() -> None:
    s = load_stats(ModHash(["a", "b", "c"]), ["x"] * 10)
    assert sum(c for _, c in s.counts) == 10 and len(s.counts) == 3
    assert s.max_over_mean == pytest.approx(3.0)
    with pytest.raises(ValueError, match="no keys"):
        load_stats(ModHash(["a"]), [])


# -- consistent hashing with virtual nodes ------------------------------------------------------
def test_ring_shares_sum_to_one_and_match_key_counts() -> None:
    ring = ConsistentHashRing(NODES, vnodes=20)
    shares = ring_shares(ring)
    assert sum(shares.values()) == pytest.approx(1.0)
    counts = dict(load_stats(ring, make_keys(40_000)).counts)
    for node, share in shares.items():
        assert abs(counts[node] / 40_000 - share) < 0.01


def test_vnode_spread_follows_one_over_sqrt_v() -> None:
    vs = [1, 4, 16, 64, 256]
    measured = [vnode_spread(20, v, trials=12) for v in vs]
    theory = [vnode_spread_theory(20, v) for v in vs]
    assert all(a > b for a, b in itertools.pairwise(measured))
    for m, t in zip(measured, theory, strict=True):
        assert 0.75 < m / t < 1.3
    slope = math.log(measured[-1] / measured[0]) / math.log(vs[-1] / vs[0])
    assert -0.6 < slope < -0.4
    assert vnode_spread_theory(1000, 100) == pytest.approx(0.1, rel=0.01)


def test_successors_and_preference_list() -> None:
    ring = ConsistentHashRing(["a", "b", "c", "d"], vnodes=8)
    for k in KEYS[:100]:
        order = list(ring.successors(k))
        assert sorted(order) == ["a", "b", "c", "d"] and order[0] == ring.lookup(k)
        assert ring.preference_list(k, 2) == tuple(order[:2])
        # the second node is where the key goes if the first leaves
        assert ring.without_node(order[0]).lookup(k) == order[1]
    with pytest.raises(ValueError, match="replicas"):
        ring.preference_list("k", 5)


# -- rendezvous ---------------------------------------------------------------------------------
def test_rendezvous_lookup_is_the_highest_score_and_leave_promotes_the_second() -> None:
    r = Rendezvous(NODES)
    for k in KEYS[:200]:
        best = max(NODES, key=lambda n: rendezvous_score(n, k))
        assert r.lookup(k) == best == r.preference_list(k, 3)[0]
        assert r.without_node(best).lookup(k) == r.preference_list(k, 2)[1]
    assert r.lookup_steps("k") == 2 * len(NODES)


def test_weighted_rendezvous_shares_follow_the_weights() -> None:
    weights = {"a": 1.0, "b": 2.0, "c": 1.0}
    counts = dict(load_stats(Rendezvous(list(weights), weights), make_keys(20_000)).counts)
    assert counts["b"] / 20_000 == pytest.approx(0.5, abs=0.02)
    assert counts["a"] / 20_000 == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ValueError, match="must be > 0"):
        Rendezvous(["a"], {"a": 0})
    with pytest.raises(ValueError, match="no entry"):
        Rendezvous(["a", "b"], {"a": 1})


# -- jump hash -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "buckets", "bucket"),
    [(1, 1, 0), (42, 57, 43), (0xDEAD10CC, 1, 0), (0xDEAD10CC, 666, 361), (256, 1024, 520)],
)
def test_jump_hash_matches_published_values(key: int, buckets: int, bucket: int) -> None:
    assert jump_hash(key, buckets) == bucket


@FAST
@given(st.integers(0, 2**64 - 1), st.integers(1, 5000))
def test_jump_hash_is_in_range_and_consistent(key: int, n: int) -> None:
    b = jump_hash(key, n)
    assert 0 <= b < n
    assert jump_hash(key, n + 1) in (b, n)


def test_jump_hash_is_uniform_and_rejects_bad_arguments() -> None:
    counts = Counter(jump_hash(stable_hash(k), 7) for k in KEYS)
    expected = len(KEYS) / 7
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert len(counts) == 7 and chi2 < 22.5  # the 0.999 quantile of chi-square with 6 d.o.f.
    with pytest.raises(ValueError, match="num_buckets"):
        jump_hash(1, 0)
    with pytest.raises(ValueError, match="key"):
        jump_hash(-1, 3)
    steps = [JumpHash([f"n{i}" for i in range(n)]).lookup_steps("user42") for n in (2, 1000)]
    assert steps[0] < steps[1] < 30


# -- the mutants and the checks that catch them --------------------------------------------------
# Measured with partition_catch_rate over seeds 0..59: every mutant's named checks catch it on
# 60 of 60 seeds, and the correct schemes fail no check on any of them.
MUTANT_SEEDS = range(5)


def test_the_correct_schemes_pass_every_partition_check() -> None:
    for check in PARTITION_CHECKS:
        caught, runs, _ = partition_catch_rate(None, check, MUTANT_SEEDS)
        assert caught == 0, f"the correct schemes fail {check!r} on {caught} of {runs} seeds"


@pytest.mark.parametrize("mutant", sorted(PARTITION_MUTANTS))
def test_each_partition_mutant_is_caught_by_its_checks(mutant: str) -> None:
    for check in PARTITION_MUTANT_CHECKS[mutant]:
        caught, runs, _ = partition_catch_rate(mutant, check, MUTANT_SEEDS)
        assert caught == runs, (
            f"{mutant} caught by {check!r} on {caught} of {runs} seeds (measured: 60 of 60)"
        )


def test_partition_mutant_report_and_table() -> None:
    assert partition_mutant_report(seeds=3).problems() == []
    table = partition_mutant_table(seeds=3)
    assert list(table["mutant"]) == ["correct version", *PARTITION_MUTANTS]
    assert list(table["seeds it catches"]) == ["0 of 3"] + ["3 of 3"] * len(PARTITION_MUTANTS)


def test_mutant_partitioners_keep_their_bug_and_reject_unknown_names() -> None:
    nodes = ["a", "b", "c"]
    broken = mutant_partitioner("ring_no_wrap", nodes, vnodes=1)
    assert type(broken.with_node("d")) is type(broken) is type(broken.without_node("a"))
    # The correct ring wraps: a key past the last point belongs to the first point's node.
    ring = ConsistentHashRing(nodes, vnodes=1)
    past = next(k for k in KEYS if stable_hash(k) > ring.points[-1][0])
    assert ring.lookup(past) == ring.points[0][1]
    assert broken.lookup(past) == ring.points[-1][1]
    ranges = mutant_partitioner("range_bisect_left", nodes, KEYS)
    boundary = ranges.boundaries[0]  # type: ignore[attr-defined]
    assert RangePartitioner.from_keys(nodes, KEYS).lookup(boundary) == "b"
    assert ranges.lookup(boundary) == "a"
    with pytest.raises(ValueError, match="allowed: one of"):
        mutant_partitioner("ring_off_by_one", nodes)
    with pytest.raises(ValueError, match="unknown mutant"):
        partition_catch_rate("ring_off_by_one", "balance", range(1))
    with pytest.raises(ValueError, match="unknown check"):
        partition_catch_rate(None, "speed", range(1))
    with pytest.raises(ValueError, match="seeds"):
        partition_mutant_report(seeds=0)


# -- range partitioning --------------------------------------------------------------------------
def test_range_split_merge_and_validation() -> None:
    p = RangePartitioner(["g", "p"], ["a", "b", "c"])
    assert [p.lookup(k) for k in ("f", "g", "o", "p", "z")] == ["a", "b", "b", "c", "c"]
    s = p.split(1, "k", "d")
    assert s.lookup("j") == "b" and s.lookup("k") == "d" and s.state_size() == 4
    assert s.merge(1).describe() == p.describe()
    with pytest.raises(ValueError, match="strictly inside"):
        p.split(1, "z")
    with pytest.raises(ValueError, match="last one"):
        p.merge(2)
    with pytest.raises(ValueError, match="strictly increasing"):
        RangePartitioner(["p", "g"], ["a", "b", "c"])
    with pytest.raises(ValueError, match="owners"):
        RangePartitioner(["g"], ["a"])
    with pytest.raises(ValueError, match="needs keys"):
        p.with_node("d")


def test_range_keeps_sequential_keys_together() -> None:
    p = RangePartitioner.from_keys(NODES, KEYS)
    # a scan of 100 consecutive keys touches at most two nodes; with hashing, all of them
    window = KEYS[1000:1100]
    assert len(set(p.assign(window))) <= 2
    assert len(set(JumpHash(NODES).assign(window))) == len(NODES)
    # ... and so a burst of new sequential keys lands on one node: a hot spot
    fresh = [f"key{i:06d}" for i in range(5000, 5300)]
    assert len(set(p.assign(fresh))) == 1


# -- hot spots ------------------------------------------------------------------------------------
def test_zipf_requests_follow_the_law() -> None:
    requests = zipf_requests(1000, 1.0, 50_000, seed=3)
    top = hot_keys(requests, 3)
    assert [k for k, _ in top] == ["key000000", "key000001", "key000002"]
    assert top[0][1] / 50_000 == pytest.approx(zipf_top_share(1000, 1.0), abs=0.01)
    assert top[0][1] / top[1][1] == pytest.approx(2.0, rel=0.1)
    uniform = Counter(zipf_requests(10, 0.0, 10_000, seed=3))
    assert max(uniform.values()) < 1.15 * 1000
    assert zipf_requests(5, 1.0, 10, seed=1) == zipf_requests(5, 1.0, 10, seed=1)


def test_a_hot_key_overloads_its_shard_and_salting_spreads_it() -> None:
    p = JumpHash([f"n{i}" for i in range(8)])
    requests = zipf_requests(1000, 1.1, 20_000, seed=1)
    before = load_stats(p, requests).max_over_mean
    hot = [k for k, _ in hot_keys(requests, 3)]
    after = load_stats(p, salt_hot_keys(requests, hot, fanout=8, seed=1)).max_over_mean
    assert before > 1.8 and after < 1.45
    # the cost: a read of a salted key visits every sub-key
    assert salted_subkeys("k", 8) == [f"k#{i}" for i in range(8)]
    salted = salt_hot_keys(requests, hot, fanout=8, seed=1)
    assert {k.split("#")[0] for k in salted} == set(requests)


# -- the controller: rebalance ------------------------------------------------------------------
GROUPS = ["g1", "g2", "g3", "g4", "g5"]


@st.composite
def assignments(draw: st.DrawFn) -> tuple[tuple[str | None, ...], list[str]]:
    shards = draw(st.integers(1, 16))
    assignment = tuple(
        draw(st.lists(st.sampled_from([None, *GROUPS]), min_size=shards, max_size=shards))
    )
    groups = draw(st.lists(st.sampled_from(GROUPS), min_size=0, max_size=5, unique=True))
    return assignment, groups


@FAST
@given(assignments())
def test_rebalance_is_valid_balanced_minimal_and_deterministic(case: tuple) -> None:
    assignment, groups = case
    new = rebalance(assignment, groups)
    assert len(new) == len(assignment)
    if not groups:
        assert set(new) == {None}
        return
    assert set(new) <= set(groups)
    loads = Counter(new)
    q = len(assignment) // len(groups)
    assert all(q <= loads.get(g, 0) <= q + 1 for g in groups)
    assert moves(assignment, new) == minimal_moves(assignment, groups)
    assert rebalance(assignment, list(reversed(groups))) == new
    assert rebalance(new, groups) == new  # nothing to do: nothing moves


def test_rebalance_on_join_and_leave_moves_only_what_it_must() -> None:
    a = rebalance((None,) * 10, ["g1", "g2"])
    joined = rebalance(a, ["g1", "g2", "g3"])
    assert all(new == "g3" for old, new in zip(a, joined, strict=True) if old != new)
    left = rebalance(joined, ["g1", "g3"])
    assert all(old == "g2" for old, new in zip(joined, left, strict=True) if old != new)
    with pytest.raises(TypeError, match="sequence"):
        rebalance("g1g2", ["g1"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="repeat"):
        rebalance(("g1",), ["g1", "g1"])


def test_shard_of_is_stable_and_in_range() -> None:
    assert {shard_of(k, 8) for k in KEYS} == set(range(8))
    assert shard_of("user42", 8) == stable_hash("user42") % 8
    with pytest.raises(ValueError, match="shards"):
        shard_of("k", 0)


# -- the controller as a node ----------------------------------------------------------------------
def test_controller_numbers_configurations_and_deduplicates_commands() -> None:
    from dslib import Context

    ctrl = ShardController(shards=4)
    ctx = Context("ctrl", ["ctrl", "admin", "g1"])
    s = ctrl.init(ctx)
    s = ctrl.on_message(ctx, s, "admin", Join(1, "g1"))
    s = ctrl.on_message(ctx, s, "admin", Join(2, "g2"))
    s = ctrl.on_message(ctx, s, "admin", Join(2, "g2"))  # a retry: nothing new
    s = ctrl.on_message(ctx, s, "admin", Join(3, "g2"))  # a member joining again: nothing new
    assert [c.num for c in s.configs] == [0, 1, 2]
    s = ctrl.on_message(ctx, s, "admin", Leave(4, "g1"))
    assert s.latest == Config(3, ("g2",) * 4, ("g2",))
    s = ctrl.on_message(ctx, s, "admin", Leave(5, "g2"))
    assert ctx.sent[-1] == ("admin", AdminReply(5, False, 3, "the last group cannot leave"))
    ctx.sent.clear()
    ctrl.on_message(ctx, s, "g1", Query(1))
    ctrl.on_message(ctx, s, "g1", Query(-1))
    ctrl.on_message(ctx, s, "g1", Query(99))
    assert [m.config.num for _, m in ctx.sent] == [1, 3, 3]
    assert all(isinstance(m, ConfigReply) for _, m in ctx.sent)


def test_controller_keeps_its_configurations_across_a_crash() -> None:
    from dslib.sim import Crash, Nemesis, Restart

    system = System(
        {
            "ctrl": ShardController(4),
            "admin": Admin([(0.0, "join", "g1"), (5.0, "join", "g2"), (30.0, "leave", "g1")]),
        }
    )
    nemesis = Nemesis([(10.0, Crash("ctrl")), (20.0, Restart("ctrl"))])
    sim = Simulation(system, seed=1, nemesis=nemesis).run(until=100.0)
    assert sim.states["admin"] == 3
    assert [c.num for c in sim.states["ctrl"].configs] == [0, 1, 2, 3]


# -- the ring explorer --------------------------------------------------------------------------
def test_ring_scenario_counts_what_moves() -> None:
    join = ring_scenario(nodes=5, vnodes=16, keys=400, change="join")
    assert all(join.after.lookup(k) == "n6" for k in join.moved)
    assert join.moved_mod_n > 2 * len(join.moved)
    leave = ring_scenario(nodes=5, vnodes=16, keys=400, change="leave")
    assert len(leave.moved) == leave.counts(leave.before)["n5"]
    none = ring_scenario(change="none")
    assert none.moved == () and none.ideal() == 0.0
    with pytest.raises(ValueError, match="change"):
        ring_scenario(change="explode")


def test_ring_figure_and_explorer_driven_from_code() -> None:
    fig = ring_figure(ring_scenario(nodes=3, vnodes=2, keys=60, change="join"))
    assert len(fig.axes) == 3
    explorer = RingExplorer(nodes=3, keys=100)
    first = explorer.image.value
    assert first[:4] == b"\x89PNG"
    explorer.controls["vnodes"].value = 32
    assert explorer.scenario is not None and explorer.scenario.before.vnodes == 32
    assert explorer.image.value != first
    explorer.controls["change"].value = "leave"
    assert explorer.values()["change"] == "leave" and len(explorer.scenario.after.nodes) == 2
    with pytest.raises(TypeError, match="unknown parameters"):
        RingExplorer(colour="red")
