"""How long the z3 proofs of dslib.verify take.

For each example: the full inductive invariant (every conjunct, every action),
the safety property alone (the first counterexample to induction, made
canonical), the deliberately broken variant found by bounded model checking,
and every weakened invariant (each conjunct removed). Then quorum-intersection
proofs for growing systems, and the water-jug BMC. Each figure is the median
wall time of ``--repeat`` runs (default 3), in seconds.

Run: ``python benchmarks/bench_verify.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
from typing import Any

from timing import timed

from dslib.verify import (
    bmc,
    byzantine,
    check_inductive,
    grid,
    lock_server,
    majority,
    prove_intersection,
    raft_election,
    read_write,
    toy_consensus,
    two_phase_commit,
    water_jug,
)
from dslib.verify.transition import text_table

EXAMPLES = [
    ("lock server", lock_server, lock_server.lock_server, "grant_without_lock"),
    ("toy consensus", toy_consensus, toy_consensus.toy_consensus, "vote_twice"),
    ("two-phase commit", two_phase_commit, two_phase_commit.two_phase_commit, "commit_early"),
    ("raft election", raft_election, raft_election.raft_election, "forget_votes"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    r = args.repeat

    rows = []
    for name, module, build, mutant in EXAMPLES:
        system = build()
        inv = module.INVARIANT
        safety_name = next(iter(inv))
        proof_s, proof = timed(lambda s=system, i=inv: check_inductive(s, i), r)
        cti_s, _ = timed(lambda s=system, n=safety_name, i=inv: check_inductive(s, {n: i[n]}), r)

        def weakened(s: Any = system, i: dict[str, Any] = inv) -> None:
            for k in i:
                check_inductive(s, {n: f for n, f in i.items() if n != k})

        weak_s, _ = timed(weakened, r)
        broken = build(**{mutant: True})
        bmc_s, found = timed(lambda b=broken, i=inv, n=safety_name: bmc(b, 8, i[n]), r)
        rows.append(
            [
                name,
                str(len(inv)),
                str(proof.checks),
                "yes" if proof.proved else "NO",
                f"{proof_s:.3f}",
                f"{cti_s:.3f}",
                f"{weak_s:.3f}",
                f"{found.steps} steps, {bmc_s:.3f}",
            ]
        )
    print("Inductive invariants (seconds, median of", r, "runs)")
    print(
        text_table(
            [
                "example",
                "conjuncts",
                "checks",
                "proved",
                "full proof",
                "safety alone (CTI)",
                "each conjunct removed",
                "broken variant: BMC",
            ],
            rows,
        )
    )

    print()
    rows = []
    for label, make in [
        ("majority n=5", lambda: (majority(5), None)),
        ("majority n=15", lambda: (majority(15), None)),
        ("majority n=51", lambda: (majority(51), None)),
        ("R=2, W=2, N=3", lambda: read_write(3, 2, 2)),
        ("R=1, W=1, N=3 (fails)", lambda: read_write(3, 1, 1)),
        ("R=25, W=25, N=50 (fails)", lambda: read_write(50, 25, 25)),
        ("grid 5 x 5", lambda: (grid(5, 5), None)),
        ("byzantine f=1, n=4", lambda: (byzantine(4, 1), None)),
        ("byzantine f=5, n=16", lambda: (byzantine(16, 5), None)),
        ("byzantine f=5, n=15 (fails)", lambda: (byzantine(15, 5), None)),
    ]:
        first, second = make()
        secs, res = timed(lambda a=first, b=second: prove_intersection(a, b), r)
        rows.append([label, "proved" if res.holds else "witness", f"{secs:.3f}"])
    print("Quorum intersection with z3 (seconds)")
    print(text_table(["quorum system", "result", "time"], rows))

    print()
    rows = []
    for small, big, depth in [(3, 5, 6), (3, 5, 10), (3, 6, 10), (3, 6, 20)]:
        secs, res = timed(
            lambda a=small, b=big, d=depth: bmc(
                water_jug.water_jug(a, b), d, water_jug.big_is_not_4
            ),
            r,
        )
        rows.append([f"{small} and {big}", str(depth), str(res.steps), f"{secs:.3f}"])
    inv = [water_jug.amounts_divisible_by(3), water_jug.big_is_not_4]
    secs, res = timed(
        lambda: check_inductive(water_jug.water_jug(None, None, common_divisor=3), inv), r
    )
    rows.append(
        ["any multiples of 3 (proof)", "-", "proved" if res.proved else "NO", f"{secs:.3f}"]
    )
    print("Water jugs: BMC for big == 4 (seconds)")
    print(text_table(["jugs", "depth", "shortest", "time"], rows))


if __name__ == "__main__":
    main()
