"""Real clients for a system that is not the book's: threads that run workloads and record.

The book's clients are nodes (``RaftClient``), and a ``Cluster`` runs them as processes
like any other node. A system written elsewhere (etcd) is reached through its own API,
so its clients are threads here: each runs its workload one operation at a time, with
a real timeout, and records ``invoke`` and ``ok`` / ``fail`` / ``info`` into the same
``History`` the simulator's clients fill, so every checker of the book reads it
unchanged. Times are ``time.monotonic()`` since ``epoch``, in ``time_unit``, the
clock the cluster's nodes use.

Examples
--------
>>> def perform(client, op):
...     f, key, value = op
...     return ("ok", value) if f == "put" else ("fail", None)
>>> history = run_workloads(perform, {"c1": [("put", "x", 1), ("get", "x", None)]})
>>> [(op.f, op.status) for op in history.operations()]
[('put', 'ok'), ('get', 'fail')]
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from dslib.sim.history import Event, History

__all__ = ["Outcome", "run_workloads"]

Outcome = tuple[str, Any]
"""What one operation came to: ``("ok", result)``, ``("fail", None)`` or ``("info", None)``."""

Op = tuple[str, Hashable, Any]


def run_workloads(
    perform: Callable[[str, Op], Outcome],
    workloads: Mapping[str, Sequence[Op]],
    *,
    epoch: float | None = None,
    time_unit: float = 0.001,
    stop: threading.Event | None = None,
    on_complete: Callable[[str, str], None] | None = None,
) -> History:
    """Run each client's workload in a thread of its own; return their ``History``.

    Parameters
    ----------
    perform : callable
        ``perform(client, (f, key, value)) -> (status, result)``: does one operation
        against the system, with its own timeout, and says how it ended: ``"ok"``
        (took effect, with this result), ``"fail"`` (certainly did not) or
        ``"info"`` (may have: a timeout after the request left). It must not raise;
        if it does, the client stops, and the error is raised here after all threads end.
    workloads : mapping of str to sequence of (f, key, value)
        Each client's operations, in order.
    epoch : float, optional
        The ``time.monotonic()`` that counts as time 0 (default: now).
    time_unit : float, default 0.001
        Seconds per unit of history time.
    stop : threading.Event, optional
        When set, each client stops before its next operation.
    on_complete : callable, optional
        ``on_complete(client, status)`` after each operation (for a progress display).

    Returns
    -------
    History
        Every client's events in time order (ties: in the order recorded).

    Raises
    ------
    RuntimeError
        If ``perform`` raised (the message holds its traceback).
    """
    start = time.monotonic() if epoch is None else epoch
    events: list[tuple[float, int, Event]] = []
    lock = threading.Lock()
    errors: list[str] = []

    def record(client: str, type_: str, f: str, value: Any, key: Hashable) -> None:
        with lock:
            when = (time.monotonic() - start) / time_unit
            events.append((when, len(events), Event(client, type_, f, value, when, key)))

    def run(client: str, ops: Sequence[Op]) -> None:
        try:
            for op in ops:
                if stop is not None and stop.is_set():
                    return
                f, key, value = op
                record(client, "invoke", f, value, key)
                status, result = perform(client, op)
                record(client, status, f, result, key)
                if on_complete is not None:
                    on_complete(client, status)
        except Exception:
            errors.append(f"client {client!r}: {traceback.format_exc()}")

    threads = [
        threading.Thread(target=run, args=(c, workloads[c]), name=f"dslib-client-{c}", daemon=True)
        for c in sorted(workloads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("a client's operation raised:\n" + "\n".join(errors))
    return History(e for _, _, e in sorted(events, key=lambda item: item[:2]))
