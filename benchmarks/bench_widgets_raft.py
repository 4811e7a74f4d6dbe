"""Click latency of the Raft playground: from a button's click to the new PNG in the widget.

A 5-server playground (``dslib.widgets.raft.RaftPlayground``, default seed 0)
is clicked from code through a fixed session that repeats a round of every
action a reader has: run (+10, +50, +500 ms), step, client request, crash the
leader, restart it, time out a follower, isolate a server, split off a
minority, heal, back, forward, the step slider (jump ten steps back), and an
action taken after going back (a *branch*: the simulation is rebuilt by
replaying every action from the start, the one action whose cost grows with
the session). The session ends after about 20 s of simulated time.

For each kind of click the table gives the median and the 90th percentile of
the wall time and of the process's CPU time (the wall time includes waiting
for a CPU that other programs hold), and, for comparison, the same action on
the controller alone (no figure, no PNG). Every widget click redraws the
figure (matplotlib) and encodes it as a PNG at 96 dpi (864 x 336 pixels).

Target: well under 200 ms per click.

Run: ``MPLBACKEND=Agg .venv/bin/python benchmarks/bench_widgets_raft.py [--rounds 12]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from typing import Any

os.environ.setdefault("MPLBACKEND", "Agg")

from dslib.widgets.raft import RaftController, RaftPlayground

Times = dict[str, list[tuple[float, float]]]


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU time of ``fn()`` in ms."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000.0, (time.process_time() - cpu) * 1000.0


def follower(c: RaftController) -> str:
    return next((s.id for s in c.view.servers if s.role == "follower"), c.server_ids[0])


def session(p: RaftPlayground, rounds: int, times: Times) -> None:
    """Click through ``rounds`` rounds of every action, timing each click by kind."""
    c = p.controller
    server = p.controls["server"]

    def click(kind: str, button: Any) -> None:
        times[kind].append(timed(button.click))
        if p.message.value:  # the action failed: the session is not what it claims
            raise RuntimeError(f"{kind}: {p.message.value}")

    for _ in range(rounds):
        click("+500 ms", p.buttons["+500 ms"])
        for _ in range(3):
            click("step", p.step_button)
        click("+10 ms", p.buttons["+10 ms"])
        click("+50 ms", p.buttons["+50 ms"])
        if c.leader is not None:
            click("client request", p.request_button)
            click("+50 ms", p.buttons["+50 ms"])
            server.value = c.leader[0]
            click("crash", p.crash_button)
            click("+500 ms", p.buttons["+500 ms"])
            click("restart", p.restart_button)
        server.value = follower(c)
        click("time out", p.timeout_button)
        click("isolate", p.isolate_button)
        click("+50 ms", p.buttons["+50 ms"])
        click("heal", p.heal_button)
        click("split", p.split_button)
        click("+50 ms", p.buttons["+50 ms"])
        click("heal", p.heal_button)
        for _ in range(2):
            click("back", p.back_button)
        for _ in range(2):
            click("forward", p.forward_button)
        target = max(0, c.position - 10)
        times["slider (10 back)"].append(
            timed(partial(setattr, p.controls["position"], "value", target))
        )
        p.controls["position"].value = c.length
        click("back", p.back_button)
        click("branch (replay)", p.buttons["+10 ms"])


def controller_session(c: RaftController, rounds: int, times: Times) -> None:
    """The same round on the controller alone (no figure)."""

    def act(kind: str, fn: Callable[[], Any]) -> None:
        times[kind].append(timed(fn))

    for _ in range(rounds):
        act("+500 ms", partial(c.run, 500))
        for _ in range(3):
            act("step", c.step)
        act("+10 ms", partial(c.run, 10))
        act("+50 ms", partial(c.run, 50))
        if c.leader is not None:
            act("client request", c.request)
            act("+50 ms", partial(c.run, 50))
            leader = c.leader[0] if c.leader else c.server_ids[0]
            act("crash", partial(c.crash, leader))
            act("+500 ms", partial(c.run, 500))
            act("restart", partial(c.restart, leader))
        f = follower(c)
        act("time out", partial(c.timeout, f))
        act("isolate", partial(c.isolate, f))
        act("+50 ms", partial(c.run, 50))
        act("heal", c.heal)
        act("split", partial(c.split, f))
        act("+50 ms", partial(c.run, 50))
        act("heal", c.heal)
        for _ in range(2):
            act("back", c.back)
        for _ in range(2):
            act("forward", c.forward)
        act("slider (10 back)", partial(c.goto, max(0, c.position - 10)))
        c.goto(c.length)
        act("back", c.back)
        act("branch (replay)", partial(c.run, 10))


def stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help="rounds of every action")
    args = parser.parse_args()

    RaftPlayground(seed=0).buttons["+500 ms"].click()  # warm up imports and fonts
    widget_times: Times = defaultdict(list)
    playground = RaftPlayground(seed=0)
    session(playground, args.rounds, widget_times)
    core_times: Times = defaultdict(list)
    core = RaftController(seed=0)
    controller_session(core, args.rounds, core_times)
    assert core.frames == playground.controller.frames  # the same session, click for click

    c = playground.controller
    print(
        f"5 servers, seed 0, {args.rounds} rounds: {c.length} actions, "
        f"{c.now / 1000:.1f} s of simulated time, {len(c.simulation.trace)} trace events"
    )
    print(f"{'':18} {'widget click, wall':>20} {'widget click, CPU':>20} {'controller, CPU':>18}")
    print(
        f"{'action':18} {'median':>9} {'p90':>10} {'median':>9} {'p90':>10} "
        f"{'median':>8} {'p90':>9} {'clicks':>7}"
    )
    everything: list[float] = []
    for kind in widget_times:
        wall = [t[0] for t in widget_times[kind]]
        cpu = [t[1] for t in widget_times[kind]]
        alone = [t[1] for t in core_times[kind]]
        everything += wall
        (wm, w90), (cm, c90), (km, k90) = stats(wall), stats(cpu), stats(alone)
        print(
            f"{kind:18} {wm:9.1f} {w90:10.1f} {cm:9.1f} {c90:10.1f} "
            f"{km:8.1f} {k90:9.1f} {len(wall):7}"
        )
    m, p90 = stats(everything)
    print(f"{'all clicks':18} {m:9.1f} {p90:10.1f}")
    print("ms per click; target: well under 200 ms")


if __name__ == "__main__":
    main()
