"""Tests of the failure-detector explorer (dslib.widgets.detectors).

The scenario must count as ``detection_experiment`` counts, and the curves it draws must be
what the detectors judged: both are checked against independent recomputations. The widget
is driven from code, as a reader's knobs would drive it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.failure import FixedTimeout, PhiAccrual, detection_experiment, phi_from_intervals
from dslib.widgets.detectors import (
    DETECTION_COLOUR,
    MISTAKE_COLOUR,
    DetectorExplorer,
    DetectorRun,
    detector_figure,
    detector_scenario,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_figures import MIN_TEXT_PX, overlapping, smallest_text_px  # noqa: E402


def agrees_with_detection_experiment(run: DetectorRun) -> None:
    """Each detector's counts equal ``detection_experiment``'s with the same arguments."""
    s = run.settings
    for outcome, detector in (
        (run.fixed, FixedTimeout(s["timeout"])),
        (run.phi, PhiAccrual(s["threshold"], window=s["window"], min_std=s["min_std"])),
    ):
        expected = detection_experiment(
            detector,
            jitter=s["jitter"],
            loss=s["loss"],
            period=s["period"],
            delay=s["delay"],
            duration=s["duration"],
            seed=s["seed"],
        )
        assert run.crash_at == expected["crash at"]
        assert outcome.detector == expected["detector"]
        assert outcome.mistakes == expected["mistakes"], (outcome.detector, s)
        assert outcome.detected == expected["detected"]
        if expected["detected"]:
            assert outcome.detection_time == pytest.approx(expected["detection time"], abs=1e-9)
        assert round(outcome.wrongly_suspected, 4) == expected["wrongly suspected"]


@pytest.mark.parametrize(
    ("jitter", "loss", "period", "timeout", "threshold", "seed"),
    [
        (0.5, 0.1, 1.0, 2.0, 8.0, 0),  # the explorer's first picture: 6 mistakes against 0
        (0.8, 0.2, 1.0, 1.5, 1.0, 4),  # many mistakes on both sides
        (0.0, 0.0, 1.0, 1.5, 3.0, 2),  # constant delay, nothing lost: no mistake at all
        (0.3, 0.3, 0.5, 1.0, 2.0, 7),  # a shorter period, much loss
    ],
)
def test_the_counts_are_detection_experiments(
    jitter: float, loss: float, period: float, timeout: float, threshold: float, seed: int
) -> None:
    run = detector_scenario(jitter, loss, period, timeout, threshold, seed=seed)
    agrees_with_detection_experiment(run)
    if (jitter, loss) == (0.0, 0.0):
        assert run.fixed.mistakes == run.phi.mistakes == 0 and run.lost == 0
    if seed == 4:
        assert run.fixed.mistakes > 0 and run.phi.mistakes > 0


@settings(max_examples=25, deadline=None)
@given(
    jitter=st.sampled_from([0.0, 0.1, 0.4, 1.0]),
    loss=st.sampled_from([0.0, 0.1, 0.3]),
    period=st.sampled_from([0.5, 1.0, 2.0]),
    timeout=st.sampled_from([0.75, 1.5, 2.5, 4.0]),
    threshold=st.sampled_from([0.5, 2.0, 8.0]),
    seed=st.integers(0, 10_000),
)
def test_the_counts_are_detection_experiments_for_any_setting(
    jitter: float, loss: float, period: float, timeout: float, threshold: float, seed: int
) -> None:
    run = detector_scenario(jitter, loss, period, timeout, threshold, seed=seed, duration=30.0)
    agrees_with_detection_experiment(run)


@pytest.mark.parametrize(
    ("delay", "window", "min_std", "seed"),
    [(2.0, 10, 0.2, 1), (0.5, 3, 0.05, 4), (1.0, 100, 0.5, 0)],
)
def test_the_keyword_settings_reach_phi_and_the_network(
    delay: float, window: int, min_std: float, seed: int
) -> None:
    run = detector_scenario(seed=seed, delay=delay, window=window, min_std=min_std)
    assert (run.settings["delay"], run.settings["window"], run.settings["min_std"]) == (
        delay,
        window,
        min_std,
    )
    agrees_with_detection_experiment(run)
    # every trip takes at least the shortest delay
    assert min(arrived - sent for sent, arrived, lost in run.trips if not lost) >= delay - 1e-9


def test_a_larger_floor_makes_phi_slower_and_the_load_is_heartbeats_per_time_unit() -> None:
    steady = [
        detector_scenario(jitter=0.0, loss=0.0, seed=s, min_std=m)
        for s in (0, 1)
        for m in (0.05, 0.5)
    ]
    for tight, loose in zip(steady[::2], steady[1::2], strict=True):
        assert tight.phi.detection_time < loose.phi.detection_time
    # heartbeats at 0, period, 2 period, ... up to the end of the run, 60
    assert detector_scenario(period=0.5, crash=False).sent == 121
    assert detector_scenario(period=2.0, crash=False).load == pytest.approx(31 / 60)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"window": 0}, ValueError, "window=0; allowed: >= 1"),
        ({"window": 2.5}, TypeError, "window must be an int"),
        ({"min_std": 0.0}, ValueError, "min_std=0.0; allowed: > 0"),
        ({"delay": -1.0}, ValueError, "delay=-1.0; allowed: >= 0"),
    ],
)
def test_bad_keyword_settings_are_refused(options: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        detector_scenario(**options)


def brute_force(run: DetectorRun) -> tuple[list[float], list[float], list[tuple[float, float]]]:
    """The silence and phi at each check, and the timeout's suspicions, from the arrivals alone.

    The slow way: the last arrival at or before each check, phi from the last 100 intervals
    through ``phi_from_intervals`` (statistics.pstdev), and a suspicion from the first check
    whose silence exceeds the timeout to the next arrival."""
    arrivals = sorted(run.arrivals)
    silences, phis, spans = [], [], []
    suspected_since = None
    for t in run.checks:
        seen = [a for a in arrivals if a <= t]
        silence = t - seen[-1] if seen else 0.0
        silences.append(silence)
        gaps = [b - a for a, b in itertools.pairwise(seen)][-100:]
        phis.append(phi_from_intervals(silence, gaps, 0.1) if gaps else 0.0)
        if suspected_since is not None and seen and seen[-1] > suspected_since:
            spans.append((suspected_since, min(a for a in seen if a > suspected_since)))
            suspected_since = None
        if suspected_since is None and seen and silence > run.fixed.threshold:
            suspected_since = t
    if suspected_since is not None:
        spans.append((suspected_since, run.duration))
    return silences, phis, spans


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_the_curves_drawn_are_what_the_detectors_judged(seed: int) -> None:
    run = detector_scenario(jitter=0.4, loss=0.15, timeout=1.75, threshold=2.0, seed=seed)
    silences, phis, spans = brute_force(run)
    assert len(run.checks) == len(run.fixed.levels) == len(run.phi.levels)
    assert run.checks[0] == pytest.approx(0.05) and run.checks[-1] <= run.duration
    assert list(run.fixed.levels) == pytest.approx(silences, abs=1e-9)
    for ours, slow in zip(run.phi.levels, phis, strict=True):
        assert ours == slow or ours == pytest.approx(slow, rel=1e-9, abs=1e-9)
    # the monitor's own log (the shaded spans) against the brute-force crossings
    assert [(round(a, 6), round(b, 6)) for a, b in run.fixed.suspicions] == [
        (round(a, 6), round(b, 6)) for a, b in spans
    ]
    assert run.fixed.mistakes > 0  # so the comparison above compared something
    # phi: each suspicion begins at a check where phi first exceeds the threshold
    starts = {round(t, 9) for t in run.checks}
    for start, _end in run.phi.suspicions:
        assert start in starts
        i = [round(t, 9) for t in run.checks].index(start)
        assert run.phi.levels[i] > run.phi.threshold >= run.phi.levels[i - 1]


def test_a_run_without_a_crash_counts_every_suspicion_as_a_mistake() -> None:
    run = detector_scenario(crash=False, timeout=1.5, seed=3)
    assert run.crash_at is None
    assert not run.fixed.detected and math.isnan(run.fixed.detection_time)
    assert run.fixed.mistakes == len(run.fixed.suspicions) > 0
    assert all(end <= run.duration for _s, end in run.fixed.suspicions)
    suspected = sum(end - start for start, end in run.fixed.suspicions)
    assert run.fixed.wrongly_suspected == pytest.approx(suspected / run.duration)
    assert run.summary().startswith("timeout 1.5: ") and "crash" not in run.summary()
    # the heartbeats never stop: as many as the run has periods, all accounted for
    assert len(run.trips) >= run.duration - 2


def test_the_same_heartbeats_reach_both_detectors_and_a_longer_timeout_is_quieter() -> None:
    short = detector_scenario(timeout=1.5, seed=6)
    long = detector_scenario(timeout=3.0, seed=6)
    assert short.trips == long.trips and short.phi == long.phi  # the stream is the detector's
    assert short.fixed.mistakes > long.fixed.mistakes
    # each suspicion of the longer timeout lies inside one of the shorter's
    for start, end in long.fixed.suspicions:
        assert any(s <= start and end <= e for s, e in short.fixed.suspicions)
    # a crash is detected by the last heartbeat's silence: 1.5 later, to the check
    assert long.fixed.detection_time - short.fixed.detection_time == pytest.approx(1.5, abs=0.06)


_FINGERPRINT = """
import hashlib
from dslib.widgets.detectors import detector_scenario
run = detector_scenario(seed=11)
print(hashlib.sha256(repr(run).encode()).hexdigest())
"""


def test_same_seed_same_run_under_any_hash_seed() -> None:
    out = set()
    for hash_seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
        done = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        out.add(done.stdout.strip())
    out.add(hashlib.sha256(repr(detector_scenario(seed=11)).encode()).hexdigest())
    assert len(out) == 1
    assert detector_scenario(seed=11) != detector_scenario(seed=12)


# -- the figure ---------------------------------------------------------------------------
def _spans(ax: object, colour: str) -> int:
    from matplotlib.colors import to_hex

    return sum(
        1
        for p in ax.patches  # type: ignore[attr-defined]
        if to_hex(p.get_facecolor(), keep_alpha=False) == colour
    )


def test_the_figure_shades_each_suspicion_in_its_colour_and_reads_readably() -> None:
    run = detector_scenario()  # timeout 2: 6 mistakes; phi > 8: none
    figure = detector_figure(run)
    trips, silence, phi = figure.axes
    assert run.fixed.mistakes == 6 and run.phi.mistakes == 0
    assert _spans(silence, MISTAKE_COLOUR) == 6 and _spans(silence, DETECTION_COLOUR) == 1
    assert _spans(phi, MISTAKE_COLOUR) == 0 and _spans(phi, DETECTION_COLOUR) == 1
    assert "6 mistakes, detected 2.63 after the crash" in silence.get_title()
    assert "0 mistakes, detected 5.03 after the crash" in phi.get_title()
    assert f"{len(run.trips)} sent, {run.lost} lost" in trips.get_title()
    # one segment per heartbeat that arrived, one per lost one, ending in a cross
    delivered, lost = (len(c.get_segments()) for c in trips.collections)
    assert (delivered, lost) == (len(run.trips) - run.lost, run.lost) and run.lost > 0
    crosses = trips.get_lines()[0]
    assert list(crosses.get_ydata()) == [0.5] * run.lost and crosses.get_marker() == "x"
    # phi is cut at twice the threshold: an infinite phi after the crash is drawn at the cap
    drawn = phi.get_lines()[0].get_ydata()
    assert max(run.phi.levels) > 16 and max(drawn) == 16.0
    assert smallest_text_px(figure) >= MIN_TEXT_PX
    assert overlapping(figure) == []
    quiet = detector_figure(detector_scenario(crash=False))
    labels = [t.get_text() for t in quiet.legends[0].get_texts()]
    assert labels == ["timeout / threshold", "suspected, alive (mistake)"]
    assert quiet.axes[0].get_title().endswith("; no crash")
    assert overlapping(quiet) == []


# -- the widget, turned from code -----------------------------------------------------------
def test_the_knobs_drive_the_run_the_table_and_the_picture() -> None:
    explorer = DetectorExplorer()
    first = explorer.run
    assert first.summary() == detector_scenario().summary()
    picture = bytes(explorer.image.value)
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.image.layout.width == "800px"
    assert int.from_bytes(picture[16:20], "big") == 1600
    assert "<table" in explorer.text.value and "timeout 2" in explorer.text.value

    explorer.controls["timeout"].value = 4.0  # same stream, a quieter and slower timeout
    assert explorer.run.trips == first.trips
    assert explorer.run.fixed.mistakes < first.fixed.mistakes
    assert explorer.run.fixed.detection_time > first.fixed.detection_time
    assert bytes(explorer.image.value) != picture

    explorer.controls["threshold"].value = 1.0  # a nervous phi
    assert explorer.run.phi.mistakes > first.phi.mistakes
    assert explorer.run.fixed == detector_scenario(timeout=4.0).fixed

    explorer.controls["jitter"].value = 0.0
    explorer.controls["loss"].value = 0.0  # a perfect network: nothing to be wrong about
    assert explorer.run.lost == 0 and explorer.run.fixed.mistakes == 0

    explorer.controls["period"].value = 0.5  # twice the heartbeats
    assert len(explorer.run.trips) >= 2 * len(first.trips) - 2

    explorer.controls["seed"].value = 5
    assert explorer.run.settings["seed"] == 5

    explorer.controls["crash"].value = False
    assert explorer.run.crash_at is None
    assert "none" in explorer.text.value  # no detection time without a crash
    assert repr(explorer) == (
        "DetectorExplorer(jitter=0.0, loss=0.0, period=0.5, timeout=4.0, threshold=1.0, "
        f"crash=False, seed=5: {explorer.run.summary()})"
    )
    assert explorer.run == detector_scenario(
        jitter=0.0, loss=0.0, period=0.5, timeout=4.0, threshold=1.0, crash=False, seed=5
    )


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"loss": 1.0}, ValueError, r"loss=1.0; allowed: \[0, 1\)"),
        ({"jitter": -0.1}, ValueError, "jitter=-0.1; allowed: >= 0"),
        ({"timeout": 0}, ValueError, "timeout=0.0; allowed: > 0"),
        ({"threshold": "8"}, TypeError, "threshold must be a number"),
        ({"period": math.nan}, ValueError, "period=nan; allowed: >= 0"),
        ({"crash": 1}, TypeError, "crash must be True or False"),
        ({"seed": 1.5}, TypeError, "seed must be an int"),
        ({"duration": 3.0}, ValueError, "shorter than 5 periods"),
    ],
)
def test_bad_settings_are_refused(options: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        detector_scenario(**options)
    if "duration" not in options:
        with pytest.raises(error, match=message):
            DetectorExplorer(**options)


def test_an_unknown_knob_or_a_value_off_its_slider_is_refused() -> None:
    with pytest.raises(TypeError, match=r"unknown parameters \['window'\]"):
        DetectorExplorer(window=10)
    detector_scenario(timeout=10.0)  # the scenario takes it; the slider would clamp it
    with pytest.raises(ValueError, match=r"timeout=10.0 is outside its slider's range \[0.5, 8\]"):
        DetectorExplorer(timeout=10.0)
    with pytest.raises(ValueError, match=r"seed=100 is outside"):
        DetectorExplorer(seed=100)


def test_every_axis_of_the_figure_says_what_it_measures_and_in_what_unit() -> None:
    trips, silence, phi = detector_figure(detector_scenario(delay=2.0, seed=1)).axes
    assert trips.get_ylabel() == "heartbeat"
    assert silence.get_ylabel() == "silence (time units)"
    assert phi.get_ylabel().startswith("phi (no unit")
    assert phi.get_xlabel().startswith("time (time units;") and "shortest delay 2" in (
        phi.get_xlabel()
    )
    assert "delay 2 + jitter" in trips.get_title()
