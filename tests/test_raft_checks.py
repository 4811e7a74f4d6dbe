"""The mutant table of chapter 15: a mutant for every rule of Figure 2, each caught reliably.

The full table (every check on every mutant, 50 seeds per seeded check) is
``benchmarks/bench_raft_mutants.py``, which fails if its verdicts differ from
``MUTANTS_TABLE``. Here: every deterministic check the table credits catches its
mutants, the cheap scripted checks give exactly the table's column, the seeded checks
catch their mutants on at least 9 of 10 fixed seeds, and correct Raft passes it all.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from dslib.raft import MUTANT_RULES, MUTANTS, RaftConfig
from dslib.raft.checks import (
    CHECKS,
    MUTANTS_TABLE,
    SEEDED_CHECKS,
    CatchRate,
    Scripted,
    ScriptStuck,
    catch_rates,
    catch_table,
    figure8,
    model_check,
    progress_run,
    stale_tail,
    stale_tail_run,
    z3_proof,
)
from dslib.raft.core import RaftNode

EXPECTED = {m.name: m.caught_by for m in MUTANTS_TABLE}
SCRIPTED = [
    "Figure 8 by hand",
    "stale tail by hand",
    "stale vote by hand",
    "deposed leader by hand",
    "catch-up by hand",
    "split vote by hand",
]
SEEDS = range(10)


def test_every_mutant_names_its_rule_and_is_in_the_table() -> None:
    assert list(EXPECTED) == list(MUTANTS) == list(MUTANT_RULES)
    assert all(MUTANT_RULES[name] for name in MUTANTS)
    for name, checks in EXPECTED.items():
        assert checks, name
        assert all(c in CHECKS or c in SEEDED_CHECKS for c in checks), name


def test_correct_raft_passes_every_deterministic_check() -> None:
    rates = catch_rates(RaftConfig(), list(CHECKS), seeds=[0])
    assert [r.check for r in rates if r.caught] == []


@pytest.mark.parametrize("name", list(MUTANTS))
def test_the_deterministic_checks_credited_in_the_table_catch_the_mutant(name: str) -> None:
    checks = [c for c in EXPECTED[name] if c in CHECKS and c not in SCRIPTED]
    rates = catch_rates(RaftConfig(mutant=name), checks, seeds=[0])
    assert [r.check for r in rates if not r.caught] == []


def test_the_scripted_checks_catch_exactly_the_mutants_of_the_table() -> None:
    for name in [None, *MUTANTS]:
        rates = catch_rates(RaftConfig(mutant=name), SCRIPTED, seeds=[0])
        caught = [r.check for r in rates if r.caught]
        assert caught == [c for c in SCRIPTED if name and c in EXPECTED[name]], name


def test_correct_raft_passes_every_seed_of_the_seeded_checks() -> None:
    rates = catch_rates(RaftConfig(), list(SEEDED_CHECKS), SEEDS)
    assert [(r.check, r.detail) for r in rates if r.caught] == []


@pytest.mark.parametrize(
    "name", [n for n in MUTANTS if any(c in SEEDED_CHECKS for c in EXPECTED[n])]
)
def test_the_seeded_checks_credited_in_the_table_catch_nearly_every_seed(name: str) -> None:
    checks = [c for c in EXPECTED[name] if c in SEEDED_CHECKS]
    rates = catch_rates(RaftConfig(mutant=name), checks, SEEDS)
    assert [(r.check, r.caught) for r in rates if r.caught < 9] == []


def test_catch_rates_reads_reliability_against_the_threshold() -> None:
    assert CatchRate("x", 45, 50, True).reliable and not CatchRate("x", 44, 50, True).reliable
    assert CatchRate("x", 1, 1, False).reliable and not CatchRate("x", 0, 1, False).reliable
    assert str(CatchRate("x", 0, 1, False)) == "—" and str(CatchRate("x", 3, 50, True)) == "3/50"
    with pytest.raises(ValueError, match="unknown checks"):
        catch_rates(RaftConfig(), ["no such check"])
    with pytest.raises(ValueError, match="seeds"):
        catch_rates(RaftConfig(), ["progress after benign faults"], seeds=[])
    with pytest.raises(ValueError, match="unknown mutants"):
        catch_table(["nope"])


def test_catch_table_shows_rule_rates_and_verdict() -> None:
    t = catch_table(
        ["no_backoff", "no_self_vote"],
        ["catch-up by hand", "progress after benign faults"],
        seeds=range(3),
    )
    assert list(t.index) == ["correct version", "no_backoff", "no_self_vote"]
    assert t.loc["no_backoff", "rule"] == "Leaders 3.2"
    assert t.loc["no_backoff", "catch-up by hand"] == "caught"
    # The leader elected while S3 is down never needs to back off for it: 0 of 3.
    assert t.loc["no_backoff", "progress after benign faults"] == "0/3"
    assert t.loc["no_backoff", "verdict"] == "catch-up by hand"
    assert t.loc["no_self_vote", "progress after benign faults"] == "3/3"
    assert t.loc["correct version", "progress after benign faults"] == "passes"
    assert t.loc["correct version", "verdict"] == "passes every run"
    only = catch_table(
        ["no_backoff"], ["catch-up by hand", "model checking"], only_expected=True, correct=False
    )
    assert list(only.loc["no_backoff", ["catch-up by hand", "model checking"]]) == ["caught", ""]


def test_liveness_mutants_are_seen_only_by_progress() -> None:
    # A liveness mutant breaks no safety property: the run fails for want of progress.
    out = progress_run(RaftConfig(mutant="no_reset_on_append"), seed=1)
    assert not out.ok and "an election at" in out.detail and "broke" not in out.detail
    out = progress_run(RaftConfig(mutant="no_candidate_timer"), seed=1)
    assert not out.ok and "no leader by 1400 ms" in out.detail


def test_model_check_counterexamples_replay_as_runs() -> None:
    r = model_check(RaftConfig(mutant="forget_vote"))
    assert not r.ok and r.property == "election_safety"
    kinds = [a[0] for a in r.counterexample.actions]  # type: ignore[union-attr]
    assert "crash" in kinds and "restart" in kinds  # the forgotten vote needs a restart
    r = model_check(RaftConfig(mutant="match_leader_last"))
    assert not r.ok and r.property == "match_index_sound"


def test_scenarios_show_what_went_wrong() -> None:
    h = stale_tail_run(RaftConfig(mutant="keep_conflicts"))
    assert [e.command for e in h.states["s2"].log] == ["a", "x", "c"]
    assert [e.command for e in h.states["s1"].log] == ["a", "b", "c"]
    ok = stale_tail_run(RaftConfig())
    assert [e.command for e in ok.states["s2"].log] == ["a", "x"]
    assert figure8(RaftConfig()).ok and stale_tail(RaftConfig()).ok
    out = figure8(RaftConfig(mutant="commit_old_terms"))
    assert not out.ok and out.counterexample_length and out.counterexample_length > 10
    # The stale leader's heartbeat: S4 must refuse it, or the committed "x" is replaced.
    bad = stale_tail_run(RaftConfig(mutant="accept_stale_term"))
    assert [e.command for e in bad.states["s4"].log] == ["a", "b", "c"]
    assert "committed_entries_stable" in bad.broken()


def test_scripted_refuses_an_election_without_votes() -> None:
    h = Scripted(RaftNode(RaftConfig(noop=False)), 5)
    with pytest.raises(ScriptStuck, match="did not win"):
        h.elect("s1", ("s2",), term=1)


def test_z3_proof_catches_the_mutants_it_models() -> None:
    assert z3_proof(RaftConfig()).ok
    out = z3_proof(replace(RaftConfig(), mutant="forget_vote"))
    assert not out.ok and "one_vote_per_term after request_vote" in out.detail
    out = z3_proof(RaftConfig(mutant="keep_conflicts"))
    assert not out.ok and "log_matching after accept_append" in out.detail
