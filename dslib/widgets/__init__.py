"""Interactive explorers for the notebooks (ipywidgets), each over a pure, tested core.

Every explorer has a static counterpart (a function returning a figure) that
the book shows beside it, for readers without a live kernel.
"""

from dslib.widgets.architectures import (
    ArchitectureExplorer,
    architecture_figure,
    architecture_results,
)
from dslib.widgets.caching import CachingExplorer, caching_figure, explorer_curves
from dslib.widgets.cap import CapPlayground, cap_figure, cap_scenario
from dslib.widgets.capstone import CapstoneController, CapstonePlayground, Moment, capstone_figure
from dslib.widgets.clocks import ClockController, ClockPlayground, clocks_figure
from dslib.widgets.debugger import Debugger
from dslib.widgets.detectors import DetectorExplorer, detector_figure, detector_scenario
from dslib.widgets.navigator import Navigator, steps_from_json, steps_to_json
from dslib.widgets.network import NetworkExplorer, network_figure, network_scenario
from dslib.widgets.orchestration import ClusterController, ClusterPlayground, cluster_figure
from dslib.widgets.paxos import PaxosController, PaxosPlayground, paxos_figure
from dslib.widgets.queues import QueueController, QueuePlayground, queues_figure
from dslib.widgets.quorums import QuorumExplorer, quorum_figure, quorum_scenario
from dslib.widgets.race import LoadBalancerRace, race, race_figure, race_table
from dslib.widgets.raft import RaftController, RaftPlayground
from dslib.widgets.ring import RingExplorer, ring_figure, ring_scenario
from dslib.widgets.security import ProtectionController, SecurityPlayground, security_figure
from dslib.widgets.transactions import (
    TransactionsController,
    TransactionsPlayground,
    transactions_figure,
)

__all__ = [
    "ArchitectureExplorer",
    "CachingExplorer",
    "CapPlayground",
    "CapstoneController",
    "CapstonePlayground",
    "ClockController",
    "ClockPlayground",
    "ClusterController",
    "ClusterPlayground",
    "Debugger",
    "DetectorExplorer",
    "LoadBalancerRace",
    "Moment",
    "Navigator",
    "NetworkExplorer",
    "PaxosController",
    "PaxosPlayground",
    "ProtectionController",
    "QueueController",
    "QueuePlayground",
    "QuorumExplorer",
    "RaftController",
    "RaftPlayground",
    "RingExplorer",
    "SecurityPlayground",
    "TransactionsController",
    "TransactionsPlayground",
    "architecture_figure",
    "architecture_results",
    "caching_figure",
    "cap_figure",
    "cap_scenario",
    "capstone_figure",
    "clocks_figure",
    "cluster_figure",
    "detector_figure",
    "detector_scenario",
    "explorer_curves",
    "network_figure",
    "network_scenario",
    "paxos_figure",
    "queues_figure",
    "quorum_figure",
    "quorum_scenario",
    "race",
    "race_figure",
    "race_table",
    "ring_figure",
    "ring_scenario",
    "security_figure",
    "steps_from_json",
    "steps_to_json",
    "transactions_figure",
]
