"""Maglev hashing: a lookup table that spreads connections evenly and moves few of them.

Maglev (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
NSDI 2016, section 3.4 "Consistent Hashing") sends every packet of a connection to the
backend found at ``table[hash(5-tuple) % M]``, a table of ``M`` entries (``M`` prime). The
table is filled so that (1) every backend gets almost the same number of entries, so the
load is **balanced**, and (2) when a backend is added or removed, few other entries change,
so few connections are **disrupted**. Each backend ``i`` has a *preference list*, a
permutation of the table's entries: ``offset = h1(name) % M``, ``skip = h2(name) % (M - 1)
+ 1``, and its ``j``-th preference is ``(offset + j * skip) % M`` (``M`` prime and ``skip``
in ``1..M-1`` make it a permutation). Backends take turns: each claims its next preferred
entry that is still empty, until the table is full (the paper's Pseudocode 1). Turns make
the counts differ by at most one; preferences make the table change little when the set of
backends does.

- ``permutation``, ``populate`` (Pseudocode 1) and ``maglev_table`` (``mutant=``);
  ``entries_per_backend``;
- ``disruption``: the fraction of entries that change owner, for the backends kept;
- ``ring_table``: the same lookups through a consistent-hash ring, for comparison;
- ``MUTANTS``, ``MAGLEV_MUTANTS`` and ``MAGLEV_CHECKS``.

Examples
--------
>>> table = maglev_table(["b0", "b1", "b2"], 7)
>>> table
('b1', 'b1', 'b2', 'b0', 'b0', 'b0', 'b2')
>>> entries_per_backend(table)
{'b0': 3, 'b1': 2, 'b2': 2}
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sharding.partitioning import ConsistentHashRing, stable_hash

__all__ = [
    "MAGLEV_CHECKS",
    "MAGLEV_MUTANTS",
    "MUTANTS",
    "disruption",
    "entries_per_backend",
    "is_prime",
    "maglev_table",
    "permutation",
    "populate",
    "ring_table",
]

MUTANTS: dict[str, str] = {
    "backend-at-a-time": "each backend fills all the entries it prefers before the next one",
    "overwrite": "a backend takes its next preferred entry even if another backend has it",
    "modulo": "entry k goes to backend k % N: no preferences",
}
"""Broken tables (``mutant=`` of ``maglev_table``): name -> what is wrong."""


def is_prime(m: int) -> bool:
    """Whether ``m`` is prime (trial division; table sizes are small).

    >>> [m for m in range(2, 20) if is_prime(m)]
    [2, 3, 5, 7, 11, 13, 17, 19]
    """
    return m >= 2 and all(m % d for d in range(2, int(m**0.5) + 1))


def permutation(backend: str, m: int) -> list[int]:
    """The preference list of ``backend`` in a table of ``m`` entries (section 3.4).

    Examples
    --------
    >>> permutation("b0", 7)
    [4, 5, 6, 0, 1, 2, 3]
    >>> permutation("b1", 7)
    [1, 0, 6, 5, 4, 3, 2]
    """
    offset = stable_hash(backend, salt="maglev-offset") % m
    skip = stable_hash(backend, salt="maglev-skip") % (m - 1) + 1
    return [(offset + j * skip) % m for j in range(m)]


def _check(backends: Sequence[str], m: int) -> None:
    if not backends or len(set(backends)) != len(backends):
        raise ValueError(f"maglev_table: backends={list(backends)!r} must be distinct, at least 1")
    if not (isinstance(m, int) and is_prime(m) and m >= len(backends)):
        raise ValueError(
            f"maglev_table: m={m!r} must be a prime at least the number of backends "
            f"({len(backends)}), e.g. 65537"
        )


def maglev_table(backends: Sequence[str], m: int, mutant: str | None = None) -> tuple[str, ...]:
    """Fill a lookup table of ``m`` entries (``m`` prime) for ``backends``: Pseudocode 1.

    Raises
    ------
    ValueError
        If ``backends`` is empty or repeats a name, or ``m`` is not a prime at least
        ``len(backends)``.

    Examples
    --------
    >>> maglev_table(["a", "b"], 5)
    ('b', 'a', 'a', 'a', 'b')
    """
    check_mutant("maglev_table", mutant, MUTANTS)
    _check(backends, m)
    if mutant == "modulo":  # mutant: no preferences at all
        return tuple(backends[k % len(backends)] for k in range(m))
    entries = populate([permutation(b, m) for b in backends], mutant=mutant)
    return tuple(backends[i] for i in entries)


def populate(preferences: Sequence[Sequence[int]], mutant: str | None = None) -> list[int]:
    """Pseudocode 1 of the paper: fill a table of ``m = len(preferences[0])`` entries from
    the backends' preference lists. Backends take turns; in its turn, backend ``i`` takes
    the first entry of its list, from where it left off, that is still empty. It stops as
    soon as every entry is taken. Returns the backend index of each entry.

    Examples
    --------
    >>> populate([[3, 0, 4, 1, 2], [0, 2, 4, 1, 3], [3, 4, 0, 1, 2]])
    [1, 0, 1, 0, 2]
    """
    m = len(preferences[0])
    nexts = [0] * len(preferences)
    entry: list[int | None] = [None] * m
    filled = 0
    while filled < m:
        for i, pref in enumerate(preferences):
            turns = m if mutant == "backend-at-a-time" else 1  # mutant: no turns
            for _ in range(turns):
                filled += _claim(entry, pref, nexts, i, mutant)
                if filled == m:
                    return [e for e in entry if e is not None]
    return [e for e in entry if e is not None]


def _claim(
    entry: list[int | None], pref: Sequence[int], nexts: list[int], i: int, mutant: Any
) -> int:
    """Backend ``i`` takes its next preferred entry that is still empty; 1 if it filled one."""
    m = len(entry)
    while nexts[i] < m and entry[pref[nexts[i]]] is not None and mutant != "overwrite":
        nexts[i] += 1  # taken: try the next preference (the mutant takes it anyway)
    if nexts[i] >= m:
        return 0
    c = pref[nexts[i]]
    was_empty = entry[c] is None
    entry[c] = i
    nexts[i] += 1
    return 1 if was_empty else 0


def entries_per_backend(table: Sequence[str]) -> dict[str, int]:
    """How many entries each backend has, sorted by name.

    >>> entries_per_backend(("a", "b", "a"))
    {'a': 2, 'b': 1}
    """
    return dict(sorted(Counter(table).items()))


def disruption(before: Sequence[str], after: Sequence[str], removed: str | None = None) -> float:
    """The fraction of entries whose backend changed, not counting the entries of the
    ``removed`` backend (those must move).

    >>> disruption(("a", "b", "c"), ("a", "c", "c"), removed="b")
    0.0
    """
    if len(before) != len(after):
        raise ValueError("disruption: the two tables must have the same size")
    kept = [(b, a) for b, a in zip(before, after, strict=True) if b != removed]
    return sum(b != a for b, a in kept) / len(kept) if kept else 0.0


def ring_table(backends: Sequence[str], m: int, vnodes: int = 100) -> tuple[str, ...]:
    """Entry ``k`` looked up on a consistent-hash ring with ``vnodes`` points per backend
    (``dslib.sharding``): the same table shape, for comparison.

    >>> len(ring_table(["a", "b"], 11, vnodes=4))
    11
    """
    ring = ConsistentHashRing(list(backends), vnodes=vnodes)
    return tuple(ring.lookup(f"entry-{k}") for k in range(m))


# == checks and mutants =========================================================================
_SIZES = ((3, 7), (5, 251), (20, 997))


def _backends(n: int) -> list[str]:
    return [f"b{i}" for i in range(n)]


def check_balanced(mutant: str | None) -> Outcome:
    """Entries per backend differ by at most one (three table sizes); the length is the
    number of backends of the first failing size."""
    for n, m in _SIZES:
        counts = entries_per_backend(maglev_table(_backends(n), m, mutant=mutant))
        if len(counts) != n or max(counts.values()) - min(counts.values()) > 1:
            return Outcome(False, n, f"{n} backends, {m} entries: {counts}")
    return Outcome(True)


def check_little_disruption(mutant: str | None) -> Outcome:
    """Removing any one of 20 backends (997 entries) changes at most 5% of the other
    backends' entries (the paper's Figure 11 shows a few percent)."""
    n, m = 20, 997
    names = _backends(n)
    before = maglev_table(names, m, mutant=mutant)
    for gone in names:
        after = maglev_table([b for b in names if b != gone], m, mutant=mutant)
        if disruption(before, after, removed=gone) > 0.05:
            return Outcome(False, n, f"removing {gone}")
    return Outcome(True)


MAGLEV_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "balanced": check_balanced,
    "little disruption": check_little_disruption,
}
"""Named checks of ``maglev_table`` (``None`` = correct)."""

MAGLEV_MUTANTS: list[Mutant[str | None]] = [
    Mutant(
        "backend-at-a-time",
        MUTANTS["backend-at-a-time"],
        lambda: "backend-at-a-time",
        ("balanced",),
    ),
    Mutant("overwrite", MUTANTS["overwrite"], lambda: "overwrite", ("balanced",)),
    Mutant("modulo", MUTANTS["modulo"], lambda: "modulo", ("little disruption",)),
]
"""The mutants, for ``run_mutants(lambda: None, MAGLEV_MUTANTS, MAGLEV_CHECKS)``."""
