"""Tests of dslib.failure: phi, the fixed-timeout and phi accrual detectors, SWIM."""

from __future__ import annotations

import math
import statistics
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Simulation, System
from dslib.failure import (
    DETECTOR_CHECKS,
    DETECTOR_MUTANT_CHECKS,
    DETECTOR_MUTANTS,
    ArrivalWindow,
    FixedTimeout,
    Heartbeat,
    HeartbeatSender,
    Monitor,
    PhiAccrual,
    SwimNode,
    Update,
    apply_update,
    detection_experiment,
    detection_summary,
    detector_catch_rate,
    detector_mutant_report,
    detector_mutant_table,
    phi_from_intervals,
    phi_value,
    swim_experiment,
)
from dslib.sim import Crash, Network


def test_phi_is_minus_log10_of_the_normal_tail() -> None:
    assert phi_value(1.0, 1.0, 0.5) == pytest.approx(math.log10(2))
    # 1 - Phi(1) = 0.158655...
    assert phi_value(1.5, 1.0, 0.5) == pytest.approx(-math.log10(0.15865525393145707))
    assert math.isfinite(phi_value(1.0 + 30 * 0.1, 1.0, 0.1))  # erfc keeps the tail
    assert phi_value(1.0 + 40 * 0.1, 1.0, 0.1) == math.inf
    with pytest.raises(ValueError, match="std"):
        phi_value(1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="no intervals"):
        phi_from_intervals(1.0, [], 0.1)


@given(
    st.lists(st.floats(0.1, 5), min_size=1, max_size=10),
    st.floats(0, 6),
    st.floats(0, 6),
)
@settings(max_examples=60, deadline=None)
def test_phi_grows_with_the_silence(intervals: list[float], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert phi_from_intervals(lo, intervals, 0.05) <= phi_from_intervals(hi, intervals, 0.05)
    mean = statistics.fmean(intervals)
    assert phi_from_intervals(mean, intervals, 0.05) == pytest.approx(math.log10(2))


def test_arrival_window_keeps_the_last_intervals() -> None:
    w = ArrivalWindow()
    for t in (0.0, 1.0, 3.0, 4.5, 5.0):
        w = w.add(t, 3)
    assert w == ArrivalWindow(5.0, (2.0, 1.5, 0.5))


def test_monitor_suspects_and_trusts_again() -> None:
    system = System({"a": HeartbeatSender(["m"]), "m": Monitor(["a"], FixedTimeout(2.5))})
    sim = Simulation(system)
    sim.at(5.5, Crash("a"))
    sim.at(20.0, lambda s: s.restart("a"))
    sim.run(until=30.0)
    log = sim.states["m"].log
    assert [what for _t, _n, what in log] == ["suspect", "trust"]
    assert 8.0 < log[0][0] < 9.0 and log[1][0] == pytest.approx(21.0)
    monitor = Monitor(["a"], PhiAccrual(3.0))
    state = monitor.init(Context("m", ("a", "m")))
    assert monitor.on_message(Context("m", ("a", "m")), state, "x", Heartbeat("x", 0)) is state
    with pytest.raises(TypeError, match="detector"):
        Monitor(["a"], 3.0)  # type: ignore[arg-type]


def test_phi_adapts_where_a_fixed_timeout_cannot() -> None:
    """With jitter, a tight fixed timeout makes many mistakes; phi with a high threshold
    makes few and detects the crash within a few periods."""
    fixed = detection_experiment(FixedTimeout(1.5), jitter=0.5, duration=400, seed=3)
    phi = detection_experiment(PhiAccrual(8.0), jitter=0.5, duration=400, seed=3)
    assert fixed["mistakes"] > 10 * max(1, phi["mistakes"])
    assert phi["detected"] and phi["detection time"] < 8.0
    quiet = detection_experiment(FixedTimeout(1.5), jitter=0.0, duration=400, seed=3)
    # the last heartbeat left at the last whole period before the crash and took 1
    last_arrival = math.floor(quiet["crash at"]) + 1.0
    expected = last_arrival + 1.5 - quiet["crash at"]
    assert quiet["mistakes"] == 0
    assert expected - 1e-9 <= quiet["detection time"] <= expected + 1 / 20 + 1e-9


def test_the_crash_falls_anywhere_in_a_heartbeat_period() -> None:
    """A crash is not timed to the heartbeats: over seeds its phase spreads over the period,
    so a fixed timeout T on a constant latency detects it after T + delay - period / 2 on
    average, not always the shortest time T (as when every crash fell just before a heartbeat)."""
    runs = [detection_experiment(FixedTimeout(2.0), duration=20, seed=s) for s in range(100)]
    times = [r["detection time"] for r in runs]
    assert statistics.fmean(times) == pytest.approx(2.0 + 1.0 - 0.5 + 1 / 40, abs=0.08)
    assert min(times) >= 2.0 and max(times) <= 3.0 + 1 / 20 + 1e-9
    phases = sorted(r["crash at"] % 1.0 for r in runs)
    assert phases[0] < 0.05 and phases[-1] > 0.95
    assert sum(p < 0.5 for p in phases) == pytest.approx(50, abs=15)
    summary = detection_summary(FixedTimeout(2.0), seeds=range(100), duration=20)
    assert summary["detection time"] == pytest.approx(statistics.fmean(times))
    assert summary["detection time sd"] == pytest.approx(statistics.stdev(times))
    assert summary["runs"] == summary["detected"] == 100 and summary["mistakes"] == 0.0


def test_detection_experiment_rejects_a_crash_outside_the_run() -> None:
    with pytest.raises(ValueError, match=r"the crash at 50.0 must fall in \(0, duration=50"):
        detection_experiment(FixedTimeout(2.0), duration=50, crash_at=50.0)
    # the default crash, 80% of the run plus up to a period, must fit in the run too
    with pytest.raises(ValueError, match="give a longer duration or crash_at"):
        detection_experiment(FixedTimeout(2.0), period=5.0, duration=10, seed=0)


def test_detection_summary_validates_and_counts_mistakes() -> None:
    with pytest.raises(ValueError, match="at least two"):
        detection_summary(FixedTimeout(2.0), seeds=[1])
    with pytest.raises(ValueError, match="at least two"):
        detection_summary(FixedTimeout(2.0), seeds=[1, "2"])  # type: ignore[list-item]
    seeds = range(5)
    summary = detection_summary(FixedTimeout(1.5), seeds, jitter=0.5, duration=200)
    runs = [
        detection_experiment(FixedTimeout(1.5), jitter=0.5, duration=200, seed=s) for s in seeds
    ]
    each = [r["mistakes"] for r in runs]
    assert summary["mistakes"] == statistics.fmean(each) > 0
    assert summary["mistakes sd"] == pytest.approx(statistics.stdev(each))
    wrong = statistics.fmean(r["wrongly suspected"] for r in runs)
    assert summary["wrongly suspected"] == pytest.approx(wrong) and wrong > 0


@given(st.integers(0, 1000), st.floats(0.0, 0.3))
@settings(max_examples=10, deadline=None)
def test_every_crash_is_eventually_detected(seed: int, loss: float) -> None:
    for detector in (FixedTimeout(3.0), PhiAccrual(5.0)):
        r = detection_experiment(detector, jitter=0.3, loss=loss, duration=150, seed=seed)
        assert r["detected"], r  # completeness: a crashed node stays suspected


def test_swim_update_precedence() -> None:
    assert apply_update(("alive", 1), Update("b", "suspect", 1))
    assert not apply_update(("suspect", 2), Update("b", "suspect", 2))
    assert apply_update(("suspect", 2), Update("b", "suspect", 3))
    assert apply_update(("suspect", 2), Update("b", "alive", 3))
    assert not apply_update(("alive", 2), Update("b", "alive", 2))
    assert apply_update(("alive", 9), Update("b", "dead", 0))
    assert not apply_update(("dead", 0), Update("b", "alive", 9))


def test_swim_detects_a_crash_with_constant_load_and_no_false_positives() -> None:
    r = swim_experiment(n=12, loss=0.05, seed=4, duration=150)
    assert r["detected by all"] and r["false positives"] == 0
    assert r["messages per member per period"] < 5
    baseline = swim_experiment(n=12, loss=0.05, seed=4, duration=150, protocol="all-to-all")
    assert baseline["messages per member per period"] == 11


def test_suspicion_and_indirect_probes_prevent_false_positives_under_loss() -> None:
    bare = swim_experiment(n=12, loss=0.1, seed=1, duration=150, k=0, suspicion=False)
    full = swim_experiment(n=12, loss=0.1, seed=1, duration=150)
    assert bare["false positives"] > 0 and full["false positives"] == 0


def test_swim_refutes_a_suspicion_with_a_higher_incarnation() -> None:
    node = SwimNode()
    ctx = Context("a", ("a", "b", "c"))
    state = node.init(ctx)
    state = node._learn(ctx, state, (Update("a", "suspect", 0),))
    assert state.incarnation == 1
    assert any(u == Update("a", "alive", 1) for u, _n in state.buffer)
    with pytest.raises(ValueError, match="ping_timeout"):
        SwimNode(period=1.0, ping_timeout=1.0)


def test_swim_experiment_is_deterministic() -> None:
    a = swim_experiment(n=8, loss=0.1, seed=7, duration=80, crash_at=40)
    b = swim_experiment(n=8, loss=0.1, seed=7, duration=80, crash_at=40)
    assert a == b
    network = Network(loss=0.1)
    assert network.loss == 0.1


# -- SWIM's message count: the window [period, crash_at) ----------------------------------------
@pytest.mark.parametrize("crash_at", [10.0, 20.0])
def test_swim_counts_messages_for_an_early_crash(crash_at: float) -> None:
    """The count once started at a fixed time 20: crash_at=10 gave -0.0, crash_at=20 divided
    by zero. All-to-all sends exactly n - 1 per member per period over whole periods."""
    swim = swim_experiment(n=8, duration=crash_at + 20, crash_at=crash_at, seed=1)
    assert 1.5 < swim["messages per member per period"] < 3.0
    baseline = swim_experiment(
        n=8, protocol="all-to-all", duration=crash_at + 20, crash_at=crash_at, seed=1
    )
    assert baseline["messages per member per period"] == 7.0


def test_a_member_declared_dead_before_it_crashed_is_a_false_positive() -> None:
    """Without suspicion or indirect probes, 30% loss gets every member declared dead by every
    other within a few periods, the one that crashes later included: 7 observers times 7
    members, all false positives. Each observer knew of the crash from the start: detection 0."""
    r = swim_experiment(n=8, loss=0.3, k=0, suspicion=False, duration=60, crash_at=30, seed=0)
    assert r["false positives"] == 7 * 7
    assert r["detected by all"] and r["first detection"] == r["last detection"] == 0.0
    # with suspicion and indirect probes the same network gets no false positive
    r = swim_experiment(n=8, loss=0.1, duration=60, crash_at=30, seed=0)
    assert r["false positives"] == 0 and r["detected by all"] and r["first detection"] > 0


def test_swim_crash_time_boundaries() -> None:
    swim_experiment(n=4, duration=5.0, crash_at=1.5, seed=0)  # just past the first period
    for crash_at, duration in [(1.0, 5.0), (0.5, 5.0), (-3.0, 5.0), (5.0, 5.0), (6.0, 5.0)]:
        with pytest.raises(ValueError, match=r"must be in \(period, duration\) = \(1, 5\)"):
            swim_experiment(n=4, duration=duration, crash_at=crash_at)
    with pytest.raises(ValueError, match="crash_at='x'"):
        swim_experiment(n=4, crash_at="x")  # type: ignore[arg-type]


def test_swim_message_rate_matches_a_hand_count() -> None:
    """Rebuild a small run and count its messages by kind: without loss, every member pings
    once per period and every ping is answered, and nothing else is sent before the crash."""
    from dslib.failure import SwimAck, SwimPing
    from dslib.sim.nemesis import Nemesis
    from dslib.sim.network import uniform

    n, crash_at, duration, seed = 4, 6.0, 10.0, 3
    reported = swim_experiment(n=n, duration=duration, crash_at=crash_at, seed=seed)
    ids = [f"m{i:02d}" for i in range(n)]
    sim = Simulation(
        System(dict.fromkeys(ids, SwimNode())),
        seed=seed,
        network=Network(uniform(0.02, 0.1)),
        nemesis=Nemesis([(crash_at, Crash(ids[n // 2]))]),
    )
    sim.run(until=duration)
    sent = [e for e in sim.trace.entries if e[1] == "send" and 1.0 <= e[0] < crash_at]
    pings = [e for e in sent if isinstance(e[4], SwimPing)]
    acks = [e for e in sent if isinstance(e[4], SwimAck)]
    assert len(pings) + len(acks) == len(sent)
    for member in ids:  # one probe per period: periods 1..5 each hold one
        assert sum(1 for e in pings if e[2] == member) == crash_at - 1.0
    assert abs(len(acks) - len(pings)) <= n  # acks straddle the window's two ends
    by_hand = (len(pings) + len(acks)) / n / (crash_at - 1.0)
    assert reported["messages per member per period"] == round(by_hand, 2)


# -- the phi accrual detector's running moments ---------------------------------------------------
def _oracle_phi(window: ArrivalWindow, now: float, min_std: float) -> float:
    """The old formula: recompute mean and deviation over the whole window."""
    assert window.last is not None
    return phi_from_intervals(now - window.last, window.intervals, min_std)


def _agree(fast: float, slow: float) -> bool:
    if math.isinf(fast) or math.isinf(slow):  # the tail underflows near phi = 323
        return min(fast, slow) > 300
    return fast == pytest.approx(slow, rel=1e-9, abs=1e-9)


@given(
    st.sampled_from([0.0, 1e9]),
    st.lists(st.floats(0.01, 5.0), min_size=1, max_size=60),
    st.integers(1, 12),
    st.floats(0.0, 8.0),
    st.sampled_from([1e-3, 0.05, 0.5]),
)
@settings(max_examples=150, deadline=None)
def test_running_phi_agrees_with_the_full_recomputation(
    start: float, gaps: list[float], size: int, late: float, min_std: float
) -> None:
    detector = PhiAccrual(threshold=8.0, window=size, min_std=min_std)
    window, now = ArrivalWindow().add(start, size), start
    for gap in gaps:
        now += gap
        window = window.add(now, size)
        assert window.mean == pytest.approx(statistics.fmean(window.intervals), rel=1e-12)
        # Below its rounding floor the running spread is 0.0 (ArrivalWindow.std): a sum of
        # squares of at most 8 n eps times its largest value, n * (max - min)**2.
        spread = max(gaps) - min(gaps)
        resolution = math.sqrt(8 * size * sys.float_info.epsilon) * size * spread
        exact = statistics.pstdev(window.intervals)
        assert window.std == pytest.approx(exact, rel=1e-6, abs=1e-9 + resolution)
        for elapsed in (0.0, window.mean, late):
            fast = detector.level(window, now + elapsed)
            assert _agree(fast, _oracle_phi(window, now + elapsed, min_std)), (fast, elapsed)


@pytest.mark.parametrize("interval", [1.0, 1e4])
def test_running_moments_stay_accurate_over_a_long_run_at_large_timestamps(
    interval: float,
) -> None:
    """10,000 heartbeats from t = 1e9, intervals near ``interval`` with a spread of 1e-3.
    With intervals of 1e4, sum(x^2) / n - mean^2 would cancel all but a few digits of the
    variance (1e8 against 1e-7); the running update works with deviations instead, and the
    periodic exact recomputation keeps rounding from drifting."""
    window, now, size = ArrivalWindow().add(1e9, 50), 1e9, 50
    for k in range(10_000):
        now += interval + 1e-3 * ((k * 7919) % 13 - 6) / 6
        window = window.add(now, size)
        if k % 997 == 0 or k > 9_990:
            assert window.mean == pytest.approx(statistics.fmean(window.intervals), rel=1e-12)
            assert window.std == pytest.approx(statistics.pstdev(window.intervals), rel=1e-6)


def test_arrival_window_equality_ignores_the_running_moments() -> None:
    built = ArrivalWindow(5.0, (0.1, 0.2, 0.3))
    grown = ArrivalWindow().add(4.4, 3).add(4.5, 3).add(4.7, 3).add(5.0, 3)
    assert grown.intervals == pytest.approx(built.intervals)
    direct = ArrivalWindow(grown.last, grown.intervals)
    assert grown == direct and hash(grown) == hash(direct)
    assert repr(direct) == f"ArrivalWindow(last=5.0, intervals={grown.intervals})"
    shrunk = ArrivalWindow(1.0, (1.0, 2.0, 3.0, 4.0)).add(2.5, 2)  # a smaller size
    assert shrunk.intervals == (4.0, 1.5) and shrunk.mean == 2.75 and shrunk.std == 1.25
    assert ArrivalWindow().mean == 0.0 and ArrivalWindow().std == 0.0


def test_equal_intervals_have_no_spread() -> None:
    """The soak run's counterexample: intervals 2.5 and 2.5 after a window of two slid."""
    window, now = ArrivalWindow().add(0.0, 2), 0.0
    for gap in (0.8781716555626018, 2.5, 2.5):
        now += gap
        window = window.add(now, 2)
    assert window.intervals == (2.5, 2.5)
    assert window.std == 0.0


# -- SWIM's expected first detection (Das et al. 2002, §3.1) -------------------------------------
def test_expected_first_probe_is_the_geometric_mean_and_tends_to_e_over_e_minus_1() -> None:
    from dslib.failure import expected_first_probe

    assert expected_first_probe(2, 1) == 1.0  # the one other member always probes it
    assert expected_first_probe(3, 2) == pytest.approx(1 / (1 - 0.25))
    assert expected_first_probe(10**6, 10**6 - 1) == pytest.approx(math.e / (math.e - 1), rel=1e-5)
    values = [expected_first_probe(n, n - 1) for n in (3, 8, 64, 1000)]
    assert values == sorted(values)  # grows with n, towards the limit
    for bad in ((1, 0), (5, 5), (5, 0), (5.0, 2)):
        with pytest.raises(ValueError, match="alive"):
            expected_first_probe(*bad)


def test_measured_first_detection_agrees_with_the_paper_s_analysis() -> None:
    """With random targets and synchronous periods (the paper's model), the mean over 300
    fixed seeds of 8 members is within its 95% interval of the theory; a detector that
    counted from the crash instead of from the next period would be a whole period off."""
    from dslib.failure import expected_first_probe, first_detection_periods

    periods = [first_detection_periods(8, seed) for seed in range(300)]
    mean = statistics.fmean(periods)
    half = 1.96 * statistics.stdev(periods) / math.sqrt(len(periods))
    assert abs(mean - expected_first_probe(8, 7)) < half
    assert min(periods) == 1 and all(isinstance(p, int) for p in periods)


def test_swim_node_refuses_an_unknown_selection_and_a_crash_on_a_boundary() -> None:
    from dslib.failure import SwimNode, first_detection_periods

    with pytest.raises(ValueError, match="selection"):
        SwimNode(selection="nearest")
    with pytest.raises(ValueError, match="inside a period"):
        first_detection_periods(8, 0, crash_at=10.0)


def test_swim_experiment_counts_false_suspicions_and_takes_a_timeout_and_faults() -> None:
    from dslib.sim import Pause

    # a pause shorter than the suspicion timeout (15 periods for 16 members) is suspected, not
    # declared dead: the member refutes when it wakes
    paused = swim_experiment(
        n=16, seed=0, duration=120, crash_at=100, faults=[(60.0, Pause("m09", 10.0))]
    )
    assert paused["false suspicions"] > 0 and paused["false positives"] == 0
    calm = swim_experiment(n=16, seed=0, duration=120, crash_at=100)
    assert calm["false suspicions"] == 0
    # a suspicion timeout too short to refute in: false positives come back under loss
    short = swim_experiment(
        n=16, loss=0.1, seed=0, duration=120, crash_at=100, suspicion_timeout=2.0
    )
    assert short["false positives"] > 0
    # without indirect probes, more live pairs are suspected
    k0 = swim_experiment(n=12, loss=0.1, seed=1, duration=100, crash_at=80, k=0)
    k3 = swim_experiment(n=12, loss=0.1, seed=1, duration=100, crash_at=80, k=3)
    assert k0["false suspicions"] > k3["false suspicions"]


@settings(max_examples=80, deadline=None, database=None)
@given(
    st.lists(st.floats(0.2, 5.0), min_size=1, max_size=12),
    st.floats(0.5, 20.0),
    st.floats(0.01, 1.0),
)
def test_phi_effective_timeout_is_the_silence_where_suspicion_starts(
    intervals: list[float], threshold: float, min_std: float
) -> None:
    window = ArrivalWindow(100.0, tuple(intervals))
    detector = PhiAccrual(threshold=threshold, min_std=min_std)
    edge = detector.effective_timeout(window)
    assert math.isfinite(edge) and edge > window.mean
    # just before the edge phi is at most the threshold, just after it is above
    step = 1e-6 * max(1.0, edge)
    assert not detector.suspects(window, 100.0 + edge - step)
    assert detector.suspects(window, 100.0 + edge + step)


def test_phi_effective_timeout_without_an_estimate_is_infinite() -> None:
    assert PhiAccrual().effective_timeout(ArrivalWindow()) == math.inf
    assert PhiAccrual().effective_timeout(ArrivalWindow(3.0)) == math.inf


# -- the detectors' mutants (section 4.1) --------------------------------------------------------
def test_every_detector_mutant_is_caught_by_its_named_check_and_the_correct_one_by_none() -> None:
    seeds = range(5)  # every check on every variant: 120 runs
    report = detector_mutant_report(seeds=len(seeds))
    assert report.problems() == []
    for check in DETECTOR_CHECKS:
        caught, runs = detector_catch_rate(None, check, seeds)
        assert caught == 0, f"the correct detectors fail {check!r} on {caught} of {runs} seeds"
    for name in DETECTOR_MUTANTS:
        for check in DETECTOR_MUTANT_CHECKS[name]:
            caught, runs = detector_catch_rate(name, check, seeds)
            # measured on seeds 0-99: every mutant caught on all 100
            assert caught == runs, f"{name} caught by {check!r} on only {caught} of {runs} seeds"
    table = detector_mutant_table(seeds=len(seeds))
    assert list(table["seeds caught by it"]) == ["0 of 5"] + ["5 of 5"] * len(DETECTOR_MUTANTS)


def test_detector_mutants_are_selected_by_name_and_unknown_names_are_refused() -> None:
    assert PhiAccrual(8.0, mutant="phi_cdf").mutant == "phi_cdf"
    assert "never_trust" in repr(Monitor(["a"], FixedTimeout(2.0), mutant="never_trust"))
    with pytest.raises(ValueError, match=r"allowed: None or one of \['naive_tail', 'phi_cdf'\]"):
        PhiAccrual(8.0, mutant="never_trust")
    with pytest.raises(ValueError, match="Monitor: unknown mutant 'phi_cdf'"):
        Monitor(["a"], FixedTimeout(2.0), mutant="phi_cdf")
    with pytest.raises(ValueError, match="unknown mutant"):
        detector_catch_rate("typo", "completeness", range(1))
    with pytest.raises(ValueError, match="unknown check"):
        detector_catch_rate(None, "typo", range(1))
    with pytest.raises(ValueError, match="seeds"):
        detector_mutant_report(seeds=0)


def test_phi_mutants_differ_from_the_normal_tail_where_the_bug_says() -> None:
    window = ArrivalWindow(10.0, (1.0, 1.0, 1.0))
    correct, cdf, naive = (
        PhiAccrual(8.0, min_std=0.1, mutant=m) for m in (None, "phi_cdf", "naive_tail")
    )
    tail = statistics.NormalDist(1.0, 0.1)
    # one standard deviation early: the wrong tail gives P(earlier) = 1 - P(later)
    assert cdf.level(window, 10.9) == pytest.approx(-math.log10(tail.cdf(0.9)))
    assert correct.level(window, 10.9) == pytest.approx(-math.log10(1 - tail.cdf(0.9)))
    # 10 standard deviations late: 1 - cdf rounds to 0, and the naive phi falls back to 0
    assert naive.level(window, 12.0) == 0.0 < correct.level(window, 12.0)
