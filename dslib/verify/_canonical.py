"""Canonical models: the same counterexample, whatever z3's internal choices.

z3 answers *sat* with some model, and which one can change with the z3
version, the order of assertions or a random seed. The book prints
counterexamples, and strict nbval compares them, so this module turns any model
into a canonical one that depends only on the *set* of models:

1. each sort of unfixed size gets the fewest elements that still allow a
   counterexample (``node1``, ``node2``, ...), sort by sort in declaration order
   (only the sizes below those of a model already in hand need asking about);
2. then, term by term in a fixed order (action choices, parameters, the
   state's entries), the smallest value that still allows one: false before
   true, the first element before the second, the integer closest to zero
   (non-negative first).

Each step asks z3 "is there still a counterexample with this choice?", so the
result is the lexicographically least counterexample in that order. The
current model is reused when it already makes the preferred choice, which
keeps the number of solver calls small. Each remaining choice is asked about
alone: z3 settles a single literal fastest here, and batching several into
one disjunction costs more than asking about them one by one.

:func:`prefer_in_order` makes the same kind of choice for
:func:`dslib.verify.quorums.prove_intersection`, where solver calls are cheap,
models dear, and most choices impossible: it settles a run of impossible
choices with a galloping search instead of one call each.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import z3

from dslib.verify.transition import State, Symbol, TransitionSystem

__all__ = [
    "Universe",
    "bound_sorts",
    "canonicalize",
    "extract_state",
    "first_possible",
    "ground_terms",
    "prefer_in_order",
    "restoring_scopes",
    "state_terms",
]


class Universe:
    """The elements of every sort in a bounded model: z3 constants and display names."""

    def __init__(self, system: TransitionSystem, consts: Mapping[str, tuple[Any, ...]]) -> None:
        self.system = system
        self.consts = dict(consts)
        self.names: dict[str, tuple[str, ...]] = {}
        for info in system.sorts:
            if info.size is None:
                self.names[info.name] = tuple(
                    f"{info.name}{i}" for i in range(1, len(self.consts[info.name]) + 1)
                )
            else:
                self.names[info.name] = info.element_names
        self._sort_name = {info.sort.name(): info.name for info in system.sorts}

    def of(self, sort: Any) -> tuple[Any, ...]:
        """The element constants of a z3 sort."""
        return self.consts[self._sort_name[sort.name()]]

    def name_of(self, model: Any, sort: Any, value: Any) -> str:
        """The display name of a model value of a declared sort."""
        sort_name = self._sort_name[sort.name()]
        for const, name in zip(self.consts[sort_name], self.names[sort_name], strict=True):
            if model.eval(const, model_completion=True).eq(value):
                return name
        raise RuntimeError(f"value {value} of sort {sort_name} is not one of its elements")

    def element_of(self, model: Any, term: Any) -> str:
        """The display name of the element ``term`` (of a declared sort) denotes in ``model``."""
        return self.name_of(model, term.sort(), model.eval(term, model_completion=True))

    def is_element_sort(self, sort: Any) -> bool:
        """Whether ``sort`` is a declared sort (not Bool or Int)."""
        return sort.kind() == z3.Z3_UNINTERPRETED_SORT and sort.name() in self._sort_name

    def elements(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """``((sort, element names), ...)`` for a :class:`State`."""
        return tuple((info.name, self.names[info.name]) for info in self.system.sorts)


def bound_sorts(
    solver: Any, system: TransitionSystem, max_size: int, model: Any = None
) -> Universe | None:
    """Give each sort of unfixed size the fewest elements that keep ``solver`` satisfiable.

    Leaves the bounds asserted (in pushed scopes). Returns None when some sort
    would need more than ``max_size`` elements (or z3 cannot decide).

    ``model``, if given, is a model of ``solver`` (its last check was sat). A
    model whose sort has ``k`` elements shows that ``k`` is possible, so only
    the sizes below ``k`` are asked about, and the bound ``k`` is asserted
    without a call when none of them is: one quantified call saved per sort
    when z3's first model is already the smallest, the usual case.
    """
    consts: dict[str, tuple[Any, ...]] = {}
    for info in system.sorts:
        if info.size is not None:
            consts[info.name] = info.elements()
            continue
        known = None if model is None else model.get_universe(info.sort)
        shown = max_size + 1 if known is None else len(known)  # a size known to be possible
        for k in range(1, min(shown, max_size + 1)):
            elems, x = _elements(info, k)
            solver.push()
            _bound(solver, elems, x)
            if solver.check() == z3.sat:
                consts[info.name] = elems
                model = solver.model() if model is not None else None
                break
            solver.pop()
        else:
            if shown > max_size:
                return None
            consts[info.name], x = _elements(info, shown)
            solver.push()
            _bound(solver, consts[info.name], x)  # ``model`` satisfies it: no call needed
    return Universe(system, consts)


def _elements(info: Any, k: int) -> tuple[tuple[Any, ...], Any]:
    """``k`` element constants of a sort, and a variable to quantify over it."""
    elems = tuple(z3.Const(f"{info.name}!{i}", info.sort) for i in range(1, k + 1))
    return elems, z3.Const(f"{info.name}!x", info.sort)


def _bound(solver: Any, elems: tuple[Any, ...], x: Any) -> None:
    """Assert that the sort has exactly the elements ``elems``."""
    if len(elems) > 1:
        solver.add(z3.Distinct(*elems))
    solver.add(z3.ForAll([x], z3.Or([x == e for e in elems])))


def ground_terms(
    universe: Universe, symbols: Iterable[Symbol], read: Any
) -> list[tuple[Symbol, tuple[Any, ...], Any]]:
    """Every entry ``(symbol, args, term)`` of ``symbols`` over the universe, in order."""
    out = []
    for sym in symbols:
        for args in itertools.product(*[universe.of(s) for s in sym.arg_sorts]):
            out.append((sym, args, read(sym, args)))
    return out


def state_terms(universe: Universe, reads: Sequence[Any]) -> list[Any]:
    """The entries of the states ``reads`` in the order counterexamples fix them.

    The rigid symbols once (they are the same in every state), then the
    mutable ones, state by state, each in declaration order.
    """
    symbols = list(universe.system.symbols.values())
    rigid = [s for s in symbols if not s.mutable]
    mutable = [s for s in symbols if s.mutable]
    terms = [t for _, _, t in ground_terms(universe, rigid, reads[0])]
    for read in reads:
        terms += [t for _, _, t in ground_terms(universe, mutable, read)]
    return terms


@contextmanager
def restoring_scopes(solver: Any) -> Iterator[Any]:
    """Pop, on leaving, every scope pushed inside (bounds and choices of a counterexample)."""
    level = solver.num_scopes()
    try:
        yield solver
    finally:
        solver.pop(solver.num_scopes() - level)


def _fix(solver: Any, constraint: Any) -> Any:
    """Try ``constraint``; keep it (and return the new model) if still satisfiable, else None."""
    solver.push()
    solver.add(constraint)
    if solver.check() == z3.sat:
        return solver.model()
    solver.pop()
    return None


def _possible(solver: Any, constraint: Any) -> bool:
    """Whether ``solver`` plus ``constraint`` is satisfiable; the solver is left as it was."""
    solver.push()
    solver.add(constraint)
    answer = solver.check() == z3.sat
    solver.pop()
    return answer


def _or(literals: Sequence[Any]) -> Any:
    return z3.Or(*literals)


def first_possible(
    solver: Any, literals: Sequence[Any], any_of: Callable[[Sequence[Any]], Any] = _or
) -> int | None:
    """The least ``i`` such that ``solver`` plus ``literals[i]`` is satisfiable (None: none).

    The search gallops: "is ``literals[0]`` possible? one of the next 2? the
    next 4?", then halves the window that answered yes. The first literal
    costs one solver call, as asking about it alone would, and a run of ``g``
    impossible literals about ``2 log2(g)`` instead of ``g``. No model is
    fetched. The solver is left as it was.

    ``any_of(window)`` says that one of the window's literals holds (default:
    their disjunction). Windows pay off when z3 settles one as fast as a single
    literal; a disjunction can make it split cases, one per literal, so an
    arithmetic form may be needed (see
    :func:`dslib.verify.quorums.prove_intersection`).
    """
    lo, hi = 0, None  # literals[:lo] are impossible; one of literals[lo:hi] is possible
    width = 1
    while hi is None or hi - lo > 1:
        if hi is None:  # gallop: windows of 1, 2, 4, ... literals
            if lo == len(literals):
                return None
            top = min(lo + width, len(literals))
            width *= 2
        else:  # halve the window known to hold a possible literal
            top = (lo + hi) // 2
        window = literals[lo] if top == lo + 1 else any_of(literals[lo:top])
        if _possible(solver, window):
            hi = top
        else:
            lo = top
    return lo


def prefer_in_order(
    solver: Any, literals: Sequence[Any], any_of: Callable[[Sequence[Any]], Any] = _or
) -> Any:
    """Make each literal true, in order, whenever the earlier choices still allow it.

    The lexicographically greatest assignment (true before false, the first
    literal first) among the models of ``solver``, found with
    :func:`first_possible` (``any_of`` as there). Each choice stays asserted;
    returns a model that makes all of them. No model is fetched before the
    end: for a solver with hundreds of variables, fetching one can cost more
    than a call.
    """
    i = 0
    while i < len(literals):
        found = first_possible(solver, literals[i:], any_of)
        end = len(literals) if found is None else i + found
        solver.add(*[z3.Not(lit) for lit in literals[i:end]])
        if found is not None:
            solver.add(literals[end])
        i = end + 1
    if solver.check() != z3.sat:  # pragma: no cover - every choice kept it satisfiable
        raise RuntimeError("prefer_in_order lost satisfiability")
    return solver.model()


def canonicalize(solver: Any, universe: Universe, terms: Sequence[Any]) -> Any:
    """Fix each term, in order, to its least value that keeps ``solver`` satisfiable.

    ``solver`` must be satisfiable (its last check was sat). Returns the final
    model. The constraints stay asserted; the caller pops the scopes.
    """
    # Asked again though the caller's last check was sat: without this check, the checks
    # below took 3 to 10 times longer on the Raft log's counterexamples (z3 reuses what it
    # learns here; benchmarks/bench_verify.py --only explanations).
    if solver.check() != z3.sat:  # pragma: no cover - callers only pass sat solvers
        raise RuntimeError("canonicalize needs a satisfiable solver")
    model = solver.model()
    for term in terms:
        sort = term.sort()
        current = model.eval(term, model_completion=True)
        if sort == z3.BoolSort():
            if z3.is_false(current):
                solver.add(z3.Not(term))
                continue
            better = _fix(solver, z3.Not(term))
            if better is None:
                solver.add(term)
            else:
                model = better
        elif sort == z3.IntSort():
            value = current.as_long()
            lo, hi = 0, abs(value)
            while lo < hi:
                mid = (lo + hi) // 2
                solver.push()
                solver.add(term >= -mid, term <= mid)
                found = solver.check() == z3.sat
                solver.pop()
                if found:
                    hi = mid
                else:
                    lo = mid + 1
            for candidate in (lo, -lo):
                if candidate == value:
                    solver.add(term == candidate)
                    break
                better = _fix(solver, term == candidate)
                if better is not None:
                    model = better
                    break
            else:  # pragma: no cover - the bound search guarantees one of them
                solver.add(term == value)
        else:
            elems = universe.of(sort)
            index = next(
                i for i, e in enumerate(elems) if model.eval(e, model_completion=True).eq(current)
            )
            for e in elems[:index]:
                better = _fix(solver, term == e)
                if better is not None:
                    model = better
                    break
            else:
                solver.add(term == elems[index])
    if solver.check() != z3.sat:  # pragma: no cover
        raise RuntimeError("canonicalize lost satisfiability")
    return solver.model()


def python_value(universe: Universe, model: Any, sort: Any, term: Any) -> Any:
    """The value of ``term`` in ``model`` as a Python bool, int or element name."""
    value = model.eval(term, model_completion=True)
    if sort == z3.BoolSort():
        return bool(z3.is_true(value))
    if sort == z3.IntSort():
        return value.as_long()
    return universe.name_of(model, sort, value)


def extract_state(universe: Universe, model: Any, read: Any) -> State:
    """The concrete :class:`State` that ``read`` denotes in ``model``."""
    values: list[tuple[str, Any]] = []
    for sym in universe.system.symbols.values():
        entries = ground_terms(universe, [sym], read)
        if not sym.arg_sorts:
            ((_, _, term),) = entries
            values.append((sym.name, python_value(universe, model, sym.result, term)))
            continue
        names = [tuple(universe.element_of(model, a) for a in args) for _, args, _ in entries]
        if sym.is_relation:
            true = frozenset(
                n
                for n, (_, _, t) in zip(names, entries, strict=True)
                if python_value(universe, model, sym.result, t)
            )
            values.append((sym.name, true))
        else:
            table = {
                n: python_value(universe, model, sym.result, t)
                for n, (_, _, t) in zip(names, entries, strict=True)
            }
            values.append((sym.name, table))
    return State(universe.elements(), tuple(values))
