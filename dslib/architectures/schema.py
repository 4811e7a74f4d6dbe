"""Schema evolution: reader and writer schemas, compatibility, and a rolling upgrade.

Services that exchange messages are not upgraded all at once: during a rolling upgrade
old and new versions run side by side, so a message written with one version of its schema
is read with another. The rules are those of Avro's *schema resolution* (Apache Avro 1.11
specification, section "Schema Resolution"): the reader matches the writer's fields by name;
a field the writer has and the reader lacks is ignored; a field the reader has and the
writer lacks takes the reader's **default**, and without one the message cannot be read; a
field in both must have the same type, or one the writer's promotes to (an ``int`` is read
as a ``float``, not the other way).

A change from ``old`` to ``new`` is **backward compatible** if the new version can read
what the old one wrote (upgrade the readers first), **forward compatible** if the old
version can read what the new one writes (upgrade the writers first), and **full** if both
(Kleppmann, *Designing Data-Intensive Applications*, 2017, ch. 4 "Encoding and Evolution",
section "Avro", "Schema evolution rules").

- ``Field``, ``Schema``; ``encode`` and ``decode`` (``SchemaError`` when unreadable);
- ``read_problems(reader, writer)``: the static check; ``compatibility(old, new)``;
- ``readable_by_decoding``: the brute-force oracle (decode sample messages);
- ``rolling_upgrade``: producers and consumers upgraded one at a time, failed reads counted;
- ``MUTANTS`` (``mutant=`` of ``read_problems``), ``SCHEMA_MUTANTS``, ``SCHEMA_CHECKS``.

Examples
--------
>>> v1 = Schema("order", 1, (Field("item", "str"), Field("qty", "int")))
>>> v2 = Schema("order", 2, (*v1.fields, Field("note", "str", default="")))
>>> compatibility(v1, v2)
'full'
>>> decode(encode({"item": "pen", "qty": 2}, v1), writer=v1, reader=v2)
{'item': 'pen', 'qty': 2, 'note': ''}
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dslib.mutants import Mutant, Outcome, check_mutant

__all__ = [
    "COMPATIBILITIES",
    "MUTANTS",
    "ORDERS",
    "PROMOTIONS",
    "SCHEMA_CHECKS",
    "SCHEMA_MUTANTS",
    "TYPES",
    "Field",
    "Schema",
    "SchemaError",
    "compatibility",
    "decode",
    "encode",
    "read_problems",
    "readable_by_decoding",
    "rolling_upgrade",
]

TYPES: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool}
"""The field types, and the Python type of their values."""

PROMOTIONS = frozenset({("int", "float")})
"""(writer type, reader type) pairs read by promotion: an int is read as a float."""

COMPATIBILITIES = ("full", "backward", "forward", "none")

ORDERS = ("consumers first", "producers first", "alternating")
"""The orders in which ``rolling_upgrade`` upgrades the services."""

MUTANTS: dict[str, str] = {
    "ignores-defaults": "a reader field the writer lacks is a problem even when it has a default",
    "no-type-check": "a field in both schemas is readable whatever its two types",
    "promotes-both-ways": "a float is read as an int, as well as an int as a float",
}
"""Broken versions of ``read_problems``, selected with ``mutant=``: name -> what is wrong."""

_SAMPLES: dict[str, tuple[Any, ...]] = {
    "int": (0, -7),
    "float": (0.5, 2.0),
    "str": ("", "pen"),
    "bool": (False, True),
}


class SchemaError(ValueError):
    """A message that cannot be written or read with the schemas given."""


@dataclass(frozen=True)
class Field:
    """A field: its ``name``, its ``type`` (a key of ``TYPES``) and a ``default`` (``None``:
    no default, so a reader cannot do without it).

    Examples
    --------
    >>> Field("note", "str", default="")
    Field(name='note', type='str', default='')
    """

    name: str
    type: str
    default: int | float | str | bool | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name):
            raise ValueError(f"Field: name={self.name!r} must be a non-empty string")
        if self.type not in TYPES:
            raise ValueError(
                f"Field {self.name!r}: type={self.type!r}; allowed: {', '.join(TYPES)}"
            )
        if self.default is not None and not _has_type(self.default, self.type):
            raise ValueError(f"Field {self.name!r}: default={self.default!r} is not a {self.type}")


def _has_type(value: Any, type_: str) -> bool:
    if type_ == "float":
        return isinstance(value, float)
    return isinstance(value, TYPES[type_]) and (type_ == "bool") == isinstance(value, bool)


@dataclass(frozen=True)
class Schema:
    """A message schema: ``name``, ``version`` and its ``fields`` (names unique).

    Examples
    --------
    >>> Schema("order", 1, (Field("item", "str"),)).label
    'order v1'
    >>> Schema("order", 1, (Field("a", "str"), Field("a", "int")))
    Traceback (most recent call last):
    ...
    ValueError: Schema order v1: field 'a' appears twice
    """

    name: str
    version: int
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.fields, tuple) or not all(isinstance(f, Field) for f in self.fields):
            raise TypeError(f"Schema {self.label}: fields must be a tuple of Field values")
        names = [f.name for f in self.fields]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"Schema {self.label}: field {name!r} appears twice")

    @property
    def label(self) -> str:
        """``"name vVERSION"``."""
        return f"{self.name} v{self.version}"

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or ``None``."""
        return next((f for f in self.fields if f.name == name), None)


def encode(record: Mapping[str, Any], writer: Schema) -> tuple[tuple[str, Any], ...]:
    """Write ``record`` with the ``writer`` schema: every field of it, in its order (a field
    missing from the record takes its default).

    Raises
    ------
    SchemaError
        A field missing with no default, a value of the wrong type, or an unknown field.

    Examples
    --------
    >>> encode({"qty": 2}, Schema("o", 1, (Field("qty", "int"), Field("note", "str", ""))))
    (('qty', 2), ('note', ''))
    """
    unknown = sorted(set(record) - {f.name for f in writer.fields})
    if unknown:
        raise SchemaError(f"{writer.label} has no field {unknown[0]!r}")
    out = []
    for f in writer.fields:
        if f.name not in record and f.default is None:
            raise SchemaError(f"{writer.label}: field {f.name!r} is missing and has no default")
        value = record.get(f.name, f.default)
        if not _has_type(value, f.type):
            raise SchemaError(f"{writer.label}: field {f.name!r} must be {f.type}, got {value!r}")
        out.append((f.name, value))
    return tuple(out)


def decode(data: Sequence[tuple[str, Any]], writer: Schema, reader: Schema) -> dict[str, Any]:
    """Read ``data``, written with ``writer``, as the ``reader`` schema (Avro's resolution).

    Raises
    ------
    SchemaError
        If a reader field is missing from the writer and has no default, or its two types
        differ and the writer's does not promote to the reader's.

    Examples
    --------
    >>> old = Schema("o", 1, (Field("qty", "int"),))
    >>> decode((("qty", 2),), writer=old, reader=Schema("o", 2, (Field("qty", "float"),)))
    {'qty': 2.0}
    >>> decode((("qty", 2),), writer=old, reader=Schema("o", 2, (Field("item", "str"),)))
    Traceback (most recent call last):
    ...
    dslib.architectures.schema.SchemaError: o v2 reading o v1: field 'item' is missing ...
    """
    values = dict(data)
    out: dict[str, Any] = {}
    for f in reader.fields:
        theirs = writer.field(f.name)
        where = f"{reader.label} reading {writer.label}: field {f.name!r}"
        if theirs is None:
            if f.default is None:
                raise SchemaError(f"{where} is missing and has no default")
            out[f.name] = f.default
        elif theirs.type == f.type:
            out[f.name] = values[f.name]
        elif (theirs.type, f.type) in PROMOTIONS:
            out[f.name] = float(values[f.name])
        else:
            raise SchemaError(f"{where} is {theirs.type}, read as {f.type}")
    return out


def read_problems(reader: Schema, writer: Schema, mutant: str | None = None) -> list[str]:
    """Why some message written with ``writer`` cannot be read with ``reader`` (empty: every
    message can).

    Examples
    --------
    >>> old = Schema("o", 1, (Field("item", "str"), Field("qty", "int")))
    >>> new = Schema("o", 2, (Field("item", "str"), Field("qty", "float"), Field("gift", "bool")))
    >>> read_problems(new, old)
    ["field 'gift' is missing from o v1 and has no default"]
    >>> read_problems(old, new)
    ["field 'qty' is float in o v2, int in o v1"]
    """
    check_mutant("read_problems", mutant, MUTANTS)
    problems = []
    for f in reader.fields:
        theirs = writer.field(f.name)
        if theirs is None:
            if f.default is None or mutant == "ignores-defaults":  # mutant: a default is no help
                problems.append(
                    f"field {f.name!r} is missing from {writer.label} and has no default"
                )
            continue
        if mutant == "no-type-check":  # mutant: any two types will do
            continue
        pair = (theirs.type, f.type)
        if mutant == "promotes-both-ways":  # mutant: float -> int as well
            pair = tuple(sorted(pair))  # type: ignore[assignment]
        if theirs.type != f.type and pair not in PROMOTIONS:
            problems.append(
                f"field {f.name!r} is {theirs.type} in {writer.label}, {f.type} in {reader.label}"
            )
    return problems


def compatibility(old: Schema, new: Schema) -> str:
    """``"full"``, ``"backward"`` (new reads old), ``"forward"`` (old reads new) or ``"none"``.

    Examples
    --------
    >>> a = Schema("o", 1, (Field("qty", "int"),))
    >>> compatibility(a, Schema("o", 2, (Field("qty", "float"),)))
    'backward'
    """
    backward = not read_problems(new, old)
    forward = not read_problems(old, new)
    return {(True, True): "full", (True, False): "backward", (False, True): "forward"}.get(
        (backward, forward), "none"
    )


def readable_by_decoding(reader: Schema, writer: Schema) -> bool:
    """The brute-force oracle: write every combination of sample values with ``writer`` and
    try to read each with ``reader``. ``True`` if every one decodes, to the values written
    (a field the writer lacks to the reader's default; an int read as a float to the same
    number).

    Examples
    --------
    >>> a = Schema("o", 1, (Field("qty", "int"),))
    >>> readable_by_decoding(a, Schema("o", 2, (Field("qty", "float"),)))
    False
    """
    names = [f.name for f in writer.fields]
    for values in itertools.product(*(_SAMPLES[f.type] for f in writer.fields)):
        record = dict(zip(names, values, strict=True))
        try:
            got = decode(encode(record, writer), writer, reader)
        except SchemaError:
            return False
        for f in reader.fields:
            expected = record.get(f.name, f.default)
            if got[f.name] != expected or not _has_type(got[f.name], f.type):
                return False
    return True


def rolling_upgrade(
    old: Schema, new: Schema, order: str, producers: int = 2, consumers: int = 2
) -> list[dict[str, Any]]:
    """Upgrade ``producers`` and ``consumers`` from ``old`` to ``new`` one at a time.

    Before the first upgrade and after each, every producer sends one message to every
    consumer; a consumer reads it with its own schema. ``order`` is one of ``ORDERS``.

    Returns
    -------
    list of dict
        One row per stage: ``upgraded`` (the service just upgraded), ``new producers``,
        ``new consumers``, ``messages``, ``unreadable``.

    Examples
    --------
    >>> a = Schema("o", 1, (Field("qty", "int"),))
    >>> b = Schema("o", 2, (Field("qty", "int"), Field("item", "str")))
    >>> sum(r["unreadable"] for r in rolling_upgrade(a, b, "producers first"))
    0
    >>> sum(r["unreadable"] for r in rolling_upgrade(a, b, "consumers first"))
    8
    """
    if order not in ORDERS:
        raise ValueError(f"rolling_upgrade: order={order!r}; allowed: {', '.join(ORDERS)}")
    for name, n in (("producers", producers), ("consumers", consumers)):
        if not (isinstance(n, int) and n >= 1):
            raise ValueError(f"rolling_upgrade: {name}={n!r} must be an int >= 1")
    ps = [f"producer {i}" for i in range(1, producers + 1)]
    cs = [f"consumer {i}" for i in range(1, consumers + 1)]
    if order == "consumers first":
        steps = cs + ps
    elif order == "producers first":
        steps = ps + cs
    else:
        steps = [s for pair in itertools.zip_longest(ps, cs) for s in pair if s is not None]
    upgraded: set[str] = set()
    rows = []
    record = {f.name: _SAMPLES[f.type][1] for f in old.fields}
    new_record = {f.name: _SAMPLES[f.type][1] for f in new.fields}
    for step in ["(none)", *steps]:
        if step != "(none)":
            upgraded.add(step)
        unreadable = 0
        for p in ps:
            writer, data = (new, new_record) if p in upgraded else (old, record)
            for c in cs:
                reader = new if c in upgraded else old
                try:
                    decode(encode(data, writer), writer, reader)
                except SchemaError:
                    unreadable += 1
        rows.append(
            {
                "upgraded": step,
                "new producers": sum(p in upgraded for p in ps),
                "new consumers": sum(c in upgraded for c in cs),
                "messages": len(ps) * len(cs),
                "unreadable": unreadable,
            }
        )
    return rows


# == checks and mutants =========================================================================
def _small_schemas(version: int) -> list[Schema]:
    """Every schema with fields among ``a`` and ``b``, of type int, float or str, each
    with or without a default: 49 of them."""
    options: list[Field | None] = [None]
    choices = []
    for name in ("a", "b"):
        opts = list(options)
        for type_ in ("int", "float", "str"):
            opts += [Field(name, type_), Field(name, type_, _SAMPLES[type_][0])]
        choices.append(opts)
    return [
        Schema("m", version, tuple(f for f in combo if f is not None))
        for combo in itertools.product(*choices)
    ]


def check_against_decoding(mutant: str | None) -> Outcome:
    """On every pair of the 49 small schemas, ``read_problems`` finds no problem exactly
    when every sample message decodes. The counterexample length is the number of fields
    of the smallest disagreeing pair."""
    bad = [
        len(r.fields) + len(w.fields)
        for r in _small_schemas(2)
        for w in _small_schemas(1)
        if (not read_problems(r, w, mutant=mutant)) != readable_by_decoding(r, w)
    ]
    return Outcome(not bad, min(bad) if bad else None)


def check_upgrade_order(mutant: str | None) -> Outcome:
    """For every small pair classified backward (or forward), upgrading consumers (or
    producers) first leaves no message unreadable: the classification tells the safe order."""
    safe = {"backward": "consumers first", "forward": "producers first"}
    bad = []
    for old in _small_schemas(1):
        for new in _small_schemas(2):
            backward = not read_problems(new, old, mutant=mutant)
            forward = not read_problems(old, new, mutant=mutant)
            kinds = [k for k, ok in (("backward", backward), ("forward", forward)) if ok]
            for kind in kinds:
                rows = rolling_upgrade(old, new, safe[kind], 1, 1)
                if any(r["unreadable"] for r in rows):
                    bad.append(len(old.fields) + len(new.fields))
    return Outcome(not bad, min(bad) if bad else None)


SCHEMA_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "agrees with decoding": check_against_decoding,
    "safe upgrade order": check_upgrade_order,
}
"""Named checks of ``read_problems`` (``None`` = correct), over all 2,401 small pairs."""

SCHEMA_MUTANTS: list[Mutant[str | None]] = [
    Mutant(name, bug, lambda name=name: name, ("agrees with decoding",))  # type: ignore[misc]
    for name, bug in MUTANTS.items()
]
"""The mutants, for ``run_mutants(lambda: None, SCHEMA_MUTANTS, SCHEMA_CHECKS)``."""
