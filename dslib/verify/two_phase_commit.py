"""Two-phase commit: atomicity, proved with an inductive invariant.

A coordinator asks every participant (resource manager) to vote. Phase 1: each
participant votes yes (it is prepared to commit) or no (and then aborts on its
own). Phase 2: the coordinator commits if *every* participant voted yes, and
may abort at any time before that (a no vote, or a timeout); it tells every
participant, who then commits or aborts.

Atomicity (:func:`atomicity`): no participant commits while another aborts.
The argument: a commit needs the coordinator's commit decision, which needs a
yes from everyone; an abort needs the coordinator's abort decision or the
participant's own no vote; the coordinator decides once, and a participant
votes once. :data:`INVARIANT` says exactly that.

The number of participants is unbounded: the proof holds for any number.

See Also
--------
dslib.small_systems.twophase : The same protocol less abstract (chapter 3): the TLA+
    ``TwoPhase`` specification, model-checked state by state for a few resource
    managers, and the protocol as nodes.
dslib.sharding.transactions : The same protocol as a working commit (chapter 13):
    cross-shard transfers with data, locks and a coordinator that can crash.

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(two_phase_commit(), INVARIANT).proved
True
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.verify.transition import StateView, Step, TransitionSystem

__all__ = [
    "INVARIANT",
    "Node",
    "abort_has_reason",
    "atomicity",
    "commit_needs_all_yes",
    "commit_needs_go_commit",
    "go_abort_needs_decision",
    "go_commit_needs_decision",
    "one_decision",
    "one_vote",
    "two_phase_commit",
]

Node = z3.DeclareSort("node")
"""The sort of participants (any number)."""


def two_phase_commit(*, commit_early: bool = False) -> TransitionSystem:
    """Two-phase commit as a transition system.

    Parameters
    ----------
    commit_early : bool, optional
        A bug: the coordinator commits without waiting for every yes vote.
        Atomicity then fails.

    Returns
    -------
    TransitionSystem

    Examples
    --------
    >>> two_phase_commit()
    TransitionSystem('two-phase commit')
      sorts:   node (any size)
      state:   vote_yes(node), vote_no(node), go_commit(node), go_abort(node), committed(node), aborted(node), coord_commit, coord_abort
      init:    nothing_yet
      actions: vote_yes(n: node), vote_no(n: node), coordinator_commit(), coordinator_abort(), receive_commit(n: node), receive_abort(n: node)
    """  # noqa: E501
    ts = TransitionSystem("two-phase commit" + (" (commits early)" if commit_early else ""))
    ts.sort(Node)
    ts.relation("vote_yes", Node)  # n voted yes (prepared)
    ts.relation("vote_no", Node)  # n voted no
    ts.relation("go_commit", Node)  # the coordinator told n to commit
    ts.relation("go_abort", Node)  # the coordinator told n to abort
    ts.relation("committed", Node)
    ts.relation("aborted", Node)
    ts.relation("coord_commit")  # the coordinator decided commit
    ts.relation("coord_abort")  # the coordinator decided abort

    n = z3.Const("n", Node)

    @ts.init
    def nothing_yet(s: StateView) -> Any:
        per_node = [s.vote_yes, s.vote_no, s.go_commit, s.go_abort, s.committed, s.aborted]
        return z3.And(
            z3.ForAll([n], z3.Not(z3.Or([r(n) for r in per_node]))),
            z3.Not(s.coord_commit),
            z3.Not(s.coord_abort),
        )

    @ts.action(n=Node)
    def vote_yes(s: Step, n: Any) -> None:
        s.require(z3.Not(z3.Or(s.vote_yes(n), s.vote_no(n))))
        s.vote_yes[n] = True

    @ts.action(n=Node)
    def vote_no(s: Step, n: Any) -> None:
        s.require(z3.Not(z3.Or(s.vote_yes(n), s.vote_no(n))))
        s.vote_no[n] = True
        s.aborted[n] = True  # a participant that votes no may abort at once

    @ts.action()
    def coordinator_commit(s: Step) -> None:
        m = z3.Const("m", Node)
        if not commit_early:
            s.require(z3.ForAll([m], s.vote_yes(m)))
        s.require(z3.Not(s.coord_abort))
        s.coord_commit = True
        s.go_commit.update(lambda m: True)

    @ts.action()
    def coordinator_abort(s: Step) -> None:
        s.require(z3.Not(s.coord_commit))
        s.coord_abort = True
        s.go_abort.update(lambda m: True)

    @ts.action(n=Node)
    def receive_commit(s: Step, n: Any) -> None:
        s.require(s.go_commit(n))
        s.committed[n] = True

    @ts.action(n=Node)
    def receive_abort(s: Step, n: Any) -> None:
        s.require(s.go_abort(n))
        s.aborted[n] = True

    return ts


def atomicity(s: StateView) -> Any:
    """Safety: no participant commits while another aborts.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [atomicity]).proved  # not inductive alone
    False
    """
    n1, n2 = z3.Consts("n1 n2", Node)
    return z3.ForAll([n1, n2], z3.Not(z3.And(s.committed(n1), s.aborted(n2))))


def commit_needs_go_commit(s: StateView) -> Any:
    """A participant commits only after the coordinator told it to.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [commit_needs_go_commit]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Implies(s.committed(n), s.go_commit(n)))


def go_commit_needs_decision(s: StateView) -> Any:
    """The coordinator tells a participant to commit only after deciding commit.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [go_commit_needs_decision]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Implies(s.go_commit(n), s.coord_commit))


def go_abort_needs_decision(s: StateView) -> Any:
    """The coordinator tells a participant to abort only after deciding abort.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [go_abort_needs_decision]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Implies(s.go_abort(n), s.coord_abort))


def abort_has_reason(s: StateView) -> Any:
    """A participant aborts only when told to, or after voting no itself.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [abort_has_reason]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Implies(s.aborted(n), z3.Or(s.go_abort(n), s.vote_no(n))))


def one_decision(s: StateView) -> Any:
    """The coordinator does not decide both commit and abort.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [one_decision]).proved  # inductive alone
    True
    """
    return z3.Not(z3.And(s.coord_commit, s.coord_abort))


def commit_needs_all_yes(s: StateView) -> Any:
    """The coordinator decided commit only if every participant voted yes.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [commit_needs_all_yes]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.Implies(s.coord_commit, z3.ForAll([n], s.vote_yes(n)))


def one_vote(s: StateView) -> Any:
    """No participant voted both yes and no.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(two_phase_commit(), [one_vote]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Not(z3.And(s.vote_yes(n), s.vote_no(n))))


INVARIANT = {
    f.__name__: f
    for f in (
        atomicity,
        commit_needs_go_commit,
        go_commit_needs_decision,
        go_abort_needs_decision,
        abort_has_reason,
        one_decision,
        commit_needs_all_yes,
        one_vote,
    )
}
"""The inductive invariant of two-phase commit: atomicity and the seven facts behind it."""
