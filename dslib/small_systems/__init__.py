"""The small systems of chapter 3, on which the toolbox for knowing that a system works is tried.

Each is small on purpose: small enough to check exhaustively or to read in one sitting,
yet with the bugs of its kind (a lost update, a livelock, a decision forgotten in a crash),
so that every instrument of chapter 3 is shown catching a real one. One module each,
imported as modules (``from dslib.small_systems.mutex import ricart_agrawala``):

- ``dslib.small_systems.puzzles``: the water-jug puzzle, the first model to check
  (section 3.1);
- ``dslib.small_systems.mutex``: mutual exclusion, as shared-memory specifications
  (``CheckThenSet``, ``Polite``, ``Peterson``) and as Ricart and Agrawala's nodes
  (sections 3.0, 3.1, 3.2 and 3.5);
- ``dslib.small_systems.twophase``: two-phase commit, as the TLA+ ``TwoPhase``
  specification and as nodes (sections 3.1, 3.2 and 3.5; chapter 13 reuses its
  ``consistent``);
- ``dslib.small_systems.registers``: replicated registers, primary-backup and ABD, with
  the bugs that only a fault reveals (section 3.3);
- ``dslib.small_systems.fault_bugs``: an at-most-once counter whose bugs need exactly 1,
  2 or 3 faults in order, with the shortest failing schedules found by hand: the
  yardstick ``benchmarks/bench_find_bug.py`` measures ``find_bug`` on (section 3.3).

Until the next release the old paths (``dslib.mutex``, ``dslib.twophase``,
``dslib.puzzles``, ``dslib.registers``) still import, with a ``DeprecationWarning``.

Examples
--------
>>> from dslib.check import check
>>> from dslib.small_systems import puzzles
>>> check(puzzles.WaterJugs(), invariants={"big != 4": lambda s: s.big != 4}).ok
False
"""

from dslib.small_systems import fault_bugs, mutex, puzzles, registers, twophase

__all__ = ["fault_bugs", "mutex", "puzzles", "registers", "twophase"]
