"""Chapter 10, orchestration: desired state, reconciliation loops, health and rolling updates.

- ``dslib.orchestration.store``: the API server's store: objects with resource versions,
  compare-and-set updates, list and watch from a version ("too old" once compacted),
  events; a node of the simulator;
- ``dslib.orchestration.controllers``: the replica-set, deployment and node controllers,
  level-triggered (and an edge-triggered mutant);
- ``dslib.orchestration.kubelet``: the worker node: starts and stops tasks, liveness and
  readiness probes, restarts with exponential back-off, heartbeats;
- ``dslib.orchestration.cluster``: a cluster in the simulator under crashes and
  partitions; convergence and availability measured;
- ``dslib.orchestration.rollout``: rolling updates with ``max_unavailable`` and
  ``max_surge``, rollback on a failed readiness probe;
- ``dslib.orchestration.spec``: small models for ``dslib.check``: reconciliation
  liveness under weak fairness and rolling-update safety;
- ``dslib.orchestration.checks``: the named checks, the mutants and their table;
- ``dslib.orchestration.scheduling``: filter and score over CPU and memory, bin packing
  (first fit, best fit, first fit decreasing) against spreading, affinity, preemption,
  and the optimum on small cases by exhaustive search and by z3;
- ``dslib.orchestration.autoscaling``: the horizontal autoscaler's rule with its
  tolerance and scale-down stabilisation window, under a changing load;
- ``dslib.orchestration.lease``: leader election by lease in the store, what clock skew
  and pauses do, and fencing tokens, in the simulator and as a model.

The store, the controllers, the kubelet, the cluster and the main names of scheduling,
autoscaling and leases are re-exported here (``from dslib.orchestration import
ClusterSpec``); the rollout, the specification and the checks are imported from their
modules.
"""

from dslib.orchestration.autoscaling import (
    AutoscalerConfig as AutoscalerConfig,
)
from dslib.orchestration.autoscaling import (
    autoscale_run as autoscale_run,
)
from dslib.orchestration.autoscaling import (
    desired_replicas as desired_replicas,
)
from dslib.orchestration.autoscaling import (
    oscillations as oscillations,
)
from dslib.orchestration.cluster import *  # noqa: F403
from dslib.orchestration.cluster import __all__ as _cluster_all
from dslib.orchestration.controllers import *  # noqa: F403
from dslib.orchestration.controllers import __all__ as _controllers_all
from dslib.orchestration.kubelet import *  # noqa: F403
from dslib.orchestration.kubelet import __all__ as _kubelet_all
from dslib.orchestration.lease import (
    LeaseConfig as LeaseConfig,
)
from dslib.orchestration.lease import (
    LeaseModel as LeaseModel,
)
from dslib.orchestration.lease import (
    check_fencing as check_fencing,
)
from dslib.orchestration.lease import (
    check_lease_model as check_lease_model,
)
from dslib.orchestration.lease import (
    lease_run as lease_run,
)
from dslib.orchestration.lease import (
    lease_system as lease_system,
)
from dslib.orchestration.scheduling import (
    Cluster as Cluster,
)
from dslib.orchestration.scheduling import (
    NodeSpec as NodeSpec,
)
from dslib.orchestration.scheduling import (
    TaskSpec as TaskSpec,
)
from dslib.orchestration.scheduling import (
    filter_nodes as filter_nodes,
)
from dslib.orchestration.scheduling import (
    optimal_node_count as optimal_node_count,
)
from dslib.orchestration.scheduling import (
    optimal_node_count_z3 as optimal_node_count_z3,
)
from dslib.orchestration.scheduling import (
    pack as pack,
)
from dslib.orchestration.scheduling import (
    schedule as schedule,
)
from dslib.orchestration.store import *  # noqa: F403
from dslib.orchestration.store import __all__ as _store_all

_SCHEDULING_AUTOSCALING_LEASE = {
    "AutoscalerConfig",
    "Cluster",
    "LeaseConfig",
    "LeaseModel",
    "NodeSpec",
    "TaskSpec",
    "autoscale_run",
    "check_fencing",
    "check_lease_model",
    "desired_replicas",
    "filter_nodes",
    "lease_run",
    "lease_system",
    "optimal_node_count",
    "optimal_node_count_z3",
    "oscillations",
    "pack",
    "schedule",
}
__all__ = sorted(
    {*_store_all, *_controllers_all, *_kubelet_all, *_cluster_all, *_SCHEDULING_AUTOSCALING_LEASE}
    - {"MUTANTS"}
)
