"""Counterexamples a reader can follow: tables, lassos and replay in the simulator.

A ``Counterexample`` is an execution of a model: an initial state, then one
action after another, each with the state it leads to. The checker returns one
when an invariant fails (the execution ends in the bad state), as the witness
of a goal (the execution ends where the goal holds), or as the prefix of a
``Lasso`` (an infinite execution that loops forever, the shape of every
liveness counterexample).

A counterexample prints as a table (step, action, node, what changed);
``to_frame()`` gives the same table as a pandas DataFrame. A counterexample of
an ``ActorModel`` replays in the simulator (``replay``), step by step, which
gives a ``sim.trace`` that ``dslib.viz.space_time_diagram`` draws.

Examples
--------
>>> from dslib.check import Model, check
>>> m = Model(init=[0], actions=lambda n: [("add 2", n + 2), ("add 3", n + 3)] if n < 9 else [])
>>> cex = check(m, invariants={"never 7": lambda n: n != 7}).counterexample
>>> len(cex)
3
>>> print(cex)
step  action         changed
   0  initial state  0
   1  add 2          0 → 2
   2  add 2          2 → 4
   3  add 3          4 → 7
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from dslib.check.model import Model, ModelError, short_repr
from dslib.core import System, stable_repr

if TYPE_CHECKING:
    from dslib.check.actor import ActorModel
    from dslib.sim.simulator import Simulation

__all__ = ["Counterexample", "Lasso", "Step", "replay", "text_table"]


class Step(NamedTuple):
    """One step of an execution: the action taken (``None`` for the initial state) and the
    state it led to.

    >>> Step("inc", 1).action
    'inc'
    """

    action: Any
    state: Any


def text_table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """Render rows of strings as a plain-text table; the first column is right-aligned.

    >>> print(text_table([["1", "x"], ["10", "yy"]], ["n", "name"]))
     n  name
     1  x
    10  yy
    """
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].rjust(widths[0])
        rest = [c.ljust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True)]
        return "  ".join([first, *rest, cells[-1]]).rstrip()

    return "\n".join([line(headers)] + [line(r) for r in rows])


def _rows(model: Model[Any] | None, steps: Sequence[Step], start: int) -> list[list[str]]:
    rows = []
    prev: Any = None
    for i, (action, state) in enumerate(steps):
        number = start + i
        if action is None:
            label, actor = "initial state", ""
            changed = model.changes(None, state, None) if model is not None else stable_repr(state)
        else:
            label = str(action)
            who = model.actor(action) if model is not None else None
            actor = "" if who is None else str(who)
            if model is not None:
                changed = model.changes(prev, state, action)
            else:
                changed = stable_repr(state)
        rows.append([str(number), label, actor, changed])
        prev = state
    return rows


def _render(rows: list[list[str]], extra: list[str] | None = None) -> str:
    with_actor = any(r[2] for r in rows)
    headers = ["step", "action", "node", "changed"]
    if not with_actor:
        rows = [[r[0], r[1], r[3]] for r in rows]
        headers = ["step", "action", "changed"]
    if extra is not None:
        rows = [[*r[:-1], e, r[-1]] for r, e in zip(rows, extra, strict=True)]
        headers = [*headers[:-1], "loop", headers[-1]]
    return text_table(rows, headers)


class Counterexample:
    """An execution of a model: the initial state, then (action, state) steps.

    Parameters
    ----------
    steps : sequence of Step or (action, state) pairs
        The first step's action is ``None`` (the initial state).
    model : Model, optional
        The model it comes from (for printing and replay).
    property : str, optional
        The name of the property it is about.
    kind : str, optional
        ``"invariant"``, ``"goal"``, ``"deadlock"`` or ``"prefix"``.

    Attributes
    ----------
    steps : tuple of Step
    model : Model or None
    property : str or None
    kind : str or None

    Examples
    --------
    >>> cex = Counterexample([(None, 0), ("inc", 1), ("inc", 2)])
    >>> len(cex), cex.actions, cex.final
    (2, ['inc', 'inc'], 2)
    """

    def __init__(
        self,
        steps: Sequence[Step | tuple[Any, Any]],
        model: Model[Any] | None = None,
        property: str | None = None,
        kind: str | None = None,
    ) -> None:
        if not steps:
            raise ValueError("Counterexample needs at least the initial state")
        self.steps: tuple[Step, ...] = tuple(Step(*s) for s in steps)
        if self.steps[0].action is not None:
            raise ValueError("Counterexample: the first step is the initial state (action None)")
        self.model = model
        self.property = property
        self.kind = kind

    @property
    def actions(self) -> list[Any]:
        """The actions taken, in order (the initial state has none)."""
        return [s.action for s in self.steps[1:]]

    @property
    def states(self) -> list[Any]:
        """Every state of the execution, the initial one first."""
        return [s.state for s in self.steps]

    @property
    def final(self) -> Any:
        """The last state (where the invariant fails, or the goal holds)."""
        return self.steps[-1].state

    def __len__(self) -> int:
        return len(self.steps) - 1

    def rows(self) -> list[list[str]]:
        """The table's rows: step, action, node, what changed (strings)."""
        return _rows(self.model, self.steps, 0)

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame with columns step, action, node, changed."""
        import pandas as pd

        rows = self.rows()
        frame = pd.DataFrame(rows, columns=["step", "action", "node", "changed"])
        frame["step"] = frame["step"].astype(int)
        if not any(r[2] for r in rows):
            frame = frame.drop(columns=["node"])
        return frame.set_index("step")

    def __str__(self) -> str:
        return _render(self.rows())

    def __repr__(self) -> str:
        what = f", {self.kind} {self.property!r}" if self.property is not None else ""
        return f"Counterexample({len(self)} steps{what})"


class Lasso:
    """An infinite execution: a prefix, then a cycle repeated forever.

    The prefix ends in the state where the cycle starts; the cycle's last
    state is that state again. An empty cycle means the execution stays in
    the prefix's last state forever (nothing fair is left to do: it stutters).

    Parameters
    ----------
    prefix : Counterexample
    cycle : sequence of Step
    property : str, optional
        The "eventually" property that the execution never satisfies.
    trigger : int, optional
        For a leads-to property ``P ~> Q``: the step where ``P`` holds, after
        which ``Q`` never does (``None`` for an "eventually" property).

    Examples
    --------
    >>> lasso = Lasso(Counterexample([(None, 0), ("go", 1)]), [("back", 2), ("forth", 1)])
    >>> len(lasso.prefix), len(lasso.cycle)
    (1, 2)
    >>> print(lasso)
    step  action         loop  changed
       0  initial state        0
       1  go                   1
       2  back           ↺     2
       3  forth          ↺     1
    then back to step 1, forever
    """

    def __init__(
        self,
        prefix: Counterexample,
        cycle: Sequence[Step | tuple[Any, Any]],
        property: str | None = None,
        *,
        trigger: int | None = None,
    ) -> None:
        self.prefix = prefix
        self.cycle: tuple[Step, ...] = tuple(Step(*s) for s in cycle)
        self.property = property
        if trigger is not None and not (isinstance(trigger, int) and 0 <= trigger <= len(prefix)):
            raise ValueError(
                f"Lasso: trigger={trigger!r} must be a step of the prefix (0 to {len(prefix)})"
            )
        self.trigger = trigger
        if self.cycle and self.cycle[-1].state != prefix.final:
            raise ValueError("Lasso: the cycle must end in the state where it starts")

    @property
    def stutters(self) -> bool:
        """True when the execution just stays in the last state of the prefix forever."""
        return not self.cycle

    def rows(self) -> list[list[str]]:
        """The table's rows (prefix then cycle)."""
        model = self.prefix.model
        rows = self.prefix.rows()
        if self.cycle:
            cyc = _rows(model, [Step(None, self.prefix.final), *self.cycle], len(self.prefix))
            rows += cyc[1:]
        return rows

    def to_frame(self) -> Any:
        """The table as a pandas DataFrame, with a ``loop`` column marking the cycle."""
        import pandas as pd

        rows = self.rows()
        marks = ["↺" if i > len(self.prefix) else "" for i in range(len(rows))]
        frame = pd.DataFrame(rows, columns=["step", "action", "node", "changed"])
        frame.insert(3, "loop", marks)
        frame["step"] = frame["step"].astype(int)
        if not any(r[2] for r in rows):
            frame = frame.drop(columns=["node"])
        return frame.set_index("step")

    def ending(self) -> str:
        """How the execution goes on after the table (the sentence under it)."""
        if self.cycle:
            text = f"then back to step {len(self.prefix)}, forever"
        else:
            text = (
                "then nothing fair is left to do: it stays in step "
                f"{len(self.prefix)}'s state forever"
            )
        if self.trigger is not None:
            text = f"the trigger holds at step {self.trigger}, the target never after it; {text}"
        return text

    def __str__(self) -> str:
        rows = self.rows()
        marks = ["↺" if i > len(self.prefix) else "" for i in range(len(rows))]
        return _render(rows, marks) + "\n" + self.ending()

    def __repr__(self) -> str:
        return f"Lasso(prefix={len(self.prefix)} steps, cycle={len(self.cycle)} steps)"


def actor_steps(
    system: Any, counterexample: Any, who: str, accepted: str
) -> tuple[list[Step], ActorModel]:
    """The steps to take again, and the ``ActorModel``, of a counterexample of ``system``.

    A ``Lasso`` gives its prefix and one turn of its cycle. ``replay`` and
    ``Navigator.from_counterexample`` both start here, so that they load the
    same steps and refuse the same inputs.

    Parameters
    ----------
    system : System
        The system the caller will run the steps on.
    counterexample : Counterexample or Lasso
        From ``check(ActorModel(system), ...)``.
    who : str
        The caller, for the messages.
    accepted : str
        What the caller accepts, for the message when it is given something else.

    Returns
    -------
    (list of Step, ActorModel)

    Raises
    ------
    TypeError
        If it is not a counterexample or a lasso, does not come from an
        ``ActorModel``, or ``system`` is not a ``System``.
    ValueError
        If the model's nodes are not the system's.

    Examples
    --------
    The witness of a goal, one step from the initial state:

    >>> from dslib.check import ActorModel, check
    >>> from dslib.small_systems.mutex import ricart_agrawala
    >>> system = ricart_agrawala(2)
    >>> wants = {"p1 wants": lambda s: s.node("p1").status == "wanting"}
    >>> witness = check(ActorModel(system), goals=wants).witnesses["p1 wants"]
    >>> steps, model = actor_steps(system, witness, "demo", "a counterexample")
    >>> [str(step.action) for step in steps], model.ids
    (['None', "p1: timer 'want'"], ('p1', 'p2'))
    >>> actor_steps(system, "trace", "demo", "a counterexample")
    Traceback (most recent call last):
    ...
    TypeError: demo takes a counterexample, got str
    """
    from dslib.check.actor import ActorModel

    if isinstance(counterexample, Lasso):
        steps = list(counterexample.prefix.steps) + list(counterexample.cycle)
        model = counterexample.prefix.model
    elif isinstance(counterexample, Counterexample):
        steps = list(counterexample.steps)
        model = counterexample.model
    else:
        raise TypeError(f"{who} takes {accepted}, got {type(counterexample).__name__}")
    if not isinstance(model, ActorModel):
        raise TypeError(
            f"{who} needs a counterexample of an ActorModel (a system of nodes); "
            f"this one comes from {model!r}"
        )
    if not isinstance(system, System):
        raise TypeError(f"{who}: system must be a dslib.System, got {type(system).__name__}")
    if tuple(system.ids) != model.ids:
        raise ValueError(
            f"{who}: the system's nodes {list(system.ids)} are not the model's {list(model.ids)}"
        )
    return steps, model


def copies_first(steps: Sequence[Step], model: ActorModel) -> list[tuple[str, str, Any] | None]:
    """For each step, the message that a runtime must copy before it, if any.

    On a duplicating network (``ActorModel(duplicating=True)``) a delivered
    message stays in flight, as in TLA+ specifications. The simulator and the
    navigator consume a message when they deliver it, so before delivering one
    that a later step delivers or loses again, they make a copy (``duplicate``)
    unless two are in flight already.

    Parameters
    ----------
    steps : sequence of Step
        From ``actor_steps``.
    model : ActorModel
        The model the steps come from.

    Returns
    -------
    list of (src, dst, msg) or None
        One entry per step: the message to copy before it, or ``None``.

    Examples
    --------
    >>> from dslib.check import ActorModel, Action
    >>> from dslib.small_systems.twophase import two_phase_system
    >>> model = ActorModel(two_phase_system(2), duplicating=True)
    >>> deliver = Action("deliver", "tm", "rm1", "prepared")
    >>> steps = [Step(None, 0), Step(deliver, 1), Step(deliver, 2)]
    >>> copies_first(steps, model)
    [None, ('rm1', 'tm', 'prepared'), None]
    """
    if not model.duplicating:
        return [None] * len(steps)
    actions = [s.action for s in steps]
    links = [
        (a.src, a.node, a.msg) if a is not None and a.kind in ("deliver", "drop") else None
        for a in actions
    ]
    return [
        link if link is not None and a.kind == "deliver" and link in links[i + 1 :] else None
        for i, (a, link) in enumerate(zip(actions, links, strict=True))
    ]


def replay(
    system: System, counterexample: Counterexample | Lasso, *, seed: int = 0, check: bool = True
) -> Simulation:
    """Replay a counterexample of an ``ActorModel`` in the simulator, step by step.

    Each action becomes a manual step of a fresh ``Simulation(system)``:
    ``sim.deliver`` (with the recorded ``ctx.choose`` choices), ``sim.fire``,
    ``sim.drop``, ``sim.crash``, ``sim.restart``, each one time unit after
    the last, so that step ``k`` of the counterexample happens at time ``k``.
    On a duplicating network a message that the counterexample delivers again
    later is first duplicated with ``sim.duplicate``. For a ``Lasso``, the
    prefix and one turn of the cycle are replayed.

    Parameters
    ----------
    system : System
        The system the model was built from (the same node ids).
    counterexample : Counterexample or Lasso
        From ``check(ActorModel(system), ...)``.
    seed : int, default 0
        The simulation's seed (it matters only for ``ctx.rng``, which the
        checker does not explore).
    check : bool, default True
        After each step, compare every node's state (and which nodes are
        crashed) with the checker's and raise if they differ.

    Returns
    -------
    Simulation
        Its ``trace`` holds the execution; draw it with
        ``dslib.viz.space_time_diagram(sim.trace)``.

    Raises
    ------
    TypeError
        If the counterexample does not come from an ``ActorModel``.
    ModelError
        If the simulator's states differ from the checker's (``check=True``).
        That happens when handlers use ``ctx.rng``, ``ctx.now``, or
        ``ctx.choose`` in ``init`` or ``on_recover``, which the replay cannot
        steer.

    Examples
    --------
    >>> from dslib.check import ActorModel, check
    >>> from dslib.small_systems.mutex import at_most_one_critical, ricart_agrawala
    >>> system = ricart_agrawala(2, mutant="tie_by_timestamp")
    >>> result = check(ActorModel(system), invariants=[at_most_one_critical])
    >>> sim = replay(system, result.counterexample)
    >>> sim.now, sorted(s.status for s in sim.states.values())
    (6.0, ['critical', 'critical'])
    """
    from dslib.check.actor import ActorState
    from dslib.sim.simulator import Simulation

    steps, model = actor_steps(
        system, counterexample, "replay", "a Counterexample or a Lasso from check()"
    )
    sim = Simulation(system, seed=seed)

    def compare(i: int, state: ActorState) -> None:
        if not check:
            return
        expected = state.nodes
        got = sim.states
        if got != expected or sim.crashed != state.crashed:
            what = "the initial state" if i == 0 else f"step {i} ({steps[i].action})"
            diffs = [
                f"{n}: simulator {short_repr(got.get(n, 'crashed'))}, "
                f"checker {short_repr(expected.get(n, 'crashed'))}"
                for n in system.ids
                if got.get(n, "crashed") != expected.get(n, "crashed")
            ]
            raise ModelError(
                f"replay diverged at {what}: " + "; ".join(diffs) + ". The simulator and the "
                "checker disagree when a handler uses ctx.rng or ctx.now, or calls ctx.choose in "
                "init or on_recover, which the replay cannot steer"
            )

    compare(0, steps[0].state)
    copy = copies_first(steps, model)
    for i in range(1, len(steps)):
        action = steps[i].action
        kind = action.kind
        choices = list(action.choices) if action.choices else None
        if kind == "deliver":
            message = copy[i]
            if message is not None and Counter(sim.in_flight())[message] < 2:
                sim.duplicate(*message)
            sim.deliver(action.src, action.node, action.msg, choices=choices)
        elif kind == "fire":
            sim.fire(action.node, action.msg, choices=choices)
        elif kind == "drop":
            sim.drop(action.src, action.node, action.msg)
        elif kind in ("crash", "restart"):
            sim.apply((kind, action.node))  # one step, one time unit, like the others
        else:  # pragma: no cover - ActorModel makes no other kinds
            raise ValueError(f"replay: unknown action kind {kind!r}")
        compare(i, steps[i].state)
    return sim
