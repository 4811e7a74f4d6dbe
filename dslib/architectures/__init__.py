"""Architectures of distributed systems, each runnable and measured (chapter 5).

- ``client_server``: RPC with timeouts, retries, backoff with jitter,
  idempotency keys and server-side deduplication;
- ``p2p``: gossip dissemination (push, pull, push-pull) and a Chord-style DHT;
- ``microservices``: a service graph with timeouts, retries, circuit breakers,
  a cascading failure and a saga with compensations;
- ``events``: a publish/subscribe broker with at-least-once delivery, idempotent
  consumers, and event sourcing with a projection;
- ``soa``: a service registry with heartbeats and discovery, and versioned
  service contracts;
- ``overload``: load shedding, deadline propagation and retry budgets under overload;
- ``outbox``: the dual-write problem and the transactional outbox, with its checker;
- ``registry``: a replicated registry under a partition, consistent (CP) or available (AP);
- ``schema``: schema evolution, reader/writer compatibility and a rolling upgrade;
- ``compare``: one workload on each architecture, measured side by side.

Failure detection (heartbeats, phi accrual, SWIM), which several of them rely
on, is in ``dslib.failure`` (chapter 4).

Examples
--------
>>> from dslib.architectures import compare
>>> compare.ARCHITECTURES[:2]
('client-server', 'peer-to-peer')
"""

from dslib.architectures import (
    client_server,
    compare,
    events,
    microservices,
    outbox,
    overload,
    p2p,
    registry,
    schema,
    soa,
)

__all__ = [
    "client_server",
    "compare",
    "events",
    "microservices",
    "outbox",
    "overload",
    "p2p",
    "registry",
    "schema",
    "soa",
]
