"""Chapter 3 (how do we know it works?): the checking toolbox, by hand.

- ``ch03.shortest_trace``: the model checker's search: a shortest path of actions from
  the initial state to a bad state, by breadth-first search (3.1);
- ``ch03.tm_agreement``: an invariant of two-phase commit that catches each of the
  specification's mutants earlier than consistency does (3.1);
- ``ch03.find_cti``: a counterexample to induction of a candidate invariant on a small
  explicit transition system (3.4).

``shortest_trace`` runs under a step limit (a search that forgets which states it has
seen loops for ever on a cycle, and is stopped with a hint). ``tm_agreement`` is checked
by the model checker itself: on correct ``TwoPhase(3)`` (every reachable state must
satisfy it) and on each of ``SPEC_MUTANTS`` (each must be caught, in fewer steps than
``consistent`` needs). ``find_cti`` answers are validated against the definition and
their existence compared with a brute-force search.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch03.tm_agreement").stages]
['examples', 'model checking']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import hypothesis.strategies as st

from dslib.check import check
from dslib.exercises.ch13 import BoundedFunctionAnswer, RunawayLoop
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    AnswerRaised,
    Example,
    Examples,
    Failure,
    Mismatch,
    Mistake,
    Properties,
    Property,
    Raised,
    Stage,
    StageResult,
    call_answer,
)
from dslib.small_systems.twophase import SPEC_MUTANTS, TwoPhase, TwoPhaseState, consistent

__all__ = ["Graph"]


# == ch03.shortest_trace ========================================================================
class Graph:
    """A small explicit state graph: ``successors(state)`` lists ``(action, next state)`` pairs.

    Examples
    --------
    >>> g = Graph({"a": [("go", "b")], "b": [("back", "a"), ("on", "c")]})
    >>> g.successors("b")
    [('back', 'a'), ('on', 'c')]
    >>> g.successors("c")
    []
    """

    def __init__(self, edges: dict[Hashable, list[tuple[str, Hashable]]]) -> None:
        self.edges = {s: list(out) for s, out in edges.items()}

    def successors(self, state: Hashable) -> list[tuple[str, Hashable]]:
        """The ``(action, next state)`` pairs leaving ``state``, in a fixed order."""
        return list(self.edges.get(state, []))

    def __repr__(self) -> str:
        return f"Graph({self.edges!r})"


def bfs_length(graph: Graph, initial: Hashable, bad: Callable[[Hashable], bool]) -> int | None:
    """The number of actions of a shortest path from ``initial`` to a bad state, or None.

    >>> bfs_length(Graph({0: [("a", 1)], 1: [("b", 2)]}), 0, lambda s: s == 2)
    2
    """
    seen, queue = {initial}, deque([(initial, 0)])
    while queue:
        state, depth = queue.popleft()
        if bad(state):
            return depth
        for _, nxt in graph.successors(state):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, depth + 1))
    return None


def path_problem(
    graph: Graph, initial: Hashable, bad: Callable[[Hashable], bool], path: Any
) -> str | None:
    """Why ``path`` (a list of actions) does not lead from ``initial`` to a bad state, or None."""
    if not isinstance(path, list):
        return f"it is a {type(path).__name__}, not a list of actions"
    state = initial
    for k, action in enumerate(path):
        nexts = [t for a, t in graph.successors(state) if a == action]
        if not nexts:
            return f"step {k + 1}: no action {action!r} leaves state {state!r}"
        state = nexts[0]
    if not bad(state):
        return f"it ends in state {state!r}, which is not bad"
    return None


class ShortestPath:
    """The expected answer of an example: any path of the shortest length compares equal."""

    def __init__(self, graph: Graph, initial: Hashable, bad: Callable[[Hashable], bool]) -> None:
        self.graph, self.initial, self.bad = graph, initial, bad
        self.length = bfs_length(graph, initial, bad)

    def __eq__(self, other: object) -> bool:
        return (
            path_problem(self.graph, self.initial, self.bad, other) is None
            and isinstance(other, list)
            and len(other) == self.length
        )

    def __hash__(self) -> int:
        return hash(self.length)

    def __repr__(self) -> str:
        return f"a path of {self.length} action{'s' if self.length != 1 else ''} to a bad state"


def _is(value: Hashable) -> Callable[[Hashable], bool]:
    def bad(state: Hashable) -> bool:
        return state == value

    bad.__name__ = f"is_{value}"
    return bad


# A long way round (a, b, c, d) and a short cut (e): depth-first search following the first
# action finds the long way; a cycle back to the start for a search without memory.
_DETOUR = Graph(
    {
        0: [("a", 1), ("e", 4)],
        1: [("b", 2), ("back", 0)],
        2: [("c", 3)],
        3: [("d", 4)],
    }
)
_CYCLE = Graph({0: [("a", 1)], 1: [("b", 0), ("c", 2)], 2: [("d", 1)]})


def _trace_examples() -> list[Example]:
    cases: list[tuple[Graph, Hashable, Callable[[Hashable], bool]]] = [
        (Graph({0: [("a", 1)], 1: [("b", 2)]}), 0, _is(2)),
        (_DETOUR, 0, _is(4)),
        (_CYCLE, 0, _is(2)),
        (_CYCLE, 0, _is(7)),
        (Graph({"s": [("x", "t")]}), "s", _is("s")),
        (Graph({0: [("a", 0)]}), 0, _is(1)),
    ]
    out = []
    for graph, initial, bad in cases:
        length = bfs_length(graph, initial, bad)
        want = None if length is None else ShortestPath(graph, initial, bad)
        out.append(Example((graph, initial, bad), want))
    return out


def _trace_call(args: tuple[Any, ...]) -> str:
    graph, initial, bad = args
    return f"shortest_trace({graph!r}, {initial!r}, {bad.__name__})"


_TRACE_MISTAKES = (
    Mistake(
        "depth first",
        lambda f: f(_DETOUR, 0, _is(4)) == ["a", "b", "c", "d"],
        "Your search found a path, but not a shortest one: it followed the first action as "
        "deep as it goes (depth first). Breadth first visits every state at distance 1, then "
        "2, ...: a FIFO queue (collections.deque, popleft) gives the shortest path.",
    ),
    Mistake(
        "no memory of seen states",
        lambda f: (
            isinstance(f(_CYCLE, 0, _is(7)), Raised)
            and isinstance(f(_CYCLE, 0, _is(7)).error, RunawayLoop)
        ),
        "Your search ran for ever on a graph with a cycle (0 -> 1 -> 0): remember the states "
        "you have already queued (a set) and never queue one twice; the search then ends when "
        "the queue is empty, and returns None.",
    ),
    Mistake(
        "ignores a bad initial state",
        lambda f: f(Graph({"s": [("x", "t")]}), "s", _is("s")) != [],
        "The initial state may itself be bad: then the shortest trace has no actions, [].",
    ),
)


def _trace_diagnose(m: Mismatch) -> str | None:
    graph, initial, bad = m.example.args
    if m.problem == "raised" and isinstance(m.error, RunawayLoop):
        return _TRACE_MISTAKES[1].hint
    if m.problem != "wrong":
        return None
    if m.example.expected is None:
        return "No bad state is reachable here: return None."
    if m.got is None:
        return "A bad state is reachable: return the list of actions that leads to it."
    problem = path_problem(graph, initial, bad, m.got)
    if problem is not None:
        return (
            f"Your path does not reach a bad state: {problem}. Keep, for each state, the path "
            "that reached it."
        )
    return None


@st.composite
def _graphs(draw: Any) -> tuple[Graph, int, Callable[[Hashable], bool]]:
    n = draw(st.integers(1, 7))
    edges: dict[Hashable, list[tuple[str, Hashable]]] = {}
    for s in range(n):
        targets = draw(st.lists(st.integers(0, n - 1), max_size=3))
        edges[s] = [(f"{s}>{t}", t) for t in targets]
    target = draw(st.integers(0, n))  # n: no such state
    return Graph(edges), 0, _is(target)


def _check_trace(
    answer: Any, case: tuple[Graph, int, Callable[[Hashable], bool]]
) -> Failure | None:
    graph, initial, bad = case
    got = call_answer(answer, graph, initial, bad)
    length = bfs_length(graph, initial, bad)
    call = _trace_call(case)
    if length is None:
        if got is None:
            return None
        return Failure(f"{call} returned {got!r}; no bad state is reachable", "Return None.")
    if got is None:
        return Failure(f"{call} returned None; a path of {length} actions exists", None)
    problem = path_problem(graph, initial, bad, got)
    if problem is not None:
        return Failure(f"{call} returned {got!r}: {problem}", None)
    if len(got) != length:
        return Failure(
            f"{call} returned {got!r} ({len(got)} actions); the shortest has {length}",
            _TRACE_MISTAKES[0].hint,
        )
    return None


TRACE_STATEMENT = """\
Write shortest_trace(graph, initial, bad): the model checker's search. Return a shortest
list of actions that leads from the initial state to a bad state, or None if no bad state
is reachable.

- graph.successors(state) is the list of (action, next_state) pairs that leave state (an
  action is a string; states are hashable);
- initial is the initial state; bad(state) says whether a state is bad;
- the path is the list of the actions taken, in order; if initial is itself bad, it is [];
- if several paths are equally short, return any of them;
- graphs may have cycles: your search must end. (It runs under a limit of lines; a search
  that never ends is stopped.)

The check runs examples, then a hypothesis property on random graphs of up to 7 states: your
path must be valid and as short as the shortest."""

SHORTEST_TRACE = add_exercise(
    id="ch03.shortest_trace",
    answered_by=(),
    title="The model checker's search",
    statement=TRACE_STATEMENT,
    answer=BoundedFunctionAnswer("shortest_trace", ("graph", "initial", "bad"), limit=20_000),
    stages=(
        Examples(
            "examples",
            _trace_examples,
            call_text=_trace_call,
            diagnose=_trace_diagnose,
            mistakes=_TRACE_MISTAKES,
            default_hint="Breadth first: a queue of (state, path) pairs and a set of seen states.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "valid and shortest",
                    _graphs(),
                    _check_trace,
                    lambda c: _trace_call(c),
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "collections.deque([(initial, [])]) and queue.popleft() visit states in order of depth.",
        "Check bad(state) when you take a state off the queue (the initial state too).",
    ),
)


# == ch03.tm_agreement ===========================================================================
_RMS = 3


def _consistent_lengths() -> dict[str, int]:
    out = {}
    for mutant in SPEC_MUTANTS:
        result = check(TwoPhase(_RMS, mutant=mutant), invariants=[consistent])
        assert result.counterexample is not None
        out[mutant] = len(result.counterexample)
    return out


def _state(rm: tuple[str, ...], tm: str, prepared: Sequence[str] = ()) -> TwoPhaseState:
    msgs: set[tuple[str, ...]] = {("Prepared", r) for r in prepared}
    if tm == "committed":
        msgs.add(("Commit",))
    if tm == "aborted":
        msgs.add(("Abort",))
    return TwoPhaseState(rm, tm, frozenset(prepared), frozenset(msgs))


def _agreement_examples() -> list[Example]:
    every = ("rm1", "rm2", "rm3")
    rows: list[tuple[TwoPhaseState, bool]] = [
        (_state(("working", "working", "working"), "init"), True),
        (_state(("prepared", "prepared", "prepared"), "committed", every), True),
        (_state(("committed", "prepared", "committed"), "committed", every), True),
        (_state(("prepared", "working", "working"), "committed", ("rm1",)), False),
        (_state(("aborted", "prepared", "working"), "aborted"), True),
        (_state(("committed", "prepared", "prepared"), "aborted", every), False),
        (_state(("aborted", "prepared", "prepared"), "committed", every), False),
        (_state(("committed", "working", "working"), "init"), False),
    ]
    return [Example((s,), want) for s, want in rows]


_AGREEMENT_MISTAKES = (
    Mistake(
        "consistency itself",
        lambda f: all(f(e.args[0]) == consistent(e.args[0]) for e in _agreement_examples()),
        "That is consistency itself (no RM committed while another aborted): it catches a bug "
        "only once an RM acts on a wrong decision. Say what the TM's decision implies about "
        "every RM: once the TM has committed, no RM is working or aborted; once it has "
        "aborted, no RM has committed.",
    ),
)


def _agreement_diagnose(m: Mismatch) -> str | None:
    if m.problem == "type" or (m.problem == "wrong" and not isinstance(m.got, bool)):
        return "Return True or False."
    if m.problem != "wrong":
        return None
    (s,) = m.example.args
    if s.tm_state == "committed" and m.got:
        return (
            "The TM has committed here, yet an RM is still working or has aborted: the RMs do "
            "not agree with its decision."
        )
    if s.tm_state == "aborted" and m.got:
        return "The TM has aborted here, yet an RM has committed."
    if s.tm_state == "init" and m.got:
        return "The TM has not decided yet, and an RM has committed: it cannot agree."
    return "This state is one of correct two-phase commit's reachable states: it must satisfy it."


class _CheckedByModelChecker(Stage):
    """Model-check ``TwoPhase(3)`` with the answer as the invariant, and each spec mutant."""

    name = "model checking"

    def run(self, answer: Any) -> StageResult:
        def invariant(state: TwoPhaseState) -> bool:
            return bool(call_answer(answer, state))

        invariant.__name__ = getattr(answer, "__name__", "your invariant")
        invariant.__doc__ = getattr(answer, "__doc__", None)
        try:
            correct = check(TwoPhase(_RMS), invariants=[invariant])
            if not correct.ok:
                assert correct.counterexample is not None
                final = correct.counterexample.final
                return StageResult(
                    self.name,
                    False,
                    "false in a reachable state of correct two-phase commit",
                    Failure(
                        f"your invariant is false in this reachable state of TwoPhase({_RMS}), "
                        f"reached in {len(correct.counterexample)} steps: {final!r}",
                        "An invariant must hold in every state that correct two-phase commit "
                        "can reach; yours is too strong in this one.",
                        correct.counterexample.to_frame().to_string(),
                        length=len(correct.counterexample),
                    ),
                )
            limits = _consistent_lengths()
            for mutant, what in SPEC_MUTANTS.items():
                result = check(TwoPhase(_RMS, mutant=mutant), invariants=[invariant])
                if result.ok:
                    return StageResult(
                        self.name,
                        False,
                        f"does not catch {mutant}",
                        Failure(
                            f"your invariant holds in every reachable state of the mutant "
                            f"{mutant} ({what})",
                            "Which state of that mutant shows the TM and an RM disagreeing? "
                            "Your invariant must be false there.",
                        ),
                    )
                assert result.counterexample is not None
                steps = len(result.counterexample)
                if steps >= limits[mutant]:
                    return StageResult(
                        self.name,
                        False,
                        f"catches {mutant} no earlier than consistency",
                        Failure(
                            f"the mutant {mutant} ({what}) breaks your invariant after "
                            f"{steps} steps; consistency already catches it after "
                            f"{limits[mutant]}",
                            _AGREEMENT_MISTAKES[0].hint,
                            length=steps,
                        ),
                    )
        except AnswerRaised as raised:
            return StageResult(
                self.name,
                False,
                "raised",
                Failure(f"your invariant raised {raised.text}", None),
            )
        return StageResult(
            self.name,
            True,
            f"holds on TwoPhase({_RMS}); catches every one of {len(SPEC_MUTANTS)} mutants early",
        )


AGREEMENT_STATEMENT = """\
Write agreement(state): an invariant of two-phase commit that says the resource managers
agree with the transaction manager's decision.

- state is a TwoPhaseState of dslib.small_systems.twophase (the specification of 3.1):
  state.rm_state is a tuple of each RM's state ("working", "prepared", "committed",
  "aborted"), state.tm_state is "init", "committed" or "aborted" (state.tm_prepared and
  state.msgs you may not need).
- Return True when the RMs agree with the TM: once the TM has committed, every RM is
  prepared or committed; once it has aborted, no RM has committed; while it is undecided,
  no RM has committed.

Consistency (no RM committed while another aborted) catches each of the specification's
mutants only once an RM acts on a wrong decision. Your invariant must catch each one
earlier. The check runs examples, then the model checker: your invariant must hold in every
reachable state of TwoPhase(3), and each mutant in SPEC_MUTANTS must break it in fewer
steps than it breaks consistency."""

TM_AGREEMENT = add_exercise(
    id="ch03.tm_agreement",
    answered_by=(),
    title="An invariant that catches the bug earlier",
    statement=AGREEMENT_STATEMENT,
    answer=FunctionAnswer("agreement", ("state",)),
    stages=(
        Examples(
            "examples",
            _agreement_examples,
            diagnose=_agreement_diagnose,
            mistakes=_AGREEMENT_MISTAKES,
            default_hint="Look at state.tm_state first, then at every RM's state.",
        ),
        _CheckedByModelChecker(),
    ),
    hints=(
        "all(rm in ('prepared', 'committed') for rm in state.rm_state) when the TM committed.",
        "'committed' not in state.rm_state when the TM has not committed.",
    ),
    imports="from dslib.small_systems.twophase import TwoPhaseState",
)


# == ch03.find_cti ================================================================================
class System:
    """A small explicit transition system: every state, the initial ones, and ``step``.

    >>> s = System(range(3), [0], {0: [1], 1: [0]})
    >>> s.step(1), s.step(2)
    ([0], [])
    """

    def __init__(
        self, states: Sequence[int], initial: Sequence[int], edges: dict[int, list[int]]
    ) -> None:
        self.states = list(states)
        self.initial = list(initial)
        self.edges = {s: list(t) for s, t in edges.items()}

    def step(self, state: int) -> list[int]:
        """The successors of ``state``."""
        return list(self.edges.get(state, []))

    def __repr__(self) -> str:
        return f"System(states={self.states!r}, initial={self.initial!r}, edges={self.edges!r})"


def _below(n: int) -> Callable[[int], bool]:
    def invariant(x: int) -> bool:
        return x < n

    invariant.__name__ = f"below_{n}"
    return invariant


def _even(x: int) -> bool:
    return x % 2 == 0


def _not_in(*values: int) -> Callable[[int], bool]:
    def invariant(x: int) -> bool:
        return x not in values

    invariant.__name__ = "not_" + "_".join(map(str, values))
    return invariant


def cti_problem(system: System, invariant: Callable[[int], bool], answer: Any) -> str | None:
    """Why ``answer`` is not a counterexample to induction ``(before, after)``, or None."""
    if not (isinstance(answer, tuple) and len(answer) == 2):
        return "it is not a pair (state before, state after)"
    before, after = answer
    if before not in system.states:
        return f"{before!r} is not a state of the system"
    if not invariant(before):
        return f"the state before, {before!r}, does not satisfy the invariant"
    if after not in system.step(before):
        return f"{after!r} is not a successor of {before!r}"
    if invariant(after):
        return f"the state after, {after!r}, satisfies the invariant"
    return None


def _some_cti(system: System, invariant: Callable[[int], bool]) -> tuple[int, int] | None:
    for s in system.states:
        if invariant(s):
            for t in system.step(s):
                if not invariant(t):
                    return (s, t)
    return None


class AnyCTI:
    """The expected answer of an example: any counterexample to induction compares equal."""

    def __init__(self, system: System, invariant: Callable[[int], bool]) -> None:
        self.system, self.invariant = system, invariant
        self.example = _some_cti(system, invariant)

    def __eq__(self, other: object) -> bool:
        return cti_problem(self.system, self.invariant, other) is None

    def __hash__(self) -> int:
        return hash(self.example)

    def __repr__(self) -> str:
        return f"a counterexample to induction, such as {self.example!r}"


# Reachable: 0 and 1 only. State 3 satisfies "below 4" and steps to 4: a CTI that a search of
# the reachable states never meets.
_HIDDEN = System(range(6), [0], {0: [1], 1: [0], 3: [4], 4: [5]})
_COUNTER = System(range(8), [0], {s: [(s + 2) % 8] for s in range(8)})
_RING = System(range(6), [0], {s: [(s + 1) % 6] for s in range(6)})


def _cti_examples() -> list[Example]:
    cases: list[tuple[System, Callable[[int], bool]]] = [
        (_COUNTER, _even),
        (_RING, _even),
        (_HIDDEN, _below(4)),
        (_HIDDEN, _below(2)),
        (_HIDDEN, _not_in(3, 4, 5)),
        (_RING, _not_in(2)),
    ]
    out = []
    for system, invariant in cases:
        want = None if _some_cti(system, invariant) is None else AnyCTI(system, invariant)
        out.append(Example((system, invariant), want))
    return out


def _cti_call(args: tuple[Any, ...]) -> str:
    system, invariant = args
    return f"find_cti({system!r}, {invariant.__name__})"


_CTI_MISTAKES = (
    Mistake(
        "searches the reachable states only",
        lambda f: f(_HIDDEN, _below(4)) is None and f(_RING, _not_in(2)) is not None,
        "You searched the reachable states only. Induction asks about EVERY state that "
        "satisfies the invariant, reachable or not (system.states): state 3 below is never "
        "reached, satisfies x < 4, and steps to 4.",
    ),
    Mistake(
        "a state that breaks the invariant",
        lambda f: f(_HIDDEN, _below(4)) == (4, 5),
        "A counterexample to induction starts in a state that SATISFIES the invariant and "
        "steps to one that does not; (4, 5) starts outside it.",
    ),
)


def _cti_diagnose(m: Mismatch) -> str | None:
    system, invariant = m.example.args
    if m.problem != "wrong":
        return None
    if m.example.expected is None:
        return (
            "This invariant is inductive: every state that satisfies it steps only to states "
            f"that satisfy it. Return None. (Yours: {cti_problem(system, invariant, m.got)}.)"
        )
    if m.got is None:
        return "A counterexample to induction exists: check every state in system.states."
    return f"Not a counterexample to induction: {cti_problem(system, invariant, m.got)}."


@st.composite
def _systems(draw: Any) -> tuple[System, Callable[[int], bool]]:
    n = draw(st.integers(1, 7))
    edges = {s: draw(st.lists(st.integers(0, n - 1), max_size=2)) for s in range(n)}
    bad = draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True))
    return System(range(n), [0], edges), _not_in(*sorted(bad))


def _check_cti(answer: Any, case: tuple[System, Callable[[int], bool]]) -> Failure | None:
    system, invariant = case
    got = call_answer(answer, system, invariant)
    exists = _some_cti(system, invariant) is not None
    call = f"find_cti({system!r}, {invariant.__name__})"
    if got is None:
        if not exists:
            return None
        return Failure(
            f"{call} returned None; {_some_cti(system, invariant)!r} is a counterexample to "
            "induction",
            "Check every state of system.states that satisfies the invariant.",
        )
    problem = cti_problem(system, invariant, got)
    if problem is None:
        return None
    return Failure(f"{call} returned {got!r}: {problem}", None)


CTI_STATEMENT = """\
Write find_cti(system, invariant): a counterexample to induction of a candidate invariant,
or None if the invariant is inductive (consecution holds).

- system.states is the list of every state of a small transition system (ints), whether
  reachable or not; system.initial its initial states; system.step(s) the list of the
  successors of s;
- invariant(s) is True or False;
- a counterexample to induction (CTI) is a pair (before, after): a state before that
  satisfies the invariant, and a successor after (in system.step(before)) that does not;
- return any CTI as a tuple (before, after), or None if there is none.

The check runs examples, then a hypothesis property on random systems of up to 7 states."""

FIND_CTI = add_exercise(
    id="ch03.find_cti",
    answered_by=(),
    title="A counterexample to induction",
    statement=CTI_STATEMENT,
    answer=FunctionAnswer("find_cti", ("system", "invariant")),
    stages=(
        Examples(
            "examples",
            _cti_examples,
            call_text=_cti_call,
            diagnose=_cti_diagnose,
            mistakes=_CTI_MISTAKES,
            default_hint="For each state s with invariant(s), look for a t in system.step(s) "
            "with not invariant(t).",
        ),
        Properties(
            "properties",
            [
                Property(
                    "valid, and None only when the invariant is inductive",
                    _systems(),
                    _check_cti,
                    lambda c: f"find_cti({c[0]!r}, {c[1].__name__})",
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "Induction does not care about reachability: loop over system.states.",
        "Return a tuple (before, after), not a list.",
    ),
)
