"""How long one click of the step-through debugger takes, on a state the size of Raft's.

A toy 5-node system stands in for a Raft cluster: each node's state holds a
term, a commit index and a log of 100 entries (a tuple of small frozen
dataclasses, as a Raft server's log would be). On its timer a node appends an
entry and sends it to every peer; a peer appends what it receives and
acknowledges it. That keeps a handful of messages and timers enabled at every
step, so the debugger has real work on each click: compute the next states of
every enabled event, check the invariants, render the state table, replay the
path in the simulator and redraw the space-time diagram as a PNG.

Each row times 60 clicks along one path (the path grows to 60 steps) and
reports the median and the 90th percentile, of the wall time and of the
process's CPU time (the wall time includes waiting for a CPU that other
programs hold; on a quiet machine the two agree):

- ``navigator.take``: the pure core only (next state, enabled events, invariants);
- ``+ text and HTML``: and the state table, network lines and invariants as HTML;
- ``widget click``: ``take_button.click()`` on a ``Debugger``: all of the above, and
  the diagram (simulator replay, matplotlib, PNG at 80 dpi);
- ``widget back``: ``back_button.click()`` (a replay from the start, then the redraw);
- ``diagram alone, all labelled``: the redraw only, with a label on every arrow (the
  widget labels arrows only when at most 16 are shown: the worst case of a short path).

Run: ``.venv/bin/python benchmarks/bench_debugger.py``. The target is a median
under 150 ms per click.
"""

from __future__ import annotations

import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import matplotlib

matplotlib.use("Agg")

from dslib.core import Context, Node, System
from dslib.widgets.debugger import Debugger
from dslib.widgets.navigator import Navigator

LOG_SIZE = 100
NODES = 5
CLICKS = 60


@dataclass(frozen=True)
class Entry:
    """A log entry: the term it was written in and a command."""

    term: int
    command: str


@dataclass(frozen=True)
class Append:
    """An entry sent to a peer."""

    term: int
    entry: Entry


@dataclass(frozen=True)
class Ack:
    """A peer stored an entry."""

    index: int


@dataclass(frozen=True)
class ServerState:
    """A Raft-sized server state: a term, a commit index and a log of 100 entries."""

    term: int
    commit_index: int
    log: tuple[Entry, ...]


class LogServer(Node[ServerState]):
    """Appends an entry and sends it to every peer on each tick; stores what it receives."""

    def init(self, ctx: Context) -> ServerState:
        ctx.set_timer("tick", 1.0)
        log = tuple(Entry(1, f"{ctx.id}:{i}") for i in range(LOG_SIZE))
        return ServerState(1, 0, log)

    def on_timer(self, ctx: Context, state: ServerState, timer: Any) -> ServerState:
        entry = Entry(state.term, f"{ctx.id}:{len(state.log)}")
        ctx.broadcast(Append(state.term, entry))
        ctx.set_timer("tick", 1.0)
        return replace(state, term=state.term + 1, log=(*state.log[1:], entry))

    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        if isinstance(msg, Append):
            ctx.send(src, Ack(state.commit_index + 1))
            return replace(state, log=(*state.log[1:], msg.entry), term=max(state.term, msg.term))
        return replace(state, commit_index=max(state.commit_index, msg.index))


def system() -> System:
    return System({f"n{i}": LogServer() for i in range(1, NODES + 1)})


def logs_full(state: Any) -> bool:
    """Every server that is up holds a log of exactly 100 entries."""
    return all(len(s.log) == LOG_SIZE for s in state.states if s is not None)


def terms_positive(state: Any) -> bool:
    """Every term is at least 1."""
    return all(s.term >= 1 for s in state.states if s is not None)


INVARIANTS = [logs_full, terms_positive]


def pick(enabled: list[tuple[Any, ...]], k: int) -> int:
    """A varied but deterministic choice: mostly deliveries, a timer every third click."""
    timers = [i for i, s in enumerate(enabled) if s[0] == "fire"]
    delivers = [i for i, s in enumerate(enabled) if s[0] == "deliver"]
    if k % 3 == 0 and timers:
        return timers[k % len(timers)]
    return delivers[k % len(delivers)] if delivers else timers[0]


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall time and this process's CPU time of ``fn()``, in ms (CPU time does not count
    the time other processes held the CPU: a fairer figure on a busy machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000.0, (time.process_time() - cpu) * 1000.0


def bench_navigator(render: bool) -> list[tuple[float, float]]:
    nav = Navigator(system(), INVARIANTS)
    times = []
    for k in range(CLICKS):
        i = pick(nav.enabled(), k)

        def click(i: int = i) -> None:
            nav.take(i)
            nav.enabled()
            nav.check_invariants()
            if render:
                nav.state_html()
                nav.invariants_html()
                nav.heading()
                nav.changes()

        times.append(timed(click))
    return times


def bench_widget() -> tuple[list[tuple[float, float]], list[tuple[float, float]], int]:
    debugger = Debugger(system(), INVARIANTS)
    takes = []
    for k in range(CLICKS):
        debugger.events.value = pick(debugger.navigator.enabled(), k)
        takes.append(timed(debugger.take_button.click))
    backs = []
    for _ in range(20):
        backs.append(timed(debugger.back_button.click))
    return takes, backs, len(debugger.navigator.state.messages())


def bench_labelled_diagram() -> list[tuple[float, float]]:
    """The redraw alone, with every arrow labelled (the widget labels at most 16)."""
    nav = Navigator(system(), INVARIANTS)
    times = []
    for k in range(CLICKS):
        nav.take(pick(nav.enabled(), k))

        def redraw() -> None:
            fig = nav.diagram(labels=True)
            fig.savefig(io.BytesIO(), format="png", dpi=80, pil_kwargs={"compress_level": 1})

        times.append(timed(redraw))
    return times


def row(name: str, times: list[tuple[float, float]]) -> str:
    def stats(values: list[float]) -> tuple[float, float]:
        values = sorted(values)
        return statistics.median(values), values[int(0.9 * (len(values) - 1))]

    wall, wall90 = stats([t[0] for t in times])
    cpu, cpu90 = stats([t[1] for t in times])
    return f"{name:30} {wall:9.1f} {wall90:9.1f} {cpu:9.1f} {cpu90:9.1f} {len(times):7}"


def main() -> None:
    bench_navigator(False)  # warm up imports and caches
    core = bench_navigator(False)
    html = bench_navigator(True)
    takes, backs, in_flight = bench_widget()
    print(f"{NODES} nodes, logs of {LOG_SIZE} entries, a path of {CLICKS} steps")
    print(f"{'':30} {'wall time (ms)':>19} {'CPU time (ms)':>19}")
    print(f"{'per click':30} {'median':>9} {'p90':>9} {'median':>9} {'p90':>9} {'clicks':>7}")
    print(row("navigator.take", core))
    print(row("+ text and HTML", html))
    print(row("widget click (with diagram)", takes))
    print(row("widget back (with diagram)", backs))
    print(row("diagram alone, all labelled", bench_labelled_diagram()))
    print(f"messages in flight at the end: {in_flight}; target: median under 150 ms per click")


if __name__ == "__main__":
    main()
