"""Cross-shard transactions without two-phase commit: a sequencer orders them first (Calvin).

Calvin (Thomson et al. 2012) turns the usual order around: instead of executing
transactions and then agreeing to commit them (two-phase commit), it first agrees
on *one global order* of the transactions, then every shard executes them
*deterministically in that order*. Since every shard applies the same order, the
result is that of a serial execution in sequence order, and there is nothing left
to vote on: a shard cannot "vote no" because the transaction's outcome does not
depend on the shard's choice, only on the order (Thomson et al. 2012, §3).

Here, as small as the idea allows:

- clients send each transaction (a few list-append micro-operations on keys that
  live on two shards) to the ``Sequencer``, which numbers it and sends it, with
  its number, to every shard (Calvin's sequencer batches transactions per 10 ms
  epoch and replicates the batches; one at a time here);
- each ``OrderedShard`` executes the transactions in sequence order, holding
  back one that arrives before its predecessors, and replies to the client with
  the results of the micro-operations on its own keys;
- the client puts the parts together into one transaction of the history.

The network reorders messages (latencies 0.5 to 2), so a shard that executed in
*arrival* order (the mutant ``arrival_order``) would apply two transactions in
different orders on different shards; the history checker
``dslib.consistency.isolation.check_isolation`` (chapter 8) finds the cycle.

Examples
--------
>>> run = run_ordered(seed=1, transactions=3)
>>> len(run.history), check_isolation(run.history, level="serializable").ok
(9, True)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.consistency.isolation import Txn, check_isolation
from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "ORDERED_MUTANTS",
    "PLACEMENT",
    "OrderedClient",
    "OrderedRun",
    "OrderedShard",
    "Sequenced",
    "Sequencer",
    "ShardResult",
    "Submit",
    "ordered_checks",
    "ordered_mutants",
    "random_transaction",
    "run_ordered",
]

PLACEMENT: dict[str, str] = {"a": "s1", "b": "s1", "c": "s2", "d": "s2"}
"""Which shard holds each key."""

ORDERED_MUTANTS: dict[str, str] = {
    "arrival_order": "a shard executes transactions as they arrive, not in sequence order",
}
"""Broken versions, by name, with what is wrong."""


@dataclass(frozen=True)
class Submit:
    """Client to sequencer: transaction ``tx`` with its micro-operations."""

    tx: int
    ops: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Sequenced:
    """Sequencer to every shard: transaction ``tx`` of ``client`` is number ``seq``."""

    seq: int
    client: str
    tx: int
    ops: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class ShardResult:
    """Shard to client: the micro-operations of ``tx`` on this shard's keys, completed
    (reads filled in), with their positions in the transaction."""

    tx: int
    done: tuple[tuple[int, tuple[Any, ...]], ...]


class Sequencer(Node[int]):
    """Numbers the transactions in the order they arrive and sends them to every shard.

    Its state is the next sequence number.

    >>> ctx = Context("seq", ["seq", "s1", "s2", "c1"])
    >>> _ = Sequencer(["s1", "s2"]).on_message(ctx, 0, "c1", Submit(1, (("r", "a", None),)))
    >>> [dst for dst, _ in ctx.sent]
    ['s1', 's2']
    """

    def __init__(self, shards: Sequence[str]) -> None:
        self.shards = tuple(shards)

    def init(self, ctx: Context) -> int:
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if isinstance(msg, Submit):
            for shard in self.shards:
                ctx.send(shard, Sequenced(state, src, msg.tx, msg.ops))
            return state + 1
        return state


@dataclass(frozen=True)
class OrderedShardState:
    """A shard's lists (``(key, values)``, sorted), the next sequence number it will
    execute, and the transactions that arrived early (sorted by number)."""

    lists: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    next_seq: int = 0
    waiting: tuple[Sequenced, ...] = ()


class OrderedShard(Node[OrderedShardState]):
    """Executes the sequenced transactions in sequence order, on its own keys only.

    Parameters
    ----------
    placement : dict of str to str
        Which shard holds each key.
    mutant : str, optional
        From ``ORDERED_MUTANTS``.

    Examples
    --------
    >>> shard = OrderedShard(PLACEMENT)
    >>> ctx = Context("s1", ["s1", "seq", "c1"])
    >>> s = shard.on_message(ctx, shard.init(ctx), "seq",
    ...                      Sequenced(1, "c1", 7, (("append", "a", 5),)))
    >>> s.next_seq, ctx.sent  # number 1 waits for number 0
    (0, [])
    """

    def __init__(self, placement: dict[str, str], mutant: str | None = None) -> None:
        self.placement = dict(placement)
        self.mutant = check_mutant("OrderedShard", mutant, ORDERED_MUTANTS)

    def init(self, ctx: Context) -> OrderedShardState:
        return OrderedShardState()

    def on_message(
        self, ctx: Context, state: OrderedShardState, src: str, msg: Any
    ) -> OrderedShardState:
        if not isinstance(msg, Sequenced):
            return state
        if self.mutant == "arrival_order":
            return self._execute(ctx, state, msg)
        waiting = tuple(sorted((*state.waiting, msg), key=lambda m: m.seq))
        state = replace(state, waiting=waiting)
        while state.waiting and state.waiting[0].seq == state.next_seq:
            first, rest = state.waiting[0], state.waiting[1:]
            state = replace(self._execute(ctx, state, first), waiting=rest)
        return state

    def _execute(self, ctx: Context, state: OrderedShardState, msg: Sequenced) -> OrderedShardState:
        lists = dict(state.lists)
        done = []
        for i, (kind, key, value) in enumerate(msg.ops):
            if self.placement.get(key) != ctx.id:
                continue
            if kind == "r":
                done.append((i, ("r", key, lists.get(key, ()))))
            else:
                lists[key] = (*lists.get(key, ()), value)
                done.append((i, ("append", key, value)))
        if done:
            ctx.send(msg.client, ShardResult(msg.tx, tuple(done)))
        return OrderedShardState(tuple(sorted(lists.items())), msg.seq + 1, state.waiting)


@dataclass(frozen=True)
class OrderedClientState:
    """The client's current transaction (number, start, parts received) and its history."""

    tx: int = 0
    start: float = 0.0
    parts: tuple[tuple[int, tuple[Any, ...]], ...] = ()
    history: tuple[Txn, ...] = ()


def random_transaction(rng: random.Random, tx_values: int) -> tuple[tuple[Any, ...], ...]:
    """Two to four micro-operations on the keys of ``PLACEMENT``: reads and appends of the
    unique value ``tx_values``, ``tx_values + 1``, ...

    >>> random_transaction(random.Random(1), 100)
    (('r', 'a', None), ('append', 'd', 100))
    """
    ops: list[tuple[Any, ...]] = []
    value = tx_values
    for _ in range(rng.randint(2, 4)):
        key = rng.choice(sorted(PLACEMENT))
        if rng.random() < 0.5:
            ops.append(("r", key, None))
        else:
            ops.append(("append", key, value))
            value += 1
    return tuple(ops)


class OrderedClient(Node[OrderedClientState]):
    """Runs ``transactions`` random transactions one at a time through the sequencer."""

    def __init__(self, number: int, transactions: int, seed: int) -> None:
        self.number = number
        self.transactions = transactions
        self.seed = seed

    def _ops(self, tx: int) -> tuple[tuple[Any, ...], ...]:
        rng = random.Random(f"ordered:{self.seed}:{self.number}:{tx}")
        return random_transaction(rng, 1000 * self.number + 10 * tx)

    def _submit(self, ctx: Context, state: OrderedClientState, tx: int) -> OrderedClientState:
        if tx > self.transactions:
            return replace(state, tx=tx, parts=())
        ctx.send("seq", Submit(tx, self._ops(tx)))
        return replace(state, tx=tx, start=ctx.now, parts=())

    def init(self, ctx: Context) -> OrderedClientState:
        return self._submit(ctx, OrderedClientState(), 1)

    def on_message(
        self, ctx: Context, state: OrderedClientState, src: str, msg: Any
    ) -> OrderedClientState:
        if not isinstance(msg, ShardResult) or msg.tx != state.tx:
            return state
        parts = tuple(sorted((*state.parts, *msg.done)))
        if len(parts) < len(self._ops(state.tx)):
            return replace(state, parts=parts)
        txn = Txn(ctx.id, tuple(op for _, op in parts), "ok", state.start, ctx.now)
        done = replace(state, history=(*state.history, txn))
        return self._submit(ctx, done, state.tx + 1)


@dataclass(frozen=True)
class OrderedRun:
    """A finished run: the simulation and the history of every client, in completion order."""

    simulation: Simulation
    history: tuple[Txn, ...]


def run_ordered(
    seed: int = 0, clients: int = 3, transactions: int = 4, mutant: str | None = None
) -> OrderedRun:
    """Run ``clients`` clients of ``transactions`` transactions each through a sequencer and
    shards ``s1`` (keys a, b) and ``s2`` (keys c, d).

    >>> run_ordered(seed=2, clients=1, transactions=1).history[0].ops
    (('r', 'd', ()), ('r', 'a', ()), ('append', 'a', 1010))
    """
    for name, n in (("clients", clients), ("transactions", transactions)):
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise ValueError(f"run_ordered: {name}={n!r} must be an int >= 1")
    shards = sorted(set(PLACEMENT.values()))
    nodes: dict[str, Node[Any]] = {"seq": Sequencer(shards)}
    for s in shards:
        nodes[s] = OrderedShard(PLACEMENT, mutant=mutant)
    for c in range(1, clients + 1):
        nodes[f"c{c}"] = OrderedClient(c, transactions, seed)
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=uniform(0.5, 2.0)))
    sim.run(until=100.0 * transactions)
    txns = [t for c in range(1, clients + 1) for t in sim.states[f"c{c}"].history]
    txns.sort(key=lambda t: (t.end, str(t.process)))
    return OrderedRun(sim, tuple(txns))


def ordered_checks(seeds: Sequence[int] = (1, 2, 3, 4, 5)) -> dict[str, Any]:
    """The check, by name: ``"serializable"`` runs 3 clients of 4 transactions on each seed
    and checks the history with ``check_isolation(level="serializable")``; it returns the
    first failing run's outcome (the counterexample length: the transactions in the cycle).

    >>> ordered_checks(seeds=[1])["serializable"](None).ok
    True
    """
    chosen = list(seeds)
    if not chosen:
        raise ValueError("ordered_checks: give at least one seed")

    def serializable(mutant: str | None) -> Outcome:
        for seed in chosen:
            run = run_ordered(seed, mutant=mutant)
            if len(run.history) < 12:
                return Outcome(False, None, f"seed {seed}: only {len(run.history)} of 12 done")
            result = check_isolation(run.history, level="serializable")
            if result.ok is not True:
                cycle = len(result.anomalies[0].cycle) if result.anomalies else None
                names = ", ".join(a.name for a in result.anomalies)
                return Outcome(False, cycle, f"seed {seed}: {names or 'unknown'}")
        return Outcome(True)

    return {"serializable": serializable}


def ordered_mutants() -> list[Mutant[str | None]]:
    """The broken shards of ``ORDERED_MUTANTS`` with the check that must catch each.

    >>> [m.name for m in ordered_mutants()]
    ['arrival_order']
    """
    return [Mutant(n, bug, _constant(n), ("serializable",)) for n, bug in ORDERED_MUTANTS.items()]


def _constant(name: str | None) -> Any:
    return lambda: name
