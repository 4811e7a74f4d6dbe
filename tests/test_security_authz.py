"""Tests of dslib.security.authz against brute-force oracles: capabilities, RBAC and z3."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.security.authz import (
    MUTANT_CHECKS,
    MUTANTS,
    Capability,
    Rbac,
    Request,
    attenuate,
    confused_deputy,
    find_escalation,
    mint,
    mutant_report,
    reachable_roles,
    verify_capability,
)
from dslib.security.crypto import symmetric_key

ROOT = symmetric_key(2, "storage root")
ACTIONS = ("read", "write", "delete")
RESOURCES = ("a", "b", "c")
TIMES = (0.0, 5.0, 10.0)
UNIVERSE = [Request(a, r, t) for a in ACTIONS for r in RESOURCES for t in TIMES]

CAVEATS = st.one_of(
    st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True).map(
        lambda xs: "action in " + ",".join(xs)
    ),
    st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=3, unique=True).map(
        lambda xs: "resource in " + ",".join(xs)
    ),
    st.sampled_from((*TIMES, 20.0)).map(lambda t: f"time < {t}"),
)


def oracle_allows(caveats: tuple[str, ...], request: Request) -> bool:
    """Independent reading of the caveat language: every caveat must allow the request."""
    for caveat in caveats:
        words = caveat.split()
        if words[0] == "action" and request.action not in words[2].split(","):
            return False
        if words[0] == "resource" and request.resource not in words[2].split(","):
            return False
        if words[0] == "time" and not request.time < float(words[2]):
            return False
    return True


# -- capabilities --------------------------------------------------------------------------------
@settings(max_examples=30)
@given(st.lists(CAVEATS, max_size=3), CAVEATS)
def test_attenuation_never_widens_and_verification_matches_the_oracle(
    caveats: list[str], extra: str
) -> None:
    cap = mint(ROOT, "files", caveats)
    narrower = attenuate(cap, extra)
    for request in UNIVERSE:
        before = verify_capability(ROOT, cap, request)
        after = verify_capability(ROOT, narrower, request)
        assert before == oracle_allows(cap.caveats, request)
        assert after == oracle_allows(narrower.caveats, request)
        assert not after or before  # never widened


@settings(max_examples=30)
@given(st.lists(CAVEATS, min_size=1, max_size=3), st.data())
def test_changing_any_part_of_a_capability_is_refused(
    caveats: list[str], data: st.DataObject
) -> None:
    cap = mint(ROOT, "files", caveats)
    allowed = [r for r in UNIVERSE if verify_capability(ROOT, cap, r)]
    which = data.draw(st.sampled_from(["tag", "drop caveat", "identifier", "caveat byte"]))
    if which == "tag":
        i = data.draw(st.integers(0, len(cap.tag) - 1))
        bit = data.draw(st.integers(0, 7))
        tag = cap.tag[:i] + bytes([cap.tag[i] ^ (1 << bit)]) + cap.tag[i + 1 :]
        forged = Capability(cap.identifier, cap.caveats, tag)
    elif which == "drop caveat":
        i = data.draw(st.integers(0, len(cap.caveats) - 1))
        forged = Capability(cap.identifier, cap.caveats[:i] + cap.caveats[i + 1 :], cap.tag)
    elif which == "identifier":
        forged = Capability("files2", cap.caveats, cap.tag)
    else:  # widen one caveat's text: a different caveat, the same tag
        i = data.draw(st.integers(0, len(cap.caveats) - 1))
        widened = {"action": "action in read,write,delete", "resource": "resource in a,b,c"}
        text = widened.get(cap.caveats[i].split()[0], "time < 1000.0")
        if text == cap.caveats[i]:
            text = "time < 1000.0"
        forged = Capability(
            cap.identifier, (*cap.caveats[:i], text, *cap.caveats[i + 1 :]), cap.tag
        )
    assert not any(verify_capability(ROOT, forged, r) for r in UNIVERSE), (which, allowed)


def test_a_capability_from_another_root_and_an_unknown_caveat_are_refused() -> None:
    request = Request("read", "a")
    assert verify_capability(ROOT, mint(ROOT, "files"), request)
    assert not verify_capability(symmetric_key(3, "other"), mint(ROOT, "files"), request)
    odd = Capability("files", ("colour is blue",), mint(ROOT, "files").tag)
    assert not verify_capability(ROOT, odd, request)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: attenuate(mint(ROOT, "f"), "colour is blue"), ValueError, "is not one of"),
        (lambda: attenuate(mint(ROOT, "f"), "time < soon"), ValueError, "is not a number"),
        (lambda: attenuate("cap", "time < 1"), TypeError, "must be a Capability"),  # type: ignore[arg-type]
        (lambda: mint(ROOT, ""), ValueError, "non-empty str"),
        (lambda: verify_capability(ROOT, "cap", Request("r", "a")), TypeError, "Capability"),  # type: ignore[arg-type]
        (
            lambda: verify_capability(ROOT, mint(ROOT, "f"), Request("r", "a"), "typo"),
            ValueError,
            "unknown mutant",
        ),
        (lambda: Rbac((("u",),), (), ()), ValueError, "tuple of 2 non-empty strings"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_gives_a_named_error(call: object, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call()  # type: ignore[operator]


def test_mutants_are_caught_deterministically_with_the_rate_shown() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert sorted(MUTANT_CHECKS) == sorted(MUTANTS)
    lengths = {m.name: m.counterexample_length for m in report.mutants}
    # guesses until the first accepted forgery: the first guess when the tag is never
    # checked; at most 256 (one per value of the first byte) when one byte is compared
    tag = mint(symmetric_key(0, "storage root"), "files", ["action in read,delete"]).tag
    assert lengths == {"tag_not_checked": 1, "truncated_tag": tag[0] + 1}


def test_the_confused_deputy_with_acls_and_with_capabilities() -> None:
    acl = confused_deputy(with_capabilities=False)
    caps = confused_deputy(with_capabilities=True)
    assert acl.billing_overwritten and acl.written == ("out", "billing")
    assert not caps.billing_overwritten and caps.written == ("out",)


# -- RBAC and z3 -----------------------------------------------------------------------------------
ROLES = ("intern", "support", "oncall", "dba", "admin")


@st.composite
def policies(draw: st.DrawFn) -> Rbac:
    edges = draw(st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(ROLES)), max_size=6))
    perms = draw(
        st.lists(
            st.tuples(st.sampled_from(ROLES), st.sampled_from(("read", "delete")), st.just("prod")),
            max_size=4,
        )
    )
    users = draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2))
    return Rbac(tuple(("ivy", r) for r in users), tuple(edges), tuple(perms))


def shortest_path_length(policy: Rbac, action: str) -> int | None:
    """Brute force: breadth-first search from the user's roles, counting roles on the path."""
    frontier = {r for _, r in policy.user_roles}
    seen = set(frontier)
    length = 1
    while frontier:
        if any((r, action, "prod") in policy.permissions for r in frontier):
            return length
        frontier = {b for a, b in policy.assumes if a in frontier} - seen
        seen |= frontier
        length += 1
    return None


@settings(max_examples=30)
@given(policies(), st.sampled_from(("read", "delete")))
def test_z3_agrees_with_breadth_first_search_and_gives_a_valid_shortest_path(
    policy: Rbac, action: str
) -> None:
    answer = find_escalation(policy, "ivy", action, "prod")
    expected = shortest_path_length(policy, action)
    assert answer.holds == (expected is None)
    assert policy.allows("ivy", action, "prod") == (expected is not None)
    if expected is not None:
        path = answer.path
        assert len(path) == expected
        assert ("ivy", path[0]) in policy.user_roles
        assert all(edge in policy.assumes for edge in itertools.pairwise(path))
        assert (path[-1], action, "prod") in policy.permissions
        assert set(path) <= set(reachable_roles(policy, [r for _, r in policy.user_roles]))


def test_the_intern_policy_and_its_fix() -> None:
    bad = Rbac(
        user_roles=(("ivy", "intern"),),
        assumes=(("intern", "support"), ("support", "oncall"), ("oncall", "dba")),
        permissions=(("dba", "delete", "prod"), ("support", "read", "prod")),
    )
    answer = find_escalation(bad, "ivy", "delete", "prod")
    assert not answer.holds and answer.path == ("intern", "support", "oncall", "dba")
    fixed = Rbac(bad.user_roles, bad.assumes[:2], bad.permissions)
    assert find_escalation(fixed, "ivy", "delete", "prod").holds
