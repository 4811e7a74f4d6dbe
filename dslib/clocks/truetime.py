"""TrueTime-style clock uncertainty and commit-wait (chapter 2.6).

Google's Spanner (Corbett et al., "Spanner: Google's Globally-Distributed Database", OSDI
2012) does not pretend its clocks agree. Its TrueTime API (section 3) returns an *interval*:
``TT.now()`` is ``[earliest, latest]``, guaranteed to contain the true time, of width
``2 * epsilon`` where ``epsilon`` is the clock uncertainty (a few milliseconds, from
synchronisation error plus drift since, as in chapter 2.1). Spanner then gives each
read-write transaction a commit timestamp ``s`` and promises **external consistency**
(section 4.1.2): if transaction ``T1`` commits before ``T2`` starts, in real time, then
``s1 < s2``. Two rules do it:

- **start**: ``s`` is at least ``TT.now().latest`` when the commit request arrives;
- **commit wait**: the leader does not let anyone see the commit until ``TT.after(s)``,
  i.e. until ``TT.now().earliest > s``: then ``s`` is certainly in the past.

Any transaction that starts after the acknowledgement gets a ``latest`` beyond the true
time, which is beyond ``s``. The price is the wait: about ``2 * epsilon`` per commit.

``Leader`` implements the two rules on the simulator with clocks off by up to ``epsilon``;
``Client`` runs transactions one after the other at random leaders; ``commit_history`` reads
each transaction's real start and acknowledgement times and its timestamp;
``external_consistency`` checks the promise; ``MUTANTS`` break the commit wait.

Examples
--------
>>> sim = truetime_run(seed=1)
>>> history = commit_history(sim)
>>> len(history), external_consistency(history).ok
(24, True)
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Outcome, check_mutant, seeded_mutant_report, seeded_mutant_table
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "Client",
    "ClientState",
    "Commit",
    "Committed",
    "Leader",
    "TTInterval",
    "Transaction",
    "commit_history",
    "commit_rule",
    "commit_waits",
    "external_consistency",
    "truetime_catch_rate",
    "truetime_mutant_table",
    "truetime_run",
    "tt_now",
]

MUTANTS: dict[str, str] = {
    "no_commit_wait": "the leader acknowledges the commit at once, without waiting until "
    "TT.after(s)",
    "wait_on_own_clock": "the leader waits until its own clock passes s, not until "
    "TT.now().earliest does (half the wait)",
}
"""The broken versions of the commit rule (``mutant=`` name -> what is wrong)."""


@dataclass(frozen=True)
class TTInterval:
    """A TrueTime interval ``[earliest, latest]`` (Corbett et al. 2012, section 3, Table 1).

    >>> TTInterval(9.0, 11.0).width
    2.0
    """

    earliest: float
    latest: float

    @property
    def width(self) -> float:
        """``latest - earliest``: twice the uncertainty."""
        return self.latest - self.earliest


def tt_now(local: float, epsilon: float) -> TTInterval:
    """``TT.now()`` on a node whose clock reads ``local`` and is within ``epsilon`` of true time.

    Raises
    ------
    ValueError
        If ``epsilon`` is negative.

    >>> tt_now(100.0, 4.0)
    TTInterval(earliest=96.0, latest=104.0)
    """
    if not (isinstance(epsilon, (int, float)) and epsilon >= 0):
        raise ValueError(f"tt_now: epsilon={epsilon!r} must be a number >= 0")
    return TTInterval(local - epsilon, local + epsilon)


def commit_rule(earliest: float, latest: float) -> tuple[float, float]:
    """The commit timestamp ``s`` and the commit wait, from ``TT.now()`` when a commit arrives.

    Spanner's two rules (Corbett et al. 2012, section 4.1.2): **start**, ``s`` is no less than
    ``TT.now().latest``; **commit wait**, no one sees the commit until ``TT.after(s)``, when
    ``TT.now().earliest > s``. The earliest bound advances with the local clock, so the wait
    is ``s - earliest``: the whole width of the interval, ``2 * epsilon``.

    Parameters
    ----------
    earliest, latest : float
        ``TT.now()`` when the commit request arrives.

    Returns
    -------
    (float, float)
        ``(s, wait)``, the wait measured on the local (monotonic) clock.

    Raises
    ------
    ValueError
        If ``earliest > latest``.

    Examples
    --------
    >>> commit_rule(96.0, 104.0)
    (104.0, 8.0)
    """
    if not (isinstance(earliest, (int, float)) and isinstance(latest, (int, float))):
        raise TypeError(f"commit_rule: earliest={earliest!r} and latest={latest!r} must be numbers")
    if earliest > latest:
        raise ValueError(f"commit_rule: earliest={earliest} is after latest={latest}")
    return latest, latest - earliest


@dataclass(frozen=True)
class Commit:
    """A client asks a leader to commit transaction ``txn``.

    >>> Commit("c1.0").txn
    'c1.0'
    """

    txn: str


@dataclass(frozen=True)
class Committed:
    """The leader's acknowledgement: ``txn`` committed at ``timestamp``.

    >>> Committed("c1.0", 12.5).timestamp
    12.5
    """

    txn: str
    timestamp: float


class Leader(Node[tuple[tuple[str, str, float], ...]]):
    """A Paxos-group leader that assigns commit timestamps with TrueTime.

    Its state is the commits waiting out their commit wait: ``(txn, client, timestamp)``.

    Parameters
    ----------
    epsilon : float, default 4.0
        The clock uncertainty: the node's clock is within ``epsilon`` of true time.
    mutant : str or None, default None
        A broken version from ``MUTANTS``.

    Examples
    --------
    >>> Leader(epsilon=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: Leader: epsilon=-1.0 must be a number >= 0
    """

    def __init__(self, epsilon: float = 4.0, mutant: str | None = None) -> None:
        if not (isinstance(epsilon, (int, float)) and epsilon >= 0):
            raise ValueError(f"Leader: epsilon={epsilon!r} must be a number >= 0")
        self.epsilon = float(epsilon)
        self.mutant = check_mutant("Leader", mutant, MUTANTS)

    def init(self, ctx: Context) -> tuple[tuple[str, str, float], ...]:
        return ()

    def on_message(
        self, ctx: Context, state: tuple[tuple[str, str, float], ...], src: str, msg: Any
    ) -> tuple[tuple[str, str, float], ...]:
        if not isinstance(msg, Commit):
            return state
        tt = tt_now(ctx.now, self.epsilon)
        timestamp, wait = commit_rule(tt.earliest, tt.latest)
        if self.mutant == "no_commit_wait":  # mutant: visible at once
            ctx.send(src, Committed(msg.txn, timestamp))
            return state
        if self.mutant == "wait_on_own_clock":  # mutant: until the local clock passes s only
            wait = timestamp - ctx.now
        ctx.set_timer(("commit wait", msg.txn), wait + 1e-9)
        return (*state, (msg.txn, src, timestamp))

    def on_timer(
        self, ctx: Context, state: tuple[tuple[str, str, float], ...], timer: Any
    ) -> tuple[tuple[str, str, float], ...]:
        txn = timer[1]
        for name, client, timestamp in state:
            if name == txn:
                ctx.send(client, Committed(txn, timestamp))
        return tuple(entry for entry in state if entry[0] != txn)


@dataclass(frozen=True)
class ClientState:
    """A client's next transaction number and its log: ``(txn, leader, "start"/"ack", ts)``.

    >>> ClientState().next
    0
    """

    next: int = 0
    log: tuple[tuple[str, str, str, float], ...] = ()


class Client(Node[ClientState]):
    """Runs ``transactions`` transactions one after the other, each at a random leader.

    Each starts only after the previous one was acknowledged, and after a random pause.

    Parameters
    ----------
    leaders : sequence of str
    transactions : int, default 6
    think : (float, float), default (0.0, 0.2)
        The pause between an acknowledgement and the next start.

    Examples
    --------
    >>> Client([])
    Traceback (most recent call last):
    ...
    ValueError: Client: leaders=[] must be a non-empty sequence of node ids
    """

    def __init__(
        self, leaders: Sequence[str], transactions: int = 6, think: tuple[float, float] = (0.0, 0.2)
    ) -> None:
        if not leaders or isinstance(leaders, str):
            raise ValueError(
                f"Client: leaders={leaders!r} must be a non-empty sequence of node ids"
            )
        if not (isinstance(transactions, int) and transactions >= 0):
            raise ValueError(f"Client: transactions={transactions!r} must be an int >= 0")
        self.leaders = tuple(leaders)
        self.transactions = transactions
        self.think = think

    def init(self, ctx: Context) -> ClientState:
        if self.transactions:
            ctx.set_timer("next", self.think)
        return ClientState()

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        txn = f"{ctx.id}.{state.next}"
        leader = self.leaders[ctx.rng.randrange(len(self.leaders))]
        ctx.send(leader, Commit(txn))
        return replace(state, next=state.next + 1, log=(*state.log, (txn, leader, "start", 0.0)))

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, Committed):
            return state
        if state.next < self.transactions:
            ctx.set_timer("next", self.think)
        return replace(state, log=(*state.log, (msg.txn, src, "ack", msg.timestamp)))


@dataclass(frozen=True)
class Transaction:
    """One transaction as the world saw it: real start and acknowledgement, and its timestamp.

    >>> Transaction("c1.0", "A", 1.0, 9.5, 6.0).ack
    9.5
    """

    name: str
    leader: str
    start: float
    ack: float
    timestamp: float


def truetime_run(
    leaders: int = 4,
    clients: int = 4,
    transactions: int = 6,
    epsilon: float = 4.0,
    seed: int = 0,
    mutant: str | None = None,
) -> Simulation:
    """Run ``clients`` clients against ``leaders`` leaders whose clocks are off by up to
    ``epsilon``: the offsets spread evenly over ``[-0.95, 0.95] * epsilon``, in an order drawn
    from the seed.

    Latency is ``uniform(0.1, 0.5)``, short beside ``epsilon`` (as in one datacenter).

    Raises
    ------
    ValueError
        If ``leaders`` or ``clients`` is not an int >= 1, or a node argument is invalid.

    Examples
    --------
    >>> truetime_run(leaders=0)
    Traceback (most recent call last):
    ...
    ValueError: truetime_run: leaders=0 and clients=4 must be ints >= 1
    """
    if not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in (leaders, clients)
    ):
        raise ValueError(
            f"truetime_run: leaders={leaders!r} and clients={clients!r} must be ints >= 1"
        )
    names = [chr(ord("A") + i) for i in range(leaders)]
    nodes: dict[str, Node[Any]] = {n: Leader(epsilon, mutant) for n in names}
    for i in range(1, clients + 1):
        nodes[f"c{i}"] = Client(names, transactions)
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=uniform(0.1, 0.5)))
    # The offsets spread evenly over [-0.95, 0.95] * epsilon (the worst case the guarantee must
    # cover: two clocks almost 2 * epsilon apart), assigned to the leaders in a seeded order.
    spread = [0.0] if leaders == 1 else [0.95 * (2 * i / (leaders - 1) - 1) for i in range(leaders)]
    random.Random(seed).shuffle(spread)
    for n, share in zip(names, spread, strict=True):
        sim.set_clock(n, round(share * epsilon, 3), 1.0)
    return sim.run()


def commit_history(sim: Simulation) -> list[Transaction]:
    """Every acknowledged transaction of ``sim``: real start (the client sent the commit) and
    acknowledgement (the client received it), from the trace, and its timestamp.

    Clients are not skewed, so their clocks are true time.

    Examples
    --------
    >>> commit_history(truetime_run(seed=1))[0].name
    'c2.0'
    """
    starts: dict[str, float] = {}
    out = []
    for e in sim.trace:
        if e.kind == "send" and isinstance(e.data, Commit):
            starts[e.data.txn] = e.time
        elif e.kind == "deliver" and isinstance(e.data, Committed) and e.data.txn in starts:
            out.append(
                Transaction(e.data.txn, e.peer or "", starts[e.data.txn], e.time, e.data.timestamp)
            )
    return sorted(out, key=lambda t: (t.start, t.name))


def commit_waits(sim: Simulation) -> list[float]:
    """For each acknowledged transaction, the real time between the commit request reaching
    its leader and the acknowledgement leaving it: the commit wait.

    >>> waits = commit_waits(truetime_run(seed=1, epsilon=4.0))
    >>> round(min(waits), 2), round(max(waits), 2)
    (8.0, 8.0)
    """
    arrived: dict[str, float] = {}
    waits = []
    for e in sim.trace:
        if e.kind == "deliver" and isinstance(e.data, Commit):
            arrived[e.data.txn] = e.time
        elif e.kind == "send" and isinstance(e.data, Committed):
            waits.append(e.time - arrived[e.data.txn])
    return waits


def external_consistency(history: Iterable[Transaction]) -> Outcome:
    """External consistency (Corbett et al. 2012, section 4.1.2): if ``T1`` was acknowledged
    before ``T2`` started (real time), then ``T1``'s timestamp is smaller than ``T2``'s.

    Sorts by acknowledgement time and keeps the largest timestamp acknowledged so far:
    ``O(n log n)``.

    Examples
    --------
    >>> t1 = Transaction("t1", "A", 0.0, 5.0, 10.0)
    >>> t2 = Transaction("t2", "B", 6.0, 8.0, 9.0)
    >>> external_consistency([t1, t2])
    Outcome(ok=False, counterexample_length=2, detail='t1 was acknowledged at 5.0 before t2 started at 6.0, but its timestamp 10.0 >= 9.0')
    """  # noqa: E501
    txns = list(history)
    for t in txns:
        if not isinstance(t, Transaction):
            raise TypeError(f"external_consistency: {t!r} is not a Transaction")
    by_ack = sorted(txns, key=lambda t: (t.ack, t.name))
    acks = [t.ack for t in by_ack]
    best: list[Transaction] = []  # best[i]: the largest timestamp among by_ack[: i + 1]
    for t in by_ack:
        best.append(t if not best or t.timestamp > best[-1].timestamp else best[-1])
    for t2 in sorted(txns, key=lambda t: (t.start, t.name)):
        i = bisect.bisect_left(acks, t2.start)  # by_ack[:i] were acknowledged before t2 started
        if i and best[i - 1].timestamp >= t2.timestamp:
            t1 = best[i - 1]
            return Outcome(
                False,
                2,
                f"{t1.name} was acknowledged at {round(t1.ack, 3)} before {t2.name} started at "
                f"{round(t2.start, 3)}, but its timestamp {round(t1.timestamp, 3)} >= "
                f"{round(t2.timestamp, 3)}",
            )
    return Outcome(True)


def truetime_catch_rate(mutant: str | None, seeds: Iterable[int], **run: Any) -> tuple[int, int]:
    """``(caught, runs)``: in how many runs of ``truetime_run`` external consistency fails.

    >>> truetime_catch_rate("no_commit_wait", range(5))
    (5, 5)
    """
    caught = runs = 0
    for seed in seeds:
        caught += not external_consistency(
            commit_history(truetime_run(seed=seed, mutant=mutant, **run))
        ).ok
        runs += 1
    return caught, runs


def truetime_mutant_table(seeds: int = 20) -> Any:
    """The mutant table of commit wait: external consistency on ``seeds`` runs of the correct
    leader and of each mutant.

    Raises
    ------
    AssertionError
        If the correct leader fails or a mutant escapes.

    Examples
    --------
    >>> table = truetime_mutant_table(seeds=5)
    >>> print(table[["mutant", "caught by", "runs caught"]].to_string(index=False))
               mutant                caught by runs caught
      correct version none: passes all 1 check      0 of 5
       no_commit_wait     external consistency      5 of 5
    wait_on_own_clock     external consistency      5 of 5
    """
    checks = ("external consistency",)

    def catch_rate(mutant: str | None, check: str, runs: range) -> tuple[int, int]:
        return truetime_catch_rate(mutant, runs)  # one check: external consistency

    mutants = dict(sorted(MUTANTS.items()))
    report = seeded_mutant_report(
        catch_rate,
        mutants,
        dict.fromkeys(MUTANTS, checks),
        checks,
        seeds,
        where="truetime_mutant_table",
    )
    return seeded_mutant_table(
        report, catch_rate, seeds, where="truetime_mutant_table", column="runs caught"
    )
