"""dslib.databases.documents: the document store, its two index designs, denormalisation.

The checkers (``index_consistent``, ``queries_complete``, ``copies_agree``) are compared
with brute-force oracles that replay the workload alone, on random small workloads
(hypothesis); every mutant is caught by its named check, with its catch rate pinned.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dslib.databases.documents import (
    CHECKS,
    MUTANT_CHECKS,
    MUTANTS,
    DocClient,
    DocConfig,
    DocShard,
    IndexUpdate,
    ShardState,
    catch_rate,
    churn_workloads,
    copies_agree,
    doc_system,
    dynamo_comparison,
    freeze_doc,
    index_consistent,
    index_cost_table,
    index_entries,
    index_lag,
    mutant_report,
    op_costs,
    orders_workloads,
    queries_complete,
    run_documents,
    stale_copies,
    stale_copy_in,
    term,
)
from dslib.sim.nemesis import Crash, Nemesis

DESIGNS = [
    DocConfig(index="local"),
    DocConfig(index="global"),
    DocConfig(index="global", sync=True),
]


# -- oracles: replay one client's workload in order, nothing distributed ----------------------
def replay(load: list[tuple[Any, ...]]) -> tuple[dict[str, dict[str, Any]], list[tuple[str, ...]]]:
    """The documents at the end, and each query's answer, of a workload run alone in order."""
    docs: dict[str, dict[str, Any]] = {}
    answers = []
    for op in load:
        if op[0] == "put":
            docs[op[1]] = dict(op[2])
        elif op[0] == "update":
            docs[op[1]] = {**docs.get(op[1], {}), **op[2]}
        elif op[0] == "query":
            found = (i for i, d in docs.items() if d.get("customer", None) == op[1])
            answers.append(tuple(sorted(found)))
    return docs, answers


def oracle_index(docs: dict[str, dict[str, Any]]) -> set[tuple[str, str]]:
    return {(term(d["customer"]), i) for i, d in docs.items() if "customer" in d}


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("put"),
            st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),
            st.fixed_dictionaries({"customer": st.sampled_from(["cu1", "cu2", "cu3"])}),
        ),
        st.tuples(
            st.just("update"),
            st.sampled_from(["o1", "o2", "o3", "o4", "o5"]),
            st.one_of(
                st.fixed_dictionaries({"customer": st.sampled_from(["cu1", "cu2", "cu3"])}),
                st.fixed_dictionaries({"item": st.sampled_from(["lamp", "desk"])}),
            ),
        ),
        st.tuples(st.just("query"), st.sampled_from(["cu1", "cu2", "cu3"])),
    ),
    min_size=1,
    max_size=12,
)


# -- bad input ---------------------------------------------------------------------------------
def test_bad_configuration_is_an_error_that_says_what_is_allowed() -> None:
    with pytest.raises(ValueError, match="choose 'local' or 'global'"):
        DocConfig(index="btree")
    with pytest.raises(ValueError, match="sync=True only applies to index='global'"):
        DocConfig(index="local", sync=True)
    with pytest.raises(ValueError, match="shards=0 must be an int >= 1"):
        DocConfig(shards=0)
    with pytest.raises(ValueError, match="unknown mutant 'typo'; allowed"):
        DocConfig(mutant="typo")
    with pytest.raises(ValueError, match="choose 'normalised' or 'embedded'"):
        DocConfig(model="relational")


def test_bad_documents_and_workloads_are_errors() -> None:
    with pytest.raises(TypeError, match="values must be hashable"):
        freeze_doc({"tags": ["a", "b"]})
    with pytest.raises(TypeError, match="field names are strings"):
        freeze_doc({1: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="workload operation 1: .*allowed"):
        DocClient(DocConfig(), [("get", "o1"), ("delete", "o1")])
    with pytest.raises(ValueError, match="needs 3 items"):
        DocClient(DocConfig(), [("put", "o1")])
    with pytest.raises(TypeError, match="must be a DocConfig"):
        doc_system("local", [[]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="design 'btree'"):
        index_cost_table(designs=("btree",))
    with pytest.raises(ValueError, match="check 'nope'"):
        catch_rate(None, "nope", range(1))
    with pytest.raises(ValueError, match="query_share"):
        orders_workloads(query_share=2.0)


# -- behaviour ---------------------------------------------------------------------------------
@pytest.mark.parametrize("config", DESIGNS, ids=lambda c: f"{c.index}{'-sync' if c.sync else ''}")
def test_every_design_answers_a_sequential_workload_like_the_replay(config: DocConfig) -> None:
    load: list[tuple[Any, ...]] = [
        ("put", "o1", {"customer": "cu1"}),
        ("put", "o2", {"customer": "cu1"}),
        ("put", "o3", {"customer": "cu2"}),
        ("update", "o1", {"customer": "cu2"}),
        ("query", "cu1"),
        ("query", "cu2"),
    ]
    sim = run_documents(config, [load], seed=3, think=20.0)  # pauses: the index has caught up
    answers = [op.result for op in sim.history.operations() if op.f == "query"]
    assert answers == replay(load)[1] == [("o2",), ("o1", "o3")]
    assert index_consistent(sim).ok is True


def test_a_write_to_a_local_index_touches_one_shard_and_a_query_every_shard() -> None:
    table = index_cost_table(shards=(2, 8), seeds=[0], ops=8, designs=("local",))
    queries = table[table["operation"] == "query"].set_index("shards")["messages"]
    writes = table[table["operation"] == "write"].set_index("shards")["messages"]
    assert queries.to_dict() == {2: 4.0, 8: 16.0}  # one request and one reply per shard
    assert writes.to_dict() == {2: 2.0, 8: 2.0}


def test_a_global_index_query_costs_less_than_scatter_gather_and_a_write_more() -> None:
    table = index_cost_table(shards=(16,), seeds=[0], ops=8, designs=("local", "global (async)"))
    cost = table.set_index(["design", "operation"])["messages"]
    assert cost["global (async)", "query"] < cost["local", "query"] / 2
    assert cost["global (async)", "write"] > cost["local", "write"]


def test_op_costs_counts_the_index_messages_of_a_write() -> None:
    sim = run_documents(DocConfig(index="global"), [[("update", "o1", {"customer": "cu1"})]])
    [row] = op_costs(sim).to_dict("records")
    assert (row["f"], row["messages"], row["index messages"]) == ("update", 4, 2)


def test_the_async_global_index_lags_and_the_others_do_not() -> None:
    seeds = range(6)
    assert index_lag(DocConfig(index="local"), seeds)["missed"] == 0
    assert index_lag(DocConfig(index="global", sync=True), seeds)["missed"] == 0
    lag = index_lag(DocConfig(index="global"), seeds)
    assert lag["queries"] == 60
    assert lag["missed"] > 0, "the async index should miss some just-written documents"


def test_a_sync_write_is_acknowledged_after_the_index_shards() -> None:
    sim = run_documents(
        DocConfig(shards=4, index="global", sync=True), [[("put", "o1", {"customer": "cu1"})]]
    )
    sends = [(e.time, type(e.data).__name__) for e in sim.trace if e.kind in ("send", "deliver")]
    done = next(t for t, kind in sends if kind == "WriteDone")
    acks = [t for t, kind in sends if kind == "IndexAck"]
    assert acks and max(acks) <= done


def test_index_consistent_answers_unknown_while_updates_are_owed() -> None:
    sim = run_documents(
        DocConfig(index="global"), [[("put", "o1", {"customer": "cu1"})]], until=1.5
    )
    result = index_consistent(sim)
    assert result.ok is None and "still owed" in result.detail


def test_same_seed_same_run() -> None:
    loads = orders_workloads(clients=2, ops=6, seed=4)
    a = run_documents(DocConfig(index="global"), loads, seed=9, loss=0.1)
    b = run_documents(DocConfig(index="global"), loads, seed=9, loss=0.1)
    assert a.trace.fingerprint() == b.trace.fingerprint()
    assert op_costs(a).equals(op_costs(b))


def test_a_shard_that_restarts_keeps_its_documents_and_resends_what_it_owes() -> None:
    node = DocShard(DocConfig(shards=2, index="global"))
    update = IndexUpdate(("c1", 1, 1), "o1", 1, term("cu1"))
    state = ShardState(outbox=(("s2", update),))
    from dslib.core import Context

    ctx = Context("s1", ["s1", "s2"])
    assert node.on_recover(ctx, state) == state
    assert ctx.timers_set == [("resend", 8.0)]


# -- the checkers against brute-force oracles (hypothesis) ------------------------------------
@given(load=operations, seed=st.integers(0, 50), index=st.sampled_from(["local", "global"]))
def test_index_checker_agrees_with_the_replay_oracle(
    load: list[tuple[Any, ...]], seed: int, index: str
) -> None:
    broken = "local_index_keeps_old_value" if index == "local" else "index_ignores_versions"
    for mutant in (None, broken):
        sim = run_documents(DocConfig(index=index, mutant=mutant), [load], seed=seed, loss=0.1)
        docs, _ = replay(load)
        verdict = index_consistent(sim)
        assert verdict.ok is not None  # the run is long enough to settle
        assert verdict.ok == (index_entries(sim) == oracle_index(docs))
        if mutant is None:
            assert verdict.ok, verdict.detail


@given(load=operations, seed=st.integers(0, 50))
def test_query_checker_agrees_with_the_replay_oracle(
    load: list[tuple[Any, ...]], seed: int
) -> None:
    for mutant in (None, "query_forgets_a_shard"):
        sim = run_documents(DocConfig(index="local", mutant=mutant), [load], seed=seed)
        answers = [op.result for op in sim.history.operations() if op.f == "query"]
        assert bool(queries_complete(sim).ok) == (answers == replay(load)[1])
        if mutant is None:
            assert answers == replay(load)[1]


def test_query_checker_allows_what_a_concurrent_write_may_have_done() -> None:
    # c2's put of o2 overlaps c1's query: the query may or may not see it; either is right
    loads = [[("query", "cu1")], [("put", "o2", {"customer": "cu1"})]]
    for seed in range(5):
        sim = run_documents(DocConfig(index="local"), loads, seed=seed)
        assert queries_complete(sim).ok


# -- denormalisation ---------------------------------------------------------------------------
def test_a_join_costs_two_round_trips_and_an_embedded_copy_one() -> None:
    loads: list[tuple[Any, ...]] = [
        ("put", "cu1", {"name": "Ann"}),
        ("put", "o1", {"customer": "cu1", "customer_name": "Ann"}),
        ("view_order", "o1"),
    ]
    for model, trips in (("normalised", 2), ("embedded", 1)):
        sim = run_documents(DocConfig(model=model), [loads])
        row = op_costs(sim).iloc[-1]
        assert row["f"] == "view_order" and row["messages"] == 2 * trips
        assert sim.history.operations()[-1].result == ("o1", "Ann")


def test_a_crash_in_the_middle_of_a_rename_leaves_stale_copies() -> None:
    table = stale_copies(seeds=range(4), orders=5)
    assert (table["stale (normalised)"] == 0).all()
    assert (table["stale (embedded)"] > 0).any()
    # and copies_agree sees it in such a run
    load: list[tuple[Any, ...]] = [("put", "cu1", {"name": "Ann"})]
    load += [("put", f"o{k}", {"customer": "cu1", "customer_name": "Ann"}) for k in range(1, 6)]
    load += [("rename", "cu1", "Anna")]
    full = run_documents(DocConfig(model="embedded"), [load], think=0.0)
    assert copies_agree(full).ok
    rename_start = full.history.operations()[-1].invoke_time
    crashed = run_documents(
        DocConfig(model="embedded"),
        [load],
        think=0.0,
        nemesis=Nemesis([(rename_start + 5.0, Crash("c1"))]),
    )
    assert not copies_agree(crashed).ok


@given(
    names=st.dictionaries(st.sampled_from(["cu1", "cu2", "cu3"]), st.sampled_from(["Ann", "Bo"])),
    orders=st.dictionaries(
        st.sampled_from(["o1", "o2", "o3", "o4"]),
        st.tuples(st.sampled_from(["cu1", "cu2", "cu3", "cu4"]), st.sampled_from(["Ann", "Bo"])),
    ),
)
def test_copy_checker_agrees_with_a_brute_force_join(
    names: dict[str, str], orders: dict[str, tuple[str, str]]
) -> None:
    docs = {c: freeze_doc({"name": n}) for c, n in names.items()}
    docs.update(
        {o: freeze_doc({"customer": c, "customer_name": n}) for o, (c, n) in orders.items()}
    )
    # the oracle: join every order with every customer, as a nested loop would
    stale = [
        o
        for o, (c, n) in orders.items()
        if not any(c == c2 and n == n2 for c2, n2 in names.items())
    ]
    verdict = stale_copy_in(docs)
    assert verdict.ok == (not stale)
    if stale:
        assert verdict.detail.startswith(min(stale))


def test_the_key_value_store_cannot_list_a_customers_orders() -> None:
    table = dynamo_comparison(seeds=[0], orders=3)
    kv = table[table["model"].str.startswith("key-value")].set_index("operation")
    assert kv.loc["orders of a customer", "round trips"] == "not possible"
    doc = table[table["model"] == "document, embedded"].set_index("operation")
    assert doc.loc["rename customer", "round trips"] == "2 + 3"


# -- mutants -----------------------------------------------------------------------------------
def test_every_mutant_is_caught_by_its_named_check() -> None:
    report = mutant_report(seeds=3)
    assert report.problems() == []
    assert set(MUTANT_CHECKS) == set(MUTANTS)
    assert all(c in CHECKS for cs in MUTANT_CHECKS.values() for c in cs)


@pytest.mark.parametrize(
    ("mutant", "least"),
    [
        ("drops_index_update_on_retry", 9),
        ("index_ignores_versions", 7),
        ("local_index_keeps_old_value", 10),
        ("query_forgets_a_shard", 9),
        ("skips_a_copy", 10),
    ],
)
def test_catch_rates(mutant: str, least: int) -> None:
    [check] = MUTANT_CHECKS[mutant]
    caught, runs = catch_rate(mutant, check, range(10))
    assert runs == 10 and caught >= least
    assert catch_rate(None, check, range(3)) == (0, 3)


def test_churn_workload_writes_each_order_twice_to_two_customers() -> None:
    [load] = churn_workloads(1, clients=1, docs=3)
    assert [op[1] for op in load] == ["o1", "o1", "o2", "o2", "o3", "o3"]
    assert all(load[i][2] != load[i + 1][2] for i in range(0, 6, 2))


def test_an_old_duplicate_write_does_not_undo_a_later_one() -> None:
    """Found by the soak (seed 39, local index, 10% loss): a duplicate of a client's first put
    arrived after its second and was applied again, so the shard kept the first value; the
    index agreed with the shard, so only the replay oracle saw the lost update. A shard now
    ignores a write older than the client's last."""
    from dslib.core import Context
    from dslib.databases.documents import Write

    config = DocConfig(index="local")
    shard = DocShard(config)
    ctx = Context("s0", ["s0", "c1"])
    state = shard.init(ctx)
    first = Write(("c1", 1, 0), "o1", freeze_doc({"customer": "cu1"}))
    second = Write(("c1", 2, 0), "o1", freeze_doc({"customer": "cu2"}))
    for msg in (first, second, first):  # the duplicate of the first arrives last
        state = shard.on_message(ctx, state, "c1", msg)
    assert isinstance(state, ShardState)
    doc = state.document("o1")
    assert doc is not None and dict(doc[1])["customer"] == "cu2"
