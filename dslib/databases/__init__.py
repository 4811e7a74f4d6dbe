"""Chapter 8, databases: the storage engine and its log, recovery, transactions, isolation.

The storage engine (section 8.1; crashed and recovered in section 4.3):

- ``dslib.databases.wal``: log records, checksums, reading a log back after a crash;
- ``dslib.databases.storage``: the engine: a table in memory, pages and log on the disk,
  the write-ahead rule, commits, aborts, checkpoints (``Engine``, ``Disk``);
- ``dslib.databases.recovery``: ARIES-style restart recovery (analysis, redo, undo);
- ``dslib.databases.crashes``: every crash point of small workloads, model-checked, and
  the mutant table;
- ``dslib.databases.server``: the engine as a node of the simulator, which crashes and
  recovers from what it persisted.

Transactions and isolation (sections 8.2 to 8.5):

- ``dslib.databases.transactions``: a transactional key-value server and interactive
  clients in the simulator;
- ``dslib.databases.concurrency``: the concurrency-control algorithm of each isolation level;
- ``dslib.databases.anomalies``: the anomaly catalogue, each a scripted interleaving;
- ``dslib.databases.real``: the same workloads on a real PostgreSQL and DuckDB.

NoSQL (section 8.6):

- ``dslib.databases.documents``: a sharded document store with a local or a global
  secondary index, denormalised copies, and the same workload on chapter 12's Dynamo-style
  key-value store.

The engine, the log and recovery are re-exported here (``from dslib.databases import
Engine``; ``MUTANTS`` here is the storage engine's); everything else is imported from its
module (``from dslib.databases import concurrency``).
"""

from dslib.databases.recovery import *  # noqa: F403
from dslib.databases.recovery import __all__ as _recovery_all
from dslib.databases.storage import *  # noqa: F403
from dslib.databases.storage import __all__ as _storage_all
from dslib.databases.wal import *  # noqa: F403
from dslib.databases.wal import __all__ as _wal_all

__all__ = [*_wal_all, *_storage_all, *_recovery_all]
