"""The checks of sections 9.2 to 9.4 and the mutants they must catch.

A cache is judged by three checks, each a function of a ``CacheVariant`` (which cache
node to build: leases or not, what a writer does, which mutant):

- ``no_stale_at_rest``: model checking (``dslib.caching.races.find_race``): in every
  interleaving of a reader and a writer of one key, the cache agrees with the store once
  nothing is in flight. Deterministic: the shortest counterexample, or every state.
- ``no_stale_at_rest_across_a_crash``: the same with two readers, and the cache crashing
  (and restarting empty) once at any point.
- ``no_lost_acknowledged_write``: a write-back cache crashes at time 300 and restarts at
  330, in ``seeds`` seeded runs (``dslib.caching.patterns.pattern_run``; half the
  operations are writes, and clients start no new operation after 320, so that no later
  write hides a lost one); every write it acknowledged must reach the store. Reports the
  first seed that loses one.
- ``one_fill_per_key``: a hot key under load through a coalescing cache
  (``dslib.caching.herd``); never two fills of the key in flight at once.

``mutant_report()`` runs them on the correct cache (leases, delete on write, coalescing,
durable write-back) and on each broken one: the three ``MUTANTS`` of
``dslib.caching.nodes``, plain cache-aside without leases (the stale-set race itself),
and a writer that updates the cache instead of deleting. ``catch_rate`` measures how many
seeds catch a mutant.

Examples
--------
>>> no_stale_at_rest(CacheVariant()).ok
True
>>> no_stale_at_rest(CacheVariant(lease=False)).ok
False
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from dslib.caching.herd import HerdConfig, herd_run, one_fill_at_a_time
from dslib.caching.nodes import MUTANTS
from dslib.caching.patterns import PatternConfig, lost_writes, pattern_run
from dslib.caching.races import ON_WRITE, find_race
from dslib.check import CheckResult
from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, mutant_table, run_mutants

__all__ = [
    "CHECKS",
    "CRASH",
    "MUTANT_CHECKS",
    "CacheVariant",
    "cache_mutant_table",
    "catch_rate",
    "mutant_report",
    "mutants",
    "no_lost_acknowledged_write",
    "no_stale_at_rest",
    "no_stale_at_rest_across_a_crash",
    "one_fill_per_key",
]

CRASH = (300.0, 330.0)
"""When ``no_lost_acknowledged_write`` crashes the write-back cache, and restarts it."""


@dataclass(frozen=True)
class CacheVariant:
    """Which cache the checks build: the correct one by default.

    Examples
    --------
    >>> CacheVariant(on_write="overwrite")
    Traceback (most recent call last):
    ...
    ValueError: CacheVariant: on_write='overwrite'; allowed: delete, update
    """

    lease: bool = True
    on_write: str = "delete"
    mutant: str | None = None

    def __post_init__(self) -> None:
        if self.on_write not in ON_WRITE:
            raise ValueError(
                f"CacheVariant: on_write={self.on_write!r}; allowed: {', '.join(ON_WRITE)}"
            )
        check_mutant("CacheVariant", self.mutant, MUTANTS)


def no_stale_at_rest(variant: CacheVariant) -> CheckResult:
    """Model-check one reader and one writer of a key (two writers when they update).

    Examples
    --------
    >>> len(no_stale_at_rest(CacheVariant(mutant="lease_not_invalidated")).counterexample)
    9
    """
    if variant.on_write == "update":
        return find_race(1, 2, variant.lease, "update", variant.mutant)
    return find_race(1, 1, variant.lease, "delete", variant.mutant)


def no_stale_at_rest_across_a_crash(variant: CacheVariant) -> CheckResult:
    """Model-check two readers and a writer (two writers when they update), the cache
    crashing once at any point.

    Examples
    --------
    >>> result = no_stale_at_rest_across_a_crash(CacheVariant(mutant="tokens_restart"))
    >>> result.ok, len(result.counterexample)
    (False, 15)
    """
    writers = 2 if variant.on_write == "update" else 1
    return find_race(2, writers, variant.lease, variant.on_write, variant.mutant, crashes=1)


def _lost_in_seed(variant: CacheVariant, seed: int) -> int:
    config = PatternConfig(
        pattern="write-back", read_fraction=0.5, mutant=variant.mutant, duration=320.0
    )
    return lost_writes(pattern_run(config, seed, crash=CRASH))


def no_lost_acknowledged_write(variant: CacheVariant, seeds: int = 10) -> Outcome:
    """Crash a write-back cache in ``seeds`` runs; no acknowledged write may be lost.

    Examples
    --------
    >>> no_lost_acknowledged_write(CacheVariant(mutant="ack_before_durable"), seeds=3).detail
    'seed 0 lost 5 acknowledged writes'
    """
    for seed in range(seeds):
        lost = _lost_in_seed(variant, seed)
        if lost:
            return Outcome(False, None, f"seed {seed} lost {lost} acknowledged writes")
    return Outcome(True)


def one_fill_per_key(variant: CacheVariant) -> Outcome:
    """A coalescing cache under a herd (50 clients, one hot key): one fill at a time.

    Examples
    --------
    >>> one_fill_per_key(CacheVariant()).ok
    True
    """
    config = HerdConfig(fill="coalesce", mutant=variant.mutant, duration=150.0)
    return one_fill_at_a_time(herd_run(config, seed=0))


CHECKS: dict[str, Callable[[CacheVariant], Any]] = {
    "no stale entry at rest (model checking)": no_stale_at_rest,
    "no stale entry at rest, cache crashes (model checking)": no_stale_at_rest_across_a_crash,
    "no lost acknowledged write (10 crash runs)": no_lost_acknowledged_write,
    "one fill per key (herd run)": one_fill_per_key,
}
"""The chapter's cache checks, by the name the mutant table shows."""

_STALE, _CRASH, _LOST, _FILL = CHECKS

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "no_leases": (_STALE, _CRASH),
    "update_on_write": (_STALE, _CRASH),
    "lease_not_invalidated": (_STALE, _CRASH),
    "ack_before_durable": (_LOST,),
    "two_fills": (_FILL,),
    "tokens_restart": (_CRASH,),
}
"""The check that must catch each mutant."""


def mutants() -> list[Mutant[CacheVariant]]:
    """The broken caches: ``MUTANTS`` and the two unfixed designs of section 9.3.

    >>> [m.name for m in mutants()]  # doctest: +NORMALIZE_WHITESPACE
    ['no_leases', 'update_on_write', 'lease_not_invalidated', 'ack_before_durable', 'two_fills',
     'tokens_restart']
    """
    designs = {
        "no_leases": (
            "plain cache-aside: no lease, so a late Set of an old version is cached",
            CacheVariant(lease=False),
        ),
        "update_on_write": (
            "writers update the cache instead of deleting (no lease can refuse the update)",
            CacheVariant(on_write="update"),
        ),
    }
    for name, bug in MUTANTS.items():
        designs[name] = (bug, CacheVariant(mutant=name))
    return [
        Mutant(name, bug, partial(_same, variant), MUTANT_CHECKS[name])
        for name, (bug, variant) in designs.items()
    ]


def _same(variant: CacheVariant) -> CacheVariant:
    return variant


def mutant_report(all_checks: bool = True) -> MutantReport:
    """Run every check on the correct cache and on every mutant.

    Examples
    --------
    >>> report = mutant_report(all_checks=False)
    >>> report.ok
    True
    """
    return run_mutants(CacheVariant, mutants(), CHECKS, all_checks=all_checks)


def cache_mutant_table(seeds: Iterable[int] = range(20), all_checks: bool = False) -> Any:
    """The mutant table of sections 9.2 to 9.4, with each mutant's catch rate.

    ``catch rate`` is ``deterministic`` for the checks that do not depend on a seed, and
    for ``ack_before_durable`` the share of ``seeds`` whose crash run loses a write (the
    check itself runs seeds 0 to 9 and is caught by the first).

    Parameters
    ----------
    seeds : iterable of int, default range(20)
    all_checks : bool, default False
        Run every check on every mutant (slower), not only the checks named for it.

    Returns
    -------
    pandas.DataFrame
        ``mutant``, ``bug``, ``caught by``, ``counterexample length``, ``catch rate``.

    Examples
    --------
    >>> table = cache_mutant_table(range(2))
    >>> table.set_index("mutant")["catch rate"]["ack_before_durable"]
    '2/2 crash runs'
    """
    seeds = list(seeds)
    table = mutant_table(mutant_report(all_checks=all_checks))
    rates = []
    for name in table["mutant"]:
        if name == "correct version":
            lost = round(catch_rate(None, seeds) * len(seeds))
            rates.append(f"{lost}/{len(seeds)} crash runs lose a write")
        elif name == "ack_before_durable":
            rates.append(f"{round(catch_rate(name, seeds) * len(seeds))}/{len(seeds)} crash runs")
        else:
            rates.append("deterministic")
    table["catch rate"] = rates
    return table


def catch_rate(mutant: str | None, seeds: Iterable[int]) -> float:
    """The fraction of ``seeds`` in which a crash run of write-back loses a write.

    Only ``ack_before_durable`` is caught by seeded runs (the other checks are
    deterministic: model checking explores every interleaving, and the herd run catches
    ``two_fills`` on its first miss).

    Examples
    --------
    >>> catch_rate(None, range(3)), catch_rate("ack_before_durable", range(3))
    (0.0, 1.0)
    """
    variant = CacheVariant(mutant=mutant)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("catch_rate: seeds is empty")
    return sum(_lost_in_seed(variant, s) > 0 for s in seeds) / len(seeds)
