"""Transition systems over sorts, in a small layer on z3.

A protocol, seen from far enough away, is a *state* (relations and functions
over a few sorts: nodes, values, terms, quorums) and *actions* that change it,
each allowed only when its precondition holds. This module lets the book write
such a system in a few lines of Python that read like the protocol, and turns
it into z3 formulas for :func:`dslib.verify.check_inductive` (proofs) and
:func:`dslib.verify.bmc` (bounded model checking).

Sorts are **uninterpreted** by default: a proof then holds for *any* number of
nodes, values or terms, not just the three the reader has in mind. A sort can
also be given a fixed size (``size=3``) or named elements
(``elements=("yes", "no")``): the layer then adds the axioms "these elements
are distinct and there are no others". A sort is never empty (first-order
logic has no empty domains), so ``size=0`` is an error.

Formulas (initial conditions, axioms, invariants, properties) are Python
functions from a :class:`StateView` to a z3 Boolean; they read the state
through the view (``s.holds_lock(n)``, ``s.server_holds_lock``), so that the
same function can be asked of the state before a step, after a step, at step
``i`` of an execution, or of a concrete state (:meth:`TransitionSystem.evaluate`).
Action bodies get a :class:`Step`, which reads the state *before* the step and
records updates: ``s.require(cond)``, ``s.holds_lock[n] = True``,
``s.server_holds_lock = False``, ``s.go_commit.update(lambda n: True)``. All
updates of a step take effect together, at its end (like primed variables in
TLA+); reads always see the old state.

Examples
--------
>>> import z3
>>> Counter = z3.DeclareSort("counter")
>>> ts = TransitionSystem("toggle")
>>> _ = ts.sort(Counter)
>>> ts.relation("on", Counter)
>>> @ts.init
... def all_off(s):
...     c = z3.Const("c", Counter)
...     return z3.ForAll([c], z3.Not(s.on(c)))
>>> @ts.action(c=Counter)
... def switch_on(s, c):
...     s.require(z3.Not(s.on(c)))
...     s.on[c] = True
>>> ts
TransitionSystem('toggle')
  sorts:   counter (any size)
  state:   on(counter)
  init:    all_off
  actions: switch_on(c: counter)
"""

from __future__ import annotations

import copy
import itertools
import keyword
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import z3

from dslib.errors import DslibError

__all__ = [
    "Action",
    "Formula",
    "SortInfo",
    "SpecificationError",
    "State",
    "StateView",
    "Step",
    "Symbol",
    "SymbolAccess",
    "TransitionSystem",
    "text_table",
]

Formula = Callable[["StateView"], Any]
"""A formula over one state: a function from a :class:`StateView` to a z3 Boolean."""

_RESERVED = frozenset({"require"})


class SpecificationError(DslibError, ValueError):
    """A transition system, an invariant or a property is not well formed.

    The message names the part that is wrong (the action, the invariant, the
    symbol) and says what is allowed.

    Examples
    --------
    >>> ts = TransitionSystem("t")
    >>> ts.constant("x", z3.IntSort())
    >>> ts.init(lambda s: s.y == 0)
    Traceback (most recent call last):
    ...
    dslib.verify.transition.SpecificationError: initial condition 'init' refers to 'y', which transition system 't' does not declare (it declares: x)
    """  # noqa: E501


def new_solver() -> z3.Solver:
    """A z3 solver with a fixed random seed (so runs repeat).

    Returns
    -------
    z3.Solver

    Examples
    --------
    >>> new_solver().check()
    sat
    """
    solver = z3.Solver()
    solver.set("random_seed", 0)
    return solver


@dataclass(frozen=True)
class SortInfo:
    """A sort of a transition system.

    Attributes
    ----------
    name : str
        The sort's name (also the z3 sort's name).
    sort : z3.SortRef
        The z3 sort (uninterpreted).
    size : int or None
        Fixed number of elements, or None for "any size".
    element_names : tuple of str
        Names of the elements when the size is fixed (empty otherwise).

    Examples
    --------
    >>> ts = TransitionSystem("t")
    >>> _ = ts.sort("vote", elements=("yes", "no"))
    >>> ts.sorts[0]
    SortInfo(vote: yes, no)
    """

    name: str
    sort: Any
    size: int | None
    element_names: tuple[str, ...] = ()

    def __repr__(self) -> str:
        if self.size is None:
            return f"SortInfo({self.name}: any size)"
        return f"SortInfo({self.name}: {', '.join(self.element_names)})"

    def elements(self) -> tuple[Any, ...]:
        """The z3 constants of a fixed-size sort (empty for a sort of any size)."""
        return tuple(z3.Const(n, self.sort) for n in self.element_names)


@dataclass(frozen=True)
class Symbol:
    """A relation or function of the state.

    Attributes
    ----------
    name : str
        Its name, as used in formulas (``s.name``).
    arg_sorts : tuple of z3.SortRef
        Sorts of the arguments (declared sorts only).
    result : z3.SortRef
        ``BoolSort()`` for a relation, else ``IntSort()`` or a declared sort.
    mutable : bool
        False for a *rigid* symbol (quorum membership, an order on terms): it is
        the same in every state and no action may change it.

    Examples
    --------
    >>> import z3
    >>> Symbol("holds_lock", (z3.DeclareSort("node"),), z3.BoolSort(), True)
    Symbol(holds_lock(node))
    """

    name: str
    arg_sorts: tuple[Any, ...]
    result: Any
    mutable: bool

    @property
    def is_relation(self) -> bool:
        """Whether the symbol is Boolean-valued."""
        return bool(self.result == z3.BoolSort())

    def signature(self) -> str:
        """``name(sort, ...)`` or ``name(sort, ...) -> result`` (``name`` alone when nullary)."""
        args = f"({', '.join(str(s) for s in self.arg_sorts)})" if self.arg_sorts else ""
        result = "" if self.is_relation else f" -> {self.result}"
        return f"{self.name}{args}{result}"

    def decl(self, tag: str) -> Any:
        """The z3 function for this symbol in the state copy called ``tag``."""
        name = self.name if (not self.mutable or not tag) else f"{self.name}{tag}"
        return z3.Function(name, *self.arg_sorts, self.result)

    def __repr__(self) -> str:
        return f"Symbol({self.signature()}{'' if self.mutable else ', rigid'})"


@dataclass(frozen=True)
class Action:
    """An action: a name, typed parameters and a body that reads a :class:`Step`.

    Examples
    --------
    >>> import z3
    >>> Action("tick", (), lambda s: None)
    Action(tick())
    """

    name: str
    params: tuple[tuple[str, Any], ...]
    body: Callable[..., None]

    def signature(self) -> str:
        """``name(param: sort, ...)``."""
        return f"{self.name}({', '.join(f'{p}: {s}' for p, s in self.params)})"

    def __repr__(self) -> str:
        return f"Action({self.signature()})"


Reader = Callable[[Symbol, tuple[Any, ...]], Any]


def _coerce(value: Any, sort: Any, where: str) -> Any:
    """A z3 expression of ``sort`` from ``value`` (z3 expression, bool or int)."""
    if isinstance(value, z3.ExprRef):
        if value.sort() != sort:
            raise TypeError(
                f"{where}: expected a value of sort {sort}, got {value} of sort {value.sort()}"
            )
        return value
    if isinstance(value, bool) and sort == z3.BoolSort():
        return z3.BoolVal(value)
    if isinstance(value, int) and not isinstance(value, bool) and sort == z3.IntSort():
        return z3.IntVal(value)
    raise TypeError(f"{where}: expected a z3 expression of sort {sort}, got {value!r}")


class SymbolAccess:
    """``s.rel`` for a symbol with arguments: call it to read, index-assign it to update.

    ``s.holds_lock(n)`` reads; in an action body ``s.holds_lock[n] = True``
    updates one entry and ``s.holds_lock.update(lambda n: ...)`` all of them.

    Examples
    --------
    >>> ts = TransitionSystem("t")
    >>> N = ts.sort("node")
    >>> ts.relation("up", N)
    >>> view = StateView(ts, ts._symbolic(""), "example")
    >>> view.up, view.up(z3.Const("a", N))
    (<up(node)>, up(a))
    """

    __slots__ = ("_symbol", "_view")

    def __init__(self, view: StateView, symbol: Symbol) -> None:
        self._view = view
        self._symbol = symbol

    def _args(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        sym = self._symbol
        if len(args) != len(sym.arg_sorts):
            sorts = ", ".join(str(s) for s in sym.arg_sorts)
            raise TypeError(
                f"{self._view._role}: {sym.name} takes {len(sym.arg_sorts)} argument"
                f"{'s' if len(sym.arg_sorts) != 1 else ''} ({sorts}), got {len(args)}"
            )
        return tuple(
            _coerce(a, s, f"{self._view._role}: argument {i + 1} of {sym.name}")
            for i, (a, s) in enumerate(zip(args, sym.arg_sorts, strict=True))
        )

    def __call__(self, *args: Any) -> Any:
        return self._view._reader(self._symbol, self._args(args))

    def __setitem__(self, key: Any, value: Any) -> None:
        args = key if isinstance(key, tuple) else (key,)
        self._view._assign(self._symbol, self._args(args), value)

    def update(self, new_value: Callable[..., Any]) -> None:
        """Replace every entry: ``new_value(*args)`` (reading the old state) is the new value."""
        self._view._assign_all(self._symbol, new_value)

    def __repr__(self) -> str:
        return f"<{self._symbol.signature()}>"


class StateView:
    """One state, seen by a formula: ``s.name(args)`` or ``s.name`` (no arguments).

    Formulas get a view; they never see z3 function symbols directly, so the
    same formula can describe the state before a step, after it, at step ``i``
    of an execution, or a concrete state. A view only reads: assigning to it
    is an error (actions get a :class:`Step`).

    Examples
    --------
    >>> ts = TransitionSystem("t")
    >>> ts.constant("x", z3.IntSort())
    >>> view = StateView(ts, ts._symbolic("@1"), "example")
    >>> view.x + 1
    x@1 + 1
    """

    def __init__(self, system: TransitionSystem, reader: Reader, role: str) -> None:
        object.__setattr__(self, "_system", system)
        object.__setattr__(self, "_reader", reader)
        object.__setattr__(self, "_role", role)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        sym = self._declared(name, "refers to")
        if not sym.arg_sorts:
            return self._reader(sym, ())
        return SymbolAccess(self, sym)

    def _declared(self, name: str, verb: str) -> Symbol:
        """The declared symbol ``name``; an error that lists the declared ones if there is none."""
        sym = self._system._symbols.get(name)
        if sym is None:
            declared = ", ".join(self._system._symbols) or "nothing"
            raise SpecificationError(
                f"{self._role} {verb} '{name}', which transition system "
                f"'{self._system.name}' does not declare (it declares: {declared})"
            )
        return sym

    def __setattr__(self, name: str, value: Any) -> None:
        raise SpecificationError(
            f"{self._role} can only read the state; '{name}' can only be changed by an action"
        )

    def _assign(self, symbol: Symbol, args: tuple[Any, ...], value: Any) -> None:
        raise SpecificationError(
            f"{self._role} can only read the state; '{symbol.name}' can only be changed by an "
            "action"
        )

    def _assign_all(self, symbol: Symbol, new_value: Callable[..., Any]) -> None:
        self._assign(symbol, (), new_value)

    def __dir__(self) -> list[str]:
        return sorted(self._system._symbols)

    def __repr__(self) -> str:
        return f"<state of '{self._system.name}' for {self._role}>"


class Step(StateView):
    """What an action body sees: the state before the step, and a record of its effect.

    ``s.require(cond)`` adds to the precondition; ``s.rel[args] = value``,
    ``s.const = value`` and ``s.rel.update(fn)`` record updates. Reads see the
    state before the step; updates take effect together at its end, later
    assignments to the same entry winning.

    Examples
    --------
    >>> ts = TransitionSystem("t")
    >>> ts.constant("x", z3.IntSort())
    >>> @ts.action()
    ... def increment(s):
    ...     s.require(s.x < 10)
    ...     s.x = s.x + 1
    >>> ts.actions
    (Action(increment()),)
    """

    def __init__(self, system: TransitionSystem, reader: Reader, role: str) -> None:
        super().__init__(system, reader, role)
        object.__setattr__(self, "_requires", [])
        object.__setattr__(self, "_updates", {})

    def require(self, condition: Any) -> None:
        """Add ``condition`` (a z3 Boolean, about the state before the step) to the precondition."""
        self._requires.append(_coerce(condition, z3.BoolSort(), f"{self._role}: require"))

    def __setattr__(self, name: str, value: Any) -> None:
        sym = self._declared(name, "updates")
        if sym.arg_sorts:
            raise SpecificationError(
                f"{self._role}: '{name}' has arguments; update one entry with "
                f"s.{name}[args] = value, or all with s.{name}.update(fn)"
            )
        self._assign(sym, (), value)

    def _check_mutable(self, symbol: Symbol) -> None:
        if not symbol.mutable:
            raise SpecificationError(
                f"{self._role} updates '{symbol.name}', which is rigid (declared with "
                "mutable=False): no action may change it"
            )

    def _assign(self, symbol: Symbol, args: tuple[Any, ...], value: Any) -> None:
        self._check_mutable(symbol)
        where = f"{self._role}: new value of {symbol.name}"
        self._updates.setdefault(symbol.name, []).append(
            ("point", args, _coerce(value, symbol.result, where))
        )

    def _assign_all(self, symbol: Symbol, new_value: Callable[..., Any]) -> None:
        self._check_mutable(symbol)
        if not callable(new_value):
            raise TypeError(
                f"{self._role}: {symbol.name}.update needs a function of the arguments, got "
                f"{new_value!r}"
            )
        self._updates.setdefault(symbol.name, []).append(("all", (), new_value))


@dataclass
class Effect:
    """The precondition and updates of one action instance (internal)."""

    requires: Any
    updates: dict[str, list[tuple[str, tuple[Any, ...], Any]]]
    params: tuple[Any, ...]

    def post(self, symbol: Symbol, args: tuple[Any, ...], before: Reader, role: str) -> Any:
        """The value of ``symbol(args)`` after the step, as an expression over the state before."""
        value = before(symbol, args)
        for kind, key, new in self.updates.get(symbol.name, ()):
            if kind == "point":
                if not key:
                    value = new
                else:
                    same = z3.And([a == k for a, k in zip(args, key, strict=True)])
                    value = z3.If(same, new, value)
            else:
                value = _coerce(new(*args), symbol.result, f"{role}: {symbol.name}.update")
        return value


def _free_decls(expr: Any) -> dict[int, Any]:
    """Uninterpreted function symbols (including constants) that occur in ``expr``."""
    found: dict[int, Any] = {}
    seen: set[int] = set()
    todo = [expr]
    while todo:
        e = todo.pop()
        key = e.get_id()
        if key in seen:
            continue
        seen.add(key)
        if z3.is_quantifier(e):
            todo.append(e.body())
        elif z3.is_app(e):
            d = e.decl()
            if d.kind() == z3.Z3_OP_UNINTERPRETED:
                found[d.get_id()] = d
            todo.extend(e.children())
    return found


def _identifier(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"{what} must be a Python identifier (letters, digits, _), got {name!r}")
    if name.startswith("_"):
        raise ValueError(f"{what} must not start with '_', got {name!r}")
    return name


def _named(formulas: Any, what: str, default: str) -> list[tuple[str, Formula]]:
    """``[(name, formula)]`` from a formula, a sequence of formulas or a name -> formula mapping."""
    items: list[tuple[str, Any]]
    if isinstance(formulas, Mapping):
        items = list(formulas.items())
    elif callable(formulas):
        items = [(getattr(formulas, "__name__", default), formulas)]
    elif isinstance(formulas, Sequence) and not isinstance(formulas, str):
        items = []
        for f in formulas:
            if isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], str):
                items.append(f)
            else:
                items.append((getattr(f, "__name__", "<lambda>"), f))
    else:
        raise TypeError(
            f"{what}: expected a formula (a function of the state), a list of them, or a dict "
            f"name -> formula; got {formulas!r}"
        )
    named: list[tuple[str, Formula]] = []
    for name, f in items:
        if name == "<lambda>":
            name = default if len(items) == 1 else ""
        if not isinstance(name, str) or not name:
            raise ValueError(
                f"{what}: every formula needs a name; pass a dict {{name: formula}} when using "
                "lambdas"
            )
        if not callable(f):
            raise TypeError(
                f"{what}: '{name}' must be a function of the state returning a z3 Boolean, "
                f"got {f!r}"
            )
        named.append((name, f))
    names = [n for n, _ in named]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f"{what}: names must be distinct, {dups} appear more than once")
    if not named:
        raise ValueError(f"{what}: give at least one formula")
    return named


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """A plain-text table with left-aligned columns (used by every result's ``repr``).

    Parameters
    ----------
    header : sequence of str
        Column titles.
    rows : sequence of sequence of str
        The cells.
    indent : str, optional
        Prefix of every line.

    Returns
    -------
    str

    Examples
    --------
    >>> print(text_table(["a", "bb"], [["1", "2"], ["333", "4"]]))
    a    bb
    1    2
    333  4
    """
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = []
    for row in [list(header), *rows]:
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append((indent + "  ".join(cells)).rstrip())
    return "\n".join(lines)


def _frame(
    rows: Sequence[Sequence[str]],
    index: str,
    columns: Sequence[str],
    label: Callable[[str], Any] = int,
) -> Any:
    """The rows of a result's table as a pandas DataFrame, each row's first cell its label.

    ``label`` turns that cell into the index value (``int`` for step and round numbers).
    """
    import pandas as pd

    return pd.DataFrame(
        [r[1:] for r in rows],
        index=pd.Index([label(r[0]) for r in rows], name=index),
        columns=list(columns),
    )


@dataclass(frozen=True)
class State:
    """A concrete state: the elements of each sort, and the value of every symbol.

    Values: a relation with arguments is a frozenset of tuples of element names
    (the tuples where it holds); a nullary relation is a bool; a function is a
    dict from argument tuples to values (int or element name); a constant is an
    int or an element name.

    Examples
    --------
    >>> st = State((("node", ("node1", "node2")),), (("holds_lock", frozenset({("node2",)})),))
    >>> st["holds_lock"], st.holds("holds_lock", "node1")
    (frozenset({('node2',)}), False)
    >>> print(st)
    node: node1, node2
    holds_lock = node2
    """

    elements: tuple[tuple[str, tuple[str, ...]], ...]
    values: tuple[tuple[str, Any], ...]
    _index: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", dict(self.values))

    def __getitem__(self, name: str) -> Any:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(
                f"state has no symbol {name!r}; it has {', '.join(self._index)}"
            ) from None

    def __hash__(self) -> int:
        return hash(self.elements)

    def sort_elements(self, sort: str) -> tuple[str, ...]:
        """The element names of ``sort`` in this state."""
        return dict(self.elements)[sort]

    def holds(self, relation: str, *args: str) -> bool:
        """Whether ``relation(*args)`` holds (args are element names)."""
        value = self[relation]
        if isinstance(value, bool):
            return value
        return tuple(args) in value

    def value(self, function: str, *args: str) -> Any:
        """The value of ``function(*args)``."""
        value = self[function]
        return value[tuple(args)] if isinstance(value, dict) else value

    def render(self, name: str) -> str:
        """The value of symbol ``name`` as short text (``-`` for an empty relation)."""
        return render_value(self[name])

    def __str__(self) -> str:
        lines = [f"{s}: {', '.join(names)}" for s, names in self.elements]
        lines += [f"{n} = {render_value(v)}" for n, v in self.values]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "State(\n" + "\n".join("  " + line for line in str(self).splitlines()) + "\n)"


def render_value(value: Any) -> str:
    """Text for a symbol's value in a :class:`State` (sorted, so it is stable)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, frozenset):
        if not value:
            return "-"
        return ", ".join(t[0] if len(t) == 1 else f"({', '.join(t)})" for t in sorted(value))
    if isinstance(value, dict):
        return ", ".join(
            f"{k[0] if len(k) == 1 else '(' + ', '.join(k) + ')'}: {v}"
            for k, v in sorted(value.items())
        )
    return repr(value)  # pragma: no cover


class TransitionSystem:
    """A transition system: sorts, state symbols, initial states, axioms and actions.

    Parameters
    ----------
    name : str
        Shown in results and error messages.

    Examples
    --------
    See the module docstring, and :mod:`dslib.verify.lock_server` for a full
    protocol.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"TransitionSystem: name must be a non-empty string, got {name!r}")
        self.name = name
        self._sorts: dict[str, SortInfo] = {}
        self._symbols: dict[str, Symbol] = {}
        self._inits: list[tuple[str, Formula]] = []
        self._axioms: list[tuple[str, Formula]] = []
        self._actions: dict[str, Action] = {}

    # ---- declarations -------------------------------------------------------

    def sort(
        self,
        sort: str | Any,
        *,
        size: int | None = None,
        elements: Sequence[str] | None = None,
    ) -> Any:
        """Declare a sort; return the z3 sort to quantify over.

        Parameters
        ----------
        sort : str or z3.SortRef
            A name, or an uninterpreted z3 sort (``z3.DeclareSort("node")``).
        size : int, optional
            A fixed number of elements (named ``{sort}1``, ``{sort}2``, ...).
            Default: any size, so proofs hold for every size.
        elements : sequence of str, optional
            Named elements (fixes the size); get them with :meth:`elements`.

        Returns
        -------
        z3.SortRef

        Raises
        ------
        ValueError
            For an empty sort (``size=0`` or no elements), a duplicate, or a bad name.

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> ts.sort("node", size=0)
        Traceback (most recent call last):
        ...
        ValueError: sort 'node' is empty (size=0): a sort needs at least one element (first-order logic has no empty domains); give size >= 1, or no size for a sort of any size
        """  # noqa: E501
        if isinstance(sort, z3.SortRef):
            if sort.kind() != z3.Z3_UNINTERPRETED_SORT:
                raise TypeError(
                    f"sort: {sort} is a built-in z3 sort; declare your own with a name or "
                    "z3.DeclareSort (Int and Bool can be used directly as results)"
                )
            name = sort.name()
        else:
            name = sort
        name = _identifier(name, "sort name")
        if name in self._sorts:
            raise ValueError(f"sort '{name}' is already declared in '{self.name}'")
        names: tuple[str, ...] = ()
        if elements is not None:
            if size is not None:
                raise ValueError(f"sort '{name}': give size or elements, not both")
            if isinstance(elements, str):
                raise TypeError(f"sort '{name}': elements must be a list of names, not a string")
            names = tuple(_identifier(e, f"element of sort '{name}'") for e in elements)
            if not names:
                raise ValueError(
                    f"sort '{name}' is empty (elements=[]): a sort needs at least one element "
                    "(first-order logic has no empty domains)"
                )
            if len(set(names)) != len(names):
                raise ValueError(f"sort '{name}': element names must be distinct, got {names}")
            size = len(names)
        elif size is not None:
            if isinstance(size, bool) or not isinstance(size, int):
                raise TypeError(f"sort '{name}': size must be an int or None, got {size!r}")
            if size <= 0:
                raise ValueError(
                    f"sort '{name}' is empty (size={size}): a sort needs at least one element "
                    "(first-order logic has no empty domains); give size >= 1, or no size for "
                    "a sort of any size"
                )
            names = tuple(f"{name}{i}" for i in range(1, size + 1))
        taken = {e for info in self._sorts.values() for e in info.element_names}
        clash = sorted((set(names) & taken) | (set(names) & set(self._symbols)))
        if clash:
            raise ValueError(f"sort '{name}': element names {clash} are already used")
        z3sort = sort if isinstance(sort, z3.SortRef) else z3.DeclareSort(name)
        self._sorts[name] = SortInfo(name, z3sort, size, names)
        return z3sort

    def elements(self, sort: Any) -> tuple[Any, ...]:
        """The z3 constants of a fixed-size sort, for use in formulas.

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> V = ts.sort("vote", elements=("yes", "no"))
        >>> ts.elements(V)
        (yes, no)
        """
        info = self._sort_info(sort, "elements")
        if info.size is None:
            raise ValueError(
                f"elements: sort '{info.name}' has no fixed size, so no named elements; "
                "declare it with size= or elements="
            )
        return info.elements()

    def _sort_info(self, sort: Any, what: str) -> SortInfo:
        for info in self._sorts.values():
            if isinstance(sort, str):
                if info.name == sort:
                    return info
            elif isinstance(sort, z3.SortRef) and info.sort.eq(sort):
                return info
        raise SpecificationError(
            f"{what}: {sort} is not a sort of '{self.name}' (declared: "
            f"{', '.join(self._sorts) or 'none'}); declare it with .sort() first"
        )

    def _declare(self, name: str, args: Sequence[Any], result: Any, mutable: bool) -> None:
        name = _identifier(name, "symbol name")
        if name in _RESERVED:
            raise ValueError(f"'{name}' is reserved (it is a method of Step); choose another name")
        if name in self._symbols:
            raise ValueError(f"'{name}' is already declared in '{self.name}'")
        if any(name in info.element_names for info in self._sorts.values()):
            raise ValueError(f"'{name}' is already the name of a sort element")
        if not isinstance(mutable, bool):
            raise TypeError(f"'{name}': mutable must be True or False, got {mutable!r}")
        arg_sorts = tuple(self._sort_info(s, f"'{name}'").sort for s in args)
        if isinstance(result, z3.SortRef) and result in (z3.BoolSort(), z3.IntSort()):
            pass
        else:
            result = self._sort_info(result, f"'{name}' (result)").sort
        self._symbols[name] = Symbol(name, arg_sorts, result, mutable)

    def relation(self, name: str, *args: Any, mutable: bool = True) -> None:
        """Declare a relation (a Boolean-valued symbol) over declared sorts.

        Parameters
        ----------
        name : str
            Read it as ``s.name(args)`` (or ``s.name`` with no arguments).
        *args : z3.SortRef
            Argument sorts (declared with :meth:`sort`).
        mutable : bool, optional
            False for a rigid relation, the same in every state (such as
            quorum membership).

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> N = ts.sort("node")
        >>> ts.relation("up", N)
        >>> ts.relation("up", N)
        Traceback (most recent call last):
        ...
        ValueError: 'up' is already declared in 't'
        """
        self._declare(name, args, z3.BoolSort(), mutable)

    def function(self, name: str, *args: Any, result: Any, mutable: bool = True) -> None:
        """Declare a function from declared sorts to ``result`` (``z3.IntSort()`` or a sort).

        Examples
        --------
        >>> import z3
        >>> ts = TransitionSystem("t")
        >>> N = ts.sort("node")
        >>> ts.function("term_of", N, result=z3.IntSort())
        >>> ts.symbols["term_of"]
        Symbol(term_of(node) -> Int)
        """
        self._declare(name, args, result, mutable)

    def constant(self, name: str, sort: Any, *, mutable: bool = True) -> None:
        """Declare a constant (a function with no arguments), e.g. an Int counter.

        Examples
        --------
        >>> import z3
        >>> ts = TransitionSystem("jug")
        >>> ts.constant("big", z3.IntSort())
        >>> ts.symbols["big"]
        Symbol(big -> Int)
        """
        self._declare(name, (), sort, mutable)

    def init(self, formula: Formula) -> Formula:
        """Add a condition on initial states (use as a decorator; the name is the function's).

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> ts.constant("x", z3.IntSort())
        >>> @ts.init
        ... def x_is_zero(s):
        ...     return s.x == 0
        >>> [name for name, _ in ts.inits]
        ['x_is_zero']
        """
        ((name, f),) = _named(formula, "init", "init")
        self._check_formula(name, f, f"initial condition '{name}'")
        self._inits.append((name, f))
        return formula

    def axiom(self, formula: Formula) -> Formula:
        """Add an axiom: a fact assumed in every state (use as a decorator).

        Axioms usually constrain rigid symbols, such as "any two quorums share
        a node". A proof is only as good as its axioms: the book shows what
        happens without them.

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> ts.constant("x", z3.IntSort(), mutable=False)
        >>> @ts.axiom
        ... def positive(s):
        ...     return s.x > 0
        >>> [name for name, _ in ts.axioms]
        ['positive']
        """
        ((name, f),) = _named(formula, "axiom", "axiom")
        if name in {n for n, _ in self._axioms}:
            raise ValueError(f"axiom '{name}' is already declared in '{self.name}'")
        self._check_formula(name, f, f"axiom '{name}'")
        self._axioms.append((name, f))
        return formula

    def action(self, **params: Any) -> Callable[[Callable[..., None]], Callable[..., None]]:
        """Declare an action with typed parameters (a decorator; the name is the function's).

        The body gets a :class:`Step` and one z3 constant per parameter; a
        parameter may take any value of its sort (the action is
        nondeterministic in it).

        Parameters
        ----------
        **params : z3.SortRef
            Parameter name -> declared sort, in order.

        Returns
        -------
        decorator

        Raises
        ------
        SpecificationError
            If the body refers to or updates an undeclared symbol, or updates a
            rigid one (the body is run once, symbolically, when declared).

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> N = ts.sort("node")
        >>> ts.relation("up", N)
        >>> @ts.action(n=N)
        ... def start(s, n):
        ...     s.uq[n] = True
        Traceback (most recent call last):
        ...
        dslib.verify.transition.SpecificationError: action 'start' refers to 'uq', which transition system 't' does not declare (it declares: up)
        """  # noqa: E501
        typed = []
        for p, sort in params.items():
            typed.append((p, self._sort_info(sort, f"parameter '{p}'").sort))

        def decorator(body: Callable[..., None]) -> Callable[..., None]:
            name = _identifier(getattr(body, "__name__", None), "action name")
            if name in self._actions:
                raise ValueError(f"action '{name}' is already declared in '{self.name}'")
            action = Action(name, tuple(typed), body)
            self._run(action, self._symbolic(""), self._params(action, ""), check=True)
            self._actions[name] = action
            return body

        return decorator

    def without_axiom(self, name: str) -> TransitionSystem:
        """A copy of the system without the axiom ``name`` (to see what the proof needs).

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> ts.constant("x", z3.IntSort(), mutable=False)
        >>> _ = ts.axiom({"x_positive": lambda s: s.x > 0})
        >>> [n for n, _ in ts.without_axiom("x_positive").axioms]
        []
        """
        names = [n for n, _ in self._axioms]
        if name not in names:
            raise ValueError(
                f"without_axiom: '{self.name}' has no axiom '{name}'; its axioms are "
                f"{', '.join(names) or 'none'}"
            )
        other = copy.copy(self)
        other._sorts = dict(self._sorts)
        other._symbols = dict(self._symbols)
        other._inits = list(self._inits)
        other._actions = dict(self._actions)
        other._axioms = [(n, f) for n, f in self._axioms if n != name]
        other.name = f"{self.name} without {name}"
        return other

    # ---- introspection ------------------------------------------------------

    @property
    def sorts(self) -> tuple[SortInfo, ...]:
        """The sorts, in declaration order."""
        return tuple(self._sorts.values())

    @property
    def symbols(self) -> dict[str, Symbol]:
        """The state symbols by name, in declaration order."""
        return dict(self._symbols)

    @property
    def actions(self) -> tuple[Action, ...]:
        """The actions, in declaration order."""
        return tuple(self._actions.values())

    @property
    def inits(self) -> tuple[tuple[str, Formula], ...]:
        """The initial conditions ``(name, formula)``."""
        return tuple(self._inits)

    @property
    def axioms(self) -> tuple[tuple[str, Formula], ...]:
        """The axioms ``(name, formula)``."""
        return tuple(self._axioms)

    def __repr__(self) -> str:
        def sort_text(info: SortInfo) -> str:
            if info.size is None:
                return f"{info.name} (any size)"
            return f"{info.name} ({', '.join(info.element_names)})"

        rigid = [s.signature() for s in self._symbols.values() if not s.mutable]
        lines = [
            f"TransitionSystem({self.name!r})",
            "  sorts:   " + (", ".join(sort_text(i) for i in self._sorts.values()) or "-"),
        ]
        if rigid:
            lines.append("  rigid:   " + ", ".join(rigid))
        state = [s.signature() for s in self._symbols.values() if s.mutable]
        lines.append("  state:   " + (", ".join(state) or "-"))
        if self._axioms:
            lines.append("  axioms:  " + ", ".join(n for n, _ in self._axioms))
        lines.append("  init:    " + (", ".join(n for n, _ in self._inits) or "-"))
        lines.append("  actions: " + (", ".join(a.signature() for a in self.actions) or "-"))
        return "\n".join(lines)

    # ---- formulas (used by induction and bmc) -------------------------------

    def _symbolic(self, tag: str) -> Reader:
        """Reader of the state copy ``tag`` (mutable symbols get the suffix ``tag``)."""

        def read(symbol: Symbol, args: tuple[Any, ...]) -> Any:
            return symbol.decl(tag)(*args)

        return read

    def _params(self, action: Action, tag: str) -> tuple[Any, ...]:
        return tuple(z3.Const(f"{action.name}.{p}{tag}", s) for p, s in action.params)

    def _allowed(self, extra: Sequence[Any] = ()) -> set[int]:
        ids = {s.decl("").get_id() for s in self._symbols.values()}
        for info in self._sorts.values():
            ids |= {e.decl().get_id() for e in info.elements()}
        ids |= {e.decl().get_id() for e in extra}
        return ids

    def _check_expr(self, expr: Any, role: str, extra: Sequence[Any] = ()) -> None:
        allowed = self._allowed(extra)
        unknown = [d for i, d in _free_decls(expr).items() if i not in allowed]
        if unknown:
            names = ", ".join(sorted(f"'{d.name()}'" for d in unknown))
            raise SpecificationError(
                f"{role} uses {names}, which {'is' if len(unknown) == 1 else 'are'} not part of "
                f"transition system '{self.name}': read the state only through the view "
                "(s.name), and bind variables with z3.ForAll / z3.Exists"
            )

    def _check_formula(self, name: str, formula: Formula, role: str) -> None:
        expr = self._apply(formula, self._symbolic(""), role)
        self._check_expr(expr, role)

    def _apply(self, formula: Formula, reader: Reader, role: str) -> Any:
        value = formula(StateView(self, reader, role))
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if not (isinstance(value, z3.ExprRef) and value.sort() == z3.BoolSort()):
            raise TypeError(f"{role} must return a z3 Boolean expression, got {value!r}")
        return value

    def _check_formulas(self, formulas: list[tuple[str, Formula]], what: str) -> None:
        for name, f in formulas:
            self._check_formula(name, f, f"{what} '{name}'")

    def _run(self, action: Action, reader: Reader, params: tuple[Any, ...], check: bool) -> Effect:
        role = f"action '{action.name}'"
        step = Step(self, reader, role)
        action.body(step, *params)
        requires = z3.And(step._requires) if step._requires else z3.BoolVal(True)
        effect = Effect(requires, step._updates, params)
        if check:
            self._check_expr(requires, role, params)
            for name, updates in step._updates.items():
                sym = self._symbols[name]
                fresh = tuple(
                    z3.Const(f"{name}.arg{i}", s) for i, s in enumerate(sym.arg_sorts, start=1)
                )
                value = effect.post(sym, fresh, reader, role)
                self._check_expr(value, role, (*params, *fresh))
                for _, key, _new in updates:
                    for k in key:
                        self._check_expr(k, role, params)
        return effect

    def _closure_axioms(self) -> list[Any]:
        """Fixed-size sorts: the elements are distinct and there are no others."""
        out = []
        for info in self._sorts.values():
            if info.size is None:
                continue
            elems = info.elements()
            x = z3.Const(f"{info.name}!x", info.sort)
            if len(elems) > 1:
                out.append(z3.Distinct(*elems))
            out.append(z3.ForAll([x], z3.Or([x == e for e in elems])))
        return out

    def _axioms_at(self, reader: Reader) -> list[Any]:
        return [self._apply(f, reader, f"axiom '{n}'") for n, f in self._axioms]

    def _init_at(self, reader: Reader) -> list[Any]:
        return [self._apply(f, reader, f"initial condition '{n}'") for n, f in self._inits]

    def _action(self, name: str) -> Action:
        try:
            return self._actions[name]
        except KeyError:
            raise ValueError(
                f"'{self.name}' has no action '{name}'; its actions are "
                f"{', '.join(self._actions) or 'none'}"
            ) from None

    # ---- concrete states ----------------------------------------------------

    def _check_state(self, state: State, what: str) -> None:
        if not isinstance(state, State):
            raise TypeError(f"{what}: expected a State, got {state!r}")
        missing = sorted(set(self._symbols) - {n for n, _ in state.values})
        sorts = {s for s, _ in state.elements}
        missing_sorts = sorted(set(self._sorts) - sorts)
        if missing or missing_sorts:
            raise ValueError(
                f"{what}: the state does not fit '{self.name}' (missing symbols {missing}, "
                f"sorts {missing_sorts})"
            )

    def _concrete(self, state: State) -> tuple[Reader, list[Any], dict[str, dict[str, Any]]]:
        """A reader that spells out ``state`` as formulas over its elements, and their axioms."""
        consts: dict[str, dict[str, Any]] = {}
        facts: list[Any] = []
        for sort_name, names in state.elements:
            info = self._sorts[sort_name]
            if info.size is None:
                elems = [z3.Const(f"{sort_name}!{i}", info.sort) for i in range(1, len(names) + 1)]
            else:
                if tuple(names) != info.element_names:
                    raise ValueError(
                        f"the state's elements of sort '{sort_name}' are {names}, but the sort "
                        f"has exactly {info.element_names}"
                    )
                elems = list(info.elements())
            consts[sort_name] = dict(zip(names, elems, strict=True))
            x = z3.Const(f"{sort_name}!x", info.sort)
            if len(elems) > 1:
                facts.append(z3.Distinct(*elems))
            facts.append(z3.ForAll([x], z3.Or([x == e for e in elems])))
        sort_of = {info.sort.name(): info.name for info in self._sorts.values()}

        def element(sort: Any, name: str) -> Any:
            return consts[sort_of[sort.name()]][name]

        def lift(symbol: Symbol, value: Any) -> Any:
            if symbol.result == z3.BoolSort():
                return z3.BoolVal(bool(value))
            if symbol.result == z3.IntSort():
                return z3.IntVal(value)
            return element(symbol.result, value)

        def read(symbol: Symbol, args: tuple[Any, ...]) -> Any:
            value = state[symbol.name]
            if not symbol.arg_sorts:
                return lift(symbol, value)
            if symbol.is_relation:
                if not value:
                    return z3.BoolVal(False)
                return z3.Or(
                    [
                        z3.And(
                            [
                                a == element(s, n)
                                for a, s, n in zip(args, symbol.arg_sorts, t, strict=True)
                            ]
                        )
                        for t in sorted(value)
                    ]
                )
            result = None
            for key, val in sorted(value.items()):
                here = z3.And(
                    [
                        a == element(s, n)
                        for a, s, n in zip(args, symbol.arg_sorts, key, strict=True)
                    ]
                )
                result = (
                    lift(symbol, val) if result is None else z3.If(here, lift(symbol, val), result)
                )
            return result

        return read, facts, consts

    def _decide(self, facts: list[Any], claim: Any, what: str) -> bool:
        solver = new_solver()
        solver.add(*facts)
        solver.push()
        solver.add(z3.Not(claim))
        if solver.check() == z3.unsat:
            return True
        solver.pop()
        solver.add(claim)
        if solver.check() == z3.unsat:
            return False
        raise RuntimeError(f"{what}: z3 could not decide the formula on this finite state")

    def evaluate(self, formula: Formula, state: State) -> bool:
        """Whether ``formula`` is true in the concrete ``state``.

        This is independent of how the state was found: a fresh z3 solver is
        given the state's elements (distinct, and no others) and the tables of
        its relations, and decides the formula.

        Parameters
        ----------
        formula : Formula
            A function of the state returning a z3 Boolean.
        state : State
            A concrete state of this system (from a counterexample or a trace).

        Returns
        -------
        bool

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> N = ts.sort("node")
        >>> ts.relation("up", N)
        >>> st = State((("node", ("node1", "node2")),), (("up", frozenset({("node1",)})),))
        >>> n = z3.Const("n", N)
        >>> ts.evaluate(lambda s: z3.Exists([n], s.up(n)), st)
        True
        >>> ts.evaluate(lambda s: z3.ForAll([n], s.up(n)), st)
        False
        """
        self._check_state(state, "evaluate")
        ((name, f),) = _named(formula, "evaluate", "formula")
        reader, facts, _ = self._concrete(state)
        claim = self._apply(f, reader, f"formula '{name}'")
        return self._decide(facts, claim, "evaluate")

    def is_step(self, before: State, action: str, params: Mapping[str, str], after: State) -> bool:
        """Whether ``action(params)`` is enabled in ``before`` and leads to exactly ``after``.

        Like :meth:`evaluate`, this recomputes the step from the action's body
        on concrete states, independently of the solver that found them.

        Parameters
        ----------
        before, after : State
            Concrete states over the same elements.
        action : str
            The action's name.
        params : mapping of str to str
            Parameter name -> element name.

        Returns
        -------
        bool

        Examples
        --------
        >>> ts = TransitionSystem("t")
        >>> N = ts.sort("node")
        >>> ts.relation("up", N)
        >>> @ts.action(n=N)
        ... def start(s, n):
        ...     s.require(z3.Not(s.up(n)))
        ...     s.up[n] = True
        >>> nodes = (("node", ("node1",)),)
        >>> down = State(nodes, (("up", frozenset()),))
        >>> up = State(nodes, (("up", frozenset({("node1",)})),))
        >>> ts.is_step(down, "start", {"n": "node1"}, up)
        True
        >>> ts.is_step(up, "start", {"n": "node1"}, up)
        False
        """
        self._check_state(before, "is_step")
        self._check_state(after, "is_step")
        if before.elements != after.elements:
            raise ValueError("is_step: before and after must have the same elements")
        act = self._action(action)
        if sorted(params) != sorted(p for p, _ in act.params):
            raise ValueError(
                f"is_step: {action} takes parameters {[p for p, _ in act.params]}, got "
                f"{sorted(params)}"
            )
        read_before, facts, consts = self._concrete(before)
        read_after, _, _ = self._concrete(after)
        sort_of = {info.sort.name(): info.name for info in self._sorts.values()}
        args = tuple(consts[sort_of[s.name()]][params[p]] for p, s in act.params)
        effect = self._run(act, read_before, args, check=False)
        claims = [effect.requires]
        for sym in self._symbols.values():
            for tup in self._ground(sym, consts):
                new = effect.post(sym, tup, read_before, f"action '{action}'")
                claims.append(new == read_after(sym, tup))
        return self._decide(facts, z3.And(claims), "is_step")

    def _ground(
        self, symbol: Symbol, consts: Mapping[str, Mapping[str, Any]]
    ) -> Iterator[tuple[Any, ...]]:
        sort_of = {info.sort.name(): info.name for info in self._sorts.values()}
        pools = [list(consts[sort_of[s.name()]].values()) for s in symbol.arg_sorts]
        yield from itertools.product(*pools)
