"""What running nodes as real processes costs (dslib.runtime), against pickle and the simulator.

Three tables:

1. **The wire.** Encoding and decoding one datagram (``encode_datagram`` then
   ``decode_datagram``: the codec's tagged JSON) against ``pickle.dumps`` /
   ``pickle.loads`` of the same ``(src, dst, msg)``, the peer the runtime refuses
   (a pickle runs code when loaded). Messages: every message a seeded Raft KV run
   sends (chapter 15, many AppendEntries), and every message of ping-pong.
2. **Starting a cluster** of n ping-pong pairs: from ``start()`` until every node
   has run ``init`` (process start, imports, binding), then ``close()``.
3. **Requests per second** through real processes: one ``Client`` sends ``--requests``
   requests to a ``KVServer``, one at a time (each waits for the reply before the
   next: a round trip through two processes and the kernel); the clock runs from
   the start of the cluster to the last reply. The peer is the simulator running
   the same two nodes (CPU seconds, simulated network).

Figures are medians of ``--repeat`` runs (default 3) and depend on the machine and its
load; the runtime's are wall time, so run it on a quiet machine.

Run: ``python benchmarks/bench_runtime.py [--repeat 3] [--requests 1000]``
"""

from __future__ import annotations

import argparse
import pickle
import time
from typing import Any

from timing import timed

from dslib import Simulation, System
from dslib.basics import KVServer, Pinger, Ponger
from dslib.raft.kv import kv_system
from dslib.runtime import Cluster, decode_datagram, encode_datagram
from dslib.sim import Client
from dslib.verify.transition import text_table


def messages(system: System, events: int) -> list[tuple[str, str, Any]]:
    sim = Simulation(system, seed=1).run(max_events=events)
    return [(e.node, e.peer, e.data) for e in sim.trace.of_kind("send")]


def wire_round_trips(msgs: list[tuple[str, str, Any]]) -> int:
    size = 0
    for src, dst, msg in msgs:
        data = encode_datagram(src, dst, msg)
        decode_datagram(data)
        size += len(data)
    return size


def pickle_round_trips(msgs: list[tuple[str, str, Any]]) -> int:
    size = 0
    for m in msgs:
        data = pickle.dumps(m)
        pickle.loads(data)
        size += len(data)
    return size


def pairs(n: int, pings: int, period: float) -> System:
    nodes: dict[str, Any] = {}
    for i in range(n):
        nodes[f"pinger{i}"] = Pinger(count=pings, period=period, ponger=f"ponger{i}")
        nodes[f"ponger{i}"] = Ponger()
    return System(nodes)


def start_and_close(system: System) -> None:
    with Cluster(system, timeout=120.0):
        pass


def kv(operations: int) -> System:
    ops = [("write", i) if i % 2 else ("read", None) for i in range(operations)]
    return System({"s": KVServer(), "c": Client(["s"], ops, timeout=60_000.0, retries=0)})


def real_requests(operations: int) -> float:
    """Wall seconds from starting the cluster to the client's last reply."""
    start = time.perf_counter()
    with Cluster(kv(operations), timeout=120.0) as cluster:
        cluster.wait_until(lambda s: s["c"].next_op == operations, poll=0.005)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()

    rows = []
    for name, system, events in [
        ("Raft KV, 3 servers, 2 clients", kv_system(3, 2, ops=10), 20_000),
        ("ping-pong", pairs(1, 50, 10.0), 1_000),
    ]:
        msgs = messages(system, events)
        wire_t, wire_size = timed(lambda msgs=msgs: wire_round_trips(msgs), args.repeat)
        pickle_t, pickle_size = timed(lambda msgs=msgs: pickle_round_trips(msgs), args.repeat)
        rows.append(
            [
                name,
                str(len(msgs)),
                f"{wire_t / len(msgs) * 1e6:.1f}",
                f"{pickle_t / len(msgs) * 1e6:.1f}",
                f"{wire_t / pickle_t:.1f}x",
                f"{wire_size / len(msgs):.0f}",
                f"{pickle_size / len(msgs):.0f}",
            ]
        )
    print("1. encode + decode one message")
    print(
        text_table(
            ["messages of", "n", "wire µs", "pickle µs", "wire/pickle", "wire B", "pickle B"],
            rows,
        )
    )

    rows = []
    for n in (1, 3):
        seconds, _ = timed(lambda n=n: start_and_close(pairs(n, 1, 10.0)), args.repeat)
        rows.append([str(2 * n), f"{seconds:.2f}"])
    print("\n2. start a cluster and close it (wall seconds)")
    print(text_table(["processes", "seconds"], rows))

    seconds, _ = timed(lambda: real_requests(args.requests), args.repeat)
    cpu = time.process_time()
    sim = Simulation(kv(args.requests), seed=1, record_trace=False).run()
    sim_seconds = time.process_time() - cpu
    assert sim.states["c"].next_op == args.requests
    print(f"\n3. {args.requests} requests of one client, one at a time")
    print(
        text_table(
            ["runtime", "seconds", "requests/s"],
            [
                [
                    "real processes (wall, with start)",
                    f"{seconds:.2f}",
                    f"{args.requests / seconds:,.0f}",
                ],
                [
                    "simulator (CPU)",
                    f"{sim_seconds:.3f}",
                    f"{args.requests / sim_seconds:,.0f}",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
