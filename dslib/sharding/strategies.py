"""Rebalancing strategies side by side, and what a stale routing table costs.

Three ways to decide which node holds which data as nodes join (Kleppmann 2017,
chapter 6, "Rebalancing Partitions"):

- **fixed**: many more partitions than nodes, fixed once (``partitions``); a
  key's partition is its hash mod ``partitions``; a join moves *whole
  partitions* to the new node, as few as balance needs (the controller's
  ``rebalance``). Riak, Elasticsearch, Couchbase; DeCandia et al. 2007, §6.2,
  strategy 3.
- **dynamic**: ranges of the (hashed) key space that *split* when they hold
  more than ``max_keys`` keys, as Bigtable's tablets and HBase's regions do
  (Chang et al. 2006, §5); the ranges are then spread over the nodes with the
  same minimal-movement ``rebalance``. The number of partitions follows the
  data, not the nodes.
- **proportional**: a fixed number of partitions *per node*: each node
  places ``tokens`` random tokens on a hash ring and owns the arcs before them
  (Cassandra's ``num_tokens``; consistent hashing with virtual nodes,
  ``ConsistentHashRing``). A new node takes arcs from every node.

``join_steps`` loads the keys on one node and lets nodes join one at a time,
measuring for each join the fraction of keys moved, the balance (most loaded
node over the mean) and the number of partitions. ``moves_only_to_new`` is the
check that a join moves data only to the new node; ``REBALANCE_MUTANTS`` are
strategies that break it.

Routing: a request must reach the key's node. A client that holds a routing
table *stale by some joins* sends the misrouted fraction of its requests to a
node that no longer holds the key (``misrouted``); ``routing_cost`` turns that
fraction into messages per request for the three approaches: a routing tier,
a partition-aware client, or any node forwarding.

Examples
--------
>>> steps = join_steps("fixed", make_keys(2000), nodes=4, partitions=16)
>>> [s.nodes for s in steps], [s.moved_between_old for s in steps]
([2, 3, 4], [0, 0, 0])
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sharding.controller import rebalance
from dslib.sharding.partitioning import RING_SIZE, ConsistentHashRing, make_keys, stable_hash

__all__ = [
    "REBALANCE_MUTANTS",
    "ROUTING",
    "STRATEGIES",
    "JoinStep",
    "Layout",
    "join_layouts",
    "join_steps",
    "misrouted",
    "moves_only_to_new",
    "rebalance_checks",
    "rebalance_mutants",
    "routing_cost",
    "split_points",
]

STRATEGIES = ("fixed", "dynamic", "proportional")
"""The rebalancing strategies of ``join_steps``."""

REBALANCE_MUTANTS: dict[str, str] = {
    "deal_in_turn": "fixed partitions dealt out anew on a join: partition p to node p mod N",
    "fresh_tokens": "on a join every node draws new tokens, not only the new node",
}
"""Broken rebalancing strategies, by name, with what is wrong."""


@dataclass(frozen=True)
class Layout:
    """Who owns each key after a join: ``owners[i]`` is the node of key ``i``."""

    nodes: tuple[str, ...]
    partitions: int
    owners: tuple[str, ...]


@dataclass(frozen=True)
class JoinStep:
    """One join: ``nodes`` after it, the fraction of keys moved, the balance, how many keys
    moved between two nodes that were there before (should be 0), and the partitions."""

    nodes: int
    moved: float
    max_over_mean: float
    moved_between_old: int
    partitions: int


def split_points(keys: Sequence[int], max_keys: int) -> list[int]:
    """Where dynamic splitting cuts a range holding the sorted, distinct ``keys``: a range
    with more than ``max_keys`` keys splits at its median key (``keys[len(keys) // 2]``,
    which opens the upper half), and each half splits again while it is too big.

    >>> split_points([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3)
    [3, 6, 8]
    """
    if not (isinstance(max_keys, int) and max_keys >= 1):
        raise ValueError(f"split_points: max_keys={max_keys!r} must be an int >= 1")
    if len(keys) <= max_keys:
        return []
    middle = len(keys) // 2
    lower, upper = keys[:middle], keys[middle:]
    return [*split_points(lower, max_keys), keys[middle], *split_points(upper, max_keys)]


def _split_ranges(hashes: Sequence[int], max_keys: int) -> list[int]:
    """Boundaries of ranges of the hash space holding at most ``max_keys`` keys each."""
    return [0, *split_points(sorted(hashes), max_keys), RING_SIZE]


def join_layouts(
    strategy: str,
    keys: Sequence[str],
    nodes: int = 8,
    partitions: int = 64,
    max_keys: int = 500,
    tokens: int = 8,
    mutant: str | None = None,
) -> list[Layout]:
    """The layouts as nodes ``n1, n2, ...`` join one at a time, from one node to ``nodes``.

    Parameters
    ----------
    strategy : {"fixed", "dynamic", "proportional"}
    keys : sequence of str
    nodes : int, default 8
    partitions : int, default 64
        Fixed: the number of partitions.
    max_keys : int, default 500
        Dynamic: a range that holds more keys splits.
    tokens : int, default 8
        Proportional: tokens per node.
    mutant : str, optional
        From ``REBALANCE_MUTANTS``.

    Examples
    --------
    >>> [layout.partitions for layout in join_layouts("proportional", make_keys(10), nodes=3)]
    [8, 16, 24]
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"join_layouts: strategy={strategy!r}; allowed: {', '.join(STRATEGIES)}")
    for name, value in (
        ("nodes", nodes),
        ("partitions", partitions),
        ("max_keys", max_keys),
        ("tokens", tokens),
    ):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise ValueError(f"join_layouts: {name}={value!r} must be an int >= 1")
    mutant = check_mutant("join_layouts", mutant, REBALANCE_MUTANTS)
    names = [f"n{i}" for i in range(1, nodes + 1)]
    hashes = [stable_hash(k) for k in keys]
    out = []
    if strategy == "proportional":
        for n in range(1, nodes + 1):
            salt = f"#{n}" if mutant == "fresh_tokens" else ""
            ring = ConsistentHashRing([name + salt for name in names[:n]], vnodes=tokens)
            owners = tuple(ring.lookup(k).split("#")[0] for k in keys)
            out.append(Layout(tuple(names[:n]), tokens * n, owners))
        return out
    if strategy == "fixed":
        count = partitions
        part = [h % partitions for h in hashes]
    else:
        bounds = _split_ranges(hashes, max_keys)
        count = len(bounds) - 1
        part = [bisect_left(bounds, h + 1) - 1 for h in hashes]
    assignment: tuple[str | None, ...] = (None,) * count
    for n in range(1, nodes + 1):
        if mutant == "deal_in_turn" and strategy == "fixed":
            assignment = tuple(names[p % n] for p in range(count))
        else:
            assignment = rebalance(assignment, names[:n])
        owners = tuple(str(assignment[p]) for p in part)
        out.append(Layout(tuple(names[:n]), count, owners))
    return out


def _max_over_mean(layout: Layout) -> float:
    counts = Counter(layout.owners)
    loads = [counts.get(n, 0) for n in layout.nodes]
    return round(max(loads) / (sum(loads) / len(loads)), 3) if loads and sum(loads) else 1.0


def join_steps(strategy: str, keys: Sequence[str], **options: object) -> list[JoinStep]:
    """Measure each join of ``join_layouts(strategy, keys, **options)`` (from 2 nodes on).

    >>> s = join_steps("dynamic", make_keys(2000), nodes=2, max_keys=300)
    >>> s[0].nodes, s[0].partitions, s[0].moved_between_old
    (2, 8, 0)
    """
    layouts = join_layouts(strategy, keys, **options)  # type: ignore[arg-type]
    out = []
    for before, after in pairwise(layouts):
        check = moves_only_to_new(before, after)
        moved = sum(a != b for a, b in zip(before.owners, after.owners, strict=True))
        out.append(
            JoinStep(
                len(after.nodes),
                round(moved / max(1, len(after.owners)), 4),
                _max_over_mean(after),
                check.counterexample_length or 0,
                after.partitions,
            )
        )
    return out


def moves_only_to_new(before: Layout, after: Layout) -> Outcome:
    """A join moves data only to the new node(s): no key goes from one old node to another.

    The counterexample length is the number of keys that did.

    >>> a = Layout(("n1", "n2"), 2, ("n1", "n2", "n1"))
    >>> moves_only_to_new(a, Layout(("n1", "n2", "n3"), 3, ("n3", "n2", "n1"))).ok
    True
    >>> moves_only_to_new(a, Layout(("n1", "n2", "n3"), 3, ("n2", "n2", "n1"))).detail
    '1 keys moved between old nodes, e.g. key 0 n1 -> n2'
    """
    if len(before.owners) != len(after.owners):
        raise ValueError(
            f"moves_only_to_new: {len(before.owners)} keys before, {len(after.owners)} after; "
            "compare layouts of the same keys"
        )
    new = set(after.nodes) - set(before.nodes)
    bad = [
        (i, a, b)
        for i, (a, b) in enumerate(zip(before.owners, after.owners, strict=True))
        if a != b and b not in new
    ]
    if not bad:
        return Outcome(True)
    i, a, b = bad[0]
    return Outcome(
        False, len(bad), f"{len(bad)} keys moved between old nodes, e.g. key {i} {a} -> {b}"
    )


def rebalance_checks(keys: int = 1000, nodes: int = 6) -> dict[str, object]:
    """The check of the strategies, by name; it takes a mutant name (``None``: correct) and
    runs every strategy through ``nodes`` joins over ``make_keys(keys)``.

    >>> rebalance_checks(keys=200, nodes=3)["moves only to the new node"](None).ok
    True
    """
    chosen = make_keys(keys)

    def only_to_new(mutant: str | None) -> Outcome:
        for strategy in STRATEGIES:
            layouts = join_layouts(strategy, chosen, nodes=nodes, mutant=mutant)
            for before, after in pairwise(layouts):
                outcome = moves_only_to_new(before, after)
                if not outcome.ok:
                    return Outcome(
                        False, outcome.counterexample_length, f"{strategy}: {outcome.detail}"
                    )
        return Outcome(True)

    return {"moves only to the new node": only_to_new}


def rebalance_mutants() -> list[Mutant[str | None]]:
    """The broken strategies of ``REBALANCE_MUTANTS`` with the check that must catch each.

    >>> [m.name for m in rebalance_mutants()]
    ['deal_in_turn', 'fresh_tokens']
    """
    return [
        Mutant(n, bug, _constant(n), ("moves only to the new node",))
        for n, bug in REBALANCE_MUTANTS.items()
    ]


def _constant(name: str | None) -> Callable[[], str | None]:
    return lambda: name


# -- routing ----------------------------------------------------------------------------------
ROUTING = ("routing tier", "partition-aware client", "any node")
"""The three places a request can be routed."""


def misrouted(stale: Layout, fresh: Layout) -> float:
    """The fraction of keys a routing table ``stale`` sends to the wrong node, now that the
    layout is ``fresh``.

    >>> ls = join_layouts("fixed", make_keys(1000), nodes=4)
    >>> misrouted(ls[3], ls[3]), misrouted(ls[2], ls[3]) > 0
    (0.0, True)
    """
    if len(stale.owners) != len(fresh.owners):
        raise ValueError("misrouted: the two layouts must be of the same keys")
    wrong = sum(a != b for a, b in zip(stale.owners, fresh.owners, strict=True))
    return round(wrong / max(1, len(fresh.owners)), 4)


def routing_cost(approach: str, nodes: int, wrong: float) -> float:
    """Expected messages per request when a fraction ``wrong`` of the keys is misrouted.

    The cost model (each message one hop; a reply retraces the request's path):

    - ``"routing tier"``: client -> router -> node and back: 4; a misrouted request
      is refused by the node and sent again by the router: +2.
    - ``"partition-aware client"``: client -> node and back: 2; a misrouted request
      is refused, the client fetches the table (2) and sends again (2): +4.
    - ``"any node"``: the client asks a random node, which answers if it owns the key
      (probability 1/N: 2) and otherwise forwards (4); a misrouted forward is
      refused and forwarded again: +2.

    >>> routing_cost("partition-aware client", 4, 0.0), routing_cost("any node", 4, 0.0)
    (2.0, 3.5)
    """
    if approach not in ROUTING:
        raise ValueError(f"routing_cost: approach={approach!r}; allowed: {', '.join(ROUTING)}")
    if not (isinstance(nodes, int) and nodes >= 1):
        raise ValueError(f"routing_cost: nodes={nodes!r} must be an int >= 1")
    if not 0.0 <= wrong <= 1.0:
        raise ValueError(f"routing_cost: wrong={wrong!r} must be a fraction from 0 to 1")
    if approach == "routing tier":
        return round(4 + 2 * wrong, 3)
    if approach == "partition-aware client":
        return round(2 + 4 * wrong, 3)
    forwarded = 1 - 1 / nodes
    return round(2 * (1 - forwarded) + forwarded * (4 + 2 * wrong), 3)
