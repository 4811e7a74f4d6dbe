"""Read transactional histories that Jepsen and Elle write (EDN) into ``Txn`` lists.

Elle (Kingsbury and Alvaro 2020) checks histories of transactions recorded by Jepsen. Each
operation is an EDN map; a transaction's ``:value`` is its list of micro-operations:

    {:type :invoke, :f :txn, :value [[:append 5 1] [:r 5 nil]], :process 3, :time 12}
    {:type :ok, :f :txn, :value [[:append 5 1] [:r 5 [1]]], :process 3, :time 18, :index 7}

What ``parse_elle_edn`` accepts:

- **Layout**: EDN maps one after another (one per line, as ``history.edn``, or spread over
  lines), or one vector (or list) of maps. Blank lines, commas and ``;`` comments are
  whitespace.
- **Map keys** as keywords or strings (``:type`` or ``"type"``); values of ``:type`` and
  ``:f`` and the micro-op names likewise (``:ok`` or ``"ok"``).
- ``:type`` (required): ``:invoke``, ``:ok`` (committed), ``:fail`` (aborted: surely not
  applied) or ``:info`` (unknown outcome).
- ``:value`` (required on an ``:ok`` completion; may be ``nil`` on others): a vector of
  micro-ops ``[:append k v]``, ``[:r k v]`` or ``[:w k v]``. Keys may be integers,
  keywords (read as strings without the colon) or strings; a list-append read is a vector
  of values or ``nil`` (unknown), a register read a value or ``nil``.
- ``:process`` (optional): the client. Each completion is paired with the open invocation
  of its process, and the transaction then starts at the invocation's time. Without
  ``:process`` a record stands alone (its process is ``"line N"``, so no process order is
  assumed) and must be a completion.
- ``:time`` (optional): a number. Used when *every* record has one; otherwise the line
  number of each record is its time (the file is in real-time order).
- ``:f`` (optional): must be ``:txn`` when present. Records of the ``:nemesis`` process
  (fault injection) are skipped.
- Every other key (``:index``, ``:error``, ``:node``...) is ignored.

The result lists one ``Txn`` per completion, in the order of the completions; its ops are the
completion's ``:value`` (an ``:info`` or ``:fail`` completion without one takes the
invocation's). Invocations that never complete become ``"info"`` transactions at the end,
with no end time. Any other shape is an ``EDNError`` naming the line and what was expected.

Examples
--------
>>> h = parse_elle_edn('''
... {:type :invoke, :f :txn, :value [[:append :x 1] [:r :x nil]], :process 0, :time 1}
... {:type :invoke, :f :txn, :value [[:r :x nil]], :process 1, :time 2}
... {:type :ok, :f :txn, :value [[:append :x 1] [:r :x [1]]], :process 0, :time 3}
... {:type :ok, :f :txn, :value [[:r :x []]], :process 1, :time 4}
... ''')
>>> h[0]
Txn(process=0, ops=(('append', 'x', 1), ('r', 'x', (1,))), type='ok', start=1, end=3)
>>> h[1].ops, h[1].start, h[1].end
((('r', 'x', ()),), 2, 4)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dslib.consistency.isolation import Txn
from dslib.consistency.readers import EDNError, EDNRaw, _Parser

__all__ = ["parse_elle_edn", "read_elle_edn"]

_TYPES = ("invoke", "ok", "fail", "info")


class _TextParser(_Parser):
    """The EDN parser over a whole text, with errors that name the line and column."""

    def error(self, message: str) -> EDNError:
        line = self.text.count("\n", 0, self.pos) + 1
        column = self.pos - (self.text.rfind("\n", 0, self.pos) + 1) + 1
        return EDNError(f"line {line}, column {column}: {message}")

    def line_at(self) -> int:
        """The line of the current position (counted on from the last call: linear overall)."""
        seen = getattr(self, "_seen", (0, 1))
        pos, line = seen if seen[0] <= self.pos else (0, 1)
        line += self.text.count("\n", pos, self.pos)
        self._seen = (self.pos, line)
        return line


def _records(text: str) -> list[tuple[int, Any]]:
    """The top-level forms (or the elements of one top-level vector), with their lines."""
    p = _TextParser(text, 1, lenient=True)
    p.skip()
    out: list[tuple[int, Any]] = []
    if p.pos < len(text) and text[p.pos] in "[(":
        close = "]" if text[p.pos] == "[" else ")"
        p.pos += 1
        while True:
            p.skip()
            if p.pos >= len(text):
                raise p.error(f"unexpected end of input, expected {close!r} closing the history")
            if text[p.pos] == close:
                p.pos += 1
                break
            out.append((p.line_at(), p.value()))
        p.skip()
        if p.pos != len(text):
            raise p.error("more than one value after the history vector")
        return out
    while True:
        p.skip()
        if p.pos >= len(text):
            return out
        out.append((p.line_at(), p.value()))


def _micro_ops(value: Any, line: int) -> tuple[tuple[Any, ...], ...]:
    if not isinstance(value, tuple):
        raise EDNError(
            f"line {line}: :value is {value!r}; expected a vector of micro-ops such as "
            "[[:append :x 1] [:r :x [1]]]"
        )
    ops = []
    for n, op in enumerate(value):
        if not (isinstance(op, tuple) and len(op) == 3 and op[0] in ("append", "r", "w")):
            raise EDNError(
                f"line {line}: micro-op {n} of :value is {op!r}; expected "
                "[:append key value], [:r key value] or [:w key value]"
            )
        f, key, v = op
        for what, x in (("key", key), ("value", v)):
            if isinstance(x, (dict, frozenset, EDNRaw)) or (what == "key" and isinstance(x, tuple)):
                raise EDNError(
                    f"line {line}: micro-op {n} has the {what} {x!r}; expected a number, "
                    "keyword, string" + (" or a vector of them" if what == "value" else "")
                )
        ops.append((f, key, v))
    return tuple(ops)


def parse_elle_edn(source: str | Iterable[str]) -> list[Txn]:
    """Transactions from a Jepsen/Elle EDN history (the module docstring says what is accepted).

    Parameters
    ----------
    source : str or iterable of str
        The text of the history, or its lines.

    Returns
    -------
    list of Txn
        One per completion, in completion order, then the invocations that never completed
        (as ``"info"``).

    Raises
    ------
    EDNError
        If the text is not EDN, or a record is not a transaction map of the accepted form;
        the message names the line (and column, for EDN syntax).
    TypeError
        If ``source`` is neither a str nor an iterable of str.

    Examples
    --------
    Keys as strings, a vector of maps, and a completion without an invocation:

    >>> parse_elle_edn('[{"type" "ok", "value" [["w" "x" 1]], "process" 2}]')
    [Txn(process=2, ops=(('w', 'x', 1),), type='ok', start=None, end=1)]
    >>> parse_elle_edn('{:type :ok, :value [[:add :x 1]], :process 0}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dslib.consistency.readers.EDNError: line 1: micro-op 0 of :value is ('add', 'x', 1); ...
    """
    if isinstance(source, str):
        text = source
    else:
        lines = list(source)
        for n, item in enumerate(lines, start=1):
            if not isinstance(item, str):
                raise TypeError(f"line {n} is a {type(item).__name__}, not a str")
        text = "\n".join(x.rstrip("\n") for x in lines)
    records: list[tuple[int, Any, dict[Any, Any]]] = []
    for line, value in _records(text):
        if isinstance(value, EDNRaw) and isinstance(value.form, dict):
            value = value.form  # a record such as #jepsen.history.Op{...}
        if not isinstance(value, dict):
            raise EDNError(
                f"line {line}: expected a transaction map {{:type :ok, :value [...], ...}}, "
                f"got {value!r}"
            )
        if value.get("process") == "nemesis":
            continue
        if "type" not in value:
            raise EDNError(f"line {line}: the map has no :type (one of :invoke :ok :fail :info)")
        if value["type"] not in _TYPES:
            raise EDNError(
                f"line {line}: :type is {value['type']!r}; expected :invoke, :ok, :fail or :info"
            )
        if "f" in value and value["f"] != "txn":
            raise EDNError(f"line {line}: :f is {value['f']!r}; expected :txn")
        if "time" in value and (
            not isinstance(value["time"], (int, float)) or isinstance(value["time"], bool)
        ):
            raise EDNError(f"line {line}: :time is {value['time']!r}; expected a number")
        process = value.get("process", f"line {line}")
        try:
            hash(process)
        except TypeError:
            raise EDNError(
                f"line {line}: :process {process!r} is not a number or keyword"
            ) from None
        if "process" not in value and value["type"] == "invoke":
            raise EDNError(f"line {line}: an :invoke needs a :process to pair its completion with")
        records.append((line, process, value))
    timed = all("time" in r for _, _, r in records)
    pending: dict[Any, tuple[int, dict[Any, Any]]] = {}
    done: list[tuple[int, Txn]] = []
    for line, process, r in records:
        t = r["time"] if timed else line
        if r["type"] == "invoke":
            if process in pending:
                raise EDNError(
                    f"line {line}: process {process!r} invokes again before its invocation on "
                    f"line {pending[process][0]} completed"
                )
            if r.get("value") is not None:
                _micro_ops(r["value"], line)
            pending[process] = (line, r)
            continue
        opened = pending.pop(process, None)
        value = r.get("value")
        if value is None and r["type"] != "ok" and opened is not None:
            value = opened[1].get("value")
        if value is None and r["type"] == "ok":
            raise EDNError(f"line {line}: an :ok transaction needs its :value (the micro-ops)")
        ops = _micro_ops(value, line) if value is not None else ()
        start = None if opened is None else (opened[1]["time"] if timed else opened[0])
        done.append((line, Txn(process, ops, r["type"], start, t)))
    for line, r in sorted(pending.values(), key=lambda x: x[0]):
        ops = _micro_ops(r["value"], line) if r.get("value") is not None else ()
        t = r["time"] if timed else line
        done.append((line, Txn(r.get("process"), ops, "info", t, None)))
    return [txn for _, txn in done]


def read_elle_edn(path: str | os.PathLike[str]) -> list[Txn]:
    """Read a Jepsen/Elle ``history.edn`` file of transactions (see ``parse_elle_edn``).

    Raises
    ------
    OSError
        If the file cannot be read.
    EDNError
        As ``parse_elle_edn``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "history.edn"
    ...     _ = path.write_text("{:type :ok, :f :txn, :value [[:w :x 1]], :process 0}\\n")
    ...     read_elle_edn(path)[0].ops
    (('w', 'x', 1),)
    """
    with Path(path).open(encoding="utf-8") as f:
        return parse_elle_edn(f.read())
