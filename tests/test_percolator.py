"""Percolator's transactions (dslib.sharding.percolator) and exercise ch13.percolator_read."""

from __future__ import annotations

from typing import Any

import pytest

import dslib.exercises as ex
import dslib.exercises.ch13  # noqa: F401  (registers the exercises)
from conftest import quiet_check
from dslib.consistency.isolation import Txn, check_isolation, snapshot_by_enumeration
from dslib.exercises.known_wrong import WrongAnswer, rejection_problems, too_few_wrong_answers
from dslib.mutants import assert_mutants_caught
from dslib.sharding.percolator import (
    PERCOLATOR_MUTANTS,
    Lock,
    Row,
    audit_totals,
    final_balances,
    percolator_checks,
    percolator_mutants,
    read_rule,
    run_percolator,
    visible,
)


def si(history: Any) -> bool | None:
    return check_isolation(history, workload="rw-register", level="snapshot-isolation").ok


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6, 7, 8])
def test_every_history_is_snapshot_isolated_and_the_money_adds_up(seed: int) -> None:
    run = run_percolator(seed)
    assert si(run.history) is True
    assert {total for _, total in audit_totals(run)} == {400}
    assert sum(final_balances(run).values()) == 400


def test_clients_crash_both_before_and_after_their_commit_point() -> None:
    # A crashed transfer has no end time; its outcome is whatever its primary says.
    crashed = [t for seed in range(1, 9) for t in run_percolator(seed).history if t.end is None]
    assert {t.type for t in crashed} == {"ok", "fail"}


def test_runs_are_deterministic() -> None:
    assert run_percolator(4).history == run_percolator(4).history


@pytest.mark.parametrize("mutant", [None, *PERCOLATOR_MUTANTS])
def test_the_checker_agrees_with_brute_force_on_small_runs(mutant: str | None) -> None:
    # Small histories (at most 7 writers): the oracle tries every commit order. The checker
    # may answer "unknown" (None) where registers do not show the version order; never a
    # wrong True or False.
    verdicts = set()
    for seed in range(1, 16):
        run = run_percolator(seed, clients=2, transactions=3, mutant=mutant)
        fast, slow = si(run.history), snapshot_by_enumeration(run.history)
        assert fast is None or fast == slow, (seed, fast, slow)
        assert slow or fast is not True
        verdicts.add(slow)
    assert verdicts == ({True} if mutant is None else {True, False})


def test_the_oracle_knows_the_textbook_anomalies() -> None:
    t1 = Txn(1, (("r", "x", None), ("w", "x", 1)))
    t2 = Txn(2, (("r", "x", None), ("w", "x", 2)))
    assert not snapshot_by_enumeration([t1, t2])  # lost update
    skew = [
        Txn(1, (("r", "x", None), ("r", "y", None), ("w", "x", 1))),
        Txn(2, (("r", "x", None), ("r", "y", None), ("w", "y", 2))),
    ]
    assert snapshot_by_enumeration(skew)  # write skew is allowed
    fractured = [Txn(1, (("w", "x", 1), ("w", "y", 1))), Txn(2, (("r", "x", 1), ("r", "y", None)))]
    assert not snapshot_by_enumeration(fractured)
    with pytest.raises(ValueError, match="limit=1"):
        snapshot_by_enumeration([t1, t2], limit=1)


def test_each_mutant_is_caught_by_its_named_check() -> None:
    assert_mutants_caught(
        lambda: None, percolator_mutants(), percolator_checks(seeds=range(1, 7)), all_checks=False
    )


def test_the_row_rules() -> None:
    row = Row(data=((1, "v1"), (5, "v5")), write=((3, 1),), lock=Lock(5, "k"))
    assert visible(row, 4) == ("value", "v1")
    assert visible(row, 5)[0] == "locked"
    assert visible(row, 5, ignore_locks=True) == ("value", "v1")
    assert read_rule(row.as_dict(), 6, row.as_dict(), expired=True) == ("roll-back",)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="clients=0"):
        run_percolator(clients=0)
    with pytest.raises(ValueError, match="crash=2"):
        run_percolator(crash=2)
    with pytest.raises(ValueError, match="reads_ignore_locks"):
        run_percolator(mutant="nope")
    with pytest.raises(ValueError, match="at least one seed"):
        percolator_checks(seeds=[])
    with pytest.raises(ValueError, match="primary_row"):
        read_rule({"data": {}, "lock": (1, "a"), "write": {}}, 2, None, True)


# -- exercise ch13.percolator_read ---------------------------------------------------------------
def pr_ignores_locks(row: Any, start_ts: int, primary_row: Any, expired: bool) -> Any:
    commits = [c for c in row["write"] if c <= start_ts]
    return ("value", row["data"][row["write"][max(commits)]] if commits else None)


def pr_waits_on_any_lock(row: Any, start_ts: int, primary_row: Any, expired: bool) -> Any:
    if row["lock"] is not None:
        return ("wait",)
    return pr_ignores_locks(row, start_ts, primary_row, expired)


def pr_rolls_back_blindly(row: Any, start_ts: int, primary_row: Any, expired: bool) -> Any:
    lock = row["lock"]
    if lock is not None and lock[0] <= start_ts:
        return ("roll-back",) if expired else ("wait",)
    return pr_ignores_locks(row, start_ts, primary_row, expired)


def pr_reads_data_column(row: Any, start_ts: int, primary_row: Any, expired: bool) -> Any:
    right = ex.load_solution("ch13.percolator_read")(row, start_ts, primary_row, expired)
    if right[0] != "value":
        return right
    older = [ts for ts in row["data"] if ts <= start_ts]
    return ("value", row["data"][max(older)] if older else None)


PR_WRONG = [
    WrongAnswer("ch13.percolator_read", pr_ignores_locks, "examples", "read skew"),
    WrongAnswer("ch13.percolator_read", pr_waits_on_any_lock, "examples", "Only locks at or"),
    WrongAnswer("ch13.percolator_read", pr_rolls_back_blindly, "examples", "roll forward"),
    WrongAnswer("ch13.percolator_read", pr_reads_data_column, "examples", "write column"),
]


@pytest.mark.parametrize("row", PR_WRONG, ids=[row.answer.__name__ for row in PR_WRONG])
def test_percolator_read_wrong_answers_get_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_percolator_read_has_at_least_three_wrong_answers() -> None:
    assert len(PR_WRONG) >= 3
    assert not too_few_wrong_answers(PR_WRONG, ["ch13.percolator_read"])
