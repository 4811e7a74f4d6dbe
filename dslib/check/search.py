"""The search: visit every reachable state of a model and check properties on the way.

``check(model, invariants=..., goals=...)`` explores the states a model can
reach from its initial states, breadth first (the default, which finds the
*shortest* counterexample), depth first, or by random walks, and returns a
``CheckResult``: whether every property held, how many states were seen, why
the search stopped, and the counterexample when one failed.

Properties:

- an **invariant** ("always") must hold in every reachable state; the search
  stops at the first state where one fails;
- a **goal** ("sometimes") must hold in at least one reachable state; the
  result holds a *witness*, an execution that reaches it;
- an **eventually** property must be reached by every fair execution, and
  a **leads-to** property ``P ~> Q`` says that whenever ``P`` holds, ``Q``
  holds then or later (liveness; see ``dslib.check.liveness``). Liveness is a
  question about the whole state graph: a search cut by ``max_states``,
  ``max_depth``, a time limit or random walks cannot confirm it, and then
  ``ok`` is False and the summary says the property was not checked;
- a **constraint** is a TLA+ state ``CONSTRAINT``: a state where it is false
  is not part of the model (not counted, not checked, not expanded), which
  keeps an infinite model finite, and the counts match TLC's;
- a **boundary** is a limit of another kind: states where it is true are
  counted and checked, but not expanded. It is *not* a TLA+ ``CONSTRAINT``:
  with ``boundary=lambda s: not constraint(s)`` the states just past the
  limit are counted too (``constraint=`` drops them).

Memory. The search remembers a visited state by a 64-bit *fingerprint*, not by
the state itself: Python's ``hash`` of the state (or, with symmetry, the
orbit-invariant fingerprint of ``dslib.check.Symmetry``), in a dictionary from
fingerprint to the fingerprint of the state it was first reached from. Full
states are kept only in the frontier of the search. A counterexample is rebuilt
from the chain of parent fingerprints by re-running the model's actions from an
initial state and following, at each step, the successor with the next
fingerprint. Two different states share a fingerprint with probability about
``n**2 / 2**65`` among ``n`` states (less than 3e-8 for a million states, if
the hash behaves like a random function); a collision would hide one state. The
fingerprints depend on ``PYTHONHASHSEED`` (string hashes are salted), so they
are used only inside one run and never printed; every number the result prints
and every counterexample are the same under any hash seed, because actions are
explored in the order the model gives them.

Examples
--------
The die-hard puzzle: with a 3-gallon and a 5-gallon jug, measure 4 gallons.
Claim "the big jug never holds 4" and let the checker refute it:

>>> from dslib.small_systems.puzzles import WaterJugs
>>> result = check(WaterJugs(), invariants={"big != 4": lambda s: s.big != 4})
>>> result.ok, len(result.counterexample)
(False, 6)
>>> print(result.summary())
invariant 'big != 4' violated after 6 steps (bfs; 14 distinct states, 42 generated; depth 6)
"""

from __future__ import annotations

import builtins
import random
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from dslib.check.counterexample import Counterexample, Lasso, Step
from dslib.check.graph import state_graph
from dslib.check.liveness import _check_fairness, check_eventually, check_leads_to
from dslib.check.model import Model, ModelError, short_repr
from dslib.errors import HandlerError, ProtocolError

__all__ = [
    "STOP_REASONS",
    "CheckResult",
    "LeadsToSpec",
    "PropertySpec",
    "check",
    "leads_to_properties",
    "properties",
]

PropertySpec = (
    Callable[[Any], Any]
    | Mapping[str, Callable[[Any], Any]]
    | Sequence[Callable[[Any], Any] | tuple[str, Callable[[Any], Any]]]
    | None
)
"""Properties: one predicate, a dict name -> predicate, or a list of predicates or pairs."""

STOP_REASONS = ("exhausted", "bound", "violation", "time limit", "goals reached")
"""Why a search stops: every state seen; a bound cut it; a property failed; out of time;
every goal reached (and nothing else to check)."""

STRATEGIES = ("bfs", "dfs", "random")


def properties(
    spec: PropertySpec, what: str = "property"
) -> list[tuple[str, Callable[[Any], Any]]]:
    """Normalise a property specification into ``(name, predicate)`` pairs.

    A function is named by its ``__name__`` (a lambda becomes ``"invariant 1"``
    etc.); a dict gives the names; a list may mix functions and pairs.

    Examples
    --------
    >>> def positive(n):
    ...     return n > 0
    >>> [name for name, _ in properties([positive, lambda n: n < 9], "invariant")]
    ['positive', 'invariant 2']
    >>> properties({"small": lambda n: n < 9})[0][0]
    'small'
    >>> properties(3, "invariant")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: invariant 3 is not callable; give a function of a state, ...
    """
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        items: list[tuple[str, Any]] = [(str(k), v) for k, v in spec.items()]
    elif callable(spec):
        items = [("", spec)]
    elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)):
        items = []
        for p in spec:
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
                items.append(p)
            else:
                items.append(("", p))
    else:
        items = [("", spec)]
    out = []
    for i, (name, fn) in enumerate(items, 1):
        if not callable(fn):
            raise TypeError(
                f"{what} {fn!r} is not callable; give a function of a state, a dict name -> "
                "function, or a list of them"
            )
        if not name:
            name = getattr(fn, "__name__", "")
            if not name or name == "<lambda>":
                name = f"{what} {i}"
        out.append((name, fn))
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ValueError(f"two {what}s share a name: {names}; give them different names")
    return out


LeadsToSpec = (
    tuple[Callable[[Any], Any], Callable[[Any], Any]]
    | Mapping[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]
    | Sequence[Any]
    | None
)
"""Leads-to properties: a pair (P, Q), a dict name -> (P, Q), or a list of pairs or
triples (name, P, Q)."""


def leads_to_properties(spec: LeadsToSpec) -> list[tuple[str, Any, Callable[[Any], Any]]]:
    """Normalise a leads-to specification into ``(name, P, Q)`` triples.

    Examples
    --------
    >>> def p(n):
    ...     return n == 1
    >>> def q(n):
    ...     return n == 2
    >>> [name for name, _, _ in leads_to_properties([(p, q), ("mine", p, q)])]
    ['p ~> q', 'mine']
    >>> leads_to_properties({"x": p})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: leads-to 'x' must be a pair (P, Q) of functions of a state, got ...
    """
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        items: list[tuple[str | None, Any]] = [(str(k), v) for k, v in spec.items()]
    elif isinstance(spec, tuple) and len(spec) == 2 and all(callable(f) for f in spec):
        items = [(None, spec)]
    elif isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)):
        items = []
        for item in spec:
            if isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str):
                items.append((item[0], item[1:]))
            else:
                items.append((None, item))
    else:
        raise TypeError(
            f"leads_to={spec!r}: give a pair (P, Q), a dict name -> (P, Q), or a list of "
            "pairs or of triples (name, P, Q)"
        )
    out: list[tuple[str, Any, Callable[[Any], Any]]] = []
    for k, (name, pair) in enumerate(items, start=1):
        label = name if name is not None else f"leads-to {k}"
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(callable(f) for f in pair)):
            raise TypeError(
                f"leads-to {label!r} must be a pair (P, Q) of functions of a state, "
                f"got {short_repr(pair)}"
            )
        if name is None:
            names = [getattr(f, "__name__", "<lambda>") for f in pair]
            if "<lambda>" not in names:
                label = f"{names[0]} ~> {names[1]}"
        out.append((label, pair[0], pair[1]))
    return out


def _doc(fn: Callable[..., Any]) -> str:
    doc = getattr(fn, "__doc__", None)
    if not doc or getattr(fn, "__name__", "") == "<lambda>" or isinstance(fn, type):
        return ""
    first = doc.strip().splitlines()[0].strip()
    return first


@dataclass(eq=False)
class CheckResult:
    """What a check found.

    ``str(result)`` is a summary, then the counterexample (or lasso) as a
    table and the values in its last state; everything in it is deterministic.
    Timings are attributes only (``elapsed``, ``states_per_second``,
    ``stats()``), so that printed results stay the same from run to run.

    Attributes
    ----------
    ok : bool
        True when no invariant failed, every goal was reached, and every
        liveness property ("eventually", "leads-to") was checked and held.
        Safety holds only within the bounds, see ``stop_reason``; liveness
        is never taken as holding when a bound cut the search (see
        ``unchecked``).
    stop_reason : str
        ``"exhausted"`` (every reachable state was seen), ``"bound"``
        (``max_states``, ``max_depth`` or the random walks cut the search, so
        ``ok`` holds only for what was seen), ``"violation"``, ``"time limit"``
        or ``"goals reached"``.
    strategy : str
        ``"bfs"``, ``"dfs"`` or ``"random"``.
    distinct_states : int
        How many distinct states (orbits, with symmetry) were seen.
    states_generated : int
        How many successor states were computed, repeats included.
    depth : int
        The largest number of steps from an initial state to a state seen
        (with BFS: the depth of the last level reached).
    elapsed : float
        Seconds of wall time (not printed).
    property : str or None
        The name of the property that failed.
    kind : str or None
        ``"invariant"``, ``"goal"``, ``"deadlock"``, ``"eventually"`` or ``"leads-to"``.
    description : str
        The first line of the failed property's docstring, if any.
    counterexample : Counterexample or None
        The execution that ends in the bad state (with BFS, a shortest one).
    lasso : Lasso or None
        For a failed liveness property: the fair execution that never
        reaches it.
    witnesses : dict of str to Counterexample
        For each goal reached, an execution that reaches it (shortest, with BFS).
    goals_missed : tuple of str
        The goals never reached.
    unchecked : tuple of str
        The liveness properties not checked because the search did not see
        every reachable state (a bound, a time limit, random walks): their
        answer is unknown, and ``ok`` is False.
    model : Model
        The model checked.

    Examples
    --------
    >>> from dslib.small_systems.twophase import TwoPhase, consistent
    >>> r = check(TwoPhase(2, mutant="tm_commits_early"), invariants=[consistent])
    >>> r
    CheckResult(ok=False, invariant='consistent', distinct_states=52, stop_reason='violation')
    >>> r.kind, r.property, len(r.counterexample), r.complete
    ('invariant', 'consistent', 5, False)
    """

    ok: bool
    stop_reason: str
    strategy: str
    distinct_states: int
    states_generated: int
    depth: int
    elapsed: float
    model: Model[Any]
    property: str | None = None
    kind: str | None = None
    description: str = ""
    counterexample: Counterexample | None = None
    lasso: Lasso | None = None
    witnesses: dict[str, Counterexample] = field(default_factory=dict)
    goals_missed: tuple[str, ...] = ()
    bound: str = ""
    unchecked: tuple[str, ...] = ()

    # The field ``property`` hides the builtin in this class body, hence ``builtins.property``.
    @builtins.property
    def states_per_second(self) -> float:
        """Distinct states per second of wall time."""
        return self.distinct_states / self.elapsed if self.elapsed > 0 else float("inf")

    @builtins.property
    def complete(self) -> bool:
        """True when the search covered every reachable state (no bound, no time limit)."""
        return self.stop_reason == "exhausted"

    def stats(self) -> str:
        """A line with the counts and the speed (varies between runs: not for stored output)."""
        return (
            f"{self.distinct_states:,} distinct states, {self.states_generated:,} generated, "
            f"depth {self.depth}, {self.elapsed:.2f} s, {self.states_per_second:,.0f} states/s"
        )

    def _counts(self) -> str:
        return (
            f"{self.strategy}; {self.distinct_states:,} distinct states, "
            f"{self.states_generated:,} generated; depth {self.depth}"
        )

    def summary(self) -> str:
        """One line: the verdict, the counts and why the search stopped (deterministic)."""
        what = f"{self.kind} {self.property!r}" if self.property is not None else ""
        if self.description:
            what += f" ({self.description})"
        if self.kind in ("invariant", "deadlock") and self.counterexample is not None:
            n = len(self.counterexample)
            verb = "violated" if self.kind == "invariant" else "reached"
            if self.kind == "deadlock":
                what = "a deadlock (a state where no action is enabled)"
            return f"{what} {verb} after {n} step{'s' * (n != 1)} ({self._counts()})"
        if self.kind in ("eventually", "leads-to") and self.lasso is not None:
            shape = (
                "comes to a halt"
                if self.lasso.stutters
                else f"loops through {len(self.lasso.cycle)} steps forever"
            )
            n = len(self.lasso.prefix)
            start = f"after {n} step{'s' * (n != 1)}" if n else "from an initial state"
            if self.kind == "leads-to":
                k = self.lasso.trigger
                return (
                    f"{what} violated: its trigger holds after {k} step{'s' * (k != 1)}, "
                    f"and from there a fair execution {shape} without reaching its target "
                    f"({self._counts()})"
                )
            return (
                f"{what} violated: {start} a fair execution {shape} without "
                f"reaching it ({self._counts()})"
            )
        if self.kind == "goal":
            scope = (
                "in any reachable state"
                if self.stop_reason == "exhausted"
                else f"within the bound ({self.bound or self.stop_reason})"
            )
            return f"{what} never reached {scope} ({self._counts()})"
        reached = f"; {len(self.witnesses)} goal(s) reached" if self.witnesses else ""
        if self.stop_reason == "exhausted":
            return f"ok: every reachable state explored ({self._counts()}{reached})"
        if self.stop_reason == "goals reached":
            return f"ok: every goal reached ({self._counts()})"
        cut = self.bound or self.stop_reason
        if self.unchecked:
            names = ", ".join(repr(n) for n in self.unchecked)
            return (
                f"unknown: liveness {names} not checked, since a bounded search cannot "
                f"confirm liveness; no safety violation found, but the search stopped at "
                f"the {cut} ({self._counts()}{reached})"
            )
        return (
            f"no violation found, but the search stopped at the {cut}: states beyond it "
            f"were not checked ({self._counts()}{reached})"
        )

    def __str__(self) -> str:
        parts = [self.summary()]
        if self.counterexample is not None:
            parts.append(str(self.counterexample))
            desc = self.model.describe(self.counterexample.final)
            parts.append("last state:" + ("" if desc.startswith("\n") else " ") + desc)
        elif self.lasso is not None:
            parts.append(str(self.lasso))
        return "\n".join(parts)

    def __repr__(self) -> str:
        failed = f", {self.kind}={self.property!r}" if self.property is not None else ""
        return (
            f"CheckResult(ok={self.ok}{failed}, distinct_states={self.distinct_states}, "
            f"stop_reason={self.stop_reason!r})"
        )


class _Found(Exception):
    """Raised inside the search loop when a property fails (leaves the nested loops)."""

    def __init__(self, kind: str, name: str, state: Any, fp: int) -> None:
        self.kind = kind
        self.name = name
        self.state = state
        self.fp = fp


def _check_int(name: str, value: Any, low: int) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < low):
        raise ValueError(f"check: {name}={value!r} must be an int >= {low} (or None)")


class _Search:
    """The state of one search. The hot loops are the methods ``bfs`` and ``dfs``."""

    def __init__(
        self,
        model: Model[Any],
        invariants: list[tuple[str, Callable[[Any], Any]]],
        goals: list[tuple[str, Callable[[Any], Any]]],
        boundary: Callable[[Any], Any] | None,
        deadlock: bool,
        max_states: int | None,
        max_depth: int | None,
        time_limit: float | None,
        progress: bool,
        constraint: Callable[[Any], Any] | None = None,
    ) -> None:
        self.model = model
        self.invariants = invariants
        self.goals = list(goals)
        self.boundary = boundary
        self.constraint = constraint
        self.deadlock = deadlock
        self.max_states = max_states if max_states is not None else 1 << 62
        self.max_depth = max_depth
        self.time_limit = time_limit
        sym = model.symmetry
        self.fp: Callable[[Any], int] = sym.fingerprint if sym is not None else hash
        self.parent: dict[int, int | None] = {}
        self.witness_fp: dict[str, tuple[int, Any]] = {}
        self.generated = 0
        self.depth = 0
        self.bound = ""
        self.stop_at_goals = True
        self.start = time.perf_counter()
        self.bar: Any = None
        if progress:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=max_states, desc=model.name, unit=" states", leave=False)

    # -- bookkeeping --------------------------------------------------------------------
    def tick(self) -> bool:
        """Update the progress bar; return True when the time limit has passed."""
        if self.bar is not None:
            self.bar.update(len(self.parent) - self.bar.n)
        return self.time_limit is not None and time.perf_counter() - self.start > self.time_limit

    def on_new(self, state: Any, fp: int) -> bool:
        """Check the properties of a newly seen state; True when the search is done with
        its goals (see ``done_with_goals``)."""
        for name, inv in self.invariants:
            if not inv(state):
                raise _Found("invariant", name, state, fp)
        if self.goals:
            self.check_goals(state, fp)
            return self.done_with_goals()
        return False

    def check_goals(self, state: Any, fp: int) -> None:
        """Record a witness for every goal not reached yet that holds in ``state``."""
        for name, goal in list(self.goals):
            if goal(state):
                self.witness_fp[name] = (fp, state)
                self.goals.remove((name, goal))

    def done_with_goals(self) -> bool:
        """True when every goal is reached and nothing else needs the rest of the search."""
        return (
            self.stop_at_goals
            and bool(self.witness_fp)
            and not self.goals
            and not self.invariants
            and not self.deadlock
        )

    def initial(self) -> tuple[list[Any], list[int]]:
        states: list[Any] = []
        fps: list[int] = []
        fp_of = self.fp
        parent = self.parent
        try:
            init = self.model.init_states()
            if init is None:
                raise ModelError(
                    f"{self.model.name}: init_states() returned None; it must return the "
                    "initial states (a list of at least one)"
                )
            for s in init:
                if s is None:
                    raise ModelError(
                        f"{self.model.name}: an initial state is None; a state is a hashable "
                        "value such as a tuple or a frozen dataclass"
                    )
                try:
                    f = fp_of(s)
                except TypeError as exc:
                    self.model.validate(s, None)
                    raise ModelError(
                        f"{self.model.name}: the initial state {short_repr(s)} is not hashable "
                        f"({exc}); states must be immutable values such as tuples, frozensets, "
                        "named tuples or frozen dataclasses"
                    ) from None
                if f in parent:
                    continue
                if self.constraint is not None and not self.constraint(s):
                    continue
                if len(parent) >= self.max_states:
                    self.bound = f"state bound (max_states={self.max_states:,})"
                    break
                parent[f] = None
                try:
                    self.on_new(s, f)
                except _Found:
                    raise
                except Exception as exc:
                    self.explain_property(exc, s, "the initial state")
                states.append(s)
                fps.append(f)
        except (_Found, ModelError, HandlerError, ProtocolError):
            raise
        except Exception as exc:
            raise ModelError(
                f"{self.model.name}: computing the initial states raised "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not states:
            raise ModelError(f"{self.model.name}: the model has no initial state")
        return states, fps

    # -- the strategies -----------------------------------------------------------------
    def bfs(self, frontier: list[Any], frontier_fp: list[int]) -> str:
        parent = self.parent
        fp_of = self.fp
        actions = self.model.actions
        boundary = self.boundary
        constraint = self.constraint
        invariants = self.invariants
        max_states = self.max_states
        max_depth = self.max_depth
        deadlock = self.deadlock
        expanded = 0
        generated = 0
        depth = 0
        s: Any = None
        fs = 0
        try:
            while frontier:
                if max_depth is not None and depth >= max_depth:
                    if self.any_new(frontier):
                        self.bound = f"depth bound (max_depth={max_depth})"
                        self.depth = depth
                        self.generated += generated
                        return "bound"
                    break
                next_states: list[Any] = []
                next_fps: list[int] = []
                append_state = next_states.append
                append_fp = next_fps.append
                for s, fs in zip(frontier, frontier_fp, strict=True):
                    if boundary is not None and boundary(s):
                        continue
                    before = generated
                    for label, t in actions(s):
                        generated += 1
                        ft = fp_of(t)
                        if ft in parent:
                            continue
                        if t is None:
                            self.none_state(label, fs, s)
                        if constraint is not None and not constraint(t):
                            continue
                        if len(parent) >= max_states:
                            self.generated += generated
                            self.depth = depth + 1
                            self.bound = f"state bound (max_states={max_states:,})"
                            return "bound"
                        parent[ft] = fs
                        if (invariants or self.goals) and self.on_new(t, ft):
                            self.depth = depth + 1
                            self.generated += generated
                            return "goals reached"
                        append_state(t)
                        append_fp(ft)
                    if deadlock and generated == before:
                        raise _Found("deadlock", "deadlock", s, fs)
                    expanded += 1
                    if not expanded & 1023 and self.tick():
                        self.generated += generated
                        self.depth = depth
                        return "time limit"
                frontier = next_states
                frontier_fp = next_fps
                if frontier:
                    depth += 1
        except _Found as found:
            self.generated += generated
            self.depth = depth + (found.state is not s)
            raise
        except Exception as exc:
            self.generated += generated
            self.explain(exc, s, fs)
        self.generated += generated
        self.depth = depth
        return "exhausted"

    def any_new(self, states: Iterable[Any]) -> bool:
        """Whether some state has a successor not seen yet (a depth bound cut the search)."""
        for s in states:
            if self.boundary is not None and self.boundary(s):
                continue
            for _label, t in self.model.actions(s):
                if self.fp(t) not in self.parent and (
                    self.constraint is None or self.constraint(t)
                ):
                    return True
        return False

    def dfs(self, states: list[Any], fps: list[int]) -> str:
        stack_s = states[::-1]
        stack_f = fps[::-1]
        stack_d = [0] * len(states)
        parent = self.parent
        fp_of = self.fp
        actions = self.model.actions
        boundary = self.boundary
        constraint = self.constraint
        invariants = self.invariants
        max_states = self.max_states
        max_depth = self.max_depth
        deadlock = self.deadlock
        depth_of: dict[int, int] | None = {f: 0 for f in fps} if max_depth is not None else None
        expanded = 0
        generated = 0
        s: Any = None
        fs = 0
        at_bound: list[Any] = []
        try:
            while stack_s:
                s = stack_s.pop()
                fs = stack_f.pop()
                d = stack_d.pop()
                if d > self.depth:
                    self.depth = d
                if boundary is not None and boundary(s):
                    continue
                if max_depth is not None and d >= max_depth:
                    # Decided at the end: the successor may yet be reached by a shorter path.
                    at_bound.append(s)
                    continue
                successors = list(actions(s))
                n = len(successors)
                generated += n
                if n == 0 and deadlock:
                    raise _Found("deadlock", "deadlock", s, fs)
                # Push in reverse so that the first action is explored first.
                for label, t in reversed(successors):
                    ft = fp_of(t)
                    if t is None:
                        self.none_state(label, fs, s)
                    if ft in parent:
                        if depth_of is not None and depth_of[ft] > d + 1:
                            depth_of[ft] = d + 1
                            parent[ft] = fs
                            stack_s.append(t)
                            stack_f.append(ft)
                            stack_d.append(d + 1)
                        continue
                    if constraint is not None and not constraint(t):
                        continue
                    if len(parent) >= max_states:
                        self.generated += generated
                        self.bound = f"state bound (max_states={max_states:,})"
                        return "bound"
                    parent[ft] = fs
                    if depth_of is not None:
                        depth_of[ft] = d + 1
                    if d + 1 > self.depth:
                        self.depth = d + 1
                    if (invariants or self.goals) and self.on_new(t, ft):
                        self.generated += generated
                        return "goals reached"
                    stack_s.append(t)
                    stack_f.append(ft)
                    stack_d.append(d + 1)
                expanded += 1
                if not expanded & 1023 and self.tick():
                    self.generated += generated
                    return "time limit"
        except _Found:
            self.generated += generated
            raise
        except Exception as exc:
            self.generated += generated
            self.explain(exc, s, fs)
        self.generated += generated
        if at_bound and self.any_new(at_bound):
            self.bound = f"depth bound (max_depth={max_depth})"
            return "bound"
        return "exhausted"

    def walks(self, states: list[Any], fps: list[int], walks: int, seed: int) -> str:
        rng = random.Random(seed)
        parent = self.parent
        fp_of = self.fp
        actions = self.model.actions
        boundary = self.boundary
        length = self.max_depth if self.max_depth is not None else 100
        s: Any = None
        fs = 0
        expanded = 0
        try:
            for _ in range(walks):
                k = rng.randrange(len(states))
                s, fs = states[k], fps[k]
                for d in range(length):
                    if boundary is not None and boundary(s):
                        break
                    successors = list(actions(s))
                    self.generated += len(successors)
                    if self.constraint is not None:
                        constraint = self.constraint
                        successors = [(a, t) for a, t in successors if constraint(t)]
                    if not successors:
                        if self.deadlock:
                            raise _Found("deadlock", "deadlock", s, fs)
                        break
                    chosen = rng.randrange(len(successors))
                    nxt: Any = None
                    nxt_fp = 0
                    for i, (label, t) in enumerate(successors):
                        ft = fp_of(t)
                        if t is None:
                            self.none_state(label, fs, s)
                        if ft not in parent:
                            if len(parent) >= self.max_states:
                                self.bound = f"state bound (max_states={self.max_states:,})"
                                return "bound"
                            parent[ft] = fs
                            self.depth = max(self.depth, d + 1)
                            if self.on_new(t, ft):
                                return "goals reached"
                        if i == chosen:
                            nxt, nxt_fp = t, ft
                    s, fs = nxt, nxt_fp
                    expanded += 1
                    if not expanded & 1023 and self.tick():
                        return "time limit"
        except _Found:
            raise
        except Exception as exc:
            self.explain(exc, s, fs)
        self.bound = f"end of the random walks ({walks} walks of at most {length} steps)"
        return "bound"

    # -- counterexamples ----------------------------------------------------------------
    def path(self, fp: int, kind: str | None = None, name: str | None = None) -> Counterexample:
        """Rebuild the execution that first reached the state with fingerprint ``fp``."""
        chain = [fp]
        parent = self.parent
        while True:
            p = parent[chain[-1]]
            if p is None:
                break
            chain.append(p)
        chain.reverse()
        fp_of = self.fp
        for s0 in self.model.init_states():
            if fp_of(s0) == chain[0]:
                break
        else:  # pragma: no cover - only on a fingerprint collision or a nondeterministic model
            raise ModelError(
                f"{self.model.name}: could not find the initial state of a counterexample again; "
                "is init_states() deterministic?"
            )
        steps = [Step(None, s0)]
        cur = s0
        for f in chain[1:]:
            for label, t in self.model.actions(cur):
                if fp_of(t) == f:
                    steps.append(Step(label, t))
                    cur = t
                    break
            else:  # pragma: no cover - only on a collision or a nondeterministic model
                raise ModelError(
                    f"{self.model.name}: could not rebuild step {len(steps)} of a counterexample "
                    f"from state {short_repr(cur)}; are actions() deterministic?"
                )
        return Counterexample(steps, self.model, name, kind)

    # -- errors -------------------------------------------------------------------------
    def where(self, fp: int) -> str:
        """Name the state with fingerprint ``fp`` by the execution that reached it."""
        try:
            cex = self.path(fp)
        except Exception:  # pragma: no cover - explaining must not fail
            return "a state"
        if len(cex) == 0:
            return "the initial state"
        return f"the state reached after {len(cex)} steps (last action: {cex.actions[-1]})"

    def none_state(self, label: Any, fs: int, s: Any) -> NoReturn:
        """An action produced ``None``: say which, and from which state."""
        raise ModelError(
            f"{self.model.name}: action {label} produced None from {self.where(fs)}: "
            f"{short_repr(s)}; an action must produce the next state, a hashable value "
            "(list no action when it is not enabled)"
        )

    def explain_property(self, exc: Exception, state: Any, where: str) -> NoReturn:
        """Find the property that raises on ``state`` and say so; ``where`` names the state."""
        for kind, props in (("invariant", self.invariants), ("goal", self.goals)):
            for name, fn in props:
                try:
                    fn(state)
                except Exception as e:
                    raise ModelError(
                        f"{kind} {name!r} raised {type(e).__name__}: {e} on {where}: "
                        f"{short_repr(state)}; a property must return True or False"
                    ) from e
        raise exc

    def explain(self, exc: Exception, s: Any, fs: int) -> NoReturn:
        """Turn an exception from the hot loop into an error that names the state and action."""
        model = self.model
        if isinstance(exc, HandlerError):
            exc.trace = self.path(fs)
            raise exc
        if isinstance(exc, (ProtocolError, ModelError)):
            exc.add_note(f"It happened in {self.where(fs)}.")
            raise exc
        if isinstance(exc, NotImplementedError):
            raise exc
        where = self.where(fs)
        desc = short_repr(s)
        for what, fn in (("boundary", self.boundary), ("constraint", self.constraint)):
            if fn is not None:
                try:
                    fn(s)
                except Exception as e:
                    raise ModelError(
                        f"the {what} raised {type(e).__name__}: {e} on {where}: {desc}"
                    ) from e
        try:
            items = model.actions(s)
        except Exception as e:
            raise ModelError(
                f"{model.name}: actions() raised {type(e).__name__}: {e} in {where}: {desc}"
            ) from e
        if items is None:
            raise ModelError(
                f"{model.name}: actions() returned None for {where}: {desc}; it must return or "
                "yield (label, next_state) pairs (nothing when no action is enabled)"
            )
        try:
            iterator = iter(items)
        except TypeError:
            raise ModelError(
                f"{model.name}: actions() returned {short_repr(items)} for {where}, which is not "
                "an iterable of (label, next_state) pairs"
            ) from None
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except Exception as e:
                raise ModelError(
                    f"{model.name}: actions() raised {type(e).__name__}: {e} while listing the "
                    f"actions of {where}: {desc}"
                ) from e
            if not (isinstance(item, tuple) and len(item) == 2):
                raise ModelError(
                    f"{model.name}: actions() of {where} produced {short_repr(item)}; each item "
                    "must be a pair (label, next_state)"
                )
            label, t = item
            if t is None:
                raise ModelError(
                    f"{model.name}: action {label} produced None from {where}: {desc}; an action "
                    "must produce the next state, a hashable value (list no action when it is "
                    "not enabled)"
                )
            try:
                self.fp(t)
            except TypeError as e:
                model.validate(t, label)
                raise ModelError(
                    f"{model.name}: action {label} from {where} produced a state that is not "
                    f"hashable ({e}): {short_repr(t)}; states must be immutable values such as "
                    "tuples, frozensets, named tuples or frozen dataclasses"
                ) from None
            except Exception as e:
                raise ModelError(
                    f"{model.name}: computing the fingerprint of the state produced by action "
                    f"{label} from {where} raised {type(e).__name__}: {e}"
                ) from e
            if self.constraint is not None:
                try:
                    self.constraint(t)
                except Exception as e:
                    raise ModelError(
                        f"the constraint raised {type(e).__name__}: {e} on the state reached by "
                        f"action {label} from {where}: {short_repr(t)}"
                    ) from e
            try:
                for _name, fn in self.invariants + self.goals:
                    fn(t)
            except Exception as e:
                self.explain_property(e, t, f"the state reached by action {label} from {where}")
        raise exc


def check(
    model: Model[Any],
    invariants: PropertySpec = None,
    goals: PropertySpec = None,
    *,
    eventually: PropertySpec = None,
    leads_to: LeadsToSpec = None,
    constraint: Callable[[Any], Any] | None = None,
    boundary: Callable[[Any], Any] | None = None,
    deadlock: bool = False,
    strategy: str = "bfs",
    max_states: int | None = None,
    max_depth: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    walks: int = 100,
    fairness: Callable[[Any], Hashable | None] | None = None,
    strong_fairness: Callable[[Any], Hashable | None] | None = None,
    progress: bool = False,
) -> CheckResult:
    """Explore the states of ``model`` and check properties on every one.

    Parameters
    ----------
    model : Model
        What to explore (a ``Model``, or an ``ActorModel`` of a ``System``).
    invariants : callable, dict or list, optional
        Predicates that must hold in every reachable state ("always").
    goals : callable, dict or list, optional
        Predicates that must hold in some reachable state ("sometimes").
    eventually : callable, dict or list, optional
        Predicates that every fair execution must reach (liveness), checked
        after the rest on the whole state graph; see
        ``dslib.check.liveness`` for the fairness assumed.
    leads_to : pair, dict or list, optional
        Leads-to properties ``P ~> Q`` (whenever ``P`` holds, ``Q`` holds then
        or later in every fair execution): a pair ``(P, Q)``, a dict name ->
        ``(P, Q)``, or a list of pairs or of triples ``(name, P, Q)``; see
        ``dslib.check.liveness.check_leads_to``.
    constraint : callable, optional
        A TLA+ state ``CONSTRAINT``: states where ``constraint(state)`` is
        false are dropped (not counted, not checked, not expanded), as TLC
        does. For liveness, a step out of the constraint counts as reaching
        the goal: only executions that stay inside are judged.
    boundary : callable, optional
        States where ``boundary(state)`` is true are counted and checked but
        not expanded (unlike ``constraint``, which drops them).
    deadlock : bool, default False
        Also report a state where no action is enabled (a deadlock) as a violation.
    strategy : {"bfs", "dfs", "random"}, default "bfs"
        Breadth first (shortest counterexamples), depth first, or random walks
        (``walks`` walks from a random initial state, each step to a random
        successor, at most ``max_depth`` steps long, 100 by default; every
        successor seen on the way is checked).
    max_states : int, optional
        Stop after this many distinct states.
    max_depth : int, optional
        Do not expand states this many steps from an initial state.
    time_limit : float, optional
        Stop after this many seconds (the result then depends on the machine).
    seed : int, default 0
        The seed of the random walks.
    walks : int, default 100
        How many random walks (``strategy="random"`` only).
    fairness : callable, optional
        The weak-fairness class of an action, for liveness
        (default: ``model.fairness``).
    strong_fairness : callable, optional
        The strong-fairness class of an action, for liveness (default:
        ``model.strong_fairness``, no action).
    progress : bool, default False
        Show a progress bar (``tqdm``); off by default so that stored notebook
        outputs stay the same from run to run.

    Returns
    -------
    CheckResult

    Raises
    ------
    ValueError, TypeError
        For a bad argument.
    ModelError
        When the model breaks the checker's rules (an unhashable state, an
        action producing ``None``, a property that raises), naming the state
        and the action.
    HandlerError
        When a node's handler raises under an ``ActorModel``; its ``trace`` is
        the execution that led to the state where it happened.

    Examples
    --------
    >>> m = Model(init=[0], actions=lambda n: [("double", 2 * n), ("add 1", n + 1)])
    >>> r = check(m, goals={"reach 10": lambda n: n == 10}, boundary=lambda n: n > 10)
    >>> r.ok, r.stop_reason, r.witnesses["reach 10"].actions
    (True, 'goals reached', ['add 1', 'double', 'double', 'add 1', 'double'])
    >>> check(m, invariants=lambda n: n < 5, boundary=lambda n: n > 10).summary()
    "invariant 'invariant 1' violated after 4 steps (bfs; 6 distinct states, 7 generated; depth 4)"

    A constraint drops the states past it; a boundary keeps and counts them:

    >>> check(m, constraint=lambda n: n <= 10).distinct_states
    11
    >>> check(m, boundary=lambda n: n > 10).distinct_states
    17

    Liveness needs the whole graph: a bounded search leaves it unknown.

    >>> r = check(m, eventually={"reach 10": lambda n: n == 10}, max_depth=3)
    >>> r.ok, r.unchecked
    (False, ('reach 10',))
    >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
    unknown: liveness 'reach 10' not checked, since a bounded search cannot confirm
    liveness; no safety violation found, but the search stopped at the depth bound
    (max_depth=3) (bfs; 5 distinct states, 6 generated; depth 3)
    >>> ring = Model(init=[0], actions=lambda n: [("next", (n + 1) % 3), ("halt", 3)] * (n < 3))
    >>> r = check(ring, leads_to={"1 ~> 0": (lambda n: n == 1, lambda n: n == 0)})
    >>> print(r.summary())  # doctest: +NORMALIZE_WHITESPACE
    leads-to '1 ~> 0' violated: its trigger holds after 1 step, and from there a fair
    execution comes to a halt without reaching its target (bfs; 4 distinct states,
    6 generated; depth 2)
    """
    if not isinstance(model, Model):
        raise TypeError(
            f"check takes a dslib.check.Model (or an ActorModel), got {type(model).__name__}; "
            "wrap a System with ActorModel(system)"
        )
    if strategy not in STRATEGIES:
        raise ValueError(f"check: strategy={strategy!r}; allowed: {', '.join(STRATEGIES)}")
    _check_int("max_states", max_states, 1)
    _check_int("max_depth", max_depth, 0)
    _check_int("walks", walks, 1)
    _check_int("seed", seed, -(1 << 62))
    if time_limit is not None and not (
        isinstance(time_limit, (int, float)) and not isinstance(time_limit, bool) and time_limit > 0
    ):
        raise ValueError(f"check: time_limit={time_limit!r} must be a number of seconds > 0")
    if boundary is not None and not callable(boundary):
        raise TypeError(f"check: boundary={boundary!r} must be a function of a state")
    if constraint is not None and not callable(constraint):
        raise TypeError(f"check: constraint={constraint!r} must be a function of a state")
    _check_fairness(fairness, strong_fairness, "check")
    invs = properties(invariants, "invariant")
    gls = properties(goals, "goal")
    evs = properties(eventually, "eventually")
    lts = leads_to_properties(leads_to)
    search = _Search(
        model,
        invs,
        gls,
        boundary,
        bool(deadlock),
        max_states,
        max_depth,
        time_limit,
        progress,
        constraint,
    )
    search.stop_at_goals = not (evs or lts)
    found: _Found | None = None
    try:
        states, fps = search.initial()
        if search.done_with_goals():
            reason = "goals reached"
        elif search.bound:
            reason = "bound"
        elif strategy == "bfs":
            reason = search.bfs(states, fps)
        elif strategy == "dfs":
            reason = search.dfs(states, fps)
        else:
            reason = search.walks(states, fps, walks, seed)
    except _Found as exc:
        found = exc
        reason = "violation"
    finally:
        if search.bar is not None:
            search.tick()
            search.bar.close()
    elapsed = time.perf_counter() - search.start
    witnesses = {
        name: search.path(fp, "goal", name)
        for name, _ in gls
        if name in search.witness_fp
        for fp in [search.witness_fp[name][0]]
    }
    missed = tuple(name for name, _ in gls if name not in search.witness_fp)
    result = CheckResult(
        ok=found is None and not missed,
        stop_reason=reason,
        strategy=strategy,
        distinct_states=len(search.parent),
        states_generated=search.generated,
        depth=search.depth,
        elapsed=elapsed,
        model=model,
        witnesses=witnesses,
        goals_missed=missed,
        bound=search.bound,
    )
    if found is not None:
        result.property = found.name
        result.kind = found.kind
        fn = dict(invs).get(found.name)
        result.description = _doc(fn) if fn is not None else ""
        result.counterexample = search.path(found.fp, found.kind, found.name)
        return result
    if missed:
        result.property = missed[0]
        result.kind = "goal"
        result.description = _doc(dict(gls)[missed[0]])
        return result
    liveness = [(name, None, pred) for name, pred in evs] + lts
    if liveness and reason != "exhausted":
        # Liveness is about infinite executions, so about cycles of the whole graph: states
        # the search did not see may hold the cycle that violates it, or the way out of one.
        result.ok = False
        result.unchecked = tuple(name for name, _, _ in liveness)
    elif liveness:
        graph = state_graph(model, boundary=boundary, constraint=constraint, max_states=None)
        for name, p, q in liveness:
            common: dict[str, Any] = {
                "name": name,
                "fairness": fairness,
                "strong_fairness": strong_fairness,
                "graph": graph,
            }
            if p is None:
                lasso = check_eventually(model, q, **common)
            else:
                lasso = check_leads_to(model, p, q, **common)
            if lasso is not None:
                result.ok = False
                result.stop_reason = "violation"
                result.property = name
                result.kind = "eventually" if p is None else "leads-to"
                result.description = _doc(q) if p is None else ""
                result.lasso = lasso
                break
        result.elapsed = time.perf_counter() - search.start
    return result
