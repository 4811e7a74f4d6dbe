"""The capstone store: a sharded key-value store in which every shard group is a Raft group.

Chapter 13 built a sharded store whose groups were single nodes that persist
everything (``dslib.sharding.store``), and a shard controller that was one node
(``dslib.sharding.controller``); chapter 15 built Raft and a replicated
key-value store on it (``dslib.raft``). Here the pieces meet:

- **the controller** is a Raft group (``ctrl1``, ``ctrl2``, ``ctrl3``) whose
  state machine (``ControllerMachine``) holds the numbered configurations and
  applies ``join``, ``leave`` and ``move`` through the log, with chapter 13's
  ``rebalance``; a ``query`` is a read, served with Raft's read index;
- **every shard group** (``g1``, ``g2``, ...) is a Raft group of three servers
  (``g1-1``, ``g1-2``, ``g1-3``) whose state machine (``GroupMachine``) holds
  the group's configuration and its shards, each with its data and its table of
  every client's last request (chapter 13's ``ServerState`` and ``Shard``);
- **the migration protocol** is chapter 13's, with every step a command in the
  group's Raft log, so that every replica agrees when a shard is served: the
  group's leader polls the controller for the next configuration and proposes
  it (``("config", c)``); a shard the group loses becomes *leaving* and the
  leader pushes its data and deduplication table to the new owner's servers
  (``ShardPush``) until one of them acknowledges; the receiving leader proposes
  ``("install", ...)``, and once that is applied it acknowledges (``ShardAck``);
  the old owner then proposes ``("drop", ...)``. A group moves to configuration
  ``n + 1`` only when no shard of ``n`` is leaving or pulling;
- **clients** (``ShardKVClient``) route each operation to the group that
  serves its key's shard in the newest configuration they know; a group that
  does not serve the key answers ``WrongGroup`` and the client asks the
  controller again. A client numbers its operations and keeps the number across
  retries and re-routes, and the number goes into the log with the operation:
  the shard's table of last requests (migrated with the shard) answers a retry
  with the first answer instead of applying it twice;
- **bank clients** move money between accounts on different shards with
  chapter 13's two-phase commit (``dslib.sharding.transactions``), the client
  the coordinator and each account's group a participant whose vote and lock
  go through its Raft log and live in the shard's data, so that a prepared
  transfer migrates with its shard (``transaction_step``);
- **an admin** (``Admin``) changes the configuration (join, leave, move) while
  the clients run; ``capstone_nemesis`` crashes, pauses and partitions servers,
  skews their clocks and drops messages at the same time.

``run_shardkv`` builds and runs it all and judges the run with five checks:
linearizability per key (``check_linearizable`` with ``KeyValue``), no
acknowledged append lost and none applied twice in the final store, one home
per shard per configuration (``one_home``), the bank total (``bank_total``),
and, once the faults are healed, every operation completes and every shard is
served by its owner alone (``settled``). ``dslib.capstone.suite`` has the
scenarios, the checks by name and the mutants (``MUTANTS``) they catch.

References
----------
D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm
(Extended Version)" (2014), section 8 (client sessions, read-only requests).
J. Gray and L. Lamport, "Consensus on Transaction Commit" (2006), section 3 (two-phase
commit).
J. C. Corbett et al., "Spanner: Google's Globally-Distributed Database" (OSDI 2012),
section 2.1 (each tablet replicated by a Paxos group; two-phase commit across groups) and
section 2.2 (directories moved between groups).

Examples
--------
>>> run = run_shardkv(seed=1, clients=2, ops=8, faults=False)
>>> run.verdict, run.ops["ok"], run.lost, run.doubled
('ok', 16, (), ())
>>> [c.num for c in run.configs][-1] >= 3
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency import ConsistencyResult, KeyValue, check_linearizable
from dslib.core import Context, Node, System, stable_repr
from dslib.mutants import Outcome, check_mutant
from dslib.raft.core import (
    LEADER,
    ClientReply,
    ClientRequest,
    Command,
    RaftConfig,
    RaftNode,
    RaftState,
    StateMachine,
    leaders,
)
from dslib.raft.kv import KVMachine, count_faults, kv_workload
from dslib.sharding.controller import Config, rebalance, shard_of
from dslib.sharding.store import ServerState, Shard, ShardAck, ShardPush
from dslib.sim.clients import check_servers, first_operation, next_operation
from dslib.sim.history import History
from dslib.sim.nemesis import (
    ClockSkew,
    Crash,
    Fault,
    Heal,
    Nemesis,
    NetworkChange,
    Partition,
    Pause,
    Restart,
)
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "BANK_ACCOUNTS",
    "CONTROLLER",
    "MUTANTS",
    "OPENING_BALANCE",
    "Admin",
    "ControllerMachine",
    "GroupMachine",
    "ShardKVClient",
    "ShardKVClientState",
    "ShardKVRun",
    "ShardKVServer",
    "WrongGroup",
    "admin_schedule",
    "bank_total",
    "bank_workload",
    "capstone_nemesis",
    "final_store",
    "group_servers",
    "group_state",
    "installed_configs",
    "lost_and_doubled",
    "one_home",
    "run_shardkv",
    "settled",
    "shardkv_system",
    "transaction_step",
    "two_homes",
]

CONTROLLER = ("ctrl1", "ctrl2", "ctrl3")
"""The servers of the controller's Raft group."""

MUTANTS: dict[str, str] = {
    "serves_after_handoff": "a group keeps serving a shard while it hands it over, after "
    "it has sent the shard's data to the new owner",
    "forgets_dedup_table": "a migration installs the shard's data without its table of "
    "clients' last requests, so a retried append is applied twice",
    "controller_reuses_number": "the controller writes a change over the latest "
    "configuration under the same number, so one shard has two groups in one configuration",
    "client_never_refreshes": "a client keeps the first configuration it learns and never "
    "asks the controller again",
}
"""Broken versions of the capstone store, by name, with what is wrong."""


# -- the controller's state machine -----------------------------------------------------------
class ControllerMachine(StateMachine):
    """The shard controller as a Raft state machine: the numbered configurations.

    The state is the tuple of every configuration so far (configuration ``n``
    at index ``n``; configuration 0 assigns no shard). Operations:

    - ``("join", group)``, ``("leave", group)``: a new configuration by
      ``rebalance``, moving as few shards as possible; a join of a member or a
      leave of a stranger changes nothing; the last group may not leave;
    - ``("move", shard, group)``: a new configuration in which ``group`` (a
      member) serves ``shard``;
    - ``("query", n)``: configuration ``n`` (``-1`` or a number not reached yet:
      the latest), a read.

    The result of a change is the number of the latest configuration, or a
    string saying why it was refused.

    Parameters
    ----------
    shards : int
    mutant : str, optional
        ``"controller_reuses_number"`` (``MUTANTS``); other mutants do not
        change the controller.

    Examples
    --------
    >>> m = ControllerMachine(4)
    >>> s, n = m.apply(m.initial(), ("join", "g1"))
    >>> s, n = m.apply(s, ("join", "g2"))
    >>> n, m.read(s, ("query", -1))
    (2, Config(num=2, shards=('g1', 'g1', 'g2', 'g2'), groups=('g1', 'g2')))
    >>> m.apply(s, ("move", 0, "g3"))[1]
    'g3 is not a member'
    """

    def __init__(self, shards: int, mutant: str | None = None) -> None:
        if not (isinstance(shards, int) and not isinstance(shards, bool) and shards >= 1):
            raise ValueError(f"ControllerMachine: shards={shards!r} must be an int >= 1")
        self.shards = shards
        self.mutant = check_mutant("ControllerMachine", mutant, MUTANTS)

    def initial(self) -> tuple[Config, ...]:
        return (Config(0, (None,) * self.shards, ()),)

    def check_op(self, op: Any) -> tuple[Any, ...]:
        """``op`` if it is a controller operation, else ValueError saying what is allowed."""
        ok = isinstance(op, tuple) and len(op) >= 2
        if ok and op[0] in ("join", "leave"):
            ok = len(op) == 2 and isinstance(op[1], str) and bool(op[1])
        elif ok and op[0] == "move":
            ok = len(op) == 3 and isinstance(op[1], int) and 0 <= op[1] < self.shards
        elif ok and op[0] == "query":
            ok = len(op) == 2 and isinstance(op[1], int)
        else:
            ok = False
        if not ok:
            raise ValueError(
                f"ControllerMachine: {op!r} is not an operation; use ('join', group), "
                f"('leave', group), ('move', shard in 0..{self.shards - 1}, group) or "
                "('query', num)"
            )
        return op

    def apply(self, state: Any, op: Any) -> tuple[tuple[Config, ...], Hashable]:
        op = self.check_op(op)
        configs: tuple[Config, ...] = state
        latest = configs[-1]
        if op[0] == "query":
            return configs, self.read(configs, op)
        groups = set(latest.groups)
        shards: tuple[str | None, ...]
        if op[0] == "join":
            if op[1] in groups:
                return configs, latest.num
            groups.add(op[1])
            shards = rebalance(latest.shards, groups)
        elif op[0] == "leave":
            if op[1] not in groups:
                return configs, latest.num
            if len(groups) == 1:
                return configs, "the last group cannot leave"
            groups.discard(op[1])
            shards = rebalance(latest.shards, groups)
        else:
            _, shard, group = op
            if group not in groups:
                return configs, f"{group} is not a member"
            if latest.shards[shard] == group:
                return configs, latest.num
            shards = (*latest.shards[:shard], group, *latest.shards[shard + 1 :])
        if self.mutant == "controller_reuses_number" and latest.num >= 1:
            # The bug: the change overwrites configuration n instead of making n + 1.
            new = Config(latest.num, shards, tuple(sorted(groups)))
            return (*configs[:-1], new), new.num
        new = Config(latest.num + 1, shards, tuple(sorted(groups)))
        return (*configs, new), new.num

    def read_only(self, op: Any) -> bool:
        return isinstance(op, tuple) and len(op) == 2 and op[0] == "query"

    def read(self, state: Any, op: Any) -> Hashable:
        n = self.check_op(op)[1]
        configs: tuple[Config, ...] = state
        return configs[n] if 0 <= n < len(configs) else configs[-1]

    def __repr__(self) -> str:
        return f"ControllerMachine({self.shards} shards)"


# -- a shard group's state machine -----------------------------------------------------------
@dataclass(frozen=True)
class WrongGroup:
    """A group's answer for a key whose shard it does not serve in its configuration ``num``.

    >>> WrongGroup(3)
    WrongGroup(num=3)
    """

    num: int


KV_FS = ("get", "put", "append", "cas")
TX_FS = ("prepare", "commit", "abort")

OPENING_BALANCE = 10
"""What every bank account holds before any transfer (a missing account holds this)."""


def transaction_step(
    data: tuple[tuple[Any, Any], ...], f: str, account: Hashable, value: Any
) -> tuple[tuple[tuple[Any, Any], ...], str]:
    """One participant's step of a transfer's two-phase commit (chapter 13) on a shard's data.

    The account's balance is the data's value for ``account``; a prepared change is kept
    in the same shard's data under ``("lock", account)`` as ``(tx, delta)``, so that it
    migrates with the shard. ``prepare`` (value ``(tx, delta)``) votes ``"yes"`` and locks
    the account if it is not locked by another transaction and the balance stays >= 0,
    else ``"no"``; ``commit`` (value ``tx``) applies the locked change and unlocks;
    ``abort`` unlocks. Commit and abort of a transaction that holds no lock change nothing
    (they are retried until acknowledged).

    Examples
    --------
    >>> d, vote = transaction_step((), "prepare", "x", ("t1", -3))
    >>> vote, transaction_step(d, "prepare", "x", ("t2", 1))[1]
    ('yes', 'no')
    >>> d, _ = transaction_step(d, "commit", "x", "t1")
    >>> d
    (('x', 7),)
    >>> transaction_step(d, "prepare", "x", ("t3", -8))[1]
    'no'
    """
    table = dict(data)
    lock_key = ("lock", account)
    lock = table.get(lock_key)
    if f == "prepare":
        tx, delta = value
        if lock is not None:
            return data, "yes" if lock[0] == tx else "no"
        if table.get(account, OPENING_BALANCE) + delta < 0:
            return data, "no"
        table[lock_key] = (tx, delta)
    elif lock is not None and lock[0] == value:
        del table[lock_key]
        if f == "commit":
            table[account] = table.get(account, OPENING_BALANCE) + lock[1]
    else:
        return data, "done"
    out = tuple(sorted(table.items(), key=lambda kv: stable_repr(kv[0])))
    return out, "yes" if f == "prepare" else "done"


def install_config(state: ServerState, config: Config, me: str) -> ServerState:
    """Group ``me`` moves from its configuration to ``config``, if ``config`` is the next one and
    no shard is still leaving or pulling: shards it loses become *leaving*, shards it gains
    *pulling* (or serving at once, empty, if nobody served them before).

    This is the rule of ``dslib.sharding.store.ShardServer`` (chapter 13) as a pure function,
    so that a Raft group applies it from its log.

    Examples
    --------
    >>> s = ServerState(Config(0, (None, None)), (Shard(), Shard()))
    >>> s = install_config(s, Config(1, ("g1", "g1"), ("g1",)), "g1")
    >>> s.serving()
    (0, 1)
    >>> s = install_config(s, Config(2, ("g1", "g2"), ("g1", "g2")), "g1")
    >>> [shard.status for shard in s.shards]
    ['serving', 'leaving']
    """
    if config.num != state.config.num + 1 or state.migrating():
        return state
    shards = list(state.shards)
    for i, (old, new) in enumerate(zip(state.config.shards, config.shards, strict=True)):
        if old == me and new != me and new is not None:
            shards[i] = replace(shards[i], status="leaving")
        elif old != me and new == me:
            shards[i] = Shard("serving") if old is None else Shard("pulling")
    return ServerState(config, tuple(shards))


class GroupMachine(StateMachine):
    """The state machine of one shard group: its configuration and its shards.

    The state is a ``ServerState`` (chapter 13): the group's configuration and,
    per shard, its status (serving, pulling, leaving, absent), its data (sorted
    ``(key, value)`` pairs, ``KVMachine``'s format) and its table of each
    client's last request ``(client, number, result)``. Operations:

    - a client's ``(f, key, value, client, number)`` with ``f`` one of
      ``KVMachine``'s (get, put, append, cas): applied to the key's shard if the
      group serves it, once per ``(client, number)``; otherwise ``WrongGroup``;
    - ``("config", config)``: ``install_config``;
    - ``("install", num, shard, data, last)``: a pulling shard of configuration
      ``num`` arrives and is served;
    - ``("drop", num, shard)``: the new owner has the leaving shard; forget it.

    Examples
    --------
    >>> m = GroupMachine("g1", shards=2)
    >>> s, _ = m.apply(m.initial(), ("config", Config(1, ("g1", "g1"), ("g1",))))
    >>> s, r = m.apply(s, ("append", "k", ("x",), "c1", 1))
    >>> s, again = m.apply(s, ("append", "k", ("x",), "c1", 1))  # a retry: applied once
    >>> m.read(s, ("get", "k", None, "c1", 2))
    ('x',)
    >>> s, _ = m.apply(s, ("config", Config(2, ("g2", "g2"), ("g2",))))
    >>> m.read(s, ("get", "k", None, "c1", 3))
    WrongGroup(num=2)
    """

    def __init__(self, group: str, shards: int, mutant: str | None = None) -> None:
        if not (isinstance(group, str) and group):
            raise ValueError(f"GroupMachine: group={group!r} must be a non-empty string")
        if not (isinstance(shards, int) and not isinstance(shards, bool) and shards >= 1):
            raise ValueError(f"GroupMachine: shards={shards!r} must be an int >= 1")
        self.group = group
        self.shards = shards
        self.mutant = check_mutant("GroupMachine", mutant, MUTANTS)
        self.kv = KVMachine()

    def initial(self) -> ServerState:
        return ServerState(Config(0, (None,) * self.shards), (Shard(),) * self.shards)

    def _serves(self, shard: Shard) -> bool:
        if self.mutant == "serves_after_handoff":  # the bug: a leaving shard is still served
            return shard.status in ("serving", "leaving")
        return shard.status == "serving"

    def apply(self, state: Any, op: Any) -> tuple[ServerState, Hashable]:
        s: ServerState = state
        kind = op[0] if isinstance(op, tuple) and op else None
        if kind == "config" and len(op) == 2 and isinstance(op[1], Config):
            return install_config(s, op[1], self.group), None
        if kind == "install" and len(op) == 5:
            _, num, i, data, last = op
            if num == s.config.num and s.shards[i].status == "pulling":
                if self.mutant == "forgets_dedup_table":  # the bug: the table stays behind
                    last = ()
                return replace(s, shards=_set(s.shards, i, Shard("serving", data, last))), None
            return s, None
        if kind == "drop" and len(op) == 3:
            _, num, i = op
            if num == s.config.num and s.shards[i].status == "leaving":
                return replace(s, shards=_set(s.shards, i, Shard())), None
            return s, None
        f, key, value, client, number = self.check_op(op)
        i = _shard_of(key, self.shards)
        shard = s.shards[i]
        if not self._serves(shard):
            return s, WrongGroup(s.config.num)
        for c, n, result in shard.last:
            if c == client and number <= n:  # a retry (or an old copy): never apply twice
                return s, result if number == n else None
        if f in TX_FS:
            data, result = transaction_step(shard.data, f, key, value)
        else:
            data, result = self.kv.apply(shard.data, (f, key, value))
        last = tuple(
            sorted(
                [e for e in shard.last if e[0] != client] + [(client, number, result)],
                key=stable_repr,
            )
        )
        return replace(s, shards=_set(s.shards, i, replace(shard, data=data, last=last))), result

    def check_op(self, op: Any) -> tuple[str, Hashable, Any, str, int]:
        """``op`` as a client's ``(f, key, value, client, number)``, or ValueError."""
        ok = isinstance(op, tuple) and len(op) == 5 and op[0] in (*KV_FS, *TX_FS)
        if ok and op[0] in KV_FS:
            self.kv.check_op(op[:3])
        elif ok and op[0] == "prepare":
            ok = isinstance(op[2], tuple) and len(op[2]) == 2 and isinstance(op[2][1], int)
        if ok:
            ok = isinstance(op[3], str) and isinstance(op[4], int)
        if not ok:
            raise ValueError(
                f"GroupMachine: {op!r} is not an operation; use (f, key, value, client, number) "
                f"with f in {KV_FS} (KVMachine's values) or ('prepare', account, (tx, delta)), "
                "('commit' or 'abort', account, tx); or ('config', Config), "
                "('install', num, shard, data, last), ('drop', num, shard)"
            )
        return op

    def read_only(self, op: Any) -> bool:
        return isinstance(op, tuple) and len(op) == 5 and op[0] == "get"

    def read(self, state: Any, op: Any) -> Hashable:
        f, key, value, _client, _number = self.check_op(op)
        s: ServerState = state
        shard = s.shards[_shard_of(key, self.shards)]
        if not self._serves(shard):
            return WrongGroup(s.config.num)
        return self.kv.read(shard.data, (f, key, value))

    def __repr__(self) -> str:
        return f"GroupMachine({self.group})"


def group_state(state: RaftState) -> ServerState:
    """The ``GroupMachine`` state of a group server's ``RaftState``.

    Raises
    ------
    TypeError
        If ``state`` is not the state of a server of a shard group.

    Examples
    --------
    >>> group_state(RaftState(machine=GroupMachine("g1", 2).initial())).config.num
    0
    """
    m = state.machine if isinstance(state, RaftState) else None
    if not isinstance(m, ServerState):
        raise TypeError(f"group_state: {state!r} is not the state of a shard group's server")
    return m


def _shard_of(key: Hashable, shards: int) -> int:
    return shard_of(key, shards)  # type: ignore[arg-type]


def _set(shards: tuple[Shard, ...], i: int, shard: Shard) -> tuple[Shard, ...]:
    return (*shards[:i], shard, *shards[i + 1 :])


# -- a shard group's server --------------------------------------------------------------------
def group_servers(group: str, replicas: int = 3) -> tuple[str, ...]:
    """The node ids of group ``group``'s Raft servers.

    >>> group_servers("g2")
    ('g2-1', 'g2-2', 'g2-3')
    """
    return tuple(f"{group}-{i}" for i in range(1, replicas + 1))


class ShardKVServer(RaftNode):
    """A server of a shard group: a ``RaftNode`` whose leader also runs the migrations.

    Every ``poll`` ms, the group's leader asks the controller's servers for the
    configuration after its own (if no shard is leaving or pulling) and pushes
    the data of every leaving shard to the new owner's servers. What it learns
    (a configuration, a shard's data, an acknowledgement) it proposes in its own
    log (``("config", ...)``, ``("install", ...)``, ``("drop", ...)``), as a
    command of its own: the client id is the server and the number is the log
    index it is appended at, which only grows, so Raft's sessions keep it once.

    Parameters
    ----------
    group : str
    config : RaftConfig
        With ``servers`` (the group's) and ``machine`` (a ``GroupMachine``).
    groups : mapping of str to tuple of str
        Every group's servers (to push shards to).
    controller : tuple of str, default ``CONTROLLER``
    poll : float, default 50
    """

    def __init__(
        self,
        group: str,
        config: RaftConfig,
        groups: Mapping[str, tuple[str, ...]],
        controller: tuple[str, ...] = CONTROLLER,
        poll: float = 50.0,
    ) -> None:
        super().__init__(config)
        if not isinstance(config.machine, GroupMachine):
            raise TypeError(
                f"ShardKVServer: config.machine={config.machine!r} must be a GroupMachine"
            )
        self.group = group
        self.groups = dict(groups)
        self.controller = tuple(controller)
        self.poll = float(poll)

    def __repr__(self) -> str:
        return f"ShardKVServer({self.group})"

    def init(self, ctx: Context) -> RaftState:
        ctx.set_timer("poll", self.poll)
        return super().init(ctx)

    def on_recover(self, ctx: Context, durable: Any) -> RaftState:
        ctx.set_timer("poll", self.poll)
        return super().on_recover(ctx, durable)

    def on_timer(self, ctx: Context, state: RaftState, timer: Any) -> RaftState:
        if timer != "poll":
            return super().on_timer(ctx, state, timer)
        ctx.set_timer("poll", self.poll)
        if state.role != LEADER:
            return state
        machine = group_state(state)
        if not machine.migrating():
            for server in self.controller:
                ctx.send(server, ClientRequest(ctx.id, 1, ("query", machine.config.num + 1)))
        for i, shard in enumerate(machine.shards):
            owner = machine.config.shards[i]
            if shard.status == "leaving" and owner is not None:
                push = ShardPush(machine.config.num, i, shard.data, shard.last)
                for server in self.groups[owner]:
                    ctx.send(server, push)
        return state

    def on_message(self, ctx: Context, state: RaftState, src: str, msg: Any) -> RaftState:
        if isinstance(msg, ClientReply):  # the controller's answer, or our own command's
            if src in self.controller and msg.ok and isinstance(msg.result, Config):
                m = group_state(state)
                if msg.result.num == m.config.num + 1 and not m.migrating():
                    return self._propose(ctx, state, ("config", msg.result))
            return state
        if isinstance(msg, ShardPush):
            return self._on_push(ctx, state, src, msg)
        if isinstance(msg, ShardAck):
            m = group_state(state)
            if (
                state.role == LEADER
                and msg.num == m.config.num
                and m.shards[msg.shard].status == "leaving"
            ):
                return self._propose(ctx, state, ("drop", msg.num, msg.shard))
            return state
        return super().on_message(ctx, state, src, msg)

    def _on_push(self, ctx: Context, state: RaftState, src: str, msg: ShardPush) -> RaftState:
        m = group_state(state)
        if state.role != LEADER or msg.num > m.config.num:
            return state  # not the leader, or a configuration not reached: it will come again
        if msg.num == m.config.num and m.shards[msg.shard].status == "pulling":
            return self._propose(ctx, state, ("install", msg.num, msg.shard, msg.data, msg.last))
        ctx.send(src, ShardAck(msg.num, msg.shard))  # applied (committed) already
        return state

    def _propose(self, ctx: Context, state: RaftState, op: Hashable) -> RaftState:
        """Append ``op`` to the log as the leader's own command (unless it is there, unapplied)."""
        if state.role != LEADER:
            return state
        pending = state.log[state.last_applied - state.snapshot_index :]
        if any(isinstance(e.command, Command) and e.command.op == op for e in pending):
            return state
        request = ClientRequest(ctx.id, state.last_index + 1, op)
        return self._persist(ctx, state, self._on_client_request(ctx, state, ctx.id, request))


# -- clients -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShardKVClientState:
    """Where a client is.

    ``number`` numbers the client's operations (the one in flight keeps its
    number across retries and re-routes); ``attempt`` numbers every request
    sent (Raft's session number), ``first`` is the first attempt of the
    operation in flight (a reply to any of its attempts answers it);
    ``config`` is the newest configuration the client knows; ``querying``:
    it is asking the controller; ``silent``: requests unanswered in a row;
    ``phase`` and ``votes``: how far a transfer is (prepare the source, prepare the
    destination, decide at the source, decide at the destination) and the votes so far.
    """

    config: Config
    next_op: int = 0
    number: int = 0
    attempt: int = 0
    first: int = 0
    waiting: bool = False
    invoked_at: float = 0.0
    leader: str | None = None
    target: int = 0
    querying: bool = False
    silent: int = 0
    phase: int = 0
    votes: tuple[str, ...] = ()


class ShardKVClient(Node[ShardKVClientState]):
    """A client of the capstone store: routes by shard, re-routes on ``WrongGroup``, retries.

    Parameters
    ----------
    workload : sequence of (f, key, value)
        ``KVMachine``'s operations, or transfers ``("transfer", (source, destination),
        amount)`` between bank accounts, which the client runs as the coordinator of
        chapter 13's two-phase commit: prepare both accounts (each in its group's log),
        then commit both if both voted yes, else abort both (``transaction_step``). A
        transfer is never given up: its participants wait for the decision.
    groups : mapping of str to tuple of str
        Every group's servers.
    shards : int
    controller : tuple of str, default ``CONTROLLER``
    timeout, retry_delay, give_up, think, start : float
        As ``RaftClient``'s: an operation unanswered for ``give_up`` ms is
        recorded ``info``. After a timeout from every server of a group in a
        row, the client asks the controller again (its configuration may be old).
    requery_delay : float, default 50
        After a ``WrongGroup``, if the controller knows no newer configuration than the
        client's (the group has not caught up yet), wait this long before trying again.
    mutant : str, optional
        ``"client_never_refreshes"`` (``MUTANTS``).

    Examples
    --------
    >>> ShardKVClient([("get", "k", None)], {"g1": group_servers("g1")}, shards=4)
    ShardKVClient(1 ops)
    """

    def __init__(
        self,
        workload: Sequence[tuple[str, Hashable, Any]],
        groups: Mapping[str, tuple[str, ...]],
        shards: int,
        controller: tuple[str, ...] = CONTROLLER,
        timeout: float = 100.0,
        retry_delay: float = 10.0,
        give_up: float = 2000.0,
        think: float | tuple[float, float] = 0.0,
        start: float = 0.0,
        mutant: str | None = None,
        requery_delay: float = 50.0,
    ) -> None:
        self.workload = tuple(_check_client_op(op) for op in workload)
        for name, v in (
            ("timeout", timeout),
            ("retry_delay", retry_delay),
            ("give_up", give_up),
            ("requery_delay", requery_delay),
        ):
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0):
                raise ValueError(f"ShardKVClient: {name}={v!r} must be a number > 0")
        self.requery_delay = float(requery_delay)
        self.groups = dict(groups)
        self.shards = shards
        self.controller = tuple(controller)
        self.timeout = float(timeout)
        self.retry_delay = float(retry_delay)
        self.give_up = float(give_up)
        self.think = think
        self.start = float(start)
        self.mutant = check_mutant("ShardKVClient", mutant, MUTANTS)

    def __repr__(self) -> str:
        return f"ShardKVClient({len(self.workload)} ops)"

    def init(self, ctx: Context) -> ShardKVClientState:
        check_servers(
            ctx,
            [*self.controller, *sorted(s for g in self.groups.values() for s in g)],
            "ShardKVClient",
        )
        first_operation(ctx, len(self.workload), self.start)
        return ShardKVClientState(Config(0, (None,) * self.shards))

    def _request(self, ctx: Context, state: ShardKVClientState) -> tuple[str, Hashable, Any]:
        """What the operation in flight asks of a group now (a transfer: its phase's step)."""
        f, key, value = self.workload[state.next_op]
        if f != "transfer":
            return f, key, value
        accounts: tuple[str, str] = key  # type: ignore[assignment]
        source, destination = accounts
        tx = f"{ctx.id}:{state.next_op}"
        if state.phase == 0:
            return "prepare", source, (tx, -value)
        if state.phase == 1:
            return "prepare", destination, (tx, value)
        decision = "commit" if state.votes == ("yes", "yes") else "abort"
        return decision, source if state.phase == 2 else destination, tx

    def _owner(self, ctx: Context, state: ShardKVClientState) -> str | None:
        key = self._request(ctx, state)[1]
        return state.config.shards[_shard_of(key, self.shards)]

    def _send(self, ctx: Context, state: ShardKVClientState) -> ShardKVClientState:
        owner = self._owner(ctx, state)
        attempt = state.attempt + 1
        if state.querying or owner is None:
            for server in self.controller:
                ctx.send(server, ClientRequest(ctx.id, attempt, ("query", -1)))
            state = replace(state, querying=True)
        else:
            servers = self.groups[owner]
            dst = state.leader if state.leader in servers else servers[state.target % len(servers)]
            f, key, value = self._request(ctx, state)
            ctx.send(dst, ClientRequest(ctx.id, attempt, (f, key, value, ctx.id, state.number)))
        ctx.set_timer("timeout", self.timeout)
        return replace(state, attempt=attempt)

    def _retry(self, ctx: Context, state: ShardKVClientState) -> ShardKVClientState:
        f, key, _value = self.workload[state.next_op]
        if ctx.now - state.invoked_at >= self.give_up and f != "transfer":
            ctx.record("info", f, None, key)
            return self._next(ctx, state)
        return self._send(ctx, state)

    def _next(self, ctx: Context, state: ShardKVClientState) -> ShardKVClientState:
        ctx.cancel_timer("timeout")
        ctx.cancel_timer("retry")
        return next_operation(ctx, state, len(self.workload), self.think)

    def on_timer(self, ctx: Context, state: ShardKVClientState, timer: Any) -> ShardKVClientState:
        if timer == "next":
            f, key, value = self.workload[state.next_op]
            ctx.record("invoke", f, value, key)
            state = replace(
                state,
                number=state.number + 1,
                first=state.attempt + 1,
                waiting=True,
                invoked_at=ctx.now,
                silent=0,
                phase=0,
                votes=(),
            )
            return self._send(ctx, state)
        if not state.waiting:
            return state
        if timer == "timeout":
            silent = state.silent + 1
            owner = self._owner(ctx, state)
            size = len(self.groups[owner]) if owner is not None else 1
            # Silence from a whole group: perhaps it no longer serves the key; ask again.
            querying = state.querying or silent >= size
            state = replace(
                state,
                leader=None,
                target=state.target + 1,
                silent=0 if querying else silent,
                querying=querying,
            )
            return self._retry(ctx, state)
        if timer == "retry":
            return self._retry(ctx, state)
        return state

    def on_message(
        self, ctx: Context, state: ShardKVClientState, src: str, msg: Any
    ) -> ShardKVClientState:
        if not isinstance(msg, ClientReply) or not state.waiting or msg.seq < state.first:
            return state  # late, duplicated, or for an operation already finished
        if src in self.controller:
            if not (msg.ok and isinstance(msg.result, Config) and state.querying):
                return state
            config = state.config
            stale = self.mutant == "client_never_refreshes" and config.num > 0  # the bug
            newer = msg.result.num > config.num and not stale
            if newer:
                config = msg.result
            ctx.cancel_timer("timeout")
            state = replace(state, config=config, querying=False, leader=None, silent=0)
            if not newer:  # nothing new: the group may not have caught up yet; wait a little
                ctx.set_timer("retry", self.requery_delay)
                return state
            return self._send(ctx, state)
        if state.querying:
            return state
        if msg.ok and isinstance(msg.result, WrongGroup):
            ctx.cancel_timer("timeout")
            return self._send(ctx, replace(state, querying=True, leader=None))
        f, key, _value = self.workload[state.next_op]
        if msg.ok and f == "transfer" and state.phase < 3:  # the transfer's next step
            ctx.cancel_timer("timeout")
            votes = (*state.votes, str(msg.result)) if state.phase < 2 else state.votes
            state = replace(
                state,
                phase=state.phase + 1,
                votes=votes,
                number=state.number + 1,
                first=state.attempt + 1,
                leader=None,
                silent=0,
            )
            return self._send(ctx, state)
        if msg.ok:
            result = msg.result
            if f == "transfer":
                result = "committed" if state.votes == ("yes", "yes") else "aborted"
            ctx.record("ok", f, result, key)
            return self._next(ctx, replace(state, leader=src, silent=0))
        # Not the leader: go where it points, or to the next server, after a pause.
        leader = msg.leader if msg.leader not in (None, src) else None
        target = state.target if leader else state.target + 1
        ctx.cancel_timer("timeout")
        ctx.set_timer("retry", self.retry_delay)
        return replace(state, leader=leader, target=target, silent=0)


def _check_client_op(op: Any) -> tuple[str, Hashable, Any]:
    if isinstance(op, tuple) and len(op) == 3 and op[0] == "transfer":
        _, accounts, amount = op
        if (
            isinstance(accounts, tuple)
            and len(accounts) == 2
            and accounts[0] != accounts[1]
            and isinstance(amount, int)
            and not isinstance(amount, bool)
            and amount > 0
        ):
            return op
        raise ValueError(
            f"ShardKVClient: {op!r} is not a transfer; use ('transfer', (source, destination), "
            "amount) with two different accounts and an int amount > 0"
        )
    return KVMachine().check_op(op)


# -- the admin: configuration changes ---------------------------------------------------------
class Admin(Node[tuple[int, bool]]):
    """Sends a schedule of configuration changes to the controller, one at a time, retrying
    each until the controller's leader answers (Raft's sessions apply it once).

    The state is ``(index of the change in flight or next, waiting)``.

    Parameters
    ----------
    schedule : sequence of (time, op)
        ``ControllerMachine`` operations (join, leave, move) and when to send them
        (a change waits for the one before it).
    controller : tuple of str, default ``CONTROLLER``
    retry : float, default 100

    Examples
    --------
    >>> Admin([(0.0, ("join", "g1"))])
    Admin(1 changes)
    """

    def __init__(
        self,
        schedule: Sequence[tuple[float, tuple[Any, ...]]],
        controller: tuple[str, ...] = CONTROLLER,
        retry: float = 100.0,
    ) -> None:
        checker = ControllerMachine(1 << 30)
        for entry in schedule:
            if not (isinstance(entry, tuple) and len(entry) == 2 and entry[0] >= 0):
                raise ValueError(f"Admin: {entry!r} must be (time >= 0, operation)")
            checker.check_op(entry[1])
        self.schedule = tuple(sorted(schedule, key=lambda e: e[0]))
        self.controller = tuple(controller)
        self.retry = float(retry)

    def __repr__(self) -> str:
        return f"Admin({len(self.schedule)} changes)"

    def init(self, ctx: Context) -> tuple[int, bool]:
        if self.schedule:
            ctx.set_timer("next", self.schedule[0][0])
        return (0, False)

    def _send(self, ctx: Context, i: int) -> None:
        for server in self.controller:
            ctx.send(server, ClientRequest(ctx.id, i + 1, self.schedule[i][1]))
        ctx.set_timer("retry", self.retry)

    def on_timer(self, ctx: Context, state: tuple[int, bool], timer: Any) -> tuple[int, bool]:
        i, waiting = state
        if i >= len(self.schedule):
            return state
        if (timer == "next" and not waiting) or (timer == "retry" and waiting):
            self._send(ctx, i)
            return (i, True)
        return state

    def on_message(
        self, ctx: Context, state: tuple[int, bool], src: str, msg: Any
    ) -> tuple[int, bool]:
        i, waiting = state
        if not (isinstance(msg, ClientReply) and msg.ok and waiting and msg.seq == i + 1):
            return state
        ctx.cancel_timer("retry")
        i += 1
        if i < len(self.schedule):
            ctx.set_timer("next", max(0.0, self.schedule[i][0] - ctx.now))
        return (i, False)


def admin_schedule(
    seed: int,
    groups: Sequence[str],
    shards: int,
    until: float,
    every: tuple[float, float] = (200.0, 600.0),
) -> list[tuple[float, tuple[Any, ...]]]:
    """A seeded schedule of configuration changes: every group joins at the start, then, every
    ``every`` ms, one group leaves (if two or more serve), one that is out joins, or a random
    shard moves to a random member; none after ``until``.

    Examples
    --------
    >>> [op for _, op in admin_schedule(1, ["g1", "g2"], 4, 1000.0)]
    [('join', 'g1'), ('join', 'g2'), ('leave', 'g2')]
    """
    rng = random.Random(f"capstone-admin:{seed}")
    out: list[tuple[float, tuple[Any, ...]]] = [(0.0, ("join", g)) for g in groups]
    members = list(groups)
    t = rng.uniform(*every)
    while t < until:
        kind = rng.choice(("move", "move", "leave", "join"))
        out_of = [g for g in groups if g not in members]
        if kind == "leave" and len(members) > 1:
            g = rng.choice(members)
            members.remove(g)
            out.append((t, ("leave", g)))
        elif kind == "join" and out_of:
            g = rng.choice(out_of)
            members.append(g)
            members.sort()
            out.append((t, ("join", g)))
        else:
            out.append((t, ("move", rng.randrange(shards), rng.choice(members))))
        t += rng.uniform(*every)
    return out


# -- the nemesis -------------------------------------------------------------------------------
def capstone_nemesis(
    seed: int,
    servers: Sequence[str],
    everyone: Sequence[str],
    until: float,
    mean_interval: float = 250.0,
    duration: tuple[float, float] = (50.0, 400.0),
) -> Nemesis:
    """Crashes, pauses, partitions, clock skew and loss at once: four independent streams of
    episodes, drawn from ``seed``, none starting after ``until``.

    - crash a server and restart it after a while (the stream keeps one down at a time);
    - pause a server (a long garbage collection);
    - split ``everyone`` (servers and clients) in two at random, then heal;
    - skew a server's clock (offset and rate), then set it right; or a burst of 30% loss.

    Examples
    --------
    >>> n = capstone_nemesis(1, ["a", "b"], ["a", "b", "c"], until=1000.0)
    >>> [type(fault).__name__ for _, fault in n.entries[:3]]
    ['Partition', 'Heal', 'Pause']
    """
    rng = random.Random(f"capstone-nemesis:{seed}")
    nodes = sorted(servers)
    out: list[tuple[float, Fault]] = []
    down: list[tuple[float, float, str]] = []  # the crash stream's (from, to, node)
    for stream in ("crash", "pause", "partition", "clock"):
        t = rng.expovariate(1.0 / mean_interval)
        while t < until:
            length = rng.uniform(*duration)
            node = nodes[rng.randrange(len(nodes))]
            if stream == "crash":
                out += [(t, Crash(node)), (t + length, Restart(node))]
                down.append((t, t + length, node))
            elif stream == "pause":
                if not any(a <= t <= b and n == node for a, b, n in down):  # not while down
                    out.append((t, Pause(node, length)))
            elif stream == "partition":
                shuffled = sorted(everyone)
                rng.shuffle(shuffled)
                cut = 1 + rng.randrange(len(shuffled) - 1)
                sides = (tuple(sorted(shuffled[:cut])), tuple(sorted(shuffled[cut:])))
                out += [(t, Partition(sides)), (t + length, Heal())]
            elif rng.random() < 0.5:
                offset, rate = rng.uniform(-500.0, 500.0), rng.uniform(0.5, 2.0)
                out += [(t, ClockSkew(node, offset, rate)), (t + length, ClockSkew(node))]
            else:
                out += [(t, NetworkChange(loss=0.3)), (t + length, NetworkChange())]
            t += length + rng.expovariate(1.0 / mean_interval)
    return Nemesis(out)


# -- the system and the run --------------------------------------------------------------------
def shardkv_system(
    seed: int = 0,
    *,
    groups: int = 3,
    clients: int = 3,
    ops: int = 20,
    shards: int = 6,
    schedule: Sequence[tuple[float, tuple[Any, ...]]] | None = None,
    keys: int = 3,
    mutant: str | None = None,
    raft: RaftConfig | None = None,
    poll: float = 50.0,
    workloads: Mapping[str, Sequence[tuple[str, Hashable, Any]]] | None = None,
    bank: int = 0,
    transfers: int = 10,
    **client_options: Any,
) -> System:
    """The whole store: the controller group, ``groups`` shard groups, an admin, ``clients``
    clients running ``kv_workload`` on ``keys`` append keys and ``keys`` register keys, and
    ``bank`` bank clients ``b1..`` running ``bank_workload`` (``transfers`` each), or the
    clients of ``workloads`` (client id to its operations).

    Examples
    --------
    >>> sorted(shardkv_system(groups=1, clients=1).nodes)
    ['admin', 'c1', 'ctrl1', 'ctrl2', 'ctrl3', 'g1-1', 'g1-2', 'g1-3']
    """
    check_mutant("shardkv_system", mutant, MUTANTS)
    if not (isinstance(groups, int) and groups >= 1 and isinstance(clients, int) and clients >= 0):
        raise ValueError(
            f"shardkv_system: groups={groups!r} must be an int >= 1, clients={clients!r} >= 0"
        )
    names = [f"g{i}" for i in range(1, groups + 1)]
    servers = {g: group_servers(g) for g in names}
    if schedule is None:
        schedule = [(0.0, ("join", g)) for g in names]
    base = raft or RaftConfig()
    nodes: dict[str, Node[Any]] = {}
    ctrl_config = replace(base, servers=CONTROLLER, machine=ControllerMachine(shards, mutant))
    for server in CONTROLLER:
        nodes[server] = RaftNode(ctrl_config)
    for g in names:
        cfg = replace(base, servers=servers[g], machine=GroupMachine(g, shards, mutant))
        node = ShardKVServer(g, cfg, servers, poll=poll)
        for server in servers[g]:
            nodes[server] = node
    nodes["admin"] = Admin(schedule)
    if workloads is None:
        append_keys = [f"a{i}" for i in range(keys)]
        register_keys = [f"r{i}" for i in range(keys)]
        workloads = {
            f"c{c}": kv_workload(seed, ops, f"c{c}", append_keys, register_keys)
            for c in range(1, clients + 1)
        }
        for b in range(1, bank + 1):
            workloads[f"b{b}"] = bank_workload(seed, transfers, f"b{b}")
    for cid in sorted(workloads):
        work = workloads[cid]
        nodes[cid] = ShardKVClient(work, servers, shards, mutant=mutant, **client_options)
    return System(nodes)


NO_BANK = Outcome(True, detail="no bank clients")
"""The bank verdict of a run without bank clients."""


@dataclass(frozen=True)
class ShardKVRun:
    """What ``run_shardkv`` found.

    Attributes
    ----------
    sim : Simulation
        The finished simulation.
    history : History
        The clients' operations.
    result : ConsistencyResult
        Linearizability, per key.
    final : dict
        The store at the end, from the groups that serve each shard (``final_store``).
    lost, doubled : tuple
        Acknowledged appends missing from ``final``; appends present twice.
    home : Outcome
        One home per shard per configuration (``one_home``).
    settled : Outcome
        After the faults: every operation completed, every shard served by its owner only.
    ops : dict
        How many operations ended ok, info and fail.
    faults : int
        Faults injected (``count_faults``).
    configs : tuple of Config
        The controller's configurations at the end.
    groups : dict
        Group name to its servers.
    bank : Outcome
        The bank total (``bank_total``) if there were bank clients.
    """

    sim: Simulation
    history: History
    result: ConsistencyResult
    final: dict[Hashable, Any]
    lost: tuple[Any, ...]
    doubled: tuple[Any, ...]
    home: Outcome
    settled: Outcome
    ops: dict[str, int]
    faults: int
    configs: tuple[Config, ...]
    groups: dict[str, tuple[str, ...]]
    bank: Outcome = NO_BANK

    @property
    def verdict(self) -> str:
        """``"ok"``, or the first check that failed."""
        if self.result.verdict == "violation":
            return "not linearizable"
        if self.lost or self.doubled:
            return "lost or doubled appends"
        if not self.home.ok:
            return "two homes"
        if not self.bank.ok:
            return "bank total broken"
        if not self.settled.ok:
            return "did not settle"
        return self.result.verdict

    def __repr__(self) -> str:
        return (
            f"ShardKVRun({self.verdict}, ops={self.ops}, faults={self.faults}, "
            f"configs={len(self.configs)}, lost={len(self.lost)}, doubled={len(self.doubled)})"
        )


def run_shardkv(
    seed: int = 0,
    *,
    groups: int = 3,
    clients: int = 3,
    ops: int = 20,
    shards: int = 6,
    keys: int = 3,
    faults: bool = True,
    changes: bool = True,
    nemesis: Nemesis | None = None,
    schedule: Sequence[tuple[float, tuple[Any, ...]]] | None = None,
    network: Network | None = None,
    duration: float | None = None,
    settle: float = 4000.0,
    mutant: str | None = None,
    raft: RaftConfig | None = None,
    time_limit: float | None = 30.0,
    think: float | tuple[float, float] = (0.0, 40.0),
    workloads: Mapping[str, Sequence[tuple[str, Hashable, Any]]] | None = None,
    bank: int = 0,
    transfers: int = 10,
    **client_options: Any,
) -> ShardKVRun:
    """Run the capstone store under the full nemesis while the configuration changes; judge it.

    The clients start at once. Until ``duration`` (default: 60 ms per
    operation, at least 1500), the admin changes the configuration
    (``admin_schedule``, unless ``schedule`` is given or ``changes=False``) and
    the nemesis strikes (``capstone_nemesis`` if ``faults``, or ``nemesis``);
    then every fault is healed, crashed servers restart, clocks are set right,
    and the run goes on ``settle`` ms for the clients to finish and the
    migrations to complete.

    Parameters
    ----------
    seed : int
        Seeds everything: network, timeouts, workload, changes, faults.
    groups, clients, ops, shards, keys : int
        Shard groups (three servers each), clients, operations per client,
        shards, and keys of each kind (append keys ``a0..``, register keys ``r0..``).
    faults : bool, default True
    changes : bool, default True
    nemesis : Nemesis, optional
        Replaces the drawn faults.
    schedule : sequence of (time, op), optional
        Replaces the drawn configuration changes.
    network : Network, optional
        Default: latency uniform on 1-5 ms.
    duration, settle : float
    mutant : str, optional
        A broken version from ``MUTANTS``.
    raft : RaftConfig, optional
        Timeouts of every Raft group (``servers`` and ``machine`` are set here).
    time_limit : float or None
        Seconds the linearizability check may take before saying ``unknown``.
    think : float or (float, float)
        The clients' pause between operations.
    workloads : mapping of str to operations, optional
        The clients and their operations (instead of ``clients`` running ``kv_workload``).
    bank, transfers : int, default 0 and 10
        Bank clients, each making ``transfers`` transfers between ``BANK_ACCOUNTS`` by
        two-phase commit across the groups (``bank_workload``); judged by ``bank_total``.
    **client_options
        Passed to every ``ShardKVClient`` (timeout, retry_delay, give_up).

    Returns
    -------
    ShardKVRun
    """
    check_mutant("run_shardkv", mutant, MUTANTS)
    if duration is None:
        duration = max(1500.0, 60.0 * ops)
    names = [f"g{i}" for i in range(1, groups + 1)]
    if schedule is None:
        if changes:
            schedule = admin_schedule(seed, names, shards, duration - 300.0)
        else:
            schedule = [(0.0, ("join", g)) for g in names]
    system = shardkv_system(
        seed,
        groups=groups,
        clients=clients,
        ops=ops,
        shards=shards,
        schedule=schedule,
        keys=keys,
        mutant=mutant,
        raft=raft,
        think=think,
        workloads=workloads,
        bank=bank,
        transfers=transfers,
        **client_options,
    )
    servers = {g: group_servers(g) for g in names}
    every_server = [*CONTROLLER, *(s for g in names for s in servers[g])]
    if nemesis is None and faults:
        nemesis = capstone_nemesis(seed, every_server, sorted(system.ids), duration - 200.0)
    if network is None:
        network = Network(latency=uniform(1.0, 5.0))
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis)
    horizon = max((t for t, _ in nemesis.entries), default=0.0) if nemesis else 0.0
    end = max(duration, horizon)
    sim.run(until=end)
    n_faults = count_faults(sim)
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    for node in every_server:
        sim.set_clock(node)
    sim.at(end, NetworkChange())  # loss back to the network's own
    sim.run(until=end + settle)
    history = sim.history
    kv_history = History([e for e in history if e.f in KV_FS])
    result = check_linearizable(kv_history, KeyValue(), time_limit=time_limit)
    final = final_store(sim.states, servers)
    lost, doubled = lost_and_doubled(history, final)
    counts = {"ok": 0, "info": 0, "fail": 0}
    for op in history.operations():
        counts[op.status] = counts.get(op.status, 0) + 1
    ctrl = _most_applied(sim.states, CONTROLLER)
    configs: tuple[Config, ...] = ctrl.machine if ctrl is not None else ()  # type: ignore[assignment]
    return ShardKVRun(
        sim,
        history,
        result,
        final,
        lost,
        doubled,
        one_home(sim, servers),
        settled(sim, servers, configs, horizon),
        counts,
        n_faults,
        configs,
        servers,
        bank_total(final, BANK_ACCOUNTS) if bank else NO_BANK,
    )


# -- the checks --------------------------------------------------------------------------------
BANK_ACCOUNTS = ("acct0", "acct1", "acct2", "acct3")
"""The bank clients' accounts (each opens with ``OPENING_BALANCE``)."""


def bank_workload(
    seed: int, n: int, client: str = "b1", accounts: Sequence[str] = BANK_ACCOUNTS
) -> list[tuple[str, Hashable, Any]]:
    """``n`` seeded transfers of 1 to 6 between two different ``accounts``.

    >>> bank_workload(1, 2)
    [('transfer', ('acct0', 'acct1'), 1), ('transfer', ('acct1', 'acct0'), 5)]
    """
    rng = random.Random(f"capstone-bank:{seed}:{client}")
    out: list[tuple[str, Hashable, Any]] = []
    for _ in range(n):
        source, destination = rng.sample(list(accounts), 2)
        out.append(("transfer", (source, destination), rng.randint(1, 6)))
    return out


def bank_total(final: Mapping[Any, Any], accounts: Sequence[str] = BANK_ACCOUNTS) -> Outcome:
    """The bank's invariant in the final store: the balances sum to what the accounts opened
    with, none is negative, and no transfer is left prepared (no account still locked).

    Examples
    --------
    >>> bank_total({"acct0": 12, "acct1": 8}, ["acct0", "acct1"])
    Outcome(ok=True, counterexample_length=None, detail='')
    >>> bank_total({"acct0": 12}, ["acct0", "acct1"]).detail
    'total 22, expected 20'
    """
    balances = {a: final.get(a, OPENING_BALANCE) for a in accounts}
    problems = []
    total, expected = sum(balances.values()), OPENING_BALANCE * len(accounts)
    if total != expected:
        problems.append(f"total {total}, expected {expected}")
    problems += [f"{a} is {b}" for a, b in sorted(balances.items()) if b < 0]
    locked = sorted(k[1] for k in final if isinstance(k, tuple) and k[:1] == ("lock",))
    if locked:
        problems.append(f"still locked: {locked}")
    return Outcome(not problems, len(problems) or None, "; ".join(problems))


def _most_applied(states: Mapping[str, Any], servers: Sequence[str]) -> RaftState | None:
    """The state of the group's leader of the highest term, or of the server that applied most."""
    up = {s: states[s] for s in servers if isinstance(states.get(s), RaftState)}
    if not up:
        return None
    current = leaders(up)
    if current:
        return up[current[max(current)][0]]
    return max(up.values(), key=lambda s: (s.last_applied, s.current_term))


def final_store(
    states: Mapping[str, Any], groups: Mapping[str, tuple[str, ...]]
) -> dict[Hashable, Any]:
    """The store at the end: every key of every shard, from the group that serves the shard
    (or, if none does yet, the group that holds it leaving); each group read from its leader or
    the server that applied most.

    Examples
    --------
    >>> run = run_shardkv(seed=2, clients=1, ops=4, faults=False, changes=False)
    >>> sorted(final_store(run.sim.states, run.groups)) == sorted(run.final)
    True
    """
    out: dict[Hashable, Any] = {}
    leaving: dict[Hashable, Any] = {}
    for g in sorted(groups):
        state = _most_applied(states, groups[g])
        if state is None:
            continue
        m = group_state(state)
        for shard in m.shards:
            target = out if shard.status == "serving" else leaving
            if shard.status in ("serving", "leaving"):
                for key, value in shard.data:
                    target[key] = value
    for key, value in leaving.items():
        out.setdefault(key, value)
    return out


def lost_and_doubled(
    history: History, final: Mapping[Any, Any]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """Acknowledged appends missing from ``final``, and elements present more than once.

    Like ``dslib.raft.kv``'s check, for any keys that received appends (every append adds a
    unique element).

    Examples
    --------
    >>> from dslib.sim.history import History
    >>> h = History()
    >>> h.invoke("c1", "append", (("c1", 0),), time=0.0, key="a0")
    >>> h.complete("c1", "ok", "append", None, time=1.0, key="a0")
    >>> lost_and_doubled(h, {"a0": ()}), lost_and_doubled(h, {"a0": (("c1", 0), ("c1", 0))})
    (((('a0', ('c1', 0)),), ()), ((), (('a0', ('c1', 0)),)))
    """
    appended = {op.key for op in history.operations() if op.f == "append"}
    present: dict[Any, int] = {}
    for key in sorted(appended, key=stable_repr):
        value = final.get(key)
        for element in () if value is None else value:
            present[(key, element)] = present.get((key, element), 0) + 1
    lost = [
        (op.key, element)
        for op in history.operations()
        if op.f == "append" and op.status == "ok"
        for element in op.value
        if present.get((op.key, element), 0) == 0
    ]
    doubled = sorted((k for k, n in present.items() if n > 1), key=stable_repr)
    return tuple(sorted(lost, key=stable_repr)), tuple(doubled)


def installed_configs(
    sim: Simulation, groups: Mapping[str, tuple[str, ...]]
) -> dict[int, dict[Config, tuple[str, ...]]]:
    """Every configuration some replica of some group applied during the run: number ->
    configuration -> the groups that applied it (sorted).

    Examples
    --------
    >>> run = run_shardkv(seed=1, clients=1, ops=2, faults=False, changes=False)
    >>> sorted(installed_configs(run.sim, run.groups))
    [0, 1, 2, 3]
    """
    group_of = {s: g for g, servers in groups.items() for s in servers}
    seen: dict[int, dict[Config, set[str]]] = {}
    for e in sim.trace.of_kind("init", "state", "restart"):
        g = group_of.get(str(e.node))
        if g is None or not isinstance(e.data, RaftState):
            continue
        config = group_state(e.data).config
        seen.setdefault(config.num, {}).setdefault(config, set()).add(g)
    return {
        n: {c: tuple(sorted(gs)) for c, gs in sorted(by.items(), key=lambda x: stable_repr(x[0]))}
        for n, by in sorted(seen.items())
    }


def one_home(sim: Simulation, groups: Mapping[str, tuple[str, ...]]) -> Outcome:
    """Every shard has one home per configuration: no two groups act on two versions of one
    configuration number that give one shard to two groups.

    The counterexample length is the number of (configuration, shard) pairs with two homes.

    Examples
    --------
    >>> run = run_shardkv(seed=1, clients=1, ops=2, faults=False)
    >>> one_home(run.sim, run.groups)
    Outcome(ok=True, counterexample_length=None, detail='')
    """
    installed = {n: list(versions) for n, versions in installed_configs(sim, groups).items()}
    problems = [
        f"shard {shard} in configuration {num}: groups {list(owners)}"
        for num, shard, owners in two_homes(installed)
    ]
    return Outcome(not problems, len(problems) or None, "; ".join(problems))


def two_homes(
    installed: Mapping[int, Sequence[Config]],
) -> list[tuple[int, int, tuple[str, ...]]]:
    """The shards that two versions of one configuration number give to different groups:
    ``(number, shard, the groups)``, sorted.

    Examples
    --------
    >>> a, b = Config(2, ("g1", "g2"), ("g1", "g2")), Config(2, ("g1", "g3"), ("g1", "g3"))
    >>> two_homes({2: [a, b]})
    [(2, 1, ('g2', 'g3'))]
    >>> two_homes({2: [a, a]})
    []
    """
    out = []
    for num in sorted(installed):
        versions = installed[num]
        if len({c.shards for c in versions}) < 2:
            continue
        for shard in range(len(versions[0].shards)):
            owners = tuple(sorted({str(c.shards[shard]) for c in versions}))
            if len(owners) > 1:
                out.append((num, shard, owners))
    return out


def settled(
    sim: Simulation,
    groups: Mapping[str, tuple[str, ...]],
    configs: Sequence[Config],
    faults_end: float,
) -> Outcome:
    """Once the faults are over, every operation completes: one invoked after the faults'
    end must succeed (one invoked during the faults may have given up, ``info``), and none is
    left open at the end; every group has reached the latest configuration, and every
    shard is held and served by its owner there and by no one else.

    Examples
    --------
    >>> run = run_shardkv(seed=1, clients=1, ops=3, faults=False)
    >>> run.settled.ok
    True
    """
    problems = []
    open_ops = [
        op
        for op in sim.history.operations()
        if op.status != "ok" and (op.invoke_time >= faults_end or op.complete_time == math.inf)
    ]
    if open_ops:
        problems.append(f"{len(open_ops)} operations did not complete after the faults")
    if not configs:
        problems.append("the controller has no state")
    else:
        latest = configs[-1]
        for g in sorted(groups):
            state = _most_applied(sim.states, groups[g])
            if state is None:
                problems.append(f"group {g} is down")
                continue
            m = group_state(state)
            if m.config != latest:
                problems.append(f"group {g} is at configuration {m.config.num} of {latest.num}")
                continue
            for i, shard in enumerate(m.shards):
                mine = latest.shards[i] == g
                if (shard.status == "serving") != mine or (not mine and shard.status != "absent"):
                    problems.append(f"group {g} holds shard {i} as {shard.status}")
    return Outcome(not problems, len(problems) or None, "; ".join(problems))
