"""Symmetry reduction: count one state per orbit of interchangeable nodes or values.

When three resource managers run the same code, the state "rm1 prepared, rm2
working" and the state "rm2 prepared, rm1 working" are the same situation with
the names swapped: whatever can happen from one can happen from the other,
with the names swapped. A permutation of interchangeable names maps reachable
states to reachable states and keeps every symmetric property true or false.
The states that can be turned into each other form an *orbit*; the checker
needs to visit only one state per orbit.

``Symmetry`` gives the checker an orbit-invariant fingerprint: the smallest
hash among the images of a state under every permutation of the group
(``fingerprint``), or the hash of a canonical form that the model computes
itself, faster (``key``). Because the fingerprint is the same for every state
of an orbit, the number of distinct fingerprints the search finds is the
number of orbits, whatever the search order. The states the search keeps are
real states (not permuted ones), so a counterexample is a real execution that
replays as it is.

The caller promises that the group is a symmetry of the model: the initial
states, the actions and every property checked are unchanged when names are
permuted. (A property such as "rm1 commits first" is not symmetric.)

Examples
--------
States are pairs of (name, count) sorted by name; "a" and "b" are interchangeable:

>>> def permute(state, mapping):
...     return tuple(sorted((mapping[name], n) for name, n in state))
>>> sym = Symmetry(permute, ["a", "b"])
>>> len(sym.permutations)
2
>>> sym.fingerprint((("a", 1), ("b", 0))) == sym.fingerprint((("a", 0), ("b", 1)))
True
>>> sorted(sym.orbit((("a", 1), ("b", 0))))
[(('a', 0), ('b', 1)), (('a', 1), ('b', 0))]
>>> sym.canonical((("a", 1), ("b", 0)))
(('a', 0), ('b', 1))
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from dslib.core import stable_repr

__all__ = ["Symmetry", "rename"]

S = TypeVar("S", bound=Hashable)

MAX_PERMUTATIONS = 100_000
"""Refuse groups larger than this (10! = 3,628,800 images per state is hopeless)."""


class Symmetry(Generic[S]):
    """A group of permutations of names under which a model is unchanged.

    Parameters
    ----------
    permute : callable
        ``permute(state, mapping)`` returns the state with every name ``n``
        replaced by ``mapping[n]`` (``mapping`` covers every name of every
        group; other values are left alone).
    *groups : sequence of hashable
        Each group is a set of interchangeable names; the symmetry group is
        every permutation within each group (all groups at once).
    key : callable, optional
        ``key(state)`` returns a canonical form: equal for two states of one
        orbit, different for states of different orbits. Faster than trying
        every permutation; ``permute`` is still used by ``orbit`` and tests.

    Attributes
    ----------
    permutations : list of dict
        Every permutation of the group as a mapping, the identity first.

    Raises
    ------
    ValueError
        If no group is given, a group has repeated names, a name is in two
        groups, or the group has more than 100,000 permutations.
    TypeError
        If ``permute`` or ``key`` is not callable.

    Examples
    --------
    Two groups of two: four permutations, the identity first.

    >>> sym = Symmetry(lambda s, m: s, ["a", "b"], ["x", "y"])
    >>> sym.permutations[0], len(sym.permutations)
    ({'a': 'a', 'b': 'b', 'x': 'x', 'y': 'y'}, 4)
    """

    def __init__(
        self,
        permute: Callable[[S, Mapping[Any, Any]], S],
        *groups: Sequence[Hashable],
        key: Callable[[S], Hashable] | None = None,
    ) -> None:
        if not callable(permute):
            raise TypeError(
                f"Symmetry: permute={permute!r} must be a function (state, mapping) -> state"
            )
        if key is not None and not callable(key):
            raise TypeError(f"Symmetry: key={key!r} must be a function of a state")
        if not groups:
            raise ValueError(
                "Symmetry: give at least one group of interchangeable names, "
                "e.g. Symmetry(permute, ['rm1', 'rm2', 'rm3'])"
            )
        seen: set[Hashable] = set()
        clean: list[tuple[Hashable, ...]] = []
        for group in groups:
            if isinstance(group, (str, bytes)) or not isinstance(group, Sequence):
                raise ValueError(
                    f"Symmetry: group {group!r} must be a list of names, e.g. ['a', 'b']"
                )
            names = tuple(group)
            if len(set(names)) != len(names):
                raise ValueError(f"Symmetry: group {list(names)!r} repeats a name")
            if seen & set(names):
                raise ValueError(
                    f"Symmetry: names {sorted(map(str, seen & set(names)))} are in two groups"
                )
            seen |= set(names)
            clean.append(names)
        size = math.prod(math.factorial(len(g)) for g in clean)
        if size > MAX_PERMUTATIONS:
            raise ValueError(
                f"Symmetry: the group has {size} permutations (more than {MAX_PERMUTATIONS}); "
                "give a canonical key=... instead of trying every permutation"
            )
        self.groups: tuple[tuple[Hashable, ...], ...] = tuple(clean)
        self.permute = permute
        self.key = key
        per_group = [
            [dict(zip(g, p, strict=True)) for p in itertools.permutations(g)] for g in clean
        ]
        self.permutations: list[dict[Any, Any]] = []
        for combo in itertools.product(*per_group):
            mapping: dict[Any, Any] = {}
            for part in combo:
                mapping.update(part)
            self.permutations.append(mapping)

    def fingerprint(self, state: S) -> int:
        """An orbit-invariant hash of ``state`` (for an in-process visited set only).

        With ``key``: ``hash(key(state))``. Otherwise the smallest hash among
        the images of ``state`` under every permutation, which is the same for
        every state of the orbit.
        """
        if self.key is not None:
            return hash(self.key(state))
        permute = self.permute
        return min([hash(permute(state, p)) for p in self.permutations])

    def orbit(self, state: S) -> frozenset[S]:
        """Every state that a permutation of the group turns ``state`` into."""
        return frozenset(self.permute(state, p) for p in self.permutations)

    def canonical(self, state: S) -> S:
        """The orbit's representative with the smallest stable rendering (for display)."""
        return min(self.orbit(state), key=stable_repr)

    def __repr__(self) -> str:
        groups = ", ".join(repr(list(g)) for g in self.groups)
        return f"Symmetry({groups}, {len(self.permutations)} permutations)"


_FIELDS: dict[type, tuple[str, ...]] = {}


def rename(value: Any, mapping: Mapping[Any, Any]) -> Any:
    """Replace every name in ``value`` by ``mapping[name]``, looking inside containers.

    Strings and integers (not booleans) that are keys of ``mapping`` are
    replaced; tuples (named tuples too), lists, frozensets, sets, dicts and
    dataclasses are rebuilt with their contents renamed; anything else is
    returned unchanged. Used to permute node ids inside node states and
    messages.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Vote:
    ...     voter: str
    ...     granted: bool
    >>> vote, voters = rename((Vote("a", True), frozenset({"a", "c"})), {"a": "b", "b": "a"})
    >>> vote, sorted(voters)
    (Vote(voter='b', granted=True), ['b', 'c'])
    """
    t = type(value)
    if t is str or (t is int):
        return mapping.get(value, value)
    if t is tuple:
        return tuple([rename(v, mapping) for v in value])
    if t is frozenset:
        return frozenset([rename(v, mapping) for v in value])
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return t(*[rename(v, mapping) for v in value])
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELDS.get(t)
        if names is None:
            names = tuple(f.name for f in dataclasses.fields(value))
            _FIELDS[t] = names
        new = object.__new__(t)
        for name in names:
            object.__setattr__(new, name, rename(getattr(value, name), mapping))
        return new
    if t is list:
        return [rename(v, mapping) for v in value]
    if t is set:
        return {rename(v, mapping) for v in value}
    if t is dict:
        return {rename(k, mapping): rename(v, mapping) for k, v in value.items()}
    if isinstance(value, str):
        return mapping.get(value, value)
    return value
