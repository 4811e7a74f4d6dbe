"""Authorization: access-control lists, roles, capabilities, the confused deputy, z3 policies.

Authorization answers "may this principal do this?", once authentication has said who the
principal is. Three ways to write the answer down:

- an **access-control list** (``Acl``) keeps, with each resource, who may do what to it;
- **role-based access control** (``Rbac``) gives permissions to roles and roles to users; a
  role may also be allowed to *assume* another role (a support engineer assumes the on-call
  role), so what a user can reach is a graph search, which ``find_escalation`` does with z3
  and ``reachable_roles`` by breadth-first search;
- a **capability** (``Capability``) is an unforgeable token that itself carries the right, in
  the style of macaroons: a chain of HMACs in which each caveat is MACed under the previous
  tag, so that anyone holding a capability can *attenuate* it (add a caveat, narrowing it) but
  nobody without the root key can remove a caveat or widen it.

The **confused deputy** (``confused_deputy``): a compiler service allowed by an ACL to write
the billing file is asked by a user to write its output "to the billing file"; it uses its own
authority for the user's request and overwrites billing. With capabilities the user must hand
the deputy a capability for the output file, and has none for billing.

``MUTANTS`` breaks the capability check: ``truncated_tag`` compares only the first byte of
the tag with ``==``, and ``tag_not_checked`` checks caveats but never the tag; both are
caught by the named check ``"forged capability refused"`` (``mutant_report``), which tries
256 guessed tags for a widened capability: every guess fails against the full 32-byte tag,
exactly one matches a one-byte tag. Its counterexample length is the number of guesses
until the first forgery was accepted.

References
----------
A. Birgisson, J. G. Politz, U. Erlingsson, A. Taly, M. Vrable, M. Lentczner, "Macaroons:
Cookies with Contextual Caveats for Decentralized Authorization in the Cloud", NDSS 2014,
the chained-HMAC construction: minting, adding caveats, verifying.
N. Hardy, "The Confused Deputy (or why capabilities might have been invented)", ACM SIGOPS
Operating Systems Review 22(4), 1988. R. Sandhu, E. Coyne, H. Feinstein, C. Youman,
"Role-Based Access Control Models", IEEE Computer 29(2), 1996 (RBAC1: role hierarchies).
"""

from __future__ import annotations

import hmac as _hmac
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import z3

from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants
from dslib.security.crypto import SymmetricKey, mac, symmetric_key

__all__ = [
    "CHECKS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "Acl",
    "Capability",
    "DeputyRun",
    "Escalation",
    "Rbac",
    "Request",
    "attenuate",
    "caveat_holds",
    "confused_deputy",
    "find_escalation",
    "mint",
    "mutant_report",
    "reachable_roles",
    "verify_capability",
]

MUTANTS: dict[str, str] = {
    "truncated_tag": "compares only the first byte of the capability's tag, with ==",
    "tag_not_checked": "checks the caveats but never the tag: anyone can write a capability",
}
"""Broken capability checks, selected by ``verify_capability(..., mutant=...)``."""


# -- ACLs and RBAC ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Acl:
    """An access-control list: ``(principal, action, resource)`` triples that are allowed.

    Examples
    --------
    >>> acl = Acl(frozenset({("alice", "read", "payroll")}))
    >>> acl.allows("alice", "read", "payroll"), acl.allows("bob", "read", "payroll")
    (True, False)
    """

    entries: frozenset[tuple[str, str, str]]

    def allows(self, principal: str, action: str, resource: str) -> bool:
        """Whether the list holds ``(principal, action, resource)``."""
        return (principal, action, resource) in self.entries


@dataclass(frozen=True)
class Rbac:
    """Role-based access control with roles that may assume other roles.

    Parameters
    ----------
    user_roles : tuple of (user, role)
        The roles each user is given.
    assumes : tuple of (role, role)
        ``(a, b)``: whoever holds role ``a`` may also act as role ``b`` (a role hierarchy,
        where a senior role inherits a junior one's permissions, is such an edge).
    permissions : tuple of (role, action, resource)

    Examples
    --------
    >>> policy = Rbac(
    ...     user_roles=(("ivy", "intern"),),
    ...     assumes=(("intern", "reader"),),
    ...     permissions=(("reader", "read", "prod.orders"),),
    ... )
    >>> policy.allows("ivy", "read", "prod.orders"), policy.allows("ivy", "delete", "prod.orders")
    (True, False)
    """

    user_roles: tuple[tuple[str, str], ...]
    assumes: tuple[tuple[str, str], ...]
    permissions: tuple[tuple[str, str, str], ...]

    def __post_init__(self) -> None:
        for name, width in (("user_roles", 2), ("assumes", 2), ("permissions", 3)):
            for item in getattr(self, name):
                if (
                    not isinstance(item, tuple)
                    or len(item) != width
                    or not all(isinstance(x, str) and x for x in item)
                ):
                    raise ValueError(
                        f"Rbac: {name} entry {item!r} must be a tuple of {width} non-empty strings"
                    )

    @property
    def roles(self) -> tuple[str, ...]:
        """Every role named anywhere, sorted."""
        named = {r for _, r in self.user_roles} | {p[0] for p in self.permissions}
        named |= {a for a, _ in self.assumes} | {b for _, b in self.assumes}
        return tuple(sorted(named))

    def allows(self, user: str, action: str, resource: str) -> bool:
        """Whether some role reachable by ``user`` has the permission."""
        start = [r for u, r in self.user_roles if u == user]
        reach = reachable_roles(self, start)
        return any(p in self.permissions for p in ((r, action, resource) for r in reach))


def reachable_roles(policy: Rbac, start: Iterable[str]) -> tuple[str, ...]:
    """Every role reachable from ``start`` along ``assumes`` edges (breadth-first), sorted.

    This is the brute-force oracle that ``find_escalation``'s z3 answer is tested against.

    Examples
    --------
    >>> p = Rbac((), (("a", "b"), ("b", "c")), ())
    >>> reachable_roles(p, ["a"])
    ('a', 'b', 'c')
    """
    seen = set(start)
    queue = deque(sorted(seen))
    while queue:
        role = queue.popleft()
        for a, b in policy.assumes:
            if a == role and b not in seen:
                seen.add(b)
                queue.append(b)
    return tuple(sorted(seen))


@dataclass(frozen=True)
class Escalation:
    """z3's answer to "can a user reach a role with this permission?".

    ``path`` is the counterexample: the user's role first, each next role assumed from the
    previous one, and the last holding the permission; empty when the policy holds.
    """

    holds: bool
    path: tuple[str, ...]

    def explain(self, user: str, action: str, resource: str) -> str:
        """One sentence for the page."""
        if self.holds:
            return f"no role reachable by {user} can {action} {resource}"
        steps = " -> ".join(self.path)
        return f"{user} can {action} {resource}: {steps}"


def find_escalation(policy: Rbac, user: str, action: str, resource: str) -> Escalation:
    """Ask z3 whether ``user`` can reach a role with ``(action, resource)``; give the path.

    The encoding: a path of ``k + 1`` role variables, ``k`` the number of roles (a shortest
    path visits each role at most once, so this bound is complete). ``step[0]`` is one of the
    user's roles; each ``step[i + 1]`` equals ``step[i]`` or is assumed from it; the last step
    has the permission. Satisfiable means the policy is violated and the model is the path
    (repeated steps removed); unsatisfiable is a proof that no role the user can reach has
    the permission.

    Examples
    --------
    >>> policy = Rbac(
    ...     user_roles=(("ivy", "intern"),),
    ...     assumes=(("intern", "support"), ("support", "oncall")),
    ...     permissions=(("oncall", "delete", "prod.orders"),),
    ... )
    >>> find_escalation(policy, "ivy", "delete", "prod.orders").explain(
    ...     "ivy", "delete", "prod.orders"
    ... )
    'ivy can delete prod.orders: intern -> support -> oncall'
    """
    roles = policy.roles
    index = {r: i for i, r in enumerate(roles)}
    start = sorted({index[r] for u, r in policy.user_roles if u == user})
    granted = sorted(
        {index[r] for r, a, res in policy.permissions if (a, res) == (action, resource)}
    )
    if not start or not granted:
        return Escalation(True, ())
    steps = [z3.Int(f"step{i}") for i in range(len(roles) + 1)]
    solver = z3.Solver()
    solver.add(z3.Or([steps[0] == s for s in start]))
    for here, there in itertools.pairwise(steps):
        moves = [z3.And(here == index[a], there == index[b]) for a, b in policy.assumes]
        solver.add(z3.Or(there == here, *moves))
    solver.add(z3.Or([steps[-1] == g for g in granted]))
    # Prefer the shortest path: fewest distinct steps, found by bounding the changes.
    changes = z3.Sum([z3.If(b != a, 1, 0) for a, b in itertools.pairwise(steps)])
    if solver.check() != z3.sat:
        return Escalation(True, ())
    for bound in range(len(roles) + 1):
        solver.push()
        solver.add(changes <= bound)
        if solver.check() == z3.sat:
            model = solver.model()
            path: list[str] = []
            for step in steps:
                role = roles[model.eval(step).as_long()]
                if not path or path[-1] != role:
                    path.append(role)
            return Escalation(False, tuple(path))
        solver.pop()
    raise AssertionError("find_escalation: satisfiable but no bounded path")  # pragma: no cover


# -- capabilities (macaroons) ----------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """What a capability is checked against: an action on a resource at a time."""

    action: str
    resource: str
    time: float = 0.0


@dataclass(frozen=True)
class Capability:
    """A macaroon-style capability: an identifier, caveats, and the chained HMAC tag.

    ``tag`` is ``HMAC(... HMAC(HMAC(root, identifier), caveat1) ..., caveatN)`` (Birgisson et
    al. 2014, the chained-HMAC construction). Its ``repr`` shows the first bytes of the tag only.
    """

    identifier: str
    caveats: tuple[str, ...]
    tag: bytes

    def __repr__(self) -> str:
        caveats = list(self.caveats)
        return f"Capability({self.identifier!r}, caveats={caveats}, tag={self.tag.hex()[:8]}..)"


def _chain(tag: bytes, caveat: str) -> bytes:
    return mac(SymmetricKey(tag, "capability tag"), caveat.encode())


_CAVEAT_FORMS = "'action in a,b', 'resource in x,y' or 'time < t'"


def _parse(caveat: str) -> tuple[str, str, str]:
    parts = caveat.split(" ", 2) if isinstance(caveat, str) else []
    if len(parts) != 3 or (parts[0], parts[1]) not in {
        ("action", "in"),
        ("resource", "in"),
        ("time", "<"),
    }:
        raise ValueError(f"caveat {caveat!r} is not one of {_CAVEAT_FORMS}")
    if parts[0] == "time":
        try:
            float(parts[2])
        except ValueError:
            raise ValueError(f"caveat {caveat!r}: {parts[2]!r} is not a number") from None
    return parts[0], parts[1], parts[2]


def caveat_holds(caveat: str, request: Request) -> bool:
    """Whether one caveat allows ``request``.

    Examples
    --------
    >>> caveat_holds("action in read,list", Request("read", "orders"))
    True
    >>> caveat_holds("time < 10", Request("read", "orders", time=10.0))
    False
    """
    field_, _, value = _parse(caveat)
    if field_ == "time":
        return request.time < float(value)
    allowed = value.split(",")
    return (request.action if field_ == "action" else request.resource) in allowed


def mint(root_key: SymmetricKey, identifier: str, caveats: Sequence[str] = ()) -> Capability:
    """A new capability from the service's root key (only the service can mint).

    Examples
    --------
    >>> root = symmetric_key(1, "storage root")
    >>> cap = mint(root, "alice's files", ["resource in a.txt,b.txt"])
    >>> verify_capability(root, cap, Request("read", "a.txt"))
    True
    >>> verify_capability(root, cap, Request("read", "c.txt"))
    False
    """
    if not isinstance(identifier, str) or not identifier:
        raise ValueError(f"mint: identifier={identifier!r} must be a non-empty str")
    cap = Capability(identifier, (), mac(root_key, identifier.encode()))
    for caveat in caveats:
        cap = attenuate(cap, caveat)
    return cap


def attenuate(cap: Capability, caveat: str) -> Capability:
    """The capability with one more caveat: it allows a subset of what ``cap`` allows.

    No key is needed: the new tag is the HMAC of the caveat under the old tag. Going back
    (removing a caveat) would need the old tag from the new one, which HMAC does not reveal.

    Examples
    --------
    >>> root = symmetric_key(1, "storage root")
    >>> cap = attenuate(mint(root, "files"), "action in read")
    >>> verify_capability(root, cap, Request("read", "a.txt"))
    True
    >>> verify_capability(root, cap, Request("delete", "a.txt"))
    False
    """
    if not isinstance(cap, Capability):
        raise TypeError(f"attenuate: cap must be a Capability, got {type(cap).__name__}")
    _parse(caveat)
    return Capability(cap.identifier, (*cap.caveats, caveat), _chain(cap.tag, caveat))


def verify_capability(
    root_key: SymmetricKey, cap: Capability, request: Request, mutant: str | None = None
) -> bool:
    """Whether ``cap`` is genuine (its tag chain recomputes from ``root_key``) and every caveat
    allows ``request``. A caveat the service does not understand fails (fail closed).

    Examples
    --------
    >>> root = symmetric_key(1, "storage root")
    >>> cap = mint(root, "files", ["action in read"])
    >>> widened = Capability(cap.identifier, (), cap.tag)  # the caveat removed
    >>> verify_capability(root, widened, Request("delete", "a.txt"))
    False
    """
    check_mutant("verify_capability", mutant, MUTANTS)
    if not isinstance(cap, Capability) or not isinstance(cap.tag, bytes):
        raise TypeError(f"verify_capability: cap must be a Capability, got {cap!r:.60}")
    expected = mac(root_key, cap.identifier.encode())
    try:
        for caveat in cap.caveats:
            if not caveat_holds(caveat, request):
                return False
            expected = _chain(expected, caveat)
    except ValueError:
        return False  # a caveat this service does not understand: refuse
    if mutant == "tag_not_checked":  # MUTANT: the tag is never compared
        return True
    if mutant == "truncated_tag":  # MUTANT: one byte, compared with ==
        return cap.tag[:1] == expected[:1]
    return _hmac.compare_digest(cap.tag, expected)


# -- the confused deputy ---------------------------------------------------------------------------
@dataclass(frozen=True)
class DeputyRun:
    """What the compiler did for the user: the files it wrote and the requests it refused."""

    written: tuple[str, ...]
    refused: tuple[str, ...]

    @property
    def billing_overwritten(self) -> bool:
        """Whether the user got the billing file overwritten (the attack)."""
        return "billing" in self.written


def confused_deputy(with_capabilities: bool, seed: int = 0) -> DeputyRun:
    """Hardy's compiler, asked by a user to write its output to ``"out"`` and then to
    ``"billing"``.

    With an ACL the compiler checks its own rights (it may write ``billing``: it records
    usage there) and so obeys both requests. With capabilities the user must hand over a
    capability for the output file; the user holds one for ``out`` only, and what the user
    cannot designate the compiler cannot be tricked into writing.

    Examples
    --------
    >>> confused_deputy(with_capabilities=False).billing_overwritten
    True
    >>> confused_deputy(with_capabilities=True)
    DeputyRun(written=('out',), refused=('billing',))
    """
    acl = Acl(
        frozenset(
            {
                ("compiler", "write", "billing"),
                ("compiler", "write", "out"),
                ("user", "write", "out"),
            }
        )
    )
    root = symmetric_key(seed, "file server root")
    user_caps = {"out": mint(root, "user's files", ["resource in out", "action in write"])}
    written: list[str] = []
    refused: list[str] = []
    for target in ("out", "billing"):
        if with_capabilities:
            cap = user_caps.get(target, mint(symmetric_key(seed, "not the root"), "forged"))
            ok = verify_capability(root, cap, Request("write", target))
        else:
            ok = acl.allows("compiler", "write", target)  # the deputy's authority, not the user's
        (written if ok else refused).append(target)
    return DeputyRun(tuple(written), tuple(refused))


# -- the named check and the mutant table ----------------------------------------------------------
def _forged_capability_refused(mutant: str | None) -> Outcome:
    """Widen a read-only capability to delete, guessing the tag: 256 tries with every first
    byte. One-byte comparison accepts exactly one; the full comparison none."""
    root = symmetric_key(0, "storage root")
    cap = mint(root, "files", ["action in read"])
    widened = ("action in read,delete",)
    hits = [
        first
        for first in range(256)
        if verify_capability(
            root,
            Capability(cap.identifier, widened, bytes([first]) + cap.tag[1:]),
            Request("delete", "orders"),
            mutant,
        )
    ]
    tries = hits[0] + 1 if hits else None  # guesses until the first forgery was accepted
    return Outcome(not hits, tries, f"{len(hits)} of 256 guessed tags accepted")


def _genuine_capability_accepted(mutant: str | None) -> Outcome:
    root = symmetric_key(0, "storage root")
    cap = mint(root, "files", ["action in read", "time < 100"])
    ok = verify_capability(root, cap, Request("read", "orders", 5.0), mutant)
    return Outcome(ok, None if ok else 1, "a genuine capability, used as allowed")


CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "genuine capability accepted": _genuine_capability_accepted,
    "forged capability refused": _forged_capability_refused,
}
"""The named checks of ``verify_capability``, functions of the mutant name."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "truncated_tag": ("forged capability refused",),
    "tag_not_checked": ("forged capability refused",),
}
"""The check that must catch each mutant."""


def mutant_report() -> MutantReport:
    """Both checks on ``verify_capability`` and on each mutant.

    Examples
    --------
    >>> report = mutant_report()
    >>> report.problems()
    []
    >>> print(report.to_frame()[["mutant", "caught by"]].to_string(index=False))
             mutant                 caught by
    correct version none: passes all 2 checks
    tag_not_checked forged capability refused
      truncated_tag forged capability refused
    """
    mutants = [
        Mutant(name, MUTANTS[name], _selects(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    return run_mutants(_selects(None), mutants, CHECKS)


def _selects(name: str | None) -> Callable[[], str | None]:
    return lambda: name
