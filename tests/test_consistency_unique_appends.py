"""The fast path for appends with unique values, against brute force and its mutants.

``append_order`` orders one key's operations without a search when every put and
every append writes a value of its own: a value read is taken apart from the end
into the writes that built it. These tests check that it is sound (every order it
returns is a linearization, and the checker's verdict with it is the brute-force
verdict, on random small histories with ties, info writes, duplicated values and
reads of values nobody wrote), that it is complete on what it claims (a
linearizable history of unique appends is ordered without a search), and that each
of its mutants is caught by a named check.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from test_consistency import naive

from dslib.consistency import KeyValue, check_linearizable, history_from_intervals, timeline
from dslib.consistency.search import prepare, relevant
from dslib.consistency.unique_appends import MUTANTS, append_check, append_order
from dslib.sim.history import History

STORE = KeyValue(initial="")
ONE_KEY = STORE.group_model("k")


def group(h: History, model: KeyValue = STORE) -> list:
    """The one group the checker gives ``append_order`` for one-key history ``h``."""
    kept, _ = prepare(h, model, "test")
    return relevant(
        model,
        [t for t in kept if t.op.status == "ok"],
        [t for t in kept if t.op.status != "ok"],
    )


def is_linearization(model, timed, order) -> bool:
    """The definition, checked directly on an order of positions in ``timed``."""
    if {i for i, t in enumerate(timed) if t.op.status == "ok"} - set(order):
        return False
    if len(set(order)) != len(order):
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


def row(process, f, value, result, start, end, status="ok"):
    return {
        "process": process,
        "f": f,
        "key": "k",
        "value": value,
        "result": result,
        "start": start,
        "end": end,
        "status": status,
    }


@st.composite
def append_histories(draw, max_ops=6):
    """Small one-key histories of puts, appends and gets: any intervals (ties included),
    some writes info, values mostly unique (sometimes one repeated, to make the fast path
    step aside), and reads of a value built from the written ones (a put or nothing, then
    some appended values, in any order) or, rarely, of anything."""
    n = draw(st.integers(1, max_ops))
    pool = ["a", "b", "c", "bc", "d", "ab", "e"]  # (some end others: reads may be ambiguous)
    rows, puts, appends = [], [], []
    for i in range(n):
        start = draw(st.integers(0, 8))
        end = start + 1 + draw(st.integers(0, 4))
        kind = draw(st.sampled_from(["get", "get", "put", "append", "append"]))
        if kind == "get":
            rows.append(["get", None, start, end, "ok", i])
            continue
        value = draw(st.sampled_from(pool[:5])) if draw(st.integers(0, 9)) == 0 else pool.pop(0)
        value = value.upper() if kind == "put" and draw(st.integers(0, 3)) else value
        (puts if kind == "put" else appends).append(value)
        status = draw(st.sampled_from(["ok", "ok", "ok", "info"]))
        rows.append([kind, value, start, end, status, i])
    out = []
    for kind, value, start, end, status, i in rows:
        result = None
        if kind == "get":
            if draw(st.integers(0, 9)) == 0:
                result = draw(st.sampled_from(["", "z", "A", "ab", "Zb"]))
            else:
                root = draw(st.sampled_from(["", *puts]))
                tail = draw(st.lists(st.sampled_from(appends), unique=True)) if appends else []
                result = root + "".join(tail)
        out.append(row(f"p{i}", kind, value, result, start, end, status))
    return history_from_intervals(sorted(out, key=lambda r: r["start"]))


def sound(mutant: str | None, h: History, model=STORE) -> bool:
    """The named check "sound": an order the fast path returns is a linearization, and
    only of a history that brute force finds linearizable; a violation it reports is one
    that brute force confirms."""
    timed = group(h, model)
    verdict, order = append_check(model.group_model("k"), timed, mutant=mutant)
    if verdict == "ok":
        return naive(h, model) and is_linearization(model.group_model("k"), timed, order)
    if verdict == "violation":
        return not naive(h, model)
    return verdict == "unknown" and order == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(append_histories())
def test_fast_path_is_sound_and_agrees_with_brute_force(h):
    assert sound(None, h)
    truth = naive(h, STORE)
    r = check_linearizable(h, STORE)
    assert r.ok == truth == check_linearizable(h, STORE, unique_writes=False).ok
    assert check_linearizable(h, STORE, shrink=False).ok == truth
    if r.ok:
        assert len(r.order) >= sum(1 for op in h.operations() if op.status == "ok")


@st.composite
def linearizable_append_histories(draw, max_ops=14, initial=""):
    """Histories of a correct store on one key: each operation takes effect at an instant
    inside its interval and gets return what the key held then. Every put and append
    writes a value of its own (fixed width, so no value ends another); some writes are
    info (they took effect, but the client never learned it)."""
    n = draw(st.integers(1, max_ops))
    planned = []
    for i in range(n):
        start = draw(st.integers(0, 20))
        end = start + 1 + draw(st.integers(0, 6))
        point = draw(st.integers(start, end - 1)) + (i + 1) / (n + 2)  # inside, distinct
        kind = draw(st.sampled_from(["get", "get", "put", "append", "append"]))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info"])) if kind != "get" else "ok"
        planned.append((point, i, start, end, kind, status))
    rows, value = [], initial
    for point, i, start, end, kind, status in sorted(planned):
        del point
        if kind == "get":
            rows.append(row(f"p{i}", "get", None, value, start, end))
            continue
        written = f"{'P' if kind == 'put' else 'a'}{i:02d}"
        written_value = written if initial == "" else (written,)
        value = written_value if kind == "put" or value is None else value + written_value
        rows.append(row(f"p{i}", kind, written_value, None, start, end, status))
    return history_from_intervals(sorted(rows, key=lambda r: r["start"]))


@settings(max_examples=200, deadline=None)
@given(linearizable_append_histories())
def test_fast_path_orders_every_linearizable_unique_append_history(h):
    # Complete on what it applies to (segments ordered by their zones): no search needed,
    # whenever the history has an append (without one, register_order applies).
    timed = group(h)
    if not any(t.op.f == "append" for t in timed):
        return
    order = append_order(ONE_KEY, timed)
    assert order is not None
    assert is_linearization(ONE_KEY, timed, order)


@settings(max_examples=100, deadline=None)
@given(linearizable_append_histories(initial=None))
def test_tuples_appended_to_a_key_that_held_nothing(h):
    model = KeyValue()
    timed = group(h, model)
    if not any(t.op.f == "append" for t in timed):
        return
    order = append_order(model.group_model("k"), timed)
    assert order is not None and is_linearization(model.group_model("k"), timed, order)


def test_a_long_history_of_many_clients_is_ordered_without_a_search():
    # 40 clients on 4 keys, half the operations gets, a tenth puts, the rest appends of
    # unique values: every key is ordered without a search (no configuration stored);
    # the search alone agrees, storing configurations.
    import random

    rng = random.Random(11)
    clock = [rng.random() for _ in range(40)]
    planned = []
    for n in range(600):
        c = min(range(40), key=lambda i: clock[i])
        start, end = clock[c], clock[c] + 0.01 + rng.expovariate(1.0)
        clock[c] = end + rng.expovariate(1.0)
        r = rng.random()
        f = "get" if r < 0.5 else "put" if r < 0.6 else "append"
        planned.append((rng.uniform(start, end), c, f, f"k{n % 4}", f"x {c} {n} y", start, end))
    store: dict[str, str] = {}
    rows = []
    for _, c, f, key, value, start, end in sorted(planned):
        if f != "get":
            store[key] = value if f == "put" else store.get(key, "") + value
        got = store.get(key, "") if f == "get" else None
        rows.append(
            {
                "process": c,
                "f": f,
                "key": key,
                "value": None if f == "get" else value,
                "result": got,
                "start": start,
                "end": end,
            }
        )
    h = history_from_intervals(sorted(rows, key=lambda r: r["start"]))
    fast = check_linearizable(h, STORE)
    slow = check_linearizable(h, STORE, unique_writes=False)
    assert fast.ok and slow.ok
    assert fast.configurations == 0 < slow.configurations
    assert len(fast.order) == len(slow.order) == 600


def test_a_read_of_an_older_version_after_a_newer_one_is_refused():
    rows = [
        row("a", "put", "x", None, 0, 1),
        row("b", "append", "y", None, 2, 3),
        row("c", "get", None, "xy", 4, 5),
        row("c", "get", None, "x", 6, 7),
    ]
    h = history_from_intervals(rows)
    assert append_order(ONE_KEY, group(h)) is None
    r = check_linearizable(h, STORE)
    assert r.verdict == "violation" and not naive(h, STORE)


def test_a_violation_proved_by_the_fast_path_needs_no_search_without_shrinking():
    rows = [
        row("a", "put", "x", None, 0, 1),
        row("b", "append", "y", None, 2, 3),
        row("b", "append", "z", None, 4, 5),
        row("c", "get", None, "xyz", 6, 7),
        row("c", "get", None, "xy", 8, 9),
    ]
    h = history_from_intervals(rows)
    assert append_check(ONE_KEY, group(h))[0] == "violation"
    quick = check_linearizable(h, STORE, shrink=False)
    assert quick.verdict == "violation" and quick.fast_path and quick.configurations == 0
    assert "fast path for unique values ordered" in quick.explain()
    full = check_linearizable(h, STORE)  # the explanation comes from the search, shrunk
    assert full.verdict == "violation" and not full.fast_path and full.minimized
    assert "The search ordered at most" in full.explain()


def test_a_violation_is_not_proved_for_a_model_the_fast_path_does_not_know():
    # The prepending store declares appends at the end: its ordering is still checked by
    # its own step, and a failed order is never taken as a proof.
    rows, model = CAUGHT_ON["no_model_check"]
    h = history_from_intervals(rows)
    assert append_check(model.group_model("k"), group(h, model)) == ("unknown", [])


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        (
            [row("a", "append", "x", None, 0, 1), row("b", "append", "x", None, 2, 3)],
            "a value appended twice",
        ),
        (
            [row("a", "put", "x", None, 0, 1), row("b", "append", "x", None, 2, 3)],
            "a value both put and appended",
        ),
        (
            [row("a", "append", "x", None, 0, 1), row("c", "get", None, "xq", 2, 3)],
            "a read no chain of writes explains",
        ),
        (
            [
                row("a", "append", "x", None, 0, 1),
                row("b", "append", "y", None, 0, 1),
                row("c", "get", None, "x", 2, 3),
                row("d", "get", None, "y", 2, 3),
            ],
            "two appends that both extended the initial value",
        ),
        (
            [
                row("a", "append", "x", None, 0, 1),
                row("c", "get", None, "x", 2, 3),
                row("d", "get", None, "xx", 2, 3),
            ],
            "one append that would have left two values",
        ),
        ([row("a", "put", "x", None, 0, 1), row("c", "get", None, "x", 2, 3)], "no append"),
        (
            [row("a", "cas", ("", "x"), True, 0, 1), row("b", "append", "y", None, 2, 3)],
            "a compare-and-set",
        ),
        ([row("a", "append", "x", None, 0, 1), row("c", "get", None, 7, 2, 3)], "a read of 7"),
    ],
)
def test_where_the_fast_path_does_not_apply(rows, why):
    h = history_from_intervals(rows)
    assert append_order(ONE_KEY, group(h)) is None, why
    assert check_linearizable(h, STORE).ok == naive(h, STORE), why


def test_the_whole_map_and_models_without_the_declaration_step_aside():
    h = history_from_intervals([row("a", "append", "x", None, 0, 1)])
    assert append_order(STORE, timeline(h)) is None  # the map of every key: not one key
    assert append_order(ONE_KEY, []) is None
    with pytest.raises(ValueError, match="no_realtime_check"):
        append_order(ONE_KEY, timeline(h), mutant="no_such_mutant")


def test_an_unread_info_append_is_left_out_and_a_read_one_kept():
    h = history_from_intervals(
        [
            row("a", "append", "x", None, 0, 1, "info"),
            row("b", "append", "y", None, 0, 1, "info"),
            row("c", "get", None, "x", 2, 3),
        ]
    )
    timed = group(h)
    assert math.isinf(timed[0].complete)
    order = append_order(ONE_KEY, timed)
    assert order is not None
    assert [timed[i].op.value or timed[i].op.result for i in order] == ["x", "x"]


class Prepending(KeyValue):
    """A store whose append puts the value in front, but that keeps KeyValue's
    declaration (``appended``: at the end): a wrong declaration."""

    def step(self, state, op):
        if op.f != "append":
            return super().step(state, op)
        old = dict(state).get(op.key, self.initial)
        new = op.value if old is None else op.value + old
        return True, frozenset([*(kv for kv in state if kv[0] != op.key), (op.key, new)])

    def group_model(self, key):
        return _PrependingKey(self.initial)


class _PrependingKey(type(ONE_KEY)):
    def step(self, state, op):
        if op.f == "append":
            return True, op.value if state is None else op.value + state
        return super().step(state, op)


# -- mutants: each deliberately broken check is caught by a named check -------------------------

# The histories each mutant is caught on, and why: real time forces the append before the
# read of the initial value; and "xy" is what the prepending store never holds after
# put(x), append(y).
CAUGHT_ON = {
    "no_realtime_check": (
        [row("a", "append", "x", None, 0, 1), row("c", "get", None, "", 2, 3)],
        STORE,
    ),
    "no_model_check": (
        [
            row("a", "put", "x", None, 0, 1),
            row("b", "append", "y", None, 2, 3),
            row("c", "get", None, "xy", 4, 5),
        ],
        Prepending(initial=""),
    ),
}
CAUGHT_ON["no_ambiguity_audit"] = (
    # "abc" is a + bc (linearizable) or a + b + c (not: b and c come after the read).
    [
        row("a", "put", "a", None, 0, 1),
        row("b", "append", "bc", None, 2, 3),
        row("c", "get", None, "abc", 4, 5),
        row("b", "append", "b", None, 6, 7),
        row("d", "append", "c", None, 8, 9),
    ],
    STORE,
)
CHECKS = {
    "no_realtime_check": "sound",
    "no_model_check": "a wrong declaration is refused",
    "no_ambiguity_audit": "sound",
}


def wrong_declaration_refused(mutant: str | None, h: History) -> bool:
    """The named check "a wrong declaration is refused": with a model whose step does not
    match its declaration, the fast path returns no order that the model rejects."""
    return sound(mutant, h, Prepending(initial=""))


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_is_caught_by_its_check_on_a_small_history(mutant):
    rows, model = CAUGHT_ON[mutant]
    h = history_from_intervals(rows)
    assert sound(None, h, model)
    assert not sound(mutant, h, model), CHECKS[mutant]
    assert check_linearizable(h, model).ok == naive(h, model)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_is_found_by_its_check_on_random_histories(mutant):
    # The same checks, given only the random histories of the soundness test: each finds
    # a history that the mutant gets wrong (hypothesis generates, derandomized, so the
    # same history every run; no shrinking).
    check = sound if CHECKS[mutant] == "sound" else wrong_declaration_refused
    found = find(
        append_histories(),
        lambda h: not check(mutant, h),
        settings=settings(
            max_examples=2000, derandomize=True, database=None, phases=[Phase.generate]
        ),
    )
    assert check(None, found)  # and the correct version passes it
