"""Chapter 17, the capstone: a sharded, replicated store, and from simulation to reality.

``dslib.capstone.shardkv`` is the capstone store: a sharded key-value store whose
shard groups and shard controller are Raft groups, with migrations, exactly-once
retries and cross-shard transfers; ``dslib.capstone.suite`` tests it Jepsen-style
(scenarios under a full nemesis, named checks, mutants).
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
from dslib.capstone.shardkv import MUTANTS as SHARDKV_MUTANTS
from dslib.capstone.shardkv import ShardKVRun, run_shardkv, shardkv_system
from dslib.capstone.suite import capstone_checks, capstone_mutants

__all__ = [
    "SHARDKV_MUTANTS",
    "RealRun",
    "ShardKVRun",
    "capstone_checks",
    "capstone_mutants",
    "history_stats",
    "random_schedule",
    "run_etcd",
    "run_raft",
    "run_shardkv",
    "run_system",
    "shardkv_system",
    "stale_read",
]
