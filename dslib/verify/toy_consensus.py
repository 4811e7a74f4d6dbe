"""Toy consensus: nodes vote once, a quorum of votes decides; agreement follows.

The smallest protocol whose safety rests on quorum intersection, and the core
of the argument for Paxos and Raft:

* ``cast_vote(n, v)``: a node that has not voted votes for a value;
* ``decide(v, q)``: if every member of quorum ``q`` voted for ``v``, ``v`` is
  decided.

Agreement (:func:`agreement`): at most one value is decided. The argument:
a decided value had a whole quorum vote for it; two quorums share a node;
that node voted only once. Each clause of that sentence is one conjunct of
:data:`INVARIANT` or the axiom ``quorums_intersect``. Quorums are a sort with a
rigid membership relation; the axiom is all the proof knows about them, so
the proof holds for *every* quorum system that satisfies it: majorities,
grids, weighted votes (:mod:`dslib.verify.quorums` proves the axiom for a
concrete one).

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(toy_consensus(), INVARIANT).proved
True
>>> no_axiom = toy_consensus().without_axiom("quorums_intersect")
>>> check_inductive(no_axiom, INVARIANT).failing
(('agreement', 'decide'),)
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.verify._specs import declare_quorums
from dslib.verify.transition import StateView, Step, TransitionSystem

__all__ = [
    "INVARIANT",
    "Node",
    "Quorum",
    "Value",
    "agreement",
    "decision_has_quorum",
    "one_vote_per_node",
    "toy_consensus",
    "votes_are_recorded",
]

Node = z3.DeclareSort("node")
"""The sort of nodes (any number)."""
Value = z3.DeclareSort("value")
"""The sort of values that can be proposed (any number)."""
Quorum = z3.DeclareSort("quorum")
"""The sort of quorums: sets of nodes, through the rigid relation ``member``."""


def toy_consensus(*, vote_twice: bool = False) -> TransitionSystem:
    """The toy consensus protocol as a transition system.

    Parameters
    ----------
    vote_twice : bool, optional
        A bug: a node may vote again, for another value. Agreement then fails.

    Returns
    -------
    TransitionSystem

    Examples
    --------
    >>> toy_consensus()
    TransitionSystem('toy consensus')
      sorts:   node (any size), value (any size), quorum (any size)
      rigid:   member(node, quorum)
      state:   voted(node), vote(node, value), decided(value)
      axioms:  quorums_intersect
      init:    nothing_yet
      actions: cast_vote(n: node, v: value), decide(v: value, q: quorum)
    """
    ts = TransitionSystem("toy consensus" + (" (votes twice)" if vote_twice else ""))
    ts.sort(Node)
    ts.sort(Value)
    declare_quorums(ts, Node, Quorum)  # member(n, q), and the axiom quorums_intersect
    ts.relation("voted", Node)  # n has voted
    ts.relation("vote", Node, Value)  # n voted for v
    ts.relation("decided", Value)  # v is decided

    n = z3.Const("n", Node)
    v = z3.Const("v", Value)

    @ts.init
    def nothing_yet(s: StateView) -> Any:
        return z3.And(
            z3.ForAll([n], z3.Not(s.voted(n))),
            z3.ForAll([n, v], z3.Not(s.vote(n, v))),
            z3.ForAll([v], z3.Not(s.decided(v))),
        )

    @ts.action(n=Node, v=Value)
    def cast_vote(s: Step, n: Any, v: Any) -> None:
        if not vote_twice:
            s.require(z3.Not(s.voted(n)))
        s.voted[n] = True
        s.vote[n, v] = True

    @ts.action(v=Value, q=Quorum)
    def decide(s: Step, v: Any, q: Any) -> None:
        m = z3.Const("m", Node)
        s.require(z3.ForAll([m], z3.Implies(s.member(m, q), s.vote(m, v))))
        s.decided[v] = True

    return ts


def agreement(s: StateView) -> Any:
    """Safety: at most one value is decided.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(toy_consensus(), [agreement]).proved  # not inductive alone
    False
    """
    v1, v2 = z3.Consts("v1 v2", Value)
    return z3.ForAll([v1, v2], z3.Implies(z3.And(s.decided(v1), s.decided(v2)), v1 == v2))


def votes_are_recorded(s: StateView) -> Any:
    """A node that voted for a value is marked as having voted.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(toy_consensus(), [votes_are_recorded]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    v = z3.Const("v", Value)
    return z3.ForAll([n, v], z3.Implies(s.vote(n, v), s.voted(n)))


def one_vote_per_node(s: StateView) -> Any:
    """Each node voted for at most one value.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(toy_consensus(), [one_vote_per_node]).proved  # not inductive alone
    False
    """
    n = z3.Const("n", Node)
    v1, v2 = z3.Consts("v1 v2", Value)
    return z3.ForAll([n, v1, v2], z3.Implies(z3.And(s.vote(n, v1), s.vote(n, v2)), v1 == v2))


def decision_has_quorum(s: StateView) -> Any:
    """A decided value has a quorum all of whose members voted for it.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(toy_consensus(), [decision_has_quorum]).proved  # inductive alone
    True
    """
    v = z3.Const("v", Value)
    q = z3.Const("q", Quorum)
    n = z3.Const("n", Node)
    return z3.ForAll(
        [v],
        z3.Implies(
            s.decided(v),
            z3.Exists([q], z3.ForAll([n], z3.Implies(s.member(n, q), s.vote(n, v)))),
        ),
    )


INVARIANT = {
    f.__name__: f for f in (agreement, votes_are_recorded, one_vote_per_node, decision_has_quorum)
}
"""The inductive invariant of toy consensus: agreement and the three facts behind it."""
