"""Hypothesis strategies for testing under faults: systems, partitions, fault schedules, workloads.

A *fault schedule* is data: a list of ``(time, fault)`` pairs with the faults of
``dslib.sim.nemesis`` (``Crash``, ``Restart``, ``Partition``, ``Cut``, ``Heal``,
``NetworkChange``, ``ClockSkew``), which ``dslib.sim.Nemesis`` applies in a
seeded simulation. Because it is data, hypothesis can draw it and, when a
test fails, shrink it: fewer episodes, shorter, earlier, on fewer nodes.

A *workload* is a list of operations in the format of ``dslib.sim.Client``:
``(f, value)`` or ``(f, key, value)``.

Examples
--------
>>> from hypothesis import given, settings
>>> from dslib.sim import Nemesis
>>> @settings(max_examples=20, database=None, deadline=None, derandomize=True)
... @given(fault_schedules(("a", "b", "c"), kinds=("crash", "partition")))
... def test_schedules_are_nemeses(schedule):
...     Nemesis(schedule)          # a valid schedule: times >= 0, real faults
...     assert schedule == sorted(schedule, key=lambda e: e[0])
>>> test_schedules_are_nemeses()
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, permutations
from typing import Any

from hypothesis import strategies as st

from dslib.sim.nemesis import (
    ClockSkew,
    Crash,
    Cut,
    Fault,
    Heal,
    NetworkChange,
    Partition,
    Restart,
)

__all__ = [
    "EPISODE_KINDS",
    "SHAPES",
    "WORKLOAD_KINDS",
    "Split",
    "all_partitions",
    "clock_skews",
    "fault_schedules",
    "node_ids",
    "partitions",
    "system_sizes",
    "workloads",
]

SHAPES = ("isolate", "majority", "bridge", "ring")
"""Partition shapes: one node cut off; a minority cut off from the majority; two halves
that only a bridge node connects; a ring where each node talks to its two neighbours."""

EPISODE_KINDS = ("crash", "partition", "loss", "duplication", "clock")
"""Kinds of fault episode in a schedule."""

WORKLOAD_KINDS = ("register", "kv", "counter", "queue")
"""Kinds of workload: operations on a register, a key-value store, a counter, a queue."""


# -- systems -------------------------------------------------------------------------------------
def system_sizes(min_size: int = 3, max_size: int = 7) -> st.SearchStrategy[int]:
    """Numbers of nodes, from ``min_size`` to ``max_size`` (shrinking towards the smallest).

    >>> system_sizes(3, 5)
    integers(min_value=3, max_value=5)
    """
    _check_sizes(min_size, max_size, "system_sizes")
    return st.integers(min_value=min_size, max_value=max_size)


def node_ids(
    min_size: int = 3, max_size: int = 7, prefix: str = "n"
) -> st.SearchStrategy[tuple[str, ...]]:
    """Tuples of node ids ``n1``, ``n2``, ...: systems of ``min_size`` to ``max_size`` nodes.

    >>> from hypothesis import find, settings
    >>> fixed = settings(database=None, derandomize=True)  # the same examples on every run
    >>> find(node_ids(3, 7), lambda ids: True, settings=fixed)
    ('n1', 'n2', 'n3')
    """
    _check_sizes(min_size, max_size, "node_ids")
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"node_ids: prefix={prefix!r} must be a non-empty string")
    return system_sizes(min_size, max_size).map(
        lambda n: tuple(f"{prefix}{i}" for i in range(1, n + 1))
    )


def _check_sizes(lo: int, hi: int, where: str) -> None:
    for name, v in (("min_size", lo), ("max_size", hi)):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
            raise ValueError(f"{where}: {name}={v!r} must be an int >= 1")
    if lo > hi:
        raise ValueError(f"{where}: min_size={lo} is larger than max_size={hi}")


# -- partitions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """A partition of some shape, as the faults that make it.

    Attributes
    ----------
    shape : str
        One of ``SHAPES``.
    groups : tuple of tuple of str
        ``isolate``, ``majority``: the sides. ``bridge``: (one half, (the
        bridge node,), the other half). ``ring``: (the nodes in ring order,).
    cuts : tuple of (str, str)
        For ``bridge`` and ``ring``: the one-way links that are cut.

    Examples
    --------
    >>> s = Split("isolate", (("a",), ("b", "c")))
    >>> print(s)
    partition (isolate): {a} | {b, c}
    >>> s.faults
    (Partition(groups=(('a',), ('b', 'c'))),)
    """

    shape: str
    groups: tuple[tuple[str, ...], ...]
    cuts: tuple[tuple[str, str], ...] = ()

    @property
    def faults(self) -> tuple[Fault, ...]:
        """The faults that make this partition (from a healed network)."""
        if self.cuts or self.shape in ("bridge", "ring"):
            return tuple(Cut(a, b) for a, b in self.cuts)
        return (Partition(self.groups),)

    def __str__(self) -> str:
        def side(g: Sequence[str]) -> str:
            return "{" + ", ".join(g) + "}"

        if self.shape == "bridge":
            a, (x,), b = self.groups
            return f"partition (bridge): {side(a)} | {side(b)}, only {x} talks to both"
        if self.shape == "ring":
            (order,) = self.groups
            return f"partition (ring): {' - '.join([*order, order[0]])}"
        return f"partition ({self.shape}): " + " | ".join(side(g) for g in self.groups)


def _both_ways(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({p for a, b in pairs for p in ((a, b), (b, a))}))


def partitions(ids: Sequence[str], shapes: Sequence[str] = SHAPES) -> st.SearchStrategy[Split]:
    """Partitions of the nodes ``ids``, of the given shapes.

    Shapes that need more nodes than there are are left out: ``isolate`` and
    ``majority`` need 2 nodes, ``bridge`` 3, ``ring`` 4.

    Raises
    ------
    ValueError
        If a shape is unknown, or none of them fits ``len(ids)`` nodes.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> fixed = settings(database=None, derandomize=True)  # the same examples on every run
    >>> ring = partitions(("a", "b", "c", "d"), shapes=("ring",))
    >>> print(find(ring, lambda s: True, settings=fixed))
    partition (ring): a - b - c - d - a
    >>> any_shape = partitions(("a", "b", "c", "d"))
    >>> print(find(any_shape, lambda s: s.shape == "bridge", settings=fixed))
    partition (bridge): {b} | {c, d}, only a talks to both
    """
    if isinstance(shapes, str) or any(s not in SHAPES for s in shapes):
        raise ValueError(f"partitions: shapes={shapes!r}; choose from {list(SHAPES)}")
    return _partitions(tuple(sorted(ids)), tuple(shapes))


@lru_cache(maxsize=256)
def _partitions(ids: tuple[str, ...], shapes: tuple[str, ...]) -> st.SearchStrategy[Split]:
    # Cached: building a composite strategy is slow, and the machine asks at every step.
    need = {"isolate": 2, "majority": 2, "bridge": 3, "ring": 4}
    fit = [s for s in shapes if len(ids) >= need[s]]
    if not fit:
        raise ValueError(
            f"partitions: no shape of {list(shapes)} fits {len(ids)} nodes "
            f"(isolate, majority: 2 or more; bridge: 3; ring: 4)"
        )

    @st.composite
    def draw(data: st.DrawFn) -> Split:
        shape = data(st.sampled_from(fit))
        n = len(ids)
        if shape == "isolate":
            node = data(st.sampled_from(ids))
            return Split(shape, ((node,), tuple(i for i in ids if i != node)))
        order = data(st.permutations(ids))
        if shape == "majority":
            k = data(st.integers(min_value=1, max_value=max(1, (n - 1) // 2)))
            minority = tuple(sorted(order[:k]))
            return Split(shape, (minority, tuple(i for i in ids if i not in minority)))
        if shape == "bridge":
            k = data(st.integers(min_value=1, max_value=n - 2))
            return _bridge(order[0], order[1 : 1 + k], order[1 + k :])
        return _ring(ids, order)

    return draw()


def _bridge(node: str, a: Sequence[str], b: Sequence[str]) -> Split:
    # One name for each bridge: the half with the smaller first id comes first.
    a, b = sorted((tuple(sorted(a)), tuple(sorted(b))))
    return Split("bridge", (a, (node,), b), _both_ways([(x, y) for x in a for y in b]))


def _ring(ids: tuple[str, ...], order: Sequence[str]) -> Split:
    # A ring: each node keeps its two neighbours only. One name for each ring: it
    # starts at the smallest id, and goes towards the smaller of its two neighbours.
    n = len(ids)
    start = list(order).index(ids[0])
    ring = tuple(order[start:]) + tuple(order[:start])
    if ring[1] > ring[-1]:
        ring = (ring[0], *reversed(ring[1:]))
    near = {frozenset((ring[i], ring[(i + 1) % n])) for i in range(n)}
    far = [(x, y) for x in ids for y in ids if x < y and frozenset((x, y)) not in near]
    return Split("ring", (ring,), _both_ways(far))


@lru_cache(maxsize=256)
def all_partitions(ids: tuple[str, ...], shape: str) -> tuple[Split, ...]:
    """Every partition of the nodes ``ids`` of one shape, in a fixed order.

    ``partitions`` draws from these; ``find_bug`` picks among them by index.

    >>> [str(s) for s in all_partitions(("a", "b", "c"), "isolate")]
    ['partition (isolate): {a} | {b, c}', 'partition (isolate): {b} | {a, c}', \
'partition (isolate): {c} | {a, b}']
    >>> len(all_partitions(("a", "b", "c", "d", "e"), "ring"))  # (5 - 1)! / 2
    12
    """
    if shape not in SHAPES:
        raise ValueError(f"all_partitions: shape={shape!r}; choose from {list(SHAPES)}")
    ids = tuple(sorted(ids))
    n = len(ids)
    if n < 2:
        return ()
    if shape == "isolate":
        return tuple(Split(shape, ((x,), tuple(i for i in ids if i != x))) for x in ids)
    if shape == "majority":
        out = []
        for k in range(1, max(1, (n - 1) // 2) + 1):
            for minority in combinations(ids, k):
                out.append(Split(shape, (minority, tuple(i for i in ids if i not in minority))))
        return tuple(out) if n >= 2 else ()
    if shape == "bridge":
        found: dict[Split, None] = {}
        for node in ids:
            rest = [i for i in ids if i != node]
            for k in range(1, len(rest)):
                for a in combinations(rest, k):
                    found[_bridge(node, a, [i for i in rest if i not in a])] = None
        return tuple(found)
    if n < 4:
        return ()
    rings: dict[Split, None] = {}
    for tail in permutations(ids[1:]):
        rings[_ring(ids, (ids[0], *tail))] = None
    return tuple(rings)


def clock_skews(ids: Sequence[str], max_offset: int = 50) -> st.SearchStrategy[ClockSkew]:
    """Clock skews of one of ``ids``: an offset in ``[-max_offset, max_offset]`` and a rate.

    >>> from hypothesis import find, settings
    >>> fixed = settings(database=None, derandomize=True)  # the same examples on every run
    >>> find(clock_skews(("a", "b")), lambda skew: skew.rate != 1.0, settings=fixed)
    ClockSkew(node='a', offset=0.0, rate=0.5)
    """
    if not ids:
        raise ValueError("clock_skews: ids must name at least one node")
    if not (isinstance(max_offset, int) and max_offset >= 0):
        raise ValueError(f"clock_skews: max_offset={max_offset!r} must be an int >= 0")
    return _clock_skews(tuple(sorted(ids)), max_offset)


@lru_cache(maxsize=256)
def _clock_skews(ids: tuple[str, ...], max_offset: int) -> st.SearchStrategy[ClockSkew]:
    return st.builds(
        ClockSkew,
        st.sampled_from(ids),
        st.integers(min_value=-max_offset, max_value=max_offset).map(float),
        st.sampled_from((1.0, 0.5, 0.9, 1.1, 2.0)),
    )


# -- fault schedules -----------------------------------------------------------------------------
def fault_schedules(
    ids: Sequence[str],
    kinds: Sequence[str] = EPISODE_KINDS,
    max_episodes: int = 4,
    horizon: int = 100,
    max_duration: int = 40,
    crashable: Sequence[str] | None = None,
    shapes: Sequence[str] = SHAPES,
) -> st.SearchStrategy[list[tuple[float, Fault]]]:
    """Fault schedules for ``dslib.sim.Nemesis``: lists of ``(time, fault)``, sorted by time.

    A schedule is a list of *episodes*, each starting at a time in
    ``[0, horizon]`` and lasting 1 to ``max_duration`` time units:

    - ``crash``: ``Crash(node)``, then ``Restart(node)`` (a node's crash
      episodes never overlap);
    - ``partition``: a ``Split`` of one of ``shapes`` (after a ``Heal``), then ``Heal()``;
    - ``loss``, ``duplication``: a burst, ``NetworkChange(loss=p)`` then ``NetworkChange()``;
    - ``clock``: a ``ClockSkew`` of one node, then its clock set right again.

    Parameters
    ----------
    ids : sequence of str
        The system's nodes.
    kinds : sequence of str, default ``EPISODE_KINDS``
    max_episodes : int, default 4
    horizon : int, default 100
    max_duration : int, default 40
    crashable : sequence of str, optional
        The nodes that may crash (default: all of ``ids``).
    shapes : sequence of str, default ``SHAPES``

    Returns
    -------
    strategy of list of (float, Fault)

    Raises
    ------
    ValueError
        If a kind is unknown or a number is out of range.

    Examples
    --------
    The smallest schedules with two crashes, and with a partition:

    >>> from hypothesis import find, settings
    >>> fixed = settings(database=None, derandomize=True)  # the same examples on every run
    >>> from dslib.sim import Crash
    >>> def two_crashes(schedule):
    ...     return sum(isinstance(fault, Crash) for _, fault in schedule) == 2
    >>> find(fault_schedules(("a", "b", "c")), two_crashes, settings=fixed)
    [(0.0, Crash(node='a')), (0.0, Crash(node='b')), (1.0, Restart(node='a')), \
(1.0, Restart(node='b'))]
    >>> splits = fault_schedules(("a", "b", "c"), kinds=("partition",))
    >>> find(splits, lambda s: len(s) > 0, settings=fixed)
    [(0.0, Heal()), (0.0, Partition(groups=(('a',), ('b', 'c')))), (1.0, Heal())]
    """
    ids = tuple(sorted(ids))
    if not ids:
        raise ValueError("fault_schedules: ids must name at least one node")
    bad = [k for k in kinds if k not in EPISODE_KINDS]
    if bad or not kinds or isinstance(kinds, str):
        raise ValueError(f"fault_schedules: kinds={kinds!r}; choose from {list(EPISODE_KINDS)}")
    for name, v, lo in (
        ("max_episodes", max_episodes, 0),
        ("horizon", horizon, 0),
        ("max_duration", max_duration, 1),
    ):
        if not (isinstance(v, int) and not isinstance(v, bool) and v >= lo):
            raise ValueError(f"fault_schedules: {name}={v!r} must be an int >= {lo}")
    able = tuple(sorted(crashable)) if crashable is not None else ids
    unknown = [n for n in able if n not in ids]
    if unknown:
        raise ValueError(f"fault_schedules: crashable nodes {unknown} are not in {list(ids)}")
    usable = [k for k in kinds if not (k == "crash" and not able)]
    if "partition" in usable and len(ids) < 2:
        usable.remove("partition")
    if not usable:
        raise ValueError(f"fault_schedules: no kind of {list(kinds)} applies to nodes {list(ids)}")
    splits = partitions(ids, shapes) if "partition" in usable else None

    @st.composite
    def draw(data: st.DrawFn) -> list[tuple[float, Fault]]:
        count = data(st.integers(min_value=0, max_value=max_episodes))
        entries: list[tuple[float, int, Fault]] = []
        down: dict[str, list[tuple[int, int]]] = {}
        for _ in range(count):
            kind = data(st.sampled_from(usable))
            start = data(st.integers(min_value=0, max_value=horizon))
            end = start + data(st.integers(min_value=1, max_value=max_duration))
            seq = len(entries)
            if kind == "crash":
                node = data(st.sampled_from(able))
                if any(s <= end and start <= e for s, e in down.get(node, [])):
                    continue  # this node is already down then
                down.setdefault(node, []).append((start, end))
                entries += [(start, seq, Crash(node)), (end, seq + 1, Restart(node))]
            elif kind == "partition":
                assert splits is not None
                split = data(splits)
                entries.append((start, seq, Heal()))
                entries += [(start, seq + 1 + i, f) for i, f in enumerate(split.faults)]
                entries.append((end, seq + 1 + len(split.faults), Heal()))
            elif kind in ("loss", "duplication"):
                p = data(st.sampled_from((0.5, 0.2, 0.9, 1.0)))
                burst = NetworkChange(loss=p) if kind == "loss" else NetworkChange(duplication=p)
                entries += [(start, seq, burst), (end, seq + 1, NetworkChange())]
            else:
                skew = data(clock_skews(ids))
                entries += [(start, seq, skew), (end, seq + 1, ClockSkew(skew.node))]
        entries.sort(key=lambda e: (e[0], e[1]))
        return [(float(t), f) for t, _, f in entries]

    return draw()


# -- workloads -----------------------------------------------------------------------------------
def workloads(
    kind: str = "register",
    min_size: int = 1,
    max_size: int = 6,
    clients: int | None = None,
    keys: Sequence[Hashable] = ("x", "y"),
) -> st.SearchStrategy[Any]:
    """Workloads in the ``dslib.sim.Client`` format, for ``kind`` of object.

    ============ ====================================================================
    kind         operations
    ============ ====================================================================
    ``register`` ``("write", v)``, ``("read", None)``
    ``kv``       ``("put", key, v)``, ``("get", key, None)``
    ``counter``  ``("add", n)`` with ``n`` in 1..3, ``("read", None)``
    ``queue``    ``("enqueue", v)``, ``("dequeue", None)``
    ============ ====================================================================

    Written and enqueued values are distinct (1, 2, 3, ... in order), which
    keeps histories readable and quick to check.

    Parameters
    ----------
    kind : str, default "register"
        One of ``WORKLOAD_KINDS``.
    min_size, max_size : int
        Operations per client.
    clients : int, optional
        Draw one workload per client (a list of lists, values distinct across
        all of them) instead of a single list.
    keys : sequence, default ("x", "y")
        The keys of ``kv`` operations.

    Examples
    --------
    >>> from hypothesis import find, settings
    >>> fixed = settings(database=None, derandomize=True)  # the same examples on every run
    >>> find(workloads("register", min_size=3), lambda w: w[0][0] == "read",
    ...      settings=fixed)
    [('read', None), ('write', 1), ('write', 2)]
    >>> find(workloads("queue", clients=2), lambda ws: len(ws[1]) > 1, settings=fixed)
    [[('enqueue', 1)], [('enqueue', 2), ('enqueue', 3)]]
    """
    if kind not in WORKLOAD_KINDS:
        raise ValueError(f"workloads: kind={kind!r}; choose from {list(WORKLOAD_KINDS)}")
    _check_sizes(max(min_size, 1), max(max_size, 1), "workloads")
    if min_size > max_size or min_size < 0:
        raise ValueError(f"workloads: need 0 <= min_size <= max_size, got {min_size}, {max_size}")
    if clients is not None and not (isinstance(clients, int) and clients >= 1):
        raise ValueError(f"workloads: clients={clients!r} must be None or an int >= 1")
    if kind == "kv" and not keys:
        raise ValueError("workloads: a kv workload needs at least one key")
    update, query = {
        "register": ("write", "read"),
        "kv": ("put", "get"),
        "counter": ("add", "read"),
        "queue": ("enqueue", "dequeue"),
    }[kind]
    key_strategy = st.sampled_from(tuple(keys)) if kind == "kv" else st.none()
    op = st.tuples(st.sampled_from((update, query)), key_strategy, st.integers(1, 3))
    one = st.lists(op, min_size=min_size, max_size=max_size)
    many = st.lists(one, min_size=clients or 1, max_size=clients or 1)

    def build(raw: list[list[tuple[str, Any, int]]]) -> list[list[Any]]:
        counter = 0
        out = []
        for ops in raw:
            load: list[Any] = []
            for f, key, n in ops:
                if f == query:
                    value = None
                elif kind == "counter":
                    value = n
                else:
                    counter += 1
                    value = counter
                load.append((f, key, value) if kind == "kv" else (f, value))
            out.append(load)
        return out

    if clients is None:
        return many.map(lambda raw: build(raw)[0])
    return many.map(build)
