"""The step-through debugger's core: explore a system's behaviours one chosen event at a time.

The simulator picks the next event for you (the network and the seed decide);
the model checker tries every next event. The *navigator* lets the reader pick:
it shows the global state of a ``System`` (every node's state, the messages
in flight, the timers set, the crashed nodes, the partition), lists every
event that may happen next, and takes the one the reader chooses:

- **deliver** a message in flight to its receiver (a message sent to a
  crashed node is lost when it is delivered);
- **fire** a timer that is set;
- **drop** (lose) a message, **duplicate** it (a second copy is in flight),
  **crash** a node, **restart** a crashed one;
- **partition** the network (offered: isolate one node; any grouping can be
  taken with ``take(("partition", group, ...))``) and **heal** it. While
  partitioned, a message between groups can only be dropped, which is what
  the simulator does to it.

Each event is a *step as data*, the tuple that ``Simulation.apply`` takes:
``("deliver", src, dst, msg[, choices])``, ``("fire", node, timer[, choices])``,
``("drop", src, dst, msg)``, ``("duplicate", src, dst, msg)``,
``("crash", node)``, ``("restart", node)``, ``("partition", group, ...)``,
``("heal",)``. A handler that calls ``ctx.choose`` offers one event per
choice, with the choices at the end of the step.

States come from ``dslib.check.ActorModel``, so they are the model checker's
states (``ActorState``) and invariants are the ones given to ``check``. Every
state visited is kept: **back** and **forward** are free, and taking another
event after going back starts a new **branch**, while the old one stays
reachable (the visited paths form a tree). The path from the initial state to
the current one **exports** as a list of steps that ``Simulation.replay``
runs, and as JSON (``to_json``, ``steps_to_json``) that another notebook loads
(``Navigator.from_json``). A path can also start from a model-checker
counterexample (``from_counterexample``), any list of steps as data
(``from_steps``), or a simulation's trace (``from_trace``), for example the
replay of a schedule that hypothesis shrank (``dslib.testing.replay``).

Every view has a static rendering for readers without a live kernel:
``str(navigator)`` (text), ``navigator.html()``, ``navigator.state_frame()``
(a pandas DataFrame), ``navigator.diagram()`` and ``navigator.render()``
(matplotlib figures). ``dslib.widgets.Debugger`` is the clickable view over it.

Examples
--------
>>> from dslib import System
>>> from dslib.basics import Ping, Pinger, Ponger
>>> nav = Navigator(System({"pinger": Pinger(count=1), "ponger": Ponger()}))
>>> [describe_step(s) for s in nav.enabled()]
["pinger: timer 'tick'", 'crash pinger', 'crash ponger', 'partition {pinger} | {ponger}']
>>> nav.take(("fire", "pinger", "tick")).node("pinger")
PingerState(sent=1, acked=0)
>>> nav.take(("drop", "pinger", "ponger", Ping(0))).messages()
[]
>>> nav.back().messages()
[('pinger', 'ponger', Ping(seq=0))]
>>> _ = nav.take(("deliver", "pinger", "ponger", Ping(0)))
>>> len(nav.branches()), nav.export()
(2, [('fire', 'pinger', 'tick'), ('deliver', 'pinger', 'ponger', Ping(seq=0))])
"""

from __future__ import annotations

import dataclasses
import html
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple, cast

from dslib.check.actor import Action, ActorModel, ActorState
from dslib.check.counterexample import (
    Counterexample,
    Lasso,
    actor_steps,
    copies_first,
    text_table,
)
from dslib.check.model import ModelError, short_repr
from dslib.check.search import CheckResult, PropertySpec, properties
from dslib.codec import decode_value, dump_document, encode_value, load_document
from dslib.core import System, check_seed, check_system, stable_repr
from dslib.sim.nemesis import Heal, Partition
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace, TraceEvent

__all__ = [
    "FAULTS",
    "STEP_KINDS",
    "Branch",
    "InvariantStatus",
    "Navigator",
    "describe_step",
    "steps_from_json",
    "steps_to_json",
]

STEP_KINDS = ("deliver", "fire", "drop", "duplicate", "crash", "restart", "partition", "heal")
"""Every kind of step, in the order the navigator lists enabled events."""

FAULTS = ("drop", "duplicate", "crash", "restart", "partition")
"""The fault events a navigator can offer (``faults=``); ``partition`` includes heal."""

_FORMAT = "dslib.steps"
_MAX_CRASHES = 1 << 30  # "as many as the reader likes"

Groups = tuple[tuple[str, ...], ...]


# -- steps as data ------------------------------------------------------------------------
def _msg_text(msg: Any) -> str:
    return stable_repr(msg)


def describe_step(step: Sequence[Any]) -> str:
    """A step as one line of text, in the words of the book.

    Parameters
    ----------
    step : tuple
        A step as data (see the module docstring).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``step`` is not a step.

    Examples
    --------
    >>> describe_step(("deliver", "p1", "p2", "ping"))
    "p1 → p2: 'ping'"
    >>> describe_step(("fire", "rm1", "decide", ("abort",)))
    "rm1: timer 'decide' [choose 'abort']"
    >>> describe_step(("partition", ("a",), ("b", "c")))
    'partition {a} | {b, c}'
    >>> describe_step(("heal",)), describe_step(("crash", "tm"))
    ('heal', 'crash tm')
    """
    kind, args = _split(step)
    choices: tuple[Any, ...] = ()
    if kind == "deliver":
        text = f"{args[0]} → {args[1]}: {_msg_text(args[2])}"
        choices = tuple(args[3]) if len(args) > 3 else ()
    elif kind == "fire":
        text = f"{args[0]}: timer {stable_repr(args[1])}"
        choices = tuple(args[2]) if len(args) > 2 else ()
    elif kind == "drop":
        text = f"lose {args[0]} → {args[1]}: {_msg_text(args[2])}"
    elif kind == "duplicate":
        text = f"duplicate {args[0]} → {args[1]}: {_msg_text(args[2])}"
    elif kind in ("crash", "restart"):
        text = f"{kind} {args[0]}"
    elif kind == "partition":
        text = "partition " + " | ".join("{" + ", ".join(g) + "}" for g in args)
    else:
        text = "heal"
    if choices:
        text += " [choose " + ", ".join(stable_repr(c) for c in choices) + "]"
    return text


_FORMS = (
    "steps are ('deliver', src, dst, msg[, choices]), ('fire', node, timer[, choices]), "
    "('drop', src, dst, msg), ('duplicate', src, dst, msg), ('crash', node), "
    "('restart', node), ('partition', group, ...), ('heal',)"
)


def _split(step: Any) -> tuple[str, tuple[Any, ...]]:
    """Check the shape of a step; return its kind and its arguments."""
    if not isinstance(step, (tuple, list)) or not step or not isinstance(step[0], str):
        raise ValueError(f"{step!r} is not a step; {_FORMS}")
    kind, args = step[0], tuple(step[1:])
    arity = {
        "deliver": (3, 4),
        "fire": (2, 3),
        "drop": (3,),
        "duplicate": (3,),
        "crash": (1,),
        "restart": (1,),
        "heal": (0,),
    }
    if kind == "partition":
        if not args:
            raise ValueError(f"{step!r}: a partition needs at least one group; {_FORMS}")
        return kind, args
    if kind not in arity or len(args) not in arity[kind]:
        raise ValueError(f"{step!r} is not a step; {_FORMS}")
    return kind, args


def _normalise(step: Any) -> tuple[Any, ...]:
    """The canonical form of a step: choices as a tuple (dropped when empty), partition
    groups as tuples of str."""
    kind, args = _split(step)
    if kind in ("deliver", "fire"):
        base = 3 if kind == "deliver" else 2
        if len(args) > base:
            raw = args[base]
            if isinstance(raw, (str, bytes)) or not isinstance(raw, Iterable):
                raise ValueError(
                    f"{step!r}: the choices of a step are a list or tuple of what the "
                    "handler's ctx.choose calls return, in order"
                )
            choices = tuple(raw)
            args = args[:base] + ((choices,) if choices else ())
    elif kind == "partition":
        groups = []
        for g in args:
            if isinstance(g, str) or not isinstance(g, Iterable):
                raise ValueError(
                    f"{step!r}: each group of a partition is a list of node ids, "
                    "e.g. ('partition', ['a'], ['b', 'c'])"
                )
            groups.append(tuple(g))
        args = tuple(groups)
    return (kind, *args)


def _action_step(action: Action) -> tuple[Any, ...]:
    """The step (as data) of an ``ActorModel`` action."""
    kind = action.kind
    extra = (action.choices,) if action.choices else ()
    if kind == "deliver":
        return ("deliver", action.src, action.node, action.msg, *extra)
    if kind == "fire":
        return ("fire", action.node, action.msg, *extra)
    if kind == "drop":
        return ("drop", action.src, action.node, action.msg)
    return (kind, action.node)  # crash, restart (choices in on_recover cannot be steered)


def _connected(groups: Groups | None, a: str, b: str) -> bool:
    return groups is None or a == b or any(a in g and b in g for g in groups)


# -- JSON: the documents of dslib.codec ---------------------------------------------------
def steps_to_json(
    steps: Iterable[Sequence[Any]], nodes: Sequence[str] | None = None, indent: int | None = None
) -> str:
    """Serialise a list of steps (a path, a counterexample's schedule) as JSON.

    Parameters
    ----------
    steps : iterable of tuples
        Steps as data (see the module docstring).
    nodes : sequence of str, optional
        The system's node ids, stored so that loading into another system is refused.
    indent : int, optional
        Pretty-print with this indentation (default: one line).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If a step is not a step.
    TypeError
        If a value in a step cannot be encoded (see ``dslib.codec.encode_value``).

    Examples
    --------
    >>> from dslib.basics import Ping
    >>> text = steps_to_json([("fire", "pinger", "tick"), ("drop", "pinger", "ponger", Ping(0))])
    >>> steps_from_json(text)
    [('fire', 'pinger', 'tick'), ('drop', 'pinger', 'ponger', Ping(seq=0))]
    """
    encoded = []
    for i, step in enumerate(steps):
        try:
            kind, args = _split(step)
        except ValueError as exc:
            raise ValueError(f"steps_to_json: step {i + 1}: {exc}") from None
        encoded.append([kind, *(encode_value(a) for a in args)])
    body = {"nodes": list(nodes) if nodes is not None else None, "steps": encoded}
    return dump_document(_FORMAT, body, indent)


def steps_from_json(
    text: str, types: Sequence[type] = (), nodes: Sequence[str] | None = None
) -> list[tuple[Any, ...]]:
    """Load a list of steps saved by ``steps_to_json`` (or ``Navigator.to_json``).

    Parameters
    ----------
    text : str
        The JSON text.
    types : sequence of type, optional
        Classes outside ``dslib`` that the steps may contain (see ``dslib.codec.decode_value``).
    nodes : sequence of str, optional
        The node ids of the system the steps are for; if the file names others, it is refused.

    Returns
    -------
    list of tuple

    Raises
    ------
    ValueError
        If the text is not such a file, was saved for other nodes, or holds a
        class that may not be loaded.

    Examples
    --------
    >>> steps_from_json('{"format": "dslib.steps", "version": 1, "steps": [["heal"]]}')
    [('heal',)]
    >>> steps_from_json("[1, 2]")
    Traceback (most recent call last):
    ...
    ValueError: steps_from_json: expected an object with "format": "dslib.steps"
    """
    payload = load_document(text, _FORMAT, "steps_from_json")
    saved = payload.get("nodes")
    if nodes is not None and saved is not None and list(saved) != list(nodes):
        raise ValueError(
            f"steps_from_json: the path was saved for the nodes {saved}, "
            f"not for this system's {list(nodes)}"
        )
    out = []
    for i, raw in enumerate(payload.get("steps", [])):
        if not isinstance(raw, list) or not raw or not isinstance(raw[0], str):
            raise ValueError(f"steps_from_json: step {i + 1} is {raw!r}, not [kind, ...]")
        step = (raw[0], *(decode_value(a, types) for a in raw[1:]))
        try:
            out.append(_normalise(step))
        except ValueError as exc:
            raise ValueError(f"steps_from_json: step {i + 1}: {exc}") from None
    return out


# -- invariants ---------------------------------------------------------------------------
class InvariantStatus(NamedTuple):
    """Whether an invariant holds in the current state, and if not, why.

    Attributes
    ----------
    name : str
        The invariant's name.
    ok : bool or None
        True if it holds, False if it fails, None if it raised.
    description : str
        The first line of its docstring.
    explanation : str
        What the invariant returned to explain itself (an ``(ok, explanation)``
        pair, or a falsy object other than False), or the exception it raised.
    reads : tuple of str
        The nodes whose state it read (found by watching it run), when it fails.
    values : tuple of (str, str)
        Those nodes and their states (shortened), when it fails.

    Examples
    --------
    >>> print(InvariantStatus("positive", False, "Stays above 0.", "", ("a",), (("a", "-1"),)))
    ✗ positive (Stays above 0.) fails; it reads a = -1
    """

    name: str
    ok: bool | None
    description: str = ""
    explanation: str = ""
    reads: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        mark = {True: "✓", False: "✗", None: "!"}[self.ok]
        text = f"{mark} {self.name}"
        if self.description:
            text += f" ({self.description})"
        if self.ok is None:
            return text + f" raised: {self.explanation}"
        if self.ok:
            return text + " holds"
        text += " fails"
        if self.explanation:
            text += f": {self.explanation}"
        if self.values:
            text += "; it reads " + ", ".join(f"{n} = {v}" for n, v in self.values)
        return text


def _doc(fn: Callable[..., Any]) -> str:
    doc = getattr(fn, "__doc__", None)
    if not doc or getattr(fn, "__name__", "") == "<lambda>" or isinstance(fn, type):
        return ""
    return doc.strip().splitlines()[0].strip()


def _verdict(result: Any) -> tuple[bool, str]:
    """Read what an invariant returned: a bool, an ``(ok, explanation)`` pair, or a value whose
    truth is the verdict (a falsy one other than False/None/0 explains itself)."""
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], bool):
        return result[0], "" if result[1] is None else str(result[1])
    ok = bool(result)
    if ok or result is None or isinstance(result, (bool, int, float)):
        return ok, ""
    return ok, str(result) if isinstance(result, str) else stable_repr(result)


class _ReadTuple(tuple[Any, ...]):
    """A tuple that notes which positions are read."""

    read: set[int]

    def __getitem__(self, i: Any) -> Any:
        n = len(self)
        if isinstance(i, int):
            self.read.add(i % n if n else 0)
        elif isinstance(i, slice):
            self.read.update(range(*i.indices(n)))
        return super().__getitem__(i)

    def __iter__(self) -> Any:
        self.read.update(range(len(self)))
        return super().__iter__()


class _WatchedState(ActorState):
    """An ``ActorState`` that notes which node states an invariant reads."""

    read: set[int]

    @property
    def states(self) -> tuple[Any, ...]:
        t = _ReadTuple(cast(tuple[Any, ...], tuple(self)[1]))
        t.read = self.read
        return t


def _reads(fn: Callable[[Any], Any], state: ActorState) -> tuple[str, ...]:
    watched = _WatchedState._make(state)
    watched.read = set()
    try:
        fn(watched)
    except Exception:
        return ()
    return tuple(state.ids[j] for j in sorted(watched.read))


# -- display helpers ----------------------------------------------------------------------
def _cell(value: Any, width: int = 48) -> str:
    """A short rendering of a value for a table cell: long tuples show their length and ends."""
    if isinstance(value, (tuple, list)) and not hasattr(value, "_fields") and len(value) > 6:
        text = (
            f"[{len(value)} items] {short_repr(value[0], width // 2)} … "
            f"{short_repr(value[-1], width // 2)}"
        )
    else:
        text = short_repr(value, 10 * width)
    return text if len(text) <= width else text[: width - 1] + "…"


def _fields_of(value: Any) -> list[tuple[str, Any]]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value) if f.repr]
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return list(zip(value._fields, value, strict=True))
    return [("state", value)]


class Branch(NamedTuple):
    """A branch of the tree of visited paths: the path from the initial state to a leaf.

    Attributes
    ----------
    number : int
        1, 2, ... in the order the branches were started.
    length : int
        Its number of steps.
    last : str
        Its last step, described (``"initial state"`` for an empty path).
    current : bool
        Whether the current state is on it (and it is the one forward follows).
    leaf : int
        The id of its last point in the tree.

    Examples
    --------
    >>> print(Branch(2, 5, "crash p1", True, 7))
    branch 2: 5 steps, ends with crash p1 (current)
    """

    number: int
    length: int
    last: str
    current: bool
    leaf: int

    def __str__(self) -> str:
        mark = " (current)" if self.current else ""
        steps = "step" if self.length == 1 else "steps"
        return f"branch {self.number}: {self.length} {steps}, ends with {self.last}{mark}"


@dataclasses.dataclass(eq=False)
class _Point:
    """A visited state: a node of the tree of paths."""

    parent: int | None
    step: tuple[Any, ...] | None
    action: Action | None
    state: ActorState
    partition: Groups | None
    depth: int
    children: dict[tuple[Any, ...], int] = dataclasses.field(default_factory=dict)
    last_child: int | None = None
    successors: list[tuple[tuple[Any, ...], Action | None, ActorState, Groups | None]] | None = None


_ORDER = {k: i for i, k in enumerate(STEP_KINDS)}


class Navigator:
    """A system's behaviours, explored by hand: the pure core of the step-through debugger.

    Parameters
    ----------
    system : System
        The nodes.
    invariants : callable, dict or list, optional
        Properties of the global state (an ``ActorState``), as for
        ``dslib.check.check``; their status is shown at every step. An invariant
        may return a bool, or an ``(ok, explanation)`` pair whose explanation is
        shown when it fails.
    fifo : bool, default False
        Messages on a link are delivered in the order they were sent.
    record_history : bool, default False
        Keep the clients' ``ctx.record`` events in the state (for invariants that read them).
    crashable : sequence of str, optional
        Which nodes may crash (default: every node).
    faults : iterable of str, default FAULTS
        Which fault events to offer and accept: any of ``"drop"``,
        ``"duplicate"``, ``"crash"``, ``"restart"``, ``"partition"``.
    initial : int, default 0
        Which initial state to start from, when ``ctx.choose`` in ``init`` gives several.
    seed : int, default 0
        The seed of the simulation that replays the path (for ``ctx.rng``).

    Attributes
    ----------
    system : System
    model : ActorModel
        The model that computes the next states.
    invariants : list of (str, callable)
    title : str
        A line shown above the state (for example, which counterexample was loaded).

    Raises
    ------
    TypeError, ValueError
        For a bad argument, naming what is allowed.

    Notes
    -----
    The model checker reads an invariant's result as a truth value, and a
    tuple is always true: give ``check`` the bool part of an invariant that
    explains itself (``lambda s: inv(s)[0]``).

    The network is unordered unless ``fifo=True``; duplication is an explicit
    ``duplicate`` step, as in the simulator (a message delivered stays
    delivered). Crashes are unlimited: the reader decides.

    Examples
    --------
    >>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
    >>> nav = Navigator(ricart_agrawala(2), [at_most_one_critical], faults=())
    >>> [describe_step(s) for s in nav.enabled()]
    ["p1: timer 'want'", "p2: timer 'want'"]
    >>> print(nav.check_invariants()[0])
    ✓ at_most_one_critical (At most one process of the system is in its critical section.) holds
    """

    def __init__(
        self,
        system: System,
        invariants: PropertySpec = None,
        *,
        fifo: bool = False,
        record_history: bool = False,
        crashable: Sequence[str] | None = None,
        faults: Iterable[str] = FAULTS,
        initial: int = 0,
        seed: int = 0,
    ) -> None:
        check_system(system, "Navigator")
        if isinstance(faults, str):
            raise ValueError(f"faults={faults!r} must be a list of fault kinds, e.g. ['crash']")
        self.faults = tuple(faults)
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"faults: unknown {unknown}; allowed: {', '.join(FAULTS)}")
        check_seed(seed, "Navigator")
        self.system = system
        self.seed = seed
        self.invariants = properties(invariants, "invariant")
        self.model = ActorModel(
            system,
            fifo=fifo,
            lossy=True,
            max_crashes=_MAX_CRASHES,
            crashable=crashable,
            restart=True,
            record_history=record_history,
        )
        inits = self.model.init_states()
        if not (isinstance(initial, int) and not isinstance(initial, bool)) or not (
            0 <= initial < len(inits)
        ):
            raise ValueError(
                f"Navigator: initial={initial!r}; the system has {len(inits)} initial "
                f"state(s), so give an int from 0 to {len(inits) - 1}"
            )
        self.title = ""
        self._points: list[_Point] = [_Point(None, None, None, inits[initial], None, 0)]
        self._current = 0
        self._sim: tuple[int, Simulation] | None = None
        self._diverged: dict[int, str] = {}

    # -- building from other sources --------------------------------------------------
    @classmethod
    def from_steps(
        cls,
        system: System,
        steps: Iterable[Sequence[Any]],
        step: int | None = None,
        invariants: PropertySpec = None,
        **options: Any,
    ) -> Navigator:
        """A navigator that has taken ``steps`` (a schedule as data), at position ``step``.

        Parameters
        ----------
        system : System
        steps : iterable of tuples
            Steps as data, such as an exported path or a hypothesis schedule.
        step : int, optional
            Where to stand on the path (default: at its end; 0 is the initial state).
        invariants : optional
            As for ``Navigator``.
        **options
            Further options of ``Navigator``.

        Raises
        ------
        ValueError
            If a step cannot be taken, naming it.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")], step=0)
        >>> nav.position, nav.length
        (0, 1)
        """
        nav = cls(system, invariants, **options)
        nav.load(steps)
        if step is not None:
            nav.goto(step)
        return nav

    @classmethod
    def from_json(
        cls,
        system: System,
        text: str,
        step: int | None = None,
        invariants: PropertySpec = None,
        types: Sequence[type] = (),
        **options: Any,
    ) -> Navigator:
        """A navigator on a path saved with ``to_json`` (see ``steps_from_json`` for ``types``).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("fire", "p2", "want"))
        >>> Navigator.from_json(ricart_agrawala(2), nav.to_json()).export()
        [('fire', 'p2', 'want')]
        """
        steps = steps_from_json(text, types=types, nodes=system.ids)
        return cls.from_steps(system, steps, step, invariants, **options)

    @classmethod
    def from_counterexample(
        cls,
        system: System,
        counterexample: Counterexample | Lasso | CheckResult,
        step: int | None = None,
        invariants: PropertySpec = None,
        **options: Any,
    ) -> Navigator:
        """A navigator on a model-checker counterexample, at its step ``step`` (default: the end).

        Parameters
        ----------
        system : System
            The system the ``ActorModel`` was built from.
        counterexample : Counterexample, Lasso or CheckResult
            From ``dslib.check.check(ActorModel(system), ...)``. For a ``Lasso``,
            its prefix and one turn of its cycle are loaded.
        step : int, optional
            The step of the counterexample to stand on (0 is the initial state).
        invariants : optional
            The invariants to show (the result only knows the failed one's name).
        **options
            Further options of ``Navigator`` (``fifo`` and ``record_history`` default
            to the model's).

        Raises
        ------
        TypeError
            If it is not a counterexample of an ``ActorModel``, or ``system`` is not a
            ``System``.
        ValueError
            If the model's nodes are not the system's, or ``step`` is out of range.

        Notes
        -----
        On a duplicating network (``ActorModel(duplicating=True)``) a delivered
        message stays in flight; the navigator instead takes an explicit
        ``duplicate`` step before a message is delivered again, as the simulator
        does, so its states differ from the checker's in the messages in flight.

        Examples
        --------
        >>> from dslib.check import ActorModel, check
        >>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
        >>> system = ricart_agrawala(2, mutant="tie_by_timestamp")
        >>> result = check(ActorModel(system), invariants=[at_most_one_critical])
        >>> nav = Navigator.from_counterexample(system, result, invariants=[at_most_one_critical])
        >>> nav.position, [s.ok for s in nav.check_invariants()]
        (6, [False])
        >>> nav.title[:60]
        "model checker: invariant 'at_most_one_critical' (At most one"
        """
        title = ""
        cex: Any = counterexample
        if isinstance(counterexample, CheckResult):
            title = "model checker: " + counterexample.summary()
            cex = counterexample.counterexample or counterexample.lasso
            if cex is None:
                raise ValueError(
                    "from_counterexample: this result has no counterexample to load "
                    f"({counterexample.summary()})"
                )
        steps, model = actor_steps(
            system, cex, "from_counterexample", "a Counterexample, a Lasso or a CheckResult"
        )
        if isinstance(cex, Lasso):
            title = title or f"lasso: {len(cex.prefix)} steps, {cex.ending()}"
        elif not title and cex.property is not None:
            title = f"counterexample: {cex.kind} {cex.property!r}"
        options.setdefault("fifo", model.fifo)
        options.setdefault("record_history", model.record_history)
        options.setdefault("initial", model.init_states().index(steps[0].state))
        nav = cls(system, invariants, **options)
        nav.title = title
        positions = [0]
        copy = copies_first(steps, model)
        for i in range(1, len(steps)):
            action = steps[i].action
            message = copy[i]
            if message is not None and Counter(nav.state.messages())[message] < 2:
                nav.take(("duplicate", *message))
            nav.take(_action_step(action))
            if not model.duplicating and nav.state.states != steps[i].state.states:
                raise ModelError(  # pragma: no cover - the same model computes both
                    f"from_counterexample: step {i} ({action}) led to another state than the "
                    "checker's"
                )
            positions.append(nav.position)
        if step is not None:
            if not (isinstance(step, int) and 0 <= step < len(positions)):
                raise ValueError(
                    f"from_counterexample: step={step!r} must be an int from 0 to "
                    f"{len(positions) - 1}"
                )
            nav.goto(positions[step])
        return nav

    @classmethod
    def from_trace(
        cls,
        system: System,
        trace: Trace | Simulation | Iterable[TraceEvent],
        step: int | None = None,
        invariants: PropertySpec = None,
        *,
        time: float | None = None,
        **options: Any,
    ) -> Navigator:
        """A navigator on the events of a simulation's trace, at step ``step`` or time ``time``.

        Each delivery, drop, duplication, timer firing, crash, restart, partition
        and heal of the trace becomes a step. A message delivered to a crashed
        node is a delivery (it is lost). Pauses, clock skew, one-way cuts and
        changes of the network's parameters are not steps: only their effects
        (drops, the order of events) are. When a handler calls ``ctx.choose``,
        the choice is found by matching the state it led to in the trace.

        Parameters
        ----------
        system : System
            The system that ran.
        trace : Trace or Simulation
            What happened (``sim.trace``).
        step : int, optional
            How many steps in to stand (default: all of them).
        invariants : optional
            As for ``Navigator``.
        time : float, optional
            Instead of ``step``: stand after the last event at or before this time.
        **options
            Further options of ``Navigator``.

        Raises
        ------
        ValueError
            If the trace is not of this system, or an event cannot be taken.

        Examples
        --------
        >>> from dslib import Network, Simulation, System
        >>> from dslib.basics import Pinger, Ponger
        >>> system = System({"pinger": Pinger(count=3), "ponger": Ponger()})
        >>> sim = Simulation(system, seed=3, network=Network(loss=0.3)).run()
        >>> nav = Navigator.from_trace(system, sim, time=15.0)
        >>> nav.position, nav.length, nav.state.nodes == sim.states
        (5, 8, False)
        >>> nav.goto(nav.length).nodes == sim.states
        True
        """
        if isinstance(trace, Simulation):
            trace = trace.trace
        if not isinstance(trace, Iterable) or isinstance(trace, (str, bytes)):
            raise TypeError(f"from_trace takes a Trace or a Simulation, got {type(trace).__name__}")
        events = [TraceEvent._make(e) for e in trace]
        if step is not None and time is not None:
            raise ValueError("from_trace: give step or time, not both")
        inits = {e.node: e.data for e in events if e.kind == "init"}
        if sorted(str(n) for n in inits) != list(system.ids):
            raise ValueError(
                f"from_trace: the trace's nodes {sorted(str(n) for n in inits)} are not the "
                f"system's {list(system.ids)} (a simulation run with record_trace=False has "
                "no trace to open)"
            )
        nav = cls(system, invariants, **options)
        if "initial" not in options:  # start where the simulation started
            starts = nav.model.init_states()
            first = next((i for i, s in enumerate(starts) if s.nodes == inits), 0)
            if first:
                nav = cls(system, invariants, initial=first, **options)
        heads: list[tuple[TraceEvent, list[TraceEvent]]] = []
        owner: list[TraceEvent] | None = None
        for e in events:
            kind = e.kind
            if kind == "duplicate":
                heads.append((e, []))  # happens inside another event: keeps its owner
            elif kind in ("deliver", "drop", "timer", "crash", "restart") or (
                kind == "fault" and isinstance(e.data, (Partition, Heal))
            ):
                owner = []
                heads.append((e, owner))
            elif kind in ("send", "state") and owner is not None:
                owner.append(e)
        times = []
        for i, (head, effects) in enumerate(heads):
            try:
                nav._take_event(head, effects)
            except ValueError as exc:
                raise ValueError(
                    f"from_trace: event {i + 1} at time {head.time} ({head.kind} at "
                    f"{head.node}) cannot be taken: {exc}"
                ) from None
            times.append(head.time)
        if time is not None:
            nav.goto(sum(1 for t in times if t <= time))
        elif step is not None:
            nav.goto(step)
        return nav

    def _take_event(self, head: TraceEvent, effects: list[TraceEvent]) -> None:
        kind = head.kind
        if kind == "fault":
            if isinstance(head.data, Partition):
                self.take(("partition", *head.data.groups))
            else:
                self.take(("heal",))
            return
        if kind == "drop":
            if head.detail == "crashed":
                self.take(("deliver", head.peer, head.node, head.data))
            else:
                self.take(("drop", head.peer, head.node, head.data))
            return
        if kind == "duplicate":
            self.take(("duplicate", head.peer, head.node, head.data))
            return
        if kind == "crash":
            self.take(("crash", head.node))
            return
        if kind == "restart":
            expected = head.data
            base: tuple[Any, ...] = ("restart", head.node)
        elif kind == "deliver":
            changed = [e.data for e in effects if e.kind == "state"]
            expected = changed[-1] if changed else self.state.node(str(head.node))
            base = ("deliver", head.peer, head.node, head.data)
        else:
            changed = [e.data for e in effects if e.kind == "state"]
            expected = changed[-1] if changed else self.state.node(str(head.node))
            base = ("fire", head.node, head.data)
        sent = sorted(
            (stable_repr(e.peer), stable_repr(e.data)) for e in effects if e.kind == "send"
        )
        candidates = [
            (step, nxt) for step, _a, nxt, _p in self._successors() if step[: len(base)] == base
        ]
        if not candidates:
            self.take(base)  # raises, saying what is enabled
        j = self.model.index[str(head.node)]
        before = Counter(self.state.messages())
        for step, nxt in candidates:
            new = Counter(nxt.messages())
            new.subtract(before)
            got = sorted(
                (stable_repr(d), stable_repr(m)) for (_s, d, m), c in new.items() for _ in range(c)
            )
            if nxt.states[j] == expected and (kind == "restart" or got == sent):
                self.take(step)
                return
        raise ValueError(
            f"no choice of the handler leads to the state the trace shows ({short_repr(expected)})"
        )

    # -- where we are ---------------------------------------------------------------
    @property
    def state(self) -> ActorState:
        """The current global state."""
        return self._points[self._current].state

    @property
    def previous(self) -> ActorState | None:
        """The state before the last step (``None`` at the initial state)."""
        parent = self._points[self._current].parent
        return None if parent is None else self._points[parent].state

    @property
    def partition(self) -> Groups | None:
        """The current partition's groups, or ``None`` when the network is whole."""
        return self._points[self._current].partition

    @property
    def position(self) -> int:
        """How many steps from the initial state the current state is."""
        return self._points[self._current].depth

    @property
    def length(self) -> int:
        """The length of the current branch (the path ``forward`` follows to its end)."""
        return self._points[self._branch_end(self._current)].depth

    @property
    def last_step(self) -> tuple[Any, ...] | None:
        """The step that led to the current state (``None`` at the initial state)."""
        return self._points[self._current].step

    @property
    def can_back(self) -> bool:
        """Whether there is a step to go back over."""
        return self._current != 0

    @property
    def can_forward(self) -> bool:
        """Whether the current branch goes on."""
        return self._points[self._current].last_child is not None

    def path(self) -> list[int]:
        """The ids of the points from the initial state to the current one."""
        out = []
        i: int | None = self._current
        while i is not None:
            out.append(i)
            i = self._points[i].parent
        return out[::-1]

    def export(self) -> list[tuple[Any, ...]]:
        """The path from the initial state to the current one, as steps for ``Simulation.replay``.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("fire", "p1", "want")); _ = nav.take(("crash", "p2"))
        >>> nav.export()
        [('fire', 'p1', 'want'), ('crash', 'p2')]
        """
        return [p.step for p in (self._points[i] for i in self.path()[1:]) if p.step is not None]

    def to_json(self, indent: int | None = None) -> str:
        """The exported path as JSON (see ``steps_to_json``); load it with ``from_json``.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator.from_steps(ricart_agrawala(2), [("crash", "p1")]).to_json()
        '{"format": "dslib.steps", "version": 1, "nodes": ["p1", "p2"], "steps": [["crash", "p1"]]}'
        """
        return steps_to_json(self.export(), nodes=self.system.ids, indent=indent)

    # -- what may happen next -------------------------------------------------------
    def _successors(
        self, point: int | None = None
    ) -> list[tuple[tuple[Any, ...], Action | None, ActorState, Groups | None]]:
        p = self._points[self._current if point is None else point]
        if p.successors is not None:
            return p.successors
        s, part, faults = p.state, p.partition, self.faults
        out: list[tuple[tuple[Any, ...], Action | None, ActorState, Groups | None]] = []
        seen: set[tuple[Any, ...]] = set()
        for action, nxt in self.model.actions(s):
            kind = action.kind
            if kind == "deliver" and not _connected(part, str(action.src), action.node):
                continue  # across the partition: it can only be lost
            if kind != "deliver" and kind != "fire" and kind not in faults:
                continue
            step = _action_step(action)
            if step in seen:
                continue  # a restart whose on_recover chooses: the simulator cannot steer it
            seen.add(step)
            out.append((step, action, nxt, part))
        if "duplicate" in faults:
            for src, dst, msg in dict.fromkeys(s.messages()):
                # the next state is made when the step is taken (see take)
                out.append((("duplicate", src, dst, msg), None, s, part))
        if "partition" in faults and len(s.ids) > 1:
            if part is None:
                ids = s.ids if len(s.ids) > 2 else s.ids[:1]  # with two nodes, one way to split
                for node_id in ids:
                    groups = ((node_id,), tuple(i for i in s.ids if i != node_id))
                    out.append((("partition", *groups), None, s, groups))
            else:
                out.append((("heal",), None, s, None))
        out.sort(key=lambda entry: _ORDER[entry[0][0]])
        p.successors = out
        return out

    def _duplicated(self, s: ActorState, src: str, dst: str, msg: Any) -> ActorState:
        net = dict(s.network)
        if self.model.fifo:
            queue = net[(src, dst)]
            k = queue.index(msg)
            net[(src, dst)] = (*queue[: k + 1], msg, *queue[k + 1 :])
        else:
            net[(src, dst, msg)] += 1
        return s._replace(network=frozenset(net.items()))

    def enabled(self) -> list[tuple[Any, ...]]:
        """Every event that may happen next, as steps: deliveries, timers, then faults.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator(ricart_agrawala(2), faults=["crash"]).enabled()
        [('fire', 'p1', 'want'), ('fire', 'p2', 'want'), ('crash', 'p1'), ('crash', 'p2')]
        """
        return [entry[0] for entry in self._successors()]

    def labels(self) -> list[str]:
        """The enabled events, described (``describe_step``), with a note on lost deliveries.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> steps = [("fire", "p1", "want"), ("crash", "p2")]
        >>> Navigator.from_steps(ricart_agrawala(2), steps).labels()[0]
        'p1 → p2: LockRequest(ts=1) (lost: p2 is down)'
        """
        out = []
        crashed = self.state.crashed
        for step in self.enabled():
            text = describe_step(step)
            if step[0] == "deliver" and step[2] in crashed:
                text += f" (lost: {step[2]} is down)"
            out.append(text)
        return out

    # -- moving -----------------------------------------------------------------------
    def _find(self, step: Any) -> int:
        succ = self._successors()
        if isinstance(step, int) and not isinstance(step, bool):
            if not 0 <= step < len(succ):
                raise ValueError(
                    f"take: event {step} does not exist; {len(succ)} events are enabled "
                    f"(0 to {len(succ) - 1})"
                )
            return step
        norm = _normalise(step)
        for i, entry in enumerate(succ):
            if entry[0] == norm:
                return i
        if norm[0] in ("deliver", "fire"):
            base = 4 if norm[0] == "deliver" else 3
            if len(norm) == base:
                matches = [i for i, e in enumerate(succ) if e[0][:base] == norm]
                if len(matches) == 1:
                    return matches[0]
                if matches:
                    options = "; ".join(describe_step(succ[i][0]) for i in matches)
                    raise ValueError(
                        f"take: {describe_step(norm)} calls ctx.choose; say which choices, "
                        f"one of: {options}"
                    )
        kind = norm[0]
        if kind in ("drop", "duplicate", "crash", "restart", "partition", "heal"):
            fault = "partition" if kind == "heal" else kind
            if fault not in self.faults:
                raise ValueError(
                    f"take: {describe_step(norm)}: {fault} events are off (faults={self.faults})"
                )
        if kind == "partition":
            self._check_groups(norm[1:])
            return -1
        if kind == "heal":
            return -1
        why = ""
        if kind == "deliver" and not _connected(self.partition, norm[1], norm[2]):
            why = f" ({norm[1]} and {norm[2]} are on different sides of the partition)"
        enabled = "; ".join(describe_step(e[0]) for e in succ) or "nothing"
        raise ValueError(f"take: {describe_step(norm)} is not enabled now{why}; enabled: {enabled}")

    def _check_groups(self, groups: tuple[Any, ...]) -> None:
        seen: list[str] = []
        for g in groups:
            for n in g:
                if n not in self.system.ids:
                    raise ValueError(
                        f"take: partition names {n!r}, which is not a node; "
                        f"the nodes are {list(self.system.ids)}"
                    )
                if n in seen:
                    raise ValueError(f"take: node {n!r} is in more than one group")
                seen.append(n)
        missing = sorted(set(self.system.ids) - set(seen))
        if missing:
            raise ValueError(
                f"take: nodes {missing} are in no group; place every node in exactly one group"
            )

    def take(self, step: Any) -> ActorState:
        """Take an enabled event: a step (as data) or its index in ``enabled()``.

        If the event was taken from here before, this follows it (no duplicate
        branch); otherwise it starts a new branch. A deliver or fire step
        whose handler calls ``ctx.choose`` may leave out the choices when only
        one choice is possible.

        Parameters
        ----------
        step : tuple or int

        Returns
        -------
        ActorState
            The new current state.

        Raises
        ------
        ValueError
            If the event is not enabled (the message lists what is).

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> nav.take(0).node("p1").status
        'wanting'
        >>> nav.take(("fire", "p1", "want"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: take: p1: timer 'want' is not enabled now; enabled: p1 → p2: ...
        """
        i = self._find(step)
        here = self._points[self._current]
        if i >= 0:
            key, action, nxt, part = self._successors()[i]
            if key[0] == "duplicate":
                nxt = self._duplicated(nxt, *key[1:])
        else:
            key = _normalise(step)
            action, nxt = None, here.state
            part = tuple(key[1:]) if key[0] == "partition" else None
        child = here.children.get(key)
        if child is None:
            child = len(self._points)
            self._points.append(_Point(self._current, key, action, nxt, part, here.depth + 1))
            here.children[key] = child
        self._move(child)
        return self.state

    def load(self, steps: Iterable[Sequence[Any]]) -> ActorState:
        """Take ``steps`` from the initial state (a saved path): a new branch, unless the tree
        already has it; stand at its end.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(0)
        >>> _ = nav.load([("fire", "p2", "want")])
        >>> for branch in nav.branches():
        ...     print(branch)
        branch 1: 1 step, ends with p1: timer 'want'
        branch 2: 1 step, ends with p2: timer 'want' (current)
        """
        if isinstance(steps, (str, bytes)) or not isinstance(steps, Iterable):
            raise TypeError(f"load takes a list of steps, got {type(steps).__name__}")
        here = self._current
        self._move(0)
        for i, step in enumerate(steps):
            try:
                self.take(step)
            except ValueError as exc:
                self._move(here)
                raise ValueError(f"step {i + 1} {step!r} cannot be taken: {exc}") from None
        return self.state

    def _move(self, point: int) -> None:
        self._current = point
        i = point
        while True:
            parent = self._points[i].parent
            if parent is None:
                break
            self._points[parent].last_child = i
            i = parent

    def _branch_end(self, point: int) -> int:
        while True:
            nxt = self._points[point].last_child
            if nxt is None:
                return point
            point = nxt

    def back(self, n: int = 1) -> ActorState:
        """Go back ``n`` steps (forward will return); return the state there.

        Raises
        ------
        ValueError
            If there are fewer than ``n`` steps behind.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")])
        >>> nav.back().node("p1").status, nav.forward().node("p1").status
        ('idle', 'wanting')
        """
        return self.goto(self.position - self._count(n, "back"))

    def forward(self, n: int = 1) -> ActorState:
        """Go forward ``n`` steps along the current branch; return the state there.

        Raises
        ------
        ValueError
            If the branch ends sooner.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")], step=0)
        >>> nav.forward().node("p1").status, nav.can_forward
        ('wanting', False)
        """
        return self.goto(self.position + self._count(n, "forward"))

    def _count(self, n: int, what: str) -> int:
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
            raise ValueError(f"{what}: n={n!r} must be an int >= 0")
        return n

    def goto(self, position: int) -> ActorState:
        """Stand at step ``position`` of the current branch (0: the initial state).

        Raises
        ------
        ValueError
            If ``position`` is not between 0 and ``length``.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> steps = [("fire", "p1", "want"), ("crash", "p2")]
        >>> nav = Navigator.from_steps(ricart_agrawala(2), steps)
        >>> nav.goto(0).crashed, nav.goto(2).crashed
        (frozenset(), frozenset({'p2'}))
        >>> nav.goto(3)
        Traceback (most recent call last):
        ...
        ValueError: goto: position 3 is beyond this branch (steps 0 to 2)
        """
        if not (isinstance(position, int) and not isinstance(position, bool)):
            raise ValueError(f"goto: position={position!r} must be an int")
        if not 0 <= position <= self.length:
            raise ValueError(
                f"goto: position {position} is beyond this branch (steps 0 to {self.length})"
            )
        point = self._current
        while self._points[point].depth > position:
            parent = self._points[point].parent
            assert parent is not None
            point = parent
        while self._points[point].depth < position:
            nxt = self._points[point].last_child
            assert nxt is not None
            point = nxt
        if point != self._current:
            end = self._branch_end(self._current)
            self._current = point
            # keep the branch: the forward pointers below `point` still lead to `end`
            self._move(end)
            self._current = point
        return self.state

    def branches(self) -> list[Branch]:
        """The branches of the tree of visited paths, in the order they were started.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("fire", "p1", "want")); _ = nav.back(); _ = nav.take(("crash", "p1"))
        >>> for b in nav.branches():
        ...     print(b)
        branch 1: 1 step, ends with p1: timer 'want'
        branch 2: 1 step, ends with crash p1 (current)
        """
        leaves = [i for i, p in enumerate(self._points) if not p.children]
        end = self._branch_end(self._current)
        out = []
        for number, leaf in enumerate(leaves, 1):
            p = self._points[leaf]
            last = "initial state" if p.step is None else describe_step(p.step)
            out.append(Branch(number, p.depth, last, leaf == end, leaf))
        return out

    def switch(self, branch: int) -> ActorState:
        """Go to the end of branch number ``branch`` (1, 2, ... as in ``branches()``).

        Raises
        ------
        ValueError
            If there is no such branch.

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("crash", "p1")); _ = nav.back(); _ = nav.take(("crash", "p2"))
        >>> nav.switch(1).crashed
        frozenset({'p1'})
        """
        found = self.branches()
        if not (isinstance(branch, int) and 1 <= branch <= len(found)):
            raise ValueError(f"switch: branch={branch!r}; the branches are 1 to {len(found)}")
        self._move(found[branch - 1].leaf)
        return self.state

    # -- what holds ---------------------------------------------------------------------
    def check_invariants(self, state: ActorState | None = None) -> list[InvariantStatus]:
        """The status of every invariant in ``state`` (default: the current state).

        >>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2), {"safe": at_most_one_critical})
        >>> [(s.name, s.ok) for s in nav.check_invariants()]
        [('safe', True)]
        """
        s = self.state if state is None else state
        out = []
        for name, fn in self.invariants:
            doc = _doc(fn)
            try:
                result = fn(s)
            except Exception as exc:
                out.append(InvariantStatus(name, None, doc, f"{type(exc).__name__}: {exc}"))
                continue
            ok, why = _verdict(result)
            if ok:
                out.append(InvariantStatus(name, True, doc))
                continue
            reads = _reads(fn, s)
            values = tuple(
                (n, "crashed" if s.node(n) is None else _cell(s.node(n), 120)) for n in reads
            )
            out.append(InvariantStatus(name, False, doc, why, reads, values))
        return out

    def changes(self) -> str:
        """What the last step changed, in words (``"initial state"`` at the start).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("fire", "p1", "want"))
        >>> for part in nav.changes().split("; "):
        ...     print(part)
        p1.clock: 0 → 1
        p1.status: 'idle' → 'wanting'
        p1.request_ts: 0 → 1
        p1 sends LockRequest(ts=1) to p2
        """
        p = self._points[self._current]
        if p.parent is None:
            return "initial state"
        before = self._points[p.parent]
        assert p.step is not None
        kind = p.step[0]
        if p.action is not None:
            return self.model.changes(before.state, p.state, p.action)
        if kind == "duplicate":
            n = Counter(p.state.messages())[tuple(p.step[1:])]
            return f"a copy of {_msg_text(p.step[3])} is in flight ({n} copies)"
        if kind == "partition":
            return (
                describe_step(p.step) + ": messages between groups can only be lost until it heals"
            )
        return "the partition heals" if before.partition is not None else "(no partition to heal)"

    # -- the state as a table -----------------------------------------------------------
    def _columns(self) -> list[str]:
        columns: list[str] = []
        for p in (self.state, self.previous):
            if p is None:
                continue
            for st in p.states:
                if st is None:
                    continue
                for name, _v in _fields_of(st):
                    if name not in columns:
                        columns.append(name)
        return columns

    def state_rows(self) -> list[tuple[str, str, dict[str, str], set[str]]]:
        """The state table: per node, its id, ``"up"``/``"crashed"``/``"restarted"``, its
        fields rendered short, and the names of the fields the last step changed."""
        s, before = self.state, self.previous
        rows = []
        for j, node_id in enumerate(s.ids):
            new = s.states[j]
            old = None if before is None else before.states[j]
            if new is None:
                status = "crashed"
                cells: dict[str, str] = {}
                changed = {"*"} if before is not None and old is not None else set()
            else:
                status = "restarted" if before is not None and old is None else "up"
                fields = _fields_of(new)
                cells = {name: _cell(v) for name, v in fields}
                if before is None:
                    changed = set()
                elif old is None:
                    changed = {"*"}
                elif type(old) is not type(new):
                    changed = set(cells)
                else:
                    olds = dict(_fields_of(old))
                    changed = {name for name, v in fields if olds.get(name) != v}
            rows.append((node_id, status, cells, changed))
        return rows

    def state_frame(self) -> Any:
        """The current state as a pandas DataFrame: a row per node, a column per field of its
        state, and a column ``changed`` marking what the last step changed (``*`` for all).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator(ricart_agrawala(2))
        >>> _ = nav.take(("fire", "p2", "want"))
        >>> frame = nav.state_frame()
        >>> list(frame.columns)
        ['clock', 'status', 'request_ts', 'replies', 'deferred', 'changed']
        >>> frame.loc["p2", "status"], frame.loc["p2", "changed"]
        ("'wanting'", 'clock, status, request_ts')
        """
        import pandas as pd

        columns = self._columns()
        records = []
        for node_id, status, cells, changed in self.state_rows():
            row = {"node": node_id}
            if status == "crashed":
                row.update({c: "crashed" if i == 0 else "" for i, c in enumerate(columns)})
            else:
                row.update({c: cells.get(c, "") for c in columns})
            if "*" in changed:
                row["changed"] = "*"
            else:
                row["changed"] = ", ".join(c for c in columns if c in changed)
            records.append(row)
        return pd.DataFrame(records, columns=["node", *columns, "changed"]).set_index("node")

    def network_lines(self) -> list[str]:
        """The messages in flight, the timers set, the crashed nodes and the partition, as lines.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> for line in Navigator(ricart_agrawala(2)).network_lines():
        ...     print(line)
        in flight: none
        timers: p1: 'want', p2: 'want'
        crashed: none
        partition: none
        """
        s = self.state
        counts = Counter(s.messages())
        msgs = [
            f"{a} → {b}: {_msg_text(m)}"
            + (f" ×{counts[(a, b, m)]}" if counts[(a, b, m)] > 1 else "")
            for a, b, m in dict.fromkeys(s.messages())
        ]
        timers = [f"{n}: {stable_repr(t)}" for n, t in s.pending_timers()]
        part = self.partition
        return [
            "in flight: " + (", ".join(msgs) if msgs else "none"),
            "timers: " + (", ".join(timers) if timers else "none"),
            "crashed: " + (", ".join(sorted(s.crashed)) if s.crashed else "none"),
            "partition: "
            + (" | ".join("{" + ", ".join(g) + "}" for g in part) if part else "none"),
        ]

    def heading(self) -> str:
        """One line: where we are (step, branch) and the step that led here.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator.from_steps(ricart_agrawala(2), [("crash", "p1")]).heading()
        'step 1 of 1: crash p1'
        """
        branches = self.branches()
        current = next((b.number for b in branches if b.current), 1)
        where = f"step {self.position} of {self.length}"
        if len(branches) > 1:
            where += f" (branch {current} of {len(branches)})"
        step = self.last_step
        return where + (f": {describe_step(step)}" if step is not None else ": initial state")

    def text(self, enabled: bool = True) -> str:
        """Everything the debugger shows, as plain text (a static view); ``enabled=False``
        leaves out the list of enabled events.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> print(Navigator(ricart_agrawala(2), faults=()).text())
        step 0 of 0: initial state
        <BLANKLINE>
        nodes (* changed by the last step)
          node  clock  status  request_ts  replies      deferred
            p1  0      'idle'  0           frozenset()  frozenset()
            p2  0      'idle'  0           frozenset()  frozenset()
        <BLANKLINE>
        in flight: none
        timers: p1: 'want', p2: 'want'
        crashed: none
        partition: none
        <BLANKLINE>
        enabled events (2)
           0  p1: timer 'want'
           1  p2: timer 'want'
        """
        lines = []
        if self.title:
            lines.append(self.title)
        lines.append(self.heading())
        if self.last_step is not None:
            lines.append("changed: " + self.changes())
        columns = self._columns()
        rows = []
        for node_id, status, cells, changed in self.state_rows():
            mark = "*" if changed else ""
            if status == "crashed":
                values = ["crashed"] + [""] * (len(columns) - 1)
            else:
                values = [cells.get(c, "") + ("*" if c in changed else "") for c in columns]
            rows.append([mark, node_id, *values])
        table = text_table([[r[1], *r[2:]] for r in rows], ["node", *columns])
        lines += ["", "nodes (* changed by the last step)"]
        lines += [
            ("* " if r[0] else "  ") + line
            for r, line in zip([["", ""], *rows], table.splitlines(), strict=True)
        ]
        lines += ["", *self.network_lines()]
        if self.invariants:
            lines += ["", "invariants"]
            lines += ["  " + str(s) for s in self.check_invariants()]
        if enabled:
            labels = self.labels()
            lines += ["", f"enabled events ({len(labels)})"]
            lines += [f"  {i:2}  {label}" for i, label in enumerate(labels)]
        branches = self.branches()
        if len(branches) > 1:
            lines += ["", "branches"] + ["  " + str(b) for b in branches]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        failed = [s.name for s in self.check_invariants() if not s.ok]
        what = f", failing: {', '.join(failed)}" if failed else ""
        return f"Navigator({self.heading()}{what})"

    # -- HTML ------------------------------------------------------------------------------
    def state_html(self) -> str:
        """The state table as HTML, with what the last step changed highlighted.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> nav = Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")])
        >>> nav.state_html().count("background:#fff3cd")  # clock, status, request_ts
        3
        """
        columns = self._columns()
        esc = html.escape
        head = "".join(f"<th style='{_TH}'>{esc(c)}</th>" for c in ["node", *columns])
        body = []
        for node_id, status, cells, changed in self.state_rows():
            row_style = _CRASHED if status == "crashed" else ""
            tds = [f"<td style='{_TD}font-weight:bold'>{esc(node_id)}</td>"]
            if status == "crashed":
                tds.append(f"<td style='{_TD}' colspan='{max(1, len(columns))}'>crashed</td>")
            else:
                for c in columns:
                    hot = "*" in changed or c in changed
                    style = _TD + (_CHANGED if hot else "")
                    tds.append(f"<td style='{style}'>{esc(cells.get(c, ''))}</td>")
            body.append(f"<tr style='{row_style}'>{''.join(tds)}</tr>")
        network = "".join(
            f"<div style='font-size:90%'>{esc(line)}</div>" for line in self.network_lines()
        )
        return (
            f"<table style='border-collapse:collapse;font-family:monospace;font-size:90%'>"
            f"<tr>{head}</tr>{''.join(body)}</table>{network}"
        )

    def invariants_html(self) -> str:
        """The invariants' status as HTML (failing ones in red, with the values they read).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator(ricart_agrawala(2)).invariants_html()
        "<div style='color:#666'>no invariants given</div>"
        """
        if not self.invariants:
            return "<div style='color:#666'>no invariants given</div>"
        parts = []
        for s in self.check_invariants():
            color = {True: "#2e7d32", False: "#c62828", None: "#e65100"}[s.ok]
            parts.append(f"<div style='color:{color}'>{html.escape(str(s))}</div>")
        return "".join(parts)

    def html(self) -> str:
        """The whole view as HTML: heading, changes, state, network, invariants, enabled events
        (what a notebook shows for a navigator).

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> "p1: timer &#x27;want&#x27;" in Navigator(ricart_agrawala(2)).html()
        True
        """
        esc = html.escape
        title = f"<div><i>{esc(self.title)}</i></div>" if self.title else ""
        changed = (
            f"<div style='font-size:90%'>changed: {esc(self.changes())}</div>"
            if self.last_step is not None
            else ""
        )
        labels = "".join(f"<li>{esc(label)}</li>" for label in self.labels())
        return (
            f"{title}<div><b>{esc(self.heading())}</b></div>{changed}{self.state_html()}"
            f"<div style='margin-top:4px'><b>invariants</b></div>{self.invariants_html()}"
            f"<div style='margin-top:4px'><b>enabled events</b></div>"
            f"<ol start='0' style='font-family:monospace;font-size:90%'>{labels}</ol>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    # -- the path in the simulator -------------------------------------------------------------
    def simulation(self) -> Simulation:
        """The path so far, replayed in a fresh ``Simulation`` (``Simulation.replay``).

        Its trace draws as a space-time diagram; its history holds what clients
        recorded. The replay is kept, so a step forward costs one step.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> steps = [("fire", "p1", "want"), ("crash", "p2")]
        >>> sim = Navigator.from_steps(ricart_agrawala(2), steps).simulation()
        >>> sim.now, sim.crashed
        (2.0, frozenset({'p2'}))
        """
        cached = self._sim
        here = self._points[self._current]
        if cached is not None and cached[0] == self._current:
            return cached[1]
        self._sim = None  # a replay that fails half-way must not be kept
        if cached is not None and here.parent == cached[0] and here.step is not None:
            sim = cached[1]
            sim.apply(here.step)
        else:
            sim = Simulation.replay(self.system, self.export(), seed=self.seed)
        self._sim = (self._current, sim)
        if sim.states != self.state.nodes or sim.crashed != self.state.crashed:
            diffs = [
                n
                for n in self.system.ids
                if sim.states.get(n, "crashed") != self.state.nodes.get(n, "crashed")
            ]
            self._diverged[self._current] = (
                f"the simulator's replay differs at {', '.join(diffs)} (a handler uses ctx.now, "
                "ctx.rng, or ctx.choose in init or on_recover, which the replay cannot steer)"
            )
        return sim

    def divergence(self) -> str:
        """Why the simulator's replay of the path differs from the navigator's states (or "").

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")]).divergence()
        ''
        """
        self.simulation()
        return self._diverged.get(self._current, "")

    def diagram(self, window: int | None = 30, ax: Any = None, **options: Any) -> Any:
        """The path so far as a space-time diagram, with the messages in flight dotted.

        Parameters
        ----------
        window : int, optional
            Draw only the last ``window`` steps (default 30; ``None``: all).
        ax : matplotlib Axes, optional
            Draw into it.
        **options
            Passed to ``dslib.viz.space_time_diagram`` (``labels``, ``figsize``, ...).
            Messages are labelled when at most 16 arrows are shown, unless
            ``labels`` says otherwise.

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator.from_steps(ricart_agrawala(2), [("fire", "p1", "want")]).diagram()
        <Figure size 700x180 with 1 Axes>
        """
        from matplotlib.ticker import MaxNLocator

        from dslib.viz.spacetime import space_time_diagram

        sim = self.simulation()
        now = sim.now
        start = max(0.0, now - window) if window is not None else None
        nodes = list(self.system.ids)
        messages = sim.trace.messages()
        if "labels" not in options:
            # Labels help on a short path; past a dozen or so arrows they only clutter.
            shown = [m for m in messages if m["arrived"] is not None]
            if start is not None:
                shown = [m for m in shown if m["arrived"] >= start]
            options["labels"] = len(shown) <= 16
        options.setdefault("figsize", (7.0, 0.9 + 0.45 * max(2, len(nodes))))
        options.setdefault("title", self.heading())
        fig = space_time_diagram(
            sim.trace, nodes=nodes, start=start, end=max(now, 1.0), ax=ax, **options
        )
        axes = fig.axes[0] if ax is None else ax
        lane = {n: len(nodes) - 1 - i for i, n in enumerate(nodes)}
        xs: list[float] = []
        ys: list[float] = []
        for m in messages:
            if m["outcome"] == "in flight" and m["src"] in lane and m["dst"] in lane:
                y0, y1 = lane[m["src"]], lane[m["dst"]]
                xs += [max(m["sent"], start or 0.0), now + 0.6, math.nan]
                ys += [y0, y0 + 0.6 * (y1 - y0), math.nan]
        if xs:  # one line for all of them: cheap to draw however many there are
            axes.plot(xs, ys, linestyle=":", color="#888888", linewidth=1.0, zorder=2)
        lo = (start if start is not None else 0.0) - 0.3
        axes.set_xlim(lo, max(now, 1.0) + 0.9)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("step")
        return fig

    def render(self, window: int | None = 30) -> Any:
        """A static picture of the whole view: the diagram above, the state and invariants below.

        >>> from dslib.small_systems.mutex import ricart_agrawala
        >>> Navigator(ricart_agrawala(2)).render()
        <Figure size 800x349 with 2 Axes>
        """
        import textwrap

        from matplotlib.figure import Figure

        lines: list[str] = []
        for line in self.text(enabled=False).splitlines():
            lines += textwrap.wrap(line, 118, subsequent_indent="      ") or [""]
        n = len(self.system.ids)
        top = 0.9 + 0.45 * max(2, n)
        bottom = 0.135 * len(lines) + 0.2
        fig = Figure(figsize=(8.0, round(top + bottom, 2)), dpi=100)
        grid = fig.add_gridspec(2, 1, height_ratios=(top, bottom))
        ax = fig.add_subplot(grid[0])
        self.diagram(window=window, ax=ax)
        panel = fig.add_subplot(grid[1])
        panel.set_axis_off()
        panel.text(
            0.0, 1.0, "\n".join(lines), family="monospace", fontsize=6.5, va="top", ha="left",
            transform=panel.transAxes,
        )  # fmt: skip
        return fig


_TH = "text-align:left;padding:2px 8px;border-bottom:1px solid #999;"
_TD = "text-align:left;padding:2px 8px;border-bottom:1px solid #ddd;"
_CHANGED = "background:#fff3cd;font-weight:bold;"
_CRASHED = "color:#999;background:#f3f3f3;"
