"""The nemesis's hands on the network: userspace proxies in front of every node.

Jepsen cuts links with ``iptables``, which needs root and touches the whole machine.
Here every node's traffic goes through a proxy that this process owns instead, so a
fault is a change to a table, and no packet ever leaves 127.0.0.1:

- ``Links`` is that table: the partition, the cut links and the loss and duplication
  probabilities. It takes the simulator's faults (``Partition``, ``Cut``, ``Heal``,
  ``NetworkChange`` of ``dslib.sim.nemesis``) as they are, with the simulator's
  meaning, so one fault schedule drives both worlds.
- ``UdpProxy`` relays the book's nodes' datagrams: one socket per node, at the
  address every other node sends to (``Cluster.routes``); each datagram names its
  source and destination (``dslib.runtime.wire``), so the proxy judges it alone, then
  drops it, delays it (a ``dslib.sim`` latency, in node time units), duplicates it
  or forwards it to the node's own socket.
- ``TcpProxy`` relays streams (etcd's peer connections). A stream has no messages to
  drop one by one, so a link that a fault cuts has its connections closed and new ones
  refused, as a firewall's ``REJECT`` would; the proxy learns which node opened a
  connection from its first bytes (``identify``), as the destination is the port.

Examples
--------
>>> from dslib.sim import Partition
>>> links = Links(["a", "b", "c"])
>>> links.apply(Partition((("a",), ("b", "c"))))
>>> links.connected("a", "b"), links.connected("b", "c")
(False, True)
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import random
import selectors
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from dslib.sim.nemesis import Cut, Heal, NetworkChange, Partition
from dslib.sim.network import Network

__all__ = ["HOST", "Links", "TcpProxy", "UdpProxy", "free_ports"]

HOST = "127.0.0.1"
"""Every proxy binds and connects on the loopback interface only."""

LinkFault = Partition | Cut | Heal | NetworkChange


class Links:
    """Which node may reach which, and how lossy the network is: the proxies' table.

    The meaning is the simulator's (``Simulation.connected``): a message from ``src``
    to ``dst`` gets through unless the link is cut (``Cut``, one way) or a
    ``Partition`` puts the two in different groups; ``Heal`` removes both.
    ``NetworkChange`` sets the loss and duplication probabilities (``None``: back to
    the ones given here).

    Parameters
    ----------
    nodes : sequence of str
        Every node the proxies relay for.
    loss, duplication : float, default 0
        The probabilities when no ``NetworkChange`` is in force.

    Raises
    ------
    ValueError
        For a fault that names an unknown node, a partition that leaves a node out or
        names one twice, or a probability outside [0, 1].
    TypeError
        For anything that is not one of the four link faults.

    Examples
    --------
    >>> from dslib.sim import Cut, NetworkChange
    >>> links = Links(["a", "b"])
    >>> links.apply(Cut("a", "b"))
    >>> links.connected("a", "b"), links.connected("b", "a")
    (False, True)
    >>> links.apply(NetworkChange(loss=0.5)); links.loss
    0.5
    >>> links.apply(Partition((("a",),)))
    Traceback (most recent call last):
    ...
    ValueError: Partition: nodes ['b'] are in no group; place every node in exactly one group
    """

    def __init__(self, nodes: Sequence[str], loss: float = 0.0, duplication: float = 0.0) -> None:
        self.nodes = tuple(sorted(nodes))
        _check_probability("loss", loss)
        _check_probability("duplication", duplication)
        self.default_loss = float(loss)
        self.default_duplication = float(duplication)
        self.loss = self.default_loss
        self.duplication = self.default_duplication
        self.groups: dict[str, int] | None = None  # node -> its group, during a partition
        self.cut: set[tuple[str, str]] = set()
        self.lock = threading.Lock()

    def _known(self, node: object, what: str) -> None:
        if node not in self.nodes:
            raise ValueError(f"{what}: unknown node {node!r}; the nodes are {list(self.nodes)}")

    def apply(self, fault: LinkFault) -> None:
        """Apply one link fault (checked first: a bad fault changes nothing)."""
        if isinstance(fault, Partition):
            groups: dict[str, int] = {}
            for index, group in enumerate(fault.groups):
                for node in group:
                    self._known(node, "Partition")
                    if node in groups:
                        raise ValueError(f"Partition: node {node!r} is in more than one group")
                    groups[node] = index
            missing = sorted(set(self.nodes) - set(groups))
            if missing:
                raise ValueError(
                    f"Partition: nodes {missing} are in no group; place every node in "
                    "exactly one group"
                )
            with self.lock:
                self.groups = groups
        elif isinstance(fault, Cut):
            self._known(fault.src, "Cut")
            self._known(fault.dst, "Cut")
            with self.lock:
                self.cut.add((fault.src, fault.dst))
        elif isinstance(fault, Heal):
            with self.lock:
                self.groups = None
                self.cut.clear()
        elif isinstance(fault, NetworkChange):
            for name in ("loss", "duplication"):
                value = getattr(fault, name)
                if value is not None:
                    _check_probability(f"NetworkChange: {name}", value)
            with self.lock:
                self.loss = self.default_loss if fault.loss is None else float(fault.loss)
                dup = fault.duplication
                self.duplication = self.default_duplication if dup is None else float(dup)
        else:
            raise TypeError(
                f"Links.apply: {fault!r} is not a link fault; use Partition, Cut, Heal or "
                "NetworkChange (crashes and pauses are the cluster's)"
            )

    def connected(self, src: str, dst: str) -> bool:
        """Whether a message from ``src`` to ``dst`` gets through now (loss aside)."""
        if (src, dst) in self.cut:
            return False
        groups = self.groups
        return groups is None or src == dst or groups.get(src) == groups.get(dst)


def _local(backends: Mapping[str, tuple[str, int]], who: str) -> dict[str, tuple[str, int]]:
    """``backends`` as ``{node: (host, port)}``, refusing any host but 127.0.0.1."""
    out = {n: (str(h), int(p)) for n, (h, p) in backends.items()}
    for node, (host, _port) in sorted(out.items()):
        if host != HOST:
            raise ValueError(f"{who}: node {node!r} is at {host}; only {HOST} is allowed")
    return out


def _check_probability(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name}={value!r} must be a probability in [0, 1]")


def _bind(what: str, port: int = 0, kind: int = socket.SOCK_DGRAM) -> socket.socket:
    sock = socket.socket(socket.AF_INET, kind)
    if kind == socket.SOCK_STREAM:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise OSError(
            f"{what} cannot bind {HOST}:{port}: {exc}; choose another port, or port 0 "
            "(the operating system picks a free one)"
        ) from None
    return sock


class UdpProxy:
    """Relay the book's nodes' datagrams, dropping, delaying and duplicating as ``links`` say.

    One thread serves one socket per node (its *front*, the address the others send
    to) and forwards each datagram to the node's own socket (its *backend*).

    Parameters
    ----------
    backends : mapping of str to (str, int)
        Each node's own address.
    network : Network, optional
        Latency (in node time units), loss and duplication, as the simulator's
        ``Network`` (default: no latency added, nothing lost). ``fifo=True`` keeps
        each link's datagrams in order despite the latency. A delay is as precise as
        ``select`` waits: on Linux (epoll) it is rounded up to a whole millisecond.
    seed : int, default 0
        Seeds the draws of loss, duplication and latency.
    time_unit : float, default 0.001
        Seconds per unit of latency.

    Attributes
    ----------
    fronts : dict of str to (str, int)
        Where to send to reach each node through the proxy.
    links : Links
        The fault table; ``links.apply(fault)`` changes it.
    counts : dict of str to int
        Datagrams ``forwarded``, ``dropped`` (by a fault or loss) and ``duplicated``.

    Examples
    --------
    >>> import socket
    >>> from dslib.runtime.wire import encode_datagram
    >>> b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind((HOST, 0))
    >>> with UdpProxy({"a": b.getsockname(), "z": ("127.0.0.1", 9)}) as proxy:
    ...     _ = b.sendto(encode_datagram("z", "a", 1), proxy.fronts["a"])
    ...     data, _ = b.recvfrom(65536)
    >>> data == encode_datagram("z", "a", 1)
    True
    >>> b.close()
    """

    def __init__(
        self,
        backends: Mapping[str, tuple[str, int]],
        *,
        network: Network | None = None,
        seed: int = 0,
        time_unit: float = 0.001,
    ) -> None:
        if network is not None and not isinstance(network, Network):
            raise TypeError(f"UdpProxy: network={network!r} must be a dslib.sim.Network")
        self.network = network
        self.backends = _local(backends, "UdpProxy")
        self.links = Links(
            list(self.backends),
            network.loss if network else 0.0,
            network.duplication if network else 0.0,
        )
        self.time_unit = float(time_unit)
        self.rng = random.Random(f"{seed}:proxy")
        self.counts = {"forwarded": 0, "dropped": 0, "duplicated": 0}
        self._socks: dict[str, socket.socket] = {}
        self.fronts: dict[str, tuple[str, int]] = {}
        try:
            for node in sorted(self.backends):
                sock = _bind(f"the proxy of node {node!r}")
                sock.setblocking(False)
                self._socks[node] = sock
                self.fronts[node] = (HOST, sock.getsockname()[1])
        except BaseException:
            self._close_sockets()
            raise
        self._delayed: list[tuple[float, int, str, bytes]] = []  # (due, seq, dst, data)
        self._last_due: dict[tuple[str, str], float] = {}
        self._seq = itertools.count()
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="dslib-udp-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> UdpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the thread and close every socket (idempotent)."""
        if not self._stop:
            self._stop = True
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
            self._thread.join(timeout=60)
            self._close_sockets()
            self._wake_r.close()
            self._wake_w.close()

    def _close_sockets(self) -> None:
        for sock in self._socks.values():
            sock.close()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        for node, sock in self._socks.items():
            sel.register(sock, selectors.EVENT_READ, node)
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        while not self._stop:
            timeout = None
            if self._delayed:
                timeout = max(0.0, self._delayed[0][0] - time.monotonic())
            for key, _ in sel.select(timeout):
                if key.data is not None:
                    self._receive(key.data, self._socks[key.data])
            now = time.monotonic()
            while self._delayed and self._delayed[0][0] <= now:
                _due, _seq, dst, data = heapq.heappop(self._delayed)
                self._send(dst, data)
        sel.close()

    def _receive(self, dst: str, sock: socket.socket) -> None:
        for _ in range(64):
            try:
                data, _addr = sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionRefusedError:
                continue
            src = _source(data)
            links = self.links
            with links.lock:
                passes = src is not None and links.connected(src, dst)
                loss, duplication = links.loss, links.duplication
            if not passes or (loss and self.rng.random() < loss):
                self.counts["dropped"] += 1
                continue
            copies = 1
            if duplication and self.rng.random() < duplication:
                copies = 2
                self.counts["duplicated"] += 1
            for _copy in range(copies):
                self._relay(src or "", dst, data)

    def _relay(self, src: str, dst: str, data: bytes) -> None:
        if self.network is None:
            self._send(dst, data)
            return
        due = time.monotonic() + self.network.latency.sample(self.rng) * self.time_unit
        if self.network.fifo:
            due = max(due, self._last_due.get((src, dst), 0.0))
            self._last_due[(src, dst)] = due
        heapq.heappush(self._delayed, (due, next(self._seq), dst, data))

    def _send(self, dst: str, data: bytes) -> None:
        # A full buffer or a closed port (the node is down): the network lost it.
        with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
            self._socks[dst].sendto(data, self.backends[dst])
            self.counts["forwarded"] += 1


def _source(data: bytes) -> str | None:
    """The ``src`` a datagram names, or None for a stray packet (which is dropped)."""
    try:
        src = json.loads(data).get("src")
    except (ValueError, AttributeError):
        return None
    return src if isinstance(src, str) else None


class TcpProxy:
    """Relay TCP connections to each node; a link a fault cuts loses its connections.

    Parameters
    ----------
    backends : mapping of str to (str, int)
        Each node's own listening address.
    identify : callable, optional
        ``identify(first_bytes) -> node or None``: who opened a connection, from
        what it sent first (etcd: the ``X-Server-From`` header of a peer request).
        A connection that no node can be named for is relayed whatever the faults
        (etcd: health probes), and counted in ``counts["unknown"]``.
    fronts : mapping of str to int, optional
        A fixed front port for some nodes (default: chosen by the operating system).

    Attributes
    ----------
    fronts : dict of str to (str, int)
        Where to connect to reach each node through the proxy.
    links : Links
        The fault table; change it with ``apply``, which also closes the connections
        of every link that is now cut.

    Notes
    -----
    A connection carries both directions (a request one way, its answer and, for a
    stream, the other node's messages back), so it is kept only while both
    directions are connected; a one-way ``Cut`` and loss have no meaning for a
    stream and are refused (``apply``).

    Examples
    --------
    >>> import socket
    >>> server = socket.socket(); server.bind((HOST, 0)); server.listen()
    >>> proxy = TcpProxy({"a": server.getsockname()})
    >>> client = socket.create_connection(proxy.fronts["a"])
    >>> client.sendall(b"hi")  # the proxy connects once it knows who is calling
    >>> conn, _ = server.accept(); conn.recv(2)
    b'hi'
    >>> proxy.close(); client.close(); conn.close(); server.close()
    """

    def __init__(
        self,
        backends: Mapping[str, tuple[str, int]],
        *,
        identify: Callable[[bytes], str | None] | None = None,
        fronts: Mapping[str, int] | None = None,
    ) -> None:
        self.backends = _local(backends, "TcpProxy")
        self.links = Links(list(self.backends))
        self.identify = identify
        self.counts = {"connections": 0, "refused": 0, "closed": 0, "unknown": 0}
        self._conns: list[tuple[str | None, str, socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._stop = False
        self._listeners: dict[str, socket.socket] = {}
        self.fronts: dict[str, tuple[str, int]] = {}
        wanted = dict(fronts or {})
        try:
            for node in sorted(self.backends):
                sock = _bind(f"the proxy of node {node!r}", wanted.get(node, 0), socket.SOCK_STREAM)
                sock.listen(64)
                self._listeners[node] = sock
                self.fronts[node] = (HOST, sock.getsockname()[1])
        except BaseException:
            for sock in self._listeners.values():
                sock.close()
            raise
        self._threads = [
            threading.Thread(
                target=self._accept, args=(n,), name=f"dslib-tcp-proxy-{n}", daemon=True
            )
            for n in sorted(self._listeners)
        ]
        for thread in self._threads:
            thread.start()

    def apply(self, fault: LinkFault) -> None:
        """Apply ``Partition`` or ``Heal``, closing the connections of every cut link.

        Raises
        ------
        ValueError
            For ``Cut`` or ``NetworkChange`` (see Notes), or a bad partition.
        """
        if isinstance(fault, (Cut, NetworkChange)):
            raise ValueError(
                f"TcpProxy: {type(fault).__name__} has no meaning for a TCP stream (a "
                "connection carries both directions, and TCP resends what is lost); use "
                "Partition and Heal"
            )
        self.links.apply(fault)
        with self._lock:
            keep = []
            for conn in self._conns:
                src, dst, a, b = conn
                if src is None or self._allowed(src, dst):
                    keep.append(conn)
                else:
                    self.counts["closed"] += 1
                    _shut(a)
                    _shut(b)
            self._conns = keep

    def _allowed(self, src: str, dst: str) -> bool:
        return self.links.connected(src, dst) and self.links.connected(dst, src)

    def close(self) -> None:
        """Stop accepting, close every connection and listener (idempotent)."""
        self._stop = True
        for sock in self._listeners.values():
            _shut(sock)
        with self._lock:
            for _src, _dst, a, b in self._conns:
                _shut(a)
                _shut(b)
            self._conns = []
        for thread in self._threads:
            thread.join(timeout=60)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self, dst: str) -> None:
        listener = self._listeners[dst]
        while not self._stop:
            try:
                client, _addr = listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(dst, client), name=f"dslib-tcp-{dst}", daemon=True
            ).start()

    def _serve(self, dst: str, client: socket.socket) -> None:
        client.settimeout(10.0)
        try:
            first = client.recv(65536)
        except OSError:
            first = b""
        client.settimeout(None)
        src = self.identify(first) if (self.identify and first) else None
        if src is not None and src not in self.backends:
            src = None
        if src is None:
            self.counts["unknown"] += 1
        if not first or (src is not None and not self._allowed(src, dst)):
            self.counts["refused"] += 1
            _shut(client)
            return
        try:
            server = socket.create_connection(self.backends[dst], timeout=10.0)
            server.settimeout(None)
            server.sendall(first)
        except OSError:
            _shut(client)  # the node is down: as a refused connection
            return
        with self._lock:
            if self._stop or (src is not None and not self._allowed(src, dst)):
                _shut(client)
                _shut(server)
                return
            self._conns.append((src, dst, client, server))
            self.counts["connections"] += 1
        threading.Thread(target=_pump, args=(server, client), daemon=True).start()
        _pump(client, server)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy ``source`` to ``sink`` until either closes; then close both."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    _shut(source)
    _shut(sink)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on 127.0.0.1 that were free a moment ago.

    Another program may take one before it is used; whoever binds it then reports a
    port in use (etcd does, and ``EtcdCluster`` shows its log).

    Examples
    --------
    >>> a, b = free_ports(2)
    >>> a != b and 0 < a < 65536
    True
    """
    socks = [_bind("free_ports", 0, socket.SOCK_STREAM) for _ in range(count)]
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports
