"""Two TLA+ specifications from the literature, as models for the checker.

They are written from the published TLA+ modules so that the checker's
answers can be compared with TLC's:

- ``EWD840(n)``: Dijkstra, Feijen and van Gasteren's termination detection on
  a ring (EWD 840), after Stephan Merz's TLA+ module ``EWD840``. Its liveness
  property is a leads-to: when every node is inactive, termination is
  eventually detected (``all_inactive`` ~> ``termination_detected``), and it
  holds under weak fairness of the token-passing actions (``WF_vars(System)``
  in the module; ``fairness`` below) but not without fairness;
- ``LamportMutex(n, max_clock)``: Lamport's distributed mutual exclusion
  (1978), after Merz's TLA+ module ``LamportMutex``, checked with the state
  constraint ``clock_constraint`` (every clock at most ``max_clock``), which
  TLC applies as a ``CONSTRAINT``. With 3 processes and clocks up to 6,
  ``check(LamportMutex(3), constraint=clock_constraint(6))`` counts 724,274
  distinct states, TLC's count for that instance
  (``python benchmarks/bench_check.py --only constraint`` prints it).

Examples
--------
>>> from dslib.check import check
>>> m = EWD840(3)
>>> r = check(m, invariants=[termination_detection],
...           leads_to={"Liveness": (all_inactive, termination_detected)})
>>> r.ok, r.distinct_states
(True, 302)
>>> check(m, leads_to=[(all_inactive, termination_detected)], fairness=lambda a: None).ok
False

References
----------
E. W. Dijkstra, W. H. J. Feijen, A. J. M. van Gasteren, "Derivation of a
termination detection algorithm for distributed computations", *Information
Processing Letters* 16(5), 1983 (EWD 840).
L. Lamport, "Time, clocks, and the ordering of events in a distributed
system", *Communications of the ACM* 21(7), 1978, section on mutual exclusion.
S. Merz, TLA+ modules ``EWD840`` and ``LamportMutex`` in the TLA+ Examples
repository (github.com/tlaplus/Examples, ``specifications/ewd840`` and
``specifications/lamport_mutex``).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterator
from typing import Any, NamedTuple

from dslib.check.model import Model

__all__ = [
    "EWD840",
    "EWD840State",
    "LamportMutex",
    "MutexState",
    "all_inactive",
    "clock_constraint",
    "mutex",
    "termination_detected",
    "termination_detection",
]


class EWD840State(NamedTuple):
    """A state of ``EWD840``: which nodes are active, their colours, the token."""

    active: tuple[bool, ...]
    color: tuple[str, ...]
    tpos: int
    tcolor: str


def _set(values: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    return (*values[:i], value, *values[i + 1 :])


class EWD840(Model[EWD840State]):
    """Termination detection on a ring of ``n`` nodes (EWD 840), as in the TLA+ module.

    Parameters
    ----------
    n : int
        The number of nodes (at least 2: with one node, passing the token
        changes nothing).

    Raises
    ------
    ValueError
        If ``n`` is not an int >= 2.

    Examples
    --------
    >>> m = EWD840(2)
    >>> len(list(m.init_states()))
    32
    >>> s = EWD840State((True, False), ("white", "white"), 1, "black")
    >>> sorted(str(a) for a, _ in m.actions(s))
    ['Deactivate(0)', 'PassToken(1)', 'SendMsg(0, 1)']

    Notes
    -----
    Actions (labels): ``InitiateProbe``, ``PassToken(i)`` (the ``System``
    actions, weakly fair as one class ``"System"``), ``SendMsg(i, j)`` and
    ``Deactivate(i)`` (the ``Environment``, not fair). Initially the token
    is black and everything else takes every value, as in the module's
    ``Init``.
    """

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 2:
            raise ValueError(f"EWD840: n={n!r} must be an int >= 2")
        super().__init__(name=f"EWD840({n})")
        self.n = n

    def init_states(self) -> list[EWD840State]:
        """Every type-correct state with a black token (the module's ``Init``)."""
        n = self.n
        return [
            EWD840State(active, color, tpos, "black")
            for active in itertools.product((False, True), repeat=n)
            for color in itertools.product(("white", "black"), repeat=n)
            for tpos in range(n)
        ]

    def actions(self, s: EWD840State) -> Iterator[tuple[str, EWD840State]]:
        """The steps of ``Next``: ``System`` (token) and ``Environment`` (work)."""
        n = self.n
        active, color, tpos, tcolor = s
        if tpos == 0 and (tcolor == "black" or color[0] == "black"):
            yield "InitiateProbe", EWD840State(active, _set(color, 0, "white"), n - 1, "white")
        i = tpos
        if i != 0 and (not active[i] or color[i] == "black" or tcolor == "black"):
            t = "black" if color[i] == "black" else tcolor
            yield f"PassToken({i})", EWD840State(active, _set(color, i, "white"), i - 1, t)
        for i in range(n):
            if not active[i]:
                continue
            for j in range(n):
                if j != i:
                    c = _set(color, i, "black") if j > i else color
                    yield f"SendMsg({i}, {j})", EWD840State(_set(active, j, True), c, tpos, tcolor)
            yield f"Deactivate({i})", EWD840State(_set(active, i, False), color, tpos, tcolor)

    def fairness(self, action: Any) -> Hashable | None:
        """``WF_vars(System)``: the token actions form one weakly fair class."""
        return "System" if action == "InitiateProbe" or action.startswith("PassToken") else None


def all_inactive(s: EWD840State) -> bool:
    """Every node is inactive (the computation has terminated)."""
    return not any(s.active)


def termination_detected(s: EWD840State) -> bool:
    """Node 0 holds a white token, is white and inactive (the module's terminationDetected)."""
    return s.tpos == 0 and s.tcolor == "white" and s.color[0] == "white" and not s.active[0]


def termination_detection(s: EWD840State) -> bool:
    """Termination is detected only when every node is inactive (safety)."""
    return not termination_detected(s) or all_inactive(s)


class MutexState(NamedTuple):
    """A state of ``LamportMutex``; ``network[p][q]`` is the FIFO queue from ``p`` to ``q``."""

    clock: tuple[int, ...]
    req: tuple[tuple[int, ...], ...]
    ack: tuple[frozenset[int], ...]
    network: tuple[tuple[tuple[tuple[Any, ...], ...], ...], ...]
    crit: frozenset[int]


class LamportMutex(Model[MutexState]):
    """Lamport's distributed mutual exclusion for ``n`` processes, as in the TLA+ module.

    Processes are numbered 0 to ``n - 1`` (1 to N in the module). Clocks grow
    without bound: check it with ``constraint=clock_constraint(max_clock)``.

    Parameters
    ----------
    n : int
        The number of processes (at least 1).

    Raises
    ------
    ValueError
        If ``n`` is not an int >= 1.

    Examples
    --------
    >>> from dslib.check import check
    >>> check(LamportMutex(2), invariants=[mutex], constraint=clock_constraint(2)).distinct_states
    56

    Notes
    -----
    Messages are ``("req", clock)``, ``("ack",)`` and ``("rel",)``. Actions:
    ``Request(p)``, ``Enter(p)``, ``Exit(p)``, ``ReceiveRequest(p, q)``,
    ``ReceiveAck(p, q)``, ``ReceiveRelease(p, q)``.
    """

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"LamportMutex: n={n!r} must be an int >= 1")
        super().__init__(name=f"LamportMutex({n})")
        self.n = n

    def init_states(self) -> list[MutexState]:
        """Clocks at 1, no requests, no acknowledgements, empty channels, nobody critical."""
        n = self.n
        return [
            MutexState(
                (1,) * n,
                ((0,) * n,) * n,
                (frozenset(),) * n,
                (((),) * n,) * n,
                frozenset(),
            )
        ]

    def _broadcast(self, network: Any, p: int, msg: tuple[Any, ...]) -> Any:
        row = tuple(q if r == p else (*q, msg) for r, q in enumerate(network[p]))
        return _set(network, p, row)

    def actions(self, s: MutexState) -> Iterator[tuple[str, MutexState]]:
        """The steps of ``Next``."""
        n = self.n
        clock, req, ack, network, crit = s
        procs = range(n)
        for p in procs:
            if req[p][p] == 0:
                yield (
                    f"Request({p})",
                    MutexState(
                        clock,
                        _set(req, p, _set(req[p], p, clock[p])),
                        _set(ack, p, frozenset({p})),
                        self._broadcast(network, p, ("req", clock[p])),
                        crit,
                    ),
                )
            if len(ack[p]) == n and all(
                req[p][q] == 0 or req[p][p] < req[p][q] or (req[p][p] == req[p][q] and p < q)
                for q in procs
                if q != p
            ):
                yield f"Enter({p})", MutexState(clock, req, ack, network, crit | {p})
            if p in crit:
                yield (
                    f"Exit({p})",
                    MutexState(
                        clock,
                        _set(req, p, _set(req[p], p, 0)),
                        _set(ack, p, frozenset()),
                        self._broadcast(network, p, ("rel",)),
                        crit - {p},
                    ),
                )
        for p in procs:
            for q in procs:
                if q == p or not network[q][p]:
                    continue
                m = network[q][p][0]
                rest = _set(network, q, _set(network[q], p, network[q][p][1:]))
                if m[0] == "req":
                    c = m[1]
                    tick = c + 1 if c > clock[p] else clock[p] + 1
                    yield (
                        f"ReceiveRequest({p}, {q})",
                        MutexState(
                            _set(clock, p, tick),
                            _set(req, p, _set(req[p], q, c)),
                            ack,
                            _set(rest, p, _set(rest[p], q, (*rest[p][q], ("ack",)))),
                            crit,
                        ),
                    )
                elif m[0] == "ack":
                    yield (
                        f"ReceiveAck({p}, {q})",
                        MutexState(clock, req, _set(ack, p, ack[p] | {q}), rest, crit),
                    )
                else:
                    yield (
                        f"ReceiveRelease({p}, {q})",
                        MutexState(clock, _set(req, p, _set(req[p], q, 0)), ack, rest, crit),
                    )


def clock_constraint(max_clock: int) -> Any:
    """The module's ``ClockConstraint``: every clock is at most ``max_clock``.

    >>> clock_constraint(3)(MutexState((1, 4), (), (), (), frozenset()))
    False
    """
    if not isinstance(max_clock, int) or isinstance(max_clock, bool) or max_clock < 1:
        raise ValueError(f"clock_constraint: max_clock={max_clock!r} must be an int >= 1")

    def within(s: MutexState) -> bool:
        return max(s.clock) <= max_clock

    within.__name__ = f"clock <= {max_clock}"
    return within


def mutex(s: MutexState) -> bool:
    """At most one process is in its critical section."""
    return len(s.crit) <= 1
