"""The capstone's Jepsen-style test suite: scenarios, checks, and the mutants they catch.

A check here is a function of a mutant name (``None``: the correct store) that
runs one *scenario* on a few seeds and judges each run, stopping at the first
run that fails (``dslib.sharding.store.store_checks`` does the same for
chapter 13). The scenarios:

- ``full_nemesis_run``: ``run_shardkv`` as the sweep runs it: random
  configuration changes, crashes, pauses, partitions, clock skew and loss at once;
- ``migration_run``: no faults, a script of joins, leaves and moves while three
  clients and two bank clients run: every hand-over happens while clients use the
  shard;
- ``retry_run``: one client appends to a key; its replies from the key's group
  are cut just before the key's shard moves to another group, so the client,
  hearing nothing, retries the append at the new owner: exactly-once across a move;
- ``lagging_run``: one group is cut off from everyone while the configuration
  changes three times, then rejoins: it catches up on configurations the others
  acted on long before.

The judges: ``linearizable`` (per key, ``KeyValue``), ``appends_once`` (no
acknowledged append lost, none applied twice), the run's ``home`` (one home per
shard per configuration), its ``bank`` total (the bank clients' transfers by two-phase
commit across groups conserve money) and ``settled`` (after the faults, everything
completes and every shard is with its owner alone).

Examples
--------
>>> checks = capstone_checks(seeds=[1])
>>> checks["exactly once across a move"](None)
Outcome(ok=True, counterexample_length=None, detail='')
>>> checks["exactly once across a move"]("forgets_dedup_table").ok
False
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache, partial
from typing import Any

from dslib.capstone.shardkv import MUTANTS, ShardKVRun, group_servers, run_shardkv
from dslib.mutants import Mutant, Outcome
from dslib.sharding.controller import rebalance, shard_of
from dslib.sim.nemesis import Cut, Heal, Nemesis, Partition
from dslib.testing.executors import Executor, check_executor, map_seeds

__all__ = [
    "CHECKS",
    "MIGRATION_SCHEDULE",
    "MUTANT_CHECKS",
    "SCENARIOS",
    "appends_once",
    "capstone_checks",
    "capstone_mutants",
    "catch_rate",
    "full_nemesis_run",
    "lagging_run",
    "linearizable",
    "migration_run",
    "retry_run",
]


# -- scenarios ---------------------------------------------------------------------------------
def full_nemesis_run(seed: int, mutant: str | None = None) -> ShardKVRun:
    """The sweep's run: 3 groups, 3 clients of 40 operations and 2 bank clients of 15
    transfers, every kind of fault at once.

    >>> full_nemesis_run(3).verdict
    'ok'
    """
    return run_shardkv(seed, ops=40, bank=2, transfers=15, mutant=mutant)


MIGRATION_SCHEDULE: tuple[tuple[float, tuple[Any, ...]], ...] = (
    (0.0, ("join", "g1")),
    (250.0, ("join", "g2")),
    (500.0, ("join", "g3")),
    (750.0, ("move", 0, "g2")),
    (1000.0, ("leave", "g1")),
    (1250.0, ("move", 1, "g3")),
    (1500.0, ("join", "g1")),
    (1750.0, ("leave", "g2")),
)
"""``migration_run``'s configuration changes: every 250 ms, shards move."""


def migration_run(seed: int, mutant: str | None = None) -> ShardKVRun:
    """No faults; the configuration changes every 250 ms (``MIGRATION_SCHEDULE``) while three
    clients run 40 operations each on two append keys and two register keys, and two bank
    clients 15 transfers each, over 4 shards.

    >>> migration_run(1).verdict
    'ok'
    """
    return run_shardkv(
        seed,
        groups=3,
        clients=3,
        ops=40,
        shards=4,
        keys=2,
        faults=False,
        schedule=MIGRATION_SCHEDULE,
        duration=2200.0,
        settle=2500.0,
        think=(0.0, 20.0),
        bank=2,
        transfers=15,
        mutant=mutant,
    )


def _moving_key(shards: int) -> str:
    """An append key whose shard moves from g1 to g2 when g2 joins."""
    after = rebalance(("g1",) * shards, ["g1", "g2"])
    return next(f"a{i}" for i in range(100) if after[shard_of(f"a{i}", shards)] == "g2")


def retry_run(seed: int, mutant: str | None = None) -> ShardKVRun:
    """Exactly-once across a move: client ``c1`` appends to a key of group g1 from 500 ms on
    (40 appends, one after another); at 600 ms the
    links from g1's servers to ``c1`` are cut (its requests still arrive and are applied, the
    answers are lost); at 650 ms g2 joins and the key's shard moves to g2; ``c1``, hearing
    nothing from g1, asks the controller and retries the append at g2, which must recognise
    it from the shard's migrated table of last requests. Healed at 1500 ms.

    >>> run = retry_run(1)
    >>> run.verdict, run.doubled
    ('ok', ())
    """
    key = _moving_key(2)
    cuts = [(600.0, Cut(server, "c1")) for server in group_servers("g1")]
    return run_shardkv(
        seed,
        groups=2,
        shards=2,
        schedule=[(0.0, ("join", "g1")), (650.0, ("join", "g2"))],
        nemesis=Nemesis([*cuts, (1500.0, Heal())]),
        workloads={"c1": [("append", key, (("c1", i),)) for i in range(40)]},
        duration=1600.0,
        think=0.0,
        start=500.0,
        mutant=mutant,
    )


def lagging_run(seed: int, mutant: str | None = None) -> ShardKVRun:
    """A lagging group: g3 is cut off from everyone until 1000 ms while g1 joins (at once), g2
    (400 ms) and g3 (700 ms); g3 then catches up on configurations the others acted on long
    ago.

    >>> lagging_run(1).verdict
    'ok'
    """
    alone = group_servers("g3")
    rest = tuple(
        sorted(
            [
                "admin",
                "c1",
                "c2",
                "ctrl1",
                "ctrl2",
                "ctrl3",
                *group_servers("g1"),
                *group_servers("g2"),
            ]
        )
    )
    return run_shardkv(
        seed,
        groups=3,
        clients=2,
        ops=20,
        shards=6,
        keys=2,
        schedule=[(0.0, ("join", "g1")), (400.0, ("join", "g2")), (700.0, ("join", "g3"))],
        nemesis=Nemesis([(0.0, Partition((alone, rest))), (1000.0, Heal())]),
        duration=1500.0,
        mutant=mutant,
    )


SCENARIOS: dict[str, Callable[[int, str | None], ShardKVRun]] = {
    "full nemesis": full_nemesis_run,
    "migrations": migration_run,
    "retry across a move": retry_run,
    "lagging group": lagging_run,
}
"""The scenarios by name."""


@lru_cache(maxsize=32)
def _run(scenario: str, seed: int, mutant: str | None) -> ShardKVRun:
    return SCENARIOS[scenario](seed, mutant)


# -- judges ------------------------------------------------------------------------------------
def linearizable(run: ShardKVRun) -> Outcome:
    """Linearizability per key as an ``Outcome`` (counterexample: the minimal set of operations
    that cannot be ordered). "unknown" is not "ok".

    >>> linearizable(migration_run(2)).ok
    True
    """
    if run.result.verdict == "ok":
        return Outcome(True)
    minimal = getattr(run.result, "minimal", ()) or ()
    return Outcome(False, len(minimal) or None, f"linearizability: {run.result.verdict}")


def appends_once(run: ShardKVRun) -> Outcome:
    """No acknowledged append is missing from the final store and none is in it twice.

    >>> appends_once(retry_run(2)).ok
    True
    """
    problems = len(run.lost) + len(run.doubled)
    detail = f"lost {list(run.lost)}; doubled {list(run.doubled)}" if problems else ""
    return Outcome(not problems, problems or None, detail)


def _home(run: ShardKVRun) -> Outcome:
    return run.home


def _settled(run: ShardKVRun) -> Outcome:
    return run.settled


def _bank(run: ShardKVRun) -> Outcome:
    return run.bank


def _everything(run: ShardKVRun) -> Outcome:
    for judge in (linearizable, appends_once, _home, _bank, _settled):
        out = judge(run)
        if not out.ok:
            return out
    return Outcome(True)


CHECKS: dict[str, tuple[str, Callable[[ShardKVRun], Outcome]]] = {
    "linearizable, migrations": ("migrations", linearizable),
    "appends once, migrations": ("migrations", appends_once),
    "settles, migrations": ("migrations", _settled),
    "bank total, migrations": ("migrations", _bank),
    "exactly once across a move": ("retry across a move", appends_once),
    "one home, lagging group": ("lagging group", _home),
    "all checks, full nemesis": ("full nemesis", _everything),
}
"""Every check: its scenario and its judge."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "serves_after_handoff": (
        "linearizable, migrations",
        "appends once, migrations",
        "bank total, migrations",
    ),
    "forgets_dedup_table": ("exactly once across a move",),
    "controller_reuses_number": ("one home, lagging group",),
    "client_never_refreshes": ("settles, migrations",),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


def _judged(
    scenario: str, judge: Callable[[ShardKVRun], Outcome], mutant: str | None, seed: int
) -> Outcome:
    return judge(_run(scenario, seed, mutant))


def capstone_checks(
    seeds: Sequence[int] = (1, 2, 3), *, executor: Executor = None
) -> dict[str, Callable[[str | None], Outcome]]:
    """The checks of the capstone, by name (``CHECKS``): each takes a mutant name (``None``:
    the correct store), runs its scenario on ``seeds`` in order and returns the first failing
    run's ``Outcome`` (else the last one's).

    Parameters
    ----------
    seeds : sequence of int
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``).

    Raises
    ------
    TypeError
        If a seed is not an int.

    Examples
    --------
    >>> sorted(capstone_checks([1]))[:2]
    ['all checks, full nemesis', 'appends once, migrations']
    """
    chosen = list(seeds)
    for seed in chosen:
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise TypeError(f"capstone_checks: seed {seed!r} is not an int")
    check_executor(executor, "capstone_checks")

    def make(
        scenario: str, judge: Callable[[ShardKVRun], Outcome]
    ) -> Callable[[str | None], Outcome]:
        def check(mutant: str | None) -> Outcome:
            task = partial(_judged, scenario, judge, mutant)
            outcomes = map_seeds(
                task, chosen, executor, stop=lambda out: not out.ok, owner="capstone_checks"
            )
            return outcomes[-1] if outcomes else Outcome(True)

        return check

    return {name: make(scenario, judge) for name, (scenario, judge) in CHECKS.items()}


def capstone_mutants() -> list[Mutant[str | None]]:
    """The broken stores of ``MUTANTS`` with the checks that must catch each.

    >>> [m.name for m in capstone_mutants()]
    ['serves_after_handoff', 'forgets_dedup_table', 'controller_reuses_number', \
'client_never_refreshes']
    """
    return [
        Mutant(name, bug, partial(_name, name), MUTANT_CHECKS[name])
        for name, bug in MUTANTS.items()
    ]


def _name(name: str | None) -> str | None:
    return name


def catch_rate(
    mutant: str, check: str, seeds: Sequence[int], *, executor: Executor = None
) -> tuple[int, int]:
    """In how many of ``seeds`` the run of ``check``'s scenario with ``mutant`` is caught by
    the check's judge: ``(caught, runs)``.

    >>> catch_rate("forgets_dedup_table", "exactly once across a move", [1, 2])
    (2, 2)
    """
    if check not in CHECKS:
        raise ValueError(f"catch_rate: unknown check {check!r}; the checks are {list(CHECKS)}")
    scenario, judge = CHECKS[check]
    task = partial(_judged, scenario, judge, mutant)
    outcomes = map_seeds(task, list(seeds), executor, owner="catch_rate")
    return sum(1 for o in outcomes if not o.ok), len(outcomes)
