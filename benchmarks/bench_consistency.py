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
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from timing import timed

from dslib.consistency import (
    KeyValue,
    Model,
    Register,
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


def porcupine_style_kv(
    seed: int, ops: int, clients: int = 50, keys: int = 10, appends: bool = True
) -> tuple[History, list[History]]:
    """A linearizable key-value history in the style of Porcupine's kv tests, and per key a
    register history of the same operations (puts as writes; with ``appends`` False).

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
    rows = []
    for _, c, f, key, value, start, end in sorted(planned):
        if f == "get":
            rows.append((c, f, key, None, store.get(key, ""), start, end))
        else:
            store[key] = value if f == "put" else store.get(key, "") + value
            rows.append((c, f, key, value, None, start, end))
    rows.sort(key=lambda r: r[5])
    kv = history_from_intervals(
        [
            {"process": c, "f": f, "key": k, "value": v, "result": res, "start": s, "end": e}
            for c, f, k, v, res, s, e in rows
        ]
    )
    registers = [
        history_from_intervals(
            [
                (c, "write" if f == "put" else "read", v, res or None, s, e)
                for c, f, k, v, res, s, e in rows
                if k == key
            ]
        )
        for key in sorted({r[2] for r in rows})
    ]
    return kv, registers


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


def naive(history: History, model: Model) -> bool:
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
    args = parser.parse_args()
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
        model: Model = KeyValue() if keys else Register()
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
