"""Throughput and latency of the partitioned log against ``acks`` and the batch size.

Everything is measured in *simulated* time, in the simulator's time units (the network's
one-way latency is one unit; read a unit as a millisecond and "per 1,000 units" as "per
simulated second"). A run has no faults: one producer makes ``messages`` records, one
every ``send_interval``, into one partition replicated on three brokers, and the reader
of ``dslib.queues.log`` polls the leader every ``fetch_interval``.

The leader serves produce requests one at a time and spends ``request_cost`` on each
request and ``record_cost`` on each record in it (``LogConfig``): the per-request cost
(parsing, a write to the log, the answer) that a real broker pays, and that batching
amortises. A producer keeps one request in flight per partition (``max.in.flight`` 1),
so without batching it can send at most one record per round trip: leader service,
network both ways and, with ``acks="all"``, the wait for the followers.

For each run ``measure`` reports

- **throughput**: records acknowledged per 1,000 time units, from the first record made
  to the last one acknowledged (with ``acks=0`` a record counts as acknowledged when it
  is sent);
- **ack latency**: from the moment the application made a record (``send()``) to its
  acknowledgement, p50 and p99;
- **end-to-end latency**: from the moment it was made to the moment the reader got it.

Examples
--------
>>> row = measure(performance_run(LogConfig(**{**PERFORMANCE_WORKLOAD, "messages": 40})))
>>> row["acknowledged"], row["read"]
(40, 40)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from dslib.queues.log import ACKS, LogConfig, ProducerState, ReaderState, log_system
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation
from dslib.stats import percentile

__all__ = [
    "PERFORMANCE_WORKLOAD",
    "measure",
    "performance_run",
    "performance_table",
]

PERFORMANCE_WORKLOAD: dict[str, Any] = {
    "partitions": 1,
    "messages": 150,
    "send_interval": 0.5,
    "linger": 1.0,
    "request_cost": 0.5,
    "record_cost": 0.02,
    "fetch_interval": 1.0,
    "retry_timeout": 100.0,
}
"""The workload of ``performance_table``: 150 records, 2 per time unit, offered to one
partition; a batch that is not full leaves after 1 unit (``linger``); a leader that spends
0.5 units per produce request and 0.02 per record; followers and the reader that fetch
every unit. The retry timeout is long (100 units) so that a slow answer is waited for,
not resent (idempotence would drop the copy, but it would still cost the leader a
request)."""


def performance_run(config: LogConfig, seed: int = 0, until: float | None = None) -> Simulation:
    """One run of ``log_system(config)`` without faults, until the reader has every record.

    Parameters
    ----------
    config : LogConfig
    seed : int, default 0
    until : float, optional
        Stop at this time at the latest (default: 50 units per record, plenty).

    Returns
    -------
    Simulation
        Stopped once every record is made and acknowledged and the reader has read
        nothing new for 10 units (checked every 10 units), or at ``until``. (With
        ``acks=0`` a record the producer made before it knew the leader is dropped and
        counted as sent: the reader never gets it.)

    Raises
    ------
    TypeError
        If ``config`` is not a ``LogConfig``.
    ValueError
        If ``until`` is not > 0.

    Examples
    --------
    >>> sim = performance_run(LogConfig(messages=3))
    >>> len(sim.states["reader"].read), sim.now
    (3, 40.0)
    """
    if not isinstance(config, LogConfig):
        raise TypeError(f"performance_run: config={config!r} must be a LogConfig")
    limit = 50.0 * max(config.messages * config.producers, 1) if until is None else until
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise ValueError(f"performance_run: until={until!r} must be a number > 0")
    total = config.messages * config.producers
    sim = Simulation(log_system(config), seed=seed, network=Network(), record_trace=False)
    read = -1
    while sim.now < limit:
        sim.run(until=min(sim.now + 10.0, limit))
        producers = [st for st in sim.states.values() if isinstance(st, ProducerState)]
        reader = sim.states.get("reader")
        done = sum(t is not None for st in producers for t in st.acked_at) == total
        now_read = len(reader.read) if isinstance(reader, ReaderState) else 0
        if done and now_read == read:
            break
        read = now_read
    return sim


def _latencies(states: Mapping[str, Any]) -> tuple[list[float], list[float], float, float]:
    """Ack latencies, end-to-end latencies, the first make time and the last ack time."""
    made: dict[Any, float] = {}
    acks: list[float] = []
    first, last = float("inf"), 0.0
    for node in sorted(states):
        st = states[node]
        if isinstance(st, ProducerState):
            for (value, *_), t_made, t_acked in zip(st.sends, st.made_at, st.acked_at, strict=True):
                made[value] = t_made
                first = min(first, t_made)
                if t_acked is not None:
                    acks.append(t_acked - t_made)
                    last = max(last, t_acked)
    reader: ReaderState = states["reader"]
    ends = [t - made[v] for (*_, v), t in zip(reader.read, reader.read_at, strict=True)]
    return acks, ends, first, last


def measure(sim: Simulation) -> dict[str, Any]:
    """Throughput and p50/p99 latencies of a finished run (see the module's text).

    Parameters
    ----------
    sim : Simulation
        A run of ``log_system`` (``performance_run``).

    Returns
    -------
    dict
        ``records``, ``acknowledged``, ``read``, ``records per request`` (records made
        over produce requests sent, retries included), ``throughput`` (acknowledged
        records per 1,000 time units), and
        ``ack p50``, ``ack p99``, ``end-to-end p50``, ``end-to-end p99`` (time units,
        ``nan`` when nothing was acknowledged or read).

    Examples
    --------
    >>> row = measure(performance_run(LogConfig(messages=5)))
    >>> row["throughput"], row["ack p50"], row["end-to-end p99"]
    (128.2, 13.0, 19.0)
    """
    acks, ends, first, last = _latencies(sim.states)
    producers = [st for st in sim.states.values() if isinstance(st, ProducerState)]
    records = sum(len(st.sends) for st in producers)
    requests = sum(st.requests for st in producers)
    span = last - first
    nan = float("nan")
    return {
        "records": records,
        "acknowledged": len(acks),
        "read": len(ends),
        "records per request": round(records / requests, 2) if requests else nan,
        "throughput": round(1000.0 * len(acks) / span, 1) if acks and span > 0 else nan,
        "ack p50": round(percentile(acks, 50), 2) if acks else nan,
        "ack p99": round(percentile(acks, 99), 2) if acks else nan,
        "end-to-end p50": round(percentile(ends, 50), 2) if ends else nan,
        "end-to-end p99": round(percentile(ends, 99), 2) if ends else nan,
    }


def performance_table(
    acks: Iterable[int | str] = ACKS,
    batch_sizes: Sequence[int] = (1, 4, 16),
    base: LogConfig | None = None,
    seed: int = 0,
) -> Any:
    """Throughput and latency for every ``acks`` and batch size, one row each.

    Parameters
    ----------
    acks : iterable of {0, 1, "all"}, default all three
    batch_sizes : sequence of int, default (1, 4, 16)
    base : LogConfig, optional
        The other settings (default ``LogConfig(**PERFORMANCE_WORKLOAD)``); its ``acks``
        and ``batch_size`` are replaced.
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Columns ``acks``, ``batch_size``, then those of ``measure``.

    Raises
    ------
    TypeError, ValueError
        If ``base`` is not a ``LogConfig``, or an ``acks`` or batch size is not allowed.

    Examples
    --------
    >>> t = performance_table(acks=["all"], batch_sizes=[1, 8], base=LogConfig(messages=10))
    >>> print(t[["acks", "batch_size", "acknowledged"]].to_string(index=False))
    acks  batch_size  acknowledged
     all           1            10
     all           8            10
    """
    import pandas as pd

    base = LogConfig(**PERFORMANCE_WORKLOAD) if base is None else base
    if not isinstance(base, LogConfig):
        raise TypeError(f"performance_table: base={base!r} must be a LogConfig")
    rows = []
    for a in acks:
        for size in batch_sizes:
            config = replace(base, acks=a, batch_size=size)  # validated by LogConfig
            rows.append(
                {"acks": str(a), "batch_size": size, **measure(performance_run(config, seed))}
            )
    return pd.DataFrame(rows)
