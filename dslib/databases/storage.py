"""The storage engine: a key-value table in memory, its pages and its log on the disk.

The engine keeps the whole table in memory, one **page** per key (a real engine keeps
many rows per page and only some pages in memory; one row per page keeps the rules
visible). The durable copy is the ``Disk``: the pages as last written, and the
write-ahead log (``dslib.databases.wal``). Every change goes first to the log, then to
the page in memory; the disk catches up lazily:

- a page is written to the disk when the engine chooses (``flush_page``), even while the
  transaction that changed it is still running: the buffer may **steal** (Mohan et al.
  1992, section 1, on buffer management policies). So after a crash the disk may hold
  changes of a transaction that never committed, and recovery must **undo** them;
- a commit does not write the pages either (**no force**): it writes a commit record and
  forces the log to the disk. So after a crash the disk may lack changes of a committed
  transaction, and recovery must **redo** them from the log;
- the **write-ahead rule**: before a page is written, the log is forced up to the LSN of
  the page's last change (the *page LSN*), so that every change on the disk can be undone
  (Mohan et al. 1992, section 1; Hellerstein et al. 2007, section "Log manager");
- the log itself is appended in memory (the *tail*) and forced (``flush_log``, an fsync)
  when a commit, a page write or a checkpoint needs it. What is in the tail at a crash may
  be lost, or partly written, and the last record partly written may be torn
  (``Disk.after_crash``);
- a **checkpoint** writes every dirty page, then a checkpoint record with the transaction
  table, and truncates the log below the first record recovery may still need: the
  checkpoint itself, or the first record of a transaction still running, whichever is
  older.

``MUTANTS`` names deliberately broken versions (``Engine.create(..., mutant=name)``); each
sits one line from the rule it breaks, here and in ``dslib.databases.recovery``.
``dslib.databases.crashes`` checks every crash point of small workloads and catches them.

Examples
--------
>>> e = Engine.create(("x", "y"))
>>> e = e.add("T1", "x", 5).write("T1", "y", 7).commit("T1")
>>> e.values(), e.disk.values()
({'x': 5, 'y': 7}, {'x': 0, 'y': 0})
>>> [str(f) for f in e.disk.log]
['1 update T1 x+=5', '2 update T1 y=7 (was 0)', '3 commit T1']
>>> e = e.flush_page("x")
>>> e.disk.values()
{'x': 5, 'y': 0}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dslib.databases.wal import Frame, LogRecord, torn_frame, write_frame
from dslib.mutants import check_mutant

__all__ = [
    "MUTANTS",
    "Disk",
    "Engine",
    "LockConflict",
    "Page",
    "TxnEntry",
]

MUTANTS: dict[str, str] = {
    "no_write_ahead": "a page is written before the log records of its changes (no write-ahead)",
    "ack_before_flush": "a commit is acknowledged before its commit record is forced to disk",
    "truncate_active": "a checkpoint truncates the log of a transaction still running",
    "no_checksum": "recovery does not check the checksums, so a torn record is applied",
    "redo_uncommitted": "recovery redoes uncommitted transactions and never undoes them",
    "redo_ignores_page_lsn": "redo applies a change to a page that already holds it",
    "undo_without_clr": "undo writes no compensation records, so an undo can be undone twice",
}
"""The broken versions: name -> what is wrong. The first three break the engine (here),
the others recovery (``dslib.databases.recovery``)."""


T = TypeVar("T")


class LockConflict(ValueError):
    """A transaction wrote a key that another running transaction has written."""


def cached_hash(obj: Any, fields: tuple[Any, ...]) -> int:
    """The hash of a frozen value, computed once (the model checker hashes states often)."""
    h = obj.__dict__.get("_hash")
    if h is None:
        h = hash(fields)
        object.__setattr__(obj, "_hash", h)
    return h


def evolve(obj: T, **changes: Any) -> T:
    """``dataclasses.replace`` for the engine's frozen values, without its overhead.

    Only for classes without ``__post_init__`` (nothing to re-validate); the cached hash
    is dropped.
    """
    new = object.__new__(type(obj))
    fields = dict(obj.__dict__)
    fields.pop("_hash", None)
    fields.update(changes)
    new.__dict__.update(fields)
    return new


def _get(pairs: tuple[tuple[Any, Any], ...], key: Any) -> Any:
    for k, v in pairs:
        if k == key:
            return v
    return None


def _put(pairs: tuple[tuple[Any, Any], ...], key: Any, value: Any) -> tuple[tuple[Any, Any], ...]:
    return tuple(sorted([(k, v) for k, v in pairs if k != key] + [(key, value)]))


def _drop(pairs: tuple[tuple[Any, Any], ...], key: Any) -> tuple[tuple[Any, Any], ...]:
    return tuple((k, v) for k, v in pairs if k != key)


@dataclass(frozen=True)
class Page:
    """A page: the value of one key and the LSN of the last change applied to it.

    Examples
    --------
    >>> Page(3, 7)
    Page(value=3, page_lsn=7)
    """

    value: int
    page_lsn: int = 0


@dataclass(frozen=True)
class Disk:
    """What survives a crash: the pages as last written and the log as last forced.

    Attributes
    ----------
    pages : tuple of (key, Page)
        The durable copy of the table, sorted by key.
    log : tuple of Frame
        The forced log, from LSN ``log_start`` on (what is below was truncated).
    log_start : int
        The LSN of the first record kept.
    master : int or None
        The LSN of the last complete checkpoint record (the "master record").
    unsynced : tuple of Frame
        Records written but not forced when the node's state was saved: a crash keeps any
        prefix of them, the last perhaps torn (see ``after_crash``). Empty in a disk that
        is read by recovery.

    Examples
    --------
    >>> d = Engine.create(("x",)).add("T1", "x", 1).durable()
    >>> len(d.log), [str(f) for f in d.unsynced]
    (0, ['1 update T1 x+=1'])
    >>> [str(f) for f in d.after_crash(1, torn=True).log]
    ['1 update T1 x+=57005  [torn: checksum mismatch]']
    """

    pages: tuple[tuple[str, Page], ...]
    log: tuple[Frame, ...] = ()
    log_start: int = 1
    master: int | None = None
    unsynced: tuple[Frame, ...] = ()

    def __hash__(self) -> int:
        return cached_hash(self, (self.pages, self.log, self.log_start, self.master, self.unsynced))

    def values(self) -> dict[str, int]:
        """The durable table: key -> value."""
        return {k: p.value for k, p in self.pages}

    def crash_choices(self) -> list[tuple[int, bool]]:
        """Every ``(kept, torn)`` a crash may leave of the unsynced records, shortest first."""
        n = len(self.unsynced)
        return [(k, False) for k in range(n + 1)] + [(k, True) for k in range(1, n + 1)]

    def after_crash(self, kept: int = 0, torn: bool = False) -> Disk:
        """The disk after a crash that left ``kept`` of the unsynced records, the last torn.

        Parameters
        ----------
        kept : int, default 0
            How many of the unsynced records reached the disk (0 to all), in order.
        torn : bool, default False
            The last of them was only partly written (needs ``kept >= 1``).

        Raises
        ------
        ValueError
            If ``kept`` is out of range, or ``torn`` with nothing kept.
        """
        n = len(self.unsynced)
        if not isinstance(kept, int) or isinstance(kept, bool) or not 0 <= kept <= n:
            raise ValueError(f"Disk.after_crash: kept={kept!r}; allowed: 0 to {n}")
        if torn and kept == 0:
            raise ValueError("Disk.after_crash: torn=True needs kept >= 1 (a record to tear)")
        frames = self.unsynced[:kept]
        if torn:
            frames = (*frames[:-1], torn_frame(frames[-1].record))
        return evolve(self, log=self.log + frames, unsynced=())

    def describe_crash(self, kept: int, torn: bool) -> str:
        """Words for ``after_crash(kept, torn)``: which unsynced records survived."""
        n = len(self.unsynced)
        if n == 0:
            return "nothing unflushed"
        if kept == 0:
            return f"{n} unflushed lost"
        last = self.unsynced[kept - 1].record.lsn
        torn_words = f", {last} torn" if torn else ""
        return f"{kept} of {n} unflushed reached disk{torn_words}"


@dataclass(frozen=True)
class TxnEntry:
    """A transaction in the transaction table: its status and its first and last records.

    ``last_lsn`` is the last update or compensation record (where undo starts).
    """

    status: str
    first_lsn: int | None = None
    last_lsn: int | None = None


@dataclass(frozen=True)
class Engine:
    """The storage engine's whole state: memory and disk. Immutable: each call returns a new one.

    Build one with ``Engine.create(keys)``; recovery builds one from a ``Disk``
    (``dslib.databases.recovery.recover``).

    Attributes
    ----------
    table : tuple of (key, Page)
        The table in memory (every key; values start at 0).
    disk : Disk
        The durable copy.
    dirty : tuple of (key, rec_lsn)
        The dirty page table: pages changed since last written, with the first LSN
        that dirtied each (its *recovery LSN*).
    tail : tuple of LogRecord
        Log records appended but not yet forced to the disk.
    next_lsn : int
        The LSN of the next record.
    txns : tuple of (txn, TxnEntry)
        The transaction table: every transaction not yet ended.
    locks : tuple of (key, txn)
        Write locks, held until the transaction ends (strict two-phase locking, which
        undo by before-image needs: nobody else may change a key that may be undone).
    mutant : str or None
        A broken version from ``MUTANTS``.

    Examples
    --------
    >>> e = Engine.create(("x",)).add("T1", "x", 1)
    >>> e.add("T2", "x", 1)
    Traceback (most recent call last):
    ...
    dslib.databases.storage.LockConflict: T2 cannot change x: T1 holds its lock until it ends
    """

    table: tuple[tuple[str, Page], ...]
    disk: Disk
    dirty: tuple[tuple[str, int], ...] = ()
    tail: tuple[LogRecord, ...] = ()
    next_lsn: int = 1
    txns: tuple[tuple[str, TxnEntry], ...] = ()
    locks: tuple[tuple[str, str], ...] = ()
    mutant: str | None = None

    def __hash__(self) -> int:
        return cached_hash(
            self,
            (
                self.table,
                self.disk,
                self.dirty,
                self.tail,
                self.next_lsn,
                self.txns,
                self.locks,
                self.mutant,
            ),
        )

    # -- construction and reading -------------------------------------------------------
    @classmethod
    def create(cls, keys: Sequence[str] = ("x", "y"), mutant: str | None = None) -> Engine:
        """A new engine with a table of ``keys``, every value 0, and an empty log.

        Raises
        ------
        ValueError, TypeError
            If ``keys`` is empty, repeats a key or holds a non-string, or ``mutant`` is
            unknown.

        Examples
        --------
        >>> Engine.create(["y", "x"]).values()
        {'x': 0, 'y': 0}
        >>> Engine.create(["x", "x"])
        Traceback (most recent call last):
        ...
        ValueError: Engine.create: keys=['x', 'x'] must be distinct non-empty strings
        """
        if isinstance(keys, str):
            raise TypeError(f"Engine.create: keys={keys!r} must be a sequence of key names")
        keys = list(keys)
        if (
            not keys
            or len(set(keys)) != len(keys)
            or not all(isinstance(k, str) and k for k in keys)
        ):
            raise ValueError(f"Engine.create: keys={keys!r} must be distinct non-empty strings")
        check_mutant("Engine.create", mutant, MUTANTS)
        pages = tuple((k, Page(0, 0)) for k in sorted(keys))
        return cls(table=pages, disk=Disk(pages), mutant=mutant)

    @property
    def keys(self) -> tuple[str, ...]:
        """The table's keys, sorted."""
        return tuple(k for k, _ in self.table)

    def read(self, key: str) -> int:
        """The value of ``key`` in memory (what a transaction reads)."""
        return self._page(key).value

    def values(self) -> dict[str, int]:
        """The table in memory: key -> value."""
        return {k: p.value for k, p in self.table}

    @property
    def flushed_lsn(self) -> int:
        """The LSN of the last record forced to the disk (0 if none)."""
        return self.next_lsn - 1 - len(self.tail)

    def active(self) -> tuple[str, ...]:
        """The transactions not yet ended, sorted."""
        return tuple(t for t, _ in self.txns)

    def can_write(self, txn: str, key: str) -> bool:
        """Whether ``txn`` may change ``key`` now (no other transaction holds its lock)."""
        holder = _get(self.locks, key)
        return holder is None or holder == txn

    def durable(self) -> Disk:
        """The disk, with the unforced tail as ``unsynced`` (what a node persists)."""
        return evolve(self.disk, unsynced=tuple(write_frame(r) for r in self.tail))

    def crash_images(self) -> list[tuple[str, Disk]]:
        """Every disk a crash now may leave, with words for each: tail lost, kept, torn."""
        d = self.durable()
        return [(d.describe_crash(k, t), d.after_crash(k, t)) for k, t in d.crash_choices()]

    def record(self, lsn: int) -> LogRecord | None:
        """The log record ``lsn``, on the disk or in the tail (None if truncated or unknown)."""
        for frame in self.disk.log:
            if frame.record.lsn == lsn:
                return frame.record
        for r in self.tail:
            if r.lsn == lsn:
                return r
        return None

    def _page(self, key: str) -> Page:
        page = _get(self.table, key)
        if page is None:
            raise ValueError(f"no key {key!r} in the table; the keys are {list(self.keys)}")
        return page

    def _entry(self, txn: str) -> TxnEntry:
        entry = _get(self.txns, txn)
        if entry is None:
            raise ValueError(
                f"transaction {txn!r} is not running; running: {list(self.active()) or 'none'}"
            )
        return entry

    # -- the log ---------------------------------------------------------------------------
    def append(self, **fields: Any) -> tuple[Engine, LogRecord]:
        """Append a record to the log tail (in memory); return the engine and the record."""
        record = LogRecord(self.next_lsn, **fields)
        return evolve(self, tail=(*self.tail, record), next_lsn=self.next_lsn + 1), record

    def flush_log(self, upto: int | None = None) -> Engine:
        """Force the log to the disk up to LSN ``upto`` (default: all of the tail).

        Examples
        --------
        >>> e = Engine.create(("x",)).add("T1", "x", 1).add("T1", "x", 2)
        >>> e.flush_log(1).flushed_lsn, len(e.flush_log(1).tail)
        (1, 1)
        """
        n = len(self.tail) if upto is None else sum(1 for r in self.tail if r.lsn <= upto)
        if n == 0:
            return self
        frames = tuple(write_frame(r) for r in self.tail[:n])
        return evolve(self, disk=evolve(self.disk, log=self.disk.log + frames), tail=self.tail[n:])

    def truncate_log(self, keep_from: int) -> Engine:
        """Drop the forced records below LSN ``keep_from`` (never the unforced tail)."""
        log = tuple(f for f in self.disk.log if f.record.lsn >= keep_from)
        start = max(self.disk.log_start, min(keep_from, self.flushed_lsn + 1))
        return evolve(self, disk=evolve(self.disk, log=log, log_start=start))

    # -- pages -----------------------------------------------------------------------------
    def apply_change(self, key: str, op: str, arg: int, lsn: int) -> Engine:
        """Apply ``op`` (``"set"``, ``"add"``) to ``key``'s page in memory, at LSN ``lsn``."""
        page = self._page(key)
        value = arg if op == "set" else page.value + arg
        dirty = self.dirty if _get(self.dirty, key) is not None else _put(self.dirty, key, lsn)
        return evolve(self, table=_put(self.table, key, Page(value, lsn)), dirty=dirty)

    def flush_page(self, key: str) -> Engine:
        """Write the page of ``key`` to the disk, forcing the log up to its page LSN first.

        Examples
        --------
        >>> e = Engine.create(("x",)).add("T1", "x", 1).flush_page("x")
        >>> e.disk.values(), e.flushed_lsn
        ({'x': 1}, 1)
        """
        page = self._page(key)
        if _get(self.dirty, key) is None:
            return self
        engine = self
        if self.mutant != "no_write_ahead":
            engine = engine.flush_log(page.page_lsn)  # the write-ahead rule
        disk = evolve(engine.disk, pages=_put(engine.disk.pages, key, page))
        return evolve(engine, disk=disk, dirty=_drop(engine.dirty, key))

    # -- transactions ----------------------------------------------------------------------
    def write(self, txn: str, key: str, value: int) -> Engine:
        """``txn`` sets ``key`` to ``value`` (its first change begins it).

        Raises
        ------
        LockConflict
            If another running transaction has changed ``key``.
        ValueError, TypeError
            For an unknown key or a value that is not an int.
        """
        return self._update(txn, key, "set", value)

    def add(self, txn: str, key: str, amount: int) -> Engine:
        """``txn`` adds ``amount`` to ``key``: a logical change, never to be applied twice."""
        return self._update(txn, key, "add", amount)

    def _update(self, txn: str, key: str, op: str, arg: int) -> Engine:
        if not isinstance(txn, str) or not txn:
            raise TypeError(f"a transaction is named by a non-empty string, got {txn!r}")
        if not isinstance(arg, int) or isinstance(arg, bool):
            raise TypeError(f"{txn} {op} {key}: the value must be an int, got {arg!r}")
        page = self._page(key)
        if not self.can_write(txn, key):
            raise LockConflict(
                f"{txn} cannot change {key}: {_get(self.locks, key)} holds its lock until it ends"
            )
        entry = _get(self.txns, txn) or TxnEntry("active")
        before = page.value if op == "set" else None
        engine, rec = self.append(
            kind="update", txn=txn, key=key, op=op, arg=arg, before=before, prev_lsn=entry.last_lsn
        )
        engine = engine.apply_change(key, op, arg, rec.lsn)
        entry = evolve(entry, first_lsn=entry.first_lsn or rec.lsn, last_lsn=rec.lsn)
        return evolve(
            engine, txns=_put(engine.txns, txn, entry), locks=_put(engine.locks, key, txn)
        )

    def commit(self, txn: str) -> Engine:
        """Commit ``txn``: append its commit record and force the log; then it is acknowledged.

        Raises
        ------
        ValueError
            If ``txn`` is not running.
        """
        entry = self._entry(txn)
        engine, rec = self.append(kind="commit", txn=txn, prev_lsn=entry.last_lsn)
        if self.mutant != "ack_before_flush":
            engine = engine.flush_log(rec.lsn)  # durable before the client is told
        return engine._end(txn)

    def abort(self, txn: str) -> Engine:
        """Abort ``txn``: roll back its changes, writing a compensation record for each.

        Examples
        --------
        >>> e = Engine.create(("x",)).add("T1", "x", 4).abort("T1")
        >>> e.values()
        {'x': 0}
        >>> [str(r) for r in e.tail]  # doctest: +NORMALIZE_WHITESPACE
        ['1 update T1 x+=4', '2 abort T1', '3 clr T1 x+=-4 (undo next: none)',
         '4 end T1']
        """
        entry = self._entry(txn)
        engine, _ = self.append(kind="abort", txn=txn, prev_lsn=entry.last_lsn)
        engine = evolve(engine, txns=_put(engine.txns, txn, evolve(entry, status="aborted")))
        nxt = entry.last_lsn
        while nxt is not None:
            record = engine.record(nxt)
            if record is None:  # only when a checkpoint truncated a running transaction's log
                break
            engine, nxt = engine.undo(record)
        return engine._end(txn)

    def undo(self, record: LogRecord) -> tuple[Engine, int | None]:
        """Undo one record of a transaction rolling back; return the next LSN to undo.

        An update is compensated (its before-image set back, or its amount subtracted) and
        a compensation record (CLR) logs that, pointing past the update (``undo_next``), so
        that the undo is redone, never undone, after a crash. A CLR met on the way back
        says where to go on.
        """
        if record.kind == "clr":
            return self, record.undo_next
        if record.kind != "update" or record.txn is None or record.key is None:
            raise ValueError(f"undo: record {record} is not an update or a compensation")
        op, arg = ("set", record.before) if record.op == "set" else ("add", -(record.arg or 0))
        assert arg is not None
        entry = self._entry(record.txn)
        if self.mutant == "undo_without_clr":  # the page goes back, the log does not say so
            return self.apply_change(record.key, op, arg, self._page(record.key).page_lsn), (
                record.prev_lsn
            )
        engine, clr = self.append(
            kind="clr",
            txn=record.txn,
            key=record.key,
            op=op,
            arg=arg,
            prev_lsn=entry.last_lsn,
            undo_next=record.prev_lsn,
        )
        engine = engine.apply_change(record.key, op, arg, clr.lsn)
        entry = evolve(entry, last_lsn=clr.lsn)
        return evolve(engine, txns=_put(engine.txns, record.txn, entry)), record.prev_lsn

    def _end(self, txn: str) -> Engine:
        """Write ``txn``'s end record, forget it and release its locks."""
        engine, _ = self.append(kind="end", txn=txn)
        locks = tuple((k, t) for k, t in engine.locks if t != txn)
        return evolve(engine, txns=_drop(engine.txns, txn), locks=locks)

    # -- checkpoints -----------------------------------------------------------------------
    def checkpoint(self) -> Engine:
        """Write every dirty page, log a checkpoint, and truncate the log below what is needed.

        Recovery starts at the last checkpoint (every page older than it is on the disk),
        but undo may need any record of a transaction that was running at the checkpoint:
        the log is kept from the older of the two.

        Examples
        --------
        >>> e = Engine.create(("x", "y")).add("T1", "x", 1).add("T2", "y", 1).commit("T2")
        >>> e = e.checkpoint()
        >>> e.disk.log_start, e.disk.master, [str(f) for f in e.disk.log][-1]
        (1, 5, '5 checkpoint: active [T1 (first 1, last 1)], dirty pages []')
        >>> e.commit("T1").checkpoint().disk.log_start   # 6 commit, 7 end, 8 checkpoint
        8
        """
        engine = self
        for key, _ in self.dirty:
            engine = engine.flush_page(key)
        active = tuple((t, e.first_lsn or 0, e.last_lsn) for t, e in engine.txns)
        engine, rec = engine.append(kind="checkpoint", active=active, dirty=engine.dirty)
        engine = engine.flush_log(rec.lsn)
        engine = evolve(engine, disk=evolve(engine.disk, master=rec.lsn))
        needed = [rec.lsn]
        if self.mutant != "truncate_active":
            needed += [first for _, first, _ in active]  # undo may need all of them
        return engine.truncate_log(min(needed))

    def __str__(self) -> str:
        return (
            f"memory {self.values()}, disk {self.disk.values()}, "
            f"log {[f.record.lsn for f in self.disk.log]}, tail {[r.lsn for r in self.tail]}"
        )
