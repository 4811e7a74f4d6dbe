"""Tests of dslib.security.crypto: the primitives work, tampering is caught, bad input is named."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.security.crypto import (
    MAC_SIZE,
    NONCE_SIZE,
    BadCiphertext,
    BadSignature,
    BadTag,
    DhPublicKey,
    SecurityError,
    SigningKey,
    SymmetricKey,
    VerifyKey,
    WrongKeyError,
    dh_key,
    dh_shared_secret,
    hkdf,
    mac,
    open_sealed,
    seal,
    sign,
    signing_key,
    symmetric_key,
    verify_mac,
    verify_signature,
)

KEY = symmetric_key(3, "alice-bob")
SIGNER = signing_key(3, "server")
MESSAGES = st.binary(min_size=1, max_size=40)


def flip(data: bytes, index: int, bit: int) -> bytes:
    """``data`` with one bit of one byte changed."""
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ (1 << bit)]) + data[i + 1 :]


# -- the primitives agree with independent computations -----------------------------------------
def test_mac_is_hmac_sha256_from_the_standard_library() -> None:
    # RFC 4231 test case 2: key "Jefe".
    assert hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )
    assert mac(KEY, b"m") == hmac.new(KEY.material, b"m", hashlib.sha256).digest()


def test_ed25519_matches_rfc8032_test_vector_1() -> None:
    # RFC 8032 section 7.1, TEST 1 (empty message).
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    key = SigningKey(secret, "rfc")
    assert key.public.material.hex() == (
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    )
    assert sign(key, b"").hex().startswith("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d8")


def test_seeded_keys_are_repeatable_and_distinct_by_seed_name_and_kind() -> None:
    assert symmetric_key(3, "alice-bob") == KEY
    assert symmetric_key(4, "alice-bob") != KEY
    assert symmetric_key(3, "alice-carol") != KEY
    assert signing_key(3, "alice-bob").material != KEY.material
    assert dh_key(3, "alice-bob").material != KEY.material


def test_x25519_both_sides_agree_and_hkdf_labels_separate_keys() -> None:
    a, b = dh_key(1, "a"), dh_key(1, "b")
    shared = dh_shared_secret(a, b.public)
    assert shared == dh_shared_secret(b, a.public)
    assert shared != dh_shared_secret(a, dh_key(1, "c").public)
    assert hkdf(shared, b"c2s") != hkdf(shared, b"s2c")


def test_repr_shows_name_and_fingerprint_never_the_key() -> None:
    text = repr(KEY)
    assert "alice-bob" in text and KEY.material.hex() not in text


# -- tampering any byte is rejected (hypothesis) --------------------------------------------------
@settings(max_examples=25)
@given(MESSAGES, st.integers(0, 200), st.integers(0, 7))
def test_a_mac_rejects_any_changed_bit_of_message_or_tag(
    message: bytes, index: int, bit: int
) -> None:
    tag = mac(KEY, message)
    verify_mac(KEY, message, tag)
    with pytest.raises(BadTag):
        verify_mac(KEY, flip(message, index, bit), tag)
    with pytest.raises(BadTag):
        verify_mac(KEY, message, flip(tag, index, bit))
    with pytest.raises(BadTag):
        verify_mac(KEY, message, tag[: index % MAC_SIZE])  # truncated: refused, not compared
    with pytest.raises(BadTag):
        verify_mac(symmetric_key(4, "alice-bob"), message, tag)


@settings(max_examples=25)
@given(MESSAGES, st.integers(0, 200), st.integers(0, 7))
def test_a_signature_rejects_any_changed_bit(message: bytes, index: int, bit: int) -> None:
    signature = sign(SIGNER, message)
    verify_signature(SIGNER.public, message, signature)
    with pytest.raises(BadSignature):
        verify_signature(SIGNER.public, flip(message, index, bit), signature)
    with pytest.raises(BadSignature):
        verify_signature(SIGNER.public, message, flip(signature, index, bit))
    with pytest.raises(BadSignature):
        verify_signature(signing_key(3, "other").public, message, signature)


@settings(max_examples=25)
@given(MESSAGES, st.binary(max_size=10), st.integers(0, 200), st.integers(0, 7))
def test_aead_rejects_any_changed_bit_of_ciphertext_nonce_or_associated_data(
    plaintext: bytes, header: bytes, index: int, bit: int
) -> None:
    nonce = (7).to_bytes(NONCE_SIZE, "big")
    box = seal(KEY, nonce, plaintext, header)
    assert open_sealed(KEY, nonce, box, header) == plaintext
    assert plaintext not in box or len(plaintext) < 4  # encrypted (a short one may recur)
    with pytest.raises(BadCiphertext):
        open_sealed(KEY, nonce, flip(box, index, bit), header)
    with pytest.raises(BadCiphertext):
        open_sealed(KEY, flip(nonce, index, bit), box, header)
    with pytest.raises(BadCiphertext):
        open_sealed(KEY, nonce, box, header + b"!")
    with pytest.raises(BadCiphertext):
        open_sealed(symmetric_key(4, "alice-bob"), nonce, box, header)


# -- bad input: named errors, never a bare traceback of the library -----------------------------
@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: SymmetricKey(bytes(31), "k"), WrongKeyError, "exactly 32 bytes, got 31"),
        (lambda: SymmetricKey("00" * 32, "k"), WrongKeyError, "must be bytes, got str"),  # type: ignore[arg-type]
        (lambda: mac(SIGNER, b"m"), WrongKeyError, "needs a SymmetricKey, got SigningKey"),  # type: ignore[arg-type]
        (lambda: seal(SIGNER, bytes(12), b"m"), WrongKeyError, "needs a SymmetricKey"),  # type: ignore[arg-type]
        (lambda: sign(KEY, b"m"), WrongKeyError, "needs a SigningKey, got SymmetricKey"),  # type: ignore[arg-type]
        (lambda: verify_signature(SIGNER, b"m", bytes(64)), WrongKeyError, "needs a VerifyKey"),  # type: ignore[arg-type]
        (lambda: verify_signature(SIGNER.public, b"m", bytes(10)), BadSignature, "has 10 bytes"),
        (lambda: mac(KEY, "text"), TypeError, "message must be bytes, got str"),  # type: ignore[arg-type]
        (lambda: seal(KEY, bytes(8), b"m"), ValueError, "nonce must be exactly 12 bytes"),
        (lambda: open_sealed(KEY, bytes(12), b"short"), BadCiphertext, "shorter than its"),
        (
            lambda: dh_shared_secret(dh_key(1, "a"), DhPublicKey(bytes(32), "zero")),
            WrongKeyError,
            "low order",
        ),
        (lambda: dh_shared_secret(dh_key(1, "a"), KEY), WrongKeyError, "needs a DhPublicKey"),  # type: ignore[arg-type]
        (lambda: hkdf(b"s", b"i", length=0), ValueError, "length=0 must be an int"),
        (lambda: symmetric_key("1", "k"), TypeError, "seed must be an int"),  # type: ignore[arg-type]
        (lambda: symmetric_key(1, ""), ValueError, "must be a non-empty str"),
    ],
)
def test_bad_input_gives_a_named_error(call: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()  # type: ignore[operator]


def test_every_verification_failure_is_a_security_error_and_a_value_error() -> None:
    for cls in (BadTag, BadSignature, BadCiphertext, WrongKeyError):
        assert issubclass(cls, SecurityError) and issubclass(cls, ValueError)
    assert issubclass(WrongKeyError, TypeError)


def test_a_verify_key_that_is_not_a_curve_point_verifies_nothing() -> None:
    message = b"m"
    signature = sign(SIGNER, message)
    for i in range(4):
        with pytest.raises(BadSignature):
            verify_signature(VerifyKey(bytes([i]) * 32, "junk"), message, signature)
