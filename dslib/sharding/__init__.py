"""Sharding: where each key goes, what it costs to move, and moving it while clients run.

- ``dslib.sharding.partitioning``: hash mod N, range partitioning (split and
  merge), consistent hashing with virtual nodes, rendezvous hashing, jump
  consistent hash; the measures (load spread, keys moved, lookup steps).
- ``dslib.sharding.hotspots``: Zipf-distributed requests, hot keys, salting.
- ``dslib.sharding.controller``: shards, numbered configurations, the
  minimal-movement ``rebalance``, the ``ShardController`` node.
- ``dslib.sharding.store``: the sharded key-value store whose shards migrate
  between groups while clients run, checked for linearizability under faults.
- ``dslib.sharding.transactions``: transfers between shards by two-phase
  commit, and the blocking problem.
- ``dslib.sharding.indexes``: local (document-partitioned) and global
  (term-partitioned, asynchronously updated) secondary indexes, their costs,
  their staleness, and the check that the index agrees with the data.
- ``dslib.sharding.strategies``: fixed partitions, dynamic splitting and
  partitions proportional to nodes as nodes join; stale routing tables.
- ``dslib.sharding.calvin``: cross-shard transactions ordered by a sequencer
  before they run (Calvin), checked for serializability.
- ``dslib.sharding.percolator``: cross-shard snapshot-isolation transactions with a
  timestamp oracle and a primary lock (Percolator), whose readers roll a crashed
  client's locks forward or back; checked for snapshot isolation under crashes.

(The last four are imported from their modules: ``from dslib.sharding.indexes
import run_index``, ``from dslib.sharding.percolator import run_percolator``.)

Examples
--------
>>> from dslib.sharding import ConsistentHashRing, rebalance
>>> ConsistentHashRing(["a", "b", "c"], vnodes=16).lookup("user42") in ("a", "b", "c")
True
>>> rebalance(("g1", "g1"), ["g1", "g2"])
('g1', 'g2')
"""

from dslib.sharding.controller import (
    AdminReply,
    Config,
    ConfigReply,
    ControllerState,
    Join,
    Leave,
    Query,
    ShardController,
    minimal_moves,
    moves,
    rebalance,
    shard_of,
)
from dslib.sharding.hotspots import (
    hot_keys,
    salt_hot_keys,
    salted_subkeys,
    zipf_requests,
    zipf_top_share,
)
from dslib.sharding.partitioning import (
    RING_SIZE,
    ConsistentHashRing,
    JumpHash,
    Key,
    LoadStats,
    ModHash,
    Partitioner,
    RangePartitioner,
    Rendezvous,
    jump_hash,
    key_bytes,
    load_stats,
    make_keys,
    moved_keys,
    rendezvous_score,
    ring_shares,
    stable_hash,
    vnode_spread,
    vnode_spread_theory,
)
from dslib.sharding.store import (
    CHURN_SCHEDULE,
    DEFAULT_SCHEDULE,
    STORE_MUTANTS,
    Admin,
    ShardClient,
    ShardServer,
    StoreRun,
    check_store,
    one_home,
    run_store,
    serving_timeline,
    settles,
    store_checks,
    store_faults,
    store_mutants,
)
from dslib.sharding.transactions import (
    BANK_MUTANTS,
    AccountShard,
    BankRun,
    Transfer,
    TransferCoordinator,
    atomicity,
    bank_checks,
    bank_mutants,
    blocked_intervals,
    conservation,
    decision_lost_run,
    run_bank,
)

__all__ = [
    "BANK_MUTANTS",
    "CHURN_SCHEDULE",
    "DEFAULT_SCHEDULE",
    "RING_SIZE",
    "STORE_MUTANTS",
    "AccountShard",
    "Admin",
    "AdminReply",
    "BankRun",
    "Config",
    "ConfigReply",
    "ConsistentHashRing",
    "ControllerState",
    "Join",
    "JumpHash",
    "Key",
    "Leave",
    "LoadStats",
    "ModHash",
    "Partitioner",
    "Query",
    "RangePartitioner",
    "Rendezvous",
    "ShardClient",
    "ShardController",
    "ShardServer",
    "StoreRun",
    "Transfer",
    "TransferCoordinator",
    "atomicity",
    "bank_checks",
    "bank_mutants",
    "blocked_intervals",
    "check_store",
    "conservation",
    "decision_lost_run",
    "hot_keys",
    "jump_hash",
    "key_bytes",
    "load_stats",
    "make_keys",
    "minimal_moves",
    "moved_keys",
    "moves",
    "one_home",
    "rebalance",
    "rendezvous_score",
    "ring_shares",
    "run_bank",
    "run_store",
    "salt_hot_keys",
    "salted_subkeys",
    "serving_timeline",
    "settles",
    "shard_of",
    "stable_hash",
    "store_checks",
    "store_faults",
    "store_mutants",
    "vnode_spread",
    "vnode_spread_theory",
    "zipf_requests",
    "zipf_top_share",
]
