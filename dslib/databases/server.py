"""The storage engine as a node of the simulator: it crashes, and recovers from its disk.

``StorageServer`` keeps an ``Engine`` as its state. After every event it persists
``engine.durable()`` (``ctx.persist``): the pages and the forced log, and the unforced
tail as *unsynced*. When the simulator restarts it after a crash, ``on_recover`` lets the
crash decide how much of that tail reached the disk, and whether the last record is torn
(``ctx.choose``: random in the simulator, every choice under the model checker), then
runs ``recover``. A background timer writes dirty pages (steal) and forces the log now
and then; another takes checkpoints.

``WorkloadClient`` runs transactions one after another, one operation per message, and keeps
what it was told: committed (acknowledged), aborted, or unknown (no answer: the server
may have crashed before or after the commit). ``run_workload`` runs clients against a
server with crashes at given times, then crashes the server once more and recovers it,
and ``judge_run`` checks that the table holds every acknowledged transaction, no aborted
or unfinished one, and each unknown one wholly or not at all.

Examples
--------
>>> scripts = {"c1": [[("add", "x", 1), ("add", "y", 1), "commit"]],
...            "c2": [[("add", "y", 4), "commit"], [("add", "x", 8), "abort"]]}
>>> sim = run_workload(scripts, crashes=[(3.2, 2.0)], seed=1)
>>> verdict = judge_run(sim)
>>> verdict.ok, verdict.values
(True, {'x': 1, 'y': 5})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, combinations
from typing import Any

from dslib.core import Context, Node, System
from dslib.databases.recovery import recover
from dslib.databases.storage import MUTANTS, Disk, Engine, LockConflict, evolve
from dslib.mutants import check_mutant
from dslib.sim.nemesis import Crash, Restart
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "CRASH_SCRIPTS",
    "ClientState",
    "Reply",
    "Request",
    "RunVerdict",
    "StorageServer",
    "WorkloadClient",
    "catch_count",
    "judge_run",
    "judge_table",
    "run_workload",
    "seeded_crash_run",
]


@dataclass(frozen=True)
class Request:
    """Operation number ``seq`` of transaction ``txn``: ``("add", key, n)``, ``("write", key, v)``,
    ``("commit",)`` or ``("abort",)``."""

    txn: str
    seq: int
    op: tuple[Any, ...]


@dataclass(frozen=True)
class Reply:
    """The server's answer to a ``Request``: done, or refused with the reason."""

    txn: str
    seq: int
    ok: bool
    reason: str = ""


class StorageServer(Node[Engine]):
    """The engine as a node: transactions by message, background page writes, recovery.

    Parameters
    ----------
    keys : sequence of str, default ("x", "y")
    mutant : str, optional
        A broken version from ``MUTANTS``.
    background : float, default 1.0
        Every so often, the server writes one dirty page or forces the log (chosen at
        random), as a buffer manager and a log writer do.
    checkpoint_every : float, default 10.0

    Examples
    --------
    >>> StorageServer(mutant="typo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: StorageServer: unknown mutant 'typo'; allowed: None or one of [...]
    """

    def __init__(
        self,
        keys: Sequence[str] = ("x", "y"),
        mutant: str | None = None,
        background: float = 1.0,
        checkpoint_every: float = 10.0,
    ) -> None:
        check_mutant("StorageServer", mutant, MUTANTS)
        for name, value in (("background", background), ("checkpoint_every", checkpoint_every)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"StorageServer: {name}={value!r} must be a number > 0")
        self.keys = tuple(keys)
        self.mutant = mutant
        self.background = background
        self.checkpoint_every = checkpoint_every
        Engine.create(self.keys, mutant)  # validates the keys

    def _start(self, ctx: Context, engine: Engine) -> Engine:
        ctx.set_timer("background", self.background)
        ctx.set_timer("checkpoint", self.checkpoint_every)
        ctx.persist(engine.durable())
        return engine

    def init(self, ctx: Context) -> Engine:
        return self._start(ctx, Engine.create(self.keys, self.mutant))

    def on_recover(self, ctx: Context, durable: Any) -> Engine:
        if not isinstance(durable, Disk):  # crashed before init persisted anything
            return self.init(ctx)
        kept, torn = ctx.choose(durable.crash_choices())  # what the crash left of the tail
        return self._start(ctx, recover(durable.after_crash(kept, torn), self.mutant).engine)

    def on_message(self, ctx: Context, state: Engine, src: str, msg: Any) -> Engine:
        if not isinstance(msg, Request):
            return state
        engine, reason = state, ""
        running = msg.txn in state.active()
        kind = msg.op[0]
        if msg.seq > 0 and not running:
            reason = "transaction unknown (lost in a crash)"
        elif kind == "commit":
            engine = state.commit(msg.txn)
        elif kind == "abort":
            engine = state.abort(msg.txn)
        else:
            try:
                step = state.write if kind == "write" else state.add
                engine = step(msg.txn, msg.op[1], msg.op[2])
            except LockConflict as exc:
                reason = str(exc)
        ctx.send(src, Reply(msg.txn, msg.seq, not reason, reason))
        ctx.persist(engine.durable())
        return engine

    def on_timer(self, ctx: Context, state: Engine, timer: Any) -> Engine:
        engine = state
        if timer == "checkpoint":
            engine = state.checkpoint()
            ctx.set_timer("checkpoint", self.checkpoint_every)
        else:
            choices = ["nothing", "force log", *(f"write {k}" for k, _ in state.dirty)]
            what = ctx.choose(choices)
            if what == "force log":
                engine = state.flush_log()
            elif what.startswith("write "):
                engine = state.flush_page(what[len("write ") :])
            ctx.set_timer("background", self.background)
        ctx.persist(engine.durable())
        return engine


@dataclass(frozen=True)
class ClientState:
    """A client's progress and what it was told.

    ``outcomes`` has one ``(txn, outcome)`` per transaction finished: ``"committed"``,
    ``"aborted"``, ``"unknown"`` (commit sent, no answer) or ``"lost"`` (no answer before
    the commit was sent: never committed).
    """

    txn_index: int = 0
    seq: int = 0
    outcomes: tuple[tuple[str, str], ...] = ()


class WorkloadClient(Node[ClientState]):
    """Runs its transactions one after another against ``server``.

    Parameters
    ----------
    name : str
        The client's id (transactions are named ``f"{name}.{i}"``).
    transactions : sequence of sequences
        Each a script of operations, as in ``dslib.databases.crashes.Workload``.
    server : str, default "db"
    timeout : float, default 5.0
        How long to wait for an answer before giving the transaction up.
    retry : float, default 1.0
        How long to wait before asking again when a lock is held.
    """

    def __init__(
        self,
        name: str,
        transactions: Sequence[Sequence[Any]],
        server: str = "db",
        timeout: float = 5.0,
        retry: float = 1.0,
    ) -> None:
        self.name = name
        self.scripts = tuple(
            tuple((op,) if op in ("commit", "abort") else tuple(op) for op in t)
            for t in transactions
        )
        self.server = server
        self.timeout = timeout
        self.retry = retry

    def _txn(self, i: int) -> str:
        return f"{self.name}.{i}"

    def _send(self, ctx: Context, s: ClientState) -> ClientState:
        if s.txn_index < len(self.scripts):
            op = self.scripts[s.txn_index][s.seq]
            ctx.send(self.server, Request(self._txn(s.txn_index), s.seq, op))
            ctx.set_timer("timeout", self.timeout)
        return s

    def _finish(self, ctx: Context, s: ClientState, outcome: str) -> ClientState:
        ctx.cancel_timer("timeout")
        done = (*s.outcomes, (self._txn(s.txn_index), outcome))
        return self._send(ctx, ClientState(s.txn_index + 1, 0, done))

    def init(self, ctx: Context) -> ClientState:
        return self._send(ctx, ClientState())

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, Reply) or state.txn_index >= len(self.scripts):
            return state
        if msg.txn != self._txn(state.txn_index) or msg.seq != state.seq:
            return state  # a late answer to something given up
        script = self.scripts[state.txn_index]
        if not msg.ok:
            if msg.reason.startswith("transaction unknown"):
                return self._finish(ctx, state, "lost")
            ctx.cancel_timer("timeout")
            ctx.set_timer("retry", self.retry)  # a lock is held: ask again later
            return state
        if state.seq == len(script) - 1 and script[-1][0] in ("commit", "abort"):
            return self._finish(ctx, state, "committed" if script[-1][0] == "commit" else "aborted")
        if state.seq == len(script) - 1:  # a script with no outcome: left running
            return self._finish(ctx, state, "lost")
        return self._send(ctx, evolve(state, seq=state.seq + 1))

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if state.txn_index >= len(self.scripts):
            return state
        if timer == "retry":
            return self._send(ctx, state)
        script = self.scripts[state.txn_index]
        sent_commit = script[state.seq][0] == "commit"
        return self._finish(ctx, state, "unknown" if sent_commit else "lost")


def run_workload(
    scripts: Mapping[str, Sequence[Sequence[Any]]],
    crashes: Iterable[tuple[float, float]] = (),
    seed: int = 0,
    mutant: str | None = None,
    keys: Sequence[str] = ("x", "y"),
    until: float = 200.0,
) -> Simulation:
    """Run clients against a ``StorageServer`` "db", crashing it at the given times.

    Parameters
    ----------
    scripts : mapping of str to sequence
        Client name -> its transactions (each a script of operations).
    crashes : iterable of (time, downtime)
        The server crashes at ``time`` and restarts ``downtime`` later.
    seed : int, default 0
    mutant : str, optional
    keys : sequence of str, default ("x", "y")
    until : float, default 200.0
        The run ends then; finally the server crashes once more and recovers, so that the
        table judged is the one recovered from its disk.

    Returns
    -------
    Simulation

    Raises
    ------
    ValueError
        If a client is named "db", or crashes overlap.
    """
    nodes: dict[str, Node[Any]] = {"db": StorageServer(keys, mutant)}
    for name, txns in scripts.items():
        if name == "db":
            raise ValueError("run_workload: 'db' is the server's name; name the clients otherwise")
        nodes[name] = WorkloadClient(name, txns)
    sim = Simulation(System(nodes), seed=seed, network=Network(latency=0.1))
    up_again = 0.0
    for t, down in sorted(crashes):
        if t < up_again or down <= 0:
            raise ValueError(
                f"run_workload: crashes={list(crashes)!r}: each (time, downtime) needs "
                "downtime > 0 and must start after the previous restart"
            )
        up_again = t + down
        sim.at(t, Crash("db"))
        sim.at(t + down, Restart("db"))
    sim.run(until=until)
    if "db" not in sim.crashed:
        sim.crash("db")
    sim.restart("db")
    return sim


@dataclass(frozen=True)
class RunVerdict:
    """The verdict on a run: ``ok``, the table, and what each transaction was told."""

    ok: bool
    values: dict[str, int]
    outcomes: dict[str, str]
    explanation: str = ""


def judge_run(sim: Simulation) -> RunVerdict:
    """Check a finished ``run_workload``: acknowledged all in, aborted and lost all out.

    Every operation must be an ``add``: sums do not depend on the order of the
    transactions, so the expected table is known from which transactions count. The
    table must equal the sum of some set that contains every committed transaction,
    any of the unknown ones, and nothing else.

    Raises
    ------
    ValueError
        If a script writes (``"write"``): the order would matter.
    """
    values = sim.states["db"].values()
    outcomes: dict[str, str] = {}
    effects: dict[str, dict[str, int]] = {}
    for name, node in sim.system.nodes.items():
        if not isinstance(node, WorkloadClient):
            continue
        state: ClientState = sim.states[name]
        outcomes.update(state.outcomes)
        for i, script in enumerate(node.scripts):
            total: dict[str, int] = {}
            for op in script:
                if op[0] == "write":
                    raise ValueError(
                        "judge_run: only 'add' operations (a write's effect depends on order)"
                    )
                if op[0] == "add":
                    total[op[1]] = total.get(op[1], 0) + op[2]
            effects[f"{name}.{i}"] = total
    return judge_table(values, effects, outcomes)


def judge_table(
    values: Mapping[str, int],
    effects: Mapping[str, Mapping[str, int]],
    outcomes: Mapping[str, str],
) -> RunVerdict:
    """Is ``values`` the sum of every committed transaction, some unknown ones, and no other?

    Parameters
    ----------
    values : mapping of str to int
        The table (every key; each started at 0).
    effects : mapping of str to mapping
        Transaction -> what it adds to each key.
    outcomes : mapping of str to str
        Transaction -> ``"committed"``, ``"aborted"``, ``"lost"`` or ``"unknown"``.

    Returns
    -------
    RunVerdict

    Raises
    ------
    ValueError
        If an outcome is not one of the four, or a transaction has no effects given.

    Examples
    --------
    >>> effects = {"a": {"x": 1}, "b": {"x": 2}}
    >>> judge_table({"x": 1}, effects, {"a": "committed", "b": "unknown"}).ok
    True
    >>> judge_table({"x": 2}, effects, {"a": "committed", "b": "unknown"}).explanation
    "the table {'x': 2} is not the sum of the committed transactions ['a'] plus any of the \
unknown ones ['b']"
    """
    allowed = ("committed", "aborted", "lost", "unknown")
    for t, o in outcomes.items():
        if o not in allowed:
            raise ValueError(f"judge_table: outcome {o!r} of {t!r}; allowed: {', '.join(allowed)}")
        if t not in effects:
            raise ValueError(f"judge_table: no effects given for transaction {t!r}")
    values = dict(values)
    must = [t for t, o in sorted(outcomes.items()) if o == "committed"]
    may = [t for t, o in sorted(outcomes.items()) if o == "unknown"]
    for extra in chain.from_iterable(combinations(may, n) for n in range(len(may) + 1)):
        table = dict.fromkeys(values, 0)
        for t in (*must, *extra):
            for k, n in effects[t].items():
                table[k] = table.get(k, 0) + n
        if table == values:
            return RunVerdict(True, values, dict(outcomes))
    return RunVerdict(
        False,
        values,
        dict(outcomes),
        f"the table {values} is not the sum of the committed transactions {must} "
        f"plus any of the unknown ones {may}",
    )


CRASH_SCRIPTS: dict[str, list[list[Any]]] = {
    "c1": [[("add", "x", 1), ("add", "y", 2), "commit"], [("add", "x", 4), "commit"]],
    "c2": [[("add", "y", 8), "commit"], [("add", "x", 16), "abort"], [("add", "y", 32), "commit"]],
}
"""Two clients, five transactions (one aborts), adds only: the runs of ``seeded_crash_run``."""


def seeded_crash_run(seed: int, mutant: str | None = None) -> Simulation:
    """``CRASH_SCRIPTS`` with two crashes whose times depend on ``seed``, run to time 60.

    The server crashes at ``1 + 0.7 (seed mod 7)`` for 1.5 time units and at
    ``9 + 0.9 (seed mod 5)`` for 1; what each crash keeps of the log tail is random.

    Examples
    --------
    >>> judge_run(seeded_crash_run(3)).ok
    True
    """
    crashes = [(1.0 + (seed % 7) * 0.7, 1.5), (9.0 + (seed % 5) * 0.9, 1.0)]
    return run_workload(CRASH_SCRIPTS, crashes=crashes, seed=seed, mutant=mutant, until=60.0)


def catch_count(mutant: str | None, seeds: Iterable[int]) -> int:
    """In how many of ``seeds`` does ``judge_run`` reject ``seeded_crash_run(seed, mutant)``.

    Examples
    --------
    >>> catch_count(None, range(5)), catch_count("redo_ignores_page_lsn", range(5))
    (0, 5)
    """
    return sum(not judge_run(seeded_crash_run(seed, mutant)).ok for seed in seeds)
