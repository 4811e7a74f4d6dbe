"""Tests of dslib.mutants, with the deduplicating counter server of chapter 1 as the protocol:
its mutants must be caught by a simulation check under duplication and by the exercise's
stages, while the correct server passes every check."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

import dslib.exercises as ex
from dslib import Context, Node, System
from dslib.mutants import (
    CheckRun,
    Mutant,
    Outcome,
    assert_mutants_caught,
    mutant_table,
    outcome_of,
    run_mutants,
)
from dslib.sim import Client, Network, Reply, Request, Simulation, uniform

CounterServer = ex.load_solution("ch01.dedup_server")


# -- the protocol and its mutants -----------------------------------------------------------------
class NoDedup(CounterServer):  # type: ignore[misc, valid-type]
    """Applies every request it receives, duplicates included."""

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        counter = state.counter + msg.value
        ctx.send(src, Reply(msg.request_id, True, counter))
        return replace(state, counter=counter)


class SilentOnRetry(CounterServer):  # type: ignore[misc, valid-type]
    """Deduplicates, but does not answer a request it has already applied."""

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        key = (msg.client, msg.request_id)
        if any(done == key for done, _ in state.replies):
            return state
        return super().on_message(ctx, state, src, msg)


class KeyedByRequestIdOnly(CounterServer):  # type: ignore[misc, valid-type]
    """Remembers requests by request_id alone, mixing up the clients."""

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        return super().on_message(ctx, state, src, replace(msg, client="anyone"))


def run_counter(server: type[Node[Any]], seed: int, clients: int = 1, dup: float = 0.5) -> Any:
    nodes: dict[str, Node[Any]] = {"server": server()}
    for c in range(clients):
        nodes[f"c{c + 1}"] = Client(["server"], [("increment", 1)] * 3, timeout=4.0, retries=4)
    network = Network(latency=uniform(0.5, 3.0), duplication=dup)
    return Simulation(System(nodes), seed=seed, network=network).run()


def exactly_once_under_duplication(server: type[Node[Any]]) -> Outcome:
    """No loss, so every increment is acknowledged: the counter must equal their number,
    and every request delivered to the server must be answered."""
    for seed in range(6):
        sim = run_counter(server, seed, clients=2)
        acked = sum(op.status == "ok" for op in sim.history.operations())
        delivered = sum(isinstance(e.data, Request) for e in sim.trace.of_kind("deliver"))
        answered = sum(
            isinstance(e.data, Reply) and e.node == "server" for e in sim.trace.of_kind("send")
        )
        if sim.states["server"].counter != acked or answered != delivered:
            return Outcome(False, len(sim.trace), f"seed {seed}")
    return Outcome(True)


MUTANTS: list[Mutant[Any]] = [
    Mutant(
        "no-dedup",
        "applies duplicated and retried requests again",
        lambda: NoDedup,
        ("simulation under duplication", "duplicates"),
    ),
    Mutant(
        "silent-on-retry",
        "does not answer a retry of an applied request",
        lambda: SilentOnRetry,
        ("simulation under duplication", "duplicates"),
    ),
    Mutant(
        "request-id-only",
        "keys requests by request_id, not (client, request_id)",
        lambda: KeyedByRequestIdOnly,
        ("simulation under duplication", "two clients"),
    ),
]


def checks() -> dict[str, Any]:
    stages = ex.stage_checks("ch01.dedup_server")
    return {"simulation under duplication": exactly_once_under_duplication, **stages}


# -- the dedup server's mutants are all caught ----------------------------------------------------
def test_every_mutant_of_the_dedup_server_is_caught() -> None:
    report = assert_mutants_caught(lambda: CounterServer, MUTANTS, checks())
    assert report.ok
    assert all(r.ok for r in report.correct)
    by_name = {m.name: m for m in report.mutants}
    assert set(by_name) == {"no-dedup", "silent-on-retry", "request-id-only"}
    for m in report.mutants:
        assert not m.missed
        assert m.counterexample_length is not None and m.counterexample_length > 0
    # the examples stage does not exercise duplicates: it must not be what catches them
    assert "examples" not in by_name["no-dedup"].caught_by


def test_mutant_table_for_a_notebook() -> None:
    report = run_mutants(lambda: CounterServer, MUTANTS, checks())
    table = mutant_table(report)
    assert list(table.columns) == ["mutant", "bug", "caught by", "counterexample length"]
    assert list(table["mutant"]) == [
        "correct version",
        "no-dedup",
        "silent-on-retry",
        "request-id-only",
    ]
    assert table["caught by"][0] == "none: passes all 6 checks"
    assert "simulation under duplication" in table["caught by"][1]
    again = mutant_table(run_mutants(lambda: CounterServer, MUTANTS, checks()))
    assert table.equals(again)  # deterministic without times
    assert report.to_frame().equals(table)
    with pytest.warns(DeprecationWarning, match=r"MutantReport.table\(\) is deprecated: write "):
        assert report.table().equals(table)  # the old name, for one release
    timed = report.to_frame(times=True, correct_row=False)
    assert list(timed.columns)[-1] == "time (s)"
    assert list(timed["mutant"]) == ["no-dedup", "silent-on-retry", "request-id-only"]
    assert all(t >= 0 for t in timed["time (s)"])


# -- the framework itself -------------------------------------------------------------------------
def even(f: Any) -> Outcome:
    bad = [n for n in range(6) if f(n) % 2]
    return Outcome(not bad, bad[0] + 1 if bad else None)


def nonnegative(f: Any) -> bool:
    return all(f(n) >= 0 for n in range(6))


SMALL_CHECKS = {"even": even, "non-negative": nonnegative}


def test_a_mutant_that_escapes_fails_the_assertion() -> None:
    escapee = Mutant("plus-two", "adds two", lambda: lambda n: 2 * n + 2, ("even",))
    with pytest.raises(AssertionError, match="mutant 'plus-two' .* not caught by check 'even'"):
        assert_mutants_caught(lambda: lambda n: 2 * n, [escapee], SMALL_CHECKS)


def test_a_correct_version_that_fails_a_check_fails_the_assertion() -> None:
    odd = Mutant("odd", "odd values", lambda: lambda n: 2 * n + 1, ("even",))
    with pytest.raises(AssertionError, match="the correct version fails check 'non-negative'"):
        assert_mutants_caught(lambda: lambda n: -2 * n, [odd], SMALL_CHECKS)
    report = run_mutants(lambda: lambda n: -2 * n, [odd], SMALL_CHECKS)
    assert mutant_table(report)["caught by"][0] == "FAILS non-negative"


def test_a_check_that_raises_is_an_error_not_a_catch() -> None:
    def broken(f: Any) -> bool:
        raise RuntimeError("the check is broken")

    m = Mutant("odd", "odd values", lambda: lambda n: 2 * n + 1, ("broken",))
    report = run_mutants(lambda: lambda n: 2 * n, [m], {**SMALL_CHECKS, "broken": broken})
    run = next(r for r in report.mutants[0].runs if r.check == "broken")
    assert run.error == "RuntimeError: the check is broken" and not run.caught
    assert report.mutants[0].caught_by == ("even",)
    problems = report.problems()
    assert any("check 'broken' raised on the correct version" in p for p in problems)
    assert any("check 'broken' raised on mutant 'odd'" in p for p in problems)
    with pytest.raises(AssertionError, match="raised"):
        assert_mutants_caught(lambda: lambda n: 2 * n, [m], {**SMALL_CHECKS, "broken": broken})


def test_only_declared_checks_run_when_asked() -> None:
    m = Mutant("odd", "odd values", lambda: lambda n: 2 * n + 1, ("even",))
    report = run_mutants(lambda: lambda n: 2 * n, [m], SMALL_CHECKS, all_checks=False)
    assert [r.check for r in report.mutants[0].runs] == ["even"]
    assert report.mutants[0].counterexample_length == 1


def test_bad_declarations_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty tuple"):
        Mutant("m", "bug", lambda: None, ())
    with pytest.raises(ValueError, match="non-empty tuple"):
        Mutant("m", "bug", lambda: None, "even")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="name"):
        Mutant("", "bug", lambda: None, ("even",))
    with pytest.raises(TypeError, match="build"):
        Mutant("m", "bug", 3, ("even",))  # type: ignore[arg-type]
    m = Mutant("m", "bug", lambda: lambda n: n, ("evenness",))
    with pytest.raises(ValueError, match="unknown checks"):
        run_mutants(lambda: lambda n: n, [m], SMALL_CHECKS)
    with pytest.raises(ValueError, match="repeat"):
        run_mutants(lambda: lambda n: n, [m, m], {"evenness": even})
    with pytest.raises(ValueError, match="at least one check"):
        run_mutants(lambda: lambda n: n, [], {})


def test_outcome_of_reads_many_kinds_of_results() -> None:
    assert outcome_of(False) == (False, None)
    assert outcome_of(Outcome(True)) == (True, None)
    assert outcome_of(CheckRun("c", False, 7)) == (False, 7)

    class WithTrace:
        ok = False
        trace = (1, 2, 3)

    assert outcome_of(WithTrace()) == (False, 3)
    with pytest.raises(TypeError, match="boolean 'ok'"):
        outcome_of("yes")
    with pytest.raises(TypeError, match="boolean 'ok'"):
        outcome_of(None)
