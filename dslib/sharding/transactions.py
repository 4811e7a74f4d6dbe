"""Cross-shard transactions: a transfer between accounts on two shards, by two-phase commit.

A transfer takes money from an account on one shard and gives it to an
account on another. Both changes must happen, or neither: atomic commit,
which is two-phase commit (``dslib.small_systems.twophase`` holds the protocol as
a specification and the model check of chapter 3). Here it carries data:

- a ``TransferCoordinator`` (the transaction manager) sends each participant
  shard a ``PrepareTx`` with its changes;
- an ``AccountShard`` (a resource manager) *votes yes* only if it can commit
  for sure: the accounts are not locked by another transaction and no
  balance would go negative. Voting yes, it locks the accounts and persists
  the prepared changes; from then on it may not decide alone;
- the coordinator decides commit if every vote is yes, abort otherwise (or
  when its timer runs out), persists the decision, and tells the
  participants, which apply the changes (commit) or drop them (abort) and
  unlock;
- a prepared participant that hears nothing asks the coordinator again,
  every ``status_interval``.

**The blocking problem** (Gray and Lamport 2006, section 4): if the
coordinator crashes after the participants voted yes and before they learn
the decision, they can do nothing but wait. Their locks stay held, and every
other transaction that touches those accounts is refused, until the
coordinator comes back. A participant that gave up and aborted on its own
could contradict a commit the coordinator had already decided.

Atomicity is checked per transaction by projecting the participants' states
onto the specification's state (``tx_spec_state``) and applying
``dslib.small_systems.twophase.consistent``; conservation of money by summing balances.

See Also
--------
dslib.small_systems.twophase : The same protocol more abstract (chapter 3): the TLA+
    ``TwoPhase`` specification, model-checked exhaustively for a few resource managers,
    and the same protocol as bare nodes without data.
dslib.verify.two_phase_commit : The most abstract level: a z3 transition system for
    any number of participants, with atomicity proved by an inductive invariant.

Examples
--------
>>> run = run_bank(seed=4, transfers=4)
>>> run.outcomes()
{'tm1:1': 'committed', 'tm1:2': 'committed', 'tm1:3': 'committed', 'tm1:4': 'aborted'}
>>> atomicity(run).ok, conservation(run).ok
(True, True)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.nemesis import Crash, Cut, Fault, Heal, Nemesis, Restart
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.small_systems.twophase import TwoPhaseState, consistent
from dslib.testing.executors import Executor, check_executor, map_seeds

__all__ = [
    "BANK_MUTANTS",
    "AccountShard",
    "BankRun",
    "CoordinatorState",
    "DecisionTx",
    "ParticipantState",
    "PrepareTx",
    "StatusTx",
    "Transfer",
    "TransferCoordinator",
    "VoteTx",
    "atomicity",
    "bank_checks",
    "bank_mutants",
    "blocked_intervals",
    "conservation",
    "decision_lost_run",
    "random_transfers",
    "run_bank",
    "tx_spec_state",
]

BANK_MUTANTS: dict[str, str] = {
    "commits_before_decision": "a participant applies its changes when it votes yes",
    "gives_up": "a prepared participant that waits too long aborts on its own",
    "commits_on_first_yes": "the coordinator commits on the first yes vote",
}
"""Broken versions of the transfer protocol, by name, with what is wrong."""


# -- messages -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Transfer:
    """Move ``amount`` from account ``source`` to account ``target``."""

    source: str
    target: str
    amount: int


@dataclass(frozen=True)
class PrepareTx:
    """Coordinator to participant: prepare transaction ``tx``; ``changes`` are
    ``(account, delta)`` pairs on this participant."""

    tx: str
    changes: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class VoteTx:
    """Participant to coordinator: its vote on ``tx``."""

    tx: str
    yes: bool


@dataclass(frozen=True)
class DecisionTx:
    """Coordinator to participant: the decision on ``tx``."""

    tx: str
    commit: bool


@dataclass(frozen=True)
class StatusTx:
    """A prepared participant asks the coordinator for the decision on ``tx``."""

    tx: str


# -- the participant ----------------------------------------------------------------------
@dataclass(frozen=True)
class ParticipantState:
    """A shard's accounts, locks, prepared transactions and outcomes (all sorted tuples).

    Attributes
    ----------
    balances : tuple of (str, int)
    locks : tuple of (str, str)
        ``(account, tx)``: the account is locked by a prepared transaction.
    prepared : tuple of (str, tuple, str)
        ``(tx, changes, coordinator)`` for every transaction voted yes and not yet decided.
    outcomes : tuple of (str, str)
        ``(tx, "committed" or "aborted")``.
    """

    balances: tuple[tuple[str, int], ...]
    locks: tuple[tuple[str, str], ...] = ()
    prepared: tuple[tuple[str, tuple[tuple[str, int], ...], str], ...] = ()
    outcomes: tuple[tuple[str, str], ...] = ()

    def status(self, tx: str) -> str:
        """``"prepared"``, ``"committed"``, ``"aborted"`` or ``"working"`` (never heard of)."""
        for t, outcome in self.outcomes:
            if t == tx:
                return outcome
        if any(t == tx for t, _, _ in self.prepared):
            return "prepared"
        return "working"


def _apply(balances: tuple[tuple[str, int], ...], changes: Any) -> tuple[tuple[str, int], ...]:
    b = dict(balances)
    for account, delta in changes:
        b[account] = b[account] + delta
    return tuple(sorted(b.items()))


class AccountShard(Node[ParticipantState]):
    """A participant: a shard of accounts that prepares, commits and aborts transactions.

    Parameters
    ----------
    balances : mapping of str to int
        The shard's accounts and their opening balances.
    status_interval : float, default 5
        How often a prepared participant asks for the decision.
    mutant : str, optional
        ``"commits_before_decision"`` or ``"gives_up"`` (from ``BANK_MUTANTS``).

    Examples
    --------
    >>> shard = AccountShard({"alice": 10})
    >>> ctx = Context("s1", ["s1", "tm1"])
    >>> s = shard.on_message(ctx, shard.init(ctx), "tm1", PrepareTx("t1", (("alice", -4),)))
    >>> s.status("t1"), s.locks, ctx.sent
    ('prepared', (('alice', 't1'),), [('tm1', VoteTx(tx='t1', yes=True))])
    >>> shard.on_message(ctx, s, "tm1", DecisionTx("t1", True)).balances
    (('alice', 6),)
    """

    def __init__(
        self,
        balances: Mapping[str, int],
        status_interval: float = 5.0,
        mutant: str | None = None,
    ) -> None:
        if mutant is not None and mutant not in ("commits_before_decision", "gives_up"):
            raise ValueError(f"AccountShard: mutant={mutant!r} is not a participant mutant")
        self.balances = tuple(sorted(balances.items()))
        self.status_interval = status_interval
        self.mutant = mutant

    def init(self, ctx: Context) -> ParticipantState:
        ctx.set_timer("status", self.status_interval)
        return ParticipantState(self.balances)

    def on_recover(self, ctx: Context, durable: Any) -> ParticipantState:
        ctx.set_timer("status", self.status_interval)
        if durable is NOTHING_PERSISTED:
            return ParticipantState(self.balances)
        state: ParticipantState = durable
        return state

    def _done(self, state: ParticipantState, tx: str, outcome: str) -> ParticipantState:
        return replace(
            state,
            locks=tuple(lk for lk in state.locks if lk[1] != tx),
            prepared=tuple(p for p in state.prepared if p[0] != tx),
            outcomes=tuple(sorted((*state.outcomes, (tx, outcome)))),
        )

    def on_message(
        self, ctx: Context, state: ParticipantState, src: str, msg: Any
    ) -> ParticipantState:
        if isinstance(msg, PrepareTx):
            status = state.status(msg.tx)
            if status != "working":  # a duplicate: vote as before
                ctx.send(src, VoteTx(msg.tx, status in ("prepared", "committed")))
                return state
            locked = {account for account, _ in state.locks}
            balances = dict(state.balances)
            can = all(
                a in balances and a not in locked and balances[a] + d >= 0 for a, d in msg.changes
            )
            if not can:
                state = self._done(state, msg.tx, "aborted")  # abort alone: allowed before voting
                ctx.persist(state)
                ctx.send(src, VoteTx(msg.tx, False))
                return state
            state = replace(
                state,
                locks=tuple(sorted((*state.locks, *((a, msg.tx) for a, _ in msg.changes)))),
                prepared=tuple(sorted((*state.prepared, (msg.tx, msg.changes, src)))),
            )
            if self.mutant == "commits_before_decision":
                state = replace(state, balances=_apply(state.balances, msg.changes))
            if self.mutant == "gives_up":
                ctx.set_timer(("give up", msg.tx), 3 * self.status_interval)
            ctx.persist(state)  # the prepare record is durable before the vote leaves
            ctx.send(src, VoteTx(msg.tx, True))
            return state
        if isinstance(msg, DecisionTx):
            entry = next((p for p in state.prepared if p[0] == msg.tx), None)
            if entry is None:
                if state.status(msg.tx) == "working":  # never prepared: it cannot commit
                    state = self._done(state, msg.tx, "aborted")
                    ctx.persist(state)
                return state
            if msg.commit:
                if self.mutant != "commits_before_decision":
                    state = replace(state, balances=_apply(state.balances, entry[1]))
                state = self._done(state, msg.tx, "committed")
            else:
                state = self._done(state, msg.tx, "aborted")
            ctx.persist(state)
            return state
        return state

    def on_timer(self, ctx: Context, state: ParticipantState, timer: Any) -> ParticipantState:
        if timer == "status":
            for tx, _changes, coordinator in state.prepared:
                ctx.send(coordinator, StatusTx(tx))
            ctx.set_timer("status", self.status_interval)
            return state
        if (
            isinstance(timer, tuple)
            and timer[0] == "give up"
            and state.status(timer[1]) == "prepared"
        ):
            state = self._done(state, timer[1], "aborted")
            ctx.persist(state)
        return state


# -- the coordinator ----------------------------------------------------------------------
@dataclass(frozen=True)
class CoordinatorState:
    """Where a coordinator is: the index of its current transfer (from 0), the votes received
    for it, and every decision so far (``(tx, commit)``, sorted)."""

    current: int = 0
    votes: tuple[tuple[str, bool], ...] = ()
    decisions: tuple[tuple[str, bool], ...] = ()

    def decision(self, tx: str) -> bool | None:
        """The decision on ``tx``: True (commit), False (abort) or None (not yet)."""
        for t, commit in self.decisions:
            if t == tx:
                return commit
        return None


class TransferCoordinator(Node[CoordinatorState]):
    """A transaction manager that runs ``transfers`` one after the other by two-phase commit.

    Transaction ``i`` (from 1) of coordinator ``tm1`` is ``"tm1:i"``. The
    decisions are persisted before they are sent; after a crash, a transaction
    that was not decided is aborted (no participant can have committed it),
    and the coordinator goes on with the next one.

    Parameters
    ----------
    transfers : sequence of Transfer
    placement : mapping of str to str
        The shard (node id) of each account.
    timeout : float, default 20
        Abort a transaction whose votes are not all in after this long.
    gap : float, default 5
        Pause between one decision and the next transaction.
    start : float, default 0
    mutant : str, optional
        ``"commits_on_first_yes"``.

    Examples
    --------
    >>> tm = TransferCoordinator([Transfer("alice", "bob", 3)], {"alice": "s1", "bob": "s2"})
    >>> ctx = Context("tm1", ["tm1", "s1", "s2"])
    >>> s = tm.on_timer(ctx, tm.init(ctx), "begin")
    >>> ctx.sent  # doctest: +NORMALIZE_WHITESPACE
    [('s1', PrepareTx(tx='tm1:1', changes=(('alice', -3),))),
     ('s2', PrepareTx(tx='tm1:1', changes=(('bob', 3),)))]
    """

    def __init__(
        self,
        transfers: Sequence[Transfer],
        placement: Mapping[str, str],
        timeout: float = 20.0,
        gap: float = 5.0,
        start: float = 0.0,
        mutant: str | None = None,
    ) -> None:
        for t in transfers:
            for account in (t.source, t.target):
                if account not in placement:
                    raise ValueError(f"TransferCoordinator: account {account!r} has no shard")
        if mutant is not None and mutant != "commits_on_first_yes":
            raise ValueError(f"TransferCoordinator: mutant={mutant!r} is not a coordinator mutant")
        self.transfers = tuple(transfers)
        self.placement = dict(placement)
        self.timeout = timeout
        self.gap = gap
        self.start = start
        self.mutant = mutant

    def tx_id(self, ctx: Context, i: int) -> str:
        """The id of transfer ``i`` (from 0)."""
        return f"{ctx.id}:{i + 1}"

    def participants(self, i: int) -> dict[str, tuple[tuple[str, int], ...]]:
        """The changes of transfer ``i`` on each participant shard, by shard."""
        t = self.transfers[i]
        out: dict[str, list[tuple[str, int]]] = {}
        out.setdefault(self.placement[t.source], []).append((t.source, -t.amount))
        out.setdefault(self.placement[t.target], []).append((t.target, t.amount))
        return {shard: tuple(changes) for shard, changes in sorted(out.items())}

    def init(self, ctx: Context) -> CoordinatorState:
        if self.transfers:
            ctx.set_timer("begin", self.start)
        return CoordinatorState()

    def on_recover(self, ctx: Context, durable: Any) -> CoordinatorState:
        state = CoordinatorState() if durable is NOTHING_PERSISTED else durable
        if state.current >= len(self.transfers):
            return state
        tx = self.tx_id(ctx, state.current)
        if state.decision(tx) is None:
            return self._decide(ctx, state, False)  # undecided at the crash: abort is safe
        self._announce(ctx, state.current, state.decision(tx) is True)
        return self._next(ctx, state)

    def _announce(self, ctx: Context, i: int, commit: bool) -> None:
        for shard in self.participants(i):
            ctx.send(shard, DecisionTx(self.tx_id(ctx, i), commit))

    def _decide(self, ctx: Context, state: CoordinatorState, commit: bool) -> CoordinatorState:
        tx = self.tx_id(ctx, state.current)
        state = replace(state, decisions=tuple(sorted((*state.decisions, (tx, commit)))))
        ctx.persist(state)  # decided once the decision is durable
        self._announce(ctx, state.current, commit)
        ctx.cancel_timer(("timeout", state.current))
        return self._next(ctx, state)

    def _next(self, ctx: Context, state: CoordinatorState) -> CoordinatorState:
        state = CoordinatorState(state.current + 1, (), state.decisions)
        ctx.persist(state)
        if state.current < len(self.transfers):
            ctx.set_timer("begin", self.gap)
        return state

    def on_timer(self, ctx: Context, state: CoordinatorState, timer: Any) -> CoordinatorState:
        if timer == "begin" and state.current < len(self.transfers):
            for shard, changes in self.participants(state.current).items():
                ctx.send(shard, PrepareTx(self.tx_id(ctx, state.current), changes))
            ctx.set_timer(("timeout", state.current), self.timeout)
            return state
        if timer == ("timeout", state.current) and state.current < len(self.transfers):
            return self._decide(ctx, state, False)
        return state

    def on_message(
        self, ctx: Context, state: CoordinatorState, src: str, msg: Any
    ) -> CoordinatorState:
        if isinstance(msg, StatusTx):
            decided = state.decision(msg.tx)
            if decided is not None:
                ctx.send(src, DecisionTx(msg.tx, decided))
            return state
        if not isinstance(msg, VoteTx) or state.current >= len(self.transfers):
            return state
        if msg.tx != self.tx_id(ctx, state.current) or any(p == src for p, _ in state.votes):
            return state
        state = replace(state, votes=(*state.votes, (src, msg.yes)))
        if not msg.yes:
            return self._decide(ctx, state, False)
        if self.mutant == "commits_on_first_yes" or len(state.votes) == len(
            self.participants(state.current)
        ):
            return self._decide(ctx, state, True)
        return state


# -- running and checking -----------------------------------------------------------------
OPENING: dict[str, int] = {"alice": 10, "bob": 10, "carol": 10, "dave": 10}
"""Opening balances of the bank of ``run_bank``."""

PLACEMENT: dict[str, str] = {"alice": "s1", "bob": "s2", "carol": "s1", "dave": "s2"}
"""Which shard holds each account."""


@dataclass(frozen=True)
class BankRun:
    """A finished run of the bank: the simulation, the transfers of each coordinator."""

    simulation: Simulation
    transfers: tuple[tuple[str, tuple[Transfer, ...]], ...]

    def tx_ids(self) -> list[str]:
        """Every transaction id, coordinator by coordinator."""
        return [f"{tm}:{i + 1}" for tm, ts in self.transfers for i in range(len(ts))]

    def outcomes(self) -> dict[str, str]:
        """Each transaction's decision at its coordinator (``"undecided"`` if none)."""
        out = {}
        for tm, ts in self.transfers:
            state = self.simulation.states.get(tm)
            for i in range(len(ts)):
                tx = f"{tm}:{i + 1}"
                d = state.decision(tx) if isinstance(state, CoordinatorState) else None
                out[tx] = "undecided" if d is None else ("committed" if d else "aborted")
        return out

    def shard_states(self) -> dict[str, ParticipantState]:
        """The participants' final states (crashed ones left out)."""
        return {
            n: s
            for n, s in sorted(self.simulation.states.items())
            if isinstance(s, ParticipantState)
        }


def random_transfers(
    seed: int, count: int, accounts: Sequence[str] = tuple(OPENING)
) -> list[Transfer]:
    """``count`` seeded transfers between distinct accounts, of 1 to 8 each (some will find
    too little money and abort).

    >>> random_transfers(1, 2)  # doctest: +NORMALIZE_WHITESPACE
    [Transfer(source='alice', target='bob', amount=8),
     Transfer(source='dave', target='bob', amount=8)]
    """
    rng = random.Random(f"transfers:{seed}")
    out = []
    for _ in range(count):
        source, target = rng.sample(list(accounts), 2)
        out.append(Transfer(source, target, rng.randint(1, 8)))
    return out


def run_bank(
    seed: int = 0,
    transfers: int = 6,
    coordinators: int = 1,
    faults: Sequence[tuple[float, Fault]] = (),
    loss: float = 0.0,
    mutant: str | None = None,
    plan: Mapping[str, Sequence[Transfer]] | None = None,
    until: float = 600.0,
) -> BankRun:
    """Run coordinators ``tm1, tm2, ...`` against shards ``s1`` and ``s2`` of ``OPENING``.

    Parameters
    ----------
    seed : int
    transfers : int, default 6
        Random transfers per coordinator (``random_transfers``), unless ``plan`` is given.
    coordinators : int, default 1
    faults : sequence of (time, Fault)
    loss : float, default 0
    mutant : str, optional
        From ``BANK_MUTANTS``; applied to the participants or the coordinators.
    plan : mapping of str to sequence of Transfer, optional
        The transfers of each coordinator, by coordinator id.
    until : float, default 600

    Examples
    --------
    >>> run = run_bank(seed=2, transfers=2)
    >>> run.shard_states()["s1"].balances
    (('alice', 15), ('carol', 5))
    """
    if plan is None:
        plan = {
            f"tm{c}": random_transfers(seed * 100 + c, transfers)
            for c in range(1, coordinators + 1)
        }
    nodes: dict[str, Node[Any]] = {}
    participant_mutant = mutant if mutant in ("commits_before_decision", "gives_up") else None
    coordinator_mutant = mutant if mutant == "commits_on_first_yes" else None
    for shard in sorted(set(PLACEMENT.values())):
        balances = {a: OPENING[a] for a, s in PLACEMENT.items() if s == shard}
        nodes[shard] = AccountShard(balances, mutant=participant_mutant)
    for k, (tm, ts) in enumerate(sorted(plan.items())):
        nodes[tm] = TransferCoordinator(ts, PLACEMENT, start=1.5 * k, mutant=coordinator_mutant)
    network = Network(latency=uniform(0.5, 2.0), loss=loss)
    sim = Simulation(System(nodes), seed=seed, network=network, nemesis=Nemesis(list(faults)))
    sim.run(until=until)
    return BankRun(sim, tuple((tm, tuple(ts)) for tm, ts in sorted(plan.items())))


def tx_spec_state(run: BankRun, tx: str) -> TwoPhaseState:
    """Project transaction ``tx`` of a run onto the state of the specification
    ``dslib.small_systems.twophase.TwoPhase``: each participant's status and the
    coordinator's decision (messages left out).

    >>> run = run_bank(seed=1, transfers=1)
    >>> tx_spec_state(run, "tm1:1").rm_state
    ('committed', 'committed')
    """
    tm = tx.split(":")[0]
    coordinator = run.simulation.states.get(tm)
    decision = coordinator.decision(tx) if isinstance(coordinator, CoordinatorState) else None
    tm_state = "init" if decision is None else ("committed" if decision else "aborted")
    statuses = tuple(s.status(tx) for s in run.shard_states().values())
    # Only the shards the transaction touched take part.
    index = run.tx_ids().index(tx)
    all_transfers = [t for _, ts in run.transfers for t in ts]
    touched = {PLACEMENT[all_transfers[index].source], PLACEMENT[all_transfers[index].target]}
    names = list(run.shard_states())
    rm_state = tuple(st for n, st in zip(names, statuses, strict=True) if n in touched)
    return TwoPhaseState(rm_state, tm_state, frozenset(), frozenset())


def atomicity(run: BankRun) -> Outcome:
    """Every transaction is committed by all its participants or by none, and no participant's
    outcome contradicts the coordinator's decision (``dslib.small_systems.twophase.consistent``
    on each projected state, plus agreement with the decision).

    >>> atomicity(run_bank(seed=3)).ok
    True
    """
    bad = []
    for tx in run.tx_ids():
        s = tx_spec_state(run, tx)
        # A participant may still be prepared (the decision on its way); it may never hold
        # the outcome the coordinator did not decide.
        contradicts = any(
            (r == "committed" and s.tm_state != "committed")
            or (r == "aborted" and s.tm_state == "committed")
            for r in s.rm_state
        )
        if not consistent(s) or contradicts:
            bad.append(f"{tx}: participants {s.rm_state}, coordinator {s.tm_state}")
    return Outcome(not bad, len(bad) or None, "; ".join(bad))


def conservation(run: BankRun) -> Outcome:
    """The total of all balances is what it was at the opening, and none is negative.

    >>> conservation(run_bank(seed=3)).ok
    True
    """
    shards = run.shard_states()
    if len(shards) < 2:
        return Outcome(True, detail="a shard is down: nothing to count")
    balances = [b for s in shards.values() for _, b in s.balances]
    total = sum(balances)
    ok = total == sum(OPENING.values()) and min(balances) >= 0
    return Outcome(ok, None if ok else 1, f"total {total}, opening {sum(OPENING.values())}")


def blocked_intervals(run: BankRun) -> list[tuple[str, str, float, float]]:
    """When each participant was prepared (its accounts locked) for each transaction:
    ``(shard, tx, from, to)``, with ``to`` the end of the run if it never learned the outcome.

    >>> blocked_intervals(run_bank(seed=1, transfers=1))
    [('s2', 'tm1:1', 0.962, 3.891), ('s1', 'tm1:1', 1.71, 5.181)]
    """
    start: dict[tuple[str, str], float] = {}
    out = []
    for e in run.simulation.trace.of_kind("state", "init", "restart"):
        state = e.data
        if not isinstance(state, ParticipantState):
            continue
        node = str(e.node)
        now_prepared = {tx for tx, _, _ in state.prepared}
        for tx in now_prepared:
            start.setdefault((node, tx), e.time)
        for key in [k for k in start if k[0] == node and k[1] not in now_prepared]:
            out.append((node, key[1], round(start[key], 3), round(e.time, 3)))
            del start[key]
    end = run.simulation.now
    out += [(n, tx, round(t, 3), round(end, 3)) for (n, tx), t in start.items()]
    return sorted(out, key=lambda r: (r[2], r[0], r[1]))


def decision_lost_run(mutant: str | None = None, heal: float = 60.0) -> BankRun:
    """One transfer, alice (on ``s1``) to bob (on ``s2``), whose decision never reaches
    ``s2``: the link from the coordinator to ``s2`` is cut just after the prepare arrives,
    until ``heal``. ``s2`` stays prepared, its account locked, until then.

    >>> run = decision_lost_run()
    >>> [b for b in blocked_intervals(run) if b[0] == "s2"], run.outcomes()
    ([('s2', 'tm1:1', 0.962, 63.219)], {'tm1:1': 'committed'})
    """
    return run_bank(
        seed=1,
        plan={"tm1": [Transfer("alice", "bob", 3)]},
        faults=[(2.1, Cut("tm1", "s2")), (heal, Heal())],
        mutant=mutant,
        until=heal + 40.0,
    )


def bank_checks(seeds: Sequence[int] = (1, 2, 3), *, executor: Executor = None) -> dict[str, Any]:
    """The checks of the transfers, by name; each takes a mutant name (``None``: correct).

    Each runs two coordinators with random transfers (some abort for lack of
    money) on ``seeds``, on a network that loses 20% of the messages, with the
    first coordinator crashing at time 12 and restarting at time 80; then
    ``decision_lost_run``. It stops at the first run that fails.

    Parameters
    ----------
    seeds : sequence of int, default (1, 2, 3)
        One run per seed, in this order.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``): ``None``
        here, ``n`` local processes, or the workers of a Dask cluster. The
        outcomes are the same whichever runs them; ``decision_lost_run`` runs here.

    Returns
    -------
    dict
        Check name to a function of a mutant name returning an ``Outcome``: the
        first failing run's, else the last run's.

    Raises
    ------
    TypeError
        If a seed is not an int, or ``executor`` is of a type that cannot run seeds.
    ValueError
        If ``executor`` is an int below 1.

    Examples
    --------
    >>> checks = bank_checks(seeds=[1])
    >>> sorted(checks)
    ['atomicity', 'conservation']
    >>> checks["conservation"]("commits_before_decision").ok
    False
    """
    chosen = list(seeds)
    for seed in chosen:
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise TypeError(f"bank_checks: seed {seed!r} is not an int")
    check_executor(executor, "bank_checks")

    def first_failure(judge: Callable[[BankRun], Outcome]) -> Callable[[str | None], Outcome]:
        def check(mutant: str | None) -> Outcome:
            outcomes = map_seeds(
                partial(_judged_run, judge, mutant),
                chosen,
                executor,
                stop=lambda out: not out.ok,
                owner="bank_checks",
            )
            if outcomes and not outcomes[-1].ok:
                return outcomes[-1]
            return judge(decision_lost_run(mutant))

        return check

    return {"atomicity": first_failure(atomicity), "conservation": first_failure(conservation)}


def _judged_run(judge: Callable[[BankRun], Outcome], mutant: str | None, seed: int) -> Outcome:
    """One seed of a check of ``bank_checks`` (a ``map_seeds`` task): run, then judge."""
    run = run_bank(
        seed=seed,
        transfers=6,
        coordinators=2,
        faults=[(12.0, Crash("tm1")), (80.0, Restart("tm1"))],
        loss=0.2,
        mutant=mutant,
    )
    return judge(run)


def bank_mutants() -> list[Mutant[str | None]]:
    """The broken transfer protocols of ``BANK_MUTANTS`` with the checks that must catch each.

    >>> [m.name for m in bank_mutants()]
    ['commits_before_decision', 'gives_up', 'commits_on_first_yes']
    """
    caught = {
        "commits_before_decision": ("conservation",),
        "gives_up": ("atomicity",),
        "commits_on_first_yes": ("atomicity",),
    }
    return [Mutant(n, bug, _constant(n), caught[n]) for n, bug in BANK_MUTANTS.items()]


def _constant(name: str | None) -> Any:
    return lambda: name
