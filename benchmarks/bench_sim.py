"""Simulator speed against SimPy on two message-passing workloads.

Both workloads pass tokens between nodes: each delivery makes the receiving
node send the token on to a random peer (chosen with ``ctx.rng``). They differ
in shape:

``relay``
    N nodes start T tokens each (100 in flight by default); latency
    ``exponential(1.0)``, a built-in distribution.
``hop``
    10 nodes pass 20 tokens in all; latency uniform from 1 to 5, given as a
    plain callable of the RNG (``Network(latency=lambda rng: ...)``), so the
    queue is short and every send goes through a user function.

Each is run against SimPy's idiomatic equivalent (a ``simpy.Store`` per node,
one process per node and per message in transit) in the same process, until
the same number of messages have been delivered. Reported: delivered messages
per second of wall time (best of ``--repeat``, the repeats interleaved) for
dslib with and without trace recording and for SimPy, the ratio to SimPy, the
same ratio in CPU seconds (steadier on a loaded machine), and dslib's peak
memory per million trace entries.

Run: ``python benchmarks/bench_sim.py [--messages 1000000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
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


class Hopper(Node[int]):
    """Starts the given tokens; each token it receives hops on to a random peer."""

    def __init__(self, tokens: tuple[int, ...]) -> None:
        self.tokens = tokens

    def init(self, ctx: Context) -> int:
        for token in self.tokens:
            ctx.send(ctx.rng.choice(ctx.peers), token)
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        ctx.send(ctx.rng.choice(ctx.peers), msg)
        return state + 1


def _uniform_1_5(rng: random.Random) -> float:
    return rng.uniform(1.0, 5.0)


@dataclass(frozen=True)
class Shape:
    """One workload: how to build it in dslib, and its latency and tokens for SimPy."""

    name: str
    nodes: int
    tokens: int  # in all
    system: Callable[[], System]
    network: Callable[[], Network]
    latency: Callable[[random.Random], float]


def shapes(nodes: int, tokens_per_node: int) -> list[Shape]:
    hop_tokens = 20
    return [
        Shape(
            "relay",
            nodes,
            nodes * tokens_per_node,
            lambda: System({f"n{i}": Relay(tokens_per_node) for i in range(nodes)}),
            lambda: Network(latency=exponential(1.0)),
            lambda rng: rng.expovariate(1.0),
        ),
        Shape(
            "hop",
            10,
            hop_tokens,
            lambda: System({f"n{i}": Hopper(tuple(range(i, hop_tokens, 10))) for i in range(10)}),
            lambda: Network(latency=_uniform_1_5),
            _uniform_1_5,
        ),
    ]


def run_dslib(shape: Shape, messages: int, record_trace: bool) -> tuple[float, float, int]:
    sim = Simulation(shape.system(), seed=1, network=shape.network(), record_trace=record_trace)
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    sim.run(max_events=messages)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    delivered = sum(sim.states.values())
    return wall, cpu, delivered


def run_simpy(shape: Shape, messages: int) -> tuple[float, float, int]:
    env = simpy.Environment()
    rng = random.Random(1)
    nodes = shape.nodes
    latency = shape.latency
    inboxes = [simpy.Store(env) for _ in range(nodes)]
    delivered = [0]
    done = env.event()

    def transmit(dst: int, msg: int) -> Any:
        yield env.timeout(latency(rng))
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
    for i in range(shape.tokens):
        me = i % nodes
        dst = rng.randrange(nodes - 1)
        env.process(transmit(dst if dst < me else dst + 1, i))
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    env.run(until=done)
    return time.perf_counter() - wall, time.process_time() - cpu, delivered[0]


def memory_per_million_entries(shape: Shape, messages: int) -> float:
    gc.collect()
    tracemalloc.start()
    sim = Simulation(shape.system(), seed=1, network=shape.network())
    sim.run(max_events=messages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(sim.trace) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=10, help="nodes of the relay shape")
    parser.add_argument(
        "--tokens", type=int, default=10, help="tokens started per node (relay shape)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shape", choices=("relay", "hop", "both"), default="both")
    args = parser.parse_args()

    for shape in shapes(args.nodes, args.tokens):
        if args.shape not in ("both", shape.name):
            continue
        runs: dict[str, Callable[[], tuple[float, float, int]]] = {
            "dslib (trace on)": lambda s=shape: run_dslib(s, args.messages, True),
            "dslib (trace off)": lambda s=shape: run_dslib(s, args.messages, False),
            "SimPy": lambda s=shape: run_simpy(s, args.messages),
        }
        # The repeats are interleaved, so that a change of the machine's load
        # during the benchmark affects every simulator alike.
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
        for _ in range(args.repeat):
            for name, fn in runs.items():
                results[name].append(fn())
        best = {name: min(r) for name, r in results.items()}  # by wall time
        cpu = {name: min(c for _w, c, _n in r) for name, r in results.items()}
        simpy_rate = best["SimPy"][2] / best["SimPy"][0]
        print(
            f"shape {shape.name}: {shape.nodes} nodes, {shape.tokens} tokens, "
            f"{args.messages:,} deliveries; best of {args.repeat}"
        )
        print(
            f"{'simulator':<18} {'delivered':>10} {'seconds':>8} {'events/s':>10} "
            f"{'vs SimPy':>9} {'CPU s':>7} {'vs SimPy':>9}"
        )
        for name, (secs, _cpu, n) in best.items():
            rate = n / secs
            print(
                f"{name:<18} {n:>10,} {secs:>8.2f} {rate:>10,.0f} {rate / simpy_rate:>8.2f}x "
                f"{cpu[name]:>7.2f} {cpu['SimPy'] / cpu[name]:>8.2f}x"
            )
        mem_messages = min(args.messages, 200_000)
        per_million = memory_per_million_entries(shape, mem_messages)
        print(
            f"peak memory per million trace entries (tracemalloc, {mem_messages:,} "
            f"deliveries): {per_million / 2**20:,.0f} MiB"
        )
        print()


if __name__ == "__main__":
    main()
