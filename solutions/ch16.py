"""Reference solutions of chapter 16's exercises (try first!)."""

from __future__ import annotations

from dslib.security.auth import Claims
from dslib.security.authz import Capability
from dslib.security.channel import ReplayWindow
from dslib.security.crypto import SymmetricKey, mac

__all__ = ["attenuate", "token_usable", "window_accept"]


def token_usable(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    """Issued by the trusted issuer, for this service, and not yet expired (now < exp)."""
    return claims.issuer == issuer and claims.audience == audience and now < claims.expires_at


def window_accept(window: ReplayWindow, seq: int) -> ReplayWindow | None:
    """Slide up for a new highest; accept once within the window; refuse older numbers."""
    if seq > window.highest:
        seen = frozenset(s for s in window.seen | {seq} if s > seq - window.size)
        return ReplayWindow(window.size, seq, seen)
    if seq <= window.highest - window.size or seq in window.seen:
        return None
    return ReplayWindow(window.size, window.highest, window.seen | {seq})


def attenuate(cap: Capability, caveat: str) -> Capability:
    """Append the caveat; the new tag is the HMAC of the caveat keyed with the old tag."""
    tag = mac(SymmetricKey(cap.tag, "capability tag"), caveat.encode())
    return Capability(cap.identifier, (*cap.caveats, caveat), tag)
