"""Leader-follower replication with lagging followers (chapter 12.6): anomalies, fixes, mutants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.replication.leader_follower import (
    MUTANTS,
    ROUTINGS,
    SessionClient,
    check_prefix_reads,
    lag_anomalies,
    lag_mutant_report,
    lag_run,
    prefix_reads_by_enumeration,
)
from dslib.sim.history import History

SEEDS = range(4)


def _totals(routing: str, mutant: str | None = None) -> dict[str, int]:
    out = {"read-your-writes": 0, "monotonic-reads": 0, "consistent-prefix": 0}
    for s in SEEDS:
        for g, n in lag_anomalies(lag_run(routing, s, mutant=mutant)).items():
            out[g] += n
    return out


def test_reading_any_follower_shows_every_anomaly() -> None:
    t = _totals("any-follower")
    assert t["read-your-writes"] > 0 and t["monotonic-reads"] > 0 and t["consistent-prefix"] > 0


def test_each_fix_removes_what_it_promises_and_no_more() -> None:
    assert _totals("leader-after-write")["read-your-writes"] == 0
    assert _totals("leader-after-write")["monotonic-reads"] > 0  # it promises no more
    sticky = _totals("sticky")
    assert sticky["monotonic-reads"] == sticky["consistent-prefix"] == 0
    assert sticky["read-your-writes"] > 0
    assert set(_totals("lsn-token").values()) == {0}


def test_every_mutant_is_caught_by_its_check() -> None:
    rep = lag_mutant_report(SEEDS)
    assert not rep.problems(), rep.problems()
    assert [m.name for m in rep.mutants] == sorted(MUTANTS, key=list(MUTANTS).index)


def test_the_follower_never_answers_below_the_token() -> None:
    run = lag_run("lsn-token", 2)
    assert all(op.status == "ok" for op in run.history.operations())


def test_runs_repeat_byte_for_byte() -> None:
    a, b = lag_run("any-follower", 3), lag_run("any-follower", 3)
    assert [str(o) for o in a.history.operations()] == [str(o) for o in b.history.operations()]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="routing"):
        SessionClient("nearest", "l", ["f1"], [])
    with pytest.raises(ValueError, match="operation 0"):
        SessionClient("sticky", "l", ["f1"], [("delete", "x")])
    with pytest.raises(ValueError, match="mutant"):
        lag_run("sticky", 0, mutant="nope")
    with pytest.raises(ValueError, match="never wrote"):
        h = History([("c", "invoke", "get", None, 0, "x"), ("c", "ok", "get", "z", 1, "x")])
        check_prefix_reads(h, [("x", "a")])
    with pytest.raises(TypeError):
        check_prefix_reads([], [])  # type: ignore[arg-type]


def test_the_question_and_answer_example() -> None:
    h = History(
        [
            ("c", "invoke", "get", None, 0, "a"),
            ("c", "ok", "get", "yes", 1, "a"),
            ("c", "invoke", "get", None, 2, "q"),
            ("c", "ok", "get", None, 3, "q"),
        ]
    )
    log = [("q", "why?"), ("a", "yes")]
    assert not check_prefix_reads(h, log).ok
    assert check_prefix_reads(h, list(reversed(log))).ok


@st.composite
def _case(draw: Any) -> tuple[History, list[tuple[str, int]]]:
    log = [(draw(st.sampled_from("xy")), i) for i in range(draw(st.integers(0, 4)))]
    events: list[tuple[Any, ...]] = []
    t = 0
    for c in ("c1", "c2"):
        for _ in range(draw(st.integers(0, 4))):
            key = draw(st.sampled_from("xy"))
            written = [v for k, v in log if k == key]
            value = draw(st.sampled_from([None, *written]))
            events += [(c, "invoke", "get", None, t, key), (c, "ok", "get", value, t + 1, key)]
            t += 2
    return History(events), log


@given(_case())
def test_the_checker_agrees_with_the_brute_force_oracle(case: Any) -> None:
    history, log = case
    assert check_prefix_reads(history, log).ok == prefix_reads_by_enumeration(history, log)


def test_routings_are_the_four_of_the_page() -> None:
    assert ROUTINGS == ("any-follower", "leader-after-write", "sticky", "lsn-token")
