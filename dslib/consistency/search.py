"""The search engine behind ``check_linearizable`` and ``check_sequential``.

Both checkers look for one order of the operations that the model accepts.
They differ only in which orders are allowed: linearizability keeps real-time
order (``LinearizationSearch``, the Wing-Gong search with Lowe's
"just-in-time" list), sequential consistency keeps each process's own order
(``OrderSearch``, a plain depth-first search over the available operations).
Both memoise configurations (the set of operations placed so far and the
model's state; Lowe 2017, sections 3-4) and share three refinements that are
sound for any allowed-order relation in which an operation available now
stays available:

- **forced reads**: if a read-only operation is available and legal now, it
  goes next and nothing else is tried in that configuration. Moving it to the
  front of any valid order keeps the order valid (it changes no state, and
  it is available, so no constraint puts anything before it).
- **doomed reads** (models that name their slots with ``observed``,
  ``written`` and ``holds``): a write that would overwrite a value that some
  operation not placed yet must still see, when no write of that value is
  left, is refused at once instead of failing much later.
- **garbage values** (models with ``observations_complete`` and one slot): a
  value that no remaining operation will observe is as good as any other, so
  configurations holding such values are memoised as one. And when no read
  fits, a write of such a value is forced like a read: in any valid order the
  next operation is then a write (reads do not fit), so the garbage write can
  go just before it, where nobody sees its value.

Without these, a history from 50 concurrent clients makes the search
explore millions of configurations; with them, a few per operation.

This module also holds what the checkers share around the search: argument
checks (``prepare``), weakening an operation to ``info`` (``weaken``),
dropping ``info`` operations that cannot matter (``relevant``) and shrinking a
violation to a minimal core (``minimize``).
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Protocol

from dslib.consistency.histories import TimedOperation, timeline
from dslib.consistency.models import UNKNOWN, SequentialSpec
from dslib.consistency.results import ConsistencyResult, shrink
from dslib.sim.history import History, Operation

__all__ = [
    "DONE_OK",
    "DONE_VIOLATION",
    "OUT_OF_STEPS",
    "OUT_OF_TIME",
    "LinearizationSearch",
    "OrderSearch",
    "deadline_of",
    "minimize",
    "prepare",
    "prepare_all_ok",
    "relevant",
    "violation",
    "weaken",
]

DONE_OK, DONE_VIOLATION, OUT_OF_STEPS, OUT_OF_TIME = range(4)
# What ``run`` returns: finished (orderable / not), or stopped (steps / time ran out).

SHRINK_FLOOR = 100_000
# Shrinking a violation may take as many steps as the verdict took, plus this many: the
# explanation then costs about as much as the verdict. (A check's steps include the
# operations it is built from.)


_INVOKE = operator.itemgetter(1)  # (of a TimedOperation: its invocation)
_STATUS = operator.attrgetter("status")
_INDEX = operator.attrgetter("index")
_IS_OK = "ok".__eq__
_new_tuple = tuple.__new__  # (tuple.__new__(TimedOperation, (op, i, c)) makes one in C)


class _Garbage:
    def __repr__(self) -> str:
        return "GARBAGE"


_GARBAGE = _Garbage()
_ABANDONED = 2  # the "forced" flag of a frame that resolves an optional operation as not done


class _Base:
    """What both searches keep: the operations, the slot bookkeeping, the best path."""

    def __init__(self, model: SequentialSpec, timed: Sequence[TimedOperation]) -> None:
        self.model = model
        self.timed = sorted(timed, key=_INVOKE)  # (linear when already in order)
        self.ops = [t.op for t in self.timed]
        self.is_ok = [1 if op.status == "ok" else 0 for op in self.ops]
        self.n_ok = sum(self.is_ok)
        read_only = model.read_only
        self.read_only = [
            ok == 1 and read_only(op) for op, ok in zip(self.ops, self.is_ok, strict=True)
        ]
        self.state: Any = model.init()
        self.steps = 0
        self.outcome: int | None = DONE_OK if self.n_ok == 0 else None
        self._slots(model)

    def _slots(self, model: SequentialSpec) -> None:
        """Set up the bookkeeping for doomed reads and garbage values.

        ``observed[i]`` is the (slot, value) that operation ``i`` must see,
        ``written[i]`` the (slot, value) it leaves; ``waiting`` counts the
        operations not placed yet that must see each (slot, value), and
        ``writers`` those that may still write it. Slots that some operation
        changes in a way the model cannot name (``UNKNOWN``) are left out.
        """
        observe, write = model.observed, model.written
        observed: list[Any] = [observe(op) for op in self.ops]
        written: list[Any] = [write(op) for op in self.ops]
        try:
            hash((*observed, *written))
        except TypeError:  # (rare) leave out the operations whose slot or value is unhashable
            for i, pair in enumerate(zip(observed, written, strict=True)):
                try:
                    hash(pair)
                except TypeError:
                    observed[i] = written[i] = None
        opaque = {w[0] for w in written if w is not None and w[1] is UNKNOWN}
        self.observed: list[Any] = [
            o if o is not None and o[0] not in opaque else None for o in observed
        ]
        self.written: list[Any] = [
            w if w is not None and w[0] not in opaque else None for w in written
        ]
        self.waiting: dict[Any, int] = {}
        self.writers: dict[Any, int] = {}
        for o in self.observed:
            if o is not None:
                self.waiting[o] = self.waiting.get(o, 0) + 1
        for w in self.written:
            if w is not None:
                self.writers[w] = self.writers.get(w, 0) + 1
        self.pruning = bool(self.waiting)
        slots = {o[0] for o in self.observed if o is not None} | {
            w[0] for w in self.written if w is not None
        }
        self.garbage = (
            self.pruning and model.observations_complete and len(slots) == 1 and not opaque
        )
        self.slot = next(iter(slots)) if len(slots) == 1 else None

    def _doomed(self, x: int, state: Any) -> bool:
        """Whether placing write ``x`` now leaves a read that can never be placed.

        If ``x`` moves its slot away from the value ``u`` it holds, a read that
        still needs ``u`` can only succeed if some write of ``u`` is left.
        """
        written = self.written[x]
        assert written is not None
        slot, value = written
        held = self.model.holds(state, slot)
        if held == value:
            return False
        need = (slot, held)
        waiting = self.waiting.get(need, 0) - (self.observed[x] == need)
        return waiting > 0 and self.writers.get(need, 0) == 0

    def _is_garbage(self, state: Any, placing: int = -1) -> bool:
        """Whether no operation left (``placing`` about to be placed) must see ``state``'s value."""
        o = (self.slot, self.model.holds(state, self.slot))
        left = self.waiting.get(o, 0)
        if placing >= 0 and self.observed[placing] == o:
            left -= 1
        return left == 0

    def _place(self, x: int, sign: int) -> None:
        """Update ``waiting``/``writers`` for placing (``sign=-1``) or unplacing (``+1``) ``x``."""
        o, w = self.observed[x], self.written[x]
        if o is not None:
            self.waiting[o] += sign
        if w is not None:
            self.writers[w] += sign

    def order(self) -> list[int]:
        """The order found (indices into ``ops``), once ``run`` returned ``DONE_OK``."""
        raise NotImplementedError

    def longest(self) -> list[int]:
        """The longest partial order met during the search."""
        raise NotImplementedError


class LinearizationSearch(_Base):
    """The Wing-Gong search with Lowe's memo over one group of operations; resumable.

    The operations' invocations and completions sit in one doubly-linked list
    in history order. The search walks it from the head: at an invocation it
    tries to linearize that operation now (legal in the model, and the new
    configuration not seen before); if so it lifts the operation's two
    entries out of the list, pushes a frame and starts again from the head.
    At a completion (an operation that had to be linearized by now but was
    not) it pops the last frame, puts its entries back, and tries the next
    candidate after it. A configuration is the set of linearized operations
    (a bitset, stored as the number of leading operations that are all
    linearized and the bits above them) and the model's state.

    ``info`` operations have no completion in the list: they may be
    linearized any time after their invocation, or never. An optional
    operation *with* a completion (``weaken``) may be linearized within its
    interval or never: reaching its completion resolves it as not done.

    The refinements of the module docstring (forced reads, doomed reads,
    garbage values) keep it small.

    ``run(budget, deadline)`` takes up to ``budget`` more steps and says
    whether the search finished (linearizable or not) or ran out of steps or
    time; a later ``run`` continues where it stopped.

    Examples
    --------
    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> h = history_from_intervals([("a", "write", 1, None, 0, 2), ("b", "read", None, 1, 1, 3)])
    >>> search = LinearizationSearch(Register(), timeline(h))
    >>> search.run(1000, math.inf) == DONE_OK, search.order()
    (True, [0, 1])
    """

    def __init__(self, model: SequentialSpec, timed: Sequence[TimedOperation]) -> None:
        super().__init__(model, timed)
        n = len(self.ops)
        # The entries (invocation i, completion n + i) in history order. Event positions
        # are distinct integers, so one sort of ``position * span + entry`` orders them:
        # the invocations come already in order and the completions nearly so, which
        # Python's sort (Timsort) merges in about linear time.
        span = 2 * n + 2
        marks = [t.invoke * span + i for i, t in enumerate(self.timed)]
        ret = [-1] * n
        for i, t in enumerate(self.timed):
            if t.complete != math.inf:
                marks.append(int(t.complete) * span + n + i)
                ret[i] = n + i
        marks.sort()
        self.head, self.tail = 2 * n, 2 * n + 1
        self.nxt = [self.tail] * span
        self.prv = [self.head] * span
        chain = [self.head, *(m % span for m in marks), self.tail]
        for a, b in itertools.pairwise(chain):
            self.nxt[a] = b
            self.prv[b] = a
        self.ret = ret
        self.bit = [1 << i for i in range(n)]
        self.done = [False] * (n + 1)  # done[n] stays False: a sentinel for the low-water mark
        self.bits = 0
        self.low = 0  # operations 0..low-1 are all linearized
        # A frame: (operation, state before, bits before, low before, forced, frame below).
        self.cell: tuple[Any, ...] | None = None
        self.count = 0
        self.depth = 0
        self.best: tuple[Any, ...] | None = None
        self.best_depth = 0
        self.entry = self.nxt[self.head]
        self.scan = True
        self.cache: set[tuple[int, int, Any]] = set()

    def run(self, budget: int, deadline: float) -> int:
        """Search for up to ``budget`` steps; return ``DONE_OK``, ``DONE_VIOLATION``, ..."""
        if self.outcome is not None:
            return self.outcome
        n, head, tail = len(self.ops), self.head, self.tail
        nxt, prv, ret, bit, is_ok, done = (
            self.nxt,
            self.prv,
            self.ret,
            self.bit,
            self.is_ok,
            self.done,
        )
        ops, cache, n_ok, read_only = self.ops, self.cache, self.n_ok, self.read_only
        pruning, observed, written = self.pruning, self.observed, self.written
        waiting, writers, doomed = self.waiting, self.writers, self._doomed
        garbage, slot, holds = self.garbage, self.slot, self.model.holds
        step = self.model.step
        state, bits, low, cell = self.state, self.bits, self.low, self.cell
        count, depth, best, best_depth = self.count, self.depth, self.best, self.best_depth
        entry, scan = self.entry, self.scan
        outcome = OUT_OF_STEPS
        steps = 0
        check_at = 4096
        try:
            while steps < budget:
                steps += 1
                if steps >= check_at:
                    check_at += 4096
                    if time.perf_counter() > deadline:
                        outcome = OUT_OF_TIME
                        break
                push = -1
                forced = 0  # 1: the only choice here; _ABANDONED: see below
                if scan:
                    # A new configuration. If a read-only operation can go next, it goes
                    # next and nothing else is tried here; failing that, so does a write
                    # whose value nobody will read. Only when neither exists are the
                    # other operations branched on.
                    scan = False
                    x = nxt[head]
                    while x < n:
                        if read_only[x]:
                            steps += 1
                            legal, new_state = step(state, ops[x])
                            if legal:
                                break
                        x = nxt[x]
                    if x >= n and garbage:
                        x = nxt[head]
                        while x < n:
                            w = written[x]
                            if w is not None and not waiting.get(w):
                                steps += 1
                                legal, new_state = step(state, ops[x])
                                if legal:
                                    break
                            x = nxt[x]
                    if x >= n:
                        entry = nxt[head]
                        continue
                    push = x
                    forced = 1
                elif entry < n:  # an invocation: try to linearize its operation now
                    if not read_only[entry]:  # (reads were tried by the scan)
                        legal, new_state = step(state, ops[entry])
                        if legal and pruning and written[entry] is not None:
                            legal = not doomed(entry, state)
                        if legal:
                            push = entry
                    if push < 0:
                        entry = nxt[entry]
                        continue
                elif entry < tail and not is_ok[entry - n]:
                    # The completion of an optional operation not linearized: from here
                    # on it can no longer take effect. Resolve it as "did not happen".
                    push = entry - n
                    new_state = state
                    forced = _ABANDONED
                if push >= 0:
                    new_bits = bits | bit[push]
                    new_low = low
                    if push == low:
                        new_low += 1
                        while done[new_low]:
                            new_low += 1
                    key_state = new_state
                    if garbage:
                        o = (slot, holds(new_state, slot))
                        if waiting.get(o, 0) - (observed[push] == o) == 0:
                            key_state = _GARBAGE
                    key = (new_bits >> new_low, new_low, key_state)
                    if key in cache:
                        if forced:
                            push = -1  # forced into a dead end: this configuration is dead too
                        else:
                            entry = nxt[entry]
                            continue
                    else:
                        cache.add(key)
                        cell = (push, state, bits, low, forced, cell)
                        state, bits, low = new_state, new_bits, new_low
                        done[push] = True
                        depth += 1
                        count += is_ok[push]
                        if pruning:
                            o, w = observed[push], written[push]
                            if o is not None:
                                waiting[o] -= 1
                            if w is not None:
                                writers[w] -= 1
                        p, q = prv[push], nxt[push]
                        nxt[p], prv[q] = q, p
                        r = ret[push]
                        if r >= 0:
                            p, q = prv[r], nxt[r]
                            nxt[p], prv[q] = q, p
                        if depth > best_depth:
                            best, best_depth = cell, depth
                        if count == n_ok:
                            outcome = DONE_OK
                            break
                        scan = True
                        continue
                # A completion (or the end) of an operation not linearized yet, or a
                # dead forced read: back up, past every forced frame, to the last
                # configuration with a choice left.
                forced = 1
                while forced:  # (the flag of the frame popped last)
                    if cell is None:
                        break
                    e, state, bits, low, forced, cell = cell
                    done[e] = False
                    r = ret[e]
                    if r >= 0:
                        nxt[prv[r]] = r
                        prv[nxt[r]] = r
                    nxt[prv[e]] = e
                    prv[nxt[e]] = e
                    depth -= 1
                    count -= is_ok[e]
                    if pruning:
                        o, w = observed[e], written[e]
                        if o is not None:
                            waiting[o] += 1
                        if w is not None:
                            writers[w] += 1
                if forced:
                    outcome = DONE_VIOLATION
                    break
                entry = nxt[e]
        except TypeError as exc:
            raise TypeError(
                f"the {self.model.name} model returned a state that cannot be memoised "
                f"({exc}); states must be hashable (tuples, frozensets, frozen dataclasses)"
            ) from None
        self.state, self.bits, self.low, self.cell = state, bits, low, cell
        self.count, self.depth, self.best, self.best_depth = count, depth, best, best_depth
        self.entry, self.scan = entry, scan
        self.steps += steps
        if outcome in (DONE_OK, DONE_VIOLATION):
            self.outcome = outcome
        return outcome

    def _chain(self, cell: tuple[Any, ...] | None) -> list[int]:
        out = []
        while cell is not None:
            if cell[4] != _ABANDONED:
                out.append(cell[0])
            cell = cell[5]
        out.reverse()
        return out

    def order(self) -> list[int]:
        return self._chain(self.cell)

    def longest(self) -> list[int]:
        return self._chain(self.best)


class OrderSearch(_Base):
    """Depth-first search for an order that keeps each process's own order.

    Operation ``b`` of a process must come after that process's last ``ok``
    operation invoked before it (an ``info`` one may have taken effect at any
    later time, so it constrains nothing after it). At each configuration the
    available operations are listed, a forced one (see the module docstring)
    if there is one, and tried in invocation order; a frame remembers the list
    and how far it got.

    Examples
    --------
    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> h = history_from_intervals([("a", "write", 1, None, 0, 1), ("b", "read", None, None, 2, 3)])
    >>> search = OrderSearch(Register(), timeline(h))
    >>> search.run(1000, math.inf) == DONE_OK, search.order()
    (True, [1, 0])
    """

    def __init__(self, model: SequentialSpec, timed: Sequence[TimedOperation]) -> None:
        super().__init__(model, timed)
        last_ok: dict[Any, int] = {}
        self.pred: list[int] = []
        for i, op in enumerate(self.ops):
            self.pred.append(last_ok.get(op.process, -1))
            if op.status == "ok":
                last_ok[op.process] = i
        n = len(self.ops)
        self.done = [False] * n
        self.bits = 0
        self.count = 0
        self.path: list[int] = []
        self.best: list[int] = []
        self.frames: list[tuple[list[int], int, Any, int]] = []  # (candidates, next, state, bits)
        self.candidates: list[int] | None = None
        self.next = 0
        self.cache: set[tuple[int, Any]] = set()

    def _available(self) -> list[int]:
        done, pred = self.done, self.pred
        return [i for i in range(len(self.ops)) if not done[i] and (pred[i] < 0 or done[pred[i]])]

    def _forced(self, available: list[int]) -> int:
        """A read that fits now, or else a write nobody will read; -1 if none."""
        step, state = self.model.step, self.state
        for i in available:
            if self.read_only[i] and step(state, self.ops[i])[0]:
                return i
        if self.garbage:
            for i in available:
                w = self.written[i]
                if w is not None and not self.waiting.get(w) and step(state, self.ops[i])[0]:
                    return i
        return -1

    def run(self, budget: int, deadline: float) -> int:
        """Search for up to ``budget`` steps; return ``DONE_OK``, ``DONE_VIOLATION``, ..."""
        if self.outcome is not None:
            return self.outcome
        step, ops, cache = self.model.step, self.ops, self.cache
        steps = 0
        outcome = OUT_OF_STEPS
        try:
            while steps < budget:
                steps += 1
                if steps % 1024 == 0 and time.perf_counter() > deadline:
                    outcome = OUT_OF_TIME
                    break
                if self.candidates is None:
                    available = self._available()
                    steps += len(available)
                    forced = self._forced(available)
                    if forced >= 0:
                        self.candidates = [forced]
                    else:
                        self.candidates = [i for i in available if not self.read_only[i]]
                    self.next = 0
                pushed = False
                while self.next < len(self.candidates):
                    x = self.candidates[self.next]
                    self.next += 1
                    legal, new_state = step(self.state, ops[x])
                    if legal and self.pruning and self.written[x] is not None:
                        legal = not self._doomed(x, self.state)
                    if not legal:
                        continue
                    new_bits = self.bits | (1 << x)
                    key_state = (
                        _GARBAGE if self.garbage and self._is_garbage(new_state, x) else new_state
                    )
                    if (new_bits, key_state) in cache:
                        continue
                    cache.add((new_bits, key_state))
                    self.frames.append((self.candidates, self.next, self.state, self.bits))
                    self.state, self.bits = new_state, new_bits
                    self.done[x] = True
                    self.count += self.is_ok[x]
                    self._place(x, -1)
                    self.path.append(x)
                    if len(self.path) > len(self.best):
                        self.best = list(self.path)
                    self.candidates = None
                    pushed = True
                    break
                if pushed:
                    if self.count == self.n_ok:
                        outcome = DONE_OK
                        break
                    continue
                if not self.frames:
                    outcome = DONE_VIOLATION
                    break
                x = self.path.pop()
                self.done[x] = False
                self.count -= self.is_ok[x]
                self._place(x, +1)
                self.candidates, self.next, self.state, self.bits = self.frames.pop()
        except TypeError as exc:
            raise TypeError(
                f"the {self.model.name} model returned a state that cannot be memoised "
                f"({exc}); states must be hashable (tuples, frozensets, frozen dataclasses)"
            ) from None
        self.steps += steps
        if outcome in (DONE_OK, DONE_VIOLATION):
            self.outcome = outcome
        return outcome

    def order(self) -> list[int]:
        return list(self.path)

    def longest(self) -> list[int]:
        return list(self.best)


def deadline_of(time_limit: float | None) -> float:
    """The ``time.perf_counter()`` value at which to stop (``inf`` for no limit).

    >>> deadline_of(None)
    inf
    >>> deadline_of(-1)
    Traceback (most recent call last):
    ...
    ValueError: time_limit=-1 must be a number of seconds > 0, or None
    """
    if time_limit is None:
        return math.inf
    if (
        not isinstance(time_limit, (int, float))
        or isinstance(time_limit, bool)
        or not time_limit > 0
    ):
        raise ValueError(f"time_limit={time_limit!r} must be a number of seconds > 0, or None")
    return time.perf_counter() + float(time_limit)


def _check_arguments(history: History, model: SequentialSpec, caller: str) -> None:
    """Raise ``TypeError`` unless ``model`` is a model instance with a hashable initial
    state and ``history`` a ``History``."""
    if not isinstance(model, SequentialSpec):
        hint = f" (give an instance: {model.__name__}())" if isinstance(model, type) else ""
        raise TypeError(
            f"{caller}: model must be a dslib.consistency SequentialSpec{hint}, got {model!r}"
        )
    if not isinstance(history, History):
        raise TypeError(
            f"{caller}: expected a dslib History, got {type(history).__name__}; build one with "
            "history([...]), history_from_intervals([...]) or a reader such as read_jepsen_edn"
        )
    try:
        hash(model.init())
    except TypeError:
        raise TypeError(
            f"{caller}: the initial state of the {model.name} model, {model.init()!r}, is not "
            "hashable; use tuples, frozensets or frozen dataclasses"
        ) from None


def prepare_all_ok(
    history: History, model: SequentialSpec, caller: str
) -> list[tuple[Operation, int, float]] | None:
    """``prepare`` for the common case, every operation ``ok``: validated together.

    Returns ``(operation, invocation position, completion position)`` as plain tuples
    (index them like a ``TimedOperation``: they cost a third of one to make), every
    operation of the history in invocation order; ``None`` when some operation is not
    ``ok`` (then use ``prepare``).

    >>> from dslib.consistency import Register, history_from_intervals
    >>> h = history_from_intervals([("a", "write", 1, None, 0, 1), ("b", "read", None, 1, 2, 3)])
    >>> [(op.f, i, c) for op, i, c in prepare_all_ok(h, Register(), "example")]
    [('write', 0, 1), ('read', 2, 3)]
    """
    _check_arguments(history, model, caller)
    ops = history.operations()
    if list(map(_STATUS, ops)).count("ok") != len(ops):
        return None
    model.validate_many(ops)
    invoked, completed = history.positions()
    return list(zip(ops, invoked, completed, strict=True))


def prepare(
    history: History, model: SequentialSpec, caller: str
) -> tuple[list[TimedOperation], dict[int, TimedOperation]]:
    """Validate the arguments; the operations that may have taken effect, in invocation order.

    Failed operations are dropped, and so are ``info`` operations that are
    read-only (they constrain nothing). Also returns the kept operations by
    index.

    >>> from dslib.consistency import Register, history_from_intervals
    >>> h = history_from_intervals([("a", "write", 1, None, 0, 1, "fail"),
    ...                             ("b", "read", None, None, 2, 3, "info"),
    ...                             ("b", "read", None, None, 4, 5)])
    >>> [t.op.index for t in prepare(h, Register(), "example")[0]]
    [2]
    """
    _check_arguments(history, model, caller)
    ops = history.operations()
    if all(map(_IS_OK, map(_STATUS, ops))):
        # The common case, every operation ok: validated together, and made timed in C.
        model.validate_many(ops)
        invoked, completed = history.positions()
        timed = zip(ops, invoked, completed, strict=True)
        kept = list(map(_new_tuple, itertools.repeat(TimedOperation), timed))
        return kept, dict(zip(map(_INDEX, ops), kept, strict=True))
    kept = []
    by_index: dict[int, TimedOperation] = {}
    for t in timeline(history):
        if t.op.status == "fail":
            continue
        model.validate(t.op)
        if t.op.status == "info" and model.read_only(t.op):
            continue
        kept.append(t)
        by_index[t.op.index] = t
    return kept, by_index


def weaken(t: TimedOperation) -> TimedOperation:
    """The same operation made optional: it may or may not have taken effect (its result
    is forgotten), but if it did, then between its invocation and its completion.

    For the linearization search an optional operation with a completion may be left
    out; for the order search (sequential consistency) it constrains nothing after it.

    >>> from dslib.consistency import history_from_intervals, timeline
    >>> t = weaken(timeline(history_from_intervals([("a", "read", None, 1, 0, 1)]))[0])
    >>> t.op.status, t.op.result, t.complete
    ('info', None, 1)
    """
    op = t.op  # (built directly: dataclasses.replace costs more than the search it feeds)
    weak = Operation(
        op.index, op.process, op.f, op.value, None, "info", op.invoke_time, op.complete_time, op.key
    )
    return TimedOperation(weak, t.invoke, t.complete)


def relevant(
    model: SequentialSpec,
    ok: Sequence[TimedOperation],
    info: Sequence[TimedOperation],
    realtime: bool = True,
) -> list[TimedOperation]:
    """``ok`` and the ``info`` operations that might help explain them, in invocation order.

    With ``realtime``, an ``info`` operation invoked after every ``ok`` one
    completed can only come last, where it changes nothing that was
    observed; the model's ``prune_info`` drops the ones nothing observed.

    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> ops = timeline(history_from_intervals([
    ...     ("a", "write", 1, None, 0, 9, "info"), ("b", "write", 2, None, 0, 9, "info"),
    ...     ("c", "read", None, 1, 1, 2)]))
    >>> [t.op.value or t.op.result for t in relevant(Register(), ops[2:], ops[:2])]
    [1, 1]
    """
    if not ok:
        return []
    if not info:
        return sorted(ok, key=_INVOKE)  # (linear: ok comes in invocation order)
    last = max(t.complete for t in ok) if realtime else math.inf
    early = [t for t in info if t.invoke < last]
    keep = {op.index for op in model.prune_info([t.op for t in early], [t.op for t in ok])}
    out = list(ok) + [t for t in early if t.op.index in keep]
    out.sort(key=lambda t: t.invoke)
    return out


class Search(Protocol):
    """What ``minimize`` needs of a search: ``run`` and how many steps it took."""

    steps: int

    def run(self, budget: int, deadline: float) -> int: ...


def minimize(
    model: SequentialSpec,
    ok: list[TimedOperation],
    members: list[TimedOperation],
    deadline: float,
    steps: int,
    make_search: Callable[[SequentialSpec, list[TimedOperation]], Search],
    realtime: bool = True,
    focus: TimedOperation | None = None,
) -> tuple[list[TimedOperation], list[TimedOperation], bool]:
    """Shrink the ``ok`` operations of a violating group to a minimal violating core.

    A candidate core ``S`` still violates when the group with every operation
    outside ``S`` made optional (``weaken``: may or may not have taken effect)
    cannot be ordered. So the core is a contradiction that no other operation
    can explain away, and removing (weakening) any one of its operations
    makes the group orderable.

    ``focus`` is an operation the search could not place (with real time):
    the contradiction is near it, so windows of the 2, 4, 8, ... operations
    closest to it among those that real time orders before or after it (then
    those overlapping it) are tried first, which keeps every check small even
    in a long history with many clients.

    The checks share a budget of ``steps`` (what the verdict cost) plus
    ``SHRINK_FLOOR`` search steps, so that explaining costs about as much as
    deciding; when it runs out, the smallest violating set found so far is
    returned, not known to be minimal. The budget counts steps, not seconds,
    so the explanation is the same on every machine.

    Returns the core, the operations outside it that the last check could
    still use to explain it (the writes whose values the core's reads saw,
    weakened), and whether shrinking completed.

    Examples
    --------
    >>> from dslib.consistency import Register, history_from_intervals, timeline
    >>> ops = timeline(history_from_intervals([
    ...     ("a", "write", 1, None, 0, 1), ("a", "write", 2, None, 2, 3),
    ...     ("b", "read", None, 5, 0, 1), ("c", "read", None, 1, 4, 5)]))
    >>> core, context, done = minimize(Register(), ops, ops, math.inf, 0, LinearizationSearch)
    >>> [t.op.index for t in core], [t.op.index for t in context], done
    ([1], [], True)
    """
    budget = [SHRINK_FLOOR + steps]
    exhausted = [False]
    # Everything that may be weakened, once, in invocation order.
    others = sorted(
        [weaken(t) for t in ok if not model.read_only(t.op)]
        + [t for t in members if t.op.status != "ok"],
        key=lambda t: t.invoke,
    )
    starts = [t.invoke for t in others]

    def violates(core: list[TimedOperation]) -> bool | None:
        if budget[0] <= 0:
            exhausted[0] = True
            raise StopIteration
        inside = {t.op.index for t in core}
        last = max(t.complete for t in core) if realtime else math.inf
        around = [t for t in others[: bisect.bisect_left(starts, last)] if t.op.index not in inside]
        members = relevant(model, core, around, realtime)
        budget[0] -= len(members)
        search = make_search(model, members)
        outcome = search.run(max(1, budget[0]), deadline)
        budget[0] -= search.steps
        if outcome == OUT_OF_TIME:
            exhausted[0] = True
            raise StopIteration
        if outcome == OUT_OF_STEPS:
            return None
        return outcome == DONE_VIOLATION

    start = ok
    if focus is not None and realtime:
        # The operations nearest the focus first: those that real time orders before or
        # after it, closest first, then those that overlap it. Windows of 2, 4, 8... of
        # them, then the smallest that still violates.
        def nearness(t: TimedOperation) -> tuple[int, float]:
            assert focus is not None
            if t.complete < focus.invoke:
                return (0, focus.invoke - t.complete)  # before it in real time
            if t.invoke > focus.complete:
                return (0, t.invoke - focus.complete)  # after it
            return (1, -t.complete)  # overlapping it: no real-time order, so last

        near = sorted((t for t in ok if t.op.index != focus.op.index), key=nearness)

        def window(k: int) -> list[TimedOperation]:
            assert focus is not None
            return sorted([*near[:k], focus], key=lambda t: t.invoke)

        try:
            k = 2
            hit = violates(window(k)) is True
            while not hit and k < len(near):
                k *= 2
                hit = violates(window(k)) is True
            if hit:
                start = window(k)
                low, high = k // 2, k  # window(high) violates
                while high - low > 1:
                    mid = (low + high) // 2
                    if violates(window(mid)) is True:
                        high = mid
                        start = window(high)
                    else:
                        low = mid
        except StopIteration:
            return start, [], False
    found, complete = shrink(start, violates)
    inside = {t.op.index for t in found}
    last = max(t.complete for t in found) if realtime else math.inf
    around = [t for t in others[: bisect.bisect_left(starts, last)] if t.op.index not in inside]
    context = [t for t in relevant(model, found, around, realtime) if t.op.index not in inside]
    return found, context, complete and not exhausted[0]


def violation(
    search: _Base,
    model: SequentialSpec,
    core: list[TimedOperation],
    context: list[TimedOperation],
    minimized: bool,
    members: Sequence[TimedOperation],
    common: dict[str, Any],
    group: Hashable = None,
) -> ConsistencyResult:
    """The ``violation`` answer of an ordering checker, once ``search`` failed on ``members``.

    ``core`` and ``context`` are what ``minimize`` returned (or every ``ok`` operation and
    nothing, without shrinking); ``common`` holds the fields every answer of the checker
    shares (criterion, model, history, ``timed``, ...). The longest partial order the
    search met is replayed on ``model`` to give the state it got stuck in.
    """
    longest = [search.ops[i] for i in search.longest()]
    state = model.init()
    for op in longest:
        state = model.step(state, op)[1]
    by_index = common["timed"]
    shown = sorted(core + context, key=lambda t: t.invoke)
    return ConsistencyResult(
        verdict="violation",
        minimal=tuple(by_index[t.op.index].op for t in shown),
        core=tuple(t.op for t in core),
        minimized=minimized,
        partial=tuple(longest),
        partial_state=state,
        group=group,
        group_size=len(members),
        **common,
    )
