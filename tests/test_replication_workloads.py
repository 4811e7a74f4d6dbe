"""The shared workload checks of the replicated stores (``dslib.replication.workloads``)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

from dslib.core import System
from dslib.replication.abd import abd_system, default_register_workloads
from dslib.replication.chain import chain_system
from dslib.replication.crdts import crdt_system
from dslib.replication.dynamo import dynamo_system
from dslib.replication.primary_backup import primary_backup_system
from dslib.replication.workloads import check_count, client_workloads
from dslib.small_systems.registers import default_workloads, primary_backup, quorum_register


@pytest.mark.parametrize("bad", [0, -1, True, False, 1.0, "3", None])
def test_check_count_refuses_what_is_not_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^own: n=.* must be an int >= 1$"):
        check_count("own", "n", bad)


@pytest.mark.parametrize("good", [1, 2, 17])
def test_check_count_returns_a_positive_int(good: int) -> None:
    assert check_count("own", "n", good) == good


def test_client_workloads_uses_the_default_only_when_none_is_given() -> None:
    asked: list[int] = []

    def default(clients: int) -> list[list[Any]]:
        asked.append(clients)
        return [[("write", i)] for i in range(clients)]

    assert client_workloads("own", 3, None, default) == [
        [("write", 0)],
        [("write", 1)],
        [("write", 2)],
    ]
    assert asked == [3]
    given = [(("read", None),), (("write", 5),)]
    assert client_workloads("own", 2, given, default) == [[("read", None)], [("write", 5)]]
    assert asked == [3]  # not called again


def test_client_workloads_returns_fresh_lists() -> None:
    given = [[("write", 1)]]
    loads = client_workloads("own", 1, given, lambda c: [])
    loads[0].append(("read", None))
    assert given == [[("write", 1)]]


def test_client_workloads_refuses_a_default_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="own: 1 workloads for 2 clients"):
        client_workloads("own", 2, None, lambda c: [[]])


# Every builder that takes (clients, workloads): the same checks, under its own name.
Builder = Callable[..., System]


def _quorum_register(**kwargs: Any) -> System:
    return quorum_register(
        **{("workload" if k == "workloads" else k): v for k, v in kwargs.items()}
    )


def _primary_backup(**kwargs: Any) -> System:
    return primary_backup(**{("workload" if k == "workloads" else k): v for k, v in kwargs.items()})


BUILDERS: dict[str, Builder] = {
    "primary_backup_system": primary_backup_system,
    "chain_system": chain_system,
    "abd_system": abd_system,
    "dynamo_system": dynamo_system,
    "primary_backup": _primary_backup,
    "quorum_register": _quorum_register,
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_builder_checks_its_clients_and_workloads(name: str) -> None:
    build = BUILDERS[name]
    with pytest.raises(ValueError, match=f"^{name}: clients=0 must be an int >= 1$"):
        build(clients=0)
    with pytest.raises(ValueError, match=f"^{name}: clients=True must be an int >= 1$"):
        build(clients=True)
    with pytest.raises(ValueError, match=f"^{name}: 1 workloads for 2 clients"):
        build(clients=2, workloads=[[("read", None)]])
    with pytest.raises(ValueError, match=f"^{name}: 2 workloads for 1 clients"):
        build(clients=1, workloads=[[("read", None)], [("read", None)]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        system = build(clients=2, workloads=[[("read", None)], [("read", None)]])
    clients = sorted(n for n in system.nodes if n.startswith("c"))
    assert clients == ["c1", "c2"]


@pytest.mark.parametrize(
    ("build", "name", "argument"),
    [
        (primary_backup_system, "primary_backup_system", "servers"),
        (chain_system, "chain_system", "servers"),
        (abd_system, "abd_system", "replicas"),
        (dynamo_system, "dynamo_system", "nodes"),
        (quorum_register, "quorum_register", "replicas"),
        (crdt_system, "crdt_system", "replicas"),
    ],
)
def test_every_builder_checks_its_server_count(build: Builder, name: str, argument: str) -> None:
    args: dict[str, Any] = {"kind": "g-counter"} if build is crdt_system else {}
    for bad in (0, True):
        with pytest.raises(ValueError, match=f"^{name}: {argument}={bad!r} must be an int >= 1$"):
            build(**args, **{argument: bad})


@pytest.mark.parametrize(("clients", "operations"), [(1, 0), (1, 10), (3, 5), (4, 6)])
def test_chapter_3_workloads_are_chapter_12_ones(clients: int, operations: int) -> None:
    loads = default_workloads(clients, operations)
    assert loads == default_register_workloads(clients, operations)
    assert [len(w) for w in loads] == [operations] * clients
    written = [v for w in loads for f, v in w if f == "write"]
    assert len(written) == len(set(written))  # every written value distinct
    assert all(w[1::2] == [("read", None)] * (operations // 2) for w in loads)


def test_default_workloads_are_four_operations_a_client() -> None:
    assert [len(w) for w in default_workloads(2)] == [4, 4]


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_default_register_workloads_checks_operations(bad: object) -> None:
    with pytest.raises(ValueError, match="operations=.* must be an int >= 0"):
        default_register_workloads(1, bad)  # type: ignore[arg-type]
