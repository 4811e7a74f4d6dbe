"""End to end: producer -> replicated log -> consumer group -> sink, under faults.

``dslib.queues.checks`` judges the log alone (a reader that never fails reads it) and
``dslib.queues.groups.group_run`` the consumer group alone (faults hit only the
consumers). A record can be lost or repeated at either stage, so a guarantee is a
property of the whole path: what the application's producer sent against what the sink
stored. ``end_to_end_run`` runs that whole path, ``group_system`` with a nemesis that
crashes, pauses and isolates brokers *and* consumers, partitions the network and raises
its loss, while the network loses and duplicates 2 % of all messages. Faults end by time
250; the run goes on to time 600, so the group catches up with whatever the log kept.

``end_to_end_table`` runs every combination of the knobs that decide the guarantee:
``acks`` 0, 1 or all x ``min_insync`` 1 or 2 x clean or unclean election x a plain or an
idempotent producer x the three commit policies: 72 configurations, each on every seed.

Examples
--------
>>> judge_end_to_end(end_to_end_run(safe_group_config(), seed=0)).summary()
'exactly-once, per-key order: ok (lost 0, duplicated 0, reordered 0, phantom 0)'
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from itertools import product
from typing import Any

from dslib.queues.checker import QueueCheckResult
from dslib.queues.checks import FAULTS_UNTIL, RUN_UNTIL, isolations
from dslib.queues.groups import COMMIT_POLICIES, GroupConfig, group_system, judge_group
from dslib.queues.log import ACKS, LogConfig
from dslib.sim.nemesis import RandomNemesis
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation
from dslib.testing.executors import Executor, check_executor, map_seeds

__all__ = [
    "END_TO_END_KINDS",
    "end_to_end_counts",
    "end_to_end_run",
    "end_to_end_table",
    "judge_end_to_end",
    "safe_group_config",
]

END_TO_END_KINDS = ("crash", "pause", "partition", "loss")
"""The random faults of ``end_to_end_run`` (with isolations of brokers besides)."""

KINDS = ("lost", "duplicated", "reordered")


def safe_group_config(**options: Any) -> GroupConfig:
    """The safe configuration end to end: acks all, min_insync 2 of 3, clean elections,
    an idempotent producer, and commit after processing into an idempotent sink.

    Parameters
    ----------
    **options
        Fields of ``GroupConfig`` to change (``log=`` replaces the log's settings).

    Examples
    --------
    >>> c = safe_group_config()
    >>> c.log.acks, c.log.min_insync, c.log.unclean, c.log.idempotent, c.policy
    ('all', 2, False, True, 'effectively-once')
    """
    log = LogConfig(
        partitions=3,
        messages=30,
        acks="all",
        min_insync=2,
        replication_factor=3,
        unclean=False,
        idempotent=True,
    )
    return replace(GroupConfig(log=log, policy="effectively-once"), **options)


def end_to_end_run(
    config: GroupConfig | None = None,
    seed: int = 0,
    loss: float = 0.02,
    duplication: float = 0.02,
) -> Simulation:
    """One seeded run of the whole path under faults that hit brokers and consumers.

    Parameters
    ----------
    config : GroupConfig, optional
        Default ``safe_group_config()``; its log must have three brokers.
    seed : int, default 0
    loss, duplication : float, default 0.02
        The network's own probabilities.

    Returns
    -------
    Simulation
        Run to time 600. Random episodes (``END_TO_END_KINDS``, every 30 units on average,
        25 long) hit the brokers and the consumers; isolations (``dslib.queues.checks``'
        ``FAULT_KINDS``) cut sets of brokers off from every other node; all end by 250.

    Raises
    ------
    TypeError
        If ``config`` is not a ``GroupConfig``.

    Examples
    --------
    >>> end_to_end_run(seed=1).now
    600.0
    """
    config = safe_group_config() if config is None else config
    if not isinstance(config, GroupConfig):
        raise TypeError(f"end_to_end_run: config={config!r} must be a GroupConfig")
    system = group_system(config)
    victims = (*config.log.broker_ids, *config.consumer_ids)
    nemesis = RandomNemesis(
        until=FAULTS_UNTIL,
        kinds=END_TO_END_KINDS,
        mean_interval=30.0,
        duration=25.0,
        nodes=victims,
    )
    network = Network(latency=1.0, loss=loss, duplication=duplication)
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis, record_trace=False)
    others = tuple(sorted(set(system.ids) - set(config.log.broker_ids)))
    for t, fault in isolations(config.log, random.Random(f"{seed}:isolation"), others):
        sim.at(t, fault)
    return sim.run(until=RUN_UNTIL)


def judge_end_to_end(sim: Simulation) -> QueueCheckResult:
    """``check_queue`` for exactly-once and per-key order: producers' sends against the sink.

    Examples
    --------
    >>> judge_end_to_end(end_to_end_run(safe_group_config(policy="at-least-once"), 2)).ok
    False
    """
    return judge_group(sim, ("exactly-once", "per-key order"))


def end_to_end_counts(config: GroupConfig, seed: int) -> dict[str, int]:
    """Lost, duplicated and reordered records of ``end_to_end_run(config, seed)``.

    Examples
    --------
    >>> end_to_end_counts(safe_group_config(), 0)
    {'lost': 0, 'duplicated': 0, 'reordered': 0}
    """
    counts = judge_end_to_end(end_to_end_run(config, seed)).counts()
    return {k: counts[k] for k in KINDS}


def _grid(
    base: GroupConfig, acks_values: Sequence[int | str], policies: Sequence[str]
) -> list[tuple[dict[str, Any], GroupConfig]]:
    """The configurations (72 with every acks and policy), each with its labels."""
    out = []
    for acks, min_insync, unclean, idempotent, policy in product(
        acks_values, (1, 2), (False, True), (False, True), policies
    ):
        log = replace(
            base.log, acks=acks, min_insync=min_insync, unclean=unclean, idempotent=idempotent
        )
        labels = {
            "acks": str(acks),
            "min_insync": min_insync,
            "election": "unclean" if unclean else "clean",
            "producer": "idempotent" if idempotent else "plain",
            "policy": policy,
        }
        out.append((labels, replace(base, log=log, policy=policy)))
    return out


def _one_seed(configs: list[GroupConfig], seed: int) -> list[dict[str, int]]:
    return [end_to_end_counts(c, seed) for c in configs]


def end_to_end_table(
    seeds: Iterable[int],
    base: GroupConfig | None = None,
    *,
    acks: Sequence[int | str] = ACKS,
    policies: Sequence[str] = COMMIT_POLICIES,
    executor: Executor = None,
) -> Any:
    """Lost, duplicated and reordered records end to end, for each of 72 configurations.

    acks 0, 1, all x min_insync 1, 2 x clean or unclean election x plain or idempotent
    producer x at-most-once, at-least-once or effectively-once commits; every
    configuration runs ``end_to_end_run`` on every seed.

    Parameters
    ----------
    seeds : iterable of int
    base : GroupConfig, optional
        The other settings (default ``safe_group_config()``).
    acks : sequence of {0, 1, "all"}, default all three
    policies : sequence of str, default ``COMMIT_POLICIES``
        Fewer values make a smaller table (8 rows per acks and policy).
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``); the table is the
        same whichever does.

    Returns
    -------
    pandas.DataFrame
        One row per configuration: the five knobs, ``runs``, then for lost, duplicated
        and reordered the runs that had any (``lost_runs`` ...) and the records in all.

    Raises
    ------
    TypeError
        If ``base`` is not a ``GroupConfig``, ``acks`` or ``policies`` is a string, or
        ``executor`` cannot run seeds.
    ValueError
        If there are no seeds, or an ``acks`` or policy is not allowed.

    Examples
    --------
    >>> t = end_to_end_table([0], acks=["all"], policies=["effectively-once"])
    >>> len(t), list(t.columns[:6])
    (8, ['acks', 'min_insync', 'election', 'producer', 'policy', 'runs'])
    >>> end_to_end_table([0], policies=["exactly-once"])
    Traceback (most recent call last):
    ...
    ValueError: end_to_end_table: policies ['exactly-once']; allowed: any of \
['at-most-once', 'at-least-once', 'effectively-once']
    """
    import pandas as pd

    base = safe_group_config() if base is None else base
    if not isinstance(base, GroupConfig):
        raise TypeError(f"end_to_end_table: base={base!r} must be a GroupConfig")
    check_executor(executor, "end_to_end_table")
    seeds = list(seeds)
    if not seeds:
        raise ValueError("end_to_end_table: no seeds; give at least one")
    if isinstance(policies, str) or isinstance(acks, str):
        raise TypeError("end_to_end_table: acks and policies must be sequences, not one string")
    acks, policies = list(acks), list(policies)
    if not policies or any(p not in COMMIT_POLICIES for p in policies):
        raise ValueError(
            f"end_to_end_table: policies {policies!r}; allowed: any of {list(COMMIT_POLICIES)}"
        )
    if not acks or any(a not in ACKS or isinstance(a, bool) for a in acks):
        raise ValueError(f"end_to_end_table: acks {acks!r}; allowed: any of [0, 1, 'all']")
    grid = _grid(base, acks, policies)
    per_seed = map_seeds(
        partial(_one_seed, [c for _, c in grid]), seeds, executor, owner="end_to_end_table"
    )
    rows = []
    for i, (labels, _) in enumerate(grid):
        counts = [results[i] for results in per_seed]
        rows.append(
            {
                **labels,
                "runs": len(seeds),
                **{f"{k}_runs": sum(c[k] > 0 for c in counts) for k in KINDS},
                **{k: sum(c[k] for c in counts) for k in KINDS},
            }
        )
    return pd.DataFrame(rows)
