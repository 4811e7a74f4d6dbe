"""``Cluster``: every node of a ``System`` as its own process on localhost.

The cluster is to real processes what ``Simulation`` is to simulated ones: it starts
the nodes, crashes (``SIGKILL``), restarts, pauses (``SIGSTOP``) and resumes
(``SIGCONT``) them, partitions, cuts and heals their links and makes them lossy
(through a proxy, ``dslib.runtime.proxy``), skews their clocks, reads their states,
and collects the operations their clients record into a ``History``. The nodes are
the book's nodes, unchanged; see ``dslib.runtime`` for the design and
``dslib.runtime.node`` for one node's process.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dslib.codec import decode_value, dump_document
from dslib.core import System, stable_repr
from dslib.errors import DslibError
from dslib.runtime.node import SPEC_FORMAT
from dslib.runtime.proxy import UdpProxy
from dslib.runtime.wire import import_class, node_spec
from dslib.sim.history import Event, History
from dslib.sim.nemesis import Cut, Heal, NetworkChange, Partition
from dslib.sim.network import Network

__all__ = ["HOST", "Cluster", "NodeProcessError"]

HOST = "127.0.0.1"
"""Where every node listens: the loopback interface only, never the outside network."""

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_TAIL_LINES = 30


class NodeProcessError(DslibError, RuntimeError):
    """A node's process failed: it could not start, or it died while the cluster ran.

    The message names the node, says what it was doing, and shows the end of its
    stderr (the traceback of the handler that raised, or why it could not start).

    Attributes
    ----------
    node : str
        The node whose process failed.
    returncode : int or None
        Its exit status (negative: killed by that signal), or None if it is alive.
    stderr : str
        The end of its stderr during its last run.
    """

    def __init__(self, message: str, *, node: str, returncode: int | None, stderr: str) -> None:
        super().__init__(message)
        self.node = node
        self.returncode = returncode
        self.stderr = stderr


@dataclass
class _Process:
    """One run (incarnation) of one node's process, as the cluster sees it."""

    popen: subprocess.Popen[bytes]
    incarnation: int
    log_offset: int
    port: int | None = None
    started: bool = False
    closed: bool = False  # its control pipe reached EOF: the process has exited
    replies: dict[int, Any] = field(default_factory=dict)
    reader: threading.Thread | None = None


class Cluster:
    """Run every node of ``system`` as an operating-system process on localhost.

    Each node gets a process, a UDP socket on 127.0.0.1, a data directory for what it
    persists, and real timers. The cluster owns the routing table (node id to address)
    that every node sends by. Use it as a context manager: every process and directory
    it made is removed when the block ends, however it ends; a finalizer does the same
    at garbage collection or interpreter exit if ``close`` was never called.

    Parameters
    ----------
    system : System
        The nodes to run. Each node's class must be importable by module path (not
        defined in a notebook or a function), and its attributes codec values.
    seed : int, default 0
        Seeds every node's ``ctx.rng`` as the simulator does (``f"{seed}:node:{id}"``).
    time_unit : float, default 0.001
        Seconds per unit of node time: timer delays and ``ctx.now`` are in this unit.
        The default reads the book's delays as milliseconds, as the Raft paper does
        (election timeouts of 150-300).
    types : sequence of type, optional
        Classes outside ``dslib`` that messages, states or persisted values may hold
        (see ``dslib.codec.decode_value``); the nodes' own classes need not be listed.
    ports : mapping of str to int, optional
        A fixed port for some nodes (default: each node binds port 0, and the
        operating system picks a free one).
    directory : path, optional
        Where to make the cluster's directory (default: the system's temporary
        directory). The cluster's own directory inside it is always removed.
    timeout : float, default 60
        Seconds to wait for a process to start or to answer before failing; generous,
        so that a loaded machine does not fail a correct run.
    proxy : bool, default False
        Put a ``UdpProxy`` in front of every node, so that ``partition``, ``cut``,
        ``heal`` and ``change_network`` work (the routing table then points at it).
    network : Network, optional
        Latency (node time units), loss and duplication for the proxy to add, as the
        simulator's ``Network`` describes them; giving one turns the proxy on.

    Attributes
    ----------
    directory : Path or None
        The cluster's directory (one subdirectory per node), once started.
    routes : dict of str to (str, int)
        The routing table: where each node's messages to a node are sent.
    proxy : UdpProxy or None
        The proxy, once started with ``proxy=True`` (its ``counts`` say how many
        datagrams it forwarded and dropped).

    Raises
    ------
    TypeError
        If ``system`` is not a ``System``, a node cannot be sent to a process, or an
        argument has the wrong type.
    ValueError
        If ``time_unit`` or ``timeout`` is not positive, or ``ports`` names an unknown
        node or a port outside 0..65535.

    Examples
    --------
    >>> from dslib import System
    >>> from dslib.basics import Pinger, Ponger
    >>> system = System({"pinger": Pinger(count=3), "ponger": Ponger()})
    >>> with Cluster(system) as cluster:
    ...     states = cluster.wait_until(lambda s: s["pinger"].acked == 3)
    >>> states
    {'pinger': PingerState(sent=3, acked=3), 'ponger': 3}
    >>> cluster.directory.exists()
    False

    Notes
    -----
    Messages travel as UDP datagrams (see ``dslib.runtime`` for why). A node's messages
    leave after its handler returns and after what it persisted is on disk. A crashed
    node's port is closed, so what is sent to it is lost, as in the simulator; a
    paused node's socket keeps what arrives (up to its buffer) for when it resumes.
    POSIX only: the cluster uses ``SIGKILL``, ``SIGSTOP`` and ``SIGCONT``.
    """

    def __init__(
        self,
        system: System,
        *,
        seed: int = 0,
        time_unit: float = 0.001,
        types: Sequence[type] = (),
        ports: Mapping[str, int] | None = None,
        directory: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        proxy: bool = False,
        network: Network | None = None,
    ) -> None:
        if os.name != "posix":
            raise OSError("dslib.runtime needs a POSIX system (signals SIGKILL, SIGSTOP)")
        if not isinstance(system, System):
            raise TypeError(
                f"Cluster takes a dslib.System, got {type(system).__name__}; "
                "wrap your nodes: System({'a': NodeA(), ...})"
            )
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise TypeError(f"Cluster: seed={seed!r} must be an int")
        for name, value in (("time_unit", time_unit), ("timeout", timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"Cluster: {name}={value!r} must be a number of seconds")
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"Cluster: {name}={value!r} must be a finite number > 0")
        if isinstance(types, type) or not all(isinstance(t, type) for t in types):
            raise TypeError(f"Cluster: types={types!r} must be a sequence of classes")
        ports = dict(ports or {})
        for node_id, port in sorted(ports.items()):
            if node_id not in system:
                raise ValueError(
                    f"Cluster: ports names {node_id!r}, which is not a node; "
                    f"the nodes are {list(system.ids)}"
                )
            if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
                raise ValueError(
                    f"Cluster: port {port!r} of node {node_id!r} must be an int in 0..65535"
                )
        if not isinstance(proxy, bool):
            raise TypeError(f"Cluster: proxy={proxy!r} must be True or False")
        if network is not None and not isinstance(network, Network):
            raise TypeError(f"Cluster: network={network!r} must be a dslib.sim.Network (or None)")
        self.system = system
        self.seed = seed
        self.network = network
        self._use_proxy = proxy or network is not None
        self.proxy: UdpProxy | None = None
        self._clocks: dict[str, tuple[float, float]] = {}
        self.time_unit = float(time_unit)
        self.timeout = float(timeout)
        self.types = tuple(types)
        self._specs = {i: node_spec(i, system[i]) for i in system.ids}
        self._ports = {i: ports.get(i, 0) for i in system.ids}
        self._parent = directory
        self.directory: Path | None = None
        self.routes: dict[str, tuple[str, int]] = {}
        self._addresses: dict[str, tuple[str, int]] = {}  # each node's own socket
        self._procs: dict[str, _Process] = {}
        self._status: dict[str, str] = {}  # "running", "paused" or "crashed"
        self._popens: list[subprocess.Popen[bytes]] = []  # every process ever started
        self._readers: list[threading.Thread] = []  # and the threads that read them
        self._loadable: list[type] | None = None
        self._records: list[tuple[float, int, str, dict[str, Any]]] = []
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._epoch = 0.0
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> Cluster:
        """Start every node: each binds its socket, then all start (``init``) together.

        Returns
        -------
        Cluster
            ``self``.

        Raises
        ------
        NodeProcessError
            If a node cannot be built in its process (its class cannot be imported),
            cannot bind its port, or raises in ``init``; every process is then stopped.
        RuntimeError
            If the cluster was started or closed already.
        """
        if self.directory is not None:
            raise RuntimeError("Cluster.start: the cluster was started already")
        parent = None if self._parent is None else os.fspath(self._parent)
        self.directory = Path(tempfile.mkdtemp(prefix="dslib-cluster-", dir=parent))
        self._closers: list[Callable[[], None]] = []
        self._finalizer = weakref.finalize(
            self, _cleanup, self._popens, self._readers, self._closers, self.directory
        )
        self._epoch = time.monotonic()
        try:
            for node_id in self.system.ids:
                self._dir(node_id).mkdir()
                self._spawn(node_id, 0)
            for node_id in self.system.ids:
                self._await(node_id, lambda p: p.port is not None, "bound its socket")
                self._addresses[node_id] = (HOST, self._port(node_id))
            self.routes = dict(self._addresses)
            if self._use_proxy:
                self.proxy = UdpProxy(
                    self._addresses, network=self.network, seed=self.seed, time_unit=self.time_unit
                )
                self._closers.append(self.proxy.close)
                self.routes = dict(self.proxy.fronts)
            for node_id in self.system.ids:
                self._send(node_id, {"op": "start", "routes": self._wire_routes()})
            for node_id in self.system.ids:
                self._await(node_id, lambda p: p.started, "started (init)")
                self._status[node_id] = "running"
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Kill every process the cluster started and remove its directory (idempotent)."""
        self._closed = True
        if self._finalizer is not None:
            self._finalizer()
        for node_id in self._status:
            self._status[node_id] = "crashed"

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.directory is None:
            return f"Cluster({len(self.system)} nodes, not started)"
        if self._closed:
            return f"Cluster({len(self.system)} nodes, closed)"
        groups = {s: sorted(i for i, t in self._status.items() if t == s) for s in _STATUSES}
        inner = ", ".join(f"{s}={groups[s]}" for s in _STATUSES if groups[s])
        return f"Cluster({inner})"

    # -- faults ----------------------------------------------------------------------------
    def crash(self, node: str) -> None:
        """Kill ``node``'s process with ``SIGKILL`` (``kill -9``): no handler runs, no goodbye.

        What it persisted stays on disk; its timers and in-memory state are gone, and
        messages sent to it until ``restart`` are lost. A paused node can be crashed.

        Raises
        ------
        ValueError
            If ``node`` is unknown or already crashed.
        """
        self._check(node, "crash", ("running", "paused"))
        proc = self._procs[node]
        proc.popen.kill()
        proc.popen.wait()
        self._status[node] = "crashed"

    def restart(self, node: str) -> None:
        """Start a crashed ``node`` again, on the same port, through its ``on_recover``.

        ``on_recover`` receives what the node last persisted before the crash (or
        ``NOTHING_PERSISTED``), read from its data directory, exactly as the
        simulator's ``Restart`` gives it.

        Raises
        ------
        ValueError
            If ``node`` is unknown or not crashed.
        NodeProcessError
            If its process cannot start (its port was taken meanwhile, say) or
            ``on_recover`` raises.
        """
        self._check(node, "restart", ("crashed",))
        self._spawn(node, self._procs[node].incarnation + 1)
        self._await(node, lambda p: p.port is not None, "bound its socket")
        self._send(node, {"op": "start", "routes": self._wire_routes()})
        self._await(node, lambda p: p.started, "restarted (on_recover)")
        self._status[node] = "running"

    def pause(self, node: str) -> None:
        """Stop ``node``'s process with ``SIGSTOP``: it runs no handler until ``resume``.

        Nothing is lost: datagrams wait in its socket's buffer and timers fire late.
        Returns once the process has stopped.

        Raises
        ------
        ValueError
            If ``node`` is unknown, crashed or paused already.
        """
        self._check(node, "pause", ("running",))
        popen = self._procs[node].popen
        try:
            os.kill(popen.pid, signal.SIGSTOP)
            _, status = os.waitpid(popen.pid, os.WUNTRACED)
        except ChildProcessError:  # it died, and was reaped, in the meantime
            status = None
        if status is None or not os.WIFSTOPPED(status):
            if status is not None:  # it died in the meantime: keep its exit status
                popen.returncode = os.waitstatus_to_exitcode(status)
            self._raise_failures()
        self._status[node] = "paused"

    def resume(self, node: str) -> None:
        """Continue a paused ``node`` with ``SIGCONT``.

        Raises
        ------
        ValueError
            If ``node`` is unknown or not paused.
        """
        self._check(node, "resume", ("paused",))
        os.kill(self._procs[node].popen.pid, signal.SIGCONT)
        self._status[node] = "running"

    def partition(self, *groups: Sequence[str]) -> None:
        """Split the nodes into ``groups``: datagrams between groups are dropped.

        As the simulator's ``Partition``: it replaces any partition, and every node
        (clients too) must be in exactly one group. Needs ``proxy=True``.

        Raises
        ------
        ValueError
            If a node is in no group or in two, or the cluster has no proxy.
        """
        self._links().apply(Partition(tuple(tuple(g) for g in groups)))

    def cut(self, src: str, dst: str) -> None:
        """Drop every datagram from ``src`` to ``dst`` (one way) until ``heal``."""
        self._links().apply(Cut(src, dst))

    def heal(self) -> None:
        """Remove the partition and every cut link."""
        self._links().apply(Heal())

    def change_network(self, loss: float | None = None, duplication: float | None = None) -> None:
        """Set the proxy's loss and duplication probabilities (None: the ``network``'s own)."""
        self._links().apply(NetworkChange(loss, duplication))

    def skew_clock(self, node: str, offset: float = 0.0, rate: float = 1.0) -> None:
        """Skew ``node``'s clock as the simulator's ``ClockSkew``: ``ctx.now = offset + rate * t``.

        Timers run at ``rate`` too. The skew stays across a crash and restart (it is
        the machine's clock, so a crashed node's clock can be skewed, as in the
        simulator). The history keeps true times, so the checkers see the real order.

        Raises
        ------
        ValueError
            If ``node`` is unknown, or ``rate`` is not a number > 0.
        """
        self._check(node, "skew_clock", _STATUSES)
        for name, value in (("offset", offset), ("rate", rate)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"skew_clock: {name}={value!r} must be a number")
        if not (math.isfinite(offset) and math.isfinite(rate) and rate > 0):
            raise ValueError(
                f"skew_clock: offset={offset!r} must be finite and rate={rate!r} a number > 0"
            )
        self._clocks[node] = (float(offset), float(rate))
        if self._status[node] in _UP:  # a crashed node reads it when it restarts
            self._send(node, {"op": "clock", "offset": float(offset), "rate": float(rate)})

    def _links(self) -> Any:
        if self.proxy is None or self._closed:
            raise ValueError(
                "link faults need the proxy and a running cluster: "
                "Cluster(system, proxy=True) (or network=Network(...)), then start()"
            )
        return self.proxy.links

    # -- observing --------------------------------------------------------------------------
    @property
    def pids(self) -> dict[str, int]:
        """The process id of each node that is up (running or paused)."""
        return {i: self._procs[i].popen.pid for i in self.system.ids if self._status.get(i) in _UP}

    def status(self, node: str) -> str:
        """``"running"``, ``"paused"`` or ``"crashed"`` (before ``start``: ``"crashed"``)."""
        self._known(node, "status")
        return self._status.get(node, "crashed")

    def state(self, node: str) -> Any:
        """The current state of a running ``node``, asked of its process.

        Raises
        ------
        ValueError
            If ``node`` is unknown, crashed or paused (a paused process cannot answer).
        NodeProcessError
            If a node's process has died on its own (a handler raised).
        """
        self._check(node, "state", ("running",))
        request_id = next(self._ids)
        self._send(node, {"op": "state", "id": request_id})
        proc = self._procs[node]
        self._await(node, lambda p: request_id in p.replies, "answered a state request")
        return decode_value(proc.replies.pop(request_id), self._types())

    @property
    def states(self) -> dict[str, Any]:
        """The state of every running node (crashed and paused nodes are left out)."""
        self._raise_failures()
        return {i: self.state(i) for i in self.system.ids if self._status.get(i) == "running"}

    def wait_until(
        self,
        condition: Callable[[dict[str, Any]], bool],
        timeout: float | None = None,
        poll: float = 0.01,
    ) -> dict[str, Any]:
        """Wait until ``condition(states)`` holds; return those states.

        Parameters
        ----------
        condition : callable
            Takes ``states`` (running nodes only) and returns a bool. A ``KeyError``
            counts as false, so ``lambda s: s["a"].x == 3`` may name a paused node.
        timeout : float, optional
            Seconds to wait (default: the cluster's ``timeout``).
        poll : float, default 0.01
            Seconds between two looks.

        Returns
        -------
        dict
            The states for which the condition held.

        Raises
        ------
        TimeoutError
            If it did not hold in time; the message shows the last states.
        NodeProcessError
            If a node's process died on its own meanwhile.
        """
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            states = self.states
            try:
                if condition(states):
                    return states
            except KeyError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"wait_until: the condition did not hold within {limit} s; "
                    f"the last states were {stable_repr(states)}"
                )
            time.sleep(poll)

    def history(self) -> History:
        """The operations that client nodes recorded (``ctx.record``) so far, in time order.

        Times are each node's ``ctx.now`` when it recorded: time since the cluster
        started, in ``time_unit``, read from one clock (``CLOCK_MONOTONIC``) that all
        processes share, so the order of two events of different clients is their
        real order. An operation whose client crashed before it completed stays open.
        """
        with self._cond:
            records = sorted(self._records, key=lambda r: (r[0], r[1]))
        types = self._types()
        history = History()
        for when, _seq, node, r in records:
            value, key = decode_value(r["value"], types), decode_value(r["key"], types)
            history.add(Event(node, r["type"], r["f"], value, when, key))
        return history

    def record_counts(self) -> dict[str, int]:
        """How many events of each type (``invoke``, ``ok``, ``fail``, ``info``) the
        clients recorded so far: cheap, for a progress display (``history`` decodes all).

        Examples
        --------
        >>> from dslib.basics import Ponger
        >>> Cluster(System({"ponger": Ponger()})).record_counts()
        {'invoke': 0, 'ok': 0, 'fail': 0, 'info': 0}
        """
        counts = dict.fromkeys(("invoke", "ok", "fail", "info"), 0)
        with self._cond:
            for _when, _seq, _node, r in self._records:
                counts[r["type"]] = counts.get(r["type"], 0) + 1
        return counts

    def log(self, node: str) -> str:
        """Everything ``node``'s processes wrote to stderr (all its runs), as text."""
        self._known(node, "log")
        if self.directory is None or not (self._dir(node) / "stderr.log").exists():
            return ""
        return (self._dir(node) / "stderr.log").read_text(encoding="utf-8", errors="replace")

    # -- internals -----------------------------------------------------------------------------
    def _known(self, node: str, what: str) -> None:
        if node not in self.system:
            raise ValueError(
                f"{what}: unknown node {node!r}; the nodes are {list(self.system.ids)}"
            )

    def _check(self, node: str, what: str, allowed: tuple[str, ...]) -> None:
        self._known(node, what)
        if self.directory is None or self._closed:
            raise ValueError(f"{what}: the cluster is not running (use start() or a with block)")
        self._raise_failures()
        status = self._status[node]
        if status not in allowed:
            raise ValueError(
                f"{what}: node {node!r} is {status}; {what} needs a node that is "
                f"{' or '.join(allowed)}"
            )

    def _dir(self, node: str) -> Path:
        """The node's data directory: its position and its id, made safe as a file name."""
        assert self.directory is not None
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", node)[:40]
        return self.directory / f"{self.system.ids.index(node)}-{safe}"

    def _types(self) -> list[type]:
        """The classes outside dslib that values from the nodes may hold."""
        if self._loadable is None:
            named = {(m, c) for spec in self._specs.values() for m, c in spec["classes"]}
            self._loadable = [*self.types, *(import_class(m, c) for m, c in sorted(named))]
        return self._loadable

    def _wire_routes(self) -> dict[str, list[Any]]:
        return {i: [h, p] for i, (h, p) in sorted(self.routes.items())}

    def _port(self, node: str) -> int:
        port = self._procs[node].port
        assert port is not None
        return port

    def _spawn(self, node: str, incarnation: int) -> None:
        assert self.directory is not None
        node_dir = self._dir(node)
        # A restarted node binds the port it had: the routing table does not change.
        port = self._ports[node] if incarnation == 0 else self._addresses[node][1]
        spec = {
            "id": node,
            "ids": list(self.system.ids),
            "node": self._specs[node],
            "types": [[t.__module__, t.__qualname__] for t in self.types],
            "seed": self.seed,
            "incarnation": incarnation,
            "time_unit": self.time_unit,
            "epoch": self._epoch,
            "host": HOST,
            "port": port,
            "clock": list(self._clocks.get(node, (0.0, 1.0))),
            "directory": str(node_dir),
            "path": [os.path.abspath(p) for p in sys.path],
        }
        spec_path = node_dir / f"spec-{incarnation}.json"
        spec_path.write_text(dump_document(SPEC_FORMAT, spec, indent=1), encoding="utf-8")
        log_path = node_dir / "stderr.log"
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        with open(log_path, "ab") as log:
            offset = log.tell()
            popen = subprocess.Popen(
                [sys.executable, "-m", "dslib.runtime", str(spec_path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                cwd=node_dir,
                env=env,
                start_new_session=True,  # a Ctrl-C in the terminal reaches the cluster only
            )
        self._popens.append(popen)
        proc = _Process(popen, incarnation, offset)
        proc.reader = threading.Thread(
            target=_read,
            args=(node, proc, self._cond, self._records),
            name=f"dslib-runtime-{node}",
            daemon=True,
        )
        self._procs[node] = proc
        self._readers.append(proc.reader)
        proc.reader.start()

    def _send(self, node: str, request: dict[str, Any]) -> None:
        stdin = self._procs[node].popen.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # the process is gone; _await reports it with its stderr

    def _await(self, node: str, ready: Callable[[_Process], bool], what: str) -> None:
        """Wait until ``ready(proc)`` for ``node``'s process, or fail if it exits first."""
        proc = self._procs[node]
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while not ready(proc):
                if proc.closed:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NodeProcessError(
                        f"node {node!r} has not {what} within {self.timeout} s; "
                        f"its stderr:\n{self._tail(node, proc)}",
                        node=node,
                        returncode=proc.popen.poll(),
                        stderr=self._tail(node, proc),
                    )
                self._cond.wait(left)
            else:
                return
        self._failed(node, proc, f"before it {what}")

    def _raise_failures(self) -> None:
        """Raise for the first node (by id) whose process died without ``crash``."""
        for node in self.system.ids:
            if self._status.get(node) in _UP:
                proc = self._procs[node]
                if proc.closed or proc.popen.poll() is not None:
                    self._failed(node, proc, "while the cluster ran")

    def _failed(self, node: str, proc: _Process, when: str) -> None:
        try:
            code = proc.popen.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            code = None
        self._status[node] = "crashed"
        tail = self._tail(node, proc)
        cls = self._specs[node]["class"]
        raise NodeProcessError(
            f"node {node!r} ({cls}) exited with code {code} {when}; its stderr:\n{tail}",
            node=node,
            returncode=code,
            stderr=tail,
        )

    def _tail(self, node: str, proc: _Process) -> str:
        assert self.directory is not None
        with open(self._dir(node) / "stderr.log", "rb") as log:
            log.seek(proc.log_offset)
            text = log.read().decode("utf-8", "replace")
        lines = text.rstrip("\n").splitlines()
        return "\n".join(lines[-_TAIL_LINES:]) if lines else "(nothing)"


_STATUSES = ("running", "paused", "crashed")
_UP = ("running", "paused")


def _read(
    node: str,
    proc: _Process,
    cond: threading.Condition,
    records: list[tuple[float, int, str, dict[str, Any]]],
) -> None:
    """Read ``proc``'s control lines until it exits (runs in a thread).

    It holds what it fills, not the cluster, so that a cluster nobody closed can
    still be collected (and its finalizer run) while its processes live.
    """
    stdout = proc.popen.stdout
    assert stdout is not None
    try:
        for raw in stdout:
            line = json.loads(raw)
            with cond:
                if "reply" in line:
                    proc.replies[line["reply"]] = line["state"]
                elif line["event"] == "ready":
                    proc.port = int(line["port"])
                elif line["event"] == "started":
                    proc.started = True
                elif line["event"] == "record":
                    records.append((float(line["time"]), len(records), node, line))
                cond.notify_all()
    finally:  # however reading ends, whoever waits for this process must learn it
        with cond:
            proc.closed = True
            cond.notify_all()


def _cleanup(
    popens: list[subprocess.Popen[bytes]],
    readers: list[threading.Thread],
    closers: list[Callable[[], None]],
    directory: Path,
) -> None:
    """Kill and reap every process, close their pipes and the proxy, remove the directory.

    A finalizer: it must not hold the cluster itself, only what it cleans. The
    reader threads end when their process's pipe closes, before the pipes are closed
    here (closing a pipe that a thread still reads would raise in that thread).
    """
    for popen in popens:
        if popen.poll() is None:
            popen.kill()  # SIGKILL ends a stopped (paused) process too
    for popen in popens:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=60)
    for reader in readers:
        if reader is not threading.current_thread():
            reader.join(timeout=60)
    for popen in popens:
        for pipe in (popen.stdin, popen.stdout):
            _close(pipe)
    for close in closers:
        close()
    shutil.rmtree(directory, ignore_errors=True)


def _close(pipe: IO[bytes] | None) -> None:
    if pipe is not None:
        with contextlib.suppress(OSError):
            pipe.close()
