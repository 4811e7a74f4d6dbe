"""Tests of dslib.databases.real: a real PostgreSQL and DuckDB under the isolation checker.

Everything here runs on the real databases: the embedded PostgreSQL server (started once
per test process, about a second) and DuckDB in process. No mocks, except where a test makes
the server fail to start on purpose, to see the error a reader would get.

What is asserted is what is determined: a scripted interleaving is driven step by step, so
PostgreSQL's answer to it (wait, serialization failure, or an anomaly) is the same on every
run; of the concurrent workload only that no history breaks the level it runs at.
"""

from __future__ import annotations

import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

from dslib.consistency.isolation import serializable_by_enumeration
from dslib.databases import real
from dslib.databases.real import (
    CATALOGUE,
    MUTANTS,
    SIMULATED,
    TARGETS,
    DatabaseUnavailable,
    EmbeddedPostgres,
    Target,
    compare_table,
    get_interleaving,
    parse_script,
    postgres,
    run_catalogue,
    run_interleaving,
    run_workload,
    workload_table,
)

# What each database does with each interleaving of section 8.2 (the catalogue table).
EXPECTED = {
    "dirty write": (
        "waited",
        "waited, aborted (serialization failure)",
        "waited, aborted (serialization failure)",
        "aborted (conflict)",
    ),
    "dirty read": ("snapshot", "snapshot", "snapshot", "snapshot"),
    "non-repeatable read": ("occurred: G-single", "snapshot", "snapshot", "snapshot"),
    "phantom": ("occurred: G-single", "snapshot", "snapshot", "snapshot"),
    "lost update": (
        "occurred: G-single",
        "aborted (serialization failure)",
        "aborted (serialization failure)",
        "aborted (conflict)",
    ),
    "read skew": ("occurred: G-single", "snapshot", "snapshot", "snapshot"),
    "write skew": (
        "occurred: G2-item",
        "occurred: G2-item",
        "aborted (serialization failure)",
        "occurred: G2-item",
    ),
    "read-only anomaly": (
        "occurred: G2-item",
        "occurred: G2-item",
        "aborted (serialization failure)",
        "occurred: G2-item",
    ),
}


@pytest.fixture(scope="module")
def catalogue() -> dict[tuple[str, str], Any]:
    return run_catalogue()


def test_the_server_is_shared_and_listens_on_a_unix_socket_only() -> None:
    server = postgres()
    assert server is postgres()
    assert server.running
    assert "host=/" in server.uri  # a socket directory, no TCP host
    assert server.version.split(".")[0] == "16"
    with server.connect() as conn:
        listen = conn.execute("show listen_addresses").fetchone()
    assert listen == ("",)


def test_no_server_outlives_the_process_that_started_it() -> None:
    # Killed: no exit handler runs; the watcher process must stop the server and delete
    # its directory. (A normal exit only adds the exit handler's shutdown signal.)
    child = (
        "import os, signal\n"
        "from dslib.databases.real import postgres\n"
        "server = postgres()\n"
        "print(server.postmaster, server.directory, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=120
    )
    postmaster, directory = done.stdout.split()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (
        real._alive(int(postmaster)) or Path(directory).exists()
    ):
        time.sleep(0.1)
    assert not real._alive(int(postmaster)), "the server is still running"
    assert not Path(directory).exists(), "its directory is still there"


def test_missing_packages_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> None:
        raise ImportError("No module named 'pgserver'")

    monkeypatch.setattr(real, "_import_pgserver", missing)
    with pytest.raises(DatabaseUnavailable, match=r"No module named 'pgserver'.*pip install"):
        EmbeddedPostgres()


def test_a_server_that_does_not_start_says_why_and_how_to_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    made: list[Any] = []

    def get_server(pgdata: Any, cleanup_mode: str) -> None:
        made.append(pgdata.parent)
        pgdata.mkdir()
        (pgdata / "log").write_text("FATAL:  could not create shared memory segment\n")
        raise subprocess.CalledProcessError(1, ["pg_ctl", "start"])

    monkeypatch.setattr(
        real, "_import_pgserver", lambda: types.SimpleNamespace(get_server=get_server)
    )
    with pytest.raises(DatabaseUnavailable) as caught:
        EmbeddedPostgres(parent=tmp_path)
    message = str(caught.value)
    assert "pg_ctl" in message and "could not create shared memory segment" in message
    assert "How to fix" in message and "TMPDIR" in message
    assert made and not made[0].exists()  # the temporary directory is removed
    with pytest.raises(DatabaseUnavailable, match="does not exist"):
        EmbeddedPostgres(parent=tmp_path / "nowhere")


def test_the_catalogue_on_the_real_databases(catalogue: dict[tuple[str, str], Any]) -> None:
    got = {i.name: tuple(catalogue[i.name, t.label].verdict() for t in TARGETS) for i in CATALOGUE}
    assert got == EXPECTED


def test_write_skew_at_repeatable_read_and_never_at_serializable(
    catalogue: dict[tuple[str, str], Any],
) -> None:
    rr = catalogue["write skew", "PostgreSQL REPEATABLE READ"]
    assert rr.outcomes[:2] == (("T1", "committed"), ("T2", "committed"))
    assert [(a.name, a.plain) for a in rr.result.anomalies] == [("G2-item", "write skew")]
    ser = catalogue["write skew", "PostgreSQL SERIALIZABLE"]
    assert ser.result.ok is True
    assert ser.failures == ("T2: serialization failure",)
    step = next(s for s in ser.steps if s.result.startswith("serialization failure"))
    assert (step.txn, step.op, step.result) == ("T2", "commit", "serialization failure (40001)")


def test_every_target_keeps_its_promise_on_the_catalogue(
    catalogue: dict[tuple[str, str], Any],
) -> None:
    for (name, label), run in catalogue.items():
        assert run.promise.ok is True, (name, label, str(run.promise))


def test_the_checker_agrees_with_trying_every_order(
    catalogue: dict[tuple[str, str], Any],
) -> None:
    for key, run in catalogue.items():
        order = serializable_by_enumeration(run.history)
        assert run.result.ok is (order is not None), (key, str(run.result))


def test_waits_are_seen_not_guessed(catalogue: dict[tuple[str, str], Any]) -> None:
    run = catalogue["dirty write", "PostgreSQL READ COMMITTED"]
    notes = {s.number: s.note() for s in run.steps if s.note()}
    assert notes == {
        2: "waited for T1 to end",
        3: "queued behind step 2",
        4: "queued behind step 3",
    }
    reads = [s.result for s in run.steps if s.txn == "T3" and s.op.startswith("r ")]
    assert reads == ["[1, 2]", "[1, 2]", "[]"]


def test_the_real_databases_and_the_book_store_let_the_same_anomalies_through(
    catalogue: dict[tuple[str, str], Any],
) -> None:
    table = compare_table(catalogue)
    assert table.shape == (len(CATALOGUE), 2 * len(TARGETS))
    for label in (t.label for t in TARGETS):
        real_column = table[label, "real"]
        store_column = table[label, f"book's store: {SIMULATED[label]}"]
        assert list(real_column) == [catalogue[n, label].verdict() for n in table.index]
        occurred = real_column.str.startswith("occurred")
        assert list(occurred) == list(store_column.str.startswith("occurred")), label
    # ... and they prevent the others differently: waiting or not, aborting T1 or T2
    dirty_write = table.loc["dirty write"]
    assert dirty_write["PostgreSQL REPEATABLE READ", "real"].startswith("waited, aborted")
    assert dirty_write["PostgreSQL REPEATABLE READ"].iloc[1].startswith("aborted (first committer")
    real_outcomes = dict(catalogue["dirty write", "PostgreSQL REPEATABLE READ"].outcomes)
    assert real_outcomes["T1"] == "committed"  # first-updater-wins: the second writer, T2, lost
    assert real_outcomes["T2"] == "serialization failure"


def test_the_steps_as_a_table(catalogue: dict[tuple[str, str], Any]) -> None:
    frame = catalogue["write skew", "PostgreSQL SERIALIZABLE"].to_frame()
    assert list(frame.columns) == ["step", "txn", "operation", "result", "waited"]
    assert frame.loc[frame.step == 8, "result"].item() == "serialization failure (40001)"


def test_a_script_gives_the_same_run_every_time() -> None:
    script = get_interleaving("read-only anomaly")
    target = Target("postgresql", "serializable")
    first, second = (run_interleaving(script, target) for _ in range(2))
    assert first.history == second.history
    assert first.steps == second.steps
    assert str(first) == str(second)


def test_a_deadlock_aborts_exactly_one_transaction() -> None:
    run = run_interleaving(
        "T1 append x 1; T2 append y 2; T1 append y 3; T2 append x 4; T1 commit; T2 commit",
        "postgresql",
        "read-committed",
    )
    assert sorted(o for _, o in run.outcomes) == ["committed", "deadlock"]
    assert run.result.ok is True


def test_a_reader_script_with_setup() -> None:
    run = run_interleaving(
        "T1 r x; T2 append x 5; T2 commit; T1 r x; T1 commit",
        "postgresql",
        "repeatable-read",
        setup={"x": [1, 2]},
    )
    assert [s.result for s in run.steps if s.op == "r x"] == ["[1, 2]", "[1, 2]"]
    assert run.verdict() == "snapshot"


def test_the_concurrent_workload_is_serializable_at_serializable() -> None:
    run = run_workload("postgresql", "serializable", clients=4, transactions=300, seed=1)
    assert run.transactions == 300
    assert run.committed + sum(n for _, n in run.failures) == 300
    assert run.result.ok is True, str(run.result)
    assert run.anomalies == ()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.label)
def test_the_concurrent_workload_keeps_each_promise(target: Target) -> None:
    run = run_workload(target, clients=4, transactions=150, seed=2)
    assert run.promise.ok is True, str(run.promise)
    row = run.row()
    assert row["transactions"] == 150
    assert row["meets its promise"] == f"{target.promised}: yes"
    assert list(workload_table([run]).index) == [target.label]


def test_each_mutant_of_the_harness_is_caught() -> None:
    report = real.mutant_report()
    assert report.problems() == []
    assert sorted(m.name for m in report.mutants) == sorted(MUTANTS)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="engine 'mysql' is unknown"):
        Target("mysql")
    with pytest.raises(ValueError, match="pass level=None"):
        Target("duckdb", "serializable")
    with pytest.raises(ValueError, match="unknown; allowed"):
        run_interleaving("T1 r x; T1 commit", "postgresql", "snapshot")
    with pytest.raises(ValueError, match="step 2 'T2 append x': unknown operation"):
        parse_script("T1 r x; T2 append x; T1 commit; T2 commit")
    with pytest.raises(ValueError, match=r"\['T2'\] never commit or abort"):
        parse_script("T1 r x; T2 r x; T1 commit")
    with pytest.raises(ValueError, match="T1 has already ended"):
        parse_script("T1 commit; T1 r x")
    with pytest.raises(ValueError, match="appended to x twice"):
        parse_script("T1 append x 1; T2 append x 1; T1 commit; T2 commit")
    with pytest.raises(ValueError, match="a step is"):
        parse_script("X1 r x")
    with pytest.raises(ValueError, match="no steps"):
        parse_script(" ; ")
    with pytest.raises(TypeError, match="a script is a str"):
        parse_script(["T1 r x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="has its own setup"):
        run_interleaving(CATALOGUE[0], "duckdb", setup={"x": [1]})
    with pytest.raises(ValueError, match="unknown mutant"):
        run_interleaving(CATALOGUE[0], "duckdb", mutant="typo")
    with pytest.raises(ValueError, match="no interleaving"):
        get_interleaving("dirty reads")
    with pytest.raises(ValueError, match="clients=0 must be an integer >= 1"):
        run_workload("duckdb", clients=0)
    with pytest.raises(ValueError, match="each client needs at least one"):
        run_workload("duckdb", clients=4, transactions=3)
    with pytest.raises(ValueError, match="outside the scanned domain"):
        run_interleaving("T1 append y 1; T1 commit; T2 scan x z; T2 commit", "duckdb")


def test_the_server_stops_and_deletes_its_directory() -> None:
    # Last in the file: it stops the shared server (the next postgres() starts a new one).
    with postgres() as server:  # the end of the block stops it
        directory = server.directory
        assert (directory / "data" / "PG_VERSION").exists()
    assert not server.running
    assert not directory.exists()
    assert not real._alive(server.postmaster)
    server.stop()  # again: nothing happens
    with pytest.raises(DatabaseUnavailable, match="stopped"):
        server.connect()
