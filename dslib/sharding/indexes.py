"""Secondary indexes on a sharded store: local (by document) versus global (by term).

The store holds *documents* (a car, say), each with an id and one *term* of a
secondary attribute (its colour). Documents are partitioned by id:
``data_shard(doc, shards)``. A query by the secondary attribute ("every red
car") must find documents that live on every shard. There are two ways to
index them (Kleppmann 2017, chapter 6, "Partitioning and Secondary Indexes"):

- **local** (document-partitioned): each shard indexes only its own documents,
  updated in the same step as the data. A write touches one shard; a query
  must *scatter* to every shard and *gather* the answers: ``2 * shards``
  messages, and as slow as the slowest shard.
- **global** (term-partitioned): the index entry for term ``t`` lives on one
  shard, ``index_shard(t, shards)``, whatever shard holds the documents. A
  query asks that one shard: 2 messages. But a write now updates *another*
  shard's index: the data shard applies the write, acknowledges the client,
  and sends ``IndexSet`` messages to the index shards of the old and the new
  term, resending each until it is acknowledged. Until they arrive, the index
  is *stale*: a query right after a write can miss it (DynamoDB's global
  secondary indexes are updated this way, asynchronously).

**Why the global index converges.** Each write of a document gets the next
*version* of that document at its data shard. An index shard keeps, per
document, the highest version it has heard of and that version's term, and
ignores an ``IndexSet`` whose version is not higher: so the order in which
updates arrive (resends, reordering) does not matter, only that each arrives
once. The index shard of the *old* term must hear of the write too, or it goes
on listing the document under a term it no longer has.

``run_index`` runs clients that write and query; ``index_agrees`` checks that,
once the system is quiet, every shard's index lists exactly the documents whose
data has that term; ``index_lag`` and ``query_costs`` measure staleness and
messages per query. ``INDEX_MUTANTS`` are broken versions the check must catch.

Examples
--------
>>> run = run_index("global", seed=1, clients=2, rounds=4)
>>> index_agrees(run).verdict
'ok'
>>> sorted({m for _, m in query_costs(run)})
[2]
>>> index_agrees(run_index("global", seed=1, mutant="forgets_old_term")).verdict
'violated'
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System
from dslib.mutants import Mutant, check_mutant
from dslib.sharding.partitioning import stable_hash
from dslib.sim.network import Network, uniform
from dslib.sim.simulator import Simulation

__all__ = [
    "INDEX_MODES",
    "INDEX_MUTANTS",
    "IndexAck",
    "IndexCheck",
    "IndexClient",
    "IndexClientState",
    "IndexRun",
    "IndexSet",
    "IndexShard",
    "IndexShardState",
    "PutDoc",
    "PutDone",
    "TermQuery",
    "TermReply",
    "apply_index_set",
    "data_shard",
    "expected_index",
    "index_agrees",
    "index_checks",
    "index_disagreements",
    "index_lag",
    "index_mutants",
    "index_shard",
    "index_workload",
    "missed_own_writes",
    "query_costs",
    "run_index",
]

INDEX_MODES = ("local", "global")
"""The two kinds of secondary index."""

INDEX_MUTANTS: dict[str, str] = {
    "forgets_old_term": "a write tells the index shard of the new term, never that of the old term",
    "no_resend": "an index update is sent once and never resent: a lost message loses it",
}
"""Broken versions of the global index, by name, with what is wrong."""


# -- placement ------------------------------------------------------------------------------
def data_shard(doc: str, shards: Sequence[str]) -> str:
    """The shard that holds document ``doc``: its id hashed mod the number of shards.

    >>> data_shard("car7", ["s1", "s2", "s3"])
    's2'
    """
    if not shards:
        raise ValueError("data_shard: shards is empty; give at least one shard name")
    return shards[stable_hash(doc, salt="doc") % len(shards)]


def index_shard(term: str, shards: Sequence[str]) -> str:
    """The shard that holds the global index entry of ``term`` (hashed with another salt).

    >>> index_shard("red", ["s1", "s2", "s3"])
    's2'
    """
    if not shards:
        raise ValueError("index_shard: shards is empty; give at least one shard name")
    return shards[stable_hash(term, salt="term") % len(shards)]


# -- messages --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PutDoc:
    """Client to data shard: document ``doc`` now has term ``term``."""

    request: int
    doc: str
    term: str


@dataclass(frozen=True)
class PutDone:
    """Data shard to client: the put of ``request`` is applied."""

    request: int


@dataclass(frozen=True)
class TermQuery:
    """Client to shard: the documents with term ``term``."""

    request: int
    term: str


@dataclass(frozen=True)
class TermReply:
    """Shard to client: what its index lists for the queried term (sorted)."""

    request: int
    docs: tuple[str, ...]


@dataclass(frozen=True)
class IndexSet:
    """Data shard to index shard: at ``version``, document ``doc`` has term ``term``."""

    doc: str
    version: int
    term: str


@dataclass(frozen=True)
class IndexAck:
    """Index shard to data shard: ``IndexSet(doc, version, ...)`` arrived."""

    doc: str
    version: int


# -- the index update rule (the exercise ch13.index_update) ---------------------------------
def apply_index_set(
    entries: tuple[tuple[str, int, str], ...], doc: str, version: int, term: str
) -> tuple[tuple[str, int, str], ...]:
    """An index shard's entries after ``IndexSet(doc, version, term)`` arrives.

    ``entries`` is a sorted tuple of ``(doc, version, term)``, one per document:
    the newest version heard of. An update replaces the document's entry only if
    its version is higher, so updates may arrive in any order, and twice.

    >>> e = apply_index_set((), "car1", 2, "blue")
    >>> apply_index_set(e, "car1", 1, "red")  # older: ignored
    (('car1', 2, 'blue'),)
    """
    current = {d: (v, t) for d, v, t in entries}
    if doc in current and current[doc][0] >= version:
        return entries
    current[doc] = (version, term)
    return tuple(sorted((d, v, t) for d, (v, t) in current.items()))


# -- the shard -------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexShardState:
    """A shard's documents and index, and the index updates it still has to deliver.

    ``data``: ``(doc, version, term)`` of the documents it holds; ``index``:
    ``(doc, version, term)`` entries of its index (local: its own documents;
    global: every document it heard of from an ``IndexSet``, listed under the
    terms it owns); ``pending``: ``(index shard, doc, version, term)`` not yet
    acknowledged. All sorted.
    """

    data: tuple[tuple[str, int, str], ...] = ()
    index: tuple[tuple[str, int, str], ...] = ()
    pending: tuple[tuple[str, str, int, str], ...] = ()

    def listed(self, term: str) -> tuple[str, ...]:
        """The documents its index lists under ``term``."""
        return tuple(d for d, _, t in self.index if t == term)


class IndexShard(Node[IndexShardState]):
    """One shard: holds the documents that hash to it and a part of the secondary index.

    Parameters
    ----------
    shards : sequence of str
        Every shard's name (for the global index's placement).
    mode : {"local", "global"}
    resend : float, default 5
        How often to resend unacknowledged index updates (global).
    mutant : str, optional
        From ``INDEX_MUTANTS``.

    Examples
    --------
    >>> shard = IndexShard(["s1", "s2"], "global")
    >>> ctx = Context("s1", ["s1", "s2", "c1"])
    >>> s = shard.on_message(ctx, shard.init(ctx), "c1", PutDoc(1, "car1", "red"))
    >>> ctx.sent
    [('c1', PutDone(request=1)), ('s2', IndexSet(doc='car1', version=1, term='red'))]
    """

    def __init__(
        self,
        shards: Sequence[str],
        mode: str,
        resend: float = 5.0,
        mutant: str | None = None,
    ) -> None:
        if mode not in INDEX_MODES:
            raise ValueError(f"IndexShard: mode={mode!r}; allowed: {', '.join(INDEX_MODES)}")
        if not (isinstance(resend, (int, float)) and resend > 0):
            raise ValueError(f"IndexShard: resend={resend!r} must be a positive number")
        self.shards = tuple(shards)
        self.mode = mode
        self.resend = float(resend)
        self.mutant = check_mutant("IndexShard", mutant, INDEX_MUTANTS)

    def init(self, ctx: Context) -> IndexShardState:
        return IndexShardState()

    def on_message(
        self, ctx: Context, state: IndexShardState, src: str, msg: Any
    ) -> IndexShardState:
        if isinstance(msg, PutDoc):
            return self._put(ctx, state, src, msg)
        if isinstance(msg, TermQuery):
            ctx.send(src, TermReply(msg.request, state.listed(msg.term)))
            return state
        if isinstance(msg, IndexSet):
            ctx.send(src, IndexAck(msg.doc, msg.version))
            return replace(
                state, index=apply_index_set(state.index, msg.doc, msg.version, msg.term)
            )
        if isinstance(msg, IndexAck):
            left = tuple(
                p for p in state.pending if not (p[0] == src and p[1:3] == (msg.doc, msg.version))
            )
            return replace(state, pending=left)
        return state

    def _put(self, ctx: Context, state: IndexShardState, src: str, msg: PutDoc) -> IndexShardState:
        old = next(((v, t) for d, v, t in state.data if d == msg.doc), (0, None))
        version = old[0] + 1
        data = apply_index_set(state.data, msg.doc, version, msg.term)
        ctx.send(src, PutDone(msg.request))
        if self.mode == "local":  # the index changes in the same step as the data
            return replace(state, data=data, index=data)
        targets = {index_shard(msg.term, self.shards)}
        if old[1] is not None and self.mutant != "forgets_old_term":
            targets.add(index_shard(old[1], self.shards))  # it must stop listing the old term
        updates = [(dst, msg.doc, version, msg.term) for dst in sorted(targets)]
        for dst, doc, v, term in updates:
            ctx.send(dst, IndexSet(doc, v, term))
        if self.mutant == "no_resend":
            return replace(state, data=data)
        if not state.pending:
            ctx.set_timer("resend", self.resend)
        # A newer version replaces an older one still pending for the same shard and document.
        kept = [p for p in state.pending if not (p[1] == msg.doc and p[0] in targets)]
        return replace(state, data=data, pending=tuple(sorted(kept + updates)))

    def on_timer(self, ctx: Context, state: IndexShardState, timer: Any) -> IndexShardState:
        if timer == "resend" and state.pending:
            for dst, doc, v, term in state.pending:
                ctx.send(dst, IndexSet(doc, v, term))
            ctx.set_timer("resend", self.resend)
        return state


# -- the client ------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexClientState:
    """A client's place in its script and what it has recorded.

    ``waiting``: shards whose reply to the current request has not come;
    ``gathered``: the documents gathered so far; ``log``: finished operations
    as ``(request, kind, argument, start, end, result)`` (``result`` the sorted
    documents of a query, ``()`` for a put).
    """

    next_op: int = 0
    started: float = 0.0
    waiting: tuple[str, ...] = ()
    gathered: tuple[str, ...] = ()
    log: tuple[tuple[int, str, str, float, float, tuple[str, ...]], ...] = ()


class IndexClient(Node[IndexClientState]):
    """Runs a script of ``("put", doc, term)`` and ``("query", term, "")`` one at a time.

    A put goes to the document's data shard. A query goes to every shard
    (local index: scatter, then gather the union) or to the term's index shard
    (global). A request unanswered after ``retry`` is sent again to the shards
    that have not replied.

    Examples
    --------
    >>> client = IndexClient([("query", "red", "")], ["s1", "s2"], "local")
    >>> ctx = Context("c1", ["c1", "s1", "s2"])
    >>> s = client.init(ctx)
    >>> ctx.sent
    [('s1', TermQuery(request=1, term='red')), ('s2', TermQuery(request=1, term='red'))]
    """

    def __init__(
        self,
        script: Sequence[tuple[str, str, str]],
        shards: Sequence[str],
        mode: str,
        retry: float = 10.0,
        start: float = 0.0,
    ) -> None:
        if mode not in INDEX_MODES:
            raise ValueError(f"IndexClient: mode={mode!r}; allowed: {', '.join(INDEX_MODES)}")
        for op in script:
            if op[0] not in ("put", "query"):
                raise ValueError(f"IndexClient: operation {op!r}; allowed kinds: put, query")
        self.script = tuple(script)
        self.shards = tuple(shards)
        self.mode = mode
        self.retry = float(retry)
        self.start = float(start)

    def _targets(self, op: tuple[str, str, str]) -> tuple[str, ...]:
        if op[0] == "put":
            return (data_shard(op[1], self.shards),)
        if self.mode == "local":
            return self.shards
        return (index_shard(op[1], self.shards),)

    def _message(self, request: int, op: tuple[str, str, str]) -> Any:
        return PutDoc(request, op[1], op[2]) if op[0] == "put" else TermQuery(request, op[1])

    def _issue(self, ctx: Context, state: IndexClientState, i: int) -> IndexClientState:
        if i >= len(self.script):
            return replace(state, next_op=i, waiting=())
        targets = self._targets(self.script[i])
        for dst in targets:
            ctx.send(dst, self._message(i + 1, self.script[i]))
        ctx.set_timer(("retry", i + 1), self.retry)
        return replace(state, next_op=i, started=ctx.now, waiting=targets, gathered=())

    def init(self, ctx: Context) -> IndexClientState:
        if self.start > 0:
            ctx.set_timer("start", self.start)
            return IndexClientState()
        return self._issue(ctx, IndexClientState(), 0)

    def on_timer(self, ctx: Context, state: IndexClientState, timer: Any) -> IndexClientState:
        if timer == "start":
            return self._issue(ctx, state, 0)
        if timer == ("retry", state.next_op + 1) and state.waiting:
            for dst in state.waiting:
                ctx.send(dst, self._message(state.next_op + 1, self.script[state.next_op]))
            ctx.set_timer(timer, self.retry)
        return state

    def on_message(
        self, ctx: Context, state: IndexClientState, src: str, msg: Any
    ) -> IndexClientState:
        request = state.next_op + 1
        if not isinstance(msg, (PutDone, TermReply)) or msg.request != request:
            return state  # a late reply to an earlier request
        if src not in state.waiting:
            return state  # a duplicate reply
        gathered = state.gathered
        if isinstance(msg, TermReply):
            gathered = tuple(sorted(set(gathered) | set(msg.docs)))
        waiting = tuple(w for w in state.waiting if w != src)
        if waiting:
            return replace(state, waiting=waiting, gathered=gathered)
        kind, arg, _ = self.script[state.next_op]
        entry = (request, kind, arg, state.started, ctx.now, gathered)
        ctx.cancel_timer(("retry", request))
        done = replace(state, log=(*state.log, entry), gathered=())
        return self._issue(ctx, done, state.next_op + 1)


# -- running ---------------------------------------------------------------------------------
TERMS = ("red", "green", "blue", "black")
"""The terms (colours) of ``index_workload``."""


def index_workload(
    seed: int, rounds: int, docs: int = 6, terms: Sequence[str] = TERMS
) -> list[tuple[str, str, str]]:
    """A seeded script of ``rounds`` rounds: put a random document to a random term, then
    query that term (does the client see its own write?).

    >>> index_workload(1, 2)  # doctest: +NORMALIZE_WHITESPACE
    [('put', 'car1', 'green'), ('query', 'green', ''),
     ('put', 'car3', 'blue'), ('query', 'blue', '')]
    """
    if not (isinstance(rounds, int) and rounds >= 0):
        raise ValueError(f"index_workload: rounds={rounds!r} must be an int >= 0")
    if not (isinstance(docs, int) and docs >= 1):
        raise ValueError(f"index_workload: docs={docs!r} must be an int >= 1")
    rng = random.Random(f"index:{seed}")
    out: list[tuple[str, str, str]] = []
    for _ in range(rounds):
        doc, term = f"car{rng.randrange(docs)}", rng.choice(list(terms))
        out += [("put", doc, term), ("query", term, "")]
    return out


@dataclass(frozen=True)
class IndexRun:
    """A finished run: the simulation, the mode, the shards, the clients' scripts."""

    simulation: Simulation
    mode: str
    shards: tuple[str, ...]
    scripts: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]

    def shard_states(self) -> dict[str, IndexShardState]:
        """Each shard's final state, by name."""
        states = self.simulation.states
        return {s: states[s] for s in self.shards if s in states}

    def logs(self) -> dict[str, tuple[tuple[int, str, str, float, float, tuple[str, ...]], ...]]:
        """Each client's log of finished operations."""
        return {
            c: self.simulation.states[c].log for c, _ in self.scripts if c in self.simulation.states
        }


def run_index(
    mode: str,
    seed: int = 0,
    shards: int = 3,
    clients: int = 2,
    rounds: int = 6,
    docs: int = 6,
    loss: float = 0.0,
    mutant: str | None = None,
    until: float = 400.0,
) -> IndexRun:
    """Run ``clients`` clients with ``index_workload`` scripts against ``shards`` shards.

    Parameters
    ----------
    mode : {"local", "global"}
    seed : int
    shards, clients, rounds, docs : int
        Sizes; each client's script is ``index_workload(seed * 100 + client, rounds, docs)``.
    loss : float, default 0
        The probability that the network loses a message (latency 0.5 to 2).
    mutant : str, optional
        From ``INDEX_MUTANTS``.
    until : float, default 400
        When the run stops (long after the scripts end, so that resends finish).

    Examples
    --------
    >>> run = run_index("local", seed=2, clients=1, rounds=2)
    >>> [(kind, arg, docs) for _, kind, arg, _, _, docs in run.logs()["c1"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('put', 'car0', ()), ('query', 'black', ('car0',)),
     ('put', 'car4', ()), ('query', 'red', ('car4',))]
    """
    if mode not in INDEX_MODES:
        raise ValueError(f"run_index: mode={mode!r}; allowed: {', '.join(INDEX_MODES)}")
    for name, n in (("shards", shards), ("clients", clients)):
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise ValueError(f"run_index: {name}={n!r} must be an int >= 1")
    names = tuple(f"s{i}" for i in range(1, shards + 1))
    nodes: dict[str, Node[Any]] = {s: IndexShard(names, mode, mutant=mutant) for s in names}
    scripts = []
    for c in range(1, clients + 1):
        script = tuple(index_workload(seed * 100 + c, rounds, docs))
        scripts.append((f"c{c}", script))
        nodes[f"c{c}"] = IndexClient(script, names, mode, start=0.7 * (c - 1))
    network = Network(latency=uniform(0.5, 2.0), loss=loss)
    sim = Simulation(System(nodes), seed=seed, network=network)
    sim.run(until=until)
    return IndexRun(sim, mode, names, tuple(scripts))


# -- measuring -------------------------------------------------------------------------------
def query_costs(run: IndexRun) -> list[tuple[str, int]]:
    """The messages each query cost (requests and replies, resends included), from the trace:
    ``(client, messages)`` per query, in the order the clients issued them.

    >>> sorted({m for _, m in query_costs(run_index("local", seed=1, shards=4))})
    [8]
    """
    counts: dict[tuple[str, int], int] = {}
    for e in run.simulation.trace.of_kind("send"):
        if isinstance(e.data, TermQuery):
            key = (str(e.node), e.data.request)
        elif isinstance(e.data, TermReply):
            key = (str(e.peer), e.data.request)
        else:
            continue
        counts[key] = counts.get(key, 0) + 1
    return [(c, counts[(c, r)]) for c, r in sorted(counts)]


def index_lag(run: IndexRun) -> list[float | None]:
    """For each write, how long after the data shard applied it the index listed it: the time
    from the data's new version to the first index entry of that version (or a newer one) at
    the term's index shard. ``None``: the index never caught up. Local indexes: always 0.

    >>> index_lag(run_index("local", seed=1, clients=1, rounds=2))
    [0.0, 0.0]
    """
    applied: dict[tuple[str, int], tuple[float, str]] = {}
    listed: dict[tuple[str, int], float] = {}
    for e in run.simulation.trace.of_kind("state"):
        state = e.data
        if not isinstance(state, IndexShardState):
            continue
        node = str(e.node)
        for doc, v, term in state.data:
            applied.setdefault((doc, v), (e.time, term))
        for doc, v, term in state.index:
            owner = node if run.mode == "local" else index_shard(term, run.shards)
            if owner == node:
                for older in range(1, v + 1):
                    listed.setdefault((doc, older), e.time)
    out: list[float | None] = []
    for key, (t, _) in sorted(applied.items(), key=lambda kv: (kv[1][0], kv[0])):
        out.append(round(listed[key] - t, 3) if key in listed else None)
    return out


def missed_own_writes(run: IndexRun) -> tuple[int, int]:
    """``(missed, queries)``: of the queries that follow a client's own put of that term, how
    many answered without the document it had just written (while no other client wrote it
    in between: such queries are left out).

    >>> missed_own_writes(run_index("local", seed=1))
    (0, 12)
    """
    ops = sorted(
        (start, end, c, kind, arg, docs)
        for c, log in run.logs().items()
        for _, kind, arg, start, end, docs in log
    )
    puts = [(s, e, c, arg) for s, e, c, kind, arg, _ in ops if kind == "put"]
    missed = total = 0
    for c, log in run.logs().items():
        script = dict(run.scripts)[c]
        for (_, kind, _, _, end, docs), prev in zip(log[1:], log, strict=False):
            if kind != "query" or prev[1] != "put":
                continue
            doc = script[prev[0] - 1][1]
            # Left out when another client's put of the same document overlaps this window.
            if any(d == doc and oc != c and s < end and e > prev[3] for s, e, oc, d in puts):
                continue
            total += 1
            missed += doc not in docs
    return missed, total


# -- checking --------------------------------------------------------------------------------
@dataclass(frozen=True)
class IndexCheck:
    """The verdict of ``index_agrees``: ``"ok"``, ``"violated"`` or ``"unknown"`` (the run was
    not quiet: the check did not compare). ``ok`` is True only for ``"ok"``."""

    verdict: str
    detail: str = ""
    counterexample_length: int | None = None

    @property
    def ok(self) -> bool:
        """Whether the index was checked and agrees."""
        return self.verdict == "ok"


def expected_index(data: Sequence[tuple[str, int, str]]) -> dict[str, tuple[str, ...]]:
    """The index the data calls for: each term to its documents, sorted.

    >>> expected_index([("car1", 1, "red"), ("car2", 3, "red"), ("car3", 1, "blue")])
    {'blue': ('car3',), 'red': ('car1', 'car2')}
    """
    out: dict[str, list[str]] = {}
    for doc, _, term in data:
        out.setdefault(term, []).append(doc)
    return {t: tuple(sorted(ds)) for t, ds in sorted(out.items())}


def index_disagreements(
    states: dict[str, IndexShardState], mode: str, shards: Sequence[str]
) -> list[str]:
    """The terms whose index disagrees with the data, one line each, by term.

    The index of term ``t`` is read where queries read it: every shard's local index
    (``"local"``), or the entries of ``index_shard(t, shards)`` only (``"global"``).

    >>> s1 = IndexShardState(data=(("car1", 2, "blue"),), index=(("car1", 1, "red"),))
    >>> index_disagreements({"s1": s1}, "local", ["s1"])
    ["blue: index lists [], data has ['car1']", "red: index lists ['car1'], data has []"]
    """
    if mode not in INDEX_MODES:
        raise ValueError(f"index_disagreements: mode={mode!r}; allowed: {', '.join(INDEX_MODES)}")
    want = expected_index([row for s in states.values() for row in s.data])
    got: dict[str, set[str]] = {}
    for name, s in states.items():
        for doc, _, term in s.index:
            if mode == "local" or index_shard(term, shards) == name:
                got.setdefault(term, set()).add(doc)
    bad = []
    for term in sorted(set(want) | set(got)):
        listed = tuple(sorted(got.get(term, ())))
        if listed != want.get(term, ()):
            bad.append(f"{term}: index lists {list(listed)}, data has {list(want.get(term, ()))}")
    return bad


def index_agrees(run: IndexRun) -> IndexCheck:
    """Once quiet, the index agrees with the data: for every term, the documents listed under
    it (at the shards that answer for it) are exactly those whose data has that term.

    "Quiet" means no index update pending at any shard and no message in flight; if the run
    is not quiet the verdict is ``"unknown"``, never ``"ok"``. A shard that is down also gives
    ``"unknown"``. The counterexample length is the number of terms that disagree.

    >>> index_agrees(run_index("local", seed=3)).verdict
    'ok'
    """
    states = run.shard_states()
    if len(states) < len(run.shards):
        return IndexCheck("unknown", "a shard is down: its data and index cannot be read")
    pending = sum(len(s.pending) for s in states.values())
    in_flight = run.simulation.in_flight()
    if pending or in_flight:
        return IndexCheck(
            "unknown",
            f"not quiet: {pending} index updates pending, {len(in_flight)} messages in flight",
        )
    bad = index_disagreements(states, run.mode, run.shards)
    data = [row for s in states.values() for row in s.data]
    if bad:
        return IndexCheck("violated", "; ".join(bad), len(bad))
    terms = len(expected_index(data))
    return IndexCheck("ok", f"{terms} terms, {len(data)} documents agree")


def index_checks(seeds: Sequence[int] = (1, 2, 3)) -> dict[str, Any]:
    """The checks of the global index, by name; each takes a mutant name (``None``: correct).

    ``"index agrees"`` runs the global index on ``seeds`` with 3 shards, 2 clients of 8
    rounds over 4 documents, on a network that loses 10% of the messages, and judges each
    with ``index_agrees``; it returns the first run's verdict that is not ``"ok"``, else the
    last one's.

    >>> index_checks(seeds=[1])["index agrees"](None).verdict
    'ok'
    """
    chosen = list(seeds)
    for seed in chosen:
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise TypeError(f"index_checks: seed {seed!r} is not an int")
    if not chosen:
        raise ValueError("index_checks: give at least one seed")

    def agrees(mutant: str | None) -> IndexCheck:
        verdict = IndexCheck("unknown", "no run")
        for seed in chosen:
            run = run_index("global", seed, clients=2, rounds=8, docs=4, loss=0.1, mutant=mutant)
            verdict = index_agrees(run)
            if not verdict.ok:
                break
        return verdict

    return {"index agrees": agrees}


def index_mutants() -> list[Mutant[str | None]]:
    """The broken global indexes of ``INDEX_MUTANTS`` with the check that must catch each.

    >>> [m.name for m in index_mutants()]
    ['forgets_old_term', 'no_resend']
    """
    return [Mutant(n, bug, _constant(n), ("index agrees",)) for n, bug in INDEX_MUTANTS.items()]


def _constant(name: str | None) -> Any:
    return lambda: name
