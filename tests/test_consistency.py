"""Tests of dslib.consistency: models, linearizability, sequential consistency, histories."""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dslib.consistency import (
    CASRegister,
    ConsistencyResult,
    Counter,
    FIFOQueue,
    KeyValue,
    Register,
    SequentialSpec,
    Set,
    check_linearizable,
    check_sequential,
    describe,
    history,
    history_from_intervals,
    subhistory,
    timeline,
)
from dslib.errors import HistoryError
from dslib.sim.history import History, Operation

MODELS: dict[str, SequentialSpec] = {
    "register": Register(),
    "cas": CASRegister(),
    "kv": KeyValue(initial=""),
    "counter": Counter(),
    "set": Set(),
    "queue": FIFOQueue(),
}


# -- an independent, naive checker: every subset of info operations, every permutation ----------
def _intervals(h: History) -> list[tuple[Operation, int, float]]:
    """(operation, invocation position, completion position or inf), paired by hand."""
    opened: dict[Hashable, tuple[int, int]] = {}
    found: list[tuple[int, float, str, Any]] = []
    n = 0
    for pos, e in enumerate(h.events):
        if e.type == "invoke":
            opened[e.process] = (n, pos)
            found.append((pos, math.inf, "info", None))
            n += 1
        else:
            i, start = opened.pop(e.process)
            found[i] = (start, pos if e.type != "info" else math.inf, e.type, e.value)
    ops = h.operations()
    return [(op, int(s), c) for op, (s, c, _, _) in zip(ops, found, strict=True)]


def naive(
    h: History,
    model: SequentialSpec,
    criterion: str = "linearizability",
    optional: frozenset[int] = frozenset(),
) -> bool:
    """Whether some order of the operations exists: the definition, by brute force.

    Operations in ``optional`` (indices) may be left out, but keep their intervals.
    """
    items = [x for x in _intervals(h) if x[0].status != "fail"]
    items = [
        (replace(op, status="info", result=None), s, c) if op.index in optional else (op, s, c)
        for op, s, c in items
    ]
    definite = [x for x in items if x[0].status == "ok"]
    maybe = [x for x in items if x[0].status == "info"]

    def before(a: tuple[Operation, int, float], b: tuple[Operation, int, float]) -> bool:
        if criterion == "linearizability":
            return a[2] < b[1]
        return a[0].process == b[0].process and a[1] < b[1] and a[0].status == "ok"

    for r in range(len(maybe) + 1):
        for chosen in itertools.combinations(maybe, r):
            for perm in itertools.permutations(definite + list(chosen)):
                if any(
                    before(perm[j], perm[i])
                    for i in range(len(perm))
                    for j in range(i + 1, len(perm))
                ):
                    continue
                state = model.init()
                for op, _, _ in perm:
                    legal, state = model.step(state, op)
                    if not legal:
                        break
                else:
                    return True
    return False


def weakened_except(h: History, keep: set[int]) -> History:
    """``h`` with every operation outside ``keep`` (and not failed) turned into info."""
    rows = []
    for op in h.operations():
        status = op.status if op.index in keep or op.status == "fail" else "info"
        end = None if math.isinf(op.complete_time) else op.complete_time
        rows.append(
            {
                "process": op.process,
                "f": op.f,
                "value": op.value,
                "key": op.key,
                "result": op.result if status == "ok" else None,
                "start": op.invoke_time,
                "end": end,
                "status": status,
            }
        )
    return history_from_intervals(rows)


# -- random histories -------------------------------------------------------------------------
def _random_op(draw: Any, model: str) -> tuple[str, Hashable, Any, Any]:
    """(f, key, value, result) with a random (often wrong) result."""
    if model == "kv":
        f = draw(st.sampled_from(["get", "put", "append", "cas"]))
        key = draw(st.sampled_from("ab"))
        if f == "get":
            return f, key, None, draw(st.sampled_from(["", "x", "y", "xy"]))
        if f == "cas":
            pair = (draw(st.sampled_from(["", "x"])), draw(st.sampled_from(["x", "y"])))
            return f, key, pair, draw(st.booleans())
        return f, key, draw(st.sampled_from(["x", "y"])), None
    if model == "counter":
        if draw(st.booleans()):
            return "add", None, draw(st.sampled_from([1, 2])), None
        return "read", None, None, draw(st.integers(0, 4))
    if model == "set":
        f = draw(st.sampled_from(["add", "remove", "contains", "read"]))
        if f == "read":
            return f, None, None, tuple(draw(st.sets(st.sampled_from([1, 2]))))
        if f == "contains":
            return f, None, draw(st.sampled_from([1, 2])), draw(st.booleans())
        return f, None, draw(st.sampled_from([1, 2])), None
    if model == "queue":
        if draw(st.booleans()):
            return "enqueue", None, draw(st.sampled_from([1, 2, 3])), None
        return "dequeue", None, None, draw(st.sampled_from([None, 1, 2, 3]))
    fs = ["read", "write", "cas"] if model == "cas" else ["read", "write"]
    f = draw(st.sampled_from(fs))
    if f == "write":
        return f, None, draw(st.integers(0, 2)), None
    if f == "cas":
        return (
            f,
            None,
            (draw(st.integers(0, 2)), draw(st.integers(0, 2))),
            draw(st.sampled_from([None, False])),
        )
    return f, None, None, draw(st.sampled_from([None, 0, 1, 2]))


@st.composite
def small_histories(draw: Any, max_ops: int = 6) -> tuple[str, History]:
    model = draw(st.sampled_from(sorted(MODELS)))
    n_proc = draw(st.integers(1, 3))
    clock = [0.0] * n_proc
    rows = []
    for _ in range(draw(st.integers(1, max_ops))):
        p = draw(st.integers(0, n_proc - 1))
        if math.isinf(clock[p]):
            continue
        start = clock[p] + draw(st.integers(0, 3))
        end: float | None = start + draw(st.integers(1, 4))
        f, key, value, result = _random_op(draw, model)
        status = draw(st.sampled_from(["ok"] * 5 + ["info", "fail"]))
        if status == "info" and draw(st.booleans()):
            end = None
        clock[p] = math.inf if end is None else end + 0.5
        rows.append(
            {
                "process": f"p{p}",
                "f": f,
                "key": key,
                "value": value,
                "result": result if status == "ok" else None,
                "start": start,
                "end": end,
                "status": status,
            }
        )
    return model, history_from_intervals(rows)


class _Reference:
    """Independent sequential semantics, to produce the results a correct store returns."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.value: Any = None
        self.map: dict[Hashable, str] = {}
        self.count = 0
        self.elements: set[int] = set()
        self.queue: list[int] = []

    def apply(self, f: str, key: Hashable, value: Any) -> tuple[bool, Any]:
        """(took effect as an ok operation, result); a cas that misses does not take effect."""
        if self.model in ("register", "cas"):
            if f == "write":
                self.value = value
                return True, value
            if f == "cas":
                if self.value == value[0]:
                    self.value = value[1]
                    return True, value
                return False, False
            return True, self.value
        if self.model == "kv":
            if f == "get":
                return True, self.map.get(key, "")
            if f == "cas":
                if self.map.get(key, "") != value[0]:
                    return True, False
                self.map[key] = value[1]
                return True, True
            self.map[key] = value if f == "put" else self.map.get(key, "") + value
            return True, None
        if self.model == "counter":
            if f == "add":
                self.count += value
                return True, None
            return True, self.count
        if self.model == "set":
            if f == "add":
                self.elements.add(value)
            elif f == "remove":
                self.elements.discard(value)
            elif f == "contains":
                return True, value in self.elements
            else:
                return True, tuple(sorted(self.elements))
            return True, None
        if f == "enqueue":
            self.queue.append(value)
            return True, None
        return True, self.queue.pop(0) if self.queue else None


@st.composite
def atomic_histories(draw: Any) -> tuple[str, History]:
    """Operations that take effect atomically at a random instant inside their intervals."""
    model = draw(st.sampled_from(sorted(MODELS)))
    n_proc = draw(st.integers(1, 6))
    fresh = itertools.count(10)
    ops = []
    for p in range(n_proc):
        t = draw(st.floats(0, 3))
        for k in range(draw(st.integers(0, 6))):
            start = t + draw(st.floats(0, 2))
            end = start + draw(st.floats(0.1, 5))
            point = start + draw(st.floats(0.01, 0.99)) * (end - start)
            t = end
            f, key, value, _ = _random_op(draw, model)
            if f in ("write", "enqueue"):
                value = next(fresh)
            if f == "cas" and model != "kv":
                value = (value[0], next(fresh))
            fate = draw(st.sampled_from(["ok"] * 6 + ["fail", "info-applied", "info-lost"]))
            ops.append([point, f"p{p}", k, f, key, value, start, end, fate])
    ref = _Reference(model)
    rows = []
    for _point, p, _k, f, key, value, start, end, fate in sorted(ops):
        status, result = "fail", None
        if fate in ("ok", "info-applied"):
            took, result = ref.apply(f, key, value)
            status = "ok" if fate == "ok" else "info"
            if model == "cas" and f == "cas" and not took and status == "ok":
                status = draw(st.sampled_from(["fail", "ok"]))  # Jepsen's fail, or ok False
        rows.append(
            {
                "process": p,
                "f": f,
                "key": key,
                "value": value,
                "result": result if status == "ok" else None,
                "start": start,
                "end": end,
                "status": status,
            }
        )
    return model, history_from_intervals(rows)


# -- hand-made histories ----------------------------------------------------------------------
def lin(rows: list[Any], model: SequentialSpec | None = None) -> str:
    return check_linearizable(history_from_intervals(rows), model or Register()).verdict


def test_register_sequential_and_stale():
    ok = [("a", "write", 1, None, 0, 1), ("b", "read", None, 1, 2, 3)]
    stale = [
        ("a", "write", 1, None, 0, 1),
        ("a", "write", 2, None, 2, 3),
        ("b", "read", None, 1, 4, 5),
    ]
    assert lin(ok) == "ok"
    assert lin(stale) == "violation"
    assert lin([("b", "read", None, None, 0, 1)]) == "ok"  # the initial value
    assert lin([("b", "read", None, 7, 0, 1)]) == "violation"  # never written


def test_overlapping_operations_may_take_effect_in_either_order():
    rows = [("a", "write", 1, None, 0, 10), ("b", "write", 2, None, 1, 9)]
    assert lin([*rows, ("c", "read", None, 1, 11, 12)]) == "ok"
    assert lin([*rows, ("c", "read", None, 2, 11, 12)]) == "ok"
    # a read overlapping a write may see the old or the new value ...
    assert lin([("a", "write", 1, None, 0, 10), ("c", "read", None, None, 2, 3)]) == "ok"
    assert lin([("a", "write", 1, None, 0, 10), ("c", "read", None, 1, 2, 3)]) == "ok"
    # ... but once one reader saw the new value, a later reader must not see the old one
    assert (
        lin(
            [
                ("a", "write", 1, None, 0, 10),
                ("c", "read", None, 1, 2, 3),
                ("d", "read", None, None, 4, 5),
            ]
        )
        == "violation"
    )


def test_duplicate_values_a_value_still_needed_is_not_garbage():
    # The info write of 0 must land between the reads of 1 and 0. A search that confused
    # "the register holds 0, which one read still needs" with "holds a value nobody will
    # read" (and memoised the two alike) wrongly reported a violation here.
    rows = [
        ("p", "write", 0, None, 1, 4, "info"),
        ("p", "write", 1, None, 6.5, 7.5),
        ("p", "read", None, 1, 11.5, 12.5),
        ("p", "read", None, 0, 15, 18),
        ("p", "write", 0, None, 30.5, 33.5),
        ("p", "write", 1, None, 35, 36),
    ]
    assert lin(rows) == "ok"
    assert lin(rows[1:]) == "violation"


def test_fail_operations_are_removed():
    rows = [("a", "write", 1, None, 0, 1, "fail"), ("b", "read", None, 1, 2, 3)]
    assert lin(rows) == "violation"
    assert lin([("a", "write", 1, None, 0, 1, "fail"), ("b", "read", None, None, 2, 3)]) == "ok"


def test_info_operations_may_take_effect_late_or_never():
    # An info write may take effect any time after its invocation, even after later reads.
    rows = [
        ("a", "write", 1, None, 0, 1, "info"),
        ("b", "read", None, None, 2, 3),
        ("b", "read", None, 1, 4, 5),
    ]
    assert lin(rows) == "ok"
    assert lin([("a", "write", 1, None, 0, None, "info"), ("b", "read", None, None, 2, 3)]) == "ok"
    # but not before it was invoked
    assert lin([("b", "read", None, 1, 0, 1), ("a", "write", 1, None, 2, 3, "info")]) == (
        "violation"
    )
    # and only once: it cannot explain 1, then 2, then 1 again
    rows = [
        ("a", "write", 1, None, 0, 1, "info"),
        ("c", "write", 2, None, 0, 1),
        ("b", "read", None, 1, 2, 3),
        ("b", "read", None, 2, 4, 5),
        ("b", "read", None, 1, 6, 7),
    ]
    assert lin(rows) == "violation"


def test_cas_register():
    m = CASRegister(initial=0)
    assert lin([("a", "cas", (0, 5), None, 0, 1), ("b", "read", None, 5, 2, 3)], m) == "ok"
    assert lin([("a", "cas", (1, 5), None, 0, 1), ("b", "read", None, 5, 2, 3)], m) == ("violation")
    # a cas that reported no match (ok False) changed nothing; Jepsen's fail is dropped
    assert lin([("a", "cas", (1, 5), False, 0, 1), ("b", "read", None, 0, 2, 3)], m) == "ok"
    assert lin([("a", "cas", (0, 5), False, 0, 1)], m) == "violation"
    assert lin([("a", "cas", (0, 5), None, 0, 1, "fail"), ("b", "read", None, 0, 2, 3)], m) == (
        "ok"
    )


def test_key_value_groups_by_key():
    rows = [
        {"process": "a", "f": "put", "key": "x", "value": 1, "start": 0, "end": 1},
        {"process": "b", "f": "get", "key": "y", "result": None, "start": 2, "end": 3},
        {"process": "b", "f": "get", "key": "x", "result": 1, "start": 4, "end": 5},
        {"process": "c", "f": "put", "key": "y", "value": 2, "start": 0, "end": 1},
    ]
    r = check_linearizable(history_from_intervals(rows), KeyValue())
    assert r.verdict == "violation" and r.group == "y" and r.groups == 2
    assert {op.key for op in r.minimal} == {"y"}
    whole = check_linearizable(history_from_intervals(rows), KeyValue(), partition=False)
    assert whole.verdict == "violation" and whole.groups == 1


def test_key_value_append_and_initial():
    rows = [
        {"process": "a", "f": "append", "key": "k", "value": "x", "start": 0, "end": 1},
        {"process": "b", "f": "append", "key": "k", "value": "y", "start": 0, "end": 1},
        {"process": "c", "f": "get", "key": "k", "result": "yx", "start": 2, "end": 3},
        {"process": "c", "f": "get", "key": "j", "result": "", "start": 4, "end": 5},
    ]
    assert lin(rows, KeyValue(initial="")) == "ok"
    rows[2]["result"] = "xyx"
    assert lin(rows, KeyValue(initial="")) == "violation"


def test_counter_set_and_queue():
    adds = [("a", "add", 1, None, 0, 2), ("b", "add", 2, None, 1, 3)]
    assert lin([*adds, ("c", "read", None, 1, 1, 4)], Counter()) == "ok"
    assert lin([*adds, ("c", "read", None, 3, 4, 5)], Counter()) == "ok"
    assert lin([*adds, ("c", "read", None, 2, 4, 5)], Counter()) == "violation"
    s = [("a", "add", 1, None, 0, 1), ("b", "contains", 1, True, 2, 3)]
    assert lin(s, Set()) == "ok"
    assert lin([("a", "add", 1, None, 0, 1), ("b", "contains", 1, False, 2, 3)], Set()) == (
        "violation"
    )
    assert lin([("a", "add", 1, None, 0, 1), ("b", "read", None, (1,), 2, 3)], Set()) == "ok"
    assert lin([("a", "add", 1, None, 0, 1), ("b", "read", None, (), 2, 3)], Set()) == ("violation")
    q = [("a", "enqueue", 1, None, 0, 1), ("a", "enqueue", 2, None, 2, 3)]
    assert lin([*q, ("b", "dequeue", None, 1, 4, 5)], FIFOQueue()) == "ok"
    assert lin([*q, ("b", "dequeue", None, 2, 4, 5)], FIFOQueue()) == "violation"
    assert lin([("b", "dequeue", None, None, 0, 1)], FIFOQueue()) == "ok"
    both = [("a", "enqueue", 1, None, 0, 3), ("c", "enqueue", 2, None, 0, 3)]
    assert lin([*both, ("b", "dequeue", None, 2, 4, 5)], FIFOQueue()) == "ok"


class Toggle(SequentialSpec):
    """A model of one's own: a light switch whose 'flip' returns the new position."""

    name = "toggle"
    operations = ("flip", "look")

    def init(self) -> bool:
        return False

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "flip":
            return op.status == "info" or op.result == (not state), not state
        return op.status == "info" or op.result == state, state


def test_a_model_of_ones_own():
    assert lin([("a", "flip", None, True, 0, 1), ("b", "look", None, True, 2, 3)], Toggle()) == (
        "ok"
    )
    assert lin([("a", "flip", None, True, 0, 1), ("b", "flip", None, True, 2, 3)], Toggle()) == (
        "violation"
    )


def test_witness_and_explanation_of_a_violation():
    rows = [
        ("c1", "write", 1, None, 0, 1),
        ("c2", "write", 2, None, 2, 3),
        ("c3", "read", None, 1, 4, 5),
        ("c4", "write", 3, None, 6, 7),
    ]
    h = history_from_intervals(rows)
    r = check_linearizable(h, Register())
    assert [describe(op) for op in r.minimal] == ["write(1)", "write(2)", "read() -> 1"]
    assert r.minimized and set(r.core) <= set(r.minimal)
    text = r.explain()
    assert "impossible in state 2" in text and "write(3)" not in text
    assert "ConsistencyResult(linearizability: violation" in repr(r)
    assert r.minimal_history().operations()[0].f == "write"
    ok = check_linearizable(history_from_intervals(rows[:2]), Register())
    assert ok.ok and [op.value for op in ok.order] == [1, 2] and "ok" in ok.explain()


def test_unknown_when_the_time_limit_stops_the_search():
    # 16 concurrent increments and a total no subset makes: every subset must be tried.
    rows = [(f"p{i}", "add", 2**i, None, 0, 10) for i in range(16)]
    rows.append(("r", "read", None, -1, 11, 12))
    r = check_linearizable(history_from_intervals(rows), Counter(), time_limit=1e-9)
    assert r.verdict == "unknown" and "time limit" in r.reason
    assert "unknown" in r.explain()


class CounterPerKey(Counter):
    """Counters, one per key, checked key by key."""

    def partition_key(self, op: Operation) -> Hashable:
        return op.key


def test_one_hard_group_does_not_block_a_violation_in_another():
    hard = [
        {"process": f"p{i}", "f": "add", "key": "a", "value": 2**i, "start": 0, "end": 10}
        for i in range(16)
    ]
    hard.append({"process": "r", "f": "read", "key": "a", "result": -1, "start": 11, "end": 12})
    easy = [
        {"process": "q", "f": "add", "key": "b", "value": 1, "start": 0, "end": 1},
        {"process": "q", "f": "read", "key": "b", "result": 5, "start": 2, "end": 3},
    ]
    r = check_linearizable(history_from_intervals(hard + easy), CounterPerKey())
    assert r.verdict == "violation" and r.group == "b"  # "a" sorts first, but is slow
    assert r.configurations < 20_000
    r = check_linearizable(history_from_intervals(hard + easy), CounterPerKey(), time_limit=5)
    assert r.verdict == "violation" and r.group == "b"


def test_sequentially_consistent_but_not_linearizable():
    h = history_from_intervals([("c1", "write", 1, None, 0, 1), ("c2", "read", None, None, 2, 3)])
    assert check_linearizable(h, Register()).verdict == "violation"
    r = check_sequential(h, Register())
    assert r.ok and [op.f for op in r.order] == ["read", "write"]
    # Within one process the order is kept: reading the old value after one's own write is not SC.
    h = history_from_intervals([("c1", "write", 1, None, 0, 1), ("c1", "read", None, None, 2, 3)])
    r = check_sequential(h, Register())
    assert r.verdict == "violation" and "each process's order" in r.explain()


def test_sequential_consistency_is_not_split_by_key():
    rows = [
        ("p", "invoke", "put", "x", 1),
        ("q", "invoke", "put", "y", 1),
        ("p", "ok", "put", "x", 1),
        ("q", "ok", "put", "y", 1),
        ("p", "invoke", "get", "y", None),
        ("q", "invoke", "get", "x", None),
        ("p", "ok", "get", "y", 0),
        ("q", "ok", "get", "x", 0),
    ]
    h = history([{"process": p, "type": t, "f": f, "key": k, "value": v} for p, t, f, k, v in rows])
    r = check_sequential(h, KeyValue(initial=0))
    assert r.verdict == "violation" and len(r.minimal) == 4
    # each key on its own is sequentially consistent
    for key in "xy":
        sub = subhistory(h, [op for op in h.operations() if op.key == key])
        assert check_sequential(sub, KeyValue(initial=0)).ok


# -- properties -------------------------------------------------------------------------------
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(atomic_histories())
def test_atomic_histories_are_linearizable(case):
    model, h = case
    r = check_linearizable(h, MODELS[model])
    assert r.ok, r.explain()
    # the witness respects real time and the model
    timed = {t.op.index: t for t in timeline(h)}
    by_group: dict[Hashable, list[Operation]] = {}
    for op in r.order:
        by_group.setdefault(MODELS[model].partition_key(op) if model != "set" else None, []).append(
            op
        )
    for i, a in enumerate(r.order):
        for b in r.order[i + 1 :]:
            assert not timed[b.index].complete < timed[a.index].invoke
    for ops in by_group.values():
        state = MODELS[model].init()
        for op in ops:
            legal, state = MODELS[model].step(state, op)
            assert legal
    assert check_sequential(h, MODELS[model]).ok


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["register", "kv"]), st.lists(st.booleans(), min_size=1, max_size=12), st.data()
)
def test_one_unwritten_read_breaks_a_single_process_history(model, writes, data):
    ref = _Reference(model)
    rows = []
    for i, is_write in enumerate(writes):
        if model == "register":
            f, value = ("write", i + 1) if is_write else ("read", None)
        else:
            f, value = ("put", f"v{i}") if is_write else ("get", None)
        result = ref.apply(f, "k", value)[1]
        rows.append(
            {
                "process": "c",
                "f": f,
                "key": "k" if model == "kv" else None,
                "value": value,
                "result": result,
                "start": 2 * i,
                "end": 2 * i + 1,
            }
        )
    h = history_from_intervals(rows)
    assert check_linearizable(h, MODELS[model]).ok
    reads = [i for i, row in enumerate(rows) if row["f"] in ("read", "get")]
    if not reads:
        return
    victim = data.draw(st.sampled_from(reads))
    rows[victim]["result"] = -1 if model == "register" else "never written"
    h = history_from_intervals(rows)
    r = check_linearizable(h, MODELS[model])
    assert r.verdict == "violation"
    assert [op.index for op in r.core] == [victim]
    assert check_sequential(h, MODELS[model]).verdict == "violation"


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_histories())
def test_agrees_with_the_naive_checker(case):
    model_name, h = case
    model = MODELS[model_name]
    for criterion, check in (
        ("linearizability", check_linearizable),
        ("sequential", check_sequential),
    ):
        r = check(h, model)
        assert r.ok == naive(h, model, criterion), (criterion, r.explain())
        if r.ok:
            continue
        assert r.minimized
        assert not naive(r.minimal_history(), model, criterion)
        core = {op.index for op in r.core}
        if criterion == "linearizability":
            # outside the core: optional, but within their intervals
            others = frozenset(op.index for op in h.operations() if op.index not in core)
            assert not naive(h, model, criterion, optional=others)
            for x in core:
                assert naive(h, model, criterion, optional=others | {x})
        else:
            # outside the core: optional, unconstrained by their process's later operations
            assert not naive(weakened_except(h, core), model, criterion)
            for x in core:
                assert naive(weakened_except(h, core - {x}), model, criterion)


@settings(max_examples=40, deadline=None)
@given(small_histories(max_ops=7))
def test_partitioning_does_not_change_the_verdict(case):
    model_name, h = case
    model = MODELS[model_name]
    assert (
        check_linearizable(h, model).verdict
        == check_linearizable(h, model, partition=False).verdict
    )


# -- building histories, and bad input --------------------------------------------------------
def test_history_constructor_forms_and_errors():
    h = history([("a", "invoke", "write", 1), ("a", "ok", "write", 1)])
    assert [e.time for e in h.events] == [0.0, 1.0]
    assert len(history([{"process": "a", "type": "invoke", "f": "get", "key": "k"}])) == 1
    assert history(h.events) == h
    with pytest.raises(ValueError, match="fields"):
        history([("a", "invoke", "write")])
    with pytest.raises(ValueError, match="give a time to every event or to none"):
        history([("a", "invoke", "write", 1, 0.0), ("a", "ok", "write", 1)])
    with pytest.raises(HistoryError, match="event 1"):
        history([("a", "invoke", "write", 1), ("a", "done", "write", 1)])
    with pytest.raises(HistoryError, match="event 2: process 'a' completes"):
        history([("a", "invoke", "w", 1), ("a", "ok", "w", 1), ("a", "ok", "w", 1)])
    with pytest.raises(ValueError, match="unknown fields"):
        history([{"process": "a", "type": "invoke", "f": "w", "colour": 1}])
    with pytest.raises(TypeError):
        history(["a invoke write"])


def test_intervals_constructor_errors():
    with pytest.raises(ValueError, match="ends at 1 before it starts at 2"):
        history_from_intervals([("a", "write", 1, None, 2, 1)])
    with pytest.raises(HistoryError, match="row 1"):
        history_from_intervals([("a", "write", 1, None, 0, 3), ("a", "read", None, 1, 1, 2)])
    with pytest.raises(ValueError, match="status"):
        history_from_intervals([("a", "write", 1, None, 0, 1, "maybe")])
    h = history_from_intervals([("a", "write", 1, None, 0, 1), ("b", "read", None, 1, 1, 2)])
    first, second = timeline(h)
    assert first.complete < second.invoke  # ends at 1 precedes starts at 1


def test_checker_argument_errors():
    h = history_from_intervals([("a", "write", 1, None, 0, 1)])
    with pytest.raises(TypeError, match="give an instance: Register()"):
        check_linearizable(h, Register)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="History"):
        check_linearizable([("a", "write")], Register())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time_limit"):
        check_linearizable(h, Register(), time_limit=0)
    with pytest.raises(ValueError, match="has no operation 'push'"):
        check_linearizable(history_from_intervals([("a", "push", 1, None, 0, 1)]), Register())
    with pytest.raises(ValueError, match="hashable"):
        check_linearizable(history_from_intervals([("a", "write", [1], None, 0, 1)]), Register())
    with pytest.raises(ValueError, match="pair"):
        check_linearizable(history_from_intervals([("a", "cas", 1, None, 0, 1)]), CASRegister())
    with pytest.raises(TypeError, match="model"):
        check_sequential(h, "register")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_orders"):
        check_linearizable(h, Register()).explain(max_orders=-1)
    with pytest.raises(ValueError, match="not an operation of this history"):
        subhistory(h, [Operation(5, "z", "read", None, 1, "ok", 0.0, 1.0)])


def test_old_names_of_renamed_classes_warn_and_still_work() -> None:
    import dslib.consistency as consistency
    import dslib.consistency.models as models
    import dslib.consistency.results as results

    for module, old, new in [
        (consistency, "CheckResult", ConsistencyResult),
        (consistency, "Model", SequentialSpec),
        (results, "CheckResult", ConsistencyResult),
        (models, "Model", SequentialSpec),
    ]:
        with pytest.warns(DeprecationWarning, match=f"{old} was renamed .*{new.__name__}"):
            assert getattr(module, old) is new
    with pytest.raises(AttributeError, match="no attribute 'Modle'"):
        consistency.Modle  # noqa: B018


# -- the quick paths of the checker's preparation give what the plain ones give ----------------
def _kv_op(i: int, f: str, value: Any, key: Any = "k", result: Any = None) -> Operation:
    return Operation(i, "c", f, value, result, "ok", float(i), i + 0.5, key)


@pytest.mark.parametrize(
    "bad",
    [
        _kv_op(1, "incr", 1),
        _kv_op(1, "get", None, key=["k"]),
        _kv_op(1, "put", ["v"]),
        _kv_op(1, "append", 7),
        _kv_op(1, "append", ("t",)),
        _kv_op(1, "append", None),
        _kv_op(1, "cas", "xy"),
    ],
)
def test_validate_many_says_what_validate_says(bad: Operation) -> None:
    model = KeyValue(initial="")
    good = [_kv_op(0, "put", "a"), _kv_op(2, "append", "b")]
    with pytest.raises(ValueError) as one:
        model.validate(bad)
    with pytest.raises(ValueError) as many:
        model.validate_many([*good, bad])
    assert str(many.value) == str(one.value)
    model.validate_many(good)  # and accepts what validate accepts


def test_validate_many_honours_a_subclass_validate() -> None:
    class Strict(KeyValue):
        def validate(self, op: Operation) -> None:
            if op.value == "forbidden":
                raise ValueError("forbidden value")
            super().validate(op)

    with pytest.raises(ValueError, match="forbidden"):
        Strict().validate_many([_kv_op(0, "put", "forbidden")])
    with pytest.raises(ValueError, match="no operation 'incr'"):
        Register().validate_many([Operation(0, "c", "incr", 1, None, "ok", 0.0, 1.0)])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["get", "put"]), st.sampled_from("abc")), max_size=12))
def test_quick_preparation_and_partitions_match_the_plain_ones(spec: list[tuple[str, str]]) -> None:
    from dslib.consistency.search import prepare

    rows = [
        {
            "process": i,
            "f": f,
            "key": key,
            "value": i if f == "put" else None,
            "start": i,
            "end": i + 2,
        }
        for i, (f, key) in enumerate(spec)
    ]
    h = history_from_intervals(rows)
    model = KeyValue()
    kept, by_index = prepare(h, model, "test")
    assert kept == timeline(h) and all(type(t) is type(timeline(h)[0]) for t in kept)
    assert by_index == {t.op.index: t for t in kept}
    ops = h.operations()
    assert model.partitions(ops) == SequentialSpec.partitions(model, ops)
