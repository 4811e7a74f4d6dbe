"""The write-ahead log: log records, their checksums, and reading a log back after a crash.

A log is a sequence of **records**, each with a log sequence number (LSN), the position
that orders them (Mohan et al. 1992, section 4.1, "Log records"). The kinds of
record, in ARIES' terms:

- ``update``: transaction ``txn`` changed ``key``: ``op="set"`` to the value ``arg``
  (``before`` is the value it replaced), or ``op="add"``, adding ``arg``;
- ``clr``: a *compensation log record*: the undo of an update, written while rolling back;
  ``undo_next`` is the LSN of the next record of the transaction left to undo (section 5.2,
  "Total or partial rollbacks");
- ``commit`` and ``abort``: the transaction's outcome; ``end``: it is finished (rolled back
  completely, or committed and forgotten);
- ``checkpoint``: the transaction table (``active``: ``(txn, first_lsn, last_lsn)``) and
  the dirty page table (``dirty``: ``(key, rec_lsn)``) at the checkpoint (section 5.4).

On the disk each record sits in a **frame** with a CRC-32 of its contents, computed when
the record was written. A crash in the middle of a write leaves a *torn* frame: the header
made it to the disk, the rest did not. Reading the log back, ``read_log`` recomputes each
checksum and stops at the first frame that does not match, so a torn record is never taken
for a real one. (A torn frame is modelled by replacing the fields after the header with
``GARBAGE``, the bytes that happened to be on the disk, while the stored checksum is the
one of the record that should have been written.)

Examples
--------
>>> r = LogRecord(1, "update", "T1", "x", "set", 5, before=0)
>>> print(r)
1 update T1 x=5 (was 0)
>>> good, torn = write_frame(r), torn_frame(r)
>>> good.intact, torn.intact
(True, False)
>>> read_log((good, torn_frame(LogRecord(2, "commit", "T1", prev_lsn=1)))).records
(LogRecord(lsn=1, kind='update', txn='T1', key='x', op='set', arg=5, before=0),)
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

__all__ = [
    "GARBAGE",
    "KINDS",
    "Frame",
    "LogRead",
    "LogRecord",
    "checksum",
    "read_log",
    "torn_frame",
    "write_frame",
]

KINDS = ("update", "clr", "commit", "abort", "end", "checkpoint")
"""The kinds of log record."""

GARBAGE = 0xDEAD
"""What a torn write leaves in the fields it did not finish writing (57005)."""


@dataclass(frozen=True)
class LogRecord:
    """One record of the write-ahead log.

    Parameters
    ----------
    lsn : int
        Its log sequence number (1, 2, 3, ...).
    kind : str
        One of ``KINDS``.
    txn : str, optional
        The transaction (all kinds but ``checkpoint``).
    key : str, optional
        The page changed (``update`` and ``clr``).
    op : {"set", "add"}, optional
        How the page changed: set it to ``arg``, or add ``arg`` to it.
    arg : int, optional
        The value set, or the amount added.
    before : int, optional
        For ``op="set"``: the value replaced (what undo puts back).
    prev_lsn : int, optional
        The transaction's previous update or compensation record (its backward chain).
    undo_next : int, optional
        For a ``clr``: the next record of the transaction to undo (None: nothing left).
    active : tuple, optional
        For a ``checkpoint``: ``(txn, first_lsn, last_lsn)`` of each transaction not ended.
    dirty : tuple, optional
        For a ``checkpoint``: ``(key, rec_lsn)`` of each dirty page.

    Raises
    ------
    ValueError
        If ``kind`` or ``op`` is not an allowed value, or ``lsn`` is not a positive int.

    Examples
    --------
    >>> print(LogRecord(4, "clr", "T2", "y", "add", -3, prev_lsn=3, undo_next=None))
    4 clr T2 y+=-3 (undo next: none)
    >>> LogRecord(0, "update")
    Traceback (most recent call last):
    ...
    ValueError: LogRecord: lsn=0 must be an int >= 1
    """

    lsn: int
    kind: str
    txn: str | None = None
    key: str | None = None
    op: str | None = None
    arg: int | None = None
    before: int | None = None
    prev_lsn: int | None = None
    undo_next: int | None = None
    active: tuple[tuple[str, int, int | None], ...] = ()
    dirty: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.lsn, int) or isinstance(self.lsn, bool) or self.lsn < 1:
            raise ValueError(f"LogRecord: lsn={self.lsn!r} must be an int >= 1")
        if self.kind not in KINDS:
            raise ValueError(f"LogRecord: kind={self.kind!r}; allowed: {', '.join(KINDS)}")
        if self.op not in (None, "set", "add"):
            raise ValueError(f"LogRecord: op={self.op!r}; allowed: 'set', 'add'")

    def __repr__(self) -> str:
        # Only the fields that are set, so that a log prints short.
        fields = [f"lsn={self.lsn!r}", f"kind={self.kind!r}"]
        for name in ("txn", "key", "op", "arg", "before", "prev_lsn", "undo_next"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        for name in ("active", "dirty"):
            if getattr(self, name):
                fields.append(f"{name}={getattr(self, name)!r}")
        return f"LogRecord({', '.join(fields)})"

    def __str__(self) -> str:
        head = f"{self.lsn} {self.kind}"
        if self.kind == "checkpoint":
            active = ", ".join(f"{t} (first {f}, last {last})" for t, f, last in self.active)
            dirty = ", ".join(f"{k} from {lsn}" for k, lsn in self.dirty)
            return f"{head}: active [{active}], dirty pages [{dirty}]"
        if self.kind not in ("update", "clr"):
            return f"{head} {self.txn}"
        change = f"{self.key}={self.arg}" if self.op == "set" else f"{self.key}+={self.arg}"
        if self.kind == "update":
            was = f" (was {self.before})" if self.op == "set" else ""
            return f"{head} {self.txn} {change}{was}"
        nxt = "none" if self.undo_next is None else self.undo_next
        return f"{head} {self.txn} {change} (undo next: {nxt})"


def checksum(record: LogRecord) -> int:
    """The CRC-32 of a record's contents (its fields, in a fixed encoding).

    Examples
    --------
    >>> checksum(LogRecord(1, "commit", "T1")) == checksum(LogRecord(1, "commit", "T1"))
    True
    >>> checksum(LogRecord(1, "commit", "T1")) == checksum(LogRecord(1, "commit", "T2"))
    False
    """
    # repr of ints, strings, None and tuples of them is the same in every Python process.
    fields = (
        record.lsn,
        record.kind,
        record.txn,
        record.key,
        record.op,
        record.arg,
        record.before,
        record.prev_lsn,
        record.undo_next,
        record.active,
        record.dirty,
    )
    return zlib.crc32(repr(fields).encode())


@dataclass(frozen=True)
class Frame:
    """A record as it sits on the disk: the checksum written with it, and what was read.

    Examples
    --------
    >>> write_frame(LogRecord(1, "commit", "T1")).intact
    True
    """

    checksum: int
    record: LogRecord

    @property
    def intact(self) -> bool:
        """The stored checksum matches the contents: the record was written whole."""
        return checksum(self.record) == self.checksum

    def __str__(self) -> str:
        return str(self.record) + ("" if self.intact else "  [torn: checksum mismatch]")


def write_frame(record: LogRecord) -> Frame:
    """The frame of ``record`` written whole.

    Examples
    --------
    >>> f = write_frame(LogRecord(1, "commit", "T1"))
    >>> f.record.txn, f.intact
    ('T1', True)
    """
    return Frame(checksum(record), record)


def torn_frame(record: LogRecord) -> Frame:
    """The frame of ``record`` torn by a crash: checksum and header written, the rest not.

    The header is the LSN, the kind and the transaction; every later field that is set
    reads as ``GARBAGE``.

    Examples
    --------
    >>> f = torn_frame(LogRecord(3, "update", "T1", "x", "add", 1, prev_lsn=2))
    >>> f.record.arg, f.record.prev_lsn, f.intact
    (57005, 57005, False)
    """

    def torn(value: int | None) -> int | None:
        return None if value is None else GARBAGE

    if record.kind == "checkpoint":  # the tables after the header are garbage
        garbled_record = replace(record, active=(("?", GARBAGE, GARBAGE),), dirty=())
    elif (record.arg, record.before, record.prev_lsn, record.undo_next) == (None,) * 4:
        # nothing after the header: the tear hits the transaction id
        garbled_record = replace(record, txn=f"{record.txn}?")
    else:
        garbled_record = replace(
            record,
            arg=torn(record.arg),
            before=torn(record.before),
            prev_lsn=torn(record.prev_lsn),
            undo_next=torn(record.undo_next),
        )
    return Frame(checksum(record), garbled_record)


@dataclass(frozen=True)
class LogRead:
    """What ``read_log`` read: the records up to the first bad frame, and where it stopped.

    Attributes
    ----------
    records : tuple of LogRecord
        The records read, in LSN order.
    torn_at : int or None
        The LSN of the first frame whose checksum did not match (None: all intact).
    ignored : int
        How many frames were left unread from there (the torn one included).
    """

    records: tuple[LogRecord, ...]
    torn_at: int | None = None
    ignored: int = 0


def read_log(frames: Sequence[Frame], verify: bool = True) -> LogRead:
    """Read a log back: every frame up to the first one whose checksum does not match.

    Parameters
    ----------
    frames : sequence of Frame
        The log as found on the disk.
    verify : bool, default True
        Check each frame's checksum. ``False`` is the broken reader that takes whatever it
        finds (the ``no_checksum`` mutant of ``dslib.databases.recovery``).

    Returns
    -------
    LogRead

    Raises
    ------
    TypeError
        If an element of ``frames`` is not a ``Frame``.

    Examples
    --------
    >>> frames = [write_frame(LogRecord(1, "update", "T1", "x", "add", 1)),
    ...           torn_frame(LogRecord(2, "update", "T1", "y", "add", 1, prev_lsn=1))]
    >>> read = read_log(frames)
    >>> len(read.records), read.torn_at, read.ignored
    (1, 2, 1)
    >>> read_log(frames, verify=False).records[-1].arg
    57005
    """
    records: list[LogRecord] = []
    for i, frame in enumerate(frames):
        if not isinstance(frame, Frame):
            raise TypeError(f"read_log: element {i} is {frame!r}, not a Frame")
        if verify and not frame.intact:
            return LogRead(tuple(records), frame.record.lsn, len(frames) - i)
        records.append(frame.record)
    return LogRead(tuple(records))
