"""Chapter 7, message queues: a Kafka-style log, consumer groups, an SQS-style work queue.

- ``dslib.queues.log``: brokers, the controller, producers and a reader (acks, the
  in-sync replica set, the high watermark, leader epochs, idempotent producers);
- ``dslib.queues.groups``: consumer groups (assignors, rebalancing, committed offsets,
  commit policies) reading that log;
- ``dslib.queues.workqueue``: a work queue with visibility timeouts, dead letters and
  FIFO groups;
- ``dslib.queues.checker``: ``check_queue``, which judges any queue's sends and receives
  against at-most-once, at-least-once, exactly-once and per-key order;
- ``dslib.queues.checks``: the log's faulty runs, named checks, mutant table and the
  configuration sweep (``benchmarks/sweep_queues.py`` runs it on many seeds);
- ``dslib.queues.spec``: the partition as a model, checked exhaustively;
- ``dslib.queues.performance``: throughput and latency against ``acks`` and batch size;
- ``dslib.queues.endtoend``: producer -> log -> consumer group -> sink under faults, and
  the 72-configuration table (``benchmarks/sweep_queues.py`` runs it on many seeds).

The systems and the checker are re-exported here (``from dslib.queues import LogConfig``);
the checks, the specification, the measurements and the end-to-end runs are imported
from their modules.
"""

from dslib.queues.checker import *  # noqa: F403
from dslib.queues.checker import __all__ as _checker_all
from dslib.queues.groups import *  # noqa: F403
from dslib.queues.groups import __all__ as _groups_all
from dslib.queues.log import *  # noqa: F403
from dslib.queues.log import __all__ as _log_all
from dslib.queues.workqueue import *  # noqa: F403
from dslib.queues.workqueue import __all__ as _workqueue_all

__all__ = [*_checker_all, *_log_all, *_groups_all, *_workqueue_all]
