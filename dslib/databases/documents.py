"""A sharded document store with a secondary index, in two designs, and denormalisation.

Documents are JSON-like records with an id (``{"customer": "cu3", "item": "lamp"}``),
stored frozen as a sorted tuple of ``(field, value)`` pairs (``freeze_doc``). Each
document lives on one *shard* node (``s1``, ``s2``, ...), chosen by chapter 13's jump
consistent hash of its id (``dslib.sharding.JumpHash``). A *secondary index* on one
field (``DocConfig.field``, by default ``"customer"``) answers "which documents have
``customer == "cu3"``?" without reading them all. Kleppmann (DDIA, chapter 6, section
"Partitioning and Secondary Indexes") names the two ways to partition it:

- **local (document-partitioned) index** (``index="local"``): each shard indexes only
  its own documents, in the same step that writes them. A write touches one shard; a
  query by the field must *scatter* to every shard and *gather* the answers, so its
  cost grows with the number of shards and its latency is the slowest shard's
  (MongoDB and Elasticsearch work this way).
- **global (term-partitioned) index** (``index="global"``): the index is itself
  partitioned by the indexed value (the *term*): the entries for ``cu3`` live on the
  shard that ``cu3`` hashes to. A query asks that one index shard for the ids, then
  fetches the documents from their shards. A write must update the document's shard
  *and* the index shard of the old value and of the new one. Here that update is
  **asynchronous** (as DynamoDB's global secondary indexes are): the document's shard
  acknowledges the write at once and sends ``IndexUpdate`` messages, resending each
  until acknowledged. A query that comes soon after a write can miss the document
  (``index_lag`` measures how often). With ``sync=True`` the shard acknowledges only
  after every index shard has, which closes the window and makes the write slower.

Index entries carry the document's *version*; an index shard keeps, per document, the
entry of the highest version it has seen, so updates that arrive out of order or twice
converge to the right index (``index_consistent`` checks it once the run is quiet).

Clients (``DocClient``) run a workload of high-level operations, each made of rounds of
requests: ``put``, ``update`` (set some fields), ``get``, ``query`` (by the indexed field),
``view_order`` (an order with its customer's name) and ``rename`` (a customer's name).
With ``model="normalised"`` an order stores only its customer's id, and ``view_order``
is an application-side join: two round trips. With ``model="embedded"`` an order carries
a copy of the customer's name (``customer_name``): ``view_order`` is one read, but
``rename`` must find and rewrite every copy, one document at a time; a crash in the
middle leaves some copies stale (``stale_copies``).

Every message of an operation carries its tag ``(client, request, step)``, so
``op_costs`` can count the messages each operation caused, index updates included.

Examples
--------
>>> config = DocConfig(shards=4, index="global")
>>> loads = [[("put", "o1", {"customer": "cu1"}), ("put", "o2", {"customer": "cu1"}),
...           ("update", "o1", {"customer": "cu2"}), ("query", "cu1")]]
>>> sim = run_documents(config, loads, seed=1)
>>> [(op.f, op.result) for op in sim.history.operations()][-1]
('query', ('o2',))
>>> index_consistent(sim).ok
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from dslib.core import Context, Node, System, stable_repr
from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants
from dslib.sharding.partitioning import JumpHash
from dslib.sim.clients import first_operation, next_operation
from dslib.sim.nemesis import Crash, Nemesis
from dslib.sim.network import Latency, Network, lognormal
from dslib.sim.simulator import Simulation
from dslib.stats import percentile

__all__ = [
    "CHECKS",
    "DEFAULT_LATENCY",
    "DESIGNS",
    "MUTANTS",
    "MUTANT_CHECKS",
    "REORDERING",
    "DocClient",
    "DocClientState",
    "DocConfig",
    "DocShard",
    "IndexAck",
    "IndexCheck",
    "IndexUpdate",
    "Lookup",
    "LookupReply",
    "Read",
    "ReadReply",
    "Scan",
    "ShardState",
    "Write",
    "WriteDone",
    "catch_rate",
    "check_copies_agree",
    "check_index_converges",
    "check_queries_complete",
    "churn_workloads",
    "copies_agree",
    "doc_system",
    "dynamo_comparison",
    "expected_index",
    "freeze_doc",
    "index_consistent",
    "index_cost_figure",
    "index_cost_table",
    "index_entries",
    "index_lag",
    "mutant_report",
    "op_costs",
    "orders_workloads",
    "queries_complete",
    "run_documents",
    "stale_copies",
    "stale_copy_in",
    "term",
]

MUTANTS: dict[str, str] = {
    "drops_index_update_on_retry": (
        "global index: an index update not yet acknowledged is dropped when it is due "
        "to be sent again"
    ),
    "index_ignores_versions": (
        "global index: an index shard applies an older update over a newer one"
    ),
    "local_index_keeps_old_value": (
        "local index: a changed document is indexed under its new value but not removed "
        "from the old one"
    ),
    "query_forgets_a_shard": "local index: the scatter/gather query asks every shard but the last",
    "skips_a_copy": "denormalised: a rename rewrites every embedded copy of the name but one",
}
"""Broken versions of the document store, by name, with what is wrong."""

Doc = tuple[tuple[str, Any], ...]
"""A frozen document: its ``(field, value)`` pairs sorted by field."""

Tag = tuple[str, int, int]
"""Which operation a message belongs to: ``(client, request number, step)``."""


def freeze_doc(doc: Mapping[str, Any] | Doc) -> Doc:
    """A document as a sorted tuple of ``(field, value)`` pairs (hashable, printable).

    Parameters
    ----------
    doc : mapping of str to hashable value, or an already frozen document

    Raises
    ------
    TypeError
        If ``doc`` is not a mapping (or pairs) with string fields and hashable values.

    Examples
    --------
    >>> freeze_doc({"item": "lamp", "customer": "cu1"})
    (('customer', 'cu1'), ('item', 'lamp'))
    >>> freeze_doc({"tags": ["a"]})
    Traceback (most recent call last):
    ...
    TypeError: document field 'tags' has value ['a'] (list); values must be hashable \
(use a tuple, not a list)
    """
    if isinstance(doc, Mapping):
        pairs = list(doc.items())
    elif isinstance(doc, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in doc):
        pairs = list(doc)
    else:
        raise TypeError(f"a document is a dict of field -> value, got {type(doc).__name__} {doc!r}")
    for name, value in pairs:
        if not isinstance(name, str):
            raise TypeError(f"document field names are strings, got {name!r}")
        try:
            hash(value)
        except TypeError:
            raise TypeError(
                f"document field {name!r} has value {value!r} ({type(value).__name__}); "
                "values must be hashable (use a tuple, not a list)"
            ) from None
    return tuple(sorted(pairs, key=lambda p: p[0]))


def _field(doc: Doc, name: str) -> Any:
    for k, v in doc:
        if k == name:
            return v
    return None


def _has(doc: Doc, name: str) -> bool:
    return any(k == name for k, _ in doc)


def term(value: Any) -> str:
    """The index term of a field value: its stable printed form (what index shards hash).

    >>> term("cu3"), term(7)
    ("'cu3'", '7')
    """
    return stable_repr(value)


# == configuration ==============================================================================
@dataclass(frozen=True)
class DocConfig:
    """How the document store is built.

    Parameters
    ----------
    shards : int, default 4
        Shard nodes ``s1 .. sN``.
    index : {"local", "global"}, default "local"
    sync : bool, default False
        Global index only: acknowledge a write after the index shards have (else at once).
    field : str, default "customer"
        The indexed field.
    model : {"normalised", "embedded"}, default "normalised"
        How clients store an order's customer: its id only, or also a copy of its name.
    timeout : float, default 8
        Clients resend unanswered requests, and shards unacknowledged index updates, this often.
    mutant : str, optional
        A broken version from ``MUTANTS``.

    Examples
    --------
    >>> DocConfig(index="global", sync=True).shard_ids()
    ('s1', 's2', 's3', 's4')
    >>> DocConfig(index="btree")
    Traceback (most recent call last):
    ...
    ValueError: DocConfig: index='btree'; choose 'local' or 'global'
    """

    shards: int = 4
    index: str = "local"
    sync: bool = False
    field: str = "customer"
    model: str = "normalised"
    timeout: float = 8.0
    mutant: str | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.shards, int) and not isinstance(self.shards, bool)):
            raise TypeError(f"DocConfig: shards={self.shards!r} must be an int >= 1")
        if self.shards < 1:
            raise ValueError(f"DocConfig: shards={self.shards!r} must be an int >= 1")
        if self.index not in ("local", "global"):
            raise ValueError(f"DocConfig: index={self.index!r}; choose 'local' or 'global'")
        if not isinstance(self.sync, bool):
            raise TypeError(f"DocConfig: sync={self.sync!r} must be True or False")
        if self.sync and self.index != "global":
            raise ValueError("DocConfig: sync=True only applies to index='global'")
        if not isinstance(self.field, str) or not self.field:
            raise TypeError(f"DocConfig: field={self.field!r} must be a non-empty string")
        if self.model not in ("normalised", "embedded"):
            raise ValueError(f"DocConfig: model={self.model!r}; choose 'normalised' or 'embedded'")
        if not (isinstance(self.timeout, (int, float)) and self.timeout > 0):
            raise ValueError(f"DocConfig: timeout={self.timeout!r} must be a number > 0")
        check_mutant("DocConfig", self.mutant, MUTANTS)

    def shard_ids(self) -> tuple[str, ...]:
        """The shard nodes' ids."""
        return tuple(f"s{i}" for i in range(1, self.shards + 1))

    def partitioner(self) -> JumpHash:
        """Chapter 13's jump consistent hash over the shards (documents by id, terms by term)."""
        return JumpHash(self.shard_ids())


# == messages ===================================================================================
@dataclass(frozen=True)
class Write:
    """Client to a document's shard: replace the document (``merge=False``) or set fields.

    >>> Write(("c1", 1, 1), "o1", freeze_doc({"customer": "cu1"}), merge=True).merge
    True
    """

    op: Tag
    doc_id: str
    fields: Doc
    merge: bool = False


@dataclass(frozen=True)
class WriteDone:
    """Shard to client: the write is applied; the document's new version."""

    op: Tag
    doc_id: str
    version: int


@dataclass(frozen=True)
class Read:
    """Client to a shard: the documents with these ids."""

    op: Tag
    ids: tuple[str, ...]


@dataclass(frozen=True)
class ReadReply:
    """Shard to client: ``(id, document)`` for each id it holds."""

    op: Tag
    docs: tuple[tuple[str, Doc], ...]


@dataclass(frozen=True)
class Scan:
    """Client to a shard (local index): your documents whose ``field`` has this value."""

    op: Tag
    value: Any


@dataclass(frozen=True)
class Lookup:
    """Client to the index shard of a term (global index): the ids indexed under it."""

    op: Tag
    value: Any


@dataclass(frozen=True)
class LookupReply:
    """Index shard to client: the ids it indexes under the term."""

    op: Tag
    ids: tuple[str, ...]


@dataclass(frozen=True)
class IndexUpdate:
    """Document shard to index shard: as of ``version``, document ``doc_id`` is indexed
    under ``term`` among your terms (``None``: under none of them).

    >>> IndexUpdate(("c1", 1, 1), "o1", 2, None)  # o1, version 2: none of your terms
    IndexUpdate(op=('c1', 1, 1), doc_id='o1', version=2, term=None)
    """

    op: Tag
    doc_id: str
    version: int
    term: str | None


@dataclass(frozen=True)
class IndexAck:
    """Index shard to document shard: I have (at least) this version of the document's entry."""

    op: Tag
    doc_id: str
    version: int


# == the shard ==================================================================================
@dataclass(frozen=True)
class ShardState:
    """One shard: its documents, its index entries, and the index updates it still owes.

    ``docs``: ``(id, version, document)``, sorted by id. ``local``: ``(term, id)`` pairs of
    the local index. ``postings``: ``(id, version, term or None)``, this shard's part of the
    global index. ``outbox``: ``(index shard, IndexUpdate)`` not yet acknowledged.
    ``waiting``: with ``sync``, writes not yet acknowledged: ``(op, client, version, index
    shards still to answer)``. ``last``: per client, its last write's tag and version
    (a resent write is answered, not applied twice).
    """

    docs: tuple[tuple[str, int, Doc], ...] = ()
    local: tuple[tuple[str, str], ...] = ()
    postings: tuple[tuple[str, int, str | None], ...] = ()
    outbox: tuple[tuple[str, IndexUpdate], ...] = ()
    waiting: tuple[tuple[Tag, str, int, tuple[str, ...]], ...] = ()
    last: tuple[tuple[str, Tag, int], ...] = ()

    def document(self, doc_id: str) -> tuple[int, Doc] | None:
        """``(version, document)`` of ``doc_id``, or None.

        >>> ShardState(docs=(("o1", 3, ()),)).document("o1"), ShardState().document("o1")
        ((3, ()), None)
        """
        for i, v, d in self.docs:
            if i == doc_id:
                return v, d
        return None


def _upsert(rows: tuple[Any, ...], key: Any, row: Any) -> tuple[Any, ...]:
    return tuple(sorted([*(r for r in rows if r[0] != key), row], key=lambda r: stable_repr(r[0])))


class DocShard(Node[ShardState]):
    """A shard of the document store: its documents, its local index or its part of the
    global index, and the index updates it owes.

    Parameters
    ----------
    config : DocConfig

    Examples
    --------
    >>> shard = DocShard(DocConfig(shards=1))
    >>> ctx = Context("s1", ["s1", "c1"])
    >>> s = shard.on_message(ctx, shard.init(ctx), "c1",
    ...                      Write(("c1", 1, 0), "o1", freeze_doc({"customer": "cu1"})))
    >>> s.local, ctx.sent[-1][1]
    (((\"'cu1'\", 'o1'),), WriteDone(op=('c1', 1, 0), doc_id='o1', version=1))
    """

    def __init__(self, config: DocConfig) -> None:
        if not isinstance(config, DocConfig):
            raise TypeError(f"DocShard: config={config!r} must be a DocConfig")
        self.config = config
        self.ring = config.partitioner()

    def init(self, ctx: Context) -> ShardState:
        return ShardState()

    def on_recover(self, ctx: Context, durable: Any) -> ShardState:
        state = durable if isinstance(durable, ShardState) else ShardState()
        if state.outbox:
            ctx.set_timer("resend", self.config.timeout)
        return state

    def on_message(self, ctx: Context, state: ShardState, src: str, msg: Any) -> ShardState:
        if isinstance(msg, Write):
            state = self._write(ctx, state, src, msg)
        elif isinstance(msg, Read):
            docs = tuple((i, d) for i, _, d in state.docs if i in msg.ids)
            ctx.send(src, ReadReply(msg.op, docs))
        elif isinstance(msg, Scan):
            t = term(msg.value)
            ids = {i for tt, i in state.local if tt == t}
            ctx.send(src, ReadReply(msg.op, tuple((i, d) for i, _, d in state.docs if i in ids)))
        elif isinstance(msg, Lookup):
            t = term(msg.value)
            ctx.send(src, LookupReply(msg.op, tuple(i for i, _, tt in state.postings if tt == t)))
        elif isinstance(msg, IndexUpdate):
            state = self._index_update(ctx, state, src, msg)
        elif isinstance(msg, IndexAck):
            state = self._index_ack(ctx, state, src, msg)
        return state

    # -- writes ----------------------------------------------------------------------------------
    def _write(self, ctx: Context, state: ShardState, src: str, msg: Write) -> ShardState:
        client = msg.op[0]
        if any(w[0] == msg.op for w in state.waiting):
            return state  # a resent write still waiting for its index: answered when it is done
        for c, tag, version in state.last:
            if c == client and tag == msg.op:
                ctx.send(src, WriteDone(msg.op, msg.doc_id, version))  # a resend: answer again
                return state
            if c == client and tuple(tag[1:]) > tuple(msg.op[1:]):
                # an old duplicate, overtaken by the client's later write (a client writes one
                # operation at a time): applying it now would undo the later one
                return state
        old = state.document(msg.doc_id)
        old_version, old_doc = old if old is not None else (0, ())
        new_doc = freeze_doc({**dict(old_doc), **dict(msg.fields)}) if msg.merge else msg.fields
        version = old_version + 1
        name = self.config.field
        state = replace(state, docs=_upsert(state.docs, msg.doc_id, (msg.doc_id, version, new_doc)))
        old_term = term(_field(old_doc, name)) if _has(old_doc, name) else None
        new_term = term(_field(new_doc, name)) if _has(new_doc, name) else None
        owed: tuple[str, ...] = ()
        if self.config.index == "local":
            local = set(state.local)
            if old_term is not None and self.config.mutant != "local_index_keeps_old_value":
                local.discard((old_term, msg.doc_id))
            if new_term is not None:
                local.add((new_term, msg.doc_id))
            state = replace(state, local=tuple(sorted(local)))
        else:
            targets = {self.ring.lookup(t) for t in (old_term, new_term) if t is not None}
            outbox = list(state.outbox)
            for target in sorted(targets):
                mine = (
                    new_term
                    if new_term is not None and self.ring.lookup(new_term) == target
                    else None
                )
                update = IndexUpdate(msg.op, msg.doc_id, version, mine)
                # the newer update says all the older one did: it replaces it
                outbox = [(d, u) for d, u in outbox if not (d == target and u.doc_id == msg.doc_id)]
                outbox.append((target, update))
                ctx.send(target, update)
            state = replace(state, outbox=tuple(outbox))
            if targets:
                ctx.set_timer("resend", self.config.timeout)
            if self.config.sync and targets:
                owed = tuple(sorted(targets))
                waiting = (*state.waiting, (msg.op, src, version, owed))
                state = replace(state, waiting=waiting)
        state = replace(state, last=_upsert(state.last, client, (client, msg.op, version)))
        if not owed:
            ctx.send(src, WriteDone(msg.op, msg.doc_id, version))
        ctx.persist(state)
        return state

    # -- the global index ------------------------------------------------------------------------
    def _index_update(
        self, ctx: Context, state: ShardState, src: str, msg: IndexUpdate
    ) -> ShardState:
        current = next((v for i, v, _ in state.postings if i == msg.doc_id), 0)
        if msg.version > current or self.config.mutant == "index_ignores_versions":
            row = (msg.doc_id, msg.version, msg.term)
            state = replace(state, postings=_upsert(state.postings, msg.doc_id, row))
            ctx.persist(state)
        ctx.send(src, IndexAck(msg.op, msg.doc_id, msg.version))
        return state

    def _index_ack(self, ctx: Context, state: ShardState, src: str, msg: IndexAck) -> ShardState:
        outbox = tuple(
            (d, u)
            for d, u in state.outbox
            if not (d == src and u.doc_id == msg.doc_id and u.version <= msg.version)
        )
        waiting = []
        for op, client, version, owed in state.waiting:
            if op == msg.op:
                owed = tuple(d for d in owed if d != src)
                if not owed:
                    ctx.send(client, WriteDone(op, msg.doc_id, version))
                    continue
            waiting.append((op, client, version, owed))
        state = replace(state, outbox=outbox, waiting=tuple(waiting))
        ctx.persist(state)
        return state

    def on_timer(self, ctx: Context, state: ShardState, timer: Any) -> ShardState:
        if timer != "resend" or not state.outbox:
            return state
        if self.config.mutant == "drops_index_update_on_retry":
            state = replace(state, outbox=())  # the bug: forget instead of sending again
            ctx.persist(state)
            return state
        for dst, update in state.outbox:
            ctx.send(dst, update)
        ctx.set_timer("resend", self.config.timeout)
        return state

    def __repr__(self) -> str:
        return f"DocShard({self.config.index})"


# == the client =================================================================================
@dataclass(frozen=True)
class DocClientState:
    """Where a client is: its operation, the round in flight and what it has gathered.

    ``request``: the operation's number; ``step``: the round's number within it;
    ``phase``: what the round does; ``sent``: the ``(shard, message)`` still unanswered;
    ``got``: the replies of this round; ``memo``: what later rounds need.
    """

    next_op: int = 0
    waiting: bool = False
    request: int = 0
    step: int = 0
    phase: str = ""
    sent: tuple[tuple[str, Any], ...] = ()
    got: tuple[Any, ...] = ()
    memo: tuple[Any, ...] = ()


_OPS = {"put": 3, "update": 3, "get": 2, "query": 2, "view_order": 2, "rename": 3}


def _parse(i: int, op: Any) -> tuple[Any, ...]:
    if not isinstance(op, (tuple, list)) or not op or op[0] not in _OPS:
        raise ValueError(
            f"workload operation {i}: {op!r}; allowed: ('put', id, doc), ('update', id, fields), "
            "('get', id), ('query', value), ('view_order', order id), ('rename', customer id, name)"
        )
    if len(op) != _OPS[op[0]]:
        raise ValueError(f"workload operation {i}: {op!r} needs {_OPS[op[0]]} items")
    if op[0] in ("put", "update"):
        if not isinstance(op[1], str):
            raise TypeError(f"workload operation {i}: document id {op[1]!r} must be a string")
        return (op[0], op[1], freeze_doc(op[2]))
    return tuple(op)


class DocClient(Node[DocClientState]):
    """An application that runs a workload of operations on the document store, one at a time.

    Parameters
    ----------
    config : DocConfig
    workload : sequence of operations
        ``("put", id, doc)``, ``("update", id, fields)``, ``("get", id)``,
        ``("query", value)``, ``("view_order", order id)``, ``("rename", customer id, name)``.
    think : float or (float, float), default (0, 2)
        Pause between operations.
    start : float, default 0

    Notes
    -----
    A round's unanswered requests are sent again every ``config.timeout`` (with the same
    tag: shards answer a resent write without applying it twice), and the client never
    gives up: an operation on a shard that stays down stays in flight.

    Examples
    --------
    >>> DocClient(DocConfig(), [("get", "o1"), ("query", "cu1")])
    DocClient(2 ops)
    >>> DocClient(DocConfig(), [("scan",)])
    Traceback (most recent call last):
    ...
    ValueError: workload operation 0: ('scan',); allowed: ('put', id, doc), ('update', id, \
fields), ('get', id), ('query', value), ('view_order', order id), ('rename', customer id, name)
    """

    def __init__(
        self,
        config: DocConfig,
        workload: Sequence[Any],
        think: float | tuple[float, float] = (0.0, 2.0),
        start: float = 0.0,
    ) -> None:
        if not isinstance(config, DocConfig):
            raise TypeError(f"DocClient: config={config!r} must be a DocConfig")
        self.config = config
        self.ring = config.partitioner()
        self.workload = tuple(_parse(i, op) for i, op in enumerate(workload))
        self.think = think
        self.start = float(start)

    def init(self, ctx: Context) -> DocClientState:
        first_operation(ctx, len(self.workload), self.start)
        return DocClientState()

    # -- rounds ----------------------------------------------------------------------------------
    def _round(
        self,
        ctx: Context,
        state: DocClientState,
        phase: str,
        msgs: Sequence[tuple[str, Any]],
        memo: tuple[Any, ...],
    ) -> DocClientState:
        state = replace(state, step=state.step + 1, phase=phase, got=(), memo=memo)
        tag = (ctx.id, state.request, state.step)
        sent = tuple((dst, replace(m, op=tag)) for dst, m in msgs)
        for dst, m in sent:
            ctx.send(dst, m)
        ctx.set_timer("retry", self.config.timeout)
        return replace(state, sent=sent)

    def _read(self, ids: Iterable[str]) -> list[tuple[str, Any]]:
        by_shard: dict[str, list[str]] = {}
        for i in sorted(set(ids)):
            by_shard.setdefault(self.ring.lookup(i), []).append(i)
        return [(s, Read(("", 0, 0), tuple(v))) for s, v in sorted(by_shard.items())]

    def _write(self, doc_id: str, fields: Doc, merge: bool) -> list[tuple[str, Any]]:
        return [(self.ring.lookup(doc_id), Write(("", 0, 0), doc_id, fields, merge))]

    def _query_start(self, value: Any) -> tuple[str, list[tuple[str, Any]]]:
        if self.config.index == "local":
            shards = list(self.config.shard_ids())
            if self.config.mutant == "query_forgets_a_shard" and len(shards) > 1:
                shards = shards[:-1]  # the bug: the last shard is never asked
            return "scan", [(s, Scan(("", 0, 0), value)) for s in shards]
        return "lookup", [(self.ring.lookup(term(value)), Lookup(("", 0, 0), value))]

    def _docs(self, state: DocClientState) -> dict[str, Doc]:
        return {i: d for reply in state.got for i, d in reply.docs}

    def _query_next(
        self, state: DocClientState, value: Any
    ) -> tuple[str, list[tuple[str, Any]]] | tuple[str, tuple[str, ...]]:
        """After a query round: ``("fetch", requests)`` or ``("done", ids)``."""
        if state.phase == "lookup":
            ids = sorted({i for reply in state.got for i in reply.ids})
            if ids:
                return "fetch", self._read(ids)
            return "done", ()
        # scan or fetch: keep the documents whose field has the value now
        name, t = self.config.field, term(value)
        docs = self._docs(state)
        return "done", tuple(
            sorted(i for i, d in docs.items() if _has(d, name) and term(_field(d, name)) == t)
        )

    def _start(self, ctx: Context, state: DocClientState, op: tuple[Any, ...]) -> DocClientState:
        kind = op[0]
        if kind in ("put", "update"):
            return self._round(ctx, state, "write", self._write(op[1], op[2], kind == "update"), ())
        if kind in ("get", "view_order"):
            return self._round(ctx, state, "read", self._read([op[1]]), ())
        if kind == "query":
            phase, msgs = self._query_start(op[1])
            return self._round(ctx, state, phase, msgs, ())
        # rename: the customer document first
        fields = freeze_doc({"name": op[2]})
        return self._round(ctx, state, "write", self._write(op[1], fields, True), ())

    def _advance(self, ctx: Context, state: DocClientState) -> DocClientState:
        op = self.workload[state.next_op]
        kind = op[0]
        if kind in ("put", "update"):
            return self._finish(ctx, state, state.got[0].version)
        if kind == "get":
            return self._finish(ctx, state, self._docs(state).get(op[1]))
        if kind == "query" or (kind == "rename" and state.phase in ("scan", "lookup", "fetch")):
            value = op[1]
            nxt, out = self._query_next(state, value)
            if nxt == "fetch":
                return self._round(ctx, state, "fetch", out, state.memo)  # type: ignore[arg-type]
            if kind == "query":
                return self._finish(ctx, state, out)
            ids = [str(i) for i in out if i != op[1]]  # the orders holding a copy of the name
            if self.config.mutant == "skips_a_copy" and ids:
                ids = ids[:-1]  # the bug: the last copy is never rewritten
            return self._copy(ctx, state, tuple(ids), 0)
        if kind == "view_order":
            if state.phase == "read":
                order = self._docs(state).get(op[1])
                if order is None:
                    return self._finish(ctx, state, (op[1], None))
                if self.config.model == "embedded":
                    return self._finish(ctx, state, (op[1], _field(order, "customer_name")))
                customer = _field(order, "customer")
                return self._round(ctx, state, "join", self._read([customer]), (customer,))
            customer = self._docs(state).get(state.memo[0])
            name = None if customer is None else _field(customer, "name")
            return self._finish(ctx, state, (op[1], name))
        # rename
        if state.phase == "write" and self.config.model == "normalised":
            return self._finish(ctx, state, 0)
        if state.phase == "write":
            phase, msgs = self._query_start(op[1])
            return self._round(ctx, state, phase, msgs, ())
        ids, done = state.memo
        return self._copy(ctx, state, ids, done + 1)

    def _copy(
        self, ctx: Context, state: DocClientState, ids: tuple[str, ...], done: int
    ) -> DocClientState:
        """Rewrite the next embedded copy of the customer's name (one document per round)."""
        if done >= len(ids):
            return self._finish(ctx, state, done)
        fields = freeze_doc({"customer_name": self.workload[state.next_op][2]})
        return self._round(ctx, state, "copy", self._write(ids[done], fields, True), (ids, done))

    def _finish(self, ctx: Context, state: DocClientState, result: Any) -> DocClientState:
        op = self.workload[state.next_op]
        ctx.record("ok", op[0], result, op[1])
        ctx.cancel_timer("retry")
        state = replace(state, phase="", sent=(), got=(), memo=())
        return next_operation(ctx, state, len(self.workload), self.think)

    # -- handlers --------------------------------------------------------------------------------
    def on_timer(self, ctx: Context, state: DocClientState, timer: Any) -> DocClientState:
        if timer == "next":
            op = self.workload[state.next_op]
            ctx.record("invoke", op[0], op[2] if len(op) > 2 else None, op[1])
            state = replace(state, request=state.request + 1, step=0, waiting=True)
            return self._start(ctx, state, op)
        if timer == "retry" and state.waiting and state.sent:
            for dst, m in state.sent:
                ctx.send(dst, m)
            ctx.set_timer("retry", self.config.timeout)
        return state

    def on_message(self, ctx: Context, state: DocClientState, src: str, msg: Any) -> DocClientState:
        tag = getattr(msg, "op", None)
        if not state.waiting or tag != (ctx.id, state.request, state.step):
            return state  # late or duplicated
        if not any(dst == src for dst, _ in state.sent):
            return state
        state = replace(
            state, sent=tuple(p for p in state.sent if p[0] != src), got=(*state.got, msg)
        )
        if state.sent:
            return state
        return self._advance(ctx, state)

    def __repr__(self) -> str:
        return f"DocClient({len(self.workload)} ops)"


# == building and running =======================================================================
def doc_system(
    config: DocConfig,
    workloads: Sequence[Sequence[Any]],
    think: float | tuple[float, float] = (0.0, 2.0),
    starts: Sequence[float] | None = None,
) -> System:
    """The shards ``s1..sN`` and one client ``c1, c2, ...`` per workload.

    Examples
    --------
    >>> doc_system(DocConfig(shards=2), [[("get", "o1")]])
    System(c1=DocClient(1 ops), s1=DocShard(local), s2=DocShard(local))
    """
    if not isinstance(config, DocConfig):
        raise TypeError(f"doc_system: config={config!r} must be a DocConfig")
    if isinstance(workloads, (str, bytes)) or not isinstance(workloads, Sequence):
        raise TypeError("doc_system: workloads must be a list of workloads (one per client)")
    if starts is not None and len(starts) != len(workloads):
        raise ValueError(f"doc_system: {len(starts)} starts for {len(workloads)} workloads")
    nodes: dict[str, Node[Any]] = {s: DocShard(config) for s in config.shard_ids()}
    for c, load in enumerate(workloads, start=1):
        start = 0.0 if starts is None else starts[c - 1]
        nodes[f"c{c}"] = DocClient(config, load, think=think, start=start)
    return System(nodes)


DEFAULT_LATENCY = lognormal(1.0, 0.5)
"""Message latency of every run here: lognormal, median 1, sigma 0.5 (a tail, as real networks)."""


def run_documents(
    config: DocConfig,
    workloads: Sequence[Sequence[Any]],
    seed: int = 0,
    loss: float = 0.0,
    until: float = 2000.0,
    nemesis: Nemesis | None = None,
    think: float | tuple[float, float] = (0.0, 2.0),
    starts: Sequence[float] | None = None,
    latency: Latency | None = None,
) -> Simulation:
    """Run the store with these client workloads until ``until`` (or nothing is left to do).

    Examples
    --------
    >>> sim = run_documents(DocConfig(), [[("put", "o1", {"customer": "cu1"}), ("get", "o1")]])
    >>> sim.history.operations()[-1].result
    (('customer', 'cu1'),)
    """
    sim = Simulation(
        doc_system(config, workloads, think=think, starts=starts),
        seed=seed,
        network=Network(latency=DEFAULT_LATENCY if latency is None else latency, loss=loss),
        nemesis=nemesis,
    )
    return sim.run(until=until)


def _config_of(sim: Simulation) -> DocConfig:
    for node in sim.system.nodes.values():
        if isinstance(node, DocShard):
            return node.config
    raise ValueError("this simulation has no DocShard: run it with run_documents or doc_system")


def op_costs(sim: Simulation) -> Any:
    """One row per completed operation: what it is, its latency and the messages it caused.

    ``messages`` counts every message sent on the operation's behalf (requests, replies,
    and, for a write to a global index, the index updates, their resends and their
    acknowledgements, even those sent after the client had its answer);
    ``index messages`` counts those last ones alone.

    Examples
    --------
    >>> sim = run_documents(DocConfig(index="global"), [[("put", "o1", {"customer": "cu1"})]])
    >>> print(op_costs(sim)[["f", "messages", "index messages"]].to_string(index=False))
      f  messages  index messages
    put         4               2
    """
    import pandas as pd

    counts: dict[tuple[str, int], list[int]] = {}
    for e in sim.trace:
        if e.kind != "send":
            continue
        tag = getattr(e.data, "op", None)
        if not (isinstance(tag, tuple) and len(tag) == 3):
            continue
        row = counts.setdefault((tag[0], tag[1]), [0, 0])
        row[0] += 1
        row[1] += isinstance(e.data, (IndexUpdate, IndexAck))
    rows = []
    numbers: dict[str, int] = {}
    for op in sim.history.operations():
        process = str(op.process)
        numbers[process] = numbers.get(process, 0) + 1
        if op.status != "ok":
            continue
        msgs, index = counts.get((process, numbers[process]), [0, 0])
        rows.append(
            {
                "client": process,
                "f": op.f,
                "key": op.key,
                "latency": op.complete_time - op.invoke_time,
                "messages": msgs,
                "index messages": index,
            }
        )
    return pd.DataFrame(
        rows, columns=["client", "f", "key", "latency", "messages", "index messages"]
    )


# == the workload ===============================================================================
def orders_workloads(
    clients: int = 4,
    ops: int = 20,
    customers: int = 8,
    orders: int = 40,
    query_share: float = 0.5,
    seed: int = 0,
) -> list[list[tuple[Any, ...]]]:
    """Client workloads of orders: each client owns some orders; it writes (an order placed or
    moved to another customer) or queries "the orders of customer ``cuK``".

    Each order id belongs to one client, so the checkers can tell what each document holds.

    Examples
    --------
    >>> orders_workloads(clients=1, ops=3, seed=2)[0]
    [('put', 'o5', {'customer': 'cu4', 'item': 'item5'}), ('query', 'cu7'), \
('put', 'o23', {'customer': 'cu7', 'item': 'item23'})]
    """
    for name, n in (
        ("clients", clients),
        ("ops", ops),
        ("customers", customers),
        ("orders", orders),
    ):
        if not (isinstance(n, int) and not isinstance(n, bool) and n >= 1):
            raise ValueError(f"orders_workloads: {name}={n!r} must be an int >= 1")
    if not (0.0 <= query_share <= 1.0):
        raise ValueError(f"orders_workloads: query_share={query_share!r} must be from 0 to 1")
    rng = random.Random(f"orders:{seed}")
    loads = []
    for c in range(clients):
        mine = [f"o{i}" for i in range(1, orders + 1) if (i - 1) % clients == c] or [f"o{c}"]
        load: list[tuple[Any, ...]] = []
        for _ in range(ops):
            customer = f"cu{rng.randint(1, customers)}"
            if rng.random() < query_share:
                load.append(("query", customer))
            else:
                order = rng.choice(mine)
                load.append(("put", order, {"customer": customer, "item": f"item{order[1:]}"}))
        loads.append(load)
    return loads


# == checks =====================================================================================
@dataclass(frozen=True)
class IndexCheck:
    """The verdict of ``index_consistent``: ``ok`` is True, False, or None (unknown: the run
    is not quiet yet, so "eventually" cannot be judged); ``detail`` says why.

    >>> IndexCheck(None, None, "unknown").ok is None
    True
    """

    ok: bool | None
    counterexample_length: int | None = None
    detail: str = ""


def index_entries(sim: Simulation) -> set[tuple[str, str]]:
    """The ``(term, id)`` pairs the index holds now (all shards that are up)."""
    config = _config_of(sim)
    out: set[tuple[str, str]] = set()
    for state in sim.states.values():
        if isinstance(state, ShardState):
            if config.index == "local":
                out.update(state.local)
            else:
                out.update((t, i) for i, _, t in state.postings if t is not None)
    return out


def expected_index(sim: Simulation) -> set[tuple[str, str]]:
    """The ``(term, id)`` pairs the index should hold: one per stored document with the field."""
    name = _config_of(sim).field
    return {
        (term(_field(d, name)), i)
        for state in sim.states.values()
        if isinstance(state, ShardState)
        for i, _, d in state.docs
        if _has(d, name)
    }


def index_consistent(sim: Simulation) -> IndexCheck:
    """Once the run is quiet: is every document indexed under its current value, and only there?

    The model: the index holds exactly ``{(term(doc[field]), id)}`` for the stored
    documents. With the asynchronous global index this holds only *eventually*, so the
    check first requires that no shard still owes an index update (else it answers
    ``Outcome(None, ...)``: unknown, run longer).

    Examples
    --------
    >>> sim = run_documents(DocConfig(mutant="local_index_keeps_old_value"),
    ...     [[("put", "o1", {"customer": "cu1"}), ("put", "o1", {"customer": "cu2"})]])
    >>> print(index_consistent(sim).detail)
    index of 'customer' holds o1 under 'cu1', which it no longer has
    """
    owed = sum(len(s.outbox) for s in sim.states.values() if isinstance(s, ShardState))
    down = sorted(i for i in sim.crashed if isinstance(sim.system[i], DocShard))
    if owed or down:
        plural = "s" if owed != 1 else ""
        why = f"{owed} index update{plural} still owed" if owed else f"shards {down} are down"
        return IndexCheck(None, None, f"unknown: {why}; run longer")
    name = _config_of(sim).field
    have, want = index_entries(sim), expected_index(sim)
    for t, i in sorted(want - have):
        return IndexCheck(False, len(sim.trace), f"index of {name!r} misses {i} under {t}")
    for t, i in sorted(have - want):
        return IndexCheck(
            False, len(sim.trace), f"index of {name!r} holds {i} under {t}, which it no longer has"
        )
    return IndexCheck(True, None, f"{len(want)} documents, each indexed under its value")


def _writes(sim: Simulation, field_name: str) -> dict[str, list[tuple[float, float, str | None]]]:
    """Per document, its writes that set the field: (invoked, completed or inf, term)."""
    out: dict[str, list[tuple[float, float, str | None]]] = {}
    for op in sim.history.operations():
        if op.f in ("put", "update") and op.status != "fail":
            doc = freeze_doc(op.value) if op.value is not None else ()
            if op.f == "update" and not _has(doc, field_name):
                continue
            t = term(_field(doc, field_name)) if _has(doc, field_name) else None
            end = op.complete_time if op.status == "ok" else math.inf
            out.setdefault(str(op.key), []).append((op.invoke_time, end, t))
    return out


def queries_complete(sim: Simulation) -> Outcome:
    """Does every query return the documents that surely have the value, and only ones that may?

    For a query of ``v`` over ``[start, end]``: a document *surely* has ``v`` if a write
    ``w`` that set ``v`` completed before ``start`` and every other write to it either
    completed before ``w`` was invoked or was invoked after ``end``; it *may* have ``v``
    if some write that set ``v`` was invoked before ``end``.
    A query that misses a sure document, or returns one that cannot have ``v``, fails.
    (Reads of the asynchronous global index fail this by design: ``index_lag`` measures it.)

    Examples
    --------
    >>> loads = [[("put", "o10", {"customer": "cu1"}), ("query", "cu1")],  # o10 is on s4
    ...          [("put", "o2", {"customer": "cu1"}), ("query", "cu1")]]
    >>> sim = run_documents(DocConfig(mutant="query_forgets_a_shard"), loads)
    >>> print(queries_complete(sim).detail)
    query 'cu1' by c1 at 1.4 missed o10
    """
    name = _config_of(sim).field
    writes = _writes(sim, name)
    checked = 0
    for op in sim.history.operations():
        if op.f != "query" or op.status != "ok":
            continue
        checked += 1
        t, start, end = term(op.key), op.invoke_time, op.complete_time
        got = set(op.result)
        for doc_id, ws in sorted(writes.items()):
            sure = any(
                w_end < start
                and wt == t
                and all(o is w or o[1] < w_start or o[0] > end for o in ws)
                for w in ws
                for w_start, w_end, wt in [w]
            )
            may = any(ws_start < end and wt == t for ws_start, _, wt in ws)
            if sure and doc_id not in got:
                return Outcome(
                    False,
                    op.index + 1,
                    f"query {op.key!r} by {op.process} at {start:.1f} missed {doc_id}",
                )
            if doc_id in got and not may:
                return Outcome(
                    False,
                    op.index + 1,
                    f"query {op.key!r} by {op.process} returned {doc_id}, never {op.key!r}",
                )
        unknown = got - set(writes)
        if unknown:
            return Outcome(
                False, op.index + 1, f"query {op.key!r} returned unknown ids {sorted(unknown)}"
            )
    return Outcome(True, None, f"{checked} queries: each complete and sound")


def copies_agree(sim: Simulation) -> Outcome:
    """Denormalised data: does every order's ``customer_name`` equal its customer's ``name``?

    Examples
    --------
    >>> loads = [[("put", "cu1", {"name": "Ann"}),
    ...           ("put", "o1", {"customer": "cu1", "customer_name": "Ann"}),
    ...           ("put", "o2", {"customer": "cu1", "customer_name": "Ann"}),
    ...           ("rename", "cu1", "Anna")]]
    >>> copies_agree(run_documents(DocConfig(model="embedded"), loads)).ok
    True
    >>> bad = DocConfig(model="embedded", mutant="skips_a_copy")
    >>> print(copies_agree(run_documents(bad, loads)).detail)
    o2 has customer_name 'Ann' but cu1 is named 'Anna'
    """
    docs = {i: d for s in sim.states.values() if isinstance(s, ShardState) for i, _, d in s.docs}
    return stale_copy_in(docs, len(sim.trace))


def stale_copy_in(docs: Mapping[str, Doc], length: int | None = None) -> Outcome:
    """``copies_agree`` on a plain ``{id: document}``: the first stale copy, if any.

    Parameters
    ----------
    docs : mapping of id to frozen document
    length : int, optional
        The counterexample length to report when a copy is stale.

    Examples
    --------
    >>> docs = {"cu1": freeze_doc({"name": "Anna"}),
    ...         "o1": freeze_doc({"customer": "cu1", "customer_name": "Ann"})}
    >>> stale_copy_in(docs).detail
    "o1 has customer_name 'Ann' but cu1 is named 'Anna'"
    """
    copies = 0
    for i, d in sorted(docs.items()):
        if not _has(d, "customer_name"):
            continue
        copies += 1
        customer = docs.get(_field(d, "customer"))
        name = None if customer is None else _field(customer, "name")
        if _field(d, "customer_name") != name:
            return Outcome(
                False,
                length,
                f"{i} has customer_name {_field(d, 'customer_name')!r} but "
                f"{_field(d, 'customer')} is named {name!r}",
            )
    return Outcome(True, None, f"{copies} embedded copies, all current")


# == experiments ================================================================================
def _summary(frame: Any, design: str, shards: int) -> list[dict[str, Any]]:
    rows = []
    for kind, fs in (("query", ("query",)), ("write", ("put", "update"))):
        part = frame[frame["f"].isin(fs)]
        if part.empty:
            continue
        lat = list(part["latency"])
        rows.append(
            {
                "design": design,
                "shards": shards,
                "operation": kind,
                "ops": len(part),
                "messages": round(float(part["messages"].mean()), 2),
                "p50 latency": round(percentile(lat, 50), 2),
                "p99 latency": round(percentile(lat, 99), 2),
            }
        )
    return rows


DESIGNS: dict[str, dict[str, Any]] = {
    "local": {"index": "local"},
    "global (async)": {"index": "global"},
    "global (sync)": {"index": "global", "sync": True},
}
"""The three index designs of the tables, by name: ``DocConfig`` options."""


def index_cost_table(
    shards: Sequence[int] = (2, 4, 8, 16),
    seeds: Iterable[int] = range(3),
    clients: int = 4,
    ops: int = 20,
    designs: Sequence[str] = ("local", "global (async)", "global (sync)"),
) -> Any:
    """Messages and latency (p50, p99) per query and per write, per index design and shard count.

    Each cell pools the operations of ``orders_workloads(clients, ops)`` over the seeds
    (the same workload and network for every design).

    Examples
    --------
    >>> t = index_cost_table(shards=(2, 8), seeds=[0], ops=10, designs=("local",))
    >>> t[t["operation"] == "query"][["shards", "messages"]].to_string(index=False)
    ' shards  messages\\n      2       4.0\\n      8      16.0'
    """
    import pandas as pd

    seeds = list(seeds)
    rows = []
    for design in designs:
        if design not in DESIGNS:
            raise ValueError(f"index_cost_table: design {design!r}; allowed: {list(DESIGNS)}")
        for n in shards:
            frames = []
            for seed in seeds:
                config = DocConfig(shards=n, **DESIGNS[design])
                sim = run_documents(config, orders_workloads(clients, ops, seed=seed), seed=seed)
                frames.append(op_costs(sim))
            rows.extend(_summary(pd.concat(frames), design, n))
    return pd.DataFrame(rows)


def index_cost_figure(table: Any) -> Any:
    """Messages and p99 latency against the number of shards, per design and operation.

    Parameters
    ----------
    table : pandas.DataFrame
        What ``index_cost_table`` returned.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: messages per operation (log scale) and p99 latency, each design a
        colour, queries solid and writes dashed.

    Examples
    --------
    >>> t = index_cost_table(shards=(2, 4), seeds=[0], ops=4, designs=("local",))
    >>> [ax.get_title() for ax in index_cost_figure(t).axes]
    ['messages per operation', 'p99 latency (message delays)']
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import ScalarFormatter

    needed = {"design", "shards", "operation", "messages", "p99 latency"}
    if not needed <= set(getattr(table, "columns", ())):
        raise ValueError(f"index_cost_figure: needs a table with columns {sorted(needed)}")
    fig = Figure(figsize=(9, 3.4), dpi=80)
    left, right = fig.subplots(1, 2)
    colours = {"local": "tab:blue", "global (async)": "tab:orange", "global (sync)": "tab:green"}
    for (design, operation), part in table.groupby(["design", "operation"], sort=True):
        part = part.sort_values("shards")
        style = {
            "color": colours.get(design, "tab:gray"),
            "linestyle": "-" if operation == "query" else "--",
            "marker": "o" if operation == "query" else "s",
            "label": f"{design}, {operation}",
        }
        left.plot(part["shards"], part["messages"], **style)
        right.plot(part["shards"], part["p99 latency"], **style)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(set(table["shards"])), [str(n) for n in sorted(set(table["shards"]))])
        ax.set_xlabel("shards")
        ax.grid(alpha=0.3)
    left.set_yscale("log", base=2)
    left.yaxis.set_major_formatter(ScalarFormatter())
    left.set_title("messages per operation")
    right.set_title("p99 latency (message delays)")
    right.set_ylim(bottom=0)
    right.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def index_lag(
    config: DocConfig, seeds: Iterable[int] = range(10), writes: int = 10
) -> dict[str, Any]:
    """How often a query issued right after a write misses the document just written.

    One client per seed writes ``writes`` orders, each to a new customer, and after
    each write's acknowledgement immediately queries that customer.

    Returns
    -------
    dict
        ``queries``, ``missed`` and ``rate`` (missed / queries).

    Examples
    --------
    >>> index_lag(DocConfig(index="local"), seeds=range(2), writes=5)
    {'queries': 10, 'missed': 0, 'rate': 0.0}
    """
    queries = missed = 0
    for seed in seeds:
        load: list[tuple[Any, ...]] = []
        for k in range(1, writes + 1):
            load += [("put", f"o{k}", {"customer": f"cu{k}"}), ("query", f"cu{k}")]
        sim = run_documents(config, [load], seed=seed, think=0.0)
        for op in sim.history.operations():
            if op.f == "query" and op.status == "ok":
                queries += 1
                missed += f"o{str(op.key)[2:]}" not in op.result
    return {
        "queries": queries,
        "missed": missed,
        "rate": round(missed / queries, 3) if queries else 0.0,
    }


def stale_copies(
    seeds: Iterable[int] = range(20), orders: int = 6, shards: int = 4, mutant: str | None = None
) -> Any:
    """A rename of a customer with ``orders`` embedded copies, the client crashing mid-way.

    Per seed: the client writes the customer and its orders, then renames it; the crash
    comes at a random moment of the rename. Returns one row per seed: copies rewritten,
    copies left stale (``copies_agree`` then fails), and the same rename in the
    normalised model, which has no copy to leave behind.

    Examples
    --------
    >>> t = stale_copies(seeds=range(3))
    >>> print(t[["seed", "stale (embedded)", "stale (normalised)"]].to_string(index=False))
     seed  stale (embedded)  stale (normalised)
        0                 2                   0
        1                 2                   0
        2                 2                   0
    """
    import pandas as pd

    rows = []
    for seed in seeds:
        row: dict[str, Any] = {"seed": seed}
        for model in ("embedded", "normalised"):
            config = DocConfig(shards=shards, model=model, mutant=mutant)
            load: list[tuple[Any, ...]] = [("put", "cu1", {"name": "Ann"})]
            for k in range(1, orders + 1):
                doc = {"customer": "cu1", "item": f"item{k}"}
                if model == "embedded":
                    doc["customer_name"] = "Ann"
                load.append(("put", f"o{k}", doc))
            setup = run_documents(config, [load], seed=seed, think=0.0)
            t0 = max(op.complete_time for op in setup.history.operations())
            # the rename takes roughly 2 + 2 * orders message delays; crash somewhere inside it
            crash_at = t0 + 1.0 + random.Random(f"crash:{seed}").uniform(0.0, 2.0 * orders + 2.0)
            sim = run_documents(
                config,
                [[*load, ("rename", "cu1", "Anna")]],
                seed=seed,
                think=0.0,
                nemesis=Nemesis([(crash_at, Crash("c1"))]),
            )
            docs = {
                i: d for s in sim.states.values() if isinstance(s, ShardState) for i, _, d in s.docs
            }
            stale = sum(
                1
                for i, d in docs.items()
                if i.startswith("o")
                and _has(d, "customer_name")
                and _field(d, "customer_name") != "Anna"
            )
            renamed = _field(docs["cu1"], "name") == "Anna"
            row[f"renamed ({model})"] = renamed
            row[f"stale ({model})"] = stale if renamed else 0
        rows.append(row)
    return pd.DataFrame(rows)


def dynamo_comparison(seeds: Iterable[int] = range(3), orders: int = 6, nodes: int = 4) -> Any:
    """The orders workload on the three data models: messages and latency of each operation.

    The document store, normalised and embedded (local index), and chapter 12's
    Dynamo-style key-value store (``dslib.replication.dynamo``, N=3, R=W=2, one key per
    document, values stored as frozen documents). Operations: show an order with its
    customer's name; rename the customer; list the orders of a customer. The key-value
    store has no secondary index: listing is "not possible" without reading every key
    (or keeping a hand-made list under a key of its own).

    Examples
    --------
    >>> t = dynamo_comparison(seeds=[0])
    >>> print(t[["model", "operation", "round trips"]].head(2).to_string(index=False))
                          model       operation round trips
    document, normalised (join)      view order           2
    document, normalised (join) rename customer           1
    """
    import pandas as pd

    from dslib.replication.dynamo import dynamo_system

    seeds = list(seeds)
    rows: list[dict[str, Any]] = []

    def add(model: str, operation: str, trips: Any, frames: list[Any], f: str, note: str) -> None:
        part = pd.concat(frames)
        part = part[part["f"] == f]
        lat = list(part["latency"])
        rows.append(
            {
                "model": model,
                "operation": operation,
                "round trips": trips,
                "messages": round(float(part["messages"].mean()), 1),
                "p50 latency": round(percentile(lat, 50), 2),
                "p99 latency": round(percentile(lat, 99), 2),
                "consistency": note,
            }
        )

    for model in ("normalised", "embedded"):
        config = DocConfig(shards=nodes, model=model)
        frames = []
        for seed in seeds:
            load: list[tuple[Any, ...]] = [("put", "cu1", {"name": "Ann"})]
            for k in range(1, orders + 1):
                doc = {"customer": "cu1", "item": f"item{k}"}
                if model == "embedded":
                    doc["customer_name"] = "Ann"
                load.append(("put", f"o{k}", doc))
            load += [("view_order", f"o{k}") for k in range(1, orders + 1)]
            load += [("rename", "cu1", "Anna"), ("query", "cu1")]
            frames.append(op_costs(run_documents(config, [load], seed=seed)))
        label = "document, normalised (join)" if model == "normalised" else "document, embedded"
        one_doc = "one document's writes are atomic; nothing across documents"
        add(label, "view order", 2 if model == "normalised" else 1, frames, "view_order", one_doc)
        trips = 1 if model == "normalised" else f"2 + {orders}"
        note = one_doc if model == "normalised" else "copies stale until all are rewritten"
        add(label, "rename customer", trips, frames, "rename", note)
        add(label, "orders of a customer", 1, frames, "query", "index read at the shards")
    # the key-value store: one get per key; the application joins
    frames = []
    for seed in seeds:
        load2: list[tuple[str, Any, Any]] = [("put", "cu1", freeze_doc({"name": "Ann"}))]
        for k in range(1, orders + 1):
            load2.append(("put", f"o{k}", freeze_doc({"customer": "cu1", "item": f"item{k}"})))
        for k in range(1, orders + 1):
            load2 += [("get", f"o{k}", None), ("get", "cu1", None)]
        load2.append(("put", "cu1", freeze_doc({"name": "Anna"})))
        sim = Simulation(
            dynamo_system(nodes=nodes, clients=1, workloads=[load2], anti_entropy=None),
            seed=seed,
            network=Network(latency=DEFAULT_LATENCY),
        ).run(until=2000.0)
        frames.append(_dynamo_costs(sim))
    kv = "key-value (chapter 12, N=3 R=W=2)"
    part = pd.concat(frames)
    gets = part[part["f"] == "get"]
    lat = [a + b for a, b in zip(gets["latency"][0::2], gets["latency"][1::2], strict=True)]
    rows.append(
        {
            "model": kv,
            "operation": "view order",
            "round trips": 2,
            "messages": round(float(gets["messages"].mean()) * 2, 1),
            "p50 latency": round(percentile(lat, 50), 2),
            "p99 latency": round(percentile(lat, 99), 2),
            "consistency": "eventual; concurrent writes kept as siblings",
        }
    )
    add(kv, "rename customer", 1, [part[part.index == part.index.max()]], "put", "eventual")
    rows.append(
        {
            "model": kv,
            "operation": "orders of a customer",
            "round trips": "not possible",
            "messages": math.nan,
            "p50 latency": math.nan,
            "p99 latency": math.nan,
            "consistency": "no secondary index: read every key, or keep a list key by hand",
        }
    )
    return pd.DataFrame(rows)


def _dynamo_costs(sim: Simulation) -> Any:
    """Per operation of the one client: latency, and the messages sent while it was in flight."""
    import pandas as pd

    ops = [op for op in sim.history.operations() if op.status == "ok"]
    sends = [e.time for e in sim.trace if e.kind == "send"]
    rows = []
    for i, op in enumerate(ops):
        end = ops[i + 1].invoke_time if i + 1 < len(ops) else math.inf
        n = sum(1 for t in sends if op.invoke_time <= t < end)  # read repair included
        rows.append({"f": op.f, "latency": op.complete_time - op.invoke_time, "messages": n})
    return pd.DataFrame(rows)


# == checks, mutants ============================================================================
def _check_loads(seed: int, query_share: float = 0.5) -> list[list[tuple[Any, ...]]]:
    """The workload of the checks: three clients, 12 operations each, 16 orders, 4 customers."""
    return orders_workloads(
        clients=3, ops=12, customers=4, orders=16, query_share=query_share, seed=seed
    )


REORDERING = lognormal(1.0, 1.0)
"""The latency of the churn runs: a heavy tail (sigma 1), so index updates often overtake."""


def churn_workloads(seed: int, clients: int = 3, docs: int = 10) -> list[list[tuple[Any, ...]]]:
    """Each client writes ``docs`` orders, each twice in a row (to two different customers).

    The second write's index updates leave about one message delay after the first's:
    on a network with a tail, the later often overtakes the earlier at an index shard,
    which is what the version check must survive.

    >>> churn_workloads(0, clients=1, docs=1)
    [[('put', 'o1', {'customer': 'cu2'}), ('put', 'o1', {'customer': 'cu5'})]]
    """
    rng = random.Random(f"churn:{seed}")
    loads = []
    for c in range(clients):
        load: list[tuple[Any, ...]] = []
        for k in range(docs):
            first, second = rng.sample(range(1, 7), 2)
            order = f"o{c * docs + k + 1}"
            load += [
                ("put", order, {"customer": f"cu{first}"}),
                ("put", order, {"customer": f"cu{second}"}),
            ]
        loads.append(load)
    return loads


def _consistency_runs(mutant: str | None, seeds: int) -> Iterable[tuple[str, Simulation]]:
    for seed in range(seeds):
        m = mutant if _applies(mutant, "global") else None
        sim = run_documents(
            DocConfig(shards=4, index="global", mutant=m),
            churn_workloads(seed),
            seed=seed,
            loss=0.1,
            think=0.0,
            latency=REORDERING,
        )
        yield f"global churn, seed {seed}", sim
    for index in ("local", "global"):
        config = (
            DocConfig(shards=4, index=index, mutant=mutant) if _applies(mutant, index) else None
        )
        if config is None:
            config = DocConfig(shards=4, index=index)
        for seed in range(seeds):
            loads = _check_loads(seed, 0.3)
            yield f"{index}, seed {seed}", run_documents(config, loads, seed=seed, loss=0.1)


def _applies(mutant: str | None, index: str) -> bool:
    if mutant is None:
        return True
    if mutant in ("drops_index_update_on_retry", "index_ignores_versions"):
        return index == "global"
    if mutant in ("local_index_keeps_old_value", "query_forgets_a_shard"):
        return index == "local"
    return False


def check_index_converges(mutant: str | None, seeds: int = 6) -> Outcome:
    """Check "index converges": both designs, 10 % message loss, seeds ``0..seeds-1``."""
    for name, sim in _consistency_runs(mutant, seeds):
        out = index_consistent(sim)
        if out.ok is not True:
            return Outcome(False, out.counterexample_length, f"{name}: {out.detail}")
    return Outcome(True, None, f"{3 * seeds} runs with 10% loss: the index converged in each")


def check_queries_complete(mutant: str | None, seeds: int = 6) -> Outcome:
    """Check "queries complete": the local and the synchronous global index, no loss."""
    for index, sync in (("local", False), ("global", True)):
        m = mutant if _applies(mutant, index) else None
        config = DocConfig(shards=4, index=index, sync=sync, mutant=m)
        for seed in range(seeds):
            loads = _check_loads(seed)
            out = queries_complete(run_documents(config, loads, seed=seed))
            if not out.ok:
                return Outcome(
                    False, out.counterexample_length, f"{index}, seed {seed}: {out.detail}"
                )
    return Outcome(True, None, f"{2 * seeds} runs: every query complete and sound")


def check_copies_agree(mutant: str | None, seeds: int = 3) -> Outcome:
    """Check "copies agree": embedded renames run to completion (no crash), seeds ``0..seeds-1``."""
    m = mutant if mutant == "skips_a_copy" else None
    config = DocConfig(shards=4, model="embedded", mutant=m)
    for seed in range(seeds):
        load: list[tuple[Any, ...]] = [("put", "cu1", {"name": "Ann"})]
        load += [("put", f"o{k}", {"customer": "cu1", "customer_name": "Ann"}) for k in range(1, 5)]
        load += [("rename", "cu1", "Anna")]
        out = copies_agree(run_documents(config, [load], seed=seed))
        if not out.ok:
            return Outcome(False, out.counterexample_length, f"seed {seed}: {out.detail}")
    return Outcome(True, None, f"{seeds} renames: every copy rewritten")


CHECKS: dict[str, Callable[..., Outcome]] = {
    "index converges": check_index_converges,
    "queries complete": check_queries_complete,
    "copies agree": check_copies_agree,
}
"""The named checks of the mutant table; each takes a mutant name (None: the correct store)."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "drops_index_update_on_retry": ("index converges",),
    "index_ignores_versions": ("index converges",),
    "local_index_keeps_old_value": ("index converges",),
    "query_forgets_a_shard": ("queries complete",),
    "skips_a_copy": ("copies agree",),
}
"""The checks that must catch each mutant."""


def mutant_report(seeds: int = 6) -> MutantReport:
    """The mutant table: every check on the correct store and on each mutant.

    Examples
    --------
    >>> mutant_report(seeds=2).problems()
    []
    """

    def build(name: str | None) -> Callable[[], str | None]:
        return lambda: name

    mutants = [
        Mutant(name, MUTANTS[name], build(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    checks = {name: (lambda m, c=check: c(m, seeds=seeds)) for name, check in CHECKS.items()}
    return run_mutants(build(None), mutants, checks)


def catch_rate(mutant: str | None, check: str, seeds: Iterable[int]) -> tuple[int, int]:
    """``(caught, runs)``: on how many single seeds the named check catches the mutant.

    Examples
    --------
    >>> catch_rate("query_forgets_a_shard", "queries complete", range(3))
    (3, 3)
    """
    if check not in CHECKS:
        raise ValueError(f"catch_rate: check {check!r}; allowed: {list(CHECKS)}")
    check_mutant("catch_rate", mutant, MUTANTS)
    caught = runs = 0
    for seed in seeds:
        runs += 1
        caught += not _one_seed(mutant, check, seed)
    return caught, runs


def _one_seed(mutant: str | None, check: str, seed: int) -> bool:
    if check == "copies agree":
        m = mutant if mutant == "skips_a_copy" else None
        config = DocConfig(shards=4, model="embedded", mutant=m)
        load: list[tuple[Any, ...]] = [("put", "cu1", {"name": "Ann"})]
        load += [("put", f"o{k}", {"customer": "cu1", "customer_name": "Ann"}) for k in range(1, 5)]
        load += [("rename", "cu1", "Anna")]
        return bool(copies_agree(run_documents(config, [load], seed=seed)).ok)
    ok = True
    for index in ("local", "global"):
        m = mutant if _applies(mutant, index) else None
        if check == "index converges":
            if index == "global":
                churn = run_documents(
                    DocConfig(shards=4, index="global", mutant=m),
                    churn_workloads(seed),
                    seed=seed,
                    loss=0.1,
                    think=0.0,
                    latency=REORDERING,
                )
                ok = ok and index_consistent(churn).ok is True
            loads = _check_loads(seed, 0.3)
            sim = run_documents(
                DocConfig(shards=4, index=index, mutant=m), loads, seed=seed, loss=0.1
            )
            ok = ok and index_consistent(sim).ok is True
        else:
            config = DocConfig(shards=4, index=index, sync=index == "global", mutant=m)
            loads = _check_loads(seed)
            ok = ok and bool(queries_complete(run_documents(config, loads, seed=seed)).ok)
    return ok
