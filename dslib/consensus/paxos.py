"""Single-decree Paxos as nodes: proposers, acceptors and learners on the node API.

The same algorithm as ``dslib.consensus.spec.PaxosSpec``, one level down: each role
is a ``Node`` whose handlers are pure, so the nodes run in the simulator (with
latency, loss, crashes), in the model checker (``dslib.check.ActorModel``: every
interleaving) and in the debugger. Messages are named after "Paxos Made Simple"
(section 2.2) with the TLA+ phase in brackets:

================  ===========================================================
``Prepare(b)``    [1a] proposer to acceptors: "promise me ballot ``b``"
``Promise``       [1b] acceptor to proposer: the promise, with its last vote
``Accept(b, v)``  [2a] proposer to acceptors: "vote for ``v`` in ``b``"
``Accepted``      [2b] acceptor to learners (and the proposer): "I voted"
``Nack(b, p)``    acceptor to proposer: "I promised ``p > b``: give up ``b``"
================  ===========================================================

``Nack`` is the optimisation of section 2.2 ("the acceptor should inform the
proposer, who can then abandon its proposal"). A proposer that is told to abandon
ballot ``b`` starts a higher one at once. Two proposers doing that can *duel*
forever, each pre-empting the other's ballot before its phase 2 ends: safety is
never at risk, but nothing is chosen (section 2.4; ``duel_lasso`` shows the
execution). A *distinguished proposer* (``leader=``), the only one to propose,
ends the duel: with a reliable network, every fair execution then chooses a value
(``termination``).

Ballots are ``Ballot(round, proposer)``, ordered by round and then by the
proposer's name, so two proposers never use the same ballot (Lamport: "disjoint
sets of numbers", section 2.2). A proposer that is pre-empted by ballot ``p``
takes the next round, ``Ballot(p.round + 1, me)``.

Acceptors persist their promise and their votes before they answer, and recover
them after a crash (a forgetful acceptor could promise twice). ``votes`` keeps
every vote, not only the last: the last is what the algorithm needs
(``AcceptorState.last_vote``), the others are what "chosen" is defined from, as in
Lamport's TLA+ ``Voting`` specification.

The properties of the problem are functions of a global state (``node_invariants``):
agreement (at most one value chosen, every learner learned that one), validity
(only a proposer's input is chosen or learned) and integrity (a learner learns only
a chosen value); termination (``termination``) is liveness.

References
----------
.. [1] L. Lamport, "Paxos Made Simple", 2001: section 2.2 (the two phases, P2c, the
   disjoint ballot numbers), section 2.3 (learners), section 2.4 (progress, the
   distinguished proposer).
.. [2] L. Lamport, "The Part-Time Parliament", 1998, section 3 (the protocol; what a
   priest must write in his ledger before he answers).

Examples
--------
>>> from dslib.check import ActorModel, check
>>> system = paxos_system(values=("x", "y"), acceptors=2, max_round=0)
>>> r = check(ActorModel(system), invariants=node_invariants(system))
>>> r.ok, r.distinct_states
(True, 713)

(Two acceptors keep the example quick; chapter 14.2 checks three.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.check.actor import ActorState
from dslib.check.model import Model
from dslib.consensus.spec import MUTANTS
from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr
from dslib.mutants import check_mutant

__all__ = [
    "MUTANTS",
    "Accept",
    "Accepted",
    "Acceptor",
    "AcceptorState",
    "Ballot",
    "Learner",
    "LearnerState",
    "Nack",
    "Prepare",
    "Promise",
    "Proposer",
    "ProposerState",
    "RelativeBallots",
    "chosen_values",
    "learned_values",
    "node_invariants",
    "paxos_system",
    "termination",
]


@dataclass(frozen=True, order=True)
class Ballot:
    """A ballot number: a round, and the proposer that owns it (ties broken by name).

    >>> Ballot(1, "p1") < Ballot(1, "p2") < Ballot(2, "p1")
    True
    """

    round: int
    proposer: str

    def __repr__(self) -> str:
        return f"Ballot({self.round}, {self.proposer!r})"


Vote = tuple[Ballot, Hashable]


@dataclass(frozen=True)
class Prepare:
    """[1a] "Promise not to vote below ``ballot``."

    >>> Prepare(Ballot(0, "p1"))
    Prepare(ballot=Ballot(0, 'p1'))
    """

    ballot: Ballot


@dataclass(frozen=True)
class Promise:
    """[1b] The acceptor promised ``ballot``; ``last_vote`` is its highest vote, if any.

    >>> Promise(Ballot(1, "p1"), (Ballot(0, "p2"), "y"))
    Promise(ballot=Ballot(1, 'p1'), last_vote=(Ballot(0, 'p2'), 'y'))
    """

    ballot: Ballot
    last_vote: Vote | None


@dataclass(frozen=True)
class Accept:
    """[2a] "Vote for ``value`` in ``ballot``."

    >>> Accept(Ballot(0, "p1"), "x")
    Accept(ballot=Ballot(0, 'p1'), value='x')
    """

    ballot: Ballot
    value: Hashable


@dataclass(frozen=True)
class Accepted:
    """[2b] The acceptor voted for ``value`` in ``ballot``.

    >>> Accepted(Ballot(0, "p1"), "x")
    Accepted(ballot=Ballot(0, 'p1'), value='x')
    """

    ballot: Ballot
    value: Hashable


@dataclass(frozen=True)
class Nack:
    """The acceptor will not take part in ``ballot``: it promised ``promised``, higher.

    >>> Nack(Ballot(0, "p1"), Ballot(0, "p2"))
    Nack(ballot=Ballot(0, 'p1'), promised=Ballot(0, 'p2'))
    """

    ballot: Ballot
    promised: Ballot


# -- proposer ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProposerState:
    """A proposer's state.

    Attributes
    ----------
    phase : str
        ``"idle"`` (not started), ``"1"`` (waiting for promises), ``"2"`` (waiting for
        votes), ``"done"`` (a quorum voted: its value is chosen) or ``"stopped"`` (no
        round left under ``max_round``).
    ballot : Ballot or None
        The current ballot.
    promises : frozenset
        ``(acceptor, last_vote)`` for each promise for ``ballot``.
    votes : frozenset of str
        The acceptors that voted in ``ballot``.
    value : hashable or None
        The value proposed in phase 2.

    Examples
    --------
    >>> ProposerState()
    ProposerState(phase='idle', ballot=None, promises=frozenset(), votes=frozenset(), value=None)
    """

    phase: str = "idle"
    ballot: Ballot | None = None
    promises: frozenset[tuple[str, Vote | None]] = frozenset()
    votes: frozenset[str] = frozenset()
    value: Hashable = None

    def __repr__(self) -> str:
        return stable_repr(self)


class Proposer(Node[ProposerState]):
    """A proposer: phase 1 with a quorum, then phase 2 with the value rule P2c.

    The rule that makes Paxos safe is ``value_rule``: propose the value of the
    highest vote reported in the quorum's promises, or your own if none voted
    ("Paxos Made Simple", section 2.2, P2c). The ``ignore_accepted_value`` mutant
    breaks exactly that.

    Parameters
    ----------
    value : hashable
        What this proposer wants chosen (its input).
    acceptors : sequence of str
        The acceptors' ids.
    quorum : int
        How many promises (votes) make a quorum.
    max_round : int or None, default None
        Do not start a round above this (``None``: no limit). Model checking of
        safety bounds the rounds; the duel needs them unbounded.
    start : bool, default True
        Start proposing (timer ``"propose"``). A proposer with ``start=False`` never
        proposes: the others defer to a distinguished proposer.
    retry : float or None, default None
        Start a higher ballot if nothing is chosen this long after the last start
        (needed when messages may be lost; ``None``: only a ``Nack`` restarts).
    mutant : str, optional
        A broken version from ``MUTANTS`` (only ``ignore_accepted_value`` changes a
        proposer).

    Examples
    --------
    >>> from dslib import Context
    >>> p = Proposer("x", ["a1", "a2", "a3"], quorum=2)
    >>> ctx = Context("p1", ["a1", "a2", "a3", "p1"])
    >>> s = p.on_timer(ctx, ProposerState(), "propose")
    >>> s.phase, ctx.sent[0]
    ('1', ('a1', Prepare(ballot=Ballot(0, 'p1'))))
    >>> s = p.on_message(ctx, s, "a1", Promise(Ballot(0, "p1"), None))
    >>> s = p.on_message(ctx, s, "a2", Promise(Ballot(0, "p1"), (Ballot(0, "p0"), "y")))
    >>> s.phase, s.value, ctx.sent[-1]
    ('2', 'y', ('a3', Accept(ballot=Ballot(0, 'p1'), value='y')))
    """

    def __init__(
        self,
        value: Hashable,
        acceptors: Sequence[str],
        quorum: int,
        *,
        max_round: int | None = None,
        start: bool = True,
        retry: float | None = None,
        mutant: str | None = None,
    ) -> None:
        self.value = value
        self.acceptors = tuple(acceptors)
        self.quorum = quorum
        self.max_round = max_round
        self.start = start
        self.retry = retry
        self.mutant = check_mutant("Proposer", mutant, MUTANTS)

    def init(self, ctx: Context) -> ProposerState:
        if self.start:
            ctx.set_timer("propose", 1.0)
        return ProposerState()

    def on_timer(self, ctx: Context, state: ProposerState, timer: Any) -> ProposerState:
        if timer == "propose" and state.phase == "idle":
            return self._phase1(ctx, Ballot(0, ctx.id))
        if timer == "retry" and state.phase in ("1", "2", "done") and state.ballot is not None:
            return self._phase1(ctx, Ballot(state.ballot.round + 1, ctx.id))
        return state

    def on_message(self, ctx: Context, state: ProposerState, src: str, msg: Any) -> ProposerState:
        if isinstance(msg, Promise) and state.phase == "1" and msg.ballot == state.ballot:
            promises = state.promises | {(src, msg.last_vote)}
            if len(promises) < self.quorum:
                return replace(state, promises=promises)
            value = self.value_rule([vote for _, vote in sorted(promises, key=stable_repr)])
            for a in self.acceptors:
                ctx.send(a, Accept(msg.ballot, value))
            return ProposerState(phase="2", ballot=msg.ballot, value=value)
        if isinstance(msg, Accepted) and state.phase == "2" and msg.ballot == state.ballot:
            votes = state.votes | {src}
            if len(votes) >= self.quorum:
                # Chosen. The retry timer stays: a learner may have missed the votes, and
                # a new ballot, bound to propose the same value, makes the acceptors
                # tell it again.
                return replace(state, phase="done", votes=votes)
            return replace(state, votes=votes)
        if (
            isinstance(msg, Nack)
            and state.phase in ("1", "2")
            and msg.ballot == state.ballot
            and msg.promised > msg.ballot
        ):
            return self._phase1(ctx, Ballot(msg.promised.round + 1, ctx.id))
        return state

    def value_rule(self, last_votes: Sequence[Vote | None]) -> Hashable:
        """P2c: the value of the highest vote among the promises, else this proposer's own.

        >>> p = Proposer("x", ["a1", "a2", "a3"], quorum=2)
        >>> p.value_rule([None, (Ballot(0, "p2"), "y"), (Ballot(1, "p3"), "z")])
        'z'
        >>> p.value_rule([None, None])
        'x'
        """
        votes = [v for v in last_votes if v is not None]
        if not votes or self.mutant == "ignore_accepted_value":
            return self.value
        return max(votes, key=lambda vote: vote[0])[1]

    def _phase1(self, ctx: Context, ballot: Ballot) -> ProposerState:
        if self.max_round is not None and ballot.round > self.max_round:
            ctx.cancel_timer("retry")
            return ProposerState(phase="stopped", ballot=ballot)
        for a in self.acceptors:
            ctx.send(a, Prepare(ballot))
        if self.retry is not None:
            ctx.set_timer("retry", self.retry)
        return ProposerState(phase="1", ballot=ballot)


# -- acceptor ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AcceptorState:
    """An acceptor's state: its promise (TLA+ ``maxBal``) and every vote it cast.

    Examples
    --------
    >>> votes = frozenset({(Ballot(0, "p2"), "y"), (Ballot(1, "p1"), "y")})
    >>> s = AcceptorState(Ballot(1, "p1"), votes)
    >>> s.last_vote
    (Ballot(1, 'p1'), 'y')
    """

    promised: Ballot | None = None
    votes: frozenset[Vote] = frozenset()

    @property
    def last_vote(self) -> Vote | None:
        """The highest vote (TLA+ ``maxVBal``, ``maxVal``), or None."""
        return max(self.votes, key=lambda vote: vote[0]) if self.votes else None

    def __repr__(self) -> str:
        return stable_repr(self)


class Acceptor(Node[AcceptorState]):
    """An acceptor: promise in phase 1 (``promise_rule``), vote in phase 2 (``vote_rule``).

    It persists its state before it answers and recovers it after a crash.

    Parameters
    ----------
    learners : sequence of str
        Who hears of its votes.
    mutant : str, optional
        ``"accept_below_promise"`` breaks ``vote_rule``.
    tell_proposer : bool, default True
        Also tell the ballot's proposer of a vote, so that it stops retrying (needed
        only when proposers retry on a timer).

    Examples
    --------
    >>> from dslib import Context
    >>> a = Acceptor(["l1"])
    >>> ctx = Context("a1", ["a1", "l1", "p1", "p2"])
    >>> s = a.on_message(ctx, AcceptorState(), "p2", Prepare(Ballot(0, "p2")))
    >>> s = a.on_message(ctx, s, "p1", Accept(Ballot(0, "p1"), "x"))
    >>> ctx.sent
    [('p2', Promise(ballot=Ballot(0, 'p2'), last_vote=None)), ('p1', Nack(ballot=Ballot(0, 'p1'), promised=Ballot(0, 'p2')))]
    """  # noqa: E501

    def __init__(
        self, learners: Sequence[str], mutant: str | None = None, *, tell_proposer: bool = True
    ) -> None:
        self.learners = tuple(learners)
        self.tell_proposer = tell_proposer
        self.mutant = check_mutant("Acceptor", mutant, MUTANTS)

    def init(self, ctx: Context) -> AcceptorState:
        return AcceptorState()

    def promise_rule(self, state: AcceptorState, ballot: Ballot) -> bool:
        """Promise only a ballot above every promise made (TLA+ ``Phase1b``: ``b > maxBal``)."""
        return state.promised is None or ballot > state.promised

    def vote_rule(self, state: AcceptorState, ballot: Ballot) -> bool:
        """Vote only in a ballot not below the promise (TLA+ ``Phase2b``: ``b >= maxBal``)."""
        if self.mutant == "accept_below_promise":
            return True
        return state.promised is None or ballot >= state.promised

    def on_message(self, ctx: Context, state: AcceptorState, src: str, msg: Any) -> AcceptorState:
        if isinstance(msg, Prepare):
            if not self.promise_rule(state, msg.ballot):
                assert state.promised is not None
                if state.promised > msg.ballot:  # (equal: a late copy; it promised already)
                    ctx.send(src, Nack(msg.ballot, state.promised))
                return state
            state = replace(state, promised=msg.ballot)
            ctx.persist(state)
            ctx.send(src, Promise(msg.ballot, state.last_vote))
            return state
        if isinstance(msg, Accept):
            if not self.vote_rule(state, msg.ballot):
                assert state.promised is not None
                ctx.send(src, Nack(msg.ballot, state.promised))
                return state
            state = AcceptorState(msg.ballot, state.votes | {(msg.ballot, msg.value)})
            ctx.persist(state)
            for dst in sorted({*self.learners, src} if self.tell_proposer else self.learners):
                ctx.send(dst, Accepted(msg.ballot, msg.value))
            return state
        return state

    def on_recover(self, ctx: Context, durable: Any) -> AcceptorState:
        return AcceptorState() if durable is NOTHING_PERSISTED else durable


# -- learner -------------------------------------------------------------------------------
@dataclass(frozen=True)
class LearnerState:
    """A learner's state: the votes it heard of, and the value it learned (or None).

    >>> LearnerState()
    LearnerState(heard=frozenset(), learned=None)
    """

    heard: frozenset[tuple[str, Ballot, Hashable]] = frozenset()
    learned: Hashable = None

    def __repr__(self) -> str:
        return stable_repr(self)


class Learner(Node[LearnerState]):
    """A learner: a value is chosen once a quorum voted for it *in one ballot*.

    It persists what it learned, so a crash does not make it forget.

    Parameters
    ----------
    quorum : int
        How many acceptors make a quorum.
    mutant : str, optional
        ``"learner_mixes_ballots"`` counts the votes for a value across ballots
        (``learn_rule``).

    Examples
    --------
    >>> from dslib import Context
    >>> ctx = Context("l1", ["a1", "a2", "l1"])
    >>> s = Learner(2).on_message(ctx, LearnerState(), "a1", Accepted(Ballot(0, "p1"), "x"))
    >>> Learner(2).on_message(ctx, s, "a2", Accepted(Ballot(1, "p2"), "x")).learned is None
    True
    >>> Learner(2, "learner_mixes_ballots").on_message(ctx, s, "a2", Accepted(Ballot(1, "p2"), "x")).learned
    'x'
    """  # noqa: E501

    def __init__(self, quorum: int, mutant: str | None = None) -> None:
        self.quorum = quorum
        self.mutant = check_mutant("Learner", mutant, MUTANTS)

    def init(self, ctx: Context) -> LearnerState:
        return LearnerState()

    def learn_rule(self, heard: frozenset[tuple[str, Ballot, Hashable]], value: Hashable) -> bool:
        """Has a quorum voted for ``value`` in one ballot? ("Paxos Made Simple", 2.3)."""
        if self.mutant == "learner_mixes_ballots":
            return len({a for a, _, v in heard if v == value}) >= self.quorum
        ballots = {b for _, b, v in heard if v == value}
        return any(
            len({a for a, b2, v in heard if b2 == b and v == value}) >= self.quorum for b in ballots
        )

    def on_message(self, ctx: Context, state: LearnerState, src: str, msg: Any) -> LearnerState:
        if not isinstance(msg, Accepted):
            return state
        if state.learned is not None:
            return state  # it decided: nothing it hears can change that
        heard = state.heard | {(src, msg.ballot, msg.value)}
        if not self.learn_rule(heard, msg.value):
            return LearnerState(heard, None)
        ctx.persist(msg.value)  # what it learned survives a crash
        return LearnerState(heard, msg.value)

    def on_recover(self, ctx: Context, durable: Any) -> LearnerState:
        if durable is NOTHING_PERSISTED:
            return LearnerState()
        return LearnerState(learned=durable)


# -- the system ----------------------------------------------------------------------------
def paxos_system(
    values: Sequence[Hashable] = ("x", "y"),
    acceptors: int = 3,
    learners: int = 1,
    *,
    leader: str | None = None,
    max_round: int | None = None,
    retry: float | None = None,
    mutant: str | None = None,
) -> System:
    """Proposers ``p1``, ``p2``, ... (one per value), acceptors ``a1``..., learners ``l1``...

    Parameters
    ----------
    values : sequence of hashable, default ("x", "y")
        The proposers' inputs: proposer ``p{i}`` proposes ``values[i - 1]``.
    acceptors : int, default 3
        How many acceptors; a quorum is a majority (``n // 2`` with the
        ``quorums_disjoint`` mutant).
    learners : int, default 1
        How many learners.
    leader : str, optional
        The distinguished proposer: the only one that proposes. ``None``: all do.
    max_round : int, optional
        No ballot above this round (``None``: unbounded).
    retry : float, optional
        Proposers restart after this long without a decision (for lossy networks).
    mutant : str, optional
        A broken version from ``MUTANTS``.

    Returns
    -------
    System

    Raises
    ------
    ValueError
        For a bad count, value, leader or mutant.

    Examples
    --------
    >>> paxos_system(("x", "y"), acceptors=3, leader="p1")
    System(a1=Acceptor, a2=Acceptor, a3=Acceptor, l1=Learner, p1=Proposer, p2=Proposer)
    """
    mutant = check_mutant("paxos_system", mutant, MUTANTS)
    values = tuple(values)
    if not values or len(set(values)) != len(values) or None in values:
        raise ValueError(
            f"paxos_system: values={values!r} must be distinct, not None, at least one"
        )
    for name, count, low in (("acceptors", acceptors, 1), ("learners", learners, 1)):
        if not (isinstance(count, int) and not isinstance(count, bool) and count >= low):
            raise ValueError(f"paxos_system: {name}={count!r} must be an int >= {low}")
    if max_round is not None and not (
        isinstance(max_round, int) and not isinstance(max_round, bool) and max_round >= 0
    ):
        raise ValueError(f"paxos_system: max_round={max_round!r} must be an int >= 0 or None")
    proposers = [f"p{i}" for i in range(1, len(values) + 1)]
    if leader is not None and leader not in proposers:
        raise ValueError(f"paxos_system: leader={leader!r} must be one of {proposers} or None")
    acc = [f"a{i}" for i in range(1, acceptors + 1)]
    lrn = [f"l{i}" for i in range(1, learners + 1)]
    quorum = max(acceptors // 2, 1) if mutant == "quorums_disjoint" else acceptors // 2 + 1
    nodes: dict[str, Node[Any]] = {}
    for p, v in zip(proposers, values, strict=True):
        nodes[p] = Proposer(
            v,
            acc,
            quorum,
            max_round=max_round,
            start=leader is None or p == leader,
            retry=retry,
            mutant=mutant,
        )
    for a in acc:
        nodes[a] = Acceptor(lrn, mutant, tell_proposer=retry is not None)
    for name in lrn:
        nodes[name] = Learner(quorum, mutant)
    return System(nodes)


def _acceptor_states(state: ActorState) -> list[AcceptorState]:
    out = []
    for node_state, durable in zip(state.states, state.durable, strict=True):
        if isinstance(node_state, AcceptorState):
            out.append(node_state)
        elif node_state is None and isinstance(durable, AcceptorState):
            out.append(durable)  # a crashed acceptor's votes are on its disk
    return out


def chosen_values(state: ActorState, quorum: int) -> frozenset[Hashable]:
    """The values chosen in a global state: ``quorum`` acceptors voted for it in one ballot.

    Read from the acceptors' votes (from disk for a crashed acceptor), not from any
    learner: this is what is true, which learners must agree with.

    Examples
    --------
    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(paxos_system()).init_states()
    >>> chosen_values(s0, 2)
    frozenset()
    """
    voters: dict[Vote, int] = {}
    for acc in _acceptor_states(state):
        for vote in acc.votes:
            voters[vote] = voters.get(vote, 0) + 1
    return frozenset(v for (_, v), n in voters.items() if n >= quorum)


def learned_values(state: ActorState) -> list[Hashable]:
    """What each learner that is up has learned (``None`` omitted), in the order of ids.

    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(paxos_system()).init_states()
    >>> learned_values(s0)
    []
    """
    return [
        s.learned for s in state.states if isinstance(s, LearnerState) and s.learned is not None
    ]


def node_invariants(system: System) -> dict[str, Callable[[ActorState], bool]]:
    """Agreement, validity and integrity for the states of ``system`` under ``ActorModel``.

    - **agreement**: at most one value is chosen, and every learner learned that one;
    - **validity**: every chosen or learned value is some proposer's input;
    - **integrity**: a learner learns only a value that is chosen.

    "Chosen" uses the system's quorum (the learners'), so a mutant with small
    quorums is judged by its own rule, and caught by agreement.

    Examples
    --------
    >>> from dslib.check import ActorModel
    >>> system = paxos_system()
    >>> [s0] = ActorModel(system).init_states()
    >>> {name: f(s0) for name, f in node_invariants(system).items()}
    {'agreement': True, 'validity': True, 'integrity': True}
    """
    learners = [n for n in system.nodes.values() if isinstance(n, Learner)]
    proposers = [n for n in system.nodes.values() if isinstance(n, Proposer)]
    if not learners or not proposers:
        raise ValueError("node_invariants: the system needs proposers and learners (paxos_system)")
    quorum = learners[0].quorum
    inputs = frozenset(p.value for p in proposers)

    def agreement(state: ActorState) -> bool:
        """At most one value is chosen, and every learner learned that value."""
        return len(chosen_values(state, quorum) | set(learned_values(state))) <= 1

    def validity(state: ActorState) -> bool:
        """Only a proposer's input is chosen or learned."""
        return (chosen_values(state, quorum) | set(learned_values(state))) <= inputs

    def integrity(state: ActorState) -> bool:
        """A learner learns only a chosen value."""
        return set(learned_values(state)) <= chosen_values(state, quorum)

    return {"agreement": agreement, "validity": validity, "integrity": integrity}


def termination(state: ActorState) -> bool:
    """Every learner that is up has learned a value (liveness: ``eventually=``).

    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(paxos_system()).init_states()
    >>> termination(s0)
    False
    """
    return all(s.learned is not None for s in state.states if isinstance(s, LearnerState))


# -- ballots up to their order: a finite model of unbounded ballots -------------------------
def _map_ballots(value: Any, f: Callable[[Ballot], Ballot]) -> Any:
    t = type(value)
    if t is Ballot:
        return f(value)
    if t is tuple:
        return tuple([_map_ballots(v, f) for v in value])
    if t is frozenset:
        return frozenset([_map_ballots(v, f) for v in value])
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return t(*[_map_ballots(v, f) for v in value])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return replace(
            value,
            **{
                fld.name: _map_ballots(getattr(value, fld.name), f)
                for fld in dataclasses.fields(value)
            },
        )
    return value


def _rounds(value: Any, out: set[int]) -> None:
    t = type(value)
    if t is Ballot:
        out.add(value.round)
    elif t is tuple or t is frozenset or (isinstance(value, tuple) and hasattr(value, "_fields")):
        for v in value:
            _rounds(v, out)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for fld in dataclasses.fields(value):
            _rounds(getattr(value, fld.name), out)


class RelativeBallots(Model[ActorState]):
    """The states of a Paxos ``ActorModel`` with ballots renumbered, keeping what matters.

    With unbounded ballots a duel never repeats a state: the rounds keep growing.
    But the nodes only *compare* rounds, add one to a round (``p.round + 1``) and
    start at round 0. So two states that differ only in the round numbers, where
    the rounds present have the same order, the same gaps of exactly one, and the
    same relation to 0, behave alike step for step. This model keeps one
    representative of each such class: the rounds present, with 0, sorted, are
    renumbered from 0 with every gap of two or more shrunk to two. The state space
    becomes finite (there are finitely many ballot slots), and a cycle in it is an
    infinite execution of the real system: a duel.

    Parameters
    ----------
    model : ActorModel
        A model of ``paxos_system(..., max_round=None)``.

    Notes
    -----
    Fairness classes of ``ActorModel`` name a message with its ballot, and
    renumbering can rename a message that is still waiting; the liveness checker then
    sees a new class rather than one enabled all along. So a lasso found here is an
    infinite execution of the real system, but its fairness is worth reading off the
    trace (in the cycle of ``dslib.consensus.checks.duel``, as many messages of each
    kind are delivered as are sent).

    Examples
    --------
    >>> from dslib.check import ActorModel
    >>> m = RelativeBallots(ActorModel(paxos_system()))
    >>> m.normalize_rounds([0, 5, 6, 9])
    {0: 0, 5: 2, 6: 3, 9: 5}
    """

    def __init__(self, model: Model[ActorState]) -> None:
        super().__init__(name=f"{model.name}; ballots up to order")
        self.inner = model
        self.symmetry = model.symmetry

    @staticmethod
    def normalize_rounds(rounds: Iterable[int]) -> dict[int, int]:
        """Map rounds (with 0) to 0, 1, ...: same order, gaps of 1 kept, larger gaps made 2."""
        out: dict[int, int] = {}
        last_old = last_new = 0
        for r in sorted({0, *rounds}):
            new = 0 if r == 0 else last_new + min(r - last_old, 2)
            out[r] = new
            last_old, last_new = r, new
        return out

    def normalize(self, state: ActorState) -> ActorState:
        """The representative of ``state``'s class (``state`` itself if already one)."""
        rounds: set[int] = set()
        _rounds(state.states, rounds)
        _rounds(state.network, rounds)
        _rounds(state.durable, rounds)
        mapping = self.normalize_rounds(rounds)
        if all(k == v for k, v in mapping.items()):
            return state
        return _map_ballots(state, lambda b: Ballot(mapping[b.round], b.proposer))

    def init_states(self) -> list[ActorState]:
        return [self.normalize(s) for s in self.inner.init_states()]

    def actions(self, state: ActorState) -> list[tuple[Any, ActorState]]:
        return [(a, self.normalize(t)) for a, t in self.inner.actions(state)]

    def describe(self, state: ActorState) -> str:
        return self.inner.describe(state)

    def changes(self, before: ActorState | None, after: ActorState, action: Any) -> str:
        return self.inner.changes(before, after, action)

    def actor(self, action: Any) -> str | None:
        return self.inner.actor(action)

    def fairness(self, action: Any) -> Hashable | None:
        return self.inner.fairness(action)

    def strong_fairness(self, action: Any) -> Hashable | None:
        return self.inner.strong_fairness(action)
