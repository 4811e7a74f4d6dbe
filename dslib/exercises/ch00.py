"""Chapter 0 (how to use this book): the first exercise.

``ch00.count_deliveries``: count the messages delivered in a trace. It shows
how an exercise works (write, check, read the hint) on a task that needs only
the trace API: ``trace.of_kind("deliver")``, ``trace.count(kind)``, or a loop
over the entries and their ``kind``.

Examples
--------
>>> sim = run_chat(seed=1, notes=2)
>>> sim.trace.count("deliver")
4
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st

from dslib.core import Context, Node, System
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Properties,
    Property,
    call_answer,
)
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace

__all__ = ["Listener", "Note", "Talker", "Thanks", "run_chat"]


@dataclass(frozen=True)
class Note:
    """A message from the talker."""

    n: int


@dataclass(frozen=True)
class Thanks:
    """The listener's answer to ``Note(n)``."""

    n: int


class Talker(Node[int]):
    """Sends ``notes`` notes to ``"listener"`` at once; its state counts the thanks received."""

    def __init__(self, notes: int) -> None:
        self.notes = notes

    def init(self, ctx: Context) -> int:
        for n in range(self.notes):
            ctx.send("listener", Note(n))
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state + 1


class Listener(Node[int]):
    """Thanks the sender of each note; its state counts the notes received."""

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        ctx.send(src, Thanks(msg.n))
        return state + 1


def run_chat(seed: int, notes: int, loss: float = 0.0, duplication: float = 0.0) -> Simulation:
    """Run the talker and the listener to the end and return the simulation.

    Parameters
    ----------
    seed : int
        The seed of the run.
    notes : int
        How many notes the talker sends.
    loss, duplication : float
        The network's loss and duplication probabilities.
    """
    system = System({"talker": Talker(notes), "listener": Listener()})
    network = Network(latency=uniform(0.5, 2.0), loss=loss, duplication=duplication)
    return Simulation(system, seed=seed, network=network).run()


def _described(sim: Simulation, seed: int, notes: int, loss: float, dup: float) -> str:
    return (
        f"trace is the trace of run_chat(seed={seed}, notes={notes}, loss={loss}, "
        f"duplication={dup}):\n{sim.trace}"
    )


def _examples() -> list[Example]:
    out = []
    for seed, notes, loss in ((1, 2, 0.0), (3, 3, 0.5), (0, 4, 0.3)):
        sim = run_chat(seed, notes, loss)
        out.append(
            Example(
                (sim.trace,),
                sim.trace.count("deliver"),
                _described(sim, seed, notes, loss, 0.0),
            )
        )
    return out


_DELIVER = 'Count the "deliver" entries: len(trace.of_kind("deliver")) or trace.count("deliver").'


def _diagnose_counts(trace: Trace, got: Any) -> str | None:
    right = trace.count("deliver")
    if got == right:
        return None
    sends = trace.count("send")
    drops = trace.count("drop")
    dups = trace.count("duplicate")
    if not isinstance(got, int) or isinstance(got, bool):
        return (
            f"count_deliveries must return an int (a number), not a {type(got).__name__}. "
            + _DELIVER
        )
    if dups and got == right - dups:
        return (
            "You subtracted the duplicates (or counted the messages sent, which is the same "
            "number here). When the network duplicates a message, both copies are delivered, "
            "and each delivery counts. " + _DELIVER
        )
    if got == sends:
        return (
            "You counted the messages sent. A message that is sent is not always "
            'delivered: the network may lose it (a "drop" entry). ' + _DELIVER
        )
    if got == drops:
        return 'You counted the "drop" entries: those are the messages the network lost. ' + (
            _DELIVER
        )
    if got == right + drops:
        return (
            "You counted lost messages (drops) as well as deliveries. A dropped message "
            "never arrives. " + _DELIVER
        )
    if got == len(trace):
        return "You counted every entry of the trace, whatever its kind. " + _DELIVER
    by_node = {
        node: sum(1 for e in trace.entries if e[1] == "deliver" and e[2] == node)
        for node in ("talker", "listener")
    }
    for node, count in sorted(by_node.items()):
        if got == count:
            return (
                f"You counted only the deliveries to {node}; count the deliveries to every "
                "node. " + _DELIVER
            )
    return None


def _diagnose(m: Mismatch) -> str | None:
    trace = m.example.args[0]
    if m.problem == "mutated":
        return "count_deliveries must only read the trace, never change it."
    if m.problem in ("wrong", "type"):
        return _diagnose_counts(trace, m.got)
    return None


def _prop_check(answer: Any, case: tuple[int, int, float, float]) -> Failure | None:
    seed, notes, loss, dup = case
    sim = run_chat(seed, notes, loss, dup)
    got = call_answer(answer, sim.trace)
    right = sim.trace.count("deliver")
    if got == right and isinstance(got, int) and not isinstance(got, bool):
        return None
    return Failure(
        f"count_deliveries(trace) returned {got!r}; the trace has {right} deliver entries",
        _diagnose_counts(sim.trace, got) or ("Look at the trace below. " + _DELIVER),
        length=len(sim.trace),
    )


def _prop_show(case: tuple[int, int, float, float]) -> str:
    seed, notes, loss, dup = case
    sim = run_chat(seed, notes, loss, dup)
    return "count_deliveries(trace)\nwhere " + _described(sim, seed, notes, loss, dup)


STATEMENT = """\
Write count_deliveries(trace): how many messages were delivered in a run.

trace is the Trace of a simulation (sim.trace). Each entry has a kind: "send" when a node
sends a message, "deliver" when a message arrives at a node, "drop" when the network loses
it, "duplicate" when the network makes a second copy (which is then delivered too, or
dropped), and others ("init", "state", "timer", ...). count_deliveries returns the number of
"deliver" entries, as an int. It must not change the trace.

Useful: trace.of_kind("deliver") is the list of deliver entries; trace.count(kind) counts
the entries of one kind; `for e in trace:` gives each entry, with e.kind, e.node, e.data.

The examples are runs of a tiny system: a talker sends a few notes to a listener, which
thanks the sender for each one. Run one yourself: print(dslib.exercises.ch00.run_chat(
seed=1, notes=2, loss=0.5).trace)."""

COUNT_DELIVERIES = add_exercise(
    id="ch00.count_deliveries",
    title="Count the messages delivered",
    statement=STATEMENT,
    answer=FunctionAnswer("count_deliveries", ("trace",)),
    stages=(
        Examples(
            "examples",
            _examples,
            call_text=lambda args: "count_deliveries(trace)",
            diagnose=_diagnose,
            default_hint="Print the trace of the example and count its deliver lines "
            "by hand; then compare with what your function counts.",
            expected_type=int,
        ),
        Properties(
            "properties",
            [
                Property(
                    "equals the number of deliver entries",
                    st.tuples(
                        st.integers(0, 1000),
                        st.integers(1, 4),
                        st.sampled_from([0.0, 0.3, 0.6]),
                        st.sampled_from([0.0, 0.3, 0.6]),
                    ),
                    _prop_check,
                    _prop_show,
                    max_examples=60,
                )
            ],
        ),
    ),
    hints=(
        "A trace entry has a kind; print(trace) shows it in the third column.",
        "Not every message sent is delivered, and a duplicated message is delivered twice.",
    ),
)
