"""Chapter 13 (sharding): seven exercises.

- ``ch13.jump_hash``: jump consistent hash (Lamping and Veach 2014);
- ``ch13.rendezvous``: the preference list of rendezvous hashing;
- ``ch13.rebalance``: a balanced shard assignment that moves as few shards as possible;
- ``ch13.index_update``: the update rule of a global secondary index;
- ``ch13.hold_back``: running sequenced transactions in number order (Calvin);
- ``ch13.split_points``: where dynamic splitting cuts a range that grew too big;
- ``ch13.percolator_read``: what a Percolator reader does with a key's lock and columns.

Jump hash is a loop, and a small slip (forgetting that Python's ints do not
wrap around at 64 bits) makes it loop for ever; so answers to ``ch13.jump_hash``
run under a step limit, and a loop that runs away is reported instead of
hanging the check.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch13.rebalance").stages]
['examples', 'properties']
"""

from __future__ import annotations

import functools
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import FrameType
from typing import Any

import hypothesis.strategies as st

from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
    NotAttempted,
    Properties,
    Property,
    Stage,
    StageResult,
    call_answer,
)
from dslib.sharding.controller import minimal_moves, moves
from dslib.sharding.partitioning import Rendezvous, jump_hash, rendezvous_score, stable_hash

__all__ = ["BoundedFunctionAnswer", "RunawayLoop"]

_MASK64 = (1 << 64) - 1


# == a step limit for loops that run away ===========================================
class RunawayLoop(Exception):
    """The answer ran more than its step limit of lines: most likely a loop that never ends."""


def _bounded(fn: Callable[..., Any], limit: int) -> Callable[..., Any]:
    """``fn`` run under ``sys.settrace``, raising ``RunawayLoop`` after ``limit`` lines."""

    @functools.wraps(fn)
    def run(*args: Any) -> Any:
        count = 0

        def local(frame: FrameType, event: str, arg: Any) -> Any:
            nonlocal count
            if event == "line":
                count += 1
                if count > limit:
                    raise RunawayLoop(
                        f"your function ran more than {limit} lines for one call and was "
                        "stopped: a loop that does not end"
                    )
            return local

        def tracer(frame: FrameType, event: str, arg: Any) -> Any:
            return local  # every line of the answer and of what it calls counts

        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            return fn(*args)
        finally:
            sys.settrace(previous)

    return run


@dataclass(frozen=True)
class BoundedFunctionAnswer(FunctionAnswer):
    """A ``FunctionAnswer`` whose function runs under a step limit (``limit`` lines per call).

    >>> spec = BoundedFunctionAnswer("spin", ("n",), limit=100)
    >>> def spin(n):
    ...     while True:
    ...         n += 1
    >>> spec.prepare(spin)(0)
    Traceback (most recent call last):
    ...
    dslib.exercises.ch13.RunawayLoop: your function ran more than 100 lines for one call and \
was stopped: a loop that does not end
    """

    limit: int = 20_000

    def prepare(self, answer: Any) -> Callable[..., Any]:
        """Check the function as ``FunctionAnswer`` does, then wrap it in the step limit."""
        return _bounded(super().prepare(answer), self.limit)


# == ch13.jump_hash ================================================================================
def _variant(
    key: int,
    n: int,
    *,
    mask: bool = True,
    intdiv: bool = False,
    shift: int = 33,
    plus_one: bool = True,
    give_j: bool = False,
    steps: int = 10_000,
) -> int | None:
    """The algorithm with one slip, to recognise a wrong answer (None if it runs away)."""
    b, j = -1, 0
    for _ in range(steps):
        if j >= n:
            return j if give_j else b
        b = j
        key = key * 2862933555777941757 + 1
        if mask:
            key &= _MASK64
        step = b + 1 if plus_one else b
        if intdiv:
            j = step * ((1 << 31) // ((key >> shift) + 1))
        else:
            try:
                j = int(step * (float(1 << 31) / float((key >> shift) + 1)))
            except OverflowError:
                return None
    return None


def _jump_hint(key: int, n: int, got: Any) -> str | None:
    right = jump_hash(key, n)
    if got == right:
        return None
    if not isinstance(got, int) or isinstance(got, bool):
        return f"Return the bucket as an int, not {type(got).__name__}."
    if got >= n:
        if got == _variant(key, n, give_j=True):
            return (
                "You returned j, the first jump at or past num_buckets. The answer is b, the "
                "last bucket the key jumped to below num_buckets."
            )
        return f"The bucket must be in 0..num_buckets-1 = 0..{n - 1}; {got} is not."
    if got == _variant(key, n, intdiv=True):
        return (
            "Integer division: (1 << 31) // ((key >> 33) + 1) truncates before multiplying by "
            "b + 1. Divide as floating point, as the paper does: "
            "j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))."
        )
    if got == _variant(key, n, shift=32):
        return "Shift by 33, not 32: the 31 high bits of the 64-bit state, plus one."
    if got == _variant(key, n, mask=False):
        return _NO_MASK
    return None


_NO_MASK = (
    "Python ints never wrap around: without a mask, key grows without bound (and soon no "
    "float can hold it). Keep the generator's state to 64 bits, as uint64 arithmetic in C "
    "would: key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF."
)


def _jump_diagnose(m: Mismatch) -> str | None:
    key, n = m.example.args
    if m.problem == "raised":
        if isinstance(m.error, OverflowError):
            return _NO_MASK
        if isinstance(m.error, RunawayLoop):
            if _variant(key, n, plus_one=False, steps=200) is None:
                return (
                    "The loop never ends. Two slips do that: multiplying by b instead of b + 1 "
                    "(from b = 0, j stays 0 for ever), or not keeping key to 64 bits (key grows "
                    "without bound and j stays 0): use & 0xFFFFFFFFFFFFFFFF."
                )
            return "The loop never ends: j must grow past num_buckets."
        return None
    if m.problem == "type":
        return f"Return the bucket as an int, not {type(m.got).__name__}."
    return _jump_hint(key, n, m.got)


def _jump_examples() -> list[Example]:
    cases = [(1, 1), (0, 10), (3, 10), (7, 10), (42, 57), (0xDEAD10CC, 666), (256, 1024)]
    cases += [(_MASK64, 1000), (stable_hash("user42"), 1000), (2**63 + 12345, 7)]
    return [Example((k, n), jump_hash(k, n)) for k, n in cases]


_KEYS = st.integers(min_value=0, max_value=_MASK64)


def _jump_range(answer: Any, case: tuple[int, int]) -> Failure | None:
    key, n = case
    got = call_answer(answer, key, n)
    if isinstance(got, int) and not isinstance(got, bool) and 0 <= got < n:
        return None
    return Failure(
        f"jump_hash({key}, {n}) returned {got!r}, which is not a bucket in 0..{n - 1}",
        _jump_hint(key, n, got),
    )


def _jump_consistent(answer: Any, case: tuple[int, int]) -> Failure | None:
    key, n = case
    a = call_answer(answer, key, n)
    b = call_answer(answer, key, n + 1)
    if b in (a, n):
        return None
    return Failure(
        f"jump_hash({key}, {n}) = {a!r} but jump_hash({key}, {n + 1}) = {b!r}: adding bucket "
        f"{n} may only move the key to the new bucket {n}, never between old buckets",
        _jump_hint(key, n, a) or _jump_hint(key, n + 1, b),
    )


def _jump_definition(answer: Any, case: tuple[int, int]) -> Failure | None:
    key, n = case
    got = call_answer(answer, key, n)
    right = jump_hash(key, n)
    if got == right:
        return None
    return Failure(
        f"jump_hash({key}, {n}) returned {got!r}; the algorithm gives {right}",
        _jump_hint(key, n, got),
    )


def _jump_on_error(case: Any, exc: BaseException) -> str | None:
    if isinstance(exc, OverflowError):
        return _NO_MASK
    if isinstance(exc, RunawayLoop):
        return (
            "A loop that never ends: multiply by b + 1 (not b), and keep key to 64 bits "
            "(& 0xFFFFFFFFFFFFFFFF)."
        )
    return None


JUMP_STATEMENT = """\
Write jump_hash(key, num_buckets): jump consistent hash (Lamping and Veach 2014), the bucket
in 0..num_buckets-1 of a 64-bit key.

Follow the key as buckets are added one by one: it stays in its bucket b until it "jumps"
to a new bucket j. A 64-bit linear congruential generator seeded by the key draws the
jumps. Start with b = -1 and j = 0, and while j < num_buckets:

    b = j
    key = key * 2862933555777941757 + 1, kept to 64 bits (as uint64 in C)
    j = (b + 1) * (2**31 / ((key >> 33) + 1)), computed in floating point, truncated to int

then return b. key is an int in [0, 2**64); num_buckets is an int >= 1. Python's ints do not
wrap around: mask with & 0xFFFFFFFFFFFFFFFF.

The check runs examples (among them values other implementations publish), then three
hypothesis properties: the bucket is in range; adding a bucket moves a key only to the new
bucket (that is what "consistent" means); and the answer agrees with the algorithm on random
64-bit keys. Answers run under a step limit, so a loop that never ends is reported."""

JUMP_HASH = add_exercise(
    id="ch13.jump_hash",
    answered_by=("jump_hash",),
    title="Jump consistent hash",
    statement=JUMP_STATEMENT,
    answer=BoundedFunctionAnswer("jump_hash", ("key", "num_buckets")),
    stages=(
        Examples(
            "examples",
            _jump_examples,
            diagnose=_jump_diagnose,
            expected_type=int,
            default_hint="Follow the three lines of the loop exactly; return b.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "a bucket in range",
                    st.tuples(_KEYS, st.integers(1, 10_000)),
                    _jump_range,
                    on_error=_jump_on_error,
                    max_examples=100,
                ),
                Property(
                    "consistent when a bucket is added",
                    st.tuples(_KEYS, st.integers(1, 1000)),
                    _jump_consistent,
                    lambda c: f"key={c[0]}, num_buckets={c[1]} then {c[1] + 1}",
                    on_error=_jump_on_error,
                    max_examples=100,
                ),
                Property(
                    "agrees with the algorithm",
                    st.tuples(_KEYS, st.integers(1, 1 << 20)),
                    _jump_definition,
                    on_error=_jump_on_error,
                    max_examples=150,
                ),
            ],
        ),
    ),
    hints=(
        "key = (key * 2862933555777941757 + 1) & 0xFFFFFFFFFFFFFFFF",
        "j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))",
    ),
)


# == ch13.rendezvous ===============================================================================
def _rdv_reference(key: str, nodes: Sequence[str], replicas: int) -> list[str]:
    return list(Rendezvous(list(nodes)).preference_list(key, replicas))


def _rdv_call(args: tuple[Any, ...]) -> str:
    return f"rendezvous({args[0]!r}, {args[1]!r}, {args[2]!r})"


def _rdv_examples() -> list[Example]:
    cases = [
        ("user42", ["a", "b", "c"], 1),
        ("user42", ["a", "b", "c"], 3),
        ("cart:7", ["n1", "n2", "n3", "n4", "n5"], 2),
        ("cart:7", ["n5", "n4", "n3", "n2", "n1"], 2),
        ("k", ["solo"], 1),
        ("photo/1.jpg", ["east", "west", "north", "south"], 3),
    ]
    out = [Example(c, _rdv_reference(*c)) for c in cases]
    out += [
        Example(("k", ["a", "b"], 0), _raises(ValueError)),
        Example(("k", ["a", "b"], 3), _raises(ValueError)),
    ]
    return out


def _raises(error: type[BaseException]) -> Any:
    from dslib.exercises.stages import Raises

    return Raises(error)


def _ranked(key: str, nodes: Sequence[str]) -> list[str]:
    return sorted(nodes, key=lambda n: (-rendezvous_score(n, key), n))


_RDV_CASES = (("user42", ("a", "b", "c", "d")), ("cart:7", ("n1", "n2", "n3", "n4", "n5")))

# Usual mistakes, recognised by behaviour over several calls (one wrong list can be explained
# by more than one mistake: the list without its best node can also be the list of swapped
# scores).
_RDV_MISTAKES = (
    Mistake(
        "skips the best node",
        lambda f: all(
            f(key, list(nodes), r) == _ranked(key, nodes)[1 : r + 1]
            for key, nodes in _RDV_CASES
            for r in (1, 2)
        ),
        "Your list leaves out the best node: it starts at the second-highest score. The "
        "preference list is the first replicas nodes of the ranking, highest score first: "
        "ranked[:replicas], not ranked[1:replicas + 1].",
    ),
)


def _rdv_hint(key: str, nodes: list[str], replicas: int, got: Any) -> str | None:
    right = _rdv_reference(key, nodes, replicas)
    if got == right:
        return None
    if isinstance(got, tuple) and list(got) == right:
        return "Return a list, not a tuple."
    if isinstance(got, str):
        return "Return a list of node names, even for one replica: [name], not name."
    if not isinstance(got, list):
        return f"Return a list of node names, not a {type(got).__name__}."
    if got and all(isinstance(x, int) for x in got):
        return "Return the nodes' names, not their scores."
    if len(got) != replicas:
        return f"Return exactly replicas = {replicas} nodes (you returned {len(got)})."
    ascending = sorted(nodes, key=lambda n: (rendezvous_score(n, key), n))[:replicas]
    if got == ascending:
        return "The highest score wins: sort by score in decreasing order (reverse=True)."
    if got == sorted(nodes)[:replicas]:
        return (
            "You ranked the nodes by name. Score each node with rendezvous_score(node, key) "
            "(a different hash of the key for each node) and rank by score, highest first."
        )
    if got == list(nodes)[:replicas]:
        return (
            "You kept the given order; rank the nodes by rendezvous_score(node, key), "
            "highest first."
        )
    by_swapped = sorted(nodes, key=lambda n: (-rendezvous_score(key, n), n))[:replicas]
    if got == by_swapped:
        return "The arguments are rendezvous_score(node, key): the node first, then the key."
    return None


def _rdv_diagnose(m: Mismatch) -> str | None:
    key, nodes, replicas = m.example.args
    if m.problem == "mutated":
        return "Do not sort nodes in place (nodes.sort()): use sorted(nodes, ...), a new list."
    if m.problem == "no-raise":
        return (
            f"replicas = {replicas} is not in 1..len(nodes) = 1..{len(nodes)}: raise ValueError "
            "(there are not that many distinct nodes to hold the replicas)."
        )
    if m.problem in ("raised", "type"):
        return None if m.problem == "raised" else _rdv_hint(key, nodes, replicas, m.got)
    return _rdv_hint(key, nodes, replicas, m.got)


_NODE_NAMES = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6),
    min_size=1,
    max_size=8,
    unique=True,
)


@st.composite
def _rdv_cases(draw: Any) -> tuple[str, list[str], int]:
    nodes = draw(_NODE_NAMES)
    key = draw(st.text(min_size=0, max_size=10))
    replicas = draw(st.integers(1, len(nodes)))
    return key, nodes, replicas


def _rdv_definition(answer: Any, case: tuple[str, list[str], int]) -> Failure | None:
    key, nodes, replicas = case
    got = call_answer(answer, key, list(nodes), replicas)
    right = _rdv_reference(key, nodes, replicas)
    if got == right:
        return None
    return Failure(
        f"{_rdv_call(case)} returned {got!r}; expected {right!r}",
        _rdv_hint(key, nodes, replicas, got),
    )


def _rdv_disruption(answer: Any, case: tuple[str, list[str], int]) -> Failure | None:
    key, nodes, replicas = case
    if len(nodes) < 2:
        return None
    before = call_answer(answer, key, list(nodes), replicas)
    gone = before[0] if isinstance(before, list) and before else nodes[0]
    rest = [n for n in nodes if n != gone]
    r = min(replicas, len(rest))
    after = call_answer(answer, key, list(rest), r)
    if isinstance(before, list) and isinstance(after, list) and after[: r - 1] == before[1:r]:
        return None
    return Failure(
        f"with {nodes!r} your preference list for {key!r} is {before!r}; without {gone!r} it "
        f"is {after!r}: removing the first node should only let every other node move up one",
        _rdv_hint(key, nodes, replicas, before) or _rdv_hint(key, rest, r, after),
    )


RDV_STATEMENT = """\
Write rendezvous(key, nodes, replicas): the preference list of key under rendezvous (highest
random weight) hashing: the replicas nodes where the key's copies go, best first.

Every node scores every key: rendezvous_score(node, key) from dslib.sharding is a 64-bit
int, a different hash of the key for each node. Rank the nodes by score, highest first
(break a tie by the smaller node name; ties are practically impossible), and return the
first replicas of them as a list of node names. Do not change nodes. If replicas is not in
1..len(nodes), raise ValueError.

Why it is worth having: when a node leaves, only the keys whose list it was on change, and
each of them just moves the next node up; no other key moves.

The check runs examples, then two hypothesis properties on random keys and node names: the
answer agrees with the definition, and removing the first node of a list moves every other
node up by one."""

RENDEZVOUS = add_exercise(
    id="ch13.rendezvous",
    answered_by=("Rendezvous.preference_list",),
    title="A rendezvous lookup",
    statement=RDV_STATEMENT,
    answer=FunctionAnswer("rendezvous", ("key", "nodes", "replicas")),
    stages=(
        Examples(
            "examples",
            _rdv_examples,
            call_text=_rdv_call,
            diagnose=_rdv_diagnose,
            mistakes=_RDV_MISTAKES,
            default_hint="Rank: sorted(nodes, key=lambda n: (-rendezvous_score(n, key), n)); "
            "keep the first replicas.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _rdv_cases(),
                    _rdv_definition,
                    _rdv_call,
                    max_examples=120,
                ),
                Property(
                    "a node leaving moves the others up one",
                    _rdv_cases(),
                    _rdv_disruption,
                    _rdv_call,
                    max_examples=80,
                ),
            ],
        ),
    ),
    hints=(
        "Score each node: rendezvous_score(node, key).",
        "The highest score comes first: sort by minus the score.",
    ),
    imports="from dslib.sharding import rendezvous_score",
)


# == ch13.rebalance ================================================================================
def _rb_call(args: tuple[Any, ...]) -> str:
    assignment, groups = args
    shown = "[" + ", ".join(sorted(repr(g) for g in groups)) + "]"
    return f"rebalance({tuple(assignment)!r}, {shown})"


def _judge_rebalance(answer: Any, case: tuple[tuple[str | None, ...], list[str]]) -> Failure | None:
    """Judge one answer by what it must achieve (any balanced minimal answer is right)."""
    assignment, groups = case
    given_assignment, given_groups = tuple(assignment), list(groups)
    got = call_answer(answer, given_assignment, given_groups)
    call = _rb_call(case)
    if list(given_groups) != list(groups):
        return Failure(
            f"{call} changed its groups argument", "Do not change the arguments.", length=1
        )
    if not isinstance(got, (tuple, list)):
        return Failure(
            f"{call} returned {got!r}",
            "Return a tuple with the new group of each shard, as long as assignment.",
            length=1,
        )
    got = tuple(got)
    s, g = len(assignment), len(groups)
    if len(got) != s:
        return Failure(
            f"{call} returned {len(got)} entries for {s} shards: {got!r}",
            "Return one group per shard: a tuple as long as assignment.",
            length=1,
        )
    if not groups:
        if any(x is not None for x in got):
            return Failure(
                f"{call} returned {got!r}; with no groups every shard is unassigned",
                "With no group at all, every shard's group is None.",
                length=1,
            )
        return None
    stray = [(i, x) for i, x in enumerate(got) if x not in groups]
    if stray:
        i, x = stray[0]
        hint = (
            f"Shard {i} is assigned {x!r}, which is not one of the groups {sorted(groups)}. "
            "The shards of a group that left, and unassigned shards (None), must move to a "
            "group that is there."
        )
        return Failure(f"{call} returned {got!r}", hint, length=1)
    counts = Counter(got)
    q, r = divmod(s, g)
    loads = sorted((counts.get(x, 0) for x in groups), reverse=True)
    if loads != [q + 1] * r + [q] * (g - r):
        held = {x: counts.get(x, 0) for x in sorted(groups)}
        share = (
            f"each group holds exactly {q} shards"
            if r == 0
            else f"each group holds {q} or {q + 1} shards ({r} of them {q + 1})"
        )
        return Failure(
            f"{call} returned {got!r}: the groups hold {held} shards",
            f"Balance: with {s} shards and {g} groups, {share}.",
            length=1,
        )
    best = minimal_moves(assignment, groups)
    moved = moves(assignment, got)
    if moved > best:
        naive = tuple(sorted(groups)[i % g] for i in range(s))
        hint = (
            f"Balanced, but you moved {moved} shards and {best} suffice: every moved shard is "
            "data copied over the network. Let each group keep the shards it has, up to its "
            f"target; give the {r} targets of {q + 1} to the groups that hold the most shards "
            "now; move only the rest."
            if r
            else f"Balanced, but you moved {moved} shards and {best} suffice: let each group "
            f"keep up to {q} of the shards it has, and move only the rest."
        )
        if got == naive:
            rest = hint.split(": ", 1)[1]
            hint = (
                "Dealing the shards out in turn (shard i to group i mod G) is balanced but "
                f"moves {moved} shards where {best} suffice. {rest[0].upper()}{rest[1:]}"
            )
        return Failure(f"{call} returned {got!r}, which moves {moved} shards", hint, length=1)
    return None


class JudgedCases(Stage):
    """Fixed cases, each judged by what the answer must achieve rather than one exact value.

    >>> stage = JudgedCases("examples", [((None, None), ["g1"])], _judge_rebalance)
    >>> stage.run(lambda a, g: ("g1", "g1")).ok
    True
    """

    def __init__(
        self, name: str, cases: Sequence[Any], judge: Callable[[Any, Any], Failure | None]
    ) -> None:
        self.name = name
        self.cases = tuple(cases)
        self.judge = judge

    def run(self, answer: Any) -> StageResult:
        """Judge each case in order; stop at the first failure."""
        from dslib.exercises.stages import AnswerRaised

        for case in self.cases:
            try:
                failure = self.judge(answer, case)
            except AnswerRaised as raised:
                failure = Failure(f"{_rb_call(case)} raised {raised.text}", None, length=1)
            except NotAttempted:
                raise
            if failure is not None:
                return StageResult(self.name, False, "failed on an example", failure)
        return StageResult(self.name, True, f"{len(self.cases)} examples")


_RB_CASES: list[tuple[tuple[str | None, ...], list[str]]] = [
    ((None,) * 6, ["g1"]),
    (("g1",) * 6, ["g1", "g2"]),
    (("g1", "g1", "g1", "g2", "g2", "g2"), ["g1", "g2", "g3"]),
    (("g1", "g2", "g3", "g1", "g2", "g3", "g1"), ["g1", "g3"]),
    (("g1", "g1", "g1", "g1", "g2", "g2", "g3", "g3"), ["g1", "g2", "g3"]),
    (("g2", "g2", "g2", "g1", "g1", "g3", "g3", "g3", "g3", "g3"), ["g1", "g2", "g3", "g4"]),
    (("g1", "g2"), ["g1", "g2", "g3"]),
    (("g1", "g2", "g1"), []),
]


@st.composite
def _rb_cases(draw: Any) -> tuple[tuple[str | None, ...], list[str]]:
    names = ["g1", "g2", "g3", "g4", "g5"]
    shards = draw(st.integers(1, 12))
    assignment = tuple(
        draw(st.lists(st.sampled_from([None, *names]), min_size=shards, max_size=shards))
    )
    groups = draw(st.lists(st.sampled_from(names), min_size=1, max_size=5, unique=True))
    return assignment, groups


REBALANCE_STATEMENT = """\
Write rebalance(assignment, groups): the shard controller's new configuration after groups
join or leave.

- assignment is a tuple with the current group of each shard (shard i is assignment[i]), a
  name such as "g1", or None for a shard no group serves yet;
- groups is a list of the groups of the new configuration.

Return a tuple, as long as assignment, with the new group of each shard, such that:

1. every shard is assigned to one of groups (if groups is empty: every shard is None);
2. the load is balanced: with S shards and G groups, every group holds S // G or S // G + 1
   shards;
3. as few shards as possible change group (each moved shard is data to copy).

Do not change the arguments. Any assignment that meets all three is accepted (there may be
several); the check knows the fewest moves possible for each case. A shard of a group that
is no longer in groups, and an unassigned shard, must move."""

REBALANCE = add_exercise(
    id="ch13.rebalance",
    answered_by=("rebalance", "minimal_moves"),
    title="A shard-assignment rebalance",
    statement=REBALANCE_STATEMENT,
    answer=FunctionAnswer("rebalance", ("assignment", "groups")),
    stages=(
        JudgedCases("examples", _RB_CASES, _judge_rebalance),
        Properties(
            "properties",
            [
                Property(
                    "valid, balanced, minimal",
                    _rb_cases(),
                    _judge_rebalance,
                    _rb_call,
                    max_examples=200,
                )
            ],
        ),
    ),
    hints=(
        "Targets first: S // G each, plus one for S % G groups.",
        "Keep what each group already has, up to its target; move only the rest.",
    ),
)


# == ch13.index_update =============================================================================
_IU_ENTRIES = (("car1", 2, "blue"), ("car2", 1, "red"))


def _iu_reference(
    entries: tuple[tuple[str, int, str], ...], doc: str, version: int, term: str
) -> tuple[tuple[str, int, str], ...]:
    from dslib.sharding.indexes import apply_index_set

    return apply_index_set(entries, doc, version, term)


def _iu_examples() -> list[Example]:
    cases: list[tuple[tuple[tuple[str, int, str], ...], str, int, str]] = [
        ((), "car1", 1, "red"),
        (_IU_ENTRIES, "car3", 1, "green"),
        (_IU_ENTRIES, "car2", 2, "black"),
        (_IU_ENTRIES, "car1", 1, "red"),
        (_IU_ENTRIES, "car1", 2, "blue"),
        (_IU_ENTRIES, "car1", 5, "green"),
    ]
    return [Example(c, _iu_reference(*c)) for c in cases]


# Recognised by behaviour: an older update arriving late, and a newer one for a known document.
_IU_MISTAKES = (
    Mistake(
        "ignores the version",
        lambda f: f(_IU_ENTRIES, "car1", 1, "red") == (("car1", 1, "red"), ("car2", 1, "red")),
        "An older update that arrives late (version 1 after version 2: a resend, or a slow "
        "message) replaced the newer entry. Compare versions: replace a document's entry only "
        "if the update's version is higher than the one you hold.",
    ),
    Mistake(
        "never replaces",
        lambda f: f(_IU_ENTRIES, "car2", 2, "black") == _IU_ENTRIES,
        "A newer update (version 2 of car2, whose entry is at version 1) changed nothing: a "
        "document whose term changed stays listed under its old term for ever. Replace the "
        "entry when the update's version is higher.",
    ),
)


def _iu_call(args: tuple[Any, ...]) -> str:
    entries, doc, version, term = args
    return f"index_update({tuple(entries)!r}, {doc!r}, {version!r}, {term!r})"


@st.composite
def _iu_updates(draw: Any) -> list[tuple[str, int, str]]:
    docs = st.sampled_from(["car1", "car2", "car3"])
    terms = st.sampled_from(["red", "blue", "green"])
    raw = draw(st.lists(st.tuples(docs, st.integers(1, 4), terms), min_size=1, max_size=8))
    seen: dict[tuple[str, int], str] = {}
    for doc, version, term in raw:  # one term per (document, version), as the data shard gives
        seen.setdefault((doc, version), term)
    return [(doc, version, seen[(doc, version)]) for doc, version, _ in raw]


def _iu_any_order(answer: Any, updates: list[tuple[str, int, str]]) -> Failure | None:
    """Applied in any order, with repeats, the updates leave the newest version of each doc."""
    entries: tuple[tuple[str, int, str], ...] = ()
    for doc, version, term in updates:
        got = call_answer(answer, entries, doc, version, term)
        if not isinstance(got, tuple):
            return Failure(
                f"{_iu_call((entries, doc, version, term))} returned {got!r}",
                "Return a sorted tuple of (doc, version, term).",
            )
        entries = got
    newest: dict[str, tuple[int, str]] = {}
    for doc, version, term in updates:
        if doc not in newest or version > newest[doc][0]:
            newest[doc] = (version, term)
    want = tuple(sorted((d, v, t) for d, (v, t) in newest.items()))
    if entries == want:
        return None
    return Failure(
        f"the updates {updates!r}, applied in this order from no entries, left {entries!r}; "
        f"the newest version of each document is {want!r}",
        "Whatever the order of arrival, each document's entry must end at its highest version.",
    )


IU_STATEMENT = """\
Write index_update(entries, doc, version, term): what a shard of a global (term-partitioned)
secondary index holds after the message "at version, document doc has term term" arrives.

entries is a sorted tuple of (doc, version, term), one per document: the newest version of
each document this shard has heard of. The data shard numbers the writes of each document
1, 2, 3, ...; it resends each update until acknowledged, and the network may reorder
messages, so an update can arrive twice, or after a newer one.

Return the new sorted tuple: the document's entry is replaced (or added) only if version is
higher than the one held; otherwise entries is returned unchanged. Do not change the
arguments.

The check runs examples, then a hypothesis property: updates applied in any order, some
twice, leave each document at its newest version."""

INDEX_UPDATE = add_exercise(
    id="ch13.index_update",
    answered_by=("apply_index_set",),
    title="A global index's update rule",
    statement=IU_STATEMENT,
    answer=FunctionAnswer("index_update", ("entries", "doc", "version", "term")),
    stages=(
        Examples(
            "examples",
            _iu_examples,
            call_text=_iu_call,
            mistakes=_IU_MISTAKES,
            default_hint="Keep one entry per document: the one with the highest version.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "any order of arrival gives the newest versions",
                    _iu_updates(),
                    _iu_any_order,
                    lambda u: f"the updates {u!r}",
                    max_examples=60,
                )
            ],
        ),
    ),
    hints=(
        "Find the document's entry in entries, if any.",
        "Replace it only if the update's version is higher; return a new sorted tuple.",
    ),
)


# == ch13.hold_back ================================================================================
def _hb_reference(
    waiting: tuple[int, ...], next_seq: int, seq: int
) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    held = sorted({*waiting, seq})
    ready = []
    while held and held[0] == next_seq:
        ready.append(held.pop(0))
        next_seq += 1
    return tuple(ready), tuple(held), next_seq


def _hb_call(args: tuple[Any, ...]) -> str:
    waiting, next_seq, seq = args
    return f"hold_back({tuple(waiting)!r}, {next_seq!r}, {seq!r})"


def _hb_examples() -> list[Example]:
    cases = [((), 0, 0), ((), 0, 2), ((2,), 0, 1), ((1, 2), 0, 0), ((1, 3), 0, 0), ((5,), 3, 4)]
    return [Example(c, _hb_reference(*c)) for c in cases]


_HB_MISTAKES = (
    Mistake(
        "runs on arrival",
        lambda f: f((), 0, 2) == ((2,), (), 3),
        "You ran number 2 as soon as it arrived, while 0 and 1 had not: shards that run "
        "transactions in arrival order apply them in different orders. Hold back a number "
        "until every smaller one has run: run only seq == next_seq.",
    ),
    Mistake(
        "releases only one",
        lambda f: f((1, 2), 0, 0)[0] == (0,),
        "Number 0 arrived and you ran only it, though 1 and 2 were waiting for it. After "
        "running next_seq, the waiting numbers that now come next are ready too: keep going "
        "while the smallest waiting number is the next one.",
    ),
)


@st.composite
def _hb_arrivals(draw: Any) -> list[int]:
    n = draw(st.integers(1, 7))
    return draw(st.permutations(list(range(n))))


def _hb_any_order(answer: Any, arrivals: list[int]) -> Failure | None:
    waiting: tuple[int, ...] = ()
    next_seq = 0
    ran: list[int] = []
    for seq in arrivals:
        got = call_answer(answer, waiting, next_seq, seq)
        if not (isinstance(got, tuple) and len(got) == 3):
            return Failure(
                f"{_hb_call((waiting, next_seq, seq))} returned {got!r}",
                "Return a tuple (ready, waiting, next_seq).",
            )
        ready, waiting, next_seq = got
        ran += list(ready)
    if ran == sorted(arrivals) and not waiting:
        return None
    return Failure(
        f"numbers arriving in the order {arrivals!r} ran in the order {ran!r} (left waiting: "
        f"{tuple(waiting)!r})",
        "Whatever the arrival order, every number must run once, in increasing order.",
    )


HB_STATEMENT = """\
Write hold_back(waiting, next_seq, seq): what a shard of a Calvin-style store does when the
transaction numbered seq arrives from the sequencer.

The shard must run the transactions in number order 0, 1, 2, ..., but the network reorders
them. waiting is a sorted tuple of the numbers that arrived early and wait; next_seq is the
number the shard runs next. Return (ready, waiting, next_seq): ready, the tuple of numbers
that can run now, in the order to run them; the new sorted waiting tuple; the new next_seq.
Do not change the arguments.

The check runs examples, then a hypothesis property: whatever the arrival order, every number
runs once, in increasing order."""

HOLD_BACK = add_exercise(
    id="ch13.hold_back",
    answered_by=("OrderedShard.on_message",),
    title="Running transactions in sequence order",
    statement=HB_STATEMENT,
    answer=FunctionAnswer("hold_back", ("waiting", "next_seq", "seq")),
    stages=(
        Examples(
            "examples",
            _hb_examples,
            call_text=_hb_call,
            mistakes=_HB_MISTAKES,
            default_hint="Add seq to waiting; then, while the smallest waiting number is "
            "next_seq, move it to ready and add one to next_seq.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "any arrival order runs in number order",
                    _hb_arrivals(),
                    _hb_any_order,
                    lambda a: f"arrivals {a!r}",
                    max_examples=60,
                )
            ],
        ),
    ),
    hints=(
        "Put seq among the waiting numbers.",
        "Release numbers from the front while they are consecutive from next_seq.",
    ),
)


# == ch13.split_points =============================================================================
def _sp_reference(keys: list[int], max_keys: int) -> list[int]:
    from dslib.sharding.strategies import split_points

    return split_points(keys, max_keys)


def _sp_call(args: tuple[Any, ...]) -> str:
    keys, max_keys = args
    return f"split_points({list(keys)!r}, {max_keys!r})"


_SP_TEN = list(range(1, 11))


def _sp_examples() -> list[Example]:
    cases = [
        ([], 2),
        ([5], 1),
        ([1, 2, 3], 3),
        ([1, 2, 3, 4], 3),
        (_SP_TEN, 3),
        ([10, 20, 30, 40, 50, 60, 70, 80], 1),
        ([2, 3, 5, 7, 11, 13, 17], 2),
    ]
    return [Example(c, _sp_reference(*c)) for c in cases]


_SP_MISTAKES = (
    Mistake(
        "splits only once",
        lambda f: f(list(_SP_TEN), 3) == [6],
        "You split the range once, at its median 6, and stopped; but each half still holds 5 "
        "keys, more than max_keys = 3. Split each half again, recursively, until every range "
        "holds at most max_keys keys.",
    ),
    Mistake(
        "splits a full range",
        lambda f: f([1, 2, 3], 3) == [2],
        "A range of exactly max_keys keys is not too big: split only when it holds more than "
        "max_keys (len(keys) > max_keys), not when it holds max_keys.",
    ),
)


@st.composite
def _sp_cases(draw: Any) -> tuple[list[int], int]:
    keys = sorted(draw(st.sets(st.integers(0, 1000), max_size=40)))
    return keys, draw(st.integers(1, 8))


def _sp_judge(answer: Any, case: tuple[list[int], int]) -> Failure | None:
    keys, max_keys = case
    got = call_answer(answer, list(keys), max_keys)
    right = _sp_reference(keys, max_keys)
    if got == right:
        return None
    if isinstance(got, list) and got == sorted(set(got)) and set(got) <= set(keys):
        bounds = [None, *got, None]
        sizes = [
            sum(1 for k in keys if (lo is None or k >= lo) and (hi is None or k < hi))
            for lo, hi in pairwise(bounds)
        ]
        if max(sizes) > max_keys:
            return Failure(
                f"{_sp_call(case)} returned {got!r}: a range still holds {max(sizes)} keys",
                "Every range must end with at most max_keys keys: split again while too big.",
            )
    return Failure(
        f"{_sp_call(case)} returned {got!r}; expected {right!r}",
        "Split at keys[len(keys) // 2] (it opens the upper half), then split each half "
        "the same way.",
    )


SP_STATEMENT = """\
Write split_points(keys, max_keys): where dynamic splitting (Bigtable's tablets, HBase's
regions) cuts a range of keys that has grown too big.

keys is a sorted list of distinct ints: the keys of one range. If it holds more than max_keys
keys, the range splits at its median key, keys[len(keys) // 2], which becomes the first key of
the upper half; then each half splits the same way while it holds more than max_keys keys.
Return the sorted list of the keys at which the range was cut ([] if it is small enough).
Do not change the arguments.

Example: split_points([1, 2, ..., 10], 3) is [3, 6, 8]: the ranges [1, 2], [3, 4, 5],
[6, 7], [8, 9, 10].

The check runs examples, then a hypothesis property against the definition."""

SPLIT_POINTS = add_exercise(
    id="ch13.split_points",
    answered_by=("split_points",),
    title="Dynamic splitting",
    statement=SP_STATEMENT,
    answer=FunctionAnswer("split_points", ("keys", "max_keys")),
    stages=(
        Examples(
            "examples",
            _sp_examples,
            call_text=_sp_call,
            mistakes=_SP_MISTAKES,
            default_hint="Split at keys[len(keys) // 2], then each half the same way, until "
            "no range holds more than max_keys keys.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _sp_cases(),
                    _sp_judge,
                    _sp_call,
                    max_examples=80,
                )
            ],
        ),
    ),
    hints=(
        "If len(keys) <= max_keys, there is nothing to split.",
        "Otherwise: the lower half's points, the median key, the upper half's points.",
    ),
)


# == ch13.percolator_read ==========================================================================
def _pr_reference(
    row: dict[str, Any], start_ts: int, primary_row: dict[str, Any] | None, expired: bool
) -> tuple[Any, ...]:
    from dslib.sharding.percolator import read_rule

    return read_rule(row, start_ts, primary_row, expired)


def _pr_call(args: tuple[Any, ...]) -> str:
    row, start_ts, primary_row, expired = args
    return f"percolator_read({row!r}, {start_ts!r}, {primary_row!r}, {expired!r})"


def _pr_row(data: dict[int, Any], lock: tuple[int, str] | None, write: dict[int, int]) -> Any:
    return {"data": dict(data), "lock": lock, "write": dict(write)}


# Account "b" holds 50, committed at 4 (written at 3); a transaction that started at 6 has
# locked it (its primary is "a") and written 70; a rolled-back one left nothing at 2.
_PR_B = _pr_row({3: 50, 6: 70}, (6, "a"), {4: 3})
_PR_B_FREE = _pr_row({3: 50, 6: 70}, None, {4: 3})
_PR_A_COMMITTED = _pr_row({1: 10, 6: 30}, None, {2: 1, 9: 6})
_PR_A_LOCKED = _pr_row({1: 10, 6: 30}, (6, "a"), {2: 1})
_PR_A_ROLLED_BACK = _pr_row({1: 10}, None, {2: 1})


def _pr_examples() -> list[Example]:
    cases: list[tuple[Any, ...]] = [
        (_pr_row({}, None, {}), 5, None, False),  # never written
        (_PR_B_FREE, 5, None, False),  # the commit at 4 is in the snapshot
        (_PR_B_FREE, 3, None, False),  # ... but not in one at 3
        (_PR_B, 5, None, False),  # the lock at 6 is above the snapshot
        (_PR_B, 8, None, False),  # a pending lock below the snapshot: wait
        (_PR_B, 10, _PR_A_COMMITTED, True),  # stale; the primary committed at 9
        (_PR_B, 10, _PR_A_LOCKED, True),  # stale; the primary is still locked
        (_PR_B, 10, _PR_A_ROLLED_BACK, True),  # stale; rolled back already
        (_PR_A_LOCKED, 7, _PR_A_LOCKED, True),  # the primary's own stale lock
        (_pr_row({3: 50, 6: 70}, None, {4: 3, 9: 6}), 8, None, False),  # commit 9 is later
        (_pr_row({3: 50, 6: 70}, None, {4: 3, 9: 6}), 9, None, False),
    ]
    return [Example(c, _pr_reference(*c)) for c in cases]


_PR_MISTAKES = (
    Mistake(
        "ignores locks",
        lambda f: f(_PR_B, 8, None, False) == ("value", 50),
        "A lock at or below your start_ts is a transaction that may still commit with a "
        "commit timestamp below your snapshot: returning the older value would mix snapshots "
        "(read skew). Return ('wait',) while the lock is not stale.",
    ),
    Mistake(
        "waits on a later lock",
        lambda f: f(_PR_B, 5, None, False) == ("wait",),
        "The lock on b was taken at 6, after your start_ts 5; its commit timestamp will be "
        "larger still, so it can never be in your snapshot. Only locks at or below start_ts "
        "matter: read the value.",
    ),
    Mistake(
        "rolls back without the primary",
        lambda f: f(_PR_B, 10, _PR_A_COMMITTED, True) == ("roll-back",),
        "You rolled back a stale lock whose primary had already committed (a's write column "
        "holds 9 -> 6): the transaction is committed, and erasing its write on b breaks "
        "atomicity. Look in primary_row['write'] for a record whose start timestamp is the "
        "lock's: if there is one, roll forward at its commit timestamp.",
    ),
    Mistake(
        "reads the data column",
        lambda f: f(_PR_B_FREE, 8, None, False) == ("value", 70),
        "You returned the newest data at or below start_ts, but data holds uncommitted and "
        "rolled-back writes too. Only the write column says what committed: take its latest "
        "commit timestamp at or below start_ts, and return data[write[commit_ts]].",
    ),
)


@st.composite
def _pr_cases(draw: Any) -> tuple[Any, ...]:
    data: dict[int, Any] = {}
    write: dict[int, int] = {}
    ts = 1
    for _ in range(draw(st.integers(0, 3))):
        start = ts + draw(st.integers(0, 2))
        commit = start + draw(st.integers(1, 3))
        data[start] = draw(st.integers(0, 99))
        if draw(st.booleans()):
            write[commit] = start
        ts = commit + 1
    lock = None
    primary_row = None
    if draw(st.booleans()):
        lock_ts = ts + draw(st.integers(0, 2))
        data[lock_ts] = draw(st.integers(0, 99))
        lock = (lock_ts, "p")
        fate = draw(st.sampled_from(["committed", "locked", "rolled-back"]))
        p_write = {lock_ts + 2: lock_ts} if fate == "committed" else {}
        p_lock = (lock_ts, "p") if fate == "locked" else None
        primary_row = _pr_row({lock_ts: 0}, p_lock, p_write)
    start_ts = draw(st.integers(0, ts + 4))
    return (_pr_row(data, lock, write), start_ts, primary_row, draw(st.booleans()))


def _pr_judge(answer: Any, case: tuple[Any, ...]) -> Failure | None:
    got = call_answer(answer, *case)
    right = _pr_reference(*case)
    if got == right:
        return None
    return Failure(
        f"{_pr_call(case)} returned {got!r}; expected {right!r}",
        "Locks at or below start_ts first (wait, or ask the primary if stale); then the "
        "latest commit record at or below start_ts.",
    )


PR_STATEMENT = """\
Write percolator_read(row, start_ts, primary_row, expired): what a Percolator reader at
snapshot start_ts does with one key's row.

row is a dict with three columns: row["data"] maps a start timestamp to the value a
transaction wrote then (committed or not); row["lock"] is None or (lock_ts, primary_key), the
pending lock of the transaction that started at lock_ts; row["write"] maps a commit timestamp
to the start timestamp of the data it made visible. expired says whether the lock is stale
(its client is taken as crashed). primary_row is the row of the lock's primary key (the same
dict as row when the lock is the primary's own), or None when there is no lock.

Return one of:
- ("value", v): the value of the latest commit at or below start_ts (v = None if none);
- ("wait",): back off and read again;
- ("roll-forward", commit_ts): the lock's transaction committed at commit_ts; write its
  commit record here;
- ("roll-back",): the lock's transaction did not commit; erase its lock (and, for a
  secondary, first the primary's lock if it is still there).

Do not change the arguments. The check runs examples, then a hypothesis property against the
library's rule (dslib.sharding.percolator.read_rule, which you may read after)."""

PERCOLATOR_READ = add_exercise(
    id="ch13.percolator_read",
    answered_by=("read_rule",),
    title="What a Percolator reader does",
    statement=PR_STATEMENT,
    answer=FunctionAnswer("percolator_read", ("row", "start_ts", "primary_row", "expired")),
    stages=(
        Examples(
            "examples",
            _pr_examples,
            call_text=_pr_call,
            mistakes=_PR_MISTAKES,
            default_hint="First the lock: if it is at or below start_ts, wait unless stale; "
            "if stale, roll forward if primary_row['write'] has a record with the lock's "
            "start timestamp, else roll back. Otherwise the latest write record at or below "
            "start_ts names the data.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the reader's rule",
                    _pr_cases(),
                    _pr_judge,
                    _pr_call,
                    max_examples=50,
                )
            ],
        ),
    ),
    hints=(
        "Only a lock at or below start_ts can hide a commit below your snapshot.",
        "A stale lock is settled by the primary: committed there means committed everywhere.",
    ),
)
