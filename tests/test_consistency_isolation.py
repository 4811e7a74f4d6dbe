"""The Elle-style isolation checker: catalogue, mutants, non-cycle errors, readers, bad input.

The brute-force comparison on random histories is in test_consistency_isolation_oracle.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.consistency.isolation import (
    CHECKS,
    LEVELS,
    MUTANT_CHECKS,
    MUTANTS,
    Txn,
    anomaly_catalogue,
    check_isolation,
    dependency_edges,
    generate_history,
    mutant_report,
    serializable_by_enumeration,
)
from dslib.consistency.isolation_readers import parse_elle_edn, read_elle_edn
from dslib.consistency.readers import EDNError

DATA = Path(__file__).parent / "data" / "isolation"
CATALOGUE = {e.title: e for e in anomaly_catalogue()}


def names(result: object) -> list[str]:
    return [a.name for a in result.anomalies]  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("title", sorted(CATALOGUE))
def test_catalogue_anomaly_named_right(title: str) -> None:
    e = CATALOGUE[title]
    forbidden = check_isolation(list(e.history), workload=e.workload, level=e.forbidden_at)
    assert forbidden.ok is False
    assert forbidden.anomalies[0].name == e.name
    assert forbidden.anomalies[0].plain.startswith(title.split(" (")[0])
    if e.allowed_at:
        allowed = check_isolation(list(e.history), workload=e.workload, level=e.allowed_at)
        assert allowed.ok is True, str(allowed)
        if not e.name.endswith("-realtime"):  # real time is only looked at when strict
            assert e.name in names(allowed)  # still reported, but allowed at that level
    # and the oracle agrees that no serial order explains it
    assert (
        serializable_by_enumeration(
            list(e.history), workload=e.workload, real_time=e.forbidden_at == "strict-serializable"
        )
        is None
    )


def test_catalogue_covers_the_issue() -> None:
    wanted = {
        "dirty write",
        "dirty read (aborted read)",
        "intermediate read",
        "lost update",
        "read skew",
        "write skew",
        "read-only transaction anomaly",
    }
    assert wanted <= set(CATALOGUE)


def test_levels_forbid_what_adya_says() -> None:
    """Write skew: allowed at SI, forbidden at repeatable read and serializable."""
    e = CATALOGUE["write skew"]
    verdicts = {
        lv: check_isolation(list(e.history), workload=e.workload, level=lv).ok for lv in LEVELS
    }
    assert verdicts == {
        "read-uncommitted": True,
        "read-committed": True,
        "repeatable-read": False,
        "snapshot-isolation": True,
        "serializable": False,
        "strict-serializable": False,
    }


def test_cycle_is_a_real_cycle_of_graph_edges() -> None:
    e = CATALOGUE["read-only transaction anomaly"]
    r = check_isolation(list(e.history), workload=e.workload)
    cycle = r.anomalies[0].cycle
    assert [c[2] for c in cycle].count("rw") == 2
    assert all(a[1] == b[0] for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))
    assert set(cycle) <= set(r.edges)


# ---------------------------------------------------------------------------- the mutants


def test_mutant_report_catches_every_mutant() -> None:
    report = mutant_report()
    assert report.problems() == []
    assert set(MUTANT_CHECKS) == set(MUTANTS)
    assert all(set(c) <= set(CHECKS) for c in MUTANT_CHECKS.values())


def test_forget_real_time_is_caught_by_the_stale_read() -> None:
    """The issue's mutant: a checker that forgets real-time order passes a stale read."""
    e = CATALOGUE["stale read (real time)"]
    h = list(e.history)
    assert check_isolation(h, level="strict-serializable").ok is False
    assert check_isolation(h, level="strict-serializable", mutant="forget_real_time").ok is True
    assert not CHECKS["stale read after commit"](
        lambda *a, **k: check_isolation(*a, **k, mutant="forget_real_time")
    ).ok


def test_drop_rw_edges_misses_write_skew() -> None:
    e = CATALOGUE["write skew"]
    r = check_isolation(list(e.history), workload=e.workload, mutant="drop_rw_edges")
    assert r.ok is not False and "G2-item" not in names(r)
    assert not CHECKS["catalogue named"](
        lambda *a, **k: check_isolation(*a, **k, mutant="drop_rw_edges")
    ).ok


def test_first_read_order_rejects_growing_reads() -> None:
    h = [
        Txn(0, (("append", "x", 1),)),
        Txn(1, (("r", "x", (1,)),)),
        Txn(2, (("append", "x", 2),)),
        Txn(3, (("r", "x", (1, 2)),)),
    ]
    assert check_isolation(h).ok is True
    r = check_isolation(h, mutant="first_read_order")
    assert r.ok is False and names(r) == ["incompatible-order"]


def test_unknown_mutant_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown mutant 'nope'"):
        check_isolation([], mutant="nope")


# ---------------------------------------------------------------------------- non-cycle errors


def test_read_of_a_value_never_written_is_reported_not_crashed_on() -> None:
    for workload, read in (("list-append", (1, 7)), ("rw-register", 7)):
        write = "append" if workload == "list-append" else "w"
        h = [Txn(0, ((write, "x", 1),)), Txn(1, (("r", "x", read),))]
        r = check_isolation(h, workload=workload)
        assert r.ok is False and "garbage-read" in names(r), str(r)


def test_duplicate_appends_make_the_answer_unknown() -> None:
    h = [Txn(0, (("append", "x", 1),)), Txn(1, (("append", "x", 1),)), Txn(2, (("r", "x", (1,)),))]
    r = check_isolation(h)
    assert r.ok is None
    assert "appended to key 'x' more than once (by T0, T1)" in r.unknown[0]


def test_reads_that_are_not_prefixes_are_incompatible() -> None:
    h = [
        Txn(0, (("append", "x", 1),)),
        Txn(1, (("append", "x", 2),)),
        Txn(2, (("r", "x", (1, 2)),)),
        Txn(3, (("r", "x", (2,)),)),
    ]
    r = check_isolation(h, level="read-uncommitted")
    assert r.ok is False and names(r) == ["incompatible-order"]
    assert r.anomalies[0].txns == (2, 3)


def test_duplicate_elements_and_internal_reads() -> None:
    dup = [Txn(0, (("append", "x", 1),)), Txn(1, (("r", "x", (1, 1)),))]
    assert "duplicate-elements" in names(check_isolation(dup))
    internal = [Txn(0, (("append", "x", 1), ("r", "x", ())))]
    r = check_isolation(internal, level="read-uncommitted")
    assert r.ok is False and names(r) == ["internal"]


# ---------------------------------------------------------------------------- info and fail


def test_info_writes_count_only_when_observed() -> None:
    unobserved = [
        Txn(0, (("r", "x", ()), ("append", "y", 1)), type="info"),
        Txn(1, (("r", "y", ()),)),
    ]
    assert check_isolation(unobserved).ok is True
    observed = [
        Txn(0, (("r", "x", None), ("append", "y", 1), ("append", "x", 2)), type="info"),
        Txn(1, (("r", "y", (1,)), ("r", "x", ()))),  # saw y from T0 but not x: read skew
    ]
    r = check_isolation(observed)
    assert r.ok is False and names(r) == ["G-single"]


def test_aborted_writes_never_take_effect() -> None:
    h = [Txn(0, (("append", "x", 1),), type="fail"), Txn(1, (("r", "x", ()),))]
    assert check_isolation(h).ok is True
    assert check_isolation(h).edges == ()


# ---------------------------------------------------------------------------- rw-register orders


def test_register_order_only_what_the_history_proves() -> None:
    blind = [Txn(0, (("w", "x", 1),)), Txn(1, (("w", "x", 2),)), Txn(2, (("r", "x", 1),))]
    # serializable (T1, T0, T2): the witness order is found
    assert check_isolation(blind, workload="rw-register").ok is True
    # at read committed the order of the two blind writes is not known: no guess
    r = check_isolation(blind, workload="rw-register", level="read-committed")
    assert r.ok is True  # the serial witness settles it
    edges = dependency_edges(blind, workload="rw-register")
    assert (0, 2, "wr", "x") in edges and not any(e[2] == "ww" for e in edges)
    proven = [
        Txn(0, (("w", "x", 1),)),
        Txn(1, (("r", "x", 1), ("w", "x", 2))),  # read 1 then wrote 2: 1 before 2
        Txn(2, (("r", "x", 1),)),
    ]
    edges = dependency_edges(proven, workload="rw-register")
    assert (0, 1, "ww", "x") in edges and (2, 1, "rw", "x") in edges


def test_unknown_when_no_order_is_proven_and_no_witness() -> None:
    # T2 reads x=1 and y=2: needs T1 before T0 on x... and T0 before T1 on y? Only with an
    # order of the blind writes; the checker proves nothing and the replay fails.
    h = [
        Txn(0, (("w", "x", 1), ("w", "y", 1))),
        Txn(1, (("w", "x", 2), ("w", "y", 2))),
        Txn(2, (("r", "x", 1), ("r", "y", 2))),
    ]
    r = check_isolation(h, workload="rw-register")
    assert r.ok is None and any("not fully known" in u for u in r.unknown)
    assert serializable_by_enumeration(h, workload="rw-register") is None


# ---------------------------------------------------------------------------- real time


def test_real_time_edges_are_transitively_reduced() -> None:
    h = [Txn(i, (("append", "x", i),), start=float(2 * i), end=2 * i + 1.0) for i in range(4)]
    rt = [e[:2] for e in dependency_edges(h, order=True) if e[2] == "rt"]
    assert rt == [(0, 1), (1, 2), (2, 3)]


def test_strict_serializable_generated_histories() -> None:
    assert check_isolation(generate_history(500, seed=2), level="strict-serializable").ok is True
    bad = check_isolation(
        generate_history(500, seed=2, stale_reads=0.05), level="strict-serializable"
    )
    assert bad.ok is False
    # a stale read that misses the transaction's own earlier append is internal
    assert {a.base for a in bad.violations} <= {"G-single", "G2-item", "internal"}


# ---------------------------------------------------------------------------- readers


def test_read_list_append_fixture() -> None:
    h = read_elle_edn(DATA / "list-append.edn")
    assert [t.type for t in h] == ["ok", "ok", "ok", "info", "ok", "info"]
    assert h[0].start == 10 and h[0].end == 20  # the invocation's time is the start
    assert h[5].end is None  # never completed
    r = check_isolation(h, level="strict-serializable")
    assert r.ok is False
    assert [(a.name, a.plain) for a in r.anomalies] == [("G-single", "lost update")]


def test_read_rw_register_fixture_vector_and_string_keys() -> None:
    h = read_elle_edn(DATA / "rw-register.edn")
    assert [t.type for t in h] == ["ok", "ok", "fail", "ok"]
    r = check_isolation(h, workload="rw-register")
    assert sorted(names(r)) == ["G1a", "G2-item"]


def test_malformed_line_names_its_line() -> None:
    with pytest.raises(EDNError, match=r"^line 3, column 70: unexpected '\}'"):
        read_elle_edn(DATA / "malformed.edn")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{:type :ok, :value [[:append :x 1]]}\n[1 2]", "line 2: expected a transaction map"),
        ("{:type :done, :value []}", "line 1: :type is 'done'"),
        ("\n{:type :ok, :f :read, :value []}", "line 2: :f is 'read'; expected :txn"),
        ("{:type :ok, :value [[:append :x]]}", "line 1: micro-op 0 of :value"),
        ("{:type :ok, :process 1}", "line 1: an :ok transaction needs its :value"),
        ("{:type :ok, :value [[:r [1] 2]]}", "line 1: micro-op 0 has the key"),
        ("{:value [], :process 1}", "line 1: the map has no :type"),
        (
            "{:type :invoke, :value [], :process 1}\n{:type :invoke, :value [], :process 1}",
            "line 2: process 1 invokes again before its invocation on line 1 completed",
        ),
        ("{:type :ok, :value [], :time :noon}", "line 1: :time is 'noon'"),
        (
            "[{:type :ok, :value []}",
            "line 1, column 24: unexpected end of input, expected ']' closing the history",
        ),
    ],
)
def test_bad_lines_are_errors_with_line_numbers(text: str, message: str) -> None:
    with pytest.raises(EDNError, match="^" + message.replace("[", r"\[").replace("(", r"\(")):
        parse_elle_edn(text)


def test_reader_accepts_lines_lists_and_ignores_documented_keys() -> None:
    lines = [
        "; a comment",
        '{:type :ok, :value ([:w 1 "a"]), :process :c1, :index 3, :node "n1", :error nil}',
        "",
    ]
    (t,) = parse_elle_edn(lines)
    assert t == Txn("c1", (("w", 1, "a"),), "ok", None, 2)  # no :time on every line: line numbers


# ---------------------------------------------------------------------------- bad input


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(
        ValueError, match="unknown isolation level 'snapshot'; allowed: read-uncommitted"
    ):
        check_isolation([], level="snapshot")
    with pytest.raises(ValueError, match="unknown workload 'bank'"):
        check_isolation([], workload="bank")
    with pytest.raises(ValueError, match="use workload='rw-register'"):
        check_isolation([Txn(0, (("w", "x", 1),))])
    with pytest.raises(TypeError, match=r"history\[0\] is a tuple, not a Txn"):
        check_isolation([(0, ())])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="read an EDN file with read_elle_edn"):
        check_isolation("{:type :ok}")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Txn type is 'done'"):
        Txn(0, (), type="done")
    with pytest.raises(ValueError, match="ends .* before it starts"):
        Txn(0, (), start=2, end=1)
    with pytest.raises(ValueError, match="returned 3; a list-append read returns a tuple"):
        check_isolation([Txn(0, (("r", "x", 3),))])
    with pytest.raises(ValueError, match="must be a positive integer"):
        generate_history(10, processes=0)


# ---------------------------------------------------------------------------- output


def test_table_and_figure() -> None:
    e = CATALOGUE["lost update"]
    r = check_isolation(list(e.history), workload=e.workload)
    frame = r.to_frame()
    assert list(frame["anomaly"]) == ["G-single"]
    assert frame["cycle"][0] == "T0 -ww x-> T1 -rw x-> T0"
    fig = r.draw()
    assert len(fig.axes[0].patches) == 2  # the two edges of the cycle
    with pytest.raises(ValueError, match="which=5: there are 1 anomalies"):
        r.draw(which=5)


def test_same_output_under_any_hash_seed() -> None:
    code = (
        "from dslib.consistency.isolation import *\n"
        "h = generate_history(300, seed=4, stale_reads=0.05)\n"
        "h = [Txn(f'p{t.process}', tuple((f, f'k{k}', v) for f, k, v in t.ops),"
        " t.type, t.start, t.end) for t in h]\n"
        "r = check_isolation(h, level='strict-serializable')\n"
        "print(r); print(r.edges)\n"
    )
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "MPLBACKEND": "Agg"}
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1


def test_a_read_that_skips_a_writers_earlier_append_is_incompatible() -> None:
    h = [Txn(0, (("append", "x", 1), ("append", "x", 2))), Txn(1, (("r", "x", (2,)),))]
    r = check_isolation(h, level="read-uncommitted")
    assert r.ok is False and names(r) == ["incompatible-order"]
    assert serializable_by_enumeration(h) is None


# ---------------------------------------------------------------------------- reader round trip


def _edn(x: object, strings: bool) -> str:
    """An independent EDN writer for the round trip (keywords or strings for names)."""
    if x is None:
        return "nil"
    if isinstance(x, tuple):
        return "[" + " ".join(_edn(v, strings) for v in x) + "]"
    if isinstance(x, str):
        return f'"{x}"' if strings else f":{x}"
    return str(x)


@given(
    data=st.data(),
    strings=st.booleans(),
    vector=st.booleans(),
)
def test_reader_round_trips_what_a_writer_of_either_style_wrote(
    data: st.DataObject, strings: bool, vector: bool
) -> None:
    history = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(["ok", "fail", "info"]),
                st.lists(
                    st.one_of(
                        st.tuples(
                            st.just("append"), st.sampled_from(["x", "y"]), st.integers(0, 9)
                        ),
                        st.tuples(
                            st.just("r"),
                            st.sampled_from(["x", "y"]),
                            st.lists(st.integers(0, 9), max_size=3).map(tuple),
                        ),
                    ),
                    max_size=3,
                ),
            ),
            max_size=5,
        )
    )
    records = []
    time = 0
    for process, (kind, ops) in enumerate(history):
        ops_edn = _edn(tuple(tuple(op) for op in ops), strings)
        invoke_ops = _edn(tuple((f, k, None if f == "r" else v) for f, k, v in ops), strings)
        name = (lambda s: f'"{s}"') if strings else (lambda s: f":{s}")
        records.append(
            f"{{{name('type')} {name('invoke')}, {name('f')} {name('txn')}, "
            f"{name('value')} {invoke_ops}, {name('process')} {process}, {name('time')} {time}}}"
        )
        records.append(
            f"{{{name('type')} {name(kind)}, {name('f')} {name('txn')}, {name('value')} {ops_edn},"
            f" {name('process')} {process}, {name('time')} {time + 1}, {name('index')} 7}}"
        )
        time += 2
    text = ("[" + "\n".join(records) + "]") if vector else "\n".join(records)
    parsed = parse_elle_edn(text)
    assert parsed == [
        Txn(p, tuple(tuple(op) for op in ops), kind, 2 * p, 2 * p + 1)
        for p, (kind, ops) in enumerate(history)
    ]


def test_a_read_that_misses_an_earlier_own_append_is_internal() -> None:
    """Found by the soak: T1 appends 2, reads [1 2], then reads [1]. The checker answered
    unknown: the second read misses the transaction's own append (Elle: internal), and with
    the writer of 2 being T1 itself no cycle shows it."""
    h = [
        Txn("p0", (("r", "x", ()), ("append", "x", 1)), "ok", 0.0, 1.0),
        Txn("p1", (("append", "x", 2), ("r", "x", (1, 2)), ("r", "x", (1,))), "ok", 2.0, 4.0),
        Txn("last", (("r", "x", (1, 2)),), "ok", 5.0, 6.0),
    ]
    result = check_isolation(h, level="read-committed")
    assert result.ok is False
    assert [(a.base, tuple(a.txns)) for a in result.violations] == [("internal", (1,))]
    # a dirty value seen first and gone later is G1a's business, not internal
    dirty = [
        Txn("w", (("append", "x", 1),), "fail", 0.0, 1.0),
        Txn("r", (("r", "x", (1,)), ("r", "x", ())), "ok", 0.5, 2.0),
    ]
    bases = {a.base for a in check_isolation(dirty, level="read-uncommitted").anomalies}
    assert "internal" not in bases
