"""Multi-Paxos: a replicated key-value log with a stable leader, as nodes.

Single-decree Paxos (``dslib.consensus.paxos``) chooses one value. A replicated
state machine needs a sequence of them, so Multi-Paxos runs one instance of
Paxos per *slot* of a log, and saves most of the work with a stable leader
(Lamport, "Paxos Made Simple", section 3):

- **phase 1 once per leader, for every slot at once.** A server that wants to
  lead picks a ballot higher than any it has seen and sends one ``P1a`` for all
  slots from the first one it has not learned. Each acceptor promises the ballot
  for every slot and answers with its votes (``P1b``) in all of them. The
  promise needs no slot: a ballot outranks every lower one in every slot;
- **the recovery step.** With a majority of promises, the new leader proposes,
  in every slot it heard of, the value of the highest-ballot vote reported
  there (rule P2c, slot by slot), and a ``NoOp`` in every slot below the
  highest that no promise reported a vote in: a gap that would otherwise stall
  every later slot, since commands are applied in slot order. Then new commands
  take the slots after those;
- **phase 2 per slot.** ``P2a(ballot, slot, command)`` to every acceptor; an
  acceptor that has not promised a higher ballot votes and answers ``P2b``; a
  majority of votes for one slot and ballot make the command chosen, and the
  leader tells every server (``Decision``).

Every server is an acceptor, a replica (it applies decided commands, in slot
order, to a ``dslib.raft.kv.KVMachine``) and possibly the leader, as in van
Renesse and Altinbuken's "Paxos Made Moderately Complex". Its messages
(``P1a``, ``P1b``, ``P2a``, ``P2b``, ``Preempted``, ``Decision``) are named
after theirs.

Choices made here, and why:

- **Leader election is Raft's, in Paxos' terms.** The leader sends a
  ``Heartbeat`` every ``heartbeat`` ms; a server that hears neither a
  heartbeat nor a ``P2a`` from a leader of a ballot at least as high as its
  promise for an ``election_timeout`` (drawn afresh each time, from the same
  range as ``RaftConfig``; a Raft follower restarts it on every AppendEntries
  in the same way) runs phase 1 with a higher ballot. A candidate told of a higher ballot
  (``Preempted``) steps back and waits out its timeout rather than retrying
  at once, so two candidates do not duel (section 2.4 of "Paxos Made Simple";
  the random timeouts are section 5.2 of the Raft paper). Safety never depends
  on it: two leaders at once is allowed, only slower.
- **Clients and sessions are Raft's.** The servers take the ``ClientRequest``
  of ``dslib.raft`` and answer a ``ClientReply``, so the same ``RaftClient``
  drives both stores (``dslib.consensus.compare``). Each replica keeps, per
  client, the last sequence number applied and its result, so a retried
  command that is chosen twice (in two slots) is applied once.
- **Reads go through the log**, like writes: simple and linearizable (Raft's
  read index is an optimisation this store does not make).
- **Acceptor state is durable**: the promise and the votes are persisted
  before any answer, and recovered after a crash. What a replica learned is
  not: a restarted server learns the decisions again from the leader
  (``Learn``), and a new leader recovers them in phase 1.
- **No log compaction**: the log and the votes grow with the run (fine for the
  runs of the book; "Paxos Made Live", section 5.5, says what snapshots take).

References
----------
.. [1] L. Lamport, "Paxos Made Simple", 2001, section 3 (implementing a state
   machine: one instance per command, phase 1 once for all instances, no-ops
   for the gaps).
.. [2] R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex", ACM
   Computing Surveys 47(3), 2015: sections 3 (replicas, leaders, acceptors, the
   messages), 4 (the invariants) and 5 (leader failure detection, no-ops).
.. [3] T. Chandra, R. Griesemer and J. Redstone, "Paxos Made Live", PODC 2007,
   section 5 (master leases, epochs, snapshots: what real systems add).

Examples
--------
>>> run = run_multipaxos(seed=1, servers=3, clients=2, ops=8)
>>> run.verdict, run.ops["ok"], run.lost, run.doubled
('ok', 16, (), ())
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consensus.paxos import Ballot
from dslib.consistency import KeyValue, check_linearizable
from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr
from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants
from dslib.raft.core import (
    ClientReply,
    ClientRequest,
    Command,
    NoOp,
    _session,
    _set_session,
    is_timeout_range,
)
from dslib.raft.kv import (
    KVMachine,
    KVRun,
    RaftClient,
    _fault_horizon,
    _lost_and_doubled,
    count_faults,
    kv_workload,
)
from dslib.sim import Nemesis, Network, RandomNemesis, Simulation, uniform
from dslib.stats import is_number

__all__ = [
    "CHECKS",
    "CHURN_SEED",
    "FAULT_KINDS",
    "MUTANTS",
    "MUTANTS_TABLE",
    "CatchRate",
    "Decision",
    "Heartbeat",
    "Learn",
    "MultiPaxosServer",
    "MultiPaxosState",
    "P1a",
    "P1b",
    "P2a",
    "P2b",
    "Preempted",
    "agreement_check",
    "catch_rate",
    "current_leader",
    "fault_run",
    "first_divergence",
    "leader_churn_run",
    "linearizability_check",
    "log_agreement",
    "multipaxos_system",
    "mutant_report",
    "run_multipaxos",
]

MUTANTS: dict[str, str] = {
    "skip_noop_fill": (
        "a new leader skips the recovery step: it neither re-proposes the values reported "
        "in phase 1 nor fills the gaps with no-ops, and puts new commands from the first "
        "slot it has not learned, where another command may already be chosen"
    ),
    "apply_out_of_order": (
        "a replica applies each decision as soon as it learns it, not in slot order"
    ),
}
"""The deliberately broken versions (``MultiPaxosServer(mutant=...)``)."""

Vote = tuple[int, Ballot, Hashable]
"""An acceptor's vote: ``(slot, ballot, command)``."""

LEARN_BATCH = 64
"""At most this many decisions in one ``Decision`` message sent to catch a server up."""


# -- messages ------------------------------------------------------------------------------
@dataclass(frozen=True)
class P1a:
    """Phase 1a: "promise me ``ballot``, and tell me your votes in slots ``first`` on".

    >>> P1a(Ballot(1, "s2"), 1)
    P1a(ballot=Ballot(1, 's2'), first=1)
    """

    ballot: Ballot
    first: int


@dataclass(frozen=True)
class P1b:
    """Phase 1b: the promise of ``ballot``, with the acceptor's highest vote in each slot.

    >>> P1b(Ballot(1, "s2"), ((3, Ballot(0, "s1"), NoOp()),))
    P1b(ballot=Ballot(1, 's2'), votes=((3, Ballot(0, 's1'), NoOp()),))
    """

    ballot: Ballot
    votes: tuple[Vote, ...]


@dataclass(frozen=True)
class P2a:
    """Phase 2a: "vote for ``command`` in ``slot``, ballot ``ballot``".

    >>> P2a(Ballot(0, "s1"), 1, NoOp())
    P2a(ballot=Ballot(0, 's1'), slot=1, command=NoOp())
    """

    ballot: Ballot
    slot: int
    command: Hashable


@dataclass(frozen=True)
class P2b:
    """Phase 2b: the acceptor voted in ``slot`` for the leader's command of ``ballot``.

    >>> P2b(Ballot(0, "s1"), 1)
    P2b(ballot=Ballot(0, 's1'), slot=1)
    """

    ballot: Ballot
    slot: int


@dataclass(frozen=True)
class Preempted:
    """The acceptor refused ``ballot``: it promised ``promised``, which is higher.

    >>> Preempted(Ballot(0, "s1"), Ballot(1, "s2"))
    Preempted(ballot=Ballot(0, 's1'), promised=Ballot(1, 's2'))
    """

    ballot: Ballot
    promised: Ballot


@dataclass(frozen=True)
class Decision:
    """Commands chosen: ``(slot, command)`` pairs (a fact, true whoever sends it).

    >>> Decision(((1, NoOp()),))
    Decision(chosen=((1, NoOp()),))
    """

    chosen: tuple[tuple[int, Hashable], ...]


@dataclass(frozen=True)
class Heartbeat:
    """The leader of ``ballot`` is alive and has learned every slot below ``known``.

    >>> Heartbeat(Ballot(0, "s1"), 5)
    Heartbeat(ballot=Ballot(0, 's1'), known=5)
    """

    ballot: Ballot
    known: int


@dataclass(frozen=True)
class Learn:
    """A server asks the leader for the decisions from slot ``first`` on.

    >>> Learn(4)
    Learn(first=4)
    """

    first: int


# -- state ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MultiPaxosState:
    """One server's state: acceptor (durable), replica and leader (volatile).

    Attributes
    ----------
    promised : Ballot or None
        The highest ballot this acceptor promised (durable).
    votes : tuple of (slot, Ballot, command)
        Its highest-ballot vote in each slot, sorted by slot (durable).
    decisions : tuple
        What it learned was chosen: ``decisions[i]`` is slot ``i + 1``'s command,
        or None if not learned yet.
    log : tuple
        The commands in the order it applied them (slot order, but for the
        ``apply_out_of_order`` mutant); no-ops included.
    machine : tuple
        The key-value store (``KVMachine``'s state).
    sessions : tuple of (client, seq, result)
        Per client, the last sequence number applied and its result.
    role : {"follower", "candidate", "leader"}
    ballot : Ballot or None
        The ballot it runs phase 1 for, or leads with.
    promises : tuple of (acceptor, votes)
        The ``P1b`` answers for ``ballot`` (while a candidate).
    first : int
        The first slot its phase 1 asked about.
    proposals : tuple of (slot, command, voters)
        What it proposed in ``ballot`` and is not chosen yet (leader).
    next_slot : int
        The slot its next new command takes (leader).
    leader : str or None
        The leader it last heard from.

    Examples
    --------
    >>> MultiPaxosState().role, MultiPaxosState().known
    ('follower', 1)
    """

    promised: Ballot | None = None
    votes: tuple[Vote, ...] = ()
    decisions: tuple[Hashable, ...] = ()
    log: tuple[Hashable, ...] = ()
    machine: Any = ()
    sessions: tuple[tuple[str, int, Hashable], ...] = ()
    role: str = "follower"
    ballot: Ballot | None = None
    promises: tuple[tuple[str, tuple[Vote, ...]], ...] = ()
    first: int = 1
    proposals: tuple[tuple[int, Hashable, frozenset[str]], ...] = ()
    next_slot: int = 1
    leader: str | None = None

    @property
    def known(self) -> int:
        """The first slot whose decision this server has not learned."""
        for i, command in enumerate(self.decisions):
            if command is None:
                return i + 1
        return len(self.decisions) + 1

    @property
    def applied(self) -> int:
        """How many commands (no-ops included) it applied."""
        return len(self.log)

    def __repr__(self) -> str:
        return stable_repr(self)

    def __hash__(self) -> int:
        # The simulator hashes every state a handler returns, and the acceptor's durable
        # part on every persist. Hashing the votes, the decisions and the log whole would
        # make each step cost time in proportion to the run so far; a summary is enough
        # (equal states have equal summaries, and equality still compares every field).
        return hash(
            (
                self.promised,
                self.role,
                self.ballot,
                self.next_slot,
                len(self.votes),
                self.votes[-1:],
                len(self.decisions),
                len(self.log),
                self.log[-1:],
            )
        )

    @property
    def durable(self) -> MultiPaxosState:
        """What the acceptor persists: its promise and its votes (the rest is volatile)."""
        return MultiPaxosState(promised=self.promised, votes=self.votes)


def _set_decision(decisions: tuple[Hashable, ...], slot: int, command: Hashable) -> tuple:
    if slot <= len(decisions):
        return (*decisions[: slot - 1], command, *decisions[slot:])
    return (*decisions, *([None] * (slot - 1 - len(decisions))), command)


def _set_vote(votes: tuple[Vote, ...], vote: Vote) -> tuple[Vote, ...]:
    """``votes`` (sorted by slot) with ``vote`` replacing the vote in its slot."""
    i = bisect.bisect_left(votes, vote[0], key=lambda v: v[0])
    if i < len(votes) and votes[i][0] == vote[0]:
        return (*votes[:i], vote, *votes[i + 1 :])
    return (*votes[:i], vote, *votes[i:])


# -- the server ----------------------------------------------------------------------------
class MultiPaxosServer(Node[MultiPaxosState]):
    """A Multi-Paxos server: acceptor, replica and (when elected) leader of a KV log.

    Parameters
    ----------
    servers : sequence of str
        The servers of the cluster (the acceptors); a quorum is a majority.
    election_timeout : (float, float), default (150.0, 300.0)
        The range a follower's timeout is drawn from (as ``RaftConfig``).
    heartbeat : float, default 50.0
        How often a leader sends heartbeats and resends unanswered ``P2a``.
    mutant : str, optional
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError
        For a bad list of servers, timeout range, heartbeat or mutant.

    Notes
    -----
    Safety rests on two rules, as in single-decree Paxos, applied slot by slot:
    an acceptor never votes below its promise (``_acceptor_p2a``), and a new
    leader proposes, in every slot it has not learned, the highest-ballot vote
    its quorum reported (``_become_leader``: P2c of "Paxos Made Simple",
    section 2.2; the acceptors' and leaders' invariants of "Paxos Made
    Moderately Complex", section 4). Everything else (elections, heartbeats,
    resending, catching up) only decides how soon things happen. The leader
    proposes a slot to itself by calling its own acceptor's handler, so its
    vote and its promise are persisted like anyone's.

    References
    ----------
    .. [1] L. Lamport, "Paxos Made Simple", 2001, sections 2.2 and 3.
    .. [2] R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex",
       2015, sections 3 and 4.

    Examples
    --------
    >>> from dslib import Context
    >>> server = MultiPaxosServer(["s1", "s2", "s3"])
    >>> ctx = Context("s1", ["s1", "s2", "s3"])
    >>> s = server.on_timer(ctx, server.init(ctx), "election")
    >>> s.role, s.promised, ctx.sent[0]
    ('candidate', Ballot(1, 's1'), ('s2', P1a(ballot=Ballot(1, 's1'), first=1)))
    >>> s = server.on_message(ctx, s, "s2", P1b(Ballot(1, "s1"), ((2, Ballot(0, "s3"), "x"),)))
    >>> s.role, [(slot, cmd) for slot, cmd, _ in s.proposals]
    ('leader', [(1, NoOp()), (2, 'x')])
    """

    def __init__(
        self,
        servers: Sequence[str],
        election_timeout: tuple[float, float] = (150.0, 300.0),
        heartbeat: float = 50.0,
        mutant: str | None = None,
    ) -> None:
        if isinstance(servers, str) or not servers or len(set(servers)) != len(servers):
            raise ValueError(
                f"MultiPaxosServer: servers={servers!r}; give a non-empty list of distinct ids"
            )
        if not is_timeout_range(election_timeout):
            raise ValueError(
                f"MultiPaxosServer: election_timeout={election_timeout!r} must be a range "
                "(lo, hi) with 0 < lo <= hi"
            )
        if not (is_number(heartbeat) and heartbeat > 0):
            raise ValueError(f"MultiPaxosServer: heartbeat={heartbeat!r} must be a number > 0")
        self.servers = tuple(servers)
        self.quorum = len(self.servers) // 2 + 1
        self.election_timeout = (float(election_timeout[0]), float(election_timeout[1]))
        self.heartbeat = float(heartbeat)
        self.mutant = check_mutant("MultiPaxosServer", mutant, MUTANTS)
        self.machine = KVMachine()

    def __repr__(self) -> str:
        return "MultiPaxosServer"

    # -- life cycle --------------------------------------------------------------------
    def init(self, ctx: Context) -> MultiPaxosState:
        ctx.set_timer("election", self.election_timeout)
        return MultiPaxosState()

    def on_recover(self, ctx: Context, durable: Any) -> MultiPaxosState:
        ctx.set_timer("election", self.election_timeout)
        if durable is NOTHING_PERSISTED:
            return MultiPaxosState()
        return durable.durable

    def on_timer(self, ctx: Context, state: MultiPaxosState, timer: Any) -> MultiPaxosState:
        if timer == "election" and state.role != "leader":
            return self._start_phase1(ctx, state)
        if timer == "heartbeat" and state.role == "leader":
            assert state.ballot is not None
            for peer in self._peers(ctx):
                ctx.send(peer, Heartbeat(state.ballot, state.known))
            for slot, command, voters in state.proposals:  # resend what may have been lost
                for peer in self._peers(ctx):
                    if peer not in voters:
                        ctx.send(peer, P2a(state.ballot, slot, command))
            ctx.set_timer("heartbeat", self.heartbeat)
        return state

    def on_message(
        self, ctx: Context, state: MultiPaxosState, src: str, msg: Any
    ) -> MultiPaxosState:
        if isinstance(msg, ClientRequest):
            return self._on_request(ctx, state, src, msg)
        if isinstance(msg, P1a):
            state, reply = self._acceptor_p1a(ctx, state, msg)
            ctx.send(src, reply)
            return state
        if isinstance(msg, P2a):
            state, reply = self._acceptor_p2a(ctx, state, msg)
            ctx.send(src, reply)
            if isinstance(reply, P2b):  # a leader at least as high as our promise is alive
                state = self._follow(ctx, state, src, msg.ballot)
            return state
        if isinstance(msg, P1b):
            return self._on_p1b(ctx, state, src, msg)
        if isinstance(msg, P2b):
            return self._on_p2b(ctx, state, src, msg)
        if isinstance(msg, Preempted):
            return self._preempted(ctx, state, msg)
        if isinstance(msg, Decision):
            return self._learn(ctx, state, msg.chosen)
        if isinstance(msg, Heartbeat):
            return self._on_heartbeat(ctx, state, src, msg)
        if isinstance(msg, Learn):
            end = min(state.known, msg.first + LEARN_BATCH)
            chosen = tuple((s, state.decisions[s - 1]) for s in range(msg.first, end))
            if chosen:
                ctx.send(src, Decision(chosen))
            return state
        return state

    def _peers(self, ctx: Context) -> list[str]:
        return [s for s in self.servers if s != ctx.id]

    # -- acceptor ("Paxos Made Moderately Complex", Figure 5) --------------------------
    def _acceptor_p1a(
        self, ctx: Context, state: MultiPaxosState, msg: P1a
    ) -> tuple[MultiPaxosState, Any]:
        if state.promised is not None and msg.ballot < state.promised:
            return state, Preempted(msg.ballot, state.promised)
        if state.promised != msg.ballot:
            state = replace(state, promised=msg.ballot)
            ctx.persist(state.durable)  # durable before the answer
        return state, P1b(msg.ballot, tuple(v for v in state.votes if v[0] >= msg.first))

    def _acceptor_p2a(
        self, ctx: Context, state: MultiPaxosState, msg: P2a
    ) -> tuple[MultiPaxosState, Any]:
        if state.promised is not None and msg.ballot < state.promised:
            return state, Preempted(msg.ballot, state.promised)
        vote = (msg.slot, msg.ballot, msg.command)
        state = replace(state, promised=msg.ballot, votes=_set_vote(state.votes, vote))
        ctx.persist(state.durable)
        return state, P2b(msg.ballot, msg.slot)

    # -- phase 1: becoming the leader ----------------------------------------------------
    def _start_phase1(self, ctx: Context, state: MultiPaxosState) -> MultiPaxosState:
        rounds = [b.round for b in (state.promised, state.ballot) if b is not None]
        ballot = Ballot(max(rounds, default=0) + 1, ctx.id)
        first = state.known
        state = replace(
            state, role="candidate", ballot=ballot, promises=(), first=first, proposals=()
        )
        state, reply = self._acceptor_p1a(ctx, state, P1a(ballot, first))  # our own promise
        for peer in self._peers(ctx):
            ctx.send(peer, P1a(ballot, first))
        ctx.set_timer("election", self.election_timeout)  # no quorum by then: try again
        return self._on_p1b(ctx, state, ctx.id, reply)

    def _on_p1b(self, ctx: Context, state: MultiPaxosState, src: str, msg: Any) -> MultiPaxosState:
        if isinstance(msg, Preempted):
            return self._preempted(ctx, state, msg)
        if state.role != "candidate" or msg.ballot != state.ballot:
            return state  # late, or for an earlier ballot
        if any(a == src for a, _ in state.promises):
            return state  # a duplicate
        promises = (*state.promises, (src, msg.votes))
        state = replace(state, promises=promises)
        if len(promises) < self.quorum:
            return state
        return self._become_leader(ctx, state)

    def _become_leader(self, ctx: Context, state: MultiPaxosState) -> MultiPaxosState:
        """The recovery step: adopt the highest-ballot vote in every slot, fill the gaps."""
        ballot = state.ballot
        assert ballot is not None
        highest: dict[int, tuple[Ballot, Hashable]] = {}
        for _, votes in state.promises:
            for slot, ballot, command in votes:
                if slot not in highest or ballot > highest[slot][0]:
                    highest[slot] = (ballot, command)
        top = max([*highest, state.known - 1, len(state.decisions)])
        proposals: list[tuple[int, Hashable, frozenset[str]]] = []
        if self.mutant == "skip_noop_fill":
            next_slot = state.known  # the bug: as if nothing were chosen past what we know
        else:
            for slot in range(state.first, top + 1):
                if slot <= len(state.decisions) and state.decisions[slot - 1] is not None:
                    continue  # learned already
                command = highest[slot][1] if slot in highest else NoOp()
                proposals.append((slot, command, frozenset()))
            next_slot = top + 1
        state = replace(
            state,
            role="leader",
            promises=(),
            proposals=(),
            next_slot=next_slot,
            leader=ctx.id,
        )
        ctx.cancel_timer("election")
        for peer in self._peers(ctx):  # announce ourselves at once
            ctx.send(peer, Heartbeat(ballot, state.known))
        ctx.set_timer("heartbeat", self.heartbeat)
        for slot, command, _ in proposals:
            state = self._propose(ctx, state, slot, command)
        return state

    def _preempted(self, ctx: Context, state: MultiPaxosState, msg: Preempted) -> MultiPaxosState:
        if state.ballot is None or msg.ballot != state.ballot or state.role == "follower":
            return state
        # Someone runs a higher ballot: step back, and wait a timeout before trying again.
        ctx.cancel_timer("heartbeat")
        ctx.set_timer("election", self.election_timeout)
        return replace(
            state, role="follower", promises=(), proposals=(), leader=msg.promised.proposer
        )

    # -- phase 2: one slot at a time -----------------------------------------------------
    def _propose(
        self, ctx: Context, state: MultiPaxosState, slot: int, command: Hashable
    ) -> MultiPaxosState:
        ballot = state.ballot
        assert ballot is not None
        state = replace(state, proposals=(*state.proposals, (slot, command, frozenset())))
        for peer in self._peers(ctx):
            ctx.send(peer, P2a(ballot, slot, command))
        state, reply = self._acceptor_p2a(ctx, state, P2a(ballot, slot, command))
        return self._on_p2b(ctx, state, ctx.id, reply)

    def _on_p2b(self, ctx: Context, state: MultiPaxosState, src: str, msg: Any) -> MultiPaxosState:
        if isinstance(msg, Preempted):
            return self._preempted(ctx, state, msg)
        if state.role != "leader" or msg.ballot != state.ballot:
            return state
        chosen: list[tuple[int, Hashable]] = []
        proposals = []
        for slot, command, voters in state.proposals:
            if slot == msg.slot:
                voters = voters | {src}
            if len(voters) >= self.quorum:
                chosen.append((slot, command))
            else:
                proposals.append((slot, command, voters))
        if not chosen:
            return replace(state, proposals=tuple(proposals))
        state = replace(state, proposals=tuple(proposals))
        for peer in self._peers(ctx):
            ctx.send(peer, Decision(tuple(chosen)))
        return self._learn(ctx, state, tuple(chosen))

    def _on_request(
        self, ctx: Context, state: MultiPaxosState, src: str, msg: ClientRequest
    ) -> MultiPaxosState:
        if state.role != "leader":
            ctx.send(src, ClientReply(msg.seq, False, None, state.leader))
            return state
        last_seq, last_result = _session(state.sessions, msg.client)
        if msg.seq <= last_seq:
            if msg.seq == last_seq:  # applied already: answer again, do not apply again
                ctx.send(src, ClientReply(msg.seq, True, last_result, ctx.id))
            return state
        command = Command(msg.client, msg.seq, self.machine.check_op(msg.op))
        if any(c == command for _, c, _ in state.proposals):
            return state  # proposed already: its answer will come
        slot = state.next_slot
        return self._propose(ctx, replace(state, next_slot=slot + 1), slot, command)

    # -- replica: learn and apply in slot order ------------------------------------------
    def _on_heartbeat(
        self, ctx: Context, state: MultiPaxosState, src: str, msg: Heartbeat
    ) -> MultiPaxosState:
        if state.promised is not None and msg.ballot < state.promised:
            return state  # a deposed leader
        if state.known < msg.known:
            ctx.send(src, Learn(state.known))
        return self._follow(ctx, state, src, msg.ballot)

    def _follow(
        self, ctx: Context, state: MultiPaxosState, src: str, ballot: Ballot
    ) -> MultiPaxosState:
        """``src`` leads ``ballot``, at least as high as our promise: follow it, restart the
        election timeout (as a Raft follower does on every AppendEntries)."""
        if state.role != "follower" and ballot != state.ballot:
            ctx.cancel_timer("heartbeat")
            state = replace(state, role="follower", promises=(), proposals=())
        ctx.set_timer("election", self.election_timeout)
        return replace(state, leader=src)

    def _learn(
        self, ctx: Context, state: MultiPaxosState, chosen: tuple[tuple[int, Hashable], ...]
    ) -> MultiPaxosState:
        decisions = state.decisions
        new = []
        for slot, command in chosen:
            if slot > len(decisions) or decisions[slot - 1] is None:
                decisions = _set_decision(decisions, slot, command)
                new.append(slot)
        if not new:
            return state
        state = replace(state, decisions=decisions)
        if self.mutant == "apply_out_of_order":  # the bug: in the order they arrive
            for slot in new:
                state = self._apply(ctx, state, decisions[slot - 1])
            return state
        while state.applied < len(decisions) and decisions[state.applied] is not None:
            state = self._apply(ctx, state, decisions[state.applied])
        return state

    def _apply(self, ctx: Context, state: MultiPaxosState, command: Hashable) -> MultiPaxosState:
        machine, sessions = state.machine, state.sessions
        if isinstance(command, Command):
            last_seq, last_result = _session(sessions, command.client)
            if command.seq < last_seq:
                result: Hashable = None  # a retry the client has moved past: skip
            elif command.seq == last_seq:
                result = last_result  # chosen twice (a retry): applied once
            else:
                machine, result = self.machine.apply(machine, command.op)
                sessions = _set_session(sessions, command.client, command.seq, result)
            if state.role == "leader" and command.seq >= last_seq:
                ctx.send(command.client, ClientReply(command.seq, True, result, ctx.id))
        return replace(state, log=(*state.log, command), machine=machine, sessions=sessions)


# -- the system, and its properties ------------------------------------------------------
def multipaxos_system(
    servers: int = 5,
    clients: int = 3,
    ops: int = 20,
    seed: int = 0,
    *,
    election_timeout: tuple[float, float] = (150.0, 300.0),
    heartbeat: float = 50.0,
    mutant: str | None = None,
    workloads: Sequence[Sequence[tuple[str, Hashable, Any]]] | None = None,
    **client_options: Any,
) -> System:
    """A Multi-Paxos key-value cluster ``s1..sN`` with clients ``c1..cK``.

    The clients are ``dslib.raft.kv.RaftClient`` running ``kv_workload(seed, ops)``
    (or ``workloads``, one per client): the same clients as the Raft store's.

    Parameters
    ----------
    servers, clients, ops : int
        Cluster size, number of clients, operations per client.
    seed : int
        Seeds the workloads.
    election_timeout, heartbeat, mutant
        Passed to every ``MultiPaxosServer``.
    workloads : sequence of workloads, optional
        One list of ``(f, key, value)`` per client, instead of ``kv_workload``.
    **client_options
        Passed to every ``RaftClient`` (timeout, retry_delay, give_up, think).

    Returns
    -------
    System

    Raises
    ------
    ValueError
        For a bad count, or ``workloads`` not one per client.

    Examples
    --------
    >>> multipaxos_system(3, 1, ops=2)
    System(c1=RaftClient(2 ops), s1=MultiPaxosServer, s2=MultiPaxosServer, s3=MultiPaxosServer)
    """
    for name, v, low in (("servers", servers, 1), ("clients", clients, 0), ("ops", ops, 0)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= low):
            raise ValueError(f"multipaxos_system: {name}={v!r} must be an int >= {low}")
    if workloads is not None and len(workloads) != clients:
        raise ValueError(
            f"multipaxos_system: {len(workloads)} workloads for {clients} clients; give one each"
        )
    ids = tuple(f"s{i}" for i in range(1, servers + 1))
    server = MultiPaxosServer(ids, election_timeout, heartbeat, mutant)
    nodes: dict[str, Node[Any]] = {s: server for s in ids}
    for c in range(1, clients + 1):
        cid = f"c{c}"
        work = workloads[c - 1] if workloads is not None else kv_workload(seed, ops, cid)
        nodes[cid] = RaftClient(ids, work, **client_options)
    return System(nodes)


def _servers(states: Any) -> dict[str, MultiPaxosState]:
    return {n: s for n, s in sorted(states.items()) if isinstance(s, MultiPaxosState)}


def current_leader(states: Any) -> str | None:
    """The leader with the highest ballot among the servers that are up (None if none).

    Parameters
    ----------
    states : mapping of node id to state
        ``sim.states`` (clients are skipped).

    Returns
    -------
    str or None

    Examples
    --------
    >>> sim = Simulation(multipaxos_system(3, 0), seed=1).run(until=1000)
    >>> current_leader(sim.states)
    's1'
    """
    best: tuple[Ballot, str] | None = None
    for name, state in _servers(states).items():
        ballot = state.ballot if state.role == "leader" else None
        if ballot is not None and (best is None or ballot > best[0]):
            best = (ballot, name)
    return best[1] if best is not None else None


def log_agreement(states: Any, reference: list[Hashable] | None = None) -> bool:
    """No two servers applied different commands at the same position of their logs.

    Parameters
    ----------
    states : mapping of node id to state
        ``sim.states`` (clients and crashed servers are skipped).
    reference : list, optional
        The longest log seen so far, updated in place: pass the same list at every
        check of a run to compare logs across time too (a restarted server's new
        log must agree with what the others applied before).

    Returns
    -------
    bool

    Notes
    -----
    This is the replicated state machine's promise ("Paxos Made Moderately
    Complex", section 4, invariant R1: no two replicas decide different commands
    for one slot), read from what was *applied*, so that it also catches a
    replica that applies the right commands in the wrong order.

    Examples
    --------
    >>> a = MultiPaxosState(log=("x", "y"))
    >>> log_agreement({"s1": a, "s2": MultiPaxosState(log=("x",))})
    True
    >>> log_agreement({"s1": a, "s2": MultiPaxosState(log=("y",))})
    False
    """
    longest = list(reference) if reference is not None else []
    ok = True
    for state in _servers(states).values():
        log = state.log
        n = min(len(log), len(longest))
        if tuple(longest[:n]) != log[:n]:
            ok = False
        elif len(log) > len(longest):
            longest = list(log)
    if reference is not None and ok:
        reference[:] = longest
    return ok


def _final_store(states: Any) -> dict[Hashable, Any]:
    servers = _servers(states)
    leader = current_leader(states)
    state = (
        servers[leader]
        if leader is not None
        else max(servers.values(), key=lambda s: (s.applied, stable_repr(s.promised)))
    )
    return dict(state.machine or ())


def run_multipaxos(
    seed: int = 0,
    *,
    servers: int = 5,
    clients: int = 3,
    ops: int = 20,
    nemesis: Nemesis | None = None,
    network: Network | None = None,
    duration: float | None = None,
    settle: float = 3000.0,
    isolate_leader: float | None = None,
    check_every: float | None = 20.0,
    time_limit: float | None = 60.0,
    shrink: bool = True,
    mutant: str | None = None,
    election_timeout: tuple[float, float] = (150.0, 300.0),
    heartbeat: float = 50.0,
    **client_options: Any,
) -> KVRun:
    """Run a Multi-Paxos key-value cluster with clients under ``nemesis``, then judge it.

    The same harness as ``dslib.raft.kv.run_kv``: the nemesis acts until
    ``duration`` (default 40 ms per operation, plus 500); then partitions heal,
    crashed servers restart, and the run goes on ``settle`` ms. The run is judged
    by linearizability of the clients' history (``dslib.consistency``), by the
    final store (acknowledged appends lost, appends applied twice), and by
    ``log_agreement`` every ``check_every`` ms and at the end.

    Parameters
    ----------
    seed : int
        Seeds the simulation (network, timeouts, nemesis) and the workload.
    servers, clients, ops : int
        Cluster size, number of clients, operations per client.
    nemesis : Nemesis, optional
        Faults, e.g. ``RandomNemesis(until=..., kinds=("crash", "partition"))``.
    network : Network, optional
        Default: latency uniform on 1-5 ms (so messages are reordered), no loss.
    duration, settle : float
        The faulty part of the run, and the quiet end.
    isolate_leader : float, optional
        Every this many ms (until ``duration``), cut the current leader and client
        ``c1`` off from the rest for half the period, then heal.
    check_every : float or None, default 20
        How often to check ``log_agreement`` (None: only at the end).
    time_limit : float or None, default 60
        Seconds the linearizability check may take before it says ``unknown``.
    shrink : bool, default True
        Shrink a linearizability violation to a minimal core.
    mutant : str, optional
        A broken version from ``MUTANTS``.
    election_timeout, heartbeat
        The servers' timing (``MultiPaxosServer``).
    **client_options
        Passed to every ``RaftClient`` (timeout, retry_delay, give_up, think).

    Returns
    -------
    KVRun
        ``violations`` holds ``(time, "log_agreement")`` if the logs diverged.

    Raises
    ------
    ValueError
        For a bad argument (from the system, the simulation or the nemesis).

    Examples
    --------
    >>> run_multipaxos(3, servers=3, clients=2, ops=10, mutant="apply_out_of_order").verdict
    'broke log_agreement'
    """
    system = multipaxos_system(
        servers,
        clients,
        ops,
        seed,
        election_timeout=election_timeout,
        heartbeat=heartbeat,
        mutant=mutant,
        **client_options,
    )
    if network is None:
        network = Network(latency=uniform(1.0, 5.0))
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis)
    if duration is None:
        duration = 40.0 * ops + 500.0
    duration = max(duration, _fault_horizon(nemesis))
    violations: dict[str, float] = {}
    reference: list[Hashable] = []

    def check(s: Simulation) -> None:
        if "log_agreement" not in violations and not log_agreement(s.states, reference):
            violations["log_agreement"] = s.now

    if isolate_leader is not None:
        _schedule_isolation(sim, isolate_leader, duration)
    if check_every is not None:
        if not (is_number(check_every) and check_every > 0):
            raise ValueError(f"run_multipaxos: check_every={check_every!r} must be > 0 or None")
        t = check_every
        while t < duration + settle:
            sim.at(t, check)
            t += check_every
    sim.run(until=duration)
    faults = count_faults(sim)
    sim.heal()
    for node in sorted(sim.crashed):
        sim.restart(node)
    sim.run(until=duration + settle)
    check(sim)
    history = sim.history
    result = check_linearizable(history, KeyValue(), time_limit=time_limit, shrink=shrink)
    final = _final_store(sim.states)
    lost, doubled = _lost_and_doubled(history, final)
    counts = {"ok": 0, "info": 0, "fail": 0}
    for op in history.operations():
        counts[op.status] = counts.get(op.status, 0) + 1
    broken = tuple(sorted((t, name) for name, t in violations.items()))
    return KVRun(sim, history, result, final, lost, doubled, counts, faults, broken)


def _schedule_isolation(sim: Simulation, period: float, until: float) -> None:
    if not (is_number(period) and period > 0):
        raise ValueError(f"run_multipaxos: isolate_leader={period!r} must be a number > 0")

    def isolate(s: Simulation) -> None:
        leader = current_leader(s.states)
        if leader is None:
            return
        alone = (leader, "c1") if "c1" in s.system.nodes else (leader,)
        s.partition(alone, tuple(sorted(n for n in s.system.nodes if n not in alone)))

    t = period
    while t < until:
        sim.at(t, isolate)
        sim.at(t + period / 2, lambda s: s.heal())
        t += period


def first_divergence(states: Any) -> tuple[int, dict[str, Hashable]] | None:
    """The first log position where two servers applied different commands, or None.

    Parameters
    ----------
    states : mapping of node id to state
        ``sim.states`` (clients and crashed servers are skipped).

    Returns
    -------
    (position, {server: command}) or None
        Positions count from 1; only the servers whose logs reach it are listed.

    Examples
    --------
    >>> first_divergence({"s1": MultiPaxosState(log=("x", "y")), "s2": MultiPaxosState(log=("x", "z"))})
    (2, {'s1': 'y', 's2': 'z'})
    """  # noqa: E501
    servers = _servers(states)
    longest = max((len(s.log) for s in servers.values()), default=0)
    for i in range(longest):
        here = {n: s.log[i] for n, s in servers.items() if len(s.log) > i}
        if len({stable_repr(c) for c in here.values()}) > 1:
            return i + 1, here
    return None


FAULT_KINDS = ("crash", "partition", "pause", "loss")
"""The random nemesis' episodes in ``fault_run`` (``dslib.sim.RandomNemesis`` kinds)."""


def fault_run(seed: int, ops: int = 30, clients: int = 3, mutant: str | None = None) -> KVRun:
    """One seed of the sweep (``benchmarks/sweep_multipaxos.py``) and of the tests.

    Five servers; ``clients`` clients of ``ops`` operations each; latency 1-5 ms
    (messages overtake each other) and 2% of messages duplicated; a random
    nemesis (``FAULT_KINDS``: crashes with recovery from disk, partitions, pauses,
    bursts of loss) starting episodes 300 ms apart on average, each lasting
    250 ms; and every 600 ms the leader and client ``c1`` cut off from the rest
    for 300 ms. Judged as ``run_multipaxos`` judges.

    Parameters
    ----------
    seed : int
    ops, clients : int, default 30, 3
    mutant : str, optional

    Returns
    -------
    KVRun

    Examples
    --------
    >>> run = fault_run(4)
    >>> run.verdict, run.faults > 0
    ('ok', True)
    """
    return run_multipaxos(
        seed, servers=5, clients=clients, ops=ops, mutant=mutant, **fault_scenario(ops)
    )


def fault_scenario(ops: int) -> dict[str, Any]:
    """The faults, network and timing of ``fault_run``, as keyword arguments, so that
    another store (``dslib.raft.kv.run_kv``) can run under exactly the same ones.

    >>> scenario = fault_scenario(30)
    >>> scenario["duration"], scenario["isolate_leader"], type(scenario["nemesis"]).__name__
    (1850.0, 600.0, 'RandomNemesis')
    """
    duration = 45.0 * ops + 500.0
    return {
        "nemesis": RandomNemesis(
            until=duration - 500.0,
            kinds=FAULT_KINDS,
            mean_interval=300.0,
            duration=250.0,
            nodes=[f"s{i}" for i in range(1, 6)],
        ),
        "network": Network(latency=uniform(1.0, 5.0), duplication=0.02),
        "duration": duration,
        "isolate_leader": 600.0,
        "check_every": 50.0,
        "time_limit": 60.0,
        "think": 20.0,
        "timeout": 60.0,
        "give_up": 400.0,
    }


# -- how we know it is right: the checks, and the mutants they catch ----------------------
CHURN_SEED = 3
"""The named seed of ``leader_churn_run`` on which the checks catch every mutant."""


def leader_churn_run(seed: int = CHURN_SEED, mutant: str | None = None) -> KVRun:
    """The run the mutant checks use: the leader is cut off often, and messages are lost.

    Five servers, three clients of 100 operations each (10 ms think time, 60 ms
    timeout, give up after 400 ms), latency 1-5 ms, 30% of messages lost, and every
    360 ms the leader (with client ``c1``) is cut off from the rest for 180 ms,
    longer than the shortest election timeout. Leader changes are what
    ``skip_noop_fill`` gets wrong, and lost ``Decision`` messages leave a new
    leader behind the others, which is when it matters.

    Parameters
    ----------
    seed : int, default ``CHURN_SEED``
    mutant : str, optional
        A name from ``MUTANTS``.

    Returns
    -------
    KVRun

    Notes
    -----
    With so much loss the clients get through only about a third of their
    workloads in the 6 s of the run (the rest is never invoked); the point of the
    run is the leader changes, not the workload.

    Examples
    --------
    >>> leader_churn_run(mutant="skip_noop_fill").verdict
    'broke log_agreement'
    """
    return run_multipaxos(
        seed,
        servers=5,
        clients=3,
        ops=100,
        network=Network(latency=uniform(1.0, 5.0), loss=0.3),
        isolate_leader=360.0,
        settle=1500.0,
        time_limit=30.0,
        mutant=mutant,
        think=10.0,
        timeout=60.0,
        give_up=400.0,
    )


def agreement_check(mutant: str | None = None, seed: int = CHURN_SEED) -> Outcome:
    """``log_agreement`` all along ``leader_churn_run(seed, mutant)``.

    Parameters
    ----------
    mutant : str, optional
        A name from ``MUTANTS`` (None: correct Multi-Paxos).
    seed : int, default ``CHURN_SEED``

    Returns
    -------
    Outcome
        ``detail`` gives the simulated time of the first divergence.

    Raises
    ------
    ValueError
        For an unknown mutant.

    Examples
    --------
    >>> agreement_check("apply_out_of_order")
    Outcome(ok=False, counterexample_length=None, detail='logs diverge by t=240 ms')
    """
    run = leader_churn_run(seed, check_mutant("agreement_check", mutant, MUTANTS))
    times = [t for t, name in run.violations if name == "log_agreement"]
    if times:
        return Outcome(False, None, f"logs diverge by t={times[0]:g} ms")
    return Outcome(True)


def linearizability_check(mutant: str | None = None, seed: int = CHURN_SEED) -> Outcome:
    """The clients' history of ``leader_churn_run(seed, mutant)`` is linearizable.

    The counterexample length is the number of operations in the shrunk core of
    the violation (``ConsistencyResult.core``); acknowledged appends lost or
    doubled in the final store fail the check too.

    Parameters
    ----------
    mutant : str, optional
        A name from ``MUTANTS`` (None: correct Multi-Paxos).
    seed : int, default ``CHURN_SEED``

    Returns
    -------
    Outcome

    Raises
    ------
    ValueError
        For an unknown mutant.

    Examples
    --------
    >>> linearizability_check("skip_noop_fill").counterexample_length
    2
    """
    run = leader_churn_run(seed, check_mutant("linearizability_check", mutant, MUTANTS))
    if run.result.verdict == "violation":
        return Outcome(False, len(run.result.core), "not linearizable")
    if run.lost or run.doubled:
        return Outcome(False, None, f"lost {len(run.lost)}, doubled {len(run.doubled)} appends")
    return Outcome(run.result.verdict == "ok", None, run.result.verdict)


CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "log agreement": agreement_check,
    "linearizability": linearizability_check,
}
"""The checks of the mutant table, by name; each runs ``leader_churn_run(CHURN_SEED)``."""

MUTANTS_TABLE: list[Mutant[str | None]] = [
    Mutant(name, MUTANTS[name], (lambda name=name: name), tuple(CHECKS))  # type: ignore[misc]
    for name in MUTANTS
]
"""Every mutant of ``MUTANTS``; both checks must catch each."""


def mutant_report() -> MutantReport:
    """Run both checks on correct Multi-Paxos and on each mutant (``leader_churn_run``).

    Returns
    -------
    MutantReport
        ``mutant_table(mutant_report())`` is the section's mutant table.

    Examples
    --------
    >>> mutant_report().ok
    True
    """
    return run_mutants(lambda: None, MUTANTS_TABLE, CHECKS)


@dataclass(frozen=True)
class CatchRate:
    """How often a check over random runs caught a mutant.

    Attributes
    ----------
    mutant : str or None
    runs : int
        Seeds tried.
    caught : tuple of int
        The seeds whose run failed (any check: log agreement, linearizability,
        lost or doubled writes).
    linearizability : int
        How many of them the history alone gave away.
    shortest : int or None
        The fewest operations in a linearizability violation's core.
    """

    mutant: str | None
    runs: int
    caught: tuple[int, ...]
    linearizability: int
    shortest: int | None

    @property
    def rate(self) -> float:
        """The fraction of runs caught."""
        return len(self.caught) / self.runs if self.runs else 0.0


def catch_rate(mutant: str | None, seeds: Sequence[int] = range(30)) -> CatchRate:
    """Run ``leader_churn_run`` on every seed and count the runs that fail.

    Parameters
    ----------
    mutant : str or None
        A name from ``MUTANTS`` (None: the correct version, which must never fail).
    seeds : sequence of int, default range(30)

    Returns
    -------
    CatchRate

    Raises
    ------
    ValueError
        For an unknown mutant or no seeds.

    Examples
    --------
    >>> r = catch_rate("apply_out_of_order", range(3))
    >>> r.rate, r.shortest
    (1.0, 1)
    """
    mutant = check_mutant("catch_rate", mutant, MUTANTS)
    seeds = list(seeds)
    if not seeds:
        raise ValueError("catch_rate: seeds is empty; give at least one seed")
    caught, lin, cores = [], 0, []
    for seed in seeds:
        run = leader_churn_run(seed, mutant)
        if run.verdict != "ok":
            caught.append(seed)
        if run.result.verdict == "violation":
            lin += 1
            cores.append(len(run.result.core))
    return CatchRate(mutant, len(seeds), tuple(caught), lin, min(cores, default=None))
