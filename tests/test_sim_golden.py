"""The simulator's determinism corpus: stored fingerprints of runs with every feature.

Each scenario below runs a system under the simulator (loss, duplication,
FIFO links, every kind of fault, a random nemesis, clock skew, pauses,
clients, ``sim.at`` callbacks, manual steps and replay) and is reduced to a
fingerprint: the trace's ``fingerprint()``, the history, the final states,
``now``, the event count and what is still pending. The fingerprints in
``tests/test_sim_golden.json`` were recorded on the simulator before its
kernel was rewritten for speed; any change to event order, RNG draws, trace
entries or histories changes one of them. The notebooks' stored outputs depend
on exactly these properties.

The systems are either defined here or come from modules that the simulator
does not own (``basics``, ``clocks``, ``sharding``); a deliberate change to one
of those modules' protocols changes its fingerprint too: then regenerate with
``python tests/test_sim_golden.py --update`` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from dslib import Context, Node, Simulation, System
from dslib.core import NOTHING_PERSISTED, stable_repr
from dslib.sim import Network, constant, exponential, lognormal, uniform
from dslib.sim.clients import Client, random_workload
from dslib.sim.nemesis import (
    ClockSkew,
    Crash,
    Cut,
    Heal,
    Nemesis,
    NetworkChange,
    Partition,
    Pause,
    RandomNemesis,
    Restart,
)

GOLDEN = Path(__file__).with_suffix(".json")


# -- a node that uses every part of the node API ------------------------------------------
@dataclass(frozen=True)
class Gossip:
    """A rumour with a hop count."""

    origin: str
    hops: int


@dataclass(frozen=True)
class GState:
    seen: int = 0
    ticks: int = 0
    last_now: float = 0.0
    recovered: Any = None


class Gossiper(Node[GState]):
    """Gossips on a ranged timer, forwards rumours, persists, cancels, chooses, skews."""

    def init(self, ctx: Context) -> GState:
        ctx.set_timer("tick", (1.0, 4.0))
        ctx.set_timer("slow", 7.5)
        return GState(last_now=ctx.now)

    def on_recover(self, ctx: Context, durable: Any) -> GState:
        ctx.set_timer("tick", 2.0)
        rec = "nothing" if durable is NOTHING_PERSISTED else durable
        return GState(recovered=rec, last_now=ctx.now)

    def on_message(self, ctx: Context, state: GState, src: str, msg: Any) -> GState:
        if isinstance(msg, Gossip) and msg.hops > 0:
            dst = ctx.choose(ctx.peers)
            ctx.send(dst, replace(msg, hops=msg.hops - 1))
            if ctx.rng.random() < 0.3:
                ctx.cancel_timer("slow")
        ctx.persist(state.seen + 1)
        return replace(state, seen=state.seen + 1, last_now=round(ctx.now, 9))

    def on_timer(self, ctx: Context, state: GState, timer: Hashable) -> GState:
        if timer == "tick":
            if state.ticks < 6:
                ctx.set_timer("tick", (0.5, 3.0))
                ctx.send(ctx.rng.choice(ctx.peers), Gossip(ctx.id, 3))
            if state.ticks == 2:
                ctx.broadcast(("hello", ctx.id))
            if state.ticks == 3:
                ctx.set_timer("slow", 4.0)
                ctx.cancel_timer("slow")
                ctx.set_timer("slow", 1.25)
            return replace(state, ticks=state.ticks + 1, last_now=round(ctx.now, 9))
        return state  # "slow": no state change, no effects


class Recorder(Node[int]):
    """A client that records operations against the gossipers (to test histories)."""

    def init(self, ctx: Context) -> int:
        ctx.set_timer("op", 1.0)
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state

    def on_timer(self, ctx: Context, state: int, timer: Hashable) -> int:
        ctx.record("invoke", "write", state, key=state % 2)
        ctx.send(ctx.rng.choice(ctx.peers), Gossip(ctx.id, 1))
        ctx.record("ok" if state % 3 else "info", "write", state, key=state % 2)
        if state < 15:
            ctx.set_timer("op", (0.5, 2.5))
        return state + 1


def gossip_system(n: int = 4, client: bool = True) -> System:
    nodes: dict[str, Node[Any]] = {f"g{i}": Gossiper() for i in range(n)}
    if client:
        nodes["client"] = Recorder()
    return System(nodes)


def _all_faults() -> Nemesis:
    return Nemesis(
        [
            (3.0, ClockSkew("g1", offset=2.5, rate=1.5)),
            (4.0, NetworkChange(loss=0.3, duplication=0.2)),
            (5.0, Crash("g2")),
            (6.0, Pause("g0", 3.5)),
            (7.0, Partition((("g0", "g1"), ("g2", "g3", "client")))),
            (9.0, Restart("g2")),
            (11.0, Cut("g3", "g1")),
            (12.0, Heal()),
            (12.5, NetworkChange()),
            (13.0, Pause("g3", 0.0)),
            (14.0, Crash("g0")),
            (15.0, Pause("g1", 2.0)),
            (15.5, Crash("g1")),
            (18.0, Restart("g0")),
        ]
    )


def _latency_fn(rng: Any) -> float:
    return 0.5 + rng.random() * 2


def _manual(seed: int) -> Simulation:
    from dslib.basics import Ping, Pinger, Pong, Ponger

    system = System({"pinger": Pinger(count=3, period=2.0), "ponger": Ponger()})
    steps = [
        ("fire", "pinger", "tick"),
        ("duplicate", "pinger", "ponger", Ping(0)),
        ("deliver", "pinger", "ponger", Ping(0)),
        ("deliver", "pinger", "ponger", Ping(0)),
        ("drop", "ponger", "pinger", Pong(0)),
        ("fire", "pinger", "tick"),
        ("partition", ("pinger",), ("ponger",)),
        ("heal",),
        ("crash", "ponger"),
        ("deliver", "pinger", "ponger", Ping(1)),
        ("restart", "ponger"),
    ]
    sim = Simulation.replay(system, steps, seed=seed)
    sim.run(until=sim.now + 30)
    return sim


def _manual_choices(seed: int) -> Simulation:
    sim = Simulation(gossip_system(3, client=False), seed=seed)
    sim.fire("g0", "tick")
    for src, dst, msg in list(sim.in_flight()):
        sim.deliver(src, dst, msg, choices=[sim.system.ids[0] if dst != "g0" else "g1"])
    sim.crash("g1")
    sim.pause("g2", 3.0)
    sim.set_clock("g0", 1.0, 2.0)
    sim.cut("g0", "g2")
    sim.step()
    sim.step()
    sim.run(max_events=25)
    sim.restart("g1")
    sim.heal()
    sim.run(until=sim.now + 20.0)
    return sim


def _at_callbacks(seed: int) -> Simulation:
    sim = Simulation(gossip_system(), seed=seed, network=Network(exponential(1.5)))

    def poke(s: Simulation) -> None:
        s.partition(["g0", "client"], ["g1", "g2", "g3"])

    sim.at(2.0, poke)
    sim.at(4.0, Heal())
    sim.at(4.0, lambda s: s.crash("g3"))
    sim.at(8.5, Restart("g3"))
    sim.run(until=6.0)
    sim.run(max_events=40)
    return sim.run()


def _clients(seed: int) -> Simulation:
    from dslib.basics import KVServer

    workload = random_workload(seed, 12, keys=("x", "y"))
    system = System(
        {
            "s1": KVServer(),
            "s2": KVServer(),
            "c1": Client(["s1", "s2"], workload, timeout=4.0, retries=2, think=(0.5, 2.0)),
            "c2": Client(["s2"], random_workload(seed + 1, 8), timeout=3.0, start=1.5),
        }
    )
    net = Network(uniform(0.5, 3.0), loss=0.15, duplication=0.1)
    nemesis = Nemesis([(10.0, Crash("s1")), (25.0, Restart("s1")), (30.0, Pause("s2", 5.0))])
    return Simulation(system, seed=seed, network=net, nemesis=nemesis).run(until=200.0)


def _queue(seed: int) -> Simulation:
    from dslib.basics import LoadGenerator, QueueServer

    system = System(
        {
            "server": QueueServer(service_time=(0.5, 1.5)),
            "load": LoadGenerator("server", rate=0.6, count=300),
        }
    )
    return Simulation(system, seed=seed, network=Network(latency=lognormal(0.5, 0.8))).run()


def _clocks(seed: int) -> Simulation:
    from dslib.clocks import clock_run

    return clock_run(
        nodes=4,
        steps=5,
        seed=seed,
        latency=exponential(2.0),
        skews={"p1": (3.0, 1.1), "p3": (-1.0, 0.9)},
    )


def _sync(seed: int) -> Simulation:
    from dslib.clocks import sync_run

    return sync_run(
        rate=1.001, offset=4.0, latency=uniform(0.5, 3.0), probes=3, until=300.0, seed=seed
    )


def _store(seed: int) -> Simulation:
    from dslib.sharding.store import run_store

    faults = [
        (60.0, Crash("g2")),
        (90.0, Restart("g2")),
        (120.0, Cut("g1", "g3")),
        (130.0, Pause("g3", 10.0)),
        (170.0, Heal()),
    ]
    run = run_store(seed=seed, faults=faults, loss=0.05, duplication=0.05, until=400.0)
    return run.simulation


def _bank(seed: int) -> Simulation:
    from dslib.sharding.transactions import run_bank

    faults = [(8.0, Crash("tm1")), (40.0, Restart("tm1"))]
    return run_bank(seed=seed, transfers=5, coordinators=2, faults=faults, loss=0.05).simulation


def _gossip(network: Network, nemesis: Any = None, until: float = 40.0) -> Callable[[int], Any]:
    def run(seed: int) -> Simulation:
        sim = Simulation(gossip_system(), seed=seed, network=network, nemesis=nemesis)
        return sim.run(until=until)

    return run


def _untraced(seed: int) -> Simulation:
    sim = Simulation(
        gossip_system(),
        seed=seed,
        network=Network(exponential(1.0), loss=0.1),
        nemesis=_all_faults(),
        record_trace=False,
    )
    return sim.run(until=40.0)


SCENARIOS: dict[str, Callable[[int], Simulation]] = {
    "gossip constant": _gossip(Network()),
    "gossip lossy dup": _gossip(Network(exponential(2.0), loss=0.2, duplication=0.25)),
    "gossip fifo dup": _gossip(Network(uniform(0.0, 6.0), duplication=0.3, fifo=True)),
    "gossip callable latency": _gossip(Network(_latency_fn, loss=0.05)),
    "gossip all faults": _gossip(Network(exponential(1.0), fifo=True), _all_faults()),
    "gossip random nemesis": _gossip(
        Network(constant(0.5), loss=0.05),
        RandomNemesis(until=60.0, kinds=RandomNemesis.KINDS, mean_interval=6.0, duration=4.0),
        until=80.0,
    ),
    "gossip untraced": _untraced,
    "manual steps": _manual,
    "manual with choices": _manual_choices,
    "at callbacks": _at_callbacks,
    "clients kv": _clients,
    "queue": _queue,
    "lamport clocks": _clocks,
    "clock sync": _sync,
    "sharded store": _store,
    "bank 2pc": _bank,
}
SEEDS = (0, 1, 7)


def fingerprint(sim: Simulation) -> dict[str, Any]:
    """What must not change: the trace, the history, the states, the clock, the queue."""
    history = hashlib.sha256()
    for event in sim.history:
        history.update(stable_repr(event).encode() + b"\n")
    return {
        "trace": sim.trace.fingerprint(),
        "entries": len(sim.trace),
        "history": history.hexdigest(),
        "states": hashlib.sha256(stable_repr(sim.states).encode()).hexdigest(),
        "now": repr(sim.now),
        "events": sim.events,
        "pending": sim.pending,
        "in_flight": hashlib.sha256(stable_repr(sim.messages_in_flight()).encode()).hexdigest(),
        "timers": stable_repr(sim.timers_due()),
    }


def compute() -> dict[str, dict[str, Any]]:
    return {
        f"{name} / seed {seed}": fingerprint(run(seed))
        for name, run in SCENARIOS.items()
        for seed in SEEDS
    }


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fingerprints_unchanged(name: str) -> None:
    stored = json.loads(GOLDEN.read_text())
    for seed in SEEDS:
        key = f"{name} / seed {seed}"
        assert fingerprint(SCENARIOS[name](seed)) == stored[key], key


def test_corpus_covers_every_trace_kind() -> None:
    # A corpus that never crashed, paused or duplicated would not guard those paths.
    kinds: set[str] = set()
    for name, run in SCENARIOS.items():
        if name != "gossip untraced":
            kinds |= {e.kind for e in run(1).trace}
    expected = {
        "init",
        "send",
        "deliver",
        "drop",
        "duplicate",
        "timer",
        "state",
        "crash",
        "restart",
        "pause",
        "resume",
        "fault",
        "record",
    }
    assert expected <= kinds, sorted(expected - kinds)


def test_fingerprint_sees_a_one_event_change() -> None:
    # The fingerprint must notice a single extra step: otherwise the test above cannot fail.
    sim = _manual(0)
    before = fingerprint(sim)
    sim.run(max_events=1)
    sim.at(sim.now + 1, Heal())
    sim.run()
    assert fingerprint(sim) != before


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_sim_golden.py --update  (rewrites the fingerprints)")
    GOLDEN.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
