"""Restart recovery, ARIES-style: analysis, redo (repeating history), undo of the losers.

After a crash the engine has only its ``Disk``: pages written at various times, and the
log up to its last forced record (perhaps followed by records that reached the disk
unforced, the last perhaps torn). Recovery rebuilds a table that holds every committed
transaction and no other, in three passes (Mohan et al. 1992, section 6, "Restart
processing"):

1. **analysis** reads the log forward from the last checkpoint and rebuilds the
   transaction table (who was running, and their last record) and the dirty page table
   (which pages may be older on the disk than in the log, and from which LSN). Committed
   transactions are *winners*; the others are *losers*.
2. **redo** repeats history: from the oldest recovery LSN of a dirty page, every update
   and compensation record is applied again to its page, unless the page already holds
   it (its page LSN is at least the record's). Losers are redone too; the next pass
   removes them, and that keeps the log and the pages in step.
3. **undo** rolls the losers back, last change first, writing a compensation record
   (CLR) for each change undone, exactly as an abort does. A crash during undo is
   recovered like any other: the CLRs already logged are redone, and their ``undo_next``
   skips the changes they undid (section 6.3, "Undo pass"), so nothing is undone twice.

``read_log`` stops at the first torn record and recovery cuts the log there: new records
overwrite it.

Each pass is split into steps (``Recovery.step``), so that ``dslib.databases.crashes``
can crash the node in the middle of recovery too.

Examples
--------
>>> from dslib.databases.storage import Engine
>>> e = Engine.create(("x", "y")).add("T1", "x", 5).commit("T1").add("T2", "y", 7)
>>> disk = e.flush_page("y").durable().after_crash(0)   # T2's change is on the disk
>>> disk.values()
{'x': 0, 'y': 7}
>>> r = recover(disk)
>>> r.engine.values(), r.winners, r.losers
({'x': 5, 'y': 0}, ('T1',), ('T2',))
>>> print(r.summary())
winners T1; losers T2; redo from 1: redone 1; undone 4
"""

from __future__ import annotations

from dataclasses import dataclass

from dslib.databases.storage import (
    MUTANTS,
    Disk,
    Engine,
    TxnEntry,
    _drop,
    _get,
    _put,
    cached_hash,
    evolve,
)
from dslib.databases.wal import LogRecord, read_log
from dslib.mutants import check_mutant

__all__ = ["PHASES", "Recovery", "recover"]

PHASES = ("analysis", "redo", "undo", "done")
"""The phases of recovery, in order."""


@dataclass(frozen=True)
class Recovery:
    """Recovery in progress: the engine being rebuilt and what each pass found so far.

    Build one with ``Recovery.start(disk)``; ``step()`` does the next step; ``recover``
    runs them all.

    Attributes
    ----------
    engine : Engine
        The engine being rebuilt: the table starts as the disk's pages.
    phase : str
        The next pass to run (one of ``PHASES``; ``"done"`` when finished).
    records : tuple of LogRecord
        The log as read (up to the first torn record).
    torn_at : int or None
        The LSN of the torn record where reading stopped (None: none).
    dirty_pages : tuple of (key, rec_lsn)
        The dirty page table analysis rebuilt: pages that may lack changes from
        ``rec_lsn`` on. (The engine's own ``dirty`` is its buffer's: pages changed in
        memory since recovery began.)
    redo_from : int or None
        The LSN where redo starts (None: nothing to redo).
    position : int
        The index in ``records`` of the next record to redo.
    to_undo : tuple of (txn, next lsn)
        The losers left, each with the LSN of its next record to undo.
    winners, losers : tuple of str
        The committed transactions, and those rolled back.
    redone, undone : tuple of int
        The LSNs of the records redone, and of the updates undone.
    broken : tuple of str
        Losers whose chain of records reached a record no longer in the log.
    """

    engine: Engine
    phase: str = "analysis"
    records: tuple[LogRecord, ...] = ()
    torn_at: int | None = None
    dirty_pages: tuple[tuple[str, int], ...] = ()
    redo_from: int | None = None
    position: int = 0
    to_undo: tuple[tuple[str, int | None], ...] = ()
    winners: tuple[str, ...] = ()
    losers: tuple[str, ...] = ()
    redone: tuple[int, ...] = ()
    undone: tuple[int, ...] = ()
    broken: tuple[str, ...] = ()

    def __hash__(self) -> int:
        # The model checker knows a state by its hash. What recovery *reports* (redone,
        # undone, broken) does not change what it does next, so two recoveries that differ
        # only there count as one state.
        return cached_hash(
            self,
            (
                self.engine,
                self.phase,
                self.records,
                self.torn_at,
                self.dirty_pages,
                self.redo_from,
                self.position,
                self.to_undo,
                self.winners,
                self.losers,
            ),
        )

    @classmethod
    def start(cls, disk: Disk, mutant: str | None = None) -> Recovery:
        """Begin recovery from ``disk``: read the log, load the pages.

        Raises
        ------
        TypeError
            If ``disk`` is not a ``Disk``.
        ValueError
            If ``disk`` still has unsynced records (choose what a crash kept first,
            with ``disk.after_crash``), or ``mutant`` is unknown.
        """
        if not isinstance(disk, Disk):
            raise TypeError(f"Recovery.start: disk={disk!r} must be a dslib.databases.Disk")
        if disk.unsynced:
            raise ValueError(
                "Recovery.start: the disk still has unsynced records; a crash decides what "
                "of them survived: pass disk.after_crash(kept, torn)"
            )
        check_mutant("Recovery.start", mutant, MUTANTS)
        read = read_log(disk.log, verify=mutant != "no_checksum")  # stop at a torn record
        kept = disk.log[: len(read.records)]  # the log is cut at the tear
        next_lsn = read.records[-1].lsn + 1 if read.records else disk.log_start
        engine = Engine(
            table=disk.pages, disk=evolve(disk, log=kept), next_lsn=next_lsn, mutant=mutant
        )
        return cls(engine, records=read.records, torn_at=read.torn_at)

    @property
    def done(self) -> bool:
        """Whether recovery has finished."""
        return self.phase == "done"

    def step(self) -> Recovery:
        """Run the next step: the whole analysis pass, one record of redo, or one of undo.

        Raises
        ------
        ValueError
            If recovery is already done.
        """
        if self.phase == "analysis":
            return self._analysis()
        if self.phase == "redo":
            return self._redo_one()
        if self.phase == "undo":
            return self._undo_one()
        raise ValueError("Recovery.step: recovery is done; nothing left to do")

    def _analysis(self) -> Recovery:
        master = self.engine.disk.master
        txns: dict[str, TxnEntry] = {}
        dirty: dict[str, int] = {}
        start = 0
        for i, r in enumerate(self.records):
            if r.lsn == master and r.kind == "checkpoint":
                start = i + 1
                txns = {t: TxnEntry("active", f, last) for t, f, last in r.active}
                dirty = dict(r.dirty)
        committed: set[str] = set()  # committed, not yet ended
        winners: set[str] = set()
        for r in self.records[start:]:
            if r.txn is None:
                continue
            if r.kind in ("update", "clr"):
                entry = txns.get(r.txn, TxnEntry("active", r.lsn))
                txns[r.txn] = evolve(entry, last_lsn=r.lsn)
                if r.key is not None:
                    dirty.setdefault(r.key, r.lsn)
            elif r.kind == "commit":
                committed.add(r.txn)
                winners.add(r.txn)
                txns.setdefault(r.txn, TxnEntry("active"))
            elif r.kind == "abort" and r.txn in txns:
                txns[r.txn] = evolve(txns[r.txn], status="aborted")
            elif r.kind == "end":
                txns.pop(r.txn, None)
                committed.discard(r.txn)
        engine = self.engine
        for t in sorted(committed):  # committed, not yet ended: finish them
            engine = engine._end(t)
        losers = tuple(sorted(t for t in txns if t not in committed))
        engine = evolve(engine, txns=tuple((t, txns[t]) for t in losers))
        redo_from = min(dirty.values()) if dirty else None
        position = len(self.records)
        if redo_from is not None:
            position = next((i for i, r in enumerate(self.records) if r.lsn >= redo_from), position)
        return evolve(
            self,
            engine=engine,
            phase="redo",
            dirty_pages=tuple(sorted(dirty.items())),
            redo_from=redo_from,
            position=position,
            to_undo=tuple((t, txns[t].last_lsn) for t in losers),
            winners=tuple(sorted(winners)),
            losers=losers,
        )._skip_to_redo()

    def _skip_to_redo(self) -> Recovery:
        """Move to the next record redo has to look at (update or CLR), or end the pass."""
        i = self.position
        while i < len(self.records) and self.records[i].kind not in ("update", "clr"):
            i += 1
        if i < len(self.records):
            return evolve(self, position=i)
        if self.engine.mutant == "redo_uncommitted":  # the losers' changes stay
            return evolve(self, position=i, phase="done", to_undo=())
        return evolve(self, position=i, phase="undo")._finish_if_nothing_to_undo()

    def _redo_one(self) -> Recovery:
        r = self.records[self.position]
        engine, redone = self.engine, self.redone
        assert r.key is not None and r.op is not None and r.arg is not None
        rec_lsn = _get(self.dirty_pages, r.key)
        page = _get(engine.table, r.key)
        if self.engine.mutant == "redo_ignores_page_lsn":
            needed = True
        else:
            needed = (
                rec_lsn is not None
                and r.lsn >= rec_lsn
                and page is not None
                and page.page_lsn < r.lsn  # the page does not hold this change yet
            )
        if needed:
            engine = engine.apply_change(r.key, r.op, r.arg, r.lsn)
            redone = (*redone, r.lsn)
        return evolve(
            self, engine=engine, redone=redone, position=self.position + 1
        )._skip_to_redo()

    def _undo_one(self) -> Recovery:
        # The loser whose next record is the latest goes first: one backward sweep.
        txn, lsn = max(self.to_undo, key=lambda p: (-1 if p[1] is None else p[1], p[0]))
        engine, undone, broken = self.engine, self.undone, self.broken
        nxt: int | None = None
        if lsn is not None:
            record = engine.record(lsn)
            if record is None:  # the log was truncated under a running transaction
                broken = (*broken, txn)
            else:
                engine, nxt = engine.undo(record)
                if record.kind == "update":
                    undone = (*undone, lsn)
        if nxt is None:
            engine = engine._end(txn)
            to_undo = _drop(self.to_undo, txn)
        else:
            to_undo = _put(self.to_undo, txn, nxt)
        return evolve(
            self, engine=engine, to_undo=to_undo, undone=undone, broken=broken
        )._finish_if_nothing_to_undo()

    def _finish_if_nothing_to_undo(self) -> Recovery:
        if self.phase == "undo" and not self.to_undo:
            return evolve(self, phase="done")
        return self

    def summary(self) -> str:
        """One line: winners, losers, where redo started, what was redone and undone."""
        parts = [
            f"winners {', '.join(self.winners) or 'none'}",
            f"losers {', '.join(self.losers) or 'none'}",
        ]
        if self.torn_at is not None:
            parts.append(f"log torn at {self.torn_at}")
        redo = ", ".join(map(str, self.redone)) or "nothing"
        parts.append(
            "nothing to redo"
            if self.redo_from is None
            else f"redo from {self.redo_from}: redone {redo}"
        )
        parts.append(f"undone {', '.join(map(str, self.undone)) or 'nothing'}")
        if self.broken:
            parts.append(f"log truncated under {', '.join(self.broken)}")
        return "; ".join(parts)


def recover(disk: Disk, mutant: str | None = None) -> Recovery:
    """Recover from ``disk`` in one go: every pass, to the end.

    Parameters
    ----------
    disk : Disk
        What the crash left (``Disk.after_crash``).
    mutant : str, optional
        A broken version of recovery from ``MUTANTS`` (and of the engine it rebuilds).

    Returns
    -------
    Recovery
        Finished; ``.engine`` is the engine ready to run transactions again.

    Examples
    --------
    >>> e = Engine.create(("x",)).add("T1", "x", 1).commit("T1").add("T2", "x", 2)
    >>> recover(e.durable().after_crash(2)).engine.values()
    {'x': 1}
    >>> recover(e.durable().after_crash(2), mutant="redo_uncommitted").engine.values()
    {'x': 3}
    """
    r = Recovery.start(disk, mutant)
    while not r.done:
        r = r.step()
    return r
