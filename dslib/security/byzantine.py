"""Byzantine faults: nodes that lie and equivocate, what they do to Raft, and Bracha's broadcast.

A crashed node stops; a *Byzantine* node (Lamport, Shostak and Pease, "The Byzantine Generals
Problem", 1982) does anything: it lies about its state, and it *equivocates*,
telling different nodes different things. Authentication does not help by itself: a
Byzantine node holds its own keys and signs its lies.

**Raft breaks.** Raft (``dslib.raft``) assumes crash faults: a server believes any message
with a higher term. ``ForgingRaftNode`` is a Raft server that behaves until ``forge_at``,
then tells one follower that it leads a higher term and that the log's first entry is a
command of its choosing. The follower overwrites an entry it had already committed and
applied, and ``dslib.raft.state_machine_safety`` fails (``raft_broken``).

**Bracha's reliable broadcast** (Bracha, "Asynchronous Byzantine Agreement Protocols",
Information and Computation 75, 1987, the broadcast primitive) tolerates ``f``
Byzantine nodes among ``n >= 3f + 1``. The sender sends ``Initial(v)``; a node echoes the
first initial value it gets; a node sends ``Ready(v)`` after ``echo_quorum(n, f)`` echoes of
``v`` (more than ``(n + f) / 2``) or ``f + 1`` readies of ``v``; it delivers ``v`` after
``2f + 1`` readies. A node counts one echo and one ready per sender (the first). Then, even
if the sender equivocates: no two correct nodes deliver different values (``agreement``),
no two correct nodes send ready for different values (``ready_consistency``), and if one
correct node delivers, every correct node does once the correct nodes' messages have
arrived (``totality``).

The echo quorum is where ``3f + 1`` comes from: two quorums of more than ``(n + f) / 2``
nodes share more than ``f`` nodes, so at least one correct node, which echoes one value
only. ``dslib.verify.quorums.byzantine(n, f)`` proves the same intersection with z3
(``quorum_proof``).

The same rules run as ``BrachaNode`` in the simulator (``bracha_system``, with an
``Equivocator`` that sends random, conflicting values) and as ``BrachaModel`` under the
model checker, where the Byzantine nodes may send any message to anyone at any time.
``MUTANTS`` has the echo quorum too small (``f + 1``).

Examples
--------
With a correct sender ``p0`` and a lying ``p3``, every correct node delivers the sender's value
(a simulation), and the model checker finds no state where two correct nodes disagree:

>>> from dslib.check import check
>>> from dslib.sim import Simulation
>>> states = Simulation(bracha_system(4, 1, byzantine=("p3",), value=1), seed=1).run().states
>>> sorted({s.delivered for s in correct_states(states).values()})
[1]
>>> check(BrachaModel(3, 0, byzantine=()), invariants=BRACHA_PROPERTIES).ok
True

References
----------
G. Bracha, "Asynchronous Byzantine Agreement Protocols", Information and Computation 75(2),
1987 (the broadcast primitive and its lemmas). L. Lamport, R. Shostak, M. Pease, "The
Byzantine Generals Problem", ACM TOPLAS 4(3), 1982. D. Malkhi, M. Reiter, "Byzantine Quorum
Systems", Distributed Computing 11(4), 1998 (dissemination quorums).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dslib.check.model import Model
from dslib.check.symmetry import Symmetry
from dslib.core import Context, Node, System
from dslib.mutants import check_mutant
from dslib.raft.core import AppendEntries, Command, Entry, RaftConfig, RaftNode, RaftState

__all__ = [
    "BRACHA_PROPERTIES",
    "MUTANTS",
    "BrachaModel",
    "BrachaNode",
    "BrachaState",
    "Echo",
    "Equivocator",
    "ForgingRaftNode",
    "Initial",
    "Ready",
    "agreement",
    "bracha_receive",
    "bracha_system",
    "correct_states",
    "echo_quorum",
    "quorum_proof",
    "raft_broken",
    "ready_consistency",
    "totality",
    "validity",
]

MUTANTS: dict[str, str] = {
    "small_echo_quorum": "a node sends ready after f + 1 echoes instead of more than "
    "(n + f) / 2: an equivocating sender splits the correct nodes",
}

VALUES: tuple[int, ...] = (0, 1)
"""The values an equivocating node chooses among."""


# -- Bracha's reliable broadcast ------------------------------------------------------------
@dataclass(frozen=True)
class Initial:
    """The sender's value."""

    value: int


@dataclass(frozen=True)
class Echo:
    """I got this initial value."""

    value: int


@dataclass(frozen=True)
class Ready:
    """Enough nodes echoed (or readied) this value."""

    value: int


BrachaMessage = Initial | Echo | Ready


@dataclass(frozen=True)
class BrachaState:
    """A correct node's state.

    Attributes
    ----------
    echoed : int or None
        The value it echoed (``None``: none yet).
    echoes, readies : tuple of (int, int)
        How many echoes (readies) of 0 and of 1 it has counted.
    heard_echo, heard_ready : frozenset of str
        The senders whose echo (ready) it has counted: it counts one of each per sender.
    ready : int or None
        The value it sent ready for.
    delivered : int or None
        The value it delivered.
    """

    echoed: int | None = None
    echoes: tuple[int, int] = (0, 0)
    readies: tuple[int, int] = (0, 0)
    heard_echo: frozenset[str] = frozenset()
    heard_ready: frozenset[str] = frozenset()
    ready: int | None = None
    delivered: int | None = None


def echo_quorum(n: int, f: int, mutant: str | None = None) -> int:
    """Echoes of one value needed to send ready: more than ``(n + f) / 2``.

    >>> echo_quorum(4, 1), echo_quorum(7, 2), echo_quorum(4, 1, "small_echo_quorum")
    (3, 5, 2)
    """
    _check_nf(n, f, "echo_quorum")
    if check_mutant("echo_quorum", mutant, MUTANTS) == "small_echo_quorum":
        return f + 1  # mutant small_echo_quorum: should be (n + f) // 2 + 1
    return (n + f) // 2 + 1


def _check_nf(n: int, f: int, who: str) -> None:
    for name, v in (("n", n), ("f", f)):
        if not (isinstance(v, int) and not isinstance(v, bool)):
            raise TypeError(f"{who}: {name}={v!r} must be an int")
    if not (f >= 0 and n >= 1 and f < n):
        raise ValueError(f"{who}: n={n}, f={f}: need n >= 1 and 0 <= f < n")


def _bump(counts: tuple[int, int], value: int) -> tuple[int, int]:
    return (counts[0] + 1, counts[1]) if value == 0 else (counts[0], counts[1] + 1)


def bracha_receive(
    state: BrachaState,
    src: str,
    msg: BrachaMessage,
    n: int,
    f: int,
    sender: str,
    mutant: str | None = None,
) -> tuple[BrachaState, tuple[BrachaMessage, ...]]:
    """A correct node's rules: the new state and the messages to send to every node.

    Parameters
    ----------
    state : BrachaState
    src : str
        Who sent ``msg``.
    msg : Initial, Echo or Ready
    n, f : int
        Nodes and Byzantine nodes tolerated.
    sender : str
        The broadcast's sender (only its ``Initial`` counts).
    mutant : str, optional
        A name from ``MUTANTS``.

    Examples
    --------
    >>> s, out = bracha_receive(BrachaState(), "p0", Initial(1), 4, 1, "p0")
    >>> out
    (Echo(value=1),)
    >>> for q in ("p1", "p2"):
    ...     s, out = bracha_receive(s, q, Echo(1), 4, 1, "p0")
    >>> s, out = bracha_receive(s, "p3", Echo(1), 4, 1, "p0")
    >>> out, s.ready
    ((Ready(value=1),), 1)
    """
    out: list[BrachaMessage] = []
    echoed, echoes, readies = state.echoed, state.echoes, state.readies
    heard_echo, heard_ready = state.heard_echo, state.heard_ready
    ready, delivered = state.ready, state.delivered
    if not isinstance(msg, (Initial, Echo, Ready)):
        raise TypeError(f"bracha_receive: {msg!r} is not an Initial, Echo or Ready")
    if msg.value not in VALUES:
        return state, ()  # not a value of the broadcast: ignored, as garbage is
    v = msg.value
    if isinstance(msg, Initial):
        if src != sender or echoed is not None:
            return state, ()
        echoed = v
        out.append(Echo(v))
    elif isinstance(msg, Echo):
        if src in heard_echo:
            return state, ()
        echoes = _bump(echoes, v)
        heard_echo = heard_echo | {src}
        if ready is None and echoes[v] >= echo_quorum(n, f, mutant):
            ready = v
            out.append(Ready(v))
    else:
        if src in heard_ready:
            return state, ()
        readies = _bump(readies, v)
        heard_ready = heard_ready | {src}
        if ready is None and readies[v] >= f + 1:  # amplification
            ready = v
            out.append(Ready(v))
        if delivered is None and readies[v] >= 2 * f + 1:
            delivered = v
    new = BrachaState(echoed, echoes, readies, heard_echo, heard_ready, ready, delivered)
    return new, tuple(out)


class BrachaNode(Node[BrachaState]):
    """A correct node of Bracha's broadcast (the sender too, if it is correct).

    Parameters
    ----------
    n, f : int
    sender : str
        The sender's node id.
    value : int, optional
        The value to broadcast, if this node is the sender.
    mutant : str, optional
    """

    def __init__(
        self, n: int, f: int, sender: str, value: int | None = None, mutant: str | None = None
    ) -> None:
        _check_nf(n, f, "BrachaNode")
        self.n, self.f, self.sender, self.value = n, f, sender, value
        self.mutant = check_mutant("BrachaNode", mutant, MUTANTS)

    def init(self, ctx: Context) -> BrachaState:
        if ctx.id == self.sender and self.value is not None:
            for dst in (ctx.id, *ctx.peers):
                ctx.send(dst, Initial(self.value))
        return BrachaState()

    def on_message(self, ctx: Context, state: BrachaState, src: str, msg: Any) -> BrachaState:
        state, out = bracha_receive(state, src, msg, self.n, self.f, self.sender, self.mutant)
        for m in out:
            for dst in (ctx.id, *ctx.peers):
                ctx.send(dst, m)
        return state


class Equivocator(Node[int]):
    """A Byzantine node: at start it sends each node an ``Initial`` (if it is the sender),
    an ``Echo`` and a ``Ready``, each with its own value, so different nodes get different
    ones; then it ignores everything.

    Parameters
    ----------
    sender : str
        The broadcast's sender.
    values : sequence of int, optional
        The values to send, in order (peers sorted, then initial, echo, ready), reused from
        the start if too short: a plan that hypothesis can choose. By default each value is
        drawn with ``ctx.rng``.

    Its state is 0 (it has none worth keeping).
    """

    def __init__(self, sender: str, values: tuple[int, ...] | None = None) -> None:
        if values is not None and (not values or any(v not in VALUES for v in values)):
            raise ValueError(f"Equivocator: values={values!r} must be a non-empty tuple of 0 and 1")
        self.sender = sender
        self.values = values

    def init(self, ctx: Context) -> int:
        i = 0
        for dst in ctx.peers:
            kinds: tuple[type, ...] = (Echo, Ready)
            if ctx.id == self.sender:
                kinds = (Initial, *kinds)
            for kind in kinds:
                if self.values is None:
                    value = VALUES[ctx.rng.randrange(len(VALUES))]
                else:
                    value = self.values[i % len(self.values)]
                i += 1
                ctx.send(dst, kind(value))
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state  # it has said what it wanted to say


def bracha_system(
    n: int = 4,
    f: int = 1,
    byzantine: tuple[str, ...] = ("p0",),
    sender: str = "p0",
    value: int = 1,
    mutant: str | None = None,
    lies: tuple[int, ...] | None = None,
) -> System:
    """Nodes ``p0 .. p{n-1}``; those in ``byzantine`` are ``Equivocator`` s (sending the
    values ``lies``, if given).

    Raises
    ------
    ValueError
        If ``byzantine`` names unknown nodes or more than ``f`` of them.

    Examples
    --------
    >>> from dslib.sim import Simulation
    >>> sim = Simulation(bracha_system(4, 1, byzantine=("p3",), sender="p0", value=1), seed=2).run()
    >>> sorted({s.delivered for s in correct_states(sim.states).values()})
    [1]
    """
    _check_nf(n, f, "bracha_system")
    names = [f"p{i}" for i in range(n)]
    bad = [b for b in byzantine if b not in names]
    if bad or len(set(byzantine)) > f:
        raise ValueError(
            f"bracha_system: byzantine={byzantine!r} must name at most f={f} of {names}"
        )
    if sender not in names:
        raise ValueError(f"bracha_system: sender={sender!r} is not one of {names}")
    nodes: dict[str, Node[Any]] = {
        p: Equivocator(sender, lies) if p in byzantine else BrachaNode(n, f, sender, value, mutant)
        for p in names
    }
    return System(nodes)


def correct_states(states: Mapping[str, Any]) -> dict[str, BrachaState]:
    """The correct nodes' states (the ``BrachaState`` values), sorted by node.

    >>> list(correct_states({"p1": BrachaState(), "p0": 0}))
    ['p1']
    """
    nodes = getattr(states, "nodes", states)
    return {k: nodes[k] for k in sorted(nodes) if isinstance(nodes[k], BrachaState)}


# -- the model -------------------------------------------------------------------------------
Flight = tuple[tuple[tuple[str, str, BrachaMessage], int], ...]


@dataclass(frozen=True)
class BrachaModelState:
    """Correct nodes' states (in node order) and the correct nodes' messages in flight.

    ``in_flight`` is a multiset: ``((src, dst, msg), copies)`` sorted. A correct node sends
    each kind of message once, so who sent an echo or a ready to a node no longer matters to
    it once counted: the model writes ``"*"`` for such a source and keeps, in each node's
    ``heard_*`` sets, only the Byzantine senders (the ones that could send again). This
    merges states that differ only by which correct node sent what, and nothing else.
    """

    nodes: tuple[tuple[str, BrachaState], ...]
    in_flight: Flight


def _swap_values(state: BrachaModelState, mapping: Mapping[Any, Any]) -> BrachaModelState:
    """``state`` with the values renamed by ``mapping`` (for the symmetry 0 <-> 1)."""

    def v(x: int | None) -> int | None:
        return None if x is None else int(mapping[x])

    def counts(c: tuple[int, int]) -> tuple[int, int]:
        return (c[0], c[1]) if mapping[0] == 0 else (c[1], c[0])

    nodes = tuple(
        (
            p,
            replace(
                s,
                echoed=v(s.echoed),
                echoes=counts(s.echoes),
                readies=counts(s.readies),
                ready=v(s.ready),
                delivered=v(s.delivered),
            ),
        )
        for p, s in state.nodes
    )
    flight = tuple(
        sorted(
            (((src, dst, type(m)(mapping[m.value])), c) for (src, dst, m), c in state.in_flight),
            key=_flight_key,
        )
    )
    return BrachaModelState(nodes, flight)


_SWAP = {None: None, 0: 1, 1: 0}
_KIND = {Initial: 0, Echo: 1, Ready: 2}


def _flight_key(item: tuple[tuple[str, str, BrachaMessage], int]) -> tuple[str, str, int, int]:
    (src, dst, msg), _ = item
    return (src, dst, _KIND[type(msg)], msg.value)


def _value_orbit(state: BrachaModelState) -> frozenset[tuple[Any, ...]]:
    """The state and its image with 0 and 1 swapped, as plain tuples: one key per orbit."""
    plain = []
    swapped = []
    for p, s in state.nodes:
        he, hr = s.heard_echo, s.heard_ready
        plain.append((p, s.echoed, s.echoes, s.readies, he, hr, s.ready, s.delivered))
        swapped.append(
            (
                p,
                _SWAP[s.echoed],
                s.echoes[::-1],
                s.readies[::-1],
                he,
                hr,
                _SWAP[s.ready],
                _SWAP[s.delivered],
            )
        )
    flight = frozenset((src, dst, type(m), m.value, c) for (src, dst, m), c in state.in_flight)
    flipped = frozenset((src, dst, k, 1 - v, c) for src, dst, k, v, c in flight)
    return frozenset({(tuple(plain), flight), (tuple(swapped), flipped)})


class BrachaModel(Model[BrachaModelState]):
    """Bracha's broadcast for the model checker, with Byzantine nodes that may send anything.

    Correct nodes' messages are in flight until delivered, in any order. A Byzantine node
    may, at any moment, send any correct node any ``Initial`` (if it is the sender), ``Echo``
    or ``Ready`` for any value; since a correct node counts the first of each kind from each
    sender, that covers every Byzantine behaviour. A correct node's message to itself is
    handled at once.

    Parameters
    ----------
    n, f : int
    byzantine : tuple of str, default ("p0",)
        The Byzantine nodes (at most ``f``).
    sender : str, default "p0"
    value : int, default 1
        The value a correct sender broadcasts.
    mutant : str, optional

    Notes
    -----
    A step of one node and a step of another *commute*: each reads and changes only its own
    state and adds messages to the others' queues, and neither disables the other. So in
    each state only the first node that can take a step does (its set of steps is a
    *persistent set*, Godefroid 1996, chapter 4). Every final state is still reached, and so
    is every violation of a property that stays violated once it is (``agreement``,
    ``ready_consistency``, ``validity``: a value readied or delivered is never taken back);
    intermediate states are skipped, so ``totality`` is checked in the simulator, on the final
    states of runs, not here. When the sender is Byzantine, no value is special: the model
    counts states up to swapping 0 and 1 (``symmetry``).
    """

    def __init__(
        self,
        n: int = 4,
        f: int = 1,
        byzantine: tuple[str, ...] = ("p0",),
        sender: str = "p0",
        value: int = 1,
        mutant: str | None = None,
    ) -> None:
        _check_nf(n, f, "BrachaModel")
        self.names = tuple(f"p{i}" for i in range(n))
        if any(b not in self.names for b in byzantine) or len(set(byzantine)) > f:
            raise ValueError(
                f"BrachaModel: byzantine={byzantine!r} must name at most f={f} of {self.names}"
            )
        if sender not in self.names:
            raise ValueError(f"BrachaModel: sender={sender!r} is not one of {self.names}")
        self.n, self.f, self.sender, self.value = n, f, sender, value
        self.byzantine = tuple(sorted(set(byzantine)))
        self.correct = tuple(p for p in self.names if p not in self.byzantine)
        self.mutant = check_mutant("BrachaModel", mutant, MUTANTS)
        super().__init__(name=f"Bracha(n={n}, f={f}, byzantine={self.byzantine})")
        if sender in self.byzantine:  # no correct value: 0 and 1 are interchangeable
            self.symmetry = Symmetry(_swap_values, list(VALUES), key=_value_orbit)

    def _forget(self, state: BrachaState) -> BrachaState:
        byz = frozenset(self.byzantine)
        if state.heard_echo <= byz and state.heard_ready <= byz:
            return state
        s = state
        return BrachaState(
            s.echoed,
            s.echoes,
            s.readies,
            s.heard_echo & byz,
            s.heard_ready & byz,
            s.ready,
            s.delivered,
        )

    def _handle(
        self,
        nodes: dict[str, BrachaState],
        flight: dict[tuple[str, str, BrachaMessage], int],
        dst: str,
        src: str,
        msg: BrachaMessage,
    ) -> None:
        todo = [(dst, src, msg)]
        while todo:
            d, s, m = todo.pop(0)
            new, out = bracha_receive(nodes[d], s, m, self.n, self.f, self.sender, self.mutant)
            nodes[d] = self._forget(new)
            for o in out:
                todo.append((d, "*", o))  # to itself, at once
                for q in self.correct:
                    if q != d:
                        key = ("*", q, o)
                        flight[key] = flight.get(key, 0) + 1

    def _state(
        self, nodes: dict[str, BrachaState], flight: dict[tuple[str, str, BrachaMessage], int]
    ) -> BrachaModelState:
        return BrachaModelState(
            tuple(sorted(nodes.items())),
            tuple(sorted(((k, c) for k, c in flight.items() if c), key=_flight_key)),
        )

    def init_states(self) -> list[BrachaModelState]:
        nodes = {p: BrachaState() for p in self.correct}
        flight: dict[tuple[str, str, BrachaMessage], int] = {}
        if self.sender in self.correct:
            for q in self.correct:
                if q != self.sender:
                    flight[(self.sender, q, Initial(self.value))] = 1
            self._handle(nodes, flight, self.sender, self.sender, Initial(self.value))
        return [self._state(nodes, flight)]

    def actions(self, state: BrachaModelState) -> Iterator[tuple[str, BrachaModelState]]:
        # Only the first node (in order) that can take a step does (see the class's Notes).
        for dst, local in state.nodes:
            steps = list(self._steps(state, dst, local))
            if steps:
                yield from steps
                return

    def _steps(
        self, state: BrachaModelState, dst: str, local: BrachaState
    ) -> Iterator[tuple[str, BrachaModelState]]:
        for (src, to, msg), _ in state.in_flight:
            if to != dst:
                continue
            nodes = dict(state.nodes)
            flight = dict(state.in_flight)
            flight[(src, dst, msg)] -= 1
            self._handle(nodes, flight, dst, src, msg)
            who = "a correct node" if src == "*" else src
            yield (f"{dst} receives {msg} from {who}", self._state(nodes, flight))
        for b in self.byzantine:
            options: list[BrachaMessage] = []
            if b == self.sender and local.echoed is None:
                options += [Initial(v) for v in VALUES]
            if b not in local.heard_echo:
                options += [Echo(v) for v in VALUES]
            if b not in local.heard_ready:
                options += [Ready(v) for v in VALUES]
            for msg in options:
                nodes = dict(state.nodes)
                flight = dict(state.in_flight)
                self._handle(nodes, flight, dst, b, msg)
                yield (f"{dst} receives {msg} from {b} (Byzantine)", self._state(nodes, flight))

    def describe(self, state: BrachaModelState) -> str:
        parts = [
            f"{p}: echoed={s.echoed} ready={s.ready} delivered={s.delivered}"
            for p, s in state.nodes
        ]
        return "; ".join(parts) + f"; {sum(c for _, c in state.in_flight)} in flight"

    def changes(self, before: BrachaModelState | None, after: BrachaModelState, action: Any) -> str:
        if before is None:
            return self.describe(after)
        out = []
        for (p, a), (_, b) in zip(before.nodes, after.nodes, strict=True):
            for name in ("echoed", "ready", "delivered"):
                if getattr(a, name) != getattr(b, name):
                    out.append(f"{p}.{name} = {getattr(b, name)}")
        return "; ".join(out) if out else "(counts only)"

    def actor(self, action: Any) -> str | None:
        return str(action).split(" ", 1)[0]


def _locals(state: Any) -> list[BrachaState]:
    if isinstance(state, BrachaModelState):
        return [s for _, s in state.nodes]
    return list(correct_states(state).values())


def agreement(state: Any) -> bool:
    """No two correct nodes deliver different values.

    >>> agreement({"p1": BrachaState(delivered=0), "p2": BrachaState(delivered=1)})
    False
    """
    return len({s.delivered for s in _locals(state) if s.delivered is not None}) <= 1


def ready_consistency(state: Any) -> bool:
    """No two correct nodes send ready for different values (Bracha 1987, Lemma 1's core).

    >>> ready_consistency({"p1": BrachaState(ready=0), "p2": BrachaState(ready=1)})
    False
    """
    return len({s.ready for s in _locals(state) if s.ready is not None}) <= 1


def totality(state: Any) -> bool:
    """Once no correct node's message is in flight: every correct node delivered, or none.

    (In a simulation's final states every message has arrived; in the model, states with
    correct messages in flight are not judged.)

    >>> totality({"p1": BrachaState(delivered=1), "p2": BrachaState()})
    False
    """
    if isinstance(state, BrachaModelState) and any(c for _, c in state.in_flight):
        return True
    done = [s.delivered is not None for s in _locals(state)]
    return all(done) or not any(done)


def validity(value: int) -> Any:
    """A property: correct nodes deliver only ``value`` (for a correct sender of ``value``).

    >>> validity(1)({"p1": BrachaState(delivered=0)})
    False
    """

    def valid(state: Any) -> bool:
        return all(s.delivered in (None, value) for s in _locals(state))

    valid.__name__ = f"validity({value})"
    valid.__doc__ = f"Correct nodes deliver only the correct sender's value {value}."
    return valid


BRACHA_PROPERTIES = {
    "agreement": agreement,
    "ready_consistency": ready_consistency,
    "totality": totality,
}
"""The properties that hold even when the sender equivocates."""


def quorum_proof(n: int, f: int) -> Any:
    """z3's answer for ``n`` nodes and ``f`` faults: do any two quorums of ``n - f`` share a
    correct node (``f + 1`` nodes)? Calls ``dslib.verify.quorums.prove_intersection``.

    >>> quorum_proof(4, 1)
    proved: every two quorums (any 3 of the 4 nodes n1..n4) share at least 2 nodes
    >>> quorum_proof(3, 1).holds
    False
    """
    from dslib.verify.quorums import byzantine, prove_intersection

    _check_nf(n, f, "quorum_proof")
    return prove_intersection(byzantine(n, f))


# -- Raft under one Byzantine server ---------------------------------------------------------
class ForgingRaftNode(RaftNode):
    """A Raft server that follows the rules until ``forge_at``, then lies to ``victim``.

    It sends ``victim`` an ``AppendEntries`` of a term higher than any it knows, as leader,
    whose first entry is a command of its own, with a commit index that covers it. Raft
    believes a higher term (Figure 2, "Rules for all servers"), so the victim replaces the
    entry it had committed and applied.

    Parameters
    ----------
    victim : str
    forge_at : float, default 600.0
    config : RaftConfig, optional
    """

    def __init__(
        self, victim: str, forge_at: float = 600.0, config: RaftConfig | None = None
    ) -> None:
        super().__init__(config)
        self.victim, self.forge_at = victim, forge_at

    def init(self, ctx: Context) -> RaftState:
        ctx.set_timer("forge", self.forge_at)
        return super().init(ctx)

    def on_timer(self, ctx: Context, state: RaftState, timer: Any) -> RaftState:
        if timer != "forge":
            return super().on_timer(ctx, state, timer)
        term = state.current_term + 5
        lie = Entry(term, Command(ctx.id, 1, ("put", "owner", "mallory")))
        ctx.send(self.victim, AppendEntries(term, ctx.id, 0, 0, (lie,), 1))
        return state


def raft_broken(seed: int = 1, until: float = 1000.0, forge: bool = True) -> dict[str, Any]:
    """Three Raft servers, ``s3`` forging entries to ``s1`` (if ``forge``); checked after
    every event with ``dslib.raft.state_machine_safety``.

    Returns
    -------
    dict
        ``state_machine_safety``: False if it failed at some point; ``time``: when it first
        failed (``None`` if never); ``entries``: each server's first log entry and commit
        index at that moment (or at the end).

    Examples
    --------
    >>> out = raft_broken(seed=1)
    >>> out["state_machine_safety"], out["time"]
    (False, 601.0)
    >>> raft_broken(seed=1, forge=False)["state_machine_safety"]
    True
    """
    from dslib.raft.core import state_machine_safety
    from dslib.sim import Simulation

    honest = RaftNode()
    third: RaftNode = ForgingRaftNode("s1") if forge else honest
    sim = Simulation(System({"s1": honest, "s2": honest, "s3": third}), seed=seed)
    failed_at = None
    while sim.now <= until and sim.step():
        if not state_machine_safety(sim.states):
            failed_at = sim.now
            break
    entries = {
        name: (s.log[0] if s.log else None, s.commit_index)
        for name, s in sorted(sim.states.items())
    }
    return {"state_machine_safety": failed_at is None, "time": failed_at, "entries": entries}
