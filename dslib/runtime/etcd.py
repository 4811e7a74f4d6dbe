"""A real etcd cluster on localhost, under the same nemesis as the book's nodes.

The book's Raft is checked against itself; etcd is a Raft that thousands of systems
rely on. Running it under the same harness shows that the checker, the nemesis and
the histories are not tuned to the book's code: the same schedule of faults, the same
workload, the same linearizability checker.

``EtcdCluster`` starts the members from the operating system's ``etcd`` binary (Debian:
``apt-get install etcd-server``), each in a temporary data directory, with every URL
on 127.0.0.1. Members talk to each other over their *peer* URLs, so the proxy sits
there: each member listens on a port of its own, and advertises the ``TcpProxy``'s
port in front of it, so all peer traffic passes the proxy. A peer connection names its
sender in the ``X-Server-From`` header (etcd's rafthttp), which is how the proxy
knows which link a connection is. Clients talk to a member's client URL directly,
through etcd's JSON gateway (``/v3/kv/range``, ``/v3/kv/put``, ``/v3/kv/txn``: keys
and values base64), with plain ``urllib``: ``EtcdClient``.

Examples
--------
The id etcd gives a lone member with its default flags, the one its logs show:

>>> etcd_member_id("http://localhost:2380", "etcd-cluster")
'8e9e05c52164694d'
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dslib.errors import DslibError
from dslib.runtime.cluster import NodeProcessError
from dslib.runtime.proxy import HOST, TcpProxy, free_ports
from dslib.sim.nemesis import Cut, Heal, NetworkChange, Partition

__all__ = [
    "INSTALL_ETCD",
    "EtcdClient",
    "EtcdCluster",
    "EtcdError",
    "EtcdNotFoundError",
    "etcd_member_id",
    "find_etcd",
]

INSTALL_ETCD = (
    "install etcd 3.4 or later: `apt-get install etcd-server` on Debian or Ubuntu, or a "
    "release binary from https://github.com/etcd-io/etcd/releases on your PATH "
    "(or pass its path: EtcdCluster(etcd=...))"
)
"""What to do when no ``etcd`` binary is found."""

_TAIL_LINES = 20


class EtcdNotFoundError(DslibError, FileNotFoundError):
    """No ``etcd`` binary: the message says how to install one."""


class EtcdError(DslibError, RuntimeError):
    """etcd answered a request with an error (the message is etcd's)."""


def find_etcd(path: str | os.PathLike[str] | None = None) -> str:
    """The ``etcd`` binary to run: ``path`` if given, else the one on ``PATH``.

    Raises
    ------
    EtcdNotFoundError
        If there is none; the message says how to install it.

    Examples
    --------
    >>> find_etcd("/nonexistent/etcd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.runtime.etcd.EtcdNotFoundError: no etcd binary at /nonexistent/etcd; install etcd ...
    """
    if path is not None:
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise EtcdNotFoundError(f"no etcd binary at {os.fspath(path)}; {INSTALL_ETCD}")
        return os.fspath(path)
    found = shutil.which("etcd")
    if found is None:
        raise EtcdNotFoundError(f"no etcd binary on PATH; {INSTALL_ETCD}")
    return found


def etcd_member_id(peer_url: str, token: str) -> str:
    """The id etcd gives a member of an initial cluster, as etcd prints it (hex).

    etcd derives it from the member's peer URLs and the cluster token: the first eight
    bytes, big-endian, of the SHA-1 of the sorted URLs followed by the token (etcd's
    ``membership.NewMember``). The proxy needs it before the cluster runs, to know
    which member opened a connection from the first request on it.

    Examples
    --------
    >>> etcd_member_id("http://127.0.0.1:2380", "etcd-cluster")
    'b71f75320dc06a6c'
    """
    digest = hashlib.sha1((peer_url + token).encode("utf-8")).digest()
    return format(int.from_bytes(digest[:8], "big"), "x")


_FROM = re.compile(rb"\r\nx-server-from:\s*([0-9a-f]+)\r\n", re.IGNORECASE)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _unb64(data: str) -> str:
    return base64.b64decode(data).decode("utf-8")


class EtcdClient:
    """A client of one etcd member through its JSON gateway (plain HTTP, ``urllib``).

    Keys are strings; values are any JSON value, stored as their JSON text.

    Parameters
    ----------
    url : str
        The member's client URL (``http://127.0.0.1:PORT``).
    timeout : float, default 2
        Seconds to wait for an answer.

    Raises
    ------
    ValueError
        If ``url`` is not on 127.0.0.1.
    """

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        if not url.startswith(f"http://{HOST}:"):
            raise ValueError(f"EtcdClient: url={url!r}; only http://{HOST}:PORT is allowed")
        self.url = url
        self.timeout = float(timeout)

    def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``path`` (e.g. ``/v3/kv/range``) and return etcd's answer.

        Raises
        ------
        EtcdError
            If etcd answers with an error.
        OSError
            If the member cannot be reached or does not answer in time
            (``TimeoutError``, ``ConnectionRefusedError``, ``urllib.error.URLError``).
        """
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer: dict[str, Any] = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            with contextlib.suppress(ValueError):
                detail = json.loads(detail).get("error", detail)
            raise EtcdError(f"etcd at {self.url} answered {exc.code}: {detail}") from None
        return answer

    def get(self, key: str, serializable: bool = False) -> Any:
        """The value of ``key`` (None if absent).

        ``serializable=False`` (etcd's default) reads through the quorum, so the
        read is linearizable; ``True`` answers from the member's own copy, which a
        member cut off from the others keeps serving, stale.
        """
        answer = self.call("/v3/kv/range", {"key": _b64(key), "serializable": serializable})
        kvs = answer.get("kvs") or []
        return json.loads(_unb64(kvs[0]["value"])) if kvs else None

    def put(self, key: str, value: Any) -> None:
        """Set ``key`` to ``value``."""
        self.call("/v3/kv/put", {"key": _b64(key), "value": _b64(json.dumps(value))})

    def cas(self, key: str, old: Any, new: Any) -> bool:
        """Set ``key`` to ``new`` if it holds ``old`` (one transaction); whether it did."""
        compare = {
            "key": _b64(key),
            "result": "EQUAL",
            "target": "VALUE",
            "value": _b64(json.dumps(old)),
        }
        put = {"request_put": {"key": _b64(key), "value": _b64(json.dumps(new))}}
        answer = self.call("/v3/kv/txn", {"compare": [compare], "success": [put]})
        return bool(answer.get("succeeded", False))


class EtcdCluster:
    """Members of a real etcd cluster as processes on 127.0.0.1, behind a peer proxy.

    The faults are those of ``Cluster``, so a ``NemesisPlayer`` drives either:
    ``crash`` (``SIGKILL``), ``restart`` (same data directory), ``pause`` (``SIGSTOP``),
    ``resume``, ``partition`` and ``heal`` (through the ``TcpProxy`` on the peer URLs).
    Every process and directory is removed when the ``with`` block ends, however it
    ends (a finalizer does it too, if ``close`` is never called).

    Parameters
    ----------
    names : sequence of str, default ("e1", "e2", "e3")
        The members.
    etcd : path, optional
        The ``etcd`` binary (default: the one on ``PATH``).
    directory : path, optional
        Where to make the cluster's temporary directory.
    timeout : float, default 60
        Seconds to wait for a member to become healthy; generous for a loaded machine.
    heartbeat, election : int, default 50 and 500
        etcd's ``--heartbeat-interval`` and ``--election-timeout`` in ms (etcd's own
        defaults are 100 and 1000; shorter ones make a test's failovers quicker).
    client_ports : mapping of str to int, optional
        Fixed client ports (default: free ones).

    Attributes
    ----------
    urls : dict of str to str
        Each member's client URL.
    proxy : TcpProxy or None
        The peer proxy, once started.

    Raises
    ------
    EtcdNotFoundError
        If there is no ``etcd`` binary (the message says how to install one).
    ValueError
        For fewer than one member, repeated names or a bad timeout.

    Examples
    --------
    >>> with EtcdCluster() as etcd:  # doctest: +SKIP
    ...     EtcdClient(etcd.urls["e1"]).put("x", 1)
    ...     EtcdClient(etcd.urls["e2"]).get("x")
    1
    """

    def __init__(
        self,
        names: Sequence[str] = ("e1", "e2", "e3"),
        *,
        etcd: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
        heartbeat: int = 50,
        election: int = 500,
        client_ports: dict[str, int] | None = None,
    ) -> None:
        names = list(names)
        if (
            not names
            or len(set(names)) != len(names)
            or not all(isinstance(n, str) and re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)
        ):
            raise ValueError(
                f"EtcdCluster: names={names!r}; give one or more distinct names of "
                "letters, digits, '-' and '_'"
            )
        if not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"EtcdCluster: timeout={timeout!r} must be a number of seconds > 0")
        self.binary = find_etcd(etcd)
        self.names = tuple(names)
        self.timeout = float(timeout)
        self.heartbeat, self.election = int(heartbeat), int(election)
        self._client_ports = dict(client_ports or {})
        self._parent = directory
        self.directory: Path | None = None
        self.urls: dict[str, str] = {}
        self.proxy: TcpProxy | None = None
        self._popens: dict[str, subprocess.Popen[bytes]] = {}
        self._all: list[subprocess.Popen[bytes]] = []
        self._closers: list[Any] = []
        self._status: dict[str, str] = {}
        self._args: dict[str, list[str]] = {}
        self._finalizer: weakref.finalize[Any, Any] | None = None

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> EtcdCluster:
        """Start every member and wait until each answers ``/health``.

        Raises
        ------
        NodeProcessError
            If a member exits before it is healthy (a port in use, a bad flag) or is
            not healthy within ``timeout``; its log's end is in the message.
        """
        if self.directory is not None:
            raise RuntimeError("EtcdCluster.start: started already")
        parent = None if self._parent is None else os.fspath(self._parent)
        self.directory = Path(tempfile.mkdtemp(prefix="dslib-etcd-", dir=parent))
        self._finalizer = weakref.finalize(self, _cleanup, self._all, self._closers, self.directory)
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        assert self.directory is not None
        n = len(self.names)
        free = iter(free_ports(3 * n))
        client = {m: self._client_ports.get(m) or next(free) for m in self.names}
        peer = {m: next(free) for m in self.names}
        front = {m: next(free) for m in self.names}
        token = f"dslib-{os.getpid()}-{self.directory.name}"
        advertised = {m: f"http://{HOST}:{front[m]}" for m in self.names}
        ids = {etcd_member_id(advertised[m], token): m for m in self.names}

        def identify(first: bytes) -> str | None:
            found = _FROM.search(first)
            return ids.get(found.group(1).decode().lower()) if found else None

        self.proxy = TcpProxy(
            {m: (HOST, peer[m]) for m in self.names}, identify=identify, fronts=front
        )
        self._closers.append(self.proxy.close)
        initial = ",".join(f"{m}={advertised[m]}" for m in self.names)
        for m in self.names:
            self.urls[m] = f"http://{HOST}:{client[m]}"
            self._args[m] = [
                self.binary,
                f"--name={m}",
                f"--data-dir={self.directory / m}",
                f"--listen-client-urls={self.urls[m]}",
                f"--advertise-client-urls={self.urls[m]}",
                f"--listen-peer-urls=http://{HOST}:{peer[m]}",
                f"--initial-advertise-peer-urls={advertised[m]}",
                f"--initial-cluster={initial}",
                f"--initial-cluster-token={token}",
                "--initial-cluster-state=new",
                f"--heartbeat-interval={self.heartbeat}",
                f"--election-timeout={self.election}",
                "--logger=zap",
                "--log-outputs=stderr",
            ]
            self._spawn(m)
        for m in self.names:
            self._await_healthy(m)
        members = EtcdClient(self.urls[self.names[0]], self.timeout).call(
            "/v3/cluster/member/list", {}
        )["members"]
        known = {format(int(x["ID"]), "x"): x.get("name") for x in members}
        if known != ids:
            raise EtcdError(
                f"the members' ids are {known}, not the {ids} the proxy expects: this "
                "etcd derives ids differently, so the proxy cannot tell its links apart"
            )

    def _spawn(self, member: str) -> None:
        assert self.directory is not None
        with open(self.directory / f"{member}.log", "ab") as log:
            popen = subprocess.Popen(
                self._args[member],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._popens[member] = popen
        self._all.append(popen)
        self._status[member] = "running"

    def _await_healthy(self, member: str) -> None:
        deadline = time.monotonic() + self.timeout
        popen = self._popens[member]
        while True:
            if popen.poll() is not None:
                raise NodeProcessError(
                    f"etcd member {member!r} exited with code {popen.returncode} before "
                    f"it was healthy; the end of its log:\n{self.log_tail(member)}",
                    node=member,
                    returncode=popen.returncode,
                    stderr=self.log_tail(member),
                )
            with contextlib.suppress(OSError, ValueError):
                request = urllib.request.Request(self.urls[member] + "/health")
                with urllib.request.urlopen(request, timeout=2.0) as response:
                    if json.loads(response.read()).get("health") == "true":
                        return
            if time.monotonic() > deadline:
                raise NodeProcessError(
                    f"etcd member {member!r} was not healthy within {self.timeout} s; the "
                    f"end of its log:\n{self.log_tail(member)}",
                    node=member,
                    returncode=None,
                    stderr=self.log_tail(member),
                )
            time.sleep(0.1)

    def close(self) -> None:
        """Kill every member, close the proxy, remove the directory (idempotent)."""
        if self._finalizer is not None:
            self._finalizer()
        for m in self._status:
            self._status[m] = "crashed"

    def __enter__(self) -> EtcdCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, member: str) -> str:
        """The last lines of ``member``'s log."""
        if self.directory is None:
            return ""
        path = self.directory / f"{member}.log"
        if not path.exists():
            return "(no log)"
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-_TAIL_LINES:]) or "(empty)"

    # -- faults (the names NemesisPlayer calls) --------------------------------------------
    def status(self, member: str) -> str:
        """``"running"``, ``"paused"`` or ``"crashed"``."""
        self._known(member)
        return self._status.get(member, "crashed")

    def crash(self, member: str) -> None:
        """``SIGKILL`` the member; its data directory stays for ``restart``."""
        self._need(member, ("running", "paused"), "crash")
        popen = self._popens[member]
        popen.kill()
        popen.wait()
        self._status[member] = "crashed"

    def restart(self, member: str) -> None:
        """Start a crashed member again from its data directory; wait until it is up.

        It waits for the process to serve its client port, not for ``/health``: a
        member cut off from a quorum is not healthy, but it is running.
        """
        self._need(member, ("crashed",), "restart")
        self._spawn(member)
        deadline = time.monotonic() + self.timeout
        port = int(self.urls[member].rsplit(":", 1)[1])
        while True:
            popen = self._popens[member]
            if popen.poll() is not None:
                self._status[member] = "crashed"
                raise NodeProcessError(
                    f"etcd member {member!r} exited with code {popen.returncode} on "
                    f"restart; the end of its log:\n{self.log_tail(member)}",
                    node=member,
                    returncode=popen.returncode,
                    stderr=self.log_tail(member),
                )
            with contextlib.suppress(OSError), _socket_to(port):
                return
            if time.monotonic() > deadline:
                raise NodeProcessError(
                    f"etcd member {member!r} did not open its client port within "
                    f"{self.timeout} s; the end of its log:\n{self.log_tail(member)}",
                    node=member,
                    returncode=None,
                    stderr=self.log_tail(member),
                )
            time.sleep(0.05)

    def pause(self, member: str) -> None:
        """``SIGSTOP`` the member."""
        self._need(member, ("running",), "pause")
        os.kill(self._popens[member].pid, signal.SIGSTOP)
        self._status[member] = "paused"

    def resume(self, member: str) -> None:
        """``SIGCONT`` a paused member."""
        self._need(member, ("paused",), "resume")
        os.kill(self._popens[member].pid, signal.SIGCONT)
        self._status[member] = "running"

    def partition(self, *groups: Sequence[str]) -> None:
        """Split the members into groups; peer connections between groups are closed."""

        self._proxy().apply(Partition(tuple(tuple(g) for g in groups)))

    def heal(self) -> None:
        """End the partition."""

        self._proxy().apply(Heal())

    def cut(self, src: str, dst: str) -> None:
        """Refused: a TCP connection carries both directions (use ``partition``)."""

        self._proxy().apply(Cut(src, dst))

    def change_network(self, loss: float | None = None, duplication: float | None = None) -> None:
        """Refused: TCP resends what is lost (see ``TcpProxy``)."""

        self._proxy().apply(NetworkChange(loss, duplication))

    def skew_clock(self, member: str, offset: float = 0.0, rate: float = 1.0) -> None:
        """Refused: etcd reads the operating system's clock, which only root can skew."""
        raise ValueError(
            "EtcdCluster: a ClockSkew needs the process to read its clock through the "
            "runtime; etcd reads the operating system's (skew it with libfaketime, "
            "outside this harness)"
        )

    def _proxy(self) -> TcpProxy:
        if self.proxy is None:
            raise ValueError("EtcdCluster: start the cluster first (a with block)")
        return self.proxy

    def _known(self, member: str) -> None:
        if member not in self.names:
            raise ValueError(f"unknown member {member!r}; the members are {list(self.names)}")

    def _need(self, member: str, allowed: tuple[str, ...], what: str) -> None:
        self._known(member)
        status = self._status.get(member, "crashed")
        if status not in allowed:
            raise ValueError(
                f"{what}: member {member!r} is {status}; {what} needs one that is "
                f"{' or '.join(allowed)}"
            )


@contextlib.contextmanager
def _socket_to(port: int) -> Any:
    """A TCP connection to ``HOST:port`` (raises ``OSError`` if refused), closed after."""
    sock = socket.create_connection((HOST, port), timeout=2.0)
    try:
        yield sock
    finally:
        sock.close()


def _cleanup(popens: list[subprocess.Popen[bytes]], closers: list[Any], directory: Path) -> None:
    for popen in popens:
        if popen.poll() is None:
            popen.kill()  # SIGKILL ends a stopped member too
    for popen in popens:
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=60)
    for close in closers:
        close()
    shutil.rmtree(directory, ignore_errors=True)
