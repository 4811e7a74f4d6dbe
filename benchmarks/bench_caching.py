"""Speed of chapter 9's eviction policies: accesses per second on long Zipf traces.

Each policy of ``dslib.caching.policies`` (``make_policy(name, size).access`` on every
request), Belady's MIN (``dslib.caching.theory.min_hits``, offline) and LRU's one-pass
curve for all sizes (``dslib.caching.hitratio.stack_distances``, Mattson) run over the
same trace, against two named peers in the same process on the same trace:

- ``functools.lru_cache``: the standard library's LRU, written in C, wrapping a function
  that returns its argument (a hit is a call that does not reach the function);
- a plain ``OrderedDict`` LRU written inline (the fastest pure-Python LRU: the floor for
  what our ``Policy`` interface costs).

Two workloads: Zipf exponent 0.8 over 100,000 keys with a cache of 1,000 (1 %), and Zipf
1.1 over 1,000,000 keys with a cache of 10,000 (1 %) and a 10 % scan. The table gives
accesses per second (the median of ``--repeat`` runs) and the hit ratio, so the rows can
be checked against each other (the three LRUs must agree exactly).

    .venv/bin/python benchmarks/bench_caching.py                  # 10 million accesses
    .venv/bin/python benchmarks/bench_caching.py --accesses 200000 --repeat 1
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import timed

from dslib.caching.hitratio import stack_distances
from dslib.caching.policies import POLICIES, make_policy
from dslib.caching.theory import min_hits
from dslib.caching.workloads import zipf_trace

WORKLOADS = {
    "Zipf 0.8, 100k keys, cache 1k": (100_000, 0.8, 1_000, 0.0),
    "Zipf 1.1, 1M keys, cache 10k, 10% scans": (1_000_000, 1.1, 10_000, 0.1),
}


def run_policy(name: str, size: int, keys: list[int]) -> int:
    access = make_policy(name, size).access
    hits = 0
    for key in keys:
        if access(key):
            hits += 1
    return hits


def run_functools(size: int, keys: list[int]) -> int:
    @functools.lru_cache(maxsize=size)
    def fetch(key: int) -> int:
        return key

    for key in keys:
        fetch(key)
    return fetch.cache_info().hits


def run_ordered_dict(size: int, keys: list[int]) -> int:
    cache: OrderedDict[int, None] = OrderedDict()
    hits = 0
    for key in keys:
        if key in cache:
            cache.move_to_end(key)
            hits += 1
        else:
            if len(cache) >= size:
                cache.popitem(last=False)
            cache[key] = None
    return hits


def run_mattson(size: int, keys: list[int]) -> int:
    distances = stack_distances(keys)
    return int(((distances >= 0) & (distances < size)).sum())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accesses", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-slow", action="store_true", help="leave out MIN and Mattson (the offline ones)"
    )
    args = parser.parse_args(argv)
    print(
        f"{args.accesses:,} accesses per workload, median of {args.repeat} run(s), "
        f"Python {sys.version.split()[0]}"
    )
    for title, (catalogue, exponent, size, scans) in WORKLOADS.items():
        start = time.perf_counter()
        keys = zipf_trace(
            catalogue, exponent, args.accesses, args.seed, scan_share=scans, scan_length=size
        ).tolist()
        made = time.perf_counter() - start
        print(f"\n{title}  (trace made in {made:.2f} s with numpy)")
        print(f"{'policy':<34} {'accesses/s':>12} {'hit ratio':>10}")
        runs: dict[str, Callable[[], Any]] = {
            **{
                f"dslib {name}": functools.partial(run_policy, name, size, keys)
                for name in POLICIES
            },
            "peer: functools.lru_cache (C)": functools.partial(run_functools, size, keys),
            "peer: OrderedDict LRU (inline)": functools.partial(run_ordered_dict, size, keys),
        }
        if not args.skip_slow:
            runs["dslib MIN (offline, heap)"] = functools.partial(min_hits, keys, size)
            runs["dslib Mattson LRU (all sizes)"] = functools.partial(run_mattson, size, keys)
        for name, run in runs.items():
            seconds, hits = timed(run, args.repeat)
            print(f"{name:<34} {len(keys) / seconds:>12,.0f} {hits / len(keys):>10.4f}")


if __name__ == "__main__":
    main()
