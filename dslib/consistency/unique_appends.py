"""A fast path for one key of a store with appends, when every write adds a value of its own.

An ``append`` is not a register write: what it leaves depends on what was
there. But when every appended value (and every ``put`` value) is written by
one operation only, what a read returns names the writes that built it: the
value ``p + a1 + a2`` read from a key was left by ``append(a2)``, right after
the key held ``p + a1``, left by ``append(a1)`` right after ``put(p)``. Read
from the end, every value that a read returned is a *version* with the write
that produced it and the version before it, and the versions form chains:
a ``put`` (or the initial value), then the appends that extended it, in the
order the reads show.

In any linearization such a chain is one contiguous block of operations (a
*segment*): the put, the reads of its value, the first append, the reads of
that version, and so on; anything placed inside would change the value that
the next append extends. The only freedom left is the order of the segments
(and of the writes nobody read, which can go between any two), and that is
the register problem again with segments in place of clusters: a segment
``A`` may come before ``B`` only if no operation of ``B`` completed before an
operation of ``A`` began, and ordering the segments by the low end of their
zone, ``min(latest invocation, earliest completion)``, satisfies every pair
whenever any order does (Gibbons and Korach 1997, section 4, for clusters;
the argument never looks inside a block). The segment of the initial value
goes first.

As for registers (``dslib.consistency.unique_writes``), the checker does not
trust the argument: :func:`append_order` builds the order and then checks it
as any linearization is checked, real time by one scan and the model's own
``step`` over every operation. A value written twice, a read that no chain
of writes explains, two versions extending the same one, a compare-and-set,
or an order that fails the check: ``None``, and the search decides. So the
fast path can make the checker faster, never wrong.

When every step of the construction was forced (each value read has exactly
one way of being built from the written values) and the order fails on real
time, no order can pass: :func:`append_check` then answers ``violation``, for
the library's own one-key model only (whose ``step`` it knows to concatenate).
The checker uses that when only the verdict is wanted (``shrink=False``). This
direction does rest on the argument (that the zone order is found whenever
any order exists), so the tests hold it against brute force on random small
histories, ambiguous values and info writes included.

``MUTANTS`` names deliberately broken versions of the check
(``append_check(..., mutant=...)``); the tests show that a named check (the
brute-force oracle, or a model whose ``step`` contradicts its declaration)
catches each.

References
----------
.. [1] P. B. Gibbons and E. Korach, "Testing shared memories", SIAM Journal on
   Computing 26(4), 1997, section 4 (read-mapped histories).
.. [2] W. Golab, X. Li and M. A. Shah, "Analyzing consistency properties for
   fun and profit", PODC 2011, section 3 (clusters and zones).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any

from dslib.consistency.histories import TimedOperation
from dslib.consistency.models import UNKNOWN, SequentialSpec, _OneKey
from dslib.mutants import check_mutant

__all__ = ["MUTANTS", "append_check", "append_order"]

MUTANTS: dict[str, str] = {
    "no_realtime_check": "the order built from the segments is not checked against real "
    "time before it is trusted",
    "no_model_check": "the order built from the segments is not replayed on the model "
    "before it is trusted",
    "no_ambiguity_audit": "a failed order is taken as a violation without checking that "
    "every value read had only one way of being built",
}
"""Broken versions of the fast path, by name, with what is wrong."""

_END = object()  # the end of a chain of versions
_UNKNOWN: tuple[str, list[int]] = ("unknown", [])
_OP = operator.itemgetter(0)  # of a TimedOperation
_FIRST_TWO = operator.itemgetter(0, 1)
_BLOCK = operator.itemgetter(2)


def append_order(
    model: SequentialSpec, timed: Sequence[TimedOperation], mutant: str | None = None
) -> list[int] | None:
    """A linearization of one key's group with appends and unique written values, or ``None``.

    Parameters
    ----------
    model : SequentialSpec
        The group's model. The fast path applies to models that declare
        ``unique_write_fast_path = True`` and say what an append adds
        (``appended``): one key of ``KeyValue``.
    timed : sequence of TimedOperation
        The group's operations in invocation order, as the linearizability
        checker keeps them (``ok`` operations and the ``info`` writes that
        may matter).
    mutant : str, optional
        A name of ``MUTANTS``: a deliberately broken check (for the tests).

    Returns
    -------
    list of int or None
        Positions in ``timed``, in an order that respects real time and that
        ``model.step`` accepts from ``model.init()`` (checked here). ``info``
        writes that no read's value contains are left out. ``None`` when the
        fast path does not apply (no append, a value written twice, a read
        no chain of writes explains, ...) or its order fails the check: the
        caller must then search (see :func:`append_check` for when the failed
        check is itself the answer).

    Raises
    ------
    ValueError
        If ``mutant`` is not a name of ``MUTANTS``.

    Examples
    --------
    ``put("a")`` then two overlapping appends; the read of ``"acb"`` puts
    ``append("c")`` first.

    >>> from dslib.consistency import KeyValue, history_from_intervals, timeline
    >>> h = history_from_intervals([
    ...     {"process": 1, "f": "put", "key": "k", "value": "a", "start": 0, "end": 1},
    ...     {"process": 2, "f": "append", "key": "k", "value": "b", "start": 2, "end": 6},
    ...     {"process": 3, "f": "append", "key": "k", "value": "c", "start": 3, "end": 5},
    ...     {"process": 4, "f": "get", "key": "k", "result": "acb", "start": 7, "end": 8},
    ... ])
    >>> append_order(KeyValue(initial="").group_model("k"), timeline(h))
    [0, 2, 1, 3]
    """
    verdict, order = append_check(model, timed, mutant)
    return order if verdict == "ok" else None


def append_check(
    model: SequentialSpec, timed: Sequence[TimedOperation], mutant: str | None = None
) -> tuple[str, list[int]]:
    """The fast path's verdict on one key's group: ``ok``, ``violation`` or ``unknown``.

    ``("ok", order)``: as :func:`append_order`. ``("violation", prefix)``: no
    linearization exists. The fast path says so only for the library's own
    one-key model (``KeyValue(...).group_model(key)``, whose ``step`` it
    knows to concatenate), when every value read has exactly one way of being
    built from the written values (no value both put and ending in an
    appended value, no two appended values that both end it), and the order
    it built fails on real time: every step of the construction was then
    forced, so no order can pass. ``prefix`` is the start of the built order
    that passed the check. ``("unknown", [])`` in every other case: search.

    Parameters
    ----------
    model, timed, mutant
        As for :func:`append_order`.

    Returns
    -------
    tuple of (str, list of int)

    Examples
    --------
    A read of ``"ac"`` after the read of ``"acb"`` completed (a stale read): the
    segment ``put(a), append(c), get() -> ac`` cannot be followed by ``append(b)``,
    which completed before that read began.

    >>> from dslib.consistency import KeyValue, history_from_intervals, timeline
    >>> rows = [
    ...     {"process": 1, "f": "put", "key": "k", "value": "a", "start": 0, "end": 1},
    ...     {"process": 2, "f": "append", "key": "k", "value": "b", "start": 2, "end": 6},
    ...     {"process": 3, "f": "append", "key": "k", "value": "c", "start": 3, "end": 5},
    ...     {"process": 4, "f": "get", "key": "k", "result": "acb", "start": 7, "end": 8},
    ...     {"process": 4, "f": "get", "key": "k", "result": "ac", "start": 9, "end": 10},
    ... ]
    >>> append_check(KeyValue(initial="").group_model("k"), timeline(history_from_intervals(rows)))
    ('violation', [0, 2, 4])

    Here ``"abc"`` could be ``a`` + ``bc`` or ``a`` + ``b`` + ``c``. The fast path takes
    the second, which real time refuses, but it cannot tell that the first fails too
    (it does not): it leaves the answer to the search.

    >>> rows = [
    ...     {"process": 1, "f": "put", "key": "k", "value": "a", "start": 0, "end": 1},
    ...     {"process": 2, "f": "append", "key": "k", "value": "bc", "start": 2, "end": 3},
    ...     {"process": 4, "f": "get", "key": "k", "result": "abc", "start": 4, "end": 5},
    ...     {"process": 2, "f": "append", "key": "k", "value": "b", "start": 6, "end": 7},
    ...     {"process": 3, "f": "append", "key": "k", "value": "c", "start": 8, "end": 9},
    ... ]
    >>> append_check(KeyValue(initial="").group_model("k"), timeline(history_from_intervals(rows)))
    ('unknown', [])
    """
    check_mutant("append_check", mutant, MUTANTS)
    if not getattr(model, "unique_write_fast_path", False) or not timed:
        return _UNKNOWN
    try:
        return _order(model, timed, mutant)
    except TypeError:  # a value that cannot be hashed, measured or sliced: no versions
        return _UNKNOWN


def _order(
    model: SequentialSpec, timed: Sequence[TimedOperation], mutant: str | None
) -> tuple[str, list[int]]:
    puts: dict[Any, int] = {}  # value -> position of the put that writes it
    appends: dict[Any, int] = {}  # value -> position of the append that adds it
    members: dict[Any, list[int]] = {}  # value read -> positions of its reads
    slot: Any = UNKNOWN
    observed, written, appended = model.observed, model.written, model.appended
    classified = False
    if type(model) is _OneKey:
        # The library's own model: what observed, written and appended would say,
        # without a call per operation (anything but get, put, append: the general way).
        for i, t in enumerate(timed):
            op = t[0]
            f = op.f
            value = op.value
            if f == "get" and op.status == "ok":
                block = members.get(op.result)
                if block is None:
                    members[op.result] = [i]
                else:
                    block.append(i)
            elif f == "append":
                if not value or value in appends or value in puts:
                    return _UNKNOWN  # an empty append, or a value added twice
                appends[value] = i
            elif f == "put":
                if value in puts or value in appends:
                    return _UNKNOWN  # a value written twice
                puts[value] = i
            else:
                break
            if op.key != slot:
                if slot is not UNKNOWN:
                    return _UNKNOWN  # more than one key
                slot = op.key
        else:
            classified = True
        if not classified:
            puts.clear()
            appends.clear()
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
            if value is UNKNOWN:
                added = appended(op)
                if added is None:
                    return _UNKNOWN  # a write whose value depends on the state, not an append
                where, value = added
                if not value or value in appends or value in puts:
                    return _UNKNOWN  # an empty append, or a value added twice
                appends[value] = i
            else:
                if value in puts or value in appends:
                    return _UNKNOWN  # a value written twice
                puts[value] = i
        if where != slot:
            if slot is not UNKNOWN:
                return _UNKNOWN  # more than one key
            slot = where
    if not appends:
        return _UNKNOWN  # a register: dslib.consistency.unique_writes orders it
    initial = model.holds(model.init(), slot)
    if initial in puts:
        return _UNKNOWN  # a put of the initial value: reads of it are ambiguous
    # Each value read, taken apart from the end into the chain of writes that built it.
    producer: dict[Any, int] = {initial: -1}  # version -> the write that left it
    previous: dict[Any, Any] = {}  # version left by an append -> the version it extended
    lengths = sorted({len(a) for a in appends})
    for value in members:
        v = value
        while v not in producer:
            w = puts.get(v)
            if w is not None:
                producer[v] = w
                break
            n = len(v)
            for size in lengths:
                if size > n:
                    return _UNKNOWN  # no append ends this value
                w = appends.get(v[n - size :])
                if w is not None:
                    break
            else:
                return _UNKNOWN
            before = v[: n - size]
            if initial is None and not before:
                before = None  # the first append to a key that held nothing
            producer[v] = w
            previous[v] = before
            v = before
    # One version per write, one successor per version: the versions form chains.
    if len(set(producer.values())) != len(producer):
        return _UNKNOWN  # a write that would have left two different values
    following: dict[Any, Any] = {}
    for v, before in previous.items():
        if before in following:
            return _UNKNOWN  # two appends that both extended the same version
        following[before] = v
    # The segments: each chain from its root (the initial value or a put), with each
    # version's write and then its reads (in invocation order), keyed by the low end of
    # its zone, min(latest invocation, earliest completion); the initial value's first.
    segments: list[tuple[float, int, list[int]]] = []
    for root, w in producer.items():
        if root in previous:
            continue  # not the start of a chain
        block = [] if w < 0 else [w]
        v = root
        while v is not _END:
            if v is not root:
                block.append(producer[v])
            block.extend(members.get(v, ()))
            v = following.get(v, _END)
        if not block:
            continue  # the initial value, never read and never extended
        if w < 0:
            segments.append((-1, -1, block))
            continue
        latest, earliest = -1, math.inf
        for i in block:
            t = timed[i]
            if t[1] > latest:
                latest = t[1]
            if t[2] < earliest:
                earliest = t[2]
        segments.append((latest if latest < earliest else earliest, block[0], block))
    placed = set(producer.values())
    left_out = 0  # info writes nobody read: they may not have taken effect
    for i in (*puts.values(), *appends.values()):
        if i not in placed:
            if timed[i][0].status == "ok":
                segments.append((timed[i][1], i, [i]))  # a write nobody read
            else:
                left_out += 1
    segments.sort(key=_FIRST_TWO)
    order = list(itertools.chain.from_iterable(map(_BLOCK, segments)))
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
        if t[2] < latest_invoke and mutant != "no_realtime_check":
            if mutant == "no_ambiguity_audit" or _forced(model, producer, puts, appends, lengths):
                return "violation", order[:k]
            return _UNKNOWN
        if t[1] > latest_invoke:
            latest_invoke = t[1]
        legal, state = step(state, t[0])
        if not legal and mutant != "no_model_check":
            return _UNKNOWN
    return "ok", order


def _forced(
    model: SequentialSpec,
    producer: dict[Any, int],
    puts: dict[Any, int],
    appends: dict[Any, int],
    lengths: list[int],
) -> bool:
    """Whether every step of the construction was forced, so that its failure is a verdict.

    The model must be the library's one key of ``KeyValue`` (its ``step`` is known to
    concatenate), and every version must have exactly one way of being built: a put of
    it, or one appended value that ends it (the version before is then forced too, and
    checked in turn, being a version itself). With a key that held nothing (``None``),
    a put of the empty value would be a second way to start a chain.
    """
    if type(model) is not _OneKey:
        return False
    initial = model.initial
    if initial is None and any(len(p) == 0 for p in puts if isinstance(p, (str, tuple))):
        return False
    for v, w in producer.items():
        if w < 0:
            continue  # the initial value: no write makes it (puts of it were refused)
        n = len(v)
        ways = (v in puts) + sum(1 for size in lengths if size <= n and v[n - size :] in appends)
        if ways != 1:
            return False
    return True
