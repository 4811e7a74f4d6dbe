"""Schema evolution: reader/writer resolution, compatibility, rolling upgrades (5.7)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.architectures.schema import (
    MUTANTS,
    SCHEMA_CHECKS,
    SCHEMA_MUTANTS,
    Field,
    Schema,
    SchemaError,
    compatibility,
    decode,
    encode,
    read_problems,
    readable_by_decoding,
    rolling_upgrade,
)
from dslib.mutants import assert_mutants_caught

_DEFAULTS = {"int": 0, "float": 0.0, "str": "", "bool": False}


@st.composite
def schemas(draw: st.DrawFn, version: int) -> Schema:
    names = draw(st.lists(st.sampled_from("abcd"), unique=True, max_size=4))
    fields = []
    for name in names:
        type_ = draw(st.sampled_from(sorted(_DEFAULTS)))
        default = _DEFAULTS[type_] if draw(st.booleans()) else None
        fields.append(Field(name, type_, default))
    return Schema("m", version, tuple(fields))


@settings(max_examples=150)
@given(schemas(1), schemas(2))
def test_the_static_check_agrees_with_decoding(writer: Schema, reader: Schema) -> None:
    assert (not read_problems(reader, writer)) == readable_by_decoding(reader, writer)


@pytest.mark.parametrize(
    ("new_fields", "expected"),
    [
        ((Field("item", "str"), Field("qty", "int"), Field("note", "str", "")), "full"),
        ((Field("item", "str"), Field("qty", "int"), Field("gift", "bool")), "forward"),
        ((Field("item", "str"),), "backward"),
        ((Field("item", "str"), Field("qty", "float")), "backward"),
        ((Field("item", "str"), Field("qty", "str")), "none"),
    ],
)
def test_each_kind_of_change(new_fields: tuple[Field, ...], expected: str) -> None:
    old = Schema("order", 1, (Field("item", "str"), Field("qty", "int")))
    assert compatibility(old, Schema("order", 2, new_fields)) == expected


def test_decoding_fills_defaults_ignores_extras_and_promotes() -> None:
    w = Schema("o", 1, (Field("qty", "int"), Field("extra", "str")))
    r = Schema("o", 2, (Field("qty", "float"), Field("note", "str", "none")))
    assert decode(encode({"qty": 3, "extra": "x"}, w), w, r) == {"qty": 3.0, "note": "none"}


def test_the_safe_order_is_the_one_the_classification_names() -> None:
    old = Schema("o", 1, (Field("qty", "int"),))
    forward = Schema("o", 2, (Field("qty", "int"), Field("item", "str")))  # a required field
    backward = Schema("o", 2, ())  # a required field removed
    total = lambda a, b, order: sum(r["unreadable"] for r in rolling_upgrade(a, b, order))  # noqa: E731
    assert total(old, forward, "producers first") == 0 < total(old, forward, "consumers first")
    assert total(old, backward, "consumers first") == 0 < total(old, backward, "producers first")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Field("a", "long"), ValueError, "allowed: int"),
        (lambda: Field("a", "int", default="0"), ValueError, "is not a int"),
        (lambda: Field("a", "float", default=1), ValueError, "is not a float"),
        (lambda: encode({"b": 1}, Schema("o", 1, (Field("a", "int"),))), SchemaError, "no field"),
        (lambda: encode({}, Schema("o", 1, (Field("a", "int"),))), SchemaError, "no default"),
        (
            lambda: rolling_upgrade(Schema("o", 1, ()), Schema("o", 2, ()), "random"),
            ValueError,
            "allowed: consumers first",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message(call: object, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()  # type: ignore[operator]


def test_every_mutant_is_caught_by_its_check() -> None:
    assert {m.name for m in SCHEMA_MUTANTS} == set(MUTANTS)
    assert_mutants_caught(lambda: None, SCHEMA_MUTANTS, SCHEMA_CHECKS)
