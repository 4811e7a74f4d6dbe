"""The water-jug puzzle: bounded model checking, model checking and proof side by side.

Two jugs hold 3 and 5 gallons; you may fill a jug, empty it, or pour one into
the other until the source is empty or the target is full. Can you measure
exactly 4 gallons? State the goal as a safety property, "the big jug never
holds 4" (:func:`big_is_not_4`), and a violation of it is a solution:
:func:`dslib.verify.bmc` finds the shortest one, 6 steps, and proves that none
has 5 or fewer.

With jugs of 3 and 6 gallons, 4 cannot be measured. BMC cannot show that
(no solution in ``k`` steps says nothing about ``k + 1``); exhaustive search of
the finite state space (:func:`explore`) can, for those two jugs; and an
inductive invariant, "both amounts are multiples of 3"
(:func:`amounts_divisible_by`), proves it for *every* pair of jugs whose sizes
are multiples of 3, a claim no finite search can make.

The capacities are rigid constants (``small_capacity``, ``big_capacity``),
fixed by an axiom, or only constrained (``small=None``, ``big=None``).

Examples
--------
>>> from dslib.verify import bmc
>>> bmc(water_jug(), 10, big_is_not_4).steps
6
>>> 4 in {b for _, b in explore(3, 6)}
False
"""

from __future__ import annotations

from collections import deque
from typing import Any

import z3

from dslib.verify.transition import Formula, StateView, Step, TransitionSystem

__all__ = [
    "amounts_divisible_by",
    "amounts_in_range",
    "big_is_not",
    "big_is_not_4",
    "explore",
    "water_jug",
]


def _capacity(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"water_jug: {name} must be a positive int or None, got {value!r}")
    return value


def water_jug(
    small: int | None = 3, big: int | None = 5, *, common_divisor: int | None = None
) -> TransitionSystem:
    """The two-jug puzzle as a transition system.

    Parameters
    ----------
    small, big : int or None, optional
        The capacities (default 3 and 5). None leaves a capacity symbolic: any
        positive integer.
    common_divisor : int, optional
        An axiom that both capacities are multiples of this number (to prove
        a fact about every such pair of jugs).

    Returns
    -------
    TransitionSystem
        State: ``small`` and ``big``, the gallons in each jug (Int); rigid
        ``small_capacity`` and ``big_capacity``.

    Examples
    --------
    >>> water_jug()
    TransitionSystem('water jugs 3 and 5')
      sorts:   -
      rigid:   small_capacity -> Int, big_capacity -> Int
      state:   small -> Int, big -> Int
      axioms:  capacities
      init:    both_empty
      actions: fill_small(), fill_big(), empty_small(), empty_big(), pour_small_into_big(), pour_big_into_small()
    """  # noqa: E501
    small = _capacity(small, "small")
    big = _capacity(big, "big")
    if common_divisor is not None:
        _capacity(common_divisor, "common_divisor")
    label = f"water jugs {small or 'S'} and {big or 'B'}"
    if common_divisor is not None:
        label += f", multiples of {common_divisor}"
    ts = TransitionSystem(label)
    ts.constant("small_capacity", z3.IntSort(), mutable=False)
    ts.constant("big_capacity", z3.IntSort(), mutable=False)
    ts.constant("small", z3.IntSort())
    ts.constant("big", z3.IntSort())

    @ts.axiom
    def capacities(s: StateView) -> Any:
        facts = [s.small_capacity > 0, s.big_capacity > 0]
        if small is not None:
            facts.append(s.small_capacity == small)
        if big is not None:
            facts.append(s.big_capacity == big)
        if common_divisor is not None:
            facts += [s.small_capacity % common_divisor == 0, s.big_capacity % common_divisor == 0]
        return z3.And(facts)

    @ts.init
    def both_empty(s: StateView) -> Any:
        return z3.And(s.small == 0, s.big == 0)

    @ts.action()
    def fill_small(s: Step) -> None:
        s.small = s.small_capacity

    @ts.action()
    def fill_big(s: Step) -> None:
        s.big = s.big_capacity

    @ts.action()
    def empty_small(s: Step) -> None:
        s.small = 0

    @ts.action()
    def empty_big(s: Step) -> None:
        s.big = 0

    def pour(s: Step, source: str, target: str) -> None:
        # Until the source is empty or the target full, whichever comes first.
        have = getattr(s, source)
        room = getattr(s, f"{target}_capacity") - getattr(s, target)
        amount = z3.If(have < room, have, room)
        setattr(s, source, have - amount)
        setattr(s, target, getattr(s, target) + amount)

    @ts.action()
    def pour_small_into_big(s: Step) -> None:
        pour(s, "small", "big")

    @ts.action()
    def pour_big_into_small(s: Step) -> None:
        pour(s, "big", "small")

    return ts


def big_is_not(target: int) -> Formula:
    """The property "the big jug never holds ``target`` gallons" (its violation is a solution).

    Examples
    --------
    >>> big_is_not(4).__name__
    'big_is_not_4'
    """
    if isinstance(target, bool) or not isinstance(target, int):
        raise TypeError(f"big_is_not: target must be an int, got {target!r}")

    def prop(s: StateView) -> Any:
        return s.big != target

    prop.__name__ = prop.__qualname__ = f"big_is_not_{target}"
    return prop


def big_is_not_4(s: StateView) -> Any:
    """The big jug never holds exactly 4 gallons (Die Hard with a Vengeance).

    Examples
    --------
    >>> from dslib.verify import bmc
    >>> bmc(water_jug(), 6, big_is_not_4).found
    True
    """
    return s.big != 4


def amounts_in_range(s: StateView) -> Any:
    """Each jug holds between 0 and its capacity.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(water_jug(), [amounts_in_range]).proved
    True
    """
    return z3.And(s.small >= 0, s.small <= s.small_capacity, s.big >= 0, s.big <= s.big_capacity)


def amounts_divisible_by(d: int) -> Formula:
    """The invariant "both amounts are multiples of ``d``" (inductive when the capacities are).

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> jugs = water_jug(None, None, common_divisor=3)
    >>> check_inductive(jugs, [amounts_divisible_by(3), big_is_not_4]).proved
    True
    """
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"amounts_divisible_by: d must be a positive int, got {d!r}")

    def inv(s: StateView) -> Any:
        return z3.And(s.small % d == 0, s.big % d == 0)

    inv.__name__ = inv.__qualname__ = f"amounts_divisible_by_{d}"
    return inv


def explore(small: int, big: int) -> dict[tuple[int, int], int]:
    """Every reachable state ``(small, big)`` and its distance from ``(0, 0)``, by BFS.

    Explicit-state model checking in ten lines: it is complete for these two
    jugs (the state space is finite), and says nothing about other jugs.

    Parameters
    ----------
    small, big : int
        The capacities.

    Returns
    -------
    dict of (int, int) to int
        Reachable states, sorted, with the fewest steps to reach each.

    Examples
    --------
    >>> states = explore(3, 5)
    >>> min(d for (s, b), d in states.items() if b == 4)
    6
    """
    _capacity(small, "small")
    _capacity(big, "big")
    seen = {(0, 0): 0}
    todo = deque([(0, 0)])
    while todo:
        s, b = todo.popleft()
        pour_sb = min(s, big - b)
        pour_bs = min(b, small - s)
        for nxt in [
            (small, b),
            (s, big),
            (0, b),
            (s, 0),
            (s - pour_sb, b + pour_sb),
            (s + pour_bs, b - pour_bs),
        ]:
            if nxt not in seen:
                seen[nxt] = seen[(s, b)] + 1
                todo.append(nxt)
    return dict(sorted(seen.items()))
