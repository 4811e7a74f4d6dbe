"""The mutant table of chapter 15: every check passes correct Raft and catches its mutants."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dslib.mutants import assert_mutants_caught, mutant_table
from dslib.raft import MUTANTS, RaftConfig
from dslib.raft.checks import (
    CHECKS,
    MUTANTS_TABLE,
    Scripted,
    figure8,
    model_check,
    stale_tail,
    stale_tail_run,
    z3_proof,
)
from dslib.raft.core import RaftNode


def test_every_mutant_is_caught_by_its_checks_and_the_table_says_so() -> None:
    report = assert_mutants_caught(RaftConfig, MUTANTS_TABLE, CHECKS)
    table = mutant_table(report)
    assert list(table["mutant"]) == ["correct version", *MUTANTS]
    caught = dict(zip(table["mutant"], table["caught by"], strict=True))
    assert caught["correct version"] == "none: passes all 6 checks"
    assert caught["vote_without_log_check"] == (
        "model checking, KV store under faults, hypothesis fault schedules"
    )
    assert caught["commit_old_terms"] == "Figure 8 by hand"
    assert caught["forget_vote"] == "model checking, z3 induction"
    assert caught["keep_conflicts"] == "z3 induction, stale tail by hand"
    assert caught["stale_reads"] == "KV store under faults"
    assert caught["no_sessions"] == "KV store under faults, hypothesis fault schedules"
    lengths = dict(zip(table["mutant"], table["counterexample length"], strict=True))
    assert lengths["vote_without_log_check"] == "8"  # steps of the model checker
    assert lengths["forget_vote"] == "8" and lengths["stale_reads"] == "—"


def test_every_mutant_of_the_module_is_in_the_table() -> None:
    assert sorted(m.name for m in MUTANTS_TABLE) == sorted(MUTANTS)


def test_model_check_counterexamples_replay_as_runs() -> None:
    r = model_check(RaftConfig(mutant="forget_vote"))
    assert not r.ok and r.property == "election_safety"
    kinds = [a[0] for a in r.counterexample.actions]  # type: ignore[union-attr]
    assert "crash" in kinds and "restart" in kinds  # the forgotten vote needs a restart


def test_scenarios_show_what_went_wrong() -> None:
    h = stale_tail_run(RaftConfig(mutant="keep_conflicts"))
    assert [e.command for e in h.states["s2"].log] == ["a", "x", "c"]
    assert [e.command for e in h.states["s1"].log] == ["a", "b", "c"]
    ok = stale_tail_run(RaftConfig())
    assert [e.command for e in ok.states["s2"].log] == ["a", "x"]
    assert figure8(RaftConfig()).ok and stale_tail(RaftConfig()).ok
    out = figure8(RaftConfig(mutant="commit_old_terms"))
    assert not out.ok and out.counterexample_length and out.counterexample_length > 10


def test_scripted_refuses_an_election_without_votes() -> None:
    h = Scripted(RaftNode(RaftConfig(noop=False)), 5)
    with pytest.raises(AssertionError, match="did not win"):
        h.elect("s1", ("s2",), term=1)


def test_z3_proof_catches_the_mutants_it_models() -> None:
    assert z3_proof(RaftConfig()).ok
    out = z3_proof(replace(RaftConfig(), mutant="forget_vote"))
    assert not out.ok and "one_vote_per_term after request_vote" in out.detail
    out = z3_proof(RaftConfig(mutant="keep_conflicts"))
    assert not out.ok and "log_matching after accept_append" in out.detail
