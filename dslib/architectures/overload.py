"""Overload: load shedding, deadline propagation and retry budgets.

A server that receives more work than it can do must refuse some of it; the only choice is
how. A queue without a bound refuses nothing and so serves everything late: every request
waits behind all the ones that arrived before it, the wait grows for as long as the overload
lasts, and once it exceeds the client's deadline the server spends its whole capacity on
answers nobody is waiting for (goodput falls to zero while throughput stays at capacity).
The remedies (Beyer et al., *Site Reliability Engineering*, 2016, ch. 22 "Addressing
Cascading Failures", sections "Load Shedding and Graceful Degradation", "Retries" and
"Latency and Deadlines"; ch. 21 "Handling Overload", section "Deciding to Retry"):

- **load shedding**: a bounded queue; a request that finds it full is refused at once
  (cheaply), so the requests that are admitted are served in time;
- **deadline propagation**: the client sends its deadline with the request, and the server
  drops queued work whose deadline has passed instead of doing it;
- **retry budgets**: retries multiply the load exactly when the server is overloaded. Limit
  the attempts per request (ch. 21: three), and keep the retries of a client below a
  fraction of its requests (ch. 21: 10%): ``retries + 1 <= ratio * requests``.

- ``Work``, ``Done``, ``Shed``: the messages;
- ``OverloadServer``: workers, a queue with an optional bound, optional deadline checks;
- ``OverloadClient``: open-loop requests with a deadline, a timeout per attempt, retries
  and an optional retry budget;
- ``retry_allowed``: the budget's rule; ``overload_run``: one measured run;
- ``MUTANTS`` (selected with ``mutant=``), ``OVERLOAD_MUTANTS`` and ``OVERLOAD_CHECKS``.

Examples
--------
>>> retry_allowed(requests=100, retries=9, ratio=0.1)
True
>>> retry_allowed(requests=100, retries=10, ratio=0.1)
False
>>> row = overload_run(rate=6.0, queue_limit=8, requests=300, seed=1)
>>> row["max queue"] <= 8, row["shed"] > 0
(True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation
from dslib.stats import is_number, percentile

__all__ = [
    "MUTANTS",
    "OVERLOAD_CHECKS",
    "OVERLOAD_MUTANTS",
    "ClientState",
    "Done",
    "OverloadClient",
    "OverloadServer",
    "ServerState",
    "Shed",
    "Work",
    "check_no_expired_work",
    "check_queue_bounded",
    "check_retry_budget",
    "overload_run",
    "retry_allowed",
]

MUTANTS: dict[str, str] = {
    "no-shed": "the server queues past its bound: the limit is never applied",
    "stale-work": "the server serves queued work whose propagated deadline has passed",
    "unbudgeted-shed": "a refused (shed) attempt is retried without asking the retry budget",
}
"""The broken versions of this module, selected with ``mutant=``: name -> what is wrong."""


# == messages ===================================================================================
@dataclass(frozen=True)
class Work:
    """Attempt ``attempt`` (0 first) of request ``request``; ``deadline`` and ``sent`` (when
    the client sent it, echoed in the reply) are absolute times."""

    request: int
    attempt: int
    deadline: float
    sent: float = 0.0


@dataclass(frozen=True)
class Done:
    """The server finished attempt ``attempt`` of ``request``, sent at ``sent``."""

    request: int
    attempt: int
    sent: float = 0.0


@dataclass(frozen=True)
class Shed:
    """The server refused attempt ``attempt`` of ``request``: its queue was full."""

    request: int
    attempt: int


# == the server =================================================================================
@dataclass(frozen=True)
class ServerState:
    """The queue (oldest first), the busy workers, and what was done with every attempt.

    ``served`` counts attempts finished, ``late`` those finished after their deadline
    (wasted work), ``shed`` those refused, ``expired`` those dropped from the queue because
    their deadline had passed, ``started_late`` those a worker started after their deadline
    (counted whatever the rules say, for the checks), ``max_queue`` the longest the queue
    has been.
    """

    queue: tuple[Work, ...] = ()
    busy: int = 0
    served: int = 0
    late: int = 0
    shed: int = 0
    expired: int = 0
    started_late: int = 0
    max_queue: int = 0

    def __hash__(self) -> int:
        # The counters only: equal states have equal counters, and the simulator hashes a
        # state after every event, which over a queue of a thousand requests dominated a run.
        return hash((len(self.queue), self.busy, self.served, self.shed, self.expired))


class OverloadServer(Node[ServerState]):
    """``workers`` workers, each taking an exponential time of mean ``service`` per attempt.

    Parameters
    ----------
    workers : int, default 4
    service : float, default 1.0
        The mean service time: the capacity is ``workers / service`` attempts per time unit.
    queue_limit : int or None, default None
        At most this many attempts wait; one more is refused with ``Shed`` (load shedding).
        ``None``: the queue grows without bound.
    deadlines : bool, default False
        Honour propagated deadlines: queued work whose deadline has passed is dropped
        when a worker would start it.
    mutant : str or None
        ``"no-shed"`` or ``"stale-work"`` (see ``MUTANTS``).

    Examples
    --------
    >>> OverloadServer(workers=2, queue_limit=5)
    OverloadServer(2 workers, mean service 1.0, queue limit 5, deadlines off)
    """

    def __init__(
        self,
        workers: int = 4,
        service: float = 1.0,
        queue_limit: int | None = None,
        deadlines: bool = False,
        mutant: str | None = None,
    ) -> None:
        if not (isinstance(workers, int) and not isinstance(workers, bool) and workers >= 1):
            raise ValueError(f"OverloadServer: workers={workers!r} must be an int >= 1")
        if not (is_number(service) and 0 < service < math.inf):
            raise ValueError(f"OverloadServer: service={service!r} must be a finite number > 0")
        if queue_limit is not None and not (
            isinstance(queue_limit, int) and not isinstance(queue_limit, bool) and queue_limit >= 0
        ):
            raise ValueError(
                f"OverloadServer: queue_limit={queue_limit!r} must be None (no bound) "
                "or an int >= 0"
            )
        self.workers, self.service = workers, float(service)
        self.queue_limit, self.deadlines = queue_limit, bool(deadlines)
        self.mutant = check_mutant("OverloadServer", mutant, MUTANTS)

    def init(self, ctx: Context) -> ServerState:
        return ServerState()

    def admits(self, state: ServerState) -> bool:
        """Load shedding: is there room in the queue for one more attempt?"""
        if self.queue_limit is None or self.mutant == "no-shed":  # mutant: never full
            return True
        return len(state.queue) < self.queue_limit

    def expired(self, work: Work, now: float) -> bool:
        """Deadline propagation: is this queued work too late to be worth doing?"""
        if not self.deadlines or self.mutant == "stale-work":  # mutant: serves it anyway
            return False
        return now >= work.deadline

    def on_message(self, ctx: Context, state: ServerState, src: str, msg: Any) -> ServerState:
        if not isinstance(msg, Work):
            return state
        if not self.admits(state):
            ctx.send(src, Shed(msg.request, msg.attempt))
            return replace(state, shed=state.shed + 1)
        queue = (*state.queue, msg)
        state = replace(state, queue=queue, max_queue=max(state.max_queue, len(queue)))
        return self._start(ctx, state)

    def on_timer(self, ctx: Context, state: ServerState, timer: Any) -> ServerState:
        _kind, work = timer
        ctx.send("client", Done(work.request, work.attempt, work.sent))
        late = state.late + (ctx.now > work.deadline)
        state = replace(state, busy=state.busy - 1, served=state.served + 1, late=late)
        return self._start(ctx, state)

    def _start(self, ctx: Context, state: ServerState) -> ServerState:
        queue, busy, expired = list(state.queue), state.busy, state.expired
        started_late = state.started_late
        while queue and busy < self.workers:
            work = queue.pop(0)
            if self.expired(work, ctx.now):
                expired += 1
                continue
            busy += 1
            started_late += ctx.now >= work.deadline
            ctx.set_timer(("done", work), ctx.rng.expovariate(1.0 / self.service))
        return replace(
            state, queue=tuple(queue), busy=busy, expired=expired, started_late=started_late
        )

    def __repr__(self) -> str:
        limit = "none" if self.queue_limit is None else self.queue_limit
        return (
            f"OverloadServer({self.workers} workers, mean service {self.service}, "
            f"queue limit {limit}, deadlines {'on' if self.deadlines else 'off'})"
        )


# == the client =================================================================================
def retry_allowed(requests: int, retries: int, ratio: float | None) -> bool:
    """The retry budget: may a client that sent ``requests`` requests and ``retries``
    retries so far send one more retry?

    Yes if, after it, retries are at most ``ratio`` times the requests:
    ``retries + 1 <= ratio * requests``. ``ratio=None`` is no budget (always yes).

    Raises
    ------
    ValueError
        If a count is negative or ``ratio`` is not ``None`` or a number >= 0.

    Examples
    --------
    >>> retry_allowed(10, 0, 0.1), retry_allowed(9, 0, 0.1), retry_allowed(9, 50, None)
    (True, False, True)
    """
    for name, value in (("requests", requests), ("retries", retries)):
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise ValueError(f"retry_allowed: {name}={value!r} must be an int >= 0")
    if ratio is None:
        return True
    if not (is_number(ratio) and ratio >= 0):
        raise ValueError(f"retry_allowed: ratio={ratio!r} must be None (no budget) or >= 0")
    return retries + 1 <= ratio * requests


@dataclass(frozen=True)
class ClientState:
    """``open`` maps each unfinished request to ``(last attempt, arrived at, deadline,
    attempts outstanding)``; ``results`` holds ``(request, arrived at, finished at, ok)`` in
    the order they finished; ``replies`` the time each ``Done`` took from its attempt's send;
    ``arrived`` and ``retries`` count the requests and the retries sent so far."""

    arrived: int = 0
    retries: int = 0
    open: tuple[tuple[int, tuple[int, float, float, int]], ...] = ()
    results: tuple[tuple[int, float, float, bool], ...] = ()
    replies: tuple[float, ...] = ()

    def __hash__(self) -> int:
        # The counters only (see ServerState.__hash__).
        return hash((self.arrived, self.retries, len(self.open), len(self.results)))


class OverloadClient(Node[ClientState]):
    """``requests`` requests at Poisson times, ``rate`` per time unit, to ``"server"``.

    Each request must be answered within ``deadline`` of its arrival, or it fails. The
    first reply to any of its attempts answers it. When an attempt is refused (``Shed``),
    or has no reply after ``timeout``, the client sends another attempt after
    ``retry_delay`` if the request has had fewer than ``max_attempts``, its deadline is
    more than ``retry_delay`` away, and the retry budget (``budget``, see
    ``retry_allowed``) allows it. Otherwise it waits for the attempts still out, and fails
    the request at once when none is.

    Examples
    --------
    >>> OverloadClient(rate=6.0, requests=10, max_attempts=3, budget=0.1)
    OverloadClient(10 requests at 6.0/unit, deadline 5.0, timeout 2.0, 3 attempts, budget 0.1)
    """

    def __init__(
        self,
        rate: float,
        requests: int,
        deadline: float = 5.0,
        timeout: float = 2.0,
        max_attempts: int = 1,
        budget: float | None = None,
        retry_delay: float = 0.1,
        mutant: str | None = None,
    ) -> None:
        for name, value in (("rate", rate), ("deadline", deadline), ("timeout", timeout)):
            if not (is_number(value) and 0 < value < math.inf):
                raise ValueError(f"OverloadClient: {name}={value!r} must be a finite number > 0")
        if not (isinstance(requests, int) and not isinstance(requests, bool) and requests >= 0):
            raise ValueError(f"OverloadClient: requests={requests!r} must be an int >= 0")
        if not (isinstance(max_attempts, int) and max_attempts >= 1):
            raise ValueError(f"OverloadClient: max_attempts={max_attempts!r} must be an int >= 1")
        if budget is not None and not (is_number(budget) and budget >= 0):
            raise ValueError(f"OverloadClient: budget={budget!r} must be None (no budget) or >= 0")
        if not (is_number(retry_delay) and 0 <= retry_delay < math.inf):
            raise ValueError(f"OverloadClient: retry_delay={retry_delay!r} must be >= 0")
        self.rate, self.requests = float(rate), requests
        self.deadline, self.timeout = float(deadline), float(timeout)
        self.max_attempts, self.budget, self.retry_delay = max_attempts, budget, retry_delay
        self.mutant = check_mutant("OverloadClient", mutant, MUTANTS)

    def init(self, ctx: Context) -> ClientState:
        if self.requests:
            ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))
        return ClientState()

    def may_retry(self, state: ClientState, attempt: int, time_left: float, shed: bool) -> bool:
        """The retry rule: an attempt left, time left before the deadline, and the budget."""
        if attempt + 1 >= self.max_attempts or time_left <= self.retry_delay:
            return False
        if shed and self.mutant == "unbudgeted-shed":  # mutant: a refusal "costs nothing"
            return True
        return retry_allowed(state.arrived, state.retries, self.budget)

    def _update(
        self, state: ClientState, request: int, entry: tuple[int, float, float, int] | None
    ) -> ClientState:
        if entry is None:
            return replace(state, open=tuple(e for e in state.open if e[0] != request))
        return replace(state, open=tuple((r, entry if r == request else v) for r, v in state.open))

    def _send(self, ctx: Context, state: ClientState, request: int, attempt: int) -> ClientState:
        _a, arrived_at, deadline, out = dict(state.open)[request]
        ctx.send("server", Work(request, attempt, deadline, ctx.now))
        ctx.set_timer(("timeout", request, attempt), self.timeout)
        return self._update(state, request, (attempt, arrived_at, deadline, out + 1))

    def _finish(self, ctx: Context, state: ClientState, request: int, ok: bool) -> ClientState:
        last, arrived_at, _d, _o = dict(state.open)[request]
        ctx.cancel_timer(("deadline", request))
        for attempt in range(last + 1):
            ctx.cancel_timer(("timeout", request, attempt))
        state = self._update(state, request, None)
        return replace(state, results=(*state.results, (request, arrived_at, ctx.now, ok)))

    def _no_reply(
        self, ctx: Context, state: ClientState, request: int, attempt: int, shed: bool
    ) -> ClientState:
        entry = dict(state.open).get(request)
        if entry is None:
            return state
        last, arrived_at, deadline, out = entry
        if shed:
            ctx.cancel_timer(("timeout", request, attempt))
            out -= 1
        if attempt == last and self.may_retry(state, last, deadline - ctx.now, shed):
            ctx.set_timer(("retry", request, last + 1), self.retry_delay)
            state = replace(state, retries=state.retries + 1)
            return self._update(state, request, (last + 1, arrived_at, deadline, out))
        if out == 0 and attempt == last:
            return self._finish(ctx, state, request, ok=False)
        return self._update(state, request, (last, arrived_at, deadline, out))

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        kind = timer[0]
        if kind == "arrive":
            request = state.arrived + 1
            deadline = ctx.now + self.deadline
            state = replace(
                state, arrived=request, open=(*state.open, (request, (0, ctx.now, deadline, 0)))
            )
            if request < self.requests:
                ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))
            ctx.set_timer(("deadline", request), self.deadline)
            return self._send(ctx, state, request, 0)
        if kind == "deadline":
            return self._finish(ctx, state, timer[1], ok=False)
        _k, request, attempt = timer
        if kind == "retry":
            return (
                self._send(ctx, state, request, attempt) if request in dict(state.open) else state
            )
        return self._no_reply(ctx, state, request, attempt, shed=False)

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if isinstance(msg, Shed):
            return self._no_reply(ctx, state, msg.request, msg.attempt, shed=True)
        if not isinstance(msg, Done):
            return state
        state = replace(state, replies=(*state.replies, ctx.now - msg.sent))
        if msg.request not in dict(state.open):
            return state
        return self._finish(ctx, state, msg.request, ok=True)

    def __repr__(self) -> str:
        return (
            f"OverloadClient({self.requests} requests at {self.rate}/unit, deadline "
            f"{self.deadline}, timeout {self.timeout}, {self.max_attempts} attempts, "
            f"budget {self.budget})"
        )


# == one measured run ===========================================================================
def overload_run(
    rate: float = 6.0,
    queue_limit: int | None = None,
    deadlines: bool = False,
    max_attempts: int = 1,
    budget: float | None = None,
    requests: int = 600,
    workers: int = 4,
    service: float = 1.0,
    deadline: float = 5.0,
    timeout: float = 2.0,
    seed: int = 0,
    mutant: str | None = None,
    with_states: bool = False,
) -> dict[str, Any]:
    """Send ``requests`` requests at ``rate`` to a server of capacity ``workers / service``.

    Returns
    -------
    dict
        ``offered`` (requests per time unit over capacity), ``queue limit``, ``deadlines``,
        ``attempts`` (per request: 1 means no retries), ``in time`` (fraction of requests
        answered within their deadline), ``goodput`` (requests answered in time per time
        unit, over the time the requests arrived), ``p50`` and ``p99`` (latency of the
        requests, a failed one counting as ``inf``), ``reply p99`` (time from an attempt's
        send to its reply, for every reply, in time or late), ``served late`` (attempts the
        server finished after their deadline: wasted work), ``shed``, ``expired``,
        ``max queue``; with ``with_states`` also ``states`` (the final node states).

    Examples
    --------
    >>> r = overload_run(rate=2.0, requests=100, seed=0)
    >>> r["in time"], r["shed"], r["served late"]
    (1.0, 0, 0)
    """
    if not (is_number(rate) and 0 < rate < math.inf):
        raise ValueError(f"overload_run: rate={rate!r} must be a finite number > 0")
    server = OverloadServer(workers, service, queue_limit, deadlines, mutant=_server_mutant(mutant))
    client = OverloadClient(
        rate, requests, deadline, timeout, max_attempts, budget, mutant=_client_mutant(mutant)
    )
    sim = Simulation(
        System({"client": client, "server": server}),
        seed=seed,
        network=Network(uniform(0.01, 0.05)),
    )
    sim.run(until=requests / rate + deadline + timeout + 10 * service)
    c: ClientState = sim.states["client"]
    s: ServerState = sim.states["server"]
    done = {r: (t1 - t0) if ok else math.inf for r, t0, t1, ok in c.results}
    latencies = [done.get(r, math.inf) for r in range(1, requests + 1)]
    in_time = sum(1 for x in latencies if x < math.inf)
    span = requests / rate

    def pct(values: list[float], q: float) -> float:
        return round(percentile(values, q), 2) if values else math.nan

    row: dict[str, Any] = {
        "offered": round(rate * service / workers, 2),
        "queue limit": "none" if queue_limit is None else queue_limit,
        "deadlines": "propagated" if deadlines else "not sent",
        "max attempts": max_attempts,
        "budget": "none" if budget is None else budget,
        "attempts": round((c.arrived + c.retries) / max(c.arrived, 1), 2),
        "in time": round(in_time / requests, 3) if requests else 1.0,
        "goodput": round(in_time / span, 2),
        "p50": pct(latencies, 50),
        "p99": pct(latencies, 99),
        "reply p99": pct(list(c.replies), 99),
        "served late": s.late,
        "shed": s.shed,
        "expired": s.expired,
        "started late": s.started_late,
        "max queue": s.max_queue,
        "retries": c.retries,
        "requests": c.arrived,
    }
    if with_states:
        row["states"] = {"client": c, "server": s}
    return row


def _server_mutant(mutant: str | None) -> str | None:
    check_mutant("overload_run", mutant, MUTANTS)
    return mutant if mutant in ("no-shed", "stale-work") else None


def _client_mutant(mutant: str | None) -> str | None:
    return mutant if mutant == "unbudgeted-shed" else None


# == checks and mutants =========================================================================
_SEEDS = range(3)
_OVERLOADED = {"rate": 8.0, "requests": 200, "queue_limit": 6, "deadlines": True}


def _runs(mutant: str | None, **knobs: Any) -> list[dict[str, Any]]:
    settings = {**_OVERLOADED, **knobs}
    return [overload_run(seed=seed, mutant=mutant, **settings) for seed in _SEEDS]


def check_queue_bounded(mutant: str | None) -> Outcome:
    """Overloaded twice over, the queue never holds more than its limit (every seed)."""
    bad = [r for r in _runs(mutant) if r["max queue"] > _OVERLOADED["queue_limit"]]
    return Outcome(not bad, None, f"max queue {bad[0]['max queue']}" if bad else "")


def check_no_expired_work(mutant: str | None) -> Outcome:
    """With deadlines propagated, overloaded and a long queue (40), no worker starts an
    attempt whose deadline has passed, and some attempts do expire in the queue (so the
    rule was exercised)."""
    runs = _runs(mutant, queue_limit=40, deadline=2.0)
    bad = [r for r in runs if r["expired"] == 0 or r["started late"] > 0]
    return Outcome(not bad, None, f"started late {bad[0]['started late']}" if bad else "")


def check_retry_budget(mutant: str | None) -> Outcome:
    """With a budget of 0.1 and up to 3 attempts, retries stay within 10% of the requests."""
    runs = _runs(mutant, max_attempts=3, budget=0.1)
    bad = [r for r in runs if r["retries"] > 0.1 * r["requests"]]
    return Outcome(not bad, None, f"{bad[0]['retries']} retries" if bad else "")


OVERLOAD_CHECKS: dict[str, Callable[[str | None], Any]] = {
    "queue bounded": check_queue_bounded,
    "no expired work": check_no_expired_work,
    "retries within budget": check_retry_budget,
}
"""Named checks; each runs three seeded overloaded runs of the variant (``None`` = correct)."""

OVERLOAD_MUTANTS: list[Mutant[str | None]] = [
    Mutant("no-shed", MUTANTS["no-shed"], lambda: "no-shed", ("queue bounded",)),
    Mutant("stale-work", MUTANTS["stale-work"], lambda: "stale-work", ("no expired work",)),
    Mutant(
        "unbudgeted-shed",
        MUTANTS["unbudgeted-shed"],
        lambda: "unbudgeted-shed",
        ("retries within budget",),
    ),
]
"""The mutants, for ``run_mutants(lambda: None, OVERLOAD_MUTANTS, OVERLOAD_CHECKS)``."""
