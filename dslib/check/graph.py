"""The whole state graph of a small model, for pictures and for liveness.

``check`` remembers states by fingerprint and forgets the edges between them,
which is what makes it fast and small. Some questions need the whole graph:
drawing the state space of a toy model by hand, and liveness ("does every
fair execution get there?"), which is a question about cycles. ``state_graph``
keeps every state and every labelled edge. Use it on models of up to some
hundred thousand states.

Examples
--------
>>> from dslib.check import Model
>>> m = Model(init=[0], actions=lambda n: [("inc", (n + 1) % 3)])
>>> g = state_graph(m)
>>> g
StateGraph(3 states, 3 edges)
>>> g.edges[2]
[('inc', 0)]
>>> sorted(g.to_networkx().edges(data="label"))
[(0, 1, 'inc'), (1, 2, 'inc'), (2, 0, 'inc')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dslib.check.model import Model, ModelError, short_repr

__all__ = ["StateGraph", "state_graph"]


class StateGraph:
    """Every reachable state of a model and every labelled edge between them.

    States are numbered in the order a breadth-first search finds them, so
    state 0 is the first initial state and numbers grow with the distance.

    Attributes
    ----------
    model : Model
    states : list
        ``states[i]`` is state number ``i``.
    edges : list of list of (label, int)
        ``edges[i]`` lists the actions from state ``i`` and where they lead.
    initial : list of int
        The numbers of the initial states.
    depth : list of int
        ``depth[i]``: the fewest steps from an initial state to state ``i``.
    at_boundary : set of int
        States not expanded because the boundary held there.
    outside : set of int
        States that a step leads to but the ``constraint`` excludes: kept
        as endpoints of edges (so that liveness sees the step), never
        expanded, and not counted by ``len``.
    parent : list of int
        ``parent[i]``: the state from which the search first reached ``i``
        (-1 for an initial state), on a shortest path.

    Examples
    --------
    >>> from dslib.small_systems.puzzles import WaterJugs
    >>> g = state_graph(WaterJugs())
    >>> len(g), g.edge_count, g.states[0], g.depth[:3]
    (16, 58, Jugs(small=0, big=0), [0, 1, 1])
    """

    def __init__(self, model: Model[Any]) -> None:
        self.model = model
        self.states: list[Any] = []
        self.index: dict[Any, int] = {}
        self.edges: list[list[tuple[Any, int]]] = []
        self.initial: list[int] = []
        self.depth: list[int] = []
        self.at_boundary: set[int] = set()
        self.outside: set[int] = set()
        self.parent: list[int] = []

    def __len__(self) -> int:
        return len(self.states) - len(self.outside)

    @property
    def edge_count(self) -> int:
        """How many edges (actions) the graph has."""
        return sum(len(e) for e in self.edges)

    def to_networkx(self) -> Any:
        """A ``networkx.MultiDiGraph``: node ``i`` has attributes ``state`` and ``label``
        (the model's description); each edge has the action as ``label``."""
        import networkx as nx

        g = nx.MultiDiGraph()
        initial = set(self.initial)
        for i, s in enumerate(self.states):
            if i not in self.outside:
                g.add_node(i, state=s, label=self.model.describe(s), initial=i in initial)
        for i, out in enumerate(self.edges):
            for label, j in out:
                if j not in self.outside:
                    g.add_edge(i, j, label=str(label))
        return g

    def __repr__(self) -> str:
        return f"StateGraph({len(self)} states, {self.edge_count} edges)"


def _how(graph: StateGraph, depth: int, label: Any, source: int) -> str:
    if depth == 0:
        return "init_states()"
    return f"action {label} from {short_repr(graph.states[source])}"


def state_graph(
    model: Model[Any],
    *,
    boundary: Callable[[Any], Any] | None = None,
    constraint: Callable[[Any], Any] | None = None,
    max_states: int | None = 200_000,
) -> StateGraph:
    """Build the graph of every state reachable in ``model`` (breadth first).

    States are told apart by equality (the states themselves are the keys),
    not by fingerprints, and symmetry is not applied: the graph is of real
    states.

    Parameters
    ----------
    model : Model
    boundary : callable, optional
        States where it holds are kept but not expanded.
    constraint : callable, optional
        A TLA+ state constraint: a state where it is false is not part of
        the model (not counted, not expanded); a step into such a state is
        kept as an edge into ``outside``, so that liveness knows the step
        leaves the model.
    max_states : int or None, default 200000
        Refuse to build a larger graph (``None``: no limit).

    Returns
    -------
    StateGraph

    Raises
    ------
    ValueError
        If the graph has more than ``max_states`` states.
    ModelError
        If a state is not hashable or an action produces ``None``.

    Examples
    --------
    >>> from dslib.check import Model
    >>> counter = Model(init=[0], actions=lambda n: [("inc", n + 1)])
    >>> g = state_graph(counter, boundary=lambda n: n >= 2)
    >>> g.states, sorted(g.at_boundary)
    ([0, 1, 2], [2])
    >>> g = state_graph(counter, constraint=lambda n: n < 2)
    >>> len(g), g.states, sorted(g.outside)
    (2, [0, 1, 2], [2])

    Notes
    -----
    Membership is a dictionary look-up, so building the graph takes time
    linear in the number of states and edges (``benchmarks/bench_check.py``
    measures it).
    """
    if max_states is not None and not (isinstance(max_states, int) and max_states >= 1):
        raise ValueError(f"state_graph: max_states={max_states!r} must be an int >= 1 or None")
    for what, fn in (("boundary", boundary), ("constraint", constraint)):
        if fn is not None and not callable(fn):
            raise TypeError(f"state_graph: {what}={fn!r} must be a function of a state")
    g = StateGraph(model)
    index = g.index
    states = g.states
    outside = g.outside

    def add(s: Any, d: int, label: Any = None, source: int = -1) -> int:
        if s is None:
            raise ModelError(
                f"{model.name}: {_how(g, d, label, source)} produced None, not a state"
            )
        try:
            i = index.get(s)
        except TypeError as exc:
            raise ModelError(
                f"{model.name}: {_how(g, d, label, source)} produced a state that is not hashable "
                f"({exc}): {short_repr(s)}"
            ) from None
        if i is not None:
            return i
        out = constraint is not None and not constraint(s)
        if max_states is not None and not out and len(states) - len(outside) >= max_states:
            raise ValueError(
                f"state_graph: {model.name} has more than max_states={max_states:,} states; "
                "raise the limit or add a boundary"
            )
        i = len(states)
        index[s] = i
        states.append(s)
        g.edges.append([])
        g.depth.append(d)
        g.parent.append(source)
        if out:
            outside.add(i)
        return i

    seen_initial: set[int] = set()
    for s0 in model.init_states():
        i = add(s0, 0)
        if i not in seen_initial and i not in outside:
            seen_initial.add(i)
            g.initial.append(i)
    k = 0
    while k < len(states):
        s = states[k]
        if k in outside:
            k += 1
            continue
        if boundary is not None and boundary(s):
            g.at_boundary.add(k)
            k += 1
            continue
        edges = g.edges[k]
        for item in model.actions(s):
            label, t = item
            edges.append((label, add(t, g.depth[k] + 1, label, k)))
        k += 1
    return g
