"""The real runtime: nodes as processes on localhost (dslib.runtime).

Every test that starts processes is bounded: the cluster waits at most ``TIMEOUT``
seconds for anything, generous for a loaded machine, and nothing asserts a duration.
Each compares what the processes did with what the simulator does with the same
nodes, or with a fact that a wrong runtime would break (each test names the bug it
would catch).
"""

from __future__ import annotations

import gc
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest
from test_runtime_nodes import (
    Draw,
    FailsOnMessage,
    FailsOnStart,
    Note,
    Sender,
    SendsComplex,
    Spinner,
    StaleRegister,
    Tally,
)

from dslib import Node, Simulation, System
from dslib.basics import KVServer, Pinger, PingerState, Ponger
from dslib.consistency import KeyValue, Register, check_linearizable
from dslib.core import Context
from dslib.raft.kv import kv_system
from dslib.runtime import Cluster, NodeProcessError
from dslib.sim import Client

TIMEOUT = 60.0


def cluster(system: System, tmp_path: Path, **kwargs: Any) -> Cluster:
    return Cluster(system, directory=tmp_path, timeout=TIMEOUT, **kwargs)


def gone(pid: int) -> bool:
    """Whether no process ``pid`` exists (reaped, so not even a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def proc_state(pid: int) -> str | None:
    """The process's state letter from /proc (Linux), e.g. "T" when stopped; None elsewhere."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()[0]


# -- running unchanged nodes --------------------------------------------------------------
def test_ping_pong_as_processes_ends_as_in_the_simulator(tmp_path: Path) -> None:
    system = System({"pinger": Pinger(count=3, period=5.0), "ponger": Ponger()})
    expected = Simulation(system, seed=1).run().states
    with cluster(system, tmp_path, seed=1) as c:
        states = c.wait_until(lambda s: s["pinger"] == expected["pinger"])
        assert states == expected == {"pinger": PingerState(sent=3, acked=3), "ponger": 3}
        assert sorted(c.routes) == ["pinger", "ponger"]
        assert {host for host, _port in c.routes.values()} == {"127.0.0.1"}
        assert len({port for _host, port in c.routes.values()}) == 2
        assert all(port > 0 for _host, port in c.routes.values())


def test_a_node_id_that_is_no_file_name_still_gets_its_own_directory(tmp_path: Path) -> None:
    system = System({"../up": Ponger(), "pinger": Pinger(count=1, ponger="../up")})
    with cluster(system, tmp_path) as c:
        assert c.wait_until(lambda s: s["../up"] == 1)["pinger"] == PingerState(1, 1)
        assert c.directory is not None
        assert sorted(p.name for p in c.directory.iterdir()) == ["0-___up", "1-pinger"]
        assert json.loads((c.directory / "0-___up" / "spec-0.json").read_text())["id"] == "../up"


def test_each_node_draws_from_the_simulators_seed_then_a_fresh_one_after_restart(
    tmp_path: Path,
) -> None:
    # Catches: an unseeded rng, one seed for all nodes, a seed unlike the simulator's,
    # and a restarted node that repeats the draws of its first run.
    system = System({"a": Draw(), "b": Draw()})
    sim = Simulation(system, seed=7)
    with cluster(system, tmp_path, seed=7) as c:
        assert c.states == sim.states
        assert c.states["a"] != c.states["b"]
        c.crash("a")
        c.restart("a")
        again = c.state("a")
        assert again[1] == "recover" and again[0] != sim.states["a"][0]
        assert again[0] not in (sim.states["a"][0], sim.states["b"][0])


def test_crash_and_restart_recover_exactly_what_the_simulator_recovers(tmp_path: Path) -> None:
    # Tally persists its count when it is even: after 5 messages it holds 5 and has
    # persisted 4. Catches: nothing persisted (-1), the live state kept (5), init
    # called instead of on_recover (0).
    system = System({"sender": Sender("tally", count=5), "tally": Tally()})
    sim = Simulation(system, seed=0).run()
    sim.crash("tally")
    sim.restart("tally")
    with cluster(system, tmp_path) as c:
        c.wait_until(lambda s: s["tally"] == 5 and s["sender"] == 5)
        pid = c.pids["tally"]
        c.crash("tally")
        assert gone(pid)
        assert c.status("tally") == "crashed" and "tally" not in c.states
        c.restart("tally")
        assert c.state("tally") == sim.states["tally"] == 4
        c.crash("tally")  # a second crash, with nothing persisted in between
        c.restart("tally")
        assert c.state("tally") == 4


def test_a_node_that_never_persisted_recovers_from_nothing(tmp_path: Path) -> None:
    system = System({"sender": Sender("tally", count=1), "tally": Tally()})
    sim = Simulation(system).run()
    sim.crash("tally")
    sim.restart("tally")
    with cluster(system, tmp_path) as c:
        c.wait_until(lambda s: s["tally"] == 1)
        c.crash("tally")
        c.restart("tally")
        assert c.state("tally") == sim.states["tally"] == -1


def test_pause_stops_the_process_and_loses_nothing(tmp_path: Path) -> None:
    # While the ponger is stopped no pong can come back, so the pinger's acks stay at
    # most what it had sent when the pause began; after resume, every ping buffered
    # in the ponger's socket is answered. Catches: a pause that does not stop the
    # process (acks keep coming), a resume that does not continue it, and a pause
    # that loses what arrives meanwhile (a crash in disguise).
    count = 25
    system = System({"pinger": Pinger(count=count, period=40.0), "ponger": Ponger()})
    with cluster(system, tmp_path) as c:
        c.pause("ponger")
        sent_before = c.state("pinger").sent
        assert sent_before < count, "the machine is too slow for this test's 1 s of pings"
        assert proc_state(c.pids["ponger"]) in ("T", None)
        assert c.status("ponger") == "paused" and "ponger" not in c.states
        with pytest.raises(ValueError, match="node 'ponger' is paused"):
            c.state("ponger")
        done = c.wait_until(lambda s: s["pinger"].sent == count)
        assert done["pinger"].acked <= sent_before < count
        c.resume("ponger")
        assert proc_state(c.pids["ponger"]) != "T"
        final = c.wait_until(lambda s: s["pinger"].acked == count and s["ponger"] == count)
        assert final == {"pinger": PingerState(count, count), "ponger": count}


def test_a_node_that_keeps_rearming_a_timer_still_reads_its_messages(tmp_path: Path) -> None:
    # Catches a loop that fires timers as long as any is due: this node's would never
    # end, and neither its messages nor the cluster's questions would be read.
    system = System({"sender": Sender("spinner", count=3), "spinner": Spinner()})
    with cluster(system, tmp_path) as c:
        ticks, received = c.wait_until(lambda s: s["spinner"][1] == 3)["spinner"]
        assert ticks > 0 and received == 3


# -- clients and histories ----------------------------------------------------------------
def test_real_clients_record_a_history_that_the_checkers_read(tmp_path: Path) -> None:
    ops = [("write", 1), ("read", None), ("write", 2), ("read", None)]
    system = System(
        {
            "s": KVServer(),
            "c1": Client(["s"], ops, timeout=30_000.0, retries=0),
            "c2": Client(["s"], [("read", None), ("write", 3), ("read", None)], timeout=30_000.0),
        }
    )
    with cluster(system, tmp_path) as c:
        c.wait_until(lambda s: s["c1"].next_op == 4 and s["c2"].next_op == 3)
        history = c.history()
    operations = history.operations()
    assert len(operations) == 7
    assert all(op.status == "ok" and op.invoke_time < op.complete_time for op in operations)
    mine = [(op.f, op.value) for op in operations if op.process == "c1"]
    assert mine == ops
    assert [e.time for e in history] == sorted(e.time for e in history)
    assert check_linearizable(history, Register()).verdict == "ok"


def test_the_history_of_a_broken_register_is_caught(tmp_path: Path) -> None:
    # A read after a completed write returns the older value: the checker must see it,
    # so the history must hold the right values in the right order.
    ops = [("write", 1), ("write", 2), ("read", None)]
    system = System({"s": StaleRegister(), "c1": Client(["s"], ops, timeout=30_000.0)})
    with cluster(system, tmp_path) as c:
        c.wait_until(lambda s: s["c1"].next_op == 3)
        history = c.history()
    assert [op.result for op in history.operations()] == [1, 2, 1]
    assert check_linearizable(history, Register()).verdict == "violation"


def test_raft_kv_survives_a_kill_9_of_its_leader_and_stays_linearizable(tmp_path: Path) -> None:
    # Chapter 15's store, unchanged, on real processes: its leader is killed mid-run and
    # restarted; it recovers its term from disk, and the clients' history is linearizable.
    system = kv_system(3, 2, ops=12)

    def done(n: int) -> Any:
        return lambda s: s["c1"].next_op >= n and s["c2"].next_op >= n

    with cluster(system, tmp_path) as c:
        c.wait_until(done(3))
        leaders = [i for i in ("s1", "s2", "s3") if c.state(i).role == "leader"]
        victim = leaders[0] if leaders else "s1"
        term = c.state(victim).current_term
        c.crash(victim)
        c.wait_until(done(7))
        c.restart(victim)
        assert c.state(victim).current_term >= term >= 1
        c.wait_until(done(12))
        history = c.history()
    assert len(history.operations()) == 24
    assert check_linearizable(history, KeyValue()).verdict == "ok"


# -- cleanup ------------------------------------------------------------------------------
def test_the_with_block_leaves_no_process_and_no_directory_even_when_it_raises(
    tmp_path: Path,
) -> None:
    system = System({"pinger": Pinger(count=1000, period=1.0), "ponger": Ponger()})
    c = cluster(system, tmp_path)
    with pytest.raises(RuntimeError, match="the test body failed"), c:
        pids = list(c.pids.values())
        directory = c.directory
        assert directory is not None and directory.is_dir()
        c.pause("ponger")  # a stopped process must be cleaned up too
        raise RuntimeError("the test body failed")
    assert pids and all(gone(pid) for pid in pids)
    assert not directory.exists()
    assert list(tmp_path.iterdir()) == []
    assert c.status("pinger") == "crashed"
    with pytest.raises(ValueError, match="not running"):
        c.state("pinger")


def test_a_cluster_never_closed_is_cleaned_up_when_collected(tmp_path: Path) -> None:
    c = cluster(System({"pinger": Pinger(count=1), "ponger": Ponger()}), tmp_path).start()
    pids = list(c.pids.values())
    directory = c.directory
    del c
    gc.collect()
    assert pids and all(gone(pid) for pid in pids)
    assert directory is not None and not directory.exists()


def test_a_cluster_never_closed_is_cleaned_up_at_interpreter_exit(tmp_path: Path) -> None:
    # The script keeps the cluster alive to the end and dies of an exception.
    script = textwrap.dedent(
        f"""
        import json, sys
        from dslib import System
        from dslib.basics import Pinger, Ponger
        from dslib.runtime import Cluster
        keep = Cluster(System({{"pinger": Pinger(count=1000, period=1.0), "ponger": Ponger()}}),
                       directory={str(tmp_path)!r}, timeout={TIMEOUT}).start()
        keep.pause("ponger")
        print(json.dumps([list(keep.pids.values()), str(keep.directory)]), flush=True)
        raise SystemExit("the script failed")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 1 and "the script failed" in done.stderr
    pids, directory = json.loads(done.stdout)
    assert len(pids) == 2 and all(gone(pid) for pid in pids)
    assert not Path(directory).exists()


# -- bad input and failing nodes ----------------------------------------------------------
def test_bad_arguments_are_refused_before_any_process_starts() -> None:
    system = System({"pinger": Pinger(), "ponger": Ponger()})
    with pytest.raises(TypeError, match="Cluster takes a dslib.System, got dict"):
        Cluster({"a": Ponger()})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed='1' must be an int"):
        Cluster(system, seed="1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="time_unit=0 must be a finite number > 0"):
        Cluster(system, time_unit=0)
    with pytest.raises(TypeError, match="timeout=None must be a number of seconds"):
        Cluster(system, timeout=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ports names 'nobody', which is not a node"):
        Cluster(system, ports={"nobody": 9000})
    with pytest.raises(ValueError, match="port 70000 of node 'ponger' must be an int"):
        Cluster(system, ports={"ponger": 70000})
    with pytest.raises(TypeError, match="types=.* must be a sequence of classes"):
        Cluster(system, types=Note)  # type: ignore[arg-type]
    c = Cluster(system)
    with pytest.raises(ValueError, match="crash: unknown node 'x'; the nodes are"):
        c.crash("x")
    with pytest.raises(ValueError, match="the cluster is not running"):
        c.crash("pinger")


def test_a_node_class_the_process_cannot_import_is_refused_with_the_reason() -> None:
    class Local(Node[int]):
        def init(self, ctx: Context) -> int:
            return 0

    with pytest.raises(
        TypeError, match=r"node 'a' \(.*Local\): its class is defined inside a function"
    ):
        Cluster(System({"a": Local()}))

    class WithAFunction(Ponger):
        pass

    WithAFunction.__qualname__ = "WithAFunction"
    WithAFunction.__module__ = Ponger.__module__
    with pytest.raises(TypeError, match="cannot be imported by path"):
        Cluster(System({"a": WithAFunction()}))

    class InANotebook(Ponger):
        pass

    InANotebook.__module__, InANotebook.__qualname__ = "__main__", "InANotebook"
    with pytest.raises(TypeError, match=r"is defined in __main__ \(a script or a notebook\)"):
        Cluster(System({"a": InANotebook()}))

    settish = Ponger()
    settish.peers = {"b", "c"}  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="attribute 'peers' cannot be sent .*cannot encode a set"):
        Cluster(System({"a": settish}))

    odd = Ponger()
    odd.handler = lambda: None  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="its attribute 'handler' is a lambda, so the node's own"):
        Cluster(System({"a": odd}))


def test_a_class_only_this_process_can_import_fails_in_the_child_with_its_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module exists in this process (sys.modules) but on no path the child sees.
    module = types.ModuleType("only_in_this_process")

    class Ghost(Ponger):
        pass

    Ghost.__module__ = module.__name__
    Ghost.__qualname__ = "Ghost"
    module.Ghost = Ghost  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    c = cluster(System({"ghost": Ghost(), "pinger": Pinger(count=1, ponger="ghost")}), tmp_path)
    with pytest.raises(NodeProcessError) as info:
        c.start()
    message = str(info.value)
    assert "node 'ghost' (Ghost) exited with code 2 before it bound its socket" in message
    assert "No module named 'only_in_this_process'" in message
    assert info.value.node == "ghost" and info.value.returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_a_node_that_crashes_on_start_is_named_with_its_traceback(tmp_path: Path) -> None:
    c = cluster(System({"bad": FailsOnStart(), "ponger": Ponger()}), tmp_path)
    with pytest.raises(NodeProcessError) as info:
        c.start()
    message = str(info.value)
    assert "node 'bad' (FailsOnStart) exited with code 1 before it started (init)" in message
    assert (
        "node 'bad' (FailsOnStart) raised ZeroDivisionError: integer division or modulo by zero "
        "while handling init" in info.value.stderr
    )
    assert info.value.stderr in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_handler_that_raises_later_is_reported_at_the_next_look(tmp_path: Path) -> None:
    system = System({"sender": Sender("bad", count=1), "bad": FailsOnMessage()})
    with cluster(system, tmp_path) as c, pytest.raises(NodeProcessError) as info:
        c.wait_until(lambda s: False)
    message = str(info.value)
    # Found by the next state request or by the check before it: both say so.
    assert re.search(
        r"node 'bad' \(FailsOnMessage\) exited with code 1 "
        r"(while the cluster ran|before it answered a state request); its stderr:",
        message,
    )
    assert "raised RuntimeError: cannot handle (0, 'hello') while handling message" in message
    assert "got (0, 'hello') from sender" in info.value.stderr  # its print went to the log
    assert c.status("bad") == "crashed"


def test_a_port_in_use_is_reported(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        system = System({"pinger": Pinger(count=1), "ponger": Ponger()})
        c = cluster(system, tmp_path, ports={"ponger": port})
        with pytest.raises(NodeProcessError) as info:
            c.start()
    message = str(info.value)
    assert f"node 'ponger' cannot bind UDP 127.0.0.1:{port}" in message
    assert "Address already in use" in message and "exited with code 3" in message
    assert list(tmp_path.iterdir()) == []


def test_a_fixed_free_port_is_used(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    system = System({"pinger": Pinger(count=1), "ponger": Ponger()})
    with cluster(system, tmp_path, ports={"ponger": port}) as c:
        assert c.routes["ponger"] == ("127.0.0.1", port)
        c.wait_until(lambda s: s["pinger"].acked == 1)


def test_a_message_class_outside_dslib_must_be_named_in_types(tmp_path: Path) -> None:
    system = System({"sender": Sender("tally", count=2, note=True), "tally": Tally()})
    with cluster(system, tmp_path, types=[Note]) as c:
        c.wait_until(lambda s: s["tally"] == 2)
    with cluster(system, tmp_path) as c, pytest.raises(NodeProcessError) as info:
        c.wait_until(lambda s: False)
    assert "node 'tally' cannot decode a message: refusing to load class" in str(info.value)
    assert "Cluster(system, types=[...])" in str(info.value)


def test_a_message_the_wire_cannot_carry_fails_its_sender(tmp_path: Path) -> None:
    c = cluster(System({"a": SendsComplex(), "b": Ponger()}), tmp_path)
    with pytest.raises(NodeProcessError) as info:
        c.start()
    assert "node 'a' (SendsComplex) sent a message the wire cannot carry" in str(info.value)
    assert "cannot encode a complex" in str(info.value)


def test_faults_on_a_node_in_the_wrong_state_are_refused(tmp_path: Path) -> None:
    with cluster(System({"pinger": Pinger(count=1), "ponger": Ponger()}), tmp_path) as c:
        with pytest.raises(ValueError, match="restart: node 'ponger' is running; restart needs"):
            c.restart("ponger")
        with pytest.raises(ValueError, match="resume: node 'ponger' is running"):
            c.resume("ponger")
        c.crash("ponger")
        with pytest.raises(ValueError, match="crash: node 'ponger' is crashed"):
            c.crash("ponger")
        with pytest.raises(ValueError, match="pause: node 'ponger' is crashed"):
            c.pause("ponger")
        with pytest.raises(RuntimeError, match="started already"):
            c.start()
