"""Agreement for single-decree Paxos, proved with an inductive invariant (z3).

Model checking ``PaxosSpec`` covers 3 acceptors and ballots up to 2. This proof covers
*any* number of acceptors, values and ballots, and any quorum system whose quorums
pairwise intersect. It follows the Paxos models of Ivy and mypyvy (Padon et al.,
"Paxos Made EPR", OOPSLA 2017, section 3): sorts of acceptors (``node``), values,
ballots (``round``, totally ordered by the rigid ``le``) and quorums, and the TLA+
actions of ``dslib.consensus.spec`` over relations instead of a message set:

- ``phase1a(r)``: ``one_a(r)``, a 1a message for ballot ``r``;
- ``phase1b(n, r)``: acceptor ``n`` promises ``r`` (``one_b(n, r)``); from then on it
  has *left* every ballot below ``r`` (``left_round(n, r')`` for ``r' < r``: the TLA+
  ``maxBal[n] > r'``);
- ``phase2a(r, q, maxr, v)``: every member of quorum ``q`` promised ``r``, and ``v`` is
  the value of their highest vote below ``r``, in ballot ``maxr`` (any ``v`` if they
  cast none): ``proposal(r, v)``. TLA+ reads these votes from the 1b messages; here
  they are read from ``vote`` itself, which says the same thing, because a member
  that promised ``r`` has left every lower ballot and can no longer vote below ``r``
  (the formulation of Padon et al., which keeps every question in a fragment z3
  decides);
- ``phase2b(n, r, v)``: an acceptor that has not left ``r`` votes for its proposal
  (``vote(n, r, v)``);
- ``learn(r, v, q, n, r0)``: every member of ``q`` voted for ``v`` in ``r``:
  ``decision(r, v)`` (``n`` and ``r0`` serve only the mutant that mixes ballots: there
  ``n`` may have voted in ``r0`` instead).

**The argument**, one conjunct of ``INVARIANT`` at a time. A decision comes from a
quorum's votes (``decision_quorum``) for the ballot's proposal (``vote_proposal``), and
each ballot has one proposal (``one_proposal_per_round``). The heart is ``choosable``
(P2c's promise, "Paxos Made Simple", section 2.2): if ``v2`` is proposed in ballot
``r2``, then for every lower ballot ``r1`` and other value ``v1``, every quorum has a
member that left ``r1`` without voting for ``v1``, so ``v1`` can never be chosen in
``r1``. ``phase2a`` preserves it because the proposer looked at a quorum that promised
``r2`` and so left every lower ballot (``promise_leaves_lower``), and took the value of
their highest vote. Agreement follows: a decision ``v1`` in ``r1`` and a decision
``v2 != v1`` in ``r2 > r1`` (so a proposal of ``v2`` in ``r2``) would need a member of
the quorum that decided ``v1`` to have left ``r1`` without voting for ``v1``: quorums
intersect (the axiom ``quorums_intersect``, proved for majorities by
``dslib.verify.prove_intersection``). Take any conjunct away (but agreement, which the
others imply) and the rest is no longer inductive: ``tests/test_consensus.py`` shows
a counterexample to induction for each.

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(paxos(), INVARIANT).proved
True
>>> check_inductive(paxos(mutant="ignore_accepted_value"), INVARIANT).failing
(('choosable', 'phase2a'),)

References
----------
L. Lamport, "Paxos Made Simple", 2001, section 2.2 (P2c and the invariant behind it).
O. Padon, G. Losa, M. Sagiv, S. Shoham, "Paxos Made EPR: Decidable Reasoning about
Distributed Protocols", OOPSLA 2017, section 3 (this model and its invariant).
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.consensus.spec import MUTANTS
from dslib.mutants import check_mutant
from dslib.verify._specs import declare_quorums
from dslib.verify.transition import StateView, Step, TransitionSystem

__all__ = [
    "INVARIANT",
    "PROOF_MUTANTS",
    "Node",
    "Quorum",
    "Round",
    "Value",
    "agreement",
    "choosable",
    "decision_quorum",
    "one_proposal_per_round",
    "paxos",
    "promise_leaves_lower",
    "vote_proposal",
]

Node = z3.DeclareSort("node")
"""The sort of acceptors (any number)."""
Value = z3.DeclareSort("value")
"""The sort of values (any number)."""
Round = z3.DeclareSort("round")
"""The sort of ballots (any number), totally ordered by the rigid ``le``; ``none`` is
the ballot below all others (``-1`` in TLA+: "no vote")."""
Quorum = z3.DeclareSort("quorum")
"""The sort of quorums, through the rigid ``member``."""

PROOF_MUTANTS = ("accept_below_promise", "ignore_accepted_value", "learner_mixes_ballots")
"""The mutants of ``MUTANTS`` this model expresses in its actions. ``quorums_disjoint`` is
expressed by dropping the axiom ``quorums_intersect`` (``paxos(mutant=...)`` does it)."""


def paxos(*, mutant: str | None = None) -> TransitionSystem:
    """Single-decree Paxos as a transition system over relations.

    Parameters
    ----------
    mutant : str, optional
        A name from ``MUTANTS``: ``accept_below_promise`` drops the guard of ``phase2b``,
        ``ignore_accepted_value`` lets ``phase2a`` propose any value,
        ``learner_mixes_ballots`` lets ``learn`` count one member's vote from another
        ballot (two ballots suffice to break agreement, and keep the question in the
        fragment z3 decides quickly), and
        ``quorums_disjoint`` drops the axiom ``quorums_intersect``.

    Returns
    -------
    TransitionSystem

    Raises
    ------
    ValueError
        For an unknown mutant.

    Examples
    --------
    >>> print(repr(paxos()).splitlines()[-1])  # doctest: +NORMALIZE_WHITESPACE
      actions: phase1a(r: round), phase1b(n: node, r: round),
      phase2a(r: round, q: quorum, maxr: round, v: value), phase2b(n: node, r: round, v: value),
      learn(r: round, v: value, q: quorum, n: node, r0: round)
    """
    mutant = check_mutant("paxos", mutant, MUTANTS)
    ts = TransitionSystem("paxos" + (f" ({mutant})" if mutant else ""))
    ts.sort(Node)
    ts.sort(Value)
    ts.sort(Round)
    declare_quorums(ts, Node, Quorum)
    ts.relation("le", Round, Round, mutable=False)
    ts.constant("none", Round, mutable=False)
    ts.relation("one_a", Round)
    ts.relation("one_b", Node, Round)
    ts.relation("left_round", Node, Round)
    ts.relation("proposal", Round, Value)
    ts.relation("vote", Node, Round, Value)
    ts.relation("decision", Round, Value)

    x, y, z = z3.Consts("x y z", Round)

    @ts.axiom
    def rounds_are_ordered(s: StateView) -> Any:
        # le is a total order with none at the bottom.
        return z3.And(
            z3.ForAll([x], s.le(x, x)),
            z3.ForAll([x, y, z], z3.Implies(z3.And(s.le(x, y), s.le(y, z)), s.le(x, z))),
            z3.ForAll([x, y], z3.Implies(z3.And(s.le(x, y), s.le(y, x)), x == y)),
            z3.ForAll([x, y], z3.Or(s.le(x, y), s.le(y, x))),
            z3.ForAll([x], s.le(s.none, x)),
        )

    n = z3.Const("n", Node)
    r = z3.Const("r", Round)
    v = z3.Const("v", Value)

    @ts.init
    def nothing_yet(s: StateView) -> Any:
        return z3.And(
            z3.ForAll([r], z3.Not(s.one_a(r))),
            z3.ForAll([n, r], z3.Not(s.one_b(n, r))),
            z3.ForAll([n, r], z3.Not(s.left_round(n, r))),
            z3.ForAll([r, v], z3.Not(s.proposal(r, v))),
            z3.ForAll([n, r, v], z3.Not(s.vote(n, r, v))),
            z3.ForAll([r, v], z3.Not(s.decision(r, v))),
        )

    def below(s: Any, a: Any, b: Any) -> Any:
        return z3.Not(s.le(b, a))  # a < b

    @ts.action(r=Round)
    def phase1a(s: Step, r: Any) -> None:
        s.require(r != s.none)
        s.one_a[r] = True

    @ts.action(n=Node, r=Round)
    def phase1b(s: Step, n: Any, r: Any) -> None:
        s.require(r != s.none)
        s.require(s.one_a(r))
        s.require(z3.Not(s.left_round(n, r)))
        s.one_b[n, r] = True
        s.left_round.update(
            lambda n1, r1: z3.Or(s.left_round(n1, r1), z3.And(n1 == n, below(s, r1, r)))
        )

    @ts.action(r=Round, q=Quorum, maxr=Round, v=Value)
    def phase2a(s: Step, r: Any, q: Any, maxr: Any, v: Any) -> None:
        s.require(r != s.none)
        vv = z3.Const("vv", Value)
        m = z3.Const("m", Node)
        rr = z3.Const("rr", Round)
        s.require(z3.ForAll([vv], z3.Not(s.proposal(r, vv))))
        s.require(z3.ForAll([m], z3.Implies(s.member(m, q), s.one_b(m, r))))
        if mutant != "ignore_accepted_value":
            # P2c over the quorum's votes below r: what their 1b messages report.
            voted = z3.And(s.member(m, q), below(s, rr, r), s.vote(m, rr, vv))
            s.require(
                z3.Or(
                    z3.And(maxr == s.none, z3.ForAll([m, rr, vv], z3.Not(voted))),
                    z3.And(
                        maxr != s.none,
                        z3.Exists(
                            [m], z3.And(s.member(m, q), below(s, maxr, r), s.vote(m, maxr, v))
                        ),
                        z3.ForAll([m, rr, vv], z3.Implies(voted, s.le(rr, maxr))),
                    ),
                )
            )
        s.proposal[r, v] = True

    @ts.action(n=Node, r=Round, v=Value)
    def phase2b(s: Step, n: Any, r: Any, v: Any) -> None:
        s.require(r != s.none)
        if mutant != "accept_below_promise":
            s.require(z3.Not(s.left_round(n, r)))
        s.require(s.proposal(r, v))
        s.vote[n, r, v] = True

    @ts.action(r=Round, v=Value, q=Quorum, n=Node, r0=Round)
    def learn(s: Step, r: Any, v: Any, q: Any, n: Any, r0: Any) -> None:
        # Every member of q voted for v in r (n too, in r: r0 plays no part), or, for the
        # mutant that mixes ballots, member n voted for v in another ballot r0.
        s.require(r != s.none)
        m = z3.Const("m", Node)
        if mutant == "learner_mixes_ballots":
            voted = z3.If(m == n, s.vote(m, r0, v), s.vote(m, r, v))
        else:
            voted = s.vote(m, r, v)
        s.require(z3.ForAll([m], z3.Implies(s.member(m, q), voted)))
        s.decision[r, v] = True

    if mutant == "quorums_disjoint":
        return ts.without_axiom("quorums_intersect")
    return ts


def agreement(s: StateView) -> Any:
    """Safety: all decisions are for one value."""
    r1, r2 = z3.Consts("r1 r2", Round)
    v1, v2 = z3.Consts("v1 v2", Value)
    return z3.ForAll(
        [r1, r2, v1, v2], z3.Implies(z3.And(s.decision(r1, v1), s.decision(r2, v2)), v1 == v2)
    )


def one_proposal_per_round(s: StateView) -> Any:
    """At most one value is proposed in each ballot (a 2a message per ballot)."""
    r = z3.Const("r", Round)
    v1, v2 = z3.Consts("v1 v2", Value)
    return z3.ForAll(
        [r, v1, v2], z3.Implies(z3.And(s.proposal(r, v1), s.proposal(r, v2)), v1 == v2)
    )


def vote_proposal(s: StateView) -> Any:
    """An acceptor votes only for the proposal of the ballot."""
    n = z3.Const("n", Node)
    r = z3.Const("r", Round)
    v = z3.Const("v", Value)
    return z3.ForAll([n, r, v], z3.Implies(s.vote(n, r, v), s.proposal(r, v)))


def decision_quorum(s: StateView) -> Any:
    """A decision in ``r`` for ``v`` had every member of some quorum vote for ``v`` in ``r``."""
    r = z3.Const("r", Round)
    v = z3.Const("v", Value)
    q = z3.Const("q", Quorum)
    n = z3.Const("n", Node)
    return z3.ForAll(
        [r, v],
        z3.Implies(
            s.decision(r, v),
            z3.Exists([q], z3.ForAll([n], z3.Implies(s.member(n, q), s.vote(n, r, v)))),
        ),
    )


def promise_leaves_lower(s: StateView) -> Any:
    """An acceptor that promised ``r`` has left every lower ballot."""
    n = z3.Const("n", Node)
    r1, r2 = z3.Consts("r1 r2", Round)
    return z3.ForAll(
        [n, r1, r2],
        z3.Implies(z3.And(s.one_b(n, r2), z3.Not(s.le(r2, r1))), s.left_round(n, r1)),
    )


def choosable(s: StateView) -> Any:
    """A proposal ``v2`` in ``r2`` means no other value ``v1`` can be chosen in ``r1 < r2``:
    every quorum has a member that left ``r1`` without voting for ``v1``."""
    r1, r2 = z3.Consts("r1 r2", Round)
    v1, v2 = z3.Consts("v1 v2", Value)
    q = z3.Const("q", Quorum)
    n = z3.Const("n", Node)
    return z3.ForAll(
        [r1, r2, v1, v2, q],
        z3.Implies(
            z3.And(z3.Not(s.le(r2, r1)), s.proposal(r2, v2), v1 != v2),
            z3.Exists([n], z3.And(s.member(n, q), s.left_round(n, r1), z3.Not(s.vote(n, r1, v1)))),
        ),
    )


INVARIANT = {
    f.__name__: f
    for f in (
        agreement,
        one_proposal_per_round,
        vote_proposal,
        decision_quorum,
        choosable,
        promise_leaves_lower,
    )
}
"""The inductive invariant: agreement and the five facts behind it (module docstring)."""
