"""Chapter 14 (single-decree Paxos): the rules that Paxos's safety rests on.

- ``ch14.promise``: the acceptor's phase-1 rule: promise a ballot, and report the
  last vote ("Paxos Made Simple", section 2.2, phase 1(b); TLA+ ``Phase1b``);
- ``ch14.accept``: the acceptor's phase-2 rule: vote in a ballot or not (phase
  2(b); TLA+ ``Phase2b``);
- ``ch14.choose_value``: the proposer's choice of a value from the promises (P2c;
  TLA+ ``Phase2a``);
- ``ch14.quorums``: does a quorum system guarantee that any two quorums intersect?

The three rules are checked in three stages: a table of examples, hypothesis
properties (the answer agrees with the library's rule on random cases), and a
**model-checking** stage: the reader's function replaces the rule in the node code
of ``dslib.consensus.paxos`` (``Acceptor.promise_rule`` and the promise it sends,
``Acceptor.vote_rule``, ``Proposer.value_rule``) and ``dslib.check`` explores the
interleavings of two proposers (one ballot each), three acceptors and a learner,
up to a bound, for agreement, validity and integrity, and for progress (some
execution chooses a value). The quorum exercise is checked against a brute-force
search of every pair of quorums.

The reference of each rule is the library's own method, so the exercise and the
chapter's code cannot disagree. With one ballot per proposer, at most one lower vote
can be reported to a proposer, so a choice among several votes by the wrong key
passes the model-checking stage; the examples and properties catch it.

References
----------
.. [1] L. Lamport, "Paxos Made Simple", 2001: section 2.2 (P2c, the two phases).
.. [2] L. Lamport, TLA+ module ``Paxos``: actions ``Phase1b``, ``Phase2a``, ``Phase2b``.

Examples
--------
>>> from dslib.exercises import get_exercise
>>> [s.name for s in get_exercise("ch14.accept").stages]
['examples', 'properties', 'model checking']
>>> print(get_exercise("ch14.promise").stub)
from dslib.consensus import Ballot, Promise
<BLANKLINE>
def promise(promised, last_vote, ballot):
    raise NotImplementedError
<BLANKLINE>
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import hypothesis.strategies as st

from dslib.check import ActorModel, CheckResult, check
from dslib.check.counterexample import text_table
from dslib.consensus.paxos import (
    Acceptor,
    AcceptorState,
    Ballot,
    Nack,
    Prepare,
    Promise,
    Proposer,
    chosen_values,
    node_invariants,
    paxos_system,
)
from dslib.core import Context, Node, System, stable_repr
from dslib.errors import HandlerError
from dslib.exercises.registry import FunctionAnswer, add_exercise
from dslib.exercises.stages import (
    AnswerRaised,
    Failure,
    NotAttempted,
    Properties,
    Property,
    Stage,
    StageResult,
    call_answer,
    format_call,
)

__all__ = ["MAX_STATES", "PaxosModelCheck", "Rule", "a_value_is_chosen", "get_stage"]

MAX_STATES = 12_000
"""The state bound of every model-checking stage (about a second for a correct answer);
every wrong rule of ``tests/test_exercises_ch14.py`` that breaks safety is found within
10,500 states, in 14 steps."""

ACCEPTORS = ("a1", "a2", "a3")
B = Ballot
Vote = tuple[Ballot, Hashable]


def _show(value: Any) -> str:
    """A value as the book writes it: ballots short, sets sorted."""
    if isinstance(value, Ballot):
        return f"Ballot({value.round}, {value.proposer!r})"
    if isinstance(value, tuple):
        inner = ", ".join(_show(v) for v in value)
        return f"({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, frozenset):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "frozenset()"
    if isinstance(value, Promise):
        return f"Promise({_show(value.ballot)}, {_show(value.last_vote)})"
    return stable_repr(value)


# == a rule as an exercise ======================================================================
@dataclass(frozen=True)
class Rule:
    """A rule of Paxos as an exercise: the function, its reference, how a result is judged.

    Attributes
    ----------
    answer : FunctionAnswer
        The function the reader writes.
    reference : callable
        The library's rule over the reader's arguments.
    check_type : callable
        ``check_type(args, got)``: what is wrong with the result's type (or None).
    diagnose : callable
        ``diagnose(args, got, want)``: the hint for a wrong result, chosen from what it is.
    same : callable, optional
        Whether ``got`` is a right answer when ``want`` is the reference's (default: equal).

    Examples
    --------
    >>> rule = Rule(FunctionAnswer("double", ("x",)), lambda x: 2 * x,
    ...             lambda args, got: None, lambda args, got, want: "multiply by 2")
    >>> rule.judge(lambda x: x + 2, (3,)).message
    'double(x=3) returned 5; expected 6'
    """

    answer: FunctionAnswer
    reference: Callable[..., Any]
    check_type: Callable[[tuple[Any, ...], Any], str | None]
    diagnose: Callable[[tuple[Any, ...], Any, Any], str | None]
    same: Callable[[tuple[Any, ...], Any, Any], bool] | None = None

    def call(self, args: tuple[Any, ...]) -> str:
        """A call, by keyword, for a message."""
        return format_call(self.answer.name, args, self.answer.params, _show)

    def wrong(self, args: tuple[Any, ...], got: Any) -> tuple[str, str | None] | None:
        """What is wrong with ``got`` as the result for ``args`` (message, hint), or None."""
        problem = self.check_type(args, got)
        want = self.reference(*args)
        if problem is not None:
            return f"{self.call(args)} returned {_show(got)}: {problem}", self.diagnose(
                args, got, want
            )
        ok = self.same(args, got, want) if self.same is not None else got == want
        if ok:
            return None
        return (
            f"{self.call(args)} returned {_show(got)}; expected {_show(want)}",
            self.diagnose(args, got, want),
        )

    def judge(self, answer: Any, args: tuple[Any, ...]) -> Failure | None:
        """Call the answer on ``args``: a Failure if it raises or returns a wrong result."""
        try:
            got = call_answer(answer, *args)
        except AnswerRaised as raised:
            return Failure(
                f"{self.call(args)} raised {raised.text}",
                self.diagnose(args, raised.exc, self.reference(*args)),
                format_call(self.answer.name, args, show=_show),
                length=1,
            )
        wrong = self.wrong(args, got)
        if wrong is None:
            return None
        return Failure(
            wrong[0], wrong[1], format_call(self.answer.name, args, show=_show), length=1
        )

    def agrees(self, answer: Any, args: tuple[Any, ...]) -> Failure | None:
        """The property "agrees with the library's rule" on one case."""
        got = call_answer(answer, *args)
        wrong = self.wrong(args, got)
        return None if wrong is None else Failure(wrong[0], wrong[1])


class _Cases(Stage):
    """A table of cases, each judged by the rule; stop at the first that fails."""

    def __init__(self, name: str, cases: Callable[[], list[tuple[Any, ...]]], rule: Rule) -> None:
        self.name = name
        self.cases = cases
        self.rule = rule

    def run(self, answer: Any) -> StageResult:
        cases = self.cases()
        for args in cases:
            failure = self.rule.judge(answer, args)
            if failure is not None:
                return StageResult(self.name, False, "failed on an example", failure)
        return StageResult(self.name, True, f"{len(cases)} examples")


# == the model-checking stage ==================================================================
def a_value_is_chosen(state: Any) -> bool:
    """A quorum of acceptors voted for one value in one ballot: the stages' progress goal.

    Examples
    --------
    >>> from dslib.check import ActorModel
    >>> [s0] = ActorModel(paxos_system()).init_states()
    >>> a_value_is_chosen(s0)
    False
    """
    return bool(chosen_values(state, len(ACCEPTORS) // 2 + 1))


class _Recorder:
    """The reader's function inside a node: calls it, and keeps the first wrong result."""

    def __init__(self, answer: Any, rule: Rule) -> None:
        self.answer = answer
        self.rule = rule
        self.first_wrong: tuple[tuple[Any, ...], str, str | None] | None = None

    def __call__(self, *args: Any) -> Any:
        got = call_answer(self.answer, *args)
        problem = self.rule.check_type(args, got)
        if problem is not None:
            raise TypeError(f"{self.rule.call(args)} returned {_show(got)}: {problem}")
        if self.first_wrong is None:
            wrong = self.rule.wrong(args, got)
            if wrong is not None:
                self.first_wrong = (args, wrong[0], wrong[1])
        return got


class _PromiseAcceptor(Acceptor):
    """An acceptor whose phase 1 is the reader's ``promise``."""

    def __init__(self, learners: Sequence[str], promise: Callable[..., Any]) -> None:
        super().__init__(learners, tell_proposer=False)
        self.promise = promise

    def on_message(self, ctx: Context, state: AcceptorState, src: str, msg: Any) -> AcceptorState:
        if not isinstance(msg, Prepare):
            return super().on_message(ctx, state, src, msg)
        reply = self.promise(state.promised, state.last_vote, msg.ballot)
        if reply is None:
            if state.promised is not None and state.promised > msg.ballot:
                ctx.send(src, Nack(msg.ballot, state.promised))
            return state
        state = replace(state, promised=msg.ballot)
        ctx.persist(state)
        ctx.send(src, reply)
        return state


class _AcceptAcceptor(Acceptor):
    """An acceptor whose phase-2 rule is the reader's ``accept``."""

    def __init__(self, learners: Sequence[str], accept: Callable[..., Any]) -> None:
        super().__init__(learners, tell_proposer=False)
        self.accept = accept

    def vote_rule(self, state: AcceptorState, ballot: Ballot) -> bool:
        return bool(self.accept(state.promised, ballot))


class _ChoosingProposer(Proposer):
    """A proposer whose value rule is the reader's ``choose_value``."""

    def __init__(self, base: Proposer, choose: Callable[..., Any]) -> None:
        super().__init__(base.value, base.acceptors, base.quorum, max_round=base.max_round)
        self.choose = choose

    def value_rule(self, last_votes: Sequence[Vote | None]) -> Hashable:
        return self.choose(self.value, list(last_votes))


class PaxosModelCheck(Stage):
    """Plug the answer into ``paxos_system`` and model-check it (every interleaving, bounded).

    Two proposers (``x`` and ``y``, one ballot each), three acceptors (interchangeable)
    and a learner, on a network that reorders; agreement, validity and integrity in
    every state, and the goal that some execution chooses a value.

    Parameters
    ----------
    name : str
    rule : Rule
        The exercise's rule (to find the first wrong call and its hint).
    plug : callable
        ``plug(system, function)``: the nodes of ``system`` with the reader's function in
        place of the rule.
    max_states : int, default MAX_STATES

    Examples
    --------
    >>> stage = get_stage("ch14.accept")
    >>> result = stage.run(lambda promised, ballot: True)  # votes below its promise
    >>> result.summary
    'agreement fails after 14 steps'
    """

    def __init__(
        self,
        name: str,
        rule: Rule,
        plug: Callable[[System, Callable[..., Any]], dict[str, Node[Any]]],
        max_states: int = MAX_STATES,
    ) -> None:
        self.name = name
        self.rule = rule
        self.plug = plug
        self.max_states = max_states

    def system(self, function: Callable[..., Any]) -> System:
        """The system whose nodes use ``function`` for the rule."""
        base = paxos_system(("x", "y"), len(ACCEPTORS), 1, max_round=0)
        return System(self.plug(base, function))

    def explore(self, function: Callable[..., Any]) -> CheckResult:
        """The model checker's result for the system that uses ``function``."""
        system = self.system(function)
        model = ActorModel(system, symmetric=list(ACCEPTORS))
        return check(
            model,
            invariants=node_invariants(system),
            goals={"a value is chosen": a_value_is_chosen},
            max_states=self.max_states,
        )

    def run(self, answer: Any) -> StageResult:
        recorder = _Recorder(answer, self.rule)
        try:
            result = self.explore(recorder)
        except HandlerError as exc:
            cause = exc.__cause__
            if isinstance(cause, NotAttempted):
                raise cause from None
            text = cause.text if isinstance(cause, AnswerRaised) else str(cause)
            return StageResult(
                self.name,
                False,
                "your function failed inside a node",
                Failure(f"inside the model checker: {text}", self._hint(recorder)),
            )
        if result.ok:
            return StageResult(
                self.name,
                True,
                f"2 proposers, 3 acceptors, {result.distinct_states:,} states"
                f"{'' if result.complete else ' (the first, breadth first)'}: agreement, "
                "validity and integrity hold, a value can be chosen",
            )
        cex = result.counterexample
        if result.kind == "goal" or cex is None:
            failure = Failure(
                f"in {result.distinct_states:,} states no value is ever chosen: a rule that "
                "refuses too much is safe, but Paxos makes no progress",
                self._hint(recorder),
            )
            return StageResult(self.name, False, "no value is ever chosen", failure)
        rows = [[str(k), str(action)] for k, (action, _state) in enumerate(cex.steps) if k]
        final = cex.final
        chosen = sorted(map(str, chosen_values(final, 2)))
        learned = [s.learned for s in final.states if hasattr(s, "learned") and s.learned]
        message = (
            f"the model checker found an execution of {len(cex)} steps after which "
            f"{result.property} fails (chosen: {chosen}; learned: {learned}):\n"
            + text_table(rows, ["step", "action"])
        )
        return StageResult(
            self.name,
            False,
            f"{result.property} fails after {len(cex)} steps",
            Failure(message, self._hint(recorder), length=len(cex)),
        )

    def _hint(self, recorder: _Recorder) -> str | None:
        if recorder.first_wrong is None:
            return None
        _args, message, hint = recorder.first_wrong
        return f"The first call that differs from the rule: {message}. {hint or ''}".strip()


def get_stage(exercise_id: str) -> PaxosModelCheck:
    """The model-checking stage of a chapter-14 exercise (for notebooks and tests).

    Parameters
    ----------
    exercise_id : str
        ``"ch14.promise"``, ``"ch14.accept"`` or ``"ch14.choose_value"``.

    Returns
    -------
    PaxosModelCheck

    Raises
    ------
    ValueError
        For an exercise without a model-checking stage.

    Examples
    --------
    >>> get_stage("ch14.quorums")
    Traceback (most recent call last):
    ...
    ValueError: ch14.quorums has no model-checking stage
    """
    from dslib.exercises.registry import get_exercise

    stage = get_exercise(exercise_id).stages[-1]
    if not isinstance(stage, PaxosModelCheck):
        raise ValueError(f"{exercise_id} has no model-checking stage")
    return stage


# == strategies ===============================================================================
_BALLOTS = st.builds(Ballot, st.integers(0, 3), st.sampled_from(["p1", "p2", "p3"]))


def _value_of(ballot: Ballot) -> str:
    """One value per ballot (a ballot has one proposal), varied with the ballot."""
    return "xyz"[(ballot.round + int(ballot.proposer[1:])) % 3]


_VOTES = st.one_of(st.none(), _BALLOTS.map(lambda b: (b, _value_of(b))))


# == ch14.promise ===============================================================================
def _promise_reference(promised: Ballot | None, last_vote: Vote | None, ballot: Ballot) -> Any:
    votes = frozenset() if last_vote is None else frozenset({last_vote})
    if Acceptor([]).promise_rule(AcceptorState(promised, votes), ballot):
        return Promise(ballot, last_vote)
    return None


def _promise_type(args: tuple[Any, ...], got: Any) -> str | None:
    if got is None or isinstance(got, Promise):
        return None
    return "return a Promise(ballot, last_vote) to promise, or None to refuse"


def _promise_hint(args: tuple[Any, ...], got: Any, want: Any) -> str | None:
    promised, _last_vote, ballot = args
    if isinstance(got, BaseException):
        return "promised and last_vote may be None: nothing promised, no vote yet."
    if not (got is None or isinstance(got, Promise)):
        return "Return Promise(ballot, last_vote) or None."
    if isinstance(got, Promise) and want is None:
        if ballot == promised:
            return (
                f"This acceptor already promised {_show(ballot)}: a prepare for it again is a "
                "late copy. Promise only a ballot strictly greater than every promise made "
                "(TLA+ Phase1b: b > maxBal)."
            )
        return (
            f"{_show(ballot)} is below the promise {_show(promised)}. A promise is a vow not "
            "to vote below it; promising a lower ballot breaks the vow, and a value chosen "
            "in the higher ballot could be overridden."
        )
    if got is None and isinstance(want, Promise):
        if promised is None:
            return (
                "promised is None: this acceptor has promised nothing, so it promises any ballot."
            )
        return f"{_show(ballot)} is above the promise {_show(promised)}: promise it."
    assert isinstance(got, Promise) and isinstance(want, Promise)
    if got.ballot != ballot:
        return "The promise is for the ballot of the prepare: Promise(ballot, last_vote)."
    if got.last_vote is None:
        return (
            "You promised without reporting the last vote. The proposer needs it: if a value "
            "may have been chosen in a lower ballot, the votes reported are how it finds out "
            "(P2c). Send Promise(ballot, last_vote)."
        )
    return "Report last_vote exactly as given: Promise(ballot, last_vote)."


def _promise_cases() -> list[tuple[Any, ...]]:
    return [
        (None, None, B(0, "p1")),
        (B(0, "p1"), None, B(0, "p2")),
        (B(0, "p2"), (B(0, "p2"), "y"), B(1, "p1")),
        (B(1, "p1"), None, B(0, "p2")),
        (B(0, "p2"), (B(0, "p2"), "y"), B(0, "p1")),
        (B(0, "p2"), None, B(0, "p2")),
        (B(2, "p1"), (B(1, "p2"), "x"), B(2, "p1")),
        (B(1, "p2"), (B(1, "p2"), "x"), B(3, "p1")),
    ]


PROMISE_RULE = Rule(
    FunctionAnswer("promise", ("promised", "last_vote", "ballot")),
    _promise_reference,
    _promise_type,
    _promise_hint,
)


def _plug_promise(system: System, function: Callable[..., Any]) -> dict[str, Node[Any]]:
    nodes = dict(system.nodes)
    for a in ACCEPTORS:
        nodes[a] = _PromiseAcceptor(("l1",), function)
    return nodes


PROMISE_STATEMENT = """\
Write promise(promised, last_vote, ballot): what an acceptor does with a prepare request
(phase 1, "Paxos Made Simple", section 2.2; TLA+ Phase1b).

- promised: the highest ballot this acceptor has promised, a Ballot, or None if none;
- last_vote: its highest vote, a pair (Ballot, value), or None if it has not voted;
- ballot: the Ballot of the prepare request. Ballots compare with < and >.

Return Promise(ballot, last_vote) to promise (the acceptor then records the promise and
sends it), or None to refuse (the acceptor then tells a proposer of a lower ballot that it
is too late). Promise only a ballot greater than every ballot promised so far.

The check runs examples, compares your function with the library's acceptor on random
cases, then puts it in the acceptors of paxos_system and model-checks two proposers, three
acceptors and a learner for agreement, validity and integrity."""

PROMISE = add_exercise(
    id="ch14.promise",
    answered_by=("Acceptor.promise_rule",),
    title="Promise (phase 1b)",
    statement=PROMISE_STATEMENT,
    answer=PROMISE_RULE.answer,
    stages=(
        _Cases("examples", _promise_cases, PROMISE_RULE),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the acceptor of dslib.consensus",
                    st.tuples(st.one_of(st.none(), _BALLOTS), _VOTES, _BALLOTS),
                    PROMISE_RULE.agrees,
                    max_examples=200,
                )
            ],
        ),
        PaxosModelCheck("model checking", PROMISE_RULE, _plug_promise),
    ),
    hints=(
        "Ballots compare with >; promised is None before the first promise.",
        "The promise carries the acceptor's last vote: that is what phase 1 is for.",
    ),
    imports="from dslib.consensus import Ballot, Promise",
)


# == ch14.accept ================================================================================
def _accept_reference(promised: Ballot | None, ballot: Ballot) -> bool:
    return Acceptor([]).vote_rule(AcceptorState(promised), ballot)


def _accept_type(args: tuple[Any, ...], got: Any) -> str | None:
    return None if isinstance(got, bool) else "return True or False (a bool)"


def _accept_hint(args: tuple[Any, ...], got: Any, want: Any) -> str | None:
    promised, ballot = args
    if isinstance(got, BaseException):
        return "promised may be None: this acceptor has promised nothing yet."
    if not isinstance(got, bool):
        return "Return a bool."
    if got and not want:
        return (
            f"This acceptor promised {_show(promised)} and {_show(ballot)} is lower: voting "
            "in it breaks the promise. The proposer of the higher ballot counted on that "
            "promise when it chose its value."
        )
    if promised is None:
        return "promised is None: nothing was promised, so any ballot may be voted in."
    if ballot == promised:
        return (
            f"{_show(ballot)} is the very ballot this acceptor promised: the promise was made "
            "so that it could vote in it. Vote in a ballot not below the promise (>=)."
        )
    return (
        f"{_show(ballot)} is above the promise {_show(promised)}: vote (TLA+ Phase2b: b >= maxBal)."
    )


def _accept_cases() -> list[tuple[Any, ...]]:
    return [
        (None, B(0, "p1")),
        (B(0, "p1"), B(0, "p1")),
        (B(0, "p2"), B(0, "p1")),
        (B(0, "p1"), B(1, "p2")),
        (B(2, "p1"), B(1, "p2")),
        (B(1, "p2"), B(1, "p2")),
    ]


ACCEPT_RULE = Rule(
    FunctionAnswer("accept", ("promised", "ballot")), _accept_reference, _accept_type, _accept_hint
)


def _plug_accept(system: System, function: Callable[..., Any]) -> dict[str, Node[Any]]:
    nodes = dict(system.nodes)
    for a in ACCEPTORS:
        nodes[a] = _AcceptAcceptor(("l1",), function)
    return nodes


ACCEPT_STATEMENT = """\
Write accept(promised, ballot): does an acceptor vote for the value of an accept request
of this ballot? (Phase 2, "Paxos Made Simple", section 2.2; TLA+ Phase2b.)

- promised: the highest ballot this acceptor has promised, a Ballot, or None if none;
- ballot: the Ballot of the accept request.

Return True to vote (the acceptor then records the vote and tells the learners) or False to
refuse. Keep the promise: never vote below it.

The check runs examples, compares your function with the library's acceptor on random
cases, then puts it in the acceptors of paxos_system and model-checks two proposers, three
acceptors and a learner for agreement, validity and integrity, and for progress (some
execution must choose a value)."""

ACCEPT = add_exercise(
    id="ch14.accept",
    answered_by=("Acceptor.vote_rule",),
    title="Accept (phase 2b)",
    statement=ACCEPT_STATEMENT,
    answer=ACCEPT_RULE.answer,
    stages=(
        _Cases("examples", _accept_cases, ACCEPT_RULE),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the acceptor of dslib.consensus",
                    st.tuples(st.one_of(st.none(), _BALLOTS), _BALLOTS),
                    ACCEPT_RULE.agrees,
                    max_examples=200,
                )
            ],
        ),
        PaxosModelCheck("model checking", ACCEPT_RULE, _plug_accept),
    ),
    hints=(
        "Ballots compare with >= ; promised is None before the first promise.",
        "An acceptor promised ballot b so that it could vote in b.",
    ),
    imports="from dslib.consensus import Ballot",
)


# == ch14.choose_value ==========================================================================
def _choose_reference(own: Hashable, last_votes: list[Vote | None]) -> Hashable:
    return Proposer(own, ACCEPTORS, 1).value_rule(last_votes)


def _choose_type(args: tuple[Any, ...], got: Any) -> str | None:
    own, last_votes = args
    allowed = {own} | {v for _, v in filter(None, last_votes)}
    if got in allowed:
        return None
    return f"return own or a value of one of the votes ({', '.join(sorted(map(str, allowed)))})"


def _choose_hint(args: tuple[Any, ...], got: Any, want: Any) -> str | None:
    own, last_votes = args
    votes = [v for v in last_votes if v is not None]
    if isinstance(got, BaseException):
        return "last_votes holds None for an acceptor that has not voted: skip those."
    if not votes:
        return "No acceptor of the quorum has voted: propose your own value."
    if got == own and want != own:
        return (
            f"An acceptor reported a vote, and you proposed your own value {own!r}. A value may "
            "already be chosen in a lower ballot; a quorum voted for it, and this quorum of "
            "promises meets it. Propose the value of the highest vote reported (P2c)."
        )
    first = votes[0][1]
    counts = {v: sum(1 for _, w in votes if w == v) for _, v in votes}
    if got == first and got != want:
        return "Not the first vote reported: the vote with the highest ballot."
    if got == max(v for _, v in votes) and got != want:
        return "Compare the votes by their ballots, not their values: max(votes, key=ballot)."
    if counts.get(got, 0) == max(counts.values()) and got != want:
        return (
            "Not the most frequent value: the value of the vote with the highest ballot. Only "
            "the highest ballot's value can have been chosen below this ballot."
        )
    return "Propose the value of the vote with the highest ballot among last_votes."


def _choose_cases() -> list[tuple[Any, ...]]:
    return [
        ("x", [None, None]),
        ("x", [None, (B(0, "p2"), "y")]),
        ("x", [(B(1, "p3"), "b"), (B(0, "p2"), "c")]),
        ("x", [(B(1, "p3"), "z"), (B(0, "p2"), "y"), (B(0, "p2"), "y")]),
        ("x", [(B(0, "p2"), "y"), (B(1, "p3"), "z")]),
        ("x", [(B(0, "p2"), "y"), (B(0, "p2"), "y"), (B(1, "p3"), "x")]),
        ("z", [(B(2, "p1"), "a"), None, (B(1, "p2"), "y")]),
        ("x", [(B(1, "p1"), "y"), (B(1, "p2"), "w")]),
    ]


def _votes_strategy() -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(st.sampled_from(["x", "y", "z"]), st.lists(_VOTES, min_size=1, max_size=5))


CHOOSE_RULE = Rule(
    FunctionAnswer("choose_value", ("own", "last_votes")),
    _choose_reference,
    _choose_type,
    _choose_hint,
)


def _plug_choose(system: System, function: Callable[..., Any]) -> dict[str, Node[Any]]:
    nodes = dict(system.nodes)
    for p in ("p1", "p2"):
        base = nodes[p]
        assert isinstance(base, Proposer)
        nodes[p] = _ChoosingProposer(base, function)
    return nodes


CHOOSE_STATEMENT = """\
Write choose_value(own, last_votes): the value a proposer proposes in phase 2, once a quorum
of acceptors promised its ballot ("Paxos Made Simple", section 2.2, P2c; TLA+ Phase2a).

- own: the value this proposer wants (its input);
- last_votes: a list with one entry per promise: the highest vote the acceptor had cast
  before it promised, a pair (Ballot, value), or None if it had not voted.

Return the value of the vote with the highest ballot, or own if no acceptor voted.

The check runs examples, compares your function with the library's proposer on random
promises, then puts it in the proposers of paxos_system and model-checks two proposers,
three acceptors and a learner for agreement, validity and integrity."""

CHOOSE_VALUE = add_exercise(
    id="ch14.choose_value",
    answered_by=("Proposer.value_rule",),
    title="Choose the value to propose (P2c)",
    statement=CHOOSE_STATEMENT,
    answer=CHOOSE_RULE.answer,
    stages=(
        _Cases("examples", _choose_cases, CHOOSE_RULE),
        Properties(
            "properties",
            [
                Property(
                    "agrees with the proposer of dslib.consensus",
                    _votes_strategy(),
                    CHOOSE_RULE.agrees,
                    max_examples=200,
                )
            ],
        ),
        PaxosModelCheck("model checking", CHOOSE_RULE, _plug_choose),
    ),
    hints=(
        "Skip the None entries; if nothing is left, propose own.",
        "max(votes, key=lambda vote: vote[0]) is the vote with the highest ballot.",
    ),
)


# == ch14.quorums ===============================================================================
def _disjoint_pairs(quorums: Sequence[frozenset[str]]) -> list[tuple[frozenset[str], ...]]:
    """Every pair of quorums that share no member, in the order of the list: brute force."""
    return [(q1, q2) for q1, q2 in itertools.combinations(quorums, 2) if not q1 & q2]


def _quorum_reference(quorums: list[frozenset[str]]) -> Any:
    pairs = _disjoint_pairs(quorums)
    return pairs[0] if pairs else None


def _quorum_type(args: tuple[Any, ...], got: Any) -> str | None:
    (quorums,) = args
    if got is None:
        return None
    if not (isinstance(got, tuple) and len(got) == 2):
        return "return None, or a pair (q1, q2) of the quorums given"
    if not all(q in quorums for q in got):
        return "the pair must be two of the quorums given (as given)"
    return None


def _quorum_same(args: tuple[Any, ...], got: Any, want: Any) -> bool:
    if want is None or got is None:
        return got is None and want is None
    q1, q2 = got
    return not set(q1) & set(q2)


def _quorum_hint(args: tuple[Any, ...], got: Any, want: Any) -> str | None:
    (quorums,) = args
    if isinstance(got, BaseException):
        return "quorums is a list of frozensets; q1 & q2 is their intersection."
    if got is None:
        q1, q2 = want
        neighbours_meet = all(a & b for a, b in itertools.pairwise(quorums))
        if len(quorums) > 2 and neighbours_meet:
            return (
                "Every quorum meets the next one in the list, but not every pair was "
                f"compared: {_show(q1)} and {_show(q2)} share no member. Compare every pair."
            )
        return f"{_show(q1)} and {_show(q2)} share no member: return them."
    if want is None:
        if not frozenset.intersection(*quorums):
            return (
                "Every two of these quorums share a member, though no member is in all of them "
                "(as with the majorities of three acceptors). Intersection is required of each "
                "pair, not of all quorums at once."
            )
        members = frozenset().union(*quorums)
        if 2 * min(len(q) for q in quorums) <= len(members):
            return (
                "These quorums all share a member, even though two of them together are not "
                "more than all the acceptors. Size is a sufficient test for majorities, not a "
                "necessary one: look at the sets."
            )
        return "Every two of these quorums share a member: return None."
    q1, q2 = got
    return f"{_show(q1)} and {_show(q2)} share {sorted(set(q1) & set(q2))}: they intersect."


def _fs(*names: str) -> frozenset[str]:
    return frozenset(names)


def _quorum_cases() -> list[tuple[Any, ...]]:
    return [
        ([_fs("a1", "a2"), _fs("a1", "a3"), _fs("a2", "a3")],),
        ([_fs("a1"), _fs("a2")],),
        ([_fs("a1", "a2"), _fs("a1", "a3"), _fs("a1", "a4")],),
        ([_fs("a1", "a2"), _fs("a2", "a3"), _fs("a3", "a4")],),
        ([_fs("a1", "a2", "a3"), _fs("a3", "a4", "a5"), _fs("a1", "a5", "a4")],),
        ([_fs("a1", "a2"), _fs("a2", "a3"), _fs("a3", "a4"), _fs("a4", "a1")],),
        ([_fs("a1", "a2", "a3", "a4")],),
    ]


_QUORUM_SYSTEMS = st.lists(
    st.frozensets(st.sampled_from(["a1", "a2", "a3", "a4", "a5"]), min_size=1, max_size=4),
    min_size=1,
    max_size=6,
    unique=True,
).map(lambda qs: (qs,))

QUORUM_RULE = Rule(
    FunctionAnswer("disjoint_quorums", ("quorums",)),
    _quorum_reference,
    _quorum_type,
    _quorum_hint,
    same=_quorum_same,
)

QUORUM_STATEMENT = """\
Write disjoint_quorums(quorums): two quorums of this quorum system that share no acceptor,
or None if every two quorums share at least one.

- quorums: a list of frozensets of acceptor names (strings), no two equal.

Return None if every two quorums intersect (then Paxos is safe with these quorums: a value
chosen by one quorum is seen by every later quorum of promises); otherwise a pair (q1, q2)
of quorums from the list with q1 & q2 empty.

The check runs examples, then compares your function with a brute-force search of every
pair on random quorum systems of up to 5 acceptors."""

QUORUMS = add_exercise(
    id="ch14.quorums",
    title="Do the quorums intersect?",
    statement=QUORUM_STATEMENT,
    answer=QUORUM_RULE.answer,
    stages=(
        _Cases("examples", _quorum_cases, QUORUM_RULE),
        Properties(
            "properties",
            [
                Property(
                    "agrees with a brute-force search of every pair",
                    _QUORUM_SYSTEMS,
                    QUORUM_RULE.agrees,
                    lambda case: f"quorums={_show(case[0])}",
                    max_examples=300,
                )
            ],
        ),
    ),
    hints=(
        "itertools.combinations(quorums, 2) gives every pair of quorums.",
        "q1 & q2 is empty exactly when two quorums share no acceptor.",
    ),
)
