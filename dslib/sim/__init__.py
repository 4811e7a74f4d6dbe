"""The seeded discrete-event simulator and what it runs with.

``Simulation`` runs a ``System`` in simulated time over a ``Network``
(latency, loss, duplication, ordering), under faults (crashes, restarts,
pauses, partitions, clock skew) applied by hand or by a ``Nemesis``; it
records a ``Trace`` of everything and the ``History`` of client operations.
"""

from dslib.sim.clients import Client, Reply, Request
from dslib.sim.history import Event, History, Operation
from dslib.sim.nemesis import (
    ClockSkew,
    Crash,
    Cut,
    Fault,
    Heal,
    Nemesis,
    NetworkChange,
    Partition,
    Pause,
    RandomNemesis,
    Restart,
)
from dslib.sim.network import Latency, Network, constant, exponential, lognormal, uniform
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace, TraceEvent

__all__ = [
    "Client",
    "ClockSkew",
    "Crash",
    "Cut",
    "Event",
    "Fault",
    "Heal",
    "History",
    "Latency",
    "Nemesis",
    "Network",
    "NetworkChange",
    "Operation",
    "Partition",
    "Pause",
    "RandomNemesis",
    "Reply",
    "Request",
    "Restart",
    "Simulation",
    "Trace",
    "TraceEvent",
    "constant",
    "exponential",
    "lognormal",
    "uniform",
]
