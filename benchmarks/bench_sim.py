"""Simulator speed against SimPy on the same message-passing workload.

N nodes pass tokens: each delivery makes the receiving node send the token on
to a random peer, with an exponentially distributed latency. The same number
of tokens circulate in both simulators until the same number of messages have
been delivered. Reported: delivered messages per second of wall time (each
delivery is one event of the workload), for dslib with and without trace
recording, and for SimPy; and dslib's peak memory per million trace entries.

Run: ``python benchmarks/bench_sim.py [--messages 1000000] [--nodes 10]``
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from typing import Any

import simpy

from dslib import Context, Network, Node, Simulation, System
from dslib.sim import exponential


class Relay(Node[int]):
    """Counts deliveries and passes every token to a random peer."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens

    def init(self, ctx: Context) -> int:
        for i in range(self.tokens):
            ctx.send(ctx.peers[ctx.rng.randrange(len(ctx.peers))], i)
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        peers = ctx.peers
        ctx.send(peers[ctx.rng.randrange(len(peers))], msg)
        return state + 1


def run_dslib(nodes: int, tokens: int, messages: int, record_trace: bool) -> tuple[float, int]:
    system = System({f"n{i}": Relay(tokens) for i in range(nodes)})
    sim = Simulation(
        system, seed=1, network=Network(latency=exponential(1.0)), record_trace=record_trace
    )
    gc.collect()
    start = time.perf_counter()
    sim.run(max_events=messages)
    elapsed = time.perf_counter() - start
    delivered = sum(sim.states.values())
    return elapsed, delivered


def run_simpy(nodes: int, tokens: int, messages: int) -> tuple[float, int]:
    env = simpy.Environment()
    rng = random.Random(1)
    inboxes = [simpy.Store(env) for _ in range(nodes)]
    delivered = [0]
    done = env.event()

    def transmit(dst: int, msg: int) -> Any:
        yield env.timeout(rng.expovariate(1.0))
        yield inboxes[dst].put(msg)

    def node(me: int) -> Any:
        inbox = inboxes[me]
        while True:
            msg = yield inbox.get()
            delivered[0] += 1
            if delivered[0] >= messages:
                if not done.triggered:
                    done.succeed()
                return
            dst = rng.randrange(nodes - 1)
            env.process(transmit(dst if dst < me else dst + 1, msg))

    for me in range(nodes):
        env.process(node(me))
        for i in range(tokens):
            dst = rng.randrange(nodes - 1)
            env.process(transmit(dst if dst < me else dst + 1, i))
    gc.collect()
    start = time.perf_counter()
    env.run(until=done)
    return time.perf_counter() - start, delivered[0]


def memory_per_million_entries(nodes: int, tokens: int, messages: int) -> float:
    system = System({f"n{i}": Relay(tokens) for i in range(nodes)})
    gc.collect()
    tracemalloc.start()
    sim = Simulation(system, seed=1, network=Network(latency=exponential(1.0)))
    sim.run(max_events=messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(sim.trace) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--tokens", type=int, default=10, help="tokens started per node")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rows = []
    for name, fn in (
        ("dslib (trace on)", lambda: run_dslib(args.nodes, args.tokens, args.messages, True)),
        ("dslib (trace off)", lambda: run_dslib(args.nodes, args.tokens, args.messages, False)),
        ("SimPy", lambda: run_simpy(args.nodes, args.tokens, args.messages)),
    ):
        best = min((fn() for _ in range(args.repeat)), key=lambda r: r[0])
        rows.append((name, best[1], best[0], best[1] / best[0]))
    simpy_rate = rows[-1][3]
    print(
        f"{args.nodes} nodes, {args.tokens} tokens each, {args.messages:,} deliveries; "
        f"best of {args.repeat}"
    )
    print(f"{'simulator':<20} {'delivered':>10} {'seconds':>8} {'events/s':>10} {'vs SimPy':>9}")
    for name, n, secs, rate in rows:
        print(f"{name:<20} {n:>10,} {secs:>8.2f} {rate:>10,.0f} {rate / simpy_rate:>8.2f}x")
    mem_messages = min(args.messages, 200_000)
    per_million = memory_per_million_entries(args.nodes, args.tokens, mem_messages)
    print(
        f"peak memory per million trace entries (tracemalloc, {mem_messages:,} deliveries): "
        f"{per_million / 2**20:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
