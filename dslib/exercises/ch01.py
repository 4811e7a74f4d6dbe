"""Chapter 1 (what is a distributed system): three exercises.

- ``ch01.pong``: the ``on_message`` handler of a node that answers pings;
- ``ch01.percentile``: the nearest-rank percentile of measured latencies;
- ``ch01.dedup_server``: a counter server that applies each request once,
  although the network duplicates requests and clients retry.

The messages and nodes the exercises use live here, so that a notebook can
import them: ``from dslib.exercises.ch01 import Ping, Pong, PongerState``.

Examples
--------
>>> Ping(3), Pong(3), PongerState()
(Ping(seq=3), Pong(seq=3), PongerState(pings=0))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st

from dslib.basics import Ping, Pong
from dslib.core import Context, Node, System, stable_repr
from dslib.exercises.registry import FunctionAnswer, NodeAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    HandlerExamples,
    HandlerStep,
    Mismatch,
    Mistake,
    Properties,
    Property,
    Purity,
    Raises,
    Scenario,
    SimRun,
    SimulationStage,
    Step,
    call_answer,
    handler_steps,
)
from dslib.sim.clients import Client, Reply, Request
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "Ping",
    "Pinger",
    "Pong",
    "PongerState",
    "nearest_rank",
]


# == ch01.pong ==================================================================================
# Ping and Pong are the messages of chapter 1's ping-pong (dslib.basics), re-exported here.
@dataclass(frozen=True)
class PongerState:
    """The ponger's state: how many pings it has received."""

    pings: int = 0


class Pinger(Node[int]):
    """Sends ``Ping(0) .. Ping(count - 1)`` to ``target`` at once; its state counts pongs."""

    def __init__(self, count: int, target: str = "ponger") -> None:
        self.count = count
        self.target = target

    def init(self, ctx: Context) -> int:
        for seq in range(self.count):
            ctx.send(self.target, Ping(seq))
        return 0

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        return state + 1


_PONG_IDS = ("p1", "p2", "ponger")

_PONG_SCENARIOS = (
    Scenario(
        "the first ping",
        "ponger",
        _PONG_IDS,
        (Step("p1", Ping(0), (("p1", Pong(0)),), PongerState(1)),),
        start=PongerState(0),
    ),
    Scenario(
        "a ping from p2",
        "ponger",
        _PONG_IDS,
        (Step("p2", Ping(7), (("p2", Pong(7)),), PongerState(4)),),
        start=PongerState(3),
    ),
)

_PONG_PURITY = (
    *_PONG_SCENARIOS,
    Scenario(
        "three pings",
        "ponger",
        _PONG_IDS,
        (Step("p1", Ping(0)), Step("p2", Ping(0)), Step("p1", Ping(0))),
        start=PongerState(0),
    ),
)


def _pong_diagnose(hs: HandlerStep) -> str | None:
    step = hs.step
    src, seq = step.src, step.msg.seq
    reply = f"ctx.send(src, Pong(msg.seq)) sends Pong({seq}) back to {src}."
    if hs.problem == "no-state":
        return "Return the next state: return replace(state, pings=state.pings + 1)."
    if hs.problem == "raised" and isinstance(hs.error, AttributeError):
        return (
            "The message is a Ping: its sequence number is msg.seq; the state is a "
            "PongerState: its count is state.pings."
        )
    if hs.problem == "sent":
        sent = hs.sent
        if not sent:
            return "Reply to the ping: " + reply
        if len(sent) > 1 and sorted(d for d, _ in sent) == [i for i in _PONG_IDS if i != "ponger"]:
            return "ctx.broadcast sends to every peer; reply only to src: " + reply
        if len(sent) > 1:
            return "Send exactly one reply per ping: " + reply
        dst, msg = sent[0]
        if dst != src:
            return f"Reply to src, the node the ping came from (here {src}): " + reply
        if isinstance(msg, Pong):
            return (
                f"Reply with the same sequence number as the ping: {stable_repr(Pong(seq))}, "
                f"not {stable_repr(msg)}."
            )
        return f"Reply with a Pong, not {stable_repr(msg)}: " + reply
    if hs.problem == "state":
        after = hs.after
        if after == hs.before:
            return (
                "Count the ping: return replace(state, pings=state.pings + 1) "
                "(from dataclasses import replace)."
            )
        if not isinstance(after, PongerState):
            return f"Return a PongerState (replace(state, ...)), not {stable_repr(after)}."
        return f"pings counts the pings received: {hs.before.pings} before this one, so " + (
            f"{hs.before.pings + 1} after it."
        )
    return None


def _pong_build(factory: Callable[[], Node[Any]], run: SimRun) -> Simulation:
    p = run.params
    system = System({"p1": Pinger(p["count"]), "p2": Pinger(p["count"]), "ponger": factory()})
    network = Network(latency=uniform(0.5, 3.0), loss=p["loss"], duplication=p["dup"])
    return Simulation(system, seed=p["seed"], network=network)


def _pong_runs() -> list[SimRun]:
    runs = []
    for count in (2, 4):
        for seed in range(8):
            params = {"count": count, "seed": seed, "loss": 0.2, "dup": 0.3}
            runs.append(
                SimRun(
                    f"2 pingers, {count} pings each, loss 0.2, duplication 0.3, seed {seed}", params
                )
            )
    return runs


def _pong_judge(sim: Simulation, run: SimRun) -> Failure | None:
    seen: dict[tuple[str, int], int] = {}
    for step in handler_steps(sim.trace, "ponger"):
        if not isinstance(step.msg, Ping):
            continue
        key = (step.src, step.msg.seq)
        seen[key] = seen.get(key, 0) + 1
        want = ((step.src, Pong(step.msg.seq)),)
        pongs = sum(1 for d, m in step.sent if d == step.src and m == Pong(step.msg.seq))
        where = f"at time {step.time:.3f}, {step.msg} from {step.src}"
        if step.sent != want:
            if seen[key] > 1:
                what = (
                    f"{step.msg} from {step.src} was delivered {seen[key]} times "
                    f"(the network duplicated it) and your ponger sent {pongs} Pong for this "
                    "delivery"
                )
                hint = (
                    "Reply to every Ping that is delivered, duplicates included: one Pong per "
                    "delivery. It is the pinger's job to notice a duplicate Pong, not the "
                    "ponger's job to hide it."
                )
            else:
                did = ", ".join(f"{stable_repr(m)} to {d}" for d, m in step.sent) or "nothing"
                what = f"{where}: expected your ponger to send {Pong(step.msg.seq)} to "
                what += f"{step.src}; it sent {did}"
                hint = (
                    "Every Ping gets exactly one Pong with its seq, to its sender, whatever "
                    "the seq and whatever arrived before: messages may arrive out of order, "
                    "twice, or not at all."
                )
            return Failure(what, hint, trace=sim.trace, trace_at=step.index, length=step.end)
        before = step.before.pings if isinstance(step.before, PongerState) else None
        after = step.after.pings if isinstance(step.after, PongerState) else None
        if before is None or after != before + 1:
            return Failure(
                f"{where}: pings went from {before} to {after}; every delivered Ping counts",
                "Count every Ping delivered, duplicates included: pings=state.pings + 1.",
                trace=sim.trace,
                trace_at=step.index,
                length=step.end,
            )
    return None


PONG_STATEMENT = """\
A pinger sends Ping(seq) messages to a ponger, which answers each with Pong(seq).
Write the on_message handler of the Ponger node:

- when a Ping(seq) arrives from node src, send Pong(seq), with the same seq, to src
  (ctx.send(src, Pong(msg.seq))), and to no one else;
- return the next state, with pings (the number of pings received) one higher:
  replace(state, pings=state.pings + 1);
- do this for every Ping that arrives, even one that arrives twice or out of order.

The handler must be pure: use only its arguments, never change the state it is given
(return a new one), keep nothing in self (the node object holds configuration only),
and do nothing random. Ping, Pong and PongerState are in dslib.exercises.ch01.

The check runs two examples, then calls your handler twice on equal inputs (same
input, same output; the input unchanged), then runs small simulations with two pingers
on a network that loses 20% of messages and duplicates 30%: every Ping delivered must
get exactly one Pong."""

PONG = add_exercise(
    id="ch01.pong",
    title="Reply to every ping",
    statement=PONG_STATEMENT,
    answer=NodeAnswer("Ponger", state="PongerState"),
    stages=(
        HandlerExamples(
            "examples",
            _PONG_SCENARIOS,
            observe=lambda s: s,
            observed_text=lambda s: f"state {stable_repr(s)}",
            diagnose=_pong_diagnose,
            default_hint="Reply with ctx.send(src, Pong(msg.seq)) and return "
            "replace(state, pings=state.pings + 1).",
        ),
        Purity("purity", _PONG_PURITY),
        SimulationStage(
            "simulation",
            _pong_runs,
            _pong_build,
            _pong_judge,
            "loss 0.2, duplication 0.3",
        ),
    ),
    hints=(
        "The reply goes to src, the node that sent the ping.",
        "State is a value: return a new PongerState, never change the old one.",
    ),
    imports=(
        "from dataclasses import replace\n"
        "from dslib import Node\n"
        "from dslib.exercises.ch01 import Ping, Pong, PongerState"
    ),
)


# == ch01.percentile =============================================================================
def nearest_rank(n: int, q: int) -> int:
    """The 1-based nearest rank of the ``q``-th percentile of ``n`` values: max(1, ceil(q n/100)).

    Computed with integers, so that it is exact.

    Examples
    --------
    >>> nearest_rank(5, 30), nearest_rank(5, 0), nearest_rank(25, 28), nearest_rank(5, 100)
    (2, 1, 7, 5)
    """
    return max(1, -(-q * n // 100))


def _reference(latencies: list[Any], q: int) -> Any:
    return sorted(latencies)[nearest_rank(len(latencies), q) - 1]


def _pct_call(args: tuple[Any, ...]) -> str:
    xs, q = args
    text = repr(xs) if len(xs) <= 12 else f"list(range(1, {len(xs) + 1}))"
    return f"percentile({text}, {q!r})"


def _pct_examples() -> list[Example]:
    base = [15, 20, 35, 40, 50]
    return [
        Example((base, 30), 20),
        Example((base, 50), 35),
        Example((base, 100), 50),
        Example(([40, 15, 50, 20, 35], 40), 20),
        Example(([3, 1, 2], 0), 1),
        Example(([7.5], 90), 7.5),
        Example((list(range(1, 26)), 28), 7),
        Example(([], 50), Raises(ValueError)),
    ]


def _pct_hint(xs: list[Any], q: int, got: Any) -> str | None:
    """What a wrong value ``got`` for ``percentile(xs, q)`` suggests."""
    n = len(xs)
    s = sorted(xs)
    r = nearest_rank(n, q)
    right = s[r - 1]
    if got == right:
        return None
    if isinstance(got, (int, float)) and got not in xs:
        return (
            f"{got!r} is not one of the values. The nearest-rank percentile never "
            "interpolates between two values (as statistics.quantiles or numpy.percentile "
            "do by default): it is always the value at rank r of the sorted list."
        )
    if q == 0 and got == s[-1]:
        return (
            "For q = 0 the formula gives rank 0, and the rank is at least 1, so the answer is "
            "the minimum. (In Python s[0 - 1] is s[-1], the maximum!)"
        )
    if got == xs[r - 1] and xs != s:
        return (
            "Sort first: ranks are positions in the sorted list (use sorted(latencies); "
            "it returns a new list and leaves the caller's alone)."
        )
    distinct = sorted(set(xs))
    if len(distinct) < n and got == distinct[nearest_rank(len(distinct), q) - 1]:
        return (
            "You ranked the distinct values only (sorted(set(latencies))?). Repeated "
            "values count every time they occur: sort the list itself."
        )
    float_rank = math.ceil(q / 100 * n)
    if float_rank != r and 1 <= float_rank <= n and got == s[float_rank - 1]:
        return (
            f"Floating point: in Python {q} / 100 * {n} is {q / 100 * n!r}, not "
            f"{q * n // 100}, so ceil gives {float_rank} instead of {r}. Compute the rank "
            "with integers: multiply first, -(-q * n // 100), or math.ceil(q * n / 100)."
        )
    if r < n and got == s[r] and s[r] != right:
        return (
            f"Off by one: the rank r = {r} counts from 1, but Python lists count from 0, so "
            f"the value at rank r is s[r - 1] = s[{r - 1}], not s[{r}]."
        )
    if r >= 2 and got == s[r - 2] and s[r - 2] != right:
        return (
            f"Off by one (too low): the rank is r = ceil(q * n / 100) = {r} (round up), and "
            f"the value at rank r is s[r - 1] = s[{r - 1}]."
        )
    return None


_PCT_BASE = [15, 20, 35, 40, 50]

# Usual mistakes, recognised by what the answer does over several calls (a single wrong value
# can be explained by more than one mistake: ignoring q returns the median for q = 30, which
# is also what an off-by-one returns).
_PCT_MISTAKES = (
    Mistake(
        "ignores q",
        lambda f: len({f(list(_PCT_BASE), q) for q in (0, 30, 50, 100)}) == 1,
        "Your answer gives the same value whatever q is (for q = 0, 30, 50 and 100 alike): "
        "the rank depends on q, r = max(1, ceil(q * n / 100)), and the answer is the value at "
        "rank r of the sorted list.",
    ),
)


def _pct_diagnose(m: Mismatch) -> str | None:
    xs, q = m.example.args
    if m.problem == "mutated":
        return (
            "latencies.sort() sorts the caller's list in place: the caller's data changes "
            "behind its back. Use s = sorted(latencies), which returns a new list."
        )
    if m.problem == "no-raise":
        return (
            "An empty list has no percentile: raise ValueError('percentile of an empty "
            "list') instead of returning a value."
        )
    if m.problem == "raised":
        if not xs:
            return "For an empty list, raise ValueError (not another exception)."
        if isinstance(m.error, IndexError):
            return (
                f"An IndexError suggests an off-by-one: ranks count from 1 to n = {len(xs)} "
                "and Python lists from 0 to n - 1, so the value at rank r is s[r - 1]."
            )
        return None
    return _pct_hint(xs, q, m.got)


_LATENCIES = st.lists(st.integers(0, 1000), min_size=1, max_size=20)


def _pct_value(answer: Any, xs: list[int], q: int) -> tuple[Any, Failure | None]:
    given = list(xs)
    got = call_answer(answer, given, q)
    if given != xs:
        return got, Failure(
            f"percentile({xs!r}, {q}) changed its list to {given!r}",
            "Do not change the caller's list: use sorted(latencies), not latencies.sort().",
        )
    return got, None


def _check_range(answer: Any, case: tuple[list[int], int]) -> Failure | None:
    xs, q = case
    got, failure = _pct_value(answer, xs, q)
    if failure is not None:
        return failure
    if got not in xs or not min(xs) <= got <= max(xs):
        return Failure(
            f"percentile({xs!r}, {q}) returned {got!r}, which is not one of the values "
            f"(from {min(xs)} to {max(xs)})",
            _pct_hint(xs, q, got),
        )
    return None


def _check_monotone(answer: Any, case: tuple[list[int], int, int]) -> Failure | None:
    xs, q1, q2 = case
    lo, hi = min(q1, q2), max(q1, q2)
    a, failure = _pct_value(answer, xs, lo)
    if failure is not None:
        return failure
    b, failure = _pct_value(answer, xs, hi)
    if failure is not None:
        return failure
    if a > b:
        return Failure(
            f"percentile(latencies, {lo}) = {a!r} is greater than "
            f"percentile(latencies, {hi}) = {b!r}; a higher q can never give a lower value",
            _pct_hint(xs, lo, a) or _pct_hint(xs, hi, b),
        )
    return None


def _check_definition(answer: Any, case: tuple[list[int], int]) -> Failure | None:
    xs, q = case
    got, failure = _pct_value(answer, xs, q)
    if failure is not None:
        return failure
    right = _reference(xs, q)
    if got == right:
        return None
    hint = _pct_hint(xs, q, got)
    r = nearest_rank(len(xs), q)
    return Failure(
        f"percentile({xs!r}, {q}) returned {got!r}; by the definition the rank is "
        f"r = max(1, ceil({q} * {len(xs)} / 100)) = {r} and the value at rank {r} of "
        f"the sorted list {sorted(xs)!r} is {right!r}",
        hint,
    )


PCT_STATEMENT = """\
Write percentile(latencies, q): the q-th percentile of a list of measured latencies, by
the nearest-rank definition.

- latencies is a non-empty list of numbers, in any order; q is an int, 0 <= q <= 100.
- Sort the values: s_1 <= s_2 <= ... <= s_n (ranks count from 1).
- The rank is r = ceil(q * n / 100), but at least 1. The answer is s_r, the value at
  rank r. It is always one of the values: there is no interpolation.
- So percentile(xs, 0) is the minimum, percentile(xs, 100) the maximum, and
  percentile([15, 20, 35, 40, 50], 30) == 20 (r = ceil(1.5) = 2).
- Compute the rank exactly: 28 / 100 * 25 is 7.000000000000001 in floating point.
- Do not change the caller's list.
- If latencies is empty, raise ValueError: an empty list has no percentile.

The check runs examples, then three hypothesis properties on random lists: the answer is
one of the values, it never decreases when q grows, and it agrees with the definition."""

PERCENTILE = add_exercise(
    id="ch01.percentile",
    answered_by=("percentile", "nearest_rank"),
    title="Percentiles by nearest rank",
    statement=PCT_STATEMENT,
    answer=FunctionAnswer("percentile", ("latencies", "q")),
    stages=(
        Examples(
            "examples",
            _pct_examples,
            call_text=_pct_call,
            diagnose=_pct_diagnose,
            mistakes=_PCT_MISTAKES,
            default_hint="Work the example by hand: sort, compute r = ceil(q * n / 100) "
            "(at least 1), take the r-th value counting from 1.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "one of the values",
                    st.tuples(_LATENCIES, st.integers(0, 100)),
                    _check_range,
                    max_examples=100,
                ),
                Property(
                    "monotone in q",
                    st.tuples(_LATENCIES, st.integers(0, 100), st.integers(0, 100)),
                    _check_monotone,
                    lambda c: f"latencies={c[0]!r}, q={min(c[1], c[2])} and {max(c[1], c[2])}",
                    max_examples=100,
                ),
                Property(
                    "agrees with the definition",
                    st.tuples(_LATENCIES, st.integers(0, 100)),
                    _check_definition,
                    max_examples=200,
                ),
            ],
        ),
    ),
    hints=(
        "sorted(latencies) gives a new sorted list.",
        "Rank r counts from 1; Python indexes from 0.",
    ),
)


# == ch01.dedup_server ===========================================================================
_SERVER_IDS = ("c1", "c2", "server")

_DEDUP_SCENARIOS = (
    Scenario(
        "one increment",
        "server",
        _SERVER_IDS,
        (
            Step(
                "c1",
                Request("c1", 1, "increment", None, 5),
                (("c1", Reply(1, True, 5)),),
                5,
            ),
        ),
    ),
    Scenario(
        "two increments",
        "server",
        _SERVER_IDS,
        (
            Step("c1", Request("c1", 1, "increment", None, 2), (("c1", Reply(1, True, 2)),), 2),
            Step("c1", Request("c1", 2, "increment", None, 3), (("c1", Reply(2, True, 5)),), 5),
        ),
    ),
)

_DEDUP_PURITY = (
    *_DEDUP_SCENARIOS,
    Scenario(
        "a duplicate and a second client",
        "server",
        _SERVER_IDS,
        (
            Step("c1", Request("c1", 1, "increment", None, 2)),
            Step("c1", Request("c1", 1, "increment", None, 2)),
            Step("c2", Request("c2", 1, "increment", None, 1)),
            Step("c1", Request("c1", 2, "increment", None, 1)),
        ),
    ),
)


def _dedup_diagnose(hs: HandlerStep) -> str | None:
    req = hs.step.msg
    if hs.problem == "observe":
        return "Your state must have an int field named counter: the counter's value."
    if hs.problem == "no-state":
        return "Return the next state (the same state if nothing changed), never None."
    if hs.problem == "unhashable":
        return (
            "States must be immutable, hashable values: a frozen dataclass whose fields are "
            "ints, strings, tuples or frozensets (not dicts, lists or sets). To remember the "
            "reply of each request, keep a tuple or frozenset of ((client, request_id), reply) "
            "pairs, and build a new one when you add a pair."
        )
    if hs.problem == "sent":
        if not hs.sent:
            return f"Reply to every request: ctx.send(src, Reply({req.request_id}, True, counter))."
        dst, msg = hs.sent[0]
        if len(hs.sent) > 1:
            return "Send exactly one reply per request."
        if dst != hs.step.src:
            return "Reply to src, the client that sent the request (also req.client)."
        earlier = [
            m
            for step in hs.scenario.steps[: hs.index]
            if step.src == hs.step.src
            for _, m in (step.sent or ())
        ]
        if isinstance(msg, Reply) and msg in earlier:
            return (
                f"You answered request {req.request_id} of {req.client} with the reply to an "
                "earlier request of the same client, as if it were a retry. A request is "
                "identified by the pair (client, request_id): remembering replies by client "
                "alone makes every new request of that client look like a duplicate."
            )
        if isinstance(msg, Reply) and msg.request_id != req.request_id:
            return "The reply carries the request's id: Reply(req.request_id, ...)."
        return (
            "After applying the increment, reply Reply(req.request_id, True, counter) with the "
            "counter's new value."
        )
    if hs.problem == "state":
        return "Add the request's value to the counter: counter + req.value."
    return None


def _dedup_build(factory: Callable[[], Node[Any]], run: SimRun) -> Simulation:
    p = run.params
    nodes: dict[str, Node[Any]] = {"server": factory()}
    for c in range(p["clients"]):
        ops = [("increment", 1 + (c + i) % 3) for i in range(p["ops"])]
        nodes[f"c{c + 1}"] = Client(["server"], ops, timeout=4.0, retries=4)
    network = Network(latency=uniform(0.5, 3.0), loss=p["loss"], duplication=p["dup"])
    return Simulation(System(nodes), seed=p["seed"], network=network)


def _dedup_runs(clients: int, loss: float, dup: float, ops: tuple[int, ...], seeds: int) -> Any:
    def runs() -> list[SimRun]:
        out = []
        for n in ops:
            for seed in range(seeds):
                who = "1 client" if clients == 1 else f"{clients} clients"
                each = f"{n} increment{'s' if n != 1 else ''}" + (" each" if clients > 1 else "")
                label = f"{who}, {each}, loss {loss}, duplication {dup}, seed {seed}"
                params = {"clients": clients, "ops": n, "seed": seed, "loss": loss, "dup": dup}
                out.append(SimRun(label, params))
        return out

    return runs


def _counter(state: Any) -> Any:
    return getattr(state, "counter", None)


def _dedup_judge(sim: Simulation, run: SimRun) -> Failure | None:
    """Check every delivery of a request against the exactly-once specification."""
    applied: dict[tuple[str, int], Reply] = {}
    for step in handler_steps(sim.trace, "server"):
        req = step.msg
        if not isinstance(req, Request):
            continue
        key = (req.client, req.request_id)
        before, after = _counter(step.before), _counter(step.after)
        at = f"At time {step.time:.3f}, request {key} (increment by {req.value})"

        def fail(what: str, hint: str, step: Any = step) -> Failure:
            return Failure(what, hint, trace=sim.trace, trace_at=step.index, length=step.end)

        if not isinstance(before, int) or not isinstance(after, int):
            return fail(
                f"{at}: the state has no int counter (counter was {before!r}, then {after!r})",
                "Your state must have an int field named counter.",
            )
        replies = [(d, m) for d, m in step.sent if isinstance(m, Reply)]
        if key in applied:
            first = applied[key]
            if after != before:
                return fail(
                    f"{at} was delivered again (a duplicate or a retry) and your server "
                    f"applied it again: the counter went from {before} to {after}",
                    "Your server applies a duplicate twice. Remember which requests you have "
                    "applied, keyed by (client, request_id), and do not apply one again; "
                    "answer it with the reply you sent the first time.",
                )
            if not replies:
                return fail(
                    f"{at} was delivered again (a duplicate or a retry of a request already "
                    "applied) and your server did not reply",
                    "Your server does not reply to a retry of an already-applied request. The "
                    "first reply may have been lost, and the client retries until it gets one: "
                    f"send the reply you sent the first time, {first}.",
                )
            if replies != [(req.client, first)]:
                got = ", ".join(f"{stable_repr(m)} to {d}" for d, m in replies)
                hint = (
                    "Answer a duplicate with the same reply you sent the first time: keep the "
                    "reply of each applied request, keyed by (client, request_id)."
                )
                if len(replies) == 1 and replies[0][1] == Reply(req.request_id, True, after):
                    hint = (
                        "You answered the duplicate with the counter's current value; the "
                        "client asked for the value after its own increment. Keep the reply "
                        "of each applied request, keyed by (client, request_id), and send it "
                        "again."
                    )
                return fail(
                    f"{at} was delivered again; the first reply was {first}, this time your "
                    f"server sent {got}",
                    hint,
                )
            continue
        if after == before:
            others = sorted(k for k in applied if k[1] == req.request_id and k[0] != req.client)
            hint = "Apply each new request: add its value to the counter."
            if others:
                hint = (
                    f"Request ids are per client: {others[0][0]} and {req.client} both sent "
                    f"request_id {req.request_id}, and they are different requests. Key what "
                    "you remember by (client, request_id), not by request_id alone."
                )
            return fail(
                f"{at} arrived for the first time and your server did not apply it "
                f"(the counter stayed {before})",
                hint,
            )
        if after != before + req.value:
            return fail(
                f"{at}: the counter went from {before} to {after}, not {before + req.value}",
                "Add the request's value (req.value) to the counter.",
            )
        want = Reply(req.request_id, True, after)
        if replies != [(req.client, want)]:
            got = ", ".join(f"{stable_repr(m)} to {d}" for d, m in replies) or "nothing"
            return fail(
                f"{at} was applied; expected the reply {want} to {req.client}, your server "
                f"sent {got}",
                "Reply to each request with Reply(req.request_id, True, counter after it).",
            )
        applied[key] = want
    return None


DEDUP_STATEMENT = """\
Write a counter server that applies each request exactly once, although the network
duplicates messages and clients retry.

Clients (dslib.sim.Client) send Request(client, request_id, f, key, value) messages with
f == "increment" and value the amount to add (key is None). A client waits for a
Reply(request_id, ok, value); if none comes in time, it sends the same request again, with
the same request_id. Request ids count 1, 2, 3, ... for each client: two clients both send
a request_id 1, so a request is identified by the pair (client, request_id).

Write the Node class CounterServer. Its state must have an int field counter; start from
the ServerState of the stub and add the fields you need, as immutable values (ints,
strings, tuples, frozensets). On each Request delivered:

- the first time a (client, request_id) arrives: add value to counter, and reply
  Reply(request_id, True, counter) to the client, with the counter's new value;
- every later time the same (client, request_id) arrives (a duplicate or a retry): leave
  the counter alone and send the very reply you sent the first time (it may have been lost).

So: (1) each request changes the counter at most once, by its value; (2) every increment
a client saw acknowledged was applied; (3) every delivered request is answered, retries
included, with the reply of its first application.

The check runs two examples, purity checks, then simulations: one client on a network that
duplicates messages, one client on a network that loses them (so the client retries), then
two clients on a network that does both."""

DEDUP_SERVER = add_exercise(
    id="ch01.dedup_server",
    answered_by=("DedupServer", "DedupServer.on_message"),
    title="Apply each request once",
    statement=DEDUP_STATEMENT,
    answer=NodeAnswer("CounterServer", state="ServerState"),
    stages=(
        HandlerExamples(
            "examples",
            _DEDUP_SCENARIOS,
            observe=lambda s: s.counter,
            observed_text=lambda c: f"counter {c!r}",
            diagnose=_dedup_diagnose,
            default_hint="Apply a new request (counter + req.value) and reply "
            "Reply(req.request_id, True, new counter) to src.",
        ),
        Purity("purity", _DEDUP_PURITY),
        SimulationStage(
            "duplicates",
            _dedup_runs(1, 0.0, 0.5, (1, 2, 3), 6),
            _dedup_build,
            _dedup_judge,
            "1 client, duplication 0.5",
        ),
        SimulationStage(
            "loss and retries",
            _dedup_runs(1, 0.3, 0.0, (2, 4), 6),
            _dedup_build,
            _dedup_judge,
            "1 client, loss 0.3, the client retries",
        ),
        SimulationStage(
            "two clients",
            _dedup_runs(2, 0.2, 0.3, (2, 4), 6),
            _dedup_build,
            _dedup_judge,
            "2 clients, loss 0.2, duplication 0.3",
        ),
    ),
    hints=(
        "A request is identified by (client, request_id): request ids are per client.",
        "Keep the reply you sent for each request; a retry gets the same reply.",
    ),
    imports="""\
from dataclasses import dataclass, replace
from dslib import Node
from dslib.sim import Reply, Request

@dataclass(frozen=True)
class ServerState:
    counter: int = 0
    # add what the server must remember, as immutable values (tuple, frozenset, ...)""",
)
