"""Raft log replication: Log Matching, proved with an inductive invariant.

Raft (Ongaro and Ousterhout, 2014) keeps the logs of its servers consistent
with two rules (§5.3):

* a leader creates at most one entry with a given index in its term, and an
  entry never changes its position in a log;
* a follower accepts an entry only after the **consistency check**: the
  AppendEntries message names the entry just before the new one (its index
  ``prevLogIndex`` and term ``prevLogTerm``), and the follower must hold an
  entry with that index and term.

Together they give the **Log Matching** property of Figure 3: if two logs
contain an entry with the same index and term, the logs are identical in all
entries up through that index (:func:`log_matching`). Its special case at the
index itself is the first sentence of §5.3: the two entries store the same
command (:func:`same_command`).

**The model.** Sorts: servers (``node``), terms, log indices (``index``),
commands and quorums, all of any size. Terms and indices are ordered by the
rigid relations ``term_lt`` and ``index_lt`` (strict total orders);
``next_index(p, i)`` says ``i = p + 1``, and ``zero`` is the index before the
first entry (the paper's ``prevLogIndex = 0``). The state is each server's
``current_term``, the votes and leaders of :mod:`dslib.verify.raft_election`,
the logs as a relation ``log(n, i, t, v)`` (server ``n`` holds, at index
``i``, an entry of term ``t`` with command ``v``) and the AppendEntries
messages ever sent, ``append_msg(p, pt, t, v)`` (``prevLogIndex = p``,
``prevLogTerm = pt``, one entry of term ``t`` with command ``v``, which goes
at index ``p + 1``). Messages are never removed, so they can be delivered
late, twice or never. The actions: ``advance_term`` (a timeout, or news of a
later term), ``request_vote``, ``become_leader``, ``client_request`` (the
leader appends a command at the end of its log), ``send_append`` and
``accept_append`` (the consistency check, then: delete the entry at ``i``
and all that follow it, append the new one).

The model allows *more* than Raft does, so the proof covers Raft: initial
terms are arbitrary; any server may send any entry of its log (Raft: only the
leader); a server accepts any message, however old, unless it leads its
current term (Raft also rejects messages from older terms and adopts the
sender's term, §5.1; here a server may move to a later term at any time);
a message carries one entry (a longer AppendEntries is a sequence of
these). Commitment, the up-to-date check of votes (§5.4.1) and the order of
terms along a log serve *Leader Completeness*, not Log Matching, and are left
out.

**The argument**, one conjunct of :data:`INVARIANT` at a time:

1. an entry of term t, in a log or a message, was created by a leader of t
   (:func:`entries_have_leader`, :func:`messages_have_leader`), and there is
   at most one (election safety, carried along from
   :mod:`dslib.verify.raft_election` with its two supporting conjuncts);
2. while that leader is still in term t (:func:`leader_term_not_ahead`: once
   past t it never leads t again), every entry of term t anywhere is in its
   log (:func:`leader_has_own_entries`, :func:`leader_has_own_messages`), and
   it appends only past the end of its log: a new entry's index and term are
   fresh;
3. messages are faithful copies of logs: a log holding a message's entry
   holds the same command and the message's previous entry
   (:func:`messages_match_logs`), and two messages for the same index and
   term agree (:func:`messages_agree`);
4. when a follower accepts an entry at ``i = p + 1``, it holds the previous
   entry (the check); any other log holding the same entry holds it too (3);
   by Log Matching at ``p`` the two logs agree up to ``p``, nothing lies
   between ``p`` and ``i``, at ``i`` they hold one and the same entry
   (3 and :func:`one_entry_per_index`), and what followed ``i`` is gone.
   :func:`no_entry_at_zero` covers the first entry.

Counterexamples name elements arbitrarily (``zero`` may be ``index3``);
:func:`log_table` prints the logs with the indices in order.

Examples
--------
>>> from dslib.verify import check_inductive
>>> check_inductive(raft_log(), INVARIANT).proved
True
>>> check_inductive(raft_log(skip_consistency_check=True), INVARIANT).failing
(('log_matching', 'accept_append'), ('messages_match_logs', 'accept_append'))

References
----------
Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm
(Extended Version)", 2014: Figure 2 (AppendEntries), Figure 3 (Log Matching),
§5.3 (log replication). Padon et al., "Ivy: Safety Verification by
Interactive Generalization", PLDI 2016 (the counterexample-to-induction loop).
"""

from __future__ import annotations

from typing import Any

import z3

from dslib.verify._specs import declare_quorums
from dslib.verify.raft_election import (
    Node,
    Quorum,
    Term,
    election_safety,
    leader_has_quorum,
    one_vote_per_term,
)
from dslib.verify.transition import State, StateView, Step, TransitionSystem, text_table

__all__ = [
    "INVARIANT",
    "Command",
    "Index",
    "entries_have_leader",
    "leader_has_own_entries",
    "leader_has_own_messages",
    "leader_term_not_ahead",
    "log_matching",
    "log_table",
    "messages_agree",
    "messages_have_leader",
    "messages_match_logs",
    "no_entry_at_zero",
    "one_entry_per_index",
    "raft_log",
    "same_command",
]

Index = z3.DeclareSort("index")
"""The sort of log positions (any number), ordered by the rigid ``index_lt``."""
Command = z3.DeclareSort("command")
"""The sort of client commands stored in log entries (any number)."""


def _strict_total_order(lt: Any, sort: Any) -> Any:
    """``lt`` is irreflexive, transitive and total on ``sort``."""
    x, y, z = z3.Consts("x y z", sort)
    return z3.And(
        z3.ForAll([x], z3.Not(lt(x, x))),
        z3.ForAll([x, y, z], z3.Implies(z3.And(lt(x, y), lt(y, z)), lt(x, z))),
        z3.ForAll([x, y], z3.Or(lt(x, y), x == y, lt(y, x))),
    )


def raft_log(
    *, skip_consistency_check: bool = False, keep_conflicts: bool = False
) -> TransitionSystem:
    """Raft log replication (with leader election) as a transition system.

    Parameters
    ----------
    skip_consistency_check : bool, optional
        A bug: a follower accepts an entry without checking that it holds the
        entry before it (``prevLogIndex``, ``prevLogTerm``). Log Matching fails.
    keep_conflicts : bool, optional
        A bug (the ``keep_conflicts`` mutant of :mod:`dslib.raft`): a follower
        overwrites a conflicting entry but keeps the entries after it (Figure 2
        says: delete the existing entry and all that follow it). Log Matching
        fails.

    Returns
    -------
    TransitionSystem

    Examples
    --------
    >>> raft_log()
    TransitionSystem('raft log')
      sorts:   node (any size), term (any size), index (any size), command (any size), quorum (any size)
      rigid:   member(node, quorum), term_lt(term, term), index_lt(index, index), next_index(index, index), zero -> index
      state:   current_term(node) -> term, voted_for(node, term, node), leader(node, term), log(node, index, term, command), append_msg(index, term, term, command)
      axioms:  quorums_intersect, terms_are_ordered, indices_are_ordered
      init:    nothing_yet
      actions: advance_term(n: node, t: term), request_vote(n: node, t: term, c: node), become_leader(c: node, t: term, q: quorum), client_request(ldr: node, t: term, p: index, i: index, v: command), send_append(m: node, p: index, pt: term, i: index, t: term, v: command), accept_append(n: node, p: index, pt: term, i: index, t: term, v: command)
    """  # noqa: E501
    bugs = [
        name
        for name, on in (
            ("skips the consistency check", skip_consistency_check),
            ("keeps conflicting entries", keep_conflicts),
        )
        if on
    ]
    ts = TransitionSystem("raft log" + "".join(f" ({b})" for b in bugs))
    ts.sort(Node)
    ts.sort(Term)
    ts.sort(Index)
    ts.sort(Command)
    declare_quorums(ts, Node, Quorum)  # member(n, q), and the axiom quorums_intersect
    ts.relation("term_lt", Term, Term, mutable=False)
    ts.relation("index_lt", Index, Index, mutable=False)
    ts.relation("next_index", Index, Index, mutable=False)  # next_index(p, i): i = p + 1
    ts.constant("zero", Index, mutable=False)  # before the first entry
    ts.function("current_term", Node, result=Term)
    ts.relation("voted_for", Node, Term, Node)  # n granted its vote in t to c
    ts.relation("leader", Node, Term)  # n became leader in t
    ts.relation("log", Node, Index, Term, Command)  # n holds (t, v) at index i
    ts.relation("append_msg", Index, Term, Term, Command)  # AppendEntries(p, pt, [(t, v)])

    n, m, c = z3.Consts("n m c", Node)
    t, u = z3.Consts("t u", Term)
    i, j, k = z3.Consts("i j k", Index)
    v, w = z3.Consts("v w", Command)

    @ts.axiom
    def terms_are_ordered(s: StateView) -> Any:
        return _strict_total_order(s.term_lt, Term)

    @ts.axiom
    def indices_are_ordered(s: StateView) -> Any:
        # A strict total order, zero first, and nothing strictly between p and p + 1.
        return z3.And(
            _strict_total_order(s.index_lt, Index),
            z3.ForAll([i], z3.Not(s.index_lt(i, s.zero))),
            z3.ForAll(
                [i, j, k],
                z3.Implies(
                    s.next_index(i, j),
                    z3.And(s.index_lt(i, j), z3.Not(z3.And(s.index_lt(i, k), s.index_lt(k, j)))),
                ),
            ),
        )

    @ts.init
    def nothing_yet(s: StateView) -> Any:
        # Any current terms; no votes, leaders, entries or messages.
        return z3.And(
            z3.ForAll([n, t, c], z3.Not(s.voted_for(n, t, c))),
            z3.ForAll([n, t], z3.Not(s.leader(n, t))),
            z3.ForAll([n, i, t, v], z3.Not(s.log(n, i, t, v))),
            z3.ForAll([i, t, u, v], z3.Not(s.append_msg(i, t, u, v))),
        )

    @ts.action(n=Node, t=Term)
    def advance_term(s: Step, n: Any, t: Any) -> None:
        # n times out and starts an election in t, or hears of the later term t.
        s.require(s.term_lt(s.current_term(n), t))
        s.current_term[n] = t

    @ts.action(n=Node, t=Term, c=Node)
    def request_vote(s: Step, n: Any, t: Any, c: Any) -> None:
        s.require(z3.Not(s.term_lt(t, s.current_term(n))))  # a request from an older term fails
        s.require(z3.ForAll([m], z3.Implies(s.voted_for(n, t, m), m == c)))  # vote once in t
        s.current_term[n] = t
        s.voted_for[n, t, c] = True

    @ts.action(c=Node, t=Term, q=Quorum)
    def become_leader(s: Step, c: Any, t: Any, q: Any) -> None:
        s.require(s.current_term(c) == t)
        s.require(z3.ForAll([m], z3.Implies(s.member(m, q), s.voted_for(m, t, c))))
        s.leader[c, t] = True

    @ts.action(ldr=Node, t=Term, p=Index, i=Index, v=Command)
    def client_request(s: Step, ldr: Any, t: Any, p: Any, i: Any, v: Any) -> None:
        # The leader of t appends command v at the end of its log: index p + 1.
        s.require(s.leader(ldr, t))
        s.require(s.current_term(ldr) == t)
        s.require(s.next_index(p, i))
        s.require(z3.Or(p == s.zero, z3.Exists([u, w], s.log(ldr, p, u, w))))  # an entry at p
        s.require(z3.ForAll([k, u, w], z3.Implies(s.log(ldr, k, u, w), s.index_lt(k, i))))
        s.log[ldr, i, t, v] = True

    @ts.action(m=Node, p=Index, pt=Term, i=Index, t=Term, v=Command)
    def send_append(s: Step, m: Any, p: Any, pt: Any, i: Any, t: Any, v: Any) -> None:
        # m sends its entry at i, with the index and term of the entry before it.
        s.require(s.log(m, i, t, v))
        s.require(s.next_index(p, i))
        s.require(z3.Or(p == s.zero, z3.Exists([w], s.log(m, p, pt, w))))
        s.append_msg[p, pt, t, v] = True

    @ts.action(n=Node, p=Index, pt=Term, i=Index, t=Term, v=Command)
    def accept_append(s: Step, n: Any, p: Any, pt: Any, i: Any, t: Any, v: Any) -> None:
        # n receives AppendEntries(p, pt, [(t, v)]); the entry goes at index i = p + 1.
        s.require(s.append_msg(p, pt, t, v))
        s.require(s.next_index(p, i))
        s.require(z3.Not(s.leader(n, s.current_term(n))))  # a leader does not take entries
        if not skip_consistency_check:
            s.require(z3.Or(p == s.zero, z3.Exists([w], s.log(n, p, pt, w))))
        s.require(z3.ForAll([w], z3.Not(s.log(n, i, t, w))))  # not already in n's log

        def new_log(n2: Any, k2: Any, u2: Any, w2: Any) -> Any:
            if keep_conflicts:
                dropped = z3.And(n2 == n, k2 == i)  # only the conflicting entry
            else:
                dropped = z3.And(n2 == n, z3.Not(s.index_lt(k2, i)))  # it and all that follow
            added = z3.And(n2 == n, k2 == i, u2 == t, w2 == v)
            return z3.Or(z3.And(s.log(n2, k2, u2, w2), z3.Not(dropped)), added)

        s.log.update(new_log)

    return ts


# ---- the safety properties -------------------------------------------------------------


def log_matching(s: StateView) -> Any:
    """Log Matching (Figure 3): logs with an entry of the same index and term agree up to it.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [log_matching]).proved  # not inductive alone
    False
    """
    n1, n2 = z3.Consts("n1 n2", Node)
    i, j = z3.Consts("i j", Index)
    t, u = z3.Consts("t u", Term)
    v1, v2, w = z3.Consts("v1 v2 w", Command)
    return z3.ForAll(
        [n1, n2, i, t, v1, v2, j, u, w],
        z3.Implies(
            z3.And(
                s.log(n1, i, t, v1),
                s.log(n2, i, t, v2),
                z3.Not(s.index_lt(i, j)),
                s.log(n1, j, u, w),
            ),
            s.log(n2, j, u, w),
        ),
    )


def same_command(s: StateView) -> Any:
    """§5.3: two entries with the same index and term store the same command.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [same_command]).proved  # not inductive alone
    False
    """
    n1, n2 = z3.Consts("n1 n2", Node)
    i = z3.Const("i", Index)
    t = z3.Const("t", Term)
    v1, v2 = z3.Consts("v1 v2", Command)
    return z3.ForAll(
        [n1, n2, i, t, v1, v2],
        z3.Implies(z3.And(s.log(n1, i, t, v1), s.log(n2, i, t, v2)), v1 == v2),
    )


# ---- the shape of a log ------------------------------------------------------------------


def one_entry_per_index(s: StateView) -> Any:
    """A log holds at most one entry at each index.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [one_entry_per_index]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    i = z3.Const("i", Index)
    t1, t2 = z3.Consts("t1 t2", Term)
    v1, v2 = z3.Consts("v1 v2", Command)
    return z3.ForAll(
        [n, i, t1, v1, t2, v2],
        z3.Implies(z3.And(s.log(n, i, t1, v1), s.log(n, i, t2, v2)), z3.And(t1 == t2, v1 == v2)),
    )


def no_entry_at_zero(s: StateView) -> Any:
    """Index ``zero`` only names "before the first entry": no log holds an entry there.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [no_entry_at_zero]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    t = z3.Const("t", Term)
    v = z3.Const("v", Command)
    return z3.ForAll([n, t, v], z3.Not(s.log(n, s.zero, t, v)))


# ---- where the entries of a term come from -----------------------------------------------


def leader_term_not_ahead(s: StateView) -> Any:
    """A server that became leader in term t has reached t: ``current_term >= t``.

    So a server that has moved past its term never leads it again.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [leader_term_not_ahead]).proved  # inductive alone
    True
    """
    n = z3.Const("n", Node)
    t = z3.Const("t", Term)
    return z3.ForAll([n, t], z3.Implies(s.leader(n, t), z3.Not(s.term_lt(s.current_term(n), t))))


def entries_have_leader(s: StateView) -> Any:
    """An entry of term t in a log was created by a leader of t, so one exists.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [entries_have_leader]).proved  # messages bring entries
    False
    """
    n, ldr = z3.Consts("n ldr", Node)
    i = z3.Const("i", Index)
    t = z3.Const("t", Term)
    v = z3.Const("v", Command)
    return z3.ForAll(
        [n, i, t, v], z3.Implies(s.log(n, i, t, v), z3.Exists([ldr], s.leader(ldr, t)))
    )


def messages_have_leader(s: StateView) -> Any:
    """An entry of term t in a message was created by a leader of t, so one exists.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [messages_have_leader]).proved  # not inductive alone
    False
    """
    ldr = z3.Const("ldr", Node)
    p = z3.Const("p", Index)
    pt, t = z3.Consts("pt t", Term)
    v = z3.Const("v", Command)
    return z3.ForAll(
        [p, pt, t, v],
        z3.Implies(s.append_msg(p, pt, t, v), z3.Exists([ldr], s.leader(ldr, t))),
    )


def leader_has_own_entries(s: StateView) -> Any:
    """While a server leads its current term t, every entry of term t in any log is in its log.

    A leader never loses an entry of its own term: it only appends.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [leader_has_own_entries]).proved  # not inductive alone
    False
    """
    ldr, n = z3.Consts("ldr n", Node)
    i = z3.Const("i", Index)
    t = z3.Const("t", Term)
    v = z3.Const("v", Command)
    return z3.ForAll(
        [ldr, n, i, t, v],
        z3.Implies(
            z3.And(s.leader(ldr, t), s.current_term(ldr) == t, s.log(n, i, t, v)),
            s.log(ldr, i, t, v),
        ),
    )


def leader_has_own_messages(s: StateView) -> Any:
    """While a server leads its current term t, every entry of term t in a message is in its log.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [leader_has_own_messages]).proved  # not inductive alone
    False
    """
    ldr = z3.Const("ldr", Node)
    p, i = z3.Consts("p i", Index)
    pt, t = z3.Consts("pt t", Term)
    v = z3.Const("v", Command)
    return z3.ForAll(
        [ldr, p, pt, t, v, i],
        z3.Implies(
            z3.And(
                s.leader(ldr, t),
                s.current_term(ldr) == t,
                s.append_msg(p, pt, t, v),
                s.next_index(p, i),
            ),
            s.log(ldr, i, t, v),
        ),
    )


# ---- messages are faithful copies of logs ------------------------------------------------


def messages_match_logs(s: StateView) -> Any:
    """A log holding a message's entry holds the same command and the message's previous entry.

    If ``AppendEntries(p, pt, [(t, v)])`` was sent and a log holds an entry of
    term t at index p + 1, that entry's command is v and (unless p is zero) the
    log holds an entry of term pt at index p.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [messages_match_logs]).proved  # not inductive alone
    False
    """
    n = z3.Const("n", Node)
    p, i = z3.Consts("p i", Index)
    pt, t = z3.Consts("pt t", Term)
    v, w, w2 = z3.Consts("v w w2", Command)
    return z3.ForAll(
        [p, pt, t, v, i, n, w],
        z3.Implies(
            z3.And(s.append_msg(p, pt, t, v), s.next_index(p, i), s.log(n, i, t, w)),
            z3.And(w == v, z3.Or(p == s.zero, z3.Exists([w2], s.log(n, p, pt, w2)))),
        ),
    )


def messages_agree(s: StateView) -> Any:
    """Two messages for the same index and term carry the same command and previous term.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> check_inductive(raft_log(), [messages_agree]).proved  # not inductive alone
    False
    """
    p = z3.Const("p", Index)
    pt1, pt2, t = z3.Consts("pt1 pt2 t", Term)
    v1, v2 = z3.Consts("v1 v2", Command)
    return z3.ForAll(
        [p, pt1, pt2, t, v1, v2],
        z3.Implies(
            z3.And(s.append_msg(p, pt1, t, v1), s.append_msg(p, pt2, t, v2)),
            z3.And(v1 == v2, z3.Or(p == s.zero, pt1 == pt2)),
        ),
    )


INVARIANT = {
    f.__name__: f
    for f in (
        log_matching,
        same_command,
        election_safety,
        one_vote_per_term,
        leader_has_quorum,
        leader_term_not_ahead,
        one_entry_per_index,
        no_entry_at_zero,
        entries_have_leader,
        messages_have_leader,
        leader_has_own_entries,
        leader_has_own_messages,
        messages_match_logs,
        messages_agree,
    )
}
"""The inductive invariant: Log Matching, and what it rests on (election safety included)."""


# ---- reading a counterexample ----------------------------------------------------------------


def log_table(state: State) -> str:
    """The logs and messages of a concrete state, indices in their order, as text.

    Element names in a counterexample are arbitrary (``zero`` may be
    ``index3``); this puts the indices in the order ``index_lt`` gives them and
    numbers them from 0 (``zero``), as in the paper's figures. Each cell is
    ``term:command``; several entries at one index (only in states that are
    not reachable) are joined by ``+``.

    Parameters
    ----------
    state : State
        A state of :func:`raft_log` (from a counterexample or a trace).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If the state is not a state of :func:`raft_log`.

    Examples
    --------
    >>> from dslib.verify import check_inductive
    >>> res = check_inductive(raft_log(skip_consistency_check=True), INVARIANT)
    >>> print(log_table(res.cti.before))
    server  0 (index3)  1 (index1)      2 (index2)
    node1   -           -               -
    node2   -           term1:command1  term1:command1
    sent: AppendEntries(prevLogIndex=1, prevLogTerm=term1, entry=term1:command1)
    >>> print(log_table(res.cti.after))
    server  0 (index3)  1 (index1)      2 (index2)
    node1   -           -               term1:command1
    node2   -           term1:command1  term1:command1
    sent: AppendEntries(prevLogIndex=1, prevLogTerm=term1, entry=term1:command1)
    """
    if not isinstance(state, State):
        raise TypeError(f"log_table: expected a State, got {state!r}")
    names = {name for name, _ in state.values}
    needed = {"index_lt", "log", "append_msg"}
    if not needed <= names or "index" not in dict(state.elements):
        raise ValueError(
            "log_table: expected a state of raft_log() (with index_lt, log and append_msg), "
            f"got one with {', '.join(sorted(names))}"
        )
    before = state["index_lt"]
    indices = state.sort_elements("index")
    rank = {x: sum((y, x) in before for y in indices) for x in indices}
    order = sorted(indices, key=lambda x: (rank[x], x))
    cells: dict[tuple[str, str], list[str]] = {}
    for n, i, t, v in sorted(state["log"]):
        cells.setdefault((n, i), []).append(f"{t}:{v}")
    rows = [
        [n, *[" + ".join(cells.get((n, i), ["-"])) for i in order]]
        for n in state.sort_elements("node")
    ]
    lines = [text_table(["server", *[f"{rank[i]} ({i})" for i in order]], rows)]
    lines += [
        f"sent: AppendEntries(prevLogIndex={rank[p]}, prevLogTerm={pt}, entry={t}:{v})"
        for p, pt, t, v in sorted(state["append_msg"], key=lambda m: (rank[m[0]], m))
    ]
    return "\n".join(lines)
