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
have it (the primary's log, the final state of a replica) and otherwise
assumes the store orders writes in real time when they do not overlap: a write
that completed before another began is older (true of a primary-based store
and of any linearizable one). The initial value is older than every write. A
store that orders writes otherwise (last-writer-wins with skewed clocks)
should be checked with its own ``version_order``. Under the real-time
assumption monotonic writes and writes follow reads cannot fail (the session
itself orders them in real time); they become informative with an explicit
order.

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
(read() -> 1 at [4, 5]), which is older
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dslib.consistency.histories import TimedOperation, describe, timeline
from dslib.core import stable_repr
from dslib.sim.history import History, Operation

__all__ = ["GUARANTEES", "SessionResult", "SessionViolation", "check_sessions"]

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
        """One row per guarantee: (name, "holds" or "violated", number of violations)."""
        rows = []
        for g in self.guarantees:
            n = sum(1 for v in self.violations if v.guarantee == g)
            rows.append((g, "violated" if n else "holds", n))
        return rows

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
        map). Without it, a write is older than another if it completed
        before the other began.
    initial : any, default None
        The value a read returns before any write.

    Returns
    -------
    SessionResult

    Raises
    ------
    TypeError
        If ``history`` is not a ``History``.
    ValueError
        For an unknown guarantee, an operation other than read/write/get/put,
        or a value written twice to one key.

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

    def older(a: Any, b: Any) -> bool:
        """Whether write ``a`` is definitely older than write ``b``."""
        if a is b:
            return False
        if a is _INITIAL:
            return True
        if b is _INITIAL:
            return False
        if ranks is not None:
            ra = ranks.get((a.op.key, a.op.value))
            rb = ranks.get((b.op.key, b.op.value))
            return ra is not None and rb is not None and ra < rb
        return bool(a.complete < b.invoke)

    violations: list[SessionViolation] = []
    unexplained: list[Operation] = []
    sessions: dict[Hashable, list[TimedOperation]] = {}
    for t in timed:
        sessions.setdefault(t.op.process, []).append(t)
    for process in sorted(sessions, key=stable_repr):
        seen_reads: list[tuple[TimedOperation, Any]] = []
        own_writes: list[TimedOperation] = []
        for t in sessions[process]:
            op = t.op
            if op.f in _READS:
                if op.status != "ok":
                    continue
                w = observed(t)
                if w is None:
                    unexplained.append(op)
                    continue
                if "read-your-writes" in chosen:
                    for mine in own_writes:
                        if mine.op.key == op.key and older(w, mine):
                            violations.append(
                                SessionViolation(
                                    "read-your-writes",
                                    process,
                                    mine.op,
                                    op,
                                    f"{process} wrote {mine.op.value!r} ({describe(mine.op)} at "
                                    f"{_span(mine.op)}) but then read {_value_text(w, initial)} "
                                    f"({describe(op)} at {_span(op)}), which is older",
                                )
                            )
                            break
                if "monotonic-reads" in chosen:
                    for before, w0 in seen_reads:
                        if before.op.key == op.key and older(w, w0):
                            violations.append(
                                SessionViolation(
                                    "monotonic-reads",
                                    process,
                                    before.op,
                                    op,
                                    f"{process} read {_value_text(w0, initial)} "
                                    f"({describe(before.op)} at {_span(before.op)}) and later "
                                    f"{_value_text(w, initial)} "
                                    f"({describe(op)} at {_span(op)}), which is older",
                                )
                            )
                            break
                seen_reads.append((t, w))
            else:
                if op.status == "ok":
                    if "monotonic-writes" in chosen:
                        for mine in own_writes:
                            if mine.op.key == op.key and older(t, mine):
                                violations.append(
                                    SessionViolation(
                                        "monotonic-writes",
                                        process,
                                        mine.op,
                                        op,
                                        f"{process} wrote {mine.op.value!r} ({_span(mine.op)}) and "
                                        f"then {op.value!r} ({_span(op)}), but the store ordered "
                                        f"{op.value!r} first",
                                    )
                                )
                                break
                    if "writes-follow-reads" in chosen:
                        for before, w0 in seen_reads:
                            if before.op.key == op.key and older(t, w0):
                                violations.append(
                                    SessionViolation(
                                        "writes-follow-reads",
                                        process,
                                        before.op,
                                        op,
                                        f"{process} read {_value_text(w0, initial)} "
                                        f"({_span(before.op)}) and then wrote {op.value!r} "
                                        f"({_span(op)}), but the store ordered {op.value!r} first",
                                    )
                                )
                                break
                    own_writes.append(t)
    violations.sort(
        key=lambda v: (chosen.index(v.guarantee), stable_repr(v.process), v.second.index)
    )
    return SessionResult(chosen, tuple(violations), tuple(unexplained))


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
