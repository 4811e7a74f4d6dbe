"""How long the z3 proofs of dslib.verify take.

For each example: the full inductive invariant (every conjunct, every action),
the safety property alone (the first counterexample to induction, made
canonical), the deliberately broken variant found by bounded model checking,
and every weakened invariant (each conjunct removed). Then quorum-intersection
proofs for growing systems, and the water-jug BMC. Each figure is the median
wall time of ``--repeat`` runs (default 3), in seconds.

Two tables compare the time to *decide* with the time to *explain*: for failing
quorum systems of three shapes, one z3 query (``intersection_query``) against
``prove_intersection`` with its canonical witness; for failing inductive checks
of differently shaped transition systems, the whole ``check_inductive`` against
the part spent building its canonical counterexamples, and the verdict alone
(``failing``, for which no counterexample is built). To compare two versions
of the library, run the script once against each (``PYTHONPATH=old/tree``).

Run: ``python benchmarks/bench_verify.py [--repeat 3] [--only explanations|counterexamples]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from timing import timed

from dslib.verify import (
    bmc,
    byzantine,
    check_inductive,
    explicit,
    grid,
    induction,
    intersection_query,
    lock_server,
    majority,
    prove_intersection,
    raft_election,
    raft_log,
    read_write,
    toy_consensus,
    two_phase_commit,
    water_jug,
    weighted,
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
    parser.add_argument(
        "--only",
        choices=["all", "explanations", "counterexamples"],
        default="all",
        help="explanations: only the decide-vs-explain tables; counterexamples: the second",
    )
    args = parser.parse_args()
    r = args.repeat
    if args.only == "counterexamples":
        counterexample_table(r)
        return
    if args.only == "explanations":
        witness_table(r)
        print()
        counterexample_table(r)
        return

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

    print()
    witness_table(r)
    print()
    counterexample_table(r)


def rows_or_columns(n: int) -> Any:
    """Quorums are the rows and the columns of an n x n grid: two rows never meet."""
    cells = [[f"r{i}c{j}" for j in range(1, n + 1)] for i in range(1, n + 1)]
    lines = [set(row) for row in cells] + [set(col) for col in zip(*cells, strict=True)]
    return explicit(lines, nodes=[c for row in cells for c in row])


def witness_table(r: int) -> None:
    """Deciding a failing intersection vs. building its canonical witness."""
    rows = []
    for label, first in [
        ("14 x 14 rows or columns (explicit)", rows_or_columns(14)),
        (
            "weighted, 64 nodes of 1..4 votes, half",
            weighted({f"n{i}": 1 + i % 4 for i in range(1, 65)}, threshold=80),
        ),
        ("byzantine f=20, n=60", byzantine(60, 20)),
    ]:
        overlap = first.overlap

        def decide(q: Any = first, o: int = overlap) -> Any:
            return intersection_query(q, q, o)[0].check()

        decide_s, verdict = timed(decide, r)
        total_s, res = timed(lambda q=first: prove_intersection(q), r)
        a, b = res.witness
        rows.append(
            [
                label,
                str(len(first.nodes)),
                str(verdict),
                f"{len(a)} + {len(b)}",
                f"{decide_s:.3f}",
                f"{total_s:.3f}",
            ]
        )
    print("Failing quorum intersection: decide vs. canonical witness (seconds)")
    print(text_table(["quorum system", "nodes", "z3", "witness", "decide", "total"], rows))


def counterexample_table(r: int) -> None:
    """Failing inductive checks: the verdict alone vs. the verdict and its counterexamples."""
    spent = [0.0]
    build = induction._counterexample

    def measured(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return build(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start

    log_inv = raft_log.INVARIANT
    lock_inv = lock_server.INVARIANT
    cases = [
        ("raft log, keep_conflicts mutant", raft_log.raft_log(keep_conflicts=True), log_inv),
        (
            "raft log, skip_consistency_check",
            raft_log.raft_log(skip_consistency_check=True),
            log_inv,
        ),
        (
            "raft log, log_matching alone",
            raft_log.raft_log(),
            {"log_matching": log_inv["log_matching"]},
        ),
        ("lock server, each conjunct removed", lock_server.lock_server(), lock_inv),
        (
            "two-phase commit, commit_early",
            two_phase_commit.two_phase_commit(commit_early=True),
            two_phase_commit.INVARIANT,
        ),
    ]
    rows = []
    induction._counterexample = measured
    try:
        for label, system, inv in cases:
            if label.endswith("each conjunct removed"):
                invariants = [{n: f for n, f in inv.items() if n != k} for k in inv]
            else:
                invariants = [inv]

            def verdict(s: Any = system, invs: list[Any] = invariants) -> int:
                return sum(len(check_inductive(s, i).failing) for i in invs)

            def explained(s: Any = system, invs: list[Any] = invariants) -> int:
                return sum(len(check_inductive(s, i).counterexamples) for i in invs)

            verdict_s, failing = timed(verdict, r)
            spent[0] = 0.0
            total_s, ctis = timed(explained, r)
            rows.append(
                [
                    label,
                    f"{failing}/{ctis}",
                    f"{verdict_s:.3f}",
                    f"{total_s:.3f}",
                    f"{spent[0] / r:.3f}",
                ]
            )
    finally:
        induction._counterexample = build
    print("Failing inductive checks: the verdict alone (which checks fail) vs. the verdict and")
    print("every canonical counterexample, and the part of that spent building them (seconds;")
    print("the last column is a mean over the runs). A library that builds counterexamples")
    print("eagerly spends the same on both.")
    print(
        text_table(
            ["transition system", "failing/CTIs", "verdict", "verdict + CTIs", "of which CTIs"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
