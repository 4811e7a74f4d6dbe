"""Authentication: stored passwords, challenge-response, signed tokens, mutual authentication.

Authentication answers "who sent this?". This module builds the four mechanisms a
distributed system uses, on the real primitives of ``dslib.security.crypto``:

- **passwords** stored as salted, deliberately slow scrypt hashes (``hash_password``,
  ``verify_password``): a stolen table of hashes must cost the thief a lot of work per guess;
- **challenge-response** over a shared key (``respond``, ``check_response``): the verifier
  sends a fresh challenge, the prover returns a MAC of it; an old answer is worthless because
  the challenge is never reused;
- **tokens** in the JSON Web Token format (RFC 7519), signed with Ed25519 by an identity
  provider and checked by each service for signature, algorithm, issuer, audience and expiry
  (``IdentityProvider``, ``TokenVerifier``, ``claims_problem``), encoded and decoded by
  ``pyjwt``; the simulation's clock is passed as ``now``;
- **mutual authentication** between two services (``mutual_authentication``): each proves
  itself to the other, and each MAC names who proves to whom, which defeats reflection.

``MUTANTS`` names the classic mistakes; each sits beside the rule it breaks and ``CHECKS``
names the attack that catches it (``mutant_report`` runs them all):

- ``alg_none``: the verifier trusts the token's ``alg`` header and so accepts ``alg: none``,
  a token with no signature (RFC 8725, section 3.1, "Perform Algorithm Verification");
- ``no_expiry_check``: ``exp`` is never compared with the clock; a stolen token works forever;
- ``no_audience_check``: ``aud`` is ignored; a token issued for one service is accepted by
  another (RFC 8725, section 3.9);
- ``shared_key``: the provider and all services share one HMAC key (HS256), so every service
  can mint tokens that every other service accepts;
- ``no_direction_labels``: a challenge-response MAC covers the challenge alone, so an attacker
  can make a party answer its own challenge (a reflection attack).

References
----------
M. Jones, J. Bradley, N. Sakimura, "JSON Web Token (JWT)", RFC 7519, 2015, section 4.1
(registered claims: ``iss``, ``sub``, ``aud``, ``exp``, ``iat``). Y. Sheffer, D. Hardt,
M. Jones, "JSON Web Token Best Current Practices", RFC 8725, 2020, sections 2.1 and 3.1
(algorithm verification), 3.9 (audience). C. Percival, S. Josefsson, "The scrypt
Password-Based Key Derivation Function", RFC 7914, 2016, section 2 (the parameters N, r, p).
OWASP Password Storage Cheat Sheet, section "scrypt" (N = 2**17, r = 8, p = 1).
"""

from __future__ import annotations

import hashlib
import hmac as _hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519

from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants
from dslib.security.crypto import (
    BadTag,
    SecurityError,
    SigningKey,
    SymmetricKey,
    VerifyKey,
    WrongKeyError,
    mac,
    signing_key,
    symmetric_key,
    verify_mac,
)

__all__ = [
    "CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "PRODUCTION_SCRYPT",
    "TEST_SCRYPT",
    "Claims",
    "IdentityProvider",
    "MutualRun",
    "PasswordRecord",
    "ScryptParameters",
    "TokenError",
    "TokenVerifier",
    "check_response",
    "claims_problem",
    "hash_password",
    "mutant_report",
    "mutual_authentication",
    "reflection_attack",
    "respond",
    "token_setup",
    "verify_password",
]

MUTANTS: dict[str, str] = {
    "alg_none": "trusts the token's alg header: accepts alg none, a token with no signature",
    "no_expiry_check": "never compares exp with the clock: an expired token is accepted",
    "no_audience_check": "ignores aud: a token issued for one service is accepted by another",
    "shared_key": "one HS256 key shared by the provider and every service: any service mints "
    "tokens the others accept",
    "no_direction_labels": "the challenge-response MAC covers the challenge only: reflection",
}
"""The classic authentication mistakes, selected by ``mutant=``."""


class TokenError(SecurityError):
    """A token is malformed, unsigned, badly signed, expired, or not meant for this service."""


# -- passwords -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScryptParameters:
    """The cost of scrypt (RFC 7914, section 2).

    Parameters
    ----------
    n : int
        CPU/memory cost, a power of two greater than 1: each hash fills and reads back
        ``128 * n * r`` bytes of memory, so guessing is expensive on GPUs and custom hardware
        as well as on CPUs.
    r : int
        Block size (8 in practice).
    p : int
        Parallelization (independent repetitions).
    salt_size : int
        Bytes of random salt per password (at least 16): equal passwords get different hashes,
        so one precomputed table cannot crack every account at once.

    Examples
    --------
    >>> PRODUCTION_SCRYPT.memory_bytes // 2**20
    128
    >>> ScryptParameters(n=1000)
    Traceback (most recent call last):
    ...
    ValueError: ScryptParameters: n=1000 must be a power of two greater than 1
    """

    n: int = 2**17
    r: int = 8
    p: int = 1
    salt_size: int = 16

    def __post_init__(self) -> None:
        for name in ("n", "r", "p", "salt_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"ScryptParameters: {name}={value!r} must be a positive int")
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError(f"ScryptParameters: n={self.n} must be a power of two greater than 1")
        if self.salt_size < 16:
            raise ValueError(f"ScryptParameters: salt_size={self.salt_size} must be at least 16")

    @property
    def memory_bytes(self) -> int:
        """Memory one hash needs: ``128 * n * r`` bytes."""
        return 128 * self.n * self.r


PRODUCTION_SCRYPT = ScryptParameters(n=2**17, r=8, p=1)
"""OWASP's minimum for scrypt (Password Storage Cheat Sheet): 128 MiB of memory per hash,
acceptable once per login and ruinous for a guesser who must pay it for every guess."""
TEST_SCRYPT = ScryptParameters(n=2**4, r=8, p=1)
"""Tiny parameters for tests and the book's pages only: the same code path, 16 KiB per hash.
Never store real passwords with these."""


@dataclass(frozen=True)
class PasswordRecord:
    """What a server stores for a password: the salt, the scrypt output and the parameters.

    Never the password itself, and never a fast hash of it.
    """

    salt: bytes
    digest: bytes
    parameters: ScryptParameters


def _scrypt(password: str, salt: bytes, parameters: ScryptParameters) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=parameters.n,
        r=parameters.r,
        p=parameters.p,
        maxmem=parameters.memory_bytes + 2**20,
        dklen=32,
    )


def hash_password(
    password: str, salt: bytes, parameters: ScryptParameters = PRODUCTION_SCRYPT
) -> PasswordRecord:
    """Store ``password`` as a salted scrypt hash.

    Parameters
    ----------
    password : str
    salt : bytes
        ``parameters.salt_size`` bytes, different for every password. A real server takes it
        from ``os.urandom``; the book derives it from the seed so that outputs repeat.
    parameters : ScryptParameters, default PRODUCTION_SCRYPT
        Use ``TEST_SCRYPT`` only in tests.

    Raises
    ------
    TypeError, ValueError
        If ``password`` is not a non-empty str or ``salt`` has the wrong size.

    Examples
    --------
    >>> record = hash_password("hunter2", bytes(16), TEST_SCRYPT)
    >>> verify_password(record, "hunter2"), verify_password(record, "hunter3")
    (True, False)
    >>> hash_password("hunter2", bytes(16), TEST_SCRYPT) == record
    True
    >>> hash_password("hunter2", bytes([1]) * 16, TEST_SCRYPT).digest == record.digest
    False
    """
    if not isinstance(password, str) or not password:
        raise TypeError("hash_password: password must be a non-empty str")
    if not isinstance(parameters, ScryptParameters):
        raise TypeError("hash_password: parameters must be a ScryptParameters")
    if not isinstance(salt, bytes) or len(salt) != parameters.salt_size:
        raise ValueError(
            f"hash_password: salt must be {parameters.salt_size} bytes "
            f"(from os.urandom), got {salt!r:.40}"
        )
    return PasswordRecord(salt, _scrypt(password, salt, parameters), parameters)


def verify_password(record: PasswordRecord, password: str) -> bool:
    """Whether ``password`` matches ``record``, compared in constant time.

    Examples
    --------
    >>> verify_password(hash_password("pw", bytes(16), TEST_SCRYPT), "pw")
    True
    """
    if not isinstance(record, PasswordRecord):
        raise TypeError(f"verify_password: record must be a PasswordRecord, got {record!r:.40}")
    if not isinstance(password, str):
        raise TypeError("verify_password: password must be a str")
    candidate = _scrypt(password, record.salt, record.parameters)
    return _hmac.compare_digest(candidate, record.digest)


# -- challenge-response and mutual authentication --------------------------------------------------
def _response_input(challenge: bytes, prover: str, verifier: str, mutant: str | None) -> bytes:
    if mutant == "no_direction_labels":  # MUTANT: the MAC covers the challenge alone
        return challenge
    return b"|".join((b"response", challenge, prover.encode(), b"to", verifier.encode()))


def respond(
    key: SymmetricKey, challenge: bytes, prover: str, verifier: str, mutant: str | None = None
) -> bytes:
    """The prover's answer to a challenge: a MAC of the challenge **and of who proves to whom**.

    Naming the direction is what stops a reflection attack: an answer that A computed for B
    is not an answer from B to A.

    Examples
    --------
    >>> key = symmetric_key(1, "a-b")
    >>> check_response(key, b"n1", "b", "a", respond(key, b"n1", "b", "a"))
    True
    >>> check_response(key, b"n1", "b", "a", respond(key, b"n1", "a", "b"))
    False
    """
    check_mutant("respond", mutant, MUTANTS)
    return mac(key, _response_input(challenge, prover, verifier, mutant))


def check_response(
    key: SymmetricKey,
    challenge: bytes,
    prover: str,
    verifier: str,
    response: bytes,
    mutant: str | None = None,
) -> bool:
    """Whether ``response`` is ``prover``'s answer to ``verifier``'s ``challenge``.

    The verifier must have sent ``challenge`` itself, fresh, and must accept it once: keeping
    the set of outstanding challenges is the caller's job.
    """
    check_mutant("check_response", mutant, MUTANTS)
    try:
        verify_mac(key, _response_input(challenge, prover, verifier, mutant), response)
    except BadTag:
        return False
    return True


@dataclass(frozen=True)
class MutualRun:
    """What happened in ``mutual_authentication``: the messages and each side's verdict."""

    messages: tuple[tuple[str, str, str], ...]
    a_accepts: bool
    b_accepts: bool


def mutual_authentication(
    key: SymmetricKey,
    a: str,
    b: str,
    nonce_a: bytes,
    nonce_b: bytes,
    mutant: str | None = None,
) -> MutualRun:
    """Three messages by which ``a`` and ``b``, sharing ``key``, each prove themselves.

    1. ``a -> b``: ``a``, ``nonce_a``
    2. ``b -> a``: ``nonce_b``, ``respond(key, nonce_a, b, a)``
    3. ``a -> b``: ``respond(key, nonce_b, a, b)``

    Each side accepts if the other's answer checks against the nonce it sent.

    Examples
    --------
    >>> run = mutual_authentication(symmetric_key(1, "a-b"), "a", "b", b"na", b"nb")
    >>> run.a_accepts, run.b_accepts
    (True, True)
    >>> [m[:2] for m in run.messages]
    [('a', 'b'), ('b', 'a'), ('a', 'b')]
    """
    check_mutant("mutual_authentication", mutant, MUTANTS)
    answer_b = respond(key, nonce_a, b, a, mutant)
    answer_a = respond(key, nonce_b, a, b, mutant)
    return MutualRun(
        messages=(
            (a, b, f"{a}, nonce {nonce_a.hex()}"),
            (b, a, f"nonce {nonce_b.hex()}, answer {answer_b.hex()[:8]}.."),
            (a, b, f"answer {answer_a.hex()[:8]}.."),
        ),
        a_accepts=check_response(key, nonce_a, b, a, answer_b, mutant),
        b_accepts=check_response(key, nonce_b, a, b, answer_a, mutant),
    )


def reflection_attack(key: SymmetricKey, mutant: str | None = None) -> bool:
    """Whether an attacker without ``key`` convinces ``a`` that it is ``b``.

    The attacker opens session 1 to ``a`` as ``b`` and receives ``a``'s challenge ``n``. It
    cannot answer, so it opens session 2 to ``a``, again as ``b``, and sends ``n`` as *its*
    challenge. ``a``, playing responder in session 2, answers ``n``; the attacker replays
    that answer in session 1. With direction labels ``a``'s answer says "a to b", while
    session 1 needs "b to a", and the attack fails.

    Examples
    --------
    >>> key = symmetric_key(1, "a-b")
    >>> reflection_attack(key), reflection_attack(key, mutant="no_direction_labels")
    (False, True)
    """
    challenge = b"fresh nonce from a"
    reflected = respond(key, challenge, "a", "b", mutant)  # a answers in session 2
    return check_response(key, challenge, "b", "a", reflected, mutant)  # accepted in session 1?


# -- tokens --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claims:
    """The claims of a token (RFC 7519, section 4.1), times in the simulation's seconds.

    Examples
    --------
    >>> Claims("alice", "billing", "idp", 0.0, 60.0, ("read",)).expires_at
    60.0
    """

    subject: str
    audience: str
    issuer: str
    issued_at: float
    expires_at: float
    scope: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, object]:
        """The JSON payload: ``sub``, ``aud``, ``iss``, ``iat``, ``exp``, ``scope``."""
        return {
            "sub": self.subject,
            "aud": self.audience,
            "iss": self.issuer,
            "iat": self.issued_at,
            "exp": self.expires_at,
            "scope": " ".join(self.scope),
        }

    @staticmethod
    def from_payload(payload: Mapping[str, object]) -> Claims:
        """Read claims back; a missing or mistyped claim is a ``TokenError``."""
        try:
            sub, aud, iss, scope = (payload[k] for k in ("sub", "aud", "iss", "scope"))
            iat, exp = (payload[k] for k in ("iat", "exp"))
            if not all(isinstance(v, str) for v in (sub, aud, iss, scope)):
                raise TypeError("sub, aud, iss and scope must be strings")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (iat, exp)):
                raise TypeError("iat and exp must be numbers")
        except (KeyError, TypeError) as exc:
            raise TokenError(f"token claims are malformed: {exc}") from None
        return Claims(
            str(sub),
            str(aud),
            str(iss),
            float(iat),  # type: ignore[arg-type]
            float(exp),  # type: ignore[arg-type]
            tuple(str(scope).split()),
        )


def claims_problem(
    claims: Claims, audience: str, issuer: str, now: float, mutant: str | None = None
) -> str | None:
    """Why a token with a good signature must still be refused, or ``None`` if it may be used.

    The rules (RFC 7519, section 4.1): it was issued by the provider this service trusts
    (``iss``), for this service (``aud``), and it has not expired: the current time must be
    **before** ``exp`` (section 4.1.4), so at ``now == exp`` it is already expired.

    Examples
    --------
    >>> claims = Claims("alice", "billing", "idp", 0.0, 60.0)
    >>> claims_problem(claims, "billing", "idp", now=59.9) is None
    True
    >>> claims_problem(claims, "billing", "idp", now=60.0)
    'expired at 60.0 (now 60.0)'
    >>> claims_problem(claims, "reports", "idp", now=1.0)
    "issued for 'billing', not for 'reports'"
    """
    if claims.issuer != issuer:
        return f"issued by {claims.issuer!r}, not by {issuer!r}"
    if claims.audience != audience and mutant != "no_audience_check":  # MUTANT: aud ignored
        return f"issued for {claims.audience!r}, not for {audience!r}"
    if now >= claims.expires_at and mutant != "no_expiry_check":  # MUTANT: exp ignored
        return f"expired at {claims.expires_at} (now {now})"
    return None


@dataclass(frozen=True)
class IdentityProvider:
    """Issues tokens signed with Ed25519 (``alg: EdDSA``), or under ``shared_key`` with HS256.

    Parameters
    ----------
    name : str
        The ``iss`` claim.
    key : SigningKey
        The provider's private key; services hold only ``key.public``.
    shared_secret : SymmetricKey or None
        Set only by the ``shared_key`` mutant (see ``token_setup``).
    """

    name: str
    key: SigningKey
    shared_secret: SymmetricKey | None = None

    def issue(
        self, subject: str, audience: str, now: float, lifetime: float, scope: Sequence[str] = ()
    ) -> str:
        """A signed token for ``subject`` to present to ``audience`` until ``now + lifetime``.

        Examples
        --------
        >>> idp, services = token_setup(seed=1, services=("billing",))
        >>> token = idp.issue("alice", "billing", now=0.0, lifetime=60.0)
        >>> token.count(".")
        2
        """
        if not lifetime > 0:
            raise ValueError(f"IdentityProvider.issue: lifetime={lifetime!r} must be positive")
        claims = Claims(subject, audience, self.name, now, now + lifetime, tuple(scope))
        if self.shared_secret is not None:
            return jwt.encode(claims.to_payload(), self.shared_secret.material, algorithm="HS256")
        private = ed25519.Ed25519PrivateKey.from_private_bytes(self.key.material)
        return jwt.encode(claims.to_payload(), private, algorithm="EdDSA")


@dataclass(frozen=True)
class TokenVerifier:
    """A service's token check: algorithm, signature, issuer, audience, expiry.

    Parameters
    ----------
    service : str
        This service's name: the ``aud`` its tokens must carry.
    issuer : str
        The provider it trusts.
    provider_key : VerifyKey
        The provider's public key.
    shared_secret : SymmetricKey or None
        Only under the ``shared_key`` mutant.
    mutant : str or None
        A name from ``MUTANTS``.
    """

    service: str
    issuer: str
    provider_key: VerifyKey
    shared_secret: SymmetricKey | None = None
    mutant: str | None = None
    accepted_algorithms: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        check_mutant("TokenVerifier", self.mutant, MUTANTS)
        if not isinstance(self.provider_key, VerifyKey):
            raise WrongKeyError(
                f"TokenVerifier: provider_key must be a VerifyKey, got "
                f"{type(self.provider_key).__name__}"
            )
        algorithms = ("HS256",) if self.mutant == "shared_key" else ("EdDSA",)
        object.__setattr__(self, "accepted_algorithms", algorithms)

    def verify(self, token: str, now: float) -> Claims:
        """The token's claims, if this service may act on them; else ``TokenError``.

        The algorithm is fixed by the service, never read from the token (RFC 8725, section
        3.1): a token that says ``alg: none`` or ``HS256`` is refused before anything else.

        Raises
        ------
        TokenError
            Malformed, wrong algorithm, bad signature, wrong issuer or audience, or expired;
            the message says which.

        Examples
        --------
        >>> idp, services = token_setup(seed=1, services=("billing", "reports"))
        >>> token = idp.issue("alice", "billing", now=0.0, lifetime=60.0)
        >>> services["billing"].verify(token, now=10.0).subject
        'alice'
        >>> services["reports"].verify(token, now=10.0)
        Traceback (most recent call last):
        ...
        dslib.security.auth.TokenError: reports refuses the token: issued for 'billing', not ...
        >>> services["billing"].verify("not a token", now=10.0)
        Traceback (most recent call last):
        ...
        dslib.security.auth.TokenError: billing refuses the token: malformed (Not enough segments)
        """
        if not isinstance(token, str):
            raise TypeError(
                f"TokenVerifier.verify: token must be a str, got {type(token).__name__}"
            )
        refuse = f"{self.service} refuses the token"
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
            if self.mutant == "alg_none" and algorithm == "none":  # MUTANT: trusts the header
                payload = jwt.decode(token, options={"verify_signature": False})
            elif algorithm not in self.accepted_algorithms:
                raise TokenError(
                    f"{refuse}: alg {algorithm!r}, and it accepts only "
                    f"{list(self.accepted_algorithms)} (RFC 8725, section 3.1)"
                )
            else:
                key: object = (
                    self.shared_secret.material
                    if self.shared_secret is not None
                    else ed25519.Ed25519PublicKey.from_public_bytes(self.provider_key.material)
                )
                payload = jwt.decode(
                    token,
                    key,  # type: ignore[arg-type]
                    algorithms=list(self.accepted_algorithms),
                    options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
                )
        except jwt.InvalidSignatureError:
            raise TokenError(f"{refuse}: the signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise TokenError(f"{refuse}: malformed ({exc})") from None
        claims = Claims.from_payload(payload)
        problem = claims_problem(claims, self.service, self.issuer, now, self.mutant)
        if problem is not None:
            raise TokenError(f"{refuse}: {problem}")
        return claims


def token_setup(
    seed: int, services: Sequence[str] = ("billing", "reports"), mutant: str | None = None
) -> tuple[IdentityProvider, dict[str, TokenVerifier]]:
    """An identity provider ``"idp"`` and one verifier per service, keys from ``seed``.

    The provider signs with Ed25519 and services hold its public key, which can verify but
    not sign. Under the ``shared_key`` mutant there is one HS256 secret, held by everyone.

    Examples
    --------
    >>> idp, verifiers = token_setup(1, ("a", "b"))
    >>> sorted(verifiers), verifiers["a"].accepted_algorithms
    (['a', 'b'], ('EdDSA',))
    """
    check_mutant("token_setup", mutant, MUTANTS)
    if isinstance(services, str) or not services:
        raise ValueError(f"token_setup: services={services!r} must be a non-empty list of names")
    key = signing_key(seed, "idp")
    shared = symmetric_key(seed, "shared by all services") if mutant == "shared_key" else None
    idp = IdentityProvider("idp", key, shared)
    verifiers = {s: TokenVerifier(s, "idp", key.public, shared, mutant) for s in services}
    return idp, verifiers


# -- the named checks: each is an attack that must fail ------------------------------------------
def _refused(verifier: TokenVerifier, token: str, now: float) -> bool:
    try:
        verifier.verify(token, now)
    except TokenError:
        return True
    return False


def _honest_use(mutant: str | None) -> Outcome:
    idp, services = token_setup(1, mutant=mutant)
    token = idp.issue("alice", "billing", now=0.0, lifetime=60.0, scope=("read",))
    claims = services["billing"].verify(token, now=59.0)
    run = mutual_authentication(symmetric_key(1, "a-b"), "a", "b", b"na", b"nb", mutant)
    ok = claims.subject == "alice" and run.a_accepts and run.b_accepts
    return Outcome(ok, None if ok else 1, "a valid token and an honest mutual run are accepted")


def _unsigned_token_refused(mutant: str | None) -> Outcome:
    _, services = token_setup(1, mutant=mutant)
    forged = Claims("mallory", "billing", "idp", 0.0, 1e9, ("admin",))
    token = jwt.encode(forged.to_payload(), "", algorithm="none")
    ok = _refused(services["billing"], token, now=1.0)
    return Outcome(ok, None if ok else 1, "an alg none token claiming admin")


def _expired_token_refused(mutant: str | None) -> Outcome:
    idp, services = token_setup(1, mutant=mutant)
    token = idp.issue("alice", "billing", now=0.0, lifetime=60.0)
    late = [t for t in (60.0, 61.0, 3600.0) if not _refused(services["billing"], token, t)]
    return Outcome(not late, len(late) or None, f"accepted at {late}" if late else "")


def _token_for_another_service_refused(mutant: str | None) -> Outcome:
    idp, services = token_setup(1, mutant=mutant)
    token = idp.issue("alice", "reports", now=0.0, lifetime=60.0)
    ok = _refused(services["billing"], token, now=1.0)
    return Outcome(ok, None if ok else 1, "a token for reports presented to billing")


def _service_cannot_mint_tokens(mutant: str | None) -> Outcome:
    """Service ``reports`` turns bad and signs a token for ``billing`` with every key it holds:
    its shared secret if it has one, and the provider's public key used as an HMAC secret
    (the algorithm-confusion attack, RFC 8725 section 2.1)."""
    _, services = token_setup(1, mutant=mutant)
    reports = services["reports"]
    payload = Claims("mallory", "billing", "idp", 0.0, 1e9, ("admin",)).to_payload()
    keys = [reports.provider_key.material]
    if reports.shared_secret is not None:
        keys.append(reports.shared_secret.material)
    accepted = [
        k
        for k in keys
        if not _refused(services["billing"], jwt.encode(payload, k, algorithm="HS256"), 1.0)
    ]
    return Outcome(not accepted, 1 if accepted else None, "tokens signed by a service")


def _reflection_refused(mutant: str | None) -> Outcome:
    ok = not reflection_attack(symmetric_key(1, "a-b"), mutant)
    return Outcome(ok, None if ok else 2, "a answers its own challenge in a second session")


CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "honest use accepted": _honest_use,
    "unsigned token refused": _unsigned_token_refused,
    "expired token refused": _expired_token_refused,
    "token for another service refused": _token_for_another_service_refused,
    "service cannot mint tokens": _service_cannot_mint_tokens,
    "reflection refused": _reflection_refused,
}
"""The named checks, each a function of the mutant name (``None``: the correct version)."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "alg_none": ("unsigned token refused",),
    "no_expiry_check": ("expired token refused",),
    "no_audience_check": ("token for another service refused",),
    "shared_key": ("service cannot mint tokens",),
    "no_direction_labels": ("reflection refused",),
}
"""The check that must catch each mutant."""


def mutant_report() -> MutantReport:
    """Every check on the correct version and on each mutant: the chapter's table.

    Examples
    --------
    >>> report = mutant_report()
    >>> report.problems()
    []
    >>> print(report.to_frame()[["mutant", "caught by"]].to_string(index=False))
                 mutant                         caught by
        correct version         none: passes all 6 checks
               alg_none            unsigned token refused
      no_audience_check token for another service refused
    no_direction_labels                reflection refused
        no_expiry_check             expired token refused
             shared_key        service cannot mint tokens
    """
    mutants = [
        Mutant(name, MUTANTS[name], _selects(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    return run_mutants(_selects(None), mutants, CHECKS)


def _selects(name: str | None) -> Callable[[], str | None]:
    return lambda: name
