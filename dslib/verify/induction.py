"""Inductive invariants: proofs, and counterexamples to induction (CTIs).

A safety property P ("at most one client holds the lock") is true in every
reachable state if we find an invariant I, a conjunction of conjuncts, with

* **initiation**: every initial state satisfies I;
* **consecution**: from any state that satisfies I, every action leads to a
  state that satisfies I (for *any* such state, reachable or not);
* I implies P (usually P is one of the conjuncts).

Then induction on the length of executions does the rest. :func:`check_inductive`
asks z3 each of these questions, one per conjunct and action. When a
consecution check fails, z3's model is a *counterexample to induction*: a state
that satisfies every conjunct, and a step from it that breaks one. It is either
reachable (the protocol has a bug) or not (the invariant is too weak: add a
conjunct that rules the state out). That loop, "check, read the CTI, strengthen",
is how inductive invariants are found in practice (Padon et al., Ivy, PLDI
2016, §2).

Counterexamples are made canonical (:mod:`dslib.verify._canonical`): the
fewest elements, then the least state in a fixed order, so the same question
always prints the same answer. That costs more than the verdict, so
:func:`check_inductive` returns once it knows which checks fail, and builds
each counterexample when it is first asked for.

Examples
--------
>>> from dslib.verify import lock_server
>>> system = lock_server.lock_server()
>>> check_inductive(system, lock_server.INVARIANT)
proved: the 9 conjuncts are inductive for 'lock server': they hold initially and send_lock, recv_lock, recv_grant, unlock, recv_release preserve them (54 checks)
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from dslib.mutants import deprecated_spelling
from dslib.verify._canonical import (
    bound_sorts,
    canonicalize,
    extract_state,
    ground_terms,
    restoring_scopes,
    state_terms,
)
from dslib.verify.transition import (
    Formula,
    State,
    TransitionSystem,
    _frame,
    _named,
    new_solver,
    render_value,
    text_table,
)

__all__ = [
    "CounterexampleToInduction",
    "ImplicationResult",
    "InductionResult",
    "Strengthening",
    "check_implies",
    "check_inductive",
    "confirm_counterexample",
    "strengthen",
]

Invariants = Mapping[str, Formula] | Sequence[Any] | Formula


@dataclass(frozen=True)
class CounterexampleToInduction:
    """Why a check of :func:`check_inductive` failed, as concrete states.

    Attributes
    ----------
    system : str
        The transition system's name.
    kind : str
        ``"consecution"``: ``before`` satisfies every conjunct (and the axioms),
        ``action(params)`` is enabled in it, and ``after`` violates
        ``conjunct``. ``"initiation"``: ``before`` is an initial state that
        violates ``conjunct`` (``action`` is None, ``after`` is None).
    conjunct : str
        The conjunct that fails.
    action : str or None
        The action taken.
    params : tuple of (str, str)
        Parameter name and element, in order.
    before, after : State
        The states.

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> res = check_inductive(lock_server.lock_server(), [lock_server.mutual_exclusion])
    >>> res.cti.action, res.cti.params
    ('recv_grant', (('n', 'node1'),))
    """

    system: str
    kind: str
    conjunct: str
    action: str | None
    params: tuple[tuple[str, str], ...]
    before: State
    after: State | None

    @property
    def step(self) -> str:
        """The action with its arguments, e.g. ``recv_grant(n=node1)``."""
        args = ", ".join(f"{p}={v}" for p, v in self.params)
        return f"{self.action}({args})"

    def rows(self) -> list[list[str]]:
        """Table rows: symbol, value before, value after, and ``changed`` where it changed."""
        out = []
        for name, value in self.before.values:
            before = render_value(value)
            if self.after is None:
                out.append([name, before])
                continue
            after = self.after.render(name)
            out.append([name, before, after, "changed" if after != before else ""])
        return out

    def to_frame(self) -> Any:
        """The states as a pandas DataFrame (one row per symbol)."""
        columns = ["value"] if self.after is None else ["before", "after", "changed"]
        return _frame(self.rows(), "symbol", columns, label=str)

    def table(self) -> Any:
        """Deprecated name of ``to_frame`` (warns; removed in the next release)."""
        deprecated_spelling(
            "CounterexampleToInduction.table()", "CounterexampleToInduction.to_frame()"
        )
        return self.to_frame()

    def __repr__(self) -> str:
        elements = "; ".join(f"{s}: {', '.join(n)}" for s, n in self.before.elements)
        lines = []
        if self.kind == "initiation":
            lines.append(f"an initial state of '{self.system}' violates {self.conjunct}")
            header = ["symbol", "value"]
        else:
            lines.append(
                f"counterexample to induction for '{self.system}': the invariant holds before "
                f"{self.step}, and {self.conjunct} fails after it"
            )
            header = ["symbol", "before", "after", ""]
        if elements:
            lines.append(f"  elements: {elements}")
        lines.append(text_table(header, self.rows(), "  "))
        return "\n".join(lines)


class _Failure:
    """A check z3 did not prove, and its counterexample, built on first request."""

    def __init__(
        self,
        conjunct: str,
        action: str | None,
        build: Callable[[], CounterexampleToInduction | str],
    ) -> None:
        self.conjunct = conjunct
        self.action = action
        self._build: Callable[[], CounterexampleToInduction | str] | None = build
        self._outcome: CounterexampleToInduction | str | None = None

    def outcome(self) -> CounterexampleToInduction | str:
        """The canonical counterexample, or why there is none (built once, then kept)."""
        if self._build is not None:
            self._outcome = self._build()
            self._build = None  # drop the solver's formulas
        assert self._outcome is not None
        return self._outcome

    @property
    def where(self) -> str:
        return "initially" if self.action is None else f"after {self.action}"


@dataclass(frozen=True, eq=False)
class InductionResult:
    """The outcome of :func:`check_inductive`.

    The verdict (:attr:`proved`, :attr:`failing`) is z3's answer to each
    check. Counterexamples cost more than verdicts (most of a failing check
    on the Raft log: ``python benchmarks/bench_verify.py --only
    counterexamples``), so each one is built, canonical, the first time it is
    needed: by :attr:`counterexamples` and :attr:`undecided` (both build all),
    by :attr:`cti` and ``repr`` (both build the first only; ``repr`` shows
    it). A counterexample does not depend on when, or in which order, it is
    built: the canonical one depends only on the check's formulas.

    Attributes
    ----------
    system : str
        The transition system's name.
    conjuncts : tuple of str
        The invariant's conjuncts, in order.
    actions : tuple of str
        The actions checked.
    checks : int
        How many questions z3 was asked (conjuncts x (1 + actions)).
    counterexamples : tuple of CounterexampleToInduction
        One per failing check (initiation first, then by action, then by
        conjunct), each canonical.
    undecided : tuple of str
        Checks z3 could not settle, and failing checks with no counterexample
        of at most ``max_size`` elements per sort (each with the reason).
        Empty in the book.

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> res = check_inductive(lock_server.lock_server(), [lock_server.mutual_exclusion])
    >>> res.proved, res.failing
    (False, (('mutual_exclusion', 'recv_grant'),))
    """

    system: str
    conjuncts: tuple[str, ...]
    actions: tuple[str, ...]
    checks: int
    _failures: tuple[_Failure, ...] = field(repr=False)
    _unknown: tuple[str, ...] = field(repr=False)

    @property
    def counterexamples(self) -> tuple[CounterexampleToInduction, ...]:
        """Every failing check's canonical counterexample (built on first access)."""
        out = [f.outcome() for f in self._failures]
        return tuple(c for c in out if isinstance(c, CounterexampleToInduction))

    @property
    def undecided(self) -> tuple[str, ...]:
        """What z3 could not settle or no small counterexample shows (builds them all)."""
        too_big = [
            f"{f.conjunct} {f.where}: {f.outcome()}"
            for f in self._failures
            if isinstance(f.outcome(), str)
        ]
        return (*too_big, *self._unknown)

    @property
    def proved(self) -> bool:
        """True when every check passed: the conjuncts form an inductive invariant."""
        return not self._failures and not self._unknown

    @property
    def cti(self) -> CounterexampleToInduction | None:
        """The first counterexample (None when proved); builds no later one."""
        for f in self._failures:
            c = f.outcome()
            if isinstance(c, CounterexampleToInduction):
                return c
        return None

    @property
    def failing(self) -> tuple[tuple[str, str], ...]:
        """``(conjunct, action)`` of each check z3 showed to fail (``"init"``: initiation).

        From the verdicts alone: no counterexample is built.
        """
        return tuple((f.conjunct, f.action or "init") for f in self._failures)

    def _key(self) -> tuple[Any, ...]:
        return (
            self.system,
            self.conjuncts,
            self.actions,
            self.checks,
            self.counterexamples,
            self.undecided,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InductionResult):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __bool__(self) -> bool:
        return self.proved

    def __repr__(self) -> str:
        n = len(self.conjuncts)
        if self.proved:
            what = f"the {n} conjuncts are" if n != 1 else "the invariant is"
            return (
                f"proved: {what} inductive for '{self.system}': they hold initially and "
                f"{', '.join(self.actions) or 'no action'} preserve"
                f"{'s' if len(self.actions) == 1 else ''} them ({self.checks} checks)"
            )
        bad = len(self._failures) + len(self._unknown)
        lines = [f"not inductive: {bad} of {self.checks} checks fail"]
        lines += [
            f"  {f.conjunct} " + ("fails initially" if f.action is None else f"after {f.action}")
            for f in self._failures
        ]
        lines += [f"  undecided: {u}" for u in self._unknown]
        cti = self.cti
        if cti is not None:
            lines.append("first counterexample:")
            lines.append(repr(cti))
        return "\n".join(lines)


def _check_max_size(max_size: int, what: str) -> None:
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise ValueError(f"{what}: max_size must be an int >= 1, got {max_size!r}")


def _check_system(system: Any, what: str) -> None:
    if not isinstance(system, TransitionSystem):
        raise TypeError(f"{what}: expected a TransitionSystem, got {system!r}")


def check_inductive(
    system: TransitionSystem, invariants: Invariants, *, max_size: int = 5
) -> InductionResult:
    """Check initiation and consecution of every conjunct; explain each failure with a CTI.

    Parameters
    ----------
    system : TransitionSystem
        The protocol.
    invariants : dict name -> formula, or list of formulas
        The conjuncts of the candidate invariant (named by their dict key or
        function name).
    max_size : int, optional
        The most elements per sort a counterexample may have (default 5). The
        *proof* does not depend on it: sorts of unfixed size are unbounded
        when z3 proves a check.

    Returns
    -------
    InductionResult
        The verdict of every check; each counterexample is built when first
        asked for (see :class:`InductionResult`).

    Raises
    ------
    SpecificationError
        If a conjunct refers to something the system does not declare.
    TypeError, ValueError
        For arguments of the wrong type or value.

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> res = check_inductive(lock_server.lock_server(), [lock_server.mutual_exclusion])
    >>> res.cti
    counterexample to induction for 'lock server': the invariant holds before recv_grant(n=node1), and mutual_exclusion fails after it
      elements: node: node1, node2
      symbol             before  after
      lock_msg           -       -
      grant_msg          node1   -             changed
      release_msg        -       -
      holds_lock         node2   node1, node2  changed
      server_holds_lock  false   false
    """  # noqa: E501
    _check_system(system, "check_inductive")
    _check_max_size(max_size, "check_inductive")
    named = _named(invariants, "check_inductive", "invariant")
    system._check_formulas(named, "invariant")
    pre = system._symbolic("")
    base = [*system._closure_axioms(), *system._axioms_at(pre)]
    failures: list[_Failure] = []
    unknown: list[str] = []

    def failed(
        solver: Any,
        verdict: Any,
        kind: str,
        name: str,
        action: str | None,
        params: tuple[Any, ...],
        post: Any,
    ) -> None:
        # The counterexample is built later, on a fresh solver with the same formulas: it
        # depends only on the set of models, so it is the same as if it were built now.
        # z3's model shows which sort sizes are possible (see bound_sorts); an unknown
        # verdict has none, so the fresh solver asks again.
        formulas = solver.assertions()
        model = solver.model() if verdict == z3.sat else None

        def build() -> CounterexampleToInduction | str:
            fresh = new_solver()
            fresh.add(formulas)
            answer = z3.sat if model is not None else fresh.check()
            return _counterexample(
                system, fresh, answer, model, kind, name, action, params, pre, post, max_size
            )

        failure = _Failure(name, action, build)
        if verdict == z3.sat:
            failures.append(failure)
            return
        # Unknown: only a counterexample says whether the check fails, so build it now.
        outcome = failure.outcome()
        if isinstance(outcome, str):
            unknown.append(f"{name} {failure.where}: {outcome}")
        else:
            failures.append(failure)

    # Initiation: init and not conjunct.
    solver = new_solver()
    solver.add(*base, *system._init_at(pre))
    for name, f in named:
        solver.push()
        solver.add(z3.Not(system._apply(f, pre, f"invariant '{name}'")))
        verdict = solver.check()
        if verdict != z3.unsat:
            failed(solver, verdict, "initiation", name, None, (), None)
        solver.pop()

    # Consecution: all conjuncts before, the action, and not conjunct after.
    for action in system.actions:
        params = system._params(action, "")
        effect = system._run(action, pre, params, check=False)
        role = f"action '{action.name}'"

        def post(symbol: Any, args: tuple[Any, ...], _e: Any = effect, _r: str = role) -> Any:
            return _e.post(symbol, args, pre, _r)

        solver = new_solver()
        solver.add(*base, *[system._apply(f, pre, f"invariant '{n}'") for n, f in named])
        solver.add(effect.requires)
        solver.add(*system._axioms_at(post))  # axioms are assumed in every state
        for name, f in named:
            solver.push()
            solver.add(z3.Not(system._apply(f, post, f"invariant '{name}'")))
            verdict = solver.check()
            if verdict != z3.unsat:
                failed(solver, verdict, "consecution", name, action.name, params, post)
            solver.pop()
    return InductionResult(
        system=system.name,
        conjuncts=tuple(n for n, _ in named),
        actions=tuple(a.name for a in system.actions),
        checks=len(named) * (1 + len(system.actions)),
        _failures=tuple(failures),
        _unknown=tuple(unknown),
    )


def _counterexample(
    system: TransitionSystem,
    solver: Any,
    verdict: Any,
    model: Any,
    kind: str,
    conjunct: str,
    action: str | None,
    params: tuple[Any, ...],
    pre: Any,
    post: Any,
    max_size: int,
) -> CounterexampleToInduction | str:
    """Canonical counterexample from a sat (or unknown) query, or the reason there is none.

    ``model``: a model of ``solver``'s formulas (None if unknown), to bound the sorts.
    """
    reason = "" if verdict == z3.sat else f"z3 returned unknown ({solver.reason_unknown()})"
    with restoring_scopes(solver):
        universe = bound_sorts(solver, system, max_size, model)
        if universe is None:
            return reason or (
                f"a counterexample exists, but none with at most {max_size} elements per sort; "
                "raise max_size"
            )
        model = canonicalize(solver, universe, [*params, *state_terms(universe, [pre])])
        before = extract_state(universe, model, pre)
        after = None if post is None else extract_state(universe, model, post)
        names = tuple(
            (p.decl().name().split(".", 1)[1], universe.element_of(model, p)) for p in params
        )
        return CounterexampleToInduction(system.name, kind, conjunct, action, names, before, after)


def confirm_counterexample(
    system: TransitionSystem, invariants: Invariants, cti: CounterexampleToInduction
) -> bool:
    """Re-check a counterexample on its concrete states, independently of the search.

    For a consecution counterexample: ``before`` satisfies the axioms and every
    conjunct of ``invariants``; the step is enabled and leads exactly to
    ``after`` (:meth:`TransitionSystem.is_step`); ``after`` satisfies the axioms
    and violates ``cti.conjunct``. For an initiation one: ``before`` satisfies
    the axioms and the initial conditions and violates ``cti.conjunct``. Each
    fact is decided by a fresh solver on the finite state
    (:meth:`TransitionSystem.evaluate`).

    Parameters
    ----------
    system : TransitionSystem
    invariants : dict or list of formulas
        The conjuncts the counterexample was computed for.
    cti : CounterexampleToInduction

    Returns
    -------
    bool

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> inv = [lock_server.mutual_exclusion]
    >>> cti = check_inductive(lock_server.lock_server(), inv).cti
    >>> confirm_counterexample(lock_server.lock_server(), inv, cti)
    True
    """
    _check_system(system, "confirm_counterexample")
    named = dict(_named(invariants, "confirm_counterexample", "invariant"))
    if cti.conjunct not in named:
        raise ValueError(f"confirm_counterexample: '{cti.conjunct}' is not one of the conjuncts")
    axioms = [f for _, f in system.axioms]
    if not all(system.evaluate(f, cti.before) for f in axioms):
        return False
    if cti.kind == "initiation":
        return all(system.evaluate(f, cti.before) for _, f in system.inits) and not (
            system.evaluate(named[cti.conjunct], cti.before)
        )
    if cti.after is None or cti.action is None:
        return False
    return (
        all(system.evaluate(f, cti.before) for f in named.values())
        and system.is_step(cti.before, cti.action, dict(cti.params), cti.after)
        and all(system.evaluate(f, cti.after) for f in axioms)
        and not system.evaluate(named[cti.conjunct], cti.after)
    )


@dataclass(frozen=True)
class ImplicationResult:
    """The outcome of :func:`check_implies`.

    Attributes
    ----------
    holds : bool
        Whether every state satisfying the axioms and the assumptions satisfies the goal.
    goal : str
        The goal's name.
    counterexample : State or None
        A canonical state that satisfies the assumptions but not the goal.
    undecided : str
        Empty, or why z3 could not decide.

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> inv = dict(lock_server.INVARIANT)
    >>> goal = inv.pop("mutual_exclusion")
    >>> check_implies(lock_server.lock_server(), inv, goal).holds
    False
    """

    holds: bool
    goal: str
    counterexample: State | None
    undecided: str = ""

    def __bool__(self) -> bool:
        return self.holds

    def __repr__(self) -> str:
        if self.holds:
            return f"proved: the assumptions imply {self.goal}"
        if self.counterexample is None:
            return f"undecided: {self.goal}: {self.undecided}"
        return f"fails: a state satisfies the assumptions but not {self.goal}:\n" + "\n".join(
            "  " + line for line in str(self.counterexample).splitlines()
        )


def check_implies(
    system: TransitionSystem, assumptions: Invariants, goal: Formula, *, max_size: int = 5
) -> ImplicationResult:
    """Check that every state satisfying the axioms and ``assumptions`` satisfies ``goal``.

    Use it to show that an inductive invariant implies the safety property
    when the property is not itself one of the conjuncts.

    Parameters
    ----------
    system : TransitionSystem
    assumptions : dict or list of formulas
    goal : formula
    max_size : int, optional
        Most elements per sort in a counterexample.

    Returns
    -------
    ImplicationResult

    Examples
    --------
    >>> from dslib.verify import toy_consensus
    >>> inv = dict(toy_consensus.INVARIANT)
    >>> goal = inv.pop("agreement")
    >>> check_implies(toy_consensus.toy_consensus(), inv, goal)
    proved: the assumptions imply agreement
    """
    _check_system(system, "check_implies")
    _check_max_size(max_size, "check_implies")
    named = _named(assumptions, "check_implies", "assumption")
    ((goal_name, goal_f),) = _named(goal, "check_implies", "goal")
    system._check_formulas([*named, (goal_name, goal_f)], "formula")
    pre = system._symbolic("")
    solver = new_solver()
    solver.add(*system._closure_axioms(), *system._axioms_at(pre))
    solver.add(*[system._apply(f, pre, f"assumption '{n}'") for n, f in named])
    solver.add(z3.Not(system._apply(goal_f, pre, f"goal '{goal_name}'")))
    verdict = solver.check()
    if verdict == z3.unsat:
        return ImplicationResult(True, goal_name, None)
    reason = "" if verdict == z3.sat else f"z3 returned unknown ({solver.reason_unknown()})"
    universe = bound_sorts(solver, system, max_size, solver.model() if verdict == z3.sat else None)
    if universe is None:
        return ImplicationResult(
            False, goal_name, None, reason or f"no counterexample with at most {max_size} elements"
        )
    terms = [t for _, _, t in ground_terms(universe, system.symbols.values(), pre)]
    model = canonicalize(solver, universe, terms)
    return ImplicationResult(False, goal_name, extract_state(universe, model, pre))


@dataclass(frozen=True)
class Strengthening:
    """The record of :func:`strengthen`: each counterexample, and the conjunct that excluded it.

    Attributes
    ----------
    rounds : tuple of (CounterexampleToInduction, str or None)
        Each round's first counterexample and the candidate added to exclude
        it (None when no candidate excludes it: the loop stopped there).
    result : InductionResult
        The last check: proved, or the counterexample no candidate excludes.
    invariant : tuple of str
        The conjuncts at the end, in the order they were added.

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> log = strengthen(lock_server.lock_server(), [lock_server.mutual_exclusion],
    ...                  lock_server.INVARIANT)
    >>> log.result.proved, len(log.rounds)
    (True, 8)
    """

    rounds: tuple[tuple[CounterexampleToInduction, str | None], ...]
    result: InductionResult
    invariant: tuple[str, ...]

    def rows(self) -> list[list[str]]:
        """One row per round: round, the failing check, the step of the CTI, the conjunct added."""
        return [
            [
                str(i),
                f"{cti.conjunct} after {cti.action}" if cti.action else f"{cti.conjunct} initially",
                cti.step if cti.action else "-",
                added or "(none excludes it)",
            ]
            for i, (cti, added) in enumerate(self.rounds, start=1)
        ]

    def to_frame(self) -> Any:
        """The rounds as a pandas DataFrame (one row per round)."""
        return _frame(self.rows(), "round", ["fails", "counterexample step", "conjunct added"])

    def table(self) -> Any:
        """Deprecated name of ``to_frame`` (warns; removed in the next release)."""
        deprecated_spelling("Strengthening.table()", "Strengthening.to_frame()")
        return self.to_frame()

    def __repr__(self) -> str:
        table = text_table(
            ["round", "fails", "counterexample step", "conjunct added"], self.rows(), "  "
        )
        outcome = "proved" if self.result.proved else "stuck"
        return f"{outcome} after {len(self.rounds)} rounds:\n{table}"


def strengthen(
    system: TransitionSystem,
    invariants: Invariants,
    candidates: Invariants,
    *,
    max_rounds: int = 50,
    max_size: int = 5,
) -> Strengthening:
    """The counterexample-to-induction loop, with a pool of candidate conjuncts.

    Check; if a counterexample to induction comes back, add the first
    candidate that is *false in its state before the step* (so the
    counterexample is excluded); repeat until the invariant is inductive, or
    no candidate excludes the counterexample (then either the protocol has a
    bug, and the counterexample is reachable, or the invariant needs an idea
    that is not among the candidates).

    This is the loop a person runs by hand (Padon et al., Ivy, PLDI 2016, §2):
    the person's insight is the pool of candidates.

    Parameters
    ----------
    system : TransitionSystem
    invariants : dict or list of formulas
        Where to start, usually the safety property alone.
    candidates : dict or list of formulas
        Conjuncts that may be added, tried in order.
    max_rounds : int, optional
        Stop after this many rounds.
    max_size : int, optional
        As for :func:`check_inductive`.

    Returns
    -------
    Strengthening

    Examples
    --------
    >>> from dslib.verify import lock_server
    >>> log = strengthen(lock_server.lock_server(), [lock_server.mutual_exclusion],
    ...                  lock_server.INVARIANT)
    >>> log.rows()[0]
    ['1', 'mutual_exclusion after recv_grant', 'recv_grant(n=node1)', 'grant_excludes_holder']
    """
    _check_system(system, "strengthen")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
        raise ValueError(f"strengthen: max_rounds must be an int >= 1, got {max_rounds!r}")
    current = dict(_named(invariants, "strengthen", "invariant"))
    pool = _named(candidates, "strengthen", "candidate")
    system._check_formulas(pool, "candidate")
    rounds: list[tuple[CounterexampleToInduction, str | None]] = []
    result = check_inductive(system, current, max_size=max_size)
    while not result.proved and result.cti is not None and len(rounds) < max_rounds:
        cti = result.cti
        added = None
        if cti.kind == "consecution":
            for name, f in pool:
                if name not in current and not system.evaluate(f, cti.before):
                    added = name
                    current[name] = f
                    break
        rounds.append((cti, added))
        if added is None:
            break
        result = check_inductive(system, current, max_size=max_size)
    return Strengthening(tuple(rounds), result, tuple(current))
