"""Readers for the history files that Jepsen writes.

Jepsen (Kingsbury, jepsen.io) records a test's operations in two forms that
these functions read into a ``History``:

- **EDN maps, one per line** (``history.edn``)::

      {:type :invoke, :f :cas, :value [1 4], :process 3, :time 123}
      {:process 4, :type :ok, :f :get, :key "k3", :value "abc"}

  with ``:type`` one of ``:invoke``, ``:ok``, ``:fail``, ``:info``, an
  optional ``:key`` (key-value workloads) and an optional ``:time`` (any
  number; without it, line ``n`` happens at time ``n``). Other keys
  (``:index``, ``:error``...) are accepted and ignored.
- **the lines a test run logs** (``jepsen.log``)::

      INFO  jepsen.util - 3<TAB>:invoke<TAB>:cas<TAB>[1 4]
      INFO  jepsen.util - 7  :info  :cas  [1 2]  indeterminate: Read timed out

  process, type, f and value after ``jepsen.util`` (then ``-`` or ``:``),
  separated by tabs or by runs of spaces (both occur in real logs). What
  follows the value (an error message) is ignored. A line is an operation
  when it starts, after ``jepsen.util``, with a process (a number or a
  keyword such as ``:nemesis``) and one of ``:invoke``, ``:ok``, ``:fail``,
  ``:info``; other lines are other log output and are skipped. The
  operations happen at their line numbers.

Operations of the ``:nemesis`` process (fault injection, not a client) are
skipped. EDN vectors and lists become tuples (so ``[1 4]`` is the pair a
``cas`` expects), keywords become strings without the colon (``:ok`` ->
``"ok"``).

Real files hold values that only Clojure can read back: a nemesis's
``#object[java.lang.Process 0x1f2b "..."]``, an ``:exception`` map whose
``:type`` is a Java class name (a symbol), ``#inst`` timestamps. The readers
read such a value as an ``EDNRaw`` that keeps its text, so a file is readable
whenever the fields the history needs are (a record such as
``#jepsen.history.Op{...}`` is read as its map).

The EDN subset parsed by ``parse_edn``: ``nil``, ``true``, ``false``;
integers (``42``, ``-7``, ``42N``); decimal numbers (``1.5``, ``-2e3``,
``1.5M``); strings in double quotes with the escapes ``\\"``, ``\\\\``,
``\\n``, ``\\t``, ``\\r``, ``\\b``, ``\\f``, ``\\uXXXX``; keywords (``:ok``,
``:jepsen/info``); vectors ``[...]``, lists ``(...)``, maps ``{...}`` and
sets ``#{...}``. Commas are whitespace and ``;`` starts a comment to the end
of the line. Anything else (symbols, characters such as ``\\a``, tagged
literals such as ``#inst``, metadata) is an error that names the line and the
column (counted from the start of the line), unless ``lenient``: then
symbols, characters and tagged literals become ``EDNRaw``.

Examples
--------
>>> h = parse_jepsen_edn('''
... {:process 0, :type :invoke, :f :write, :value 3}
... {:process 0, :type :ok, :f :write, :value 3}
... {:process 1, :type :invoke, :f :cas, :value [3 4]}
... {:process 1, :type :fail, :f :cas, :value [3 4]}
... ''')
>>> for op in h.operations():
...     print(op)
0 write(3) -> ok 3  [2.0, 3.0]
1 cas((3, 4)) -> fail (3, 4)  [4.0, 5.0]
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dslib.errors import HistoryError
from dslib.sim.history import Event, History

__all__ = [
    "EDNError",
    "EDNRaw",
    "parse_edn",
    "parse_jepsen_edn",
    "parse_jepsen_log",
    "read_jepsen_edn",
    "read_jepsen_log",
]


class EDNError(ValueError):
    """A line of a history file that cannot be read; the message names the line (and column)."""


@dataclass(frozen=True)
class EDNRaw:
    """An EDN value outside the subset, kept as its text (read with ``lenient=True``).

    Attributes
    ----------
    text : str
        The value as it appears in the file.
    tag : str or None
        For a tagged literal ``#tag form``, the tag.
    form : any
        For a tagged literal, the form after the tag, read leniently (not
        compared: two raw values are equal when their texts are).

    Examples
    --------
    >>> v = parse_edn('#object[java.lang.Process 0x1f2b "pid=123"]', lenient=True)
    >>> v.text, v.tag, v.form[2]
    ('#object[java.lang.Process 0x1f2b "pid=123"]', 'object', 'pid=123')
    >>> parse_edn("java.net.SocketTimeoutException", lenient=True)
    EDNRaw(text='java.net.SocketTimeoutException', tag=None)
    """

    text: str
    tag: str | None = None
    form: Any = field(default=None, compare=False, repr=False)


_DELIMITERS = set(' \t\r\n,;()[]{}"')
_INT = re.compile(r"[+-]?\d+N?\Z")
_FLOAT = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?\Z")
_HEX = set("0123456789abcdefABCDEF")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


class _Parser:
    def __init__(self, text: str, line: int, lenient: bool = False, pos: int = 0) -> None:
        self.text = text
        self.pos = pos
        self.line = line
        self.lenient = lenient

    def error(self, message: str) -> EDNError:
        return EDNError(f"line {self.line}, column {self.pos + 1}: {message}")

    def skip(self) -> None:
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\r\n,":
                self.pos += 1
            elif c == ";":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def value(self) -> Any:
        self.skip()
        if self.pos >= len(self.text):
            raise self.error("unexpected end of input, expected a value")
        c = self.text[self.pos]
        if c == "{":
            self.pos += 1
            items = self.sequence("}")
            if len(items) % 2:
                raise self.error("a map needs an even number of forms (key value pairs)")
            out: dict[Any, Any] = {}
            for k, v in zip(items[::2], items[1::2], strict=True):
                try:
                    out[k] = v
                except TypeError:
                    raise self.error(f"a map key must be hashable, got {k!r}") from None
            return out
        if c == "[":
            self.pos += 1
            return tuple(self.sequence("]"))
        if c == "(":
            self.pos += 1
            return tuple(self.sequence(")"))
        if c == "#":
            if self.text.startswith("#{", self.pos):
                self.pos += 2
                try:
                    return frozenset(self.sequence("}"))
                except TypeError:
                    raise self.error("a set element must be hashable") from None
            if not self.lenient:
                raise self.error("tagged literals (#inst, #uuid, #error...) are not supported")
            start = self.pos
            self.pos += 1
            tag = self.token()
            if not tag or tag.startswith(("#", "_")):
                self.pos = start
                raise self.error("expected a tag after '#' (as in #inst)")
            form = self.value()
            return EDNRaw(self.text[start : self.pos], tag, form)
        if c == '"':
            return self.string()
        if c in ")]}":
            raise self.error(f"unexpected {c!r}")
        return self.atom()

    def sequence(self, close: str) -> list[Any]:
        items: list[Any] = []
        while True:
            self.skip()
            if self.pos >= len(self.text):
                raise self.error(f"unexpected end of input, expected {close!r}")
            if self.text[self.pos] == close:
                self.pos += 1
                return items
            items.append(self.value())

    def string(self) -> str:
        text = self.text
        self.pos += 1
        out: list[str] = []
        while self.pos < len(text):
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                nxt = text[self.pos + 1 : self.pos + 2]
                code = text[self.pos + 2 : self.pos + 6]
                if nxt == "u" and len(code) == 4 and all(c in _HEX for c in code):
                    out.append(chr(int(code, 16)))
                    self.pos += 6
                    continue
                if nxt not in _ESCAPES:
                    raise self.error(f"unsupported string escape \\{nxt}")
                out.append(_ESCAPES[nxt])
                self.pos += 2
            else:
                out.append(c)
                self.pos += 1
        raise self.error("unterminated string")

    def token(self) -> str:
        start = self.pos
        text = self.text
        if text.startswith("\\", start) and start + 1 < len(text):
            self.pos += 2  # a character: its first char may be a delimiter, as in \\(
        while self.pos < len(text) and text[self.pos] not in _DELIMITERS:
            self.pos += 1
        return text[start : self.pos]

    def atom(self) -> Any:
        start = self.pos
        token = self.token()
        if token == "nil":
            return None
        if token == "true":
            return True
        if token == "false":
            return False
        if token.startswith(":") and len(token) > 1:
            return token[1:]
        if _INT.match(token):
            return int(token.rstrip("N"))
        if _FLOAT.match(token):
            return float(token.rstrip("M"))
        if self.lenient and token:
            return EDNRaw(token)
        self.pos = start
        raise self.error(f"cannot read {token!r} (symbols and characters are not supported)")


def parse_edn(text: str, line: int = 1, *, lenient: bool = False) -> Any:
    """Parse one EDN value (the subset described in the module docstring).

    Parameters
    ----------
    text : str
        Exactly one value, with optional whitespace and comments around it.
    line : int, default 1
        The line number to put in error messages.
    lenient : bool, default False
        Read symbols, characters and tagged literals as ``EDNRaw`` (their
        text) instead of refusing them.

    Returns
    -------
    any
        ``None``, ``bool``, ``int``, ``float``, ``str`` (strings and
        keywords), ``tuple`` (vectors and lists), ``dict`` or ``frozenset``
        (and, when ``lenient``, ``EDNRaw``).

    Raises
    ------
    EDNError
        If ``text`` is not exactly one value of the subset.

    Examples
    --------
    >>> parse_edn('{:type :ok, :value [1 4], :key "k3", :note nil}')
    {'type': 'ok', 'value': (1, 4), 'key': 'k3', 'note': None}
    >>> parse_edn("[1 2")
    Traceback (most recent call last):
    ...
    dslib.consistency.readers.EDNError: line 1, column 5: unexpected end of input, expected ']'
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_edn takes a str, got {type(text).__name__}")
    p = _Parser(text, line, lenient)
    value = p.value()
    p.skip()
    if p.pos != len(text):
        raise p.error("more than one value")
    return value


def _add(
    history: History, line: int, process: Any, type_: Any, f: Any, value: Any, time: float, key: Any
) -> None:
    if type_ not in ("invoke", "ok", "fail", "info"):
        raise EDNError(f"line {line}: type {type_!r} is not one of :invoke, :ok, :fail, :info")
    if not isinstance(f, str):
        raise EDNError(f"line {line}: :f is {f!r}; expected a keyword such as :read")
    try:
        hash(process)
    except TypeError:
        raise EDNError(f"line {line}: :process {process!r} is not a number or keyword") from None
    try:
        history.add(Event(process, type_, f, value, time, key))
    except HistoryError as exc:
        raise HistoryError(f"line {line}: {exc}") from None


def _lines(source: str | Iterable[str]) -> Iterable[tuple[int, str]]:
    lines = source.splitlines() if isinstance(source, str) else source
    for n, line in enumerate(lines, start=1):
        if not isinstance(line, str):
            raise TypeError(f"line {n} is a {type(line).__name__}, not a str")
        yield n, line


def parse_jepsen_edn(source: str | Iterable[str]) -> History:
    """A ``History`` from Jepsen EDN operation maps, one per line.

    Parameters
    ----------
    source : str or iterable of str
        The text, or its lines. Blank lines and ``;`` comments are skipped.

    Returns
    -------
    History
        Times are the ``:time`` fields when every operation has one, else the
        line numbers.

    Raises
    ------
    EDNError
        If a line is not an EDN map with ``:process``, ``:type`` and ``:f``.
    HistoryError
        If the operations do not pair up (an operation completes twice, or
        completes without an invocation...); the message names the line.

    Examples
    --------
    >>> h = parse_jepsen_edn('''{:process 4, :type :invoke, :f :get, :key "k3", :value nil}
    ... {:process 4, :type :ok, :f :get, :key "k3", :value "abc"}''')
    >>> print(h.operations()[0])
    4 get['k3'](None) -> ok 'abc'  [1.0, 2.0]
    >>> parse_jepsen_edn('{:process 4, :type :ok, :f :get, :key "k3", :value "abc"}')
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.errors.HistoryError: line 1: process 4 completes get (ok) ... without an open invocation
    """
    records: list[tuple[int, dict[Any, Any]]] = []
    for n, line in _lines(source):
        p = _Parser(line, n, lenient=True)
        p.skip()
        if p.pos == len(line):
            continue
        value = p.value()
        p.skip()
        if p.pos != len(line):
            raise p.error("more than one value on a line")
        if isinstance(value, EDNRaw) and isinstance(value.form, dict):
            value = value.form  # a record, such as #jepsen.history.Op{...}
        if not isinstance(value, dict):
            raise EDNError(f"line {n}: expected an operation map {{:process ..}}, got {value!r}")
        missing = [k for k in ("process", "type", "f") if k not in value]
        if missing:
            raise EDNError(
                f"line {n}: the operation map lacks {', '.join(':' + k for k in missing)}"
            )
        records.append((n, value))
    timed = all("time" in r for _, r in records)
    history = History()
    for n, r in records:
        if r["process"] == "nemesis":
            continue
        t = r["time"] if timed else n
        if not isinstance(t, (int, float)) or isinstance(t, bool):
            raise EDNError(f"line {n}: :time {t!r} is not a number")
        _add(history, n, r["process"], r["type"], r["f"], r.get("value"), float(t), r.get("key"))
    return history


def read_jepsen_edn(path: str | os.PathLike[str]) -> History:
    """Read a Jepsen ``history.edn`` file (see ``parse_jepsen_edn``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "history.edn"
    ...     _ = path.write_text("{:process 0 :type :invoke :f :read}\\n"
    ...                         "{:process 0 :type :ok :f :read :value 3}\\n")
    ...     print(read_jepsen_edn(path).operations()[0])
    0 read(None) -> ok 3  [1.0, 2.0]

    Raises
    ------
    OSError
        If the file cannot be read.
    EDNError, HistoryError
        As ``parse_jepsen_edn``.
    """
    with Path(path).open(encoding="utf-8") as f:
        return parse_jepsen_edn(f.read())


_LOG = re.compile(r"jepsen\.util\b[\s:-]*(?P<rest>.*)$")
_OPERATION = re.compile(r"(-?\d+|:\S+)\s+:(invoke|ok|fail|info)(\s|$)")


def parse_jepsen_log(source: str | Iterable[str]) -> History:
    """A ``History`` from the operation lines of a Jepsen test log.

    Parameters
    ----------
    source : str or iterable of str
        The log text or its lines. Operation lines look like
        ``INFO  jepsen.util - 3<TAB>:invoke<TAB>:cas<TAB>[1 4]``, with tabs or
        runs of spaces between the fields; other lines are skipped (see the
        module docstring).

    Returns
    -------
    History
        Each operation happens at its line number.

    Raises
    ------
    EDNError
        If an operation line has no value after its process, type and f, or
        a field is not EDN (the column counts from the start of the line).
    HistoryError
        If the operations do not pair up; the message names the line.

    Examples
    --------
    >>> log = '''INFO  jepsen.core - Running test
    ... INFO  jepsen.util - 3\\t:invoke\\t:cas\\t[1 4]
    ... INFO  jepsen.util - :nemesis\\t:info\\t:start\\tnil
    ... INFO  jepsen.util - 3\\t:fail\\t:cas\\t[1 4]
    ... INFO  jepsen.util - 5  :invoke  :write  2
    ... INFO  jepsen.util - 5  :info    :write  2   indeterminate: Read timed out'''
    >>> for op in parse_jepsen_log(log).operations():
    ...     print(op)
    3 cas((1, 4)) -> fail (1, 4)  [2.0, 4.0]
    5 write(2) -> info 2  [5.0, 6.0]
    """
    history = History()
    for n, line in _lines(source):
        m = _LOG.search(line)
        if m is None or not _OPERATION.match(m.group("rest")):
            continue
        p = _Parser(line, n, lenient=True, pos=m.start("rest"))
        process = p.value()
        if process == "nemesis":
            continue  # its value may be anything: a partition, a Java object
        fields = [process]
        for _ in range(3):
            p.skip()
            if p.pos == len(line):
                raise p.error(
                    "a jepsen.util operation line needs process, type, f and value separated "
                    f"by tabs or spaces; got {len(fields)} field(s)"
                )
            fields.append(p.value())
        _, type_, f, value = fields
        _add(history, n, process, type_, f, value, float(n), None)
    return history


def read_jepsen_log(path: str | os.PathLike[str]) -> History:
    """Read the operations of a Jepsen log file (see ``parse_jepsen_log``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "jepsen.log"
    ...     _ = path.write_text("INFO  jepsen.util - 1\\t:invoke\\t:write\\t2\\n"
    ...                         "INFO  jepsen.util - 1\\t:ok\\t:write\\t2\\n")
    ...     print(read_jepsen_log(path).operations()[0])
    1 write(2) -> ok 2  [1.0, 2.0]

    Raises
    ------
    OSError
        If the file cannot be read.
    EDNError, HistoryError
        As ``parse_jepsen_log``.
    """
    with Path(path).open(encoding="utf-8") as f:
        return parse_jepsen_log(f.read())
