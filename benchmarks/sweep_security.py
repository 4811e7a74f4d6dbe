"""The attacker sweep of chapter 16: a request/response service under a Dolev-Yao network.

Each run is ``dslib.security.sweep.run_once(protocol, seed)``: a client sends eight numbered
deposits to a server, which answers each; every message goes through the attacker, which
attacks half of them (forges, replays, reorders, modifies, drops, delays). It prints:

1. for each protocol (``none``: plain messages; ``mac``: HMAC-SHA-256 over the whole message
   and sequence numbers; ``aead``: ChaCha20-Poly1305 with the header as associated data and
   sequence numbers), per attack, the attack messages delivered and accepted, and the runs
   after which the attacker's knowledge held a plaintext;
2. for each mutant of ``dslib.security.sweep.MUTANTS``, the judged attacks it lets through
   and the share of seeds in which some attack message was accepted.

    .venv/bin/python benchmarks/sweep_security.py --seeds 300
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dslib.security.sweep import JUDGED, MUTANTS, PROTOCOLS, run_once, run_sweep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=300, help="runs per protocol (default 300)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    seeds = range(args.seeds)
    start = time.perf_counter()
    failed = False
    for protocol in PROTOCOLS:
        result = run_sweep(protocol, seeds=seeds)
        print(result.summary())
        print(result.to_frame().to_string(index=False))
        print()
        if protocol != "none" and not result.ok:
            failed = True
    print("mutants of the mac protocol (judged attacks accepted; seeds with one accepted)")
    for mutant, bug in MUTANTS.items():
        caught = 0
        totals = dict.fromkeys(JUDGED, 0)
        for seed in seeds:
            counts = run_once("mac", seed, mutant=mutant)["counts"]
            won = {a: counts.get(a, (0, 0))[1] for a in JUDGED}
            caught += any(won.values())
            for a in JUDGED:
                totals[a] += won[a]
        accepted = ", ".join(f"{a} {totals[a]}" for a in JUDGED)
        print(f"  {mutant:16} {accepted}; caught in {caught}/{args.seeds} seeds ({bug})")
    # NBVAL-free timing line: not part of the counts.
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
