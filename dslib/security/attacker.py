"""The attacker who is the network (Dolev and Yao 1983).

Dolev and Yao's model of an attacker ("On the Security of Public Key Protocols", 1983,
the model of the adversary) is the one every protocol analysis starts from: the attacker
*is* the network. It reads every message, and it can drop, delay, replay, reorder and
redirect them, and send messages of its own, built from what it has learned. The one thing
it cannot do is break the cryptography: it decrypts a ciphertext only with the matching
key, and it signs or computes a MAC only with a key it holds.

This module gives that attacker in two forms.

**Symbolic** (for the model checker). Messages are *terms*: ``Atom`` (an agent name, a
nonce, a piece of data), keys (``PublicKey``, ``PrivateKey``, ``SharedKey``), ``Tup``
(concatenation), ``Enc`` (encryption), ``Sign`` and ``Mac``. ``Knowledge`` is what the
attacker knows, closed under *analysis* (split tuples, decrypt with keys it holds, read
signed bodies); ``Knowledge.can_build`` decides *synthesis* (build a term from parts it
knows); ``compose`` lists every term it can build up to a depth: the bound on what it
composes that keeps a model checker's search finite. ``dslib.security.needham_schroeder``
uses these.

**In the simulator** (and under hypothesis, and the model checker's ``ActorModel``).
``attacked(system)`` rewires a ``System`` so that every message goes through an
``AttackerNode``: each node is wrapped in a ``Wired`` node whose sends are addressed to the
attacker (``Intercepted``), and which accepts only what the attacker forwards
(``Forwarded``, carrying the source the attacker *claims*: addresses are not
authenticated). The attacker learns every message (``AttackerState.knowledge``, the
messages and every field inside them), then decides: forward, drop, delay, replay,
reorder, redirect, modify or forge. It decides with ``ctx.rng`` (the simulator), by a
fixed ``plan`` (a hypothesis schedule, ``attack_plans``), or with ``ctx.choose`` when
``exhaustive=True`` (the model checker explores every decision).

Each ``Forwarded`` message carries the name of the attack that produced it (``None`` for
an honest forward). The protocol never reads it: it is the experiment's ground truth, so
that the ``Wired`` node can count, per attack, how many such messages the protocol
*accepted* (``Wired.judge``).

Examples
--------
Symbolic: the attacker sees ``{N, A}`` encrypted for ``B``; it cannot read ``N`` unless it
holds ``B``'s private key.

>>> A, B, N = Atom("A"), Atom("B"), Atom("N")
>>> seen = Enc(PublicKey("B"), Tup((N, A)))
>>> k = Knowledge.initial([A, B, PublicKey("A"), PublicKey("B")]).learn(seen)
>>> k.knows(N), k.can_build(Enc(PublicKey("B"), Tup((A, A))))
(False, True)
>>> k.learn(PrivateKey("B")).knows(N)
True

In the simulator: a pinger whose messages pass through the attacker.

>>> from dslib.sim import Simulation
>>> from dslib.core import Node, System
>>> class Pinger(Node[int]):
...     def init(self, ctx):
...         ctx.send("ponger", "ping")
...         return 0
>>> class Ponger(Node[int]):
...     def init(self, ctx):
...         return 0
...     def on_message(self, ctx, state, src, msg):
...         return state + 1
>>> system = attacked(System({"pinger": Pinger(), "ponger": Ponger()}), rate=0.0)
>>> sim = Simulation(system, seed=1).run()
>>> sim.states["ponger"].inner, sorted(sim.states["attacker"].knowledge)
(1, ['ping'])
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System, stable_repr

__all__ = [
    "ATTACKS",
    "Atom",
    "AttackerNode",
    "AttackerState",
    "Enc",
    "Forwarded",
    "Intercepted",
    "Knowledge",
    "Mac",
    "PrivateKey",
    "PublicKey",
    "SharedKey",
    "Sign",
    "Term",
    "Tup",
    "Wired",
    "WiredState",
    "attack_counts",
    "attack_plans",
    "attacked",
    "compose",
    "fields_of",
    "inverse",
]


# -- the symbolic attacker ----------------------------------------------------------------
@dataclass(frozen=True, order=True)
class Atom:
    """An atomic term: an agent's name, a nonce, a piece of data.

    >>> Atom("Na")
    Atom('Na')
    """

    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Atom: name={self.name!r} must be a non-empty string")

    def __repr__(self) -> str:
        return f"Atom({self.name!r})"

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, order=True)
class PublicKey:
    """An agent's public key, ``pk(agent)``: known to everyone, encrypts for the agent."""

    agent: str

    def __str__(self) -> str:
        return f"pk({self.agent})"


@dataclass(frozen=True, order=True)
class PrivateKey:
    """An agent's private key, ``sk(agent)``: decrypts what ``pk(agent)`` encrypted, signs."""

    agent: str

    def __str__(self) -> str:
        return f"sk({self.agent})"


@dataclass(frozen=True, order=True)
class SharedKey:
    """A symmetric key ``k(name)``: encrypts, decrypts and computes MACs."""

    name: str

    def __str__(self) -> str:
        return f"k({self.name})"


@dataclass(frozen=True)
class Tup:
    """A concatenation of terms, ``<t1, t2, ...>``: anyone who has it has every part.

    >>> str(Tup((Atom("Na"), Atom("A"))))
    'Na, A'
    """

    items: tuple[Term, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.items, tuple) or not self.items:
            raise TypeError(f"Tup: items={self.items!r} must be a non-empty tuple of terms")
        for item in self.items:
            _check_term(item, "Tup")

    def __str__(self) -> str:
        return ", ".join(str(i) for i in self.items)


@dataclass(frozen=True)
class Enc:
    """``{body}key``: readable only with the inverse of ``key`` (see ``inverse``).

    >>> str(Enc(PublicKey("B"), Tup((Atom("Na"), Atom("A")))))
    '{Na, A}pk(B)'
    """

    key: Key
    body: Term

    def __post_init__(self) -> None:
        if not isinstance(self.key, (PublicKey, SharedKey)):
            raise TypeError(
                f"Enc: key={self.key!r} must be a PublicKey or a SharedKey "
                "(a private key signs: use Sign)"
            )
        _check_term(self.body, "Enc")

    def __str__(self) -> str:
        return f"{{{self.body}}}{self.key}"


@dataclass(frozen=True)
class Sign:
    """``sig_sk(body)``: the body with a signature; anyone reads the body, only the key's
    holder makes one."""

    key: PrivateKey
    body: Term

    def __post_init__(self) -> None:
        if not isinstance(self.key, PrivateKey):
            raise TypeError(f"Sign: key={self.key!r} must be a PrivateKey")
        _check_term(self.body, "Sign")

    def __str__(self) -> str:
        return f"sig[{self.key}]({self.body})"


@dataclass(frozen=True)
class Mac:
    """``mac_k(body)``: a tag that reveals nothing of the body; only the key's holder makes one."""

    key: SharedKey
    body: Term

    def __post_init__(self) -> None:
        if not isinstance(self.key, SharedKey):
            raise TypeError(f"Mac: key={self.key!r} must be a SharedKey")
        _check_term(self.body, "Mac")

    def __str__(self) -> str:
        return f"mac[{self.key}]({self.body})"


Key = PublicKey | PrivateKey | SharedKey
Term = Atom | PublicKey | PrivateKey | SharedKey | Tup | Enc | Sign | Mac
_TERM_TYPES = (Atom, PublicKey, PrivateKey, SharedKey, Tup, Enc, Sign, Mac)
_KEY_TYPES = (PublicKey, PrivateKey, SharedKey)


def _check_term(value: object, where: str) -> None:
    if not isinstance(value, _TERM_TYPES):
        raise TypeError(
            f"{where}: {value!r} is not a term; allowed: Atom, PublicKey, PrivateKey, "
            "SharedKey, Tup, Enc, Sign, Mac"
        )


def inverse(key: Key) -> Key:
    """The key that undoes ``key``: ``sk(A)`` for ``pk(A)``; a shared key is its own inverse.

    >>> inverse(PublicKey("A")), inverse(SharedKey("ab"))
    (PrivateKey(agent='A'), SharedKey(name='ab'))
    """
    if isinstance(key, PublicKey):
        return PrivateKey(key.agent)
    if isinstance(key, PrivateKey):
        return PublicKey(key.agent)
    if isinstance(key, SharedKey):
        return key
    raise TypeError(f"inverse: {key!r} is not a key (PublicKey, PrivateKey or SharedKey)")


def _analyse(terms: Iterable[Term]) -> frozenset[Term]:
    """Close a set of terms under analysis: split tuples, read signed bodies, decrypt with
    keys held. Repeats until nothing new appears (a key learned later opens older
    ciphertexts)."""
    known: set[Term] = set()
    todo = list(terms)
    for t in todo:
        _check_term(t, "Knowledge")
    while True:
        while todo:
            t = todo.pop()
            if t in known:
                continue
            known.add(t)
            if isinstance(t, Tup):
                todo.extend(t.items)
            elif isinstance(t, Sign):
                todo.append(t.body)
        opened = [
            t.body
            for t in known
            if isinstance(t, Enc) and inverse(t.key) in known and t.body not in known
        ]
        if not opened:
            return frozenset(known)
        todo.extend(opened)


@dataclass(frozen=True)
class Knowledge:
    """What the attacker knows: a set of terms closed under analysis.

    Build with ``Knowledge.initial(terms)``; ``learn`` adds a term (and everything analysis
    gets out of it). Immutable and hashable, so it can be part of a model checker's state.

    Attributes
    ----------
    terms : frozenset of Term
        The analysed terms (never composed ones: those are decided by ``can_build``).

    Examples
    --------
    >>> k = Knowledge.initial([Atom("A"), SharedKey("ab")])
    >>> k.learn(Enc(SharedKey("ab"), Atom("secret"))).knows(Atom("secret"))
    True
    >>> k.can_build(Mac(SharedKey("ab"), Atom("A"))), k.can_build(Mac(SharedKey("cd"), Atom("A")))
    (True, False)
    """

    terms: frozenset[Term]

    @classmethod
    def initial(cls, terms: Iterable[Term]) -> Knowledge:
        """Knowledge of ``terms`` and everything their analysis yields."""
        if isinstance(terms, (str, bytes)) or not isinstance(terms, Iterable):
            raise TypeError(f"Knowledge.initial: terms={terms!r} must be an iterable of terms")
        return cls(_analyse(terms))

    def learn(self, *terms: Term) -> Knowledge:
        """The knowledge after also seeing ``terms``."""
        new = [t for t in terms if t not in self.terms]
        if not new:
            for t in terms:
                _check_term(t, "Knowledge.learn")
            return self
        return Knowledge(_analyse([*self.terms, *new]))

    def knows(self, term: Term) -> bool:
        """``term`` is among the analysed terms (the attacker *has* it, not only builds it)."""
        return term in self.terms

    def can_build(self, term: Term) -> bool:
        """Can the attacker produce ``term``? Known, or composed from parts it can produce.

        Encrypting needs the key (a public key is known to all when in the initial
        knowledge); signing needs the private key; a MAC needs the shared key.
        """
        _check_term(term, "Knowledge.can_build")
        return self._build(term)

    def _build(self, term: Term) -> bool:
        if term in self.terms:
            return True
        if isinstance(term, Tup):
            return all(self._build(i) for i in term.items)
        if isinstance(term, (Enc, Sign, Mac)):
            return self._build(term.key) and self._build(term.body)
        return False

    def atoms(self) -> tuple[Term, ...]:
        """The atoms and keys known, sorted (what compositions are built from)."""
        return tuple(sorted((t for t in self.terms if isinstance(t, (Atom, *_KEY_TYPES))), key=str))

    def __len__(self) -> int:
        return len(self.terms)

    def __repr__(self) -> str:
        return "Knowledge({" + ", ".join(sorted(str(t) for t in self.terms)) + "})"


def compose(knowledge: Knowledge, depth: int, arity: int = 2) -> frozenset[Term]:
    """Every term the attacker can build with at most ``depth`` nested constructors.

    Depth 0 is what it knows; depth ``d + 1`` adds tuples of up to ``arity`` terms of depth
    ``d``, and encryptions, signatures and MACs of them under keys it knows. This is the
    bound on composition that keeps a search finite: the set grows very fast with ``depth``.

    Parameters
    ----------
    knowledge : Knowledge
    depth : int
        0, 1 or 2 in practice.
    arity : int, default 2
        The longest tuple built.

    Returns
    -------
    frozenset of Term

    Raises
    ------
    ValueError
        If ``depth`` or ``arity`` is out of range.

    Examples
    --------
    >>> k = Knowledge.initial([Atom("A"), PublicKey("B")])
    >>> sorted(str(t) for t in compose(k, 1, arity=1))
    ['A', 'pk(B)', '{A}pk(B)', '{pk(B)}pk(B)']
    """
    if not isinstance(knowledge, Knowledge):
        raise TypeError(f"compose: knowledge={knowledge!r} must be a Knowledge")
    if not (isinstance(depth, int) and not isinstance(depth, bool) and 0 <= depth <= 3):
        raise ValueError(f"compose: depth={depth!r} must be an int from 0 to 3")
    if not (isinstance(arity, int) and not isinstance(arity, bool) and 1 <= arity <= 3):
        raise ValueError(f"compose: arity={arity!r} must be an int from 1 to 3")
    level: set[Term] = set(knowledge.terms)
    keys = [t for t in knowledge.terms if isinstance(t, _KEY_TYPES)]
    for _ in range(depth):
        parts = sorted(level, key=stable_repr)
        new: set[Term] = set(level)
        for n in range(2, arity + 1):
            for combo in itertools.product(parts, repeat=n):
                new.add(Tup(combo))
        for body in parts:
            for key in keys:
                if isinstance(key, (PublicKey, SharedKey)):
                    new.add(Enc(key, body))
                if isinstance(key, PrivateKey):
                    new.add(Sign(key, body))
                if isinstance(key, SharedKey):
                    new.add(Mac(key, body))
        level = new
    return frozenset(level)


# -- the attacker in the simulator ----------------------------------------------------------
ATTACKS: tuple[str, ...] = (
    "drop",
    "delay",
    "replay",
    "reorder",
    "redirect",
    "modify",
    "forge",
)
"""What the attacker may do to a message instead of forwarding it."""


@dataclass(frozen=True)
class Intercepted:
    """What a wired node sends: a message for ``dst``, handed to the attacker (the network)."""

    dst: str
    msg: Hashable


@dataclass(frozen=True)
class Forwarded:
    """What the attacker hands a wired node: ``msg``, claimed to come from ``src``.

    ``attack`` names the attack that produced it (``None``: an honest forward). The
    protocol never sees it; the ``Wired`` node counts acceptances per attack with it.
    """

    src: str
    msg: Hashable
    attack: str | None = None


def fields_of(value: Any) -> list[Hashable]:
    """Every value inside a message: the message, its fields, their fields, ...

    Dataclasses are opened field by field, tuples and frozensets item by item; strings,
    numbers and ``bytes`` are leaves (a ciphertext is an opaque ``bytes``).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Req:
    ...     seq: int
    ...     body: tuple
    >>> fields_of(Req(1, ("a", b"x")))
    [Req(seq=1, body=('a', b'x')), 1, ('a', b'x'), 'a', b'x']
    """
    out: list[Hashable] = []
    todo: list[Any] = [value]
    while todo:
        v = todo.pop(0)
        out.append(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            todo.extend(getattr(v, f.name) for f in dataclasses.fields(v))
        elif isinstance(v, tuple):
            todo.extend(v)
        elif isinstance(v, frozenset):
            todo.extend(sorted(v, key=stable_repr))
    return out


@dataclass(frozen=True)
class AttackerState:
    """The attacker's state.

    Attributes
    ----------
    knowledge : frozenset
        Every message it has seen and every value inside one (see ``fields_of``), plus
        whatever its ``analyse`` function extracted with the keys it holds.
    seen : tuple of (src, dst, msg)
        The messages intercepted, in order.
    held : tuple of (id, src, dst, msg, attack)
        Messages held back (delayed, or waiting to be reordered).
    forwarded : tuple of (src, dst, msg)
        The messages it passed on unchanged, in order: what a replay repeats.
    log : tuple of (attack, src, dst)
        What it did, in order (``"forward"`` for an honest forward).
    step : int
        How many decisions it has taken (the position in a ``plan``).
    counter : int
        Ids for held messages.
    """

    knowledge: frozenset[Hashable] = frozenset()
    seen: tuple[tuple[str, str, Hashable], ...] = ()
    held: tuple[tuple[int, str, str, Hashable, str | None], ...] = ()
    forwarded: tuple[tuple[str, str, Hashable], ...] = ()
    log: tuple[tuple[str, str, str], ...] = ()
    step: int = 0
    counter: int = 0

    def counts(self) -> dict[str, int]:
        """How many times it did each thing, sorted by name."""
        out: dict[str, int] = {}
        for attack, _, _ in self.log:
            out[attack] = out.get(attack, 0) + 1
        return dict(sorted(out.items()))


def _known_of_type(knowledge: frozenset[Hashable], kind: type) -> list[Any]:
    return sorted((v for v in knowledge if type(v) is kind), key=lambda v: (len(stable_repr(v)), v))


def _flip(data: bytes, where: int) -> bytes:
    i = where % len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


class AttackerNode(Node[AttackerState]):
    """The network, in the attacker's hands (Dolev-Yao).

    Parameters
    ----------
    attacks : sequence of str, default ``ATTACKS``
        What it may do instead of forwarding (a subset of ``ATTACKS``).
    rate : float, default 0.3
        In the simulator: the probability that a message is attacked rather than
        forwarded (the attack drawn uniformly from ``attacks``).
    plan : sequence of str, optional
        A fixed schedule: the i-th intercepted message gets the i-th decision
        (``"forward"`` or an attack); after the plan, messages are forwarded. A hypothesis
        strategy for plans: ``attack_plans``.
    exhaustive : bool, default False
        Decide with ``ctx.choose`` among ``"forward"`` and every attack, so that the model
        checker explores each.
    delay : float, default 5.0
        How long a delayed message waits.
    hold : float, default 25.0
        How long a message held for reordering waits for a later one on its link, at most
        (then it goes out as merely delayed).
    counter_fields : tuple of str, default ("seq",)
        Integer fields a replay may renumber (to the largest value seen plus one), so that
        an old message looks fresh.
    analyse : callable, optional
        ``analyse(value, knowledge) -> iterable`` of more values the attacker gets out of a
        value it has seen with what it knows (e.g. decrypts with a key it holds). By
        default it learns only the fields of messages: it opens no ciphertext.
    keys : iterable, optional
        Values it knows from the start (keys it holds, its own identity).

    Notes
    -----
    ``modify`` changes one field of the message: an ``int`` by one, a ``str`` or ``bytes``
    to another value of that type it knows, or one bit of a ``bytes``. ``forge`` builds a
    new message of a type it has seen, every field from its knowledge (``bytes`` fields are
    its own garbage of the right length: it cannot compute a tag or a ciphertext without
    the key). ``redirect`` sends the message to another node than its destination.
    ``reorder`` holds the message until the next one on the same link has been forwarded
    (that next one is forwarded unchanged), or until ``delay`` passes. ``replay`` forwards the
    message, then repeats one it forwarded earlier on the same link (this one included),
    half the time renumbered. ``forge`` forwards the message, then sends a forgery. With a
    constant network latency, a repeat always arrives after its original.
    """

    def __init__(
        self,
        attacks: Sequence[str] = ATTACKS,
        rate: float = 0.3,
        plan: Sequence[str] | None = None,
        exhaustive: bool = False,
        delay: float = 5.0,
        hold: float = 25.0,
        counter_fields: tuple[str, ...] = ("seq",),
        analyse: Callable[[Hashable, frozenset[Hashable]], Iterable[Hashable]] | None = None,
        keys: Iterable[Hashable] = (),
    ) -> None:
        if isinstance(attacks, str) or not all(a in ATTACKS for a in attacks):
            raise ValueError(
                f"AttackerNode: attacks={attacks!r} must be a sequence of names from {ATTACKS}"
            )
        if not (isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate <= 1):
            raise ValueError(f"AttackerNode: rate={rate!r} must be a probability from 0 to 1")
        if plan is not None:
            if isinstance(plan, str):
                raise TypeError("AttackerNode: plan must be a sequence of decisions, not a str")
            bad = [p for p in plan if p != "forward" and p not in ATTACKS]
            if bad:
                raise ValueError(
                    f"AttackerNode: plan has unknown decisions {bad}; allowed: 'forward' "
                    f"or one of {ATTACKS}"
                )
        for name, value in (("delay", delay), ("hold", hold)):
            if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0):
                raise ValueError(f"AttackerNode: {name}={value!r} must be a number > 0")
        if analyse is not None and not callable(analyse):
            raise TypeError("AttackerNode: analyse must be a function (value, knowledge)")
        self.attacks = tuple(attacks)
        self.rate = float(rate)
        self.plan = None if plan is None else tuple(plan)
        self.exhaustive = bool(exhaustive)
        self.delay = float(delay)
        self.hold = float(hold)
        self.counter_fields = tuple(counter_fields)
        self.analyse = analyse
        self.keys = frozenset(keys)

    def init(self, ctx: Context) -> AttackerState:
        return AttackerState(knowledge=self.keys)

    # -- learning -----------------------------------------------------------------------
    def learn(self, knowledge: frozenset[Hashable], msg: Hashable) -> frozenset[Hashable]:
        """``knowledge`` after seeing ``msg``: its fields, and what ``analyse`` extracts."""
        new = set(knowledge)
        todo = fields_of(msg)
        while todo:
            v = todo.pop()
            if v in new:
                continue
            new.add(v)
            if self.analyse is not None:
                for extra in self.analyse(v, frozenset(new)):
                    todo.extend(fields_of(extra))
        return frozenset(new)

    # -- deciding -----------------------------------------------------------------------
    def decide(self, ctx: Context, state: AttackerState) -> str:
        """The decision for the next message: by plan, by ``ctx.choose`` or by ``ctx.rng``."""
        if self.plan is not None:
            return self.plan[state.step] if state.step < len(self.plan) else "forward"
        if self.exhaustive:
            return str(ctx.choose(("forward", *self.attacks)))
        if not self.attacks or ctx.rng.random() >= self.rate:
            return "forward"
        return self.attacks[ctx.rng.randrange(len(self.attacks))]

    def on_message(self, ctx: Context, state: AttackerState, src: str, msg: Any) -> AttackerState:
        if not isinstance(msg, Intercepted):
            return state  # the attacker's own mail: nothing to do
        knowledge = self.learn(state.knowledge, msg.msg)
        state = replace(state, knowledge=knowledge, seen=(*state.seen, (src, msg.dst, msg.msg)))
        waiting = any(e[4] == "reorder" and e[1] == src and e[2] == msg.dst for e in state.held)
        # A message held for reordering goes out right after this later one, which is
        # forwarded as it is (otherwise there would be nothing to reorder it with).
        decision = "forward" if waiting else self.decide(ctx, state)
        state = replace(state, step=state.step + 1)
        state = self.act(ctx, state, decision, src, msg.dst, msg.msg)
        return self._release_reordered(ctx, state, src, msg.dst) if waiting else state

    def act(
        self, ctx: Context, state: AttackerState, decision: str, src: str, dst: str, msg: Any
    ) -> AttackerState:
        """Carry out ``decision`` on ``msg`` (from ``src`` to ``dst``)."""
        log = state.log
        if decision in ("forward", "replay", "forge"):  # the original goes through first
            ctx.send(dst, Forwarded(src, msg))
            state = replace(state, forwarded=(*state.forwarded, (src, dst, msg)))
        if decision == "forward" or decision == "drop":
            pass
        elif decision in ("delay", "reorder"):
            hid = state.counter
            held = (*state.held, (hid, src, dst, msg, decision))
            ctx.set_timer(("release", hid), self.delay if decision == "delay" else self.hold)
            return replace(state, held=held, counter=hid + 1, log=(*log, (decision, src, dst)))
        elif decision == "replay":
            old = self._pick_old(ctx, state, src, dst)
            ctx.send(dst, Forwarded(src, old, "replay"))
        elif decision == "redirect":
            others = [n for n in ctx.peers if n not in (dst, src)]
            if others:
                ctx.send(others[ctx.rng.randrange(len(others))], Forwarded(src, msg, "redirect"))
            else:  # nobody else to send it to: reflect it to its sender
                ctx.send(src, Forwarded(dst, msg, "redirect"))
        elif decision == "modify":
            ctx.send(dst, Forwarded(src, self.modify(ctx, state, msg), "modify"))
        elif decision == "forge":
            ctx.send(dst, Forwarded(src, self.forge(ctx, state, msg), "forge"))
        else:
            raise ValueError(f"AttackerNode: unknown decision {decision!r}")
        return replace(state, log=(*log, (decision, src, dst)))

    def on_timer(self, ctx: Context, state: AttackerState, timer: Any) -> AttackerState:
        if not (isinstance(timer, tuple) and len(timer) == 2 and timer[0] == "release"):
            return state
        keep = []
        for entry in state.held:
            if entry[0] == timer[1]:
                # Nothing came to reorder it with: it was only delayed.
                _, src, dst, msg, _ = entry
                ctx.send(dst, Forwarded(src, msg, "delay"))
            else:
                keep.append(entry)
        return replace(state, held=tuple(keep))

    def _release_reordered(
        self, ctx: Context, state: AttackerState, src: str, dst: str
    ) -> AttackerState:
        """Send the messages held for reordering on this link: called after the next
        message on the link was handled, so the held ones are sent after it."""
        release = [e for e in state.held if e[4] == "reorder" and e[1] == src and e[2] == dst]
        if not release:
            return state
        for hid, s, d, m, attack in release:
            ctx.cancel_timer(("release", hid))
            ctx.send(d, Forwarded(s, m, attack))
        return replace(state, held=tuple(e for e in state.held if e not in release))

    # -- building messages --------------------------------------------------------------
    def _pick_old(self, ctx: Context, state: AttackerState, src: str, dst: str) -> Any:
        """A message already forwarded on this link, perhaps renumbered to look fresh."""
        same = [m for s, d, m in state.forwarded if s == src and d == dst]
        old = same[ctx.rng.randrange(len(same))]
        if dataclasses.is_dataclass(old) and ctx.rng.random() < 0.5:
            changes = {}
            for f in dataclasses.fields(old):
                if f.name in self.counter_fields and isinstance(getattr(old, f.name), int):
                    values = [getattr(m, f.name) for m in same if type(m) is type(old)]
                    changes[f.name] = max(values) + 1
            if changes:
                old = replace(old, **changes)  # type: ignore[type-var]
        return old

    def modify(self, ctx: Context, state: AttackerState, msg: Any) -> Any:
        """``msg`` with one field changed (see the class's Notes); ``msg`` itself if it has
        no field the attacker can change."""
        if isinstance(msg, bytes) and msg:
            return _flip(msg, ctx.rng.randrange(len(msg)))
        if not (dataclasses.is_dataclass(msg) and not isinstance(msg, type)):
            return msg
        names = [
            f.name
            for f in dataclasses.fields(msg)
            if isinstance(getattr(msg, f.name), (int, str, bytes))
            and not isinstance(getattr(msg, f.name), bool)
        ]
        if not names:
            return msg
        name = names[ctx.rng.randrange(len(names))]
        value = getattr(msg, name)
        if isinstance(value, int):
            new: Any = value + 1
        elif isinstance(value, bytes):
            new = _flip(value, ctx.rng.randrange(len(value))) if value else b"\x01"
        else:
            others = [v for v in _known_of_type(state.knowledge, str) if v != value]
            new = others[ctx.rng.randrange(len(others))] if others else value + "!"
        return replace(msg, **{name: new})

    def forge(self, ctx: Context, state: AttackerState, template: Any) -> Any:
        """A new message of ``template``'s type, every field from the attacker's knowledge."""
        if not (dataclasses.is_dataclass(template) and not isinstance(template, type)):
            return template
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(template):
            value = getattr(template, f.name)
            if isinstance(value, bytes):
                changes[f.name] = bytes(ctx.rng.randrange(256) for _ in range(len(value)))
            elif isinstance(value, bool):
                changes[f.name] = not value
            elif isinstance(value, int):
                known = _known_of_type(state.knowledge, int)
                changes[f.name] = (
                    max([value, *known]) + 1
                    if f.name in self.counter_fields
                    else (known[ctx.rng.randrange(len(known))] if known else value)
                )
            elif isinstance(value, str):
                known_s = _known_of_type(state.knowledge, str)
                changes[f.name] = known_s[ctx.rng.randrange(len(known_s))] if known_s else value
        return replace(template, **changes)


@dataclass(frozen=True)
class WiredState:
    """A wired node's state: the protocol's own (``inner``) and the outcome of every
    delivery, as ``(attack, accepted)`` (attack ``None`` for an honest forward)."""

    inner: Any
    outcomes: tuple[tuple[str | None, bool], ...] = ()


def _default_judge(before: Any, after: Any) -> bool:
    return bool(before != after)


class Wired(Node[WiredState]):
    """A node whose messages all go through the attacker.

    Its sends become ``Intercepted`` messages to ``attacker``; it handles only
    ``Forwarded`` messages from the attacker, passing the claimed source and the message
    to the wrapped node.

    Parameters
    ----------
    node : Node
        The protocol's node.
    attacker : str, default "attacker"
        The attacker's node id.
    judge : callable, optional
        ``judge(before, after) -> bool``: did the wrapped node *accept* the message (its
        state before and after handling it)? Default: its state changed. A protocol that
        counts rejections in its state needs its own judge.
    """

    def __init__(
        self,
        node: Node[Any],
        attacker: str = "attacker",
        judge: Callable[[Any, Any], bool] | None = None,
    ) -> None:
        if not isinstance(node, Node):
            raise TypeError(f"Wired: node={node!r} must be a Node")
        self.node = node
        self.attacker = attacker
        self.judge = judge if judge is not None else _default_judge

    def __repr__(self) -> str:
        return f"Wired({self.node!r})"

    def _route(self, ctx: Context, start: int) -> None:
        ctx.sent[start:] = [(self.attacker, Intercepted(dst, msg)) for dst, msg in ctx.sent[start:]]

    def init(self, ctx: Context) -> WiredState:
        inner = self.node.init(ctx)
        self._route(ctx, 0)
        return WiredState(inner)

    def on_message(self, ctx: Context, state: WiredState, src: str, msg: Any) -> WiredState:
        if src != self.attacker or not isinstance(msg, Forwarded):
            return state  # every message comes through the network, i.e. the attacker
        start = len(ctx.sent)
        inner = self.node.on_message(ctx, state.inner, msg.src, msg.msg)
        self._route(ctx, start)
        accepted = self.judge(state.inner, inner)
        return WiredState(inner, (*state.outcomes, (msg.attack, accepted)))

    def on_timer(self, ctx: Context, state: WiredState, timer: Any) -> WiredState:
        start = len(ctx.sent)
        inner = self.node.on_timer(ctx, state.inner, timer)
        self._route(ctx, start)
        return replace(state, inner=inner)


def attacked(
    system: System,
    attacker: str = "attacker",
    judge: Callable[[Any, Any], bool] | None = None,
    **options: Any,
) -> System:
    """``system`` with every message passing through an ``AttackerNode``.

    Parameters
    ----------
    system : System
    attacker : str, default "attacker"
        The attacker's node id (must not be one of the system's).
    judge : callable, optional
        Passed to every ``Wired`` node.
    **options
        Passed to ``AttackerNode`` (``attacks``, ``rate``, ``plan``, ``exhaustive``, ...).

    Returns
    -------
    System

    Raises
    ------
    ValueError
        If ``attacker`` is already a node of ``system``.

    Examples
    --------
    >>> from dslib.core import Node, System
    >>> class Quiet(Node[int]):
    ...     def init(self, ctx):
    ...         return 0
    >>> attacked(System({"a": Quiet()}), plan=("forward",))
    System(a=Wired(Quiet), attacker=AttackerNode)
    """
    if not isinstance(system, System):
        raise TypeError(f"attacked: system={system!r} must be a System")
    if attacker in system:
        raise ValueError(f"attacked: attacker={attacker!r} is already a node of the system")
    nodes: dict[str, Node[Any]] = {n: Wired(system[n], attacker, judge) for n in system}
    nodes[attacker] = AttackerNode(**options)
    return System(nodes)


def attack_counts(states: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """Per attack: (messages delivered that it produced, how many were accepted).

    Reads the ``outcomes`` of every ``Wired`` node of ``states`` (``Simulation.states``);
    ``"forward"`` counts honest forwards.

    >>> attack_counts({"a": WiredState(0, ((None, True), ("replay", False)))})
    {'forward': (1, 1), 'replay': (1, 0)}
    """
    out: dict[str, list[int]] = {}
    for name in sorted(states):
        s = states[name]
        if isinstance(s, WiredState):
            for attack, accepted in s.outcomes:
                key = attack if attack is not None else "forward"
                slot = out.setdefault(key, [0, 0])
                slot[0] += 1
                slot[1] += int(accepted)
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def attack_plans(attacks: Sequence[str] = ATTACKS, max_size: int = 8) -> Any:
    """A hypothesis strategy of attack plans (for ``AttackerNode(plan=...)``).

    Shrinks towards fewer decisions and towards ``"forward"``.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5, derandomize=True)
    ... @given(attack_plans(("drop", "replay"), max_size=3))
    ... def test(plan):
    ...     assert set(plan) <= {"forward", "drop", "replay"}
    >>> test()
    """
    from hypothesis import strategies as st

    if isinstance(attacks, str) or not all(a in ATTACKS for a in attacks):
        raise ValueError(f"attack_plans: attacks={attacks!r} must be names from {ATTACKS}")
    return st.lists(st.sampled_from(("forward", *attacks)), max_size=max_size).map(tuple)
