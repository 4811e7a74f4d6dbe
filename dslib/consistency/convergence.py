"""Convergence: once writes stop, do the replicas agree?

Eventual consistency promises little while writes go on, and one thing when
they stop: after the system has been quiet long enough (*quiescence*), every
replica holds the same value, so every read returns the same thing. This
module checks that promise two ways:

- from the **final replica states** (what the simulation ends with), or
- from **final reads**: reads invoked after a time ``after`` by which writes
  had stopped and replication had time to finish; every such read of a key
  must return the same value.

"Writes had stopped" means every write has completed by ``after``: a write
still running then (invoked before ``after``, completed after it, or never)
may take effect between two final reads, which would then rightly disagree;
such a history is refused rather than judged.

Examples
--------
>>> r = check_convergence({"r1": 3, "r2": 3, "r3": 2})
>>> r
ConvergenceResult(diverged: 1 of 1 keys)
>>> print(r.explain())
diverged: the replicas hold 2 different values
  2: r3
  3: r1, r2
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from dslib.core import stable_repr
from dslib.sim.history import History

__all__ = ["ConvergenceResult", "check_convergence"]

_WRITES = ("write", "put", "append", "cas")


@dataclass(frozen=True)
class ConvergenceResult:
    """What ``check_convergence`` found.

    Attributes
    ----------
    groups : dict
        For each key (``None`` for replica states or a register), the
        distinct values seen, each with who saw it (replica ids, or the
        processes and times of the reads), sorted.
    source : str
        ``"replica states"`` or ``"final reads"``.

    Examples
    --------
    >>> check_convergence({"r1": "a", "r2": "a"})
    ConvergenceResult(ok: 1 keys agree)
    """

    groups: dict[Hashable, list[tuple[Any, list[str]]]]
    source: str

    @property
    def ok(self) -> bool:
        """Whether every key has exactly one value (no key at all counts as agreement)."""
        return all(len(values) <= 1 for values in self.groups.values())

    @property
    def diverged(self) -> list[Hashable]:
        """The keys with more than one value."""
        return [k for k, values in self.groups.items() if len(values) > 1]

    def __repr__(self) -> str:
        if self.ok:
            return f"ConvergenceResult(ok: {len(self.groups)} keys agree)"
        return f"ConvergenceResult(diverged: {len(self.diverged)} of {len(self.groups)} keys)"

    def explain(self) -> str:
        """Each diverged key with its values and who holds them."""
        if self.ok:
            return f"converged: the {self.source} agree on every key"
        lines = []
        for key in self.diverged:
            where = f" for key {key!r}" if key is not None else ""
            who = "the replicas hold" if self.source == "replica states" else "the final reads saw"
            lines.append(f"diverged{where}: {who} {len(self.groups[key])} different values")
            for value, holders in self.groups[key]:
                lines.append(f"  {stable_repr(value)}: {', '.join(holders)}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()


def check_convergence(
    source: Mapping[Hashable, Any] | History, *, after: float | None = None
) -> ConvergenceResult:
    """Check that replicas agree after quiescence.

    Parameters
    ----------
    source : mapping or History
        Either the final state (or value) of each replica, ``{replica: value}``,
        or a history whose final reads to check.
    after : float
        With a history (and only then): the time after which writes had
        stopped and replication had finished. Reads (``read``/``get``,
        completed ``ok``) invoked at or after it are the final reads.

    Returns
    -------
    ConvergenceResult

    Raises
    ------
    TypeError
        If ``source`` is neither a mapping nor a History.
    ValueError
        If ``after`` is missing with a history, given with a mapping, or if a
        write (``write``, ``put``, ``append``, ``cas``, any status but
        ``fail``) was invoked at or after ``after`` or completed after it, or
        never (the system was not quiet).

    Examples
    --------
    >>> from dslib.consistency import history_from_intervals
    >>> h = history_from_intervals([
    ...     ("a", "write", 1, None, 0, 1),
    ...     ("b", "read", None, 1, 10, 11),
    ...     ("c", "read", None, 0, 10, 12),
    ... ])
    >>> check_convergence(h, after=10).diverged
    [None]

    A write still running at ``after`` is refused (its effect may land
    between the reads):

    >>> h = history_from_intervals([
    ...     ("a", "write", 1, None, 9, 15), ("b", "read", None, 1, 10, 11),
    ...     ("c", "read", None, None, 10, 12)])
    >>> check_convergence(h, after=10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: check_convergence: ... was still running at after=10; ... (here after=15 or later)
    """
    if isinstance(source, History):
        if after is None:
            raise ValueError(
                "check_convergence: with a history, give after= (the time from which the "
                "reads are final)"
            )
        return _final_reads(source, after)
    if isinstance(source, Mapping):
        if after is not None:
            raise ValueError("check_convergence: after= applies to a history, not to states")
        values: dict[str, tuple[Any, list[str]]] = {}
        for replica in sorted(source, key=stable_repr):
            value = source[replica]
            key = stable_repr(value)
            values.setdefault(key, (value, []))[1].append(str(replica))
        groups: dict[Hashable, list[tuple[Any, list[str]]]] = (
            {None: [values[k] for k in sorted(values)]} if values else {}
        )
        return ConvergenceResult(groups, "replica states")
    raise TypeError(
        "check_convergence: give {replica: final state} or a History (with after=), "
        f"got {type(source).__name__}"
    )


def _final_reads(history: History, after: float) -> ConvergenceResult:
    if not isinstance(after, (int, float)) or isinstance(after, bool):
        raise ValueError(f"check_convergence: after={after!r} must be a number")
    per_key: dict[Hashable, dict[str, tuple[Any, list[str]]]] = {}
    ops = history.operations()
    writes = [op for op in ops if op.f in _WRITES and op.status != "fail"]
    for op in writes:
        if op.invoke_time >= after:
            raise ValueError(
                f"check_convergence: {op} was invoked after after={after}; the final reads must "
                "come after the last write"
            )
        if op.complete_time > after:
            last = max(w.complete_time for w in writes)
            hint = f"here after={last:g} or later" if math.isfinite(last) else "it never did"
            raise ValueError(
                f"check_convergence: {op} was still running at after={after:g}; the final reads "
                f"must come after every write has completed ({hint})"
            )
    for op in ops:
        if op.invoke_time < after:
            continue
        if op.f not in ("read", "get") or op.status != "ok":
            continue
        values = per_key.setdefault(op.key, {})
        values.setdefault(stable_repr(op.result), (op.result, []))[1].append(
            f"{op.process}@{op.invoke_time:g}"
        )
    groups = {
        key: [per_key[key][v] for v in sorted(per_key[key])]
        for key in sorted(per_key, key=stable_repr)
    }
    return ConvergenceResult(groups, "final reads")
