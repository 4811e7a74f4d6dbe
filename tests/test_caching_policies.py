"""Tests of the eviction policies (dslib.caching.policies) against their slow references."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.caching.policies import (
    POLICIES,
    POLICY_MUTANTS,
    ARCPolicy,
    LFUPolicy,
    TTLPolicy,
    count_hits,
    make_policy,
)
from dslib.caching.policy_checks import (
    POLICY_CHECKS,
    mutant_maker,
    policy_mutant_report,
    policy_mutant_table,
    policy_mutants,
    same_hits_as_reference,
)
from dslib.caching.reference import reference_policy, replay

NAMES = sorted(POLICIES)

operations = st.lists(
    st.tuples(st.sampled_from(["access"] * 9 + ["remove"]), st.integers(0, 7)), max_size=60
)


@pytest.mark.parametrize("name", NAMES)
@given(capacity=st.integers(1, 5), ops=operations)
def test_every_policy_gives_the_references_hits(name: str, capacity: int, ops: list) -> None:
    assert replay(make_policy(name, capacity), ops) == replay(reference_policy(name, capacity), ops)


@pytest.mark.parametrize("name", NAMES)
@given(
    capacity=st.integers(1, 4),
    ttl=st.sampled_from([1.0, 2.5, 4.0]),
    steps=st.lists(
        st.tuples(
            st.sampled_from(["access"] * 9 + ["remove"]),
            st.integers(0, 5),
            st.sampled_from([0.0, 0.5, 1.0, 2.0]),
        ),
        max_size=40,
    ),
)
def test_every_policy_with_a_ttl_gives_the_references_hits(
    name: str, capacity: int, ttl: float, steps: list
) -> None:
    ops = [(op, key) for op, key, _ in steps]
    times, now = [], 0.0
    for _, _, gap in steps:
        now += gap
        times.append(now)
    got = replay(make_policy(name, capacity, ttl=ttl), ops, times)
    assert got == replay(reference_policy(name, capacity, ttl=ttl), ops, times)


@pytest.mark.parametrize("name", NAMES)
@given(capacity=st.integers(1, 4), ops=operations, key=st.integers(0, 9))
def test_a_miss_changes_nothing_and_insert_reports_its_evictions(
    name: str, capacity: int, ops: list, key: int
) -> None:
    cache = make_policy(name, capacity)
    replay(cache, ops)
    before = sorted(cache.keys())
    if key in cache:
        return
    assert cache.lookup(key) is False
    assert sorted(cache.keys()) == before
    evicted = cache.insert(key)
    assert key in cache and len(cache) <= capacity
    assert all(k not in cache for k in evicted)
    assert sorted([*cache.keys(), *evicted]) == sorted([*before, key])
    assert len(evicted) == (1 if len(before) == capacity else 0)


def test_the_policies_differ_where_their_definitions_do() -> None:
    # worked by hand, capacity 2: after "aba", LRU evicts b for c (a was used last), FIFO
    # evicts a (it came first), CLOCK spares a (its bit is set) and evicts b
    trace = "abacab"
    results = {name: [make_policy(name, 2)] for name in ("lru", "fifo", "clock")}
    for name, (cache,) in results.items():
        results[name] = [cache.access(k) for k in trace]
    assert results == {
        "lru": [False, False, True, False, True, False],
        "fifo": [False, False, True, False, False, False],
        "clock": [False, False, True, False, True, False],
    }
    assert count_hits(make_policy("lfu", 1), "aab") == 1
    lru, fifo = make_policy("lru", 2), make_policy("fifo", 2)
    for k in "aba":
        lru.access(k)
        fifo.access(k)
    assert (lru.insert("c"), fifo.insert("c")) == (["b"], ["a"])


def test_lfu_ages_so_a_once_popular_key_leaves() -> None:
    cache = LFUPolicy(2)
    for _ in range(5):
        cache.access("old")
    # new keys start at the cache's age, which rises with each eviction
    for i in range(12):
        cache.access(f"new{i}")
        cache.access(f"new{i}")
    assert "old" not in cache
    assert cache.age > 5


def test_arc_keeps_keys_used_twice_through_a_scan_and_lru_does_not() -> None:
    working = list(range(50))
    scan = list(range(1000, 1200))
    trace = working * 3 + scan + working
    arc, lru = make_policy("arc", 100), make_policy("lru", 100)
    for cache in (arc, lru):
        for key in trace[: 150 + 200]:
            cache.access(key)
    assert all(k in arc for k in working)
    assert not any(k in lru for k in working)
    assert isinstance(arc, ARCPolicy) and len(arc.t2) == 50


def test_random_is_repeatable_and_its_seed_matters() -> None:
    trace = [i % 7 for i in range(0, 200, 3)] + list(range(30))
    runs = [count_hits(make_policy("random", 3, seed=s), trace) for s in (1, 1, 2, 3, 4)]
    assert runs[0] == runs[1]
    assert len(set(runs)) > 1


def test_ttl_expires_at_exactly_ttl_after_the_insert_and_hits_do_not_extend_it() -> None:
    cache = make_policy("lru", 3, ttl=10.0)
    assert isinstance(cache, TTLPolicy)
    assert cache.insert("k", now=5.0) == []
    assert cache.expires_at("k") == 15.0
    assert [cache.lookup("k", now=t) for t in (6.0, 14.99)] == [True, True]
    assert cache.lookup("k", now=15.0) is False
    assert "k" not in cache and cache.expires_at("k") is None
    assert cache.access("k", now=16.0) is False and cache.access("k", now=25.9) is True
    forever = make_policy("lru", 3, ttl=10.0, mutant="ttl_never_expires")
    forever.insert("k", now=0.0)
    assert forever.lookup("k", now=1e9) is True


def test_remove_invalidates_and_insert_refuses_a_cached_key() -> None:
    for name in NAMES:
        cache = make_policy(name, 2)
        cache.insert("a")
        with pytest.raises(ValueError, match="already cached"):
            cache.insert("a")
        assert cache.remove("a") is True and cache.remove("a") is False
        assert len(cache) == 0 and cache.lookup("a") is False


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: make_policy("lru", 0), ValueError, "capacity=0 must be at least 1"),
        (lambda: make_policy("lru", -3), ValueError, "capacity=-3 must be at least 1"),
        (lambda: make_policy("lru", 2.5), TypeError, "capacity must be a positive int"),
        (lambda: make_policy("lru", "10"), TypeError, "capacity must be a positive int"),
        (lambda: make_policy("lru", True), TypeError, "capacity must be a positive int"),
        (lambda: make_policy("LRU", 3), ValueError, "unknown policy 'LRU'; allowed: arc, clock"),
        (lambda: make_policy(None, 3), ValueError, "unknown policy None"),
        (lambda: make_policy("lru", 3, ttl=0), ValueError, "ttl=0 must be positive"),
        (lambda: make_policy("lru", 3, ttl="5"), TypeError, "ttl must be a positive number"),
        (lambda: make_policy("lru", 3, ttl=math.nan), TypeError, "ttl must be a positive"),
        (lambda: make_policy("lru", 3, seed=1), TypeError, "only 'random' takes a seed"),
        (lambda: make_policy("lru", 3, mutant="nope"), ValueError, "unknown mutant 'nope'"),
        (lambda: make_policy("fifo", 3, mutant="lru_no_refresh"), ValueError, "breaks 'lru'"),
        (lambda: make_policy("lru", 3, mutant="random_stale_index"), ValueError, "breaks 'random'"),
        (lambda: make_policy("lru", 3, mutant="ttl_never_expires"), ValueError, "needs a ttl"),
        (lambda: make_policy("random", 3, seed="x"), TypeError, "seed must be an int"),
        (lambda: make_policy("lru", 3, ttl=1.0).lookup("a"), TypeError, "needs the current"),
        (lambda: make_policy("lru", 3, ttl=1.0).insert("a", now="t"), TypeError, "now must be"),
        (lambda: replay(make_policy("lru", 1), [("get", 1)]), ValueError, "unknown operation"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_every_mutant_is_caught_by_its_named_checks_on_every_seed() -> None:
    report = policy_mutant_report(range(2))
    assert report.ok, report.problems()
    assert [m.name for m in report.mutants] == list(POLICY_MUTANTS)
    caught = {m.name: m.caught_by for m in report.mutants}
    assert caught == {
        "lru_no_refresh": ("same hits as the reference", "LRU agrees with Che"),
        "ttl_never_expires": ("same hits as the reference", "TTL bounds staleness"),
        "arc_ignores_ghosts": ("same hits as the reference",),
        # a TTL over the broken random cache also fails: its index claims keys it lost
        "random_stale_index": (
            "same hits as the reference",
            "TTL bounds staleness",
            "never beats MIN",
        ),
    }
    # the catch rate: every seed of 0..4 catches every mutant with each named check
    for mutant in caught:
        maker = mutant_maker(mutant)
        checks = next(m.caught_by for m in policy_mutants() if m.name == mutant)
        for check in checks:
            assert all(not POLICY_CHECKS[check](maker, seed).ok for seed in range(5)), (
                mutant,
                check,
            )


def test_the_mutant_table_shows_the_catch_rate() -> None:
    table = policy_mutant_table(range(1))
    assert table["caught in seeds"].tolist() == ["—", "1/1", "1/1", "1/1", "1/1"]
    assert table["caught by"].iloc[0] == "none: passes all 4 checks"


def test_the_reference_check_reports_the_shortest_prefix_that_differs() -> None:
    outcome = same_hits_as_reference(mutant_maker("lru_no_refresh"), seed=0)
    assert not outcome.ok
    assert outcome.detail.startswith("lru")
    assert outcome.counterexample_length is not None and outcome.counterexample_length >= 5
