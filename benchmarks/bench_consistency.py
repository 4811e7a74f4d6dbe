"""Speed of the linearizability checker on register and key-value histories.

Histories are generated the way a correct store behaves: each client runs
operations one after the other, every operation takes effect at a random
instant inside its interval, and reads return what the store held then.
Some writes become ``info`` (a timeout: the client never learns whether it
took effect; here it did). Each history is also checked with one read made
stale (it returns the value of a write that was overwritten before the read
began): a violation, which the checker must find and shrink.

Reported per history: the verdict, the median wall time over repetitions (of
``check_linearizable``, including the shrinking of a violation), and the
number of configurations the search stored. For small histories, the naive
checker (every permutation of the operations) is timed for contrast.

Run: ``python benchmarks/bench_consistency.py [--reps 5] [--max-ops 10000]``

Against Porcupine (optional): ``--porcupine PATH [--peer-only] [--porcupine-timeout 10]``
generates key-value histories of 50 clients (1,000 to 10,000 operations; get/put and
get/put/append on 10 keys, and get/put on one key; each linearizable and with one stale
read), has the program at PATH check each, and prints dslib's and Porcupine's CPU time of
the verdict and both verdicts, which must agree unless Porcupine's timed out, then the
ratios as a grid (history by size). The row ``registers`` is the get/put history checked
by dslib as one ``Register`` history per key, stopping at the first key that is not
linearizable (as Porcupine stops at the first illegal partition).

The program is not part of this repository (the project commits no other project's code,
nor a script that fetches or builds it); anyone can write one against Porcupine's Go API
with the key-value model of Porcupine's own tests: partitioned by key, the state a string
(initially ``""``), a ``get`` legal if its output equals the state, ``put`` setting and
``append`` extending it. It is run once per history, as a fresh process:
``PATH -reps N -timeout <seconds>s FILE``. FILE holds a JSON list of histories (here of
one), each ``{"name": str, "operations": [op, ...]}``, one object per operation::

    {"client": int, "f": "get" | "put" | "append", "key": str,
     "value": str (null for get), "output": str (get) or null,
     "call": int, "return": int}

``call`` and ``return`` are nanoseconds; intervals are closed. For each history, in order,
the program prints one line ``<Ok|Illegal|Unknown> <cpu seconds> <wall seconds>``: the
verdict of ``CheckOperationsTimeout`` (``Unknown`` after the timeout) and the median over
N checks of the process's CPU time (all threads, garbage collection included) and wall
time spent in that call.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

from timing import timed

from dslib.consistency import (
    KeyValue,
    Register,
    SequentialSpec,
    check_linearizable,
    history_from_intervals,
)
from dslib.sim.history import History


def generate(
    seed: int, ops: int, clients: int, keys: int = 0, info: float = 0.0
) -> tuple[History, History]:
    """A linearizable history and the same history with one stale read."""
    rng = random.Random(f"bench-consistency:{seed}:{ops}:{clients}:{keys}:{info}")
    clock = [rng.random() for _ in range(clients)]
    planned = []
    for n in range(ops):
        c = min(range(clients), key=lambda i: clock[i])
        start = clock[c]
        end = start + 0.01 + 2 * rng.expovariate(1.0)
        point = start + rng.random() * (end - start)
        clock[c] = end + rng.expovariate(2.0)
        key = f"k{rng.randrange(keys)}" if keys else None
        write = rng.random() < 0.5
        planned.append([point, c, write, key, n + 1 if write else None, start, end])
    store: dict[Any, Any] = {}
    rows = []
    for point, c, write, key, value, start, end in sorted(planned, key=lambda p: p[0]):
        del point
        f = ("put" if keys else "write") if write else ("get" if keys else "read")
        status = "info" if write and rng.random() < info else "ok"
        result = None
        if write:
            store[key] = value
        else:
            result = store.get(key)
        rows.append(
            {
                "process": c,
                "f": f,
                "key": key,
                "value": value,
                "result": result if status == "ok" else None,
                "start": start,
                "end": end,
                "status": status,
            }
        )
    rows.sort(key=lambda r: r["start"])
    good = history_from_intervals(rows)
    # A stale read: one write behind. It returns the value that the last write completed
    # before it began overwrote (a replica that missed the latest write).
    writes = [r for r in rows if r["f"] in ("write", "put") and r["status"] == "ok"]
    for r in rows:
        if r["f"] not in ("read", "get") or r["start"] < 0.6 * rows[-1]["start"]:
            continue
        done = [w for w in writes if w["key"] == r["key"] and w["end"] < r["start"]]
        if not done:
            continue
        latest = max(done, key=lambda w: w["end"])
        older = [w for w in done if w["end"] < latest["start"]]
        if older:
            r["result"] = max(older, key=lambda w: w["end"])["value"]
            break
    return good, history_from_intervals(rows)


KvRow = tuple[int, str, str, Any, Any, float, float]
"""One operation: (client, f, key, value, result, start, end); ``f`` is get/put/append."""


def kv_rows(
    seed: int, ops: int, clients: int = 50, keys: int = 10, appends: bool = True
) -> tuple[list[KvRow], dict[int, str]]:
    """Operations of a linearizable key-value history in the style of Porcupine's kv tests,
    sorted by start time, and for each put/append (by row index) the value its key held
    right after it took effect.

    Each of ``clients`` clients issues ``get``, ``put`` and (if ``appends``) ``append``
    operations one after the other on ``keys`` keys; each takes effect at a random instant
    of its interval; ``put``/``append`` values are unique strings (``"x <client> <n> y"``)
    and a ``get`` returns the concatenation the key holds. Generated here (no file is copied).
    """
    rng = random.Random(f"bench-consistency-kv:{seed}:{ops}:{clients}:{keys}:{appends}")
    clock = [rng.random() for _ in range(clients)]
    planned = []
    for n in range(ops):
        c = min(range(clients), key=lambda i: clock[i])
        start = clock[c]
        end = start + 0.01 + rng.expovariate(1.0)
        point = start + rng.random() * (end - start)
        clock[c] = end + rng.expovariate(1.0)
        r = rng.random()
        f = "get" if r < 0.5 else "put" if r < 0.6 or not appends else "append"
        planned.append((point, c, f, f"{rng.randrange(keys)}", f"x {c} {n} y", start, end))
    store: dict[str, str] = {}
    rows: list[tuple[KvRow, str | None]] = []
    for _, c, f, key, value, start, end in sorted(planned):
        if f == "get":
            rows.append(((c, f, key, None, store.get(key, ""), start, end), None))
        else:
            store[key] = value if f == "put" else store.get(key, "") + value
            rows.append(((c, f, key, value, None, start, end), store[key]))
    rows.sort(key=lambda r: r[0][5])
    after = {i: a for i, (_, a) in enumerate(rows) if a is not None}
    return [row for row, _ in rows], after


def kv_history(rows: list[KvRow]) -> History:
    """The key-value history of ``rows``."""
    return history_from_intervals(
        [
            {"process": c, "f": f, "key": k, "value": v, "result": res, "start": s, "end": e}
            for c, f, k, v, res, s, e in rows
        ]
    )


def porcupine_style_kv(
    seed: int, ops: int, clients: int = 50, keys: int = 10, appends: bool = True
) -> tuple[History, list[History]]:
    """A linearizable key-value history from :func:`kv_rows`, and per key a register
    history of the same operations (puts as writes; with ``appends`` False)."""
    rows, _ = kv_rows(seed, ops, clients, keys, appends)
    keys_used = sorted({r[2] for r in rows})
    return kv_history(rows), [register_history([r for r in rows if r[2] == k]) for k in keys_used]


def register_history(rows: list[KvRow]) -> History:
    """The register history of get/put ``rows`` (one key): puts as writes, gets as reads,
    the empty string (the initial value) as ``None``."""
    return history_from_intervals(
        [
            (c, "write" if f == "put" else "read", v, res or None, s, e)
            for c, f, _, v, res, s, e in rows
        ]
    )


def stale_kv(rows: list[KvRow], after: dict[int, str]) -> list[KvRow]:
    """``rows`` with one late ``get`` made stale: it returns what its key held after a write
    ``older`` that completed before another write ``latest`` began, and ``latest`` completed
    before the get began. Values are unique and appends only lengthen, so the key never
    holds that value again after ``latest``: not linearizable."""
    for g, (c, f, key, _, _, start, end) in enumerate(rows):
        if f != "get" or start < 0.6 * rows[-1][5]:
            continue
        done = [i for i in after if rows[i][2] == key and rows[i][6] < start]
        if not done:
            continue
        latest = max(done, key=lambda i: rows[i][6])
        older = [i for i in done if rows[i][6] < rows[latest][5]]
        if older:
            stale = after[max(older, key=lambda i: rows[i][6])]
            return [*rows[:g], (c, f, key, None, stale, start, end), *rows[g + 1 :]]
    raise ValueError("no get can be made stale in this history")


def cpu(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median CPU seconds of ``repeat`` calls (the machine may be shared: CPU, not wall)."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def kv_versus_register(reps: int) -> None:
    """Key-value histories against register histories of the same operations, per operation."""
    print("Key-value (KeyValue model) against the same operations as one register per key,")
    print("50 clients, 10 keys, Porcupine-style (CPU time per operation):")
    print(f"{'ops':>6}  {'workload':<18}{'verdict':<10}{'key-value':>12}{'registers':>12}")
    for ops in (1000, 3000):
        for appends in (False, True):
            kv, registers = porcupine_style_kv(1, ops, appends=appends)
            seconds, r = cpu(lambda kv=kv: check_linearizable(kv, KeyValue(initial="")), reps)
            reg = "-"
            if not appends:
                reg_s, rs = cpu(
                    lambda registers=registers: [
                        check_linearizable(h, Register()) for h in registers
                    ],
                    reps,
                )
                assert all(x.ok for x in rs) and r.ok
                reg = f"{reg_s / ops * 1e6:>8.1f}us"
            name = "get/put/append" if appends else "get/put"
            print(
                f"{ops:>6}  {name:<18}{r.verdict:<10}{seconds / ops * 1e6:>8.1f}us  {reg:>10}",
                flush=True,
            )


def porcupine_json(name: str, rows: list[KvRow]) -> dict[str, Any]:
    """One history in the harness's JSON format (see the module docstring)."""
    return {
        "name": name,
        "operations": [
            {
                "client": c,
                "f": f,
                "key": k,
                "value": v,
                "output": res,
                "call": round(s * 1e9),
                "return": round(e * 1e9),
            }
            for c, f, k, v, res, s, e in rows
        ],
    }


def porcupine_peer(harness: str, reps: int, timeout: float) -> None:
    """dslib against Porcupine on the same histories, CPU time of the verdict alone.

    dslib is called with ``shrink=False``: Porcupine's ``CheckOperations`` returns only the
    verdict, so explaining a violation is left out of both. Workloads: ``registers`` is the
    get/put history checked by dslib as one ``Register`` history per key, key by key until
    one is not linearizable (Porcupine checks the same operations partitioned by key, and
    stops at the first illegal partition); ``1 register`` puts every operation on one key.
    After the table, the ratios (dslib's CPU time over Porcupine's) as a grid of
    workload and history by size.
    """
    print("dslib against Porcupine (the --porcupine harness), 50 clients, same histories;")
    print("median CPU time of the verdict alone (dslib with shrink=False):")
    cases = []
    for ops in (1000, 3000, 10_000):
        shapes = [
            ("registers", 10, False),
            ("get/put", 10, False),
            ("get/put/append", 10, True),
        ]
        if ops == 1000:
            shapes.insert(0, ("1 register", 1, False))
        for workload, keys, appends in shapes:
            rows, after = kv_rows(1, ops, 50, keys, appends)
            for name, h in (("correct", rows), ("stale read", stale_kv(rows, after))):
                cases.append((ops, workload, name, h))
    # One process per history: a check that timed out leaves garbage whose collection
    # would otherwise be charged to the checks after it.
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "history.json")
        for ops, workload, name, h in cases:
            with open(path, "w") as out:
                json.dump([porcupine_json(f"{workload} {ops} {name}", h)], out)
            done = subprocess.run(
                [harness, "-reps", str(reps), "-timeout", f"{timeout}s", path],
                capture_output=True,
                text=True,
                check=True,
            )
            lines.append(done.stdout.strip())
    verdicts = {"Ok": "ok", "Illegal": "violation", "Unknown": "unknown"}
    print(
        f"{'ops':>6}  {'workload':<16}{'history':<12}{'dslib':>10}{'Porcupine':>11}"
        f"{'ratio':>7}  verdicts (dslib/Porcupine)"
    )
    disagree = []
    ratios: dict[tuple[int, str, str], float] = {}
    for (ops, workload, name, rows), line in zip(cases, lines, strict=True):
        p_verdict, p_cpu, _ = line.split()
        if workload == "registers":
            per_key = [
                register_history([r for r in rows if r[2] == k])
                for k in sorted({r[2] for r in rows})
            ]
            # Key by key, stopping at the first that is not linearizable: the verdict of
            # the whole is known then (Porcupine too stops at the first illegal partition).
            seconds, all_ok = cpu(
                lambda hs=per_key: all(
                    check_linearizable(x, Register(), shrink=False).ok for x in hs
                ),
                reps,
            )
            verdict = "ok" if all_ok else "violation"
        else:
            h, model = (
                (register_history(rows), Register())
                if workload == "1 register"
                else (kv_history(rows), KeyValue(initial=""))
            )
            seconds, r = cpu(lambda h=h, m=model: check_linearizable(h, m, shrink=False), reps)
            verdict = r.verdict
        p = verdicts[p_verdict]
        if p != verdict and p != "unknown":
            disagree.append(f"{ops} {workload} {name}: dslib {verdict}, Porcupine {p}")
        limit = ">" if p == "unknown" else " "
        if p != "unknown":
            ratios[(ops, workload, name)] = seconds / float(p_cpu)
        print(
            f"{ops:>6}  {workload:<16}{name:<12}{seconds * 1000:>8.1f}ms"
            f"{limit}{float(p_cpu) * 1000:>8.1f}ms{seconds / float(p_cpu):>7.2f}  {verdict}/{p}",
            flush=True,
        )
    print()
    sizes = sorted({ops for ops, _, _, _ in cases})
    print("ratio of CPU times, dslib / Porcupine (at most 1: dslib is as fast or faster):")
    print(f"{'history':<28}" + "".join(f"{f'{ops:,} ops':>11}" for ops in sizes))
    for workload, name in dict.fromkeys((w, n) for _, w, n, _ in cases if w != "1 register"):
        cells = [ratios.get((ops, workload, name)) for ops in sizes]
        print(
            f"{workload + ', ' + name:<28}"
            + "".join(f"{'-' if c is None else f'{c:.2f}':>11}" for c in cells)
        )
    if disagree:
        raise SystemExit("verdicts disagree: " + "; ".join(disagree))


def explanation_cost(reps: int, count: int = 20) -> None:
    """Verdict alone (``shrink=False``) against the default call, on histories with a stale read.

    The histories have the shape of Jepsen's etcd register tests (5 or 20 clients, 10% of
    the writes time out) with one stale read; real etcd histories are not shipped here.
    """
    print(f"Explaining a violation: {count} register histories per row, one stale read each,")
    print("10% info writes; total CPU time of the verdict alone and of the default call:")
    print(
        f"{'ops':>6}{'clients':>8}{'verdict only':>14}{'default':>10}{'ratio':>7}"
        f"{'minimized':>11}{'mean size':>10}"
    )
    for ops, clients in ((200, 5), (1000, 5), (1000, 20)):
        alone = full = 0.0
        results = []
        for seed in range(count):
            h = generate(seed, ops, clients, 0, 0.1)[1]
            a, _ = cpu(lambda h=h: check_linearizable(h, Register(), shrink=False), reps)
            b, r = cpu(lambda h=h: check_linearizable(h, Register()), reps)
            if r.verdict != "violation":
                continue
            alone, full = alone + a, full + b
            results.append(r)
        minimized = sum(r.minimized for r in results)
        size = statistics.mean(len(r.minimal) for r in results)
        print(
            f"{ops:>6}{clients:>8}{alone * 1000:>12.0f}ms{full * 1000:>8.0f}ms"
            f"{full / alone:>7.2f}{minimized:>8}/{len(results):<3}{size:>9.1f}",
            flush=True,
        )


def naive(history: History, model: SequentialSpec) -> bool:
    """Every permutation of the operations that respects real time (no info operations)."""
    ops = [op for op in history.operations() if op.status == "ok"]
    for perm in itertools.permutations(ops):
        if any(
            perm[j].complete_time < perm[i].invoke_time
            for i in range(len(perm))
            for j in range(i + 1, len(perm))
        ):
            continue
        state = model.init()
        for op in perm:
            legal, state = model.step(state, op)
            if not legal:
                break
        else:
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5, help="repetitions per history")
    parser.add_argument("--max-ops", type=int, default=10_000)
    parser.add_argument(
        "--porcupine",
        metavar="PATH",
        help="a harness binary that checks histories with Porcupine (see the docstring)",
    )
    parser.add_argument(
        "--porcupine-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wall-clock limit the harness gives Porcupine per check (its verdict: unknown)",
    )
    parser.add_argument(
        "--peer-only", action="store_true", help="print only the table against Porcupine"
    )
    args = parser.parse_args()
    if args.porcupine:
        porcupine_peer(args.porcupine, args.reps, args.porcupine_timeout)
        print()
    elif args.peer_only:
        parser.error("--peer-only needs --porcupine PATH")
    if args.peer_only:
        return
    cases = [
        # (ops, clients, keys, info fraction)
        (100, 5, 0, 0.0),
        (100, 20, 0, 0.0),
        (100, 20, 0, 0.1),
        (1000, 10, 0, 0.0),
        (1000, 50, 0, 0.1),
        (10_000, 5, 0, 0.0),
        (10_000, 50, 0, 0.1),
        (2000, 10, 10, 0.0),
        (2000, 10, 10, 0.1),
        (10_000, 50, 10, 0.1),
    ]
    print(
        f"{'model':<10}{'ops':>7}{'clients':>8}{'keys':>6}{'info':>6}  {'history':<11}"
        f"{'verdict':<10}{'median':>11}{'configs':>9}  minimal"
    )
    for ops, clients, keys, info in cases:
        if ops > args.max_ops:
            continue
        model: SequentialSpec = KeyValue() if keys else Register()
        good, stale = generate(1, ops, clients, keys, info)
        reps = args.reps if ops <= 2000 else max(1, args.reps // 2)
        for name, h in (("correct", good), ("stale read", stale)):
            seconds, r = timed(lambda h=h, m=model: check_linearizable(h, m, time_limit=120), reps)
            minimal = len(r.minimal) if r.verdict == "violation" else "-"
            print(
                f"{model.name:<10}{ops:>7}{clients:>8}{keys or '-':>6}{info:>6.0%}  "
                f"{name:<11}{r.verdict:<10}{seconds * 1000:>9.1f}ms{r.configurations:>9}"
                f"  {minimal}",
                flush=True,
            )
    print()
    kv_versus_register(args.reps)
    print()
    explanation_cost(args.reps)
    print()
    print("The naive checker (every permutation) on small register histories, 3 clients:")
    print(f"{'ops':>5}  {'naive':>10}  {'check_linearizable':>18}")
    for ops in (4, 6, 8, 9):
        h, _ = generate(2, ops, 3)
        naive_s, verdict = timed(lambda h=h: naive(h, Register()), 1)
        ours, r = timed(lambda h=h: check_linearizable(h, Register()), args.reps)
        assert verdict == r.ok
        print(f"{ops:>5}  {naive_s * 1000:>8.2f}ms  {ours * 1000:>16.2f}ms")


if __name__ == "__main__":
    main()
