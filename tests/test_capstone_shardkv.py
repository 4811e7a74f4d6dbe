"""The capstone store (dslib.capstone.shardkv): its state machines, its runs, its checks."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.capstone.shardkv import (
    BANK_ACCOUNTS,
    CONTROLLER,
    OPENING_BALANCE,
    Admin,
    ControllerMachine,
    GroupMachine,
    ShardKVClient,
    WrongGroup,
    admin_schedule,
    bank_total,
    capstone_nemesis,
    group_servers,
    install_config,
    lost_and_doubled,
    run_shardkv,
    transaction_step,
    two_homes,
)
from dslib.core import Context
from dslib.sharding.controller import Config, ConfigReply, rebalance, shard_of
from dslib.sharding.store import ServerState, Shard, ShardServer
from dslib.sim.history import History
from dslib.sim.nemesis import ClockSkew, Crash, Heal, Nemesis, Partition, Pause, Restart

GROUPS = {g: group_servers(g) for g in ("g1", "g2", "g3")}


# -- the controller's state machine -----------------------------------------------------------
def test_controller_numbers_every_change_and_refuses_what_it_cannot_do() -> None:
    m = ControllerMachine(4)
    s, n = m.apply(m.initial(), ("join", "g1"))
    assert n == 1 and s[-1].shards == ("g1",) * 4
    s, n = m.apply(s, ("join", "g2"))
    assert n == 2 and s[-1].shards == rebalance(("g1",) * 4, ["g1", "g2"])
    s, n = m.apply(s, ("move", 0, "g2"))
    assert n == 3 and s[-1].shards[0] == "g2"
    s2, n = m.apply(s, ("join", "g2"))  # a member joins again: nothing changes
    assert s2 == s and n == 3
    s, n = m.apply(s, ("leave", "g1"))
    assert n == 4 and s[-1].shards == ("g2",) * 4
    assert m.apply(s, ("leave", "g2")) == (s, "the last group cannot leave")
    assert m.apply(s, ("move", 1, "g9")) == (s, "g9 is not a member")
    assert [c.num for c in s] == [0, 1, 2, 3, 4]
    assert m.read(s, ("query", 2)) == s[2] and m.read(s, ("query", 99)) == s[-1]
    assert m.read_only(("query", -1)) and not m.read_only(("join", "g1"))


@pytest.mark.parametrize(
    "op", [("join",), ("join", ""), ("move", 4, "g1"), ("query", "x"), ("incr", 1), "join"]
)
def test_controller_refuses_bad_operations_with_what_is_allowed(op: object) -> None:
    with pytest.raises(ValueError, match="is not an operation; use"):
        ControllerMachine(4).apply(ControllerMachine(4).initial(), op)


def test_bad_arguments_say_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="shards=0 must be an int >= 1"):
        ControllerMachine(0)
    with pytest.raises(ValueError, match="unknown mutant 'nope'"):
        run_shardkv(0, mutant="nope")
    with pytest.raises(ValueError, match="timeout=0 must be a number > 0"):
        ShardKVClient([("get", "k", None)], GROUPS, 4, timeout=0)
    with pytest.raises(ValueError, match="is not an operation"):
        Admin([(0.0, ("grow", "g1"))])
    with pytest.raises(ValueError, match="must be \\(time >= 0, operation\\)"):
        Admin([(-1.0, ("join", "g1"))])
    with pytest.raises(ValueError, match="group='' must be a non-empty string"):
        GroupMachine("", 2)


# -- a group's state machine ------------------------------------------------------------------
def _serving(group: str = "g1", shards: int = 2) -> tuple[GroupMachine, ServerState]:
    m = GroupMachine(group, shards)
    s, _ = m.apply(m.initial(), ("config", Config(1, (group,) * shards, (group,))))
    return m, s


def test_a_group_applies_each_numbered_request_once() -> None:
    m, s = _serving()
    s, first = m.apply(s, ("append", "k", ("x",), "c1", 1))
    s, again = m.apply(s, ("append", "k", ("x",), "c1", 1))
    s, old = m.apply(s, ("append", "k", ("y",), "c1", 0))  # an old copy: never applied
    assert first is None and again is None and old is None
    assert m.read(s, ("get", "k", None, "c1", 2)) == ("x",)
    s, ok = m.apply(s, ("cas", "k", (("x",), "z"), "c2", 1))
    assert ok is True and m.read(s, ("get", "k", None, "c2", 2)) == "z"


def test_a_group_refuses_keys_of_shards_it_does_not_serve() -> None:
    m, s = _serving()
    s, _ = m.apply(s, ("config", Config(2, ("g1", "g2"), ("g1", "g2"))))
    assert [sh.status for sh in s.shards] == ["serving", "leaving"]
    key_of = {shard_of(k, 2): k for k in ("k0", "k1", "k2", "k3", "k4", "k5")}
    assert m.apply(s, ("put", key_of[1], 1, "c1", 1))[1] == WrongGroup(2)
    assert m.read(s, ("get", key_of[1], None, "c1", 1)) == WrongGroup(2)
    s, _ = m.apply(s, ("drop", 2, 1))
    assert s.shards[1] == Shard()
    # the mutant keeps serving the leaving shard
    bad = GroupMachine("g1", 2, mutant="serves_after_handoff")
    _, s0 = _serving()
    s1, _ = bad.apply(s0, ("config", Config(2, ("g1", "g2"), ("g1", "g2"))))
    assert bad.apply(s1, ("put", key_of[1], 1, "c1", 1))[1] is None


def test_a_pulled_shard_arrives_with_its_table_unless_the_mutant_forgets_it() -> None:
    config1 = Config(1, ("g1", "g1"), ("g1",))
    config2 = Config(2, ("g1", "g2"), ("g1", "g2"))
    data, last = (("k", ("x",)),), (("c1", 5, None),)
    for mutant, expected in ((None, last), ("forgets_dedup_table", ())):
        m = GroupMachine("g2", 2, mutant=mutant)
        s, _ = m.apply(m.initial(), ("config", config1))
        s, _ = m.apply(s, ("config", config2))
        assert s.shards[1].status == "pulling"
        s, _ = m.apply(s, ("install", 2, 1, data, last))
        assert s.shards[1] == Shard("serving", data, expected)


def test_group_operations_are_checked() -> None:
    m, s = _serving()
    for op in (("append", "k", 5, "c1", 1), ("get", "k", None), ("put", "k", 1, 3, 1)):
        with pytest.raises(ValueError, match="is not an operation"):
            m.apply(s, op)


configs = st.lists(
    st.lists(st.sampled_from(["g1", "g2", "g3"]), min_size=3, max_size=3), min_size=1, max_size=4
)


@settings(max_examples=25)
@given(configs, st.sampled_from(["g1", "g2", "g3"]))
def test_install_config_is_chapter_13s_rule(assignments: list[list[str]], me: str) -> None:
    """``install_config`` against chapter 13's single-node server, on the same configurations
    (each step delivered when the server has no migration, as both require)."""
    server = ShardServer(shards=3)
    ctx = Context(me, [me, "ctrl", "g1", "g2", "g3"])
    theirs = server.init(ctx)
    ours = GroupMachine(me, 3).initial()
    for n, shards in enumerate(assignments, start=1):
        config = Config(n, tuple(shards), tuple(sorted(set(shards))))
        theirs = server.on_message(ctx, theirs, "ctrl", ConfigReply(config))
        ours = install_config(ours, config, me)
        assert ours == theirs
        # finish the migrations the same way in both
        done = tuple(
            Shard()
            if sh.status == "leaving"
            else replace(sh, status="serving")
            if sh.status == "pulling"
            else sh
            for sh in ours.shards
        )
        ours = theirs = ServerState(ours.config, done)


# -- the checks against brute force -----------------------------------------------------------
@settings(max_examples=40)
@given(
    st.lists(st.tuples(st.sampled_from(["a0", "a1"]), st.integers(0, 5), st.booleans())),
    st.dictionaries(
        st.sampled_from(["a0", "a1"]),
        st.lists(st.tuples(st.just("c1"), st.integers(0, 5)), max_size=6).map(tuple),
    ),
)
def test_lost_and_doubled_against_counting(
    appends: list[tuple[str, int, bool]], final: dict[str, tuple[tuple[str, int], ...]]
) -> None:
    h = History()
    t = 0.0
    done = set()
    for key, i, ok in appends:
        if (key, i) in done:
            continue  # each element appended once
        done.add((key, i))
        h.invoke("c1", "append", (("c1", i),), time=t, key=key)
        h.complete("c1", "ok" if ok else "info", "append", None, time=t + 1, key=key)
        t += 2
    lost, doubled = lost_and_doubled(h, final)
    appended_keys = {op.key for op in h.operations()}
    counts: Counter[tuple[object, object]] = Counter(
        (k, e) for k, v in final.items() if k in appended_keys for e in v
    )
    expect_lost = sorted(
        {
            (op.key, e)
            for op in h.operations()
            if op.status == "ok"
            for e in op.value
            if counts[(op.key, e)] == 0
        }
    )
    assert sorted(lost) == expect_lost
    assert sorted(doubled) == sorted(k for k, n in counts.items() if n > 1)


@settings(max_examples=40)
@given(st.dictionaries(st.integers(0, 3), st.lists(configs.map(lambda c: c[0]), max_size=3)))
def test_two_homes_against_every_pair(installed: dict[int, list[list[str]]]) -> None:
    versions = {n: [Config(n, tuple(s)) for s in shards] for n, shards in installed.items()}
    found = {(n, shard) for n, shard, _ in two_homes(versions)}
    brute = {
        (n, shard)
        for n, vs in versions.items()
        for a in vs
        for b in vs
        for shard in range(3)
        if a.shards[shard] != b.shards[shard]
    }
    assert found == brute


# -- runs ---------------------------------------------------------------------------------------
def test_a_run_without_faults_is_correct_and_changes_configuration() -> None:
    run = run_shardkv(2, clients=2, ops=10, faults=False)
    assert run.verdict == "ok", run
    assert run.ops == {"ok": 20, "info": 0, "fail": 0}
    assert len(run.configs) >= 4 and run.home.ok and run.settled.ok
    appended = [op for op in run.history.operations() if op.f == "append"]
    assert appended and all(
        e in run.final[op.key] for op in appended for e in op.value
    )  # the final store has every acknowledged append


def test_a_run_under_the_full_nemesis_is_correct() -> None:
    run = run_shardkv(5, ops=15, bank=1, transfers=6)
    assert run.faults >= 5
    assert run.sim.nemesis is not None
    kinds = {type(f).__name__ for _, f in run.sim.nemesis.entries}
    assert {"Crash", "Pause", "Partition"} <= kinds
    assert run.verdict == "ok", (run, run.home, run.settled, run.bank)
    transfers = [op for op in run.history.operations() if op.f == "transfer"]
    assert len(transfers) == 6 and {op.result for op in transfers} <= {"committed", "aborted"}
    assert run.bank.ok and any(op.result == "committed" for op in transfers)


# -- the bank ----------------------------------------------------------------------------------
@settings(max_examples=30)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(BANK_ACCOUNTS), st.sampled_from(BANK_ACCOUNTS), st.integers(1, 15)
        )
    ),
    st.sampled_from(BANK_ACCOUNTS),
    st.integers(-3, 3),
)
def test_two_phase_transfers_conserve_money_and_the_bank_check_sees_any_change(
    transfers: list[tuple[str, str, int]], victim: str, change: int
) -> None:
    data: tuple[tuple[Any, Any], ...] = ()
    balances = dict.fromkeys(BANK_ACCOUNTS, OPENING_BALANCE)  # the oracle: plain arithmetic
    for i, (source, destination, amount) in enumerate(transfers):
        if source == destination:
            continue
        tx = f"t{i}"
        data, yes1 = transaction_step(data, "prepare", source, (tx, -amount))
        data, yes2 = transaction_step(data, "prepare", destination, (tx, amount))
        decision = "commit" if (yes1, yes2) == ("yes", "yes") else "abort"
        data, _ = transaction_step(data, decision, source, tx)
        data, _ = transaction_step(data, decision, destination, tx)
        if balances[source] >= amount:
            balances[source] -= amount
            balances[destination] += amount
    final: dict[Any, Any] = dict(data)
    assert {a: final.get(a, OPENING_BALANCE) for a in BANK_ACCOUNTS} == balances
    assert bank_total(final).ok
    final[victim] = final.get(victim, OPENING_BALANCE) + change
    assert bank_total(final).ok == (change == 0)
    final[("lock", victim)] = ("t9", 1)
    assert not bank_total(final).ok


def test_a_transfer_must_name_two_accounts_and_a_positive_amount() -> None:
    for op in (("transfer", ("x", "x"), 1), ("transfer", ("x", "y"), 0), ("transfer", "xy", 1)):
        with pytest.raises(ValueError, match="is not a transfer"):
            ShardKVClient([op], GROUPS, 4)


def test_runs_repeat_byte_for_byte_under_any_hash_seed() -> None:
    code = (
        "from dslib.capstone.shardkv import run_shardkv;"
        "r = run_shardkv(3, clients=1, ops=6);"
        "print(list(r.history), r.final, r.configs, r.sim.trace.count('deliver'), r)"
    )
    here = run_shardkv(3, clients=1, ops=6)
    env = {**os.environ, "PYTHONHASHSEED": "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    mine = (list(here.history), here.final, here.configs, here.sim.trace.count("deliver"), here)
    assert out.stdout == " ".join(map(str, mine)) + "\n"


def test_the_drawn_schedules_are_what_they_say() -> None:
    schedule = admin_schedule(4, ["g1", "g2", "g3"], 6, 3000.0)
    assert [op for _, op in schedule[:3]] == [("join", "g1"), ("join", "g2"), ("join", "g3")]
    assert all(t < 3000.0 for t, _ in schedule) and len(schedule) > 5
    nemesis = capstone_nemesis(4, ["s1", "s2"], ["s1", "s2", "c1"], until=3000.0)
    down: dict[str, float] = {}
    for t, fault in nemesis.entries:  # a paused node is never down
        if isinstance(fault, Crash):
            down[fault.node] = t
        elif isinstance(fault, Restart):
            down.pop(fault.node)
        elif isinstance(fault, Pause):
            assert fault.node not in down


servers = sorted([*CONTROLLER, *(s for g in ("g1", "g2") for s in group_servers(g))])


@st.composite
def schedules(draw: st.DrawFn) -> list[tuple[float, object]]:
    out: list[tuple[float, object]] = []
    t = 0.0
    for _ in range(draw(st.integers(1, 4))):
        t += draw(st.floats(20.0, 300.0))
        length = draw(st.floats(20.0, 400.0))
        kind = draw(st.sampled_from(["crash", "pause", "partition", "skew"]))
        node = draw(st.sampled_from(servers))
        if kind == "crash":
            out += [(t, Crash(node)), (t + length, Restart(node))]
        elif kind == "pause":
            out.append((t, Pause(node, length)))
        elif kind == "skew":
            skew = ClockSkew(node, draw(st.floats(-300.0, 300.0)), draw(st.floats(0.5, 2.0)))
            out += [(t, skew), (t + length, ClockSkew(node))]
        else:
            side = tuple(sorted(draw(st.sets(st.sampled_from(servers), min_size=1, max_size=4))))
            rest = tuple(sorted(n for n in [*servers, "admin", "c1", "c2"] if n not in side))
            out += [(t, Partition((side, rest))), (t + length, Heal())]
        t += length
    return out


@settings(max_examples=4, deadline=None)
@given(schedules(), st.integers(0, 3))
def test_hypothesis_fault_schedules_break_nothing(
    faults: list[tuple[float, object]], seed: int
) -> None:
    run = run_shardkv(
        seed,
        groups=2,
        clients=2,
        ops=8,
        shards=4,
        keys=2,
        nemesis=Nemesis(faults),  # type: ignore[arg-type]
        duration=1200.0,
        settle=3000.0,
    )
    assert run.result.verdict == "ok" and not run.lost and not run.doubled, run
    assert run.home.ok and run.settled.ok, (run.home, run.settled, faults)
