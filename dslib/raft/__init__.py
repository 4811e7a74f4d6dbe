"""Raft (Ongaro and Ousterhout, 2014): the algorithm, a replicated key-value store on it,
and the election-timeout experiment of the paper's section 9.3.

- ``dslib.raft.core``: the servers (Figure 2), client sessions, read-index reads,
  snapshots (sections 5-8), the safety properties (Figure 3) and the mutants;
- ``dslib.raft.kv``: the key-value state machine, clients that retry across
  leaders, and ``run_kv``, which runs the store under faults and judges it.

Everything public is re-exported here, so ``from dslib.raft import RaftNode`` works.
"""

from dslib.raft.core import *  # noqa: F403
from dslib.raft.core import __all__ as _core_all
from dslib.raft.kv import *  # noqa: F403
from dslib.raft.kv import __all__ as _kv_all

__all__ = [*_core_all, *_kv_all]
