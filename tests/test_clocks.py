"""Tests of dslib.clocks: Lamport, vector and hybrid logical clocks against the true
happens-before relation of random runs, the lattice laws of vector clocks, and Cristian
synchronisation against its error bound."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.clocks import (
    CLOCK_CHECKS,
    HLC_CHECKS,
    HLC_MUTANT_CHECKS,
    HLC_MUTANTS,
    MUTANT_CHECKS,
    MUTANTS,
    SYNC_CHECKS,
    SYNC_MUTANT_CHECKS,
    SYNC_MUTANTS,
    VERSION_CHECKS,
    VERSION_MUTANT_CHECKS,
    VERSION_MUTANTS,
    ClockEvent,
    HybridLogicalClock,
    LamportClock,
    SyncClient,
    VectorClock,
    _first_broken,
    check_clock_conditions,
    check_hlc,
    clock_catch_rate,
    clock_events,
    clock_mutant_report,
    clock_mutant_table,
    clock_reading,
    clock_run,
    compare_vectors,
    happens_before,
    hlc_catch_rate,
    hlc_mutant_report,
    hlc_mutant_table,
    largest_skew,
    measured_duration,
    ntp_offset_delay,
    probe_rounds,
    server_put,
    sibling_run,
    sync_catch_rate,
    sync_check_run,
    sync_error_series,
    sync_errors,
    sync_mutant_report,
    sync_mutant_table,
    sync_run,
    time_of_day,
    version_catch_rate,
    version_mutant_report,
    version_mutant_table,
    version_operations,
)
from dslib.sim import exponential, uniform

NODES = ("a", "b", "c")
vectors = st.builds(
    VectorClock, st.dictionaries(st.sampled_from(NODES), st.integers(0, 4), max_size=3)
)
FAST = settings(max_examples=60, deadline=None, database=None)


# -- vector clocks: a lattice ----------------------------------------------------------------------
@FAST
@given(vectors, vectors)
def test_compare_is_antisymmetric_and_agrees_with_the_operators(
    a: VectorClock, b: VectorClock
) -> None:
    flip = {"before": "after", "after": "before", "equal": "equal", "concurrent": "concurrent"}
    assert b.compare(a) == flip[a.compare(b)]
    assert (a < b) == (a.compare(b) == "before")
    assert (a <= b) == (a < b or a == b)
    assert (a >= b) == (b <= a) and (a > b) == (b < a)
    assert a.concurrent_with(b) == (not a <= b and not b <= a)


@FAST
@given(vectors, vectors, vectors)
def test_merge_is_the_least_upper_bound(a: VectorClock, b: VectorClock, c: VectorClock) -> None:
    m = a.merge(b)
    assert m == b.merge(a) and a.merge(a) == a
    assert a.merge(b.merge(c)) == m.merge(c)
    assert a <= m and b <= m
    if a <= c and b <= c:
        assert m <= c


@FAST
@given(vectors, st.sampled_from(NODES))
def test_increment_moves_strictly_forward(a: VectorClock, node: str) -> None:
    assert a < a.increment(node)
    assert a.increment(node).get(node) == a.get(node) + 1


def test_vector_clock_is_canonical_and_validates() -> None:
    assert VectorClock({"b": 1, "a": 0}) == VectorClock([("b", 1)])
    assert repr(VectorClock({"b": 2, "a": 1})) == "VectorClock({'a': 1, 'b': 2})"
    assert hash(VectorClock({"a": 1, "z": 0})) == hash(VectorClock({"a": 1}))
    with pytest.raises(ValueError, match="must be an int >= 0"):
        VectorClock({"a": -1})
    with pytest.raises(TypeError, match="must be a string"):
        VectorClock({1: 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="two mappings"):
        compare_vectors([("a", 1)], {"a": 1})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a VectorClock"):
        VectorClock().merge({"a": 1})  # type: ignore[arg-type]


def test_lamport_and_hlc_rules() -> None:
    assert LamportClock(2).tick() == LamportClock(3)
    assert LamportClock(5).receive(2) == LamportClock(6)
    assert LamportClock(1).receive(9) == LamportClock(10)
    with pytest.raises(ValueError):
        LamportClock(0).receive(-3)
    h = HybridLogicalClock(10.0, 2)
    assert h.send(9.0) == HybridLogicalClock(10.0, 3)  # the physical clock is behind l
    assert h.send(11.0) == HybridLogicalClock(11.0, 0)
    assert h.receive(HybridLogicalClock(10.0, 5), 3.0) == HybridLogicalClock(10.0, 6)
    assert h.receive(HybridLogicalClock(12.0, 5), 3.0) == HybridLogicalClock(12.0, 6)
    assert h.receive(HybridLogicalClock(12.0, 5), 20.0) == HybridLogicalClock(20.0, 0)
    with pytest.raises(ValueError, match="finite number"):
        h.send(float("nan"))


# -- the clocks against the true happens-before relation -------------------------------------------
@settings(max_examples=15, deadline=None, database=None)
@given(
    st.integers(2, 4),
    st.integers(1, 5),
    st.integers(0, 10_000),
    st.lists(st.tuples(st.floats(0, 40), st.floats(0.9, 1.1)), min_size=4, max_size=4),
)
def test_clock_conditions_hold_on_random_runs(
    nodes: int, steps: int, seed: int, skews: list[tuple[float, float]]
) -> None:
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    skew = {node: (offset, rate) for node, (offset, rate) in zip(ids, skews, strict=False)}
    sim = clock_run(nodes, steps, seed, latency=uniform(0.5, 6.0), skews=skew)
    events = clock_events(sim)
    result = check_clock_conditions(events)
    for name in ("lamport respects ->", "vector respects ->", "vector characterises ->"):
        assert result[name][0] == 0, (name, result[name])
    assert result["hlc respects ->"][0] == 0
    # HLC stays within the clock skew of the node's own physical clock (Theorem 2 of the paper):
    # the largest difference between two clocks over the run is at its start or its end.
    readings = [[clock_reading(sim.trace, n, t) for n in ids] for t in (0.0, sim.now)]
    epsilon = max(max(r) - min(r) for r in readings)
    for e in events:
        assert -1e-6 <= e.hlc.l - e.physical <= epsilon + 1e-6


def test_lamport_clocks_do_not_characterise_happens_before() -> None:
    events = clock_events(clock_run(nodes=3, steps=5, seed=4))
    count, (a, b) = check_clock_conditions(events)["lamport characterises ->"]
    by_id = {e.id: e for e in events}
    assert count > 0
    assert by_id[a].lamport < by_id[b].lamport
    assert by_id[a].vector.concurrent_with(by_id[b].vector)


def test_happens_before_is_a_strict_partial_order() -> None:
    events = clock_events(clock_run(nodes=3, steps=4, seed=9))
    hb = happens_before(events)
    ids = [e.id for e in events]
    assert all((x, x) not in hb for x in ids)
    for x, y, z in itertools.permutations(ids, 3):
        if (x, y) in hb and (y, z) in hb:
            assert (x, z) in hb
    receives = [e for e in events if e.kind == "receive"]
    assert receives and all((e.cause, e.id) in hb for e in receives)


def test_a_clock_that_forgets_to_merge_breaks_the_condition() -> None:
    # The check must be able to fail: stamp receives without merging the sender's vector.
    events = clock_events(clock_run(nodes=3, steps=5, seed=4))
    broken = []
    for e in events:
        if e.kind == "receive":
            own = [x for x in events if x.node == e.node and x.index < e.index]
            base = own[-1].vector if own else VectorClock()
            e = type(e)(**{**e.__dict__, "vector": base.increment(e.node)})
        broken.append(e)
    assert check_clock_conditions(broken)["vector respects ->"][0] > 0


def test_clock_run_is_deterministic_and_validates() -> None:
    a = clock_events(clock_run(nodes=3, seed=5))
    b = clock_events(clock_run(nodes=3, seed=5))
    assert a == b and a != clock_events(clock_run(nodes=3, seed=6))
    with pytest.raises(ValueError, match="nodes"):
        clock_run(nodes=0)


# -- physical clocks and Cristian's algorithm ----------------------------------------------------
@settings(max_examples=20, deadline=None, database=None)
@given(st.floats(-100, 100), st.integers(0, 1000), st.integers(1, 3))
def test_cristian_error_is_within_half_the_round_trip(
    offset: float, seed: int, probes: int
) -> None:
    sim = sync_run(
        offset=offset, latency=exponential(4.0, minimum=0.5), probes=probes, until=300, seed=seed
    )
    samples = sync_errors(sim)
    assert samples
    assert all(s.within_bound for s in samples), [s for s in samples if not s.within_bound]


@settings(max_examples=20, deadline=None, database=None)
@given(st.floats(0.95, 1.05), st.floats(0.95, 1.05), st.integers(0, 1000))
def test_with_drift_the_bound_grows_by_the_rate_difference(
    rate: float, server_rate: float, seed: int
) -> None:
    sim = sync_run(rate=rate, server_rate=server_rate, latency=uniform(1, 9), seed=seed)
    for s in sync_errors(sim):
        # error in [delay/2 - (rs/rc) delay, delay/2]: derived in SyncSample's docs.
        assert s.error <= s.delay / 2 + 1e-9
        assert s.error >= s.delay / 2 - (server_rate / rate) * s.delay - 1e-9


@settings(max_examples=20, deadline=None, database=None)
@given(st.floats(0, 10), st.floats(0, 10), st.floats(-100, 100), st.integers(1, 3))
def test_unequal_legs_leave_half_their_difference(
    request: float, reply: float, offset: float, probes: int
) -> None:
    """Cristian's analysis: the error is (request latency - reply latency) / 2, 0 when equal."""
    sim = sync_run(
        offset=offset, request_latency=request, reply_latency=reply, probes=probes, until=200.0
    )
    samples = sync_errors(sim)
    assert len(samples) >= 2
    for s in samples:
        assert s.delay == pytest.approx(request + reply, abs=1e-9)
        assert s.error == pytest.approx((request - reply) / 2, abs=1e-9)
    same = sync_errors(sync_run(offset=offset, request_latency=reply, reply_latency=reply))
    assert all(s.error == pytest.approx(0.0, abs=1e-9) for s in same)


def test_requests_and_replies_each_draw_their_own_latency() -> None:
    """With random latencies and several probes, every message takes its own direction's delay,
    and each synchronisation's error is half the difference of its winning probe's two legs."""
    sim = sync_run(
        request_latency=uniform(10, 11), reply_latency=exponential(0.5), probes=3, seed=4
    )
    sent: dict[int, float] = {}
    legs: dict[str, list[float]] = {"client": [], "server": []}
    for e in sim.trace:
        if e.kind == "send":
            assert e.ref is not None
            sent[e.ref] = e.time
        elif e.kind == "deliver":
            assert e.ref is not None and e.peer is not None
            legs[e.peer].append(e.time - sent[e.ref])
    assert len(legs["client"]) == len(legs["server"]) >= 15
    assert all(10 <= d <= 11 for d in legs["client"])
    assert all(d < 10 for d in legs["server"])
    for s in sync_errors(sim):
        # the legs of the winning probe: delay = request + reply, error = (request - reply) / 2
        request = s.delay / 2 + s.error
        assert 10 - 1e-9 <= request <= 11 + 1e-9


def test_per_direction_latency_is_validated() -> None:
    with pytest.raises(TypeError, match="latency must be"):
        sync_run(request_latency="fast")  # type: ignore[arg-type]


def test_without_compensation_the_client_lags_by_the_reply_latency() -> None:
    sim = sync_run(offset=50.0, latency=3.0, mutant="no_half_rtt", until=100.0)
    errors = {round(s.error, 9) for s in sync_errors(sim)}
    assert errors == {-3.0}
    sim = sync_run(offset=50.0, latency=3.0, until=100.0)
    assert {round(s.error, 9) for s in sync_errors(sim)} == {0.0}
    # the old spelling still works, with a warning
    with pytest.warns(DeprecationWarning, match="mutant='no_half_rtt'"):
        old = sync_run(offset=50.0, latency=3.0, compensate=False, until=100.0)
    assert {round(s.error, 9) for s in sync_errors(old)} == {-3.0}
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="not both"):
        SyncClient(compensate=False, mutant="full_rtt")


# -- the broken synchronising clients, and the checks that catch them ----------------------------
@pytest.mark.parametrize(
    ("mutant", "error"),
    [
        (None, (1.0 - 7.0) / 2),  # half the legs' difference
        ("no_half_rtt", -7.0),  # the reply's whole latency behind
        ("minus_half_rtt", -4.0 - 7.0),  # half the round trip less again
        ("full_rtt", 1.0),  # the request's latency ahead
        ("ntp_offset_sign", 2 * 30.0 - (1.0 - 7.0) / 2),  # the offset corrected the wrong way
    ],
)
def test_each_broken_formula_leaves_the_error_worked_out_by_hand(
    mutant: str | None, error: float
) -> None:
    """Constant legs of 1 and 7, a client 30 ahead: each formula's error in closed form."""
    sim = sync_run(offset=30.0, request_latency=1.0, reply_latency=7.0, until=100.0, mutant=mutant)
    samples = sync_errors(sim)
    assert len(samples) == 2
    assert all(s.error == pytest.approx(error, abs=1e-9) for s in samples), samples


def test_probe_rounds_reads_the_legs_the_client_measured() -> None:
    # the oracle reads the trace; on the correct client, each round's fastest probe's round
    # trip is the delay the client measured, and its error is half the legs' difference
    sim = sync_run(offset=-20.0, latency=exponential(4.0, minimum=0.5), probes=3, seed=7)
    rounds = probe_rounds(sim)
    samples = sync_errors(sim)
    assert len(rounds) == len(samples) >= 5 and all(len(r) == 3 for r in rounds)
    for probes, s in zip(rounds, samples, strict=True):
        request, reply = min(probes, key=sum)
        assert s.delay == pytest.approx(request + reply, abs=1e-9)
        assert s.error == pytest.approx((request - reply) / 2, abs=1e-9)
    with pytest.raises(ValueError, match="true rate"):
        _first_broken(sync_run(rate=1.01, until=100.0))  # with drift the bound is not RTT/2


def test_every_sync_mutant_is_caught_by_its_named_checks_in_every_run() -> None:
    report = sync_mutant_report(seeds=20)
    assert report.problems() == []
    for name, checks in SYNC_MUTANT_CHECKS.items():
        for check in checks:
            caught, runs, fewest = sync_catch_rate(name, check, range(20))
            assert caught == runs == 20 and fewest == 1, f"{name} by {check}: {caught} of {runs}"
    assert sync_catch_rate("last_probe", "error within RTT/2", range(20))[0] == 0  # bound blind
    for check in SYNC_CHECKS:
        assert sync_catch_rate(None, check, range(20)) == (0, 20, None)
    table = sync_mutant_table(seeds=4)
    assert list(table["mutant"]) == ["correct version", *SYNC_MUTANTS]
    assert table["runs caught by its check"].iloc[0] == "0 of 4"


def test_sync_mutants_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown mutant 'half_rtt'.*no_half_rtt"):
        SyncClient(mutant="half_rtt")
    with pytest.raises(ValueError, match="unknown mutant"):
        sync_run(mutant="half_rtt")
    with pytest.raises(ValueError, match="unknown check"):
        sync_catch_rate(None, "error is small", range(2))
    with pytest.raises(ValueError, match="seeds"):
        sync_mutant_report(seeds=0)
    assert sync_errors(sync_check_run(3)) == sync_errors(sync_check_run(3))


def test_drift_between_synchronisations_grows_linearly() -> None:
    sim = sync_run(rate=1.02, latency=1.0, period=40.0, until=200.0)
    series = dict(sync_error_series(sim, step=1.0))
    syncs = [s.time for s in sync_errors(sim)]
    t0 = syncs[1]
    # Between two syncs the error grows by 0.02 per unit of true time.
    assert series[float(int(t0) + 10)] - series[float(int(t0) + 5)] == pytest.approx(0.1)
    assert max(abs(e) for _, e in sync_error_series(sim)) < 0.02 * 45 + 1


def test_ntp_formulas_and_validation() -> None:
    assert ntp_offset_delay(0.0, 15.0, 16.0, 4.0) == (13.5, 3.0)
    with pytest.raises(ValueError, match="before the request"):
        ntp_offset_delay(10.0, 1.0, 1.0, 5.0)
    with pytest.raises(ValueError, match="period"):
        SyncClient(period=0)
    with pytest.raises(ValueError, match="probes"):
        SyncClient(probes=0)
    with pytest.raises(ValueError, match="rate"):
        sync_run(rate=0)
    with pytest.raises(ValueError, match="not a SyncClient"):
        sync_errors(sync_run(until=10.0), client="server")


# -- the mutants of the receive rules, and the checker against a brute-force oracle ---------------
def _brute_force_happens_before(
    events: list[ClockEvent],
) -> set[tuple[tuple[str, int], tuple[str, int]]]:
    """Lamport's three rules applied until nothing changes (Warshall-free, quadratic per round)."""
    ids = [e.id for e in events]
    rel = {(a.id, b.id) for a in events for b in events if a.node == b.node and a.index < b.index}
    rel |= {(e.cause, e.id) for e in events if e.cause is not None}
    while True:
        more = {(a, c) for (a, b) in rel for c in ids if (b, c) in rel} - rel
        if not more:
            return rel
        rel |= more


@settings(max_examples=12, deadline=None, database=None)
@given(
    st.integers(2, 3),
    st.integers(1, 3),
    st.integers(0, 10_000),
    st.sampled_from([None, *sorted(MUTANTS)]),
)
def test_the_checker_agrees_with_a_brute_force_oracle(
    nodes: int, steps: int, seed: int, mutant: str | None
) -> None:
    events = clock_events(
        clock_run(
            nodes, steps, seed, latency=uniform(0.5, 6.0), skews={"p1": (7.0, 1.0)}, mutant=mutant
        )
    )
    hb = _brute_force_happens_before(events)
    assert happens_before(events) == hb
    expected = {name: 0 for name in CLOCK_CHECKS}
    for a in events:
        for b in events:
            if a.id == b.id:
                continue
            before = (a.id, b.id) in hb
            expected["lamport respects ->"] += before and not a.lamport < b.lamport
            v_less = all(a.vector.get(n) <= b.vector.get(n) for n in ("p1", "p2", "p3")) and (
                a.vector != b.vector
            )
            expected["vector respects ->"] += before and not v_less
            expected["vector characterises ->"] += v_less and not before
            expected["hlc respects ->"] += before and not (a.hlc.l, a.hlc.c) < (b.hlc.l, b.hlc.c)
    result = check_clock_conditions(events)
    assert {name: result[name][0] for name in CLOCK_CHECKS} == expected


def test_every_clock_mutant_is_caught_by_its_named_check_in_nearly_every_run() -> None:
    report = clock_mutant_report(seeds=20)
    assert report.problems() == []
    for name, checks in MUTANT_CHECKS.items():
        caught, runs, fewest = clock_catch_rate(name, checks[0], range(20))
        assert caught >= 19 and runs == 20 and fewest is not None, (name, caught)
    for check in CLOCK_CHECKS:
        assert clock_catch_rate(None, check, range(20))[0] == 0
    table = clock_mutant_table(seeds=4)
    assert list(table["mutant"]) == ["correct version", *sorted(MUTANTS)]


def test_clock_mutants_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown mutant 'no_clocks'"):
        clock_run(mutant="no_clocks")
    with pytest.raises(ValueError, match="unknown check"):
        clock_catch_rate(None, "lamport characterises ->", range(2))
    with pytest.raises(ValueError, match="seeds"):
        clock_mutant_report(seeds=0)


# -- time-of-day and monotonic clocks ------------------------------------------------------------
@settings(max_examples=15, deadline=None, database=None)
@given(st.floats(-200.0, 200.0), st.floats(0.95, 1.05), st.integers(0, 1000))
def test_a_monotonic_duration_is_never_negative_and_a_stepped_one_includes_every_step(
    offset: float, rate: float, seed: int
) -> None:
    sim = sync_run(offset=offset, rate=rate, latency=uniform(0.5, 3.0), until=200.0, seed=seed)
    syncs = sim.states["client"].syncs
    for start, end in [(0.0, 50.0), (10.0, 150.0), (0.0, 200.0)]:
        measured = measured_duration(sim, start, end)
        assert measured["true"] == end - start
        assert measured["monotonic"] == pytest.approx(rate * (end - start))
        # the time-of-day clock adds every step: the corrections in force at end and at start
        steps = time_of_day(sim, end) - clock_reading(sim.trace, "client", end)
        steps -= time_of_day(sim, start) - clock_reading(sim.trace, "client", start)
        assert measured["time of day"] == pytest.approx(measured["monotonic"] + steps)
    assert syncs  # at least one synchronisation happened
    # a client that starts far ahead is stepped back: a duration across it goes negative
    if offset > 60:
        first = next(
            e.time
            for e in sim.trace
            if e.node == "client"
            and e.kind == "state"
            and getattr(e.data, "correction", 0.0) != 0.0
        )
        assert measured_duration(sim, 0.0, first)["time of day"] < 0


def test_clock_readings_are_validated() -> None:
    sim = sync_run(until=20.0)
    with pytest.raises(ValueError, match="between 0 and"):
        time_of_day(sim, 30.0)
    with pytest.raises(ValueError, match="start <= end"):
        measured_duration(sim, 5.0, 1.0)


# -- version vectors and dotted version vectors ----------------------------------------------------
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("get"), st.sampled_from(["c1", "c2", "c3"])),
        st.tuples(st.just("put"), st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 99)),
    ),
    max_size=12,
)


@settings(max_examples=80, deadline=None, database=None)
@given(OPERATIONS)
def test_dotted_version_vectors_keep_exactly_what_the_clients_had_not_seen(
    operations: list[tuple[Any, ...]],
) -> None:
    kept, reference = sibling_run(operations, "dotted version vector")
    assert kept == reference


def test_per_server_version_vectors_lose_concurrent_updates() -> None:
    # The check can fail: the version-vector scheme discards a put that its writer's
    # concurrent rival never saw, in some random sequences.
    lost = 0
    for seed in range(40):
        ops: list[tuple[Any, ...]] = []
        draw = random.Random(seed)
        for _ in range(10):
            client = draw.choice(["c1", "c2", "c3"])
            ops.append(("get", client) if draw.random() < 0.5 else ("put", client, len(ops)))
        kept, reference = sibling_run(ops, "version vector")
        assert set(kept) <= set(reference)  # it never keeps too much, only too little
        lost += kept != reference
    assert lost >= 10, lost
    with pytest.raises(ValueError, match="unknown scheme"):
        sibling_run([("put", "c1", 1)], "lamport")
    with pytest.raises(ValueError, match="must be"):
        sibling_run([("delete", "c1")])


def test_every_version_mutant_is_caught_by_its_named_check_in_nearly_every_run() -> None:
    # the checks compare the dotted put with sibling_run's exact reference (the oracle)
    report = version_mutant_report(seeds=40)
    assert report.problems() == []
    for name, checks in VERSION_MUTANT_CHECKS.items():
        caught, runs, fewest = version_catch_rate(name, checks[0], range(40))
        assert caught >= 38 and runs == 40 and fewest is not None, (name, caught)
        other = next(c for c in VERSION_CHECKS if c != checks[0])
        assert version_catch_rate(name, other, range(40))[0] == 0  # only its own check
    for check in VERSION_CHECKS:
        assert version_catch_rate(None, check, range(40))[0] == 0
    table = version_mutant_table(seeds=4)
    assert list(table["mutant"]) == ["correct version", *VERSION_MUTANTS]


def test_version_mutants_are_validated() -> None:
    v1, n = server_put((), 0, "v1", VectorClock())
    with pytest.raises(ValueError, match="unknown mutant"):
        server_put(v1, n, "x", VectorClock(), mutant="lose_everything")
    with pytest.raises(ValueError, match="breaks the dotted scheme"):
        server_put(v1, n, "x", VectorClock(), scheme="version vector", mutant="keep_seen")
    with pytest.raises(ValueError, match="unknown check"):
        version_catch_rate(None, "converges", range(2))
    with pytest.raises(ValueError, match="seeds"):
        version_mutant_report(seeds=0)
    with pytest.raises(ValueError, match="length"):
        version_operations(0, length=-1)
    assert version_operations(7) == version_operations(7)


def test_clock_events_carry_their_true_time_and_print_as_node_dot_index() -> None:
    sim = clock_run(nodes=3, steps=3, seed=5, skews={"p1": (5.0, 1.0), "p3": (-2.0, 1.5)})
    events = clock_events(sim)
    for e in events:
        assert e.time is not None and 0.0 <= e.time <= sim.now
        offset, rate = {"p1": (5.0, 1.0), "p2": (0.0, 1.0), "p3": (-2.0, 1.5)}[e.node]
        assert e.physical == pytest.approx(offset + rate * e.time, abs=1e-5)
        assert str(e).startswith(f"{e.node}.{e.index} ") and e.name == f"{e.node}.{e.index}"
    # a receive happens after its send, in true time (not always on the skewed clocks)
    by_id = {e.id: e for e in events}
    for e in events:
        if e.cause is not None:
            assert by_id[e.cause].time < e.time  # type: ignore[operator]
    # the events in the nodes' states have no true time, and compare equal all the same
    in_states = [e for _, s in sorted(sim.states.items()) for e in s.events]
    assert in_states == events and all(e.time is None for e in in_states)


# -- the hybrid logical clock's properties, and its mutants ---------------------------------------
def test_each_broken_hlc_rule_worked_out_by_hand() -> None:
    h = HybridLogicalClock(10.0, 2)
    assert h.send(11.0) == HybridLogicalClock(11.0, 0)
    assert h.send(11.0, mutant="hlc_no_reset") == HybridLogicalClock(11.0, 3)
    assert h.receive(HybridLogicalClock(12.0, 5), 20.0) == HybridLogicalClock(20.0, 0)
    assert h.receive(HybridLogicalClock(12.0, 5), 20.0, mutant="hlc_no_physical") == (
        HybridLogicalClock(12.0, 6)
    )
    assert h.receive(HybridLogicalClock(12.0, 5), 3.0, mutant="hlc_no_tick") == (
        HybridLogicalClock(12.0, 5)
    )
    assert h.receive(HybridLogicalClock(12.0, 5), 20.0, mutant="hlc_no_tick") == (
        HybridLogicalClock(20.0, 0)
    )
    # hlc_no_message is ClockProcess's: the rules themselves are unchanged by it
    assert h.receive(HybridLogicalClock(12.0, 5), 3.0, mutant="hlc_no_message") == (
        h.receive(HybridLogicalClock(12.0, 5), 3.0)
    )
    with pytest.raises(ValueError, match="unknown mutant 'hlc_broken'.*hlc_no_reset"):
        h.send(11.0, mutant="hlc_broken")
    with pytest.raises(ValueError, match="unknown mutant"):
        clock_run(mutant="hlc_broken")


def _hlc_by_definition(events: list[ClockEvent], epsilon: float) -> dict[str, int]:
    """Each property counted straight from its definition, over the brute-force relation."""
    hb = _brute_force_happens_before(events)
    counts = dict.fromkeys(HLC_CHECKS, 0)
    for b in events:
        counts["0 <= l - pt <= epsilon"] += not (
            b.physical - 1e-9 <= b.hlc.l <= b.physical + epsilon + 1e-9
        )
        before = [a for a in events if (a.id, b.id) in hb]
        counts["hlc respects ->"] += sum(
            not (a.hlc.l, a.hlc.c) < (b.hlc.l, b.hlc.c) for a in before
        )
        counts["c bounded"] += b.hlc.c > sum(a.hlc.l == b.hlc.l for a in before)
    return counts


@settings(max_examples=12, deadline=None, database=None)
@given(
    st.integers(2, 3),
    st.integers(1, 3),
    st.integers(0, 10_000),
    st.sampled_from([None, *HLC_MUTANTS]),
    st.lists(st.tuples(st.floats(0, 20), st.floats(0.9, 1.1)), min_size=3, max_size=3),
)
def test_check_hlc_agrees_with_the_definitions(
    nodes: int,
    steps: int,
    seed: int,
    mutant: str | None,
    skews: list[tuple[float, float]],
) -> None:
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    skew = dict(zip(ids, skews, strict=False))
    sim = clock_run(nodes, steps, seed, latency=uniform(0.5, 6.0), skews=skew, mutant=mutant)
    events = clock_events(sim)
    # the largest skew, by brute force: every event's true time and both ends of the run
    times = [0.0, sim.now, *(e.time for e in events if e.time is not None)]
    sampled = max(
        max(r) - min(r) for r in ([clock_reading(sim.trace, n, t) for n in ids] for t in times)
    )
    epsilon = largest_skew(sim, ids)
    assert sampled == pytest.approx(epsilon, abs=1e-9)
    result = check_hlc(events, epsilon)
    assert {name: result[name][0] for name in HLC_CHECKS} == _hlc_by_definition(events, epsilon)
    if mutant is None:
        assert all(count == 0 for count, _ in result.values()), result


def test_every_hlc_mutant_is_caught_by_its_named_check_in_nearly_every_run() -> None:
    report = hlc_mutant_report(seeds=20)
    assert report.problems() == []
    measured = {"hlc_no_message": 19, "hlc_no_reset": 20, "hlc_no_physical": 20, "hlc_no_tick": 19}
    for name, checks in HLC_MUTANT_CHECKS.items():
        caught, runs, fewest = hlc_catch_rate(name, checks[0], range(20))
        assert caught >= measured[name] and runs == 20 and fewest is not None, (
            f"{name} caught by {checks[0]} in {caught} of {runs} runs (measured {measured[name]})"
        )
    for check in HLC_CHECKS:
        assert hlc_catch_rate(None, check, range(20)) == (0, 20, None)
    table = hlc_mutant_table(seeds=4)
    assert list(table["mutant"]) == ["correct version", *HLC_MUTANTS]
    # the one HLC mutant of 2.2's table is the same broken clock here
    assert HLC_MUTANTS["hlc_no_message"] == MUTANTS["hlc_no_message"]


def test_hlc_checks_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown check"):
        hlc_catch_rate(None, "lamport respects ->", range(2))
    with pytest.raises(ValueError, match="seeds"):
        hlc_mutant_report(seeds=0)
    with pytest.raises(ValueError, match="epsilon"):
        check_hlc([], -1.0)
