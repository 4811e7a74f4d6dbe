"""Speed of the storage engine, its recovery and the crash model checker (chapter 8.1, 4.3).

Prints three tables:

1. the engine: transactions per second (each adds to two of eight keys and commits; a
   checkpoint every ``--checkpoint-every`` transactions keeps the log short), beside the
   named peer, SQLite (Python's ``sqlite3``, in memory and in a file with its write-ahead
   log, ``synchronous=OFF`` so that neither side waits for a disk), on the same transactions;
2. recovery: seconds to recover from a crash after ``n`` transactions, the last one left
   running, with and without checkpoints (without, the whole log is read and redone);
3. the model checker: distinct states, seconds and states per second of ``check_crashes``
   on each workload of ``dslib.databases.crashes.WORKLOADS``.

Usage: ``python benchmarks/bench_storage.py [--transactions 1000 3000] [--checkpoint-every 100]``
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from dslib.databases import Engine, recover
from dslib.databases.crashes import WORKLOADS, check_crashes

KEYS = tuple(f"k{i}" for i in range(8))


def run_engine(n: int, checkpoint_every: int | None) -> Engine:
    """``n`` committed transactions and one left running."""
    e = Engine.create(KEYS)
    for i in range(n):
        t = f"T{i}"
        e = e.add(t, KEYS[i % 8], 1).add(t, KEYS[(3 * i + 1) % 8], 2).commit(t)
        if checkpoint_every and (i + 1) % checkpoint_every == 0:
            e = e.checkpoint()
        if i % 7 == 0:
            e = e.flush_page(KEYS[i % 8])  # the buffer writes a page now and then
    return e.add("loser", KEYS[0], 5)


def run_sqlite(n: int, path: str) -> float:
    """Seconds for the same ``n`` transactions on SQLite (two updates and a commit each)."""
    db = sqlite3.connect(path, isolation_level=None)
    if path != ":memory:":
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
    db.executemany("INSERT INTO t VALUES (?, 0)", [(k,) for k in KEYS])
    start = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN")
        db.execute("UPDATE t SET v = v + 1 WHERE k = ?", (KEYS[i % 8],))
        db.execute("UPDATE t SET v = v + 2 WHERE k = ?", (KEYS[(3 * i + 1) % 8],))
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    db.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, nargs="+", default=[300, 1000, 3000])
    parser.add_argument("--checkpoint-every", type=int, default=100)
    args = parser.parse_args()

    print("1. the engine (rows 'sqlite ...': the peer, SQLite, on the same transactions)")
    print(f"{'transactions':>12} {'checkpoints':>13} {'seconds':>8} {'txn/s':>9} {'log kept':>9}")
    for n in args.transactions:
        for every in (args.checkpoint_every, None):
            start = time.perf_counter()
            e = run_engine(n, every)
            seconds = time.perf_counter() - start
            label = f"every {every}" if every else "none"
            print(f"{n:>12} {label:>13} {seconds:>8.2f} {n / seconds:>9,.0f} {len(e.disk.log):>9}")
        with tempfile.TemporaryDirectory() as tmp:
            for label, path in (
                ("sqlite memory", ":memory:"),
                ("sqlite WAL", str(Path(tmp) / "b.db")),
            ):
                seconds = run_sqlite(n, path)
                print(f"{n:>12} {label:>13} {seconds:>8.2f} {n / seconds:>9,.0f} {'-':>9}")

    print("\n2. recovery after a crash")
    print(f"{'transactions':>12} {'checkpoints':>13} {'seconds':>8} {'redone':>7} {'log read':>9}")
    for n in args.transactions:
        for every in (args.checkpoint_every, None):
            disk = run_engine(n, every).durable().after_crash(0)
            start = time.perf_counter()
            r = recover(disk)
            seconds = time.perf_counter() - start
            label = f"every {every}" if every else "none"
            print(f"{n:>12} {label:>13} {seconds:>8.3f} {len(r.redone):>7} {len(r.records):>9}")

    print("\n3. the crash model checker (check_crashes, all three checks)")
    print(f"{'workload':>18} {'states':>8} {'seconds':>8} {'states/s':>9}")
    for name, workload in WORKLOADS.items():
        start = time.perf_counter()
        result = check_crashes(workload)
        seconds = time.perf_counter() - start
        states = result.distinct_states
        print(f"{name:>18} {states:>8,} {seconds:>8.2f} {states / seconds:>9,.0f}")


if __name__ == "__main__":
    main()
