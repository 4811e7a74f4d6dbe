"""Chapter 7 (message queues): the high watermark, the range assignor, an idempotent sink.

- ``ch07.high_watermark``: where the leader of a partition may put its high watermark,
  given the log ends of the replicas and the in-sync set;
- ``ch07.range_assign``: Kafka's range assignor, partitions to the members of a consumer
  group;
- ``ch07.effectively_once``: an idempotent sink, which turns at-least-once deliveries into
  one write per record. Its last stage feeds it the deliveries of real consumer-group runs
  (``dslib.queues.group_run``, consumers crashing and pausing) and judges the writes with
  ``dslib.queues.check_queue``.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch07.effectively_once").stages]
['examples', 'properties', 'consumer group']

References
----------
.. [1] J. Kreps, N. Narkhede, J. Rao, "Kafka: a Distributed Messaging System for Log
   Processing", NetDB 2011, section 3.2 (consumer groups) and 3.3 (at-least-once delivery).
.. [2] Apache Kafka documentation, Design chapter, "Replication" (the high watermark) and
   "Message Delivery Semantics".
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import hypothesis.strategies as st

from dslib.core import stable_repr
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mismatch,
    Properties,
    Property,
    Stage,
    StageResult,
    call_answer,
)
from dslib.queues.checker import Receive, check_queue
from dslib.queues.groups import (
    GroupConfig,
    group_run,
    range_assignment,
    round_robin_assignment,
)
from dslib.queues.log import producer_sends

__all__ = [
    "EFFECTIVELY_ONCE",
    "HIGH_WATERMARK",
    "RANGE_ASSIGN",
    "first_deliveries",
    "high_watermark_rule",
]


# -- the high watermark -------------------------------------------------------------------------
def high_watermark_rule(log_ends: Mapping[str, int], isr: Sequence[str], current: int) -> int:
    """The leader's rule (``Broker._advance``): the least log end in the ISR, never lower.

    A replica of the ISR missing from ``log_ends`` has fetched nothing yet: it counts 0.

    Examples
    --------
    >>> high_watermark_rule({"b1": 5, "b2": 3, "b3": 1}, ["b1", "b2"], 2)
    3
    """
    return max(current, min(log_ends.get(b, 0) for b in isr))


def _hw_call(args: tuple[Any, ...]) -> str:
    log_ends, isr, current = args
    return f"high_watermark({stable_repr(log_ends)}, {isr!r}, {current!r})"


def _hw_examples() -> list[Example]:
    return [
        Example(({"b1": 5, "b2": 5, "b3": 5}, ["b1", "b2", "b3"], 3), 5),
        Example(({"b1": 5, "b2": 4, "b3": 2}, ["b1", "b2", "b3"], 0), 2),
        Example(({"b1": 7, "b2": 6, "b3": 1}, ["b1", "b2"], 1), 6),
        Example(({"b1": 7, "b2": 3}, ["b1", "b2"], 5), 5),
        Example(({"b1": 4, "b2": 4}, ["b1", "b2", "b3"], 0), 0),
        Example(({"b1": 9}, ["b1"], 2), 9),
    ]


def _hw_hint(log_ends: Mapping[str, int], isr: Sequence[str], current: int, got: Any) -> str | None:
    right = high_watermark_rule(log_ends, isr, current)
    if got == right:
        return None
    ends_isr = [log_ends.get(b, 0) for b in isr]
    outside = sorted(b for b in log_ends if b not in isr)
    missing = sorted(b for b in isr if b not in log_ends)
    if isinstance(got, int) and got < current:
        return (
            f"The high watermark never moves back (it was {current}): consumers may already "
            "have read below it. Return at least current."
        )
    present = [log_ends[b] for b in isr if b in log_ends]
    if missing and present and got == max(current, min(present)):
        return (
            f"{', '.join(missing)} is in the ISR but has fetched nothing yet: it holds no record, "
            "so its log end counts as 0 (log_ends.get(b, 0)); do not skip it."
        )
    if outside and got == max(current, min(log_ends.values())):
        return (
            f"Only the in-sync replicas count: {', '.join(outside)} is out of the ISR and may "
            "lag as far as it likes; waiting for it would stall the partition."
        )
    if got == max(current, max(ends_isr)):
        return (
            "That is the largest log end, the leader's own: a record only the leader holds is "
            "not committed (a new leader from the ISR may not have it). Take the min over the ISR."
        )
    return None


def _hw_diagnose(m: Mismatch) -> str | None:
    log_ends, isr, current = m.example.args
    if m.problem == "raised":
        if isinstance(m.error, KeyError):
            return (
                "A replica of the ISR that has not fetched yet is missing from log_ends: it holds "
                "nothing, so count it as 0 (log_ends.get(b, 0))."
            )
        return None
    if m.problem == "mutated":
        return "Do not change the arguments."
    return _hw_hint(log_ends, isr, current, m.got)


_BROKERS = ["b1", "b2", "b3", "b4", "b5"]


@st.composite
def _hw_cases(draw: Any) -> tuple[dict[str, int], list[str], int]:
    """What a leader ``b1`` knows: its log end, its followers' (never more), its ISR, its mark."""
    followers = _BROKERS[1 : draw(st.integers(1, len(_BROKERS)))]
    end = draw(st.integers(0, 9))
    log_ends = {"b1": end, **{b: draw(st.integers(0, end)) for b in followers}}
    isr = ["b1", *draw(st.lists(st.sampled_from(followers), unique=True))] if followers else ["b1"]
    # a new leader knows its high watermark but not yet its followers' ends: current may
    # exceed the ISR's least log end
    current = draw(st.integers(0, end))
    return log_ends, isr, current


def _hw_check(answer: Any, case: tuple[dict[str, int], list[str], int]) -> Failure | None:
    log_ends, isr, current = case
    got = call_answer(answer, dict(log_ends), list(isr), current)
    right = high_watermark_rule(log_ends, isr, current)
    if got == right:
        return None
    return Failure(
        f"{_hw_call(case)} returned {got!r}; expected {right!r}",
        _hw_hint(log_ends, isr, current, got),
    )


HIGH_WATERMARK = add_exercise(
    id="ch07.high_watermark",
    title="The high watermark",
    statement="""\
Write high_watermark(log_ends, isr, current): where the leader of a partition puts its high
watermark after a follower's fetch.

- log_ends maps a replica's name to its log end offset as the leader knows it (the offset
  its next record would get; the leader's own is there too), such as {"b1": 7, "b2": 5};
- isr is the list of the in-sync replicas (the leader among them);
- current is the high watermark now.

Records below the high watermark are committed: consumers may read them, so no future
leader may lack them. Return the new high watermark: the smallest log end among the
in-sync replicas, but never less than current. A replica of the ISR missing from log_ends
has fetched nothing yet: its log end is 0. Do not change the arguments.

The check runs examples, then a hypothesis property (your function agrees with the rule
on random cases).""",
    answer=FunctionAnswer("high_watermark", ("log_ends", "isr", "current")),
    stages=(
        Examples(
            "examples",
            _hw_examples,
            call_text=_hw_call,
            diagnose=_hw_diagnose,
            default_hint="Take the min of log_ends.get(b, 0) over b in isr, then the max "
            "with current.",
        ),
        Properties(
            "properties",
            [Property("agrees with the rule", _hw_cases(), _hw_check, _hw_call, max_examples=150)],
        ),
    ),
    hints=(
        "A record is committed once every in-sync replica has it.",
        "The high watermark only moves forward.",
    ),
)


# -- the range assignor -------------------------------------------------------------------------
def _assign_call(args: tuple[Any, ...]) -> str:
    members, partitions = args
    return f"range_assign({members!r}, {partitions!r})"


def _assign_examples() -> list[Example]:
    return [
        Example((["c1", "c2"], 4), {"c1": (0, 1), "c2": (2, 3)}),
        Example((["c1", "c2", "c3"], 7), {"c1": (0, 1, 2), "c2": (3, 4), "c3": (5, 6)}),
        Example((["c2", "c1"], 3), {"c1": (0, 1), "c2": (2,)}),
        Example((["c1", "c2", "c3"], 2), {"c1": (0,), "c2": (1,), "c3": ()}),
        Example((["a", "b", "c", "d"], 10), range_assignment(["a", "b", "c", "d"], 10)),
        Example((["solo"], 3), {"solo": (0, 1, 2)}),
    ]


def _assign_hint(members: Sequence[str], partitions: int, got: Any) -> str | None:
    right = range_assignment(members, partitions)
    if got == right:
        return None
    if not isinstance(got, dict):
        return "Return a dict from each member to a tuple of its partitions."
    if any(isinstance(v, list) for v in got.values()):
        return "Give each member a tuple of partitions, such as (0, 1), not a list."
    if sorted(got) != sorted(members):
        return (
            "Every member appears in the result, with () if it gets no partition: a member "
            "left out would not know it is idle."
        )
    if got == round_robin_assignment(members, partitions):
        return (
            "That is the round-robin assignor (partitions dealt in turn); the range assignor "
            "gives each member one contiguous block."
        )
    given = {m: tuple(v) for m, v in range_assignment_in_order(members, partitions).items()}
    if list(members) != sorted(members) and got == given:
        return (
            "Sort the members first: each member computes the assignment on its own, and they "
            "must all get the same answer whatever order they list the group in."
        )
    held = sorted(p for v in got.values() for p in v)
    if held != list(range(partitions)):
        missing = sorted(set(range(partitions)) - set(held))
        return (
            f"Every partition goes to exactly one member; here {missing or held} "
            f"{'is assigned to nobody' if missing else 'is not assigned exactly once'}. With "
            "partitions % len(members) left over, the first members get one more each."
        )
    sizes = [len(v) for v in got.values()]
    if max(sizes) - min(sizes) > 1:
        return (
            "Balance the load: sizes may differ by one at most. The left-over partitions go "
            "one each to the first members (in sorted order), not all to one."
        )
    if sizes != sorted(sizes, reverse=True):
        return (
            "The left-over partitions go one each to the first members in sorted order (Kafka's "
            "rule), not to the last ones: every member must compute the same blocks."
        )
    return None


def range_assignment_in_order(
    members: Sequence[str], partitions: int
) -> dict[str, tuple[int, ...]]:
    """The range assignment computed in the order given, without sorting (a common slip).

    Examples
    --------
    >>> range_assignment_in_order(["c2", "c1"], 3)
    {'c2': (0, 1), 'c1': (2,)}
    """
    order = {m: i for i, m in enumerate(members)}
    by_rank = range_assignment([f"{order[m]:04d}" for m in members], partitions)
    return {m: by_rank[f"{order[m]:04d}"] for m in members}


def _assign_diagnose(m: Mismatch) -> str | None:
    members, partitions = m.example.args
    if m.problem == "mutated":
        return "Do not change the arguments: sort a copy (sorted(members)), not members itself."
    if m.problem == "raised":
        return None
    return _assign_hint(members, partitions, m.got)


_MEMBERS = ["c1", "c2", "c3", "c4", "c5", "c6"]


@st.composite
def _assign_cases(draw: Any) -> tuple[list[str], int]:
    members = draw(st.lists(st.sampled_from(_MEMBERS), min_size=1, max_size=6, unique=True))
    return members, draw(st.integers(0, 12))


def _assign_check(answer: Any, case: tuple[list[str], int]) -> Failure | None:
    members, partitions = case
    got = call_answer(answer, list(members), partitions)
    right = range_assignment(members, partitions)
    if got == right:
        return None
    return Failure(
        f"{_assign_call(case)} returned {got!r}; expected {right!r}",
        _assign_hint(members, partitions, got),
    )


RANGE_ASSIGN = add_exercise(
    id="ch07.range_assign",
    title="The range assignor",
    statement="""\
Write range_assign(members, partitions): which partitions of a topic each member of a
consumer group reads, as Kafka's range assignor decides.

- members is a list of distinct member names, in any order;
- partitions is the number of partitions, numbered 0 .. partitions - 1.

Sort the members. Each gets one contiguous block of partitions, in order: the first member
the lowest ones. Every block has partitions // len(members) partitions, and the first
partitions % len(members) members get one more. Return a dict from every member to the
tuple of its partitions (() if it gets none). Do not change the arguments.

The check runs examples, then a hypothesis property (your function agrees with the
assignor on random groups).""",
    answer=FunctionAnswer("range_assign", ("members", "partitions")),
    stages=(
        Examples(
            "examples",
            _assign_examples,
            call_text=_assign_call,
            diagnose=_assign_diagnose,
            default_hint="Walk through sorted(members), giving each the next n partitions, "
            "n = partitions // len(members), plus one for the first partitions % len(members).",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the range assignor",
                    _assign_cases(),
                    _assign_check,
                    _assign_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "divmod(partitions, len(members)) gives the block size and the left-over.",
        "Sort the members; keep a running start offset.",
    ),
)


# -- the idempotent sink ------------------------------------------------------------------------
Delivery = tuple[int, int, Hashable]


def first_deliveries(deliveries: Sequence[Delivery]) -> list[Hashable]:
    """The reference: the value of each (partition, offset) the first time it is delivered.

    Examples
    --------
    >>> first_deliveries([(0, 0, "a"), (0, 1, "b"), (0, 0, "a"), (1, 0, "a")])
    ['a', 'b', 'a']
    """
    seen: set[tuple[int, int]] = set()
    out = []
    for partition, offset, value in deliveries:
        if (partition, offset) not in seen:
            seen.add((partition, offset))
            out.append(value)
    return out


def _once_call(args: tuple[Any, ...]) -> str:
    return f"effectively_once({args[0]!r})"


def _once_examples() -> list[Example]:
    return [
        Example(([(0, 0, "a"), (0, 1, "b")],), ["a", "b"]),
        Example(
            ([(0, 0, "a"), (0, 1, "b"), (0, 0, "a"), (0, 1, "b"), (0, 2, "c")],), ["a", "b", "c"]
        ),
        Example(([(0, 0, "pay 5"), (0, 1, "pay 5")],), ["pay 5", "pay 5"]),
        Example(([(0, 3, "x"), (1, 3, "y"), (0, 3, "x")],), ["x", "y"]),
        Example(([(1, 0, "b"), (0, 0, "a"), (1, 0, "b")],), ["b", "a"]),
        Example(([],), []),
    ]


def _once_hint(deliveries: Sequence[Delivery], got: Any) -> str | None:
    right = first_deliveries(deliveries)
    if got == right:
        return None
    if not isinstance(got, list):
        return "Return a list of the values written, in the order they are written."
    if got == [v for _, _, v in deliveries]:
        return (
            "A repeat delivery (the same partition and offset again) is the same record: write "
            "it once, the first time."
        )
    values_once = list(dict.fromkeys(v for _, _, v in deliveries))
    if got == values_once:
        return (
            "Two different records may carry the same value (two payments of 5 are two "
            "payments): recognise a record by its (partition, offset), not by its value."
        )
    by_offset: list[Hashable] = []
    offsets: set[int] = set()
    for _p, o, v in deliveries:
        if o not in offsets:
            offsets.add(o)
            by_offset.append(v)
    if got == by_offset:
        return (
            "Offsets count within a partition: offset 3 of partition 0 and offset 3 of "
            "partition 1 are two records. Key by (partition, offset)."
        )
    if sorted(map(repr, got)) == sorted(map(repr, right)):
        return "Keep the order of first delivery: it is the order within each partition."
    return None


def _once_diagnose(m: Mismatch) -> str | None:
    if m.problem == "mutated":
        return "Do not change deliveries: keep what you have seen in a set of your own."
    if m.problem == "raised":
        return None
    return _once_hint(m.example.args[0], m.got)


@st.composite
def _once_cases(draw: Any) -> tuple[list[Delivery]]:
    records = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 4), st.sampled_from("abc")),
            max_size=8,
            unique_by=lambda r: (r[0], r[1]),
        )
    )
    picks = draw(st.lists(st.integers(0, max(0, len(records) - 1)), max_size=12))
    return ([records[i] for i in picks] if records else [],)


def _once_check(answer: Any, case: tuple[list[Delivery]]) -> Failure | None:
    (deliveries,) = case
    got = call_answer(answer, list(deliveries))
    right = first_deliveries(deliveries)
    if got == right:
        return None
    return Failure(
        f"{_once_call(case)} returned {got!r}; expected {right!r}", _once_hint(deliveries, got)
    )


class ConsumerGroupStage(Stage):
    """Feeds the answer what an appending sink received in at-least-once group runs.

    Seeds 0 to 3 of ``group_run`` (two consumers crash and pause; at-least-once commits,
    so a batch is processed again after a crash) give each a list of deliveries with
    repeats; the answer's writes must then be exactly the producer's records, each once,
    in order per key (``check_queue``).
    """

    name = "consumer group"
    seeds = (0, 1, 2, 3)

    def run(self, answer: Any) -> StageResult:
        repeats = 0
        for seed in self.seeds:
            sim = group_run(GroupConfig(policy="at-least-once"), seed=seed)
            stored = sim.states["sink"].stored
            deliveries = [(p, o, value) for _c, p, o, _k, value in stored]
            repeats += len(deliveries) - len({(p, o) for p, o, _ in deliveries})
            got = call_answer(answer, list(deliveries))
            if not isinstance(got, list):
                return StageResult(
                    self.name,
                    False,
                    "not a list",
                    Failure(f"on run {seed} it returned {got!r}, not a list", None, length=1),
                )
            # a record's value is unique in these runs ("p1-7"): find its key and place
            place = {v: (k, p, o) for _c, p, o, k, v in stored}
            receives = [Receive(v, "sink", *place.get(v, (None, None, None))) for v in got]
            result = check_queue(producer_sends(sim.states), receives, "exactly-once")
            if not result.ok:
                return StageResult(
                    self.name,
                    False,
                    f"run {seed}: {result.summary()}",
                    Failure(
                        f"on consumer-group run {seed} ({len(deliveries)} deliveries), your "
                        f"writes judged: {result.summary()}",
                        _once_hint(deliveries, got),
                        length=1,
                    ),
                )
        return StageResult(
            self.name,
            True,
            f"{len(self.seeds)} group runs, {repeats} repeated deliveries, each written once",
        )


EFFECTIVELY_ONCE = add_exercise(
    id="ch07.effectively_once",
    title="An idempotent sink",
    statement="""\
Write effectively_once(deliveries): what an idempotent sink writes when a consumer group
delivers records at least once.

- deliveries is the list of deliveries in the order they reach the sink, each a tuple
  (partition, offset, value). After a consumer crashes, its partitions are read again from
  the last committed offset, so some records are delivered twice or more.

Return the list of values written: each record once, the first time it is delivered, in
the order of those first deliveries. A record is one (partition, offset): two records
may carry the same value. Do not change the argument.

The check runs examples, then a hypothesis property, then feeds your function the
deliveries of consumer-group runs in which consumers crash and pause, and judges what it
writes with the chapter's checker (every record exactly once).""",
    answer=FunctionAnswer("effectively_once", ("deliveries",)),
    stages=(
        Examples(
            "examples",
            _once_examples,
            call_text=_once_call,
            diagnose=_once_diagnose,
            default_hint="Keep a set of the (partition, offset) pairs written; write a value "
            "only if its pair is not in it yet.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the definition",
                    _once_cases(),
                    _once_check,
                    _once_call,
                    max_examples=150,
                )
            ],
        ),
        ConsumerGroupStage(),
    ),
    hints=(
        "What identifies a record in a partitioned log?",
        "A set of the pairs already written is all the state the sink needs.",
    ),
)
