"""Chapter 8.5's concurrent workload, many times: a real PostgreSQL and DuckDB, checked.

For each target (PostgreSQL READ COMMITTED, REPEATABLE READ, SERIALIZABLE, and DuckDB),
``--runs`` runs of ``dslib.databases.real.run_workload`` (``--clients`` threads, each with its
own connection, ``--transactions`` random list-append transactions in all over ``--keys``
keys; run ``i`` uses seed ``i``). Every history is judged by ``check_isolation`` at
``serializable`` and at the level the target promises. The table gives, per target:

- how many runs showed an anomaly (a cycle the checker found), and the anomalies by name
  summed over the runs;
- how many runs kept the target's promise (must be all: a run that does not is a bug in
  the database or in the checker);
- the share of transactions that committed, failed with a serialization failure
  (SQLSTATE 40001), a deadlock (40P01) or a DuckDB write-write conflict;
- transactions per second of wall time, the two checks of each history included.

Real threads, real timing: the counts vary from run to run (and with the machine's load);
the rates over many runs are what the chapter quotes.

    .venv/bin/python benchmarks/bench_real_databases.py
    .venv/bin/python benchmarks/bench_real_databases.py --runs 50 --transactions 400
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.databases.real import TARGETS, postgres, run_workload


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=200)
    parser.add_argument("--keys", type=int, default=3)
    args = parser.parse_args(argv)

    postgres()  # start the server before timing anything
    print(
        f"{args.runs} runs per target; {args.clients} clients, {args.transactions} "
        f"transactions over {args.keys} keys per run\n"
    )
    header = (
        f"{'target':<28}{'runs with':>10}{'kept its':>10}{'commit':>8}{'40001':>8}"
        f"{'40P01':>8}{'conflict':>9}{'txn/s':>8}  anomalies (summed over the runs)"
    )
    print(header)
    print(f"{'':<28}{'anomaly':>10}{'promise':>10}")
    for target in TARGETS:
        anomalous = kept = 0
        names: Counter[str] = Counter()
        outcomes: Counter[str] = Counter()
        seconds = 0.0
        total = 0
        for seed in range(args.runs):
            start = time.perf_counter()
            run = run_workload(
                target,
                clients=args.clients,
                transactions=args.transactions,
                keys=args.keys,
                seed=seed,
            )
            seconds += time.perf_counter() - start
            anomalous += bool(run.anomalies)
            kept += run.promise.ok is True
            names.update(dict(run.anomalies))
            outcomes["committed"] += run.committed
            outcomes.update(dict(run.failures))
            total += run.transactions
        share = {k: f"{100 * v / total:.0f}%" for k, v in outcomes.items()}
        found = ", ".join(f"{n} x{c}" for n, c in sorted(names.items())) or "none"
        print(
            f"{target.label:<28}{anomalous:>10}{kept:>10}{share.get('committed', '0%'):>8}"
            f"{share.get('serialization failure', '0%'):>8}{share.get('deadlock', '0%'):>8}"
            f"{share.get('conflict', '0%'):>9}{total / seconds:>8.0f}  {found}"
        )


if __name__ == "__main__":
    main()
