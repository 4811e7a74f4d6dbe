"""Histories of client operations: what the consistency checkers judge.

A history is the sequence of events that clients observed, in time order:
each operation is *invoked*, then completes as ``ok`` (it took effect, with
this result), ``fail`` (it certainly did not take effect) or ``info`` (it may or
may not have: a timeout, say). An operation that never completes is treated
like ``info``: it stays open to the end of the history.

This module is the data; ``dslib.consistency`` holds the checkers and the
readers for history files.

Examples
--------
>>> h = History()
>>> h.invoke("c1", "write", 1, time=0.0)
>>> h.invoke("c2", "read", None, time=1.0)
>>> h.complete("c1", "ok", "write", 1, time=2.0)
>>> h.complete("c2", "ok", "read", 1, time=3.0)
>>> for op in h.operations():
...     print(op)
c1 write(1) -> ok 1  [0.0, 2.0]
c2 read(None) -> ok 1  [1.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dslib.errors import HistoryError

__all__ = ["Event", "History", "Operation"]

TYPES = ("invoke", "ok", "fail", "info")


@dataclass(frozen=True)
class Event:
    """One line of a history.

    Attributes
    ----------
    process : hashable
        Who did it (a client id). A process runs one operation at a time.
    type : {"invoke", "ok", "fail", "info"}
    f : str
        The operation (``"read"``, ``"write"``, ``"cas"``, ``"get"``, ...).
    value : any
        The argument on invoke, the result on completion.
    time : float
        When it happened (simulated time).
    key : hashable or None
        The key, for key-value operations.
    """

    process: Hashable
    type: str
    f: str
    value: Any
    time: float
    key: Hashable = None


@dataclass(frozen=True)
class Operation:
    """An invocation paired with its completion.

    ``status`` is ``"ok"``, ``"fail"`` or ``"info"`` (``"info"`` too when the
    operation never completed, and then ``complete_time`` is ``inf``).
    ``value`` is the invocation's argument, ``result`` the completion's value.
    """

    index: int
    process: Hashable
    f: str
    value: Any
    result: Any
    status: str
    invoke_time: float
    complete_time: float
    key: Hashable = None

    def __str__(self) -> str:
        key = f"[{self.key!r}]" if self.key is not None else ""
        return (
            f"{self.process} {self.f}{key}({self.value!r}) -> {self.status} {self.result!r}  "
            f"[{self.invoke_time:.1f}, {self.complete_time:.1f}]"
        )


class History:
    """A history: a time-ordered list of ``Event``, checked as it is built.

    Parameters
    ----------
    events : iterable of Event or tuple, optional
        Events to add in order; tuples are ``(process, type, f, value, time[, key])``.

    Raises
    ------
    HistoryError
        If a process completes an operation it never invoked, invokes a second
        operation before the first completed, completes with a different ``f``
        than it invoked, or if time goes backwards.
    """

    def __init__(self, events: Iterable[Event | Sequence[Any]] = ()) -> None:
        self.events: list[Event] = []
        # The operations, paired as their events arrive (so that every checker reading
        # the history does not pair them again): per operation in invocation order, its
        # invocation's position, and the Operation once it completed (None while open).
        self._open: dict[Hashable, int] = {}  # process -> number of its open operation
        self._invoked_at: list[int] = []
        self._completed_at: list[float] = []
        self._ops: list[Operation | None] = []
        self._added = 0  # events added through add(): len(events) unless changed directly
        for e in events:
            if isinstance(e, Event):
                self.add(e)
            else:
                self.add(Event(*e))

    # -- building ---------------------------------------------------------------
    def add(self, event: Event) -> None:
        """Append one event, checking that it fits the history so far."""
        if event.type not in TYPES:
            raise HistoryError(
                f"event {len(self.events)} of process {event.process!r} has type "
                f"{event.type!r}; allowed: {', '.join(TYPES)}"
            )
        if self.events and event.time < self.events[-1].time:
            raise HistoryError(
                f"event {len(self.events)} of process {event.process!r} at time {event.time} "
                f"comes after an event at time {self.events[-1].time}; events must be in "
                "time order"
            )
        open_op = self._open.get(event.process)
        open_index = None if open_op is None else self._invoked_at[open_op]
        if event.type == "invoke":
            if open_index is not None:
                raise HistoryError(
                    f"process {event.process!r} invokes {event.f} at time {event.time} while its "
                    f"{self.events[open_index].f} invoked at time "
                    f"{self.events[open_index].time} has not completed; a process runs one "
                    "operation at a time (use a new process id for a new client)"
                )
            self._open[event.process] = len(self._ops)
            self._invoked_at.append(len(self.events))
            self._completed_at.append(math.inf)
            self._ops.append(None)
        else:
            if open_index is None:
                raise HistoryError(
                    f"process {event.process!r} completes {event.f} ({event.type}) at time "
                    f"{event.time} without an open invocation"
                )
            invoked = self.events[open_index]
            if invoked.f != event.f:
                raise HistoryError(
                    f"process {event.process!r} invoked {invoked.f} but completes {event.f}"
                )
            n = self._open.pop(event.process)
            self._completed_at[n] = len(self.events)
            self._ops[n] = Operation(
                n,
                invoked.process,
                invoked.f,
                invoked.value,
                event.value,
                event.type,
                invoked.time,
                event.time,
                invoked.key if invoked.key is not None else event.key,
            )
        self.events.append(event)
        self._added += 1

    def invoke(
        self, process: Hashable, f: str, value: Any = None, *, time: float, key: Hashable = None
    ) -> None:
        """Record that ``process`` invokes operation ``f`` with argument ``value``."""
        self.add(Event(process, "invoke", f, value, time, key))

    def complete(
        self,
        process: Hashable,
        type: str,
        f: str,
        value: Any = None,
        *,
        time: float,
        key: Hashable = None,
    ) -> None:
        """Record that ``process``'s open operation completes (``ok``, ``fail`` or ``info``)."""
        if type == "invoke":
            raise HistoryError("complete() takes 'ok', 'fail' or 'info', not 'invoke'")
        self.add(Event(process, type, f, value, time, key))

    # -- reading ----------------------------------------------------------------
    def operations(self) -> list[Operation]:
        """The operations, each invocation paired with its completion, in invocation order.

        An operation that has not completed is ``info``, with ``complete_time`` ``inf``.
        The pairing is done as the events are added, so this costs a list copy.
        """
        self._check_unchanged()
        ops = self._ops.copy()
        for n in self._open.values():
            inv = self.events[self._invoked_at[n]]
            ops[n] = Operation(
                n, inv.process, inv.f, inv.value, None, "info", inv.time, math.inf, inv.key
            )
        return ops  # type: ignore[return-value]  # (no None is left)

    def positions(self) -> tuple[list[int], list[float]]:
        """Where each operation's events are: the positions (indices into ``events``) of
        its invocation and of its completion (``inf`` while it has none), in invocation
        order.

        Examples
        --------
        >>> h = History([("a", "invoke", "read", None, 0.0), ("b", "invoke", "read", None, 1.0),
        ...              ("a", "ok", "read", 1, 2.0)])
        >>> h.positions()
        ([0, 1], [2, inf])
        """
        self._check_unchanged()
        return self._invoked_at.copy(), self._completed_at.copy()

    def _check_unchanged(self) -> None:
        if len(self.events) != self._added:
            raise HistoryError(
                "the history's events list was changed directly; add events with add(), "
                "invoke() or complete() (they check them and pair operations)"
            )

    def to_frame(self) -> Any:
        """The events as a pandas DataFrame (process, type, f, key, value, time)."""
        import pandas as pd

        return pd.DataFrame(
            [(e.time, e.process, e.type, e.f, e.key, e.value) for e in self.events],
            columns=["time", "process", "type", "f", "key", "value"],
        )

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and self.events == other.events

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        n_ops = sum(1 for e in self.events if e.type == "invoke")
        return f"History({len(self.events)} events, {n_ops} operations)"
