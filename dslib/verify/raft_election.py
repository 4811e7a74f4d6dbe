"""Raft election safety: at most one leader per term.

Raft (Ongaro and Ousterhout, USENIX ATC 2014) elects a leader per term: a
candidate becomes leader when a majority granted it their vote in that term.
Election safety (§5.2, Figure 3), "at most one leader can be elected in a given
term", rests on two facts:

* **vote once**: each server grants at most one vote per term
  (first come, first served; ``votedFor`` is persistent state, Figure 2, so a
  crash does not let a server vote again);
* **quorum intersection**: any two majorities share a server.

This model keeps only what the argument needs: ``request_vote(n, t, c)``
(server ``n`` grants its vote in term ``t`` to candidate ``c``) and
``become_leader(c, t, q)`` (every member of quorum ``q`` voted for ``c`` in
``t``). Logs, the up-to-date check (§5.4.1) and term numbers' order matter for
*log* safety, not for election safety, and are left out: a proof about fewer
details covers every protocol that refines it.

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(raft_election(), INVARIANT).proved
True
>>> check_inductive(raft_election(forget_votes=True), INVARIANT).failing
(('one_vote_per_term', 'request_vote'),)
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
    "Term",
    "election_safety",
    "leader_has_quorum",
    "one_vote_per_term",
    "raft_election",
]

Node = z3.DeclareSort("node")
"""The sort of servers (any number)."""
Term = z3.DeclareSort("term")
"""The sort of terms (any number; only equality of terms matters here)."""
Quorum = z3.DeclareSort("quorum")
"""The sort of quorums (majorities), through the rigid relation ``member``."""


def raft_election(*, forget_votes: bool = False) -> TransitionSystem:
    """Raft leader election as a transition system.

    Parameters
    ----------
    forget_votes : bool, optional
        A bug: a server may grant a second vote in a term (as if ``votedFor``
        were not persisted and the server restarted). Election safety fails.

    Returns
    -------
    TransitionSystem

    Examples
    --------
    >>> raft_election()
    TransitionSystem('raft election')
      sorts:   node (any size), term (any size), quorum (any size)
      rigid:   member(node, quorum)
      state:   voted_for(node, term, node), leader(node, term)
      axioms:  quorums_intersect
      init:    no_votes_no_leaders
      actions: request_vote(n: node, t: term, c: node), become_leader(c: node, t: term, q: quorum)
    """
    ts = TransitionSystem("raft election" + (" (forgets votes)" if forget_votes else ""))
    ts.sort(Node)
    ts.sort(Term)
    declare_quorums(ts, Node, Quorum)  # member(n, q), and the axiom quorums_intersect
    ts.relation("voted_for", Node, Term, Node)  # n granted its vote in t to candidate c
    ts.relation("leader", Node, Term)  # n became leader in t

    n, c = z3.Consts("n c", Node)
    t = z3.Const("t", Term)

    @ts.init
    def no_votes_no_leaders(s: StateView) -> Any:
        return z3.And(
            z3.ForAll([n, t, c], z3.Not(s.voted_for(n, t, c))),
            z3.ForAll([n, t], z3.Not(s.leader(n, t))),
        )

    @ts.action(n=Node, t=Term, c=Node)
    def request_vote(s: Step, n: Any, t: Any, c: Any) -> None:
        other = z3.Const("other", Node)
        if not forget_votes:
            # Grant only if n has not voted for someone else in t (votedFor is null or c).
            s.require(z3.ForAll([other], z3.Implies(s.voted_for(n, t, other), other == c)))
        s.voted_for[n, t, c] = True

    @ts.action(c=Node, t=Term, q=Quorum)
    def become_leader(s: Step, c: Any, t: Any, q: Any) -> None:
        m = z3.Const("m", Node)
        s.require(z3.ForAll([m], z3.Implies(s.member(m, q), s.voted_for(m, t, c))))
        s.leader[c, t] = True

    return ts


def election_safety(s: StateView) -> Any:
    """Safety (§5.2): at most one leader per term.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_election(), [election_safety]).proved  # not inductive alone
    False
    """
    n1, n2 = z3.Consts("n1 n2", Node)
    t = z3.Const("t", Term)
    return z3.ForAll([n1, n2, t], z3.Implies(z3.And(s.leader(n1, t), s.leader(n2, t)), n1 == n2))


def one_vote_per_term(s: StateView) -> Any:
    """Each server voted for at most one candidate in each term.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_election(), [one_vote_per_term]).proved  # inductive alone
    True
    """
    n, c1, c2 = z3.Consts("n c1 c2", Node)
    t = z3.Const("t", Term)
    return z3.ForAll(
        [n, t, c1, c2],
        z3.Implies(z3.And(s.voted_for(n, t, c1), s.voted_for(n, t, c2)), c1 == c2),
    )


def leader_has_quorum(s: StateView) -> Any:
    """A leader of term t was voted for, in t, by every member of some quorum.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_election(), [leader_has_quorum]).proved  # inductive alone
    True
    """
    c, m = z3.Consts("c m", Node)
    t = z3.Const("t", Term)
    q = z3.Const("q", Quorum)
    return z3.ForAll(
        [c, t],
        z3.Implies(
            s.leader(c, t),
            z3.Exists([q], z3.ForAll([m], z3.Implies(s.member(m, q), s.voted_for(m, t, c)))),
        ),
    )


INVARIANT = {f.__name__: f for f in (election_safety, one_vote_per_term, leader_has_quorum)}
"""The inductive invariant: election safety, vote once per term, leaders had a quorum."""
