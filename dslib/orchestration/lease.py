"""Leader election by lease, what clock skew and pauses do to it, and fencing tokens.

Controllers run as several copies for availability, but only one may act at a time (two
replica-set controllers would both create the missing pods). Kubernetes elects the one
that acts with a *lease*, an object in the store naming a holder and how long its claim
lasts [1]_; the holder renews it well before it runs out, and when renewals stop the
lease expires and another copy takes it. Chubby [2]_ gave its locks the same shape.

A lease gives *time*, and time is where it breaks [3]_:

- the holder measures the lease on its own clock; if that clock runs slow (or the
  holder cannot reach the store to renew), it still believes it holds the lease after
  the store has given it to someone else: **two leaders believe at once**;
- even with perfect clocks, the holder checks its lease and then acts; a pause between
  the two (a garbage collection, a VM migration, a swapped-out page, a slow disk or a
  slow network) makes it act after its lease has run out.

No check by the holder can close the second gap. The fix is on the side of the
*resource* it acts on: the store hands out a **fencing token**, a number that grows with
every new grant of the lease, the holder sends it with every action, and the resource
refuses an action whose token is older than one it has already seen [3]_. Then at most one
controller acts with a valid token, whatever the clocks and pauses.

Here, as nodes for the simulator (``lease_system``, ``lease_run``):

- ``LeaseStore`` grants the lease (``AcquireLease`` -> ``Granted`` or ``Refused``),
  measuring expiry on its own clock, and issues the tokens;
- ``Controller`` asks for the lease every ``renew_every``, believes it holds it until
  ``sent_at + duration`` on its own clock (measured from when it asked, the safe side),
  and while it believes so it works: it decides to write, and ``work_time`` later it
  sends the ``Write`` with its token;
- ``Resource`` accepts a write if its token is at least the largest it has seen.

And as a ``dslib.check`` model (``LeaseModel``), with time as a counter, clocks that may
lag behind it (skew), and writes that may wait any number of ticks after the decision
(pauses): ``at_most_one_believes`` fails under skew, ``writer_holds_lease`` fails under
pauses, ``at_most_one_acts_with_a_valid_token`` holds under both, and fails without
fencing.

Mutants (``MUTANTS``): ``no_fencing`` (the resource does not check tokens, so a holder
whose lease expired acts), ``same_token`` (the store gives every holder the same token).

Examples
--------
>>> sim = lease_run("pause")
>>> check_fencing(sim).ok, two_leaders_acted(sim)
(True, True)
>>> check_fencing(lease_run("pause", LeaseConfig(mutant="no_fencing"))).ok
False

References
----------
.. [1] Kubernetes documentation, "Leases", section "Leader election" (a Lease object with
   ``holderIdentity``, ``leaseDurationSeconds``, ``renewTime``).
.. [2] M. Burrows, "The Chubby lock service for loosely-coupled distributed systems",
   OSDI 2006, section 2.4 (sequencers: a lock holder passes a sequencer that servers
   check) and section 2.8 (sessions and KeepAlives: leases).
.. [3] M. Kleppmann, "How to do distributed locking", 2016, sections "Protecting a
   resource with a lock" (the process pause) and "Making the lock safe with fencing";
   also Designing Data-Intensive Applications, 2017, chapter 8, "Process Pauses", "The
   leader and the lock" and "Fencing tokens".
.. [4] C. Gray and D. Cheriton, "Leases: An Efficient Fault-Tolerant Mechanism for
   Distributed File Cache Consistency", SOSP 1989, section 2 (leases).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from dslib.check.model import Model
from dslib.check.search import CheckResult, check
from dslib.core import Context, Node, System
from dslib.mutants import Outcome, check_mutant
from dslib.sim.nemesis import ClockSkew, Cut, Nemesis, Pause
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation

__all__ = [
    "CAUGHT_BY",
    "CHECKS",
    "MUTANTS",
    "AcquireLease",
    "Controller",
    "ControllerState",
    "Granted",
    "LeaseConfig",
    "LeaseModel",
    "LeaseStore",
    "LeaseWorld",
    "Refused",
    "Resource",
    "ResourceState",
    "StoreState",
    "Write",
    "accepted_writes",
    "at_most_one_acts_with_a_valid_token",
    "at_most_one_believes",
    "check_fencing",
    "check_lease_model",
    "lease_run",
    "lease_system",
    "mutant_report",
    "two_leaders_acted",
    "writer_holds_lease",
    "writes_table",
]

MUTANTS: dict[str, str] = {
    "no_fencing": "the resource does not check fencing tokens, so a holder whose lease "
    "expired (after a pause or on a slow clock) still acts",
    "same_token": "the store gives every holder the same token, so the resource cannot tell "
    "an old holder from the new one",
}
"""Broken versions of lease-based leader election, by name, with what is wrong."""


def _positive(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TypeError(f"{owner}: {name}={value!r} must be a finite number")
    if value <= 0:
        raise ValueError(f"{owner}: {name}={value!r} must be > 0 (seconds)")


@dataclass(frozen=True)
class LeaseConfig:
    """The lease's timing and the controllers.

    Parameters
    ----------
    duration : float, default 10
        How long a grant lasts (Kubernetes' ``leaseDurationSeconds``), > 0.
    renew_every : float, default 3
        A controller asks for (or renews) the lease this often; less than ``duration``.
    work_every : float, default 2
        A holder starts a piece of work this often.
    work_time : float, default 1
        Time from deciding to write (lease checked) to sending the write.
    controllers : int, default 2
    mutant : str, optional
        A name in ``MUTANTS``.

    Raises
    ------
    ValueError
        A duration (or period) <= 0, ``renew_every >= duration``, fewer than 1 controller.

    Examples
    --------
    >>> LeaseConfig(duration=0)
    Traceback (most recent call last):
    ...
    ValueError: LeaseConfig: duration=0 must be > 0 (seconds)
    """

    duration: float = 10.0
    renew_every: float = 3.0
    work_every: float = 2.0
    work_time: float = 1.0
    controllers: int = 2
    mutant: str | None = None

    def __post_init__(self) -> None:
        for name in ("duration", "renew_every", "work_every", "work_time"):
            _positive("LeaseConfig", name, getattr(self, name))
        if self.renew_every >= self.duration:
            raise ValueError(
                f"LeaseConfig: renew_every={self.renew_every} must be < duration="
                f"{self.duration} (a holder renews before its lease runs out)"
            )
        if isinstance(self.controllers, bool) or not isinstance(self.controllers, int):
            raise TypeError(f"LeaseConfig: controllers={self.controllers!r} must be an int")
        if self.controllers < 1:
            raise ValueError(f"LeaseConfig: controllers={self.controllers}; allowed: >= 1")
        check_mutant("LeaseConfig", self.mutant, MUTANTS)

    @property
    def names(self) -> tuple[str, ...]:
        """The controllers' node ids: ``c1``, ``c2``, ..."""
        return tuple(f"c{i + 1}" for i in range(self.controllers))


# -- messages -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AcquireLease:
    """Ask for the lease (or renew it); ``sent_at`` is the sender's clock, echoed back."""

    sent_at: float


@dataclass(frozen=True)
class Granted:
    """The lease is yours until ``duration`` after your request; act with ``token``."""

    token: int
    duration: float
    sent_at: float


@dataclass(frozen=True)
class Refused:
    """Someone else holds the lease."""

    holder: str
    sent_at: float


@dataclass(frozen=True)
class Write:
    """An action on the resource, with the writer's fencing token."""

    token: int
    seq: int


# -- the store ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StoreState:
    """The lease object: holder, expiry (store clock) and the last token issued."""

    holder: str | None = None
    expires: float = -math.inf
    token: int = 0


class LeaseStore(Node[StoreState]):
    """Grants the lease to whoever asks when it is free or expired; renews the holder's."""

    def __init__(self, config: LeaseConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> StoreState:
        return StoreState()

    def on_message(self, ctx: Context, state: StoreState, src: str, msg: Any) -> StoreState:
        if not isinstance(msg, AcquireLease):
            return state
        free = state.holder is None or ctx.now >= state.expires
        if not free and state.holder != src:
            ctx.send(src, Refused(state.holder or "", msg.sent_at))
            return state
        token = state.token
        if free:  # a new grant, a new token: the mutant keeps handing out token 1
            token = 1 if self.config.mutant == "same_token" else state.token + 1
        state = StoreState(src, ctx.now + self.config.duration, token)
        ctx.send(src, Granted(token, self.config.duration, msg.sent_at))
        return state


# -- a controller ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ControllerState:
    """What a controller believes: its token and until when (its own clock) it holds."""

    token: int = 0
    valid_until: float = -math.inf
    pending: int = 0
    writes: int = 0

    def believes(self, now: float) -> bool:
        """It believes it holds the lease at local time ``now``."""
        return self.token > 0 and now < self.valid_until


class Controller(Node[ControllerState]):
    """Asks for the lease, and while it believes it holds it, writes with its token."""

    def __init__(self, config: LeaseConfig, start: float = 0.0) -> None:
        self.config = config
        self.start = start

    def init(self, ctx: Context) -> ControllerState:
        ctx.set_timer("renew", self.start)
        ctx.set_timer("work", self.start + self.config.work_every)
        return ControllerState()

    def on_timer(self, ctx: Context, state: ControllerState, timer: Any) -> ControllerState:
        if timer == "renew":
            ctx.send("store", AcquireLease(ctx.now))
            ctx.set_timer("renew", self.config.renew_every)
        elif timer == "work":
            ctx.set_timer("work", self.config.work_every)
            if state.believes(ctx.now) and not state.pending:
                # the lease is checked here; the write goes out work_time later
                ctx.set_timer("write", self.config.work_time)
                return replace(state, pending=state.token)
        elif timer == "write" and state.pending:
            ctx.send("resource", Write(state.pending, state.writes + 1))
            return replace(state, pending=0, writes=state.writes + 1)
        return state

    def on_message(
        self, ctx: Context, state: ControllerState, src: str, msg: Any
    ) -> ControllerState:
        if isinstance(msg, Granted):
            return replace(state, token=msg.token, valid_until=msg.sent_at + msg.duration)
        if isinstance(msg, Refused) and state.token:
            return replace(state, valid_until=-math.inf)  # someone else holds it now
        return state


# -- the resource ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResourceState:
    """The largest token seen and every write: ``(time, writer, token, accepted)``."""

    max_token: int = 0
    log: tuple[tuple[float, str, int, bool], ...] = ()


class Resource(Node[ResourceState]):
    """Accepts a write whose token is at least the largest seen (fencing)."""

    def __init__(self, config: LeaseConfig) -> None:
        self.config = config

    def init(self, ctx: Context) -> ResourceState:
        return ResourceState()

    def fence_rule(self, max_token: int, token: int) -> bool:
        """Accept a write whose token is at least the largest accepted so far (fencing).

        >>> Resource(LeaseConfig()).fence_rule(2, 1), Resource(LeaseConfig()).fence_rule(2, 2)
        (False, True)
        """
        if self.config.mutant == "no_fencing":  # BUG: every write is accepted
            return True
        return token >= max_token

    def on_message(self, ctx: Context, state: ResourceState, src: str, msg: Any) -> ResourceState:
        if not isinstance(msg, Write):
            return state
        accepted = self.fence_rule(state.max_token, msg.token)
        return ResourceState(
            max(state.max_token, msg.token) if accepted else state.max_token,
            (*state.log, (ctx.now, src, msg.token, accepted)),
        )


def lease_system(config: LeaseConfig | None = None) -> System:
    """The store, the controllers (``c1`` starts first, the others one second apart each)
    and the resource.

    >>> lease_system()
    System(c1=Controller, c2=Controller, resource=Resource, store=LeaseStore)
    """
    config = config or LeaseConfig()
    nodes: dict[str, Node[Any]] = {"store": LeaseStore(config), "resource": Resource(config)}
    for i, name in enumerate(config.names):
        nodes[name] = Controller(config, start=float(i))
    return System(nodes)


SCENARIOS = ("quiet", "pause", "skew")


def lease_run(
    scenario: str = "pause",
    config: LeaseConfig | None = None,
    seed: int = 0,
    until: float = 60.0,
    at: float = 12.5,
    length: float = 20.0,
) -> Simulation:
    """Run the election with a fault that gives two leaders.

    Parameters
    ----------
    scenario : {"quiet", "pause", "skew"}
        ``quiet``: no fault. ``pause``: ``c1`` (the first holder) is paused at time ``at``
        for ``length`` seconds, between deciding to write and writing. ``skew``: ``c1``'s
        clock runs at half speed from the start, and at time ``at`` the links between
        ``c1`` and the store are cut (it cannot renew, but still reaches the resource).
    config : LeaseConfig, optional
    seed : int, default 0
    until : float, default 60
    at, length : float
        When the fault starts, and how long a pause lasts.

    Returns
    -------
    Simulation
        Run to ``until``; the resource's log is ``sim.states["resource"].log``.

    Examples
    --------
    >>> print(writes_table(lease_run("quiet", until=12)))
    time writer token accepted
     3.5     c1     1      yes
     5.5     c1     1      yes
     7.5     c1     1      yes
     9.5     c1     1      yes
    11.5     c1     1      yes
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"lease_run: scenario={scenario!r}; allowed: {', '.join(SCENARIOS)}")
    config = config or LeaseConfig()
    faults: list[tuple[float, Any]] = []
    if scenario == "pause":
        faults.append((at, Pause("c1", length)))
    elif scenario == "skew":
        faults.append((0.0, ClockSkew("c1", 0.0, 0.5)))
        faults += [(at, Cut("c1", "store")), (at, Cut("store", "c1"))]
    sim = Simulation(
        lease_system(config), seed=seed, network=Network(latency=0.5), nemesis=Nemesis(faults)
    )
    return sim.run(until=until)


def _log(sim_or_log: Simulation | tuple[Any, ...]) -> tuple[tuple[float, str, int, bool], ...]:
    if isinstance(sim_or_log, Simulation):
        state = sim_or_log.states.get("resource")
        return () if state is None else state.log
    return tuple(sim_or_log)


def accepted_writes(sim: Simulation | tuple[Any, ...]) -> list[tuple[str, int]]:
    """The ``(writer, token)`` of every write the resource accepted, in order."""
    return [(w, t) for _time, w, t, ok in _log(sim) if ok]


def writes_table(sim: Simulation | tuple[Any, ...]) -> str:
    """The resource's log as a small text table (time, writer, token, accepted)."""
    rows = [("time", "writer", "token", "accepted")]
    rows += [(f"{t:g}", w, str(k), "yes" if ok else "REFUSED") for t, w, k, ok in _log(sim)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(" ".join(c.rjust(widths[i]) for i, c in enumerate(r)) for r in rows)


def check_fencing(sim: Simulation | tuple[Any, ...]) -> Outcome:
    """At most one controller acts with a valid token: along the accepted writes, a token
    never goes down, and one token is never used by two writers.

    The counterexample length is the number of writes up to the first bad one.

    >>> check_fencing(lease_run("skew", LeaseConfig(mutant="same_token"))).ok
    False
    """
    accepted = accepted_writes(sim)
    for i, ((w0, t0), (w1, t1)) in enumerate(itertools.pairwise(accepted)):
        if t1 < t0 or (t1 == t0 and w1 != w0):
            return Outcome(
                False, i + 2, f"{w1} acted with token {t1} after {w0} acted with token {t0}"
            )
    return Outcome(True)


def two_leaders_acted(sim: Simulation | tuple[Any, ...]) -> bool:
    """A write with an older token reached the resource after one with a newer token
    (accepted or not): two controllers acted as leader over the same stretch of time."""
    newest = 0
    for _time, _writer, token, _ok in _log(sim):
        if token < newest:
            return True
        newest = max(newest, token)
    return False


# -- the model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeaseWorld:
    """A state of ``LeaseModel``.

    Attributes
    ----------
    time : int
        True time.
    holder, expires, token : int
        The store: the holder's index (-1: nobody), the expiry (true time), the last token.
    clocks : tuple of int
        Each controller's clock (at most ``max_skew`` behind true time).
    leases : tuple of (int, int)
        Each controller's ``(token, valid_until on its clock)``; ``(0, 0)``: none.
    pending : tuple of int
        Each controller's decided but not yet sent write (its token), 0: none.
    max_token : int
        The resource's largest token seen.
    accepted : tuple of (int, int)
        The last two accepted writes ``(controller, token)`` (enough: the invariant
        compares each accepted write with the one before, in every state).
    late_write : bool
        A write arrived from a controller that no longer held the lease at the store.
    """

    time: int
    holder: int
    expires: int
    token: int
    clocks: tuple[int, ...]
    leases: tuple[tuple[int, int], ...]
    pending: tuple[int, ...]
    max_token: int = 0
    accepted: tuple[tuple[int, int], ...] = ()
    late_write: bool = False


def _set(values: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    return (*values[:i], value, *values[i + 1 :])


class LeaseModel(Model[LeaseWorld]):
    """Lease election with skewed clocks and pauses, as a ``dslib.check`` model.

    Actions: ``tick`` (true time and every clock advance by one), ``tick_lag(c)`` (true
    time advances but ``c``'s clock does not: skew, while ``c`` is less than ``max_skew``
    behind), ``acquire(c)`` (the store grants a free or expired lease), ``renew(c)``
    (the holder extends it; optional, so a lost renewal is explored), ``decide(c)`` (a
    controller that believes it holds the lease decides to write), ``write(c)`` (the
    write reaches the resource, which checks the token). With ``pauses=False`` time
    cannot pass between ``decide`` and ``write``.

    Parameters
    ----------
    controllers : int, default 2
    duration : int, default 2
        Ticks a grant lasts, > 0.
    horizon : int, default 6
        True time stops here (the bound of the model).
    max_skew : int, default 0
        How far a controller's clock may fall behind.
    pauses : bool, default True
    mutant : str, optional
        A name in ``MUTANTS``.

    Examples
    --------
    >>> r = check(LeaseModel(max_skew=1, pauses=False), invariants=[at_most_one_believes])
    >>> r.ok, r.property
    (False, 'at_most_one_believes')
    """

    def __init__(
        self,
        controllers: int = 2,
        duration: int = 2,
        horizon: int = 6,
        max_skew: int = 0,
        pauses: bool = True,
        mutant: str | None = None,
    ) -> None:
        for name, value, low in (
            ("controllers", controllers, 1),
            ("duration", duration, 1),
            ("horizon", horizon, 1),
            ("max_skew", max_skew, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"LeaseModel: {name}={value!r} must be an int")
            if value < low:
                what = "a lease duration must be > 0" if name == "duration" else f">= {low}"
                raise ValueError(f"LeaseModel: {name}={value}; allowed: {what}")
        check_mutant("LeaseModel", mutant, MUTANTS)
        super().__init__(name=f"LeaseModel(skew={max_skew}, pauses={pauses}, mutant={mutant})")
        self.controllers = controllers
        self.duration = duration
        self.horizon = horizon
        self.max_skew = max_skew
        self.pauses = pauses
        self.mutant = mutant

    def init_states(self) -> list[LeaseWorld]:
        n = self.controllers
        return [LeaseWorld(0, -1, 0, 0, (0,) * n, ((0, 0),) * n, (0,) * n)]

    def actions(self, s: LeaseWorld) -> Iterator[tuple[Any, LeaseWorld]]:
        n, d = self.controllers, self.duration
        if s.time < self.horizon and (self.pauses or not any(s.pending)):
            yield "tick", replace(s, time=s.time + 1, clocks=tuple(c + 1 for c in s.clocks))
            for c in range(n):
                if s.time + 1 - s.clocks[c] <= self.max_skew:
                    clocks = tuple(x if i == c else x + 1 for i, x in enumerate(s.clocks))
                    yield ("tick_lag", f"c{c + 1}"), replace(s, time=s.time + 1, clocks=clocks)
        for c in range(n):
            name = f"c{c + 1}"
            token, valid_until = s.leases[c]
            believes = token > 0 and s.clocks[c] < valid_until
            free = s.holder == -1 or s.time >= s.expires
            if free and not believes:
                new = 1 if self.mutant == "same_token" else s.token + 1
                yield (
                    ("acquire", name),
                    replace(
                        s,
                        holder=c,
                        expires=s.time + d,
                        token=new,
                        leases=_set(s.leases, c, (new, s.clocks[c] + d)),
                    ),
                )
            if s.holder == c and not free and believes and valid_until < s.clocks[c] + d:
                yield (
                    ("renew", name),
                    replace(
                        s, expires=s.time + d, leases=_set(s.leases, c, (token, s.clocks[c] + d))
                    ),
                )
            if believes and not s.pending[c]:
                yield ("decide", name), replace(s, pending=_set(s.pending, c, token))
            if s.pending[c]:
                t = s.pending[c]
                ok = t >= s.max_token or self.mutant == "no_fencing"  # the mutant: no check
                late = not (s.holder == c and s.time < s.expires and s.token == t)
                after = replace(s, pending=_set(s.pending, c, 0), late_write=s.late_write or late)
                if ok:
                    after = replace(
                        after,
                        max_token=max(s.max_token, t),
                        accepted=(*s.accepted[-1:], (c, t)),
                    )
                yield ("write", name), after

    def actor(self, action: Any) -> str | None:
        return action[1] if isinstance(action, tuple) else None


def at_most_one_believes(s: LeaseWorld) -> bool:
    """At most one controller believes it holds the lease (fails under clock skew)."""
    believers = [
        c for c, (token, until) in enumerate(s.leases) if token > 0 and s.clocks[c] < until
    ]
    return len(believers) <= 1


def writer_holds_lease(s: LeaseWorld) -> bool:
    """Every write arrives while its writer still holds the lease (fails under pauses)."""
    return not s.late_write


def at_most_one_acts_with_a_valid_token(s: LeaseWorld) -> bool:
    """Each accepted write has a newer token than the one before, or is by the same writer
    with the same token: a controller whose token was superseded never acts again."""
    if len(s.accepted) < 2:
        return True
    (c0, t0), (c1, t1) = s.accepted
    return t1 > t0 or (t1 == t0 and c1 == c0)


def check_lease_model(
    max_skew: int = 0, pauses: bool = True, mutant: str | None = None, horizon: int = 6
) -> CheckResult:
    """Check ``at_most_one_acts_with_a_valid_token`` on ``LeaseModel`` (BFS, exhaustive).

    By default with pauses and without skew (a pause alone makes a late write); with
    ``max_skew=1`` as well the model has about five times as many states.

    >>> print(check_lease_model().summary())
    ok: every reachable state explored (bfs; 10,277 distinct states, 23,556 generated; depth 18)
    >>> print(check_lease_model(mutant="no_fencing").summary())  # doctest: +ELLIPSIS
    invariant 'at_most_one_acts_with_a_valid_token' (...) violated after 8 steps (bfs; ...)
    """
    model = LeaseModel(max_skew=max_skew, pauses=pauses, mutant=mutant, horizon=horizon)
    return check(model, invariants=[at_most_one_acts_with_a_valid_token])


# -- the mutant table ---------------------------------------------------------------------------
def _sim_check(scenario: str) -> Callable[[str | None], Outcome]:
    def run(mutant: str | None) -> Outcome:
        return check_fencing(lease_run(scenario, LeaseConfig(mutant=mutant)))

    return run


CHECKS: dict[str, Callable[[str | None], Any]] = {
    "model checker: one valid token": lambda m: check_lease_model(mutant=m),
    "simulator, pause: fencing": _sim_check("pause"),
    "simulator, skew: fencing": _sim_check("skew"),
}
"""The lease's checks by name; each takes a mutant name (or ``None``)."""

CAUGHT_BY: dict[str, tuple[str, ...]] = {
    "no_fencing": (
        "model checker: one valid token",
        "simulator, pause: fencing",
        "simulator, skew: fencing",
    ),
    "same_token": (
        "model checker: one valid token",
        "simulator, pause: fencing",
        "simulator, skew: fencing",
    ),
}
"""The checks that must catch each mutant."""


def mutant_report() -> Any:
    """Every check on the correct election and each mutant (``dslib.mutants``).

    >>> mutant_report().ok
    True
    """
    from dslib.mutants import Mutant, run_mutants

    mutants: list[Mutant[str | None]] = [
        Mutant(name, MUTANTS[name], _named(name), CAUGHT_BY[name]) for name in MUTANTS
    ]
    return run_mutants(_named(None), mutants, CHECKS)


def _named(name: str | None) -> Callable[[], str | None]:
    """A factory that builds a mutant's name (``None``: the correct version), which is what
    the checks take."""
    return lambda: name
