"""Reference solutions of chapter 14's exercises (try first!)."""

from __future__ import annotations

import itertools
from collections.abc import Hashable

from dslib.consensus import Ballot, Promise

__all__ = ["accept", "choose_value", "disjoint_quorums", "promise"]

Vote = tuple[Ballot, Hashable]


def promise(promised: Ballot | None, last_vote: Vote | None, ballot: Ballot) -> Promise | None:
    """Promise a ballot above every promise made, and report the last vote."""
    if promised is None or ballot > promised:
        return Promise(ballot, last_vote)
    return None


def accept(promised: Ballot | None, ballot: Ballot) -> bool:
    """Vote in a ballot not below the promise."""
    return promised is None or ballot >= promised


def choose_value(own: Hashable, last_votes: list[Vote | None]) -> Hashable:
    """P2c: the value of the highest vote reported, else this proposer's own."""
    votes = [vote for vote in last_votes if vote is not None]
    if not votes:
        return own
    return max(votes, key=lambda vote: vote[0])[1]


def disjoint_quorums(
    quorums: list[frozenset[str]],
) -> tuple[frozenset[str], frozenset[str]] | None:
    """Two quorums that share no acceptor, or None if every two intersect."""
    for q1, q2 in itertools.combinations(quorums, 2):
        if not q1 & q2:
            return (q1, q2)
    return None
