"""Every crash point: the storage engine and its recovery, model-checked.

``CrashModel(workload)`` is a ``dslib.check.Model`` of one engine running a small
workload of transactions, with every interleaving of

- the transactions' operations (write locks decide who waits);
- the engine's background work: writing any dirty page (steal), forcing the log, one
  checkpoint;
- a **crash** at any point, leaving any prefix of the unforced log on the disk, the last
  record of it perhaps torn (``Disk.after_crash``);
- then recovery, step by step (``Recovery.step``), during which pages may be written and
  the node may **crash again** (and recover again).

The checks judge every state where recovery has finished:

- ``atomicity``: the table is what the operations of some set of *acknowledged*
  transactions give, applied in the order they ran: nothing of a transaction that did
  not commit, nothing half of one;
- ``durability``: the table is what some set of transactions *including every
  acknowledged one* gives: nothing acknowledged is lost;
- ``idempotent_recovery``: after a crash during recovery, the second recovery ends with
  the same table as an uninterrupted recovery from the first crash.

``mutant_report()`` runs the three checks on the correct engine and on every mutant of
``dslib.databases.storage.MUTANTS``; breadth-first search gives each caught mutant's
shortest counterexample.

Examples
--------
>>> from dslib.check import check
>>> w = Workload({"T1": [("add", "x", 1), "commit"]}, keys=("x",))
>>> result = check(CrashModel(w), invariants=CHECKS)
>>> result.ok, result.complete
(True, True)
>>> bad = check(CrashModel(w, mutant="no_write_ahead"), invariants=CHECKS)
>>> bad.property, bad.counterexample.actions[:3]
('atomicity', ['T1 add x 1', 'write page x', 'crash (1 unflushed lost)'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import chain, combinations
from typing import Any

from dslib.check import CheckResult, Model, check
from dslib.databases.recovery import Recovery, recover
from dslib.databases.storage import MUTANTS, Engine, cached_hash, evolve
from dslib.mutants import Mutant, MutantReport, run_mutants

__all__ = [
    "CHECKS",
    "MUTANT_CHECKS",
    "WORKLOADS",
    "CrashModel",
    "CrashState",
    "Workload",
    "atomicity",
    "check_crashes",
    "counterexample_frame",
    "durability",
    "idempotent_recovery",
    "mutant_report",
    "outcomes",
]

Op = tuple[Any, ...]


@dataclass(frozen=True)
class Workload:
    """Transactions, each a script of operations, and the table's keys.

    Parameters
    ----------
    transactions : mapping of str to sequence
        Transaction name -> its operations, in order: ``("write", key, value)``,
        ``("add", key, amount)``, and last ``"commit"`` or ``"abort"`` (or nothing: it
        never finishes). The stored form, a tuple of ``(name, operations)`` pairs, is
        accepted too.
    keys : sequence of str, default ("x", "y")

    Raises
    ------
    ValueError, TypeError
        For an operation of an unknown kind, a key not in ``keys``, a value that is
        not an int, or an outcome that is not last.

    Examples
    --------
    >>> Workload({"T1": [("write", "x", 1), "commit"]})
    Workload(T1: write x 1, commit)
    >>> Workload({"T1": [("put", "x", 1)]})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Workload: T1's operation ('put', 'x', 1) is not one of ('write', key, int), ...
    """

    transactions: tuple[tuple[str, tuple[Op, ...]], ...]
    keys: tuple[str, ...] = ("x", "y")

    def __init__(
        self, transactions: Mapping[str, Sequence[Any]], keys: Sequence[str] = ("x", "y")
    ) -> None:
        if isinstance(transactions, tuple) and all(
            isinstance(pair, tuple) and len(pair) == 2 for pair in transactions
        ):
            transactions = dict(transactions)  # the stored form, as the codec gives it back
        if not isinstance(transactions, Mapping) or not transactions:
            raise TypeError(
                f"Workload: transactions={transactions!r} must be a non-empty mapping "
                "name -> operations"
            )
        keys = tuple(keys)
        txns = []
        for name in sorted(transactions):
            ops: list[Op] = []
            script = list(transactions[name])
            for i, op in enumerate(script):
                if op in (("commit",), ("abort",)):  # the stored form of an outcome
                    op = op[0]
                if op in ("commit", "abort"):
                    if i != len(script) - 1:
                        raise ValueError(f"Workload: {name}'s {op!r} must be its last operation")
                    ops.append((op,))
                    continue
                ok = (
                    isinstance(op, tuple)
                    and len(op) == 3
                    and op[0] in ("write", "add")
                    and op[1] in keys
                    and isinstance(op[2], int)
                    and not isinstance(op[2], bool)
                )
                if not ok:
                    raise ValueError(
                        f"Workload: {name}'s operation {op!r} is not one of ('write', key, int), "
                        "('add', key, int), 'commit', 'abort'"
                        + (
                            f" (keys: {list(keys)})"
                            if isinstance(op, tuple) and len(op) == 3
                            else ""
                        )
                    )
                ops.append(op)
            if not any(op[0] in ("write", "add") for op in ops):
                raise ValueError(f"Workload: {name} has no write or add")
            txns.append((name, tuple(ops)))
        object.__setattr__(self, "transactions", tuple(txns))
        object.__setattr__(self, "keys", keys)

    def __repr__(self) -> str:
        return (
            "Workload("
            + "; ".join(
                f"{t}: " + ", ".join(" ".join(map(str, op)) for op in ops)
                for t, ops in self.transactions
            )
            + ")"
        )


WORKLOADS: dict[str, Workload] = {
    "commit and abort": Workload(
        {
            "T1": [("add", "x", 1), ("write", "y", 5), "commit"],
            "T2": [("add", "y", 2), "abort"],
        }
    ),
    "two commits": Workload(
        {
            "T1": [("add", "x", 1), ("add", "y", 1), "commit"],
            "T2": [("write", "y", 7), "commit"],
        }
    ),
}
"""The small workloads the chapter checks: two transactions, two keys each."""


@dataclass(frozen=True)
class CrashState:
    """A state of ``CrashModel``.

    Attributes
    ----------
    phase : {"running", "recovering", "recovered"}
    engine : Engine or None
        The running engine (phase ``"running"``).
    recovery : Recovery or None
        Recovery in progress, or finished (``"recovered"``).
    done : tuple of (txn, operation)
        The operations performed so far, in the order they ran.
    acked : tuple of str
        The transactions whose commit was acknowledged.
    checkpoints, crashes : int
        How many so far.
    expected : tuple of (key, value), or None
        What an uninterrupted recovery from the first crash gives.
    """

    phase: str
    engine: Engine | None = None
    recovery: Recovery | None = None
    done: tuple[tuple[str, Op], ...] = ()
    acked: tuple[str, ...] = ()
    checkpoints: int = 0
    crashes: int = 0
    expected: tuple[tuple[str, int], ...] | None = None

    def __hash__(self) -> int:
        return cached_hash(
            self,
            (
                self.phase,
                self.engine,
                self.recovery,
                self.done,
                self.acked,
                self.checkpoints,
                self.crashes,
                self.expected,
            ),
        )

    @property
    def current(self) -> Engine:
        """The engine in memory: running, or being rebuilt by recovery."""
        if self.engine is not None:
            return self.engine
        assert self.recovery is not None
        return self.recovery.engine

    def values(self) -> dict[str, int]:
        """The table in memory."""
        return self.current.values()


def outcomes(
    keys: Sequence[str], done: Sequence[tuple[str, Op]], txns: Iterable[str]
) -> dict[str, int]:
    """The table the operations of ``txns`` give, applied in the order they ran (``done``).

    Every key starts at 0.

    Examples
    --------
    >>> done = [("T1", ("add", "x", 1)), ("T2", ("write", "y", 7)), ("T1", ("add", "y", 1))]
    >>> outcomes(("x", "y"), done, {"T1", "T2"}), outcomes(("x", "y"), done, {"T1"})
    ({'x': 1, 'y': 8}, {'x': 1, 'y': 1})
    """
    chosen = set(txns)
    table = dict.fromkeys(sorted(keys), 0)
    for txn, op in done:
        if txn in chosen and op[0] in ("write", "add"):
            _, key, arg = op
            table[key] = arg if op[0] == "write" else table[key] + arg
    return table


def _subsets(items: Sequence[str]) -> Iterable[tuple[str, ...]]:
    return chain.from_iterable(combinations(items, n) for n in range(len(items) + 1))


class CrashModel(Model[CrashState]):
    """The engine running ``workload``, crashing anywhere, recovering: every interleaving.

    Parameters
    ----------
    workload : Workload, optional
        Default: ``WORKLOADS["commit and abort"]``.
    mutant : str, optional
        A broken version from ``MUTANTS``.
    max_crashes : int, default 2
        The first crash happens while running, the others during recovery.
    max_checkpoints : int, default 1

    Raises
    ------
    TypeError, ValueError
        For a workload that is not a ``Workload``, an unknown mutant or a bound below 0.

    Examples
    --------
    >>> m = CrashModel(Workload({"T1": [("write", "x", 1), "commit"]}, keys=("x",)))
    >>> [label for label, _ in m.actions(next(iter(m.init_states())))]
    ['T1 write x 1', 'checkpoint', 'crash (nothing unflushed)']
    """

    def __init__(
        self,
        workload: Workload | None = None,
        mutant: str | None = None,
        max_crashes: int = 2,
        max_checkpoints: int = 1,
    ) -> None:
        workload = WORKLOADS["commit and abort"] if workload is None else workload
        if not isinstance(workload, Workload):
            raise TypeError(f"CrashModel: workload={workload!r} must be a Workload")
        for name, bound in (("max_crashes", max_crashes), ("max_checkpoints", max_checkpoints)):
            if not isinstance(bound, int) or isinstance(bound, bool) or bound < 0:
                raise ValueError(f"CrashModel: {name}={bound!r} must be an int >= 0")
        self.workload = workload
        self.mutant = mutant
        self.max_crashes = max_crashes
        self.max_checkpoints = max_checkpoints
        self.engine = Engine.create(workload.keys, mutant=mutant)
        super().__init__(name=f"CrashModel({'correct' if mutant is None else mutant})")

    def init_states(self) -> list[CrashState]:
        return [CrashState("running", engine=self.engine)]

    def actions(self, s: CrashState) -> list[tuple[str, CrashState]]:
        if s.phase == "recovered":
            return []
        out: list[tuple[str, CrashState]] = []
        if s.phase == "running":
            assert s.engine is not None
            out += self._transactions(s, s.engine)
        engine = s.current
        for key, _ in engine.dirty:
            out.append((f"write page {key}", self._with(s, engine.flush_page(key))))
        if s.phase == "running":
            if engine.tail:
                out.append(("force log", evolve(s, engine=engine.flush_log())))
            if s.checkpoints < self.max_checkpoints:
                out.append(
                    (
                        "checkpoint",
                        evolve(s, engine=engine.checkpoint(), checkpoints=s.checkpoints + 1),
                    )
                )
        else:
            assert s.recovery is not None
            nxt = s.recovery.step()
            label = f"recovery: {s.recovery.phase}"
            out.append((label, evolve(s, recovery=nxt, phase="recovered" if nxt.done else s.phase)))
        if s.crashes < self.max_crashes:
            out += self._crashes(s, engine)
        return out

    def _with(self, s: CrashState, engine: Engine) -> CrashState:
        if s.phase == "running":
            return evolve(s, engine=engine)
        assert s.recovery is not None
        return evolve(s, recovery=evolve(s.recovery, engine=engine))

    def _transactions(self, s: CrashState, engine: Engine) -> list[tuple[str, CrashState]]:
        out = []
        for txn, ops in self.workload.transactions:
            i = sum(1 for t, _ in s.done if t == txn)
            if i == len(ops):
                continue
            op = ops[i]
            done = (*s.done, (txn, op))
            if op[0] == "commit":
                out.append(
                    (
                        f"{txn} commit",
                        evolve(s, engine=engine.commit(txn), done=done, acked=(*s.acked, txn)),
                    )
                )
            elif op[0] == "abort":
                out.append((f"{txn} abort", evolve(s, engine=engine.abort(txn), done=done)))
            elif engine.can_write(txn, op[1]):
                step = engine.write if op[0] == "write" else engine.add
                out.append(
                    (
                        f"{txn} {op[0]} {op[1]} {op[2]}",
                        evolve(s, engine=step(txn, op[1], op[2]), done=done),
                    )
                )
        return out

    def _crashes(self, s: CrashState, engine: Engine) -> list[tuple[str, CrashState]]:
        out = []
        for words, disk in engine.crash_images():
            rec = Recovery.start(disk, self.mutant)
            expected = s.expected
            if expected is None:  # the first crash: what recovery gives if nothing interrupts it
                expected = tuple(sorted(recover(disk, self.mutant).engine.values().items()))
            state = CrashState(
                "recovering",
                recovery=rec,
                done=s.done,
                acked=s.acked,
                checkpoints=s.checkpoints,
                crashes=s.crashes + 1,
                expected=expected,
            )
            out.append((f"crash ({words})", state))
        return out

    def describe(self, state: CrashState) -> str:
        e = state.current
        return (
            f"{state.phase}: memory {e.values()}, disk {e.disk.values()}, "
            f"log {[str(f) for f in e.disk.log]}, unflushed {[str(r) for r in e.tail]}"
        )

    def changes(self, before: CrashState | None, after: CrashState, action: Any) -> str:
        e = after.current
        return f"memory {e.values()}; disk {e.disk.values()}; log {_lsns(e)}" + (
            f"; acked {', '.join(after.acked)}" if after.acked else ""
        )


def _lsns(e: Engine) -> str:
    forced = [f.record.lsn if f.intact else f"{f.record.lsn} torn" for f in e.disk.log]
    out = ",".join(map(str, forced)) or "-"
    if e.tail:
        out += " + " + ",".join(str(r.lsn) for r in e.tail) + " unflushed"
    return out


def _recovered_matches(s: CrashState, allowed: Callable[[set[str]], bool]) -> bool:
    """Some set of transactions that ``allowed`` accepts gives exactly the table."""
    values = s.values()
    keys = tuple(values)
    txns = sorted({t for t, _ in s.done} | set(s.acked))
    return any(outcomes(keys, s.done, c) == values for c in _subsets(txns) if allowed(set(c)))


def atomicity(s: CrashState) -> bool:
    """After recovery, the table is what some acknowledged transactions give, and nothing else."""
    if s.phase != "recovered":
        return True
    return _recovered_matches(s, lambda c: c <= set(s.acked))


def durability(s: CrashState) -> bool:
    """After recovery, the table holds every acknowledged transaction's changes."""
    if s.phase != "recovered":
        return True
    return _recovered_matches(s, lambda c: c >= set(s.acked))


def idempotent_recovery(s: CrashState) -> bool:
    """A recovery interrupted by a crash ends where an uninterrupted one would have."""
    if s.phase != "recovered" or s.crashes < 2:
        return True
    return tuple(sorted(s.values().items())) == s.expected


CHECKS: dict[str, Callable[[CrashState], bool]] = {
    "atomicity": atomicity,
    "durability": durability,
    "idempotent recovery": idempotent_recovery,
}
"""The checks of a recovered state, by name."""


def check_crashes(
    workload: Workload | None = None,
    mutant: str | None = None,
    checks: Mapping[str, Callable[[CrashState], bool]] | None = None,
    max_crashes: int = 2,
    max_checkpoints: int = 1,
) -> CheckResult:
    """Model-check every crash point of ``workload`` (breadth first: shortest counterexample).

    Parameters
    ----------
    workload : Workload, optional
        Default ``WORKLOADS["commit and abort"]``.
    mutant : str, optional
        A broken version from ``MUTANTS``.
    checks : mapping of str to callable, optional
        Default ``CHECKS`` (all three).
    max_crashes, max_checkpoints : int
        See ``CrashModel``.

    Returns
    -------
    dslib.check.CheckResult
        With the default checks and bounds, the same object for the same arguments (the
        search runs once per process).

    Examples
    --------
    >>> r = check_crashes(mutant="ack_before_flush")
    >>> r.property, r.counterexample.actions
    ('durability', ['T1 add x 1', 'T1 write y 5', 'T1 commit', 'crash (4 unflushed lost)', \
'recovery: analysis'])
    """
    if checks is None and (max_crashes, max_checkpoints) == (2, 1):
        return _all_checks(WORKLOADS["commit and abort"] if workload is None else workload, mutant)
    return _check(
        workload, mutant, CHECKS if checks is None else checks, max_crashes, max_checkpoints
    )


def _check(
    workload: Workload | None,
    mutant: str | None,
    checks: Mapping[str, Callable[[CrashState], bool]],
    max_crashes: int = 2,
    max_checkpoints: int = 1,
) -> CheckResult:
    model = CrashModel(workload, mutant, max_crashes=max_crashes, max_checkpoints=max_checkpoints)
    return check(model, invariants=dict(checks))


@lru_cache(maxsize=64)
def _all_checks(workload: Workload, mutant: str | None) -> CheckResult:
    # The default search is the same each time: a notebook that shows it and then the
    # mutant table runs it once.
    return _check(workload, mutant, CHECKS)


def _check_named(name: str, workloads: Sequence[Workload]) -> Callable[[str | None], CheckResult]:
    def run(mutant: str | None) -> CheckResult:
        result: CheckResult | None = None
        for w in workloads:
            result = _all_checks(w, mutant)  # one search answers every check that holds
            if not result.ok:
                result = _check(w, mutant, {name: CHECKS[name]})
                if not result.ok:
                    return result
        assert result is not None
        return result

    run.__name__ = name.replace(" ", "_")
    return run


MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "no_write_ahead": ("atomicity",),
    "ack_before_flush": ("durability",),
    "truncate_active": ("atomicity",),
    "no_checksum": ("atomicity",),
    "redo_uncommitted": ("atomicity",),
    "redo_ignores_page_lsn": ("atomicity", "durability"),
    "undo_without_clr": ("atomicity", "idempotent recovery"),
}
"""For each mutant, the checks that must catch it."""


def mutant_report(
    workloads: Sequence[Workload] | None = None, all_checks: bool = False
) -> MutantReport:
    """The mutant table: the three checks on the correct engine and on every mutant.

    Each check model-checks every workload of ``workloads`` (default: both of
    ``WORKLOADS``) and reports the first that fails, with its shortest counterexample.

    Parameters
    ----------
    workloads : sequence of Workload, optional
    all_checks : bool, default False
        Run every check on every mutant, not only those of ``MUTANT_CHECKS``. A check
        that does not catch a mutant explores all its states: about 30 s in all, where
        the default takes a few seconds.

    Returns
    -------
    dslib.mutants.MutantReport
        ``.to_frame()`` is the table.
    """
    workloads = list(WORKLOADS.values()) if workloads is None else list(workloads)
    checks = {name: _check_named(name, workloads) for name in CHECKS}
    mutants: list[Mutant[str | None]] = [
        Mutant(name, MUTANTS[name], partial(str, name), MUTANT_CHECKS[name]) for name in MUTANTS
    ]
    return run_mutants(lambda: None, mutants, checks, all_checks=all_checks)


def counterexample_frame(result: CheckResult) -> Any:
    """A counterexample of ``check_crashes`` as a table: per step, memory, disk and log.

    Returns
    -------
    pandas.DataFrame
        Columns: action, memory, pages on disk, log on disk (LSNs; "torn" marks a torn
        record), unflushed (LSNs in the tail), acknowledged.

    Raises
    ------
    ValueError
        If ``result`` has no counterexample (it passed).
    """
    import pandas as pd

    if result.counterexample is None:
        raise ValueError(f"counterexample_frame: the check passed ({result.summary()})")
    rows = []
    for step in result.counterexample.steps:
        s: CrashState = step.state
        e = s.current
        rows.append(
            {
                "action": "(start)" if step.action is None else step.action,
                "memory": _table(e.values()),
                "disk pages": _table(e.disk.values()),
                "log on disk": " ".join(
                    str(f.record.lsn) if f.intact else f"{f.record.lsn}(torn)" for f in e.disk.log
                )
                or "-",
                "unflushed": " ".join(str(r.lsn) for r in e.tail) or "-",
                "acknowledged": ", ".join(s.acked) or "-",
            }
        )
    return pd.DataFrame(rows).rename_axis("step")


def _table(values: Mapping[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(values.items()))
