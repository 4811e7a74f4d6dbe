"""The node API: ``Node``, ``Context`` and ``System``.

Every protocol in the book is written once, as nodes whose handlers are pure:
they take the node's current state and an event (a message or a timer) and
return the next state. Everything a handler does to the world (send a message,
set a timer, persist durable state, record an operation of a client) goes
through the ``Context`` it is given, which only *collects* these effects. The
runtime (the simulator, the model checker, the hypothesis bridge or the
debugger) decides what the effects mean. That is what lets the same code run
under every runtime of the book.

Examples
--------
>>> from dataclasses import dataclass, replace
>>> @dataclass(frozen=True)
... class Count:
...     n: int = 0
>>> class Counter(Node[Count]):
...     def init(self, ctx):
...         return Count()
...     def on_message(self, ctx, state, src, msg):
...         ctx.send(src, "ack")
...         return replace(state, n=state.n + 1)
>>> ctx = Context("a", ("a", "b"))
>>> Counter().on_message(ctx, Count(), "b", "hello")
Count(n=1)
>>> ctx.sent
[('b', 'ack')]
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from dslib.errors import HandlerError, ProtocolError
from dslib.stats import is_number

__all__ = [
    "NOTHING_PERSISTED",
    "Context",
    "Node",
    "System",
    "TimerDelay",
    "check_hashable",
    "check_node_ids",
    "check_seed",
    "check_state",
    "check_system",
    "handler_error",
    "stable_repr",
]

S = TypeVar("S")

TimerDelay = float | int | tuple[float, float]
"""A timer delay: a number of time units, or a ``(lo, hi)`` range to draw from."""


class _NothingPersisted:
    """Marker for "this node has never persisted anything"."""

    _instance: _NothingPersisted | None = None

    def __new__(cls) -> _NothingPersisted:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOTHING_PERSISTED"

    def __reduce__(self) -> str:
        return "NOTHING_PERSISTED"


NOTHING_PERSISTED: Any = _NothingPersisted()
"""What ``on_recover`` receives when the node never called ``ctx.persist``."""


def describe_event(event: tuple[Any, ...]) -> str:
    """Render an event tuple such as ``("message", src, msg)`` for an error message."""
    kind = event[0]
    if kind == "message":
        return f"message {event[2]!r} from {event[1]!r}"
    if kind == "timer":
        return f"timer {event[1]!r}"
    return str(kind)


def handler_error(
    node_id: str, event: tuple[Any, ...], exc: BaseException, when: str, trace: object = None
) -> HandlerError:
    """The error a runtime raises when a handler raised ``exc``: which node, which event, when.

    The simulator and the model checker run handlers in their own loops; both
    report a handler's failure with this error, so a reader sees it said one way.

    Parameters
    ----------
    node_id : str
        The node whose handler raised.
    event : tuple
        What it was handling, such as ``("message", src, msg)`` (see ``describe_event``).
    exc : BaseException
        What it raised; it becomes the error's ``__cause__``.
    when : str
        The runtime's words for when it happened and where to look next.
    trace : optional
        The events up to that point, kept as the error's ``trace``.

    Returns
    -------
    HandlerError

    Examples
    --------
    >>> err = handler_error("a", ("timer", "tick"), KeyError("x"), "at time 2.0")
    >>> print(err)
    node 'a' raised KeyError: 'x' while handling timer 'tick' at time 2.0
    >>> err.node, err.event, type(err.__cause__).__name__
    ('a', "timer 'tick'", 'KeyError')
    """
    where = describe_event(event)
    err = HandlerError(
        f"node {node_id!r} raised {type(exc).__name__}: {exc} while handling {where} {when}",
        node=node_id,
        event=where,
        trace=trace,
    )
    err.__cause__ = exc
    return err


def _default_chooser(rng: random.Random) -> Callable[[Sequence[Any]], Any]:
    def choose(options: Sequence[Any]) -> Any:
        return options[rng.randrange(len(options))]

    return choose


class Context:
    """What a handler may do to the world. Handlers receive one; they never build one.

    A context collects the effects of one handler call. The runtime reads them
    afterwards (``sent``, ``timers_set``, ``timers_cancelled``, ``persisted``,
    ``records``) and applies them.

    Parameters
    ----------
    id : str
        The id of the node whose handler runs.
    ids : sequence of str
        The ids of every node of the system (the node itself included).
    now : float, optional
        The node's local clock (the runtime may skew it).
    rng : random.Random, optional
        The node's seeded random generator; a fixed seed 0 by default.
    chooser : callable, optional
        How ``choose`` picks among options. The simulator picks with ``rng``;
        the model checker explores every option.
    event : tuple, optional
        The event being handled, used to name it in error messages.

    Attributes
    ----------
    id : str
        This node's id.
    peers : tuple of str
        The other nodes' ids, sorted.
    now : float
        The node's local clock.
    rng : random.Random
        A seeded random generator. Use it for anything random, never the
        ``random`` module's global functions; under the model checker use
        ``choose`` instead so that every option is explored.
    """

    __slots__ = (
        "_chooser",
        "_ids",
        "event",
        "id",
        "now",
        "peers",
        "persisted",
        "records",
        "rng",
        "sent",
        "timers_cancelled",
        "timers_set",
    )

    def __init__(
        self,
        id: str,
        ids: Sequence[str] | frozenset[str],
        now: float = 0.0,
        rng: random.Random | None = None,
        chooser: Callable[[Sequence[Any]], Any] | None = None,
        event: tuple[Any, ...] = ("init",),
    ) -> None:
        self.id = id
        self._ids = ids if isinstance(ids, frozenset) else frozenset(ids)
        if id not in self._ids:
            raise ValueError(
                f"context id {id!r} is not one of the system's nodes {sorted(self._ids)}"
            )
        self.peers: tuple[str, ...] = tuple(sorted(i for i in self._ids if i != id))
        self.now = now
        self.rng = rng if rng is not None else random.Random(0)
        self._chooser = chooser if chooser is not None else _default_chooser(self.rng)
        self.event = event
        self.sent: list[tuple[str, Hashable]] = []
        self.timers_set: list[tuple[Hashable, TimerDelay]] = []
        self.timers_cancelled: list[Hashable] = []
        self.persisted: Any = NOTHING_PERSISTED
        self.records: list[tuple[str, str, Any, Any]] = []

    # -- what the runtime does --------------------------------------------------
    def reset(self, event: tuple[Any, ...], now: float | None = None) -> None:
        """Start collecting the effects of a new handler call (for runtimes, not handlers).

        A runtime keeps one context per node and calls ``reset`` before each
        handler call, so that the effects it reads afterwards are that call's
        only. Each effect field gets a fresh value, never a cleared one: a
        runtime may still hold the lists of an earlier call.

        Parameters
        ----------
        event : tuple
            The event about to be handled: ``("message", src, msg)``,
            ``("timer", name)``, ``("init",)`` or ``("restart",)``.
        now : float, optional
            The node's local clock during the call (unchanged if not given).

        Examples
        --------
        >>> ctx = Context("a", ("a", "b"))
        >>> ctx.send("b", "hi")
        >>> ctx.reset(("timer", "t"), now=2.0)
        >>> ctx.sent, ctx.now, ctx.event
        ([], 2.0, ('timer', 't'))
        """
        self.event = event
        if now is not None:
            self.now = now
        self.sent = []
        self.timers_set = []
        self.timers_cancelled = []
        self.persisted = NOTHING_PERSISTED
        self.records = []

    # -- what a handler may do -------------------------------------------------
    def send(self, dst: str, msg: Hashable) -> None:
        """Send ``msg`` to node ``dst``. The network decides when (and whether) it arrives.

        Raises
        ------
        ProtocolError
            If ``dst`` is not a node of the system or ``msg`` is not hashable.
        """
        if dst not in self._ids:
            raise ProtocolError(
                f"node {self.id!r} sent {msg!r} to unknown node {dst!r} while handling "
                f"{describe_event(self.event)}; the nodes are {sorted(self._ids)}"
            )
        try:
            hash(msg)
        except TypeError as exc:
            raise ProtocolError(
                f"node {self.id!r} sent a message that is not hashable ({exc}) while handling "
                f"{describe_event(self.event)}: {msg!r}; use a frozen dataclass, a tuple or a "
                "string"
            ) from None
        self.sent.append((dst, msg))

    def broadcast(self, msg: Hashable) -> None:
        """Send ``msg`` to every peer (every node but this one), in sorted order."""
        for dst in self.peers:
            self.send(dst, msg)

    def set_timer(self, timer: Hashable, delay: TimerDelay) -> None:
        """Arm ``timer`` to fire after ``delay``; re-arming a set timer replaces it.

        Parameters
        ----------
        timer : hashable
            The timer's name; ``on_timer`` receives it.
        delay : float or (float, float)
            A non-negative delay, or a range ``(lo, hi)`` with ``0 <= lo <= hi``
            from which the simulator draws uniformly. The model checker ignores
            delays: every set timer may fire.
        """
        try:
            hash(timer)
        except TypeError:
            raise ProtocolError(
                f"node {self.id!r} set a timer whose name is not hashable: {timer!r}"
            ) from None
        if isinstance(delay, tuple):
            ok = (
                len(delay) == 2
                and all(is_number(d) and math.isfinite(d) for d in delay)
                and 0 <= delay[0] <= delay[1]
            )
        else:
            ok = is_number(delay) and math.isfinite(delay) and delay >= 0
        if not ok:
            raise ProtocolError(
                f"node {self.id!r} set timer {timer!r} with delay {delay!r} while handling "
                f"{describe_event(self.event)}; a delay is a finite number >= 0 or a range "
                "(lo, hi) with 0 <= lo <= hi"
            )
        self.timers_set.append((timer, delay))
        # Effects are applied cancels first, then sets; a set after a cancel wins.

    def cancel_timer(self, timer: Hashable) -> None:
        """Cancel ``timer`` if it is set; cancelling an unset timer does nothing."""
        # A set_timer earlier in this same handler call is undone too, so that the
        # runtime may apply every cancel before every set.
        self.timers_set = [(name, d) for name, d in self.timers_set if name != timer]
        self.timers_cancelled.append(timer)

    def persist(self, value: Hashable) -> None:
        """Write ``value`` to this node's durable storage, replacing what was there.

        After a crash, ``on_recover(ctx, durable)`` receives the last value persisted.
        """
        try:
            hash(value)
        except TypeError:
            raise ProtocolError(
                f"node {self.id!r} persisted a value that is not hashable while handling "
                f"{describe_event(self.event)}: {value!r}"
            ) from None
        self.persisted = value

    def choose(self, options: Iterable[Any]) -> Any:
        """Pick one of ``options``. The model checker explores every one of them.

        Raises
        ------
        ValueError
            If there are no options.
        """
        opts = options if isinstance(options, (list, tuple)) else list(options)
        if not opts:
            raise ValueError(f"node {self.id!r} called choose() with no options")
        return self._chooser(opts)

    def record(self, type: str, f: str, value: Any = None, key: Any = None) -> None:
        """Record an operation event of a client in the run's history.

        Parameters
        ----------
        type : {"invoke", "ok", "fail", "info"}
            ``invoke`` starts an operation; ``ok`` completes it with its result;
            ``fail`` says it certainly did not take effect; ``info`` says it may
            or may not have.
        f : str
            The operation, such as ``"read"`` or ``"write"``.
        value : hashable, optional
            The argument (on invoke) or the result (on completion).
        key : hashable, optional
            The key, for operations on a key-value store.
        """
        if type not in ("invoke", "ok", "fail", "info"):
            raise ValueError(
                f"node {self.id!r} recorded an operation of type {type!r}; "
                "allowed: 'invoke', 'ok', 'fail', 'info'"
            )
        self.records.append((type, f, value, key))

    def __repr__(self) -> str:
        return f"Context(id={self.id!r}, now={self.now!r})"


class Node(Generic[S]):
    """A node of a distributed system: configuration only; its state is a returned value.

    Subclass it and write the handlers. Each handler receives a ``Context`` and
    the current state, and returns the next state, an immutable and hashable
    value (a frozen dataclass, a tuple, ...). Handlers must be deterministic:
    all randomness comes from ``ctx.rng`` or ``ctx.choose``.

    Examples
    --------
    >>> class Echo(Node[int]):
    ...     def init(self, ctx):
    ...         return 0
    ...     def on_message(self, ctx, state, src, msg):
    ...         ctx.send(src, msg)
    ...         return state + 1
    >>> System({"a": Echo(), "b": Echo()})
    System(a=Echo, b=Echo)
    """

    def init(self, ctx: Context) -> S:
        """Return the initial state; may send messages and set timers."""
        raise NotImplementedError(f"{type(self).__name__} must define init(self, ctx)")

    def on_message(self, ctx: Context, state: S, src: str, msg: Any) -> S:
        """Handle ``msg`` from node ``src``; return the next state."""
        raise ProtocolError(
            f"node {ctx.id!r} ({type(self).__name__}) received {msg!r} from {src!r} "
            "but its class defines no on_message(self, ctx, state, src, msg)"
        )

    def on_timer(self, ctx: Context, state: S, timer: Any) -> S:
        """Handle the firing of ``timer``; return the next state."""
        raise ProtocolError(
            f"timer {timer!r} fired on node {ctx.id!r} ({type(self).__name__}) "
            "but its class defines no on_timer(self, ctx, state, timer)"
        )

    def on_recover(self, ctx: Context, durable: Any) -> S:
        """Return the state after a restart, from what was persisted.

        ``durable`` is the last value given to ``ctx.persist`` before the crash,
        or ``NOTHING_PERSISTED``. The default starts afresh with ``init``.
        """
        return self.init(ctx)

    def __repr__(self) -> str:
        return type(self).__name__


class System:
    """The nodes of a distributed system: a mapping from node id to ``Node``.

    Parameters
    ----------
    nodes : mapping of str to Node
        Node ids (non-empty strings) to node objects.

    Raises
    ------
    TypeError
        If ``nodes`` is not a mapping, an id is not a string or a value is not a ``Node``.
    ValueError
        If there are no nodes or an id is empty.

    Examples
    --------
    >>> class Idle(Node[int]):
    ...     def init(self, ctx):
    ...         return 0
    >>> s = System({"b": Idle(), "a": Idle()})
    >>> s.ids
    ('a', 'b')
    >>> System({"a": 3})
    Traceback (most recent call last):
    ...
    TypeError: System: node 'a' is 3 (int); every value must be a dslib.Node instance
    """

    def __init__(self, nodes: Mapping[str, Node[Any]]) -> None:
        if not isinstance(nodes, Mapping):
            raise TypeError(
                f"System takes a mapping from node id to Node, got {type(nodes).__name__}"
            )
        if not nodes:
            raise ValueError("System needs at least one node")
        for node_id, node in nodes.items():
            if not isinstance(node_id, str):
                raise TypeError(f"System: node id {node_id!r} is not a string; ids are strings")
            if not node_id:
                raise ValueError("System: the empty string is not a valid node id")
            if not isinstance(node, Node):
                raise TypeError(
                    f"System: node {node_id!r} is {node!r} ({type(node).__name__}); "
                    "every value must be a dslib.Node instance"
                )
        self.ids: tuple[str, ...] = tuple(sorted(nodes))
        self.nodes: dict[str, Node[Any]] = {i: nodes[i] for i in self.ids}

    def __getitem__(self, node_id: str) -> Node[Any]:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r}; the nodes are {list(self.ids)}") from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self.nodes

    def __iter__(self) -> Any:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        inner = ", ".join(f"{i}={self.nodes[i]!r}" for i in self.ids)
        return f"System({inner})"


def check_hashable(value: Any, what: str) -> None:
    """Raise ``ProtocolError`` naming ``what`` if ``value`` is not hashable."""
    try:
        hash(value)
    except TypeError as exc:
        raise ProtocolError(
            f"{what} is not hashable ({exc}): {value!r}; states and messages must be "
            "immutable values such as frozen dataclasses, tuples, frozensets or strings"
        ) from None


def check_node_ids(where: str, nodes: Iterable[str]) -> tuple[str, ...]:
    """``nodes`` as a tuple, if it names at least one node, each a distinct non-empty string.

    Parameters
    ----------
    where : str
        Who checks, for the messages.
    nodes : iterable of str
        The node names given.

    Returns
    -------
    tuple of str

    Raises
    ------
    TypeError
        If ``nodes`` is one string, or a name is not a non-empty string.
    ValueError
        If there is no node, or a name repeats.

    Examples
    --------
    >>> check_node_ids("ring", ["a", "b"])
    ('a', 'b')
    >>> check_node_ids("ring", ["a", "b", "a"])
    Traceback (most recent call last):
    ...
    ValueError: ring: node names must be distinct; ['a'] appear more than once
    """
    if isinstance(nodes, str):
        raise TypeError(f"{where}: nodes={nodes!r} must be a list of node names, not one string")
    out = tuple(nodes)
    if not out:
        raise ValueError(f"{where}: there must be at least one node")
    for n in out:
        if not isinstance(n, str) or not n:
            raise TypeError(f"{where}: node names must be non-empty strings, got {n!r}")
    if len(set(out)) != len(out):
        dups = sorted({n for n in out if out.count(n) > 1})
        raise ValueError(f"{where}: node names must be distinct; {dups} appear more than once")
    return out


def check_seed(seed: Any, who: str) -> None:
    """Refuse a seed that is not an int (``True`` is not a seed, though Python counts it as 1).

    Parameters
    ----------
    seed : any
        The seed given.
    who : str
        What it was given to, for the message.

    Raises
    ------
    TypeError
        If ``seed`` is not an int.

    Examples
    --------
    >>> check_seed(7, "Simulation")
    >>> check_seed(True, "Simulation")
    Traceback (most recent call last):
    ...
    TypeError: Simulation: seed=True must be an int
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"{who}: seed={seed!r} must be an int")


def check_system(system: Any, who: str) -> None:
    """Refuse what is not a ``System``, and say how to make one.

    Every runtime (the simulator, the model checker, the navigator) takes a
    ``System``; a reader who passes the dict of nodes itself is told to wrap it.

    Parameters
    ----------
    system : any
        What the runtime was given.
    who : str
        The runtime, for the message.

    Raises
    ------
    TypeError
        If ``system`` is not a ``System``.

    Examples
    --------
    >>> check_system({"a": "node"}, "Cluster")
    Traceback (most recent call last):
    ...
    TypeError: Cluster takes a dslib.System, got dict; wrap your nodes: System({'a': NodeA(), ...})
    """
    if not isinstance(system, System):
        raise TypeError(
            f"{who} takes a dslib.System, got {type(system).__name__}; "
            "wrap your nodes: System({'a': NodeA(), ...})"
        )


def check_state(state: Any, node_id: str, event: tuple[Any, ...], handler: str) -> None:
    """Check what a handler returned: not ``None`` and hashable.

    Raises
    ------
    ProtocolError
        Naming the node, the handler and the event.
    """
    if state is None:
        raise ProtocolError(
            f"{handler} of node {node_id!r} returned None while handling "
            f"{describe_event(event)}; a handler must return the node's next state "
            "(return the state unchanged if nothing changes)"
        )
    try:
        hash(state)
    except TypeError as exc:
        raise ProtocolError(
            f"{handler} of node {node_id!r} returned a state that is not hashable ({exc}) "
            f"while handling {describe_event(event)}: {state!r}; use a frozen dataclass "
            "with tuple/frozenset fields"
        ) from None


def stable_repr(value: Any) -> str:
    """A repr that does not depend on ``PYTHONHASHSEED`` or on object addresses.

    Sets and dicts are rendered sorted; dataclasses field by field.

    Examples
    --------
    >>> stable_repr(frozenset({"b", "a"}))
    "frozenset({'a', 'b'})"
    >>> stable_repr({"y": 1, "x": (2, 3.5)})
    "{'x': (2, 3.5), 'y': 1}"
    """
    if isinstance(value, (str, int, float, bool, type(None))):
        return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        inner = ", ".join(
            f"{f.name}={stable_repr(getattr(value, f.name))}"
            for f in dataclasses.fields(value)
            if f.repr
        )
        return f"{type(value).__qualname__}({inner})"
    if isinstance(value, tuple):
        items = [stable_repr(v) for v in value]
        if hasattr(value, "_fields"):
            inner = ", ".join(f"{n}={s}" for n, s in zip(value._fields, items, strict=True))
            return f"{type(value).__name__}({inner})"
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(stable_repr(v) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        items = sorted(stable_repr(v) for v in value)
        name = "frozenset" if isinstance(value, frozenset) else "set"
        return f"{name}({{{', '.join(items)}}})" if items else f"{name}()"
    if isinstance(value, Mapping):
        pairs = sorted((stable_repr(k), stable_repr(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
    return repr(value)
