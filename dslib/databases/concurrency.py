"""Concurrency control: the algorithms behind the isolation levels, rule by rule.

A transactional store decides, for every read, write and commit of every transaction,
whether it may go ahead now, must wait, or must abort. This module holds those decisions for
the store of ``dslib.databases.transactions``; each isolation level is a different
algorithm, not a flag on one:

=========================  ============================================================
level                      algorithm
=========================  ============================================================
``none``                   no concurrency control at all: reads and writes in place
                           (the baseline that shows every anomaly)
``read-uncommitted``       write locks held to the end; reads take no lock and may
                           see uncommitted data
``read-committed``         write locks held to the end; a read takes a shared lock
                           and releases it at once (it waits for an uncommitted write)
``repeatable-read``        locks on the items read held to the end; a scan's
                           predicate lock released at once (Berenson et al. 1995,
                           section 2.3, "Locking REPEATABLE READ")
``serializable``           strict two-phase locking: item and predicate (range) locks
                           held to the end; deadlocks found in the wait-for graph and
                           the youngest transaction of the cycle aborted
``snapshot-isolation``     multi-version storage; a transaction reads the snapshot of
                           its start; first-committer-wins at commit
``serializable-snapshot``  snapshot isolation plus Cahill's test: a transaction with
                           both an incoming and an outgoing read-write antidependency
                           (the pivot of a dangerous structure) aborts
=========================  ============================================================

The rules the levels rest on are plain functions, so that the pages, the exercises and the
tests can look at each one alone: ``lock_conflicts`` (which locks are in the way),
``find_deadlock`` (a cycle of the wait-for graph), ``snapshot_read`` (which version a
snapshot sees), ``first_committer_wins`` (may a snapshot transaction commit its writes) and
``dangerous_structure`` (Cahill's pivot test). ``ConcurrencyControl`` applies them to a
whole store.

``MUTANTS`` names the deliberately broken algorithms; each is a one-line change beside the
rule it breaks (look for ``mutant ==``).

References
----------
.. [1] H. Berenson, P. Bernstein, J. Gray, J. Melton, E. O'Neil, P. O'Neil, "A Critique of
   ANSI SQL Isolation Levels", SIGMOD 1995: section 2.3 (the locking levels, Table 2),
   section 4.2 (snapshot isolation, first-committer-wins).
.. [2] P. Bernstein, V. Hadzilacos, N. Goodman, "Concurrency Control and Recovery in
   Database Systems", 1987: chapter 3, sections 3.2 (basic two-phase locking), 3.4
   (deadlocks and the waits-for graph) and 3.7 (the phantom problem).
.. [3] M. Cahill, U. Röhm, A. Fekete, "Serializable Isolation for Snapshot Databases",
   SIGMOD 2008: section 2 (snapshot isolation, write skew and Fekete et al.'s dangerous
   structures), section 3 (the algorithm).

Examples
--------
>>> e = ConcurrencyControl("serializable")
>>> _ = e.begin("c1", "t1"), e.begin("c2", "t2")
>>> e.attempt("t1", ("r", "x"))
('done', None)
>>> e.attempt("t2", ("w", "x", 1))   # t1 holds a shared lock on x: t2 must wait
('blocked', ('t1',))
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.mutants import check_mutant

__all__ = [
    "CHECKER_LEVEL",
    "LEVELS",
    "LOCKING_LEVELS",
    "MUTANTS",
    "MVCC_LEVELS",
    "ConcurrencyControl",
    "Lock",
    "ServerState",
    "TxnStatus",
    "apply_write",
    "covers",
    "dangerous_structure",
    "find_deadlock",
    "first_committer_wins",
    "lock_conflicts",
    "snapshot_read",
]

LEVELS: dict[str, str] = {
    "none": "no concurrency control: reads and writes in place, no locks",
    "read-uncommitted": "long write locks; reads take no lock",
    "read-committed": "long write locks; short read locks",
    "repeatable-read": "long write and item read locks; short predicate locks",
    "serializable": "strict two-phase locking with predicate locks and deadlock detection",
    "snapshot-isolation": "multi-version snapshots, first-committer-wins",
    "serializable-snapshot": "snapshot isolation plus Cahill's dangerous-structure test",
}
"""The store's isolation levels, each a concurrency-control algorithm, with what it does."""

LOCKING_LEVELS = ("none", "read-uncommitted", "read-committed", "repeatable-read", "serializable")
MVCC_LEVELS = ("snapshot-isolation", "serializable-snapshot")

CHECKER_LEVEL: dict[str, str] = {
    "none": "read-uncommitted",
    "read-uncommitted": "read-uncommitted",
    "read-committed": "read-committed",
    "repeatable-read": "repeatable-read",
    "serializable": "serializable",
    "snapshot-isolation": "snapshot-isolation",
    "serializable-snapshot": "serializable",
}
"""The level of ``dslib.consistency.isolation.check_isolation`` each algorithm claims."""

MUTANTS: dict[str, str] = {
    "si-without-first-committer-wins": "snapshot isolation that commits a transaction even "
    "when another one committed a write to the same key after its snapshot",
    "2pl-early-release": "two-phase locking that releases each read lock right after the "
    "read, before commit",
    "ssi-ignores-rw-antidependencies": "serializable snapshot isolation that records no "
    "read-write antidependency, so it never sees a dangerous structure",
}
"""Broken algorithms, by name, with what is wrong (``ConcurrencyControl(level, mutant=...)``)."""

MUTANT_LEVEL: dict[str, str] = {
    "si-without-first-committer-wins": "snapshot-isolation",
    "2pl-early-release": "serializable",
    "ssi-ignores-rw-antidependencies": "serializable-snapshot",
}
"""The level whose algorithm each mutant breaks."""

Key = Hashable
Target = tuple[Any, ...]
"""What a lock or a read covers: ``("k", key)`` one item, ``("range", lo, hi)`` a predicate."""


@dataclass(frozen=True, order=True)
class Lock:
    """A lock held: on ``target`` (an item or a key range), ``mode`` "S" or "X", by ``tid``.

    >>> Lock(("k", "x"), "S", "t1")
    Lock(target=('k', 'x'), mode='S', tid='t1')
    """

    target: Target
    mode: str
    tid: str


def covers(target: Target, key: Key) -> bool:
    """Does a lock or a read on ``target`` cover ``key``?

    >>> covers(("range", 1, 5), 3), covers(("k", 3), 3), covers(("k", 3), 4)
    (True, True, False)
    """
    if target[0] == "k":
        return bool(target[1] == key)
    return bool(target[1] <= key <= target[2])


def _overlap(a: Target, b: Target) -> bool:
    if a[0] == "k":
        return covers(b, a[1])
    if b[0] == "k":
        return covers(a, b[1])
    return bool(a[1] <= b[2] and b[1] <= a[2])


def lock_conflicts(locks: Iterable[Lock], tid: str, mode: str, target: Target) -> list[str]:
    """The transactions whose locks stop ``tid`` from locking ``target`` in ``mode`` (sorted).

    Two locks conflict when they are held by different transactions, cover a common key and
    at least one is exclusive (``"X"``); a transaction's own locks never stop it (a shared
    lock is upgraded in place). A range lock is a predicate lock: it covers every key in the
    range, present or not, which is what stops an insert into a range another transaction
    scanned.

    Parameters
    ----------
    locks : iterable of Lock
        The locks held.
    tid : str
        The transaction asking.
    mode : {"S", "X"}
    target : tuple
        ``("k", key)`` or ``("range", lo, hi)``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> held = [Lock(("range", 0, 9), "S", "t1"), Lock(("k", 4), "S", "t2")]
    >>> lock_conflicts(held, "t3", "X", ("k", 4))
    ['t1', 't2']
    >>> lock_conflicts(held, "t3", "S", ("k", 4))
    []
    """
    if mode not in ("S", "X"):
        raise ValueError(f"lock mode {mode!r}: allowed 'S' (shared) or 'X' (exclusive)")
    return sorted(
        {
            lock.tid
            for lock in locks
            if lock.tid != tid and "X" in (mode, lock.mode) and _overlap(lock.target, target)
        }
    )


def find_deadlock(waits_for: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of the wait-for graph, or None: ``[t1, t2, ..., tk]``, each waiting for the next.

    ``waits_for[t]`` is the set of transactions that ``t`` waits for (the holders of the locks
    in its way: a transaction waiting for a shared lock held by three others waits for all
    three). A deadlock is a cycle: no transaction in it can go on until another one in it
    ends. The search is a depth-first walk from each transaction in sorted order, neighbours
    in sorted order, so the cycle found is always the same one.

    Parameters
    ----------
    waits_for : mapping of str to iterable of str

    Returns
    -------
    list of str or None
        The cycle's transactions, starting from the one the walk met first; the last waits
        for the first.

    Examples
    --------
    >>> find_deadlock({"t1": {"t2"}, "t2": {"t3"}, "t3": {"t1"}})
    ['t1', 't2', 't3']
    >>> find_deadlock({"t1": {"t2"}, "t2": set()}) is None
    True
    """
    graph = {t: sorted(ws) for t, ws in waits_for.items()}
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            node, i = stack.pop()
            if i == 0:
                on_path[node] = len(path)
                path.append(node)
            nexts = graph.get(node, [])
            if i < len(nexts):
                stack.append((node, i + 1))
                nxt = nexts[i]
                if nxt in on_path:
                    return path[on_path[nxt] :]
                if nxt not in done:
                    stack.append((nxt, 0))
            else:
                done.add(node)
                path.pop()
                del on_path[node]
    return None


def snapshot_read(versions: Sequence[tuple[int | None, Any]], snapshot_ts: int) -> Any:
    """The value a transaction with snapshot ``snapshot_ts`` reads among ``versions``.

    Each version is ``(commit_ts, value)``; ``commit_ts`` is None for a write not committed
    yet (another transaction's). The snapshot holds every version committed at or before
    ``snapshot_ts`` and nothing else: the reader sees the one of those with the largest
    commit timestamp, or None (the key absent) if there is none. The versions may come in
    any order.

    Examples
    --------
    >>> snapshot_read([(1, "a"), (3, "b"), (None, "c")], 2)
    'a'
    >>> snapshot_read([(3, "b")], 2) is None
    True
    """
    best: tuple[int, Any] | None = None
    for commit_ts, value in versions:
        if commit_ts is None or commit_ts > snapshot_ts:
            continue  # uncommitted, or committed after the snapshot
        if best is None or commit_ts > best[0]:
            best = (commit_ts, value)
    return None if best is None else best[1]


def first_committer_wins(
    written: Iterable[Key], latest_commit: Mapping[Key, int], start_ts: int
) -> list[Key]:
    """The keys that stop a snapshot transaction from committing (empty: it may commit).

    A key stops it when another transaction committed a version of it after the snapshot was
    taken (commit timestamp above ``start_ts``): two concurrent transactions wrote it, and the
    first to commit wins (Berenson et al. 1995, section 4.2).

    >>> first_committer_wins(["x", "y"], {"x": 5, "y": 2}, 3)
    ['x']
    """
    return [k for k in written if latest_commit.get(k, 0) > start_ts]


def dangerous_structure(in_conflict: bool, out_conflict: bool) -> bool:
    """Cahill's test: a transaction with an incoming and an outgoing rw-antidependency.

    Every cycle of a non-serializable snapshot-isolation history contains a *pivot*: a
    transaction T with T_in -rw-> T -rw-> T_out, the three concurrent (Fekete et al. 2005, as
    Cahill et al. 2008 recall it in section 2). Aborting every transaction that has both
    flags prevents every such cycle, at the price of aborting some that were harmless
    (Cahill et al. 2008, section 3).

    >>> dangerous_structure(True, True), dangerous_structure(True, False)
    (True, False)
    """
    return in_conflict and out_conflict


def apply_write(value: Any, kind: str, arg: Any) -> Any:
    """A key's value after a write: ``("w", v)`` replaces it, ``("append", v)`` appends.

    >>> apply_write(None, "append", 1), apply_write((1,), "append", 2), apply_write(3, "w", 4)
    ((1,), (1, 2), 4)
    """
    if kind == "w":
        return arg
    if kind == "append":
        if value is None:
            return (arg,)
        if not isinstance(value, tuple):
            raise ValueError(f"append {arg!r} to a key holding {value!r}, which is not a list")
        return (*value, arg)
    raise ValueError(f"write kind {kind!r}: allowed 'w' (write) and 'append'")


# == the store's state =========================================================================
@dataclass(frozen=True)
class TxnStatus:
    """What the store knows of one transaction.

    ``writes`` are ``(key, kind, value)``, applied in place at the locking levels (with the
    before-images in ``undo``) and buffered until commit at the snapshot levels; ``reads`` are
    the targets a snapshot transaction read (Cahill's SIREAD locks); ``in_conflict`` and
    ``out_conflict`` are his two flags, kept as the transactions at the other end of each
    rw-antidependency so that an edge to a transaction that aborted can be dropped (as
    PostgreSQL does; Cahill's flags alone would also abort the survivor of a write skew).
    """

    tid: str
    client: str
    order: int
    start_ts: int
    status: str = "active"
    commit_ts: int | None = None
    writes: tuple[tuple[Any, str, Any], ...] = ()
    undo: tuple[tuple[Any, Any], ...] = ()
    reads: tuple[Target, ...] = ()
    in_conflict: tuple[str, ...] = ()
    out_conflict: tuple[str, ...] = ()


@dataclass(frozen=True)
class ServerState:
    """The store's whole state, immutable: the value of a ``TxnServer`` node.

    ``current`` holds each key's one value at the locking levels; ``versions`` each key's
    committed versions ``(commit_ts, writer, value)`` at the snapshot levels; ``blocked`` the
    operations waiting for a lock, in arrival order ``(client, tid, op)``; ``counts`` what
    happened (commits, aborts by reason, waits, deadlocks).
    """

    clock: int = 0
    next_order: int = 0
    current: tuple[tuple[Any, Any], ...] = ()
    versions: tuple[tuple[Any, tuple[tuple[int, str, Any], ...]], ...] = ()
    txns: tuple[TxnStatus, ...] = ()
    locks: tuple[Lock, ...] = ()
    blocked: tuple[tuple[str, str, tuple[Any, ...]], ...] = ()
    counts: tuple[tuple[str, int], ...] = ()


def _sort_key(key: Any) -> tuple[str, Any]:
    return (type(key).__name__, key)


Outcome = tuple[str, Any]
"""``("done", result)``, ``("blocked", holders)`` or ``("aborted", reason)``."""


class ConcurrencyControl:
    """A transactional store at one isolation level: ``attempt`` each operation, in order.

    An object of this class is the mutable working copy of a ``ServerState`` (``thaw`` and
    ``freeze``): a server node thaws its state, handles one message and freezes the result,
    so the node's state stays an immutable value. (The storage engine of section 8.1 is
    ``dslib.databases.storage.Engine``; this is the part that isolates transactions.)

    Parameters
    ----------
    level : str
        One of ``LEVELS``.
    mutant : str or None
        One of ``MUTANTS`` (for its level), or None.
    keys : sequence, optional
        The key space a scan ranges over (a scan reads every key of it in its range).

    Examples
    --------
    Write skew under snapshot isolation and under serializable snapshot isolation:

    >>> def skew(level):
    ...     e = ConcurrencyControl(level)
    ...     for c in ("1", "2"):
    ...         e.begin("c" + c, "t" + c)
    ...     for t in ("t1", "t2"):
    ...         e.attempt(t, ("r", "x")), e.attempt(t, ("r", "y"))
    ...     e.attempt("t1", ("w", "x", 1)), e.attempt("t2", ("w", "y", 1))
    ...     return [e.attempt(t, ("commit",)) for t in ("t1", "t2")]
    >>> skew("snapshot-isolation")
    [('done', None), ('done', None)]
    >>> skew("serializable-snapshot")
    [('aborted', 'dangerous structure'), ('done', None)]
    """

    deadlock_rule = staticmethod(find_deadlock)
    """How a wait-for graph's cycle is found (an exercise plugs its own function here)."""

    def __init__(self, level: str, mutant: str | None = None, keys: Sequence[Any] = ()) -> None:
        if level not in LEVELS:
            raise ValueError(
                f"ConcurrencyControl: level={level!r} is not a level; allowed: {list(LEVELS)}"
            )
        check_mutant("ConcurrencyControl", mutant, MUTANTS)
        if mutant is not None and MUTANT_LEVEL[mutant] != level:
            raise ValueError(
                f"ConcurrencyControl: mutant {mutant!r} breaks level "
                f"{MUTANT_LEVEL[mutant]!r}, not {level!r}"
            )
        self.level = level
        self.mutant = mutant
        try:
            self.keys = tuple(sorted(keys))
        except TypeError:
            raise ValueError(
                f"ConcurrencyControl: keys={list(keys)!r} must be comparable with each other "
                "(all strings or all numbers): a scan reads the keys between two bounds"
            ) from None
        self.mvcc = level in MVCC_LEVELS
        self.clock = 0
        self.next_order = 0
        self.current: dict[Any, Any] = {}
        self.versions: dict[Any, list[tuple[int, str, Any]]] = {}
        self.txns: dict[str, TxnStatus] = {}
        self.locks: list[Lock] = []
        self.blocked: list[tuple[str, str, tuple[Any, ...]]] = []
        self.counts: dict[str, int] = {}

    # -- immutable state <-> working copy -------------------------------------------------------
    @classmethod
    def thaw(
        cls, state: ServerState, level: str, mutant: str | None = None, keys: Sequence[Any] = ()
    ) -> ConcurrencyControl:
        """A working copy of ``state``."""
        e = cls(level, mutant, keys)
        e.clock, e.next_order = state.clock, state.next_order
        e.current = dict(state.current)
        e.versions = {k: list(vs) for k, vs in state.versions}
        e.txns = {t.tid: t for t in state.txns}
        e.locks = list(state.locks)
        e.blocked = list(state.blocked)
        e.counts = dict(state.counts)
        return e

    def freeze(self) -> ServerState:
        """The working copy as an immutable, hashable ``ServerState`` (sorted, repeatable)."""
        return ServerState(
            clock=self.clock,
            next_order=self.next_order,
            current=tuple(sorted(self.current.items(), key=lambda kv: _sort_key(kv[0]))),
            versions=tuple(
                (k, tuple(vs))
                for k, vs in sorted(self.versions.items(), key=lambda kv: _sort_key(kv[0]))
            ),
            txns=tuple(sorted(self.txns.values(), key=lambda t: t.order)),
            locks=tuple(sorted(set(self.locks), key=repr)),
            blocked=tuple(self.blocked),
            counts=tuple(sorted(self.counts.items())),
        )

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    # -- transactions ---------------------------------------------------------------------------
    def begin(self, client: str, tid: str) -> Outcome:
        """Start transaction ``tid`` of ``client``: its snapshot is the last commit so far."""
        if tid in self.txns:
            return ("aborted", f"transaction {tid!r} already began")
        self.txns[tid] = TxnStatus(tid, client, self.next_order, self.clock)
        self.next_order += 1
        return ("done", None)

    def attempt(self, tid: str, op: tuple[Any, ...]) -> Outcome:
        """Try one operation of an active transaction now: done, blocked (by whom) or aborted.

        ``op`` is ``("r", key)``, ``("w", key, value)``, ``("append", key, value)``,
        ``("scan", lo, hi)``, ``("commit",)`` or ``("abort",)``. A blocked operation changes
        nothing; try it again when locks are released. An aborted transaction's work is
        undone and its locks are released.
        """
        txn = self.txns.get(tid)
        if txn is None or txn.status != "active":
            return ("aborted", "not an active transaction")
        kind = op[0]
        if kind == "commit":
            return self._commit(txn)
        if kind == "abort":
            self._abort(tid, "asked by the client")
            return ("done", None)
        if self.mvcc:
            return self._mvcc_op(txn, op)
        return self._locking_op(txn, op)

    # -- the locking levels ---------------------------------------------------------------------
    def _lock(self, tid: str, mode: str, target: Target, keep: bool) -> list[str]:
        """Take a lock (or only check that it could be taken): the holders in the way."""
        holders = lock_conflicts(self.locks, tid, mode, target)
        if not holders and keep:
            self.locks.append(Lock(target, mode, tid))
        return holders

    def _locking_op(self, txn: TxnStatus, op: tuple[Any, ...]) -> Outcome:
        level, tid, kind = self.level, txn.tid, op[0]
        if kind in ("w", "append"):
            key = op[1]
            if level != "none":
                holders = self._lock(tid, "X", ("k", key), keep=True)  # long write locks
                if holders:
                    return ("blocked", tuple(holders))
            before = self.current.get(key)
            new = apply_write(before, kind, op[2])
            undo = txn.undo
            if all(k != key for k, _ in undo):
                undo = (*undo, (key, before))
            self.current[key] = new
            self.txns[tid] = replace(txn, writes=(*txn.writes, (key, kind, op[2])), undo=undo)
            return ("done", None)
        if kind == "r":
            target: Target = ("k", op[1])
            if level in ("read-committed", "repeatable-read", "serializable"):
                # RC: a short read lock; RR and 2PL: held to the end
                keep = level != "read-committed" and self.mutant != "2pl-early-release"
                holders = self._lock(tid, "S", target, keep=keep)
                if holders:
                    return ("blocked", tuple(holders))
            return ("done", self.current.get(op[1]))
        if kind == "scan":
            lo, hi = op[1], op[2]
            found = {k: self.current.get(k) for k in self.keys if lo <= k <= hi}
            if level in ("read-committed", "repeatable-read", "serializable"):
                keep = level == "serializable" and self.mutant != "2pl-early-release"
                holders = self._lock(tid, "S", ("range", lo, hi), keep=keep)  # predicate lock
                if holders:
                    return ("blocked", tuple(holders))
                if level == "repeatable-read":  # item locks on the rows found, not the gaps
                    for k, v in found.items():
                        if v is not None:
                            self._lock(tid, "S", ("k", k), keep=True)
            return ("done", tuple(found.items()))
        raise ValueError(f"operation {op!r}: allowed r, w, append, scan, commit, abort")

    # -- the snapshot levels --------------------------------------------------------------------
    def _snapshot_value(self, txn: TxnStatus, key: Any) -> Any:
        versions = [(ts, value) for ts, _, value in self.versions.get(key, ())]
        value = snapshot_read(versions, txn.start_ts)
        for k, kind, arg in txn.writes:  # read your own writes
            if k == key:
                value = apply_write(value, kind, arg)
        return value

    def _rw(self, reader: str, writer: str) -> bool:
        """Record ``reader -rw-> writer``; True if the transaction asking must abort."""
        if self.level != "serializable-snapshot":
            return False
        if self.mutant == "ssi-ignores-rw-antidependencies":
            return False  # the mutant: no antidependency is ever recorded
        r, w = self.txns[reader], self.txns[writer]
        # A committed transaction cannot abort any more: if this edge makes it a pivot, the
        # transaction asking aborts instead (Cahill et al. 2008, section 3).
        if w.status == "committed" and dangerous_structure(True, bool(w.out_conflict)):
            return True
        if r.status == "committed" and dangerous_structure(bool(r.in_conflict), True):
            return True
        if writer not in r.out_conflict:
            self.txns[reader] = replace(r, out_conflict=(*r.out_conflict, writer))
        w = self.txns[writer]
        if reader not in w.in_conflict:
            self.txns[writer] = replace(w, in_conflict=(*w.in_conflict, reader))
        return False

    def _read_conflicts(self, txn: TxnStatus, key: Any) -> bool:
        """The rw-antidependencies of reading ``key``: to newer versions and pending writes."""
        writers = {w for ts, w, _ in self.versions.get(key, ()) if ts > txn.start_ts}
        writers |= {
            t.tid
            for t in self.txns.values()
            if t.status == "active" and t.tid != txn.tid and any(k == key for k, _, _ in t.writes)
        }
        return any(self._rw(txn.tid, w) for w in sorted(writers) if w in self.txns)

    def _mvcc_op(self, txn: TxnStatus, op: tuple[Any, ...]) -> Outcome:
        tid, kind = txn.tid, op[0]
        if kind == "r":
            key = op[1]
            self.txns[tid] = replace(txn, reads=(*txn.reads, ("k", key)))
            if self._read_conflicts(self.txns[tid], key):
                return self._abort(tid, "dangerous structure")
            return ("done", self._snapshot_value(self.txns[tid], key))
        if kind == "scan":
            lo, hi = op[1], op[2]
            self.txns[tid] = replace(txn, reads=(*txn.reads, ("range", lo, hi)))
            found = []
            for k in self.keys:
                if lo <= k <= hi:
                    if self._read_conflicts(self.txns[tid], k):
                        return self._abort(tid, "dangerous structure")
                    found.append((k, self._snapshot_value(self.txns[tid], k)))
            return ("done", tuple(found))
        if kind in ("w", "append"):
            key = op[1]
            apply_write(self._snapshot_value(txn, key), kind, op[2])  # a bad append fails now
            readers = [
                r.tid
                for r in self.txns.values()
                if r.tid != tid
                and (r.status == "active" or (r.commit_ts or 0) > txn.start_ts)
                and r.status != "aborted"
                and any(covers(t, key) for t in r.reads)
            ]
            if any(self._rw(r, tid) for r in sorted(readers)):
                return self._abort(tid, "dangerous structure")
            self.txns[tid] = replace(
                self.txns[tid], writes=(*self.txns[tid].writes, (key, kind, op[2]))
            )
            return ("done", None)
        raise ValueError(f"operation {op!r}: allowed r, w, append, scan, commit, abort")

    # -- commit and abort -----------------------------------------------------------------------
    def _commit(self, txn: TxnStatus) -> Outcome:
        tid = txn.tid
        if self.mvcc:
            written = sorted({k for k, _, _ in txn.writes}, key=_sort_key)
            latest = {k: self.versions[k][-1][0] for k in written if self.versions.get(k)}
            lost = first_committer_wins(written, latest, txn.start_ts)
            if lost and self.mutant != "si-without-first-committer-wins":
                return self._abort(tid, "first committer wins")
            if self.level == "serializable-snapshot" and dangerous_structure(
                bool(txn.in_conflict), bool(txn.out_conflict)
            ):
                return self._abort(tid, "dangerous structure")
            self.clock += 1
            for key in written:
                chain = self.versions.setdefault(key, [])
                value = chain[-1][2] if chain else None  # onto the latest committed version
                for k, kind, arg in txn.writes:
                    if k == key:
                        value = apply_write(value, kind, arg)
                chain.append((self.clock, tid, value))
        else:
            self.clock += 1
        self.txns[tid] = replace(self.txns[tid], status="committed", commit_ts=self.clock)
        self.locks = [lock for lock in self.locks if lock.tid != tid]
        self._count("committed")
        self._forget()
        return ("done", None)

    def _abort(self, tid: str, reason: str) -> Outcome:
        txn = self.txns[tid]
        if not self.mvcc:
            for key, before in reversed(txn.undo):  # restore the before-images
                if before is None:
                    self.current.pop(key, None)
                else:
                    self.current[key] = before
        self.txns[tid] = replace(txn, status="aborted")
        for other in self.txns.values():  # its antidependencies go with it
            if tid in other.in_conflict or tid in other.out_conflict:
                self.txns[other.tid] = replace(
                    other,
                    in_conflict=tuple(t for t in other.in_conflict if t != tid),
                    out_conflict=tuple(t for t in other.out_conflict if t != tid),
                )
        self.locks = [lock for lock in self.locks if lock.tid != tid]
        self.blocked = [b for b in self.blocked if b[1] != tid]
        self._count(f"aborted: {reason}")
        self._forget()
        return ("aborted", reason)

    def _forget(self) -> None:
        """Drop finished transactions and versions no active transaction can still need."""
        active = [t.start_ts for t in self.txns.values() if t.status == "active"]
        horizon = min(active) if active else self.clock
        self.txns = {
            tid: t
            for tid, t in self.txns.items()
            if t.status == "active" or (t.status == "committed" and (t.commit_ts or 0) > horizon)
        }
        for chain in self.versions.values():
            old = [i for i, v in enumerate(chain) if v[0] <= horizon]
            if len(old) > 1:
                del chain[: old[-1]]

    # -- waiting --------------------------------------------------------------------------------
    def waits_for(self) -> dict[str, set[str]]:
        """The wait-for graph: each blocked transaction and the holders of the locks it needs."""
        graph: dict[str, set[str]] = {}
        for _, tid, op in self.blocked:
            graph.setdefault(tid, set()).update(self._holders(tid, op))
        return graph

    def _holders(self, tid: str, op: tuple[Any, ...]) -> list[str]:
        kind = op[0]
        if kind in ("w", "append"):
            return lock_conflicts(self.locks, tid, "X", ("k", op[1]))
        if kind == "r":
            return lock_conflicts(self.locks, tid, "S", ("k", op[1]))
        if kind == "scan":
            return lock_conflicts(self.locks, tid, "S", ("range", op[1], op[2]))
        return []

    def submit(
        self, client: str, tid: str, op: tuple[Any, ...]
    ) -> list[tuple[str, str, tuple[Any, ...], Outcome, bool]]:
        """Handle one request: the replies it causes ``(client, tid, op, outcome, waited)``.

        A request that must wait joins ``blocked`` and is answered later, when a commit or an
        abort releases what it waits for; a new wait that closes a cycle of the wait-for graph
        aborts the youngest transaction of the cycle (the one that began last).
        """
        if op[0] == "begin":
            return [(client, tid, op, self.begin(client, tid), False)]
        outcome = self.attempt(tid, op)
        if outcome[0] != "blocked":
            return [(client, tid, op, outcome, False), *self._wake()]
        self.blocked.append((client, tid, op))
        self._count("waits")
        replies: list[tuple[str, str, tuple[Any, ...], Outcome, bool]] = []
        while (cycle := self.deadlock_rule(self.waits_for())) is not None:
            victim = max(cycle, key=lambda t: self.txns[t].order)
            entry = next(b for b in self.blocked if b[1] == victim)
            self._count("deadlocks")
            replies.append((entry[0], victim, entry[2], self._abort(victim, "deadlock"), True))
            replies += self._wake()
        return replies

    def _wake(self) -> list[tuple[str, str, tuple[Any, ...], Outcome, bool]]:
        """Retry the blocked operations in arrival order until none can go on."""
        replies: list[tuple[str, str, tuple[Any, ...], Outcome, bool]] = []
        progress = True
        while progress:
            progress = False
            for entry in list(self.blocked):
                if entry not in self.blocked:
                    continue
                client, tid, op = entry
                outcome = self.attempt(tid, op)
                if outcome[0] == "blocked":
                    continue
                if entry in self.blocked:
                    self.blocked.remove(entry)
                replies.append((client, tid, op, outcome, True))
                progress = True
        return replies
