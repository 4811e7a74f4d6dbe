"""How we know the Paxos of chapter 14 is right: its checks, and the mutants they catch.

Each check takes the name of a mutant (``None``: correct Paxos) and answers the same
way on every run:

- ``spec model checking``: ``PaxosSpec`` (3 acceptors, 2 values, ballots 0..1)
  explored exhaustively for agreement, validity and integrity; the counterexample's
  length is its number of steps, the shortest (breadth-first search);
- ``node model checking``: ``paxos_system`` (2 proposers, 3 acceptors, 1 learner, one
  ballot per proposer) under ``ActorModel``, every interleaving of a reordering
  network, acceptors symmetric;
- ``z3 induction``: the inductive invariant of ``dslib.consensus.proof`` for any
  number of acceptors, values and ballots (no counterexample length: a
  counterexample to induction is one step from a state that need not be reachable);
- ``quorum intersection``: ``dslib.verify.prove_intersection`` on the quorums the
  nodes use (majorities of 3, or the mutant's ``n // 2``).

Model checking is exhaustive, so a catch is deterministic, not a rate over seeds.
``simulate`` runs the nodes in the simulator under loss, crashes and partitions;
``duel`` and ``leader_terminates`` are the liveness checks of section 2.4.

Examples
--------
>>> spec_check("quorums_disjoint").counterexample.actions
['Phase1a(0)', 'Phase1a(1)', 'Phase1b(a1, 0)', 'Phase2a(0, 1)', 'Phase1b(a1, 1)', 'Phase2a(1, 2)', 'Phase2b(a1, 1)', 'Phase2b(a2, 0)']
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dslib.check import ActorModel, ActorState, CheckResult, check
from dslib.consensus.paxos import (
    ProposerState,
    RelativeBallots,
    learned_values,
    node_invariants,
    paxos_system,
    termination,
)
from dslib.consensus.proof import INVARIANT, paxos
from dslib.consensus.spec import MUTANTS, PaxosSpec, spec_invariants
from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants

__all__ = [
    "CHECKS",
    "MUTANTS_TABLE",
    "duel",
    "leader_terminates",
    "mutant_report",
    "node_check",
    "quorum_check",
    "simulate",
    "spec_check",
    "z3_check",
]

ACCEPTORS = ("a1", "a2", "a3")


def spec_check(mutant: str | None = None, max_ballot: int = 1) -> CheckResult:
    """Model-check ``PaxosSpec`` (3 acceptors, 2 values, ballots ``0..max_ballot``).

    Parameters
    ----------
    mutant : str, optional
        A name from ``MUTANTS``.
    max_ballot : int, default 1

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> r = spec_check()
    >>> r.ok, r.distinct_states
    (True, 3921)
    """
    spec = PaxosSpec(3, 2, max_ballot, mutant=check_mutant("spec_check", mutant, MUTANTS))
    return check(spec, invariants=spec_invariants(spec))


def node_check(mutant: str | None = None, max_round: int = 0) -> CheckResult:
    """Model-check ``paxos_system`` (proposers of ``x`` and ``y``, 3 acceptors, 1 learner).

    Every interleaving of an unordered network; acceptors are interchangeable
    (symmetry); each proposer has ballots of rounds ``0..max_round``.

    Examples
    --------
    >>> r = node_check("ignore_accepted_value")
    >>> r.ok, r.property
    (False, 'agreement')
    """
    system = paxos_system(
        ("x", "y"), 3, 1, max_round=max_round, mutant=check_mutant("node_check", mutant, MUTANTS)
    )
    model = ActorModel(system, symmetric=list(ACCEPTORS))
    return check(model, invariants=node_invariants(system))


def z3_check(mutant: str | None = None) -> Outcome:
    """Check the inductive invariant of ``dslib.consensus.proof`` on ``paxos(mutant=...)``.

    Examples
    --------
    >>> z3_check().ok, z3_check("accept_below_promise").detail
    (True, 'fails: choosable after phase2b')
    """
    from dslib.verify import check_inductive

    result = check_inductive(paxos(mutant=check_mutant("z3_check", mutant, MUTANTS)), INVARIANT)
    if result.proved:
        return Outcome(True)
    return Outcome(False, None, "fails: " + ", ".join(f"{c} after {a}" for c, a in result.failing))


def quorum_check(mutant: str | None = None) -> Outcome:
    """Prove that the nodes' quorums intersect (``dslib.verify.prove_intersection``).

    Examples
    --------
    >>> quorum_check("quorums_disjoint").detail
    'fails: quorum {a1} and quorum {a2} share 0 nodes; at least 1 needed'
    """
    from dslib.verify import majority, prove_intersection, threshold

    if check_mutant("quorum_check", mutant, MUTANTS) == "quorums_disjoint":
        system = threshold(list(ACCEPTORS), len(ACCEPTORS) // 2)
    else:
        system = majority(list(ACCEPTORS))
    result = prove_intersection(system)
    return Outcome(bool(result), None, "" if result else str(result))


CHECKS: dict[str, Callable[[str | None], Any]] = {
    "spec model checking": spec_check,
    "node model checking": node_check,
    "z3 induction": z3_check,
    "quorum intersection": quorum_check,
}
"""The checks of the mutant table, by name, in the table's order; each is deterministic."""

_CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "accept_below_promise": ("spec model checking", "node model checking", "z3 induction"),
    "ignore_accepted_value": ("spec model checking", "node model checking", "z3 induction"),
    "quorums_disjoint": (
        "spec model checking",
        "node model checking",
        "z3 induction",
        "quorum intersection",
    ),
    "learner_mixes_ballots": ("spec model checking", "node model checking", "z3 induction"),
}

MUTANTS_TABLE: list[Mutant[str | None]] = [
    Mutant(name, MUTANTS[name], (lambda name=name: name), caught_by)  # type: ignore[misc]
    for name, caught_by in _CAUGHT_BY.items()
]
"""Every mutant of ``MUTANTS`` with the checks that must catch it."""


def mutant_report() -> MutantReport:
    """Run every check of ``CHECKS`` on correct Paxos and on each mutant.

    Returns
    -------
    MutantReport

    ``mutant_report().to_frame()`` is the chapter's mutant table, with the shortest
    counterexample of the model checkers (in steps).

    Examples
    --------
    The correct version's node model checking takes seconds, so the run is not repeated
    here (``tests/test_consensus.py`` runs it); what it runs:

    >>> list(CHECKS)[:2]
    ['spec model checking', 'node model checking']
    >>> report = mutant_report()  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
    """
    return run_mutants(lambda: None, MUTANTS_TABLE, CHECKS)


def duel() -> CheckResult:
    """Two proposers, no leader: find a fair execution in which nothing is ever learned.

    The model is ``paxos_system()`` with unbounded ballots, made finite by
    ``RelativeBallots``; the search is limited to states with at most 6 messages in
    flight and both proposers still in phase 1, which is where the duel of "Paxos
    Made Simple", section 2.4 lives. Any lasso found there is an infinite fair
    execution of the real system; the limit only keeps the search small.

    Examples
    --------
    The search takes seconds (``tests/test_consensus.py`` runs it):

    >>> r = duel()  # doctest: +SKIP
    >>> r.kind, len(r.lasso.cycle)  # doctest: +SKIP
    ('eventually', 12)
    """
    system = paxos_system(("x", "y"), 3, 1)
    model = RelativeBallots(ActorModel(system, symmetric=list(ACCEPTORS)))

    def in_duel(state: ActorState) -> bool:
        in_flight = sum(count for _, count in state.network)
        phases = [s.phase for s in state.states if isinstance(s, ProposerState)]
        return in_flight <= 6 and all(p in ("idle", "1") for p in phases)

    return check(model, eventually={"termination": termination}, constraint=in_duel)


def leader_terminates() -> CheckResult:
    """A distinguished proposer (``p1``) ends the duel: every fair execution learns a value.

    Unbounded ballots (``RelativeBallots``), no limit on the search: exhaustive.

    Examples
    --------
    >>> r = leader_terminates()
    >>> r.ok, r.complete
    (True, True)
    """
    system = paxos_system(("x", "y"), 3, 1, leader="p1")
    model = RelativeBallots(ActorModel(system, symmetric=list(ACCEPTORS)))
    return check(model, invariants=node_invariants(system), eventually={"termination": termination})


def simulate(
    seed: int,
    *,
    leader: str | None = "p1",
    mutant: str | None = None,
    loss: float = 0.1,
    until: float = 400.0,
) -> Outcome:
    """Run ``paxos_system`` in the simulator under loss, crashes and partitions.

    Proposers retry after 20 time units without a decision; a random nemesis crashes
    and restarts nodes and partitions the network until ``until / 2``, then lets
    the system settle. The outcome fails if agreement, validity or integrity fails
    in the final state, or if the learner learned nothing (``detail`` says which).

    Examples
    --------
    >>> simulate(0)
    Outcome(ok=True, counterexample_length=None, detail="learned ['x']")
    """
    from dslib.sim import Network, RandomNemesis, Simulation, uniform

    system = paxos_system(("x", "y"), 3, 1, leader=leader, retry=20.0, mutant=mutant)
    sim = Simulation(
        system,
        seed=seed,
        network=Network(latency=uniform(1.0, 5.0), loss=loss),
        nemesis=RandomNemesis(until=until / 2, kinds=("crash", "partition"), mean_interval=40.0),
    )
    sim.run(until=until)
    ids = system.ids
    states = sim.states
    view = ActorState(
        ids,
        tuple(states.get(i) for i in ids),
        frozenset(),
        tuple(frozenset() for _ in ids),
        tuple(None for _ in ids),
        0,
        (),
    )
    failed = [name for name, f in node_invariants(system).items() if not f(view)]
    learned = learned_values(view)
    if failed:
        return Outcome(False, None, f"violates {', '.join(failed)}; learned {learned}")
    if not termination(view):
        return Outcome(False, None, "nothing learned")
    return Outcome(True, None, f"learned {learned}")
