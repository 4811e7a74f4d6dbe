"""Chapter 15 (Raft): the three rules that Raft's safety rests on.

- ``ch15.request_vote``: does a server grant its vote to a candidate? (Figure 2,
  RequestVote; sections 5.2 and 5.4.1, the election restriction.)
- ``ch15.append_entries``: a follower's consistency check and the log after an
  AppendEntries (Figure 2, AppendEntries rules 2 to 4; section 5.3).
- ``ch15.commit_index``: how far a leader may advance its commit index (Figure 2,
  rules for leaders; section 5.4.2 and Figure 8).

Each is checked in three stages: a table of examples, hypothesis properties
(the answer agrees with Figure 2 on random logs), and a **model-checking**
stage: the reader's function replaces the rule in ``dslib.raft.RaftNode`` (the
methods ``vote_rule``, ``append_rule`` and ``commit_rule``), and ``dslib.check``
explores every interleaving of a 3-server cluster, up to a bound, for the safety
properties of Figure 3. A failure prints the shortest execution that breaks
one, as a table, and the first call of the reader's function on it that
disagrees with Figure 2.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch15.request_vote").stages]
['examples', 'properties', 'model checking']
>>> print(get_exercise("ch15.commit_index").stub)
from dslib.raft import Entry
<BLANKLINE>
def new_commit_index(log, current_term, commit_index, match_indexes):
    raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import hypothesis.strategies as st

from dslib.check import Action, ActorModel, ActorState, CheckResult, Counterexample, check
from dslib.check.counterexample import text_table
from dslib.core import Context, System
from dslib.errors import HandlerError
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    AnswerRaised,
    Example,
    Failure,
    Mismatch,
    NotAttempted,
    Properties,
    Property,
    Stage,
    StageResult,
    call_answer,
    format_call,
)
from dslib.raft import (
    SAFETY_PROPERTIES,
    AppendEntries,
    AppendEntriesReply,
    Entry,
    NoOp,
    RaftConfig,
    RaftNode,
    RaftState,
    RequestVote,
    RequestVoteReply,
    log_up_to_date,
    merge_entries,
)

__all__ = ["RaftModelCheck", "acknowledged_entries_kept", "model_checking_stage"]

Log = tuple[Entry, ...]
SERVERS = ("s1", "s2", "s3")
MAX_STATES = 5000
"""The state bound of every model-checking stage: about 2 s for a correct answer."""


# == how logs, messages and servers are shown ===================================================
def _command_text(command: Hashable) -> str:
    return "noop" if isinstance(command, NoOp) else str(command)


def _log_text(log: Any) -> str:
    """A log as the book draws it: ``[1:a, 1:b, 2:x]`` (term:command, oldest first).

    >>> _log_text((Entry(1, "a"), Entry(2, NoOp())))
    '[1:a, 2:noop]'
    """
    if not isinstance(log, tuple) or not all(isinstance(e, Entry) for e in log):
        return repr(log)
    return "[" + ", ".join(f"{e.term}:{_command_text(e.command)}" for e in log) + "]"


def _log_code(log: Log) -> str:
    """A log as Python code a reader can paste: ``(Entry(1, 'a'),)``."""
    parts = [
        f"Entry({e.term}, {'NoOp()' if isinstance(e.command, NoOp) else repr(e.command)})"
        for e in log
    ]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _message_text(msg: Any) -> str:
    """A Raft message, short (``prev=(index, term)`` is prev_log_index and prev_log_term).

    >>> _message_text(AppendEntries(2, "s1", 1, 1, (Entry(2, "x"),), 1))
    'AppendEntries(term=2, prev=(1, 1), entries=[2:x], commit=1)'
    """
    if isinstance(msg, RequestVote):
        return (
            f"RequestVote(term={msg.term}, last_log_index={msg.last_log_index}, "
            f"last_log_term={msg.last_log_term})"
        )
    if isinstance(msg, RequestVoteReply):
        return f"RequestVoteReply(term={msg.term}, {'granted' if msg.vote_granted else 'refused'})"
    if isinstance(msg, AppendEntries):
        return (
            f"AppendEntries(term={msg.term}, prev=({msg.prev_log_index}, {msg.prev_log_term}), "
            f"entries={_log_text(msg.entries)}, commit={msg.leader_commit})"
        )
    if isinstance(msg, AppendEntriesReply):
        if msg.success:
            return f"AppendEntriesReply(term={msg.term}, success, match={msg.match_index})"
        return f"AppendEntriesReply(term={msg.term}, failure)"
    return repr(msg)


def _server_text(s: RaftState) -> str:
    """One server's state, short.

    >>> _server_text(RaftState(current_term=1, voted_for="s1", role="candidate"))
    'term 1, candidate, voted s1, log [], commit 0'
    """
    vote = f", voted {s.voted_for}" if s.voted_for is not None else ""
    text = f"term {s.current_term}, {s.role}{vote}, log {_log_text(s.log)}, commit {s.commit_index}"
    if s.role == "leader" and s.match_index:
        text += ", match " + " ".join(f"{p}:{m}" for p, m in s.match_index)
    return text


def _action_text(action: Any) -> str:
    if isinstance(action, Action) and action.kind == "deliver":
        return f"{action.src} → {action.node}: {_message_text(action.msg)}"
    if isinstance(action, Action) and action.kind == "fire":
        return f"{action.node}: timer {action.msg!r}"
    return str(action)


def _changes_text(before: ActorState, after: ActorState, action: Any) -> str:
    parts = []
    for node_id in after.ids:
        old, new = before.node(node_id), after.node(node_id)
        if old != new and new is not None:
            parts.append(f"{node_id}: {_server_text(new)}")
    old_msgs = set(before.messages())
    sent: dict[tuple[str, str], list[str]] = {}
    for src, dst, msg in after.messages():
        if (src, dst, msg) not in old_msgs:
            sent.setdefault((src, _message_text(msg)), []).append(dst)
    for (src, text), dsts in sent.items():
        parts.append(f"{src} sends {text} to {', '.join(sorted(dsts))}")
    return "; ".join(parts) if parts else "(no change)"


def _execution_text(cex: Counterexample) -> str:
    """The counterexample as the model checker's table (step, action, node, changed), short."""
    first = cex.steps[0].state
    servers = [first.node(i) for i in first.ids]
    if all(s == servers[0] for s in servers):
        start = f"every server: {_server_text(servers[0])}"
    else:
        start = "; ".join(
            f"{i}: {_server_text(s)}" for i, s in zip(first.ids, servers, strict=True)
        )
    rows = [["0", "initial state", "", start]]
    prev = first
    for number, (action, state) in enumerate(cex.steps[1:], 1):
        who = action.node if isinstance(action, Action) else ""
        rows.append([str(number), _action_text(action), who, _changes_text(prev, state, action)])
        prev = state
    last = cex.final
    lines = [text_table(rows, ["step", "action", "node", "changed"]), "", "after the last step:"]
    lines += [f"  {i}: {_server_text(last.node(i))}" for i in last.ids if last.node(i) is not None]
    lines.append(
        "(a log is [term:command, ...]; prev=(index, term) is prev_log_index and prev_log_term)"
    )
    return "\n".join(lines)


# == a rule of Figure 2 as an exercise ==========================================================
@dataclass(frozen=True)
class _Case:
    """One row of a table: the arguments and the expected result."""

    args: tuple[Any, ...]
    expected: Any


@dataclass(frozen=True)
class _Figure2Rule:
    """A rule of Figure 2 as an exercise: the function the reader writes and how a call is judged.

    ``reference`` is the rule as Figure 2 states it; ``check_type(got)`` says what is
    wrong with the type of a result (or None); ``diagnose`` gives the hint for a
    ``Mismatch``; ``show`` renders a result. The three stages of the exercise (a
    table of cases, a property, a model check) all judge a call through this one
    object, so they show it and explain it alike.
    """

    answer: FunctionAnswer
    reference: Callable[..., Any]
    check_type: Callable[[Any], str | None]
    diagnose: Callable[[Mismatch], str | None]
    show: Callable[[Any], str] = repr

    def call(self, args: tuple[Any, ...]) -> str:
        """A call for a message: by keyword, each log as the book draws it."""
        return format_call(self.answer.name, args, self.answer.params, _show)

    def code(self, args: tuple[Any, ...]) -> str:
        """A call as Python to paste."""
        return format_call(self.answer.name, args, show=_code)

    def judge(self, answer: Any, args: tuple[Any, ...], want: Any) -> Failure | None:
        """Call the answer on ``args``: a Failure if it raises, or returns a bad type or value."""
        try:
            got = call_answer(answer, *args)
        except AnswerRaised as raised:
            hint = self.diagnose(Mismatch(Example(args, want), "raised", error=raised.exc))
            return Failure(
                f"{self.call(args)} raised {raised.text}", hint, self.code(args), length=1
            )
        wrong = self._disagreement(args, got, want)
        if wrong is None:
            return None
        message, mismatch = wrong
        return Failure(message, self.diagnose(mismatch), self.code(args), length=1)

    def agrees(self, answer: Any, case: tuple[Any, ...]) -> Failure | None:
        """The property "agrees with Figure 2" on one case (an exception is left to the
        property runner, which reports it with the smallest case)."""
        wrong = self._disagreement(case, call_answer(answer, *case), self.reference(*case))
        return None if wrong is None else Failure(wrong[0], self.diagnose(wrong[1]))

    def _disagreement(
        self, args: tuple[Any, ...], got: Any, want: Any
    ) -> tuple[str, Mismatch] | None:
        """What is wrong with ``got`` as the result for ``args``: its type, else its value."""
        problem = self.check_type(got)
        if problem is not None:
            message = f"{self.call(args)} returned {got!r}: {problem}"
            return message, Mismatch(Example(args, want), "type", got=got)
        if got != want:
            message = f"{self.call(args)} returned {self.show(got)}; expected {self.show(want)}"
            return message, Mismatch(Example(args, want), "wrong", got=got)
        return None

    def stages(
        self,
        cases: Sequence[_Case],
        strategy: st.SearchStrategy[tuple[Any, ...]],
        node: Callable[[_Rule, RaftConfig], RaftNode],
        args_of: Callable[[RaftState, Any], tuple[Any, ...]],
        **model: Any,
    ) -> tuple[Stage, ...]:
        """The exercise's stages: the table of ``cases``; the property on ``strategy``;
        the model check of a cluster whose servers are ``node``s (``model`` as for
        ``RaftModelCheck``)."""
        properties = [
            Property("agrees with Figure 2", strategy, self.agrees, self.code, max_examples=200)
        ]
        return (
            _Cases("examples", cases, self),
            Properties("properties", properties),
            RaftModelCheck(
                "model checking",
                node,
                args_of,
                self.check_type,
                self.reference,
                self.call,
                self.diagnose,
                **model,
            ),
        )


class _Cases(Stage):
    """A table of cases for a rule, each judged by the rule."""

    def __init__(self, name: str, cases: Sequence[_Case], rule: _Figure2Rule) -> None:
        self.name = name
        self.cases = tuple(cases)
        self.rule = rule

    def run(self, answer: Any) -> StageResult:
        """Check the cases in order; stop at the first one that fails."""
        for case in self.cases:
            failure = self.rule.judge(answer, case.args, case.expected)
            if failure is not None:
                return StageResult(self.name, False, "failed on an example", failure)
        return StageResult(self.name, True, f"{len(self.cases)} examples")


# == the model-checking stage ==================================================================
INVARIANTS = SAFETY_PROPERTIES


def acknowledged_entries_kept(state: Any) -> bool:
    """A follower keeps every entry it acknowledged to the leader of its term.

    While a follower and a leader are in the same term, the follower's log up
    to the leader's ``match_index`` for it, and up to the ``match_index`` of
    every successful reply it sent that leader, equals the leader's. The commit
    rule counts those acknowledgements; an entry counted and then dropped could
    be committed on a minority.

    Examples
    --------
    >>> a, x = Entry(1, "a"), Entry(1, "x")
    >>> leader = RaftState(current_term=1, log=(a, x), role="leader", match_index=(("s2", 2),))
    >>> acknowledged_entries_kept({"s1": leader, "s2": RaftState(current_term=1, log=(a, x))})
    True
    >>> acknowledged_entries_kept({"s1": leader, "s2": RaftState(current_term=1, log=(a,))})
    False
    """
    every = state.nodes if isinstance(state, ActorState) else state
    nodes = {k: v for k, v in every.items() if isinstance(v, RaftState)}
    for leader in nodes.values():
        if leader.role != "leader":
            continue
        for follower_id, match in leader.match_index:
            follower = nodes.get(follower_id)
            if (
                follower is not None
                and follower.current_term == leader.current_term
                and follower.log[:match] != leader.log[:match]
            ):
                return False
    if isinstance(state, ActorState):
        for src, dst, msg in state.messages():
            if not (isinstance(msg, AppendEntriesReply) and msg.success):
                continue
            sender, receiver = nodes.get(src), nodes.get(dst)
            if sender is None or receiver is None or receiver.role != "leader":
                continue
            same_term = receiver.current_term == msg.term == sender.current_term
            if same_term and sender.log[: msg.match_index] != receiver.log[: msg.match_index]:
                return False
    return True


def a_leader_is_elected(state: ActorState) -> bool:
    """Some server is a leader."""
    return any(s.role == "leader" for s in state.nodes.values())


def an_entry_is_committed(state: ActorState) -> bool:
    """Some server has committed an entry."""
    return any(s.commit_index > 0 for s in state.nodes.values())


class _AnswerFailed(Exception):
    """The reader's function raised, or returned something the rule cannot use."""

    def __init__(self, args: tuple[Any, ...], text: str, raised: AnswerRaised | None) -> None:
        super().__init__(text)
        self.call_args = args
        self.text = text
        self.raised = raised


class _Rule:
    """The reader's function as a rule of ``RaftNode``: called with the rule's arguments.

    ``args_of(state, x)`` builds the reader's arguments from the node's state
    and the rule's argument (a message or the match indexes); ``check_type``
    rejects results the node cannot use; ``calls`` records every call when
    it is a list (for finding the call that went wrong).
    """

    def __init__(
        self,
        answer: Any,
        args_of: Callable[[RaftState, Any], tuple[Any, ...]],
        check_type: Callable[[Any], str | None],
        calls: list[tuple[tuple[Any, ...], Any]] | None = None,
    ) -> None:
        self.answer = answer
        self.args_of = args_of
        self.check_type = check_type
        self.calls = calls

    def __call__(self, state: RaftState, x: Any) -> Any:
        args = self.args_of(state, x)
        try:
            got = call_answer(self.answer, *args)
        except AnswerRaised as raised:
            raise _AnswerFailed(args, f"raised {raised.text}", raised) from None
        problem = self.check_type(got)
        if problem is not None:
            raise _AnswerFailed(args, f"returned {got!r}: {problem}", None)
        if self.calls is not None:
            self.calls.append((args, got))
        return got


class _VoteNode(RaftNode):
    """A Raft server whose ``vote_rule`` is the reader's ``grant_vote``."""

    def __init__(self, rule: _Rule, config: RaftConfig) -> None:
        super().__init__(config)
        self.rule = rule

    def vote_rule(self, state: RaftState, msg: RequestVote) -> bool:
        """The reader's decision."""
        return bool(self.rule(state, msg))


class _AppendNode(RaftNode):
    """A Raft server whose ``append_rule`` is the reader's ``append_entries``."""

    def __init__(self, rule: _Rule, config: RaftConfig) -> None:
        super().__init__(config)
        self.rule = rule

    def append_rule(self, state: RaftState, msg: AppendEntries) -> Log | None:
        """The reader's new log (or None)."""
        new_log: Log | None = self.rule(state, msg)
        return new_log


class _CommitNode(RaftNode):
    """A Raft server whose ``commit_rule`` is the reader's ``new_commit_index``."""

    def __init__(self, rule: _Rule, config: RaftConfig) -> None:
        super().__init__(config)
        self.rule = rule

    def commit_rule(self, state: RaftState, matches: tuple[int, ...]) -> int:
        """The reader's new commit index."""
        return int(self.rule(state, matches))


MODEL_CONFIG = RaftConfig(max_term=2, commands=("x",))
"""The cluster the model-checking stages explore: terms 1 and 2, one client command "x",
and a no-op entry at the start of each leader's term (section 8)."""


class RaftModelCheck(Stage):
    """Plug the answer into a 3-server Raft cluster and model-check it.

    Parameters
    ----------
    name : str
        The stage's name.
    node : type
        ``node(rule, config)`` builds a server that uses the rule.
    args_of : callable
        ``args_of(state, x)``: the reader's arguments at a call of the rule.
    check_type : callable
        What is wrong with a result's type (or None).
    reference : callable
        Figure 2's rule, over the reader's arguments.
    call : callable
        Renders the reader's arguments as a call.
    diagnose : callable
        The exercise's hints, given a ``Mismatch`` (as in the examples).
    invariants : tuple of callables
        The properties checked in every state.
    goal_hints : dict
        The hint when a goal (``a_leader_is_elected``, ``an_entry_is_committed``)
        is never reached.
    max_states : int
        The bound of the search.
    config : RaftConfig
        The servers' configuration (``MODEL_CONFIG``: terms 1 and 2, one command).

    Examples
    --------
    >>> stage = model_checking_stage("ch15.commit_index")
    >>> alone = stage.run(lambda log, term, commit, matches: len(log))  # no majority needed
    >>> alone.summary, alone.failure.length
    ('state_machine_safety fails after 6 steps', 6)
    """

    def __init__(
        self,
        name: str,
        node: Callable[[_Rule, RaftConfig], RaftNode],
        args_of: Callable[[RaftState, Any], tuple[Any, ...]],
        check_type: Callable[[Any], str | None],
        reference: Callable[..., Any],
        call: Callable[[tuple[Any, ...]], str],
        diagnose: Callable[[Mismatch], str | None],
        invariants: tuple[Callable[[Any], bool], ...] = INVARIANTS,
        goal_hints: dict[str, str] | None = None,
        max_states: int = MAX_STATES,
        config: RaftConfig = MODEL_CONFIG,
    ) -> None:
        self.name = name
        self.node = node
        self.args_of = args_of
        self.check_type = check_type
        self.reference = reference
        self.call = call
        self.diagnose = diagnose
        self.invariants = invariants
        self.goal_hints = goal_hints or {}
        self.max_states = max_states
        self.config = config

    def system(self, answer: Any, calls: list[tuple[tuple[Any, ...], Any]] | None = None) -> System:
        """The cluster whose servers use ``answer`` for the rule (``calls`` records each call)."""
        server = self.node(_Rule(answer, self.args_of, self.check_type, calls), self.config)
        return System({i: server for i in SERVERS})

    def explore(self, answer: Any) -> CheckResult:
        """The model checker's result for the cluster that uses ``answer``.

        ``dslib.check.replay(stage.system(answer), result.counterexample)`` replays a
        violation in the simulator (for ``dslib.viz.space_time_diagram``).

        Raises
        ------
        HandlerError
            If the answer raised inside a server (the cause is chained).
        """
        model = ActorModel(self.system(answer), duplicating=True, symmetric=list(SERVERS))
        return check(
            model,
            invariants=list(self.invariants),
            goals=[a_leader_is_elected, an_entry_is_committed],
            max_states=self.max_states,
        )

    def run(self, answer: Any) -> StageResult:
        """Model-check the cluster; report the shortest violation, or a goal never reached."""
        try:
            result = self.explore(answer)
        except HandlerError as exc:
            return self._raised(answer, exc)
        if result.ok:
            return StageResult(
                self.name,
                True,
                f"3 servers, terms 1-2, {result.distinct_states:,} states: "
                f"{len(self.invariants)} properties hold, progress made",
            )
        cex = result.counterexample
        if result.kind == "goal" or cex is None:
            goal = result.property or ""
            what = {
                "a_leader_is_elected": "no server ever became leader",
                "an_entry_is_committed": "no server ever committed an entry",
            }.get(goal, f"the goal {goal!r} was never reached")
            failure = Failure(
                f"in {result.distinct_states:,} distinct states {what}: a rule that refuses "
                "everything is safe, but the cluster makes no progress",
                self.goal_hints.get(goal),
            )
            return StageResult(self.name, False, f"{what}", failure)
        steps = len(cex)
        message = (
            f"the model checker found an execution of {_count(steps, 'step', 'steps')} after "
            f"which {result.property} is violated. It says: {result.description[:1].lower()}"
            f"{result.description[1:]}"
        )
        hint = None
        wrong = self._first_wrong_call(answer, cex)
        if wrong is not None:
            step, node_id, args, got, want = wrong
            message += (
                f" The first call of your function on this execution that disagrees with "
                f"Figure 2 is at step {step}, on {node_id}: {self.call(args)} returned "
                f"{_show(got)}; the rule gives {_show(want)}."
            )
            hint = self.diagnose(Mismatch(Example(args, want), "wrong", got=got))
            if _has_noop(args):
                hint = (hint + " " if hint else "") + NOOP_NOTE
        failure = Failure(message, hint, _execution_text(cex), length=steps)
        return StageResult(
            self.name, False, f"{result.property} fails after {steps} steps", failure
        )

    def _first_wrong_call(
        self, answer: Any, cex: Counterexample
    ) -> tuple[int, str, tuple[Any, ...], Any, Any] | None:
        """Replay the execution: the first call of the answer whose result is not the rule's."""
        calls: list[tuple[tuple[Any, ...], Any]] = []
        server = self.node(_Rule(answer, self.args_of, self.check_type, calls), self.config)
        for step, (action, state) in enumerate(cex.steps[1:], 1):
            before = cex.steps[step - 1].state
            if not isinstance(action, Action) or action.kind not in ("deliver", "fire"):
                continue
            node_state = before.node(action.node)
            ctx = Context(action.node, state.ids)
            calls.clear()
            try:
                if action.kind == "deliver":
                    server.on_message(ctx, node_state, action.src or "", action.msg)
                else:
                    server.on_timer(ctx, node_state, action.msg)
            except Exception:  # the check ran this step already; do not fail twice
                return None
            for args, got in calls:
                want = self.reference(*args)
                if got != want:
                    return step, action.node, args, got, want
        return None

    def _raised(self, answer: Any, exc: HandlerError) -> StageResult:
        cause = exc.__cause__
        if isinstance(cause, NotAttempted):
            raise cause
        trace = exc.trace if isinstance(exc.trace, Counterexample) else None
        if isinstance(cause, _AnswerFailed):
            message = (
                f"on {exc.node}, your function was called as {self.call(cause.call_args)} "
                f"and {cause.text}"
            )
            want = self.reference(*cause.call_args)
            example = Example(cause.call_args, want)
            if cause.raised is not None:
                mismatch = Mismatch(example, "raised", error=cause.raised.exc)
            else:
                mismatch = Mismatch(example, "type", got=None)
            hint = self.diagnose(mismatch)
        else:
            message = f"a server raised while the model checker ran it: {exc}"
            hint = None
        shown = None
        if trace is not None:
            shown = "the execution that led there:\n" + _execution_text(trace)
        failure = Failure(message, hint, shown, length=len(trace) if trace is not None else None)
        return StageResult(self.name, False, "your function failed inside the cluster", failure)


NOOP_NOTE = (
    "Note the no-op entries here: a new leader appends one at the start of its term "
    "(section 8). A no-op is an entry like any other, with an index and a term; the rules "
    "never look at commands, only at indexes and terms."
)


def _has_noop(value: Any) -> bool:
    if isinstance(value, Entry):
        return isinstance(value.command, NoOp)
    if isinstance(value, tuple):
        return any(_has_noop(v) for v in value)
    return False


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _is_log(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(e, Entry) for e in value)


def _show(value: Any) -> str:
    return _log_text(value) if _is_log(value) else repr(value)


def _code(value: Any) -> str:
    return _log_code(value) if _is_log(value) else repr(value)


def model_checking_stage(exercise_id: str) -> RaftModelCheck:
    """The model-checking stage of one of this chapter's exercises.

    >>> model_checking_stage("ch15.request_vote").max_states
    5000
    """
    from dslib.exercises.registry import get_exercise

    for stage in get_exercise(exercise_id).stages:
        if isinstance(stage, RaftModelCheck):
            return stage
    raise ValueError(f"{exercise_id} has no model-checking stage")


# == shared strategies ==========================================================================
LETTERS = "abcdefghij"
OTHER_LETTERS = "pqrstuvwyz"


@st.composite
def _terms(draw: Any, max_size: int = 5, high: int = 3) -> list[int]:
    """Non-decreasing terms from 1 to ``high``: the terms of a log's entries."""
    n = draw(st.integers(0, max_size))
    return sorted(draw(st.lists(st.integers(1, high), min_size=n, max_size=n)))


def _entries(terms: Sequence[int], start: int = 1, letters: str = LETTERS) -> Log:
    """Entries with these terms at indexes ``start``, ``start + 1``, ...; command by index."""
    return tuple(Entry(t, letters[start - 1 + i]) for i, t in enumerate(terms))


# == ch15.request_vote ===========================================================================
def _vote_reference(current_term: int, voted_for: str | None, log: Log, msg: RequestVote) -> bool:
    return (
        msg.term == current_term
        and voted_for in (None, msg.candidate_id)
        and log_up_to_date(msg.last_log_term, msg.last_log_index, log)
    )


def _vote_type(got: Any) -> str | None:
    return None if isinstance(got, bool) else "return True or False (a bool)"


def _vote_diagnose(m: Mismatch) -> str | None:
    term, voted, log, msg = m.example.args
    my_term, my_index = (log[-1].term if log else 0), len(log)
    if m.problem == "raised":
        if not log:
            return (
                "This server's log is empty: it has no last entry. An empty log's last term "
                "and last index are 0: log[-1].term if log else 0, and len(log)."
            )
        return (
            "msg is a RequestVote with fields term, candidate_id, last_log_index and "
            "last_log_term; log is a tuple of Entry(term, command), oldest first."
        )
    if m.problem == "type":
        return "Return a bool: True grants the vote, False refuses it."
    got, want = m.got, m.example.expected
    if got and not want:
        if msg.term < term:
            return (
                f"The candidate's term {msg.term} is older than yours ({term}): refuse it "
                "(Figure 2, RequestVote rule 1). It is campaigning for a term that is over."
            )
        if voted not in (None, msg.candidate_id):
            return (
                f"You already voted for {voted} in term {term}. One vote per term: otherwise "
                "two candidates can both collect a majority and lead the same term (election "
                "safety, section 5.2). Grant only if voted_for is None or msg.candidate_id."
            )
        if msg.last_log_index == 0:
            return (
                f"The candidate's log is empty and yours is not (your last entry is of term "
                f"{my_term}): its log is less up-to-date. Index 0 matches everything in "
                "AppendEntries, but a vote is different: a candidate elected without your "
                "entries could lose a committed one (the election restriction, section 5.4.1)."
            )
        if msg.last_log_term < my_term:
            confused = ""
            if msg.term > my_term:
                confused = (
                    " Use msg.last_log_term, the term of the candidate's last entry, not "
                    "msg.term, the term it campaigns in."
                )
            return (
                f"The candidate's last entry is of term {msg.last_log_term}, older than your "
                f"last entry's term {my_term}: its log is less up-to-date, whatever its length. "
                "Compare the last terms first; the lengths decide only when the last terms are "
                "equal (section 5.4.1)." + confused
            )
        return (
            f"Both logs end with term {my_term}, and the candidate's is shorter "
            f"({msg.last_log_index} entries against your {my_index}): it is less up-to-date. "
            "A candidate whose log is behind yours may lack a committed entry; if it won, that "
            "entry would be lost (the election restriction, section 5.4.1)."
        )
    if want and not got:
        if voted == msg.candidate_id:
            return (
                f"You voted for {voted} in this term already, and it asks again (its first "
                "request or your reply may have been lost). Grant it again: the rule is "
                "voted_for is None or voted_for == msg.candidate_id."
            )
        if msg.last_log_term > my_term:
            return (
                f"The candidate's last entry is of term {msg.last_log_term}, later than yours "
                f"({my_term}): its log is more up-to-date even though it is shorter. Compare "
                "the last terms first (section 5.4.1)."
            )
        if (msg.last_log_term, msg.last_log_index) == (my_term, my_index):
            return (
                "The two logs are equally up-to-date; 'at least as up-to-date' includes equal "
                "(>=). Otherwise servers with equal logs, such as a fresh cluster, never elect "
                "anyone."
            )
        return (
            "The candidate's log is at least as up-to-date as yours (same last term, at least "
            "as long), it is the first to ask in this term, and its term is current: grant."
        )
    return None


def _vote_examples() -> list[_Case]:
    rv = RequestVote
    return [
        _Case((1, None, (), rv(1, "s1", 0, 0)), True),
        _Case((2, None, _entries([1]), rv(2, "s1", 1, 1)), True),
        _Case((2, "s3", _entries([1]), rv(2, "s1", 1, 1)), False),
        _Case((2, "s1", _entries([1]), rv(2, "s1", 1, 1)), True),
        _Case((3, None, _entries([1]), rv(2, "s1", 1, 1)), False),
        _Case((2, None, _entries([1]), rv(2, "s2", 0, 0)), False),
        _Case((3, None, _entries([1, 2]), rv(3, "s1", 3, 1)), False),
        _Case((3, None, _entries([1, 1, 1]), rv(3, "s1", 1, 2)), True),
        _Case((3, None, _entries([1, 2, 2]), rv(3, "s1", 2, 2)), False),
        _Case((3, None, _entries([1, 2]), rv(3, "s1", 3, 2)), True),
        _Case((4, None, _entries([1, 3]), rv(4, "s1", 2, 2)), False),
        _Case((3, "s3", (), rv(3, "s1", 2, 2)), False),
    ]


@st.composite
def _vote_cases(draw: Any) -> tuple[int, str | None, Log, RequestVote]:
    """A server and a RequestVote it may receive (its term already adopted, so not newer)."""
    log = _entries(draw(_terms(max_size=4)))
    my_term = log[-1].term if log else 0
    current = draw(st.integers(max(my_term, 1), 4))
    candidate = draw(st.sampled_from(SERVERS))
    other = next(s for s in SERVERS if s != candidate)
    voted = draw(st.sampled_from([None, candidate, other]))
    stale = current > 1 and draw(st.booleans())
    msg_term = draw(st.integers(1, current - 1)) if stale else current
    last_term = draw(st.integers(0, msg_term - 1))
    last_index = 0 if last_term == 0 else draw(st.integers(1, 5))
    return current, voted, log, RequestVote(msg_term, candidate, last_index, last_term)


def _vote_args(state: RaftState, msg: RequestVote) -> tuple[Any, ...]:
    return (state.current_term, state.voted_for, state.log, msg)


VOTE_STATEMENT = """\
Write grant_vote(current_term, voted_for, log, msg): does this server give its vote to the
candidate that sent msg? (Figure 2 of the Raft paper, RequestVote RPC, "receiver
implementation"; sections 5.2 and 5.4.1.)

- current_term: this server's term; voted_for: the candidate it voted for in that term, or
  None. The server has already applied the rule for all servers: if msg.term was newer, it
  adopted that term and cleared voted_for. So msg.term <= current_term.
- log: its log, a tuple of Entry(term, command), oldest first (the entry at index i is
  log[i - 1]; indexes start at 1).
- msg: RequestVote(term, candidate_id, last_log_index, last_log_term), the candidate's term
  and the index and term of its last log entry (0 and 0 for an empty log).

Return True to grant the vote, False to refuse it. Refuse if
1. msg.term < current_term (the candidate's term is over);
2. voted_for is neither None nor msg.candidate_id (one vote per term; the candidate you voted
   for may ask again, and gets the vote again);
3. the candidate's log is less up-to-date than yours (the election restriction, 5.4.1): the
   log whose last entry has the later term is more up-to-date; if the last terms are equal,
   the longer log is. An empty log has last term 0 and last index 0.
Otherwise grant.

The check runs examples, then compares your function with the rule on random servers and
candidates (hypothesis), then model-checks a cluster of 3 servers that vote with your
function: every interleaving of elections in terms 1 and 2, with messages delayed,
reordered and duplicated, up to 5,000 distinct states, for election safety, log matching,
state machine safety and leader completeness (Figure 3), and for progress (a leader is
elected, an entry committed). The cluster's logs hold no-op entries (a new leader appends
one, section 8) and a client command "x"."""

_VOTE = _Figure2Rule(
    FunctionAnswer("grant_vote", ("current_term", "voted_for", "log", "msg")),
    _vote_reference,
    _vote_type,
    _vote_diagnose,
)

REQUEST_VOTE = add_exercise(
    id="ch15.request_vote",
    answered_by=("RaftNode.vote_rule", "log_up_to_date"),
    title="Grant a vote (RequestVote)",
    statement=VOTE_STATEMENT,
    answer=_VOTE.answer,
    stages=_VOTE.stages(
        _vote_examples(),
        _vote_cases(),
        _VoteNode,
        _vote_args,
        goal_hints={
            "a_leader_is_elected": "A candidate needs a majority of votes. Grant the "
            "vote when the three rules allow it: in a fresh cluster every log is empty, "
            "and an empty log is as up-to-date as another empty log.",
            "an_entry_is_committed": "No entry was committed although leaders were "
            "elected: check that your function grants votes to candidates whose logs "
            "are up-to-date.",
        },
    ),
    hints=(
        "Three conditions, all needed: msg.term == current_term; voted_for in "
        "(None, msg.candidate_id); the candidate's log is at least as up-to-date.",
        "Your last term and index: log[-1].term if log else 0, and len(log). Compare "
        "(msg.last_log_term, msg.last_log_index) with them: term first, then length.",
    ),
    imports="from dslib.raft import Entry, RequestVote",
)


# == ch15.append_entries =========================================================================
def _append_reference(log: Log, prev_index: int, prev_term: int, entries: Log) -> Log | None:
    return merge_entries(log, prev_index, prev_term, entries)


def _append_show(value: Any) -> str:
    return "None" if value is None else _log_text(value)


def _append_type(got: Any) -> str | None:
    if got is None:
        return None
    if isinstance(got, list):
        return "a list; return a tuple (tuple(...), or slices and + of tuples)"
    if not isinstance(got, tuple) or not all(isinstance(e, Entry) for e in got):
        return "return the new log, a tuple of Entry, or None to reject"
    return None


def _append_diagnose(m: Mismatch) -> str | None:
    log, prev_index, prev_term, entries = m.example.args
    want, got = m.example.expected, m.got
    if m.problem == "raised":
        return (
            "The entry at index i is log[i - 1], and index 0 is the place before the first "
            "entry: it always matches, with term 0. Check prev_log_index <= len(log) before "
            "reading log[prev_log_index - 1]."
        )
    if m.problem == "type":
        return "Return the new log as a tuple of Entry (log[:k] + entries is one), or None."
    if want is None:
        if prev_index > len(log):
            return (
                f"The log has {_count(len(log), 'entry', 'entries')}, so no entry at "
                f"prev_log_index={prev_index}: "
                "reject (return None). The leader then retries from an earlier index (section "
                "5.3); accepting would leave a hole, or put the entries at the wrong index."
            )
        return (
            f"The entry at prev_log_index={prev_index} has term {log[prev_index - 1].term}, not "
            f"prev_log_term={prev_term}: the logs differ there, so the entries after it may "
            "not belong after yours. Reject (return None): the consistency check (section 5.3)."
        )
    if got is None:
        return (
            "The consistency check passes here: the log has an entry at prev_log_index whose "
            "term is prev_log_term (index 0, with term 0, always matches). Accept the entries."
        )
    if not isinstance(got, tuple):
        return None
    if got == log[:prev_index] + entries and len(want) > len(got):
        return (
            "Do not cut the entries after the new ones unless they conflict: this AppendEntries "
            "may be an old one, delayed or duplicated by the network, and the entries after it "
            "came from a later one. The follower has acknowledged them already, and the leader "
            "may have counted them to commit (Figure 2, rule 4: append the entries not already "
            "in the log)."
        )
    if got == log + entries:
        return (
            "The new entries go right after prev_log_index, at indexes prev_log_index + 1, "
            "prev_log_index + 2, ..., not at the end of the log; skip those already there."
        )
    if len(got) > len(want) and got[: len(want)] == want:
        return (
            "An existing entry conflicts with a new one (same index, different terms): delete "
            "it and all that follow it (Figure 2, rule 3). The entries after a conflict came "
            "from a leader whose entries lost; keeping them breaks Log Matching."
        )
    for i, entry in enumerate(entries):
        index = prev_index + 1 + i
        if index <= len(got) and index <= len(want) and got[index - 1] != want[index - 1]:
            mine = log[index - 1] if index <= len(log) else None
            if mine is not None and mine.command == entry.command and mine.term != entry.term:
                return (
                    f"At index {index} your log has an entry of term {mine.term} and the new "
                    f"one is of term {entry.term}: they conflict, although their commands are "
                    "equal. Entries are the same when they have the same index and term; "
                    "compare terms, never commands (the same command can be in a log twice, "
                    "in different terms)."
                )
    return (
        "Walk the entries: entry i goes to index prev_log_index + 1 + i. If the log has an entry "
        "there with the same term, it is already there; with a different term, delete it and "
        "everything after it, then append the rest (Figure 2, rules 3 and 4)."
    )


def _append_examples() -> list[_Case]:
    e = _entries
    return [
        _Case(((), 0, 0, e([1])), e([1])),
        _Case((e([1]), 1, 1, e([1], start=2)), e([1, 1])),
        _Case((e([1]), 2, 1, e([1], start=3)), None),
        _Case((e([1, 1]), 2, 2, e([2], start=3)), None),
        _Case((e([1, 1]), 0, 0, ()), e([1, 1])),
        _Case((e([1, 1]), 1, 1, ()), e([1, 1])),
        _Case((e([1, 1, 1]), 1, 1, e([1], start=2)), e([1, 1, 1])),
        _Case(
            (e([1, 1, 1]), 1, 1, e([2], start=2, letters=OTHER_LETTERS)),
            e([1]) + e([2], start=2, letters=OTHER_LETTERS),
        ),
        _Case(
            (e([1, 1, 1]), 0, 0, e([1]) + e([2], start=2, letters=OTHER_LETTERS)),
            e([1]) + e([2], start=2, letters=OTHER_LETTERS),
        ),
        _Case((e([1]), 0, 0, e([1, 1])), e([1, 1])),
        _Case((e([1, 2, 2]), 3, 2, e([3], start=4)), e([1, 2, 2, 3])),
        _Case(
            (e([1, 1, 1, 1]), 2, 1, e([1], start=3) + e([2], start=4, letters=OTHER_LETTERS)),
            e([1, 1, 1]) + e([2], start=4, letters=OTHER_LETTERS),
        ),
    ]


@st.composite
def _append_cases(draw: Any) -> tuple[Log, int, int, Log]:
    """A leader's log, a follower's log that shares a prefix with it and then holds entries
    of another term, and an AppendEntries the leader could send (a stale one too)."""
    leader = _entries(draw(_terms(max_size=5)))
    shared = draw(st.integers(0, len(leader)))
    low = leader[shared - 1].term if shared else 1
    used = {e.term for e in leader[shared:]}
    other = draw(st.sampled_from([t for t in range(low, 6) if t not in used]))
    count = draw(st.integers(0, 4))
    follower = leader[:shared] + _entries([other] * count, shared + 1, OTHER_LETTERS)
    prev = draw(st.integers(0, len(leader)))
    n = draw(st.integers(0, len(leader) - prev))
    prev_term = leader[prev - 1].term if prev else 0
    return follower, prev, prev_term, leader[prev : prev + n]


def _append_args(state: RaftState, msg: AppendEntries) -> tuple[Any, ...]:
    return (state.log, msg.prev_log_index, msg.prev_log_term, msg.entries)


APPEND_STATEMENT = """\
Write append_entries(log, prev_log_index, prev_log_term, entries): a follower's side of
AppendEntries (Figure 2 of the Raft paper, AppendEntries RPC, receiver rules 2 to 4;
section 5.3).

- log: the follower's log, a tuple of Entry(term, command), oldest first; the entry at
  index i is log[i - 1] (indexes start at 1; index 0 is the place before the first entry).
- prev_log_index, prev_log_term: the index and term of the leader's entry just before the
  new ones;
- entries: the leader's entries for indexes prev_log_index + 1, prev_log_index + 2, ...
  (none for a heartbeat).

Return None to reject, or the new log (a tuple):
1. the consistency check: reject unless the log has an entry at prev_log_index whose term is
   prev_log_term (index 0 always matches, with term 0);
2. if an existing entry conflicts with a new one (same index, different terms), delete the
   existing entry and all that follow it;
3. append the new entries not already in the log.
Two entries are the same when they have the same index and term (Log Matching, 5.3).
Entries after the new ones that do not conflict stay: an AppendEntries can arrive late,
after a later one added more, and the follower has acknowledged those already. (The server
itself rejects a stale term and advances its commit index; you write only the log.)

The check runs examples, then compares your function with the rule on random pairs of
logs (hypothesis), then model-checks a cluster of 3 servers whose followers use your
function: every interleaving in terms 1 and 2, with messages delayed, reordered and
duplicated, up to 5,000 distinct states, for the four properties of Figure 3 and one more
(a follower keeps every entry it acknowledged to the leader of its term; the commit rule
counts those acknowledgements), and for progress. The cluster's logs hold no-op entries
(a new leader appends one, section 8) and a client command "x"."""

_APPEND = _Figure2Rule(
    FunctionAnswer("append_entries", ("log", "prev_log_index", "prev_log_term", "entries")),
    _append_reference,
    _append_type,
    _append_diagnose,
    show=_append_show,
)

APPEND_ENTRIES = add_exercise(
    id="ch15.append_entries",
    answered_by=("RaftNode.append_rule", "merge_entries"),
    title="The AppendEntries consistency check",
    statement=APPEND_STATEMENT,
    answer=_APPEND.answer,
    stages=_APPEND.stages(
        _append_examples(),
        _append_cases(),
        _AppendNode,
        _append_args,
        invariants=(*INVARIANTS, acknowledged_entries_kept),
        goal_hints={
            "an_entry_is_committed": "Followers must accept an AppendEntries that "
            "passes the consistency check (return the new log), or the leader never "
            "hears from a majority.",
            "a_leader_is_elected": "No leader: this should not depend on your "
            "function; check that it returns without raising.",
        },
    ),
    hints=(
        "First the check: prev_log_index > len(log), or log[prev_log_index - 1].term != "
        "prev_log_term (when prev_log_index > 0), means reject.",
        "Then walk the entries with their index prev_log_index + 1 + i: skip an entry "
        "already there (same term); at the first conflict, cut the log there and append "
        "the rest.",
    ),
    imports="from dslib.raft import Entry",
)


# == ch15.commit_index ===========================================================================
def _commit_reference(log: Log, current_term: int, commit_index: int, matches: Any) -> int:
    majority = len(matches) // 2 + 1
    for n in range(len(log), commit_index, -1):
        if log[n - 1].term == current_term and sum(1 for m in matches if m >= n) >= majority:
            return n
    return commit_index


def _commit_type(got: Any) -> str | None:
    if isinstance(got, bool) or not isinstance(got, int):
        return "return the new commit index, an int"
    return None


def _commit_diagnose(m: Mismatch) -> str | None:
    log, term, commit, matches = m.example.args
    want, got = m.example.expected, m.got
    n = len(matches)
    majority = n // 2 + 1
    if m.problem == "raised":
        return (
            "The entry at index N is log[N - 1]; look only at N from len(log) down to "
            "commit_index + 1."
        )
    if m.problem == "type":
        return "Return an int: the new commit index (commit_index itself if nothing new commits)."
    if got < commit:
        return (
            "The commit index never goes down: committed entries stay committed. Return "
            "commit_index when no larger N qualifies."
        )
    if got > len(log):
        return f"N is an index of the leader's log, which has {len(log)} entries."
    if got > want:
        holders = sum(1 for x in matches if x >= got)
        if holders < majority:
            return (
                f"Only {holders} of the {n} servers {'holds' if holders == 1 else 'hold'} entry "
                f"{got} (match index >= {got}); "
                f"a majority of {n} servers is {majority}, more than half. match_indexes "
                "includes the leader's own (its last index): count each server once."
            )
        if log[got - 1].term != term:
            return (
                f"Entry {got} is of term {log[got - 1].term}, not the current term {term}. A "
                "leader never commits an entry of an earlier term by counting replicas, even "
                "on a majority: Figure 8 shows such an entry overwritten by a later leader. It "
                "is committed indirectly, when an entry of the current term after it is "
                "(section 5.4.2)."
            )
        return "Return the largest N that a majority holds and whose entry is of the current term."
    if got < want:
        holders = sum(1 for x in matches if x >= want)
        between = [k for k in range(commit + 1, want) if log[k - 1].term != term]
        if got > commit:
            return (
                f"Entry {want} qualifies too ({holders} of {n} servers hold it, and it is of "
                f"term {term}): return the largest such N; it commits every entry before it."
            )
        if between:
            return (
                f"Entry {want} is of the current term and {holders} of {n} servers hold it: "
                f"commit it, even though entry {between[0]} before it is of an earlier term. "
                "Committing it commits every entry before it (Log Matching); only the entry at "
                "N itself must be of the current term. Look at every N from len(log) down."
            )
        return (
            f"Entry {want} is of the current term and {holders} of the {n} servers hold it, a "
            f"majority ({majority} or more, the leader included): commit it."
        )
    return None


def _commit_examples() -> list[_Case]:
    e = _entries
    return [
        _Case((e([1]), 1, 0, (1, 0, 0)), 0),
        _Case((e([1]), 1, 0, (1, 1, 0)), 1),
        _Case((e([1, 1, 1]), 1, 0, (3, 2, 1)), 2),
        _Case((e([1, 1]), 1, 1, (2, 1, 1)), 1),
        _Case((e([1, 1]), 1, 2, (2, 0, 0)), 2),
        _Case((e([1, 1, 2]), 2, 0, (3, 2, 2)), 0),
        _Case((e([1, 1, 2]), 2, 0, (3, 3, 0)), 3),
        _Case((e([1, 2]), 2, 1, (2, 1, 1)), 1),
        _Case((e([1, 2, 4]), 4, 1, (3, 2, 2, 1, 1)), 1),
        _Case((e([1, 2, 4]), 4, 1, (3, 3, 3, 1, 1)), 3),
        _Case((e([1, 1, 1]), 1, 0, (3, 3, 2, 1, 0)), 2),
        _Case((e([1, 1]), 1, 0, (2, 2, 1, 0)), 1),
        _Case((e([1, 1]), 1, 0, (2,)), 2),
    ]


@st.composite
def _commit_cases(draw: Any) -> tuple[Log, int, int, tuple[int, ...]]:
    log = _entries(draw(_terms(max_size=5, high=4)))
    last = log[-1].term if log else 1
    term = draw(st.integers(last, 4))
    commit = draw(st.integers(0, len(log)))
    servers = draw(st.integers(1, 5))
    followers = draw(st.lists(st.integers(0, len(log)), min_size=servers - 1, max_size=servers - 1))
    matches = tuple(draw(st.permutations([len(log), *followers])))
    return log, term, commit, matches


def _commit_args(state: RaftState, matches: tuple[int, ...]) -> tuple[Any, ...]:
    return (state.log, state.current_term, state.commit_index, matches)


COMMIT_STATEMENT = """\
Write new_commit_index(log, current_term, commit_index, match_indexes): how far a leader
may advance its commit index (Figure 2 of the Raft paper, "Rules for Servers", leaders,
last rule; sections 5.3 and 5.4.2, Figure 8).

- log: the leader's log, a tuple of Entry(term, command), oldest first (the entry at index
  N is log[N - 1]);
- current_term: the leader's term; commit_index: its commit index now;
- match_indexes: for every server of the cluster, the highest index known to be replicated
  on it, the leader's own included (its own is len(log)), in no particular order. Their
  number is the size of the cluster.

Return the largest N such that N > commit_index, a majority of the servers (more than half)
have a match index >= N, and log[N - 1].term == current_term; or commit_index if there is
no such N.

The last condition is the subtle one (Figure 8): an entry of an earlier term is never
committed by counting replicas, even when a majority holds it, because a later leader can
still overwrite it. It becomes committed when an entry of the current term after it is.

The check runs examples (among them Figure 8's, on 5 servers), then compares your function
with the rule on random logs and clusters of 1 to 5 servers (hypothesis), then model-checks
a cluster of 3 servers whose leaders use your function: every interleaving in terms 1 and
2, with messages delayed, reordered and duplicated, up to 5,000 distinct states, for the
four properties of Figure 3 and for progress. The model checker catches a wrong majority
within a few steps; it cannot reach the Figure 8 situation (on 3 servers that takes four
terms and about 18 steps, far beyond the bound), so only the examples and properties check
the current-term condition. The cluster's logs hold no-op entries (a new leader appends
one, section 8) and a client command "x"."""

_COMMIT = _Figure2Rule(
    FunctionAnswer("new_commit_index", ("log", "current_term", "commit_index", "match_indexes")),
    _commit_reference,
    _commit_type,
    _commit_diagnose,
)

COMMIT_INDEX = add_exercise(
    id="ch15.commit_index",
    answered_by=("RaftNode.commit_rule",),
    title="Advance the commit index",
    statement=COMMIT_STATEMENT,
    answer=_COMMIT.answer,
    stages=_COMMIT.stages(
        _commit_examples(),
        _commit_cases(),
        _CommitNode,
        _commit_args,
        goal_hints={
            "an_entry_is_committed": "Return the largest N above commit_index that a "
            "majority of match_indexes reach and whose entry is of the current term. A "
            "new leader's no-op is of its term: once a majority holds it, it commits.",
            "a_leader_is_elected": "No leader: this should not depend on your "
            "function; check that it returns without raising.",
        },
    ),
    hints=(
        "A majority of n servers is n // 2 + 1; count sum(1 for m in match_indexes if m >= N).",
        "Try N = len(log), len(log) - 1, ..., commit_index + 1; the first that qualifies is "
        "the answer.",
    ),
    imports="from dslib.raft import Entry",
)
