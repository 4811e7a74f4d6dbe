"""Tests of the figures, dslib.show and the network explorer (driven from code, no browser)."""

from __future__ import annotations

import pytest

import dslib
from dslib import Simulation, System
from dslib.basics import (
    CounterServer,
    KVServer,
    LoadGenerator,
    Pinger,
    Ponger,
    QueueServer,
    request_latencies,
)
from dslib.sim import Client, Crash, Heal, Nemesis, Network, Partition, Restart, Trace
from dslib.viz import latency_cdf, latency_histogram, message_label, space_time_diagram, topology
from dslib.widgets import NetworkExplorer, network_figure, network_scenario


def busy_trace() -> Trace:
    nemesis = Nemesis(
        [
            (5.0, Partition((("pinger",), ("ponger",)))),
            (15.0, Heal()),
            (20.0, Crash("ponger")),
            (30.0, Restart("ponger")),
        ]
    )
    sim = Simulation(
        System({"pinger": Pinger(count=20, period=2.0), "ponger": Ponger()}),
        seed=1,
        network=Network(latency=2.0, loss=0.1),
        nemesis=nemesis,
    )
    return sim.run().trace


def test_space_time_diagram_draws_every_message_and_marks_faults() -> None:
    trace = busy_trace()
    fig = space_time_diagram(trace, labels=True)
    ax = fig.axes[0]
    arrows = [c for c in ax.texts if c.get_text() == ""]  # annotate() arrows have no text
    finished = [m for m in trace.messages() if m["outcome"] != "in flight"]
    assert len(arrows) == len(finished)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pinger", "ponger"]
    labels = [c.get_text() for c in ax.texts if c.get_text()]
    assert "Ping(0)" in labels and "Pong(0)" in labels
    assert len(ax.patches) >= 1  # the partition band


def test_space_time_window_and_node_subset() -> None:
    trace = busy_trace()
    fig = space_time_diagram(trace, nodes=["ponger"], start=0, end=4, labels=False)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["ponger"]
    assert fig.axes[0].get_xlim()[1] < 5


def test_latency_figures_and_topology() -> None:
    trace = busy_trace()
    assert len(latency_histogram(trace).axes) == 1
    fig = latency_cdf({"a": [1.0, 2.0], "b": trace})
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    topo = topology(trace)
    assert len(topo.axes[0].collections) >= 2  # edges and nodes
    assert topology(System({"a": Ponger(), "b": Ponger(), "c": Ponger()})).axes
    with pytest.raises(TypeError, match="takes a Trace or a System"):
        topology([1, 2])
    with pytest.raises(ValueError, match="bins=0"):
        latency_histogram([1.0], bins=0)
    with pytest.raises(TypeError, match="expected a Trace"):
        latency_cdf(3)


def test_message_label_cuts_long_messages() -> None:
    assert message_label("x" * 40, width=10) == "xxxxxxxx.."
    assert message_label(("a", 1)) == "('a', 1)"


def test_show_returns_the_library_source() -> None:
    src = dslib.show(Ponger)
    assert "class Ponger(Node[int]):" in str(src)
    assert repr(src).startswith("# dslib/basics/pingpong.py  (dslib.basics.pingpong.Ponger)")
    assert "<div" in src._repr_html_()
    part = dslib.show(Ponger, lines=(1, 2))
    assert str(part).count("\n") == 2
    with pytest.raises(ValueError, match="lines=\\(3, 99\\) out of range"):
        dslib.show(Ponger, lines=(3, 99))
    with pytest.raises(TypeError, match="cannot find the source"):
        dslib.show(3)


def test_request_latencies_and_queue_server() -> None:
    sim = Simulation(System({"s": QueueServer(1.0), "g": LoadGenerator("s", 10.0, 5)}), seed=2)
    lat = request_latencies(sim.run().trace)
    assert len(lat) == 5 and sim.states["s"].served == 5
    assert lat == sorted(lat) or max(lat) >= 5.0  # later requests wait behind earlier ones
    with pytest.raises(ValueError, match="rate=0 must be a number > 0"):
        LoadGenerator("s", 0, 5)
    with pytest.raises(ValueError, match="count=-1"):
        Pinger(count=-1)


def test_counter_server_double_applies_retries_and_kv_server_answers() -> None:
    system = System(
        {"c": Client(["s"], [("incr", None)], timeout=1.5, retries=1), "s": CounterServer()}
    )
    sim = Simulation(system, network=Network(latency=1.0)).run()
    assert sim.states["s"] == 2  # the retry left before the first reply arrived
    kv = Simulation(
        System({"c": Client(["s"], [("put", "k", 1), ("get", "k", None), "nop"]), "s": KVServer()})
    ).run()
    assert [(o.status, o.result) for o in kv.history.operations()] == [
        ("ok", 1),
        ("ok", 1),
        ("fail", "unknown operation 'nop'"),
    ]


def test_network_scenario_and_figure() -> None:
    calm = network_scenario(seed=1)
    assert {op.status for op in calm.history.operations()} == {"ok"}
    cut = network_scenario(partition=True, timeout=10.0, retries=0, seed=1)
    assert "info" in {op.status for op in cut.history.operations()}
    assert len(network_figure(cut).axes) == 3
    with pytest.raises(ValueError, match="choose one of constant, uniform"):
        network_scenario(distribution="pareto")


def test_network_explorer_reacts_to_its_controls() -> None:
    explorer = NetworkExplorer(seed=3)
    first = explorer.simulation
    assert first is not None and bytes(explorer.image.value).startswith(b"\x89PNG")
    explorer.controls["loss"].value = 0.5
    assert explorer.simulation is not first
    assert explorer.simulation.network.loss == 0.5
    explorer.controls["distribution"].value = "constant"
    explorer.controls["mean"].value = 4.0
    assert set(explorer.simulation.trace.latencies()) == {4.0}
    explorer.controls["partition"].value = True
    assert any(e.kind == "fault" for e in explorer.simulation.trace)
    assert explorer.values()["seed"] == 3
    with pytest.raises(TypeError, match="unknown parameters \\['colour'\\]"):
        NetworkExplorer(colour="red")
