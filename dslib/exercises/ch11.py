"""Chapter 11 (consistency models): deciding by hand what the checkers decide.

- ``ch11.linearize``: find a linearization of a small register history, or say
  that none exists (Herlihy and Wing 1990, section 3);
- ``ch11.monotonic_reads``: the first read of a session that goes back in time,
  given the store's version order (Terry et al. 1994, section 3);
- ``ch11.read_your_writes``: the first read of a session that misses the
  session's own latest write, given the version order (the same paper).

Each is checked by examples, then hypothesis properties against an independent
definition: a returned linearization is validated operation by operation (real time
and the register's results) and its existence compared with ``check_linearizable``;
the session verdicts are compared with a direct reading of the definition.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch11.linearize").stages]
['examples', 'properties']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import hypothesis.strategies as st

from dslib.consistency import Register, check_linearizable, history_from_intervals
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
    Properties,
    Property,
    Raised,
    Raises,
    call_answer,
)

__all__: list[str] = []

Row = tuple[str, str, Any, Any, float, float]


# == ch11.linearize ==============================================================================
def order_problem(ops: Sequence[Row], order: Any) -> str | None:
    """Why ``order`` is not a linearization of ``ops`` (a register starting at None), or None.

    Written from the definition, independently of ``dslib.consistency``: a permutation of
    the indices; an operation that ended before (or when) another began comes first; each
    read returns the value of the latest write before it.

    Examples
    --------
    >>> ops = [("c1", "write", 1, None, 0, 2), ("c2", "read", None, 1, 1, 3)]
    >>> order_problem(ops, [0, 1]) is None
    True
    >>> order_problem(ops, [1, 0])
    'operation 1 (read) returns 1, but the register holds None there'
    """
    if not isinstance(order, list) or sorted(map(repr, order)) != sorted(
        map(repr, range(len(ops)))
    ):
        return f"it is not a list holding each index 0 to {len(ops) - 1} once"
    position = {i: k for k, i in enumerate(order)}
    for i, j in itertools.permutations(range(len(ops)), 2):
        if ops[i][5] <= ops[j][4] and position[j] < position[i]:
            return (
                f"operation {i} ended (at {ops[i][5]}) before operation {j} began (at "
                f"{ops[j][4]}), yet it comes after it"
            )
    value = None
    for i in order:
        _, f, written, result, _, _ = ops[i]
        if f == "write":
            value = written
        elif result != value:
            return (
                f"operation {i} (read) returns {result!r}, but the register holds {value!r} there"
            )
    return None


class Linearization:
    """The expected answer of a linearizable example: any valid order compares equal."""

    def __init__(self, ops: Sequence[Row], example: list[int]) -> None:
        self.ops = list(ops)
        self.example = example

    def __eq__(self, other: object) -> bool:
        return order_problem(self.ops, other) is None

    def __hash__(self) -> int:
        return hash(tuple(self.example))

    def __repr__(self) -> str:
        return f"a linearization, such as {self.example!r}"


def _linearizable(ops: Sequence[Row]) -> bool:
    return bool(check_linearizable(history_from_intervals(list(ops)), Register()).ok)


def _some_order(ops: Sequence[Row]) -> list[int] | None:
    for order in itertools.permutations(range(len(ops))):
        if order_problem(ops, list(order)) is None:
            return list(order)
    return None


_CASES: dict[str, list[Row]] = {
    "two writes, two reads": [
        ("c1", "write", 1, None, 0, 2),
        ("c2", "read", None, 1, 1, 3),
        ("c3", "write", 2, None, 4, 6),
        ("c2", "read", None, 2, 5, 7),
    ],
    "a stale read": [("c1", "write", 1, None, 0, 1), ("c2", "read", None, None, 2, 3)],
    "a read overlapping a write": [
        ("c1", "write", 1, None, 0, 4),
        ("c2", "read", None, None, 1, 2),
        ("c3", "read", None, 1, 3, 5),
    ],
    "new then old": [
        ("c1", "write", 1, None, 0, 10),
        ("c2", "read", None, 1, 1, 2),
        ("c3", "read", None, None, 3, 4),
    ],
    "two overlapping writes, read back and forth": [
        ("c1", "write", 1, None, 0, 5),
        ("c2", "write", 2, None, 0, 5),
        ("c3", "read", None, 2, 6, 7),
        ("c3", "read", None, 1, 8, 9),
    ],
    "a value nobody wrote": [("c1", "write", 1, None, 0, 1), ("c2", "read", None, 7, 2, 3)],
    "no operations": [],
}


def _lin_call(args: tuple[Any, ...]) -> str:
    return f"linearize({args[0]!r})"


def _lin_examples() -> list[Example]:
    out = []
    for ops in _CASES.values():
        order = _some_order(ops)
        out.append(Example((list(ops),), None if order is None else Linearization(ops, order)))
    return out


def _by_start(ops: Sequence[Row]) -> list[int]:
    return sorted(range(len(ops)), key=lambda i: (ops[i][4], i))


_LIN_MISTAKES = (
    Mistake(
        "invocation order",
        lambda f: all(
            f(list(_CASES[name])) == _by_start(_CASES[name])
            for name in ("a stale read", "a read overlapping a write")
        ),
        "You returned the operations in the order they were invoked, without checking that "
        "this order explains the results. Overlapping operations may take effect in either "
        "order, so try the orders (for a few operations, itertools.permutations will do) and "
        "return None when none explains every read.",
    ),
    Mistake(
        "ignores real time",
        lambda f: (
            f(list(_CASES["a stale read"])) == [1, 0]
            and f(list(_CASES["new then old"])) is not None
        ),
        "Your order puts an operation before one that had already completed when it was "
        "invoked. Real time counts: if operation i ended before operation j began, i comes "
        "first in every linearization (ops[i][5] <= ops[j][4]).",
    ),
)


def _lin_diagnose(m: Mismatch) -> str | None:
    (ops,) = m.example.args
    if m.problem != "wrong":
        return None
    got, expected = m.got, m.example.expected
    if got is not None and not isinstance(got, list):
        return "Return a list of indices into ops (such as [1, 0, 2]), or None."
    if expected is None and got is not None:
        return f"No order explains this history, but yours was accepted: {order_problem(ops, got)}."
    if got is None:
        return (
            "This history is linearizable: some order of the operations keeps real time and "
            "explains every read. Did you try every order, including those that swap "
            "overlapping operations?"
        )
    return f"Your order is not a linearization: {order_problem(ops, got)}."


@st.composite
def _histories(draw: Any) -> list[Row]:
    n = draw(st.integers(0, 5))
    ops: list[Row] = []
    for i in range(n):
        start = draw(st.integers(0, 8))
        end = start + draw(st.integers(1, 4))
        process = f"c{i + 1}"
        if draw(st.booleans()):
            ops.append((process, "write", i + 1, None, start, end))
        else:
            value = draw(st.sampled_from([None, *range(1, n + 1)]))
            ops.append((process, "read", None, value, start, end))
    return ops


def _check_linearize(answer: Any, ops: list[Row]) -> Failure | None:
    got = call_answer(answer, list(ops))
    exists = _linearizable(ops)
    if got is None:
        if not exists:
            return None
        return Failure(
            f"linearize({ops!r}) returned None, but {_some_order(ops)!r} is a linearization",
            "Try every order of the operations; overlapping operations may take effect in "
            "either order.",
        )
    problem = order_problem(ops, got)
    if problem is None:
        return None
    hint = (
        "No order explains this history: return None."
        if not exists
        else "Check each order against real time and the register's results before you return it."
    )
    return Failure(f"linearize({ops!r}) returned {got!r}: {problem}", hint)


LIN_STATEMENT = """\
Write linearize(ops): a linearization of a small history of a register, or None if it has
none.

- ops is a list of operations (process, f, value, result, start, end): f is "write" (value
  is what it writes, result None) or "read" (value None, result what it returned); start and
  end are when it was invoked and when it completed. Every operation completed.
- The register starts at None.
- A linearization is an order of all the operations (a list of their indices into ops) such
  that: an operation that ended before another began (end <= the other's start) comes
  before it (real time); and
  performing the operations one at a time in that order, each read returns the value of the
  latest write before it (None if there is none).
- Return any linearization, or None if there is none. The histories are small (at most 5
  operations here): trying orders is fine. Do not change ops.

The check runs examples, then a hypothesis property on random histories of up to five
operations: every order you return is validated, and None must mean that none exists
(decided by check_linearizable)."""

LINEARIZE = add_exercise(
    id="ch11.linearize",
    answered_by=(),
    title="Find a linearization",
    statement=LIN_STATEMENT,
    answer=FunctionAnswer("linearize", ("ops",)),
    stages=(
        Examples(
            "examples",
            _lin_examples,
            call_text=_lin_call,
            diagnose=_lin_diagnose,
            mistakes=_LIN_MISTAKES,
            default_hint="For each order of the indices, check real time and replay the reads.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "valid orders, and None only when none exists",
                    _histories(),
                    _check_linearize,
                    lambda ops: f"ops={ops!r}",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "itertools.permutations(range(len(ops))) gives every order.",
        "Real time: if ops[i][5] <= ops[j][4], i must come before j.",
    ),
)


# == the session guarantees ======================================================================
def _rank(version_order: Sequence[Any]) -> dict[Any, int]:
    rank = {None: -1}
    rank.update({v: k for k, v in enumerate(version_order)})
    return rank


def _known(values: Sequence[Any], version_order: Sequence[Any]) -> None:
    rank = _rank(version_order)
    unknown = [v for v in values if v not in rank]
    if unknown:
        raise ValueError(f"{unknown[0]!r} is not in the version order")


def monotonic_reads_reference(reads: Sequence[Any], version_order: Sequence[Any]) -> int | None:
    """The index of the first read older than an earlier read of the session, or None.

    >>> monotonic_reads_reference([1, 3, 2], [1, 2, 3])
    2
    >>> monotonic_reads_reference([5, 3], [5, 3]) is None
    True
    """
    _known(reads, version_order)
    rank, newest = _rank(version_order), -1
    for i, value in enumerate(reads):
        if rank[value] < newest:
            return i
        newest = max(newest, rank[value])
    return None


def read_your_writes_reference(
    session: Sequence[tuple[str, Any]], version_order: Sequence[Any]
) -> int | None:
    """The index of the first read older than the session's latest write before it, or None.

    >>> read_your_writes_reference([("write", 1), ("write", 2), ("read", 1)], [1, 2])
    2
    >>> read_your_writes_reference([("write", 1), ("read", 2)], [1, 2]) is None
    True
    """
    _known([v for _, v in session], version_order)
    rank, own = _rank(version_order), -1
    for i, (f, value) in enumerate(session):
        if f == "write":
            own = rank[value]
        elif rank[value] < own:
            return i
    return None


def _mr_call(args: tuple[Any, ...]) -> str:
    return f"monotonic_reads({args[0]!r}, {args[1]!r})"


def _mr_examples() -> list[Example]:
    cases: list[tuple[list[Any], list[Any]]] = [
        ([1, 2, 3], [1, 2, 3]),
        ([1, 3, 2], [1, 2, 3]),
        ([2, 2, 2], [1, 2]),
        ([5, 3], [5, 3]),
        ([3, 5], [5, 3]),
        ([1, None], [1]),
        ([None, None, 1], [1]),
        ([], [1]),
        ([3, 1, 2], [1, 2, 3]),
    ]
    out = [Example((r, v), monotonic_reads_reference(r, v)) for r, v in cases]
    out.append(Example(([1, 9], [1, 2]), Raises(ValueError)))
    return out


_MR_MISTAKES = (
    Mistake(
        "compares the values",
        lambda f: f([5, 3], [5, 3]) == 1 and f([3, 5], [5, 3]) is None,
        "You compared the values themselves. Older means earlier in the store's version "
        "order: compare positions in version_order (None, the initial value, is older than "
        "every write), not the values.",
    ),
    Mistake(
        "reading the same value again",
        lambda f: f([2, 2, 2], [1, 2]) == 1,
        "Reading the same version again is fine: only a strictly older version breaks "
        "monotonic reads (compare with <, not <=).",
    ),
    Mistake(
        "forgets the initial value",
        lambda f: f([1, None], [1]) is None or isinstance(f([1, None], [1]), Raised),
        "None, the register's initial value, is the oldest version of all: a read of None "
        "after a read of a written value goes back in time.",
    ),
)


def _mr_diagnose(m: Mismatch) -> str | None:
    if m.problem == "no-raise":
        return (
            "A value that is not in version_order (nor None) was never written: raise ValueError."
        )
    if m.problem == "wrong" and m.got is not None and not isinstance(m.got, int):
        return "Return the index of the first read that goes back in time (an int), or None."
    return None


_VALUES = st.lists(st.integers(1, 4), unique=True, min_size=1, max_size=4)


@st.composite
def _mr_case(draw: Any) -> tuple[list[Any], list[Any]]:
    order = draw(st.permutations(draw(_VALUES)))
    reads = draw(st.lists(st.sampled_from([None, *order]), max_size=6))
    return reads, list(order)


def _check_mr(answer: Any, case: tuple[list[Any], list[Any]]) -> Failure | None:
    reads, order = case
    got = call_answer(answer, list(reads), list(order))
    want = monotonic_reads_reference(reads, order)
    if got == want and type(got) is type(want):
        return None
    return Failure(
        f"monotonic_reads({reads!r}, {order!r}) returned {got!r}; expected {want!r}",
        "Keep the newest version read so far (its position in version_order); the first "
        "read of an older position is the answer.",
    )


MR_STATEMENT = """\
Write monotonic_reads(reads, version_order): the first read of a session that goes back in
time, or None.

- reads is the list of values one client read from one key, in the order it read them;
  None is the key's initial value.
- version_order is the list of the values written to the key, in the order the store
  applied them (oldest first). Every write wrote a different value. None, the initial
  value, is older than all of them.
- Monotonic reads (Terry et al. 1994): once a client has read a version, it never reads an
  older one. Return the index in reads of the first read that returns a version older than
  one the client read before it, or None if there is none.
- If a read returned a value that is neither None nor in version_order, raise ValueError
  (nobody wrote it). Do not change the arguments.

The check runs examples, then a hypothesis property on random sessions."""

MONOTONIC_READS = add_exercise(
    id="ch11.monotonic_reads",
    answered_by=(),
    title="Monotonic reads",
    statement=MR_STATEMENT,
    answer=FunctionAnswer("monotonic_reads", ("reads", "version_order")),
    stages=(
        Examples(
            "examples",
            _mr_examples,
            call_text=_mr_call,
            diagnose=_mr_diagnose,
            mistakes=_MR_MISTAKES,
            default_hint="Walk the reads, keeping the newest position in version_order seen.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _mr_case(),
                    _check_mr,
                    lambda c: f"reads={c[0]!r}, version_order={c[1]!r}",
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "rank = {v: k for k, v in enumerate(version_order)}, with None at -1.",
        "Only a strictly smaller rank than the largest seen so far is a violation.",
    ),
)


def _ryw_call(args: tuple[Any, ...]) -> str:
    return f"read_your_writes({args[0]!r}, {args[1]!r})"


def _ryw_examples() -> list[Example]:
    cases: list[tuple[list[tuple[str, Any]], list[Any]]] = [
        ([("write", 1), ("read", 1)], [1]),
        ([("write", 1), ("read", None)], [1]),
        ([("write", 1), ("read", 2)], [1, 2]),
        ([("write", 2), ("read", 1)], [1, 2]),
        ([("write", 5), ("read", 3)], [5, 3]),
        ([("write", 3), ("read", 5)], [5, 3]),
        ([("write", 1), ("write", 2), ("read", 1)], [1, 2]),
        ([("read", None), ("write", 1), ("read", 1), ("read", 2)], [1, 2]),
        ([], [1]),
    ]
    out = [Example((s, v), read_your_writes_reference(s, v)) for s, v in cases]
    out.append(Example(([("write", 1), ("read", 9)], [1]), Raises(ValueError)))
    return out


_RYW_MISTAKES = (
    Mistake(
        "demands the session's own value",
        lambda f: f([("write", 1), ("read", 2)], [1, 2]) == 1,
        "A read may return a NEWER version than the session's own write (another client "
        "wrote after it): that keeps read your writes. Only an older version than the "
        "session's latest write breaks it.",
    ),
    Mistake(
        "compares the values",
        lambda f: (
            f([("write", 5), ("read", 3)], [5, 3]) == 1
            and f([("write", 3), ("read", 5)], [5, 3]) is None
        ),
        "You compared the values themselves. Older means earlier in the store's version "
        "order: compare positions in version_order, not the values.",
    ),
    Mistake(
        "the first write, not the latest",
        lambda f: f([("write", 1), ("write", 2), ("read", 1)], [1, 2]) is None,
        "After writing 1 and then 2, a read of 1 misses the session's latest write: compare "
        "each read with the LATEST write of the session before it.",
    ),
)


@st.composite
def _ryw_case(draw: Any) -> tuple[list[tuple[str, Any]], list[Any]]:
    order = list(draw(st.permutations(draw(_VALUES))))
    unwritten = list(order)
    session: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 6))):
        if unwritten and draw(st.booleans()):
            session.append(("write", unwritten.pop(draw(st.integers(0, len(unwritten) - 1)))))
        else:
            session.append(("read", draw(st.sampled_from([None, *order]))))
    return session, order


def _check_ryw(answer: Any, case: tuple[list[tuple[str, Any]], list[Any]]) -> Failure | None:
    session, order = case
    got = call_answer(answer, list(session), list(order))
    want = read_your_writes_reference(session, order)
    if got == want and type(got) is type(want):
        return None
    return Failure(
        f"read_your_writes({session!r}, {order!r}) returned {got!r}; expected {want!r}",
        "Keep the position of the session's latest write; the first read of an older "
        "position is the answer.",
    )


RYW_STATEMENT = """\
Write read_your_writes(session, version_order): the first read of a session that misses the
session's own latest write, or None.

- session is the list of one client's operations on one key, in order: ("write", value) or
  ("read", value), where value is what the write wrote or what the read returned; None is
  the key's initial value.
- version_order is the list of the values written to the key (by every client), in the
  order the store applied them, oldest first; every write wrote a different value, and
  None is older than all of them.
- Read your writes (Terry et al. 1994): a read returns the client's latest write before it,
  or a newer version. Return the index in session of the first read that returns a version
  older than the session's latest write before it, or None if there is none.
- If a read returned a value that is neither None nor in version_order, raise ValueError.
  Do not change the arguments.

The check runs examples, then a hypothesis property on random sessions."""

READ_YOUR_WRITES = add_exercise(
    id="ch11.read_your_writes",
    answered_by=(),
    title="Read your writes",
    statement=RYW_STATEMENT,
    answer=FunctionAnswer("read_your_writes", ("session", "version_order")),
    stages=(
        Examples(
            "examples",
            _ryw_examples,
            call_text=_ryw_call,
            diagnose=_mr_diagnose,
            mistakes=_RYW_MISTAKES,
            default_hint="Walk the session, keeping the position of the latest write.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _ryw_case(),
                    _check_ryw,
                    lambda c: f"session={c[0]!r}, version_order={c[1]!r}",
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "rank = {v: k for k, v in enumerate(version_order)}, with None at -1.",
        "A read is fine when its rank is at least the rank of the session's latest write.",
    ),
)
