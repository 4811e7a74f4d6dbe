"""Tests of dslib.verify.quorums: z3 intersection proofs, cross-checked by enumeration."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.verify import (
    IntersectionResult,
    QuorumSystem,
    byzantine,
    check_by_enumeration,
    explicit,
    flexible_paxos,
    grid,
    majority,
    prove_intersection,
    read_write,
    threshold,
    weighted,
)


def assert_witness_is_real(result: IntersectionResult) -> None:
    """The witness quorums are quorums, minimal, and share fewer nodes than required."""
    assert result.witness is not None
    a, b = result.witness
    assert result.first.is_quorum(a) and result.second.is_quorum(b)
    assert len(set(a) & set(b)) < result.overlap
    for q, system in ((a, result.first), (b, result.second)):
        for node in q:
            assert not system.is_quorum(set(q) - {node}), f"{q} is not a minimal quorum"
        assert list(q) == [n for n in system.nodes if n in q]  # in node order


def same_answer(first: QuorumSystem, second: QuorumSystem | None = None, **kw: int) -> None:
    by_z3 = prove_intersection(first, second, **kw)
    by_hand = check_by_enumeration(first, second, **kw)
    assert by_z3.holds == by_hand.holds
    assert by_z3.witness == by_hand.witness
    assert by_z3.method == "z3" and by_hand.method == "enumeration"
    if not by_z3.holds:
        assert_witness_is_real(by_z3)


def test_read_one_write_one_of_three_fails_with_disjoint_singletons() -> None:
    read, write = read_write(3, r=1, w=1)
    result = prove_intersection(read, write)
    assert not result.holds and not result
    assert result.witness == (("n1",), ("n2",))
    assert result.common == ()
    assert repr(result) == (
        "fails: read quorum {n1} and write quorum {n2} share 0 nodes; at least 1 needed"
    )


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 7).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n), st.integers(1, n)))
)
def test_read_write_quorums_intersect_exactly_when_r_plus_w_exceeds_n(
    nrw: tuple[int, int, int],
) -> None:
    n, r, w = nrw
    read, write = read_write(n, r, w)
    assert prove_intersection(read, write).holds == (r + w > n)
    same_answer(read, write)
    same_answer(write)  # write-write: 2w > n
    assert prove_intersection(write).holds == (2 * w > n)


@pytest.mark.parametrize("n", range(1, 10))
def test_majorities_always_intersect(n: int) -> None:
    result = prove_intersection(majority(n))
    assert result.holds and result.witness is None
    assert check_by_enumeration(majority(n)).holds


@pytest.mark.parametrize("f", [1, 2, 3])
def test_byzantine_needs_3f_plus_1(f: int) -> None:
    good = prove_intersection(byzantine(3 * f + 1, f))
    assert good.holds and good.overlap == f + 1
    bad = prove_intersection(byzantine(3 * f, f))
    assert not bad.holds
    assert_witness_is_real(bad)
    a, b = bad.witness  # type: ignore[misc]
    # Two quorums of 2f nodes out of 3f share exactly f nodes: all could be faulty.
    assert len(a) == len(b) == 2 * f and len(bad.common) == f
    same_answer(byzantine(3 * f, f))
    same_answer(byzantine(3 * f + 1, f))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 9).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_byzantine_holds_exactly_when_n_at_least_3f_plus_1(nf: tuple[int, int]) -> None:
    n, f = nf
    assert prove_intersection(byzantine(n, f)).holds == (n >= 3 * f + 1)
    same_answer(byzantine(n, f))


def test_byzantine_witness_for_f1_n3() -> None:
    result = prove_intersection(byzantine(3, 1))
    assert result.witness == (("n1", "n2"), ("n1", "n3"))
    assert result.common == ("n1",)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n), st.integers(1, n)))
)
def test_flexible_paxos_needs_only_phase1_phase2_intersection(nq: tuple[int, int, int]) -> None:
    n, q1, q2 = nq
    p1, p2 = flexible_paxos(n, q1, q2)
    assert prove_intersection(p1, p2).holds == (q1 + q2 > n)
    same_answer(p1, p2)


def test_flexible_paxos_small_phase2_quorums_do_not_meet_each_other() -> None:
    p1, p2 = flexible_paxos(6, phase1=5, phase2=2)
    assert prove_intersection(p1, p2).holds
    other = prove_intersection(p2)
    assert not other.holds and other.witness == (("n1", "n2"), ("n3", "n4"))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=6), st.data())
def test_weighted_quorums_agree_with_enumeration(weights: list[int], data: st.DataObject) -> None:
    nodes = {f"w{i}": w for i, w in enumerate(weights)}
    t = data.draw(st.integers(1, sum(weights)))
    same_answer(weighted(nodes, t))


def test_weighted_majority_intersects() -> None:
    assert prove_intersection(weighted({"a": 3, "b": 2, "c": 2, "d": 1})).holds


@pytest.mark.parametrize(("rows", "cols"), [(1, 1), (2, 2), (2, 3), (3, 3), (3, 4)])
def test_grid_quorums_intersect(rows: int, cols: int) -> None:
    q = grid(rows, cols)
    assert prove_intersection(q).holds
    same_answer(q)
    smallest = q.minimal_quorums()[0]
    assert len(smallest) == rows + cols - 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sets(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1), min_size=1, max_size=5
    )
)
def test_explicit_quorums_agree_with_enumeration(quorums: list[set[str]]) -> None:
    q = explicit(quorums, nodes=["a", "b", "c", "d", "e"])
    same_answer(q)
    expected = all(x & y for x, y in itertools.product(quorums, repeat=2))
    assert prove_intersection(q).holds == expected


def test_explicit_failing_witness() -> None:
    result = prove_intersection(explicit([{"a", "b"}, {"b", "c"}, {"c", "d"}]))
    assert result.witness == (("a", "b"), ("c", "d"))


def test_overlap_argument_overrides_and_is_checked() -> None:
    assert not prove_intersection(majority(5), overlap=2).holds
    assert prove_intersection(threshold(5, 4), overlap=3).holds
    with pytest.raises(ValueError, match="overlap=6 is out of range"):
        prove_intersection(majority(5), overlap=6)


def test_minimal_quorums_and_is_quorum() -> None:
    assert majority(3).minimal_quorums() == [("n1", "n2"), ("n1", "n3"), ("n2", "n3")]
    assert weighted({"a": 3, "b": 1, "c": 1}).minimal_quorums() == [("a",)]
    with pytest.raises(ValueError, match="not nodes of this system"):
        majority(3).is_quorum({"n4"})


def test_named_nodes_keep_their_order() -> None:
    q = majority(["z", "y", "x"])
    assert q.nodes == ("z", "y", "x")
    result = prove_intersection(threshold(["z", "y", "x"], 1))
    assert result.witness == (("z",), ("y",))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: majority(0), ValueError, "at least 1 node"),
        (lambda: majority([]), ValueError, "at least one node"),
        (lambda: majority(["a", "a"]), ValueError, "distinct"),
        (lambda: majority("abc"), TypeError, "count"),
        (lambda: majority(True), TypeError, "bool"),
        (lambda: threshold(3, 4), ValueError, "size=4 is out of range"),
        (lambda: threshold(3, 0), ValueError, "size=0 is out of range"),
        (lambda: read_write(3, 1, 5), ValueError, "size=5"),
        (lambda: byzantine(3, 3), ValueError, "f=3 is out of range"),
        (lambda: weighted({"a": 0}), ValueError, "weight of a"),
        (lambda: weighted({"a": 1}, threshold=2), ValueError, "threshold=2"),
        (lambda: grid(0, 2), ValueError, "rows=0"),
        (lambda: explicit([]), ValueError, "at least one quorum"),
        (lambda: explicit([set()]), ValueError, "empty"),
        (lambda: explicit(["ab"]), TypeError, "string"),
        (lambda: explicit([{"a"}], nodes=["b"]), ValueError, "not in nodes"),
        (lambda: prove_intersection(majority(3), majority(4)), ValueError, "different nodes"),
        (lambda: prove_intersection("majority"), TypeError, "QuorumSystem"),
        (lambda: check_by_enumeration(majority(17)), ValueError, "at most 16 nodes"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call()


def test_reprs() -> None:
    assert repr(majority(5)) == "QuorumSystem(quorums: any 3 of the 5 nodes n1..n5)"
    assert repr(prove_intersection(byzantine(4, 1))) == (
        "proved: every two quorums (any 3 of the 4 nodes n1..n4) share at least 2 nodes"
    )
    assert repr(grid(2, 2)) == "QuorumSystem(quorums: a full row and a full column of a 2 x 2 grid)"


def rows_or_columns(rows: int, cols: int) -> QuorumSystem:
    """Quorums are the rows and the columns of a grid: two rows (or two columns) never meet."""
    cells = [[f"r{i}c{j}" for j in range(1, cols + 1)] for i in range(1, rows + 1)]
    lines = [set(row) for row in cells] + [set(col) for col in zip(*cells, strict=True)]
    return explicit(lines, nodes=[c for row in cells for c in row])


@pytest.mark.parametrize(("rows", "cols"), [(2, 3), (3, 3), (3, 4)])
def test_rows_or_columns_witness_agrees_with_enumeration(rows: int, cols: int) -> None:
    same_answer(rows_or_columns(rows, cols))


@pytest.mark.parametrize(
    "side", [8, pytest.param(14, marks=pytest.mark.deep)], ids=lambda n: f"{n}x{n}"
)
def test_rows_or_columns_witness_on_a_large_grid(side: int) -> None:
    """64 nodes (196 in the deep run), far too many subsets to enumerate. By hand: a pair of
    disjoint lines is two rows or two columns; the smallest pairs hold side + side nodes,
    and the canonical one puts the earliest nodes in A (row 1, which holds r1c1 and r1c2),
    then in B (row 2)."""
    result = prove_intersection(rows_or_columns(side, side))
    assert result.witness == (
        tuple(f"r1c{j}" for j in range(1, side + 1)),
        tuple(f"r2c{j}" for j in range(1, side + 1)),
    )
    assert_witness_is_real(result)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.sets(st.sampled_from([f"v{i:02d}" for i in range(12)]), min_size=1, max_size=6),
        min_size=1,
        max_size=6,
    )
)
def test_explicit_quorums_on_twelve_nodes_agree_with_enumeration(quorums: list[set[str]]) -> None:
    same_answer(explicit(quorums, nodes=[f"v{i:02d}" for i in range(12)]))


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        st.lists(st.integers(1, 5), min_size=1, max_size=7).flatmap(
            lambda ws: st.integers(1, sum(ws)).map(
                lambda t: weighted({f"w{i}": w for i, w in enumerate(ws)}, t)
            )
        ),
        st.integers(1, 8).flatmap(lambda n: st.integers(1, n).map(lambda s: threshold(n, s))),
        st.tuples(st.integers(1, 3), st.integers(1, 3)).map(lambda rc: grid(*rc)),
        st.lists(st.sets(st.sampled_from("abcde"), min_size=1), min_size=1, max_size=5).map(
            lambda qs: explicit(qs, nodes=list("abcde"))
        ),
    )
)
def test_smallest_quorum_bound_is_the_true_smallest(system: QuorumSystem) -> None:
    """prove_intersection starts its witness search at two smallest quorums; a bound that
    is too large would skip the true smallest witness."""
    assert system._smallest() == len(system.minimal_quorums()[0])
