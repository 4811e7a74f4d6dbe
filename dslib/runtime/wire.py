"""What crosses a process boundary in the real runtime: datagrams, node specs, durable state.

Three things leave a node's process, and each is a ``dslib.codec`` document, never a
pickle: a pickle runs code when it is loaded, and it ties the bytes to one Python
version, while a JSON document can be read by a person, a proxy or another language.

- A **datagram** carries one message: ``{"format": "dslib.datagram", "version": 1,
  "src": ..., "dst": ..., "msg": ...}``, UTF-8, at most ``MAX_DATAGRAM`` bytes. It names
  its source and destination itself, so that a proxy put between two nodes (the
  nemesis of a later part) can forward it without knowing who sent it.
- A **node spec** says how a process rebuilds the node the ``System`` holds: the
  node's class by import path and its attributes (its configuration) as codec values.
- The **durable value** is what the node last gave ``ctx.persist``, written to a file
  atomically and with ``fsync``, so that a ``kill -9`` leaves the old value or the new
  one, never a torn file.

Examples
--------
>>> from dslib.basics import Ping
>>> data = encode_datagram("pinger", "ponger", Ping(3))
>>> data[:50]
b'{"format": "dslib.datagram", "version": 1, "src": '
>>> decode_datagram(data)
('pinger', 'ponger', Ping(seq=3))
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

from dslib.codec import decode_value, dump_document, dumps, encode_value, load_document, loads
from dslib.core import NOTHING_PERSISTED, Node

__all__ = [
    "DATAGRAM_FORMAT",
    "MAX_DATAGRAM",
    "build_node",
    "decode_datagram",
    "encode_datagram",
    "import_class",
    "node_spec",
    "read_durable",
    "write_durable",
]

DATAGRAM_FORMAT = "dslib.datagram"
"""The ``format`` of a datagram document."""

MAX_DATAGRAM = 65_507
"""The largest UDP payload over IPv4 (65,535 minus the 8-byte UDP and 20-byte IP headers)."""


def encode_datagram(src: str, dst: str, msg: Any) -> bytes:
    """The datagram that carries ``msg`` from node ``src`` to node ``dst``.

    Parameters
    ----------
    src, dst : str
        The sending and the receiving node.
    msg : any codec value
        The message (see ``dslib.codec.encode_value`` for what can be encoded).

    Returns
    -------
    bytes
        UTF-8 JSON, at most ``MAX_DATAGRAM`` bytes.

    Raises
    ------
    TypeError
        If the message cannot be encoded (a set, an arbitrary object, a class defined
        inside a function).
    ValueError
        If the encoded message is larger than one UDP datagram.

    Examples
    --------
    >>> encode_datagram("a", "b", ("hello", 1))
    b'{"format": "dslib.datagram", "version": 1, "src": "a", "dst": "b", "msg": {"$type": "tuple", "items": ["hello", 1]}}'
    """  # noqa: E501
    body = {"src": src, "dst": dst, "msg": encode_value(msg)}
    data = dump_document(DATAGRAM_FORMAT, body).encode("utf-8")
    if len(data) > MAX_DATAGRAM:
        raise ValueError(
            f"node {src!r} sent a message to {dst!r} that encodes to {len(data):,} bytes; "
            f"one UDP datagram holds at most {MAX_DATAGRAM:,}: send smaller messages "
            "(for example a log in batches)"
        )
    return data


def decode_datagram(data: bytes, types: Sequence[type] = ()) -> tuple[str, str, Any]:
    """``(src, dst, msg)`` from a datagram written by ``encode_datagram``.

    Parameters
    ----------
    data : bytes
        The datagram's payload.
    types : sequence of type, optional
        Message classes outside ``dslib`` that may be loaded (see
        ``dslib.codec.decode_value``).

    Returns
    -------
    (str, str, any)

    Raises
    ------
    ValueError
        If the bytes are not a datagram document (``"not a datagram"`` in the message:
        a stray packet), or if the message in it cannot be decoded (a class that is not
        allowed or does not exist).

    Examples
    --------
    >>> decode_datagram(b"hello")
    Traceback (most recent call last):
    ...
    ValueError: not a datagram: decode_datagram: not JSON: Expecting value: line 1 column 1 (char 0)
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not a datagram: not UTF-8 ({exc})") from None
    try:
        doc = load_document(text, DATAGRAM_FORMAT, "decode_datagram")
    except ValueError as exc:
        raise ValueError(f"not a datagram: {exc}") from None
    src, dst = doc.get("src"), doc.get("dst")
    if not (isinstance(src, str) and isinstance(dst, str) and "msg" in doc):
        raise ValueError("not a datagram: it needs string src and dst, and a msg")
    return src, dst, decode_value(doc["msg"], types)


# -- node specs ---------------------------------------------------------------------------
def _import_path(module: str, qualname: str) -> Any:
    """The object ``module.qualname`` (a class or a function), imported."""
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImportError(f"module {module!r} has no attribute {qualname!r}") from None
    return obj


def import_class(module: str, qualname: str) -> type:
    """The class ``module.qualname``, imported.

    Raises
    ------
    ImportError
        If the module cannot be imported, or has no such class.

    Examples
    --------
    >>> import_class("dslib.basics.pingpong", "Pinger")
    <class 'dslib.basics.pingpong.Pinger'>
    """
    try:
        obj = _import_path(module, qualname)
    except ImportError as exc:
        if "has no attribute" in str(exc):
            raise ImportError(f"module {module!r} has no class {qualname!r}") from None
        raise
    if not isinstance(obj, type):
        raise ImportError(f"{module}.{qualname} is not a class")
    return obj


def _classes_in(data: Any) -> Iterator[tuple[str, str]]:
    """Every ``(module, class)`` that an encoded value names, depth first."""
    if isinstance(data, list):
        for item in data:
            yield from _classes_in(item)
    elif isinstance(data, dict):
        if data.get("$type") in ("dataclass", "namedtuple", "enum"):
            yield str(data["module"]), str(data["class"])
        for item in data.values():
            yield from _classes_in(item)


def _path_of(obj: Any, what: str) -> list[str]:
    """``[module, qualname]`` of a class or function that another process can import."""
    module, qualname = obj.__module__, obj.__qualname__
    if module == "__main__" or "<" in qualname:
        if module == "__main__":
            place = "is defined in __main__ (a script or a notebook)"
        elif "<lambda>" in qualname:
            place = "is a lambda"
        else:
            place = "is defined inside a function"
        raise TypeError(
            f"{what} {place}, so the node's own process cannot import it; "
            "define it at the top level of a module (a .py file on the path)"
        )
    try:
        found = _import_path(module, qualname)
    except ImportError as exc:
        raise TypeError(f"{what} cannot be imported by path ({exc})") from None
    if found is not obj:
        raise TypeError(f"{what}: {module}.{qualname} names another object")
    return [module, qualname]


def _encode_config(value: Any, what: str) -> dict[str, Any]:
    """A node's configuration value, for its process: ``value``, ``ref`` or ``object``.

    A codec value is encoded as one (``{"value": ...}``); a class or function by its
    import path (``{"ref": [module, name]}``); any other object, such as a state
    machine or a config dataclass that holds one, by its class and its attributes
    (``{"object": [module, class], "attrs": {...}}``), as unpickling would rebuild it.
    This is for configuration only, which the cluster itself writes: messages and
    states stay codec values.
    """
    try:
        return {"value": encode_value(value)}
    except TypeError as exc:
        error = exc
    if isinstance(value, (type, FunctionType)):
        return {"ref": _path_of(value, what)}
    if hasattr(value, "__dict__") and not isinstance(value, ModuleType):
        attrs = {
            name: _encode_config(item, f"{what}.{name}")
            for name, item in sorted(vars(value).items())
        }
        return {
            "object": _path_of(type(value), f"{what} (a {type(value).__qualname__})"),
            "attrs": attrs,
        }
    raise TypeError(f"{what} cannot be sent to the node's process: {error}")


def _decode_config(data: dict[str, Any], types: Sequence[type]) -> Any:
    """Invert ``_encode_config``."""
    if "value" in data:
        return decode_value(data["value"], types)
    if "ref" in data:
        return _import_path(*data["ref"])
    cls: Any = import_class(*data["object"])
    obj = cls.__new__(cls)
    # Through __dict__, not setattr: a frozen dataclass refuses setattr.
    obj.__dict__.update({k: _decode_config(v, types) for k, v in data["attrs"].items()})
    return obj


def node_spec(node_id: str, node: Node[Any]) -> dict[str, Any]:
    """How a new process rebuilds ``node``: its class by import path, its attributes encoded.

    A node holds configuration only (DESIGN section 2), so its class and attributes
    are all it is; the process creates an instance without calling ``__init__`` and
    gives it those attributes, as unpickling would, but from JSON. An attribute is a
    codec value, a class or function (sent by import path), or an object made of
    these (sent by class and attributes, such as a ``RaftConfig`` holding a state
    machine).

    Parameters
    ----------
    node_id : str
        The node's id, for error messages.
    node : Node
        The node of the ``System``.

    Returns
    -------
    dict
        ``{"module", "class", "attrs", "classes"}``: JSON-compatible; ``classes`` lists
        the classes the attributes' codec values name, which the process may load to
        decode them.

    Raises
    ------
    TypeError
        If the class, or a class or function an attribute holds, could not be
        imported by another process (defined in ``__main__``, such as a notebook, or
        inside a function), or an attribute cannot be encoded (a lambda, a set).

    Examples
    --------
    >>> from dslib.basics import Pinger
    >>> spec = node_spec("pinger", Pinger(count=2))
    >>> spec["module"], spec["class"], spec["attrs"]["count"], spec["classes"]
    ('dslib.basics.pingpong', 'Pinger', {'value': 2}, [])
    >>> build_node(spec).count
    2
    """
    cls = type(node)
    where = f"node {node_id!r} ({cls.__qualname__})"
    module, qualname = _path_of(cls, f"{where}: its class")
    if not hasattr(node, "__dict__"):
        raise TypeError(
            f"{where}: the node has no __dict__ (slots?); keep its configuration "
            "in ordinary attributes"
        )
    attrs = {
        name: _encode_config(value, f"{where}: its attribute {name!r}")
        for name, value in sorted(vars(node).items())
    }
    classes = sorted(set(_classes_in(list(attrs.values()))))
    return {"module": module, "class": qualname, "attrs": attrs, "classes": classes}


def build_node(spec: dict[str, Any], types: Sequence[type] = ()) -> Node[Any]:
    """The node that ``node_spec`` describes (imports its class and the classes it names).

    Parameters
    ----------
    spec : dict
        From ``node_spec``.
    types : sequence of type, optional
        Further classes that the attributes' values may hold.

    Returns
    -------
    Node

    Raises
    ------
    ImportError
        If a class cannot be imported in this process.
    TypeError
        If the class is not a ``dslib.Node``.

    Examples
    --------
    >>> from dslib.replication.abd import abd_system
    >>> replica = abd_system(3, 1)["s1"]
    >>> build_node(node_spec("s1", replica)).read_decision is replica.read_decision
    True
    """
    cls = import_class(spec["module"], spec["class"])
    if not issubclass(cls, Node):
        raise TypeError(f"{spec['module']}.{spec['class']} is not a dslib.Node class")
    loaded = [*types, *(import_class(m, c) for m, c in spec["classes"])]
    node: Node[Any] = cls.__new__(cls)
    node.__dict__.update({k: _decode_config(v, loaded) for k, v in spec["attrs"].items()})
    return node


# -- durable storage ----------------------------------------------------------------------
def write_durable(path: Path, value: Any) -> None:
    """Replace the durable value at ``path``, atomically and durably.

    The value is written to a temporary file beside ``path``, flushed to the disk with
    ``fsync``, renamed over ``path`` (atomic on POSIX), and the directory is synced so
    that the rename itself survives a power cut. A process killed at any instant
    leaves either the old value or the new one.

    Raises
    ------
    TypeError
        If the value cannot be encoded.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     write_durable(Path(d) / "durable.json", (1, "a"))
    ...     read_durable(Path(d) / "durable.json")
    (1, 'a')
    """
    text = dumps(value)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_durable(path: Path, types: Sequence[type] = ()) -> Any:
    """The durable value at ``path``, or ``NOTHING_PERSISTED`` if none was ever written.

    Raises
    ------
    ValueError
        If the file holds something that cannot be decoded.

    Examples
    --------
    >>> read_durable(Path("/nonexistent/durable.json"))
    NOTHING_PERSISTED
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return NOTHING_PERSISTED
    return loads(text, types)
