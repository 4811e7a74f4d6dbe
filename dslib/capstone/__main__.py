"""``python -m dslib.capstone``: real clusters under a nemesis, from the shell.

Four commands, each printing a line a second while it runs, then its verdict:

- ``raft``: the book's Raft key-value store, one process per node, under kill -9,
  SIGSTOP and partitions; linearizability, lost and doubled appends, Figure 3.
- ``etcd``: three etcd members under the same nemesis and the register workload
  (``--serializable`` for reads that skip the quorum).
- ``stale-read``: the smallest run that tells etcd's two kinds of read apart.
- ``run``: any ``System`` of the book, given as ``module:function`` returning one
  (``dslib.raft.kv:kv_system``), as real processes, optionally under faults.

Examples (from the shell)::

    python -m dslib.capstone raft --servers 5 --seconds 60
    python -m dslib.capstone etcd --seconds 60 --serializable
    python -m dslib.capstone run dslib.raft.kv:kv_system --seconds 5 --model key-value
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from dslib.capstone.jepsen import KINDS, RealRun, run_etcd, run_raft, run_system, stale_read
from dslib.consistency import KeyValue, Register
from dslib.core import System, stable_repr
from dslib.runtime.etcd import EtcdNotFoundError

MODELS = {"register": Register, "key-value": KeyValue}


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k for k in text.split(",") if k)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown kinds {bad}; choose from {','.join(KINDS)}")
    return kinds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dslib.capstone",
        description="Run real clusters under a nemesis and check what their clients saw.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--seconds", type=float, default=30.0, help="how long the nemesis acts")
    common.add_argument("--seed", type=int, default=0)
    common.add_argument(
        "--kinds", type=_kinds, default=KINDS, help="nemesis episodes, e.g. crash,pause,partition"
    )
    common.add_argument("--quiet", action="store_true", help="no progress lines")
    raft = sub.add_parser("raft", parents=[common], help="the book's Raft key-value store")
    raft.add_argument("--servers", type=int, default=3)
    raft.add_argument("--clients", type=int, default=3)
    raft.add_argument("--mutant", default=None, help="a name of dslib.raft.core.MUTANTS")
    etcd = sub.add_parser("etcd", parents=[common], help="three etcd members")
    etcd.add_argument("--members", type=int, default=3)
    etcd.add_argument("--clients", type=int, default=3)
    etcd.add_argument("--serializable", action="store_true", help="reads skip the quorum")
    stale = sub.add_parser("stale-read", help="etcd's serializable and linearizable reads")
    stale.add_argument("--serializable", action="store_true")
    run = sub.add_parser("run", parents=[common], help="any System, as module:function")
    run.add_argument("factory", help="module:function returning a System")
    run.add_argument("--model", choices=sorted(MODELS), default=None)
    run.add_argument("--nodes", default=None, help="comma-separated nodes faults may hit")
    run.set_defaults(kinds=())  # no faults unless --kinds names some
    return parser


def _system(factory: str) -> System:
    module, _, name = factory.partition(":")
    if not (module and name):
        raise ValueError(f"{factory!r}: give module:function, e.g. dslib.raft.kv:kv_system")
    made: Any = getattr(importlib.import_module(module), name)()
    if not isinstance(made, System):
        raise TypeError(f"{factory} returned a {type(made).__name__}, not a dslib.System")
    return made


def _report(run: RealRun) -> int:
    print(run.summary())
    print(run.result.explain())
    if run.lost:
        print(f"lost acknowledged appends: {stable_repr(run.lost)}")
    if run.doubled:
        print(f"appends applied twice: {stable_repr(run.doubled)}")
    return 0 if run.verdict == "ok" else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command ``argv`` (default: the command line); return the exit status.

    0: the run passed every check; 1: a check failed (the explanation is printed);
    2: bad arguments or a missing ``etcd`` (the message says what to do).
    """
    args = _parser().parse_args(argv)
    progress = not getattr(args, "quiet", True)
    try:
        if args.command == "raft":
            return _report(
                run_raft(
                    args.servers,
                    args.clients,
                    args.seconds,
                    seed=args.seed,
                    kinds=args.kinds,
                    mutant=args.mutant,
                    progress=progress,
                )
            )
        if args.command == "etcd":
            return _report(
                run_etcd(
                    args.members,
                    args.clients,
                    args.seconds,
                    seed=args.seed,
                    kinds=args.kinds,
                    serializable=args.serializable,
                    progress=progress,
                )
            )
        if args.command == "stale-read":
            return _report(stale_read(args.serializable))
        nodes = args.nodes.split(",") if args.nodes else None
        model = MODELS[args.model]() if args.model else None
        states, history, result = run_system(
            _system(args.factory),
            args.seconds,
            seed=args.seed,
            nodes=nodes,
            kinds=args.kinds,
            model=model,
            progress=progress,
        )
        for node in sorted(states):
            print(f"{node}: {stable_repr(states[node])[:200]}")
        print(f"{len(history.operations())} operations recorded")
        if result is not None:
            print(result.explain())
            return 0 if result.ok else 1
        return 0
    except (EtcdNotFoundError, ValueError, TypeError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
