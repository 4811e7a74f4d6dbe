"""Chapter 8 (databases): a deadlock check, the snapshot read rule, naming an anomaly.

- ``ch08.deadlock``: find a cycle in a wait-for graph (two-phase locking's deadlock
  detection). Its last stage plugs the answer into the store of
  ``dslib.databases.transactions`` at the serializable level and runs contention workloads:
  a deadlock the answer misses leaves transactions waiting forever; a "cycle" that is not one
  aborts a transaction for nothing.
- ``ch08.snapshot_read``: which version a transaction with snapshot timestamp ``s`` reads
  (snapshot isolation's read rule).
- ``ch08.name_cycle``: the name, in Adya's terms, of the anomaly a dependency cycle shows
  (G0, G1c, G-single, G2-item).

The references are the library's own rules (``dslib.databases.concurrency.find_deadlock``
and ``snapshot_read``) and, for the names, the rule the isolation checker of
``dslib.consistency.isolation`` applies (the tests check that they agree on the catalogue).

References
----------
.. [1] P. Bernstein, V. Hadzilacos, N. Goodman, "Concurrency Control and Recovery in
   Database Systems", 1987: section 3.4 (deadlocks, the waits-for graph).
.. [2] H. Berenson et al., "A Critique of ANSI SQL Isolation Levels", SIGMOD 1995:
   section 4.2 (snapshot isolation: reads from the snapshot of the start timestamp).
.. [3] A. Adya, "Weak Consistency", PhD thesis, MIT, 1999: chapter 3 (the direct
   serialization graph), chapter 4 (G0, G1c, G2-item, G2) and G-single (one antidependency).

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch08.deadlock").stages]
['examples', 'properties', 'store']
>>> print(get_exercise("ch08.name_cycle").stub)
def name_cycle(cycle):
    raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import hypothesis.strategies as st

from dslib.core import stable_repr
from dslib.databases.concurrency import ConcurrencyControl, find_deadlock, snapshot_read
from dslib.databases.transactions import random_programs, run_transactions
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    AnswerRaised,
    Failure,
    Mistake,
    Properties,
    Property,
    Raised,
    Stage,
    StageResult,
    call_answer,
    format_call,
    recognise,
)

__all__ = [
    "DEADLOCK",
    "DEADLOCK_MISTAKES",
    "NAME_CYCLE",
    "NAME_MISTAKES",
    "SNAPSHOT_MISTAKES",
    "SNAPSHOT_READ",
    "adya_name",
]

Judge = Callable[[Any, tuple[Any, ...]], Failure | None]


def _show(value: Any) -> str:
    """A value as the reader would write it, sets and dicts sorted: ``{'t1': {'t2'}}``.

    >>> _show({"t2": {"t3", "t1"}, "t1": set()})
    "{'t1': set(), 't2': {'t1', 't3'}}"
    """
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(map(_show, value))) + "}" if value else "set()"
    if isinstance(value, dict):
        items = sorted((_show(k), _show(v)) for k, v in value.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(map(_show, value)) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(map(_show, value))
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return stable_repr(value)


class _Cases(Stage):
    """Fixed cases, each judged; stop at the first that fails."""

    def __init__(self, name: str, cases: Callable[[], list[tuple[Any, ...]]], judge: Judge) -> None:
        self.name = name
        self.cases = cases
        self.judge = judge

    def run(self, answer: Any) -> StageResult:
        cases = self.cases()
        for args in cases:
            failure = self.judge(answer, args)
            if failure is not None:
                return StageResult(self.name, False, "failed on an example", failure)
        return StageResult(self.name, True, f"{len(cases)} examples")


def _judge(
    name: str,
    params: tuple[str, ...],
    correct: Callable[[tuple[Any, ...], Any], str | None],
    hint: Callable[[tuple[Any, ...], Any], str | None],
    mistakes: Sequence[Mistake] = (),
) -> Judge:
    """A judge: call the answer; ``correct(args, got)`` says what is wrong (None: right).

    The hint of a failure is that of the first of ``mistakes`` the answer is recognised to
    make, by its behaviour over several calls (``dslib.exercises.stages.Mistake``); only an
    answer that makes none of them gets ``hint(args, got)``, read off the one wrong value.
    """

    def judge(answer: Any, args: tuple[Any, ...]) -> Failure | None:
        call = format_call(name, args, params, _show)
        try:
            got = call_answer(answer, *args)
        except AnswerRaised as raised:
            text, got = f"{call} raised {raised.text}", raised.exc
        else:
            wrong = correct(args, got)
            if wrong is None:
                return None
            text = f"{call} returned {_show(got)}: {wrong}"
        mistake = recognise(answer, mistakes)
        advice = mistake.hint if mistake is not None else hint(args, got)
        return Failure(text, advice, call, length=1)

    return judge


def _property(name: str, strategy: Any, judge: Judge, n: int = 200) -> Property:
    def check(answer: Any, case: tuple[Any, ...]) -> Failure | None:
        return judge(answer, case)

    return Property(name, strategy, check, max_examples=n)


# == ch08.deadlock ==============================================================================
def _is_cycle(graph: Mapping[str, Any], cycle: Any) -> str | None:
    """What is wrong with ``cycle`` as a cycle of ``graph`` (None: it is one)."""
    if not isinstance(cycle, (list, tuple)) or not cycle:
        return "return None, or a non-empty list of transactions"
    if len(set(cycle)) != len(cycle):
        return "a transaction appears twice; list each transaction of the cycle once"
    for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
        if b not in graph.get(a, ()):
            return f"{a!r} does not wait for {b!r}, so this is not a cycle"
    return None


def _deadlock_correct(args: tuple[Any, ...], got: Any) -> str | None:
    (graph,) = args
    want = find_deadlock(graph)
    if want is None:
        return None if got is None else "there is no cycle here: expected None"
    if got is None:
        return f"there is a deadlock, for example {want}"
    return _is_cycle(graph, got)


def _deadlock_hint(args: tuple[Any, ...], got: Any) -> str | None:
    """What is true of this graph (for an answer that makes none of the usual mistakes)."""
    (graph,) = args
    if isinstance(got, BaseException):
        return (
            "waits_for maps each waiting transaction to the set of transactions it waits for; "
            "a transaction that waits for nobody may be missing from it."
        )
    want = find_deadlock(graph)
    if want is not None and got is None:
        return f"Here {' -> '.join(want)} -> {want[0]} is a cycle: each waits for the next."
    if want is None:
        return (
            "There is no cycle here: every chain of waits ends at a transaction that waits for "
            "nobody, which will finish and release its locks."
        )
    return "Return the transactions of one cycle in order, each waiting for the next."


def _finds(f: Callable[..., Any], graph: dict[str, set[str]]) -> bool:
    """Does ``f`` return a real cycle of ``graph``."""
    got = f(graph)
    return not isinstance(got, Raised) and _is_cycle(graph, got) is None


_PAIR = {"t1": {"t2"}, "t2": {"t1"}}
_TRIANGLE = {"t1": {"t2"}, "t2": {"t3"}, "t3": {"t1"}}
_SECOND_HOLDER = {"t1": {"t2", "t3"}, "t2": set(), "t3": {"t1"}}
_WAITING = {"t1": {"t2"}, "t2": {"t3"}, "t3": set()}

DEADLOCK_MISTAKES = (
    Mistake(
        "only pairs",
        lambda f: _finds(f, _PAIR) and f(_TRIANGLE) is None,
        "Your answer finds two transactions waiting for each other but misses a longer "
        "cycle (t1 -> t2 -> t3 -> t1): search paths of any length, with a depth-first search "
        "that meets a transaction already on its path.",
    ),
    Mistake(
        "first holder only",
        lambda f: _finds(f, _TRIANGLE) and f(_SECOND_HOLDER) is None,
        "Your answer follows one edge out of each transaction. A transaction waiting for a "
        "shared lock waits for every holder of it: follow every edge, not only the first.",
    ),
    Mistake(
        "waiting is deadlock",
        lambda f: f(_WAITING) is not None and not isinstance(f(_WAITING), Raised),
        "Waiting is not deadlock: t1 waits for t2, which waits for t3, which waits for nobody "
        "and will finish. Only a cycle (each transaction waiting for the next, the last for "
        "the first) can never resolve.",
    ),
    Mistake(
        "missing keys",
        lambda f: (
            isinstance(f({"t1": {"t2"}}), Raised) and isinstance(f({"t1": {"t2"}}).error, KeyError)
        ),
        "A transaction that waits for nobody may be missing from waits_for: use "
        "waits_for.get(t, ()) for its successors.",
    ),
)
"""The usual mistakes of ``ch08.deadlock``, recognised by behaviour."""

DEADLOCK_JUDGE = _judge(
    "find_deadlock", ("waits_for",), _deadlock_correct, _deadlock_hint, DEADLOCK_MISTAKES
)


def _g(**edges: str) -> dict[str, set[str]]:
    return {t: set(ws.split()) if ws else set() for t, ws in edges.items()}


def _deadlock_cases() -> list[tuple[Any, ...]]:
    return [
        (_g(t1="t2", t2=""),),
        (_g(t1="t2", t2="t1"),),
        (_g(t1="t2", t2="t3", t3="t1"),),
        (_g(t1="t2 t3", t3="t1"),),
        (_g(t1="t2", t2="t3"),),
        (_g(t1="t2 t3", t2="t3", t4="t1"),),
        (_g(t1="t2", t2="t3", t3="t4", t4="t2"),),
        ({},),
    ]


_TXNS = ["t1", "t2", "t3", "t4", "t5"]
_GRAPHS = st.dictionaries(
    st.sampled_from(_TXNS), st.frozensets(st.sampled_from(_TXNS), max_size=3), max_size=5
).map(lambda g: ({t: {w for w in ws if w != t} for t, ws in g.items()},))


class _DeadlockControl(ConcurrencyControl):
    """The store's concurrency control with the reader's deadlock check; keeps the first wrong
    answer."""

    answer: ClassVar[Any] = None
    first_wrong: ClassVar[list[str]] = []

    @staticmethod
    def deadlock_rule(waits_for: Mapping[str, Any]) -> Any:
        control = _DeadlockControl
        graph = {t: set(ws) for t, ws in waits_for.items()}
        got = call_answer(control.answer, graph)
        wrong = _deadlock_correct((graph,), got)
        if wrong is not None:
            if not control.first_wrong:
                call = format_call("find_deadlock", (graph,), ("waits_for",), _show)
                control.first_wrong.append(f"{call} returned {_show(got)}: {wrong}")
            return find_deadlock(graph)  # go on with the right answer
        return got


class _StoreStage(Stage):
    """Contention workloads at the serializable level with the reader's deadlock check."""

    name = "store"
    SEEDS = 10

    def run(self, answer: Any) -> StageResult:
        _DeadlockControl.answer = answer
        _DeadlockControl.first_wrong = []
        for seed in range(self.SEEDS):
            programs = random_programs(seed, clients=4, txns=4, keys=("x", "y", "z"))
            try:
                run_transactions(programs, "serializable", seed=seed, control=_DeadlockControl)
            except Exception as exc:  # the answer raised inside the server
                cause = exc.__cause__ if exc.__cause__ is not None else exc
                if isinstance(cause, AnswerRaised):
                    cause = cause.exc
                message = f"in the store (seed {seed}) your function raised {cause!r}"
                return StageResult(self.name, False, "raised in the store", Failure(message, None))
            if _DeadlockControl.first_wrong:
                message = (
                    f"in the store (seed {seed}), the first call that was wrong: "
                    f"{_DeadlockControl.first_wrong[0]}"
                )
                return StageResult(
                    self.name,
                    False,
                    "a wrong answer inside the store",
                    Failure(
                        message, "Fix this call first: " + _DeadlockControl.first_wrong[0], length=1
                    ),
                )
        return StageResult(self.name, True, f"{self.SEEDS} contention runs, every deadlock found")


DEADLOCK_STATEMENT = """\
Write find_deadlock(waits_for): a cycle of the wait-for graph, or None if there is none.

- waits_for: a dict mapping each waiting transaction (a string) to the set of transactions
  it waits for (the holders of the locks in its way). A transaction that waits for nobody
  may be missing from the dict.

Return a list [t1, t2, ..., tk] in which each transaction waits for the next and the last
waits for the first (any cycle will do), or None if no transaction is deadlocked.

The check runs examples, compares with a brute-force search on random graphs, and then runs
your function inside the book's store at the serializable level (two-phase locking) on
contention workloads."""

DEADLOCK = add_exercise(
    id="ch08.deadlock",
    title="Find a deadlock in the wait-for graph",
    statement=DEADLOCK_STATEMENT,
    answer=FunctionAnswer("find_deadlock", ("waits_for",)),
    stages=(
        _Cases("examples", _deadlock_cases, DEADLOCK_JUDGE),
        Properties(
            "properties",
            [_property("finds a cycle exactly when there is one", _GRAPHS, DEADLOCK_JUDGE, 300)],
        ),
        _StoreStage(),
    ),
    answered_by=("find_deadlock", "ConcurrencyControl.deadlock_rule"),
    hints=(
        "A depth-first search from each transaction, keeping the path: an edge to a "
        "transaction already on the path closes a cycle (the path from it to the end).",
    ),
)


# == ch08.snapshot_read =========================================================================
def _snapshot_correct(args: tuple[Any, ...], got: Any) -> str | None:
    want = snapshot_read(*args)
    return None if got == want else f"expected {_show(want)}"


def _visible(versions: Sequence[tuple[Any, Any]], ts: int) -> list[tuple[int, Any]]:
    return sorted((c, v) for c, v in versions if c is not None and c <= ts)


def _snapshot_hint(args: tuple[Any, ...], got: Any) -> str | None:
    """What the snapshot holds here (for an answer that makes none of the usual mistakes)."""
    versions, ts = args
    visible = _visible(versions, ts)
    if not visible:
        return f"No version here is committed at or before {ts}: the key did not exist yet."
    shown = ", ".join(f"{v!r} (committed at {c})" for c, v in visible)
    return f"The snapshot at {ts} holds {shown}; the newest of them is read."


SNAPSHOT_MISTAKES = (
    Mistake(
        "compares None",
        lambda f: (
            isinstance(f([(1, "a"), (None, "u")], 3), Raised)
            and isinstance(f([(1, "a"), (None, "u")], 3).error, TypeError)
        ),
        "A version whose commit_ts is None is another transaction's uncommitted write: it is "
        "in nobody's snapshot; skip it (and do not compare None with a number).",
    ),
    Mistake(
        "reads uncommitted",
        lambda f: f([(1, "a"), (None, "u")], 3) == "u",
        "Your answer read an uncommitted write (commit_ts None) of another transaction: a "
        "snapshot holds committed versions only.",
    ),
    Mistake(
        "ignores the snapshot",
        lambda f: f([(1, "a"), (5, "b")], 3) == "b" and f([(4, "b")], 2) == "b",
        "Your answer reads versions committed after the snapshot (commit_ts > snapshot_ts): "
        "the snapshot was taken before they existed.",
    ),
    Mistake(
        "strictly before",
        lambda f: f([(1, "a"), (3, "b")], 3) == "a" and f([(3, "b")], 3) is None,
        "A version committed at snapshot_ts itself is in the snapshot: compare with <=, not <.",
    ),
    Mistake(
        "list order",
        lambda f: f([(2, "b"), (1, "a")], 4) != f([(1, "a"), (2, "b")], 4),
        "Your answer depends on the order of the list: read the newest visible version, the "
        "one with the largest commit_ts, wherever it is in the list.",
    ),
    Mistake(
        "oldest visible",
        lambda f: f([(1, "a"), (2, "b")], 3) == "a" and f([(2, "b"), (1, "a")], 3) == "a",
        "Among the visible versions, read the newest (largest commit_ts), not the oldest.",
    ),
)
"""The usual mistakes of ``ch08.snapshot_read``, recognised by behaviour."""

SNAPSHOT_JUDGE = _judge(
    "snapshot_read",
    ("versions", "snapshot_ts"),
    _snapshot_correct,
    _snapshot_hint,
    SNAPSHOT_MISTAKES,
)


def _snapshot_cases() -> list[tuple[Any, ...]]:
    return [
        ([(1, "a")], 3),
        ([(1, "a"), (2, "b")], 3),
        ([(1, "a"), (5, "b")], 3),
        ([], 3),
        ([(4, "b")], 3),
        ([(1, "a"), (3, "b")], 3),
        ([(1, "a"), (None, "mine?")], 3),
        ([(3, "c"), (1, "a"), (2, "b")], 4),
        ([(2, "b"), (6, "d"), (1, "a")], 4),
    ]


def _versions_strategy() -> Any:
    return st.tuples(
        st.lists(
            st.tuples(st.one_of(st.none(), st.integers(0, 8)), st.sampled_from("abcdefgh")),
            max_size=5,
            unique_by=lambda v: v[0] if v[0] is not None else -1,
        ),
        st.integers(0, 8),
    )


SNAPSHOT_STATEMENT = """\
Write snapshot_read(versions, snapshot_ts): the value a snapshot-isolation transaction whose
snapshot was taken at snapshot_ts reads for a key.

- versions: a list of (commit_ts, value) pairs, in no particular order; commit_ts is an int,
  or None for another transaction's write that has not committed;
- snapshot_ts: an int.

The snapshot holds exactly the versions committed at or before snapshot_ts; the transaction
reads the newest of those. Return its value, or None if there is no such version (the key
did not exist yet)."""

SNAPSHOT_READ = add_exercise(
    id="ch08.snapshot_read",
    title="Which version does a snapshot read?",
    statement=SNAPSHOT_STATEMENT,
    answer=FunctionAnswer("snapshot_read", ("versions", "snapshot_ts")),
    stages=(
        _Cases("examples", _snapshot_cases, SNAPSHOT_JUDGE),
        Properties(
            "properties",
            [
                _property(
                    "agrees with the rule on random versions",
                    _versions_strategy(),
                    SNAPSHOT_JUDGE,
                    300,
                )
            ],
        ),
    ),
    answered_by=("snapshot_read",),
    hints=(
        "Keep the versions with commit_ts not None and <= snapshot_ts; take the max by commit_ts.",
    ),
)


# == ch08.name_cycle ============================================================================
def adya_name(cycle: Sequence[tuple[Any, Any, str]]) -> str:
    """Adya's name for a cycle of the dependency graph (edges ``(Ti, Tj, kind)``).

    Only write-write edges: G0 (dirty write). Write-write and write-read edges: G1c
    (circular information flow). Exactly one read-write antidependency: G-single. Two or
    more: G2-item. The isolation checker names its cycles by the same rule.

    >>> adya_name([("T1", "T2", "rw"), ("T2", "T1", "wr")])
    'G-single'
    """
    kinds = [kind for _, _, kind in cycle]
    rw = kinds.count("rw")
    if rw >= 2:
        return "G2-item"
    if rw == 1:
        return "G-single"
    return "G1c" if "wr" in kinds else "G0"


NAMES = ("G0", "G1c", "G-single", "G2-item")


def _name_correct(args: tuple[Any, ...], got: Any) -> str | None:
    want = adya_name(*args)
    if got not in NAMES:
        return f"return one of {list(NAMES)}"
    return None if got == want else f"expected {want!r}"


def _name_hint(args: tuple[Any, ...], got: Any) -> str | None:
    """What this cycle has (for an answer that makes none of the usual mistakes)."""
    (cycle,) = args
    if isinstance(got, BaseException):
        return "Each edge is a tuple (Ti, Tj, kind); kind is 'ww', 'wr' or 'rw'."
    kinds = [k for _, _, k in cycle]
    if got not in NAMES:
        return f"Answer with Adya's names: {', '.join(NAMES)}."
    return (
        f"This cycle has {kinds.count('rw')} rw, {kinds.count('wr')} wr and "
        f"{kinds.count('ww')} ww edges: count the rw edges first, then look for a wr edge."
    )


_RW_WR = [("T1", "T2", "rw"), ("T2", "T1", "wr")]
_RW_RW = [("T1", "T2", "rw"), ("T2", "T1", "rw")]
_WW_WW = [("T1", "T2", "ww"), ("T2", "T1", "ww")]
_WR_WW = [("T1", "T2", "wr"), ("T2", "T1", "ww")]

NAME_MISTAKES = (
    Mistake(
        "any rw is G2-item",
        lambda f: f(_RW_WR) == "G2-item" and f(_RW_RW) == "G2-item" and f(_WW_WW) != "G2-item",
        "Your answer calls every cycle with an rw edge G2-item. A cycle with exactly one rw "
        "edge is G-single (read skew, lost update); G2-item needs two or more.",
    ),
    Mistake(
        "ww-only is G1c",
        lambda f: f(_WW_WW) == "G1c" and f(_WR_WW) == "G1c" and f(_RW_WR) == "G-single",
        "Only ww edges: transactions overwrote each other's writes in a cycle: G0 (dirty "
        "write), not G1c.",
    ),
    Mistake(
        "ignores wr",
        lambda f: f(_WR_WW) == "G0" and f(_WW_WW) == "G0" and f(_RW_WR) == "G-single",
        "A wr edge makes it G1c: one transaction read what another wrote, in a cycle of ww "
        "and wr edges.",
    ),
)
"""The usual mistakes of ``ch08.name_cycle``, recognised by behaviour."""

NAME_JUDGE = _judge("name_cycle", ("cycle",), _name_correct, _name_hint, NAME_MISTAKES)


def _name_cases() -> list[tuple[Any, ...]]:
    return [
        ([("T1", "T2", "ww"), ("T2", "T1", "ww")],),
        ([("T1", "T2", "wr"), ("T2", "T1", "ww")],),
        ([("T1", "T2", "rw"), ("T2", "T1", "wr")],),
        ([("T1", "T2", "rw"), ("T2", "T1", "rw")],),
        ([("T1", "T2", "rw"), ("T2", "T1", "ww")],),
        ([("T1", "T2", "wr"), ("T2", "T3", "rw"), ("T3", "T1", "rw")],),
        ([("T1", "T2", "wr"), ("T2", "T3", "wr"), ("T3", "T1", "wr")],),
        ([("T1", "T2", "ww"), ("T2", "T3", "ww"), ("T3", "T1", "ww")],),
    ]


def _cycles_strategy() -> Any:
    return st.lists(st.sampled_from(["ww", "wr", "rw"]), min_size=2, max_size=5).map(
        lambda kinds: (
            [(f"T{i + 1}", f"T{(i + 1) % len(kinds) + 1}", k) for i, k in enumerate(kinds)],
        )
    )


NAME_STATEMENT = """\
Write name_cycle(cycle): Adya's name for the anomaly a cycle of the dependency graph shows.

- cycle: a list of edges (Ti, Tj, kind), each kind 'ww' (Tj overwrote Ti's write), 'wr' (Tj
  read Ti's write) or 'rw' (Ti read a version that Tj overwrote: an antidependency); the
  edges form a cycle.

Return one of 'G0', 'G1c', 'G-single', 'G2-item' (Adya 1999, chapter 4)."""

NAME_CYCLE = add_exercise(
    id="ch08.name_cycle",
    title="Name the anomaly of a dependency cycle",
    statement=NAME_STATEMENT,
    answer=FunctionAnswer("name_cycle", ("cycle",)),
    stages=(
        _Cases("examples", _name_cases, NAME_JUDGE),
        Properties(
            "properties",
            [_property("agrees with Adya's rule on random cycles", _cycles_strategy(), NAME_JUDGE)],
        ),
    ),
    answered_by=("adya_name",),
    hints=("Count the rw edges: 0, 1, or 2 and more decide most of the answer.",),
)
