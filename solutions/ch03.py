"""Reference solutions of chapter 3's exercises (try first!)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["agreement", "find_cti", "shortest_trace"]


def shortest_trace(graph: Any, initial: Hashable, bad: Callable[[Hashable], bool]) -> list | None:
    """A shortest list of actions from ``initial`` to a bad state (breadth first), or None."""
    seen = {initial}
    queue = deque([(initial, [])])
    while queue:
        state, path = queue.popleft()
        if bad(state):
            return path
        for action, nxt in graph.successors(state):
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, action]))
    return None


def agreement(state: Any) -> bool:
    """The resource managers agree with the transaction manager's decision."""
    if state.tm_state == "committed":
        return all(rm in ("prepared", "committed") for rm in state.rm_state)
    return "committed" not in state.rm_state


def find_cti(system: Any, invariant: Callable[[int], bool]) -> tuple[int, int] | None:
    """A state satisfying the invariant with a successor that does not, or None."""
    for before in system.states:
        if invariant(before):
            for after in system.step(before):
                if not invariant(after):
                    return (before, after)
    return None
