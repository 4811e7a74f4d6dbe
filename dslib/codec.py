"""The codec: a documented, versioned JSON encoding of the book's messages, states and steps.

Messages and states are frozen dataclasses of plain values; a path through a
system is a list of *steps as data* (``("deliver", src, dst, msg)``, ...). To
save a path, share it, or send a message between real processes, they must
become text and come back **equal** (``decode_value(encode_value(v)) == v``).
JSON alone cannot: it has no tuples, sets, dataclasses or infinity. This
module adds them with a small tagged encoding, and wraps documents in a
header that names the format and its version, so a reader can refuse what it
does not understand instead of misreading it.

The value encoding, version 1:

=================================  ===========================================================
Python value                       JSON
=================================  ===========================================================
``None``, ``bool``, ``str``        themselves
``int``; finite ``float``          themselves
``inf``, ``-inf``, ``nan``         ``{"$type": "float", "value": "inf"}``
``bytes``                          ``{"$type": "bytes", "hex": "00ff..."}`` (keys, MACs,
                                   ciphertexts of chapter 16)
``list``                           an array of the encoded items
``tuple``                          ``{"$type": "tuple", "items": [...]}``
``frozenset``                      ``{"$type": "frozenset", "items": [...]}``, sorted by
                                   ``stable_repr`` so the text does not depend on hashing
``dict``                           ``{"$type": "dict", "items": [[key, value], ...]}`` in
                                   insertion order (keys may be any encodable value)
dataclass                          ``{"$type": "dataclass", "module", "class", "fields"}``
named tuple                        ``{"$type": "namedtuple", "module", "class", "fields"}``
``enum.Enum`` member               ``{"$type": "enum", "module", "class", "name"}``
=================================  ===========================================================

A document is a JSON object ``{"format": ..., "version": 1, ...}``: ``dumps`` and
``loads`` write and read one value (format ``"dslib.value"``); the debugger's
saved paths are documents of format ``"dslib.steps"`` (``dslib.widgets.steps_to_json``).

Examples
--------
>>> from dslib.basics import Ping
>>> text = dumps((Ping(1), frozenset({"b", "a"}), {"x": None}))
>>> text[:48]
'{"format": "dslib.value", "version": 1, "value":'
>>> loads(text) == (Ping(1), frozenset({"a", "b"}), {"x": None})
True
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from dslib.core import stable_repr

__all__ = [
    "VERSION",
    "decode_value",
    "dump_document",
    "dumps",
    "encode_value",
    "load_document",
    "loads",
]

VERSION = 1
"""The version of the encoding that this module writes, and the only one it reads."""

_VALUE_FORMAT = "dslib.value"
_TAGS = "tuple, frozenset, dict, float, bytes, dataclass, namedtuple, enum"


def _short(value: Any, width: int) -> str:
    try:
        text = stable_repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= width else text[: width - 3] + "..."


def _class_path(cls: type) -> tuple[str, str]:
    return cls.__module__, cls.__qualname__


def _importable(cls: type) -> tuple[str, str]:
    module, name = _class_path(cls)
    if "<locals>" in name:
        raise TypeError(
            f"cannot encode an instance of {name}: the class is defined inside a function, so "
            "it could not be imported to decode it; define it at the top level of a module"
        )
    return module, name


def encode_value(value: Any) -> Any:
    """Encode a message, state, timer name or choice as JSON-compatible data.

    See the module docstring for the encoding of each type; ``decode_value``
    inverts it.

    Parameters
    ----------
    value : any
        The value to encode.

    Returns
    -------
    JSON-compatible data (dict, list, str, int, float, bool or None).

    Raises
    ------
    TypeError
        For a value of another type (a set, a bytearray, an arbitrary object), or a
        class defined inside a function (it could not be imported to decode it).

    Examples
    --------
    >>> from dslib.basics import Ping
    >>> encode_value(Ping(3))
    {'$type': 'dataclass', 'module': 'dslib.basics.pingpong', 'class': 'Ping', 'fields': {'seq': 3}}
    >>> encode_value(("timeout", 1))
    {'$type': 'tuple', 'items': ['timeout', 1]}
    >>> encode_value({"a", "b"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: cannot encode a set (set({'a', 'b'})); allowed: None, bool, int, float, str, ...
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"$type": "float", "value": repr(value)}
    if isinstance(value, bytes):
        return {"$type": "bytes", "hex": value.hex()}
    if isinstance(value, enum.Enum):
        module, name = _importable(type(value))
        return {"$type": "enum", "module": module, "class": name, "name": value.name}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        module, name = _importable(type(value))
        fields = {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$type": "dataclass", "module": module, "class": name, "fields": fields}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        module, name = _importable(type(value))
        fields = {f: encode_value(v) for f, v in zip(value._fields, value, strict=True)}
        return {"$type": "namedtuple", "module": module, "class": name, "fields": fields}
    if isinstance(value, tuple):
        return {"$type": "tuple", "items": [encode_value(v) for v in value]}
    if isinstance(value, frozenset):
        items = sorted(value, key=stable_repr)
        return {"$type": "frozenset", "items": [encode_value(v) for v in items]}
    if isinstance(value, dict):
        pairs = [[encode_value(k), encode_value(v)] for k, v in value.items()]
        return {"$type": "dict", "items": pairs}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    raise TypeError(
        f"cannot encode a {type(value).__name__} ({_short(value, 60)}); "
        "allowed: None, bool, int, float, str, bytes, list, tuple, frozenset, dict, enums, "
        "dataclasses and named tuples of these"
    )


def _allowed(module: str, name: str, types: Sequence[type]) -> type:
    """The class ``module.name``, if it may be loaded: a dslib class or one of ``types``."""
    for cls in types:
        if _class_path(cls) == (module, name):
            return cls
    if not (module == "dslib" or module.startswith("dslib.")):
        raise ValueError(
            f"refusing to load class {module}.{name}: only classes of dslib are loaded "
            f"by default; if you trust this file, pass it: types=[{name}]"
        )
    try:
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        raise ValueError(f"cannot load class {module}.{name}: there is no such class") from None
    if not isinstance(obj, type):
        raise ValueError(f"cannot load {module}.{name}: it is not a class")
    return obj


def decode_value(data: Any, types: Sequence[type] = ()) -> Any:
    """Decode what ``encode_value`` produced.

    Classes are imported by module and name. Only classes of ``dslib`` are
    loaded unless others are passed in ``types`` (a JSON file from someone
    else must not make you import arbitrary modules).

    Parameters
    ----------
    data : JSON-compatible data
        From ``encode_value`` (or ``json.loads`` of it).
    types : sequence of type, optional
        Further classes that may be loaded (for example messages defined in a notebook).

    Returns
    -------
    The value.

    Raises
    ------
    ValueError
        For an unknown tag, a class that is not allowed or does not exist, or a
        class of the wrong kind.

    Examples
    --------
    >>> from dslib.small_systems.mutex import LockRequest
    >>> value = (LockRequest(2), frozenset({"b", "a"}), {1: [None]})
    >>> decode_value(encode_value(value)) == value
    True
    >>> bad = {"$type": "dataclass", "module": "os", "class": "X", "fields": {}}
    >>> decode_value(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: refusing to load class os.X: only classes of dslib are loaded by default; ...
    """
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode_value(v, types) for v in data]
    if not isinstance(data, dict) or "$type" not in data:
        raise ValueError(f"cannot decode {_short(data, 80)}: not an encoded value")
    tag = data["$type"]
    try:
        if tag == "tuple":
            return tuple(decode_value(v, types) for v in data["items"])
        if tag == "frozenset":
            return frozenset(decode_value(v, types) for v in data["items"])
        if tag == "dict":
            return {decode_value(k, types): decode_value(v, types) for k, v in data["items"]}
        if tag == "float":
            if data["value"] not in ("inf", "-inf", "nan"):
                raise ValueError(f"cannot decode float {data['value']!r}")
            return float(data["value"])
        if tag == "bytes":
            try:
                return bytes.fromhex(data["hex"])
            except (TypeError, ValueError):
                shown = _short(data["hex"], 40)
                raise ValueError(
                    f"cannot decode bytes {shown}: expected a string of hex digits"
                ) from None
        if tag in ("dataclass", "namedtuple", "enum"):
            return _decode_class(tag, data, types)
    except KeyError as exc:
        raise ValueError(f"cannot decode {_short(data, 80)}: missing {exc}") from None
    raise ValueError(f"cannot decode a value tagged {tag!r}; known tags: {_TAGS}")


def _decode_class(tag: str, data: dict[str, Any], types: Sequence[type]) -> Any:
    cls = _allowed(str(data["module"]), str(data["class"]), types)
    if tag == "enum":
        if not issubclass(cls, enum.Enum):
            raise ValueError(f"cannot decode: {cls.__qualname__} is not an Enum")
        return cls[data["name"]]
    fields = {k: decode_value(v, types) for k, v in data["fields"].items()}
    if tag == "namedtuple":
        if not (issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise ValueError(f"cannot decode: {cls.__qualname__} is not a named tuple")
        return cls(**fields)
    if not dataclasses.is_dataclass(cls):
        raise ValueError(f"cannot decode: {cls.__qualname__} is not a dataclass")
    init = {f.name for f in dataclasses.fields(cls) if f.init}
    obj = cls(**{k: v for k, v in fields.items() if k in init})
    for k, v in fields.items():
        if k not in init:  # a field the constructor computes: restore what was saved
            object.__setattr__(obj, k, v)
    return obj


# -- documents ----------------------------------------------------------------------------
def dump_document(format: str, body: Mapping[str, Any], indent: int | None = None) -> str:
    """A JSON document: ``{"format": format, "version": VERSION, **body}``.

    The body's values must already be JSON-compatible (encode values with
    ``encode_value``). Non-ASCII text is kept as it is; ``inf`` and ``nan`` must
    have been encoded (a bare one is refused, as JSON has none).

    Parameters
    ----------
    format : str
        What the document holds, such as ``"dslib.steps"``.
    body : mapping of str to JSON-compatible data
        The rest of the document, in order.
    indent : int, optional
        Pretty-print with this indentation (default: one line).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the body uses the keys ``format`` or ``version``, or holds a bare ``inf``/``nan``.

    Examples
    --------
    >>> dump_document("demo", {"items": [1, 2]})
    '{"format": "demo", "version": 1, "items": [1, 2]}'
    """
    clash = sorted({"format", "version"} & set(body))
    if clash:
        raise ValueError(f"dump_document: the body may not use the header keys {clash}")
    payload = {"format": format, "version": VERSION, **body}
    return json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)


def load_document(text: str, format: str, what: str = "load_document") -> dict[str, Any]:
    """Read a document written by ``dump_document``: check its format and version.

    Parameters
    ----------
    text : str
        The JSON text.
    format : str
        The format expected.
    what : str, optional
        How error messages name the reader (the public function that called this one).

    Returns
    -------
    dict
        The whole document, header included.

    Raises
    ------
    TypeError
        If ``text`` is not a str.
    ValueError
        If it is not JSON, not a document of ``format``, or of another version.

    Examples
    --------
    >>> load_document('{"format": "demo", "version": 1, "items": []}', "demo")
    {'format': 'demo', 'version': 1, 'items': []}
    >>> load_document('{"format": "demo", "version": 2}', "demo")
    Traceback (most recent call last):
    ...
    ValueError: load_document: unknown version 2 (this dslib reads version 1)
    """
    if not isinstance(text, str):
        raise TypeError(f"{what} takes the JSON text (a str), got {type(text).__name__}")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what}: not JSON: {exc}") from None
    if not isinstance(payload, dict) or payload.get("format") != format:
        raise ValueError(f'{what}: expected an object with "format": "{format}"')
    if payload.get("version") != VERSION:
        raise ValueError(
            f"{what}: unknown version {payload.get('version')!r} (this dslib reads version "
            f"{VERSION})"
        )
    return payload


def dumps(value: Any, indent: int | None = None) -> str:
    """One value as a JSON document of format ``"dslib.value"``.

    Parameters
    ----------
    value : any encodable value (see ``encode_value``)
    indent : int, optional
        Pretty-print with this indentation.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If the value cannot be encoded.

    Examples
    --------
    >>> dumps(float("inf"))
    '{"format": "dslib.value", "version": 1, "value": {"$type": "float", "value": "inf"}}'
    """
    return dump_document(_VALUE_FORMAT, {"value": encode_value(value)}, indent)


def loads(text: str, types: Sequence[type] = ()) -> Any:
    """The value of a document written by ``dumps``.

    Parameters
    ----------
    text : str
        The JSON text.
    types : sequence of type, optional
        Classes outside ``dslib`` that may be loaded (see ``decode_value``).

    Returns
    -------
    The value.

    Raises
    ------
    ValueError
        If the text is not such a document, or holds a value that cannot be decoded.

    Examples
    --------
    >>> loads(dumps({"a": (1, 2)}))
    {'a': (1, 2)}
    >>> loads("[1]")
    Traceback (most recent call last):
    ...
    ValueError: loads: expected an object with "format": "dslib.value"
    """
    payload = load_document(text, _VALUE_FORMAT, "loads")
    if "value" not in payload:
        raise ValueError('loads: the document has no "value"')
    return decode_value(payload["value"], types)
