"""Sequential consistency: one order that keeps each process's own order.

A history is *sequentially consistent* (Lamport 1979) when the operations
that took effect can be put in one order that the sequential model allows and
that keeps the order in which each process issued its operations. Unlike
linearizability, real time between *different* processes does not count: a
read may return a value that was overwritten long ago, as long as the reader
never saw the newer value before. So every linearizable history is
sequentially consistent, not the other way round.

Sequential consistency is not *local* (Herlihy and Wing 1990, section 3):
two objects can each be sequentially consistent while the whole is not. So,
unlike ``check_linearizable``, the checker never splits a history by key; it
checks the model as one object (for a ``KeyValue`` model, the whole map).

An ``info`` operation may have taken effect at any point after its process's
previous operation, or not at all; a ``fail``-ed one is removed.

Examples
--------
The history that separates the two: ``c2`` reads the old value after the write
completed. No linearization exists, but the order read, write keeps each
process's order.

>>> from dslib.consistency import Register, check_linearizable, history_from_intervals
>>> h = history_from_intervals([
...     ("c1", "write", 1, None, 0, 1),
...     ("c2", "read", None, None, 2, 3),
... ])
>>> check_linearizable(h, Register()).verdict
'violation'
>>> r = check_sequential(h, Register())
>>> r.verdict, [str(op).split("  ")[0] for op in r.order]
('ok', ['c2 read(None) -> ok None', 'c1 write(1) -> ok None'])
"""

from __future__ import annotations

from typing import Any

from dslib.consistency.histories import TimedOperation
from dslib.consistency.models import SequentialSpec
from dslib.consistency.results import ConsistencyResult
from dslib.consistency.search import (
    DONE_OK,
    DONE_VIOLATION,
    OUT_OF_TIME,
    OrderSearch,
    deadline_of,
    minimize,
    prepare,
    relevant,
    violation,
)
from dslib.sim.history import History

__all__ = ["check_sequential", "process_before"]

_FIRST_BUDGET = 10_000


def process_before(a: TimedOperation, b: TimedOperation) -> bool:
    """Whether ``a`` must come before ``b`` in a sequentially consistent order.

    True when both are operations of one process, ``a`` was invoked first and
    ``a`` completed ``ok`` (an ``info`` operation may take effect later).

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> a = Operation(0, "c1", "write", 1, None, "ok", 0.0, 1.0)
    >>> b = Operation(1, "c1", "read", None, 1, "ok", 2.0, 3.0)
    >>> process_before(TimedOperation(a, 0, 1), TimedOperation(b, 2, 3))
    True
    """
    return a.op.process == b.op.process and a.invoke < b.invoke and a.op.status == "ok"


def check_sequential(
    history: History,
    model: SequentialSpec,
    time_limit: float | None = None,
    *,
    shrink: bool = True,
) -> ConsistencyResult:
    """Decide whether ``history`` is sequentially consistent with respect to ``model``.

    Parameters
    ----------
    history : History
    model : SequentialSpec
        Checked as one object (never split by key).
    time_limit : float, optional
        Seconds after which the search stops with the verdict ``"unknown"``.
    shrink : bool, default True
        Shrink a violation to a minimal set of operations.

    Returns
    -------
    ConsistencyResult
        With ``criterion`` ``"sequential consistency"``; ``order`` is a
        witness: an order of the operations that keeps each process's order.

    Raises
    ------
    TypeError
        If ``history`` is not a ``History`` or ``model`` not a ``SequentialSpec`` instance.
    ValueError
        If an operation is not one the model knows, or ``time_limit`` is not
        a positive number.

    References
    ----------
    .. [1] L. Lamport, "How to make a multiprocessor computer that correctly
       executes multiprocess programs", IEEE Trans. Computers C-28(9), 1979.
    .. [2] H. Attiya and J. Welch, "Sequential consistency versus
       linearizability", TOCS 12(2), 1994.

    Examples
    --------
    Two processes that each see the other's write "late" (the store-buffer
    litmus test): each read returns the initial 0, which no single order allows.

    >>> from dslib.consistency import KeyValue, history
    >>> h = history([
    ...     {"process": "p", "type": "invoke", "f": "put", "key": "x", "value": 1},
    ...     {"process": "q", "type": "invoke", "f": "put", "key": "y", "value": 1},
    ...     {"process": "p", "type": "ok", "f": "put", "key": "x", "value": 1},
    ...     {"process": "q", "type": "ok", "f": "put", "key": "y", "value": 1},
    ...     {"process": "p", "type": "invoke", "f": "get", "key": "y"},
    ...     {"process": "q", "type": "invoke", "f": "get", "key": "x"},
    ...     {"process": "p", "type": "ok", "f": "get", "key": "y", "value": 0},
    ...     {"process": "q", "type": "ok", "f": "get", "key": "x", "value": 0},
    ... ])
    >>> check_sequential(h, KeyValue(initial=0))
    ConsistencyResult(sequential consistency: violation, 4 operations cannot be ordered)
    """
    deadline = deadline_of(time_limit)
    kept, by_index = prepare(history, model, "check_sequential")
    ok = [t for t in kept if t.op.status == "ok"]
    info = [t for t in kept if t.op.status != "ok"]
    members = relevant(model, ok, info, realtime=False)
    search = OrderSearch(model, members)
    budget = _FIRST_BUDGET
    outcome = search.run(budget, deadline)
    while outcome not in (DONE_OK, DONE_VIOLATION, OUT_OF_TIME):
        budget *= 2
        outcome = search.run(budget, deadline)
    common: dict[str, Any] = {
        "criterion": "sequential consistency",
        "model": model,
        "history": history,
        "configurations": len(search.cache),
        "constraint": process_before,
        "timed": by_index,
    }
    if outcome == DONE_OK:
        return ConsistencyResult(
            verdict="ok", order=tuple(search.ops[i] for i in search.order()), **common
        )
    if outcome == OUT_OF_TIME:
        return ConsistencyResult(
            verdict="unknown", reason=f"time limit of {time_limit} s reached", **common
        )
    core: list[TimedOperation] = ok
    context: list[TimedOperation] = []
    minimized = False
    if shrink:
        core, context, minimized = minimize(
            model, ok, members, deadline, search.steps, OrderSearch, realtime=False
        )
    return violation(search, model, core, context, minimized, members, common)
