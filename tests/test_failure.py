"""Tests of dslib.failure: phi, the fixed-timeout and phi accrual detectors, SWIM."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context, Simulation, System
from dslib.failure import (
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
    assert quiet["mistakes"] == 0 and quiet["detection time"] == pytest.approx(1.55, abs=0.1)


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
    a = swim_experiment(n=8, loss=0.1, seed=7, duration=80)
    b = swim_experiment(n=8, loss=0.1, seed=7, duration=80)
    assert a == b
    network = Network(loss=0.1)
    assert network.loss == 0.1
