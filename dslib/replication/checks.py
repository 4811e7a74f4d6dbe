"""The checks of chapter 12, and the broken variants they must catch (the mutant table).

A ``ReplicationVariant`` names one version of each protocol of the chapter:
the ABD read decision, the quorum sizes, whether the primary acknowledges
before its backup has a write, and the CRDT counter. The correct variant is
``ReplicationVariant()``; each mutant changes one thing:

- ``no-write-back``: ABD reads return without writing back (``no_write_back``);
- ``R+W<=N``: quorums of 1 out of 3 presented as strong consistency;
- ``summing-merge``: a G-counter whose merge adds (not idempotent);
- ``ack-before-backup``: the primary acknowledges before the backup has the write;
- ``no-lease``: the chain's tail answers reads without a lease.

``replication_checks()`` returns the checks by name, each a function of a
variant returning an ``Outcome``; ``replication_mutant_report()`` runs them all
(``dslib.mutants.run_mutants``).

Examples
--------
>>> checks = replication_checks(seeds=4)
>>> sorted(checks)[:3]
['ABD: linearizable under random faults', 'ABD: new-old inversion scenario', \
'CRDT: merge laws (hypothesis)']
>>> checks["z3: read and write quorums intersect"](ReplicationVariant(quorums=(3, 1, 1))).ok
False
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dslib.mutants import Mutant, MutantReport, Outcome, run_mutants
from dslib.replication.abd import (
    ReadDecision,
    abd_read_decision,
    abd_system,
    default_register_workloads,
    inversion_scenario,
    no_write_back,
)
from dslib.replication.chain import lease_scenario
from dslib.replication.crdts import check_merge_laws, crdt_convergence, crdt_system
from dslib.replication.primary_backup import partition_scenario
from dslib.sim.nemesis import RandomNemesis
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation

__all__ = [
    "ReplicationVariant",
    "replication_checks",
    "replication_mutant_report",
    "replication_mutants",
]


@dataclass(frozen=True)
class ReplicationVariant:
    """One version of each protocol of chapter 12 (the default: all correct).

    Examples
    --------
    >>> ReplicationVariant().quorums
    (3, 2, 2)
    """

    read_decision: ReadDecision = abd_read_decision
    quorums: tuple[int, int, int] = (3, 2, 2)
    ack_before_backup: bool = False
    counter: str = "g-counter"
    chain_lease: float = 10.0


def _linearizable(history: Any, model: Any) -> Outcome:
    from dslib.consistency import check_linearizable

    result = check_linearizable(history, model)
    if result.ok:
        return Outcome(True)
    return Outcome(False, len(result.minimal) if result.minimal else None)


def replication_checks(seeds: int = 20) -> dict[str, Callable[[ReplicationVariant], Outcome]]:
    """The chapter's checks by name, each a function of a ``ReplicationVariant``.

    Parameters
    ----------
    seeds : int, default 20
        How many seeded runs with random partitions and crashes the ABD check makes.

    Examples
    --------
    >>> check = replication_checks(seeds=2)["CRDT: merge laws (hypothesis)"]
    >>> check(ReplicationVariant()).ok
    True
    """
    if not (isinstance(seeds, int) and seeds >= 1):
        raise ValueError(f"replication_checks: seeds={seeds!r} must be an int >= 1")
    from dslib.consistency import KeyValue, Register

    def inversion(v: ReplicationVariant) -> Outcome:
        n, r, w = v.quorums
        if n != 3:
            return Outcome(True, None, "the scenario has 3 replicas")
        sim = inversion_scenario(v.read_decision, r, w).run()
        return _linearizable(sim.history, Register())

    def random_faults(v: ReplicationVariant) -> Outcome:
        n, r, w = v.quorums
        for seed in range(seeds):
            system = abd_system(
                n, 3, default_register_workloads(3, 8), r, w, read_decision=v.read_decision
            )
            nemesis = RandomNemesis(
                until=150,
                kinds=("partition", "crash"),
                mean_interval=30,
                duration=20,
                nodes=tuple(f"s{i}" for i in range(1, n + 1)),
            )
            network = Network(latency=exponential(3.0), loss=0.05)
            sim = Simulation(system, seed=seed, network=network, nemesis=nemesis).run(until=400)
            out = _linearizable(sim.history, Register())
            if not out.ok:
                return Outcome(False, out.counterexample_length, f"seed {seed}")
        return Outcome(True, None, f"{seeds} seeds")

    def quorums_intersect(v: ReplicationVariant) -> Outcome:
        from dslib.pbs import intersection

        n, r, w = v.quorums
        result = intersection(n, r, w)
        if result.holds:
            return Outcome(True)
        a, b = result.witness
        return Outcome(False, len(a) + len(b), repr(result))

    def pb_partition(v: ReplicationVariant) -> Outcome:
        sim = partition_scenario(v.ack_before_backup).run(until=400.0)
        return _linearizable(sim.history, KeyValue())

    def chain_partition(v: ReplicationVariant) -> Outcome:
        sim = lease_scenario(v.chain_lease).run(until=300.0)
        return _linearizable(sim.history, KeyValue())

    def merge_laws(v: ReplicationVariant) -> Outcome:
        return check_merge_laws(v.counter, max_examples=50)

    def converge(v: ReplicationVariant) -> Outcome:
        sim = Simulation(crdt_system(v.counter, gossip_until=200.0), seed=1)
        sim.at(10.0, lambda s: s.partition(("c1", "r1"), ("c2", "c3", "r2", "r3")))
        sim.at(60.0, lambda s: s.heal())
        return crdt_convergence(sim.run())

    return {
        "ABD: new-old inversion scenario": inversion,
        "ABD: linearizable under random faults": random_faults,
        "z3: read and write quorums intersect": quorums_intersect,
        "primary-backup: partition scenario": pb_partition,
        "chain: partition isolates the tail": chain_partition,
        "CRDT: merge laws (hypothesis)": merge_laws,
        "CRDT: replicas converge": converge,
    }


def replication_mutants() -> list[Mutant[ReplicationVariant]]:
    """The mutants of chapter 12, each with the checks that must catch it.

    >>> [m.name for m in replication_mutants()]
    ['no-write-back', 'R+W<=N', 'summing-merge', 'ack-before-backup', 'no-lease']
    """
    return [
        Mutant(
            "no-write-back",
            "ABD read returns the newest value of a majority without writing it back",
            lambda: ReplicationVariant(read_decision=no_write_back),
            ("ABD: new-old inversion scenario",),
        ),
        Mutant(
            "R+W<=N",
            "read and write quorums of 1 of 3 presented as strong consistency",
            lambda: ReplicationVariant(quorums=(3, 1, 1)),
            ("ABD: linearizable under random faults", "z3: read and write quorums intersect"),
        ),
        Mutant(
            "summing-merge",
            "a G-counter merge that adds the entries: not idempotent",
            lambda: ReplicationVariant(counter="summing-g-counter"),
            ("CRDT: merge laws (hypothesis)", "CRDT: replicas converge"),
        ),
        Mutant(
            "ack-before-backup",
            "the primary acknowledges a write before the backup has it",
            lambda: ReplicationVariant(ack_before_backup=True),
            ("primary-backup: partition scenario",),
        ),
        Mutant(
            "no-lease",
            "the chain's tail answers reads without a lease from the master",
            lambda: ReplicationVariant(chain_lease=math.inf),
            ("chain: partition isolates the tail",),
        ),
    ]


def replication_mutant_report(seeds: int = 20) -> MutantReport:
    """Run every check on the correct variant and on each mutant.

    >>> report = replication_mutant_report(seeds=10)
    >>> report.ok
    True
    """
    return run_mutants(ReplicationVariant, replication_mutants(), replication_checks(seeds))
