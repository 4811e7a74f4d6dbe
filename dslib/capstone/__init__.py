"""Chapter 17, the capstone: from simulation to reality.

``dslib.capstone.jepsen`` runs the book's Raft key-value store, and a real etcd
cluster, as processes under a nemesis (kill, pause, partition through a proxy), with
real clients, and judges both with the book's linearizability checker: a Jepsen-style
test of the book's own code and of a system the world relies on. The command
``python -m dslib.capstone`` runs it from the shell (``--help``).
"""

from dslib.capstone.jepsen import (
    RealRun,
    history_stats,
    random_schedule,
    run_etcd,
    run_raft,
    run_system,
    stale_read,
)

__all__ = [
    "RealRun",
    "history_stats",
    "random_schedule",
    "run_etcd",
    "run_raft",
    "run_system",
    "stale_read",
]
