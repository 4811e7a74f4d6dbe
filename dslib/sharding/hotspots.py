"""Hot spots: skewed keys, the shard that melts, and splitting a hot key.

Real workloads are not uniform. A few keys (a celebrity's profile, today's
date, a popular product) take a large share of the requests, often following
a Zipf law: the key of rank ``r`` is requested with probability proportional
to ``1 / r**s``. A partitioner balances *keys*, not *requests*: however good
the hash, every request for the hottest key lands on one shard. *Salting*
(key splitting) spreads one hot key over ``fanout`` sub-keys ``key#0 ..
key#(fanout-1)``: writes pick one at random, and a read must visit all of
them, so the remedy trades read cost for write balance. DeCandia et al. 2007
(section 6.2) and the DynamoDB write-sharding advice describe the same idea.

Examples
--------
>>> from dslib.sharding.partitioning import JumpHash, load_stats
>>> requests = zipf_requests(1000, 1.1, 20_000, seed=1)
>>> hot_keys(requests, 2)
[('key000000', 3605), ('key000001', 1722)]
>>> p = JumpHash([f"n{i}" for i in range(8)])
>>> round(load_stats(p, requests).max_over_mean, 2)
2.02
>>> hot = [key for key, _ in hot_keys(requests, 3)]
>>> round(load_stats(p, salt_hot_keys(requests, hot, fanout=8, seed=1)).max_over_mean, 2)
1.33
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate

from dslib.sharding.partitioning import Key, make_keys

__all__ = [
    "hot_keys",
    "salt_hot_keys",
    "salted_subkeys",
    "zipf_requests",
    "zipf_top_share",
]


def zipf_requests(
    n_keys: int, s: float, count: int, seed: int = 0, prefix: str = "key"
) -> list[str]:
    """``count`` requests for keys drawn from a Zipf law over ``n_keys`` keys.

    Key ``make_keys(n_keys)[r - 1]`` has rank ``r`` and is drawn with
    probability proportional to ``1 / r**s``; ``s = 0`` is uniform.

    Parameters
    ----------
    n_keys : int
        At least 1.
    s : float
        The skew, ``>= 0`` (about 1 for many real workloads).
    count : int
        How many requests.
    seed : int, default 0

    Returns
    -------
    list of str

    Examples
    --------
    >>> zipf_requests(5, 1.0, 6, seed=2)
    ['key000000', 'key000000', 'key000002', 'key000002', 'key000000', 'key000000']
    """
    if not (isinstance(n_keys, int) and not isinstance(n_keys, bool) and n_keys >= 1):
        raise ValueError(f"zipf_requests: n_keys={n_keys!r} must be an int >= 1")
    if not (isinstance(s, (int, float)) and math.isfinite(s) and s >= 0):
        raise ValueError(f"zipf_requests: s={s!r} must be a number >= 0")
    if not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
        raise ValueError(f"zipf_requests: count={count!r} must be an int >= 0")
    keys = make_keys(n_keys, prefix)
    cumulative = list(accumulate(1.0 / r**s for r in range(1, n_keys + 1)))
    rng = random.Random(f"zipf:{seed}")
    return rng.choices(keys, cum_weights=cumulative, k=count)


def zipf_top_share(n_keys: int, s: float) -> float:
    """The probability of the most popular key: ``1 / sum(1 / r**s for r in 1..n_keys)``.

    However many shards there are, the shard holding that key carries at
    least this share of the requests.

    Examples
    --------
    >>> round(zipf_top_share(1000, 1.0), 4)
    0.1336
    """
    if not (isinstance(n_keys, int) and n_keys >= 1) or s < 0:
        raise ValueError(f"zipf_top_share: n_keys={n_keys!r} >= 1 and s={s!r} >= 0")
    return 1.0 / sum(1.0 / r**s for r in range(1, n_keys + 1))


def hot_keys(requests: Iterable[Key], top: int) -> list[tuple[Key, int]]:
    """The ``top`` most requested keys with their counts (ties: smaller key first).

    Examples
    --------
    >>> hot_keys(["a", "b", "a", "c", "b", "a"], 2)
    [('a', 3), ('b', 2)]
    """
    if not (isinstance(top, int) and top >= 0):
        raise ValueError(f"hot_keys: top={top!r} must be an int >= 0")
    counts = Counter(requests)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return ranked[:top]


def salted_subkeys(key: str, fanout: int) -> list[str]:
    """The sub-keys a salted key is split into: ``key#0 .. key#(fanout-1)``. A read of
    ``key`` must read (and combine) all of them.

    Examples
    --------
    >>> salted_subkeys("k", 3)
    ['k#0', 'k#1', 'k#2']
    """
    if not (isinstance(fanout, int) and fanout >= 1):
        raise ValueError(f"salted_subkeys: fanout={fanout!r} must be an int >= 1")
    return [f"{key}#{i}" for i in range(fanout)]


def salt_hot_keys(
    requests: Sequence[str], hot: Iterable[str], fanout: int, seed: int = 0
) -> list[str]:
    """Replace each request for a key in ``hot`` by a request for one of its ``fanout``
    sub-keys, chosen at random (seeded): the writes of one hot key spread over up to
    ``fanout`` shards.

    Examples
    --------
    >>> salt_hot_keys(["a", "b", "a", "a"], ["a"], fanout=4, seed=3)
    ['a#3', 'b', 'a#0', 'a#0']
    """
    if not (isinstance(fanout, int) and fanout >= 1):
        raise ValueError(f"salt_hot_keys: fanout={fanout!r} must be an int >= 1")
    hot_set = set(hot)
    rng = random.Random(f"salt:{seed}")
    return [f"{k}#{rng.randrange(fanout)}" if k in hot_set else k for k in requests]
