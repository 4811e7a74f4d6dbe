"""Interactive transactions in the simulator: a transactional key-value server and its clients.

A ``TxnServer`` node is a key-value store that runs one concurrency-control algorithm of
``dslib.databases.concurrency`` (the isolation level). ``TxnClient`` nodes run interactive
transactions against it, one operation per round trip, as a program of steps:
``("begin",)``, ``("r", key)``, ``("w", key, value)``, ``("append", key, value)``,
``("scan", lo, hi)``, then ``("commit",)`` or ``("abort",)``. A step may carry a time: the
client issues it then (or as soon as the previous step is answered, if later), which is how
the anomaly catalogue scripts an interleaving. An operation that must wait for a lock is
answered when the lock is released; a transaction the server aborts (a deadlock victim, the
loser of first-committer-wins, the pivot of a dangerous structure) is answered "aborted",
and its client skips the rest of it.

Each client records what it saw as a history in the shared format of
``dslib.consistency.isolation`` (``Txn``: the process, the micro-operations with the values
read, committed or not, and the real times), so that ``check_isolation`` judges the run:
``TxnRun.check()``.

A scan reads a range of the server's key space (``keys``): every key of the space in the
range, an absent key read as empty. In the history a scan is one read per key, so a phantom
(a key inserted into a range another transaction scanned) shows as an item anomaly on that
key; the serializable level locks the range itself (a predicate lock), which is what stops
the insert.

Examples
--------
>>> programs = {
...     "c1": [(0, ("begin",)), (10, ("r", "x")), (40, ("r", "x")), (None, ("commit",))],
...     "c2": [(20, ("begin",)), (None, ("append", "x", 1)), (None, ("commit",))],
... }
>>> run = run_transactions(programs, "read-committed")
>>> for txn in run.history:
...     print(txn.process, txn.ops, txn.type)
c1 (('r', 'x', ()), ('r', 'x', (1,))) ok
c2 (('append', 'x', 1),) ok
>>> run_transactions(programs, "serializable").counts["waits"]
1
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.consistency.isolation import IsolationResult, Txn, check_isolation
from dslib.core import Context, Node, System
from dslib.databases.concurrency import CHECKER_LEVEL, LEVELS, ConcurrencyControl, ServerState
from dslib.errors import ProtocolError
from dslib.sim.simulator import Simulation

__all__ = [
    "WORKLOADS",
    "ClientState",
    "LogEntry",
    "Step",
    "TxnClient",
    "TxnReply",
    "TxnRequest",
    "TxnRun",
    "TxnServer",
    "random_programs",
    "run_transactions",
]

WORKLOADS = ("list-append", "rw-register")
SERVER = "db"
OPS = ("begin", "r", "w", "append", "scan", "commit", "abort")
FINAL_READ_AT = 100_000.0
"""When the final reader of ``random_programs(final_read=True)`` begins."""


@dataclass(frozen=True)
class TxnRequest:
    """A client's operation ``op`` of transaction ``tid``."""

    tid: str
    op: tuple[Any, ...]


@dataclass(frozen=True)
class TxnReply:
    """The server's answer: ``ok`` with ``result``, or aborted for ``reason``.

    ``waited`` says the operation waited for a lock before it was answered.
    """

    tid: str
    op: tuple[Any, ...]
    ok: bool
    result: Any = None
    reason: str = ""
    waited: bool = False


class TxnServer(Node[ServerState]):
    """The transactional key-value store: one ``ConcurrencyControl`` at one isolation level.

    Parameters
    ----------
    level : str
        One of ``dslib.databases.concurrency.LEVELS``.
    mutant : str or None
        A broken algorithm of ``concurrency.MUTANTS``.
    keys : sequence
        The key space that scans range over.
    control : type, default ConcurrencyControl
        The concurrency-control class (a subclass may replace one of its rules).
    """

    def __init__(
        self,
        level: str,
        mutant: str | None = None,
        keys: Sequence[Any] = (),
        control: type[ConcurrencyControl] = ConcurrencyControl,
    ) -> None:
        control(level, mutant, keys)  # validates
        self.level = level
        self.mutant = mutant
        self.keys = tuple(keys)
        self.control = control

    def init(self, ctx: Context) -> ServerState:
        return ServerState()

    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        if not isinstance(msg, TxnRequest):
            raise ProtocolError(f"TxnServer got {msg!r} from {src!r}; it accepts TxnRequest only")
        cc = self.control.thaw(state, self.level, self.mutant, self.keys)
        for client, tid, op, outcome, waited in cc.submit(src, msg.tid, msg.op):
            kind, value = outcome
            if kind == "done":
                ctx.send(client, TxnReply(tid, op, True, value, waited=waited))
            else:
                ctx.send(client, TxnReply(tid, op, False, None, reason=value, waited=waited))
        return cc.freeze()

    def __repr__(self) -> str:
        return f"TxnServer({self.level!r}, mutant={self.mutant!r})"


Step = tuple[float | None, tuple[Any, ...]]
"""A program step: the time to issue it (None: as soon as the previous one is answered), the op."""


@dataclass(frozen=True)
class LogEntry:
    """One operation as its client saw it: when issued and answered, and how it ended.

    ``outcome`` is ``"ok"``, ``"waited"`` (ok after waiting for a lock) or ``"aborted: ..."``.
    """

    tid: str
    op: tuple[Any, ...]
    issued: float
    answered: float
    outcome: str
    result: Any = None


@dataclass(frozen=True)
class ClientState:
    """A client's progress through its program and what it recorded."""

    step: int = 0
    waiting: bool = False
    issued: float = 0.0
    txn_count: int = 0
    tid: str = ""
    txn_start: float = 0.0
    ops: tuple[tuple[Any, ...], ...] = ()
    history: tuple[Txn, ...] = ()
    log: tuple[LogEntry, ...] = ()


class TxnClient(Node[ClientState]):
    """A client running a program of transactions, one operation at a time.

    Parameters
    ----------
    program : sequence of (time or None, op)
        The steps; each transaction starts with ``("begin",)`` and ends with ``("commit",)``
        or ``("abort",)``.
    workload : {"list-append", "rw-register"}
        How reads are recorded: in list-append an absent key reads as the empty list ``()``.
    server : str
        The server's node id.
    """

    def __init__(
        self, program: Sequence[Step], workload: str = "list-append", server: str = SERVER
    ) -> None:
        self.program = _check_program(program)
        if workload not in WORKLOADS:
            raise ValueError(f"TxnClient: workload={workload!r}; allowed: {list(WORKLOADS)}")
        self.workload = workload
        self.server = server

    def init(self, ctx: Context) -> ClientState:
        return self._next(ctx, ClientState())

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        return self._next(ctx, state)

    def _next(self, ctx: Context, state: ClientState) -> ClientState:
        if state.waiting or state.step >= len(self.program):
            return state
        at, op = self.program[state.step]
        if at is not None and at > ctx.now:
            ctx.set_timer("next", at - ctx.now)
            return state
        if op[0] == "begin":
            tid = f"{ctx.id}.{state.txn_count + 1}"
            state = replace(
                state, tid=tid, txn_count=state.txn_count + 1, txn_start=ctx.now, ops=()
            )
        ctx.send(self.server, TxnRequest(state.tid, op))
        return replace(state, waiting=True, issued=ctx.now)

    def _micro_ops(self, op: tuple[Any, ...], result: Any) -> tuple[tuple[Any, ...], ...]:
        def read(key: Any, value: Any) -> tuple[Any, ...]:
            if self.workload == "list-append" and value is None:
                value = ()
            return ("r", key, value)

        if op[0] == "r":
            return (read(op[1], result),)
        if op[0] == "scan":
            return tuple(read(k, v) for k, v in result)
        if op[0] in ("w", "append"):
            return (op,)
        return ()

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, TxnReply):
            raise ProtocolError(f"TxnClient got {msg!r} from {src!r}; it accepts TxnReply only")
        if msg.tid != state.tid or not state.waiting:
            return state  # (cannot happen: one operation at a time; kept for a replayed reply)
        outcome = "waited" if msg.ok and msg.waited else "ok"
        if not msg.ok:
            outcome = f"aborted: {msg.reason}"
        entry = LogEntry(msg.tid, msg.op, state.issued, ctx.now, outcome, msg.result)
        state = replace(state, waiting=False, log=(*state.log, entry), step=state.step + 1)
        kind = msg.op[0]
        if msg.ok and kind not in ("commit", "abort"):
            return self._next(
                ctx, replace(state, ops=state.ops + self._micro_ops(msg.op, msg.result))
            )
        if kind == "begin":  # refused: skip the transaction
            return self._next(ctx, self._skip(state))
        committed = msg.ok and kind == "commit"
        txn = Txn(ctx.id, state.ops, "ok" if committed else "fail", state.txn_start, ctx.now)
        state = replace(state, history=(*state.history, txn), ops=())
        if not msg.ok and kind not in ("commit", "abort"):
            state = self._skip(state)
        return self._next(ctx, state)

    def _skip(self, state: ClientState) -> ClientState:
        """Skip the rest of an aborted transaction: past its commit or abort step."""
        i = state.step
        while i < len(self.program) and self.program[i][1][0] not in ("commit", "abort"):
            i += 1
        return replace(state, step=i + 1)

    def __repr__(self) -> str:
        return f"TxnClient({len(self.program)} steps)"


def _check_program(program: Sequence[Step]) -> tuple[Step, ...]:
    steps = tuple(program)
    open_txn = False
    for i, step in enumerate(steps):
        if not (isinstance(step, tuple) and len(step) == 2 and isinstance(step[1], tuple)):
            raise TypeError(f"program step {i}: {step!r} must be a pair (time or None, op tuple)")
        at, op = step
        if at is not None and (isinstance(at, bool) or not isinstance(at, (int, float)) or at < 0):
            raise ValueError(f"program step {i}: time {at!r} must be None or a number >= 0")
        if not op or op[0] not in OPS:
            raise ValueError(f"program step {i}: op {op!r}; allowed ops: {list(OPS)}")
        arity = {"begin": 1, "commit": 1, "abort": 1, "r": 2, "w": 3, "append": 3, "scan": 3}
        if len(op) != arity[op[0]]:
            raise ValueError(f"program step {i}: op {op!r} takes {arity[op[0]] - 1} argument(s)")
        if (op[0] == "begin") == open_txn:
            what = "begins inside a transaction" if open_txn else "is outside a transaction"
            raise ValueError(f"program step {i}: {op!r} {what}; start each with ('begin',)")
        open_txn = op[0] not in ("commit", "abort")
    if open_txn:
        raise ValueError("program: the last transaction does not end with commit or abort")
    return steps


@dataclass(frozen=True)
class TxnRun:
    """A finished run: the history the clients recorded, their logs and the server's counts.

    Attributes
    ----------
    level, mutant, workload : str
    history : tuple of Txn
        Every transaction, in the order of their start times (ties by client).
    log : dict of str to tuple of LogEntry
        Each client's operations as it saw them.
    counts : dict of str to int
        ``committed``, ``waits``, ``deadlocks`` and ``aborted: <reason>`` per reason.
    duration : float
        The simulated time of the last event.
    unfinished : tuple of str
        Transactions still open at the end (waiting for a lock that is never released).
    """

    level: str
    mutant: str | None
    workload: str
    history: tuple[Txn, ...]
    log: dict[str, tuple[LogEntry, ...]] = field(repr=False)
    counts: dict[str, int] = field(repr=False)
    duration: float = 0.0
    unfinished: tuple[str, ...] = ()

    @property
    def committed(self) -> int:
        """How many transactions committed."""
        return sum(1 for t in self.history if t.type == "ok")

    @property
    def aborted(self) -> dict[str, int]:
        """How many the server aborted, by reason (client aborts not counted)."""
        return {
            k.removeprefix("aborted: "): n
            for k, n in self.counts.items()
            if k.startswith("aborted: ") and k != "aborted: asked by the client"
        }

    def check(self, level: str | None = None) -> IsolationResult:
        """``check_isolation`` of the history at ``level`` (default: the level the store claims)."""
        return check_isolation(
            self.history,
            workload=self.workload,
            level=CHECKER_LEVEL[self.level] if level is None else level,
        )


def run_transactions(
    programs: Mapping[str, Sequence[Step]],
    level: str = "serializable",
    *,
    mutant: str | None = None,
    keys: Sequence[Any] = (),
    workload: str = "list-append",
    seed: int = 0,
    max_events: int = 1_000_000,
    control: type[ConcurrencyControl] = ConcurrencyControl,
) -> TxnRun:
    """Run client programs against a store at ``level`` in the simulator, to the end.

    Parameters
    ----------
    programs : mapping of str to sequence of steps
        Each client's program (client ids must not be ``"db"``, the server's).
    level : str
        The store's algorithm (``concurrency.LEVELS``).
    mutant : str or None
        A broken algorithm of ``level`` (``concurrency.MUTANTS``).
    keys : sequence
        The key space scans range over.
    workload : {"list-append", "rw-register"}
    seed : int
    max_events : int
        A bound on the events handled.
    control : type, default ConcurrencyControl
        The concurrency-control class (an exercise's subclass replaces a rule).

    Returns
    -------
    TxnRun

    Raises
    ------
    ValueError
        A bad level, mutant, workload, client id or program.

    Examples
    --------
    >>> run = run_transactions({"c1": [(0, ("begin",)), (None, ("w", "x", 1)),
    ...                                (None, ("commit",))]}, "snapshot-isolation",
    ...                        workload="rw-register")
    >>> run.history[0].ops, run.committed
    ((('w', 'x', 1),), 1)
    """
    if level not in LEVELS:
        raise ValueError(f"run_transactions: level={level!r}; allowed: {list(LEVELS)}")
    if workload not in WORKLOADS:
        raise ValueError(f"run_transactions: workload={workload!r}; allowed: {list(WORKLOADS)}")
    if not programs:
        raise ValueError("run_transactions: no client programs given")
    if SERVER in programs:
        raise ValueError(f"run_transactions: {SERVER!r} is the server's id; name clients otherwise")
    nodes: dict[str, Node[Any]] = {SERVER: TxnServer(level, mutant, keys, control)}
    for client in sorted(programs):
        nodes[client] = TxnClient(programs[client], workload)
    sim = Simulation(System(nodes), seed=seed, record_trace=False)
    sim.run(max_events=max_events)
    states = sim.states
    history = sorted(
        (t for c in sorted(programs) for t in states[c].history),
        key=lambda t: (t.start if t.start is not None else 0.0, str(t.process)),
    )
    return TxnRun(
        level,
        mutant,
        workload,
        tuple(history),
        {c: states[c].log for c in sorted(programs)},
        dict(states[SERVER].counts),
        sim.now,
        tuple(sorted(states[c].tid for c in programs if states[c].waiting)),
    )


def random_programs(
    seed: int,
    clients: int = 3,
    txns: int = 4,
    keys: Sequence[Any] = ("x", "y", "z"),
    ops: tuple[int, int] = (1, 4),
    workload: str = "list-append",
    read_fraction: float = 0.5,
    abort_fraction: float = 0.0,
    final_read: bool = False,
    scan_fraction: float = 0.0,
) -> dict[str, list[Step]]:
    """Random interactive transactions for ``clients`` clients, each issued when it can be.

    Reads and writes (appends in list-append) on ``keys``; every value written to a key is
    unique (a counter), as the checker requires.

    Parameters
    ----------
    seed : int
    clients, txns : int
        How many clients, and transactions per client.
    keys : sequence
        The keys used; fewer keys, more contention.
    ops : (int, int)
        The least and the most operations per transaction.
    workload : {"list-append", "rw-register"}
    read_fraction, abort_fraction : float
        The share of reads among operations, of transactions the client aborts itself.
    scan_fraction : float, default 0
        The share of reads that are scans of a random range of ``keys`` (run them with
        ``run_transactions(..., keys=keys)`` so that the store knows the key space).
    final_read : bool, default False
        Add a client ``"final"`` that reads every key at time ``FINAL_READ_AT``, after the
        others are done (unless they run longer): it shows the checker the final order of
        every key's versions, which unread appends would leave unknown.

    Examples
    --------
    >>> random_programs(1, clients=1, txns=1, ops=(2, 2))["c1"]
    [(None, ('begin',)), (None, ('r', 'z')), (None, ('append', 'z', 1)), (None, ('commit',))]
    """
    if workload not in WORKLOADS:
        raise ValueError(f"random_programs: workload={workload!r}; allowed: {list(WORKLOADS)}")
    if clients < 1 or txns < 1 or not keys or not (1 <= ops[0] <= ops[1]):
        raise ValueError(
            "random_programs: need clients >= 1, txns >= 1, some keys, 1 <= ops[0] <= ops[1]"
        )
    rng = random.Random(f"transactions:{seed}")
    write = "append" if workload == "list-append" else "w"
    counter = 0
    programs: dict[str, list[Step]] = {}
    for c in range(1, clients + 1):
        steps: list[Step] = []
        for _ in range(txns):
            steps.append((None, ("begin",)))
            for _ in range(rng.randint(*ops)):
                key = keys[rng.randrange(len(keys))]
                if rng.random() < read_fraction:
                    if scan_fraction and rng.random() < scan_fraction:
                        lo, hi = sorted((key, keys[rng.randrange(len(keys))]))
                        steps.append((None, ("scan", lo, hi)))
                    else:
                        steps.append((None, ("r", key)))
                else:
                    counter += 1
                    steps.append((None, (write, key, counter)))
            steps.append((None, ("abort",) if rng.random() < abort_fraction else ("commit",)))
        programs[f"c{c}"] = steps
    if final_read:
        reads: list[Step] = [(None, ("r", k)) for k in keys]
        programs["final"] = [(FINAL_READ_AT, ("begin",)), *reads, (None, ("commit",))]
    return programs
