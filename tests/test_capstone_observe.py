"""Observability of a run (dslib.capstone.observe): timelines, fault intervals, performance.

Each reconstruction from the trace is compared with an independent observation: probes
scheduled in the same run read the live simulation (``sim.states``, ``sim.crashed``,
``sim.connected``) at random times, and the timeline and the fault intervals must say
the same thing at those times.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.capstone.observe import (
    FaultInterval,
    Performance,
    Timeline,
    draw_performance,
    draw_timeline,
    fault_intervals,
    group_timeline,
    performance,
    shardkv_timeline,
)
from dslib.capstone.shardkv import run_shardkv
from dslib.raft.core import RaftConfig, raft_system
from dslib.raft.kv import run_kv
from dslib.sim import Crash, Heal, Nemesis, Partition, Pause, Restart, Simulation, uniform
from dslib.sim.history import Event, History
from dslib.sim.nemesis import ClockSkew, Cut, NetworkChange
from dslib.sim.network import Network
from dslib.sim.trace import Trace

NODES = ("s1", "s2", "s3")


def crash_leader_run() -> Any:
    return run_kv(
        1,
        servers=3,
        clients=2,
        ops=10,
        nemesis=Nemesis([(200.0, Crash("s1")), (900.0, Restart("s1"))]),
    )


def test_a_crashed_leader_is_replaced_in_a_higher_term_and_the_gap_is_measured() -> None:
    run = crash_leader_run()
    timeline = group_timeline(run.sim)
    assert timeline.names == ["raft"]
    leads = timeline.leaderships()
    assert [x.node for x in leads][:1] == ["s1"] and leads[0].end == 200.0
    assert all(a.term < b.term for a, b in itertools.pairwise(leads))
    assert leads[1].node != "s1"
    # No leader before the first election, and from the crash to the next election.
    gap = timeline.without_leader("raft")
    assert gap == pytest.approx(leads[0].start + (leads[1].start - 200.0))
    s1 = timeline.of("s1")
    assert [s.role for s in s1 if 200.0 <= s.time < 900.0] == ["down"]


def test_the_same_seed_gives_the_same_timeline() -> None:
    a, b = group_timeline(crash_leader_run().sim), group_timeline(crash_leader_run().sim)
    assert a == b
    assert repr(a) == "Timeline(1 groups, 3 servers, 61 samples, until 3900)"


schedules = st.lists(
    st.tuples(
        st.floats(0.0, 1200.0),
        st.sampled_from(["crash", "pause", "partition", "cut", "skew", "loss"]),
        st.sampled_from(NODES),
        st.floats(50.0, 400.0),
    ),
    min_size=1,
    max_size=4,
)


def nemesis_of(episodes: list[tuple[float, str, str, float]]) -> Nemesis:
    """Episodes that never overlap on one node (a node is not crashed twice)."""
    out: list[tuple[float, Any]] = []
    busy: dict[str, float] = {}
    for t, kind, node, length in sorted(episodes):
        if busy.get(node, -1.0) >= t:
            continue
        busy[node] = t + length
        if kind == "crash":
            out += [(t, Crash(node)), (t + length, Restart(node))]
        elif kind == "pause":
            out.append((t, Pause(node, length)))
        elif kind == "partition":
            rest = tuple(n for n in NODES if n != node)
            out += [(t, Partition(((node,), rest))), (t + length, Heal())]
        elif kind == "cut":
            other = NODES[(NODES.index(node) + 1) % 3]
            out += [(t, Cut(node, other)), (t + length, Heal())]
        elif kind == "skew":
            out += [(t, ClockSkew(node, 30.0, 1.5)), (t + length, ClockSkew(node))]
        else:
            out += [(t, NetworkChange(loss=0.3)), (t + length, NetworkChange())]
    return Nemesis(out)


def covering(timeline: Timeline, node: str, t: float) -> Any:
    mine = [s for s in timeline.of(node) if s.time <= t]
    return mine[-1]


@settings(max_examples=25, deadline=None)
@given(schedules, st.lists(st.floats(1.0, 1600.0), min_size=4, max_size=12), st.integers(0, 3))
def test_the_timeline_agrees_with_the_live_states_at_any_time(
    episodes: list[tuple[float, str, str, float]], probes: list[float], seed: int
) -> None:
    nemesis = nemesis_of(episodes)
    sim = Simulation(
        raft_system(3, RaftConfig(commands=("x",), propose_interval=120.0)),
        seed=seed,
        network=Network(latency=uniform(1.0, 5.0)),
        nemesis=nemesis,
    )
    seen: dict[float, Any] = {}

    def probe(s: Simulation) -> None:
        states = s.states
        row = {}
        for n in NODES:
            if n in s.crashed:
                row[n] = ("down", 0, 0, 0)
            else:
                r = states[n]
                row[n] = (r.role, r.current_term, r.last_index, r.commit_index)
        cut = {(a, b) for a in NODES for b in NODES if a != b and not s.connected(a, b)}
        seen[s.now] = (row, set(s.crashed), cut)

    middles = [t + length / 2 for t, _kind, _node, length in episodes]  # inside each fault
    # Never at an event's own time (the nemesis' times are whole multiples of nothing).
    times = sorted({round(p, 3) + 0.0005 for p in [*probes, *middles]})
    for t in times:
        sim.at(t, probe)
    sim.run(until=1700.0)
    timeline = group_timeline(sim)
    faults = fault_intervals(sim.trace, end=sim.now)
    for t, (row, crashed, cut) in seen.items():
        for n in NODES:
            s = covering(timeline, n, t)
            assert (s.role, s.term, s.log_length, s.commit_index) == row[n], (t, n)
        on = [f for f in faults if f.start <= t < f.end]
        assert {f.label.split()[1] for f in on if f.kind == "crash"} == crashed
        links = bool(cut)
        assert links == any(f.kind in ("partition", "cut") for f in on), (t, cut, on)


def test_every_kind_of_fault_becomes_an_interval_that_ends_where_it_is_undone() -> None:
    t = Trace()
    t.append((1.0, "crash", "a", None, None, None, None))
    t.append((2.0, "fault", "b", None, ClockSkew("b", 5.0), None, None))
    t.append((3.0, "fault", None, None, Cut("a", "b"), None, None))
    t.append((4.0, "fault", None, None, NetworkChange(loss=0.5, duplication=0.1), None, None))
    t.append((5.0, "fault", None, None, Heal(), None, None))
    t.append((6.0, "restart", "a", None, None, None, None))
    t.append((7.0, "fault", "b", None, ClockSkew("b"), None, None))
    t.append((8.0, "fault", None, None, Partition((("a",), ("b",))), None, None))
    t.append((9.0, "fault", None, None, Partition((("a", "b"), ("c",))), None, None))
    assert fault_intervals(t, end=12.0) == [
        FaultInterval(1.0, 6.0, "crash", "crash a"),
        FaultInterval(2.0, 7.0, "skew", "skew b"),
        FaultInterval(3.0, 5.0, "cut", "cut a->b"),
        FaultInterval(4.0, 12.0, "loss", "loss 0.5, dup 0.1"),
        FaultInterval(8.0, 9.0, "partition", "partition a | b"),
        FaultInterval(9.0, 12.0, "partition", "partition a b | c"),
    ]


histories = st.lists(
    st.tuples(
        st.sampled_from(["c1", "c2", "c3"]),
        st.floats(0.0, 50.0),
        st.floats(0.0, 900.0),
        st.sampled_from(["ok", "ok", "info", "fail"]),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(histories, st.sampled_from([7.0, 50.0, 100.0]))
def test_throughput_per_bin_counts_the_ok_completions_in_it(
    ops: list[tuple[str, float, float, str]], width: float
) -> None:
    clock = {"c1": 0.0, "c2": 0.0, "c3": 0.0}
    expected: list[tuple[float, float]] = []
    events: list[tuple[float, int, str, str]] = []
    for client, wait, length, status in ops:
        start = clock[client] + wait
        n = len(events)  # ties: a client's own events stay in the order it made them
        events += [(start, n, client, "invoke"), (start + length, n + 1, client, status)]
        clock[client] = start + length
        expected.append((start + length, length) if status == "ok" else (-1.0, length))
    h = History()
    for time, _, client, kind in sorted(events):
        h.add(Event(client, kind, "put", None, time, "x"))
    perf = performance(h, bin=width)
    for lo, rate in perf.throughput:  # brute force: count the ok completions in [lo, lo + bin)
        n = sum(1 for end, _ in expected if lo <= end < lo + width)
        last_bin = lo + width > max(clock.values())
        if last_bin:
            n = sum(1 for end, _ in expected if lo <= end)
        assert rate == pytest.approx(n / (width / 1000.0))
    assert sum(r for _, r in perf.throughput) * width / 1000.0 == pytest.approx(
        sum(1 for end, _ in expected if end >= 0)
    )
    assert sorted(p[1] for p in perf.points) == pytest.approx(sorted(x[1] for x in expected))


def test_shards_come_from_the_leaders_state_machine_and_are_drawn() -> None:
    run = crash_leader_run()
    timeline = group_timeline(run.sim, {"g": ["s1", "s2", "s3"]}, shards=_keys_as_shards)
    owned = timeline.ownership("g")
    assert owned and owned[0][1] <= 200.0  # s1's leadership ends with its crash
    assert owned[-1][2] == tuple(range(len(run.final)))  # a "shard" per key written
    faults = fault_intervals(run.sim.trace)
    fig = draw_timeline(timeline, faults, title="one group")
    assert len(fig.axes) == 2
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["g shards", "s3", "s2", "s1"]  # bottom up
    perf = performance(run.history)
    assert isinstance(perf, Performance) and perf.latency(50) > 0
    assert len(draw_performance(perf, faults).axes) == 2


def _keys_as_shards(raft: Any) -> range:
    return range(len(raft.machine or ()))


def test_bad_input_is_refused_with_what_is_allowed() -> None:
    run = crash_leader_run()
    with pytest.raises(TypeError, match="must be a dslib.sim.Simulation"):
        group_timeline(run)
    with pytest.raises(ValueError, match="'s9', which is not a node"):
        group_timeline(run.sim, {"g": ["s1", "s9"]})
    with pytest.raises(ValueError, match="is in groups 'g' and 'h'"):
        group_timeline(run.sim, {"g": ["s1"], "h": ["s1"]})
    with pytest.raises(ValueError, match="has a RaftClientState state, not a Raft server"):
        group_timeline(run.sim, {"g": ["c1"]})
    with pytest.raises(ValueError, match="no group 'h'"):
        group_timeline(run.sim).without_leader("h")
    with pytest.raises(ValueError, match="bin=0 must be a number > 0"):
        performance(run.history, bin=0)
    with pytest.raises(TypeError, match="must be a dslib.sim.Trace"):
        fault_intervals(run.history)  # type: ignore[arg-type]
    quiet = Simulation(raft_system(3), seed=1, record_trace=False).run(until=10.0)
    with pytest.raises(ValueError, match="kept no trace"):
        group_timeline(quiet)


def test_the_capstone_timeline_ends_with_each_group_serving_what_the_controller_gave_it() -> None:
    run = run_shardkv(2, groups=2, clients=2, ops=8)
    assert run.verdict == "ok"
    timeline = shardkv_timeline(run)
    assert timeline.names == ["ctrl", "g1", "g2"]
    assert [label for _, label in timeline.marks] == [f"c{c.num}" for c in run.configs[1:]]
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(timeline.marks))
    latest = run.configs[-1]
    for group in ("g1", "g2"):
        served = timeline.ownership(group)[-1][2]
        assert served == tuple(i for i, g in enumerate(latest.shards) if g == group)
    fig = draw_timeline(timeline, fault_intervals(run.sim.trace), until=1500.0)
    assert fig.axes[1].get_xlim() == (0.0, 1500.0)
    with pytest.raises(ValueError, match="until=0 must be a number > 0"):
        draw_timeline(timeline, until=0)
    with pytest.raises(TypeError, match="must be a ShardKVRun"):
        shardkv_timeline(crash_leader_run())
