"""The attacker sweep: a request/response service under a Dolev-Yao network, three ways.

A client sends numbered requests to a server; the server answers each. Every message goes
through ``dslib.security.attacker.AttackerNode``, which forges, replays, reorders, modifies,
drops and delays them. Three versions of the protocol:

- ``"none"``: plain messages; the server applies whatever arrives, the client takes any
  answer;
- ``"mac"``: every message carries an HMAC-SHA-256 tag over *the whole message* (direction,
  client, sequence number, body) under the key the two share, and each side accepts only a
  sequence number higher than the last it accepted;
- ``"aead"``: the body is sealed with ChaCha20-Poly1305, the header (direction, client,
  sequence number) as associated data, the nonce made of the direction and the sequence
  number (never repeated under the key); the same sequence-number rule.

The cryptography is ``dslib.security.crypto``'s (the ``cryptography`` package), with keys
derived from the run's seed (**for simulation only**). The attacker does not hold the key.

Each message the attacker produced carries the name of its attack (the protocol never reads
it); the ``Wired`` node records whether the protocol *accepted* it. For the four attacks that
try to make the protocol do something the client never asked for (``forge``, ``replay``,
``reorder``, ``modify``), an accepted attack message is a successful attack: with a constant
network latency a replay always arrives after its original, and a reordered message after
a later one, so accepting one means applying a request twice or out of order. ``drop`` and
``delay`` are attacks on availability, counted but not judged.

``run_sweep`` runs many seeds and sums the counts per attack; ``SweepResult.to_frame`` is the
table. For the encrypted protocol it also asks whether the attacker's knowledge holds any
request's plaintext (as a value or inside any ``bytes`` it has seen).

``MUTANTS`` are broken versions of the ``"mac"`` protocol; each is caught by the count of
the attack it lets through (``SWEEP_CHECKS``).

Examples
--------
>>> r = run_sweep("mac", seeds=range(3))
>>> r.accepted("replay"), r.accepted("modify"), r.plaintext_leaks
(0, 0, 3)
>>> run_sweep("none", seeds=range(3)).accepted("modify") > 0
True
>>> run_sweep("aead", seeds=range(3)).plaintext_leaks
0
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Outcome, check_mutant
from dslib.security.attacker import AttackerState, WiredState, attack_counts, attacked
from dslib.security.crypto import (
    SecurityError,
    SymmetricKey,
    mac,
    open_sealed,
    seal,
    symmetric_key,
    verify_mac,
)

__all__ = [
    "JUDGED",
    "MUTANTS",
    "PROTOCOLS",
    "SWEEP_ATTACKS",
    "SWEEP_CHECKS",
    "Client",
    "ClientState",
    "Message",
    "Server",
    "ServerState",
    "SweepResult",
    "plaintext_leaked",
    "run_once",
    "run_sweep",
    "service",
]

PROTOCOLS: tuple[str, ...] = ("none", "mac", "aead")
SWEEP_ATTACKS: tuple[str, ...] = ("forge", "replay", "reorder", "modify", "drop", "delay")
"""What the sweep's attacker does."""
JUDGED: tuple[str, ...] = ("forge", "replay", "reorder", "modify")
"""The attacks whose acceptance is a success for the attacker."""

MUTANTS: dict[str, str] = {
    "mac_without_seq": "the MAC covers the body but not the sequence number",
    "no_seq_check": "the receiver checks the MAC but not that the sequence number is new",
    "mac_unchecked": "the receiver does not verify the MAC",
}


@dataclass(frozen=True)
class Message:
    """A request (``kind="request"``) or an answer (``"response"``).

    ``body`` is the plaintext (``"none"``, ``"mac"``) or the sealed body (``"aead"``);
    ``tag`` the MAC (empty for ``"none"`` and ``"aead"``, whose tag is inside the body).
    """

    kind: str
    client: str
    seq: int
    body: bytes
    tag: bytes = b""


def _encode(*parts: bytes) -> bytes:
    """Length-prefixed concatenation: no two different lists of parts encode the same."""
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def _header(kind: str, client: str, seq: int) -> bytes:
    return _encode(kind.encode(), client.encode(), str(seq).encode())


def _nonce(kind: str, seq: int) -> bytes:
    return (b"\x01" if kind == "request" else b"\x02") + seq.to_bytes(11, "big")


class _Protection:
    """How one protocol version protects and checks a message (shared by both sides)."""

    def __init__(self, protocol: str, key: SymmetricKey, mutant: str | None) -> None:
        self.protocol, self.key, self.mutant = protocol, key, mutant

    def protect(self, kind: str, client: str, seq: int, body: bytes) -> Message:
        if self.protocol == "mac":
            if self.mutant == "mac_without_seq":
                covered = _encode(kind.encode(), client.encode(), body)  # mutant: seq left out
            else:
                covered = _encode(_header(kind, client, seq), body)
            return Message(kind, client, seq, body, mac(self.key, covered))
        if self.protocol == "aead":
            sealed = seal(self.key, _nonce(kind, seq), body, _header(kind, client, seq))
            return Message(kind, client, seq, sealed)
        return Message(kind, client, seq, body)

    def open(self, msg: Message, kind: str, client: str, last: int) -> bytes | None:
        """The body if ``msg`` is acceptable after sequence number ``last``, else ``None``."""
        if not isinstance(msg, Message) or msg.kind != kind:
            return None
        if self.protocol == "none":
            return msg.body
        if msg.client != client:
            return None
        if msg.seq <= last and self.mutant != "no_seq_check":  # mutant: a replay passes
            return None
        try:
            if self.protocol == "aead":
                if msg.tag:  # the tag is inside the sealed body: this field must be empty
                    return None
                header = _header(kind, client, msg.seq)
                return open_sealed(self.key, _nonce(kind, msg.seq), msg.body, header)
            if self.mutant == "mac_without_seq":
                covered = _encode(kind.encode(), client.encode(), msg.body)
            else:
                covered = _encode(_header(kind, client, msg.seq), msg.body)
            if self.mutant != "mac_unchecked":  # mutant mac_unchecked: no verification
                verify_mac(self.key, covered, msg.tag)
            return msg.body
        except SecurityError:
            return None


@dataclass(frozen=True)
class ClientState:
    """Requests sent (sequence number, plaintext) and answers accepted (in order)."""

    sent: tuple[tuple[int, bytes], ...] = ()
    accepted: tuple[tuple[int, bytes], ...] = ()
    last: int = 0


@dataclass(frozen=True)
class ServerState:
    """Requests accepted (in order), the balance they add up to, the rejections."""

    accepted: tuple[tuple[int, bytes], ...] = ()
    last: int = 0
    balance: int = 0
    rejected: int = 0


class Client(Node[ClientState]):
    """Sends ``requests`` requests ``"deposit <k> #<seq>"``, one every ``interval``."""

    def __init__(self, protection: _Protection, requests: int = 8, interval: float = 10.0) -> None:
        self.protection, self.requests, self.interval = protection, requests, interval

    def init(self, ctx: Context) -> ClientState:
        ctx.set_timer("send", self.interval)
        return ClientState()

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        seq = len(state.sent) + 1
        body = f"deposit {seq % 5 + 1} #{seq}".encode()
        ctx.send("server", self.protection.protect("request", ctx.id, seq, body))
        if seq < self.requests:
            ctx.set_timer("send", self.interval)
        return replace(state, sent=(*state.sent, (seq, body)))

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        body = self.protection.open(msg, "response", ctx.id, state.last)
        if body is None:
            return state
        return replace(state, accepted=(*state.accepted, (msg.seq, body)), last=msg.seq)


class Server(Node[ServerState]):
    """Applies each acceptable request (adds its amount) and answers with the new balance."""

    def __init__(self, protection: _Protection) -> None:
        self.protection = protection

    def init(self, ctx: Context) -> ServerState:
        return ServerState()

    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        client = src  # the answer goes back to the address it came from
        body = self.protection.open(msg, "request", client, state.last)
        if body is None:
            return replace(state, rejected=state.rejected + 1)
        words = body.split()
        amount = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0
        state = replace(
            state,
            accepted=(*state.accepted, (msg.seq, body)),
            last=max(state.last, msg.seq),
            balance=state.balance + amount,
        )
        answer = f"balance {state.balance}".encode()
        ctx.send(client, self.protection.protect("response", client, msg.seq, answer))
        return state


def _accepted(before: Any, after: Any) -> bool:
    return len(after.accepted) > len(before.accepted)


def service(protocol: str, seed: int = 0, requests: int = 8, mutant: str | None = None) -> System:
    """The client and the server (not yet attacked).

    Raises
    ------
    ValueError
        If ``protocol`` is not one of ``PROTOCOLS`` or ``mutant`` is unknown, or a mutant is
        asked of a protocol other than ``"mac"``.

    Examples
    --------
    >>> service("mac")
    System(client=Client, server=Server)
    >>> service("tls")
    Traceback (most recent call last):
    ...
    ValueError: service: protocol='tls'; allowed: 'none', 'mac', 'aead'
    """
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"service: protocol={protocol!r}; allowed: " + ", ".join(repr(p) for p in PROTOCOLS)
        )
    mutant = check_mutant("service", mutant, MUTANTS)
    if mutant is not None and protocol != "mac":
        raise ValueError(f"service: mutant {mutant!r} is a broken 'mac' protocol, not {protocol!r}")
    if not (isinstance(requests, int) and not isinstance(requests, bool) and requests >= 1):
        raise ValueError(f"service: requests={requests!r} must be an int >= 1")
    protection = _Protection(protocol, symmetric_key(seed, "client-server"), mutant)
    return System({"client": Client(protection, requests), "server": Server(protection)})


def plaintext_leaked(knowledge: Iterable[Any], plaintexts: Iterable[bytes]) -> bool:
    """Does any plaintext appear in the knowledge, as a value or inside a ``bytes`` value?

    >>> plaintext_leaked([b"xx deposit 1 #1 yy", 3], [b"deposit 1 #1"])
    True
    >>> plaintext_leaked([b"\\x8f\\x02", "deposit"], [b"deposit 1 #1"])
    False
    """
    texts = [p for p in plaintexts if p]
    blobs = [k for k in knowledge if isinstance(k, (bytes, str))]
    for k in blobs:
        data = k.encode() if isinstance(k, str) else k
        if any(p in data for p in texts):
            return True
    return False


def run_once(
    protocol: str,
    seed: int,
    requests: int = 8,
    rate: float = 0.5,
    mutant: str | None = None,
    attacker_keys: Iterable[Any] = (),
) -> dict[str, Any]:
    """One seeded run under the attacker.

    Parameters
    ----------
    protocol : str
        ``"none"``, ``"mac"`` or ``"aead"``.
    seed : int
    requests : int, default 8
    rate : float, default 0.5
        The probability that the attacker attacks a message.
    mutant : str, optional
        A broken ``"mac"`` protocol from ``MUTANTS``.
    attacker_keys : iterable, optional
        Keys the attacker holds; with the channel's key it decrypts (used to show the
        plaintext check can fail).

    Returns
    -------
    dict
        ``counts`` (``attack_counts``), ``leaked`` (plaintext in the attacker's knowledge),
        ``attacker`` (its ``AttackerState``), ``states``.
    """
    from dslib.sim import Simulation

    keys = tuple(attacker_keys)
    analyse = None
    if keys:

        def analyse(value: Any, known: frozenset[Any]) -> list[Any]:
            if not isinstance(value, Message) or protocol != "aead":
                return []
            out = []
            for k in keys:
                try:
                    header = _header(value.kind, value.client, value.seq)
                    out.append(open_sealed(k, _nonce(value.kind, value.seq), value.body, header))
                except SecurityError:
                    pass
            return out

    system = attacked(
        service(protocol, seed, requests, mutant),
        judge=_accepted,
        attacks=SWEEP_ATTACKS,
        rate=rate,
        analyse=analyse,
        keys=keys,
    )
    sim = Simulation(system, seed=seed).run()
    states = sim.states
    attacker: AttackerState = states["attacker"]
    client: WiredState = states["client"]
    plaintexts = [body for _, body in client.inner.sent]
    return {
        "counts": attack_counts(states),
        "leaked": plaintext_leaked(attacker.knowledge, plaintexts),
        "attacker": attacker,
        "states": states,
    }


@dataclass(frozen=True)
class SweepResult:
    """Counts of a sweep, summed over its runs.

    Attributes
    ----------
    protocol : str
    runs : int
    counts : tuple of (attack, delivered, accepted)
        Per attack (and ``"forward"``: honest messages), how many of its messages reached a
        node and how many the node accepted.
    plaintext_leaks : int
        Runs after which the attacker's knowledge held a request's plaintext.
    mutant : str or None
    """

    protocol: str
    runs: int
    counts: tuple[tuple[str, int, int], ...]
    plaintext_leaks: int
    mutant: str | None = None

    def attempts(self, attack: str) -> int:
        """Messages of ``attack`` that reached a node."""
        return sum(d for a, d, _ in self.counts if a == attack)

    def accepted(self, attack: str) -> int:
        """Messages of ``attack`` the protocol accepted."""
        return sum(n for a, _, n in self.counts if a == attack)

    @property
    def ok(self) -> bool:
        """No judged attack succeeded (and, for ``"aead"``, no plaintext leaked)."""
        clean = all(self.accepted(a) == 0 for a in JUDGED)
        return clean and (self.protocol != "aead" or self.plaintext_leaks == 0)

    def to_frame(self) -> Any:
        """The table: attack, messages delivered, accepted, rejected (%)."""
        import pandas as pd

        rows = []
        for attack, delivered, accepted in self.counts:
            judged = attack in JUDGED
            rows.append(
                {
                    "attack": attack,
                    "delivered": delivered,
                    "accepted": accepted,
                    "rejected %": (
                        f"{100 * (delivered - accepted) / delivered:.1f}"
                        if judged and delivered
                        else "—"
                    ),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """One line: the protocol, runs, judged attacks accepted, plaintext leaks."""
        judged = sum(self.attempts(a) for a in JUDGED)
        won = sum(self.accepted(a) for a in JUDGED)
        name = self.protocol + (f" (mutant {self.mutant})" if self.mutant else "")
        return (
            f"{name}: {self.runs} runs, {won} of {judged} forged/replayed/reordered/modified "
            f"messages accepted, plaintext in the attacker's knowledge after "
            f"{self.plaintext_leaks} runs"
        )


def run_sweep(
    protocol: str,
    seeds: Iterable[int] = range(300),
    requests: int = 8,
    rate: float = 0.5,
    mutant: str | None = None,
) -> SweepResult:
    """Run ``run_once`` for every seed and sum the counts.

    Examples
    --------
    >>> print(run_sweep("mac", seeds=range(2)).summary())  # doctest: +ELLIPSIS
    mac: 2 runs, 0 of ... messages accepted, plaintext in the attacker's knowledge after 2 runs
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_sweep: seeds is empty; give at least one seed")
    totals: dict[str, list[int]] = {}
    leaks = 0
    for seed in seeds:
        out = run_once(protocol, seed, requests, rate, mutant)
        leaks += int(out["leaked"])
        for attack, (delivered, accepted) in out["counts"].items():
            slot = totals.setdefault(attack, [0, 0])
            slot[0] += delivered
            slot[1] += accepted
    order = ["forward", *SWEEP_ATTACKS]
    counts = tuple(
        (a, totals[a][0], totals[a][1])
        for a in sorted(totals, key=lambda a: (order.index(a) if a in order else 99, a))
    )
    return SweepResult(protocol, len(seeds), counts, leaks, mutant)


def _attack_check(attack: str, seeds: range) -> Any:
    def check(build: Mapping[str, Any]) -> Outcome:
        r = run_sweep(build["protocol"], seeds=seeds, mutant=build.get("mutant"))
        return Outcome(r.accepted(attack) == 0, None, f"{r.accepted(attack)} accepted")

    check.__name__ = f"{attack} rejected"
    return check


SWEEP_CHECKS = {f"{a} rejected": _attack_check(a, range(6)) for a in JUDGED}
"""Named checks for ``dslib.mutants.run_mutants``: each runs 6 seeds of the sweep on a
``{"protocol": ..., "mutant": ...}`` and passes when no message of its attack was accepted."""
