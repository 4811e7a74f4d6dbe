"""Single-decree Paxos as a specification: Lamport's TLA+ module ``Paxos``, as a ``Model``.

**The problem.** Some processes each propose a value; they must *choose* one. The
properties (Lamport, "Paxos Made Simple", 2001, section 2.1):

- **agreement**: at most one value is chosen;
- **validity**: only a value that has been proposed may be chosen;
- **integrity**: a process never learns that a value has been chosen unless it
  actually has been. The specification has no learners: here it says that what a
  learner would conclude from the 2b messages (``PaxosSpec.chosen_values``) is
  chosen; the learners of ``dslib.consensus.paxos`` are checked directly;
- **termination**: some value is eventually chosen, and learned. The first three are
  safety (invariants: true in every reachable state); the last is liveness, and no
  deterministic algorithm guarantees it in an asynchronous system with one crash
  (Fischer, Lynch and Paterson, 1985): Paxos keeps safety always and gets
  termination once a single proposer acts alone ("Paxos Made Simple", section 2.4).

**Why the algorithm looks as it does.** Acceptors vote in numbered *ballots*. A value
is *chosen* in ballot ``b`` when a quorum of acceptors voted for it in ``b``; quorums
are majorities, so any two share an acceptor. A proposer that wants ballot ``b``
must first make sure that no *other* value was or can still be chosen in a lower
ballot: it asks a quorum to promise not to vote below ``b`` (phase 1), and each
reports its highest vote; the proposer must then propose the value of the highest
vote reported, or any value if none voted (phase 2). That is the rule P2c of
"Paxos Made Simple", section 2.2, and the reason for every piece of state below.

**The specification.** ``PaxosSpec`` follows the structure of Lamport's TLA+ module
``Paxos`` (the specification that accompanies "Paxos Made Simple" and the TLA+
examples repository): per acceptor ``maxBal`` (the highest ballot it promised),
``maxVBal`` and ``maxVal`` (its highest vote: ballot and value; ``-1`` and ``None``
when it has not voted), and ``msgs``, the set of every message ever sent (never
removed, so a message can be received late, twice, or never). The actions:

- ``Phase1a(b)``: a proposer sends ``("1a", b)``;
- ``Phase1b(a)``: acceptor ``a`` receives a 1a of ballot ``b > maxBal[a]``, promises
  (``maxBal[a] := b``) and sends ``("1b", a, b, maxVBal[a], maxVal[a])``;
- ``Phase2a(b, v)``: if no 2a of ballot ``b`` was sent and a quorum ``Q`` sent 1b
  messages for ``b``, send ``("2a", b, v)``, where ``v`` is the value of the highest
  vote those messages report, or any value if they report none;
- ``Phase2b(a)``: acceptor ``a`` receives a 2a of ballot ``b >= maxBal[a]``, votes
  (``maxBal[a] := maxVBal[a] := b``, ``maxVal[a] := v``) and sends
  ``("2b", a, b, v)``.

``chosen(state)`` is the TLA+ ``Chosen``: ``v`` with a quorum of 2b messages for
``v`` in one ballot. As in TLA+, an action whose effect is already there (a 1a sent
again) is enabled and leads back to the same state.

Which symmetry is sound. Renaming acceptors maps reachable states to reachable
states and keeps every property here true or false: quorums are majorities, so they
are preserved. Renaming values does too, because no action and no property here
names a particular value (agreement, validity and the mutants' checks quantify over
all values); a property such as "value 1 is never chosen" would break it.
Ballots are *not* symmetric: their order is the algorithm. ``symmetry=`` selects
``"acceptors"``, ``"values"`` or ``"both"``.

References
----------
.. [1] L. Lamport, "The Part-Time Parliament", ACM TOCS 16(2), 1998: section 2 (the
   ballots and the conditions B1-B3 on them), section 3 (the protocol).
.. [2] L. Lamport, "Paxos Made Simple", ACM SIGACT News 32(4), 2001: section 2.1 (the
   problem), section 2.2 (choosing a value: P1, P2, P2a-c, the two phases), section
   2.3 (learning), section 2.4 (progress: the distinguished proposer).
.. [3] L. Lamport, TLA+ module ``Paxos`` (github.com/tlaplus/Examples,
   ``specifications/Paxos/Paxos.tla``): the variables and actions named above.

Examples
--------
>>> from dslib.check import check
>>> r = check(PaxosSpec(max_ballot=1), invariants=[agreement, validity])
>>> r.ok, r.distinct_states
(True, 3921)
>>> r = check(PaxosSpec(max_ballot=1, mutant="accept_below_promise"), invariants=[agreement])
>>> r.ok, len(r.counterexample)
(False, 12)
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple

from dslib.check.model import Model
from dslib.check.symmetry import Symmetry
from dslib.core import stable_repr
from dslib.mutants import check_mutant

__all__ = [
    "MUTANTS",
    "SYMMETRIES",
    "PaxosSpec",
    "PaxosState",
    "agreement",
    "chosen",
    "integrity",
    "majority_quorums",
    "spec_invariants",
    "validity",
]

MUTANTS: dict[str, str] = {
    "accept_below_promise": "an acceptor votes in a ballot below the one it promised",
    "ignore_accepted_value": (
        "a proposer ignores the highest vote reported in phase 1 and proposes any value"
    ),
    "quorums_disjoint": "quorums are sets of n // 2 acceptors, so two need not intersect",
    "learner_mixes_ballots": (
        "a value counts as chosen when a quorum voted for it, in any ballots, not one"
    ),
}
"""The broken versions of single-decree Paxos, by name, with what is wrong. The same four
exist at both levels: in ``PaxosSpec`` and in the nodes of ``dslib.consensus.paxos``."""

SYMMETRIES = ("none", "acceptors", "values", "both")
"""The symmetry reductions ``PaxosSpec`` offers (see the module docstring for why they are
sound)."""

Message = tuple[Any, ...]


class PaxosState(NamedTuple):
    """A state of ``PaxosSpec``: the TLA+ variables, acceptors in the order of ``acceptors``.

    Attributes
    ----------
    max_bal : tuple of int
        ``maxBal``: the highest ballot each acceptor promised (``-1``: none).
    max_vbal : tuple of int
        ``maxVBal``: the ballot of each acceptor's highest vote (``-1``: none).
    max_val : tuple
        ``maxVal``: the value of that vote (``None``: none).
    msgs : frozenset of tuple
        Every message sent: ``("1a", b)``, ``("1b", a, b, mbal, mval)``, ``("2a", b, v)``,
        ``("2b", a, b, v)``.

    Examples
    --------
    >>> PaxosState((-1,), (-1,), (None,), frozenset({("1a", 0)}))
    PaxosState(max_bal=(-1,), max_vbal=(-1,), max_val=(None,), msgs=frozenset({('1a', 0)}))
    """

    max_bal: tuple[int, ...]
    max_vbal: tuple[int, ...]
    max_val: tuple[Hashable, ...]
    msgs: frozenset[Message]

    def __repr__(self) -> str:
        return stable_repr(self)  # the message set sorted, whatever PYTHONHASHSEED


def majority_quorums(
    acceptors: Sequence[str], size: int | None = None
) -> tuple[frozenset[str], ...]:
    """Every set of ``size`` or more acceptors (default: a majority), smallest first.

    Parameters
    ----------
    acceptors : sequence of str
        The acceptors' names.
    size : int, optional
        The smallest quorum; default ``len(acceptors) // 2 + 1``.

    Returns
    -------
    tuple of frozenset of str

    Raises
    ------
    ValueError
        If ``size`` is not between 1 and the number of acceptors.

    Examples
    --------
    >>> [sorted(q) for q in majority_quorums(["a1", "a2", "a3"])]
    [['a1', 'a2'], ['a1', 'a3'], ['a2', 'a3'], ['a1', 'a2', 'a3']]
    """
    n = len(acceptors)
    k = n // 2 + 1 if size is None else size
    if not (isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= n):
        raise ValueError(f"majority_quorums: size={size!r} must be an int from 1 to {n}")
    return tuple(
        frozenset(c) for r in range(k, n + 1) for c in itertools.combinations(acceptors, r)
    )


def _names(what: str, given: int | Sequence[Any], prefix: str) -> tuple[Any, ...]:
    if isinstance(given, int) and not isinstance(given, bool):
        if given < 1:
            raise ValueError(f"PaxosSpec: {what}={given} must be at least 1")
        return tuple(f"{prefix}{i}" if prefix else i for i in range(1, given + 1))
    if isinstance(given, Sequence) and not isinstance(given, str) and given:
        names = tuple(given)
        if len(set(names)) != len(names) or None in names:
            raise ValueError(f"PaxosSpec: {what}={list(given)!r} must be distinct and not None")
        return names
    raise ValueError(f"PaxosSpec: {what}={given!r} must be a number (>= 1) or a list of names")


class PaxosSpec(Model[PaxosState]):
    """Lamport's TLA+ specification of single-decree Paxos as a ``dslib.check.Model``.

    The constants of the TLA+ module are the parameters: ``Acceptor`` (``acceptors``),
    ``Value`` (``values``), ``Ballot`` (``0..max_ballot``) and ``Quorum`` (the
    majorities of the acceptors). Actions are labelled ``Phase1a(b)``,
    ``Phase1b(a, b)``, ``Phase2a(b, v)`` and ``Phase2b(a, b)``: the TLA+ action and
    its arguments, with the ballot of the message received.

    Parameters
    ----------
    acceptors : int or sequence of str, default 3
        The number of acceptors (named ``a1``, ``a2``, ...) or their names.
    values : int or sequence, default 2
        The number of values (``1``, ``2``, ...) or the values.
    max_ballot : int, default 2
        Ballots are ``0..max_ballot``.
    mutant : str, optional
        A broken version from ``MUTANTS``. ``"learner_mixes_ballots"`` changes only
        ``chosen_values`` (what a learner would conclude), not the actions.
    symmetry : {"none", "acceptors", "values", "both"}, default "none"
        Count states up to renaming acceptors, values, or both (see the module
        docstring for why each is sound).
    phase1_quorums, phase2_quorums : sequence of frozenset of str, optional
        The quorums whose 1b messages let ``Phase2a`` propose, and the quorums whose
        2b messages choose a value (``quorums``, what ``chosen`` reads). Default:
        the majorities, for both (TLA+ ``Quorum``). Different systems are Flexible
        Paxos (``dslib.consensus.flexible``): safe when every phase-1 quorum meets
        every phase-2 quorum. Renaming acceptors is then sound only if both systems
        are all the sets of at least some size (checked).

    Raises
    ------
    ValueError
        For a bad constant, an unknown mutant or symmetry.

    Examples
    --------
    >>> spec = PaxosSpec(acceptors=3, values=2, max_ballot=0)
    >>> [s0] = spec.init_states()
    >>> [label for label, _ in spec.actions(s0)]
    ['Phase1a(0)']
    >>> from dslib.check import check
    >>> check(spec, invariants=[agreement]).distinct_states
    73
    """

    def __init__(
        self,
        acceptors: int | Sequence[str] = 3,
        values: int | Sequence[Hashable] = 2,
        max_ballot: int = 2,
        *,
        mutant: str | None = None,
        symmetry: str = "none",
        phase1_quorums: Sequence[frozenset[str]] | None = None,
        phase2_quorums: Sequence[frozenset[str]] | None = None,
    ) -> None:
        self.acceptors: tuple[str, ...] = _names("acceptors", acceptors, "a")
        self.values: tuple[Hashable, ...] = _names("values", values, "")
        if not (isinstance(max_ballot, int) and not isinstance(max_ballot, bool)) or max_ballot < 0:
            raise ValueError(f"PaxosSpec: max_ballot={max_ballot!r} must be an int >= 0")
        self.max_ballot = max_ballot
        self.mutant = check_mutant("PaxosSpec", mutant, MUTANTS)
        if symmetry not in SYMMETRIES:
            raise ValueError(f"PaxosSpec: symmetry={symmetry!r}; allowed: {', '.join(SYMMETRIES)}")
        n = len(self.acceptors)
        size = n // 2 if mutant == "quorums_disjoint" else None
        default = majority_quorums(self.acceptors, max(size, 1) if size is not None else None)
        self.phase1_quorums = self._quorum_system("phase1_quorums", phase1_quorums, default)
        self.phase2_quorums = self._quorum_system("phase2_quorums", phase2_quorums, default)
        self.quorums = self.phase2_quorums  # TLA+ Quorum, as Chosen reads it
        self._quorum_idx = tuple(
            tuple(i for i, a in enumerate(self.acceptors) if a in q) for q in self.phase1_quorums
        )
        self._min_quorum = min(len(q) for q in self.phase1_quorums)
        if symmetry in ("acceptors", "both"):
            for name, system in (("phase1", self.phase1_quorums), ("phase2", self.phase2_quorums)):
                smallest = min(len(q) for q in system)
                if set(system) != set(majority_quorums(self.acceptors, smallest)):
                    raise ValueError(
                        f"PaxosSpec: symmetry={symmetry!r} renames acceptors, which is sound "
                        f"only for quorums that are all sets of some size; the {name} quorums "
                        "are not (use symmetry='none' or 'values')"
                    )
        self.ballots = tuple(range(max_ballot + 1))
        self._1a = [("1a", b) for b in self.ballots]
        extra = f", {mutant}" if mutant else ""
        super().__init__(
            name=f"Paxos({n} acceptors, {len(self.values)} values, ballots 0..{max_ballot}{extra})"
        )
        groups: list[Sequence[Hashable]] = []
        if symmetry in ("acceptors", "both"):
            groups.append(self.acceptors)
        if symmetry in ("values", "both"):
            groups.append(self.values)
        self.symmetry_kind = symmetry
        if groups:
            self.symmetry = Symmetry(self.permute, *groups)

    def _quorum_system(
        self, name: str, given: Sequence[frozenset[str]] | None, default: tuple[frozenset[str], ...]
    ) -> tuple[frozenset[str], ...]:
        """``given`` checked (non-empty sets of this spec's acceptors), or ``default``."""
        if given is None:
            return default
        system = tuple(frozenset(q) for q in given)
        if not system or any(not q or not q <= set(self.acceptors) for q in system):
            raise ValueError(
                f"PaxosSpec: {name} must be a non-empty sequence of non-empty sets of the "
                f"acceptors {list(self.acceptors)}; got {given!r}"
            )
        return tuple(sorted(set(system), key=lambda q: (len(q), sorted(q))))

    def init_states(self) -> list[PaxosState]:
        """``Init``: no promise, no vote, no message."""
        n = len(self.acceptors)
        return [PaxosState((-1,) * n, (-1,) * n, (None,) * n, frozenset())]

    def actions(self, s: PaxosState) -> list[tuple[str, PaxosState]]:
        """Every enabled action (``Next``) and the state it leads to."""
        max_bal, max_vbal, max_val, msgs = s
        out: list[tuple[str, PaxosState]] = []
        one_a: list[int] = []
        one_b: dict[int, dict[int, tuple[int, Any]]] = {}
        two_a: list[tuple[int, Any]] = []
        index = {a: i for i, a in enumerate(self.acceptors)}
        for m in msgs:
            kind = m[0]
            if kind == "1a":
                one_a.append(m[1])
            elif kind == "1b":
                one_b.setdefault(m[2], {})[index[m[1]]] = (m[3], m[4])
            elif kind == "2a":
                two_a.append((m[1], m[2]))
        one_a.sort()
        two_a.sort(key=stable_repr)
        # Phase1a(b): send ("1a", b).
        for b, m in zip(self.ballots, self._1a, strict=True):
            out.append((f"Phase1a({b})", s._replace(msgs=msgs | {m})))
        # Phase2a(b, v): a quorum's 1b messages for b, the value of their highest vote.
        sent_2a = {b for b, _ in two_a}
        for b in sorted(one_b):
            if b in sent_2a:
                continue
            reports = one_b[b]
            if len(reports) < self._min_quorum:
                continue
            allowed: set[Any] = set()
            for q in self._quorum_idx:
                if not all(i in reports for i in q):
                    continue
                votes = [reports[i] for i in q if reports[i][0] >= 0]
                if not votes or self.mutant == "ignore_accepted_value":
                    allowed.update(self.values)
                else:
                    top = max(vb for vb, _ in votes)
                    allowed.update(v for vb, v in votes if vb == top)
            for v in self.values:
                if v in allowed:
                    out.append((f"Phase2a({b}, {v})", s._replace(msgs=msgs | {("2a", b, v)})))
        for i, a in enumerate(self.acceptors):
            # Phase1b(a): a 1a of a ballot above the promise: promise, report the last vote.
            for b in one_a:
                if b > max_bal[i]:
                    out.append(
                        (
                            f"Phase1b({a}, {b})",
                            PaxosState(
                                (*max_bal[:i], b, *max_bal[i + 1 :]),
                                max_vbal,
                                max_val,
                                msgs | {("1b", a, b, max_vbal[i], max_val[i])},
                            ),
                        )
                    )
            # Phase2b(a): a 2a of a ballot not below the promise: vote.
            for b, v in two_a:
                if b >= max_bal[i] or self.mutant == "accept_below_promise":
                    out.append(
                        (
                            f"Phase2b({a}, {b})",
                            PaxosState(
                                (*max_bal[:i], b, *max_bal[i + 1 :]),
                                (*max_vbal[:i], b, *max_vbal[i + 1 :]),
                                (*max_val[:i], v, *max_val[i + 1 :]),
                                msgs | {("2b", a, b, v)},
                            ),
                        )
                    )
        return out

    def chosen_values(self, s: PaxosState) -> frozenset[Hashable]:
        """The values chosen in ``s`` by this model's definition (``chosen``; the
        ``learner_mixes_ballots`` mutant counts votes across ballots)."""
        return chosen(s, self.quorums, across_ballots=self.mutant == "learner_mixes_ballots")

    def actor(self, action: Any) -> str | None:
        """The acceptor of a Phase1b/Phase2b; ``proposer`` for Phase1a/Phase2a."""
        text = str(action)
        if text.startswith(("Phase1b", "Phase2b")):
            return text[text.index("(") + 1 : text.index(",")]
        return "proposer"

    # -- symmetry ---------------------------------------------------------------------
    def permute(self, s: PaxosState, mapping: Mapping[Any, Any]) -> PaxosState:
        """Rename acceptors and values by ``mapping`` (each acceptor's variables move with it).

        Examples
        --------
        >>> spec = PaxosSpec(2, 2, 0)
        >>> s = PaxosState((0, -1), (0, -1), (1, None), frozenset({("2b", "a1", 0, 1)}))
        >>> spec.permute(s, {"a1": "a2", "a2": "a1", 1: 2, 2: 1})
        PaxosState(max_bal=(-1, 0), max_vbal=(-1, 0), max_val=(None, 2), msgs=frozenset({('2b', 'a2', 0, 2)}))
        """  # noqa: E501
        acc = self.acceptors
        n = len(acc)
        where = [acc.index(mapping.get(a, a)) for a in acc]
        max_bal = [0] * n
        max_vbal = [0] * n
        max_val: list[Any] = [None] * n
        for i in range(n):
            j = where[i]
            max_bal[j] = s.max_bal[i]
            max_vbal[j] = s.max_vbal[i]
            v = s.max_val[i]
            max_val[j] = mapping.get(v, v) if v is not None else None
        msgs: set[Message] = set()
        for m in s.msgs:
            kind = m[0]
            if kind == "1b":
                mv = m[4]
                msgs.add(
                    (
                        "1b",
                        mapping.get(m[1], m[1]),
                        m[2],
                        m[3],
                        mapping.get(mv, mv) if mv is not None else None,
                    )
                )
            elif kind == "2a":
                msgs.add(("2a", m[1], mapping.get(m[2], m[2])))
            elif kind == "2b":
                msgs.add(("2b", mapping.get(m[1], m[1]), m[2], mapping.get(m[3], m[3])))
            else:
                msgs.add(m)
        return PaxosState(tuple(max_bal), tuple(max_vbal), tuple(max_val), frozenset(msgs))


def chosen(
    state: PaxosState,
    quorums: Sequence[frozenset[str]] | None = None,
    *,
    across_ballots: bool = False,
) -> frozenset[Hashable]:
    """The values chosen in ``state``: TLA+ ``Chosen``, a quorum of 2b messages in one ballot.

    A value ``v`` is chosen in ballot ``b`` when every acceptor of some quorum sent
    ``("2b", a, b, v)``. Counting votes for ``v`` *across* ballots
    (``across_ballots=True``, the ``learner_mixes_ballots`` mutant) is wrong: Paxos
    protects only a value that a quorum voted for in one ballot (P2 in "Paxos Made
    Simple", section 2.2), and a value with scattered votes may still lose.

    Parameters
    ----------
    state : PaxosState
    quorums : sequence of frozenset of str, optional
        The quorums (``PaxosSpec.quorums``); default: any majority of the
        ``len(state.max_bal)`` acceptors.
    across_ballots : bool, default False
        The broken definition.

    Returns
    -------
    frozenset
        The chosen values.

    Examples
    --------
    >>> s = PaxosState((1, 1, 1), (0, 1, -1), (1, 1, None),
    ...                frozenset({("2b", "a1", 0, 1), ("2b", "a2", 1, 1)}))
    >>> sorted(chosen(s)), sorted(chosen(s, across_ballots=True))
    ([], [1])
    """
    voters: dict[tuple[Any, ...], set[str]] = {}
    for m in state.msgs:
        if m[0] == "2b":
            key = (m[3],) if across_ballots else (m[2], m[3])
            voters.setdefault(key, set()).add(m[1])
    if quorums is None:
        need = len(state.max_bal) // 2 + 1
        return frozenset(key[-1] for key, who in voters.items() if len(who) >= need)
    return frozenset(key[-1] for key, who in voters.items() if any(q <= who for q in quorums))


def agreement(state: PaxosState, spec: PaxosSpec | None = None) -> bool:
    """At most one value is chosen (TLA+ ``Consistency``).

    Alone, it counts majorities of the acceptors; given ``spec`` it uses
    ``spec.chosen_values``, whose quorums and definition of chosen a mutant may change
    (``spec_invariants(spec)`` passes it).

    Examples
    --------
    >>> s = PaxosState((0, 0, 0), (0, 0, 0), (1, 2, 2),
    ...                frozenset({("2b", "a1", 0, 1), ("2b", "a2", 0, 2), ("2b", "a3", 0, 2)}))
    >>> agreement(s)
    True
    """
    return len(_chosen(state, spec)) <= 1


def integrity(state: PaxosState, spec: PaxosSpec | None = None) -> bool:
    """A learner never concludes that a value is chosen unless it is ("Paxos Made Simple",
    section 2.1, the third safety requirement).

    The specification has no learners; what one would conclude from the 2b messages
    is ``spec.chosen_values`` (the ``learner_mixes_ballots`` mutant changes it), and
    what is true is TLA+ ``Chosen`` with ``spec``'s quorums.

    Examples
    --------
    >>> spec = PaxosSpec(max_ballot=1, mutant="learner_mixes_ballots")
    >>> s = PaxosState((1, 1, -1), (0, 1, -1), (1, 1, None),
    ...                frozenset({("2b", "a1", 0, 1), ("2b", "a2", 1, 1)}))
    >>> integrity(s), integrity(s, spec)
    (True, False)
    """
    if spec is None:
        return True
    return spec.chosen_values(state) <= chosen(state, spec.quorums)


def validity(state: PaxosState, spec: PaxosSpec | None = None) -> bool:
    """Only a proposed value is chosen: every chosen value was sent in a 2a message.

    In the TLA+ specification a proposer may propose any value of ``Value``; a
    value is *proposed* when a 2a message carries it.

    Examples
    --------
    >>> s = PaxosState((0, 0, 0), (0, 0, -1), (1, 1, None),
    ...                frozenset({("2b", "a1", 0, 1), ("2b", "a2", 0, 1)}))
    >>> validity(s)  # chosen, but never proposed: only a broken model reaches this
    False
    """
    proposed = {m[2] for m in state.msgs if m[0] == "2a"}
    return _chosen(state, spec) <= proposed


def _chosen(state: PaxosState, spec: PaxosSpec | None) -> frozenset[Hashable]:
    return chosen(state) if spec is None else spec.chosen_values(state)


def spec_invariants(spec: PaxosSpec) -> dict[str, Any]:
    """The safety properties of ``spec`` as named invariants for ``dslib.check.check``.

    They read ``spec``'s quorums and its definition of chosen, so that the mutants
    ``quorums_disjoint`` and ``learner_mixes_ballots`` are judged by their own
    (broken) rules.

    Examples
    --------
    >>> sorted(spec_invariants(PaxosSpec(max_ballot=0)))
    ['agreement', 'integrity', 'validity']
    """
    return {
        "agreement": lambda s: agreement(s, spec),
        "validity": lambda s: validity(s, spec),
        "integrity": lambda s: integrity(s, spec),
    }
