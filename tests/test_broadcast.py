"""Tests of dslib.clocks.broadcast: the ordering checks against brute-force oracles on random
histories, each protocol keeping its promises on random runs, and every mutant caught."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.clocks.broadcast import (
    MUTANT_CHECKS,
    MUTANTS,
    PROMISES,
    BroadcastProcess,
    broadcast_catch_rate,
    broadcast_history,
    broadcast_mutant_table,
    broadcast_run,
    causal_order,
    causally_deliverable,
    delivered_once,
    fifo_order,
    total_order,
)

Message = tuple[str, int]


@st.composite
def histories(draw: Any) -> dict[str, list[tuple[str, Message]]]:
    """A random history: processes broadcast and deliver already broadcast messages, each at
    most once, in any order (so every ordering rule may be broken)."""
    nodes = [f"p{i}" for i in range(1, draw(st.integers(2, 3)) + 1)]
    history: dict[str, list[tuple[str, Message]]] = {n: [] for n in nodes}
    sent: list[Message] = []
    for _ in range(draw(st.integers(0, 14))):
        node = draw(st.sampled_from(nodes))
        waiting = [m for m in sent if ("deliver", m) not in history[node]]
        if waiting and draw(st.integers(0, 2)) > 0:
            history[node].append(("deliver", draw(st.sampled_from(waiting))))
        else:
            message = (node, sum(1 for k, _ in history[node] if k == "broadcast"))
            sent.append(message)
            history[node].append(("broadcast", message))
    return history


def _events_closure(history: dict[str, list[tuple[str, Message]]]) -> set[tuple[Any, Any]]:
    """Happens-before between events (node, index): program order, a broadcast before each of
    its deliveries, and transitivity, by repeated composition until nothing changes."""
    events = [(n, i) for n, evs in history.items() for i in range(len(evs))]
    rel = {
        ((n, i), (n, j))
        for n, evs in history.items()
        for i in range(len(evs))
        for j in range(i + 1, len(evs))
    }
    where = {
        m: (n, i) for n, evs in history.items() for i, (k, m) in enumerate(evs) if k == "broadcast"
    }
    rel |= {
        (where[m], (n, i))
        for n, evs in history.items()
        for i, (k, m) in enumerate(evs)
        if k == "deliver"
    }
    while True:
        more = {(a, c) for (a, b) in rel for c in events if (b, c) in rel} - rel
        if not more:
            return rel
        rel |= more


def oracle_causal(history: dict[str, list[tuple[str, Message]]]) -> bool:
    rel = _events_closure(history)
    where = {
        m: (n, i) for n, evs in history.items() for i, (k, m) in enumerate(evs) if k == "broadcast"
    }
    for evs in history.values():
        for j, (kind, m2) in enumerate(evs):
            if kind != "deliver":
                continue
            for m1 in where:
                if m1 != m2 and (where[m1], where[m2]) in rel and ("deliver", m1) not in evs[:j]:
                    return False
    return True


def oracle_fifo(history: dict[str, list[tuple[str, Message]]]) -> bool:
    sent = {m for evs in history.values() for k, m in evs if k == "broadcast"}
    for evs in history.values():
        for j, (kind, (origin, seq)) in enumerate(evs):
            if kind == "deliver":
                for s in range(seq):
                    if (origin, s) in sent and ("deliver", (origin, s)) not in evs[:j]:
                        return False
    return True


def oracle_total(history: dict[str, list[tuple[str, Message]]]) -> bool:
    orders = {n: [m for k, m in evs if k == "deliver"] for n, evs in history.items()}
    for a, b in itertools.permutations(orders, 2):
        for x, y in itertools.permutations(set(orders[a]) & set(orders[b]), 2):
            if (orders[a].index(x) < orders[a].index(y)) != (
                orders[b].index(x) < orders[b].index(y)
            ):
                return False
    return True


def oracle_once(history: dict[str, list[tuple[str, Message]]]) -> bool:
    sent = [m for evs in history.values() for k, m in evs if k == "broadcast"]
    return all(
        [m for k, m in evs if k == "deliver"].count(x) == 1
        for evs in history.values()
        for x in sent
    )


@settings(max_examples=150, deadline=None, database=None)
@given(histories())
def test_the_checks_agree_with_brute_force_oracles(
    history: dict[str, list[tuple[str, Message]]],
) -> None:
    assert fifo_order(history).ok == oracle_fifo(history)
    assert causal_order(history).ok == oracle_causal(history)
    assert total_order(history).ok == oracle_total(history)
    assert delivered_once(history).ok == oracle_once(history)


@settings(max_examples=30, deadline=None, database=None)
@given(
    st.dictionaries(st.sampled_from("abc"), st.integers(0, 3)),
    st.sampled_from("abc"),
    st.dictionaries(st.sampled_from("abc"), st.integers(0, 3)),
)
def test_causally_deliverable_is_the_next_message_with_its_past_delivered(
    delivered: dict[str, int], origin: str, deps: dict[str, int]
) -> None:
    want = deps.get(origin, 0) == delivered.get(origin, 0) and all(
        deps.get(k, 0) <= delivered.get(k, 0) for k in "abc" if k != origin
    )
    assert causally_deliverable(delivered, origin, deps) == want


@settings(max_examples=15, deadline=None, database=None)
@given(
    st.sampled_from(sorted(PROMISES)),
    st.integers(1, 4),
    st.integers(0, 4),
    st.integers(0, 10_000),
)
def test_every_protocol_keeps_its_promises_on_random_runs(
    protocol: str, nodes: int, messages: int, seed: int
) -> None:
    history = broadcast_history(broadcast_run(protocol, nodes, messages, seed))
    checks = {
        "FIFO order": fifo_order,
        "causal order": causal_order,
        "total order": total_order,
        "delivered once": delivered_once,
    }
    for name in PROMISES[protocol]:
        assert checks[name](history).ok, (name, checks[name](history))


def test_every_mutant_is_caught_by_its_named_check_in_nearly_every_run() -> None:
    table = broadcast_mutant_table(
        seeds=10
    )  # raises if a correct version fails or a mutant escapes
    assert sorted(m for m in table["mutant"] if m != "correct version") == sorted(MUTANTS)
    for name, checks in MUTANT_CHECKS.items():
        protocol = name.split("_")[0]
        caught, runs = broadcast_catch_rate(protocol, name, checks[0], range(10), 4, 6)
        assert caught >= 9 and runs == 10, (name, caught)


def test_what_each_order_does_not_promise() -> None:
    # FIFO is not causal, and total order is neither FIFO nor causal: each shows in some run.
    assert broadcast_catch_rate("fifo", None, "causal order", range(10), 4, 6)[0] > 0
    assert broadcast_catch_rate("total", None, "FIFO order", range(10), 4, 6)[0] > 0
    assert broadcast_catch_rate("causal", None, "total order", range(10), 4, 6)[0] > 0


def test_runs_are_repeatable_and_arguments_validated() -> None:
    a = broadcast_history(broadcast_run("total", seed=3))
    assert a == broadcast_history(broadcast_run("total", seed=3))
    with pytest.raises(ValueError, match="unknown protocol"):
        BroadcastProcess("gossip")
    with pytest.raises(ValueError, match="breaks the 'total' protocol"):
        broadcast_run("fifo", mutant="total_no_hold")
    with pytest.raises(ValueError, match="unknown mutant"):
        broadcast_run("fifo", mutant="nope")
    with pytest.raises(ValueError, match="nodes"):
        broadcast_run("fifo", nodes=0)
    with pytest.raises(ValueError, match="unknown check"):
        broadcast_catch_rate("fifo", None, "FIFO", range(1))
    with pytest.raises(ValueError, match="must be \\('broadcast' or 'deliver'"):
        fifo_order({"p1": [("send", ("p1", 0))]})
    with pytest.raises(TypeError, match="must map"):
        total_order([("deliver", ("p1", 0))])  # type: ignore[arg-type]
