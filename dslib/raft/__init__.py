"""Raft (Ongaro and Ousterhout, 2014): the algorithm, a replicated key-value store on it,
and the election-timeout experiment of the paper's section 9.3.

- ``dslib.raft.core``: the servers (Figure 2), the safety properties (Figure 3), mutants.

Everything public is re-exported here, so ``from dslib.raft import RaftNode`` works.
"""

from dslib.raft.core import *  # noqa: F403
from dslib.raft.core import __all__ as _core_all

__all__ = [*_core_all]
