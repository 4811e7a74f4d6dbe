"""The cost of explaining a violation is bounded, and says when the set is not minimal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import dslib.consistency.search as search
from dslib.consistency import (
    KeyValue,
    Register,
    check_linearizable,
    history_from_intervals,
    subhistory,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_consistency import generate, porcupine_style_kv


def test_a_stale_read_among_50_clients_is_shrunk_to_a_few_operations():
    _, stale = generate(1, 1000, 50, 0, 0.0)
    r = check_linearizable(stale, Register())
    assert r.verdict == "violation" and r.minimized and len(r.minimal) <= 4
    assert check_linearizable(subhistory(stale, r.minimal), Register()).verdict == "violation"


def test_an_exhausted_explanation_budget_says_so(monkeypatch):
    _, stale = generate(3, 300, 10, 0, 0.1)
    full = check_linearizable(stale, Register())
    assert full.verdict == "violation" and full.minimized
    monkeypatch.setattr(search, "SHRINK_FLOOR", -(10**9))  # no budget at all
    r = check_linearizable(stale, Register())
    assert r.verdict == "violation" and not r.minimized
    assert len(r.minimal) >= len(full.minimal)
    assert "may not be minimal" in r.explain()
    # what it shows is still a violation on its own
    assert check_linearizable(subhistory(stale, r.minimal), Register()).verdict == "violation"


@pytest.mark.parametrize("appends", [False, True])
def test_key_value_groups_are_searched_with_one_value_as_the_state(appends):
    kv, registers = porcupine_style_kv(2, 400, clients=10, keys=3, appends=appends)
    model = KeyValue(initial="")
    assert model.group_model("0").init() == "" and model.group_model("0").group_model("1")
    r = check_linearizable(kv, model)
    assert r.ok and r.groups == 3
    # the same verdict without partitioning (one search, the whole map as the state)
    assert check_linearizable(kv, model, partition=False).ok
    if not appends:
        assert all(check_linearizable(h, Register()).ok for h in registers)
    # and a broken read is found in its group, with the map's state in the explanation
    rows = [
        {
            "process": op.process,
            "f": op.f,
            "key": op.key,
            "value": op.value,
            "result": "garbage" if op.f == "get" and i == 200 else op.result,
            "start": op.invoke_time,
            "end": op.complete_time,
        }
        for i, op in enumerate(kv.operations())
    ]
    bad = history_from_intervals(rows)
    r = check_linearizable(bad, model)
    assert r.verdict == "violation" and r.group == kv.operations()[200].key
    assert isinstance(r.partial_state, frozenset)  # reported in the model's own terms
