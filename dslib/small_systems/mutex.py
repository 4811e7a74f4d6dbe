"""Mutual exclusion: at most one process in its critical section, and progress.

Two kinds of protocol live here.

**Shared-memory algorithms**, as specifications (``dslib.check.Model``): two
processes ``p1`` and ``p2`` step through small programs that read and write
shared variables, one atomic step at a time, interleaved in every possible
order. They are the classic first exercises of concurrency, and each shows one
way to be wrong:

- ``CheckThenSet``: test a lock, then set it, in two steps. **Unsafe**: both
  processes can see the lock free before either sets it.
- ``Polite``: raise your flag; if the other's flag is up, lower yours and try
  again. **Safe but not live**: both processes can back off forever, in step
  (a *livelock*), which only a liveness check can see.
- ``Peterson``: flags plus a ``turn`` variable that breaks the tie. Safe and
  live (under weak fairness of each process).

**A distributed algorithm**, as nodes: Ricart and Agrawala's (1981) mutual
exclusion by messages. A process that wants the critical section sends a
timestamped request to every other process and enters when all have replied;
a process defers its reply while it is inside, or while it wants to enter
itself with an earlier ``(timestamp, id)``. ``MUTANTS`` names its broken
version, selected by ``mutant=``: ``"tie_by_timestamp"`` compares timestamps
alone and replies on a tie, so two processes that ask at the same Lamport time
both get in.

Examples
--------
>>> from dslib.check import check
>>> result = check(CheckThenSet(), invariants=[mutual_exclusion])
>>> [str(a) for a in result.counterexample.actions]
['p1: read lock (free)', 'p2: read lock (free)', 'p1: set lock', 'p2: set lock']
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from dslib.check.actor import ActorState
from dslib.check.model import Model
from dslib.core import Context, Node, System, TimerDelay, stable_repr
from dslib.mutants import check_mutant, deprecated_spelling

__all__ = [
    "MUTANTS",
    "CheckThenSet",
    "LockReply",
    "LockRequest",
    "MutexState",
    "Peterson",
    "Polite",
    "ProcessStep",
    "RAState",
    "RicartAgrawala",
    "all_done",
    "at_most_one_critical",
    "mutual_exclusion",
    "ricart_agrawala",
    "someone_critical",
]

PROCESSES = ("p1", "p2")

MUTANTS: dict[str, str] = {
    "tie_by_timestamp": "a process compares request timestamps alone and replies on a tie "
    "(ts <= mine) instead of comparing (timestamp, id) pairs, so two requests with equal "
    "timestamps both get every reply",
}
"""The broken versions of ``RicartAgrawala`` (``mutant=`` name -> what is wrong)."""


class ProcessStep(NamedTuple):
    """The label of a step of a shared-memory algorithm: which process, doing what.

    >>> print(ProcessStep("p1", "raise flag"))
    p1: raise flag
    """

    process: str
    step: str

    def __str__(self) -> str:
        return f"{self.process}: {self.step}"


class MutexState(NamedTuple):
    """A state of a two-process shared-memory algorithm.

    Attributes
    ----------
    pc : tuple of str
        Where each process is in its program (``"critical"`` inside).
    flag : tuple of bool
        Each process's flag (``Polite``, ``Peterson``).
    turn : int
        Whose turn it is, 0 or 1 (``Peterson``).
    lock : int
        The lock, 0 (free) or 1 (``CheckThenSet``).

    Examples
    --------
    >>> MutexState(("start", "critical"))
    MutexState(pc=('start', 'critical'), flag=(False, False), turn=0, lock=0)
    """

    pc: tuple[str, str]
    flag: tuple[bool, bool] = (False, False)
    turn: int = 0
    lock: int = 0


def _set(t: tuple[Any, ...], i: int, value: Any) -> Any:
    return (*t[:i], value, *t[i + 1 :])


class _TwoProcesses(Model[MutexState]):
    """Two processes running the same program; subclasses define ``step``."""

    def init_states(self) -> list[MutexState]:
        return [MutexState(("start", "start"))]

    def actions(self, s: MutexState) -> list[tuple[ProcessStep, MutexState]]:
        out = []
        for i, name in enumerate(PROCESSES):
            step = self.step(s, i)
            if step is not None:
                what, nxt = step
                out.append((ProcessStep(name, what), nxt))
        return out

    def step(self, s: MutexState, i: int) -> tuple[str, MutexState] | None:
        """The next step of process ``i`` (0 or 1) in ``s``, or ``None`` when it is done."""
        raise NotImplementedError

    def actor(self, action: Any) -> str | None:
        return action.process if isinstance(action, ProcessStep) else None

    def fairness(self, action: Any) -> Any:
        """Weak fairness per process: a process that can always take a step eventually does."""
        return action.process


class CheckThenSet(_TwoProcesses):
    """Wait until the lock is free, then set it: two separate steps (unsafe).

    Program of each process: ``start``: read the lock; if free go to ``set``,
    else stay (spin). ``set``: lock := 1, enter ``critical``. ``critical``:
    lock := 0, ``done``.

    >>> label, state = CheckThenSet().actions(MutexState(("set", "start"), lock=0))[0]
    >>> print(label)
    p1: set lock
    >>> state.pc, state.lock
    (('critical', 'start'), 1)
    """

    def step(self, s: MutexState, i: int) -> tuple[str, MutexState] | None:
        pc = s.pc[i]
        if pc == "start":
            if s.lock == 0:
                return "read lock (free)", s._replace(pc=_set(s.pc, i, "set"))
            return "read lock (busy)", s
        if pc == "set":
            return "set lock", s._replace(pc=_set(s.pc, i, "critical"), lock=1)
        if pc == "critical":
            return "leave", s._replace(pc=_set(s.pc, i, "done"), lock=0)
        return None


class Polite(_TwoProcesses):
    """Raise your flag; if the other's is up, lower yours and start again (livelocks).

    Program: ``start``: flag[i] := true. ``check``: if flag[other] go to
    ``back off`` else enter ``critical``. ``back off``: flag[i] := false, go
    back to ``start``. ``critical``: flag[i] := false, ``done``.

    >>> [str(label) for label, _ in Polite().actions(MutexState(("check", "check"), (True, True)))]
    ["p1: see other's flag", "p2: see other's flag"]
    """

    def step(self, s: MutexState, i: int) -> tuple[str, MutexState] | None:
        pc = s.pc[i]
        if pc == "start":
            return "raise flag", s._replace(pc=_set(s.pc, i, "check"), flag=_set(s.flag, i, True))
        if pc == "check":
            if s.flag[1 - i]:
                return "see other's flag", s._replace(pc=_set(s.pc, i, "back off"))
            return "enter", s._replace(pc=_set(s.pc, i, "critical"))
        if pc == "back off":
            return "lower flag", s._replace(pc=_set(s.pc, i, "start"), flag=_set(s.flag, i, False))
        if pc == "critical":
            return "leave", s._replace(pc=_set(s.pc, i, "done"), flag=_set(s.flag, i, False))
        return None


class Peterson(_TwoProcesses):
    """Peterson's algorithm (1981): flags, and a turn that the last to arrive gives away.

    Program: ``start``: flag[i] := true. ``give turn``: turn := other.
    ``wait``: if not flag[other] or turn = i enter ``critical``, else stay.
    ``critical``: flag[i] := false, ``done``.

    >>> s = MutexState(("wait", "wait"), (True, True), turn=0)
    >>> [str(label) for label, _ in Peterson().actions(s)]
    ['p1: enter', 'p2: wait']
    """

    def step(self, s: MutexState, i: int) -> tuple[str, MutexState] | None:
        pc = s.pc[i]
        if pc == "start":
            return "raise flag", s._replace(
                pc=_set(s.pc, i, "give turn"), flag=_set(s.flag, i, True)
            )
        if pc == "give turn":
            return f"turn := {1 - i}", s._replace(pc=_set(s.pc, i, "wait"), turn=1 - i)
        if pc == "wait":
            if not s.flag[1 - i] or s.turn == i:
                return "enter", s._replace(pc=_set(s.pc, i, "critical"))
            return "wait", s
        if pc == "critical":
            return "leave", s._replace(pc=_set(s.pc, i, "done"), flag=_set(s.flag, i, False))
        return None


def mutual_exclusion(state: MutexState) -> bool:
    """At most one process is in its critical section.

    >>> mutual_exclusion(MutexState(("critical", "critical")))
    False
    """
    return state.pc.count("critical") <= 1


def someone_critical(state: MutexState) -> bool:
    """Some process is in its critical section (progress: someone gets in).

    >>> someone_critical(MutexState(("start", "critical")))
    True
    """
    return "critical" in state.pc


# -- Ricart and Agrawala, as nodes --------------------------------------------------------


@dataclass(frozen=True)
class LockRequest:
    """A process asks every other for permission, at Lamport time ``ts``.

    >>> LockRequest(3)
    LockRequest(ts=3)
    """

    ts: int


@dataclass(frozen=True)
class LockReply:
    """Permission granted.

    >>> LockReply()
    LockReply()
    """


@dataclass(frozen=True)
class RAState:
    """A Ricart-Agrawala process: its Lamport clock, where it is, and what it waits for.

    ``status`` is ``"idle"``, ``"wanting"``, ``"critical"`` or ``"done"`` (each
    process enters once).

    >>> RAState(status="wanting", replies=frozenset({"p3", "p2"}))  # doctest: +NORMALIZE_WHITESPACE
    RAState(clock=0, status='wanting', request_ts=0, replies=frozenset({'p2', 'p3'}),
            deferred=frozenset())
    """

    clock: int = 0
    status: str = "idle"
    request_ts: int = 0
    replies: frozenset[str] = frozenset()
    deferred: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return stable_repr(self)  # the sets sorted, whatever PYTHONHASHSEED


class RicartAgrawala(Node[RAState]):
    """A process of Ricart and Agrawala's mutual exclusion (one entry per process).

    Timer ``want`` makes it ask (any time); timer ``leave`` makes it leave the
    critical section and send the replies it deferred.

    Parameters
    ----------
    mutant : str or None, default None
        A broken version from ``MUTANTS`` (``"tie_by_timestamp"``), or ``None``.
    want : float or (float, float), default 1.0
        When the process asks (a delay or a range, for the simulator; the model
        checker lets the timer fire at any time).
    buggy : bool or None, default None
        Deprecated spelling of ``mutant="tie_by_timestamp"`` (warns; removed in the
        next release).

    Raises
    ------
    ValueError
        If ``mutant`` is not in ``MUTANTS``, or ``buggy`` is given with ``mutant``.

    Examples
    --------
    A process that wants in, with an earlier request than the one it receives, defers:

    >>> from dslib import Context
    >>> ctx = Context("p1", ["p1", "p2"])
    >>> mine = RAState(clock=1, status="wanting", request_ts=1)
    >>> RicartAgrawala().on_message(ctx, mine, "p2", LockRequest(2)).deferred
    frozenset({'p2'})
    """

    def __init__(
        self, mutant: str | None = None, want: TimerDelay = 1.0, *, buggy: bool | None = None
    ) -> None:
        self.mutant = _mutant_of("RicartAgrawala", mutant, buggy)
        self.want = want

    def init(self, ctx: Context) -> RAState:
        ctx.set_timer("want", self.want)
        return RAState()

    def on_timer(self, ctx: Context, state: RAState, timer: Any) -> RAState:
        if timer == "want" and state.status == "idle":
            clock = state.clock + 1
            ctx.broadcast(LockRequest(clock))
            return replace(state, clock=clock, status="wanting", request_ts=clock)
        if timer == "leave" and state.status == "critical":
            for peer in sorted(state.deferred):
                ctx.send(peer, LockReply())
            return replace(state, status="done", deferred=frozenset())
        return state

    def _yields_to(self, ctx: Context, state: RAState, src: str, ts: int) -> bool:
        """Whether a request from ``src`` at ``ts`` goes before ours."""
        if state.status in ("idle", "done"):
            return True
        if state.status == "critical":
            return False
        if self.mutant == "tie_by_timestamp":
            return ts <= state.request_ts
        return (ts, src) < (state.request_ts, ctx.id)

    def on_message(self, ctx: Context, state: RAState, src: str, msg: Any) -> RAState:
        if isinstance(msg, LockRequest):
            state = replace(state, clock=max(state.clock, msg.ts) + 1)
            if self._yields_to(ctx, state, src, msg.ts):
                ctx.send(src, LockReply())
                return state
            return replace(state, deferred=state.deferred | {src})
        if isinstance(msg, LockReply) and state.status == "wanting":
            replies = state.replies | {src}
            if replies == frozenset(ctx.peers):
                ctx.set_timer("leave", 1.0)
                return replace(state, replies=replies, status="critical")
            return replace(state, replies=replies)
        return state

    def __repr__(self) -> str:
        return "RicartAgrawala" if self.mutant is None else f"RicartAgrawala[{self.mutant}]"


def _mutant_of(owner: str, mutant: str | None, buggy: bool | None) -> str | None:
    """``mutant``, or the mutant the deprecated ``buggy`` flag (or a bool passed
    positionally where ``buggy`` used to be) selects, with a ``DeprecationWarning``."""
    if isinstance(mutant, bool):  # the old positional ``buggy``
        mutant, buggy = None, mutant
    if buggy is not None:
        if mutant is not None:
            raise ValueError(f"{owner}: give mutant= or the deprecated buggy=, not both")
        if not isinstance(buggy, bool):
            raise TypeError(f"{owner}: buggy={buggy!r} must be True or False")
        deprecated_spelling(
            f"{owner}(buggy={buggy})",
            f"{owner}(mutant={'tie_by_timestamp' if buggy else None!r})",
            stacklevel=4,
        )
        return "tie_by_timestamp" if buggy else None
    return check_mutant(owner, mutant, MUTANTS)


def ricart_agrawala(
    n: int = 2, mutant: str | None = None, want: TimerDelay = 1.0, *, buggy: bool | None = None
) -> System:
    """``n`` Ricart-Agrawala processes ``p1``, ``p2``, ... as a ``System``.

    ``mutant`` (a name in ``MUTANTS``) runs every process as that broken version; ``want``
    is when each asks for the critical section (see ``RicartAgrawala``). ``buggy=True`` is
    the deprecated spelling of ``mutant="tie_by_timestamp"``.

    >>> ricart_agrawala(2, mutant="tie_by_timestamp")
    System(p1=RicartAgrawala[tie_by_timestamp], p2=RicartAgrawala[tie_by_timestamp])
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 2):
        raise ValueError(f"ricart_agrawala: n={n!r} must be an int >= 2")
    mutant = _mutant_of("ricart_agrawala", mutant, buggy)
    return System({f"p{i}": RicartAgrawala(mutant, want) for i in range(1, n + 1)})


def at_most_one_critical(state: ActorState) -> bool:
    """At most one process of the system is in its critical section.

    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(ricart_agrawala(2)).init_states()
    >>> at_most_one_critical(s0), all_done(s0)
    (True, False)
    """
    return sum(1 for s in state.states if s is not None and s.status == "critical") <= 1


def all_done(state: ActorState) -> bool:
    """Every process has been in its critical section and left (see ``at_most_one_critical``
    for an example)."""
    return all(s is not None and s.status == "done" for s in state.states)
