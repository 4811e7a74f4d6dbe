"""Tests of session guarantees, convergence, the stale replicated register and the history plot."""

from __future__ import annotations

import pytest

from dslib.consistency import (
    GUARANTEES,
    Register,
    check_convergence,
    check_linearizable,
    check_sequential,
    check_sessions,
    history_from_intervals,
)
from dslib.consistency.demo import (
    Primary,
    Replica,
    ReplicaState,
    register_workloads,
    replicated_register,
)
from dslib.sim import Simulation


def sessions(rows, *args, **kwargs):
    return check_sessions(history_from_intervals(rows), *args, **kwargs)


def test_read_your_writes():
    ok = [("c", "write", 1, None, 0, 1), ("c", "read", None, 1, 2, 3)]
    assert sessions(ok).ok
    # another client's newer write may be read
    newer = [*ok, ("d", "write", 2, None, 4, 5), ("c", "read", None, 2, 6, 7)]
    assert sessions(newer).ok
    r = sessions([("c", "write", 1, None, 0, 1), ("c", "read", None, None, 2, 3)])
    assert not r.holds("read-your-writes") and r.holds("monotonic-reads")
    assert "the initial value None" in str(r.violations[0])
    r = sessions(
        [("d", "write", 1, None, 0, 1), ("c", "write", 2, None, 2, 3), ("c", "read", None, 1, 4, 5)]
    )
    assert [v.guarantee for v in r.violations] == ["read-your-writes"]
    assert r.violations[0].process == "c" and r.violations[0].second.result == 1
    # concurrent writes are not ordered by real time: reading the other one is fine
    assert sessions(
        [("d", "write", 1, None, 0, 3), ("c", "write", 2, None, 1, 2), ("c", "read", None, 1, 4, 5)]
    ).ok


def test_monotonic_reads():
    writes = [("w1", "write", 1, None, 0, 1), ("w2", "write", 2, None, 2, 3)]
    r = sessions([*writes, ("c", "read", None, 2, 4, 5), ("c", "read", None, 1, 6, 7)])
    assert [v.guarantee for v in r.violations] == ["monotonic-reads"]
    assert sessions([*writes, ("c", "read", None, 1, 4, 5), ("c", "read", None, 2, 6, 7)]).ok
    # two different clients may disagree: not a session violation
    assert sessions([*writes, ("c", "read", None, 2, 4, 5), ("d", "read", None, 1, 6, 7)]).ok


def test_monotonic_writes_and_writes_follow_reads_need_the_store_order():
    rows = [("c", "write", 1, None, 0, 1), ("c", "write", 2, None, 2, 3)]
    assert sessions(rows).ok  # real time orders a session's writes
    r = sessions(rows, version_order=[2, 1])
    assert [v.guarantee for v in r.violations] == ["monotonic-writes"]
    wfr = [
        ("d", "write", 1, None, 0, 1),
        ("c", "read", None, 1, 2, 3),
        ("c", "write", 2, None, 4, 5),
    ]
    assert sessions(wfr, version_order=[1, 2]).ok
    r = sessions(wfr, ["writes-follow-reads"], version_order=[2, 1])
    assert r.table() == [("writes-follow-reads", "violated", 1)]


def test_sessions_per_key_and_unexplained_reads():
    rows = [
        {"process": "c", "f": "put", "key": "x", "value": 1, "start": 0, "end": 1},
        {"process": "c", "f": "get", "key": "y", "result": None, "start": 2, "end": 3},
        {"process": "c", "f": "get", "key": "x", "result": None, "start": 4, "end": 5},
        {"process": "c", "f": "get", "key": "x", "result": 9, "start": 6, "end": 7},
    ]
    r = check_sessions(history_from_intervals(rows), version_order={"x": [1]})
    assert [v.guarantee for v in r.violations] == ["read-your-writes"]
    assert [op.result for op in r.unexplained] == [9] and not r.ok
    assert "unexplained" in r.explain() and "violated" in repr(r)


def test_sessions_bad_input():
    h = history_from_intervals([("c", "write", 1, None, 0, 1), ("d", "write", 1, None, 2, 3)])
    with pytest.raises(ValueError, match="written twice"):
        check_sessions(h)
    h = history_from_intervals([("c", "cas", (1, 2), None, 0, 1)])
    with pytest.raises(ValueError, match="'cas'"):
        check_sessions(h)
    h = history_from_intervals([("c", "write", 1, None, 0, 1)])
    with pytest.raises(ValueError, match="unknown guarantee"):
        check_sessions(h, ["read-my-writes"])
    with pytest.raises(TypeError, match="version_order"):
        check_sessions(h, version_order=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        check_sessions(h, version_order=[1, 1])
    with pytest.raises(ValueError, match="was not checked"):
        check_sessions(h, ["monotonic-reads"]).holds("read-your-writes")
    assert check_sessions(h, "monotonic-reads").guarantees == ("monotonic-reads",)
    assert set(GUARANTEES) == set(check_sessions(h).guarantees)


def test_convergence_from_states_and_final_reads():
    assert check_convergence({"r1": 2, "r2": 2}).ok
    r = check_convergence({"r2": 1, "r1": 2, "r3": 1})
    assert r.diverged == [None] and r.groups[None] == [(1, ["r2", "r3"]), (2, ["r1"])]
    h = history_from_intervals(
        [
            ("a", "write", 1, None, 0, 1),
            ("b", "read", None, 1, 10, 11),
            ("c", "read", None, 1, 10, 12),
            ("c", "read", None, 0, 5, 6),  # before quiescence: does not count
        ]
    )
    assert check_convergence(h, after=10).ok
    assert not check_convergence(h, after=5).ok
    with pytest.raises(ValueError, match="after="):
        check_convergence(h)
    with pytest.raises(ValueError, match="last write"):
        check_convergence(h, after=0)
    with pytest.raises(ValueError, match="not to states"):
        check_convergence({"r1": 1}, after=3)
    with pytest.raises(TypeError):
        check_convergence([1, 1])  # type: ignore[arg-type]


# -- the stale replicated register of chapter 11 ----------------------------------------------
def run(seed: int, **options):
    system = replicated_register(register_workloads(seed, clients=3, ops=6), **options)
    return Simulation(system, seed=seed).run()


@pytest.mark.parametrize("seed", range(3))
def test_acknowledging_before_replicating_breaks_read_your_writes(seed):
    sim = run(seed, ack="before")
    assert check_linearizable(sim.history, Register()).verdict == "violation"
    assert not check_sessions(sim.history).holds("read-your-writes")
    # once the lag has passed, every replica holds the primary's value
    values = {n: s.value for n, s in sim.states.items() if n in ("primary", "r1", "r2")}
    assert check_convergence(values).ok


@pytest.mark.parametrize("seed", range(3))
def test_correct_variants(seed):
    after = run(seed, ack="after")
    assert check_sessions(after.history).ok
    primary = run(seed, read_from="primary")
    assert check_linearizable(primary.history, Register()).ok
    assert check_sequential(primary.history, Register()).ok


def test_demo_nodes():
    with pytest.raises(ValueError, match="ack"):
        Primary(["r1"], ack="never")
    with pytest.raises(ValueError, match="lag"):
        Primary(["r1"], lag=-1)
    with pytest.raises(ValueError, match="read_from"):
        Replica(read_from="cache")
    with pytest.raises(ValueError, match="server's id"):
        replicated_register({"r1": []})
    sim = run(0, ack="before")
    assert isinstance(sim.states["r1"], ReplicaState)
    w = register_workloads(4, clients=2, ops=10)
    written = [v for ops in w.values() for f, v in ops if f == "write"]
    assert len(written) == len(set(written)) and w == register_workloads(4, clients=2, ops=10)


# -- the picture ------------------------------------------------------------------------------
def _colors(fig):
    from matplotlib.colors import to_hex

    return [to_hex(p.get_facecolor()) for p in fig.axes[0].patches]


def test_plot_history_marks_the_violation():
    from dslib.viz.history import plot_history

    h = history_from_intervals(
        [
            ("c1", "write", 1, None, 0, 1),
            ("c2", "write", 2, None, 2, 3),
            ("c3", "read", None, 1, 4, 5),
            ("c4", "write", 3, None, 6, 7),
        ]
    )
    r = check_linearizable(h, Register())
    fig = plot_history(h, r)
    red = [c for c in _colors(fig) if c in ("#d62728", "#ff9896")]
    assert len(red) == len(r.minimal) == 3
    numbers = [t.get_text() for t in fig.axes[0].texts if t.get_text().isdigit()]
    assert numbers == [str(i + 1) for i in range(len(r.partial))]
    assert "violation" in fig.axes[0].get_title()
    ok = plot_history(
        h, check_linearizable(history_from_intervals([("a", "read", None, None, 0, 1)]), Register())
    )
    assert ok is not None
    assert len(plot_history(h).axes[0].patches) == 4


def test_plot_history_sessions_keys_and_errors():
    from dslib.viz.history import plot_history

    h = history_from_intervals([("c", "write", 1, None, 0, 1), ("c", "read", None, None, 2, 3)])
    fig = plot_history(h, check_sessions(h))
    assert _colors(fig).count("#d62728") == 2 and "read-your-writes" in fig.axes[0].get_title()
    kv = history_from_intervals(
        [
            {"process": "a", "f": "put", "key": "x", "value": 1, "start": 0, "end": 1},
            {"process": "b", "f": "get", "key": "y", "result": 3, "start": 0, "end": 1},
        ]
    )
    from dslib.consistency import KeyValue

    r = check_linearizable(kv, KeyValue())
    assert len(plot_history(kv, r).axes[0].patches) == 1  # only the violating key "y"
    assert len(plot_history(kv, key="x").axes[0].patches) == 1
    long = history_from_intervals([("c", "write", i, None, 2 * i, 2 * i + 1) for i in range(40)])
    zoomed = plot_history(long, window=(10, 20))
    assert len(zoomed.axes[0].patches) == 6  # the writes overlapping [10, 20]
    assert not any(t.get_text().startswith("write") for t in plot_history(long).axes[0].texts)
    assert len(plot_history(long, labels=True).axes[0].texts) == 40
    with pytest.raises(ValueError, match="window"):
        plot_history(long, window=(5, 1))
    with pytest.raises(TypeError, match="History"):
        plot_history([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="result"):
        plot_history(h, result="ok")  # type: ignore[arg-type]


def test_a_version_order_that_leaves_out_a_write_is_refused() -> None:
    """An unranked write would leave its pairs unchecked: that must not read as ok."""
    from dslib.consistency import history_from_intervals

    h = history_from_intervals(
        [
            ("p1", "write", "a", None, 0, 10),
            ("p2", "write", "b", None, 0, 10),
            ("c", "read", None, "a", 1, 2),
            ("c", "read", None, "b", 3, 4),
            ("c", "read", None, "a", 5, 6),
        ]
    )
    with pytest.raises(ValueError, match="leaves out 1 write"):
        check_sessions(h, ["monotonic-reads"], version_order=["a"])
    assert not check_sessions(h, ["monotonic-reads"], version_order=["a", "b"]).ok
    assert not check_sessions(h, ["monotonic-reads"], version_order=["b", "a"]).ok


def test_an_unread_write_that_never_completed_may_be_left_out_of_the_order() -> None:
    from dslib.consistency import history_from_intervals

    h = history_from_intervals(
        [
            ("p1", "write", "a", None, 0, 1),
            ("p2", "write", "b", None, 0, None),
            ("c", "read", None, "a", 2, 3),
        ]
    )
    assert check_sessions(h, ["monotonic-reads"], version_order=["a"]).ok


def test_to_frame_holds_the_rows_of_table() -> None:
    from dslib.consistency import history_from_intervals

    h = history_from_intervals(
        [
            ("w", "write", 1, None, 0, 1),
            ("c", "read", None, 1, 2, 3),
            ("c", "read", None, None, 4, 5),
        ]
    )
    result = check_sessions(h)
    frame = result.to_frame()
    assert [
        (g, *row) for g, row in zip(frame.index, frame.itertuples(index=False), strict=True)
    ] == [tuple(r) for r in result.table()]
