"""Rebalancing strategies and routing (dslib.sharding.strategies)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.mutants import assert_mutants_caught
from dslib.sharding import make_keys
from dslib.sharding.strategies import (
    ROUTING,
    STRATEGIES,
    Layout,
    join_layouts,
    join_steps,
    misrouted,
    moves_only_to_new,
    rebalance_checks,
    rebalance_mutants,
    routing_cost,
)

KEYS = make_keys(3000)
NODES = ("n1", "n2", "n3")


@given(
    st.lists(st.sampled_from(NODES[:2]), min_size=1, max_size=8).flatmap(
        lambda before: st.tuples(
            st.just(before),
            st.lists(st.sampled_from(NODES), min_size=len(before), max_size=len(before)),
        )
    )
)
def test_the_check_agrees_with_a_brute_force_oracle(pair: tuple[list, list]) -> None:
    before, after = pair
    got = moves_only_to_new(Layout(NODES[:2], 2, tuple(before)), Layout(NODES, 3, tuple(after)))
    # Brute force: count, key by key, the moves that end on a node that was already there.
    wrong = 0
    for i in range(len(before)):
        if before[i] != after[i] and after[i] in NODES[:2]:
            wrong += 1
    assert got.ok == (wrong == 0)
    assert (got.counterexample_length or 0) == wrong


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_every_strategy_moves_data_only_to_the_new_node(strategy: str) -> None:
    steps = join_steps(strategy, KEYS, nodes=6, max_keys=400)
    assert [s.nodes for s in steps] == [2, 3, 4, 5, 6]
    assert all(s.moved_between_old == 0 and 0 < s.moved < 1 for s in steps)


def test_what_each_strategy_does_with_its_partitions() -> None:
    fixed = join_steps("fixed", KEYS, nodes=4, partitions=32)
    dynamic = join_steps("dynamic", KEYS, nodes=4, max_keys=400)
    proportional = join_steps("proportional", KEYS, nodes=4, tokens=8)
    assert {s.partitions for s in fixed} == {32}
    assert len({s.partitions for s in dynamic}) == 1 and dynamic[0].partitions >= 3000 // 400
    assert [s.partitions for s in proportional] == [16, 24, 32]
    # Whole partitions move: with 32 equal-count partitions the join to 2 nodes moves 16.
    assert fixed[0].moved == pytest.approx(0.5, abs=0.05)


def test_every_mutant_is_caught_by_its_named_check() -> None:
    assert_mutants_caught(lambda: None, rebalance_mutants(), rebalance_checks(keys=600))


def test_a_stale_table_misroutes_more_the_more_joins_it_missed() -> None:
    layouts = join_layouts("fixed", KEYS, nodes=6)
    wrong = [misrouted(layouts[5 - k], layouts[5]) for k in range(4)]
    assert wrong[0] == 0.0 and wrong == sorted(wrong) and wrong[-1] > wrong[1] > 0
    for approach in ROUTING:
        assert routing_cost(approach, 6, wrong[2]) > routing_cost(approach, 6, 0.0)
    assert routing_cost("partition-aware client", 6, 0.0) < routing_cost("any node", 6, 0.0)
    assert routing_cost("any node", 6, 0.0) < routing_cost("routing tier", 6, 0.0)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: join_layouts("ring", KEYS), "allowed: fixed, dynamic, proportional"),
        (lambda: join_layouts("fixed", KEYS, nodes=0), "nodes=0"),
        (lambda: join_layouts("fixed", KEYS, mutant="nope"), "nope"),
        (lambda: routing_cost("dns", 3, 0.0), "allowed"),
        (lambda: routing_cost("any node", 3, 1.5), "fraction"),
        (
            lambda: moves_only_to_new(Layout(("a",), 1, ("a",)), Layout(("a",), 1, ())),
            "same keys",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        call()  # type: ignore[operator]
