"""Soak the suite with fresh randomness (``make soak``), separately from ``make test``.

``make test`` is repeatable: hypothesis is derandomized there (``conftest.py``, profile
``repeatable``) and every simulation sweep uses fixed seeds. This command explores what
those fixed choices do not. It first runs the ``deep`` tests once (``DSLIB_DEEP=1``: checks
that ``make test`` runs on a small case, on their large one; ``conftest.deep``), then runs in
rounds until its time is up, and each round

1. runs every hypothesis test of the suite under the ``soak`` profile with a fresh
   ``--hypothesis-seed`` and ``max_examples`` multiplied by ``--factor``;
2. runs each seeded simulation sweep of ``SWEEPS`` on a fresh range of seeds.

It prints, per round and in all, how many hypothesis examples and simulation seeds it
explored, and every failure with the command that reproduces it. The exit status is 1 if
anything failed. Usage::

    .venv/bin/python tools/soak.py --minutes 120          # what `make soak` runs
    .venv/bin/python tools/soak.py --minutes 5 --no-sweeps tests/test_core.py
    .venv/bin/python tools/soak.py --minutes 60 --scheduler tcp://host:8786   # sweeps on Dask
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# A seeded sweep: (name, command template, seeds per round, pattern of a failing seed's line).
# The template gets {python}, {first}, {count} and {executor} (the sweep's own options that
# say who runs its seeds, from --sweep-workers / --scheduler: " --workers 2", say); a failing
# line must name the seed.
SWEEPS: tuple[tuple[str, str, int, str], ...] = (
    (
        "raft kv (5 servers, nemesis)",
        "{python} benchmarks/bench_raft_sweep.py --first-seed {first} --seeds {count} "
        "--ops 100 --no-throughput{executor}",
        30,
        r"^BAD seed (\d+)",
    ),
    (
        "replication stores (primary-backup, chain, ABD, Dynamo)",
        "{python} benchmarks/sweep_replication.py --first {first} --seeds {count}{executor}",
        40,
        r"^FAIL .*seed (\d+)",
    ),
)

_STATS_TEST = re.compile(r"^(\S+::\S+):\s*$")
_STATS_CASES = re.compile(r"- (\d+) passing, (\d+) failing")
_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)")


@dataclass
class Tally:
    """What a soak explored and what failed."""

    examples: int = 0
    hypothesis_runs: int = 0
    sweep_seeds: int = 0
    failures: list[str] = field(default_factory=list)


def hypothesis_round(paths: list[str], factor: int, workers: int, tally: Tally) -> None:
    """Run every hypothesis test under ``paths`` once with a fresh seed."""
    seed = secrets.randbelow(2**32)
    env = dict(os.environ, DSLIB_HYPOTHESIS_PROFILE="soak", DSLIB_SOAK_FACTOR=str(factor))
    env.setdefault("MPLBACKEND", "Agg")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rfE",
        "-p",
        "no:cacheprovider",
        f"--hypothesis-seed={seed}",
        "--hypothesis-show-statistics",
        *(["-n", str(workers)] if workers > 1 else []),
        *paths,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    examples = tests = 0
    for line in done.stdout.splitlines():
        if _STATS_TEST.match(line):
            tests += 1
        cases = _STATS_CASES.search(line)
        if cases:
            examples += int(cases.group(1)) + int(cases.group(2))
    failed = sorted({m.group(1) for m in map(_FAILED.match, done.stdout.splitlines()) if m})
    tally.examples += examples
    tally.hypothesis_runs += tests
    elapsed = time.perf_counter() - started
    print(
        f"  hypothesis seed {seed}: {tests} tests, {examples:,} examples, "
        f"{len(failed)} failed, {elapsed:.0f} s",
        flush=True,
    )
    for nodeid in failed:
        line = (
            f"DSLIB_HYPOTHESIS_PROFILE=soak DSLIB_SOAK_FACTOR={factor} "
            f"{shlex.quote(sys.executable)} -m pytest {shlex.quote(nodeid)} "
            f"--hypothesis-seed={seed}"
        )
        tally.failures.append(f"{nodeid}\n    reproduce: {line}")
        print(f"  FAILED {nodeid}\n    reproduce: {line}", flush=True)
    if done.returncode not in (0, 1) or (done.returncode == 1 and not failed):
        tail = "\n".join(done.stdout.splitlines()[-15:] + done.stderr.splitlines()[-15:])
        tally.failures.append(f"pytest exited {done.returncode}:\n{tail}")
        print(f"  pytest exited {done.returncode}:\n{tail}", flush=True)


def deep_round(paths: list[str], workers: int, tally: Tally) -> None:
    """Run the ``deep`` tests once (``DSLIB_DEEP=1``): the suite's checks on the large
    cases that ``make test`` leaves out for its time budget (``conftest.deep``)."""
    env = dict(os.environ, DSLIB_DEEP="1")
    env.setdefault("MPLBACKEND", "Agg")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rfE",
        "-p",
        "no:cacheprovider",
        "-m",
        "deep",
        *(["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []),
        *paths,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    passed = re.search(r"(\d+) passed", done.stdout)
    failed = sorted({m.group(1) for m in map(_FAILED.match, done.stdout.splitlines()) if m})
    elapsed = time.perf_counter() - started
    print(
        f"  deep tests: {passed.group(1) if passed else 0} passed, {len(failed)} failed, "
        f"{elapsed:.0f} s",
        flush=True,
    )
    for nodeid in failed:
        line = f"DSLIB_DEEP=1 {shlex.quote(sys.executable)} -m pytest {shlex.quote(nodeid)}"
        tally.failures.append(f"{nodeid}\n    reproduce: {line}")
        print(f"  FAILED {nodeid}\n    reproduce: {line}", flush=True)
    if done.returncode not in (0, 1, 5) or (done.returncode == 1 and not failed):
        tail = "\n".join(done.stdout.splitlines()[-15:] + done.stderr.splitlines()[-15:])
        tally.failures.append(f"deep tests: pytest exited {done.returncode}:\n{tail}")
        print(f"  deep tests: pytest exited {done.returncode}:\n{tail}", flush=True)


def sweep_round(first_seeds: dict[str, int], tally: Tally, executor: str = "") -> None:
    """Run each sweep of ``SWEEPS`` on its next fresh range of seeds.

    ``executor`` is added to each command: ``" --workers 2"``, say.
    """
    for name, template, count, bad in SWEEPS:
        first = first_seeds[name]
        first_seeds[name] = first + count
        command = template.format(
            python=shlex.quote(sys.executable), first=first, count=count, executor=executor
        )
        started = time.perf_counter()
        done = subprocess.run(
            shlex.split(command), cwd=ROOT, capture_output=True, text=True, check=False
        )
        seeds = sorted(
            {int(m.group(1)) for m in map(re.compile(bad).match, done.stdout.splitlines()) if m}
        )
        tally.sweep_seeds += count
        elapsed = time.perf_counter() - started
        print(
            f"  sweep {name}: seeds {first}-{first + count - 1}, {len(seeds)} bad, {elapsed:.0f} s",
            flush=True,
        )
        for line in done.stdout.splitlines():
            if re.match(bad, line):
                tally.failures.append(f"{name}: {line}\n    reproduce: {command}")
                print(f"    {line}", flush=True)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.splitlines()[-10:])
            tally.failures.append(f"{name}: exited {done.returncode}\n    {command}\n{tail}")
            print(f"    exited {done.returncode}: {command}\n{tail}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["tests"], help="test paths (default: tests)")
    parser.add_argument("--minutes", type=float, default=60.0, help="stop starting rounds after")
    parser.add_argument("--factor", type=int, default=10, help="max_examples multiplier")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers")
    parser.add_argument("--no-sweeps", action="store_true", help="hypothesis rounds only")
    parser.add_argument("--no-deep", action="store_true", help="skip the deep tests")
    parser.add_argument(
        "--sweep-workers", type=int, default=None, help="local processes for the sweeps' seeds"
    )
    parser.add_argument(
        "--scheduler", default=None, help="a Dask scheduler for the sweeps' seeds (tcp://h:8786)"
    )
    parser.add_argument(
        "--first-seed",
        type=int,
        default=None,
        help="first seed of the sweeps (default: a fresh random one, printed)",
    )
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.factor < 1 or args.workers < 1:
        parser.error("--minutes must be > 0, --factor and --workers at least 1")
    if args.sweep_workers is not None and args.sweep_workers < 1:
        parser.error(f"--sweep-workers {args.sweep_workers}: must be at least 1")
    if args.sweep_workers is not None and args.scheduler is not None:
        parser.error("--sweep-workers and --scheduler: give one")
    executor = (
        f" --workers {args.sweep_workers}"
        if args.sweep_workers is not None
        else f" --scheduler {shlex.quote(args.scheduler)}"
        if args.scheduler is not None
        else ""
    )

    base = args.first_seed if args.first_seed is not None else 10**6 + secrets.randbelow(10**9)
    first_seeds = {name: base for name, *_ in SWEEPS}
    deadline = time.monotonic() + 60.0 * args.minutes
    tally = Tally()
    started = time.perf_counter()
    rounds = 0
    print(f"soak: up to {args.minutes:g} min; sweeps start at seed {base}", flush=True)
    if not args.no_deep:
        deep_round(args.paths, args.workers, tally)
    while time.monotonic() < deadline:
        rounds += 1
        print(f"round {rounds} ({(time.perf_counter() - started) / 60:.1f} min)", flush=True)
        hypothesis_round(args.paths, args.factor, args.workers, tally)
        if not args.no_sweeps and time.monotonic() < deadline:
            sweep_round(first_seeds, tally, executor)
    minutes = (time.perf_counter() - started) / 60
    print()
    print(f"soak: {rounds} rounds in {minutes:.1f} min")
    print(f"  hypothesis: {tally.hypothesis_runs:,} test runs, {tally.examples:,} examples")
    print(f"  sweeps: {tally.sweep_seeds:,} seeds")
    print(f"  failures: {len(tally.failures)}")
    for failure in tally.failures:
        print(f"  - {failure}")
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
