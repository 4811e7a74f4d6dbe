"""dslib.caching.nodes and dslib.caching.patterns: the cache node, the five patterns, staleness."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.caching.nodes import (
    ID_SPACE,
    MUTANTS,
    PATTERNS,
    CacheConfig,
    CacheServer,
    CacheState,
    Get,
    Read,
    Set,
    Store,
    StoreReadReply,
    Write,
    WriteReply,
)
from dslib.caching.patterns import (
    PatternConfig,
    compare_patterns,
    lost_writes,
    measure,
    pattern_run,
    staleness,
    staleness_by_enumeration,
)
from dslib.caching.policies import make_policy
from dslib.core import NOTHING_PERSISTED, Context
from dslib.sim.history import History

IDS = ("cache", "store", "c0", "c1")


def call(node: CacheServer, state: CacheState, src: str, msg: object, now: float = 0.0):
    ctx = Context("cache", IDS, now=now)
    state = node.on_message(ctx, state, src, msg)
    return state, ctx


# -- the cache node -------------------------------------------------------------------------


@given(st.lists(st.integers(0, 6), max_size=60), st.integers(1, 4))
def test_the_bounded_cache_hits_exactly_when_the_lru_policy_does(trace, capacity) -> None:
    # C1's LRU policy is the oracle: the node's immutable LRU must make the same decisions.
    node = CacheServer(CacheConfig(pattern="cache-aside", capacity=capacity))
    policy = make_policy("lru", capacity)
    state = CacheState()
    for key in trace:
        state, ctx = call(node, state, "c0", Get(key, 1))
        hit = ctx.sent[0][1].version is not None
        assert hit == policy.access(key)
        if not hit:
            state, _ = call(node, state, "c0", Set(key, 0))
        assert sorted(k for k, _ in state.entries) == sorted(policy.keys())


def test_an_entry_expires_ttl_after_it_is_cached() -> None:
    node = CacheServer(CacheConfig(pattern="cache-aside", ttl=10.0))
    state, _ = call(node, CacheState(), "c0", Set(0, 3), now=5.0)
    _, ctx = call(node, state, "c0", Get(0, 1), now=14.9)
    assert ctx.sent[0][1].version == 3
    _, ctx = call(node, state, "c0", Get(0, 1), now=15.0)
    assert ctx.sent[0][1].version is None


def test_write_back_persists_before_it_acknowledges_and_recovers_the_dirty_writes() -> None:
    node = CacheServer(CacheConfig(pattern="write-back"))
    _state, ctx = call(node, CacheState(), "c0", Write(2, 7, req=1))
    assert ctx.persisted == (0, ((2, 7),)) and ctx.sent == [("c0", WriteReply(2, 7, 1))]
    recovered = node.on_recover(Context("cache", IDS), ctx.persisted)
    assert recovered.dirty == ((2, 7),) and recovered.version(2) == 7
    assert recovered.epoch == 1 and recovered.next_id == ID_SPACE + 1  # new ids after a crash


def test_the_ack_before_durable_mutant_acknowledges_with_nothing_persisted() -> None:
    node = CacheServer(CacheConfig(pattern="write-back", mutant="ack_before_durable"))
    _, ctx = call(node, CacheState(), "c0", Write(2, 7, req=1))
    assert ctx.sent == [("c0", WriteReply(2, 7, 1))]
    assert ctx.persisted is NOTHING_PERSISTED


def test_a_fill_does_not_overwrite_a_dirty_write_back_entry() -> None:
    node = CacheServer(CacheConfig(pattern="write-back"))
    state, _ = call(node, CacheState(), "c0", Read(1, req=1))  # miss: a fill starts
    state, _ = call(node, state, "c1", Write(1, 5, req=1))
    state, ctx = call(node, state, "store", StoreReadReply(1, state.fills[0].id, 0))
    assert state.version(1) == 5
    assert [m.version for _, m in ctx.sent] == [0]  # the waiting reader gets what it asked


def test_bad_configurations_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="pattern='write-sideways'; allowed"):
        CacheConfig(pattern="write-sideways")
    with pytest.raises(ValueError, match="capacity=0 must be an int >= 1"):
        CacheConfig(capacity=0)
    with pytest.raises(ValueError, match="ttl=-1"):
        CacheConfig(ttl=-1)
    with pytest.raises(ValueError, match="unknown mutant 'typo'"):
        CacheConfig(mutant="typo")
    with pytest.raises(ValueError, match="fill='all'; allowed"):
        CacheConfig(fill="all")
    with pytest.raises(ValueError, match="keys=0 must be an int >= 1"):
        Store(keys=0)
    with pytest.raises(ValueError, match="read_fraction=1.5"):
        PatternConfig(read_fraction=1.5)
    with pytest.raises(ValueError, match="zipf='a'"):
        PatternConfig(zipf="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a CacheConfig"):
        CacheServer("lru")  # type: ignore[arg-type]
    assert set(MUTANTS) == {
        "lease_not_invalidated",
        "ack_before_durable",
        "two_fills",
        "tokens_restart",
    }


# -- staleness: the checker and its oracle ---------------------------------------------------


@st.composite
def histories(draw: st.DrawFn) -> History:
    # one writer per key writing versions 1, 2, ... one at a time; readers at random times
    events = []
    for key in range(draw(st.integers(1, 2))):
        t = 0.0
        for version in range(1, draw(st.integers(0, 4)) + 1):
            t += draw(st.integers(1, 5))
            end = t + draw(st.integers(0, 3))
            events.append((f"w{key}", "invoke", "write", version, t, key))
            events.append(
                (f"w{key}", "ok" if draw(st.booleans()) else "info", "write", version, end, key)
            )
            t = end
    for i in range(draw(st.integers(0, 6))):
        start = float(draw(st.integers(0, 30)))
        key = draw(st.integers(0, 1))
        events.append((f"r{i}", "invoke", "read", None, start, key))
        events.append((f"r{i}", "ok", "read", draw(st.integers(0, 4)), start + 1, key))
    order = {"invoke": 0, "ok": 1, "info": 1}
    events.sort(key=lambda e: (e[4], order[e[1]], e[0]))
    return History(events)


@given(histories())
def test_staleness_agrees_with_the_brute_force_oracle(history: History) -> None:
    assert staleness(history) == staleness_by_enumeration(history)


def test_staleness_counts_a_read_of_an_overwritten_version() -> None:
    h = History(
        [
            ("w", "invoke", "write", 1, 0.0, "x"),
            ("w", "ok", "write", 1, 2.0, "x"),
            ("r", "invoke", "read", None, 5.0, "x"),
            ("r", "ok", "read", 0, 6.0, "x"),
            ("r", "invoke", "read", None, 7.0, "x"),
            ("r", "ok", "read", 1, 8.0, "x"),
        ]
    )
    s = staleness(h)
    assert (s.reads, s.stale, s.ages, s.fraction) == (2, 1, (3.0,), 0.5)


# -- the patterns ---------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_measurements() -> None:
    config = PatternConfig(pattern="cache-aside", ttl=50.0, duration=300.0)
    assert measure(pattern_run(config, seed=4)) == measure(pattern_run(config, seed=4))
    assert measure(pattern_run(config, seed=4)) != measure(pattern_run(config, seed=5))


def test_write_back_acknowledges_fastest_and_loses_nothing_when_it_persists() -> None:
    df = compare_patterns([0], duration=400.0, ttl=100.0, crash=(200.0, 230.0))
    assert list(df.index) == list(PATTERNS)
    assert df.loc["write-back", "write p50"] < df.loc["write-through", "write p50"] / 3
    assert (df["lost writes"] == 0).all()


@pytest.mark.parametrize("seed", range(3))
def test_write_back_that_acknowledges_before_durable_loses_writes_on_a_crash(seed: int) -> None:
    # the same runs as checks.no_lost_acknowledged_write (its catch rate: checks.catch_rate)
    good = PatternConfig(pattern="write-back", read_fraction=0.5, duration=320.0)
    bad = PatternConfig(
        pattern="write-back", read_fraction=0.5, duration=320.0, mutant="ack_before_durable"
    )
    assert lost_writes(pattern_run(good, seed, crash=(300.0, 330.0))) == 0
    assert lost_writes(pattern_run(bad, seed, crash=(300.0, 330.0))) > 0


def test_write_around_leaves_stale_entries_until_they_expire() -> None:
    config = PatternConfig(pattern="write-around", ttl=40.0, duration=400.0)
    sim = pattern_run(config, seed=0)
    st_ = staleness(sim.history)
    assert st_.stale > 0 and st_.max_age <= 40.0 + sim.states["cache"].max_fill_age


def test_pattern_run_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="crash"):
        pattern_run(PatternConfig(duration=10.0), crash=(5.0, 1.0))
    with pytest.raises(ValueError, match="latency"):
        pattern_run(PatternConfig(duration=10.0), latency=0)
    assert math.isnan(
        measure(pattern_run(PatternConfig(read_fraction=1.0, duration=20.0)))["write p50"]
    )
