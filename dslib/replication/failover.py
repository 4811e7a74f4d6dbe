"""Synchronous, semi-synchronous and asynchronous replication; fail-over hazards; bootstrapping.

A leader ships each write to its followers; *when it acknowledges* the write decides what a
fail-over can lose (Kleppmann 2017, chapter 5, "Synchronous Versus Asynchronous Replication"
and "Handling Node Outages"):

- ``"sync"``: once every follower has the write;
- ``"semi-sync"``: once one follower has it (MySQL's semi-synchronous replication);
- ``"async"``: at once.

The model is a seeded, timed log, small enough to read whole: write ``i`` reaches the leader
at time ``i``; it reaches each follower after an exponential delay (``lag``), in order (a
follower holds a prefix of the log). The leader crashes at ``crash_at``; a follower
with the longest prefix is promoted under the next *epoch*, and the clients move to it. An
acknowledged write that the new leader lacks is **lost**. Semi-sync loses none as long as
the promoted follower is the most up-to-date one (every acknowledged write reached at least
one follower, and prefixes are nested); async loses the writes of the last ``lag`` or so.

The old leader comes back at ``restart_at`` believing it still leads, and clients that did
not notice the fail-over keep writing to it (``stale_clients``: the share of writes). Its
followers now follow the new leader. Without **fencing**, a follower accepts the old
leader's entries too: two leaders take writes (split brain), and every write the old leader
acknowledges while the new one leads is on a branch that will be thrown away. With fencing,
every message carries the sender's epoch and a follower refuses an older one; the old
leader, refused, steps down before acknowledging anything that needs a follower (sync and
semi-sync). An async leader acknowledges before it hears anyone: fencing cannot stop it
(the count shows it).

Bootstrapping a new follower copies a **snapshot** of the leader's state and the LSN it
was taken at, then asks for the log *after* that LSN (``bootstrap``). The mutants
``snapshot_without_position`` (the follower asks from the leader's LSN when the copy ends,
losing the writes made during the copy) and ``log_from_start`` (it replays the whole log
over the snapshot, applying writes twice) are caught by comparing with the leader.

References
----------
.. [1] M. Kleppmann, "Designing Data-Intensive Applications", O'Reilly 2017, chapter 5,
   sections "Synchronous Versus Asynchronous Replication", "Setting Up New Followers" and
   "Handling Node Outages" (fail-over, split brain).

Examples
--------
>>> failover_run("async", seed=1).lost
2
>>> failover_run("semi-sync", seed=1).lost
0
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dslib.mutants import Mutant, MutantReport, check_mutant, run_mutants

__all__ = [
    "BOOTSTRAP_MUTANTS",
    "FAILOVER_MUTANTS",
    "MODES",
    "FailoverRun",
    "bootstrap",
    "bootstrap_run",
    "failover_mutant_report",
    "failover_run",
    "failover_table",
]

MODES = ("sync", "semi-sync", "async")
"""When the leader acknowledges a write: every follower, one follower, or at once."""

BOOTSTRAP_MUTANTS = {
    "snapshot_without_position": "the new follower asks for the log from the leader's LSN when "
    "the copy ends, not from the snapshot's LSN",
    "log_from_start": "the new follower replays the whole log over the snapshot",
}
"""The broken versions of ``bootstrap``, by name."""

FAILOVER_MUTANTS = {
    "no_fencing": "followers accept entries from any leader, whatever its epoch",
    "promote_any_follower": "the first follower is promoted, not the most up-to-date one",
}
"""The broken versions of fail-over, by name (``failover_run(mutant=...)``)."""


@dataclass(frozen=True)
class FailoverRun:
    """One run: acknowledged writes lost at fail-over, and writes taken by two leaders.

    ``lost``: acknowledged before the crash, missing from the new leader.
    ``split_brain``: acknowledged by the old leader after the new one was promoted (they
    are on a branch that the new leader never sees).
    """

    mode: str
    seed: int
    acknowledged: int
    lost: int
    split_brain: int


def failover_run(
    mode: str,
    seed: int = 0,
    *,
    writes: int = 60,
    followers: int = 2,
    lag: float = 3.0,
    crash_at: float = 30.5,
    restart_at: float = 40.5,
    stale_clients: float = 0.3,
    fencing: bool = True,
    mutant: str | None = None,
) -> FailoverRun:
    """Run the fail-over model once (see the module docstring).

    Examples
    --------
    >>> failover_run("sync", seed=0)
    FailoverRun(mode='sync', seed=0, acknowledged=26, lost=0, split_brain=0)
    >>> failover_run("semi-sync", seed=0, mutant="no_fencing").split_brain > 0
    True
    """
    if mode not in MODES:
        raise ValueError(f"failover_run: mode={mode!r}; allowed: {', '.join(MODES)}")
    if not (isinstance(followers, int) and followers >= 1):
        raise ValueError(f"failover_run: followers={followers!r} must be an int >= 1")
    if not (0 < crash_at < restart_at):
        raise ValueError(
            f"failover_run: need 0 < crash_at < restart_at, got {crash_at}, {restart_at}"
        )
    if not 0 <= stale_clients <= 1:
        raise ValueError(f"failover_run: stale_clients={stale_clients!r} must be in [0, 1]")
    check_mutant("failover_run", mutant, FAILOVER_MUTANTS)
    rng = random.Random(seed)
    # arrival[f][i]: when write i reaches follower f; in order, so a running maximum
    arrival: list[list[float]] = []
    for _ in range(followers):
        times, last = [], 0.0
        for i in range(writes):
            last = max(last, i + rng.expovariate(1.0 / lag))
            times.append(last)
        arrival.append(times)

    def acked_at(i: int) -> float:
        reached = sorted(a[i] for a in arrival)
        return {"sync": reached[-1], "semi-sync": reached[0], "async": float(i)}[mode]

    before = [i for i in range(int(crash_at) + 1) if i < writes]
    acknowledged = [i for i in before if acked_at(i) <= crash_at]
    prefixes = [sum(1 for t in a if t <= crash_at) for a in arrival]
    new_leader = max(range(followers), key=lambda f: (prefixes[f], -f))
    if mutant == "promote_any_follower":
        new_leader = 0  # the rule it breaks: promote the follower with the longest prefix
    lost = sum(1 for i in acknowledged if i >= prefixes[new_leader])
    # After the restart, the old leader (epoch 1) takes a share of the writes.
    fenced = fencing and mutant != "no_fencing"
    split = 0
    for _ in range(int(restart_at) + 1, writes):
        if rng.random() >= stale_clients:
            continue  # this client knows the new leader
        if mode == "async":
            split += 1  # acknowledged before anyone could refuse it
        elif fenced:
            break  # a follower refused epoch 1: the old leader steps down
        else:
            split += 1  # a follower accepted it: two leaders acknowledge writes
    return FailoverRun(mode, seed, len(acknowledged), lost, split)


def failover_table(seeds: Sequence[int] = range(20), **options: Any) -> Any:
    """Per mode, with and without fencing: mean acknowledged writes lost and split-brain writes.

    Examples
    --------
    >>> failover_table(range(2)).loc["semi-sync"].tolist()[0]  # lost at fail-over
    0.0
    """
    import pandas as pd

    rows = {}
    for mode in MODES:
        fenced = [failover_run(mode, s, **options) for s in seeds]
        open_ = [failover_run(mode, s, fencing=False, **options) for s in seeds]
        rows[mode] = {
            "lost at fail-over (mean)": sum(r.lost for r in fenced) / len(seeds),
            "split brain, no fencing (mean)": sum(r.split_brain for r in open_) / len(seeds),
            "split brain, epochs (mean)": sum(r.split_brain for r in fenced) / len(seeds),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = f"mode ({len(seeds)} seeds)"
    return frame.round(2)


# -- bootstrapping a follower --------------------------------------------------------------------
def bootstrap(
    snapshot: Sequence[Any],
    snapshot_lsn: int,
    log: Sequence[Any],
    copy_ends_lsn: int,
    mutant: str | None = None,
) -> list[Any]:
    """A new follower's state: the snapshot, then the leader's log after the snapshot's LSN.

    Parameters
    ----------
    snapshot : sequence
        The leader's state (here: the list of entries applied) when the snapshot was taken.
    snapshot_lsn : int
        How many log entries the snapshot holds.
    log : sequence
        The leader's whole log, entry ``k`` at index ``k - 1``.
    copy_ends_lsn : int
        The leader's LSN when the copy finished (writes went on during it).
    mutant : str, optional
        A name of ``BOOTSTRAP_MUTANTS``.

    Examples
    --------
    >>> bootstrap(["a", "b"], 2, ["a", "b", "c", "d"], 3)
    ['a', 'b', 'c', 'd']
    >>> bootstrap(["a", "b"], 2, ["a", "b", "c", "d"], 3, mutant="snapshot_without_position")
    ['a', 'b', 'd']
    """
    check_mutant("bootstrap", mutant, BOOTSTRAP_MUTANTS)
    if not 0 <= snapshot_lsn <= copy_ends_lsn <= len(log):
        raise ValueError(
            f"bootstrap: need 0 <= snapshot_lsn ({snapshot_lsn}) <= copy_ends_lsn "
            f"({copy_ends_lsn}) <= len(log) ({len(log)})"
        )
    start = snapshot_lsn  # the rule: continue from the snapshot's own position
    if mutant == "snapshot_without_position":
        start = copy_ends_lsn
    elif mutant == "log_from_start":
        start = 0
    return list(snapshot) + list(log[start:])


def bootstrap_run(seed: int = 0, writes: int = 40, mutant: str | None = None) -> bool:
    """A follower bootstrapped while writes go on ends equal to the leader: True if so.

    The snapshot is taken at a random LSN and the copy takes a random time during which
    writes continue. Entries are unique, so a lost or a duplicated write shows.

    Examples
    --------
    >>> all(bootstrap_run(s) for s in range(5))
    True
    """
    rng = random.Random(seed)
    log = [f"w{i}" for i in range(1, writes + 1)]
    taken = rng.randrange(1, writes - 5)
    ends = min(writes, taken + 1 + rng.randrange(5))
    return bootstrap(log[:taken], taken, log, ends, mutant=mutant) == log


def failover_mutant_report(seeds: Sequence[int] = range(5)) -> MutantReport:
    """The mutants of fail-over and bootstrapping, each caught by a named check over seeds.

    Checks: ``no acknowledged write lost`` (semi-sync runs), ``no split brain`` (semi-sync
    runs with epochs), ``bootstrap equals the leader``.
    """
    checks = {
        "no acknowledged write lost": lambda c: all(
            failover_run("semi-sync", s, mutant=c["failover"]).lost == 0 for s in seeds
        ),
        "no split brain": lambda c: all(
            failover_run("semi-sync", s, mutant=c["failover"]).split_brain == 0 for s in seeds
        ),
        "bootstrap equals the leader": lambda c: all(
            bootstrap_run(s, mutant=c["bootstrap"]) for s in seeds
        ),
    }

    def version(failover: str | None = None, boot: str | None = None) -> Any:
        return lambda: {"failover": failover, "bootstrap": boot}

    mutants = [
        Mutant(
            "no_fencing", FAILOVER_MUTANTS["no_fencing"], version("no_fencing"), ("no split brain",)
        ),
        Mutant(
            "promote_any_follower",
            FAILOVER_MUTANTS["promote_any_follower"],
            version("promote_any_follower"),
            ("no acknowledged write lost",),
        ),
    ] + [
        Mutant(name, bug, version(boot=name), ("bootstrap equals the leader",))
        for name, bug in BOOTSTRAP_MUTANTS.items()
    ]
    return run_mutants(version(), mutants, checks)
