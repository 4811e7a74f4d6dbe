"""Load balancing: which backend serves each request, and what the choice costs in latency.

A load balancer sits between clients and a pool of backends and picks a
backend for every request. The policies of chapter 6:

- ``RoundRobin``: each backend in turn. Even *counts*, whatever the backends' speed.
- ``RandomChoice``: a backend uniformly at random.
- ``LeastConnections``: the backend with the fewest requests outstanding (sent,
  not yet answered); ties go round robin. It adapts to slow backends, because
  they answer slowly and so keep more requests outstanding.
- ``PowerOfTwoChoices``: sample two backends at random, take the less loaded
  (Mitzenmacher 2001). Almost as good as asking everyone, at the cost of two looks.
- ``ConsistentHashPolicy``: a request's key picks the backend through a
  consistent-hash ring (so a key keeps hitting the same cache); a backend that
  is down is skipped, and only its keys move.

``least_connections`` and ``power_of_two_choices`` are the pure choice
functions under the policies. ``LoadBalancer`` is a node of the simulator
that applies a policy and runs **health checks**: it probes every backend
each ``interval``; ``fall`` missed probes in a row eject a backend, ``rise``
answered probes in a row readmit it. ``Backend`` is chapter 1's
``QueueServer`` (one request at a time, FIFO) that also answers probes.
``run_balancer`` runs one policy on a request stream and measures the tail
(p50, p99, p99.9).

``balls_into_bins`` and the ``max_load_*`` formulas compare the power of two
choices with the theory of balls into bins (Azar, Broder, Karlin and Upfal
1994; Mitzenmacher, Richa and Sitaraman 2001).

Submodules (section 6.4 and 6.5), imported by name: ``dslib.balancing.hedging`` (hedged
and tied requests), ``dslib.balancing.beyond`` (per-connection against per-request
balancing, slow start, an active-passive balancer pair) and ``dslib.balancing.maglev``
(Maglev's lookup table).

Examples
--------
>>> least_connections(["b1", "b2", "b3"], {"b1": 4, "b2": 1, "b3": 1}, {"b1", "b2", "b3"})
'b2'
>>> run = run_balancer("least connections", [1.0, 1.0, 4.0], rate=1.2, requests=400, seed=1)
>>> run.answered, run.unanswered, run.sent
(400, 0, (('b1', 165), ('b2', 162), ('b3', 73)))
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dslib.basics import LoadGenerator, QueueServer, QueueState
from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome, check_mutant, mutant_table, run_mutants
from dslib.sharding.partitioning import ConsistentHashRing, make_keys, stable_hash
from dslib.sim.clients import Reply, Request
from dslib.sim.nemesis import Crash, Nemesis, Restart
from dslib.sim.network import Network, constant
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace
from dslib.stats import is_number, percentile

__all__ = [
    "BALANCER_CHECKS",
    "BALANCER_MUTANTS",
    "BINS_CHECKS",
    "BINS_MUTANTS",
    "POLICIES",
    "POLICY_CHECKS",
    "POLICY_MUTANTS",
    "Backend",
    "BalancerRun",
    "BalancerState",
    "ConsistentHashPolicy",
    "Dispatch",
    "HealthCheck",
    "KeyedLoadGenerator",
    "LeastConnections",
    "LoadBalancer",
    "Policy",
    "PowerOfTwoChoices",
    "Probe",
    "ProbeReply",
    "RandomChoice",
    "RoundRobin",
    "SeededCheck",
    "avoids_slow_backend",
    "balancer_mutants",
    "balls_into_bins",
    "bins_mutants",
    "catch_rate",
    "ejects_failed_backend",
    "follows_the_fluid_limit",
    "keys_stay_put",
    "least_connections",
    "load_tail_theory",
    "make_policy",
    "max_load_d_choices",
    "max_load_gonnet",
    "max_load_one_choice",
    "maximum_near_log_log",
    "mutant_catch_table",
    "policy_mutants",
    "power_of_two_choices",
    "readmits_recovered_backend",
    "response_times",
    "run_balancer",
    "smooth_weighted_round_robin",
    "ties_take_turns",
    "two_looks_avoid_the_most_loaded",
]


POLICY_MUTANTS: dict[str, str] = {
    "ties_to_first": "least connections without the rotation: every tie goes to the first backend",
    "one_backend_twice": "power of two choices that samples one backend and looks at it twice",
    "more_loaded_of_two": "power of two choices that takes the more loaded of the two",
    "modulo_hash": "hash of the key modulo the number of healthy backends instead of the ring",
}
"""Broken policies (``mutant=`` name -> what is wrong); each sits beside the rule it breaks."""

BINS_MUTANTS: dict[str, str] = {
    "same_bin_twice": "every look after the first looks at the first bin again",
    "fuller_bin": "the ball goes into the fuller of the bins it looked at",
}
"""Broken games of balls into bins (``balls_into_bins(..., mutant=)``)."""

_TWO_CHOICES_MUTANTS = ("one_backend_twice", "more_loaded_of_two")


def _mutants_of(names: Sequence[str]) -> dict[str, str]:
    """The entries of ``POLICY_MUTANTS`` that break one policy (what its ``mutant=`` allows)."""
    return {name: POLICY_MUTANTS[name] for name in names}


# -- the choice functions -----------------------------------------------------------------
def least_connections(
    backends: Sequence[str], outstanding: Mapping[str, int], healthy: Collection[str]
) -> str | None:
    """The healthy backend with the fewest outstanding requests.

    Parameters
    ----------
    backends : sequence of str
        The backends, in order; ties go to the one that comes first.
    outstanding : mapping of str to int
        Requests sent to each backend and not yet answered; a backend that is
        missing counts as 0.
    healthy : collection of str
        The backends that may be chosen.

    Returns
    -------
    str or None
        ``None`` if no backend is healthy.

    Examples
    --------
    >>> least_connections(["a", "b", "c"], {"a": 2, "b": 0, "c": 0}, {"a", "b", "c"})
    'b'
    >>> least_connections(["a", "b", "c"], {"a": 2, "b": 0}, {"a", "c"})
    'c'
    >>> least_connections(["a"], {}, set()) is None
    True
    """
    best: str | None = None
    best_load = 0
    for b in backends:
        if b in healthy:
            load = outstanding.get(b, 0)
            if best is None or load < best_load:
                best, best_load = b, load
    return best


def power_of_two_choices(
    backends: Sequence[str],
    outstanding: Mapping[str, int],
    rng: random.Random,
    d: int = 2,
    mutant: str | None = None,
) -> str:
    """Sample ``d`` distinct backends uniformly at random; return the one with the fewest
    outstanding requests (ties: the first sampled).

    ``mutant`` selects a broken version from ``POLICY_MUTANTS`` (``"one_backend_twice"``,
    ``"more_loaded_of_two"``).

    Examples
    --------
    >>> rng = random.Random(4)
    >>> [power_of_two_choices(["a", "b", "c", "d"], {"a": 5, "b": 1}, rng) for _ in range(5)]
    ['d', 'c', 'd', 'b', 'd']
    """
    if not backends:
        raise ValueError("power_of_two_choices: no backends to choose from")
    if not (isinstance(d, int) and d >= 1):
        raise ValueError(f"power_of_two_choices: d={d!r} must be an int >= 1")
    check_mutant("power_of_two_choices", mutant, _mutants_of(_TWO_CHOICES_MUTANTS))
    sample = rng.sample(list(backends), min(d, len(backends)))
    if mutant == "one_backend_twice":  # mutant: the second look repeats the first
        sample = [sample[0]] * len(sample)
    if mutant == "more_loaded_of_two":  # mutant: max instead of min
        return max(sample, key=lambda b: outstanding.get(b, 0))
    return min(sample, key=lambda b: outstanding.get(b, 0))


def smooth_weighted_round_robin(weights: Sequence[tuple[str, int]], picks: int) -> list[str]:
    """The first ``picks`` backends of smooth weighted round robin (the rule of nginx's
    ``upstream`` module): each backend has a current weight, 0 at the start. For each pick,
    every current weight grows by the backend's weight; the largest current weight wins (ties:
    the first in ``weights``) and the winner's current weight drops by the total weight.

    Every ``sum(weights)`` consecutive picks hold each backend exactly its weight's number of
    times, and the heavy backends' picks are spread among the light ones' rather than
    sent in a row.

    Parameters
    ----------
    weights : sequence of (str, int)
        Each backend's name and weight (an int >= 1), in order; names distinct.
    picks : int
        How many picks (>= 0).

    Returns
    -------
    list of str

    Raises
    ------
    ValueError
        If there is no backend, a name repeats, a weight is not an int >= 1, or ``picks``
        is not an int >= 0.

    Examples
    --------
    >>> "".join(smooth_weighted_round_robin([("a", 5), ("b", 1), ("c", 1)], 7))
    'aabacaa'
    >>> smooth_weighted_round_robin([("a", 0)], 1)
    Traceback (most recent call last):
    ...
    ValueError: smooth_weighted_round_robin: the weight of 'a' is 0; weights are ints >= 1
    """
    names = [name for name, _ in weights]
    if not names:
        raise ValueError("smooth_weighted_round_robin: give at least one (name, weight)")
    if len(set(names)) != len(names):
        raise ValueError(f"smooth_weighted_round_robin: names repeat: {names}")
    for name, weight in weights:
        if not (isinstance(weight, int) and not isinstance(weight, bool) and weight >= 1):
            raise ValueError(
                f"smooth_weighted_round_robin: the weight of {name!r} is {weight!r}; "
                "weights are ints >= 1"
            )
    if not (isinstance(picks, int) and not isinstance(picks, bool) and picks >= 0):
        raise ValueError(f"smooth_weighted_round_robin: picks={picks!r} must be an int >= 0")
    total = sum(weight for _, weight in weights)
    current = [0] * len(weights)
    out = []
    for _ in range(picks):
        best = 0
        for i, (_, weight) in enumerate(weights):
            current[i] += weight
            if current[i] > current[best]:
                best = i
        current[best] -= total
        out.append(names[best])
    return out


# -- policies -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Dispatch:
    """What a policy may look at to place one request.

    Attributes
    ----------
    healthy : tuple of str
        The healthy backends, in the configured order (never empty).
    outstanding : mapping of str to int
        The requests sent to each backend and not answered yet.
    key : hashable, optional
        The request's key (its client if it has none): what consistent hashing hashes.
    dispatched : int
        How many requests were dispatched before this one.
    rng : random.Random
        The balancer's seeded random generator (default: seed 0).

    Examples
    --------
    >>> RoundRobin().choose(Dispatch(("a", "b", "c"), dispatched=4))
    'b'
    """

    healthy: tuple[str, ...]
    outstanding: Mapping[str, int] = field(default_factory=dict)
    key: Hashable = None
    dispatched: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(0), compare=False)


class Policy:
    """How a balancer picks a backend. Configuration only: it holds no state.

    ``choose`` receives a ``Dispatch``: the healthy backends, the outstanding
    requests of each, the request's key, how many requests were dispatched
    before this one, and the balancer's seeded random generator.
    """

    name = "policy"

    def choose(self, request: Dispatch) -> str:
        """Return one of ``request.healthy``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RoundRobin(Policy):
    """Each healthy backend in turn.

    >>> [RoundRobin().choose(Dispatch(("a", "b", "c"), dispatched=i)) for i in range(4)]
    ['a', 'b', 'c', 'a']
    """

    name = "round robin"

    def choose(self, request: Dispatch) -> str:
        return request.healthy[request.dispatched % len(request.healthy)]


class RandomChoice(Policy):
    """A healthy backend uniformly at random.

    >>> RandomChoice().choose(Dispatch(("a", "b", "c"), rng=random.Random(1)))
    'a'
    """

    name = "random"

    def choose(self, request: Dispatch) -> str:
        return request.healthy[request.rng.randrange(len(request.healthy))]


class LeastConnections(Policy):
    """The healthy backend with the fewest outstanding requests; ties round robin.

    The list is rotated by the number of requests dispatched before
    ``least_connections`` picks the first of the least loaded, so that at low
    load (every count 0) the backends still take turns.

    >>> LeastConnections().choose(Dispatch(("a", "b", "c"), {"a": 1, "b": 1, "c": 3}, dispatched=1))
    'b'
    """

    name = "least connections"

    def __init__(self, mutant: str | None = None) -> None:
        self.mutant = check_mutant("LeastConnections", mutant, _mutants_of(("ties_to_first",)))

    def choose(self, request: Dispatch) -> str:
        healthy, k = request.healthy, request.dispatched % len(request.healthy)
        if self.mutant == "ties_to_first":  # mutant: no rotation, ties always to the first
            k = 0
        choice = least_connections(healthy[k:] + healthy[:k], request.outstanding, healthy)
        assert choice is not None
        return choice


@dataclass(frozen=True, repr=False)
class PowerOfTwoChoices(Policy):
    """Sample ``d`` healthy backends at random, take the least loaded (``d = 2``: the power
    of two choices).

    >>> request = Dispatch(("a", "b", "c"), {"a": 3, "b": 0}, rng=random.Random(2))
    >>> PowerOfTwoChoices().choose(request)
    'c'
    """

    d: int = 2
    mutant: str | None = None

    def __post_init__(self) -> None:
        check_mutant("PowerOfTwoChoices", self.mutant, _mutants_of(_TWO_CHOICES_MUTANTS))

    @property
    def name(self) -> str:  # type: ignore[override]
        return "power of two" if self.d == 2 else f"power of {self.d} choices"

    def choose(self, request: Dispatch) -> str:
        return power_of_two_choices(
            request.healthy, request.outstanding, request.rng, self.d, self.mutant
        )

    def __repr__(self) -> str:
        extra = "" if self.mutant is None else f", mutant={self.mutant!r}"
        return f"PowerOfTwoChoices(d={self.d}{extra})"


class ConsistentHashPolicy(Policy):
    """The request's key (its client if it has none) picks the backend on a consistent-hash
    ring of every configured backend; an unhealthy backend is skipped clockwise.

    Parameters
    ----------
    backends : sequence of str
    vnodes : int, default 64

    Examples
    --------
    >>> p = ConsistentHashPolicy(["a", "b", "c"])
    >>> p.choose(Dispatch(("a", "b", "c"), key="user42"))
    'c'
    >>> p.choose(Dispatch(("a", "b"), key="user42"))  # c is down: the next one
    'b'
    """

    name = "consistent hash"

    def __init__(
        self, backends: Sequence[str], vnodes: int = 64, mutant: str | None = None
    ) -> None:
        self.ring = ConsistentHashRing(backends, vnodes)
        self.mutant = check_mutant("ConsistentHashPolicy", mutant, _mutants_of(("modulo_hash",)))

    def choose(self, request: Dispatch) -> str:
        key = request.key if isinstance(request.key, (str, bytes, int)) else repr(request.key)
        if self.mutant == "modulo_hash":  # mutant: hash mod n, no ring
            return request.healthy[stable_hash(key) % len(request.healthy)]
        for node in self.ring.successors(key):
            if node in request.healthy:
                return node
        return request.healthy[0]  # a healthy backend the ring does not know (not configured)

    def __repr__(self) -> str:
        return f"ConsistentHashPolicy({len(self.ring.nodes)} backends)"


POLICIES = ("round robin", "random", "least connections", "power of two", "consistent hash")
"""The names ``make_policy`` knows, in the order the book shows them."""


def make_policy(name: str, backends: Sequence[str]) -> Policy:
    """The policy called ``name`` (one of ``POLICIES``) for these backends.

    >>> make_policy("power of two", ["a", "b"])
    PowerOfTwoChoices(d=2)
    >>> make_policy("fastest", ["a"])
    Traceback (most recent call last):
    ...
    ValueError: unknown policy 'fastest'; the policies are round robin, random, \
least connections, power of two, consistent hash
    """
    if name == "round robin":
        return RoundRobin()
    if name == "random":
        return RandomChoice()
    if name == "least connections":
        return LeastConnections()
    if name == "power of two":
        return PowerOfTwoChoices(2)
    if name == "consistent hash":
        return ConsistentHashPolicy(backends)
    raise ValueError(f"unknown policy {name!r}; the policies are {', '.join(POLICIES)}")


# -- nodes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """A health-check probe of round ``round``."""

    round: int


@dataclass(frozen=True)
class ProbeReply:
    """A backend's answer to ``Probe(round)``."""

    round: int


class Backend(QueueServer):
    """Chapter 1's ``QueueServer`` (one request at a time, first come first served, each
    taking ``service_time``) that also answers health-check probes at once.

    Parameters
    ----------
    service_time : float or (float, float), default 1.0
        A constant, or a range drawn uniformly.

    Examples
    --------
    >>> ctx = Context("b1", ["b1", "lb"])
    >>> Backend().on_message(ctx, QueueState(), "lb", Probe(3))
    QueueState(waiting=(), serving=None, served=0)
    >>> ctx.sent
    [('lb', ProbeReply(round=3))]
    """

    def on_message(self, ctx: Context, state: QueueState, src: str, msg: Any) -> QueueState:
        if isinstance(msg, Probe):
            ctx.send(src, ProbeReply(msg.round))
            return state
        return super().on_message(ctx, state, src, msg)

    def __repr__(self) -> str:
        return f"Backend({self.service_time!r})"


class KeyedLoadGenerator(LoadGenerator):
    """Chapter 1's open-loop ``LoadGenerator`` whose requests carry a key, drawn uniformly
    from ``keys`` (for consistent-hash balancing).

    Examples
    --------
    >>> sim = Simulation(System({"s": QueueServer(1.0), "g": KeyedLoadGenerator("s", 0.5, 2)}))
    >>> [e.data.key for e in sim.run().trace.of_kind("send") if isinstance(e.data, Request)]
    ['key000092', 'key000052']
    """

    def __init__(self, server: str, rate: float, count: int, keys: int = 100) -> None:
        super().__init__(server, rate, count)
        if not (isinstance(keys, int) and keys >= 1):
            raise ValueError(f"KeyedLoadGenerator: keys={keys!r} must be an int >= 1")
        self.keys = tuple(make_keys(keys))

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        key = self.keys[ctx.rng.randrange(len(self.keys))]
        ctx.send(self.server, Request(ctx.id, timer, "work", key))
        if timer + 1 < self.count:
            ctx.set_timer(timer + 1, ctx.rng.expovariate(self.rate))
        return state


@dataclass(frozen=True)
class HealthCheck:
    """How a balancer checks its backends: a probe every ``interval``; ``fall`` missed
    probes in a row eject a backend, ``rise`` answered probes in a row readmit it.

    >>> HealthCheck().detection_bound()
    15.0
    """

    interval: float = 5.0
    fall: int = 2
    rise: int = 2

    def __post_init__(self) -> None:
        if not (is_number(self.interval) and self.interval > 0):
            raise ValueError(f"HealthCheck: interval={self.interval!r} must be > 0")
        for name in ("fall", "rise"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"HealthCheck: {name}={value!r} must be an int >= 1")

    def detection_bound(self) -> float:
        """The longest a failed backend can stay in the pool: ``(fall + 1) * interval``."""
        return (self.fall + 1) * self.interval

    def readmission_bound(self) -> float:
        """The longest a recovered backend can stay out: ``(rise + 1) * interval``."""
        return (self.rise + 1) * self.interval


@dataclass(frozen=True)
class BalancerState:
    """The balancer's state; every tuple has one entry per backend, in the configured order.

    Attributes
    ----------
    outstanding : tuple of int
        Requests forwarded and not yet answered (reset when the backend is ejected).
    healthy : tuple of bool
    epoch : tuple of int
        Incremented when a backend is ejected; a late reply of an older epoch is
        still passed on to its client but no longer counts as outstanding.
    misses, answers : tuple of int
        Probes missed / answered in a row.
    answered : tuple of bool
        Whether the current round's probe has been answered.
    round : int
        The current probe round.
    dispatched : int
        Requests forwarded so far.
    sent : tuple of int
        Requests forwarded to each backend so far.
    refused : int
        Requests refused because no backend was healthy.
    """

    outstanding: tuple[int, ...]
    healthy: tuple[bool, ...]
    epoch: tuple[int, ...]
    misses: tuple[int, ...]
    answers: tuple[int, ...]
    answered: tuple[bool, ...]
    round: int = 0
    dispatched: int = 0
    sent: tuple[int, ...] = ()
    refused: int = 0


def _put(t: tuple[Any, ...], i: int, v: Any) -> tuple[Any, ...]:
    return (*t[:i], v, *t[i + 1 :])


BALANCER_MUTANTS: dict[str, str] = {
    "ignores_health": "chooses among all backends, ejected ones included",
    "never_readmits": "an ejected backend stays out forever",
    "leaks_connections": "never decrements a backend's outstanding count",
}
"""Broken balancers, by name, with what is wrong."""


class LoadBalancer(Node[BalancerState]):
    """A load balancer node: forwards each client ``Request`` to a backend chosen by
    ``policy``, passes the ``Reply`` back, and health-checks the backends.

    The forwarded request carries ``(client, request id, backend index, epoch)``
    as its id, which the backend echoes in its reply: so the balancer needs no
    table of pending requests. It does not retry: a request lost in a crashed
    backend stays unanswered (the client's business, chapter 5).

    Parameters
    ----------
    backends : sequence of str
        The backends' node ids.
    policy : Policy
    health : HealthCheck, optional
        Without one, every backend is always considered healthy.
    mutant : str, optional
        A broken version from ``BALANCER_MUTANTS``.

    Examples
    --------
    >>> lb = LoadBalancer(["b1", "b2"], RoundRobin())
    >>> ctx = Context("lb", ["lb", "b1", "b2", "c"])
    >>> s = lb.on_message(ctx, lb.init(ctx), "c", Request("c", 7, "work"))
    >>> ctx.sent
    [('b1', Request(client='lb', request_id=('c', 7, 0, 0), f='work', key=None, value=None))]
    >>> s.outstanding
    (1, 0)
    """

    def __init__(
        self,
        backends: Sequence[str],
        policy: Policy,
        health: HealthCheck | None = None,
        mutant: str | None = None,
    ) -> None:
        if isinstance(backends, str) or not backends:
            raise ValueError(f"LoadBalancer: backends={backends!r} must be a non-empty list")
        if len(set(backends)) != len(backends):
            raise ValueError(f"LoadBalancer: backends repeat: {list(backends)}")
        if not isinstance(policy, Policy):
            raise TypeError(f"LoadBalancer: policy={policy!r} must be a Policy")
        if health is not None and not isinstance(health, HealthCheck):
            raise TypeError(f"LoadBalancer: health={health!r} must be a HealthCheck or None")
        if mutant is not None and mutant not in BALANCER_MUTANTS:
            raise ValueError(
                f"LoadBalancer: unknown mutant {mutant!r}; "
                f"the mutants are {sorted(BALANCER_MUTANTS)}"
            )
        self.backends = tuple(backends)
        self.index = {b: i for i, b in enumerate(self.backends)}
        self.policy = policy
        self.health = health
        self.mutant = mutant

    def init(self, ctx: Context) -> BalancerState:
        n = len(self.backends)
        if self.health is not None:
            for b in self.backends:
                ctx.send(b, Probe(0))
            ctx.set_timer("probe", self.health.interval)
        zeros = (0,) * n
        return BalancerState(zeros, (True,) * n, zeros, zeros, zeros, (False,) * n, sent=zeros)

    def on_message(self, ctx: Context, state: BalancerState, src: str, msg: Any) -> BalancerState:
        if isinstance(msg, Request) and src not in self.index:
            return self._dispatch(ctx, state, src, msg)
        if isinstance(msg, Reply) and src in self.index:
            route: Any = msg.request_id  # (client, its request id, backend index, epoch)
            client, request_id, i, epoch = route
            ctx.send(client, Reply(request_id, msg.ok, msg.value))
            if (
                epoch == state.epoch[i]
                and state.outstanding[i] > 0
                and self.mutant != "leaks_connections"
            ):
                return replace(
                    state, outstanding=_put(state.outstanding, i, state.outstanding[i] - 1)
                )
            return state
        if isinstance(msg, ProbeReply) and src in self.index and msg.round == state.round:
            return replace(state, answered=_put(state.answered, self.index[src], True))
        return state

    def _dispatch(
        self, ctx: Context, state: BalancerState, src: str, req: Request
    ) -> BalancerState:
        if self.mutant == "ignores_health":
            healthy = self.backends
        else:
            healthy = tuple(b for b, ok in zip(self.backends, state.healthy, strict=True) if ok)
        if not healthy:
            ctx.send(src, Reply(req.request_id, False, "no healthy backend"))
            return replace(state, refused=state.refused + 1)
        outstanding = {b: state.outstanding[i] for i, b in enumerate(self.backends)}
        key = req.key if req.key is not None else src
        backend = self.policy.choose(Dispatch(healthy, outstanding, key, state.dispatched, ctx.rng))
        i = self.index[backend]
        route: Any = (src, req.request_id, i, state.epoch[i])  # echoed back by the backend
        ctx.send(backend, Request(ctx.id, route, req.f, req.key, req.value))
        return replace(
            state,
            outstanding=_put(state.outstanding, i, state.outstanding[i] + 1),
            dispatched=state.dispatched + 1,
            sent=_put(state.sent, i, state.sent[i] + 1),
        )

    def on_timer(self, ctx: Context, state: BalancerState, timer: Any) -> BalancerState:
        if timer != "probe" or self.health is None:
            return state
        h = self.health
        outstanding, healthy, epoch = (
            list(state.outstanding),
            list(state.healthy),
            list(state.epoch),
        )
        misses, answers = list(state.misses), list(state.answers)
        for i in range(len(self.backends)):
            if state.answered[i]:
                misses[i], answers[i] = 0, answers[i] + 1
            else:
                misses[i], answers[i] = misses[i] + 1, 0
            if healthy[i] and misses[i] >= h.fall:
                healthy[i] = False  # eject: forget what it owes, late replies still pass on
                epoch[i] += 1
                outstanding[i] = 0
            elif not healthy[i] and answers[i] >= h.rise and self.mutant != "never_readmits":
                healthy[i] = True
        round_ = state.round + 1
        for b in self.backends:
            ctx.send(b, Probe(round_))
        ctx.set_timer("probe", h.interval)
        return replace(
            state,
            outstanding=tuple(outstanding),
            healthy=tuple(healthy),
            epoch=tuple(epoch),
            misses=tuple(misses),
            answers=tuple(answers),
            answered=(False,) * len(self.backends),
            round=round_,
        )

    def __repr__(self) -> str:
        return f"LoadBalancer({self.policy.name})"


# -- measuring ----------------------------------------------------------------------------
def response_times(trace: Trace, client: str) -> tuple[list[float], int]:
    """The response time of each request ``client`` sent that was answered ``ok``, in
    completion order, and the number answered not ok (refused).

    Examples
    --------
    >>> sim = Simulation(System({"s": QueueServer(2.0), "g": LoadGenerator("s", 0.1, 3)}))
    >>> response_times(sim.run().trace, "g")
    ([4.0, 4.0, 4.0], 0)
    """
    sent: dict[Hashable, float] = {}
    out: list[float] = []
    refused = 0
    for e in trace:
        if e.node != client:
            continue
        if e.kind == "send" and isinstance(e.data, Request):
            sent.setdefault(e.data.request_id, e.time)
        elif e.kind == "deliver" and isinstance(e.data, Reply):
            start = sent.pop(e.data.request_id, None)
            if start is not None:
                if e.data.ok:
                    out.append(e.time - start)
                else:
                    refused += 1
    return out, refused


@dataclass(frozen=True)
class BalancerRun:
    """What ``run_balancer`` measured.

    Attributes
    ----------
    policy : str
    latencies : tuple of float
        Response times of the requests answered ok, sorted.
    answered, refused, unanswered : int
        Requests answered ok; refused (no healthy backend); never answered (lost
        in a crashed backend, or still in flight at the end).
    sent : tuple of (str, int)
        Requests forwarded to each backend.
    simulation : Simulation
        The run itself (its trace, the nodes' final states).
    """

    policy: str
    latencies: tuple[float, ...]
    answered: int
    refused: int
    unanswered: int
    sent: tuple[tuple[str, int], ...]
    simulation: Simulation

    def p(self, q: float) -> float:
        """The ``q``-th percentile of the response times of the requests answered ok
        (``nan`` if none). Lost and refused requests are left out: see ``p_all``."""
        return percentile(self.latencies, q) if self.latencies else math.nan

    def p_all(self, q: float) -> float:
        """The ``q``-th percentile over every request, a lost or refused one counting as
        never answered (``inf``).

        >>> run = run_balancer("round robin", [1.0], rate=0.5, requests=4, seed=0)
        >>> run.p_all(99) == run.p(99)
        True
        """
        never = [math.inf] * (self.refused + self.unanswered)
        return percentile([*self.latencies, *never], q)

    @property
    def ejections(self) -> int:
        """How many times the balancer ejected a backend (health checks)."""
        state: BalancerState = self.simulation.states["lb"]
        return sum(state.epoch)

    def summary(self) -> dict[str, Any]:
        """This run as one row (a dict) of a table of several runs.

        The keys are policy, p50, p99, p99.9, mean, answered, refused, unanswered; collect
        the rows of several runs and build one DataFrame from them
        (``pd.DataFrame([r.summary() for r in runs])``). ``to_frame`` is the same row as a
        one-row DataFrame.
        """
        lat = self.latencies
        return {
            "policy": self.policy,
            "p50": self.p(50),
            "p99": self.p(99),
            "p99.9": self.p(99.9),
            "mean": sum(lat) / len(lat) if lat else math.nan,
            "answered": self.answered,
            "refused": self.refused,
            "unanswered": self.unanswered,
        }

    def to_frame(self) -> Any:
        """This run's ``summary`` as a one-row pandas DataFrame (as ``Trace.to_frame`` etc.).

        Examples
        --------
        >>> run = run_balancer("round robin", [1.0, 1.0], rate=0.5, requests=100, seed=2)
        >>> list(run.to_frame().columns)
        ['policy', 'p50', 'p99', 'p99.9', 'mean', 'answered', 'refused', 'unanswered']
        >>> int(run.to_frame().loc[0, "answered"]) == run.answered
        True
        """
        import pandas as pd

        return pd.DataFrame([self.summary()])


def run_balancer(
    policy: str | Policy,
    service_times: Sequence[float | tuple[float, float]],
    rate: float,
    requests: int,
    seed: int = 0,
    health: HealthCheck | None = None,
    crash: tuple[int, float, float] | None = None,
    latency: float = 0.5,
    keys: int = 100,
    mutant: str | None = None,
    until: float | None = None,
    loss: float = 0.0,
) -> BalancerRun:
    """Run one policy on an open-loop stream of ``requests`` requests and measure it.

    The system: a ``KeyedLoadGenerator`` (``"load"``, Poisson arrivals at
    ``rate``, keys uniform over ``keys`` keys), a ``LoadBalancer`` (``"lb"``)
    and backends ``b1, b2, ...`` with the given service times. The network
    has a constant one-way ``latency``, so the request stream (arrival times
    and keys, drawn from the generator's own seeded generator) is the same
    whatever the policy.

    Parameters
    ----------
    policy : str or Policy
        A name from ``POLICIES`` or a ``Policy``.
    service_times : sequence
        One per backend: a constant or a ``(lo, hi)`` range.
    rate : float
        Requests per time unit.
    requests : int
    seed : int, default 0
    health : HealthCheck, optional
    crash : (int, float, float), optional
        ``(backend index, crash time, restart time)``: crash that backend (from
        0) for a while.
    latency : float, default 0.5
    keys : int, default 100
    mutant : str, optional
        Run a broken balancer from ``BALANCER_MUTANTS``.
    until : float, optional
        Stop the simulation at this time (default: run until nothing is left).
    loss : float, default 0.0
        The probability that the network loses a message (a request, a reply, a probe).

    Examples
    --------
    >>> run = run_balancer("round robin", [1.0, 1.0], rate=0.5, requests=100, seed=2)
    >>> run.sent, round(run.p(50), 2)
    ((('b1', 50), ('b2', 50)), 3.0)
    """
    if not service_times:
        raise ValueError("run_balancer: give at least one backend service time")
    backends = [f"b{i + 1}" for i in range(len(service_times))]
    pol = make_policy(policy, backends) if isinstance(policy, str) else policy
    nodes: dict[str, Node[Any]] = {
        "load": KeyedLoadGenerator("lb", rate, requests, keys),
        "lb": LoadBalancer(backends, pol, health, mutant),
    }
    for b, st in zip(backends, service_times, strict=True):
        nodes[b] = Backend(st)
    nemesis = None
    if crash is not None:
        index, down, up = crash
        if not (isinstance(index, int) and 0 <= index < len(backends)) or not 0 <= down < up:
            raise ValueError(
                f"run_balancer: crash={crash!r} must be (backend index, crash time, restart "
                "time) with 0 <= crash time < restart time"
            )
        nemesis = Nemesis([(down, Crash(backends[index])), (up, Restart(backends[index]))])
    if not (is_number(loss) and 0 <= loss < 1):
        raise ValueError(f"run_balancer: loss={loss!r} must be in [0, 1)")
    network = Network(latency=constant(latency), loss=loss) if loss else Network(constant(latency))
    sim = Simulation(System(nodes), seed=seed, network=network, nemesis=nemesis)
    if until is not None:
        sim.run(until=until)
    elif health is not None:
        # Probes go on forever: stop once every request had time to be answered.
        sim.run(until=_horizon(sim, requests, rate))
    else:
        sim.run()
    latencies, refused = response_times(sim.trace, "load")
    lb_state: BalancerState = sim.states["lb"]
    return BalancerRun(
        pol.name,
        tuple(sorted(latencies)),
        len(latencies),
        refused,
        requests - len(latencies) - refused,
        tuple(zip(backends, lb_state.sent, strict=True)),
        sim,
    )


def _horizon(sim: Simulation, requests: int, rate: float) -> float:
    # Run past the last arrival (about requests / rate) with a generous margin;
    # then keep going while requests are still being served.
    end = 2.0 * requests / rate + 200.0
    sim.run(until=end)
    for _ in range(50):
        busy = any(
            isinstance(s, QueueState) and (s.serving is not None or s.waiting)
            for s in sim.states.values()
        )
        if not busy:
            break
        end += requests / rate
        sim.run(until=end)
    return end


# -- balls into bins ----------------------------------------------------------------------
def balls_into_bins(
    bins: int,
    balls: int | None = None,
    choices: int = 1,
    seed: int = 0,
    mutant: str | None = None,
) -> list[int]:
    """Throw ``balls`` balls (default: as many as bins) into ``bins`` bins; each ball looks at
    ``choices`` bins chosen independently and uniformly at random and goes into the least
    loaded of them (ties: the first looked at). Returns the bins' loads.

    ``mutant`` selects a broken game from ``BINS_MUTANTS``.

    Examples
    --------
    >>> one = balls_into_bins(10_000, choices=1, seed=1)
    >>> two = balls_into_bins(10_000, choices=2, seed=1)
    >>> max(one), max(two), sum(one) == sum(two) == 10_000
    (8, 3, True)
    """
    if not (isinstance(bins, int) and bins >= 1):
        raise ValueError(f"balls_into_bins: bins={bins!r} must be an int >= 1")
    n_balls = bins if balls is None else balls
    if not (isinstance(n_balls, int) and n_balls >= 0):
        raise ValueError(f"balls_into_bins: balls={balls!r} must be an int >= 0")
    if not (isinstance(choices, int) and choices >= 1):
        raise ValueError(f"balls_into_bins: choices={choices!r} must be an int >= 1")
    check_mutant("balls_into_bins", mutant, BINS_MUTANTS)
    rng = random.Random(f"bins:{seed}")
    loads = [0] * bins
    rand = rng.random
    if choices == 1:
        for _ in range(n_balls):
            loads[int(rand() * bins)] += 1
        return loads
    same_bin, fuller = mutant == "same_bin_twice", mutant == "fuller_bin"
    for _ in range(n_balls):
        best = int(rand() * bins)
        for _ in range(choices - 1):
            other = int(rand() * bins)
            if same_bin:  # mutant: look at the first bin again
                other = best
            fewer = loads[other] < loads[best]
            if fuller:  # mutant: the fuller bin wins
                fewer = loads[other] > loads[best]
            if fewer:
                best = other
        loads[best] += 1
    return loads


def load_tail_theory(choices: int, levels: int, balls_per_bin: float = 1.0) -> list[float]:
    """The fraction of bins holding at least ``i`` balls, ``i = 1 .. levels``, in the limit of
    many bins: the solution at ``t = balls_per_bin`` of

        ds_i/dt = s_(i-1)^d - s_i^d,   s_0 = 1,   s_i(0) = 0,

    since a ball lifts a bin from ``i - 1`` to ``i`` balls exactly when its ``d``
    looks all see ``i - 1`` or more but not all ``i`` or more (Mitzenmacher's
    differential-equations method). With one choice this is the tail of a
    Poisson distribution; with two, ``s_(i+1)`` is about ``s_i`` squared: the tail
    falls doubly exponentially. Solved with fourth-order Runge-Kutta.

    Examples
    --------
    >>> [round(x, 4) for x in load_tail_theory(1, 3)]  # P(Poisson(1) >= i)
    [0.6321, 0.2642, 0.0803]
    >>> [round(x, 4) for x in load_tail_theory(2, 4)]
    [0.7616, 0.2295, 0.0089, 0.0]
    """
    if not (isinstance(choices, int) and choices >= 1):
        raise ValueError(f"load_tail_theory: choices={choices!r} must be an int >= 1")
    if not (isinstance(levels, int) and levels >= 1):
        raise ValueError(f"load_tail_theory: levels={levels!r} must be an int >= 1")
    if not (is_number(balls_per_bin) and balls_per_bin >= 0):
        raise ValueError(f"load_tail_theory: balls_per_bin={balls_per_bin!r} must be >= 0")
    d = choices

    def rate(s: list[float]) -> list[float]:
        below = [1.0, *s[:-1]]
        return [below[i] ** d - s[i] ** d for i in range(levels)]

    s = [0.0] * levels
    steps = max(1, int(2000 * balls_per_bin))
    h = balls_per_bin / steps
    for _ in range(steps):
        k1 = rate(s)
        k2 = rate([x + h / 2 * k for x, k in zip(s, k1, strict=True)])
        k3 = rate([x + h / 2 * k for x, k in zip(s, k2, strict=True)])
        k4 = rate([x + h * k for x, k in zip(s, k3, strict=True)])
        s = [
            x + h / 6 * (a + 2 * b + 2 * c + e)
            for x, a, b, c, e in zip(s, k1, k2, k3, k4, strict=True)
        ]
    return s


def max_load_one_choice(n: float) -> float:
    """The leading-order maximum load with one random choice, ``ln n / ln ln n``
    (``n`` balls into ``n`` bins).

    >>> round(max_load_one_choice(1e6), 2)
    5.26
    """
    if n <= math.e:
        raise ValueError(f"max_load_one_choice: n={n!r} must exceed e")
    return math.log(n) / math.log(math.log(n))


def max_load_gonnet(n: float) -> float:
    """A sharper estimate of the one-choice maximum load: ``Γ⁻¹(n) - 3/2`` (Gonnet 1981), where
    ``Γ⁻¹`` inverts the gamma function.

    >>> round(max_load_gonnet(1e6), 2)
    8.95
    """
    if n < 2:
        raise ValueError(f"max_load_gonnet: n={n!r} must be at least 2")
    target = math.log(n)
    lo, hi = 2.0, 200.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if math.lgamma(mid) < target:
            lo = mid
        else:
            hi = mid
    return lo - 1.5


def max_load_d_choices(n: float, d: int = 2) -> float:
    """The leading-order maximum load with ``d >= 2`` choices, ``ln ln n / ln d`` (Azar,
    Broder, Karlin and Upfal 1994; the true value is this plus a constant).

    >>> round(max_load_d_choices(1e6, 2), 2)
    3.79
    """
    if d < 2:
        raise ValueError(f"max_load_d_choices: d={d!r} must be at least 2")
    if n <= math.e:
        raise ValueError(f"max_load_d_choices: n={n!r} must exceed e")
    return math.log(math.log(n)) / math.log(d)


# -- the checks of chapter 6, and the mutants they catch --------------------------------------
def _sends_to(run: BalancerRun, backend: str, start: float, end: float) -> int:
    return sum(
        1
        for e in run.simulation.trace
        if e.kind == "send"
        and e.node == "lb"
        and e.peer == backend
        and isinstance(e.data, Request)
        and start <= e.time < end
    )


_CHECK_HEALTH = HealthCheck(interval=5.0, fall=2, rise=2)
_CRASH = (1, 100.0, 300.0)  # b2 is down from time 100 to time 300


def _crash_run(mutant: str | None, seed: int) -> BalancerRun:
    return run_balancer(
        "round robin",
        [(0.5, 1.5)] * 4,
        rate=2.0,
        requests=1000,
        seed=seed,
        health=_CHECK_HEALTH,
        crash=_CRASH,
        mutant=mutant,
    )


def ejects_failed_backend(mutant: str | None = None, seed: int = 1) -> Outcome:
    """Once the detection bound has passed, no request goes to a crashed backend.

    Round robin over four backends; ``b2`` is down from time 100 to 300;
    health checks every 5 with ``fall=2``, so from time 115 on ``b2`` must get
    nothing until it restarts.

    >>> ejects_failed_backend().ok, ejects_failed_backend("ignores_health").ok
    (True, False)
    """
    run = _crash_run(mutant, seed)
    _, down, up = _CRASH
    n = _sends_to(run, "b2", down + _CHECK_HEALTH.detection_bound(), up)
    return Outcome(n == 0, detail=f"{n} requests sent to the crashed backend after detection")


def readmits_recovered_backend(mutant: str | None = None, seed: int = 1) -> Outcome:
    """A backend that restarts gets requests again once the readmission bound has passed.

    >>> readmits_recovered_backend().ok, readmits_recovered_backend("never_readmits").ok
    (True, False)
    """
    run = _crash_run(mutant, seed)
    _, _, up = _CRASH
    n = _sends_to(run, "b2", up + _CHECK_HEALTH.readmission_bound() + 1.0, math.inf)
    return Outcome(n > 0, detail=f"{n} requests sent to the backend after it recovered")


def avoids_slow_backend(mutant: str | None = None, seed: int = 1) -> Outcome:
    """Least connections sends a backend five times slower than the others less than half
    of an equal share of the requests.

    >>> avoids_slow_backend().ok, avoids_slow_backend("leaks_connections").ok
    (True, False)
    """
    run = run_balancer(
        "least connections",
        [(0.5, 1.5)] * 3 + [(2.5, 7.5)],
        rate=1.8,
        requests=2000,
        seed=seed,
        mutant=mutant,
    )
    share = dict(run.sent)["b4"] / 2000
    return Outcome(share < 0.5 / 4, detail=f"the slow backend got {share:.1%} of the requests")


BALANCER_CHECKS: dict[str, Callable[[str | None, int], Outcome]] = {
    "ejects a failed backend": ejects_failed_backend,
    "readmits a recovered backend": readmits_recovered_backend,
    "avoids a slow backend": avoids_slow_backend,
}
"""The health-check and balancer checks (section 6.3), by name; each takes a mutant name
(``None``: the correct balancer) and a seed (default 1)."""


def balancer_mutants() -> list[Mutant[str | None]]:
    """The broken balancers of ``BALANCER_MUTANTS`` as ``dslib.mutants.Mutant`` values, each
    with the check that must catch it (``build`` returns the mutant's name).

    >>> from dslib.mutants import run_mutants
    >>> report = run_mutants(lambda: None, balancer_mutants(), BALANCER_CHECKS)
    >>> report.ok, [m.caught_by for m in report.mutants]
    (True, [('ejects a failed backend',), ('readmits a recovered backend',), \
('avoids a slow backend',)])
    """
    caught = {
        "ignores_health": "ejects a failed backend",
        "never_readmits": "readmits a recovered backend",
        "leaks_connections": "avoids a slow backend",
    }
    return [
        Mutant(name, bug, _constant(name), (caught[name],))
        for name, bug in BALANCER_MUTANTS.items()
    ]


def _constant(name: str | None) -> Callable[[], str | None]:
    return lambda: name


# -- the checks of the policies (6.1) and of balls into bins (6.2), and their mutants ----------
def _own(owner: str, mutant: str | None, table: Mapping[str, str], names: Sequence[str]) -> Any:
    """Validate ``mutant`` against ``table``; return it if it breaks ``owner`` (one of
    ``names``), else ``None`` (the mutant breaks another part, which ``owner`` runs correct)."""
    check_mutant(owner, mutant, table)
    return mutant if mutant in names else None


def ties_take_turns(mutant: str | None = None, seed: int = 0) -> Outcome:
    """At low load every outstanding count is 0, so least connections must share the
    requests out evenly: four identical backends, 200 requests at one per 20 time units;
    each backend must get between 20 % and 30 % of them.

    >>> ties_take_turns().ok, ties_take_turns("ties_to_first").ok
    (True, False)
    """
    policy = LeastConnections(_own("ties_take_turns", mutant, POLICY_MUTANTS, ["ties_to_first"]))
    run = run_balancer(policy, [1.0] * 4, rate=0.05, requests=200, seed=seed)
    shares = [n / 200 for _, n in run.sent]
    ok = all(0.2 <= x <= 0.3 for x in shares)
    return Outcome(ok, detail="shares " + ", ".join(f"{x:.0%}" for x in shares))


def two_looks_avoid_the_most_loaded(mutant: str | None = None, seed: int = 0) -> Outcome:
    """Two distinct looks never pick the most loaded backend: five backends with 0, 1, 2, 3
    and 9 requests outstanding, 500 picks of ``PowerOfTwoChoices``; ``b5`` must get none.

    >>> check = two_looks_avoid_the_most_loaded
    >>> check().ok, check("one_backend_twice").ok, check("more_loaded_of_two").ok
    (True, False, False)
    """
    policy = PowerOfTwoChoices(2, _own("two_looks", mutant, POLICY_MUTANTS, _TWO_CHOICES_MUTANTS))
    loads = {"b1": 0, "b2": 1, "b3": 2, "b4": 3, "b5": 9}
    rng = random.Random(f"two looks:{seed}")
    picks = [policy.choose(Dispatch(tuple(loads), loads, rng=rng)) for _ in range(500)]
    n = picks.count("b5")
    return Outcome(n == 0, detail=f"the most loaded backend got {n} of 500 picks")


def keys_stay_put(mutant: str | None = None, seed: int = 0) -> Outcome:
    """When a backend fails, consistent hashing moves only that backend's keys: five
    backends, 200 keys; backend ``seed % 5`` leaves the healthy set, and every key that was
    on another backend must stay where it was.

    >>> keys_stay_put().ok, keys_stay_put("modulo_hash").ok
    (True, False)
    """
    backends = ("b1", "b2", "b3", "b4", "b5")
    policy = ConsistentHashPolicy(
        backends, mutant=_own("keys_stay_put", mutant, POLICY_MUTANTS, ["modulo_hash"])
    )
    dead = backends[seed % len(backends)]
    alive = tuple(b for b in backends if b != dead)
    moved = 0
    for key in make_keys(200, prefix=f"s{seed}-key"):
        before = policy.choose(Dispatch(backends, key=key))
        after = policy.choose(Dispatch(alive, key=key))
        moved += before != dead and after != before
    return Outcome(moved == 0, detail=f"{moved} keys of live backends moved")


def follows_the_fluid_limit(mutant: str | None = None, seed: int = 0) -> Outcome:
    """Two choices, 20,000 balls into 20,000 bins: the fraction of bins with at least ``i``
    balls is within 0.01 of ``load_tail_theory(2, 3)`` for ``i = 1, 2, 3`` (about three
    standard deviations of the measured fraction).

    >>> follows_the_fluid_limit().ok, follows_the_fluid_limit("same_bin_twice").ok
    (True, False)
    """
    n = 20_000
    loads = balls_into_bins(n, choices=2, seed=seed, mutant=mutant)
    theory = load_tail_theory(2, 3)
    gaps = [abs(sum(1 for x in loads if x >= i) / n - theory[i - 1]) for i in (1, 2, 3)]
    return Outcome(max(gaps) < 0.01, detail=f"largest gap {max(gaps):.4f}")


def maximum_near_log_log(mutant: str | None = None, seed: int = 0) -> Outcome:
    """Two choices, 10,000 balls into 10,000 bins: the fullest bin holds at most
    ``floor(ln ln n / ln 2) + 2`` balls (5 here; one choice gives about 7).

    >>> maximum_near_log_log().ok, maximum_near_log_log("fuller_bin").ok
    (True, False)
    """
    n = 10_000
    top = max(balls_into_bins(n, choices=2, seed=seed, mutant=mutant))
    bound = math.floor(max_load_d_choices(n, 2)) + 2
    return Outcome(top <= bound, detail=f"fullest bin {top} (bound {bound})")


SeededCheck = Callable[[str | None, int], Outcome]
"""A check of this module: ``check(mutant, seed) -> Outcome`` (``None``: the correct code)."""

POLICY_CHECKS: dict[str, SeededCheck] = {
    "ties take turns at low load": ties_take_turns,
    "two looks avoid the most loaded": two_looks_avoid_the_most_loaded,
    "keys stay put when a backend fails": keys_stay_put,
}
"""The checks of the policies (section 6.1), by name."""

BINS_CHECKS: dict[str, SeededCheck] = {
    "follows the fluid limit": follows_the_fluid_limit,
    "maximum near ln ln n / ln 2": maximum_near_log_log,
}
"""The checks of balls into bins (section 6.2), by name."""

_POLICY_CAUGHT = {
    "ties_to_first": ("ties take turns at low load",),
    "one_backend_twice": ("two looks avoid the most loaded",),
    "more_loaded_of_two": ("two looks avoid the most loaded",),
    "modulo_hash": ("keys stay put when a backend fails",),
}
_BINS_CAUGHT = {
    "same_bin_twice": ("follows the fluid limit", "maximum near ln ln n / ln 2"),
    "fuller_bin": ("follows the fluid limit", "maximum near ln ln n / ln 2"),
}


def policy_mutants() -> list[Mutant[str | None]]:
    """The broken policies of ``POLICY_MUTANTS`` as ``Mutant`` values, each with the checks of
    ``POLICY_CHECKS`` that must catch it (``build`` returns the mutant's name).

    >>> [m.caught_by for m in policy_mutants()][0]
    ('ties take turns at low load',)
    """
    return [
        Mutant(name, bug, _constant(name), _POLICY_CAUGHT[name])
        for name, bug in POLICY_MUTANTS.items()
    ]


def bins_mutants() -> list[Mutant[str | None]]:
    """The broken games of ``BINS_MUTANTS``, each with the checks of ``BINS_CHECKS`` that
    must catch it.

    >>> [m.name for m in bins_mutants()]
    ['same_bin_twice', 'fuller_bin']
    """
    return [
        Mutant(name, bug, _constant(name), _BINS_CAUGHT[name]) for name, bug in BINS_MUTANTS.items()
    ]


def catch_rate(check: SeededCheck, mutant: str | None, seeds: Sequence[int]) -> tuple[int, int]:
    """``(failed, runs)``: on how many of ``seeds`` the check fails for ``mutant`` (for the
    correct code, ``None``, every failure is a false alarm).

    >>> catch_rate(keys_stay_put, "modulo_hash", range(5)), catch_rate(keys_stay_put, None, [0])
    ((5, 5), (0, 1))
    """
    if not seeds:
        raise ValueError("catch_rate: give at least one seed")
    failed = sum(not check(mutant, seed).ok for seed in seeds)
    return failed, len(seeds)


def mutant_catch_table(
    checks: Mapping[str, SeededCheck], mutants: Sequence[Mutant[str | None]], seeds: Sequence[int]
) -> Any:
    """The mutant table (``dslib.mutants.mutant_table``, every check on seed 0) with one more
    column: on how many of ``seeds`` the mutant's first expected check catches it, and for
    the correct version on how many every check passes.

    Parameters
    ----------
    checks : mapping of str to check
        ``POLICY_CHECKS`` or ``BINS_CHECKS``.
    mutants : sequence of Mutant
        ``policy_mutants()`` or ``bins_mutants()``.
    seeds : sequence of int

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> table = mutant_catch_table(POLICY_CHECKS, policy_mutants()[-1:], range(3))
    >>> print(table[["mutant", "seeds"]].to_string(index=False))
             mutant                            seeds
    correct version passes all 3 checks in 3/3 seeds
        modulo_hash              caught in 3/3 seeds
    """
    if not seeds:
        raise ValueError("mutant_catch_table: give at least one seed")
    seeded = {name: _on_seed(check, seeds[0]) for name, check in checks.items()}
    table = mutant_table(run_mutants(lambda: None, mutants, seeded))
    clean = sum(all(check(None, seed).ok for check in checks.values()) for seed in seeds)
    column = [f"passes all {len(checks)} checks in {clean}/{len(seeds)} seeds"]
    for m in mutants:
        caught, runs = catch_rate(checks[m.caught_by[0]], m.name, seeds)
        column.append(f"caught in {caught}/{runs} seeds")
    table["seeds"] = column
    return table


def _on_seed(check: SeededCheck, seed: int) -> Callable[[str | None], Outcome]:
    return lambda mutant: check(mutant, seed)
