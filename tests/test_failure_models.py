"""Tests of dslib.failure.models: the detector properties against a brute-force oracle on
random suspicion logs, each system model giving the detector class it should, the gray
failure and the one-way partition, and the detector's mutants caught."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib import Network, Simulation, System
from dslib.failure import FixedTimeout, PhiAccrual
from dslib.failure.models import (
    MODELS,
    GrayMember,
    GrayState,
    GrowingTimeout,
    check_om1,
    check_two_generals,
    class_run,
    class_table,
    detector_properties,
    fd_catch_rate,
    fd_mutant_table,
    model_run,
    observed_class,
    om1,
    properties_of,
    request_outcomes,
    suspicion_matrix,
    two_generals_decisions,
)
from dslib.sim import Cut, Nemesis, Pause, uniform

NODES = ["p1", "p2", "p3"]


@st.composite
def logs(draw: Any) -> tuple[dict[str, tuple[tuple[float, str, str], ...]], list[str]]:
    crashed = draw(st.lists(st.sampled_from(NODES), unique=True, max_size=2))
    out = {}
    for n in NODES:
        events = []
        for time in sorted(draw(st.lists(st.integers(0, 20), max_size=6, unique=True))):
            target = draw(st.sampled_from([t for t in NODES if t != n]))
            events.append((float(time), target, draw(st.sampled_from(["suspect", "trust"]))))
        out[n] = tuple(events)
    return out, crashed


def oracle(logs: dict[str, Any], crashed: list[str], end: float) -> dict[str, Any]:
    """The definitions, evaluated at every instant 0, 0.5, ..., end by replaying each log from
    its start up to that instant."""

    def suspects(n: str, target: str, t: float) -> bool:
        state = False
        for time, who, what in logs[n]:
            if time <= t and who == target:
                state = what == "suspect"
        return state

    correct = [n for n in NODES if n not in crashed]
    instants = [k / 2 for k in range(int(2 * end) + 1)]
    wrong = {
        (n, t, x) for n in correct for t in correct if t != n for x in instants if suspects(n, t, x)
    }
    ever = {
        t
        for n in correct
        for t in correct
        for _, who, what in logs[n]
        if who == t and what == "suspect"
    }
    return {
        "strong completeness": all(suspects(n, c, end) for n in correct for c in crashed),
        "strong accuracy": not ever,
        "weak accuracy": any(n not in ever for n in correct),
        "still wrong at the end": any(x == end for _, _, x in wrong),
    }


@settings(max_examples=150, deadline=None, database=None)
@given(logs())
def test_the_properties_agree_with_a_brute_force_oracle(case: Any) -> None:
    logs_, crashed = case
    got = properties_of(logs_, crashed, 25.0)  # every logged time is at most 20
    want = oracle(logs_, crashed, 25.0)
    for name in ("strong completeness", "strong accuracy", "weak accuracy"):
        assert got[name] == want[name], name
    assert (got["last mistake"] == 25.0) == want["still wrong at the end"]


def class_oracle(logs: dict[str, Any], crashed: list[str], end: float, since: float) -> str:
    """The classes by their definitions: replay every log at every instant 0, 0.5, ..., end."""

    def suspects(n: str, target: str, t: float) -> bool:
        state = False
        for time, who, what in logs[n]:
            if time <= t and who == target:
                state = what == "suspect"
        return state

    correct = [n for n in NODES if n not in crashed]
    instants = [k / 2 for k in range(int(2 * end) + 1)]
    if not all(suspects(n, c, end) for n in correct for c in crashed):
        return "none"
    ever = {t for n in correct for t in correct if t != n for x in instants if suspects(n, t, x)}
    lately = {
        t
        for n in correct
        for t in correct
        if t != n
        for x in instants
        if x >= since and suspects(n, t, x)
    }
    strong, weak = not ever, any(n not in ever for n in correct)
    if strong:
        return "P"
    if not lately:
        return "◇P and S" if weak else "◇P"
    if weak:
        return "S"
    return "◇S" if any(n not in lately for n in correct) else "none"


@settings(max_examples=100, deadline=None, database=None)
@given(logs(), st.integers(0, 50))
def test_the_observed_class_agrees_with_a_brute_force_oracle(case: Any, half: int) -> None:
    logs_, crashed = case
    since = half / 2  # on the oracle's grid of instants; the logged times are whole numbers
    assert observed_class(logs_, crashed, 25.0, since) == class_oracle(logs_, crashed, 25.0, since)


def test_observed_class_refuses_a_stretch_after_the_end() -> None:
    with pytest.raises(ValueError, match="since"):
        observed_class({"p1": ()}, [], end=10.0, since=11.0)


def test_a_growing_timeout_grows_per_member_with_each_mistake() -> None:
    d = GrowingTimeout(1.5, step=0.5)
    assert [d.timeout_after(k) for k in range(3)] == [1.5, 2.0, 2.5]
    for bad in (0, -1.0, True, "1"):
        with pytest.raises(ValueError, match="GrowingTimeout"):
            GrowingTimeout(1.0, step=bad)  # type: ignore[arg-type]
    # the member counts its mistakes about each peer: with delays of 0.1 to 0.2 only the
    # pause of p1 makes p2 and p3 wrong, about p1, once each
    sim = Simulation(
        System({n: GrayMember(detector=d) for n in NODES}),
        seed=0,
        network=Network(latency=uniform(0.1, 0.2)),
        nemesis=Nemesis([(10.0, Pause("p1", 4.0))]),
    ).run(until=30.0)
    states = sim.states
    assert dict(states["p2"].corrections) == {"p1": 1}
    assert dict(states["p3"].corrections) == {"p1": 1}
    member = sim.system.nodes["p2"]
    assert isinstance(member, GrayMember)
    assert member.effective_timeout(states["p2"], "p1") == 2.0
    assert member.effective_timeout(states["p2"], "p3") == 1.5
    # a fixed timeout keeps no count
    fixed = Simulation(
        System({n: GrayMember() for n in NODES}),
        seed=0,
        network=Network(latency=uniform(0.1, 0.2)),
        nemesis=Nemesis([(10.0, Pause("p1", 4.0))]),
    ).run(until=30.0)
    assert all(isinstance(s, GrayState) and s.corrections == () for s in fixed.states.values())


def test_gray_member_takes_a_detector_and_refuses_a_wrong_one() -> None:
    with pytest.raises(TypeError, match="detector"):
        GrayMember(detector=3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_below_period"):
        GrayMember(detector=FixedTimeout(2.0), mutant="timeout_below_period")
    member = GrayMember(detector=PhiAccrual(8.0))
    assert member.effective_timeout(GrayState(), "p2") == float("inf")


def test_after_gst_a_growing_timeout_stops_erring_and_a_fixed_one_does_not() -> None:
    # The post-GST inter-arrival times reach about 1.9: a timeout of 1.5 stays below it for
    # ever (the "mutant": a timeout that does not grow), and the class check catches it.
    for seed in (0, 1):
        grown = class_run(GrowingTimeout(1.5, step=0.1), seed=seed, duration=200.0)
        assert grown["strong completeness"] and grown["class"].startswith("◇P")
        assert grown["timeout at the end"] > 1.9
        fixed = class_run(FixedTimeout(1.5), seed=seed, duration=200.0)
        assert fixed["strong completeness"] and fixed["class"] == "none"
        assert fixed["mistakes after GST"] > 20


def test_phi_adapts_its_timeout_but_a_low_threshold_keeps_erring_after_gst() -> None:
    # 300 long: phi's window of 100 intervals holds pre-GST pauses until about 200
    low = class_run(PhiAccrual(1.0), seed=0, duration=300.0)
    assert low["class"] == "none" and low["mistakes after GST"] > 20
    assert low["timeout at the end"] < 1.9
    high = class_run(PhiAccrual(8.0), seed=0, duration=300.0)
    assert high["class"].startswith("◇P") and high["timeout at the end"] > 1.9


def test_class_run_validates_its_times_and_class_table_indexes_rows() -> None:
    with pytest.raises(ValueError, match="crash < gst < duration"):
        class_run(FixedTimeout(3.0), gst=300.0, duration=200.0)
    table = class_table([FixedTimeout(3.0)], model="synchronous", seeds=[0], duration=120.0)
    assert list(table.index) == [("timeout 3", 0)]
    assert table.loc[("timeout 3", 0), "class"] == "P"


@pytest.mark.parametrize("seed", range(3))
def test_each_model_gives_the_class_it_should(seed: int) -> None:
    sync = detector_properties(model_run("synchronous", seed=seed))
    assert sync["strong completeness"] and sync["strong accuracy"]  # P
    partial = detector_properties(model_run("partially synchronous", seed=seed, gst=100.0))
    assert partial["strong completeness"] and partial["mistakes"] > 0
    assert partial["last mistake"] is not None and partial["last mistake"] <= 100.0  # <>P
    asynchronous = detector_properties(model_run("asynchronous", seed=seed, duration=200.0))
    assert asynchronous["strong completeness"]
    assert asynchronous["last mistake"] is not None and asynchronous["last mistake"] > 150.0


def test_a_gray_failure_and_a_one_way_partition() -> None:
    system = System(
        {
            "p1": GrayMember(request_to="p2"),
            "p2": GrayMember(fail_requests=True),
            "p3": GrayMember(),
        }
    )
    sim = Simulation(system, seed=1, network=Network(latency=uniform(0.1, 1.0))).run(until=30.0)
    assert not any(row["p2"] for n, row in suspicion_matrix(sim).items() if n != "p2")
    outcomes = request_outcomes(sim, "p1")
    assert outcomes["failed"] >= 25 and outcomes["ok"] == 0
    system = System({n: GrayMember() for n in NODES})
    sim = Simulation(
        system,
        seed=1,
        network=Network(latency=uniform(0.1, 1.0)),
        nemesis=Nemesis([(10.0, Cut("p1", "p2"))]),
    ).run(until=30.0)
    matrix = suspicion_matrix(sim)
    assert matrix["p2"]["p1"] and not matrix["p1"]["p2"]  # p2 hears nothing from p1


def test_the_detector_mutants_are_caught_in_every_run() -> None:
    table = fd_mutant_table(seeds=3)
    assert list(table["runs caught"]) == ["0 of 3", "3 of 3", "3 of 3"]
    assert fd_catch_rate(None, "strong accuracy", range(3, 8)) == (0, 5)


def test_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown model"):
        model_run("sync")
    with pytest.raises(ValueError, match="nodes"):
        model_run(MODELS[0], nodes=1)
    with pytest.raises(ValueError, match="unknown mutant"):
        GrayMember(mutant="deaf")
    with pytest.raises(ValueError, match="unknown check"):
        fd_catch_rate(None, "accuracy", range(1))


# -- Byzantine generals --------------------------------------------------------------------------
def test_om1_tolerates_one_traitor_exactly_when_n_is_at_least_four() -> None:
    # Lamport, Shostak and Pease (1982), sections 3 and 4: with m traitors, n > 3m is needed
    # and enough; check_om1 tries every traitor and every lie.
    for n in range(3, 8):
        assert check_om1(n).ok == (n >= 4), n
        assert not check_om1(n, relay=False).ok  # without relaying, a lying commander wins


@settings(max_examples=60, deadline=None, database=None)
@given(
    st.integers(4, 6),
    st.sampled_from(["attack", "retreat"]),
    st.integers(0, 5),
    st.lists(st.sampled_from(["attack", "retreat"]), min_size=6, max_size=6),
)
def test_om1_decisions_are_the_majority_of_what_each_lieutenant_heard(
    n: int, order: str, traitor: int, choice: list[str]
) -> None:
    traitor = traitor % n
    links = [(traitor, i) for i in range(1, n) if i != traitor]
    lies = dict(zip(links, choice, strict=False))
    decisions = om1(n, order, traitor, lies)
    heard = {i: (lies.get((0, i), order) if traitor == 0 else order) for i in range(1, n)}
    for i, decided in decisions.items():
        values = [heard[i]] + [
            lies.get((j, i), heard[j]) if j == traitor else heard[j] for j in range(1, n) if j != i
        ]
        assert decided == ("attack" if values.count("attack") * 2 > len(values) else "retreat")
    assert len(set(decisions.values())) <= 1
    with pytest.raises(ValueError, match="from 3 to 8"):
        check_om1(2)


# -- two generals --------------------------------------------------------------------------------
def test_no_protocol_of_the_family_has_both_agreement_and_validity() -> None:
    # The model checker's verdict on agreement agrees with enumerating every final state by
    # hand: each input, each number of messages delivered before the loss (or all of them).
    for messages in range(1, 6):
        for a_needs in range(4):
            for b_needs in range(4):
                result = check_two_generals(messages, a_needs, b_needs)
                finals = [(o, d, True) for o in ("attack", "retreat") for d in range(messages)]
                finals += [(o, messages, False) for o in ("attack", "retreat")]
                agree = all(
                    len(set(two_generals_decisions(s, a_needs, b_needs))) == 1 for s in finals
                )
                assert result["agreement"] == agree
                assert not (result["agreement"] and result["validity"])
