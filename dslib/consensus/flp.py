"""FLP made concrete: a small asynchronous consensus protocol that is safe and may never decide.

Fischer, Lynch and Paterson (1985) proved that no deterministic protocol solves consensus
in an asynchronous system if one process may crash: every protocol that keeps agreement
and validity has an execution that never decides. This module builds one such protocol,
small enough for the model checker to explore, and lets the checker find that execution.

**The protocol** (``WaitForTwo``) is Ben-Or's (1983) protocol for crash failures (which
needs ``n > 2f``), for ``n = 3`` processes, at most ``f = 1`` crash and binary inputs.
A process may wait for ``n - f = 2`` messages per step and no more, because the third may
come from a crashed process. Each round has two phases:

1. broadcast ``("1", r, x)``; wait for two phase-1 messages of round ``r`` (its own
   counts). If both carry the same ``v``, broadcast ``("2", r, v)``, else ``("2", r, "?")``.
   Two processes cannot send ``("2", r, 0)`` and ``("2", r, 1)``: each value would need
   two of the three phase-1 messages, and a process sends one per round.
2. wait for two phase-2 messages of round ``r``. If both carry ``v``, decide ``v``
   (and keep taking part: the others may need its messages). If one does, set
   ``x := v``. If none does, set ``x`` by the *coin* rule; go to round ``r + 1``.

A process that decides ``v`` saw two of the three phase-2 messages say ``v``, so every
other process sees at least one ``v`` among any two, and starts round ``r + 1`` with
``x = v``; then everyone decides ``v``. That is agreement, whatever the coin rule.
The coin rule is where termination lives: Ben-Or flips a coin (``coin="random"``);
the deterministic rules (``"keep"``: keep ``x``; ``"flip"``: ``x := 1 - x``; ``"zero"``:
``x := 0``) make the protocol deterministic, so FLP applies to it.

**The model.** A state holds each process's round, phase, estimate ``x``, the values it
received in the current phase (one slot per sender) and the values it decided; the
messages sent; and which process crashed (at most one). Each process's first broadcast is
part of the initial configuration, so a process that crashes before any step has still
sent its input. Rounds are relative: they are
shifted so that the slowest live process is in round 0, and messages no live process can
still receive are dropped, so an execution that goes on forever goes round a cycle of
finitely many states. Processes drift apart without limit, though (two may run ahead
while the third's messages are delayed), so the checks bound the drift with a
*constraint* (``max_drift`` rounds): a lasso found inside it is a real infinite
execution; ``agreement`` and ``validity`` are proved for every execution in which live
processes stay within ``max_drift`` rounds of each other.

**Fairness** is the asynchronous model's: every message sent to a live process is
eventually received, unless the process moves on without it (it waits for only two).
The weak-fairness class of a receive is (receiver, sender); a crash is not fair (it may
happen, or not).

**Bivalence** (FLP, section 3). A configuration is *v-valent* if every decision reachable
from it is ``v``, *bivalent* if both ``0`` and ``1`` are reachable. ``valences`` computes
this for every state of the graph at once (backwards from the states with a decision);
``initial_valences`` gives Lemma 2's table; ``bivalent_forever`` asks the checker for a
fair execution that stays bivalent (Lemma 3's adversary).

**The escapes.** FLP needs both determinism and full asynchrony. Ben-Or's coin
(``coin="random"``): the model checker still finds a non-deciding execution, because it
chooses the coins as an adversary would, but each round ends the game with a
probability bounded away from 0, so termination has probability 1; ``simulate`` measures
the rounds it takes. Partial synchrony (Dwork, Lynch and Stockmeyer 1988) is the other
escape, the one Paxos and Raft use: safety never depends on timing, progress waits for a
period in which timeouts are accurate (chapter 14.1, and ``dslib.consensus.leader_terminates``).

References
----------
.. [1] M. J. Fischer, N. A. Lynch and M. S. Paterson, "Impossibility of Distributed
   Consensus with One Faulty Process", JACM 32(2), 1985: section 2 (the model:
   configurations, steps, admissible runs), Lemma 1 (commuting schedules), Lemma 2 (a
   bivalent initial configuration), Lemma 3 (staying bivalent), Theorem 1.
.. [2] M. Ben-Or, "Another Advantage of Free Choice: Completely Asynchronous Agreement
   Protocols", PODC 1983: two randomized protocols, one for crash failures (``n > 2f``,
   the one followed here) and one for Byzantine failures (``n > 5f``).
.. [3] C. Dwork, N. Lynch and L. Stockmeyer, "Consensus in the Presence of Partial
   Synchrony", JACM 35(2), 1988: section 1 (the escape through eventual synchrony).

Examples
--------
>>> from dslib.check import check
>>> model = WaitForTwo(coin="flip", inputs=(0, 0, 1))
>>> r = check(model, invariants=[agreement, validity], constraint=model.within_drift)
>>> r.ok, r.distinct_states
(True, 4748)
>>> lasso = never_decides(model)
>>> [str(step.action) for step in lasso.cycle][:4]
['p1 ← p2', 'p2 ← p3', 'p3 ← p1', 'p3 ← p2']
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from dslib.check.counterexample import Lasso
from dslib.check.graph import StateGraph, state_graph
from dslib.check.liveness import check_eventually, check_leads_to
from dslib.check.model import Model
from dslib.core import check_seed, stable_repr
from dslib.mutants import check_mutant

__all__ = [
    "COINS",
    "MUTANTS",
    "FLPState",
    "Proc",
    "SimulationRun",
    "WaitForTwo",
    "agreement",
    "bivalent_forever",
    "bivalent_states",
    "brute_force_valence",
    "decided_values",
    "describe",
    "graph_of",
    "initial_valences",
    "never_decides",
    "normalise",
    "rounds_table",
    "simulate",
    "termination",
    "valence_name",
    "valences",
    "validity",
]

COINS = ("keep", "flip", "zero", "random")
"""The rules for ``x`` when a process saw no value in phase 2: three deterministic ones and
Ben-Or's coin."""

MUTANTS: dict[str, str] = {
    "decide_on_one": "a process decides v on one phase-2 message with v, not two",
    "propose_own": "phase 1 proposes the process's own x without waiting for two equal values",
}
"""Broken versions of ``WaitForTwo``: each breaks agreement, and the checker finds how."""

N = 3
NEED = 2  # n - f: how many messages a process waits for
CRASHED = 0  # the phase of a crashed process


class Proc(NamedTuple):
    """One process's local state.

    Attributes
    ----------
    round : int
        Its round, relative to the slowest live process (0).
    phase : int
        1 or 2; ``0`` once it crashed.
    x : int
        Its current estimate, 0 or 1.
    got : tuple
        ``got[j]``: the value received from process ``j`` in the current phase (its own
        included), ``None`` if nothing yet; ``"?"`` is a phase-2 "no value".
    decided : tuple of int
        The values it decided (sorted; two of them would break agreement).

    Examples
    --------
    >>> Proc(0, 1, 1, (1, None, None), ())
    Proc(round=0, phase=1, x=1, got=(1, None, None), decided=())
    """

    round: int
    phase: int
    x: int
    got: tuple[Any, ...]
    decided: tuple[int, ...]


class FLPState(NamedTuple):
    """A configuration: the processes, the messages in flight and the inputs.

    Attributes
    ----------
    procs : tuple of Proc
    msgs : frozenset of tuple
        ``(phase, round, sender, value)`` for every message that a live process may still
        receive (senders are 0, 1, 2).
    inputs : tuple of int
        The initial values (constant; validity refers to them).

    Examples
    --------
    >>> [s0] = WaitForTwo(inputs=(0, 1, 1)).init_states()
    >>> s0.inputs, sorted(s0.msgs)
    ((0, 1, 1), [(1, 0, 0, 0), (1, 0, 1, 1), (1, 0, 2, 1)])
    """

    procs: tuple[Proc, ...]
    msgs: frozenset[tuple[int, int, int, Any]]
    inputs: tuple[int, ...]

    def __repr__(self) -> str:
        return stable_repr(self)


def _name(i: int) -> str:
    return f"p{i + 1}"


class WaitForTwo(Model[FLPState]):
    """Ben-Or's protocol for 3 processes, 1 crash and binary inputs, as a ``Model``.

    Parameters
    ----------
    coin : {"keep", "flip", "zero", "random"}, default "flip"
        The rule for ``x`` after a phase 2 with no value: keep it, flip it, set it to 0,
        or toss a coin (each outcome is a separate step: the checker explores both).
    inputs : sequence of int, optional
        One initial configuration (three 0/1 values); default: all eight.
    crashes : bool, default True
        Whether one process may crash (at any moment, at most one).
    max_drift : int, default 1
        ``within_drift`` holds while no live process is more than this many rounds
        ahead of the slowest; the checks pass it as the constraint.
    mutant : str, optional
        A broken version from ``MUTANTS``.

    Raises
    ------
    ValueError
        For an unknown coin or mutant, inputs that are not three 0/1 values, or a
        ``max_drift`` below 0.
    TypeError
        If ``crashes`` is not a bool.

    Notes
    -----
    Labels are ``"p1 ← p2"`` (p1 receives p2's message of its current phase),
    ``"p1 ← p2, coin 0"`` when that completes a phase 2 with no value and the coin gives
    0, and ``"p3 crashes"``.

    Examples
    --------
    >>> model = WaitForTwo(inputs=(0, 0, 1))
    >>> [s0] = model.init_states()
    >>> [label for label, _ in model.actions(s0)][:3]
    ['p1 ← p2', 'p1 ← p3', 'p2 ← p1']
    """

    def __init__(
        self,
        coin: str = "flip",
        inputs: Sequence[int] | None = None,
        *,
        crashes: bool = True,
        max_drift: int = 1,
        mutant: str | None = None,
    ) -> None:
        if coin not in COINS:
            raise ValueError(f"WaitForTwo: coin={coin!r}; allowed: {', '.join(COINS)}")
        if inputs is not None:
            inputs = tuple(inputs)
            if len(inputs) != N or any(v not in (0, 1) or isinstance(v, bool) for v in inputs):
                raise ValueError(f"WaitForTwo: inputs={inputs!r} must be three values, each 0 or 1")
        if isinstance(max_drift, bool) or not isinstance(max_drift, int) or max_drift < 0:
            raise ValueError(f"WaitForTwo: max_drift={max_drift!r} must be an int >= 0")
        if not isinstance(crashes, bool):
            raise TypeError(f"WaitForTwo: crashes={crashes!r} must be True or False")
        self.coin = coin
        self.inputs = inputs
        self.crashes = crashes
        self.max_drift = max_drift
        self.mutant = check_mutant("WaitForTwo", mutant, MUTANTS)
        extra = f", {mutant}" if mutant else ""
        super().__init__(name=f"WaitForTwo(coin={coin}{extra})")

    # -- the protocol ---------------------------------------------------------------------
    def init_states(self) -> list[FLPState]:
        """The initial configurations: each process in round 0, phase 1, its input sent."""
        if self.inputs is not None:
            all_inputs: list[tuple[int, ...]] = [self.inputs]
        else:
            all_inputs = [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]
        out = []
        for inp in all_inputs:
            procs = tuple(
                Proc(0, 1, v, tuple(v if j == i else None for j in range(N)), ())
                for i, v in enumerate(inp)
            )
            msgs = frozenset((1, 0, i, v) for i, v in enumerate(inp))
            out.append(FLPState(procs, msgs, inp))
        return out

    def steps(self, s: FLPState) -> list[tuple[str, list[tuple[str, FLPState]]]]:
        """The enabled steps, each a fairness class with its outcomes (several for a coin).

        Unlike ``actions``, the states are not normalised (rounds are absolute): the
        simulation uses this to count rounds.

        Examples
        --------
        >>> model = WaitForTwo(inputs=(0, 1, 1), crashes=False)
        >>> [s0] = model.init_states()
        >>> cls, [(label, s1)] = model.steps(s0)[0]
        >>> cls, s1.procs[0]
        ('p1 ← p2', Proc(round=0, phase=2, x=0, got=('?', None, None), decided=()))
        """
        out: list[tuple[str, list[tuple[str, FLPState]]]] = []
        crashed = any(p.phase == CRASHED for p in s.procs)
        for i, p in enumerate(s.procs):
            if p.phase == CRASHED:
                continue
            for j in range(N):
                if j == i or p.got[j] is not None:
                    continue
                value = next(
                    (m[3] for m in s.msgs if m[0] == p.phase and m[1] == p.round and m[2] == j),
                    None,
                )
                if value is None:
                    continue
                cls = f"{_name(i)} ← {_name(j)}"
                got = (*p.got[:j], value, *p.got[j + 1 :])
                out.append((cls, self._receive(s, i, got, cls)))
        if self.crashes and not crashed:
            for i in range(N):
                procs = (*s.procs[:i], s.procs[i]._replace(phase=CRASHED), *s.procs[i + 1 :])
                label = f"{_name(i)} crashes"
                out.append((label, [(label, s._replace(procs=procs))]))
        return out

    def _receive(
        self, s: FLPState, i: int, got: tuple[Any, ...], label: str
    ) -> list[tuple[str, FLPState]]:
        p = s.procs[i]
        values = [v for v in got if v is not None]
        if len(values) < NEED:
            return [(label, self._set(s, i, p._replace(got=got)))]
        r = p.round
        if p.phase == 1:
            if self.mutant == "propose_own":
                proposal: Any = p.x
            else:
                proposal = values[0] if all(v == values[0] for v in values) else "?"
            new = Proc(r, 2, p.x, _own(i, proposal), p.decided)
            return [(label, self._set(s, i, new, (2, r, i, proposal)))]
        counts = {v: values.count(v) for v in (0, 1)}
        decided = p.decided
        seen = [v for v in (0, 1) if counts[v] > 0]
        threshold = 1 if self.mutant == "decide_on_one" else NEED
        for v in seen:
            if counts[v] >= threshold and v not in decided:
                decided = tuple(sorted((*decided, v)))
        if seen:
            xs = [(label, seen[0])]  # at most one value is proposed in a round (correct protocol)
        elif self.coin == "keep":
            xs = [(label, p.x)]
        elif self.coin == "flip":
            xs = [(label, 1 - p.x)]
        elif self.coin == "zero":
            xs = [(label, 0)]
        else:
            xs = [(f"{label}, coin {c}", c) for c in (0, 1)]
        return [
            (lab, self._set(s, i, Proc(r + 1, 1, x, _own(i, x), decided), (1, r + 1, i, x)))
            for lab, x in xs
        ]

    @staticmethod
    def _set(
        s: FLPState, i: int, p: Proc, message: tuple[int, int, int, Any] | None = None
    ) -> FLPState:
        procs = (*s.procs[:i], p, *s.procs[i + 1 :])
        msgs = s.msgs if message is None else s.msgs | {message}
        return s._replace(procs=procs, msgs=msgs)

    def actions(self, s: FLPState) -> list[tuple[str, FLPState]]:
        """Every enabled step and the (normalised) configuration it leads to."""
        return [(label, normalise(t)[0]) for _, outs in self.steps(s) for label, t in outs]

    # -- hooks --------------------------------------------------------------------------
    def fairness(self, action: Any) -> Hashable | None:
        """A receive's class is (receiver, sender), whatever the coin; a crash is unfair."""
        text = str(action)
        return None if text.endswith("crashes") else text.split(",")[0]

    def actor(self, action: Any) -> str | None:
        """The process that takes the step."""
        return str(action).split(" ")[0]

    def describe(self, state: FLPState) -> str:
        """One line per configuration: each process's round.phase, x, decisions."""
        return describe(state)

    def changes(self, before: FLPState | None, after: FLPState, action: Any) -> str:
        """The whole configuration after the step, in one line (``describe``)."""
        return describe(after)

    def within_drift(self, state: FLPState) -> bool:
        """No live process is more than ``max_drift`` rounds ahead of the slowest."""
        rounds = [p.round for p in state.procs if p.phase != CRASHED]
        return max(rounds) - min(rounds) <= self.max_drift


def _own(i: int, value: Any) -> tuple[Any, ...]:
    return tuple(value if j == i else None for j in range(N))


def normalise(s: FLPState) -> tuple[FLPState, int]:
    """Shift rounds so the slowest live process is in round 0; drop dead messages.

    A message can still be received only by a live process other than its sender that
    has not yet passed its (round, phase), or is there and has not received it.

    Returns
    -------
    (FLPState, int)
        The normalised configuration and the shift (rounds subtracted).

    Examples
    --------
    >>> p = Proc(3, 1, 0, (0, None, None), ())
    >>> s = FLPState((p, p._replace(got=(None, 0, None)), p._replace(phase=0)),
    ...              frozenset({(1, 3, 0, 0), (2, 2, 1, 0)}), (0, 0, 0))
    >>> t, shift = normalise(s)
    >>> shift, sorted(t.msgs), t.procs[0].round
    (3, [(1, 0, 0, 0)], 0)
    """
    live = [p for p in s.procs if p.phase != CRASHED]
    low = min(p.round for p in live)
    procs = tuple(
        p._replace(round=p.round - low) if p.phase != CRASHED else p._replace(round=0)
        for p in s.procs
    )
    keep = set()
    for m in s.msgs:
        phase, r, j, _ = m
        for i, p in enumerate(s.procs):
            if i == j or p.phase == CRASHED:
                continue
            if (p.round, p.phase) < (r, phase) or (
                (p.round, p.phase) == (r, phase) and p.got[j] is None
            ):
                keep.add((phase, r - low, j, m[3]))
                break
    return FLPState(procs, frozenset(keep), s.inputs), low


def describe(state: FLPState) -> str:
    """A configuration in one line: ``p1 r0.1 x=0 ✓0`` per process (``✗``: crashed).

    Examples
    --------
    >>> [s0] = WaitForTwo(inputs=(0, 1, 1)).init_states()
    >>> describe(s0)
    'p1 r0.1 x=0 | p2 r0.1 x=1 | p3 r0.1 x=1'
    """
    parts = []
    for i, p in enumerate(state.procs):
        where = "✗" if p.phase == CRASHED else f"r{p.round}.{p.phase} x={p.x}"
        text = f"{_name(i)} {where}"
        if p.decided:
            text += " ✓" + "".join(str(v) for v in p.decided)
        parts.append(text)
    return " | ".join(parts)


# -- properties -----------------------------------------------------------------------------
def decided_values(state: FLPState) -> frozenset[int]:
    """Every value some process (live or crashed) has decided.

    Examples
    --------
    >>> p = Proc(0, 1, 0, (0, None, None), (0,))
    >>> sorted(decided_values(FLPState((p, p, p._replace(decided=())), frozenset(), (0, 0, 0))))
    [0]
    """
    return frozenset(v for p in state.procs for v in p.decided)


def agreement(state: FLPState) -> bool:
    """No two processes decide differently, and no process decides two values (FLP, section 2:
    the partial-correctness condition, for crashed processes too).

    Examples
    --------
    >>> p = Proc(0, 1, 0, (0, None, None), (0,))
    >>> agreement(FLPState((p, p, p._replace(decided=(1,))), frozenset(), (0, 0, 1)))
    False
    """
    return len(decided_values(state)) <= 1


def validity(state: FLPState) -> bool:
    """Every decided value is some process's input.

    Examples
    --------
    >>> p = Proc(0, 1, 0, (0, None, None), (1,))
    >>> validity(FLPState((p, p, p), frozenset(), (0, 0, 0)))
    False
    """
    return decided_values(state) <= set(state.inputs)


def termination(state: FLPState) -> bool:
    """Every live process has decided.

    Examples
    --------
    >>> p = Proc(0, 1, 0, (0, None, None), (0,))
    >>> termination(FLPState((p, p, p._replace(phase=0, decided=())), frozenset(), (0, 0, 0)))
    True
    """
    return all(p.decided for p in state.procs if p.phase != CRASHED)


def never_decides(model: WaitForTwo, *, graph: StateGraph | None = None) -> Lasso | None:
    """Ask the checker for a fair execution, within ``max_drift``, in which not every live
    process decides.

    Parameters
    ----------
    model : WaitForTwo
    graph : StateGraph, optional
        ``graph_of(model)``, if already built (it must come from this ``model`` object).

    Returns
    -------
    Lasso or None
        The execution (a prefix and a loop repeated forever), or ``None`` when every fair
        execution within the bound ends with every live process decided.

    Examples
    --------
    >>> lasso = never_decides(WaitForTwo(coin="keep", inputs=(0, 0, 1)))
    >>> len(lasso.prefix), len(lasso.cycle)
    (0, 6)
    """
    return check_eventually(
        model,
        termination,
        name="termination",
        constraint=model.within_drift,
        graph=graph,
    )


# -- bivalence ------------------------------------------------------------------------------
def valences(graph: StateGraph) -> list[frozenset[int]]:
    """The decisions reachable from each state of ``graph``: ``{0}`` 0-valent, ``{1}`` 1-valent,
    ``{0, 1}`` bivalent, ``{}`` no decision reachable.

    Parameters
    ----------
    graph : StateGraph
        The graph of a ``WaitForTwo`` (``graph_of``).

    Returns
    -------
    list of frozenset of int
        ``valences(graph)[k]`` for state number ``k``.

    Notes
    -----
    One backward breadth-first search per value, from the states in which that value is
    decided: time linear in the graph. States the constraint left out of the graph count
    as leading nowhere, so a valence is what is reachable *within* the bound; an empty
    one can mean that every continuation leaves the bound.

    Examples
    --------
    >>> g = graph_of(WaitForTwo(coin="flip", inputs=(0, 0, 0)))
    >>> sorted(valences(g)[0])
    [0]
    """
    n = len(graph.states)
    preds: list[list[int]] = [[] for _ in range(n)]
    for u, edges in enumerate(graph.edges):
        for _, v in edges:
            if v not in graph.outside:
                preds[v].append(u)
    reach: list[set[int]] = [set() for _ in range(n)]
    for value in (0, 1):
        seen = [
            k not in graph.outside and value in decided_values(graph.states[k]) for k in range(n)
        ]
        queue = deque(k for k in range(n) if seen[k])
        while queue:
            v = queue.popleft()
            reach[v].add(value)
            for u in preds[v]:
                if not seen[u]:
                    seen[u] = True
                    queue.append(u)
    return [frozenset(r) for r in reach]


def brute_force_valence(model: WaitForTwo, state: FLPState) -> frozenset[int]:
    """The valence of one state by its own forward search (no shared graph): the oracle
    the tests compare ``valences`` with.

    Parameters
    ----------
    model : WaitForTwo
    state : FLPState

    Returns
    -------
    frozenset of int
        Every value decided in some state reachable from ``state`` within the drift bound.

    Examples
    --------
    >>> model = WaitForTwo(coin="flip", inputs=(1, 1, 1))
    >>> sorted(brute_force_valence(model, model.init_states()[0]))
    [1]
    """
    found: set[int] = set()
    seen = {state}
    stack = [state]
    while stack:
        s = stack.pop()
        found |= decided_values(s)
        for _, t in model.actions(s):
            if t not in seen and model.within_drift(t):
                seen.add(t)
                stack.append(t)
    return frozenset(found)


def graph_of(model: WaitForTwo) -> StateGraph:
    """The state graph of ``model`` within its drift bound.

    Parameters
    ----------
    model : WaitForTwo

    Returns
    -------
    StateGraph
        Every configuration reachable without leaving ``model.within_drift``.

    Examples
    --------
    >>> len(graph_of(WaitForTwo(coin="zero", inputs=(0, 0, 0), crashes=False)))
    82
    """
    return state_graph(model, constraint=model.within_drift)


def valence_name(valence: frozenset[int]) -> str:
    """``"bivalent"``, ``"0-valent"``, ``"1-valent"`` or ``"no decision"``.

    Examples
    --------
    >>> valence_name(frozenset({0, 1})), valence_name(frozenset({1}))
    ('bivalent', '1-valent')
    """
    if len(valence) == 2:
        return "bivalent"
    if valence:
        return f"{next(iter(valence))}-valent"
    return "no decision"


def initial_valences(model: WaitForTwo, *, graph: StateGraph | None = None) -> list[dict[str, Any]]:
    """Lemma 2's table: the valence of each initial configuration, and of the same
    configuration with each process crashed at once (its input still counts for validity).

    Parameters
    ----------
    model : WaitForTwo
        With ``inputs=None`` (all eight configurations) and ``crashes=True``.
    graph : StateGraph, optional
        ``graph_of(model)``, if already built.

    Returns
    -------
    list of dict
        One row per initial configuration: ``inputs``, ``valence`` and, for each process
        ``pi``, ``"pi crashed"``: the valence once ``pi`` has crashed before any step.

    Examples
    --------
    >>> rows = initial_valences(WaitForTwo(coin="flip"))
    >>> [(r["inputs"], r["valence"]) for r in rows][:2]
    [('000', '0-valent'), ('001', 'bivalent')]
    """
    g = graph if graph is not None else graph_of(model)
    val = valences(g)
    rows = []
    for k in g.initial:
        s = g.states[k]
        row: dict[str, Any] = {
            "inputs": "".join(map(str, s.inputs)),
            "valence": valence_name(val[k]),
        }
        for label, t in g.edges[k]:
            if str(label).endswith("crashes"):
                row[f"{str(label).split()[0]} crashed"] = valence_name(val[t])
        rows.append(row)
    return sorted(rows, key=lambda r: r["inputs"])


def bivalent_states(graph: StateGraph) -> frozenset[FLPState]:
    """The bivalent configurations of ``graph`` (by ``valences``).

    Parameters
    ----------
    graph : StateGraph

    Returns
    -------
    frozenset of FLPState

    Examples
    --------
    >>> len(bivalent_states(graph_of(WaitForTwo(coin="keep"))))
    0
    """
    val = valences(graph)
    return frozenset(graph.states[k] for k in range(len(graph.states)) if len(val[k]) == 2)


def bivalent_forever(model: WaitForTwo, *, graph: StateGraph | None = None) -> Lasso | None:
    """Lemma 3's adversary, found by the checker: a fair execution from a bivalent initial
    configuration in which every configuration stays bivalent (``None``: there is none
    within the bound).

    Parameters
    ----------
    model : WaitForTwo
    graph : StateGraph, optional
        ``graph_of(model)``, if already built.

    Returns
    -------
    Lasso or None

    Notes
    -----
    It asks ``check_leads_to`` whether every fair execution from a bivalent initial
    configuration reaches one that is not bivalent; the lasso that refutes it is the
    adversary's schedule.

    Examples
    --------
    >>> lasso = bivalent_forever(WaitForTwo(coin="flip"))
    >>> describe(lasso.prefix.states[0])
    'p1 r0.1 x=0 | p2 r0.1 x=0 | p3 r0.1 x=1'
    """
    g = graph if graph is not None else graph_of(model)
    bivalent = bivalent_states(g)
    starts = {g.states[k] for k in g.initial if g.states[k] in bivalent}
    if not starts:
        return None
    return check_leads_to(
        model,
        lambda s: s in starts,
        lambda s: s not in bivalent,
        name="leaves bivalence",
        constraint=model.within_drift,
        graph=g,
    )


# -- simulation -----------------------------------------------------------------------------
class SimulationRun(NamedTuple):
    """One seeded run of ``simulate``.

    Attributes
    ----------
    decided : bool
        Whether every live process decided within the step limit.
    rounds : int
        The round (1-based) in which the last live process decided, or the rounds
        started when the limit stopped the run.
    steps : int
        Receive steps taken.
    value : int or None
        The decision.
    """

    decided: bool
    rounds: int
    steps: int
    value: int | None


def simulate(
    seed: int,
    *,
    coin: str = "random",
    inputs: Sequence[int] = (0, 0, 1),
    crash: bool = False,
    scheduler: str = "random",
    max_steps: int = 2_000,
    bivalent: frozenset[FLPState] | None = None,
) -> SimulationRun:
    """Run ``WaitForTwo`` once: a seeded scheduler picks each step, a seeded coin flips.

    Parameters
    ----------
    seed : int
    coin : str, default "random"
        As for ``WaitForTwo``; with ``"random"`` the simulation flips a fair coin.
    inputs : sequence of int, default (0, 0, 1)
    crash : bool, default False
        Crash one process (chosen by the seed) at a random step among the first 20.
    scheduler : {"random", "adversary"}, default "random"
        ``"random"``: each enabled receive equally likely. ``"adversary"``: FLP's
        scheduler, which picks a receive that keeps the configuration bivalent
        whenever one exists (by the valences of ``graph``; it cannot choose the coin).
    max_steps : int, default 2000
        Stop after this many steps.
    bivalent : frozenset of FLPState, optional
        For the adversary: ``bivalent_states(graph_of(WaitForTwo(coin=coin, inputs=inputs)))``,
        computed if not given (pass it when running many seeds).

    Returns
    -------
    SimulationRun

    Raises
    ------
    ValueError
        For an unknown scheduler or coin, bad inputs, or ``max_steps`` below 1.
    TypeError
        For a seed that is not an int, or a ``crash`` that is not a bool.

    Examples
    --------
    >>> simulate(0)
    SimulationRun(decided=True, rounds=2, steps=12, value=0)
    """
    check_seed(seed, "simulate")
    if scheduler not in ("random", "adversary"):
        raise ValueError(f"simulate: scheduler={scheduler!r}; allowed: random, adversary")
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"simulate: max_steps={max_steps!r} must be an int >= 1")
    if not isinstance(crash, bool):
        raise TypeError(f"simulate: crash={crash!r} must be True or False")
    rng = random.Random(seed)
    model = WaitForTwo(coin=coin, inputs=inputs, crashes=False)
    if scheduler == "adversary" and bivalent is None:
        bivalent = bivalent_states(graph_of(WaitForTwo(coin=coin, inputs=inputs)))
    [state] = model.init_states()
    crash_at, victim = (rng.randrange(20), rng.randrange(N)) if crash else (-1, -1)
    shift = 0
    when: dict[int, int] = {}  # process -> the round (1-based) in which it first decided
    for step in range(max_steps):
        if step == crash_at:
            p = state.procs[victim]
            state, _ = normalise(model._set(state, victim, p._replace(phase=CRASHED)))
        options = model.steps(state)
        if bivalent is not None and scheduler == "adversary":
            keep = [o for o in options if all(normalise(t)[0] in bivalent for _, t in o[1])]
            options = keep or options
        _, outcomes = options[rng.randrange(len(options))]
        _, nxt = outcomes[rng.randrange(len(outcomes))]
        state, low = normalise(nxt)
        shift += low
        for i, p in enumerate(state.procs):
            if p.decided and i not in when:
                when[i] = shift + p.round  # it decided on leaving that round, now 0-based
        if termination(state):
            live = [i for i, p in enumerate(state.procs) if p.phase != CRASHED]
            value = min(decided_values(state))
            return SimulationRun(True, max(when[i] for i in live), step + 1, value)
    rounds = 1 + shift + max(p.round for p in state.procs if p.phase != CRASHED)
    return SimulationRun(False, rounds, max_steps, None)


def rounds_table(runs: Iterable[SimulationRun]) -> dict[int, int]:
    """How many runs decided in each round (sorted by round); undecided runs under -1.

    Examples
    --------
    >>> rounds_table([SimulationRun(True, 2, 9, 0), SimulationRun(True, 1, 5, 0)])
    {1: 1, 2: 1}
    """
    out: dict[int, int] = {}
    for run in runs:
        key = run.rounds if run.decided else -1
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))
