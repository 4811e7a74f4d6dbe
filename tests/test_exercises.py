"""Tests of dslib.exercises: every checker accepts its reference solution and rejects
known-wrong answers at the expected stage with the expected hint; stubs, bad input,
purity, determinism and the progress file."""

from __future__ import annotations

import inspect
import itertools
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import dslib.exercises as ex
from conftest import quiet_check
from dslib import Context, Node
from dslib.exercises.ch01 import Pong, PongerState
from dslib.exercises.known_wrong import (
    WrongAnswer,
    rejection_problems,
    too_few_wrong_answers,
)
from dslib.exercises.progress import ProgressFileError, load_progress, progress_path
from dslib.exercises.registry import FunctionAnswer, NodeAnswer
from dslib.exercises.stages import (
    Example,
    Examples,
    Failure,
    Properties,
    Property,
    format_call,
)
from dslib.sim import Reply

ROOT = Path(__file__).resolve().parent.parent


# -- the registry and the reference solutions -----------------------------------------------------
IDS = ["ch00.count_deliveries", "ch01.pong", "ch01.percentile", "ch01.dedup_server"]
"""The exercises of chapters 0 and 1 (other chapters' wrong answers are in their own files)."""

ALL = [e.id for e in ex.all_exercises()]
"""Every exercise of the book: each passes its solution and shows its stub the same way."""


def test_registry_lists_the_exercises_in_book_order() -> None:
    everything = ex.all_exercises()
    assert [e.id for e in everything][: len(IDS)] == IDS
    chapters = [e.chapter for e in everything]
    assert chapters == sorted(chapters)
    assert len({e.id for e in everything}) == len(everything)
    assert [e.id for e in ex.all_exercises(chapter=0)] == ["ch00.count_deliveries"]
    with pytest.raises(TypeError, match="chapter"):
        ex.all_exercises(chapter="1")  # type: ignore[arg-type]


@pytest.mark.parametrize("exercise_id", ALL)
def test_reference_solution_passes_every_stage(
    exercise_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exercise = ex.get_exercise(exercise_id)
    assert (ROOT / exercise.solution.split(":")[0]).is_file()
    result = quiet_check(exercise_id, ex.load_solution(exercise_id), capsys)
    assert result.passed and result.attempted and result.ok
    assert result.stage is None and result.hint is None
    assert [s.stage for s in result.stages] == [s.name for s in exercise.stages]
    assert all(s.ok for s in result.stages)
    assert "Passed: every stage" in result.text


@pytest.mark.parametrize("exercise_id", ALL)
def test_the_stub_is_the_solutions_signature(exercise_id: str) -> None:
    # add_exercise derives a function's stub from its FunctionAnswer (as nbgrader derives it
    # from the solution): the two must name the same parameters, and the stub must define it.
    exercise = ex.get_exercise(exercise_id)
    solution = ex.load_solution(exercise_id)
    namespace: dict[str, Any] = {}
    exec(exercise.stub, namespace)
    if isinstance(exercise.answer, FunctionAnswer):
        params = tuple(inspect.signature(solution).parameters)
        assert params == exercise.answer.params
        assert tuple(inspect.signature(namespace[exercise.answer.name]).parameters) == params
        assert f"def {exercise.answer.name}({', '.join(params)}):" in exercise.stub
    else:
        assert isinstance(namespace[exercise.answer.class_name], type)
        assert solution.__name__ == exercise.answer.class_name
    assert exercise.solution == f"solutions/{exercise_id[:4]}.py:{solution.__name__}"


def test_solutions_readme_says_try_first() -> None:
    assert "try first" in (ROOT / "solutions" / "README.md").read_text().lower()


@pytest.mark.parametrize("exercise_id", ALL)
def test_statement_prints_the_task_and_the_stub(
    exercise_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ex.statement(exercise_id)
    out = capsys.readouterr().out
    exercise = ex.get_exercise(exercise_id)
    assert out.startswith(f"{exercise_id}: {exercise.title}")
    assert "raise NotImplementedError" in out
    assert f'check("{exercise_id}"' in out
    assert "Hints:" not in out
    ex.statement(exercise_id, hints=True)
    with_hints = capsys.readouterr().out
    assert "Hints:" in with_hints and exercise.hints[0][:30] in with_hints


# -- stubs: "not attempted yet" -------------------------------------------------------------------
def _stub_namespace(exercise_id: str) -> Any:
    exercise = ex.get_exercise(exercise_id)
    namespace: dict[str, Any] = {}
    exec(exercise.stub, namespace)
    spec = exercise.answer
    return namespace[getattr(spec, "name", None) or spec.class_name]  # type: ignore[union-attr]


@pytest.mark.parametrize("exercise_id", ALL)
def test_stub_is_not_attempted_and_not_recorded(
    exercise_id: str, capsys: pytest.CaptureFixture[str], progress_file: Path
) -> None:
    stub = _stub_namespace(exercise_id)
    result = ex.check(exercise_id, stub)
    out = capsys.readouterr().out
    assert "not attempted yet" in out
    assert not result.attempted and not result.passed
    assert result.message == "not attempted yet"
    assert not progress_file.exists()


def test_partly_written_answer_is_a_failure_not_a_stub(capsys: pytest.CaptureFixture[str]) -> None:
    class Ponger(Node[PongerState]):
        def init(self, ctx: Context) -> PongerState:
            return PongerState()

        def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> Any:
            if msg.seq == 0 or src == "p2":
                ctx.send(src, Pong(msg.seq))
                return replace(state, pings=state.pings + 1)
            raise NotImplementedError("later")

    result = quiet_check("ch01.pong", Ponger, capsys)
    assert result.attempted and not result.passed
    assert result.stage == "simulation"
    assert "NotImplementedError" in result.hint


# -- what add_exercise derives from the answer ----------------------------------------------------
def test_a_node_stub_is_derived_from_its_answer() -> None:
    # the stub ch01.pong showed when it was typed out by hand, kept word for word
    assert ex.get_exercise("ch01.pong").stub == (
        "from dataclasses import replace\n"
        "from dslib import Node\n"
        "from dslib.exercises.ch01 import Ping, Pong, PongerState\n"
        "\n"
        "class Ponger(Node[PongerState]):\n"
        "    def init(self, ctx):\n"
        "        return PongerState()\n"
        "\n"
        "    def on_message(self, ctx, state, src, msg):\n"
        "        raise NotImplementedError\n"
    )
    stub = NodeAnswer("Echo", handler="on_timer", params=("ctx", "state", "name"), state="int")
    assert "    def on_timer(self, ctx, state, name):\n        x = 1\n        raise" in stub.stub(
        body="x = 1"
    )
    with pytest.raises(ValueError, match="needs state="):
        NodeAnswer("Ponger").stub()


def test_stages_learn_the_function_from_the_answer() -> None:
    examples = Examples("examples", [Example(([2, 1],), 1)])
    named = examples.for_function("least", ("xs",))
    assert (examples.call_text(([2, 1],)), named.call_text(([2, 1],))) == (
        "answer([2, 1])",
        "least([2, 1])",
    )

    def sorts_in_place(xs: list[int]) -> int:
        xs.sort()
        return xs[0]

    assert "answer" not in named.run(sorts_in_place).failure.message  # type: ignore[union-attr]
    assert "xs was [2, 1]" in named.run(sorts_in_place).failure.message  # type: ignore[union-attr]
    assert "argument 1 was" in examples.run(sorts_in_place).failure.message  # type: ignore[union-attr]
    # what a chapter states itself wins over what the answer gives
    own = Examples("e", [Example(([2, 1],), 1)], lambda a: "mine", params=("values",))
    own = own.for_function("least", ("xs",))
    assert own.call_text(([2, 1],)) == "mine"
    assert "values was" in own.run(sorts_in_place).failure.message  # type: ignore[union-attr]


def test_properties_show_a_case_of_arguments_by_name() -> None:
    import hypothesis.strategies as st

    def small(answer: Any, case: Any) -> Failure | None:
        return None if answer(*case) < 3 else Failure("too large")

    pairs = Property("pairs", st.tuples(st.integers(0, 5), st.integers(0, 5)), small)
    single = Property("single", st.integers(0, 5).map(lambda n: (n,)), small)
    shown = Property("shown", st.tuples(st.integers(0, 5), st.integers(0, 5)), small, str)
    for prop, text in [(pairs, "a=0, b=3"), (single, "(3,)"), (shown, "(0, 3)")]:
        stage = Properties("properties", [prop]).for_function("add", ("a", "b"))
        assert stage.run(lambda *xs: sum(xs)).failure.counterexample == text  # type: ignore[union-attr]
    unnamed = Properties("properties", [pairs]).run(lambda a, b: a + b)
    assert unnamed.failure.counterexample == "(0, 3)"  # type: ignore[union-attr]


def test_a_changed_input_is_named_by_its_parameter(capsys: pytest.CaptureFixture[str]) -> None:
    result = quiet_check("ch00.count_deliveries", cd_mutates, capsys)
    assert "changed its input: trace was Trace(" in result.message


def test_format_call_needs_a_name_for_every_argument() -> None:
    assert format_call("f", (1, "x"), ("a", "b")) == "f(a=1, b='x')"
    assert format_call("f", ((1,),), show=str) == "f((1,))"
    with pytest.raises(ValueError, match=r"2 arguments \['1', '2'\] for the parameters \('a',\)"):
        format_call("f", (1, 2), ("a",))


# -- ch00.count_deliveries ------------------------------------------------------------------------
def cd_sends(trace: Any) -> int:
    return trace.count("send")


def cd_drops(trace: Any) -> int:
    return trace.count("drop")


def cd_no_duplicates(trace: Any) -> int:
    return trace.count("deliver") - trace.count("duplicate")


def cd_list(trace: Any) -> Any:
    return trace.of_kind("deliver")


def cd_listener_only(trace: Any) -> int:
    return sum(1 for e in trace if e.kind == "deliver" and e.node == "listener")


def cd_mutates(trace: Any) -> int:
    n = trace.count("deliver")
    trace.entries.clear()
    return n


# -- ch01.pong ------------------------------------------------------------------------------------
class _PongBase(Node[PongerState]):
    def init(self, ctx: Context) -> PongerState:
        return PongerState()


class PongPlusOne(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        ctx.send(src, Pong(msg.seq + 1))
        return replace(state, pings=state.pings + 1)


class PongBroadcast(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        ctx.broadcast(Pong(msg.seq))
        return replace(state, pings=state.pings + 1)


class PongToP1(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        ctx.send("p1", Pong(msg.seq))
        return replace(state, pings=state.pings + 1)


class PongNoCount(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        ctx.send(src, Pong(msg.seq))
        return state


class PongReturnsNone(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> Any:
        ctx.send(src, Pong(msg.seq))


class PongCountsInSelf(_PongBase):
    def __init__(self) -> None:
        self.count = 0

    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        self.count += 1
        ctx.send(src, Pong(msg.seq))
        return PongerState(state.pings + 1)


_tick = itertools.count()


class PongNondeterministic(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        ctx.send(src, Pong(msg.seq))
        if next(_tick) % 2:  # a global: the same input does not give the same output
            ctx.set_timer("t", 1.0)
        return replace(state, pings=state.pings + 1)


class PongSkipsOld(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        if msg.seq < state.pings:  # "already answered": wrong, pings come from two pingers
            return state
        ctx.send(src, Pong(msg.seq))
        return replace(state, pings=state.pings + 1)


class PongCrashes(_PongBase):
    def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> PongerState:
        if msg.seq == 1:
            raise KeyError("boom")
        ctx.send(src, Pong(msg.seq))
        return replace(state, pings=state.pings + 1)


# -- ch01.percentile ------------------------------------------------------------------------------
def pct_unsorted(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    return latencies[max(1, math.ceil(q * len(latencies) / 100)) - 1]


def pct_off_by_one(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    s = sorted(latencies)
    return s[min(max(1, math.ceil(q * len(s) / 100)), len(s) - 1)]


def pct_index_error(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    s = sorted(latencies)
    return s[max(1, math.ceil(q * len(s) / 100))]


def pct_in_place(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    latencies.sort()
    return latencies[max(1, math.ceil(q * len(latencies) / 100)) - 1]


def pct_q0_is_max(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    s = sorted(latencies)
    return s[math.ceil(q * len(s) / 100) - 1]


def pct_float(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    s = sorted(latencies)
    return s[max(1, math.ceil(q / 100 * len(s))) - 1]


def pct_no_raise(latencies: list[int], q: int) -> Any:
    if not latencies:
        return None
    s = sorted(latencies)
    return s[max(1, math.ceil(q * len(s) / 100)) - 1]


def pct_interpolates(latencies: list[int], q: int) -> float:
    if not latencies:
        raise ValueError
    s = sorted(latencies)
    pos = q / 100 * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def pct_distinct(latencies: list[int], q: int) -> int:
    if not latencies:
        raise ValueError
    s = sorted(set(latencies))
    return s[max(1, math.ceil(q * len(s) / 100)) - 1]


# -- ch01.dedup_server ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SState:
    counter: int = 0
    replies: tuple[tuple[Any, Reply], ...] = ()


class _ServerBase(Node[SState]):
    def init(self, ctx: Context) -> SState:
        return SState()


class ServerNoDedup(_ServerBase):
    def on_message(self, ctx: Context, state: SState, src: str, msg: Any) -> SState:
        counter = state.counter + msg.value
        ctx.send(src, Reply(msg.request_id, True, counter))
        return replace(state, counter=counter)


class ServerSilentOnRetry(_ServerBase):
    def on_message(self, ctx: Context, state: SState, src: str, msg: Any) -> SState:
        key = (msg.client, msg.request_id)
        if any(k == key for k, _ in state.replies):
            return state
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return SState(counter, (*state.replies, (key, reply)))


class ServerKeyedByIdOnly(_ServerBase):
    def on_message(self, ctx: Context, state: SState, src: str, msg: Any) -> SState:
        for k, reply in state.replies:
            if k == msg.request_id:
                ctx.send(src, reply)
                return state
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return SState(counter, (*state.replies, (msg.request_id, reply)))


class ServerRepliesCurrentValue(_ServerBase):
    def on_message(self, ctx: Context, state: SState, src: str, msg: Any) -> SState:
        key = (msg.client, msg.request_id)
        if any(k == key for k, _ in state.replies):
            ctx.send(src, Reply(msg.request_id, True, state.counter))
            return state
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return SState(counter, (*state.replies, (key, reply)))


class _Mutable:
    def __init__(self) -> None:
        self.counter = 0
        self.replies: dict[Any, Reply] = {}


class ServerMutatesState(Node[Any]):
    def init(self, ctx: Context) -> _Mutable:
        return _Mutable()

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        key = (msg.client, msg.request_id)
        if key not in state.replies:
            state.counter += msg.value
            state.replies[key] = Reply(msg.request_id, True, state.counter)
        ctx.send(src, state.replies[key])
        return state


@dataclass(frozen=True)
class DictState:
    counter: int
    replies: dict[Any, Reply]


class ServerUnhashableState(Node[Any]):
    def init(self, ctx: Context) -> DictState:
        return DictState(0, {})

    def on_message(self, ctx: Context, state: Any, src: str, msg: Any) -> Any:
        counter = state.counter + msg.value
        reply = Reply(msg.request_id, True, counter)
        ctx.send(src, reply)
        return DictState(counter, {**state.replies, (msg.client, msg.request_id): reply})


@dataclass(frozen=True)
class CountState:
    count: int = 0


class ServerNoCounterField(Node[CountState]):
    def init(self, ctx: Context) -> CountState:
        return CountState()

    def on_message(self, ctx: Context, state: CountState, src: str, msg: Any) -> CountState:
        ctx.send(src, Reply(msg.request_id, True, state.count + msg.value))
        return CountState(state.count + msg.value)


WRONG = [
    # (exercise, answer, stage that catches it, words of the hint)
    WrongAnswer("ch00.count_deliveries", cd_sends, "examples", "counted the messages sent"),
    WrongAnswer("ch00.count_deliveries", cd_drops, "examples", '"drop" entries'),
    WrongAnswer("ch00.count_deliveries", cd_list, "examples", "must return an int"),
    WrongAnswer("ch00.count_deliveries", cd_listener_only, "examples", "only the deliveries to"),
    WrongAnswer("ch00.count_deliveries", cd_mutates, "examples", "never change it"),
    WrongAnswer(
        "ch00.count_deliveries", cd_no_duplicates, "properties", "subtracted the duplicates"
    ),
    WrongAnswer("ch01.pong", PongPlusOne, "examples", "same sequence number"),
    WrongAnswer("ch01.pong", PongBroadcast, "examples", "ctx.broadcast sends to every peer"),
    WrongAnswer("ch01.pong", PongToP1, "examples", "Reply to src"),
    WrongAnswer("ch01.pong", PongNoCount, "examples", "Count the ping"),
    WrongAnswer("ch01.pong", PongReturnsNone, "examples", "Return the next state"),
    WrongAnswer("ch01.pong", PongCountsInSelf, "purity", "holds configuration only"),
    WrongAnswer("ch01.pong", PongNondeterministic, "purity", "must be deterministic"),
    WrongAnswer("ch01.pong", PongSkipsOld, "simulation", "exactly one Pong"),
    WrongAnswer("ch01.percentile", pct_unsorted, "examples", "Sort first"),
    WrongAnswer("ch01.percentile", pct_off_by_one, "examples", "Off by one"),
    WrongAnswer("ch01.percentile", pct_index_error, "examples", "Off by one"),
    WrongAnswer("ch01.percentile", pct_in_place, "examples", "latencies.sort()"),
    WrongAnswer("ch01.percentile", pct_q0_is_max, "examples", "s[-1], the maximum"),
    WrongAnswer("ch01.percentile", pct_float, "examples", "Floating point"),
    WrongAnswer("ch01.percentile", pct_no_raise, "examples", "raise ValueError"),
    WrongAnswer("ch01.percentile", pct_interpolates, "examples", "never interpolates"),
    WrongAnswer("ch01.percentile", pct_distinct, "properties", "distinct values"),
    WrongAnswer("ch01.dedup_server", ServerNoDedup, "duplicates", "applies a duplicate twice"),
    WrongAnswer(
        "ch01.dedup_server", ServerSilentOnRetry, "duplicates", "does not reply to a retry"
    ),
    WrongAnswer("ch01.dedup_server", ServerRepliesCurrentValue, "duplicates", "current value"),
    WrongAnswer(
        "ch01.dedup_server", ServerKeyedByIdOnly, "two clients", "Request ids are per client"
    ),
    WrongAnswer(
        "ch01.dedup_server", ServerMutatesState, "purity", "Never change the state you are given"
    ),
    WrongAnswer("ch01.dedup_server", ServerUnhashableState, "examples", "immutable, hashable"),
    WrongAnswer("ch01.dedup_server", ServerNoCounterField, "examples", "field named counter"),
]


@pytest.mark.parametrize("row", WRONG, ids=[row.id for row in WRONG])
def test_known_wrong_answers_are_rejected_at_their_stage_with_their_hint(
    row: WrongAnswer, capsys: pytest.CaptureFixture[str]
) -> None:
    problems = rejection_problems(row, quiet_check(row.exercise, row.answer, capsys))
    assert not problems, problems


def test_every_exercise_rejects_at_least_two_wrong_answers() -> None:
    assert not too_few_wrong_answers(WRONG, IDS)


def test_simulation_failure_shows_the_trace_around_the_event(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = quiet_check("ch01.dedup_server", ServerNoDedup, capsys)
    failure = result.failure
    assert failure is not None and failure.trace is not None and failure.trace_at is not None
    marked = [line for line in result.text.splitlines() if line.startswith(">>")]
    assert len(marked) == 1 and "server deliver" in marked[0]
    assert str(failure.trace[failure.trace_at]) in marked[0]
    assert failure.length is not None and failure.length > failure.trace_at
    assert "applied it again" in result.message


def test_a_handler_that_raises_in_a_simulation_is_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = quiet_check("ch01.pong", PongCrashes, capsys)
    assert result.stage == "simulation"
    assert "KeyError: 'boom'" in result.message
    assert "raise KeyError" in result.message  # the line of the reader's code
    assert "ponger" in result.message


def test_property_failure_is_the_shrunk_smallest_case(capsys: pytest.CaptureFixture[str]) -> None:
    result = quiet_check("ch01.percentile", pct_distinct, capsys)
    assert result.failure is not None and result.failure.shrunk
    assert "hypothesis shrank it" in result.text
    # the smallest list with a repeated value that changes the answer has 3 elements or so
    assert result.failure.length is not None and result.failure.length <= 6


def test_check_output_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = quiet_check("ch01.dedup_server", ServerKeyedByIdOnly, capsys).text
    second = quiet_check("ch01.dedup_server", ServerKeyedByIdOnly, capsys).text
    assert first == second
    third = quiet_check("ch01.percentile", pct_distinct, capsys).text
    assert third == quiet_check("ch01.percentile", pct_distinct, capsys).text
    assert " at 0x" not in quiet_check("ch01.dedup_server", ServerMutatesState, capsys).text


SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_exercises import ServerKeyedByIdOnly, pct_distinct
import dslib.exercises as ex
ex.check("ch01.dedup_server", ServerKeyedByIdOnly, record=False)
ex.check("ch01.percentile", pct_distinct, record=False)
from dslib.exercises.stages import Example, Examples
greek = Examples("examples", [Example((), frozenset({{"alpha"}}))])
print(greek.run(lambda: {{"alpha", "beta", "gamma", "delta", "epsilon"}}).failure.message)
"""


def test_check_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    script = SCRIPT.format(tests=str(Path(__file__).parent))
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        outs.append(done.stdout)
    assert outs[0] == outs[1]
    assert "Request ids are per client" in outs[0]
    # a set in a message is shown sorted, whatever order the hash seed gives it
    assert "returned set({'alpha', 'beta', 'delta', 'epsilon', 'gamma'})" in outs[0]


# -- bad input ------------------------------------------------------------------------------------
def test_unknown_exercise_suggests_the_closest() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'ch01.percentile'\?"):
        ex.check("ch01.percentil", pct_distinct)
    with pytest.raises(ValueError, match="did you mean 'ch01.dedup_server'"):
        ex.statement("ch01.dedup_srv")
    with pytest.raises(ValueError, match="the exercises are"):
        ex.get_exercise("zz99.nothing_like_it")
    with pytest.raises(TypeError, match="exercise id is a string"):
        ex.get_exercise(3)  # type: ignore[arg-type]


def test_a_class_where_a_function_is_expected() -> None:
    class Percentile:
        pass

    with pytest.raises(TypeError, match=r"expected a function percentile\(latencies, q\)"):
        ex.check("ch01.percentile", Percentile)
    with pytest.raises(TypeError, match="got int"):
        ex.check("ch01.percentile", 3)


def test_a_function_with_the_wrong_parameters() -> None:
    def percentile(latencies: list[int]) -> int:
        return 0

    with pytest.raises(TypeError, match=r"taking 2 arguments; your function percentile\("):
        ex.check("ch01.percentile", percentile)


def test_a_function_where_a_node_class_is_expected() -> None:
    def on_message(ctx: Context, state: Any, src: str, msg: Any) -> Any:
        return state

    with pytest.raises(TypeError, match="expected a Node class Ponger"):
        ex.check("ch01.pong", on_message)


def test_a_node_class_with_a_wrong_handler() -> None:
    class Ponger(Node[PongerState]):
        def init(self, ctx: Context) -> PongerState:
            return PongerState()

        def on_message(self, ctx: Context, state: PongerState) -> PongerState:  # type: ignore[override]
            return state

    with pytest.raises(TypeError, match=r"wrong parameters; expected on_message\(self, ctx"):
        ex.check("ch01.pong", Ponger)

    class NoHandler(Node[PongerState]):
        def init(self, ctx: Context) -> PongerState:
            return PongerState()

    with pytest.raises(TypeError, match="does not define on_message"):
        ex.check("ch01.pong", NoHandler)

    class NeedsArgs(Node[PongerState]):
        def __init__(self, x: int) -> None:
            self.x = x

        def on_message(self, ctx: Context, state: PongerState, src: str, msg: Any) -> Any:
            return state

    with pytest.raises(TypeError, match="could not create your node"):
        ex.check("ch01.pong", NeedsArgs)


def test_a_node_instance_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    solution = ex.load_solution("ch01.pong")
    assert quiet_check("ch01.pong", solution(), capsys).passed


# -- stage checks (for the mutant table) ----------------------------------------------------------
def test_stage_checks_run_one_stage_each() -> None:
    checks = ex.stage_checks("ch01.pong")
    assert list(checks) == ["examples", "purity", "simulation"]
    assert checks["examples"](PongSkipsOld).ok
    result = checks["simulation"](PongSkipsOld)
    assert not result.ok and result.counterexample_length is not None
    stub = _stub_namespace("ch01.pong")
    assert not checks["examples"](stub).ok


# -- the result object ----------------------------------------------------------------------------
def test_check_result_repr_and_display(capsys: pytest.CaptureFixture[str]) -> None:
    result = quiet_check("ch01.percentile", pct_unsorted, capsys)
    assert repr(result) == "ExerciseResult('ch01.percentile', failed, stage='examples')"
    assert str(result) == result.text
    assert result._ipython_display_() is None
    assert capsys.readouterr().out == ""


# -- progress -------------------------------------------------------------------------------------
def test_progress_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DSLIB_PROGRESS_FILE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress_path() == tmp_path / "xdg" / "dslib" / "progress.json"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert progress_path() == tmp_path / "home" / ".local" / "share" / "dslib" / "progress.json"


def test_check_records_progress(progress_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = ex.progress()
    assert list(table.columns) == ["chapter", "title", "attempted", "passed", "last attempt"]
    assert list(table.index) == [e.id for e in ex.all_exercises()]
    assert list(table.index)[: len(IDS)] == IDS
    assert not table["attempted"].any()

    ex.check("ch01.percentile", pct_unsorted)
    ex.check("ch01.percentile", ex.load_solution("ch01.percentile"))
    ex.check("ch01.percentile", pct_off_by_one)
    capsys.readouterr()
    entry = load_progress(progress_file)["ch01.percentile"]
    assert entry["attempts"] == 3
    assert entry["passed"] is True  # once passed, stays passed
    assert entry["last_result"] == "failed" and entry["last_stage"] == "examples"

    table = ex.progress()
    row = table.loc["ch01.percentile"]
    assert bool(row["attempted"]) and bool(row["passed"])
    assert len(row["last attempt"]) == 10  # an ISO date
    assert not bool(table.loc["ch01.pong", "attempted"])
    plain = ex.progress(dates=False)
    assert "last attempt" not in plain.columns
    assert list(plain.columns) == ["chapter", "title", "attempted", "passed"]


def test_reset_progress(progress_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ex.check("ch01.percentile", pct_unsorted)
    ex.check("ch00.count_deliveries", cd_sends)
    capsys.readouterr()
    ex.reset_progress("ch01.percentile")
    assert sorted(load_progress(progress_file)) == ["ch00.count_deliveries"]
    ex.reset_progress()
    assert load_progress(progress_file) == {}
    backup = progress_file.with_name("progress.json.bak")
    assert sorted(load_progress(backup)) == ["ch00.count_deliveries"]
    with pytest.raises(TypeError, match="exercise_id"):
        ex.reset_progress(3)  # type: ignore[arg-type]


def test_writes_are_atomic_and_leave_no_temporary_file(
    progress_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ex.check("ch01.percentile", pct_unsorted)
    capsys.readouterr()
    data = json.loads(progress_file.read_text())
    assert data["version"] == 1 and "ch01.percentile" in data["exercises"]
    assert [p.name for p in progress_file.parent.iterdir()] == ["progress.json"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", "not valid JSON"),
        ('{"version": 7, "exercises": {}}', "not a dslib progress file"),
        ("[1, 2]", "not a dslib progress file"),
    ],
)
def test_a_corrupt_file_is_never_overwritten(
    content: str, words: str, progress_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(content)
    with pytest.raises(ProgressFileError, match=words) as info:
        ex.progress()
    assert str(progress_file) in str(info.value) and "mv " in str(info.value)
    result = ex.check("ch01.percentile", pct_unsorted)
    out = capsys.readouterr().out
    assert "Your progress was not saved" in out and words in out
    assert result.stage == "examples"  # the check itself still works
    with pytest.raises(ProgressFileError):
        ex.reset_progress()
    assert progress_file.read_text() == content


def test_an_unreadable_file_is_reported(progress_file: Path) -> None:
    progress_file.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(ProgressFileError, match="cannot read the progress file"):
        ex.progress()


def test_the_old_name_of_exercise_result_warns_and_still_works() -> None:
    import dslib.exercises as exercises
    import dslib.exercises.runner as runner
    from dslib.exercises import ExerciseResult

    for module in (exercises, runner):
        with pytest.warns(DeprecationWarning, match="CheckResult was renamed .*ExerciseResult"):
            assert module.CheckResult is ExerciseResult
