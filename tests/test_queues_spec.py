"""dslib.queues.spec: the partition as a model, checked exhaustively on two brokers."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from dslib.check import check
from dslib.queues.log import MUTANTS, LogConfig
from dslib.queues.spec import SPEC_PROPERTIES, LogSpec, spec_table

SAFE = LogConfig(brokers=2, replication_factor=2, min_insync=2)


def shortest(config: LogConfig, prop: str) -> list[str] | None:
    result = check(LogSpec(config), invariants={prop: SPEC_PROPERTIES[prop]})
    if result.counterexample is None:
        assert result.complete  # every reachable state was explored
        return None
    return [str(a) for a in result.counterexample.actions]


def test_the_safe_setting_holds_every_property_in_every_reachable_state() -> None:
    result = check(LogSpec(SAFE), invariants=SPEC_PROPERTIES)
    assert result.ok and result.complete and result.distinct_states > 1000


@pytest.mark.parametrize(
    ("options", "prop", "trace"),
    [
        ({"acks": 1}, "no lost acknowledged", ["Produce m1", "Crash b1", "Elect b2"]),
        (
            {"min_insync": 1, "unclean": True},
            "no lost acknowledged",
            ["Produce m1", "Shrink b2", "Crash b1", "Elect b2"],
        ),
        ({"idempotent": False}, "no duplicates", ["Produce m1", "Retry m1"]),
        # min_insync stops the acknowledgement, not the read: a consumer saw m1, then it went
        ({"unclean": True}, "read committed", ["Produce m1", "Shrink b2", "Crash b1", "Elect b2"]),
        ({"unclean": True}, "no lost acknowledged", None),
        ({"min_insync": 1}, "no lost acknowledged", None),
    ],
)
def test_shortest_counterexample_of_each_unsafe_setting(options, prop, trace) -> None:
    assert shortest(replace(SAFE, **options), prop) == trace


def test_every_mutant_breaks_a_property_in_the_specification() -> None:
    table = spec_table(mutants=True).set_index("mutant")
    found = {m: [p for p in SPEC_PROPERTIES if pd.notna(table.loc[m, p])] for m in sorted(MUTANTS)}
    assert found == {
        "ack_before_isr": ["no lost acknowledged"],
        "hw_past_isr": ["no lost acknowledged", "read committed"],
        "retry_without_idempotence": ["no duplicates"],
        "unclean_election": ["read committed"],
    }


def test_the_table_has_sixteen_settings_and_three_safe_ones_at_most() -> None:
    table = spec_table(mutants=False)
    assert len(table) == 16
    holds = table[list(SPEC_PROPERTIES)].isna().all(axis=1)
    assert list(table[holds].index) == [9, 13]  # acks all, clean, idempotent; min_insync 1, 2


@pytest.mark.parametrize(
    ("config", "options", "match"),
    [
        (LogConfig(replication_factor=2), {}, "replication_factor=2 must equal brokers=3"),
        (SAFE, {"records": -1}, "records=-1 must be an int >= 0"),
        (SAFE, {"max_crashes": 1.5}, "max_crashes=1.5"),
    ],
)
def test_bad_specification_arguments(config, options, match) -> None:
    with pytest.raises(ValueError, match=match):
        LogSpec(config, **options)
