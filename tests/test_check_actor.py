"""Tests of ActorModel: network semantics, timers, crashes, choose, histories, replay."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from dslib import NOTHING_PERSISTED, Client, Context, Node, Simulation, System
from dslib.check import (
    Action,
    ActorModel,
    ActorState,
    Counterexample,
    ModelError,
    check,
    replay,
    state_graph,
)
from dslib.errors import HandlerError, ProtocolError
from dslib.sim.clients import Reply
from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
from dslib.small_systems.twophase import system_consistent, two_phase_system

# -- small systems --------------------------------------------------------------------------


class Sender(Node[int]):
    """Sends the messages ``msgs`` to ``to`` at init."""

    def __init__(self, to: str, msgs: tuple[Any, ...]) -> None:
        self.to = to
        self.msgs = msgs

    def init(self, ctx: Context) -> int:
        for m in self.msgs:
            ctx.send(self.to, m)
        return 0


class Recorder(Node[tuple[Any, ...]]):
    """Remembers every message it receives, in order."""

    def init(self, ctx: Context) -> tuple[Any, ...]:
        return ()

    def on_message(self, ctx: Context, state: tuple[Any, ...], src: str, msg: Any) -> Any:
        return (*state, msg)


def received(model: ActorModel, **kw: Any) -> set[tuple[Any, ...]]:
    """Every sequence the recorder can end up with (in states with nothing left to do)."""
    g = state_graph(model, **kw)
    return {s.node("b") for s, out in zip(g.states, g.edges, strict=True) if not out}


def two_senders(msgs: tuple[Any, ...] = ("x", "y")) -> System:
    return System({"a": Sender("b", msgs), "b": Recorder()})


def test_unordered_network_delivers_in_every_order() -> None:
    assert received(ActorModel(two_senders())) == {("x", "y"), ("y", "x")}


def test_fifo_network_keeps_link_order() -> None:
    assert received(ActorModel(two_senders(), fifo=True)) == {("x", "y")}


def test_lossy_network_may_lose_any_message() -> None:
    got = received(ActorModel(two_senders(), lossy=True))
    assert got == {(), ("x",), ("y",), ("x", "y"), ("y", "x")}
    got = received(ActorModel(two_senders(), lossy=True, fifo=True))
    assert got == {(), ("x",), ("y",), ("x", "y")}


def test_duplicating_network_delivers_again() -> None:
    model = ActorModel(two_senders(("x",)), duplicating=True)
    g = state_graph(model, boundary=lambda s: len(s.node("b")) >= 3)
    assert {s.node("b") for s in g.states} == {(), ("x",), ("x", "x"), ("x", "x", "x")}
    assert all(s.messages() == [("a", "b", "x")] for s in g.states)  # never removed


def test_multiset_of_messages_counts_copies_and_is_canonical() -> None:
    model = ActorModel(two_senders(("x", "x", "y")))
    [s0] = model.init_states()
    assert s0.messages() == [("a", "b", "x"), ("a", "b", "x"), ("a", "b", "y")]
    succ = dict((str(a), s) for a, s in model.actions(s0))
    assert sorted(succ) == ["a → b: 'x'", "a → b: 'y'"]  # one action per distinct message
    assert succ["a → b: 'x'"].messages() == [("a", "b", "x"), ("a", "b", "y")]
    # Equal global states reached in different orders are equal and hash equal.
    model2 = ActorModel(two_senders(("y", "x", "x")))
    [t0] = model2.init_states()
    assert t0 == s0 and hash(t0) == hash(s0)


def test_fifo_and_duplicating_cannot_combine() -> None:
    with pytest.raises(ValueError, match="fifo=True and duplicating=True cannot be combined"):
        ActorModel(two_senders(), fifo=True, duplicating=True)


# -- timers -------------------------------------------------------------------------------------


class Timers(Node[tuple[str, ...]]):
    """init sets 'a' twice (one timer) and 'b'; firing 'a' cancels 'b' and sets 'c'."""

    def init(self, ctx: Context) -> tuple[str, ...]:
        ctx.set_timer("a", 1.0)
        ctx.set_timer("a", 5.0)
        ctx.set_timer("b", 2.0)
        return ()

    def on_timer(self, ctx: Context, state: tuple[str, ...], timer: Any) -> tuple[str, ...]:
        if timer == "a":
            ctx.cancel_timer("b")
            ctx.set_timer("c", 1.0)
        return (*state, timer)


def test_timers_rearm_cancel_and_fire_in_any_order() -> None:
    model = ActorModel(System({"n": Timers()}))
    [s0] = model.init_states()
    assert s0.pending_timers() == [("n", "a"), ("n", "b")]
    g = state_graph(model)
    ends = {s.node("n") for s, out in zip(g.states, g.edges, strict=True) if not out}
    # 'a' first cancels 'b'; 'b' first lets 'a' fire later (which sets 'c').
    assert ends == {("a", "c"), ("b", "a", "c")}
    after_a = next(s for a, s in model.actions(s0) if a.msg == "a")
    assert after_a.pending_timers() == [("n", "c")]


# -- crashes and restarts --------------------------------------------------------------------


class Durable(Node[tuple[str, int]]):
    """Counts deliveries; persists the count; recovers from it."""

    def init(self, ctx: Context) -> tuple[str, int]:
        ctx.set_timer("tick", 1.0)
        return ("fresh", 0)

    def on_message(self, ctx: Context, state: tuple[str, int], src: str, msg: Any) -> Any:
        ctx.persist(state[1] + 1)
        return (state[0], state[1] + 1)

    def on_timer(self, ctx: Context, state: tuple[str, int], timer: Any) -> Any:
        return state

    def on_recover(self, ctx: Context, durable: Any) -> tuple[str, int]:
        return ("recovered", 0 if durable is NOTHING_PERSISTED else durable)


def test_crash_loses_state_and_timers_keeps_durable_and_restart_recovers() -> None:
    system = System({"a": Sender("b", ("m", "m")), "b": Durable()})
    model = ActorModel(system, max_crashes=1, crashable=["b"])
    [s0] = model.init_states()
    assert s0.node("b") == ("fresh", 0) and ("b", "tick") in s0.pending_timers()
    labels = [str(a) for a, _ in model.actions(s0)]
    assert labels == ["a → b: 'm'", "b: timer 'tick'", "crash b"]
    s1 = next(s for a, s in model.actions(s0) if a.kind == "deliver")
    assert s1.durable[s1.ids.index("b")] == 1
    s2 = next(s for a, s in model.actions(s1) if a.kind == "crash")
    assert s2.node("b") is None and s2.crashed == frozenset({"b"})
    assert s2.pending_timers() == [] and s2.crashes == 1
    assert "b" not in s2.nodes
    acts = {str(a): s for a, s in model.actions(s2)}
    assert "crash b" not in acts  # at most one crash
    # A message that arrives at a crashed node is lost.
    lost = acts["a → b: 'm'"]
    assert lost.messages() == [] and lost.node("b") is None
    restarted = acts["restart b"]
    assert restarted.node("b") == ("recovered", 1)
    no_restart = ActorModel(system, max_crashes=1, crashable=["b"], restart=False)
    assert "restart b" not in {str(a) for a, _ in no_restart.actions(s2)}


def test_crash_options_are_validated() -> None:
    system = two_senders()
    with pytest.raises(ValueError, match="max_crashes=-1 must be an int >= 0"):
        ActorModel(system, max_crashes=-1)
    with pytest.raises(ValueError, match=r"crashable names \['z'\], which are not nodes"):
        ActorModel(system, crashable=["z"])
    with pytest.raises(ValueError, match="must be a list of node ids"):
        ActorModel(system, crashable="a")
    with pytest.raises(TypeError, match="ActorModel takes a dslib.System"):
        ActorModel({"a": Recorder()})  # type: ignore[arg-type]


# -- choose ------------------------------------------------------------------------------------


class Chooser(Node[tuple[Any, ...]]):
    """On 'go' it chooses twice: a letter, then a number up to the letter's position."""

    def init(self, ctx: Context) -> tuple[Any, ...]:
        ctx.set_timer("go", 1.0)
        return ()

    def on_timer(self, ctx: Context, state: tuple[Any, ...], timer: Any) -> tuple[Any, ...]:
        letter = ctx.choose(["a", "b", "c"])
        number = ctx.choose(range(1, "abc".index(letter) + 2))
        return (letter, number)


def test_choose_explores_every_combination() -> None:
    model = ActorModel(System({"n": Chooser()}))
    [s0] = model.init_states()
    outcomes = [(a.choices, s.node("n")) for a, s in model.actions(s0)]
    assert outcomes == [
        (("a", 1), ("a", 1)),
        (("b", 1), ("b", 1)),
        (("b", 2), ("b", 2)),
        (("c", 1), ("c", 1)),
        (("c", 2), ("c", 2)),
        (("c", 3), ("c", 3)),
    ]
    assert str(model.actions(s0)[2][0]) == "n: timer 'go' [choose 'b', 2]"


class InitChooser(Node[str]):
    def init(self, ctx: Context) -> str:
        return str(ctx.choose(["x", "y"]))


def test_choose_in_init_gives_several_initial_states() -> None:
    model = ActorModel(System({"a": InitChooser(), "b": InitChooser()}))
    assert [tuple(s.states) for s in model.init_states()] == [
        ("x", "x"),
        ("x", "y"),
        ("y", "x"),
        ("y", "y"),
    ]


class Dice(Node[int]):
    def init(self, ctx: Context) -> int:
        ctx.set_timer("roll", 1.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.set_timer("roll", 1.0)
        return ctx.rng.randrange(1000)


def test_rng_gives_the_same_numbers_every_call() -> None:
    model = ActorModel(System({"d": Dice()}))
    g = state_graph(model)
    assert len(g) == 2  # 0, then always the same number


# -- errors from handlers -------------------------------------------------------------------------


class Faulty(Node[int]):
    def __init__(self, how: str) -> None:
        self.how = how

    def init(self, ctx: Context) -> int:
        ctx.set_timer("t", 1.0)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> Any:
        if state < 2:
            ctx.set_timer("t", 1.0)
            return state + 1
        if self.how == "raise":
            raise KeyError("boom")
        if self.how == "none":
            return None
        if self.how == "unhashable":
            return [state]
        ctx.send("nobody", "hi")
        return state


def test_handler_exception_is_reported_with_node_event_and_trace() -> None:
    with pytest.raises(HandlerError) as info:
        check(ActorModel(System({"n": Faulty("raise")})))
    err = info.value
    assert err.node == "n" and err.event == "timer 't'"
    assert "node 'n' raised KeyError: 'boom' while handling timer 't'" in str(err)
    assert isinstance(err.trace, Counterexample) and len(err.trace) == 2
    assert err.trace.final.node("n") == 2
    assert isinstance(err.__cause__, KeyError)


def test_handler_returning_none_or_unhashable_or_bad_send() -> None:
    with pytest.raises(ProtocolError, match=r"on_timer of node 'n' returned None while handling"):
        check(ActorModel(System({"n": Faulty("none")})))
    with pytest.raises(ProtocolError, match=r"on_timer of node 'n' returned a state that is not "):
        check(ActorModel(System({"n": Faulty("unhashable")})))
    with pytest.raises(ProtocolError, match="sent 'hi' to unknown node 'nobody'") as info:
        check(ActorModel(System({"n": Faulty("send")})))
    assert "after 2 steps" in "".join(info.value.__notes__)


# -- clients and histories ------------------------------------------------------------------------


class Register(Node[Any]):
    """A single-copy register server; it starts holding 0."""

    def init(self, ctx: Context) -> Any:
        return 0

    def on_message(self, ctx: Context, state: Any, src: str, req: Any) -> Any:
        if req.f == "write":
            ctx.send(src, Reply(req.request_id, True, req.value))
            return req.value
        ctx.send(src, Reply(req.request_id, True, state))
        return state


def test_client_histories_in_the_state() -> None:
    system = System(
        {"s": Register(), "c": Client(["s"], [("write", 1), ("read", None)], retries=0)}
    )
    model = ActorModel(system, record_history=True)
    g = state_graph(model)
    finals = [s for s, out in zip(g.states, g.edges, strict=True) if not out]
    results = set()
    for s in finals:
        ops = s.operations().operations()
        results.add(tuple((op.f, op.status, op.result) for op in ops))
    # The write may time out (info) and its request still arrive later; the read sees
    # the write whenever the write request was delivered before the read request.
    assert ("write", "ok", 1) in {r[0] for r in results}
    assert (("write", "ok", 1), ("read", "ok", 1)) in results
    assert (("write", "info", None), ("read", "ok", 0)) in results
    # Without record_history the same system has fewer states (histories merge).
    assert len(state_graph(ActorModel(system))) < len(g)


def test_record_in_changes_column() -> None:
    system = System({"s": Register(), "c": Client(["s"], [("write", 1)], retries=0)})
    model = ActorModel(system, record_history=True)
    r = check(model, goals={"done": lambda s: s.history[-1:] == (("c", "ok", "write", 1, None),)})
    text = str(r.witnesses["done"])
    assert "c records invoke write 1" in text and "c records ok write 1" in text
    assert len(r.witnesses["done"]) == 3  # invoke (timer), request delivered, reply delivered


# -- replay ---------------------------------------------------------------------------------------


def assert_replays(system: System, cex: Counterexample) -> Simulation:
    sim = replay(system, cex)  # check=True compares every node's state at every step
    assert sim.states == cex.final.nodes
    if not cex.model.duplicating:  # step k happens at time k (a duplication adds a step)
        assert sim.now == len(cex)
    return sim


def test_replay_of_counterexamples() -> None:
    system = ricart_agrawala(2, mutant="tie_by_timestamp")
    r = check(ActorModel(system), invariants=[at_most_one_critical])
    sim = assert_replays(system, r.counterexample)
    assert [e.kind for e in sim.trace.of_kind("deliver", "timer")] == ["timer"] * 2 + [
        "deliver"
    ] * 4
    for mutant, options in (
        ("tm_forgets_decision", {"max_crashes": 1, "crashable": ["tm"]}),
        ("rm_gives_up", {"duplicating": True}),
        ("tm_commits_early", {"lossy": True}),
    ):
        system = two_phase_system(2, mutant)
        r = check(ActorModel(system, **options), invariants=[system_consistent])
        assert not r.ok
        assert_replays(system, r.counterexample)


def test_replay_with_drops_and_duplicates() -> None:
    system = two_senders(("x",))
    model = ActorModel(system, duplicating=True, lossy=True)
    r = check(model, goals={"twice": lambda s: s.node("b") == ("x", "x")})
    sim = assert_replays(system, r.witnesses["twice"])
    assert sim.trace.count("duplicate") == 1 and sim.trace.count("deliver") == 2
    r = check(model, goals={"lost": lambda s: not s.messages()})
    sim = assert_replays(system, r.witnesses["lost"])
    assert [e.detail for e in sim.trace.of_kind("drop")] == ["loss"]


def test_replay_detects_divergence_and_bad_input() -> None:
    system = System({"d": Dice()})
    r = check(ActorModel(system), goals=lambda s: s.node("d") != 0)
    with pytest.raises(ModelError, match="replay diverged at step 1"):
        replay(system, r.witnesses["goal 1"], seed=5)
    with pytest.raises(TypeError, match="replay takes a Counterexample"):
        replay(system, "trace")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="are not the model's"):
        replay(two_senders(), r.witnesses["goal 1"])
    spec = Counterexample([(None, 0)])
    with pytest.raises(TypeError, match="needs a counterexample of an ActorModel"):
        replay(system, spec)


# -- agreement with the simulator ------------------------------------------------------------------


def test_every_simulated_run_is_an_execution_of_the_model() -> None:
    """Final states of seeded simulations (any latency, choices by rng) are reachable."""
    from dslib.sim import Network, uniform

    system = two_phase_system(3)
    reachable = {tuple(sorted(s.nodes.items())) for s in state_graph(ActorModel(system)).states}
    for seed in range(30):
        sim = Simulation(system, seed=seed, network=Network(latency=uniform(0.5, 15.0)))
        sim.run()
        assert tuple(sorted(sim.states.items())) in reachable


def test_action_and_state_rendering() -> None:
    assert str(Action("drop", "b", "a", "x")) == "lose a → b: 'x'"
    assert str(Action("crash", "b")) == "crash b"
    model = ActorModel(two_senders(("x",)))
    [s0] = model.init_states()
    assert repr(s0) == "ActorState({a: 0, b: ()}, in flight: [a → b: 'x'])"
    assert isinstance(s0, ActorState)
    with pytest.raises(KeyError, match="no node 'z'"):
        s0.node("z")
    assert model.describe(s0) == "\n  a: 0\n  b: ()\n  in flight: a → b: 'x'"


@dataclass(frozen=True)
class Count:
    n: int = 0


class Bouncer(Node[Count]):
    def init(self, ctx: Context) -> Count:
        if ctx.id == "a":
            ctx.send("b", "ball")
        return Count()

    def on_message(self, ctx: Context, state: Count, src: str, msg: Any) -> Count:
        ctx.send(src, msg)
        return replace(state, n=state.n + 1)


def test_boundary_on_a_system_that_never_stops() -> None:
    model = ActorModel(System({"a": Bouncer(), "b": Bouncer()}))
    r = check(model, boundary=lambda s: s.node("a").n >= 3)
    assert r.complete and r.distinct_states == 7  # 3 bounces each way plus the start
