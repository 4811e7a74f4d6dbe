"""A fast path for register histories in which every write writes a value of its own.

Deciding linearizability is NP-complete in general, but not for a register
whose writes all write different values (Gibbons and Korach 1997, section 4;
Golab, Li and Shah 2011, section 3, restate it with "zones"). Then every read
names the one write it saw, and the operations fall into *clusters*: a write
and the reads that returned its value (plus one cluster of the reads that saw
the initial value). In any linearization each cluster is a contiguous block,
its write first: a read placed after another write would see that write's
value instead.

So an order of the clusters is all there is to choose. Take a cluster with
``s`` the latest invocation and ``f`` the earliest completion of its
operations. Cluster ``A`` may come before cluster ``B`` only if no operation
of ``B`` completed before an operation of ``A`` began, that is ``s(A) <= f(B)``
in event positions. Ordering the clusters by ``min(s, f)`` (the low end of the
cluster's zone) gives an order that satisfies every such pair whenever any
order does: this is the construction behind the zone characterisation (two
"forward" zones ``f < s`` must not overlap, and no "backward" zone may lie
inside a forward one).

The checker does not trust this argument blindly. :func:`register_order`
*builds* the order and then checks it the way any linearization is checked:
real-time order by one scan, and the model's own ``step`` over every
operation. Only an order that passes is used; anything else (a value written
twice, a read of a value nobody wrote, a compare-and-set, an order that fails
the check) returns ``None`` and the full search decides, with its
explanation. So the fast path can make the checker faster, never wrong.

References
----------
.. [1] P. B. Gibbons and E. Korach, "Testing shared memories", SIAM Journal on
   Computing 26(4), 1997, section 4 (read-mapped histories of one register).
.. [2] W. Golab, X. Li and M. A. Shah, "Analyzing consistency properties for
   fun and profit", PODC 2011, section 3 (clusters and zones).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any

from dslib.consistency.histories import TimedOperation
from dslib.consistency.models import UNKNOWN, SequentialSpec

__all__ = ["register_order"]


def register_order(model: SequentialSpec, timed: Sequence[TimedOperation]) -> list[int] | None:
    """A linearization of a one-register group with unique written values, or ``None``.

    Parameters
    ----------
    model : SequentialSpec
        The group's model. The fast path applies only to models that declare
        ``unique_write_fast_path = True`` (the library's ``Register`` and one
        key of ``KeyValue``): reads and writes of one slot, described exactly
        by ``observed`` and ``written``.
    timed : sequence of TimedOperation
        The group's operations, as the linearizability checker keeps them
        (``ok`` operations and the ``info`` writes that may matter).

    Returns
    -------
    list of int or None
        Positions in ``timed``, in an order that respects real time and that
        ``model.step`` accepts from ``model.init()`` (checked here). ``info``
        writes whose value nobody read are left out (they may not have taken
        effect). ``None`` when the fast path does not apply or finds no
        order: the caller must then search.

    Examples
    --------
    Two overlapping writes; the read that saw 1 puts ``write(1)`` last.

    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> h = history_from_intervals([
    ...     ("c1", "write", 1, None, 0, 4),
    ...     ("c2", "write", 2, None, 1, 3),
    ...     ("c3", "read", None, 1, 5, 6),
    ... ])
    >>> register_order(Register(), timeline(h))
    [1, 0, 2]

    A value written twice: the fast path does not apply.

    >>> h = history_from_intervals([("a", "write", 1, None, 0, 1), ("b", "write", 1, None, 2, 3)])
    >>> register_order(Register(), timeline(h)) is None
    True
    """
    if not getattr(model, "unique_write_fast_path", False) or not timed:
        return None
    try:
        return _order(model, timed)
    except TypeError:  # an unhashable value read: no clusters by value
        return None


def _order(model: SequentialSpec, timed: Sequence[TimedOperation]) -> list[int] | None:
    writer: dict[Hashable, int] = {}  # written value -> position of its write
    reads: list[tuple[int, Any]] = []  # (position, value read)
    slot: Any = UNKNOWN
    observed, written = model.observed, model.written
    definite = 0  # operations that completed ok: the order must hold every one
    for i, t in enumerate(timed):
        op = t.op
        if op.status == "ok":
            definite += 1
        seen = observed(op)
        if seen is not None:
            where, value = seen
            reads.append((i, value))
        else:
            wrote = written(op)
            if wrote is None:
                return None  # a compare-and-set that did not match, or an unknown kind
            where, value = wrote
            if value is UNKNOWN or value in writer:
                return None  # an append, or a value written twice
            writer[value] = i
        if where != slot:
            if slot is not UNKNOWN:
                return None  # more than one register
            slot = where
    initial = model.holds(model.init(), slot)
    if initial in writer:
        return None  # a write of the initial value: reads of it are ambiguous
    members: dict[int, list[int]] = {}  # write position (-1: the initial value) -> reads
    for i, value in reads:
        w = -1 if value == initial else writer.get(value)
        if w is None:
            return None  # a read of a value nobody wrote: let the search explain it
        block = members.get(w)
        if block is None:
            members[w] = [i] if w == -1 else [w, i]
        else:
            block.append(i)
    # Each cluster's key: the low end of its zone, min(latest invocation, earliest
    # completion); the initial value's reads come first.
    clusters: list[tuple[float, int, list[int]]] = []
    for w, block in members.items():
        if w == -1:
            clusters.append((-1.0, -1, block))
            continue
        latest, earliest = -1, math.inf
        for i in block:
            t = timed[i]
            if t.invoke > latest:
                latest = t.invoke
            if t.complete < earliest:
                earliest = t.complete
        clusters.append((latest if latest < earliest else earliest, w, block))
    for i in writer.values():
        if i not in members and timed[i].op.status == "ok":  # a write nobody read
            clusters.append((timed[i].invoke, i, [i]))
    clusters.sort()  # (keys and write positions are unique: the blocks are never compared)
    order = [i for _, _, block in clusters for i in block]  # reads in invocation order
    # Check the order as any linearization is checked: it holds every operation that
    # completed ok (only info writes nobody read are left out), it respects real time,
    # and the model accepts it step by step.
    if len(order) != definite + sum(1 for w in members if w != -1 and timed[w].op.status != "ok"):
        return None
    latest_invoke = -1
    state = model.init()
    step = model.step
    for i in order:
        t = timed[i]
        if t.complete < latest_invoke:
            return None
        if t.invoke > latest_invoke:
            latest_invoke = t.invoke
        legal, state = step(state, t.op)
        if not legal:
            return None
    return order
