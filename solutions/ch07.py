"""Reference solutions of chapter 7's exercises (try first!)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

__all__ = ["effectively_once", "high_watermark", "range_assign"]


def high_watermark(log_ends: Mapping[str, int], isr: Sequence[str], current: int) -> int:
    """The least log end among the in-sync replicas, never below the current mark."""
    return max(current, min(log_ends.get(replica, 0) for replica in isr))


def range_assign(members: Sequence[str], partitions: int) -> dict[str, tuple[int, ...]]:
    """Sorted members, each a contiguous block; the first ``partitions % n`` one larger."""
    size, extra = divmod(partitions, len(members))
    out, start = {}, 0
    for i, member in enumerate(sorted(members)):
        n = size + (1 if i < extra else 0)
        out[member] = tuple(range(start, start + n))
        start += n
    return out


def effectively_once(deliveries: Sequence[tuple[int, int, Hashable]]) -> list[Hashable]:
    """Write each (partition, offset) once, the first time it is delivered."""
    written: set[tuple[int, int]] = set()
    out = []
    for partition, offset, value in deliveries:
        if (partition, offset) not in written:
            written.add((partition, offset))
            out.append(value)
    return out
