"""Reliable broadcast in three orders: FIFO, causal and total (chapter 2.4).

A *broadcast* sends one message to every process of a group, the sender included. What a
broadcast algorithm promises is the **order** in which each process *delivers* (hands to
its application) the messages it receives. The network delivers them in any order; an
algorithm holds a message back in a buffer until its order allows it. Following Hadzilacos
and Toueg, "A Modular Approach to Fault-Tolerant Broadcasts and Related Problems" (1994),
section 2 ("Broadcast specifications"), and Défago, Schiper and Urbán, "Total Order
Broadcast and Multicast Algorithms: Taxonomy and Survey" (ACM Computing Surveys 36(4),
2004), section 2:

- **FIFO order**: if a process broadcasts ``m`` before ``m'``, no process delivers ``m'``
  unless it has already delivered ``m``;
- **causal order**: if the broadcast of ``m`` happened before the broadcast of ``m'``
  (Lamport's relation, chapter 2.2), no process delivers ``m'`` unless it has already
  delivered ``m``; this includes FIFO order;
- **total order**: any two processes that both deliver ``m`` and ``m'`` deliver them in the
  same order. Total order does not include FIFO order, nor FIFO total order.

``BroadcastProcess`` implements each on the simulator (the network may reorder messages):

- ``"fifo"``: each message carries its sender's sequence number; a receiver delivers the
  messages of each sender in sequence order;
- ``"causal"``: each message carries a vector of how many messages of each process its
  sender had delivered when it broadcast it (Birman, Schiper and Stephenson, "Lightweight
  Causal and Atomic Group Multicast", ACM TOCS 9(3), 1991, section 4); a receiver waits
  until it has delivered as many (``causally_deliverable``);
- ``"total"``: a fixed sequencer numbers the messages, and every process delivers in number
  order (the "fixed sequencer" class of Défago et al., section 4.1);
- ``"unordered"``: deliver on arrival, for comparison.

``broadcast_history`` reads what every process did; ``fifo_order``, ``causal_order``,
``total_order`` and ``delivered_once`` check a history; ``MUTANTS`` are broken versions, one
per ordering rule, that ``broadcast_mutant_table`` shows each check catching.

Examples
--------
>>> sim = broadcast_run("causal", nodes=3, messages=2, seed=1)
>>> history = broadcast_history(sim)
>>> [kind[0] + ":" + f"{origin}.{seq}" for kind, (origin, seq) in history["p2"]][:4]
['b:p2.0', 'd:p2.0', 'd:p3.0', 'b:p2.1']
>>> causal_order(history).ok, delivered_once(history).ok
(True, True)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import (
    Outcome,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)
from dslib.sim.network import Latency, Network, as_latency, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "BROADCAST_CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "PROTOCOLS",
    "Broadcast",
    "BroadcastProcess",
    "BroadcastState",
    "Sequenced",
    "ToSequencer",
    "broadcast_catch_rate",
    "broadcast_history",
    "broadcast_mutant_table",
    "broadcast_run",
    "causal_order",
    "causally_deliverable",
    "delivered_once",
    "fifo_order",
    "total_order",
]

PROTOCOLS = ("unordered", "fifo", "causal", "total")
"""The delivery orders ``BroadcastProcess`` implements."""

MUTANTS: dict[str, str] = {
    "fifo_no_buffer": "FIFO broadcast delivers a message on arrival instead of holding it "
    "until its sender's earlier messages are delivered",
    "causal_no_wait": "causal broadcast delivers a message on arrival instead of waiting for "
    "the messages its vector depends on",
    "causal_sender_only": "causal broadcast waits for the sender's earlier messages only "
    "(FIFO), not for the other entries of the vector",
    "total_no_hold": "total-order broadcast delivers a numbered message on arrival instead of "
    "holding it until every lower number is delivered",
}
"""The broken versions of ``BroadcastProcess`` (``mutant=`` name -> what is wrong)."""

_MUTANT_PROTOCOL = {
    "fifo_no_buffer": "fifo",
    "causal_no_wait": "causal",
    "causal_sender_only": "causal",
    "total_no_hold": "total",
}

MessageId = tuple[str, int]
"""A broadcast message is named by its sender and the sender's sequence number (0, 1, ...)."""

History = Mapping[str, Sequence[tuple[str, MessageId]]]
"""What each process did, in order: ``("broadcast", id)`` or ``("deliver", id)``."""


# == messages and state ===========================================================================
@dataclass(frozen=True)
class Broadcast:
    """A broadcast message: its sender, the sender's sequence number, and (causal order only)
    the sender's delivered counts when it broadcast it, its own entry being ``seq``.

    Examples
    --------
    >>> Broadcast("p1", 0, (("p1", 0), ("p2", 1))).id
    ('p1', 0)
    """

    origin: str
    seq: int
    deps: tuple[tuple[str, int], ...] = ()

    @property
    def id(self) -> MessageId:
        """``(origin, seq)``."""
        return (self.origin, self.seq)


@dataclass(frozen=True)
class ToSequencer:
    """Total order: a process hands its message to the sequencer.

    >>> ToSequencer(Broadcast("p2", 0)).message.origin
    'p2'
    """

    message: Broadcast


@dataclass(frozen=True)
class Sequenced:
    """Total order: the sequencer's ``number``-th message, sent to every process.

    >>> Sequenced(0, Broadcast("p2", 0)).number
    0
    """

    number: int
    message: Broadcast


@dataclass(frozen=True)
class BroadcastState:
    """A process's broadcast state.

    Attributes
    ----------
    sent : int
        Messages it has broadcast.
    delivered : tuple of (str, int)
        How many messages of each process it has delivered (sorted by process).
    pending : tuple
        Received messages held back (``Broadcast`` or ``Sequenced``).
    next_number : int
        Total order: the next number to deliver (at the sequencer: also the next to assign).
    assigned : int
        Total order, at the sequencer: the numbers assigned so far.
    log : tuple of (str, (str, int))
        ``("broadcast", id)`` and ``("deliver", id)`` in the order they happened.

    Examples
    --------
    >>> BroadcastState().count("p1")
    0
    """

    sent: int = 0
    delivered: tuple[tuple[str, int], ...] = ()
    pending: tuple[Any, ...] = ()
    next_number: int = 0
    assigned: int = 0
    log: tuple[tuple[str, MessageId], ...] = ()

    def count(self, node: str) -> int:
        """How many messages of ``node`` this process has delivered."""
        return dict(self.delivered).get(node, 0)


def causally_deliverable(
    delivered: Mapping[str, int], origin: str, deps: Mapping[str, int]
) -> bool:
    """Whether a causal broadcast from ``origin`` carrying ``deps`` can be delivered now.

    ``deps[origin]`` is the message's sequence number (how many earlier messages its sender
    broadcast); ``deps[k]``, for another ``k``, how many of ``k``'s messages the sender had
    delivered when it broadcast. The receiver, which has delivered ``delivered[k]`` messages
    of each ``k``, may deliver it when it is the next message of ``origin`` and the receiver
    has delivered at least as many of every other process's messages (Birman, Schiper and
    Stephenson 1991, section 4). A missing entry counts as 0.

    Parameters
    ----------
    delivered : mapping of str to int
    origin : str
    deps : mapping of str to int

    Returns
    -------
    bool

    Examples
    --------
    >>> causally_deliverable({"p1": 1}, "p2", {"p1": 1, "p2": 0})
    True
    >>> causally_deliverable({}, "p2", {"p1": 1, "p2": 0})       # p1's first message first
    False
    >>> causally_deliverable({"p2": 1}, "p2", {"p2": 0})         # already delivered
    False
    """
    if deps.get(origin, 0) != delivered.get(origin, 0):
        return False
    return all(n <= delivered.get(k, 0) for k, n in deps.items() if k != origin)


# == the process =================================================================================
class BroadcastProcess(Node[BroadcastState]):
    """A process that broadcasts ``messages`` messages and delivers everyone's in one order.

    Parameters
    ----------
    protocol : {"unordered", "fifo", "causal", "total"}
    messages : int, default 3
        How many messages it broadcasts, one after each random wait.
    interval : (float, float), default (0.5, 4.0)
        The range of the wait before each broadcast.
    sequencer : str, default "p1"
        Total order: the process that numbers the messages.
    mutant : str or None, default None
        A broken version from ``MUTANTS`` (it must belong to ``protocol``), or ``None``.
    deliverable : callable, optional
        Causal order only: the delivery rule, called like ``causally_deliverable``
        (``deliverable(delivered, origin, deps)``, with dicts); default that function.

    Raises
    ------
    ValueError
        If ``protocol`` is unknown, ``messages`` is negative, ``interval`` is not a range,
        or ``mutant`` is unknown or belongs to another protocol.

    Examples
    --------
    >>> BroadcastProcess("fifo", mutant="total_no_hold")
    Traceback (most recent call last):
    ...
    ValueError: BroadcastProcess: mutant 'total_no_hold' breaks the 'total' protocol, not 'fifo'
    """

    def __init__(
        self,
        protocol: str,
        messages: int = 3,
        interval: tuple[float, float] = (0.5, 4.0),
        sequencer: str = "p1",
        mutant: str | None = None,
        deliverable: Callable[[dict[str, int], str, dict[str, int]], bool] | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(
                f"BroadcastProcess: unknown protocol {protocol!r}; allowed: {PROTOCOLS}"
            )
        if not (isinstance(messages, int) and not isinstance(messages, bool) and messages >= 0):
            raise ValueError(f"BroadcastProcess: messages={messages!r} must be an int >= 0")
        if not (
            isinstance(interval, tuple)
            and len(interval) == 2
            and all(isinstance(x, (int, float)) for x in interval)
            and 0 <= interval[0] <= interval[1]
        ):
            raise ValueError(
                f"BroadcastProcess: interval={interval!r} must be a pair (lo, hi), 0 <= lo <= hi"
            )
        self.mutant = check_mutant("BroadcastProcess", mutant, MUTANTS)
        if mutant is not None and _MUTANT_PROTOCOL[mutant] != protocol:
            raise ValueError(
                f"BroadcastProcess: mutant {mutant!r} breaks the "
                f"{_MUTANT_PROTOCOL[mutant]!r} protocol, not {protocol!r}"
            )
        if deliverable is not None and (protocol != "causal" or not callable(deliverable)):
            raise ValueError(
                "BroadcastProcess: deliverable must be a function, and only the causal "
                f"protocol takes one (protocol={protocol!r})"
            )
        self.deliverable = deliverable or causally_deliverable
        self.protocol = protocol
        self.messages = messages
        self.interval = (float(interval[0]), float(interval[1]))
        self.sequencer = sequencer

    def init(self, ctx: Context) -> BroadcastState:
        if self.messages:
            ctx.set_timer("broadcast", self.interval)
        return BroadcastState()

    # -- sending ---------------------------------------------------------------------------------
    def on_timer(self, ctx: Context, state: BroadcastState, timer: Any) -> BroadcastState:
        deps = tuple(sorted({**dict(state.delivered), ctx.id: state.sent}.items()))
        message = Broadcast(ctx.id, state.sent, deps if self.protocol == "causal" else ())
        state = replace(state, sent=state.sent + 1, log=(*state.log, ("broadcast", message.id)))
        if state.sent < self.messages:
            ctx.set_timer("broadcast", self.interval)
        if self.protocol == "total":
            if ctx.id == self.sequencer:
                return self._sequence(ctx, state, message)
            ctx.send(self.sequencer, ToSequencer(message))
            return state
        for peer in ctx.peers:
            ctx.send(peer, message)
        return self._receive(state, message)  # the sender is a receiver too

    def _sequence(self, ctx: Context, state: BroadcastState, message: Broadcast) -> BroadcastState:
        numbered = Sequenced(state.assigned, message)
        for peer in ctx.peers:
            ctx.send(peer, numbered)
        return self._receive(replace(state, assigned=state.assigned + 1), numbered)

    # -- receiving and delivering ----------------------------------------------------------------
    def on_message(self, ctx: Context, state: BroadcastState, src: str, msg: Any) -> BroadcastState:
        if isinstance(msg, ToSequencer) and ctx.id == self.sequencer:
            return self._sequence(ctx, state, msg.message)
        if isinstance(msg, (Broadcast, Sequenced)):
            return self._receive(state, msg)
        return state

    def _receive(self, state: BroadcastState, msg: Broadcast | Sequenced) -> BroadcastState:
        state = replace(state, pending=(*state.pending, msg))
        while True:  # deliver every held message that has become deliverable
            ready = next((m for m in state.pending if self._deliverable(state, m)), None)
            if ready is None:
                return state
            state = self._deliver(state, ready)

    def _deliverable(self, state: BroadcastState, msg: Broadcast | Sequenced) -> bool:
        if isinstance(msg, Sequenced):  # total order: the next number only
            if self.mutant == "total_no_hold":  # mutant: any number, on arrival
                return True
            return msg.number == state.next_number
        if self.protocol == "unordered":
            return True
        if self.protocol == "fifo":
            if self.mutant == "fifo_no_buffer":  # mutant: no hold-back
                return True
            return msg.seq == state.count(msg.origin)  # the sender's next message
        if self.mutant == "causal_no_wait":  # mutant: no hold-back at all
            return True
        if self.mutant == "causal_sender_only":  # mutant: FIFO, the other entries ignored
            return msg.seq == state.count(msg.origin)
        return bool(self.deliverable(dict(state.delivered), msg.origin, dict(msg.deps)))

    def _deliver(self, state: BroadcastState, msg: Broadcast | Sequenced) -> BroadcastState:
        message = msg.message if isinstance(msg, Sequenced) else msg
        counts = dict(state.delivered)
        counts[message.origin] = counts.get(message.origin, 0) + 1
        return replace(
            state,
            delivered=tuple(sorted(counts.items())),
            pending=tuple(m for m in state.pending if m is not msg),
            next_number=state.next_number + isinstance(msg, Sequenced),
            log=(*state.log, ("deliver", message.id)),
        )

    def __repr__(self) -> str:
        bug = f", mutant={self.mutant!r}" if self.mutant else ""
        return f"BroadcastProcess({self.protocol!r}, messages={self.messages}{bug})"


def broadcast_run(
    protocol: str,
    nodes: int = 3,
    messages: int = 3,
    seed: int = 0,
    latency: Latency | float | None = None,
    mutant: str | None = None,
    deliverable: Callable[[dict[str, int], str, dict[str, int]], bool] | None = None,
) -> Simulation:
    """Run ``nodes`` ``BroadcastProcess`` nodes (``p1``, ``p2``, ...) to the end.

    Parameters
    ----------
    protocol : {"unordered", "fifo", "causal", "total"}
    nodes : int, default 3
    messages : int, default 3
        Messages each process broadcasts.
    seed : int, default 0
    latency : Latency or float, optional
        Default ``uniform(0.5, 8.0)``: a later message often overtakes an earlier one.
    mutant : str or None, default None
        Run every process as this broken version (``MUTANTS``).
    deliverable : callable, optional
        Causal order only: the delivery rule (see ``BroadcastProcess``).

    Returns
    -------
    Simulation

    Raises
    ------
    ValueError
        If ``nodes`` is not an int >= 1, or a ``BroadcastProcess`` argument is invalid.

    Examples
    --------
    >>> broadcast_run("fifo", nodes=2, messages=1, seed=0)
    Simulation(now=9.878..., events=4, pending=0)
    """
    if not (isinstance(nodes, int) and not isinstance(nodes, bool) and nodes >= 1):
        raise ValueError(f"broadcast_run: nodes={nodes!r} must be an int >= 1")
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    system = System(
        {
            i: BroadcastProcess(protocol, messages, mutant=mutant, deliverable=deliverable)
            for i in ids
        }
    )
    network = Network(latency=uniform(0.5, 8.0) if latency is None else as_latency(latency))
    return Simulation(system, seed=seed, network=network).run()


def broadcast_history(sim: Simulation) -> dict[str, tuple[tuple[str, MessageId], ...]]:
    """What every ``BroadcastProcess`` of ``sim`` broadcast and delivered, in its order.

    Examples
    --------
    >>> broadcast_history(broadcast_run("fifo", nodes=2, messages=1, seed=0))["p1"]
    (('broadcast', ('p1', 0)), ('deliver', ('p1', 0)), ('deliver', ('p2', 0)))
    """
    return {
        node: state.log
        for node, state in sorted(sim.states.items())
        if isinstance(state, BroadcastState)
    }


# == the checks ==================================================================================
def _name(message: MessageId) -> str:
    return f"{message[0]}.{message[1]}"


def _validate(history: History, owner: str) -> None:
    if not isinstance(history, Mapping):
        raise TypeError(f"{owner}: history must map each process to its events, got {history!r}")
    for node, events in history.items():
        for event in events:
            if not (
                isinstance(event, tuple)
                and len(event) == 2
                and event[0] in ("broadcast", "deliver")
                and isinstance(event[1], tuple)
                and len(event[1]) == 2
            ):
                raise ValueError(
                    f"{owner}: event {event!r} of {node!r} must be ('broadcast' or 'deliver', "
                    "(origin, seq))"
                )


def fifo_order(history: History) -> Outcome:
    """FIFO order: a process delivers each sender's messages in the order they were sent.

    Every delivery of ``(origin, seq)`` must come after the same process delivered
    ``(origin, 0)``, ..., ``(origin, seq - 1)``: the count of ``origin``'s messages delivered
    so far must equal ``seq``. ``detail`` names the first violation.

    Examples
    --------
    >>> fifo_order({"p1": [("deliver", ("p2", 1)), ("deliver", ("p2", 0))]})
    Outcome(ok=False, counterexample_length=2, detail='p1 delivered p2.1 before p2.0')
    """
    _validate(history, "fifo_order")
    for node in sorted(history):
        counts: dict[str, int] = {}
        for kind, (origin, seq) in history[node]:
            if kind != "deliver":
                continue
            have = counts.get(origin, 0)
            if seq != have:
                return Outcome(False, 2, f"{node} delivered {origin}.{seq} before {origin}.{have}")
            counts[origin] = have + 1
    return Outcome(True)


def _causal_pasts(history: History) -> dict[MessageId, frozenset[MessageId]]:
    """For every broadcast message, the messages whose broadcast happened before its own."""
    origin_events: dict[MessageId, tuple[str, int]] = {}
    for node, events in history.items():
        for i, (kind, message) in enumerate(events):
            if kind == "broadcast":
                origin_events[message] = (node, i)
    pasts: dict[MessageId, frozenset[MessageId]] = {}
    visiting: set[MessageId] = set()

    def past(message: MessageId) -> frozenset[MessageId]:
        if message in pasts:
            return pasts[message]
        if message in visiting or message not in origin_events:  # a cycle, or never broadcast
            return frozenset()
        visiting.add(message)
        node, index = origin_events[message]
        out: set[MessageId] = set()
        for _kind, earlier in history[node][:index]:  # its own broadcasts and its deliveries
            if earlier != message and earlier in origin_events:
                out.add(earlier)
                out |= past(earlier)
        visiting.discard(message)
        pasts[message] = frozenset(out - {message})
        return pasts[message]

    for message in sorted(origin_events):
        past(message)
    return pasts


def causal_order(history: History) -> Outcome:
    """Causal order: no process delivers ``m`` before every message whose broadcast happened
    before ``m``'s.

    The causal past of each message is what its sender had broadcast or delivered before
    broadcasting it, and their pasts, transitively.

    Examples
    --------
    >>> history = {
    ...     "p1": [("broadcast", ("p1", 0)), ("deliver", ("p1", 0))],
    ...     "p2": [("deliver", ("p1", 0)), ("broadcast", ("p2", 0)), ("deliver", ("p2", 0))],
    ...     "p3": [("deliver", ("p2", 0)), ("deliver", ("p1", 0))],
    ... }
    >>> causal_order(history)
    Outcome(ok=False, counterexample_length=2, detail='p3 delivered p2.0 before p1.0, which happened before it')
    """  # noqa: E501
    _validate(history, "causal_order")
    pasts = _causal_pasts(history)
    for node in sorted(history):
        seen: set[MessageId] = set()
        for kind, message in history[node]:
            if kind != "deliver":
                continue
            missing = sorted(pasts.get(message, frozenset()) - seen)
            if missing:
                return Outcome(
                    False,
                    2,
                    f"{node} delivered {_name(message)} before {_name(missing[0])}, "
                    "which happened before it",
                )
            seen.add(message)
    return Outcome(True)


def total_order(history: History) -> Outcome:
    """Total order: any two processes deliver the messages they both deliver in the same order.

    Examples
    --------
    >>> total_order({"p1": [("deliver", ("p1", 0)), ("deliver", ("p2", 0))],
    ...              "p2": [("deliver", ("p2", 0)), ("deliver", ("p1", 0))]})
    Outcome(ok=False, counterexample_length=2, detail='p1 delivered p1.0 before p2.0, p2 after')
    """
    _validate(history, "total_order")
    orders = {
        node: [m for kind, m in events if kind == "deliver"] for node, events in history.items()
    }
    nodes = sorted(orders)
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            common = set(orders[a]) & set(orders[b])
            seq_a = [m for m in orders[a] if m in common]
            seq_b = [m for m in orders[b] if m in common]
            for x, y in zip(seq_a, seq_b, strict=True):
                if x != y:
                    return Outcome(
                        False, 2, f"{a} delivered {_name(x)} before {_name(y)}, {b} after"
                    )
    return Outcome(True)


def delivered_once(history: History) -> Outcome:
    """Every broadcast message is delivered exactly once by every process, and nothing else is.

    Examples
    --------
    >>> delivered_once({"p1": [("broadcast", ("p1", 0)), ("deliver", ("p1", 0))], "p2": []})
    Outcome(ok=False, counterexample_length=1, detail='p2 delivered p1.0 0 times')
    """
    _validate(history, "delivered_once")
    sent = sorted(m for events in history.values() for kind, m in events if kind == "broadcast")
    for node in sorted(history):
        got = [m for kind, m in history[node] if kind == "deliver"]
        for m in sent:
            if got.count(m) != 1:
                return Outcome(False, 1, f"{node} delivered {_name(m)} {got.count(m)} times")
        extra = sorted(set(got) - set(sent))
        if extra:
            return Outcome(False, 1, f"{node} delivered {_name(extra[0])}, never broadcast")
    return Outcome(True)


BROADCAST_CHECKS: dict[str, Callable[[History], Outcome]] = {
    "FIFO order": fifo_order,
    "causal order": causal_order,
    "total order": total_order,
    "delivered once": delivered_once,
}
"""The named checks of a history."""

PROMISES: dict[str, tuple[str, ...]] = {
    "unordered": ("delivered once",),
    "fifo": ("FIFO order", "delivered once"),
    "causal": ("FIFO order", "causal order", "delivered once"),
    "total": ("total order", "delivered once"),
}
"""What each protocol promises: the checks it must pass."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "fifo_no_buffer": ("FIFO order",),
    "causal_no_wait": ("causal order",),
    "causal_sender_only": ("causal order",),
    "total_no_hold": ("total order",),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


# == mutants and catch rates =====================================================================
def broadcast_catch_rate(
    protocol: str,
    mutant: str | None,
    check: str,
    seeds: Iterable[int],
    nodes: int = 3,
    messages: int = 3,
) -> tuple[int, int]:
    """``(caught, runs)``: on how many seeds of ``broadcast_run`` a check fails.

    Examples
    --------
    >>> broadcast_catch_rate("causal", "causal_no_wait", "causal order", range(5))
    (5, 5)
    >>> broadcast_catch_rate("total", None, "FIFO order", range(5))   # total order is not FIFO
    (3, 5)
    """
    check_name("broadcast_catch_rate", check, BROADCAST_CHECKS)
    caught = runs = 0
    for seed in seeds:
        history = broadcast_history(broadcast_run(protocol, nodes, messages, seed, mutant=mutant))
        caught += not BROADCAST_CHECKS[check](history).ok
        runs += 1
    return caught, runs


def broadcast_mutant_table(seeds: int = 20, nodes: int = 4, messages: int = 6) -> Any:
    """The mutant table of the three broadcasts: each protocol's promises checked on its
    correct version and on its mutants, over ``seeds`` runs of
    ``broadcast_run(protocol, nodes, messages, seed)``.

    A check fails when any run fails it; ``runs caught`` counts the runs in which the
    mutant's named check failed (for a correct version: the runs that failed any check).

    Parameters
    ----------
    seeds : int, default 20
    nodes, messages : int, default 4 and 6
        Enough that a message's causal past often spans three processes.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    AssertionError
        If a correct protocol fails a check it promises or a mutant escapes its check.

    Examples
    --------
    >>> table = broadcast_mutant_table(seeds=4)
    >>> print(table[["protocol", "mutant", "caught by", "runs caught"]].to_string(index=False))
    protocol             mutant                 caught by runs caught
        fifo    correct version none: passes all 2 checks      0 of 4
        fifo     fifo_no_buffer                FIFO order      4 of 4
      causal    correct version none: passes all 3 checks      0 of 4
      causal     causal_no_wait  FIFO order, causal order      4 of 4
      causal causal_sender_only              causal order      4 of 4
       total    correct version none: passes all 2 checks      0 of 4
       total      total_no_hold               total order      4 of 4
    """
    import pandas as pd

    frames = []
    for protocol in ("fifo", "causal", "total"):
        catch_rate = functools.partial(
            broadcast_catch_rate, protocol, nodes=nodes, messages=messages
        )
        mutants = {m: MUTANTS[m] for m in sorted(MUTANTS) if _MUTANT_PROTOCOL[m] == protocol}
        report = seeded_mutant_report(
            catch_rate,
            mutants,
            MUTANT_CHECKS,
            PROMISES[protocol],
            seeds,
            where="broadcast_mutant_table",
        )
        frame = seeded_mutant_table(
            report, catch_rate, seeds, where="broadcast_mutant_table", column="runs caught"
        )
        frame.insert(0, "protocol", protocol)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
