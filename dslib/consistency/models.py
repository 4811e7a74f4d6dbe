"""Sequential specifications ("models"): what one copy of an object would do.

A consistency checker asks whether the operations of a history can be put in
an order in which every operation does what a *single, sequential* copy of
the object would do. A ``SequentialSpec`` is that sequential copy, written as a pure
function:

- ``init()``: the initial state (hashable: the checkers memoise states);
- ``step(state, op) -> (legal, new_state)``: apply operation ``op`` (an
  ``Operation``: ``op.f``, ``op.value`` the argument, ``op.result`` what the
  client saw, ``op.status``) to ``state``. ``legal`` says whether a
  sequential copy in ``state`` could have returned ``op.result``. When
  ``op.status == "info"`` the result is unknown: accept any result.

Optional:

- ``partition_key(op)``: operations with different keys never interact (the
  keys of a map, the elements of a set), so each group can be checked on its
  own: P-compositionality (Horn and Kroening 2015). Default: one group.
- ``read_only(op)``: ``True`` if ``op`` never changes the state; an ``info``
  operation that is read only constrains nothing and the checkers drop it.
- ``prune_info(info_ops, ok_ops)``: the ``info`` operations that might be
  needed to explain the ``ok`` ones (default: all). An ``info`` write whose
  value nobody read can always be left out, and every one left out halves
  the work of the search.
- ``validate(op)``: raise ``ValueError`` for an operation the model does not
  know, before any search starts.
- ``observed(op)``, ``written(op)`` and ``holds(state, slot)``: what a read
  needs to see and what a write leaves, slot by slot (a register has one
  slot, a map one per key). With them the search gives up on a branch as soon
  as the register stops holding a value that some read still needs and no
  write of that value is left, instead of finding out much later. This is
  what makes histories with many concurrent clients fast.
- ``unique_write_fast_path``: ``True`` when the model is one register read
  and written as ``observed`` and ``written`` say, with appends as
  ``appended`` says (the library's ``Register`` and one key of
  ``KeyValue``). A group whose writes all write different values is then
  ordered without a search (``dslib.consistency.unique_writes``, and
  ``dslib.consistency.unique_appends`` when it has appends); the order is
  checked by ``step`` before it is used, so a wrong declaration costs time,
  never a wrong "ok".

The library's models: ``Register``, ``CASRegister``, ``KeyValue`` (``get``,
``put``, ``append``, partitioned by key), ``Counter``, ``Set`` and
``FIFOQueue``.

Examples
--------
A model of your own: a register that only ever grows.

>>> class MaxRegister(SequentialSpec):
...     name = "max-register"
...     def init(self):
...         return 0
...     def step(self, state, op):
...         if op.f == "raise":
...             return True, max(state, op.value)
...         return op.status == "info" or op.result == state, state
>>> from dslib.sim.history import Operation
>>> MaxRegister().step(0, Operation(0, "c", "raise", 5, None, "ok", 0.0, 1.0))
(True, 5)
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Hashable, Sequence
from typing import Any

from dslib.core import stable_repr
from dslib.errors import renamed
from dslib.sim.history import Operation

__all__ = [
    "UNKNOWN",
    "CASRegister",
    "Counter",
    "FIFOQueue",
    "KeyValue",
    "Register",
    "SequentialSpec",
    "Set",
]


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""What ``SequentialSpec.written`` says when the value left in a slot depends on the state."""


class SequentialSpec:
    """A sequential specification. Subclass it and write ``init`` and ``step``.

    It says what one copy of the object, used by one client at a time, would
    answer; the checkers ask whether what many clients saw fits it. (Named
    ``Model`` before, and still importable under that name for one release,
    with a warning; ``dslib.check.Model`` is the other kind of model, a state
    machine the model checker explores.)

    Attributes
    ----------
    name : str
        How the checkers' messages call it (``"register"``).
    operations : tuple of str
        The operation names ``f`` it accepts (empty: any; ``validate`` checks).
    observations_complete : bool
        ``True`` if an operation's legality depends on the state only through
        ``observed`` (so writes are blind, and a value no remaining operation
        observes is garbage). Enables the "garbage values" shortcut of the
        search; leave ``False`` if unsure.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> class Flag(SequentialSpec):
    ...     name = "flag"
    ...     def init(self):
    ...         return False
    ...     def step(self, state, op):
    ...         if op.f == "set":
    ...             return True, True
    ...         return op.status == "info" or op.result == state, state
    >>> Flag().step(False, Operation(0, "c", "get", None, True, "ok", 0.0, 1.0))
    (False, False)
    """

    name: str = "model"
    operations: tuple[str, ...] = ()
    observations_complete: bool = False

    def init(self) -> Hashable:
        """The initial state (hashable)."""
        raise NotImplementedError(f"{type(self).__name__} must define init(self)")

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        """Apply ``op`` to ``state``: ``(legal, new_state)``."""
        raise NotImplementedError(f"{type(self).__name__} must define step(self, state, op)")

    def partition_key(self, op: Operation) -> Hashable:
        """The group of ``op`` (operations of different groups never interact)."""
        return None

    def partitions(self, ops: Sequence[Operation]) -> list[tuple[Hashable, list[Operation]]]:
        """Split ``ops`` into independent groups, sorted by key (deterministically).

        The default groups by ``partition_key``; override this instead when
        whether to split depends on the whole history (see ``Set``).

        Examples
        --------
        >>> from dslib.sim.history import Operation
        >>> ops = [Operation(i, "c", "put", i, None, "ok", i, i + 1, k)
        ...        for i, k in enumerate("bab")]
        >>> [(k, [o.index for o in g]) for k, g in KeyValue().partitions(ops)]
        [('a', [1]), ('b', [0, 2])]
        """
        groups: dict[Hashable, list[Operation]] = {}
        for op in ops:
            groups.setdefault(self.partition_key(op), []).append(op)
        return sorted(groups.items(), key=lambda kv: stable_repr(kv[0]))

    def read_only(self, op: Operation) -> bool:
        """Whether ``op`` never changes the state (default: ``False``, the safe answer)."""
        return False

    def prune_info(
        self, info_ops: Sequence[Operation], ok_ops: Sequence[Operation]
    ) -> list[Operation]:
        """The ``info`` operations that some linearization of ``ok_ops`` might need.

        An ``info`` operation may or may not have taken effect, so leaving it
        out is always allowed; this hook says which ones are worth trying.
        Returning too many is safe (only slower); returning too few could turn
        a linearizable history into a violation. Default: all of them.
        """
        return list(info_ops)

    def validate(self, op: Operation) -> None:
        """Raise ``ValueError`` if the model cannot interpret ``op``."""
        if self.operations and op.f not in self.operations:
            raise ValueError(
                f"the {self.name} model has no operation {op.f!r} (in {op}); it knows "
                f"{', '.join(self.operations)}"
            )

    def validate_many(self, ops: Sequence[Operation]) -> None:
        """``validate`` every operation of ``ops`` (a model may do it faster, all at once).

        Examples
        --------
        >>> from dslib.sim.history import Operation
        >>> Register().validate_many([Operation(0, "c", "inc", None, None, "ok", 0, 1)])
        Traceback (most recent call last):
        ...
        ValueError: the register model has no operation 'inc' (in c inc(None) -> ok None ...
        """
        validate = self.validate
        for op in ops:
            validate(op)

    def observed(self, op: Operation) -> tuple[Hashable, Any] | None:
        """``(slot, value)`` if ``op`` (``ok``) is legal only while ``slot`` holds ``value``.

        Default ``None``: no such promise (and no pruning). If a model defines
        ``observed``, its ``written`` must describe *every* change of a slot.
        """
        return None

    def written(self, op: Operation) -> tuple[Hashable, Any] | None:
        """``(slot, value)``: what ``op`` leaves in ``slot`` when it takes effect.

        ``None`` if ``op`` changes no slot; ``(slot, UNKNOWN)`` if the value
        depends on the state (an append, an increment).
        """
        return None

    def appended(self, op: Operation) -> tuple[Hashable, Any] | None:
        """``(slot, value)`` if ``op`` is an append: it leaves ``old + value`` in ``slot``.

        Default ``None``. Only the fast path for appends with unique values
        (``dslib.consistency.unique_appends``) asks, to take a value read apart
        into the appends that built it; the order it finds is checked with
        ``step``, so a wrong answer costs time, never a wrong verdict.
        """
        return None

    def holds(self, state: Any, slot: Hashable) -> Any:
        """The value in ``slot`` of ``state`` (needed only with ``observed``)."""
        raise NotImplementedError(
            f"{type(self).__name__} defines observed() and must then define holds(state, slot)"
        )

    def describe_state(self, state: Any) -> str:
        """How a state reads in an explanation (default: ``stable_repr``)."""
        return stable_repr(state)

    def group_model(self, key: Hashable) -> SequentialSpec:
        """The model to search one group (the operations of ``partitions`` with ``key``) with.

        Default: the model itself. A model whose state holds every group
        (``KeyValue``: a map of every key) returns one whose state is just
        that group's part (one key's value): the same answers, with cheaper
        steps and smaller memo keys. States reported to the user always come
        from the model itself.

        Examples
        --------
        >>> m = Register()
        >>> m.group_model(None) is m
        True
        """
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_F = operator.attrgetter("f")
_IS_APPEND = "append".__eq__
_KEY = operator.attrgetter("key")
_VALUE = operator.attrgetter("value")


def _check_hashable(
    model: SequentialSpec, value: Any, what: str, op: Operation | None = None
) -> None:
    """Raise if ``value`` is not hashable; ``what`` names it (``{op}`` is filled in then)."""
    try:
        hash(value)
    except TypeError:
        what = what.format(op=op)
        raise ValueError(
            f"the {model.name} model needs hashable values (states are memoised), but {what} "
            f"is {value!r}; use tuples instead of lists"
        ) from None


def _written(op: Operation) -> Any:
    """The value a write, put or cas leaves behind."""
    if op.f == "cas":
        return op.value[1]
    return op.value


class Register(SequentialSpec):
    """A read/write register: ``write(v)``; ``read() -> v``, the last value written.

    Parameters
    ----------
    initial : hashable, default None
        What a read returns before any write.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> r = Register()
    >>> r.step(None, Operation(0, "c", "write", 3, None, "ok", 0, 1))
    (True, 3)
    >>> r.step(3, Operation(1, "c", "read", None, 4, "ok", 2, 3))
    (False, 3)
    """

    name = "register"
    operations: tuple[str, ...] = ("read", "write")
    observations_complete = True
    unique_write_fast_path = True

    def __init__(self, initial: Hashable = None) -> None:
        _check_hashable(self, initial, "initial")
        self.initial = initial

    def init(self) -> Hashable:
        return self.initial

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "write":
            return True, op.value
        return op.status == "info" or op.result == state, state

    def read_only(self, op: Operation) -> bool:
        return op.f == "read"

    def prune_info(
        self, info_ops: Sequence[Operation], ok_ops: Sequence[Operation]
    ) -> list[Operation]:
        # A write (or cas) nobody observed never helps: leave it out. Observed means a
        # read returned its value or a cas expected it (a kept cas may need an earlier
        # write in turn); a cas that reported a mismatch (result False) may need any
        # value, so then keep everything.
        seen: set[Any] = set()
        for op in ok_ops:
            if op.f == "read":
                seen.add(op.result)
            elif op.f == "cas":
                if op.result is False:
                    return list(info_ops)
                seen.add(op.value[0])
        keep: list[bool] = [False] * len(info_ops)
        changed = True
        while changed:
            changed = False
            for i, op in enumerate(info_ops):
                if not keep[i] and _written(op) in seen:
                    keep[i] = changed = True
                    if op.f == "cas":
                        seen.add(op.value[0])
        return [op for i, op in enumerate(info_ops) if keep[i]]

    def observed(self, op: Operation) -> tuple[Hashable, Any] | None:
        if op.status != "ok":
            return None
        if op.f == "read":
            return (None, op.result)
        if op.f == "cas" and op.result is not False:
            return (None, op.value[0])
        return None

    def written(self, op: Operation) -> tuple[Hashable, Any] | None:
        if op.f == "read" or (op.f == "cas" and op.status == "ok" and op.result is False):
            return None
        return (None, _written(op))

    def holds(self, state: Any, slot: Hashable) -> Any:
        return state

    def validate(self, op: Operation) -> None:
        super().validate(op)
        if op.f == "write":
            _check_hashable(self, op.value, "the value of {op}", op)

    def validate_many(self, ops: Sequence[Operation]) -> None:
        # All at once when only reads and writes of hashable values; else one by one.
        if type(self).validate is Register.validate and set(map(_F, ops)) <= {"read", "write"}:
            try:
                hash(tuple(map(_VALUE, ops)))
                return
            except TypeError:
                pass
        super().validate_many(ops)

    def __repr__(self) -> str:
        return f"Register(initial={self.initial!r})"


class CASRegister(Register):
    """A register with compare-and-set: ``read``, ``write(v)``, ``cas((expected, new))``.

    A ``cas`` that completed ``ok`` took effect (it found ``expected``), unless
    its result is ``False``: then it found something else and changed nothing.
    Jepsen records a cas that did not match as ``fail``, which the checkers
    drop.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> m = CASRegister(initial=0)
    >>> m.step(0, Operation(0, "c", "cas", (0, 4), None, "ok", 0, 1))
    (True, 4)
    >>> m.step(1, Operation(0, "c", "cas", (0, 4), None, "ok", 0, 1))
    (False, 4)
    """

    name = "cas-register"
    operations = ("read", "write", "cas")
    observations_complete = False

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "cas":
            expected, new = op.value
            if op.status == "ok" and op.result is False:
                return state != expected, state
            return state == expected, new
        return super().step(state, op)

    def validate(self, op: Operation) -> None:
        SequentialSpec.validate(self, op)
        if op.f == "cas":
            if not (isinstance(op.value, (tuple, list)) and len(op.value) == 2):
                raise ValueError(
                    f"a cas takes the pair (expected, new) as its value; {op} has {op.value!r}"
                )
            _check_hashable(self, op.value[1], "the new value of {op}", op)
        elif op.f == "write":
            _check_hashable(self, op.value, "the value of {op}", op)

    def __repr__(self) -> str:
        return f"CASRegister(initial={self.initial!r})"


def _lookup(state: frozenset[tuple[Hashable, Any]], key: Hashable, default: Any) -> Any:
    for k, v in state:
        if k == key:
            return v
    return default


def _assign(
    state: frozenset[tuple[Hashable, Any]], key: Hashable, value: Any
) -> frozenset[tuple[Hashable, Any]]:
    return frozenset([(k, v) for k, v in state if k != key] + [(key, value)])


class KeyValue(SequentialSpec):
    """A key-value map: ``get(k) -> v``, ``put(k, v)``, ``append(k, v)``, ``cas(k, (old, new))``.

    One independent group per key.

    The state is a frozenset of ``(key, value)`` pairs; a key that was never
    written reads as ``initial``. ``append`` concatenates: ``old + value``
    for strings or tuples (``initial`` ``None`` counts as empty). ``cas``
    takes the pair ``(expected, new)``: it sets ``new`` if the key holds
    ``expected``; its result says whether it did (``True``/``False``).

    Parameters
    ----------
    initial : hashable, default None
        The value of a key that was never written (``""`` for a string store
        where a missing key reads as empty).

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> m = KeyValue(initial="")
    >>> ok, s = m.step(m.init(), Operation(0, "c", "append", "ab", None, "ok", 0, 1, "k"))
    >>> ok, s = m.step(s, Operation(1, "c", "append", "c", None, "ok", 2, 3, "k"))
    >>> m.step(s, Operation(2, "c", "get", None, "abc", "ok", 4, 5, "k"))[0]
    True
    >>> m.step(s, Operation(3, "c", "cas", ("abc", "z"), True, "ok", 6, 7, "k"))[0]
    True
    >>> m.step(s, Operation(3, "c", "cas", ("abc", "z"), False, "ok", 6, 7, "k"))[0]
    False
    """

    name = "key-value"
    operations = ("get", "put", "append", "cas")
    observations_complete = True

    def __init__(self, initial: Hashable = None) -> None:
        _check_hashable(self, initial, "initial")
        self.initial = initial

    def init(self) -> Hashable:
        return frozenset()

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        f = op.f
        if f == "get":
            return op.status == "info" or op.result == _lookup(state, op.key, self.initial), state
        if f == "put":
            return True, _assign(state, op.key, op.value)
        old = _lookup(state, op.key, self.initial)
        if f == "cas":
            expected, new = op.value
            if op.status == "ok" and op.result is False:
                return old != expected, state
            return old == expected, _assign(state, op.key, new)
        return True, _assign(state, op.key, op.value if old is None else old + op.value)

    def partition_key(self, op: Operation) -> Hashable:
        return op.key

    def partitions(self, ops: Sequence[Operation]) -> list[tuple[Hashable, list[Operation]]]:
        if type(self).partition_key is not KeyValue.partition_key:
            return super().partitions(ops)
        groups: dict[Hashable, list[Operation]] = {}
        for op in ops:  # (the default's loop, without a call per operation)
            group = groups.get(op.key)
            if group is None:
                groups[op.key] = [op]
            else:
                group.append(op)
        return sorted(groups.items(), key=lambda kv: stable_repr(kv[0]))

    def group_model(self, key: Hashable) -> SequentialSpec:
        return _OneKey(self.initial)

    def prune_info(
        self, info_ops: Sequence[Operation], ok_ops: Sequence[Operation]
    ) -> list[Operation]:
        # A put nobody read is never needed, unless appends build on it or a cas looks at it.
        appended = {op.key for op in (*ok_ops, *info_ops) if op.f in ("append", "cas")}
        seen = {(op.key, op.result) for op in ok_ops if op.f == "get"}
        # An append of a tuple whose first element no get ever saw can be dropped:
        # if it took effect, it did so after every read of its key.
        read_elements = {
            (op.key, x)
            for op in ok_ops
            if op.f == "get" and isinstance(op.result, tuple)
            for x in op.result
        }
        return [
            op
            for op in info_ops
            if (op.f == "put" and (op.key in appended or (op.key, op.value) in seen))
            or (
                op.f == "append"
                and not (
                    isinstance(op.value, tuple)
                    and op.value
                    and (op.key, op.value[0]) not in read_elements
                )
            )
            or op.f not in ("put", "append")
        ]

    def read_only(self, op: Operation) -> bool:
        return op.f == "get"

    def observed(self, op: Operation) -> tuple[Hashable, Any] | None:
        return (op.key, op.result) if op.f == "get" and op.status == "ok" else None

    def written(self, op: Operation) -> tuple[Hashable, Any] | None:
        if op.f == "get":
            return None
        # An append, and a cas (whose legality depends on the value, matched or not),
        # make the key opaque to the search's pruning, which stays sound.
        return (op.key, op.value if op.f == "put" else UNKNOWN)

    def appended(self, op: Operation) -> tuple[Hashable, Any] | None:
        return (op.key, op.value) if op.f == "append" else None

    def holds(self, state: Any, slot: Hashable) -> Any:
        return _lookup(state, slot, self.initial)

    def validate(self, op: Operation) -> None:
        if op.f in ("get", "put"):  # the common case, checked quickly
            try:
                hash((op.key, op.value))
                return
            except TypeError:
                pass  # (say which part is wrong, below)
        super().validate(op)
        _check_hashable(self, op.key, "the key of {op}", op)
        if op.f == "put":
            _check_hashable(self, op.value, "the value of {op}", op)
        if op.f == "cas":
            if not (isinstance(op.value, (tuple, list)) and len(op.value) == 2):
                raise ValueError(
                    f"a cas takes the pair (expected, new) as its value; {op} has {op.value!r}"
                )
            _check_hashable(self, op.value[1], "the new value of {op}", op)
        if op.f == "append":
            ok_types = (str, tuple)
            if not isinstance(op.value, ok_types) or not (
                self.initial is None or isinstance(self.initial, type(op.value))
            ):
                raise ValueError(
                    f"append concatenates strings or tuples (to initial={self.initial!r}); "
                    f"{op} appends {op.value!r}"
                )

    def validate_many(self, ops: Sequence[Operation]) -> None:
        # All at once when that is easy to decide: only get, put and append, keys and
        # values hashable, and every appended value of the initial value's type (string
        # or tuple). Anything else, or a subclass's own validate: one by one, which
        # says precisely what is wrong.
        if type(self).validate is KeyValue.validate:
            fs = list(map(_F, ops))
            kinds = set(fs)
            if kinds <= {"get", "put", "append"}:
                values = tuple(map(_VALUE, ops))
                try:
                    hash(tuple(map(_KEY, ops)))
                    hash(values)
                except TypeError:
                    pass
                else:
                    if "append" not in kinds:
                        return
                    types = set(map(type, values))
                    types.discard(type(None))
                    if (
                        len(types) == 1
                        and (kind := next(iter(types))) in (str, tuple)
                        and (self.initial is None or type(self.initial) is kind)
                        and None not in itertools.compress(values, map(_IS_APPEND, fs))
                    ):
                        return
        super().validate_many(ops)

    def describe_state(self, state: Any) -> str:
        return stable_repr(dict(state))

    def __repr__(self) -> str:
        return f"KeyValue(initial={self.initial!r})"


class _OneKey(KeyValue):
    """``KeyValue`` restricted to the operations of one key: the state is that key's value.

    What ``KeyValue.group_model`` returns; the search of one key's group then
    steps on a value instead of rebuilding a map (Porcupine's key-value model
    does the same after partitioning).

    >>> from dslib.sim.history import Operation
    >>> m = KeyValue(initial="").group_model("k")
    >>> m.step(m.init(), Operation(0, "c", "append", "ab", None, "ok", 0, 1, "k"))
    (True, 'ab')
    """

    unique_write_fast_path = True

    def init(self) -> Hashable:
        return self.initial

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        f = op.f
        if f == "get":
            return op.status == "info" or op.result == state, state
        if f == "put":
            return True, op.value
        if f == "cas":
            expected, new = op.value
            if op.status == "ok" and op.result is False:
                return state != expected, state
            return state == expected, new
        return True, op.value if state is None else state + op.value

    def holds(self, state: Any, slot: Hashable) -> Any:
        return state

    def describe_state(self, state: Any) -> str:
        return stable_repr(state)

    def group_model(self, key: Hashable) -> SequentialSpec:
        return self


class Counter(SequentialSpec):
    """A counter: ``add(n)`` (``n`` defaults to 1); ``read() -> total``.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> Counter().step(2, Operation(0, "c", "add", 3, None, "ok", 0, 1))
    (True, 5)
    """

    name = "counter"
    operations = ("add", "read")

    def __init__(self, initial: int = 0) -> None:
        if not isinstance(initial, int) or isinstance(initial, bool):
            raise TypeError(f"Counter: initial={initial!r} must be an int")
        self.initial = initial

    def init(self) -> Hashable:
        return self.initial

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "add":
            return True, state + (1 if op.value is None else op.value)
        return op.status == "info" or op.result == state, state

    def read_only(self, op: Operation) -> bool:
        return op.f == "read"

    def validate(self, op: Operation) -> None:
        super().validate(op)
        if op.f == "add" and not (
            op.value is None or (isinstance(op.value, int) and not isinstance(op.value, bool))
        ):
            raise ValueError(f"add takes an int (or None for 1); {op} adds {op.value!r}")

    def __repr__(self) -> str:
        return f"Counter(initial={self.initial!r})"


class Set(SequentialSpec):
    """A set: ``add(x)``, ``remove(x)``, ``contains(x) -> bool``, ``read() -> elements``.

    Without ``read`` operations the elements are independent and each is
    checked on its own; a ``read`` sees every element, so a history with reads
    is checked as one group. A read's result may be any collection (it is
    compared as a set).

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> s = Set()
    >>> ok, state = s.step(s.init(), Operation(0, "c", "add", 1, None, "ok", 0, 1))
    >>> s.step(state, Operation(1, "c", "read", None, [1], "ok", 2, 3))
    (True, frozenset({1}))
    """

    name = "set"
    operations = ("add", "remove", "contains", "read")

    def init(self) -> Hashable:
        return frozenset()

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        f = op.f
        if f == "add":
            return True, state | {op.value}
        if f == "remove":
            return True, state - {op.value}
        if op.status == "info":
            return True, state
        if f == "contains":
            return op.result == (op.value in state), state
        try:
            return frozenset(op.result) == state, state
        except TypeError:
            return False, state

    def partitions(self, ops: Sequence[Operation]) -> list[tuple[Hashable, list[Operation]]]:
        if any(op.f == "read" for op in ops):
            return [(None, list(ops))]
        return super().partitions(ops)

    def partition_key(self, op: Operation) -> Hashable:
        return op.value

    def read_only(self, op: Operation) -> bool:
        return op.f in ("contains", "read")

    def observed(self, op: Operation) -> tuple[Hashable, Any] | None:
        if op.f == "contains" and op.status == "ok" and isinstance(op.result, bool):
            return (op.value, op.result)
        return None

    def written(self, op: Operation) -> tuple[Hashable, Any] | None:
        if op.f in ("add", "remove"):
            return (op.value, op.f == "add")
        return None

    def holds(self, state: Any, slot: Hashable) -> Any:
        return slot in state

    def validate(self, op: Operation) -> None:
        super().validate(op)
        if op.f != "read":
            _check_hashable(self, op.value, "the element of {op}", op)


class FIFOQueue(SequentialSpec):
    """A FIFO queue: ``enqueue(x)``; ``dequeue() -> x``, or ``None`` when empty.

    Examples
    --------
    >>> from dslib.sim.history import Operation
    >>> q = FIFOQueue()
    >>> ok, s = q.step(q.init(), Operation(0, "c", "enqueue", 1, None, "ok", 0, 1))
    >>> ok, s = q.step(s, Operation(1, "c", "enqueue", 2, None, "ok", 2, 3))
    >>> q.step(s, Operation(2, "c", "dequeue", None, 2, "ok", 4, 5))
    (False, (1, 2))
    """

    name = "fifo-queue"
    operations = ("enqueue", "dequeue")

    def init(self) -> Hashable:
        return ()

    def step(self, state: Any, op: Operation) -> tuple[bool, Any]:
        if op.f == "enqueue":
            return True, (*state, op.value)
        if op.status == "info":
            return True, state[1:]
        if not state:
            return op.result is None, state
        if op.result == state[0]:
            return True, state[1:]
        return False, state

    def prune_info(
        self, info_ops: Sequence[Operation], ok_ops: Sequence[Operation]
    ) -> list[Operation]:
        # An enqueue whose element no dequeue returned is never needed.
        seen = {op.result for op in ok_ops if op.f == "dequeue"}
        return [op for op in info_ops if op.f != "enqueue" or op.value in seen]

    def validate(self, op: Operation) -> None:
        super().validate(op)
        if op.f == "enqueue":
            _check_hashable(self, op.value, "the element of {op}", op)


__getattr__ = renamed(__name__, {"Model": (SequentialSpec, "SequentialSpec")})
