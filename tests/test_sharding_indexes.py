"""Secondary indexes (dslib.sharding.indexes): local versus global, the check and its mutants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.mutants import assert_mutants_caught
from dslib.sharding.indexes import (
    IndexShardState,
    apply_index_set,
    index_agrees,
    index_checks,
    index_disagreements,
    index_lag,
    index_mutants,
    index_shard,
    missed_own_writes,
    query_costs,
    run_index,
)

SHARDS = ("s1", "s2", "s3")
DOCS = st.sampled_from(["car1", "car2", "car3"])
TERMS = st.sampled_from(["red", "blue", "green"])
ROWS = st.lists(st.tuples(DOCS, st.integers(1, 3), TERMS), max_size=4, unique_by=lambda r: r[0])


def oracle(states: dict[str, IndexShardState], mode: str) -> list[str]:
    """Brute force: for every term and document, is it listed exactly when its data says so?"""
    docs = sorted({d for s in states.values() for d, _, _ in (*s.data, *s.index)})
    terms = sorted({t for s in states.values() for _, _, t in (*s.data, *s.index)})
    bad = []
    for term in terms:
        wrong = False
        for doc in docs:
            has = any(d == doc and t == term for s in states.values() for d, _, t in s.data)
            listed = any(
                d == doc and t == term and (mode == "local" or index_shard(term, SHARDS) == name)
                for name, s in states.items()
                for d, _, t in s.index
            )
            wrong = wrong or has != listed
        if wrong:
            bad.append(term)
    return bad


@given(
    st.fixed_dictionaries({s: st.tuples(ROWS, ROWS) for s in SHARDS}),
    st.sampled_from(["local", "global"]),
)
def test_the_check_agrees_with_a_brute_force_oracle(
    rows: dict[str, tuple[list, list]], mode: str
) -> None:
    # Each document lives on one shard only (its data shard).
    seen: set[str] = set()
    states = {}
    for name, (data, index) in rows.items():
        data = [r for r in data if r[0] not in seen]
        seen |= {r[0] for r in data}
        states[name] = IndexShardState(tuple(sorted(data)), tuple(sorted(index)))
    got = [line.split(":")[0] for line in index_disagreements(states, mode, SHARDS)]
    assert got == oracle(states, mode)


@given(st.lists(st.tuples(DOCS, st.integers(1, 4), TERMS), min_size=1, max_size=8), st.randoms())
def test_index_updates_in_any_order_leave_the_newest_version(updates: list, rnd: object) -> None:
    term_of = {}
    for doc, v, term in updates:
        term_of.setdefault((doc, v), term)
    updates = [(d, v, term_of[(d, v)]) for d, v, _ in updates]
    shuffled = list(updates)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a: tuple = ()
    b: tuple = ()
    for u in updates:
        a = apply_index_set(a, *u)
    for u in shuffled + shuffled[:2]:  # another order, some twice
        b = apply_index_set(b, *u)
    newest = {d: max(v for dd, v, _ in updates if dd == d) for d, _, _ in updates}
    assert a == b == tuple(sorted((d, v, term_of[(d, v)]) for d, v in newest.items()))


@pytest.mark.parametrize("mode", ["local", "global"])
def test_the_correct_indexes_agree_with_the_data_once_quiet(mode: str) -> None:
    for seed in (1, 2):
        check = index_agrees(run_index(mode, seed=seed, loss=0.1))
        assert check.verdict == "ok", check.detail


def test_a_run_that_is_not_quiet_is_unknown_never_ok() -> None:
    run = run_index("global", seed=1, rounds=8, until=6.0)
    check = index_agrees(run)
    assert check.verdict == "unknown" and not check.ok and "not quiet" in check.detail


def test_a_local_query_scatters_to_every_shard_a_global_one_asks_one() -> None:
    local = query_costs(run_index("local", seed=1, shards=4))
    glob = query_costs(run_index("global", seed=1, shards=4))
    assert local and {m for _, m in local} == {8}
    assert glob and {m for _, m in glob} == {2}


def test_the_global_index_lags_and_a_client_can_miss_its_own_write() -> None:
    lags = [lag for seed in (2, 3) for lag in index_lag(run_index("global", seed=seed))]
    assert all(lag is not None and lag > 0 for lag in lags)
    missed = [missed_own_writes(run_index("global", seed=s)) for s in (2, 3, 5)]
    assert sum(m for m, _ in missed) > 0
    assert index_lag(run_index("local", seed=2)) == [0.0] * 12
    assert missed_own_writes(run_index("local", seed=2))[0] == 0


def test_every_mutant_is_caught_by_its_named_check() -> None:
    assert_mutants_caught(lambda: None, index_mutants(), index_checks())


def test_a_lost_update_is_caught_in_some_seeds_only() -> None:
    verdicts = [
        index_agrees(
            run_index("global", s, clients=2, rounds=8, docs=4, loss=0.1, mutant="no_resend")
        ).verdict
        for s in range(1, 11)
    ]
    assert verdicts.count("violated") >= 2 and set(verdicts) <= {"ok", "violated"}


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: run_index("remote"), "allowed: local, global"),
        (lambda: run_index("local", shards=0), "shards=0"),
        (lambda: run_index("global", mutant="nope"), "nope"),
        (lambda: index_checks(seeds=[]), "at least one seed"),
        (lambda: index_disagreements({}, "both", SHARDS), "allowed"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, words: str) -> None:
    with pytest.raises((ValueError, TypeError), match=words):
        call()  # type: ignore[operator]


def test_runs_are_repeatable() -> None:
    a = run_index("global", seed=4, loss=0.1)
    b = run_index("global", seed=4, loss=0.1)
    assert a.logs() == b.logs() and index_lag(a) == index_lag(b)
