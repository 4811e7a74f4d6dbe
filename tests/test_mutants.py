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
    seeded_mutant_report,
    seeded_mutant_table,
    tally_runs,
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


# -- mutant tables over seeds, from a catch-rate function -----------------------------------------
# Doubling n = seed + 1, and three broken doublings: odd when n % 3 == 2, negative and odd,
# and off by two (which only "zero at zero" sees; that check does not depend on the seed).
VARIANTS: dict[str | None, Any] = {
    None: lambda n: 2 * n,
    "odd_mod_3": lambda n: 2 * n + (n % 3 == 2),
    "negate": lambda n: -2 * n - 1,
    "shift": lambda n: 2 * n + 2,
}
BUGS = {"odd_mod_3": "2n + 1 when n % 3 == 2", "negate": "-2n - 1", "shift": "2n + 2"}
CAUGHT_BY = {"odd_mod_3": ("even",), "negate": ("non-negative", "even"), "shift": ("zero at zero",)}
DOUBLING_CHECKS = ("even", "non-negative", "zero at zero")


def doubling_catch_rate(calls: list[tuple[Any, ...]]) -> Any:
    def catch_rate(mutant: str | None, check: str, seeds: range) -> tuple[int, int, Any]:
        calls.append((mutant, check, seeds))
        f = VARIANTS[mutant]
        if check == "zero at zero":
            wrong = f(0) != 0
            return (len(seeds) if wrong else 0), len(seeds), (f"f(0) = {f(0)}" if wrong else None)
        holds = (lambda v: v % 2 == 0) if check == "even" else (lambda v: v >= 0)
        bad = [s + 1 for s in seeds if not holds(f(s + 1))]
        return len(bad), len(seeds), min(bad, default=None)

    return catch_rate


def test_seeded_mutant_report_runs_every_check_over_the_seeds() -> None:
    calls: list[tuple[Any, ...]] = []
    report = seeded_mutant_report(
        doubling_catch_rate(calls), BUGS, CAUGHT_BY, DOUBLING_CHECKS, 6, where="doubling_report"
    )
    assert report.problems() == []
    assert [(m.name, m.caught_by) for m in report.mutants] == [
        ("odd_mod_3", ("even",)),
        ("negate", ("even", "non-negative", "zero at zero")),  # every check that catches it
        ("shift", ("zero at zero",)),
    ]
    # an int found is the counterexample's length (n = 2 is the first odd one), a str is not
    assert [m.counterexample_length for m in report.mutants] == [2, 1, None]
    assert {c[2] for c in calls} == {range(6)} and len(calls) == 4 * len(DOUBLING_CHECKS)
    # a mutant declares a check that does not catch it: the report says so, the table refuses
    declared = {**CAUGHT_BY, "odd_mod_3": ("non-negative",)}
    escaped = seeded_mutant_report(
        doubling_catch_rate([]), BUGS, declared, DOUBLING_CHECKS, 6, where="r"
    )
    assert escaped.problems() == [
        "mutant 'odd_mod_3' (2n + 1 when n % 3 == 2) is not caught by check 'non-negative'"
    ]
    with pytest.raises(AssertionError, match="doubling_table: the checks are not doing their job"):
        seeded_mutant_table(escaped, doubling_catch_rate([]), 6, where="doubling_table", column="c")


def test_seeded_mutant_report_direct_checks_and_only_declared_checks() -> None:
    calls: list[tuple[Any, ...]] = []

    def zero_at_zero(mutant: str | None) -> Outcome:
        value = VARIANTS[mutant](0)
        return Outcome(value == 0, None if value == 0 else 1)

    report = seeded_mutant_report(
        doubling_catch_rate(calls),
        BUGS,
        CAUGHT_BY,
        DOUBLING_CHECKS,
        3,
        where="doubling_report",
        direct={"zero at zero": zero_at_zero},
        all_checks=False,
    )
    assert report.problems() == []
    assert report.mutants[2].counterexample_length == 1  # the direct check's own
    assert all(check != "zero at zero" for _, check, _ in calls)
    assert sorted((m, c) for m, c, _ in calls if m is not None) == [
        ("negate", "even"),
        ("negate", "non-negative"),
        ("odd_mod_3", "even"),
    ]


def test_seeded_mutant_table_adds_the_catch_rates() -> None:
    rate = doubling_catch_rate([])
    report = seeded_mutant_report(
        rate, BUGS, CAUGHT_BY, DOUBLING_CHECKS, 6, where="doubling_report"
    )
    table = seeded_mutant_table(
        report, rate, 6, where="doubling_table", column="runs caught", length_column="smallest n"
    )
    assert list(table.columns) == ["mutant", "bug", "caught by", "smallest n", "runs caught"]
    assert list(table["runs caught"]) == ["0 of 6", "2 of 6", "6 of 6", "6 of 6"]
    assert list(table["smallest n"]) == ["—", "2", "1", "—"]
    shown = seeded_mutant_table(
        report,
        rate,
        6,
        where="doubling_table",
        column="caught in",
        check_column="its check",
        correct_check="any",
        first_column="first case",
        rate="{caught} of {runs} seeds",
        deterministic=["zero at zero"],
        deterministic_rate="always",
    )
    assert list(shown.columns) == [
        "mutant",
        "bug",
        "caught by",
        "its check",
        "first case",
        "caught in",
    ]
    assert list(shown["its check"]) == ["any", "even", "non-negative", "zero at zero"]
    assert list(shown["first case"]) == ["—", "2", "1", "f(0) = 2"]
    assert list(shown["caught in"]) == ["0 of 6 seeds", "2 of 6 seeds", "6 of 6 seeds", "always"]
    every = seeded_mutant_table(
        report, rate, 6, where="doubling_table", column="caught in", every_check=True
    )
    assert list(every["caught in"])[2] == "non-negative: 6 of 6; even: 6 of 6"


def test_seeded_mutant_tables_reject_bad_arguments() -> None:
    rate = doubling_catch_rate([])
    bad: list[Any] = [0, True, 2.0, "3"]
    for seeds in bad:
        with pytest.raises(ValueError, match=r"doubling_report: seeds=.* must be an int >= 1"):
            seeded_mutant_report(
                rate, BUGS, CAUGHT_BY, DOUBLING_CHECKS, seeds, where="doubling_report"
            )
    with pytest.raises(ValueError, match="no entry for the mutants \\['shift'\\]"):
        seeded_mutant_report(
            rate, BUGS, {"odd_mod_3": ("even",), "negate": ("even",)}, DOUBLING_CHECKS, 2, where="r"
        )
    with pytest.raises(ValueError, match="direct names checks \\['odd'\\]"):
        seeded_mutant_report(
            rate, BUGS, CAUGHT_BY, DOUBLING_CHECKS, 2, where="r", direct={"odd": bool}
        )
    with pytest.raises(ValueError, match="unknown checks"):  # run_mutants' own check
        seeded_mutant_report(
            rate, BUGS, {**CAUGHT_BY, "shift": ("odd",)}, DOUBLING_CHECKS, 2, where="r"
        )
    report = seeded_mutant_report(rate, BUGS, CAUGHT_BY, DOUBLING_CHECKS, 2, where="r")
    with pytest.raises(ValueError, match="doubling_table: seeds=-1 must be an int >= 1"):
        seeded_mutant_table(report, rate, -1, where="doubling_table", column="c")


def test_tally_runs_counts_failures_and_keeps_the_least_length() -> None:
    assert tally_runs([]) == (0, 0, None)
    assert tally_runs([(False, None), (False, None)]) == (0, 2, None)
    assert tally_runs([(True, None), (False, 1)]) == (1, 2, None)  # a pass's length is ignored
    assert tally_runs(iter([(True, 9), (True, None), (True, 4), (False, None)])) == (3, 4, 4)
