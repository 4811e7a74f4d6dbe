"""Tests of dslib.clocks.snapshots: the consistent-cut check against a brute-force oracle (a cut is
consistent exactly when it is closed under happens-before), the Chandy-Lamport snapshot right
on random runs, wrong without FIFO channels, and every mutant caught."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.clocks.snapshots import (
    MUTANT_CHECKS,
    MUTANTS,
    SNAPSHOT_CHECKS,
    BankProcess,
    consistent_cut,
    process_logs,
    recorded_snapshot,
    snapshot_catch_rate,
    snapshot_mutant_table,
    snapshot_run,
)

Log = dict[str, list[tuple[str, tuple[str, int]]]]


@st.composite
def logs_and_cuts(draw: Any) -> tuple[Log, dict[str, int]]:
    """Random message-passing logs (each message sent before it is received, received at most
    once) and a random cut: a prefix of each process's log."""
    nodes = [f"p{i}" for i in range(1, draw(st.integers(2, 3)) + 1)]
    logs: Log = {n: [] for n in nodes}
    in_flight: list[tuple[tuple[str, int], str]] = []
    for _ in range(draw(st.integers(0, 9))):
        if in_flight and draw(st.booleans()):
            message, receiver = in_flight.pop(draw(st.integers(0, len(in_flight) - 1)))
            logs[receiver].append(("receive", message))
        else:
            sender = draw(st.sampled_from(nodes))
            receiver = draw(st.sampled_from([n for n in nodes if n != sender]))
            message = (sender, sum(1 for k, _ in logs[sender] if k == "send"))
            logs[sender].append(("send", message))
            in_flight.append((message, receiver))
    cut = {n: draw(st.integers(0, len(logs[n]))) for n in nodes}
    return logs, cut


def oracle_consistent(logs: Log, cut: dict[str, int]) -> bool:
    """Closed under happens-before: every event that happened before an event inside the cut
    is inside it (happens-before by repeated composition until nothing changes)."""
    events = [(n, i) for n in logs for i in range(len(logs[n]))]
    sends = {m: (n, i) for n in logs for i, (k, m) in enumerate(logs[n]) if k == "send"}
    rel = {
        ((n, i), (n, j))
        for n in logs
        for i in range(len(logs[n]))
        for j in range(i + 1, len(logs[n]))
    }
    rel |= {(sends[m], (n, i)) for n in logs for i, (k, m) in enumerate(logs[n]) if k == "receive"}
    while True:
        more = {(a, c) for (a, b) in rel for c in events if (b, c) in rel} - rel
        if not more:
            break
        rel |= more
    inside = {(n, i) for n in logs for i in range(cut[n])}
    return all(a in inside for (a, b) in rel if b in inside)


@settings(max_examples=150, deadline=None, database=None)
@given(logs_and_cuts())
def test_the_consistent_cut_check_agrees_with_a_brute_force_oracle(
    case: tuple[Log, dict[str, int]],
) -> None:
    logs, cut = case
    assert consistent_cut(logs, cut).ok == oracle_consistent(logs, cut)


@settings(max_examples=12, deadline=None, database=None)
@given(st.integers(2, 5), st.integers(0, 10_000), st.floats(0.0, 12.0))
def test_the_snapshot_is_right_on_random_runs(nodes: int, seed: int, at: float) -> None:
    sim = snapshot_run(nodes, seed, snapshot_at=at)
    for name, check in SNAPSHOT_CHECKS.items():
        assert check(sim).ok, (name, check(sim))
    assert recorded_snapshot(sim).total == 10 * nodes


def test_without_fifo_channels_the_marker_algorithm_can_be_wrong() -> None:
    # A transfer that overtakes the marker is counted twice or not at all.
    caught, runs = snapshot_catch_rate(None, "total conserved", range(20), nodes=3, fifo=False)
    assert caught > 0 and runs == 20


def test_every_mutant_is_caught_by_its_named_checks_in_nearly_every_run() -> None:
    table = snapshot_mutant_table(seeds=10)  # raises if the correct version fails a check
    assert list(table["mutant"]) == ["correct version", *sorted(MUTANTS)]
    for name, checks in MUTANT_CHECKS.items():
        caught, runs = snapshot_catch_rate(name, checks[0], range(20), nodes=5)
        assert caught >= 19 and runs == 20, (name, caught)


def test_runs_are_repeatable_and_arguments_validated() -> None:
    assert process_logs(snapshot_run(seed=4)) == process_logs(snapshot_run(seed=4))
    with pytest.raises(ValueError, match="nodes"):
        snapshot_run(nodes=1)
    with pytest.raises(ValueError, match="unknown mutant"):
        snapshot_run(mutant="nope")
    with pytest.raises(ValueError, match="interval"):
        BankProcess(interval=(0.0, 1.0))
    with pytest.raises(ValueError, match="unknown check"):
        snapshot_catch_rate(None, "cut", range(1))
    with pytest.raises(ValueError, match="cut\\['p1'\\]=5"):
        consistent_cut({"p1": []}, {"p1": 5})
    assert not consistent_cut({"p1": [], "p2": []}, {"p1": 0}).ok  # p2 never recorded
