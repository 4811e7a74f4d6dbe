"""Property-based testing under faults: hypothesis chooses the schedule, and shrinks it.

A distributed system's bug hides in *one* order of events among very many:
a message late, a node crashing at the wrong moment, a partition followed by
a crash. ``dslib.testing`` lets hypothesis (MacIver et al. 2019) look for it,
the way QuickCheck (Claessen and Hughes 2000) tests a function: generate many
random cases, check a property on each, and shrink a failing case to a small
one.

- ``strategies``: hypothesis strategies for fault schedules (partitions of
  several shapes, crashes, loss and duplication bursts, clock skew), client
  workloads and system sizes;
- ``machine``: ``Stepper`` (the steps of a run, applied to a ``Simulation``),
  ``SystemMachine`` and ``system_machine(make_system, ...)``, a hypothesis
  ``RuleBasedStateMachine`` whose rules deliver, drop, duplicate, fire timers,
  crash, restart, partition and heal;
- ``find_bug(system_factory, invariants=..., consistency=...)``: search and
  shrink, for the chapters: "no bug found in N examples", or a short failing
  schedule that replays in the simulator and draws as a space-time diagram;
- ``sweep(system_factory, seeds=..., nemesis=...)``: many seeded simulations,
  and a table of their outcomes;
- ``executors``: ``map_seeds(task, seeds, executor=...)`` runs one task per seed
  here, on local processes or on a Dask cluster, and returns the results in the
  seeds' order, so a sweep prints the same table whoever runs it; every seeded
  sweep of the book takes such an ``executor=``;
- the systems it is measured on, whose bugs need 1, 2 or 3 faults in order, with a
  shortest failing schedule written by hand, are ``dslib.small_systems.fault_bugs``
  (``benchmarks/bench_find_bug.py``).

A check that is itself broken (an invariant that raises, returns something
other than a verdict, or takes the wrong arguments) raises ``CheckError``: an
error in the check, never reported as a bug in the system.

Examples
--------
>>> from dslib.consistency import Register, check_linearizable
>>> from dslib.small_systems.registers import primary_backup
>>> result = find_bug(lambda: primary_backup(mutant="forget-when-alone"),
...                   consistency=lambda h: check_linearizable(h, Register()))
>>> result.ok, result.violated
(False, 'consistency')
>>> any(isinstance(step, Crash) for step in result.schedule)
True
"""

from dslib.sim.nemesis import ClockSkew, Crash, Heal, Restart
from dslib.testing.executors import map_seeds
from dslib.testing.find_bug import (
    DEFAULT_WEIGHTS,
    FindBugResult,
    find_bug,
    find_bug_check,
    polish,
)
from dslib.testing.machine import (
    DEFAULT_FAULTS,
    FAULT_KINDS,
    STEP_KINDS,
    CheckError,
    Deliver,
    Duplicate,
    Fire,
    Invoke,
    Lose,
    MachineConfig,
    Step,
    Stepper,
    SystemMachine,
    Violation,
    describe_step,
    replay,
    system_machine,
    verdict,
)
from dslib.testing.strategies import (
    EPISODE_KINDS,
    SHAPES,
    WORKLOAD_KINDS,
    Split,
    all_partitions,
    clock_skews,
    fault_schedules,
    node_ids,
    partitions,
    system_sizes,
    workloads,
)
from dslib.testing.sweep import first_failure, run_seed, sweep, sweep_check

__all__ = [
    "DEFAULT_FAULTS",
    "DEFAULT_WEIGHTS",
    "EPISODE_KINDS",
    "FAULT_KINDS",
    "SHAPES",
    "STEP_KINDS",
    "WORKLOAD_KINDS",
    "CheckError",
    "ClockSkew",
    "Crash",
    "Deliver",
    "Duplicate",
    "FindBugResult",
    "Fire",
    "Heal",
    "Invoke",
    "Lose",
    "MachineConfig",
    "Restart",
    "Split",
    "Step",
    "Stepper",
    "SystemMachine",
    "Violation",
    "all_partitions",
    "clock_skews",
    "describe_step",
    "fault_schedules",
    "find_bug",
    "find_bug_check",
    "first_failure",
    "map_seeds",
    "node_ids",
    "partitions",
    "polish",
    "replay",
    "run_seed",
    "sweep",
    "sweep_check",
    "system_machine",
    "system_sizes",
    "verdict",
    "workloads",
]
