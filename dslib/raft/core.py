"""Raft: leader election, log replication, persistence, clients and snapshots, as nodes.

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
  ``log`` and the latest ``snapshot``), which every handler persists whenever
  it changes, and the volatile state (``commit_index``, ``last_applied``, the
  role, the votes received, the leader's ``next_index`` and ``match_index``);
- ``RaftNode`` implements the rules for all servers, followers, candidates
  and leaders: randomized election timeouts (section 5.2), the election
  restriction (section 5.4.1), the consistency check of AppendEntries and
  conflict truncation (section 5.3), and committing only entries of the
  leader's current term counted on a majority (section 5.4.2, Figure 8).

Section 8 (clients) and section 7 (log compaction) are here too:

- a client sends a ``ClientRequest`` with its id and a sequence number; a
  server that is not the leader answers with a ``ClientReply`` naming the
  leader it knows. Each server keeps a *session* per client (the last sequence
  number applied and its result), so a retried command is applied once;
- a new leader appends a ``NoOp`` entry of its term, so that it learns which
  entries are committed (section 8);
- read-only requests do not go through the log: the leader records its commit
  index as the *read index*, confirms that it is still the leader with a round
  of heartbeats acknowledged by a majority, and answers once it has applied up
  to the read index (section 8; Ongaro's dissertation, section 6.4);
- with ``RaftConfig(snapshot_every=k)`` a server replaces the applied prefix of
  its log with a ``Snapshot`` of its state machine and sessions, and a leader
  sends ``InstallSnapshot`` to a follower that needs entries it has discarded
  (section 7, Figure 13).

The three decisions that the safety argument rests on are methods of
``RaftNode``, so that an exercise or a mutant can replace one of them:
``vote_rule`` (grant a vote?), ``append_rule`` (accept entries, and the new
log) and ``commit_rule`` (the new commit index).

The servers of the cluster are ``RaftConfig.servers`` (by default every node
of the system). Membership changes (section 6) would make the configuration an
entry of the log; ``RaftNode.members`` is the one place that reads it.

The safety properties of Figure 3 are functions of a global state (an
``ActorState`` of the model checker, or a mapping of node states):
``election_safety``, ``log_matching``, ``state_machine_safety`` and
``leader_completeness``. Rules of Figure 2 are properties too:
``RULE_INVARIANTS`` of one state, ``STEP_PROPERTIES`` of a run, which
``StepMonitor`` checks step by step. ``MUTANTS`` has a deliberately broken
version for every rule of Figure 2 (``MUTANT_RULES`` says which), each a
one-line change beside the rule it breaks, selected by ``RaftConfig(mutant=...)``.

Examples
--------
>>> from dslib.sim import Simulation
>>> sim = Simulation(raft_system(3), seed=1).run(until=1000)
>>> leaders(sim.states)
{1: ('s1',)}
>>> sim.states["s2"].log  # the leader's no-op, replicated and committed
(Entry(term=1, command=NoOp()),)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeGuard

from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr
from dslib.errors import ProtocolError
from dslib.stats import is_number

__all__ = [
    "MUTANTS",
    "MUTANT_RULES",
    "RULE_INVARIANTS",
    "SAFETY_PROPERTIES",
    "STEP_PROPERTIES",
    "AppendEntries",
    "AppendEntriesReply",
    "ClientReply",
    "ClientRequest",
    "Command",
    "Entry",
    "InstallSnapshot",
    "InstallSnapshotReply",
    "NoOp",
    "RaftConfig",
    "RaftNode",
    "RaftState",
    "RequestVote",
    "RequestVoteReply",
    "Snapshot",
    "StateMachine",
    "StepMonitor",
    "applied_within_commit",
    "election_safety",
    "entry_at",
    "is_timeout_range",
    "last_log_index",
    "last_log_term",
    "leader_completeness",
    "leaders",
    "log_matching",
    "log_up_to_date",
    "match_index_sound",
    "merge_entries",
    "raft_system",
    "state_machine_safety",
    "term_at",
]

MUTANT_RULES: dict[str, str] = {
    "vote_in_old_term": "RequestVote receiver 1",
    "vote_twice": "RequestVote receiver 2",
    "vote_without_log_check": "RequestVote receiver 2",
    "accept_stale_term": "AppendEntries receiver 1",
    "skip_prev_check": "AppendEntries receiver 2",
    "keep_conflicts": "AppendEntries receiver 3",
    "ack_without_append": "AppendEntries receiver 4",
    "ignore_leader_commit": "AppendEntries receiver 5",
    "apply_uncommitted": "All servers 1",
    "keep_role_on_newer_term": "All servers 2",
    "no_reset_on_append": "Followers",
    "no_term_increment": "Candidates 1",
    "no_self_vote": "Candidates 1",
    "no_candidate_timer": "Candidates 1 and 4",
    "leader_without_majority": "Candidates 2",
    "candidate_ignores_leader": "Candidates 3",
    "no_heartbeats": "Leaders 1",
    "reply_before_commit": "Leaders 2",
    "entries_from_last": "Leaders 3",
    "match_leader_last": "Leaders 3.1",
    "no_backoff": "Leaders 3.2",
    "commit_old_terms": "Leaders 4",
    "forget_term": "Persistent state",
    "forget_vote": "Persistent state",
    "forget_log": "Persistent state",
    "stale_reads": "Section 8 (reads)",
    "no_sessions": "Section 8 (sessions)",
}
"""The rule of Figure 2 that each mutant breaks (rules numbered in the figure's order:
"Candidates 1" is "on conversion to candidate, start election", "Leaders 3.2" the second
sub-rule of the third rule for leaders); the last two break the client rules of section 8."""

MUTANTS: dict[str, str] = {
    "vote_in_old_term": "a server grants a vote to a candidate of an earlier term, "
    "and answers in that term, instead of replying false",
    "vote_twice": "a server grants a vote although it voted for another candidate in this term",
    "vote_without_log_check": "grant a vote without the log up-to-date check of section 5.4.1",
    "accept_stale_term": "a follower accepts AppendEntries from a leader of an earlier term",
    "skip_prev_check": "a follower accepts entries after prevLogIndex although its entry "
    "there has another term (the consistency check of section 5.3)",
    "keep_conflicts": "a follower overwrites conflicting entries but does not truncate the "
    "entries after them (section 5.3)",
    "ack_without_append": "a follower answers success but does not append the new entries",
    "ignore_leader_commit": "a follower never learns the commit index from leaderCommit "
    "(liveness: followers never apply)",
    "apply_uncommitted": "a server applies entries beyond its commit index",
    "keep_role_on_newer_term": "a leader that sees a newer term adopts it but stays leader",
    "no_reset_on_append": "a follower does not reset its election timer when it hears from "
    "the leader (liveness: needless elections)",
    "no_term_increment": "a candidate starts an election without incrementing its term",
    "no_self_vote": "a candidate does not vote for itself "
    "(liveness: no leader while a minority is down)",
    "no_candidate_timer": "a candidate does not reset its election timer, so a failed "
    "election is never retried (liveness)",
    "leader_without_majority": "a candidate becomes leader with half the votes, not a majority",
    "candidate_ignores_leader": "a candidate ignores AppendEntries from the leader of its "
    "term instead of becoming its follower (liveness)",
    "no_heartbeats": "a leader sends AppendEntries only to followers that lack entries: no "
    "heartbeats while idle (liveness: needless elections)",
    "reply_before_commit": "a leader answers a client when it appends the command, "
    "before the entry is committed and applied",
    "entries_from_last": "a leader sends only its last entry, not the entries from nextIndex "
    "(liveness: a follower that lags never catches up)",
    "match_leader_last": "on success, a leader sets matchIndex to its own last index, "
    "not to the index the follower acknowledged",
    "no_backoff": "on a failed AppendEntries, a leader does not decrement nextIndex and retry "
    "(liveness: a follower that lags never catches up)",
    "commit_old_terms": "a leader commits entries of earlier terms by counting replicas "
    "(the Figure 8 mistake of section 5.4.2)",
    "forget_term": "currentTerm is not persisted: a server restarts in term 0",
    "forget_vote": "votedFor is not persisted: a server that restarts may vote twice in a term",
    "forget_log": "the log is not persisted: a server restarts without its entries",
    "stale_reads": "a leader answers reads from its state machine without confirming that "
    "it is still the leader (section 8)",
    "no_sessions": "no client sessions: a retried command is applied again (section 8)",
}
"""Broken versions of Raft, by name, with what is wrong (the rule: ``MUTANT_RULES``).

A mutant marked "liveness" breaks no safety property: its runs are slower or stall, which
only a progress check can see."""

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

    def __hash__(self) -> int:
        # Logs are hashed whole on every persist and by the model checker; entries never
        # change, so each computes its hash once.
        return _cached_hash(self, (self.term, self.command))

    def __getstate__(self) -> dict[str, Any]:
        return _without_hash(self)


def _cached_hash(obj: object, fields: tuple[Any, ...]) -> int:
    """``hash(fields)``, computed once per object (string hashes differ between processes,
    so the cache is never pickled: see ``_without_hash``)."""
    try:
        return obj.__dict__["_hash"]
    except KeyError:
        h = hash(fields)
        object.__setattr__(obj, "_hash", h)
        return h


def _without_hash(obj: object) -> dict[str, Any]:
    return {k: v for k, v in obj.__dict__.items() if k != "_hash"}


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
    return _up_to_date(
        candidate_last_term, candidate_last_index, last_log_term(voter_log), len(voter_log)
    )


def _up_to_date(cand_term: int, cand_index: int, my_term: int, my_index: int) -> bool:
    if cand_term != my_term:
        return cand_term > my_term
    return cand_index >= my_index


def merge_entries(
    log: Log,
    prev_log_index: int,
    prev_log_term: int,
    entries: tuple[Entry, ...],
    *,
    base_index: int = 0,
    base_term: int = 0,
) -> Log | None:
    """A follower's side of AppendEntries (Figure 2, receiver rules 2 to 4): the new log, or None.

    Reject (``None``) if the log has no entry at ``prev_log_index`` whose term
    is ``prev_log_term`` (the consistency check). Otherwise, for each new entry:
    if an entry at the same index has a different term, delete it and all that
    follow it; append the entries not already in the log. Entries after the
    last new one that do not conflict are kept: a stale AppendEntries that
    arrives late must not cut entries that a later one added.

    ``log`` holds the entries after ``base_index`` (a snapshot's last index,
    whose term is ``base_term``); entries at or before ``base_index`` are
    committed, so any the leader sends again are skipped.

    Examples
    --------
    >>> log = (Entry(1, "a"), Entry(1, "b"), Entry(1, "c"))
    >>> merge_entries(log, 1, 1, (Entry(2, "x"),))  # conflict at 2: truncate, then append
    (Entry(term=1, command='a'), Entry(term=2, command='x'))
    >>> merge_entries(log, 1, 1, (Entry(1, "b"),)) == log  # nothing new: keep "c"
    True
    >>> merge_entries(log, 3, 2, ()) is None  # the term at index 3 is 1, not 2
    True
    """
    return _merge(log, prev_log_index, prev_log_term, entries, base_index, base_term)


def _merge(
    log: Log,
    prev_log_index: int,
    prev_log_term: int,
    entries: tuple[Entry, ...],
    base_index: int,
    base_term: int,
    mutant: str | None = None,
) -> Log | None:
    if prev_log_index < base_index:  # the leader resends entries we compacted
        skip = base_index - prev_log_index
        if skip >= len(entries):
            return log
        entries = entries[skip:]
        prev_log_index, prev_log_term = base_index, base_term
    rel = prev_log_index - base_index
    if rel > len(log):
        return None
    have = base_term if rel == 0 else log[rel - 1].term
    if have != prev_log_term and mutant != "skip_prev_check":  # AppendEntries receiver 2
        return None
    new_log = log
    for i, entry in enumerate(entries):
        index = rel + 1 + i
        if index <= len(new_log):
            if new_log[index - 1].term == entry.term:
                continue
            if mutant == "keep_conflicts":  # receiver 3 broken: overwrite, keep what follows
                new_log = (*new_log[: index - 1], entry, *new_log[index:])
                continue
            new_log = new_log[: index - 1]  # receiver 3: delete the entry and all that follow
        if mutant == "ack_without_append":  # receiver 4 broken: the entry is not appended
            continue
        new_log = (*new_log, entry)  # AppendEntries receiver 4
    return new_log


@dataclass(frozen=True)
class NoOp:
    """The blank entry a new leader appends at the start of its term (section 8).

    Examples
    --------
    >>> Entry(3, NoOp())
    Entry(term=3, command=NoOp())
    """


@dataclass(frozen=True)
class Command:
    """A client's command in the log: who sent it, its sequence number, and the operation.

    Examples
    --------
    >>> Command("c1", 4, ("put", "x", 1))
    Command(client='c1', seq=4, op=('put', 'x', 1))
    """

    client: str
    seq: int
    op: Hashable


@dataclass(frozen=True)
class Snapshot:
    """The state machine after applying entries 1..``last_index`` (section 7).

    Attributes
    ----------
    last_index, last_term : int
        The index and term of the last entry the snapshot replaces.
    machine : hashable
        The state machine's state.
    sessions : tuple of (client, seq, result)
        The client sessions, sorted by client: they are part of the state
        machine, or a retried command could be applied twice after a restart.
    """

    last_index: int
    last_term: int
    machine: Hashable = None
    sessions: tuple[tuple[str, int, Hashable], ...] = ()

    def __hash__(self) -> int:
        return _cached_hash(self, (self.last_index, self.last_term, self.machine, self.sessions))

    def __getstate__(self) -> dict[str, Any]:
        return _without_hash(self)


class StateMachine:
    """What a Raft cluster replicates: a deterministic function from commands to state.

    Subclasses define ``initial``, ``apply`` and, for reads served without
    the log, ``read_only`` and ``read``. States must be hashable values.

    Examples
    --------
    >>> class Counter(StateMachine):
    ...     def initial(self):
    ...         return 0
    ...     def apply(self, state, op):
    ...         return state + op, state + op
    >>> Counter().apply(Counter().initial(), 5)
    (5, 5)
    """

    def initial(self) -> Hashable:
        """The state before any command."""
        return None

    def apply(self, state: Any, op: Any) -> tuple[Hashable, Hashable]:
        """Apply ``op``: the new state and the result for the client."""
        return state, None

    def read_only(self, op: Any) -> bool:
        """Whether ``op`` only reads (and may be served with a read index)."""
        return False

    def read(self, state: Any, op: Any) -> Hashable:
        """The result of the read-only ``op`` in ``state``."""
        raise NotImplementedError(f"{type(self).__name__} serves no reads")

    def __repr__(self) -> str:
        return type(self).__name__ + "()"


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
                  entries=(Entry(term=1, command='x'),), leader_commit=0, round=0)

    ``round`` numbers the leader's heartbeat rounds for reads (section 8): the
    reply echoes it, so the leader knows which round a follower acknowledged.
    """

    term: int
    leader_id: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple[Entry, ...]
    leader_commit: int
    round: int = 0


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
    >>> AppendEntriesReply(term=1, success=True, match_index=1)  # doctest: +NORMALIZE_WHITESPACE
    AppendEntriesReply(term=1, success=True, match_index=1, conflict_term=0, conflict_index=0,
                       round=0)
    """

    term: int
    success: bool
    match_index: int = 0
    conflict_term: int = 0
    conflict_index: int = 0
    round: int = 0


@dataclass(frozen=True)
class InstallSnapshot:
    """A leader sends its snapshot to a follower that needs entries it has discarded (Figure 13).

    The snapshot travels in one message (Figure 13's ``offset`` and ``done``
    split a large one into chunks).
    """

    term: int
    leader_id: str
    snapshot: Snapshot


@dataclass(frozen=True)
class InstallSnapshotReply:
    """The answer to ``InstallSnapshot``: the follower's term and the index it now matches."""

    term: int
    match_index: int = 0


@dataclass(frozen=True)
class ClientRequest:
    """A client asks for ``op``; ``seq`` numbers the client's operations (retries keep it).

    Examples
    --------
    >>> ClientRequest("c1", 1, ("get", "x", None))
    ClientRequest(client='c1', seq=1, op=('get', 'x', None))
    """

    client: str
    seq: int
    op: Hashable


@dataclass(frozen=True)
class ClientReply:
    """The answer to a ``ClientRequest``.

    ``ok=True``: ``result`` is the operation's result. ``ok=False``: this server
    is not the leader; ``leader`` is the leader it knows of (or None).
    """

    seq: int
    ok: bool
    result: Hashable = None
    leader: str | None = None


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
    noop : bool, default True
        A new leader appends a ``NoOp`` entry of its term (section 8).
    servers : tuple of str or None, default None
        The members of the cluster; None means every node of the system
        (give them when the system also has clients).
    machine : StateMachine or None, default None
        The replicated state machine that clients' commands are applied to.
    snapshot_every : int or None, default None
        Take a snapshot when this many applied entries are in the log (section 7).
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
    noop: bool = True
    servers: tuple[str, ...] | None = None
    machine: StateMachine | None = None
    snapshot_every: int | None = None
    mutant: str | None = None

    def __post_init__(self) -> None:
        et = self.election_timeout
        if not is_timeout_range(et):
            raise ValueError(
                f"RaftConfig: election_timeout={et!r} must be a range (lo, hi) with 0 < lo <= hi"
            )
        for name in ("heartbeat_interval", "propose_interval"):
            v = getattr(self, name)
            if not (is_number(v) and v > 0):
                raise ValueError(f"RaftConfig: {name}={v!r} must be a number > 0")
        if not isinstance(self.commands, tuple):
            raise TypeError(f"RaftConfig: commands={self.commands!r} must be a tuple")
        if self.max_term is not None and not _is_int(self.max_term):
            raise TypeError(f"RaftConfig: max_term={self.max_term!r} must be an int or None")
        if self.servers is not None and not (
            isinstance(self.servers, tuple)
            and self.servers
            and all(isinstance(s, str) for s in self.servers)
            and len(set(self.servers)) == len(self.servers)
        ):
            raise ValueError(
                f"RaftConfig: servers={self.servers!r} must be None or a non-empty tuple of "
                "distinct node ids"
            )
        if self.machine is not None and not isinstance(self.machine, StateMachine):
            raise TypeError(f"RaftConfig: machine={self.machine!r} must be a StateMachine")
        if self.snapshot_every is not None and not (
            _is_int(self.snapshot_every) and self.snapshot_every >= 1
        ):
            raise ValueError(
                f"RaftConfig: snapshot_every={self.snapshot_every!r} must be None or an int >= 1"
            )
        if self.mutant is not None and self.mutant not in MUTANTS:
            raise ValueError(
                f"RaftConfig: unknown mutant {self.mutant!r}; allowed: {sorted(MUTANTS)}"
            )


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def is_timeout_range(x: object) -> TypeGuard[tuple[float, float]]:
    """Whether ``x`` is a range of timeouts ``(lo, hi)``: two numbers with ``0 < lo <= hi``.

    A server draws its election timeout uniformly from such a range (section 5.2);
    ``lo == hi`` is allowed and means a fixed timeout.

    Parameters
    ----------
    x : object
        A candidate range, such as ``RaftConfig.election_timeout``.

    Returns
    -------
    bool
        True for a tuple of two numbers (``math.inf`` included) with ``0 < lo <= hi``;
        ``raft.timeouts`` also requires them finite.

    Examples
    --------
    >>> is_timeout_range((150, 300)), is_timeout_range((150.0, 150.0))
    (True, True)
    >>> is_timeout_range((300, 150)), is_timeout_range((0, 10)), is_timeout_range([150, 300])
    (False, False, False)
    """
    return (
        isinstance(x, tuple) and len(x) == 2 and all(is_number(v) for v in x) and 0 < x[0] <= x[1]
    )


Sessions = tuple[tuple[str, int, Hashable], ...]
Read = tuple[str, int, Hashable, int, int]  # (client, seq, op, round, read_index or -1)


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
        The log after the snapshot, oldest first (persistent). The entry at
        (1-based) index ``i`` is ``log[i - snapshot_index - 1]``; use ``entry(i)``.
    snapshot : Snapshot or None
        The latest snapshot, which replaces entries 1..``snapshot_index`` (persistent).
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
    machine : hashable
        The state machine's state after ``last_applied`` entries.
    sessions : tuple of (client, seq, result)
        Per client, the last command applied and its result, sorted by client.
    leader : str or None
        The leader of ``current_term`` as far as this server knows.
    round : int
        A leader's latest heartbeat round for reads.
    acked : tuple of (str, int)
        A leader's highest round acknowledged by each peer in this term.
    reads : tuple of (client, seq, op, round, read_index)
        A leader's reads waiting to be answered (read index -1: not fixed yet).

    Examples
    --------
    >>> s = RaftState(current_term=1, log=(Entry(1, "x"),), commit_index=1)
    >>> s.applied
    ('x',)
    >>> s.durable
    (1, None, (Entry(term=1, command='x'),), None)
    >>> s.last_index, s.term(1), s.entry(1)
    (1, 1, Entry(term=1, command='x'))
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
    snapshot: Snapshot | None = None
    machine: Hashable = None
    sessions: Sessions = ()
    leader: str | None = None
    round: int = 0
    acked: tuple[tuple[str, int], ...] = ()
    reads: tuple[Read, ...] = ()

    @property
    def durable(self) -> tuple[int, str | None, Log, Snapshot | None]:
        """What the server persists: ``(current_term, voted_for, log, snapshot)``."""
        return (self.current_term, self.voted_for, self.log, self.snapshot)

    @property
    def snapshot_index(self) -> int:
        """The last index the snapshot replaces (0 without a snapshot)."""
        return self.snapshot.last_index if self.snapshot else 0

    @property
    def last_index(self) -> int:
        """The index of the last entry (or of the snapshot's last entry)."""
        return self.snapshot_index + len(self.log)

    @property
    def last_term(self) -> int:
        """The term of the last entry (or of the snapshot's last entry); 0 if none."""
        if self.log:
            return self.log[-1].term
        return self.snapshot.last_term if self.snapshot else 0

    def term(self, index: int) -> int:
        """The term of the entry at ``index`` (0 at index 0).

        Raises
        ------
        IndexError
            If the entry is beyond the log, or was compacted into the snapshot.
        """
        base = self.snapshot_index
        if index == base:
            return self.snapshot.last_term if self.snapshot else 0
        return self.entry(index).term

    def entry(self, index: int) -> Entry:
        """The entry at 1-based ``index``.

        Raises
        ------
        IndexError
            If there is no entry at ``index`` in the log (beyond it, or compacted).
        """
        base = self.snapshot_index
        if not (isinstance(index, int) and base < index <= base + len(self.log)):
            raise IndexError(
                f"log index {index!r} is out of range; this server holds entries "
                f"{base + 1}..{base + len(self.log)}"
                + (f" (1..{base} are in its snapshot)" if base else "")
            )
        return self.log[index - base - 1]

    @property
    def applied(self) -> tuple[Hashable, ...]:
        """The commands of the committed entries still in the log, in log order."""
        return tuple(e.command for e in self.log[: self.commit_index - self.snapshot_index])

    def __repr__(self) -> str:
        return stable_repr(self)


def _get(pairs: tuple[tuple[str, int], ...], key: str) -> int:
    for k, v in pairs:
        if k == key:
            return v
    return 0


def _put(pairs: tuple[tuple[str, int], ...], key: str, value: int) -> tuple[tuple[str, int], ...]:
    return tuple(sorted([(k, v) for k, v in pairs if k != key] + [(key, value)]))


def _session(sessions: Sessions, client: str) -> tuple[int, Hashable]:
    for c, seq, result in sessions:
        if c == client:
            return seq, result
    return 0, None


def _set_session(sessions: Sessions, client: str, seq: int, result: Hashable) -> Sessions:
    return tuple(sorted([x for x in sessions if x[0] != client] + [(client, seq, result)]))


# -- the node ------------------------------------------------------------------------------
MAX_BATCH = 64
"""The most entries one AppendEntries carries."""


class RaftNode(Node[RaftState]):
    """A Raft server: the rules of Figure 2 for followers, candidates and leaders.

    Timers: ``"election"`` (a random delay in ``config.election_timeout``),
    ``"heartbeat"`` (a leader's, every ``config.heartbeat_interval``) and
    ``"propose"`` (only with ``config.commands``).

    Parameters
    ----------
    config : RaftConfig, optional
        Timeouts, commands, bounds, state machine and mutant.

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

    # -- the three rules (replaceable by exercises and mutants) -------------------------------
    def vote_rule(self, state: RaftState, msg: RequestVote) -> bool:
        """Grant ``msg``'s vote? (Figure 2, RequestVote receiver rules; section 5.4.1.)

        ``state`` has already adopted ``msg.term`` if it was newer. Grant if the
        terms are equal, the server has not voted for someone else in this term,
        and the candidate's log is at least as up-to-date as its own.
        """
        m = self.config.mutant
        up_to_date = m == "vote_without_log_check" or _up_to_date(
            msg.last_log_term, msg.last_log_index, state.last_term, state.last_index
        )
        return (
            (msg.term == state.current_term or m == "vote_in_old_term")  # receiver 1
            and (state.voted_for in (None, msg.candidate_id) or m == "vote_twice")  # receiver 2
            and up_to_date
        )

    def append_rule(self, state: RaftState, msg: AppendEntries) -> Log | None:
        """The log after accepting ``msg``'s entries, or None if the consistency check fails.

        ``state.log`` holds the entries after the snapshot; so does the result.
        See ``merge_entries``.
        """
        base_term = state.snapshot.last_term if state.snapshot else 0
        return _merge(
            state.log,
            msg.prev_log_index,
            msg.prev_log_term,
            msg.entries,
            state.snapshot_index,
            base_term,
            self.config.mutant,
        )

    def commit_rule(self, state: RaftState, matches: tuple[int, ...]) -> int:
        """A leader's new commit index (Figure 2, last rule for leaders; section 5.4.2).

        ``matches`` holds the match index of every server, the leader's own
        (its last index) included. The largest ``N`` above the commit index that
        a majority has, *if the entry at N is of the current term*; otherwise
        the commit index stays.
        """
        majority = len(matches) // 2 + 1
        old_terms = self.config.mutant == "commit_old_terms"  # log[N].term == currentTerm
        for n in range(state.last_index, state.commit_index, -1):
            if state.term(n) != state.current_term and not old_terms:
                continue
            if sum(1 for m in matches if m >= n) >= majority:
                return n
        return state.commit_index

    # -- membership ---------------------------------------------------------------------------
    def members(self, ctx: Context) -> tuple[str, ...]:
        """The servers of the cluster (``config.servers``, or every node), sorted."""
        if self.config.servers is not None:
            return tuple(sorted(self.config.servers))
        return tuple(sorted((ctx.id, *ctx.peers)))

    def _peers(self, ctx: Context) -> tuple[str, ...]:
        return tuple(p for p in self.members(ctx) if p != ctx.id)

    def _majority(self, ctx: Context) -> int:
        return len(self.members(ctx)) // 2 + 1

    # -- helpers ------------------------------------------------------------------------------
    def _arm_election(self, ctx: Context) -> None:
        ctx.set_timer(ELECTION, self.config.election_timeout)

    def _elected(self, ctx: Context, votes: frozenset[str]) -> bool:
        """Whether ``votes`` make a candidate leader: a majority of the servers."""
        if self.config.mutant == "leader_without_majority":  # Candidates 2 broken: half
            return len(votes) >= len(self.members(ctx)) // 2
        return len(votes) >= self._majority(ctx)

    def _persist(self, ctx: Context, old: RaftState, new: RaftState) -> RaftState:
        """Save the persistent state of Figure 2 (before any reply leaves: the simulator
        sends a handler's messages after its ``persist``)."""
        if new.durable != old.durable:
            term, voted_for, log, snapshot = new.durable
            m = self.config.mutant  # each persistence mutant forgets one field
            ctx.persist(
                (
                    0 if m == "forget_term" else term,
                    None if m == "forget_vote" else voted_for,
                    () if m == "forget_log" else log,
                    snapshot,
                )
            )
        return new

    def _step_down(self, ctx: Context, state: RaftState, term: int) -> RaftState:
        """Adopt a higher ``term`` (or a same-term leader) and become a follower."""
        newer = term > state.current_term
        if newer and state.role == LEADER and self.config.mutant == "keep_role_on_newer_term":
            return replace(state, current_term=term, voted_for=None)  # All servers 2 broken
        if state.role == LEADER:
            ctx.cancel_timer(HEARTBEAT)
            self._arm_election(ctx)  # a leader has no election timer running
        # A follower or candidate keeps its timer running: Figure 2 restarts it only when
        # it grants a vote or hears from the current leader (see Ongaro's dissertation 9.5).
        return replace(
            state,
            current_term=term,
            voted_for=None if newer else state.voted_for,
            leader=None if newer else state.leader,
            role=FOLLOWER,
            votes=frozenset(),
            next_index=(),
            match_index=(),
            acked=(),
            reads=(),
        )

    def _apply(self, ctx: Context, state: RaftState) -> RaftState:
        """Apply the committed entries not applied yet; a leader answers their clients."""
        upto = state.commit_index  # All servers 1: apply up to commitIndex, in order
        if self.config.mutant == "apply_uncommitted":
            upto = state.last_index
        if state.last_applied >= upto:
            return self._serve_reads(ctx, state)
        machine = self.config.machine
        sessions_on = self.config.mutant != "no_sessions"
        value, sessions = state.machine, state.sessions
        for i in range(state.last_applied + 1, upto + 1):
            cmd = state.entry(i).command
            if not isinstance(cmd, Command):
                continue
            last_seq, last_result = _session(sessions, cmd.client)
            if sessions_on and cmd.seq <= last_seq:
                if cmd.seq < last_seq:
                    continue  # a retry of an operation the client has moved past
                result = last_result  # applied already: answer with the recorded result
            else:
                value, result = machine.apply(value, cmd.op) if machine else (value, None)
                sessions = _set_session(sessions, cmd.client, cmd.seq, result)
            if state.role == LEADER:
                ctx.send(cmd.client, ClientReply(cmd.seq, True, result, ctx.id))
        state = replace(state, last_applied=upto, machine=value, sessions=sessions)
        every = self.config.snapshot_every
        if every is not None and state.last_applied - state.snapshot_index >= every:
            snap = Snapshot(
                state.last_applied,
                state.term(state.last_applied),
                state.machine,
                state.sessions,
            )
            state = replace(
                state, snapshot=snap, log=state.log[state.last_applied - state.snapshot_index :]
            )
        return self._serve_reads(ctx, state)

    def _serve_reads(self, ctx: Context, state: RaftState) -> RaftState:
        """Answer the reads whose round a majority acknowledged, once applied to the read index."""
        if state.role != LEADER or not state.reads:
            return state
        machine = self.config.machine
        assert machine is not None  # reads are only queued with a state machine
        majority = self._majority(ctx)
        term_committed = state.term(state.commit_index) == state.current_term
        waiting: list[Read] = []
        for client, seq, op, rnd, read_index in state.reads:
            if read_index < 0 and term_committed:
                read_index = state.commit_index
            confirmed = 1 + sum(1 for _, a in state.acked if a >= rnd) >= majority
            if confirmed and 0 <= read_index <= state.last_applied:
                ctx.send(client, ClientReply(seq, True, machine.read(state.machine, op), ctx.id))
            else:
                waiting.append((client, seq, op, rnd, read_index))
        return replace(state, reads=tuple(waiting))

    def _send_append(self, ctx: Context, state: RaftState, peer: str) -> None:
        nxt = max(1, min(_get(state.next_index, peer), state.last_index + 1))  # Leaders 3
        if self.config.mutant == "entries_from_last":
            nxt = max(1, state.last_index)
        if nxt <= state.snapshot_index:
            assert state.snapshot is not None
            ctx.send(peer, InstallSnapshot(state.current_term, ctx.id, state.snapshot))
            return
        prev = nxt - 1
        start = prev - state.snapshot_index
        ctx.send(
            peer,
            AppendEntries(
                term=state.current_term,
                leader_id=ctx.id,
                prev_log_index=prev,
                prev_log_term=state.term(prev),
                entries=state.log[start : start + MAX_BATCH],
                leader_commit=state.commit_index,
                round=state.round,
            ),
        )

    def _become_leader(self, ctx: Context, state: RaftState) -> RaftState:
        ctx.cancel_timer(ELECTION)
        ctx.set_timer(HEARTBEAT, self.config.heartbeat_interval)
        peers = self._peers(ctx)
        n = state.last_index + 1
        state = replace(
            state,
            role=LEADER,
            leader=ctx.id,
            next_index=tuple((p, n) for p in peers),
            match_index=tuple((p, 0) for p in peers),
            acked=(),
            reads=(),
        )
        if self.config.noop:
            state = replace(state, log=(*state.log, Entry(state.current_term, NoOp())))
        for peer in peers:
            self._send_append(ctx, state, peer)
        return self._advance_commit(ctx, state)

    def _advance_commit(self, ctx: Context, state: RaftState) -> RaftState:
        matches = (state.last_index, *(m for _, m in state.match_index))
        n = self.commit_rule(state, matches)
        if n > state.commit_index:
            state = replace(state, commit_index=n)
        return self._apply(ctx, state)

    # -- handlers -----------------------------------------------------------------------------
    def init(self, ctx: Context) -> RaftState:
        """Start as a follower of term 0 with an empty log; arm the election timer."""
        if ctx.id not in self.members(ctx):
            raise ProtocolError(
                f"Raft server {ctx.id!r} is not one of the servers {self.members(ctx)}"
            )
        self._arm_election(ctx)
        if self.config.commands:
            ctx.set_timer(PROPOSE, self.config.propose_interval)
        machine = self.config.machine
        return RaftState(machine=machine.initial() if machine else None)

    def on_recover(self, ctx: Context, durable: Any) -> RaftState:
        """Restart as a follower from the persisted ``(current_term, voted_for, log, snapshot)``.

        The state machine restarts from the snapshot (or empty); the commit
        index is relearned from the leader (section 5.3, Figure 2).
        """
        if durable is NOTHING_PERSISTED:
            return self.init(ctx)
        term, voted_for, log, snap = durable
        self._arm_election(ctx)
        if self.config.commands:
            ctx.set_timer(PROPOSE, self.config.propose_interval)
        if snap is None:
            machine = self.config.machine
            return RaftState(
                current_term=term,
                voted_for=voted_for,
                log=log,
                machine=machine.initial() if machine else None,
            )
        return RaftState(
            current_term=term,
            voted_for=voted_for,
            log=log,
            snapshot=snap,
            commit_index=snap.last_index,
            last_applied=snap.last_index,
            machine=snap.machine,
            sessions=snap.sessions,
        )

    def on_timer(self, ctx: Context, state: RaftState, timer: Any) -> RaftState:
        """Start an election, send heartbeats, or propose a command."""
        if timer == ELECTION:  # Followers, Candidates 4: start an election (Candidates 1)
            if state.role == LEADER:
                return state
            m = self.config.mutant
            term = state.current_term + (0 if m == "no_term_increment" else 1)
            if self.config.max_term is not None and term > self.config.max_term:
                return state
            self_vote = m != "no_self_vote"
            new = replace(
                state,
                current_term=term,
                voted_for=ctx.id if self_vote else None,
                leader=None,
                role=CANDIDATE,
                votes=frozenset({ctx.id}) if self_vote else frozenset(),
                next_index=(),
                match_index=(),
            )
            if m != "no_candidate_timer":
                self._arm_election(ctx)
            vote = RequestVote(term, ctx.id, state.last_index, state.last_term)
            for peer in self._peers(ctx):
                ctx.send(peer, vote)
            if self._elected(ctx, new.votes):
                new = self._become_leader(ctx, new)
            return self._persist(ctx, state, new)
        if timer == HEARTBEAT:  # Leaders 1: heartbeats during idle periods
            if state.role == LEADER:
                idle_quiet = self.config.mutant == "no_heartbeats"
                for peer in self._peers(ctx):
                    if idle_quiet and _get(state.next_index, peer) > state.last_index:
                        continue  # the mutant: nothing to send, so no heartbeat
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
            for peer in self._peers(ctx):
                self._send_append(ctx, new, peer)
            new = self._advance_commit(ctx, new)  # a single server commits alone
            return self._persist(ctx, state, new)
        return state

    def on_message(self, ctx: Context, state: RaftState, src: str, msg: Any) -> RaftState:
        """Handle the messages of Figure 2, InstallSnapshot (Figure 13) and client requests."""
        old = state
        if isinstance(msg, ClientRequest):
            return self._persist(ctx, old, self._on_client_request(ctx, state, src, msg))
        if not isinstance(msg, _SERVER_MESSAGES):
            raise ProtocolError(
                f"Raft server {ctx.id!r} received {msg!r} from {src!r}; it only understands "
                "RequestVote, RequestVoteReply, AppendEntries, AppendEntriesReply, "
                "InstallSnapshot, InstallSnapshotReply and ClientRequest"
            )
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
        elif isinstance(msg, InstallSnapshot):
            state = self._on_install_snapshot(ctx, state, msg)
        else:
            state = self._on_snapshot_reply(ctx, state, src, msg)
        return self._persist(ctx, old, state)

    def _on_request_vote(self, ctx: Context, state: RaftState, msg: RequestVote) -> RaftState:
        grant = self.vote_rule(state, msg)
        if grant and msg.term == state.current_term:
            state = replace(state, voted_for=msg.candidate_id)
            self._arm_election(ctx)
        # The reply carries currentTerm, so that a candidate of an earlier term learns of it.
        term = msg.term if self.config.mutant == "vote_in_old_term" else state.current_term
        ctx.send(msg.candidate_id, RequestVoteReply(term, grant))
        return state

    def _on_vote_reply(
        self, ctx: Context, state: RaftState, src: str, msg: RequestVoteReply
    ) -> RaftState:
        if state.role != CANDIDATE or msg.term != state.current_term or not msg.vote_granted:
            return state
        state = replace(state, votes=state.votes | {src})
        if self._elected(ctx, state.votes):  # Candidates 2: votes from a majority
            state = self._become_leader(ctx, state)
        return state

    def _on_append(self, ctx: Context, state: RaftState, msg: AppendEntries) -> RaftState:
        m = self.config.mutant
        if msg.term < state.current_term and m != "accept_stale_term":  # receiver 1
            ctx.send(msg.leader_id, AppendEntriesReply(state.current_term, False, round=msg.round))
            return state
        if state.role == CANDIDATE and m == "candidate_ignores_leader":
            return state  # Candidates 3 broken: it should become a follower
        if state.role != FOLLOWER:  # Candidates 3: a candidate of the same term steps down
            state = self._step_down(ctx, state, msg.term)
        if m != "no_reset_on_append":
            self._arm_election(ctx)  # Followers: heard from the current leader (Figure 2)
        state = replace(state, leader=msg.leader_id)
        new_log = self.append_rule(state, msg)
        if new_log is None:
            prev = msg.prev_log_index
            if prev > state.last_index:
                ct, first = 0, state.last_index + 1
            else:
                ct = state.term(prev)
                first = prev
                while first - 1 > state.snapshot_index and state.term(first - 1) == ct:
                    first -= 1
            reply = AppendEntriesReply(state.current_term, False, 0, ct, first, msg.round)
            ctx.send(msg.leader_id, reply)
            return state
        last_new = msg.prev_log_index + len(msg.entries)
        state = replace(state, log=new_log)
        commit = min(msg.leader_commit, last_new, state.last_index)  # receiver 5
        if commit > state.commit_index and m != "ignore_leader_commit":
            state = self._apply(ctx, replace(state, commit_index=commit))
        reply = AppendEntriesReply(state.current_term, True, last_new, round=msg.round)
        ctx.send(msg.leader_id, reply)
        return state

    def _on_append_reply(
        self, ctx: Context, state: RaftState, src: str, msg: AppendEntriesReply
    ) -> RaftState:
        if state.role != LEADER or msg.term != state.current_term:
            return state
        # Any reply of this term confirms that the follower still takes us for its leader.
        state = replace(state, acked=_put(state.acked, src, max(_get(state.acked, src), msg.round)))
        if msg.success:  # Leaders 3.1: update nextIndex and matchIndex
            old_match = _get(state.match_index, src)
            acked = (
                state.last_index if self.config.mutant == "match_leader_last" else msg.match_index
            )
            match = max(old_match, acked)
            nxt = max(_get(state.next_index, src), match + 1)
            state = replace(
                state,
                match_index=_put(state.match_index, src, match),
                next_index=_put(state.next_index, src, nxt),
            )
            if nxt <= state.last_index and msg.match_index - old_match >= MAX_BATCH:
                self._send_append(ctx, state, src)  # a full batch: send the next one now
            return self._advance_commit(ctx, state)
        if self.config.mutant == "no_backoff":  # Leaders 3.2 broken: nextIndex stays
            return self._serve_reads(ctx, state)
        if self.config.fast_backoff:  # Leaders 3.2: decrement nextIndex and retry
            nxt = msg.conflict_index
            if msg.conflict_term:
                last = [
                    state.snapshot_index + i + 1
                    for i, e in enumerate(state.log)
                    if e.term == msg.conflict_term
                ]
                if last:
                    nxt = last[-1] + 1
        else:
            nxt = _get(state.next_index, src) - 1
        old_next = _get(state.next_index, src)
        nxt = max(1, _get(state.match_index, src) + 1, min(nxt, state.last_index + 1))
        state = replace(state, next_index=_put(state.next_index, src, nxt))
        if nxt != old_next:  # else the same request would fail again: the heartbeat retries
            self._send_append(ctx, state, src)
        return self._serve_reads(ctx, state)

    def _on_install_snapshot(
        self, ctx: Context, state: RaftState, msg: InstallSnapshot
    ) -> RaftState:
        if msg.term < state.current_term:
            ctx.send(msg.leader_id, InstallSnapshotReply(state.current_term))
            return state
        if state.role != FOLLOWER:
            state = self._step_down(ctx, state, msg.term)
        self._arm_election(ctx)  # heard from the current leader
        state = replace(state, leader=msg.leader_id)
        snap = msg.snapshot
        if snap.last_index > state.commit_index:
            base = state.snapshot_index
            keep = (
                base < snap.last_index <= state.last_index
                and state.term(snap.last_index) == snap.last_term
            )
            state = replace(
                state,
                log=state.log[snap.last_index - base :] if keep else (),
                snapshot=snap,
                machine=snap.machine,
                sessions=snap.sessions,
                commit_index=snap.last_index,
                last_applied=snap.last_index,
            )
        ctx.send(msg.leader_id, InstallSnapshotReply(state.current_term, snap.last_index))
        return state

    def _on_snapshot_reply(
        self, ctx: Context, state: RaftState, src: str, msg: InstallSnapshotReply
    ) -> RaftState:
        if state.role != LEADER or msg.term != state.current_term:
            return state
        match = max(_get(state.match_index, src), msg.match_index)
        nxt = max(_get(state.next_index, src), match + 1)
        state = replace(
            state,
            match_index=_put(state.match_index, src, match),
            next_index=_put(state.next_index, src, nxt),
        )
        if nxt <= state.last_index:
            self._send_append(ctx, state, src)
        return self._advance_commit(ctx, state)

    def _on_client_request(
        self, ctx: Context, state: RaftState, src: str, msg: ClientRequest
    ) -> RaftState:
        if state.role != LEADER:
            ctx.send(src, ClientReply(msg.seq, False, None, state.leader))
            return state
        sessions_on = self.config.mutant != "no_sessions"
        last_seq, last_result = _session(state.sessions, msg.client)
        if sessions_on and msg.seq <= last_seq:
            if msg.seq == last_seq:  # applied already: answer again, do not apply again
                ctx.send(src, ClientReply(msg.seq, True, last_result, ctx.id))
            return state
        machine = self.config.machine
        if machine is not None and machine.read_only(msg.op):
            if self.config.mutant == "stale_reads":
                ctx.send(
                    src, ClientReply(msg.seq, True, machine.read(state.machine, msg.op), ctx.id)
                )
                return state
            rnd = state.round + 1
            read: Read = (msg.client, msg.seq, msg.op, rnd, -1)
            state = self._serve_reads(ctx, replace(state, round=rnd, reads=(*state.reads, read)))
            if state.reads:
                for peer in self._peers(ctx):
                    self._send_append(ctx, state, peer)
            return state
        if sessions_on and any(
            e.command == Command(msg.client, msg.seq, msg.op)
            for e in state.log[state.last_applied - state.snapshot_index :]
        ):
            return state  # in the log already, not applied yet: its reply will come
        # Leaders 2: append the command; the client's answer waits until it is applied.
        state = replace(
            state,
            log=(*state.log, Entry(state.current_term, Command(msg.client, msg.seq, msg.op))),
        )
        if self.config.mutant == "reply_before_commit":  # Leaders 2 broken: answer now
            result = machine.apply(state.machine, msg.op)[1] if machine else None
            ctx.send(src, ClientReply(msg.seq, True, result, ctx.id))
        for peer in self._peers(ctx):
            self._send_append(ctx, state, peer)
        return self._advance_commit(ctx, state)


_SERVER_MESSAGES = (
    RequestVote,
    RequestVoteReply,
    AppendEntries,
    AppendEntriesReply,
    InstallSnapshot,
    InstallSnapshotReply,
)


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


def _overlap(a: RaftState, b: RaftState, upto_a: int, upto_b: int) -> range:
    """The indices that both servers hold as log entries, up to ``upto_a`` and ``upto_b``."""
    return range(max(a.snapshot_index, b.snapshot_index) + 1, min(upto_a, upto_b) + 1)


def log_matching(state: Any) -> bool:
    """If two logs have an entry with the same index and term, they agree up to it (Figure 3).

    Compares the entries both servers still hold (not those in snapshots).

    Examples
    --------
    >>> a = RaftState(log=(Entry(1, "x"), Entry(2, "y")))
    >>> b = RaftState(log=(Entry(1, "z"), Entry(2, "y")))
    >>> log_matching({"s1": a, "s2": a}), log_matching({"s1": a, "s2": b})
    (True, False)
    """
    states = [s for _, s in sorted(_node_states(state).items())]
    for i, a in enumerate(states):
        for b in states[i + 1 :]:
            common = _overlap(a, b, a.last_index, b.last_index)
            for k in reversed(common):
                if a.term(k) == b.term(k):
                    if _slice(a, common.start, k) != _slice(b, common.start, k):
                        return False
                    break
    return True


def _slice(s: RaftState, lo: int, hi: int) -> Log:
    """The entries at indices ``lo..hi`` (all in the log, none in the snapshot)."""
    base = s.snapshot_index
    return s.log[lo - base - 1 : hi - base]


def state_machine_safety(state: Any) -> bool:
    """No two servers apply different entries at the same index (Figure 3).

    Compares the committed entries both servers still hold, and the state
    machines of servers that have applied the same prefix.

    Examples
    --------
    >>> a = RaftState(log=(Entry(1, "x"),), commit_index=1)
    >>> b = RaftState(log=(Entry(2, "y"),), commit_index=1)
    >>> state_machine_safety({"s1": a, "s2": a}), state_machine_safety({"s1": a, "s2": b})
    (True, False)
    """
    states = [s for _, s in sorted(_node_states(state).items())]
    if any(s.commit_index > s.last_index for s in states):
        return False  # a committed entry was cut from a log
    for i, a in enumerate(states):
        for b in states[i + 1 :]:
            common = _overlap(a, b, a.commit_index, b.commit_index)
            if common and _slice(a, common.start, common.stop - 1) != _slice(
                b, common.start, common.stop - 1
            ):
                return False
            if a.last_applied == b.last_applied and a.machine != b.machine:
                return False
    return True


def leader_completeness(state: Any) -> bool:
    """Every leader's log holds every entry committed (in an earlier or its own term).

    Checked against the committed entries known to servers that are not in a
    later term than the leader: a server of a later term may know of entries
    committed after the leader's term, which a stale leader rightly lacks.

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
            if other.current_term > s.current_term:
                continue  # it may know of entries committed after s's term (s is stale)
            # The committed entries of terms up to the leader's, from where both hold entries.
            lo = max(other.snapshot_index, s.snapshot_index) + 1
            hi = min(other.commit_index, other.last_index)
            while hi >= lo and other.term(hi) > s.current_term:
                hi -= 1
            if hi < lo:
                continue
            if hi > s.last_index or _slice(s, lo, hi) != _slice(other, lo, hi):
                return False
    return True


SAFETY_PROPERTIES = (election_safety, log_matching, state_machine_safety, leader_completeness)
"""The safety properties of Figure 3, each a function of a global state."""


# -- the rules of Figure 2 as invariants ----------------------------------------------------
def applied_within_commit(state: Any) -> bool:
    """Every server has ``lastApplied <= commitIndex`` (Figure 2, Rules for All Servers 1).

    Only committed entries may reach a state machine: an entry applied before it is
    committed may later be replaced.

    Examples
    --------
    >>> ok = RaftState(log=(Entry(1, "x"),), commit_index=1, last_applied=1)
    >>> early = RaftState(log=(Entry(1, "x"),), commit_index=0, last_applied=1)
    >>> applied_within_commit({"s1": ok}), applied_within_commit({"s1": early})
    (True, False)
    """
    return all(s.last_applied <= s.commit_index for s in _node_states(state).values())


def match_index_sound(state: Any) -> bool:
    """A leader's ``matchIndex[i]`` never claims more than follower ``i`` holds.

    While follower ``i`` is in the leader's term, it holds an entry at
    ``matchIndex[i]`` of the same term as the leader's entry there (Figure 2,
    Rules for Leaders 3.1: matchIndex is what the follower acknowledged). The
    commit rule counts these indices, so one that overclaims commits entries
    that no majority holds.

    Examples
    --------
    >>> leader = RaftState(current_term=1, role="leader", log=(Entry(1, "x"),),
    ...                    match_index=(("s2", 1),))
    >>> match_index_sound({"s1": leader, "s2": RaftState(current_term=1)})
    False
    >>> match_index_sound({"s1": leader, "s2": RaftState(current_term=1, log=(Entry(1, "x"),))})
    True
    """
    states = _node_states(state)
    for s in states.values():
        if s.role != LEADER:
            continue
        for peer, match in s.match_index:
            f = states.get(peer)
            if f is None or f.current_term != s.current_term or match == 0:
                continue
            if match > f.last_index:
                return False
            if match > max(f.snapshot_index, s.snapshot_index) and f.term(match) != s.term(match):
                return False
    return True


RULE_INVARIANTS = (applied_within_commit, match_index_sound)
"""Rules of Figure 2 that are properties of one global state (beside ``SAFETY_PROPERTIES``)."""

STEP_PROPERTIES: dict[str, str] = {
    "committed_entries_stable": "once a server has committed index i, its entry there never "
    "changes or disappears (but into its snapshot), and every server that commits i "
    "commits the same entry",
    "commit_index_monotonic": "commitIndex never decreases while a server is up "
    "(it is volatile: a restart starts it again from the snapshot)",
    "term_monotonic": "currentTerm never decreases, not even across a restart (it is persistent)",
    "one_vote_per_term": "a server never votes for two candidates in one term, "
    "not even across a restart",
    "one_leader_per_term": "at most one server is ever leader in a term (Election Safety over "
    "the whole run, not just at one moment)",
    "leader_append_only": "a leader never overwrites or deletes entries in its log, only "
    "appends (Figure 3, Leader Append-Only)",
}
"""Properties of a run, not of a state: each compares a server's state with its earlier ones.
``StepMonitor`` checks them at every step of a run."""


class StepMonitor:
    """Check ``STEP_PROPERTIES`` on a run, one state change at a time.

    Feed it every new state of every server in order (``observe``), or a whole
    simulation trace (``check_trace``); ``violations`` maps each property that
    failed to the time it first failed.

    Notes
    -----
    "An entry, once committed at any server, never changes or disappears at any
    server" is too strong for Raft: a server may hold a copy of an entry that
    is committed elsewhere without knowing it, and a stale leader of an earlier
    term may still make it drop that copy. What Raft guarantees, and what
    ``committed_entries_stable`` checks, is that a server never loses what *it*
    has committed, and that all servers commit the same entry at each index
    (Figure 3, State Machine Safety). Each observation costs time linear in the
    entries that changed, so the monitor can check every step of a long run.

    References
    ----------
    D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus
    Algorithm (Extended Version)", 2014: Figure 2 (the rules), Figure 3 (the
    properties).

    Examples
    --------
    >>> m = StepMonitor()
    >>> m.observe("s1", RaftState(current_term=2, log=(Entry(1, "x"),), commit_index=1))
    >>> m.observe("s1", RaftState(current_term=1, log=(Entry(1, "y"),), commit_index=1), time=5.0)
    >>> sorted(m.violations.items())
    [('committed_entries_stable', 5.0), ('term_monotonic', 5.0)]
    """

    def __init__(self) -> None:
        self.violations: dict[str, float] = {}
        self._last: dict[str, RaftState] = {}
        self._committed: dict[int, Entry] = {}
        self._high: dict[str, int] = {}  # the highest index each server has committed
        self._votes: dict[tuple[str, int], str] = {}
        self._leaders: dict[int, str] = {}

    def _fail(self, name: str, time: float) -> None:
        self.violations.setdefault(name, time)

    def observe(
        self, node: str, state: RaftState, time: float = 0.0, restarted: bool = False
    ) -> None:
        """Check the step from ``node``'s previous state to ``state``.

        Parameters
        ----------
        node : str
            The server.
        state : RaftState
            Its new state.
        time : float, default 0.0
            When (recorded with a violation).
        restarted : bool, default False
            The server has just restarted: its volatile state starts anew.

        Raises
        ------
        TypeError
            If ``state`` is not a ``RaftState``.
        """
        if not isinstance(state, RaftState):
            raise TypeError(f"StepMonitor.observe: state must be a RaftState, got {state!r}")
        before = self._last.get(node)
        self._last[node] = state
        if before is not None:
            if state.current_term < before.current_term:
                self._fail("term_monotonic", time)
            if not restarted and state.commit_index < before.commit_index:
                self._fail("commit_index_monotonic", time)
            if (
                not restarted
                and before.role == LEADER
                and state.role == LEADER
                and state.current_term == before.current_term
                and state.log is not before.log
            ):
                lo = state.snapshot_index
                if (
                    state.last_index < before.last_index
                    or _slice(state, lo + 1, before.last_index)
                    != before.log[lo - before.snapshot_index :]
                ):
                    self._fail("leader_append_only", time)
        if state.voted_for is not None:
            voted = self._votes.setdefault((node, state.current_term), state.voted_for)
            if voted != state.voted_for:
                self._fail("one_vote_per_term", time)
        if state.role == LEADER and self._leaders.setdefault(state.current_term, node) != node:
            self._fail("one_leader_per_term", time)
        self._check_committed(node, state, before, time)

    def _check_committed(
        self, node: str, state: RaftState, before: RaftState | None, time: float
    ) -> None:
        old_high = self._high.get(node, 0)
        high = max(old_high, state.commit_index)
        self._high[node] = high
        if high > state.last_index:
            self._fail("committed_entries_stable", time)  # committed entries were cut
            high = state.last_index
        base = state.snapshot_index
        start = base + 1
        if (
            before is not None
            and state.snapshot is before.snapshot
            and state.log[: len(before.log)] == before.log
        ):
            start = max(start, old_high + 1)  # only appended: what was checked is unchanged
        for i in range(start, high + 1):
            entry = state.log[i - base - 1]
            if self._committed.setdefault(i, entry) != entry:
                self._fail("committed_entries_stable", time)
                return

    def check_trace(self, trace: Any) -> dict[str, float]:
        """Observe every state a simulation ``Trace`` recorded; return ``violations``.

        Examples
        --------
        >>> from dslib.sim import Simulation
        >>> sim = Simulation(raft_system(3), seed=1).run(until=1000)
        >>> StepMonitor().check_trace(sim.trace)
        {}
        """
        for e in trace.entries:
            kind = e[1]
            if kind in ("state", "init", "restart") and isinstance(e[4], RaftState):
                self.observe(e[2], e[4], e[0], restarted=kind != "state")
        return self.violations
