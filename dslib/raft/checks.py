"""How we know Raft is right: the checks of chapter 15, and the mutants they catch.

Each check takes a ``RaftConfig`` (the correct one, or one with a ``mutant``)
and returns an ``Outcome`` from ``dslib.mutants``:

- ``model_check``: explicit-state model checking of 3 servers (terms up to 2,
  one command, a duplicating and reordering network, one crash) for the four
  properties of Figure 3; the counterexample's length is its number of steps;
- ``z3_proof``: election safety and log matching proved inductive with z3 for
  any number of servers (``dslib.verify.raft_election``, ``raft_log``);
- ``figure8``: the scenario of the paper's Figure 8 on 5 servers, each
  message delivered by hand (``Scripted``); state machine safety at the end;
- ``stale_tail``: a follower holding uncommitted entries of an old leader
  receives a shorter AppendEntries from a new one; log matching at the end;
- ``nemesis_runs``: the key-value store (``run_kv``) under crashes, message
  loss, duplication and reordering, with the leader and a client cut off from
  the rest for 700 ms; linearizability, lost and doubled appends, and the
  Figure 3 properties every 20 ms, for each of 16 seeds (it stops at the first
  that fails, and says which in ``detail``);
- ``search_schedules``: hypothesis draws fault schedules (crashes, partitions
  of every shape, loss and duplication bursts) for a smaller store, looking for
  one under which it fails (``detail`` shows the schedule).

The table's "counterexample length" is the shortest *execution* that shows a
bug: model-checker steps, or the events of a scripted scenario.

``MUTANTS_TABLE`` lists the mutants of ``dslib.raft.MUTANTS`` with the checks
that must catch them; ``mutant_report()`` runs everything (about 30 s).

Examples
--------
>>> figure8(RaftConfig()).ok, figure8(RaftConfig(mutant="commit_old_terms")).ok
(True, False)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from dslib.check import ActorModel, CheckResult, check
from dslib.core import Context
from dslib.mutants import Mutant, MutantReport, Outcome, run_mutants
from dslib.raft.core import (
    MUTANTS,
    SAFETY_PROPERTIES,
    AppendEntries,
    Entry,
    RaftConfig,
    RaftNode,
    RaftState,
    RequestVote,
    log_matching,
    raft_system,
    state_machine_safety,
)
from dslib.raft.kv import run_kv
from dslib.sim import Network, RandomNemesis, uniform

__all__ = [
    "CHECKS",
    "FIGURE8_CONFIG",
    "INVARIANTS",
    "MUTANTS_TABLE",
    "Scripted",
    "fault_schedule_strategy",
    "figure8",
    "figure8_a",
    "figure8_b",
    "figure8_c",
    "figure8_d",
    "figure8_run",
    "figure8_start",
    "model_check",
    "mutant_report",
    "nemesis_runs",
    "run_schedule",
    "search_schedules",
    "stale_tail",
    "stale_tail_run",
    "z3_proof",
]

INVARIANTS = SAFETY_PROPERTIES
"""The properties of Figure 3, as functions of a global state."""


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
class Scripted:
    """Run Raft servers by hand: the script says which message is delivered when.

    Parameters
    ----------
    node : RaftNode
        The server (its configuration: mutant, no-op).
    n : int
        How many servers (``s1`` .. ``sn``).

    Examples
    --------
    >>> h = Scripted(RaftNode(RaftConfig(noop=False)), 3)
    >>> h.elect("s2", ("s1", "s3"), term=1)
    >>> h.states["s2"].role, h.states["s1"].voted_for
    ('leader', 's2')
    """

    def __init__(self, node: RaftNode, n: int) -> None:
        self.node = node
        self.ids = tuple(f"s{i}" for i in range(1, n + 1))
        self.states = {i: RaftState() for i in self.ids}
        self.up = set(self.ids)
        self.inflight: list[tuple[str, str, object]] = []
        self.steps = 0
        """How many events the script has run (timers fired, messages delivered, appends)."""

    def _run(self, node_id: str, call: Callable[[Context, RaftState], RaftState]) -> None:
        self.steps += 1
        c = Context(node_id, self.ids)
        self.states[node_id] = call(c, self.states[node_id])
        self.inflight += [(node_id, dst, m) for dst, m in c.sent]

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
            raise AssertionError(f"{cand} did not win term {term} with the votes of {voters}")
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


def figure8(config: RaftConfig) -> Outcome:
    """Figure 8 by hand: state machine safety after S5 overwrote index 2."""
    h = figure8_run(config)
    ok = state_machine_safety(h.states)
    detail = "" if ok else "S1 applied an entry that S5 then replaced"
    return Outcome(ok, None if ok else h.steps, detail)


def stale_tail_run(config: RaftConfig) -> Scripted:
    """A follower with an old leader's uncommitted tail gets a shorter AppendEntries.

    S1 leads term 1 and copies "a" everywhere (committed), then "b" and "c"
    to S2 only. S3 wins term 2 with the votes of S4 and S5, appends "x" and
    sends it to S2 after "a". S2 must drop "b" and "c"; if it overwrites "b"
    but keeps "c", S2 and S1 both hold entry 3 of term 1 with different
    entries before it: log matching fails.
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
    return h


def stale_tail(config: RaftConfig) -> Outcome:
    """The stale-tail scenario: log matching at the end."""
    h = stale_tail_run(config)
    ok = log_matching(h.states)
    return Outcome(ok, None if ok else h.steps, "" if ok else "S2 kept an entry after a conflict")


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
def nemesis_runs(config: RaftConfig, seeds: Sequence[int] = range(16), ops: int = 40) -> Outcome:
    """The key-value store under faults for each seed; fails at the first seed that fails.

    Five servers, three clients with ``ops`` operations each, snapshots every
    10 entries; a ``RandomNemesis`` (crashes and 50% loss bursts) on the
    servers, 5% duplication, latency 1-5 ms (so messages are reordered), and at
    1.4 s the leader and client ``c1`` cut off from the rest for 700 ms.
    """
    cfg = replace(config, snapshot_every=10)
    for seed in seeds:
        run = run_kv(seed, ops=ops, config=cfg, shrink=False, **NEMESIS_OPTIONS)
        if run.verdict != "ok":
            return Outcome(False, None, f"seed {seed}: {run.verdict}")
    return Outcome(True)


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
    "KV store under faults": nemesis_runs,
    "hypothesis fault schedules": search_schedules,
}
"""The checks of the mutant table, by name, in the table's order."""

MUTANTS_TABLE: list[Mutant[RaftConfig]] = [
    Mutant(
        name,
        bug,
        (lambda name=name: RaftConfig(mutant=name)),  # type: ignore[misc]
        caught_by,
    )
    for name, bug, caught_by in [
        (
            "vote_without_log_check",
            MUTANTS["vote_without_log_check"],
            ("model checking", "KV store under faults", "hypothesis fault schedules"),
        ),
        ("commit_old_terms", MUTANTS["commit_old_terms"], ("Figure 8 by hand",)),
        ("forget_vote", MUTANTS["forget_vote"], ("model checking", "z3 induction")),
        ("keep_conflicts", MUTANTS["keep_conflicts"], ("stale tail by hand", "z3 induction")),
        ("stale_reads", MUTANTS["stale_reads"], ("KV store under faults",)),
        (
            "no_sessions",
            MUTANTS["no_sessions"],
            ("KV store under faults", "hypothesis fault schedules"),
        ),
    ]
]
"""Every mutant of ``MUTANTS`` with the checks that must catch it."""


def mutant_report() -> MutantReport:
    """Run every check on correct Raft and on every mutant (``dslib.mutants.run_mutants``)."""
    return run_mutants(RaftConfig, MUTANTS_TABLE, CHECKS)
