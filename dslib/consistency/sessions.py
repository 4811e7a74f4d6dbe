"""Session guarantees: what one client is promised about its own view.

Terry et al. (1994) defined four guarantees for a client's *session* (here: a
process of the history) against a weakly consistent store:

- **read your writes**: a read sees the session's own earlier writes (it
  returns that value or a newer one);
- **monotonic reads**: a read never returns something older than what an
  earlier read of the session returned;
- **monotonic writes**: the session's writes take effect in the order issued;
- **writes follow reads**: a write is ordered after the writes the session
  had read before it.

"Older" needs an order of the writes of each key, the *version order*. A
client does not see it; this module takes it from ``version_order`` when you
have it (the primary's log, the final state of a replica). Without it, the
question Terry et al. (1994, section 3) ask is whether the store *could* have
had one order of all writes, consistent with real time (a write that
completed before another began is older; the initial value is older than
every write), under which the guarantees hold. Each guarantee asks of each
pair of operations of a session that one write be no newer than another ("the
write I read is no older than the one I wrote before"), so such an order
exists exactly when these requirements and real time form no cycle. The
checker adds them one by one to a graph per key and reports each requirement
that would close a cycle, with the chain of requirements it contradicts: a
violation may show up only when pairs combine, each pair on its own being
possible.

Each guarantee is first checked on its own; if they hold one by one but no
single order satisfies them all, the history violates their combination,
reported under a name such as ``"read-your-writes + monotonic-reads"``.
Monotonic writes cannot fail without a version order (a session's writes do
not overlap, so real time orders them); the others can.

The checks need every written value to be unique per key (then a read's value
names the write it saw). Reads and writes are ``read``/``write`` (a register)
or ``get``/``put`` (a map, per key).

Examples
--------
>>> from dslib.consistency import history_from_intervals
>>> h = history_from_intervals([
...     ("c1", "write", 1, None, 0, 1),
...     ("c1", "write", 2, None, 2, 3),
...     ("c1", "read", None, 1, 4, 5),
... ])
>>> r = check_sessions(h)
>>> r
SessionResult(violated: read-your-writes (1))
>>> print(r.violations[0])  # doctest: +NORMALIZE_WHITESPACE
read-your-writes: c1 wrote 2 (write(2) at [2, 3]) but then read 1
(read() -> 1 at [4, 5]), which is older in every possible order: 1 is older
than 2 (write(1) at [0, 1] ended before write(2) at [2, 3] began)

No single pair need be wrong. Here ``c`` reads ``a``, ``b``, ``a``: with
the concurrent writes in either order, one of its reads goes back in time:

>>> h = history_from_intervals([
...     ("p1", "write", "a", None, 0, 10), ("p2", "write", "b", None, 0, 10),
...     ("c", "read", None, "a", 1, 2), ("c", "read", None, "b", 3, 4),
...     ("c", "read", None, "a", 5, 6),
... ])
>>> print(check_sessions(h, ["monotonic-reads"]).violations[0])  # doctest: +NORMALIZE_WHITESPACE
monotonic-reads: c read 'b' (read() -> 'b' at [3, 4]) and later 'a'
(read() -> 'a' at [5, 6]), which is older in every possible order: 'a' is
no newer than 'b', as c read 'a' (read() -> 'a' at [1, 2]) and later 'b'
(read() -> 'b' at [3, 4]) (monotonic-reads)
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency.histories import TimedOperation, describe, timeline
from dslib.core import stable_repr
from dslib.sim.history import History, Operation

__all__ = [
    "GUARANTEES",
    "SessionResult",
    "SessionViolation",
    "check_sessions",
    "sessions_by_enumeration",
]

GUARANTEES = ("read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads")
"""The four session guarantees, by name."""

_READS = ("read", "get")
_WRITES = ("write", "put")


class _Initial:
    def __repr__(self) -> str:
        return "INITIAL"


_INITIAL = _Initial()


@dataclass(frozen=True)
class SessionViolation:
    """One broken guarantee: ``process`` did ``first`` and then ``second``, which breaks it.

    Examples
    --------
    >>> from dslib.consistency import history_from_intervals
    >>> h = history_from_intervals([("c", "write", 1, None, 0, 1), ("c", "read", None, None, 2, 3)])
    >>> v = check_sessions(h).violations[0]
    >>> v.guarantee, v.first.f, v.second.f
    ('read-your-writes', 'write', 'read')
    """

    guarantee: str
    process: Hashable
    first: Operation
    second: Operation
    message: str

    def __str__(self) -> str:
        return f"{self.guarantee}: {self.message}"


@dataclass(frozen=True)
class SessionResult:
    """What ``check_sessions`` found.

    Attributes
    ----------
    guarantees : tuple of str
        The guarantees checked.
    violations : tuple of SessionViolation
        Every violation, by guarantee, then process, then time.
    unexplained : tuple of Operation
        Reads that returned a value no write wrote (and not the initial
        value): the checks cannot place them, and they are a bug of their own.
    """

    guarantees: tuple[str, ...]
    violations: tuple[SessionViolation, ...] = ()
    unexplained: tuple[Operation, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every guarantee holds and every read is explained."""
        return not self.violations and not self.unexplained

    def holds(self, guarantee: str) -> bool:
        """Whether ``guarantee`` held (it must be one of those checked).

        Examples
        --------
        >>> SessionResult(("monotonic-reads",)).holds("monotonic-reads")
        True
        """
        if guarantee not in self.guarantees:
            raise ValueError(
                f"holds: {guarantee!r} was not checked; checked: {', '.join(self.guarantees)}"
            )
        return not any(v.guarantee == guarantee for v in self.violations)

    def table(self) -> list[tuple[str, str, int]]:
        """One row per guarantee: (name, "holds" or "violated", number of violations).

        Then one row per combination of guarantees that failed together only. These plain
        tuples are what ``repr`` and ``explain`` print; ``to_frame`` gives them as a
        DataFrame.
        """
        names = list(self.guarantees)
        names += sorted({v.guarantee for v in self.violations} - set(names))
        rows = []
        for g in names:
            n = sum(1 for v in self.violations if v.guarantee == g)
            rows.append((g, "violated" if n else "holds", n))
        return rows

    def to_frame(self) -> Any:
        """The rows of ``table`` as a pandas DataFrame indexed by guarantee.

        Examples
        --------
        >>> from dslib.consistency import history_from_intervals
        >>> h = history_from_intervals([
        ...     ("w", "write", 1, None, 0, 1), ("c", "read", None, 1, 2, 3),
        ...     ("c", "read", None, None, 4, 5),
        ... ])
        >>> frame = check_sessions(h, ["monotonic-reads", "read-your-writes"]).to_frame()
        >>> frame["status"].to_dict()
        {'monotonic-reads': 'violated', 'read-your-writes': 'holds'}
        >>> frame["violations"].to_dict()
        {'monotonic-reads': 1, 'read-your-writes': 0}
        """
        import pandas as pd

        frame = pd.DataFrame(self.table(), columns=["guarantee", "status", "violations"])
        return frame.set_index("guarantee")

    def __repr__(self) -> str:
        if self.ok:
            return f"SessionResult(ok: {', '.join(self.guarantees)} hold)"
        parts = [f"{g} ({n})" for g, status, n in self.table() if status == "violated"]
        if self.unexplained:
            parts.append(f"{len(self.unexplained)} unexplained reads")
        return f"SessionResult(violated: {', '.join(parts)})"

    def explain(self, max_violations: int = 10) -> str:
        """The table and the first ``max_violations`` violations, one per line."""
        lines = [f"  {g:<20} {status}" + (f" ({n})" if n else "") for g, status, n in self.table()]
        for v in self.violations[:max_violations]:
            lines.append(str(v))
        if len(self.violations) > max_violations:
            lines.append(f"... ({len(self.violations) - max_violations} more)")
        for op in self.unexplained:
            lines.append(f"unexplained: {op.process} {describe(op)} returned a value nobody wrote")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


def _span(op: Operation) -> str:
    def t(x: float) -> str:
        return "inf" if math.isinf(x) else f"{x:g}"

    return f"[{t(op.invoke_time)}, {t(op.complete_time)}]"


def _value_text(write: Any, initial: Any) -> str:
    return f"the initial value {initial!r}" if write is _INITIAL else repr(write.op.value)


def check_sessions(
    history: History,
    guarantees: Iterable[str] = GUARANTEES,
    *,
    version_order: Mapping[Hashable, Sequence[Any]] | Sequence[Any] | None = None,
    initial: Any = None,
) -> SessionResult:
    """Check the session guarantees of each process of a register or key-value history.

    Parameters
    ----------
    history : History
        Operations ``read``/``write`` or ``get``/``put`` (per key), with every
        written value unique per key.
    guarantees : iterable of str, default all four
        Any of ``GUARANTEES``.
    version_order : sequence or mapping, optional
        The order in which the store applied the writes, oldest first: a
        sequence of values (a register), or a mapping key -> sequence (a
        map). Without it, the guarantees hold if *some* order of the writes
        that respects real time satisfies them (see the module docstring).
    initial : any, default None
        The value a read returns before any write.

    Returns
    -------
    SessionResult
        Without ``version_order``, a violation of one guarantee means that no
        order of the writes satisfies it; a violation named ``"a + b"``
        means that each of ``a`` and ``b`` holds on its own but no one order
        satisfies both (``holds`` is then ``True`` for each, ``ok`` is
        ``False``).

    Raises
    ------
    TypeError
        If ``history`` is not a ``History``.
    ValueError
        For an unknown guarantee, an operation other than read/write/get/put,
        or a value written twice to one key.

    Notes
    -----
    Without ``version_order``, each requirement costs a search of the
    requirements kept so far for its key, limited to the writes that overlap
    it or come before it: linear in the writes of the key at worst, and
    nearly constant when writes rarely overlap. ``sessions_by_enumeration``
    decides the same question by trying every order of the writes.

    References
    ----------
    .. [1] D. Terry, A. Demers, K. Petersen, M. Spreitzer, M. Theimer and
       B. Welch, "Session guarantees for weakly consistent replicated data",
       PDIS 1994, sections 3-4.
    .. [2] P. Viotti and M. Vukolić, "Consistency in non-transactional
       distributed storage systems", ACM Computing Surveys 49(1), 2016,
       section 3.2 (session guarantees).

    Examples
    --------
    A read that goes back in time (monotonic reads), given the store's order:

    >>> from dslib.consistency import history_from_intervals
    >>> h = history_from_intervals([
    ...     ("w1", "write", 1, None, 0, 1), ("w2", "write", 2, None, 2, 3),
    ...     ("c", "read", None, 2, 4, 5), ("c", "read", None, 1, 6, 7),
    ... ])
    >>> check_sessions(h, ["monotonic-reads"])
    SessionResult(violated: monotonic-reads (1))
    >>> check_sessions(h, ["monotonic-reads"], version_order=[2, 1])
    SessionResult(ok: monotonic-reads hold)
    """
    if not isinstance(history, History):
        raise TypeError(f"check_sessions: expected a dslib History, got {type(history).__name__}")
    if isinstance(guarantees, str):
        guarantees = [guarantees]
    chosen = tuple(guarantees)
    for g in chosen:
        if g not in GUARANTEES:
            raise ValueError(
                f"check_sessions: unknown guarantee {g!r}; allowed: {', '.join(GUARANTEES)}"
            )
    ranks = _ranks(version_order)
    timed = [t for t in timeline(history) if t.op.status != "fail"]
    writers: dict[tuple[Hashable, Any], TimedOperation] = {}
    for t in timed:
        op = t.op
        if op.f not in _READS + _WRITES:
            raise ValueError(
                f"check_sessions: {op} is a {op.f!r}; session guarantees are checked for "
                f"{', '.join(_READS + _WRITES)} operations"
            )
        if op.f in _WRITES:
            try:
                k = (op.key, op.value)
                hash(k)
            except TypeError:
                raise ValueError(f"check_sessions: {op} writes an unhashable value") from None
            if k in writers:
                raise ValueError(
                    f"check_sessions: the value {op.value!r} is written twice "
                    f"({writers[k].op} and {op}); session checks need unique written values"
                )
            writers[k] = t

    def observed(t: TimedOperation) -> Any:
        """The write a read saw, or _INITIAL, or None (nobody wrote it)."""
        w = writers.get((t.op.key, t.op.result))
        if w is not None:
            return w
        return _INITIAL if t.op.result == initial else None

    if ranks is not None:
        _require_ranked(writers, ranks, timed, observed)
    sessions: dict[Hashable, list[TimedOperation]] = {}
    for t in timed:
        sessions.setdefault(t.op.process, []).append(t)
    unexplained: list[Operation] = []
    needs: list[_Need] = []
    for process in sorted(sessions, key=stable_repr):
        needs += _needs(process, sessions[process], observed, unexplained, every=ranks is not None)
    if ranks is not None:
        violations = _with_order(needs, chosen, ranks, initial)
    else:
        by_key: dict[Hashable, list[TimedOperation]] = {}
        for (key, _), w in writers.items():
            by_key.setdefault(key, []).append(w)
        violations = []
        accepted: list[_Need] = []
        for g in chosen:
            found, kept = _without_order([n for n in needs if n.guarantee == g], by_key, initial)
            violations += found
            accepted += kept
        if len(chosen) > 1:
            kept_ids = {id(n) for n in accepted}
            together = [n for n in needs if id(n) in kept_ids]
            violations += _without_order(together, by_key, initial)[0]
    rank = {g: i for i, g in enumerate(chosen)}
    violations.sort(
        key=lambda v: (rank.get(v.guarantee, len(chosen)), stable_repr(v.process), v.second.index)
    )
    return SessionResult(chosen, tuple(violations), tuple(unexplained))


@dataclass(frozen=True)
class _Need:
    """A guarantee asks that write ``old`` be no newer than write ``new`` (``first`` then
    ``second`` of ``process``'s session)."""

    guarantee: str
    process: Hashable
    first: TimedOperation
    second: TimedOperation
    old: Any  # a TimedOperation (a write) or _INITIAL
    new: Any

    def text(self, initial: Any) -> str:
        """What the session did, as the guarantee's violation message begins."""
        p, a, b = self.process, self.first.op, self.second.op
        if self.guarantee == "read-your-writes":
            return (
                f"{p} wrote {a.value!r} ({describe(a)} at {_span(a)}) but then read "
                f"{_value_text(self.new, initial)} ({describe(b)} at {_span(b)})"
            )
        if self.guarantee == "monotonic-reads":
            return (
                f"{p} read {_value_text(self.old, initial)} ({describe(a)} at {_span(a)}) and "
                f"later {_value_text(self.new, initial)} ({describe(b)} at {_span(b)})"
            )
        if self.guarantee == "monotonic-writes":
            return f"{p} wrote {a.value!r} ({_span(a)}) and then {b.value!r} ({_span(b)})"
        return (
            f"{p} read {_value_text(self.old, initial)} ({_span(a)}) and then wrote "
            f"{b.value!r} ({_span(b)})"
        )

    def violation(self, message: str) -> SessionViolation:
        first, second = self.first.op, self.second.op
        return SessionViolation(self.guarantee, self.process, first, second, message)


def _needs(
    process: Hashable,
    session: list[TimedOperation],
    observed: Any,
    unexplained: list[Operation],
    every: bool,
) -> list[_Need]:
    """What the four guarantees ask of the order of the writes, for one session.

    With ``every``, one requirement per pair of operations (a given order is
    checked pair by pair). Otherwise only those that the others and real time
    do not imply: a session's ``ok`` operations do not overlap, so its own
    writes are ordered by real time, and "no newer than" is transitive. A read
    then needs its session's last write and last read of the key; a write,
    its last write and the reads since.
    """
    out: list[_Need] = []
    reads: dict[Hashable, list[tuple[TimedOperation, Any]]] = {}
    since: dict[Hashable, list[tuple[TimedOperation, Any]]] = {}  # reads since the last write
    writes: dict[Hashable, list[TimedOperation]] = {}
    for t in session:
        op = t.op
        if op.status != "ok":
            continue
        mine = writes.get(op.key, [])
        seen = reads.get(op.key, [])
        if op.f in _READS:
            w = observed(t)
            if w is None:
                unexplained.append(op)
                continue
            for x in mine if every else mine[-1:]:
                out.append(_Need("read-your-writes", process, x, t, x, w))
            for r, w0 in seen if every else seen[-1:]:
                out.append(_Need("monotonic-reads", process, r, t, w0, w))
            reads.setdefault(op.key, []).append((t, w))
            since.setdefault(op.key, []).append((t, w))
        else:
            for x in mine if every else mine[-1:]:
                out.append(_Need("monotonic-writes", process, x, t, x, t))
            for r, w0 in seen if every else since.pop(op.key, []):
                out.append(_Need("writes-follow-reads", process, r, t, w0, t))
            writes.setdefault(op.key, []).append(t)
    return out


_SAW_ITS_OWN_WRITE = ", the very write it had read: no order puts a write after itself"


def _with_order(
    needs: list[_Need],
    chosen: tuple[str, ...],
    ranks: dict[tuple[Hashable, Any], int],
    initial: Any,
) -> list[SessionViolation]:
    """The requirements the given version order breaks (one per operation and guarantee)."""

    def rank(w: Any) -> int | None:
        return -1 if w is _INITIAL else ranks.get((w.op.key, w.op.value))

    out = []
    reported: set[tuple[str, int]] = set()
    for n in needs:
        if n.guarantee not in chosen or (n.guarantee, n.second.op.index) in reported:
            continue
        old, new = rank(n.old), rank(n.new)
        if n.old is n.new and n.guarantee == "writes-follow-reads":
            reported.add((n.guarantee, n.second.op.index))
            out.append(n.violation(n.text(initial) + _SAW_ITS_OWN_WRITE))
        elif n.old is not n.new and old is not None and new is not None and new < old:
            reported.add((n.guarantee, n.second.op.index))
            if n.guarantee in ("monotonic-writes", "writes-follow-reads"):
                tail = f", but the store ordered {n.second.op.value!r} first"
            else:
                tail = ", which is older"
            out.append(n.violation(n.text(initial) + tail))
    return out


_Step = tuple[Any, Any, "_Need | str"]  # (older, newer, why)


class _Order:
    """The requirements on the order of one key's writes so far, with real time.

    ``path(a, b)`` finds a chain of requirements that makes ``a`` no newer
    than ``b``. Real-time edges are not stored: a write precedes every write
    invoked after it completed, a suffix of the writes sorted by invocation,
    so a search scans each write once.
    """

    def __init__(self, writes: list[TimedOperation]) -> None:
        self.writes = sorted(writes, key=lambda t: t.invoke)
        self.invokes = [t.invoke for t in self.writes]
        self.edges: dict[int, list[tuple[Any, _Need]]] = {}

    def add(self, need: _Need) -> None:
        self.edges.setdefault(_node(need.old), []).append((need.new, need))

    def path(self, a: Any, b: Any) -> list[_Step] | None:
        """A chain of requirements from ``a`` to ``b`` (``a`` is not ``b``), or None.

        The requirements kept form no cycle with real time, so a write that
        reaches ``b`` was invoked before ``b`` completed (else ``b`` would
        precede it in real time): the search looks at no other write.
        """
        if a is _INITIAL:
            return [(a, b, "initial")]
        if b is _INITIAL or b.complete < a.invoke:
            return None
        if a.complete < b.invoke:
            return [(a, b, "real time")]
        parent: dict[int, tuple[Any, Any, _Need | str]] = {_node(a): (None, a, "")}
        stack = [a]
        frontier = bisect.bisect_right(self.invokes, b.complete)
        while stack:
            x = stack.pop()
            if x is b:
                steps: list[_Step] = []
                while x is not a:
                    prev, _, why = parent[_node(x)]
                    steps.append((prev, x, why))
                    x = prev
                return steps[::-1]
            nexts: list[tuple[Any, _Need | str]] = list(self.edges.get(_node(x), []))
            lo = bisect.bisect_right(self.invokes, x.complete)
            nexts += [(y, "real time") for y in self.writes[lo:frontier]]
            frontier = min(frontier, lo)
            for y, why in nexts:
                if y.invoke <= b.complete and _node(y) not in parent:
                    parent[_node(y)] = (x, y, why)
                    stack.append(y)
        return None


def _node(w: Any) -> int:
    return -1 if w is _INITIAL else int(w.op.index)


def _without_order(
    needs: list[_Need], by_key: dict[Hashable, list[TimedOperation]], initial: Any
) -> tuple[list[SessionViolation], list[_Need]]:
    """The requirements that no order of the writes can meet together with the earlier ones.

    Adds the requirements one by one; one that would close a cycle (its
    ``new`` is already bound to be older than its ``old``) is a violation,
    explained by that chain, and is left out. Returns the violations and the
    requirements kept: the history admits an order iff no violation is found.
    """
    orders: dict[Hashable, _Order] = {}
    out: list[SessionViolation] = []
    kept: list[_Need] = []
    for n in needs:
        if n.old is n.new:
            if n.guarantee == "writes-follow-reads":
                out.append(n.violation(n.text(initial) + _SAW_ITS_OWN_WRITE))
            continue
        key = n.second.op.key
        order = orders.get(key)
        if order is None:
            order = orders[key] = _Order(by_key.get(key, []))
        chain = order.path(n.new, n.old)
        if chain is None:
            if n.old is _INITIAL or n.old.complete >= n.new.invoke:  # else real time implies it
                order.add(n)
            kept.append(n)
            continue
        involved = {n.guarantee} | {why.guarantee for _, _, why in chain if isinstance(why, _Need)}
        because = "; ".join(_why(older, newer, why, initial) for older, newer, why in chain)
        message = f"{n.text(initial)}, which is older in every possible order: {because}"
        v = n.violation(message)
        if len(involved) > 1:
            v = replace(v, guarantee=" + ".join(g for g in GUARANTEES if g in involved))
        out.append(v)
    return out, kept


def _why(older: Any, newer: Any, why: _Need | str, initial: Any) -> str:
    a, b = _value_text(older, initial), _value_text(newer, initial)
    if why == "initial":
        return f"{a} is older than every write"
    if why == "real time":
        return (
            f"{a} is older than {b} ({describe(older.op)} at {_span(older.op)} ended before "
            f"{describe(newer.op)} at {_span(newer.op)} began)"
        )
    assert isinstance(why, _Need)
    return f"{a} is no newer than {b}, as {why.text(initial)} ({why.guarantee})"


def _require_ranked(
    writers: dict[tuple[Hashable, Any], TimedOperation],
    ranks: dict[tuple[Hashable, Any], int],
    timed: list[TimedOperation],
    observed: Any,
) -> None:
    """Refuse a version order that leaves out a write the guarantees must place.

    Every ``ok`` write, and every write some read saw, must be in the order: a pair with
    an unranked write could not be checked, and an unchecked pair must not count as ok.
    A write that never completed and was never read may be left out (it may not exist).
    """
    seen = {id(observed(t)) for t in timed if t.op.f in _READS and t.op.status == "ok"}
    missing = [
        w.op
        for key_value, w in writers.items()
        if key_value not in ranks and (w.op.status == "ok" or id(w) in seen)
    ]
    if missing:
        shown = ", ".join(str(op) for op in missing[:3]) + (" ..." if len(missing) > 3 else "")
        raise ValueError(
            f"check_sessions: version_order leaves out {len(missing)} write(s) that completed "
            f"or were read: {shown}; list every such written value (oldest first), or pass "
            "version_order=None to decide over every order of the writes"
        )


def _ranks(
    version_order: Mapping[Hashable, Sequence[Any]] | Sequence[Any] | None,
) -> dict[tuple[Hashable, Any], int] | None:
    if version_order is None:
        return None
    if isinstance(version_order, Mapping):
        items = list(version_order.items())
    elif isinstance(version_order, Sequence) and not isinstance(version_order, str):
        items = [(None, version_order)]
    else:
        raise TypeError(
            "check_sessions: version_order must be a sequence of values (oldest first) or a "
            f"mapping key -> sequence, got {type(version_order).__name__}"
        )
    ranks: dict[tuple[Hashable, Any], int] = {}
    for key, values in items:
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise TypeError(
                f"check_sessions: version_order[{key!r}] must be a sequence of values, "
                f"got {values!r}"
            )
        for i, v in enumerate(values):
            if (key, v) in ranks:
                raise ValueError(f"check_sessions: version_order lists {v!r} twice for key {key!r}")
            ranks[(key, v)] = i
    return ranks


def sessions_by_enumeration(
    history: History,
    guarantees: Iterable[str] = GUARANTEES,
    *,
    initial: Any = None,
    max_writes: int = 7,
) -> bool:
    """Whether some order of all writes satisfies the guarantees, by trying every order.

    The oracle for ``check_sessions`` without a version order, written
    apart from it: each permutation of the writes (of every key) that keeps
    real time is tried, and the guarantees are applied to it as Terry et al.
    define them, pair by pair of each session's operations. Reads of a value
    nobody wrote are ignored (``check_sessions`` lists them as unexplained).

    Parameters
    ----------
    history : History
        As for ``check_sessions``.
    guarantees : iterable of str, default all four
        Any of ``GUARANTEES``; one order must satisfy all of them.
    initial : any, default None
        The value a read returns before any write.
    max_writes : int, default 7
        Refuse histories with more writes than this (``n!`` orders).

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        If the history has more than ``max_writes`` writes, or an unknown
        guarantee is asked for.

    References
    ----------
    .. [1] D. Terry et al., "Session guarantees for weakly consistent
       replicated data", PDIS 1994, section 3.

    Examples
    --------
    >>> from dslib.consistency import history_from_intervals
    >>> h = history_from_intervals([
    ...     ("p", "write", "a", None, 0, 2), ("q", "write", "b", None, 1, 2.5),
    ...     ("p", "read", None, "b", 3, 4), ("q", "read", None, "a", 3, 4)])
    >>> sessions_by_enumeration(h, ["read-your-writes"])
    False
    >>> sessions_by_enumeration(h, ["monotonic-reads"])
    True
    """
    chosen = [guarantees] if isinstance(guarantees, str) else list(guarantees)
    for g in chosen:
        if g not in GUARANTEES:
            raise ValueError(f"sessions_by_enumeration: unknown guarantee {g!r}")
    ops = [t for t in timeline(history) if t.op.status != "fail"]
    writes = [t for t in ops if t.op.f in _WRITES]
    if len(writes) > max_writes:
        raise ValueError(
            f"sessions_by_enumeration: {len(writes)} writes are more than max_writes={max_writes}"
        )
    for perm in itertools.permutations(writes):
        position = {t.op.index: i for i, t in enumerate(perm)}
        if any(
            a.complete < b.invoke and position[a.op.index] > position[b.op.index]
            for a in writes
            for b in writes
        ):
            continue
        if all(
            _pair_keeps(x, y, position, writes, chosen, initial)
            for i, x in enumerate(ops)
            for y in ops[i + 1 :]
            if x.op.process == y.op.process
        ):
            return True
    return False


def _pair_keeps(
    x: TimedOperation,
    y: TimedOperation,
    position: dict[int, int],
    writes: list[TimedOperation],
    chosen: list[str],
    initial: Any,
) -> bool:
    """Whether ``x`` then ``y`` of one session keep the guarantees, writes at ``position``."""

    def saw(read: TimedOperation) -> int | None:
        """The position of the write the read saw (-1: the initial value)."""
        for w in writes:
            if w.op.key == read.op.key and w.op.value == read.op.result:
                return position[w.op.index]
        return -1 if read.op.result == initial else None

    if x.op.key != y.op.key or x.op.status != "ok" or y.op.status != "ok":
        return True
    x_reads, y_reads = x.op.f in _READS, y.op.f in _READS
    sx = saw(x) if x_reads else position[x.op.index]
    sy = saw(y) if y_reads else position[y.op.index]
    if sx is None or sy is None:
        return True
    if not x_reads and y_reads:
        return "read-your-writes" not in chosen or sy >= sx
    if x_reads and y_reads:
        return "monotonic-reads" not in chosen or sy >= sx
    if not x_reads and not y_reads:
        return "monotonic-writes" not in chosen or sy > sx
    return "writes-follow-reads" not in chosen or sy > sx
