"""Bounded model checking: the shortest execution that violates a property.

Bounded model checking (Biere, Cimatti, Clarke and Zhu, TACAS 1999) unrolls a
transition system ``k`` steps into one formula: "state 0 is initial, each
state ``i + 1`` follows from state ``i`` by some action, and the property
fails in state ``k``". z3 either finds an assignment, which *is* an execution
that breaks the property, or proves there is none of exactly ``k`` steps.
Trying ``k = 0, 1, 2, ...`` finds the shortest one.

What BMC can and cannot tell you: a violation it finds is real (a concrete
execution from an initial state); "none up to depth ``k``" says nothing about
executions of ``k + 1`` steps. A proof needs an inductive invariant
(:func:`dslib.verify.check_inductive`).

Sorts of unfixed size stay unbounded, so "no violation within ``k`` steps"
holds for any number of nodes; a violation found is shown with the fewest
elements that allow one, and made canonical like every counterexample of
:mod:`dslib.verify`.

Examples
--------
>>> from dslib.verify import water_jug
>>> res = bmc(water_jug.water_jug(), 10, water_jug.big_is_not_4)
>>> res.steps
6
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from dslib.mutants import deprecated_spelling
from dslib.verify._canonical import (
    bound_sorts,
    canonicalize,
    extract_state,
    restoring_scopes,
    state_terms,
)
from dslib.verify.induction import _check_max_size, _check_system
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

__all__ = ["BmcResult", "Trace", "bmc", "confirm_trace"]


@dataclass(frozen=True)
class Trace:
    """An execution: states ``0..k`` and the ``k`` actions between them.

    Attributes
    ----------
    system : str
        The transition system's name.
    states : tuple of State
        ``states[0]`` is initial; ``states[i + 1]`` follows ``actions[i]``.
    actions : tuple of (str, tuple of (str, str))
        Each action's name and its parameters (name, element).
    rigid : tuple of str
        Names of the rigid symbols (the same in every state; shown once).

    Examples
    --------
    >>> from dslib.verify import water_jug
    >>> trace = bmc(water_jug.water_jug(), 6, water_jug.big_is_not_4).trace
    >>> trace.steps()[:2]
    ['fill_big', 'pour_big_into_small']
    """

    system: str
    states: tuple[State, ...]
    actions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    rigid: tuple[str, ...] = ()

    def steps(self) -> list[str]:
        """The actions as text, e.g. ``recv_grant(n=node1)`` (no parentheses without parameters)."""
        out = []
        for name, params in self.actions:
            args = ", ".join(f"{p}={v}" for p, v in params)
            out.append(f"{name}({args})" if params else name)
        return out

    def _columns(self) -> list[str]:
        # Rigid symbols never change: they are listed once, above the table.
        return [n for n, _ in self.states[0].values if n not in self.rigid]

    def rows(self) -> list[list[str]]:
        """Table rows: step, action, then each symbol's value."""
        cols = self._columns()
        labels = ["(initial)", *self.steps()]
        return [
            [str(i), labels[i], *[st.render(c) for c in cols]] for i, st in enumerate(self.states)
        ]

    def to_frame(self) -> Any:
        """The trace as a pandas DataFrame (one row per state), as ``dslib.sim.Trace``."""
        return _frame(self.rows(), "step", ["action", *self._columns()])

    def table(self) -> Any:
        """Deprecated name of ``to_frame`` (warns; removed in the next release)."""
        deprecated_spelling("Trace.table()", "Trace.to_frame()")
        return self.to_frame()

    def __repr__(self) -> str:
        elements = "; ".join(f"{s}: {', '.join(n)}" for s, n in self.states[0].elements)
        fixed = [
            f"{n} = {render_value(v)}" for n, v in self.states[0].values if n not in self._columns()
        ]
        lines = [f"  elements: {elements}"] if elements else []
        lines += [f"  {f}" for f in fixed]
        lines.append(text_table(["step", "action", *self._columns()], self.rows(), "  "))
        return "\n".join(lines)


@dataclass(frozen=True)
class BmcResult:
    """The outcome of :func:`bmc`.

    Attributes
    ----------
    system : str
    property_name : str
        The property's name.
    depth : int
        The largest number of steps searched.
    trace : Trace or None
        The shortest violating execution, or None if none has at most ``depth`` steps.

    Examples
    --------
    >>> from dslib.verify import water_jug
    >>> bmc(water_jug.water_jug(), 5, water_jug.big_is_not_4)
    no execution of at most 5 steps violates big_is_not_4 in 'water jugs 3 and 5' (BMC says nothing about longer ones)
    """  # noqa: E501

    system: str
    property_name: str
    depth: int
    trace: Trace | None

    @property
    def found(self) -> bool:
        """Whether a violating execution was found."""
        return self.trace is not None

    @property
    def steps(self) -> int | None:
        """The length of the shortest violating execution (None if none found)."""
        return None if self.trace is None else len(self.trace.actions)

    def __repr__(self) -> str:
        if self.trace is None:
            return (
                f"no execution of at most {self.depth} steps violates {self.property_name} in "
                f"'{self.system}' (BMC says nothing about longer ones)"
            )
        k = len(self.trace.actions)
        return (
            f"{self.property_name} fails after {k} step{'s' if k != 1 else ''} in '{self.system}' "
            f"(and in no shorter execution):\n{self.trace!r}"
        )


def bmc(
    system: TransitionSystem, depth: int, property: Formula | Any, *, max_size: int = 5
) -> BmcResult:
    """Find the shortest execution of at most ``depth`` steps that violates ``property``.

    Parameters
    ----------
    system : TransitionSystem
        The protocol.
    depth : int
        The most steps to unroll (0 checks initial states only).
    property : formula, or dict name -> formula
        The safety property (its conjunction, for a dict) that should hold in
        every state.
    max_size : int, optional
        The most elements per sort in a violating execution (default 5).

    Returns
    -------
    BmcResult
        With the shortest violating trace, canonical, or none.

    Raises
    ------
    ValueError
        If ``depth`` is negative; :class:`~dslib.verify.SpecificationError` if the
        property refers to something undeclared.

    Examples
    --------
    >>> from dslib.verify import water_jug
    >>> print(bmc(water_jug.water_jug(), 10, water_jug.big_is_not_4))
    big_is_not_4 fails after 6 steps in 'water jugs 3 and 5' (and in no shorter execution):
      small_capacity = 3
      big_capacity = 5
      step  action               small  big
      0     (initial)            0      0
      1     fill_big             0      5
      2     pour_big_into_small  3      2
      3     empty_small          0      2
      4     pour_big_into_small  2      0
      5     fill_big             2      5
      6     pour_big_into_small  3      4
    """
    _check_system(system, "bmc")
    _check_max_size(max_size, "bmc")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"bmc: depth must be an int >= 0 (the number of steps), got {depth!r}")
    named = _named(property, "bmc", "property")
    system._check_formulas(named, "property")
    name = " and ".join(n for n, _ in named)
    actions = system.actions
    mutable = [s for s in system.symbols.values() if s.mutable]

    def reader(i: int) -> Any:
        return system._symbolic(f"@{i}")

    def violated(i: int) -> Any:
        return z3.Not(z3.And([system._apply(f, reader(i), f"property '{n}'") for n, f in named]))

    solver = new_solver()
    solver.add(
        *system._closure_axioms(), *system._axioms_at(reader(0)), *system._init_at(reader(0))
    )
    choices: list[Any] = []
    params: list[list[tuple[Any, ...]]] = []
    for k in range(depth + 1):
        if k > 0:
            i = k - 1
            choice = z3.Int(f"action@{i}")
            choices.append(choice)
            step_params = [system._params(a, f"@{i}") for a in actions]
            params.append(step_params)
            effects = [
                system._run(a, reader(i), p, check=False)
                for a, p in zip(actions, step_params, strict=True)
            ]
            solver.add(choice >= 0, choice < len(actions))
            for j, e in enumerate(effects):
                solver.add(z3.Implies(choice == j, e.requires))
            for sym in mutable:
                xs = [z3.Const(f"{sym.name}!arg{m}", s) for m, s in enumerate(sym.arg_sorts)]
                values = [
                    e.post(sym, tuple(xs), reader(i), f"action '{a.name}'")
                    for a, e in zip(actions, effects, strict=True)
                ]
                value = values[-1] if values else sym.decl(f"@{i}")(*xs)
                for j in range(len(values) - 2, -1, -1):
                    value = z3.If(choice == j, values[j], value)
                eq = sym.decl(f"@{k}")(*xs) == value
                solver.add(z3.ForAll(xs, eq) if xs else eq)
            solver.add(*system._axioms_at(reader(k)))
        solver.push()
        solver.add(violated(k))
        verdict = solver.check()
        if verdict == z3.sat:
            trace = _trace(system, solver, k, choices, params, max_size)
            return BmcResult(system.name, name, depth, trace)
        elif verdict == z3.unknown:
            raise RuntimeError(
                f"bmc: z3 could not decide whether a {k}-step execution violates {name} "
                f"({solver.reason_unknown()})"
            )
        solver.pop()
    return BmcResult(system.name, name, depth, None)


def _trace(
    system: TransitionSystem,
    solver: Any,
    k: int,
    choices: list[Any],
    params: list[list[tuple[Any, ...]]],
    max_size: int,
) -> Trace:
    with restoring_scopes(solver):
        universe = bound_sorts(solver, system, max_size)
        if universe is None:
            raise RuntimeError(
                f"bmc: a violating execution of {k} steps exists, but none with at most "
                f"{max_size} elements per sort; raise max_size"
            )
        model = canonicalize(solver, universe, choices)
        chosen = [model.eval(c, model_completion=True).as_long() for c in choices]
        chosen_params = [p for i, c in enumerate(chosen) for p in params[i][c]]
        reads = [system._symbolic(f"@{i}") for i in range(k + 1)]
        model = canonicalize(solver, universe, [*chosen_params, *state_terms(universe, reads)])
        states = tuple(extract_state(universe, model, read) for read in reads)
        acts = []
        for i, c in enumerate(chosen):
            action = system.actions[c]
            values = tuple(
                (p, universe.element_of(model, const))
                for (p, _), const in zip(action.params, params[i][c], strict=True)
            )
            acts.append((action.name, values))
        rigid = tuple(s.name for s in system.symbols.values() if not s.mutable)
        return Trace(system.name, states, tuple(acts), rigid)


def confirm_trace(system: TransitionSystem, trace: Trace, property: Formula | Any) -> bool:
    """Re-check a violating trace on its concrete states, independently of the search.

    State 0 satisfies the initial conditions; every state satisfies the
    axioms; each step is enabled and leads exactly to the next state
    (:meth:`TransitionSystem.is_step`); the property holds in every state but
    the last, and fails in the last (so the trace is a shortest-looking
    witness, not just any).

    Parameters
    ----------
    system : TransitionSystem
    trace : Trace
    property : formula or dict name -> formula

    Returns
    -------
    bool

    Examples
    --------
    >>> from dslib.verify import water_jug
    >>> res = bmc(water_jug.water_jug(), 6, water_jug.big_is_not_4)
    >>> confirm_trace(water_jug.water_jug(), res.trace, water_jug.big_is_not_4)
    True
    """
    _check_system(system, "confirm_trace")
    if not isinstance(trace, Trace):
        raise TypeError(f"confirm_trace: expected a Trace, got {trace!r}")
    named = _named(property, "confirm_trace", "property")

    def prop_holds(state: State) -> bool:
        return all(system.evaluate(f, state) for _, f in named)

    first = trace.states[0]
    if not all(system.evaluate(f, first) for _, f in system.inits):
        return False
    for state in trace.states:
        if not all(system.evaluate(f, state) for _, f in system.axioms):
            return False
    for i, (action, params) in enumerate(trace.actions):
        if not system.is_step(trace.states[i], action, dict(params), trace.states[i + 1]):
            return False
    return all(prop_holds(s) for s in trace.states[:-1]) and not prop_holds(trace.states[-1])
