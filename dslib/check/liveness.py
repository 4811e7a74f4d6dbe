"""Liveness: does every fair execution eventually reach a goal?

A safety property fails in a finite execution (a bad state is reached). A
liveness property fails only in an infinite one: an execution that goes on
forever without the good thing happening. In a finite state graph every
infinite execution ends up going round a cycle, so a counterexample is a
*lasso*: a prefix from an initial state, then a cycle repeated forever.

Two forms of property are checked:

- ``check_eventually(model, Q)``: every fair execution reaches a state where
  ``Q`` holds (TLA+ ``<>Q``);
- ``check_leads_to(model, P, Q)``: whenever ``P`` holds, ``Q`` holds then or
  later (TLA+ ``P ~> Q``, that is ``[](P => <>Q)``), the form of most liveness
  properties in the literature ("every request is eventually granted").

Not every loop is a fair complaint. If the network may deliver a message but
the loop just never does, the fault lies with the scheduler, not the
protocol. The checker assumes fairness in the sense of TLA+ (Lamport,
*Specifying Systems*, 2002, sections 8.4 and 8.9). An action class ``A``
(``model.fairness(action)``; ``None`` means no fairness) is *enabled* in a
state when some step of ``A`` from there *changes the state*: a step that
leads back to the same state (stuttering) neither enables ``A`` nor counts as
taking it (TLA+ ``ENABLED <<A>>_vars`` and ``<<A>>_vars``). Then

- **weak fairness** ``WF(A)``: if ``A`` is enabled in every state from some
  point on, ``A`` is taken infinitely often;
- **strong fairness** ``SF(A)`` (``model.strong_fairness(action)``, or the
  ``strong_fairness`` argument): if ``A`` is enabled infinitely often, even
  with gaps, ``A`` is taken infinitely often. A retry over a lossy link is the
  example: a loss disables delivery of the message until the next copy is
  sent, so weak fairness allows "every copy is lost" forever; strong fairness
  does not.

For an ``ActorModel`` the classes are "deliver this message from this sender
to this receiver" and "fire this timer of this node". Drops, duplications,
crashes and restarts are not fair: they may happen, and they may also never
happen. For a plain ``Model`` every label is its own weak-fairness class
unless the model overrides ``fairness``.

An execution may also *stop* (stutter forever) in a state where no fair action
is enabled: that is how a deadlock, or a node waiting for a message that was
lost, shows up: the cycle of the lasso is then empty.

The algorithm:

1. build the whole state graph (``state_graph``; time linear in its size);
2. mark the *pending* states: for ``<>Q``, the non-``Q`` states reachable from
   an initial state through non-``Q`` states; for ``P ~> Q``, the states
   reachable through non-``Q`` states from a state where ``P`` holds and ``Q``
   does not. States at the boundary, or outside the constraint, count as if
   ``Q`` held there: the check judges only executions that stay inside;
3. split the pending states into strongly connected components (Tarjan);
4. a component ``C`` can hold a fair execution that stays in it forever only
   if every weakly fair class enabled in *all* of ``C``'s states is taken by
   a step inside ``C`` (otherwise no part of ``C`` can: the class is enabled
   all along and never taken), and if every strongly fair class enabled in
   *some* state of ``C`` is taken inside ``C``. When only the second test
   fails, the states that enable such a class are removed and the rest is
   split and tested again (the Emerson-Lei refinement). A single state with
   nothing fair enabled passes: the execution stutters there;
5. the lasso leads by a shortest path to the fair component nearest to an
   initial state, then goes round it through a witness of each fairness
   class (a step of the class, or, for weak fairness, a state that disables
   it) and back.

Examples
--------
A state that may spin or exit to the goal. Exit stays enabled while it spins,
so weak fairness forces it; without fairness on exit, the execution may stay
at 0 forever (a spin changes nothing: it is a stuttering step):

>>> from dslib.check import Model
>>> m = Model(init=[0], actions=lambda n: [("spin", 0), ("exit", 1)] if n == 0 else [])
>>> print(check_eventually(m, lambda n: n == 1))
None
>>> print(check_eventually(m, lambda n: n == 1, fairness=lambda a: None if a == "exit" else a))
step  action         loop  changed
   0  initial state        0
then nothing fair is left to do: it stays in step 0's state forever

Weak fairness is weak: an action enabled only now and then along a loop (here
``exit``, enabled at 1 but not at 0) need never be taken; strong fairness
takes it:

>>> m = Model(init=[0], actions=lambda n: {0: [("ping", 1)], 1: [("pong", 0), ("exit", 2)],
...                                          2: []}[n])
>>> [str(step.action) for step in check_eventually(m, lambda n: n == 2).cycle]
['ping', 'pong']
>>> print(check_eventually(m, lambda n: n == 2, strong_fairness=lambda a: a))
None

References
----------
L. Lamport, *Specifying Systems*, Addison-Wesley, 2002: section 8.4 (weak
fairness), 8.9 (strong fairness, the precise definitions with ``<<A>>_v``).
E. A. Emerson and C.-L. Lei, "Modalities for model checking: branching time
logic strikes back", *Science of Computer Programming* 8(3), 1987 (fair
components by repeated decomposition).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from dslib.check.counterexample import Counterexample, Lasso, Step
from dslib.check.graph import StateGraph, state_graph
from dslib.check.model import Model, ModelError, short_repr

__all__ = [
    "check_eventually",
    "check_leads_to",
    "fair_components",
    "strongly_connected_components",
]

Fairness = Callable[[Any], Hashable | None]


def strongly_connected_components(nodes: list[int], succ: list[list[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative; ``succ[v]`` lists the successors of ``v``.

    Only nodes in ``nodes`` and edges between them count. Components come out
    in reverse topological order (a component before those that reach it).

    >>> strongly_connected_components([0, 1, 2, 3], [[1], [0, 2], [3], [2]])
    [[2, 3], [0, 1]]
    """
    n = len(succ)
    inside = bytearray(n)
    for v in nodes:
        inside[v] = 1
    index = [-1] * n
    low = [0] * n
    on_stack = bytearray(n)
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = 1
        while work:
            v, i = work[-1]
            targets = succ[v]
            if i < len(targets):
                work[-1] = (v, i + 1)
                w = targets[i]
                if not inside[w]:
                    continue
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, 0))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    component.append(w)
                    if w == v:
                        break
                out.append(sorted(component))
    return out


def _holds(pred: Callable[[Any], Any], state: Any, what: str) -> bool:
    try:
        return bool(pred(state))
    except Exception as exc:
        raise ModelError(
            f"the {what} raised {type(exc).__name__}: {exc} on state "
            f"{short_repr(state)}; a property must return True or False"
        ) from exc


class _Classes:
    """The fairness class of every edge, with stuttering steps (self-loops) of no class."""

    def __init__(self, graph: StateGraph, wf: Fairness, sf: Fairness | None) -> None:
        self.succ = [[j for _, j in out] for out in graph.edges]
        self.wf = [
            [None if j == i else wf(label) for label, j in out] for i, out in enumerate(graph.edges)
        ]
        self.sf: list[list[Any]] | None = None
        if sf is not None:
            self.sf = [
                [None if j == i else sf(label) for label, j in out]
                for i, out in enumerate(graph.edges)
            ]

    def wf_enabled(self, v: int) -> set[Any]:
        return {c for c in self.wf[v] if c is not None}

    def sf_enabled(self, v: int) -> set[Any]:
        return set() if self.sf is None else {c for c in self.sf[v] if c is not None}


def _fair_parts(comp: list[int], cls: _Classes) -> list[list[int]]:
    """The parts of a strongly connected set of states that hold a fair execution staying
    in them forever (step 4 of the module's algorithm)."""
    out: list[list[int]] = []
    work = [comp]
    succ = cls.succ
    while work:
        part = work.pop()
        members = set(part)
        always: set[Any] | None = None
        wf_taken: set[Any] = set()
        sf_enabled: set[Any] = set()
        sf_taken: set[Any] = set()
        for v in part:
            enabled = cls.wf_enabled(v)
            always = enabled if always is None else always & enabled
            for c, w in zip(cls.wf[v], succ[v], strict=True):
                if c is not None and w in members:
                    wf_taken.add(c)
            if cls.sf is not None:
                for c, w in zip(cls.sf[v], succ[v], strict=True):
                    if c is not None:
                        sf_enabled.add(c)
                        if w in members:
                            sf_taken.add(c)
        if always is None or not always <= wf_taken:
            continue
        unmet = sf_enabled - sf_taken
        if not unmet:
            out.append(part)
            continue
        rest = [v for v in part if not (cls.sf_enabled(v) & unmet)]
        work.extend(strongly_connected_components(rest, succ))
    return out


def fair_components(
    graph: StateGraph,
    goal: Callable[[Any], Any],
    fairness: Fairness | None = None,
    *,
    strong_fairness: Fairness | None = None,
    trigger: Callable[[Any], Any] | None = None,
) -> tuple[list[list[int]], list[int], list[int]]:
    """The sets of pending states that hold a fair execution avoiding the goal forever.

    Parameters
    ----------
    graph : StateGraph
    goal : callable
        ``Q``, a predicate of a state.
    fairness, strong_fairness : callable, optional
        The weakly and strongly fair class of an action (default: the
        model's ``fairness`` and ``strong_fairness``).
    trigger : callable, optional
        ``P`` for ``P ~> Q``; without it the property is ``<>Q``.

    Returns
    -------
    components : list of list of int
        The fair sets of states, nearest to an initial state first.
    dist : list of int
        For each state, the fewest steps of an execution from an initial
        state to it that is pending there (for ``P ~> Q``: ``P`` held and
        ``Q`` has not held since); -1 if there is none.
    pred : list of int
        The state before it on such a path while pending; -1 where the
        pending stretch starts (an initial state for ``<>Q``, a state where
        ``P`` holds for ``P ~> Q``, reached along ``graph.parent``).

    Examples
    --------
    A loop 0 -> 1 -> 0 with an exit to 2, the goal, from 1 only:

    >>> from dslib.check import Model
    >>> m = Model(init=[0], actions=lambda n: {0: [("a", 1)], 1: [("b", 0), ("c", 2)], 2: []}[n])
    >>> components, dist, pred = fair_components(state_graph(m), lambda n: n == 2)
    >>> components, dist
    ([[0, 1]], [0, 1, -1])
    """
    return _fair_components(graph, _classes(graph, fairness, strong_fairness), goal, trigger)


def _fair_components(
    graph: StateGraph,
    cls: _Classes,
    goal: Callable[[Any], Any],
    trigger: Callable[[Any], Any] | None,
) -> tuple[list[list[int]], list[int], list[int]]:
    n = len(graph.states)
    judged = [i not in graph.at_boundary and i not in graph.outside for i in range(n)]
    bad = [judged[i] and not _holds(goal, s, "goal") for i, s in enumerate(graph.states)]
    succ = cls.succ
    dist = [-1] * n
    pred = [-1] * n
    heap: list[tuple[int, int]] = []
    if trigger is None:
        for i in graph.initial:
            if bad[i]:
                heap.append((0, i))
    else:
        for i, s in enumerate(graph.states):
            if bad[i] and _holds(trigger, s, "leads-to trigger"):
                heap.append((graph.depth[i], i))
    heapq.heapify(heap)
    # Dijkstra with unit weights (a breadth-first search whose sources start at different
    # distances): each state once, at its shortest distance.
    done = bytearray(n)
    for d, i in heap:
        dist[i] = d
    while heap:
        d, v = heapq.heappop(heap)
        if done[v]:
            continue
        done[v] = 1
        for w in succ[v]:
            if bad[w] and not done[w] and (dist[w] < 0 or d + 1 < dist[w]):
                dist[w] = d + 1
                pred[w] = v
                heapq.heappush(heap, (d + 1, w))
    region = [i for i in range(n) if dist[i] >= 0]
    fair_ones = [
        part
        for comp in strongly_connected_components(region, succ)
        for part in _fair_parts(comp, cls)
    ]
    fair_ones.sort(key=lambda comp: min((dist[v], v) for v in comp))
    return fair_ones, dist, pred


def _classes(
    graph: StateGraph, fairness: Fairness | None, strong_fairness: Fairness | None
) -> _Classes:
    """The fairness classes of the graph's edges; by default, the model's own."""
    model = graph.model
    wf = fairness if fairness is not None else model.fairness
    sf = strong_fairness
    if sf is None:
        sf = getattr(model, "strong_fairness", None)
        # The default hook answers None for every action: skip the work.
        if getattr(sf, "__func__", None) is Model.strong_fairness:
            sf = None
    return _Classes(graph, wf, sf)


def _path(
    graph: StateGraph,
    start: int,
    targets_state: Callable[[int], bool],
    targets_edge: Callable[[int, int], bool],
    members: set[int],
) -> list[tuple[int, int]]:
    """Shortest path inside ``members`` from ``start`` to a target state or through a target
    edge; returns the edges taken as (from_state, edge_index)."""
    pred: dict[int, tuple[int, int] | None] = {start: None}
    queue: deque[int] = deque([start])

    def unwind(v: int) -> list[tuple[int, int]]:
        path = []
        step = pred[v]
        while step is not None:
            path.append(step)
            step = pred[step[0]]
        return path[::-1]

    while queue:
        v = queue.popleft()
        if v != start and targets_state(v):
            return unwind(v)
        for k, (_label, w) in enumerate(graph.edges[v]):
            if w not in members:
                continue
            if targets_edge(v, k):
                return [*unwind(v), (v, k)]
            if w not in pred:
                pred[w] = (v, k)
                queue.append(w)
    return []


def _lasso(
    graph: StateGraph,
    cls: _Classes,
    name: str,
    trigger: Callable[[Any], Any] | None,
    goal: Callable[[Any], Any],
) -> Lasso | None:
    components, dist, pred = _fair_components(graph, cls, goal, trigger)
    if not components:
        return None
    model = graph.model
    comp = components[0]
    members = set(comp)
    s0 = min(comp, key=lambda v: (dist[v], v))
    # The prefix: a shortest path to where the pending stretch starts, then through
    # pending states to s0.
    chain = [s0]
    while pred[chain[-1]] >= 0:
        chain.append(pred[chain[-1]])
    start = len(chain) - 1
    while graph.parent[chain[-1]] >= 0:
        chain.append(graph.parent[chain[-1]])
    chain.reverse()
    start = len(chain) - 1 - start
    steps = [Step(None, graph.states[chain[0]])]
    for u, v in itertools.pairwise(chain):
        label = next(lbl for lbl, w in graph.edges[u] if w == v)
        steps.append(Step(label, graph.states[v]))
    prefix = Counterexample(steps, model, name, "prefix")
    wf_pending = cls.wf_enabled(s0)
    sf_taken: set[Any] = set()
    sf_pending = cls.sf_enabled(s0)
    cycle: list[Step] = []
    cur = s0

    def take(path: list[tuple[int, int]]) -> int:
        v = cur
        for u, k in path:
            label, w = graph.edges[u][k]
            cycle.append(Step(label, graph.states[w]))
            wf_pending.discard(cls.wf[u][k])
            if cls.sf is not None and cls.sf[u][k] is not None:
                sf_taken.add(cls.sf[u][k])
                sf_pending.discard(cls.sf[u][k])
            wf_pending.intersection_update(cls.wf_enabled(w))
            sf_pending.update(cls.sf_enabled(w) - sf_taken)
            v = w
        return v

    def is_witness(u: int, k: int) -> bool:
        return cls.wf[u][k] in wf_pending or (cls.sf is not None and cls.sf[u][k] in sf_pending)

    # A weakly fair class disabled somewhere on the cycle needs no step; only the classes
    # enabled at s0 can be enabled all along. A strongly fair class enabled anywhere on the
    # cycle needs a step of its own.
    while wf_pending or sf_pending:
        while wf_pending or sf_pending:
            path = _path(
                graph, cur, lambda v: bool(wf_pending - cls.wf_enabled(v)), is_witness, members
            )
            if not path:  # pragma: no cover - impossible in a fair component
                raise AssertionError("no fairness witness inside a fair component")
            cur = take(path)
        if cur != s0:
            cur = take(
                _path(
                    graph, cur, lambda v: v == s0, lambda u, k: graph.edges[u][k][1] == s0, members
                )
            )
    return Lasso(prefix, cycle, name, trigger=start if trigger is not None else None)


def _graph(
    model: Model[Any],
    graph: StateGraph | None,
    boundary: Callable[[Any], Any] | None,
    constraint: Callable[[Any], Any] | None,
    max_states: int | None,
) -> StateGraph:
    if graph is not None:
        if graph.model is not model:
            raise ValueError("the graph given was built from another model")
        return graph
    return state_graph(model, boundary=boundary, constraint=constraint, max_states=max_states)


def _check_fairness(fairness: Any, strong_fairness: Any, who: str) -> None:
    for what, fn in (("fairness", fairness), ("strong_fairness", strong_fairness)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{who}: {what}={fn!r} must be a function of an action")


def check_eventually(
    model: Model[Any],
    goal: Callable[[Any], Any],
    *,
    name: str = "eventually",
    fairness: Fairness | None = None,
    strong_fairness: Fairness | None = None,
    boundary: Callable[[Any], Any] | None = None,
    constraint: Callable[[Any], Any] | None = None,
    max_states: int | None = 200_000,
    graph: StateGraph | None = None,
) -> Lasso | None:
    """Check that every fair execution of ``model`` reaches a state where ``goal`` holds.

    Parameters
    ----------
    model : Model
    goal : callable
        A predicate of a state.
    name : str, default "eventually"
        The property's name (shown with the lasso).
    fairness : callable, optional
        The weak-fairness class of an action (default ``model.fairness``).
    strong_fairness : callable, optional
        The strong-fairness class of an action (default
        ``model.strong_fairness``, which is ``None`` for every action).
    boundary : callable, optional
        States where it holds are not expanded; they count as reaching the goal.
    constraint : callable, optional
        A TLA+ state constraint: states where it is false are not part of the
        model; a step into one counts as reaching the goal.
    max_states : int or None, default 200000
        The largest state graph to build.
    graph : StateGraph, optional
        A graph already built from ``model`` with ``state_graph``.

    Returns
    -------
    Lasso or None
        ``None`` when the property holds; otherwise a fair execution that
        never reaches the goal.

    Raises
    ------
    ValueError
        If the graph is larger than ``max_states``.
    TypeError
        If ``goal`` or a fairness argument is not a function.

    Examples
    --------
    >>> from dslib.small_systems.mutex import Polite, someone_critical
    >>> lasso = check_eventually(Polite(), someone_critical)
    >>> len(lasso.prefix), [str(step.action) for step in lasso.cycle][:3]
    (0, ['p1: raise flag', 'p2: raise flag', "p1: see other's flag"])

    Notes
    -----
    Fairness follows TLA+: see the module's documentation.
    """
    if not callable(goal):
        raise TypeError(f"check_eventually: goal={goal!r} must be a function of a state")
    _check_fairness(fairness, strong_fairness, "check_eventually")
    g = _graph(model, graph, boundary, constraint, max_states)
    return _lasso(g, _classes(g, fairness, strong_fairness), name, None, goal)


def check_leads_to(
    model: Model[Any],
    p: Callable[[Any], Any],
    q: Callable[[Any], Any],
    *,
    name: str = "leads-to",
    fairness: Fairness | None = None,
    strong_fairness: Fairness | None = None,
    boundary: Callable[[Any], Any] | None = None,
    constraint: Callable[[Any], Any] | None = None,
    max_states: int | None = 200_000,
    graph: StateGraph | None = None,
) -> Lasso | None:
    """Check ``p ~> q``: in every fair execution, whenever ``p`` holds, ``q`` holds then or later.

    It is TLA+'s ``P ~> Q``, that is ``[](P => <>Q)``: every state where
    ``p`` holds, not only the first, must be followed by ``q``. Checking
    ``eventually`` from every ``p``-state as a new initial state would be the
    same question, asked once per state.

    Parameters
    ----------
    model : Model
    p, q : callable
        Predicates of a state.
    name : str, default "leads-to"
        The property's name (shown with the lasso).
    fairness, strong_fairness, boundary, constraint, max_states, graph
        As for ``check_eventually``.

    Returns
    -------
    Lasso or None
        ``None`` when the property holds; otherwise a fair execution that
        reaches a state where ``p`` holds (step ``lasso.trigger``) and never
        reaches ``q`` from there.

    Raises
    ------
    ValueError
        If the graph is larger than ``max_states``.
    TypeError
        If ``p``, ``q`` or a fairness argument is not a function.

    Examples
    --------
    A request (1) is granted (2), but after a grant a new request may be
    dropped (0) forever:

    >>> from dslib.check import Model
    >>> m = Model(init=[0], actions=lambda n: {0: [("ask", 1)], 1: [("grant", 2)],
    ...                                          2: [("ask", 1), ("ask", 3)], 3: []}[n])
    >>> print(check_leads_to(m, lambda n: n == 1, lambda n: n == 2))
    None
    >>> lasso = check_leads_to(m, lambda n: n in (1, 3), lambda n: n == 2)
    >>> lasso.trigger, lasso.prefix.final, lasso.stutters
    (3, 3, True)

    Notes
    -----
    Fairness follows TLA+: see the module's documentation. ``eventually`` is
    the special case where ``p`` holds in the initial states only.
    """
    for what, fn in (("p", p), ("q", q)):
        if not callable(fn):
            raise TypeError(f"check_leads_to: {what}={fn!r} must be a function of a state")
    _check_fairness(fairness, strong_fairness, "check_leads_to")
    g = _graph(model, graph, boundary, constraint, max_states)
    return _lasso(g, _classes(g, fairness, strong_fairness), name, p, q)
