"""A CP and an AP service registry under a partition (section 5.7)."""

from __future__ import annotations

import pytest

from dslib.architectures.registry import (
    MUTANTS,
    REGISTRY_CHECKS,
    REGISTRY_MUTANTS,
    Replica,
    registry_run,
    truth,
)
from dslib.mutants import assert_mutants_caught


def _row(rows: list[dict[str, object]], client: str, period: str) -> dict[str, object]:
    return next(r for r in rows if str(r["client"]).startswith(client) and r["period"] == period)


@pytest.mark.parametrize("seed", range(2))
def test_cp_is_unavailable_to_the_minority_and_never_stale(seed: int) -> None:
    rows = registry_run("cp", seed)
    assert _row(rows, "c2", "partition")["answered"] == 0.0
    assert all(r["stale"] == 0 for r in rows)
    others = [r for r in rows if (str(r["client"])[:2], r["period"]) != ("c2", "partition")]
    assert len(others) == 3 and all(r["answered"] == 1.0 for r in others)


@pytest.mark.parametrize("seed", range(2))
def test_ap_answers_the_minority_stale_and_converges_after_the_heal(seed: int) -> None:
    rows = registry_run("ap", seed)
    minority = _row(rows, "c2", "partition")
    assert all(r["answered"] == 1.0 for r in rows)
    assert float(minority["stale"]) > 0.5  # type: ignore[arg-type]
    assert minority["last answer"] == "i1 i2 i3"  # the dead i2 listed, the new i4 missing
    assert _row(rows, "c2", "after heal")["stale"] == 0.0
    assert _row(rows, "c1", "partition")["stale"] == 0.0


def test_truth_follows_the_schedule() -> None:
    assert truth(0) == ("i1", "i2", "i3") and truth(40) == ("i1", "i3", "i4")


def test_bad_input_is_refused_with_a_message() -> None:
    with pytest.raises(ValueError, match="mode='ca'"):
        registry_run("ca")
    with pytest.raises(ValueError, match="unknown mutant"):
        Replica("cp", mutant="typo")


def test_same_seed_same_rows() -> None:
    assert registry_run("ap", 3) == registry_run("ap", 3)


def test_every_mutant_is_caught_by_its_check() -> None:
    assert {m.name for m in REGISTRY_MUTANTS} == set(MUTANTS)
    assert_mutants_caught(lambda: None, REGISTRY_MUTANTS, REGISTRY_CHECKS)
