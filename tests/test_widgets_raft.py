"""Tests of the Raft playground (dslib.widgets.raft) and its figure (dslib.viz.raft).

The controller and the widget are driven from code, as a reader's clicks would
drive them; every test asserts what the cluster did, not only that it ran.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dslib.core import stable_repr
from dslib.raft import Command, Entry, NoOp, RaftConfig, RaftState, log_matching
from dslib.viz.raft import MessageView, RaftView, message_kind, raft_figure, raft_logs, raft_view
from dslib.widgets.base import figure_png
from dslib.widgets.raft import (
    PlaygroundClientState,
    RaftController,
    RaftPlayground,
    describe_action,
)

ROOT = Path(__file__).resolve().parents[1]


def elected(seed: int = 0, servers: int = 5) -> RaftController:
    c = RaftController(servers=servers, seed=seed)
    c.run(1000)
    assert c.leader is not None
    return c


# -- the controller: Raft does what the picture says -----------------------------------------
def test_crashing_the_leader_elects_a_new_one_with_a_higher_term() -> None:
    c = elected(seed=0)
    old, term = c.leader  # type: ignore[misc]
    c.crash(old)
    assert c.leader is None
    assert c.view.server(old).role == "crashed"
    c.run(1000)
    assert c.leader is not None
    new, new_term = c.leader
    assert new != old and new_term > term
    followers = [s for s in c.view.servers if s.up and s.id != new]
    assert all(s.role == "follower" and s.term == new_term for s in followers)
    # the crashed server keeps the log it had persisted, shown greyed
    assert c.view.server(old).state is not None
    assert c.view.server(old).state.log == c.frames[1].server(old).state.log
    c.restart(old)
    c.run(300)
    assert c.view.server(old).role == "follower"
    assert c.view.server(old).term == new_term
    assert log_matching(c.view.states)


def test_a_client_request_is_replicated_committed_and_answered() -> None:
    c = elected(seed=1)
    leader = c.leader[0]  # type: ignore[index]
    c.request()
    assert c.actions[-1] == ("request", leader)
    c.run(200)
    command = Command("client", 1, ("put", "x", 1))
    for s in c.view.servers:
        assert s.state is not None
        assert command in [e.command for e in s.state.log]
        assert s.state.commit_index == s.state.last_index == 2  # the no-op, then the command
        assert s.state.log[0] == Entry(1, NoOp())
    client = c.view.clients[0]
    assert isinstance(client.state, PlaygroundClientState)
    assert client.state.answered == ((1, None),) and client.state.pending == ()
    assert client.text == "1 sent, 1 answered, 0 waiting"
    assert "client's request 1 answered" in " ".join(c.notes)


def test_a_request_to_a_follower_is_redirected_to_the_leader() -> None:
    c = elected(seed=1, servers=3)
    leader = c.leader[0]  # type: ignore[index]
    follower = next(s for s in c.server_ids if s != leader)
    c.request(follower)
    c.run(200)
    state = c.view.clients[0].state
    assert isinstance(state, PlaygroundClientState)
    assert state.redirects == 1 and state.answered == ((1, None),)


def test_time_out_starts_an_election_with_request_votes_in_flight() -> None:
    c = elected(seed=2)
    follower = next(s.id for s in c.view.servers if s.role == "follower")
    term = c.view.server(follower).term
    c.timeout(follower)
    me = c.view.server(follower)
    assert me.role == "candidate" and me.term == term + 1
    votes = [m for m in c.view.messages if m.src == follower and m.kind == "RV"]
    assert sorted(m.dst for m in votes) == sorted(s for s in c.server_ids if s != follower)
    assert all(m.msg.term == term + 1 for m in votes)
    assert all(m.sent == c.now and m.arrival > c.now for m in votes)
    assert c.note.endswith(f"{follower} became candidate of term {term + 1}")


def test_isolating_the_leader_elects_another_and_healing_deposes_it() -> None:
    c = elected(seed=3)
    old, term = c.leader  # type: ignore[misc]
    c.isolate(old)
    others = tuple(s for s in c.server_ids if s != old)
    assert set(c.view.groups) == {(old,), (*others, "client")}
    assert all(old in pair for pair in c.view.cut)
    c.run(1000)
    new, new_term = c.leader  # type: ignore[misc]
    assert new != old and new_term > term
    assert c.view.server(old).role == "leader" and c.view.server(old).term == term  # stale
    # a request to the stale leader cannot cross the partition: a hollow (doomed) message
    c.request(old)
    assert [m.fate for m in c.view.messages if m.msg.__class__.__name__ == "ClientRequest"] == [
        "partition"
    ]
    c.heal()
    assert c.view.cut == ()
    c.run(300)
    assert c.view.server(old).role == "follower" and c.view.server(old).term == new_term
    assert log_matching(c.view.states)


def test_a_minority_cannot_elect_a_leader() -> None:
    c = RaftController(servers=5, seed=4)
    c.split("s4")
    minority = ("s4", "s5")
    assert {tuple(g) for g in c.view.groups} == {minority, ("s1", "s2", "s3", "client")}
    c.run(2000)
    assert c.leader is not None and c.leader[0] not in minority
    for s in minority:
        assert c.view.server(s).role != "leader"
        assert c.view.server(s).term > c.leader[1]  # they kept timing out


def test_step_handles_one_event_and_says_which() -> None:
    c = RaftController(servers=3, seed=0)
    c.step()
    assert "election timer fired" in c.note and "became candidate of term 1" in c.note
    candidate = next(s.id for s in c.view.servers if s.role == "candidate")
    assert sorted(m.kind for m in c.view.messages) == ["RV", "RV"]
    for _ in range(10):
        before = c.view.messages
        c.step()
        if "received" in c.note:
            break
    (gone,) = [m for m in before if m not in c.view.messages]
    assert c.note.startswith(f"{gone.dst} received {gone.kind} from {gone.src}")
    assert gone.arrival == c.now and gone.kind in ("RV", "RV+", "RV-")
    assert candidate in (gone.src, gone.dst)


# -- time travel ------------------------------------------------------------------------------
def script(c: RaftController) -> None:
    c.run(600)
    c.request()
    c.run(50)
    leader = c.leader[0]  # type: ignore[index]
    c.crash(leader)
    c.step()
    c.run(500)
    c.request()
    c.step()
    c.split("s2")
    c.run(120)
    c.restart(leader)
    c.heal()
    c.run(80)


def test_back_restores_every_earlier_state_and_forward_is_identical() -> None:
    c = RaftController(seed=5)
    script(c)
    frames = list(c.frames)
    picture = figure_png(c.figure(), dpi=50)
    end = c.length
    for k in range(end - 1, -1, -1):
        c.back()
        assert c.position == k
        assert c.view == frames[k]
        # the simulation itself is rebuilt: its states are those of that instant
        assert c.simulation.states == {
            **frames[k].states,
            "client": frames[k].clients[0].state,
        }
        assert c.simulation.now == frames[k].time
    with pytest.raises(ValueError, match="already at the start"):
        c.back()
    for k in range(1, end + 1):
        c.forward()
        assert c.view == frames[k]
    assert figure_png(c.figure(), dpi=50) == picture
    assert c.frames == frames
    with pytest.raises(ValueError, match="last action taken"):
        c.forward()


def test_acting_after_going_back_starts_a_new_path() -> None:
    c = RaftController(seed=6)
    c.run(700)
    leader = c.leader[0]  # type: ignore[index]
    c.crash(leader)
    c.run(600)
    c.goto(1)
    c.request()
    assert c.length == 2 and c.position == 2
    assert c.export() == [("run", 700), ("request", leader)]
    fresh = RaftController(seed=6)
    fresh.run(700)
    fresh.request()
    assert c.frames == fresh.frames
    assert c.simulation.states == fresh.simulation.states


def test_a_session_replays_from_its_actions() -> None:
    c = RaftController(seed=7)
    script(c)
    again = RaftController.from_actions(c.export(), seed=7)
    assert again.frames == c.frames and again.notes == c.notes
    other = RaftController.from_actions(c.export()[:3], seed=8)
    assert other.frames != c.frames[:4]  # the seed matters


_FINGERPRINT = """
import hashlib
from dslib.core import stable_repr
from dslib.widgets.raft import RaftController
c = RaftController(seed=9)
c.run(600); c.request(); c.split("s1"); c.run(400); c.heal(); c.step(); c.run(100)
print(hashlib.sha256(stable_repr(c.frames).encode()).hexdigest())
"""


def test_same_seed_and_actions_give_the_same_pictures_under_any_hash_seed() -> None:
    out = set()
    for hash_seed in ("0", "1"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "MPLBACKEND": "Agg"}
        run = subprocess.run(
            [sys.executable, "-c", _FINGERPRINT],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            check=True,
        )
        out.add(run.stdout.strip())
    c = RaftController(seed=9)
    c.run(600)
    c.request()
    c.split("s1")
    c.run(400)
    c.heal()
    c.step()
    c.run(100)
    out.add(hashlib.sha256(stable_repr(c.frames).encode()).hexdigest())
    assert len(out) == 1


# -- bad actions --------------------------------------------------------------------------
def test_impossible_actions_say_why_and_change_nothing() -> None:
    c = RaftController(servers=3, seed=1)
    with pytest.raises(ValueError, match="no server is the leader"):
        c.request()
    with pytest.raises(ValueError, match="not partitioned"):
        c.heal()
    with pytest.raises(ValueError, match="must be a number of ms > 0"):
        c.run(0)
    with pytest.raises(ValueError, match="unknown server 's9'"):
        c.crash("s9")
    with pytest.raises(ValueError, match="unknown action"):
        c.do(("dance",))
    with pytest.raises(ValueError, match="s1 is up"):
        c.restart("s1")
    c.run(500)
    leader = c.leader[0]  # type: ignore[index]
    with pytest.raises(ValueError, match="is the leader"):
        c.timeout(leader)
    c.crash(leader)
    with pytest.raises(ValueError, match="already crashed"):
        c.crash(leader)
    with pytest.raises(ValueError, match="is crashed"):
        c.timeout(leader)
    with pytest.raises(ValueError, match="servers \\['s3'\\] are in no group"):
        c.partition(("s1",), ("s2",))
    with pytest.raises(ValueError, match="more than one group"):
        c.partition(("s1", "s2"), ("s2", "s3"))
    for s in c.server_ids:
        if s != leader:
            c.crash(s)
    c.run(100)  # let the last messages arrive
    with pytest.raises(ValueError, match="nothing is going to happen"):
        c.step()
    assert [a[0] for a in c.actions] == ["run", "crash", "crash", "crash", "run"]
    with pytest.raises(ValueError, match="from 1 to 9"):
        RaftController(servers=0)
    with pytest.raises(TypeError, match="StateMachine"):
        RaftController(machine="kv")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="from 0 to 5"):
        c.goto(7)


def test_a_partition_places_the_client_with_the_most_servers() -> None:
    c = RaftController(servers=5, seed=0)
    c.partition(("s1", "s2"), ("s3", "s4", "s5"))
    assert c.actions[-1] == ("partition", ("s1", "s2"), ("s3", "s4", "s5", "client"))
    assert describe_action(c.actions[-1]) == "partition {s1, s2} | {s3, s4, s5, client}"


# -- the state machine is a parameter -------------------------------------------------------
def test_the_state_machine_and_the_operation_are_parameters() -> None:
    kv = pytest.importorskip("dslib.raft.kv")
    c = RaftController(
        servers=3, seed=1, machine=kv.KVMachine(), operation=lambda seq: ("put", "y", 10 * seq)
    )
    assert c.config.machine is not None and c.config.servers == ("s1", "s2", "s3")
    c.run(500)
    c.request()
    c.request()
    c.run(200)
    for s in c.view.servers:
        assert s.state is not None and s.state.machine == (("y", 20),)
    fig = raft_figure(c.view)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("y=20" in t for t in texts)


def test_a_config_keeps_its_timeouts() -> None:
    c = RaftController(servers=3, seed=0, config=RaftConfig(election_timeout=(300.0, 600.0)))
    c.run(250)
    assert c.leader is None  # nobody can time out before 300 ms
    assert c.view.election_timeout == (300.0, 600.0)
    c.run(500)
    assert c.leader is not None


# -- the figure ---------------------------------------------------------------------------
def test_the_figure_draws_every_server_message_and_entry() -> None:
    c = elected(seed=0)
    old = c.leader[0]  # type: ignore[index]
    c.request()
    c.run(5)
    c.crash(old)
    c.timeout(next(s for s in c.server_ids if s != old))
    view = c.view
    fig = raft_figure(view)
    ring, logs = fig.axes
    servers = {p.get_gid(): p for p in ring.patches if (p.get_gid() or "").startswith("server:")}
    assert sorted(servers) == [f"server:s{i}" for i in range(1, 6)]
    assert servers[f"server:{old}"].get_linestyle() == "--"  # crashed
    assert servers[f"server:{old}"].get_facecolor()[:3] == pytest.approx((0.96, 0.96, 0.96), 0.01)
    texts = [t.get_text() for t in ring.texts]
    assert {f"s{i}" for i in range(1, 6)} <= set(texts)
    assert "crashed" in texts and "client" in texts
    dots = [c for c in ring.collections if c.get_gid() == "message"]
    assert len(dots) == 1 and len(dots[0].get_offsets()) == len(view.messages) > 0
    labels = [t.get_text() for t in ring.texts if t.get_gid() == "message-label"]
    assert sorted(labels) == sorted(m.kind for m in view.messages)
    assert "RV" in labels
    (log,) = [c for c in logs.collections if c.get_gid() == "log"]
    expected = [
        (s.id, i, s.state.term(i), i <= s.state.commit_index)
        for s in view.servers
        if s.state is not None
        for i in range(1, s.state.last_index + 1)
    ]
    assert log.entries == expected
    assert len(log.get_paths()) == len(expected)
    assert fig.texts[0].get_text().startswith(f"t = {view.time:.1f} ms   no leader")


def test_the_partition_is_drawn_and_doomed_messages_are_hollow() -> None:
    c = elected(seed=3)
    leader = c.leader[0]  # type: ignore[index]
    c.isolate(leader)
    heartbeat = c.simulation.timers_due()[(leader, "heartbeat")]
    c.run(heartbeat - c.now + 1.0)  # the leader has just sent a round of heartbeats
    view = c.view
    fig = raft_figure(view)
    ring = fig.axes[0]
    (cut_lines,) = [c for c in ring.collections if c.get_gid() == "cut"]
    assert len(cut_lines.get_segments()) == len(view.cut) == len(c.server_ids)  # leader to all
    assert any(t.get_text().startswith("partition: {") for t in ring.texts)
    doomed = [m for m in view.messages if m.fate == "partition"]
    assert doomed and all(leader in (m.src, m.dst) for m in doomed)


def test_raft_view_and_figure_from_a_mapping_and_bad_input() -> None:
    log = (Entry(1, "a"), Entry(2, "b"), Entry(2, "c"))
    states = {
        "s10": RaftState(current_term=2, log=log, commit_index=1),
        "s2": RaftState(current_term=2, role="leader", log=log, commit_index=3),
    }
    view = raft_view(states)
    assert [s.id for s in view.servers] == ["s2", "s10"]  # natural order
    assert view.leader == ("s2", 2) and view.messages == ()
    fig = raft_logs(view, window=2)
    (coll,) = [c for c in fig.axes[0].collections if c.get_gid() == "log"]
    assert coll.entries == [
        ("s2", 2, 2, True),
        ("s2", 3, 2, True),
        ("s10", 2, 2, False),
        ("s10", 3, 2, False),
    ]
    with pytest.raises(TypeError, match="Simulation or a mapping"):
        raft_view([1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not RaftState"):
        raft_view({"s1": 3})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="window=0"):
        raft_logs(view, window=0)
    with pytest.raises(KeyError, match="no server 's3'"):
        view.server("s3")
    assert RaftView(0.0, ()).groups == ()


def test_message_kinds_and_progress() -> None:
    from dslib.raft import AppendEntriesReply, ClientReply, ClientRequest, RequestVote

    assert message_kind(RequestVote(1, "s1", 0, 0)) == "RV"
    assert message_kind(AppendEntriesReply(1, False)) == "AE-"
    assert message_kind(ClientRequest("c", 1, None)) == "CR"
    assert message_kind(ClientReply(1, False)) == "CR-"
    assert message_kind("ping") == "str"
    m = MessageView(1, "s1", "s2", "x", sent=10.0, arrival=20.0)
    assert (m.progress(10.0), m.progress(15.0), m.progress(30.0)) == (0.0, 0.5, 1.0)
    assert MessageView(2, "s1", "s2", "x", sent=None, arrival=20.0).progress(0.0) == 0.5


# -- the widget, clicked from code ------------------------------------------------------------
def test_the_widget_buttons_drive_the_controller() -> None:
    p = RaftPlayground(servers=3, seed=1)
    c = p.controller
    assert p.image.value[:4] == b"\x89PNG"
    assert p.request_button.disabled and p.back_button.disabled and p.restart_button.disabled
    p.buttons["+500 ms"].click()
    leader, term = c.leader  # type: ignore[misc]
    assert not p.request_button.disabled
    p.request_button.click()
    assert c.actions[-1] == ("request", leader)
    p.buttons["+50 ms"].click()
    p.controls["server"].value = leader
    assert not p.crash_button.disabled and p.timeout_button.disabled  # a leader has no timer
    before = p.image.value
    p.crash_button.click()
    assert c.view.server(leader).role == "crashed"
    assert p.crash_button.disabled and not p.restart_button.disabled
    assert p.image.value != before
    p.crash_button.click()  # a disabled button clicked from code: an error, nothing changes
    assert "already crashed" in p.message.value and c.length == 4
    p.buttons["+500 ms"].click()
    p.buttons["+500 ms"].click()  # a split vote may need a second round
    assert c.leader is not None and c.leader[1] > term
    p.restart_button.click()
    p.step_button.click()
    p.buttons["+10 ms"].click()
    assert c.length == 9
    assert c.actions[-3:] == [("restart", leader), ("step",), ("run", 10)]
    # back and forward, with the buttons and the slider
    shown = p.image.value
    p.back_button.click()
    assert c.position == 8 and not p.forward_button.disabled
    p.controls["position"].value = 2
    assert c.position == 2 and c.view == c.frames[2]
    p.controls["position"].value = 9
    assert p.image.value == shown
    p.forward_button.click()  # at the end: an error message
    assert "last action" in p.message.value
    # isolate and heal, split
    follower = next(s.id for s in c.view.servers if s.role == "follower")
    others = tuple(s for s in c.server_ids if s != follower)
    p.controls["server"].value = follower
    p.isolate_button.click()
    assert not p.heal_button.disabled and c.view.cut
    p.heal_button.click()
    assert c.view.cut == () and p.heal_button.disabled
    p.split_button.click()
    assert c.actions[-1] == ("partition", (follower,), (*others, "client"))
    p.timeout_button.click()
    assert c.view.server(follower).role == "candidate"
    # play runs one tick of the chosen length
    p.controls["tick"].value = 25
    t = c.now
    p.play.value = 1
    assert c.now == t + 25 and c.actions[-1] == ("run", 25)
    # a new seed starts again
    p.controls["seed"].value = 4
    assert c.seed == 4 and c.length == 0 and c.now == 0.0
    p.buttons["+500 ms"].click()
    p.reset_button.click()
    assert c.length == 0 and c.seed == 4
    assert repr(p) == "RaftPlayground(t=0.0 ms, step 0 of 0, no leader)"
    assert p.static().axes and p._repr_mimebundle_()["text/plain"] == repr(p)


def test_the_widget_shows_a_given_controller() -> None:
    c = elected(seed=2, servers=3)
    p = RaftPlayground(controller=c)
    assert p.controls["position"].value == 1 and "leader" in p.heading.value
    with pytest.raises(TypeError, match="not to the playground"):
        RaftPlayground(seed=3, controller=c)
