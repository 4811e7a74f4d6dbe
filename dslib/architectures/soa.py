"""Service-oriented: a service registry with heartbeats and discovery; versioned contracts.

In a service-oriented architecture, services are found, not configured: an
instance *registers* with a registry and keeps its registration alive with
*heartbeats*; a client *discovers* the instances of a service by asking the
registry, and the registry drops an instance whose heartbeats stop (after a
time-to-live). A service publishes a **contract**: the shape of the requests
it accepts, with a version. A request is validated against the contract; a
change that could break an existing client (removing or renaming a field,
changing its type, adding a required field) needs a new *major* version,
and a client asks the registry for the major version it was written for.

- ``Contract``, ``validate``, ``breaking_changes``, ``version_problems``;
- ``Registry``, ``ServiceInstance``, ``DiscoveringClient``;
- ``discovery_experiment``: how many calls fail when an instance crashes,
  against the heartbeat period and the time-to-live;
- ``SOA_MUTANTS``: broken registries and consumers, and ``SOA_CHECKS``, the
  seeded sweeps that catch them.

Examples
--------
>>> v1 = Contract("orders", (1, 0), (("item", "str", True), ("qty", "int", True)))
>>> validate({"item": "book", "qty": "two"}, v1)
["field 'qty' must be int, got str ('two')"]
>>> v2 = Contract("orders", (1, 1), (("item", "str", True), ("quantity", "int", True)))
>>> for problem in version_problems(v1, v2):
...     print(problem)
1.0 -> 1.1 needs a new major version: field 'qty' was removed
1.0 -> 1.1 needs a new major version: new field 'quantity' is required
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, Outcome
from dslib.sim.clients import Reply
from dslib.sim.nemesis import Crash, Nemesis
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "SOA_CHECKS",
    "SOA_MUTANTS",
    "TYPES",
    "AnyMajorRegistry",
    "Call",
    "ClientState",
    "Contract",
    "DeafRegistry",
    "DiscoveringClient",
    "Instances",
    "Lookup",
    "NeverExpiresRegistry",
    "Register",
    "Registry",
    "RegistryHeartbeat",
    "RegistryState",
    "ServiceInstance",
    "StickyClient",
    "UnsentFailureClient",
    "breaking_changes",
    "discovery_experiment",
    "validate",
    "version_problems",
]

TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "str": (str,),
    "bool": (bool,),
}
"""The field types a contract may name, and the Python types that satisfy them."""


@dataclass(frozen=True)
class Contract:
    """What a service accepts: ``fields`` are ``(name, type, required)`` triples.

    Examples
    --------
    >>> Contract("orders", (1, 2), (("item", "str", True),)).label
    'orders v1.2'
    """

    service: str
    version: tuple[int, int]
    fields: tuple[tuple[str, str, bool], ...]

    def __post_init__(self) -> None:
        for name, type_, _required in self.fields:
            if type_ not in TYPES:
                raise ValueError(
                    f"Contract {self.service}: field {name!r} has type {type_!r}; "
                    f"allowed: {', '.join(TYPES)}"
                )

    @property
    def label(self) -> str:
        """``"service vMAJOR.MINOR"``."""
        return f"{self.service} v{self.version[0]}.{self.version[1]}"


def validate(
    payload: Mapping[str, Any] | Sequence[tuple[str, Any]], contract: Contract
) -> list[str]:
    """What is wrong with ``payload`` under ``contract`` (an empty list: nothing).

    Unknown fields are errors too: a client that sends them expects something
    this version does not do.

    Examples
    --------
    >>> c = Contract("orders", (1, 0), (("item", "str", True), ("note", "str", False)))
    >>> validate({"item": "pen"}, c)
    []
    >>> for error in validate({"note": 3, "colour": "red"}, c):
    ...     print(error)
    missing required field 'item'
    field 'note' must be str, got int (3)
    unknown field 'colour'
    """
    data = dict(payload)
    errors = []
    known = {name for name, _t, _r in contract.fields}
    for name, type_, required in contract.fields:
        if name not in data:
            if required:
                errors.append(f"missing required field {name!r}")
            continue
        value = data[name]
        ok = isinstance(value, TYPES[type_]) and (type_ == "bool" or not isinstance(value, bool))
        if not ok:
            errors.append(f"field {name!r} must be {type_}, got {type(value).__name__} ({value!r})")
    errors += [f"unknown field {name!r}" for name in sorted(data) if name not in known]
    return errors


def breaking_changes(old: Contract, new: Contract) -> list[str]:
    """The changes from ``old`` to ``new`` that can break a client written for ``old``.

    Removing a field (or renaming it, which removes one), changing a field's
    type, making an optional field required, or adding a required field.
    Adding an optional field is not breaking.

    Examples
    --------
    >>> a = Contract("s", (1, 0), (("x", "int", True),))
    >>> breaking_changes(a, Contract("s", (1, 1), (("x", "int", True), ("y", "str", False))))
    []
    >>> breaking_changes(a, Contract("s", (1, 1), (("x", "str", True),)))
    ["field 'x' changed type from int to str"]
    """
    before = {n: (t, r) for n, t, r in old.fields}
    after = {n: (t, r) for n, t, r in new.fields}
    out = []
    for name in sorted(before):
        if name not in after:
            out.append(f"field {name!r} was removed")
            continue
        (t0, r0), (t1, r1) = before[name], after[name]
        if t0 != t1:
            out.append(f"field {name!r} changed type from {t0} to {t1}")
        if r1 and not r0:
            out.append(f"field {name!r} became required")
    out += [
        f"new field {n!r} is required" for n in sorted(after) if n not in before and after[n][1]
    ]
    return out


def version_problems(old: Contract, new: Contract) -> list[str]:
    """Problems with the version number of ``new`` as a successor of ``old``.

    A breaking change needs a higher major version; otherwise the version
    must still grow.

    Examples
    --------
    >>> a = Contract("s", (1, 0), (("x", "int", True),))
    >>> version_problems(a, Contract("s", (2, 0), ()))
    []
    >>> version_problems(a, Contract("s", (1, 0), (("x", "int", True), ("y", "int", False))))
    ['the version must grow (1.0 -> 1.0)']
    """
    changes = breaking_changes(old, new)
    o, n = old.version, new.version
    text = f"{o[0]}.{o[1]} -> {n[0]}.{n[1]}"
    if changes and n[0] <= o[0]:
        return [f"{text} needs a new major version: {change}" for change in changes]
    if n <= o:
        return [f"the version must grow ({text})"]
    return []


# -- the registry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Register:
    """Instance ``src`` offers ``contract``."""

    contract: Contract


@dataclass(frozen=True)
class RegistryHeartbeat:
    """Instance ``src`` is still alive."""


@dataclass(frozen=True)
class Lookup:
    """Which instances offer ``service`` at major version ``major``?"""

    service: str
    major: int


@dataclass(frozen=True)
class Instances:
    """The answer to ``Lookup``: the live instances, sorted."""

    service: str
    major: int
    instances: tuple[str, ...]


@dataclass(frozen=True)
class RegistryState:
    """Each registered instance: ``(instance, contract, last heartbeat)``, sorted."""

    entries: tuple[tuple[str, Contract, float], ...] = ()
    expired: tuple[tuple[float, str], ...] = ()


class Registry(Node[RegistryState]):
    """Keeps the instances whose heartbeats are recent: older than ``ttl`` they expire.

    Examples
    --------
    >>> Registry(ttl=3.0)
    Registry(ttl 3.0)
    """

    def __init__(self, ttl: float = 3.0, sweep: float = 0.5) -> None:
        if not (isinstance(ttl, (int, float)) and ttl > 0):
            raise ValueError(f"Registry: ttl={ttl!r} must be > 0")
        self.ttl, self.sweep = float(ttl), float(sweep)

    def init(self, ctx: Context) -> RegistryState:
        ctx.set_timer("sweep", self.sweep)
        return RegistryState()

    def on_message(self, ctx: Context, state: RegistryState, src: str, msg: Any) -> RegistryState:
        if isinstance(msg, Register):
            kept = [e for e in state.entries if e[0] != src] + [(src, msg.contract, ctx.now)]
            return replace(state, entries=tuple(sorted(kept, key=lambda e: e[0])))
        if isinstance(msg, RegistryHeartbeat):
            entries = tuple((i, c, ctx.now if i == src else t) for i, c, t in state.entries)
            return replace(state, entries=entries)
        if isinstance(msg, Lookup):
            found = tuple(
                i
                for i, c, _t in state.entries
                if c.service == msg.service and c.version[0] == msg.major
            )
            ctx.send(src, Instances(msg.service, msg.major, found))
        return state

    def on_timer(self, ctx: Context, state: RegistryState, timer: Any) -> RegistryState:
        ctx.set_timer("sweep", self.sweep)
        old = [i for i, _c, t in state.entries if ctx.now - t > self.ttl]
        if not old:
            return state
        return RegistryState(
            tuple(e for e in state.entries if e[0] not in old),
            (*state.expired, *((round(ctx.now, 9), i) for i in old)),
        )

    def __repr__(self) -> str:
        return f"Registry(ttl {self.ttl})"


@dataclass(frozen=True)
class Call:
    """A call to a service: ``payload`` as sorted ``(field, value)`` pairs."""

    request_id: int
    payload: tuple[tuple[str, Any], ...]


class ServiceInstance(Node[int]):
    """Registers ``contract`` with ``registry``, heartbeats every ``heartbeat``, and serves
    ``Call`` messages: a payload that fails validation is refused with the errors.

    The state counts the calls served.

    Examples
    --------
    >>> ServiceInstance(Contract("s", (1, 0), ()))
    ServiceInstance(s v1.0)
    """

    def __init__(
        self, contract: Contract, registry: str = "registry", heartbeat: float = 1.0
    ) -> None:
        self.contract, self.registry, self.heartbeat = contract, registry, float(heartbeat)

    def init(self, ctx: Context) -> int:
        ctx.send(self.registry, Register(self.contract))
        ctx.set_timer("heartbeat", self.heartbeat)
        return 0

    def on_timer(self, ctx: Context, state: int, timer: Any) -> int:
        ctx.send(self.registry, RegistryHeartbeat())
        ctx.set_timer("heartbeat", self.heartbeat)
        return state

    def on_message(self, ctx: Context, state: int, src: str, msg: Any) -> int:
        if not isinstance(msg, Call):
            return state
        errors = validate(msg.payload, self.contract)
        if errors:
            ctx.send(
                src, Reply(msg.request_id, False, f"{self.contract.label}: " + "; ".join(errors))
            )
            return state
        ctx.send(src, Reply(msg.request_id, True, self.contract.label))
        return state + 1

    def __repr__(self) -> str:
        return f"ServiceInstance({self.contract.label})"


@dataclass(frozen=True)
class ClientState:
    """The instances known (and since when), the next to use, the calls under way
    (``(request_id, instance, sent)``), and the results.

    A call under way with instance ``""`` has not been sent yet: the client
    knew no instance when it was due and waits for the registry's answer.
    ``results``: ``(request_id, sent, answered, ok, instance)``; a call with no
    answer within the timeout is recorded with ``ok=False`` (instance ``""``
    if no instance was ever known for it).
    """

    instances: tuple[str, ...] = ()
    fetched: float = -math.inf
    turn: int = 0
    request_id: int = 0
    outstanding: tuple[tuple[int, str, float], ...] = ()
    results: tuple[tuple[int, float, float, bool, str], ...] = ()


class DiscoveringClient(Node[ClientState]):
    """Calls ``service`` (major version ``major``) every ``interval``, ``calls`` times,
    round-robin over the instances the registry lists.

    The list is cached for ``cache_ttl`` and fetched again after a failed call.
    A call that falls due while the client knows no instance (before the
    registry's first answer, or after every known instance failed) waits for
    the answer to a lookup; only its timeout fails it.

    Examples
    --------
    >>> DiscoveringClient("orders", 1, [("item", "pen"), ("qty", 1)])
    DiscoveringClient(orders v1)
    """

    def __init__(
        self,
        service: str,
        major: int,
        payload: Sequence[tuple[str, Any]],
        calls: int = 100,
        interval: float = 0.5,
        timeout: float = 1.0,
        cache_ttl: float = 5.0,
        registry: str = "registry",
    ) -> None:
        self.service, self.major = service, major
        self.payload = tuple(sorted(payload))
        self.calls, self.interval, self.timeout = calls, float(interval), float(timeout)
        self.cache_ttl, self.registry = float(cache_ttl), registry

    def init(self, ctx: Context) -> ClientState:
        ctx.set_timer("call", 1.0)
        return ClientState()

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if timer == "call":
            if state.request_id >= self.calls:
                return state
            ctx.set_timer("call", self.interval)
            if not state.instances or ctx.now - state.fetched > self.cache_ttl:
                ctx.send(self.registry, Lookup(self.service, self.major))
            rid = state.request_id + 1
            ctx.set_timer(("timeout", rid), self.timeout)
            state = replace(
                state, request_id=rid, outstanding=(*state.outstanding, (rid, "", ctx.now))
            )
            return self._dispatch(ctx, state)
        call = next((c for c in state.outstanding if ("timeout", c[0]) == timer), None)
        return state if call is None else self._timed_out(ctx, state, call)

    def _timed_out(
        self, ctx: Context, state: ClientState, call: tuple[int, str, float]
    ) -> ClientState:
        """A call got no answer in time: it failed; forget its instance and look up again."""
        rid, instance, sent = call
        ctx.send(self.registry, Lookup(self.service, self.major))
        return replace(
            state,
            outstanding=tuple(c for c in state.outstanding if c is not call),
            instances=tuple(i for i in state.instances if i != instance),
            results=(*state.results, (rid, sent, ctx.now, False, instance)),
        )

    def _dispatch(self, ctx: Context, state: ClientState) -> ClientState:
        """Send every call that waits for an instance, round-robin over those known."""
        if not state.instances:
            return state
        outstanding = []
        turn = state.turn
        for rid, instance, sent in state.outstanding:
            if not instance:
                instance = state.instances[turn % len(state.instances)]
                turn += 1
                ctx.send(instance, Call(rid, self.payload))
            outstanding.append((rid, instance, sent))
        return replace(state, turn=turn, outstanding=tuple(outstanding))

    def on_message(self, ctx: Context, state: ClientState, src: str, msg: Any) -> ClientState:
        if isinstance(msg, Instances):
            return self._dispatch(ctx, replace(state, instances=msg.instances, fetched=ctx.now))
        call = next(
            (c for c in state.outstanding if isinstance(msg, Reply) and c[0] == msg.request_id),
            None,
        )
        if call is None:
            return state
        ctx.cancel_timer(("timeout", msg.request_id))
        rid, instance, sent = call
        return replace(
            state,
            outstanding=tuple(c for c in state.outstanding if c is not call),
            results=(*state.results, (rid, sent, ctx.now, msg.ok, instance)),
        )

    def __repr__(self) -> str:
        return f"DiscoveringClient({self.service} v{self.major})"


def discovery_experiment(
    heartbeat: float = 1.0,
    ttl: float = 3.0,
    cache_ttl: float = 5.0,
    instances: int = 3,
    calls: int = 120,
    crash_at: float | None = 20.0,
    seed: int = 0,
    timeout: float = 1.0,
    v2_instances: int = 0,
    registry: type[Registry] = Registry,
    client: type[DiscoveringClient] = DiscoveringClient,
) -> dict[str, Any]:
    """Instances of ``orders`` v1.0 behind a registry; one crashes at ``crash_at``.

    A consumer written for v1 calls the service every half time unit, ``calls``
    times. The network's latency is uniform between 0.05 and 0.15.

    Parameters
    ----------
    heartbeat, ttl : float
        The instances' heartbeat period and the registry's time-to-live.
    cache_ttl, timeout : float
        How long the consumer trusts a lookup, and waits for a call's reply.
    instances : int
        Instances of v1.0 (``orders-1`` is the one that crashes).
    calls : int
    crash_at : float or None
        When ``orders-1`` crashes (``None``: nothing fails).
    seed : int
    v2_instances : int
        Instances of v2.0 (a breaking change: ``qty`` renamed ``quantity``)
        registered beside them; a v1 consumer sent to one has its call refused.
    registry, client : type
        The registry's and the consumer's classes (the mutants replace them).

    Returns
    -------
    dict
        ``heartbeat``, ``ttl``, ``calls``, ``failed`` (calls that got no answer
        or were refused), ``expired after`` (from the crash until the registry
        dropped the instance), ``last failure`` (when the last failed call was
        sent, relative to the crash), ``failed call time`` (the mean time from a failed
        call's send to its failure: a timeout, or a refusal), ``heartbeats per instance per
        time unit``
        (before the crash).

    Raises
    ------
    ValueError
        For fewer than one instance or call, or a crash after the consumer's last call.

    Examples
    --------
    >>> r = discovery_experiment(seed=1)
    >>> r["failed"] >= 1, r["expired after"] <= 3.0 + 1.0 + 0.5
    (True, True)
    >>> discovery_experiment(crash_at=None, v2_instances=2, seed=1)["failed"]
    0
    """
    if not (
        isinstance(instances, int) and instances >= 1 and isinstance(calls, int) and calls >= 1
    ):
        raise ValueError(
            f"discovery_experiment: instances={instances!r} and calls={calls!r} must be ints >= 1"
        )
    last_call = 1.0 + (calls - 1) * 0.5
    if crash_at is not None and not (
        isinstance(crash_at, (int, float)) and 0 < crash_at < last_call
    ):
        raise ValueError(
            f"discovery_experiment: crash_at={crash_at!r} must be None or between 0 and the "
            f"consumer's last call ({last_call})"
        )
    v1 = Contract("orders", (1, 0), (("item", "str", True), ("qty", "int", True)))
    v2 = Contract("orders", (2, 0), (("item", "str", True), ("quantity", "int", True)))
    names = [f"orders-{i + 1}" for i in range(instances)]
    nodes: dict[str, Node[Any]] = {"registry": registry(ttl=ttl)}
    for n in names:
        nodes[n] = ServiceInstance(v1, heartbeat=heartbeat)
    for i in range(v2_instances):
        nodes[f"orders-v2-{i + 1}"] = ServiceInstance(v2, heartbeat=heartbeat)
    nodes["client"] = client(
        "orders",
        1,
        [("item", "pen"), ("qty", 2)],
        calls=calls,
        timeout=timeout,
        cache_ttl=cache_ttl,
    )
    victim = names[0]
    sim = Simulation(
        System(nodes),
        seed=seed,
        network=Network(uniform(0.05, 0.15)),
        nemesis=Nemesis([(crash_at, Crash(victim))]) if crash_at is not None else None,
    )
    end = last_call + timeout + 20
    sim.run(until=end)
    results = sim.states["client"].results
    failed = [r for r in results if not r[3]]
    expired = [t for t, i in sim.states["registry"].expired if i == victim]
    counted = crash_at if crash_at is not None else end
    beats = sum(
        1
        for e in sim.trace.of_kind("send")
        if isinstance(e.data, RegistryHeartbeat) and e.time < counted and e.node in names
    )
    crash = crash_at if crash_at is not None else math.nan
    return {
        "heartbeat": heartbeat,
        "ttl": ttl,
        "calls": len(results),
        "failed": len(failed),
        "expired after": round(expired[0] - crash, 3) if expired else math.nan,
        "last failure": round(max(r[1] for r in failed) - crash, 3) if failed else math.nan,
        "failed call time": (
            round(statistics.fmean(r[2] - r[1] for r in failed), 3) if failed else math.nan
        ),
        "heartbeats per instance per time unit": round(beats / instances / counted, 2),
    }


# -- the mutants and the checks that catch them -----------------------------------------------
class NeverExpiresRegistry(Registry):
    """Bug: the sweep never drops an instance; a dead one stays listed for ever."""

    def on_timer(self, ctx: Context, state: RegistryState, timer: Any) -> RegistryState:
        ctx.set_timer("sweep", self.sweep)
        return state


class DeafRegistry(Registry):
    """Bug: heartbeats do not refresh an entry; every instance expires ``ttl`` after it
    registered, dead or alive."""

    def on_message(self, ctx: Context, state: RegistryState, src: str, msg: Any) -> RegistryState:
        if isinstance(msg, RegistryHeartbeat):
            return state
        return super().on_message(ctx, state, src, msg)


class AnyMajorRegistry(Registry):
    """Bug: a lookup lists the instances of every major version of the service."""

    def on_message(self, ctx: Context, state: RegistryState, src: str, msg: Any) -> RegistryState:
        if isinstance(msg, Lookup):
            found = tuple(i for i, c, _t in state.entries if c.service == msg.service)
            ctx.send(src, Instances(msg.service, msg.major, found))
            return state
        return super().on_message(ctx, state, src, msg)


class UnsentFailureClient(DiscoveringClient):
    """Bug: a call due while no instance is known fails at once, unsent; the first call
    always does, because it falls due before the registry has answered."""

    def on_timer(self, ctx: Context, state: ClientState, timer: Any) -> ClientState:
        if timer == "call" and not state.instances and state.request_id < self.calls:
            ctx.set_timer("call", self.interval)
            ctx.send(self.registry, Lookup(self.service, self.major))
            rid = state.request_id + 1
            result = (rid, ctx.now, ctx.now, False, "")
            return replace(state, request_id=rid, results=(*state.results, result))
        return super().on_timer(ctx, state, timer)


class StickyClient(DiscoveringClient):
    """Bug: a call that timed out leaves its instance in the list, and the list is not
    looked up again before ``cache_ttl``; calls keep going to a dead instance."""

    def _timed_out(
        self, ctx: Context, state: ClientState, call: tuple[int, str, float]
    ) -> ClientState:
        rid, instance, sent = call
        return replace(
            state,
            outstanding=tuple(c for c in state.outstanding if c is not call),
            results=(*state.results, (rid, sent, ctx.now, False, instance)),
        )


SoaVariant = tuple[type[Registry], type[DiscoveringClient]]

_SEEDS = range(4)


def check_expires_in_time(variant: SoaVariant) -> Outcome:
    """Seeded sweep: after ``orders-1`` crashes, the registry drops it, and within
    ``ttl`` + one heartbeat + one sweep (not before the crash)."""
    registry, client = variant
    for seed in _SEEDS:
        r = discovery_experiment(seed=seed, registry=registry, client=client)
        if not 0 <= r["expired after"] <= r["ttl"] + r["heartbeat"] + 0.5:
            return Outcome(False, detail=f"seed {seed}: expired after {r['expired after']}")
    return Outcome(True)


def check_no_failure_without_crash(variant: SoaVariant) -> Outcome:
    """Seeded sweep: with no crash, every call succeeds."""
    registry, client = variant
    for seed in _SEEDS:
        r = discovery_experiment(crash_at=None, seed=seed, registry=registry, client=client)
        if r["failed"]:
            return Outcome(False, detail=f"seed {seed}: {r['failed']} of {r['calls']} calls failed")
    return Outcome(True)


def check_failures_stop(variant: SoaVariant) -> Outcome:
    """Seeded sweep, the consumer caching lookups for 10 time units: no call sent more
    than one round of the three instances (1.5 time units) after the expiry fails."""
    registry, client = variant
    for seed in _SEEDS:
        r = discovery_experiment(cache_ttl=10.0, seed=seed, registry=registry, client=client)
        if not r["last failure"] <= r["expired after"] + 1.5:
            return Outcome(
                False,
                detail=f"seed {seed}: a call failed {r['last failure']} after the crash, "
                f"the registry forgot the instance {r['expired after']} after it",
            )
    return Outcome(True)


def check_versions_apart(variant: SoaVariant) -> Outcome:
    """Seeded sweep: two instances of v2.0 beside three of v1.0, no crash; every call of
    the v1 consumer succeeds (none reaches a v2 instance, which would refuse it)."""
    registry, client = variant
    for seed in _SEEDS:
        r = discovery_experiment(
            crash_at=None, v2_instances=2, seed=seed, registry=registry, client=client
        )
        if r["failed"]:
            return Outcome(False, detail=f"seed {seed}: {r['failed']} calls failed")
    return Outcome(True)


SOA_CHECKS: dict[str, Callable[[SoaVariant], Outcome]] = {
    "sweep: expires in time": check_expires_in_time,
    "sweep: no failure without a crash": check_no_failure_without_crash,
    "sweep: failures stop": check_failures_stop,
    "sweep: versions kept apart": check_versions_apart,
}
"""The checks of discovery; each takes ``(registry class, consumer class)``."""

SOA_MUTANTS: list[Mutant[SoaVariant]] = [
    Mutant(
        "never-expires",
        "the registry never drops a silent instance",
        lambda: (NeverExpiresRegistry, DiscoveringClient),
        ("sweep: expires in time", "sweep: failures stop"),
    ),
    Mutant(
        "deaf-registry",
        "heartbeats do not refresh an entry: live instances expire",
        lambda: (DeafRegistry, DiscoveringClient),
        ("sweep: expires in time", "sweep: no failure without a crash"),
    ),
    Mutant(
        "any-major",
        "a lookup lists every major version",
        lambda: (AnyMajorRegistry, DiscoveringClient),
        ("sweep: versions kept apart",),
    ),
    Mutant(
        "unsent-failure",
        "a call due before discovery fails unsent",
        lambda: (Registry, UnsentFailureClient),
        ("sweep: no failure without a crash",),
    ),
    Mutant(
        "sticky-client",
        "keeps calling an instance that timed out",
        lambda: (Registry, StickyClient),
        ("sweep: failures stop",),
    ),
]
"""Deliberately broken registries and consumers, with the checks that must catch them."""
