"""A checker for message queues: what was lost, duplicated, reordered or made up.

A queue's delivery guarantee is a claim about two lists: what producers *sent* (and
whether each send was acknowledged) and what consumers *received*. The checker compares
them, message by message, and reports four kinds of violation:

- **lost**: an acknowledged message that no consumer received. At-least-once and
  exactly-once forbid it; at-most-once allows it (a message may be dropped, never repeated).
- **duplicated**: a message received more than once (by one consumer or by several: a
  consumer group processes a message once). At-most-once and exactly-once forbid it.
- **reordered**: a message whose first delivery to a consumer came after the first
  delivery to that consumer of a message the *same producer* sent *later* with the same
  key (``"per-key order"``) or to the same partition (``"per-partition order"``). Only
  one producer's order is defined: two producers' sends are concurrent.
- **phantom**: a message received that no one sent. Every guarantee forbids it.

Each send names a unique message (the producers' job, e.g. ``"p1-7"``), so that every
receive can be traced to its send. Sends are listed per producer in the order they were
made; that order is what "sent later" means.

Examples
--------
>>> sends = [Send("a", key="k"), Send("b", key="k"), Send("c", key="k", acknowledged=False)]
>>> receives = [Receive("b"), Receive("a"), Receive("b")]
>>> result = check_queue(sends, receives, guarantee=("at-least-once", "per-key order"))
>>> result.ok, result.summary()
(False, 'at-least-once, per-key order: 1 reordered (lost 0, duplicated 1, phantom 0)')
>>> print(result.to_frame().to_string(index=False))
      kind message key partition consumer  deliveries                              detail
duplicated       b   k      None     None           2                   delivered 2 times
 reordered       a   k      None     None           1 first delivered after b, sent later
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "GUARANTEES",
    "QueueCheckResult",
    "Receive",
    "Send",
    "Violation",
    "brute_force_violations",
    "check_queue",
]

GUARANTEES: dict[str, tuple[str, ...]] = {
    "at-most-once": ("duplicated", "phantom"),
    "at-least-once": ("lost", "phantom"),
    "exactly-once": ("lost", "duplicated", "phantom"),
    "per-key order": ("reordered", "phantom"),
    "per-partition order": ("reordered", "phantom"),
}
"""Each guarantee the checker knows, and the kinds of violation it forbids."""

KINDS = ("lost", "duplicated", "reordered", "phantom")


@dataclass(frozen=True)
class Send:
    """One message a producer sent.

    Attributes
    ----------
    message : hashable
        The message's unique id.
    key : hashable, optional
    producer : hashable, optional
        Who sent it; sends of one producer are listed in the order they were made.
    acknowledged : bool, default True
        Whether the producer was told it was accepted.
    partition : int, optional
    """

    message: Hashable
    key: Hashable = None
    producer: Hashable = None
    acknowledged: bool = True
    partition: int | None = None


@dataclass(frozen=True)
class Receive:
    """One delivery of a message to a consumer (listed in delivery order)."""

    message: Hashable
    consumer: Hashable = None
    key: Hashable = None
    partition: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Violation:
    """One row of the report: a kind (``KINDS``), the message and what went wrong."""

    kind: str
    message: Hashable
    key: Hashable
    partition: int | None
    consumer: Hashable
    deliveries: int
    detail: str


@dataclass(frozen=True)
class QueueCheckResult:
    """The verdict of ``check_queue``.

    Attributes
    ----------
    ok : bool
        No violation of a kind the guarantees forbid.
    guarantees : tuple of str
    lost, duplicated, reordered, phantom : tuple of Violation
        Every violation found, of each kind, whether forbidden or not.
    sent, acknowledged, received : int
        How many messages were sent, acknowledged, and deliveries made.
    """

    ok: bool
    guarantees: tuple[str, ...]
    lost: tuple[Violation, ...]
    duplicated: tuple[Violation, ...]
    reordered: tuple[Violation, ...]
    phantom: tuple[Violation, ...]
    sent: int
    acknowledged: int
    received: int

    @property
    def forbidden(self) -> tuple[str, ...]:
        """The kinds of violation the guarantees forbid, in ``KINDS`` order."""
        wanted = {k for g in self.guarantees for k in GUARANTEES[g]}
        return tuple(k for k in KINDS if k in wanted)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The violations of forbidden kinds."""
        return tuple(v for k in self.forbidden for v in getattr(self, k))

    def counts(self) -> dict[str, int]:
        """How many messages of each kind: ``{"lost": ..., ...}``."""
        return {k: len(getattr(self, k)) for k in KINDS}

    def summary(self) -> str:
        """One line: the guarantees, the forbidden counts, then the others in brackets."""
        counts = self.counts()
        bad = [k for k in self.forbidden if counts[k]]
        found = ", ".join(f"{counts[k]} {k}" for k in bad) or "ok"
        rest = ", ".join(f"{k} {counts[k]}" for k in KINDS if k not in bad)
        return f"{', '.join(self.guarantees)}: {found} ({rest})"

    def to_frame(self, all_kinds: bool = True) -> Any:
        """A DataFrame, one row per violation (all kinds, or the forbidden ones only)."""
        import pandas as pd

        rows = [v for k in KINDS if all_kinds or k in self.forbidden for v in getattr(self, k)]
        columns = ["kind", "message", "key", "partition", "consumer", "deliveries", "detail"]
        return pd.DataFrame([[getattr(v, c) for c in columns] for v in rows], columns=columns)


def _guarantees(guarantee: str | Sequence[str]) -> tuple[str, ...]:
    names = (guarantee,) if isinstance(guarantee, str) else tuple(guarantee)
    bad = [g for g in names if g not in GUARANTEES]
    if bad or not names:
        raise ValueError(
            f"check_queue: unknown guarantee {bad or names!r}; allowed: one or more of "
            f"{list(GUARANTEES)}"
        )
    orders = [g for g in names if g.endswith("order")]
    if len(orders) > 1:
        raise ValueError(f"check_queue: choose one order guarantee, not {orders}")
    return names


def check_queue(
    sends: Iterable[Send],
    receives: Iterable[Receive],
    guarantee: str | Sequence[str] = "exactly-once",
) -> QueueCheckResult:
    """Check a queue's history of sends and receives against delivery guarantees.

    Parameters
    ----------
    sends : iterable of Send
        Every message sent, each producer's in the order it made them; message ids unique.
    receives : iterable of Receive
        Every delivery, in the order each consumer got them.
    guarantee : str or sequence of str, default "exactly-once"
        One or more of ``GUARANTEES``: ``"at-most-once"``, ``"at-least-once"``,
        ``"exactly-once"``, ``"per-key order"``, ``"per-partition order"``.

    Returns
    -------
    QueueCheckResult
        ``ok`` and every violation, of every kind (``to_frame()`` for a table).

    Raises
    ------
    ValueError
        If a guarantee is unknown, two order guarantees are given, or two sends name the
        same message.
    TypeError
        If a send or receive is not a ``Send`` or ``Receive``.

    Notes
    -----
    One pass over the sends and one over the receives, with dictionaries: O(S + R)
    time. Order is judged on each consumer's *first* deliveries (repeats are counted as
    duplicates, not again as reorderings): for each consumer, producer and key (or
    partition) the checker keeps the latest send position delivered so far; a message
    sent before it is reordered.

    Examples
    --------
    >>> check_queue([Send("a")], [], "at-most-once").ok
    True
    >>> check_queue([Send("a")], [], "at-least-once").summary()
    'at-least-once: 1 lost (duplicated 0, reordered 0, phantom 0)'
    >>> check_queue([Send("a"), Send("a")], [])
    Traceback (most recent call last):
    ...
    ValueError: check_queue: message 'a' is sent twice; every send needs its own message id
    """
    names = _guarantees(guarantee)
    by_message: dict[Hashable, tuple[int, Send]] = {}
    for send in sends:
        if not isinstance(send, Send):
            raise TypeError(f"check_queue: sends must be Send values, got {send!r}")
        if send.message in by_message:
            raise ValueError(
                f"check_queue: message {send.message!r} is sent twice; every send needs its "
                "own message id"
            )
        by_message[send.message] = (len(by_message), send)
    delivered: dict[Hashable, int] = {}
    first: list[tuple[Receive, Send, int]] = []
    seen: set[tuple[Hashable, Hashable]] = set()
    phantom: list[Violation] = []
    received = 0
    for r in receives:
        if not isinstance(r, Receive):
            raise TypeError(f"check_queue: receives must be Receive values, got {r!r}")
        received += 1
        if r.message not in by_message:
            phantom.append(
                Violation("phantom", r.message, r.key, r.partition, r.consumer, 1, "never sent")
            )
            continue
        delivered[r.message] = delivered.get(r.message, 0) + 1
        if (r.consumer, r.message) not in seen:
            seen.add((r.consumer, r.message))
            position, send = by_message[r.message]
            first.append((r, send, position))
    lost, duplicated = [], []
    for _, send in by_message.values():
        n = delivered.get(send.message, 0)
        if send.acknowledged and n == 0:
            lost.append(
                Violation(
                    "lost",
                    send.message,
                    send.key,
                    send.partition,
                    None,
                    0,
                    "acknowledged, never delivered",
                )
            )
        if n > 1:
            duplicated.append(
                Violation(
                    "duplicated",
                    send.message,
                    send.key,
                    send.partition,
                    None,
                    n,
                    f"delivered {n} times",
                )
            )
    by_partition = "per-partition order" in names
    latest: dict[tuple[Hashable, Hashable, Hashable], tuple[int, Hashable]] = {}
    reordered = []
    for r, send, position in first:
        group = send.partition if by_partition else send.key
        slot = (r.consumer, send.producer, group)
        if slot in latest and latest[slot][0] > position:
            reordered.append(
                Violation(
                    "reordered",
                    send.message,
                    send.key,
                    send.partition,
                    r.consumer,
                    delivered[send.message],
                    f"first delivered after {latest[slot][1]}, sent later",
                )
            )
        elif slot not in latest or latest[slot][0] < position:
            latest[slot] = (position, send.message)
    forbidden = {k for g in names for k in GUARANTEES[g]}
    found = {"lost": lost, "duplicated": duplicated, "reordered": reordered, "phantom": phantom}
    return QueueCheckResult(
        ok=not any(found[k] for k in forbidden),
        guarantees=names,
        lost=tuple(lost),
        duplicated=tuple(duplicated),
        reordered=tuple(reordered),
        phantom=tuple(phantom),
        sent=len(by_message),
        acknowledged=sum(s.acknowledged for _, s in by_message.values()),
        received=received,
    )


def brute_force_violations(
    sends: Sequence[Send], receives: Sequence[Receive], order: str = "per-key order"
) -> dict[str, list[Any]]:
    """The violations by their definitions, written as directly (and slowly) as possible.

    The oracle that ``check_queue`` is tested against: no dictionaries of state, every
    reordering found by comparing each pair of first deliveries. O(R^2 S) time.

    Parameters
    ----------
    sends : sequence of Send
    receives : sequence of Receive
    order : {"per-key order", "per-partition order"}, default "per-key order"

    Returns
    -------
    dict
        ``lost``: sorted messages; ``duplicated``: sorted ``(message, deliveries)``;
        ``phantom``: messages in delivery order; ``reordered``: sorted
        ``(message, consumer)``.

    Raises
    ------
    ValueError
        If ``order`` is not one of the two order guarantees.

    Examples
    --------
    >>> brute_force_violations([Send("a"), Send("b")], [Receive("b"), Receive("b")])
    {'lost': ['a'], 'duplicated': [('b', 2)], 'phantom': [], 'reordered': []}
    """
    if order not in ("per-key order", "per-partition order"):
        raise ValueError(
            f"brute_force_violations: order={order!r}; allowed: 'per-key order', "
            "'per-partition order'"
        )
    ids = [s.message for s in sends]
    counts = Counter(r.message for r in receives)
    lost = sorted((s.message for s in sends if s.acknowledged and counts[s.message] == 0), key=repr)
    duplicated = sorted(((m, n) for m, n in counts.items() if m in ids and n > 1), key=repr)
    phantom = [r.message for r in receives if r.message not in ids]

    def send_of(m: Hashable) -> Send:
        return next(s for s in sends if s.message == m)

    def is_first(j: int) -> bool:
        r = receives[j]
        return all(not (q.consumer == r.consumer and q.message == r.message) for q in receives[:j])

    reordered = []
    for j, r in enumerate(receives):
        if r.message not in ids or not is_first(j):
            continue
        a = send_of(r.message)
        for i in range(j):
            q = receives[i]
            if q.consumer != r.consumer or q.message not in ids or not is_first(i):
                continue
            b = send_of(q.message)
            same = a.key == b.key if order == "per-key order" else a.partition == b.partition
            if b.producer == a.producer and same and ids.index(b.message) > ids.index(a.message):
                reordered.append((a.message, r.consumer))
                break
    return {
        "lost": lost,
        "duplicated": duplicated,
        "phantom": phantom,
        "reordered": sorted(reordered, key=repr),
    }
