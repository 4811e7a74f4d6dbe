"""What the nemesis's proxy costs a real cluster (dslib.runtime.proxy.UdpProxy).

One client sends ``--requests`` requests to a ``KVServer``, one at a time (the
workload of ``bench_runtime.py``'s third table), in three clusters: nodes sending to
each other directly (the peer: no proxy), through the proxy with no fault, and
through the proxy adding a latency of 1 ms per datagram (``Network(latency=
constant(1.0))``: two datagrams a request, so at least 2 ms a request more; the
proxy waits with ``select``, whose epoll timeout counts whole milliseconds, so a
delay is rounded up to the next millisecond and lasts 1-2 ms). The clock
runs from the start of the cluster to the last reply; figures are medians of
``--repeat`` runs, wall time, and depend on the machine's load.

Run: ``python benchmarks/bench_runtime_proxy.py [--repeat 3] [--requests 1000]``
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from bench_runtime import kv
from timing import timed

from dslib.runtime import Cluster
from dslib.sim import Network, constant
from dslib.verify.transition import text_table


def requests(operations: int, **options: Any) -> float:
    """Wall seconds from starting the cluster to the client's last reply."""
    start = time.perf_counter()
    with Cluster(kv(operations), timeout=120.0, **options) as cluster:
        cluster.wait_until(lambda s: s["c"].next_op == operations, poll=0.005)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    for name, options in [
        ("direct (no proxy)", {}),
        ("through the proxy", {"proxy": True}),
        ("proxy, +1 ms a datagram", {"network": Network(latency=constant(1.0))}),
    ]:
        seconds, _ = timed(lambda options=options: requests(args.requests, **options), args.repeat)
        rows.append([name, f"{seconds:.2f}", f"{args.requests / seconds:.0f}"])
    print(f"{args.requests} requests of one client, one at a time")
    print(text_table(["cluster", "seconds", "requests/s"], rows))


if __name__ == "__main__":
    main()
