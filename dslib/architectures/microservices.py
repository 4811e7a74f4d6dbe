"""Microservices: a service graph with timeouts, retries, circuit breakers, and sagas.

A request to a microservice system enters at a *gateway* and fans out into
calls between services, each a separate node with its own pool of workers.
The pools are what make failure contagious: a caller waiting for a slow
dependency holds a worker while it waits, so a slow database fills the
workers of the services that call it, then of *their* callers, up to the
gateway, which then turns away requests that never needed the database. That
is a **cascading failure** (Nygard, *Release It!*, 2nd ed., ch. 4 "Stability
Antipatterns": cascading failures, blocked threads). Three patterns contain it
(ch. 5 "Stability Patterns"): **timeouts** bound the wait; a **circuit
breaker** stops calling a dependency that keeps failing and fails fast
instead, until a trial call after a cool-down succeeds; **bulkheads** give
each route its own workers.

A business operation that spans services cannot use one database
transaction. A **saga** (Garcia-Molina and Salem 1987) runs it as a sequence
of local steps, each with a *compensation*; if a step fails, the compensations
of the steps already done run in reverse order, so the whole either happens
or is semantically undone.

- ``breaker_transition`` and ``CircuitBreaker``: the breaker's state machine;
- ``Service``: a node with workers, a queue, routes of dependency calls,
  timeouts, retries, breakers and an optional slow period;
- ``TrafficSource``: open-loop load at the gateway;
- ``shop_system`` and ``cascade_experiment``: the cascade, and its containment;
- ``SagaOrchestrator`` and ``SagaParticipant``; ``SAGA_MUTANTS`` and
  ``SAGA_CHECKS``.

Examples
--------
>>> b = BreakerState()
>>> for t in (1.0, 2.0, 3.0):
...     b = breaker_transition(b, "failure", t, threshold=3, cooldown=10.0)
>>> b
BreakerState(mode='open', failures=0, opened_at=3.0)
>>> breaker_transition(b, "call", 13.0, threshold=3, cooldown=10.0).mode
'half-open'
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.clients import Reply, Request
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "BREAKER_EVENTS",
    "OVERFLOWS",
    "PROTECTIONS",
    "SAGA_CHECKS",
    "SAGA_MUTANTS",
    "BreakerState",
    "CircuitBreaker",
    "Job",
    "NoCompensationOrchestrator",
    "NoTombstoneParticipant",
    "NonIdempotentParticipant",
    "OnceCompensationOrchestrator",
    "ParticipantState",
    "SagaOrchestrator",
    "SagaParticipant",
    "SagaState",
    "Service",
    "ServiceState",
    "TrafficSource",
    "TrafficState",
    "breaker_allows",
    "breaker_transition",
    "cascade_experiment",
    "saga_consistent",
    "saga_system",
    "shop_system",
]

BREAKER_EVENTS = ("call", "success", "failure")
OVERFLOWS = ("reject", "drop")
"""What a ``Service`` does with a request that finds its queue full."""


# == the circuit breaker ======================================================================
@dataclass(frozen=True)
class BreakerState:
    """A circuit breaker: ``closed`` (calls pass), ``open`` (calls fail fast), ``half-open``.

    ``failures`` counts consecutive failures while closed; ``opened_at`` is
    when it last opened.
    """

    mode: str = "closed"
    failures: int = 0
    opened_at: float = 0.0


def breaker_transition(
    state: BreakerState, event: str, now: float, threshold: int, cooldown: float
) -> BreakerState:
    """The breaker's next state after ``event`` at time ``now``.

    - closed: a ``success`` resets ``failures`` to 0; a ``failure`` adds one,
      and the ``threshold``-th consecutive one opens the breaker
      (``opened_at = now``, ``failures = 0``); a ``call`` changes nothing;
    - open: a ``call`` once ``now - opened_at >= cooldown`` becomes the trial
      call (half-open); before that, and for late results, nothing changes;
    - half-open: the trial's ``success`` closes it, its ``failure`` opens it
      again (``opened_at = now``); other calls change nothing (they are
      refused while the trial is out).

    Examples
    --------
    >>> breaker_transition(BreakerState("closed", 2), "success", 5.0, 3, 10.0)
    BreakerState(mode='closed', failures=0, opened_at=0.0)
    >>> breaker_transition(BreakerState("half-open", 0, 1.0), "failure", 12.0, 3, 10.0)
    BreakerState(mode='open', failures=0, opened_at=12.0)
    """
    if event not in BREAKER_EVENTS:
        raise ValueError(f"breaker_transition: event={event!r}; allowed: {BREAKER_EVENTS}")
    mode = state.mode
    if mode == "closed":
        if event == "success":
            return replace(state, failures=0)
        if event == "failure":
            if state.failures + 1 >= threshold:
                return BreakerState("open", 0, now)
            return replace(state, failures=state.failures + 1)
        return state
    if mode == "open":
        if event == "call" and now - state.opened_at >= cooldown:
            return replace(state, mode="half-open")
        return state
    if mode == "half-open":
        if event == "success":
            return BreakerState("closed", 0, state.opened_at)
        if event == "failure":
            return BreakerState("open", 0, now)
        return state
    raise ValueError(f"breaker_transition: unknown mode {mode!r}")


def breaker_allows(before: BreakerState, after: BreakerState) -> bool:
    """Whether a ``call`` that took the breaker from ``before`` to ``after`` may go through.

    >>> breaker_allows(BreakerState("open"), BreakerState("half-open"))
    True
    >>> breaker_allows(BreakerState("half-open"), BreakerState("half-open"))
    False
    """
    return after.mode == "closed" or (before.mode == "open" and after.mode == "half-open")


@dataclass(frozen=True)
class CircuitBreaker:
    """Breaker settings: open after ``threshold`` consecutive failures, try again after
    ``cooldown``.

    Examples
    --------
    >>> cb = CircuitBreaker(threshold=2, cooldown=5.0)
    >>> allowed, s = cb.call(BreakerState(), 0.0)
    >>> s = cb.failure(cb.failure(s, 1.0), 2.0)
    >>> cb.call(s, 3.0)
    (False, BreakerState(mode='open', failures=0, opened_at=2.0))
    """

    threshold: int = 5
    cooldown: float = 10.0

    def __post_init__(self) -> None:
        if not (isinstance(self.threshold, int) and self.threshold >= 1):
            raise ValueError(f"CircuitBreaker: threshold={self.threshold!r} must be an int >= 1")
        if not (isinstance(self.cooldown, (int, float)) and self.cooldown > 0):
            raise ValueError(f"CircuitBreaker: cooldown={self.cooldown!r} must be > 0")

    def call(self, state: BreakerState, now: float) -> tuple[bool, BreakerState]:
        """May a call go through now? And the breaker after asking."""
        after = breaker_transition(state, "call", now, self.threshold, self.cooldown)
        return breaker_allows(state, after), after

    def success(self, state: BreakerState, now: float = 0.0) -> BreakerState:
        """The breaker after a call succeeded."""
        return breaker_transition(state, "success", now, self.threshold, self.cooldown)

    def failure(self, state: BreakerState, now: float) -> BreakerState:
        """The breaker after a call failed (an error or a timeout)."""
        return breaker_transition(state, "failure", now, self.threshold, self.cooldown)


# == services ================================================================================
@dataclass(frozen=True)
class Job:
    """A request a service is working on.

    ``caller``/``request``: who asked what; ``step``: which dependency call
    is next (or under way); ``attempt``: of that call; ``call_id``: the id of
    the outstanding call (0 while doing local work); ``started``: when the
    job got a worker.
    """

    caller: str
    request: Request
    step: int = 0
    attempt: int = 0
    call_id: int = 0
    started: float = 0.0


@dataclass(frozen=True)
class ServiceState:
    """Jobs in progress, requests waiting, breakers per dependency, and counters."""

    active: tuple[Job, ...] = ()
    queue: tuple[tuple[str, Request], ...] = ()
    next_call: int = 0
    breakers: tuple[tuple[str, BreakerState], ...] = ()
    served: int = 0
    failed: int = 0
    rejected: int = 0
    fast_failed: int = 0


Route = tuple[tuple[str, str], ...]


class Service(Node[ServiceState]):
    """A service: a pool of ``workers``, a bounded queue, and a route of calls per operation.

    A request takes a worker (or waits in the queue, or is turned away when
    the queue is full: see ``overflow``), does ``service_time`` of local
    work, then calls its route's dependencies one after the other.
    Each call may have a ``timeout``, ``retries`` and a circuit breaker; a
    failed call fails the request. The worker is held until the reply.

    Parameters
    ----------
    routes : mapping of str to sequence of (service, operation)
        For each operation this service offers, the calls it makes.
    service_time : float or (float, float)
        Local work per request.
    workers, queue : int
        The pool's size and the waiting line's.
    overflow : {"reject", "drop"}, default "reject"
        What happens to a request that finds the queue full: ``"reject"``
        answers ``Reply(ok=False, "overloaded")`` at once; ``"drop"`` says
        nothing, like a full socket buffer, and leaves it to the caller's
        timeout. Both count it in ``ServiceState.rejected``.
    timeout : float, optional
        Per dependency call (``None``: wait forever).
    retries : int, default 0
        Extra attempts of a call that timed out.
    breaker : CircuitBreaker, optional
        One breaker per dependency.
    slow : (start, end, service_time), optional
        Between ``start`` and ``end`` the local work takes ``service_time``
        instead (a degraded database, say).

    Examples
    --------
    >>> Service({"get": [("db", "read")]}, workers=4, timeout=5.0)
    Service(get -> db.read; 4 workers, timeout 5.0)
    """

    def __init__(
        self,
        routes: Mapping[str, Sequence[tuple[str, str]]],
        service_time: float | tuple[float, float] = 0.5,
        workers: int = 10,
        queue: int = 20,
        timeout: float | None = None,
        retries: int = 0,
        breaker: CircuitBreaker | None = None,
        slow: tuple[float, float, float] | None = None,
        overflow: str = "reject",
    ) -> None:
        if not isinstance(routes, Mapping) or not routes:
            raise ValueError(f"Service: routes={routes!r} must map each operation to its calls")
        if not (isinstance(workers, int) and workers >= 1):
            raise ValueError(f"Service: workers={workers!r} must be an int >= 1")
        if not (isinstance(queue, int) and queue >= 0):
            raise ValueError(f"Service: queue={queue!r} must be an int >= 0")
        if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
            raise ValueError(f"Service: timeout={timeout!r} must be > 0 or None")
        if not (isinstance(retries, int) and retries >= 0):
            raise ValueError(f"Service: retries={retries!r} must be an int >= 0")
        if retries and timeout is None:
            raise ValueError("Service: retries need a timeout")
        if overflow not in OVERFLOWS:
            raise ValueError(f"Service: overflow={overflow!r}; allowed: {', '.join(OVERFLOWS)}")
        self.routes: dict[str, Route] = {op: tuple(calls) for op, calls in routes.items()}
        self.service_time = service_time
        self.workers, self.queue_limit = workers, queue
        self.timeout, self.retries, self.breaker = timeout, retries, breaker
        self.slow, self.overflow = slow, overflow
        self.dependencies = tuple(sorted({d for calls in self.routes.values() for d, _ in calls}))

    def init(self, ctx: Context) -> ServiceState:
        return ServiceState(breakers=tuple((d, BreakerState()) for d in self.dependencies))

    # -- helpers ----------------------------------------------------------------------
    def _work_time(self, ctx: Context) -> float | tuple[float, float]:
        if self.slow is not None and self.slow[0] <= ctx.now < self.slow[1]:
            return self.slow[2]
        return self.service_time

    def _start(self, ctx: Context, state: ServiceState, caller: str, req: Request) -> ServiceState:
        if req.f not in self.routes:
            ctx.send(caller, Reply(req.request_id, False, f"unknown operation {req.f!r}"))
            return replace(state, failed=state.failed + 1)
        job = Job(caller, req, started=ctx.now)
        ctx.set_timer(("work", caller, req.request_id), self._work_time(ctx))
        return replace(state, active=(*state.active, job))

    def _finish(
        self, ctx: Context, state: ServiceState, job: Job, ok: bool, value: Any
    ) -> ServiceState:
        ctx.send(job.caller, Reply(job.request.request_id, ok, value))
        active = tuple(j for j in state.active if j is not job)
        state = replace(
            state,
            active=active,
            served=state.served + ok,
            failed=state.failed + (not ok),
        )
        if state.queue:
            (caller, req), rest = state.queue[0], state.queue[1:]
            state = self._start(ctx, replace(state, queue=rest), caller, req)
        return state

    def _breaker(self, state: ServiceState, dep: str) -> BreakerState:
        return dict(state.breakers)[dep]

    def _set_breaker(self, state: ServiceState, dep: str, b: BreakerState) -> ServiceState:
        return replace(state, breakers=tuple((d, b if d == dep else x) for d, x in state.breakers))

    def _call(self, ctx: Context, state: ServiceState, job: Job) -> ServiceState:
        calls = self.routes[job.request.f]
        if job.step >= len(calls):
            return self._finish(ctx, state, job, True, job.request.f)
        dep, op = calls[job.step]
        if self.breaker is not None:
            allowed, b = self.breaker.call(self._breaker(state, dep), ctx.now)
            state = self._set_breaker(state, dep, b)
            if not allowed:
                state = replace(state, fast_failed=state.fast_failed + 1)
                return self._finish(ctx, state, job, False, f"circuit to {dep} open")
        call_id = state.next_call + 1
        ctx.send(dep, Request(ctx.id, call_id, op, job.request.key, job.request.value))
        if self.timeout is not None:
            ctx.set_timer(("timeout", call_id), self.timeout)
        new = replace(job, call_id=call_id)
        active = tuple(new if j is job else j for j in state.active)
        return replace(state, active=active, next_call=call_id)

    def _outcome(self, ctx: Context, state: ServiceState, job: Job, ok: bool) -> ServiceState:
        dep, _op = self.routes[job.request.f][job.step]
        if self.breaker is not None:
            b = self._breaker(state, dep)
            b = self.breaker.success(b, ctx.now) if ok else self.breaker.failure(b, ctx.now)
            state = self._set_breaker(state, dep, b)
        return state

    # -- handlers ---------------------------------------------------------------------
    def on_message(self, ctx: Context, state: ServiceState, src: str, msg: Any) -> ServiceState:
        if isinstance(msg, Request):
            if len(state.active) < self.workers:
                return self._start(ctx, state, src, msg)
            if len(state.queue) < self.queue_limit:
                return replace(state, queue=(*state.queue, (src, msg)))
            if self.overflow == "reject":
                ctx.send(src, Reply(msg.request_id, False, "overloaded"))
            return replace(state, rejected=state.rejected + 1)
        if isinstance(msg, Reply):
            job = next((j for j in state.active if j.call_id == msg.request_id), None)
            if job is None:
                return state  # a reply after we gave up
            ctx.cancel_timer(("timeout", msg.request_id))
            state = self._outcome(ctx, state, job, msg.ok)
            if not msg.ok:
                return self._finish(ctx, state, job, False, msg.value)
            nxt = replace(job, step=job.step + 1, attempt=0, call_id=0)
            state = replace(state, active=tuple(nxt if j is job else j for j in state.active))
            return self._call(ctx, state, nxt)
        return state

    def on_timer(self, ctx: Context, state: ServiceState, timer: Any) -> ServiceState:
        if timer[0] == "work":
            job = next(
                (
                    j
                    for j in state.active
                    if (j.caller, j.request.request_id) == timer[1:] and j.call_id == 0
                ),
                None,
            )
            return state if job is None else self._call(ctx, state, job)
        if timer[0] == "timeout":
            job = next((j for j in state.active if j.call_id == timer[1]), None)
            if job is None:
                return state
            state = self._outcome(ctx, state, job, False)
            if job.attempt < self.retries:
                retry = replace(job, attempt=job.attempt + 1, call_id=0)
                state = replace(state, active=tuple(retry if j is job else j for j in state.active))
                return self._call(ctx, state, retry)
            dep = self.routes[job.request.f][job.step][0]
            return self._finish(ctx, state, job, False, f"timeout calling {dep}")
        return state

    def __repr__(self) -> str:
        routes = ", ".join(
            f"{op} -> {' + '.join(f'{d}.{o}' for d, o in calls) or 'local'}"
            for op, calls in sorted(self.routes.items())
        )
        return f"Service({routes}; {self.workers} workers, timeout {self.timeout})"


@dataclass(frozen=True)
class TrafficState:
    """Requests sent, and each answer: ``(request_id, op, sent, answered, ok)``."""

    sent: tuple[tuple[int, str, float], ...] = ()
    results: tuple[tuple[int, str, float, float, bool], ...] = ()


class TrafficSource(Node[TrafficState]):
    """Open-loop load: ``count`` requests at Poisson times, ``rate`` per time unit.

    Each request's operation is drawn from ``mix`` (operation -> weight).
    Answers are kept in the state; a request never answered counts as failed.

    Examples
    --------
    >>> TrafficSource("gateway", rate=2.0, count=100, mix={"browse": 1, "buy": 1})
    TrafficSource(100 requests at 2.0/unit)
    """

    def __init__(
        self, target: str, rate: float, count: int, mix: Mapping[str, float] | None = None
    ) -> None:
        if not (isinstance(rate, (int, float)) and rate > 0):
            raise ValueError(f"TrafficSource: rate={rate!r} must be > 0")
        if not (isinstance(count, int) and count >= 0):
            raise ValueError(f"TrafficSource: count={count!r} must be an int >= 0")
        mix = dict(mix) if mix is not None else {"get": 1.0}
        if not mix or any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
            raise ValueError(f"TrafficSource: mix={mix!r} needs positive weights")
        self.target, self.rate, self.count = target, float(rate), count
        self.ops = tuple(sorted(mix))
        total = sum(mix.values())
        self.weights = tuple(mix[o] / total for o in self.ops)

    def init(self, ctx: Context) -> TrafficState:
        if self.count:
            ctx.set_timer(("send", 1), ctx.rng.expovariate(self.rate))
        return TrafficState()

    def on_timer(self, ctx: Context, state: TrafficState, timer: Any) -> TrafficState:
        i = timer[1]
        u, acc, op = ctx.rng.random(), 0.0, self.ops[-1]
        for o, w in zip(self.ops, self.weights, strict=True):
            acc += w
            if u < acc:
                op = o
                break
        ctx.send(self.target, Request(ctx.id, i, op))
        if i < self.count:
            ctx.set_timer(("send", i + 1), ctx.rng.expovariate(self.rate))
        return replace(state, sent=(*state.sent, (i, op, ctx.now)))

    def on_message(self, ctx: Context, state: TrafficState, src: str, msg: Any) -> TrafficState:
        if not isinstance(msg, Reply) or not 1 <= msg.request_id <= len(state.sent):
            return state
        i, op, sent = state.sent[msg.request_id - 1]
        return replace(state, results=(*state.results, (i, op, sent, ctx.now, msg.ok)))

    def __repr__(self) -> str:
        return f"TrafficSource({self.count} requests at {self.rate}/unit)"


PROTECTIONS = ("none", "timeouts", "timeouts+breakers")


def shop_system(
    protection: str = "none",
    rate: float = 2.0,
    requests: int = 600,
    slow: tuple[float, float, float] | None = (100.0, 200.0, 40.0),
) -> System:
    """A small shop: gateway, catalog, orders, inventory, payments, and a database.

    ``browse`` goes gateway -> catalog (no database); ``buy`` goes gateway ->
    orders -> inventory -> db, then orders -> payments -> db. During ``slow``
    the database takes ``slow[2]`` per request instead of 0.5. ``protection``
    is ``"none"`` (no timeouts anywhere), ``"timeouts"`` (timeouts and one
    retry at every call) or ``"timeouts+breakers"`` (and a circuit breaker on
    every dependency).

    Examples
    --------
    >>> shop_system().ids
    ('catalog', 'db', 'gateway', 'inventory', 'orders', 'payments', 'users')
    """
    if protection not in PROTECTIONS:
        raise ValueError(f"shop_system: protection={protection!r}; allowed: {PROTECTIONS}")
    guarded = protection != "none"
    breaker = CircuitBreaker(threshold=5, cooldown=10.0) if protection == PROTECTIONS[2] else None

    def svc(routes: Mapping[str, Sequence[tuple[str, str]]], timeout: float, **kw: Any) -> Service:
        return Service(
            routes,
            timeout=timeout if guarded else None,
            retries=1 if guarded else 0,
            breaker=breaker,
            **kw,
        )

    return System(
        {
            "users": TrafficSource("gateway", rate, requests, {"browse": 1.0, "buy": 1.0}),
            "gateway": svc(
                {"browse": [("catalog", "list")], "buy": [("orders", "place")]},
                timeout=30.0,
                service_time=0.05,
                workers=16,
                queue=8,
            ),
            "catalog": Service({"list": []}, service_time=(0.2, 0.6), workers=8, queue=16),
            "orders": svc(
                {"place": [("inventory", "reserve"), ("payments", "charge")]},
                timeout=12.0,
                service_time=0.2,
                workers=12,
                queue=12,
            ),
            "inventory": svc({"reserve": [("db", "write")]}, 8.0, service_time=0.2, workers=8),
            "payments": svc({"charge": [("db", "write")]}, 8.0, service_time=0.2, workers=8),
            "db": Service({"write": []}, service_time=(0.3, 0.7), workers=8, queue=50, slow=slow),
        }
    )


def cascade_experiment(
    protection: str = "none",
    rate: float = 2.0,
    requests: int = 600,
    seed: int = 0,
    bucket: float = 25.0,
    slow: tuple[float, float, float] | None = (100.0, 200.0, 40.0),
) -> dict[str, Any]:
    """Run the shop with a slow database and measure, per route and per ``bucket`` of time,
    the fraction of requests answered ``ok``.

    Returns
    -------
    dict
        ``buckets``: a list of ``{"from", "browse ok", "buy ok", "browse p99"}``
        (fractions of the requests *sent* in that bucket; the p99 latency of
        successful browses); ``browse ok`` and ``buy ok`` over the slow period;
        ``fast failures`` (calls refused by an open breaker); ``latencies``
        (every ``ok`` request's latency, for a CDF).

    Examples
    --------
    >>> r = cascade_experiment("none", requests=300, seed=1)
    >>> r["browse ok"] < 0.9
    True
    """
    system = shop_system(protection, rate, requests, slow)
    sim = Simulation(system, seed=seed, network=Network(uniform(0.02, 0.08)), record_trace=False)
    end = requests / rate + 400.0
    sim.run(until=end)
    st: TrafficState = sim.states["users"]
    answered = {r[0]: r for r in st.results}
    buckets: dict[int, dict[str, list[Any]]] = {}
    during = {"browse": [0, 0], "buy": [0, 0]}
    lo, hi = (slow[0], slow[1]) if slow is not None else (math.inf, math.inf)
    latencies = []
    for i, op, sent in st.sent:
        r = answered.get(i)
        ok = r is not None and r[4]
        b = buckets.setdefault(int(sent // bucket), {"browse": [], "buy": [], "lat": []})
        b[op].append(ok)
        if ok and r is not None:
            latencies.append(r[3] - r[2])
            if op == "browse":
                b["lat"].append(r[3] - r[2])
        if lo <= sent < hi:
            during[op][0] += ok
            during[op][1] += 1
    rows = []
    for k in sorted(buckets):
        b = buckets[k]
        lat = sorted(b["lat"])
        rows.append(
            {
                "from": k * bucket,
                "browse ok": round(statistics.fmean(b["browse"]), 3) if b["browse"] else math.nan,
                "buy ok": round(statistics.fmean(b["buy"]), 3) if b["buy"] else math.nan,
                "browse p99": round(lat[max(0, math.ceil(0.99 * len(lat)) - 1)], 2)
                if lat
                else math.nan,
            }
        )
    return {
        "protection": protection,
        "buckets": rows,
        "browse ok": round(during["browse"][0] / max(1, during["browse"][1]), 3),
        "buy ok": round(during["buy"][0] / max(1, during["buy"][1]), 3),
        "fast failures": sum(
            s.fast_failed for s in sim.states.values() if isinstance(s, ServiceState)
        ),
        "latencies": latencies,
    }


# == sagas ===================================================================================
@dataclass(frozen=True)
class ParticipantState:
    """A participant's resource level and the outcome of each saga it has seen.

    ``outcomes``: ``(saga, "applied" | "rejected" | "compensated")`` pairs;
    ``applications``: how many times an action was applied (for the checks).
    """

    level: int
    outcomes: frozenset[tuple[int, str]] = frozenset()
    applications: int = 0

    def outcome(self, saga: int) -> str | None:
        """What happened to ``saga`` here, or ``None``."""
        for s, what in self.outcomes:
            if s == saga:
                return what
        return None


class SagaParticipant(Node[ParticipantState]):
    """A service with a limited resource (stock, credit) taking part in sagas.

    ``Request(f="do", key=saga, value=amount)`` takes ``amount`` if there is
    enough (``"applied"``), otherwise refuses (``"rejected"``);
    ``Request(f="undo", key=saga)`` gives back what ``do`` took. Both are
    idempotent per saga, and an ``undo`` that arrives *before* its ``do`` leaves
    a tombstone (``"compensated"``), so that the late ``do`` is refused instead
    of applied after its compensation.

    Examples
    --------
    >>> SagaParticipant(10)
    SagaParticipant(capacity 10)
    """

    def __init__(self, capacity: int) -> None:
        if not (isinstance(capacity, int) and capacity >= 0):
            raise ValueError(f"SagaParticipant: capacity={capacity!r} must be an int >= 0")
        self.capacity = capacity

    def init(self, ctx: Context) -> ParticipantState:
        return ParticipantState(self.capacity)

    def _do(self, state: ParticipantState, saga: int, amount: int) -> tuple[ParticipantState, bool]:
        seen = state.outcome(saga)
        if seen is not None:
            return state, seen == "applied"
        if amount <= state.level:
            return self._apply(state, saga, amount), True
        return replace(state, outcomes=state.outcomes | {(saga, "rejected")}), False

    @staticmethod
    def _apply(state: ParticipantState, saga: int, amount: int) -> ParticipantState:
        """Take ``amount`` for ``saga`` (the caller has checked that there is enough)."""
        return replace(
            state,
            level=state.level - amount,
            outcomes=state.outcomes | {(saga, "applied")},
            applications=state.applications + 1,
        )

    def _undo(self, state: ParticipantState, saga: int, amount: int) -> ParticipantState:
        seen = state.outcome(saga)
        if seen == "applied":
            return replace(
                state,
                level=state.level + amount,
                outcomes=(state.outcomes - {(saga, "applied")}) | {(saga, "compensated")},
            )
        if seen is None:
            return replace(state, outcomes=state.outcomes | {(saga, "compensated")})
        return state

    def on_message(
        self, ctx: Context, state: ParticipantState, src: str, msg: Any
    ) -> ParticipantState:
        if not isinstance(msg, Request):
            return state
        if msg.f == "do":
            state, ok = self._do(state, int(msg.key), msg.value)  # type: ignore[call-overload]
            ctx.send(src, Reply(msg.request_id, ok, msg.key))
            return state
        if msg.f == "undo":
            state = self._undo(state, int(msg.key), msg.value)  # type: ignore[call-overload]
            ctx.send(src, Reply(msg.request_id, True, msg.key))
            return state
        return state

    def __repr__(self) -> str:
        return f"SagaParticipant(capacity {self.capacity})"


@dataclass(frozen=True)
class SagaState:
    """The orchestrator: the saga under way, its step and phase, and every finished saga.

    ``phase`` is ``"forward"`` or ``"compensating"``; ``done`` the steps whose
    action may have been applied (to compensate); ``finished`` is
    ``(saga, "committed" | "aborted")`` pairs.
    """

    saga: int = 0
    step: int = 0
    phase: str = "idle"
    attempt: int = 0
    request_id: int = 0
    done: tuple[int, ...] = ()
    finished: tuple[tuple[int, str], ...] = ()


class SagaOrchestrator(Node[SagaState]):
    """Runs sagas one after the other over ``participants`` (in order), with compensations.

    Saga ``s`` (1, 2, ...) asks each participant in turn to ``do`` ``amounts[s-1]``.
    A refusal aborts: the steps done so far are compensated in reverse order.
    A step that gets no answer after ``attempts`` tries aborts too, and is
    compensated itself, since it may have been applied. Compensations are
    retried until acknowledged: a compensation must not be lost.

    Examples
    --------
    >>> from dslib import Simulation
    >>> sim = Simulation(saga_system([5, 8], capacities=(10, 10))).run()
    >>> sim.states["orchestrator"].finished
    ((1, 'committed'), (2, 'aborted'))
    >>> saga_consistent(sim.states)
    True
    """

    def __init__(
        self,
        participants: Sequence[str],
        amounts: Sequence[int],
        timeout: float = 5.0,
        attempts: int = 3,
    ) -> None:
        if isinstance(participants, str) or not participants:
            raise ValueError(f"SagaOrchestrator: participants={participants!r} must be a list")
        if not (isinstance(attempts, int) and attempts >= 1):
            raise ValueError(f"SagaOrchestrator: attempts={attempts!r} must be an int >= 1")
        self.participants = tuple(participants)
        self.amounts = tuple(amounts)
        self.timeout, self.attempts = float(timeout), attempts

    def init(self, ctx: Context) -> SagaState:
        if self.amounts:
            return self._send(ctx, SagaState(saga=1, step=0, phase="forward"))
        return SagaState()

    def _send(self, ctx: Context, state: SagaState, fresh: bool = True) -> SagaState:
        # A retry is the same request again, with the same id: the participant's
        # answer to any copy completes it.
        rid = state.request_id + 1 if fresh else state.request_id
        f = "do" if state.phase == "forward" else "undo"
        amount = self.amounts[state.saga - 1]
        ctx.send(self.participants[state.step], Request(ctx.id, rid, f, state.saga, amount))
        ctx.set_timer(("timeout", rid), self.timeout)
        return replace(state, request_id=rid)

    def _compensate(self, ctx: Context, state: SagaState) -> SagaState:
        if not state.done:
            return self._end(ctx, state, "aborted")
        last, rest = state.done[-1], state.done[:-1]
        return self._send(
            ctx, replace(state, phase="compensating", step=last, done=rest, attempt=0)
        )

    def _end(self, ctx: Context, state: SagaState, outcome: str) -> SagaState:
        state = replace(
            state,
            finished=(*state.finished, (state.saga, outcome)),
            done=(),
            attempt=0,
            step=0,
        )
        if state.saga < len(self.amounts):
            return self._send(ctx, replace(state, saga=state.saga + 1, phase="forward"))
        return replace(state, phase="idle")

    def _on_reply(self, ctx: Context, state: SagaState, ok: bool) -> SagaState:
        if state.phase == "compensating":
            return self._compensate(ctx, state)
        if not ok:
            return self._compensate(ctx, state)
        state = replace(state, done=(*state.done, state.step), attempt=0)
        if state.step + 1 < len(self.participants):
            return self._send(ctx, replace(state, step=state.step + 1))
        return self._end(ctx, state, "committed")

    def on_message(self, ctx: Context, state: SagaState, src: str, msg: Any) -> SagaState:
        if (
            not isinstance(msg, Reply)
            or msg.request_id != state.request_id
            or state.phase == "idle"
        ):
            return state
        ctx.cancel_timer(("timeout", msg.request_id))
        return self._on_reply(ctx, state, msg.ok)

    def on_timer(self, ctx: Context, state: SagaState, timer: Any) -> SagaState:
        if timer != ("timeout", state.request_id) or state.phase == "idle":
            return state
        if state.phase == "compensating":  # never give up on a compensation
            return self._send(ctx, state, fresh=False)
        if state.attempt + 1 < self.attempts:
            return self._send(ctx, replace(state, attempt=state.attempt + 1), fresh=False)
        # No answer: the step may have been applied. Compensate it too.
        return self._compensate(ctx, replace(state, done=(*state.done, state.step)))

    def __repr__(self) -> str:
        return f"SagaOrchestrator({len(self.amounts)} sagas over {', '.join(self.participants)})"


def saga_system(
    amounts: Sequence[int],
    capacities: Sequence[int] = (10, 10, 10),
    orchestrator: type[SagaOrchestrator] = SagaOrchestrator,
    participant: type[SagaParticipant] = SagaParticipant,
    attempts: int = 3,
) -> System:
    """An orchestrator running sagas of ``amounts`` over participants ``p1, p2, ...``.

    Examples
    --------
    >>> saga_system([3], capacities=(5, 5)).ids
    ('orchestrator', 'p1', 'p2')
    """
    names = [f"p{i + 1}" for i in range(len(capacities))]
    nodes: dict[str, Node[Any]] = {
        n: participant(c) for n, c in zip(names, capacities, strict=True)
    }
    nodes["orchestrator"] = orchestrator(names, amounts, attempts=attempts)
    return System(nodes)


def saga_consistent(states: Mapping[str, Any]) -> bool:
    """Semantic atomicity: every finished saga is applied at every participant (committed)
    or at none (aborted), and each participant's level is its capacity minus what is applied.

    ``states`` maps node ids to states (``Simulation.states`` or a model
    checker state's ``nodes``); crashed or missing participants are skipped.

    Examples
    --------
    >>> saga_consistent({"orchestrator": SagaState(finished=((1, "aborted"),)),
    ...                  "p1": ParticipantState(7, frozenset({(1, "applied")}), 1)})
    False
    """
    orch = states.get("orchestrator")
    if not isinstance(orch, SagaState):
        return True
    parts = {k: v for k, v in states.items() if isinstance(v, ParticipantState)}
    for saga, outcome in orch.finished:
        for p in parts.values():
            applied = p.outcome(saga) == "applied"
            if applied != (outcome == "committed"):
                return False
    return True


# -- mutants ---------------------------------------------------------------------------------
class NoCompensationOrchestrator(SagaOrchestrator):
    """Bug: aborts a saga without compensating the steps already done."""

    def _compensate(self, ctx: Context, state: SagaState) -> SagaState:
        return self._end(ctx, state, "aborted")


class OnceCompensationOrchestrator(SagaOrchestrator):
    """Bug: sends each compensation once and moves on, whether or not it arrived."""

    def on_timer(self, ctx: Context, state: SagaState, timer: Any) -> SagaState:
        if timer == ("timeout", state.request_id) and state.phase == "compensating":
            return self._compensate(ctx, state)  # give up on this one, go to the next
        return super().on_timer(ctx, state, timer)


class NoTombstoneParticipant(SagaParticipant):
    """Bug: an ``undo`` that arrives before its ``do`` leaves no trace, so the late ``do``
    is applied after the saga was compensated."""

    def _undo(self, state: ParticipantState, saga: int, amount: int) -> ParticipantState:
        if state.outcome(saga) is None:
            return state
        return super()._undo(state, saga, amount)


class NonIdempotentParticipant(SagaParticipant):
    """Bug: applies every ``do`` that arrives, duplicates and retries included."""

    def _do(self, state: ParticipantState, saga: int, amount: int) -> tuple[ParticipantState, bool]:
        if state.outcome(saga) == "compensated" or amount > state.level:
            return state, False
        return self._apply(state, saga, amount), True


SagaVariant = tuple[type[SagaOrchestrator], type[SagaParticipant]]


def _levels_add_up(
    states: Mapping[str, Any], capacities: Sequence[int], amounts: Sequence[int]
) -> bool:
    for i, cap in enumerate(capacities):
        p = states.get(f"p{i + 1}")
        if not isinstance(p, ParticipantState):
            continue
        taken = sum(amounts[s - 1] for s, what in p.outcomes if what == "applied")
        if p.level != cap - taken:
            return False
    return True


def check_saga_sweep(variant: SagaVariant) -> Outcome:
    """Seeded sweep: random saga amounts over a lossy, duplicating network; at the end,
    every saga is finished, atomic (``saga_consistent``), and the levels add up."""
    orchestrator, participant = variant
    for seed in range(10):
        amounts = [2 + (seed * 7 + i * 3) % 6 for i in range(5)]
        capacities = (12, 9, 15)
        system = saga_system(amounts, capacities, orchestrator, participant, attempts=3)
        network = Network(latency=uniform(0.5, 3.0), loss=0.15, duplication=0.15)
        sim = Simulation(system, seed=seed, network=network).run(until=20_000.0)
        states = sim.states
        finished = states["orchestrator"].finished
        if len(finished) != len(amounts):
            return Outcome(False, len(sim.trace), f"seed {seed}: sagas unfinished")
        if not saga_consistent(states) or not _levels_add_up(states, capacities, amounts):
            return Outcome(False, len(sim.trace), f"seed {seed}: not atomic")
    return Outcome(True)


def check_saga_model(variant: SagaVariant) -> Any:
    """Model checking: one saga of 3 over two participants where the second has only 2,
    on a lossy, duplicating network: every reachable state is consistent."""
    from dslib.check import ActorModel, check

    orchestrator, participant = variant
    system = saga_system([3], (5, 2), orchestrator, participant, attempts=2)
    model = ActorModel(system, lossy=True, duplicating=True)
    return check(
        model,
        invariants={
            "atomic": lambda s: saga_consistent(s.nodes),
            "levels add up": lambda s: _levels_add_up(s.nodes, (5, 2), [3]),
        },
        max_states=300_000,
    )


def check_saga_model_applies(variant: SagaVariant) -> Any:
    """Model checking: one saga of 2 over two participants with room, on a duplicating
    network: no participant applies an action twice."""
    from dslib.check import ActorModel, check

    orchestrator, participant = variant
    system = saga_system([2], (5, 5), orchestrator, participant, attempts=2)
    return check(
        ActorModel(system, duplicating=True),
        invariants={
            "applied at most once": lambda s: all(
                p.applications <= 1 for p in s.nodes.values() if isinstance(p, ParticipantState)
            )
        },
        max_states=300_000,
    )


SAGA_CHECKS: dict[str, Callable[[SagaVariant], Any]] = {
    "sweep: atomic under loss": check_saga_sweep,
    "model checker: atomic": check_saga_model,
    "model checker: applied once": check_saga_model_applies,
}
"""The checks of the saga; each takes ``(orchestrator class, participant class)``."""

SAGA_MUTANTS: list[Mutant[SagaVariant]] = [
    Mutant(
        "no-compensation",
        "aborts without compensating the steps done",
        lambda: (NoCompensationOrchestrator, SagaParticipant),
        ("sweep: atomic under loss", "model checker: atomic"),
    ),
    Mutant(
        "compensate-once",
        "a lost compensation is not retried",
        lambda: (OnceCompensationOrchestrator, SagaParticipant),
        ("model checker: atomic",),
    ),
    Mutant(
        "no-tombstone",
        "an undo that overtakes its do leaves no trace",
        lambda: (SagaOrchestrator, NoTombstoneParticipant),
        ("model checker: atomic",),
    ),
    Mutant(
        "non-idempotent",
        "a duplicated do is applied twice",
        lambda: (SagaOrchestrator, NonIdempotentParticipant),
        ("model checker: applied once",),
    ),
]
"""Deliberately broken sagas, with the checks that must catch them."""
