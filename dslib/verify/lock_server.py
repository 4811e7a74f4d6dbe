"""A lock server, and the inductive invariant that proves mutual exclusion.

Clients ask a server for a lock; the server grants it to one client at a time:

1. a client sends a ``lock`` request (``send_lock``);
2. the server, if it holds the lock, gives it away: it sends ``grant`` to that
   client (``recv_lock``);
3. the client receives the grant and holds the lock (``recv_grant``);
4. the client unlocks: it stops holding the lock and sends ``release`` to the
   server (``unlock``);
5. the server receives the release and holds the lock again (``recv_release``).

Messages are sets (``grant_msg(n)``: a grant to ``n`` is in flight), so they
may be delivered in any order, and the number of clients is unbounded: the
proof is for any number of clients.

The safety property is :func:`mutual_exclusion`. It is true, but it is *not
inductive* by itself: from a state where client 2 holds the lock while a grant
to client 1 is in flight (unreachable, but nothing in the property excludes
it), ``recv_grant`` gives two holders. The full invariant :data:`INVARIANT`
says where the one lock can be: at the server, in one grant message, at one
client, or in one release message. That is inductive, and z3 proves it.

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(lock_server(), INVARIANT).proved
True
>>> check_inductive(lock_server(), {"mutual_exclusion": mutual_exclusion}).cti.step
'recv_grant(n=node1)'
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.verify.transition import StateView, Step, TransitionSystem

__all__ = [
    "INVARIANT",
    "Node",
    "grant_excludes_holder",
    "grant_excludes_release",
    "lock_server",
    "mutual_exclusion",
    "one_grant",
    "one_release",
    "release_excludes_holder",
    "server_excludes_grant",
    "server_excludes_holder",
    "server_excludes_release",
]

Node = z3.DeclareSort("node")
"""The sort of clients (any number of them)."""


def lock_server(*, grant_without_lock: bool = False) -> TransitionSystem:
    """The lock server as a transition system.

    Parameters
    ----------
    grant_without_lock : bool, optional
        A bug: the server grants a request even when it does not hold the
        lock. Mutual exclusion then fails, and both the proof (a CTI that is
        reachable) and :func:`dslib.verify.bmc` (a real execution) show it.

    Returns
    -------
    TransitionSystem

    Examples
    --------
    >>> lock_server()
    TransitionSystem('lock server')
      sorts:   node (any size)
      state:   lock_msg(node), grant_msg(node), release_msg(node), holds_lock(node), server_holds_lock
      init:    initially
      actions: send_lock(n: node), recv_lock(n: node), recv_grant(n: node), unlock(n: node), recv_release(n: node)
    """  # noqa: E501
    name = "lock server" + (" (grants without the lock)" if grant_without_lock else "")
    ts = TransitionSystem(name)
    ts.sort(Node)
    ts.relation("lock_msg", Node)  # a lock request from n is in flight
    ts.relation("grant_msg", Node)  # a grant to n is in flight
    ts.relation("release_msg", Node)  # a release from n is in flight
    ts.relation("holds_lock", Node)  # client n holds the lock
    ts.relation("server_holds_lock")  # the server holds the lock

    n = z3.Const("n", Node)

    @ts.init
    def initially(s: StateView) -> Any:
        no_client_state = z3.ForAll(
            [n],
            z3.Not(z3.Or(s.lock_msg(n), s.grant_msg(n), s.release_msg(n), s.holds_lock(n))),
        )
        return z3.And(no_client_state, s.server_holds_lock)

    @ts.action(n=Node)
    def send_lock(s: Step, n: Any) -> None:
        s.lock_msg[n] = True

    @ts.action(n=Node)
    def recv_lock(s: Step, n: Any) -> None:
        s.require(s.lock_msg(n))
        if not grant_without_lock:
            s.require(s.server_holds_lock)
        s.server_holds_lock = False
        s.lock_msg[n] = False
        s.grant_msg[n] = True

    @ts.action(n=Node)
    def recv_grant(s: Step, n: Any) -> None:
        s.require(s.grant_msg(n))
        s.grant_msg[n] = False
        s.holds_lock[n] = True

    @ts.action(n=Node)
    def unlock(s: Step, n: Any) -> None:
        s.require(s.holds_lock(n))
        s.holds_lock[n] = False
        s.release_msg[n] = True

    @ts.action(n=Node)
    def recv_release(s: Step, n: Any) -> None:
        s.require(s.release_msg(n))
        s.release_msg[n] = False
        s.server_holds_lock = True

    return ts


def _at_most_one(rel: Any) -> Any:
    n1, n2 = z3.Consts("n1 n2", Node)
    return z3.ForAll([n1, n2], z3.Implies(z3.And(rel(n1), rel(n2)), n1 == n2))


def _never_both(rel1: Any, rel2: Any) -> Any:
    n1, n2 = z3.Consts("n1 n2", Node)
    return z3.ForAll([n1, n2], z3.Not(z3.And(rel1(n1), rel2(n2))))


def mutual_exclusion(s: StateView) -> Any:
    """Safety: at most one client holds the lock.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [mutual_exclusion]).proved
    False
    """
    return _at_most_one(s.holds_lock)


def one_grant(s: StateView) -> Any:
    """At most one grant message is in flight.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [one_grant]).proved  # not inductive alone
    False
    """
    return _at_most_one(s.grant_msg)


def one_release(s: StateView) -> Any:
    """At most one release message is in flight.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [one_release]).proved  # not inductive alone
    False
    """
    return _at_most_one(s.release_msg)


def grant_excludes_holder(s: StateView) -> Any:
    """No grant is in flight while a client holds the lock.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [grant_excludes_holder]).proved  # not inductive alone
    False
    """
    return _never_both(s.grant_msg, s.holds_lock)


def release_excludes_holder(s: StateView) -> Any:
    """No release is in flight while a client holds the lock.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [release_excludes_holder]).proved  # not inductive alone
    False
    """
    return _never_both(s.release_msg, s.holds_lock)


def grant_excludes_release(s: StateView) -> Any:
    """A grant and a release are never in flight together.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [grant_excludes_release]).proved  # not inductive alone
    False
    """
    return _never_both(s.grant_msg, s.release_msg)


def _with_server(rel: Any, server: Any) -> Any:
    n = z3.Const("n", Node)
    return z3.ForAll([n], z3.Not(z3.And(server, rel(n))))


def server_excludes_grant(s: StateView) -> Any:
    """The server does not hold the lock while a grant is in flight.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [server_excludes_grant]).proved  # not inductive alone
    False
    """
    return _with_server(s.grant_msg, s.server_holds_lock)


def server_excludes_holder(s: StateView) -> Any:
    """The server does not hold the lock while a client holds it.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [server_excludes_holder]).proved  # not inductive alone
    False
    """
    return _with_server(s.holds_lock, s.server_holds_lock)


def server_excludes_release(s: StateView) -> Any:
    """The server does not hold the lock while a release is in flight.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(lock_server(), [server_excludes_release]).proved  # not inductive alone
    False
    """
    return _with_server(s.release_msg, s.server_holds_lock)


INVARIANT = {
    f.__name__: f
    for f in (
        mutual_exclusion,
        one_grant,
        one_release,
        grant_excludes_holder,
        release_excludes_holder,
        grant_excludes_release,
        server_excludes_grant,
        server_excludes_holder,
        server_excludes_release,
    )
}
"""The inductive invariant: the safety property and the eight conjuncts that make it inductive.

Together they say that the lock is in exactly one place at a time: at the
server, in a grant message, at a client, or in a release message.
"""
