"""The shard controller: which replica group serves each shard, as numbered configurations.

Keys are hashed into a fixed number of *shards* (``shard_of``); shards, not
keys, are what moves between *replica groups*. The controller keeps the
history of **configurations**: configuration ``n`` says, for every shard, which
group serves it. Groups join and leave; each change makes configuration
``n + 1`` by ``rebalance``, which keeps the shards balanced (every group has
``floor(S / G)`` or ``ceil(S / G)`` of the ``S`` shards) and **moves as few
shards as possible**, because every moved shard is data to copy.

The design follows the idea of the shard controller of MIT's 6.824 course
(join, leave and query, numbered configurations, minimal movement), written
afresh for this book. Here the controller is a single node that persists its
configurations: a crash loses nothing, but while it is down no configuration
can change (the capstone, chapter 17, replaces it by a Raft group:
``dslib.capstone.shardkv``).

Examples
--------
>>> a = rebalance((None,) * 6, ["g1"])
>>> a
('g1', 'g1', 'g1', 'g1', 'g1', 'g1')
>>> b = rebalance(a, ["g1", "g2"])
>>> b, moves(a, b)
(('g1', 'g1', 'g1', 'g2', 'g2', 'g2'), 3)
>>> c = rebalance(b, ["g1", "g2", "g3"])
>>> c, moves(b, c)
(('g1', 'g1', 'g3', 'g2', 'g2', 'g3'), 2)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import NOTHING_PERSISTED, Context, Node
from dslib.sharding.partitioning import Key, stable_hash

__all__ = [
    "AdminReply",
    "Config",
    "ConfigReply",
    "ControllerState",
    "Join",
    "Leave",
    "Query",
    "ShardController",
    "minimal_moves",
    "moves",
    "rebalance",
    "shard_of",
]


def shard_of(key: Key, shards: int) -> int:
    """The shard of ``key``: ``stable_hash(key) % shards``.

    >>> shard_of("user42", 8)
    4
    """
    if not (isinstance(shards, int) and not isinstance(shards, bool) and shards >= 1):
        raise ValueError(f"shard_of: shards={shards!r} must be an int >= 1")
    return stable_hash(key) % shards


def _check_rebalance_args(
    assignment: Sequence[str | None], groups: Collection[str]
) -> tuple[tuple[str | None, ...], list[str]]:
    if isinstance(assignment, str) or not isinstance(assignment, Sequence):
        raise TypeError(
            f"assignment={assignment!r} must be a sequence with one group (or None) per shard"
        )
    if isinstance(groups, str):
        raise TypeError(f"groups={groups!r} must be a collection of group names, not a string")
    names = sorted(set(groups))
    if len(names) != len(list(groups)):
        raise ValueError(f"groups repeat: {sorted(groups)}")
    for g in names:
        if not isinstance(g, str) or not g:
            raise TypeError(f"group {g!r} must be a non-empty string")
    return tuple(assignment), names


def rebalance(assignment: Sequence[str | None], groups: Collection[str]) -> tuple[str | None, ...]:
    """Assign every shard to one of ``groups``, balanced, moving as few shards as possible.

    With ``S`` shards and ``G`` groups, each group gets ``q = S // G`` shards,
    and the ``S % G`` groups that hold the most shards now (ties: by name) get
    ``q + 1``: that keeps the most shards where they are. Each group keeps
    its lowest-numbered shards up to its target; the shards it must give up,
    the shards of groups that are gone and the unassigned ones (``None``) go,
    in shard order, to the groups below their targets, in name order. The
    result is deterministic (it never depends on set or dict order).

    Parameters
    ----------
    assignment : sequence of str or None
        The current group of each shard (``None``: unassigned).
    groups : collection of str
        The groups of the new configuration.

    Returns
    -------
    tuple of str or None
        The new group of each shard; all ``None`` if there are no groups.

    Examples
    --------
    >>> rebalance(("g1", "g1", "g1", "g2"), ["g1", "g2", "g3"])
    ('g1', 'g1', 'g3', 'g2')
    >>> rebalance(("g1", "g2", "g3", "g1"), ["g1", "g3"])  # g2 leaves
    ('g1', 'g3', 'g3', 'g1')
    >>> rebalance(("g1", "g2"), [])
    (None, None)
    """
    current, names = _check_rebalance_args(assignment, groups)
    if not names:
        return (None,) * len(current)
    q, r = divmod(len(current), len(names))
    held: dict[str, list[int]] = {g: [] for g in names}
    free: list[int] = []
    for shard, g in enumerate(current):
        if g in held:
            held[g].append(shard)
        else:
            free.append(shard)
    by_load = sorted(names, key=lambda g: (-len(held[g]), g))
    target = {g: q + (1 if rank < r else 0) for rank, g in enumerate(by_load)}
    new: list[str | None] = list(current)
    for g in names:
        free.extend(held[g][target[g] :])
    free.sort()
    position = 0
    for g in names:
        for _ in range(target[g] - min(len(held[g]), target[g])):
            new[free[position]] = g
            position += 1
    return tuple(new)


def moves(before: Sequence[str | None], after: Sequence[str | None]) -> int:
    """How many shards change group between two assignments.

    >>> moves(("g1", "g1", None), ("g1", "g2", "g2"))
    2
    """
    if len(before) != len(after):
        raise ValueError(f"moves: assignments of {len(before)} and {len(after)} shards differ")
    return sum(1 for a, b in zip(before, after, strict=True) if a != b)


def minimal_moves(assignment: Sequence[str | None], groups: Collection[str]) -> int:
    """The fewest shards any balanced assignment to ``groups`` must move from ``assignment``.

    A group with target ``t`` can keep at most ``min(t, c)`` of the ``c`` shards
    it holds; giving the larger targets to the groups that hold the most keeps
    the most. Everything else moves.

    >>> minimal_moves(("g1", "g1", "g1", "g2"), ["g1", "g2", "g3"])
    1
    """
    current, names = _check_rebalance_args(assignment, groups)
    if not names:
        return sum(1 for g in current if g is not None)
    q, r = divmod(len(current), len(names))
    counts = sorted((sum(1 for g in current if g == name) for name in names), reverse=True)
    kept = sum(min(c, q + (1 if rank < r else 0)) for rank, c in enumerate(counts))
    return len(current) - kept


# -- the controller as a node --------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """Configuration ``num``: the group of every shard, and the groups.

    >>> Config(1, ("g1", "g1"), ("g1",)).owner(1)
    'g1'
    """

    num: int
    shards: tuple[str | None, ...]
    groups: tuple[str, ...] = ()

    def owner(self, shard: int) -> str | None:
        """The group that serves ``shard`` in this configuration."""
        return self.shards[shard]


@dataclass(frozen=True)
class Join:
    """Admin command: group ``group`` joins (``request_id`` deduplicates retries)."""

    request_id: int
    group: str


@dataclass(frozen=True)
class Leave:
    """Admin command: group ``group`` leaves."""

    request_id: int
    group: str


@dataclass(frozen=True)
class AdminReply:
    """The controller's answer to a ``Join`` or ``Leave``: ``ok`` and the latest config number."""

    request_id: int
    ok: bool
    num: int
    reason: str = ""


@dataclass(frozen=True)
class Query:
    """Ask for configuration ``num`` (``-1``, or a number not yet reached: the latest)."""

    num: int = -1


@dataclass(frozen=True)
class ConfigReply:
    """The controller's answer to a ``Query``."""

    config: Config


@dataclass(frozen=True)
class ControllerState:
    """Every configuration so far (configuration ``n`` at index ``n``) and the last admin
    request applied."""

    configs: tuple[Config, ...]
    last_request: int = 0

    @property
    def latest(self) -> Config:
        """The newest configuration."""
        return self.configs[-1]


class ShardController(Node[ControllerState]):
    """The shard controller: applies joins and leaves as new configurations, answers queries.

    Configuration 0 has no groups and no shard assigned. Each ``Join`` of a new
    group or ``Leave`` of a member makes one new configuration with
    ``rebalance``; a join of a member or a leave of a stranger changes nothing;
    the last group may not leave (its data would have nowhere to go). Admin
    commands carry increasing ids, and an old id is answered without applying
    it again. The state is persisted after every change.

    Parameters
    ----------
    shards : int, default 8

    Examples
    --------
    >>> ctrl = ShardController(shards=4)
    >>> ctx = Context("ctrl", ["ctrl", "admin"])
    >>> s = ctrl.on_message(ctx, ctrl.init(ctx), "admin", Join(1, "g1"))
    >>> s = ctrl.on_message(ctx, s, "admin", Join(2, "g2"))
    >>> s.latest
    Config(num=2, shards=('g1', 'g1', 'g2', 'g2'), groups=('g1', 'g2'))
    >>> ctx.sent[-1]
    ('admin', AdminReply(request_id=2, ok=True, num=2, reason=''))
    """

    def __init__(self, shards: int = 8) -> None:
        if not (isinstance(shards, int) and not isinstance(shards, bool) and shards >= 1):
            raise ValueError(f"ShardController: shards={shards!r} must be an int >= 1")
        self.shards = shards

    def init(self, ctx: Context) -> ControllerState:
        return ControllerState((Config(0, (None,) * self.shards, ()),))

    def on_recover(self, ctx: Context, durable: Any) -> ControllerState:
        return self.init(ctx) if durable is NOTHING_PERSISTED else durable

    def on_message(
        self, ctx: Context, state: ControllerState, src: str, msg: Any
    ) -> ControllerState:
        if isinstance(msg, Query):
            n = msg.num
            config = state.configs[n] if 0 <= n < len(state.configs) else state.latest
            ctx.send(src, ConfigReply(config))
            return state
        if isinstance(msg, (Join, Leave)):
            if msg.request_id <= state.last_request:  # a retry of a command already applied
                ctx.send(src, AdminReply(msg.request_id, True, state.latest.num))
                return state
            latest = state.latest
            groups = set(latest.groups)
            if isinstance(msg, Join):
                groups.add(msg.group)
            elif msg.group in groups and len(groups) == 1:
                ctx.send(
                    src,
                    AdminReply(msg.request_id, False, latest.num, "the last group cannot leave"),
                )
                return replace(state, last_request=msg.request_id)
            else:
                groups.discard(msg.group)
            configs = state.configs
            if groups != set(latest.groups):
                config = Config(
                    latest.num + 1, rebalance(latest.shards, groups), tuple(sorted(groups))
                )
                configs = (*configs, config)
            new = ControllerState(configs, msg.request_id)
            ctx.persist(new)
            ctx.send(src, AdminReply(msg.request_id, True, new.latest.num))
            return new
        return state

    def __repr__(self) -> str:
        return f"ShardController({self.shards} shards)"
