"""The replicated partition as a specification, explored exhaustively by the model checker.

``dslib.queues.log`` runs the brokers as nodes in the simulator: a run tries one
interleaving of timers, messages and faults, and a sweep tries thousands. This module
states the same protocol at the level of a TLA+ specification (one partition, its
replicas' logs, the leader, the epoch, the ISR and the high watermark as one value; each
rule an action) so that ``dslib.check.check`` can try *every* interleaving of a small
configuration and return the *shortest* one that loses data, for each unsafe setting.
Time is abstracted away: a follower may fall out of the ISR at any moment (``Shrink``),
and a crash is noticed by the controller at any later moment (``Elect``).

Actions, after the rules of ``dslib.queues.log``:

- ``Produce m`` / ``Retry m``: the producer sends its next record (or resends an
  unacknowledged one) to the leader; with ``acks="all"`` refused while the ISR is smaller
  than ``min_insync``; an idempotent leader does not append a record it has;
- ``Fetch b``: follower ``b`` truncates to the longest prefix it shares with the leader
  (what truncation by leader epoch achieves) and copies one record; the leader moves the
  high watermark to the shortest log in the ISR and answers ``acks="all"``;
- ``Shrink b`` / ``Expand b``: ``b`` leaves the ISR, or joins it once caught up to the
  high watermark;
- ``Crash b``, ``Restart b`` (logs are durable), and ``Elect``: the controller replaces a
  crashed leader with a live ISR member (or any live replica if ``unclean``).

The properties: ``no_lost_acknowledged`` (the leader holds every acknowledged record),
``no_duplicates`` and ``read_committed`` (a record once below the high watermark stays at
its offset).

Examples
--------
>>> from dslib.check import check
>>> safe = LogConfig(brokers=2, replication_factor=2, min_insync=2)
>>> print(check(LogSpec(safe), invariants=SPEC_PROPERTIES).summary())
ok: every reachable state explored (bfs; 1,381 distinct states, 2,532 generated; depth 19)
>>> result = check(LogSpec(replace(safe, acks=1)), invariants=SPEC_PROPERTIES)
>>> result.property, len(result.counterexample)
('no lost acknowledged', 3)
>>> print(result.counterexample.actions)
['Produce m1', 'Crash b1', 'Elect b2']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from itertools import product
from typing import Any

from dslib.check import Model, check
from dslib.queues.log import ACKS, LogConfig

__all__ = [
    "SPEC_PROPERTIES",
    "LogSpec",
    "SpecState",
    "no_duplicates",
    "no_lost_acknowledged",
    "read_committed",
    "spec_table",
]


@dataclass(frozen=True)
class SpecState:
    """One state of the partition.

    Attributes
    ----------
    logs : tuple of tuple of (int, str)
        Each broker's log: ``(epoch, record)`` entries.
    alive : tuple of bool
    leader : int or None
        The index of the leader broker (``None``: offline).
    epoch : int
    isr : tuple of int
    high_watermark : int
        The leader's.
    follower_end : tuple of int
        The log end the leader has seen for each broker.
    next_record : int
        How many records the producer has sent.
    retries : int
        How many times the producer has resent a record (at most ``max_retries``).
    waiting : tuple of str
        Records the leader owes an ``acks="all"`` answer.
    acked : tuple of str
        Records the producer was told are written.
    exposed : frozenset of (int, str)
        Every ``(offset, record)`` ever below the high watermark (a consumer may have read it).
    crashes : int
    """

    logs: tuple[tuple[tuple[int, str], ...], ...]
    alive: tuple[bool, ...]
    leader: int | None
    epoch: int
    isr: tuple[int, ...]
    high_watermark: int
    follower_end: tuple[int, ...]
    next_record: int = 0
    retries: int = 0
    waiting: tuple[str, ...] = ()
    acked: tuple[str, ...] = ()
    exposed: frozenset[tuple[int, str]] = frozenset()
    crashes: int = 0

    def leader_log(self) -> tuple[tuple[int, str], ...] | None:
        """The live leader's log, or ``None`` when no live broker leads."""
        if self.leader is None or not self.alive[self.leader]:
            return None
        return self.logs[self.leader]


def _set(values: tuple[Any, ...], i: int, value: Any) -> tuple[Any, ...]:
    return (*values[:i], value, *values[i + 1 :])


class LogSpec(Model[SpecState]):
    """One partition on ``config.brokers`` replicas, ``records`` records, as a ``Model``.

    Parameters
    ----------
    config : LogConfig
        Reads ``brokers`` (= replicas), ``acks``, ``min_insync``, ``unclean``,
        ``idempotent`` and ``mutant``.
    records : int, default 2
    max_crashes : int, default 2
        Crashes in an execution, in all (a crashed broker may restart).
    max_retries : int, default 1
        Resends in an execution, in all (a non-idempotent resend grows the log, so the
        bound keeps the state space finite).

    Raises
    ------
    ValueError
        If ``replication_factor`` differs from ``brokers`` (every broker holds the partition).

    Examples
    --------
    >>> spec = LogSpec(LogConfig(brokers=2, replication_factor=2))
    >>> [label for label, _ in spec.actions(spec.init_states()[0])]
    ['Produce m1', 'Shrink b2', 'Crash b1', 'Crash b2']
    """

    def __init__(
        self, config: LogConfig, records: int = 2, max_crashes: int = 2, max_retries: int = 1
    ) -> None:
        if not isinstance(config, LogConfig):
            raise TypeError(f"LogSpec: config={config!r} must be a LogConfig")
        if config.replication_factor != config.brokers:
            raise ValueError(
                f"LogSpec: replication_factor={config.replication_factor} must equal "
                f"brokers={config.brokers}: the specification has one partition on every broker"
            )
        bounds = (("records", records), ("max_crashes", max_crashes), ("max_retries", max_retries))
        for name, v in bounds:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"LogSpec: {name}={v!r} must be an int >= 0")
        self.config = config
        self.records = tuple(f"m{i + 1}" for i in range(records))
        self.max_crashes = max_crashes
        self.max_retries = max_retries
        flags = f"acks={config.acks}, min_insync={config.min_insync}"
        flags += ", unclean" if config.unclean else ""
        flags += ", idempotent" if config.idempotent else ""
        flags += f", mutant={config.mutant}" if config.mutant else ""
        super().__init__(name=f"LogSpec({config.brokers} brokers, {records} records; {flags})")

    def init_states(self) -> list[SpecState]:
        """Broker ``b1`` leads epoch 0; every replica in sync, every log empty."""
        n = self.config.brokers
        return [
            SpecState(
                logs=tuple(() for _ in range(n)),
                alive=tuple(True for _ in range(n)),
                leader=0,
                epoch=0,
                isr=tuple(range(n)),
                high_watermark=0,
                follower_end=tuple(0 for _ in range(n)),
            )
        ]

    def _advance(self, s: SpecState) -> SpecState:
        """Move the high watermark and answer the ``acks="all"`` records below it."""
        lead = s.leader
        assert lead is not None
        log = s.logs[lead]
        ends = [len(log) if b == lead else s.follower_end[b] for b in s.isr]
        hw = max(s.high_watermark, min(ends))
        if self.config.mutant == "hw_past_isr":
            hw = len(log)
        below = [m for _, m in log[:hw]]
        done = tuple(m for m in s.waiting if m in below)
        acked = (
            tuple(sorted({*s.acked, *done})) if len(s.isr) >= self.config.min_insync else s.acked
        )
        exposed = s.exposed | {(o, m) for o, (_, m) in enumerate(log[:hw])}
        waiting = tuple(m for m in s.waiting if m not in done)
        return replace(s, high_watermark=hw, acked=acked, waiting=waiting, exposed=exposed)

    def _produce(self, s: SpecState, record: str, retry: bool) -> SpecState | None:
        c = self.config
        lead = s.leader
        if lead is None or not s.alive[lead]:
            return None
        if c.acks == "all" and len(s.isr) < c.min_insync:
            return None  # not_enough_replicas
        log = s.logs[lead]
        dedup = c.idempotent and not (retry and c.mutant == "retry_without_idempotence")
        if not (dedup and any(m == record for _, m in log)):
            log = (*log, (s.epoch, record))
        s = replace(s, logs=_set(s.logs, lead, log))
        if c.acks == "all" and c.mutant != "ack_before_isr":
            s = replace(s, waiting=tuple(sorted({*s.waiting, record})))
        else:
            s = replace(s, acked=tuple(sorted({*s.acked, record})))
        return self._advance(s)

    def actions(self, s: SpecState) -> Iterator[tuple[Hashable, SpecState]]:
        """Every enabled action, labelled."""
        c, n = self.config, self.config.brokers
        name = [f"b{i + 1}" for i in range(n)]
        lead = s.leader
        leading = lead is not None and s.alive[lead]
        if c.acks != 0 and leading:
            if s.next_record < len(self.records):
                record = self.records[s.next_record]
                nxt = self._produce(s, record, retry=False)
                if nxt is not None:
                    yield f"Produce {record}", replace(nxt, next_record=s.next_record + 1)
            for record in self.records[: s.next_record]:
                if record not in s.acked and s.retries < self.max_retries:
                    nxt = self._produce(s, record, retry=True)
                    if nxt is not None:
                        yield f"Retry {record}", replace(nxt, retries=s.retries + 1)
        if leading:
            assert lead is not None
            log = s.logs[lead]
            for b in range(n):
                if b == lead or not s.alive[b]:
                    continue
                own = s.logs[b]
                keep = 0
                while keep < min(len(own), len(log)) and own[keep] == log[keep]:
                    keep += 1
                new = own[:keep] + log[keep : keep + 1]
                if new != own or s.follower_end[b] != len(new):
                    t = replace(
                        s,
                        logs=_set(s.logs, b, new),
                        follower_end=_set(s.follower_end, b, len(new)),
                    )
                    yield f"Fetch {name[b]}", self._advance(t)
                if b in s.isr:
                    yield (
                        f"Shrink {name[b]}",
                        self._advance(replace(s, isr=tuple(x for x in s.isr if x != b))),
                    )
                elif (
                    s.follower_end[b] >= s.high_watermark
                    and s.follower_end[b] == len(own)
                    and own == log[: len(own)]
                ):
                    yield f"Expand {name[b]}", replace(s, isr=tuple(sorted({*s.isr, b})))
        for b in range(n):
            if s.alive[b] and s.crashes < self.max_crashes:
                yield (
                    f"Crash {name[b]}",
                    replace(s, alive=_set(s.alive, b, False), crashes=s.crashes + 1),
                )
            if not s.alive[b]:
                yield f"Restart {name[b]}", replace(s, alive=_set(s.alive, b, True))
        if lead is None or not s.alive[lead]:
            live = [b for b in range(n) if s.alive[b]]
            clean = [b for b in live if b in s.isr]
            unclean_ok = c.unclean or c.mutant == "unclean_election"
            choice = clean[:1] or (live[:1] if unclean_ok else [])
            if choice:
                b = choice[0]
                isr = tuple(sorted({*clean, b})) if clean else (b,)
                yield (
                    f"Elect {name[b]}",
                    replace(
                        s,
                        leader=b,
                        epoch=s.epoch + 1,
                        isr=isr,
                        high_watermark=0,
                        follower_end=tuple(0 for _ in range(n)),
                        waiting=(),
                    ),
                )


def no_lost_acknowledged(s: SpecState) -> bool:
    """The live leader holds every acknowledged record."""
    log = s.leader_log()
    return log is None or all(any(m == a for _, m in log) for a in s.acked)


def no_duplicates(s: SpecState) -> bool:
    """No record is twice in the live leader's log."""
    log = s.leader_log()
    return log is None or len({m for _, m in log}) == len(log)


def read_committed(s: SpecState) -> bool:
    """Every record that was ever below the high watermark is still at its offset."""
    log = s.leader_log()
    return log is None or all(o < len(log) and log[o][1] == m for o, m in s.exposed)


SPEC_PROPERTIES = {
    "no lost acknowledged": no_lost_acknowledged,
    "no duplicates": no_duplicates,
    "read committed": read_committed,
}
"""The invariants of ``LogSpec``, by name."""


def spec_table(records: int = 2, max_crashes: int = 2, mutants: bool = True) -> Any:
    """Check every setting of a 2-broker partition exhaustively: a DataFrame, one row each.

    The 16 settings of acks (1, all) x min_insync (1, 2) x unclean x idempotence, and
    (with ``mutants``) the safe setting with each mutant of ``dslib.queues.log``.

    Parameters
    ----------
    records : int, default 2
    max_crashes : int, default 2
    mutants : bool, default True

    Returns
    -------
    pandas.DataFrame
        ``acks``, ``min_insync``, ``unclean``, ``idempotent``, ``mutant``; for each
        property of ``SPEC_PROPERTIES`` the length of its shortest counterexample (``NaN``:
        it holds in every reachable state); ``states``, the reachable states (from a
        property's complete search; ``<NA>`` if every property fails); and
        ``shortest trace``, the actions of the shortest counterexample of all.

    Examples
    --------
    >>> t = spec_table(mutants=False)
    >>> safe = t[t[list(SPEC_PROPERTIES)].isna().all(axis=1)]
    >>> columns = ["acks", "min_insync", "unclean", "idempotent", "states"]
    >>> print(safe[columns].to_string(index=False))
    acks  min_insync  unclean  idempotent  states
     all           1    False        True     779
     all           2    False        True    1381
    """
    import pandas as pd

    from dslib.queues.log import MUTANTS

    base = LogConfig(brokers=2, replication_factor=2)
    acks_values: tuple[int | str, ...] = ACKS[1:]
    configs = [
        replace(base, acks=acks, min_insync=mi, unclean=un, idempotent=idem)
        for acks, mi, un, idem in product(acks_values, (1, 2), (False, True), (False, True))
    ]
    if mutants:
        safe = replace(base, acks="all", min_insync=2, unclean=False, idempotent=True)
        configs += [replace(safe, mutant=m) for m in sorted(MUTANTS)]
    rows = []
    for config in configs:
        row: dict[str, Any] = {
            "acks": str(config.acks),
            "min_insync": config.min_insync,
            "unclean": config.unclean,
            "idempotent": config.idempotent,
            "mutant": config.mutant or "",
        }
        shortest = None
        for name, prop in SPEC_PROPERTIES.items():
            result = check(LogSpec(config, records, max_crashes), invariants={name: prop})
            trace = result.counterexample
            row[name] = len(trace) if trace is not None else None
            if trace is not None and (shortest is None or len(trace) < len(shortest)):
                shortest = trace
            if trace is None:
                row["states"] = result.distinct_states
        row["shortest trace"] = ", ".join(map(str, shortest.actions)) if shortest else ""
        rows.append(row)
    columns = ["acks", "min_insync", "unclean", "idempotent", "mutant", *SPEC_PROPERTIES]
    columns += ["states", "shortest trace"]
    frame = pd.DataFrame(rows, columns=columns)
    for name in [*SPEC_PROPERTIES, "states"]:
        frame[name] = frame[name].astype("Int64")  # a count, or <NA>
    return frame
