"""Reference solutions of chapter 5's exercises (try first!)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from dslib.architectures.microservices import BreakerState
from dslib.architectures.schema import Schema

__all__ = ["backoff", "can_read", "gossip_round", "may_retry", "outbox_problems", "transition"]


def backoff(attempt: int, base: float, cap: float, u: float) -> float:
    """Full jitter below a capped, doubling ceiling; no overflow for large attempts."""
    ceiling = base
    for _ in range(attempt):
        if ceiling >= cap:
            break
        ceiling *= 2
    return u * min(cap, ceiling)


def gossip_round(informed: set[str], choices: dict[str, str], mode: str) -> set[str]:
    """Every contact is decided by the set of the start of the round."""
    after = set(informed)
    for node, peer in choices.items():
        if mode in ("push", "push-pull") and node in informed:
            after.add(peer)
        if mode in ("pull", "push-pull") and node not in informed and peer in informed:
            after.add(node)
    return after


def transition(
    breaker: BreakerState, event: str, now: float, threshold: int, cooldown: float
) -> BreakerState:
    """closed -> open after `threshold` consecutive failures; open -> half-open on the
    first call after the cool-down; half-open -> closed or open on the trial's result."""
    if breaker.mode == "closed":
        if event == "success":
            return replace(breaker, failures=0)
        if event == "failure":
            if breaker.failures + 1 >= threshold:
                return BreakerState("open", 0, now)
            return replace(breaker, failures=breaker.failures + 1)
        return breaker
    if breaker.mode == "open":
        if event == "call" and now - breaker.opened_at >= cooldown:
            return replace(breaker, mode="half-open")
        return breaker
    if event == "success":
        return BreakerState("closed", 0, breaker.opened_at)
    if event == "failure":
        return BreakerState("open", 0, now)
    return breaker


def may_retry(
    attempt: int,
    max_attempts: int,
    time_left: float,
    requests: int,
    retries: int,
    ratio: float | None,
) -> bool:
    """An attempt left, time left, and room in the budget counting this retry."""
    if attempt + 1 >= max_attempts or time_left <= 0:
        return False
    return ratio is None or retries + 1 <= ratio * requests


def outbox_problems(committed: list[int], published: list[int]) -> list[tuple[str, int]]:
    """Count the copies of each event; compare with the commits."""
    copies = Counter(published)
    problems = [("lost", e) for e in committed if copies[e] == 0]
    problems += [("duplicated", e) for e in committed if copies[e] > 1]
    problems += [("invented", e) for e in copies if e not in set(committed)]
    return sorted(problems)


def can_read(reader: Schema, writer: Schema) -> bool:
    """Every reader field: in the writer with the same type (or int read as float), or
    absent from the writer with a default."""
    theirs = {f.name: f.type for f in writer.fields}
    for field in reader.fields:
        if field.name not in theirs:
            if field.default is None:
                return False
        elif (theirs[field.name], field.type) not in ((field.type, field.type), ("int", "float")):
            return False
    return True
