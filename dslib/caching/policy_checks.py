"""The eviction policies' checks and mutant table: each mutant caught by a named check.

The checks take a *policy maker* (``make_policy`` or a broken version of it, called as
``maker(name, capacity, ttl=...)``) and a seed, and return an ``Outcome``:

- ``same hits as the reference``: random requests and invalidations (and, for TTL
  caches, times) replayed on every policy and on its slow reference
  (``dslib.caching.reference``); the counterexample length is the shortest prefix that
  tells them apart;
- ``LRU agrees with Che``: LRU's hit ratio on a Zipf trace within 2 percentage points of
  Che's approximation at five cache sizes;
- ``TTL bounds staleness``: no hit on an entry inserted ``ttl`` or more ago;
- ``never beats MIN``: no policy gets more hits than Belady's MIN on random traces (the
  counterexample length is the shortest prefix on which it already has more).

``policy_mutant_report(seeds)`` runs every check on the correct maker and on each mutant
of ``dslib.caching.policies.POLICY_MUTANTS``; a check fails if it fails on any seed
(the counterexample is the first failing seed's). ``policy_mutant_table(seeds)`` adds how
many seeds each mutant was caught on: the catch rate. (The checks of the cache patterns,
races and herds are in ``dslib.caching.checks``.)

Examples
--------
>>> table = policy_mutant_table(range(2))
>>> print(table[["mutant", "counterexample length", "caught in seeds"]].to_string(index=False))
            mutant counterexample length caught in seeds
   correct version                     —               —
    lru_no_refresh                    10             2/2
 ttl_never_expires                     2             2/2
arc_ignores_ghosts                     6             2/2
random_stale_index                     3             2/2
>>> table["caught by"].tolist()[1:]  # doctest: +NORMALIZE_WHITESPACE
['same hits as the reference, LRU agrees with Che',
 'same hits as the reference, TTL bounds staleness',
 'same hits as the reference',
 'same hits as the reference, TTL bounds staleness, never beats MIN']
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from dslib.caching.policies import POLICIES, POLICY_MUTANTS, Policy, make_policy
from dslib.caching.reference import reference_policy, replay
from dslib.caching.theory import che_curve, min_hits
from dslib.caching.workloads import zipf_popularity, zipf_trace
from dslib.mutants import (
    CheckRun,
    Mutant,
    MutantReport,
    MutantResult,
    Outcome,
    mutant_table,
    run_mutants,
)

__all__ = [
    "POLICY_CHECKS",
    "PolicyMaker",
    "lru_agrees_with_che",
    "mutant_maker",
    "never_beats_min",
    "policy_mutant_report",
    "policy_mutant_table",
    "policy_mutants",
    "same_hits_as_reference",
    "ttl_bounds_staleness",
]

PolicyMaker = Callable[..., Policy]

_CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "lru_no_refresh": ("same hits as the reference", "LRU agrees with Che"),
    "ttl_never_expires": ("same hits as the reference", "TTL bounds staleness"),
    "arc_ignores_ghosts": ("same hits as the reference",),
    "random_stale_index": ("same hits as the reference", "never beats MIN"),
}


def mutant_maker(mutant: str) -> PolicyMaker:
    """``make_policy`` with one mutant applied where it belongs (the other policies correct).

    >>> mutant_maker("lru_no_refresh")("lru", 2).mutant
    'lru_no_refresh'
    """
    if mutant not in POLICY_MUTANTS:
        raise ValueError(
            f"mutant_maker: unknown mutant {mutant!r}; allowed: {sorted(POLICY_MUTANTS)}"
        )

    def maker(name: str, capacity: int, **options: Any) -> Policy:
        applies = (
            (mutant == "ttl_never_expires" and options.get("ttl") is not None)
            or (mutant == "lru_no_refresh" and name == "lru")
            or (mutant == "arc_ignores_ghosts" and name == "arc")
            or (mutant == "random_stale_index" and name == "random")
        )
        return make_policy(name, capacity, mutant=mutant if applies else None, **options)

    return maker


def _random_operations(rng: random.Random, keys: int, length: int) -> list[tuple[str, int]]:
    return [
        ("remove" if rng.random() < 0.1 else "access", rng.randrange(keys)) for _ in range(length)
    ]


def _outcomes(cache: Policy, ops: list[tuple[str, int]], times: list[float] | None) -> list[Any]:
    """``replay``, one operation at a time; ``None`` where the policy raised (and no further)."""
    out: list[Any] = []
    try:
        for i, op in enumerate(ops):
            out += replay(cache, [op], None if times is None else [times[i]])
    except Exception:  # a policy that crashes differs from the reference there
        out.append(None)
    return out


def same_hits_as_reference(maker: PolicyMaker, seed: int = 0, traces: int = 60) -> Outcome:
    """Every policy (and its TTL version) gives the reference's hits on random operations.

    Parameters
    ----------
    maker : callable
        Builds a policy as ``maker(name, capacity, ttl=None)``.
    seed : int
        Seeds the random operations.
    traces : int
        Traces per policy (half of them with times and a TTL).

    Returns
    -------
    Outcome
        ``counterexample_length``: the shortest prefix of operations that differs.

    Examples
    --------
    >>> same_hits_as_reference(make_policy).ok
    True
    """
    rng = random.Random(seed)
    shortest: int | None = None
    detail = ""
    for name in sorted(POLICIES):
        for _ in range(traces):
            capacity = rng.randint(1, 4)
            ops = _random_operations(rng, rng.randint(2, 8), rng.randint(1, 40))
            ttl: float | None = None
            times: list[float] | None = None
            if rng.random() < 0.5:
                ttl = float(rng.randint(1, 4))
                times = [float(t) for t in sorted(rng.randint(0, 2 * len(ops)) for _ in ops)]
            want = replay(reference_policy(name, capacity, ttl=ttl), ops, times)
            got = _outcomes(maker(name, capacity, ttl=ttl), ops, times)
            if got != want:
                first = next(
                    (i for i, (a, b) in enumerate(zip(got, want, strict=False)) if a != b),
                    min(len(got), len(want)),
                )
                if shortest is None or first + 1 < shortest:
                    shortest = first + 1
                    detail = f"{name} (capacity {capacity}, ttl {ttl}): {ops[: first + 1]}"
    return Outcome(shortest is None, shortest, detail)


def lru_agrees_with_che(
    maker: PolicyMaker, seed: int = 0, exponent: float = 1.0, tolerance: float = 0.02
) -> Outcome:
    """LRU's hit ratio within ``tolerance`` of Che's approximation (catalogue 2,000).

    Measured by running ``maker("lru", size)`` on a Zipf trace of 30,000 requests (the
    first 10,000 warm the cache) at sizes 2, 10, 40, 100 and 200. At exponent 1.0 FIFO
    (LRU without its refresh) falls about 5 points below LRU at sizes 40 to 200.

    Examples
    --------
    >>> outcome = lru_agrees_with_che(make_policy)
    >>> outcome.ok, outcome.detail
    (True, 'size 40: measured 0.3661, Che 0.3715')
    """
    catalogue, sizes = 2000, [2, 10, 40, 100, 200]
    keys = zipf_trace(catalogue, exponent, 30_000, seed).tolist()
    theory = che_curve(zipf_popularity(catalogue, exponent), sizes)
    worst, detail = 0.0, ""
    for size, che in zip(sizes, theory.tolist(), strict=True):
        cache = maker("lru", size)
        hits = [cache.access(k) for k in keys][10_000:]
        measured = sum(hits) / len(hits)
        if abs(measured - che) >= worst:
            worst = abs(measured - che)
            detail = f"size {size}: measured {measured:.4f}, Che {che:.4f}"
    return Outcome(worst <= tolerance, None, detail)


def ttl_bounds_staleness(maker: PolicyMaker, seed: int = 0, traces: int = 100) -> Outcome:
    """No TTL cache (over any policy) hits on an entry inserted ``ttl`` or more before.

    The counterexample length is the number of requests up to the first stale hit. A
    lookup that raises counts as a stale hit (the cache cannot vouch for its entry).

    Examples
    --------
    >>> ttl_bounds_staleness(make_policy).ok
    True
    """
    rng = random.Random(seed)
    shortest: int | None = None
    for name in sorted(POLICIES):
        for _ in range(traces // len(POLICIES) + 1):
            ttl = float(rng.randint(1, 5))
            cache = maker(name, rng.randint(1, 4), ttl=ttl)
            inserted: dict[int, float] = {}
            now = 0.0
            for i in range(rng.randint(1, 30)):
                now += rng.choice([0.0, 0.5, 1.0, 2.0])
                key = rng.randrange(5)
                try:
                    hit = cache.lookup(key, now=now)
                except Exception:  # a cache that crashes serves nothing we can vouch for
                    hit, inserted[key] = True, -math.inf
                if hit:
                    if now - inserted[key] >= ttl:
                        if shortest is None or i + 1 < shortest:
                            shortest = i + 1
                        break
                else:
                    cache.insert(key, now=now)
                    inserted[key] = now
    return Outcome(shortest is None, shortest)


def never_beats_min(maker: PolicyMaker, seed: int = 0, traces: int = 40) -> Outcome:
    """No policy gets more hits than Belady's MIN on random traces.

    Examples
    --------
    >>> never_beats_min(make_policy).ok
    True
    """
    rng = random.Random(seed)
    for name in sorted(POLICIES):
        for _ in range(traces):
            capacity = rng.randint(1, 5)
            keys = [rng.randrange(rng.randint(2, 10)) for _ in range(rng.randint(1, 60))]
            cache = maker(name, capacity)
            hits = [cache.access(k) for k in keys]
            bound = min_hits(keys, capacity)
            if sum(hits) > bound:
                # the shortest prefix on which the policy already has more hits than MIN
                length = next(
                    n
                    for n in range(1, len(keys) + 1)
                    if sum(hits[:n]) > min_hits(keys[:n], capacity)
                )
                return Outcome(False, length, f"{name} (capacity {capacity}): {keys[:length]}")
    return Outcome(True)


POLICY_CHECKS: dict[str, Callable[..., Outcome]] = {
    "same hits as the reference": same_hits_as_reference,
    "LRU agrees with Che": lru_agrees_with_che,
    "TTL bounds staleness": ttl_bounds_staleness,
    "never beats MIN": never_beats_min,
}


def policy_mutants() -> list[Mutant[PolicyMaker]]:
    """The mutants of ``POLICY_MUTANTS`` as ``dslib.mutants.Mutant`` (build: a policy maker).

    >>> [m.name for m in policy_mutants()]
    ['lru_no_refresh', 'ttl_never_expires', 'arc_ignores_ghosts', 'random_stale_index']
    """
    return [
        Mutant(name, bug, partial(mutant_maker, name), _CAUGHT_BY[name])
        for name, bug in POLICY_MUTANTS.items()
    ]


def _per_seed(seeds: list[int]) -> list[MutantReport]:
    if not seeds:
        raise ValueError("policy_mutant_report: give at least one seed")
    return [
        run_mutants(
            lambda: make_policy,
            policy_mutants(),
            {name: partial(_with_seed, check, seed) for name, check in POLICY_CHECKS.items()},
        )
        for seed in seeds
    ]


def _with_seed(check: Callable[..., Outcome], seed: int, maker: PolicyMaker) -> Outcome:
    return check(maker, seed)


def _first_failure(runs: list[CheckRun]) -> CheckRun:
    """One check over all seeds: its first failing run (an error first), else the first run."""
    failing = [r for r in runs if not r.ok]
    return failing[0] if failing else runs[0]


def _combined(reports: list[MutantReport]) -> MutantReport:
    """The report over all seeds: a check fails if it failed on any seed (the first one's)."""
    first = reports[0]
    correct = tuple(
        _first_failure([r.correct[i] for r in reports]) for i in range(len(first.checks))
    )
    mutants = tuple(
        MutantResult(
            m.name,
            m.bug,
            m.expected,
            tuple(
                _first_failure([r.mutants[j].runs[i] for r in reports]) for i in range(len(m.runs))
            ),
        )
        for j, m in enumerate(first.mutants)
    )
    return MutantReport(first.checks, correct, mutants)


def policy_mutant_report(seeds: Iterable[int] = range(3)) -> MutantReport:
    """Every check on the correct policies and on each mutant; a check fails on any seed.

    Examples
    --------
    >>> report = policy_mutant_report(range(1))
    >>> report.ok, report.mutants[0].caught_by
    (True, ('same hits as the reference', 'LRU agrees with Che'))
    """
    return _combined(_per_seed(list(seeds)))


def policy_mutant_table(seeds: Iterable[int] = range(3)) -> Any:
    """The mutant table (``dslib.mutants.mutant_table``) with the catch rate over ``seeds``.

    The column ``caught in seeds`` counts the seeds on which at least one of the checks
    named for the mutant failed. Every check runs once per seed and variant.
    """
    reports = _per_seed(list(seeds))
    table = mutant_table(_combined(reports))
    rates = ["—"]
    for j, mutant in enumerate(reports[0].mutants):
        caught = sum(any(c in r.mutants[j].caught_by for c in mutant.expected) for r in reports)
        rates.append(f"{caught}/{len(reports)}")
    table["caught in seeds"] = rates
    return table
