"""What crosses a process boundary (dslib.runtime.wire): no processes are started here.

Every message the book's chapters send, and every node they build, must survive the
trip to another process unchanged; values are compared with ``==`` and with
``stable_repr``, so that a value that comes back equal but of another type (``True``
for ``1``, a list for a tuple) is caught too.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib import Simulation, System
from dslib.architectures.events import pubsub_system
from dslib.architectures.microservices import saga_system, shop_system
from dslib.architectures.p2p import chord_ring
from dslib.balancing import KeyedLoadGenerator, QueueServer
from dslib.basics import KVServer, Ping, Pinger, Ponger
from dslib.cap import cap_system
from dslib.clocks import clock_run, sync_run
from dslib.codec import dumps, loads
from dslib.core import NOTHING_PERSISTED, stable_repr
from dslib.failure import FixedTimeout, HeartbeatSender, Monitor
from dslib.raft.core import raft_system
from dslib.raft.kv import kv_system
from dslib.replication.abd import abd_system
from dslib.replication.chain import chain_system
from dslib.replication.crdts import crdt_system
from dslib.replication.dynamo import dynamo_system
from dslib.replication.primary_backup import primary_backup_system
from dslib.runtime.wire import (
    MAX_DATAGRAM,
    build_node,
    decode_datagram,
    encode_datagram,
    node_spec,
    read_durable,
    write_durable,
)
from dslib.sharding.store import run_store
from dslib.sim import Client, Reply, Request
from dslib.small_systems.fault_bugs import counter
from dslib.small_systems.mutex import ricart_agrawala
from dslib.small_systems.registers import primary_backup, quorum_register
from dslib.small_systems.twophase import two_phase_system

CHAPTERS: dict[str, Callable[[], System]] = {
    "1 ping-pong": lambda: System({"pinger": Pinger(count=3), "ponger": Ponger()}),
    "1 key-value client": lambda: System(
        {"s": KVServer(), "c": Client(["s"], [("write", "k", 1), ("read", "k", None)])}
    ),
    "3 two-phase commit": lambda: two_phase_system(3),
    "12 ABD": lambda: abd_system(3, 2),
    "12 chain replication": lambda: chain_system(3, 2),
    "12 Dynamo": lambda: dynamo_system(5, 2),
    "12 CRDT": lambda: crdt_system("pn-counter", 3),
    "15 Raft KV": lambda: kv_system(3, 2, ops=5),
    "15 Raft elections": lambda: raft_system(3),
    "3 Ricart-Agrawala": lambda: ricart_agrawala(3),
    "3 primary-backup register": lambda: primary_backup(),
    "3 quorum register": lambda: quorum_register(),
    "3 counter (find_bug)": lambda: counter(),
    "5 publish/subscribe": lambda: pubsub_system(events=5),
    "5 microservices shop": lambda: shop_system(requests=30),
    "5 saga": lambda: saga_system([3, 4]),
    "5 Chord": lambda: chord_ring(4)[1],
    "11 CAP, CP": lambda: cap_system("CP", operations=4),
    "11 CAP, AP": lambda: cap_system("AP", operations=4),
    "12 primary-backup": lambda: primary_backup_system(),
    "2 vector clocks": lambda: clock_run(nodes=3, steps=5).system,
    "2 clock synchronisation": lambda: sync_run().system,
    "4 heartbeats": lambda: System(
        {"a": HeartbeatSender(["m"]), "m": Monitor(["a"], FixedTimeout(2.5))}
    ),
    "6 load balancing": lambda: System(
        {"s": QueueServer(1.0), "g": KeyedLoadGenerator("s", 0.5, 2)}
    ),
    "13 sharded store": lambda: run_store(seed=1).simulation.system,
}


def same(a: Any, b: Any) -> bool:
    return bool(a == b) and stable_repr(a) == stable_repr(b)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_message_of_a_chapter_crosses_the_wire_unchanged(chapter: str) -> None:
    sim = Simulation(CHAPTERS[chapter](), seed=1).run(until=2_000.0, max_events=20_000)
    sends = sim.trace.of_kind("send")
    assert sends, f"{chapter}: the run sent nothing, so this test would prove nothing"
    for e in sends:
        assert same(
            decode_datagram(encode_datagram(e.node, e.peer, e.data)),
            (
                e.node,
                e.peer,
                e.data,
            ),
        )


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_state_of_a_chapter_survives_the_durable_file(
    chapter: str, tmp_path_factory: Any
) -> None:
    # What a node persists is (part of) its state: every state a run reaches must be
    # written and read back unchanged. The file holds the codec's text of the value, so
    # every state goes through the codec, and 50 of them, spread over the run, through the
    # file itself (each write syncs the disk twice: thousands cost half a minute).
    sim = Simulation(CHAPTERS[chapter](), seed=1).run(until=2_000.0, max_events=20_000)
    states = list(
        {stable_repr(e.data): e.data for e in sim.trace.of_kind("init", "state")}.values()
    )
    assert states, f"{chapter}: the run recorded no state"
    for state in states:
        assert same(loads(dumps(state)), state)
    path = tmp_path_factory.mktemp("durable") / "state"
    for state in [*states[:: max(1, len(states) // 50)], states[-1]]:
        write_durable(path, state)
        assert path.read_text(encoding="utf-8") == dumps(state)
        assert same(read_durable(path), state)


@pytest.mark.parametrize("chapter", sorted(CHAPTERS))
def test_every_node_of_a_chapter_is_rebuilt_with_the_same_configuration(chapter: str) -> None:
    # ABD's replicas hold a function (read_decision), Raft's a RaftConfig that holds a
    # state machine object: both are configuration the codec alone cannot carry.
    system = CHAPTERS[chapter]()
    rebuilt = System({i: build_node(node_spec(i, system[i])) for i in system.ids})
    for node_id in system.ids:
        assert type(rebuilt[node_id]) is type(system[node_id])
        assert node_spec(node_id, rebuilt[node_id]) == node_spec(node_id, system[node_id])
    # ... and runs the same: the rebuilt system's simulation is the original's.
    one = Simulation(system, seed=3).run(max_events=2_000)
    two = Simulation(rebuilt, seed=3).run(max_events=2_000)
    assert str(one.trace) == str(two.trace)
    assert one.states == two.states


def test_configuration_objects_functions_and_values_are_rebuilt() -> None:
    from dslib.raft.core import RaftConfig
    from dslib.raft.kv import KVMachine
    from dslib.replication.abd import abd_read_decision

    node = Ponger()
    node.config = RaftConfig(machine=KVMachine())  # type: ignore[attr-defined]
    node.decide = abd_read_decision  # type: ignore[attr-defined]
    node.kind = KVMachine  # type: ignore[attr-defined]
    node.values = (1, frozenset({"a"}), {"k": [None]})  # type: ignore[attr-defined]
    spec = node_spec("p", node)
    assert spec["attrs"]["decide"] == {"ref": ["dslib.replication.abd", "abd_read_decision"]}
    assert spec["attrs"]["config"]["object"] == ["dslib.raft.core", "RaftConfig"]
    copy: Any = build_node(json.loads(json.dumps(spec)))
    assert copy.decide is abd_read_decision and copy.kind is KVMachine
    assert same(copy.values, node.values)  # type: ignore[attr-defined]
    assert type(copy.config.machine) is KVMachine
    assert copy.config.election_timeout == RaftConfig().election_timeout


# -- the codec's value space, drawn -------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Unimportable:
    x: int


leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.builds(Ping, st.integers())
)
hashables = st.recursive(
    leaves,
    lambda inner: (
        st.tuples(inner, inner)
        | st.frozensets(inner, max_size=3)
        | st.builds(Reply, st.integers(), st.booleans(), inner)
        | st.builds(Request, st.text(max_size=3), st.integers(), st.text(max_size=3), inner, inner)
    ),
    max_leaves=12,
)
values = st.recursive(
    hashables,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hashables, inner, max_size=3),
    max_leaves=12,
)


@given(src=st.text(min_size=1, max_size=5), dst=st.text(min_size=1, max_size=5), msg=values)
def test_any_codec_value_crosses_the_wire_unchanged(src: str, dst: str, msg: Any) -> None:
    assert same(decode_datagram(encode_datagram(src, dst, msg)), (src, dst, msg))


@given(value=hashables)
def test_any_durable_value_is_read_back_unchanged(tmp_path_factory: Any, value: Any) -> None:
    path = Path(tmp_path_factory.mktemp("durable")) / "durable.json"
    assert read_durable(path) is NOTHING_PERSISTED
    write_durable(path, value)
    write_durable(path, (value, "second"))  # replaced, not appended
    assert same(read_durable(path), (value, "second"))
    assert sorted(p.name for p in path.parent.iterdir()) == ["durable.json"]  # no .tmp left


# -- what cannot cross, and says so -------------------------------------------------------
def test_a_message_larger_than_a_datagram_is_refused_with_its_size() -> None:
    encode_datagram("a", "b", "x" * (MAX_DATAGRAM - 200))
    with pytest.raises(ValueError, match=r"encodes to 65,5\d\d bytes; one UDP datagram holds"):
        encode_datagram("a", "b", "x" * (MAX_DATAGRAM + 1))


def test_a_message_that_is_no_codec_value_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot encode a complex"):
        encode_datagram("a", "b", complex(1, 2))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe", "not a datagram: not UTF-8"),
        (b"hello", "not a datagram: decode_datagram: not JSON"),
        (b'{"format": "dslib.value", "version": 1}', 'expected an object with "format"'),
        (b'{"format": "dslib.datagram", "version": 2}', "unknown version 2"),
        (b'{"format": "dslib.datagram", "version": 1, "src": 1}', "needs string src and dst"),
    ],
)
def test_a_stray_packet_is_told_apart_from_a_message(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        decode_datagram(data)
    assert str(info.value).startswith("not a datagram")


def test_a_message_class_outside_dslib_needs_to_be_allowed() -> None:
    data = encode_datagram("a", "b", _Record(1))
    with pytest.raises(ValueError, match="refusing to load class"):
        decode_datagram(data)
    assert decode_datagram(data, [_Record]) == ("a", "b", _Record(1))


@dataclasses.dataclass(frozen=True)
class _Record:
    n: int


def test_build_node_refuses_a_class_that_is_not_a_node() -> None:
    spec = node_spec("p", Ponger())
    with pytest.raises(TypeError, match="dslib.sim.clients.Reply is not a dslib.Node class"):
        build_node({**spec, "module": "dslib.sim.clients", "class": "Reply"})
    with pytest.raises(ImportError, match="has no class 'Nope'"):
        build_node({**spec, "class": "Nope"})
