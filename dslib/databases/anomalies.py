"""The anomaly catalogue: each classic anomaly as a scripted interleaving, run at every level.

Each entry of ``CATALOGUE`` is a small interleaving of two or three transactions, written
as the global order of their operations (Berenson et al. 1995 write them as histories such
as ``r1[x] w2[x] c2 r1[x] c1``). ``run_anomaly`` plays it in the simulator against the store
of ``dslib.databases.transactions`` at one isolation level: step ``i`` is issued at time
``10 i`` (or as soon as its client's previous operation is answered, if that is later, as
when it waited for a lock). A last transaction reads every key, so that the checker knows
the final order of every key's versions. ``dslib.consistency.isolation.check_isolation``
then judges the history, and ``outcome`` says what happened:

- ``occurred``: the checker found the anomaly, named in Adya's terms (G0, G1a, G-single,
  G2-item);
- ``prevented: waited``: no anomaly, and some operation waited for a lock;
- ``prevented: aborted (<reason>)``: no anomaly, and the store aborted a transaction (a
  deadlock victim, the loser of first-committer-wins, the pivot of a dangerous structure);
- ``prevented: snapshot``: no anomaly, nothing waited and nothing aborted: the reads simply
  did not see the other transaction's writes.

The phantom needs a predicate read: ``("scan", lo, hi)`` reads every key of the store's key
space in the range (see ``dslib.databases.transactions``). In the history a scan is one read
per key, an absent key read as the empty list, so the phantom shows as an item-level cycle
on the key inserted into the range.

References
----------
.. [1] H. Berenson, P. Bernstein, J. Gray, J. Melton, E. O'Neil, P. O'Neil, "A Critique of
   ANSI SQL Isolation Levels", SIGMOD 1995: section 2.2 (the ANSI phenomena P1-P3), section
   3 (P0 dirty write; A5A read skew and A5B write skew), section 4.1 (P4 lost update),
   section 4.2 (snapshot isolation; Table 4).
.. [2] A. Adya, "Weak Consistency: A Generalized Theory and Optimistic Implementations for
   Distributed Transactions", PhD thesis, MIT, 1999: chapter 3 (histories and the direct
   serialization graph: ww, wr and rw edges), chapter 4 (G0, G1a-c, G2-item, G2 and the
   levels PL-1 to PL-3).
.. [3] A. Fekete, E. O'Neil, P. O'Neil, "A Read-Only Transaction Anomaly Under Snapshot
   Isolation", SIGMOD Record 33(3), 2004: section 1 (the example history).

Examples
--------
>>> [a.name for a in CATALOGUE][:3]
['dirty write', 'dirty read', 'non-repeatable read']
>>> print(CATALOGUE[1].notation)
w1[x] r2[x] a1 c2
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dslib.consistency.isolation import IsolationResult
from dslib.databases.concurrency import CHECKER_LEVEL, LEVELS, MUTANT_LEVEL, MUTANTS
from dslib.databases.transactions import Step, TxnRun, random_programs, run_transactions
from dslib.mutants import Mutant, MutantReport, Outcome, run_mutants

__all__ = [
    "CATALOGUE",
    "CHECKED_LEVELS",
    "STORE_CHECKS",
    "CatalogueEntry",
    "Scripted",
    "catalogue_table",
    "check_catalogue",
    "check_random_workloads",
    "correct_store",
    "draw_interleaving",
    "draw_runs",
    "get_anomaly",
    "mutant_rates",
    "outcome",
    "random_workload_failures",
    "random_workload_verdicts",
    "run_anomaly",
    "store_mutant_report",
    "store_mutants",
    "store_with",
]

KEYS = ("x", "y", "z")
STEP = 10.0


@dataclass(frozen=True)
class Scripted:
    """A scripted anomaly: its interleaving and what it is.

    Attributes
    ----------
    name : str
        Its name in plain words (``"write skew"``).
    phenomenon : str
        Berenson et al.'s name (P0-P4, A5A, A5B) or the paper it comes from.
    adya : tuple of str
        The names ``check_isolation`` may give it when it occurs.
    steps : tuple of (str, op)
        The global order: ``(transaction, op)``; the transactions are ``"T1"``, ``"T2"``, ...
    setup : tuple of op
        Operations of a transaction committed before the script starts (rows that exist).
    story : str
        What goes wrong, in one or two sentences.
    """

    name: str
    phenomenon: str
    adya: tuple[str, ...]
    steps: tuple[tuple[str, tuple[Any, ...]], ...]
    setup: tuple[tuple[Any, ...], ...] = ()
    story: str = ""

    @property
    def notation(self) -> str:
        """The interleaving in Berenson et al.'s notation (``w1[x] r2[x] a1 c2``)."""
        out = []
        for txn, op in self.steps:
            n = txn.removeprefix("T")
            kind = op[0]
            if kind == "r":
                out.append(f"r{n}[{op[1]}]")
            elif kind in ("w", "append"):
                out.append(f"w{n}[{op[1]}]")
            elif kind == "scan":
                out.append(f"r{n}[{op[1]}..{op[2]}]")
            elif kind == "commit":
                out.append(f"c{n}")
            elif kind == "abort":
                out.append(f"a{n}")
        return " ".join(out)

    def programs(self) -> dict[str, list[Step]]:
        """Each transaction's client program, the steps timed by their place in the script."""
        programs: dict[str, list[Step]] = {}
        offset = 1 if self.setup else 0
        if self.setup:
            programs["T0"] = [
                (0.0, ("begin",)),
                *[(None, op) for op in self.setup],
                (None, ("commit",)),
            ]
        started: set[str] = set()
        for i, (txn, op) in enumerate(self.steps):
            at = STEP * (i + 1 + offset)
            steps = programs.setdefault(txn, [])
            if txn not in started:
                started.add(txn)
                steps.append((at - STEP / 2, ("begin",)))
            steps.append((at, op))
        end = STEP * (len(self.steps) + 2 + offset)
        programs["final"] = [
            (end, ("begin",)),
            *[(None, ("r", k)) for k in KEYS],
            (None, ("commit",)),
        ]
        return programs


def _s(*steps: tuple[str, tuple[Any, ...]]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    return steps


CATALOGUE: tuple[Scripted, ...] = (
    Scripted(
        "dirty write",
        "P0",
        ("G0",),
        _s(
            ("T1", ("append", "x", 1)),
            ("T2", ("append", "x", 2)),
            ("T2", ("append", "y", 2)),
            ("T2", ("commit",)),
            ("T1", ("append", "y", 1)),
            ("T1", ("commit",)),
        ),
        story="T2 overwrites T1's uncommitted write of x, and T1 then overwrites T2's y: "
        "x says T1 before T2, y says T2 before T1.",
    ),
    Scripted(
        "dirty read",
        "P1",
        ("G1a",),
        _s(
            ("T1", ("append", "x", 1)),
            ("T2", ("r", "x")),
            ("T1", ("abort",)),
            ("T2", ("commit",)),
        ),
        story="T2 reads T1's write of x, then T1 aborts: T2 committed on a value that never "
        "existed.",
    ),
    Scripted(
        "non-repeatable read",
        "P2",
        ("G-single",),
        _s(
            ("T1", ("r", "x")),
            ("T2", ("append", "x", 1)),
            ("T2", ("commit",)),
            ("T1", ("r", "x")),
            ("T1", ("commit",)),
        ),
        story="T1 reads x twice and gets two different values: T2's committed write came between.",
    ),
    Scripted(
        "phantom",
        "P3",
        ("G-single",),
        _s(
            ("T1", ("scan", "x", "z")),
            ("T2", ("append", "y", 1)),
            ("T2", ("commit",)),
            ("T1", ("scan", "x", "z")),
            ("T1", ("commit",)),
        ),
        setup=(("append", "x", 0),),
        story="T1 scans the range x..z twice; T2 inserts y into the range in between, so the "
        "second scan finds a row the first did not (only x existed before).",
    ),
    Scripted(
        "lost update",
        "P4",
        ("G-single",),
        _s(
            ("T1", ("r", "x")),
            ("T2", ("r", "x")),
            ("T2", ("append", "x", 2)),
            ("T2", ("commit",)),
            ("T1", ("append", "x", 1)),
            ("T1", ("commit",)),
        ),
        story="T1 and T2 both read x, then both update it; T1 writes on the strength of a "
        "value that T2's committed update already replaced.",
    ),
    Scripted(
        "read skew",
        "A5A",
        ("G-single",),
        _s(
            ("T1", ("r", "x")),
            ("T2", ("append", "x", 2)),
            ("T2", ("append", "y", 2)),
            ("T2", ("commit",)),
            ("T1", ("r", "y")),
            ("T1", ("commit",)),
        ),
        story="T1 reads x before T2 and y after it: it sees half of T2's change.",
    ),
    Scripted(
        "write skew",
        "A5B",
        ("G2-item",),
        _s(
            ("T1", ("r", "x")),
            ("T1", ("r", "y")),
            ("T2", ("r", "x")),
            ("T2", ("r", "y")),
            ("T1", ("append", "x", 1)),
            ("T2", ("append", "y", 2)),
            ("T1", ("commit",)),
            ("T2", ("commit",)),
        ),
        story="T1 and T2 read both x and y; each then writes one of them, deciding on what "
        "the other is about to change (two doctors going off call at once).",
    ),
    Scripted(
        "read-only anomaly",
        "Fekete et al. 2004",
        ("G2-item",),
        _s(
            ("T2", ("r", "x")),
            ("T2", ("r", "y")),
            ("T1", ("r", "y")),
            ("T1", ("append", "y", 20)),
            ("T1", ("commit",)),
            ("T3", ("r", "x")),
            ("T3", ("r", "y")),
            ("T3", ("commit",)),
            ("T2", ("append", "x", -11)),
            ("T2", ("commit",)),
        ),
        story="T1 deposits 20 in savings y; T2 withdraws from checking x and charges an "
        "overdraft fee, having seen neither deposit; the read-only T3 sees the deposit but "
        "not the withdrawal. T1 and T2 alone are serializable; T3's report fits no serial order.",
    ),
)
"""The scripted anomalies, in the order of the chapter's table."""


def get_anomaly(name: str) -> Scripted:
    """The catalogue entry called ``name``.

    >>> get_anomaly("write skew").phenomenon
    'A5B'
    """
    for a in CATALOGUE:
        if a.name == name:
            return a
    raise ValueError(
        f"no anomaly {name!r} in the catalogue; the anomalies are {[a.name for a in CATALOGUE]}"
    )


@dataclass(frozen=True)
class CatalogueEntry:
    """One anomaly run at one level: the run, the checker's verdict and the outcome."""

    anomaly: Scripted
    level: str
    mutant: str | None
    run: TxnRun
    result: IsolationResult
    outcome: str

    @property
    def occurred(self) -> bool:
        """Did the checker find an anomaly."""
        return self.outcome.startswith("occurred")


def outcome(run: TxnRun, result: IsolationResult) -> str:
    """What happened in a run: ``occurred: <names>`` or how the anomaly was prevented.

    ``result`` is the checker's verdict on ``run.history`` at the serializable level, which
    reports every cycle.
    """
    if result.anomalies:
        names = sorted({a.name for a in result.anomalies})
        return "occurred: " + ", ".join(names)
    if result.ok is None:
        return "unknown"
    aborted = run.aborted
    if aborted:
        return "prevented: aborted (" + ", ".join(sorted(aborted)) + ")"
    if run.counts.get("waits", 0):
        return "prevented: waited"
    return (
        "prevented: snapshot"
        if run.level in ("snapshot-isolation", "serializable-snapshot")
        else "prevented"
    )


def run_anomaly(anomaly: Scripted | str, level: str, mutant: str | None = None) -> CatalogueEntry:
    """Play one scripted anomaly at one level and judge it.

    Parameters
    ----------
    anomaly : Scripted or str
        A catalogue entry or its name.
    level : str
        One of ``dslib.databases.concurrency.LEVELS``.
    mutant : str or None
        A broken algorithm of that level.

    Returns
    -------
    CatalogueEntry
    """
    scripted = get_anomaly(anomaly) if isinstance(anomaly, str) else anomaly
    if level not in LEVELS:
        raise ValueError(f"run_anomaly: level={level!r}; allowed: {list(LEVELS)}")
    run = run_transactions(scripted.programs(), level, mutant=mutant, keys=KEYS)
    result = run.check("serializable")
    return CatalogueEntry(scripted, level, mutant, run, result, outcome(run, result))


def catalogue_table(
    levels: Sequence[str] = tuple(LEVELS), anomalies: Sequence[Scripted] = CATALOGUE
) -> Any:
    """The catalogue as a table: one row per anomaly, one column per level, the outcome.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    rows = {}
    for a in anomalies:
        rows[a.name] = {lv: _short(run_anomaly(a, lv).outcome) for lv in levels}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "anomaly"
    return frame


def _short(text: str) -> str:
    return (
        text.replace("prevented: aborted (", "aborted (")
        .replace("prevented: waited", "waited")
        .replace("prevented: snapshot", "snapshot")
        .replace("first committer wins", "first committer")
    )


_COLOURS = {"ok": "#9ecae1", "waited": "#fdae6b", "aborted": "#e6550d"}


def _label(op: tuple[Any, ...], result: Any) -> str:
    kind = op[0]
    if kind == "r":
        return f"r {op[1]}={_value(result)}"
    if kind in ("w", "append"):
        return f"w {op[1]} {op[2]}"
    if kind == "scan":
        found = [k for k, v in (result or ()) if v]
        return f"scan={{{','.join(found)}}}"
    return {"commit": "c", "abort": "a"}.get(kind, kind)


def _value(value: Any) -> str:
    if value is None or value == ():
        return "[]"
    if isinstance(value, tuple):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


def draw_interleaving(entry: CatalogueEntry, ax: Any = None) -> Any:
    """Draw a scripted run: one lane per transaction, each operation from issue to answer.

    An operation that waited for a lock is orange and as long as its wait; one the store
    aborted is red ("abort!"). Reads show the value read (``[]`` for an empty list). The
    title is the level and the outcome.

    Parameters
    ----------
    entry : CatalogueEntry
        What ``run_anomaly`` returned.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    fig = None
    if ax is None:
        fig = Figure(figsize=(5.0, 1.8), dpi=80)
        ax = fig.add_subplot()
    lanes = [t for t in entry.run.log if t not in ("T0", "final")]
    end = 0.0
    for y, txn in enumerate(reversed(lanes)):
        last = -math.inf  # where the previous label of this lane began
        for e in entry.run.log[txn]:
            if e.op[0] == "begin":
                continue
            aborted = e.outcome.startswith("aborted")
            colour = _COLOURS["aborted" if aborted else "waited" if e.outcome == "waited" else "ok"]
            width = max(e.answered - e.issued, 2.0)
            end = max(end, e.issued + width)
            ax.barh(y, width, left=e.issued, height=0.6, color=colour, edgecolor="black", lw=0.5)
            if aborted:  # an aborted operation returned nothing
                text = "r " + str(e.op[1]) if e.op[0] in ("r", "scan") else _label(e.op, None)
                text += ": abort!"
            else:
                text = _label(e.op, e.result)
            if e.issued - last < 6:  # too close to the previous label: write it below
                ax.text(e.issued, y - 0.36, text, va="top", fontsize=6.5)
            else:
                ax.text(e.issued, y + 0.36, text, va="bottom", fontsize=6.5)
                last = e.issued
    ax.set_yticks(range(len(lanes)), list(reversed(lanes)))
    ax.set_ylim(-0.7, len(lanes) + 0.2)
    ax.set_xlim(0, end + 8)
    ax.set_xlabel("simulated time", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.set_title(f"{entry.level}: {_short(entry.outcome)}", fontsize=8)
    if fig is not None:
        fig.tight_layout()
    return fig if fig is not None else ax.figure


def draw_runs(anomaly: str, levels: Sequence[str]) -> Any:
    """One anomaly at several levels, side by side (``draw_interleaving`` for each).

    >>> fig = draw_runs("write skew", ["snapshot-isolation", "serializable-snapshot"])
    >>> for ax in fig.axes:
    ...     print(ax.get_title())
    snapshot-isolation: occurred: G2-item
    serializable-snapshot: aborted (dangerous structure)
    """
    from matplotlib.figure import Figure

    scripted = get_anomaly(anomaly)
    lanes = len({t for t, _ in scripted.steps})
    fig = Figure(figsize=(4.2 * len(levels), 0.5 * lanes + 1.1), dpi=90)
    axes = fig.subplots(1, len(levels), squeeze=False)[0]
    for ax, level in zip(axes, levels, strict=True):
        draw_interleaving(run_anomaly(scripted, level), ax)
    fig.suptitle(f"{scripted.name} ({scripted.phenomenon}): {scripted.notation}", fontsize=9)
    fig.tight_layout()
    return fig


# == how do we know the store is right: the checks and the mutants ============================
CHECKED_LEVELS = ("snapshot-isolation", "serializable", "serializable-snapshot")
"""The levels the mutants break; a store variant maps each to its mutant (None: correct)."""

StoreVariant = dict[str, str | None]
"""A store as the checks see it: for each checked level, the mutant it runs (None: none)."""


def correct_store() -> StoreVariant:
    """The store without mutants, at every checked level.

    >>> correct_store()["serializable"] is None
    True
    """
    return {level: None for level in CHECKED_LEVELS}


def store_with(mutant: str) -> StoreVariant:
    """The store with one mutant at its level (``concurrency.MUTANTS``)."""
    if mutant not in MUTANTS:
        raise ValueError(f"store_with: no mutant {mutant!r}; the mutants are {list(MUTANTS)}")
    return {**correct_store(), MUTANT_LEVEL[mutant]: mutant}


def check_catalogue(store: StoreVariant) -> Outcome:
    """Check "catalogue": no scripted anomaly the claimed level forbids occurs at it.

    Every anomaly of ``CATALOGUE`` is played at each checked level and its history judged by
    ``check_isolation`` at the level the algorithm claims. The counterexample length is the
    number of operations of the shortest script that fails.

    >>> check_catalogue(correct_store()).ok
    True
    """
    failing = []
    for level, mutant in store.items():
        for a in CATALOGUE:
            run = run_transactions(a.programs(), level, mutant=mutant, keys=KEYS)
            if run.check(CHECKER_LEVEL[level]).ok is False:
                failing.append((len(a.steps), a.name, level))
    if not failing:
        return Outcome(True)
    n, name, level = min(failing)
    return Outcome(False, n, f"{name} at {level}")


RANDOM_SEEDS = 30


def random_workload_verdicts(
    level: str, mutant: str | None = None, seeds: int = RANDOM_SEEDS, workload: str = "list-append"
) -> list[bool | None]:
    """The checker's verdict on each seed's random contention run: True, False or None.

    Three clients run three random transactions each on two keys (``random_programs``), and a
    last transaction reads both keys; each history is judged by ``check_isolation`` at the
    level of ``CHECKER_LEVEL``: False when it proves a forbidden anomaly, None when it can
    neither prove one nor find a serial order (on read-write registers, whose version order
    reads do not always show).

    >>> random_workload_verdicts("serializable", seeds=3)
    [True, True, True]
    """
    verdicts = []
    for seed in range(seeds):
        programs = random_programs(
            seed, clients=3, txns=3, keys=("x", "y"), workload=workload, final_read=True
        )
        run = run_transactions(programs, level, mutant=mutant, workload=workload, seed=seed)
        verdicts.append(run.check(CHECKER_LEVEL[level]).ok)
    return verdicts


def random_workload_failures(
    level: str, mutant: str | None = None, seeds: int = RANDOM_SEEDS, workload: str = "list-append"
) -> list[int]:
    """The seeds whose random run breaks the level the store claims (see the verdicts above).

    >>> random_workload_failures("serializable", seeds=5)
    []
    """
    verdicts = random_workload_verdicts(level, mutant, seeds, workload)
    return [seed for seed, ok in enumerate(verdicts) if ok is False]


def check_random_workloads(store: StoreVariant) -> Outcome:
    """Check "random workloads": ``RANDOM_SEEDS`` random contention runs per checked level.

    Caught if any run's history breaks the claimed level; the counterexample length is the
    number of transactions of a run (9, and the final read). A run whose verdict is unknown
    is neither passed nor caught: if no run was caught and some are unknown, the check
    raises (``dslib.mutants`` then reports it as a check that could not decide) rather than
    call the store correct.

    Raises
    ------
    RuntimeError
        No run broke the level, but the checker could not decide some of them.
    """
    bad, unknown = {}, 0
    for level, mutant in store.items():
        verdicts = random_workload_verdicts(level, mutant)
        unknown += sum(ok is None for ok in verdicts)
        failing = [seed for seed, ok in enumerate(verdicts) if ok is False]
        if failing:
            bad[level] = failing
    if bad:
        detail = "; ".join(f"{lv}: {len(s)} of {RANDOM_SEEDS} seeds" for lv, s in bad.items())
        return Outcome(False, 10, detail)
    if unknown:
        raise RuntimeError(
            f"random workloads: no forbidden anomaly proven, but {unknown} of "
            f"{len(store) * RANDOM_SEEDS} verdicts are unknown"
        )
    return Outcome(True, detail=f"no forbidden anomaly in {len(store) * RANDOM_SEEDS} runs")


STORE_CHECKS = {"catalogue": check_catalogue, "random workloads": check_random_workloads}
"""The named checks of the store, each a function of a ``StoreVariant``."""


def store_mutants() -> list[Mutant[StoreVariant]]:
    """The store's mutants (``concurrency.MUTANTS``) as ``dslib.mutants.Mutant`` rows."""
    return [
        Mutant(name, bug, functools.partial(store_with, name), ("catalogue", "random workloads"))
        for name, bug in MUTANTS.items()
    ]


def store_mutant_report() -> MutantReport:
    """Every check on the correct store and on each mutant (``dslib.mutants.run_mutants``).

    Examples
    --------
    >>> [m.name for m in store_mutants()]  # what the report runs the checks on
    ['si-without-first-committer-wins', '2pl-early-release', 'ssi-ignores-rw-antidependencies']
    """
    return run_mutants(correct_store, store_mutants(), STORE_CHECKS)


def mutant_rates(seeds: int = RANDOM_SEEDS) -> Any:
    """How often the random-workload check catches each mutant: failing seeds out of ``seeds``.

    Returns
    -------
    pandas.DataFrame
        One row per mutant (and the correct algorithm at its level): the level, and for
        each workload the seeds whose run was caught and the number whose verdict was
        unknown.
    """
    import pandas as pd

    rows = []
    for mutant, level in [(None, lv) for lv in CHECKED_LEVELS] + list(MUTANT_LEVEL.items()):
        row: dict[str, Any] = {"algorithm": mutant or f"correct {level}", "level": level}
        for workload in ("list-append", "rw-register"):
            verdicts = random_workload_verdicts(level, mutant, seeds, workload)
            row[f"caught ({workload})"] = f"{verdicts.count(False)} of {seeds}"
            row[f"unknown ({workload})"] = verdicts.count(None)
        rows.append(row)
    return pd.DataFrame(rows)
