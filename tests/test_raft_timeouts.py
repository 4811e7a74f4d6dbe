"""Tests for dslib.raft.timeouts: the election-timeout experiment of the Raft paper, section 9.3."""

from __future__ import annotations

import math

import pytest

from dslib.core import Context
from dslib.raft import RaftConfig, RaftState, RequestVote
from dslib.raft.timeouts import (
    FAITHFUL_BROADCAST,
    PAPER_FIGURES,
    PAPER_RANGES,
    RANDOMNESS_RANGES,
    SCALE_RANGES,
    TIMER_RULES,
    _TrialServer,
    broadcast_time,
    downtime_samples,
    election_downtime,
    election_trial,
    one_way_latency,
    paper_comparison,
    paper_table,
    percentile,
    plot_downtime_cdfs,
    range_label,
    summarize,
    timeout_experiment,
    trial_seed,
    trial_story,
)

IDS = ("s1", "s2", "s3", "s4", "s5")


def median(values: list[float]) -> float:
    return percentile(values, 50)


# -- the setup ---------------------------------------------------------------------------------
def test_ranges_are_those_of_figure_16() -> None:
    assert [range_label(r) for r in PAPER_RANGES] == [
        "150-150", "150-151", "150-155", "150-175", "150-200", "150-300",
        "12-24", "25-50", "50-100", "100-200",
    ]  # fmt: skip
    assert set(RANDOMNESS_RANGES) | set(SCALE_RANGES) == set(PAPER_RANGES)


def test_paper_figures_are_the_stated_numbers() -> None:
    stated = {(range_label(f.timeout), f.statistic): f.value for f in PAPER_FIGURES}
    assert stated == {
        ("150-150", "min"): 10_000.0,
        ("150-155", "median"): 287.0,
        ("150-200", "max"): 513.0,
        ("12-24", "mean"): 35.0,
        ("12-24", "max"): 152.0,
    }
    assert all(f"{f.value:g}" in f.quote.replace("10 seconds", "10000") for f in PAPER_FIGURES)


def test_one_way_latency_gives_the_broadcast_time() -> None:
    for b in (5.0, 15.0):
        assert broadcast_time(one_way_latency(b), samples=20_000, seed=3) == pytest.approx(
            b, rel=0.02
        )
    assert repr(one_way_latency(15.0)) == "uniform(5.25, 8.4)"


def test_initial_logs_leave_two_survivors_unable_to_win() -> None:
    trial = election_trial((150, 300), seed=1)
    inits = {e.node: e.data for e in trial.simulation.trace if e.kind == "init"}
    assert inits["s1"].role == "leader"
    lengths = {n: len(s.log) for n, s in inits.items()}
    assert lengths == {"s1": 3, "s2": 3, "s3": 3, "s4": 1, "s5": 1}
    assert all(s.current_term == 2 for s in inits.values())


def test_only_servers_with_the_whole_log_become_leader() -> None:
    winners = set()
    for r in ((12, 24), (150, 155), (150, 300)):
        for seed in range(15):
            trial = election_trial(r, seed=seed)
            assert not trial.censored
            winners.add(trial.leader)
            assert trial.term == 2 + trial.elections
    assert winners == {"s2", "s3"}


def test_followers_reset_their_timers_together_and_the_leader_crashes_in_its_interval() -> None:
    trial = election_trial((150, 300), seed=4)
    sim = trial.simulation
    assert 0 <= trial.crash_time < 75
    crashes = [e for e in sim.trace if e.kind == "crash"]
    assert [(e.node, e.time) for e in crashes] == [("s1", trial.crash_time)]
    # The synchronized heartbeats: the leader sends one AppendEntries to each follower at 0.
    first = [e for e in sim.trace if e.kind == "send" and e.node == "s1"]
    assert [(e.time, e.peer) for e in first[:4]] == [(0.0, p) for p in IDS[1:]]
    # ... and sends nothing more (its next heartbeat would be at 75 ms).
    assert all(e.time == 0.0 for e in first)


def test_downtime_is_at_least_the_timeout_minus_the_crash_point_plus_three_hops() -> None:
    b = 15.0
    for crash_at in (0.0, 30.0, 74.9):
        trial = election_trial((150, 155), seed=2, crash_at=crash_at, broadcast=b)
        assert trial.crash_time == crash_at
        # heartbeat arrives >= 0.35 b; then timeout >= 150; RequestVote, reply, AppendEntries.
        assert trial.downtime >= 150 + 4 * 0.35 * b - crash_at


def test_downtime_ends_when_every_survivor_accepted_the_new_leader() -> None:
    trial = election_trial((150, 300), seed=3)
    story = trial_story(trial)
    assert story[0].endswith("s1 crashes")
    accepts = [line for line in story if "accepts" in line]
    assert len(accepts) == 3  # the three survivors other than the leader
    last = float(accepts[-1].split()[0])
    assert last == pytest.approx(trial.downtime, abs=0.01)
    assert any(f"{trial.leader} becomes leader of term {trial.term}" in line for line in story)


def test_majority_ends_no_later_than_all() -> None:
    every = election_downtime((150, 200), trials=30, seed=5)
    majority = election_downtime((150, 200), trials=30, seed=5, measure="majority")
    assert all(m <= a for m, a in zip(majority, every, strict=True))
    assert sum(majority) < sum(every)


# -- how the downtime responds to the timeout range ------------------------------------------
def test_no_randomness_never_elects_a_leader() -> None:
    downtimes = election_downtime((150, 150), trials=10, seed=0, limit=2000)
    assert downtimes == [math.inf] * 10
    trial = election_trial((150, 150), seed=0, limit=2000)
    assert trial.censored and trial.leader is None
    assert trial.elections >= 12  # a split vote every 150 ms


def test_more_randomness_shortens_the_downtime() -> None:
    samples = downtime_samples(
        [(150, 155), (150, 175), (150, 300)], trials=60, seed=1, broadcast=15.0
    )
    m155, m175, m300 = (median(samples[k]) for k in ("150-155", "150-175", "150-300"))
    assert m300 < m155 and m175 < m155
    assert m155 > 300  # repeated split votes at this latency
    assert percentile(samples["150-300"], 90) < percentile(samples["150-155"], 90)


def test_short_timeouts_are_fast_when_the_network_is_fast() -> None:
    fast = election_downtime((12, 24), trials=60, seed=2)  # the default: 5 ms
    slow = election_downtime((12, 24), trials=60, seed=2, broadcast=15.0)
    assert sum(fast) / len(fast) < 50  # the paper: 35 ms on average
    assert sum(slow) / len(slow) > 2 * sum(fast) / len(fast)  # split votes with slow messages


def test_scaling_the_minimum_scales_the_downtime() -> None:
    samples = downtime_samples([(50, 100), (100, 200)], trials=40, seed=3, broadcast=5.0)
    assert median(samples["50-100"]) < median(samples["100-200"])
    assert all(d > 50 for d in samples["100-200"])  # at least half the minimum timeout


def test_resetting_on_every_new_term_costs_elections() -> None:
    figure2 = election_downtime((150, 175), trials=60, seed=4)
    any_term = election_downtime((150, 175), trials=60, seed=4, timer_rule="any_new_term")
    assert FAITHFUL_BROADCAST == 5.0  # the default network of every run above
    assert median(any_term) > median(figure2)


# -- the timer rule at the level of one handler -------------------------------------------------
@pytest.mark.parametrize(("rule", "resets"), [("figure2", False), ("any_new_term", True)])
def test_timer_rule_for_a_refused_vote_of_a_higher_term(rule: str, resets: bool) -> None:
    node = _TrialServer(RaftConfig(election_timeout=(150, 300)), rule)
    ctx = Context("s2", IDS)
    state = node.init(ctx)
    ctx = Context("s2", IDS)
    new = node.on_message(ctx, state, "s4", RequestVote(3, "s4", 1, 1))  # a too-short log
    assert new.current_term == 3 and new.voted_for is None
    assert any(name == "election" for name, _ in ctx.timers_set) is resets


@pytest.mark.parametrize("rule", sorted(TIMER_RULES))
def test_timer_rule_keeps_figure2_resets(rule: str) -> None:
    node = _TrialServer(RaftConfig(election_timeout=(150, 300)), rule)
    state = RaftState(current_term=2, log=())
    ctx = Context("s4", IDS)
    new = node.on_message(ctx, state, "s2", RequestVote(3, "s2", 3, 2))  # granted
    assert new.voted_for == "s2"
    assert any(name == "election" for name, _ in ctx.timers_set)


# -- determinism -------------------------------------------------------------------------------
def test_same_seed_same_downtimes() -> None:
    a = election_downtime((150, 200), trials=20, seed=11)
    b = election_downtime((150, 200), trials=20, seed=11)
    c = election_downtime((150, 200), trials=20, seed=12)
    assert a == b and a != c
    t1, t2 = election_trial((12, 24), seed=9), election_trial((12, 24), seed=9)
    assert t1 == t2
    assert t1.simulation.trace.fingerprint() == t2.simulation.trace.fingerprint()


def test_trial_seeds_are_shared_across_ranges() -> None:
    """Common random numbers: trial i crashes the leader at the same fraction of its interval."""
    a = election_trial((150, 300), seed=5)
    b = election_trial((100, 200), seed=5)
    assert a.crash_time / 75 == pytest.approx(b.crash_time / 50)
    downtimes = election_downtime((150, 200), trials=3, seed=8)
    singles = [election_trial((150, 200), seed=trial_seed(8, i)).downtime for i in range(3)]
    assert downtimes == [round(d, 2) for d in singles]


# -- summaries, tables and the figure --------------------------------------------------------
def test_percentile_is_nearest_rank_and_sorts_censored_last() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, math.inf]
    got = [percentile(values, p) for p in (10, 50, 80, 90, 100)]
    assert got == [1.0, 3.0, 5.0, math.inf, math.inf]


def test_summarize_and_paper_table() -> None:
    samples = {"150-155": [100.0, 200.0, 300.0, 400.0], "150-150": [math.inf, math.inf]}
    df = summarize(samples)
    assert df.loc["150-155", "median"] == 200.0
    assert df.loc["150-155", "p90"] == 400.0
    assert df.loc["150-155", "mean"] == 250.0
    assert df.loc["150-150", "censored"] == 2 and math.isinf(df.loc["150-150", "median"])
    table = paper_table(samples, limit=10_000)
    assert table.loc["150-155", "paper"] == "median 287 ms"
    assert table.loc["150-155", "ours"] == "median 200 ms"
    assert table.loc["150-150", "median"] == "> 10000"
    assert table.loc["150-150", "ours"] == "every trial > 10 s"
    twelve = paper_table({"12-24": [30.0, 50.0]})
    assert twelve.loc["12-24", "paper"] == "mean 35 ms, max 152 ms"
    assert twelve.loc["12-24", "ours"] == "mean 40 ms, max 50 ms"


def test_timeout_experiment_is_the_summary_of_the_samples() -> None:
    ranges = [(25, 50), (150, 300)]
    df = timeout_experiment(ranges, trials=5, seed=6)
    assert list(df.index) == ["25-50", "150-300"]
    assert df.equals(summarize(downtime_samples(ranges, trials=5, seed=6)))


def test_plot_has_the_two_panels_of_figure_16() -> None:
    samples = {"150-150": [math.inf], "150-155": [200.0, 300.0], "12-24": [30.0, 40.0]}
    fig = plot_downtime_cdfs(samples)
    top, bottom = fig.axes
    assert top.get_xscale() == "log" and bottom.get_xscale() == "linear"
    assert bottom.get_xlim() == (0.0, 600.0)
    assert [t.get_text() for t in top.get_legend().get_texts()] == [
        "150-150 ms (1/1 > 10 s)",
        "150-155 ms",
    ]
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["12-24 ms"]
    # A censored range stays at 0% up to the limit.
    assert max(top.lines[0].get_ydata()) == 0.0


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout": (300, 150)}, "must be a range"),
        ({"timeout": (0, 10)}, "must be a range"),
        ({"timeout": "150-300"}, "must be a range"),
        ({"timeout": (150, float("inf"))}, "must be a range"),  # a trial needs finite bounds
        ({"timeout": [150, 300]}, "must be a range"),
        ({"crash_at": 75.0}, "below the heartbeat interval 75"),
        ({"crash_at": -1.0}, "below the heartbeat interval"),
        ({"measure": "some"}, "allowed: \\['all', 'majority'\\]"),
        ({"timer_rule": "never"}, "allowed: \\['figure2', 'any_new_term'\\]"),
        ({"limit": 0}, "limit=0 must be a number > 0"),
        ({"broadcast": -1}, "broadcast=-1 must be a number > 0"),
        ({"timeout": (12, 24), "broadcast": 30.0}, "too long for timeout"),
    ],
)
def test_election_trial_rejects_bad_arguments(kwargs: dict, message: str) -> None:
    timeout = kwargs.pop("timeout", (150, 300))
    with pytest.raises(ValueError, match=message):
        election_trial(timeout, **kwargs)


def test_other_validation_errors() -> None:
    with pytest.raises(TypeError, match="seed=True must be an int"):
        election_trial((150, 300), seed=True)
    with pytest.raises(ValueError, match="trials=0 must be an int >= 1"):
        election_downtime((150, 300), trials=0)
    with pytest.raises(ValueError, match="repeat a range"):
        downtime_samples([(150, 300), (150.0, 300.0)], trials=1)
    with pytest.raises(ValueError, match="non-empty sequence"):
        downtime_samples([], trials=1)
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="q=101 must be a number from 0 to 100"):
        percentile([1.0], 101)
    with pytest.raises(ValueError, match="has no trials"):
        summarize({"150-300": []})
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_downtime_cdfs({})
    with pytest.raises(ValueError, match="servers=1 must be an int >= 2"):
        broadcast_time(one_way_latency(), servers=1)
    with pytest.raises(TypeError, match="must be a dslib.sim.Latency"):
        broadcast_time(15.0)  # type: ignore[arg-type]


def test_short_timeouts_with_slow_messages_depose_new_leaders() -> None:
    """The timing requirement broken: a follower times out before the new leader's heartbeat."""
    slow = [election_trial((12, 24), seed=s, broadcast=15.0).leaders_elected for s in range(30)]
    fast = [election_trial((12, 24), seed=s).leaders_elected for s in range(30)]
    assert max(slow) > 1 and min(slow) >= 1
    assert fast == [1] * 30


# -- the faithful setup against the paper's curves -----------------------------------------------
def test_the_default_network_reproduces_the_papers_medians() -> None:
    """Two ranges at least 25 ms wide, few trials: within 15 % of Figure 16's medians."""
    samples = downtime_samples([(150, 200), (100, 200)], trials=80, seed=0)
    table = paper_comparison(samples)
    assert list(table.index) == ["150-200", "100-200"]
    assert (table["median gap"].abs() < 0.15).all(), table
    # The slow network of the paper's quoted 15 ms does not: the medians are far too long.
    slow = paper_comparison(downtime_samples([(150, 175)], trials=40, seed=0, broadcast=15.0))
    assert slow.loc["150-175", "median gap"] > 0.15


def test_paper_comparison_columns_and_errors() -> None:
    table = paper_comparison({"50-100": [66.7] * 9 + [1000.0], "7-9": [1.0]})
    assert list(table.index) == ["50-100"]
    row = table.loc["50-100"]
    assert row["paper median"] == 66.7 and row["median"] == 66.7 and row["median gap"] == 0.0
    assert row["paper p90"] == 95.6 and row["p90"] == 66.7
    assert row["decile gap"] == round((66.7 - 47.5) / 47.5, 4)  # the 10th percentile differs most
    censored = paper_comparison({"150-151": [math.inf] * 3})
    assert math.isinf(censored.loc["150-151", "median"])
    with pytest.raises(ValueError, match="none of the ranges"):
        paper_comparison({"7-9": [1.0]})
    with pytest.raises(ValueError, match="has no trials"):
        paper_comparison({"50-100": []})
    with pytest.raises(TypeError, match="must be a mapping"):
        paper_comparison([1.0])  # type: ignore[arg-type]


def test_plot_can_show_the_papers_deciles() -> None:
    fig = plot_downtime_cdfs({"150-200": [140.0, 150.0], "12-24": [30.0]}, paper=True)
    top, bottom = fig.axes
    dots = [line for line in top.lines if line.get_marker() == "o"]
    assert len(dots) == 1 and list(dots[0].get_ydata()) == list(range(10, 100, 10))
    assert list(dots[0].get_xdata())[4] == 146.3
    assert "deciles" in bottom.get_xlabel()
    plain = plot_downtime_cdfs({"150-200": [140.0, 150.0]})
    assert not [line for line in plain.axes[0].lines if line.get_marker() == "o"]
