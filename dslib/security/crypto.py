"""Real cryptography behind a small API that nodes call: MACs, signatures, AEAD, HKDF, X25519.

Every primitive comes from the ``cryptography`` package; nothing here is an imitation.
What this module adds is a small, typed surface for the book's nodes and clear errors:

- **message authentication codes**: ``mac`` / ``verify_mac``, HMAC-SHA-256 (RFC 2104) with a
  constant-time comparison (``hmac.compare_digest``);
- **signatures**: ``sign`` / ``verify_signature``, Ed25519 (RFC 8032);
- **authenticated encryption with associated data**: ``seal`` / ``open_sealed``,
  ChaCha20-Poly1305 (RFC 8439) with a 12-byte nonce;
- **key derivation**: ``hkdf``, HKDF-SHA-256 (RFC 5869);
- **key agreement**: ``dh_shared_secret``, X25519 (RFC 7748).

Keys are small frozen dataclasses (``SymmetricKey``, ``SigningKey``, ``VerifyKey``,
``DhPrivateKey``, ``DhPublicKey``): hashable values that fit in node states and in an
attacker's knowledge set, each with a ``name`` so that a trace says whose key it is.

**Deterministic keys are for simulation only.** ``symmetric_key(seed, name)``,
``signing_key(seed, name)`` and ``dh_key(seed, name)`` derive key material from the
simulation's seed and a name with HKDF, so that the same seed gives the same keys, the same
ciphertexts and the same stored outputs on every run. Anyone who knows the seed knows every
key. Real keys come from the operating system's random source (``os.urandom``, or the
``generate()`` methods of ``cryptography``'s key classes) and never from a seed.

Errors: every failure raises a subclass of ``SecurityError`` (itself a ``ValueError``) with a
message that says what was wrong: ``WrongKeyError`` for a key of the wrong type or size,
``BadTag`` for a MAC that does not match, ``BadSignature`` for a signature that does not
verify, ``BadCiphertext`` for a ciphertext (or its associated data, nonce or key) that was
tampered with. No bare exception of the ``cryptography`` package escapes.

Examples
--------
>>> key = symmetric_key(seed=1, name="alice-bob")
>>> tag = mac(key, b"transfer 10 to bob")
>>> verify_mac(key, b"transfer 10 to bob", tag)
>>> verify_mac(key, b"transfer 99 to eve", tag)
Traceback (most recent call last):
...
dslib.security.crypto.BadTag: HMAC-SHA-256 tag does not match the message under key 'alice-bob'

References
----------
H. Krawczyk, M. Bellare, R. Canetti, "HMAC: Keyed-Hashing for Message Authentication",
RFC 2104, 1997, section 2 (definition of HMAC). S. Josefsson, I. Liusvaara, "Edwards-Curve
Digital Signature Algorithm (EdDSA)", RFC 8032, 2017, section 5.1 (Ed25519). Y. Nir,
A. Langley, "ChaCha20 and Poly1305 for IETF Protocols", RFC 8439, 2018, section 2.8 (AEAD
construction). H. Krawczyk, P. Eronen, "HMAC-based Extract-and-Expand Key Derivation Function
(HKDF)", RFC 5869, 2010, section 2. A. Langley, M. Hamburg, S. Turner, "Elliptic Curves for
Security", RFC 7748, 2016, section 6.1 (X25519).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dslib.errors import DslibError

__all__ = [
    "KEY_SIZE",
    "MAC_SIZE",
    "NONCE_SIZE",
    "SIGNATURE_SIZE",
    "BadCiphertext",
    "BadSignature",
    "BadTag",
    "DhPrivateKey",
    "DhPublicKey",
    "SecurityError",
    "SigningKey",
    "SymmetricKey",
    "VerifyKey",
    "WrongKeyError",
    "dh_key",
    "dh_shared_secret",
    "hkdf",
    "mac",
    "open_sealed",
    "seal",
    "sign",
    "signing_key",
    "symmetric_key",
    "verify_mac",
    "verify_signature",
]

KEY_SIZE = 32
"""Bytes of every key: HMAC-SHA-256 and ChaCha20-Poly1305 keys, Ed25519 seeds, X25519 keys."""
MAC_SIZE = 32
"""Bytes of an HMAC-SHA-256 tag (the full output; never truncated here)."""
NONCE_SIZE = 12
"""Bytes of a ChaCha20-Poly1305 nonce (RFC 8439, section 2.8)."""
SIGNATURE_SIZE = 64
"""Bytes of an Ed25519 signature (RFC 8032, section 5.1.6)."""


class SecurityError(DslibError, ValueError):
    """Base class of the errors of ``dslib.security``: a check that protects a message failed,
    or a key or token was not what the operation needs."""


class WrongKeyError(SecurityError, TypeError):
    """A key of the wrong type (a signing key where a symmetric key is needed) or size."""


class BadTag(SecurityError):
    """A message authentication code does not match the message."""


class BadSignature(SecurityError):
    """A signature does not verify for the message under the public key."""


class BadCiphertext(SecurityError):
    """A ciphertext, its nonce or its associated data was modified, or the key is wrong."""


def _fingerprint(material: bytes) -> str:
    return hashlib.sha256(material).hexdigest()[:8]


@dataclass(frozen=True, repr=False)
class SymmetricKey:
    """A 32-byte secret key shared by the parties, for ``mac`` and ``seal``.

    Parameters
    ----------
    material : bytes
        Exactly ``KEY_SIZE`` (32) bytes.
    name : str
        Whose key it is, for messages and traces (``"alice-bob"``).

    Examples
    --------
    >>> SymmetricKey(bytes(32), "zero")
    SymmetricKey('zero', fingerprint=66687aad)
    >>> SymmetricKey(bytes(16), "short")
    Traceback (most recent call last):
    ...
    dslib.security.crypto.WrongKeyError: SymmetricKey: material must be exactly 32 bytes, got 16
    """

    material: bytes
    name: str = "key"

    def __post_init__(self) -> None:
        _key_material(type(self).__name__, self.material, self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fingerprint={_fingerprint(self.material)})"


def _key_material(owner: str, material: object, name: object) -> None:
    if not isinstance(material, bytes):
        raise WrongKeyError(f"{owner}: material must be bytes, got {type(material).__name__}")
    if len(material) != KEY_SIZE:
        raise WrongKeyError(
            f"{owner}: material must be exactly {KEY_SIZE} bytes, got {len(material)}"
        )
    if not isinstance(name, str):
        raise TypeError(f"{owner}: name must be a str, got {type(name).__name__}")


@dataclass(frozen=True, repr=False)
class VerifyKey:
    """An Ed25519 public key: anyone may hold it and check signatures with it.

    Examples
    --------
    >>> signing_key(1, "server").public.name
    'server'
    """

    material: bytes
    name: str = "key"

    def __post_init__(self) -> None:
        _key_material(type(self).__name__, self.material, self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fingerprint={_fingerprint(self.material)})"


@dataclass(frozen=True, repr=False)
class SigningKey:
    """An Ed25519 private key (its 32-byte seed, RFC 8032 section 5.1.5); ``public`` gives
    the matching ``VerifyKey``.

    Examples
    --------
    >>> key = signing_key(1, "server")
    >>> key
    SigningKey('server', fingerprint=...)
    >>> verify_signature(key.public, b"hello", sign(key, b"hello"))
    """

    material: bytes
    name: str = "key"

    def __post_init__(self) -> None:
        _key_material(type(self).__name__, self.material, self.name)

    @property
    def public(self) -> VerifyKey:
        """The public key that verifies this key's signatures."""
        private = ed25519.Ed25519PrivateKey.from_private_bytes(self.material)
        return VerifyKey(private.public_key().public_bytes_raw(), self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fingerprint={_fingerprint(self.material)})"


@dataclass(frozen=True, repr=False)
class DhPublicKey:
    """An X25519 public key (a key share sent in the clear)."""

    material: bytes
    name: str = "key"

    def __post_init__(self) -> None:
        _key_material(type(self).__name__, self.material, self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fingerprint={_fingerprint(self.material)})"


@dataclass(frozen=True, repr=False)
class DhPrivateKey:
    """An X25519 private key; ``public`` is the key share to send.

    Examples
    --------
    >>> a, b = dh_key(1, "a"), dh_key(1, "b")
    >>> dh_shared_secret(a, b.public) == dh_shared_secret(b, a.public)
    True
    """

    material: bytes
    name: str = "key"

    def __post_init__(self) -> None:
        _key_material(type(self).__name__, self.material, self.name)

    @property
    def public(self) -> DhPublicKey:
        """The public key share."""
        private = x25519.X25519PrivateKey.from_private_bytes(self.material)
        return DhPublicKey(private.public_key().public_bytes_raw(), self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, fingerprint={_fingerprint(self.material)})"


def _expect(owner: str, key: object, kind: type) -> None:
    if not isinstance(key, kind):
        raise WrongKeyError(
            f"{owner}: needs a {kind.__name__}, got {type(key).__name__}"
            + (f" {key.name!r}" if hasattr(key, "name") else "")
        )


def _data(owner: str, what: str, value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{owner}: {what} must be bytes, got {type(value).__name__}")
    return bytes(value)


# -- key derivation ----------------------------------------------------------------------------
def hkdf(secret: bytes, info: bytes, length: int = KEY_SIZE, salt: bytes | None = None) -> bytes:
    """HKDF-SHA-256 (RFC 5869, section 2): extract from ``secret``, expand to ``length`` bytes.

    Different ``info`` labels give independent keys from one secret: a channel derives its
    client-to-server and server-to-client keys this way.

    Parameters
    ----------
    secret : bytes
        The input keying material (a Diffie-Hellman shared secret, a seed).
    info : bytes
        The label that says what the output is for.
    length : int, default 32
        Bytes of output, 1 to 8160 (255 * 32, RFC 5869 section 2.3).
    salt : bytes or None
        Optional salt (RFC 5869 section 3.1); ``None`` means a string of zeros.

    Returns
    -------
    bytes

    Raises
    ------
    TypeError, ValueError
        If an argument is not bytes, or ``length`` is out of range.

    Examples
    --------
    >>> hkdf(b"secret", b"client to server") != hkdf(b"secret", b"server to client")
    True
    >>> len(hkdf(b"secret", b"label", length=12))
    12
    """
    secret = _data("hkdf", "secret", secret)
    info = _data("hkdf", "info", info)
    if salt is not None:
        salt = _data("hkdf", "salt", salt)
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 255 * 32:
        raise ValueError(f"hkdf: length={length!r} must be an int from 1 to {255 * 32}")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(secret)


def _seeded(seed: int, kind: str, name: str) -> bytes:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"{kind}_key: seed must be an int, got {type(seed).__name__}")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{kind}_key: name={name!r} must be a non-empty str")
    return hkdf(str(seed).encode(), f"dslib simulation {kind} key: {name}".encode(), salt=b"dslib")


def symmetric_key(seed: int, name: str) -> SymmetricKey:
    """A symmetric key derived from the simulation's seed and a name. **Simulation only.**

    Anyone who knows the seed can recompute the key; real keys come from ``os.urandom(32)``.

    Examples
    --------
    >>> symmetric_key(7, "a-b") == symmetric_key(7, "a-b")
    True
    >>> symmetric_key(7, "a-b") == symmetric_key(8, "a-b")
    False
    """
    return SymmetricKey(_seeded(seed, "symmetric", name), name)


def signing_key(seed: int, name: str) -> SigningKey:
    """An Ed25519 signing key derived from the seed and a name. **Simulation only.**

    Real keys: ``cryptography``'s ``Ed25519PrivateKey.generate()`` or ``os.urandom(32)``.

    Examples
    --------
    >>> signing_key(7, "ca").public == signing_key(7, "ca").public
    True
    """
    return SigningKey(_seeded(seed, "signing", name), name)


def dh_key(seed: int, name: str) -> DhPrivateKey:
    """An X25519 private key derived from the seed and a name. **Simulation only.**

    A handshake's ephemeral keys take a name that includes the session (``"client/s1"``) so
    that every session gets a fresh one.

    Examples
    --------
    >>> dh_key(7, "client/s1").public != dh_key(7, "client/s2").public
    True
    """
    return DhPrivateKey(_seeded(seed, "dh", name), name)


# -- MACs ----------------------------------------------------------------------------------------
def mac(key: SymmetricKey, message: bytes) -> bytes:
    """The HMAC-SHA-256 tag (32 bytes) of ``message`` under ``key`` (RFC 2104).

    Raises
    ------
    WrongKeyError
        If ``key`` is not a ``SymmetricKey``.
    TypeError
        If ``message`` is not bytes.

    Examples
    --------
    >>> len(mac(symmetric_key(1, "k"), b"hi"))
    32
    >>> mac(signing_key(1, "k"), b"hi")
    Traceback (most recent call last):
    ...
    dslib.security.crypto.WrongKeyError: mac: needs a SymmetricKey, got SigningKey 'k'
    """
    _expect("mac", key, SymmetricKey)
    message = _data("mac", "message", message)
    return _hmac.new(key.material, message, hashlib.sha256).digest()


def verify_mac(key: SymmetricKey, message: bytes, tag: bytes) -> None:
    """Check an HMAC-SHA-256 tag, in constant time; raise ``BadTag`` if it does not match.

    The whole 32-byte tag is compared with ``hmac.compare_digest``, whose running time does not
    depend on where the first differing byte is: comparing with ``==`` could let an attacker
    who can time the verifier learn a valid tag byte by byte, and a truncated tag of ``t``
    bytes is guessed in at most ``256**t`` tries.

    Raises
    ------
    BadTag
        If ``tag`` is not the tag of ``message`` under ``key`` (a tag of the wrong length
        included).
    WrongKeyError, TypeError
        For a key that is not a ``SymmetricKey``, or a message or tag that is not bytes.

    Examples
    --------
    >>> key = symmetric_key(1, "k")
    >>> verify_mac(key, b"m", mac(key, b"m")[:4])
    Traceback (most recent call last):
    ...
    dslib.security.crypto.BadTag: HMAC-SHA-256 tag has 4 bytes under key 'k'; a tag has 32
    """
    _expect("verify_mac", key, SymmetricKey)
    tag = _data("verify_mac", "tag", tag)
    expected = mac(key, _data("verify_mac", "message", message))
    if len(tag) != MAC_SIZE:
        raise BadTag(
            f"HMAC-SHA-256 tag has {len(tag)} bytes under key {key.name!r}; a tag has {MAC_SIZE}"
        )
    if not _hmac.compare_digest(expected, tag):
        raise BadTag(f"HMAC-SHA-256 tag does not match the message under key {key.name!r}")


# -- signatures ----------------------------------------------------------------------------------
def sign(key: SigningKey, message: bytes) -> bytes:
    """The Ed25519 signature (64 bytes) of ``message`` (RFC 8032, section 5.1.6).

    Ed25519 signatures are deterministic: the same key and message give the same signature.

    Examples
    --------
    >>> len(sign(signing_key(1, "s"), b"hi"))
    64
    """
    _expect("sign", key, SigningKey)
    message = _data("sign", "message", message)
    return ed25519.Ed25519PrivateKey.from_private_bytes(key.material).sign(message)


def verify_signature(key: VerifyKey, message: bytes, signature: bytes) -> None:
    """Check an Ed25519 signature; raise ``BadSignature`` if it does not verify.

    Raises
    ------
    BadSignature
        If the signature is not ``key``'s signature of exactly ``message``.
    WrongKeyError, TypeError
        For a key that is not a ``VerifyKey`` (a ``SigningKey`` included: pass ``.public``),
        or a message or signature that is not bytes.

    Examples
    --------
    >>> key = signing_key(1, "server")
    >>> verify_signature(key.public, b"hi!", sign(key, b"hi"))
    Traceback (most recent call last):
    ...
    dslib.security.crypto.BadSignature: Ed25519 signature does not verify under the public ...
    """
    _expect("verify_signature", key, VerifyKey)
    message = _data("verify_signature", "message", message)
    signature = _data("verify_signature", "signature", signature)
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature(
            f"Ed25519 signature has {len(signature)} bytes; a signature has {SIGNATURE_SIZE}"
        )
    try:
        ed25519.Ed25519PublicKey.from_public_bytes(key.material).verify(signature, message)
    except InvalidSignature:
        raise BadSignature(
            f"Ed25519 signature does not verify under the public key of {key.name!r}"
        ) from None


# -- authenticated encryption ----------------------------------------------------------------------
def _nonce(owner: str, nonce: object) -> bytes:
    nonce = _data(owner, "nonce", nonce)
    if len(nonce) != NONCE_SIZE:
        raise ValueError(f"{owner}: nonce must be exactly {NONCE_SIZE} bytes, got {len(nonce)}")
    return nonce


def seal(key: SymmetricKey, nonce: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """Encrypt and authenticate with ChaCha20-Poly1305 (RFC 8439, section 2.8).

    The result is the ciphertext followed by a 16-byte tag. ``associated_data`` is
    authenticated but not encrypted (a record's header, its sequence number, its direction).
    A nonce must never repeat under one key: a channel uses its record's sequence number.

    Parameters
    ----------
    key : SymmetricKey
    nonce : bytes
        Exactly ``NONCE_SIZE`` (12) bytes, unique per key.
    plaintext, associated_data : bytes

    Returns
    -------
    bytes
        ``len(plaintext) + 16`` bytes.

    Examples
    --------
    >>> key = symmetric_key(1, "k")
    >>> box = seal(key, bytes(12), b"attack at dawn", b"header")
    >>> open_sealed(key, bytes(12), box, b"header")
    b'attack at dawn'
    """
    _expect("seal", key, SymmetricKey)
    nonce = _nonce("seal", nonce)
    plaintext = _data("seal", "plaintext", plaintext)
    associated_data = _data("seal", "associated_data", associated_data)
    return ChaCha20Poly1305(key.material).encrypt(nonce, plaintext, associated_data)


def open_sealed(
    key: SymmetricKey, nonce: bytes, ciphertext: bytes, associated_data: bytes = b""
) -> bytes:
    """Decrypt a ``seal`` output; raise ``BadCiphertext`` if anything was changed.

    Raises
    ------
    BadCiphertext
        If the ciphertext, the nonce or the associated data differs from what was sealed, or
        the key is not the one that sealed it (the Poly1305 tag does not verify; nothing is
        decrypted).
    WrongKeyError, TypeError, ValueError
        For a key that is not a ``SymmetricKey``, an argument that is not bytes, or a nonce
        that is not 12 bytes.

    Examples
    --------
    >>> key = symmetric_key(1, "k")
    >>> box = seal(key, bytes(12), b"attack at dawn")
    >>> open_sealed(key, bytes(12), box[:-1] + bytes([box[-1] ^ 1]))
    Traceback (most recent call last):
    ...
    dslib.security.crypto.BadCiphertext: ChaCha20-Poly1305: ciphertext, nonce or associated ...
    """
    _expect("open_sealed", key, SymmetricKey)
    nonce = _nonce("open_sealed", nonce)
    ciphertext = _data("open_sealed", "ciphertext", ciphertext)
    associated_data = _data("open_sealed", "associated_data", associated_data)
    if len(ciphertext) < 16:
        raise BadCiphertext(
            f"ChaCha20-Poly1305: ciphertext has {len(ciphertext)} bytes, shorter than its "
            "16-byte tag"
        )
    try:
        return ChaCha20Poly1305(key.material).decrypt(nonce, ciphertext, associated_data)
    except InvalidTag:
        raise BadCiphertext(
            "ChaCha20-Poly1305: ciphertext, nonce or associated data was modified, or key "
            f"{key.name!r} is not the sealing key"
        ) from None


# -- key agreement -------------------------------------------------------------------------------
def dh_shared_secret(private: DhPrivateKey, public: DhPublicKey) -> bytes:
    """The X25519 shared secret (RFC 7748, section 6.1) of one side's private key and the
    other side's public key share. Feed it to ``hkdf``, never use it as a key directly.

    Raises
    ------
    WrongKeyError
        For keys of other types, or a public key of low order (the shared secret would be all
        zeros, RFC 7748 section 6.1).

    Examples
    --------
    >>> a = dh_key(1, "a")
    >>> len(dh_shared_secret(a, dh_key(1, "b").public))
    32
    >>> dh_shared_secret(a, DhPublicKey(bytes(32), "zero"))
    Traceback (most recent call last):
    ...
    dslib.security.crypto.WrongKeyError: dh_shared_secret: public key 'zero' is of low order ...
    """
    _expect("dh_shared_secret", private, DhPrivateKey)
    _expect("dh_shared_secret", public, DhPublicKey)
    mine = x25519.X25519PrivateKey.from_private_bytes(private.material)
    try:
        return mine.exchange(x25519.X25519PublicKey.from_public_bytes(public.material))
    except ValueError:
        raise WrongKeyError(
            f"dh_shared_secret: public key {public.name!r} is of low order (the shared secret "
            "would be all zeros)"
        ) from None
