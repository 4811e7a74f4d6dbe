"""A secure channel: a toy handshake and its records, and what each part of it prevents.

The handshake follows the ideas of TLS 1.3 (RFC 8446) in two messages:

1. ``ClientHello``: a fresh random, the protocol versions the client offers, and the client's
   ephemeral X25519 key share.
2. ``ServerHello``: a fresh random, the version chosen, the server's ephemeral X25519 key
   share, and the server's Ed25519 **signature over the whole transcript** (both messages).

The client checks the signature with the server's long-term public key, which it knew
beforehand. Both sides compute the X25519 shared secret and derive, with HKDF over the
transcript's hash, one key per direction. Records are sealed with ChaCha20-Poly1305; the
nonce is the record's sequence number and the associated data names the direction and the
sequence number. The receiver keeps a **replay window** (``ReplayWindow``, as IPsec's
anti-replay window, RFC 4303 section 3.4.3): records may arrive out of order, but each
sequence number is accepted once, and one too old to judge is refused.

What each part prevents, each shown by a named check in ``CHECKS``, and each broken by a
mutant (``MUTANTS``) that the check catches:

- the **sequence window** prevents *replay* (mutant ``window_accepts_replays``: the window
  forgets which numbers it has seen);
- **one key per direction** (and the direction in the associated data) prevents *reflection*,
  a record sent back to its sender (mutant ``one_key_both_directions``);
- the **signature over the whole transcript** prevents *downgrade*: an attacker who strikes
  the best version from the client's offer changes the transcript (mutant
  ``partial_transcript_signature``: the server signs its own message only, so the client
  cannot see what the server received);
- **ephemeral** key shares, forgotten after the handshake, give *forward secrecy*: an
  attacker who recorded a session and later steals the server's long-term key still cannot
  read it (mutant ``static_server_dh``: a long-term server key share, which the thief then
  holds);
- **AEAD** refuses any modified record (``tampered record refused``).

Keys come from the seed (``dslib.security.crypto``): for simulation only.

References
----------
E. Rescorla, "The Transport Layer Security (TLS) Protocol Version 1.3", RFC 8446, 2018,
sections 1.2 (forward secrecy with ephemeral Diffie-Hellman), 4.1.3 (downgrade protection),
4.4.3 (CertificateVerify: a signature over the transcript hash), 5.3 (per-record nonce from
the sequence number) and 7.1 (key schedule with HKDF). S. Kent, "IP Encapsulating Security
Payload (ESP)", RFC 4303, 2005, section 3.4.3 (sequence number verification, the sliding
receive window).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants
from dslib.security.crypto import (
    BadCiphertext,
    BadSignature,
    DhPrivateKey,
    DhPublicKey,
    SecurityError,
    SigningKey,
    SymmetricKey,
    VerifyKey,
    dh_key,
    dh_shared_secret,
    hkdf,
    open_sealed,
    seal,
    sign,
    signing_key,
    verify_signature,
)

__all__ = [
    "CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "VERSIONS",
    "ChannelConfig",
    "ClientHello",
    "Handshake",
    "HandshakeError",
    "Record",
    "RecordError",
    "ReplayWindow",
    "ServerHello",
    "Session",
    "client_finish",
    "client_hello",
    "handshake",
    "mutant_report",
    "receive",
    "send",
    "server_respond",
    "steal_and_decrypt",
    "window_accept",
]

MUTANTS: dict[str, str] = {
    "window_accepts_replays": "the replay window does not remember which numbers it has seen",
    "one_key_both_directions": "one key for both directions, and no direction in the record",
    "partial_transcript_signature": "the server signs its own hello only, not the client's",
    "static_server_dh": "the server's key share is long-term, not fresh for each session",
}
"""Broken versions of the channel, selected by ``ChannelConfig(mutant=...)``."""

VERSIONS = ("v2", "v1")
"""The versions both sides support, best first (``v1`` stands for an old, weak version)."""


class HandshakeError(SecurityError):
    """The handshake failed: the signature does not verify, or the version is not offered."""


class RecordError(SecurityError):
    """A record was refused: replayed, too old, or modified."""


@dataclass(frozen=True)
class ChannelConfig:
    """The channel's settings.

    Parameters
    ----------
    window : int, default 8
        How many sequence numbers below the highest one the receiver still accepts (once).
    mutant : str or None
        A name from ``MUTANTS``.

    Examples
    --------
    >>> ChannelConfig(window=0)
    Traceback (most recent call last):
    ...
    ValueError: ChannelConfig: window=0 must be an int from 1 to 1024
    """

    window: int = 8
    mutant: str | None = None

    def __post_init__(self) -> None:
        check_mutant("ChannelConfig", self.mutant, MUTANTS)
        if isinstance(self.window, bool) or not isinstance(self.window, int):
            raise ValueError(f"ChannelConfig: window={self.window!r} must be an int from 1 to 1024")
        if not 1 <= self.window <= 1024:
            raise ValueError(f"ChannelConfig: window={self.window} must be an int from 1 to 1024")


# -- the replay window -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayWindow:
    """The receiver's memory of sequence numbers: the highest accepted and those seen within
    ``size`` below it.

    Examples
    --------
    >>> w = ReplayWindow(size=4)
    >>> w = window_accept(w, 0)
    >>> w = window_accept(w, 2)
    >>> w
    ReplayWindow(size=4, highest=2, seen=frozenset({0, 2}))
    >>> window_accept(w, 2) is None  # a replay
    True
    >>> window_accept(w, 1).seen  # late, but not seen before
    frozenset({0, 1, 2})
    """

    size: int
    highest: int = -1
    seen: frozenset[int] = frozenset()


def window_accept(window: ReplayWindow, seq: int, mutant: str | None = None) -> ReplayWindow | None:
    """The window after accepting record ``seq``, or ``None`` if the record must be refused.

    The rule (RFC 4303, section 3.4.3): a number above the highest is new (the window slides
    up, forgetting what falls out); one within ``size`` below the highest is accepted if it
    was not seen; one ``size`` or more below the highest is refused, since the window no
    longer knows whether it was seen.

    Examples
    --------
    >>> w = ReplayWindow(size=2, highest=5, seen=frozenset({4, 5}))
    >>> window_accept(w, 3) is None  # 5 - 3 >= 2: too old to judge
    True
    >>> window_accept(w, 6)
    ReplayWindow(size=2, highest=6, seen=frozenset({5, 6}))
    """
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"window_accept: seq={seq!r} must be a non-negative int")
    if seq > window.highest:
        seen = frozenset(s for s in window.seen | {seq} if s > seq - window.size)
        return ReplayWindow(window.size, seq, seen)
    if seq <= window.highest - window.size:
        return None
    if seq in window.seen and mutant != "window_accepts_replays":  # MUTANT: seen ignored
        return None
    return replace(window, seen=window.seen | {seq})


# -- the handshake ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClientHello:
    """The client's first message: random, versions offered (best first), key share."""

    random: bytes
    versions: tuple[str, ...]
    key_share: bytes


@dataclass(frozen=True)
class ServerHello:
    """The server's answer: random, version chosen, key share, signature."""

    random: bytes
    version: str
    key_share: bytes
    signature: bytes


@dataclass(frozen=True, repr=False)
class Session:
    """One side's state after the handshake: the version, its two keys, its counters.

    The ephemeral private key is not kept: once the keys are derived it is forgotten, which
    is what makes recorded sessions safe from a later theft.
    """

    role: str
    version: str
    send_key: SymmetricKey
    receive_key: SymmetricKey
    send_seq: int
    window: ReplayWindow
    config: ChannelConfig

    def __repr__(self) -> str:
        return (
            f"Session({self.role!r}, version={self.version!r}, send_seq={self.send_seq}, "
            f"highest received={self.window.highest})"
        )


def _encode(*fields: bytes) -> bytes:
    return b"".join(len(f).to_bytes(4, "big") + f for f in fields)


def _hello_bytes(hello: ClientHello) -> bytes:
    return _encode(
        b"client hello", hello.random, ",".join(hello.versions).encode(), hello.key_share
    )


def _signed_part(
    hello: ClientHello, random: bytes, version: str, share: bytes, mutant: str | None
) -> bytes:
    server_part = _encode(b"server hello", random, version.encode(), share)
    if mutant == "partial_transcript_signature":  # MUTANT: the client's hello is not covered
        return server_part
    return hashlib.sha256(_hello_bytes(hello) + server_part).digest()


def _keys(
    secret: bytes, transcript: bytes, role: str, mutant: str | None
) -> tuple[SymmetricKey, SymmetricKey]:
    if mutant == "one_key_both_directions":  # MUTANT: one key, both ways
        key = SymmetricKey(hkdf(secret, b"record key" + transcript), "record key")
        return key, key
    c2s = SymmetricKey(hkdf(secret, b"client to server" + transcript), "client to server")
    s2c = SymmetricKey(hkdf(secret, b"server to client" + transcript), "server to client")
    return (c2s, s2c) if role == "client" else (s2c, c2s)


def _random(seed: int, label: str) -> bytes:
    return hkdf(str(seed).encode(), f"dslib simulation random: {label}".encode(), length=16)


def client_hello(
    seed: int, session_id: str, versions: Sequence[str] = VERSIONS
) -> tuple[ClientHello, DhPrivateKey]:
    """The client's hello and its ephemeral private key (fresh per ``session_id``).

    Examples
    --------
    >>> hello, _ = client_hello(1, "s1")
    >>> hello.versions
    ('v2', 'v1')
    """
    versions = tuple(versions)
    if not versions or not all(isinstance(v, str) and v for v in versions):
        raise ValueError(f"client_hello: versions={versions!r} must be non-empty strings")
    ephemeral = dh_key(seed, f"client/{session_id}")
    hello = ClientHello(_random(seed, f"client/{session_id}"), versions, ephemeral.public.material)
    return hello, ephemeral


def server_respond(
    seed: int,
    hello: ClientHello,
    server_key: SigningKey,
    session_id: str,
    config: ChannelConfig = ChannelConfig(),
    supported: Sequence[str] = VERSIONS,
) -> tuple[ServerHello, Session]:
    """The server's answer to ``hello`` as received, and the server's session.

    The server picks the best version it supports among those offered.

    Raises
    ------
    HandshakeError
        If no offered version is supported.
    """
    chosen = next((v for v in supported if v in hello.versions), None)
    if chosen is None:
        raise HandshakeError(f"server: no version in common (offered {list(hello.versions)})")
    if config.mutant == "static_server_dh":  # MUTANT: the same key share for every session
        ephemeral = dh_key(seed, "server static key share")
    else:
        ephemeral = dh_key(seed, f"server/{session_id}")
    random = _random(seed, f"server/{session_id}")
    share = ephemeral.public.material
    signed = _signed_part(hello, random, chosen, share, config.mutant)
    reply = ServerHello(random, chosen, share, sign(server_key, b"transcript signature" + signed))
    return reply, _session("server", hello, reply, ephemeral, config)


def _session(
    role: str, hello: ClientHello, reply: ServerHello, mine: DhPrivateKey, config: ChannelConfig
) -> Session:
    theirs = reply.key_share if role == "client" else hello.key_share
    secret = dh_shared_secret(mine, DhPublicKey(theirs, "peer share"))
    transcript = hashlib.sha256(
        _hello_bytes(hello) + _encode(reply.random, reply.key_share)
    ).digest()
    send_key, receive_key = _keys(secret, transcript, role, config.mutant)
    return Session(
        role, reply.version, send_key, receive_key, 0, ReplayWindow(config.window), config
    )


def client_finish(
    hello: ClientHello,
    ephemeral: DhPrivateKey,
    reply: ServerHello,
    server_public: VerifyKey,
    config: ChannelConfig = ChannelConfig(),
) -> Session:
    """Check the server's signature over the transcript **as the client sent it**; derive keys.

    Raises
    ------
    HandshakeError
        If the signature does not verify (the server is not who it claims, or some message was
        changed on the way: a downgrade among them), or the version was not offered.
    """
    if reply.version not in hello.versions:
        raise HandshakeError(f"client: server chose {reply.version!r}, which was not offered")
    signed = _signed_part(hello, reply.random, reply.version, reply.key_share, config.mutant)
    try:
        verify_signature(server_public, b"transcript signature" + signed, reply.signature)
    except BadSignature:
        raise HandshakeError(
            "client: the server's signature does not cover the transcript the client saw "
            "(a message was changed on the way, or the server is not who it claims)"
        ) from None
    return _session("client", hello, reply, ephemeral, config)


@dataclass(frozen=True)
class Handshake:
    """A whole handshake: the messages as sent and as received, and both sessions."""

    client_sent: ClientHello
    server_got: ClientHello
    server_sent: ServerHello
    client_got: ServerHello
    client: Session
    server: Session


def handshake(
    seed: int,
    session_id: str = "s1",
    config: ChannelConfig = ChannelConfig(),
    on_hello: Callable[[ClientHello], ClientHello] | None = None,
    on_reply: Callable[[ServerHello], ServerHello] | None = None,
) -> Handshake:
    """Run the handshake between ``"client"`` and ``"server"``; ``on_hello`` and ``on_reply``
    let an attacker in the network rewrite each message.

    Raises
    ------
    HandshakeError
        As ``client_finish``.

    Examples
    --------
    >>> run = handshake(seed=1)
    >>> run.client.version, run.server.version
    ('v2', 'v2')
    >>> def strip_v2(hello):
    ...     return ClientHello(hello.random, ("v1",), hello.key_share)
    >>> handshake(seed=1, on_hello=strip_v2)
    Traceback (most recent call last):
    ...
    dslib.security.channel.HandshakeError: client: the server's signature does not cover ...
    >>> weak = ChannelConfig(mutant="partial_transcript_signature")
    >>> handshake(seed=1, on_hello=strip_v2, config=weak).client.version
    'v1'
    """
    server_key = signing_key(seed, "server")
    hello, ephemeral = client_hello(seed, session_id)
    got = on_hello(hello) if on_hello else hello
    reply, server = server_respond(seed, got, server_key, session_id, config)
    reply_got = on_reply(reply) if on_reply else reply
    client = client_finish(hello, ephemeral, reply_got, server_key.public, config)
    return Handshake(hello, got, reply, reply_got, client, server)


# -- records ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """A sealed record on the wire: the sequence number in the clear, the sealed payload."""

    seq: int
    ciphertext: bytes


def _associated(role_sending: str, seq: int, mutant: str | None) -> bytes:
    if mutant == "one_key_both_directions":  # MUTANT: the direction is not bound
        return _encode(b"record", seq.to_bytes(8, "big"))
    return _encode(b"record", role_sending.encode(), seq.to_bytes(8, "big"))


def _other(role: str) -> str:
    return "server" if role == "client" else "client"


def send(session: Session, plaintext: bytes) -> tuple[Record, Session]:
    """Seal ``plaintext`` as the next record; the nonce is the sequence number (RFC 8446 5.3).

    Examples
    --------
    >>> run = handshake(seed=1)
    >>> record, client = send(run.client, b"GET /balance")
    >>> text, server = receive(run.server, record)
    >>> text
    b'GET /balance'
    >>> receive(server, record)
    Traceback (most recent call last):
    ...
    dslib.security.channel.RecordError: server refuses record 0: replayed or too old (window ...
    """
    seq = session.send_seq
    nonce = seq.to_bytes(12, "big")
    associated = _associated(session.role, seq, session.config.mutant)
    record = Record(seq, seal(session.send_key, nonce, plaintext, associated))
    return record, replace(session, send_seq=seq + 1)


def receive(session: Session, record: Record) -> tuple[bytes, Session]:
    """Open a record from the other side, and remember its sequence number.

    Raises
    ------
    RecordError
        If the record is a replay, too old for the window, or was modified (including a
        record of this side's own, reflected back).
    """
    if not isinstance(record, Record):
        raise TypeError(f"receive: expected a Record, got {type(record).__name__}")
    window = window_accept(session.window, record.seq, session.config.mutant)
    if window is None:
        raise RecordError(
            f"{session.role} refuses record {record.seq}: replayed or too old "
            f"(window {session.window.size} below {session.window.highest})"
        )
    associated = _associated(_other(session.role), record.seq, session.config.mutant)
    try:
        text = open_sealed(
            session.receive_key, record.seq.to_bytes(12, "big"), record.ciphertext, associated
        )
    except BadCiphertext:
        raise RecordError(
            f"{session.role} refuses record {record.seq}: it was modified, or not sealed by the "
            "other side for this direction"
        ) from None
    return text, replace(session, window=window)


# -- the named checks: each is an attack that must fail --------------------------------------------
def _refused(session: Session, record: Record) -> bool:
    try:
        receive(session, record)
    except RecordError:
        return True
    return False


def _honest_session(config: ChannelConfig) -> Outcome:
    run = handshake(1, config=config)
    records = []
    client = run.client
    for i in range(4):
        record, client = send(client, f"message {i}".encode())
        records.append(record)
    server = run.server
    got = []
    for record in (records[1], records[0], records[3], records[2]):  # reordered
        text, server = receive(server, record)
        got.append(text)
    answer, _ = send(server, b"ok")
    back, _ = receive(client, answer)
    ok = sorted(got) == [f"message {i}".encode() for i in range(4)] and back == b"ok"
    return Outcome(ok, None if ok else 1, "four reordered records and an answer")


def _replayed_record_refused(config: ChannelConfig) -> Outcome:
    run = handshake(1, config=config)
    first, client = send(run.client, b"pay 10 to bob")
    second, _ = send(client, b"log out")
    _, server = receive(run.server, first)
    _, server = receive(server, second)
    ok = _refused(server, first)
    return Outcome(ok, None if ok else 3, "record 0 delivered again after record 1")


def _reflected_record_refused(config: ChannelConfig) -> Outcome:
    run = handshake(1, config=config)
    record, _ = send(run.client, b"pay 10 to bob")
    ok = _refused(run.client, record)  # the attacker sends it back to the client
    return Outcome(ok, None if ok else 1, "the client's record 0 sent back to the client")


def _downgrade_detected(config: ChannelConfig) -> Outcome:
    def strip_best(hello: ClientHello) -> ClientHello:
        return ClientHello(hello.random, hello.versions[1:], hello.key_share)

    try:
        run = handshake(1, config=config, on_hello=strip_best)
    except HandshakeError:
        return Outcome(True, None, "the client aborts")
    ok = run.client.version == VERSIONS[0]
    return Outcome(ok, None if ok else 2, f"the client settled on {run.client.version}")


def steal_and_decrypt(config: ChannelConfig, seed: int = 1) -> bytes | None:
    """The forward-secrecy attack: record a session, then steal the server's long-term
    secrets and try to read the recording. Returns the plaintext read, or ``None``.

    The thief holds what the server keeps between sessions: its signing key and, under
    ``static_server_dh``, its long-term key share. It derives the record keys from every
    private key share it holds, exactly as the server would.

    Examples
    --------
    >>> steal_and_decrypt(ChannelConfig()) is None
    True
    >>> steal_and_decrypt(ChannelConfig(mutant="static_server_dh"))
    b'my password is hunter2'
    """
    run = handshake(seed, "recorded", config)
    record, _ = send(run.client, b"my password is hunter2")
    stolen: list[DhPrivateKey] = []
    if config.mutant == "static_server_dh":
        stolen.append(dh_key(seed, "server static key share"))
    for share in stolen:  # the signing key alone derives no record key
        session = _session("server", run.server_got, run.server_sent, share, config)
        try:
            text, _ = receive(session, record)
        except RecordError:
            continue
        return text
    return None


def _recorded_session_stays_secret(config: ChannelConfig) -> Outcome:
    text = steal_and_decrypt(config)
    return Outcome(text is None, None if text is None else 1, "server's long-term keys stolen")


def _tampered_record_refused(config: ChannelConfig) -> Outcome:
    run = handshake(1, config=config)
    record, _ = send(run.client, b"pay 10 to bob")
    bad = [
        i
        for i in range(len(record.ciphertext))
        if not _refused(
            run.server,
            Record(
                record.seq,
                record.ciphertext[:i]
                + bytes([record.ciphertext[i] ^ 1])
                + record.ciphertext[i + 1 :],
            ),
        )
    ]
    return Outcome(not bad, len(bad) or None, f"each of {len(record.ciphertext)} bytes flipped")


CHECKS: dict[str, Callable[[ChannelConfig], Outcome]] = {
    "honest session works": _honest_session,
    "tampered record refused": _tampered_record_refused,
    "replayed record refused": _replayed_record_refused,
    "reflected record refused": _reflected_record_refused,
    "downgrade detected": _downgrade_detected,
    "recorded session stays secret": _recorded_session_stays_secret,
}
"""The named checks, each a function of a ``ChannelConfig``."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "window_accepts_replays": ("replayed record refused",),
    "one_key_both_directions": ("reflected record refused",),
    "partial_transcript_signature": ("downgrade detected",),
    "static_server_dh": ("recorded session stays secret",),
}
"""The check that must catch each mutant."""


def mutant_report(config: ChannelConfig | None = None) -> MutantReport:
    """Every check on the channel and on each mutant of it: the chapter's table.

    Examples
    --------
    >>> report = mutant_report()
    >>> report.problems()
    []
    >>> print(report.to_frame()[["mutant", "caught by"]].to_string(index=False))
                          mutant                     caught by
                 correct version     none: passes all 6 checks
         one_key_both_directions      reflected record refused
    partial_transcript_signature            downgrade detected
                static_server_dh recorded session stays secret
          window_accepts_replays       replayed record refused
    """
    base = ChannelConfig() if config is None else config
    mutants = [
        Mutant(
            name,
            MUTANTS[name],
            _with_mutant(base, name),
            MUTANT_CHECKS[name],
        )
        for name in sorted(MUTANTS)
    ]
    return run_mutants(_with_mutant(base, None), mutants, CHECKS)


def _with_mutant(base: ChannelConfig, name: str | None) -> Callable[[], ChannelConfig]:
    return lambda: replace(base, mutant=name)
