"""Scale-out measurements of the capstone store (dslib.capstone.scale).

Short windows with few groups; the full table (1, 2, 4, 8 groups) is the benchmark's
(benchmarks/bench_capstone_scale.py). Nothing here asserts a wall time.
"""

from __future__ import annotations

import pytest

from dslib.capstone.scale import (
    MigrationCost,
    ScalePoint,
    capacity_gain,
    draw_scale,
    measure_migration,
    migration_cost,
    move_one_shard,
    scale_point,
    scale_table,
)
from dslib.capstone.shardkv import CONTROLLER, group_servers

SHORT = {"warmup": 600.0, "window": 400.0}


@pytest.fixture(scope="module")
def points() -> list[ScalePoint]:
    return scale_table((1, 4), seed=1, **SHORT)


def test_every_point_is_linearizable_and_its_figures_add_up(points: list[ScalePoint]) -> None:
    for p in points:
        assert p.verdict == "ok"
        assert p.clients == 2 * p.groups
        assert p.throughput == pytest.approx(p.ok / 0.4)
        assert 0 < p.p50 <= p.p99
        servers = {s for g in range(1, p.groups + 1) for s in group_servers(f"g{g}")}
        assert p.busiest in servers | set(CONTROLLER)
        assert p.messages_per_op > p.busiest_per_op > 0


def test_more_groups_spread_the_work_and_raise_the_bound(points: list[ScalePoint]) -> None:
    one, four = points
    assert four.ok > one.ok  # four times the clients, on four leaders
    assert four.busiest_per_op < one.busiest_per_op
    assert capacity_gain(points)[0] == 1.0 and capacity_gain(points)[1] > 1.5
    assert four.controller_per_second > one.controller_per_second  # every group polls it
    assert len(draw_scale(points).axes) == 2


def test_the_same_seed_gives_the_same_point() -> None:
    assert scale_point(2, seed=3, **SHORT) == scale_point(2, seed=3, **SHORT)


def test_a_migration_hands_the_shard_over_in_order_and_counts_its_messages() -> None:
    cost = migration_cost(0, groups=2, clients=2, move_at=800.0, after=800.0)
    assert isinstance(cost, MigrationCost)
    assert (cost.source, cost.target) in (("g1", "g2"), ("g2", "g1"))
    assert cost.committed_at <= cost.stopped_at <= cost.served_at <= cost.dropped_at
    assert cost.unavailable == cost.served_at - cost.stopped_at > 0
    assert cost.pushes >= 1 and cost.acks >= 1
    assert cost.log_messages >= 4  # install and drop, each to two followers at least
    assert cost.messages == cost.pushes + cost.acks + cost.log_messages
    assert "unavailable" in cost.summary()


def test_a_move_that_cannot_finish_in_time_is_reported() -> None:
    with pytest.raises(ValueError, match="shard 0 never moved between groups"):
        migration_cost(0, groups=2, clients=1, move_at=800.0, after=5.0)
    with pytest.raises(ValueError, match=r"did not complete by 820 ms \(never served, dropped\)"):
        migration_cost(0, groups=2, clients=1, move_at=800.0, after=20.0)


def test_bad_arguments_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="groups=0 must be an int >= 1"):
        scale_point(0)
    with pytest.raises(ValueError, match="shards=2 must be an int >= 4"):
        scale_point(4, shards=2)
    with pytest.raises(ValueError, match="window=-1 must be a number > 0"):
        scale_point(1, window=-1)
    with pytest.raises(ValueError, match="no operation completed"):
        scale_point(1, warmup=1.0, window=1.0)
    with pytest.raises(ValueError, match="groups=1 must be an int >= 2"):
        migration_cost(groups=1)
    with pytest.raises(ValueError, match="non-empty list of ints"):
        scale_table(4)
    with pytest.raises(TypeError, match="ScalePoint"):
        draw_scale([])


def test_the_counted_messages_are_the_shards_own() -> None:
    # An independent count from the messages' printed form: the pushes of the moved
    # shard in its configuration, and the AppendEntries whose entries carry its
    # install or drop.
    sim, shard = move_one_shard(1, groups=3, clients=2, move_at=800.0, after=800.0)
    cost = measure_migration(sim, shard)
    push = f"ShardPush(num={cost.num}, shard={shard},"
    marks = (f"op=('install', {cost.num}, {shard},", f"op=('drop', {cost.num}, {shard})")
    pushes = log = 0
    for e in sim.trace.of_kind("send"):
        text = repr(e.data)
        pushes += text.startswith(push)
        log += text.startswith("AppendEntries(") and any(m in text for m in marks)
    assert (cost.pushes, cost.log_messages) == (pushes, log)
    assert cost.pushes > 0 and cost.log_messages > 0
