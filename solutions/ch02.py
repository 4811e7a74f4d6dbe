"""Reference solutions of chapter 2's exercises (try first!)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "commit",
    "compare",
    "consistent",
    "deliverable",
    "happened_before",
    "hlc_receive",
    "put",
]


def compare(a: dict[str, int], b: dict[str, int]) -> str:
    """How vector clock ``a`` relates to ``b``: before, after, equal or concurrent."""
    nodes = set(a) | set(b)
    a_le_b = all(a.get(n, 0) <= b.get(n, 0) for n in nodes)
    b_le_a = all(b.get(n, 0) <= a.get(n, 0) for n in nodes)
    if a_le_b and b_le_a:
        return "equal"
    if a_le_b:
        return "before"
    if b_le_a:
        return "after"
    return "concurrent"


def happened_before(events: list[tuple[str, int, Any]]) -> set[tuple[Any, Any]]:
    """Every pair (a, b) with a -> b: program order, send before receive, transitively."""
    after: dict[Any, set[Any]] = {(n, i): set() for n, i, _ in events}
    for n, i, cause in events:
        if (n, i + 1) in after:
            after[(n, i)].add((n, i + 1))
        if cause is not None:
            after[tuple(cause)].add((n, i))
    pairs = set()
    for start in after:
        todo, seen = list(after[start]), set()
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                todo.extend(after[x])
        pairs |= {(start, x) for x in seen}
    return pairs


def hlc_receive(l: float, c: int, msg_l: float, msg_c: int, pt: float) -> tuple[float, int]:  # noqa: E741
    """A hybrid logical clock's (l, c) after receiving a message stamped (msg_l, msg_c)."""
    new_l = max(l, msg_l, pt)
    if new_l == l == msg_l:
        return new_l, max(c, msg_c) + 1
    if new_l == l:
        return new_l, c + 1
    if new_l == msg_l:
        return new_l, msg_c + 1
    return new_l, 0


def deliverable(delivered: dict[str, int], origin: str, deps: dict[str, int]) -> bool:
    """Whether a causal broadcast from ``origin`` carrying ``deps`` may be delivered now."""
    if deps.get(origin, 0) != delivered.get(origin, 0):  # not the sender's next message
        return False
    return all(n <= delivered.get(k, 0) for k, n in deps.items() if k != origin)


def consistent(logs: dict[str, list[Any]], cut: dict[str, int]) -> bool:
    """Whether no message is received inside the cut but sent outside it."""
    inside = {p: logs[p][: cut[p]] for p in cut}
    sent = {msg for events in inside.values() for kind, msg in events if kind == "send"}
    return all(
        msg in sent for events in inside.values() for kind, msg in events if kind == "receive"
    )


def commit(earliest: float, latest: float) -> tuple[float, float]:
    """Spanner's commit timestamp (TT.now().latest) and the wait until TT.after(s)."""
    s = latest
    return s, s - earliest


def put(
    versions: list[tuple[Any, tuple[str, int], dict[str, int]]],
    context: dict[str, int],
    value: Any,
    server: str,
    counter: int,
) -> list[tuple[Any, tuple[str, int], dict[str, int]]]:
    """The versions kept after a put with dotted version vectors, the new one last."""
    kept = [(v, dot, ctx) for v, dot, ctx in versions if context.get(dot[0], 0) < dot[1]]
    return [*kept, (value, (server, counter + 1), dict(context))]
