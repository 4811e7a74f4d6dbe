"""Tests of the simulator: network, faults, clients, trace, determinism, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import NOTHING_PERSISTED, Client, Context, Network, Node, Simulation, System
from dslib.errors import HandlerError, HistoryError, ProtocolError
from dslib.sim import (
    ClockSkew,
    Crash,
    Heal,
    Latency,
    Nemesis,
    NetworkChange,
    Partition,
    Pause,
    RandomNemesis,
    Reply,
    Request,
    Restart,
    constant,
    exponential,
    lognormal,
    uniform,
)
from dslib.sim.clients import random_workload


@dataclass(frozen=True)
class Msg:
    seq: int


@dataclass(frozen=True)
class SenderState:
    sent: int = 0


class Sender(Node[SenderState]):
    """Sends Msg(0..n-1) to 'rx', one per tick."""

    def __init__(self, n: int = 10, period: float = 1.0) -> None:
        self.n, self.period = n, period

    def init(self, ctx: Context) -> SenderState:
        ctx.set_timer("tick", 0.0)
        return SenderState()

    def on_timer(self, ctx: Context, state: SenderState, timer: Any) -> SenderState:
        ctx.send("rx", Msg(state.sent))
        if state.sent + 1 < self.n:
            ctx.set_timer("tick", self.period)
        return replace(state, sent=state.sent + 1)


class Receiver(Node[tuple]):
    """Keeps the sequence numbers it received, in order; persists them."""

    def init(self, ctx: Context) -> tuple:
        return ()

    def on_message(self, ctx: Context, state: tuple, src: str, msg: Any) -> tuple:
        state = (*state, msg.seq)
        ctx.persist(state)
        return state

    def on_recover(self, ctx: Context, durable: Any) -> tuple:
        return () if durable is NOTHING_PERSISTED else durable


def pair(n: int = 10, period: float = 1.0) -> System:
    return System({"tx": Sender(n, period), "rx": Receiver()})


# -- basics and determinism -----------------------------------------------------
def test_delivers_everything_on_a_perfect_network() -> None:
    sim = Simulation(pair(), seed=1).run()
    assert sim.states["rx"] == tuple(range(10))
    assert sim.trace.count("send") == 10 and sim.trace.count("deliver") == 10
    assert sim.now == 10.0  # last send at 9, latency 1


def test_same_seed_same_trace_different_seed_different_trace() -> None:
    net = Network(latency=exponential(2.0), loss=0.2, duplication=0.1)
    a = Simulation(pair(50), seed=7, network=net).run()
    b = Simulation(pair(50), seed=7, network=net).run()
    c = Simulation(pair(50), seed=8, network=net).run()
    assert a.trace.fingerprint() == b.trace.fingerprint()
    assert a.trace.fingerprint() != c.trace.fingerprint()


DETERMINISM_SCRIPT = textwrap.dedent(
    """
    from dataclasses import dataclass, replace
    from dslib import Node, System, Simulation, Network, Client
    from dslib.sim import exponential, RandomNemesis, Reply

    @dataclass(frozen=True)
    class S:
        seen: frozenset = frozenset()
        log: tuple = ()

    class Gossip(Node[S]):
        def init(self, ctx):
            ctx.set_timer("tick", (1.0, 3.0))
            return S(frozenset({ctx.id}))
        def on_timer(self, ctx, state, timer):
            ctx.send(ctx.rng.choice(ctx.peers), ("rumours", state.seen))
            ctx.set_timer("tick", (1.0, 3.0))
            return state
        def on_message(self, ctx, state, src, msg):
            if hasattr(msg, "request_id"):
                ctx.send(src, Reply(msg.request_id, True, len(state.seen)))
                return state
            return replace(state, seen=state.seen | msg[1], log=state.log + (src,))

    nodes = {n: Gossip() for n in ["alpha", "beta", "gamma", "delta", "eps"]}
    nodes["client"] = Client(["alpha", "beta"], [("read", None)] * 5, timeout=3)
    sim = Simulation(System(nodes), seed=42,
                     network=Network(latency=exponential(1.5), loss=0.1, duplication=0.05),
                     nemesis=RandomNemesis(until=80, kinds=("crash", "partition", "pause")))
    sim.run(until=100)
    print(sim.trace.fingerprint(), len(sim.trace))
    """
)


def test_fingerprint_is_independent_of_pythonhashseed(tmp_path: Any) -> None:
    script = tmp_path / "run.py"
    script.write_text(DETERMINISM_SCRIPT)
    outputs = set()
    for hashseed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        out = subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        outputs.add(out)
    assert len(outputs) == 1, outputs
    fingerprint, length = outputs.pop().split()
    assert len(fingerprint) == 64 and int(length) > 100


# -- network ------------------------------------------------------------------------
def test_constant_latency_is_exact() -> None:
    sim = Simulation(pair(3), network=Network(latency=constant(2.5))).run()
    assert sim.trace.latencies() == [2.5, 2.5, 2.5]


@given(st.floats(0, 10), st.floats(0, 10), st.integers(0, 1000))
@settings(max_examples=30, deadline=None)
def test_uniform_latency_within_bounds(a: float, b: float, seed: int) -> None:
    lo, hi = min(a, b), max(a, b)
    sim = Simulation(pair(20), seed=seed, network=Network(latency=uniform(lo, hi))).run()
    assert all(lo - 1e-9 <= d <= hi + 1e-9 for d in sim.trace.latencies())


def test_reordering_without_fifo_and_order_with_fifo() -> None:
    net = Network(latency=uniform(0.0, 20.0))
    unordered = Simulation(pair(30), seed=3, network=net).run().states["rx"]
    assert sorted(unordered) == list(range(30)) and list(unordered) != list(range(30))
    fifo = Network(latency=uniform(0.0, 20.0), fifo=True)
    ordered = Simulation(pair(30), seed=3, network=fifo).run().states["rx"]
    assert list(ordered) == list(range(30))


def test_fifo_holds_with_duplication() -> None:
    net = Network(latency=uniform(0.0, 5.0), fifo=True, duplication=0.5)
    got = Simulation(pair(40), seed=5, network=net).run().states["rx"]
    assert list(got) == sorted(got) and set(got) == set(range(40)) and len(got) > 40


def test_loss_drops_about_the_right_fraction_and_says_why() -> None:
    sim = Simulation(pair(2000, 0.1), seed=2, network=Network(loss=0.3)).run()
    drops = sim.trace.of_kind("drop")
    assert all(d.detail == "loss" for d in drops)
    assert 0.25 < len(drops) / 2000 < 0.35
    assert len(drops) + sim.trace.count("deliver") == 2000


def test_duplication_delivers_copies() -> None:
    sim = Simulation(pair(500, 0.1), seed=2, network=Network(duplication=0.2)).run()
    dups = sim.trace.count("duplicate")
    assert 70 < dups < 130
    assert len(sim.states["rx"]) == 500 + dups


def test_latency_distributions_sample_sensibly() -> None:
    import random

    rng = random.Random(0)
    xs = [exponential(4.0).sample(rng) for _ in range(5000)]
    assert 3.7 < sum(xs) / len(xs) < 4.3
    ys = sorted(lognormal(10.0, 0.5).sample(rng) for _ in range(5001))
    assert 9.3 < ys[2500] < 10.7
    assert Latency(lambda r: 3.0).sample(rng) == 3.0
    sim = Simulation(pair(3), network=Network(latency=lambda r: 0.5)).run()
    assert sim.trace.latencies() == [0.5] * 3


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Network(loss=-0.1), "loss=-0.1 is not a probability"),
        (lambda: Network(duplication=2), "duplication=2 is not a probability"),
        (lambda: Network(fifo=1), "fifo=1 must be True or False"),
        (lambda: Network(latency="fast"), "latency must be a number"),
        (lambda: uniform(3, 1), "lo=3 is greater than hi=1"),
        (lambda: uniform(-1, 1), "lo=-1 must be >= 0"),
        (lambda: exponential(0), "mean=0 must be > 0"),
        (lambda: lognormal(-2, 1), "median=-2 must be >= 0"),
        (lambda: constant(float("inf")), "must be a finite number"),
        (lambda: Latency(3), "function of a random.Random"),
    ],
)
def test_network_bad_input(make: Any, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_custom_latency_returning_negative_is_an_error() -> None:
    with pytest.raises(ValueError, match="returned -1.0; a latency must be a finite number >= 0"):
        Simulation(pair(1), network=Network(latency=Latency(lambda r: -1.0, "bad"))).run()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -0.5, "1", None])
def test_every_bad_custom_latency_is_caught(bad: Any) -> None:
    # The check has a fast path for plain floats; every other value takes the full one.
    with pytest.raises(ValueError, match="a latency must be a finite number >= 0"):
        Simulation(pair(1), network=Network(latency=lambda r: bad)).run()


@pytest.mark.parametrize("good", [0, 2, 0.0, 1.5, True])
def test_custom_latency_accepts_numbers(good: Any) -> None:
    sim = Simulation(pair(1), network=Network(latency=lambda r: good)).run()
    assert sim.trace.latencies() and all(t == float(good) for t in sim.trace.latencies())


# -- partitions ----------------------------------------------------------------------
def test_partition_drops_between_groups_until_heal() -> None:
    sim = Simulation(pair(10), seed=1)
    sim.at(2.5, Partition((("tx",), ("rx",))))
    sim.at(6.5, Heal())
    sim.run()
    # Message k is sent at time k and arrives at k + 1: 2 is in flight when the partition
    # starts (lost on arrival), 3 to 6 are sent during it, 7 after the heal.
    assert sim.states["rx"] == (0, 1, 7, 8, 9)
    drops = sim.trace.of_kind("drop")
    assert [d.data.seq for d in drops] == [2, 3, 4, 5, 6]
    assert {d.detail for d in drops} == {"partition"}


def test_one_way_cut() -> None:
    sim = Simulation(pair(4), seed=1)
    sim.cut("tx", "rx")
    assert not sim.connected("tx", "rx") and sim.connected("rx", "tx")
    sim.run()
    assert sim.states["rx"] == ()


def test_message_in_flight_when_partition_starts_is_dropped() -> None:
    sim = Simulation(pair(1), network=Network(latency=5.0))
    sim.run(until=1.0)
    sim.partition(["tx"], ["rx"])
    sim.run()
    assert sim.trace.of_kind("drop")[0].detail == "partition"


def test_messages_in_flight_say_when_they_arrive_and_what_becomes_of_them() -> None:
    sim = Simulation(pair(3, period=0.5), network=Network(latency=5.0))
    sim.run(until=0.1)
    [(msg_id, src, dst, _msg, arrival, fate)] = sim.messages_in_flight()
    assert (src, dst, arrival, fate) == ("tx", "rx", 5.0, "deliver")
    assert sim.trace.of_kind("send")[0].ref == msg_id
    sim.partition(["tx"], ["rx"])
    sim.run(until=0.6)
    assert [m[5] for m in sim.messages_in_flight()] == ["partition", "partition"]
    assert len(sim.in_flight()) == 2
    lossy = Simulation(pair(1), network=Network(latency=5.0, loss=1.0))
    lossy.run(until=0.1)
    assert [m[5] for m in lossy.messages_in_flight()] == ["lost"]


@pytest.mark.parametrize(
    ("groups", "match"),
    [
        ((("tx",),), r"nodes \['rx'\] are in no group"),
        ((("tx", "rx"), ("rx",)), "'rx' is in more than one group"),
        ((("tx",), ("rx", "zz")), "unknown node 'zz'"),
    ],
)
def test_partition_bad_input(groups: Any, match: str) -> None:
    sim = Simulation(pair())
    with pytest.raises(ValueError, match=match):
        sim.partition(*groups)


# -- crashes, restarts, pauses, clocks -------------------------------------------------
def test_crash_loses_state_timers_and_arriving_messages_restart_recovers() -> None:
    sim = Simulation(pair(10), seed=1)
    sim.at(3.5, Crash("rx"))
    sim.at(6.5, Restart("rx"))
    sim.at(4.5, Crash("tx"))
    sim.run(until=5.0)
    assert "rx" not in sim.states and sim.crashed == {"rx", "tx"}
    sim.run()
    # rx recovered what it had persisted (0, 1, 2); messages 3 arrived while it was down;
    # tx crashed at 4.5 and its timer died with it, so nothing after 4 was sent.
    assert sim.states["rx"] == (0, 1, 2)
    assert [d.data.seq for d in sim.trace.of_kind("drop")] == [3, 4]
    assert sim.trace.of_kind("restart")[0].data == (0, 1, 2)


def test_crash_and_restart_errors() -> None:
    sim = Simulation(pair())
    with pytest.raises(ValueError, match="'rx' is not crashed"):
        sim.restart("rx")
    sim.crash("rx")
    with pytest.raises(ValueError, match="'rx' is already crashed"):
        sim.crash("rx")
    with pytest.raises(ValueError, match="unknown node 'nobody'"):
        sim.crash("nobody")


def test_pause_delays_without_loss() -> None:
    sim = Simulation(pair(10), seed=1)
    sim.at(2.5, Pause("rx", 5.0))
    sim.run()
    assert sim.states["rx"] == tuple(range(10))
    delivered = {d.data.seq: d.time for d in sim.trace.of_kind("deliver")}
    assert delivered[3] == 7.5 and delivered[6] == 7.5 and delivered[7] == 8.0


def test_crash_during_pause_drops_waiting_messages() -> None:
    sim = Simulation(pair(10), seed=1)
    sim.at(2.5, Pause("rx", 5.0))
    sim.at(5.5, Crash("rx"))
    sim.run()
    dropped = [d.data.seq for d in sim.trace.of_kind("drop")]
    # 2, 3, 4 waited for the paused node and are lost with it; 5, 6 arrive while it is down.
    assert dropped == [2, 3, 4, 5, 6, 7, 8, 9] and all(
        d.detail == "crashed" for d in sim.trace.of_kind("drop")
    )


class ClockReader(Node[tuple]):
    def init(self, ctx: Context) -> tuple:
        ctx.set_timer("t", 10.0)
        return ()

    def on_timer(self, ctx: Context, state: tuple, timer: Any) -> tuple:
        if not state:
            ctx.set_timer("t", 10.0)
        return (*state, ctx.now)


def test_clock_skew_offsets_and_rates() -> None:
    sim = Simulation(System({"a": ClockReader()}))
    sim.set_clock("a", offset=100.0, rate=2.0)
    sim.run()
    # The first timer was set before the skew: it fires at true time 10 and reads
    # 100 + 2 * 10. The second, set on the fast clock, takes 10 / 2 true units.
    assert sim.states["a"] == (120.0, 130.0) and sim.now == 15.0
    with pytest.raises(ValueError, match="rate=0 must be a number > 0"):
        sim.set_clock("a", rate=0)


class Rearm(Node[tuple]):
    def init(self, ctx: Context) -> tuple:
        ctx.set_timer("t", 5.0)
        ctx.set_timer("t", 2.0)  # replaces the first
        ctx.set_timer("u", 1.0)
        ctx.cancel_timer("u")
        return ()

    def on_timer(self, ctx: Context, state: tuple, timer: Any) -> tuple:
        return (*state, (timer, ctx.now))


def test_rearming_replaces_and_cancel_cancels() -> None:
    sim = Simulation(System({"a": Rearm()})).run()
    assert sim.states["a"] == (("t", 2.0),)


# -- handler errors -------------------------------------------------------------------
class Broken(Node[int]):
    def __init__(self, how: str) -> None:
        self.how = how

    def init(self, ctx: Context) -> int:
        ctx.set_timer("t", 1.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> Any:
        if self.how == "raise":
            raise KeyError("oops")
        if self.how == "none":
            return None
        if self.how == "list":
            return [1]
        if self.how == "unknown":
            ctx.send("ghost", "boo")
        return state


@pytest.mark.parametrize(
    ("how", "error", "match"),
    [
        ("raise", HandlerError, r"node 'a' raised KeyError: 'oops' while handling timer 't'"),
        ("none", ProtocolError, r"on_timer of node 'a' returned None while handling timer 't'"),
        ("list", ProtocolError, r"not hashable.*timer 't'"),
        ("unknown", ProtocolError, r"unknown node 'ghost' while handling timer 't'"),
    ],
)
def test_handler_errors_name_node_and_event(how: str, error: type, match: str) -> None:
    sim = Simulation(System({"a": Broken(how)}))
    with pytest.raises(error, match=match) as info:
        sim.run()
    if isinstance(info.value, HandlerError):
        assert info.value.node == "a" and info.value.trace is sim.trace
        assert isinstance(info.value.__cause__, KeyError)


# -- running --------------------------------------------------------------------------
def test_run_until_and_max_events_and_step() -> None:
    sim = Simulation(pair(10), seed=1)
    sim.run(until=3.2)
    assert sim.now == 3.2 and sim.states["rx"] == (0, 1, 2)
    sim.run(max_events=2)
    assert sim.events == 9 + 0 or sim.events > 0
    before = len(sim.trace)
    entries = sim.step()
    assert entries and len(sim.trace) == before + len(entries)
    sim.run()
    assert sim.step() == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"until": -1}, "until=-1 must be a number >= the current time"),
        ({"max_events": -3}, "max_events=-3 must be an int >= 0"),
        ({"max_events": 1.5}, "max_events=1.5 must be an int"),
    ],
)
def test_run_bad_input(kwargs: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Simulation(pair()).run(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"system": {"a": Receiver()}}, TypeError, "takes a dslib.System"),
        ({"seed": "x"}, TypeError, "seed='x' must be an int"),
        ({"network": 3}, TypeError, "must be a dslib.sim.Network"),
        ({"nemesis": [Crash("rx")]}, TypeError, "must be a Nemesis"),
    ],
)
def test_simulation_bad_input(kwargs: Any, error: type, match: str) -> None:
    args = {"system": pair(), **kwargs}
    with pytest.raises(error, match=match):
        Simulation(**args)


# -- nemesis ----------------------------------------------------------------------------
def test_nemesis_schedule_applies_in_order() -> None:
    nemesis = Nemesis([(6.5, Restart("rx")), (3.5, Crash("rx")), (1.0, NetworkChange(loss=1.0))])
    sim = Simulation(pair(10), nemesis=nemesis).run()
    # Message 0 left at time 0, before the loss began; rx persisted it and recovers it.
    assert sim.states["rx"] == (0,)
    faults = [e.kind for e in sim.trace if e.kind in ("crash", "restart", "fault")]
    assert faults == ["fault", "crash", "restart"]


def test_network_change_none_restores_configured_values() -> None:
    nemesis = Nemesis([(0.5, NetworkChange(loss=1.0)), (4.5, NetworkChange())])
    sim = Simulation(pair(10), nemesis=nemesis).run()
    assert sim.states["rx"] == (0, 5, 6, 7, 8, 9)  # 1 to 4 were sent while loss was 1


@pytest.mark.parametrize(
    ("schedule", "error", "match"),
    [
        ([(1.0,)], TypeError, "each entry is \\(time, fault\\)"),
        ([(-1.0, Heal())], ValueError, "times are numbers >= 0"),
        ([(1.0, "crash")], TypeError, "faults are: Crash"),
    ],
)
def test_nemesis_bad_input(schedule: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        Nemesis(schedule)


def test_nemesis_with_unknown_node_rejected_at_start() -> None:
    with pytest.raises(ValueError, match="unknown node 'zz'"):
        Simulation(pair(), nemesis=Nemesis([(1.0, Crash("zz"))]))
    with pytest.raises(ValueError, match="duration=-1 must be a number >= 0"):
        Simulation(pair(), nemesis=Nemesis([(1.0, Pause("rx", -1))]))
    with pytest.raises(ValueError, match="loss=2 must be a probability"):
        Simulation(pair(), nemesis=Nemesis([(1.0, NetworkChange(loss=2))]))
    with pytest.raises(ValueError, match="rate=-1 must be a number > 0"):
        Simulation(pair(), nemesis=Nemesis([(1.0, ClockSkew("rx", rate=-1))]))


def test_random_nemesis_is_seeded_and_episodes_do_not_overlap() -> None:
    nemesis = RandomNemesis(until=500, kinds=("crash", "partition", "pause", "loss"))
    a = Simulation(pair(100, 5.0), seed=4, nemesis=nemesis).run()
    b = Simulation(pair(100, 5.0), seed=4, nemesis=nemesis).run()
    assert a.trace.fingerprint() == b.trace.fingerprint()
    kinds = {e.kind for e in a.trace}
    assert {"crash", "restart", "pause", "fault"} <= kinds
    with pytest.raises(ValueError, match="choose one or more of"):
        RandomNemesis(until=10, kinds=("meteor",))
    with pytest.raises(ValueError, match="until=0 must be a number > 0"):
        RandomNemesis(until=0)


# -- clients and history ----------------------------------------------------------------
class Register(Node[Any]):
    """A single-copy register server; optionally ignores the first request it sees."""

    def __init__(self, deaf_to_first: bool = False) -> None:
        self.deaf = deaf_to_first

    def init(self, ctx: Context) -> Any:
        return (None, 0)

    def on_message(self, ctx: Context, state: Any, src: str, req: Any) -> Any:
        value, seen = state
        seen += 1
        if self.deaf and seen == 1:
            return (value, seen)
        if req.f == "write":
            ctx.send(src, Reply(req.request_id, True, req.value))
            return (req.value, seen)
        if req.f == "cas":
            old, new = req.value
            ctx.send(src, Reply(req.request_id, value == old, None))
            return (new if value == old else value, seen)
        ctx.send(src, Reply(req.request_id, True, value))
        return (value, seen)


def test_client_records_a_history() -> None:
    workload = [("write", 1), ("read", None), ("cas", (1, 2)), ("cas", (1, 3)), ("read", None)]
    sim = Simulation(System({"r": Register(), "c": Client(["r"], workload)})).run()
    ops = sim.history.operations()
    assert [(o.f, o.status, o.result) for o in ops] == [
        ("write", "ok", 1),
        ("read", "ok", 1),
        ("cas", "ok", None),
        ("cas", "fail", None),
        ("read", "ok", 2),
    ]
    assert all(o.complete_time - o.invoke_time == 2.0 for o in ops)


def test_client_retries_to_the_next_server_then_gives_up_as_info() -> None:
    system = System(
        {
            "r1": Register(deaf_to_first=True),
            "r2": Register(),
            "c": Client(["r1", "r2"], [("write", 5), ("read", None)], timeout=3.0, retries=1),
        }
    )
    sim = Simulation(system).run()
    ops = sim.history.operations()
    assert [(o.status, o.result) for o in ops] == [("ok", 5), ("ok", 5)]
    sends = [e for e in sim.trace.of_kind("send") if e.node == "c"]
    assert [(e.peer, e.data.request_id) for e in sends] == [("r1", 1), ("r2", 1), ("r2", 2)]

    lonely = System({"r": Register(), "c": Client(["r"], [("write", 1)], timeout=2, retries=2)})
    sim = Simulation(lonely)
    sim.crash("r")
    sim.run()
    (op,) = sim.history.operations()
    assert op.status == "info" and sim.trace.count("send") == 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"servers": []}, "non-empty list of server ids"),
        ({"servers": "r"}, "non-empty list of server ids"),
        ({"workload": [3]}, "workload entry 0 is 3"),
        ({"timeout": 0}, "timeout=0 must be a number > 0"),
        ({"retries": -1}, "retries=-1 must be an int >= 0"),
        ({"start": -2}, "start=-2 must be a number >= 0"),
    ],
)
def test_client_bad_input(kwargs: Any, match: str) -> None:
    args = {"servers": ["r"], "workload": [("read", None)], **kwargs}
    with pytest.raises(ValueError, match=match):
        Client(**args)


def test_client_with_unknown_server_fails_at_start() -> None:
    with pytest.raises(HandlerError, match="servers \\['nope'\\] are not nodes"):
        Simulation(System({"r": Register(), "c": Client(["nope"], ["read"])}))


def test_history_errors_name_the_process() -> None:
    from dslib.sim import History

    h = History()
    with pytest.raises(HistoryError, match="process 'p' completes read .* without an open"):
        h.complete("p", "ok", "read", 1, time=0.0)
    h.invoke("p", "read", time=1.0)
    with pytest.raises(HistoryError, match="process 'p' invokes write .* has not completed"):
        h.invoke("p", "write", 2, time=2.0)
    with pytest.raises(HistoryError, match="invoked read but completes write"):
        h.complete("p", "ok", "write", time=2.0)
    with pytest.raises(HistoryError, match="type 'done'"):
        h.add(type(h.events[0])("p", "done", "read", None, 3.0))
    h.complete("p", "ok", "read", 3, time=2.0)
    with pytest.raises(HistoryError, match="comes after an event at time 2.0"):
        h.invoke("q", "read", time=1.0)
    assert len(h.to_frame()) == 2


def test_random_workload_is_seeded() -> None:
    assert random_workload(3, 20) == random_workload(3, 20)
    assert random_workload(3, 20) != random_workload(4, 20)
    kv = random_workload(1, 10, fs=("get", "put"), keys=["x", "y"])
    assert all(op[0] in ("get", "put") and op[1] in ("x", "y") for op in kv)


# -- manual steps ------------------------------------------------------------------------
class Chooser(Node[tuple]):
    def init(self, ctx: Context) -> tuple:
        ctx.set_timer("t", 1.0)
        return ()

    def on_timer(self, ctx: Context, state: tuple, timer: Any) -> tuple:
        return (*state, ctx.choose(["x", "y", "z"]))


def test_manual_steps_deliver_fire_drop_duplicate() -> None:
    sim = Simulation(pair(3), seed=1)
    assert sim.pending_timers() == [("tx", "tick")]
    sim.fire("tx", "tick")
    sim.fire("tx", "tick")
    assert sim.in_flight() == [("tx", "rx", Msg(0)), ("tx", "rx", Msg(1))]
    sim.duplicate("tx", "rx", Msg(1))
    sim.deliver("tx", "rx", Msg(1))
    sim.drop("tx", "rx", Msg(0))
    sim.deliver("tx", "rx", Msg(1))
    assert sim.states["rx"] == (1, 1)
    with pytest.raises(ValueError, match=r"no message Msg\(seq=0\) from 'tx' to 'rx' is in flight"):
        sim.deliver("tx", "rx", Msg(0))
    with pytest.raises(ValueError, match="timer 'nope' is not set on node 'tx'"):
        sim.fire("tx", "nope")
    sim.fire("tx", "tick")
    sim.drop("tx", "rx", Msg(2), reason="partition")
    assert sim.trace.of_kind("drop")[-1].detail == "partition"
    with pytest.raises(ValueError, match="reason='gremlins'; allowed: 'loss', 'partition'"):
        sim.drop("tx", "rx", Msg(1), reason="gremlins")


def test_manual_fire_with_fixed_choices() -> None:
    sim = Simulation(System({"a": Chooser()}))
    sim.fire("a", "t", choices=["z"])
    assert sim.states["a"] == ("z",)
    sim2 = Simulation(System({"a": Chooser()}))
    with pytest.raises(ValueError, match="choice 'w' is not one of the options"):
        sim2.fire("a", "t", choices=["w"])


# -- trace ------------------------------------------------------------------------------------
def test_trace_views() -> None:
    sim = Simulation(pair(3), network=Network(latency=2.0)).run()
    frame = sim.trace.to_frame()
    assert list(frame.columns) == ["time", "kind", "node", "peer", "data", "ref", "detail"]
    assert len(frame) == len(sim.trace)
    msgs = sim.trace.messages()
    assert [(m["src"], m["dst"], m["outcome"]) for m in msgs] == [("tx", "rx", "delivered")] * 3
    assert "rx deliver   <- tx: Msg(seq=0)" in str(sim.trace)
    assert repr(sim.trace) == f"Trace({len(sim.trace)} events)"


def test_record_trace_off_keeps_states_and_history() -> None:
    sim = Simulation(pair(5), record_trace=False).run()
    assert len(sim.trace) == 0 and sim.states["rx"] == tuple(range(5))


def test_requests_are_hashable_values() -> None:
    assert hash(Request("c", 1, "read")) == hash(Request("c", 1, "read"))


def test_replay_takes_exactly_the_given_steps() -> None:
    steps = [
        ("fire", "tx", "tick"),
        ("fire", "tx", "tick"),
        ("duplicate", "tx", "rx", Msg(0)),
        ("deliver", "tx", "rx", Msg(1)),
        ("deliver", "tx", "rx", Msg(0)),
        ("crash", "rx"),
        ("deliver", "tx", "rx", Msg(0)),
        ("restart", "rx"),
        ("partition", ["tx"], ["rx"]),
        ("heal",),
    ]
    sim = Simulation.replay(pair(3), steps)
    assert sim.states["rx"] == (1, 0)  # persisted before the crash, recovered after
    assert sim.now == len(steps)
    assert [e.detail for e in sim.trace.of_kind("drop")] == ["crashed"]
    with pytest.raises(ValueError, match="step 0 .* cannot be taken: no message"):
        Simulation.replay(pair(3), [("deliver", "tx", "rx", Msg(5))])
    with pytest.raises(ValueError, match="unknown step \\('teleport',\\)"):
        Simulation.replay(pair(3), [("teleport",)])


@dataclass(frozen=True)
class SlowCrash(Crash):
    """A subclass of a fault type is that fault."""


def test_the_fault_table_takes_subclasses_and_rejects_other_values() -> None:
    sim = Simulation(pair(3), seed=1)
    sim.at(1.5, SlowCrash("rx"))
    sim.run()
    assert sim.crashed == frozenset({"rx"}) and sim.trace.count("crash") == 1
    with pytest.raises(TypeError, match=r"'crash' is not a fault \(Crash, Restart, Pause"):
        sim.at(10.0, "crash")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Restart: node 'tx' is not crashed at time"):
        sim.restart("tx")


# -- the garbage collector during run -----------------------------------------------
@pytest.mark.parametrize("how", ["ok", "raise"])
@pytest.mark.parametrize("before", [(700, 10, 10), (0, 10, 10), (50_000, 5, 5)])
def test_run_raises_the_young_gc_threshold_and_always_restores_it(
    how: str, before: tuple[int, int, int]
) -> None:
    import gc

    from dslib.sim.simulator import _GC_YOUNG_THRESHOLD

    seen: list[tuple[int, int, int]] = []
    saved = gc.get_threshold()
    try:
        gc.set_threshold(*before)
        sim = Simulation(System({"a": Broken(how)}))
        sim.at(0.5, lambda s: seen.append(gc.get_threshold()))
        if how == "raise":
            with pytest.raises(HandlerError):
                sim.run()
        else:
            sim.run()
        after = gc.get_threshold()
    finally:
        gc.set_threshold(*saved)
    # Raised while events are handled, unless already higher or automatic collection is off.
    expected = before if before[0] in (0, 50_000) else (_GC_YOUNG_THRESHOLD, *before[1:])
    assert seen == [expected]
    assert after == before


def test_garbage_cycles_made_by_handlers_are_still_collected_during_run() -> None:
    import gc
    import weakref

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    refs: list[weakref.ref[Cycle]] = []
    freed_seen: list[int] = []  # by each handler call, of the cycles made before it

    class Litter(Node[int]):
        def init(self, ctx: Context) -> int:
            ctx.set_timer("t", 1.0)
            return 0

        def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
            freed_seen.append(sum(r() is None for r in refs))
            for _ in range(100):
                refs.append(weakref.ref(Cycle()))
            ctx.set_timer("t", 1.0)
            return state + 1

    assert gc.isenabled()
    sim = Simulation(System({"a": Litter()}), record_trace=False)
    sim.run(max_events=200)  # 20,000 garbage cycles, made while the collector is tuned
    made_before_last = 100 * (len(freed_seen) - 1)
    assert freed_seen[-1] > made_before_last // 2, (
        f"only {freed_seen[-1]} of {made_before_last} garbage cycles were freed during the run"
    )


def _pair_by_scanning(events: list[Any]) -> list[tuple[Any, ...]]:
    """Independent oracle: pair each invocation with the next event of its process."""
    out = []
    for i, e in enumerate(events):
        if e.type != "invoke":
            continue
        done = next((j for j in range(i + 1, len(events)) if events[j].process == e.process), None)
        d = events[done] if done is not None else None
        out.append(
            (
                e.process,
                e.f,
                e.value,
                None if d is None else d.value,
                "info" if d is None else d.type,
                e.time,
                float("inf") if d is None else d.time,
                e.key if e.key is not None or d is None else d.key,
                i,
                float("inf") if d is None else done,
            )
        )
    return out


@given(
    st.lists(
        st.tuples(st.sampled_from("pqr"), st.sampled_from(["ok", "fail", "info"])), max_size=30
    )
)
def test_history_pairs_operations_as_events_arrive(steps: list[tuple[str, str]]) -> None:
    from dslib.sim import History

    h = History()
    for t, (p, kind) in enumerate(steps):
        if p in h._open:
            h.complete(p, kind, "put", t, time=float(t), key=None if t % 3 else "k")
        else:
            h.invoke(p, "put", t, time=float(t), key="k" if t % 2 else None)
        got = [
            (o.process, o.f, o.value, o.result, o.status, o.invoke_time, o.complete_time, o.key)
            for o in h.operations()
        ]
        invoked, completed = h.positions()
        want = _pair_by_scanning(h.events)
        assert got == [w[:8] for w in want]
        assert [o.index for o in h.operations()] == list(range(len(want)))
        assert (invoked, completed) == ([w[8] for w in want], [w[9] for w in want])


def test_history_refuses_events_changed_behind_its_back() -> None:
    from dslib.sim import History

    h = History()
    h.invoke("p", "read", time=0.0)
    h.events.append(h.events[0])
    with pytest.raises(HistoryError, match="changed directly; add events with add"):
        h.operations()
