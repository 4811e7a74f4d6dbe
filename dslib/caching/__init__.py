"""Chapter 9, caching: eviction policies, hit ratio against theory, and caches in front of stores.

- ``dslib.caching.policies``: LRU, LFU (with aging), FIFO, CLOCK, random, ARC and TTL
  expiry behind one interface (``make_policy``), and their mutants;
- ``dslib.caching.reference``: slow, obviously correct versions of each policy, the
  oracles the fast ones are tested against;
- ``dslib.caching.workloads``: Zipf (independent reference model) traces with scans;
- ``dslib.caching.theory``: Che's approximation for LRU and Belady's offline optimum MIN;
- ``dslib.caching.hitratio``: hit-ratio curves of every policy against cache size
  (Mattson's stack algorithm for LRU);
- ``dslib.caching.policy_checks``: the policies' named checks and mutant table.

Caches in front of a slower store, as nodes of the simulator (sections 9.2 to 9.5):

- ``dslib.caching.nodes``: the store, the cache node (leases, TTLs, write-back), their
  messages and mutants;
- ``dslib.caching.patterns``: cache-aside, read-through, write-through, write-back and
  write-around compared (latency, store load, staleness, lost writes);
- ``dslib.caching.races``: the stale-set race of cache-aside, model-checked, and leases;
- ``dslib.caching.herd``: a hot key expiring under load; request coalescing and XFetch;
- ``dslib.caching.distributed``: cache nodes on chapter 13's consistent-hash ring, a node
  failure, hot-key replication;
- ``dslib.caching.checks``: the named checks of those sections and their mutant table.

The policies are re-exported here (``from dslib.caching import make_policy``); the rest is
imported from its module.
"""

from dslib.caching.policies import *  # noqa: F403
from dslib.caching.policies import __all__ as _policies_all

__all__ = [*_policies_all]
