"""Tests for Raft's client side: sessions, no-ops, read-index reads, snapshots, the KV store."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from dslib.core import Context, System
from dslib.raft import (
    AppendEntries,
    AppendEntriesReply,
    ClientReply,
    ClientRequest,
    Command,
    Entry,
    InstallSnapshot,
    InstallSnapshotReply,
    NoOp,
    RaftConfig,
    RaftNode,
    RaftState,
    Snapshot,
    leaders,
    log_matching,
    state_machine_safety,
)
from dslib.raft.kv import KVMachine, RaftClient, kv_system, kv_workload, run_kv
from dslib.sim import Network, RandomNemesis, Simulation, uniform

SERVERS = ("s1", "s2", "s3")
IDS = (*SERVERS, "c1")
KV = RaftConfig(servers=SERVERS, machine=KVMachine())


def ctx(node: str = "s1") -> Context:
    return Context(node, IDS)


def leader(log: tuple[Entry, ...] = (), commit: int = 0, term: int = 1, **kw: Any) -> RaftState:
    """s1 leading ``term``, its log committed up to ``commit`` and applied."""
    node = RaftNode(KV)
    machine, sessions = KVMachine().initial(), ()
    state = RaftState(current_term=term, log=log, machine=machine, sessions=sessions)
    state = node._apply(ctx(), replace(state, commit_index=commit))  # followers' view
    return replace(
        state,
        voted_for="s1",
        role="leader",
        leader="s1",
        next_index=(("s2", len(log) + 1), ("s3", len(log) + 1)),
        match_index=(("s2", 0), ("s3", 0)),
        **kw,
    )


def put(seq: int, key: str = "x", value: object = 1, client: str = "c1") -> Command:
    return Command(client, seq, ("put", key, value))


# -- the state machine ---------------------------------------------------------------------
def test_kv_machine_operations() -> None:
    m = KVMachine()
    s, r = m.apply(m.initial(), ("put", "x", 1))
    assert r is None and m.read(s, ("get", "x", None)) == 1
    s, r = m.apply(s, ("cas", "x", (2, 3)))
    assert r is False and m.read(s, ("get", "x", None)) == 1
    s, r = m.apply(s, ("cas", "x", (1, 3)))
    assert r is True and m.read(s, ("get", "x", None)) == 3
    s, _ = m.apply(s, ("append", "a", ("p",)))
    s, _ = m.apply(s, ("append", "a", ("q",)))
    assert m.read(s, ("get", "a", None)) == ("p", "q")
    assert m.read(s, ("get", "nope", None)) is None
    assert s == (("a", ("p", "q")), ("x", 3))  # sorted by key: hashable and stable
    assert m.read_only(("get", "x", None)) and not m.read_only(("put", "x", 1))
    for bad in [("incr", "x", 1), ("cas", "x", 1), ("append", "a", 5), "get x"]:
        with pytest.raises(ValueError, match="not an operation"):
            m.apply(s, bad)


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="servers"):
        RaftConfig(servers=("s1", "s1"))
    with pytest.raises(TypeError, match="StateMachine"):
        RaftConfig(machine="kv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="snapshot_every"):
        RaftConfig(snapshot_every=0)
    with pytest.raises(ValueError, match="not an operation"):
        RaftClient(["s1"], [("incr", "x", 1)])
    with pytest.raises(ValueError, match="timeout"):
        RaftClient(["s1"], [], timeout=0)
    from dslib.errors import HandlerError

    with pytest.raises(HandlerError, match="servers \\['s9'\\] are not nodes of the system"):
        Simulation(System({"c1": RaftClient(["s9"], [])}))
    from dslib.errors import ProtocolError

    with pytest.raises(ProtocolError, match="not one of the servers"):
        RaftNode(KV).init(ctx("c1"))


# -- leaders and clients -------------------------------------------------------------------
def test_new_leader_appends_a_noop_of_its_term() -> None:
    node = RaftNode(KV)
    c = ctx()
    s = node.on_timer(c, RaftState(current_term=1, log=(Entry(1, put(1)),)), "election")
    s = node.on_message(c, s, "s2", _granted(s.current_term))
    assert s.role == "leader" and s.log[-1] == Entry(2, NoOp())
    # The heartbeats to both followers carry the no-op; nothing goes to the client.
    sent = [(dst, m.entries) for dst, m in c.sent if isinstance(m, AppendEntries)]
    assert sent == [("s2", (Entry(2, NoOp()),)), ("s3", (Entry(2, NoOp()),))]


def _granted(term: int) -> object:
    from dslib.raft import RequestVoteReply

    return RequestVoteReply(term, True)


def test_follower_redirects_clients_to_the_leader_it_knows() -> None:
    node = RaftNode(KV)
    c = ctx("s2")
    follower = RaftState(current_term=1, leader="s1")
    assert node.on_message(c, follower, "c1", ClientRequest("c1", 1, ("get", "x", None))) == (
        follower
    )
    assert c.sent == [("c1", ClientReply(1, False, None, "s1"))]


def test_write_is_committed_then_answered_once() -> None:
    node = RaftNode(KV)
    c = ctx()
    s = node.on_message(c, leader(), "c1", ClientRequest("c1", 1, ("put", "x", 7)))
    assert s.log == (Entry(1, put(1, value=7)),) and s.commit_index == 0
    # A retry before the commit does not append the command again.
    c = ctx()
    assert node.on_message(c, s, "c1", ClientRequest("c1", 1, ("put", "x", 7))).log == s.log
    assert c.sent == []
    c = ctx()
    s = node.on_message(c, s, "s2", AppendEntriesReply(1, True, 1))
    assert s.commit_index == 1 and s.machine == (("x", 7),)
    assert c.sent == [("c1", ClientReply(1, True, None, "s1"))]
    # A retry after it was applied is answered from the session, not applied again.
    c = ctx()
    s2 = node.on_message(c, s, "c1", ClientRequest("c1", 1, ("put", "x", 7)))
    assert s2 == s and c.sent == [("c1", ClientReply(1, True, None, "s1"))]
    # An older retry is ignored: the client has moved past it.
    c = ctx()
    s3 = node.on_message(
        c, replace(s, sessions=(("c1", 2, None),)), "c1", ClientRequest("c1", 1, ("put", "x", 7))
    )
    assert c.sent == [] and s3.log == s.log


def test_duplicate_entries_apply_once_but_twice_without_sessions() -> None:
    append = Command("c1", 1, ("append", "a", ("p",)))
    log = (Entry(1, append), Entry(2, append))  # the same command, appended by two leaders
    for mutant, expected in [(None, ("p",)), ("no_sessions", ("p", "p"))]:
        node = RaftNode(replace(KV, mutant=mutant))
        s = node._apply(ctx("s2"), RaftState(current_term=2, log=log, commit_index=2, machine=()))
        assert KVMachine().read(s.machine, ("get", "a", None)) == expected
        assert s.sessions == (("c1", 1, None),)


def test_reads_wait_for_a_majority_to_confirm_the_leader() -> None:
    node = RaftNode(KV)
    s = leader((Entry(1, NoOp()), Entry(1, put(1, value=5))), commit=2)
    c = ctx()
    s = node.on_message(c, s, "c1", ClientRequest("c1", 2, ("get", "x", None)))
    assert s.round == 1 and s.reads == (("c1", 2, ("get", "x", None), 1, 2),)
    assert {getattr(m, "round", None) for _, m in c.sent} == {1} and not any(
        isinstance(m, ClientReply) for _, m in c.sent
    )
    c = ctx()
    stale = node.on_message(c, s, "s2", AppendEntriesReply(1, True, 2, round=0))  # old round
    assert stale.reads == s.reads and c.sent == []
    c = ctx()
    s = node.on_message(c, s, "s2", AppendEntriesReply(1, True, 2, round=1))
    assert s.reads == () and c.sent == [("c1", ClientReply(2, True, 5, "s1"))]


def test_read_waits_for_an_entry_of_the_leaders_term() -> None:
    node = RaftNode(KV)
    s = leader((Entry(1, put(1, value=5)), Entry(2, NoOp())), commit=1, term=2)
    c = ctx()
    s = node.on_message(c, s, "c1", ClientRequest("c1", 2, ("get", "x", None)))
    s = node.on_message(c, s, "s2", AppendEntriesReply(2, False, round=1, conflict_index=1))
    assert s.reads[0][4] == -1 and not any(isinstance(m, ClientReply) for _, m in c.sent)
    c = ctx()
    s = node.on_message(c, s, "s2", AppendEntriesReply(2, True, 2, round=1))
    assert s.commit_index == 2 and c.sent[-1] == ("c1", ClientReply(2, True, 5, "s1"))


def test_stale_reads_mutant_answers_at_once() -> None:
    node = RaftNode(replace(KV, mutant="stale_reads"))
    c = ctx()
    s = leader((Entry(1, put(1, value=5)),), commit=1)
    node.on_message(c, s, "c1", ClientRequest("c1", 2, ("get", "x", None)))
    assert c.sent == [("c1", ClientReply(2, True, 5, "s1"))]


def test_client_follows_redirects_and_retries_with_the_same_seq() -> None:
    client = RaftClient(SERVERS, [("put", "x", 1)], timeout=30, retry_delay=5, give_up=100)
    c = Context("c1", IDS)
    st = client.init(c)
    c = Context("c1", IDS)
    st = client.on_timer(c, st, "next")
    assert c.sent == [("s1", ClientRequest("c1", 1, ("put", "x", 1)))]
    c = Context("c1", IDS)
    st = client.on_message(c, st, "s1", ClientReply(1, False, None, "s3"))
    assert st.leader == "s3" and ("retry", 5) in c.timers_set
    c = Context("c1", IDS)
    st = client.on_timer(c, st, "retry")
    assert c.sent == [("s3", ClientRequest("c1", 1, ("put", "x", 1)))]
    c = Context("c1", IDS)
    st = client.on_timer(c, st, "timeout")  # s3 is silent: try the next server
    assert st.leader is None and c.sent[0][1] == ClientRequest("c1", 1, ("put", "x", 1))
    c = Context("c1", IDS)
    st = client.on_message(c, st, "s2", ClientReply(1, True, None, "s2"))
    assert c.records == [("ok", "put", None, "x")] and st.leader == "s2" and not st.waiting


def test_client_gives_up_as_info() -> None:
    system = kv_system(3, 1, ops=2, give_up=100.0, timeout=30.0)
    sim = Simulation(system, seed=0)
    for s in SERVERS:
        sim.crash(s)
    sim.run(until=500)
    ops = sim.history.operations()
    assert [op.status for op in ops] == ["info", "info"]


# -- snapshots -----------------------------------------------------------------------------
def test_snapshot_replaces_the_applied_prefix() -> None:
    node = RaftNode(replace(KV, snapshot_every=2))
    log = tuple(Entry(1, put(i, value=i)) for i in range(1, 4))
    s = node._apply(ctx("s2"), RaftState(current_term=1, log=log, commit_index=3, machine=()))
    assert s.snapshot == Snapshot(3, 1, (("x", 3),), (("c1", 3, None),))
    assert s.log == () and s.last_index == 3 and s.last_term == 1 and s.applied == ()
    assert s.durable == (1, None, (), s.snapshot)
    with pytest.raises(IndexError, match="in its snapshot"):
        s.entry(2)
    back = node.on_recover(ctx("s2"), s.durable)
    assert (back.commit_index, back.last_applied, back.machine) == (3, 3, (("x", 3),))


def test_install_snapshot_keeps_a_matching_suffix_and_replaces_the_rest() -> None:
    node = RaftNode(KV)
    snap = Snapshot(2, 1, (("x", 2),), (("c1", 2, None),))
    follower = RaftState(current_term=1, log=(Entry(1, put(1)), Entry(1, put(2)), Entry(1, put(3))))
    c = ctx("s2")
    s = node.on_message(c, follower, "s1", InstallSnapshot(1, "s1", snap))
    assert s.log == (Entry(1, put(3)),) and s.snapshot == snap and s.machine == (("x", 2),)
    assert s.commit_index == 2 and c.sent == [("s1", InstallSnapshotReply(1, 2))]
    other = RaftState(current_term=1, log=(Entry(1, put(1)),))
    s = node.on_message(ctx("s2"), other, "s1", InstallSnapshot(1, "s1", snap))
    assert s.log == () and s.last_index == 2
    # A leader whose follower needs compacted entries sends its snapshot.
    lead = replace(leader(), snapshot=snap, next_index=(("s2", 1), ("s3", 3)))
    c = ctx()
    node.on_timer(c, lead, "heartbeat")
    assert c.sent[0] == ("s2", InstallSnapshot(1, "s1", snap))
    assert isinstance(c.sent[1][1], AppendEntries) and c.sent[1][1].prev_log_index == 2


def test_lagging_follower_catches_up_through_a_snapshot() -> None:
    cfg = RaftConfig(snapshot_every=5)
    system = kv_system(3, 1, ops=30, seed=1, config=cfg)
    sim = Simulation(system, seed=1, network=Network(latency=uniform(1, 5)))
    sim.run(until=400)
    [(_, (lead,))] = leaders({k: v for k, v in sim.states.items() if k in SERVERS}).items()
    lagging = next(s for s in SERVERS if s != lead)
    sim.crash(lagging)
    sim.run(until=2000)
    sim.restart(lagging)
    sim.run(until=3000)
    states = {k: v for k, v in sim.states.items() if k in SERVERS}
    snapshots = sim.trace.of_kind("deliver")
    assert any(isinstance(e.data, InstallSnapshot) and e.node == lagging for e in snapshots)
    assert states[lagging].machine == states[lead].machine
    assert states[lagging].snapshot_index > 0
    assert log_matching(states) and state_machine_safety(states)


# -- the store under faults ----------------------------------------------------------------
NEMESIS = RandomNemesis(
    until=1500,
    kinds=("crash", "partition", "loss"),
    mean_interval=150,
    duration=200,
    nodes=[f"s{i}" for i in range(1, 6)],
)


@pytest.mark.parametrize("seed", range(4))
def test_store_is_linearizable_and_loses_nothing_under_faults(seed: int) -> None:
    run = run_kv(
        seed,
        ops=30,
        nemesis=NEMESIS,
        config=RaftConfig(snapshot_every=10),
        network=Network(latency=uniform(1, 5), duplication=0.05),
        isolate_leader=700,
        think=20,
        give_up=200,
        timeout=40,
    )
    assert run.verdict == "ok", run
    assert run.faults >= 4 and run.ops["ok"] >= 60
    assert run.lost == () and run.doubled == () and run.violations == ()
    appended = sorted(
        x
        for op in run.history.operations()
        if op.f == "append" and op.status == "ok"
        for x in op.value
    )
    final = sorted(x for k in ("a", "b") for x in (run.final.get(k) or ()))
    assert set(appended) <= set(final)


def test_same_seed_same_history() -> None:
    runs = [str(run_kv(3, servers=3, clients=2, ops=10).history.operations()) for _ in range(2)]
    assert runs[0] == runs[1]


def test_workload_is_seeded_and_validated() -> None:
    assert kv_workload(1, 20) == kv_workload(1, 20) != kv_workload(2, 20)
    appends = [op for op in kv_workload(1, 60, "c2") if op[0] == "append"]
    assert len({op[2] for op in appends}) == len(appends)  # unique elements
    with pytest.raises(ValueError, match="n="):
        kv_workload(1, -1)


def test_a_refused_append_is_not_resent_at_once_unless_next_index_moved() -> None:
    # The vote mutant lets two logs disagree inside their snapshots; the follower refuses
    # the leader's AppendEntries forever. Resending at every refusal (with duplication)
    # once made the number of messages grow without bound; the heartbeat retries instead.
    from dslib.raft.checks import NEMESIS_OPTIONS

    cfg = RaftConfig(mutant="vote_without_log_check", snapshot_every=10)
    run = run_kv(7, ops=40, config=cfg, shrink=False, **NEMESIS_OPTIONS)
    assert run.verdict.startswith("broke")
    assert run.sim.events < 20_000  # a correct run of this size takes about 3,000
