"""The clients' workloads of the replicated stores, checked once for every system builder.

Every builder of a replicated store (``primary_backup_system``, ``chain_system``,
``abd_system``, ``dynamo_system`` here; ``primary_backup`` and ``quorum_register`` of
section 3.3 in ``dslib.small_systems.registers``) gives each of its ``clients`` one list of
operations, or a default workload when none is given. The two checks that makes, on the
counts and on the lists, live here, so that every builder refuses the same bad input with
the same message.

Examples
--------
>>> client_workloads("demo", 2, None, lambda c: [[("read", None)]] * c)
[[('read', None)], [('read', None)]]
>>> client_workloads("demo", 2, [[("read", None)]], lambda c: [])
Traceback (most recent call last):
...
ValueError: demo: 1 workloads for 2 clients; give one list per client
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["check_count", "client_workloads"]


def check_count(owner: str, name: str, value: object) -> int:
    """``value``, if it is an int of at least 1 (a number of clients, servers, replicas...).

    Parameters
    ----------
    owner : str
        Who checks, for the message (a function or class name).
    name : str
        The argument's name, for the message.
    value : object
        What the caller passed.

    Returns
    -------
    int
        ``value`` itself.

    Raises
    ------
    ValueError
        If ``value`` is not an int (a bool is not one) or is below 1.

    Examples
    --------
    >>> check_count("abd_system", "replicas", 3)
    3
    >>> check_count("abd_system", "replicas", 0)
    Traceback (most recent call last):
    ...
    ValueError: abd_system: replicas=0 must be an int >= 1
    """
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        raise ValueError(f"{owner}: {name}={value!r} must be an int >= 1")
    return value


def client_workloads(
    owner: str,
    clients: object,
    workloads: Sequence[Sequence[Any]] | None,
    default: Callable[[int], Sequence[Sequence[Any]]],
) -> list[list[Any]]:
    """One list of operations per client: ``workloads`` as lists, or ``default(clients)``.

    Parameters
    ----------
    owner : str
        The builder that asks, for the messages.
    clients : int
        How many clients; at least 1.
    workloads : sequence of sequences, optional
        One workload per client, or ``None`` for the default.
    default : callable
        ``default(clients)`` gives the default workloads.

    Returns
    -------
    list of lists
        Fresh lists, one per client: the caller may keep them.

    Raises
    ------
    ValueError
        If ``clients`` is not an int >= 1, or ``workloads`` does not hold one list per client.

    Notes
    -----
    The operations themselves are checked by whoever runs them (``dslib.sim.Client``, or
    a client node of the store), which knows what an operation of its store is.

    Examples
    --------
    >>> client_workloads("abd_system", 1, [[("write", 7)]], lambda c: [])
    [[('write', 7)]]
    >>> client_workloads("abd_system", 0, None, lambda c: [])
    Traceback (most recent call last):
    ...
    ValueError: abd_system: clients=0 must be an int >= 1
    """
    count = check_count(owner, "clients", clients)
    loads = [list(w) for w in (default(count) if workloads is None else workloads)]
    if len(loads) != count:
        raise ValueError(
            f"{owner}: {len(loads)} workloads for {count} clients; give one list per client"
        )
    return loads
