"""A real etcd cluster under the harness (dslib.runtime.etcd, dslib.capstone.jepsen).

Every test here needs an ``etcd`` binary; without one, the module reports one skip
that says how to install it. Each test starts three members on 127.0.0.1 in a
temporary directory and checks that none is left behind, however the test ends.
Nothing asserts a duration.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from dslib.capstone.jepsen import run_etcd, stale_read
from dslib.runtime import NodeProcessError
from dslib.runtime.etcd import (
    INSTALL_ETCD,
    EtcdClient,
    EtcdCluster,
    EtcdNotFoundError,
    find_etcd,
)
from dslib.sim import Crash, Heal, Partition, Pause, Restart

if shutil.which("etcd") is None:
    pytest.skip(f"no etcd binary on PATH: {INSTALL_ETCD}", allow_module_level=True)


def no_process_left(pids: list[int]) -> bool:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        return False
    return True


def test_a_serializable_read_from_a_partitioned_member_is_caught_with_a_minimal_core(
    tmp_path: Path,
) -> None:
    run = stale_read(serializable=True, directory=tmp_path)
    assert run.result.verdict == "violation"
    core = [(op.process, op.f, op.value, op.result) for op in run.result.core]
    # The core: the write that completed, and the read after it of an older value.
    assert core == [("c1", "put", 2, None), ("c2", "get", None, 1)]
    assert "get(x) -> 1 is impossible in state {'x': 2}" in run.result.explain()
    assert list(tmp_path.iterdir()) == []


def test_a_linearizable_read_from_a_partitioned_member_refuses_to_answer(tmp_path: Path) -> None:
    run = stale_read(serializable=False, directory=tmp_path)
    reads = [op for op in run.history.operations() if op.f == "get"]
    assert [op.status for op in reads] == ["fail"]  # no quorum: no answer, stale or not
    assert run.result.verdict == "ok"


def test_etcd_under_kill_pause_and_partition_stays_linearizable(tmp_path: Path) -> None:
    schedule = [
        (500.0, Partition((("e1",), ("e2", "e3")))),
        (1500.0, Heal()),
        (1700.0, Crash("e2")),
        (2500.0, Restart("e2")),
        (2700.0, Pause("e3", 700.0)),
    ]
    run = run_etcd(seconds=4.0, schedule=schedule, directory=tmp_path)
    assert [what for _, what in run.faults] == [*(repr(f) for _, f in schedule), "resume e3"]
    assert run.stats["ok"] > 0
    assert run.result.verdict == "ok", run.result.explain()
    assert list(tmp_path.iterdir()) == []


def test_members_and_directory_are_removed_even_when_the_block_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="boom"), EtcdCluster(directory=tmp_path) as etcd:
        pids = [p.pid for p in etcd._all]
        EtcdClient(etcd.urls["e1"], 10.0).put("k", [1, "two"])
        assert EtcdClient(etcd.urls["e2"], 10.0).get("k") == [1, "two"]
        etcd.pause("e3")  # a stopped process must be killed too
        raise RuntimeError("boom")
    assert no_process_left(pids)
    assert list(tmp_path.iterdir()) == []


def test_a_client_port_in_use_is_reported_with_the_members_log(tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        with (
            pytest.raises(
                NodeProcessError, match=r"(?s)member 'e1' exited.*address already in use"
            ),
            EtcdCluster(directory=tmp_path, client_ports={"e1": port}),
        ):
            pass
    finally:
        taken.close()
    assert list(tmp_path.iterdir()) == []


def test_a_missing_binary_and_bad_arguments_are_refused_with_what_to_do() -> None:
    with pytest.raises(EtcdNotFoundError, match="apt-get install etcd-server"):
        find_etcd("/nonexistent/etcd")
    with pytest.raises(EtcdNotFoundError, match="no etcd binary at"):
        EtcdCluster(etcd="/nonexistent/etcd")
    with pytest.raises(ValueError, match="distinct names"):
        EtcdCluster(["e1", "e1"])
    with pytest.raises(ValueError, match="only http://127.0.0.1:PORT"):
        EtcdClient("http://example.com:2379")
    with pytest.raises(ValueError, match="etcd reads the operating system's"):
        EtcdCluster().skew_clock("e1", 5.0)
