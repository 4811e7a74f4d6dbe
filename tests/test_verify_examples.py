"""Tests of the dslib.verify examples: every proof, every weakened invariant, every mutant.

For each example the full invariant must prove. With each conjunct removed, either the
rest still proves (the conjunct is redundant for induction, and the rest implies it), or
every counterexample to induction returned is real: re-checked on its concrete states by a
fresh solver (and, for the lock server, by plain Python), its state before the step
satisfies every remaining conjunct, the step is enabled and leads to the state after, and
that state violates a conjunct.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
import z3

from dslib.verify import (
    State,
    TransitionSystem,
    bmc,
    check_implies,
    check_inductive,
    confirm_counterexample,
    confirm_trace,
    lock_server,
    raft_election,
    strengthen,
    toy_consensus,
    two_phase_commit,
    water_jug,
)
from dslib.verify import (
    induction as induction_module,
)

# module, builder, mutant keyword, conjuncts redundant for induction, safety property
EXAMPLES: list[tuple[ModuleType, Callable[..., TransitionSystem], str, set[str], str]] = [
    (lock_server, lock_server.lock_server, "grant_without_lock", set(), "mutual_exclusion"),
    (toy_consensus, toy_consensus.toy_consensus, "vote_twice", {"agreement"}, "agreement"),
    (
        raft_election,
        raft_election.raft_election,
        "forget_votes",
        {"election_safety"},
        "election_safety",
    ),
    (
        two_phase_commit,
        two_phase_commit.two_phase_commit,
        "commit_early",
        {"atomicity"},
        "atomicity",
    ),
]
IDS = [m.__name__.rsplit(".", 1)[1] for m, *_ in EXAMPLES]


@pytest.mark.parametrize(("module", "build", "mutant", "redundant", "safety"), EXAMPLES, ids=IDS)
def test_full_invariant_proves(module, build, mutant, redundant, safety) -> None:  # type: ignore[no-untyped-def]
    result = check_inductive(build(), module.INVARIANT)
    assert result.proved, result
    assert result.checks == len(module.INVARIANT) * (1 + len(build().actions))
    assert safety in module.INVARIANT


@pytest.mark.parametrize(("module", "build", "mutant", "redundant", "safety"), EXAMPLES, ids=IDS)
def test_each_conjunct_is_needed_or_redundant(module, build, mutant, redundant, safety) -> None:  # type: ignore[no-untyped-def]
    system = build()
    found_redundant = set()
    for name, removed in module.INVARIANT.items():
        rest = {k: f for k, f in module.INVARIANT.items() if k != name}
        result = check_inductive(system, rest)
        if result.proved:
            found_redundant.add(name)
            # The rest is inductive and implies the removed conjunct (so still proves safety).
            assert check_implies(system, rest, removed).holds
            continue
        assert result.counterexamples and not result.undecided
        for cti in result.counterexamples:
            assert cti.kind == "consecution"
            assert confirm_counterexample(system, rest, cti)
            # The same facts, spelled out: before satisfies every remaining conjunct,
            # after violates the one named.
            assert all(system.evaluate(f, cti.before) for f in rest.values())
            assert cti.after is not None
            assert not system.evaluate(rest[cti.conjunct], cti.after)
            assert system.is_step(cti.before, cti.action, dict(cti.params), cti.after)
    assert found_redundant == redundant


@pytest.mark.parametrize(("module", "build", "mutant", "redundant", "safety"), EXAMPLES, ids=IDS)
def test_mutant_is_caught_by_proof_and_by_bmc(module, build, mutant, redundant, safety) -> None:  # type: ignore[no-untyped-def]
    broken = build(**{mutant: True})
    result = check_inductive(broken, module.INVARIANT)
    assert not result.proved
    for cti in result.counterexamples:
        assert confirm_counterexample(broken, module.INVARIANT, cti)
    found = bmc(broken, 8, module.INVARIANT[safety])
    assert found.trace is not None
    assert confirm_trace(broken, found.trace, module.INVARIANT[safety])
    # BMC returns the shortest: one step less finds nothing.
    assert found.steps is not None
    assert not bmc(broken, found.steps - 1, module.INVARIANT[safety]).found


@pytest.mark.parametrize(("module", "build", "mutant", "redundant", "safety"), EXAMPLES, ids=IDS)
def test_correct_protocol_has_no_short_violation(module, build, mutant, redundant, safety) -> None:  # type: ignore[no-untyped-def]
    depth = 4
    assert not bmc(build(), depth, module.INVARIANT[safety]).found


# ---- the lock server, checked in plain Python --------------------------------------------


def python_lock_conjuncts(st: State) -> dict[str, bool]:
    """The nine conjuncts of the lock server's invariant, evaluated without z3."""
    holds = {n for (n,) in st["holds_lock"]}
    grant = {n for (n,) in st["grant_msg"]}
    release = {n for (n,) in st["release_msg"]}
    server = st["server_holds_lock"]
    return {
        "mutual_exclusion": len(holds) <= 1,
        "one_grant": len(grant) <= 1,
        "one_release": len(release) <= 1,
        "grant_excludes_holder": not (grant and holds),
        "release_excludes_holder": not (release and holds),
        "grant_excludes_release": not (grant and release),
        "server_excludes_grant": not (server and grant),
        "server_excludes_holder": not (server and holds),
        "server_excludes_release": not (server and release),
    }


def python_lock_step(st: State, action: str, n: str) -> dict[str, Any] | None:
    """The lock server's actions in plain Python: the next values, or None if not enabled."""
    v = {k: set(x) if isinstance(x, frozenset) else x for k, x in st.values}
    me = (n,)
    if action == "send_lock":
        v["lock_msg"].add(me)
    elif action == "recv_lock":
        if me not in v["lock_msg"] or not v["server_holds_lock"]:
            return None
        v["server_holds_lock"] = False
        v["lock_msg"].discard(me)
        v["grant_msg"].add(me)
    elif action == "recv_grant":
        if me not in v["grant_msg"]:
            return None
        v["grant_msg"].discard(me)
        v["holds_lock"].add(me)
    elif action == "unlock":
        if me not in v["holds_lock"]:
            return None
        v["holds_lock"].discard(me)
        v["release_msg"].add(me)
    elif action == "recv_release":
        if me not in v["release_msg"]:
            return None
        v["release_msg"].discard(me)
        v["server_holds_lock"] = True
    else:  # pragma: no cover
        raise AssertionError(action)
    return {k: frozenset(x) if isinstance(x, set) else x for k, x in v.items()}


def test_lock_server_ctis_are_real_in_plain_python() -> None:
    system = lock_server.lock_server()
    for name in lock_server.INVARIANT:
        rest = {k: f for k, f in lock_server.INVARIANT.items() if k != name}
        for cti in check_inductive(system, rest).counterexamples:
            assert cti.after is not None and cti.action is not None
            before = python_lock_conjuncts(cti.before)
            assert all(before[k] for k in rest)
            nxt = python_lock_step(cti.before, cti.action, dict(cti.params)["n"])
            assert nxt == dict(cti.after.values)
            assert not python_lock_conjuncts(cti.after)[cti.conjunct]


def test_lock_server_safety_alone_gives_a_two_node_cti() -> None:
    system = lock_server.lock_server()
    result = check_inductive(system, {"mutual_exclusion": lock_server.mutual_exclusion})
    assert result.failing == (("mutual_exclusion", "recv_grant"),)
    cti = result.cti
    assert cti is not None and cti.after is not None
    assert cti.before.sort_elements("node") == ("node1", "node2")
    assert cti.step == "recv_grant(n=node1)"
    assert cti.before["holds_lock"] == frozenset({("node2",)})
    assert cti.before["grant_msg"] == frozenset({("node1",)})
    assert cti.after["holds_lock"] == frozenset({("node1",), ("node2",)})
    # The CTI is not reachable: the full invariant excludes its state before the step.
    assert not all(python_lock_conjuncts(cti.before).values())


def test_strengthening_loop_reaches_the_full_invariant() -> None:
    system = lock_server.lock_server()
    log = strengthen(system, [lock_server.mutual_exclusion], lock_server.INVARIANT)
    assert log.result.proved
    assert sorted(log.invariant) == sorted(lock_server.INVARIANT)
    for cti, added in log.rounds:
        assert added is not None
        assert not system.evaluate(lock_server.INVARIANT[added], cti.before)
    assert log.rows()[0][1:] == [
        "mutual_exclusion after recv_grant",
        "recv_grant(n=node1)",
        "grant_excludes_holder",
    ]
    frame = log.to_frame()
    assert list(frame.columns) == ["fails", "counterexample step", "conjunct added"]
    assert list(frame.index) == list(range(1, len(log.rounds) + 1))
    assert frame.loc[1, "conjunct added"] == "grant_excludes_holder"
    with pytest.warns(DeprecationWarning, match=r"Strengthening.table\(\) is deprecated"):
        assert log.table().equals(frame)  # the old name, for one release


def test_strengthening_gets_stuck_on_a_real_bug() -> None:
    broken = lock_server.lock_server(grant_without_lock=True)
    log = strengthen(broken, [lock_server.mutual_exclusion], lock_server.INVARIANT)
    assert not log.result.proved
    assert log.rounds[-1][1] is None
    assert "stuck after" in repr(log)


# ---- quorum intersection as an axiom -----------------------------------------------------


@pytest.mark.parametrize(
    ("module", "build"),
    [(toy_consensus, toy_consensus.toy_consensus), (raft_election, raft_election.raft_election)],
)
def test_without_quorum_intersection_the_proof_fails(module: ModuleType, build: Any) -> None:
    system = build().without_axiom("quorums_intersect")
    result = check_inductive(system, module.INVARIANT)
    assert not result.proved
    safety = next(iter(module.INVARIANT))
    assert {c for c, _ in result.failing} == {safety}
    for cti in result.counterexamples:
        assert confirm_counterexample(system, module.INVARIANT, cti)
    # And the violation is reachable: without the axiom, quorums can be disjoint.
    found = bmc(system, 6, module.INVARIANT[safety])
    assert found.trace is not None and confirm_trace(system, found.trace, module.INVARIANT[safety])


# ---- water jugs ----------------------------------------------------------------------------


def test_water_jug_bmc_finds_the_six_step_solution_and_none_shorter() -> None:
    jugs = water_jug.water_jug()
    assert not bmc(jugs, 5, water_jug.big_is_not_4).found
    six = bmc(jugs, 6, water_jug.big_is_not_4)
    ten = bmc(jugs, 10, water_jug.big_is_not_4)
    assert six.steps == ten.steps == 6
    assert repr(six.trace) == repr(ten.trace)
    assert six.trace is not None and confirm_trace(jugs, six.trace, water_jug.big_is_not_4)
    assert six.trace.states[-1]["big"] == 4
    # Breadth-first search of the finite state space agrees on the shortest distance.
    states = water_jug.explore(3, 5)
    assert min(d for (s, b), d in states.items() if b == 4) == 6


@pytest.mark.parametrize(("small", "big", "target"), [(3, 5, 1), (3, 5, 2), (2, 7, 5), (4, 9, 6)])
def test_water_jug_bmc_agrees_with_breadth_first_search(small: int, big: int, target: int) -> None:
    states = water_jug.explore(small, big)
    shortest = min((d for (s, b), d in states.items() if b == target), default=None)
    res = bmc(water_jug.water_jug(small, big), 8, water_jug.big_is_not(target))
    assert res.steps == (shortest if shortest is not None and shortest <= 8 else None)


def test_water_jug_unreachable_target_proved_by_invariant_not_by_bmc() -> None:
    assert all(b != 4 for _, b in water_jug.explore(3, 6))
    assert not bmc(water_jug.water_jug(3, 6), 8, water_jug.big_is_not_4).found
    inv = [water_jug.amounts_divisible_by(3), water_jug.big_is_not_4]
    assert check_inductive(water_jug.water_jug(3, 6), inv).proved
    assert check_inductive(water_jug.water_jug(None, None, common_divisor=3), inv).proved
    # Without the divisibility axiom the same invariant is not inductive.
    res = check_inductive(water_jug.water_jug(None, None), inv)
    assert not res.proved
    assert all(
        confirm_counterexample(water_jug.water_jug(None, None), inv, c) for c in res.counterexamples
    )


def test_water_jug_cti_for_the_goal_alone() -> None:
    jugs = water_jug.water_jug()
    inv = [water_jug.amounts_in_range, water_jug.big_is_not_4]
    res = check_inductive(jugs, inv)
    assert {c for c, _ in res.failing} == {"big_is_not_4"}
    cti = res.cti
    assert cti is not None and cti.after is not None
    assert (cti.before["small"], cti.before["big"]) == (1, 3)
    assert (cti.after["small"], cti.after["big"]) == (0, 4)
    assert confirm_counterexample(jugs, inv, cti)


# ---- determinism ------------------------------------------------------------------------


def test_counterexamples_do_not_depend_on_z3s_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    def reference() -> list[str]:
        weak = {k: f for k, f in toy_consensus.INVARIANT.items() if k != "one_vote_per_node"}
        return [
            repr(check_inductive(lock_server.lock_server(), [lock_server.mutual_exclusion])),
            repr(check_inductive(toy_consensus.toy_consensus(), weak)),
            repr(
                bmc(
                    raft_election.raft_election(forget_votes=True), 5, raft_election.election_safety
                )
            ),
        ]

    expected = reference()
    for seed in (1, 7, 42):

        def seeded(seed: int = seed) -> z3.Solver:
            solver = z3.Solver()
            solver.set("random_seed", seed)
            solver.set("phase_selection", seed % 6)
            return solver

        monkeypatch.setattr(induction_module, "new_solver", seeded)
        monkeypatch.setattr(sys.modules["dslib.verify.bmc"], "new_solver", seeded)
        assert reference() == expected


def test_output_does_not_depend_on_hash_seed() -> None:
    code = (
        "from dslib.verify import check_inductive, bmc\n"
        "from dslib.verify import two_phase_commit as p\n"
        "inv = {k: f for k, f in p.INVARIANT.items() if k != 'one_vote'}\n"
        "print(check_inductive(p.two_phase_commit(), inv))\n"
        "print(bmc(p.two_phase_commit(commit_early=True), 4, p.atomicity))\n"
    )
    outputs = set()
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1
    assert "atomicity fails after 3 steps" in outputs.pop()


# ---- verdict first, counterexamples on demand -------------------------------------------


@pytest.mark.parametrize(("module", "build", "mutant", "redundant", "safety"), EXAMPLES, ids=IDS)
def test_verdict_does_not_depend_on_building_counterexamples(
    module, build, mutant, redundant, safety
) -> None:  # type: ignore[no-untyped-def]
    broken = build(**{mutant: True})
    eager = check_inductive(broken, module.INVARIANT)
    ctis = eager.counterexamples  # built first, before the verdict is read
    lazy = check_inductive(broken, module.INVARIANT)
    assert not lazy.proved and not eager.proved
    assert lazy.failing == eager.failing
    # Every failing check has its counterexample, in the same order.
    assert lazy.failing == tuple((c.conjunct, c.action or "init") for c in ctis)
    # Built late, or in another order, each counterexample is the same.
    backwards = check_inductive(broken, module.INVARIANT)
    for failure in reversed(backwards._failures):
        failure.outcome()
    assert backwards.counterexamples == ctis
    assert lazy.cti == ctis[0]
    assert lazy.counterexamples == ctis
    assert repr(lazy) == repr(eager) and lazy == eager


def test_the_verdict_builds_no_counterexample(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    real = induction_module._counterexample

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(args[5])  # the conjunct
        return real(*args, **kwargs)

    monkeypatch.setattr(induction_module, "_counterexample", counted)
    system = lock_server.lock_server(grant_without_lock=True)
    result = check_inductive(system, lock_server.INVARIANT)
    assert not result.proved and len(result.failing) == 3 and not bool(result)
    assert built == []
    assert result.cti is not None  # the first only
    assert built == [result.failing[0][0]]
    assert len(result.counterexamples) == len(result.failing)
    assert len(built) == len(result.failing)
    result.counterexamples  # noqa: B018 - built once, then kept
    assert len(built) == len(result.failing)
