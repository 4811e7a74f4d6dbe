"""Tests of the Jepsen history readers and the EDN subset parser."""

from __future__ import annotations

import pytest

from dslib.consistency import (
    CASRegister,
    EDNError,
    KeyValue,
    check_linearizable,
    parse_edn,
    parse_jepsen_edn,
    parse_jepsen_log,
    read_jepsen_edn,
    read_jepsen_log,
)
from dslib.errors import HistoryError

CAS_LOG = """\
INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t4
INFO  jepsen.util - 1\t:invoke\t:cas\t[4 1]
INFO  jepsen.util - 0\t:ok\t:write\t4
INFO  jepsen.util - :nemesis\t:info\t:start\t"Cut off {:n5 #{:n3 :n1}}"
INFO  jepsen.util - 1\t:ok\t:cas\t[4 1]
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 2\t:ok\t:read\t1
INFO  jepsen.util - 3\t:invoke\t:cas\t[0 2]
INFO  jepsen.util - 3\t:fail\t:cas\t[0 2]
INFO  jepsen.util - 4\t:invoke\t:write\t3
INFO  jepsen.util - 4\t:info\t:write\t:timed-out
"""


def test_parse_edn_values():
    assert parse_edn("nil") is None
    assert parse_edn("true") is True and parse_edn("false") is False
    assert parse_edn("-42") == -42 and parse_edn("42N") == 42
    assert parse_edn("1.5") == 1.5 and parse_edn("-2e3") == -2000.0 and parse_edn("1.5M") == 1.5
    assert parse_edn('"a \\"b\\"\\n\\\\"') == 'a "b"\n\\'
    assert parse_edn(":ok") == "ok" and parse_edn(":jepsen/info") == "jepsen/info"
    assert parse_edn("[1 [2 3] (4)]") == (1, (2, 3), (4,))
    assert parse_edn("#{1 2}") == frozenset({1, 2})
    assert parse_edn("{:a 1, :b [1 2] ; a comment\n :c {:d nil}}") == {
        "a": 1,
        "b": (1, 2),
        "c": {"d": None},
    }
    assert parse_edn("  [ ]  ") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"abc', "line 3, column 5: unterminated string"),
        ("[1 2", "expected ']'"),
        ("{:a}", "even number"),
        ('#inst "2017"', "tagged literals"),
        ("foo", "cannot read 'foo'"),
        ("\\a", "cannot read"),
        ("1 2", "more than one value"),
        ("]", "unexpected ']'"),
        ('"\\q"', "unsupported string escape"),
        ("", "unexpected end of input"),
    ],
)
def test_parse_edn_errors_name_line_and_column(text, message):
    with pytest.raises(EDNError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_edn(text, line=3)


def test_jepsen_edn_register_history():
    text = """
{:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}
{:type :invoke, :f :cas, :value [1 4], :process 3, :time 123}
{:type :ok, :f :write, :value 1, :process 0, :time 150}
{:type :info, :f :cas, :value [1 4], :process 3, :time 200, :error :timeout}
{:type :invoke, :f :read, :value nil, :process 0, :time 300}
{:type :ok, :f :read, :value 4, :process 0, :time 310}
{:type :info, :f :start, :value nil, :process :nemesis, :time 320}
"""
    h = parse_jepsen_edn(text)
    ops = h.operations()
    assert [(op.process, op.f, op.value, op.status) for op in ops] == [
        (0, "write", 1, "ok"),
        (3, "cas", (1, 4), "info"),
        (0, "read", None, "ok"),
    ]
    assert ops[0].invoke_time == 10.0 and ops[2].complete_time == 310.0
    # the info cas may have taken effect: the read of 4 is explained
    assert check_linearizable(h, CASRegister()).ok
    # without the info cas nothing wrote 4
    h2 = parse_jepsen_edn(text.replace(":type :info, :f :cas", ":type :fail, :f :cas"))
    assert check_linearizable(h2, CASRegister()).verdict == "violation"


def test_jepsen_edn_key_value_history():
    lines = [
        '{:process 4, :type :invoke, :f :append, :key "k3", :value "ab"}',
        '{:process 5, :type :invoke, :f :get, :key "k3", :value nil}',
        '{:process 4, :type :ok, :f :append, :key "k3", :value "ab"}',
        '{:process 5, :type :ok, :f :get, :key "k3", :value "ab"}',
        '{:process 5, :type :invoke, :f :get, :key "k1", :value nil}',
        '{:process 5, :type :ok, :f :get, :key "k1", :value ""}',
    ]
    h = parse_jepsen_edn(lines)
    assert [op.key for op in h.operations()] == ["k3", "k3", "k1"]
    assert [e.time for e in h.events][:2] == [1.0, 2.0]  # no :time: line numbers
    assert check_linearizable(h, KeyValue(initial="")).ok
    lines[3] = lines[3].replace('"ab"}', '"abab"}')
    r = check_linearizable(parse_jepsen_edn(lines), KeyValue(initial=""))
    assert r.verdict == "violation" and r.group == "k3"


def test_jepsen_edn_bad_lines():
    with pytest.raises(EDNError, match="line 2: expected an operation map"):
        parse_jepsen_edn("{:process 0, :type :invoke, :f :read}\n[1 2]")
    with pytest.raises(EDNError, match="line 1: the operation map lacks :type"):
        parse_jepsen_edn("{:process 0, :f :read}")
    with pytest.raises(EDNError, match="line 1: type 'done'"):
        parse_jepsen_edn("{:process 0, :type :done, :f :read}")
    with pytest.raises(EDNError, match="line 1, column"):
        parse_jepsen_edn("{:process 0, :type :invoke, :f :read")


def test_jepsen_edn_pairing_errors_name_line_and_process():
    invoke = "{:process 7, :type :invoke, :f :read, :value nil}"
    ok = "{:process 7, :type :ok, :f :read, :value 1}"
    with pytest.raises(HistoryError, match="line 1: process 7 completes read"):
        parse_jepsen_edn(ok)
    with pytest.raises(HistoryError, match="line 3: process 7 completes read"):
        parse_jepsen_edn("\n".join([invoke, ok, ok]))  # completes twice
    with pytest.raises(HistoryError, match="line 2: process 7 invokes read"):
        parse_jepsen_edn("\n".join([invoke, invoke]))


def test_jepsen_log():
    h = parse_jepsen_log(CAS_LOG)
    ops = h.operations()
    assert [(op.process, op.f, op.value, op.status) for op in ops] == [
        (0, "write", 4, "ok"),
        (1, "cas", (4, 1), "ok"),
        (2, "read", None, "ok"),
        (3, "cas", (0, 2), "fail"),
        (4, "write", 3, "info"),
    ]
    assert ops[0].invoke_time == 2.0  # line numbers
    assert check_linearizable(h, CASRegister()).ok
    bad = CAS_LOG.replace("2\t:ok\t:read\t1", "2\t:ok\t:read\t0")
    assert check_linearizable(parse_jepsen_log(bad), CASRegister()).verdict == "violation"


def test_jepsen_log_errors():
    with pytest.raises(EDNError, match="line 2: a jepsen.util operation line needs"):
        parse_jepsen_log("INFO  jepsen.core - start\nINFO  jepsen.util - 3\t:invoke\t:cas")
    with pytest.raises(EDNError, match="line 1, column"):
        parse_jepsen_log("INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4")
    with pytest.raises(HistoryError, match="line 2: process 3 completes cas"):
        parse_jepsen_log("x\nINFO  jepsen.util - 3\t:ok\t:cas\t[1 4]")


def test_read_files(tmp_path):
    log = tmp_path / "jepsen.log"
    log.write_text(CAS_LOG, encoding="utf-8")
    assert len(read_jepsen_log(log).operations()) == 5
    edn = tmp_path / "history.edn"
    edn.write_text(
        "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :read}\n",
        encoding="utf-8",
    )
    assert len(read_jepsen_edn(str(edn)).operations()) == 1
    with pytest.raises(OSError):
        read_jepsen_edn(tmp_path / "missing.edn")
    with pytest.raises(TypeError):
        parse_edn(b"nil")  # type: ignore[arg-type]
