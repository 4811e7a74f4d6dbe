"""The Jepsen-style test of real processes (dslib.capstone.jepsen), beside the simulator.

One table, a row per run:

- **raft, real**: the book's Raft key-value store, 3 and then 5 servers, 3 clients,
  every node its own process, for ``--seconds`` under a nemesis drawn from the seed
  (kill -9 and restart, SIGSTOP and SIGCONT, partitions through the proxy; an episode
  every 3 s on average, lasting 1.5 s), then healed;
- **raft, simulated**: the same configuration, the same nemesis schedule (the same
  seed draws it) and as many operations per client as the real clients completed, in
  the simulator (network latency uniform on 1-5 ms): its throughput and latency are
  in simulated time, so they show what the protocol costs apart from processes,
  the kernel and fsync;
- **raft, real, +1-5 ms**: 3 servers again, with the proxy adding the simulator's
  latency (uniform on 1-5 ms a message), the configuration closest to the simulated one;
- **etcd**: three etcd members under the same nemesis, the register workload
  (gets, puts, cas), reads linearizable (etcd's default) and then serializable;
- **etcd stale read**: the minimal partition scenario, both kinds of read.

Columns: operations by outcome, throughput (ok operations per second), latency of ok
operations (p50, p99, ms), acknowledged appends lost and appends doubled (Raft), and
the verdict (linearizability, lost or doubled writes, Figure 3's properties). The
real runs' figures are wall time on this machine under its current load; run it
on a quiet machine for figures to compare across machines.

Run: ``python benchmarks/bench_runtime_jepsen.py [--seconds 60] [--seed 0] [--no-etcd]``
(about ``5 x seconds`` plus a minute).
"""

from __future__ import annotations

import argparse
import shutil
import time
from typing import Any

from dslib.capstone.jepsen import (
    KINDS,
    RealRun,
    history_stats,
    run_etcd,
    run_raft,
    stale_read,
)
from dslib.raft.kv import run_kv
from dslib.sim import Network, RandomNemesis, uniform

COLUMNS = (
    ("run", 68),
    ("s", 6),
    ("faults", 6),
    ("ok", 6),
    ("info", 5),
    ("fail", 5),
    ("ops/s", 7),
    ("p50 ms", 7),
    ("p99 ms", 7),
    ("lost", 5),
    ("dbl", 4),
    ("verdict", 10),
)


def row(
    name: str,
    seconds: float,
    faults: int,
    stats: dict[str, float],
    lost: int,
    doubled: int,
    verdict: str,
) -> str:
    values: list[Any] = [
        name,
        f"{seconds:.0f}",
        faults,
        int(stats["ok"]),
        int(stats["info"]),
        int(stats["fail"]),
        f"{stats['throughput']:.0f}",
        f"{stats['p50']:.1f}",
        f"{stats['p99']:.1f}",
        lost,
        doubled,
        verdict,
    ]
    return " ".join(f"{v!s:<{w}}" for v, (_, w) in zip(values, COLUMNS, strict=True))


def real_row(run: RealRun, label: str = "real") -> str:
    faults = sum(1 for _, what in run.faults if not what.startswith(("Restart", "Heal", "resume")))
    return row(
        f"{run.system}, {label}",
        run.seconds,
        faults,
        run.stats,
        len(run.lost),
        len(run.doubled),
        run.verdict,
    )


def simulated_row(real: RealRun, servers: int, clients: int, seconds: float, seed: int) -> str:
    ops = max(1, round(real.stats["ok"] / clients))
    nemesis = RandomNemesis(
        seconds * 1000.0, KINDS, 3000.0, 1500.0, nodes=[f"s{i}" for i in range(1, servers + 1)]
    )
    start = time.process_time()
    sim = run_kv(seed, servers=servers, clients=clients, ops=ops, nemesis=nemesis, shrink=False)
    cpu = time.process_time() - start
    return (
        row(
            f"raft {servers} servers, {clients} clients, simulated",
            sim.sim.now / 1000.0,
            sim.faults,
            history_stats(sim.history),
            len(sim.lost),
            len(sim.doubled),
            sim.verdict,
        )
        + f"  ({cpu:.1f} s CPU)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--no-etcd", action="store_true")
    args = parser.parse_args()
    print(" ".join(f"{name:<{w}}" for name, w in COLUMNS), flush=True)
    for servers in (3, 5):
        real = run_raft(servers, args.clients, args.seconds, seed=args.seed)
        print(real_row(real), flush=True)
        print(simulated_row(real, servers, args.clients, args.seconds, args.seed), flush=True)
    # The simulator's network, added by the proxy: latency uniform on 1-5 ms a message.
    delayed = run_raft(
        3, args.clients, args.seconds, seed=args.seed, network=Network(latency=uniform(1.0, 5.0))
    )
    print(real_row(delayed, "real, +1-5 ms"), flush=True)
    if args.no_etcd:
        return
    if shutil.which("etcd") is None:
        print("etcd: skipped (no etcd binary on PATH; apt-get install etcd-server)")
        return
    for serializable in (False, True):
        run = run_etcd(3, args.clients, args.seconds, seed=args.seed, serializable=serializable)
        print(real_row(run), flush=True)
    for serializable in (False, True):
        print(real_row(stale_read(serializable)), flush=True)


if __name__ == "__main__":
    main()
