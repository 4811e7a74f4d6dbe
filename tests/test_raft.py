"""Tests for dslib.raft: the rules of Figure 2, simulations and model checking."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dslib.check import ActorModel, check
from dslib.core import NOTHING_PERSISTED, Context
from dslib.errors import ProtocolError
from dslib.raft import (
    MUTANTS,
    AppendEntries,
    AppendEntriesReply,
    Entry,
    NoOp,
    RaftConfig,
    RaftNode,
    RaftState,
    RequestVote,
    RequestVoteReply,
    election_safety,
    entry_at,
    leader_completeness,
    leaders,
    log_matching,
    log_up_to_date,
    raft_system,
    state_machine_safety,
    term_at,
)
from dslib.raft.checks import figure8_run
from dslib.sim import Simulation

IDS = ("s1", "s2", "s3")
INVARIANTS = [election_safety, log_matching, state_machine_safety, leader_completeness]


def ctx(node: str = "s1", ids: tuple[str, ...] = IDS) -> Context:
    return Context(node, ids)


def leader_state(
    term: int, log: tuple[Entry, ...], commit: int = 0, ids: tuple[str, ...] = IDS
) -> RaftState:
    peers = [i for i in ids if i != "s1"]
    return RaftState(
        current_term=term,
        voted_for="s1",
        log=log,
        commit_index=commit,
        last_applied=commit,
        role="leader",
        votes=frozenset({"s1"}),
        next_index=tuple((p, len(log) + 1) for p in peers),
        match_index=tuple((p, 0) for p in peers),
    )


# -- the log -------------------------------------------------------------------------------
def test_log_helpers_are_one_based() -> None:
    log = (Entry(1, "a"), Entry(2, "b"))
    assert term_at(log, 0) == 0
    assert term_at(log, 1) == 1
    assert entry_at(log, 2) == Entry(2, "b")
    with pytest.raises(IndexError, match="out of range"):
        entry_at(log, 3)
    with pytest.raises(IndexError):
        term_at(log, 0 - 1)


def test_up_to_date_compares_last_term_then_length() -> None:
    log = (Entry(1, "a"), Entry(3, "b"))
    assert log_up_to_date(3, 2, log)
    assert log_up_to_date(4, 1, log)
    assert not log_up_to_date(3, 1, log)
    assert not log_up_to_date(2, 9, log)
    assert log_up_to_date(0, 0, ())


def test_config_and_system_validation() -> None:
    with pytest.raises(ValueError, match="election_timeout"):
        RaftConfig(election_timeout=(0, 10))
    for bad in ((300, 150), (150, None), (True, 2), [150, 300], (150, 200, 300)):
        with pytest.raises(ValueError, match="must be a range"):
            RaftConfig(election_timeout=bad)  # type: ignore[arg-type]
    assert RaftConfig(election_timeout=(150, 150)).election_timeout == (150, 150)  # fixed
    with pytest.raises(ValueError, match="heartbeat_interval"):
        RaftConfig(heartbeat_interval=0)
    with pytest.raises(ValueError, match="unknown mutant"):
        RaftConfig(mutant="nope")
    with pytest.raises(TypeError, match="commands"):
        RaftConfig(commands=["x"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="max_term"):
        RaftConfig(max_term=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n=0"):
        raft_system(0)
    with pytest.raises(TypeError, match="RaftConfig"):
        RaftNode("fast")  # type: ignore[arg-type]
    assert {"vote_without_log_check", "commit_old_terms", "forget_vote", "keep_conflicts"} <= set(
        MUTANTS
    )


def test_unknown_message_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="only understands"):
        RaftNode().on_message(ctx(), RaftState(), "s2", "hello")


def test_state_is_hashable_and_stable() -> None:
    s = RaftState(votes=frozenset({"s3", "s1", "s2"}))
    assert hash(s) == hash(RaftState(votes=frozenset({"s2", "s1", "s3"})))
    assert "frozenset({'s1', 's2', 's3'})" in repr(s)


# -- election ------------------------------------------------------------------------------
def test_election_timeout_starts_an_election_and_persists() -> None:
    c = ctx()
    node = RaftNode(RaftConfig(election_timeout=(10, 20)))
    s = node.on_timer(c, node.init(c), "election")
    assert (s.role, s.current_term, s.voted_for) == ("candidate", 1, "s1")
    assert c.persisted == (1, "s1", (), None)
    assert ("election", (10, 20)) in c.timers_set
    assert [dst for dst, m in c.sent if isinstance(m, RequestVote)] == ["s2", "s3"]


def test_max_term_stops_elections() -> None:
    c = ctx()
    node = RaftNode(RaftConfig(max_term=1))
    s = node.on_timer(c, RaftState(current_term=1), "election")
    assert s == RaftState(current_term=1)
    assert c.sent == []


def test_single_server_elects_itself() -> None:
    c = ctx(ids=("s1",))
    s = RaftNode().on_timer(c, RaftState(), "election")
    assert s.role == "leader"


def test_vote_granted_once_per_term() -> None:
    node = RaftNode()
    c = ctx("s2")
    s = node.on_message(c, RaftState(), "s1", RequestVote(1, "s1", 0, 0))
    assert s.voted_for == "s1" and c.sent == [("s1", RequestVoteReply(1, True))]
    assert c.persisted == (1, "s1", (), None)
    c = ctx("s2")
    s = node.on_message(c, s, "s3", RequestVote(1, "s3", 0, 0))
    assert s.voted_for == "s1" and c.sent == [("s3", RequestVoteReply(1, False))]
    # The same candidate asking again (a retry) gets the vote again.
    c = ctx("s2")
    node.on_message(c, s, "s1", RequestVote(1, "s1", 0, 0))
    assert c.sent == [("s1", RequestVoteReply(1, True))]


def test_vote_refused_for_stale_term_and_stale_log() -> None:
    node = RaftNode()
    voter = RaftState(current_term=2, log=(Entry(2, "x"),))
    c = ctx("s2")
    node.on_message(c, voter, "s1", RequestVote(1, "s1", 5, 1))
    assert c.sent == [("s1", RequestVoteReply(2, False))]
    c = ctx("s2")
    s = node.on_message(c, voter, "s1", RequestVote(3, "s1", 0, 0))
    assert c.sent == [("s1", RequestVoteReply(3, False))]
    assert (s.current_term, s.voted_for) == (3, None)
    # The mutant grants it.
    c = ctx("s2")
    mutant = RaftNode(RaftConfig(mutant="vote_without_log_check"))
    s = mutant.on_message(c, voter, "s1", RequestVote(3, "s1", 0, 0))
    assert c.sent == [("s1", RequestVoteReply(3, True))]


def test_candidate_becomes_leader_on_majority_and_sends_heartbeats() -> None:
    node = RaftNode(RaftConfig(heartbeat_interval=7, noop=False))
    c = ctx()
    s = node.on_timer(c, RaftState(log=(Entry(0, "x"),)), "election")
    c = ctx()
    s = node.on_message(c, s, "s2", RequestVoteReply(1, False))
    assert s.role == "candidate"
    s = node.on_message(c, s, "s2", RequestVoteReply(1, True))
    assert s.role == "leader"
    assert s.next_index == (("s2", 2), ("s3", 2)) and s.match_index == (("s2", 0), ("s3", 0))
    assert ("heartbeat", 7) in c.timers_set and "election" in c.timers_cancelled
    sent = [m for _, m in c.sent]
    assert sent == [AppendEntries(1, "s1", 1, 0, (), 0)] * 2


def test_leader_steps_down_on_higher_term() -> None:
    node = RaftNode()
    c = ctx()
    s = node.on_message(c, leader_state(2, ()), "s2", AppendEntriesReply(5, False))
    assert (s.role, s.current_term, s.voted_for, s.next_index) == ("follower", 5, None, ())
    assert "heartbeat" in c.timers_cancelled
    assert any(t == "election" for t, _ in c.timers_set)


def test_candidate_steps_down_on_append_of_same_term() -> None:
    node = RaftNode()
    c = ctx("s2")
    cand = RaftState(current_term=2, voted_for="s2", role="candidate", votes=frozenset({"s2"}))
    s = node.on_message(c, cand, "s1", AppendEntries(2, "s1", 0, 0, (), 0))
    assert (s.role, s.current_term, s.voted_for) == ("follower", 2, "s2")


# -- replication ---------------------------------------------------------------------------
def test_append_consistency_check_reports_conflicts() -> None:
    node = RaftNode()
    follower = RaftState(current_term=3, log=(Entry(1, "a"), Entry(2, "b"), Entry(2, "c")))
    c = ctx("s2")
    node.on_message(c, follower, "s1", AppendEntries(3, "s1", 5, 3, (), 0))
    assert c.sent == [("s1", AppendEntriesReply(3, False, 0, 0, 4))]
    c = ctx("s2")
    node.on_message(c, follower, "s1", AppendEntries(3, "s1", 3, 3, (), 0))
    assert c.sent == [("s1", AppendEntriesReply(3, False, 0, 2, 2))]
    c = ctx("s2")
    node.on_message(c, follower, "s1", AppendEntries(2, "s1", 0, 0, (), 0))
    assert c.sent == [("s1", AppendEntriesReply(3, False))]


def test_append_truncates_only_conflicting_entries() -> None:
    node = RaftNode()
    follower = RaftState(current_term=3, log=(Entry(1, "a"), Entry(2, "b"), Entry(2, "c")))
    c = ctx("s2")
    s = node.on_message(c, follower, "s1", AppendEntries(3, "s1", 1, 1, (Entry(3, "z"),), 2))
    assert s.log == (Entry(1, "a"), Entry(3, "z"))
    assert s.commit_index == 2 and s.last_applied == 2 and s.applied == ("a", "z")
    assert c.sent == [("s1", AppendEntriesReply(3, True, 2))]
    assert c.persisted == (3, None, s.log, None)
    # A stale (reordered) AppendEntries with a prefix of what is there cuts nothing.
    c = ctx("s2")
    s2 = node.on_message(c, follower, "s1", AppendEntries(3, "s1", 0, 0, (Entry(1, "a"),), 0))
    assert s2.log == follower.log
    assert c.sent == [("s1", AppendEntriesReply(3, True, 1))]
    # leader_commit beyond the new entries commits only up to the last new one.
    s3 = node.on_message(ctx("s2"), follower, "s1", AppendEntries(3, "s1", 0, 0, (), 3))
    assert s3.commit_index == 0


def test_leader_commits_on_majority_only_current_term() -> None:
    node = RaftNode()
    log = (Entry(1, "a"), Entry(2, "b"))
    s = node.on_message(ctx(), leader_state(2, log), "s2", AppendEntriesReply(2, True, 1))
    assert s.match_index == (("s2", 1), ("s3", 0)) and s.next_index[0] == ("s2", 3)
    assert s.commit_index == 0  # entry 1 is from term 1: not committed by counting (Figure 8)
    s = node.on_message(ctx(), s, "s3", AppendEntriesReply(2, True, 2))
    assert s.commit_index == 2 and s.last_applied == 2
    mutant = RaftNode(RaftConfig(mutant="commit_old_terms"))
    m = mutant.on_message(ctx(), leader_state(2, log), "s2", AppendEntriesReply(2, True, 1))
    assert m.commit_index == 1


@pytest.mark.parametrize(
    ("fast", "reply", "expected"),
    [
        (False, AppendEntriesReply(3, False, 0, 2, 2), 3),
        (True, AppendEntriesReply(3, False, 0, 2, 2), 3),  # leader has term 2 up to index 2
        (True, AppendEntriesReply(3, False, 0, 5, 2), 2),  # leader has no term 5
        (True, AppendEntriesReply(3, False, 0, 0, 2), 2),  # follower's log is short
    ],
)
def test_next_index_back_off(fast: bool, reply: AppendEntriesReply, expected: int) -> None:
    node = RaftNode(RaftConfig(fast_backoff=fast))
    log = (Entry(1, "a"), Entry(2, "b"), Entry(3, "c"))
    c = ctx()
    s = node.on_message(c, leader_state(3, log), "s2", reply)
    assert dict(s.next_index)["s2"] == expected
    [(dst, msg)] = c.sent
    assert isinstance(msg, AppendEntries)
    assert dst == "s2" and msg.prev_log_index == expected - 1
    assert msg.entries == log[expected - 1 :]


def test_propose_appends_next_command_and_replicates() -> None:
    node = RaftNode(RaftConfig(commands=("x", "y")))
    c = ctx()
    s = node.on_timer(c, leader_state(1, (Entry(1, "x"),)), "propose")
    assert s.log == (Entry(1, "x"), Entry(1, "y"))
    assert c.persisted == (1, "s1", s.log, None)
    assert [m.entries for _, m in c.sent if isinstance(m, AppendEntries)] == [(Entry(1, "y"),)] * 2
    follower = RaftState()
    assert node.on_timer(ctx(), follower, "propose") == follower


def test_recover_restores_persistent_state_only() -> None:
    node = RaftNode()
    log = (Entry(1, "a"),)
    s = node.on_recover(ctx(), (2, "s3", log, None))
    assert s == RaftState(current_term=2, voted_for="s3", log=log)
    assert node.on_recover(ctx(), NOTHING_PERSISTED) == RaftState()


# -- properties ----------------------------------------------------------------------------
def test_invariants_reject_bad_states() -> None:
    a = RaftState(current_term=1, log=(Entry(1, "x"), Entry(1, "y")), commit_index=2)
    b = RaftState(current_term=1, log=(Entry(1, "z"), Entry(1, "y")), commit_index=1)
    assert not log_matching({"s1": a, "s2": b})
    assert not state_machine_safety({"s1": a, "s2": b})
    assert log_matching({"s1": a, "s2": replace(a, log=a.log[:1])})
    lead = replace(b, role="leader", current_term=2)
    assert not leader_completeness({"s1": a, "s2": lead})
    assert leader_completeness({"s1": a, "s2": replace(a, role="leader")})
    assert leaders({"s2": lead, "s1": a}) == {2: ("s2",)}
    with pytest.raises(TypeError, match="mapping"):
        leaders(3)


# -- simulation ----------------------------------------------------------------------------
def test_one_leader_emerges_and_commands_commit() -> None:
    cfg = RaftConfig(commands=("a", "b", "c"))
    sim = Simulation(raft_system(5, cfg), seed=3).run(until=2000)
    states = sim.states
    [(term, (leader,))] = leaders(states).items()
    assert all(s.current_term == term for s in states.values())
    assert all(s.applied == states[leader].applied for s in states.values())
    assert sorted(map(str, commands(states[leader].applied))) == ["a", "b", "c"]
    assert states[leader].log[0] == Entry(term, NoOp())  # the first leader's no-op
    assert all(check_all(states))


def commands(applied: tuple[object, ...]) -> list[object]:
    return [c for c in applied if not isinstance(c, NoOp)]


def check_all(states: dict[str, RaftState]) -> list[bool]:
    return [inv(states) for inv in INVARIANTS]


def test_same_seed_same_run() -> None:
    runs = [str(Simulation(raft_system(3), seed=7).run(until=600).trace) for _ in range(2)]
    assert runs[0] == runs[1]


def test_majority_side_of_a_partition_elects() -> None:
    sim = Simulation(raft_system(5), seed=0)
    sim.partition(("s1", "s2"), ("s3", "s4", "s5"))
    sim.run(until=2000)
    [(_, (leader,))] = leaders(sim.states).items()
    assert leader in ("s3", "s4", "s5")
    assert sim.states["s1"].role != "leader" and sim.states["s2"].role != "leader"
    assert sim.states["s1"].current_term > sim.states[leader].current_term  # it kept trying


def test_leader_crash_new_leader_keeps_committed_entries() -> None:
    cfg = RaftConfig(commands=("a", "b"))
    sim = Simulation(raft_system(3, cfg), seed=1).run(until=1000)
    [(_, (old,))] = leaders(sim.states).items()
    committed = commands(sim.states[old].applied)
    assert committed == ["a", "b"]
    sim.crash(old)
    sim.run(until=2000)
    [(_, (new,))] = leaders(sim.states).items()
    assert new != old
    sim.restart(old)
    sim.run(until=3000)
    states = sim.states
    assert all(commands(s.applied) == committed for s in states.values())
    assert states[old].role == "follower"
    assert all(check_all(states))


# -- model checking ------------------------------------------------------------------------
def model(cfg: RaftConfig) -> ActorModel:
    return ActorModel(raft_system(3, cfg), duplicating=True, symmetric=list(IDS))


def test_election_safety_model_checked() -> None:
    result = check(model(RaftConfig(max_term=2)), invariants=INVARIANTS, max_states=4000)
    assert result.ok, result.summary()
    assert result.distinct_states == 4000  # the bound was reached: many states were explored


def test_replication_model_checked_reaches_commit() -> None:
    result = check(
        model(RaftConfig(max_term=2, commands=("x",))),
        invariants=INVARIANTS,
        goals={"committed": lambda st: any(s.commit_index for s in st.nodes.values())},
        max_states=3000,
    )
    assert result.ok, result.summary()
    assert "committed" in result.witnesses


def test_model_checker_catches_vote_without_log_check() -> None:
    cfg = RaftConfig(max_term=2, commands=("x",), mutant="vote_without_log_check")
    result = check(model(cfg), invariants=INVARIANTS, max_states=30000)
    assert not result.ok
    assert result.property == "leader_completeness"
    assert result.counterexample is not None and len(result.counterexample.actions) == 8


# -- Figure 8, scripted --------------------------------------------------------------------
def test_leader_completeness_allows_a_stale_leader() -> None:
    stale = RaftState(
        current_term=4, role="leader", log=(Entry(1, "a"), Entry(2, "b")), commit_index=1
    )
    new = RaftState(
        current_term=5,
        role="leader",
        log=(Entry(1, "a"), Entry(3, "c"), Entry(5, "b")),
        commit_index=3,
    )
    assert leader_completeness({"s1": stale, "s5": new})
    assert leader_completeness(figure8_run(RaftConfig()).states)
    # A follower of the stale leader's own term that knows 3:c committed: a violation.
    knows = replace(new, current_term=4, role="follower")
    assert not leader_completeness({"s1": stale, "s5": knows})


@pytest.mark.parametrize("mutant", [None, "commit_old_terms"])
def test_figure8(mutant: str | None) -> None:
    h = figure8_run(RaftConfig(mutant=mutant))
    s1, s5 = h.states["s1"], h.states["s5"]
    assert s1.log[1] == Entry(2, "b") and s5.log[1] == Entry(3, "c")
    assert s5.commit_index == 3
    if mutant is None:
        assert s1.commit_index == 1  # S1 never committed the term-2 entry by counting
        assert state_machine_safety(h.states)
    else:
        assert s1.commit_index == 2  # it did, and S5 then overwrote it
        assert not state_machine_safety(h.states)


# -- the rules of Figure 2 as invariants and step properties -------------------------------
def test_rule_invariants_fail_on_the_states_they_forbid() -> None:
    from dslib.raft import applied_within_commit, match_index_sound

    log = (Entry(1, "x"), Entry(1, "y"))
    assert applied_within_commit({"s1": RaftState(log=log, commit_index=2, last_applied=1)})
    assert not applied_within_commit({"s1": RaftState(log=log, commit_index=1, last_applied=2)})
    leader = RaftState(current_term=2, role="leader", log=log, match_index=(("s2", 2),))
    same = RaftState(current_term=2, log=log)
    assert match_index_sound({"s1": leader, "s2": same})
    assert not match_index_sound({"s1": leader, "s2": replace(same, log=log[:1])})
    assert not match_index_sound({"s1": leader, "s2": replace(same, log=(log[0], Entry(2, "z")))})
    # A follower in another term may have changed since: nothing is claimed about it.
    assert match_index_sound({"s1": leader, "s2": RaftState(current_term=3)})


def test_step_monitor_sees_each_property_fail() -> None:
    from dslib.raft import STEP_PROPERTIES, StepMonitor

    x, y = Entry(1, "x"), Entry(1, "y")
    cases = {
        "committed_entries_stable": [
            ("s1", RaftState(current_term=1, log=(x,), commit_index=1), False),
            ("s2", RaftState(current_term=1, log=(y,), commit_index=1), False),
        ],
        "commit_index_monotonic": [
            ("s1", RaftState(log=(x,), commit_index=1), False),
            ("s1", RaftState(log=(x,), commit_index=0), False),
        ],
        "term_monotonic": [
            ("s1", RaftState(current_term=2), False),
            ("s1", RaftState(current_term=1), True),
        ],
        "one_vote_per_term": [
            ("s1", RaftState(current_term=1, voted_for="s2"), False),
            ("s1", RaftState(current_term=1, voted_for="s3"), True),
        ],
        "one_leader_per_term": [
            ("s1", RaftState(current_term=1, role="leader"), False),
            ("s2", RaftState(current_term=1, role="leader"), False),
        ],
        "leader_append_only": [
            ("s1", RaftState(current_term=1, role="leader", log=(x,)), False),
            ("s1", RaftState(current_term=1, role="leader", log=(y,)), False),
        ],
    }
    assert sorted(cases) == sorted(STEP_PROPERTIES)
    for name, steps in cases.items():
        m = StepMonitor()
        for t, (node, state, restarted) in enumerate(steps):
            m.observe(node, state, float(t), restarted=restarted)
        assert m.violations == {name: 1.0}, name
    # A restart resets volatile state: the commit index may start again from 0.
    m = StepMonitor()
    m.observe("s1", RaftState(log=(x,), commit_index=1))
    m.observe("s1", RaftState(log=(x,)), restarted=True)
    assert m.violations == {}
    with pytest.raises(TypeError, match="RaftState"):
        m.observe("s1", "nope")  # type: ignore[arg-type]


def test_step_monitor_allows_a_server_to_drop_an_entry_it_never_committed() -> None:
    from dslib.raft import StepMonitor

    # s1 committed x at 1; s2 held x without knowing it was committed, then a stale leader
    # made it drop x. Raft allows this; s2 never committed x, so it has lost nothing.
    x, z = Entry(1, "x"), Entry(2, "z")
    m = StepMonitor()
    m.observe("s1", RaftState(current_term=1, log=(x,), commit_index=1))
    m.observe("s2", RaftState(current_term=1, log=(x,)))
    m.observe("s2", RaftState(current_term=2, log=(z,)))
    assert m.violations == {}


@pytest.mark.parametrize("seed", range(3))
def test_runs_of_correct_raft_keep_every_step_property(seed: int) -> None:
    from dslib.raft import StepMonitor

    sim = Simulation(raft_system(3, RaftConfig(commands=("a", "b"))), seed=seed)
    sim.run(until=400)
    sim.crash("s1")
    sim.run(until=900)
    sim.restart("s1")
    sim.run(until=2000)
    assert StepMonitor().check_trace(sim.trace) == {}
