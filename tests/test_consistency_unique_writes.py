"""The unique-writes fast path of the linearizability checker, against brute force.

``register_order`` orders a register group without a search when every write
writes a value of its own. These tests check that it is sound (every order it
returns is a linearization: all ok operations, real time, the model) and that
the checker's verdict with it is the brute-force verdict; and that it is
complete on what it claims (a linearizable unique-writes history is always
ordered without a search), so the speed-up is real and not a lucky case.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_consistency import naive

from dslib.consistency import (
    CASRegister,
    KeyValue,
    Register,
    check_linearizable,
    history_from_intervals,
    timeline,
)
from dslib.consistency.search import prepare, relevant
from dslib.consistency.unique_writes import register_check, register_order


class SearchOnly(Register):
    """The register without the fast path: the search decides."""

    unique_write_fast_path = False


def group(h, model=None):
    """The one group the checker would give ``register_order`` for register history ``h``."""
    kept, _ = prepare(h, model or Register(), "test")
    return relevant(
        model or Register(),
        [t for t in kept if t.op.status == "ok"],
        [t for t in kept if t.op.status != "ok"],
    )


def is_linearization(model, timed, order) -> bool:
    """The definition, checked directly on an order of positions in ``timed``."""
    if {i for i, t in enumerate(timed) if t.op.status == "ok"} - set(order):
        return False
    for a in range(len(order)):
        for b in range(a + 1, len(order)):
            if timed[order[b]].complete < timed[order[a]].invoke:
                return False
    state = model.init()
    for i in order:
        legal, state = model.step(state, timed[i].op)
        if not legal:
            return False
    return True


@st.composite
def unique_write_histories(draw, max_ops=7):
    """Small register histories with distinct written values: any intervals (ties
    included), reads of any written value, the initial one or (rarely) none, some
    writes info."""
    n = draw(st.integers(1, max_ops))
    rows = []
    writes = 0
    for i in range(n):
        start = draw(st.integers(0, 8))
        end = start + 1 + draw(st.integers(0, 4))
        if draw(st.booleans()):
            writes += 1
            status = draw(st.sampled_from(["ok", "ok", "ok", "info"]))
            rows.append((f"p{i}", "write", writes, None, start, end, status))
        else:
            rows.append((f"p{i}", "read", None, None, start, end, "ok"))
    rows = [
        (
            p,
            f,
            v,
            draw(st.integers(0, writes + (1 if draw(st.booleans()) else 0))) or None,
            s,
            e,
            st_,
        )
        if f == "read"
        else (p, f, v, r, s, e, st_)
        for p, f, v, r, s, e, st_ in rows
    ]
    return history_from_intervals(sorted(rows, key=lambda r: r[4]))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unique_write_histories())
def test_fast_path_is_sound_and_agrees_with_brute_force(h):
    timed = group(h)
    order = register_order(Register(), timed)
    truth = naive(h, Register())
    if order is not None:
        assert truth, "an order for a history that has none"
        assert is_linearization(Register(), timed, order)
    r = check_linearizable(h, Register())
    assert r.ok == truth == check_linearizable(h, SearchOnly()).ok
    if r.ok:
        assert len(r.order) >= sum(1 for op in h.operations() if op.status == "ok")
    # A violation the fast path proves is one brute force confirms.
    verdict, prefix = register_check(Register(), timed)
    assert verdict != "violation" or not truth
    assert verdict != "ok" or prefix == order
    assert check_linearizable(h, Register(), shrink=False).ok == truth


@st.composite
def linearizable_histories(draw, max_ops=12):
    """Histories of a correct register with unique writes: each operation takes effect at
    an instant inside its interval, and reads return what the register held then."""
    n = draw(st.integers(1, max_ops))
    planned = []
    for i in range(n):
        start = draw(st.integers(0, 20))
        end = start + 1 + draw(st.integers(0, 6))
        point = draw(st.integers(start, end - 1)) + (i + 1) / (n + 2)  # inside, distinct
        planned.append((point, i, start, end, draw(st.booleans())))
    rows, value, written = [], None, 0
    for point, i, start, end, write in sorted(planned):
        del point
        if write:
            written += 1
            value = written
            rows.append((f"p{i}", "write", value, None, start, end))
        else:
            rows.append((f"p{i}", "read", None, value, start, end))
    return history_from_intervals(sorted(rows, key=lambda r: r[4]))


@settings(max_examples=400, deadline=None)
@given(linearizable_histories())
def test_fast_path_orders_every_linearizable_unique_write_history(h):
    # Complete on what it applies to (the zone construction): no search is needed.
    order = register_order(Register(), group(h))
    assert order is not None
    assert is_linearization(Register(), group(h), order)


def test_a_stale_read_is_refused_and_the_search_explains_it():
    rows = [
        ("a", "write", 1, None, 0, 1),
        ("b", "write", 2, None, 2, 3),
        ("c", "read", None, 1, 4, 5),
    ]
    h = history_from_intervals(rows)
    assert register_order(Register(), group(h)) is None
    r = check_linearizable(h, Register())
    assert r.verdict == "violation" and len(r.minimal) == 3


def test_a_read_that_ends_before_its_write_begins():
    h = history_from_intervals([("c", "read", None, 1, 0, 1), ("a", "write", 1, None, 2, 3)])
    assert register_order(Register(), group(h)) is None
    assert not check_linearizable(h, Register()).ok


@pytest.mark.parametrize(
    ("rows", "model", "why"),
    [
        (
            [("a", "write", 1, None, 0, 1), ("b", "write", 1, None, 2, 3)],
            Register(),
            "a value written twice",
        ),
        (
            [("a", "write", None, None, 0, 1), ("c", "read", None, None, 2, 3)],
            Register(),
            "a write of the initial value",
        ),
        ([("c", "read", None, 7, 0, 1)], Register(), "a read of a value nobody wrote"),
        (
            [("a", "cas", (None, 1), None, 0, 1), ("c", "read", None, 1, 2, 3)],
            CASRegister(),
            "a compare-and-set",
        ),
        (
            [("a", "write", 1, None, 0, 1)],
            SearchOnly(),
            "a model that does not declare the fast path",
        ),
    ],
)
def test_where_the_fast_path_does_not_apply(rows, model, why):
    h = history_from_intervals(rows)
    assert register_order(model, group(h, model)) is None, why


def test_key_value_groups_and_appends():
    h = history_from_intervals(
        [
            {"process": "a", "f": "put", "key": "k", "value": "x", "start": 0, "end": 1},
            {"process": "b", "f": "get", "key": "k", "result": "x", "start": 2, "end": 3},
        ]
    )
    model = KeyValue(initial="")
    one_key = model.group_model("k")
    assert register_order(one_key, timeline(h)) == [0, 1]
    assert register_order(model, timeline(h)) is None  # the whole map is not one register
    h = history_from_intervals(
        [{"process": "a", "f": "append", "key": "k", "value": "x", "start": 0, "end": 1}]
    )
    assert register_order(one_key, timeline(h)) is None


def test_an_unread_info_write_is_left_out_and_a_read_one_kept():
    h = history_from_intervals(
        [
            ("a", "write", 1, None, 0, 1, "info"),
            ("b", "write", 2, None, 0, 1, "info"),
            ("c", "read", None, 1, 2, 3),
        ]
    )
    timed = timeline(h)
    assert math.isinf(timed[0].complete)
    order = register_order(Register(), timed)
    assert [timed[i].op.value or timed[i].op.result for i in order] == [1, 1]


def test_a_wrong_declaration_costs_time_not_a_wrong_ok():
    # A model that declares the fast path but whose reads are not what observed says:
    # the order is checked by the model's own step, so the checker still says violation.
    class Liar(Register):
        def step(self, state, op):
            if op.f == "read":
                return op.result == "never", state
            return super().step(state, op)

    h = history_from_intervals([("a", "write", 1, None, 0, 1), ("c", "read", None, 1, 2, 3)])
    assert register_order(Liar(), timeline(h)) is None
    assert check_linearizable(h, Liar()).verdict == "violation"


def test_the_fast_path_replaces_the_search_on_a_long_key_value_history():
    # 40 clients on 4 keys, unique put values: every key is ordered without a search
    # (no configuration stored); the search alone agrees, storing configurations.
    import random

    rng = random.Random(7)
    clock = [rng.random() for _ in range(40)]
    planned = []
    for n in range(600):
        c = min(range(40), key=lambda i: clock[i])
        start, end = clock[c], clock[c] + 0.01 + rng.expovariate(1.0)
        clock[c] = end + rng.expovariate(1.0)
        planned.append((rng.uniform(start, end), c, rng.random() < 0.5, f"k{n % 4}", n, start, end))
    store: dict[str, str] = {}
    rows = []
    for _, c, put, key, n, start, end in sorted(planned):
        if put:
            store[key] = f"v{n}"
        row = {"process": c, "f": "put" if put else "get", "key": key, "start": start, "end": end}
        row["value" if put else "result"] = store[key] if put else store.get(key, "")
        rows.append(row)
    h = history_from_intervals(sorted(rows, key=lambda r: r["start"]))
    fast = check_linearizable(h, KeyValue(initial=""))
    slow = check_linearizable(h, KeyValue(initial=""), unique_writes=False)
    assert fast.ok and slow.ok
    assert fast.configurations == 0 < slow.configurations
    assert len(fast.order) == len(slow.order) == 600


def test_a_stale_read_proved_by_the_fast_path_needs_no_search_without_shrinking():
    rows = [
        ("a", "write", 1, None, 0, 1),
        ("b", "write", 2, None, 2, 3),
        ("c", "read", None, 2, 4, 5),
        ("c", "read", None, 1, 6, 7),
    ]
    h = history_from_intervals(rows)
    assert register_check(Register(), group(h)) == ("violation", [0, 3])
    quick = check_linearizable(h, Register(), shrink=False)
    assert quick.verdict == "violation" and quick.fast_path and quick.configurations == 0
    full = check_linearizable(h, Register())
    assert full.verdict == "violation" and not full.fast_path
    # A model the fast path does not know (here a subclass) is never refuted by it.
    assert register_check(SearchOnly(), group(h)) == ("unknown", [])

    class Mine(Register):
        pass

    assert register_check(Mine(), group(h)) == ("unknown", [])
    assert check_linearizable(h, Mine(), shrink=False).verdict == "violation"
