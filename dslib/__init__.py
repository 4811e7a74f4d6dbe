"""dslib: the library of an open, runnable textbook on distributed systems.

The node API (``Node``, ``Context``, ``System``) is written once; the same
nodes run under the simulator (``dslib.sim``), the model checker
(``dslib.check``), the hypothesis bridge (``dslib.testing``) and the
step-through debugger (``dslib.widgets``).

>>> import dslib
>>> sorted(dslib.__all__)[:4]
['Client', 'Context', 'NOTHING_PERSISTED', 'Network']
"""

from dslib.core import NOTHING_PERSISTED, Context, Node, System
from dslib.show import show
from dslib.sim import Client, Network, Simulation

__all__ = [
    "NOTHING_PERSISTED",
    "Client",
    "Context",
    "Network",
    "Node",
    "Simulation",
    "System",
    "show",
]

__version__ = "0.1.0"
