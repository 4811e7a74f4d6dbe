"""Hedged and tied requests: cutting the tail by asking twice.

When a rare slow event (a pause, a background task, a long request ahead in the queue) makes
one backend slow for a while, the requests behind it make up the tail of the latency
distribution, and with fan-out the tail decides the whole response time. Dean and Barroso
("The Tail at Scale", *CACM* 56(2), 2013, section "Within Request Short-Term Adaptations")
propose:

- **hedged requests**: send the request to one backend; if no answer comes within the
  95th-percentile latency, send a copy to another and take the first answer. Only the
  slowest 5% or so are sent twice, so the extra load is about 5%, while the tail shrinks;
- **tied requests**: send the request to two backends (the second copy a little later), each
  copy naming the other; the backend that *starts* it tells the other to cancel its copy.
  The copy waiting in the longer queue is dropped before it costs work.

- ``Work``, ``Started``, ``Cancel``, ``Answer``: the messages;
- ``TailBackend``: one worker, FIFO; rarely, a long pause before a request;
- ``HedgingClient``: open-loop requests; hedged (``hedge_after``) or tied (``tie_after``);
- ``hedging_run``: one measured run; ``MUTANTS``, ``HEDGING_MUTANTS``, ``HEDGING_CHECKS``.

Examples
--------
>>> plain = hedging_run(requests=600, seed=2)
>>> hedged = hedging_run(hedge_after=plain["p95"], requests=600, seed=2)
>>> plain["p99.9"], hedged["p99.9"], hedged["extra work"]
(25.35, 7.43, 0.018)
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
    "HEDGING_CHECKS",
    "HEDGING_MUTANTS",
    "MUTANTS",
    "Answer",
    "BackendState",
    "Cancel",
    "ClientState",
    "HedgingClient",
    "TailBackend",
    "Work",
    "hedging_run",
]

MUTANTS: dict[str, str] = {
    "same-backend": "the second copy goes to the backend that already has the first",
    "hedge-at-once": "the hedge is sent with the request, not after the delay",
    "no-cancel": "a tied copy is not cancelled when the other starts",
}
"""The broken versions (``mutant=``): name -> what is wrong."""


# == messages ===================================================================================
@dataclass(frozen=True)
class Work:
    """Copy ``copy`` (0 or 1) of request ``request``; ``peer`` is the backend holding the
    other copy of a tied request (``""``: not tied)."""

    request: int
    copy: int
    peer: str = ""


@dataclass(frozen=True)
class Cancel:
    request: int


@dataclass(frozen=True)
class Answer:
    request: int
    copy: int


# == the backend ================================================================================
@dataclass(frozen=True)
class BackendState:
    """The queue, whether the worker is busy, the work done and the copies cancelled."""

    queue: tuple[tuple[str, Work], ...] = ()
    busy: bool = False
    served: int = 0
    cancelled: int = 0
    cancelled_ids: tuple[int, ...] = ()

    def __hash__(self) -> int:
        # The counters only: the simulator hashes a state after every event.
        return hash((len(self.queue), self.busy, self.served, self.cancelled))


class TailBackend(Node[BackendState]):
    """One worker, FIFO. A request takes a uniform time in ``service``; with probability
    ``pause_chance`` the worker first pauses for ``pause`` (a garbage collection, a
    background compaction), holding up the whole queue.

    Examples
    --------
    >>> TailBackend()
    TailBackend(service (0.5, 1.5), pause 20.0 with probability 0.002)
    """

    def __init__(
        self,
        service: tuple[float, float] = (0.5, 1.5),
        pause: float = 20.0,
        pause_chance: float = 0.002,
        mutant: str | None = None,
    ) -> None:
        lo, hi = service
        if not (is_number(lo) and is_number(hi) and 0 <= lo <= hi < math.inf):
            raise ValueError(f"TailBackend: service={service!r} must be (lo, hi), 0 <= lo <= hi")
        if not (is_number(pause_chance) and 0 <= pause_chance <= 1):
            raise ValueError(f"TailBackend: pause_chance={pause_chance!r} must be in [0, 1]")
        self.service, self.pause, self.pause_chance = (lo, hi), float(pause), pause_chance
        self.mutant = check_mutant("TailBackend", mutant, MUTANTS)

    def init(self, ctx: Context) -> BackendState:
        return BackendState()

    def on_message(self, ctx: Context, state: BackendState, src: str, msg: Any) -> BackendState:
        if isinstance(msg, Cancel):
            queue = tuple(q for q in state.queue if q[1].request != msg.request)
            if len(queue) == len(state.queue):
                return replace(state, cancelled_ids=(*state.cancelled_ids, msg.request))
            return replace(state, queue=queue, cancelled=state.cancelled + 1)
        if not isinstance(msg, Work):
            return state
        if msg.request in state.cancelled_ids:  # the cancel overtook the copy
            return replace(state, cancelled=state.cancelled + 1)
        return self._start(ctx, replace(state, queue=(*state.queue, (src, msg))))

    def on_timer(self, ctx: Context, state: BackendState, timer: Any) -> BackendState:
        src, work = timer
        ctx.send(src, Answer(work.request, work.copy))
        return self._start(ctx, replace(state, busy=False, served=state.served + 1))

    def _start(self, ctx: Context, state: BackendState) -> BackendState:
        if state.busy or not state.queue:
            return state
        (src, work), rest = state.queue[0], state.queue[1:]
        if work.peer and self.mutant != "no-cancel":  # mutant: the other copy runs too
            ctx.send(work.peer, Cancel(work.request))
        took = ctx.rng.uniform(*self.service)
        if ctx.rng.random() < self.pause_chance:
            took += self.pause
        ctx.set_timer((src, work), took)
        return replace(state, queue=rest, busy=True)

    def __repr__(self) -> str:
        return (
            f"TailBackend(service {self.service}, pause {self.pause} with probability "
            f"{self.pause_chance})"
        )


# == the client =================================================================================
@dataclass(frozen=True)
class ClientState:
    """``open``: request -> (sent at, backend of the first copy); ``latencies`` of the
    finished requests, in the order they finished; ``copies`` the second copies sent."""

    sent: int = 0
    copies: int = 0
    open: tuple[tuple[int, tuple[float, str]], ...] = ()
    latencies: tuple[float, ...] = ()

    def __hash__(self) -> int:
        return hash((self.sent, self.copies, len(self.open), len(self.latencies)))


class HedgingClient(Node[ClientState]):
    """``requests`` requests at Poisson times, ``rate`` per time unit, each to a backend
    chosen at random. ``hedge_after``: send a copy to another backend if no answer came
    within that time. ``tie_after``: always send the second copy, that long after the
    first, each copy naming the other's backend. Neither: one copy.

    Examples
    --------
    >>> HedgingClient(["b1", "b2"], rate=1.0, requests=5, hedge_after=3.0)
    HedgingClient(5 requests at 1.0/unit, hedged after 3.0)
    """

    def __init__(
        self,
        backends: list[str],
        rate: float,
        requests: int,
        hedge_after: float | None = None,
        tie_after: float | None = None,
        mutant: str | None = None,
    ) -> None:
        if len(backends) < 2:
            raise ValueError(f"HedgingClient: backends={backends!r}: a copy needs at least two")
        if hedge_after is not None and tie_after is not None:
            raise ValueError("HedgingClient: give hedge_after or tie_after, not both")
        for name, value in (("hedge_after", hedge_after), ("tie_after", tie_after)):
            if value is not None and not (is_number(value) and 0 <= value < math.inf):
                raise ValueError(f"HedgingClient: {name}={value!r} must be None or >= 0")
        if not (is_number(rate) and rate > 0):
            raise ValueError(f"HedgingClient: rate={rate!r} must be > 0")
        self.backends, self.rate, self.requests = list(backends), float(rate), requests
        self.hedge_after, self.tie_after = hedge_after, tie_after
        self.mutant = check_mutant("HedgingClient", mutant, MUTANTS)

    def init(self, ctx: Context) -> ClientState:
        if self.requests:
            ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))
        return ClientState()

    def other(self, ctx: Context, first: str) -> str:
        """The backend of the second copy: another one, at random."""
        if self.mutant == "same-backend":  # mutant: no other backend
            return first
        return ctx.rng.choice([b for b in self.backends if b != first])

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if timer[0] == "arrive":
            request = state.sent + 1
            first = ctx.rng.choice(self.backends)
            if request < self.requests:
                ctx.set_timer(("arrive",), ctx.rng.expovariate(self.rate))
            state = replace(state, sent=request, open=(*state.open, (request, (ctx.now, first))))
            if self.tie_after is not None:
                second = self.other(ctx, first)
                ctx.send(first, Work(request, 0, peer=second))
                ctx.set_timer(("copy", request, second, first), self.tie_after)
            else:
                ctx.send(first, Work(request, 0))
                if self.hedge_after is not None:
                    delay = 0.0 if self.mutant == "hedge-at-once" else self.hedge_after
                    ctx.set_timer(("copy", request, self.other(ctx, first), ""), delay)
            return state
        _kind, request, backend, peer = timer
        if request not in dict(state.open):
            return state
        ctx.send(backend, Work(request, 1, peer=peer))
        return replace(state, copies=state.copies + 1)

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if not isinstance(msg, Answer):
            return state
        entry = dict(state.open).get(msg.request)
        if entry is None:
            return state  # the other copy answered first
        for backend in self.backends:
            ctx.cancel_timer(("copy", msg.request, backend, ""))
            for peer in self.backends:
                ctx.cancel_timer(("copy", msg.request, backend, peer))
        return replace(
            state,
            open=tuple(e for e in state.open if e[0] != msg.request),
            latencies=(*state.latencies, ctx.now - entry[0]),
        )

    def __repr__(self) -> str:
        how = (
            f"hedged after {self.hedge_after}"
            if self.hedge_after is not None
            else f"tied, second copy after {self.tie_after}"
            if self.tie_after is not None
            else "one copy"
        )
        return f"HedgingClient({self.requests} requests at {self.rate}/unit, {how})"


# == one measured run ===========================================================================
def hedging_run(
    hedge_after: float | None = None,
    tie_after: float | None = None,
    backends: int = 10,
    rate: float = 5.0,
    requests: int = 2000,
    seed: int = 0,
    mutant: str | None = None,
) -> dict[str, Any]:
    """``requests`` requests to ``backends`` ``TailBackend`` s at ``rate`` (mean service 1,
    so the load is ``rate / backends``), plain, hedged or tied.

    Returns
    -------
    dict
        ``how``, ``answered``, ``p50``, ``p95``, ``p99``, ``p99.9`` (latency, time units,
        over every request: one that got no answer would count as ``inf``), ``copies``
        (second copies sent, per request), ``extra work`` (requests served beyond one per
        request, per request: the load the copies added), ``cancelled`` (copies dropped
        before they ran, per request).

    Examples
    --------
    >>> r = hedging_run(requests=200, seed=0)
    >>> r["how"], r["answered"], r["copies"], r["extra work"]
    ('one copy', 200, 0.0, 0.0)
    """
    names = [f"b{i + 1}" for i in range(backends)]
    client = HedgingClient(names, rate, requests, hedge_after, tie_after, mutant=mutant)
    nodes: dict[str, Node[Any]] = {"client": client}
    nodes |= {b: TailBackend(mutant=mutant) for b in names}
    sim = Simulation(System(nodes), seed=seed, network=Network(uniform(0.05, 0.15)))
    sim.run()
    c: ClientState = sim.states["client"]
    served = sum(sim.states[b].served for b in names)
    cancelled = sum(sim.states[b].cancelled for b in names)
    latencies = [*c.latencies, *([math.inf] * (requests - len(c.latencies)))]

    def pct(q: float) -> float:
        return round(percentile(latencies, q), 2)

    how = (
        f"hedged after {hedge_after:g}"
        if hedge_after is not None
        else f"tied, 2nd copy after {tie_after:g}"
        if tie_after is not None
        else "one copy"
    )
    return {
        "how": how,
        "answered": len(c.latencies),
        "p50": pct(50),
        "p95": pct(95),
        "p99": pct(99),
        "p99.9": pct(99.9),
        "copies": round(c.copies / requests, 3),
        "extra work": round(served / requests - 1, 3),
        "cancelled": round(cancelled / requests, 3),
    }


# == checks and mutants =========================================================================
_SEEDS = (0, 2)  # 600 requests: seed 1 has no pause (the check insists on one)
_REQUESTS = 600


def _hedge_delay(seed: int) -> float:
    return float(hedging_run(requests=_REQUESTS, seed=seed)["p95"])


def check_hedges_cut_the_tail(mutant: str | None) -> Outcome:
    """Hedged after the plain run's p95 (seeds 0 and 2): the copies add at most 20% work, and
    wherever a pause made the plain run's p99.9 at least 10, hedging at least halves it
    (at least one seed must have such a pause, or the check says so)."""
    paused = 0
    for seed in _SEEDS:
        plain = hedging_run(requests=_REQUESTS, seed=seed)
        hedged = hedging_run(hedge_after=plain["p95"], requests=_REQUESTS, seed=seed, mutant=mutant)
        if hedged["extra work"] > 0.20:
            return Outcome(False, None, f"seed {seed}: extra work {hedged['extra work']}")
        if plain["p99.9"] >= 10:
            paused += 1
            if hedged["p99.9"] > plain["p99.9"] / 2:
                return Outcome(False, None, f"seed {seed}: p99.9 {hedged['p99.9']}")
    if not paused:
        raise AssertionError("check_hedges_cut_the_tail: no seed had a pause; use more seeds")
    return Outcome(True)


def check_tied_copies_cancelled(mutant: str | None) -> Outcome:
    """Tied with the second copy 0.2 later: at most 20% extra work (seeds 0 and 2); without
    cancellation every request would run twice."""
    for seed in _SEEDS:
        tied = hedging_run(tie_after=0.2, requests=_REQUESTS, seed=seed, mutant=mutant)
        if tied["extra work"] > 0.20 or tied["answered"] != _REQUESTS:
            return Outcome(False, None, f"seed {seed}: {tied}")
    return Outcome(True)


HEDGING_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "hedges cut the tail": check_hedges_cut_the_tail,
    "tied copies cancelled": check_tied_copies_cancelled,
}
"""Named checks (``None`` = correct); each runs 600 requests on seeds 0 and 2."""

HEDGING_MUTANTS: list[Mutant[str | None]] = [
    Mutant(
        "same-backend", MUTANTS["same-backend"], lambda: "same-backend", ("hedges cut the tail",)
    ),
    Mutant(
        "hedge-at-once", MUTANTS["hedge-at-once"], lambda: "hedge-at-once", ("hedges cut the tail",)
    ),
    Mutant("no-cancel", MUTANTS["no-cancel"], lambda: "no-cancel", ("tied copies cancelled",)),
]
"""The mutants, for ``run_mutants(lambda: None, HEDGING_MUTANTS, HEDGING_CHECKS)``."""
