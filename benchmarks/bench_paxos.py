"""Single-decree Paxos (chapter 14): state counts of the specification, and checker speed.

Table 1, state counts. ``dslib.consensus.PaxosSpec`` (Lamport's TLA+ module ``Paxos``)
with 3 acceptors, 2 values and ballots ``0..1`` and ``0..2``, explored exhaustively
for agreement, validity and integrity, without symmetry and with each sound symmetry
(acceptors, values, both; see ``dslib.consensus.spec`` for why each is sound).

Table 2, speed. For the same models, distinct states per CPU second
(``time.process_time``: other processes on a busy machine do not count) of
``dslib.check.check`` against the bare breadth-first search of
``benchmarks/bench_check.py`` (``bare_bfs``: a set of full states, no fingerprints,
no parents) over the same ``actions`` and the same invariant, in the same run, the
two taking turns; the best of ``--repeat`` runs. Ratio = checker time / bare time.

Comparing with TLC. TLC (``tla2tools.jar``) is not installed on the machine where
this was written, so no TLC figure is quoted. To compare: take ``Paxos.tla`` from
github.com/tlaplus/Examples (``specifications/Paxos``), with a model that sets
``Acceptor <- {a1, a2, a3}``, ``Value <- {v1, v2}``, ``Quorum <- {{a1, a2}, {a1, a3},
{a2, a3}, {a1, a2, a3}}``, ``Ballot <- 0..1`` (then ``0..2``), ``None`` a model value,
``INIT Init``, ``NEXT Next``, ``INVARIANT Consistency``, no symmetry; run
``java -cp tla2tools.jar tlc2.TLC -workers 1 MCPaxos``. TLC's "distinct states found"
must equal the "none" column of table 1. With ``SYMMETRY Permutations(Acceptor)``
(or of ``Value``, or their union) it must equal the matching column, provided TLC's
reduction is exact (one state per orbit) as ours is.

Run: ``python benchmarks/bench_paxos.py [--repeat 3] [--quick]`` (``--quick``: ballots
``0..1`` only).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

from bench_check import bare_bfs

from dslib.check import check
from dslib.consensus import PaxosSpec, spec_invariants
from dslib.consensus.spec import SYMMETRIES


def _cpu(run: Callable[[], int]) -> tuple[float, int]:
    gc.collect()
    start = time.process_time()
    count = run()
    return time.process_time() - start, count


def counts(ballots: list[int]) -> None:
    print("Table 1: distinct states of PaxosSpec, 3 acceptors, 2 values")
    print(f"{'ballots':>8}" + "".join(f"{s:>12}" for s in SYMMETRIES) + f"{'depth':>7}")
    for b in ballots:
        row = []
        depth = 0
        for sym in SYMMETRIES:
            spec = PaxosSpec(3, 2, b, symmetry=sym)
            r = check(spec, invariants=spec_invariants(spec))
            assert r.ok and r.complete, r.summary()
            row.append(r.distinct_states)
            depth = r.depth
        print(f"{'0..' + str(b):>8}" + "".join(f"{n:>12,}" for n in row) + f"{depth:>7}")


def speed(ballots: list[int], repeat: int) -> None:
    print()
    print("Table 2: distinct states per CPU second, check() against a bare BFS")
    print(f"{'ballots':>8}{'states':>10}{'check/s':>12}{'bare/s':>12}{'ratio':>8}")
    for b in ballots:
        spec = PaxosSpec(3, 2, b)
        invariants = spec_invariants(spec)

        def every(s: object, inv: dict[str, Callable[[object], bool]] = invariants) -> bool:
            return all(f(s) for f in inv.values())

        best_check = best_bare = float("inf")
        n = 0
        for _ in range(repeat):
            t, n = _cpu(
                lambda spec=spec, every=every: check(spec, invariants=[every]).distinct_states
            )
            best_check = min(best_check, t)
            t, m = _cpu(lambda spec=spec, every=every: bare_bfs(spec, every))
            assert m == n, (m, n)
            best_bare = min(best_bare, t)
        print(
            f"{'0..' + str(b):>8}{n:>10,}{n / best_check:>12,.0f}{n / best_bare:>12,.0f}"
            f"{best_check / best_bare:>8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    ballots = [1] if args.quick else [1, 2]
    counts(ballots)
    speed(ballots, args.repeat)


if __name__ == "__main__":
    main()
