"""Tests of dslib.codec: every value the book sends or keeps comes back equal from JSON.

Two kinds of round trip: hypothesis values built from the encoding's grammar (nested
tuples, frozensets, dicts, lists, floats with infinities, enums, named tuples and
dataclasses), and every frozen dataclass that ``dslib`` defines (its messages and node
states), with fields generated from their type hints. A class whose fields cannot be
generated from its hints is listed in ``unbuildable()`` with the reason.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
import pkgutil
import types
import typing
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_moved_modules import MOVED

import dslib
from dslib.codec import VERSION, decode_value, dump_document, dumps, encode_value, loads
from dslib.small_systems.twophase import Commit, Prepared


class Color(enum.Enum):
    RED = 1
    BLUE = 2


class Pair(NamedTuple):
    left: Any
    right: Any


@dataclass(frozen=True)
class Envelope:
    body: Any
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Counted:
    items: tuple[int, ...]
    size: int = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", len(self.items))


LOCAL = [Envelope, Pair, Color]


def through_json(value: Any) -> Any:
    return loads(dumps(value), types=LOCAL)


# -- the grammar --------------------------------------------------------------------------------
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),  # nan != nan: tested on its own below
    st.text(max_size=8),
)
HASHABLE = st.recursive(
    SCALARS | st.sampled_from(Color),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(tuple),
        st.frozensets(inner, max_size=3),
        st.builds(Pair, inner, inner),
        st.builds(Envelope, inner, st.frozensets(st.text(max_size=3), max_size=3)),
    ),
    max_leaves=12,
)
VALUES = st.recursive(
    HASHABLE,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(HASHABLE, inner, max_size=3),
        st.builds(Envelope, inner),
    ),
    max_leaves=16,
)


@given(VALUES)
def test_every_value_of_the_grammar_comes_back_equal_through_json(value: Any) -> None:
    back = through_json(value)
    assert back == value
    assert type(back) is type(value)
    assert dumps(back) == dumps(value)  # and encodes to the same text again


@given(st.frozensets(st.text(max_size=4), max_size=6), st.randoms(use_true_random=False))
def test_a_frozenset_encodes_to_the_same_text_whatever_order_it_was_built_in(
    items: frozenset[str], rng: Any
) -> None:
    shuffled = list(items)
    rng.shuffle(shuffled)
    assert dumps(frozenset(shuffled)) == dumps(items)


def test_the_document_names_its_format_and_version_and_keeps_the_tags() -> None:
    value = (Envelope(Pair(Color.RED, (1, 2.5, None)), frozenset({"b", "a"})), [True, math.inf])
    payload = json.loads(dumps(value))
    assert (payload["format"], payload["version"], VERSION) == ("dslib.value", 1, 1)
    data = payload["value"]
    assert data["$type"] == "tuple"
    assert data["items"][0]["fields"]["tags"] == {"$type": "frozenset", "items": ["a", "b"]}
    assert data["items"][1] == [True, {"$type": "float", "value": "inf"}]
    assert encode_value({"k": (1,)}) == {
        "$type": "dict",
        "items": [["k", {"$type": "tuple", "items": [1]}]],
    }
    assert encode_value(Commit()) == {
        "$type": "dataclass",
        "module": "dslib.small_systems.twophase",
        "class": "Commit",
        "fields": {},
    }
    assert decode_value(encode_value(Prepared("rm1"))) == Prepared("rm1")


def test_nan_and_fields_the_constructor_computes() -> None:
    assert math.isnan(loads(dumps(math.nan)))
    assert decode_value(encode_value(Counted((4, 5))), types=[Counted]).size == 2


def test_decoding_refuses_unknown_or_unsafe_types() -> None:
    data = encode_value(Envelope(1))
    with pytest.raises(ValueError, match="refusing to load class .*Envelope.*types=\\[Envelope\\]"):
        decode_value(data)
    with pytest.raises(ValueError, match="there is no such class"):
        decode_value({"$type": "dataclass", "module": "dslib", "class": "Nope", "fields": {}})
    with pytest.raises(ValueError, match="is not a dataclass"):
        decode_value({"$type": "dataclass", "module": "dslib", "class": "System", "fields": {}})
    with pytest.raises(ValueError, match="known tags"):
        decode_value({"$type": "pickle"})
    with pytest.raises(ValueError, match="missing"):
        decode_value({"$type": "tuple"})
    with pytest.raises(ValueError, match="not an encoded value"):
        decode_value({"items": []})


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({"a", "b"}, "cannot encode a set"),
        (bytearray(b"x"), "cannot encode a bytearray"),
        (object(), "object"),
    ],
)
def test_encoding_refuses_what_it_cannot_bring_back(value: Any, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        encode_value(value)


def test_encoding_refuses_a_class_that_could_not_be_imported_back() -> None:
    @dataclass(frozen=True)
    class Local:
        x: int

    with pytest.raises(TypeError, match="defined inside a function"):
        encode_value(Local(1))


def test_documents_refuse_other_formats_versions_and_bare_infinities() -> None:
    with pytest.raises(ValueError, match='expected an object with "format": "dslib.value"'):
        loads(dump_document("dslib.steps", {"steps": []}))
    with pytest.raises(ValueError, match="unknown version 2"):
        loads('{"format": "dslib.value", "version": 2, "value": 1}')
    with pytest.raises(ValueError, match="not JSON"):
        loads("{oops")
    with pytest.raises(ValueError, match='has no "value"'):
        loads('{"format": "dslib.value", "version": 1}')
    with pytest.raises(ValueError, match="header keys"):
        dump_document("demo", {"version": 3})
    with pytest.raises(ValueError):
        dump_document("demo", {"x": math.inf})
    with pytest.raises(TypeError, match="takes the JSON text"):
        loads(b"{}")  # type: ignore[arg-type]


# -- every frozen dataclass of dslib ------------------------------------------------------------
class Unbuildable(Exception):
    """A type hint the generic strategy does not know how to fill."""


def frozen_dataclasses() -> list[type]:
    """Every frozen dataclass defined at the top level of a dslib module, sorted by name."""
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(dslib.__path__, "dslib."):
        if info.name in MOVED:
            continue  # an old path: it warns on import, and its classes are the new module's
        if info.name.endswith(".__main__"):
            continue  # a command (python -m ...): importing it runs it
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and dataclasses.is_dataclass(obj)
                and obj.__module__ == info.name
                and obj.__dataclass_params__.frozen  # type: ignore[attr-defined]
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[name] for name in sorted(found)]


def strategy_for(hint: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the type ``hint``, built from the encodable types only."""
    if depth > 12:
        raise Unbuildable(f"types nested more than 12 deep (at {hint!r})")
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object or hint is Hashable:
        return SCALARS
    if hint is type(None) or hint is None:
        return st.none()
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-5, 50)
    if hint is float:
        return st.floats(-5, 50, allow_nan=False)
    if hint is str:
        return st.text("abc", max_size=3)
    if hint is bytes:
        return st.binary(max_size=4)
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy_for(a, depth + 1) for a in args])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0], depth + 1), max_size=3).map(tuple)
        if not args:
            return st.lists(SCALARS, max_size=3).map(tuple)
        return st.tuples(*(strategy_for(a, depth + 1) for a in args))
    if origin is frozenset:
        return st.frozensets(strategy_for(args[0] if args else Any, depth + 1), max_size=3)
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        key, value = args if args else (Any, Any)
        return st.dictionaries(
            strategy_for(key, depth + 1), strategy_for(value, depth + 1), max_size=3
        )
    if origin in (list, Sequence) or hint is list:
        return st.lists(strategy_for(args[0] if args else Any, depth + 1), max_size=3)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return instances_of(hint, depth + 1)
    raise Unbuildable(f"no strategy for the type {hint!r}")


def with_default(field: Any, values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The field's default half the time (it passes the class's checks), else any value."""
    if field.default is not dataclasses.MISSING:
        try:
            encode_value(field.default)
        except TypeError:
            raise Unbuildable(f"the default of {field.name} is {field.default!r}") from None
        return st.one_of(st.just(field.default), values)
    if field.default_factory is not dataclasses.MISSING:
        return st.one_of(st.builds(field.default_factory), values)
    return values


def instances_of(cls: type, depth: int = 0) -> st.SearchStrategy[Any]:
    try:
        hints = typing.get_type_hints(cls)
    except Exception as exc:
        raise Unbuildable(f"its type hints do not resolve ({type(exc).__name__}: {exc})") from None
    fields = {
        f.name: with_default(f, strategy_for(hints[f.name], depth))
        for f in dataclasses.fields(cls)
        if f.init and not f.name.startswith("_")
    }
    hidden = [f.name for f in dataclasses.fields(cls) if f.init and f.name.startswith("_")]
    if hidden:
        raise Unbuildable(f"private init fields {hidden}")

    def build(**kwargs: Any) -> Any:
        try:
            return cls(**kwargs)
        except (ValueError, TypeError, KeyError, IndexError, AssertionError):
            return None  # __post_init__ refused the generated fields

    return st.builds(build, **fields)


def hand_made() -> dict[type, list[Any]]:
    """Values of the frozen dataclasses whose checks refuse any random filling of their fields
    (a log record's fields depend on its kind, a workload's operations on its keys): the
    library's own instances, so that the codec is still shown to carry them."""
    from dslib.databases import Engine
    from dslib.databases.crashes import WORKLOADS
    from dslib.databases.real import CATALOGUE, TARGETS
    from dslib.databases.wal import LogRecord

    engine = Engine.create(("x", "y")).add("T1", "x", 1).write("T2", "y", 5).commit("T1")
    engine = engine.abort("T2").checkpoint()
    records = [frame.record for frame in engine.durable().log]
    assert all(isinstance(r, LogRecord) for r in records)
    from dslib.architectures.schema import Field, Schema
    from dslib.caching.checks import CacheVariant
    from dslib.caching.patterns import PatternConfig
    from dslib.orchestration.scheduling import NodeSpec, TaskSpec, pack
    from dslib.queues.groups import GroupConfig
    from dslib.queues.log import LogConfig
    from dslib.security.auth import TokenVerifier
    from dslib.security.crypto import dh_key, signing_key, symmetric_key

    signer, dh = signing_key(1, "provider"), dh_key(1, "client")
    log = LogConfig(brokers=5, partitions=2, acks=1, partitioner="round-robin", linger=0.5)
    packed = pack([TaskSpec("a", 600, 0), TaskSpec("b", 600, 0)], [NodeSpec("n1", 1000, 0)])
    return {
        # keys of chapter 16: their bytes must have the primitive's length
        type(symmetric_key(1, "k")): [symmetric_key(1, "k"), symmetric_key(2, "other")],
        type(signer): [signer],
        type(signer.public): [signer.public],
        type(dh): [dh],
        type(dh.public): [dh.public],
        TokenVerifier: [TokenVerifier("billing", "idp", signer.public)],
        # a schema's fields are checked against the types it knows
        Field: [Field("qty", "int"), Field("note", "str", "")],
        Schema: [Schema("order", 1, (Field("item", "str"),))],
        # a packing's cluster holds only the tasks it placed
        type(packed): [packed],
        LogRecord: records,
        # configurations that check each field against the others (and the allowed names):
        # random fields are refused so often that hypothesis spent 20-40 s on each
        CacheVariant: [
            CacheVariant(),
            CacheVariant(lease=False, on_write="update", mutant="lease_not_invalidated"),
        ],
        LogConfig: [LogConfig(), log, LogConfig(unclean=True, mutant="ack_before_isr")],
        GroupConfig: [
            GroupConfig(LogConfig()),
            GroupConfig(log, consumers=3, assignor="round-robin", policy="at-most-once"),
        ],
        PatternConfig: [
            PatternConfig(),
            PatternConfig(pattern="write-back", ttl=30.0, lease=True, store_time=4.0),
        ],
        type(next(iter(WORKLOADS.values()))): list(WORKLOADS.values()),
        type(TARGETS[0]): list(TARGETS),
        type(CATALOGUE[0]): list(CATALOGUE),
    }


HAND_MADE = hand_made()


def buildable() -> tuple[list[type], dict[str, str]]:
    """The frozen dataclasses a strategy can fill, and the others with the reason."""
    ok, skipped = [], {}
    for cls in frozen_dataclasses():
        name = f"{cls.__module__}.{cls.__qualname__}"
        if not cls.__dataclass_params__.eq:  # type: ignore[attr-defined]
            skipped[name] = "eq=False: compared by identity (it holds a DataFrame), not a value"
            continue
        if cls in HAND_MADE:
            skipped[name] = "its checks refuse random fields: hand-made values (HAND_MADE)"
            continue
        try:
            instances_of(cls)
        except Unbuildable as exc:
            skipped[f"{cls.__module__}.{cls.__qualname__}"] = str(exc)
        else:
            ok.append(cls)
    return ok, skipped


BUILDABLE, UNBUILDABLE = buildable()


def test_most_of_the_librarys_frozen_dataclasses_are_generated() -> None:
    # The list of skipped classes is printed by: python -c "import tests.test_codec as t;
    # print(t.UNBUILDABLE)"; a new message type with an unusual field shows up there.
    total = len(BUILDABLE) + len(UNBUILDABLE)
    assert total >= 200 and len(BUILDABLE) >= 0.85 * total, UNBUILDABLE


@pytest.mark.parametrize("cls", BUILDABLE, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
@settings(max_examples=8, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_every_frozen_dataclass_of_dslib_comes_back_equal(cls: type, data: st.DataObject) -> None:
    value = data.draw(instances_of(cls))
    assume(value is not None)
    try:
        text = dumps(value)
    except TypeError as exc:  # a field typed Any held something the codec refuses
        pytest.fail(f"{cls.__qualname__}: {exc}")
    back = loads(text)
    assert back == value
    assert type(back) is cls
    assert dumps(back) == text


@pytest.mark.parametrize(
    "cls", sorted(HAND_MADE, key=lambda c: c.__qualname__), ids=lambda c: c.__qualname__
)
def test_the_hand_made_values_come_back_equal(cls: type) -> None:
    assert HAND_MADE[cls], cls
    for value in HAND_MADE[cls]:
        assert type(value) is cls
        text = dumps(value)
        back = loads(text)
        assert back == value and type(back) is cls and dumps(back) == text


@given(st.binary(max_size=64))
def test_bytes_come_back_equal(value: bytes) -> None:
    assert loads(dumps(value)) == value
    assert loads(dumps((value, frozenset({value})))) == (value, frozenset({value}))


def test_bytes_that_are_not_hex_are_refused() -> None:
    with pytest.raises(ValueError, match="hex digits"):
        decode_value({"$type": "bytes", "hex": "zz"})
    with pytest.raises(ValueError, match="hex digits"):
        decode_value({"$type": "bytes", "hex": 7})
