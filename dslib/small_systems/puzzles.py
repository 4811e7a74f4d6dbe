"""Puzzles that are small state spaces: the first models of the model-checking chapter.

The water-jug puzzle from *Die Hard with a Vengeance*: with a 3-gallon and a
5-gallon jug and a tap, measure exactly 4 gallons. A state is how much water
each jug holds; an action fills a jug, empties it, or pours one into the other
until the first is empty or the second is full. Claim "the big jug never
holds 4 gallons" as an invariant, and the model checker's counterexample is
the solution, a shortest one when the search is breadth first.

Examples
--------
>>> from dslib.check import check
>>> result = check(WaterJugs(), invariants={"big jug never holds 4": lambda s: s.big != 4})
>>> for action in result.counterexample.actions:
...     print(action)
fill big
pour big into small
empty small
pour big into small
fill big
pour big into small
"""

from __future__ import annotations

from typing import NamedTuple

from dslib.check.model import Model

__all__ = ["Jugs", "WaterJugs"]


class Jugs(NamedTuple):
    """How many gallons each jug holds.

    >>> Jugs(small=3, big=4).big
    4
    """

    small: int
    big: int


class WaterJugs(Model[Jugs]):
    """Two jugs of ``small`` and ``big`` gallons, a tap and a drain.

    Parameters
    ----------
    small : int, default 3
        The capacity of the small jug.
    big : int, default 5
        The capacity of the big jug.

    Examples
    --------
    >>> m = WaterJugs()
    >>> [label for label, _ in m.actions(Jugs(0, 5))]
    ['fill small', 'empty big', 'pour big into small']
    """

    def __init__(self, small: int = 3, big: int = 5) -> None:
        for name, value in (("small", small), ("big", big)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
                raise ValueError(f"WaterJugs: {name}={value!r} must be an int >= 1")
        if small > big:
            raise ValueError(f"WaterJugs: small={small} is larger than big={big}")
        super().__init__(name=f"WaterJugs({small}, {big})")
        self.small = small
        self.big = big

    def init_states(self) -> list[Jugs]:
        """Both jugs empty."""
        return [Jugs(0, 0)]

    def actions(self, s: Jugs) -> list[tuple[str, Jugs]]:
        """Fill, empty or pour, each when it changes something."""
        out = []
        if s.small < self.small:
            out.append(("fill small", Jugs(self.small, s.big)))
        if s.big < self.big:
            out.append(("fill big", Jugs(s.small, self.big)))
        if s.small > 0:
            out.append(("empty small", Jugs(0, s.big)))
        if s.big > 0:
            out.append(("empty big", Jugs(s.small, 0)))
        if s.small > 0 and s.big < self.big:
            moved = min(s.small, self.big - s.big)
            out.append(("pour small into big", Jugs(s.small - moved, s.big + moved)))
        if s.big > 0 and s.small < self.small:
            moved = min(s.big, self.small - s.small)
            out.append(("pour big into small", Jugs(s.small + moved, s.big - moved)))
        return out
