"""The dual-write problem and the transactional outbox (section 5.6)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.architectures.outbox import (
    MUTANTS,
    OUTBOX_CHECKS,
    OUTBOX_MUTANTS,
    Database,
    OrderService,
    outbox_run,
    publication_problems,
)
from dslib.mutants import assert_mutants_caught


def _oracle(committed: list[int], published: list[int]) -> list[tuple[str, int]]:
    """The definition, one event at a time, by counting in a loop."""
    problems = []
    for event in sorted(set(committed) | set(published)):
        copies = 0
        for p in published:
            copies += p == event
        if event in committed and copies == 0:
            problems.append(("lost", event))
        elif event in committed and copies > 1:
            problems.append(("duplicated", event))
        elif event not in committed:
            problems.append(("invented", event))
    return sorted(problems)


@settings(max_examples=100)
@given(st.sets(st.integers(0, 5), max_size=5), st.lists(st.integers(0, 5), max_size=8))
def test_the_checker_agrees_with_the_definition(committed: set[int], published: list[int]) -> None:
    assert publication_problems(sorted(committed), published) == _oracle(
        sorted(committed), published
    )


@pytest.mark.parametrize("seed", range(4))
def test_the_outbox_publishes_every_commit_once_despite_crashes(seed: int) -> None:
    run = outbox_run("outbox", seed=seed)
    assert run["crashes"] > 0 and run["problems"] == [] and run["committed"] == 36


def test_db_first_loses_events_only_when_the_service_crashes() -> None:
    assert outbox_run("db-first", crash_every=0, seed=0)["problems"] == []
    runs = [outbox_run("db-first", seed=s) for s in range(4)]
    assert all(r["lost"] > 0 and r["invented"] == r["duplicated"] == 0 for r in runs)


def test_publish_first_invents_the_refused_orders() -> None:
    run = outbox_run("publish-first", crash_every=0, seed=0)
    assert run["problems"] == [("invented", e) for e in (10, 20, 30, 40)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: outbox_run("db-last"), "mode='db-last'"),
        (lambda: outbox_run("db-first", mutant="no-dedup"), "use mode='outbox'"),
        (lambda: outbox_run("outbox", mutant="typo"), "unknown mutant"),
        (lambda: OrderService("both"), "allowed: db-first"),
        (lambda: Database(refuse_every=1), "refuse_every=1"),
    ],
)
def test_bad_input_is_refused_with_a_message(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_same_seed_same_run() -> None:
    assert outbox_run("outbox", seed=5) == outbox_run("outbox", seed=5)


def test_every_mutant_is_caught_by_its_check() -> None:
    assert {m.name for m in OUTBOX_MUTANTS} == set(MUTANTS)
    assert_mutants_caught(lambda: None, OUTBOX_MUTANTS, OUTBOX_CHECKS)
