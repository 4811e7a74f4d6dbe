"""What several specifications declare the same way: quorums, abstractly.

Toy consensus, Raft's election and Raft's log all rest on one fact about
quorums, and state it the same way: a sort of quorums of any size, a rigid
relation ``member(n, q)`` ("node ``n`` belongs to quorum ``q``") and one axiom,
"any two quorums share a node". A proof then knows nothing else about quorums,
so it holds for every quorum system with that property;
:mod:`dslib.verify.quorums` proves the property for a concrete one.
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.verify.transition import StateView, TransitionSystem

__all__ = ["declare_quorums"]


def declare_quorums(ts: TransitionSystem, node: Any, quorum: Any) -> None:
    """Declare the sort ``quorum``, the rigid ``member(node, quorum)`` and ``quorums_intersect``.

    Parameters
    ----------
    ts : TransitionSystem
        The system to declare them in; ``node`` must be declared already.
    node, quorum : z3.SortRef
        The sort of nodes and the (new) sort of quorums.

    Examples
    --------
    >>> Node, Quorum = z3.DeclareSort("node"), z3.DeclareSort("quorum")
    >>> ts = TransitionSystem("quorums only")
    >>> _ = ts.sort(Node)
    >>> declare_quorums(ts, Node, Quorum)
    >>> ts
    TransitionSystem('quorums only')
      sorts:   node (any size), quorum (any size)
      rigid:   member(node, quorum)
      state:   -
      axioms:  quorums_intersect
      init:    -
      actions: -
    """
    ts.sort(quorum)
    ts.relation("member", node, quorum, mutable=False)
    n = z3.Const("n", node)
    q1, q2 = z3.Consts("q1 q2", quorum)

    @ts.axiom
    def quorums_intersect(s: StateView) -> Any:
        return z3.ForAll([q1, q2], z3.Exists([n], z3.And(s.member(n, q1), s.member(n, q2))))
