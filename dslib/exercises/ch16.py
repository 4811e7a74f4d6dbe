"""Chapter 16 (security): verify a token, a replay window, attenuate a capability.

- ``ch16.token_usable``: the claim checks a service makes once a token's signature verifies
  (issuer, audience, expiry; RFC 7519 section 4.1);
- ``ch16.replay_window``: the receiver's sliding window of sequence numbers (RFC 4303
  section 3.4.3), which accepts reordered records once and refuses replays;
- ``ch16.attenuate``: add a caveat to a macaroon-style capability (Birgisson et al. 2014,
  the chained-HMAC construction), without any key.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch16.replay_window").stages]
['examples', 'properties']

References
----------
.. [1] M. Jones, J. Bradley, N. Sakimura, "JSON Web Token (JWT)", RFC 7519, 2015,
   section 4.1.
.. [2] S. Kent, "IP Encapsulating Security Payload (ESP)", RFC 4303, 2005, section 3.4.3.
.. [3] A. Birgisson et al., "Macaroons: Cookies with Contextual Caveats for Decentralized
   Authorization in the Cloud", NDSS 2014 (the chained-HMAC construction).
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st

from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mistake,
    Properties,
    Property,
    Raised,
    call_answer,
)
from dslib.security.auth import Claims, claims_problem
from dslib.security.authz import Capability, Request, mint, verify_capability
from dslib.security.authz import attenuate as _attenuate
from dslib.security.channel import ReplayWindow, window_accept
from dslib.security.crypto import symmetric_key

__all__ = ["ATTENUATE", "REPLAY_WINDOW", "TOKEN_USABLE"]


# -- verify a token ------------------------------------------------------------------------------
def _claims(audience: str = "billing", issuer: str = "idp", exp: float = 60.0) -> Claims:
    return Claims("alice", audience, issuer, 0.0, exp, ("read",))


def _usable(claims: Claims, audience: str, issuer: str, now: float) -> bool:
    return claims_problem(claims, audience, issuer, now) is None


def _tu_call(args: tuple[Any, ...]) -> str:
    c = args[0]
    return (
        f"token_usable(Claims(audience={c.audience!r}, issuer={c.issuer!r}, "
        f"expires_at={c.expires_at}), {args[1]!r}, {args[2]!r}, now={args[3]})"
    )


def _tu_examples() -> list[Example]:
    cases = [
        (_claims(), "billing", "idp", 10.0),
        (_claims(), "billing", "idp", 59.5),
        (_claims(), "billing", "idp", 60.0),
        (_claims(), "billing", "idp", 3600.0),
        (_claims(audience="reports"), "billing", "idp", 10.0),
        (_claims(issuer="mallory"), "billing", "idp", 10.0),
        (_claims(audience="reports"), "reports", "idp", 10.0),
    ]
    return [Example(c, _usable(*c)) for c in cases]


_TU_MISTAKES = [
    Mistake(
        "no expiry check",
        lambda f: f(_claims(), "billing", "idp", 10**6) is True,
        "Your answer accepts a token long after it expired: compare now with "
        "claims.expires_at. A stolen token would otherwise work forever.",
    ),
    Mistake(
        "expiry inclusive",
        lambda f: (
            f(_claims(), "billing", "idp", 60.0) is True
            and f(_claims(), "billing", "idp", 61.0) is False
        ),
        "At now == expires_at the token has already expired: RFC 7519 (section 4.1.4) says "
        "the current time must be before exp, so use now < claims.expires_at.",
    ),
    Mistake(
        "no audience check",
        lambda f: f(_claims(audience="reports"), "billing", "idp", 10.0) is True,
        "Your answer accepts a token issued for another service (claims.audience is "
        "'reports', this service is 'billing'): a token one service received could then be "
        "replayed to every other.",
    ),
    Mistake(
        "no issuer check",
        lambda f: f(_claims(issuer="mallory"), "billing", "idp", 10.0) is True,
        "Your answer accepts a token from an issuer this service does not trust: check "
        "claims.issuer == issuer.",
    ),
]

_TIMES = st.sampled_from([0.0, 30.0, 59.0, 60.0, 61.0, 1000.0])
_NAMES = st.sampled_from(["billing", "reports", "idp", "mallory"])


@st.composite
def _tu_cases(draw: Any) -> tuple[Claims, str, str, float]:
    claims = Claims("alice", draw(_NAMES), draw(_NAMES), 0.0, draw(_TIMES), ("read",))
    return claims, draw(_NAMES), draw(_NAMES), draw(_TIMES)


def _tu_check(answer: Any, case: tuple[Claims, str, str, float]) -> Failure | None:
    got = call_answer(answer, *case)
    want = _usable(*case)
    if got is want:
        return None
    return Failure(f"{_tu_call(case)} returned {got!r}; expected {want!r}", None)


TOKEN_USABLE = add_exercise(
    id="ch16.token_usable",
    title="May this service act on a token?",
    statement="""\
Write token_usable(claims, audience, issuer, now): whether a service may act on a token
whose signature has already been verified.

- claims is a dslib.security.auth.Claims with fields subject, audience, issuer,
  issued_at, expires_at and scope;
- audience is this service's name, issuer the identity provider it trusts;
- now is the service's current time, in the same seconds as expires_at.

Return True if the token was issued by issuer, for audience, and has not expired
(RFC 7519, section 4.1.4: the current time must be before the expiration time); else
False. Do not change the arguments.

The check runs examples, then a hypothesis property (your answer agrees with the rules on
random claims).""",
    answer=FunctionAnswer("token_usable", ("claims", "audience", "issuer", "now")),
    stages=(
        Examples(
            "examples",
            _tu_examples,
            call_text=_tu_call,
            mistakes=_TU_MISTAKES,
            default_hint="Three conditions, all needed: issuer matches, audience matches, "
            "now < expires_at.",
        ),
        Properties(
            "properties",
            [Property("the claim rules", _tu_cases(), _tu_check, _tu_call, max_examples=150)],
        ),
    ),
    hints=(
        "A good signature says who wrote the token, not that this service should accept it.",
        "Return a bool: True only when all three checks pass.",
    ),
    imports="from dslib.security.auth import Claims",
    answered_by=("claims_problem",),
)


# -- a replay window -----------------------------------------------------------------------------
def _rw_call(args: tuple[Any, ...]) -> str:
    w = args[0]
    seen = sorted(w.seen)
    return (
        f"window_accept(ReplayWindow(size={w.size}, highest={w.highest}, seen={seen}), {args[1]})"
    )


def _w(size: int, highest: int = -1, *seen: int) -> ReplayWindow:
    return ReplayWindow(size, highest, frozenset(seen))


def _rw_examples() -> list[Example]:
    cases = [
        (_w(4), 0),
        (_w(4, 0, 0), 1),
        (_w(4, 3, 1, 3), 2),
        (_w(4, 3, 1, 3), 3),
        (_w(4, 3, 1, 3), 1),
        (_w(2, 5, 4, 5), 3),
        (_w(2, 5, 4, 5), 6),
        (_w(2, 5, 5), 4),
        (_w(3, 5, 3, 5), 9),
        (_w(1, 7, 7), 8),
    ]
    return [Example(c, window_accept(*c)) for c in cases]


def _accepts(result: Any) -> bool:
    return isinstance(result, ReplayWindow)


_RW_MISTAKES = [
    Mistake(
        "replays accepted",
        lambda f: _accepts(f(_w(4, 3, 1, 3), 3)) or _accepts(f(_w(4, 3, 1, 3), 1)),
        "Your window accepts a sequence number it has already accepted (a replay): a number "
        "at or below highest must be refused if it is in window.seen.",
    ),
    Mistake(
        "only increasing",
        lambda f: not _accepts(f(_w(4, 3, 1, 3), 2)) and _accepts(f(_w(4, 3, 1, 3), 4)),
        "Your window refuses a late record it has never seen (2 after 3, within the window): "
        "networks reorder, and the window exists to accept such records once.",
    ),
    Mistake(
        "no lower bound",
        lambda f: _accepts(f(_w(2, 10, 9, 10), 3)),
        "Your window accepts a number size or more below highest: the window no longer "
        "remembers whether it saw it, so it must refuse (seq <= highest - size).",
    ),
    Mistake(
        "unbounded memory",
        lambda f: _accepts(r := f(_w(2, 5, 4, 5), 9)) and len(getattr(r, "seen", ())) > 2,
        "Your window keeps numbers that fell out of it: after the window slides up to seq, "
        "keep in seen only the accepted numbers s with s > seq - size, so that its memory "
        "stays size numbers however long the channel lives.",
    ),
]


@st.composite
def _rw_cases(draw: Any) -> tuple[int, list[int]]:
    return draw(st.integers(1, 5)), draw(st.lists(st.integers(0, 12), max_size=14))


def _rw_show(case: tuple[int, list[int]]) -> str:
    return f"size={case[0]}, arrivals={case[1]}"


def _rw_check(answer: Any, case: tuple[int, list[int]]) -> Failure | None:
    size, arrivals = case
    mine = theirs = ReplayWindow(size)
    for i, seq in enumerate(arrivals):
        want = window_accept(mine, seq)
        got = call_answer(answer, theirs, seq)
        if got != want:
            return Failure(
                f"after arrivals {arrivals[:i]}, {_rw_call((theirs, seq))} returned {got!r}; "
                f"expected {want!r}",
                None,
            )
        if want is not None:
            mine = theirs = want
    return None


REPLAY_WINDOW = add_exercise(
    id="ch16.replay_window",
    title="A replay window",
    statement="""\
Write window_accept(window, seq): the receiver's decision on a record with sequence number
seq, and its window afterwards.

window is a dslib.security.channel.ReplayWindow(size, highest, seen): highest is the
largest number accepted so far (-1 before any), and seen is the frozenset of the accepted
numbers s with s > highest - size. Records may arrive out of order; each number must be
accepted at most once.

- seq > highest: accept; the window slides up: return ReplayWindow(size, seq, seen2), where
  seen2 holds seq and the old numbers s with s > seq - size;
- highest - size < seq <= highest: accept if seq is not in seen (return the window with
  seq added to seen), else refuse;
- seq <= highest - size: refuse (too old: the window cannot tell whether it was seen).

Return the new ReplayWindow, or None to refuse. Do not change the arguments.

The check runs examples, then a hypothesis property (random arrival orders, with replays,
against the reference).""",
    answer=FunctionAnswer("window_accept", ("window", "seq")),
    stages=(
        Examples(
            "examples",
            _rw_examples,
            call_text=_rw_call,
            mistakes=_RW_MISTAKES,
            default_hint="Three cases on seq: above highest, within size below it, older.",
        ),
        Properties(
            "properties",
            [Property("same as the reference", _rw_cases(), _rw_check, _rw_show, max_examples=150)],
        ),
    ),
    hints=(
        "ReplayWindow is frozen: build a new one (dataclasses.replace or the constructor).",
        "When the window slides up, drop the numbers s <= seq - size from seen.",
    ),
    imports="from dslib.security.channel import ReplayWindow",
    answered_by=("window_accept",),
)


# -- attenuate a capability -----------------------------------------------------------------------
_ROOT = symmetric_key(16, "exercise root")
_REQUESTS = [
    Request(a, r, t)
    for a in ("read", "write", "delete")
    for r in ("a.txt", "b.txt")
    for t in (0.0, 50.0)
]


def _cap(*caveats: str) -> Capability:
    return mint(_ROOT, "files", caveats)


def _at_call(args: tuple[Any, ...]) -> str:
    return f"attenuate({args[0]!r}, {args[1]!r})"


def _at_examples() -> list[Example]:
    cases = [
        (_cap(), "action in read"),
        (_cap("action in read,write"), "resource in a.txt"),
        (_cap("resource in a.txt", "action in read"), "time < 10"),
    ]
    return [Example(c, _attenuate(*c)) for c in cases]


def _verifies(result: Any) -> bool:
    return isinstance(result, Capability) and any(
        verify_capability(_ROOT, result, r) for r in _REQUESTS
    )


_AT_MISTAKES = [
    Mistake(
        "tag unchanged",
        lambda f: (
            getattr(f(_cap("action in read"), "time < 10"), "tag", None)
            == _cap("action in read").tag
        ),
        "Your capability keeps the old tag: the verifier recomputes the chain over every "
        "caveat, so the tag must be extended too: new tag = mac(SymmetricKey(cap.tag, ...), "
        "caveat.encode()).",
    ),
    Mistake(
        "caveats replaced",
        lambda f: (
            getattr(f(_cap("action in read"), "time < 10"), "caveats", None) == ("time < 10",)
        ),
        "Your capability lost its earlier caveats: attenuation adds one caveat to the end, "
        "it never removes any (removing one would widen the rights).",
    ),
    Mistake(
        "caveat first",
        lambda f: (
            getattr(f(_cap("action in read"), "time < 10"), "caveats", None)
            == ("time < 10", "action in read")
        ),
        "Your caveat went first: the tag chain is computed in order, so the new caveat goes "
        "at the end (it is MACed under the latest tag).",
    ),
    Mistake(
        "wrong tag",
        lambda f: (
            not isinstance(f(_cap(), "action in read"), Raised)
            and not _verifies(f(_cap(), "action in read"))
        ),
        "Your capability's caveats are right but its tag is not what the service recomputes: "
        "key the HMAC with the old tag and MAC the caveat (mac(SymmetricKey(cap.tag, 'tag'), "
        "caveat.encode())), not the other way round.",
    ),
]

_CAVEATS = st.sampled_from(
    [
        "action in read",
        "action in read,write",
        "action in write,delete",
        "resource in a.txt",
        "resource in a.txt,b.txt",
        "time < 10",
        "time < 100",
    ]
)


@st.composite
def _at_cases(draw: Any) -> tuple[Capability, str]:
    return _cap(*draw(st.lists(_CAVEATS, max_size=3))), draw(_CAVEATS)


def _at_check(answer: Any, case: tuple[Capability, str]) -> Failure | None:
    cap, caveat = case
    got = call_answer(answer, cap, caveat)
    if not isinstance(got, Capability):
        return Failure(f"{_at_call(case)} returned {got!r}; expected a Capability", None)
    widened = [
        r
        for r in _REQUESTS
        if verify_capability(_ROOT, got, r) and not verify_capability(_ROOT, cap, r)
    ]
    if widened:
        return Failure(f"{_at_call(case)} allows {widened[0]}, which {cap!r} did not", None)
    want = _attenuate(cap, caveat)
    if got != want:
        return Failure(f"{_at_call(case)} returned {got!r}; expected {want!r}", None)
    return None


ATTENUATE = add_exercise(
    id="ch16.attenuate",
    title="Attenuate a capability",
    statement="""\
Write attenuate(cap, caveat): the capability cap with one more caveat, which anyone holding
cap can compute without any key.

- cap is a dslib.security.authz.Capability(identifier, caveats, tag): tag is
  HMAC(... HMAC(HMAC(root_key, identifier), caveat_1) ..., caveat_n), each HMAC keyed
  with the previous tag;
- caveat is a str such as "action in read" or "time < 10".

Return Capability(cap.identifier, caveats with caveat added at the end, new tag), where the
new tag is the HMAC-SHA-256 of caveat.encode() keyed with cap.tag: use
dslib.security.crypto.mac and SymmetricKey (a SymmetricKey's name is only a label). Do not
change the arguments.

The check runs examples, then a hypothesis property (on random capabilities your result is
the reference's, and it never allows a request that cap refused).""",
    answer=FunctionAnswer("attenuate", ("cap", "caveat")),
    stages=(
        Examples(
            "examples",
            _at_examples,
            call_text=_at_call,
            mistakes=_AT_MISTAKES,
            default_hint="Append the caveat and extend the tag chain by one HMAC.",
        ),
        Properties(
            "properties",
            [Property("narrower, and genuine", _at_cases(), _at_check, _at_call, max_examples=60)],
        ),
    ),
    hints=(
        "No root key is needed: the old tag is the key of the next HMAC.",
        "Capability is frozen: build a new one.",
    ),
    imports="from dslib.security.authz import Capability\n"
    "from dslib.security.crypto import SymmetricKey, mac",
    answered_by=("attenuate",),
)
