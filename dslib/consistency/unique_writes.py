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

The argument also runs backwards: when every cluster is forced (each value
written once, each read's value written) and the zone order fails on real
time, no order passes. :func:`register_check` says so (``violation``) for the
library's own models, whose ``step`` it knows; the checker uses that when only
the verdict is wanted (``shrink=False``). This direction rests on the zone
argument, so the tests hold it against brute force on random small histories.

References
----------
.. [1] P. B. Gibbons and E. Korach, "Testing shared memories", SIAM Journal on
   Computing 26(4), 1997, section 4 (read-mapped histories of one register).
.. [2] W. Golab, X. Li and M. A. Shah, "Analyzing consistency properties for
   fun and profit", PODC 2011, section 3 (clusters and zones).
"""

from __future__ import annotations

import operator
from collections.abc import Hashable, Sequence
from typing import Any

from dslib.consistency.histories import TimedOperation
from dslib.consistency.models import UNKNOWN, KeyValue, Register, SequentialSpec

__all__ = ["register_check", "register_order"]

_FIRST_TWO = operator.itemgetter(0, 1)
_UNKNOWN: tuple[str, list[int]] = ("unknown", [])
_ONE_KEY = type(KeyValue().group_model(None))
_KNOWN = (Register, _ONE_KEY)  # models whose step is known
_READ_WRITE = {Register: ("read", "write"), _ONE_KEY: ("get", "put")}


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
    verdict, order = register_check(model, timed)
    return order if verdict == "ok" else None


def register_check(model: SequentialSpec, timed: Sequence[TimedOperation]) -> tuple[str, list[int]]:
    """The fast path's verdict on a one-register group: ``ok``, ``violation`` or ``unknown``.

    ``("ok", order)``: as :func:`register_order`. ``("violation", prefix)``: no
    linearization exists. Said only for the library's own models (``Register`` and one
    key of ``KeyValue``, whose ``step`` it knows), when every value is written once and
    every read's value was written (or is the initial value), so that every cluster is
    forced, and the order of the clusters by their zones fails on real time: no order
    of the clusters can then pass (the zone argument above). ``prefix`` is the start of
    the built order that passed the check. ``("unknown", [])`` in every other case.

    Parameters
    ----------
    model : SequentialSpec
    timed : sequence of TimedOperation
        As for :func:`register_order`.

    Returns
    -------
    tuple of (str, list of int)

    Examples
    --------
    A read of 1 after a read of 2, and 2 was written after 1: a stale read.

    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> h = history_from_intervals([
    ...     ("a", "write", 1, None, 0, 1),
    ...     ("b", "write", 2, None, 2, 3),
    ...     ("c", "read", None, 2, 4, 5),
    ...     ("c", "read", None, 1, 6, 7),
    ... ])
    >>> register_check(Register(), timeline(h))
    ('violation', [0, 3])
    """
    if not getattr(model, "unique_write_fast_path", False) or not timed:
        return _UNKNOWN
    try:
        return _order(model, timed)
    except TypeError:  # an unhashable value read: no clusters by value
        return _UNKNOWN


def _order(model: SequentialSpec, timed: Sequence[TimedOperation]) -> tuple[str, list[int]]:
    writer: dict[Hashable, int] = {}  # written value -> position of its write
    members: dict[Any, list[int]] = {}  # value read -> positions of its reads
    slot: Any = UNKNOWN
    observed, written = model.observed, model.written
    known = _READ_WRITE.get(type(model))
    classified = False
    if known is not None:
        # The library's own models: what observed and written would say, without a call
        # per operation (reads and writes only; anything else goes the general way).
        read, write = known
        for i, t in enumerate(timed):
            op = t[0]
            f = op.f
            if f == read and op.status == "ok":
                block = members.get(op.result)
                if block is None:
                    members[op.result] = [i]
                else:
                    block.append(i)
            elif f == write:
                if op.value in writer:
                    return _UNKNOWN  # a value written twice
                writer[op.value] = i
            else:
                break
            if op.key != slot:
                if slot is not UNKNOWN:
                    return _UNKNOWN  # more than one register
                slot = op.key
        else:
            classified = True
        if not classified:
            writer.clear()
            members.clear()
            slot = UNKNOWN
    for i, t in enumerate([] if classified else timed):
        op = t[0]
        seen = observed(op)
        if seen is not None:
            where, value = seen
            block = members.get(value)
            if block is None:
                members[value] = [i]
            else:
                block.append(i)
        else:
            wrote = written(op)
            if wrote is None:
                return _UNKNOWN  # a compare-and-set that did not match, or an unknown kind
            where, value = wrote
            if value is UNKNOWN or value in writer:
                return _UNKNOWN  # an append, or a value written twice
            writer[value] = i
        if where != slot:
            if slot is not UNKNOWN:
                return _UNKNOWN  # more than one register
            slot = where
    initial = model.holds(model.init(), slot)
    if initial in writer:
        return _UNKNOWN  # a write of the initial value: reads of it are ambiguous
    # The clusters: a write and its reads (in invocation order), keyed by the low end of
    # the cluster's zone, min(latest invocation, earliest completion); the reads of the
    # initial value first.
    clusters: list[tuple[float, int, list[int]]] = []
    for value, reads in members.items():
        if value == initial:
            clusters.append((-1, -1, reads))
            continue
        w = writer.get(value)
        if w is None:
            return _UNKNOWN  # a read of a value nobody wrote: let the search explain it
        t = timed[w]
        latest, earliest = t[1], t[2]
        for i in reads:
            t = timed[i]
            if t[1] > latest:
                latest = t[1]
            if t[2] < earliest:
                earliest = t[2]
        reads.insert(0, w)
        clusters.append((latest if latest < earliest else earliest, w, reads))
    left_out = 0  # info writes nobody read: they may not have taken effect
    for value, i in writer.items():
        if value not in members:
            if timed[i][0].status == "ok":
                clusters.append((timed[i][1], i, [i]))  # a write nobody read
            else:
                left_out += 1
    clusters.sort(key=_FIRST_TWO)  # (keys and write positions are unique)
    order = [i for _, _, block in clusters for i in block]
    # Check the order as any linearization is checked: it holds every operation that
    # completed ok (only info writes nobody read are left out), it respects real time,
    # and the model accepts it step by step.
    if len(order) + left_out != len(timed):
        return _UNKNOWN
    latest_invoke = -1
    state = model.init()
    step = model.step
    for k, i in enumerate(order):
        t = timed[i]
        if t[2] < latest_invoke:
            # Every cluster was forced (each value written once, each read's value
            # written): with a model whose step is known, no order of them can pass.
            return ("violation", order[:k]) if type(model) in _KNOWN else _UNKNOWN
        if t[1] > latest_invoke:
            latest_invoke = t[1]
        legal, state = step(state, t[0])
        if not legal:
            return _UNKNOWN
    return "ok", order
