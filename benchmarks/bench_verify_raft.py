"""How long the z3 proofs about Raft take: election safety and Log Matching.

For :mod:`dslib.verify.raft_election` and :mod:`dslib.verify.raft_log`: the full
inductive invariant (every conjunct, every action), the safety property alone
(its first counterexample to induction, made canonical), every weakened
invariant (each conjunct removed), and the deliberately broken variants. Then,
for Log Matching, each conjunct removed on its own: redundant, or the first
check that fails. Each figure is the median wall time of ``--repeat`` runs
(default 3), in seconds. ``--bmc`` adds bounded model checking of the broken
variants (the shortest violating execution; about ten seconds per run for
Raft's log). ``keep_conflicts`` needs 13 steps (two leaders, a follower with two
entries), more than BMC reaches in 20 minutes, so it is searched to depth 6
only; ``tests/test_verify_raft_log.py`` replays a 13-step execution instead.

Run: ``python benchmarks/bench_verify_raft.py [--repeat 3] [--bmc]``
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from types import ModuleType

from timing import timed

from dslib.verify import bmc, check_inductive, raft_election, raft_log
from dslib.verify.transition import TransitionSystem, text_table

EXAMPLES: list[tuple[str, ModuleType, Callable[..., TransitionSystem], str, list[str], int]] = [
    (
        "raft election",
        raft_election,
        raft_election.raft_election,
        "election_safety",
        ["forget_votes"],
        8,
    ),
    (
        "raft log",
        raft_log,
        raft_log.raft_log,
        "log_matching",
        ["skip_consistency_check", "keep_conflicts"],
        6,
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--bmc", action="store_true", help="also run BMC on the broken variants")
    args = parser.parse_args()
    r = args.repeat

    rows = []
    drops: list[list[str]] = []  # raft_log, each conjunct removed
    for name, module, build, safety, mutants, _ in EXAMPLES:
        system = build()
        inv = module.INVARIANT
        proof_s, proof = timed(partial(check_inductive, system, inv), r)
        alone_s, _ = timed(partial(check_inductive, system, {safety: inv[safety]}), r)

        weak_s = 0.0
        for dropped in inv:
            rest = {k: f for k, f in inv.items() if k != dropped}
            secs, res = timed(partial(check_inductive, system, rest), r)
            weak_s += secs
            if module is raft_log:
                outcome = (
                    "redundant" if res.proved else f"{res.cti.conjunct} after {res.cti.action}"
                )
                fails = "-" if res.proved else str(len(res.counterexamples))
                drops.append([dropped, outcome, fails, f"{secs:.3f}"])
        for mutant in mutants:
            broken = build(**{mutant: True})
            mutant_s, res = timed(partial(check_inductive, broken, inv), r)
            rows.append(
                [
                    name,
                    str(len(inv)),
                    str(proof.checks),
                    "yes" if proof.proved else "NO",
                    f"{proof_s:.3f}",
                    f"{1000 * proof_s / proof.checks:.1f}",
                    f"{alone_s:.3f}",
                    f"{weak_s:.3f}",
                    mutant,
                    f"{len(res.counterexamples)} CTIs, {mutant_s:.3f}",
                ]
            )
    print(f"Inductive invariants about Raft (seconds, median of {r} runs)")
    print(
        text_table(
            [
                "example",
                "conjuncts",
                "checks",
                "proved",
                "full proof",
                "ms/check",
                "safety alone (CTI)",
                "each conjunct removed (sum)",
                "broken variant",
                "broken: proof fails",
            ],
            rows,
        )
    )

    print()
    print(f"Log Matching with one conjunct removed (seconds, median of {r} runs)")
    print(text_table(["conjunct removed", "first failing check", "CTIs", "time"], drops))

    if not args.bmc:
        return
    print()
    rows = []
    for name, module, build, safety, mutants, depth in EXAMPLES:
        for mutant in mutants:
            broken = build(**{mutant: True})
            secs, res = timed(partial(bmc, broken, depth, module.INVARIANT[safety]), r)
            found = f"{res.steps} steps" if res.found else f"none in {depth}"
            rows.append([name, mutant, str(depth), found, f"{secs:.3f}"])
    print(f"BMC of the broken variants (seconds, median of {r} runs)")
    print(text_table(["example", "broken variant", "depth", "shortest violation", "time"], rows))


if __name__ == "__main__":
    main()
