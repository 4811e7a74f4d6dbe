"""Tests of dslib.testing: strategies, the Stepper and its rules, the state machine,
find_bug (results, replay, polish, reproducibility) and sweeps. The acceptance runs of
find_bug on the register systems are in test_testing_find_bug.py and
test_testing_correct.py."""

from __future__ import annotations

import math
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from dslib import Context, Node, System
from dslib.consistency import Register, check_linearizable
from dslib.errors import HandlerError
from dslib.mutants import outcome_of
from dslib.sim import (
    ClockSkew,
    Crash,
    Cut,
    Heal,
    Nemesis,
    Network,
    NetworkChange,
    Partition,
    RandomNemesis,
    Restart,
    Simulation,
    uniform,
)
from dslib.sim.clients import Reply, Request
from dslib.small_systems.registers import default_workloads, primary_backup, quorum_register
from dslib.testing import (
    DEFAULT_FAULTS,
    SHAPES,
    Deliver,
    Duplicate,
    FindBugResult,
    Fire,
    Invoke,
    Lose,
    Split,
    Stepper,
    Violation,
    all_partitions,
    describe_step,
    fault_schedules,
    find_bug,
    find_bug_check,
    first_failure,
    node_ids,
    partitions,
    polish,
    replay,
    run_seed,
    sweep,
    sweep_check,
    system_machine,
    system_sizes,
    verdict,
    workloads,
)

QUICK = settings(max_examples=30, deadline=None, database=None)


def linearizable(history: Any) -> Any:
    return check_linearizable(history, Register())


# -- a tiny system for the machine: a counter that must count each ping once ---------------------
class Pinger(Node[int]):
    def init(self, ctx: Context) -> int:
        ctx.send("counter", "ping")
        return 0


class CountingServer(Node[int]):
    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state + 1


def pings() -> System:
    return System({"p": Pinger(), "counter": CountingServer()})


def at_most_one(states: dict[str, Any]) -> bool:
    return states.get("counter", 0) <= 1


class Exploding(Node[int]):
    """Raises when a crash has happened before (it recovers into state -1)."""

    def init(self, ctx: Context) -> int:
        ctx.set_timer("tick", 1.0)
        return 0

    def on_recover(self, ctx: Context, durable: Any) -> int:
        ctx.set_timer("tick", 1.0)
        return -1

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        if state < 0:
            raise RuntimeError("boom after a restart")
        ctx.set_timer("tick", 1.0)
        return state + 1


# -- strategies -----------------------------------------------------------------------------------
@QUICK
@given(node_ids(3, 7))
def test_node_ids_are_numbered_and_sized(ids: tuple[str, ...]) -> None:
    assert 3 <= len(ids) <= 7
    assert ids == tuple(f"n{i}" for i in range(1, len(ids) + 1))


def test_size_strategies_validate() -> None:
    with pytest.raises(ValueError, match="larger than"):
        system_sizes(5, 3)
    with pytest.raises(ValueError, match="min_size"):
        node_ids(0, 3)
    with pytest.raises(ValueError, match="prefix"):
        node_ids(3, 3, prefix="")


def _connected(split: Split, a: str, b: str) -> bool:
    if split.shape in ("isolate", "majority"):
        return any(a in g and b in g for g in split.groups)
    return (a, b) not in split.cuts


@QUICK
@given(st.data())
def test_partitions_have_their_shape(data: st.DataObject) -> None:
    ids = data.draw(node_ids(4, 7))
    split = data.draw(partitions(ids))
    assert split in all_partitions(ids, split.shape)
    nodes = set(ids)
    if split.shape in ("isolate", "majority"):
        flat = [n for g in split.groups for n in g]
        assert sorted(flat) == sorted(ids) and len(split.groups) == 2
        assert 2 * len(split.groups[0]) < len(ids) or len(ids) == 2
        if split.shape == "isolate":
            assert len(split.groups[0]) == 1
    elif split.shape == "bridge":
        a, (x,), b = split.groups
        assert set(a) | set(b) | {x} == nodes and a and b
        assert all(not _connected(split, p, q) for p in a for q in b)
        assert all(_connected(split, x, p) and _connected(split, p, x) for p in a + b)
    else:
        (ring,) = split.groups
        assert sorted(ring) == sorted(ids)
        for node in ids:
            peers = [p for p in ids if p != node and _connected(split, node, p)]
            assert len(peers) == 2
    # Every fault is a real one, and a Simulation accepts them all.
    sim = Simulation(System({i: CountingServer() for i in ids}))
    for fault in split.faults:
        sim.at(0.0, fault)
    sim.run()


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_all_partitions_counts(n: int) -> None:
    ids = tuple(f"n{i}" for i in range(1, n + 1))
    assert len(all_partitions(ids, "isolate")) == n
    assert len(all_partitions(ids, "majority")) == sum(
        math.comb(n, k) for k in range(1, max(1, (n - 1) // 2) + 1)
    )
    assert len(all_partitions(ids, "bridge")) == n * (2 ** (n - 1) - 2) // 2
    assert len(all_partitions(ids, "ring")) == (math.factorial(n - 1) // 2 if n >= 4 else 0)
    for shape in SHAPES:
        found = all_partitions(ids, shape)
        assert len(set(found)) == len(found)


def test_partitions_validate() -> None:
    with pytest.raises(ValueError, match="shapes"):
        partitions(("a", "b"), shapes=("star",))
    with pytest.raises(ValueError, match="no shape"):
        partitions(("a", "b", "c"), shapes=("ring",))
    with pytest.raises(ValueError, match="shape"):
        all_partitions(("a", "b"), "star")
    assert str(Split("isolate", (("a",), ("b", "c")))) == "partition (isolate): {a} | {b, c}"


@settings(max_examples=40, deadline=None, database=None)
@given(st.data())
def test_fault_schedules_run_in_the_simulator(data: st.DataObject) -> None:
    system = primary_backup(clients=1)
    servers = ("backup", "primary")
    schedule = data.draw(fault_schedules(system.ids, crashable=servers, max_episodes=5))
    assert schedule == sorted(schedule, key=lambda e: e[0])
    assert all(t >= 0 for t, _ in schedule)
    crashes = [f.node for _, f in schedule if isinstance(f, Crash)]
    restarts = [f.node for _, f in schedule if isinstance(f, Restart)]
    assert sorted(crashes) == sorted(restarts) and set(crashes) <= set(servers)
    sim = Simulation(system, seed=1, nemesis=Nemesis(schedule)).run(until=300.0)
    assert not sim.crashed  # every crash was followed by its restart
    assert linearizable(sim.history).ok  # the correct register, under any of them


@QUICK
@given(st.data())
def test_fault_schedules_of_each_kind(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["crash", "partition", "loss", "duplication", "clock"]))
    schedule = data.draw(fault_schedules(("a", "b", "c"), kinds=(kind,), max_episodes=3))
    allowed = {
        "crash": (Crash, Restart),
        "partition": (Heal, Partition, Cut),
        "loss": (NetworkChange,),
        "duplication": (NetworkChange,),
        "clock": (ClockSkew,),
    }[kind]
    assert all(isinstance(f, allowed) for _, f in schedule)


def test_fault_schedules_validate() -> None:
    with pytest.raises(ValueError, match="kinds"):
        fault_schedules(("a",), kinds=("meteor",))
    with pytest.raises(ValueError, match="crashable"):
        fault_schedules(("a", "b"), crashable=("z",))
    with pytest.raises(ValueError, match="max_duration"):
        fault_schedules(("a", "b"), max_duration=0)
    with pytest.raises(ValueError, match="no kind"):
        fault_schedules(("a",), kinds=("partition",))


@QUICK
@given(st.data())
def test_workloads_are_in_the_client_format(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["register", "kv", "counter", "queue"]))
    loads = data.draw(workloads(kind, min_size=1, max_size=5, clients=2))
    assert len(loads) == 2 and all(1 <= len(w) <= 5 for w in loads)
    fs = {"register": {"write", "read"}, "kv": {"put", "get"}, "counter": {"add", "read"}}
    fs["queue"] = {"enqueue", "dequeue"}
    written = []
    for load in loads:
        for op in load:
            assert op[0] in fs[kind]
            assert len(op) == (3 if kind == "kv" else 2)
            if op[0] in ("read", "get", "dequeue"):
                assert op[-1] is None
            elif kind != "counter":
                written.append(op[-1])
    assert len(written) == len(set(written))  # distinct values across clients


def test_workloads_validate() -> None:
    with pytest.raises(ValueError, match="kind"):
        workloads("stack")
    with pytest.raises(ValueError, match="clients"):
        workloads("register", clients=0)


# -- steps and the Stepper ------------------------------------------------------------------------
def test_steps_read_well() -> None:
    assert describe_step(Crash("a")) == "crash a"
    assert describe_step(Restart("a")) == "restart a"
    assert describe_step(Heal()) == "heal the network"
    assert describe_step(Lose("a", "b", "m")) == "lose a → b: 'm'"
    assert describe_step(Duplicate("a", "b", "m")) == "duplicate a → b: 'm'"
    assert describe_step(Fire("a", "t")) == "a: timer 't' fires"
    assert describe_step(Invoke("c1")) == "c1: invoke the next operation"
    assert "offset 5" in describe_step(ClockSkew("a", 5.0, 1.0))


def test_verdict_reads_bools_and_results() -> None:
    assert verdict(True) == (True, "")
    assert verdict(linearizable(Simulation(primary_backup()).run().history)) == (True, "")
    with pytest.raises(TypeError, match="boolean 'ok'"):
        verdict("yes")


def test_timely_timers_wait_for_a_quiet_network_and_fire_in_order() -> None:
    stepper = Stepper(primary_backup())
    stepper.apply(Invoke("c1"))
    assert stepper.options("fire") == []  # the request can be delivered: no timeout
    stepper.apply(Deliver(*stepper.deliverable()[0]))  # the primary sends Replicate
    stepper.apply(Lose(*stepper.deliverable()[0]))  # ... which is lost
    assert stepper.quiet()
    # Both the primary's wait (5) and the client's timeout (10) are set: the primary's first.
    assert {n for n, _ in stepper.sim.pending_timers()} == {"c1", "primary"}
    assert stepper.options("fire") == [Fire("primary", "replicate")]
    anytime = Stepper(primary_backup(), timers="any")
    anytime.apply(Invoke("c1"))
    assert anytime.options("fire") == [Fire("c1", ("timeout", 1))]
    with pytest.raises(ValueError, match="timely"):
        Stepper(primary_backup(), timers="sometimes")


def test_partitions_drop_what_crosses_them() -> None:
    stepper = Stepper(primary_backup())
    stepper.apply(Invoke("c1"))
    stepper.apply(Deliver(*stepper.deliverable()[0]))
    assert [m[1] for m in stepper.sim.in_flight()] == ["backup"]
    stepper.apply(all_partitions(stepper.sim.system.ids, "isolate")[0])  # {backup} | rest
    assert stepper.sim.in_flight() == []  # the Replicate was lost
    stepper.apply(Fire("primary", "replicate"))  # the primary goes on alone
    assert [m[1] for m in stepper.sim.in_flight()] == ["c1"]
    assert stepper.possible("heal") and not Stepper(primary_backup()).possible("heal")
    stepper.apply(Heal())
    assert not stepper.partitioned


def test_crash_options_spare_the_clients_and_respect_max_crashed() -> None:
    stepper = Stepper(primary_backup(clients=2))
    assert stepper.clients == ("c1", "c2")
    assert stepper.options("crash") == [Crash("backup"), Crash("primary")]
    stepper.apply(Crash("backup"))
    assert stepper.options("crash") == []  # max_crashed=1
    assert stepper.options("restart") == [Restart("backup")]
    two = Stepper(primary_backup(), max_crashed=2, crashable=("primary", "c1"))
    assert two.options("crash") == [Crash("c1"), Crash("primary")]
    assert Stepper(primary_backup(), faults=()).options("crash") == []
    with pytest.raises(ValueError, match="crashable"):
        Stepper(primary_backup(), crashable=("nobody",))


def test_messages_to_a_crashed_node_wait_but_are_not_deliverable() -> None:
    stepper = Stepper(primary_backup())
    stepper.apply(Invoke("c1"))
    stepper.apply(Crash("primary"))
    assert stepper.sim.in_flight() and not stepper.deliverable()
    assert stepper.quiet() and stepper.options("fire") == [Fire("c1", ("timeout", 1))]
    stepper.apply(Restart("primary"))
    assert len(stepper.deliverable()) == 2  # the old request and the Fetch


def test_allowed_follows_the_options() -> None:
    stepper = Stepper(primary_backup(), faults=("crash",))
    msg = Request("c1", 1, "write", None, 1)
    assert not stepper.allowed(Deliver("c1", "primary", msg))
    stepper.apply(Invoke("c1"))
    assert stepper.allowed(Deliver("c1", "primary", msg))
    assert not stepper.allowed(Lose("c1", "primary", msg))  # "drop" is not a fault here
    assert not stepper.allowed(Fire("c1", ("timeout", 1)))  # not quiet
    assert stepper.allowed(Crash("primary")) and not stepper.allowed(Restart("primary"))
    assert not stepper.allowed(Heal())
    assert not stepper.allowed(all_partitions(stepper.sim.system.ids, "isolate")[0])


def test_choose_picks_partitions_and_skews_by_number() -> None:
    system = quorum_register(replicas=4, read_quorum=3, write_quorum=2)
    stepper = Stepper(system, faults=("partition", "clock"))
    seen = {stepper.choose("partition", i).shape for i in range(8)}
    assert seen == set(SHAPES)
    assert stepper.choose("skew", 0) == ClockSkew("c1", -20.0, 1.0)
    assert stepper.choose("drop", 0) is None and not stepper.take("drop", 0)
    with pytest.raises(ValueError, match="kind"):
        stepper.options("teleport")
    with pytest.raises(TypeError, match="not a step"):
        stepper.apply("deliver")  # type: ignore[arg-type]


def test_replay_reproduces_a_run() -> None:
    stepper = Stepper(primary_backup())
    for kind in ["invoke", "deliver", "settle", "crash", "restart", "settle", "invoke", "settle"]:
        stepper.take(kind, 0)
    sim = replay(primary_backup(), stepper.steps)
    assert sim.trace.fingerprint() == stepper.sim.trace.fingerprint()
    assert sim.history == stepper.sim.history


# -- the state machine ----------------------------------------------------------------------------
QUIET = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    verbosity=Verbosity.quiet,
)


def test_machine_finds_an_invariant_violation_only_with_the_fault() -> None:
    run_state_machine_as_test(system_machine(pings, at_most_one, faults=()), settings=QUIET)
    with pytest.raises(Violation, match="at_most_one"):
        run_state_machine_as_test(
            system_machine(pings, at_most_one, faults=("duplicate",)), settings=QUIET
        )


def test_machine_checks_the_history_at_the_end() -> None:
    correct = system_machine(primary_backup, consistency=linearizable)
    run_state_machine_as_test(correct, settings=QUIET)

    def never(history: Any) -> bool:
        return len(history) == 0

    # (Stateful shrinking is slow: generate only.)
    quick = settings(QUIET, phases=[Phase.generate])
    with pytest.raises(Violation, match="consistency"):
        run_state_machine_as_test(system_machine(primary_backup, consistency=never), settings=quick)


def test_machine_draws_workloads_and_records_runs() -> None:
    seen: list[Any] = []

    def record(machine: Any) -> None:
        seen.append((machine.workload, len(machine.stepper.steps)))

    machine = system_machine(
        lambda w: primary_backup(workload=[w]),
        consistency=linearizable,
        workloads=workloads("register", min_size=1, max_size=3),
        on_run=record,
        name="Drawn",
    )
    assert machine.__name__ == "Drawn"
    run_state_machine_as_test(machine, settings=QUIET)
    assert seen and all(1 <= len(w) <= 3 for w, _ in seen)
    assert any(n > 0 for _, n in seen)


def test_machine_testcase_is_a_unittest_case() -> None:
    import unittest

    case = system_machine(pings, at_most_one, faults=()).TestCase
    assert issubclass(case, unittest.TestCase)


def test_system_machine_validates() -> None:
    with pytest.raises(ValueError, match="faults"):
        system_machine(pings, faults=("meteor",))
    with pytest.raises(ValueError, match="faults"):
        system_machine(pings, faults="crash")
    with pytest.raises(ValueError, match="timers"):
        system_machine(pings, timers="never")
    with pytest.raises(ValueError, match="max_crashed"):
        system_machine(pings, max_crashed=0)
    with pytest.raises(ValueError, match="shapes"):
        system_machine(pings, shapes=("star",))
    with pytest.raises(TypeError, match="callable"):
        system_machine("pings")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="invariant"):
        system_machine(pings, invariants=[("name", 3)])


def test_machine_reports_a_factory_that_is_not_a_system() -> None:
    with pytest.raises(TypeError, match="dslib.System"):
        run_state_machine_as_test(system_machine(lambda: "nope"), settings=QUIET)


# -- find_bug -------------------------------------------------------------------------------------
def forget() -> System:
    return primary_backup(mutant="forget-when-alone")


def test_find_bug_says_nothing_was_found() -> None:
    result = find_bug(primary_backup, consistency=linearizable, max_examples=20)
    assert result.ok and result.examples == 20
    assert str(result) == "no bug found in 20 examples (seed 0)"
    assert result.counterexample_length is None and result.counterexample is None
    assert outcome_of(result) == (True, None)
    with pytest.raises(ValueError, match="no bug"):
        result.replay()


def test_find_bug_result_replays_and_draws() -> None:
    result = find_bug(forget, consistency=linearizable)
    assert not result.ok and result.violated == "consistency"
    sim = result.replay()
    assert not linearizable(sim.history).ok
    assert result.history == sim.history
    assert outcome_of(result) == (False, len(result.schedule))
    text = str(result)
    assert text.startswith(f"bug found after {result.examples} examples (seed 0)")
    assert f"shrunk schedule ({len(result.schedule)} steps" in text
    assert result.steps_table().splitlines()[0].strip().startswith("1  ")
    figure = result.diagram(title="forget")
    assert figure.axes and figure.axes[0].get_title() == "forget"
    assert result.reproduce_failure is None or result.reproduce_failure.startswith(
        "@reproduce_failure("
    )


def test_find_bug_is_reproducible_and_seeds_differ() -> None:
    a = find_bug(forget, consistency=linearizable, seed=3)
    b = find_bug(forget, consistency=linearizable, seed=3)
    assert a.schedule == b.schedule and a.examples == b.examples and str(a) == str(b)
    others = {find_bug(forget, consistency=linearizable, seed=s).examples for s in range(4, 8)}
    assert len(others | {a.examples}) > 1


def test_find_bug_polish_leaves_no_removable_step() -> None:
    result = find_bug(forget, consistency=linearizable, seed=1)
    config = system_machine(forget, consistency=linearizable).config
    steps = list(result.schedule)
    for i in range(len(steps)):
        shorter = steps[:i] + steps[i + 1 :]
        stepper = config.stepper()
        fails = False
        try:
            for step in shorter:
                if not stepper.allowed(step):
                    break
                stepper.apply(step)
            else:
                config.check_history(stepper)
        except Violation:
            fails = True
        assert not fails, f"step {i + 1} ({describe_step(steps[i])}) could have gone"
    assert polish(config, None, result.schedule, "consistency") == result.schedule


def test_find_bug_with_invariants_errors_and_workloads() -> None:
    found = find_bug(pings, at_most_one, faults=("duplicate",))
    assert found.violated == "at_most_one" and "counter" in found.detail
    assert [type(s) for s in found.schedule] == [Duplicate, Deliver, Deliver]
    assert find_bug(pings, {"one": at_most_one}, faults=()).ok

    error = find_bug(lambda: System({"x": Exploding()}), max_examples=100)
    assert error.violated == "error" and "boom" in error.detail
    assert [describe_step(s) for s in error.schedule] == [
        "crash x",
        "restart x",
        "x: timer 'tick' fires",
    ]
    assert str(error).splitlines()[0].endswith("a handler raised")
    with pytest.raises(HandlerError):
        error.replay().run(max_events=1)

    def sloppy(workload: list[Any]) -> System:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return quorum_register(read_quorum=1, write_quorum=1, workload=[workload])

    drawn = find_bug(
        sloppy, consistency=linearizable, workloads=workloads("register", min_size=2, max_size=4)
    )
    assert not drawn.ok and isinstance(drawn.workload, list)
    assert not linearizable(drawn.replay().history).ok


def test_find_bug_without_shrinking_returns_the_raw_run() -> None:
    raw = find_bug(forget, consistency=linearizable, shrink=False)
    shrunk = find_bug(forget, consistency=linearizable)
    assert raw.examples == shrunk.examples
    assert len(raw.schedule) >= len(shrunk.schedule)
    assert not linearizable(raw.replay().history).ok


def test_find_bug_weights_turn_kinds_off() -> None:
    # Without crashes, the primary never loses what it acknowledged.
    no_crash = find_bug(forget, consistency=linearizable, weights={"crash": 0})
    assert no_crash.ok


def test_find_bug_validates() -> None:
    with pytest.raises(ValueError, match="max_examples"):
        find_bug(pings, max_examples=0)
    with pytest.raises(TypeError, match="max_examples"):
        find_bug(pings, max_examples=1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="steps"):
        find_bug(pings, steps=0)
    with pytest.raises(ValueError, match="weights"):
        find_bug(pings, weights={"teleport": 1})
    with pytest.raises(ValueError, match="weight"):
        find_bug(pings, weights={"deliver": -1})
    with pytest.raises(ValueError, match="every weight"):
        find_bug(
            pings,
            weights={
                k: 0
                for k in [
                    "deliver",
                    "settle",
                    "invoke",
                    "fire",
                    "drop",
                    "duplicate",
                    "crash",
                    "restart",
                    "partition",
                    "heal",
                    "skew",
                ]
            },
        )
    with pytest.raises(ValueError, match="shrink_budget"):
        find_bug(pings, shrink_budget=-1)
    with pytest.raises(ValueError, match="faults"):
        find_bug(pings, faults=("meteor",))


def test_find_bug_check_fits_the_mutant_table() -> None:
    check = find_bug_check(consistency=linearizable, max_examples=50)
    assert outcome_of(check(primary_backup)) == (True, None)
    ok, length = outcome_of(check(forget))
    assert not ok and length is not None and length > 0
    with pytest.raises(TypeError, match="consistency"):
        find_bug_check(consistency=3)  # type: ignore[arg-type]


def test_find_bug_result_without_a_factory() -> None:
    bare = FindBugResult(ok=False, examples=1, runs=1, schedule=(Heal(),))
    with pytest.raises(ValueError, match="factory"):
        bare.replay()


# -- sweeps ---------------------------------------------------------------------------------------
def test_sweep_tabulates_each_seed() -> None:
    crashes = RandomNemesis(until=60.0, kinds=("crash",), mean_interval=15.0, nodes=("primary",))
    table = sweep(primary_backup, seeds=range(6), nemesis=crashes, consistency=linearizable)
    assert list(table["seed"]) == list(range(6))
    assert set(table["verdict"]) == {"ok"}
    assert (table["operations"] == 4).all() and (table["events"] > 0).all()
    assert table["faults"].sum() > 0
    assert first_failure(table) is None
    again = sweep(primary_backup, seeds=range(6), nemesis=crashes, consistency=linearizable)
    assert again.equals(table)


def test_sweep_catches_a_bug_and_stops_at_the_first() -> None:
    network = Network(latency=uniform(0.5, 5.0), duplication=0.2)

    def no_dedup() -> System:
        return primary_backup(mutant="no-dedup", clients=2, workload=default_workloads(2, 10))

    table = sweep(no_dedup, seeds=range(40), consistency=linearizable, network=network)
    assert (table["verdict"] == "violation").any()
    bad = first_failure(table)
    assert bad["violated"] == "consistency" and bad["detail"].startswith("linearizability")
    sim, _ = run_seed(no_dedup, int(bad["seed"]), network=network)
    assert not linearizable(sim.history).ok  # the failing seed reproduces it
    short = sweep(
        no_dedup, range(40), consistency=linearizable, network=network, stop_at_first=True
    )
    assert len(short) == int(bad["seed"]) + 1


def test_sweep_invariants_checks_and_errors() -> None:
    dup = Network(duplication=1.0)
    table = sweep(pings, seeds=range(3), invariants=[at_most_one], network=dup)
    assert list(table["violated"]) == ["at_most_one"] * 3
    checked = sweep(pings, seeds=range(2), check=lambda sim: sim.now < 0.5)
    assert list(checked["violated"]) == ["check", "check"]
    boom = RandomNemesis(until=20.0, kinds=("crash",), mean_interval=2.0, duration=1.0)
    errors = sweep(lambda: System({"x": Exploding()}), seeds=range(2), nemesis=boom, until=50.0)
    assert list(errors["verdict"]) == ["error", "error"]
    assert errors["violated"].iloc[0] == "HandlerError" and errors["events"].iloc[0] > 0


def test_sweep_passes_the_seed_to_a_factory_that_takes_it() -> None:
    seen: list[int] = []

    def factory(seed: int) -> System:
        seen.append(seed)
        return pings()

    sweep(factory, seeds=[4, 7], nemesis=lambda seed: Nemesis([]))
    assert seen == [4, 7]


def test_sweep_validates() -> None:
    with pytest.raises(TypeError, match="system_factory"):
        sweep(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="check"):
        sweep(pings, check=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="until"):
        sweep(pings, until=0)
    with pytest.raises(TypeError, match="seed"):
        sweep(pings, seeds=["a"])  # type: ignore[list-item]
    bad = sweep(lambda: "not a system", seeds=[0])  # type: ignore[arg-type, return-value]
    assert bad["verdict"].iloc[0] == "error"


def test_sweep_check_fits_the_mutant_table() -> None:
    check = sweep_check(seeds=range(5), invariants=[at_most_one], network=Network(duplication=1.0))
    outcome = check(pings)
    assert (
        not outcome.ok and outcome.counterexample_length and outcome.detail == "seed 0: at_most_one"
    )
    assert sweep_check(seeds=range(3))(pings).ok


# -- the registers: correct without faults -------------------------------------------------------
@pytest.mark.parametrize("bug", [None, "ack-before-replicate", "forget-when-alone", "no-dedup"])
def test_primary_backup_is_linearizable_without_faults(bug: str | None) -> None:
    for seed in range(5):
        sim = Simulation(
            primary_backup(mutant=bug, clients=2),
            seed=seed,
            network=Network(latency=uniform(0.5, 3.0)),
        ).run()
        assert linearizable(sim.history).ok
        assert all(op.status == "ok" for op in sim.history.operations())


@pytest.mark.parametrize("quorums", [(2, 2), (1, 1), (1, 2)])
def test_quorum_register_is_linearizable_without_faults(quorums: tuple[int, int]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        system = quorum_register(read_quorum=quorums[0], write_quorum=quorums[1], clients=2)
    for seed in range(5):
        sim = Simulation(system, seed=seed, network=Network(latency=uniform(0.5, 3.0))).run()
        assert linearizable(sim.history).ok
        assert all(op.status == "ok" for op in sim.history.operations())


def test_register_factories_validate() -> None:
    with pytest.raises(ValueError, match="mutant"):
        primary_backup(mutant="typo")
    with pytest.raises(ValueError, match="one list per client"):
        primary_backup(clients=2, workload=[[("read", None)]])
    with pytest.raises(ValueError, match="read_quorum"):
        quorum_register(read_quorum=4)
    with pytest.raises(ValueError, match="workload entry"):
        quorum_register(workload=[[("cas", (1, 2))]])
    with pytest.warns(UserWarning, match="do not intersect"):
        quorum_register(read_quorum=1, write_quorum=1)


def test_primary_recovers_the_newer_copy() -> None:
    # Alone, the primary writes to its own disk; after a restart it takes the newer copy.
    stepper = Stepper(primary_backup())
    stepper.apply(Invoke("c1"))
    stepper.apply(Deliver(*stepper.deliverable()[0]))
    stepper.apply(Lose(*stepper.in_flight()[0]))
    stepper.apply(Fire("primary", "replicate"))
    stepper.settle()
    stepper.apply(Crash("primary"))
    stepper.apply(Restart("primary"))
    stepper.settle()
    state = stepper.sim.states["primary"]
    assert state.ready and state.committed.value == 1 and state.incarnation == 2
    assert stepper.sim.states["backup"].copy.version == 0
    assert stepper.sim.states["c1"].next_op == 1
    assert Reply(1, True, 1) not in [m[2] for m in stepper.in_flight()]


def test_partition_shapes_in_a_machine_of_five() -> None:
    # Rings and bridges need four and three nodes; the machine draws them on five.
    shapes_seen: set[str] = set()

    def record(machine: Any) -> None:
        for step in machine.stepper.steps:
            if isinstance(step, Split):
                shapes_seen.add(step.shape)

    machine = system_machine(
        lambda: quorum_register(replicas=5, read_quorum=3, write_quorum=3),
        consistency=linearizable,
        faults=("partition",),
        on_run=record,
    )
    run_state_machine_as_test(machine, settings=replace_settings(QUIET, max_examples=40))
    assert shapes_seen == set(SHAPES)
    assert DEFAULT_FAULTS == ("drop", "duplicate", "crash", "partition")


def replace_settings(base: settings, **changes: Any) -> settings:
    return settings(base, **changes)
