"""Small systems whose bugs need exactly 1, 2 or 3 faults in order: a yardstick for ``find_bug``.

They are systems, not part of the instrument they measure (``dslib.testing``), so they
live with chapter 3's other small systems.

An *at-most-once counter*: clients send ``add`` requests to a server, and
retry when no reply comes, with the same request id. The server must count
each request once, so it remembers which request ids it has applied (its
*deduplication table*). Where it keeps that table decides how many faults it
takes to count a request twice:

======================= ====================================================== ======
``mutant``              where the deduplication table lives                    faults
======================= ====================================================== ======
``None``                on disk, with the count                                never
``"no-dedup"``          nowhere                                                1
``"dedup-in-memory"``   in the server's memory                                 2
``"mirror-in-memory"``  in memory, and first at a mirror node (in memory too)  3
======================= ====================================================== ======

The faults: a second copy of a request (a duplicated message, or a client's
retry after its request or reply was held up); then, for ``dedup-in-memory``, a
crash of the server between the two copies. For ``mirror-in-memory`` the server
records each request at the mirror, and applies it only when the mirror has
acknowledged the record, so the table is lost only if both nodes crash, one
after the other: a second copy and two crashes. (Had the server applied first
and recorded after, one partition could lose both the record and the reply,
and two faults would do.) ``HAND_WRITTEN`` holds a shortest schedule for each
bug, found by hand; ``tests/test_testing_find_bug.py`` replays them, and
``benchmarks/bench_find_bug.py`` measures how often ``find_bug`` finds each bug
and how close its shrunk schedule comes to these.

Examples
--------
>>> from dslib.testing import replay
>>> sim = replay(counter(mutant="dedup-in-memory"), HAND_WRITTEN["dedup-in-memory"])
>>> counted_once(sim.states)
False
>>> sim = replay(counter(), HAND_WRITTEN["dedup-in-memory"])
>>> counted_once(sim.states)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import check_mutant
from dslib.sim.clients import Client, ClientState, Reply, Request
from dslib.sim.nemesis import Crash, Restart
from dslib.small_systems.registers import Copy, Fetch, Replicate, Replicated, Snapshot
from dslib.testing.machine import Deliver, Duplicate, Fire, Invoke, Lose, Step

__all__ = [
    "HAND_WRITTEN",
    "MUTANTS",
    "PRIMARY_BACKUP_HAND_WRITTEN",
    "CounterServer",
    "CounterState",
    "Mirror",
    "Recall",
    "Recalled",
    "Record",
    "Recorded",
    "counted_once",
    "counter",
]

MUTANTS: dict[str, str] = {
    "no-dedup": "the server keeps no deduplication table: one second copy counts twice (1 fault)",
    "dedup-in-memory": "the table lives in the server's memory: a second copy after a crash "
    "counts twice (2 faults)",
    "mirror-in-memory": "the table lives in memory, first at a mirror: a second copy after "
    "both nodes crashed counts twice (3 faults)",
}
"""The broken versions of ``counter(mutant=...)``, by name, with what is wrong."""


@dataclass(frozen=True)
class Record:
    """Server to mirror: remember that request ``(client, request_id)`` was applied."""

    client: str
    request_id: int


@dataclass(frozen=True)
class Recorded:
    """Mirror to server: I have the record of ``(client, request_id)``."""

    client: str
    request_id: int


@dataclass(frozen=True)
class Recall:
    """A restarted server to the mirror: send me the requests you remember."""


@dataclass(frozen=True)
class Recalled:
    """Mirror to server: the requests it remembers, sorted."""

    applied: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class CounterState:
    """The server's state: the count, the applied requests, and whether it serves requests.

    ``pending``: the requests recorded at the mirror but not yet acknowledged by it.
    """

    count: int = 0
    applied: tuple[tuple[str, int], ...] = ()
    ready: bool = True
    pending: tuple[tuple[str, int], ...] = ()


class CounterServer(Node[CounterState]):
    """The server of the at-most-once counter (see the module docstring).

    Parameters
    ----------
    mutant : str, optional
        One of ``MUTANTS``; ``None`` for the correct server.
    mirror : str, default "mirror"
        The mirror node (``"mirror-in-memory"`` only).
    """

    def __init__(self, mutant: str | None = None, mirror: str = "mirror") -> None:
        check_mutant("CounterServer", mutant, MUTANTS)
        self.mutant = mutant
        self.mirror = mirror

    def init(self, ctx: Context) -> CounterState:
        return CounterState()

    def on_recover(self, ctx: Context, durable: Any) -> CounterState:
        count, applied = (0, ()) if durable is NOTHING_PERSISTED else durable
        if self.mutant == "mirror-in-memory":
            ctx.send(self.mirror, Recall())
            return CounterState(count, (), ready=False)
        return CounterState(count, applied if self.mutant is None else ())

    def on_message(self, ctx: Context, state: CounterState, src: str, msg: Any) -> CounterState:
        if isinstance(msg, Recalled):
            return replace(state, applied=msg.applied, ready=True) if not state.ready else state
        if isinstance(msg, Recorded):
            done = (msg.client, msg.request_id)
            if done not in state.pending:
                return state  # a late or duplicated acknowledgement
            state = replace(state, pending=tuple(p for p in state.pending if p != done))
            return self._apply(ctx, state, done)
        if not isinstance(msg, Request) or not state.ready:
            return state  # not ready: the client will retry
        done = (msg.client, msg.request_id)
        if self.mutant != "no-dedup" and done in state.applied:
            ctx.send(msg.client, Reply(msg.request_id, True, state.count))  # a second copy
            return state
        if self.mutant == "mirror-in-memory":
            ctx.send(self.mirror, Record(*done))  # (again, if it is pending: a retry)
            return replace(state, pending=tuple(sorted({*state.pending, done})))
        return self._apply(ctx, state, done)

    def _apply(self, ctx: Context, state: CounterState, done: tuple[str, int]) -> CounterState:
        state = replace(state, count=state.count + 1, applied=tuple(sorted({*state.applied, done})))
        ctx.persist((state.count, state.applied if self.mutant is None else ()))
        ctx.send(done[0], Reply(done[1], True, state.count))
        return state

    def __repr__(self) -> str:
        return "CounterServer" if self.mutant is None else f"CounterServer({self.mutant})"


class Mirror(Node[tuple[tuple[str, int], ...]]):
    """Keeps a copy of the server's applied requests, in memory only."""

    def init(self, ctx: Context) -> tuple[tuple[str, int], ...]:
        return ()

    def on_message(
        self, ctx: Context, state: tuple[tuple[str, int], ...], src: str, msg: Any
    ) -> tuple[tuple[str, int], ...]:
        if isinstance(msg, Record):
            ctx.send(src, Recorded(msg.client, msg.request_id))
            return tuple(sorted({*state, (msg.client, msg.request_id)}))
        if isinstance(msg, Recall):
            ctx.send(src, Recalled(state))
        return state


def counter(mutant: str | None = None, clients: int = 1, operations: int = 2) -> System:
    """An at-most-once counter: a server (and a mirror for ``"mirror-in-memory"``), and clients.

    Parameters
    ----------
    mutant : str, optional
        One of ``MUTANTS``, or ``None`` for the correct counter.
    clients : int, default 1
        Clients ``c1``, ``c2``, ...; each adds 1, ``operations`` times.
    operations : int, default 2

    Returns
    -------
    System

    Raises
    ------
    ValueError
        If ``mutant`` is unknown, or ``clients`` or ``operations`` is not an int >= 1.

    Examples
    --------
    >>> counter("mirror-in-memory").ids
    ('c1', 'mirror', 'server')
    """
    for name, v in (("clients", clients), ("operations", operations)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
            raise ValueError(f"counter: {name}={v!r} must be an int >= 1")
    nodes: dict[str, Node[Any]] = {"server": CounterServer(mutant)}
    if mutant == "mirror-in-memory":
        nodes["mirror"] = Mirror()
    for i in range(1, clients + 1):
        nodes[f"c{i}"] = Client(["server"], [("add", 1)] * operations)
    return System(nodes)


def counted_once(states: dict[str, Any]) -> bool:
    """The invariant: the server's count is at most the number of requests the clients made.

    A server that is down (absent from ``states``) holds nothing to check.

    >>> counted_once({"server": CounterState(count=1), "c1": ClientState(request_id=1)})
    True
    """
    server = states.get("server")
    if server is None:
        return True
    made = sum(s.request_id for s in states.values() if isinstance(s, ClientState))
    return bool(server.count <= made)


def _request(request_id: int) -> Request:
    return Request("c1", request_id, "add", None, 1)


HAND_WRITTEN: dict[str, tuple[Step, ...]] = {
    "no-dedup": (
        Invoke("c1"),
        Duplicate("c1", "server", _request(1)),
        Deliver("c1", "server", _request(1)),
        Deliver("c1", "server", _request(1)),
    ),
    "dedup-in-memory": (
        Invoke("c1"),
        Duplicate("c1", "server", _request(1)),
        Deliver("c1", "server", _request(1)),
        Crash("server"),
        Restart("server"),
        Deliver("c1", "server", _request(1)),
    ),
    "mirror-in-memory": (
        Invoke("c1"),
        Duplicate("c1", "server", _request(1)),
        Deliver("c1", "server", _request(1)),
        Deliver("server", "mirror", Record("c1", 1)),
        Deliver("mirror", "server", Recorded("c1", 1)),
        Crash("mirror"),
        Restart("mirror"),
        Crash("server"),
        Restart("server"),
        Deliver("server", "mirror", Recall()),
        Deliver("mirror", "server", Recalled(())),
        Deliver("c1", "server", _request(1)),
        Deliver("server", "mirror", Record("c1", 1)),
        Deliver("mirror", "server", Recorded("c1", 1)),
    ),
}
"""A shortest schedule found by hand for each bug of ``counter``: it breaks ``counted_once``."""


def _write(client: str, request_id: int, value: Any) -> Request:
    return Request(client, request_id, "write", None, value)


def _read(client: str, request_id: int) -> Request:
    return Request(client, request_id, "read", None, None)


_C1_WROTE_1 = Copy(1, 1, (("c1", 1),))

# How both bugs that lose an acknowledged write end: c1 hears "ok" for write(1); the primary
# crashes, restarts, finds nothing at the backup, and c1's read returns None.
_ACKED_THEN_CRASHED: tuple[Step, ...] = (
    Deliver("primary", "c1", Reply(1, True, 1)),
    Crash("primary"),
    Restart("primary"),
    Invoke("c1"),
    Deliver("primary", "backup", Fetch(2)),
    Deliver("backup", "primary", Snapshot(2, Copy())),
    Deliver("c1", "primary", _read("c1", 2)),
    Deliver("primary", "c1", Reply(2, True, None)),
)

PRIMARY_BACKUP_HAND_WRITTEN: dict[str, tuple[Step, ...]] = {
    # The primary acknowledges write(1), crashes before the backup has it, and reads None.
    "ack-before-replicate": (
        Invoke("c1"),
        Deliver("c1", "primary", _write("c1", 1, 1)),
        *_ACKED_THEN_CRASHED,
    ),
    # The copy to the backup is lost; the primary goes on alone, forgets, and reads None.
    "forget-when-alone": (
        Invoke("c1"),
        Deliver("c1", "primary", _write("c1", 1, 1)),
        Lose("primary", "backup", Replicate(1, _C1_WROTE_1)),
        Fire("primary", "replicate"),
        *_ACKED_THEN_CRASHED,
    ),
    # Two clients: c1's write(1) arrives twice, the second time after c2's write(2),
    # and c2 then reads 1 (``primary_backup(mutant="no-dedup", clients=2)``).
    "no-dedup": (
        Invoke("c1"),
        Duplicate("c1", "primary", _write("c1", 1, 1)),
        Deliver("c1", "primary", _write("c1", 1, 1)),
        Deliver("primary", "backup", Replicate(1, _C1_WROTE_1)),
        Deliver("backup", "primary", Replicated(1, 1)),
        Deliver("primary", "c1", Reply(1, True, 1)),
        Invoke("c2"),
        Deliver("c2", "primary", _write("c2", 1, 2)),
        Deliver("primary", "backup", Replicate(1, Copy(2, 2, (("c1", 1), ("c2", 1))))),
        Deliver("backup", "primary", Replicated(1, 2)),
        Deliver("primary", "c2", Reply(1, True, 2)),
        Deliver("c1", "primary", _write("c1", 1, 1)),
        Deliver("primary", "backup", Replicate(1, Copy(3, 1, (("c1", 1), ("c2", 1))))),
        Deliver("backup", "primary", Replicated(1, 3)),
        Invoke("c2"),
        Deliver("c2", "primary", _read("c2", 2)),
        Deliver("primary", "c2", Reply(2, True, 1)),
    ),
}
"""A shortest schedule found by hand for each bug of the primary-backup register
(``dslib.small_systems.registers.primary_backup``, one client, or two for ``no-dedup``):
its history is not linearizable."""
