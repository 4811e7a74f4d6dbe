"""dslib.queues.endtoend: producer -> log -> consumer group -> sink, under faults."""

from __future__ import annotations

import pytest

from dslib.queues.endtoend import (
    end_to_end_counts,
    end_to_end_run,
    end_to_end_table,
    judge_end_to_end,
    safe_group_config,
)
from dslib.queues.log import LogConfig


def test_faults_hit_brokers_and_consumers() -> None:
    sim = end_to_end_run(safe_group_config(), seed=3)
    assert sim.states["controller"].elections  # a leader's broker failed
    assert sim.states["coordinator"].rebalances > 2  # members failed after the first joins


def test_the_safe_configuration_loses_and_duplicates_nothing() -> None:
    for seed in range(3):
        result = judge_end_to_end(end_to_end_run(safe_group_config(), seed))
        assert result.ok, (seed, result.summary())
        assert result.acknowledged == 30


def test_each_weaker_setting_fails_in_its_own_direction() -> None:
    # the checks can fail: one knob off the safe configuration breaks one guarantee
    at_least_once = [
        end_to_end_counts(safe_group_config(policy="at-least-once"), s) for s in (0, 1, 2)
    ]
    assert sum(c["duplicated"] for c in at_least_once) > 0
    assert sum(c["lost"] for c in at_least_once) == 0
    at_most_once = [
        end_to_end_counts(safe_group_config(policy="at-most-once"), s) for s in (0, 1, 2)
    ]
    assert sum(c["lost"] for c in at_most_once) > 0
    assert sum(c["duplicated"] for c in at_most_once) == 0


def test_the_table_sums_the_runs() -> None:
    base = safe_group_config()
    table = end_to_end_table([1], base, acks=["all"], policies=["at-least-once"])
    assert len(table) == 8 and (table["runs"] == 1).all()
    row = table[
        (table["min_insync"] == 2) & (table["election"] == "clean") & (table["producer"] == "plain")
    ].iloc[0]
    config = safe_group_config(
        policy="at-least-once", log=LogConfig(partitions=3, messages=30, idempotent=False)
    )
    counts = [end_to_end_counts(config, 1)]
    assert row["duplicated"] == sum(c["duplicated"] for c in counts) > 0
    assert row["duplicated_runs"] == sum(c["duplicated"] > 0 for c in counts)
    assert row["lost"] == sum(c["lost"] for c in counts)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"seeds": []}, ValueError, "no seeds"),
        ({"seeds": [0], "policies": ["exactly-once"]}, ValueError, "allowed: any of"),
        ({"seeds": [0], "acks": [2]}, ValueError, "acks \\[2\\]; allowed"),
        ({"seeds": [0], "base": LogConfig()}, TypeError, "must be a GroupConfig"),
        ({"seeds": [0], "executor": 0}, ValueError, "asks for no workers"),
        ({"seeds": [0], "policies": "at-most-once"}, TypeError, "not one string"),
    ],
)
def test_bad_arguments_are_errors(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        end_to_end_table(**kwargs)


def test_end_to_end_run_wants_a_group_config() -> None:
    with pytest.raises(TypeError, match="must be a GroupConfig"):
        end_to_end_run(LogConfig())  # type: ignore[arg-type]
