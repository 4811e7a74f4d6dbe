"""The trace of a run: every send, delivery, drop, timer, fault and state change.

Each entry is a ``TraceEvent``: ``(time, kind, node, peer, data, ref, detail)``.

=============  ==============  ==============  ==========================  =====================
kind           node            peer            data                        ref / detail
=============  ==============  ==============  ==========================  =====================
``init``       the node                        initial state
``send``       sender          receiver        message                     message id
``deliver``    receiver        sender          message                     message id
``drop``       receiver        sender          message                     id / why (``loss``,
                                                                           ``partition``,
                                                                           ``crashed``)
``duplicate``  receiver        sender          message                     copy's id / original id
``timer``      the node                        timer name
``state``      the node                        new state
``crash``      the node
``restart``    the node                        recovered state
``pause``      the node                        duration
``fault``                                      the fault
``record``     client                          (type, f, value, key)
=============  ==============  ==============  ==========================  =====================

A ``fault`` entry's data is the fault itself: a partition, a heal, a cut, a clock skew or a
network change.

Entries are stored as plain tuples (cheap to record); iterating yields
``TraceEvent`` named tuples. ``fingerprint()`` hashes a canonical rendering of
every entry, so two runs with the same seed have the same fingerprint under any
``PYTHONHASHSEED``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, NamedTuple, overload

from dslib.core import stable_repr

__all__ = ["Trace", "TraceEvent"]


class TraceEvent(NamedTuple):
    """One entry of a trace (see the module docstring for the meaning of each field)."""

    time: float
    kind: str
    node: str | None
    peer: str | None = None
    data: Any = None
    ref: int | None = None
    detail: Any = None

    def __str__(self) -> str:
        t = f"{self.time:10.3f}"
        k = self.kind
        if k in ("send", "deliver", "drop", "duplicate"):
            arrow = {"send": "->", "deliver": "<-", "drop": "x-", "duplicate": "<="}[k]
            extra = f"  ({self.detail})" if k == "drop" else ""
            return f"{t}  {self.node:>8} {k:9} {arrow} {self.peer}: {self.data!r}{extra}"
        if k in ("state", "init", "restart"):
            return f"{t}  {self.node:>8} {k:9} {stable_repr(self.data)}"
        if k == "record":
            type_, f, value, key = self.data
            key_s = f"[{key!r}]" if key is not None else ""
            return f"{t}  {self.node:>8} {k:9} {type_} {f}{key_s} {value!r}"
        node = self.node if self.node is not None else ""
        data = "" if self.data is None else f" {self.data!r}"
        return f"{t}  {node:>8} {k:9}{data}"


class Trace:
    """What happened in a run, in order.

    Examples
    --------
    >>> t = Trace()
    >>> t.append((0.0, "send", "a", "b", "ping", 1, None))
    >>> t.append((1.5, "deliver", "b", "a", "ping", 1, None))
    >>> len(t), t[1].kind
    (2, 'deliver')
    >>> print(t)
         0.000         a send      -> b: 'ping'
         1.500         b deliver   <- a: 'ping'
    >>> t.fingerprint()[:16]
    '2148bd7565fdc919'
    """

    def __init__(self) -> None:
        self.entries: list[tuple[Any, ...]] = []

    def append(self, entry: tuple[Any, ...]) -> None:
        """Add one raw entry ``(time, kind, node, peer, data, ref, detail)``."""
        self.entries.append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    @overload
    def __getitem__(self, i: int) -> TraceEvent: ...
    @overload
    def __getitem__(self, i: slice) -> list[TraceEvent]: ...
    def __getitem__(self, i: int | slice) -> TraceEvent | list[TraceEvent]:
        if isinstance(i, slice):
            return [TraceEvent._make(e) for e in self.entries[i]]
        return TraceEvent._make(self.entries[i])

    def __iter__(self) -> Iterator[TraceEvent]:
        for e in self.entries:
            yield TraceEvent._make(e)

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        """The entries whose kind is one of ``kinds``."""
        return [TraceEvent._make(e) for e in self.entries if e[1] in kinds]

    def count(self, kind: str) -> int:
        """How many entries have this kind."""
        return sum(1 for e in self.entries if e[1] == kind)

    def messages(self) -> list[dict[str, Any]]:
        """Each message sent, with when and whether it arrived.

        Returns a list of dicts with ``id, src, dst, msg, sent, arrived, outcome``,
        where ``outcome`` is ``"delivered"``, ``"dropped (why)"`` or ``"in flight"``.
        Duplicated copies appear as messages of their own.
        """
        by_id: dict[int, dict[str, Any]] = {}
        for time, kind, node, peer, data, ref, detail in self.entries:
            if kind == "send" or kind == "duplicate":
                src, dst = (node, peer) if kind == "send" else (peer, node)
                by_id[ref] = {
                    "id": ref,
                    "src": src,
                    "dst": dst,
                    "msg": data,
                    "sent": time,
                    "arrived": None,
                    "outcome": "in flight",
                }
                if kind == "duplicate":
                    by_id[ref]["sent"] = by_id[detail]["sent"] if detail in by_id else time
            elif kind == "deliver" and ref in by_id:
                by_id[ref]["arrived"] = time
                by_id[ref]["outcome"] = "delivered"
            elif kind == "drop" and ref in by_id:
                by_id[ref]["arrived"] = time
                by_id[ref]["outcome"] = f"dropped ({detail})"
        return list(by_id.values())

    def latencies(self) -> list[float]:
        """The latency of every delivered message, in delivery order."""
        sent: dict[int, float] = {}
        out = []
        for time, kind, _node, _peer, _data, ref, detail in self.entries:
            if kind == "send":
                sent[ref] = time
            elif kind == "duplicate":
                sent[ref] = sent.get(detail, time)
            elif kind == "deliver" and ref in sent:
                out.append(time - sent[ref])
        return out

    def to_frame(self) -> Any:
        """The trace as a pandas DataFrame with one row per entry."""
        import pandas as pd

        return pd.DataFrame(self.entries, columns=list(TraceEvent._fields))

    def fingerprint(self) -> str:
        """A SHA-256 of the canonical rendering of every entry (hex)."""
        h = hashlib.sha256()
        for e in self.entries:
            h.update(stable_repr(e).encode())
            h.update(b"\n")
        return h.hexdigest()

    def __str__(self) -> str:
        return "\n".join(str(TraceEvent._make(e)) for e in self.entries)

    def __repr__(self) -> str:
        return f"Trace({len(self.entries)} events)"
