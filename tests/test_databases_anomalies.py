"""dslib.databases.anomalies: the catalogue of anomalies played at every level, named by the
isolation checker; the store's mutants, each caught by a named check, with the rate."""

from __future__ import annotations

import pytest

from dslib.databases.anomalies import (
    CATALOGUE,
    STORE_CHECKS,
    catalogue_table,
    check_catalogue,
    correct_store,
    draw_interleaving,
    get_anomaly,
    random_workload_failures,
    run_anomaly,
    store_mutants,
    store_with,
)
from dslib.databases.concurrency import LEVELS, MUTANT_LEVEL
from dslib.mutants import assert_mutants_caught, mutant_table

# Berenson et al. 1995, Table 4 (and Fekete et al. 2004 for the last row): which anomaly
# each level allows. "none" (no concurrency control) allows all of them.
ALLOWED = {
    "dirty write": {"none"},
    "dirty read": {"none", "read-uncommitted"},
    "non-repeatable read": {"none", "read-uncommitted", "read-committed"},
    "phantom": {"none", "read-uncommitted", "read-committed", "repeatable-read"},
    "lost update": {"none", "read-uncommitted", "read-committed"},
    "read skew": {"none", "read-uncommitted", "read-committed"},
    "write skew": {"none", "read-uncommitted", "read-committed", "snapshot-isolation"},
    "read-only anomaly": {"none", "read-uncommitted", "read-committed", "snapshot-isolation"},
}


def test_the_catalogue_has_every_anomaly_of_the_chapter() -> None:
    assert [a.name for a in CATALOGUE] == list(ALLOWED)
    assert get_anomaly("phantom").setup == (("append", "x", 0),)
    with pytest.raises(ValueError, match="the anomalies are"):
        get_anomaly("phantoms")


@pytest.mark.parametrize("anomaly", [a.name for a in CATALOGUE])
def test_each_anomaly_occurs_exactly_where_the_level_allows_it(anomaly: str) -> None:
    for level in LEVELS:
        entry = run_anomaly(anomaly, level)
        assert entry.occurred == (level in ALLOWED[anomaly]), (level, entry.outcome)
        if entry.occurred:  # named by the checker as the catalogue says
            names = {a.name for a in entry.result.anomalies}
            assert names == set(entry.anomaly.adya), (level, names)
        else:
            assert entry.result.ok is True, (level, str(entry.result))


def test_how_each_level_prevents_what_it_prevents() -> None:
    table = catalogue_table()
    assert table.loc["dirty read", "read-committed"] == "waited"
    assert table.loc["dirty read", "snapshot-isolation"] == "snapshot"
    assert table.loc["lost update", "serializable"] == "aborted (deadlock)"
    assert table.loc["lost update", "snapshot-isolation"] == "aborted (first committer)"
    assert table.loc["write skew", "serializable-snapshot"] == "aborted (dangerous structure)"
    assert table.loc["read-only anomaly", "serializable-snapshot"] == (
        "aborted (dangerous structure)"
    )
    assert table.loc["phantom", "serializable"] == "waited"
    assert table.loc["write skew", "snapshot-isolation"] == "occurred: G2-item"


def test_the_plain_names_of_the_checker_match_the_catalogue() -> None:
    plain = {
        "lost update": "lost update",
        "non-repeatable read": "non-repeatable read",
        "read skew": "read skew",
        "write skew": "write skew",
        "dirty write": "dirty write",
    }
    for anomaly, words in plain.items():
        entry = run_anomaly(anomaly, "none")
        assert words in {a.plain for a in entry.result.anomalies}, (anomaly, str(entry.result))


def test_the_read_only_anomaly_needs_its_read_only_transaction() -> None:
    # Fekete et al.: without T3 the history of T1 and T2 is serializable (T2 before T1)
    entry = run_anomaly("read-only anomaly", "snapshot-isolation")
    assert entry.occurred
    without_t3 = [t for t in entry.run.history if t.process != "T3"]
    from dslib.consistency.isolation import check_isolation

    assert check_isolation(without_t3).ok is True


def test_the_interleaving_is_drawn_with_a_lane_per_transaction() -> None:
    fig = draw_interleaving(run_anomaly("write skew", "serializable"))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["T2", "T1"]
    assert "deadlock" in ax.get_title()
    assert any("abort" in t.get_text() for t in ax.texts)


def test_notation_follows_berenson() -> None:
    assert get_anomaly("write skew").notation == "r1[x] r1[y] r2[x] r2[y] w1[x] w2[y] c1 c2"
    assert get_anomaly("phantom").notation == "r1[x..z] w2[y] c2 r1[x..z] c1"


# -- the mutants -------------------------------------------------------------------------------
def test_every_mutant_is_caught_by_both_named_checks() -> None:
    report = assert_mutants_caught(correct_store, store_mutants(), STORE_CHECKS)
    table = mutant_table(report)
    assert list(table["mutant"])[1:] == list(MUTANT_LEVEL)
    assert set(table["caught by"][1:]) == {"catalogue, random workloads"}


@pytest.mark.parametrize(
    ("mutant", "at_least"),
    [
        ("si-without-first-committer-wins", 25),
        ("2pl-early-release", 15),
        ("ssi-ignores-rw-antidependencies", 5),
    ],
)
def test_the_random_workload_check_catches_each_mutant_at_its_rate(
    mutant: str, at_least: int
) -> None:
    level = MUTANT_LEVEL[mutant]
    assert random_workload_failures(level, None) == []
    caught = random_workload_failures(level, mutant)
    assert len(caught) >= at_least  # of 30 seeds, deterministic (seeded)


def test_the_random_workload_check_says_how_many_runs_it_judged() -> None:
    from dslib.databases.anomalies import check_random_workloads, random_workload_verdicts

    assert check_random_workloads(correct_store()).detail == "no forbidden anomaly in 90 runs"
    caught = check_random_workloads(store_with("2pl-early-release"))
    assert not caught.ok and caught.detail == "serializable: 18 of 30 seeds"
    # on registers the checker cannot always order the versions: unknown, never "ok"
    verdicts = random_workload_verdicts("snapshot-isolation", None, 10, "rw-register")
    assert None in verdicts and False not in verdicts


def test_the_catalogue_check_names_the_shortest_failing_script() -> None:
    outcome = check_catalogue(store_with("ssi-ignores-rw-antidependencies"))
    assert not outcome.ok
    assert outcome.detail == "write skew at serializable-snapshot"
    assert outcome.counterexample_length == 8
    with pytest.raises(ValueError, match="the mutants are"):
        store_with("nope")
