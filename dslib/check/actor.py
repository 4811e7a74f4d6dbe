"""``ActorModel``: a ``System`` of nodes as a model that the checker can explore.

The simulator runs *one* execution of a system: the network and the seed
decide which message arrives next. The model checker wants *every* execution.
``ActorModel`` turns the system into a ``Model`` whose actions are everything
that may happen next:

- **deliver** a message in flight to its receiver (any of them, in any order;
  with ``fifo=True`` only the oldest message on each link);
- **fire** a timer that is set (delays are ignored: any set timer may fire
  at any moment, which covers every timing the simulator could pick);
- **drop** (lose) a message in flight, with ``lossy=True``;
- **crash** a node, at most ``max_crashes`` times in all: its state and timers
  are lost, what it persisted is kept, messages sent to it while it is down
  are lost when they arrive;
- **restart** a crashed node (unless ``restart=False``): its ``on_recover``
  receives what it persisted.

A handler that calls ``ctx.choose(options)`` is run once per option (and once
per combination, when it chooses several times): each run is a separate
action, labelled with the choices made. The checker re-runs the handler with a
chooser that follows a prescribed list of choices and records how many
options each call had, until every combination has been tried.

The global state (``ActorState``) holds every node's state (``None`` for a
crashed node), the messages in flight, the timers set, what each node
persisted, how many crashes have happened, and (with ``record_history=True``)
the operations clients recorded with ``ctx.record``. The messages in flight
are a multiset kept as a frozenset of ``((src, dst, msg), count)`` pairs, so
two states with the same messages are equal and hash equal whatever order the
messages were sent in; with ``fifo=True`` it is a frozenset of
``((src, dst), queue)`` pairs.

Networks:

=====================  ========================================================
unordered (default)    every message is delivered exactly once, in any order
``fifo=True``          per link, messages arrive in the order they were sent
``lossy=True``         any message in flight may be lost (with ``fifo``: the
                       oldest on its link; losing a later one first is the same
                       for the nodes)
``duplicating=True``   a message may be delivered any number of times: delivery
                       leaves it in flight (the set of messages ever sent, as
                       in TLA+ specifications); it cannot be combined with
                       ``fifo``
=====================  ========================================================

Differences from the simulator, on purpose: ``ctx.now`` is always 0.0 (time
would make every state distinct); ``ctx.rng`` is reseeded before every
handler call, so it gives the same numbers every time (use ``ctx.choose``
when the choice matters: the checker explores every option, and the replay
follows the recorded choices); client histories are kept in the state only with
``record_history=True`` (then invariants can read them, at the price of more
distinct states), otherwise a counterexample's history is obtained by
replaying it in the simulator (``dslib.check.replay``).

Examples
--------
>>> from dslib import Node, System
>>> class Pinger(Node[int]):
...     def init(self, ctx):
...         ctx.send("ponger", "ping")
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         return state + 1
>>> class Ponger(Node[int]):
...     def init(self, ctx):
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         ctx.send(src, "pong")
...         return state + 1
>>> model = ActorModel(System({"pinger": Pinger(), "ponger": Ponger()}))
>>> [s0] = model.init_states()
>>> s0.messages()
[('pinger', 'ponger', 'ping')]
>>> [(str(a), s.nodes) for a, s in model.actions(s0)]
[("pinger → ponger: 'ping'", {'pinger': 0, 'ponger': 1})]
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from dslib.check.model import Model, describe_changes
from dslib.check.symmetry import Symmetry, rename
from dslib.core import (
    NOTHING_PERSISTED,
    Context,
    Node,
    System,
    check_hashable,
    check_state,
    check_system,
    handler_error,
    stable_repr,
)
from dslib.errors import ProtocolError

__all__ = ["Action", "ActorModel", "ActorState"]


class Action(NamedTuple):
    """One step of a system: what happened, at which node.

    Attributes
    ----------
    kind : str
        ``"deliver"``, ``"fire"``, ``"drop"``, ``"crash"`` or ``"restart"``.
    node : str
        The node that acts: the receiver of a delivered message, the owner of
        a timer, the node that crashes or restarts. For a dropped message, the
        receiver it was addressed to (the table's "node" column says
        ``network``: the link lost it, see ``ActorModel.actor``).
    src : str or None
        The sender of a delivered or dropped message.
    msg : any
        The message (deliver, drop) or the timer's name (fire).
    choices : tuple
        What the handler's ``ctx.choose`` calls returned, in order.

    Examples
    --------
    >>> print(Action("deliver", "tm", "rm1", "prepared"))
    rm1 → tm: 'prepared'
    >>> print(Action("fire", "rm1", None, "decide", ("abort",)))
    rm1: timer 'decide' [choose 'abort']
    """

    kind: str
    node: str
    src: str | None = None
    msg: Any = None
    choices: tuple[Any, ...] = ()

    def __str__(self) -> str:
        kind = self.kind
        if kind == "deliver":
            text = f"{self.src} → {self.node}: {stable_repr(self.msg)}"
        elif kind == "fire":
            text = f"{self.node}: timer {stable_repr(self.msg)}"
        elif kind == "drop":
            text = f"lose {self.src} → {self.node}: {stable_repr(self.msg)}"
        else:
            text = f"{kind} {self.node}"
        if self.choices:
            text += " [choose " + ", ".join(stable_repr(c) for c in self.choices) + "]"
        return text


class ActorState(NamedTuple):
    """The global state of a system under the model checker.

    Use the methods to read it: ``node(id)``, ``nodes``, ``crashed``,
    ``messages()``, ``pending_timers()``, ``operations()``.

    Attributes
    ----------
    ids : tuple of str
        The node ids, sorted (the order of the other tuples).
    states : tuple
        Each node's state, ``None`` for a crashed node.
    network : frozenset
        The messages in flight (see the module docstring for the encoding).
    timers : tuple of frozenset
        Each node's set timers.
    durable : tuple
        What each node persisted (``NOTHING_PERSISTED`` if nothing).
    crashes : int
        How many crashes have happened.
    history : tuple
        ``(node, type, f, value, key)`` for each ``ctx.record`` (only with
        ``record_history=True``).

    Examples
    --------
    >>> from dslib.small_systems.twophase import two_phase_system
    >>> [s0] = ActorModel(two_phase_system(2)).init_states()
    >>> s0.node("rm1"), s0.crashed, s0.pending_timers()
    ('working', frozenset(), [('rm1', 'decide'), ('rm2', 'decide'), ('tm', 'timeout')])
    """

    ids: tuple[str, ...]
    states: tuple[Any, ...]
    network: frozenset[Any]
    timers: tuple[frozenset[Any], ...]
    durable: tuple[Any, ...]
    crashes: int
    history: tuple[tuple[Any, ...], ...]

    def node(self, node_id: str) -> Any:
        """The state of node ``node_id`` (``None`` while it is crashed)."""
        try:
            return self.states[self.ids.index(node_id)]
        except ValueError:
            raise KeyError(f"no node {node_id!r}; the nodes are {list(self.ids)}") from None

    @property
    def nodes(self) -> dict[str, Any]:
        """The state of every node that is up, by id (like ``Simulation.states``)."""
        return {i: s for i, s in zip(self.ids, self.states, strict=True) if s is not None}

    @property
    def crashed(self) -> frozenset[str]:
        """The nodes that are down."""
        return frozenset(i for i, s in zip(self.ids, self.states, strict=True) if s is None)

    def messages(self) -> list[tuple[str, str, Any]]:
        """The messages in flight as ``(src, dst, msg)``, repeated by multiplicity, in a
        stable order (by link, then oldest first on a FIFO link)."""
        out: list[tuple[str, str, Any]] = []
        for elem in sorted(self.network, key=lambda e: stable_repr(e[0])):
            key, value = elem
            if isinstance(value, int):
                out += [key] * value
            else:
                out += [(key[0], key[1], m) for m in value]
        return out

    def pending_timers(self) -> list[tuple[str, Any]]:
        """The timers that are set, as ``(node, timer)``, sorted."""
        return [
            (i, t)
            for i, ts in zip(self.ids, self.timers, strict=True)
            for t in sorted(ts, key=stable_repr)
        ]

    def operations(self) -> Any:
        """The recorded client events as a ``dslib.sim.History`` (time = order of recording)."""
        from dslib.sim.history import Event, History

        return History(
            Event(node, type_, f, value, float(i), key)
            for i, (node, type_, f, value, key) in enumerate(self.history)
        )

    def __repr__(self) -> str:
        nodes = ", ".join(
            f"{i}: {stable_repr(s)}" for i, s in zip(self.ids, self.states, strict=True)
        )
        msgs = ", ".join(f"{a} → {b}: {stable_repr(m)}" for a, b, m in self.messages())
        return f"ActorState({{{nodes}}}, in flight: [{msgs}])"


class _CheckRandom(random.Random):
    """A Random that can be put back to its seed cheaply when it has been used."""

    def __init__(self, seed: str) -> None:
        super().__init__(seed)
        self._seed_value = seed
        self.used = False

    def random(self) -> float:
        self.used = True
        return super().random()

    def getrandbits(self, k: int) -> int:
        self.used = True
        return super().getrandbits(k)

    def reset(self) -> None:
        self.seed(self._seed_value)
        self.used = False


Effects = tuple[list[Any], list[Any], list[Any], Any, list[Any]]
Outcome = tuple[tuple[Any, ...], Any, Effects]


class _ActorSymmetry(Symmetry[ActorState]):
    """Symmetry of interchangeable nodes, with a fast orbit-invariant fingerprint.

    The fingerprint is the smallest, over the permutations, of a hash of the
    permuted state built from the hashes of its parts: each node's
    (state, timers, durable) triple, each message-in-flight element, the
    history. The hashes of every permuted image of a part are computed once per
    distinct part and remembered (keyed by the part's own hash), so a
    fingerprint costs a few list operations per permutation instead of
    renaming and rehashing the whole state.
    """

    def __init__(self, model: ActorModel, groups: list[list[str]]) -> None:
        super().__init__(model.permute, *groups)
        index = model.index
        ids = model.ids
        # sources[k][t]: which node's part lands at position t under permutation k.
        self._sources = []
        for mapping in self.permutations:
            src = [0] * len(ids)
            for j, node_id in enumerate(ids):
                src[index[mapping.get(node_id, node_id)]] = j
            self._sources.append(src)
        self._memo: dict[int, tuple[int, ...]] = {}

    def _images(self, value: Any) -> tuple[int, ...]:
        h = hash(value)
        images = self._memo.get(h)
        if images is None:
            images = tuple([hash(rename(value, p)) for p in self.permutations])
            self._memo[h] = images
        return images

    def fingerprint(self, state: ActorState) -> int:
        images = self._images
        parts = [
            images((st, tm, du))
            for st, tm, du in zip(state.states, state.timers, state.durable, strict=True)
        ]
        net = [images(e) for e in state.network]
        hist = images(state.history) if state.history else None
        crashes = state.crashes
        best: int | None = None
        for k, src in enumerate(self._sources):
            h = hash(
                (
                    tuple([parts[j][k] for j in src]),
                    frozenset([e[k] for e in net]),
                    crashes,
                    hist[k] if hist is not None else 0,
                )
            )
            if best is None or h < best:
                best = h
        assert best is not None
        return best


def _groups(symmetric: Any, ids: Sequence[str]) -> list[list[str]]:
    if isinstance(symmetric, str) or not isinstance(symmetric, Iterable):
        raise ValueError(
            f"ActorModel: symmetric={symmetric!r} must be a list of node ids, or a list of such "
            "lists, e.g. symmetric=['rm1', 'rm2', 'rm3']"
        )
    items = list(symmetric)
    groups = [items] if all(isinstance(x, str) for x in items) else [list(g) for g in items]
    for g in groups:
        for node_id in g:
            if node_id not in ids:
                raise ValueError(
                    f"ActorModel: symmetric names {node_id!r}, which is not a node; "
                    f"the nodes are {list(ids)}"
                )
    return groups


class ActorModel(Model[ActorState]):
    """A ``System`` as a ``Model``: every interleaving of deliveries, timers and faults.

    Parameters
    ----------
    system : System
        The nodes.
    fifo : bool, default False
        Messages on each link arrive in the order they were sent.
    lossy : bool, default False
        Messages may be lost.
    duplicating : bool, default False
        Messages may be delivered any number of times (delivery leaves them in flight).
    max_crashes : int, default 0
        How many crashes may happen in an execution, in all.
    crashable : sequence of str, optional
        Which nodes may crash (default: every node).
    restart : bool, default True
        Whether a crashed node may restart (``False``: crash-stop).
    record_history : bool, default False
        Keep the clients' ``ctx.record`` events in the state (``state.history``).
    symmetric : list of str, or list of lists of str, optional
        Groups of interchangeable nodes (same class, same configuration up to
        names): the checker then counts states up to renaming them. Node ids
        are renamed everywhere: in node states, messages and timers.
    name : str, optional
        A name for the model.

    Raises
    ------
    TypeError
        If ``system`` is not a ``System``.
    ValueError
        For a bad option, naming what is allowed.

    Examples
    --------
    >>> from dslib.small_systems.twophase import two_phase_system
    >>> model = ActorModel(two_phase_system(2), duplicating=True)
    >>> model
    ActorModel('rm1, rm2, tm; duplicating')
    """

    def __init__(
        self,
        system: System,
        *,
        fifo: bool = False,
        lossy: bool = False,
        duplicating: bool = False,
        max_crashes: int = 0,
        crashable: Sequence[str] | None = None,
        restart: bool = True,
        record_history: bool = False,
        symmetric: Sequence[str] | Sequence[Sequence[str]] | None = None,
        name: str | None = None,
    ) -> None:
        check_system(system, "ActorModel")
        if fifo and duplicating:
            raise ValueError(
                "ActorModel: fifo=True and duplicating=True cannot be combined: a duplicating "
                "network keeps every message in an unordered set"
            )
        if not (isinstance(max_crashes, int) and not isinstance(max_crashes, bool)) or (
            max_crashes < 0
        ):
            raise ValueError(f"ActorModel: max_crashes={max_crashes!r} must be an int >= 0")
        ids = system.ids
        if crashable is None:
            crash_set = frozenset(ids)
        else:
            if isinstance(crashable, str):
                raise ValueError(
                    f"ActorModel: crashable={crashable!r} must be a list of node ids, "
                    f"e.g. crashable=[{crashable!r}]"
                )
            crash_set = frozenset(crashable)
            unknown = sorted(crash_set - set(ids))
            if unknown:
                raise ValueError(
                    f"ActorModel: crashable names {unknown}, which are not nodes; "
                    f"the nodes are {list(ids)}"
                )
        self.system = system
        self.ids: tuple[str, ...] = ids
        self.index = {node_id: j for j, node_id in enumerate(ids)}
        self.fifo = bool(fifo)
        self.lossy = bool(lossy)
        self.duplicating = bool(duplicating)
        self.max_crashes = max_crashes
        self.crashable = tuple(j for j, node_id in enumerate(ids) if node_id in crash_set)
        self.restart = bool(restart)
        self.record_history = bool(record_history)
        flags = [
            f for f, on in (("fifo", fifo), ("lossy", lossy), ("duplicating", duplicating)) if on
        ]
        if max_crashes:
            flags.append(f"max_crashes={max_crashes}")
        default_name = ", ".join(ids) + ("; " + ", ".join(flags) if flags else "")
        super().__init__(name=name if name is not None else default_name)
        self._nodes: list[Node[Any]] = [system.nodes[i] for i in ids]
        self._ctx = [
            Context(i, ids, rng=_CheckRandom(f"check:{i}"), chooser=self._choose) for i in ids
        ]
        self._prefix: tuple[int, ...] = ()
        self._picks: list[tuple[int, int, Any]] = []
        self._keys: dict[Any, str] = {}
        self._init: list[ActorState] | None = None
        self.symmetric: list[list[str]] = []
        if symmetric is not None:
            self.symmetric = _groups(symmetric, ids)
            for g in self.symmetric:
                kinds = {type(system.nodes[i]).__name__ for i in g}
                if len(kinds) > 1:
                    raise ValueError(
                        f"ActorModel: symmetric nodes {g} are of different classes "
                        f"{sorted(kinds)}; only nodes running the same code are interchangeable"
                    )
            self.symmetry = _ActorSymmetry(self, self.symmetric)

    # -- running handlers -------------------------------------------------------------
    def _choose(self, options: Sequence[Any]) -> Any:
        picks = self._picks
        i = len(picks)
        k = self._prefix[i] if i < len(self._prefix) else 0
        choice = options[k]
        picks.append((k, len(options), choice))
        return choice

    def _run(
        self, j: int, event: tuple[Any, ...], fn: Callable[..., Any], *args: Any
    ) -> list[Outcome]:
        """Every outcome of one handler call, one per combination of ``ctx.choose`` results."""
        ctx = self._ctx[j]
        rng = ctx.rng
        outcomes: list[Outcome] = []
        prefix: tuple[int, ...] = ()
        while True:
            self._prefix = prefix
            picks: list[tuple[int, int, Any]] = []
            self._picks = picks
            ctx.reset(event)
            if rng.used:  # type: ignore[attr-defined]
                rng.reset()  # type: ignore[attr-defined]
            try:
                state = fn(ctx, *args)
            except ProtocolError:
                raise
            except Exception as exc:
                when = (
                    "under the model checker; .trace holds the execution that led to the "
                    "state where it happened"
                )
                raise handler_error(self.ids[j], event, exc, when) from exc
            if state is None:
                handler = {"message": "on_message", "timer": "on_timer"}.get(event[0], event[0])
                check_state(state, self.ids[j], event, handler)
            effects = (ctx.sent, ctx.timers_set, ctx.timers_cancelled, ctx.persisted, ctx.records)
            if not picks:
                outcomes.append(((), state, effects))
                return outcomes
            outcomes.append((tuple(p[2] for p in picks), state, effects))
            while picks and picks[-1][0] + 1 >= picks[-1][1]:
                picks.pop()
            if not picks:
                return outcomes
            prefix = (*tuple(p[0] for p in picks[:-1]), picks[-1][0] + 1)

    def _add(
        self, network: frozenset[Any], src: str, sent: list[tuple[str, Any]]
    ) -> frozenset[Any]:
        d: dict[Any, Any] = dict(network)
        if self.fifo:
            for dst, msg in sent:
                link = (src, dst)
                d[link] = (*d.get(link, ()), msg)
        elif self.duplicating:
            for dst, msg in sent:
                d[(src, dst, msg)] = 1
        else:
            for dst, msg in sent:
                key = (src, dst, msg)
                d[key] = d.get(key, 0) + 1
        return frozenset(d.items())

    def _next(
        self,
        s: ActorState,
        j: int,
        new: Any,
        effects: Effects,
        network: frozenset[Any],
        timers: tuple[frozenset[Any], ...],
    ) -> ActorState:
        sent, timers_set, timers_cancelled, persisted, records = effects
        states = s.states
        if new is not states[j]:
            states = (*states[:j], new, *states[j + 1 :])
        if sent:
            network = self._add(network, self.ids[j], sent)
        if timers_cancelled or timers_set:
            tj = timers[j]
            if timers_cancelled:
                tj = tj.difference(timers_cancelled)
            if timers_set:
                tj = tj.union([name for name, _delay in timers_set])
            timers = (*timers[:j], tj, *timers[j + 1 :])
        durable = s.durable
        if persisted is not NOTHING_PERSISTED:
            durable = (*durable[:j], persisted, *durable[j + 1 :])
        history = s.history
        if records and self.record_history:
            node_id = self.ids[j]
            history = history + tuple((node_id, *r) for r in records)
        return ActorState(s.ids, states, network, timers, durable, s.crashes, history)

    def _key(self, value: Any) -> str:
        key = self._keys.get(value)
        if key is None:
            key = stable_repr(value)
            self._keys[value] = key
        return key

    def _elem_key(self, elem: tuple[Any, Any]) -> str:
        return self._key(elem[0])

    # -- the Model interface ------------------------------------------------------------
    def init_states(self) -> list[ActorState]:
        """Every initial state: each node's ``init``, one state per combination of choices."""
        if self._init is None:
            n = len(self.ids)
            per_node = [self._run(j, ("init",), self._nodes[j].init) for j in range(n)]
            empty = ActorState(
                self.ids,
                (None,) * n,
                frozenset(),
                (frozenset(),) * n,
                (NOTHING_PERSISTED,) * n,
                0,
                (),
            )
            out: list[ActorState] = []
            for combo in itertools.product(*per_node):
                s = empty
                for j, (_choices, state, effects) in enumerate(combo):
                    s = self._next(s, j, state, effects, s.network, s.timers)
                out.append(s)
            self._init = out
        return self._init

    def actions(self, s: ActorState) -> list[tuple[Action, ActorState]]:
        """Every action enabled in ``s`` and its next state, in a stable order: deliveries
        (by link), drops, timers (by node), crashes, restarts."""
        out: list[tuple[Action, ActorState]] = []
        append = out.append
        states = s.states
        network = s.network
        timers = s.timers
        fifo = self.fifo
        duplicating = self.duplicating
        lossy = self.lossy
        index = self.index
        nodes = self._nodes
        elems = sorted(network, key=self._elem_key) if len(network) > 1 else network
        for elem in elems:
            if fifo:
                (src, dst), queue = elem
                msg = queue[0]
                rest = network - {elem}
                if len(queue) > 1:
                    rest = rest | {((src, dst), queue[1:])}
            else:
                (src, dst, msg), count = elem
                if duplicating:
                    rest = network
                elif count == 1:
                    rest = network - {elem}
                else:
                    rest = (network - {elem}) | {((src, dst, msg), count - 1)}
            j = index[dst]
            old = states[j]
            if old is None:
                if not duplicating:  # arrives at a crashed node: lost
                    append(
                        (
                            Action("deliver", dst, src, msg),
                            ActorState(
                                s.ids, states, rest, timers, s.durable, s.crashes, s.history
                            ),
                        )
                    )
            else:
                for choices, new, effects in self._run(
                    j, ("message", src, msg), nodes[j].on_message, old, src, msg
                ):
                    append(
                        (
                            Action("deliver", dst, src, msg, choices),
                            self._next(s, j, new, effects, rest, timers),
                        )
                    )
            if lossy:
                lost = network - {elem} if duplicating else rest
                append(
                    (
                        Action("drop", dst, src, msg),
                        ActorState(s.ids, states, lost, timers, s.durable, s.crashes, s.history),
                    )
                )
        for j, tj in enumerate(timers):
            if not tj:
                continue
            old = states[j]
            if old is None:
                continue
            node_id = self.ids[j]
            names = sorted(tj, key=self._key) if len(tj) > 1 else tj
            for timer in names:
                after = (*timers[:j], tj - {timer}, *timers[j + 1 :])
                for choices, new, effects in self._run(
                    j, ("timer", timer), nodes[j].on_timer, old, timer
                ):
                    append(
                        (
                            Action("fire", node_id, None, timer, choices),
                            self._next(s, j, new, effects, network, after),
                        )
                    )
        if s.crashes < self.max_crashes:
            for j in self.crashable:
                if states[j] is None:
                    continue
                append(
                    (
                        Action("crash", self.ids[j]),
                        ActorState(
                            s.ids,
                            (*states[:j], None, *states[j + 1 :]),
                            network,
                            (*timers[:j], frozenset(), *timers[j + 1 :]),
                            s.durable,
                            s.crashes + 1,
                            s.history,
                        ),
                    )
                )
        if self.restart and s.crashes:
            for j, old in enumerate(states):
                if old is not None:
                    continue
                for choices, new, effects in self._run(
                    j, ("restart",), nodes[j].on_recover, s.durable[j]
                ):
                    append(
                        (
                            Action("restart", self.ids[j], None, None, choices),
                            self._next(s, j, new, effects, network, timers),
                        )
                    )
        return out

    # -- symmetry -----------------------------------------------------------------------
    def permute(self, s: ActorState, mapping: Mapping[Any, Any]) -> ActorState:
        """Rename nodes in ``s``: node ``i`` becomes ``mapping[i]``, everywhere."""
        n = len(self.ids)
        index = self.index
        states: list[Any] = [None] * n
        timers: list[Any] = [None] * n
        durable: list[Any] = [None] * n
        for j, node_id in enumerate(self.ids):
            k = index[mapping.get(node_id, node_id)]
            states[k] = rename(s.states[j], mapping)
            timers[k] = rename(s.timers[j], mapping)
            durable[k] = rename(s.durable[j], mapping)
        return ActorState(
            s.ids,
            tuple(states),
            rename(s.network, mapping),
            tuple(timers),
            tuple(durable),
            s.crashes,
            rename(s.history, mapping),
        )

    # -- display, fairness, errors ------------------------------------------------------
    def actor(self, action: Any) -> str | None:
        """Who takes ``action``, for the "node" column: the receiver of a delivered
        message, the owner of a timer, the node that crashes or restarts, and
        ``"network"`` for a lost message (the link loses it; the receiver never
        sees it, and ``action.src`` says who sent it)."""
        if not isinstance(action, Action):
            return None
        return "network" if action.kind == "drop" else action.node

    def fairness(self, action: Any) -> Hashable | None:
        """Deliveries (per message and link) and timers (per node and name) are weakly fair;
        drops, crashes and restarts are not."""
        if action.kind == "deliver":
            return ("deliver", action.src, action.node, action.msg)
        if action.kind == "fire":
            return ("fire", action.node, action.msg)
        return None

    def describe(self, state: ActorState) -> str:
        """Every node's state, the messages in flight and the timers set, one per line."""
        lines = []
        for node_id, st in zip(state.ids, state.states, strict=True):
            lines.append(f"  {node_id}: {'crashed' if st is None else stable_repr(st)}")
        msgs = state.messages()
        if msgs:
            lines.append(
                "  in flight: " + ", ".join(f"{a} → {b}: {stable_repr(m)}" for a, b, m in msgs)
            )
        timers = state.pending_timers()
        if timers:
            lines.append("  timers: " + ", ".join(f"{n}: {stable_repr(t)}" for n, t in timers))
        return "\n" + "\n".join(lines)

    def changes(self, before: ActorState | None, after: ActorState, action: Any) -> str:
        """What an action changed: node states, messages sent, timers, durable state."""
        if before is None:
            parts = [f"{i}: {stable_repr(s)}" for i, s in zip(after.ids, after.states, strict=True)]
            msgs = after.messages()
            if msgs:
                parts.append(
                    "in flight: " + ", ".join(f"{a} → {b}: {stable_repr(m)}" for a, b, m in msgs)
                )
            return "; ".join(parts)
        parts = []
        if isinstance(action, Action) and action.kind == "drop":
            parts.append("the message is lost")
        elif (
            isinstance(action, Action)
            and action.kind == "deliver"
            and before.node(action.node) is None
        ):
            parts.append(f"the message is lost: {action.node} is down")
        for node_id, old, new in zip(after.ids, before.states, after.states, strict=True):
            if old == new:
                continue
            if new is None:
                parts.append(f"{node_id} crashed (state and timers lost)")
            elif old is None:
                parts.append(f"{node_id} restarts as {stable_repr(new)}")
            else:
                parts.append(describe_changes(old, new, name=node_id))
        sent = Counter(after.messages())
        sent.subtract(Counter(before.messages()))
        by_msg: dict[tuple[str, str], list[str]] = {}
        for (src, dst, msg), count in sorted(sent.items(), key=lambda kv: stable_repr(kv[0])):
            if count > 0:
                by_msg.setdefault((src, stable_repr(msg)), []).extend([dst] * count)
        for (src, msg_text), dsts in sorted(by_msg.items()):
            parts.append(f"{src} sends {msg_text} to {', '.join(dsts)}")
        j = self.index.get(action.node) if isinstance(action, Action) else None
        if j is not None and after.states[j] is not None:
            was = before.timers[j] - ({action.msg} if action.kind == "fire" else set())
            for t in sorted(after.timers[j] - was, key=stable_repr):
                parts.append(f"{action.node} sets timer {stable_repr(t)}")
            for t in sorted(was - after.timers[j], key=stable_repr):
                parts.append(f"{action.node} cancels timer {stable_repr(t)}")
        for node_id, old, new in zip(after.ids, before.durable, after.durable, strict=True):
            if old != new:
                parts.append(f"{node_id} persists {stable_repr(new)}")
        for node_id, type_, f, value, key in after.history[len(before.history) :]:
            key_text = f"[{stable_repr(key)}]" if key is not None else ""
            parts.append(f"{node_id} records {type_} {f}{key_text} {stable_repr(value)}")
        return "; ".join(parts) if parts else "(no change)"

    def validate(self, state: ActorState, action: Any) -> None:
        """Name the node whose state (or recorded value) is not hashable."""
        event: tuple[Any, ...] = ("init",)
        if isinstance(action, Action):
            event = {
                "deliver": ("message", action.src, action.msg),
                "fire": ("timer", action.msg),
                "restart": ("restart",),
            }.get(action.kind, (action.kind,))
        for node_id, st in zip(state.ids, state.states, strict=True):
            if st is not None:
                handler = {"message": "on_message", "timer": "on_timer"}.get(event[0], event[0])
                check_state(st, node_id, event, handler)
        for record in state.history:
            check_hashable(record, f"a record of node {record[0]!r}")
