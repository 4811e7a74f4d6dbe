"""The transactions playground of chapter 8: the reader interleaves two or three transactions.

The reader chooses an isolation level (one of the store's concurrency-control algorithms,
``dslib.databases.concurrency.LEVELS``) and a scenario (an anomaly of the catalogue,
``dslib.databases.anomalies.CATALOGUE``, whose script gives each transaction its
operations), then steps the transactions one operation at a time, in any order: "step T1",
"step T2", "step T3". Each step goes to the store's own algorithm
(``ConcurrencyControl.submit``, the code the simulated server runs), which answers it, makes
it wait for a lock, or aborts a transaction (a deadlock victim, the loser of
first-committer-wins, the pivot of a dangerous structure); an operation that waits goes on
by itself when the lock it waits for is released.

After every step, the history so far (in the shared format of
``dslib.consistency.isolation``) goes to ``check_isolation``, and the picture shows:

- each transaction's operations: done (with the value read), waiting, aborted, skipped
  (after an abort) or still to do;
- the dependency graph (``draw_dependency_graph``) over the transactions so far, a
  transaction still running taken as if it committed now, so that the graph grows with
  every operation;
- the verdict: the anomaly, in Adya's terms and in plain words, the moment a cycle closes
  among committed transactions (or, before that, the cycle that would close if the
  running transactions committed now), and whether the level forbids it.

A committed transaction's appends are ordered by the reads that show them; a read of every
key after the last transaction ends (the *observer*, as the catalogue's final read) shows
the checker the final order of every key's versions.

``TransactionsController`` is the pure part (no ipywidgets): tests and pages drive it from
code, and ``transactions_figure`` draws it. ``TransactionsPlayground`` puts knobs and
buttons in front of it.

References
----------
.. [1] H. Berenson, P. Bernstein, J. Gray, J. Melton, E. O'Neil, P. O'Neil, "A Critique of
   ANSI SQL Isolation Levels", SIGMOD 1995: sections 2-4 (the phenomena and the levels).
.. [2] A. Adya, "Weak Consistency: A Generalized Theory and Optimistic Implementations for
   Distributed Transactions", PhD thesis, MIT, 1999: chapters 3 and 4 (the direct
   serialization graph and the phenomena G0-G2).
.. [3] M. Cahill, U. Röhm, A. Fekete, "Serializable Isolation for Snapshot Databases",
   SIGMOD 2008: section 3 (the dangerous-structure test).

Examples
--------
>>> c = TransactionsController("write skew", "snapshot-isolation")
>>> c.step("T1")
'T1: r x=[]'
>>> c.play()[-1]
'T2 commits; a cycle closes: G2-item (write skew), allowed at snapshot-isolation'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dslib.consistency.isolation import (
    IsolationResult,
    Txn,
    check_isolation,
    draw_dependency_graph,
)
from dslib.databases.anomalies import CATALOGUE, Scripted, get_anomaly
from dslib.databases.concurrency import CHECKER_LEVEL, LEVELS, MVCC_LEVELS, ConcurrencyControl
from dslib.widgets.base import Playground, given_controller, show_figure

__all__ = [
    "SCENARIOS",
    "TransactionsController",
    "TransactionsPlayground",
    "transactions_figure",
]

SCENARIOS = tuple(a.name for a in CATALOGUE)
"""The scenarios: the anomalies of the catalogue, by name, in the chapter's order."""

KEYS = ("x", "y", "z")
"""The store's key space (scans range over it), as in the catalogue."""

ENDED = ("committed", "aborted")


def _value(value: Any) -> str:
    """A value read, as the figure writes it: lists in brackets, ``[]`` for absent."""
    if value is None or value == ():
        return "[]"
    if isinstance(value, tuple):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


def _op_text(op: tuple[Any, ...], result: Any = None, done: bool = False) -> str:
    """An operation as the figure writes it (with the value read, once it is done)."""
    kind = op[0]
    if kind == "r":
        return f"r {op[1]}={_value(result)}" if done else f"r {op[1]}"
    if kind == "scan":
        if not done:
            return f"scan {op[1]}..{op[2]}"
        found = ",".join(k for k, v in result if v not in (None, ()))
        return f"scan={{{found}}}"
    if kind in ("w", "append"):
        return f"{kind} {op[1]} {op[2]}"
    return str(kind)


def _if_commit(running: Sequence[str]) -> str:
    """``"if T2 commits"``, ``"if T1 and T2 commit"``."""
    return f"if {' and '.join(running)} commit" + ("s" if len(running) == 1 else "")


class TransactionsController:
    """Two or three scripted transactions, stepped by hand against one concurrency control.

    Parameters
    ----------
    scenario : str or Scripted, default "write skew"
        A name of ``SCENARIOS`` (a catalogue anomaly) or a ``Scripted`` of one's own: its
        transactions, named ``T1``, ``T2`` (and ``T3``), each run their operations in the
        order of the script; ``setup`` operations are committed first, by ``T0``.
    level : str, default "snapshot-isolation"
        The store's algorithm, one of ``dslib.databases.concurrency.LEVELS``.
    mutant : str or None
        A broken algorithm of that level (``concurrency.MUTANTS``).

    Attributes
    ----------
    actions : list of str
        The transactions stepped so far, in order (``back`` and a new level replay them).
    notes : list of str
        What each action did.

    Raises
    ------
    ValueError, TypeError
        For an unknown scenario, level or mutant, or a script whose transactions are not
        ``T1``, ``T2`` (, ``T3``), each ending with commit or abort.

    Examples
    --------
    Two-phase locking meets write skew with a deadlock, and aborts the younger transaction:

    >>> c = TransactionsController("write skew", "serializable")
    >>> for txn in ("T1", "T1", "T2", "T2", "T1"):
    ...     _ = c.step(txn)
    >>> c.note
    'T1: append x 1 waits for a lock held by T2'
    >>> for part in c.step("T2").split("; "):
    ...     print(part)
    T2: append y 2 would wait in a cycle of waits (a deadlock)
    T2 is aborted (deadlock)
    T1: append x 1 goes on
    >>> c.summary()
    'write skew at serializable: T1 active, T2 aborted: no cycle'
    """

    def __init__(
        self,
        scenario: str | Scripted = "write skew",
        level: str = "snapshot-isolation",
        mutant: str | None = None,
    ) -> None:
        self.scenario = self._scenario(scenario)
        self.level, self.mutant = self._level(level, mutant)
        self.actions: list[str] = []
        self.notes: list[str] = []
        self._rebuild([])
        self._note("start")

    # -- settings ---------------------------------------------------------------------------
    @staticmethod
    def _scenario(scenario: str | Scripted) -> Scripted:
        if isinstance(scenario, str):
            if scenario not in SCENARIOS:
                raise ValueError(
                    f"TransactionsController: scenario={scenario!r}; allowed: {list(SCENARIOS)}"
                )
            return get_anomaly(scenario)
        if not isinstance(scenario, Scripted):
            raise TypeError(
                f"TransactionsController: scenario={scenario!r} must be a scenario's name "
                "or a dslib.databases.anomalies.Scripted"
            )
        names = sorted({t for t, _ in scenario.steps})
        if names not in (["T1", "T2"], ["T1", "T2", "T3"]):
            raise ValueError(
                f"TransactionsController: the script's transactions are {names}; "
                "allowed: T1, T2 and optionally T3"
            )
        for name in names:
            ops = [op for t, op in scenario.steps if t == name]
            kinds = [op[0] for op in ops]
            if kinds[-1] not in ("commit", "abort") or any(
                k in ("commit", "abort", "begin") for k in kinds[:-1]
            ):
                raise ValueError(
                    f"TransactionsController: {name}'s script {kinds} must end with its only "
                    "commit or abort (begin is implicit)"
                )
        writes = {op[0] for _, op in scenario.steps} & {"w", "append"}
        if len(writes) > 1:
            raise ValueError(
                "TransactionsController: the script mixes 'w' and 'append'; use one workload"
            )
        return scenario

    @staticmethod
    def _level(level: str, mutant: str | None) -> tuple[str, str | None]:
        if not isinstance(level, str) or level not in LEVELS:
            raise ValueError(f"TransactionsController: level={level!r}; allowed: {list(LEVELS)}")
        ConcurrencyControl(level, mutant, KEYS)  # validates the mutant and its level
        return level, mutant

    def configure(
        self,
        *,
        scenario: str | Scripted | None = None,
        level: str | None = None,
        mutant: str | None = "unchanged",
    ) -> str:
        """Change the scenario (which starts over) or the level and mutant (which replay).

        At a new level the same steps are replayed as far as they go: a step that the new
        algorithm refuses (its transaction waits, or has ended) and every step after it are
        dropped.

        Parameters
        ----------
        scenario : str or Scripted, optional
            A new scenario (the steps are forgotten).
        level : str, optional
            A new level.
        mutant : str or None, default "unchanged"
            A mutant of the level, None for the correct algorithm; by default the mutant
            stays as it is.

        Returns
        -------
        str
            What changed, in words (also ``note``).

        Raises
        ------
        ValueError, TypeError
            For a bad value (nothing changes).
        """
        new_scenario = self.scenario if scenario is None else self._scenario(scenario)
        new_mutant = self.mutant if mutant == "unchanged" else mutant
        new_level, new_mutant = self._level(self.level if level is None else level, new_mutant)
        actions = [] if new_scenario is not self.scenario else list(self.actions)
        self.scenario, self.level, self.mutant = new_scenario, new_level, new_mutant
        kept = self._rebuild(actions)
        if scenario is not None:
            return self._note(f"scenario: {self.scenario.name}")
        dropped = len(actions) - kept
        extra = f"; {dropped} step(s) it refuses dropped" if dropped else ""
        return self._note(f"level {self.level}: {kept} step(s) replayed{extra}")

    # -- the store and the run --------------------------------------------------------------
    @property
    def transactions(self) -> tuple[str, ...]:
        """The scenario's transactions, ``("T1", "T2")`` or ``("T1", "T2", "T3")``."""
        return tuple(sorted({t for t, _ in self.scenario.steps}))

    def script(self, txn: str) -> tuple[tuple[Any, ...], ...]:
        """The operations of ``txn``, in order (its begin is implicit)."""
        return tuple(op for t, op in self.scenario.steps if t == self._txn(txn))

    @property
    def workload(self) -> str:
        """``"rw-register"`` if the script writes with ``w``, else ``"list-append"``."""
        w = any(op[0] == "w" for _, op in self.scenario.steps) or any(
            op[0] == "w" for op in self.scenario.setup
        )
        return "rw-register" if w else "list-append"

    def _rebuild(self, actions: Sequence[str]) -> int:
        """A new store and the ``actions`` done again, as far as they go; how many went."""
        self.cc = ConcurrencyControl(self.level, self.mutant, KEYS)
        self.position = dict.fromkeys(self.transactions, 0)
        self.status = dict.fromkeys(self.transactions, "not started")
        self.reason: dict[str, str] = {}
        self.waits_for: dict[str, tuple[str, ...]] = {}
        self.done: dict[str, list[tuple[tuple[Any, ...], Any, int]]] = {
            t: [] for t in self.transactions
        }
        self.reads_and_writes: dict[str, list[tuple[Any, ...]]] = {t: [] for t in self.transactions}
        self._seq = 0
        self._setup_ops: tuple[tuple[Any, ...], ...] = ()
        if self.scenario.setup:
            self.cc.begin("T0", "T0")
            ops = []
            for op in self.scenario.setup:
                kind, _ = self.cc.attempt("T0", op)
                if kind != "done":
                    raise ValueError(f"the scenario's setup {op!r} did not run: {kind}")
                ops.extend(self._micro(op, None))
            self.cc.attempt("T0", ("commit",))
            self._setup_ops = tuple(ops)
        self.actions = []
        for txn in actions:
            try:
                self._step(txn)
            except ValueError:
                break
            self.actions.append(txn)
        self._results()
        return len(self.actions)

    def _micro(self, op: tuple[Any, ...], result: Any) -> list[tuple[Any, ...]]:
        """The micro-operations of the history format for one operation done."""

        def read(key: Any, value: Any) -> tuple[Any, ...]:
            if self.workload == "list-append" and value is None:
                value = ()
            return ("r", key, value)

        if op[0] == "r":
            return [read(op[1], result)]
        if op[0] == "scan":
            return [read(k, v) for k, v in result]
        if op[0] in ("w", "append"):
            return [op]
        return []

    def _txn(self, txn: str) -> str:
        if not isinstance(txn, str):
            raise TypeError(f"transaction {txn!r} must be a name such as 'T1'")
        if txn not in self.transactions:
            raise ValueError(
                f"no transaction {txn!r} in {self.scenario.name!r}; "
                f"its transactions are {list(self.transactions)}"
            )
        return txn

    def _answer(self, tid: str, op: tuple[Any, ...], outcome: tuple[str, Any], waited: bool) -> str:
        """Record the store's answer to ``tid``'s ``op``; what happened, in words."""
        kind, value = outcome
        self._seq += 1
        if kind != "done":
            self.status[tid] = "aborted"
            self.reason[tid] = str(value)
            self.waits_for.pop(tid, None)
            return f"{tid} is aborted ({value})"
        self.done[tid].append((op, value, self._seq))
        self.reads_and_writes[tid].extend(self._micro(op, value))
        self.position[tid] += 1
        self.waits_for.pop(tid, None)
        if op[0] == "commit":
            self.status[tid] = "committed"
            return f"{tid} commits" + (" (after waiting)" if waited else "")
        if op[0] == "abort":
            self.status[tid] = "aborted"
            self.reason[tid] = "asked by the client"
            return f"{tid} aborts"
        self.status[tid] = "active"
        return f"{tid}: {_op_text(op, value, True)}" + (" goes on" if waited else "")

    def _step(self, txn: str) -> str:
        """Issue ``txn``'s next operation to the store; what happened, in words."""
        status = self.status[self._txn(txn)]
        if status in ENDED:
            raise ValueError(f"{txn} has {status}: it has no operation left")
        if status == "waiting":
            holders = ", ".join(self.waits_for.get(txn, ())) or "another transaction"
            raise ValueError(
                f"{txn} waits for a lock held by {holders}; step {holders.split(',')[0]} "
                "on to its commit or abort to release it"
            )
        if status == "not started":
            self.cc.begin(txn, txn)
            self.status[txn] = "active"
        op = self.script(txn)[self.position[txn]]
        replies = self.cc.submit(txn, txn, op)
        if not any(tid == txn for _, tid, _, _, _ in replies):
            held_by = tuple(sorted(self.cc.waits_for().get(txn, ())))
            self.status[txn] = "waiting"
            self.waits_for[txn] = held_by
            first = f"{txn}: {_op_text(op)} waits for "
            if replies:  # the wait closed a cycle of the wait-for graph: a victim was aborted
                first += ", ".join(held_by) + ": a deadlock"
            else:
                first += "a lock held by " + ", ".join(held_by)
            return "; ".join([first, *(self._answer(t, o, r, w) for _, t, o, r, w in replies)])
        parts = [self._answer(t, o, r, w) for _, t, o, r, w in replies]
        if replies[0][1] == txn and replies[0][3] == ("aborted", "deadlock"):
            parts.insert(0, f"{txn}: {_op_text(op)} would wait in a cycle of waits (a deadlock)")
        return "; ".join(parts)

    def _results(self) -> None:
        self._result = check_isolation(
            self.history(), workload=self.workload, level=CHECKER_LEVEL[self.level]
        )
        running = [t for t in self.transactions if self.status[t] in ("active", "waiting")]
        self._pending = (
            check_isolation(
                self.history(pending=True),
                workload=self.workload,
                level=CHECKER_LEVEL[self.level],
            )
            if running
            else self._result
        )

    def _note(self, note: str) -> str:
        self.notes.append(note)
        return note

    # -- the reader's actions ---------------------------------------------------------------
    def step(self, txn: str) -> str:
        """Issue the next operation of ``txn`` (``"T1"``, ``"T2"`` or ``"T3"``).

        Returns
        -------
        str
            What happened: the operation done (with the value read), or waiting for a lock
            (and who holds it), or the transaction aborted and why; then whatever that
            released; and the anomaly, if a cycle closed.

        Raises
        ------
        ValueError
            If ``txn`` is not one of the scenario's transactions, has ended, or waits for a
            lock (nothing changes).
        """
        before = {a.name for a in self._result.anomalies}
        before_pending = {a.name for a in self._pending.anomalies}
        note = self._step(txn)
        self.actions.append(txn)
        self._results()
        new = [a for a in self._result.anomalies if a.name not in before]
        if new:
            note += "; a cycle closes: " + self._describe(new[0], self._result)
        else:
            pending = [a for a in self._pending.anomalies if a.name not in before_pending]
            if pending and not self._result.anomalies:
                note += f"; {_if_commit(self.running)}, a cycle closes: {pending[0].name} "
                note += f"({pending[0].plain})"
        return self._note(note)

    def script_step(self) -> str:
        """Step the transaction whose next operation comes first in the scenario's script.

        A transaction that waits is passed over (its operation goes on by itself when the
        lock is released), as the scripted runs of the catalogue do.

        Raises
        ------
        ValueError
            If every transaction has ended.
        """
        counts = dict.fromkeys(self.transactions, 0)
        for txn, _ in self.scenario.steps:
            k = counts[txn]
            counts[txn] += 1
            if self.status[txn] in (*ENDED, "waiting"):
                continue
            if k == self.position[txn]:
                return self.step(txn)
        raise ValueError("every transaction has ended: reset, or choose another scenario")

    def play(self) -> list[str]:
        """``script_step`` until every transaction has ended; the notes of the steps."""
        notes = []
        while not self.finished:
            notes.append(self.script_step())
        return notes

    def back(self) -> str:
        """Undo the last step (the steps before it are replayed)."""
        if not self.actions:
            raise ValueError("nothing to undo: already at the start")
        self._rebuild(self.actions[:-1])
        return self._note(f"back: {len(self.actions)} step(s) replayed")

    def reset(self) -> str:
        """Forget every step."""
        self._rebuild([])
        return self._note("start")

    # -- what the run shows -----------------------------------------------------------------
    @property
    def note(self) -> str:
        """What the last action did."""
        return self.notes[-1]

    @property
    def running(self) -> list[str]:
        """The transactions begun and not ended (active or waiting)."""
        return [t for t in self.transactions if self.status[t] in ("active", "waiting")]

    @property
    def finished(self) -> bool:
        """Has every transaction ended (committed or aborted)?"""
        return all(self.status[t] in ENDED for t in self.transactions)

    def committed_state(self) -> dict[Any, Any]:
        """Each key's committed value (once every transaction has ended: the store's state)."""
        keys = sorted(
            {*KEYS, *(op[1] for _, op in self.scenario.steps if op[0] in ("r", "w", "append"))},
            key=lambda k: (type(k).__name__, k),
        )
        if self.level in MVCC_LEVELS:
            return {k: (vs[-1][2] if (vs := self.cc.versions.get(k)) else None) for k in keys}
        return {k: self.cc.current.get(k) for k in keys}

    def history(self, pending: bool = False) -> tuple[Txn, ...]:
        """The history so far, ``T0`` (the setup, maybe empty) first, then ``T1``, ``T2`` ...

        A committed transaction is ``"ok"``, an aborted one ``"fail"``; one still running
        is ``"info"`` (it may yet commit), or ``"ok"`` with ``pending=True`` (as if it
        committed now). Once every transaction has ended, a last transaction, the
        observer, reads every key.
        """
        txns = [Txn("T0", self._setup_ops, "ok")]
        for t in self.transactions:
            status = self.status[t]
            kind = {"committed": "ok", "aborted": "fail"}.get(status, "ok" if pending else "info")
            txns.append(Txn(t, tuple(self.reads_and_writes[t]), kind))
        if self.finished:
            list_append = self.workload == "list-append"
            reads = tuple(
                ("r", k, () if v is None and list_append else v)
                for k, v in self.committed_state().items()
            )
            txns.append(Txn("observer", reads, "ok"))
        return tuple(txns)

    @property
    def result(self) -> IsolationResult:
        """``check_isolation`` of ``history()`` at the level the algorithm claims."""
        return self._result

    @property
    def pending_result(self) -> IsolationResult:
        """``check_isolation`` of ``history(pending=True)``: as if the running ones committed."""
        return self._pending

    @staticmethod
    def _describe(anomaly: Any, result: IsolationResult) -> str:
        allowed = "forbidden" if anomaly in result.violations else "allowed"
        return f"{anomaly.name} ({anomaly.plain}), {allowed} at {result.level}"

    def verdict(self) -> str:
        """The anomalies among committed transactions, or what would close, or "no cycle"."""
        r = self._result
        if r.anomalies:
            return "; ".join(self._describe(a, r) for a in r.anomalies)
        if self._pending.anomalies and self.running:
            a = self._pending.anomalies[0]
            return f"{_if_commit(self.running)} now: {a.name} ({a.plain})"
        if r.ok is None and self.finished:
            return "unknown: " + "; ".join(r.unknown)
        return "no cycle"

    def summary(self) -> str:
        """One line: the scenario, the level, each transaction's status, the verdict."""
        mutant = f" (mutant {self.mutant})" if self.mutant else ""
        states = ", ".join(f"{t} {self.status[t]}" for t in self.transactions)
        return f"{self.scenario.name} at {self.level}{mutant}: {states}: {self.verdict()}"

    def operations(self, txn: str) -> list[tuple[str, str, int | None]]:
        """``txn``'s operations as the figure shows them: (text, status, order done).

        Status is ``"done"``, ``"waiting"``, ``"aborted"`` (the store aborted the
        transaction at this operation), ``"skipped"`` (after an abort) or ``"to do"``.
        """
        out: list[tuple[str, str, int | None]] = []
        for op, value, seq in self.done[self._txn(txn)]:
            out.append((_op_text(op, value, True), "done", seq))
        rest = self.script(txn)[self.position[txn] :]
        status = self.status[txn]
        for k, op in enumerate(rest):
            if k == 0 and status == "waiting":
                out.append((_op_text(op), "waiting", None))
            elif k == 0 and status == "aborted" and self.reason.get(txn) != "asked by the client":
                out.append((_op_text(op), "aborted", None))
            elif status == "aborted":
                out.append((_op_text(op), "skipped", None))
            else:
                out.append((_op_text(op), "to do", None))
        return out

    def figure(self) -> Any:
        """``transactions_figure(self)``."""
        return transactions_figure(self)

    def __repr__(self) -> str:
        return f"TransactionsController({self.summary()})"


# -- the figure -------------------------------------------------------------------------------
_CELL = {
    "done": ("#c8e6c9", "black"),
    "waiting": ("#ffcc80", "black"),
    "aborted": ("#ef9a9a", "black"),
    "skipped": ("#eeeeee", "#9e9e9e"),
    "to do": ("white", "#616161"),
}
_NODE = {
    "committed": "#c8e6c9",
    "active": "#fff3c4",
    "waiting": "#ffcc80",
    "aborted": "#ef9a9a",
    "not started": "#f5f5f5",
}


def _status_text(c: TransactionsController, txn: str) -> str:
    status = c.status[txn]
    if status == "waiting":
        return f"waits for {', '.join(c.waits_for.get(txn, ()))}"
    if status == "aborted":
        return f"aborted: {c.reason.get(txn, '')}"
    return status


def transactions_figure(controller: TransactionsController) -> Any:
    """Each transaction's operations beside the dependency graph, and the verdict.

    Left, one row per transaction: its status, then its operations as cells, green when
    done (with the value read and, above, the order in which the store answered it),
    orange when waiting for a lock, red where the store aborted the transaction, grey when
    skipped after an abort, white while still to do. Right, the dependency graph of the
    history so far (``draw_dependency_graph``; a running transaction taken as if it
    committed now), each transaction coloured by its status. The title is
    ``controller.summary()``, red when the level forbids an anomaly found.

    Parameters
    ----------
    controller : TransactionsController

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        If ``controller`` is not a ``TransactionsController``.

    Examples
    --------
    >>> c = TransactionsController("lost update", "read-committed")
    >>> _ = c.play()
    >>> fig = transactions_figure(c)
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "txn"]
    ['T2  committed', 'T1  committed']
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    if not isinstance(controller, TransactionsController):
        raise TypeError(f"transactions_figure: {controller!r} is not a TransactionsController")
    c = controller
    fig = Figure(figsize=(10.5, 2.3 + 0.8 * len(c.transactions)))
    left = fig.add_axes((0.01, 0.14, 0.55, 0.7))
    right = fig.add_axes((0.58, 0.1, 0.41, 0.76))
    width = 1.55
    rows = c.transactions
    for y, txn in enumerate(reversed(rows)):
        left.text(
            -0.2,
            y + 0.55,
            f"{txn}  {_status_text(c, txn)}",
            fontsize=8,
            weight="bold",
            ha="left",
            va="bottom",
            gid="txn",
        )
        for k, (text, status, seq) in enumerate(c.operations(txn)):
            face, ink = _CELL[status]
            x = k * (width + 0.1)
            left.add_patch(
                Rectangle(
                    (x, y - 0.2),
                    width,
                    0.6,
                    facecolor=face,
                    edgecolor="#555" if status != "to do" else "#bbb",
                    lw=0.6,
                    ls="-" if status != "to do" else "--",
                    gid=status,
                )
            )
            left.text(x + width / 2, y + 0.1, text, fontsize=7, ha="center", va="center", color=ink)
            if seq is not None:
                left.text(x + 0.06, y + 0.33, str(seq), fontsize=5.5, color="#555", va="center")
    longest = max(len(c.script(t)) for t in rows)
    left.set_xlim(-0.3, max(longest, 4) * (width + 0.1))
    left.set_ylim(-0.5, len(rows) + 0.1)
    left.axis("off")
    if c.scenario.setup:
        left.text(
            -0.2,
            -0.45,
            "before: T0 committed " + ", ".join(_op_text(op) for op in c.scenario.setup),
            fontsize=7,
            color="#555",
        )
    pending = c.pending_result
    history = c.history(pending=True)
    names = ["T0", *rows] if c.scenario.setup else list(rows)
    nodes = [i for i, t in enumerate(history) if t.process in names]
    edges = [e for e in pending.edges if e[0] in nodes and e[1] in nodes]
    result = c.result
    if result.anomalies:
        a = result.anomalies[0]
        title = f"{a.name}: {a.plain}"
    elif pending.anomalies and c.running:
        title = f"{_if_commit(c.running)}: {pending.anomalies[0].name}"
    else:
        title = "dependency graph: no cycle"
    draw_dependency_graph(history, edges, nodes, title=title, ax=right)
    node_status = {f"T{i}": c.status.get(str(history[i].process), "committed") for i in nodes}
    for t in right.texts:
        box = t.get_bbox_patch()
        if t.get_text() in node_status and box is not None:
            box.set_facecolor(_NODE[node_status[t.get_text()]])
            t.set_gid("node")
        elif box is None:  # a transaction's operations: moved off its node, outwards
            height = t.get_position()[1]
            if height > 0.3:
                t.set_verticalalignment("bottom")
            elif height < -0.3:
                t.set_verticalalignment("top")
    right.set_ylim(-2.0, 2.0)  # room for the operations written above and below the nodes
    right.title.set_color("#c62828" if result.anomalies else "black")
    fig.text(0.01, 0.05, c.note, fontsize=7.5)
    fig.text(
        0.01,
        0.015,
        "green: done (small number: the order the store answered);  orange: waiting for a "
        "lock;  red: aborted here;  grey: skipped;  dashed: to do.  The graph takes a "
        "running transaction as if it committed now.",
        fontsize=6.5,
        color="#555",
    )
    ok = not result.violations
    fig.suptitle(c.summary(), fontsize=8.5, color="#2e7d32" if ok else "#c62828")
    return fig


# -- the widget -------------------------------------------------------------------------------
class TransactionsPlayground(Playground):
    """The clickable playground over a ``TransactionsController``.

    Parameters
    ----------
    controller : TransactionsController, optional
        Show this controller (default: a new one with ``**options``).
    **options
        Options of ``TransactionsController``.

    Attributes
    ----------
    controller : TransactionsController
    knobs : dict of str to ipywidgets.Dropdown
        ``level`` (a change replays the steps at the new level) and ``scenario`` (a
        change starts over).
    buttons : dict of str to ipywidgets.Button
        ``step T1``, ``step T2``, ``step T3`` (disabled when the scenario has two
        transactions or the transaction cannot step), ``next in script``, ``back``,
        ``reset``.
    image : ipywidgets.Image
    heading, message : ipywidgets.HTML
        The summary and the last action; the last error.

    Examples
    --------
    >>> p = TransactionsPlayground(scenario="dirty read", level="read-uncommitted")
    >>> for _ in range(4):
    ...     p.buttons["next in script"].click()
    >>> p.controller.verdict()
    'G1a (dirty read (aborted read)), allowed at read-uncommitted'
    >>> repr(p) == f"TransactionsPlayground({p.controller.summary()})"
    True
    """

    def __init__(self, controller: TransactionsController | None = None, **options: Any) -> None:
        import ipywidgets as w

        self.controller = given_controller(
            "TransactionsPlayground", TransactionsController, controller, options
        )
        c = self.controller
        self.figure: Any = None
        label = {"style": {"description_width": "70px"}}
        self.knobs: dict[str, Any] = {
            "level": w.Dropdown(options=list(LEVELS), value=c.level, description="level", **label),
            "scenario": w.Dropdown(
                options=list(SCENARIOS)
                if c.scenario.name in SCENARIOS
                else [*SCENARIOS, c.scenario.name],
                value=c.scenario.name,
                description="scenario",
                **label,
            ),
        }
        self.knobs["level"].observe(
            lambda change: self._act(c.configure, level=change.new, mutant=None), names="value"
        )
        self.knobs["scenario"].observe(
            lambda change: self._act(c.configure, scenario=change.new), names="value"
        )

        def stepper(txn: str) -> Callable[[], str]:
            return lambda: c.step(txn)

        actions: dict[str, tuple[str, Callable[[], Any]]] = {
            f"step {t}": ("info", stepper(t)) for t in ("T1", "T2", "T3")
        }
        actions["next in script"] = ("success", c.script_step)
        actions["back"] = ("", c.back)
        actions["reset"] = ("", c.reset)
        self.buttons: dict[str, Any] = {}
        for name, (style, action) in actions.items():
            button = w.Button(
                description="◀ back" if name == "back" else name,
                button_style=style,
                layout=w.Layout(width="auto", min_width="70px"),
            )
            button.on_click(lambda _b, action=action: self._act(action))
            self.buttons[name] = button
        self.image = w.Image(format="png")
        self.heading = w.HTML()
        self.message = w.HTML()
        self.widget = w.VBox(
            [
                w.HBox([self.knobs["level"], self.knobs["scenario"]]),
                self.heading,
                self.image,
                w.HBox([self.buttons[name] for name in actions]),
                self.message,
            ]
        )
        self.update()

    def update(self) -> None:
        """Redraw everything from the controller (after driving it from code)."""
        c = self.controller
        self.message.value = ""
        ok = False if c.result.violations else (None if c.result.anomalies else True)
        self._show_heading(c.summary(), c.note, ok)
        for t in ("T1", "T2", "T3"):
            self.buttons[f"step {t}"].disabled = t not in c.transactions or c.status[t] in (
                *ENDED,
                "waiting",
            )
        self.buttons["next in script"].disabled = c.finished
        self.buttons["back"].disabled = not c.actions
        self.figure = transactions_figure(c)
        # fast compression: the image is redrawn on every click and never stored
        show_figure(self.image, self.figure, fast=True)

    def static(self) -> Any:
        """The current picture as a figure, for readers without a live kernel."""
        return self.controller.figure()

    def __repr__(self) -> str:
        return f"TransactionsPlayground({self.controller.summary()})"
