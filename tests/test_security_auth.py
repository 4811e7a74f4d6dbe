"""Tests of dslib.security.auth: passwords, challenge-response, tokens and their mutants.

scrypt runs with ``TEST_SCRYPT`` (n = 2**4, 16 KiB) here: the same code path as the
production parameters at a thousandth of the cost.
"""

from __future__ import annotations

import base64

import jwt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.security.auth import (
    CHECKS,
    MUTANT_CHECKS,
    MUTANTS,
    PRODUCTION_SCRYPT,
    TEST_SCRYPT,
    Claims,
    ScryptParameters,
    TokenError,
    TokenVerifier,
    check_response,
    claims_problem,
    hash_password,
    mutant_report,
    mutual_authentication,
    reflection_attack,
    respond,
    token_setup,
    verify_password,
)
from dslib.security.crypto import SecurityError, WrongKeyError, symmetric_key

IDP, SERVICES = token_setup(seed=5)
TOKEN = IDP.issue("alice", "billing", now=100.0, lifetime=60.0, scope=("read", "pay"))


def segments(token: str) -> list[bytes]:
    return [base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)) for s in token.split(".")]


# -- passwords -----------------------------------------------------------------------------------
def test_passwords_are_salted_and_checked() -> None:
    a = hash_password("correct horse", bytes(16), TEST_SCRYPT)
    b = hash_password("correct horse", bytes([1]) * 16, TEST_SCRYPT)
    assert a.digest != b.digest  # same password, different salt: different hash
    assert verify_password(a, "correct horse") and verify_password(b, "correct horse")
    assert not verify_password(a, "correct horsf") and not verify_password(a, "")
    assert b"correct horse" not in a.digest + a.salt


def test_production_parameters_follow_owasp() -> None:
    assert (PRODUCTION_SCRYPT.n, PRODUCTION_SCRYPT.r, PRODUCTION_SCRYPT.p) == (2**17, 8, 1)
    assert PRODUCTION_SCRYPT.memory_bytes == 128 * 2**20


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: ScryptParameters(n=3), ValueError, "power of two"),
        (lambda: ScryptParameters(salt_size=8), ValueError, "at least 16"),
        (lambda: hash_password("pw", bytes(8), TEST_SCRYPT), ValueError, "salt must be 16"),
        (lambda: hash_password("", bytes(16), TEST_SCRYPT), TypeError, "non-empty str"),
        (lambda: verify_password("digest", "pw"), TypeError, "PasswordRecord"),  # type: ignore[arg-type]
    ],
)
def test_password_bad_input(call: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()  # type: ignore[operator]


# -- challenge-response ---------------------------------------------------------------------
def test_a_response_answers_one_challenge_in_one_direction_under_one_key() -> None:
    key = symmetric_key(5, "a-b")
    answer = respond(key, b"c1", "b", "a")
    assert check_response(key, b"c1", "b", "a", answer)
    assert not check_response(key, b"c2", "b", "a", answer)  # a replay against a new challenge
    assert not check_response(key, b"c1", "a", "b", answer)  # reflected
    assert not check_response(symmetric_key(6, "a-b"), b"c1", "b", "a", answer)
    run = mutual_authentication(key, "a", "b", b"na", b"nb")
    assert run.a_accepts and run.b_accepts
    wrong = mutual_authentication(key, "a", "b", b"na", b"nb")
    assert wrong == run  # deterministic


def test_reflection_works_only_without_direction_labels() -> None:
    key = symmetric_key(5, "a-b")
    assert not reflection_attack(key)
    assert reflection_attack(key, mutant="no_direction_labels")


# -- tokens --------------------------------------------------------------------------------------
def test_a_valid_token_is_accepted_until_just_before_expiry() -> None:
    claims = SERVICES["billing"].verify(TOKEN, now=159.999)
    assert claims == Claims("alice", "billing", "idp", 100.0, 160.0, ("read", "pay"))
    with pytest.raises(TokenError, match="expired at 160.0"):
        SERVICES["billing"].verify(TOKEN, now=160.0)  # RFC 7519 4.1.4: now must be before exp


def test_claims_problem_against_a_brute_force_reading_of_the_rules() -> None:
    # Independent oracle: the token is usable iff all three conditions hold.
    for issuer in ("idp", "other"):
        for audience in ("billing", "reports"):
            for now in (0.0, 59.0, 60.0, 61.0):
                claims = Claims("alice", audience, issuer, 0.0, 60.0)
                usable = issuer == "idp" and audience == "billing" and now < 60.0
                assert (claims_problem(claims, "billing", "idp", now) is None) == usable


@settings(max_examples=40)
@given(st.data())
def test_changing_any_character_of_a_token_is_refused(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(TOKEN) - 1))
    if TOKEN[index] == ".":
        return
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    char = data.draw(st.sampled_from(alphabet).filter(lambda c: c != TOKEN[index]))
    tampered = TOKEN[:index] + char + TOKEN[index + 1 :]
    try:
        same = segments(tampered) == segments(TOKEN)
    except ValueError:
        same = False
    if same:  # a segment's last character's spare bits: the decoded token did not change
        # a verifier may refuse the non-canonical encoding (pyjwt does for some segments);
        # if it accepts, it must read the same token
        try:
            claims = SERVICES["billing"].verify(tampered, now=101.0)
        except TokenError as exc:
            assert "malformed" in str(exc)
        else:
            assert claims.subject == "alice"
    else:
        with pytest.raises(TokenError):
            SERVICES["billing"].verify(tampered, now=101.0)


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.integers(0, 7))
def test_changing_any_bit_of_the_signed_bytes_is_refused(position: int, bit: int) -> None:
    header, payload, signature = segments(TOKEN)
    parts = [header, payload, signature]
    which = position % 3
    data = parts[which]
    i = position % len(data)
    parts[which] = data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]
    tampered = ".".join(base64.urlsafe_b64encode(p).rstrip(b"=").decode() for p in parts)
    with pytest.raises(TokenError):
        SERVICES["billing"].verify(tampered, now=101.0)


@pytest.mark.parametrize(
    "token, words",
    [
        ("", "malformed"),
        ("a.b", "malformed"),
        ("a.b.c", "malformed"),
        (jwt.encode({"sub": "x"}, "", algorithm="none"), "alg 'none'"),
        (jwt.encode({"sub": "x"}, b"k" * 32, algorithm="HS256"), "alg 'HS256'"),
    ],
)
def test_malformed_and_wrong_algorithm_tokens_are_named(token: str, words: str) -> None:
    with pytest.raises(TokenError, match=words):
        SERVICES["billing"].verify(token, now=1.0)


def test_a_token_with_missing_claims_is_refused_by_name() -> None:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    private = ed25519.Ed25519PrivateKey.from_private_bytes(IDP.key.material)
    token = jwt.encode({"sub": "alice"}, private, algorithm="EdDSA")
    with pytest.raises(TokenError, match="claims are malformed"):
        SERVICES["billing"].verify(token, now=1.0)


def test_token_bad_input() -> None:
    with pytest.raises(TypeError, match="token must be a str"):
        SERVICES["billing"].verify(b"abc", now=1.0)  # type: ignore[arg-type]
    with pytest.raises(WrongKeyError, match="provider_key must be a VerifyKey"):
        TokenVerifier("billing", "idp", IDP.key)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown mutant 'typo'"):
        token_setup(1, mutant="typo")
    with pytest.raises(ValueError, match="lifetime"):
        IDP.issue("alice", "billing", now=0.0, lifetime=0.0)
    assert issubclass(TokenError, SecurityError)


# -- mutants ---------------------------------------------------------------------------------------
def test_every_mutant_is_caught_by_its_named_check_and_the_correct_version_passes() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert sorted(MUTANT_CHECKS) == sorted(MUTANTS)
    for result in report.mutants:
        assert set(MUTANT_CHECKS[result.name]) <= set(result.caught_by)


def test_each_check_passes_the_correct_version() -> None:
    for name, check in CHECKS.items():
        assert check(None).ok, name
