"""The registry of exercises: what each asks for, how it is checked, where its solution is.

Each chapter's module (``dslib.exercises.ch01``, ...) defines its exercises and
registers them here when it is imported. An exercise knows its statement, the
kind of answer it expects (a function with given parameters, or a ``Node``
class with a handler), the stages that check an answer, a stub for the reader
to start from, and where its reference solution lives (``solutions/`` at the top
of the repository, outside the package and the notebooks).

Examples
--------
>>> from dslib.exercises import get_exercise
>>> ex = get_exercise("ch01.percentile")
>>> ex.chapter, ex.title
(1, 'Percentiles by nearest rank')
>>> get_exercise("ch01.percentil")
Traceback (most recent call last):
...
ValueError: no exercise 'ch01.percentil'; did you mean 'ch01.percentile'?
"""

from __future__ import annotations

import difflib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dslib.core import Node
from dslib.exercises.stages import Stage

__all__ = [
    "Exercise",
    "FunctionAnswer",
    "NodeAnswer",
    "add_exercise",
    "all_exercises",
    "get_exercise",
    "load_solution",
    "register",
    "solutions_dir",
]

_ID = re.compile(r"^ch\d\d\.[a-z][a-z0-9_]*$")


def _kind_of(answer: Any) -> str:
    if isinstance(answer, type):
        return f"the class {answer.__name__}"
    if inspect.isfunction(answer) or inspect.ismethod(answer):
        return f"the function {answer.__name__}{_signature_text(answer)}"
    return f"{type(answer).__name__} {answer!r:.60}"


def _signature_text(fn: Any) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(...)"


def _stub(head: list[str], indent: str, imports: str, body: str) -> str:
    """``head`` (ending in a ``def`` line), ``body`` and ``raise NotImplementedError`` under it
    at ``indent``; ``imports`` above, after a blank line."""
    lines = [*head, *(f"{indent}{line}" for line in body.splitlines())]
    lines.append(f"{indent}raise NotImplementedError")
    code = "\n".join(lines) + "\n"
    return f"{imports.rstrip()}\n\n{code}" if imports.strip() else code


def _accepts(fn: Any, n: int) -> bool:
    try:
        inspect.signature(fn).bind(*range(n))
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): assume it fits
        return True
    return True


@dataclass(frozen=True)
class FunctionAnswer:
    """The answer is a function ``name(*params)``.

    Examples
    --------
    >>> spec = FunctionAnswer("percentile", ("latencies", "q"))
    >>> spec.describe()
    'a function percentile(latencies, q)'
    >>> spec.prepare(lambda xs: 0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: expected a function percentile(latencies, q) taking 2 arguments; your ...
    """

    name: str
    params: tuple[str, ...]

    def describe(self) -> str:
        """What the reader must write, in words."""
        return f"a function {self.name}({', '.join(self.params)})"

    def stub(self, imports: str = "", body: str = "") -> str:
        """The code the reader starts from: the ``def`` line, then ``raise NotImplementedError``.

        Parameters
        ----------
        imports : str, optional
            Lines put above the function (the names the answer will need).
        body : str, optional
            Lines put before the ``raise``, indented by four spaces (a start the
            statement asks for, such as unpacking the arguments).

        Examples
        --------
        >>> print(FunctionAnswer("percentile", ("latencies", "q")).stub("import math"), end="")
        import math
        <BLANKLINE>
        def percentile(latencies, q):
            raise NotImplementedError
        """
        return _stub([f"def {self.name}({', '.join(self.params)}):"], "    ", imports, body)

    def prepare(self, answer: Any) -> Callable[..., Any]:
        """Check that ``answer`` is such a function and return it.

        Raises
        ------
        TypeError
            If it is a class, not callable, or cannot take the parameters.
        """
        n = len(self.params)
        if isinstance(answer, type) or not callable(answer):
            raise TypeError(f"expected {self.describe()}; got {_kind_of(answer)}")
        if not _accepts(answer, n):
            raise TypeError(
                f"expected {self.describe()} taking {n} argument{'s' if n != 1 else ''}; "
                f"your function {getattr(answer, '__name__', '?')}{_signature_text(answer)} "
                f"cannot be called with {n} argument{'s' if n != 1 else ''}"
            )
        return answer


@dataclass(frozen=True)
class NodeAnswer:
    """The answer is a ``Node`` subclass (or an instance of one) with ``handler`` written.

    The prepared answer is a factory: a function of no arguments that returns a
    fresh node, so that each check starts from a clean object. ``state`` names
    the class of the node's state, which the stub's ``init`` returns.

    Examples
    --------
    >>> spec = NodeAnswer("Ponger", state="PongerState")
    >>> spec.prepare(lambda ctx, state, src, msg: state)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: expected a Node class Ponger with on_message(self, ctx, state, src, msg); got ...
    """

    class_name: str
    handler: str = "on_message"
    params: tuple[str, ...] = ("ctx", "state", "src", "msg")
    state: str = ""

    def describe(self) -> str:
        """What the reader must write, in words."""
        return f"a Node class {self.class_name} with {self.handler}(self, {', '.join(self.params)})"

    def stub(self, imports: str = "", body: str = "") -> str:
        """The code the reader starts from: the class, its ``init``, the handler raising.

        Parameters
        ----------
        imports : str, optional
            Lines put above the class (the names the answer will need, and a
            state class for the reader to extend).
        body : str, optional
            Lines put before the handler's ``raise``.

        Raises
        ------
        ValueError
            If the answer does not name its ``state`` class.

        Examples
        --------
        >>> print(NodeAnswer("Ponger", state="PongerState").stub("from dslib import Node"), end="")
        from dslib import Node
        <BLANKLINE>
        class Ponger(Node[PongerState]):
            def init(self, ctx):
                return PongerState()
        <BLANKLINE>
            def on_message(self, ctx, state, src, msg):
                raise NotImplementedError
        """
        if not self.state:
            raise ValueError(
                f"NodeAnswer({self.class_name!r}) needs state=, the class of the node's state "
                "(such as state='PongerState'), to write its stub"
            )
        head = [
            f"class {self.class_name}(Node[{self.state}]):",
            "    def init(self, ctx):",
            f"        return {self.state}()",
            "",
            f"    def {self.handler}({', '.join(('self', *self.params))}):",
        ]
        return _stub(head, "        ", imports, body)

    def prepare(self, answer: Any) -> Callable[[], Node[Any]]:
        """Check that ``answer`` is such a class (or instance); return a node factory.

        Raises
        ------
        TypeError
            If it is not a ``Node`` subclass or instance, does not define the
            handler, the handler has the wrong parameters, or the class cannot
            be created without arguments.
        """
        if isinstance(answer, Node):
            cls: type = type(answer)
            instance = answer
        elif isinstance(answer, type) and issubclass(answer, Node):
            cls = answer
            try:
                instance = answer()
            except Exception as exc:
                raise TypeError(
                    f"could not create your node with {answer.__name__}(): "
                    f"{type(exc).__name__}: {exc}; the checker builds it without arguments"
                ) from None
        else:
            raise TypeError(f"expected {self.describe()}; got {_kind_of(answer)}")
        method = getattr(cls, self.handler, None)
        if method is None or getattr(Node, self.handler, None) is method:
            raise TypeError(
                f"your class {cls.__name__} does not define {self.handler}; "
                f"expected {self.describe()}"
            )
        bound = getattr(instance, self.handler)
        if not _accepts(bound, len(self.params)):
            raise TypeError(
                f"{cls.__name__}.{self.handler}{_signature_text(method)} has the wrong "
                f"parameters; expected {self.handler}(self, {', '.join(self.params)})"
            )
        if isinstance(answer, Node):
            import copy

            return lambda: copy.deepcopy(instance)
        return lambda: cls()


@dataclass(frozen=True)
class Exercise:
    """One exercise of the book.

    Attributes
    ----------
    id : str
        ``"chNN.name"``, e.g. ``"ch01.pong"``.
    chapter : int
        The chapter it belongs to.
    title : str
        A short title.
    statement : str
        What to write, precisely, for a reader working alone.
    answer : FunctionAnswer or NodeAnswer
        The kind of answer expected.
    stages : tuple of Stage
        The checks, in order.
    stub : str
        The code the reader starts from (it raises ``NotImplementedError``).
    solution : str
        Where the reference solution is: ``"solutions/ch01.py:percentile"``.
    hints : tuple of str
        General hints, shown by ``statement`` on request.
    answered_by : tuple of str
        The library code that answers it, as the names a page passes to ``show``
        (``"RaftNode.vote_rule"``, ``"phi_value"``): no page may show them before the
        exercise (``tests/test_answers_after_exercises.py``).

    Examples
    --------
    >>> ex = get_exercise("ch01.pong")
    >>> ex.answer.describe()
    'a Node class Ponger with on_message(self, ctx, state, src, msg)'
    >>> [s.name for s in ex.stages]
    ['examples', 'purity', 'simulation']
    """

    id: str
    chapter: int
    title: str
    statement: str
    answer: FunctionAnswer | NodeAnswer
    stages: tuple[Stage, ...]
    stub: str
    solution: str
    hints: tuple[str, ...] = ()
    answered_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"exercise id {self.id!r} must look like 'ch01.name'")
        if int(self.id[2:4]) != self.chapter:
            raise ValueError(f"exercise {self.id!r} is in chapter {self.chapter}, not its prefix")
        if not self.stages:
            raise ValueError(f"exercise {self.id!r} has no stages")
        if ":" not in self.solution:
            raise ValueError(f"exercise {self.id!r}: solution must be 'path.py:name'")

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, {self.title!r})"


_REGISTRY: dict[str, Exercise] = {}


def add_exercise(
    id: str,
    title: str,
    statement: str,
    answer: FunctionAnswer | NodeAnswer,
    stages: Sequence[Stage],
    *,
    hints: Sequence[str] = (),
    imports: str = "",
    body: str = "",
    answered_by: Sequence[str] = (),
) -> Exercise:
    """Build an exercise from its parts and register it: what every chapter module calls.

    What can be derived is: the chapter (from the id), the solution's place
    (``solutions/chNN.py``, under the answer's name), the stub (from ``answer``,
    as nbgrader derives a stub from the solution; ``tests/test_exercises.py``
    checks that each solution's parameters are the answer's) and, for a
    function, what the stages say of it: each stage's ``for_function`` learns
    its name and parameters, so an ``Examples`` stage shows calls and names a
    changed argument without being told them again.

    Parameters
    ----------
    id, title, statement
        As for ``Exercise``.
    answer : FunctionAnswer or NodeAnswer
        The kind of answer expected.
    stages : sequence of Stage
        The checks, in order.
    hints : sequence of str, optional
        General hints.
    imports, body : str, optional
        For the stub (see ``FunctionAnswer.stub`` and ``NodeAnswer.stub``).
    answered_by : sequence of str, optional
        The library code that answers it (see ``Exercise.answered_by``).

    Returns
    -------
    Exercise
        The registered exercise.

    Raises
    ------
    ValueError
        If the id is taken or malformed, or a ``NodeAnswer`` does not name its state.

    Examples
    --------
    >>> from dslib.exercises.stages import Example, Examples
    >>> ex = add_exercise(
    ...     "ch99.double", "Double it", "Write double(x).", FunctionAnswer("double", ("x",)),
    ...     [Examples("examples", lambda: [Example((2,), 4)])],
    ... )
    >>> ex.chapter, ex.solution, ex.stages[0].call_text((2,))
    (99, 'solutions/ch99.py:double', 'double(2)')
    >>> print(ex.stub, end="")
    def double(x):
        raise NotImplementedError
    >>> _ = _REGISTRY.pop("ch99.double")  # (not a real exercise)
    """
    if not _ID.match(str(id)):
        raise ValueError(f"exercise id {id!r} must look like 'ch01.name'")
    if isinstance(answer, FunctionAnswer):
        name = answer.name
        stages = [stage.for_function(answer.name, answer.params) for stage in stages]
    else:
        name = answer.class_name
    exercise = Exercise(
        id=id,
        chapter=int(id[2:4]),
        title=title,
        statement=statement,
        answer=answer,
        stages=tuple(stages),
        stub=answer.stub(imports, body),
        solution=f"solutions/{id[:4]}.py:{name}",
        hints=tuple(hints),
        answered_by=tuple(answered_by),
    )
    return register(exercise)


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry (its id must be new); return it.

    Raises
    ------
    ValueError
        If an exercise with that id is already registered.

    Examples
    --------
    >>> register(get_exercise("ch01.pong"))
    Traceback (most recent call last):
    ...
    ValueError: exercise 'ch01.pong' is already registered
    """
    if exercise.id in _REGISTRY:
        raise ValueError(f"exercise {exercise.id!r} is already registered")
    _REGISTRY[exercise.id] = exercise
    return exercise


def all_exercises(chapter: int | None = None) -> list[Exercise]:
    """Every registered exercise (of ``chapter``, if given), by chapter, in book order.

    Examples
    --------
    >>> [e.id for e in all_exercises(chapter=1)]
    ['ch01.pong', 'ch01.percentile', 'ch01.dedup_server']
    """
    if chapter is not None and (not isinstance(chapter, int) or isinstance(chapter, bool)):
        raise TypeError(f"chapter={chapter!r} must be an int such as 1")
    exercises = sorted(enumerate(_REGISTRY.values()), key=lambda pair: (pair[1].chapter, pair[0]))
    return [e for _, e in exercises if chapter is None or e.chapter == chapter]


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id.

    Raises
    ------
    TypeError
        If ``exercise_id`` is not a string.
    ValueError
        If there is no such exercise; the message names the closest ids.

    Examples
    --------
    >>> get_exercise("ch01.pong").title
    'Reply to every ping'
    """
    if not isinstance(exercise_id, str):
        raise TypeError(
            f"an exercise id is a string such as 'ch01.pong', got {type(exercise_id).__name__}"
        )
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        pass
    ids = sorted(_REGISTRY)
    close = _closest(exercise_id, ids)
    if close:
        names = " or ".join(repr(c) for c in close)
        raise ValueError(f"no exercise {exercise_id!r}; did you mean {names}?")
    raise ValueError(f"no exercise {exercise_id!r}; the exercises are {ids}")


def _closest(word: str, ids: list[str]) -> list[str]:
    """The ids most like ``word``: the best match, and any nearly as good (at most 3)."""
    scored = []
    for i in ids:
        ratio = max(
            difflib.SequenceMatcher(None, word, i).ratio(),
            difflib.SequenceMatcher(None, word.split(".")[-1], i.split(".")[-1]).ratio(),
        )
        scored.append((-ratio, i))
    scored.sort()
    if not scored or -scored[0][0] < 0.5:
        return []
    best = -scored[0][0]
    return [i for r, i in scored[:3] if -r >= best - 0.08]


def solutions_dir() -> Path:
    """The ``solutions/`` folder at the top of the repository (next to ``dslib/``).

    >>> solutions_dir().name
    'solutions'
    """
    return Path(__file__).resolve().parent.parent.parent / "solutions"


def load_solution(exercise_id: str) -> Any:
    """Import and return the reference solution of an exercise (try it yourself first!).

    Raises
    ------
    FileNotFoundError
        If the solutions folder is not there (an installed copy of dslib
        without the repository).

    Examples
    --------
    >>> percentile = load_solution("ch01.percentile")
    >>> percentile([15, 20, 35, 40, 50], 30)
    20
    """
    exercise = get_exercise(exercise_id)
    relative, name = exercise.solution.split(":")
    path = solutions_dir().parent / relative
    if not path.is_file():
        raise FileNotFoundError(
            f"the solution of {exercise_id} is in {relative} of the book's repository, "
            f"which is not at {path}"
        )
    module_name = f"dslib_solutions_{path.stem}"
    if module_name in sys.modules:
        return getattr(sys.modules[module_name], name)
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a spec
        raise FileNotFoundError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return getattr(module, name)
