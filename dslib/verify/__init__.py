"""``dslib.verify``: z3 proofs of the safety arguments of the book.

Three tools, each on z3 (de Moura and Bjørner, TACAS 2008):

* quorum systems and :func:`prove_intersection` (:mod:`dslib.verify.quorums`):
  do any two quorums share a node (or f + 1 nodes)? A proof, or the two
  quorums that do not;
* transition systems (:class:`TransitionSystem`) and :func:`check_inductive`:
  is this invariant inductive? A proof, or a counterexample to induction to
  read and strengthen the invariant with (:func:`strengthen` runs that loop);
* :func:`bmc`: the shortest execution that violates a property, or none up
  to a depth.

Examples, each with its inductive invariant and a deliberately broken variant:
:mod:`~dslib.verify.lock_server`, :mod:`~dslib.verify.toy_consensus`,
:mod:`~dslib.verify.two_phase_commit`, :mod:`~dslib.verify.raft_election`,
:mod:`~dslib.verify.raft_log`, :mod:`~dslib.verify.water_jug`.

This package depends on z3 only (pandas for tables), not on the simulator.

Examples
--------
>>> from dslib.verify import majority, prove_intersection
>>> prove_intersection(majority(3)).holds
True
"""

from dslib.verify.bmc import BmcResult, Trace, bmc, confirm_trace
from dslib.verify.induction import (
    CounterexampleToInduction,
    ImplicationResult,
    InductionResult,
    Strengthening,
    check_implies,
    check_inductive,
    confirm_counterexample,
    strengthen,
)
from dslib.verify.quorums import (
    ExplicitQuorums,
    GridQuorums,
    IntersectionResult,
    QuorumSystem,
    ThresholdQuorums,
    WeightedQuorums,
    byzantine,
    check_by_enumeration,
    explicit,
    flexible_paxos,
    grid,
    intersection_query,
    majority,
    prove_intersection,
    read_write,
    threshold,
    weighted,
)
from dslib.verify.transition import (
    SpecificationError,
    State,
    StateView,
    Step,
    TransitionSystem,
)

__all__ = [
    "BmcResult",
    "CounterexampleToInduction",
    "ExplicitQuorums",
    "GridQuorums",
    "ImplicationResult",
    "InductionResult",
    "IntersectionResult",
    "QuorumSystem",
    "SpecificationError",
    "State",
    "StateView",
    "Step",
    "Strengthening",
    "ThresholdQuorums",
    "Trace",
    "TransitionSystem",
    "WeightedQuorums",
    "bmc",
    "byzantine",
    "check_by_enumeration",
    "check_implies",
    "check_inductive",
    "confirm_counterexample",
    "confirm_trace",
    "explicit",
    "flexible_paxos",
    "grid",
    "intersection_query",
    "majority",
    "prove_intersection",
    "read_write",
    "strengthen",
    "threshold",
    "weighted",
]
