"""What an ordering checker answers, and how it explains a violation.

``check_linearizable`` and ``check_sequential`` both ask whether the
operations of a history can be put in one order that the model accepts, under
different constraints (real time, or each process's own order). They answer
with a ``ConsistencyResult``: ``ok`` with the order found (a witness),
``violation`` with the smallest set of operations that cannot be ordered and
the longest partial order the search found, or ``unknown`` when the time limit
stopped the search.

This module also holds the machinery both use to explain a violation:
shrinking a violating set to a minimal one (``shrink``) and listing, for each
order the constraints allow, the step where the model refuses it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dslib.consistency.histories import TimedOperation, describe, subhistory
from dslib.consistency.models import SequentialSpec
from dslib.core import stable_repr
from dslib.errors import renamed
from dslib.sim.history import History, Operation

__all__ = ["ConsistencyResult", "shrink"]

VERDICTS = ("ok", "violation", "unknown")


def _fmt_time(t: float) -> str:
    return "inf" if math.isinf(t) else f"{t:g}"


@dataclass(frozen=True, eq=False)
class ConsistencyResult:
    """The answer of an ordering checker (linearizability, sequential consistency).

    (Named ``CheckResult`` before, and still importable under that name for one
    release, with a warning; ``dslib.check.CheckResult`` is the model checker's.)

    Attributes
    ----------
    criterion : str
        ``"linearizability"`` or ``"sequential consistency"``.
    verdict : {"ok", "violation", "unknown"}
    model : SequentialSpec
    history : History
        The history that was checked.
    order : tuple of Operation
        For ``ok``: a witness, every operation that took effect in an order the
        model accepts and the criterion allows (``info`` operations appear only
        if the witness needs them).
    minimal : tuple of Operation
        For ``violation``: a small set of operations that cannot be ordered,
        in invocation order: the ``core`` and the operations that could
        explain it (the writes whose values the core's reads returned).
    core : tuple of Operation
        The operations that must have happened as recorded for the
        contradiction: make any one of them optional ("may or may not have
        taken effect": within its interval for linearizability, anywhere
        after its process's previous operation for sequential consistency)
        and, with every operation outside the core optional the same way, an
        order exists (when ``minimized``).
    minimized : bool
        ``False`` if shrinking ``minimal`` stopped early (its step budget or the
        time limit ran out): the set is a violation but may not be minimal.
    partial : tuple of Operation
        For ``violation``: the longest order of operations (of the violating
        group) the search found before it got stuck.
    partial_state : any
        The model's state after ``partial``.
    group : hashable
        The key of the violating group (for a partitioned model such as
        ``KeyValue``), else ``None``.
    groups : int
        How many independent groups the history was split into.
    group_size : int
        How many operations the violating group has (those that may have
        taken effect and can change or observe the state).
    configurations : int
        How many (set of operations, state) configurations the search stored.
    reason : str
        Why the verdict is ``unknown``.
    fast_path : bool
        ``True`` when a fast path for unique values decided the violation
        without a search (``check_linearizable(..., shrink=False)``); ``partial``
        is then the start of the order it built, up to where real time refused it.

    Examples
    --------
    >>> from dslib.consistency import Register, check_linearizable, history_from_intervals
    >>> h = history_from_intervals([("c1", "write", 1, None, 0, 1), ("c2", "read", None, 2, 2, 3)])
    >>> r = check_linearizable(h, Register())
    >>> r.verdict, r.ok, [str(op.result) for op in r.core]
    ('violation', False, ['2'])
    """

    criterion: str
    verdict: str
    model: SequentialSpec
    history: History
    order: tuple[Operation, ...] = ()
    minimal: tuple[Operation, ...] = ()
    core: tuple[Operation, ...] = ()
    minimized: bool = True
    partial: tuple[Operation, ...] = ()
    partial_state: Any = None
    group: Hashable = None
    groups: int = 1
    group_size: int = 0
    configurations: int = 0
    reason: str = ""
    fast_path: bool = False
    constraint: Callable[[TimedOperation, TimedOperation], bool] | None = field(
        default=None, repr=False
    )
    timed: Mapping[int, TimedOperation] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """``True`` for the verdict ``"ok"`` (``False`` for violation *and* unknown)."""
        return self.verdict == "ok"

    @property
    def linearization(self) -> tuple[Operation, ...]:
        """The witness order (same as ``order``)."""
        return self.order

    def minimal_history(self) -> History:
        """The history of just the ``minimal`` operations (draw it with ``plot_history``)."""
        return subhistory(self.history, self.minimal)

    def __repr__(self) -> str:
        n = sum(1 for e in self.history.events if e.type == "invoke")
        if self.verdict == "ok":
            what = f"{n} operations"
            if self.groups > 1:
                what += f" in {self.groups} groups"
            return f"ConsistencyResult({self.criterion}: ok, {what})"
        if self.verdict == "violation":
            where = f" in group {stable_repr(self.group)}" if self.groups > 1 else ""
            return (
                f"ConsistencyResult({self.criterion}: violation{where}, "
                f"{len(self.minimal)} operations cannot be ordered)"
            )
        return f"ConsistencyResult({self.criterion}: unknown, {self.reason})"

    def explain(self, max_orders: int = 6) -> str:
        """A few lines that say what the verdict means for this history.

        Parameters
        ----------
        max_orders : int, default 6
            For a violation, how many of the refused orders to list.

        Returns
        -------
        str
        """
        if not isinstance(max_orders, int) or max_orders < 0:
            raise ValueError(f"explain: max_orders={max_orders!r} must be an int >= 0")
        model = self.model
        if self.verdict == "unknown":
            return f"{self.criterion}: unknown ({self.reason})"
        if self.verdict == "ok":
            lines = [
                f"{self.criterion}: ok. One order that respects {_allowed_by(self.criterion)} "
                f"and the {model.name} model:"
            ]
            lines += [
                f"  {i + 1:>3}. {op.process}  {describe(op)}"
                for i, op in enumerate(self.order[:40])
            ]
            if len(self.order) > 40:
                lines.append(f"  ... ({len(self.order) - 40} more)")
            return "\n".join(lines)
        where = f" (group {stable_repr(self.group)})" if self.groups > 1 else ""
        k = len(self.minimal)
        lines = [
            f"{self.criterion}: violation{where}.",
            f"No order of these {k} operation{'s' if k != 1 else ''} respects "
            f"{_allowed_by(self.criterion)} and the {model.name} model:",
        ]
        width = max(len(describe(op)) for op in self.minimal)
        for op in self.minimal:
            span = f"[{_fmt_time(op.invoke_time)}, {_fmt_time(op.complete_time)}]"
            lines.append(f"  {op.process!s:<6} {describe(op):<{width}}  {span}")
        if not self.minimized:
            lines.append("  (this set may not be minimal: shrinking was off or stopped early)")
        refusals = _refusals(self) if max_orders else []
        if refusals:
            rule = _allowed_by(self.criterion)
            lines.append(
                f"Every order that respects {rule} breaks, in one of {len(refusals)} ways:"
                if len(refusals) > 1
                else f"Every order that respects {rule} breaks at the same step:"
            )
            for prefix, state in refusals[:max_orders]:
                shown = ", ".join(describe(op) for op in prefix)
                lines.append(
                    f"  {shown}  <- {describe(prefix[-1])} is impossible in state "
                    f"{model.describe_state(state)}"
                )
            if len(refusals) > max_orders:
                lines.append(f"  ... ({len(refusals) - max_orders} more)")
        of_group = " of this group" if self.groups > 1 else ""
        state = model.describe_state(self.partial_state)
        if self.fast_path:
            lines.append(
                f"The fast path for unique values ordered {len(self.partial)} of the "
                f"{self.group_size} operations{of_group} before real time refused its order, "
                f"every step of which was forced (state then: {state})."
            )
        else:
            lines.append(
                f"The search ordered at most {len(self.partial)} of the {self.group_size} "
                f"operations{of_group} before it got stuck (state then: {state})."
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


def _allowed_by(criterion: str) -> str:
    return "real time" if criterion == "linearizability" else "each process's order"


def _refusals(result: ConsistencyResult, limit: int = 8) -> list[tuple[tuple[Operation, ...], Any]]:
    """Every order of ``minimal`` the constraint allows, cut at the step the model refuses.

    ``info`` operations may be left out. Orders with the same refused prefix
    are listed once, longest first. Empty if ``minimal`` has more than ``limit`` operations
    (too many orders to list).
    """
    ops = list(result.minimal)
    if not ops or len(ops) > limit or result.constraint is None:
        return []
    timed = [result.timed[op.index] for op in ops]
    before = result.constraint
    model = result.model
    optional = [i for i, op in enumerate(ops) if op.status != "ok"]
    seen: dict[tuple[int, ...], Any] = {}
    for r in range(len(optional) + 1):
        for left_out in itertools.combinations(optional, r):
            chosen = [i for i in range(len(ops)) if i not in left_out]
            for perm in itertools.permutations(chosen):
                if any(
                    before(timed[perm[b]], timed[perm[a]])
                    for a in range(len(perm))
                    for b in range(a + 1, len(perm))
                ):
                    continue
                state = model.init()
                for depth, i in enumerate(perm):
                    legal, new_state = model.step(state, ops[i])
                    if not legal:
                        key = perm[: depth + 1]
                        if key not in seen:
                            seen[key] = state
                        break
                    state = new_state
    longest_first = sorted(seen.items(), key=lambda kv: (-len(kv[0]), kv[0]))
    return [(tuple(ops[i] for i in key), state) for key, state in longest_first]


def shrink(
    items: Sequence[Any],
    violates: Callable[[list[Any]], bool | None],
    *,
    prefix: bool = True,
) -> tuple[list[Any], bool]:
    """Shrink a violating list to a 1-minimal violating sublist.

    ``violates(sub)`` answers ``True`` (still a violation), ``False`` or
    ``None`` (could not tell: a budget ran out; treated as "keep it") for a
    sublist, keeping order. The result is 1-minimal: removing any one item
    makes ``violates`` answer something other than ``True``. When ``prefix``,
    the search first looks for a short violating prefix by doubling, which is
    fast when the violation is early.

    Returns the sublist and whether shrinking completed (``violates`` may
    raise ``StopIteration`` to say "stop now": the current list is returned
    with ``False``).

    Examples
    --------
    >>> shrink(list(range(10)), lambda xs: 3 in xs and 7 in xs)
    ([3, 7], True)
    """
    current = list(items)
    try:
        if prefix and len(current) > 2:
            k = 2
            while k < len(current) and violates(current[:k]) is not True:
                k *= 2
            if k < len(current):
                lo, hi = k // 2, k  # current[:hi] violates
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if violates(current[:mid]) is True:
                        hi = mid
                    else:
                        lo = mid
                current = current[:hi]
        chunk = max(1, len(current) // 2)
        while True:
            changed = False
            i = 0
            while i < len(current):
                candidate = current[:i] + current[i + chunk :]
                if candidate and violates(candidate) is True:
                    current = candidate
                    changed = True
                else:
                    i += chunk
            if chunk > 1:
                chunk //= 2
            elif not changed:
                break
    except StopIteration:
        return current, False
    return current, True


__getattr__ = renamed(__name__, {"CheckResult": (ConsistencyResult, "ConsistencyResult")})
