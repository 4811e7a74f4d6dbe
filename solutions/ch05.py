"""Reference solutions of chapter 5's exercises (try first!)."""

from __future__ import annotations

from dataclasses import replace

from dslib.architectures.microservices import BreakerState

__all__ = ["backoff", "gossip_round", "transition"]


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
