"""Liveness: does every fair execution eventually reach a goal?

A safety property fails in a finite execution (a bad state is reached). A
liveness property fails only in an infinite one: an execution that goes on
forever without the good thing happening. In a finite state graph every
infinite execution ends up going round a cycle, so a counterexample is a
*lasso*: a prefix from an initial state, then a cycle repeated forever.

Not every such loop is a fair complaint. If the network may deliver a message
but the loop just never does, the fault lies with the scheduler, not the
protocol. The checker therefore assumes **weak fairness**:

    Every action class ``A`` (``model.fairness(action)``; ``None`` means the
    action needs no fairness) that is *enabled continuously*, in every state
    from some point on, is *taken* infinitely often.

For an ``ActorModel`` the classes are "deliver this message from this sender
to this receiver" and "fire this timer of this node": a message that stays in
flight is eventually delivered, a timer that stays set eventually fires.
Drops, duplications, crashes and restarts are not fair: they may happen, and
they may also never happen. For a plain ``Model`` every label is its own class
unless the model overrides ``fairness``.

An execution may also *stop* (stutter forever) when no fair action is enabled:
that is how a deadlock, or a node waiting for a message that was lost, shows
up: the cycle of the lasso is then empty.

The algorithm (``check_eventually``):

1. build the whole state graph (``state_graph``);
2. keep the states where the goal does not hold, reachable from an initial
   state through such states only (once the goal holds, the execution is
   fine); states at the boundary are treated as if the goal held there, so
   the check judges only executions that stay inside the boundary;
3. split that subgraph into strongly connected components (Tarjan);
4. a component ``C`` holds a fair execution that stays in it forever if and
   only if every class enabled in *all* of ``C``'s states is taken by some
   edge *inside* ``C`` (for weak fairness it is enough to go round all of
   ``C``; a component that fails the test contains no fair cycle either,
   because a class enabled everywhere in ``C`` is enabled everywhere in any
   cycle inside it, and has no edge inside it). A single state with no fair
   action enabled passes the test: the execution stutters there;
5. the lasso leads by a shortest path to the fair component nearest to an
   initial state, then goes round it, through each fairness witness in
   turn, and back.

Examples
--------
A state that may spin or exit to the goal. Exit stays enabled while it spins,
so weak fairness forces it; without fairness on exit, spinning forever is a
fair execution:

>>> from dslib.check import Model
>>> m = Model(init=[0], actions=lambda n: [("spin", 0), ("exit", 1)] if n == 0 else [])
>>> print(check_eventually(m, lambda n: n == 1))
None
>>> print(check_eventually(m, lambda n: n == 1, fairness=lambda a: None if a == "exit" else a))
step  action         loop  changed
   0  initial state        0
   1  spin           ↺     (no change)
then back to step 0, forever

Weak fairness is weak: an action enabled only now and then along a loop (here
``exit``, enabled at 1 but not at 0) need never be taken:

>>> m = Model(init=[0], actions=lambda n: {0: [("ping", 1)], 1: [("pong", 0), ("exit", 2)],
...                                          2: []}[n])
>>> [str(step.action) for step in check_eventually(m, lambda n: n == 2).cycle]
['ping', 'pong']
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from dslib.check.counterexample import Counterexample, Lasso, Step
from dslib.check.graph import StateGraph, state_graph
from dslib.check.model import Model, ModelError, short_repr

__all__ = ["check_eventually", "fair_components", "strongly_connected_components"]


def strongly_connected_components(nodes: list[int], succ: list[list[int]]) -> list[list[int]]:
    """Tarjan's algorithm, iterative; ``succ[v]`` lists the successors of ``v``.

    Only nodes in ``nodes`` and edges between them count. Components come out
    in reverse topological order (a component before those that reach it).

    >>> strongly_connected_components([0, 1, 2, 3], [[1], [0, 2], [3], [2]])
    [[2, 3], [0, 1]]
    """
    inside = set(nodes)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, i = work[-1]
            targets = succ[v]
            if i < len(targets):
                work[-1] = (v, i + 1)
                w = targets[i]
                if w not in inside:
                    continue
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                out.append(sorted(component))
    return out


def _classes(graph: StateGraph, fair: Callable[[Any], Hashable | None]) -> list[list[Any]]:
    return [[fair(label) for label, _ in out] for out in graph.edges]


def fair_components(
    graph: StateGraph,
    goal: Callable[[Any], Any],
    fairness: Callable[[Any], Hashable | None] | None = None,
) -> tuple[list[list[int]], list[int], list[int]]:
    """The components of non-goal states that hold a fair execution avoiding the goal forever.

    Returns
    -------
    components : list of list of int
        The fair components (state numbers), nearest to an initial state first.
    dist : list of int
        For each state, the fewest steps from an initial state through
        non-goal states only (-1 if there is no such path).
    pred : list of int
        The state before it on such a shortest path (-1 for an initial state).

    Examples
    --------
    A loop 0 -> 1 -> 0 with an exit to 2, the goal, from 1 only:

    >>> from dslib.check import Model
    >>> m = Model(init=[0], actions=lambda n: {0: [("a", 1)], 1: [("b", 0), ("c", 2)], 2: []}[n])
    >>> components, dist, pred = fair_components(state_graph(m), lambda n: n == 2)
    >>> components, dist
    ([[0, 1]], [0, 1, -1])
    """
    fair = fairness if fairness is not None else graph.model.fairness
    n = len(graph)
    bad = [False] * n
    for i, s in enumerate(graph.states):
        try:
            holds = goal(s)
        except Exception as exc:
            raise ModelError(
                f"the eventually property raised {type(exc).__name__}: {exc} on state "
                f"{short_repr(s)}; a property must return True or False"
            ) from exc
        bad[i] = not holds and i not in graph.at_boundary
    classes = _classes(graph, fair)
    succ = [[j for _, j in out] for out in graph.edges]
    dist = [-1] * n
    pred = [-1] * n
    queue: deque[int] = deque()
    for i in graph.initial:
        if bad[i] and dist[i] < 0:
            dist[i] = 0
            queue.append(i)
    while queue:
        v = queue.popleft()
        for w in succ[v]:
            if bad[w] and dist[w] < 0:
                dist[w] = dist[v] + 1
                pred[w] = v
                queue.append(w)
    region = [i for i in range(n) if dist[i] >= 0]
    fair_ones = []
    for comp in strongly_connected_components(region, succ):
        members = set(comp)
        always: set[Any] | None = None
        taken: set[Any] = set()
        for v in comp:
            enabled = {c for c in classes[v] if c is not None}
            always = enabled if always is None else always & enabled
            for c, w in zip(classes[v], succ[v], strict=True):
                if c is not None and w in members:
                    taken.add(c)
        if always is not None and always <= taken:
            fair_ones.append(comp)
    fair_ones.sort(key=lambda comp: min((dist[v], v) for v in comp))
    return fair_ones, dist, pred


def _path(
    graph: StateGraph,
    start: int,
    targets_state: Callable[[int], bool],
    targets_edge: Callable[[int, int, int], bool],
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
            if targets_edge(v, k, w):
                return [*unwind(v), (v, k)]
            if w not in pred:
                pred[w] = (v, k)
                queue.append(w)
    return []


def check_eventually(
    model: Model[Any],
    goal: Callable[[Any], Any],
    *,
    name: str = "eventually",
    fairness: Callable[[Any], Hashable | None] | None = None,
    boundary: Callable[[Any], Any] | None = None,
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
    boundary : callable, optional
        States where it holds are not expanded; they count as reaching the goal.
    max_states : int or None, default 200000
        The largest state graph to build.
    graph : StateGraph, optional
        A graph already built with ``state_graph``.

    Returns
    -------
    Lasso or None
        ``None`` when the property holds; otherwise a fair execution that
        never reaches the goal.

    Raises
    ------
    ValueError
        If the graph is larger than ``max_states``.

    Examples
    --------
    >>> from dslib.mutex import Polite, someone_critical
    >>> lasso = check_eventually(Polite(), someone_critical)
    >>> len(lasso.prefix), [str(step.action) for step in lasso.cycle][:3]
    (0, ['p1: raise flag', 'p2: raise flag', "p1: see other's flag"])
    """
    if not callable(goal):
        raise TypeError(f"check_eventually: goal={goal!r} must be a function of a state")
    if graph is None:
        graph = state_graph(model, boundary=boundary, max_states=max_states)
    fair = fairness if fairness is not None else model.fairness
    components, dist, pred = fair_components(graph, goal, fair)
    if not components:
        return None
    comp = components[0]
    members = set(comp)
    s0 = min(comp, key=lambda v: (dist[v], v))
    # The prefix: a shortest path through non-goal states (dist decreases by one each step).
    chain = [s0]
    while pred[chain[-1]] >= 0:
        chain.append(pred[chain[-1]])
    chain.reverse()
    steps = [Step(None, graph.states[chain[0]])]
    for u, v in itertools.pairwise(chain):
        label = next(lbl for lbl, w in graph.edges[u] if w == v)
        steps.append(Step(label, graph.states[v]))
    prefix = Counterexample(steps, model, name, "prefix")
    classes = _classes(graph, fair)

    def enabled(v: int) -> set[Any]:
        return {c for c in classes[v] if c is not None}

    if not enabled(s0):
        return Lasso(prefix, [], name)
    # A class disabled at s0 is not continuously enabled on a cycle through s0: only the
    # classes enabled at s0 need a witness (an edge of the class, or a state disabling it).
    pending = enabled(s0)
    cycle: list[Step] = []
    cur = s0

    def take(path: list[tuple[int, int]]) -> int:
        v = cur
        for u, k in path:
            label, w = graph.edges[u][k]
            cycle.append(Step(label, graph.states[w]))
            pending.discard(classes[u][k])
            pending.intersection_update(enabled(w))
            v = w
        return v

    while pending:
        path = _path(
            graph,
            cur,
            lambda v: bool(pending - enabled(v)),
            lambda u, k, w: classes[u][k] in pending,
            members,
        )
        if not path:  # pragma: no cover - impossible in a fair component
            raise AssertionError("no fairness witness inside a fair component")
        cur = take(path)
    if cur != s0:
        cur = take(_path(graph, cur, lambda v: v == s0, lambda u, k, w: w == s0, members))
    return Lasso(prefix, cycle, name)
