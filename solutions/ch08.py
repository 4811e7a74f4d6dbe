"""Reference solutions of chapter 8's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["find_deadlock", "name_cycle", "snapshot_read"]


def find_deadlock(waits_for: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the wait-for graph, by depth-first search keeping the current path."""
    done: set[str] = set()

    def visit(t: str, path: list[str]) -> list[str] | None:
        if t in path:
            return path[path.index(t) :]
        if t in done:
            return None
        for u in sorted(waits_for.get(t, ())):
            cycle = visit(u, [*path, t])
            if cycle is not None:
                return cycle
        done.add(t)
        return None

    for t in sorted(waits_for):
        cycle = visit(t, [])
        if cycle is not None:
            return cycle
    return None


def snapshot_read(versions: list[tuple[int | None, Hashable]], snapshot_ts: int) -> Hashable:
    """The newest version committed at or before the snapshot, or None."""
    visible = [(ts, v) for ts, v in versions if ts is not None and ts <= snapshot_ts]
    return max(visible, key=lambda version: version[0])[1] if visible else None


def name_cycle(cycle: list[tuple[str, str, str]]) -> str:
    """Adya's name: count the antidependencies, then look for a write-read edge."""
    kinds = [kind for _, _, kind in cycle]
    if kinds.count("rw") >= 2:
        return "G2-item"
    if kinds.count("rw") == 1:
        return "G-single"
    return "G1c" if "wr" in kinds else "G0"
