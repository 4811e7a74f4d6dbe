"""Tests of dslib.architectures.compare and the architecture explorer."""

from __future__ import annotations

import pytest

from dslib.architectures.compare import (
    ARCHITECTURES,
    compare_architectures,
    run_architecture,
)
from dslib.widgets.architectures import (
    ArchitectureExplorer,
    architecture_figure,
    architecture_results,
)


def test_every_architecture_completes_the_workload_without_failures() -> None:
    for seed in (3, 4):
        for row in compare_architectures(requests=60, seed=seed)[::2]:
            assert row["failed node"] == "none"
            assert row["completed"] == row["requests"], row
            assert row["p50"] <= row["p95"] <= row["p99"]


def test_what_one_failure_does() -> None:
    rows = {r["architecture"]: r for r in compare_architectures(requests=90, seed=4)[1::2]}
    assert rows["client-server"]["completed"] < 80  # the one server: everything waits
    assert rows["event-driven"]["completed"] == 90  # buffered, delivered after the restart
    assert rows["event-driven"]["p99"] > 10
    assert rows["microservices"]["completed"] < 90  # buys fail fast, browses go on
    assert rows["service-oriented"]["completed"] >= 85  # discovery routes around it
    assert rows["peer-to-peer"]["completed"] >= 80


def test_background_traffic_shows_in_messages_per_request() -> None:
    cs = run_architecture("client-server", requests=50, seed=1)
    p2p = run_architecture("peer-to-peer", requests=50, seed=1)
    assert cs["messages per request"] == 2.0 and p2p["messages per request"] > 5
    with pytest.raises(ValueError, match="allowed"):
        run_architecture("mainframe")


def test_explorer_and_figure() -> None:
    rows = architecture_results(["client-server", "event-driven"], requests=20, seed=1)
    assert architecture_figure(rows).axes
    explorer = ArchitectureExplorer(requests=20)
    first = explorer.image.value
    assert len(first) > 1000 and len(explorer.results) == len(ARCHITECTURES)
    explorer.controls["fail"].value = True
    assert explorer.image.value != first and explorer.values()["fail"] is True
    assert "one node fails" in repr(explorer) and "client-server 20/20" not in repr(explorer)
    assert repr(explorer).count("/20 p99") == len(ARCHITECTURES)
    with pytest.raises(TypeError, match="unknown"):
        ArchitectureExplorer(speed=3)
    with pytest.raises(ValueError, match="unknown architectures"):
        architecture_results(["mainframe"])
