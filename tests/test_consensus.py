"""Tests of chapter 14's Paxos: the specification, the nodes, the z3 proof, the mutants."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.check import ActorModel, check
from dslib.consensus.checks import (
    CHECKS,
    MUTANTS_TABLE,
    duel,
    leader_terminates,
    mutant_report,
    quorum_check,
    simulate,
    spec_check,
)
from dslib.consensus.paxos import (
    AcceptorState,
    Ballot,
    ProposerState,
    RelativeBallots,
    node_invariants,
    paxos_system,
)
from dslib.consensus.proof import INVARIANT, paxos
from dslib.consensus.spec import (
    MUTANTS,
    PaxosSpec,
    PaxosState,
    agreement,
    chosen,
    majority_quorums,
    spec_invariants,
)
from dslib.verify import check_implies, check_inductive, confirm_counterexample

# -- an independent, naive enumerator of the TLA+ Paxos spec ----------------------------------
#
# Written differently on purpose: a state is a dict frozen into sorted items; messages are
# dicts frozen the same way; Phase2a enumerates quorums as subsets and reads the 1b messages
# as TLA+ does (the set Q1bv and its maximum); the reachable set is a fixpoint.

ACC = ("a1", "a2", "a3")


def _freeze(d: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(d.items()))


def naive_paxos(max_ballot: int, values: tuple[int, ...] = (1, 2)) -> set[tuple[Any, ...]]:
    ballots = range(max_ballot + 1)
    quorums = [set(q) for r in (2, 3) for q in itertools.combinations(ACC, r)]
    init = {f"maxBal {a}": -1 for a in ACC}
    init |= {f"maxVBal {a}": -1 for a in ACC} | {f"maxVal {a}": None for a in ACC}
    init["msgs"] = frozenset()

    def msg(**fields: Any) -> tuple[Any, ...]:
        return _freeze(fields)

    def successors(d: dict[str, Any]) -> list[dict[str, Any]]:
        msgs = [dict(m) for m in d["msgs"]]
        out = []
        for b in ballots:
            out.append({**d, "msgs": d["msgs"] | {msg(type="1a", bal=b)}})
            if any(m["type"] == "2a" and m["bal"] == b for m in msgs):
                continue
            for v in values:
                for q in quorums:
                    q1b = [m for m in msgs if m["type"] == "1b" and m["acc"] in q and m["bal"] == b]
                    if {m["acc"] for m in q1b} != q:
                        continue
                    q1bv = [m for m in q1b if m["mbal"] >= 0]
                    if not q1bv or any(
                        m["mval"] == v and all(m["mbal"] >= mm["mbal"] for mm in q1bv) for m in q1bv
                    ):
                        out.append({**d, "msgs": d["msgs"] | {msg(type="2a", bal=b, val=v)}})
                        break
        for a in ACC:
            for m in msgs:
                if m["type"] == "1a" and m["bal"] > d[f"maxBal {a}"]:
                    one_b = msg(
                        type="1b",
                        acc=a,
                        bal=m["bal"],
                        mbal=d[f"maxVBal {a}"],
                        mval=d[f"maxVal {a}"],
                    )
                    out.append({**d, f"maxBal {a}": m["bal"], "msgs": d["msgs"] | {one_b}})
                if m["type"] == "2a" and m["bal"] >= d[f"maxBal {a}"]:
                    two_b = msg(type="2b", acc=a, bal=m["bal"], val=m["val"])
                    out.append(
                        {
                            **d,
                            f"maxBal {a}": m["bal"],
                            f"maxVBal {a}": m["bal"],
                            f"maxVal {a}": m["val"],
                            "msgs": d["msgs"] | {two_b},
                        }
                    )
        return out

    seen = {_freeze(init): init}
    frontier = [init]
    while frontier:
        new = []
        for d in frontier:
            for e in successors(d):
                k = _freeze(e)
                if k not in seen:
                    seen[k] = e
                    new.append(e)
        frontier = new
    return set(seen)


@pytest.mark.parametrize("max_ballot", [0, 1])
def test_spec_state_counts_match_a_naive_enumerator(max_ballot: int) -> None:
    r = check(PaxosSpec(3, 2, max_ballot), invariants=[agreement])
    assert r.ok and r.complete
    assert r.distinct_states == len(naive_paxos(max_ballot))


def test_symmetry_counts_orbits() -> None:
    # Orbits counted by brute force on the full state space: canonical form = the least
    # image under every permutation of acceptors and of values.
    spec = PaxosSpec(3, 2, 1)
    graph_states = _reachable(spec)
    perms = [
        {**dict(zip(ACC, pa, strict=True)), **dict(zip((1, 2), pv, strict=True))}
        for pa in itertools.permutations(ACC)
        for pv in itertools.permutations((1, 2))
    ]
    orbits = {min(repr(spec.permute(s, p)) for p in perms) for s in graph_states}
    acc_only = {min(repr(spec.permute(s, p)) for p in perms[::2]) for s in graph_states}
    assert check(PaxosSpec(3, 2, 1, symmetry="both")).distinct_states == len(orbits)
    assert check(PaxosSpec(3, 2, 1, symmetry="acceptors")).distinct_states == len(acc_only)
    assert len(graph_states) == 3921


def _reachable(spec: PaxosSpec) -> set[PaxosState]:
    seen = set(spec.init_states())
    frontier = list(seen)
    while frontier:
        new = {t for s in frontier for _, t in spec.actions(s)} - seen
        seen |= new
        frontier = list(new)
    return seen


# -- the definition of chosen, against brute force ----------------------------------------------


def brute_chosen(votes: set[tuple[str, int, int]], quorum_size: int) -> set[int]:
    """Try every set of acceptors that is a quorum, every ballot and value."""
    out = set()
    for size in range(quorum_size, len(ACC) + 1):
        for q in itertools.combinations(ACC, size):
            for b in range(3):
                for v in (1, 2):
                    if all((a, b, v) in votes for a in q):
                        out.add(v)
    return out


votes_strategy = st.sets(st.tuples(st.sampled_from(ACC), st.integers(0, 2), st.integers(1, 2)))


@given(votes_strategy)
def test_chosen_matches_brute_force(votes: set[tuple[str, int, int]]) -> None:
    msgs = frozenset(("2b", a, b, v) for a, b, v in votes)
    state = PaxosState((-1,) * 3, (-1,) * 3, (None,) * 3, msgs)
    assert chosen(state) == brute_chosen(votes, 2)
    assert chosen(state, majority_quorums(ACC)) == brute_chosen(votes, 2)
    assert chosen(state, majority_quorums(ACC, 1)) == brute_chosen(votes, 1)
    mixed = {v for v in (1, 2) if len({a for a, _, w in votes if w == v}) >= 2}
    assert chosen(state, across_ballots=True) == mixed


# -- the mutant table -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> Any:
    return mutant_report()


def test_every_mutant_is_caught_by_its_checks(report: Any) -> None:
    assert report.ok, report.problems()
    assert [m.name for m in MUTANTS_TABLE] == list(MUTANTS)
    assert list(CHECKS) == list(report.checks)


def test_counterexample_lengths(report: Any) -> None:
    runs = {(m.name, r.check): r for m in report.mutants for r in m.runs}
    spec = {m: runs[m, "spec model checking"].counterexample_length for m in MUTANTS}
    node = {m: runs[m, "node model checking"].counterexample_length for m in MUTANTS}
    # The shortest executions, found breadth first; e.g. quorums_disjoint in the spec: two
    # 1a messages, a1 promises both ballots, two 2a messages with different values, two
    # votes by different acceptors (a quorum of one each): 8 steps.
    assert spec == {
        "accept_below_promise": 12,
        "ignore_accepted_value": 12,
        "quorums_disjoint": 8,
        "learner_mixes_ballots": 10,
    }
    assert node == {
        "accept_below_promise": 14,
        "ignore_accepted_value": 14,
        "quorums_disjoint": 8,
        "learner_mixes_ballots": 14,
    }
    table = report.to_frame()
    assert list(table["counterexample length"]) == ["—", "12", "12", "8", "10"]


def test_the_two_levels_agree(report: Any) -> None:
    # Both hold agreement on correct Paxos; both catch the first two mutants by agreement.
    assert all(r.ok for r in report.correct)
    for name in ("accept_below_promise", "ignore_accepted_value"):
        assert spec_check(name).property == "agreement"
    system = paxos_system(mutant="ignore_accepted_value", max_round=0)
    r = check(ActorModel(system, symmetric=list(ACC)), invariants=node_invariants(system))
    assert r.property == "agreement"
    final = r.counterexample.final
    votes = {vote for s in final.states if isinstance(s, AcceptorState) for vote in s.votes}
    assert {v for _, v in votes} == {"x", "y"}


def test_spec_mutant_counterexamples_end_in_violations() -> None:
    for name in MUTANTS:
        spec = PaxosSpec(3, 2, 1, mutant=name)
        r = check(spec, invariants=spec_invariants(spec))
        assert not r.ok
        assert not spec_invariants(spec)[r.property](r.counterexample.final)


# -- the z3 proof -----------------------------------------------------------------------------


def test_invariant_is_inductive() -> None:
    assert check_inductive(paxos(), INVARIANT).proved


@pytest.mark.parametrize("name", [n for n in INVARIANT if n != "agreement"])
def test_each_conjunct_is_needed(name: str) -> None:
    rest = {k: f for k, f in INVARIANT.items() if k != name}
    result = check_inductive(paxos(), rest)
    assert not result.proved
    cti = result.cti
    assert cti is not None and confirm_counterexample(paxos(), rest, cti)


def test_agreement_follows_from_the_rest() -> None:
    rest = {k: f for k, f in INVARIANT.items() if k != "agreement"}
    assert check_inductive(paxos(), rest).proved
    assert check_implies(paxos(), rest, INVARIANT["agreement"]).holds


@pytest.mark.parametrize("name", list(MUTANTS))
def test_proof_fails_for_each_mutant_with_a_real_cti(name: str) -> None:
    result = check_inductive(paxos(mutant=name), INVARIANT)
    assert not result.proved
    assert confirm_counterexample(paxos(mutant=name), INVARIANT, result.cti)


def test_quorum_fact() -> None:
    assert quorum_check().ok
    assert not quorum_check("quorums_disjoint").ok


# -- liveness: the duel and the leader ---------------------------------------------------------


def test_duelling_proposers_livelock() -> None:
    r = duel()
    assert not r.ok and r.kind == "eventually" and r.lasso is not None
    cycle = r.lasso.cycle
    assert len(cycle) > 0  # a real loop, not a halt
    # In the loop both proposers keep starting new ballots and nothing is learned.
    preempted = {step.action.node for step in cycle if "Nack" in str(step.action)}
    assert preempted == {"p1", "p2"}
    for step in cycle:
        phases = [s.phase for s in step.state.states if isinstance(s, ProposerState)]
        assert phases == ["1", "1"]


def test_a_leader_ends_the_duel() -> None:
    r = leader_terminates()
    assert r.ok and r.complete


def test_relative_ballots_keep_order_and_steps_of_one() -> None:
    norm = RelativeBallots.normalize_rounds
    assert norm([3, 4, 9]) == {0: 0, 3: 2, 4: 3, 9: 5}
    assert norm([1, 2]) == {0: 0, 1: 1, 2: 2}
    m = RelativeBallots(ActorModel(paxos_system()))
    [s0] = m.init_states()
    shifted = s0._replace(
        states=tuple(
            ProposerState("1", Ballot(7, "p1")) if isinstance(s, ProposerState) else s
            for s in s0.states
        )
    )
    normal = m.normalize(shifted)
    assert {s.ballot for s in normal.states if isinstance(s, ProposerState)} == {Ballot(2, "p1")}


# -- the simulator ------------------------------------------------------------------------------


def test_simulation_under_faults_decides_and_repeats() -> None:
    outcomes = [simulate(seed) for seed in range(4)]
    assert all(o.ok for o in outcomes), outcomes
    assert outcomes == [simulate(seed) for seed in range(4)]


# -- bad input ----------------------------------------------------------------------------------


def test_bad_input_is_rejected_with_a_reason() -> None:
    with pytest.raises(ValueError, match="acceptors=0 must be at least 1"):
        PaxosSpec(acceptors=0)
    with pytest.raises(ValueError, match="max_ballot=-1 must be an int >= 0"):
        PaxosSpec(max_ballot=-1)
    with pytest.raises(ValueError, match="symmetry='all'; allowed: none, acceptors"):
        PaxosSpec(symmetry="all")
    with pytest.raises(ValueError, match="unknown mutant 'typo'; allowed: None or one of"):
        PaxosSpec(mutant="typo")
    with pytest.raises(ValueError, match="leader='p9' must be one of"):
        paxos_system(leader="p9")
    with pytest.raises(ValueError, match="values=.* must be distinct"):
        paxos_system(values=("x", "x"))
    with pytest.raises(ValueError, match="unknown mutant"):
        paxos(mutant="typo")
    with pytest.raises(ValueError, match="size=5 must be an int from 1 to 3"):
        majority_quorums(ACC, 5)
