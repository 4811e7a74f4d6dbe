"""The stages of an exercise check: examples, properties, purity, simulations.

An exercise is checked in stages, cheapest and most specific first: a few
worked examples, then hypothesis properties over many random inputs, then
small simulation runs under faults (later also model-checking runs). The
check stops at the first stage that fails and reports one ``Failure``: what
went wrong, the smallest failing input or the trace of the failing run, and a
hint chosen from what the answer did.

A stage is any object with a ``name`` and a ``run(answer) -> StageResult``
method (the ``Stage`` base class). That is the whole protocol, so a new kind of
stage plugs in without changing the runner: a model-checking stage, for
example, builds a model from the answer with ``dslib.check``, explores it, and
returns a ``Failure`` whose ``trace`` is the shortest counterexample and whose
``length`` is its number of steps.

What the stage receives as ``answer`` is already prepared by the exercise: a
function for function exercises, a zero-argument factory of ``Node`` objects
for node exercises.

Inside a stage, the answer is called through ``call_answer``: a
``NotImplementedError`` (an unattempted stub) becomes ``NotAttempted``, any
other exception becomes ``AnswerRaised``, which the stage turns into a
``Failure`` that names the exception and the line of the reader's code.

Examples
--------
>>> stage = Examples(
...     "examples",
...     [Example((2, 3), 5), Example((0, 0), 0)],
...     call_text=lambda args: f"add{args}",
... )
>>> stage.run(lambda a, b: a + b).ok
True
>>> result = stage.run(lambda a, b: a * b)
>>> result.ok, result.failure.message
(False, 'add(2, 3) returned 6; expected 5')
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import os
import random
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.strategies import SearchStrategy

from dslib.core import NOTHING_PERSISTED, Context, Node, stable_repr
from dslib.errors import HandlerError, ProtocolError
from dslib.sim.simulator import Simulation
from dslib.sim.trace import Trace, TraceEvent

__all__ = [
    "FROM_INIT",
    "AnswerRaised",
    "Example",
    "Examples",
    "Failure",
    "HandlerExamples",
    "HandlerStep",
    "Mismatch",
    "Mistake",
    "NotAttempted",
    "Properties",
    "Property",
    "Purity",
    "Raised",
    "Raises",
    "Scenario",
    "SimRun",
    "SimulationStage",
    "Stage",
    "StageResult",
    "Step",
    "TraceStep",
    "call_answer",
    "describe_exception",
    "format_arguments",
    "format_call",
    "handler_steps",
    "snapshot",
    "trace_excerpt",
]

_DSLIB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Failure:
    """Why a stage failed.

    Attributes
    ----------
    message : str
        What went wrong, in one or a few sentences.
    hint : str or None
        A hint chosen from what the answer did.
    counterexample : str or None
        The smallest failing input, rendered as text.
    trace : Trace or None
        The trace of the failing simulation run, if any.
    trace_at : int or None
        The index in ``trace`` of the event where things went wrong.
    length : int or None
        The size of the counterexample (trace entries, steps or input size),
        used by the mutant table.
    shrunk : bool
        Whether ``counterexample`` is the smallest one a search found
        (hypothesis shrinking), rather than a fixed example.

    Examples
    --------
    >>> Failure("f(2) returned 5; expected 4", hint="square, do not add").hint
    'square, do not add'
    """

    message: str
    hint: str | None = None
    counterexample: str | None = None
    trace: Trace | None = None
    trace_at: int | None = None
    length: int | None = None
    shrunk: bool = False


@dataclass(frozen=True)
class StageResult:
    """The outcome of one stage.

    ``ok`` and ``counterexample_length`` make a stage result usable as the
    result of a check in ``dslib.mutants``.

    Examples
    --------
    >>> StageResult("examples", True, "3 cases").ok
    True
    """

    stage: str
    ok: bool
    summary: str
    failure: Failure | None = None

    @property
    def counterexample_length(self) -> int | None:
        """The failure's ``length``, or ``None``."""
        return None if self.failure is None else self.failure.length


class NotAttempted(Exception):
    """The answer raised ``NotImplementedError``: it is still a stub.

    >>> str(NotAttempted("percentile raised NotImplementedError"))
    'percentile raised NotImplementedError'
    """


class AnswerRaised(Exception):
    """The answer raised an exception (other than ``NotImplementedError``).

    ``exc`` is the original exception; ``text`` describes it and names the line of
    the reader's code where it was raised.

    >>> AnswerRaised(ZeroDivisionError("division by zero")).text
    'ZeroDivisionError: division by zero'
    """

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.text = describe_exception(exc)
        super().__init__(self.text)


def _not_implemented(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, NotImplementedError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def describe_exception(exc: BaseException) -> str:
    """Name an exception and the line of the reader's code that raised it.

    The file name is left out (in a notebook it is a temporary path that
    changes from run to run); the function name and the source line stay.

    Examples
    --------
    >>> try:
    ...     [][1]
    ... except IndexError as e:
    ...     describe_exception(e)
    'IndexError: list index out of range'
    """
    if isinstance(exc, HandlerError) and exc.__cause__ is not None:
        exc = exc.__cause__
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    outside = [
        f
        for f in frames
        if not os.path.abspath(f.filename).startswith(_DSLIB_DIR) and f.name != "<module>"
    ]
    if outside:
        last = outside[-1]
        line = (last.line or "").strip()
        if line:
            text += f" (in {last.name}, at: {line})"
    return text


def call_answer(fn: Callable[..., Any], *args: Any) -> Any:
    """Call the reader's code: a stub becomes ``NotAttempted``, an error ``AnswerRaised``.

    Examples
    --------
    >>> def stub(x):
    ...     raise NotImplementedError
    >>> call_answer(stub, 1)
    Traceback (most recent call last):
    ...
    dslib.exercises.stages.NotAttempted: stub raised NotImplementedError
    """
    try:
        return fn(*args)
    except NotImplementedError as exc:
        name = getattr(fn, "__name__", "your code")
        raise NotAttempted(f"{name} raised NotImplementedError") from exc
    except Exception as exc:
        if _not_implemented(exc):
            raise NotAttempted("your code raised NotImplementedError") from exc
        raise AnswerRaised(exc) from exc


# -- snapshots: detecting mutation and nondeterminism -------------------------------------------
def snapshot(value: Any) -> str:
    """A rendering of ``value`` deep enough to tell whether it changed.

    Like ``stable_repr``, but it also looks inside plain objects (their
    attributes) and renders every dataclass field, so that mutating any part
    of a value changes its snapshot.

    Examples
    --------
    >>> class Box:
    ...     def __init__(self):
    ...         self.items = [1]
    >>> b = Box()
    >>> before = snapshot(b)
    >>> b.items.append(2)
    >>> before == snapshot(b), snapshot(b)
    (False, 'Box<items=[1, 2]>')
    """
    return _snap(value, set())


def _snap(value: Any, active: set[int]) -> str:
    if isinstance(value, (str, int, float, bool, bytes, type(None))):
        return repr(value)
    if id(value) in active:
        return "<cycle>"
    active.add(id(value))
    try:
        if isinstance(value, Trace):
            return "Trace(" + _snap(value.entries, active) + ")"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            inner = ", ".join(
                f"{f.name}={_snap(getattr(value, f.name), active)}"
                for f in dataclasses.fields(value)
            )
            return f"{type(value).__qualname__}({inner})"
        if isinstance(value, tuple):
            inner = ", ".join(_snap(v, active) for v in value)
            if type(value) is tuple:
                return f"({inner}{',' if len(value) == 1 else ''})"
            return f"{type(value).__name__}({inner})"
        if isinstance(value, list):
            return "[" + ", ".join(_snap(v, active) for v in value) + "]"
        if isinstance(value, (set, frozenset)):
            items = sorted(_snap(v, active) for v in value)
            return f"{type(value).__name__}({{{', '.join(items)}}})"
        if isinstance(value, Mapping):
            pairs = sorted(f"{_snap(k, active)}: {_snap(v, active)}" for k, v in value.items())
            name = "" if type(value) is dict else type(value).__name__
            return f"{name}{{{', '.join(pairs)}}}"
        attrs = _attributes(value)
        if attrs is not None:
            inner = ", ".join(f"{k}={_snap(v, active)}" for k, v in sorted(attrs.items()))
            return f"{type(value).__qualname__}<{inner}>"
        return repr(value)
    finally:
        active.discard(id(value))


def _attributes(value: Any) -> dict[str, Any] | None:
    if callable(value) or isinstance(value, type):
        return None
    attrs: dict[str, Any] = {}
    found = False
    if hasattr(value, "__dict__"):
        attrs.update(vars(value))
        found = True
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and hasattr(value, slot) and not slot.startswith("__"):
                attrs[slot] = getattr(value, slot)
                found = True
    return attrs if found else None


def _show(value: Any) -> str:
    """``stable_repr``, or ``snapshot`` where the repr would show an object address."""
    text = stable_repr(value)
    return snapshot(value) if " at 0x" in text else text


def _node_text(node: Any) -> str:
    attrs = _attributes(node) or {}
    if not attrs:
        return "(none)"
    return ", ".join(f"self.{k} = {snapshot(v)}" for k, v in sorted(attrs.items()))


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_arguments(
    args: Sequence[Any],
    params: Sequence[str] | None = None,
    show: Callable[[Any], str] = repr,
) -> str:
    """The arguments of a call as the reader would write them, each rendered by ``show``.

    Parameters
    ----------
    args : sequence
        The argument values, in order.
    params : sequence of str, optional
        The parameter names: each argument is then written ``name=value``.
    show : callable, default repr
        Renders one value.

    Returns
    -------
    str
        Such as ``"[3, 1], 50"``, or ``"latencies=[3, 1], q=50"`` with ``params``.

    Raises
    ------
    ValueError
        If ``params`` does not name every argument.

    Examples
    --------
    >>> format_arguments(([3, 1], 50))
    '[3, 1], 50'
    >>> format_arguments(([3, 1], 50), ("latencies", "q"))
    'latencies=[3, 1], q=50'
    """
    shown = [show(a) for a in args]
    if params is None:
        return ", ".join(shown)
    if len(params) != len(shown):
        raise ValueError(f"{len(shown)} arguments {shown} for the parameters {tuple(params)}")
    return ", ".join(f"{p}={v}" for p, v in zip(params, shown, strict=True))


def format_call(
    function: str,
    args: Sequence[Any],
    params: Sequence[str] | None = None,
    show: Callable[[Any], str] = repr,
) -> str:
    """A call as the reader would write it: ``function(...)`` with ``format_arguments``.

    Examples
    --------
    >>> format_call("percentile", ([3, 1], 50))
    'percentile([3, 1], 50)'
    >>> format_call("percentile", ([3, 1], 50), ("latencies", "q"))
    'percentile(latencies=[3, 1], q=50)'
    """
    return f"{function}({format_arguments(args, params, show)})"


# -- the stage protocol -------------------------------------------------------------------------
class Stage(ABC):
    """One stage of an exercise check.

    Subclasses set ``name`` (shown in the report, such as ``"examples"``) and
    implement ``run``. ``run`` raises ``NotAttempted`` if the answer is a stub
    and otherwise returns a ``StageResult``; it never lets the reader's
    exceptions escape.

    Examples
    --------
    >>> class Positive(Stage):
    ...     name = "positive"
    ...     def run(self, answer):
    ...         ok = call_answer(answer) > 0
    ...         return StageResult(self.name, ok, "1 call", None if ok else Failure("<= 0"))
    >>> Positive().run(lambda: 3).ok
    True
    """

    name: str

    @abstractmethod
    def run(self, answer: Any) -> StageResult:
        """Check ``answer`` (a function, or a factory of nodes) and say how it went."""

    def for_function(self, function: str, params: tuple[str, ...]) -> Stage:
        """This stage for an answer that is the function ``function(*params)``.

        ``add_exercise`` calls it with the exercise's ``FunctionAnswer``, so that a
        stage learns the function's name and parameters from the one place that
        states them. A stage with nothing to learn returns itself.
        """
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


# -- function examples ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Raises:
    """The expected outcome of an example that must raise ``error``.

    >>> Examples("e", [Example(([],), Raises(ValueError))], str).run(max).ok
    True
    """

    error: type[BaseException]


@dataclass(frozen=True)
class Example:
    """A worked example: call the answer with ``args``; expect ``expected``.

    ``expected`` may be ``Raises(SomeError)``. ``shown`` is extra text printed
    with the example when it fails (for instance the trace that was passed).

    >>> Example((3, 4), 7)
    Example(args=(3, 4), expected=7, shown='')
    """

    args: tuple[Any, ...]
    expected: Any
    shown: str = ""


@dataclass(frozen=True)
class Mismatch:
    """What an answer did wrong on one example, given to an exercise's ``diagnose``.

    ``problem`` is one of ``"wrong"`` (wrong value), ``"type"`` (wrong type of
    value), ``"raised"`` (an unexpected exception: ``error``), ``"no-raise"``
    (it should have raised), ``"mutated"`` (it changed its arguments).

    >>> def diagnose(m):
    ...     return "you added" if m.problem == "wrong" and m.got == sum(m.example.args) else None
    >>> stage = Examples("e", [Example((3, 4), 12)], str, diagnose=diagnose)
    >>> stage.run(lambda a, b: a + b).failure.hint
    'you added'
    """

    example: Example
    problem: str
    got: Any = None
    error: BaseException | None = None


@dataclass(frozen=True)
class Raised:
    """What a call of the reader's answer gave instead of a value: it raised ``error``.

    ``Mistake.behaves`` receives the answer wrapped so that an exception comes back as a
    ``Raised`` rather than propagating (see ``Mistake``).
    """

    error: BaseException


@dataclass(frozen=True)
class Mistake:
    """A usual mistake, recognised by what an answer does, and the hint that names it.

    A hint chosen from one wrong value can blame a mistake the answer did not make: an
    answer that ignores ``q`` returns the median for ``percentile(xs, 30)``, which is also
    what an off-by-one returns. A ``Mistake`` decides by behaviour instead: ``behaves``
    calls the answer on the inputs that tell the mistake apart and says whether the answer
    does what the mistake does. ``Examples`` asks its mistakes, in order, when an example
    fails, before its ``diagnose``; the first that recognises the answer gives the hint.

    ``behaves`` receives the answer wrapped: it takes the same arguments, works on copies of
    them, and returns ``Raised(error)`` where the answer raised (a stub that raises
    ``NotImplementedError`` is never asked about: it fails earlier).

    Examples
    --------
    >>> ignores_b = Mistake(
    ...     "ignores b",
    ...     lambda f: f(1, 0) == f(1, 5) == f(1, 9),
    ...     "The result must depend on b.",
    ... )
    >>> stage = Examples("e", [Example((1, 2), 3)], mistakes=[ignores_b])
    >>> stage.run(lambda a, b: a).failure.hint
    'The result must depend on b.'
    >>> stage.run(lambda a, b: a * b).failure.hint is None
    True
    """

    name: str
    behaves: Callable[[Callable[..., Any]], bool]
    hint: str


def _wrapped(answer: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        try:
            return call_answer(answer, *copy.deepcopy(args))
        except AnswerRaised as raised:
            return Raised(raised.exc)

    return call


def recognise(answer: Callable[..., Any], mistakes: Sequence[Mistake]) -> Mistake | None:
    """The first of ``mistakes`` whose ``behaves`` recognises ``answer``, or None.

    A ``behaves`` that itself fails (for example comparing a ``Raised`` with a number)
    does not recognise the answer.
    """
    wrapped = _wrapped(answer)
    for mistake in mistakes:
        try:
            if mistake.behaves(wrapped):
                return mistake
        except NotAttempted:
            raise
        except Exception:
            continue
    return None


class Examples(Stage):
    """Worked examples for a function exercise.

    Parameters
    ----------
    name : str
        The stage's name in the report.
    examples : sequence of Example, or a function returning one
        The cases, checked in order; a function is called once, when the
        stage first runs (so that building them costs nothing at import).
    call_text : callable, optional
        Renders the arguments of a call as the reader would write it, e.g.
        ``lambda args: f"percentile({args[0]!r}, {args[1]!r})"``. By default
        the function's name (``"answer"`` until ``for_function`` names it) and
        the ``repr`` of each argument.
    diagnose : callable, optional
        ``diagnose(mismatch) -> hint or None``: the exercise's knowledge of
        common mistakes.
    default_hint : str, optional
        The hint when ``diagnose`` has none.
    mistakes : sequence of Mistake, optional
        Usual mistakes recognised by behaviour; asked before ``diagnose`` (see ``Mistake``).
    expected_type : type or tuple of types, optional
        The type the result must have (checked before the value).
    params : tuple of str, optional
        The parameter names, to name an argument the answer changed; by default
        the function's (see ``for_function``), else "argument 1", ...

    Examples
    --------
    ``add_exercise`` tells the stage the function's name and parameters:

    >>> stage = Examples("examples", [Example(([5, 1],), 1)]).for_function("least", ("xs",))
    >>> def least(xs):
    ...     xs.sort()
    ...     return xs[0]
    >>> print(stage.run(least).failure.message)
    least([5, 1]) changed its input: xs was [5, 1] before the call and [1, 5] after
    """

    def __init__(
        self,
        name: str,
        examples: Sequence[Example] | Callable[[], Sequence[Example]],
        call_text: Callable[[tuple[Any, ...]], str] | None = None,
        diagnose: Callable[[Mismatch], str | None] | None = None,
        default_hint: str | None = None,
        expected_type: type | tuple[type, ...] | None = None,
        params: tuple[str, ...] | None = None,
        mistakes: Sequence[Mistake] = (),
    ) -> None:
        self.name = name
        self._examples = examples
        self.mistakes = tuple(mistakes)
        self.params = params
        self._cache: tuple[Example, ...] | None = None
        self._call_text = call_text
        self.function = "answer"
        self.diagnose = diagnose
        self.default_hint = default_hint
        self.expected_type = expected_type

    def for_function(self, function: str, params: tuple[str, ...]) -> Examples:
        """This stage, naming the function and (unless given) its parameters in messages."""
        named = copy.copy(self)
        named.function = function
        named.params = self.params if self.params is not None else params
        return named

    def call_text(self, args: tuple[Any, ...]) -> str:
        """A call with ``args`` as the reader would write it (see ``call_text`` above)."""
        if self._call_text is not None:
            return self._call_text(args)
        return format_call(self.function, args)

    @property
    def examples(self) -> tuple[Example, ...]:
        """The examples (built on first use)."""
        if self._cache is None:
            ex = self._examples() if callable(self._examples) else self._examples
            self._cache = tuple(ex)
        return self._cache

    def _hint(self, mismatch: Mismatch, answer: Any = None) -> str | None:
        if self.mistakes and answer is not None and mismatch.problem != "mutated":
            known = recognise(answer, self.mistakes)
            if known is not None:
                return known.hint
        hint = self.diagnose(mismatch) if self.diagnose is not None else None
        return hint if hint is not None else self.default_hint

    def run(self, answer: Any) -> StageResult:
        """Run every example in order; stop at the first one that fails."""
        for example in self.examples:
            failure = self._one(answer, example)
            if failure is not None:
                return StageResult(self.name, False, "failed on an example", failure)
        n = len(self.examples)
        return StageResult(self.name, True, f"{n} example{'s' if n != 1 else ''}")

    def _one(self, answer: Any, example: Example) -> Failure | None:
        args = copy.deepcopy(example.args)
        before = snapshot(args)
        call = self.call_text(example.args)
        counter = f"{call}\nwhere {example.shown}" if example.shown else None

        def fail(
            what: str, problem: str, got: Any = None, exc: BaseException | None = None
        ) -> Failure:
            hint = self._hint(Mismatch(example, problem, got=got, error=exc), answer)
            return Failure(f"{call} {what}", hint, counter, length=1)

        expected = example.expected
        error = expected.error if isinstance(expected, Raises) else None
        try:
            got = call_answer(answer, *args)
        except AnswerRaised as raised:
            if error is None or not isinstance(raised.exc, error):
                want = f"it to raise {error.__name__}" if error else _show(expected)
                return fail(f"raised {raised.text}; expected {want}", "raised", exc=raised.exc)
            got = None
        else:
            if error is not None:
                return fail(
                    f"returned {_show(got)}; expected it to raise {error.__name__}", "no-raise", got
                )
        if snapshot(args) != before:
            changed = [
                i
                for i, (a, b) in enumerate(zip(example.args, args, strict=True))
                if snapshot(a) != snapshot(b)
            ]
            names = self.params or tuple(f"argument {i + 1}" for i in range(len(args)))
            what = "; ".join(
                f"{names[i]} was {_short(stable_repr(example.args[i]))} before the call and "
                f"{_short(stable_repr(args[i]))} after"
                for i in changed
            )
            return fail(f"changed its input: {what}", "mutated", args)
        if error is not None:
            return None
        if self.expected_type is not None and (
            not isinstance(got, self.expected_type) or isinstance(got, bool)
        ):
            shown = f"{_short(_show(got))} (a {type(got).__name__})"
            return fail(f"returned {shown}; expected {_show(expected)}", "type", got)
        if got != expected:
            return fail(f"returned {_short(_show(got))}; expected {_show(expected)}", "wrong", got)
        return None


# -- hypothesis properties --------------------------------------------------------------------
@dataclass(frozen=True)
class Property:
    """A property that must hold for every case a hypothesis strategy draws.

    Attributes
    ----------
    name : str
        What it says, e.g. ``"between min and max"``.
    strategy : SearchStrategy
        Draws one case.
    check : callable
        ``check(answer, case) -> Failure or None``. Call the answer through
        ``call_answer``; an ``AnswerRaised`` escaping ``check`` is reported
        as a failure on that case.
    show : callable, optional
        Renders a case as the smallest failing input. By default
        ``dslib.core.stable_repr`` (sets sorted, whatever the hash seed); in
        an exercise whose answer is a function (see ``Stage.for_function``), a
        case that is a tuple of the function's arguments is shown as
        ``name=value`` pairs.
    on_error : callable, optional
        ``on_error(case, exc) -> hint or None`` when the answer raised.
    max_examples : int
        How many cases hypothesis tries (before shrinking a failure).

    Examples
    --------
    >>> import hypothesis.strategies as st
    >>> p = Property("sorted", st.lists(st.integers()), lambda f, xs: None, repr, max_examples=5)
    >>> Properties("properties", [p]).run(sorted).summary
    '1 property, up to 5 random cases each'
    """

    name: str
    strategy: SearchStrategy[Any]
    check: Callable[[Any, Any], Failure | None]
    show: Callable[[Any], str] | None = None
    on_error: Callable[[Any, BaseException], str | None] | None = None
    max_examples: int = 100

    def case_text(self, case: Any) -> str:
        """How ``case`` is shown as a failing input."""
        return _show(case) if self.show is None else self.show(case)


class Properties(Stage):
    """Hypothesis properties, checked one after the other.

    Hypothesis runs derandomized (``derandomize=True``, no example database),
    so a check prints the same smallest counterexample every time.

    Examples
    --------
    >>> import hypothesis.strategies as st
    >>> def nonneg(answer, x):
    ...     y = call_answer(answer, x)
    ...     return None if y >= 0 else Failure(f"f({x}) = {y} < 0")
    >>> stage = Properties("properties", [Property("non-negative", st.integers(), nonneg, str)])
    >>> stage.run(abs).ok
    True
    >>> r = stage.run(lambda x: x - 10)
    >>> r.summary, r.failure.counterexample
    ("property 'non-negative' fails", '0')
    """

    def __init__(self, name: str, properties: Sequence[Property]) -> None:
        self.name = name
        self.properties = tuple(properties)

    def for_function(self, function: str, params: tuple[str, ...]) -> Properties:
        """These properties, showing a case of the function's arguments as ``name=value``.

        Examples
        --------
        >>> import hypothesis.strategies as st
        >>> def small(answer, case):
        ...     return None if call_answer(answer, *case) < 10 else Failure("too large")
        >>> prop = Property("small", st.tuples(st.integers(0, 20), st.integers(0, 20)), small)
        >>> stage = Properties("properties", [prop]).for_function("add", ("a", "b"))
        >>> stage.run(lambda a, b: a + b).failure.counterexample
        'a=0, b=10'
        """

        def show(case: Any) -> str:
            if isinstance(case, tuple) and len(case) == len(params):
                return format_arguments(case, params)
            return _show(case)

        return Properties(
            self.name,
            [
                p if p.show is not None else dataclasses.replace(p, show=show)
                for p in self.properties
            ],
        )

    def run(self, answer: Any) -> StageResult:
        """Check each property in order; stop at the first that fails."""
        for prop in self.properties:
            failure = _falsify(prop, answer)
            if failure is not None:
                return StageResult(self.name, False, f"property '{prop.name}' fails", failure)
        n = len(self.properties)
        most = max((p.max_examples for p in self.properties), default=0)
        return StageResult(
            self.name,
            True,
            f"{n} propert{'ies' if n != 1 else 'y'}, up to {most} random cases each",
        )


class _Falsified(Exception):
    """Raised inside the hypothesis test to mark a failing case."""


def _falsify(prop: Property, answer: Any) -> Failure | None:
    failures: list[tuple[Any, Failure]] = []
    stub: list[NotAttempted] = []

    @settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=prop.max_examples,
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    @given(prop.strategy)
    def test(case: Any) -> None:
        if stub:
            return
        try:
            failure = prop.check(answer, case)
        except NotAttempted as exc:
            stub.append(exc)
            return
        except AnswerRaised as raised:
            hint = prop.on_error(case, raised.exc) if prop.on_error is not None else None
            failure = Failure(f"your code raised {raised.text}", hint)
        if failure is not None:
            failures.append((case, failure))
            raise _Falsified

    with contextlib.suppress(_Falsified):
        test()
    if stub:
        raise stub[0]
    if not failures:
        return None
    # Hypothesis replays the smallest failing case last.
    case, failure = failures[-1]
    return dataclasses.replace(
        failure,
        counterexample=prop.case_text(case),
        length=failure.length if failure.length is not None else _size(case),
        shrunk=True,
    )


def _size(case: Any) -> int:
    if isinstance(case, (list, tuple, set, frozenset, dict)):
        return sum(_size(c) for c in case) if case else 0
    return 1


# -- handler exercises: scenarios, examples and purity ----------------------------------------
class _FromInit:
    """The type of ``FROM_INIT``."""

    def __repr__(self) -> str:
        return "FROM_INIT"


FROM_INIT: Any = _FromInit()
"""Marks a scenario that starts from the node's ``init`` state."""


@dataclass(frozen=True)
class Step:
    """One message delivered to the node in a scenario, with what it must do.

    ``sent`` is the expected list of ``(dst, msg)`` sends and ``observed`` the
    expected observation of the next state (see ``HandlerExamples``). ``None``
    means "not checked" (purity scenarios check no expectations).

    >>> Step("c1", "hello", (("c1", "hi"),), 1)
    Step(src='c1', msg='hello', sent=(('c1', 'hi'),), observed=1)
    """

    src: str
    msg: Any
    sent: tuple[tuple[str, Hashable], ...] | None = None
    observed: Any = None


@dataclass(frozen=True)
class Scenario:
    """Messages delivered one after the other to one node, from a start state.

    ``start`` is a state, or ``FROM_INIT`` to start from the node's ``init``.
    See ``HandlerExamples`` for an example.
    """

    title: str
    node_id: str
    ids: tuple[str, ...]
    steps: tuple[Step, ...]
    start: Any = FROM_INIT


@dataclass(frozen=True)
class HandlerStep:
    """What went wrong on a step of a handler scenario, given to ``diagnose``.

    ``problem`` is ``"sent"`` (wrong messages sent), ``"state"`` (wrong next
    state), ``"no-state"`` (returned ``None``), ``"unhashable"``, ``"observe"``
    (the state lacks what the exercise observes) or ``"raised"``.
    See ``HandlerExamples`` for an example.
    """

    scenario: Scenario
    index: int
    step: Step
    before: Any
    problem: str
    after: Any = None
    sent: tuple[tuple[str, Hashable], ...] = ()
    error: BaseException | None = None


def _sent_text(sent: Sequence[tuple[str, Hashable]]) -> str:
    if not sent:
        return "send nothing"
    return "send " + ", ".join(f"{stable_repr(m)} to {d}" for d, m in sent)


def _fresh_context(scenario: Scenario, event: tuple[Any, ...]) -> Context:
    return Context(scenario.node_id, scenario.ids, now=0.0, rng=random.Random(0), event=event)


def _effects(ctx: Context) -> tuple[Any, ...]:
    return (
        tuple(ctx.sent),
        tuple(ctx.timers_set),
        tuple(ctx.timers_cancelled),
        ctx.persisted,
        tuple(ctx.records),
    )


def _outputs_text(state: Any, ctx: Context) -> str:
    """What a handler call produced, in words: the state and each kind of effect."""
    parts = [f"returned {_show(state)}", _sent_text(ctx.sent).replace("send ", "sent ", 1)]
    if ctx.timers_set:
        timers = ", ".join(f"{stable_repr(t)} ({stable_repr(d)})" for t, d in ctx.timers_set)
        parts.append(f"set timers {timers}")
    if ctx.timers_cancelled:
        parts.append(f"cancelled timers {', '.join(map(stable_repr, ctx.timers_cancelled))}")
    if ctx.persisted is not NOTHING_PERSISTED:
        parts.append(f"persisted {_show(ctx.persisted)}")
    if ctx.records:
        parts.append(f"recorded {stable_repr(ctx.records)}")
    return ", ".join(parts)


def _start_state(node: Node[Any], scenario: Scenario) -> Any:
    if scenario.start is FROM_INIT:
        return call_answer(node.init, _fresh_context(scenario, ("init",)))
    return copy.deepcopy(scenario.start)


class HandlerExamples(Stage):
    """Worked examples for an ``on_message`` handler.

    Each scenario delivers messages one after the other to a fresh node (from
    ``init`` or a given state); after each step the messages sent must equal
    ``step.sent`` and ``observe(state)`` must equal ``step.observed``.

    Parameters
    ----------
    name : str
        The stage's name.
    scenarios : sequence of Scenario
        The scenarios, in order.
    observe : callable
        What of the state is checked: the whole state (``lambda s: s``) or a
        part the exercise prescribes (``lambda s: s.counter``). It may raise
        ``AttributeError``, reported as a problem of kind ``"observe"``.
    observed_text : callable
        Renders an observation, e.g. ``lambda c: f"counter = {c}"``.
    diagnose : callable, optional
        ``diagnose(handler_step) -> hint or None``.
    default_hint : str, optional
        The hint when ``diagnose`` has none.

    Examples
    --------
    The ponger of ``dslib.basics`` answers a ping and counts it:

    >>> from dslib.basics import Ping, Pong, Ponger
    >>> ping = Step("p", Ping(0), (("p", Pong(0)),), 1)
    >>> first = Scenario("the first ping", "ponger", ("p", "ponger"), (ping,))
    >>> stage = HandlerExamples("examples", [first], lambda s: s, str)
    >>> stage.run(Ponger).ok, Purity("purity", [first]).run(Ponger).ok
    (True, True)
    >>> class OffByOne(Ponger):
    ...     def on_message(self, ctx, state, src, msg):
    ...         ctx.send(src, Pong(msg.seq + 1))
    ...         return state + 1
    >>> stage.run(OffByOne).failure.message
    'expected on_message to send Pong(seq=0) to p; it sent Pong(seq=1) to p'
    """

    def __init__(
        self,
        name: str,
        scenarios: Sequence[Scenario],
        observe: Callable[[Any], Any],
        observed_text: Callable[[Any], str],
        diagnose: Callable[[HandlerStep], str | None] | None = None,
        default_hint: str | None = None,
    ) -> None:
        self.name = name
        self.scenarios = tuple(scenarios)
        self.observe = observe
        self.observed_text = observed_text
        self.diagnose = diagnose
        self.default_hint = default_hint

    def run(self, answer: Any) -> StageResult:
        """Play every scenario; stop at the first step that goes wrong."""
        for scenario in self.scenarios:
            failure = self._play(answer, scenario)
            if failure is not None:
                return StageResult(self.name, False, f"failed on '{scenario.title}'", failure)
        n = len(self.scenarios)
        return StageResult(self.name, True, f"{n} scenario{'s' if n != 1 else ''}")

    def _fail(self, hs: HandlerStep, problem: str, message: str, story: list[str]) -> Failure:
        hs = dataclasses.replace(hs, problem=problem)
        hint = self.diagnose(hs) if self.diagnose is not None else None
        return Failure(
            message,
            hint if hint is not None else self.default_hint,
            "\n".join(story),
            length=hs.index + 1,
        )

    def _play(self, answer: Any, scenario: Scenario) -> Failure | None:
        node = answer()
        try:
            state = _start_state(node, scenario)
        except AnswerRaised as raised:
            return Failure(f"init raised {raised.text}", None, f"scenario '{scenario.title}'")
        node_id = scenario.node_id
        story = [f"scenario '{scenario.title}': node {node_id!r} starts "]
        story[0] += (
            f"in state {_show(state)}"
            if scenario.start is not FROM_INIT
            else "from its init(ctx) state"
        )
        for index, step in enumerate(scenario.steps):
            before = state
            story.append(f"  {stable_repr(step.msg)} arrives from {step.src}")
            ctx = _fresh_context(scenario, ("message", step.src, step.msg))
            try:
                after = call_answer(node.on_message, ctx, before, step.src, step.msg)
            except AnswerRaised as raised:
                hs = HandlerStep(scenario, index, step, before, "raised", error=raised.exc)
                return self._fail(hs, "raised", f"on_message raised {raised.text}", story)
            sent = tuple(ctx.sent)
            hs = HandlerStep(scenario, index, step, before, "", after, sent)
            if after is None:
                return self._fail(
                    hs, "no-state", "on_message returned None; it must return the next state", story
                )
            try:
                hash(after)
            except TypeError as exc:
                return self._fail(
                    hs,
                    "unhashable",
                    f"on_message returned a state that is not hashable ({exc}): "
                    f"{_short(stable_repr(after))}",
                    story,
                )
            if step.sent is not None and sent != step.sent:
                did = _sent_text(sent)[len("send ") :] if sent else "nothing"
                expected = f"expected on_message to {_sent_text(step.sent)}; it sent {did}"
                return self._fail(hs, "sent", expected, story)
            if step.observed is not None:
                try:
                    seen = self.observe(after)
                except AttributeError as exc:
                    return self._fail(
                        hs, "observe", f"the state {_short(_show(after))} has no {exc.name}", story
                    )
                if seen != step.observed:
                    return self._fail(
                        hs,
                        "state",
                        f"after this message, expected {self.observed_text(step.observed)}; "
                        f"got {_short(self.observed_text(seen))}",
                        story,
                    )
            story.append(
                f"    your node: {_sent_text(sent)}; new state {_short(_show(after), 120)}"
            )
            state = after
        return None


class Purity(Stage):
    """Handlers must be pure: same input, same output; the input is never changed.

    For every step of every scenario the handler is called twice with equal
    inputs (a fresh ``Context`` with the same seed each time): the returned
    states and the effects (messages sent, timers, persisted value, records)
    must be equal, the input state must be unchanged (compared by
    ``snapshot``), and so must the node object's attributes (a node holds
    configuration only; its state is the returned value). See
    ``HandlerExamples`` for an example.
    """

    def __init__(self, name: str, scenarios: Sequence[Scenario]) -> None:
        self.name = name
        self.scenarios = tuple(scenarios)

    def run(self, answer: Any) -> StageResult:
        """Call each handler twice per step; stop at the first impurity."""
        calls = 0
        for scenario in self.scenarios:
            failure, n = self._play(answer, scenario)
            calls += n
            if failure is not None:
                return StageResult(self.name, False, f"failed on '{scenario.title}'", failure)
        return StageResult(self.name, True, f"{calls} handler calls, each made twice")

    def _play(self, answer: Any, scenario: Scenario) -> tuple[Failure | None, int]:
        node = answer()
        calls = 0
        where = f"scenario '{scenario.title}'"
        try:
            if scenario.start is FROM_INIT:
                attrs = _node_text(node)
                ctx1 = _fresh_context(scenario, ("init",))
                ctx2 = _fresh_context(scenario, ("init",))
                first = call_answer(node.init, ctx1)
                second = call_answer(node.init, ctx2)
                calls += 1
                if _node_text(node) != attrs:
                    return self._node_changed(node, attrs, "init", where), calls
                if snapshot((first, _effects(ctx1))) != snapshot((second, _effects(ctx2))):
                    texts = _outputs_text(first, ctx1), _outputs_text(second, ctx2)
                    return self._differs("init(ctx)", where, *texts), calls
            state = _start_state(node, scenario)
            for step in scenario.steps:
                event = ("message", step.src, step.msg)
                attrs = _node_text(node)
                kept = copy.deepcopy(state)
                before = snapshot(state)
                ctx1 = _fresh_context(scenario, event)
                r1 = call_answer(node.on_message, ctx1, state, step.src, step.msg)
                calls += 1
                call = f"on_message(ctx, {_short(_show(kept), 120)}, {step.src!r}, "
                call += f"{stable_repr(step.msg)})"
                if _node_text(node) != attrs:
                    return self._node_changed(node, attrs, "on_message", call), calls
                if snapshot(state) != before:
                    return (
                        Failure(
                            f"your handler mutates its input state: during {call} the state "
                            f"changed from {_short(before, 200)} to {_short(snapshot(state), 200)}",
                            "Never change the state you are given: build a new one "
                            "(dataclasses.replace, a new tuple or frozenset) and return it. The "
                            "simulator, the model checker and the debugger keep old states and "
                            "must be able to trust them.",
                            f"{where}: {call}",
                            length=calls,
                        ),
                        calls,
                    )
                ctx2 = _fresh_context(scenario, event)
                r2 = call_answer(node.on_message, ctx2, copy.deepcopy(kept), step.src, step.msg)
                if snapshot(r1) != snapshot(r2) or snapshot(_effects(ctx1)) != snapshot(
                    _effects(ctx2)
                ):
                    first, second = _outputs_text(r1, ctx1), _outputs_text(r2, ctx2)
                    return self._differs(call, where, first, second), calls
                state = r1
        except AnswerRaised as raised:
            return Failure(f"your handler raised {raised.text}", None, where), calls
        return None, calls

    @staticmethod
    def _node_changed(node: Any, attrs: str, handler: str, call: str) -> Failure:
        return Failure(
            f"your handler changed the node object: during {call} its attributes went from "
            f"{_short(attrs, 200)} to {_short(_node_text(node), 200)}",
            f"A node object holds configuration only: {handler} must not assign to self.<name>. "
            "Keep everything that changes in the state you return (add a field to the state).",
            call,
        )

    @staticmethod
    def _differs(call: str, where: str, first: str, second: str) -> Failure:
        return Failure(
            f"the same input gave different outputs: {call} was called twice with equal inputs. "
            f"The first time: {_short(first, 240)}. The second time: {_short(second, 240)}.",
            "A handler must be deterministic: do not use the random module, the wall clock "
            "(time.time) or global variables; use ctx.rng and ctx.now, which the runtime "
            "controls.",
            f"{where}: {call}",
        )


# -- simulations ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SimRun:
    """One simulation run of a stage: a label for the report and its parameters.

    >>> SimRun("seed 3", {"seed": 3}).params["seed"]
    3
    """

    label: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceStep:
    """One message delivery to a node, read back from a trace (see ``handler_steps``).

    ``index`` is the position of the ``deliver`` entry, ``end`` the position
    after its last effect; ``before``/``after`` the node's state around it and
    ``sent`` the ``(dst, msg)`` pairs it sent.
    """

    index: int
    end: int
    time: float
    src: str
    msg: Any
    before: Any
    after: Any
    sent: tuple[tuple[str, Any], ...]


_EFFECT_KINDS = frozenset({"state", "send", "duplicate", "record"})


def handler_steps(trace: Trace, node: str) -> Iterator[TraceStep]:
    """Every delivery to ``node`` in ``trace``, with the state before and after and the sends.

    The simulator writes a handler's effects (``state``, ``send``,
    ``duplicate``, ``record`` entries) right after the ``deliver`` entry, so a
    delivery's effects are the entries up to the next event.

    Examples
    --------
    >>> from dslib import System
    >>> from dslib.basics import Pinger, Ponger
    >>> sim = Simulation(System({"pinger": Pinger(count=2), "ponger": Ponger()})).run()
    >>> for s in handler_steps(sim.trace, "ponger"):
    ...     print(s.src, s.msg, s.before, s.after, s.sent)
    pinger Ping(seq=0) 0 1 (('pinger', Pong(seq=0)),)
    pinger Ping(seq=1) 1 2 (('pinger', Pong(seq=1)),)
    """
    entries = trace.entries
    state: Any = None
    i = 0
    n = len(entries)
    while i < n:
        e = entries[i]
        kind, who = e[1], e[2]
        if who == node and kind in ("init", "restart", "state"):
            state = e[4]
        if kind == "deliver" and who == node:
            before = state
            j = i + 1
            sent: list[tuple[str, Any]] = []
            while j < n and entries[j][1] in _EFFECT_KINDS:
                f = entries[j]
                if f[1] == "state" and f[2] == node:
                    state = f[4]
                elif f[1] == "send" and f[2] == node:
                    sent.append((f[3], f[4]))
                j += 1
            yield TraceStep(i, j, e[0], e[3], e[4], before, state, tuple(sent))
            i = j
            continue
        i += 1


class SimulationStage(Stage):
    """Small simulation runs of the answer under faults, each judged by the exercise.

    Parameters
    ----------
    name : str
        The stage's name.
    runs : sequence of SimRun, or a function returning one
        The runs, smallest first: the first failing one is reported, so order
        them so that it is the easiest to read.
    build : callable
        ``build(factory, run) -> Simulation``: the system with the reader's node
        (``factory()``) and the network of this run.
    judge : callable
        ``judge(sim, run) -> Failure or None`` after the run; a ``Failure``
        with ``trace_at`` points at the event where things went wrong.
    summary : str
        Says what the runs are, for the report (e.g. "loss 0.2, duplication 0.3").
    max_events : int, default 20000
        A bound on each run (a protocol that never goes quiet is cut there).

    Examples
    --------
    The reader's node is the ponger of ``dslib.basics``; the judge asks that it
    answer every ping with the pong of the same number:

    >>> from dslib import System
    >>> from dslib.basics import Pinger, Pong, Ponger
    >>> def build(factory, run):
    ...     nodes = {"pinger": Pinger(count=3), "ponger": factory()}
    ...     return Simulation(System(nodes), seed=run.params["seed"])
    >>> def judge(sim, run):
    ...     steps = handler_steps(sim.trace, "ponger")
    ...     ok = all(s.sent == ((s.src, Pong(s.msg.seq)),) for s in steps)
    ...     return None if ok else Failure("a ping was not answered with its pong")
    >>> runs = [SimRun(f"seed {i}", {"seed": i}) for i in range(3)]
    >>> SimulationStage("simulation", runs, build, judge, "no faults").run(Ponger).summary
    '3 runs, no faults'
    """

    def __init__(
        self,
        name: str,
        runs: Sequence[SimRun] | Callable[[], Sequence[SimRun]],
        build: Callable[[Callable[[], Node[Any]], SimRun], Simulation],
        judge: Callable[[Simulation, SimRun], Failure | None],
        summary: str,
        max_events: int = 20_000,
    ) -> None:
        self.name = name
        self._runs = runs
        self.build = build
        self.judge = judge
        self.summary = summary
        self.max_events = max_events

    @property
    def runs(self) -> tuple[SimRun, ...]:
        """The runs of this stage."""
        return tuple(self._runs() if callable(self._runs) else self._runs)

    def run(self, answer: Any) -> StageResult:
        """Run the simulations in order; stop at the first one the judge rejects."""
        runs = self.runs
        for number, sim_run in enumerate(runs, 1):
            failure = self._one(answer, sim_run)
            if failure is not None:
                failure = dataclasses.replace(failure, counterexample=sim_run.label)
                return StageResult(
                    self.name, False, f"failed on run {number} of {len(runs)}", failure
                )
        return StageResult(self.name, True, f"{len(runs)} runs, {self.summary}")

    def _one(self, answer: Any, sim_run: SimRun) -> Failure | None:
        sim: Simulation | None = None
        try:
            sim = self.build(answer, sim_run)
            sim.run(max_events=self.max_events)
        except HandlerError as exc:
            if _not_implemented(exc):
                raise NotAttempted("your code raised NotImplementedError") from exc
            trace = exc.trace if isinstance(exc.trace, Trace) else None
            return Failure(
                f"node {exc.node!r} raised {describe_exception(exc)} while handling {exc.event}",
                None,
                trace=trace,
                trace_at=len(trace) - 1 if trace is not None and len(trace) else None,
            )
        except ProtocolError as exc:
            trace = sim.trace if sim is not None else None
            return Failure(
                f"your node broke a rule of the node API: {exc}",
                "Handlers return the next state (never None), as an immutable, hashable value "
                "(a frozen dataclass with tuple or frozenset fields), and send only to nodes "
                "of the system.",
                trace=trace,
            )
        except NotImplementedError as exc:
            raise NotAttempted("your code raised NotImplementedError") from exc
        return self.judge(sim, sim_run)


def trace_excerpt(trace: Trace, at: int | None = None, before: int = 15, after: int = 4) -> str:
    """The lines of ``trace`` around entry ``at`` (marked ``>>``), or its last 20 lines.

    Examples
    --------
    >>> t = Trace()
    >>> for i in range(3):
    ...     t.append((float(i), "timer", "a", None, "tick", None, None))
    >>> print(trace_excerpt(t, at=1, before=1, after=0))
             0.000         a timer     'tick'
    >>       1.000         a timer     'tick'
        ... (1 more event after this)
    """
    n = len(trace)
    if n == 0:
        return "    (the trace is empty)"
    if at is None:
        lo, hi = max(0, n - 20), n
    else:
        at = min(max(at, 0), n - 1)
        lo, hi = max(0, at - before), min(n, at + after + 1)
    lines = []
    if lo > 0:
        lines.append(f"    ... ({lo} earlier event{'s' if lo != 1 else ''})")
    for i in range(lo, hi):
        mark = ">>" if i == at else "  "
        lines.append(f"{mark}  {TraceEvent._make(trace.entries[i])}")
    if hi < n:
        rest = n - hi
        lines.append(f"    ... ({rest} more event{'s' if rest != 1 else ''} after this)")
    return "\n".join(lines)
