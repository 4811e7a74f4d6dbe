"""Broken simulators, and the checks of chapter 1 that catch them.

Everything in the book runs on the simulator, so its own checks must be able
to fail. Each mutant below is a ``Simulation`` subclass with one deliberate
bug; each check takes a simulation class, runs a small scenario with it and
says whether the simulator behaved. ``dslib.mutants.run_mutants`` puts them
together into chapter 1's mutant table.

Examples
--------
>>> conservation(Simulation).ok
True
>>> conservation(SilentCrashDrops).ok
False
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from itertools import pairwise
from typing import Any

from dslib.core import Context, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.nemesis import Crash, Heal, Nemesis, Partition, Pause, Restart
from dslib.sim.network import Network, exponential, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "SIMULATOR_CHECKS",
    "SIMULATOR_MUTANTS",
    "FastTimers",
    "IgnoresFifo",
    "SilentCrashDrops",
    "UnseededNetwork",
    "conservation",
    "determinism",
    "fifo_order",
    "queueing_theory",
]


class IgnoresFifo(Simulation):
    """Bug: the ``fifo`` option is accepted but not honoured."""

    def __init__(
        self, system: System, seed: int = 0, network: Network | None = None, **kwargs: Any
    ) -> None:
        if network is not None and network.fifo:
            network = Network(network.latency, network.loss, network.duplication, fifo=False)
        super().__init__(system, seed=seed, network=network, **kwargs)


class SilentCrashDrops(Simulation):
    """Bug: a message that arrives at a crashed node vanishes without a trace entry."""

    def _trace_entry(self, entry: tuple[Any, ...]) -> None:
        if not (entry[1] == "drop" and entry[6] == "crashed"):
            self.trace.entries.append(entry)

    def __init__(self, system: System, **kwargs: Any) -> None:
        kwargs.setdefault("record_trace", True)
        super().__init__(system, **kwargs)
        self._trace = self._trace_entry


class FastTimers(Simulation):
    """Bug: a timer fires after half its delay."""

    def _effects(self, node_id: str, ctx: Context) -> None:
        ctx.timers_set = [
            (name, (d[0] / 2, d[1] / 2) if isinstance(d, tuple) else d / 2)
            for name, d in ctx.timers_set
        ]
        super()._effects(node_id, ctx)


class UnseededNetwork(Simulation):
    """Bug: the network draws latencies from an unseeded generator after the start."""

    def __init__(self, system: System, **kwargs: Any) -> None:
        super().__init__(system, **kwargs)
        self._net_rng = random.Random()


# -- the checks ---------------------------------------------------------------------------
def _pingers(count: int, period: float) -> System:
    from dslib.basics import Pinger, Ponger

    return System({"pinger": Pinger(count=count, period=period), "ponger": Ponger()})


def fifo_order(sim_class: type[Simulation]) -> Outcome:
    """With ``fifo=True``, pings arrive in the order they were sent."""
    sim = sim_class(_pingers(30, 1.0), seed=3, network=Network(uniform(0, 20), fifo=True)).run()
    order = [e.data.seq for e in sim.trace.of_kind("deliver") if e.node == "ponger"]
    out_of_order = sum(1 for a, b in pairwise(order) if b < a)
    return Outcome(out_of_order == 0, detail=f"{out_of_order} pings overtaken")


def conservation(sim_class: type[Simulation]) -> Outcome:
    """Every message sent is delivered, dropped with a reason, or still in flight."""
    network = Network(latency=exponential(3.0), loss=0.1, duplication=0.1)
    nemesis = Nemesis(
        [
            (50.0, Crash("ponger")),
            (90.0, Restart("ponger")),
            (150.0, Partition((("pinger",), ("ponger",)))),
            (200.0, Heal()),
            (250.0, Pause("pinger", 30.0)),
            (300.0, Crash("pinger")),
            (330.0, Restart("pinger")),
        ]
    )
    sim = sim_class(_pingers(200, 2.0), seed=11, network=network, nemesis=nemesis)
    sim.run(until=450.0)
    outcomes = Counter(m["outcome"] for m in sim.trace.messages())
    sent = sim.trace.count("send") + sim.trace.count("duplicate")
    lost = outcomes["in flight"] - len(sim.in_flight())
    return Outcome(
        lost == 0 and sent == sum(outcomes.values()), detail=f"{lost} messages unaccounted for"
    )


def queueing_theory(sim_class: type[Simulation], requests: int = 10_000) -> Outcome:
    """The mean latency of an M/G/1 queue at load 0.5 is within 5% of Pollaczek-Khinchine."""
    from dslib.basics import LoadGenerator, QueueServer, request_latencies

    system = System(
        {
            "server": QueueServer(service_time=(0.5, 1.5)),
            "load": LoadGenerator("server", rate=0.5, count=requests),
        }
    )
    sim = sim_class(system, seed=1, network=Network(latency=exponential(0.5))).run()
    measured = statistics.mean(request_latencies(sim.trace))
    predicted = 2.0 + 0.5 * (1 + 1 / 12) / (2 * (1 - 0.5))
    error = measured / predicted - 1
    return Outcome(abs(error) < 0.05, detail=f"relative error {error:+.1%}")


def determinism(sim_class: type[Simulation]) -> Outcome:
    """Two runs with the same seed have the same trace fingerprint."""
    network = Network(latency=exponential(2.0), loss=0.1)
    prints = {
        sim_class(_pingers(50, 1.0), seed=5, network=network).run().trace.fingerprint()
        for _ in range(2)
    }
    return Outcome(len(prints) == 1)


SIMULATOR_CHECKS = {
    "FIFO order": fifo_order,
    "conservation": conservation,
    "queueing theory": queueing_theory,
    "determinism": determinism,
}
"""The checks of chapter 1, by name."""

SIMULATOR_MUTANTS = [
    Mutant("IgnoresFifo", "fifo=True is not honoured", lambda: IgnoresFifo, ("FIFO order",)),
    Mutant(
        "SilentCrashDrops",
        "messages to a crashed node vanish untraced",
        lambda: SilentCrashDrops,
        ("conservation",),
    ),
    Mutant(
        "FastTimers", "timers fire after half their delay", lambda: FastTimers, ("queueing theory",)
    ),
    Mutant(
        "UnseededNetwork",
        "latencies drawn from an unseeded generator",
        lambda: UnseededNetwork,
        ("determinism",),
    ),
]
"""The broken simulators of chapter 1, with the check that should catch each."""
