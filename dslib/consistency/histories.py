"""Building histories by hand, and the views of a history that the checkers use.

The history data type is ``dslib.sim.history.History``: a time-ordered list of
events (``invoke``, then ``ok``, ``fail`` or ``info``). The simulator's clients
record one as they run. This module adds what a notebook or a test needs to
write one by hand:

- ``history(events)``: from event tuples ``(process, type, f, value[, time])``;
- ``history_from_intervals(rows)``: from operation intervals
  ``(process, f, value, result, start, end[, status])``;

and what the checkers need to read one:

- ``timeline(history)``: each operation with the positions of its two events
  in the history (real-time order is the order of events, so two operations
  that touch at the same instant are still ordered the way they were recorded);
- ``subhistory(history, operations)``: the events of some operations only;
- ``describe(operation)``: a short label such as ``write(1)`` or ``read() -> 1``.

Examples
--------
>>> h = history([("c1", "invoke", "write", 1), ("c2", "invoke", "read", None),
...              ("c1", "ok", "write", 1), ("c2", "ok", "read", 1)])
>>> h
History(4 events, 2 operations)
>>> [describe(op) for op in h.operations()]
['write(1)', 'read() -> 1']
>>> h2 = history_from_intervals([("c1", "write", 1, None, 0, 2), ("c2", "read", None, 1, 1, 3)])
>>> [str(op) for op in h2.operations()]
['c1 write(1) -> ok None  [0.0, 2.0]', 'c2 read(None) -> ok 1  [1.0, 3.0]']
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from dslib.errors import HistoryError
from dslib.sim.history import Event, History, Operation
from dslib.stats import is_number

__all__ = [
    "TimedOperation",
    "describe",
    "history",
    "history_from_intervals",
    "subhistory",
    "timeline",
]

_TYPES = ("invoke", "ok", "fail", "info")
_EVENT_FIELDS = ("process", "type", "f", "value", "time", "key")
_INTERVAL_FIELDS = ("process", "f", "value", "result", "start", "end", "status", "key")


def _check_fields(
    row: Mapping[Any, Any], where: str, allowed: Sequence[str], required: Sequence[str]
) -> None:
    """Refuse a row (a dict) with a field not in ``allowed``, or without one of ``required``."""
    unknown = sorted(str(k) for k in row if k not in allowed)
    if unknown:
        raise ValueError(f"{where} has unknown fields {unknown}; allowed: {', '.join(allowed)}")
    missing = [k for k in required if k not in row]
    if missing:
        raise ValueError(f"{where} ({dict(row)!r}) lacks the fields {missing}")


def history(events: Iterable[Event | Sequence[Any] | Mapping[str, Any]]) -> History:
    """A ``History`` from a list of events written by hand.

    Parameters
    ----------
    events : iterable of tuple, dict or Event
        Each event is a tuple ``(process, type, f, value)`` or
        ``(process, type, f, value, time)``, a dict with the keys
        ``process``, ``type``, ``f`` and optionally ``value``, ``time`` and
        ``key`` (for key-value operations), or an ``Event`` (for instance
        some of another history's events). ``type`` is ``"invoke"``, ``"ok"``,
        ``"fail"`` or ``"info"``. Either every event has a time or none has;
        without times, event number ``i`` happens at time ``i``.

    Returns
    -------
    History

    Raises
    ------
    TypeError
        If an event is neither a tuple nor a dict.
    ValueError
        If an event has the wrong number of fields, an unknown field, or if
        only some events have a time.
    HistoryError
        If the events do not form a history (an operation completes twice,
        completes without an invocation, time goes backwards...); the message
        names the event number.

    Examples
    --------
    >>> h = history([("c1", "invoke", "write", 1, 0.0), ("c1", "ok", "write", 1, 2.0)])
    >>> print(h.operations()[0])
    c1 write(1) -> ok 1  [0.0, 2.0]
    >>> history([("c1", "ok", "write", 1)])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.errors.HistoryError: event 0: process 'c1' completes write (ok) ... open invocation
    """
    rows: list[dict[str, Any]] = []
    for i, e in enumerate(events):
        if isinstance(e, Event):
            rows.append({k: getattr(e, k) for k in _EVENT_FIELDS})
        elif isinstance(e, Mapping):
            _check_fields(e, f"history: event {i}", _EVENT_FIELDS, ("process", "type", "f"))
            rows.append(dict(e))
        elif isinstance(e, (tuple, list)):
            if len(e) not in (4, 5):
                raise ValueError(
                    f"history: event {i} is {e!r} with {len(e)} fields; write "
                    "(process, type, f, value) or (process, type, f, value, time), or a dict "
                    "(for a key)"
                )
            rows.append(dict(zip(_EVENT_FIELDS, e, strict=False)))
        else:
            raise TypeError(
                f"history: event {i} is a {type(e).__name__}; give a tuple "
                "(process, type, f, value[, time]), a dict or an Event"
            )
    timed = ["time" in r for r in rows]
    if any(timed) and not all(timed):
        raise ValueError(
            f"history: event {timed.index(not timed[0])} "
            f"{'lacks' if timed[0] else 'has'} a time but event 0 "
            f"{'has' if timed[0] else 'lacks'} one; give a time to every event or to none"
        )
    h = History()
    for i, r in enumerate(rows):
        t = r.get("time", i)
        if not is_number(t) or math.isnan(t):
            raise ValueError(f"history: event {i} has time {t!r}; a time is a number")
        if r["type"] not in _TYPES:
            raise HistoryError(f"event {i}: type {r['type']!r} is not one of {', '.join(_TYPES)}")
        try:
            h.add(Event(r["process"], r["type"], r["f"], r.get("value"), float(t), r.get("key")))
        except HistoryError as exc:
            raise HistoryError(f"event {i}: {exc}") from None
    return h


@dataclass(frozen=True)
class _Row:
    process: Hashable
    f: str
    value: Any
    result: Any
    start: float
    end: float | None
    status: str
    key: Hashable


def history_from_intervals(rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> History:
    """A ``History`` from operations given as time intervals.

    Parameters
    ----------
    rows : iterable of tuple or dict
        Each operation is a tuple ``(process, f, value, result, start, end)``
        or ``(process, f, value, result, start, end, status)``, or a dict with
        those names and optionally ``key``. ``status`` is ``"ok"`` (the
        default), ``"fail"`` or ``"info"``; ``end=None`` means the operation
        never completed (it stays open to the end, like ``info``).

    Returns
    -------
    History
        The events sorted by time; at equal times completions come before
        invocations, so an operation that ends at ``t`` precedes one that
        starts at ``t``.

    Raises
    ------
    ValueError
        If a row is malformed, or ends before it starts.
    HistoryError
        If two operations of one process overlap.

    Examples
    --------
    >>> h = history_from_intervals([
    ...     ("c1", "write", 1, None, 0, 2),
    ...     ("c2", "read", None, 1, 1, 3),
    ...     {"process": "c3", "f": "put", "key": "x", "value": 5, "result": None,
    ...      "start": 0, "end": None},
    ... ])
    >>> for op in h.operations():
    ...     print(op)
    c1 write(1) -> ok None  [0.0, 2.0]
    c3 put['x'](5) -> info None  [0.0, inf]
    c2 read(None) -> ok 1  [1.0, 3.0]
    """
    parsed: list[_Row] = []
    for i, r in enumerate(rows):
        if isinstance(r, Mapping):
            _check_fields(
                r, f"history_from_intervals: row {i}", _INTERVAL_FIELDS, ("process", "f", "start")
            )
            d = dict(r)
        elif isinstance(r, (tuple, list)):
            if len(r) not in (6, 7):
                raise ValueError(
                    f"history_from_intervals: row {i} is {r!r} with {len(r)} fields; write "
                    "(process, f, value, result, start, end[, status]) or a dict (for a key)"
                )
            d = dict(zip(_INTERVAL_FIELDS, r, strict=False))
        else:
            raise TypeError(
                f"history_from_intervals: row {i} is a {type(r).__name__}; give a tuple "
                "(process, f, value, result, start, end[, status]) or a dict"
            )
        status = d.get("status", "ok")
        if status not in ("ok", "fail", "info"):
            raise ValueError(
                f"history_from_intervals: row {i} has status {status!r}; allowed: ok, fail, info"
            )
        start, end = d["start"], d.get("end")
        if not is_number(start) or not math.isfinite(start):
            raise ValueError(f"history_from_intervals: row {i} has start {start!r}; use a number")
        if end is not None:
            if not is_number(end) or math.isnan(end):
                raise ValueError(
                    f"history_from_intervals: row {i} has end {end!r}; use a number, or None "
                    "for an operation that never completed"
                )
            if end < start:
                raise ValueError(
                    f"history_from_intervals: row {i} ends at {end} before it starts at {start}"
                )
            if math.isinf(end):
                end = None
        if not isinstance(d["f"], str):
            raise ValueError(f"history_from_intervals: row {i} has f={d['f']!r}; use a string")
        parsed.append(
            _Row(
                d["process"],
                d["f"],
                d.get("value"),
                d.get("result"),
                float(start),
                None if end is None else float(end),
                status,
                d.get("key"),
            )
        )
    # (time, completion before invocation, row number): a total, deterministic order.
    marks: list[tuple[float, int, int]] = []
    for i, row in enumerate(parsed):
        marks.append((row.start, 1, i))
        if row.end is not None:
            marks.append((row.end, 0, i))
    marks.sort()
    h = History()
    for t, kind, i in marks:
        row = parsed[i]
        try:
            if kind == 1:
                h.add(Event(row.process, "invoke", row.f, row.value, t, row.key))
            else:
                h.add(Event(row.process, row.status, row.f, row.result, t, row.key))
        except HistoryError as exc:
            raise HistoryError(f"row {i}: {exc}") from None
    return h


class TimedOperation(NamedTuple):
    """An operation with the positions of its events in the history.

    ``invoke`` and ``complete`` are event numbers (indices into
    ``history.events``); ``complete`` is ``math.inf`` for an operation that is
    ``info`` or never completed, since it may take effect at any time after its
    invocation. Operation ``a`` precedes ``b`` in real time when
    ``a.complete < b.invoke``.

    (A named tuple: immutable, and cheap to make; a checker makes one per
    operation of the history.)

    Examples
    --------
    >>> h = history([("a", "invoke", "read", None), ("a", "ok", "read", 1)])
    >>> timeline(h)[0].invoke, timeline(h)[0].complete
    (0, 1)
    """

    op: Operation
    invoke: int
    complete: float


def timeline(history: History) -> list[TimedOperation]:
    """The operations of ``history`` with their event positions, in invocation order.

    Parameters
    ----------
    history : History

    Returns
    -------
    list of TimedOperation

    Raises
    ------
    TypeError
        If ``history`` is not a ``History``.

    Examples
    --------
    >>> h = history([("a", "invoke", "write", 1), ("b", "invoke", "read", None),
    ...              ("a", "ok", "write", 1), ("b", "info", "read", None)])
    >>> [(t.op.f, t.invoke, t.complete) for t in timeline(h)]
    [('write', 0, 2), ('read', 1, inf)]
    """
    if not isinstance(history, History):
        raise TypeError(
            f"expected a dslib History, got {type(history).__name__}; build one with "
            "history([...]), history_from_intervals([...]) or a reader such as read_jepsen_edn"
        )
    ops = history.operations()
    invoked, completed = history.positions()
    return [
        TimedOperation(op, invoked[n], completed[n] if op.status != "info" else math.inf)
        for n, op in enumerate(ops)
    ]


def subhistory(history: History, operations: Iterable[Operation]) -> History:
    """The history of only some of its operations (their invocations and completions).

    Parameters
    ----------
    history : History
    operations : iterable of Operation
        Operations of ``history`` (as returned by ``history.operations()``).

    Returns
    -------
    History

    Raises
    ------
    ValueError
        If an operation is not one of ``history``'s.

    Examples
    --------
    >>> h = history([("a", "invoke", "write", 1), ("b", "invoke", "read", None),
    ...              ("a", "ok", "write", 1), ("b", "ok", "read", 1)])
    >>> subhistory(h, h.operations()[1:])
    History(2 events, 1 operations)
    """
    ops = history.operations()
    wanted: set[int] = set()
    for op in operations:
        if not (isinstance(op, Operation) and 0 <= op.index < len(ops) and ops[op.index] == op):
            raise ValueError(f"subhistory: {op} is not an operation of this history")
        wanted.add(op.index)
    out = History()
    n = -1
    open_ops: dict[Hashable, int] = {}
    for e in history.events:
        if e.type == "invoke":
            n += 1
            open_ops[e.process] = n
            if n in wanted:
                out.add(e)
        elif open_ops.pop(e.process) in wanted:
            out.add(e)
    return out


def _short(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + " ".join(_short(v) for v in value) + "]"
    return repr(value)


def describe(op: Operation) -> str:
    """A short label for an operation: ``write(1)``, ``read() -> 1``, ``cas([1 2])?``.

    The result is shown for a successful operation when it says something the
    argument does not (a read's value, a cas that returned ``False``). A
    ``fail``-ed operation ends in ``" fail"``, an ``info`` one in ``"?"``.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> describe(Operation(0, "c1", "read", None, 3, "ok", 0.0, 1.0))
    'read() -> 3'
    >>> describe(Operation(0, "c1", "put", 5, None, "info", 0.0, float("inf"), "k"))
    'put(k, 5)?'
    """
    args = [] if op.key is None else [str(op.key)]
    if op.value is not None:
        args.append(_short(op.value))
    label = f"{op.f}({', '.join(args)})"
    if op.status == "ok":
        if op.value is None or (op.result is not None and op.result != op.value):
            label += f" -> {_short(op.result)}"
    elif op.status == "fail":
        label += " fail"
    else:
        label += "?"
    return label
