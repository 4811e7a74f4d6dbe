"""Chapter 7's checks of the partitioned log: faulty runs, the mutant table, the sweep.

A run of the log (``faulty_run``) has one producer send twenty keyed records while a
seeded nemesis crashes, pauses and isolates brokers, partitions the network and makes it
lose messages; the network also loses and duplicates 2 % of messages throughout. Faults
end by time 300 and the run goes on to time 600, so that every broker is back and the
reader has caught up: what it has not read by then is lost.

Three checks judge a run, each a plain function of a ``LogConfig``:

- ``no_lost_acknowledged``: every acknowledged record is read (``check_queue``,
  at-least-once);
- ``no_duplicates``: no record is read twice (``check_queue``, at-most-once);
- ``read_committed``: every record the reader read is, at the end, at the same offset
  of its partition's log. A reader sees only records below the high watermark, and
  those must never be truncated away.

Each check runs a fixed list of runs: ``isolation_scenario`` (a schedule written to need
an unclean election) and the seeds ``0 .. seeds-1`` of ``faulty_run``, and reports the
first that fails: the same answer every time. ``catch_rate`` measures how many seeds
catch a mutant, and ``configuration_table`` runs the 24 settings of acks, min_insync,
unclean election and idempotence; ``benchmarks/sweep_queues.py`` runs both on many seeds.

Examples
--------
>>> sim = faulty_run(LogConfig(), seed=3)
>>> judge(sim).summary()
'exactly-once, per-key order: ok (lost 0, duplicated 0, reordered 0, phantom 0)'
>>> judge(faulty_run(LogConfig(acks=1), seed=5)).counts()["lost"]
1
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from itertools import product
from typing import Any

from dslib.mutants import Mutant, MutantReport, Outcome, run_mutants
from dslib.queues.checker import QueueCheckResult, check_queue
from dslib.queues.log import MUTANTS, LogConfig, final_logs, log_system, sends_and_receives
from dslib.sim.nemesis import Fault, Heal, Nemesis, Partition, RandomNemesis
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "CHECKS",
    "FAULT_KINDS",
    "MUTANT_CHECKS",
    "catch_rate",
    "configuration_table",
    "faulty_run",
    "isolation_scenario",
    "isolations",
    "judge",
    "mutant_report",
    "no_duplicates",
    "no_lost_acknowledged",
    "read_committed",
    "read_committed_violation",
    "safe_config",
]

FAULT_KINDS = ("crash", "partition", "pause", "loss", "isolation")
"""The fault kinds of ``faulty_run``: ``RandomNemesis``'s four, and ``"isolation"``.

An *isolation* cuts a random set of brokers off from every other node; the next one often
follows without a heal in between, so that a broker that left the ISR in one episode is
still out of it when the ISR's members are cut off in the next (the double fault an
unclean election needs).
"""

FAULTS_UNTIL = 250.0
RUN_UNTIL = 600.0


def safe_config(**options: Any) -> LogConfig:
    """The safe configuration: acks all, min_insync 2 of 3, clean elections, idempotence.

    Examples
    --------
    >>> c = safe_config()
    >>> c.acks, c.min_insync, c.replication_factor, c.unclean, c.idempotent
    ('all', 2, 3, False, True)
    """
    base = LogConfig(acks="all", min_insync=2, replication_factor=3, unclean=False, idempotent=True)
    return replace(base, **options)


def _check_config(config: Any, who: str) -> LogConfig:
    if not isinstance(config, LogConfig):
        raise TypeError(f"{who}: config={config!r} must be a LogConfig")
    return config


def faulty_run(
    config: LogConfig | None = None,
    seed: int = 0,
    kinds: Sequence[str] = FAULT_KINDS,
    loss: float = 0.02,
    duplication: float = 0.02,
) -> Simulation:
    """One seeded run of the log under random faults, finished and quiet.

    Parameters
    ----------
    config : LogConfig, optional
        Default ``safe_config()``.
    seed : int, default 0
    kinds : sequence of str, default ``FAULT_KINDS``
        Fault kinds: those of ``RandomNemesis`` (episodes every 30 time units on average,
        each 25 long; crashes and pauses hit brokers only, partitions split all nodes),
        and ``"isolation"`` (see ``FAULT_KINDS``), drawn from the seed apart.
    loss, duplication : float, default 0.02
        The network's own loss and duplication probabilities.

    Returns
    -------
    Simulation
        Run to time 600; faults end by 300.

    Raises
    ------
    TypeError, ValueError
        If ``config`` is not a ``LogConfig`` or a kind is unknown.

    Examples
    --------
    >>> faulty_run(seed=1).now
    600.0
    """
    config = _check_config(safe_config() if config is None else config, "faulty_run")
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or isinstance(kinds, str):
        raise ValueError(f"faulty_run: kinds {kinds!r}; allowed: any of {list(FAULT_KINDS)}")
    random_kinds = tuple(k for k in kinds if k != "isolation")
    nemesis = None
    if random_kinds:
        nemesis = RandomNemesis(
            until=FAULTS_UNTIL,
            kinds=random_kinds,
            mean_interval=30.0,
            duration=25.0,
            nodes=config.broker_ids,
        )
    network = Network(latency=1.0, loss=loss, duplication=duplication)
    sim = Simulation(
        log_system(config), seed=seed, network=network, nemesis=nemesis, record_trace=False
    )
    if "isolation" in kinds:
        for t, fault in isolations(config, random.Random(f"{seed}:isolation")):
            sim.at(t, fault)
    return sim.run(until=RUN_UNTIL)


def isolations(
    config: LogConfig, rng: random.Random, others: tuple[str, ...] | None = None
) -> list[tuple[float, Fault]]:
    """Episodes that cut a random set of brokers off; half follow on without a heal.

    Parameters
    ----------
    config : LogConfig
    rng : random.Random
    others : tuple of str, optional
        The nodes that are not brokers (default: those of ``log_system(config)``).

    Returns
    -------
    list of (time, fault)
        Until ``FAULTS_UNTIL``, ending with a heal.

    Examples
    --------
    >>> [(round(t), type(f).__name__) for t, f in isolations(LogConfig(), random.Random(1))][:3]
    [(6, 'Partition'), (33, 'Heal'), (75, 'Partition')]
    """
    brokers = config.broker_ids
    if others is None:
        others = tuple(sorted({*log_system(config).ids} - {*brokers}))
    out: list[tuple[float, Fault]] = []
    t = rng.expovariate(1 / 40.0)
    while t < FAULTS_UNTIL:
        cut = tuple(b for b in brokers if rng.random() < 0.5) or (rng.choice(brokers),)
        rest = tuple(sorted({*brokers} - {*cut})) + others
        out.append((t, Partition((cut, rest))))
        t += rng.uniform(15.0, 40.0)
        if rng.random() < 0.5:
            out.append((t, Heal()))
            t += rng.expovariate(1 / 40.0)
    out.append((max(t, FAULTS_UNTIL), Heal()))
    return out


def isolation_scenario(config: LogConfig | None = None) -> Simulation:
    """A fixed schedule that needs an unclean election to lose a record.

    At time 20 broker ``b3`` is cut off: it leaves the ISR, and records are committed on
    ``b1`` and ``b2`` only. At time 90 ``b3`` is back, but ``b1`` and ``b2`` are cut off
    from everyone else, the controller included. Clean election waits for them; unclean
    election makes ``b3`` leader, without the records of times 20-90. Everything heals
    at time 150.

    Parameters
    ----------
    config : LogConfig, optional
        Default ``safe_config()``; it must have the three brokers ``b1 .. b3``.

    Returns
    -------
    Simulation
        Run to time 600, without loss or duplication.

    Raises
    ------
    ValueError
        If ``config`` does not have exactly three brokers.

    Examples
    --------
    >>> judge(isolation_scenario(safe_config(unclean=True))).counts()["lost"] > 0
    True
    """
    config = _check_config(safe_config() if config is None else config, "isolation_scenario")
    if config.brokers != 3:
        raise ValueError(f"isolation_scenario: brokers={config.brokers}; it needs 3")
    rest = ("controller", *config.producer_ids, "reader")
    nemesis = Nemesis(
        [
            (20.0, Partition((("b3",), ("b1", "b2", *rest)))),
            (90.0, Partition((("b1", "b2"), ("b3", *rest)))),
            (150.0, Heal()),
        ]
    )
    sim = Simulation(log_system(config), seed=0, nemesis=nemesis, record_trace=False)
    return sim.run(until=RUN_UNTIL)


def judge(
    sim: Simulation, guarantee: str | Sequence[str] = ("exactly-once", "per-key order")
) -> QueueCheckResult:
    """``check_queue`` on what the producers sent and the reader read in ``sim``.

    Parameters
    ----------
    sim : Simulation
        A finished run of ``log_system``.
    guarantee : str or sequence of str, default exactly-once and per-key order

    Returns
    -------
    QueueCheckResult

    Examples
    --------
    >>> judge(faulty_run(seed=0), "at-least-once").ok
    True
    """
    sends, receives = sends_and_receives(sim.states)
    return check_queue(sends, receives, guarantee)


def read_committed_violation(sim: Simulation, config: LogConfig) -> str:
    """ "" if every read record is still in its partition's log at its offset, else why."""
    logs = final_logs(sim.states, config)
    for p, offset, _key, value in sim.states["reader"].read:
        log = logs.get(p, ())
        if offset >= len(log) or log[offset].value != value:
            now = log[offset].value if offset < len(log) else "nothing"
            return f"read {value!r} at partition {p} offset {offset}; the log now has {now!r}"
    return ""


def _runs(config: LogConfig, seeds: int) -> Iterable[tuple[str, Simulation]]:
    if config.brokers == 3:
        yield "isolation_scenario", isolation_scenario(config)
    for seed in range(seeds):
        yield f"seed {seed}", faulty_run(config, seed)


def _first_failure(config: LogConfig, seeds: int, verdict: Callable[[Simulation], str]) -> Outcome:
    for i, (name, sim) in enumerate(_runs(config, seeds)):
        why = verdict(sim)
        if why:
            return Outcome(False, i + 1, f"{name}: {why}")
    return Outcome(True)


def no_lost_acknowledged(config: LogConfig, seeds: int = 10) -> Outcome:
    """Every acknowledged record is read, in the isolation scenario and seeds ``0..seeds-1``.

    Parameters
    ----------
    config : LogConfig
    seeds : int, default 10

    Returns
    -------
    Outcome
        ``counterexample_length`` is the position of the first failing run (1: the
        scenario); ``detail`` names it and says what was lost.

    Examples
    --------
    >>> no_lost_acknowledged(safe_config(mutant="ack_before_isr")).detail
    'seed 0: at-least-once: 2 lost (duplicated 0, reordered 0, phantom 0)'
    """
    _check_config(config, "no_lost_acknowledged")

    def lost(sim: Simulation) -> str:
        result = judge(sim, "at-least-once")
        return "" if result.ok else result.summary()

    return _first_failure(config, seeds, lost)


def no_duplicates(config: LogConfig, seeds: int = 10) -> Outcome:
    """No record is read twice, in the isolation scenario and seeds ``0..seeds-1``.

    Parameters
    ----------
    config : LogConfig
    seeds : int, default 10

    Returns
    -------
    Outcome

    Examples
    --------
    >>> no_duplicates(safe_config(idempotent=False)).ok
    False
    """
    _check_config(config, "no_duplicates")

    def duplicated(sim: Simulation) -> str:
        result = judge(sim, "at-most-once")
        return "" if result.ok else result.summary()

    return _first_failure(config, seeds, duplicated)


def read_committed(config: LogConfig, seeds: int = 10) -> Outcome:
    """Every record the reader read stays in the log at its offset (seeds ``0..seeds-1``).

    A reader reads below the high watermark only; a record there is committed and no
    truncation may remove it.

    Parameters
    ----------
    config : LogConfig
    seeds : int, default 10

    Returns
    -------
    Outcome

    Examples
    --------
    >>> read_committed(safe_config()).ok
    True
    """
    config = _check_config(config, "read_committed")
    return _first_failure(config, seeds, lambda sim: read_committed_violation(sim, config))


CHECKS: dict[str, Callable[..., Outcome]] = {
    "no lost acknowledged": no_lost_acknowledged,
    "no duplicates": no_duplicates,
    "read committed": read_committed,
}
"""The named checks of the log, each a function of a ``LogConfig``."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "ack_before_isr": ("no lost acknowledged",),
    "unclean_election": ("no lost acknowledged", "read committed"),
    "hw_past_isr": ("read committed", "no lost acknowledged"),
    "retry_without_idempotence": ("no duplicates",),
}
"""The checks that must catch each mutant of ``dslib.queues.log.MUTANTS``."""


def mutant_report(config: LogConfig | None = None, seeds: int = 10) -> MutantReport:
    """Run every check on the safe configuration and on each mutant of it.

    Parameters
    ----------
    config : LogConfig, optional
        Default ``safe_config()``; each mutant is this with ``mutant=`` set.
    seeds : int, default 10
        Each check runs the isolation scenario and ``faulty_run`` on seeds ``0..seeds-1``.

    Returns
    -------
    MutantReport
        Its ``to_frame()`` is the chapter's mutant table; ``problems()`` is empty when
        the correct version passes and every mutant is caught by its checks.

    Examples
    --------
    >>> report = mutant_report(seeds=3)
    >>> report.problems()
    []
    >>> print(report.to_frame()[["mutant", "caught by"]].to_string(index=False))
                       mutant                            caught by
              correct version            none: passes all 3 checks
               ack_before_isr                 no lost acknowledged
                  hw_past_isr no lost acknowledged, read committed
    retry_without_idempotence                        no duplicates
             unclean_election no lost acknowledged, read committed
    """
    base = _check_config(safe_config() if config is None else config, "mutant_report")

    def build(name: str) -> Callable[[], LogConfig]:
        return lambda: replace(base, mutant=name)

    mutants = [
        Mutant(name, MUTANTS[name], build(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    checks: dict[str, Callable[[LogConfig], Outcome]] = {
        name: partial(check, seeds=seeds) for name, check in CHECKS.items()
    }
    return run_mutants(lambda: base, mutants, checks)


def catch_rate(
    config: LogConfig, seeds: Iterable[int], check: str = "exactly-once"
) -> tuple[int, int]:
    """``(caught, runs)``: on how many seeds of ``faulty_run`` a check fails.

    Parameters
    ----------
    config : LogConfig
    seeds : iterable of int
    check : str, default "exactly-once"
        A guarantee of ``check_queue`` or ``"read committed"``.

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> catch_rate(safe_config(mutant="retry_without_idempotence"), range(4), "at-most-once")
    (4, 4)
    """
    config = _check_config(config, "catch_rate")
    caught = runs = 0
    for seed in seeds:
        sim = faulty_run(config, seed)
        if check == "read committed":
            caught += bool(read_committed_violation(sim, config))
        else:
            caught += not judge(sim, check).ok
        runs += 1
    return caught, runs


def configuration_table(seeds: Iterable[int], base: LogConfig | None = None) -> Any:
    """Lost, duplicated and reordered records for each of 24 configurations.

    acks 0, 1, all x min_insync 1, 2 x clean or unclean election x idempotence off, on;
    each configuration runs ``faulty_run`` on every seed.

    Parameters
    ----------
    seeds : iterable of int
    base : LogConfig, optional
        The other settings (default ``LogConfig()``).

    Returns
    -------
    pandas.DataFrame
        One row per configuration: ``runs``, then for lost, duplicated and reordered the
        runs that had any (``*_runs``) and the records in all (``lost`` ...).

    Examples
    --------
    >>> t = configuration_table(range(1))
    >>> len(t), list(t.columns[:4])
    (24, ['acks', 'min_insync', 'unclean', 'idempotent'])
    """
    import pandas as pd

    base = _check_config(LogConfig() if base is None else base, "configuration_table")
    seeds = list(seeds)
    rows = []
    acks_values: tuple[int | str, ...] = (0, 1, "all")
    for acks, min_insync, unclean, idempotent in product(
        acks_values, (1, 2), (False, True), (False, True)
    ):
        config = replace(
            base, acks=acks, min_insync=min_insync, unclean=unclean, idempotent=idempotent
        )
        totals = dict.fromkeys(("lost", "duplicated", "reordered"), 0)
        runs_with = dict.fromkeys(totals, 0)
        for seed in seeds:
            counts = judge(faulty_run(config, seed)).counts()
            for kind in totals:
                totals[kind] += counts[kind]
                runs_with[kind] += counts[kind] > 0
        rows.append(
            {
                "acks": str(acks),
                "min_insync": min_insync,
                "unclean": unclean,
                "idempotent": idempotent,
                "runs": len(seeds),
                **{f"{k}_runs": runs_with[k] for k in totals},
                **totals,
            }
        )
    return pd.DataFrame(rows)
