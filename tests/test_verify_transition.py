"""Tests of the transition-system layer of dslib.verify: declarations, views, errors,
concrete states, and the generic checks (check_inductive, check_implies, bmc) on small systems.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from dslib.verify import (
    SpecificationError,
    State,
    TransitionSystem,
    bmc,
    check_implies,
    check_inductive,
    confirm_counterexample,
    confirm_trace,
)
from dslib.verify.transition import text_table

Node = z3.DeclareSort("node")


def switches(*, size: int | None = None) -> TransitionSystem:
    """Nodes that can be switched on, one at a time, while fewer than... nothing stops them."""
    ts = TransitionSystem("switches")
    ts.sort(Node, size=size)
    ts.relation("on", Node)
    ts.constant("count", z3.IntSort())
    n = z3.Const("n", Node)

    @ts.init
    def all_off(s: Any) -> Any:
        return z3.And(z3.ForAll([n], z3.Not(s.on(n))), s.count == 0)

    @ts.action(n=Node)
    def switch_on(s: Any, n: Any) -> None:
        s.require(z3.Not(s.on(n)))
        s.on[n] = True
        s.count = s.count + 1

    return ts


def some_node_off(s: Any) -> Any:
    n = z3.Const("n", Node)
    return z3.Exists([n], z3.Not(s.on(n)))


def count_nonnegative(s: Any) -> Any:
    return s.count >= 0


# ---- declarations and errors ------------------------------------------------------------


def test_empty_sort_is_rejected() -> None:
    ts = TransitionSystem("t")
    with pytest.raises(ValueError, match=r"sort 'node' is empty \(size=0\)"):
        ts.sort(Node, size=0)
    with pytest.raises(ValueError, match=r"sort 'vote' is empty \(elements=\[\]\)"):
        ts.sort("vote", elements=[])
    with pytest.raises(ValueError, match="size=-1"):
        ts.sort("x", size=-1)


def test_action_updating_an_undeclared_relation_is_rejected() -> None:
    ts = TransitionSystem("t")
    ts.sort(Node)
    ts.relation("on", Node)
    with pytest.raises(SpecificationError, match="action 'start' refers to 'of'.*declares: on"):

        @ts.action(n=Node)
        def start(s: Any, n: Any) -> None:
            s.of[n] = True

    with pytest.raises(SpecificationError, match="action 'stop' updates 'counter'"):

        @ts.action()
        def stop(s: Any) -> None:
            s.counter = 1

    assert [a.name for a in ts.actions] == []  # neither was registered


def test_action_updating_a_rigid_relation_is_rejected() -> None:
    ts = TransitionSystem("t")
    ts.sort(Node)
    ts.relation("member", Node, mutable=False)
    with pytest.raises(SpecificationError, match="'member', which is rigid"):

        @ts.action(n=Node)
        def join(s: Any, n: Any) -> None:
            s.member[n] = True


def test_invariant_naming_something_unknown_is_rejected() -> None:
    ts = switches()

    def typo(s: Any) -> Any:
        n = z3.Const("n", Node)
        return z3.ForAll([n], s.onn(n))

    with pytest.raises(SpecificationError, match=r"invariant 'typo' refers to 'onn'.*declares: on"):
        check_inductive(ts, [typo])


def test_invariant_with_a_foreign_symbol_or_free_variable_is_rejected() -> None:
    ts = switches()
    foreign = z3.Function("off", Node, z3.BoolSort())
    free = z3.Const("m", Node)
    with pytest.raises(SpecificationError, match="uses 'off'.*not part of"):
        check_inductive(ts, {"foreign": lambda s: z3.ForAll([free], foreign(free))})
    with pytest.raises(SpecificationError, match="uses 'm'"):
        check_inductive(ts, {"free": lambda s: s.on(free)})
    with pytest.raises(SpecificationError, match="property 'p' uses 'm'"):
        bmc(ts, 2, {"p": lambda s: s.on(free)})


def test_invariant_must_return_a_boolean() -> None:
    with pytest.raises(TypeError, match="must return a z3 Boolean"):
        check_inductive(switches(), {"count": lambda s: s.count})


def test_wrong_arity_and_sort_are_type_errors() -> None:
    ts = switches()
    with pytest.raises(TypeError, match=r"on takes 1 argument \(node\), got 2"):
        check_inductive(ts, {"x": lambda s: s.on(z3.Const("a", Node), z3.Const("b", Node))})
    with pytest.raises(TypeError, match="argument 1 of on"):
        check_inductive(ts, {"x": lambda s: s.on(3)})


def test_views_are_read_only_outside_actions() -> None:
    ts = switches()
    n = z3.Const("n", Node)

    def writes(s: Any) -> Any:
        s.on[n] = True
        return z3.BoolVal(True)

    with pytest.raises(SpecificationError, match="can only read the state"):
        check_inductive(ts, [writes])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda ts: ts.relation("on", Node), ValueError, "already declared"),
        (lambda ts: ts.relation("require", Node), ValueError, "reserved"),
        (lambda ts: ts.relation("2x", Node), ValueError, "identifier"),
        (lambda ts: ts.relation("_x", Node), ValueError, "must not start"),
        (lambda ts: ts.relation("r", z3.DeclareSort("other")), SpecificationError, "not a sort"),
        (lambda ts: ts.sort(Node), ValueError, "already declared"),
        (lambda ts: ts.sort(z3.IntSort()), TypeError, "built-in"),
        (lambda ts: ts.sort("v", size=2, elements=["a", "b"]), ValueError, "not both"),
        (lambda ts: ts.sort("v", elements=["a", "a"]), ValueError, "distinct"),
        (lambda ts: ts.elements(Node), ValueError, "no fixed size"),
        (lambda ts: check_inductive(ts, []), ValueError, "at least one"),
        (lambda ts: check_inductive(ts, [lambda s: True, lambda s: True]), ValueError, "name"),
        (lambda ts: check_inductive(ts, {"a": 1}), TypeError, "must be a function"),
        (lambda ts: check_inductive(ts, "x"), TypeError, "expected a formula"),
        (lambda ts: check_inductive("ts", [count_nonnegative]), TypeError, "TransitionSystem"),
        (lambda ts: check_inductive(ts, [count_nonnegative], max_size=0), ValueError, "max_size"),
        (lambda ts: bmc(ts, -1, count_nonnegative), ValueError, "depth must be"),
        (lambda ts: ts.without_axiom("nope"), ValueError, "no axiom 'nope'"),
        (lambda ts: TransitionSystem(""), TypeError, "non-empty"),
    ],
)
def test_bad_declarations_and_arguments(call, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        call(switches())


# ---- concrete states ---------------------------------------------------------------------


def test_state_access_and_rendering() -> None:
    st = State(
        (("node", ("node1", "node2")),),
        (("on", frozenset({("node2",)})), ("count", 1)),
    )
    assert st.holds("on", "node2") and not st.holds("on", "node1")
    assert st.value("count") == 1
    assert str(st) == "node: node1, node2\non = node2\ncount = 1"
    with pytest.raises(KeyError, match="no symbol 'off'"):
        st["off"]


def test_evaluate_and_is_step_on_concrete_states() -> None:
    ts = switches()
    nodes = (("node", ("node1", "node2")),)
    before = State(nodes, (("on", frozenset({("node1",)})), ("count", 1)))
    after = State(nodes, (("on", frozenset({("node1",), ("node2",)})), ("count", 2)))
    assert ts.evaluate(some_node_off, before)
    assert not ts.evaluate(some_node_off, after)
    assert ts.is_step(before, "switch_on", {"n": "node2"}, after)
    assert not ts.is_step(before, "switch_on", {"n": "node1"}, after)  # not enabled
    wrong = State(nodes, (("on", frozenset({("node1",), ("node2",)})), ("count", 3)))
    assert not ts.is_step(before, "switch_on", {"n": "node2"}, wrong)
    with pytest.raises(ValueError, match="no action 'jump'"):
        ts.is_step(before, "jump", {}, after)
    with pytest.raises(ValueError, match="takes parameters"):
        ts.is_step(before, "switch_on", {}, after)


# ---- checks on small systems ------------------------------------------------------------


def test_a_property_true_for_fixed_sizes_only_is_not_proved_for_any_size() -> None:
    # "some node is off" survives every step only if... it does not: with one node, one
    # switch_on turns the only node on. BMC finds it with the fewest nodes (one).
    res = bmc(switches(), 3, some_node_off)
    assert res.steps == 1
    assert res.trace is not None
    assert res.trace.states[0].sort_elements("node") == ("node1",)
    assert confirm_trace(switches(), res.trace, some_node_off)


def test_fixed_size_sorts_bound_the_model() -> None:
    res = bmc(switches(size=3), 5, some_node_off)
    assert res.steps == 3  # all three nodes must be switched on
    assert res.trace is not None
    assert res.trace.states[0].sort_elements("node") == ("node1", "node2", "node3")
    assert confirm_trace(switches(size=3), res.trace, some_node_off)
    assert not bmc(switches(size=3), 2, some_node_off).found


def test_int_counterexamples_are_closest_to_zero() -> None:
    # count >= 0 is not inductive alone? It is: count only grows. count != 2 is not.
    ts = switches()
    assert check_inductive(ts, [count_nonnegative]).proved
    res = check_inductive(ts, {"count_not_2": lambda s: s.count != 2})
    cti = res.cti
    assert cti is not None
    assert cti.before["count"] == 1 and cti.after is not None and cti.after["count"] == 2
    assert cti.before.sort_elements("node") == ("node1",)
    assert confirm_counterexample(ts, {"count_not_2": lambda s: s.count != 2}, cti)


def test_initiation_failure_is_reported_with_an_initial_state() -> None:
    ts = switches()
    inv = {"count_positive": lambda s: s.count > 0}
    res = check_inductive(ts, inv)
    assert res.failing == (("count_positive", "init"),)
    cti = res.cti
    assert cti is not None and cti.kind == "initiation" and cti.after is None
    assert cti.before["count"] == 0
    assert confirm_counterexample(ts, inv, cti)
    assert "an initial state of 'switches' violates count_positive" in repr(cti)


def test_check_implies() -> None:
    ts = switches()
    assert check_implies(ts, [count_nonnegative], {"gt": lambda s: s.count > -1}).holds
    res = check_implies(ts, [count_nonnegative], {"small": lambda s: s.count < 5})
    assert not res.holds
    assert res.counterexample is not None and res.counterexample["count"] == 5


def test_step_semantics_reads_see_the_old_state_and_later_writes_win() -> None:
    ts = TransitionSystem("swap")
    ts.constant("a", z3.IntSort())
    ts.constant("b", z3.IntSort())
    ts.sort(Node)
    ts.relation("flag", Node)

    @ts.init
    def start(s: Any) -> Any:
        n = z3.Const("n", Node)
        return z3.And(s.a == 1, s.b == 2, z3.ForAll([n], s.flag(n)))

    @ts.action(n=Node)
    def swap(s: Any, n: Any) -> None:
        s.a = s.b
        s.b = s.a  # reads the old a: a swap, not a copy
        s.flag.update(lambda m: False)
        s.flag[n] = True  # later than the update: wins for n

    res = bmc(ts, 1, {"not_swapped": lambda s: z3.Not(z3.And(s.a == 2, s.b == 1))})
    assert res.steps == 1 and res.trace is not None
    assert res.trace.states[1]["a"] == 2 and res.trace.states[1]["b"] == 1
    nodes = (("node", ("node1", "node2")),)
    both = frozenset({("node1",), ("node2",)})
    before = State(nodes, (("a", 1), ("b", 2), ("flag", both)))

    def after(flags: frozenset[tuple[str, ...]], a: int = 2, b: int = 1) -> State:
        return State(nodes, (("a", a), ("b", b), ("flag", flags)))

    assert ts.is_step(before, "swap", {"n": "node2"}, after(frozenset({("node2",)})))
    assert not ts.is_step(before, "swap", {"n": "node2"}, after(frozenset()))
    assert not ts.is_step(before, "swap", {"n": "node2"}, after(both))
    assert not ts.is_step(before, "swap", {"n": "node2"}, after(frozenset({("node2",)}), b=2))


def test_named_elements_can_be_used_in_formulas() -> None:
    ts = TransitionSystem("ballot")
    Vote = ts.sort("vote", elements=("yes", "no"))
    yes, no = ts.elements(Vote)
    ts.sort(Node)
    ts.function("ballot", Node, result=Vote)

    @ts.init
    def all_yes(s: Any) -> Any:
        n = z3.Const("n", Node)
        return z3.ForAll([n], s.ballot(n) == yes)

    @ts.action(n=Node)
    def change_mind(s: Any, n: Any) -> None:
        s.ballot[n] = no

    def unanimous(s: Any) -> Any:
        n = z3.Const("n", Node)
        return z3.ForAll([n], s.ballot(n) == yes)

    res = bmc(ts, 3, unanimous)
    assert res.steps == 1 and res.trace is not None
    assert res.trace.states[1]["ballot"] == {("node1",): "no"}
    assert res.trace.states[0].sort_elements("vote") == ("yes", "no")
    assert confirm_trace(ts, res.trace, unanimous)
    cti = check_inductive(ts, [unanimous]).cti
    assert cti is not None and confirm_counterexample(ts, [unanimous], cti)


def test_text_table() -> None:
    assert text_table(["a", "b"], [["xx", ""], ["y", "z"]]) == "a   b\nxx\ny   z"


def test_without_axiom_leaves_the_original_alone() -> None:
    ts = TransitionSystem("t")
    ts.constant("x", z3.IntSort(), mutable=False)
    ts.axiom({"positive": lambda s: s.x > 0})
    other = ts.without_axiom("positive")
    other.constant("y", z3.IntSort())
    assert [n for n, _ in ts.axioms] == ["positive"]
    assert "y" not in ts.symbols and "y" in other.symbols
    assert other.name == "t without positive"


def test_tables_have_one_row_per_symbol_or_state() -> None:
    res = bmc(switches(size=2), 3, some_node_off)
    assert res.trace is not None
    table = res.trace.to_frame()
    assert list(table.columns) == ["action", "on", "count"]
    assert list(table.index) == [0, 1, 2]
    assert table.loc[2, "on"] == "node1, node2"
    cti = check_inductive(switches(), {"count_not_2": lambda s: s.count != 2}).cti
    assert cti is not None
    frame = cti.to_frame()
    assert list(frame.index) == ["on", "count"]
    assert frame.loc["count", "after"] == "2" and frame.loc["count", "changed"] == "changed"
    # The old name still works for one release: it warns and gives the same frame.
    with pytest.warns(
        DeprecationWarning, match=r"Trace.table\(\) is deprecated: write Trace.to_frame"
    ):
        assert res.trace.table().equals(table)
    with pytest.warns(DeprecationWarning, match=r"CounterexampleToInduction.to_frame\(\)"):
        assert cti.table().equals(frame)


def test_state_terms_fix_rigid_symbols_once_then_each_state_in_turn() -> None:
    from dslib.verify._canonical import Universe, state_terms

    ts = TransitionSystem("t")
    ts.sort("node", elements=("a", "b"))
    ts.relation("up", ts.sorts[0].sort)
    ts.constant("cap", z3.IntSort(), mutable=False)  # rigid, though declared last
    universe = Universe(ts, {"node": ts.sorts[0].elements()})
    terms = state_terms(universe, [ts._symbolic("@0"), ts._symbolic("@1")])
    assert [str(t) for t in terms] == ["cap", "up@0(a)", "up@0(b)", "up@1(a)", "up@1(b)"]


def test_restoring_scopes_pops_what_was_pushed_inside_even_on_error() -> None:
    from dslib.verify._canonical import restoring_scopes

    solver = z3.Solver()
    solver.push()  # the caller's own scope stays
    with restoring_scopes(solver):
        solver.push()
        solver.push()
    assert solver.num_scopes() == 1
    with pytest.raises(RuntimeError, match="inside"), restoring_scopes(solver):
        solver.push()
        raise RuntimeError("inside")
    assert solver.num_scopes() == 1


# -- canonical choices: the galloping search against brute force ---------------------------------
def _lexicographic_best(
    clauses: list[list[int]], literals: list[int], nvars: int
) -> tuple[bool, ...] | None:
    """By enumeration: the greatest truth vector of ``literals`` (true > false, in order)
    over all assignments satisfying ``clauses`` (a literal +v / -v is variable v, negated)."""
    best = None
    for bits in itertools.product((False, True), repeat=nvars):

        def value(lit: int, bits: tuple[bool, ...] = bits) -> bool:
            return bits[abs(lit) - 1] if lit > 0 else not bits[abs(lit) - 1]

        if all(any(value(lit) for lit in clause) for clause in clauses):
            vector = tuple(value(lit) for lit in literals)
            best = vector if best is None or vector > best else best
    return best


signed = st.integers(1, 7).flatmap(lambda v: st.sampled_from([v, -v]))


@given(
    st.lists(st.lists(signed, min_size=1, max_size=3), max_size=14),
    st.lists(signed, min_size=1, max_size=12),
)
@settings(max_examples=80, deadline=None)
def test_prefer_in_order_finds_the_lexicographically_greatest_choice(
    clauses: list[list[int]], literals: list[int]
) -> None:
    from dslib.verify._canonical import first_possible, prefer_in_order

    xs = [z3.Bool(f"x{v}") for v in range(1, 8)]

    def lit(v: int) -> Any:
        return xs[abs(v) - 1] if v > 0 else z3.Not(xs[abs(v) - 1])

    solver = z3.Solver()
    solver.add(*[z3.Or([lit(v) for v in clause]) for clause in clauses])
    expected = _lexicographic_best(clauses, literals, 7)
    if solver.check() != z3.sat:
        assert expected is None
        return
    assert expected is not None
    zlits = [lit(v) for v in literals]
    first = first_possible(solver, zlits)
    possible = [
        i
        for i in range(len(literals))
        if _lexicographic_best([*clauses, [literals[i]]], literals, 7) is not None
    ]
    assert first == (possible[0] if possible else None)
    model = prefer_in_order(solver, zlits)
    got = tuple(bool(z3.is_true(model.eval(x, model_completion=True))) for x in zlits)
    assert got == expected
    assert solver.check() == z3.sat  # the choices stay asserted and consistent
