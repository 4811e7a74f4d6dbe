"""Linearizability: can the operations be ordered so that real time and the model agree?

A history is *linearizable* (Herlihy and Wing 1990) when every operation that
took effect can be given a single instant between its invocation and its
completion, such that performing the operations one by one in the order of
those instants is something the sequential model allows, with each operation
returning what its client saw. Operations that ``fail``-ed did not take
effect and are removed; ``info`` operations (and ones that never completed)
may have taken effect at any instant after their invocation, or not at all.

The checker is the search of Wing and Gong (1993) with two improvements that
make it fast on real histories:

- Lowe's memoisation (Lowe 2017, sections 3-4): the search state is the *set*
  of operations linearized so far (a bitset) and the model's state; a
  configuration met twice is not explored twice. The candidate operations are
  kept in a doubly-linked list of invocation and completion events (the
  "just-in-time" linearization: an operation may be linearized only while no
  completion of a not-yet-linearized operation comes before its invocation).
- P-compositionality (Horn and Kroening 2015): when the model splits
  operations into independent groups (the keys of a map), each group is
  checked on its own, which turns one exponential search into many small ones.
  Groups are searched round-robin with growing step budgets, so the first
  violating group settles the verdict and one hard group never blocks the
  answer.

Groups whose writes all write different values (what test clients usually
write) need no search at all. For a register, the clusters of a write and its
reads are ordered in polynomial time (Gibbons and Korach 1997; see
``dslib.consistency.unique_writes``); for a key with appends, the values read
name the appends that built them, and the chains of versions they form are
ordered the same way (``dslib.consistency.unique_appends``). The order is
checked before it is used; when every step of building it was forced and it
fails, that failure is itself the verdict (used when only the verdict is
wanted, ``shrink=False``).

A violation is explained by a small set of operations that cannot be
linearized and the longest partial linearization the search found. The set is
a *core* (operations that must have happened exactly as recorded: make any
one of them, and every operation outside the core, optional, "may or may not
have taken effect, within its interval", and the rest fits) plus the
operations that could explain the core (the writes whose values its reads
returned), so that the contradiction can be read off the set alone.

Examples
--------
>>> from dslib.consistency import Register, history_from_intervals
>>> h = history_from_intervals([
...     ("c1", "write", 1, None, 0, 1),
...     ("c2", "write", 2, None, 2, 3),
...     ("c3", "read", None, 1, 4, 5),
... ])
>>> r = check_linearizable(h, Register())
>>> r
ConsistencyResult(linearizability: violation, 3 operations cannot be ordered)
>>> print(r.explain())
linearizability: violation.
No order of these 3 operations respects real time and the register model:
  c1     write(1)     [0, 1]
  c2     write(2)     [2, 3]
  c3     read() -> 1  [4, 5]
Every order that respects real time breaks at the same step:
  write(1), write(2), read() -> 1  <- read() -> 1 is impossible in state 2
The search ordered at most 2 of the 3 operations before it got stuck (state then: 2).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

from dslib.consistency.histories import TimedOperation
from dslib.consistency.models import KeyValue, SequentialSpec
from dslib.consistency.results import ConsistencyResult
from dslib.consistency.search import (
    DONE_OK,
    DONE_VIOLATION,
    OUT_OF_STEPS,
    OUT_OF_TIME,
    LinearizationSearch,
    deadline_of,
    minimize,
    prepare,
    prepare_all_ok,
    relevant,
    violation,
)
from dslib.consistency.unique_appends import append_check
from dslib.consistency.unique_writes import register_check
from dslib.core import stable_repr
from dslib.sim.history import History, Operation

__all__ = ["check_linearizable", "realtime_before"]

_FIRST_BUDGET = 2_000  # steps per group in the first round-robin round (doubles each round)


def _is_ok(t: TimedOperation) -> bool:
    return t.op.status == "ok"


_OP, _INVOKE = operator.itemgetter(0), operator.itemgetter(1)  # of a TimedOperation
_INDEX = operator.attrgetter("index")
_STATUS = operator.attrgetter("status")
_IS_OK = "ok".__eq__
_new_tuple = tuple.__new__  # (tuple.__new__(TimedOperation, entry) makes one in C)


def realtime_before(a: TimedOperation, b: TimedOperation) -> bool:
    """Whether ``a`` must come before ``b`` in a linearization: ``a`` completed before ``b`` began.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> op = Operation(0, "c", "read", None, 1, "ok", 0.0, 1.0)
    >>> realtime_before(TimedOperation(op, 0, 1), TimedOperation(op, 2, 3))
    True
    """
    return a.complete < b.invoke


class _Ordered(LinearizationSearch):
    """A group that a fast path has already ordered: a finished search, no steps."""

    def __init__(self, timed: list[Any], order: list[int]) -> None:
        # (No search state is built: only what the checker reads of a finished search.)
        self.timed = timed
        self.outcome = DONE_OK
        self.steps = 0
        self.cache = set()
        self._order = order

    def order(self) -> list[int]:
        return self._order

    def longest(self) -> list[int]:
        return self._order


class _Refuted(_Ordered):
    """A group that a fast path proved not linearizable: a finished search, no steps.

    ``longest`` is the start of the order the fast path built, up to where real time
    refused it."""

    def __init__(self, timed: list[Any], prefix: list[int]) -> None:
        super().__init__(timed, prefix)
        self.outcome = DONE_VIOLATION
        self.ops = list(map(_OP, timed))


def _run_groups(
    models: list[SequentialSpec],
    groups: list[list[Any]],
    deadline: float,
    unique_writes: bool = True,
    refute: bool = False,
) -> tuple[list[LinearizationSearch], int | None, bool]:
    """Round-robin over the groups' searches; (searches, index of a violating one, timed out).

    A group that ``register_check`` or ``append_check`` orders (with ``unique_writes``)
    needs no search. The first round runs group by group as the fast paths fail, so the
    list of searches stops at a group found violating in it. With ``refute``, a group
    that either fast path proves not linearizable is a violation without a search."""
    searches: list[LinearizationSearch] = []
    budget = _FIRST_BUDGET
    for i, (m, g) in enumerate(zip(models, groups, strict=True)):
        order = None
        if unique_writes:
            verdict, found = register_check(m, g)
            if verdict == "unknown":
                verdict, found = append_check(m, g)
            if verdict == "ok":
                order = found
            elif verdict == "violation" and refute:
                searches.append(_Refuted(g, found))
                return searches, i, False
        if order is not None:
            searches.append(_Ordered(g, order))
            continue
        # The first round of this group's search now: a violation found here spares the
        # groups after it even their fast path.
        groups[i] = g = _as_timed(g)
        search = LinearizationSearch(m, g)
        searches.append(search)
        outcome = search.run(budget, deadline)
        if outcome == DONE_VIOLATION:
            return searches, i, False
        if outcome == OUT_OF_TIME:
            return searches, None, True
    budget *= 2
    pending = [i for i, s in enumerate(searches) if s.outcome is None]
    while pending:
        still = []
        for i in pending:
            outcome = searches[i].run(budget, deadline)
            if outcome == DONE_VIOLATION:
                return searches, i, False
            if outcome == OUT_OF_TIME:
                return searches, None, True
            if outcome == OUT_OF_STEPS:
                still.append(i)
        pending = still
        budget *= 2
    return searches, None, False


def _partitions(
    model: SequentialSpec,
    kept: list[Any],
    find: Callable[[int], Any],
    partition: bool,
) -> list[tuple[Hashable, list[Any]]]:
    """The model's groups of the kept operations (timed), each in invocation order.

    ``find`` gives the kept entry of an operation index. For the library's
    ``KeyValue`` (and models that never split) the entries are grouped directly, as
    ``partitions`` would group the operations."""
    if not partition:
        return [(None, kept)]
    kind = type(model)
    if kind.partitions is KeyValue.partitions and kind.partition_key is KeyValue.partition_key:
        by_key: dict[Hashable, list[Any]] = {}
        for t in kept:
            key = t[0].key
            group = by_key.get(key)
            if group is None:
                by_key[key] = [t]
            else:
                group.append(t)
        return sorted(by_key.items(), key=lambda kv: stable_repr(kv[0]))
    if (
        kind.partitions is SequentialSpec.partitions
        and kind.partition_key is SequentialSpec.partition_key
    ):
        return [(None, kept)] if kept else []
    ops = list(map(_OP, kept))
    return [
        (key, sorted(map(find, map(_INDEX, members)), key=_INVOKE))
        for key, members in model.partitions(ops)
    ]


def _as_timed(group: list[Any]) -> list[TimedOperation]:
    """The group as ``TimedOperation`` (what the search and the explanations read)."""
    if not group or type(group[0]) is TimedOperation:
        return group
    return list(map(_new_tuple, itertools.repeat(TimedOperation), group))


class _Timeline(Mapping[int, TimedOperation]):
    """The history's operations by index, as ``TimedOperation``, each made when asked for.

    What ``prepare`` returns as its second value when every operation was kept (every
    one ``ok``), without making them all up front."""

    def __init__(self, history: History) -> None:
        self._ops = history.operations()
        self._invoked, self._completed = history.positions()

    def __getitem__(self, index: int) -> TimedOperation:
        if not isinstance(index, int) or not 0 <= index < len(self._ops):
            raise KeyError(index)
        return TimedOperation(self._ops[index], self._invoked[index], self._completed[index])

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._ops)))

    def __len__(self) -> int:
        return len(self._ops)


def check_linearizable(
    history: History,
    model: SequentialSpec,
    time_limit: float | None = None,
    *,
    partition: bool = True,
    shrink: bool = True,
    unique_writes: bool = True,
) -> ConsistencyResult:
    """Decide whether ``history`` is linearizable with respect to ``model``.

    Parameters
    ----------
    history : History
        From a simulation (``sim.history``), ``history([...])``,
        ``history_from_intervals([...])`` or a reader.
    model : SequentialSpec
        The sequential specification: ``Register()``, ``CASRegister()``,
        ``KeyValue()``, ``Counter()``, ``Set()``, ``FIFOQueue()`` or your own.
    time_limit : float, optional
        Seconds of wall-clock time after which the search gives up with the
        verdict ``"unknown"``. Only this verdict depends on timing; ``ok`` and
        ``violation`` (with their witnesses) are the same on any machine.
    partition : bool, default True
        Check the model's independent groups (keys) separately. Turn off to
        see what P-compositionality saves.
    shrink : bool, default True
        Shrink a violation to a minimal set of operations (turn off to get a
        violation faster, with ``minimal`` every operation of the violating
        group). Shrinking may take about as many search steps as the verdict
        did (``search.SHRINK_FLOOR`` more); if that is not enough, the
        result holds the smallest violating set found, with ``minimized``
        ``False`` (and ``explain()`` says so). Without shrinking, a violation
        that a fast path for unique values proves is reported without a
        search (``fast_path`` is then ``True``).
    unique_writes : bool, default True
        Order a group whose writes all write different values without a
        search: a register (``dslib.consistency.unique_writes``) or a key
        with appends (``dslib.consistency.unique_appends``); polynomial, and
        the order is checked before it is trusted. Turn off to see the
        search at work, and what the fast paths save.

    Returns
    -------
    ConsistencyResult
        ``verdict`` ``"ok"`` with ``order`` (a linearization), ``"violation"``
        with ``minimal``, ``partial`` and ``group``, or ``"unknown"``.

    Raises
    ------
    TypeError
        If ``history`` is not a ``History`` or ``model`` not a ``SequentialSpec``
        instance, or the model's states are not hashable.
    ValueError
        If an operation is not one the model knows, or ``time_limit`` is not
        a positive number.

    Notes
    -----
    The search is exponential in the worst case (deciding linearizability is
    NP-complete, Gibbons and Korach 1997), but with memoisation it is fast on
    histories whose concurrency is bounded, which is what clients produce.
    For a register whose writes write distinct values the problem is
    polynomial (the same paper, section 4), and such groups skip the search.

    References
    ----------
    .. [1] M. Herlihy and J. Wing, "Linearizability: a correctness condition
       for concurrent objects", TOPLAS 12(3), 1990.
    .. [2] J. Wing and C. Gong, "Testing and verifying concurrent objects",
       JPDC 17, 1993.
    .. [3] G. Lowe, "Testing for linearizability", Concurrency and
       Computation: Practice and Experience 29(4), 2017, sections 3-4.
    .. [4] A. Horn and D. Kroening, "Faster linearizability checking via
       P-compositionality", FORTE 2015.

    Examples
    --------
    Two overlapping writes and a read that saw the first: fine, the writes may
    take effect in either order.

    >>> from dslib.consistency import Register, history_from_intervals
    >>> h = history_from_intervals([
    ...     ("c1", "write", 1, None, 0, 4),
    ...     ("c2", "write", 2, None, 1, 3),
    ...     ("c3", "read", None, 1, 5, 6),
    ... ])
    >>> r = check_linearizable(h, Register())
    >>> r.verdict, [str(op.value if op.f == "write" else op.result) for op in r.order]
    ('ok', ['2', '1', '1'])
    """
    deadline = deadline_of(time_limit)
    # Every operation ok (the common case): plain (operation, invocation, completion)
    # tuples, made TimedOperation only for a group that the search must take.
    kept: list[Any] | None = prepare_all_ok(history, model, "check_linearizable")
    by_index: Mapping[int, TimedOperation]
    find: Callable[[int], Any]
    if kept is not None:
        all_ok, by_index, find = True, _Timeline(history), kept.__getitem__
    else:
        kept, by_index = prepare(history, model, "check_linearizable")
        all_ok = all(map(_IS_OK, map(_STATUS, map(_OP, kept))))
        find = by_index.__getitem__
    keys: list[Hashable] = []
    groups: list[list[Any]] = []
    for key, timed in _partitions(model, kept, find, partition):
        keys.append(key)
        if all_ok:
            groups.append(timed)  # (in invocation order already, as relevant would give)
            continue
        ok = [t for t in timed if t.op.status == "ok"]
        info = [t for t in timed if t.op.status != "ok"]
        groups.append(relevant(model, ok, info))
    models = [model.group_model(key) for key in keys] if partition else [model] * len(groups)
    # Without shrinking, the verdict alone is wanted: a violation that a fast path for
    # unique values proves needs no search. (With shrinking, the search's own partial
    # order starts the explanation, as for every other violation.)
    searches, bad, timed_out = _run_groups(
        models, groups, deadline, unique_writes, refute=not shrink
    )
    common: dict[str, Any] = {
        "criterion": "linearizability",
        "model": model,
        "history": history,
        "groups": max(1, len(groups)),
        "configurations": sum(len(s.cache) for s in searches),
        "constraint": realtime_before,
        "timed": by_index,
    }
    if bad is not None:
        search = searches[bad]
        violating = _as_timed(groups[bad])
        definite = [t for t in violating if t.op.status == "ok"]
        core: list[TimedOperation] = definite
        context: list[TimedOperation] = []
        minimized = False
        if shrink:
            reached = set(search.longest())
            stuck = [t for i, t in enumerate(search.timed) if i not in reached and _is_ok(t)]
            focus = min(stuck, key=lambda t: t.complete) if stuck else None
            core, context, minimized = minimize(
                models[bad],
                definite,
                violating,
                deadline,
                sum(s.steps for s in searches),
                LinearizationSearch,
                focus=focus,
            )
        if isinstance(search, _Refuted):
            common["fast_path"] = True
        return violation(
            search, model, core, context, minimized, violating, common, group=keys[bad]
        )
    if timed_out:
        decided = sum(1 for s in searches if s.outcome is not None)
        return ConsistencyResult(
            verdict="unknown",
            reason=(
                f"time limit of {time_limit} s reached with {decided} of {len(groups)} groups "
                "decided, all linearizable"
            ),
            **common,
        )
    # Merge the groups' orders into one linearization (locality, Herlihy and Wing 1990,
    # section 3). The point of a group's i-th operation is the latest invocation among its
    # first i operations: it lies inside each operation's interval and never decreases,
    # and an operation that precedes another in real time gets a strictly earlier point.
    # Ordering all operations by (point, group, place in group) keeps every group's order.
    # (One integer encodes the point and the place in the merged list, so the sort
    # compares numbers, never operations; a plain loop beats accumulate(max) here.)
    total = sum(len(s.timed) for s in searches) + 1
    places: list[int] = []
    placed: list[Operation] = []
    k = 0
    for search in searches:
        timed = search.timed
        point = -1
        for i in search.order():
            t = timed[i]
            if t[1] > point:
                point = t[1]
            places.append(point * total + k)
            k += 1
            placed.append(t[0])
    places.sort()
    ranked = map(placed.__getitem__, map(operator.mod, places, itertools.repeat(total)))
    return ConsistencyResult(verdict="ok", order=tuple(ranked), **common)
