"""Consistent global snapshots: the Chandy-Lamport marker algorithm (chapter 2.5).

No process can see the whole system at one instant, yet debugging, checkpointing and
detecting a stable property (a deadlock, termination, a lost token) all need a *global
state*: the state of every process and of every channel. Chandy and Lamport, "Distributed
Snapshots: Determining Global States of Distributed Systems" (ACM TOCS 3(1), 1985), section
3, record one without stopping the system, over FIFO channels:

- the initiator records its own state and sends a **marker** on every outgoing channel;
- a process that receives a marker for the first time records its state, records the
  channel the marker came on as empty, sends a marker on every outgoing channel, and starts
  recording every other incoming channel;
- a process that has recorded stops recording a channel when the marker arrives on it; the
  channel's state is the messages that arrived on it in between.

The recorded states form a **consistent cut** (section 4): each process's events before it
recorded, such that no message is received inside the cut but sent outside it. And the
channel states are exactly the messages sent inside and received outside.

``BankProcess`` is a bank of tokens: each process starts with ``balance`` tokens and moves
random amounts to random peers, so the total is conserved and a snapshot is right only if
its balances plus the tokens in its channels add up to it. ``snapshot_run`` runs it with one
snapshot; ``consistent_cut``, ``channel_states_match`` and ``total_conserved`` check the
snapshot against the processes' logs; ``MUTANTS`` break the algorithm.

Examples
--------
>>> sim = snapshot_run(nodes=3, seed=1)
>>> snap = recorded_snapshot(sim)
>>> sum(snap.balances.values()) + sum(sum(c) for c in snap.channels.values())
30
>>> consistent_cut(process_logs(sim), snap.cut).ok
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import (
    Outcome,
    check_mutant,
    check_name,
    seeded_mutant_report,
    seeded_mutant_table,
)
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "MUTANTS",
    "MUTANT_CHECKS",
    "SNAPSHOT_CHECKS",
    "BankProcess",
    "BankState",
    "Marker",
    "Snapshot",
    "Transfer",
    "channel_states_match",
    "consistent_cut",
    "process_logs",
    "recorded_snapshot",
    "snapshot_catch_rate",
    "snapshot_mutant_table",
    "snapshot_run",
    "total_conserved",
]

MUTANTS: dict[str, str] = {
    "no_markers": "no markers: every process records its state when its own clock reads the "
    "snapshot time (the clocks are off by up to 2), and no channel",
    "no_channel_state": "markers as in the paper, but no process records its incoming "
    "channels: tokens in flight are left out",
    "record_late": "a process forwards the markers at once but records its state only after "
    "it handles its next message",
}
"""The broken versions of the snapshot (``mutant=`` name -> what is wrong)."""

_MAX_SKEW = 2.0  # the largest clock offset snapshot_run gives the no_markers mutant

MessageId = tuple[str, int]
Event = tuple[str, MessageId]
"""A log entry: ``("send", id)`` or ``("receive", id)``; a transfer is named ``(sender, k)``."""


@dataclass(frozen=True)
class Transfer:
    """``amount`` tokens moved to the receiver; ``id`` is ``(sender, k)``, its ``k``-th transfer.

    >>> Transfer(("p1", 0), 3).amount
    3
    """

    id: MessageId
    amount: int


@dataclass(frozen=True)
class Marker:
    """The snapshot's marker.

    >>> Marker()
    Marker()
    """


@dataclass(frozen=True)
class BankState:
    """A bank process: its tokens, its log, and what it has recorded of the snapshot.

    Attributes
    ----------
    balance : int
    transfers : int
        Transfers it has sent.
    log : tuple of (str, (str, int))
        ``("send", id)`` and ``("receive", id)`` in order.
    recorded : int or None
        The recorded balance (``None`` until it records).
    cut : int or None
        How many log entries came before it recorded.
    recording : tuple of str
        Incoming channels (by sender) it is still recording.
    channels : tuple of (str, tuple of int)
        Each incoming channel's recorded state: the amounts in flight.
    late : bool
        Mutant ``record_late`` only: a marker came; record after the next message.
    amounts : tuple of int
        The amount of each transfer it sent, by number.

    Examples
    --------
    >>> BankState(10).recorded is None
    True
    """

    balance: int
    transfers: int = 0
    log: tuple[Event, ...] = ()
    recorded: int | None = None
    cut: int | None = None
    recording: tuple[str, ...] = ()
    channels: tuple[tuple[str, tuple[int, ...]], ...] = ()
    late: bool = False
    amounts: tuple[int, ...] = ()


class BankProcess(Node[BankState]):
    """A bank branch that moves tokens to its peers and takes part in a snapshot.

    Parameters
    ----------
    balance : int, default 10
        Tokens at the start.
    transfers : int, default 6
        How many transfers it sends (each of 1 to 3 tokens, if it has them, to a random peer).
    interval : (float, float), default (0.5, 3.0)
        The wait before each transfer.
    snapshot_at : float or None, default 4.0
        When the initiator (``p1``) starts the snapshot (with ``no_markers``: when every
        process's own clock reads this); ``None``: no snapshot.
    mutant : str or None, default None
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError
        If a number is out of range or ``mutant`` is unknown.

    Examples
    --------
    >>> BankProcess(balance=-1)
    Traceback (most recent call last):
    ...
    ValueError: BankProcess: balance=-1 must be an int >= 0
    """

    def __init__(
        self,
        balance: int = 10,
        transfers: int = 6,
        interval: tuple[float, float] = (0.5, 3.0),
        snapshot_at: float | None = 4.0,
        mutant: str | None = None,
    ) -> None:
        for name, value in (("balance", balance), ("transfers", transfers)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                raise ValueError(f"BankProcess: {name}={value!r} must be an int >= 0")
        if not (
            isinstance(interval, tuple)
            and len(interval) == 2
            and all(isinstance(x, (int, float)) for x in interval)
            and 0 < interval[0] <= interval[1]
        ):
            raise ValueError(
                f"BankProcess: interval={interval!r} must be a pair (lo, hi), 0 < lo <= hi"
            )
        if snapshot_at is not None and not (
            isinstance(snapshot_at, (int, float)) and snapshot_at >= 0
        ):
            raise ValueError(f"BankProcess: snapshot_at={snapshot_at!r} must be >= 0 or None")
        self.mutant = check_mutant("BankProcess", mutant, MUTANTS)
        self.balance = balance
        self.transfers = transfers
        self.interval = (float(interval[0]), float(interval[1]))
        self.snapshot_at = snapshot_at

    def init(self, ctx: Context) -> BankState:
        if self.transfers:
            ctx.set_timer("transfer", self.interval)
        if self.snapshot_at is not None:
            if self.mutant == "no_markers":  # mutant: all record when their own clock says so
                ctx.set_timer("look at the clock", max(0.0, self.snapshot_at - _MAX_SKEW))
            elif ctx.id == "p1":
                ctx.set_timer("snapshot", self.snapshot_at)
        return BankState(self.balance)

    def on_timer(self, ctx: Context, state: BankState, timer: Any) -> BankState:
        if timer == "look at the clock":  # mutant no_markers: wait until the clock reads it
            ctx.set_timer("record", max(0.0, (self.snapshot_at or 0.0) - ctx.now))
            return state
        if timer == "record":  # mutant no_markers: record the balance, no channel
            return replace(state, recorded=state.balance, cut=len(state.log))
        if timer == "snapshot":
            return self._record(ctx, state, None)
        amount = min(1 + ctx.rng.randrange(3), state.balance)
        if ctx.peers and amount:
            peer = ctx.peers[ctx.rng.randrange(len(ctx.peers))]
            transfer = Transfer((ctx.id, state.transfers), amount)
            ctx.send(peer, transfer)
            state = replace(
                state,
                balance=state.balance - amount,
                transfers=state.transfers + 1,
                log=(*state.log, ("send", transfer.id)),
                amounts=(*state.amounts, amount),
            )
        else:  # nothing to send this time: count the turn anyway
            state = replace(state, transfers=state.transfers + 1, amounts=(*state.amounts, 0))
        if state.transfers < self.transfers:
            ctx.set_timer("transfer", self.interval)
        return state

    def _record(self, ctx: Context, state: BankState, came_on: str | None) -> BankState:
        """Record own state; marker on every outgoing channel; record every other incoming one."""
        for peer in ctx.peers:
            ctx.send(peer, Marker())
        if self.mutant == "record_late" and came_on is not None:  # mutant: record later
            return replace(state, late=True, recording=tuple(p for p in ctx.peers if p != came_on))
        others = (
            () if self.mutant == "no_channel_state" else tuple(p for p in ctx.peers if p != came_on)
        )
        return replace(state, recorded=state.balance, cut=len(state.log), recording=others)

    def on_message(self, ctx: Context, state: BankState, src: str, msg: Any) -> BankState:
        if isinstance(msg, Marker):
            if state.recorded is None and not state.late:
                state = self._record(ctx, state, src)
                return replace(state, channels=(*state.channels, (src, ())))
            return replace(state, recording=tuple(p for p in state.recording if p != src))
        if not isinstance(msg, Transfer):
            return state
        if src in state.recording and (state.recorded is not None or state.late):
            channels = dict(state.channels)
            channels[src] = (*channels.get(src, ()), msg.amount)
            state = replace(state, channels=tuple(sorted(channels.items())))
        state = replace(
            state, balance=state.balance + msg.amount, log=(*state.log, ("receive", msg.id))
        )
        if state.late:  # mutant record_late: the state after this message
            state = replace(state, late=False, recorded=state.balance, cut=len(state.log))
        return state


@dataclass(frozen=True)
class Snapshot:
    """A recorded global state: each process's balance and cut, and each channel's contents.

    Attributes
    ----------
    balances : dict of str to int
        Recorded balance per process (only those that recorded).
    cut : dict of str to int
        Per process, how many of its log entries come before its recording.
    channels : dict of (str, str) to tuple of int
        ``(sender, receiver)`` -> amounts recorded in flight on that channel.

    Examples
    --------
    >>> Snapshot({"p1": 10}, {"p1": 0}, {}).total
    10
    """

    balances: dict[str, int] = field(default_factory=dict)
    cut: dict[str, int] = field(default_factory=dict)
    channels: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Recorded balances plus the tokens recorded in the channels."""
        return sum(self.balances.values()) + sum(sum(c) for c in self.channels.values())


def snapshot_run(
    nodes: int = 3,
    seed: int = 0,
    balance: int = 10,
    transfers: int = 6,
    snapshot_at: float | None = 4.0,
    mutant: str | None = None,
    fifo: bool = True,
) -> Simulation:
    """Run ``nodes`` ``BankProcess`` nodes (``p1``...) with one snapshot, to the end.

    Latency is ``uniform(0.5, 3.0)``. With ``mutant="no_markers"`` the clocks of ``p2``,
    ``p3``, ... are off by ``+1, -1, +2, -2, ...`` wrapping, so that "the same time" on
    every clock is not the same moment.

    Parameters
    ----------
    nodes : int, default 3
    seed : int, default 0
    balance, transfers : int, default 10 and 6
    snapshot_at : float or None, default 4.0
    mutant : str or None, default None
    fifo : bool, default True
        FIFO channels, which the algorithm assumes (``False`` shows why).

    Returns
    -------
    Simulation

    Raises
    ------
    ValueError
        If ``nodes`` is not an int >= 2 or a ``BankProcess`` argument is out of range.

    Examples
    --------
    >>> snapshot_run(nodes=1)
    Traceback (most recent call last):
    ...
    ValueError: snapshot_run: nodes=1 must be an int >= 2
    """
    if not (isinstance(nodes, int) and not isinstance(nodes, bool) and nodes >= 2):
        raise ValueError(f"snapshot_run: nodes={nodes!r} must be an int >= 2")
    ids = [f"p{i}" for i in range(1, nodes + 1)]
    system = System(
        {i: BankProcess(balance, transfers, snapshot_at=snapshot_at, mutant=mutant) for i in ids}
    )
    sim = Simulation(system, seed=seed, network=Network(latency=uniform(0.5, 3.0), fifo=fifo))
    if mutant == "no_markers":
        offsets = (1.0, -1.0, 2.0, -2.0)
        for k, node in enumerate(ids[1:]):
            sim.set_clock(node, offsets[k % 4], 1.0)
    return sim.run()


def process_logs(sim: Simulation) -> dict[str, tuple[Event, ...]]:
    """Each ``BankProcess``'s log: its sends and receives, in order.

    >>> process_logs(snapshot_run(nodes=2, seed=0, transfers=1))["p1"]
    (('send', ('p1', 0)), ('receive', ('p2', 0)))
    """
    return {n: s.log for n, s in sorted(sim.states.items()) if isinstance(s, BankState)}


def recorded_snapshot(sim: Simulation) -> Snapshot:
    """The snapshot the processes of ``sim`` recorded (processes that never recorded are absent).

    >>> recorded_snapshot(snapshot_run(nodes=2, seed=0)).cut
    {'p1': 1, 'p2': 4}
    """
    balances: dict[str, int] = {}
    cut: dict[str, int] = {}
    channels: dict[tuple[str, str], tuple[int, ...]] = {}
    for node, state in sorted(sim.states.items()):
        if not isinstance(state, BankState) or state.recorded is None or state.cut is None:
            continue
        balances[node], cut[node] = state.recorded, state.cut
        for sender, amounts in state.channels:
            channels[(sender, node)] = amounts
    return Snapshot(balances, cut, channels)


# == the checks ==================================================================================
def _check_logs(logs: Mapping[str, Sequence[Event]], cut: Mapping[str, int], owner: str) -> None:
    if not isinstance(logs, Mapping) or not isinstance(cut, Mapping):
        raise TypeError(f"{owner}: logs and cut must be mappings from process to log / count")
    for node, n in cut.items():
        if node not in logs or not isinstance(n, int) or not 0 <= n <= len(logs[node]):
            raise ValueError(
                f"{owner}: cut[{node!r}]={n!r} must be a process of logs and a count from 0 to "
                "the length of its log"
            )


def consistent_cut(logs: Mapping[str, Sequence[Event]], cut: Mapping[str, int]) -> Outcome:
    """Whether the cut is consistent: every message received inside it was sent inside it.

    ``cut[p]`` is how many of ``p``'s log entries are inside (a process missing from ``cut``
    has not recorded: the check fails). A message sent inside and received outside is fine:
    it was in flight, and belongs to a channel's state (Chandy and Lamport 1985, section 4).

    Examples
    --------
    >>> logs = {"p1": [("send", ("p1", 0))], "p2": [("receive", ("p1", 0))]}
    >>> consistent_cut(logs, {"p1": 1, "p2": 0}).ok      # in flight: fine
    True
    >>> consistent_cut(logs, {"p1": 0, "p2": 1})
    Outcome(ok=False, counterexample_length=2, detail='p2 received p1.0 inside the cut; p1 sent it outside')
    """  # noqa: E501
    _check_logs(logs, cut, "consistent_cut")
    missing = sorted(set(logs) - set(cut))
    if missing:
        return Outcome(False, 1, f"{missing[0]} never recorded its state")
    sent_inside = {m for p in sorted(cut) for kind, m in logs[p][: cut[p]] if kind == "send"}
    for p in sorted(cut):
        for kind, m in logs[p][: cut[p]]:
            if kind == "receive" and m not in sent_inside:
                return Outcome(
                    False, 2, f"{p} received {m[0]}.{m[1]} inside the cut; {m[0]} sent it outside"
                )
    return Outcome(True)


def channel_states_match(sim: Simulation) -> Outcome:
    """Whether each recorded channel holds exactly the transfers sent inside the cut and
    received outside it (in the order sent), and every process recorded.

    Examples
    --------
    >>> channel_states_match(snapshot_run(nodes=3, seed=2)).ok
    True
    """
    logs, snap = process_logs(sim), recorded_snapshot(sim)
    amounts = {
        (node, k): amount
        for node, state in sim.states.items()
        if isinstance(state, BankState)
        for k, amount in enumerate(state.amounts)
    }
    missing = sorted(set(logs) - set(snap.cut))
    if missing:
        return Outcome(False, 1, f"{missing[0]} never recorded its state")
    for sender in sorted(logs):
        for receiver in sorted(logs):
            if sender == receiver:
                continue
            received_inside = {m for k, m in logs[receiver][: snap.cut[receiver]] if k == "receive"}
            want = tuple(
                amounts[m]
                for k, m in logs[sender][: snap.cut[sender]]
                if k == "send" and m not in received_inside and _receiver(logs, m) == receiver
            )
            got = snap.channels.get((sender, receiver), ())
            if got != want:
                return Outcome(
                    False,
                    len(want) + 1,
                    f"channel {sender} -> {receiver} recorded {list(got)}; in flight were "
                    f"{list(want)}",
                )
    return Outcome(True)


def _receiver(logs: Mapping[str, Sequence[Event]], message: MessageId) -> str | None:
    for node, log in logs.items():
        if ("receive", message) in log:
            return node
    return None


def total_conserved(sim: Simulation) -> Outcome:
    """Whether the snapshot's balances plus its channels' tokens equal the bank's total.

    Examples
    --------
    >>> total_conserved(snapshot_run(nodes=3, seed=2))
    Outcome(ok=True, counterexample_length=None, detail='')
    """
    total = sum(p.balance for p in sim.system.nodes.values() if isinstance(p, BankProcess))
    snap = recorded_snapshot(sim)
    if set(snap.balances) != set(process_logs(sim)):
        return Outcome(False, 1, "not every process recorded its state")
    if snap.total != total:
        return Outcome(False, 1, f"the snapshot holds {snap.total} tokens; the bank has {total}")
    return Outcome(True)


SNAPSHOT_CHECKS: dict[str, Callable[[Simulation], Outcome]] = {
    "consistent cut": lambda sim: consistent_cut(process_logs(sim), recorded_snapshot(sim).cut),
    "channel states": channel_states_match,
    "total conserved": total_conserved,
}
"""The named checks of a snapshot run."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "no_markers": ("total conserved", "channel states"),
    "no_channel_state": ("channel states", "total conserved"),
    "record_late": ("consistent cut",),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


def snapshot_catch_rate(
    mutant: str | None, check: str, seeds: Iterable[int], nodes: int = 3, fifo: bool = True
) -> tuple[int, int]:
    """``(caught, runs)``: on how many seeds of ``snapshot_run`` a check fails.

    Examples
    --------
    >>> snapshot_catch_rate("no_channel_state", "total conserved", range(10))
    (10, 10)
    """
    check_name("snapshot_catch_rate", check, SNAPSHOT_CHECKS)
    caught = runs = 0
    for seed in seeds:
        caught += not SNAPSHOT_CHECKS[check](snapshot_run(nodes, seed, mutant=mutant, fifo=fifo)).ok
        runs += 1
    return caught, runs


def snapshot_mutant_table(seeds: int = 20, nodes: int = 5) -> Any:
    """The mutant table of the snapshot: every check on ``seeds`` runs of the correct algorithm
    and of each mutant (``snapshot_run(nodes, seed)``), with the runs each mutant's first named
    check caught.

    Raises
    ------
    AssertionError
        If the correct algorithm fails a check or a mutant escapes one of its checks.

    Examples
    --------
    >>> table = snapshot_mutant_table(seeds=5)
    >>> print(table[["mutant", "caught by"]].to_string(index=False))
              mutant                                       caught by
     correct version                       none: passes all 3 checks
    no_channel_state                 channel states, total conserved
          no_markers consistent cut, channel states, total conserved
         record_late consistent cut, channel states, total conserved
    """
    catch_rate = functools.partial(snapshot_catch_rate, nodes=nodes)
    mutants = dict(sorted(MUTANTS.items()))
    report = seeded_mutant_report(
        catch_rate,
        mutants,
        MUTANT_CHECKS,
        list(SNAPSHOT_CHECKS),
        seeds,
        where="snapshot_mutant_table",
    )
    return seeded_mutant_table(
        report,
        catch_rate,
        seeds,
        where="snapshot_mutant_table",
        column="runs caught by its first check",
    )
