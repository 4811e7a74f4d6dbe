"""Tests of dslib.balancing: the policies, the balancer node and its health checks, tail
latency in the simulator, the power of two choices against theory, the mutants, the race."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Context
from dslib.balancing import (
    BALANCER_CHECKS,
    BINS_CHECKS,
    BINS_MUTANTS,
    POLICIES,
    POLICY_CHECKS,
    POLICY_MUTANTS,
    Backend,
    ConsistentHashPolicy,
    Dispatch,
    HealthCheck,
    LeastConnections,
    LoadBalancer,
    PowerOfTwoChoices,
    Probe,
    ProbeReply,
    RandomChoice,
    RoundRobin,
    SeededCheck,
    balancer_mutants,
    balls_into_bins,
    bins_mutants,
    catch_rate,
    keys_stay_put,
    least_connections,
    load_tail_theory,
    make_policy,
    max_load_d_choices,
    max_load_gonnet,
    max_load_one_choice,
    mutant_catch_table,
    policy_mutants,
    power_of_two_choices,
    run_balancer,
    smooth_weighted_round_robin,
)
from dslib.basics import QueueState
from dslib.mutants import Outcome, assert_mutants_caught
from dslib.sim import Reply, Request
from dslib.widgets.race import LoadBalancerRace, race, race_figure, race_table, service_times

ROOT = Path(__file__).resolve().parent.parent
SLOW = [(0.5, 1.5)] * 4 + [(2.5, 7.5)]  # four backends of mean 1, one of mean 5


# -- the choice functions and policies ---------------------------------------------------------
@settings(max_examples=80, deadline=None, database=None)
@given(
    st.lists(st.sampled_from("abcdef"), min_size=1, max_size=6, unique=True),
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 9)),
    st.sets(st.sampled_from("abcdef")),
)
def test_least_connections_is_the_first_healthy_minimum(
    backends: list[str], outstanding: dict[str, int], healthy: set[str]
) -> None:
    got = least_connections(backends, outstanding, healthy)
    candidates = [b for b in backends if b in healthy]
    if not candidates:
        assert got is None
        return
    low = min(outstanding.get(b, 0) for b in candidates)
    assert got == next(b for b in candidates if outstanding.get(b, 0) == low)


def test_power_of_two_takes_the_less_loaded_of_two_distinct_samples() -> None:
    rng = random.Random(1)
    loads = {"a": 9, "b": 0, "c": 5, "d": 3}
    picks = [power_of_two_choices(list(loads), loads, rng) for _ in range(2000)]
    assert "a" not in picks  # the most loaded never wins against another
    assert picks.count("b") == pytest.approx(2000 / 2, rel=0.1)  # b wins whenever sampled
    with pytest.raises(ValueError, match="no backends"):
        power_of_two_choices([], {}, rng)


def test_policies_choose_among_the_healthy() -> None:
    rng = random.Random(0)
    healthy = ("a", "c")
    for policy in (RoundRobin(), RandomChoice(), LeastConnections(), PowerOfTwoChoices()):
        picks = {
            policy.choose(Dispatch(healthy, {"a": 1, "b": 0, "c": 1}, "k", i, rng))
            for i in range(50)
        }
        assert picks == {"a", "c"}, policy
    assert [RoundRobin().choose(Dispatch(("a", "b", "c"), dispatched=i)) for i in range(4)] == [
        "a",
        "b",
        "c",
        "a",
    ]
    # least connections takes turns on ties
    tied = [LeastConnections().choose(Dispatch(("a", "b", "c"), dispatched=i)) for i in range(3)]
    assert tied == ["a", "b", "c"]


def test_consistent_hash_policy_keeps_keys_and_moves_only_those_of_a_dead_backend() -> None:
    policy = ConsistentHashPolicy(["a", "b", "c", "d"])
    keys = [f"user{i}" for i in range(400)]
    before = {k: policy.choose(Dispatch(("a", "b", "c", "d"), key=k)) for k in keys}
    after = {k: policy.choose(Dispatch(("a", "b", "d"), key=k)) for k in keys}
    assert set(before.values()) == {"a", "b", "c", "d"}
    assert all(before[k] == after[k] for k in keys if before[k] != "c")
    assert all(after[k] != "c" for k in keys)


def test_make_policy_knows_every_name() -> None:
    assert [make_policy(name, ["a", "b"]).name for name in POLICIES] == list(POLICIES)
    with pytest.raises(ValueError, match="unknown policy"):
        make_policy("fastest", ["a"])


# -- the balancer node -----------------------------------------------------------------------
def test_balancer_forwards_and_returns_replies_and_counts_outstanding() -> None:
    lb = LoadBalancer(["b1", "b2"], LeastConnections())
    ctx = Context("lb", ["lb", "b1", "b2", "c"])
    s = lb.init(ctx)
    s = lb.on_message(ctx, s, "c", Request("c", 1, "work"))
    s = lb.on_message(ctx, s, "c", Request("c", 2, "work"))
    assert s.outstanding == (1, 1) and s.sent == (1, 1) and s.dispatched == 2
    (_, _first), (_, second) = ctx.sent
    ctx.sent.clear()
    s = lb.on_message(ctx, s, "b2", Reply(second.request_id, True, "done"))
    assert ctx.sent == [("c", Reply(2, True, "done"))] and s.outstanding == (1, 0)


def test_balancer_health_checks_eject_and_readmit() -> None:
    lb = LoadBalancer(["b1", "b2"], RoundRobin(), HealthCheck(interval=5.0, fall=2, rise=2))
    ctx = Context("lb", ["lb", "b1", "b2", "c"])
    s = lb.init(ctx)
    assert ("b1", Probe(0)) in ctx.sent and ctx.timers_set == [("probe", 5.0)]
    for round_ in range(2):  # b1 answers, b2 does not
        s = lb.on_message(ctx, s, "b1", ProbeReply(round_))
        s = lb.on_timer(ctx, s, "probe")
    assert s.healthy == (True, False) and s.epoch == (0, 1)
    ctx.sent.clear()
    s = lb.on_message(ctx, s, "c", Request("c", 1, "work"))
    s = lb.on_message(ctx, s, "c", Request("c", 2, "work"))
    assert [d for d, _ in ctx.sent] == ["b1", "b1"]
    for round_ in range(2, 4):  # b2 answers again
        s = lb.on_message(ctx, s, "b1", ProbeReply(round_))
        s = lb.on_message(ctx, s, "b2", ProbeReply(round_))
        s = lb.on_timer(ctx, s, "probe")
    assert s.healthy == (True, True)


def test_balancer_refuses_when_no_backend_is_healthy() -> None:
    lb = LoadBalancer(["b1"], RoundRobin(), HealthCheck(interval=1.0, fall=1, rise=1))
    ctx = Context("lb", ["lb", "b1", "c"])
    s = lb.on_timer(ctx, lb.init(ctx), "probe")
    ctx.sent.clear()
    s = lb.on_message(ctx, s, "c", Request("c", 1, "work"))
    assert ctx.sent == [("c", Reply(1, False, "no healthy backend"))] and s.refused == 1


def test_backend_answers_probes_at_once_and_queues_work() -> None:
    ctx = Context("b1", ["b1", "lb"])
    busy = QueueState(serving=("lb", Request("lb", 1, "work")))
    assert Backend(1.0).on_message(ctx, busy, "lb", Probe(4)) == busy
    assert ctx.sent == [("lb", ProbeReply(4))]


def test_balancer_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        LoadBalancer([], RoundRobin())
    with pytest.raises(ValueError, match="repeat"):
        LoadBalancer(["a", "a"], RoundRobin())
    with pytest.raises(TypeError, match="Policy"):
        LoadBalancer(["a"], "round robin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown mutant"):
        LoadBalancer(["a"], RoundRobin(), mutant="typo")
    with pytest.raises(ValueError, match="fall"):
        HealthCheck(fall=0)
    with pytest.raises(ValueError, match="crash"):
        run_balancer("random", [1.0], 1.0, 10, crash=(3, 1.0, 2.0))


# -- measured: tail latency --------------------------------------------------------------------
def test_adaptive_policies_cut_the_tail_behind_a_slow_backend() -> None:
    runs = {p: run_balancer(p, SLOW, rate=3.0, requests=2000, seed=1) for p in POLICIES}
    assert all(r.answered == 2000 for r in runs.values())
    for fixed in ("round robin", "random", "consistent hash"):
        for adaptive in ("least connections", "power of two"):
            assert runs[adaptive].p(99) * 5 < runs[fixed].p(99), (fixed, adaptive)
    assert dict(runs["round robin"].sent)["b5"] == 400  # an equal share, far over its capacity
    assert dict(runs["least connections"].sent)["b5"] < 200
    # the median hardly differs: the damage is all in the tail
    assert runs["round robin"].p(50) < 2 * runs["least connections"].p(50)


def test_same_seed_same_stream_whatever_the_policy() -> None:
    a = run_balancer("random", SLOW, rate=3.0, requests=300, seed=4)
    b = run_balancer("least connections", SLOW, rate=3.0, requests=300, seed=4)

    def arrivals(run: object) -> list[float]:
        trace = run.simulation.trace  # type: ignore[attr-defined]
        return [e.time for e in trace if e.kind == "send" and e.node == "load"]

    assert arrivals(a) == arrivals(b)
    again = run_balancer("random", SLOW, rate=3.0, requests=300, seed=4)
    assert again.latencies == a.latencies


def test_a_run_as_a_frame_is_its_summary_row() -> None:
    run = run_balancer("random", SLOW, rate=3.0, requests=300, seed=4)
    frame = run.to_frame()
    assert frame.shape == (1, 8)
    assert frame.iloc[0].to_dict() == run.summary()
    assert frame.loc[0, "p99"] == run.p(99) and frame.loc[0, "answered"] == run.answered


def test_results_do_not_depend_on_the_hash_seed() -> None:
    code = (
        "from dslib.balancing import run_balancer\n"
        "r = run_balancer('consistent hash', [1.0, 2.0, 1.0], rate=1.0, requests=300, seed=2)\n"
        "print(r.sent, r.latencies[-5:])\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            cwd=ROOT,
            check=True,
        ).stdout
        for seed in ("0", "7")
    }
    assert len(outputs) == 1


# -- health checks and the mutants --------------------------------------------------------------
def test_health_checks_eject_a_crashed_backend_within_the_bound() -> None:
    h = HealthCheck(interval=5.0, fall=2, rise=2)
    run = run_balancer(
        "least connections",
        [(0.5, 1.5)] * 3,
        rate=1.5,
        requests=900,
        seed=2,
        health=h,
        crash=(0, 100.0, 250.0),
    )
    sends = [
        e.time
        for e in run.simulation.trace
        if e.kind == "send" and e.node == "lb" and e.peer == "b1" and isinstance(e.data, Request)
    ]
    assert not [t for t in sends if 100.0 + h.detection_bound() <= t < 250.0]
    assert [t for t in sends if t >= 250.0 + h.readmission_bound()]
    assert run.unanswered < 15  # only what was queued at b1 when it crashed
    no_health = run_balancer(
        "round robin", [(0.5, 1.5)] * 3, rate=1.5, requests=900, seed=2, crash=(0, 100.0, 250.0)
    )
    assert no_health.unanswered > 70  # a third of the 225 requests sent while it was down


def test_every_balancer_mutant_is_caught() -> None:
    report = assert_mutants_caught(lambda: None, balancer_mutants(), BALANCER_CHECKS)
    assert [m.caught_by for m in report.mutants] == [
        ("ejects a failed backend",),
        ("readmits a recovered backend",),
        ("avoids a slow backend",),
    ]


# -- smooth weighted round robin ----------------------------------------------------------------
def _swrr_oracle(weights: list[tuple[str, int]], picks: int) -> list[str]:
    """Another formulation of the rule: before pick k (from 1), backend i's current weight is
    k * w_i - W * (its picks so far); the largest wins, the first on a tie."""
    total = sum(w for _, w in weights)
    count = [0] * len(weights)
    out = []
    for k in range(1, picks + 1):
        scores = [k * w - total * c for (_, w), c in zip(weights, count, strict=True)]
        best = scores.index(max(scores))
        count[best] += 1
        out.append(weights[best][0])
    return out


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(st.integers(1, 9), min_size=1, max_size=6),
    st.integers(0, 60),
)
def test_smooth_weighted_round_robin_against_its_closed_form_and_its_promises(
    ws: list[int], picks: int
) -> None:
    weights = [(f"b{i}", w) for i, w in enumerate(ws)]
    got = smooth_weighted_round_robin(weights, picks)
    assert got == _swrr_oracle(weights, picks)
    total = sum(ws)
    for start in range(len(got) - total + 1):  # each weight in every window of total picks
        window = got[start : start + total]
        assert [window.count(n) for n, _ in weights] == ws
    for k in range(1, len(got) + 1):  # never ahead of its share by a whole pick
        assert all(got[:k].count(n) <= -(-w * k // total) for n, w in weights)


def test_smooth_weighted_round_robin_rejects_bad_weights() -> None:
    assert "".join(smooth_weighted_round_robin([("a", 5), ("b", 1), ("c", 1)], 7)) == "aabacaa"
    for weights, picks, words in [
        ([], 1, "at least one"),
        ([("a", 1), ("a", 2)], 1, "repeat"),
        ([("a", 1.5)], 1, "ints >= 1"),
        ([("a", True)], 1, "ints >= 1"),
        ([("a", 1)], -1, "picks=-1"),
    ]:
        with pytest.raises(ValueError, match=words):
            smooth_weighted_round_robin(weights, picks)  # type: ignore[arg-type]


# -- the policies' and the bins' mutants ----------------------------------------------------------
def _on_seed(check: SeededCheck, seed: int) -> Callable[[str | None], Outcome]:
    return lambda mutant: check(mutant, seed)


@pytest.mark.parametrize("seed", [0, 7])
def test_every_policy_and_bins_mutant_is_caught_by_its_check(seed: int) -> None:
    for mutants, checks in ((policy_mutants(), POLICY_CHECKS), (bins_mutants(), BINS_CHECKS)):
        seeded = {name: _on_seed(check, seed) for name, check in checks.items()}
        report = assert_mutants_caught(lambda: None, mutants, seeded)
        for m in report.mutants:  # caught by exactly the checks written for it
            assert m.caught_by == m.expected, (m.name, m.caught_by)
    assert [m.name for m in policy_mutants()] == list(POLICY_MUTANTS)
    assert [m.name for m in bins_mutants()] == list(BINS_MUTANTS)


def test_catch_rates_over_seeds_and_the_table() -> None:
    seeds = range(4)
    for mutant in POLICY_MUTANTS:
        check = POLICY_CHECKS[policy_mutants()[list(POLICY_MUTANTS).index(mutant)].caught_by[0]]
        assert catch_rate(check, mutant, seeds) == (4, 4), mutant
        assert catch_rate(check, None, seeds) == (0, 4)
    table = mutant_catch_table(BINS_CHECKS, bins_mutants(), seeds)
    assert list(table["seeds"]) == [
        "passes all 2 checks in 4/4 seeds",
        "caught in 4/4 seeds",
        "caught in 4/4 seeds",
    ]
    with pytest.raises(ValueError, match="at least one seed"):
        catch_rate(keys_stay_put, None, [])
    balancer = mutant_catch_table(BALANCER_CHECKS, balancer_mutants(), [3])  # not 6.3's seeds
    assert (
        list(balancer["seeds"])
        == ["passes all 3 checks in 1/1 seeds"] + ["caught in 1/1 seeds"] * 3
    )


def test_keys_stay_put_against_a_brute_force_count_of_moved_keys() -> None:
    """The check's verdict against a direct count: every key of a live backend, with all five
    backends and with one removed, through the ring itself rather than the policy."""
    from dslib.sharding.partitioning import ConsistentHashRing, make_keys

    backends = ["b1", "b2", "b3", "b4", "b5"]
    ring = ConsistentHashRing(backends, 64)
    for seed in range(5):
        dead = backends[seed % 5]
        moved = 0
        for key in make_keys(200, prefix=f"s{seed}-key"):
            owner = next(iter(ring.successors(key)))
            after = next(n for n in ring.successors(key) if n != dead)
            moved += owner != dead and after != owner
        assert moved == 0 and keys_stay_put(None, seed).ok
        assert not keys_stay_put("modulo_hash", seed).ok


def test_policy_mutants_are_validated_per_policy() -> None:
    with pytest.raises(ValueError, match="allowed: None or one of \\['ties_to_first'\\]"):
        LeastConnections("modulo_hash")
    with pytest.raises(ValueError, match="unknown mutant"):
        PowerOfTwoChoices(2, "ties_to_first")
    with pytest.raises(ValueError, match="unknown mutant"):
        ConsistentHashPolicy(["a"], mutant="typo")
    with pytest.raises(ValueError, match="unknown mutant"):
        balls_into_bins(10, choices=2, mutant="modulo_hash")
    with pytest.raises(ValueError, match="unknown mutant"):
        POLICY_CHECKS["ties take turns at low load"]("same_bin_twice", 0)


# -- balls into bins --------------------------------------------------------------------------
def test_balls_into_bins_two_choices_against_theory() -> None:
    for n in (1000, 30_000):
        one = [max(balls_into_bins(n, choices=1, seed=s)) for s in range(3)]
        two = [max(balls_into_bins(n, choices=2, seed=s)) for s in range(3)]
        assert min(one) > max(two)
        assert all(abs(m - max_load_gonnet(n)) <= 2.5 for m in one), (n, one)
        assert all(m <= max_load_d_choices(n, 2) + 2 for m in two), (n, two)
    loads = balls_into_bins(100, balls=1000, choices=2, seed=1)
    # heavily loaded: the most loaded bin stays a few balls above the mean, whatever m is
    assert sum(loads) == 1000 and max(loads) - 10 <= 3
    assert max_load_one_choice(1e6) == pytest.approx(math.log(1e6) / math.log(math.log(1e6)))
    with pytest.raises(ValueError, match="choices"):
        balls_into_bins(10, choices=0)
    with pytest.raises(ValueError, match="d="):
        max_load_d_choices(100, 1)


def test_load_tail_theory_matches_poisson_and_the_measured_distribution() -> None:
    poisson = [1 - sum(math.exp(-1) / math.factorial(k) for k in range(i)) for i in range(1, 6)]
    assert load_tail_theory(1, 5) == pytest.approx(poisson, abs=1e-9)
    n = 100_000
    for d in (1, 2, 3):
        loads = balls_into_bins(n, choices=d, seed=2)
        measured = [sum(1 for x in loads if x >= i) / n for i in range(1, 5)]
        assert measured == pytest.approx(load_tail_theory(d, 4), abs=0.005), d
    with pytest.raises(ValueError, match="levels"):
        load_tail_theory(2, 0)


# -- the race -------------------------------------------------------------------------------------
def test_race_runs_every_policy_on_the_same_stream_and_draws_it() -> None:
    assert service_times(2, 3.0) == [(0.5, 1.5), (1.5, 4.5)]
    runs = race(["round robin", "power of two"], backends=3, slow=4.0, requests=400)
    table = race_table(runs)
    assert list(table.index) == ["round robin", "power of two"]
    assert table.loc["power of two", "p99"] < table.loc["round robin", "p99"]
    assert table.loc["power of two", "slow backend %"] < 100 / 3
    fig = race_figure(runs)
    assert len(fig.axes) == 2 and len(fig.axes[0].get_lines()) >= 2


def test_race_widget_driven_from_code() -> None:
    widget = LoadBalancerRace(requests=200, backends=3)
    first = widget.image.value
    assert first[:4] == b"\x89PNG" and "<table" in widget.table.value
    # its stored text form summarises the figure, not the widget tree (issue 28 section 3)
    assert repr(widget).startswith("LoadBalancerRace(3 backends, one 5x slower, load 0.7, 200")
    assert all(f"{name} " in repr(widget) for name in POLICIES)
    widget.controls["health"].value = True
    widget.controls["crash"].value = True
    assert "health checks, b1 crashes: p99" in repr(widget)
    assert widget.values()["crash"] is True and sorted(widget.runs) == sorted(POLICIES)
    assert widget.image.value != first
    with pytest.raises(TypeError, match="unknown parameters"):
        LoadBalancerRace(speed=3)


@pytest.mark.parametrize(("slow", "marked"), [(1.0, []), (5.0, ["b3 (slow)"])])
def test_race_figure_marks_only_the_slower_backends(slow: float, marked: list[str]) -> None:
    # 6.0's "More to try" runs race(slow=1.0): alike backends, so none may be called slow.
    runs = race(["round robin"], backends=3, slow=slow, requests=60, seed=0)
    shares = race_figure(runs).axes[1]
    labels = [t.get_text() for t in shares.get_xticklabels()]
    assert [x for x in labels if "slow" in x] == marked
    assert len(labels) == 3
