"""What the model checker explores: a ``Model`` of initial states and labelled actions.

A model is a *transition system*: some initial states and, for every state,
the actions enabled in it, each with a label (what happened) and the state it
leads to. That is all the checker needs, and it is the level at which a
TLA+-style specification is written: a state is a value, an action is a
function of it. ``dslib.check.ActorModel`` turns a ``System`` of nodes into the
same kind of model, so that one checker serves both the specification and the
code.

States must be immutable and hashable (tuples, frozensets, frozen dataclasses,
named tuples): the checker remembers them by their hash. Labels may be any
value; the checker prints them with ``str``.

Examples
--------
A counter that may go up by one or by two, up to 4:

>>> def steps(n):
...     if n + 1 <= 4:
...         yield "add 1", n + 1
...     if n + 2 <= 4:
...         yield "add 2", n + 2
>>> m = Model(init=[0], actions=steps, name="counter")
>>> m
Model('counter')
>>> list(m.actions(3))
[('add 1', 4)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from dslib.core import stable_repr
from dslib.errors import DslibError

if TYPE_CHECKING:
    from dslib.check.symmetry import Symmetry

__all__ = ["Model", "ModelError", "describe_changes", "short_repr"]

S = TypeVar("S", bound=Hashable)


class ModelError(DslibError, ValueError):
    """A model broke the rules of the checker.

    Raised, with the state and the action named, when ``actions`` returns
    ``None`` or something that is not ``(label, next_state)`` pairs, when an
    action produces ``None`` or a state that is not hashable, and when a
    property (an invariant, a goal, a boundary) raises instead of answering.
    The original exception, if any, is chained (``__cause__``).

    Examples
    --------
    >>> from dslib.check import check
    >>> check(Model(init=[0], actions=lambda n: None))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.check.model.ModelError: Model: actions() returned None for the initial state: 0; ...
    """


class Model(Generic[S]):
    """A transition system: initial states and labelled actions.

    Either pass the two functions, or subclass and override ``init_states``
    and ``actions``.

    Parameters
    ----------
    init : iterable of states, optional
        The initial states (at least one), each an immutable hashable value.
    actions : callable, optional
        ``actions(state)`` returns (or yields) the pairs ``(label, next_state)``
        of every action enabled in ``state``; nothing when none is.
    name : str, optional
        A name for the model, used in messages.

    Attributes
    ----------
    name : str
        The model's name.
    symmetry : Symmetry or None
        If set, the checker counts states up to this symmetry (one state per
        orbit); see ``dslib.check.Symmetry``.

    Notes
    -----
    Optional hooks that a subclass may override: ``describe(state)`` (how a
    state is printed), ``changes(before, after, action)`` (the "what changed"
    column of a counterexample), ``actor(action)`` (which node or process
    acts, for the "node" column), ``fairness(action)`` and
    ``strong_fairness(action)`` (the weak- and strong-fairness classes of an
    action, for liveness; see ``dslib.check.liveness``) and
    ``validate(state, action)`` (called only to explain an error, e.g. which
    node returned an unhashable state).

    Examples
    --------
    >>> class Toggle(Model[bool]):
    ...     def init_states(self):
    ...         return [False]
    ...     def actions(self, state):
    ...         return [("flip", not state)]
    >>> list(Toggle().actions(False))
    [('flip', True)]
    """

    symmetry: Symmetry | None = None

    def __init__(
        self,
        init: Iterable[S] | None = None,
        actions: Callable[[S], Iterable[tuple[Any, S]]] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if init is not None:
            if isinstance(init, (str, bytes)) or not isinstance(init, Iterable):
                raise TypeError(
                    f"Model: init={init!r} must be an iterable of initial states, "
                    "e.g. init=[(0, 0)] for one initial state (0, 0)"
                )
            init = list(init)
            if not init:
                raise ValueError("Model: init is empty; give at least one initial state")
        if actions is not None and not callable(actions):
            raise TypeError(
                f"Model: actions={actions!r} must be a function of a state returning "
                "(label, next_state) pairs"
            )
        self._init: list[S] | None = init
        self._actions = actions
        self.name = name if name is not None else type(self).__name__

    def init_states(self) -> Iterable[S]:
        """The initial states."""
        if self._init is None:
            raise NotImplementedError(
                f"{type(self).__name__}: pass init=[...] or override init_states()"
            )
        return self._init

    def actions(self, state: S) -> Iterable[tuple[Any, S]]:
        """The pairs ``(label, next_state)`` of every action enabled in ``state``."""
        if self._actions is None:
            raise NotImplementedError(
                f"{type(self).__name__}: pass actions=... or override actions(state)"
            )
        return self._actions(state)

    # -- hooks for display, liveness and error messages -------------------------------
    def describe(self, state: S) -> str:
        """How a state is printed (a stable rendering: sets sorted, dataclasses by field)."""
        return stable_repr(state)

    def changes(self, before: S | None, after: S, action: Any) -> str:
        """What ``action`` changed from ``before`` to ``after``, for a counterexample's table."""
        if before is None:
            return self.describe(after)
        return describe_changes(before, after)

    def actor(self, action: Any) -> str | None:
        """Which node or process takes ``action`` (``None``: not known)."""
        return None

    def fairness(self, action: Any) -> Hashable | None:
        """The weak-fairness class of ``action``; ``None`` means no fairness.

        Liveness checking assumes weak fairness for every class: an action
        class that stays enabled forever is taken infinitely often (a step
        that leaves the state unchanged does not count, as in TLA+). By
        default every label is its own class (weak fairness on each action).
        """
        return action

    def strong_fairness(self, action: Any) -> Hashable | None:
        """The strong-fairness class of ``action``; ``None`` (the default) means none.

        A strongly fair class that is enabled infinitely often, even with
        gaps, is taken infinitely often (TLA+ ``SF``). By default no action is
        strongly fair; pass ``strong_fairness=`` to the check, or override.
        """
        return None

    def validate(self, state: S, action: Any) -> None:
        """Raise an explanatory error if ``state`` is malformed (used to explain errors)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def short_repr(value: Any, width: int = 300) -> str:
    """A stable rendering of ``value`` cut to ``width`` characters, for error messages.

    >>> short_repr(frozenset({"b", "a"}))
    "frozenset({'a', 'b'})"
    >>> short_repr(tuple(range(100)), width=20)
    '(0, 1, 2, 3, 4, 5...'
    """
    try:
        text = stable_repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _fields(value: Any) -> list[tuple[str, Any]] | None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return list(zip(value._fields, value, strict=True))
    return None


def _diff(path: str, old: Any, new: Any, out: list[str], depth: int) -> None:
    if old == new:
        return
    if depth > 0 and type(old) is type(new):
        old_fields = _fields(old)
        if old_fields is not None:
            new_fields = _fields(new)
            assert new_fields is not None
            for (name, a), (_, b) in zip(old_fields, new_fields, strict=True):
                _diff(f"{path}.{name}" if path else name, a, b, out, depth - 1)
            return
        if isinstance(old, tuple) and len(old) == len(new):
            for i, (a, b) in enumerate(zip(old, new, strict=True)):
                _diff(f"{path}[{i}]", a, b, out, depth - 1)
            return
        if isinstance(old, frozenset):
            added = sorted(stable_repr(v) for v in new - old)
            removed = sorted(stable_repr(v) for v in old - new)
            parts = [f"+{a}" for a in added] + [f"-{r}" for r in removed]
            out.append(f"{path}: {' '.join(parts)}" if path else " ".join(parts))
            return
    prefix = f"{path}: " if path else ""
    out.append(f"{prefix}{stable_repr(old)} → {stable_repr(new)}")


def describe_changes(before: Any, after: Any, depth: int = 3, name: str = "") -> str:
    """Say what differs between two states, field by field.

    Dataclasses and named tuples are compared field by field, tuples of equal
    length position by position, frozensets as elements added (``+``) and
    removed (``-``); anything else as ``old → new``.

    Parameters
    ----------
    before, after : any
        The two states.
    depth : int, default 3
        How deep to look inside nested values.
    name : str, optional
        A name for the whole value, put in front of each path (``"tm"`` gives
        ``tm.status: ...``).

    Returns
    -------
    str
        The changes separated by ``"; "``, or ``"(no change)"``.

    Examples
    --------
    >>> from typing import NamedTuple
    >>> class Jugs(NamedTuple):
    ...     small: int
    ...     big: int
    >>> describe_changes(Jugs(0, 5), Jugs(3, 2))
    'small: 0 → 3; big: 5 → 2'
    >>> describe_changes((("a", 1), frozenset({1})), (("a", 2), frozenset({1, 2})))
    '[0][1]: 1 → 2; [1]: +2'
    >>> describe_changes("working", "prepared", name="rm1")
    "rm1: 'working' → 'prepared'"
    >>> describe_changes(1, 1)
    '(no change)'
    """
    out: list[str] = []
    _diff(name, before, after, out, depth)
    return "; ".join(out) if out else "(no change)"
