"""The Needham-Schroeder public-key protocol, Lowe's attack on it, and Lowe's fix.

Needham and Schroeder ("Using Encryption for Authentication in Large Networks of
Computers", 1978, the protocol with public-key encryption) let two agents A and B, who know each
other's public key, authenticate each other with two fresh nonces. The three-message core
(the messages that fetch keys from a server left out, as in Lowe's analysis):

1. ``A -> B: {Na, A}pk(B)``
2. ``B -> A: {Na, Nb}pk(A)``
3. ``A -> B: {Nb}pk(B)``

Seventeen years later Lowe found a man-in-the-middle attack with a model checker ("Breaking
and Fixing the Needham-Schroeder Public-Key Protocol using FDR", TACAS 1996, the attack): if
A starts a run with a dishonest agent I, then I can use A to talk to B *as A*. Message 2
does not say who sent it, so A answers it thinking it comes from I. Lowe's fix (NSL, in
the same paper): message 2 names its sender, ``{Na, Nb, B}pk(A)``, and A checks the name.

This module writes both as a ``dslib.check.Model``. The network is the Dolev-Yao attacker I
of ``dslib.security.attacker``: every message sent is added to I's ``Knowledge``; an honest
agent receives any message of the shape it expects that I can build. I is also an agent
with its own key pair, to whom A may legitimately talk. The bound: A runs the initiator's
role once, B the responder's once, and I composes messages of the three shapes from the
agent names and nonces it knows (it may also replay any ciphertext it has seen whole).

Two properties, checked in every state:

- ``responder_authenticated``: if B finished a run that it believes is with A, then A
  started a run with B (Lowe's "authentication of A to B");
- ``responder_nonce_secret``: if B finished a run that it believes is with A, then I does
  not know B's nonce ``Nb``.

``MUTANTS`` holds the original protocol: NSL without Lowe's fix is Needham-Schroeder.

Examples
--------
>>> from dslib.check import check
>>> result = check(needham_schroeder(), invariants=PROPERTIES)
>>> result.ok, result.property, len(result.counterexample)
(False, 'responder_authenticated', 4)
>>> print(check(needham_schroeder_lowe(), invariants=PROPERTIES).summary())
ok: every reachable state explored (bfs; 36 distinct states, 55 generated; depth 4)

References
----------
R. M. Needham, M. D. Schroeder, "Using Encryption for Authentication in Large Networks of
Computers", Communications of the ACM 21(12), 1978 (the protocol with public-key
encryption). G. Lowe, "Breaking and Fixing the Needham-Schroeder Public-Key Protocol using
FDR", TACAS 1996, LNCS 1055 (the attack, the fix, and the proof that a small system
suffices). D. Dolev, A. C. Yao, "On the Security of Public Key Protocols", IEEE Transactions
on Information Theory 29(2), 1983 (the model of the adversary).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from dslib.check.model import Model
from dslib.mutants import check_mutant
from dslib.security.attacker import Atom, Enc, Knowledge, PrivateKey, PublicKey, Term, Tup

__all__ = [
    "AGENTS",
    "MUTANTS",
    "NONCES",
    "PROPERTIES",
    "NSAction",
    "NSState",
    "NeedhamSchroeder",
    "attack_trace",
    "message_1",
    "message_2",
    "message_3",
    "needham_schroeder",
    "needham_schroeder_lowe",
    "responder_authenticated",
    "responder_nonce_secret",
]

MUTANTS: dict[str, str] = {
    "no_lowe_fix": "message 2 does not name the responder (the 1978 protocol): "
    "Lowe's man-in-the-middle",
}

AGENTS: tuple[str, ...] = ("A", "B", "I")
"""The honest initiator A, the honest responder B, and the intruder I (also an agent)."""

NA, NB, NI = Atom("Na"), Atom("Nb"), Atom("Ni")
NONCES: tuple[Atom, ...] = (NA, NB, NI)
"""A's nonce, B's nonce and the intruder's own."""


def message_1(nonce: Term, sender: str, to: str) -> Enc:
    """``{nonce, sender}pk(to)``.

    >>> str(message_1(NA, "A", "B"))
    '{Na, A}pk(B)'
    """
    return Enc(PublicKey(to), Tup((nonce, Atom(sender))))


def message_2(na: Term, nb: Term, responder: str, to: str, lowe: bool) -> Enc:
    """``{na, nb}pk(to)``, or with Lowe's fix ``{na, nb, responder}pk(to)``.

    >>> str(message_2(NA, NB, "B", "A", lowe=True))
    '{Na, Nb, B}pk(A)'
    """
    if lowe:
        return Enc(PublicKey(to), Tup((na, nb, Atom(responder))))
    return Enc(PublicKey(to), Tup((na, nb)))


def message_3(nb: Term, to: str) -> Enc:
    """``{nb}pk(to)``.

    >>> str(message_3(NB, "B"))
    '{Nb}pk(B)'
    """
    return Enc(PublicKey(to), nb)


@dataclass(frozen=True)
class NSAction:
    """One step: ``agent`` sends ``message`` meant for ``peer``, or receives it as if from
    ``peer`` (the network, i.e. the intruder, delivers it).

    >>> str(NSAction("A", "send", "I", message_1(NA, "A", "I")))
    'A sends {Na, A}pk(I) to I'
    """

    agent: str
    kind: str
    peer: str
    message: Enc
    reply: Enc | None = None

    def __str__(self) -> str:
        if self.kind == "send":
            return f"{self.agent} sends {self.message} to {self.peer}"
        text = f"{self.agent} receives {self.message} (as from {self.peer})"
        return text + (f", replies {self.reply}" if self.reply is not None else "")


@dataclass(frozen=True)
class NSState:
    """The two honest agents' progress and the intruder's knowledge.

    ``initiator``: ``("idle",)``, ``("waiting", partner)``, ``("done", partner, nb)``.
    ``responder``: ``("idle",)``, ``("waiting", claimed, na)``, ``("done", claimed, na)``.
    """

    initiator: tuple[Any, ...]
    responder: tuple[Any, ...]
    knowledge: Knowledge


class NeedhamSchroeder(Model[NSState]):
    """The protocol as a model (NSL by default; ``mutant="no_lowe_fix"`` is the original).

    Parameters
    ----------
    mutant : str, optional
        ``None`` (Lowe's fixed protocol, NSL) or ``"no_lowe_fix"`` (Needham-Schroeder 1978).

    Examples
    --------
    >>> NeedhamSchroeder(mutant="no_lowe_fix").name
    'Needham-Schroeder'
    >>> NeedhamSchroeder(mutant="typo")
    Traceback (most recent call last):
    ...
    ValueError: NeedhamSchroeder: unknown mutant 'typo'; allowed: None or one of ['no_lowe_fix']
    """

    def __init__(self, mutant: str | None = None) -> None:
        self.mutant = check_mutant("NeedhamSchroeder", mutant, MUTANTS)
        self.lowe = self.mutant != "no_lowe_fix"  # mutant no_lowe_fix: message 2 without B
        super().__init__(name="Needham-Schroeder-Lowe" if self.lowe else "Needham-Schroeder")

    def init_states(self) -> list[NSState]:
        start = [Atom(a) for a in AGENTS] + [PublicKey(a) for a in AGENTS]
        knowledge = Knowledge.initial([*start, PrivateKey("I"), NI])
        return [NSState(("idle",), ("idle",), knowledge)]

    def actions(self, state: NSState) -> Iterator[tuple[NSAction, NSState]]:
        k = state.knowledge
        # A starts a run with B or with I.
        if state.initiator == ("idle",):
            for partner in ("B", "I"):
                m = message_1(NA, "A", partner)
                yield (
                    NSAction("A", "send", partner, m),
                    replace(state, initiator=("waiting", partner), knowledge=k.learn(m)),
                )
        # B receives message 1 from anyone (as far as it can tell), answers with message 2.
        if state.responder == ("idle",):
            for claimed in ("A", "I"):
                for na in NONCES:
                    m1 = message_1(na, claimed, "B")
                    if k.can_build(m1):
                        m2 = message_2(na, NB, "B", claimed, self.lowe)
                        yield (
                            NSAction("B", "receive", claimed, m1, m2),
                            replace(
                                state,
                                responder=("waiting", claimed, na),
                                knowledge=k.learn(m2),
                            ),
                        )
        # A receives message 2 with its nonce, answers with message 3.
        if state.initiator[0] == "waiting":
            partner = state.initiator[1]
            for nb in NONCES:
                m2 = message_2(NA, nb, partner, "A", self.lowe)
                if k.can_build(m2):
                    m3 = message_3(nb, partner)
                    yield (
                        NSAction("A", "receive", partner, m2, m3),
                        replace(state, initiator=("done", partner, nb), knowledge=k.learn(m3)),
                    )
        # B receives message 3 with its nonce: it believes the run is complete.
        if state.responder[0] == "waiting":
            m3 = message_3(NB, "B")
            if k.can_build(m3):
                _, claimed, na = state.responder
                yield (
                    NSAction("B", "receive", claimed, m3),
                    replace(state, responder=("done", claimed, na)),
                )

    def describe(self, state: NSState) -> str:
        known = sorted(str(t) for t in state.knowledge.terms if isinstance(t, Atom))
        return f"A {_role(state.initiator)}; B {_role(state.responder)}; I knows {', '.join(known)}"

    def changes(self, before: NSState | None, after: NSState, action: Any) -> str:
        if before is None:
            return self.describe(after)
        out = []
        if before.initiator != after.initiator:
            out.append(f"A {_role(after.initiator)}")
        if before.responder != after.responder:
            out.append(f"B {_role(after.responder)}")
        learned = sorted(
            str(t) for t in after.knowledge.terms - before.knowledge.terms if not isinstance(t, Tup)
        )
        if learned:
            out.append("I learns " + ", ".join(learned))
        return "; ".join(out) if out else "(no change)"

    def actor(self, action: Any) -> str | None:
        return action.agent if isinstance(action, NSAction) else None


def _role(progress: tuple[Any, ...]) -> str:
    if progress[0] == "idle":
        return "idle"
    return (
        f"{progress[0]} (with {progress[1]}, {progress[2]})"
        if len(progress) > 2
        else (f"{progress[0]} (with {progress[1]})")
    )


def needham_schroeder() -> NeedhamSchroeder:
    """The 1978 protocol (the mutant ``no_lowe_fix``).

    >>> needham_schroeder()
    NeedhamSchroeder('Needham-Schroeder')
    """
    return NeedhamSchroeder(mutant="no_lowe_fix")


def needham_schroeder_lowe() -> NeedhamSchroeder:
    """Lowe's fixed protocol, NSL.

    >>> needham_schroeder_lowe()
    NeedhamSchroeder('Needham-Schroeder-Lowe')
    """
    return NeedhamSchroeder()


def responder_authenticated(state: NSState) -> bool:
    """If B finished a run it believes is with A, then A started a run with B.

    >>> from dslib.security.attacker import Knowledge
    >>> k = Knowledge.initial([])
    >>> responder_authenticated(NSState(("done", "I", NB), ("done", "A", NA), k))
    False
    """
    if state.responder[0] == "done" and state.responder[1] == "A":
        return state.initiator[0] != "idle" and state.initiator[1] == "B"
    return True


def responder_nonce_secret(state: NSState) -> bool:
    """If B finished a run it believes is with A, then the intruder does not know ``Nb``.

    >>> k = Knowledge.initial([NB])
    >>> responder_nonce_secret(NSState(("done", "I", NB), ("done", "A", NA), k))
    False
    """
    if state.responder[0] == "done" and state.responder[1] == "A":
        return not state.knowledge.knows(NB)
    return True


PROPERTIES = {
    "responder_authenticated": responder_authenticated,
    "responder_nonce_secret": responder_nonce_secret,
}
"""The properties checked in every state."""


def attack_trace(counterexample: Any) -> Any:
    """A counterexample as a ``dslib.sim.Trace``: every message goes through the intruder.

    A send by A or B is an arrow to the intruder's lane (the network), a receive an arrow
    from it followed by the reply's arrow back; time is the step number.
    ``dslib.viz.space_time_diagram`` draws it.

    Parameters
    ----------
    counterexample : Counterexample
        From ``check(...)`` on a ``NeedhamSchroeder`` model.

    Returns
    -------
    Trace
    """
    from dslib.sim.trace import Trace

    steps = getattr(counterexample, "steps", None)
    if steps is None:
        raise TypeError(
            f"attack_trace: expected a Counterexample of a NeedhamSchroeder check, "
            f"got {type(counterexample).__name__}"
        )
    trace = Trace()
    for i, step in enumerate(steps[1:], start=1):
        a = step.action
        if not isinstance(a, NSAction):
            raise TypeError(f"attack_trace: step {i} is {a!r}, not an NSAction")
        t = float(i)
        label = str(a.message)
        if a.kind == "send":
            trace.append((t - 0.9, "send", a.agent, "I", label, 2 * i, None))
            trace.append((t, "deliver", "I", a.agent, label, 2 * i, None))
        else:
            trace.append((t - 0.9, "send", "I", a.agent, label, 2 * i, None))
            trace.append((t - 0.5, "deliver", a.agent, "I", label, 2 * i, None))
            if a.reply is not None:
                trace.append((t - 0.45, "send", a.agent, "I", str(a.reply), 2 * i + 1, None))
                trace.append((t, "deliver", "I", a.agent, str(a.reply), 2 * i + 1, None))
    return trace
