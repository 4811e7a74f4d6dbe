"""Explicit-state model checking: explore every interleaving, find the shortest failure.

The simulator shows *one* execution of a system; ``dslib.check`` explores
*all* of them, up to a bound, and checks properties in every state it reaches.

- ``Model``: a transition system (initial states, labelled actions), the level
  of a TLA+-style specification;
- ``ActorModel(system, ...)``: a ``System`` of nodes as a ``Model``, with a
  choice of network (unordered, FIFO, lossy, duplicating), crashes and
  restarts, timers, ``ctx.choose`` and client histories;
- ``check(model, invariants=..., goals=..., eventually=..., leads_to=...)``: breadth-first
  (shortest counterexamples), depth-first or random search, returning a
  ``CheckResult``;
- ``Symmetry``: count one state per orbit of interchangeable nodes or values;
- ``check_eventually``, ``check_leads_to`` and ``Lasso``: liveness under weak
  and strong fairness, as in TLA+;
- ``Counterexample``, ``replay``: traces a reader can follow, as a table and
  in the simulator (then ``dslib.viz.space_time_diagram(sim.trace)``);
- ``state_graph``: the whole graph of a small model, to draw it;
- ``dslib.check.specs``: two TLA+ specifications from the literature (EWD 840
  termination detection, Lamport's mutual exclusion) as models, to compare
  the checker's answers with TLC's.

Examples
--------
>>> from dslib.check import check
>>> from dslib.small_systems.twophase import TwoPhase, consistent
>>> result = check(TwoPhase(3), invariants=[consistent])
>>> print(result.summary())
ok: every reachable state explored (bfs; 288 distinct states, 1,145 generated; depth 10)
"""

from dslib.check.actor import Action, ActorModel, ActorState
from dslib.check.counterexample import Counterexample, Lasso, Step, replay
from dslib.check.graph import StateGraph, state_graph
from dslib.check.liveness import check_eventually, check_leads_to
from dslib.check.model import Model, ModelError, describe_changes
from dslib.check.search import CheckResult, check
from dslib.check.symmetry import Symmetry, rename

__all__ = [
    "Action",
    "ActorModel",
    "ActorState",
    "CheckResult",
    "Counterexample",
    "Lasso",
    "Model",
    "ModelError",
    "StateGraph",
    "Step",
    "Symmetry",
    "check",
    "check_eventually",
    "check_leads_to",
    "describe_changes",
    "rename",
    "replay",
    "state_graph",
]
