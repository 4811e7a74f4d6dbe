"""How we know Raft is right: the checks of chapter 15, and the mutants they catch.

``dslib.raft.MUTANTS`` has a broken version of Raft for every rule of Figure 2
of the paper (and two of section 8); ``MUTANT_RULES`` names the rule each breaks.
Each check takes a ``RaftConfig`` (correct, or with a ``mutant``). The
deterministic ones (``CHECKS``) give the same verdict on every run:

- ``model_check``: explicit-state model checking of 3 servers (terms up to 2,
  one command, a duplicating and reordering network, one crash) for the four
  properties of Figure 3 and ``RULE_INVARIANTS``; the counterexample's length
  is its number of steps;
- ``z3_proof``: election safety and log matching proved inductive with z3 for
  any number of servers (``dslib.verify.raft_election``, ``raft_log``);
- executions written by hand (``Scripted``), judged by every property at every
  step (``Scripted.broken``) and by whether they made progress: ``figure8``
  (the paper's Figure 8), ``stale_tail`` (a follower with a deposed leader's
  entries, then that leader's heartbeat), ``stale_vote`` (a RequestVote of an
  earlier term arrives late), ``deposed_leader`` (a replaced leader gets a
  read and a write), ``catch_up`` (a lagging follower is brought up to date,
  then restarts) and ``split_vote``;
- ``search_schedules``: hypothesis draws fault schedules (crashes, partitions
  of every shape, loss and duplication bursts) for a smaller store, looking for
  one under which it fails (``detail`` shows the schedule).

The seeded ones (``SEEDED_CHECKS``) run once per seed:

- ``nemesis_run``: the key-value store (``run_kv``) under crashes, message
  loss, duplication and reordering, with the leader and a client cut off from
  the rest for 700 ms; linearizability, lost and doubled appends, Figure 3's
  properties and ``RULE_INVARIANTS`` every 20 ms, ``STEP_PROPERTIES`` at every
  step (``nemesis_runs`` runs 16 seeds and stops at the first that fails);
- ``progress_run``: liveness after benign faults (a leader is elected, every
  operation completes, no needless election, every server catches up).

A check catches a mutant *reliably* if it fails deterministically, or on at
least 90 % of the seeds (``CatchRate.reliable``). ``catch_rates`` and
``catch_table`` measure it; ``MUTANTS_TABLE`` lists every mutant with the checks
that catch it reliably (``benchmarks/bench_raft_mutants.py`` checks the whole
table over 50 seeds).

References
----------
D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm
(Extended Version)", 2014: Figure 2 (the rules), Figure 3 (the properties),
section 5.4.2 and Figure 8, section 8 (clients).

Examples
--------
>>> figure8(RaftConfig()).ok, figure8(RaftConfig(mutant="commit_old_terms")).ok
(True, False)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from dslib.check import ActorModel, CheckResult, check
from dslib.core import NOTHING_PERSISTED, Context
from dslib.errors import HandlerError
from dslib.mutants import Mutant, Outcome, outcome_of
from dslib.raft.core import (
    MUTANT_RULES,
    MUTANTS,
    RULE_INVARIANTS,
    SAFETY_PROPERTIES,
    AppendEntries,
    ClientReply,
    ClientRequest,
    Command,
    Entry,
    RaftConfig,
    RaftNode,
    RaftState,
    RequestVote,
    StepMonitor,
    raft_system,
)
from dslib.raft.kv import KVMachine, run_kv
from dslib.sim import (
    Crash,
    Nemesis,
    Network,
    NetworkChange,
    RandomNemesis,
    Restart,
    uniform,
)
from dslib.testing.executors import Executor, map_seeds

__all__ = [
    "CHECKS",
    "FIGURE8_CONFIG",
    "INVARIANTS",
    "MUTANTS_TABLE",
    "NEMESIS_OPTIONS",
    "PROGRESS_FAULTS",
    "RELIABLE",
    "SEEDED_CHECKS",
    "CatchRate",
    "ScriptStuck",
    "Scripted",
    "catch_rates",
    "catch_table",
    "catch_up",
    "catch_up_run",
    "deposed_leader",
    "deposed_leader_run",
    "fault_schedule_strategy",
    "figure8",
    "figure8_a",
    "figure8_b",
    "figure8_c",
    "figure8_d",
    "figure8_run",
    "figure8_start",
    "model_check",
    "nemesis_run",
    "nemesis_runs",
    "progress_run",
    "run_schedule",
    "search_schedules",
    "split_vote",
    "split_vote_run",
    "stale_tail",
    "stale_tail_run",
    "stale_vote",
    "stale_vote_run",
    "z3_proof",
]

INVARIANTS = (*SAFETY_PROPERTIES, *RULE_INVARIANTS)
"""The properties of Figure 3 and the rules of Figure 2 that are properties of a state
(``RULE_INVARIANTS``), as functions of a global state."""


# -- model checking ------------------------------------------------------------------------
def model_check(config: RaftConfig, max_states: int = 15000) -> CheckResult:
    """Model-check 3 servers with ``config`` (terms up to 2, command "x", one crash).

    The network may reorder, lose and duplicate messages; any timer may fire
    at any time; one server may crash and restart from what it persisted.
    Symmetry (the servers are interchangeable) shrinks the state space.

    Examples
    --------
    >>> r = model_check(RaftConfig(mutant="vote_without_log_check"))
    >>> r.ok, r.property, len(r.counterexample.actions)
    (False, 'leader_completeness', 8)
    """
    cfg = replace(config, max_term=2, commands=("x",))
    ids = ["s1", "s2", "s3"]
    model = ActorModel(raft_system(3, cfg), duplicating=True, symmetric=ids, max_crashes=1)
    return check(model, invariants=list(INVARIANTS), max_states=max_states)


# -- scripted scenarios --------------------------------------------------------------------
class ScriptStuck(AssertionError):
    """A script cannot go on: a server did not do what the next step needs (e.g. win an
    election). For correct Raft that is a bug of the script; for a mutant, a lack of progress.
    """


class Scripted:
    """Run Raft servers by hand: the script says which message is delivered when.

    Parameters
    ----------
    node : RaftNode
        The server (its configuration: mutant, no-op).
    n : int
        How many servers (``s1`` .. ``sn``).
    clients : sequence of str, optional
        Clients that send requests (``request``); give ``config.servers`` too.

    Examples
    --------
    >>> h = Scripted(RaftNode(RaftConfig(noop=False)), 3)
    >>> h.elect("s2", ("s1", "s3"), term=1)
    >>> h.states["s2"].role, h.states["s1"].voted_for
    ('leader', 's2')
    """

    def __init__(self, node: RaftNode, n: int, clients: Sequence[str] = ()) -> None:
        self.node = node
        self.ids = tuple(f"s{i}" for i in range(1, n + 1))
        self.nodes = (*self.ids, *clients)  # clients receive answers (see ``answers``)
        self.states = {i: node.init(Context(i, self.nodes)) for i in self.ids}
        self.up = set(self.ids)
        self.inflight: list[tuple[str, str, object]] = []
        self.steps = 0
        """How many events the script has run (timers fired, messages delivered, appends)."""
        self.monitor = StepMonitor()
        """Checks ``STEP_PROPERTIES`` at every step of the script."""
        self.durable: dict[str, Any] = {}
        """What each server has persisted (what it restarts from)."""

    def _run(self, node_id: str, call: Callable[[Context, RaftState], RaftState]) -> None:
        self.steps += 1
        c = Context(node_id, self.nodes)
        self.states[node_id] = call(c, self.states[node_id])
        if c.persisted is not NOTHING_PERSISTED:
            self.durable[node_id] = c.persisted
        self.monitor.observe(node_id, self.states[node_id], self.steps)
        self.inflight += [(node_id, dst, m) for dst, m in c.sent]

    def restart(self, node_id: str) -> None:
        """``node_id`` crashes and restarts from what it persisted; its messages in flight
        are lost."""
        self.steps += 1
        self.inflight = [x for x in self.inflight if node_id not in x[:2]]
        c = Context(node_id, self.nodes)
        durable = self.durable.get(node_id, NOTHING_PERSISTED)
        self.states[node_id] = self.node.on_recover(c, durable)
        self.monitor.observe(node_id, self.states[node_id], self.steps, restarted=True)
        self.up.add(node_id)

    def request(self, node_id: str, client: str, seq: int, op: Any) -> None:
        """``client`` sends ``node_id`` a request; the answer, if any, goes in flight."""
        msg = ClientRequest(client, seq, op)
        self._run(node_id, lambda c, s: self.node.on_message(c, s, client, msg))

    def answers(self, client: str) -> list[ClientReply]:
        """The answers in flight to ``client``, in the order they were sent."""
        return [m for _, dst, m in self.inflight if dst == client and isinstance(m, ClientReply)]

    def broken(self) -> list[str]:
        """The properties that failed: ``INVARIANTS`` at the end, ``STEP_PROPERTIES`` at any step.

        Examples
        --------
        >>> h = Scripted(RaftNode(RaftConfig(noop=False)), 3)
        >>> h.elect("s1", ("s2",), term=1)
        >>> h.broken()
        []
        """
        bad = [p.__name__ for p in INVARIANTS if not p(self.states)]
        return bad + sorted(self.monitor.violations)

    def fire(self, node_id: str, timer: str) -> None:
        """Fire ``timer`` at ``node_id`` (its messages go in flight)."""
        self._run(node_id, lambda c, s: self.node.on_timer(c, s, timer))

    def deliver_all(self, src: str, dsts: Sequence[str], kind: type) -> None:
        """Deliver the messages of ``kind`` in flight from ``src`` to ``dsts``, then the replies."""
        todo = [x for x in self.inflight if x[0] == src and x[1] in dsts and isinstance(x[2], kind)]
        for item in todo:
            self._deliver(item)
        for item in [x for x in self.inflight if x[1] == src and x[0] in dsts]:
            self._deliver(item)

    def _deliver(self, item: tuple[str, str, object]) -> None:
        self.inflight.remove(item)
        src, dst, msg = item
        if dst in self.up:
            self._run(dst, lambda c, st: self.node.on_message(c, st, src, msg))

    def elect(self, cand: str, voters: Sequence[str], term: int) -> None:
        """Make ``cand`` leader of ``term`` with the votes of ``voters``."""
        st = self.states[cand]
        self.states[cand] = replace(st, current_term=term - 1, role="follower")
        self.fire(cand, "election")
        self.deliver_all(cand, voters, RequestVote)
        if self.states[cand].role != "leader":
            raise ScriptStuck(f"{cand} did not win term {term} with the votes of {voters}")
        self.inflight = [x for x in self.inflight if x[0] != cand]  # drop the first heartbeats

    def replicate(self, leader: str, to: Sequence[str]) -> None:
        """A heartbeat from ``leader`` to ``to``, with rounds enough for the back-off."""
        self.fire(leader, "heartbeat")
        for _ in range(3):
            self.deliver_all(leader, to, AppendEntries)
        self.inflight = [x for x in self.inflight if x[0] != leader]

    def append(self, node_id: str, command: object) -> None:
        """``node_id`` (a leader) appends ``command`` to its log and tells nobody yet."""
        s = self.states[node_id]
        self.states[node_id] = replace(s, log=(*s.log, Entry(s.current_term, command)))
        self.steps += 1
        self.monitor.observe(node_id, self.states[node_id], self.steps)


FIGURE8_CONFIG = RaftConfig(commands=("a", "b", "c", "d"), noop=False)
"""Figure 8's servers: no no-op (so the indices are the paper's); ``commands`` stand in for
clients (a leader proposes the next one its log lacks when its ``propose`` timer fires)."""


def figure8_start(h: Scripted) -> None:
    """Term 1: S1 leads and copies "a" everywhere."""
    h.elect("s1", ("s2", "s3"), term=1)
    h.fire("s1", "propose")
    h.replicate("s1", ("s2", "s3", "s4", "s5"))


def figure8_a(h: Scripted) -> None:
    """(a) S1 leads term 2 and copies its entry 2 to S2 only."""
    h.elect("s1", ("s2", "s3"), term=2)
    h.fire("s1", "propose")
    h.replicate("s1", ("s2",))


def figure8_b(h: Scripted) -> None:
    """(b) S1 crashes; S5 wins term 3 with the votes of S3 and S4 and appends entry 2."""
    h.up.discard("s1")
    h.elect("s5", ("s3", "s4"), term=3)
    h.append("s5", "c")


def figure8_c(h: Scripted) -> None:
    """(c) S5 crashes; S1 restarts, wins term 4 and copies its entry 2 to S3."""
    h.up.discard("s5")
    h.up.add("s1")
    h.elect("s1", ("s2", "s3"), term=4)
    h.replicate("s1", ("s2", "s3"))


def figure8_d(h: Scripted) -> None:
    """(d) S1 crashes; S5 restarts and wins term 5 with the votes of S2, S3 and S4."""
    h.up.discard("s1")
    h.up.add("s5")
    h.elect("s5", ("s2", "s3", "s4"), term=5)
    h.fire("s5", "propose")
    h.replicate("s5", ("s2", "s3", "s4"))


def figure8_run(config: RaftConfig) -> Scripted:
    """The scenario of Figure 8 of the paper, ending with S5 leader of term 5.

    ``config`` gives the mutant; the stages are ``figure8_start`` and
    ``figure8_a`` to ``figure8_d``. (a) S1 leads term 2 and copies entry 2 to
    S2 only. (b) S1 crashes; S5 wins term 3 with the votes of S3, S4 and itself,
    and appends an entry at index 2. (c) S5 crashes; S1 restarts, wins term 4
    and copies its term-2 entry to S3: it is on a majority now. (d) S1 crashes;
    S5 wins term 5 (S2, S3 and S4 vote: its last term, 3, beats their 2) and
    overwrites index 2 everywhere. If S1 had committed the term-2 entry in (c)
    by counting replicas, it would now be applied at S1 and replaced at the others.
    """
    h = Scripted(RaftNode(replace(FIGURE8_CONFIG, mutant=config.mutant)), 5)
    for stage in (figure8_start, figure8_a, figure8_b, figure8_c, figure8_d):
        stage(h)
    return h


def _verdict(h: Scripted, progress: str = "") -> Outcome:
    """The outcome of a script: the properties it broke, and ``progress`` (what did not
    happen that should have, if anything)."""
    bad = h.broken() + ([progress] if progress else [])
    return Outcome(not bad, h.steps if bad else None, "broke " + ", ".join(bad) if bad else "")


def _scripted(
    run: Callable[[RaftConfig], Scripted],
    config: RaftConfig,
    done: Callable[[Scripted], str] = lambda h: "",
) -> Outcome:
    """Run a script and judge it (``_verdict``); a script that gets stuck has not progressed."""
    try:
        h = run(config)
    except ScriptStuck as stuck:
        return Outcome(False, None, f"progress: {stuck}")
    return _verdict(h, done(h))


def figure8(config: RaftConfig) -> Outcome:
    """Figure 8 by hand: every invariant after S5 overwrote index 2 (``Scripted.broken``).

    Examples
    --------
    >>> figure8(RaftConfig(mutant="commit_old_terms")).detail
    'broke state_machine_safety, leader_completeness, committed_entries_stable'
    """
    return _scripted(figure8_run, config)


def stale_tail_run(config: RaftConfig) -> Scripted:
    """A follower with an old leader's uncommitted tail gets a shorter AppendEntries.

    S1 leads term 1 and copies "a" everywhere (committed), then "b" and "c"
    to S2 only. S3 wins term 2 with the votes of S4 and S5, appends "x" and
    sends it to S2 after "a". S2 must drop "b" and "c"; if it overwrites "b"
    but keeps "c", S2 and S1 both hold entry 3 of term 1 with different
    entries before it: log matching fails. S4 learns that "x" is committed. Last, S1, which
    still believes it
    leads term 1, sends S4 a heartbeat with "b" and "c"; S4 must refuse it
    (Figure 2, AppendEntries receiver 1), or it replaces the committed "x".
    """
    h = Scripted(RaftNode(replace(config, noop=False)), 5)
    h.elect("s1", ("s2", "s3", "s4", "s5"), 1)
    h.append("s1", "a")
    h.replicate("s1", ("s2", "s3", "s4", "s5"))
    h.append("s1", "b")
    h.append("s1", "c")
    h.replicate("s1", ("s2",))
    h.elect("s3", ("s4", "s5"), 2)
    h.append("s3", "x")
    h.replicate("s3", ("s2", "s4", "s5"))
    h.replicate("s3", ("s4",))  # S4 learns that "x" is committed
    h.fire("s1", "heartbeat")  # S1 still thinks it leads term 1
    h.deliver_all("s1", ("s4",), AppendEntries)
    return h


def stale_tail(config: RaftConfig) -> Outcome:
    """The stale-tail scenario: every invariant (``Scripted.broken``).

    Examples
    --------
    >>> stale_tail(RaftConfig(mutant="keep_conflicts")).detail
    'broke log_matching'
    """
    return _scripted(stale_tail_run, config)


def catch_up_run(config: RaftConfig) -> Scripted:
    """A follower that missed a leader's entries catches up with the next leader.

    Three servers. S1 leads term 1 and copies "a" and "b" to S2 only (S3 is
    behind), then crashes. S2 wins term 2 with S3's vote, appends "x", and
    sends heartbeats to S3. S3 lacks entries 1 and 2, so the first
    AppendEntries fails; S2 must back ``nextIndex`` off and send from entry 1
    (Figure 2, Rules for Leaders 3 and 3.2). Then "x" is on S2 and S3, a
    majority, and one more heartbeat tells S3 that it is committed. Last, S3
    restarts from what it persisted (Figure 2, Persistent state) and hears
    from S2 again.
    """
    h = Scripted(RaftNode(replace(config, noop=False)), 3)
    h.elect("s1", ("s2",), 1)
    h.append("s1", "a")
    h.append("s1", "b")
    h.replicate("s1", ("s2",))
    h.up.discard("s1")
    h.elect("s2", ("s3",), 2)
    h.append("s2", "x")
    h.replicate("s2", ("s3",))
    h.replicate("s2", ("s3",))
    h.restart("s3")
    h.replicate("s2", ("s3",))
    return h


def catch_up(config: RaftConfig) -> Outcome:
    """The catch-up scenario: every invariant, and progress: S3 holds S2's log and both
    have committed "x".

    Examples
    --------
    >>> catch_up(RaftConfig()).ok, catch_up(RaftConfig(mutant="no_backoff")).ok
    (True, False)
    """

    def done(h: Scripted) -> str:
        s2, s3 = h.states["s2"], h.states["s3"]
        ok = s3.log == s2.log and s2.commit_index == s3.commit_index == 3
        return "" if ok else "progress: S3 did not catch up and commit"

    return _scripted(catch_up_run, config, done)


def split_vote_run(config: RaftConfig) -> Scripted:
    """A split vote: the losing candidate must follow the winner.

    Three servers. S1 and S2 time out together and both stand in term 1; S3
    votes for S1, which wins. S3 then crashes, so S1 can commit only with S2,
    which is still a candidate of term 1 when S1's AppendEntries with "a"
    reaches it. It must become S1's follower and accept the entry (Figure 2,
    Rules for Candidates 3); then S1 commits "a".
    """
    h = Scripted(RaftNode(replace(config, noop=False)), 3)
    h.fire("s1", "election")
    h.fire("s2", "election")
    h.deliver_all("s1", ("s3",), RequestVote)
    h.up.discard("s3")
    h.inflight = [x for x in h.inflight if x[0] == "s1" and not isinstance(x[2], RequestVote)]
    h.append("s1", "a")
    h.replicate("s1", ("s2",))
    return h


def split_vote(config: RaftConfig) -> Outcome:
    """The split-vote scenario: every invariant, and progress: S1 leads and has committed "a".

    Examples
    --------
    >>> split_vote(RaftConfig()).ok, split_vote(RaftConfig(mutant="candidate_ignores_leader")).ok
    (True, False)
    """

    def done(h: Scripted) -> str:
        s1 = h.states["s1"]
        ok = s1.role == "leader" and s1.commit_index == 1
        return "" if ok else "progress: S1 did not commit with S2"

    return _scripted(split_vote_run, config, done)


def deposed_leader_run(config: RaftConfig) -> Scripted:
    """A leader that has been replaced, unknowingly, gets a read and a write.

    Three servers and the key-value store. S1 leads term 1 and commits
    client c1's ``put x 1``. Then S1 is cut off: S2 wins term 2 with S3's vote
    and commits c2's ``put x 2``. c1 now asks S1, which still believes it leads,
    to read ``x`` and to append to ``a``. S1 must confirm its leadership with a
    majority before it answers the read (section 8), and answer the write only
    once it is applied (Figure 2, Rules for Leaders 2); when S1's messages
    arrive, S2 and S3 refuse them, and S1 steps down without answering.
    """
    kv = replace(config, noop=False, machine=KVMachine(), servers=("s1", "s2", "s3"))
    h = Scripted(RaftNode(kv), 3, clients=("c1", "c2"))
    h.elect("s1", ("s2", "s3"), 1)
    h.request("s1", "c1", 1, ("put", "x", 1))
    h.replicate("s1", ("s2", "s3"))
    h.replicate("s1", ("s2", "s3"))
    h.inflight = [x for x in h.inflight if x[0] != "s1"]  # S1 is cut off from here on
    h.elect("s2", ("s3",), 2)
    h.request("s2", "c2", 1, ("put", "x", 2))
    h.replicate("s2", ("s3",))
    h.replicate("s2", ("s3",))
    h.request("s1", "c1", 2, ("get", "x", None))
    h.request("s1", "c1", 3, ("append", "a", ("z",)))
    h.deliver_all("s1", ("s2", "s3"), AppendEntries)  # the partition heals
    return h


def deposed_leader(config: RaftConfig) -> Outcome:
    """The deposed-leader scenario: every invariant, and what c1 was told: a read of ``x``
    must not return 1 (``put x 2`` completed before the read began: a stale read), and a
    write acknowledged must be in S2's committed log (else it is lost).

    Examples
    --------
    >>> deposed_leader(RaftConfig()).ok, deposed_leader(RaftConfig(mutant="stale_reads")).detail
    (True, 'broke linearizability: c1 read a stale x')
    """

    def done(h: Scripted) -> str:
        bad = []
        committed = h.states["s2"].log[: h.states["s2"].commit_index]
        for reply in h.answers("c1"):
            if reply.ok and reply.seq == 2 and reply.result != 2:
                bad.append("c1 read a stale x")
            if (
                reply.ok
                and reply.seq == 3
                and not any(
                    e.command == Command("c1", 3, ("append", "a", ("z",))) for e in committed
                )
            ):
                bad.append("c1's acknowledged append is lost")
        return "linearizability: " + ", ".join(bad) if bad else ""

    return _scripted(deposed_leader_run, config, done)


def stale_vote_run(config: RaftConfig) -> Scripted:
    """A RequestVote of an earlier term reaches a server that has moved on.

    Three servers. S1 leads term 1 and copies "a" to S2. S3 stands in terms 1
    and 2 and loses (its log is behind), but S1 and S2 adopt term 2. S1 and S2
    both stand in term 3; S3 votes for S1, which leads term 3. S3 stands in
    term 4: S1 adopts it but refuses its vote, so S1 has not voted in term 4.
    Then S2's RequestVote of term 3 reaches S1. S1 must reply false (Figure 2,
    RequestVote receiver 1): it no longer knows whom it voted for in term 3
    (itself). If it grants the vote, S2 leads term 3 too. (S1's messages to S2 in
    term 3 are lost, so S2 is still a candidate of term 3 when the answer comes.)
    """
    h = Scripted(RaftNode(replace(config, noop=False)), 3)
    h.elect("s1", ("s2",), 1)
    h.append("s1", "a")
    h.replicate("s1", ("s2",))
    h.fire("s3", "election")
    h.fire("s3", "election")
    h.deliver_all("s3", ("s1", "s2"), RequestVote)
    h.fire("s1", "election")
    h.fire("s2", "election")
    h.deliver_all("s1", ("s3",), RequestVote)
    h.fire("s3", "election")
    h.deliver_all("s3", ("s1",), RequestVote)
    h.inflight = [x for x in h.inflight if x[:2] != ("s1", "s2")]  # lost: S2 stays a candidate
    h.deliver_all("s2", ("s1",), RequestVote)
    return h


def stale_vote(config: RaftConfig) -> Outcome:
    """The stale-vote scenario: every invariant (``one_leader_per_term`` in particular).

    Examples
    --------
    >>> stale_vote(RaftConfig()).ok, stale_vote(RaftConfig(mutant="vote_in_old_term")).detail
    (True, 'broke one_leader_per_term')
    """
    return _scripted(stale_vote_run, config)


# -- z3 ------------------------------------------------------------------------------------
def z3_proof(config: RaftConfig) -> Outcome:
    """Prove election safety and log matching inductive (``dslib.verify``) for the model
    of ``config``: a mutant that the z3 models can express (``forget_vote``,
    ``keep_conflicts``) is proved with its bug; any other is proved as correct Raft
    (the models abstract the rest away, so they cannot catch it).

    A counterexample to induction is one step from a state that need not be
    reachable, not an execution, so the outcome has no counterexample length;
    ``detail`` names every (conjunct, action) check that fails.
    """
    from dslib.verify import check_inductive
    from dslib.verify import raft_election as election
    from dslib.verify import raft_log as log

    m = config.mutant
    proofs = [
        (election.raft_election(forget_votes=m == "forget_vote"), election.INVARIANT),
        (log.raft_log(keep_conflicts=m == "keep_conflicts"), log.INVARIANT),
    ]
    failing: list[Any] = []
    for system, invariant in proofs:
        failing += check_inductive(system, invariant).failing
    if not failing:
        return Outcome(True)
    return Outcome(False, None, "fails: " + ", ".join(f"{c} after {a}" for c, a in failing))


# -- the store under faults ----------------------------------------------------------------
def nemesis_run(config: RaftConfig, seed: int, ops: int = 40) -> Outcome:
    """The key-value store under faults (``NEMESIS_OPTIONS``) for one seed.

    The run fails if the history is not linearizable, an acknowledged append
    is lost or one is doubled, or a property breaks: Figure 3's and
    ``RULE_INVARIANTS`` every 20 ms, ``STEP_PROPERTIES`` at every step.

    Examples
    --------
    >>> nemesis_run(RaftConfig(), seed=0).ok
    True
    """
    cfg = replace(config, snapshot_every=10)
    try:
        run = run_kv(seed, ops=ops, config=cfg, shrink=False, **NEMESIS_OPTIONS)
    except HandlerError as err:  # a server's code failed: the store is down
        return Outcome(False, None, f"seed {seed}: {str(err).splitlines()[0]}")
    ok = run.verdict == "ok"
    return Outcome(ok, None, "" if ok else f"seed {seed}: {run.verdict}")


PROGRESS_FAULTS = (
    (0.0, Crash("s3")),
    (0.0, NetworkChange(loss=1.0)),
    (600.0, NetworkChange()),
    (1500.0, Restart("s3")),
)
"""The benign faults of ``progress_run``: S3 is down for 1.5 s, and for the first 0.6 s every
message is lost, so every live server times out, stands, and gets no answer."""


def progress_run(config: RaftConfig, seed: int) -> Outcome:
    """Liveness: the store makes progress once benign faults end, for one seed.

    Three servers, two clients with 10 operations each, ``PROGRESS_FAULTS``;
    the run lasts 4.5 s. It passes if (1) a leader is elected by 1.4 s, 0.8 s
    after the loss ends, although S3 is still down; (2) every client operation
    completes; (3) no server stands for election after 2 s (a stable leader
    and no faults: an election then is needless); (4) at the end every server
    holds the leader's log and has applied all of it; and the run is safe
    (``KVRun.verdict``). A liveness mutant breaks no safety property, and this
    is the check that sees it.

    Examples
    --------
    >>> progress_run(RaftConfig(), seed=0).ok
    True
    >>> progress_run(RaftConfig(mutant="no_self_vote"), seed=0).detail
    'seed 0: no leader by 1400 ms'
    """
    try:
        run = run_kv(
            seed,
            servers=3,
            clients=2,
            ops=10,
            nemesis=Nemesis(list(PROGRESS_FAULTS)),
            config=config,
            settle=3000.0,
            shrink=False,
            think=20.0,
            timeout=40.0,
            give_up=4000.0,
        )
    except HandlerError as err:  # a server's code failed: no progress
        return Outcome(False, None, f"seed {seed}: {str(err).splitlines()[0]}")
    changes = [e for e in run.sim.trace.of_kind("state") if isinstance(e.data, RaftState)]
    elected = any(e.time <= 1400.0 and e.data.role == "leader" for e in changes)
    late = [e for e in changes if e.time > 2000.0 and e.data.role == "candidate"]
    states = [s for n, s in sorted(run.sim.states.items()) if isinstance(s, RaftState)]
    top = max(states, key=lambda s: (s.current_term, s.role == "leader"))
    synced = all(s.log == top.log and s.last_applied == s.last_index for s in states)
    problems = [
        "" if elected else "no leader by 1400 ms",
        f"{run.ops['info']} operations unfinished" if run.ops["info"] else "",
        f"an election at {late[0].time:.0f} ms" if late else "",
        "" if synced else "the servers did not converge",
        "" if run.verdict == "ok" else run.verdict,
    ]
    bad = [p for p in problems if p]
    return Outcome(not bad, None, f"seed {seed}: " + "; ".join(bad) if bad else "")


def nemesis_runs(
    config: RaftConfig,
    seeds: Sequence[int] = range(16),
    ops: int = 40,
    executor: Executor = None,
) -> Outcome:
    """The key-value store under faults for each seed; fails at the first seed that fails.

    Five servers, three clients with ``ops`` operations each, snapshots every
    10 entries; a ``RandomNemesis`` (crashes and 50% loss bursts) on the
    servers, 5% duplication, latency 1-5 ms (so messages are reordered), and at
    1.4 s the leader and client ``c1`` cut off from the rest for 700 ms.
    ``executor`` runs the seeds elsewhere (``dslib.testing.executors.map_seeds``:
    an int for local processes, a ``dask.distributed.Client``); the verdict is
    the same.
    """
    chosen = list(seeds)
    task = partial(_nemesis_seed, replace(config, snapshot_every=10), ops)
    verdicts = map_seeds(task, chosen, executor, stop=lambda v: v != "ok", owner="nemesis_runs")
    for seed, verdict in zip(chosen, verdicts, strict=False):
        if verdict != "ok":
            return Outcome(False, None, f"seed {seed}: {verdict}")
    return Outcome(True)


def _nemesis_seed(config: RaftConfig, ops: int, seed: int) -> str:
    """The verdict of one seed of ``nemesis_runs``."""
    return run_kv(seed, ops=ops, config=config, shrink=False, **NEMESIS_OPTIONS).verdict


NEMESIS_OPTIONS: dict[str, Any] = {
    "nemesis": RandomNemesis(
        until=1500,
        kinds=("crash", "loss"),
        mean_interval=150,
        duration=200,
        nodes=["s1", "s2", "s3", "s4", "s5"],
    ),
    "network": Network(latency=uniform(1.0, 5.0), duplication=0.05),
    "isolate_leader": 1400.0,
    "think": 20.0,
    "give_up": 200.0,
    "timeout": 40.0,
}
"""The faults and client settings of ``nemesis_runs`` (and of the long sweep)."""


# -- hypothesis ----------------------------------------------------------------------------
HYPOTHESIS_IDS = ("c1", "c2", "s1", "s2", "s3")


def fault_schedule_strategy() -> Any:
    """Fault schedules for 3 servers and 2 clients (``dslib.testing.fault_schedules``).

    Up to four episodes in the first 600 ms, each up to 400 ms long: a server
    crashes and restarts, a partition of any shape (clients included), a burst
    of message loss, or a burst of duplication.
    """
    from dslib.testing.strategies import fault_schedules

    return fault_schedules(
        HYPOTHESIS_IDS,
        kinds=("crash", "partition", "loss", "duplication"),
        max_episodes=4,
        horizon=600,
        max_duration=400,
        crashable=("s1", "s2", "s3"),
    )


def run_schedule(config: RaftConfig, schedule: Sequence[tuple[float, Any]]) -> Any:
    """The key-value store (3 servers, 2 clients, 15 operations each) under ``schedule``."""
    from dslib.sim import Nemesis

    return run_kv(
        0,
        servers=3,
        clients=2,
        ops=15,
        nemesis=Nemesis(list(schedule)),
        config=config,
        network=Network(latency=uniform(1.0, 5.0)),
        think=20.0,
        give_up=200.0,
        timeout=40.0,
        shrink=False,
        check_every=None,
    )


def search_schedules(config: RaftConfig, max_examples: int = 150, shrink: bool = False) -> Outcome:
    """Let hypothesis look for a fault schedule under which the store fails.

    Examples are drawn deterministically (``derandomize``), so the result is the
    same on every run. With ``shrink``, hypothesis then shrinks the schedule it
    found to a minimal one (this can take a minute); ``detail`` shows it.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    phases = (Phase.generate, Phase.shrink) if shrink else (Phase.generate,)
    opts = settings(
        max_examples=max_examples,
        database=None,
        derandomize=True,
        deadline=None,
        phases=phases,
        suppress_health_check=list(HealthCheck),
    )
    try:
        found = find(
            fault_schedule_strategy(),
            lambda sched: run_schedule(config, sched).verdict != "ok",
            settings=opts,
        )
    except NoSuchExample:
        return Outcome(True)
    return Outcome(False, None, f"faults: {found}")


# -- the mutant table ----------------------------------------------------------------------
CHECKS: dict[str, Callable[[RaftConfig], Any]] = {
    "model checking": model_check,
    "z3 induction": z3_proof,
    "Figure 8 by hand": figure8,
    "stale tail by hand": stale_tail,
    "stale vote by hand": stale_vote,
    "deposed leader by hand": deposed_leader,
    "catch-up by hand": catch_up,
    "split vote by hand": split_vote,
    "hypothesis fault schedules": search_schedules,
}
"""The deterministic checks of the mutant table, by name, in the table's order: each gives
the same verdict on every run."""

SEEDED_CHECKS: dict[str, Callable[[RaftConfig, int], Outcome]] = {
    "KV store under faults": nemesis_run,
    "progress after benign faults": progress_run,
}
"""The randomized checks of the mutant table: one run per seed; the table shows the share
of seeds that catch a mutant."""

RELIABLE = 0.9
"""A seeded check catches a mutant *reliably* if at least this share of its seeds fail."""


@dataclass(frozen=True)
class CatchRate:
    """How often one check caught one variant.

    Attributes
    ----------
    check : str
        The check's name.
    caught : int
        How many runs failed (found a bug).
    runs : int
        How many runs: 1 for a deterministic check, the number of seeds for a seeded one.
    seeded : bool
        Whether the check is seeded (a rate) or deterministic (caught or not).
    seconds : float
        Processor time of the runs.
    detail : str
        What the first failing run reported.

    Examples
    --------
    >>> CatchRate("runs", 47, 50, True).reliable, CatchRate("runs", 44, 50, True).reliable
    (True, False)
    >>> str(CatchRate("runs", 47, 50, True)), str(CatchRate("model", 1, 1, False))
    ('47/50', 'caught')
    """

    check: str
    caught: int
    runs: int
    seeded: bool
    seconds: float = 0.0
    detail: str = ""

    @property
    def reliable(self) -> bool:
        """Caught deterministically, or in at least ``RELIABLE`` of the seeds."""
        return self.runs > 0 and self.caught >= RELIABLE * self.runs

    def __str__(self) -> str:
        if self.seeded:
            return f"{self.caught}/{self.runs}"
        return "caught" if self.caught else "—"


def catch_rates(
    config: RaftConfig,
    checks: Sequence[str] | None = None,
    seeds: Sequence[int] = range(50),
    executor: Executor = None,
) -> tuple[CatchRate, ...]:
    """Run checks of ``CHECKS`` and ``SEEDED_CHECKS`` on ``config``; how often each caught it.

    Parameters
    ----------
    config : RaftConfig
        Correct Raft, or a mutant (``RaftConfig(mutant=...)``).
    checks : sequence of str, optional
        Names from ``CHECKS`` and ``SEEDED_CHECKS`` (default: all, in the table's order).
    seeds : sequence of int, default range(50)
        The seeds of every seeded check.
    executor : None, int or dask.distributed.Client, optional
        Who runs the seeds of the seeded checks (``dslib.testing.executors``);
        the rates are the same, and ``seconds`` still adds up the processor
        time of the runs, wherever they ran.

    Returns
    -------
    tuple of CatchRate
        One per check, in the order of ``checks``.

    Raises
    ------
    ValueError
        For an unknown check name, or no seeds.

    Examples
    --------
    >>> r = catch_rates(RaftConfig(mutant="no_self_vote"), ["catch-up by hand",
    ...                 "progress after benign faults"], seeds=range(5))
    >>> [str(x) for x in r], [x.reliable for x in r]
    (['caught', '5/5'], [True, True])
    """
    names = list(checks) if checks is not None else [*CHECKS, *SEEDED_CHECKS]
    unknown = [n for n in names if n not in CHECKS and n not in SEEDED_CHECKS]
    if unknown:
        raise ValueError(
            f"catch_rates: unknown checks {unknown}; allowed: {[*CHECKS, *SEEDED_CHECKS]}"
        )
    seeds = list(seeds)
    if not seeds:
        raise ValueError("catch_rates: seeds must not be empty")
    out = []
    for name in names:
        if name in CHECKS:
            timed = [_timed(CHECKS[name], config)]
        else:
            timed = map_seeds(
                partial(_timed, SEEDED_CHECKS[name], config), seeds, executor, owner="catch_rates"
            )
        outcomes = [o for o, _ in timed]
        results = [outcome_of(o) for o in outcomes]
        failed = [o for o, (ok, _) in zip(outcomes, results, strict=True) if not ok]
        detail = ""
        if failed:  # an Outcome says what failed; a model-checking result, which property
            detail = getattr(failed[0], "detail", "") or getattr(failed[0], "property", "")
        out.append(
            CatchRate(
                name,
                len(failed),
                len(outcomes),
                name in SEEDED_CHECKS,
                sum(seconds for _, seconds in timed),
                str(detail),
            )
        )
    return tuple(out)


def _timed(check: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """``check(*args)`` and the processor seconds it took (in whichever process ran it)."""
    start = time.process_time()
    outcome = check(*args)
    return outcome, time.process_time() - start


def catch_table(
    mutants: Sequence[str] | None = None,
    checks: Sequence[str] | None = None,
    seeds: Sequence[int] = range(50),
    only_expected: bool = False,
    correct: bool = True,
    executor: Executor = None,
) -> Any:
    """The mutant table: for correct Raft and each mutant, the rule it breaks and how
    often each check caught it.

    Parameters
    ----------
    mutants : sequence of str, optional
        Names from ``MUTANTS`` (default: all, in ``MUTANTS_TABLE``'s order).
    checks : sequence of str, optional
        Names from ``CHECKS`` and ``SEEDED_CHECKS`` (default: all).
    seeds : sequence of int, default range(50)
        The seeds of every seeded check.
    only_expected : bool, default False
        Run on each mutant only the checks of its ``caught_by`` (others show
        blank), which saves the time of the checks that miss it.
    correct : bool, default True
        Start with a row for correct Raft, which must pass every run.
    executor : None, int or dask.distributed.Client, optional
        Who runs the seeds of the seeded checks (``catch_rates``); the table is
        the same.

    Returns
    -------
    pandas.DataFrame
        Indexed by variant: ``rule``, one column per check ("caught" or "—" for a
        deterministic check, "caught/seeds" for a seeded one), and ``verdict``:
        the checks that catch it reliably (``CatchRate.reliable``), or "NOT CAUGHT".
        The correct version's verdict says whether it passes every run.

    Raises
    ------
    ValueError
        For an unknown mutant or check.

    Examples
    --------
    >>> t = catch_table(["no_self_vote"], ["catch-up by hand", "progress after benign faults"],
    ...                 seeds=range(3))
    >>> t.loc["no_self_vote", "verdict"]
    'catch-up by hand, progress after benign faults'
    >>> t.loc["correct version", "verdict"]
    'passes every run'
    """
    import pandas as pd

    names = list(mutants) if mutants is not None else [m.name for m in MUTANTS_TABLE]
    unknown = [n for n in names if n not in MUTANTS]
    if unknown:
        raise ValueError(f"catch_table: unknown mutants {unknown}; allowed: {sorted(MUTANTS)}")
    cols = list(checks) if checks is not None else [*CHECKS, *SEEDED_CHECKS]
    expected = {m.name: m.caught_by for m in MUTANTS_TABLE}
    rows = []
    if correct:
        rates = catch_rates(RaftConfig(), cols, seeds, executor)
        failing = [r.check for r in rates if r.caught]
        row: dict[str, Any] = {"variant": "correct version", "rule": "—"}
        row.update({r.check: "fails" if r.caught else "passes" for r in rates})
        row["verdict"] = "FAILS " + ", ".join(failing) if failing else "passes every run"
        rows.append(row)
    for name in names:
        run = [c for c in cols if not only_expected or c in expected[name]]
        rates = catch_rates(RaftConfig(mutant=name), run, seeds, executor)
        row = {"variant": name, "rule": MUTANT_RULES[name]}
        row.update({c: "" for c in cols})
        row.update({r.check: str(r) for r in rates})
        reliable = [r.check for r in rates if r.reliable]
        row["verdict"] = ", ".join(reliable) if reliable else "NOT CAUGHT"
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant")


_CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "vote_in_old_term": ("stale vote by hand",),
    "vote_twice": ("model checking", "hypothesis fault schedules"),
    "vote_without_log_check": (
        "model checking",
        "stale vote by hand",
        "hypothesis fault schedules",
    ),
    "accept_stale_term": (
        "stale tail by hand",
        "stale vote by hand",
        "deposed leader by hand",
        "hypothesis fault schedules",
    ),
    "skip_prev_check": ("Figure 8 by hand",),
    "keep_conflicts": ("z3 induction", "stale tail by hand"),
    "ack_without_append": (
        "model checking",
        "Figure 8 by hand",
        "stale tail by hand",
        "deposed leader by hand",
        "catch-up by hand",
        "split vote by hand",
        "hypothesis fault schedules",
        "KV store under faults",
        "progress after benign faults",
    ),
    "ignore_leader_commit": ("catch-up by hand", "progress after benign faults"),
    "apply_uncommitted": (
        "model checking",
        "Figure 8 by hand",
        "stale tail by hand",
        "deposed leader by hand",
        "hypothesis fault schedules",
        "KV store under faults",
        "progress after benign faults",
    ),
    "keep_role_on_newer_term": (
        "model checking",
        "stale tail by hand",
        "stale vote by hand",
        "deposed leader by hand",
        "hypothesis fault schedules",
    ),
    "no_reset_on_append": ("progress after benign faults",),
    "no_term_increment": (
        "model checking",
        "stale vote by hand",
        "hypothesis fault schedules",
        "KV store under faults",
        "progress after benign faults",
    ),
    "no_self_vote": (
        "Figure 8 by hand",
        "stale tail by hand",
        "stale vote by hand",
        "deposed leader by hand",
        "catch-up by hand",
        "split vote by hand",
        "progress after benign faults",
    ),
    "no_candidate_timer": ("progress after benign faults",),
    "leader_without_majority": (
        "model checking",
        "stale vote by hand",
        "split vote by hand",
        "hypothesis fault schedules",
        "progress after benign faults",
    ),
    "candidate_ignores_leader": ("split vote by hand",),
    "no_heartbeats": ("catch-up by hand", "progress after benign faults"),
    "reply_before_commit": ("deposed leader by hand", "hypothesis fault schedules"),
    "entries_from_last": ("catch-up by hand", "progress after benign faults"),
    "match_leader_last": ("model checking", "hypothesis fault schedules", "KV store under faults"),
    "no_backoff": ("catch-up by hand",),
    "commit_old_terms": ("Figure 8 by hand",),
    "forget_term": (
        "model checking",
        "catch-up by hand",
        "hypothesis fault schedules",
        "KV store under faults",
    ),
    "forget_vote": ("model checking", "z3 induction"),
    "forget_log": ("model checking", "catch-up by hand", "hypothesis fault schedules"),
    "stale_reads": ("deposed leader by hand",),
    "no_sessions": ("hypothesis fault schedules",),
}

MUTANTS_TABLE: list[Mutant[RaftConfig]] = [
    Mutant(
        name,
        MUTANTS[name],
        (lambda name=name: RaftConfig(mutant=name)),  # type: ignore[misc]
        caught_by,
    )
    for name, caught_by in _CAUGHT_BY.items()
]
"""Every mutant of ``MUTANTS``, in the order of Figure 2, with the checks that catch it
reliably (``CatchRate.reliable`` over the 50 seeds of ``benchmarks/bench_raft_mutants.py``)."""
