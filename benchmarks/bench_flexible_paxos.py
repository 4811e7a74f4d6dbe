"""Flexible Paxos, the heavy sweep: the model checker against z3, and the trade-off at scale.

Notebook 14.04 model-checks three and four acceptors and simulates the trade-off with
10,000 commands per row for N = 3..7. This script runs the larger versions:

1. ``FlexiblePaxosSpec`` (two values, ballots 0..1) model-checked for every pair of quorum
   sizes on the boundary ``|Q1| + |Q2| in {N, N + 1}`` for N = 3..5 (``|Q1| >= 2`` for
   N = 5), beside z3's verdict on
   the same sizes (``quorum_proof``): the two must agree, and a violation must be found
   exactly when the sizes miss each other;
2. ``tradeoff`` for N = 3..11 with 100,000 commands per row.

Usage: ``python benchmarks/bench_flexible_paxos.py [--quick]`` (``--quick``: N up to 4 and
10,000 commands, for a smoke run).
"""

from __future__ import annotations

import sys

import pandas as pd
from timing import timed

from dslib.consensus.flexible import quorum_proof, spec_check, tradeoff


def boundary_sweep(ns: range) -> pd.DataFrame:
    """Model checker and z3 on every boundary pair of sizes."""
    rows = []
    for n in ns:
        for q1 in range(1, n + 1):
            for q2 in range(1, n + 1):
                if q1 + q2 not in (n, n + 1) or (n >= 5 and q1 == 1):
                    continue  # a phase 1 of one acceptor makes N = 5 slow, and adds nothing
                seconds, result = timed(
                    lambda n=n, q1=q1, q2=q2: spec_check(n, phase1=q1, phase2=q2), 1
                )
                proof = quorum_proof(n, phase1=q1, phase2=q2)
                rows.append(
                    {
                        "N": n,
                        "|Q1|": q1,
                        "|Q2|": q2,
                        "z3": "proved" if proof.holds else "disjoint quorums",
                        "model checker": "safe"
                        if result.ok
                        else f"{result.property} fails in {len(result.counterexample)} steps",
                        "states": result.distinct_states,
                        "seconds": round(seconds, 1),
                        "agree": proof.holds == result.ok == (q1 + q2 > n),
                    }
                )
    return pd.DataFrame(rows).set_index(["N", "|Q1|", "|Q2|"])


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    pd.set_option("display.width", 200)
    sweep = boundary_sweep(range(3, 5 if quick else 6))
    print(sweep.to_string())
    print(f"model checker and z3 agree on {int(sweep['agree'].sum())} of {len(sweep)} size pairs")
    samples = 10_000 if quick else 100_000
    seconds, table = timed(lambda: tradeoff(range(3, 12), samples=samples), 1)
    with pd.option_context("display.float_format", "{:.3g}".format):
        print(table.to_string())
    print(f"tradeoff: {samples:,} commands per row, {seconds:.1f} s")
    return 0 if sweep["agree"].all() else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
