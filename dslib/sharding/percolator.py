"""Cross-shard transactions with a timestamp oracle and a primary lock (Percolator).

Percolator (Peng and Dabek 2010) adds snapshot-isolation transactions to a store that
only offers atomic operations on one row (Bigtable). Every key has three columns: ``data``
(values by the start timestamp of the transaction that wrote them), ``lock`` (the lock of a
transaction that is committing, with the key of its *primary* lock) and ``write`` (commit
records: commit timestamp -> start timestamp of the data they make visible). The paper's
Figure 6 gives the protocol as pseudocode; here it is, step by step:

- A transaction takes a **start timestamp** from the timestamp oracle (``Oracle``) and
  reads every key at it: the latest commit record at or below the start timestamp names the
  value. A lock at or below the start timestamp means a transaction that may commit below
  our snapshot is in flight: the reader waits (``visible``).
- **Prewrite**: it locks its first written key (the primary), then the others (secondaries,
  each naming the primary), writing the data beside the lock. A prewrite fails if the key
  has a commit record at or above the start timestamp (someone wrote after our snapshot: a
  write-write conflict) or any lock (``prewrite_conflict``).
- **Commit**: it takes a **commit timestamp** from the oracle, then replaces the primary's
  lock with a commit record, *if the lock is still there*. That single-row operation is
  the commit point. Then it does the same for the secondaries.
- A client may crash anywhere. A reader that finds a lock older than ``LOCK_TTL`` checks
  the transaction's primary (``resolve``): if the primary has a commit record for the
  transaction, the reader **rolls forward** the lock it found (writes the commit record);
  if the primary is still locked, it rolls the primary back first (erases its lock), then
  the lock it found; if neither, the transaction was rolled back already.

The store is two ``KeyShard`` nodes (accounts ``a``, ``b`` on ``s1``, ``c``, ``d`` on
``s2``), the ``Oracle``, and ``BankClient`` nodes that run transfers (read two accounts,
write both) and audits (read all four, check the total). A client crashes, as a model of
a process that dies, after its prewrites or after committing the primary, with
probability ``crash``; it then restarts and runs its next transaction, leaving its locks
for readers to clean up.

The history goes to ``dslib.consistency.isolation.check_isolation`` (chapter 8) with the
``rw-register`` workload: every written value is ``(balance, writer)``, so each write is
unique and each transfer reads the versions it overwrites, which tells the checker the
order of the versions.

Examples
--------
>>> run = run_percolator(seed=1)
>>> check_isolation(run.history, workload="rw-register", level="snapshot-isolation").ok
True
>>> sorted({sum(b for b, _ in audit_balances(t)) for t in run.history if is_audit(t)})
[400]
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency.isolation import Txn, check_isolation
from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "ACCOUNTS",
    "INITIAL_BALANCE",
    "LOCK_TTL",
    "PERCOLATOR_MUTANTS",
    "PLACEMENT",
    "BankClient",
    "KeyShard",
    "Lock",
    "Oracle",
    "PercolatorRun",
    "Row",
    "audit_balances",
    "audit_totals",
    "final_balances",
    "is_audit",
    "percolator_checks",
    "percolator_mutants",
    "prewrite_conflict",
    "read_rule",
    "resolve",
    "run_percolator",
    "visible",
]

PLACEMENT: dict[str, str] = {"a": "s1", "b": "s1", "c": "s2", "d": "s2"}
"""Which shard holds each account."""

ACCOUNTS: tuple[str, ...] = tuple(sorted(PLACEMENT))
INITIAL_BALANCE = 100
"""Every account starts with 100, written by the setup transaction at timestamp 0."""

LOCK_TTL = 12.0
"""A lock older than this (in simulated time units) is taken as left by a crashed client."""

BACKOFF = 1.0
RESTART = 3.0

PERCOLATOR_MUTANTS: dict[str, str] = {
    "reads_ignore_locks": (
        "a read returns the latest commit record below its start timestamp even when a lock "
        "below it is pending (read skew)"
    ),
    "no_write_conflict_check": (
        "prewrite does not check for a commit record at or above the start timestamp (lost update)"
    ),
    "commit_ts_is_start_ts": (
        "the commit timestamp is the start timestamp instead of a new one from the oracle"
    ),
    "rollback_without_primary": (
        "a reader rolls back an expired secondary lock without checking the primary, which "
        "may have committed (atomicity broken)"
    ),
}
"""Broken versions, by name, with what is wrong."""


# == the row and its rules ====================================================================
@dataclass(frozen=True)
class Lock:
    """A pending lock: the transaction's start timestamp, its primary key, and when the lock
    was written (shard time, for its age)."""

    start_ts: int
    primary: str
    since: float = 0.0


@dataclass(frozen=True)
class Row:
    """One key's three columns: ``data`` ((start_ts, value) pairs), ``lock`` and ``write``
    ((commit_ts, start_ts) pairs), both sorted by timestamp.

    >>> Row(data=((0, 5),), write=((0, 0),)).as_dict()
    {'data': {0: 5}, 'lock': None, 'write': {0: 0}}
    """

    data: tuple[tuple[int, Any], ...] = ()
    lock: Lock | None = None
    write: tuple[tuple[int, int], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The row as the exercise ``ch13.percolator_read`` sees it: ``data`` and ``write``
        as dicts, ``lock`` as ``(start_ts, primary)`` or ``None``."""
        lock = None if self.lock is None else (self.lock.start_ts, self.lock.primary)
        return {"data": dict(self.data), "lock": lock, "write": dict(self.write)}


def visible(row: Row, start_ts: int, ignore_locks: bool = False) -> tuple[Any, ...]:
    """What a read at ``start_ts`` finds in one row (Figure 6, ``Get``).

    Returns ``("locked", lock)`` if a lock at or below ``start_ts`` is pending, else
    ``("value", v)`` with ``v`` the data named by the latest commit record at or below
    ``start_ts`` (``None`` if there is none).

    >>> row = Row(data=((1, "x1"), (5, "x5")), write=((3, 1),), lock=Lock(5, "x"))
    >>> visible(row, 4), visible(row, 6)[0]
    (('value', 'x1'), 'locked')
    """
    if row.lock is not None and row.lock.start_ts <= start_ts and not ignore_locks:
        return ("locked", row.lock)
    commits = [(c, s) for c, s in row.write if c <= start_ts]
    if not commits:
        return ("value", None)
    data_ts = max(commits)[1]
    return ("value", dict(row.data)[data_ts])


def prewrite_conflict(row: Row, start_ts: int, check_writes: bool = True) -> bool:
    """Whether a prewrite at ``start_ts`` must abort: a commit record at or above
    ``start_ts`` (a write after our snapshot), or any lock.

    >>> prewrite_conflict(Row(write=((7, 6),)), 5), prewrite_conflict(Row(), 5)
    (True, False)
    """
    if check_writes and any(c >= start_ts for c, _ in row.write):
        return True
    return row.lock is not None


def resolve(primary_row: Row, lock_ts: int) -> tuple[Any, ...]:
    """What the primary says about the transaction that started at ``lock_ts``, once its
    locks are stale: ``("roll-forward", commit_ts)`` if the primary holds its commit
    record, else ``("roll-back",)`` (its lock is still there, to be erased first, or it was
    rolled back already).

    >>> resolve(Row(write=((9, 4),)), 4), resolve(Row(lock=Lock(4, "a")), 4)
    (('roll-forward', 9), ('roll-back',))
    """
    for commit_ts, start_ts in primary_row.write:
        if start_ts == lock_ts:
            return ("roll-forward", commit_ts)
    return ("roll-back",)


def read_rule(
    row: Mapping[str, Any], start_ts: int, primary_row: Mapping[str, Any] | None, expired: bool
) -> tuple[Any, ...]:
    """The whole decision of a reader, on rows given as dicts (``Row.as_dict``): the reference
    answer of exercise ``ch13.percolator_read``.

    Returns ``("value", v)``, ``("wait",)`` (a pending lock that is not stale: back off and
    read again), ``("roll-forward", commit_ts)`` or ``("roll-back",)`` (a stale lock, after
    looking at ``primary_row``, the row of the lock's primary key).

    >>> row = {"data": {3: 10, 6: 20}, "lock": (6, "a"), "write": {4: 3}}
    >>> read_rule(row, 5, None, False), read_rule(row, 7, row, False)
    (('value', 10), ('wait',))
    >>> read_rule(row, 7, {"data": {}, "lock": None, "write": {8: 6}}, True)
    ('roll-forward', 8)
    """
    lock = row["lock"]
    if lock is not None and lock[0] <= start_ts:
        if not expired:
            return ("wait",)
        if primary_row is None:
            raise ValueError("read_rule: a stale lock needs primary_row, the primary's row")
        for commit_ts, data_ts in primary_row["write"].items():
            if data_ts == lock[0]:
                return ("roll-forward", commit_ts)
        return ("roll-back",)
    commits = [c for c in row["write"] if c <= start_ts]
    if not commits:
        return ("value", None)
    return ("value", row["data"][row["write"][max(commits)]])


# == messages ===================================================================================
@dataclass(frozen=True)
class GetTimestamp:
    """Client to oracle: a new timestamp for transaction ``tx``, purpose ``what``."""

    tx: int
    what: str


@dataclass(frozen=True)
class Timestamp:
    """Oracle to client: the timestamp ``ts``."""

    tx: int
    what: str
    ts: int


@dataclass(frozen=True)
class Read:
    """Client to shard: read ``key`` at ``start_ts``."""

    tx: int
    key: str
    start_ts: int


@dataclass(frozen=True)
class ReadReply:
    """Shard to client: ``("value", v)`` or ``("locked", lock, age)``."""

    tx: int
    key: str
    found: tuple[Any, ...]


@dataclass(frozen=True)
class Prewrite:
    """Client to shard: lock ``key`` for the transaction of ``start_ts`` and write ``value``."""

    tx: int
    key: str
    start_ts: int
    primary: str
    value: Any


@dataclass(frozen=True)
class CommitRow:
    """Client to shard: replace the lock of ``start_ts`` on ``key`` by a commit record."""

    tx: int
    key: str
    start_ts: int
    commit_ts: int


@dataclass(frozen=True)
class ResolvePrimary:
    """Reader to the primary's shard: the transaction of ``lock_ts`` left stale locks; roll
    its primary back if still locked, and say whether it committed."""

    tx: int
    key: str
    primary: str
    lock_ts: int


@dataclass(frozen=True)
class Cleanup:
    """Reader (or aborting client) to shard: roll the lock of ``lock_ts`` on ``key`` forward
    to ``commit_ts``, or back if ``commit_ts`` is None."""

    tx: int
    key: str
    lock_ts: int
    commit_ts: int | None


@dataclass(frozen=True)
class Reply:
    """Shard to client: the outcome of a prewrite, commit, resolve or cleanup of ``key``."""

    tx: int
    kind: str
    key: str
    ok: bool
    commit_ts: int | None = None


# == nodes ======================================================================================
class Oracle(Node[int]):
    """The timestamp oracle: strictly increasing timestamps, from 1 (0 is the setup's).

    >>> ctx = Context("tso", ["tso", "c1"])
    >>> Oracle().on_message(ctx, 1, "c1", GetTimestamp(1, "start")), ctx.sent
    (2, [('c1', Timestamp(tx=1, what='start', ts=1))])
    """

    def init(self, ctx: Context) -> int:
        return 1

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, GetTimestamp):
            ctx.send(src, Timestamp(msg.tx, msg.what, state))
            return state + 1
        return state


def _setup_row() -> Row:
    return Row(data=((0, (INITIAL_BALANCE, "setup")),), write=((0, 0),))


@dataclass(frozen=True)
class ShardState:
    """The shard's rows, ``(key, Row)`` sorted by key."""

    rows: tuple[tuple[str, Row], ...] = ()

    def row(self, key: str) -> Row:
        """The row of ``key`` (an empty row if it was never written)."""
        return dict(self.rows).get(key, Row())

    def put(self, key: str, row: Row) -> ShardState:
        """The state with ``key``'s row replaced."""
        rows = dict(self.rows)
        rows[key] = row
        return ShardState(tuple(sorted(rows.items())))


class KeyShard(Node[ShardState]):
    """A shard of Bigtable-like rows; each message is one atomic single-row operation.

    Parameters
    ----------
    keys : sequence of str
        The accounts it holds (each starts at ``INITIAL_BALANCE``).
    mutant : str, optional
        From ``PERCOLATOR_MUTANTS`` (the shard uses ``reads_ignore_locks`` and
        ``no_write_conflict_check``).

    Examples
    --------
    >>> shard = KeyShard(["a"])
    >>> ctx = Context("s1", ["s1", "c1"])
    >>> s = shard.on_message(ctx, shard.init(ctx), "c1", Prewrite(1, "a", 5, "a", (90, "T")))
    >>> s.row("a").lock, ctx.sent[0][1].ok
    (Lock(start_ts=5, primary='a', since=0.0), True)
    """

    def __init__(self, keys: Sequence[str], mutant: str | None = None) -> None:
        self.keys = tuple(sorted(keys))
        self.mutant = check_mutant("KeyShard", mutant, PERCOLATOR_MUTANTS)

    def init(self, ctx: Context) -> ShardState:
        return ShardState(tuple((k, _setup_row()) for k in self.keys))

    def on_message(self, ctx: Context, state: ShardState, src: str, msg: Any) -> ShardState:
        if isinstance(msg, Read):
            found = visible(state.row(msg.key), msg.start_ts, self.mutant == "reads_ignore_locks")
            if found[0] == "locked":
                found = (*found, ctx.now - found[1].since)
            ctx.send(src, ReadReply(msg.tx, msg.key, found))
            return state
        if isinstance(msg, Prewrite):
            row = state.row(msg.key)
            check = self.mutant != "no_write_conflict_check"
            if prewrite_conflict(row, msg.start_ts, check_writes=check):
                ctx.send(src, Reply(msg.tx, "prewrite", msg.key, False))
                return state
            data = tuple(sorted({**dict(row.data), msg.start_ts: msg.value}.items()))
            row = replace(row, data=data, lock=Lock(msg.start_ts, msg.primary, ctx.now))
            ctx.send(src, Reply(msg.tx, "prewrite", msg.key, True))
            return state.put(msg.key, row)
        if isinstance(msg, CommitRow):
            row = state.row(msg.key)
            if row.lock is None or row.lock.start_ts != msg.start_ts:
                # The lock is gone: committed already (a roll-forward) or rolled back.
                done = any(s == msg.start_ts for _, s in row.write)
                ctx.send(src, Reply(msg.tx, "commit", msg.key, done))
                return state
            write = tuple(sorted((*row.write, (msg.commit_ts, msg.start_ts))))
            ctx.send(src, Reply(msg.tx, "commit", msg.key, True))
            return state.put(msg.key, replace(row, lock=None, write=write))
        if isinstance(msg, ResolvePrimary):
            row = state.row(msg.primary)
            if row.lock is not None and row.lock.start_ts == msg.lock_ts:
                state = state.put(msg.primary, _rolled_back(row))
                row = state.row(msg.primary)
            outcome = resolve(row, msg.lock_ts)
            commit_ts = outcome[1] if outcome[0] == "roll-forward" else None
            ctx.send(src, Reply(msg.tx, "resolve", msg.key, True, commit_ts))
            return state
        if isinstance(msg, Cleanup):
            row = state.row(msg.key)
            if row.lock is not None and row.lock.start_ts == msg.lock_ts:
                if msg.commit_ts is None:
                    row = _rolled_back(row)
                else:
                    write = tuple(sorted((*row.write, (msg.commit_ts, msg.lock_ts))))
                    row = replace(row, lock=None, write=write)
                state = state.put(msg.key, row)
            ctx.send(src, Reply(msg.tx, "cleanup", msg.key, True))
            return state
        return state


def _rolled_back(row: Row) -> Row:
    assert row.lock is not None
    data = tuple((ts, v) for ts, v in row.data if ts != row.lock.start_ts)
    return replace(row, lock=None, data=data)


@dataclass(frozen=True)
class ClientState:
    """A client's transaction in progress and its history so far.

    ``phase``: ``start``, ``read``, ``prewrite-primary``, ``prewrite-secondaries``,
    ``commit-ts``, ``commit-primary``, ``restarting``, ``done``.
    """

    tx: int = 0
    phase: str = "start"
    began: float = 0.0
    start_ts: int = 0
    commit_ts: int = 0
    reads: tuple[tuple[str, Any], ...] = ()
    resolving: tuple[tuple[str, int], ...] = ()
    prewritten: tuple[str, ...] = ()
    history: tuple[Txn, ...] = ()
    crashed: tuple[tuple[int, int, str], ...] = ()


class BankClient(Node[ClientState]):
    """Runs ``transactions`` transactions: transfers between two accounts, and audits.

    Parameters
    ----------
    number : int
        The client's number (names its transactions and seeds their choice).
    transactions : int
        How many to run.
    seed : int
    crash : float
        Probability that a transfer's client crashes after its prewrites or after its
        primary commit (each half the time).
    mutant : str, optional
        From ``PERCOLATOR_MUTANTS`` (the client uses ``commit_ts_is_start_ts`` and
        ``rollback_without_primary``).
    """

    def __init__(
        self, number: int, transactions: int, seed: int, crash: float, mutant: str | None = None
    ) -> None:
        self.number = number
        self.transactions = transactions
        self.seed = seed
        self.crash = crash
        self.mutant = check_mutant("BankClient", mutant, PERCOLATOR_MUTANTS)

    # -- the plan of transaction tx -------------------------------------------------------
    def plan(self, tx: int) -> tuple[str, tuple[str, ...], int, str | None]:
        """``(kind, accounts, amount, crash point)`` of transaction ``tx``: an audit of every
        account, or a transfer of ``amount`` from the first account to the second."""
        rng = random.Random(f"percolator:{self.seed}:{self.number}:{tx}")
        if rng.random() < 0.3:
            return ("audit", ACCOUNTS, 0, None)
        src, dst = rng.sample(ACCOUNTS, 2)
        amount = rng.randint(1, 20)
        crash = None
        if rng.random() < self.crash:
            crash = rng.choice(("after-prewrite", "after-primary"))
        return ("transfer", (src, dst), amount, crash)

    def name(self, tx: int) -> str:
        """The writer's name in written values: ``T<client>.<tx>``."""
        return f"T{self.number}.{tx}"

    def _begin(self, ctx: Context, state: ClientState, tx: int) -> ClientState:
        if tx > self.transactions:
            return replace(state, tx=tx, phase="done")
        ctx.send("tso", GetTimestamp(tx, "start"))
        return ClientState(
            tx=tx, phase="start", began=ctx.now, history=state.history, crashed=state.crashed
        )

    def _finish(self, ctx: Context, state: ClientState, kind: str) -> ClientState:
        plan = self.plan(state.tx)
        reads = dict(state.reads)
        ops: list[tuple[Any, ...]] = [("r", k, reads.get(k)) for k in plan[1]]
        ops += [("w", k, v) for k, v in self._writes(state).items()]
        txn = Txn(ctx.id, tuple(ops), kind, state.began, ctx.now)
        done = replace(state, history=(*state.history, txn))
        return self._begin(ctx, done, state.tx + 1)

    def _writes(self, state: ClientState) -> dict[str, Any]:
        kind, accounts, amount, _ = self.plan(state.tx)
        if kind == "audit" or len(state.reads) < len(accounts):
            return {}
        reads = dict(state.reads)
        src, dst = accounts
        name = self.name(state.tx)
        return {
            src: (reads[src][0] - amount, name),
            dst: (reads[dst][0] + amount, name),
        }

    def _crash(self, ctx: Context, state: ClientState) -> ClientState:
        reads = dict(state.reads)
        plan = self.plan(state.tx)
        ops = [("r", k, reads.get(k)) for k in plan[1]]
        ops += [("w", k, v) for k, v in self._writes(state).items()]
        txn = Txn(ctx.id, tuple(ops), "info", state.began, None)
        ctx.set_timer(("restart", state.tx), RESTART)
        primary = min(self._writes(state))
        crashed = (*state.crashed, (len(state.history), state.start_ts, primary))
        return replace(state, phase="restarting", history=(*state.history, txn), crashed=crashed)

    # -- handlers ---------------------------------------------------------------------------
    def init(self, ctx: Context) -> ClientState:
        return self._begin(ctx, ClientState(), 1)

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        what, tx, *rest = timer
        if tx != state.tx:
            return state
        if what == "restart" and state.phase == "restarting":
            return self._begin(ctx, state, state.tx + 1)
        if what == "retry" and state.phase == "read":
            (key,) = rest
            ctx.send(PLACEMENT[key], Read(tx, key, state.start_ts))
        return state

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if getattr(msg, "tx", None) != state.tx:
            return state  # a reply to a transaction this client has left (or crashed in)
        _, accounts, _, crash = self.plan(state.tx)
        if isinstance(msg, Timestamp) and state.phase == "start":
            for key in accounts:
                ctx.send(PLACEMENT[key], Read(state.tx, key, msg.ts))
            return replace(state, phase="read", start_ts=msg.ts)
        if isinstance(msg, ReadReply) and state.phase == "read":
            return self._on_read(ctx, state, msg)
        if isinstance(msg, Reply) and msg.kind in ("resolve", "cleanup"):
            return self._on_cleanup(ctx, state, msg)
        writes = sorted(self._writes(state).items())
        primary = writes[0][0] if writes else ""
        if isinstance(msg, Reply) and msg.kind == "prewrite":
            if not msg.ok:
                return self._abort(ctx, state)
            state = replace(state, prewritten=(*state.prewritten, msg.key))
            if state.phase == "prewrite-primary":
                for key, value in writes[1:]:
                    ctx.send(
                        PLACEMENT[key], Prewrite(state.tx, key, state.start_ts, primary, value)
                    )
                return replace(state, phase="prewrite-secondaries")
            if len(state.prewritten) < len(writes):
                return state
            if crash == "after-prewrite":
                return self._crash(ctx, state)
            if self.mutant == "commit_ts_is_start_ts":
                return self._commit_primary(ctx, state, state.start_ts, primary)
            ctx.send("tso", GetTimestamp(state.tx, "commit"))
            return replace(state, phase="commit-ts")
        if isinstance(msg, Timestamp) and state.phase == "commit-ts":
            return self._commit_primary(ctx, state, msg.ts, primary)
        if isinstance(msg, Reply) and msg.kind == "commit" and state.phase == "commit-primary":
            if not msg.ok:  # a reader rolled us back: the transaction aborted
                return self._finish(ctx, state, "fail")
            if crash == "after-primary":
                return self._crash(ctx, state)
            for key, _ in writes[1:]:
                ctx.send(PLACEMENT[key], CommitRow(state.tx, key, state.start_ts, state.commit_ts))
            return self._finish(ctx, state, "ok")
        return state

    def _commit_primary(
        self, ctx: Context, state: ClientState, commit_ts: int, primary: str
    ) -> ClientState:
        ctx.send(PLACEMENT[primary], CommitRow(state.tx, primary, state.start_ts, commit_ts))
        return replace(state, phase="commit-primary", commit_ts=commit_ts)

    def _abort(self, ctx: Context, state: ClientState) -> ClientState:
        # Roll back our own locks (tx -1: nobody waits for the replies). A prewrite still in
        # flight may land later; its lock goes stale and a reader rolls it back by the primary.
        for key in state.prewritten:
            ctx.send(PLACEMENT[key], Cleanup(-1, key, state.start_ts, None))
        return self._finish(ctx, state, "fail")

    def _on_read(self, ctx: Context, state: ClientState, msg: ReadReply) -> ClientState:
        if msg.found[0] == "value":
            reads = tuple(sorted((*state.reads, (msg.key, msg.found[1]))))
            state = replace(state, reads=reads)
            kind, accounts, _, _ = self.plan(state.tx)
            if len(reads) < len(accounts):
                return state
            if kind == "audit":
                return self._finish(ctx, state, "ok")
            writes = sorted(self._writes(state).items())
            primary, value = writes[0]
            ctx.send(
                PLACEMENT[primary], Prewrite(state.tx, primary, state.start_ts, primary, value)
            )
            return replace(state, phase="prewrite-primary")
        _, lock, age = msg.found
        if age <= LOCK_TTL:
            ctx.set_timer(("retry", state.tx, msg.key), BACKOFF)
            return state
        if self.mutant == "rollback_without_primary" and lock.primary != msg.key:
            ctx.send(PLACEMENT[msg.key], Cleanup(state.tx, msg.key, lock.start_ts, None))
            return state
        ctx.send(
            PLACEMENT[lock.primary], ResolvePrimary(state.tx, msg.key, lock.primary, lock.start_ts)
        )
        return replace(state, resolving=(*state.resolving, (msg.key, lock.start_ts)))

    def _on_cleanup(self, ctx: Context, state: ClientState, msg: Reply) -> ClientState:
        if state.phase != "read":
            return state
        if msg.kind == "resolve":
            tag = next((r for r in state.resolving if r[0] == msg.key), None)
            if tag is None:
                return state
            resolving = tuple(r for r in state.resolving if r != tag)
            ctx.send(PLACEMENT[msg.key], Cleanup(state.tx, msg.key, tag[1], msg.commit_ts))
            return replace(state, resolving=resolving)
        ctx.send(PLACEMENT[msg.key], Read(state.tx, msg.key, state.start_ts))
        return state


# == runs ======================================================================================
@dataclass(frozen=True)
class PercolatorRun:
    """A finished run: the simulation, and the history (the setup transaction first, then
    every client's transactions in completion order; crashed ones last, as ``info``)."""

    simulation: Simulation
    history: tuple[Txn, ...]


def _setup_txn() -> Txn:
    ops = tuple(("w", k, (INITIAL_BALANCE, "setup")) for k in ACCOUNTS)
    return Txn("setup", ops, "ok", 0.0, 0.0)


def run_percolator(
    seed: int = 0,
    clients: int = 3,
    transactions: int = 6,
    crash: float = 0.3,
    mutant: str | None = None,
) -> PercolatorRun:
    """Run ``clients`` bank clients of ``transactions`` transactions each on two shards.

    Parameters
    ----------
    seed : int
    clients, transactions : int
        At least 1.
    crash : float
        Probability that a transfer's client crashes between prewrite and the end of commit.
    mutant : str, optional
        From ``PERCOLATOR_MUTANTS``.

    Returns
    -------
    PercolatorRun

    Raises
    ------
    ValueError
        For a count below 1, a crash probability outside [0, 1] or an unknown mutant.

    Examples
    --------
    >>> run = run_percolator(seed=3, clients=1, transactions=2, crash=0.0)
    >>> [t.type for t in run.history]
    ['ok', 'ok', 'ok']
    """
    for name, n in (("clients", clients), ("transactions", transactions)):
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise ValueError(f"run_percolator: {name}={n!r} must be an int >= 1")
    if not (isinstance(crash, (int, float)) and not isinstance(crash, bool) and 0 <= crash <= 1):
        raise ValueError(f"run_percolator: crash={crash!r} must be a probability in [0, 1]")
    check_mutant("run_percolator", mutant, PERCOLATOR_MUTANTS)
    nodes: dict[str, Node[Any]] = {"tso": Oracle()}
    for shard in sorted(set(PLACEMENT.values())):
        keys = [k for k, s in PLACEMENT.items() if s == shard]
        nodes[shard] = KeyShard(keys, mutant=mutant)
    for c in range(1, clients + 1):
        nodes[f"c{c}"] = BankClient(c, transactions, seed, float(crash), mutant=mutant)
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=uniform(0.5, 2.0)))
    sim.run(until=60.0 * transactions)
    rows = _rows(sim)
    txns = []
    for c in range(1, clients + 1):
        state = sim.states[f"c{c}"]
        history = list(state.history)
        for index, start_ts, primary in state.crashed:
            # The crash left the outcome to the primary: committed if it holds the commit
            # record; otherwise the first reader that resolves the locks rolls it back.
            committed = resolve(rows[primary], start_ts)[0] == "roll-forward"
            history[index] = replace(history[index], type="ok" if committed else "fail")
        txns += history
    txns.sort(key=lambda t: (t.end is None, t.end or 0.0, str(t.process)))
    return PercolatorRun(sim, (_setup_txn(), *txns))


def _rows(sim: Simulation) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for shard in sorted(set(PLACEMENT.values())):
        rows.update(dict(sim.states[shard].rows))
    return rows


def is_audit(txn: Txn) -> bool:
    """Whether ``txn`` is a committed audit (reads of every account, no write).

    >>> is_audit(Txn("c1", tuple(("r", k, (100, "setup")) for k in ACCOUNTS)))
    True
    """
    return txn.type == "ok" and not txn.writes() and len(txn.ops) == len(ACCOUNTS)


def audit_balances(txn: Txn) -> list[tuple[int, str]]:
    """The ``(balance, writer)`` values an audit read, in account order."""
    return [v for _, _, v in txn.ops]


def audit_totals(run: PercolatorRun) -> list[tuple[float, int]]:
    """``(time, total)`` of every committed audit of the run, in completion order."""
    return [
        (float(t.end or 0.0), sum(b for b, _ in audit_balances(t)))
        for t in run.history
        if is_audit(t)
    ]


def final_balances(run: PercolatorRun, mutant: str | None = None) -> dict[str, int]:
    """Every account's balance at the end, after resolving the locks that crashed clients
    left (as a reader would: by the primary, or blindly under ``rollback_without_primary``).

    >>> final_balances(run_percolator(seed=1, clients=1, transactions=1, crash=0.0))
    {'a': 113, 'b': 87, 'c': 100, 'd': 100}
    """
    rows = _rows(run.simulation)
    out = {}
    for key in ACCOUNTS:
        row = rows[key]
        if row.lock is not None:
            blind = mutant == "rollback_without_primary" and row.lock.primary != key
            primary = rows[row.lock.primary]
            outcome = ("roll-back",) if blind else resolve(primary, row.lock.start_ts)
            if outcome[0] == "roll-forward":
                row = replace(row, lock=None, write=(*row.write, (outcome[1], row.lock.start_ts)))
            else:
                row = _rolled_back(row)
        found = visible(row, 10**9)
        out[key] = found[1][0]
    return out


# == checks and mutants ======================================================================
def percolator_checks(seeds: Sequence[int] = (1, 2, 3, 4, 5, 6)) -> dict[str, Any]:
    """The checks, by name, each over runs of 3 clients of 6 transactions (crash 0.3) on each
    seed; each returns the first failing run's outcome.

    - ``"snapshot-isolation"``: ``check_isolation(workload="rw-register",
      level="snapshot-isolation")`` accepts the history (the counterexample length: the
      transactions in the anomaly's cycle);
    - ``"audits see the total"``: every committed audit read balances summing to 400;
    - ``"money conserved"``: the final balances, after readers resolve the crashed clients'
      locks, sum to 400.

    >>> sorted(percolator_checks(seeds=[1]))
    ['audits see the total', 'money conserved', 'snapshot-isolation']
    """
    chosen = list(seeds)
    if not chosen:
        raise ValueError("percolator_checks: give at least one seed")
    total = INITIAL_BALANCE * len(ACCOUNTS)

    def runs(mutant: str | None) -> list[tuple[int, PercolatorRun]]:
        return [(s, run_percolator(s, mutant=mutant)) for s in chosen]

    def snapshot(mutant: str | None) -> Outcome:
        for seed, run in runs(mutant):
            result = check_isolation(
                run.history, workload="rw-register", level="snapshot-isolation"
            )
            if result.ok is not True:
                bad = result.violations
                cycle = len(bad[0].cycle) if bad and bad[0].cycle else None
                names = ", ".join(a.name for a in bad) or "unknown (version order not shown)"
                return Outcome(False, cycle, f"seed {seed}: {names}")
        return Outcome(True)

    def audits(mutant: str | None) -> Outcome:
        for seed, run in runs(mutant):
            wrong = [s for _, s in audit_totals(run) if s != total]
            if wrong:
                return Outcome(False, None, f"seed {seed}: an audit saw a total of {wrong[0]}")
        return Outcome(True)

    def conserved(mutant: str | None) -> Outcome:
        for seed, run in runs(mutant):
            end = sum(final_balances(run, mutant).values())
            if end != total:
                return Outcome(False, None, f"seed {seed}: the accounts end with {end}")
        return Outcome(True)

    return {
        "snapshot-isolation": snapshot,
        "audits see the total": audits,
        "money conserved": conserved,
    }


_CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "reads_ignore_locks": ("audits see the total",),
    "no_write_conflict_check": ("money conserved",),
    "commit_ts_is_start_ts": ("snapshot-isolation",),
    "rollback_without_primary": ("money conserved",),
}


def percolator_mutants() -> list[Mutant[str | None]]:
    """The broken versions of ``PERCOLATOR_MUTANTS``, with the check that must catch each.

    >>> [m.name for m in percolator_mutants()][:2]
    ['reads_ignore_locks', 'no_write_conflict_check']
    """
    return [Mutant(n, bug, _constant(n), _CAUGHT_BY[n]) for n, bug in PERCOLATOR_MUTANTS.items()]


def _constant(name: str | None) -> Any:
    return lambda: name
