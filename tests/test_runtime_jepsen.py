"""The Jepsen-style harness on the book's Raft (dslib.capstone.jepsen.run_raft).

Short runs (seconds) with a fixed schedule; the minutes-long random runs are the
benchmark's (benchmarks/bench_runtime_jepsen.py). Nothing asserts a duration.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dslib.capstone.jepsen import RealRun, history_stats, run_raft, run_system
from dslib.consistency import Register
from dslib.sim import Crash, Heal, Partition, Pause, Restart
from dslib.sim.clients import Client

SERVERS = ("s1", "s2", "s3")


def isolate_each_server_in_turn() -> list[tuple[float, object]]:
    # Each server in turn is cut off with one client, for 500 ms. The leader changes
    # only when it is cut off, so within three episodes the leader of the moment is
    # cut off with its client: a Raft that acknowledges before committing (the
    # mutant below) then acknowledges writes that the majority's new leader erases.
    schedule: list[tuple[float, object]] = []
    for k, server in enumerate(SERVERS * 2):
        client = f"c{SERVERS.index(server) + 1}"
        alone = (server, client)
        rest = tuple(sorted({*SERVERS, "c1", "c2", "c3"} - set(alone)))
        t = 300.0 + 700.0 * k
        schedule += [(t, Partition((alone, rest))), (t + 500.0, Heal())]
    return schedule


def test_the_book_raft_under_partitions_crashes_and_pauses_loses_nothing(tmp_path: Path) -> None:
    schedule = [
        *isolate_each_server_in_turn()[:6],
        (2500.0, Crash("s1")),
        (3000.0, Restart("s1")),
        (3200.0, Pause("s2", 500.0)),
    ]
    run = run_raft(3, 3, seconds=4.0, schedule=schedule, settle=2.0, directory=tmp_path)
    assert isinstance(run, RealRun)
    assert run.verdict == "ok", run.summary() + "\n" + run.result.explain()
    assert run.lost == () and run.doubled == () and run.broken == ()
    assert run.stats["ok"] > 0
    assert [what for _, what in run.faults][-3:] == [
        "Restart(node='s1')",
        "Pause(node='s2', duration=500.0)",
        "resume s2",
    ]
    assert list(tmp_path.iterdir()) == []


def test_a_raft_that_acknowledges_before_committing_is_caught(tmp_path: Path) -> None:
    run = run_raft(
        3,
        3,
        seconds=4.5,
        schedule=isolate_each_server_in_turn(),
        settle=2.0,
        mutant="reply_before_commit",
        directory=tmp_path,
    )
    assert run.verdict != "ok", run.summary()
    assert run.lost or run.result.verdict == "violation"
    assert "mutant reply_before_commit" in run.system


def test_history_stats_count_outcomes_and_take_percentiles_of_ok_latencies() -> None:
    from dslib.sim.history import History

    h = History()
    ends = [("fail", 1.0), ("ok", 2.0), ("ok", 8.0), ("info", 50.0)]
    for i in range(len(ends)):
        h.invoke(f"c{i}", "put", i, time=0.0, key="x")
    for i, (status, latency) in enumerate(ends):
        h.complete(f"c{i}", status, "put", None, time=latency, key="x")
    stats = history_stats(h)
    assert (stats["ok"], stats["info"], stats["fail"]) == (2, 1, 1)
    assert (stats["p50"], stats["p99"]) == (2.0, 8.0)  # info and fail are not latencies
    assert stats["throughput"] == pytest.approx(2 / 0.050)


def test_any_system_runs_as_a_real_cluster_and_its_history_is_checked(tmp_path: Path) -> None:
    from dslib import System
    from dslib.basics import KVServer

    ops = [("write", 1), ("read", None), ("write", 2), ("read", None)]
    system = System({"s": KVServer(), "c1": Client(["s"], ops, timeout=30_000.0)})
    lines: list[str] = []
    states, history, result = run_system(
        system, 1.0, model=Register(), progress=lines.append, directory=tmp_path
    )
    assert states["c1"].next_op == 4
    assert [(op.f, op.result) for op in history.operations()] == [
        ("write", 1),
        ("read", 1),
        ("write", 2),
        ("read", 2),
    ]
    assert result is not None and result.verdict == "ok"
    assert lines and lines[0].strip().startswith("0.0 s")


def test_the_command_says_what_to_do_about_bad_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from dslib.capstone.__main__ import main

    assert main(["run", "dslib.raft.kv"]) == 2
    assert "give module:function" in capsys.readouterr().err
    assert main(["run", "dslib.raft.kv:kv_workload"]) == 2  # needs arguments: TypeError
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["raft", "--kinds", "crash,flood"])
    assert "unknown kinds ['flood']" in capsys.readouterr().err
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["stale-read"]) == 2
    assert "apt-get install etcd-server" in capsys.readouterr().err


def test_the_command_runs_a_system_and_checks_its_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dslib.capstone.__main__ import main

    status = main(["run", "dslib.raft.kv:kv_system", "--seconds", "2", "--model", "key-value"])
    out = capsys.readouterr()
    assert "linearizability: ok" in out.out and status == 0
    assert "0.0 s" in out.err  # the progress lines
