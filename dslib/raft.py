"""Raft: leader election and log replication, as nodes.

Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus
Algorithm (Extended Version)", 2014) keeps a replicated log. One server at a
time is the *leader* of a *term*; it appends clients' commands to its log and
copies them to the *followers*. An entry is *committed* once a majority holds
it, and then every server applies it to its state machine, in log order.

This module follows Figure 2 of the paper, rule by rule:

- the messages ``RequestVote``, ``RequestVoteReply``, ``AppendEntries`` and
  ``AppendEntriesReply`` carry the fields of Figure 2 (the replies also carry
  ``match_index`` and, for the fast back-off of section 5.3, a conflict
  term and index);
- ``RaftState`` holds the persistent state (``current_term``, ``voted_for``,
  ``log``), which every handler persists whenever it changes, and the
  volatile state (``commit_index``, ``last_applied``, the role, the votes
  received, and the leader's ``next_index`` and ``match_index``);
- ``RaftNode`` implements the rules for all servers, followers, candidates
  and leaders: randomized election timeouts (section 5.2), the election
  restriction (section 5.4.1), the consistency check of AppendEntries and
  conflict truncation (section 5.3), and committing only entries of the
  leader's current term counted on a majority (section 5.4.2, Figure 8).

The safety properties of Figure 3 are functions of a global state (an
``ActorState`` of the model checker, or a mapping of node states):
``election_safety``, ``log_matching``, ``state_machine_safety`` and
``leader_completeness``. Deliberately broken versions are in ``MUTANTS``.

Examples
--------
>>> from dslib.sim import Simulation
>>> sim = Simulation(raft_system(3), seed=1).run(until=1000)
>>> leaders(sim.states)
{1: ('s1',)}
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr
from dslib.errors import ProtocolError

__all__ = [
    "MUTANTS",
    "AppendEntries",
    "AppendEntriesReply",
    "Entry",
    "RaftConfig",
    "RaftNode",
    "RaftState",
    "RequestVote",
    "RequestVoteReply",
    "election_safety",
    "entry_at",
    "last_log_index",
    "last_log_term",
    "leader_completeness",
    "leaders",
    "log_matching",
    "log_up_to_date",
    "raft_system",
    "state_machine_safety",
    "term_at",
]

MUTANTS: dict[str, str] = {
    "vote_without_log_check": "grant a vote without the log up-to-date check of section 5.4.1",
    "commit_old_terms": "a leader commits entries of earlier terms by counting replicas "
    "(the Figure 8 mistake of section 5.4.2)",
}
"""Broken versions of Raft, by name, with what is wrong."""

FOLLOWER = "follower"
CANDIDATE = "candidate"
LEADER = "leader"
ELECTION = "election"
HEARTBEAT = "heartbeat"
PROPOSE = "propose"


# -- the log ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One log entry: the term in which a leader created it, and a client's command.

    Examples
    --------
    >>> Entry(2, "x=1")
    Entry(term=2, command='x=1')
    """

    term: int
    command: Hashable


Log = tuple[Entry, ...]


def last_log_index(log: Log) -> int:
    """The index of the last entry (1-based); 0 for an empty log.

    Examples
    --------
    >>> last_log_index(()), last_log_index((Entry(1, "a"), Entry(1, "b")))
    (0, 2)
    """
    return len(log)


def term_at(log: Log, index: int) -> int:
    """The term of the entry at 1-based ``index``; 0 at index 0 (before the first entry).

    Raises
    ------
    IndexError
        If there is no entry at ``index``.

    Examples
    --------
    >>> log = (Entry(1, "a"), Entry(3, "b"))
    >>> term_at(log, 0), term_at(log, 2)
    (0, 3)
    """
    if index == 0:
        return 0
    return entry_at(log, index).term


def entry_at(log: Log, index: int) -> Entry:
    """The entry at 1-based ``index``.

    Raises
    ------
    IndexError
        If ``index`` is not between 1 and the length of the log.

    Examples
    --------
    >>> entry_at((Entry(1, "a"), Entry(3, "b")), 1)
    Entry(term=1, command='a')
    """
    if not (isinstance(index, int) and 1 <= index <= len(log)):
        raise IndexError(f"log index {index!r} is out of range; the log has entries 1..{len(log)}")
    return log[index - 1]


def last_log_term(log: Log) -> int:
    """The term of the last entry; 0 for an empty log.

    Examples
    --------
    >>> last_log_term(()), last_log_term((Entry(1, "a"), Entry(3, "b")))
    (0, 3)
    """
    return log[-1].term if log else 0


def log_up_to_date(candidate_last_term: int, candidate_last_index: int, voter_log: Log) -> bool:
    """Whether a candidate's log is at least as up-to-date as the voter's (section 5.4.1).

    The log whose last entry has the later term is more up-to-date; with the
    same last term, the longer log is.

    Examples
    --------
    >>> mine = (Entry(1, "a"), Entry(2, "b"))
    >>> log_up_to_date(2, 2, mine), log_up_to_date(2, 1, mine), log_up_to_date(3, 1, mine)
    (True, False, True)
    """
    mine = last_log_term(voter_log)
    if candidate_last_term != mine:
        return candidate_last_term > mine
    return candidate_last_index >= last_log_index(voter_log)


# -- messages (Figure 2) -----------------------------------------------------------------
@dataclass(frozen=True)
class RequestVote:
    """A candidate asks for a vote.

    Examples
    --------
    >>> RequestVote(term=2, candidate_id="s1", last_log_index=3, last_log_term=1)
    RequestVote(term=2, candidate_id='s1', last_log_index=3, last_log_term=1)
    """

    term: int
    candidate_id: str
    last_log_index: int
    last_log_term: int


@dataclass(frozen=True)
class RequestVoteReply:
    """The answer to a ``RequestVote``: the voter's term, and whether it voted for the candidate.

    Examples
    --------
    >>> RequestVoteReply(term=2, vote_granted=True)
    RequestVoteReply(term=2, vote_granted=True)
    """

    term: int
    vote_granted: bool


@dataclass(frozen=True)
class AppendEntries:
    """The leader replicates entries (none for a heartbeat) after ``prev_log_index``.

    Examples
    --------
    >>> AppendEntries(1, "s1", 0, 0, (Entry(1, "x"),), 0)  # doctest: +NORMALIZE_WHITESPACE
    AppendEntries(term=1, leader_id='s1', prev_log_index=0, prev_log_term=0,
                  entries=(Entry(term=1, command='x'),), leader_commit=0)
    """

    term: int
    leader_id: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...]
    leader_commit: int


@dataclass(frozen=True)
class AppendEntriesReply:
    """The answer to an ``AppendEntries``.

    ``match_index`` is the index of the last entry the follower now knows to
    match the leader's log (on success). On failure, ``conflict_term`` is the
    term of the follower's entry at ``prev_log_index`` (0 if it has none there)
    and ``conflict_index`` the first index the follower holds of that term (or
    its log length + 1), for the fast back-off of section 5.3.

    Examples
    --------
    >>> AppendEntriesReply(term=1, success=True, match_index=1)
    AppendEntriesReply(term=1, success=True, match_index=1, conflict_term=0, conflict_index=0)
    """

    term: int
    success: bool
    match_index: int = 0
    conflict_term: int = 0
    conflict_index: int = 0


# -- configuration and state --------------------------------------------------------------
@dataclass(frozen=True)
class RaftConfig:
    """How a Raft server behaves.

    Parameters
    ----------
    election_timeout : (float, float), default (150.0, 300.0)
        The range from which each election timeout is drawn (section 5.2).
    heartbeat_interval : float, default 50.0
        How often a leader sends AppendEntries (heartbeats); well below the timeout.
    commands : tuple of hashable, default ()
        Commands a leader proposes, one per ``propose`` timer: it appends the
        first one that is not in its log yet (a stand-in for clients).
    propose_interval : float, default 100.0
        How often the ``propose`` timer fires (only if there are ``commands``).
    max_term : int or None, default None
        Do not start an election for a term above this (bounds the model checker).
    fast_backoff : bool, default True
        Back ``next_index`` off by a whole term using the conflict term and
        index; otherwise one entry at a time.
    mutant : str or None, default None
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError, TypeError
        For a bad value, naming what is allowed.

    Examples
    --------
    >>> RaftConfig(max_term=2).max_term
    2
    >>> RaftConfig(election_timeout=(300, 150))
    Traceback (most recent call last):
    ...
    ValueError: RaftConfig: election_timeout=(300, 150) must be a range (lo, hi) with 0 < lo <= hi
    """

    election_timeout: tuple[float, float] = (150.0, 300.0)
    heartbeat_interval: float = 50.0
    commands: tuple[Hashable, ...] = ()
    propose_interval: float = 100.0
    max_term: int | None = None
    fast_backoff: bool = True
    mutant: str | None = None

    def __post_init__(self) -> None:
        et = self.election_timeout
        if not (
            isinstance(et, tuple)
            and len(et) == 2
            and all(_is_number(x) for x in et)
            and 0 < et[0] <= et[1]
        ):
            raise ValueError(
                f"RaftConfig: election_timeout={et!r} must be a range (lo, hi) with 0 < lo <= hi"
            )
        for name in ("heartbeat_interval", "propose_interval"):
            v = getattr(self, name)
            if not (_is_number(v) and v > 0):
                raise ValueError(f"RaftConfig: {name}={v!r} must be a number > 0")
        if not isinstance(self.commands, tuple):
            raise TypeError(f"RaftConfig: commands={self.commands!r} must be a tuple")
        if self.max_term is not None and not (
            isinstance(self.max_term, int) and not isinstance(self.max_term, bool)
        ):
            raise TypeError(f"RaftConfig: max_term={self.max_term!r} must be an int or None")
        if self.mutant is not None and self.mutant not in MUTANTS:
            raise ValueError(
                f"RaftConfig: unknown mutant {self.mutant!r}; allowed: {sorted(MUTANTS)}"
            )


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@dataclass(frozen=True)
class RaftState:
    """The state of one Raft server (Figure 2).

    Attributes
    ----------
    current_term : int
        The latest term the server has seen (persistent).
    voted_for : str or None
        The candidate it voted for in ``current_term`` (persistent).
    log : tuple of Entry
        The log, index 1 first (persistent).
    commit_index : int
        The highest index known to be committed.
    last_applied : int
        The highest index applied to the state machine.
    role : str
        ``"follower"``, ``"candidate"`` or ``"leader"``.
    votes : frozenset of str
        The votes a candidate has received in ``current_term`` (itself included).
    next_index : tuple of (str, int)
        A leader's next index to send to each peer, sorted by peer.
    match_index : tuple of (str, int)
        A leader's highest index known replicated on each peer, sorted by peer.

    Examples
    --------
    >>> s = RaftState(current_term=1, log=(Entry(1, "x"),), commit_index=1)
    >>> s.applied
    ('x',)
    >>> s.durable
    (1, None, (Entry(term=1, command='x'),))
    """

    current_term: int = 0
    voted_for: str | None = None
    log: Log = ()
    commit_index: int = 0
    last_applied: int = 0
    role: str = FOLLOWER
    votes: frozenset[str] = field(default_factory=frozenset)
    next_index: tuple[tuple[str, int], ...] = ()
    match_index: tuple[tuple[str, int], ...] = ()

    @property
    def durable(self) -> tuple[int, str | None, Log]:
        """What the server persists: ``(current_term, voted_for, log)``."""
        return (self.current_term, self.voted_for, self.log)

    @property
    def applied(self) -> tuple[Hashable, ...]:
        """The commands of the committed entries, in log order (the state machine's input)."""
        return tuple(e.command for e in self.log[: self.commit_index])

    def __repr__(self) -> str:
        return stable_repr(self)


def _get(pairs: tuple[tuple[str, int], ...], key: str) -> int:
    for k, v in pairs:
        if k == key:
            return v
    return 0


def _put(pairs: tuple[tuple[str, int], ...], key: str, value: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted([(k, v) for k, v in pairs if k != key] + [(key, value)]))


# -- the node ------------------------------------------------------------------------------
class RaftNode(Node[RaftState]):
    """A Raft server: the rules of Figure 2 for followers, candidates and leaders.

    Timers: ``"election"`` (a random delay in ``config.election_timeout``),
    ``"heartbeat"`` (a leader's, every ``config.heartbeat_interval``) and
    ``"propose"`` (only with ``config.commands``).

    Parameters
    ----------
    config : RaftConfig, optional
        Timeouts, commands, bounds and mutant.

    Examples
    --------
    >>> ctx = Context("s1", ("s1", "s2", "s3"))
    >>> node = RaftNode()
    >>> s = node.on_timer(ctx, node.init(ctx), "election")
    >>> s.role, s.current_term, s.votes
    ('candidate', 1, frozenset({'s1'}))
    >>> ctx.sent[0]
    ('s2', RequestVote(term=1, candidate_id='s1', last_log_index=0, last_log_term=0))
    """

    def __init__(self, config: RaftConfig | None = None) -> None:
        if config is None:
            config = RaftConfig()
        if not isinstance(config, RaftConfig):
            raise TypeError(f"RaftNode: config={config!r} must be a RaftConfig")
        self.config = config

    def __repr__(self) -> str:
        return "RaftNode" if self.config.mutant is None else f"RaftNode[{self.config.mutant}]"

    # -- helpers ----------------------------------------------------------------------------
    def _majority(self, ctx: Context) -> int:
        return (len(ctx.peers) + 1) // 2 + 1

    def _arm_election(self, ctx: Context) -> None:
        ctx.set_timer(ELECTION, self.config.election_timeout)

    def _persist(self, ctx: Context, old: RaftState, new: RaftState) -> RaftState:
        if new.durable != old.durable:
            ctx.persist(new.durable)
        return new

    def _step_down(self, ctx: Context, state: RaftState, term: int) -> RaftState:
        """Adopt a higher ``term`` (or a same-term leader) and become a follower."""
        if state.role == LEADER:
            ctx.cancel_timer(HEARTBEAT)
        if state.role != FOLLOWER or term > state.current_term:
            self._arm_election(ctx)
        voted_for = None if term > state.current_term else state.voted_for
        return replace(
            state,
            current_term=term,
            voted_for=voted_for,
            role=FOLLOWER,
            votes=frozenset(),
            next_index=(),
            match_index=(),
        )

    def _apply(self, state: RaftState) -> RaftState:
        if state.last_applied < state.commit_index:
            return replace(state, last_applied=state.commit_index)
        return state

    def _send_append(self, ctx: Context, state: RaftState, peer: str) -> None:
        nxt = max(1, min(_get(state.next_index, peer), len(state.log) + 1))
        prev = nxt - 1
        ctx.send(
            peer,
            AppendEntries(
                term=state.current_term,
                leader_id=ctx.id,
                prev_log_index=prev,
                prev_log_term=term_at(state.log, prev),
                entries=state.log[prev:],
                leader_commit=state.commit_index,
            ),
        )

    def _become_leader(self, ctx: Context, state: RaftState) -> RaftState:
        ctx.cancel_timer(ELECTION)
        ctx.set_timer(HEARTBEAT, self.config.heartbeat_interval)
        n = len(state.log) + 1
        state = replace(
            state,
            role=LEADER,
            next_index=tuple((p, n) for p in ctx.peers),
            match_index=tuple((p, 0) for p in ctx.peers),
        )
        for peer in ctx.peers:
            self._send_append(ctx, state, peer)
        return state

    def _advance_commit(self, ctx: Context, state: RaftState) -> RaftState:
        majority = self._majority(ctx)
        for n in range(len(state.log), state.commit_index, -1):
            if state.log[n - 1].term != state.current_term and self.config.mutant != (
                "commit_old_terms"
            ):
                continue
            count = 1 + sum(1 for _, m in state.match_index if m >= n)
            if count >= majority:
                return self._apply(replace(state, commit_index=n))
        return state

    # -- handlers ---------------------------------------------------------------------------
    def init(self, ctx: Context) -> RaftState:
        """Start as a follower of term 0 with an empty log; arm the election timer."""
        self._arm_election(ctx)
        if self.config.commands:
            ctx.set_timer(PROPOSE, self.config.propose_interval)
        return RaftState()

    def on_recover(self, ctx: Context, durable: Any) -> RaftState:
        """Restart as a follower from the persisted ``(current_term, voted_for, log)``."""
        if durable is NOTHING_PERSISTED:
            return self.init(ctx)
        term, voted_for, log = durable
        self._arm_election(ctx)
        if self.config.commands:
            ctx.set_timer(PROPOSE, self.config.propose_interval)
        return RaftState(current_term=term, voted_for=voted_for, log=log)

    def on_timer(self, ctx: Context, state: RaftState, timer: Any) -> RaftState:
        """Start an election, send heartbeats, or propose a command."""
        if timer == ELECTION:
            if state.role == LEADER:
                return state
            term = state.current_term + 1
            if self.config.max_term is not None and term > self.config.max_term:
                return state
            new = replace(
                state,
                current_term=term,
                voted_for=ctx.id,
                role=CANDIDATE,
                votes=frozenset({ctx.id}),
                next_index=(),
                match_index=(),
            )
            self._arm_election(ctx)
            ctx.broadcast(RequestVote(term, ctx.id, len(state.log), last_log_term(state.log)))
            if len(new.votes) >= self._majority(ctx):
                new = self._become_leader(ctx, new)
            return self._persist(ctx, state, new)
        if timer == HEARTBEAT:
            if state.role == LEADER:
                for peer in ctx.peers:
                    self._send_append(ctx, state, peer)
                ctx.set_timer(HEARTBEAT, self.config.heartbeat_interval)
            return state
        if timer == PROPOSE:
            ctx.set_timer(PROPOSE, self.config.propose_interval)
            if state.role != LEADER:
                return state
            present = {e.command for e in state.log}
            todo = [c for c in self.config.commands if c not in present]
            if not todo:
                return state
            new = replace(state, log=(*state.log, Entry(state.current_term, todo[0])))
            for peer in ctx.peers:
                self._send_append(ctx, new, peer)
            new = self._advance_commit(ctx, new)  # a single server commits alone
            return self._persist(ctx, state, new)
        return state

    def on_message(self, ctx: Context, state: RaftState, src: str, msg: Any) -> RaftState:
        """Handle the four messages of Figure 2."""
        if not isinstance(msg, (RequestVote, RequestVoteReply, AppendEntries, AppendEntriesReply)):
            raise ProtocolError(
                f"Raft server {ctx.id!r} received {msg!r} from {src!r}; it only understands "
                "RequestVote, RequestVoteReply, AppendEntries and AppendEntriesReply"
            )
        old = state
        if msg.term > state.current_term:
            state = self._step_down(ctx, state, msg.term)
        if isinstance(msg, RequestVote):
            state = self._on_request_vote(ctx, state, msg)
        elif isinstance(msg, RequestVoteReply):
            state = self._on_vote_reply(ctx, state, src, msg)
        elif isinstance(msg, AppendEntries):
            state = self._on_append(ctx, state, msg)
        elif isinstance(msg, AppendEntriesReply):
            state = self._on_append_reply(ctx, state, src, msg)
        return self._persist(ctx, old, state)

    def _on_request_vote(self, ctx: Context, state: RaftState, msg: RequestVote) -> RaftState:
        up_to_date = self.config.mutant == "vote_without_log_check" or log_up_to_date(
            msg.last_log_term, msg.last_log_index, state.log
        )
        grant = (
            msg.term == state.current_term
            and state.voted_for in (None, msg.candidate_id)
            and up_to_date
        )
        if grant:
            state = replace(state, voted_for=msg.candidate_id)
            self._arm_election(ctx)
        ctx.send(msg.candidate_id, RequestVoteReply(state.current_term, grant))
        return state

    def _on_vote_reply(
        self, ctx: Context, state: RaftState, src: str, msg: RequestVoteReply
    ) -> RaftState:
        if state.role != CANDIDATE or msg.term != state.current_term or not msg.vote_granted:
            return state
        state = replace(state, votes=state.votes | {src})
        if len(state.votes) >= self._majority(ctx):
            state = self._become_leader(ctx, state)
        return state

    def _on_append(self, ctx: Context, state: RaftState, msg: AppendEntries) -> RaftState:
        if msg.term < state.current_term:
            ctx.send(msg.leader_id, AppendEntriesReply(state.current_term, False))
            return state
        if state.role != FOLLOWER:  # a candidate of the same term steps down
            state = self._step_down(ctx, state, msg.term)
        else:
            self._arm_election(ctx)
        log = state.log
        prev = msg.prev_log_index
        if prev > len(log):
            ctx.send(
                msg.leader_id,
                AppendEntriesReply(state.current_term, False, 0, 0, len(log) + 1),
            )
            return state
        if term_at(log, prev) != msg.prev_log_term:
            ct = term_at(log, prev)
            first = prev
            while first > 1 and log[first - 2].term == ct:
                first -= 1
            ctx.send(msg.leader_id, AppendEntriesReply(state.current_term, False, 0, ct, first))
            return state
        # Append the new entries, truncating at the first conflict only: a stale,
        # reordered AppendEntries must not cut entries that a later one added.
        new_log = log
        for i, entry in enumerate(msg.entries):
            index = prev + 1 + i
            if index <= len(new_log):
                if new_log[index - 1].term == entry.term:
                    continue
                new_log = new_log[: index - 1]
            new_log = (*new_log, entry)
        last_new = prev + len(msg.entries)
        state = replace(state, log=new_log)
        if msg.leader_commit > state.commit_index:
            state = self._apply(
                replace(
                    state, commit_index=max(state.commit_index, min(msg.leader_commit, last_new))
                )
            )
        ctx.send(msg.leader_id, AppendEntriesReply(state.current_term, True, last_new))
        return state

    def _on_append_reply(
        self, ctx: Context, state: RaftState, src: str, msg: AppendEntriesReply
    ) -> RaftState:
        if state.role != LEADER or msg.term != state.current_term:
            return state
        if msg.success:
            match = max(_get(state.match_index, src), msg.match_index)
            nxt = max(_get(state.next_index, src), match + 1)
            state = replace(
                state,
                match_index=_put(state.match_index, src, match),
                next_index=_put(state.next_index, src, nxt),
            )
            return self._advance_commit(ctx, state)
        current = _get(state.next_index, src)
        if self.config.fast_backoff:
            nxt = msg.conflict_index
            if msg.conflict_term:
                last = [i + 1 for i, e in enumerate(state.log) if e.term == msg.conflict_term]
                if last:
                    nxt = last[-1] + 1
        else:
            nxt = current - 1
        nxt = max(1, _get(state.match_index, src) + 1, min(nxt, len(state.log) + 1))
        state = replace(state, next_index=_put(state.next_index, src, nxt))
        self._send_append(ctx, state, src)
        return state


def raft_system(n: int = 3, config: RaftConfig | None = None) -> System:
    """A system of ``n`` Raft servers named ``s1``, ``s2``, ...

    Raises
    ------
    ValueError
        If ``n`` is not a positive int.

    Examples
    --------
    >>> raft_system(3)
    System(s1=RaftNode, s2=RaftNode, s3=RaftNode)
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise ValueError(f"raft_system: n={n!r} must be an int >= 1")
    node = RaftNode(config)
    return System({f"s{i}": node for i in range(1, n + 1)})


# -- properties (Figure 3) -----------------------------------------------------------------
def _node_states(state: Any) -> dict[str, RaftState]:
    nodes = state.nodes if hasattr(state, "nodes") else state
    if not isinstance(nodes, Mapping):
        raise TypeError(
            "expected an ActorState or a mapping of node id to RaftState, "
            f"got {type(state).__name__}"
        )
    return {k: v for k, v in nodes.items() if isinstance(v, RaftState)}


def leaders(state: Any) -> dict[int, tuple[str, ...]]:
    """The nodes that are leaders now, by term (a term maps to sorted ids).

    Parameters
    ----------
    state : ActorState or mapping of str to RaftState
        A global state of the model checker, or ``Simulation.states``.

    Examples
    --------
    >>> leaders({"s1": RaftState(current_term=2, role="leader"), "s2": RaftState()})
    {2: ('s1',)}
    """
    out: dict[int, list[str]] = {}
    for node_id, s in sorted(_node_states(state).items()):
        if s.role == LEADER:
            out.setdefault(s.current_term, []).append(node_id)
    return {t: tuple(ids) for t, ids in sorted(out.items())}


def election_safety(state: Any) -> bool:
    """At most one leader per term (Figure 3).

    Counts the current leaders and, for an ``ActorState``, the senders of the
    ``AppendEntries`` messages in flight (with a duplicating network these are
    every message ever sent, so a leader that has since stepped down is counted).

    Examples
    --------
    >>> leader = RaftState(current_term=1, role="leader")
    >>> election_safety({"s1": leader, "s2": RaftState()})
    True
    >>> election_safety({"s1": leader, "s2": leader})
    False
    """
    seen: dict[int, set[str]] = {}
    for term, ids in leaders(state).items():
        seen.setdefault(term, set()).update(ids)
    if hasattr(state, "messages"):
        for src, _dst, msg in state.messages():
            if isinstance(msg, AppendEntries):
                seen.setdefault(msg.term, set()).add(src)
    return all(len(ids) <= 1 for ids in seen.values())


def log_matching(state: Any) -> bool:
    """If two logs have an entry with the same index and term, they agree up to it (Figure 3).

    Examples
    --------
    >>> a = RaftState(log=(Entry(1, "x"), Entry(2, "y")))
    >>> b = RaftState(log=(Entry(1, "z"), Entry(2, "y")))
    >>> log_matching({"s1": a, "s2": a}), log_matching({"s1": a, "s2": b})
    (True, False)
    """
    logs = [s.log for _, s in sorted(_node_states(state).items())]
    for i, a in enumerate(logs):
        for b in logs[i + 1 :]:
            for k in range(min(len(a), len(b)), 0, -1):
                if a[k - 1].term == b[k - 1].term:
                    if a[:k] != b[:k]:
                        return False
                    break
    return True


def state_machine_safety(state: Any) -> bool:
    """No two servers apply different entries at the same index (Figure 3).

    Examples
    --------
    >>> a = RaftState(log=(Entry(1, "x"),), commit_index=1)
    >>> b = RaftState(log=(Entry(2, "y"),), commit_index=1)
    >>> state_machine_safety({"s1": a, "s2": a}), state_machine_safety({"s1": a, "s2": b})
    (True, False)
    """
    committed = [s.log[: s.commit_index] for _, s in sorted(_node_states(state).items())]
    for i, a in enumerate(committed):
        for b in committed[i + 1 :]:
            k = min(len(a), len(b))
            if a[:k] != b[:k]:
                return False
    return True


def leader_completeness(state: Any) -> bool:
    """Every leader's log holds every entry committed (in an earlier or its own term).

    Checked against the committed prefixes the servers know now.

    Examples
    --------
    >>> a = RaftState(current_term=1, log=(Entry(1, "x"),), commit_index=1)
    >>> b = RaftState(current_term=2, role="leader")
    >>> leader_completeness({"s1": a, "s2": b})
    False
    """
    states = _node_states(state)
    for s in states.values():
        if s.role != LEADER:
            continue
        for other in states.values():
            for k in range(other.commit_index):
                e = other.log[k]
                if e.term <= s.current_term and (len(s.log) <= k or s.log[k] != e):
                    return False
    return True
