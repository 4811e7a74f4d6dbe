"""Two-phase commit, as a specification and as nodes.

A transaction spans several *resource managers* (RMs, e.g. database shards).
Either all of them commit it or all abort it. A *transaction manager* (TM)
runs the protocol:

1. each RM, when it has done its part, *prepares* (promises it can commit)
   and tells the TM, or it aborts on its own while still working;
2. when every RM has prepared, the TM decides *commit* and tells them all;
   it may decide *abort* at any time before that (say, after a timeout);
3. an RM that hears the decision follows it.

The safety property is **consistency**: no RM commits while another aborts.

Two versions live here. ``TwoPhase`` is the specification of Gray and Lamport
("Consensus on Transaction Commit", 2006, section 3 and the TLA+ module
``TwoPhase`` of its appendix), as a ``dslib.check.Model``: the state is the RMs'
states, the TM's state, the set of RMs the TM knows are prepared, and the set
of messages ever sent. Messages are never removed from that set, which
models a network that may deliver a message any number of times, late, or
not at all. Its reachable states number ``4**n + 6**n + 2**n`` for ``n`` RMs
(288 for three, as TLC reports). ``two_phase_system(n)`` is the same protocol
as nodes (``TransactionManager``, ``ResourceManager``) that run in the
simulator and, through ``dslib.check.ActorModel``, in the model checker.

Mutants, deliberately broken versions that the checks must catch, are listed
in ``SPEC_MUTANTS`` and ``NODE_MUTANTS``.

See Also
--------
dslib.verify.two_phase_commit : The same protocol one level more abstract: a z3
    transition system for any number of participants, whose atomicity invariant is
    proved inductive rather than checked state by state.
dslib.sharding.transactions : The same protocol one level more concrete (chapter 13):
    the commit of cross-shard transfers that carry data and locks, with the blocking
    problem of a crashed coordinator; its atomicity check reuses ``consistent``.

Examples
--------
>>> from dslib.check import check
>>> result = check(TwoPhase(3), invariants=[consistent])
>>> result.ok, result.distinct_states
(True, 288)
>>> result = check(TwoPhase(2, mutant="tm_commits_early"), invariants=[consistent])
>>> result.counterexample.actions
['RMPrepare(rm1)', 'TMRcvPrepared(rm1)', 'TMCommit', 'RMRcvCommitMsg(rm1)', 'RMChooseToAbort(rm2)']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from dslib.check.actor import ActorState
from dslib.check.model import Model
from dslib.check.symmetry import Symmetry
from dslib.core import NOTHING_PERSISTED, Context, Node, System, stable_repr

__all__ = [
    "NODE_MUTANTS",
    "SPEC_MUTANTS",
    "Abort",
    "Commit",
    "Prepared",
    "ResourceManager",
    "TMState",
    "TransactionManager",
    "TwoPhase",
    "TwoPhaseState",
    "abstract",
    "consistent",
    "spec_state_count",
    "system_consistent",
    "two_phase_system",
]

SPEC_MUTANTS: dict[str, str] = {
    "tm_commits_early": "the TM commits as soon as one RM is prepared, not all of them",
    "rm_aborts_when_prepared": "a prepared RM may still abort on its own",
    "tm_decides_twice": "the TM may abort after it has committed",
}
"""Broken versions of the specification, by name, with what is wrong."""

NODE_MUTANTS: dict[str, str] = {
    "tm_commits_early": "the TM commits as soon as one RM is prepared, not all of them",
    "rm_gives_up": "a prepared RM that waits too long for the decision aborts",
    "tm_forgets_decision": "the TM does not persist its decision: after a crash it starts afresh",
}
"""Broken versions of the nodes, by name, with what is wrong."""


class TwoPhaseState(NamedTuple):
    """A state of the specification.

    Attributes
    ----------
    rm_state : tuple of str
        Each RM's state, in the order of ``TwoPhase.rms``: ``"working"``,
        ``"prepared"``, ``"committed"`` or ``"aborted"``.
    tm_state : str
        ``"init"``, ``"committed"`` or ``"aborted"``.
    tm_prepared : frozenset of str
        The RMs from which the TM has received a Prepared message.
    msgs : frozenset of tuple
        Every message ever sent: ``("Prepared", rm)``, ``("Commit",)``, ``("Abort",)``.

    Examples
    --------
    >>> s = TwoPhaseState(("prepared",), "init", frozenset(), frozenset({("Prepared", "rm1")}))
    >>> s  # doctest: +NORMALIZE_WHITESPACE
    TwoPhaseState(rm_state=('prepared',), tm_state='init', tm_prepared=frozenset(),
                  msgs=frozenset({('Prepared', 'rm1')}))
    """

    rm_state: tuple[str, ...]
    tm_state: str
    tm_prepared: frozenset[str]
    msgs: frozenset[tuple[str, ...]]

    def __repr__(self) -> str:
        # Sets sorted, so that printing a state never depends on PYTHONHASHSEED.
        return stable_repr(self)


_COMMIT = ("Commit",)
_ABORT = ("Abort",)


class TwoPhase(Model[TwoPhaseState]):
    """The two-phase commit specification of Gray and Lamport as a model.

    Its actions, named as in the TLA+ module: ``TMRcvPrepared(rm)``,
    ``TMCommit``, ``TMAbort``, ``RMPrepare(rm)``, ``RMChooseToAbort(rm)``,
    ``RMRcvCommitMsg(rm)``, ``RMRcvAbortMsg(rm)``. As in the TLA+ module, an
    action whose effect is already there (a second ``RMRcvCommitMsg``, say) is
    still enabled and leads back to the same state.

    Parameters
    ----------
    rms : int or sequence of str, default 3
        The number of RMs (named ``rm1``, ``rm2``, ...) or their names.
    mutant : str, optional
        A broken version from ``SPEC_MUTANTS``.
    symmetry : bool, default False
        Count states up to renaming the RMs (they are interchangeable).

    Examples
    --------
    >>> spec = TwoPhase(2)
    >>> [s0] = spec.init_states()
    >>> s0.rm_state, s0.tm_state, s0.tm_prepared, s0.msgs
    (('working', 'working'), 'init', frozenset(), frozenset())
    >>> [label for label, _ in spec.actions(s0)]
    ['TMAbort', 'RMPrepare(rm1)', 'RMChooseToAbort(rm1)', 'RMPrepare(rm2)', 'RMChooseToAbort(rm2)']
    """

    def __init__(
        self,
        rms: int | Sequence[str] = 3,
        *,
        mutant: str | None = None,
        symmetry: bool = False,
    ) -> None:
        if isinstance(rms, int) and not isinstance(rms, bool):
            if rms < 1:
                raise ValueError(f"TwoPhase: rms={rms} must be at least 1")
            names = tuple(f"rm{i}" for i in range(1, rms + 1))
        elif isinstance(rms, Sequence) and not isinstance(rms, str) and rms:
            names = tuple(rms)
            if len(set(names)) != len(names) or not all(isinstance(r, str) for r in names):
                raise ValueError(f"TwoPhase: rms={list(rms)!r} must be distinct strings")
        else:
            raise ValueError(
                f"TwoPhase: rms={rms!r} must be a number of RMs (>= 1) or a list of names"
            )
        if mutant is not None and mutant not in SPEC_MUTANTS:
            raise ValueError(
                f"TwoPhase: unknown mutant {mutant!r}; the mutants are {sorted(SPEC_MUTANTS)}"
            )
        super().__init__(name=f"TwoPhase({len(names)} RMs{', ' + mutant if mutant else ''})")
        self.rms = names
        self.mutant = mutant
        self._all = frozenset(names)
        self._prepared_msg = [("Prepared", rm) for rm in names]
        self._labels = {
            what: [f"{what}({rm})" for rm in names]
            for what in (
                "TMRcvPrepared",
                "RMPrepare",
                "RMChooseToAbort",
                "RMRcvCommitMsg",
                "RMRcvAbortMsg",
            )
        }
        if symmetry:
            self.symmetry = Symmetry(self.permute, names, key=self.canonical_key)

    def init_states(self) -> list[TwoPhaseState]:
        """One initial state: every RM working, the TM in ``init``, no message."""
        return [TwoPhaseState(("working",) * len(self.rms), "init", frozenset(), frozenset())]

    def actions(self, s: TwoPhaseState) -> list[tuple[str, TwoPhaseState]]:
        """Every enabled action of the specification and the state it leads to."""
        rm_state, tm_state, tm_prepared, msgs = s
        out: list[tuple[str, TwoPhaseState]] = []
        append = out.append
        labels = self._labels
        mutant = self.mutant
        if tm_state == "init":
            rcv = labels["TMRcvPrepared"]
            for i, m in enumerate(self._prepared_msg):
                if m in msgs:  # TMRcvPrepared(rm)
                    append((rcv[i], TwoPhaseState(rm_state, tm_state, tm_prepared | {m[1]}, msgs)))
            if tm_prepared == self._all or (mutant == "tm_commits_early" and tm_prepared):
                append(
                    (
                        "TMCommit",
                        TwoPhaseState(rm_state, "committed", tm_prepared, msgs | {_COMMIT}),
                    )
                )
        if tm_state == "init" or (mutant == "tm_decides_twice" and tm_state == "committed"):
            append(("TMAbort", TwoPhaseState(rm_state, "aborted", tm_prepared, msgs | {_ABORT})))
        commit = _COMMIT in msgs
        abort = _ABORT in msgs
        for i, r in enumerate(rm_state):
            if r == "working":
                append(
                    (
                        labels["RMPrepare"][i],
                        TwoPhaseState(
                            (*rm_state[:i], "prepared", *rm_state[i + 1 :]),
                            tm_state,
                            tm_prepared,
                            msgs | {self._prepared_msg[i]},
                        ),
                    )
                )
            if r == "working" or (mutant == "rm_aborts_when_prepared" and r == "prepared"):
                append(
                    (
                        labels["RMChooseToAbort"][i],
                        TwoPhaseState(
                            (*rm_state[:i], "aborted", *rm_state[i + 1 :]),
                            tm_state,
                            tm_prepared,
                            msgs,
                        ),
                    )
                )
            if commit:
                append(
                    (
                        labels["RMRcvCommitMsg"][i],
                        TwoPhaseState(
                            (*rm_state[:i], "committed", *rm_state[i + 1 :]),
                            tm_state,
                            tm_prepared,
                            msgs,
                        ),
                    )
                )
            if abort:
                append(
                    (
                        labels["RMRcvAbortMsg"][i],
                        TwoPhaseState(
                            (*rm_state[:i], "aborted", *rm_state[i + 1 :]),
                            tm_state,
                            tm_prepared,
                            msgs,
                        ),
                    )
                )
        return out

    def actor(self, action: Any) -> str | None:
        """``tm`` for the TM's actions, the RM's name for an RM's."""
        text = str(action)
        if text.startswith("TM"):
            return "tm"
        return text[text.index("(") + 1 : -1] if "(" in text else None

    def fairness(self, action: Any) -> Any:
        """Weak fairness on receiving messages and on the TM's commit; none on the choices
        to abort, prepare, or for the TM to abort (those may never happen)."""
        text = str(action)
        if text.startswith(("TMRcvPrepared", "RMRcvCommitMsg", "RMRcvAbortMsg", "TMCommit")):
            return text
        return None

    # -- symmetry -----------------------------------------------------------------------
    def permute(self, s: TwoPhaseState, mapping: Mapping[Any, Any]) -> TwoPhaseState:
        """Rename the RMs: RM ``r`` becomes ``mapping[r]`` (its state moves with it)."""
        rms = self.rms
        index = {rm: i for i, rm in enumerate(rms)}
        rm_state = [""] * len(rms)
        for i, rm in enumerate(rms):
            rm_state[index[mapping.get(rm, rm)]] = s.rm_state[i]
        msgs = frozenset(
            (m[0], mapping.get(m[1], m[1])) if m[0] == "Prepared" else m for m in s.msgs
        )
        return TwoPhaseState(
            tuple(rm_state),
            s.tm_state,
            frozenset(mapping.get(r, r) for r in s.tm_prepared),
            msgs,
        )

    def canonical_key(self, s: TwoPhaseState) -> tuple[Any, ...]:
        """A canonical form up to renaming RMs: the sorted profiles of the RMs
        (state, whether the TM has its Prepared, whether it sent one) and the rest."""
        msgs = s.msgs
        profiles = sorted(
            (r, rm in s.tm_prepared, m in msgs)
            for r, rm, m in zip(s.rm_state, self.rms, self._prepared_msg, strict=True)
        )
        return (s.tm_state, _COMMIT in msgs, _ABORT in msgs, tuple(profiles))


def consistent(state: TwoPhaseState) -> bool:
    """No resource manager has committed while another has aborted.

    >>> consistent(TwoPhaseState(("committed", "aborted"), "committed", frozenset(), frozenset()))
    False
    """
    rm = state.rm_state
    return not ("committed" in rm and "aborted" in rm)


def spec_state_count(n: int) -> int:
    """The number of reachable states of ``TwoPhase(n)``: ``4**n + 6**n + 2**n``.

    While the TM is in ``init``, each RM is working, aborted on its own,
    prepared and not yet heard by the TM, or prepared and heard: 4 choices
    each. After TMCommit (every RM was heard), each RM is prepared or
    committed: 2 each. After TMAbort, each RM is working, prepared (heard or
    not), aborted without having prepared, or aborted after preparing (heard
    or not): 6 each.

    >>> [spec_state_count(n) for n in range(1, 6)]
    [12, 56, 288, 1568, 8832]
    """
    return 4**n + 6**n + 2**n


# -- the protocol as nodes ---------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An RM tells the TM it is prepared.

    >>> Prepared("rm1")
    Prepared(rm='rm1')
    """

    rm: str


@dataclass(frozen=True)
class Commit:
    """The TM's decision: commit.

    >>> Commit() == Commit()
    True
    """


@dataclass(frozen=True)
class Abort:
    """The TM's decision: abort.

    >>> Abort()
    Abort()
    """


@dataclass(frozen=True)
class TMState:
    """The transaction manager's state: its decision and the RMs it knows are prepared.

    >>> TMState("init", frozenset({"rm2", "rm1"}))
    TMState(status='init', prepared=frozenset({'rm1', 'rm2'}))
    """

    status: str = "init"
    prepared: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return stable_repr(self)  # the set sorted, whatever PYTHONHASHSEED


class TransactionManager(Node[TMState]):
    """The TM: commits when every RM is prepared; aborts if its timer fires first.

    It persists its decision before sending it; after a crash, ``on_recover``
    restores the decision and sends it again (or starts afresh if it had not
    decided).

    Parameters
    ----------
    rms : sequence of str
        The resource managers' ids.
    timeout : float, default 10
        When it gives up and aborts (the checker lets the timer fire any time).
    mutant : str, optional
        ``"tm_commits_early"``: commit on the first Prepared;
        ``"tm_forgets_decision"``: persist nothing.

    Examples
    --------
    >>> from dslib import Context
    >>> tm = TransactionManager(["rm1"])
    >>> ctx = Context("tm", ["tm", "rm1"])
    >>> tm.on_message(ctx, TMState(), "rm1", Prepared("rm1"))
    TMState(status='committed', prepared=frozenset({'rm1'}))
    >>> ctx.sent, ctx.persisted
    ([('rm1', Commit())], 'committed')
    """

    def __init__(self, rms: Sequence[str], timeout: float = 10.0, mutant: str | None = None):
        self.rms = tuple(rms)
        self.timeout = timeout
        self.mutant = mutant

    def init(self, ctx: Context) -> TMState:
        ctx.set_timer("timeout", self.timeout)
        return TMState()

    def on_message(self, ctx: Context, state: TMState, src: str, msg: Any) -> TMState:
        if not isinstance(msg, Prepared) or state.status != "init":
            return state
        prepared = state.prepared | {msg.rm}
        if prepared == frozenset(self.rms) or self.mutant == "tm_commits_early":
            self._decide(ctx, "committed")
            ctx.cancel_timer("timeout")
            return TMState("committed", prepared)
        return replace(state, prepared=prepared)

    def on_timer(self, ctx: Context, state: TMState, timer: Any) -> TMState:
        if timer == "timeout" and state.status == "init":
            self._decide(ctx, "aborted")
            return replace(state, status="aborted")
        return state

    def _decide(self, ctx: Context, decision: str) -> None:
        if self.mutant != "tm_forgets_decision":
            ctx.persist(decision)
        for rm in self.rms:
            ctx.send(rm, Commit() if decision == "committed" else Abort())

    def on_recover(self, ctx: Context, durable: Any) -> TMState:
        if durable == "committed":
            self._decide(ctx, "committed")
            return TMState("committed", frozenset(self.rms))
        if durable == "aborted":
            self._decide(ctx, "aborted")
            return TMState("aborted")
        return self.init(ctx)


class ResourceManager(Node[str]):
    """An RM: when its work is done (timer ``decide``) it chooses to prepare or to abort;
    then it follows the TM's decision. Its state is its status, a string.

    It persists every status before acting on it (a real RM forces a *prepare*
    record to its log before it votes): after a crash it comes back prepared,
    committed or aborted as it was; if it had persisted nothing its work is
    lost, and it comes back aborted.

    Parameters
    ----------
    tm : str, default "tm"
        The transaction manager's id.
    mutant : str, optional
        ``"rm_gives_up"``: a prepared RM sets a timer and aborts when it fires.

    Examples
    --------
    >>> from dslib import Context
    >>> ctx = Context("rm1", ["tm", "rm1"], chooser=lambda options: "prepare")
    >>> ResourceManager().on_timer(ctx, "working", "decide")
    'prepared'
    >>> ctx.sent, ctx.persisted
    ([('tm', Prepared(rm='rm1'))], 'prepared')
    """

    def __init__(self, tm: str = "tm", mutant: str | None = None) -> None:
        self.tm = tm
        self.mutant = mutant

    def init(self, ctx: Context) -> str:
        ctx.set_timer("decide", 1.0)
        return "working"

    def on_timer(self, ctx: Context, state: str, timer: Any) -> str:
        if timer == "decide" and state == "working":
            if ctx.choose(["prepare", "abort"]) == "abort":
                ctx.persist("aborted")
                return "aborted"
            ctx.persist("prepared")
            ctx.send(self.tm, Prepared(ctx.id))
            if self.mutant == "rm_gives_up":
                ctx.set_timer("give up", 20.0)
            return "prepared"
        if timer == "give up" and state == "prepared":
            ctx.persist("aborted")
            return "aborted"
        return state

    def on_message(self, ctx: Context, state: str, src: str, msg: Any) -> str:
        if isinstance(msg, (Commit, Abort)):
            status = "committed" if isinstance(msg, Commit) else "aborted"
            if status != state:
                ctx.persist(status)
            return status
        return state

    def on_recover(self, ctx: Context, durable: Any) -> str:
        return "aborted" if durable is NOTHING_PERSISTED else str(durable)


def two_phase_system(n: int = 3, mutant: str | None = None) -> System:
    """A TM (``"tm"``) and ``n`` RMs (``"rm1"``...) as a ``System``.

    Parameters
    ----------
    n : int, default 3
        The number of resource managers.
    mutant : str, optional
        A broken version from ``NODE_MUTANTS``.

    Examples
    --------
    >>> two_phase_system(2)
    System(rm1=ResourceManager, rm2=ResourceManager, tm=TransactionManager)
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
        raise ValueError(f"two_phase_system: n={n!r} must be an int >= 1")
    if mutant is not None and mutant not in NODE_MUTANTS:
        raise ValueError(
            f"two_phase_system: unknown mutant {mutant!r}; the mutants are {sorted(NODE_MUTANTS)}"
        )
    rms = [f"rm{i}" for i in range(1, n + 1)]
    nodes: dict[str, Node[Any]] = {rm: ResourceManager("tm", mutant) for rm in rms}
    nodes["tm"] = TransactionManager(rms, mutant=mutant)
    return System(nodes)


def system_consistent(state: ActorState) -> bool:
    """No resource manager has committed while another has aborted (node-level states).

    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(two_phase_system(2)).init_states()
    >>> system_consistent(s0)
    True
    """
    statuses = [s for s in state.states if isinstance(s, str)]
    return not ("committed" in statuses and "aborted" in statuses)


def abstract(state: ActorState, rms: Sequence[str]) -> TwoPhaseState:
    """Map a state of ``two_phase_system`` on a duplicating network to a state of the
    specification (the refinement mapping).

    The RMs' statuses and the TM's state carry over; the specification's set of
    messages is the set of messages in flight (a duplicating network keeps
    every message sent), with the TM's Commit (Abort) to each RM as one message.

    Examples
    --------
    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(two_phase_system(2), duplicating=True).init_states()
    >>> abstract(s0, ["rm1", "rm2"]) == TwoPhase(2).init_states()[0]
    True
    """
    msgs: set[tuple[str, ...]] = set()
    for _src, _dst, msg in state.messages():
        if isinstance(msg, Prepared):
            msgs.add(("Prepared", msg.rm))
        elif isinstance(msg, Commit):
            msgs.add(_COMMIT)
        elif isinstance(msg, Abort):
            msgs.add(_ABORT)
    tm = state.node("tm")
    return TwoPhaseState(
        tuple(state.node(rm) for rm in rms), tm.status, tm.prepared, frozenset(msgs)
    )
