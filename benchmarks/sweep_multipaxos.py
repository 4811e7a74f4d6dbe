"""The seeded sweep of section 14.03: the Multi-Paxos key-value store under faults, many seeds.

Each seed is ``dslib.consensus.multipaxos.fault_run(seed, ops, clients)``: five
servers; clients that retry across servers; latency 1-5 ms (messages are
reordered) and 2% duplication; a random nemesis of crashes (acceptors recover
their promise and votes from disk), partitions, pauses and bursts of loss; and
every 600 ms the leader cut off with client c1. Each run is judged three ways:
linearizability of the clients' history (``dslib.consistency``), acknowledged
appends lost or applied twice in the final store, and log agreement (no two
servers applied different commands at the same position) every 50 ms.

It prints one line per bad seed (there should be none), then a table: runs,
client operations, faults, runs that failed, violations of each kind, unknown
verdicts (the linearizability checker's time limit) and the time taken. With ``--raft`` it runs
``dslib.raft``'s store on the same seeds, clients and faults, as the peer (no
snapshots on either side: Multi-Paxos here has no log compaction).

    .venv/bin/python benchmarks/sweep_multipaxos.py --seeds 300          # the acceptance run
    .venv/bin/python benchmarks/sweep_multipaxos.py --seeds 20 --raft    # a quick look, with Raft
    .venv/bin/python benchmarks/sweep_multipaxos.py --seeds 50 --mutant skip_noop_fill
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.consensus.multipaxos import FAULT_KINDS, MUTANTS, fault_run, fault_scenario
from dslib.raft.kv import run_kv


def raft_fault_run(seed: int, ops: int, clients: int) -> Any:
    """The Raft store under exactly the faults, network and clients of ``fault_run``."""
    return run_kv(seed, servers=5, clients=clients, ops=ops, **fault_scenario(ops))


def sweep(name: str, run: Callable[[int], Any], seeds: range) -> dict[str, Any]:
    """Run ``run(seed)`` for every seed; count operations, faults and verdicts."""
    ops = {"ok": 0, "info": 0, "fail": 0}
    bad = {"linearizability": 0, "log agreement / Figure 3": 0, "lost or doubled": 0}
    unknown = faults = failed = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for seed in seeds:
        r = run(seed)
        for k, v in r.ops.items():
            ops[k] = ops.get(k, 0) + v
        faults += r.faults
        unknown += r.result.verdict == "unknown"
        bad["linearizability"] += r.result.verdict == "violation"
        bad["log agreement / Figure 3"] += bool(r.violations)
        bad["lost or doubled"] += bool(r.lost or r.doubled)
        failed += r.verdict != "ok"
        if r.verdict != "ok":
            print(f"BAD {name} seed {seed}: {r}", flush=True)
        done = seed - seeds.start + 1
        if done % 50 == 0:
            print(f"  ... {name}: {done} seeds, {time.perf_counter() - wall:.0f} s", flush=True)
    return {
        "name": name,
        "runs": len(seeds),
        "ops": ops,
        "faults": faults,
        "bad": bad,
        "unknown": unknown,
        "failed": failed,
        "wall": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300, help="seeds FIRST..FIRST+N-1")
    parser.add_argument("--first", type=int, default=0, help="the first seed")
    parser.add_argument("--ops", type=int, default=30, help="operations per client")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--mutant", choices=sorted(MUTANTS), default=None)
    parser.add_argument("--raft", action="store_true", help="also run the Raft store (the peer)")
    args = parser.parse_args()
    for name in ("seeds", "ops", "clients"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} {getattr(args, name)}: must be >= 1")
    seeds = range(args.first, args.first + args.seeds)
    label = f"multi-paxos ({args.mutant})" if args.mutant else "multi-paxos"
    rows = [
        sweep(
            label,
            lambda s: fault_run(s, args.ops, args.clients, args.mutant),
            seeds,
        )
    ]
    if args.raft:
        rows.append(sweep("raft", lambda s: raft_fault_run(s, args.ops, args.clients), seeds))
    print()
    print(
        f"seeds {seeds.start}..{seeds.stop - 1}; 5 servers, {args.clients} clients x "
        f"{args.ops} operations; faults: {', '.join(FAULT_KINDS)}, duplication 2%, "
        "leader isolation every 600 ms"
    )
    head = (
        f"{'store':32} {'runs':>5} {'operations':>10} {'ok':>7} {'info':>6} {'faults':>7} "
        f"{'failed':>6} {'lin. viol.':>10} {'log/fig.3':>9} {'lost/dup':>8} {'unknown':>7} "
        f"{'wall s':>7} {'cpu s':>7}"
    )
    print(head)
    for r in rows:
        ops, bad = r["ops"], r["bad"]
        print(
            f"{r['name']:32} {r['runs']:5d} {sum(ops.values()):10,d} {ops['ok']:7,d} "
            f"{ops['info']:6,d} {r['faults']:7,d} {r['failed']:6d} {bad['linearizability']:10d} "
            f"{bad['log agreement / Figure 3']:9d} {bad['lost or doubled']:8d} "
            f"{r['unknown']:7d} {r['wall']:7.1f} {r['cpu']:7.1f}"
        )
    print(
        "failed: runs that failed any check; log/fig.3: Multi-Paxos's log agreement, "
        "for Raft the properties of its Figure 3"
    )


if __name__ == "__main__":
    main()
