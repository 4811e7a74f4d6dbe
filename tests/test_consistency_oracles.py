"""Session guarantees and convergence against brute-force oracles on small histories."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dslib.consistency import (
    GUARANTEES,
    check_convergence,
    check_sessions,
    history_from_intervals,
    sessions_by_enumeration,
)

# The two histories of the issue: no order of the writes satisfies them, but no pair of
# operations is wrong on its own.
MONOTONIC_READS = [
    ("p1", "write", "a", None, 0, 10),
    ("p2", "write", "b", None, 0, 10),
    ("c", "read", None, "a", 1, 2),
    ("c", "read", None, "b", 3, 4),
    ("c", "read", None, "a", 5, 6),
]
READ_YOUR_WRITES = [
    ("p", "write", "a", None, 0, 2),
    ("q", "write", "b", None, 1, 2.5),
    ("p", "read", None, "b", 3, 4),
    ("q", "read", None, "a", 3, 4),
]


@pytest.mark.parametrize(
    ("rows", "guarantee"),
    [(MONOTONIC_READS, "monotonic-reads"), (READ_YOUR_WRITES, "read-your-writes")],
)
def test_violations_that_need_pairs_combined(rows, guarantee):
    h = history_from_intervals(rows)
    r = check_sessions(h)
    assert not r.ok and not r.holds(guarantee)
    assert [v.guarantee for v in r.violations] == [guarantee]
    assert "in every possible order" in str(r.violations[0])
    assert not sessions_by_enumeration(h, [guarantee])
    # given either order of the two writes, the pairwise check finds it too
    for order in (["a", "b"], ["b", "a"]):
        assert not check_sessions(h, [guarantee], version_order=order).ok
    # and it is the combination that fails: each single pair of the session is possible
    others = [g for g in GUARANTEES if g != guarantee]
    assert check_sessions(h, others).ok and sessions_by_enumeration(h, others)


def test_guarantees_that_hold_alone_but_not_together():
    # c reads 1 then writes 2 (writes follow reads: 1 before 2); e reads 2 then 1
    # (monotonic reads: 2 no newer than 1). Each alone has an order; together, none.
    rows = [
        ("d", "write", 1, None, 0, 10),
        ("c", "read", None, 1, 1, 2),
        ("c", "write", 2, None, 3, 4),
        ("e", "read", None, 2, 5, 6),
        ("e", "read", None, 1, 7, 8),
    ]
    h = history_from_intervals(rows)
    pair = ["monotonic-reads", "writes-follow-reads"]
    r = check_sessions(h, pair)
    assert r.holds("monotonic-reads") and r.holds("writes-follow-reads") and not r.ok
    assert [v.guarantee for v in r.violations] == ["monotonic-reads + writes-follow-reads"]
    assert "monotonic-reads + writes-follow-reads" in repr(r)
    assert sessions_by_enumeration(h, pair[:1]) and sessions_by_enumeration(h, pair[1:])
    assert not sessions_by_enumeration(h, pair)


def test_oracle_bad_input():
    h = history_from_intervals([("c", "write", i, None, i, i + 0.5) for i in range(4)])
    with pytest.raises(ValueError, match="max_writes"):
        sessions_by_enumeration(h, max_writes=3)
    with pytest.raises(ValueError, match="unknown guarantee"):
        sessions_by_enumeration(h, ["read-my-writes"])


@st.composite
def session_histories(draw, keys=("x",)):
    """Up to 3 sessions of up to 4 operations; reads return a written value or the initial."""
    n_sessions = draw(st.integers(2, 4))
    rows = []
    values = itertools.count(1)
    planned = []
    for s in range(n_sessions):
        t = draw(st.integers(0, 6))
        for _ in range(draw(st.integers(1, 5))):
            key = draw(st.sampled_from(keys))
            write = draw(st.booleans())
            length = draw(st.integers(1, 12 if write else 3))  # long writes overlap more
            status = draw(st.sampled_from(["ok", "ok", "ok", "info"])) if write else "ok"
            planned.append((f"s{s}", write, key, t, t + length, status))
            t += length + draw(st.integers(1, 3))
            if status == "info":
                break  # a client that timed out stops
    writes = [(p, k, next(values)) for p, w, k, *_ in planned if w]
    if len(writes) > 6:
        writes = writes[:6]
    written_values = iter(v for _, _, v in writes)
    n_writes = 0
    for process, write, key, start, end, status in planned:
        if write:
            if n_writes == len(writes):
                continue
            n_writes += 1
            rows.append(
                {
                    "process": process,
                    "f": "put",
                    "key": key,
                    "value": next(written_values),
                    "start": start,
                    "end": end,
                    "status": status,
                }
            )
        else:
            same_key = [v for _, k, v in writes if k == key]
            # the initial value rarely, or most violations would be that simple one
            result = draw(st.sampled_from([None, *same_key * 3]))
            rows.append(
                {
                    "process": process,
                    "f": "get",
                    "key": key,
                    "result": result,
                    "start": start,
                    "end": end,
                }
            )
    return history_from_intervals(rows)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(session_histories(keys=("x", "x", "y")))
def test_sessions_agree_with_the_oracle(h):
    everything = check_sessions(h)
    assert everything.ok == sessions_by_enumeration(h)
    for g in GUARANTEES:
        assert check_sessions(h, [g]).ok == sessions_by_enumeration(h, [g]), g
        assert everything.holds(g) == sessions_by_enumeration(h, [g]), g
    for pair in itertools.combinations(GUARANTEES, 2):
        assert check_sessions(h, pair).ok == sessions_by_enumeration(h, pair), pair


# -- convergence ------------------------------------------------------------------------------
def test_convergence_refuses_a_write_still_running_at_after():
    rows = [
        ("a", "write", 1, None, 9, 15),
        ("b", "read", None, 1, 10, 11),
        ("c", "read", None, None, 10, 12),
    ]
    h = history_from_intervals(rows)
    with pytest.raises(ValueError, match=r"still running at after=10.*after=15 or later"):
        check_convergence(h, after=10)
    # once it has completed, the reads are final (and here they disagree)
    late = history_from_intervals(
        [*rows[:1], ("b", "read", None, 1, 16, 17), ("c", "read", None, None, 16, 18)]
    )
    assert check_convergence(late, after=15).diverged == [None]
    # a write that never completed (info, no completion) is never over
    never = history_from_intervals([(*rows[0][:4], 9, float("inf"), "info"), *rows[1:]])
    with pytest.raises(ValueError, match="it never did"):
        check_convergence(never, after=10)
    # a failed write took no effect: it does not count
    failed = history_from_intervals([(*rows[0], "fail"), *rows[1:]])
    assert check_convergence(failed, after=10).diverged == [None]


@st.composite
def convergence_histories(draw):
    rows = []
    for i in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, 20))
        end = start + draw(st.integers(1, 6))
        key = draw(st.sampled_from(["x", "y"]))
        if draw(st.booleans()):
            status = draw(st.sampled_from(["ok", "ok", "fail", "info"]))
            rows.append(
                {
                    "process": f"w{i}",
                    "f": "put",
                    "key": key,
                    "value": i,
                    "start": start,
                    "end": end,
                    "status": status,
                }
            )
        else:
            result = draw(st.sampled_from([None, 1, 2]))
            rows.append(
                {
                    "process": f"r{i}",
                    "f": "get",
                    "key": key,
                    "result": result,
                    "start": start,
                    "end": end,
                }
            )
    return history_from_intervals(rows), draw(st.integers(0, 25))


def converged_by_definition(h, after):
    """None if some write had not completed by ``after``; else whether final reads agree."""
    ops = h.operations()
    for op in ops:
        if op.f == "put" and op.status != "fail" and not op.complete_time <= after:
            return None
    final = [op for op in ops if op.f == "get" and op.status == "ok" and op.invoke_time >= after]
    return all(a.result == b.result for a in final for b in final if a.key == b.key)


@settings(max_examples=300, deadline=None)
@given(convergence_histories())
def test_convergence_agrees_with_the_definition(case):
    h, after = case
    expected = converged_by_definition(h, after)
    if expected is None:
        with pytest.raises(ValueError, match="after="):
            check_convergence(h, after=after)
    else:
        assert check_convergence(h, after=after).ok == expected
