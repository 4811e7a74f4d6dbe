"""The dual-write problem and the transactional outbox.

A service that changes its database and publishes an event about the change writes to two
systems, and no transaction spans both. A crash between the two writes leaves them
disagreeing: write the database first and a crash before the publish **loses** the event
(the retry finds the change already committed and cannot tell whether it was published);
publish first and the change may never commit (a crash, or the database refuses it), so
the event **invents** a change that did not happen.

The **transactional outbox** (Richardson, *Microservices Patterns*, 2018, section 3.3.7
"Transactional messaging") writes the event into an ``outbox`` table in the same database
transaction as the change; a separate **relay** reads the outbox, publishes each event and
deletes it once the broker has acknowledged it. The relay may crash after publishing and
before deleting, so it publishes at least once; the broker (or the consumer) drops a
duplicate by its event id, so every committed change is published exactly once and no
event exists without its commit.

- ``PlaceOrder``, ``Commit``, ``Publish`` and the other messages;
- ``Database`` and ``Broker`` (they do not crash), ``OrderService`` (``mode``:
  ``"db-first"``, ``"publish-first"`` or ``"outbox"``), ``Relay``, ``OrderClient``;
- ``publication_problems``: the checker, every committed change published exactly once
  and no event without a commit;
- ``outbox_run``: one run with the service and the relay crashing;
- ``MUTANTS`` (selected with ``mutant=``), ``OUTBOX_MUTANTS`` and ``OUTBOX_CHECKS``.

Examples
--------
>>> publication_problems(committed=[1, 2, 3], published=[1, 3, 3, 4])
[('duplicated', 3), ('invented', 4), ('lost', 2)]
>>> run = outbox_run("outbox", orders=20, seed=0)
>>> run["problems"], run["committed"]
([], 18)
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.nemesis import Crash, Nemesis, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "MODES",
    "MUTANTS",
    "OUTBOX_CHECKS",
    "OUTBOX_MUTANTS",
    "Broker",
    "Commit",
    "Committed",
    "Database",
    "DatabaseState",
    "MarkSent",
    "Marked",
    "OrderClient",
    "OrderPlaced",
    "OrderService",
    "OutboxBatch",
    "PlaceOrder",
    "Publish",
    "Published",
    "ReadOutbox",
    "Relay",
    "WriteOutbox",
    "outbox_run",
    "publication_problems",
]

MODES = ("db-first", "publish-first", "outbox")
"""How ``OrderService`` writes the change and its event."""

MUTANTS: dict[str, str] = {
    "second-transaction": "the outbox entry is written in a second transaction after the change",
    "mark-before-publish": "the relay deletes an outbox entry before the broker has it",
    "no-dedup": "the broker appends an event it already has (the relay publishes at least once)",
}
"""The broken versions of the outbox, selected with ``mutant=``: name -> what is wrong."""


# == messages ===================================================================================
@dataclass(frozen=True)
class PlaceOrder:
    order: int


@dataclass(frozen=True)
class OrderPlaced:
    order: int
    ok: bool


@dataclass(frozen=True)
class Commit:
    """Commit ``order``; with ``outbox``, its event is written in the same transaction."""

    order: int
    outbox: bool = False


@dataclass(frozen=True)
class Committed:
    """The database's answer: ``fresh`` if this commit wrote it, ``ok`` False if refused."""

    order: int
    fresh: bool
    ok: bool = True


@dataclass(frozen=True)
class WriteOutbox:
    order: int


@dataclass(frozen=True)
class ReadOutbox:
    pass


@dataclass(frozen=True)
class OutboxBatch:
    events: tuple[int, ...]


@dataclass(frozen=True)
class MarkSent:
    event: int


@dataclass(frozen=True)
class Marked:
    event: int


@dataclass(frozen=True)
class Publish:
    event: int


@dataclass(frozen=True)
class Published:
    event: int


# == the database and the broker (they do not crash) ============================================
@dataclass(frozen=True)
class DatabaseState:
    """``rows``: the committed orders, in commit order; ``outbox``: unpublished events."""

    rows: tuple[int, ...] = ()
    outbox: tuple[int, ...] = ()


class Database(Node[DatabaseState]):
    """Commits orders (a second commit of one order changes nothing) and keeps the outbox.

    It refuses every order divisible by ``refuse_every`` (out of stock): a change that
    never commits.

    Examples
    --------
    >>> Database(refuse_every=10)
    Database(refuses every 10th order)
    """

    def __init__(self, refuse_every: int = 10) -> None:
        if not (isinstance(refuse_every, int) and refuse_every >= 2):
            raise ValueError(f"Database: refuse_every={refuse_every!r} must be an int >= 2")
        self.refuse_every = refuse_every

    def init(self, ctx: Context) -> DatabaseState:
        return DatabaseState()

    def on_message(self, ctx: Context, state: DatabaseState, src: str, msg: Any) -> DatabaseState:
        if isinstance(msg, Commit):
            if msg.order % self.refuse_every == 0:
                ctx.send(src, Committed(msg.order, fresh=False, ok=False))
                return state
            fresh = msg.order not in state.rows
            ctx.send(src, Committed(msg.order, fresh))
            if not fresh:
                return state
            outbox = (*state.outbox, msg.order) if msg.outbox else state.outbox
            return DatabaseState((*state.rows, msg.order), outbox)  # one transaction
        if isinstance(msg, WriteOutbox) and msg.order not in state.outbox:
            return replace(state, outbox=(*state.outbox, msg.order))
        if isinstance(msg, ReadOutbox):
            ctx.send(src, OutboxBatch(state.outbox))
        if isinstance(msg, MarkSent):
            ctx.send(src, Marked(msg.event))
            return replace(state, outbox=tuple(e for e in state.outbox if e != msg.event))
        return state

    def __repr__(self) -> str:
        return f"Database(refuses every {self.refuse_every}th order)"


class Broker(Node[tuple[int, ...]]):
    """An event log; it drops an event whose id it already has (the state is the log).

    Examples
    --------
    >>> Broker()
    Broker(drops duplicates)
    """

    def __init__(self, mutant: str | None = None) -> None:
        self.mutant = check_mutant("Broker", mutant, MUTANTS)

    def init(self, ctx: Context) -> tuple[int, ...]:
        return ()

    def on_message(self, ctx: Context, state: tuple[int, ...], src: str, msg: Any) -> Any:
        if not isinstance(msg, Publish):
            return state
        ctx.send(src, Published(msg.event))
        if msg.event in state and self.mutant != "no-dedup":  # mutant: appends it again
            return state
        return (*state, msg.event)

    def __repr__(self) -> str:
        return (
            "Broker(keeps duplicates)" if self.mutant == "no-dedup" else "Broker(drops duplicates)"
        )


# == the service, the relay and the client ======================================================
class OrderService(Node[tuple[tuple[int, str], ...]]):
    """Places an order: commits it and publishes its event, in the way ``mode`` says.

    The state maps each order in progress to the client that asked (volatile: lost in a
    crash).

    - ``"db-first"``: commit; when the database answers that this commit wrote it,
      publish; an order already committed is not published again (it may have been);
    - ``"publish-first"``: publish; when the broker has it, commit;
    - ``"outbox"``: commit the order and its outbox entry in one transaction; the ``Relay``
      publishes (mutant ``"second-transaction"``: the entry is written after the commit's
      answer, in a second transaction).

    Examples
    --------
    >>> OrderService("outbox")
    OrderService(outbox)
    """

    def __init__(self, mode: str, mutant: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"OrderService: mode={mode!r}; allowed: {', '.join(MODES)}")
        self.mode = mode
        self.mutant = check_mutant("OrderService", mutant, MUTANTS)

    def init(self, ctx: Context) -> tuple[tuple[int, str], ...]:
        return ()

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        if isinstance(msg, PlaceOrder):
            if self.mode == "publish-first":
                ctx.send("broker", Publish(msg.order))
            else:
                one_transaction = self.mode == "outbox" and self.mutant != "second-transaction"
                ctx.send("database", Commit(msg.order, outbox=one_transaction))
            return (*tuple(e for e in state if e[0] != msg.order), (msg.order, src))
        waiting = dict(state)
        if isinstance(msg, Published) and self.mode == "publish-first" and msg.event in waiting:
            ctx.send("database", Commit(msg.event))
            return state
        if isinstance(msg, Committed) and msg.order in waiting:
            if msg.fresh and self.mode == "db-first":
                ctx.send("broker", Publish(msg.order))
            if msg.fresh and self.mode == "outbox" and self.mutant == "second-transaction":
                ctx.send("database", WriteOutbox(msg.order))  # mutant: a second transaction
            ctx.send(waiting[msg.order], OrderPlaced(msg.order, msg.ok))
            return tuple(e for e in state if e[0] != msg.order)
        return state

    def __repr__(self) -> str:
        return f"OrderService({self.mode})"


class Relay(Node[tuple[int, ...]]):
    """Every ``poll`` time units, reads the outbox and publishes what is not in flight;
    deletes an entry (``MarkSent``) once the broker has acknowledged it.

    The state is the events in flight (volatile). Mutant ``"mark-before-publish"``:
    deletes the entry first and publishes when the database confirms.

    Examples
    --------
    >>> Relay(poll=1.0)
    Relay(every 1.0)
    """

    def __init__(self, poll: float = 1.0, mutant: str | None = None) -> None:
        if not (isinstance(poll, (int, float)) and poll > 0):
            raise ValueError(f"Relay: poll={poll!r} must be a number > 0")
        self.poll = float(poll)
        check_mutant("Relay", mutant, MUTANTS)
        self.mutant = mutant if mutant == "mark-before-publish" else None

    def init(self, ctx: Context) -> tuple[int, ...]:
        ctx.set_timer("poll", self.poll)
        return ()

    def on_timer(self, ctx: Context, state: tuple[int, ...], timer: Any) -> tuple[int, ...]:
        ctx.send("database", ReadOutbox())
        ctx.set_timer("poll", self.poll)
        return state

    def on_message(self, ctx: Context, state: tuple[int, ...], src: str, msg: Any) -> Any:
        if isinstance(msg, OutboxBatch):
            new = tuple(e for e in msg.events if e not in state)
            for event in new:
                if self.mutant == "mark-before-publish":  # mutant: deletes it first
                    ctx.send("database", MarkSent(event))
                else:
                    ctx.send("broker", Publish(event))
            return (*state, *new)
        first, then = (Marked, Published) if self.mutant else (Published, Marked)
        if isinstance(msg, first) and msg.event in state:
            if isinstance(msg, Published):
                ctx.send("database", MarkSent(msg.event))
            else:
                ctx.send("broker", Publish(msg.event))
        if isinstance(msg, then):
            return tuple(e for e in state if e != msg.event)
        return state

    def __repr__(self) -> str:
        return f"Relay(every {self.poll})"


class OrderClient(Node[tuple[tuple[int, int], ...]]):
    """Places orders 1..``orders``, one every ``gap``; retries an order with no answer
    after ``timeout``, up to ``attempts`` attempts in all. The state maps each order to
    its attempts so far (0 once answered).

    Examples
    --------
    >>> OrderClient(orders=5)
    OrderClient(5 orders, 3 attempts)
    """

    def __init__(
        self, orders: int, gap: float = 0.5, timeout: float = 4.0, attempts: int = 3
    ) -> None:
        if not (isinstance(orders, int) and orders >= 0):
            raise ValueError(f"OrderClient: orders={orders!r} must be an int >= 0")
        if not (isinstance(attempts, int) and attempts >= 1):
            raise ValueError(f"OrderClient: attempts={attempts!r} must be an int >= 1")
        self.orders, self.gap, self.timeout, self.attempts = orders, gap, timeout, attempts

    def init(self, ctx: Context) -> tuple[tuple[int, int], ...]:
        for order in range(1, self.orders + 1):
            ctx.set_timer(order, order * self.gap)
        return ()

    def on_timer(self, ctx: Context, state: Any, timer: Any) -> Any:
        tries = dict(state).get(timer, 0)
        if (timer in dict(state) and tries == 0) or tries >= self.attempts:
            return state  # answered, or out of attempts
        ctx.send("service", PlaceOrder(timer))
        ctx.set_timer(timer, self.timeout)
        return (*tuple(e for e in state if e[0] != timer), (timer, tries + 1))

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        if isinstance(msg, OrderPlaced):
            ctx.cancel_timer(msg.order)
            return (*tuple(e for e in state if e[0] != msg.order), (msg.order, 0))
        return state

    def __repr__(self) -> str:
        return f"OrderClient({self.orders} orders, {self.attempts} attempts)"


# == the checker ================================================================================
def publication_problems(
    committed: Sequence[int], published: Sequence[int]
) -> list[tuple[str, int]]:
    """What is wrong with the events ``published`` for the changes ``committed``.

    ``("lost", e)`` for a committed change never published, ``("duplicated", e)`` for one
    published more than once (listed once), ``("invented", e)`` for an event whose change
    never committed (listed once, however often published). Sorted; empty when every
    committed change was published exactly once and no event lacks its commit.

    Examples
    --------
    >>> publication_problems([1, 2], [2, 1])
    []
    >>> publication_problems([1, 2], [1, 1, 5, 5])
    [('duplicated', 1), ('invented', 5), ('lost', 2)]
    """
    counts = Counter(published)
    done = set(committed)
    problems = {("lost", e) for e in done if counts[e] == 0}
    problems |= {("duplicated", e) for e, n in counts.items() if n > 1 and e in done}
    problems |= {("invented", e) for e in counts if e not in done}
    return sorted(problems)


# == one run ====================================================================================
def _crashes(seed: int, until: float, every: float, down: float) -> list[tuple[float, Any]]:
    """Crash the service or the relay about every ``every`` time units, for ``down``."""
    rng = random.Random(f"{seed}:outbox-crashes")
    schedule: list[tuple[float, Any]] = []
    t = rng.uniform(0, every)
    while t < until:
        node = rng.choice(["relay", "service"])
        schedule += [(round(t, 6), Crash(node)), (round(t + down, 6), Restart(node))]
        t += down + rng.expovariate(1.0 / every)
    return schedule


def outbox_run(
    mode: str,
    orders: int = 40,
    crash_every: float = 4.0,
    seed: int = 0,
    mutant: str | None = None,
) -> dict[str, Any]:
    """Place ``orders`` orders while the service and the relay crash (one of them about
    every ``crash_every`` time units, down for 1); check what the broker holds against
    what the database committed.

    Returns
    -------
    dict
        ``mode``, ``committed`` (orders), ``published`` (events in the broker),
        ``lost``, ``duplicated``, ``invented`` (counts of events, from
        ``publication_problems``), ``crashes``, and ``problems`` (the list).

    Examples
    --------
    >>> r = outbox_run("db-first", orders=40, seed=0)
    >>> r["lost"] > 0, r["invented"]
    (True, 0)
    """
    if mode not in MODES:
        raise ValueError(f"outbox_run: mode={mode!r}; allowed: {', '.join(MODES)}")
    check_mutant("outbox_run", mutant, MUTANTS)
    if mutant is not None and mode != "outbox":
        raise ValueError(f"outbox_run: mutant={mutant!r} breaks the outbox; use mode='outbox'")
    span = orders * 0.5
    schedule = _crashes(seed, span, crash_every, 1.0) if crash_every else []
    nodes: dict[str, Node[Any]] = {
        "client": OrderClient(orders),
        "service": OrderService(mode, mutant=mutant),
        "database": Database(),
        "broker": Broker(mutant=mutant),
    }
    if mode == "outbox":
        nodes["relay"] = Relay(mutant=mutant)
    else:
        schedule = [(t, f) for t, f in schedule if f.node == "service"]
    sim = Simulation(
        System(nodes),
        seed=seed,
        network=Network(uniform(0.2, 1.0)),
        nemesis=Nemesis(schedule) if schedule else None,
    )
    sim.run(until=span + 40.0)
    db: DatabaseState = sim.states["database"]
    log: tuple[int, ...] = sim.states["broker"]
    problems = publication_problems(db.rows, log)
    kinds = Counter(kind for kind, _e in problems)
    return {
        "mode": mode,
        "committed": len(db.rows),
        "published": len(log),
        "lost": kinds["lost"],
        "duplicated": kinds["duplicated"],
        "invented": kinds["invented"],
        "crashes": sum(isinstance(f, Crash) for _t, f in schedule),
        "problems": problems,
    }


# == checks and mutants =========================================================================
_SEEDS = range(4)


def _check(kind: str) -> Callable[[str | None], Outcome]:
    def check(mutant: str | None) -> Outcome:
        caught = [s for s in _SEEDS if outbox_run("outbox", seed=s, mutant=mutant)[kind]]
        detail = f"{kind} in {len(caught)} of {len(_SEEDS)} seeds" if caught else ""
        return Outcome(not caught, None, detail)

    check.__name__ = f"check_nothing_{kind}"
    check.__doc__ = f"Over {len(_SEEDS)} seeds with crashes, no event is {kind}."
    return check


OUTBOX_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "nothing lost": _check("lost"),
    "nothing duplicated": _check("duplicated"),
    "nothing invented": _check("invented"),
}
"""Named checks: each runs the outbox on four seeds with crashes (``None`` = correct)."""

OUTBOX_MUTANTS: list[Mutant[str | None]] = [
    Mutant(
        "second-transaction",
        MUTANTS["second-transaction"],
        lambda: "second-transaction",
        ("nothing lost",),
    ),
    Mutant(
        "mark-before-publish",
        MUTANTS["mark-before-publish"],
        lambda: "mark-before-publish",
        ("nothing lost",),
    ),
    Mutant("no-dedup", MUTANTS["no-dedup"], lambda: "no-dedup", ("nothing duplicated",)),
]
"""The mutants, for ``run_mutants(lambda: None, OUTBOX_MUTANTS, OUTBOX_CHECKS)``."""
