"""Chapter 16, security: real cryptography, authentication, authorization, secure channels.

- ``dslib.security.crypto``: HMAC-SHA-256, Ed25519, ChaCha20-Poly1305, HKDF and X25519 from
  the ``cryptography`` package behind a small API, with keys derived from the simulation's
  seed (for simulation only) and named errors (``SecurityError`` and its subclasses);
- ``dslib.security.auth``: passwords stored with scrypt, challenge-response, JSON Web Tokens
  with expiry and audience, mutual authentication, and the classic token mistakes as mutants;
- ``dslib.security.authz``: access-control lists, role-based access control, macaroon-style
  capabilities, the confused deputy, and a role policy checked by z3;
- ``dslib.security.channel``: a toy handshake (X25519, signed transcripts, HKDF, AEAD records
  with sequence numbers and a replay window) and what each part prevents.

The cryptography is re-exported here (``from dslib.security import mac``); the other
modules are imported by name.
"""

from dslib.security.crypto import *  # noqa: F403
from dslib.security.crypto import __all__ as _crypto_all

__all__ = [*_crypto_all]
