"""What one ``ctx.persist`` of Raft's state costs a real node, as the log grows.

The book's ``RaftNode`` persists its term, vote, whole log and snapshot whenever one
changes (Figure 2's "updated on stable storage before responding to RPCs"), and the
runtime writes that value as one JSON file with ``fsync`` (``dslib.runtime.wire.write_durable``)
before the handler's messages leave. The cost of one write therefore grows with the
log, and every append pays it once on the leader and once on each follower. This
table times ``write_durable`` of the durable value of a server after simulated runs
of growing length (the peer: the same value encoded without writing, to separate the
encoding from the disk). Medians of ``--repeat`` writes; wall time, so the disk and
the machine's load show.

Run: ``python benchmarks/bench_runtime_persist.py [--repeat 20]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from timing import timed

from dslib.codec import dumps
from dslib.raft.kv import run_kv
from dslib.runtime.wire import write_durable
from dslib.verify.transition import text_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "durable.json"
        for ops in (10, 100, 500):
            state = run_kv(0, servers=3, clients=3, ops=ops, shrink=False).sim.states["s1"]
            value = state.durable  # (term, vote, log, snapshot): what RaftNode persists
            write, _ = timed(lambda value=value: write_durable(path, value), args.repeat)
            encode, text = timed(lambda value=value: dumps(value), args.repeat)
            rows.append(
                [
                    str(len(state.log)),
                    f"{len(text) / 1000:.0f}",
                    f"{encode * 1000:.1f}",
                    f"{write * 1000:.1f}",
                ]
            )
    print("one persist of RaftState.durable (term, vote, log, snapshot)")
    print(text_table(["log entries", "KB", "encode ms", "encode+write+fsync ms"], rows))


if __name__ == "__main__":
    main()
