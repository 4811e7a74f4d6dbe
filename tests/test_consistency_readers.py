"""Tests of the Jepsen history readers and the EDN subset parser."""

from __future__ import annotations

import pytest

from dslib.consistency import (
    CASRegister,
    EDNError,
    EDNRaw,
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
    with pytest.raises(EDNError, match="line 2, column 35: a jepsen.util operation line needs"):
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


# -- files as real test runs write them ----------------------------------------------------------
REAL_LOG = """\
2017-03-20 13:48:21,577{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:ok\t:read\tnil
INFO  jepsen.util - Relative time begins now
INFO  jepsen.util - 2  :invoke  :write  4
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
INFO  jepsen.util - :nemesis\t:info\t:start\t[:isolated {"n1" #{"n2" "n3"}}]
INFO  jepsen.util - 2   :ok     :write  4
INFO  jepsen.util - :nemesis :info :kill {"n1" #object[java.lang.Process 0x1f2b "Process[pid=123, \
exitValue=137]"]}
INFO  jepsen.util - 7\t:invoke\t:cas\t[1 2]
INFO  jepsen.util - 7\t:info\t:cas\t[1 2]\tindeterminate: Read timed out
INFO  jepsen.util - 3 :invoke :cas [4 0]
INFO  jepsen.util - 3 :fail :cas [4 0]
INFO  jepsen.util - 4\t:invoke\t:read\tnil
INFO  jepsen.util - 4\t:ok\t:read\t4
"""


def test_jepsen_log_with_tabs_or_spaces_and_unreadable_nemesis_values():
    ops = parse_jepsen_log(REAL_LOG).operations()
    assert [(op.process, op.f, op.value, op.status) for op in ops] == [
        (3, "read", None, "ok"),
        (2, "write", 4, "ok"),
        (7, "cas", (1, 2), "info"),
        (3, "cas", (4, 0), "fail"),
        (4, "read", None, "ok"),
    ]
    assert ops[-1].result == 4
    assert check_linearizable(parse_jepsen_log(REAL_LOG), CASRegister()).ok
    # the same lines with every tab a run of spaces, and every run of spaces a tab
    assert parse_jepsen_log(REAL_LOG.replace("\t", "   ")).operations() == ops
    tabbed = REAL_LOG.replace(
        "jepsen.util - 2  :invoke  :write  4", "jepsen.util - 2\t:invoke\t:write\t4"
    )
    assert parse_jepsen_log(tabbed).operations() == ops


def test_jepsen_log_error_columns_count_from_the_start_of_the_line():
    line = "INFO  jepsen.util - 3\t:invoke\t:cas\t[1 4"
    with pytest.raises(EDNError, match=f"line 1, column {len(line) + 1}: unexpected end"):
        parse_jepsen_log(line)
    line = "INFO  jepsen.util - 3  :invoke  :cas  [1 \\"
    with pytest.raises(EDNError, match="line 1, column"):
        parse_jepsen_log(line)
    bad = 'INFO  jepsen.util - 3\t:invoke\t:cas\t"a\\q"'
    with pytest.raises(EDNError, match=f"line 1, column {bad.index(chr(92)) + 1}: unsupported"):
        parse_jepsen_log(bad)


EXCEPTION = (
    ':exception {:via [{:type java.net.SocketTimeoutException, :message "Read timed out", '
    ':at [sun.nio.ch.SocketChannelImpl read "SocketChannelImpl.java" 410]}], '
    ':trace [[java.lang.Thread run "Thread.java" 833]], :cause "Read timed out"}'
)


def test_jepsen_edn_keeps_what_it_cannot_read_as_raw_text():
    lines = [
        "{:type :invoke, :f :write, :value 3, :process 0, :time 10, :index 0}",
        "{:type :info, :f :start, :value nil, :process :nemesis, :time 15, :index 1}",
        '{:type :info, :f :kill, :value {"n1" #object[java.lang.Process 0x1f2b "Process[pid=1]"]},'
        " :process :nemesis, :time 16, :index 2}",
        f"{{:type :info, :f :write, :value 3, :process 0, :time 20, {EXCEPTION}, "
        ':error "indeterminate: Read timed out", :index 3}',
        "{:type :invoke, :f :read, :value nil, :process 1, :time 30, :index 4}",
        "#jepsen.history.Op{:index 5, :time 40, :type :ok, :process 1, :f :read, :value 3}",
        '{:type :invoke, :f :read, :value nil, :process 2, :time 50, :at #inst "2023-01-01"}',
        "{:type :ok, :f :read, :value 3, :process 2, :time 60}",
    ]
    h = parse_jepsen_edn(lines)
    ops = h.operations()
    assert [(op.process, op.f, op.status) for op in ops] == [
        (0, "write", "info"),
        (1, "read", "ok"),
        (2, "read", "ok"),
    ]
    assert [e.time for e in h.events][:2] == [10.0, 20.0]
    assert check_linearizable(h, CASRegister()).ok
    exc = parse_edn("{" + EXCEPTION + "}", lenient=True)["exception"]
    assert exc["via"][0]["type"] == EDNRaw("java.net.SocketTimeoutException")
    assert exc["cause"] == "Read timed out"
    with pytest.raises(EDNError, match="cannot read 'java.net"):
        parse_edn("{" + EXCEPTION + "}")  # strict by default
    # what the history needs must still be readable
    with pytest.raises(EDNError, match="line 1: :f is"):
        parse_jepsen_edn("{:type :invoke, :f #object[x], :process 0}")
    with pytest.raises(EDNError, match="line 1, column 2: expected a tag"):
        parse_edn("[# 1]", lenient=True)
    assert parse_edn('"caf\\u00e9"') == "café"
    assert parse_edn("[\\a \\( x/y]", lenient=True) == (EDNRaw("\\a"), EDNRaw("\\("), EDNRaw("x/y"))
