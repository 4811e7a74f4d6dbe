"""The election-timeout experiment of the Raft paper (section 9.3, Figure 16), simulated.

How long is a Raft cluster without a leader after its leader crashes, and how
does that depend on the range the election timeouts are drawn from? Ongaro and
Ousterhout measured it on a real five-server cluster ("In Search of an
Understandable Consensus Algorithm (Extended Version)", 2014, section 9.3 and
Figure 16). This module repeats the experiment in the simulator, with the
servers of ``dslib.raft.core``.

One trial (``election_trial``):

- Five servers ``s1`` .. ``s5``. ``s1`` is the leader of term 2. ``s2`` and
  ``s3`` hold its whole log; ``s4`` and ``s5`` hold only its first entry, so
  their logs are *too short to win*: the others refuse them their votes
  (section 5.4.1), and only ``s2`` or ``s3`` can become the next leader.
- At time 0 the leader sends one round of heartbeats, so every follower resets
  its election timer at about the same moment (when the heartbeat arrives): the
  worst case for split votes. The heartbeat interval is half the minimum
  election timeout, as in the paper.
- The leader crashes at a time drawn uniformly from its heartbeat interval.
  (The replies of ``s4`` and ``s5``, which say that they lag, are cut on their
  way to the leader, so that it cannot repair their logs before it crashes.)
- The downtime runs from the crash until every surviving server has accepted
  an AppendEntries from the new leader (``measure="all"``, the paper's
  measurement: "until the other servers received the new leader's first
  heartbeat", Ongaro 2014, section 9.4), or until a majority of the five
  counting the new leader has (``measure="majority"``: the first moment the
  new leader could commit anything).
- A trial not over ``limit`` ms after the crash is *censored*: its downtime is
  ``math.inf``, to be read as "more than ``limit``".

The one-way latency is uniform between 0.35 and 0.56 times ``broadcast``,
which makes the *broadcast time* (one server sends an RPC to each of the four
others and has every response back, section 5.6) ``broadcast`` ms on average
(``broadcast_time`` measures it). The default, ``FAITHFUL_BROADCAST`` = 5 ms
(one-way 1.75 to 2.8 ms), is the network that the paper's elections behaved as
if they had: its fastest 12-24 ms trial, 15.3 ms from the crash to the new
leader's heartbeats (read from Figure 16, ``dslib.raft.figure16``), leaves
room for three message delays of 2 to 3 ms at most; the 15 ms the paper
quotes is "network round trip plus disk write" (dissertation, section 9.4).
``paper_comparison`` sets our deciles beside those of Figure 16.

When does a server reset its election timer? Figure 2 says: when it grants a
vote, when it accepts an AppendEntries from the current leader, and when it
starts an election; ``dslib.raft.core`` does just that. Many implementations
also reset it whenever they adopt a higher term, even from a RequestVote they
refuse. ``timer_rule`` picks one of the two for the experiment
(``TIMER_RULES``).

Examples
--------
>>> election_downtime((150, 300), trials=3, seed=1)
[128.35, 142.9, 187.12]
>>> print(PAPER_FIGURES[1])
150-155 ms: median 287 ms
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from dslib.core import Context, System
from dslib.raft.core import (
    AppendEntries,
    Entry,
    RaftConfig,
    RaftNode,
    RaftState,
    RequestVote,
    RequestVoteReply,
    is_timeout_range,
)
from dslib.raft.figure16 import PAPER_DECILES
from dslib.sim import Crash, Latency, Network, Simulation, uniform
from dslib.stats import is_number, percentile
from dslib.testing.executors import Executor, map_seeds

__all__ = [
    "FAITHFUL_BROADCAST",
    "PAPER_FIGURES",
    "PAPER_RANGES",
    "RANDOMNESS_RANGES",
    "SCALE_RANGES",
    "TIMER_RULES",
    "ElectionTrial",
    "PaperFigure",
    "broadcast_time",
    "downtime_samples",
    "election_downtime",
    "election_trial",
    "one_way_latency",
    "paper_comparison",
    "paper_table",
    "percentile",
    "plot_downtime_cdfs",
    "range_label",
    "summarize",
    "timeout_experiment",
    "trial_seed",
    "trial_story",
]

Range = tuple[float, float]

FAITHFUL_BROADCAST = 5.0
"""The default broadcast time (ms): one-way latencies of 1.75 to 2.8 ms (see the module)."""

RANDOMNESS_RANGES: tuple[Range, ...] = (
    (150, 150),
    (150, 151),
    (150, 155),
    (150, 175),
    (150, 200),
    (150, 300),
)
"""The ranges of the top graph of Figure 16: more and more randomness above 150 ms."""

SCALE_RANGES: tuple[Range, ...] = ((12, 24), (25, 50), (50, 100), (100, 200), (150, 300))
"""The ranges of the bottom graph of Figure 16: the minimum scaled, the width equal to it."""

PAPER_RANGES: tuple[Range, ...] = RANDOMNESS_RANGES + SCALE_RANGES[:-1]
"""All ten ranges of Figure 16, each once (150-300 is in both graphs)."""

TIMER_RULES: dict[str, str] = {
    "figure2": "reset the election timer only on granting a vote, on accepting an "
    "AppendEntries from the current leader, and on starting an election",
    "any_new_term": "also reset it on adopting a higher term from any message, "
    "even a RequestVote that is refused",
}
"""When a server resets its election timer, by name."""

SERVERS = ("s1", "s2", "s3", "s4", "s5")
LEADER = "s1"
SURVIVORS = ("s2", "s3", "s4", "s5")
SHORT = ("s4", "s5")
TERM = 2
FULL_LOG: tuple[Entry, ...] = (Entry(1, "x=1"), Entry(2, "y=2"), Entry(2, "x=3"))
SHORT_LOG: tuple[Entry, ...] = FULL_LOG[:1]
MEASURES = ("all", "majority")
ELECTION = "election"
# Simulated time run between two scans of the trace for the end of the downtime (ms).
_CHUNK = 20.0


# -- what the paper states -------------------------------------------------------------
@dataclass(frozen=True)
class PaperFigure:
    """One number that the paper states about Figure 16, with the sentence it comes from.

    ``statistic`` is ``"median"``, ``"max"`` (the longest trial), ``"mean"``, or
    ``"min"`` (a bound that every trial exceeded).

    Examples
    --------
    >>> PaperFigure((12, 24), "mean", 35.0, "...").label
    '12-24 ms: mean 35 ms'
    """

    timeout: Range
    statistic: str
    value: float
    quote: str

    @property
    def label(self) -> str:
        """The figure in a few words."""
        return f"{range_label(self.timeout)} ms: {self.short}"

    @property
    def short(self) -> str:
        """The figure without its range."""
        if self.statistic == "min":
            return f"every trial > {self.value / 1000:g} s"
        return f"{self.statistic} {self.value:g} ms"

    def __str__(self) -> str:
        return self.label


_QUOTE_12_24 = (
    "With an election timeout of 12-24ms, it takes only 35ms on average to elect a leader "
    "(the longest trial took 152ms)."
)

PAPER_FIGURES: tuple[PaperFigure, ...] = (
    PaperFigure(
        (150, 150),
        "min",
        10_000.0,
        "In the absence of randomness, leader election consistently took longer than "
        "10 seconds in our tests due to many split votes.",
    ),
    PaperFigure(
        (150, 155),
        "median",
        287.0,
        "Adding just 5ms of randomness helps significantly, resulting in a median "
        "downtime of 287ms.",
    ),
    PaperFigure(
        (150, 200),
        "max",
        513.0,
        "Using more randomness improves worst-case behavior: with 50ms of randomness "
        "the worst-case completion time (over 1000 trials) was 513ms.",
    ),
    PaperFigure((12, 24), "mean", 35.0, _QUOTE_12_24),
    PaperFigure((12, 24), "max", 152.0, _QUOTE_12_24),
)
"""The numbers that section 9.3 of the paper states about Figure 16, quoted.

The setup, from the same section and the caption of Figure 16: five servers,
a broadcast time of roughly 15 ms, 1000 trials per range (100 for 150-150),
servers with different log lengths so that some cannot become leader, a
synchronized broadcast of heartbeats before the leader is crashed at a
uniformly random point of its heartbeat interval, which is half the minimum
election timeout.
"""


# -- validation --------------------------------------------------------------------------
def _is_finite(x: object) -> bool:
    return is_number(x) and math.isfinite(x)  # type: ignore[arg-type]


def _check_range(timeout: object, where: str) -> Range:
    # A finite hi is enough: lo lies in (0, hi].
    if not (is_timeout_range(timeout) and math.isfinite(timeout[1])):
        raise ValueError(
            f"{where}: timeout={timeout!r} must be a range (lo, hi) of milliseconds "
            "with 0 < lo <= hi"
        )
    return (timeout[0], timeout[1])


def _check_int(name: str, value: object, where: str, minimum: int) -> int:
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= minimum):
        raise ValueError(f"{where}: {name}={value!r} must be an int >= {minimum}")
    return value


def _check_positive(name: str, value: Any, where: str) -> float:
    if not (_is_finite(value) and value > 0):
        raise ValueError(f"{where}: {name}={value!r} must be a number > 0")
    return float(value)


def _check_seed(seed: object, where: str) -> int:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"{where}: seed={seed!r} must be an int")
    return seed


def range_label(timeout: Range) -> str:
    """The name of a range as the paper writes it (without the unit).

    Examples
    --------
    >>> range_label((150, 155)), range_label((12.5, 25.0))
    ('150-155', '12.5-25')
    """
    return f"{timeout[0]:g}-{timeout[1]:g}"


# -- the network ----------------------------------------------------------------------------
def one_way_latency(broadcast: float = FAITHFUL_BROADCAST) -> Latency:
    """The one-way message latency used for a given broadcast time (ms).

    Uniform between ``0.35 * broadcast`` and ``0.56 * broadcast``: a round trip
    takes 0.7 to 1.12 times ``broadcast``, and waiting for the slowest of four
    round trips takes ``broadcast`` on average (see ``broadcast_time``).

    Examples
    --------
    >>> one_way_latency(15.0)
    uniform(5.25, 8.4)
    >>> one_way_latency(0)
    Traceback (most recent call last):
    ...
    ValueError: one_way_latency: broadcast=0 must be a number > 0
    """
    b = _check_positive("broadcast", broadcast, "one_way_latency")
    return uniform(round(0.35 * b, 6), round(0.56 * b, 6))


def broadcast_time(
    latency: Latency, servers: int = 5, samples: int = 10_000, seed: int = 0
) -> float:
    """The mean time for one server to send an RPC to every other and get every reply.

    This is the paper's *broadcast time* (section 5.6): the slowest of the
    ``servers - 1`` round trips, each the sum of two one-way latencies drawn
    from ``latency``, averaged over ``samples`` broadcasts.

    Examples
    --------
    >>> round(broadcast_time(one_way_latency(15.0), seed=1), 1)
    15.0
    >>> broadcast_time(one_way_latency(), servers=1)
    Traceback (most recent call last):
    ...
    ValueError: broadcast_time: servers=1 must be an int >= 2
    """
    if not isinstance(latency, Latency):
        raise TypeError(f"broadcast_time: latency={latency!r} must be a dslib.sim.Latency")
    _check_int("servers", servers, "broadcast_time", 2)
    _check_int("samples", samples, "broadcast_time", 1)
    rng = random.Random(f"broadcast:{_check_seed(seed, 'broadcast_time')}")
    sample = latency.sample
    total = 0.0
    for _ in range(samples):
        total += max(sample(rng) + sample(rng) for _ in range(servers - 1))
    return total / samples


# -- the servers ----------------------------------------------------------------------------
class _TrialServer(RaftNode):
    """A Raft server that starts in the middle of term 2, as the experiment needs.

    ``s1`` starts as the leader with the whole log and sends one round of
    heartbeats at once; ``s2`` and ``s3`` are its followers with the whole log;
    ``s4`` and ``s5`` are followers whose logs hold only the first entry. After
    ``init`` it is a plain ``RaftNode``, except that ``on_message`` applies
    ``timer_rule`` to the election timer.
    """

    def __init__(self, config: RaftConfig, timer_rule: str) -> None:
        super().__init__(config)
        self.timer_rule = timer_rule

    def init(self, ctx: Context) -> RaftState:
        state = super().init(ctx)
        log = SHORT_LOG if ctx.id in SHORT else FULL_LOG
        state = replace(state, current_term=TERM, voted_for=LEADER, log=log)
        ctx.persist(state.durable)
        if ctx.id != LEADER:
            return state
        ctx.cancel_timer(ELECTION)
        state = replace(
            state,
            role="leader",
            next_index=tuple((p, len(log) + 1) for p in ctx.peers),
            match_index=tuple((p, 0) for p in ctx.peers),
        )
        # The synchronized broadcast of heartbeats; it also arms the heartbeat timer.
        return self.on_timer(ctx, state, "heartbeat")

    def on_message(self, ctx: Context, state: RaftState, src: str, msg: Any) -> RaftState:
        new = super().on_message(ctx, state, src, msg)
        if state.role == "leader" or new.role == "leader":
            return new  # a leader that steps down needs its election timer back
        from_leader = isinstance(msg, AppendEntries) or getattr(msg, "leader_id", None)
        granted = isinstance(msg, RequestVote) and new.voted_for == msg.candidate_id
        if from_leader or granted:
            return new  # Figure 2's reasons to reset: the core has done so
        # Neither: the core (Figure 2) kept the election timer running as it was.
        if self.timer_rule == "any_new_term" and new.current_term > state.current_term:
            ctx.set_timer(ELECTION, self.config.election_timeout)
        return new


# -- one trial ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ElectionTrial:
    """The outcome of one trial.

    Attributes
    ----------
    timeout : (float, float)
        The election-timeout range (ms).
    crash_time : float
        When the leader crashed (ms after its synchronized heartbeats).
    downtime : float
        From the crash until the end of the downtime (ms); ``math.inf`` if censored.
    leader : str or None
        The new leader (``None`` if censored).
    term : int
        The new leader's term (the last term reached, if censored).
    elections : int
        How many terms were started after the crash (1: the first candidate won).
    leaders_elected : int
        How many servers became leader after the crash (more than 1: a new
        leader was deposed before every survivor had accepted it).
    simulation : Simulation
        The run, with its trace (not compared, not in the repr).
    """

    timeout: Range
    crash_time: float
    downtime: float
    leader: str | None
    term: int
    elections: int
    leaders_elected: int
    simulation: Simulation = field(compare=False, repr=False)

    @property
    def censored(self) -> bool:
        """Whether the trial hit the limit before the downtime ended."""
        return math.isinf(self.downtime)


def trial_seed(seed: int, trial: int) -> int:
    """The simulation seed of trial number ``trial`` of a run seeded ``seed``.

    It does not depend on the range, so that trial ``i`` of every range has the
    same crash point (as a fraction of the heartbeat interval) and network draws.

    Examples
    --------
    >>> trial_seed(0, 0) == trial_seed(0, 0) != trial_seed(0, 1)
    True
    """
    return random.Random(f"election-trial:{seed}:{trial}").getrandbits(48)


def election_trial(
    timeout: Range = (150, 300),
    *,
    seed: int = 0,
    broadcast: float = FAITHFUL_BROADCAST,
    crash_at: float | None = None,
    limit: float = 10_000.0,
    measure: str = "all",
    timer_rule: str = "figure2",
) -> ElectionTrial:
    """Run one trial: synchronized heartbeats, the leader crashes, time the election.

    Parameters
    ----------
    timeout : (float, float), default (150, 300)
        The election-timeout range in ms; the heartbeat interval is half its minimum.
    seed : int, default 0
        The seed of the simulation (latencies, timeouts) and of the crash time.
    broadcast : float, default FAITHFUL_BROADCAST (5.0)
        The broadcast time in ms; sets the one-way latency (``one_way_latency``).
    crash_at : float, optional
        When the leader crashes, in ms after its heartbeats (default: uniform in
        the heartbeat interval, drawn from ``seed``); less than the interval.
    limit : float, default 10000.0
        Give up this long after the crash (ms): the trial is censored.
    measure : {"all", "majority"}, default "all"
        The end of the downtime: when every survivor, or a majority of the five
        counting the new leader, has accepted an AppendEntries from the new leader.
    timer_rule : {"figure2", "any_new_term"}, default "figure2"
        When servers reset their election timers (``TIMER_RULES``).

    Returns
    -------
    ElectionTrial

    Raises
    ------
    ValueError
        For a bad range, crash time, limit, broadcast time, measure or rule.

    Examples
    --------
    >>> t = election_trial((150, 300), seed=3)
    >>> t.leader, t.term, t.elections, round(t.crash_time, 2), round(t.downtime, 2)
    ('s2', 3, 1, 0.8, 162.52)
    >>> election_trial((150, 150), seed=3, limit=2000).censored
    True
    >>> election_trial((150, 300), crash_at=80)
    Traceback (most recent call last):
    ...
    ValueError: election_trial: crash_at=80 must be a time in ms from 0 to below the heartbeat \
interval 75 (half the minimum election timeout)
    """
    where = "election_trial"
    lo, hi = _check_range(timeout, where)
    b = _check_positive("broadcast", broadcast, where)
    cap = _check_positive("limit", limit, where)
    _check_seed(seed, where)
    if measure not in MEASURES:
        raise ValueError(f"{where}: measure={measure!r}; allowed: {list(MEASURES)}")
    if timer_rule not in TIMER_RULES:
        raise ValueError(f"{where}: timer_rule={timer_rule!r}; allowed: {list(TIMER_RULES)}")
    interval = lo / 2
    if crash_at is None:
        crash = random.Random(f"crash:{seed}").random() * interval
    elif _is_finite(crash_at) and 0 <= crash_at < interval:
        crash = float(crash_at)
    else:
        raise ValueError(
            f"{where}: crash_at={crash_at!r} must be a time in ms from 0 to below the "
            f"heartbeat interval {interval:g} (half the minimum election timeout)"
        )
    if 0.56 * b >= lo:
        raise ValueError(
            f"{where}: broadcast={broadcast!r} is too long for timeout={timeout!r}: the "
            f"heartbeats (up to {0.56 * b:g} ms) must arrive before the minimum timeout"
        )

    config = RaftConfig(election_timeout=(lo, hi), heartbeat_interval=interval)
    node = _TrialServer(config, timer_rule)
    sim = Simulation(
        System({i: node for i in SERVERS}),
        seed=seed,
        network=Network(latency=one_way_latency(b)),
    )
    for lagging in SHORT:  # the leader never hears that these two lag behind
        sim.cut(lagging, LEADER)
    sim.at(crash, Crash(LEADER))

    need = len(SURVIVORS) if measure == "all" else len(SERVERS) // 2 + 1
    terms: dict[str, int] = {}
    accepted: dict[int, set[str]] = {}
    leader_of: dict[int, str] = {}
    end: float | None = None
    final = TERM
    scanned = 0
    deadline = crash + cap
    while end is None and sim.now < deadline:
        sim.run(until=min(deadline, sim.now + _CHUNK))
        entries = sim.trace.entries
        for k in range(scanned, len(entries)):
            t, kind, n, _peer, data, _ref, _detail = entries[k]
            if kind == "init" or kind == "state":
                terms[n] = data.current_term
                if data.role == "leader" and data.current_term > TERM:
                    leader_of.setdefault(data.current_term, n)
                    accepted.setdefault(data.current_term, set()).add(n)
            elif kind == "deliver" and isinstance(data, AppendEntries):
                # Accepted if the receiver's term (before it handles the message) is not higher.
                if data.term > TERM and data.term >= terms.get(n, 0):
                    accepted.setdefault(data.term, set()).add(n)
            else:
                continue
            done = sorted(term for term, who in accepted.items() if len(who) >= need)
            if done and t <= deadline:
                end, final = t, done[0]
                break
        scanned = len(entries)

    if end is None:
        last = max([TERM, *terms.values()])
        return ElectionTrial(
            (lo, hi), crash, math.inf, None, last, last - TERM, len(leader_of), sim
        )
    elected = sum(1 for term in leader_of if term <= final)
    return ElectionTrial(
        (lo, hi), crash, end - crash, leader_of.get(final), final, final - TERM, elected, sim
    )


def trial_story(trial: ElectionTrial, limit: int = 40) -> list[str]:
    """What happened in a trial, one line per election event, times from the crash (ms).

    Lists the leader's crash, every election timeout, every vote granted, every
    new leader and every server accepting it, up to ``limit`` lines.

    Examples
    --------
    >>> for line in trial_story(election_trial((150, 300), seed=3))[:4]:
    ...     print(line)
        +0.00  s1 crashes
      +155.71  s2 times out and asks for votes in term 3
      +157.63  s3 votes for s2 in term 3
      +157.63  s5 votes for s2 in term 3
    """
    _check_int("limit", limit, "trial_story", 1)
    crash = trial.crash_time
    lines: list[str] = []
    seen: dict[str, tuple[int, str]] = {}
    accepted: set[tuple[str, int]] = set()
    for t, kind, n, peer, data, _ref, _detail in trial.simulation.trace.entries:
        line = None
        if kind in ("init", "state"):
            before = seen.get(n)
            seen[n] = (data.current_term, data.role)
            if t < crash or before == seen[n]:
                continue
            if data.role == "candidate":
                line = f"{n} times out and asks for votes in term {data.current_term}"
            elif data.role == "leader":
                line = f"{n} becomes leader of term {data.current_term}"
        elif t < crash:
            continue
        elif kind == "crash":
            line = f"{n} crashes"
        elif kind == "send" and isinstance(data, RequestVoteReply) and data.vote_granted:
            line = f"{n} votes for {peer} in term {data.term}"
        elif (
            kind == "deliver"
            and isinstance(data, AppendEntries)
            and data.term > TERM
            and data.term >= seen.get(n, (0, ""))[0]
            and (n, data.term) not in accepted
        ):
            accepted.add((n, data.term))
            line = f"{n} accepts {peer} as leader of term {data.term}"
        if line is not None:
            lines.append(f"{t - crash:+9.2f}  {line}")
            if len(lines) >= limit:
                break
    return lines


# -- many trials -------------------------------------------------------------------------------
def election_downtime(
    timeout: Range = (150, 300),
    trials: int = 100,
    seed: int = 0,
    *,
    broadcast: float = FAITHFUL_BROADCAST,
    limit: float = 10_000.0,
    measure: str = "all",
    timer_rule: str = "figure2",
    executor: Executor = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[float]:
    """The downtimes of ``trials`` trials (ms, rounded to 0.01; ``math.inf`` if censored).

    Trial ``i`` uses the same simulation seed whatever the range (common random
    numbers), so ranges are compared on the same crash points and network
    draws. The result depends only on the arguments.

    Parameters
    ----------
    timeout, broadcast, limit, measure, timer_rule
        As for ``election_trial``.
    trials : int, default 100
    seed : int, default 0
    executor : None, int or dask.distributed.Client, optional
        Who runs the trials (``dslib.testing.executors.map_seeds``): here, ``n``
        local processes, or a Dask cluster. The downtimes are the same.
    progress : callable, optional
        Called as ``progress(done, trials)`` as trials finish
        (``dslib.viz.progress.progress`` makes one that shows a bar).

    Examples
    --------
    >>> election_downtime((12, 24), trials=4, seed=2)
    [18.21, 20.46, 21.42, 52.75]
    >>> election_downtime((12, 24), trials=0)
    Traceback (most recent call last):
    ...
    ValueError: election_downtime: trials=0 must be an int >= 1
    """
    _check_int("trials", trials, "election_downtime", 1)
    _check_range(timeout, "election_downtime")
    _check_seed(seed, "election_downtime")
    task = partial(
        _downtime,
        timeout,
        seed,
        broadcast=broadcast,
        limit=limit,
        measure=measure,
        timer_rule=timer_rule,
    )
    return map_seeds(
        task, range(trials), executor, progress=progress or False, owner="election_downtime"
    )


def _downtime(timeout: Range, seed: int, i: int, **options: Any) -> float:
    """The downtime of trial ``i`` of ``election_downtime`` (ms, rounded to 0.01)."""
    t = election_trial(timeout, seed=trial_seed(seed, i), **options)
    return t.downtime if t.censored else round(t.downtime, 2)


def downtime_samples(
    ranges: Sequence[Range] = PAPER_RANGES,
    trials: int = 100,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    **options: Any,
) -> dict[str, list[float]]:
    """``election_downtime`` for each range, keyed by ``range_label``, in the order given.

    ``options`` (``broadcast``, ``limit``, ``measure``, ``timer_rule``,
    ``executor``) go to ``election_downtime``. ``progress``, if given, is called as
    ``progress(done, total)`` with the trials of all ranges (``total`` is
    ``len(ranges) * trials``).

    Examples
    --------
    >>> downtime_samples([(25, 50), (50, 100)], trials=2, seed=1)
    {'25-50': [29.26, 31.77], '50-100': [49.19, 54.0]}
    """
    if isinstance(ranges, (str, bytes)) or not isinstance(ranges, Sequence) or not ranges:
        raise ValueError(
            f"downtime_samples: ranges={ranges!r} must be a non-empty sequence of (lo, hi)"
        )
    labels = [range_label(_check_range(r, "downtime_samples")) for r in ranges]
    if len(set(labels)) != len(labels):
        raise ValueError(f"downtime_samples: ranges={list(ranges)!r} repeat a range")
    _check_int("trials", trials, "downtime_samples", 1)
    total = len(ranges) * trials
    return {
        label: election_downtime(
            r, trials, seed, progress=_part(progress, k * trials, total), **options
        )
        for k, (label, r) in enumerate(zip(labels, ranges, strict=True))
    }


def _part(
    progress: Callable[[int, int], None] | None, before: int, total: int
) -> Callable[[int, int], None] | None:
    """``progress`` for one part of a larger piece of work: ``before`` steps were done."""
    if progress is None:
        return None
    return lambda done, _part_total: progress(before + done, total)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def summarize(samples: Mapping[str, Sequence[float]]) -> Any:
    """Median, 90th percentile, maximum, mean and censored count of each range.

    Returns a pandas DataFrame indexed by range (ms), with ``inf`` where the
    statistic lies among censored trials.

    Examples
    --------
    >>> summarize({"12-24": [20.0, 30.0, 40.0, 50.0], "150-150": [math.inf] * 2})
    ... # doctest: +NORMALIZE_WHITESPACE
             trials  median   p90   max  mean  censored
    range
    12-24         4    30.0  50.0  50.0  35.0         0
    150-150       2     inf   inf   inf   inf         2
    """
    import pandas as pd

    rows = []
    for label, values in samples.items():
        if not values:
            raise ValueError(f"summarize: range {label!r} has no trials")
        rows.append(
            {
                "range": label,
                "trials": len(values),
                "median": percentile(values, 50),
                "p90": percentile(values, 90),
                "max": max(values),
                "mean": round(_mean(values), 2),
                "censored": sum(1 for v in values if math.isinf(v)),
            }
        )
    return pd.DataFrame(rows).set_index("range")


def timeout_experiment(
    ranges: Sequence[Range] = PAPER_RANGES,
    trials: int = 100,
    seed: int = 0,
    **options: Any,
) -> Any:
    """Run the experiment and summarize it: ``summarize(downtime_samples(...))``.

    Examples
    --------
    >>> timeout_experiment([(12, 24), (150, 300)], trials=5, seed=1)
    ... # doctest: +NORMALIZE_WHITESPACE
             trials  median     p90     max    mean  censored
    range
    12-24         5   52.61   71.87   71.87   51.82         0
    150-300       5  128.35  187.12  187.12  135.54         0
    """
    return summarize(downtime_samples(ranges, trials, seed, **options))


def _ours(values: Sequence[float], statistic: str) -> float:
    if statistic == "median":
        return percentile(values, 50)
    if statistic == "max":
        return max(values)
    if statistic == "mean":
        return _mean(values)
    return min(values)


def _ms(x: float, limit: float) -> str:
    return f"> {limit:g}" if math.isinf(x) else f"{x:.0f}"


def paper_table(samples: Mapping[str, Sequence[float]], limit: float = 10_000.0) -> Any:
    """Median and 90th percentile per range, beside what the paper states, as text.

    Columns: ``trials``, ``median``, ``p90`` and ``censored`` (ours, in ms,
    ``"> limit"`` where censored trials decide), ``paper`` (the figures of
    ``PAPER_FIGURES`` for the range) and ``ours`` (the same statistics, ours).

    Examples
    --------
    >>> table = paper_table({"150-155": [200.0, 300.0, 400.0], "150-150": [math.inf]})
    >>> print(table.to_string())  # doctest: +NORMALIZE_WHITESPACE
             trials   median      p90  censored               paper                ours
    range
    150-155       3      300      400         0       median 287 ms       median 300 ms
    150-150       1  > 10000  > 10000         1  every trial > 10 s  every trial > 10 s
    """
    import pandas as pd

    cap = _check_positive("limit", limit, "paper_table")
    rows = []
    for label, values in samples.items():
        figures = [f for f in PAPER_FIGURES if range_label(f.timeout) == label]
        ours = []
        for f in figures:
            x = _ours(values, f.statistic)
            if f.statistic == "min":
                ours.append(
                    f"every trial > {cap / 1000:g} s" if math.isinf(x) else f"min {x:.0f} ms"
                )
            else:
                ours.append(f"{f.statistic} {_ms(x, cap)} ms")
        rows.append(
            {
                "range": label,
                "trials": len(values),
                "median": _ms(percentile(values, 50), cap),
                "p90": _ms(percentile(values, 90), cap),
                "censored": sum(1 for v in values if math.isinf(v)),
                "paper": ", ".join(f.short for f in figures),
                "ours": ", ".join(ours),
            }
        )
    return pd.DataFrame(rows).set_index("range")


def paper_comparison(samples: Mapping[str, Sequence[float]]) -> Any:
    """Our median and 90th percentile per range beside those of Figure 16, with distances.

    The paper's values are read from its plot (``dslib.raft.figure16``: 1000
    trials per range, 100 for 150-150). Columns: ``trials`` (ours),
    ``paper median``, ``median`` (ours), ``median gap`` (ours minus the
    paper's, relative to the paper's: +0.10 is 10 % slower), ``paper p90``,
    ``p90`` (ours), and ``decile gap`` (the largest relative gap over the nine
    deciles, ``figure16.decile_distance``). Ranges that Figure 16 does not
    have are left out; ``inf`` marks statistics among censored trials.

    Examples
    --------
    >>> table = paper_comparison({"150-200": [146.3] * 3, "10-20": [30.0]})
    >>> print(table.to_string())  # doctest: +NORMALIZE_WHITESPACE
             trials  paper median  median  median gap  paper p90    p90  decile gap
    range
    150-200       3         146.3   146.3         0.0      193.4  146.3      0.3276
    """
    import pandas as pd

    from dslib.raft.figure16 import PAPER_DECILES, decile_distance

    if not isinstance(samples, Mapping):
        raise TypeError("paper_comparison: samples must be a mapping label -> list of ms")
    rows = []
    for label, values in samples.items():
        if label not in PAPER_DECILES:
            continue
        if not values:
            raise ValueError(f"paper_comparison: range {label!r} has no trials")
        paper = PAPER_DECILES[label]
        median = percentile(values, 50)
        rows.append(
            {
                "range": label,
                "trials": len(values),
                "paper median": paper[4],
                "median": median,
                "median gap": round((median - paper[4]) / paper[4], 3),
                "paper p90": paper[8],
                "p90": percentile(values, 90),
                "decile gap": decile_distance(label, values),
            }
        )
    if not rows:
        raise ValueError(f"paper_comparison: none of the ranges {list(samples)!r} is in Figure 16")
    return pd.DataFrame(rows).set_index("range")


# -- the figure --------------------------------------------------------------------------------
# One colour per range of Figure 16, the same in both panels.
_COLOURS = {
    "150-150": "#1b1b1b",
    "150-151": "#8e24aa",
    "150-155": "#c62828",
    "150-175": "#ef6c00",
    "150-200": "#2e7d32",
    "150-300": "#1f5fa8",
    "12-24": "#6d4c41",
    "25-50": "#00838f",
    "50-100": "#9e9d24",
    "100-200": "#d81b60",
}


def plot_downtime_cdfs(
    samples: Mapping[str, Sequence[float]], limit: float = 10_000.0, paper: bool = False
) -> Any:
    """Figure 16 redrawn: cumulative percent of trials against time without a leader.

    The top panel holds every range that is not in ``SCALE_RANGES`` (and
    150-300), on a logarithmic axis as in the paper; the bottom panel the
    ranges of ``SCALE_RANGES``, on a linear axis from 0 to 600 ms as in the
    paper. Censored trials never reach the curve: a curve that ends below 100%
    at ``limit`` (dashed) shows how many there were, and the legend counts them.
    With ``paper=True``, the deciles of the paper's own curves (read from its
    Figure 16, ``dslib.raft.figure16``) are drawn as dots of the same colour.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> plot_downtime_cdfs({"150-155": [120.0, 290.0], "12-24": [30.0, 35.0]})
    <Figure size 840x620 with 2 Axes>
    """
    from matplotlib.figure import Figure

    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("plot_downtime_cdfs: samples must be a non-empty mapping label -> list")
    cap = _check_positive("limit", limit, "plot_downtime_cdfs")
    scale = [range_label(r) for r in SCALE_RANGES]
    fig = Figure(figsize=(8.4, 6.2), dpi=100)
    top, bottom = fig.subplots(2, 1)
    panels = (
        (top, [k for k in samples if k not in scale or k == "150-300"]),
        (bottom, sorted((k for k in samples if k in scale), key=scale.index)),
    )
    for ax, labels in panels:
        for label in labels:
            values = sorted(v for v in samples[label] if not math.isinf(v))
            n = len(samples[label])
            xs = [1.0 if ax is top else 0.0, *values]
            ys = [0.0, *(100.0 * (i + 1) / n for i in range(len(values)))]
            if ax is top:  # carry the curve on to the limit, below 100% if censored
                xs.append(cap)
                ys.append(ys[-1])
            censored = n - len(values)
            name = f"{label} ms" + (f" ({censored}/{n} > {cap / 1000:g} s)" if censored else "")
            ax.step(xs, ys, where="post", label=name, linewidth=1.2, color=_COLOURS.get(label))
            if paper and label in PAPER_DECILES:
                ax.plot(
                    PAPER_DECILES[label],
                    range(10, 100, 10),
                    "o",
                    markersize=3.5,
                    markerfacecolor="white",
                    color=_COLOURS.get(label),
                )
        ax.set_ylim(0, 102)
        ax.set_ylabel("cumulative percent", fontsize=8)
        ax.tick_params(labelsize=8)
        if labels:
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
        ax.grid(True, linewidth=0.3, alpha=0.5)
    top.set_xscale("log")
    top.set_xlim(50, cap * 1.5)
    top.axvline(cap, color="0.4", linestyle="--", linewidth=0.8)
    top.set_title("more randomness (log scale; dashed: the limit)", fontsize=9)
    bottom.set_xlim(0, 600)
    bottom.set_title("the minimum timeout scaled", fontsize=9)
    bottom.set_xlabel(
        "time without leader (ms)" + ("; dots: the paper's deciles" if paper else ""), fontsize=8
    )
    fig.tight_layout()
    return fig
