"""Tests of dslib.verify.raft_log: the Log Matching proof, each conjunct's role, the mutants.

The full invariant must prove. With each conjunct removed, either the rest still proves and
implies it (redundant), or the checks that fail are exactly the expected ones and every
counterexample to induction is real: re-checked on its concrete states by a fresh solver.
Each mutant breaks Log Matching in a counterexample to induction *and* in a concrete
execution from an initial state, built here step by step in plain Python and re-checked by
:func:`confirm_trace`; the same execution in the correct model keeps Log Matching.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
import z3

from dslib.verify import (
    State,
    Trace,
    check_implies,
    check_inductive,
    confirm_counterexample,
    confirm_trace,
    raft_log,
)
from dslib.verify import induction as induction_module
from dslib.verify.raft_log import INVARIANT, log_matching, log_table

# Conjunct removed -> the checks that then fail (conjunct, action); None: redundant.
DROPPED: dict[str, tuple[tuple[str, str], ...] | None] = {
    "log_matching": (("messages_match_logs", "send_append"),),
    "same_command": None,
    "election_safety": None,
    "one_vote_per_term": (
        ("election_safety", "become_leader"),
        ("leader_has_own_entries", "become_leader"),
        ("leader_has_own_messages", "become_leader"),
    ),
    "leader_has_quorum": (
        ("election_safety", "become_leader"),
        ("leader_has_own_entries", "become_leader"),
        ("leader_has_own_messages", "become_leader"),
    ),
    "leader_term_not_ahead": (
        ("leader_has_own_entries", "advance_term"),
        ("leader_has_own_messages", "advance_term"),
        ("leader_has_own_entries", "request_vote"),
        ("leader_has_own_messages", "request_vote"),
    ),
    "one_entry_per_index": (
        ("messages_agree", "send_append"),
        ("log_matching", "accept_append"),
    ),
    "no_entry_at_zero": (("log_matching", "accept_append"),),
    "entries_have_leader": (
        ("leader_has_own_entries", "become_leader"),
        ("messages_have_leader", "send_append"),
    ),
    "messages_have_leader": (
        ("leader_has_own_messages", "become_leader"),
        ("entries_have_leader", "accept_append"),
    ),
    "leader_has_own_entries": (
        ("log_matching", "client_request"),
        ("same_command", "client_request"),
        ("leader_has_own_messages", "send_append"),
    ),
    "leader_has_own_messages": (
        ("messages_match_logs", "client_request"),
        ("leader_has_own_entries", "accept_append"),
    ),
    "messages_match_logs": (
        ("messages_agree", "send_append"),
        ("log_matching", "accept_append"),
        ("same_command", "accept_append"),
    ),
    "messages_agree": (("messages_match_logs", "accept_append"),),
}

MUTANTS = ["skip_consistency_check", "keep_conflicts"]


def test_full_invariant_proves() -> None:
    system = raft_log.raft_log()
    result = check_inductive(system, INVARIANT)
    assert result.proved, result
    assert result.checks == len(INVARIANT) * (1 + len(system.actions)) == 14 * 7
    assert [a.name for a in system.actions] == [
        "advance_term",
        "request_vote",
        "become_leader",
        "client_request",
        "send_append",
        "accept_append",
    ]
    assert {"log_matching", "same_command", "election_safety"} <= set(INVARIANT)


def test_the_table_covers_every_conjunct() -> None:
    assert list(DROPPED) == list(INVARIANT)


@pytest.mark.parametrize("name", list(DROPPED))
def test_each_conjunct_is_needed_or_redundant(name: str) -> None:
    system = raft_log.raft_log()
    rest = {k: f for k, f in INVARIANT.items() if k != name}
    result = check_inductive(system, rest)
    expected = DROPPED[name]
    if expected is None:
        assert result.proved, result
        # The rest is inductive and implies the removed conjunct.
        assert check_implies(system, rest, INVARIANT[name]).holds
        return
    assert not result.proved and not result.undecided
    assert result.failing == expected
    for cti in result.counterexamples:
        assert cti.kind == "consecution"
        assert confirm_counterexample(system, rest, cti)
        assert all(system.evaluate(f, cti.before) for f in rest.values())
        assert cti.after is not None and cti.action is not None
        assert not system.evaluate(rest[cti.conjunct], cti.after)
        assert system.is_step(cti.before, cti.action, dict(cti.params), cti.after)
        # The state before the step is not reachable: the full invariant excludes it.
        assert not system.evaluate(INVARIANT[name], cti.before)


def test_the_safety_properties_alone_are_not_inductive() -> None:
    system = raft_log.raft_log()
    res = check_inductive(system, [log_matching])
    assert res.failing == (
        ("log_matching", "client_request"),
        ("log_matching", "accept_append"),
    )
    for cti in res.counterexamples:
        assert confirm_counterexample(system, [log_matching], cti)


@pytest.mark.parametrize("mutant", MUTANTS)
def test_mutant_fails_log_matching_with_a_confirmed_cti(mutant: str) -> None:
    broken = raft_log.raft_log(**{mutant: True})
    result = check_inductive(broken, INVARIANT)
    assert result.failing == (
        ("log_matching", "accept_append"),
        ("messages_match_logs", "accept_append"),
    )
    assert all(confirm_counterexample(broken, INVARIANT, c) for c in result.counterexamples)
    cti = result.cti
    assert cti is not None and cti.after is not None and cti.action is not None
    assert cti.conjunct == "log_matching"
    assert not broken.evaluate(log_matching, cti.after)
    # The bug is in that step: the correct model does not take it from that state.
    correct = raft_log.raft_log()
    assert all(correct.evaluate(f, cti.before) for f in INVARIANT.values())
    assert not correct.is_step(cti.before, cti.action, dict(cti.params), cti.after)


def test_skip_consistency_check_cti_reads_as_expected() -> None:
    cti = check_inductive(raft_log.raft_log(skip_consistency_check=True), INVARIANT).cti
    assert cti is not None and cti.after is not None
    assert cti.step == ("accept_append(n=node1, p=index1, pt=term1, i=index2, t=term1, v=command1)")
    # node1 is empty; node2 holds entries at 1 and 2; node1 takes entry 2 without entry 1.
    assert cti.before["log"] == frozenset(
        {("node2", "index1", "term1", "command1"), ("node2", "index2", "term1", "command1")}
    )
    assert cti.after["log"] - cti.before["log"] == frozenset(
        {("node1", "index2", "term1", "command1")}
    )
    assert log_table(cti.after).splitlines()[1:3] == [
        "node1   -           -               term1:command1",
        "node2   -           term1:command1  term1:command1",
    ]


def test_without_quorum_intersection_the_proof_fails() -> None:
    system = raft_log.raft_log().without_axiom("quorums_intersect")
    result = check_inductive(system, INVARIANT)
    assert result.failing == (
        ("election_safety", "become_leader"),
        ("leader_has_own_entries", "become_leader"),
        ("leader_has_own_messages", "become_leader"),
    )
    for cti in result.counterexamples:
        assert confirm_counterexample(system, INVARIANT, cti)


# ---- concrete executions, stepped in plain Python ----------------------------------------

NODES = ("node1", "node2", "node3")
TERMS = ("term1", "term2")
INDICES = ("index1", "index2", "index3")  # index1 is zero (before the first entry)
ELEMENTS = (
    ("node", NODES),
    ("term", TERMS),
    ("index", INDICES),
    ("command", ("command1", "command2")),
    ("quorum", ("quorum1",)),
)
RIGID = ("member", "term_lt", "index_lt", "next_index", "zero")


def initial_values() -> dict[str, Any]:
    """One quorum, {node3}; node2 starts in term2, the others in term1; nothing else yet."""
    return {
        "member": frozenset({("node3", "quorum1")}),
        "term_lt": frozenset({("term1", "term2")}),
        "index_lt": frozenset({("index1", "index2"), ("index1", "index3"), ("index2", "index3")}),
        "next_index": frozenset({("index1", "index2"), ("index2", "index3")}),
        "zero": "index1",
        "current_term": {("node1",): "term1", ("node2",): "term2", ("node3",): "term1"},
        "voted_for": frozenset(),
        "leader": frozenset(),
        "log": frozenset(),
        "append_msg": frozenset(),
    }


def python_step(
    values: dict[str, Any], action: str, p: dict[str, str], *, keep_conflicts: bool
) -> dict[str, Any]:
    """The effect of one action, in plain Python (enabledness is checked by is_step)."""
    new = dict(values)
    if action in ("advance_term", "request_vote"):
        new["current_term"] = {**values["current_term"], (p["n"],): p["t"]}
    if action == "request_vote":
        new["voted_for"] = values["voted_for"] | {(p["n"], p["t"], p["c"])}
    elif action == "become_leader":
        new["leader"] = values["leader"] | {(p["c"], p["t"])}
    elif action == "client_request":
        new["log"] = values["log"] | {(p["ldr"], p["i"], p["t"], p["v"])}
    elif action == "send_append":
        new["append_msg"] = values["append_msg"] | {(p["p"], p["pt"], p["t"], p["v"])}
    elif action == "accept_append":
        at = INDICES.index(p["i"])

        def dropped(k: str) -> bool:
            return k == p["i"] if keep_conflicts else INDICES.index(k) >= at

        kept = {e for e in values["log"] if not (e[0] == p["n"] and dropped(e[1]))}
        new["log"] = frozenset(kept | {(p["n"], p["i"], p["t"], p["v"])})
    return new


def run(system: Any, steps: list[tuple[str, dict[str, str]]], *, keep_conflicts: bool) -> Trace:
    """The execution of ``steps`` from the initial state, as a Trace of ``system``."""
    order = list(system.symbols)
    values = initial_values()
    states = [values]
    for action, params in steps:
        values = python_step(values, action, params, keep_conflicts=keep_conflicts)
        states.append(values)
    return Trace(
        system.name,
        tuple(State(ELEMENTS, tuple((n, v[n]) for n in order)) for v in states),
        tuple((a, tuple(p.items())) for a, p in steps),
        RIGID,
    )


def entry(i: str, t: str, v: str) -> dict[str, str]:
    return {"i": i, "t": t, "v": v}


LEADER_1 = [
    ("request_vote", {"n": "node3", "t": "term1", "c": "node1"}),
    ("become_leader", {"c": "node1", "t": "term1", "q": "quorum1"}),
    (
        "client_request",
        {"ldr": "node1", "t": "term1", "p": "index1", **entry("index2", "term1", "command1")},
    ),
    (
        "client_request",
        {"ldr": "node1", "t": "term1", "p": "index2", **entry("index3", "term1", "command1")},
    ),
]
SEND_2 = (
    "send_append",
    {"m": "node1", "p": "index1", "pt": "term1", **entry("index2", "term1", "command1")},
)
SEND_3 = (
    "send_append",
    {"m": "node1", "p": "index2", "pt": "term1", **entry("index3", "term1", "command1")},
)


def accept(n: str, p: str, pt: str, i: str, t: str, v: str) -> tuple[str, dict[str, str]]:
    return ("accept_append", {"n": n, "p": p, "pt": pt, **entry(i, t, v)})


# node2 takes entry 2 of node1's log without holding entry 1.
SKIP_STEPS = [*LEADER_1, SEND_3, accept("node2", "index2", "term1", "index3", "term1", "command1")]

# node3 copies node1's two entries of term1; node2, leader of term2, overwrites the first.
KEEP_STEPS = [
    *LEADER_1,
    SEND_2,
    SEND_3,
    accept("node3", "index1", "term1", "index2", "term1", "command1"),
    accept("node3", "index2", "term1", "index3", "term1", "command1"),
    ("request_vote", {"n": "node3", "t": "term2", "c": "node2"}),
    ("become_leader", {"c": "node2", "t": "term2", "q": "quorum1"}),
    (
        "client_request",
        {"ldr": "node2", "t": "term2", "p": "index1", **entry("index2", "term2", "command2")},
    ),
    (
        "send_append",
        {"m": "node2", "p": "index1", "pt": "term1", **entry("index2", "term2", "command2")},
    ),
    accept("node3", "index1", "term1", "index2", "term2", "command2"),
]


def test_skip_consistency_check_breaks_log_matching_in_six_steps() -> None:
    broken = raft_log.raft_log(skip_consistency_check=True)
    trace = run(broken, SKIP_STEPS, keep_conflicts=False)
    assert confirm_trace(broken, trace, log_matching)
    last = trace.states[-1]
    assert {e for e in last["log"] if e[0] == "node2"} == {("node2", "index3", "term1", "command1")}
    # In the correct model the last step is not enabled: node2 has no entry at index 2.
    correct = raft_log.raft_log()
    assert not correct.is_step(trace.states[-2], *SKIP_STEPS[-1], last)
    assert all(
        correct.is_step(a, *s, b)
        for a, s, b in zip(trace.states[:-2], SKIP_STEPS[:-1], trace.states[1:-1], strict=True)
    )


def test_keep_conflicts_breaks_log_matching_and_truncation_keeps_it() -> None:
    broken = raft_log.raft_log(keep_conflicts=True)
    trace = run(broken, KEEP_STEPS, keep_conflicts=True)
    assert confirm_trace(broken, trace, log_matching)
    assert log_table(trace.states[-1]).splitlines()[1:4] == [
        "node1   -           term1:command1  term1:command1",
        "node2   -           term2:command2  -",
        "node3   -           term2:command2  term1:command1",
    ]
    # The same execution in the correct model: node3 drops entry 3 with entry 2.
    correct = raft_log.raft_log()
    fixed = run(correct, KEEP_STEPS, keep_conflicts=False)
    for before, (action, params), after in zip(
        fixed.states[:-1], KEEP_STEPS, fixed.states[1:], strict=True
    ):
        assert correct.is_step(before, action, params, after)
    assert all(correct.evaluate(f, s) for s in fixed.states for f in INVARIANT.values())
    assert log_table(fixed.states[-1]).splitlines()[3] == "node3   -           term2:command2  -"


# ---- reading counterexamples --------------------------------------------------------------


def test_log_table_orders_indices_and_rejects_other_states() -> None:
    trace = run(raft_log.raft_log(), [*LEADER_1, SEND_3], keep_conflicts=False)
    assert log_table(trace.states[-1]) == (
        "server  0 (index1)  1 (index2)      2 (index3)\n"
        "node1   -           term1:command1  term1:command1\n"
        "node2   -           -               -\n"
        "node3   -           -               -\n"
        "sent: AppendEntries(prevLogIndex=1, prevLogTerm=term1, entry=term1:command1)"
    )
    with pytest.raises(TypeError, match="expected a State"):
        log_table("not a state")  # type: ignore[arg-type]
    other = State((("node", ("node1",)),), (("up", frozenset()),))
    with pytest.raises(ValueError, match="expected a state of raft_log"):
        log_table(other)


def test_counterexamples_do_not_depend_on_z3s_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    def reference() -> list[str]:
        rest = {k: f for k, f in INVARIANT.items() if k != "messages_agree"}
        return [
            repr(check_inductive(raft_log.raft_log(), rest)),
            repr(check_inductive(raft_log.raft_log(skip_consistency_check=True), INVARIANT)),
        ]

    expected = reference()
    for seed in (1, 42):

        def seeded(seed: int = seed) -> z3.Solver:
            solver = z3.Solver()
            solver.set("random_seed", seed)
            solver.set("phase_selection", seed % 6)
            return solver

        monkeypatch.setattr(induction_module, "new_solver", seeded)
        monkeypatch.setattr(sys.modules["dslib.verify.transition"], "new_solver", seeded)
        assert reference() == expected
