"""Speed of the Elle-style isolation checker (``dslib.consistency.isolation``).

1. ``check_isolation`` at strict serializability on list-append histories of 1,000 /
   10,000 / 100,000 transactions from ``generate_history`` (5 processes, 4 active keys of at
   most 16 appends, up to 4 micro-ops per transaction, overlapping in real time): serializable
   ones, and the same with 1 % stale reads injected (each a G-single or G2 cycle, often closed
   by real time). CPU seconds (``time.process_time``, median of ``--repeat``; the machine is
   shared, so CPU time is steadier than wall time), transactions per CPU second, and the
   growth factor of the time per 10x transactions (1.0x per transaction = linear: 10).
2. The named peer: Elle itself (Clojure) cannot run here (no Clojure or Elle jar, and the
   registries are not ours to download from), so the only peer in the same run is the
   brute-force oracle ``serializable_by_enumeration`` (every serial order) on small
   histories: same histories, both verdicts, both times. (The Rust checker ``adya``, a
   JVM-free Elle, would be a peer, but crates.io cannot be reached from here.)
3. ``parse_elle_edn`` on EDN files of the same histories (an ``:invoke`` and an ``:ok`` line
   per transaction): CPU seconds and lines per second.

    .venv/bin/python benchmarks/bench_isolation.py
    .venv/bin/python benchmarks/bench_isolation.py --sizes 1000 10000 --repeat 3
    .venv/bin/python benchmarks/bench_isolation.py --parts read --read-sizes 1000 10000
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from dslib.consistency.isolation import (
    check_isolation,
    generate_history,
    serializable_by_enumeration,
)
from dslib.consistency.isolation_readers import parse_elle_edn


def cpu_timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median CPU seconds of ``repeat`` calls of ``fn``, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def scaling(sizes: list[int], repeat: int, level: str) -> pd.DataFrame:
    rows = []
    previous: dict[str, tuple[int, float]] = {}
    for n in sizes:
        for label, stale in (("serializable", 0.0), ("1% stale reads", 0.01)):
            history = generate_history(n, seed=1, stale_reads=stale)
            seconds, result = cpu_timed(
                functools.partial(check_isolation, history, level=level),
                1 if n >= 100_000 else repeat,
            )
            growth = ""
            if label in previous:
                m, s = previous[label]
                growth = f"{seconds / s:.1f}x per {n // m}x"
            previous[label] = (n, seconds)
            names = sorted({a.name for a in result.anomalies})
            rows.append(
                {
                    "transactions": n,
                    "history": label,
                    "verdict": result.verdict,
                    "anomalies": len(result.anomalies),
                    "kinds": ", ".join(names),
                    "edges": len(result.edges),
                    "CPU s": round(seconds, 3),
                    "txns per CPU s": int(n / seconds) if seconds else 0,
                    "growth": growth,
                }
            )
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def against_oracle(sizes: list[int], histories: int) -> pd.DataFrame:
    rows = []
    for n in sizes:
        batch = [
            generate_history(n, seed=s, active_keys=2, ops_per_txn=3, stale_reads=0.3)
            for s in range(histories)
        ]
        checker_s, verdicts = cpu_timed(
            functools.partial(lambda b: [check_isolation(h).ok for h in b], batch), 1
        )
        oracle_s, orders = cpu_timed(
            functools.partial(
                lambda b, m: [serializable_by_enumeration(h, limit=m) for h in b], batch, n
            ),
            1,
        )
        agree = sum(
            (v is True and o is not None) or (v is False and o is None)
            for v, o in zip(verdicts, orders, strict=True)
        )
        rows.append(
            {
                "transactions": n,
                "histories": histories,
                "serializable (oracle)": sum(o is not None for o in orders),
                "checker agrees": agree,
                "checker unknown": sum(v is None for v in verdicts),
                "checker ms/history": round(1000 * checker_s / histories, 3),
                "oracle ms/history": round(1000 * oracle_s / histories, 3),
            }
        )
    return pd.DataFrame(rows)


def _edn(x: Any) -> str:
    if x is None:
        return "nil"
    if isinstance(x, tuple):
        return "[" + " ".join(_edn(v) for v in x) + "]"
    return f":{x}" if isinstance(x, str) else str(x)


def reading(sizes: list[int]) -> pd.DataFrame:
    """Seconds to read an EDN history of n transactions (an invocation and a completion each)."""
    rows = []
    for n in sizes:
        lines = []
        for i, t in enumerate(generate_history(n, seed=1)):
            invoked = tuple((f, k, None if f == "r" else v) for f, k, v in t.ops)
            head = f"{{:type :invoke, :f :txn, :value {_edn(invoked)}"
            lines.append(f"{head}, :process {i % 5}, :time {2 * i}}}")
            lines.append(
                f"{{:type :ok, :f :txn, :value {_edn(t.ops)}, :process {i % 5}, :time {2 * i + 1}}}"
            )
        text = "\n".join(lines)
        seconds, history = cpu_timed(functools.partial(parse_elle_edn, text), 1)
        rows.append(
            {
                "transactions": n,
                "lines": len(lines),
                "MB": round(len(text) / 1e6, 1),
                "CPU s": round(seconds, 2),
                "lines per CPU s": int(len(lines) / seconds) if seconds else 0,
                "read back": len(history) == n,
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--level", default="strict-serializable")
    parser.add_argument("--oracle-sizes", type=int, nargs="+", default=[4, 6, 8])
    parser.add_argument("--oracle-histories", type=int, default=50)
    parser.add_argument("--read-sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--parts", nargs="+", default=["scaling", "oracle", "read"])
    args = parser.parse_args()
    if "read" in args.parts and args.read_sizes:
        print("reading EDN histories (parse_elle_edn)")
        print(reading(args.read_sizes).to_string(index=False))
    if "scaling" not in args.parts and "oracle" not in args.parts:
        return
    if "scaling" in args.parts:
        table = scaling(args.sizes, args.repeat, args.level)
        print(f"\ncheck_isolation, level={args.level}, list-append (CPU seconds)")
        print(table.to_string(index=False))
    if "oracle" in args.parts:
        print("\npeer: the brute-force oracle (all serial orders), level=serializable")
        print(against_oracle(args.oracle_sizes, args.oracle_histories).to_string(index=False))


if __name__ == "__main__":
    main()
