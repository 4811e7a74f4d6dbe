"""Tests of the sharded key-value store (migrations under faults, linearizability) and of
cross-shard transfers by two-phase commit (atomicity, conservation, blocking).

The seeded sweep runs ``DSLIB_SWEEP`` seeds (default 40); set it higher to run it large:
``DSLIB_SWEEP=500 pytest tests/test_sharding_store.py -k sweep``.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings

from dslib import Context
from dslib.mutants import assert_mutants_caught
from dslib.sharding import (
    CHURN_SCHEDULE,
    Config,
    ConfigReply,
    atomicity,
    bank_checks,
    bank_mutants,
    blocked_intervals,
    check_store,
    conservation,
    decision_lost_run,
    run_bank,
    run_store,
    settles,
    store_checks,
    store_faults,
    store_mutants,
)
from dslib.sharding.store import (
    STORE_MUTANTS,
    ServerState,
    Shard,
    ShardAck,
    ShardPush,
    ShardServer,
    linearizable_outcome,
)
from dslib.sharding.transactions import (
    AccountShard,
    DecisionTx,
    ParticipantState,
    PrepareTx,
    Transfer,
    VoteTx,
    tx_spec_state,
)
from dslib.sim import Crash, Request, Restart
from dslib.sim.clients import Reply
from dslib.testing import fault_schedules

SWEEP = int(os.environ.get("DSLIB_SWEEP", "40"))
NODES = ("admin", "auditor", "c1", "c2", "c3", "ctrl", "g1", "g2", "g3")


# -- the server, handler by handler ----------------------------------------------------------------
def serving(shards: int = 2) -> tuple[ShardServer, Context, ServerState]:
    server = ShardServer(shards)
    ctx = Context("g1", ["g1", "g2", "ctrl", "c1"])
    state = server.init(ctx)
    state = server.on_message(ctx, state, "ctrl", ConfigReply(Config(1, ("g1",) * shards)))
    ctx.sent.clear()
    return server, ctx, state


def test_server_serves_its_shards_and_answers_a_retry_with_the_first_answer() -> None:
    server, ctx, s = serving()
    s = server.on_message(ctx, s, "c1", Request("c1", 1, "append", "k", "a"))
    s = server.on_message(ctx, s, "c1", Request("c1", 1, "append", "k", "a"))  # the retry
    s = server.on_message(ctx, s, "c1", Request("c1", 2, "get", "k"))
    assert [m for _, m in ctx.sent] == [
        Reply(1, True, None),
        Reply(1, True, None),
        Reply(2, True, "a"),
    ]
    ctx.sent.clear()
    s = server.on_message(ctx, s, "c1", Request("c1", 1, "append", "k", "a"))  # an old copy
    assert ctx.sent == [] and dict(s.shards[0].data or s.shards[1].data) == {"k": "a"}


def test_server_hands_a_shard_off_and_refuses_it_meanwhile() -> None:
    server, ctx, s = serving()
    s = server.on_message(ctx, s, "c1", Request("c1", 1, "put", "k", "v"))
    ctx.sent.clear()
    s = server.on_message(ctx, s, "ctrl", ConfigReply(Config(2, ("g2", "g2"), ("g2",))))
    assert [sh.status for sh in s.shards] == ["leaving", "leaving"]
    pushes = [m for d, m in ctx.sent if d == "g2"]
    assert len(pushes) == 2 and all(isinstance(m, ShardPush) and m.num == 2 for m in pushes)
    ctx.sent.clear()
    s2 = server.on_message(ctx, s, "c1", Request("c1", 2, "get", "k"))
    assert ctx.sent == [("c1", Reply(2, False, "wrong group"))] and s2 == s
    s = server.on_message(ctx, s, "g2", ShardAck(2, 0))
    s = server.on_message(ctx, s, "g2", ShardAck(1, 1))  # an ack of another config: ignored
    assert [sh.status for sh in s.shards] == ["absent", "leaving"]
    assert s.shards[0] == Shard()


def test_server_installs_pushed_data_only_for_its_current_configuration() -> None:
    server = ShardServer(2)
    ctx = Context("g2", ["g1", "g2", "ctrl"])
    s = server.on_message(ctx, server.init(ctx), "ctrl", ConfigReply(Config(1, ("g1", "g1"))))
    push = ShardPush(2, 0, (("k", "v"),), (("c1", 1, None),))
    assert server.on_message(ctx, s, "g1", push) == s  # not there yet: the sender will resend
    s = server.on_message(ctx, s, "ctrl", ConfigReply(Config(2, ("g2", "g1"), ("g1", "g2"))))
    assert s.shards[0].status == "pulling" and s.migrating()
    ctx.sent.clear()
    s = server.on_message(ctx, s, "g1", push)
    assert s.shards[0] == Shard("serving", (("k", "v"),), (("c1", 1, None),))
    assert ctx.sent == [("g1", ShardAck(2, 0))]
    ctx.sent.clear()
    assert server.on_message(ctx, s, "g1", push) == s  # a duplicate: acknowledged again
    assert ctx.sent == [("g1", ShardAck(2, 0))]
    # only the next configuration is taken
    assert server.on_message(ctx, s, "ctrl", ConfigReply(Config(4, ("g1", "g1")))) == s


def test_server_mutant_names_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown mutant"):
        ShardServer(2, mutant="nope")
    assert set(STORE_MUTANTS) == {m.name for m in store_mutants()}


# -- whole runs ------------------------------------------------------------------------------------
def test_a_run_goes_through_every_configuration_and_is_linearizable() -> None:
    run = run_store(seed=5)
    assert [c.num for c in run.configs] == list(range(7))
    assert all(op.status == "ok" for op in run.history.operations())
    assert len(run.history.operations()) == 3 * 25 + 6
    result = check_store(run)
    assert result.ok and result.counterexample_length is None


def test_store_is_deterministic() -> None:
    a = run_store(seed=9, faults=store_faults(9), loss=0.1)
    b = run_store(seed=9, faults=store_faults(9), loss=0.1)
    assert a.simulation.trace.fingerprint() == b.simulation.trace.fingerprint()


def test_sweep_linearizable_under_migrations_and_faults() -> None:
    for seed in range(SWEEP):
        run = run_store(
            seed=seed,
            schedule=CHURN_SCHEDULE,
            faults=store_faults(seed),
            loss=0.2,
            duplication=0.1,
        )
        lin = linearizable_outcome(run)
        assert lin.ok, f"seed {seed}: {lin.detail}"
        settled = settles(run)
        assert settled.ok, f"seed {seed}: {settled.detail}"


@settings(max_examples=40, deadline=None, database=None)
@given(
    fault_schedules(
        NODES,
        kinds=("crash", "partition", "loss", "duplication"),
        max_episodes=5,
        horizon=300,
        max_duration=40,
        crashable=("ctrl", "g1", "g2", "g3"),
    )
)
def test_hypothesis_fault_schedules_keep_the_store_linearizable(schedule: list) -> None:
    run = run_store(seed=1, schedule=CHURN_SCHEDULE, faults=schedule)
    lin = linearizable_outcome(run)
    assert lin.ok, lin.detail
    settled = settles(run)
    assert settled.ok, settled.detail


def test_every_store_mutant_is_caught() -> None:
    report = assert_mutants_caught(lambda: None, store_mutants(), store_checks())
    caught = {m.name: m.caught_by for m in report.mutants}
    assert "linearizable, migrations" in caught["serves_before_data"]
    assert caught["forgets_on_crash"] == ("settles after faults",)


# -- transfers by two-phase commit -------------------------------------------------------------
def test_participant_votes_no_on_a_lock_or_too_little_money() -> None:
    shard = AccountShard({"alice": 5, "carol": 0})
    ctx = Context("s1", ["s1", "tm1", "tm2"])
    s = shard.on_message(ctx, shard.init(ctx), "tm1", PrepareTx("tm1:1", (("alice", -3),)))
    s = shard.on_message(ctx, s, "tm2", PrepareTx("tm2:1", (("alice", -1),)))  # locked
    s = shard.on_message(ctx, s, "tm2", PrepareTx("tm2:2", (("carol", -1),)))  # no money
    assert [m for _, m in ctx.sent] == [
        VoteTx("tm1:1", True),
        VoteTx("tm2:1", False),
        VoteTx("tm2:2", False),
    ]
    assert s.status("tm1:1") == "prepared" and s.status("tm2:1") == "aborted"
    s = shard.on_message(ctx, s, "tm1", DecisionTx("tm1:1", False))
    assert s.balances == (("alice", 5), ("carol", 0)) and s.locks == ()
    assert s == ParticipantState(s.balances, (), (), s.outcomes)


def test_transfers_are_atomic_and_conserve_money_under_crashes_and_loss() -> None:
    for seed in range(SWEEP):
        run = run_bank(
            seed=seed,
            transfers=6,
            coordinators=2,
            faults=[(12.0, Crash("tm1")), (80.0, Restart("tm1"))],
            loss=0.2,
        )
        assert atomicity(run).ok and conservation(run).ok, seed
        outcomes = run.outcomes()
        assert "undecided" not in outcomes.values()
        assert all(not s.prepared for s in run.shard_states().values())  # nothing left blocked
    committed = run_bank(seed=1, transfers=1)
    assert tx_spec_state(committed, "tm1:1").rm_state == ("committed", "committed")


def test_a_prepared_participant_blocks_until_it_learns_the_decision() -> None:
    run = decision_lost_run(heal=60.0)
    blocked = {(shard, tx): (start, end) for shard, tx, start, end in blocked_intervals(run)}
    start, end = blocked[("s2", "tm1:1")]
    assert end > 60.0 > 30.0 > start  # locked until the link heals, far beyond any timeout
    assert blocked[("s1", "tm1:1")][1] < 10.0
    assert atomicity(run).ok and conservation(run).ok


def test_a_crashed_coordinator_blocks_other_transactions_on_the_same_accounts() -> None:
    plan = {
        "tm1": [Transfer("alice", "bob", 1)],
        "tm2": [Transfer("bob", "alice", 1)] * 3,
    }
    crash_early = [(1.5, Crash("tm1")), (60.0, Restart("tm1"))]
    run = run_bank(seed=1, plan=plan, faults=crash_early)
    outcomes = run.outcomes()
    # tm1 crashed before deciding: its participants stay prepared (alice and bob locked) until
    # it restarts and aborts; meanwhile tm2's transfers, which need those accounts, abort.
    assert outcomes["tm1:1"] == "aborted"
    assert [outcomes[f"tm2:{i}"] for i in (1, 2, 3)] == ["aborted"] * 3
    unblocked = run_bank(seed=1, plan=plan)
    # without the crash, only the first (which ran at the same time as tm1's) conflicts
    assert [unblocked.outcomes()[f"tm2:{i}"] for i in (2, 3)] == ["committed"] * 2
    assert atomicity(run).ok and conservation(run).ok


def test_every_transfer_mutant_is_caught() -> None:
    report = assert_mutants_caught(lambda: None, bank_mutants(), bank_checks())
    assert {m.name for m in report.mutants} == {
        "commits_before_decision",
        "gives_up",
        "commits_on_first_yes",
    }


def test_transfer_arguments_are_validated() -> None:
    from dslib.sharding import TransferCoordinator

    with pytest.raises(ValueError, match="has no shard"):
        TransferCoordinator([Transfer("alice", "zoe", 1)], {"alice": "s1"})
    with pytest.raises(ValueError, match="not a participant mutant"):
        AccountShard({"a": 1}, mutant="commits_on_first_yes")
