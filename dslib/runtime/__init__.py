"""The real runtime: the book's nodes, unchanged, as operating-system processes on localhost.

Every protocol of the book is written once, as nodes whose handlers are pure (DESIGN
section 2). The simulator runs them in simulated time; this package runs them for
real, so that the same code meets real sockets, real clocks and real ``kill -9``:

- each node of a ``System`` is its own process (``python -m dslib.runtime``),
  which rebuilds the node from its class's import path and its attributes;
- nodes talk over **UDP** on 127.0.0.1, each message one datagram encoded with
  ``dslib.codec`` (``dslib.runtime.wire``; never a pickle);
- timers are real (``time.monotonic``), ``ctx.now`` counts ``time_unit`` seconds
  since the cluster started, ``ctx.rng`` is seeded per node as in the simulator;
- ``ctx.persist`` writes the node's data directory with ``fsync`` before the
  handler's messages leave, so a node killed with ``SIGKILL`` and restarted
  recovers (``on_recover``) exactly what the simulator's crash and restart give it;
- a ``Cluster`` starts, crashes, restarts, pauses and resumes the processes, reads
  their states, collects what client nodes record into a ``History`` that the
  consistency checkers read unchanged, and removes every process and directory it
  made however the run ends.

Why UDP and not TCP. The node API promises less than TCP gives: a message may be
lost, duplicated or reordered, and a node never learns whether it arrived. A datagram
is exactly one message, so there is no framing and no connection to set up, to break
when a peer is killed, or to re-establish when it restarts: a message to a dead node
is simply lost, as in the simulator. It also makes the next step simple: a proxy
that loses, delays or cuts messages (the nemesis) relays datagrams one by one, where
for TCP it would have to cut streams apart. The price is a size limit: a message
must fit in one datagram (``wire.MAX_DATAGRAM``, about 64 KB), and a node that sends
a larger one fails with an error that says so. On the loopback interface a datagram
is lost only when the receiver's buffer is full, which a paused node's can be.

The nemesis. Nodes address each other only through the routing table that the
cluster owns (``Cluster.routes``), so ``Cluster(system, proxy=True)`` points the table
at a ``UdpProxy`` (``dslib.runtime.proxy``) that relays every datagram to the node's
own socket, or drops, delays or duplicates it as the fault table (``Links``) says,
with no change to the nodes, no root and no ``iptables``. The faults are the
simulator's own values (``Partition``, ``Cut``, ``Heal``, ``NetworkChange``,
``ClockSkew``, ``Crash``, ``Pause``...), and a ``NemesisPlayer``
(``dslib.runtime.nemesis``) plays a schedule of them against a cluster as their times
come, so the schedule that broke a simulated run replays against processes.

Systems from elsewhere. ``dslib.runtime.etcd`` runs a real etcd cluster under the
same faults (a ``TcpProxy`` on its peer URLs), and ``dslib.runtime.clients`` runs
workloads against it from threads, recording the same ``History``. The harness that
puts it all together and checks the results is a chapter's: ``dslib.capstone.jepsen``.

Examples
--------
>>> from dslib import System
>>> from dslib.basics import Pinger, Ponger
>>> with Cluster(System({"pinger": Pinger(count=2), "ponger": Ponger()})) as cluster:
...     cluster.wait_until(lambda s: s["pinger"].acked == 2)["ponger"]
2
"""

from dslib.runtime.clients import run_workloads
from dslib.runtime.cluster import HOST, Cluster, NodeProcessError
from dslib.runtime.nemesis import NemesisPlayer
from dslib.runtime.proxy import Links, TcpProxy, UdpProxy
from dslib.runtime.wire import MAX_DATAGRAM, decode_datagram, encode_datagram

__all__ = [
    "HOST",
    "MAX_DATAGRAM",
    "Cluster",
    "Links",
    "NemesisPlayer",
    "NodeProcessError",
    "TcpProxy",
    "UdpProxy",
    "decode_datagram",
    "encode_datagram",
    "run_workloads",
]
