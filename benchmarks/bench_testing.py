"""Speed of testing under faults (dslib.testing): examples per second on 5-node systems.

Run: ``.venv/bin/python benchmarks/bench_testing.py [--examples N]``

Each row runs a search that finds nothing (a correct system), so every example is a full run:

- ``find_bug``: hypothesis draws each run as bytes, the ``Stepper`` takes up to 100 steps
  (fewer when the system falls idle);
- ``SystemMachine``: the rule-based hypothesis state machine, up to 40 rules per run;
- ``sweep``: seeded simulations with a random nemesis (one run per seed).

Both systems have five nodes: a quorum register with three replicas and two clients, and a
primary-backup register with three clients. Every run checks linearizability at its end.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Verbosity, settings
from hypothesis.stateful import run_state_machine_as_test

from dslib import System
from dslib.sim import Network, RandomNemesis, uniform
from dslib.small_systems.registers import (
    default_workloads,
    linearizable,
    primary_backup,
    quorum_register,
)
from dslib.testing import find_bug, sweep, system_machine


def quorum5() -> System:
    return quorum_register(replicas=3, clients=2)


def primary_backup5() -> System:
    return primary_backup(clients=3)


SYSTEMS: dict[str, tuple[Callable[[], System], tuple[str, ...]]] = {
    "quorum register (3 replicas, 2 clients)": (quorum5, ("r1", "r2", "r3")),
    "primary-backup (2 servers, 3 clients)": (primary_backup5, ("primary", "backup")),
}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def bench_find_bug(make: Callable[[], System], examples: int) -> tuple[float, float]:
    seconds, result = timed(lambda: find_bug(make, consistency=linearizable, max_examples=examples))
    assert result.ok, str(result)
    return result.examples / seconds, seconds


def bench_machine(make: Callable[[], System], examples: int) -> tuple[float, float]:
    runs: list[int] = []
    machine = system_machine(
        make, consistency=linearizable, on_run=lambda m: runs.append(len(m.stepper.steps))
    )
    config = settings(
        max_examples=examples,
        stateful_step_count=40,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    seconds, _ = timed(lambda: run_state_machine_as_test(machine, settings=config))
    return len(runs) / seconds, seconds


def bench_sweep(
    make: Callable[[], System], servers: tuple[str, ...], seeds: int
) -> tuple[float, float]:
    nemesis = RandomNemesis(
        until=300.0, kinds=("crash", "partition"), mean_interval=30.0, duration=15.0, nodes=servers
    )
    network = Network(latency=uniform(0.5, 5.0), duplication=0.1)
    seconds, table = timed(
        lambda: sweep(make, range(seeds), nemesis, consistency=linearizable, network=network)
    )
    assert (table["verdict"] == "ok").all()
    return seeds / seconds, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=300, help="examples (runs) per row")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    n = args.examples
    for name, (make, servers) in SYSTEMS.items():
        for tool, (rate, seconds) in (
            ("find_bug", bench_find_bug(make, n)),
            ("SystemMachine", bench_machine(make, n)),
            ("sweep", bench_sweep(make, servers, n)),
        ):
            rows.append((name, tool, n, seconds, rate))
    print(f"{'system (5 nodes)':42} {'tool':14} {'examples':>8} {'seconds':>8} {'examples/s':>11}")
    for name, tool, count, seconds, rate in rows:
        print(f"{name:42} {tool:14} {count:8d} {seconds:8.2f} {rate:11.0f}")
    print(f"(default workloads: {len(default_workloads(1)[0])} operations per client)")


if __name__ == "__main__":
    main()
