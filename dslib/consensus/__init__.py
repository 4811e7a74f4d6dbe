"""Chapter 14, consensus: the problem, why it is hard, single-decree Paxos at three levels of
abstraction, Multi-Paxos and Flexible Paxos.

- ``dslib.consensus.flp``: FLP made concrete: a small asynchronous protocol that is safe
  but can run forever, its bivalent configurations, and Ben-Or's coin as the escape;

- ``dslib.consensus.spec``: Lamport's TLA+ specification ``Paxos`` as a ``dslib.check.Model``
  (``PaxosSpec``), with agreement, validity and integrity as invariants;
- ``dslib.consensus.paxos``: the same algorithm as nodes (``Proposer``, ``Acceptor``,
  ``Learner``, ``paxos_system``) for the simulator and the model checker, with
  termination as liveness: duelling proposers livelock, a leader ends the duel;
- ``dslib.consensus.proof``: agreement for any number of acceptors, values and ballots,
  proved with an inductive invariant in z3;
- ``dslib.consensus.checks``: the checks, and the mutants (``MUTANTS``) they catch;
- ``dslib.consensus.multipaxos``: a replicated log with a stable leader and a key-value
  store on it, and ``dslib.consensus.compare``: Multi-Paxos beside chapter 15's Raft;
- ``dslib.consensus.flexible``: Flexible Paxos, phase-1 and phase-2 quorums of different
  sizes, proved, model-checked and measured.

Examples
--------
>>> from dslib.consensus import PaxosSpec, spec_invariants
>>> from dslib.check import check
>>> spec = PaxosSpec(acceptors=3, values=2, max_ballot=1)
>>> check(spec, invariants=spec_invariants(spec)).summary()
'ok: every reachable state explored (bfs; 3,921 distinct states, 22,994 generated; depth 16)'
"""

from dslib.consensus import flexible, flp
from dslib.consensus.checks import (
    CHECKS,
    MUTANTS_TABLE,
    duel,
    leader_terminates,
    mutant_report,
    node_check,
    quorum_check,
    simulate,
    spec_check,
    z3_check,
)
from dslib.consensus.compare import compare, concepts
from dslib.consensus.multipaxos import (
    MultiPaxosServer,
    MultiPaxosState,
    catch_rate,
    current_leader,
    fault_run,
    first_divergence,
    leader_churn_run,
    log_agreement,
    multipaxos_system,
    run_multipaxos,
)
from dslib.consensus.paxos import (
    Accept,
    Accepted,
    Acceptor,
    AcceptorState,
    Ballot,
    Learner,
    LearnerState,
    Nack,
    Prepare,
    Promise,
    Proposer,
    ProposerState,
    RelativeBallots,
    chosen_values,
    learned_values,
    node_invariants,
    paxos_system,
    termination,
)
from dslib.consensus.spec import (
    MUTANTS,
    PaxosSpec,
    PaxosState,
    agreement,
    chosen,
    integrity,
    majority_quorums,
    spec_invariants,
    validity,
)

__all__ = [
    "CHECKS",
    "MUTANTS",
    "MUTANTS_TABLE",
    "Accept",
    "Accepted",
    "Acceptor",
    "AcceptorState",
    "Ballot",
    "Learner",
    "LearnerState",
    "MultiPaxosServer",
    "MultiPaxosState",
    "Nack",
    "PaxosSpec",
    "PaxosState",
    "Prepare",
    "Promise",
    "Proposer",
    "ProposerState",
    "RelativeBallots",
    "agreement",
    "catch_rate",
    "chosen",
    "chosen_values",
    "compare",
    "concepts",
    "current_leader",
    "duel",
    "fault_run",
    "first_divergence",
    "flexible",
    "flp",
    "integrity",
    "leader_churn_run",
    "leader_terminates",
    "learned_values",
    "log_agreement",
    "majority_quorums",
    "multipaxos_system",
    "mutant_report",
    "node_check",
    "node_invariants",
    "paxos_system",
    "quorum_check",
    "run_multipaxos",
    "simulate",
    "spec_check",
    "spec_invariants",
    "termination",
    "validity",
    "z3_check",
]
