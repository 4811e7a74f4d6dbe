"""Chapter 17 (the capstone): the rules that keep a shard in one home while it moves.

- ``ch17.dedup``: a shard's table of last requests answers a retry instead of applying it;
- ``ch17.push_rule``: what a group does with a ``ShardPush`` (install, acknowledge, ignore);
- ``ch17.two_homes``: the check that no configuration number gives one shard two groups.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch17.push_rule").stages]
['examples', 'properties']

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm
   (Extended Version)", 2014, section 8 (client sessions: a retried command is answered
   from the session, not applied twice).
.. [2] MIT 6.824 (6.5840), Lab 4 "Sharded Key/Value Service", Part B (shards move between
   groups one configuration at a time, with their deduplication state).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import hypothesis.strategies as st

from dslib.capstone.shardkv import two_homes as _two_homes
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Mistake,
    Properties,
    Property,
    call_answer,
)
from dslib.sharding.controller import Config

__all__ = [
    "DEDUP",
    "PUSH_RULE",
    "TWO_HOMES",
    "dedup_reference",
    "push_reference",
    "two_homes_reference",
]

Entry = tuple[str, int, Any]


# == ch17.dedup ====================================================================================
def dedup_reference(
    last: Sequence[Entry], client: str, number: int, result: Any
) -> tuple[Any, tuple[Entry, ...]]:
    """The rule of ``GroupMachine.apply``: answer a retry from the table, apply a new request.

    Returns ``(reply, table)``: for a request the table has seen (``number`` equal to the
    client's entry) the stored result and the table unchanged; for an older copy (a smaller
    number) ``None`` and the table unchanged; for a new one ``result`` and the table with the
    client's entry replaced by ``(client, number, result)``, sorted.

    >>> dedup_reference((("c1", 3, "x"),), "c1", 3, "y")
    ('x', (('c1', 3, 'x'),))
    >>> dedup_reference((("c1", 3, "x"),), "c1", 4, "y")
    ('y', (('c1', 4, 'y'),))
    >>> dedup_reference((("c2", 1, None),), "c1", 1, True)
    (True, (('c1', 1, True), ('c2', 1, None)))
    """
    for c, n, stored in last:
        if c == client and number <= n:
            return (stored if number == n else None), tuple(last)
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def _always_apply(last: Sequence[Entry], client: str, number: int, result: Any) -> Any:
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def _keeps_every_entry(last: Sequence[Entry], client: str, number: int, result: Any) -> Any:
    for c, n, stored in last:
        if c == client and number <= n:
            return (stored if number == n else None), tuple(last)
    return result, tuple(sorted([*last, (client, number, result)], key=lambda e: (e[0], e[1])))


def _equal_only(last: Sequence[Entry], client: str, number: int, result: Any) -> Any:
    for c, n, stored in last:
        if c == client and number == n:
            return stored, tuple(last)
    table = [e for e in last if e[0] != client] + [(client, number, result)]
    return result, tuple(sorted(table, key=lambda e: e[0]))


def _dedup_call(args: tuple[Any, ...]) -> str:
    return f"dedup({', '.join(repr(a) for a in args)})"


_DEDUP_CASES: list[tuple[tuple[Entry, ...], str, int, Any]] = [
    ((), "c1", 1, None),
    ((("c1", 3, "x"),), "c1", 3, "y"),
    ((("c1", 3, "x"),), "c1", 4, "y"),
    ((("c1", 3, "x"),), "c1", 2, "y"),
    ((("c2", 1, None),), "c1", 1, True),
    ((("c1", 1, None), ("c2", 5, False)), "c2", 5, True),
    ((("c1", 1, None), ("c2", 5, False)), "c2", 6, True),
    ((("c1", 1, None), ("c3", 2, 7)), "c2", 1, None),
    ((("c1", 2, ("a",)),), "c1", 1, None),
]


def _dedup_examples() -> list[Example]:
    return [Example(case, dedup_reference(*case)) for case in _DEDUP_CASES]


def _same(f: Any, other: Any, cases: Sequence[tuple[Any, ...]]) -> bool:
    return all(f(*case) == other(*case) for case in cases)


_DEDUP_MISTAKES = [
    Mistake(
        "always applies",
        lambda f: _same(f, _always_apply, [((("c1", 3, "x"),), "c1", 3, "y")]),
        "Your answer applies a retry again: the table already holds this client's request "
        "with this number, so it was applied (perhaps at the shard's old owner, before the "
        "move). Answer with the stored result and leave the table as it is.",
    ),
    Mistake(
        "keeps every entry",
        lambda f: _same(
            f, _keeps_every_entry, [((("c1", 3, "x"),), "c1", 4, "y"), ((), "c1", 1, None)]
        ),
        "Your table keeps the client's older entries: a client runs one request at a time, "
        "so one entry per client (its last request) is enough. Replace the client's entry.",
    ),
    Mistake(
        "older copy applied",
        lambda f: _same(f, _equal_only, [((("c1", 3, "x"),), "c1", 2, "y")]),
        "Your answer applies a request whose number is smaller than the client's entry: that "
        "is an old copy (a delayed duplicate) of a request the client has already finished. "
        "Apply nothing and reply None.",
    ),
]


@st.composite
def _dedup_case(draw: Any) -> tuple[tuple[Entry, ...], str, int, Any]:
    clients = draw(st.lists(st.sampled_from(["c1", "c2", "c3"]), unique=True, max_size=3))
    last = tuple(
        sorted(
            (c, draw(st.integers(1, 4)), draw(st.sampled_from([None, True, "x", 3])))
            for c in clients
        )
    )
    return (
        last,
        draw(st.sampled_from(["c1", "c2", "c3"])),
        draw(st.integers(1, 5)),
        draw(st.sampled_from([None, False, "y", 4])),
    )


def _dedup_check(answer: Any, case: tuple[Any, ...]) -> Failure | None:
    got = call_answer(answer, *case)
    want = dedup_reference(*case)
    if got == want:
        return None
    return Failure(f"{_dedup_call(case)} returned {got!r}; expected {want!r}", None)


DEDUP = add_exercise(
    id="ch17.dedup",
    title="The shard's table of last requests",
    statement="""\
Write dedup(last, client, number, result): how a shard group applies a client's request
at most once.

- last: the shard's table, a tuple of (client, number, stored_result), at most one entry
  per client, sorted by client;
- client, number: the request's client and its number (a client numbers its requests
  1, 2, 3, ... and keeps the number when it retries);
- result: what applying the request now would return.

Return (reply, table). If the table has the client's entry with the same number, the
request was applied already: reply with the stored result, table unchanged. If the entry
has a larger number, the request is an old copy: reply None, table unchanged. Otherwise
apply it: reply result, and the table with the client's entry replaced by
(client, number, result), sorted by client. Do not change the arguments.""",
    answer=FunctionAnswer("dedup", ("last", "client", "number", "result")),
    stages=(
        Examples(
            "examples",
            _dedup_examples,
            call_text=_dedup_call,
            mistakes=_DEDUP_MISTAKES,
            default_hint="Look for the client's entry first; compare its number with the "
            "request's (equal, larger, or smaller or missing).",
        ),
        Properties(
            "properties",
            [
                Property(
                    "the rule on random tables",
                    _dedup_case(),
                    _dedup_check,
                    _dedup_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "for c, n, stored in last: if c == client and number <= n: ...",
        "The new table: [e for e in last if e[0] != client] + [(client, number, result)], sorted.",
    ),
    answered_by=("GroupMachine.apply",),
)


# == ch17.push_rule ================================================================================
STATUSES = ("serving", "pulling", "leaving", "absent")
"""A shard's statuses at a group (``dslib.sharding.store.Shard``)."""


def push_reference(leader: bool, config_num: int, status: str, push_num: int) -> str:
    """The rule of ``ShardKVServer._on_push``: ``"install"``, ``"ack"`` or ``"ignore"``.

    >>> push_reference(True, 4, "pulling", 4), push_reference(True, 4, "serving", 4)
    ('install', 'ack')
    >>> push_reference(True, 4, "pulling", 5), push_reference(False, 4, "pulling", 4)
    ('ignore', 'ignore')
    """
    if not leader or push_num > config_num:
        return "ignore"
    if push_num == config_num and status == "pulling":
        return "install"
    return "ack"


def _push_call(args: tuple[Any, ...]) -> str:
    return f"push_rule({', '.join(repr(a) for a in args)})"


_PUSH_CASES = [
    (True, 4, "pulling", 4),
    (True, 4, "serving", 4),
    (True, 5, "serving", 4),
    (True, 5, "pulling", 4),
    (True, 4, "pulling", 5),
    (True, 4, "absent", 6),
    (False, 4, "pulling", 4),
    (False, 4, "serving", 3),
    (True, 7, "leaving", 2),
    (True, 3, "absent", 3),
]


def _push_examples() -> list[Example]:
    return [Example(case, push_reference(*case)) for case in _PUSH_CASES]


_PUSH_MISTAKES = [
    Mistake(
        "follower acts",
        lambda f: f(False, 4, "pulling", 4) == "install" and f(False, 4, "serving", 4) == "ack",
        "Your follower acts on a push: only the group's leader can propose the install in "
        "the group's log, and an acknowledgement from a follower would come before the data "
        "is in any log. A follower ignores it; the old owner pushes to every server.",
    ),
    Mistake(
        "installs the future",
        lambda f: f(True, 4, "pulling", 5) == "install",
        "Your group installs a push from a configuration it has not reached: in its own "
        "configuration the shard may not be its to take yet. Ignore it; the old owner pushes "
        "again at every poll until the group catches up.",
    ),
    Mistake(
        "installs a served shard",
        lambda f: f(True, 4, "serving", 4) == "install" and f(True, 5, "serving", 4) == "ack",
        "Your group installs a push for a shard that is not pulling: it serves the shard "
        "already (this push repeats one whose acknowledgement was lost), and installing the "
        "old data again would undo the writes applied since. Install only a pulling shard; "
        "acknowledge the rest.",
    ),
    Mistake(
        "no ack for a repeat",
        lambda f: (
            f(True, 4, "serving", 4) in ("install", "ignore")
            and f(True, 5, "serving", 4) in ("install", "ignore")
        ),
        "Your group does not acknowledge a push it has already installed (or an old "
        "configuration's push): its first acknowledgement may have been lost, and the old "
        "owner keeps the shard leaving, and cannot move on, until it hears one. Acknowledge "
        "it again.",
    ),
]


def _push_check(answer: Any, case: tuple[Any, ...]) -> Failure | None:
    got = call_answer(answer, *case)
    want = push_reference(*case)
    if got == want:
        return None
    return Failure(f"{_push_call(case)} returned {got!r}; expected {want!r}", None)


PUSH_RULE = add_exercise(
    id="ch17.push_rule",
    title="What a group does with a pushed shard",
    statement="""\
Write push_rule(leader, config_num, status, push_num): what a server of a shard group
does when a ShardPush arrives. The push carries the shard's data for configuration
push_num; the server is the group's leader or not (leader, a bool), its group is at
configuration config_num, and the shard's status there is status, one of "serving",
"pulling" (ours in this configuration, data not here yet), "leaving" or "absent".

Return "install" to propose the data in the group's log (it acknowledges once that is
applied), "ack" to acknowledge at once (the data is in the log already, so the old owner
may drop its copy), or "ignore" (do nothing: the old owner pushes again at every poll).""",
    answer=FunctionAnswer("push_rule", ("leader", "config_num", "status", "push_num")),
    stages=(
        Examples(
            "examples",
            _push_examples,
            call_text=_push_call,
            mistakes=_PUSH_MISTAKES,
            default_hint="Three questions in order: am I the leader? have I reached the push's "
            "configuration? is the shard still pulling in exactly that configuration?",
        ),
        Properties(
            "properties",
            [
                Property(
                    "the rule on random pushes",
                    st.tuples(
                        st.booleans(),
                        st.integers(1, 6),
                        st.sampled_from(STATUSES),
                        st.integers(1, 6),
                    ),
                    _push_check,
                    _push_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=(
        "A push of a configuration the group has passed, or of a shard it already serves, "
        "was installed: acknowledge it.",
    ),
    answered_by=("ShardKVServer._on_push",),
)


# == ch17.two_homes ================================================================================
Installed = Mapping[int, Sequence[Sequence[str]]]


def two_homes_reference(installed: Installed) -> list[tuple[int, int, tuple[str, ...]]]:
    """``dslib.capstone.shardkv.two_homes`` on versions given as tuples of owners.

    >>> two_homes_reference({2: [("g1", "g2"), ("g1", "g3")], 3: [("g1", "g1")]})
    [(2, 1, ('g2', 'g3'))]
    """
    as_configs = {n: [Config(n, tuple(v)) for v in versions] for n, versions in installed.items()}
    return _two_homes(as_configs)


def _across_numbers(installed: Installed) -> list[tuple[int, int, tuple[str, ...]]]:
    out = []
    previous: dict[int, str] = {}
    for num in sorted(installed):
        for version in installed[num]:
            for shard, owner in enumerate(version):
                if shard in previous and previous[shard] != owner:
                    out.append((num, shard, tuple(sorted({previous[shard], owner}))))
                previous[shard] = owner
    return sorted(set(out))


def _every_shard(installed: Installed) -> list[tuple[int, int, tuple[str, ...]]]:
    out = []
    for num in sorted(installed):
        versions = installed[num]
        if len(versions) < 2:
            continue
        for shard in range(len(versions[0])):
            out.append((num, shard, tuple(sorted({v[shard] for v in versions}))))
    return out


def _unsorted_owners(installed: Installed) -> list[tuple[int, int, tuple[str, ...]]]:
    out = []
    for num in sorted(installed):
        versions = installed[num]
        for shard in range(len(versions[0]) if versions else 0):
            owners = tuple(v[shard] for v in versions)
            if len(set(owners)) > 1:
                out.append((num, shard, owners))
    return out


def _homes_call(args: tuple[Any, ...]) -> str:
    return f"two_homes({args[0]!r})"


_HOMES_CASES: list[dict[int, list[tuple[str, ...]]]] = [
    {},
    {1: [("g1", "g1")]},
    {1: [("g1", "g1")], 2: [("g1", "g2")]},
    {2: [("g1", "g2"), ("g1", "g3")]},
    {2: [("g1", "g2"), ("g1", "g2")]},
    {1: [("g1", "g1", "g1")], 2: [("g2", "g1", "g1"), ("g1", "g1", "g3")]},
    {3: [("g3", "g2"), ("g2", "g2"), ("g3", "g1")]},
    {1: [("g1", "g2")], 2: [("g2", "g1"), ("g2", "g1")], 3: [("g1", "g1"), ("g2", "g2")]},
]


def _homes_examples() -> list[Example]:
    return [Example((case,), two_homes_reference(case)) for case in _HOMES_CASES]


_HOMES_MISTAKES = [
    Mistake(
        "across numbers",
        lambda f: f({1: [("g1", "g1")], 2: [("g1", "g2")]}) != [],
        "Your answer reports a shard whose owner changes from one configuration number to "
        "the next: that is a migration, the store's normal work. Two homes means two "
        "versions of the *same* number that give the shard to different groups.",
    ),
    Mistake(
        "every shard",
        lambda f: f({2: [("g1", "g2"), ("g1", "g3")]}) == [(2, 0, ("g1",)), (2, 1, ("g2", "g3"))],
        "Your answer reports every shard of a number that has two versions, even a shard the "
        "versions agree on (one group): only shards given to two or more groups have two "
        "homes.",
    ),
    Mistake(
        "owners as found",
        lambda f: (
            f({3: [("g3", "g2"), ("g2", "g2"), ("g3", "g1")]})
            == [(3, 0, ("g3", "g2", "g3")), (3, 1, ("g2", "g2", "g1"))]
        ),
        "Your owners repeat a group and follow the versions' order: give each group once, "
        "sorted (tuple(sorted(set(...)))).",
    ),
]


@st.composite
def _homes_case(draw: Any) -> tuple[dict[int, list[tuple[str, ...]]]]:
    shards = draw(st.integers(1, 3))
    version = st.tuples(*[st.sampled_from(["g1", "g2", "g3"])] * shards)
    nums = draw(st.lists(st.integers(1, 4), unique=True, max_size=3))
    return ({n: draw(st.lists(version, min_size=1, max_size=3)) for n in sorted(nums)},)


def _homes_check(answer: Any, case: tuple[Installed]) -> Failure | None:
    got = call_answer(answer, case[0])
    want = two_homes_reference(case[0])
    if got == want:
        return None
    return Failure(f"{_homes_call(case)} returned {got!r}; expected {want!r}", None)


TWO_HOMES = add_exercise(
    id="ch17.two_homes",
    title="One home per shard per configuration",
    statement="""\
Write two_homes(installed): the check behind "one home". installed maps each
configuration number to the versions of that configuration some group installed during a
run, each version a tuple with the owner (a group name) of shard 0, 1, 2, ...; a correct
controller gives one version per number, a broken one may give several.

Return a list of (number, shard, owners) for every shard that two versions of one number
give to different groups: owners is the tuple of those groups, each once, sorted. Sort the
list by number, then shard. Do not change the argument.""",
    answer=FunctionAnswer("two_homes", ("installed",)),
    stages=(
        Examples(
            "examples",
            _homes_examples,
            call_text=_homes_call,
            mistakes=_HOMES_MISTAKES,
            default_hint="For each number, for each shard: the set of owners over that "
            "number's versions; two or more is two homes.",
        ),
        Properties(
            "properties",
            [
                Property(
                    "the check on random installs",
                    _homes_case(),
                    _homes_check,
                    _homes_call,
                    max_examples=150,
                )
            ],
        ),
    ),
    hints=("owners = {version[shard] for version in installed[number]}",),
    answered_by=("two_homes",),
)
