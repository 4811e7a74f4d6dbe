"""Replication (chapter 12): primary-backup, chain replication, ABD quorums, Dynamo, CRDTs.

Each module holds one protocol, whole, with the system builder the chapter
runs and the scenario that catches its deliberate bug:

- ``primary_backup``: a primary and a backup chosen by a view service;
- ``chain``: chain replication with a master and leases;
- ``abd``: linearizable quorum registers (Attiya, Bar-Noy, Dolev);
- ``dynamo``: leaderless replication, sloppy quorums, hinted handoff, read
  repair, Merkle-tree anti-entropy, vector-clock siblings;
- ``leader_follower``: asynchronous followers, replication lag, the session anomalies it
  causes and three fixes;
- ``failover``: synchronous, semi-synchronous and asynchronous replication, what fail-over
  loses, split brain and epochs, bootstrapping a follower;
- ``multi_leader``: two leaders writing one key; last-writer-wins, siblings, CRDTs;
- ``crdts``: G-counter, PN-counter, LWW-register, OR-set, merge laws;
- ``checks``: the chapter's checks and its mutant table; the seeded runs under
  random faults of the tests and of ``benchmarks/sweep_replication.py``.

Examples
--------
>>> from dslib.replication import abd_system, check_merge_laws
>>> check_merge_laws("pn-counter", max_examples=20).ok
True
"""

from dslib.replication.abd import (
    ABDReplica,
    abd_read_decision,
    abd_system,
    inversion_scenario,
    majority,
    no_write_back,
)
from dslib.replication.chain import ChainMaster, ChainServer, chain_system, lease_scenario
from dslib.replication.checks import (
    ReplicationVariant,
    faulty_run,
    faulty_run_verdict,
    pb_schedule_run,
    replication_checks,
    replication_mutant_report,
    replication_mutants,
)
from dslib.replication.crdts import (
    CRDT_KINDS,
    CRDTReplica,
    GCounter,
    LWWRegister,
    ORSet,
    PNCounter,
    SummingGCounter,
    check_merge_laws,
    crdt_convergence,
    crdt_system,
    crdt_values,
)
from dslib.replication.dynamo import (
    DynamoNode,
    MerkleTree,
    Version,
    dynamo_convergence,
    dynamo_system,
    preference_list,
    reconcile,
)
from dslib.replication.leader_follower import (
    SessionClient,
    check_prefix_reads,
    lag_anomalies,
    lag_run,
    leader_follower_system,
)
from dslib.replication.primary_backup import (
    PBServer,
    View,
    ViewService,
    partition_scenario,
    primary_backup_system,
)

__all__ = [
    "CRDT_KINDS",
    "ABDReplica",
    "CRDTReplica",
    "ChainMaster",
    "ChainServer",
    "DynamoNode",
    "GCounter",
    "LWWRegister",
    "MerkleTree",
    "ORSet",
    "PBServer",
    "PNCounter",
    "ReplicationVariant",
    "SessionClient",
    "SummingGCounter",
    "Version",
    "View",
    "ViewService",
    "abd_read_decision",
    "abd_system",
    "chain_system",
    "check_merge_laws",
    "check_prefix_reads",
    "crdt_convergence",
    "crdt_system",
    "crdt_values",
    "dynamo_convergence",
    "dynamo_system",
    "faulty_run",
    "faulty_run_verdict",
    "inversion_scenario",
    "lag_anomalies",
    "lag_run",
    "leader_follower_system",
    "lease_scenario",
    "majority",
    "no_write_back",
    "partition_scenario",
    "pb_schedule_run",
    "preference_list",
    "primary_backup_system",
    "reconcile",
    "replication_checks",
    "replication_mutant_report",
    "replication_mutants",
]
