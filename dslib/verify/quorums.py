"""Quorum systems, and z3 proofs that their quorums intersect.

Every consensus and replication protocol in the book is safe for one reason:
any two quorums that could each decide share a node, and that node remembers.
A *quorum system* says which sets of nodes count as quorums; this module builds
the common ones (majorities, thresholds, weights, grids, explicit lists,
read/write quorums, Flexible Paxos phases, Byzantine quorums) and asks z3
whether every quorum of one system meets every quorum of another in at least
``overlap`` nodes.

How the proof works: each node gets two 0/1 integers, "in the first quorum" and
"in the second quorum"; each system adds its constraint (a sum of members for
thresholds and weights, a disjunction for grids and lists); and one more
constraint says the two quorums share fewer than ``overlap`` nodes. If z3
answers *unsat*, no such pair exists: the intersection property is proved for
every pair of quorums at once. (Integers rather than Booleans matter: the
argument is counting, ``|A| + |B| - |A ∩ B| <= n``, which z3's linear arithmetic
finds at once, while a purely Boolean encoding makes it a pigeonhole problem
that takes seconds at 21 nodes and much longer beyond.) If it answers *sat*, its model is a witness,
which :func:`prove_intersection` turns into the canonical (smallest, then
earliest) pair of quorums, so that the same question always gets the same
answer, whatever z3's internal choices.

All quorum systems here are *monotone*: a superset of a quorum is a quorum.
The witness of a failure is therefore always a pair of minimal quorums.

Examples
--------
>>> read, write = read_write(3, r=1, w=1)
>>> prove_intersection(read, write)
fails: read quorum {n1} and write quorum {n2} share 0 nodes; at least 1 needed
>>> read, write = read_write(3, r=2, w=2)
>>> bool(prove_intersection(read, write))
True

References
----------
.. [1] D. Malkhi and M. Reiter, "Byzantine Quorum Systems", Distributed
   Computing 11(4), 1998, section 3.
.. [2] H. Howard, D. Malkhi and A. Spiegelman, "Flexible Paxos: Quorum
   intersection revisited", arXiv:1608.06696, 2016, section 3.
.. [3] L. de Moura and N. Bjørner, "Z3: An Efficient SMT Solver", TACAS 2008.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import z3

from dslib.core import check_node_ids
from dslib.verify._canonical import _possible, prefer_in_order

__all__ = [
    "ExplicitQuorums",
    "GridQuorums",
    "IntersectionResult",
    "QuorumSystem",
    "ThresholdQuorums",
    "WeightedQuorums",
    "byzantine",
    "check_by_enumeration",
    "explicit",
    "flexible_paxos",
    "grid",
    "intersection_query",
    "majority",
    "prove_intersection",
    "read_write",
    "threshold",
    "weighted",
]

_MAX_ENUMERATION = 16


def _node_names(nodes: int | Sequence[str], what: str) -> tuple[str, ...]:
    """``n`` -> ``("n1", ..., "nn")``; a sequence of names -> the same names, checked."""
    if isinstance(nodes, bool):
        raise TypeError(f"{what}: nodes must be a count (int) or a sequence of names, got a bool")
    if isinstance(nodes, int):
        if nodes < 1:
            raise ValueError(f"{what}: a quorum system needs at least 1 node, got {nodes}")
        return tuple(f"n{i}" for i in range(1, nodes + 1))
    if isinstance(nodes, str) or not isinstance(nodes, Sequence):
        raise TypeError(
            f"{what}: nodes must be a count (int) or a sequence of names, got {nodes!r}"
        )
    return check_node_ids(what, nodes)


def _check_count(value: int, name: str, lo: int, hi: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what}: {name} must be an int, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{what}: {name}={value} is out of range; allowed: {lo} to {hi}")
    return value


class QuorumSystem(ABC):
    """Which sets of nodes are quorums (a monotone family: supersets of quorums are quorums).

    Parameters
    ----------
    nodes : tuple of str
        The nodes, in the order used for display and for choosing witnesses.
    label : str
        What one quorum is called in messages ("read quorum", "quorum", ...).
    description : str
        One line that says which sets are quorums.
    overlap : int
        How many nodes two quorums must share for the system to be safe (1 for
        crash faults; f + 1 for Byzantine quorums). :func:`prove_intersection`
        uses the largest ``overlap`` of the two systems unless told otherwise.

    Examples
    --------
    >>> q = majority(5)
    >>> q.is_quorum({"n1", "n2", "n3"}), q.is_quorum({"n1", "n2"})
    (True, False)
    >>> q
    QuorumSystem(quorums: any 3 of the 5 nodes n1..n5)
    """

    def __init__(self, nodes: tuple[str, ...], label: str, description: str, overlap: int) -> None:
        self.nodes = nodes
        self.label = label
        self.description = description
        self.overlap = _check_count(overlap, "overlap", 1, len(nodes), "QuorumSystem")

    @abstractmethod
    def _is_quorum(self, members: frozenset[str]) -> bool:
        """Whether ``members`` (a subset of ``nodes``) is a quorum."""

    @abstractmethod
    def constraint(self, member: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        """A z3 formula: the nodes ``n`` with ``member[n] == 1`` form a quorum.

        Parameters
        ----------
        member : mapping of str to z3 Int
            One 0/1 integer per node of the system (1: in the quorum).

        Returns
        -------
        z3.BoolRef
            The membership constraint.

        Examples
        --------
        >>> import z3
        >>> q = threshold(3, 2)
        >>> member = {n: z3.Int(n) for n in q.nodes}
        >>> s = z3.Solver()
        >>> s.add([0 <= v for v in member.values()] + [v <= 1 for v in member.values()])
        >>> s.add(q.constraint(member), member["n1"] == 0, member["n2"] == 0)
        >>> s.check()
        unsat
        """

    def _smallest(self) -> int:
        """A lower bound on the size of a quorum (exact for the systems of this module).

        :func:`prove_intersection` starts its search for the smallest witness
        here: when two quorums this small already fail, no proof of
        minimality is needed. Subclasses may keep this default of 1.
        """
        return 1

    def is_quorum(self, members: Iterable[str]) -> bool:
        """Whether the given set of nodes is a quorum (plain Python, no z3).

        Parameters
        ----------
        members : iterable of str
            Node names; each must be a node of the system.

        Returns
        -------
        bool

        Raises
        ------
        ValueError
            If a name is not a node of the system.

        Examples
        --------
        >>> grid(2, 2).is_quorum({"r1c1", "r1c2", "r2c1"})
        True
        """
        chosen = frozenset(members)
        unknown = sorted(chosen - set(self.nodes))
        if unknown:
            raise ValueError(
                f"is_quorum: {unknown} are not nodes of this system; its nodes are "
                f"{', '.join(self.nodes)}"
            )
        return self._is_quorum(chosen)

    def minimal_quorums(self) -> list[tuple[str, ...]]:
        """Every minimal quorum, by brute-force enumeration (for small systems).

        Returns
        -------
        list of tuple of str
            Minimal quorums, each in node order; sorted by size, then by node order.

        Raises
        ------
        ValueError
            If the system has more than 16 nodes (2**n subsets would be enumerated).

        Examples
        --------
        >>> majority(3).minimal_quorums()
        [('n1', 'n2'), ('n1', 'n3'), ('n2', 'n3')]
        """
        return sorted((self._ordered(q) for q in _minimal_quorums(self)), key=self._rank)

    def _ordered(self, members: Iterable[str]) -> tuple[str, ...]:
        chosen = set(members)
        return tuple(n for n in self.nodes if n in chosen)

    def _rank(self, members: tuple[str, ...]) -> tuple[int, tuple[int, ...]]:
        return (len(members), tuple(self.nodes.index(n) for n in members))

    def __repr__(self) -> str:
        return f"QuorumSystem({self.description})"


def _span(nodes: tuple[str, ...]) -> str:
    if len(nodes) <= 3:
        return ", ".join(nodes)
    return f"{nodes[0]}..{nodes[-1]}"


def _all_quorums(system: QuorumSystem) -> list[frozenset[str]]:
    if len(system.nodes) > _MAX_ENUMERATION:
        raise ValueError(
            f"enumeration is only for small systems (at most {_MAX_ENUMERATION} nodes); this one "
            f"has {len(system.nodes)}: use prove_intersection, which asks z3 instead"
        )
    found = []
    for size in range(len(system.nodes) + 1):
        for combo in itertools.combinations(system.nodes, size):
            members = frozenset(combo)
            if system._is_quorum(members):
                found.append(members)
    return found


def _minimal_quorums(system: QuorumSystem) -> list[frozenset[str]]:
    # Monotone: a quorum is minimal when removing any one node leaves a non-quorum.
    return [q for q in _all_quorums(system) if not any(system._is_quorum(q - {n}) for n in q)]


class ThresholdQuorums(QuorumSystem):
    """Quorums are all sets of at least ``size`` nodes (majorities, R and W, Byzantine).

    Parameters
    ----------
    nodes : int or sequence of str
        A count ``n`` (nodes ``n1``..``nn``) or the node names.
    size : int
        The smallest quorum, 1 to n.
    label : str, optional
        What one quorum is called in messages.
    overlap : int, optional
        Nodes two quorums must share (default 1).

    Examples
    --------
    >>> ThresholdQuorums(4, 3).is_quorum({"n1", "n2"})
    False
    """

    def __init__(
        self,
        nodes: int | Sequence[str],
        size: int,
        *,
        label: str = "quorum",
        overlap: int = 1,
    ) -> None:
        names = _node_names(nodes, "ThresholdQuorums")
        self.size = _check_count(size, "size", 1, len(names), "ThresholdQuorums")
        description = f"{label}s: any {size} of the {len(names)} nodes {_span(names)}"
        super().__init__(names, label, description, overlap)

    def _is_quorum(self, members: frozenset[str]) -> bool:
        return len(members) >= self.size

    def _smallest(self) -> int:
        return self.size

    def constraint(self, member: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        return z3.Sum([member[n] for n in self.nodes]) >= self.size


class WeightedQuorums(QuorumSystem):
    """Quorums are sets whose total weight reaches a threshold (weighted voting).

    Parameters
    ----------
    weights : mapping of str to int
        Each node's number of votes (positive).
    threshold : int, optional
        The weight a quorum needs; default: more than half of the total.
    label : str, optional
        What one quorum is called in messages.

    Examples
    --------
    >>> q = WeightedQuorums({"a": 3, "b": 1, "c": 1})
    >>> q.is_quorum({"a"}), q.is_quorum({"b", "c"})
    (True, False)
    """

    def __init__(
        self,
        weights: Mapping[str, int],
        threshold: int | None = None,
        *,
        label: str = "quorum",
    ) -> None:
        if not isinstance(weights, Mapping):
            raise TypeError(
                f"WeightedQuorums: weights must map node names to ints, got {weights!r}"
            )
        names = _node_names(list(weights), "WeightedQuorums")
        for name in names:
            _check_count(weights[name], f"weight of {name}", 1, 10**9, "WeightedQuorums")
        self.weights = {n: weights[n] for n in names}
        total = sum(self.weights.values())
        if threshold is None:
            threshold = total // 2 + 1
        self.threshold = _check_count(threshold, "threshold", 1, total, "WeightedQuorums")
        described = ", ".join(f"{n}:{w}" for n, w in self.weights.items())
        description = f"{label}s: weight at least {self.threshold} of {total} ({described})"
        super().__init__(names, label, description, 1)

    def _is_quorum(self, members: frozenset[str]) -> bool:
        return sum(self.weights[n] for n in members) >= self.threshold

    def _smallest(self) -> int:
        # the heaviest nodes first reach the threshold with the fewest nodes
        total = 0
        for count, weight in enumerate(sorted(self.weights.values(), reverse=True), start=1):
            total += weight
            if total >= self.threshold:
                return count
        raise AssertionError("the threshold is at most the total weight")  # pragma: no cover

    def constraint(self, member: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        return z3.Sum([self.weights[n] * member[n] for n in self.nodes]) >= self.threshold


class GridQuorums(QuorumSystem):
    """Nodes on a grid; a quorum holds a whole row and a whole column.

    Any row meets any column, so any two quorums intersect, with quorums of
    about ``2 * sqrt(n)`` nodes instead of ``n / 2``.

    Parameters
    ----------
    rows, cols : int
        The grid's shape; nodes are named ``r{i}c{j}``.

    Examples
    --------
    >>> GridQuorums(2, 3).minimal_quorums()[0]
    ('r1c1', 'r1c2', 'r1c3', 'r2c1')
    """

    def __init__(self, rows: int, cols: int, *, label: str = "quorum") -> None:
        _check_count(rows, "rows", 1, 64, "GridQuorums")
        _check_count(cols, "cols", 1, 64, "GridQuorums")
        self.rows = rows
        self.cols = cols
        names = tuple(f"r{i}c{j}" for i in range(1, rows + 1) for j in range(1, cols + 1))
        description = f"{label}s: a full row and a full column of a {rows} x {cols} grid"
        super().__init__(names, label, description, 1)

    def _row(self, i: int) -> list[str]:
        return [f"r{i}c{j}" for j in range(1, self.cols + 1)]

    def _col(self, j: int) -> list[str]:
        return [f"r{i}c{j}" for i in range(1, self.rows + 1)]

    def _is_quorum(self, members: frozenset[str]) -> bool:
        full_row = any(set(self._row(i)) <= members for i in range(1, self.rows + 1))
        full_col = any(set(self._col(j)) <= members for j in range(1, self.cols + 1))
        return full_row and full_col

    def _smallest(self) -> int:
        return self.rows + self.cols - 1

    def constraint(self, member: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        def full(nodes: list[str]) -> z3.BoolRef:
            return z3.And([member[n] == 1 for n in nodes])

        row = z3.Or([full(self._row(i)) for i in range(1, self.rows + 1)])
        col = z3.Or([full(self._col(j)) for j in range(1, self.cols + 1)])
        return z3.And(row, col)


class ExplicitQuorums(QuorumSystem):
    """Quorums listed one by one (and every superset of a listed one).

    Parameters
    ----------
    quorums : sequence of sets of str
        The listed quorums (each non-empty).
    nodes : sequence of str, optional
        All nodes, in display order; default: every node named in ``quorums``,
        sorted.
    label : str, optional
        What one quorum is called in messages.

    Examples
    --------
    >>> q = ExplicitQuorums([{"a", "b"}, {"b", "c"}])
    >>> q.nodes, q.is_quorum({"a", "c"})
    (('a', 'b', 'c'), False)
    """

    def __init__(
        self,
        quorums: Sequence[Iterable[str]],
        nodes: Sequence[str] | None = None,
        *,
        label: str = "quorum",
    ) -> None:
        if isinstance(quorums, (str, bytes)) or not isinstance(quorums, Sequence):
            raise TypeError(
                f"ExplicitQuorums: quorums must be a list of node sets, got {quorums!r}"
            )
        sets = []
        for q in quorums:
            if isinstance(q, str):
                raise TypeError(
                    "ExplicitQuorums: each quorum must be a set of node names, got the string "
                    f"{q!r}"
                )
            members = frozenset(q)
            if not members:
                raise ValueError("ExplicitQuorums: a listed quorum is empty; quorums need a node")
            sets.append(members)
        if not sets:
            raise ValueError("ExplicitQuorums: list at least one quorum")
        mentioned = sorted(set().union(*sets))
        names = _node_names(mentioned if nodes is None else list(nodes), "ExplicitQuorums")
        unknown = sorted(set(mentioned) - set(names))
        if unknown:
            raise ValueError(f"ExplicitQuorums: quorums name {unknown}, which are not in nodes")
        super().__init__(names, label, "", 1)
        self.quorums = tuple(sorted((self._ordered(q) for q in set(sets)), key=self._rank))
        listed = "; ".join("{" + ", ".join(q) + "}" for q in self.quorums)
        self.description = f"{label}s: supersets of {listed}"

    def _is_quorum(self, members: frozenset[str]) -> bool:
        return any(set(q) <= members for q in self.quorums)

    def _smallest(self) -> int:
        return min(len(q) for q in self.quorums)

    def constraint(self, member: Mapping[str, z3.ArithRef]) -> z3.BoolRef:
        return z3.Or([z3.And([member[n] == 1 for n in q]) for q in self.quorums])


def majority(nodes: int | Sequence[str]) -> ThresholdQuorums:
    """Majority quorums: any more than half of the nodes.

    Parameters
    ----------
    nodes : int or sequence of str
        A count ``n`` (nodes ``n1``..``nn``) or the node names.

    Returns
    -------
    ThresholdQuorums

    Examples
    --------
    >>> prove_intersection(majority(5))
    proved: every two quorums (any 3 of the 5 nodes n1..n5) share at least 1 node
    """
    names = _node_names(nodes, "majority")
    return ThresholdQuorums(names, len(names) // 2 + 1)


def threshold(nodes: int | Sequence[str], size: int, *, label: str = "quorum") -> ThresholdQuorums:
    """Threshold quorums: any ``size`` nodes or more.

    Parameters
    ----------
    nodes : int or sequence of str
        A count ``n`` or the node names.
    size : int
        The quorum size, 1 to n.
    label : str, optional
        What one quorum is called in messages.

    Returns
    -------
    ThresholdQuorums

    Examples
    --------
    >>> prove_intersection(threshold(4, 2)).holds
    False
    """
    return ThresholdQuorums(nodes, size, label=label)


def read_write(
    nodes: int | Sequence[str], r: int, w: int
) -> tuple[ThresholdQuorums, ThresholdQuorums]:
    """Read quorums of ``r`` nodes and write quorums of ``w`` nodes (Dynamo-style R, W, N).

    A read sees the latest write exactly when every read quorum meets every
    write quorum, which holds exactly when ``r + w > n``; two writes are
    ordered when write quorums meet each other, ``2 w > n``.

    Parameters
    ----------
    nodes : int or sequence of str
        N as a count, or the node names.
    r, w : int
        Read and write quorum sizes, 1 to N.

    Returns
    -------
    (ThresholdQuorums, ThresholdQuorums)
        The read quorums and the write quorums.

    Examples
    --------
    >>> read, write = read_write(5, r=3, w=3)
    >>> prove_intersection(read, write)
    proved: every read quorum (any 3 of the 5 nodes n1..n5) and every write quorum (any 3 of the 5 nodes n1..n5) share at least 1 node
    """  # noqa: E501
    names = _node_names(nodes, "read_write")
    return (
        ThresholdQuorums(names, r, label="read quorum"),
        ThresholdQuorums(names, w, label="write quorum"),
    )


def flexible_paxos(
    nodes: int | Sequence[str], phase1: int, phase2: int
) -> tuple[ThresholdQuorums, ThresholdQuorums]:
    """Flexible Paxos: phase-1 (leader election) and phase-2 (replication) quorums.

    Paxos is safe when every phase-1 quorum meets every phase-2 quorum; two
    phase-2 quorums need not meet (Howard, Malkhi and Spiegelman 2016, §3).
    So a small phase-2 quorum (fast replication) can be paid for with a large
    phase-1 quorum (rare leader changes): ``phase1 + phase2 > n``.

    Parameters
    ----------
    nodes : int or sequence of str
        A count or the node names.
    phase1, phase2 : int
        The quorum sizes of each phase.

    Returns
    -------
    (ThresholdQuorums, ThresholdQuorums)
        Phase-1 quorums and phase-2 quorums.

    Examples
    --------
    >>> q1, q2 = flexible_paxos(6, phase1=5, phase2=2)
    >>> prove_intersection(q1, q2).holds, prove_intersection(q2).holds
    (True, False)
    """
    names = _node_names(nodes, "flexible_paxos")
    return (
        ThresholdQuorums(names, phase1, label="phase-1 quorum"),
        ThresholdQuorums(names, phase2, label="phase-2 quorum"),
    )


def byzantine(nodes: int | Sequence[str], f: int) -> ThresholdQuorums:
    """Byzantine quorums that tolerate ``f`` faulty nodes.

    A quorum has ``n - f`` nodes: the most the system can wait for when ``f``
    nodes may never answer. Two quorums must share at least ``f + 1`` nodes,
    so that at least one correct node is in both (dissemination quorums,
    Malkhi and Reiter 1998, §3). Both hold exactly when ``n >= 3 f + 1``.

    Parameters
    ----------
    nodes : int or sequence of str
        A count or the node names.
    f : int
        The number of faulty nodes tolerated, ``0 <= f < n``.

    Returns
    -------
    ThresholdQuorums
        With ``overlap = f + 1``.

    Examples
    --------
    >>> prove_intersection(byzantine(4, f=1))
    proved: every two quorums (any 3 of the 4 nodes n1..n4) share at least 2 nodes
    >>> prove_intersection(byzantine(3, f=1))
    fails: quorum {n1, n2} and quorum {n1, n3} share 1 node (n1); at least 2 needed
    """
    names = _node_names(nodes, "byzantine")
    _check_count(f, "f", 0, len(names) - 1, "byzantine")
    return ThresholdQuorums(names, len(names) - f, overlap=f + 1)


def weighted(weights: Mapping[str, int], threshold: int | None = None) -> WeightedQuorums:
    """Weighted quorums: sets whose weight reaches ``threshold`` (default: a weighted majority).

    Parameters
    ----------
    weights : mapping of str to int
        Each node's votes.
    threshold : int, optional
        The weight a quorum needs.

    Returns
    -------
    WeightedQuorums

    Examples
    --------
    >>> prove_intersection(weighted({"a": 2, "b": 1, "c": 1}, threshold=2))
    fails: quorum {a} and quorum {b, c} share 0 nodes; at least 1 needed
    """
    return WeightedQuorums(weights, threshold)


def grid(rows: int, cols: int) -> GridQuorums:
    """Grid quorums: a full row plus a full column of a ``rows`` x ``cols`` grid.

    Parameters
    ----------
    rows, cols : int
        The grid's shape.

    Returns
    -------
    GridQuorums

    Examples
    --------
    >>> prove_intersection(grid(3, 3)).holds
    True
    """
    return GridQuorums(rows, cols)


def explicit(
    quorums: Sequence[Iterable[str]], nodes: Sequence[str] | None = None
) -> ExplicitQuorums:
    """Quorums given as a list of node sets.

    Parameters
    ----------
    quorums : sequence of sets of str
        The quorums.
    nodes : sequence of str, optional
        All nodes, in display order (default: those named, sorted).

    Returns
    -------
    ExplicitQuorums

    Examples
    --------
    >>> prove_intersection(explicit([{"a", "b"}, {"b", "c"}, {"c", "d"}]))
    fails: quorum {a, b} and quorum {c, d} share 0 nodes; at least 1 needed
    """
    return ExplicitQuorums(quorums, nodes)


@dataclass(frozen=True)
class IntersectionResult:
    """The answer to "do these quorums intersect?": a proof, or two quorums that do not.

    Attributes
    ----------
    holds : bool
        True when every pair of quorums shares at least ``overlap`` nodes.
    first, second : QuorumSystem
        The two systems compared (the same object when a system is compared with itself).
    overlap : int
        The number of shared nodes required.
    witness : (tuple of str, tuple of str) or None
        When ``holds`` is false: a quorum of each system (in node order) that
        share fewer than ``overlap`` nodes; the smallest such pair, and among
        those the one with the earliest nodes. None when ``holds``.
    method : str
        ``"z3"`` or ``"enumeration"``.

    Examples
    --------
    >>> res = prove_intersection(*read_write(3, 1, 1))
    >>> res.holds, res.witness, res.common
    (False, (('n1',), ('n2',)), ())
    """

    holds: bool
    first: QuorumSystem
    second: QuorumSystem
    overlap: int
    witness: tuple[tuple[str, ...], tuple[str, ...]] | None
    method: str = "z3"

    @property
    def common(self) -> tuple[str, ...]:
        """The nodes the two witness quorums share (empty when the property holds)."""
        if self.witness is None:
            return ()
        a, b = self.witness
        return tuple(n for n in a if n in b)

    def __bool__(self) -> bool:
        return self.holds

    def __repr__(self) -> str:
        need = f"at least {self.overlap} node{'s' if self.overlap != 1 else ''}"
        if self.witness is None:
            if self.first is self.second:
                return f"proved: every two {self.first.label}s ({_what(self.first)}) share {need}"
            return (
                f"proved: every {self.first.label} ({_what(self.first)}) and every "
                f"{self.second.label} ({_what(self.second)}) share {need}"
            )
        a, b = self.witness
        shared = self.common
        count = f"{len(shared)} node{'s' if len(shared) != 1 else ''}"
        listed = f" ({', '.join(shared)})" if shared else ""
        return (
            f"fails: {self.first.label} {{{', '.join(a)}}} and {self.second.label} "
            f"{{{', '.join(b)}}} share {count}{listed}; at least {self.overlap} needed"
        )


def _what(system: QuorumSystem) -> str:
    return system.description.split(": ", 1)[-1]


def _pair(
    first: QuorumSystem, second: QuorumSystem | None, overlap: int | None, what: str
) -> tuple[QuorumSystem, QuorumSystem, int]:
    if not isinstance(first, QuorumSystem):
        raise TypeError(f"{what}: expected a QuorumSystem, got {first!r}")
    if second is None:
        second = first
    if not isinstance(second, QuorumSystem):
        raise TypeError(f"{what}: expected a QuorumSystem, got {second!r}")
    if set(first.nodes) != set(second.nodes):
        raise ValueError(
            f"{what}: the two quorum systems are over different nodes "
            f"({', '.join(first.nodes)} and {', '.join(second.nodes)}); compare systems over "
            "the same nodes"
        )
    if overlap is None:
        overlap = max(first.overlap, second.overlap)
    _check_count(overlap, "overlap", 1, len(first.nodes), what)
    return first, second, overlap


def intersection_query(
    first: QuorumSystem, second: QuorumSystem, overlap: int
) -> tuple[z3.Solver, dict[str, z3.ArithRef], dict[str, z3.ArithRef]]:
    """The question :func:`prove_intersection` asks z3: two quorums sharing too few nodes.

    Each node gets a 0/1 integer per quorum ("in A", "in B"). The solver is
    satisfiable exactly when some quorum A of ``first`` and B of ``second``
    share fewer than ``overlap`` nodes; *unsat* is the proof.

    Parameters
    ----------
    first, second : QuorumSystem
        Systems over the same nodes.
    overlap : int
        The number of nodes every pair must share.

    Returns
    -------
    (z3.Solver, dict, dict)
        The solver, and the membership variables of A and of B by node.

    Examples
    --------
    >>> solver, in_a, in_b = intersection_query(majority(3), majority(3), 1)
    >>> solver.check()
    unsat
    """
    first, second, overlap = _pair(first, second, overlap, "intersection_query")
    nodes = first.nodes
    in_a = {n: z3.Int(f"A.{n}") for n in nodes}
    in_b = {n: z3.Int(f"B.{n}") for n in nodes}
    shared = {n: z3.Int(f"AB.{n}") for n in nodes}
    # The plain SMT core: z3's default tactics would turn these 0/1 integers back into
    # Booleans, a pigeonhole problem that is exponentially harder than the counting below.
    solver = z3.SimpleSolver()
    solver.set("random_seed", 0)
    for n in nodes:
        solver.add(in_a[n] >= 0, in_a[n] <= 1, in_b[n] >= 0, in_b[n] <= 1)
        # shared[n] is 1 at least when n is in both quorums
        solver.add(shared[n] >= 0, shared[n] >= in_a[n] + in_b[n] - 1)
    solver.add(first.constraint(in_a), second.constraint(in_b))
    solver.add(z3.Sum(list(shared.values())) <= overlap - 1)  # too few shared nodes
    return solver, in_a, in_b


def _some_member(literals: Sequence[z3.BoolRef]) -> z3.BoolRef:
    """One of the ``var == 1`` literals holds, said as a sum: ``var_1 + ... + var_k >= 1``.

    z3 combines a sum with the size bound by linear arithmetic; the equivalent
    disjunction makes it split cases, one per literal, which takes seconds on
    hundreds of nodes.
    """
    return z3.Sum([lit.arg(0) for lit in literals]) >= 1


def prove_intersection(
    first: QuorumSystem,
    second: QuorumSystem | None = None,
    *,
    overlap: int | None = None,
) -> IntersectionResult:
    """Prove with z3 that every quorum of ``first`` meets every quorum of ``second``.

    Parameters
    ----------
    first : QuorumSystem
        One quorum system.
    second : QuorumSystem, optional
        The other (default: ``first`` itself: do any two of its quorums meet?).
    overlap : int, optional
        The number of nodes every pair must share; default: the larger
        ``overlap`` of the two systems (1, or f + 1 for Byzantine quorums).

    Returns
    -------
    IntersectionResult
        ``holds`` and, when it fails, the canonical witness pair.

    Raises
    ------
    TypeError
        If an argument is not a quorum system.
    ValueError
        If the systems are over different nodes, or ``overlap`` is out of range.

    Notes
    -----
    The question to z3 is: are there sets A and B with ``first.constraint(A)``,
    ``second.constraint(B)`` and ``|A ∩ B| < overlap``? *unsat* is the proof.
    Sets are 0/1 integer vectors, so the counting argument is linear arithmetic.
    On *sat*, the witness is made canonical without trusting z3's choice of
    model: first the smallest ``|A| + |B|`` (a binary search between the sizes
    of two smallest quorums and the size of z3's first witness; proving that
    no smaller pair exists is the expensive part, avoided when two smallest
    quorums already fail), then, node by node in order, "in A" is preferred to
    "not in A" (then the same for B). Any two runs give the same witness, the
    one :func:`check_by_enumeration` picks. Most nodes of a large system end
    up outside both quorums; a run of such nodes is settled by a binary search
    ("could any of these be in?", :func:`dslib.verify._canonical.first_possible`),
    so the witness costs a few dozen solver calls rather than one per node of
    each quorum.

    Examples
    --------
    >>> prove_intersection(*flexible_paxos(6, phase1=4, phase2=2))
    fails: phase-1 quorum {n1, n2, n3, n4} and phase-2 quorum {n5, n6} share 0 nodes; at least 1 needed
    """  # noqa: E501
    first, second, overlap = _pair(first, second, overlap, "prove_intersection")
    nodes = first.nodes
    solver, in_a, in_b = intersection_query(first, second, overlap)
    if solver.check() == z3.unsat:
        return IntersectionResult(True, first, second, overlap, None)
    # Canonical witness: smallest total size, then earliest nodes first.
    model = solver.model()
    size = z3.Sum([in_a[n] for n in nodes] + [in_b[n] for n in nodes])
    lo = first._smallest() + second._smallest()
    hi = model.eval(size, model_completion=True).as_long()  # the model has size hi
    if lo < hi:  # two smallest quorums are the likeliest witness: ask once, no proof needed
        if _possible(solver, size <= lo):
            hi = lo
        else:
            lo += 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _possible(solver, size <= mid):
            hi = mid
        else:
            lo = mid + 1
    solver.add(size <= lo)
    wanted = [in_a[n] == 1 for n in nodes] + [in_b[n] == 1 for n in nodes]
    model = prefer_in_order(solver, wanted, _some_member)
    a = tuple(n for n in nodes if model.eval(in_a[n], model_completion=True).as_long() == 1)
    b = tuple(n for n in nodes if model.eval(in_b[n], model_completion=True).as_long() == 1)
    return IntersectionResult(False, first, second, overlap, (a, b))


def check_by_enumeration(
    first: QuorumSystem,
    second: QuorumSystem | None = None,
    *,
    overlap: int | None = None,
) -> IntersectionResult:
    """The same question as :func:`prove_intersection`, answered by brute force (no z3).

    Enumerates all subsets (so at most 16 nodes) and picks the witness by the
    same canonical rule, so the two answers can be compared exactly: this is
    how the tests check z3.

    Parameters
    ----------
    first, second, overlap
        As for :func:`prove_intersection`.

    Returns
    -------
    IntersectionResult
        With ``method="enumeration"``.

    Raises
    ------
    ValueError
        As for :func:`prove_intersection`, or if there are more than 16 nodes.

    Examples
    --------
    >>> check_by_enumeration(*read_write(3, 1, 1)).witness
    (('n1',), ('n2',))
    """
    first, second, overlap = _pair(first, second, overlap, "check_by_enumeration")
    nodes = first.nodes
    index = {n: i for i, n in enumerate(nodes)}
    best: tuple[tuple[int, tuple[int, ...]], tuple[str, ...], tuple[str, ...]] | None = None
    # The canonical witness is a pair of minimal quorums (shrinking a quorum of a pair that
    # shares too few nodes keeps it so and makes the pair smaller), so those suffice.
    for qa in _minimal_quorums(first):
        for qb in _minimal_quorums(second):
            if len(qa & qb) >= overlap:
                continue
            # canonical order: smallest |A| + |B|, then the largest membership bit-vector
            # (A's bits then B's bits, in node order), written as a key to minimise
            bits = tuple(0 if n in qa else 1 for n in nodes) + tuple(
                0 if n in qb else 1 for n in nodes
            )
            key = (len(qa) + len(qb), bits)
            if best is None or key < best[0]:
                best = (
                    key,
                    tuple(sorted(qa, key=index.__getitem__)),
                    tuple(sorted(qb, key=index.__getitem__)),
                )
    if best is None:
        return IntersectionResult(True, first, second, overlap, None, method="enumeration")
    return IntersectionResult(False, first, second, overlap, (best[1], best[2]), "enumeration")
