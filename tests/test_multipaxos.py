"""Multi-Paxos (section 14.03): the recovery step, the store under faults, the mutants, Raft."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dslib.consensus.compare import PROTOCOLS, SCENARIOS, compare, concepts, measure, workload
from dslib.consensus.multipaxos import (
    CHECKS,
    MUTANTS,
    MUTANTS_TABLE,
    Decision,
    Heartbeat,
    Learn,
    MultiPaxosServer,
    MultiPaxosState,
    P1a,
    P1b,
    P2a,
    P2b,
    Preempted,
    catch_rate,
    current_leader,
    fault_run,
    first_divergence,
    leader_churn_run,
    log_agreement,
    multipaxos_system,
    run_multipaxos,
)
from dslib.consensus.paxos import Ballot
from dslib.core import NOTHING_PERSISTED, Context
from dslib.mutants import assert_mutants_caught, mutant_table
from dslib.raft.core import ClientReply, ClientRequest, Command, NoOp
from dslib.sim import Crash, Nemesis, Network, Restart, Simulation, uniform
from dslib.testing.strategies import fault_schedules

SERVERS = ("s1", "s2", "s3")


def ctx(node: str = "s1") -> Context:
    return Context(node, [*SERVERS, "c1"])


def leader_of(server: MultiPaxosServer, promises: list[P1b]) -> tuple[MultiPaxosState, Context]:
    """Make s1 a candidate and hand it ``promises``; return its state and context."""
    c = ctx()
    state = server.on_timer(c, server.init(c), "election")
    for src, p in zip(("s2", "s3"), promises, strict=False):
        state = server.on_message(c, state, src, p)
    return state, c


# -- the recovery step, by hand ------------------------------------------------------------
def test_new_leader_adopts_the_highest_ballot_vote_in_each_slot_and_fills_gaps() -> None:
    server = MultiPaxosServer(SERVERS)
    b = Ballot(1, "s1")
    votes = ((2, Ballot(0, "s2"), "old"), (4, Ballot(0, "s3"), "x"))
    newer = ((2, Ballot(0, "s3"), "new"),)
    state, c = leader_of(server, [P1b(b, votes)])
    assert state.role == "leader"
    assert [(s, cmd) for s, cmd, _ in state.proposals] == [
        (1, NoOp()),
        (2, "old"),
        (3, NoOp()),
        (4, "x"),
    ]
    assert state.next_slot == 5
    # With the third promise too (a quorum of 2 is already reached: it is ignored).
    state2, _ = leader_of(server, [P1b(b, newer), P1b(b, votes)])
    assert [(s, cmd) for s, cmd, _ in state2.proposals][1] == (2, "new")
    sent = [m for _, m in c.sent if isinstance(m, P2a)]
    assert {(m.slot, m.command) for m in sent} >= {(2, "old"), (4, "x")}


def test_the_mutant_skips_the_recovery_step() -> None:
    server = MultiPaxosServer(SERVERS, mutant="skip_noop_fill")
    b = Ballot(1, "s1")
    state, _ = leader_of(server, [P1b(b, ((2, Ballot(0, "s2"), "old"),))])
    assert state.role == "leader" and state.proposals == () and state.next_slot == 1


def test_acceptor_refuses_a_lower_ballot_and_persists_before_answering() -> None:
    server = MultiPaxosServer(SERVERS)
    c = ctx("s2")
    s = server.on_message(c, server.init(c), "s3", P1a(Ballot(2, "s3"), 1))
    assert c.persisted == MultiPaxosState(promised=Ballot(2, "s3"))
    s = server.on_message(c, s, "s1", P2a(Ballot(1, "s1"), 1, "x"))
    assert c.sent[-1] == ("s1", Preempted(Ballot(1, "s1"), Ballot(2, "s3")))
    s = server.on_message(c, s, "s3", P2a(Ballot(2, "s3"), 1, "y"))
    assert c.sent[-1] == ("s3", P2b(Ballot(2, "s3"), 1))
    assert c.persisted == MultiPaxosState(Ballot(2, "s3"), ((1, Ballot(2, "s3"), "y"),))
    assert c.persisted.role == "follower" and c.persisted.log == ()  # only what must last
    recovered = server.on_recover(c, c.persisted)
    assert (recovered.promised, recovered.votes) == (s.promised, s.votes)
    assert recovered.log == () and recovered.role == "follower"
    assert server.on_recover(c, NOTHING_PERSISTED) == MultiPaxosState()
    # The new promise reports the vote.
    server.on_message(c, recovered, "s1", P1a(Ballot(3, "s1"), 1))
    assert c.sent[-1] == ("s1", P1b(Ballot(3, "s1"), ((1, Ballot(2, "s3"), "y"),)))


def test_decisions_are_applied_in_slot_order_and_retries_once() -> None:
    server = MultiPaxosServer(SERVERS)
    c = ctx("s2")
    put = Command("c1", 1, ("append", "a", ("x",)))
    s = server.on_message(c, server.init(c), "s1", Decision(((2, put),)))
    assert s.log == () and s.known == 1  # slot 1 unknown: wait
    s = server.on_message(c, s, "s1", Decision(((1, NoOp()), (3, put))))  # chosen twice
    assert s.log == (NoOp(), put, put) and s.machine == (("a", ("x",)),)
    mutant = MultiPaxosServer(SERVERS, mutant="apply_out_of_order")
    m = mutant.on_message(c, mutant.init(c), "s1", Decision(((2, put),)))
    assert m.log == (put,)


def test_follower_redirects_clients_and_catches_up() -> None:
    server = MultiPaxosServer(SERVERS)
    c = ctx("s2")
    s = server.on_message(c, server.init(c), "s1", Heartbeat(Ballot(1, "s1"), 3))
    assert s.leader == "s1" and c.sent[-1] == ("s1", Learn(1))
    server.on_message(c, s, "c1", ClientRequest("c1", 1, ("get", "x", None)))
    assert c.sent[-1] == ("c1", ClientReply(1, False, None, "s1"))


def test_leader_answers_after_the_command_is_chosen_and_once() -> None:
    server = MultiPaxosServer(SERVERS)
    state, c = leader_of(server, [P1b(Ballot(1, "s1"), ())])
    req = ClientRequest("c1", 1, ("put", "x", 7))
    state = server.on_message(c, state, "c1", req)
    assert not any(dst == "c1" for dst, _ in c.sent)
    state = server.on_message(c, state, "c1", req)  # a retry while in flight: nothing new
    assert len(state.proposals) == 1
    state = server.on_message(c, state, "s2", P2b(Ballot(1, "s1"), 1))
    assert c.sent[-1] == ("c1", ClientReply(1, True, None, "s1"))
    assert state.machine == (("x", 7),)
    state = server.on_message(c, state, "c1", req)  # a late retry: answered, not applied
    assert c.sent[-1] == ("c1", ClientReply(1, True, None, "s1")) and len(state.log) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"servers": "s1"}, "distinct ids"),
        ({"servers": ["s1", "s1"]}, "distinct ids"),
        ({"servers": SERVERS, "election_timeout": (300, 150)}, "range"),
        ({"servers": SERVERS, "heartbeat": 0}, "heartbeat"),
        ({"servers": SERVERS, "mutant": "typo"}, "unknown mutant 'typo'"),
    ],
)
def test_bad_server_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        MultiPaxosServer(**kwargs)


def test_bad_system_and_run_arguments() -> None:
    with pytest.raises(ValueError, match="servers=0"):
        multipaxos_system(0)
    with pytest.raises(ValueError, match="2 workloads for 1 clients"):
        multipaxos_system(3, 1, workloads=[[], []])
    with pytest.raises(ValueError, match="check_every"):
        run_multipaxos(0, servers=3, clients=1, ops=1, check_every=0)
    with pytest.raises(ValueError, match="isolate_leader"):
        run_multipaxos(0, servers=3, clients=1, ops=1, isolate_leader=-1)
    with pytest.raises(ValueError, match="unknown mutant"):
        catch_rate("typo")
    with pytest.raises(ValueError, match="seeds is empty"):
        catch_rate(None, [])
    with pytest.raises(ValueError, match="protocol="):
        measure("zab", "fault-free", 0)
    with pytest.raises(ValueError, match="scenario="):
        measure("raft", "meteor", 0)
    with pytest.raises(ValueError, match="seeds is empty"):
        compare(seeds=[])
    with pytest.raises(ValueError, match="n=-1"):
        workload(0, -1, "c1")


# -- the properties ------------------------------------------------------------------------
def test_log_agreement_compares_across_time() -> None:
    ref: list[Any] = []
    assert log_agreement({"s1": MultiPaxosState(log=("x", "y"))}, ref)
    assert ref == ["x", "y"]
    # s1 crashed; s2 applied something else at position 2: caught against the reference.
    assert not log_agreement({"s2": MultiPaxosState(log=("x", "z"))}, ref)
    assert first_divergence({"a": MultiPaxosState(log=("x",))}) is None


def test_same_seed_same_run() -> None:
    a = fault_run(7, ops=10)
    b = fault_run(7, ops=10)
    assert a.sim.trace.fingerprint() == b.sim.trace.fingerprint()
    assert a.verdict == "ok" and a.faults > 0


def test_a_leader_is_elected_and_survives_its_crash() -> None:
    sim = Simulation(multipaxos_system(3, 0), seed=2).run(until=1000)
    first = current_leader(sim.states)
    assert first is not None
    sim.crash(first)
    sim.run(until=2000)
    second = current_leader(sim.states)
    assert second not in (None, first)


SEEDS = range(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_store_is_linearizable_under_faults(seed: int) -> None:
    run = fault_run(seed, ops=20)
    assert run.verdict == "ok", run
    assert run.ops["ok"] + run.ops["info"] == 60  # every operation ended
    assert run.ops["ok"] >= 50


HYPOTHESIS = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
IDS = ("c1", "c2", "s1", "s2", "s3")


@HYPOTHESIS
@given(
    fault_schedules(
        IDS,
        kinds=("crash", "partition", "loss", "duplication"),
        max_episodes=5,
        horizon=600,
        max_duration=300,
        crashable=IDS[2:],
    )
)
def test_any_fault_schedule(schedule: list[tuple[float, Any]]) -> None:
    run = run_multipaxos(
        1,
        servers=3,
        clients=2,
        ops=10,
        nemesis=Nemesis(schedule),
        network=Network(latency=uniform(0.5, 10.0), duplication=0.02),
        think=30.0,
        give_up=300.0,
        timeout=50.0,
        check_every=10.0,
    )
    assert run.verdict == "ok", (schedule, run)


def test_a_crash_and_restart_of_every_server_in_turn() -> None:
    schedule = []
    for i, s in enumerate(SERVERS):
        schedule += [(300.0 + 400 * i, Crash(s)), (500.0 + 400 * i, Restart(s))]
    run = run_multipaxos(3, servers=3, clients=2, ops=30, nemesis=Nemesis(schedule), think=20.0)
    assert run.verdict == "ok" and run.faults == 3
    assert run.ops["ok"] >= 55


# -- the mutants ---------------------------------------------------------------------------
def test_every_mutant_is_caught_by_both_checks_on_the_named_seed() -> None:
    assert set(MUTANTS) == {m.name for m in MUTANTS_TABLE}
    report = assert_mutants_caught(lambda: None, MUTANTS_TABLE, CHECKS)
    table = mutant_table(report)
    assert table["counterexample length"].tolist()[1:] == ["2", "2"]


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_catch_rate_over_seeds(mutant: str) -> None:
    rate = catch_rate(mutant, range(30))
    assert rate.rate >= 0.9, rate
    assert rate.shortest is not None and rate.shortest <= 2


def test_correct_version_is_never_caught_in_the_mutant_scenario() -> None:
    assert catch_rate(None, range(30)).caught == ()


def test_skip_noop_fill_diverges_where_a_command_was_chosen() -> None:
    run = leader_churn_run(mutant="skip_noop_fill")
    where = first_divergence(run.sim.states)
    assert where is not None
    _, commands = where
    assert len({repr(c) for c in commands.values()}) >= 2


# -- Paxos beside Raft ---------------------------------------------------------------------
def test_comparison_same_work_on_both() -> None:
    df = compare(seeds=range(3))
    assert list(df.index) == [(p, s) for p in PROTOCOLS for s in SCENARIOS]
    assert (df["commands"] == 270).all()  # the same 3 x 30 commands, all answered
    # Paxos sends a Decision to every server: more messages than Raft's piggybacked commit.
    paxos = df.loc[("multi-paxos", "fault-free"), "messages per command"]
    raft = df.loc[("raft", "fault-free"), "messages per command"]
    assert paxos > raft
    for p in PROTOCOLS:
        down = df.loc[(p, "leader crash"), "unavailable, median (ms)"]
        assert 150 <= down <= 1000  # at least an election timeout
        assert df.loc[(p, "fault-free"), "p50 latency (ms)"] < 20
        assert 0 <= df.loc[(p, "leader crash"), "runs with a 2nd election round"] <= 3
    m = measure("multi-paxos", "leader crash", 0)
    assert m["rounds"] >= 1 and measure("raft", "fault-free", 0)["rounds"] is None


def test_concepts_table() -> None:
    table = concepts()
    assert list(table.columns) == ["Multi-Paxos", "Raft", "note"]
    assert {"the no-op", "becoming leader", "holes in the log"} <= set(table.index)
