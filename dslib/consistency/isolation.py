"""Checking transactional isolation from a history, in the style of Elle.

A database promises an isolation level; a test records what its clients saw: which
transactions committed, what each one read and wrote. ``check_isolation`` decides whether
that history is allowed at the level, and when it is not, names the anomaly in Adya's terms
with the cycle of transactions that proves it.

The method is Elle's (Kingsbury and Alvaro 2020). From the history alone it infers, for each
key, the order in which the versions were installed (the *version order*), then the
dependencies between transactions (Adya 1999, chapter 3):

- ``ww`` (write-write): T1 installed a version, T2 the next one;
- ``wr`` (write-read): T2 read a version T1 installed;
- ``rw`` (read-write, an anti-dependency): T1 read a version, T2 installed a later one;
- ``rt`` (real time: T1 completed before T2 was invoked) and ``po`` (process order: T1 and
  T2 ran on the same client, in that order), only for ``strict-serializable``.

A cycle in this graph means no serial order explains the history; what the cycle is made of
says which level it breaks (Adya 1999, chapter 4): G0 a cycle of ``ww`` edges (dirty write),
G1c of ``ww`` and ``wr`` (circular information flow), G-single with exactly one ``rw`` (read
skew, lost update), G2-item with two or more (write skew). Three anomalies need no cycle:
G1a (a committed transaction read a write of an aborted one), G1b (it read a version that
its writer later overwrote in the same transaction), and reads no execution could produce
(a value never written, reads of one list that are not prefixes of one another).

Inferring the version order is what makes the check both fast and sound, and it depends on
the workload (Kingsbury and Alvaro 2020, on recoverability and traceability):

- **list-append** (``("append", key, value)``, ``("r", key, (v1, v2, ...))``): a read
  returns the whole list, so it shows the order of every append before it. All reads of a
  key must be prefixes of the longest one, which *is* the version order; each read then
  names its version exactly. Elle's key idea: the history itself proves the order.
- **rw-register** (``("w", key, value)``, ``("r", key, value)``): a read shows one value,
  so the order is known only where the history proves it: the initial (absent) version
  comes first, and a transaction that read ``v`` and then wrote ``w`` installed ``w``
  after ``v``. Where two writes remain unordered, the checker says so (``ok is None``)
  rather than assume an order, unless it can show a serial order that explains every read.

Soundness first: an anomaly is reported only when the history proves it. Transactions that
ended ``"info"`` (unknown outcome) count as committed only when a committed read observed
one of their writes; ``"fail"`` transactions never took effect, and a read of their writes is
G1a. ``ok=True`` is answered only when no forbidden anomaly exists in any version order the
history allows: either the version order is fully known, or (always for ``serializable``) the
checker built a serial order of the transactions and replayed it, and every read matched.

Examples
--------
Two transactions each read both keys and then append to a different one: write skew.

>>> h = [
...     Txn("p1", (("r", "x", ()), ("r", "y", ()), ("append", "x", 1))),
...     Txn("p2", (("r", "x", ()), ("r", "y", ()), ("append", "y", 2))),
... ]
>>> r = check_isolation(h, level="serializable")
>>> r.ok, [(a.name, a.plain) for a in r.anomalies]
(False, [('G2-item', 'write skew')])
>>> check_isolation(h, level="snapshot-isolation").ok  # SI allows G2-item
True

References
----------
Kingsbury, K. and Alvaro, P. (2020). Elle: Inferring isolation anomalies from experimental
observations. VLDB 14(3). The parts on recoverability and traceability (why list append),
on inferring version orders and dependencies for lists and registers, and on finding and
classifying cycles.

Adya, A. (1999). Weak consistency: a generalized theory and optimistic implementations for
distributed transactions. PhD thesis, MIT. Chapter 3 (histories, the direct serialization
graph and its dependencies), chapter 4 (the phenomena G0, G1a-c, G-single, G2-item and the
levels PL-1 to PL-3, PL-2.99, PL-SI).

Fekete, A., O'Neil, E. and O'Neil, P. (2004). A read-only transaction anomaly under
snapshot isolation. SIGMOD Record 33(3).
"""

from __future__ import annotations

import gc
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dslib.core import stable_repr
from dslib.mutants import check_mutant

__all__ = [
    "ALWAYS_FORBIDDEN",
    "CHECKS",
    "FORBIDDEN",
    "LEVELS",
    "MAX_CLOSING_EDGES",
    "MUTANTS",
    "MUTANT_CHECKS",
    "WORKLOADS",
    "Anomaly",
    "AnomalyExample",
    "IsolationResult",
    "Txn",
    "anomaly_catalogue",
    "check_isolation",
    "dependency_edges",
    "draw_dependency_graph",
    "format_txn",
    "generate_history",
    "mutant_report",
    "serializable_by_enumeration",
    "snapshot_by_enumeration",
]

WORKLOADS = ("list-append", "rw-register")
"""The two workloads of Elle: lists that transactions append to, and registers."""

LEVELS = (
    "read-uncommitted",
    "read-committed",
    "repeatable-read",
    "snapshot-isolation",
    "serializable",
    "strict-serializable",
)
"""The isolation levels ``check_isolation`` knows, weakest first."""

_G1 = ("G1a", "G1b", "G1c")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "read-uncommitted": ("G0",),
    "read-committed": ("G0", *_G1),
    "repeatable-read": ("G0", *_G1, "G-single", "G2-item"),
    "snapshot-isolation": ("G0", *_G1, "G-single"),
    "serializable": ("G0", *_G1, "G-single", "G2-item"),
    "strict-serializable": (
        "G0",
        *_G1,
        "G-single",
        "G2-item",
        *(
            f"{a}-{s}"
            for s in ("process", "realtime")
            for a in ("G0", "G1c", "G-single", "G2-item")
        ),
    ),
}
"""The anomalies each level forbids (Adya 1999, chapter 4; Kingsbury and Alvaro 2020).

Read uncommitted (PL-1) forbids G0; read committed (PL-2) adds G1 (G1a, G1b, G1c);
repeatable read (Adya's PL-2.99) adds G2-item, which contains G-single; snapshot
isolation forbids G-single but allows G2-item (write skew); serializable (PL-3) forbids
every item cycle; strict serializable adds real-time and process order (``-realtime`` and
``-process`` cycles). The predicate forms (G2, phantoms) need predicate reads, which these
workloads do not have.
"""

ALWAYS_FORBIDDEN = (
    "garbage-read",
    "incompatible-order",
    "duplicate-elements",
    "internal",
)
"""Anomalies no level allows: reads that no execution could have produced.

``internal`` (a read that misses its own transaction's earlier writes) follows Elle: every
level is taken to let a transaction see its own writes, as every SQL database does.
"""

MUTANTS: dict[str, str] = {
    "forget_real_time": (
        "strict serializability checked without real-time and process order: "
        "a read that misses a write completed before it began passes"
    ),
    "drop_rw_edges": (
        "no read-write (anti-dependency) edges: write skew, read skew and lost updates pass"
    ),
    "first_read_order": (
        "a key's version order taken from its first read instead of its longest: "
        "reads that grow look incompatible"
    ),
}
"""The deliberately broken versions of the checker (``check_isolation(..., mutant=...)``)."""

_EDGE_KINDS = ("ww", "wr", "rw", "po", "rt")
_PATH_PREFERENCE = ("ww", "wr", "po", "rt", "rw")


# --------------------------------------------------------------------------------------------
# The history format


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _hashable(x: Any) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


@dataclass(frozen=True)
class Txn:
    """One transaction of a history: who ran it, its micro-operations, and how it ended.

    Attributes
    ----------
    process : hashable
        The client (session) that ran it.
    ops : tuple of tuple
        The micro-operations in order. List-append: ``("append", key, value)`` and
        ``("r", key, values)`` with ``values`` the list read, as a tuple (``()`` for an
        absent key; ``None``: not known, as in an unfinished read). Read-write register:
        ``("w", key, value)`` and ``("r", key, value)`` (``None``: the key was absent).
        Lists are accepted and stored as tuples. Keys and written values must be hashable.
    type : {"ok", "fail", "info"}
        ``"ok"`` committed, ``"fail"`` aborted (surely not applied), ``"info"`` unknown
        (it may or may not have committed; its reads are not trusted).
    start, end : float or None
        Real time of the invocation and of the completion; ``None`` when not known. Only
        ``strict-serializable`` uses them.

    Raises
    ------
    ValueError, TypeError
        If a field is not one of the forms above; the message names the field.

    Examples
    --------
    >>> Txn("p1", [["append", "x", 1], ["r", "x", [1]]])
    Txn(process='p1', ops=(('append', 'x', 1), ('r', 'x', (1,))), type='ok', start=None, end=None)
    >>> Txn("p1", (("add", "x", 1),))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Txn op 0: ('add', 'x', 1) is not a micro-op; allowed: ('append', key, value), ...
    """

    process: Hashable
    ops: tuple[tuple[Any, ...], ...]
    type: str = "ok"
    start: float | None = None
    end: float | None = None

    def __post_init__(self) -> None:
        if not _hashable(self.process):
            raise TypeError(f"Txn process must be hashable, got {self.process!r}")
        if self.type not in ("ok", "fail", "info"):
            raise ValueError(f"Txn type is {self.type!r}; allowed: 'ok', 'fail', 'info'")
        if not isinstance(self.ops, (tuple, list)):
            raise TypeError(f"Txn ops must be a tuple of micro-ops, got {type(self.ops).__name__}")
        ops = []
        for n, op in enumerate(self.ops):
            if (
                not isinstance(op, (tuple, list))
                or len(op) != 3
                or op[0] not in ("append", "w", "r")
            ):
                raise ValueError(
                    f"Txn op {n}: {op!r} is not a micro-op; allowed: ('append', key, value), "
                    "('w', key, value), ('r', key, value)"
                )
            f, key, value = op
            if not _hashable(key):
                raise TypeError(f"Txn op {n}: key {key!r} is not hashable")
            if f == "r" and isinstance(value, list):
                value = tuple(value)
            if not _hashable(value):
                raise TypeError(f"Txn op {n}: value {value!r} is not hashable")
            ops.append((f, key, value))
        object.__setattr__(self, "ops", tuple(ops))
        for name in ("start", "end"):
            t = getattr(self, name)
            if t is not None and not _is_number(t):
                raise TypeError(f"Txn {name} must be a number or None, got {t!r}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"Txn ends ({self.end}) before it starts ({self.start})")

    def writes(self) -> bool:
        """Whether the transaction writes anything (appends or register writes).

        >>> Txn(1, (("r", "x", ()),)).writes()
        False
        """
        return any(f != "r" for f, _, _ in self.ops)


def _fmt_value(v: Any) -> str:
    if isinstance(v, tuple):
        return "[" + " ".join(_fmt_value(x) for x in v) + "]"
    if v is None:
        return "nil"
    return str(v)


def format_txn(txn: Txn, index: int | None = None) -> str:
    """A transaction in one line, as the explanations print it.

    >>> format_txn(Txn("p1", (("append", "x", 1), ("r", "x", (1,)))), 3)
    'T3 (p1): append x 1, r x [1]'
    """
    ops = ", ".join(f"{f} {k} {_fmt_value(v)}" for f, k, v in txn.ops)
    head = "T" if index is None else f"T{index}"
    tail = "" if txn.type == "ok" else f" [{txn.type}]"
    return f"{head} ({txn.process}): {ops}{tail}"


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Anomaly:
    """One anomaly the history proves.

    Attributes
    ----------
    name : str
        Adya's name (``"G0"``, ``"G1a"``, ``"G1b"``, ``"G1c"``, ``"G-single"``,
        ``"G2-item"``; with ``"-realtime"`` or ``"-process"`` when real-time or process
        order helps close the cycle) or a read no execution could produce
        (``"garbage-read"``, ``"incompatible-order"``, ``"duplicate-elements"``,
        ``"internal"``).
    plain : str
        The anomaly in plain words (``"lost update"``, ``"write skew"``, ``"read skew"``,
        ``"dirty write"``, ...).
    txns : tuple of int
        Positions (in the checked history) of the transactions involved.
    cycle : tuple of (int, int, str, key)
        For a cycle: its edges ``(i, j, kind, key)``, kind in ``"ww"``, ``"wr"``, ``"rw"``,
        ``"rt"``, ``"po"`` (key ``None`` for ``rt`` and ``po``); empty otherwise.
    explanation : str
        Why the history proves it, one line per step.

    Examples
    --------
    >>> Anomaly("G1a", "dirty read (aborted read)", (0, 1)).name
    'G1a'
    """

    name: str
    plain: str
    txns: tuple[int, ...]
    cycle: tuple[tuple[int, int, str, Any], ...] = ()
    explanation: str = ""

    @property
    def base(self) -> str:
        """The name without ``-realtime``/``-process`` (``"G-single-realtime"`` -> ``"G-single"``).

        >>> Anomaly("G-single-realtime", "", (0, 1)).base
        'G-single'
        """
        for suffix in ("-realtime", "-process"):
            if self.name.endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name


@dataclass(frozen=True)
class IsolationResult:
    """What ``check_isolation`` found.

    Attributes
    ----------
    ok : bool or None
        ``True``: the history is allowed at the level (no forbidden anomaly in any version
        order the history allows); ``False``: it proves a forbidden anomaly; ``None``:
        unknown (see ``unknown``).
    level, workload : str
    anomalies : tuple of Anomaly
        Every anomaly found, forbidden at the level or not (``violations`` are the
        forbidden ones).
    unknown : tuple of str
        Why the answer is ``None`` (or what limited the search), in words.
    history : tuple of Txn
    edges : tuple of (int, int, str, key)
        The dependency graph: every edge inferred, sorted.

    Examples
    --------
    >>> r = check_isolation([Txn(0, (("append", "x", 1),)), Txn(1, (("r", "x", (1,)),))])
    >>> print(r)
    serializable (list-append), 2 transactions: ok
    >>> r.edges
    ((0, 1, 'wr', 'x'),)
    """

    ok: bool | None
    level: str
    workload: str
    anomalies: tuple[Anomaly, ...] = ()
    unknown: tuple[str, ...] = ()
    history: tuple[Txn, ...] = field(default=(), repr=False)
    edges: tuple[tuple[int, int, str, Any], ...] = field(default=(), repr=False)

    @property
    def violations(self) -> tuple[Anomaly, ...]:
        """The anomalies the level forbids."""
        return tuple(a for a in self.anomalies if _forbidden(a, self.level))

    @property
    def verdict(self) -> str:
        """``"ok"``, ``"violation"`` or ``"unknown"``."""
        return {True: "ok", False: "violation", None: "unknown"}[self.ok]

    def __str__(self) -> str:
        lines = [
            f"{self.level} ({self.workload}), {len(self.history)} transactions: {self.verdict}"
        ]
        for a in self.anomalies:
            mark = "forbidden" if _forbidden(a, self.level) else "allowed"
            lines.append(f"  {a.name} ({a.plain}), {mark}: " + " ".join(f"T{i}" for i in a.txns))
            lines.extend("    " + x for x in a.explanation.splitlines())
        lines.extend(f"  unknown: {u}" for u in self.unknown)
        return "\n".join(lines)

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.anomalies)
        return (
            f"IsolationResult({self.level}: {self.verdict}, {len(self.history)} transactions"
            + (f", anomalies: {names}" if names else "")
            + ")"
        )

    def to_frame(self) -> Any:
        """One row per anomaly: name, plain words, forbidden?, transactions, cycle.

        >>> h = [Txn(0, (("append", "x", 1),), type="fail"), Txn(1, (("r", "x", (1,)),))]
        >>> check_isolation(h).to_frame()[["anomaly", "in words", "forbidden"]]
          anomaly                   in words  forbidden
        0     G1a  dirty read (aborted read)       True
        """
        import pandas as pd

        rows = [
            {
                "anomaly": a.name,
                "in words": a.plain,
                "forbidden": _forbidden(a, self.level),
                "transactions": " ".join(f"T{i}" for i in a.txns),
                "cycle": _fmt_cycle(a.cycle),
            }
            for a in self.anomalies
        ]
        columns = ["anomaly", "in words", "forbidden", "transactions", "cycle"]
        return pd.DataFrame(rows, columns=columns)

    def draw(self, ax: Any = None, which: int | None = None) -> Any:
        """Draw an anomaly's cycle (or, with no anomaly, the whole graph of a small history).

        Parameters
        ----------
        ax : matplotlib Axes, optional
        which : int, optional
            The index of the anomaly in ``anomalies`` (default: the first with a cycle).

        Returns
        -------
        matplotlib Figure
        """
        cycles = [a for a in self.anomalies if a.cycle]
        if which is not None:
            if not 0 <= which < len(self.anomalies):
                raise ValueError(f"which={which}: there are {len(self.anomalies)} anomalies")
            chosen: Anomaly | None = self.anomalies[which]
        else:
            chosen = cycles[0] if cycles else None
        if chosen is not None and chosen.cycle:
            edges = chosen.cycle
            title = f"{chosen.name}: {chosen.plain}"
            nodes = list(dict.fromkeys(i for e in edges for i in e[:2]))
        elif chosen is not None:
            nodes = list(chosen.txns)
            edges = tuple(e for e in self.edges if e[0] in nodes and e[1] in nodes)
            title = f"{chosen.name}: {chosen.plain}"
        else:
            nodes = sorted({i for e in self.edges for i in e[:2]})
            if len(nodes) > 30:
                raise ValueError(
                    f"the graph has {len(nodes)} transactions; draw() shows at most 30"
                )
            edges = self.edges
            title = f"dependency graph: {self.verdict}"
        return draw_dependency_graph(self.history, edges, nodes, title=title, ax=ax)


def _fmt_cycle(cycle: Sequence[tuple[int, int, str, Any]]) -> str:
    if not cycle:
        return ""
    parts = [f"T{cycle[0][0]}"]
    for _, j, kind, key in cycle:
        label = kind if key is None else f"{kind} {key}"
        parts.append(f"-{label}-> T{j}")
    return " ".join(parts)


def _forbidden(a: Anomaly, level: str) -> bool:
    return a.name in ALWAYS_FORBIDDEN or a.name in FORBIDDEN[level]


_EDGE_COLOURS = {
    "ww": "tab:red",
    "wr": "tab:blue",
    "rw": "tab:orange",
    "rt": "tab:gray",
    "po": "tab:green",
}


def draw_dependency_graph(
    history: Sequence[Txn],
    edges: Sequence[tuple[int, int, str, Any]],
    nodes: Sequence[int] | None = None,
    *,
    title: str = "",
    ax: Any = None,
) -> Any:
    """Draw transactions on a circle and the dependency edges between them.

    Parameters
    ----------
    history : sequence of Txn
    edges : sequence of (i, j, kind, key)
        As ``IsolationResult.edges`` or ``Anomaly.cycle``.
    nodes : sequence of int, optional
        The transactions to place (default: those the edges touch, in order).
    title : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch

    if nodes is None:
        nodes = sorted({i for e in edges for i in e[:2]})
    if ax is None:
        fig = Figure(figsize=(6.0, 4.2))
        ax = fig.subplots()
    else:
        fig = ax.figure
    n = max(len(nodes), 1)
    pos = {
        v: (
            math.cos(math.pi / 2 - 2 * math.pi * k / n),
            math.sin(math.pi / 2 - 2 * math.pi * k / n),
        )
        for k, v in enumerate(nodes)
    }
    pairs: dict[tuple[int, int], list[str]] = {}
    for i, j, kind, key in edges:
        pairs.setdefault((i, j), []).append(kind if key is None else f"{kind} {key}")
    for (i, j), labels in pairs.items():
        kind = labels[0].split()[0]
        rad = 0.18 if (j, i) in pairs else 0.0
        arrow = FancyArrowPatch(
            pos[i],
            pos[j],
            arrowstyle="-|>",
            mutation_scale=14,
            shrinkA=22,
            shrinkB=22,
            connectionstyle=f"arc3,rad={rad}",
            color=_EDGE_COLOURS.get(kind, "black"),
            lw=1.4,
        )
        ax.add_patch(arrow)
        (x0, y0), (x1, y1) = pos[i], pos[j]
        # the label a little nearer the source than the middle, so crossing edges keep theirs
        mx, my = x0 + 0.4 * (x1 - x0), y0 + 0.4 * (y1 - y0)
        if rad:
            mx, my = mx + rad * (y1 - y0) * 0.9, my - rad * (x1 - x0) * 0.9
        ax.text(
            mx,
            my,
            ", ".join(labels),
            fontsize=8,
            ha="center",
            va="center",
            color=_EDGE_COLOURS.get(kind, "black"),
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    for v in nodes:
        x, y = pos[v]
        txn = history[v]
        ax.text(
            x,
            y,
            f"T{v}",
            ha="center",
            va="center",
            fontsize=10,
            fontweight="bold",
            bbox={
                "boxstyle": "circle,pad=0.3",
                "fc": "#eef3fb" if txn.type == "ok" else "#fbeeee",
                "ec": "#335",
            },
        )
        ops = "\n".join(f"{f} {k} {_fmt_value(val)}" for f, k, val in txn.ops[:4])
        if len(txn.ops) > 4:
            ops += "\n..."
        ax.text(x * 1.42, y * 1.32, ops, ha="center", va="center", fontsize=7, color="#333")
    ax.set_xlim(-1.9, 1.9)
    ax.set_ylim(-1.6, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


# --------------------------------------------------------------------------------------------
# The dependency graph


class _Graph:
    """Edges between transactions (positions in the history), each with the key it is about."""

    def __init__(self, drop_rw: bool = False) -> None:
        self.out: dict[int, dict[int, dict[str, Any]]] = {}
        self.drop_rw = drop_rw

    def add(self, a: int, b: int, kind: str, key: Any = None) -> None:
        if a == b or (kind == "rw" and self.drop_rw):  # mutant "drop_rw_edges": no rw edges
            return
        kinds = self.out.setdefault(a, {}).setdefault(b, {})
        kinds.setdefault(kind, key)

    def edges(self) -> list[tuple[int, int, str, Any]]:
        out = []
        for a in sorted(self.out):
            for b in sorted(self.out[a]):
                for kind in _EDGE_KINDS:
                    if kind in self.out[a][b]:
                        out.append((a, b, kind, self.out[a][b][kind]))
        return out


class _Analysis:
    """What the inference found: anomalies without cycles, the graph, what stays unknown."""

    def __init__(self, history: Sequence[Txn], mutant: str | None) -> None:
        self.history = history
        self.graph = _Graph(drop_rw=mutant == "drop_rw_edges")
        self.anomalies: list[Anomaly] = []
        self.unknown: list[str] = []
        self.assumption_broken: list[str] = []
        self.observed_info: set[int] = set()
        self.mutant = mutant
        self._seen: set[tuple[str, tuple[int, ...]]] = set()

    def report(self, name: str, plain: str, txns: Sequence[int], explanation: str) -> None:
        key = (name, tuple(txns))
        if key in self._seen:
            return
        self._seen.add(key)
        self.anomalies.append(Anomaly(name, plain, tuple(txns), (), explanation))

    def included(self, i: int) -> bool:
        t = self.history[i].type
        return t == "ok" or (t == "info" and i in self.observed_info)

    def txt(self, i: int) -> str:
        return format_txn(self.history[i], i)


def _list_append(an: _Analysis) -> None:
    """Infer the version order of each key from its longest read, then the edges (as Elle does)."""
    history = an.history
    writer: dict[tuple[Any, Any], int] = {}
    duplicated: set[tuple[Any, Any]] = set()
    appends: dict[tuple[int, Any], list[Any]] = {}
    appenders: dict[Any, list[int]] = {}
    for i, t in enumerate(history):
        for f, k, v in t.ops:
            if f != "append":
                continue
            if (k, v) in writer:
                duplicated.add((k, v))
            else:
                writer[(k, v)] = i
            appends.setdefault((i, k), []).append(v)
            appenders.setdefault(k, []).append(i)
    by: dict[tuple[Any, Any], set[int]] = {kv: set() for kv in duplicated}
    if by:
        for i, t in enumerate(history):
            for f, k, v in t.ops:
                if f == "append" and (k, v) in by:
                    by[(k, v)].add(i)
    for k, v in sorted(duplicated, key=stable_repr):
        txns = sorted(by[(k, v)])
        an.assumption_broken.append(
            f"value {v!r} is appended to key {k!r} more than once (by "
            + ", ".join(f"T{i}" for i in txns)
            + "); appended values must be unique, so the reads of that key prove nothing"
        )
    # Reads by committed transactions, per key, in history order; internal consistency.
    reads: dict[Any, list[tuple[int, tuple[Any, ...]]]] = {}
    for i, t in enumerate(history):
        if t.type != "ok":
            continue
        own: dict[Any, list[Any]] = {}
        # every value this transaction appended to each key, so far: each later read of the
        # key must still hold them all (a list only grows, and a transaction sees its writes)
        all_own: dict[Any, list[Any]] = {}
        for f, k, v in t.ops:
            if f == "append":
                own.setdefault(k, []).append(v)
                all_own.setdefault(k, []).append(v)
            elif v is not None:
                if not isinstance(v, tuple):
                    raise ValueError(
                        f"T{i}: read of {k!r} returned {v!r}; a list-append read returns a "
                        "tuple (or list) of values, or None if unknown"
                    )
                mine = own.get(k, [])
                lost = tuple(x for x in all_own.get(k, []) if x not in v)
                if mine and tuple(v[-len(mine) :]) != tuple(mine):
                    why = f"does not end with its own appends {_fmt_value(tuple(mine))}"
                elif lost:
                    why = f"lacks {_fmt_value(lost)}, which it appended before"
                else:
                    why = ""
                if why:
                    an.report(
                        "internal",
                        "read misses its own writes",
                        [i],
                        f"{an.txt(i)}\n  its read of {k} {why}",
                    )
                    continue
                own[k] = []  # appends after this read must show at the end of the next one
                reads.setdefault(k, []).append((i, v))
    for k, rs in reads.items():  # info transactions a committed read observed did commit
        for _, r in rs:
            for v in r:
                w = writer.get((k, v))
                if w is not None and history[w].type == "info" and (k, v) not in duplicated:
                    an.observed_info.add(w)
    tails_unknown: list[str] = []
    for k in sorted(set(reads) | {k for (_, k) in appends}, key=stable_repr):
        key_reads = reads.get(k, [])
        if any((k, v) in duplicated for _, r in key_reads for v in r):
            continue
        # The version order: the longest read (the mutant takes the first one).
        longest: tuple[Any, ...] = ()
        longest_by = -1
        if key_reads:
            if an.mutant == "first_read_order":
                longest_by, longest = key_reads[0]  # mutant "first_read_order"
            else:
                longest_by, longest = max(key_reads, key=lambda x: len(x[1]))
        bad = False
        for i, r in key_reads:
            if r != longest[: len(r)]:
                an.report(
                    "incompatible-order",
                    "reads of one list disagree on its order",
                    sorted({longest_by, i}),
                    f"{an.txt(longest_by)}\n{an.txt(i)}\n  the reads of {k} are not prefixes of "
                    "one another: no order of appends gives both",
                )
                bad = True
        if len(set(longest)) != len(longest):
            an.report(
                "duplicate-elements",
                "a value appears twice in a list",
                [longest_by],
                f"{an.txt(longest_by)}\n  reads {k} with a value twice, "
                "though each is appended once",
            )
            bad = True
        for i, r in key_reads:
            missing = [v for v in r if (k, v) not in writer]
            if missing:
                an.report(
                    "garbage-read",
                    "read a value never written",
                    [i],
                    f"{an.txt(i)}\n  reads {k} = {_fmt_value(r)}, but no transaction appended "
                    + ", ".join(map(str, missing)),
                )
        # each writer's appends must show in the order it made them, none skipped
        seen: dict[int, int] = {}
        for v in longest:
            w = writer.get((k, v))
            if w is None or bad:
                continue
            n = seen.get(w, 0)
            if appends[(w, k)][n] != v:
                an.report(
                    "incompatible-order",
                    "reads of one list disagree on its order",
                    sorted({w, longest_by}),
                    f"{an.txt(w)}\n{an.txt(longest_by)}\n  T{w} appended "
                    f"{_fmt_value(tuple(appends[(w, k)]))} to {k}, but the read shows {v} "
                    f"without {appends[(w, k)][n]} before it",
                )
                bad = True
            seen[w] = n + 1
        if bad:
            an.unknown.append(f"the version order of key {k!r} is contradictory; no edges from it")
            continue
        position = {v: n for n, v in enumerate(longest)}
        # Aborted and intermediate reads.
        skip_read: set[int] = set()
        for idx, (i, r) in enumerate(key_reads):
            for v in r:
                w = writer.get((k, v))
                if w is not None and history[w].type == "fail":
                    an.report(
                        "G1a",
                        "dirty read (aborted read)",
                        [w, i],
                        f"{an.txt(w)}\n{an.txt(i)}\n  T{i} reads {k} = {_fmt_value(r)}, which "
                        f"includes {v}, appended by T{w}, which aborted",
                    )
            if r:
                w = writer.get((k, r[-1]))
                if w is not None and w != i and appends[(w, k)][-1] != r[-1]:
                    an.report(
                        "G1b",
                        "intermediate read",
                        [w, i],
                        f"{an.txt(w)}\n{an.txt(i)}\n  T{i} reads {k} = {_fmt_value(r)}: T{w} "
                        f"appended {r[-1]} and then more to {k} (an intermediate version)",
                    )
                    skip_read.add(idx)
        # Writers in version order (those we know: not aborted, not unknown values).
        chain = [writer[(k, v)] for v in longest if (k, v) in writer]
        chain = [w for w in chain if history[w].type != "fail"]
        # next_writer[p]: who appended the first known element at or after position p
        next_writer: list[int | None] = [None] * (len(longest) + 1)
        for p in range(len(longest) - 1, -1, -1):
            w = writer.get((k, longest[p]))
            known = w is not None and history[w].type != "fail"
            next_writer[p] = w if known else next_writer[p + 1]
        for a, b in itertools.pairwise(chain):
            an.graph.add(a, b, "ww", k)
        tail = sorted(
            {
                i
                for i in appenders.get(k, ())
                if an.included(i) and any(v not in position for v in appends[(i, k)])
            }
        )
        if chain:
            for j in tail:
                an.graph.add(chain[-1], j, "ww", k)
        if len(tail) > 1:
            tails_unknown.append(
                f"key {k!r}: the order of the unread appends of " + ", ".join(f"T{j}" for j in tail)
            )
        for idx, (i, r) in enumerate(key_reads):
            if idx in skip_read:
                continue
            if r:
                w = writer.get((k, r[-1]))
                if w is not None and history[w].type != "fail":
                    an.graph.add(w, i, "wr", k)
            after = next_writer[len(r)] if len(r) < len(longest) else None
            if after is not None:
                an.graph.add(i, after, "rw", k)
            if len(r) == len(longest):
                for j in tail:
                    an.graph.add(i, j, "rw", k)
    if tails_unknown:
        an.unknown.extend(f"{u} is not known (no read shows them)" for u in tails_unknown)


def _rw_register(an: _Analysis) -> None:
    """Edges from what the history proves about register versions (as Elle does for registers)."""
    history = an.history
    writer: dict[tuple[Any, Any], int] = {}
    final: dict[tuple[Any, Any], bool] = {}
    duplicated: set[tuple[Any, Any]] = set()
    for i, t in enumerate(history):
        last: dict[Any, Any] = {}
        for f, k, v in t.ops:
            if f != "w":
                continue
            if v is None:
                raise ValueError(f"T{i}: writes None to {k!r}; None stands for the absent key")
            if (k, v) in writer:
                duplicated.add((k, v))
            else:
                writer[(k, v)] = i
            last[k] = v
        for f, k, v in t.ops:
            if f == "w" and writer.get((k, v)) == i:
                final[(k, v)] = last[k] == v
    for k, v in sorted(duplicated, key=stable_repr):
        an.assumption_broken.append(
            f"value {v!r} is written to key {k!r} more than once; written values must be "
            "unique, so reads of it prove nothing"
        )
    # External reads of committed transactions (before their own write of the key).
    external: list[tuple[int, Any, Any]] = []
    read_then_write: list[tuple[int, Any, Any, Any]] = []  # txn, key, read value, own final write
    for i, t in enumerate(history):
        if t.type != "ok":
            continue
        own: dict[Any, Any] = {}
        first_read: dict[Any, Any] = {}
        for f, k, v in t.ops:
            if f == "w":
                own[k] = v
            elif k in own:
                if v != own[k]:
                    an.report(
                        "internal",
                        "read misses its own writes",
                        [i],
                        f"{an.txt(i)}\n  reads {k} = {_fmt_value(v)} after writing {own[k]}",
                    )
            else:
                external.append((i, k, v))
                first_read.setdefault(k, v)
        for k, v in first_read.items():
            if k in own and (k, v) not in duplicated and (k, own[k]) not in duplicated:
                read_then_write.append((i, k, v, own[k]))
    good_reads: list[tuple[int, Any, Any]] = []
    for i, k, v in external:
        if v is None:
            good_reads.append((i, k, v))
            continue
        if (k, v) in duplicated:
            continue
        w = writer.get((k, v))
        if w is None:
            an.report(
                "garbage-read",
                "read a value never written",
                [i],
                f"{an.txt(i)}\n  reads {k} = {v}, which no transaction wrote",
            )
        elif w == i:
            an.report(
                "internal",
                "read its own write before making it",
                [i],
                f"{an.txt(i)}\n  reads {k} = {v} before it writes that value",
            )
        elif history[w].type == "fail":
            an.report(
                "G1a",
                "dirty read (aborted read)",
                [w, i],
                f"{an.txt(w)}\n{an.txt(i)}\n  T{i} reads {k} = {v}, written by T{w}, which aborted",
            )
        elif not final[(k, v)]:
            an.report(
                "G1b",
                "intermediate read",
                [w, i],
                f"{an.txt(w)}\n{an.txt(i)}\n  T{i} reads {k} = {v}, which T{w} overwrote in "
                "the same transaction",
            )
        else:
            if history[w].type == "info":
                an.observed_info.add(w)
            good_reads.append((i, k, v))
    # Committed versions per key, and the order the history proves between them.
    versions: dict[Any, list[Any]] = {}
    for (k, v), w in writer.items():
        if final[(k, v)] and an.included(w) and (k, v) not in duplicated:
            versions.setdefault(k, []).append(v)
    successors: dict[tuple[Any, Any], list[Any]] = {}
    for i, k, v, w in read_then_write:
        if v is None or not final.get((k, w), False):
            continue
        wv = writer.get((k, v))
        if wv is None or not an.included(wv) or not final.get((k, v), False):
            continue
        successors.setdefault((k, v), []).append(w)
        an.graph.add(wv, i, "ww", k)
    for i, k, v in good_reads:
        if v is not None:
            an.graph.add(writer[(k, v)], i, "wr", k)
            for w in successors.get((k, v), []):
                an.graph.add(i, writer[(k, w)], "rw", k)
        else:  # the initial version comes before every installed one
            for w in versions.get(k, []):
                an.graph.add(i, writer[(k, w)], "rw", k)
    by_key: dict[Any, list[tuple[Any, Any]]] = {}
    for (k, v), ws in successors.items():
        by_key.setdefault(k, []).extend((v, w) for w in ws)
    for k in sorted(versions, key=stable_repr):
        if not _chain_known(versions[k], by_key.get(k, [])):
            an.unknown.append(
                f"key {k!r}: the order of its {len(versions[k])} writes is not fully known"
            )


def _chain_known(values: list[Any], pairs: list[tuple[Any, Any]]) -> bool:
    """Whether ``pairs`` (v before w) order ``values`` totally (a unique topological order)."""
    if len(values) <= 1:
        return True
    indegree = {v: 0 for v in values}
    after: dict[Any, list[Any]] = {v: [] for v in values}
    for v, w in pairs:
        if v in indegree and w in indegree:
            after[v].append(w)
            indegree[w] += 1
    ready = [v for v in values if indegree[v] == 0]
    seen = 0
    while ready:
        if len(ready) > 1:
            return False
        v = ready.pop()
        seen += 1
        for w in after[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    return seen == len(values)


def _order_edges(an: _Analysis) -> None:
    """Real-time edges (T1 completed before T2 began) and process order, transitively reduced."""
    history = an.history
    events: list[tuple[float, int, int]] = []
    for i, t in enumerate(history):
        if not an.included(i):
            continue
        if t.start is not None:
            events.append((t.start, 0, i))
        if t.type == "ok" and t.end is not None:
            events.append((t.end, 1, i))
    events.sort()
    frontier: set[int] = set()
    preds: dict[int, list[int]] = {}
    for _, kind, i in events:
        if kind == 0:
            preds[i] = sorted(frontier)
            for p in preds[i]:
                an.graph.add(p, i, "rt")
        else:
            frontier.difference_update(preds.get(i, ()))
            frontier.add(i)
    last: dict[Any, int] = {}
    for i, t in enumerate(history):
        if not an.included(i):
            continue
        before = last.get(t.process)
        if before is not None and history[before].type == "ok":
            an.graph.add(before, i, "po")
        last[t.process] = i


# --------------------------------------------------------------------------------------------
# Cycles


def _sccs(nodes: list[int], out: dict[int, dict[int, dict[str, Any]]]) -> list[list[int]]:
    """Strongly connected components with more than one node (Tarjan, iteratively)."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(out.get(root, {}))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(out.get(w, {})))))
                    advanced = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    result.append(sorted(comp))
    result.sort()
    return result


def _path(
    out: dict[int, dict[int, dict[str, Any]]],
    start: int,
    goal: int,
    allowed: frozenset[str],
    members: set[int],
) -> list[tuple[int, int, str, Any]] | None:
    """A shortest path from start to goal inside ``members`` over edges of the allowed kinds."""
    parent: dict[int, tuple[int, str, Any]] = {start: (-1, "", None)}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        if v == goal:
            path = []
            while v != start:
                p, kind, key = parent[v]
                path.append((p, v, kind, key))
                v = p
            return path[::-1]
        for w in sorted(out.get(v, {})):
            if w in parent or w not in members:
                continue
            kinds = out[v][w]
            for kind in _PATH_PREFERENCE:
                if kind in allowed and kind in kinds:
                    parent[w] = (v, kind, kinds[kind])
                    queue.append(w)
                    break
    return None


# (closing edge kind, kinds allowed on the path back) in the order Elle looks for them
_SEARCHES: tuple[tuple[str, frozenset[str]], ...] = (
    ("ww", frozenset({"ww"})),
    ("wr", frozenset({"ww", "wr"})),
    ("rw", frozenset({"ww", "wr"})),
    ("rw", frozenset({"ww", "wr", "rw"})),
)
_ORDER_SEARCHES: tuple[tuple[str, frozenset[str]], ...] = (
    ("po", frozenset({"ww", "po"})),
    ("rt", frozenset({"ww", "po", "rt"})),
    ("po", frozenset({"ww", "wr", "po"})),
    ("rt", frozenset({"ww", "wr", "po", "rt"})),
    ("rw", frozenset({"ww", "wr", "po", "rt"})),
    ("po", frozenset(_EDGE_KINDS)),
    ("rt", frozenset(_EDGE_KINDS)),
)
MAX_CLOSING_EDGES = 64
"""How many closing edges of one kind the cycle search tries per component."""


def _classify(cycle: Sequence[tuple[int, int, str, Any]]) -> str:
    kinds = [e[2] for e in cycle]
    rw = kinds.count("rw")
    base = "G2-item" if rw >= 2 else "G-single" if rw == 1 else "G1c" if "wr" in kinds else "G0"
    if "rt" in kinds:
        return base + "-realtime"
    if "po" in kinds:
        return base + "-process"
    return base


def _plain(name: str, cycle: Sequence[tuple[int, int, str, Any]], history: Sequence[Txn]) -> str:
    base = name.split("-realtime")[0].split("-process")[0]
    txns = {e[0] for e in cycle}
    data = [e for e in cycle if e[2] in ("ww", "wr", "rw")]
    if base == "G0":
        return "dirty write"
    if base == "G1c":
        return "circular information flow"
    if base == "G-single":
        if len(txns) == 2 and len(data) == 1 and name != base:
            return "stale read"
        if len(txns) == 2 and len(data) == 2:
            rw = next(e for e in data if e[2] == "rw")
            other = next(e for e in data if e[2] != "rw")
            if other[2] == "ww" and other[3] == rw[3]:
                return "lost update"
            if other[2] == "wr" and other[3] == rw[3]:
                return "non-repeatable read"
            if other[2] == "wr":
                return "read skew"
        return "read skew (single anti-dependency cycle)"
    if any(not history[i].writes() for i in txns) and len(txns) >= 3:
        return "read-only transaction anomaly"
    if (
        len(txns) == 2
        and len(data) == 2
        and all(e[2] == "rw" for e in data)
        and data[0][3] != data[1][3]
    ):
        return "write skew"
    return "write skew (anti-dependency cycle)"


def _explain(cycle: Sequence[tuple[int, int, str, Any]], an: _Analysis) -> str:
    words = {
        "ww": "T{j} overwrote T{i}'s {key}",
        "wr": "T{j} read T{i}'s write of {key}",
        "rw": "T{i} read {key} before T{j} overwrote it",
        "rt": "T{i} completed before T{j} began",
        "po": "T{i} came before T{j} in process {p}",
    }
    lines = [an.txt(i) for i in dict.fromkeys(e[0] for e in cycle)]
    for i, j, kind, key in cycle:
        lines.append(
            f"  T{i} -{kind}-> T{j}: "
            + words[kind].format(i=i, j=j, key=key, p=an.history[i].process)
        )
    return "\n".join(lines)


def _cycles(an: _Analysis, order: bool) -> None:
    out = an.graph.out
    nodes = sorted(set(out) | {b for a in out for b in out[a]})
    searches = _SEARCHES + (_ORDER_SEARCHES if order else ())
    capped = False
    for comp in _sccs(nodes, out):
        members = set(comp)
        found: set[str] = set()
        for closing, allowed in searches:
            best: list[tuple[int, int, str, Any]] | None = None
            tried = 0
            for a in comp:
                for b in sorted(out.get(a, {})):
                    if b not in members or closing not in out[a][b]:
                        continue
                    if tried >= MAX_CLOSING_EDGES:
                        capped = True
                        break
                    tried += 1
                    path = _path(out, b, a, allowed, members)
                    if path is None:
                        continue
                    cycle = [(a, b, closing, out[a][b][closing]), *path]
                    if best is None or len(cycle) < len(best):
                        best = cycle
                    if len(best) == 2:
                        break
                if (best is not None and len(best) == 2) or tried >= MAX_CLOSING_EDGES:
                    break
            if best is None:
                continue
            # start the cycle at its smallest transaction, for a stable print
            first = best.index(min(best))
            cycle = best[first:] + best[:first]
            name = _classify(cycle)
            base = name.split("-realtime")[0].split("-process")[0]
            if name in found or base in found:
                continue
            found.add(name)
            txns = tuple(dict.fromkeys(e[0] for e in cycle))
            an.anomalies.append(
                Anomaly(
                    name, _plain(name, cycle, an.history), txns, tuple(cycle), _explain(cycle, an)
                )
            )
    if capped:
        an.unknown.append(
            f"the cycle search tried at most {MAX_CLOSING_EDGES} closing edges of each kind per "
            "component; some anomaly types may be unnamed"
        )


# --------------------------------------------------------------------------------------------
# A witness: a serial order that explains every read


def _witness(an: _Analysis, workload: str, candidates: int = 64) -> bool:
    """Whether a serial order that respects every edge of the graph replays every committed read.

    A greedy scheduler: among the transactions whose predecessors in the graph have all run
    (smallest position first, ``candidates`` at most), run one whose reads match the store
    now and that does not overwrite a value another transaction still has to read; failing
    that, any one whose reads match. ``False`` means no order was found, not that none exists.
    """
    history = an.history
    out = an.graph.out
    appending = workload == "list-append"
    members = [i for i in range(len(history)) if an.included(i)]
    indegree = dict.fromkeys(members, 0)
    for a in out:
        for b in out[a]:
            if b in indegree:
                indegree[b] += 1
    # what each committed transaction reads of the store before it writes the key itself
    external: dict[int, list[tuple[Any, Any]]] = {}
    needs: dict[tuple[Any, Any], int] = {}
    for i in members:
        t = history[i]
        if t.type != "ok":
            continue
        written: set[Any] = set()
        mine = external[i] = []
        for f, k, v in t.ops:
            if f != "r":
                written.add(k)
            elif k not in written and (v is not None or not appending):
                mark = (k, len(v) if appending else v)
                mine.append(mark)
                needs[mark] = needs.get(mark, 0) + 1
    state: dict[Any, Any] = {}

    def current(k: Any) -> Any:
        now = state.get(k)
        return (len(now) if now is not None else 0) if appending else now

    def runs_now(i: int) -> bool:
        t = history[i]
        if t.type != "ok":
            return True
        extra: dict[Any, list[Any]] = {}
        overwritten: dict[Any, Any] = {}
        for f, k, v in t.ops:
            if f == "append":
                extra.setdefault(k, []).append(v)
            elif f == "w":
                overwritten[k] = v
            elif appending and v is not None:
                now = state.get(k, [])
                if len(now) + len(extra.get(k, ())) != len(v) or [*now, *extra.get(k, ())] != list(
                    v
                ):
                    return False
            elif not appending and overwritten.get(k, state.get(k)) != v:
                return False
        return True

    def clobbers(i: int) -> bool:
        own = external.get(i, [])
        for k in {k for f, k, _ in history[i].ops if f != "r"}:
            mark = (k, current(k))
            if needs.get(mark, 0) - own.count(mark) > 0:
                return True
        return False

    ready = [i for i in members if indegree[i] == 0]
    heapq.heapify(ready)
    done = 0
    while ready:
        looked: list[int] = []
        chosen = fallback = None
        while ready and len(looked) < candidates:
            i = heapq.heappop(ready)
            looked.append(i)
            if runs_now(i):
                if not clobbers(i):
                    chosen = i
                    break
                if fallback is None:
                    fallback = i
        if chosen is None:
            chosen = fallback
        for i in looked:
            if i != chosen:
                heapq.heappush(ready, i)
        if chosen is None:
            return False
        for mark in external.get(chosen, []):
            needs[mark] -= 1
        for f, k, v in history[chosen].ops:
            if f == "append":
                state.setdefault(k, []).append(v)
            elif f == "w":
                state[k] = v
        done += 1
        for w in out.get(chosen, {}):
            if w in indegree:
                indegree[w] -= 1
                if indegree[w] == 0:
                    heapq.heappush(ready, w)
    return done == len(members)


# --------------------------------------------------------------------------------------------
# The checker


def _check_history(history: Any, workload: str) -> tuple[Txn, ...]:
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise TypeError(
            f"history must be a sequence of Txn, got {type(history).__name__}"
            " (read an EDN file with read_elle_edn)"
        )
    allowed = {"list-append": ("append", "r"), "rw-register": ("w", "r")}[workload]
    for n, t in enumerate(history):
        if not isinstance(t, Txn):
            raise TypeError(f"history[{n}] is a {type(t).__name__}, not a Txn")
        for op in t.ops:
            if op[0] not in allowed:
                other = "rw-register" if workload == "list-append" else "list-append"
                raise ValueError(
                    f"history[{n}] has the micro-op {op!r}, which is not part of the {workload} "
                    f"workload (allowed: {', '.join(allowed)}); use workload={other!r}"
                )
    return tuple(history)


def dependency_edges(
    history: Sequence[Txn], *, workload: str = "list-append", order: bool = False
) -> list[tuple[int, int, str, Any]]:
    """The dependency graph ``check_isolation`` infers: edges ``(i, j, kind, key)``.

    Parameters
    ----------
    history : sequence of Txn
    workload : {"list-append", "rw-register"}
    order : bool, default False
        Add real-time (``rt``) and process-order (``po``) edges.

    Returns
    -------
    list of (int, int, str, key)
        Sorted; ``key`` is ``None`` for ``rt`` and ``po`` edges.

    Examples
    --------
    >>> h = [Txn(0, (("append", "x", 1),), start=0, end=1),
    ...      Txn(1, (("r", "x", (1,)), ("append", "x", 2)), start=2, end=3),
    ...      Txn(2, (("r", "x", (1, 2)),), start=4, end=5)]
    >>> dependency_edges(h)
    [(0, 1, 'ww', 'x'), (0, 1, 'wr', 'x'), (1, 2, 'wr', 'x')]
    >>> dependency_edges(h, order=True)[-1]
    (1, 2, 'rt', None)
    """
    _check_workload(workload)
    an = _analyse(_check_history(history, workload), workload, order, None)
    return an.graph.edges()


def _check_workload(workload: str) -> None:
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; allowed: {', '.join(WORKLOADS)}")


def _analyse(history: Sequence[Txn], workload: str, order: bool, mutant: str | None) -> _Analysis:
    an = _Analysis(history, mutant)
    if workload == "list-append":
        _list_append(an)
    else:
        _rw_register(an)
    if order and mutant != "forget_real_time":  # mutant "forget_real_time": no rt/po edges
        _order_edges(an)
    return an


def check_isolation(
    history: Sequence[Txn],
    *,
    workload: str = "list-append",
    level: str = "serializable",
    mutant: str | None = None,
) -> IsolationResult:
    """Check that a history of transactions is allowed at an isolation level.

    Parameters
    ----------
    history : sequence of Txn
        The transactions, in the order they were recorded (positions name them: ``T0``,
        ``T1``, ...). Appended (or written) values must be unique per key.
    workload : {"list-append", "rw-register"}
    level : str
        One of ``LEVELS``: ``"read-uncommitted"``, ``"read-committed"``,
        ``"repeatable-read"``, ``"snapshot-isolation"``, ``"serializable"``,
        ``"strict-serializable"`` (adds real-time and process-order edges).
    mutant : str, optional
        A deliberately broken version of the checker, from ``MUTANTS``.

    Returns
    -------
    IsolationResult
        ``ok`` ``True``/``False``/``None`` (unknown), the anomalies found (with their
        cycles), why the answer is unknown if it is, and the edges of the graph.

    Raises
    ------
    ValueError
        For an unknown workload or level, or a micro-op outside the workload.
    TypeError
        If the history is not a sequence of ``Txn``.

    Notes
    -----
    Time: linear in the size of the history (the reads' lengths summed) for the graph,
    plus one search per component of the graph that has a cycle; a serializable history
    has none. A cycle is searched for each anomaly type, shortest first from each closing
    edge (at most ``MAX_CLOSING_EDGES`` per type and component).

    Examples
    --------
    A lost update: both transactions read the empty list and append; a later read shows
    both appends.

    >>> h = [
    ...     Txn("p1", (("r", "x", ()), ("append", "x", 1))),
    ...     Txn("p2", (("r", "x", ()), ("append", "x", 2))),
    ...     Txn("p3", (("r", "x", (1, 2)),)),
    ... ]
    >>> r = check_isolation(h, level="snapshot-isolation")
    >>> print(r)
    snapshot-isolation (list-append), 3 transactions: violation
      G-single (lost update), forbidden: T0 T1
        T0 (p1): r x [], append x 1
        T1 (p2): r x [], append x 2
          T0 -ww-> T1: T1 overwrote T0's x
          T1 -rw-> T0: T1 read x before T0 overwrote it
    >>> check_isolation(h, level="read-committed").ok
    True

    Reading a value nobody wrote is reported, not a crash:

    >>> check_isolation([Txn(0, (("r", "x", (9,)),))]).anomalies[0].name
    'garbage-read'
    """
    _check_workload(workload)
    if level not in LEVELS:
        raise ValueError(f"unknown isolation level {level!r}; allowed: {', '.join(LEVELS)}")
    check_mutant("check_isolation", mutant, MUTANTS)
    txns = _check_history(history, workload)
    order = level == "strict-serializable"
    collecting = gc.isenabled()
    gc.disable()  # the graph is many small containers, none garbage: the collector's passes
    try:  # over them cost more than the check (benchmarks/bench_isolation.py)
        an = _analyse(txns, workload, order, mutant)
        _cycles(an, order and mutant != "forget_real_time")
        witness = None if an.assumption_broken else _witness(an, workload)
    finally:
        if collecting:
            gc.enable()
    anomalies = sorted(an.anomalies, key=lambda a: (a.txns, a.name))
    forbidden = [a for a in anomalies if _forbidden(a, level)]
    unknown = list(an.assumption_broken)
    if forbidden:
        ok: bool | None = False
    elif an.assumption_broken:
        ok = None
    elif (level not in ("serializable", "strict-serializable") and not an.unknown) or witness:
        ok = True
    else:
        ok = None
        unknown.extend(an.unknown)
        unknown.append(
            "no forbidden anomaly is proven, but no serial order replaying every read was found"
        )
    return IsolationResult(
        ok, level, workload, tuple(anomalies), tuple(unknown), txns, tuple(an.graph.edges())
    )


# --------------------------------------------------------------------------------------------
# The brute-force oracle


def _before(a: Txn, b: Txn) -> bool:
    """Whether ``a`` completed (committed) before ``b`` was invoked."""
    return a.type == "ok" and a.end is not None and b.start is not None and a.end < b.start


def serializable_by_enumeration(
    history: Sequence[Txn],
    *,
    workload: str = "list-append",
    real_time: bool = False,
    limit: int = 8,
) -> tuple[int, ...] | None:
    """A serial order of the history that explains every committed read, by trying all orders.

    The independent oracle the tests compare ``check_isolation`` with: every ``ok``
    transaction takes effect, each ``info`` one may or may not, ``fail`` ones do not; each
    order of the chosen transactions is run on an empty store and accepted when every read
    of an ``ok`` transaction returns what it recorded.

    Parameters
    ----------
    history : sequence of Txn
    workload : {"list-append", "rw-register"}
    real_time : bool, default False
        Only orders where a transaction that completed before another began comes first
        (strict serializability).
    limit : int, default 8
        The most transactions it accepts (``limit!`` orders).

    Returns
    -------
    tuple of int or None
        The positions in a serial order, or ``None`` if no order explains the history.

    Raises
    ------
    ValueError
        If the history has more than ``limit`` transactions that may take effect.

    Examples
    --------
    >>> h = [Txn(0, (("r", "x", ()), ("r", "y", ()), ("append", "x", 1))),
    ...      Txn(1, (("r", "x", ()), ("r", "y", ()), ("append", "y", 2)))]
    >>> serializable_by_enumeration(h) is None
    True
    >>> serializable_by_enumeration(h[:1])
    (0,)
    """
    _check_workload(workload)
    txns = _check_history(history, workload)
    sure = [i for i, t in enumerate(txns) if t.type == "ok"]
    maybe = [i for i, t in enumerate(txns) if t.type == "info"]
    if len(sure) + len(maybe) > limit:
        raise ValueError(
            f"{len(sure) + len(maybe)} transactions may take effect; enumeration allows at "
            f"most limit={limit}"
        )
    absent: Any = () if workload == "list-append" else None
    for r in range(len(maybe) + 1):
        for extra in itertools.combinations(maybe, r):
            chosen = sorted(sure + list(extra))
            for perm in itertools.permutations(chosen):
                if real_time and any(
                    _before(txns[b], txns[a]) for x, a in enumerate(perm) for b in perm[x + 1 :]
                ):
                    continue
                store: dict[Any, Any] = {}
                good = True
                for i in perm:
                    for f, k, v in txns[i].ops:
                        if f == "append":
                            store[k] = (*store.get(k, ()), v)
                        elif f == "w":
                            store[k] = v
                        elif (
                            txns[i].type == "ok"
                            and (v is not None or workload == "rw-register")
                            and store.get(k, absent) != v
                        ):
                            good = False
                            break
                    if not good:
                        break
                if good:
                    return tuple(perm)
    return None


# --------------------------------------------------------------------------------------------
# Generated histories (for benchmarks and the checks of the checker)


def snapshot_by_enumeration(history: Sequence[Txn], limit: int = 7) -> bool:
    """Whether some snapshot-isolation execution explains the history (rw-register), by
    trying every commit order.

    Snapshot isolation (Berenson et al. 1995): each transaction reads from a snapshot of the
    transactions that committed before it started (and sees its own writes), and two
    transactions that overlap in time never write the same key (first committer wins). An
    execution is a commit order of the writing transactions plus, for each transaction, the
    prefix of that order its snapshot holds (no later than its own commit). For a fixed
    order, a longer snapshot only removes overlaps, so each transaction takes the longest
    snapshot that explains its reads; ``ok`` transactions must take effect, ``info`` ones
    may, ``fail`` ones do not.

    Parameters
    ----------
    history : sequence of Txn
        rw-register transactions (``("r", k, v)``, ``("w", k, v)``; an absent key reads None).
    limit : int, default 7
        The most writing transactions it accepts (``limit!`` orders).

    Raises
    ------
    ValueError
        If more than ``limit`` transactions write.

    Examples
    --------
    A lost update: two transactions read x = None and both write it.

    >>> t1 = Txn(1, (("r", "x", None), ("w", "x", 1)))
    >>> t2 = Txn(2, (("r", "x", None), ("w", "x", 2)))
    >>> snapshot_by_enumeration([t1, t2]), snapshot_by_enumeration([t1])
    (False, True)
    """
    txns = [t for t in history if t.type != "fail"]
    writers = [t for t in txns if t.writes()]
    readers = [t for t in txns if not t.writes() and t.type == "ok"]
    if len(writers) > limit:
        raise ValueError(
            f"snapshot_by_enumeration: {len(writers)} transactions write; at most limit={limit}"
        )
    sure = [t for t in writers if t.type == "ok"]
    maybe = [t for t in writers if t.type == "info"]
    for r in range(len(maybe) + 1):
        for extra in itertools.combinations(maybe, r):
            chosen = sure + list(extra)
            for order in itertools.permutations(chosen):
                if _si_explains(order, readers):
                    return True
    return False


def _si_state_after(order: Sequence[Txn], n: int) -> dict[Any, Any]:
    store: dict[Any, Any] = {}
    for t in order[:n]:
        for f, k, v in t.ops:
            if f == "w":
                store[k] = v
    return store


def _si_reads_match(txn: Txn, snapshot: dict[Any, Any]) -> bool:
    own: dict[Any, Any] = {}
    for f, k, v in txn.ops:
        if f == "w":
            own[k] = v
        elif txn.type == "ok" and own.get(k, snapshot.get(k)) != v:
            return False
    return True


def _si_explains(order: Sequence[Txn], readers: Sequence[Txn]) -> bool:
    snaps = [_si_state_after(order, n) for n in range(len(order) + 1)]
    chosen = []
    for pos, txn in enumerate(order):
        best = next((n for n in range(pos, -1, -1) if _si_reads_match(txn, snaps[n])), None)
        if best is None:
            return False
        chosen.append(best)
    for i, j in itertools.combinations(range(len(order)), 2):
        # i commits before j; they overlap if j's snapshot does not hold i
        if chosen[j] <= i:
            wi = {k for f, k, _ in order[i].ops if f == "w"}
            wj = {k for f, k, _ in order[j].ops if f == "w"}
            if wi & wj:
                return False
    return all(any(_si_reads_match(t, s) for s in snaps) for t in readers)


def generate_history(
    n: int,
    *,
    seed: int = 0,
    processes: int = 5,
    active_keys: int = 4,
    appends_per_key: int = 16,
    ops_per_txn: int = 4,
    stale_reads: float = 0.0,
) -> list[Txn]:
    """A list-append history executed serially, optionally with stale reads injected.

    Transactions run one after another on one store (so the history is strictly
    serializable), each a few reads and appends of the currently active keys; a key that has
    had ``appends_per_key`` appends is retired and replaced by a fresh one (as Elle's
    generator does, so reads stay short and the history grows linearly). Transaction ``i``
    starts at time ``i`` and ends a little later, overlapping the next few.

    Parameters
    ----------
    n : int
        Number of transactions.
    seed : int
    processes, active_keys, appends_per_key, ops_per_txn : int
    stale_reads : float, default 0.0
        The probability that a read returns an older version of its list (a prefix that
        misses the latest appends): each such read makes the history non-serializable unless
        nothing was appended since.

    Returns
    -------
    list of Txn

    Raises
    ------
    ValueError
        If a count is not positive or ``stale_reads`` is not in [0, 1].

    Examples
    --------
    >>> h = generate_history(3, seed=1, ops_per_txn=2)
    >>> for t in h:
    ...     print(format_txn(t))
    T (0): r 0 []
    T (1): append 3 1, r 1 []
    T (2): append 3 2, append 0 3
    >>> check_isolation(generate_history(300, seed=1), level="strict-serializable").ok
    True
    """
    import random

    for name, value in (
        ("n", n),
        ("processes", processes),
        ("active_keys", active_keys),
        ("appends_per_key", appends_per_key),
        ("ops_per_txn", ops_per_txn),
    ):
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or value < (0 if name == "n" else 1)
        ):
            raise ValueError(f"generate_history: {name}={value!r}; must be a positive integer")
    if not 0.0 <= stale_reads <= 1.0:
        raise ValueError(f"generate_history: stale_reads={stale_reads!r}; must be in [0, 1]")
    rng = random.Random(seed)
    keys = list(range(active_keys))
    next_key = active_keys
    store: dict[int, tuple[int, ...]] = {}
    boundaries: dict[int, list[int]] = {}  # the list's lengths between transactions
    value = 0
    history = []
    for i in range(n):
        ops: list[tuple[Any, ...]] = []
        mine: set[int] = set()
        for _ in range(rng.randint(1, ops_per_txn)):
            slot = rng.randrange(len(keys))
            k = keys[slot]
            if rng.random() < 0.5:
                seen = store.get(k, ())
                cuts = [c for c in boundaries.get(k, [0]) if c < len(seen)]
                if k not in mine and cuts and rng.random() < stale_reads:
                    seen = seen[: rng.choice(cuts)]
                ops.append(("r", k, seen))
            else:
                value += 1
                if k not in mine:
                    boundaries.setdefault(k, [0]).append(len(store.get(k, ())))
                    mine.add(k)
                store[k] = (*store.get(k, ()), value)
                ops.append(("append", k, value))
                if len(store[k]) >= appends_per_key:
                    keys[slot] = next_key
                    next_key += 1
        history.append(Txn(i % processes, tuple(ops), "ok", float(i), i + 0.5 + rng.random() * 2))
    return history


# --------------------------------------------------------------------------------------------
# The catalogue: one tiny history per anomaly


@dataclass(frozen=True)
class AnomalyExample:
    """A tiny history that shows one anomaly, and what the checker must call it.

    Attributes
    ----------
    title : str
        The anomaly in plain words.
    history : tuple of Txn
    workload : str
    name : str
        Adya's name the checker must give it.
    allowed_at, forbidden_at : str
        The strongest level that allows it (``""``: none) and the weakest that forbids it.
    story : str
        What happened, in one sentence.
    """

    title: str
    history: tuple[Txn, ...]
    workload: str
    name: str
    allowed_at: str
    forbidden_at: str
    story: str


def _t(
    process: Any, *ops: tuple[Any, ...], type: str = "ok", at: tuple[float, float] | None = None
) -> Txn:
    start, end = at if at is not None else (None, None)
    return Txn(process, tuple(ops), type, start, end)


def anomaly_catalogue() -> list[AnomalyExample]:
    """The anomalies of the chapter, each as the smallest history that shows it.

    Returns
    -------
    list of AnomalyExample

    Examples
    --------
    >>> for e in anomaly_catalogue():
    ...     r = check_isolation(e.history, workload=e.workload, level=e.forbidden_at)
    ...     print(f"{e.title:32} {r.anomalies[0].name:18} {r.anomalies[0].plain}")
    dirty write                      G0                 dirty write
    dirty read (aborted read)        G1a                dirty read (aborted read)
    intermediate read                G1b                intermediate read
    circular information flow        G1c                circular information flow
    non-repeatable read              G-single           non-repeatable read
    lost update                      G-single           lost update
    read skew                        G-single           read skew
    write skew                       G2-item            write skew
    read-only transaction anomaly    G2-item            read-only transaction anomaly
    stale read (real time)           G-single-realtime  stale read
    """
    a, r, w = "append", "r", "w"
    return [
        AnomalyExample(
            "dirty write",
            (
                _t(1, (a, "x", 1), (a, "y", 1)),
                _t(2, (a, "x", 2), (a, "y", 2)),
                _t(3, (r, "x", (1, 2)), (r, "y", (2, 1))),
            ),
            "list-append",
            "G0",
            "",
            "read-uncommitted",
            "T0 and T1 both write x and y, and each overwrites the other on one of them",
        ),
        AnomalyExample(
            "dirty read (aborted read)",
            (_t(1, (a, "x", 1), type="fail"), _t(2, (r, "x", (1,)))),
            "list-append",
            "G1a",
            "read-uncommitted",
            "read-committed",
            "T1 reads the append of T0, which aborted",
        ),
        AnomalyExample(
            "intermediate read",
            (_t(1, (w, "x", 1), (w, "x", 2)), _t(2, (r, "x", 1))),
            "rw-register",
            "G1b",
            "read-uncommitted",
            "read-committed",
            "T1 reads x = 1, which T0 overwrote with 2 before it committed",
        ),
        AnomalyExample(
            "circular information flow",
            (_t(1, (a, "x", 1), (r, "y", (2,))), _t(2, (a, "y", 2), (r, "x", (1,)))),
            "list-append",
            "G1c",
            "read-uncommitted",
            "read-committed",
            "each transaction reads the other's write",
        ),
        AnomalyExample(
            "non-repeatable read",
            (_t(1, (r, "x", ()), (r, "x", (1,))), _t(2, (a, "x", 1))),
            "list-append",
            "G-single",
            "read-committed",
            "repeatable-read",
            "T0 reads x twice and sees T1's append only the second time",
        ),
        AnomalyExample(
            "lost update",
            (
                _t(1, (r, "x", ()), (a, "x", 1)),
                _t(2, (r, "x", ()), (a, "x", 2)),
                _t(3, (r, "x", (1, 2))),
            ),
            "list-append",
            "G-single",
            "read-committed",
            "snapshot-isolation",
            "T0 and T1 read x, both append to it; neither saw the other",
        ),
        AnomalyExample(
            "read skew",
            (
                _t(1, (r, "x", 0), (r, "y", 11)),
                _t(2, (r, "x", 0), (r, "y", 1), (w, "x", 10), (w, "y", 11)),
                _t(3, (w, "x", 0), (w, "y", 1)),
            ),
            "rw-register",
            "G-single",
            "read-committed",
            "snapshot-isolation",
            "T0 reads x before T1's transfer writes it, and y after",
        ),
        AnomalyExample(
            "write skew",
            (
                _t(1, (r, "x", None), (r, "y", None), (w, "x", 1)),
                _t(2, (r, "x", None), (r, "y", None), (w, "y", 2)),
            ),
            "rw-register",
            "G2-item",
            "snapshot-isolation",
            "serializable",
            "both read x and y, then each writes one: neither saw the other's write",
        ),
        AnomalyExample(
            "read-only transaction anomaly",
            (
                _t(1, (r, "y", ()), (a, "y", 20)),
                _t(2, (r, "x", ()), (r, "y", ()), (a, "x", -11)),
                _t(3, (r, "x", ()), (r, "y", (20,))),
                _t(4, (r, "x", (-11,)), (r, "y", (20,))),
            ),
            "list-append",
            "G2-item",
            "snapshot-isolation",
            "serializable",
            "Fekete et al.: T2 (read-only) sees T0's deposit but not T1's withdrawal, which "
            "did not see the deposit",
        ),
        AnomalyExample(
            "stale read (real time)",
            (_t(1, (a, "x", 1), at=(0, 1)), _t(2, (r, "x", ()), at=(2, 3))),
            "list-append",
            "G-single-realtime",
            "serializable",
            "strict-serializable",
            "T1 begins after T0 committed its append, yet reads x without it",
        ),
    ]


# --------------------------------------------------------------------------------------------
# Checks of the checker, and its mutant table


def _catalogue_named(check: Any) -> Any:
    from dslib.mutants import Outcome

    wrong = []
    for e in anomaly_catalogue():
        r = check(list(e.history), workload=e.workload, level=e.forbidden_at)
        if r.ok is not False or e.name not in [a.name for a in r.anomalies]:
            wrong.append(e.title)
        elif (
            e.allowed_at
            and check(list(e.history), workload=e.workload, level=e.allowed_at).ok is not True
        ):
            wrong.append(e.title + " (allowed level)")
    smallest = min((len(e.history) for e in anomaly_catalogue() if e.title in wrong), default=None)
    return Outcome(not wrong, smallest, ", ".join(wrong))


def _stale_read_after_commit(check: Any) -> Any:
    from dslib.mutants import Outcome

    e = next(e for e in anomaly_catalogue() if e.title == "stale read (real time)")
    r = check(list(e.history), workload=e.workload, level="strict-serializable")
    return Outcome(r.ok is False, None if r.ok is False else len(e.history), repr(r))


def _growing_reads_ok(check: Any) -> Any:
    from dslib.mutants import Outcome

    history = generate_history(200, seed=3)  # serial, so every level allows it
    r = check(history, level="serializable")
    if r.ok is True:
        return Outcome(True, None, repr(r))
    n = next(n for n in range(1, len(history) + 1) if check(history[:n]).ok is not True)
    return Outcome(False, n, f"the first {n} transactions: {check(history[:n])!r}")


def _agrees_with_oracle(check: Any, histories: int = 60) -> Any:
    from dslib.mutants import Outcome

    wrong = []
    for seed in range(histories):
        h = generate_history(6, seed=seed, active_keys=2, ops_per_txn=3, stale_reads=0.3)
        for level, real_time in (("serializable", False), ("strict-serializable", True)):
            ok = check(h, level=level).ok
            serial = serializable_by_enumeration(h, real_time=real_time) is not None
            if ok is not None and ok != serial:
                wrong.append(seed)
            elif ok is None and not serial:
                wrong.append(seed)  # a violation it failed to prove
    return Outcome(not wrong, 6 if wrong else None, f"{len(wrong)} of {2 * histories} disagree")


CHECKS: dict[str, Any] = {
    "catalogue named": _catalogue_named,
    "stale read after commit": _stale_read_after_commit,
    "growing reads accepted": _growing_reads_ok,
    "agrees with brute force": _agrees_with_oracle,
}
"""The checks of the checker, by name: each takes a ``check_isolation``-like function.

- ``catalogue named``: each history of ``anomaly_catalogue()`` is a violation at the level
  that forbids it, with Adya's name, and allowed at the level that allows it;
- ``stale read after commit``: a read that misses a write completed before it began is a
  violation of strict serializability;
- ``growing reads accepted``: a serial history (reads of a list grow) is serializable;
- ``agrees with brute force``: on 60 small generated histories (30 % stale reads), the
  verdict at serializable and at strict serializable is the oracle's (``unknown`` counts as
  wrong where the oracle finds no order).
"""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "forget_real_time": ("stale read after commit", "agrees with brute force"),
    "drop_rw_edges": ("catalogue named", "agrees with brute force"),
    "first_read_order": ("growing reads accepted", "agrees with brute force"),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


def mutant_report() -> Any:
    """Run every check on ``check_isolation`` and on each of its mutants.

    Returns
    -------
    MutantReport
        ``dslib.mutants.mutant_table(report)`` is the table of the chapter; ``problems()``
        is empty when the correct checker passes and each mutant is caught.

    Examples
    --------
    >>> from dslib.mutants import mutant_table
    >>> report = mutant_report()
    >>> report.problems()
    []
    >>> print(mutant_table(report)[["mutant", "caught by"]].to_string(index=False))
              mutant                                                         caught by
     correct version                                         none: passes all 4 checks
       drop_rw_edges catalogue named, stale read after commit, agrees with brute force
    first_read_order  catalogue named, growing reads accepted, agrees with brute force
    forget_real_time catalogue named, stale read after commit, agrees with brute force
    """
    import functools

    from dslib.mutants import Mutant, run_mutants

    def broken(name: str) -> Callable[[], Callable[..., IsolationResult]]:
        return lambda: functools.partial(check_isolation, mutant=name)

    mutants: list[Mutant[Callable[..., IsolationResult]]] = [
        Mutant(name, MUTANTS[name], broken(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    return run_mutants(lambda: check_isolation, mutants, CHECKS)
