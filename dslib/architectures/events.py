"""Event-driven: publish/subscribe with at-least-once delivery, and event sourcing.

In an event-driven system services do not call each other: they *publish
events* ("an order was placed") to a broker, and whoever is interested
*subscribes*. Publishers do not know their consumers, and a consumer that is
down catches up later: the broker keeps the events until they are
acknowledged.

- ``Broker``: topics, subscriptions, and **at-least-once** delivery: every
  event is delivered to every subscriber of its topic and *redelivered* until
  the subscriber acknowledges it. Redelivery means duplicates, so consumers
  must be **idempotent**: ``Subscriber`` remembers the event ids it has
  processed, in the same step (and the same durable write) as the effect;
- ``Publisher``: publishes with retries; the broker deduplicates by event id;
- **Event sourcing**: the state of an account is not stored but *derived*
  from its log of events (``rebuild``); a ``Projection`` is a read model that
  another node builds from the same events, in order, by sequence number.

``PUBSUB_MUTANTS`` and ``PUBSUB_CHECKS`` show the checks catching a broker
that delivers at most once, a consumer that is not idempotent, and one that
acknowledges before it processes.

Examples
--------
>>> from dslib import Simulation
>>> sim = Simulation(pubsub_system(events=5), seed=1, network=Network(loss=0.3)).run(until=500)
>>> sim.states["s1"].total, sim.states["s1"].applications
(15, 5)
>>> rebuild([Opened("a"), Deposited("a", 10), Withdrawn("a", 4)])
{'a': 6}
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.nemesis import Crash, Nemesis, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "PUBSUB_CHECKS",
    "PUBSUB_MUTANTS",
    "Ack",
    "AckFirstSubscriber",
    "AtMostOnceBroker",
    "Broker",
    "BrokerState",
    "Deliver",
    "Deposited",
    "EventStore",
    "EventStoreState",
    "NonIdempotentSubscriber",
    "Opened",
    "Projection",
    "ProjectionState",
    "Publish",
    "PublishAck",
    "Publisher",
    "Subscriber",
    "SubscriberState",
    "Withdrawn",
    "apply_event",
    "decide",
    "event_sourcing_experiment",
    "pubsub_experiment",
    "pubsub_system",
    "rebuild",
]


# == publish/subscribe =======================================================================
@dataclass(frozen=True)
class Publish:
    """Publish event ``event_id`` with ``payload`` on ``topic``."""

    topic: str
    event_id: str
    payload: Any = None


@dataclass(frozen=True)
class PublishAck:
    """The broker has stored event ``event_id``."""

    event_id: str


@dataclass(frozen=True)
class Deliver:
    """The broker delivers the event at ``offset`` of ``topic``."""

    topic: str
    offset: int
    event_id: str
    payload: Any = None


@dataclass(frozen=True)
class Ack:
    """The subscriber has processed the event at ``offset`` of ``topic``."""

    topic: str
    offset: int


@dataclass(frozen=True)
class BrokerState:
    """Each topic's log of ``(event_id, payload)``, and the deliveries not yet acknowledged:
    ``(subscriber, topic, offset)``."""

    logs: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    pending: frozenset[tuple[str, str, int]] = frozenset()

    def log(self, topic: str) -> tuple[tuple[str, Any], ...]:
        """The events of ``topic``, in order."""
        return dict(self.logs).get(topic, ())


class Broker(Node[BrokerState]):
    """A publish/subscribe broker with at-least-once delivery.

    ``subscriptions`` maps each subscriber to its topics. An event published
    on a topic is appended to the topic's log (once per event id) and
    delivered to each subscriber of the topic; every ``redeliver_after`` the
    broker delivers again every event not yet acknowledged.

    Examples
    --------
    >>> Broker({"s1": ["orders"], "s2": ["orders", "payments"]})
    Broker(orders -> s1, s2; payments -> s2)
    """

    def __init__(
        self, subscriptions: Mapping[str, Sequence[str]], redeliver_after: float = 5.0
    ) -> None:
        if not isinstance(subscriptions, Mapping):
            raise TypeError("Broker: subscriptions must map each subscriber to a list of topics")
        if not (isinstance(redeliver_after, (int, float)) and redeliver_after > 0):
            raise ValueError(f"Broker: redeliver_after={redeliver_after!r} must be > 0")
        self.subscriptions = {s: tuple(sorted(t)) for s, t in subscriptions.items()}
        self.redeliver_after = float(redeliver_after)

    def subscribers(self, topic: str) -> list[str]:
        """The subscribers of ``topic``, sorted."""
        return sorted(s for s, topics in self.subscriptions.items() if topic in topics)

    def init(self, ctx: Context) -> BrokerState:
        ctx.set_timer("redeliver", self.redeliver_after)
        return BrokerState()

    def _deliver(self, ctx: Context, state: BrokerState, sub: str, topic: str, offset: int) -> None:
        event_id, payload = state.log(topic)[offset]
        ctx.send(sub, Deliver(topic, offset, event_id, payload))

    def on_message(self, ctx: Context, state: BrokerState, src: str, msg: Any) -> BrokerState:
        if isinstance(msg, Publish):
            ctx.send(src, PublishAck(msg.event_id))
            log = state.log(msg.topic)
            if any(e == msg.event_id for e, _ in log):
                return state  # a retried publish: stored already
            offset = len(log)
            logs = dict(state.logs)
            logs[msg.topic] = (*log, (msg.event_id, msg.payload))
            state = replace(state, logs=tuple(sorted(logs.items())))
            pending = set(state.pending)
            for sub in self.subscribers(msg.topic):
                self._deliver(ctx, state, sub, msg.topic, offset)
                pending.add((sub, msg.topic, offset))
            return replace(state, pending=frozenset(pending))
        if isinstance(msg, Ack):
            key = (src, msg.topic, msg.offset)
            if key in state.pending:
                return replace(state, pending=state.pending - {key})
        return state

    def on_timer(self, ctx: Context, state: BrokerState, timer: Any) -> BrokerState:
        ctx.set_timer("redeliver", self.redeliver_after)
        for sub, topic, offset in sorted(state.pending):
            self._deliver(ctx, state, sub, topic, offset)
        return state

    def __repr__(self) -> str:
        topics = sorted({t for ts in self.subscriptions.values() for t in ts})
        return (
            "Broker(" + "; ".join(f"{t} -> {', '.join(self.subscribers(t))}" for t in topics) + ")"
        )


@dataclass(frozen=True)
class SubscriberState:
    """The event ids processed, the effect (a running total of payloads), and how many
    times an event was applied (for the checks)."""

    processed: frozenset[str] = frozenset()
    total: int = 0
    applications: int = 0
    first_seen: tuple[tuple[str, float], ...] = ()


class Subscriber(Node[SubscriberState]):
    """An idempotent consumer: applies each event id once, acknowledges every delivery.

    The effect (adding the payload to ``total``), the record that the event
    was processed, and the durable write of both happen in one handler,
    before the acknowledgement: a crash can lose neither one without the
    other, and an event acknowledged is an event processed.

    Examples
    --------
    >>> from dslib import Context
    >>> sub, ctx = Subscriber(), Context("s", ("b", "s"))
    >>> s = sub.on_message(ctx, SubscriberState(), "b", Deliver("t", 0, "e1", 5))
    >>> s = sub.on_message(ctx, s, "b", Deliver("t", 0, "e1", 5))
    >>> s.total, s.applications, len(ctx.sent)
    (5, 1, 2)
    """

    def init(self, ctx: Context) -> SubscriberState:
        return SubscriberState()

    def on_recover(self, ctx: Context, durable: Any) -> SubscriberState:
        return SubscriberState() if durable is NOTHING_PERSISTED else durable

    def _apply(self, ctx: Context, state: SubscriberState, msg: Deliver) -> SubscriberState:
        return replace(
            state,
            processed=state.processed | {msg.event_id},
            total=state.total + (msg.payload or 0),
            applications=state.applications + 1,
            first_seen=(*state.first_seen, (msg.event_id, ctx.now)),
        )

    def on_message(
        self, ctx: Context, state: SubscriberState, src: str, msg: Any
    ) -> SubscriberState:
        if not isinstance(msg, Deliver):
            return state
        if msg.event_id not in state.processed:
            state = self._apply(ctx, state, msg)
            ctx.persist(state)
        ctx.send(src, Ack(msg.topic, msg.offset))
        return state


class Publisher(Node[tuple[int, int]]):
    """Publishes ``events`` (``(topic, payload)`` pairs) one after the other, every ``gap``,
    each retried every ``retry`` until the broker acknowledges it.

    The state is ``(next event, events acknowledged)``; event ids are
    ``"<publisher>-<n>"``.

    Examples
    --------
    >>> Publisher("broker", [("orders", 1), ("orders", 2)])
    Publisher(2 events)
    """

    def __init__(
        self,
        broker: str,
        events: Sequence[tuple[str, Any]],
        gap: float = 1.0,
        retry: float = 4.0,
    ) -> None:
        self.broker, self.events = broker, tuple(events)
        self.gap, self.retry = float(gap), float(retry)

    def init(self, ctx: Context) -> tuple[int, int]:
        if self.events:
            ctx.set_timer("publish", 0.0)
        return (0, 0)

    def _publish(self, ctx: Context, i: int) -> None:
        topic, payload = self.events[i]
        ctx.send(self.broker, Publish(topic, f"{ctx.id}-{i}", payload))
        ctx.set_timer("retry", self.retry)

    def on_timer(self, ctx: Context, state: tuple[int, int], timer: Any) -> tuple[int, int]:
        if state[0] < len(self.events):
            self._publish(ctx, state[0])
        return state

    def on_message(
        self, ctx: Context, state: tuple[int, int], src: str, msg: Any
    ) -> tuple[int, int]:
        if not isinstance(msg, PublishAck) or msg.event_id != f"{ctx.id}-{state[0]}":
            return state
        ctx.cancel_timer("retry")
        nxt = state[0] + 1
        if nxt < len(self.events):
            ctx.set_timer("publish", self.gap)
        return (nxt, state[1] + 1)

    def __repr__(self) -> str:
        return f"Publisher({len(self.events)} events)"


# -- mutants ---------------------------------------------------------------------------------
class AtMostOnceBroker(Broker):
    """Bug: delivers each event once and forgets it: a lost delivery is never repaired."""

    def on_timer(self, ctx: Context, state: BrokerState, timer: Any) -> BrokerState:
        ctx.set_timer("redeliver", self.redeliver_after)
        return replace(state, pending=frozenset())


class NonIdempotentSubscriber(Subscriber):
    """Bug: applies every delivery, redeliveries and duplicates included."""

    def on_message(
        self, ctx: Context, state: SubscriberState, src: str, msg: Any
    ) -> SubscriberState:
        if not isinstance(msg, Deliver):
            return state
        state = self._apply(ctx, state, msg)
        ctx.persist(state)
        ctx.send(src, Ack(msg.topic, msg.offset))
        return state


class AckFirstSubscriber(Subscriber):
    """Bug: acknowledges at once and processes a moment later; a crash in between loses
    an event that the broker will never deliver again."""

    def on_message(
        self, ctx: Context, state: SubscriberState, src: str, msg: Any
    ) -> SubscriberState:
        if not isinstance(msg, Deliver):
            return state
        ctx.send(src, Ack(msg.topic, msg.offset))
        if msg.event_id not in state.processed:
            ctx.set_timer(("process", msg.event_id, msg.payload, msg.topic, msg.offset), 2.0)
        return state

    def on_timer(self, ctx: Context, state: SubscriberState, timer: Any) -> SubscriberState:
        _, event_id, payload, topic, offset = timer
        if event_id in state.processed:
            return state
        state = self._apply(ctx, state, Deliver(topic, offset, event_id, payload))
        ctx.persist(state)
        return state


def pubsub_system(
    events: int = 10,
    subscribers: int = 2,
    broker: type[Broker] = Broker,
    subscriber: type[Subscriber] = Subscriber,
    gap: float = 1.0,
) -> System:
    """A publisher of ``events`` on topic ``orders`` (payloads 1, 2, ...), a broker and
    ``subscribers`` subscribers ``s1``, ``s2``, ...

    Examples
    --------
    >>> pubsub_system(3).ids
    ('broker', 'publisher', 's1', 's2')
    """
    subs = [f"s{i + 1}" for i in range(subscribers)]
    nodes: dict[str, Node[Any]] = {
        "publisher": Publisher("broker", [("orders", i + 1) for i in range(events)], gap=gap),
        "broker": broker({s: ["orders"] for s in subs}),
    }
    for s in subs:
        nodes[s] = subscriber()
    return System(nodes)


def pubsub_experiment(
    loss: float = 0.1,
    events: int = 50,
    crash: bool = False,
    seed: int = 0,
    broker: type[Broker] = Broker,
    subscriber: type[Subscriber] = Subscriber,
) -> dict[str, Any]:
    """Publish ``events`` to two subscribers over a lossy, duplicating network.

    With ``crash``, subscriber ``s1`` crashes at time 10 and restarts at 30.

    Returns
    -------
    dict
        ``published`` (acknowledged to the publisher), per subscriber
        ``processed`` (distinct events), ``applied`` (applications, so
        duplicates show) and ``mean delay`` (from an event's first publication
        to its first processing there), and ``deliveries`` (messages from the
        broker to subscribers).

    Examples
    --------
    >>> r = pubsub_experiment(loss=0.2, events=20, seed=1)
    >>> r["s1 processed"], r["s1 applied"]
    (20, 20)
    """
    network = Network(latency=uniform(0.5, 1.5), loss=loss, duplication=loss / 2)
    nemesis = Nemesis([(10.0, Crash("s1")), (30.0, Restart("s1"))]) if crash else None
    system = pubsub_system(events, 2, broker, subscriber)
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis).run(
        until=events * 20.0 + 200
    )
    published_at: dict[str, float] = {}
    for e in sim.trace.of_kind("send"):
        if e.node == "publisher" and isinstance(e.data, Publish):
            published_at.setdefault(e.data.event_id, e.time)
    out: dict[str, Any] = {"published": sim.states["publisher"][1]}
    for s in ("s1", "s2"):
        st = sim.states[s]
        out[f"{s} processed"] = len(st.processed)
        out[f"{s} applied"] = st.applications
        delays = [t - published_at[e] for e, t in st.first_seen if e in published_at]
        out[f"{s} mean delay"] = round(statistics.fmean(delays), 2) if delays else float("nan")
    out["deliveries"] = sum(
        1 for e in sim.trace.of_kind("send") if e.node == "broker" and isinstance(e.data, Deliver)
    )
    return out


# -- the checks ------------------------------------------------------------------------------
PubSubVariant = tuple[type[Broker], type[Subscriber]]


def check_every_event_processed(variant: PubSubVariant) -> Outcome:
    """Seeded sweep (loss, duplication, a subscriber crash): every event the broker
    acknowledged is processed by every subscriber."""
    broker, subscriber = variant
    for seed in range(6):
        r = pubsub_experiment(0.2, 12, crash=True, seed=seed, broker=broker, subscriber=subscriber)
        if r["s1 processed"] < r["published"] or r["s2 processed"] < r["published"]:
            return Outcome(False, detail=f"seed {seed}: events lost: {r}")
    return Outcome(True)


def check_effect_once(variant: PubSubVariant) -> Outcome:
    """Seeded sweep: no subscriber applies an event twice."""
    broker, subscriber = variant
    for seed in range(6):
        r = pubsub_experiment(0.2, 12, crash=True, seed=seed, broker=broker, subscriber=subscriber)
        for s in ("s1", "s2"):
            if r[f"{s} applied"] > r[f"{s} processed"]:
                return Outcome(False, detail=f"seed {seed}: {s} applied twice")
    return Outcome(True)


def check_pubsub_model(variant: PubSubVariant) -> Any:
    """Model checking: two events, one subscriber, a duplicating network: never an event
    applied twice."""
    from dslib.check import ActorModel, check

    broker, subscriber = variant
    system = pubsub_system(2, 1, broker, subscriber)
    return check(
        ActorModel(system, duplicating=True),
        invariants={
            "applied once": lambda s: s.node("s1").applications <= len(s.node("s1").processed)
        },
        max_states=100_000,
    )


PUBSUB_CHECKS: dict[str, Callable[[PubSubVariant], Any]] = {
    "sweep: every event processed": check_every_event_processed,
    "sweep: effect once": check_effect_once,
    "model checker": check_pubsub_model,
}
"""The checks of publish/subscribe; each takes ``(broker class, subscriber class)``."""

PUBSUB_MUTANTS: list[Mutant[PubSubVariant]] = [
    Mutant(
        "at-most-once",
        "the broker never redelivers",
        lambda: (AtMostOnceBroker, Subscriber),
        ("sweep: every event processed",),
    ),
    Mutant(
        "non-idempotent",
        "the subscriber applies duplicates",
        lambda: (Broker, NonIdempotentSubscriber),
        ("sweep: effect once", "model checker"),
    ),
    Mutant(
        "ack-before-processing",
        "the subscriber acknowledges, then processes",
        lambda: (Broker, AckFirstSubscriber),
        ("sweep: every event processed",),
    ),
]
"""Deliberately broken publish/subscribe, with the checks that must catch them."""


# == event sourcing ===========================================================================
@dataclass(frozen=True)
class Opened:
    """Account ``account`` was opened."""

    account: str


@dataclass(frozen=True)
class Deposited:
    """``amount`` was deposited into ``account``."""

    account: str
    amount: int


@dataclass(frozen=True)
class Withdrawn:
    """``amount`` was withdrawn from ``account``."""

    account: str
    amount: int


AccountEvent = Opened | Deposited | Withdrawn


def apply_event(balances: Mapping[str, int], event: AccountEvent) -> dict[str, int]:
    """The balances after one event (a new dict; the input is left alone).

    >>> apply_event({"a": 5}, Deposited("a", 3))
    {'a': 8}
    """
    out = dict(balances)
    if isinstance(event, Opened):
        out.setdefault(event.account, 0)
    elif isinstance(event, Deposited):
        out[event.account] = out[event.account] + event.amount
    elif isinstance(event, Withdrawn):
        out[event.account] = out[event.account] - event.amount
    else:
        raise TypeError(f"apply_event: {event!r} is not an account event")
    return out


def rebuild(events: Sequence[AccountEvent]) -> dict[str, int]:
    """The state, derived from the log: fold ``apply_event`` over ``events`` from empty.

    >>> rebuild([Opened("a"), Opened("b"), Deposited("b", 7)])
    {'a': 0, 'b': 7}
    """
    balances: dict[str, int] = {}
    for e in events:
        balances = apply_event(balances, e)
    return balances


def decide(balances: Mapping[str, int], command: tuple[str, str, int]) -> list[AccountEvent]:
    """The events a command produces, or ``ValueError`` if the state does not allow it.

    Commands are ``("open", account, 0)``, ``("deposit", account, amount)``,
    ``("withdraw", account, amount)``. Deciding reads the state; only events change it.

    >>> decide({"a": 5}, ("withdraw", "a", 3))
    [Withdrawn(account='a', amount=3)]
    >>> decide({"a": 5}, ("withdraw", "a", 9))
    Traceback (most recent call last):
    ...
    ValueError: insufficient funds: a has 5, cannot withdraw 9
    """
    kind, account, amount = command
    if kind == "open":
        if account in balances:
            raise ValueError(f"account {account} exists")
        return [Opened(account)]
    if account not in balances:
        raise ValueError(f"no account {account}")
    if kind == "deposit":
        return [Deposited(account, amount)]
    if kind == "withdraw":
        if balances[account] < amount:
            raise ValueError(
                f"insufficient funds: {account} has {balances[account]}, cannot withdraw {amount}"
            )
        return [Withdrawn(account, amount)]
    raise ValueError(f"unknown command {kind!r}; allowed: open, deposit, withdraw")


@dataclass(frozen=True)
class EventStoreState:
    """The log (the only state that is stored), and the projections' acknowledged positions."""

    log: tuple[AccountEvent, ...] = ()
    acked: tuple[tuple[str, int], ...] = ()
    rejected: int = 0


@dataclass(frozen=True)
class Appended:
    """Event number ``seq`` (from 1) of the log, sent to projections."""

    seq: int
    event: Any


@dataclass(frozen=True)
class Caught:
    """A projection has applied every event up to ``seq``."""

    seq: int


class EventStore(Node[EventStoreState]):
    """The command side: decides each command against the state rebuilt from its log,
    appends the events, and pushes them to ``projections`` until acknowledged.

    Commands arrive as ``dslib.sim.Request(f=kind, key=account, value=amount)``.

    Examples
    --------
    >>> EventStore(["balances"])
    EventStore(-> balances)
    """

    def __init__(self, projections: Sequence[str], resend: float = 5.0) -> None:
        self.projections = tuple(projections)
        self.resend = float(resend)

    def init(self, ctx: Context) -> EventStoreState:
        ctx.set_timer("resend", self.resend)
        return EventStoreState(acked=tuple((p, 0) for p in self.projections))

    def on_message(
        self, ctx: Context, state: EventStoreState, src: str, msg: Any
    ) -> EventStoreState:
        from dslib.sim.clients import Reply, Request

        if isinstance(msg, Caught):
            acked = tuple((p, max(n, msg.seq) if p == src else n) for p, n in state.acked)
            return replace(state, acked=acked)
        if not isinstance(msg, Request):
            return state
        try:
            events = decide(rebuild(state.log), (msg.f, str(msg.key), msg.value))
        except ValueError as exc:
            ctx.send(src, Reply(msg.request_id, False, str(exc)))
            return replace(state, rejected=state.rejected + 1)
        start = len(state.log)
        log = (*state.log, *events)
        for p in self.projections:
            for i, e in enumerate(events):
                ctx.send(p, Appended(start + i + 1, e))
        ctx.send(src, Reply(msg.request_id, True, len(log)))
        return replace(state, log=log)

    def on_timer(self, ctx: Context, state: EventStoreState, timer: Any) -> EventStoreState:
        ctx.set_timer("resend", self.resend)
        for p, n in state.acked:
            for seq in range(n + 1, min(len(state.log), n + 20) + 1):
                ctx.send(p, Appended(seq, state.log[seq - 1]))
        return state

    def __repr__(self) -> str:
        return f"EventStore(-> {', '.join(self.projections)})"


@dataclass(frozen=True)
class ProjectionState:
    """A read model: balances and the number of transactions per account, up to ``seq``,
    and when each event was applied."""

    seq: int = 0
    balances: tuple[tuple[str, int], ...] = ()
    transactions: tuple[tuple[str, int], ...] = ()
    applied_at: tuple[float, ...] = ()


class Projection(Node[ProjectionState]):
    """Builds a read model from the event store's events, strictly in sequence order.

    An event whose ``seq`` is not the next one is ignored (a duplicate, or one
    that overtook a lost predecessor, which the store will resend); every
    ``Appended`` is answered with ``Caught(seq)``.

    Examples
    --------
    >>> from dslib import Context
    >>> p, ctx = Projection(), Context("p", ("p", "store"))
    >>> s = p.on_message(ctx, ProjectionState(), "store", Appended(1, Opened("a")))
    >>> s = p.on_message(ctx, s, "store", Appended(3, Deposited("a", 4)))  # out of order
    >>> s.seq, s.balances
    (1, (('a', 0),))
    """

    def init(self, ctx: Context) -> ProjectionState:
        return ProjectionState()

    def on_message(
        self, ctx: Context, state: ProjectionState, src: str, msg: Any
    ) -> ProjectionState:
        if not isinstance(msg, Appended):
            return state
        if msg.seq == state.seq + 1:
            e = msg.event
            balances = apply_event(dict(state.balances), e)
            tx = dict(state.transactions)
            if not isinstance(e, Opened):
                tx[e.account] = tx.get(e.account, 0) + 1
            state = ProjectionState(
                msg.seq,
                tuple(sorted(balances.items())),
                tuple(sorted(tx.items())),
                (*state.applied_at, ctx.now),
            )
        ctx.send(src, Caught(state.seq))
        return state


def event_sourcing_experiment(
    commands: int = 60, loss: float = 0.1, seed: int = 0
) -> dict[str, Any]:
    """A client sends account commands to an event store, which feeds a projection.

    Returns
    -------
    dict
        ``log`` (the events), ``state`` (rebuilt from the log), ``projection``
        (the read model's balances), ``lag`` (mean time from append to
        projection, per event), ``max lag``, ``rejected`` (commands refused) and ``lost
        commands`` (never executed: the client does not retry, so a command the network
        lost is gone; each command executed appends one event or is refused).

    Examples
    --------
    >>> r = event_sourcing_experiment(commands=30, seed=2)
    >>> r["projection"] == r["state"]
    True
    """
    from dslib.sim.clients import Client

    rng_ops = []
    accounts = ["alice", "bob", "carol"]
    for a in accounts:
        rng_ops.append(("open", a, 0))
    for i in range(commands):
        a = accounts[(i * 7 + seed) % 3]
        kind = "deposit" if (i * 5 + seed) % 3 else "withdraw"
        rng_ops.append((kind, a, 1 + (i * 11 + seed) % 9))
    client = Client(["store"], rng_ops, timeout=10.0, retries=0)
    system = System({"client": client, "store": EventStore(["balances"]), "balances": Projection()})
    sim = Simulation(system, seed=seed, network=Network(uniform(0.5, 1.5), loss=loss))
    sim.run(until=commands * 30.0 + 200)
    store: EventStoreState = sim.states["store"]
    proj: ProjectionState = sim.states["balances"]
    first_send: dict[int, float] = {}
    for e in sim.trace.of_kind("send"):
        if e.node == "store" and isinstance(e.data, Appended):
            first_send.setdefault(e.data.seq, e.time)
    lags = [t - first_send[i + 1] for i, t in enumerate(proj.applied_at)]
    return {
        "log": store.log,
        "state": rebuild(store.log),
        "projection": dict(proj.balances),
        "lag": round(statistics.fmean(lags), 2) if lags else float("nan"),
        "max lag": round(max(lags), 2) if lags else float("nan"),
        "rejected": store.rejected,
        "lost commands": len(rng_ops) - len(store.log) - store.rejected,
    }
