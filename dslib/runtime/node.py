"""One node as an operating-system process: the loop that drives its handlers for real.

A ``Cluster`` starts ``python -m dslib.runtime SPEC`` once per node. This module
is that process. It does for one node what the simulator does for all of them, with
the real world in place of the simulated one:

==========================  ===========================================================
simulator                   this process
==========================  ===========================================================
the event queue             a ``selectors`` loop over the UDP socket and the control
                            pipe, and a heap of timers, due by ``time.monotonic()``
``Network`` delivers        the kernel delivers datagrams over 127.0.0.1 (or loses one
                            when a socket's buffer is full or its node is down)
``ctx.now``                 seconds since the cluster started, in ``time_unit``; a
                            ``ClockSkew`` makes it ``offset + rate * that`` and timers
                            run at ``rate`` too (a delay lasts ``delay / rate``), as
                            in the simulator
``ctx.rng``                 ``random.Random(f"{seed}:node:{id}")``, the simulator's seed
                            for the node's first run (``...:restart:{k}`` after the k-th
                            restart, so a restarted node does not repeat its draws)
``ctx.persist``             the node's ``durable.json``, written with ``fsync`` *before*
                            the handler's messages leave (a message may promise what was
                            persisted, so the promise must be on disk first)
``ctx.record``              a line to the cluster, which builds the ``History``, at
                            the true time (a skewed clock is the node's, not the
                            history's)
crash, restart              ``SIGKILL``; a new process that calls ``on_recover`` with
                            the durable value (``init`` on the first start only)
==========================  ===========================================================

The control pipe (the process's stdin and stdout) carries one JSON object a line.
From the cluster: ``{"op": "start", "routes": {...}}`` (run ``init`` or ``on_recover``),
``{"op": "routes", "routes": {...}}`` (a new routing table), ``{"op": "clock", "offset":
o, "rate": r}`` (skew the node's clock) and ``{"op": "state", "id": n}``. To the
cluster: ``{"event": "ready", "port": p}`` once the socket is bound,
``{"event": "started"}``, ``{"event": "record", ...}`` and ``{"reply": n, "state": ...}``.
Anything the handlers print goes to the node's log (stderr), never into the pipe.
When the pipe closes (the cluster is gone) the process exits.

A handler that raises ends the process: the traceback, headed by the node and the
event, goes to stderr, where the cluster finds it and reports it.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import os
import random
import selectors
import socket
import sys
import time
import traceback
from collections.abc import Hashable
from pathlib import Path
from typing import Any, BinaryIO

from dslib.codec import encode_value, load_document
from dslib.core import NOTHING_PERSISTED, Context, check_state, describe_event
from dslib.runtime.wire import (
    build_node,
    decode_datagram,
    encode_datagram,
    import_class,
    read_durable,
    write_durable,
)

__all__ = ["SPEC_FORMAT", "NodeProcess", "main"]

SPEC_FORMAT = "dslib.runtime.spec"
"""The ``format`` of the document that tells a node process what to run."""

_EXIT_START = 2  # the node could not be built (import, decode)
_EXIT_BIND = 3  # the socket could not be bound
_EXIT_HANDLER = 1  # a handler raised


class NodeProcess:
    """The event loop of one node in its own process (see the module docstring).

    Parameters
    ----------
    spec : dict
        The spec document the cluster wrote (format ``SPEC_FORMAT``).
    control_out : binary file
        Where control lines to the cluster go (the real stdout).
    """

    def __init__(self, spec: dict[str, Any], control_out: BinaryIO) -> None:
        self.id: str = spec["id"]
        self.ids: tuple[str, ...] = tuple(spec["ids"])
        self.types = [import_class(m, c) for m, c in spec["types"]]
        self.node = build_node(spec["node"], self.types)
        self.time_unit = float(spec["time_unit"])
        self.epoch = float(spec["epoch"])
        self.clock_offset, self.clock_rate = (float(x) for x in spec.get("clock", (0.0, 1.0)))
        self.incarnation = int(spec["incarnation"])
        self.durable_path = Path(spec["directory"]) / "durable.json"
        suffix = f":restart:{self.incarnation}" if self.incarnation else ""
        self.rng = random.Random(f"{spec['seed']}:node:{self.id}{suffix}")
        self.ctx = Context(self.id, self.ids, rng=self.rng)
        self.out = control_out
        self.routes: dict[str, tuple[str, int]] = {}
        self.state: Any = None
        self.started = False
        self.true_now = 0.0  # unskewed node time of the current handler call
        self.timers: dict[Hashable, int] = {}  # name -> token of its current setting
        self.heap: list[tuple[float, int, Hashable]] = []  # (due, token, name)
        self.tokens = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((spec["host"], int(spec["port"])))
        except OSError as exc:
            self.sock.close()
            raise _BindError(
                f"node {self.id!r} cannot bind UDP {spec['host']}:{spec['port']}: {exc}; "
                "choose another port, or leave it to the operating system (port 0)"
            ) from None
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    # -- the loop ------------------------------------------------------------------------
    def run(self, control_in: int) -> None:
        """Handle control lines, datagrams and timers until the control pipe closes."""
        self.emit({"event": "ready", "port": self.port})
        os.set_blocking(control_in, False)
        sel = selectors.DefaultSelector()
        sel.register(control_in, selectors.EVENT_READ, "control")
        buffer = b""
        registered = False
        while True:
            if self.started and not registered:
                # Datagrams wait in the kernel until the node has started.
                sel.register(self.sock, selectors.EVENT_READ, "net")
                registered = True
            timeout = None
            if self.heap:
                timeout = max(0.0, self.heap[0][0] - time.monotonic())
            for key, _ in sel.select(timeout):
                if key.data == "control":
                    chunk = os.read(control_in, 65536)
                    if not chunk:
                        return  # the cluster is gone
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        self.control(json.loads(line))
                else:
                    self.receive()
            self.fire_due()

    def control(self, request: dict[str, Any]) -> None:
        """Act on one control line from the cluster."""
        op = request["op"]
        if op in ("start", "routes"):
            self.routes = {k: (h, int(p)) for k, (h, p) in request["routes"].items()}
        if op == "start":
            if self.incarnation == 0:
                self.call(("init",), "init")
            else:
                durable = read_durable(self.durable_path, self.types)
                self.call(("restart",), "on_recover", durable)
            self.started = True
            self.emit({"event": "started"})
        elif op == "clock":
            self.clock_offset, self.clock_rate = float(request["offset"]), float(request["rate"])
        elif op == "state":
            self.emit({"reply": request["id"], "state": encode_value(self.state)})
        elif op != "routes":
            raise ValueError(f"unknown control operation {op!r}")

    def receive(self) -> None:
        """Handle the datagrams waiting on the socket (at most 64, so timers are not starved)."""
        for _ in range(64):
            try:
                data, _addr = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue  # an earlier send reached a closed port: that message was lost
            try:
                src, dst, msg = decode_datagram(data, self.types)
            except ValueError as exc:
                if str(exc).startswith("not a datagram"):
                    print(f"node {self.id!r}: dropped a stray packet ({exc})", file=sys.stderr)
                    continue
                raise ValueError(
                    f"node {self.id!r} cannot decode a message: {exc}; classes outside dslib "
                    "must be given to the cluster: Cluster(system, types=[...])"
                ) from None
            if dst != self.id or src not in self.ids:
                print(
                    f"node {self.id!r}: dropped a datagram from {src!r} to {dst!r}",
                    file=sys.stderr,
                )
                continue
            self.call(("message", src, msg), "on_message", self.state, src, msg)

    def fire_due(self) -> None:
        """Fire the timers due now, in order of due time (then of setting).

        Only those due when it begins: a timer that a handler sets with a tiny delay
        waits for the next turn of the loop, so that a node that keeps re-arming a
        timer still reads its socket in between.
        """
        now = time.monotonic()
        while self.heap and self.heap[0][0] <= now:
            _due, token, name = heapq.heappop(self.heap)
            if self.timers.get(name) != token:
                continue  # cancelled or replaced
            del self.timers[name]
            self.call(("timer", name), "on_timer", self.state, name)

    # -- one handler call --------------------------------------------------------------
    def call(self, event: tuple[Any, ...], handler: str, *args: Any) -> None:
        """Call ``handler`` for ``event``, keep the state it returns, apply its effects."""
        ctx = self.ctx
        self.true_now = (time.monotonic() - self.epoch) / self.time_unit
        ctx.reset(event, self.clock_offset + self.clock_rate * self.true_now)
        try:
            state = getattr(self.node, handler)(ctx, *args)
        except Exception as exc:
            raise _HandlerFailed(
                f"node {self.id!r} ({type(self.node).__name__}) raised {type(exc).__name__}: "
                f"{exc} while handling {describe_event(event)} at time {ctx.now:.3f}"
            ) from exc
        check_state(state, self.id, event, handler)
        self.state = state
        self.effects(ctx)

    def effects(self, ctx: Context) -> None:
        """Apply one call's effects: persist first, then timers, sends and records."""
        if ctx.persisted is not NOTHING_PERSISTED:
            try:
                write_durable(self.durable_path, ctx.persisted)
            except TypeError as exc:
                raise self.failed(ctx, f"persisted a value that cannot be stored: {exc}") from None
        for name in ctx.timers_cancelled:
            self.timers.pop(name, None)
        for name, delay in ctx.timers_set:
            if isinstance(delay, tuple):
                lo, hi = delay
                delay = lo + (hi - lo) * self.rng.random()
            self.tokens += 1
            self.timers[name] = self.tokens
            due = time.monotonic() + delay / self.clock_rate * self.time_unit
            heapq.heappush(self.heap, (due, self.tokens, name))
        for dst, msg in ctx.sent:
            try:
                data = encode_datagram(self.id, dst, msg)
            except (TypeError, ValueError) as exc:
                raise self.failed(ctx, f"sent a message the wire cannot carry: {exc}") from None
            # A full buffer or a closed port: the network lost the message.
            with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                self.sock.sendto(data, self.routes[dst])
        for type_, f, value, key in ctx.records:
            self.emit(
                {
                    "event": "record",
                    "type": type_,
                    "f": f,
                    "value": encode_value(value),
                    "key": encode_value(key),
                    "time": self.true_now,
                }
            )

    def failed(self, ctx: Context, what: str) -> _HandlerFailed:
        """The error for an effect of a handler that the real world cannot carry out."""
        return _HandlerFailed(
            f"node {self.id!r} ({type(self.node).__name__}) {what} (while handling "
            f"{describe_event(ctx.event)})"
        )

    def emit(self, line: dict[str, Any]) -> None:
        """Write one control line to the cluster."""
        self.out.write(json.dumps(line).encode("utf-8") + b"\n")
        self.out.flush()


class _BindError(Exception):
    """The node's socket could not be bound."""


class _HandlerFailed(Exception):
    """A handler raised; the message names the node and the event."""


def main(argv: list[str] | None = None) -> int:
    """Run the node that the spec file ``argv[0]`` describes; return the exit code.

    The real stdout becomes the control pipe to the cluster, and file descriptor 1
    is pointed at stderr, so that a handler's ``print`` lands in the node's log.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m dslib.runtime SPEC.json", file=sys.stderr)
        return 64
    control_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    spec = load_document(Path(args[0]).read_text(encoding="utf-8"), SPEC_FORMAT, "node spec")
    for entry in reversed(spec["path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    who = f"node {spec['id']!r}"
    try:
        process = NodeProcess(spec, control_out)
    except _BindError as exc:
        print(exc, file=sys.stderr)
        return _EXIT_BIND
    except Exception:
        print(f"{who} could not be built in its process:", file=sys.stderr)
        traceback.print_exc()
        return _EXIT_START
    try:
        process.run(sys.stdin.fileno())
    except _HandlerFailed as exc:
        print(exc, file=sys.stderr)
        traceback.print_exception(exc.__cause__ or exc)
        return _EXIT_HANDLER
    except Exception:
        print(f"{who} failed:", file=sys.stderr)
        traceback.print_exc()
        return _EXIT_HANDLER
    return 0
