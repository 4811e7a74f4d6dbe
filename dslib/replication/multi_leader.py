"""Multi-leader replication: two leaders take writes to the same key; how conflicts resolve.

Each datacenter has its own leader; a leader applies a client's write at once and ships it
to the other leader asynchronously, in order (delay ``lag``). Two writes to one key are
**concurrent** when neither leader had received the other's write when it took its own: a conflict
(Kleppmann 2017, chapter 5, "Multi-Leader Replication", "Handling Write Conflicts").

The key holds a shopping cart, a set of items; each write adds one unique item to the cart
the leader holds (read-modify-write). The resolutions (``RESOLUTIONS``):

- ``"lww"``: last writer wins: each version carries a timestamp from its leader's clock
  (``skew``: leader ``b``'s clock is behind) and the largest one replaces the others. The
  leaders converge, and every concurrent write but one is silently lost;
- ``"siblings"``: each version carries a version vector; a version replaces only those it
  dominates, concurrent ones are kept side by side, and the next write (or read) merges them
  (here: the union of the carts): nothing acknowledged is lost (12.4's Dynamo);
- ``"crdt"``: the cart is a grow-only set whose merge is union (12.5): nothing is lost and
  there is nothing to resolve.

``lost_updates`` counts the acknowledged items missing from the converged cart;
``lost_updates_by_lww_oracle`` recomputes the LWW count without running the replicas (the
surviving version is the one with the largest timestamp), and the tests compare them.
``MUTANTS`` breaks the two resolutions that should lose nothing.

References
----------
.. [1] M. Kleppmann, "Designing Data-Intensive Applications", O'Reilly 2017, chapter 5,
   sections "Multi-Leader Replication" and "Handling Write Conflicts".
.. [2] G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store", SOSP 2007,
   section 4.4 (versioning with vector clocks).

Examples
--------
>>> run = multi_leader_run("lww", seed=0)
>>> lost_updates(run) > 0, converged(run)
(True, True)
>>> lost_updates(multi_leader_run("siblings", seed=0))
0
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dslib.mutants import Mutant, MutantReport, check_mutant, run_mutants

__all__ = [
    "MUTANTS",
    "RESOLUTIONS",
    "MultiLeaderRun",
    "concurrent_pairs",
    "concurrent_pairs_by_vectors",
    "converged",
    "lost_updates",
    "lost_updates_by_lww_oracle",
    "multi_leader_mutant_report",
    "multi_leader_run",
    "multi_leader_table",
]

RESOLUTIONS = ("lww", "siblings", "crdt")
"""How the leaders resolve concurrent writes to the key."""

MUTANTS = {
    "siblings_by_total": "a version replaces another whose vector's total is smaller, even "
    "when they are concurrent (last-writer-wins in disguise)",
    "merge_takes_remote": "the CRDT merge takes the incoming cart instead of the union",
}
"""The broken resolutions, by name."""

LEADERS = ("a", "b")

# A version: (vector (count of a's writes, count of b's writes), timestamp, leader, cart)
Version = tuple[tuple[int, int], float, str, frozenset[str]]


@dataclass(frozen=True)
class Written:
    """One client write: ``item`` added at ``leader`` at ``time``, stamped ``stamp``.

    ``vector`` and ``cart`` are the version it made; ``arrives``, when the other leader
    received it.
    """

    item: str
    leader: str
    time: float
    stamp: float
    vector: tuple[int, int]
    cart: frozenset[str]
    arrives: float


@dataclass(frozen=True)
class MultiLeaderRun:
    """One run: the writes (all acknowledged) and each leader's versions at the end."""

    resolution: str
    seed: int
    writes: tuple[Written, ...]
    final: tuple[tuple[Version, ...], tuple[Version, ...]]


def _dominates(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x != y and all(a >= b for a, b in zip(x, y, strict=True))


def _add(
    versions: tuple[Version, ...], new: Version, resolution: str, mutant: str | None
) -> tuple[Version, ...]:
    """The versions a leader keeps once ``new`` (local or remote) arrives."""
    if resolution == "lww":
        return (max((*versions, new), key=lambda v: (v[1], v[2])),)
    if resolution == "crdt":
        old = versions[0][3] if versions else frozenset()
        cart = new[3] if mutant == "merge_takes_remote" else old | new[3]
        return ((new[0], new[1], new[2], cart),)
    kept = []
    for v in versions:
        if mutant == "siblings_by_total":
            if sum(new[0]) >= sum(v[0]):  # the mutant: a larger total wins, concurrent or not
                continue
        elif _dominates(new[0], v[0]) or new[0] == v[0]:  # the rule: only what new has seen
            continue
        kept.append(v)
    if any(_dominates(v[0], new[0]) or v[0] == new[0] for v in kept):
        return tuple(kept)
    return (*kept, new)


def multi_leader_run(
    resolution: str,
    seed: int = 0,
    *,
    writes: int = 20,
    lag: float = 5.0,
    spacing: float = 2.0,
    skew: float = 3.0,
    mutant: str | None = None,
) -> MultiLeaderRun:
    """Writes at random leaders, shipped to the other after an exponential delay.

    Parameters
    ----------
    resolution : str
        One of ``RESOLUTIONS``.
    seed : int
        The run's seed.
    writes : int, default 20
        How many writes; write ``k`` is item ``"i{k}"``.
    lag : float, default 5
        Mean delay before the other leader receives a write.
    spacing : float, default 2
        Mean time between writes.
    skew : float, default 3
        How far leader ``b``'s clock is behind (timestamps of ``"lww"``).
    mutant : str, optional
        A name of ``MUTANTS``.

    Examples
    --------
    >>> run = multi_leader_run("crdt", seed=1)
    >>> converged(run), len(run.writes)
    (True, 20)
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(
            f"multi_leader_run: resolution={resolution!r}; allowed: {', '.join(RESOLUTIONS)}"
        )
    if not (isinstance(writes, int) and writes >= 0):
        raise ValueError(f"multi_leader_run: writes={writes!r} must be an int >= 0")
    if not (lag > 0 and spacing > 0):
        raise ValueError(f"multi_leader_run: lag={lag!r} and spacing={spacing!r} must be > 0")
    check_mutant("multi_leader_run", mutant, MUTANTS)
    rng = random.Random(seed)
    events: list[tuple[float, int, str, Any]] = []  # (time, seq, kind, payload)
    t = 0.0
    for k in range(writes):
        t += rng.expovariate(1.0 / spacing)
        heapq.heappush(events, (t, len(events), "write", (f"i{k}", rng.choice(LEADERS))))
    state: dict[str, tuple[Version, ...]] = {leader: () for leader in LEADERS}
    done: list[Written] = []
    last_arrival = dict.fromkeys(LEADERS, 0.0)
    seq = writes
    while events:
        now, _, kind, payload = heapq.heappop(events)
        if kind == "write":
            item, leader = payload
            me = LEADERS.index(leader)
            seen = state[leader]
            cart = frozenset().union(*(v[3] for v in seen), {item})
            vector = tuple(
                max((v[0][i] for v in seen), default=0) + (1 if i == me else 0) for i in (0, 1)
            )
            stamp = now - (skew if leader == "b" else 0.0)
            new: Version = (vector, stamp, leader, cart)  # type: ignore[assignment]
            state[leader] = _add(seen, new, resolution, mutant)
            # one replication stream per direction, in order (FIFO), as a leader's log is
            arrives = max(last_arrival[leader], now + rng.expovariate(1.0 / lag))
            last_arrival[leader] = arrives
            done.append(Written(item, leader, now, stamp, new[0], cart, arrives))
            seq += 1
            heapq.heappush(events, (arrives, seq, "ship", (LEADERS[1 - me], new)))
        else:
            leader, version = payload
            state[leader] = _add(state[leader], version, resolution, mutant)
    final = (state["a"], state["b"])
    return MultiLeaderRun(resolution, seed, tuple(done), final)


def _cart(versions: Sequence[Version]) -> frozenset[str]:
    """What a client reads: the union of the siblings (one version unless ``"siblings"``)."""
    return frozenset().union(*(v[3] for v in versions))


def lost_updates(run: MultiLeaderRun) -> int:
    """Acknowledged items missing from leader ``a``'s cart at the end (all writes delivered).

    Examples
    --------
    >>> lost_updates(multi_leader_run("crdt", seed=0))
    0
    """
    return sum(1 for w in run.writes if w.item not in _cart(run.final[0]))


def converged(run: MultiLeaderRun) -> bool:
    """Both leaders read the same cart once every write has been delivered."""
    return _cart(run.final[0]) == _cart(run.final[1])


def lost_updates_by_lww_oracle(run: MultiLeaderRun) -> int:
    """The LWW loss count from the writes alone: the cart of the largest-stamped write.

    Under last-writer-wins, the version with the largest (timestamp, leader) replaces every
    other at both leaders, so the final cart is the one that write made. This reads the run's
    writes, not its replicas: the oracle the tests compare ``lost_updates`` with.
    """
    if not run.writes:
        return 0
    winner = max(run.writes, key=lambda w: (w.stamp, w.leader))
    return sum(1 for w in run.writes if w.item not in winner.cart)


def concurrent_pairs(run: MultiLeaderRun) -> int:
    """Pairs of writes neither of which its leader had received when the other was taken.

    Two writes at one leader are ordered; writes ``u`` at one leader and ``w`` at the other
    conflict when ``u`` reached ``w``'s leader after ``w`` was taken and ``w`` reached
    ``u``'s after ``u`` was (two leaders: no other path).

    Examples
    --------
    >>> run = multi_leader_run("siblings", seed=0)
    >>> concurrent_pairs(run) == concurrent_pairs_by_vectors(run)
    True
    """
    ws = run.writes
    return sum(
        1
        for i in range(len(ws))
        for j in range(i + 1, len(ws))
        if ws[i].leader != ws[j].leader
        and ws[i].arrives > ws[j].time
        and ws[j].arrives > ws[i].time
    )


def concurrent_pairs_by_vectors(run: MultiLeaderRun) -> int:
    """``concurrent_pairs`` read from the version vectors (``"siblings"`` runs only)."""
    ws = run.writes
    return sum(
        1
        for i in range(len(ws))
        for j in range(i + 1, len(ws))
        if not _dominates(ws[i].vector, ws[j].vector) and not _dominates(ws[j].vector, ws[i].vector)
    )


def multi_leader_table(seeds: Sequence[int] = range(20), **options: Any) -> Any:
    """Per resolution: mean conflicts, mean acknowledged writes lost, runs that converged.

    Examples
    --------
    >>> float(multi_leader_table(range(2)).loc["crdt", "lost (mean)"])
    0.0
    """
    import pandas as pd

    rows = {}
    for resolution in RESOLUTIONS:
        runs = [multi_leader_run(resolution, s, **options) for s in seeds]
        rows[resolution] = {
            "conflicting pairs (mean)": sum(map(concurrent_pairs, runs)) / len(runs),
            "lost (mean)": sum(map(lost_updates, runs)) / len(runs),
            "converged": sum(map(converged, runs)),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = f"resolution ({len(seeds)} seeds of {options.get('writes', 20)} writes)"
    return frame.round(2)


def multi_leader_mutant_report(seeds: Sequence[int] = range(5)) -> MutantReport:
    """The broken resolutions, each caught over ``seeds`` by a named check.

    Checks: ``no acknowledged write lost`` and ``leaders converge``, on the siblings and
    CRDT resolutions (the ones that promise both).
    """

    def runs(mutant: str | None = None) -> Any:
        return lambda: [
            multi_leader_run(r, s, mutant=mutant) for r in ("siblings", "crdt") for s in seeds
        ]

    checks = {
        "no acknowledged write lost": lambda rs: all(lost_updates(r) == 0 for r in rs),
        "leaders converge": lambda rs: all(converged(r) for r in rs),
    }
    mutants = [
        Mutant(
            "siblings_by_total",
            MUTANTS["siblings_by_total"],
            runs("siblings_by_total"),
            ("no acknowledged write lost",),
        ),
        Mutant(
            "merge_takes_remote",
            MUTANTS["merge_takes_remote"],
            runs("merge_takes_remote"),
            ("no acknowledged write lost",),
        ),
    ]
    return run_mutants(runs(), mutants, checks)
