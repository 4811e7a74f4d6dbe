"""The nemesis of the real runtime: the proxy's fault table, the proxies, the player.

The fault table is compared with the simulator's own ``connected`` on random fault
sequences (an oracle); the UDP proxy is tested with bare sockets, where a datagram
that should be dropped either arrives or does not; the cluster-level tests run the
book's Raft through the proxy. Nothing asserts a duration: waits are bounded by
``TIMEOUT`` and only decide how long a failing test takes to fail.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_runtime_nodes import ClockReader

from dslib import Simulation, System
from dslib.basics import Pinger, Ponger
from dslib.raft.kv import kv_system
from dslib.runtime import Cluster
from dslib.runtime.nemesis import NemesisPlayer
from dslib.runtime.proxy import HOST, Links, TcpProxy, UdpProxy
from dslib.runtime.wire import encode_datagram
from dslib.sim import Crash, Cut, Heal, NetworkChange, Partition, Pause
from dslib.sim.nemesis import ClockSkew

TIMEOUT = 60.0
NODES = ("a", "b", "c", "d")


# -- the fault table ------------------------------------------------------------------------
def link_faults() -> st.SearchStrategy[Any]:
    def partition(order: list[str], cut: int) -> Partition:
        groups = (tuple(sorted(order[:cut])), tuple(sorted(order[cut:])))
        return Partition(tuple(g for g in groups if g))

    return st.one_of(
        st.builds(partition, st.permutations(list(NODES)), st.integers(1, len(NODES))),
        st.builds(Cut, st.sampled_from(NODES), st.sampled_from(NODES)),
        st.just(Heal()),
    )


@given(st.lists(link_faults(), max_size=6))
def test_links_connect_exactly_as_the_simulator_does(faults: list[Any]) -> None:
    # The oracle is the simulator's Simulation.connected, after the same faults.
    sim = Simulation(System({n: Ponger() for n in NODES}))
    links = Links(NODES)
    for fault in faults:
        if isinstance(fault, Partition):
            sim.partition(*fault.groups)
        elif isinstance(fault, Cut):
            sim.cut(fault.src, fault.dst)
        else:
            sim.heal()
        links.apply(fault)
        for src in NODES:
            for dst in NODES:
                assert links.connected(src, dst) == sim.connected(src, dst), (fault, src, dst)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Partition((("a", "b"),)), r"nodes \['c', 'd'\] are in no group"),
        (Partition((("a", "b"), ("b", "c", "d"))), "'b' is in more than one group"),
        (Partition((("a", "x"), ("b", "c", "d"))), "unknown node 'x'"),
        (Cut("a", "x"), "unknown node 'x'"),
        (NetworkChange(loss=2.0), r"loss=2.0 must be a probability in \[0, 1\]"),
    ],
)
def test_a_bad_link_fault_is_refused_and_changes_nothing(fault: Any, message: str) -> None:
    links = Links(NODES)
    with pytest.raises(ValueError, match=message):
        links.apply(fault)
    assert links.groups is None and not links.cut and links.loss == 0.0


def test_a_fault_the_proxy_cannot_apply_is_refused() -> None:
    with pytest.raises(TypeError, match="not a link fault; use Partition, Cut, Heal"):
        Links(NODES).apply(Crash("a"))  # type: ignore[arg-type]


# -- the UDP proxy, with bare sockets --------------------------------------------------------
def receiver() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((HOST, 0))
    sock.settimeout(TIMEOUT)
    return sock


def test_the_udp_proxy_drops_across_a_partition_and_a_cut_and_forwards_the_rest() -> None:
    # Each datagram is followed by a marker on an open link; a dropped datagram is
    # one that is missing when its marker arrives (no timing involved). Sockets
    # deliver in order on the loopback, and the proxy relays in order without latency.
    a, b, c = receiver(), receiver(), receiver()
    backends = {"a": a.getsockname(), "b": b.getsockname(), "c": c.getsockname()}
    with UdpProxy(backends) as proxy:

        def arrives(src: str, dst: str, sock: socket.socket, marker_src: str) -> bool:
            sock.sendto(encode_datagram(src, dst, "probe"), proxy.fronts[dst])
            sock.sendto(encode_datagram(marker_src, dst, "marker"), proxy.fronts[dst])
            first, _ = {"a": a, "b": b, "c": c}[dst].recvfrom(65536)
            if b"marker" in first:
                return False
            marker, _ = {"a": a, "b": b, "c": c}[dst].recvfrom(65536)
            assert b"marker" in marker
            return True

        assert arrives("b", "a", b, "a")
        proxy.links.apply(Partition((("a",), ("b", "c"))))
        assert not arrives("b", "a", b, "a")  # across the partition
        assert arrives("c", "b", c, "b")  # within a group
        proxy.links.apply(Heal())
        proxy.links.apply(Cut("b", "a"))
        assert not arrives("b", "a", b, "a")
        assert arrives("a", "b", a, "b")  # a cut is one way
        proxy.links.apply(Heal())
        proxy.links.apply(NetworkChange(loss=1.0))
        dropped = proxy.counts["dropped"]
        b.sendto(encode_datagram("b", "a", "lost"), proxy.fronts["a"])
        deadline = time.monotonic() + TIMEOUT
        while proxy.counts["dropped"] == dropped and time.monotonic() < deadline:
            time.sleep(0.01)  # until the proxy has judged it
        proxy.links.apply(NetworkChange())  # back to the network's own: no loss
        b.sendto(encode_datagram("b", "a", "marker"), proxy.fronts["a"])
        assert b"marker" in a.recvfrom(65536)[0]  # the lost one never arrives
        assert proxy.counts["dropped"] == dropped + 1
    for sock in (a, b, c):
        sock.close()


def test_the_udp_proxy_duplicates_and_delays_as_the_network_says() -> None:
    from dslib.sim import Network, constant

    a = receiver()
    with UdpProxy(
        {"a": a.getsockname(), "b": (HOST, 9)},
        network=Network(latency=constant(1.0), duplication=1.0, fifo=True),
    ) as proxy:
        for i in range(5):
            a.sendto(encode_datagram("b", "a", i), proxy.fronts["a"])
        got = [a.recvfrom(65536)[0] for _ in range(10)]
    # Every datagram twice, in the order sent (fifo holds despite the latency).
    assert got == [encode_datagram("b", "a", i) for i in range(5) for _ in range(2)]
    assert proxy.counts == {"forwarded": 10, "dropped": 0, "duplicated": 5}
    a.close()


def test_a_stray_packet_is_not_relayed() -> None:
    a = receiver()
    with UdpProxy({"a": a.getsockname()}) as proxy:
        a.sendto(b"not json", proxy.fronts["a"])
        a.sendto(encode_datagram("a", "a", "after"), proxy.fronts["a"])
        assert b"after" in a.recvfrom(65536)[0]
    assert proxy.counts["dropped"] == 1
    a.close()


def test_the_tcp_proxy_closes_the_connections_a_partition_cuts() -> None:
    server = socket.create_server((HOST, 0))
    server.settimeout(TIMEOUT)
    names = {b"from-b": "b", b"from-c": "c"}
    with TcpProxy(
        {"a": server.getsockname(), "b": (HOST, 9), "c": (HOST, 9)},
        identify=lambda first: names.get(first[:6]),
    ) as proxy:
        conns = {}
        for who in ("b", "c"):
            client = socket.create_connection(proxy.fronts["a"], timeout=TIMEOUT)
            client.sendall(f"from-{who}".encode())
            conn, _ = server.accept()
            assert conn.recv(6) == f"from-{who}".encode()
            conns[who] = (client, conn)
        proxy.apply(Partition((("a", "c"), ("b",))))
        assert conns["b"][0].recv(10) == b""  # closed by the proxy
        conns["c"][1].sendall(b"still")
        assert conns["c"][0].recv(5) == b"still"
        late = socket.create_connection(proxy.fronts["a"], timeout=TIMEOUT)
        late.sendall(b"from-b")
        assert late.recv(10) == b""  # refused while the partition lasts
        with pytest.raises(ValueError, match="no meaning for a TCP stream"):
            proxy.apply(Cut("a", "b"))
        for client, conn in conns.values():
            client.close()
            conn.close()
        late.close()
    server.close()


# -- clusters behind the proxy ----------------------------------------------------------------
def test_link_faults_need_the_proxy(tmp_path: Path) -> None:
    system = System({"pinger": Pinger(count=1), "ponger": Ponger()})
    with (
        Cluster(system, directory=tmp_path, timeout=TIMEOUT) as c,
        pytest.raises(ValueError, match=r"Cluster\(system, proxy=True\)"),
    ):
        c.partition(["pinger"], ["ponger"])
    with pytest.raises(TypeError, match="must be a dslib.sim.Network"):
        Cluster(system, network="lossy")  # type: ignore[arg-type]


def test_a_partition_through_the_proxy_stops_a_minority_from_committing(tmp_path: Path) -> None:
    # The leader and client c1 are cut off from the two other servers and c2. The
    # majority elects a leader and commits c2's operations; the old leader keeps
    # c1's requests but cannot commit them: its commit index stays where it was.
    # Without the proxy's partition it would commit them, or learn the new
    # leader's entries, and its commit index would move.
    # Clients that think 20 ms between operations keep going for seconds, longer
    # than the test needs (it ends when they have done a few more after the heal).
    system = kv_system(3, 2, ops=1000, give_up=100_000.0, think=20.0)
    with Cluster(system, directory=tmp_path, timeout=TIMEOUT, proxy=True) as c:
        states = c.wait_until(lambda s: s["c1"].next_op >= 2 and s["c2"].next_op >= 2)
        old = next(i for i in ("s1", "s2", "s3") if states[i].role == "leader")
        rest = sorted({"s1", "s2", "s3"} - {old})
        c.partition([old, "c1"], [*rest, "c2"])
        # Once the majority has a leader of its own that committed past the old one,
        # every message that crossed before the partition has long been handled.
        first = c.wait_until(
            lambda s: any(
                s[i].role == "leader" and s[i].commit_index > s[old].commit_index for i in rest
            )
        )
        frozen, c1_done, c2_done = (
            first[old].commit_index,
            first["c1"].next_op,
            first["c2"].next_op,
        )
        after = c.wait_until(lambda s: s["c2"].next_op >= c2_done + 10)  # the majority goes on
        assert after[old].commit_index == frozen  # the minority does not
        assert max(after[i].commit_index for i in rest) > frozen
        assert after["c1"].next_op <= c1_done + 1  # at most the one in flight
        assert c.proxy is not None and c.proxy.counts["dropped"] > 0
        c.heal()
        c.wait_until(lambda s: s["c1"].next_op >= c1_done + 2)  # healed: c1 goes on


def test_a_skewed_clock_is_what_the_node_reads_and_survives_a_restart(tmp_path: Path) -> None:
    system = System({"clock": ClockReader(period=5.0)})
    with Cluster(system, directory=tmp_path, timeout=TIMEOUT) as c:
        c.wait_until(lambda s: s["clock"][0] >= 1)
        c.skew_clock("clock", offset=1e9, rate=1.0)
        c.wait_until(lambda s: s["clock"][1] >= 1e9)
        c.crash("clock")
        c.restart("clock")
        _ticks, now = c.wait_until(lambda s: s["clock"][0] >= 1)["clock"]
        assert now >= 1e9
        with pytest.raises(ValueError, match="rate=0 a number > 0"):
            c.skew_clock("clock", rate=0)


def test_the_player_applies_a_schedule_to_a_cluster_and_recovers_it(tmp_path: Path) -> None:
    system = System({"pinger": Pinger(count=1000, period=5.0), "ponger": Ponger()})
    schedule = [
        (0.0, Pause("ponger", 1e9)),
        (0.0, Crash("pinger")),
        (1.0, Partition((("pinger",), ("ponger",)))),
        (2.0, ClockSkew("pinger", 5.0, 2.0)),
    ]
    with Cluster(system, directory=tmp_path, timeout=TIMEOUT, proxy=True) as c:
        player = NemesisPlayer(c, schedule)
        player.play(1.5)
        assert [c.status(n) for n in ("pinger", "ponger")] == ["crashed", "paused"]
        assert c.proxy is not None and not c.proxy.links.connected("pinger", "ponger")
        player.play(2.0)  # a crashed machine's clock can be skewed, as in the simulator
        player.recover(["pinger", "ponger"])
        assert [c.status(n) for n in ("pinger", "ponger")] == ["running", "running"]
        assert c.proxy.links.connected("pinger", "ponger")
        c.wait_until(lambda s: s["pinger"].acked >= 2)
    assert [what for _, what in player.applied] == [
        "Pause(node='ponger', duration=1000000000.0)",
        "Crash(node='pinger')",
        "Partition(groups=(('pinger',), ('ponger',)))",
        "ClockSkew(node='pinger', offset=5.0, rate=2.0)",
    ]


def test_a_proxy_refuses_to_relay_to_another_machine() -> None:
    with pytest.raises(ValueError, match="only 127.0.0.1 is allowed"):
        UdpProxy({"a": ("10.0.0.1", 9)})
    with pytest.raises(ValueError, match="only 127.0.0.1 is allowed"):
        TcpProxy({"a": ("0.0.0.0", 9)})
