"""Multi-Paxos and Raft side by side: the same clients, network and faults on both.

``compare`` runs ``dslib.consensus.multipaxos``'s store and ``dslib.raft``'s store
on the same workloads, seeds and network, with the timing that corresponds set
alike, and measures what a user of each would see:

- **messages per committed command**: every message sent (clients' requests and
  replies included, heartbeats included) up to the last answer, over the
  commands committed;
- **commit latency**: from a client's invocation to its answer, in simulated
  milliseconds (p50 and p99 over every answered command);
- **unavailability after a leader crash**: in the ``leader crash`` scenario the
  leader crashes 500 ms in, and this is how long until some client gets an
  answer that was sent after the crash.

What is set alike: five servers; three clients (``dslib.raft.kv.RaftClient``,
the same class on both sides) with the same write-only workloads, 10 ms think
time, 60 ms timeout; latency uniform on 1-5 ms; election timeouts drawn from
150-300 ms and heartbeats every 50 ms on both; the clients start at 400 ms,
after the first election.

Where the two differ (and the numbers show it): Raft piggybacks the commit
index on its next AppendEntries, while this Multi-Paxos sends a ``Decision`` to
every server as soon as a slot is chosen, as "Paxos Made Moderately Complex"
does; Raft may send several entries in one AppendEntries, this Multi-Paxos one
slot per ``P2a``. Both put every command through the log here (the workload has
no reads, so Raft's read index plays no part).

``concepts`` is the dictionary between the two: ballot and term, phase 1 and the
election, and so on (Ongaro and Ousterhout, section 11, and "Paxos Made Moderately
Complex", section 5).

References
----------
.. [1] D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus
   Algorithm (Extended Version)", 2014: sections 5 (Raft), 8 (clients, the no-op)
   and 11 (related work: Raft beside Multi-Paxos).
.. [2] R. van Renesse and D. Altinbuken, "Paxos Made Moderately Complex", 2015,
   sections 3 and 5.
.. [3] L. Lamport, "Paxos Made Simple", 2001, section 3.

Examples
--------
>>> df = compare(seeds=range(2))
>>> list(df.index.names), list(df.columns)[:3]
(['protocol', 'scenario'], ['runs', 'commands', 'messages per command'])
"""

from __future__ import annotations

import statistics
from collections.abc import Hashable, Sequence
from typing import Any

from dslib.consensus.multipaxos import MultiPaxosServer, P1a, current_leader
from dslib.core import Node, System
from dslib.raft.core import RaftConfig, RaftNode, RequestVote, leaders
from dslib.raft.kv import KVMachine, RaftClient, kv_workload
from dslib.sim import Network, Simulation, uniform

__all__ = [
    "CRASH_AT",
    "PROTOCOLS",
    "SCENARIOS",
    "START",
    "compare",
    "concepts",
    "measure",
    "workload",
]

PROTOCOLS = ("multi-paxos", "raft")
"""The two stores compared."""

SCENARIOS = ("fault-free", "leader crash")
"""The two scenarios: no faults; the leader crashes at ``CRASH_AT`` ms and stays down."""

START = 400.0
"""When the clients start (ms): after the first election (a timeout of at most
300 ms, then a round trip), so that latencies measure commits, not the start-up."""

CRASH_AT = 800.0
"""When the leader crashes in the ``leader crash`` scenario (ms), while the clients
are busy."""

MAX_LATENCY = 5.0
"""The network's largest one-way latency (ms): an answer that arrives later than this
after the crash was sent after it."""


def workload(seed: int, n: int, client: str) -> list[tuple[str, Hashable, Any]]:
    """``n`` writes for ``client``: the puts, cas and appends of ``kv_workload``, no gets.

    Examples
    --------
    >>> [op[0] for op in workload(3, 4, "c1")]
    ['append', 'put', 'append', 'put']
    """
    if not (isinstance(n, int) and not isinstance(n, bool) and n >= 0):
        raise ValueError(f"workload: n={n!r} must be an int >= 0")
    ops = [op for op in kv_workload(seed, 4 * n + 8, client) if op[0] != "get"]
    if len(ops) < n:  # pragma: no cover - two thirds of the draws are writes
        raise ValueError(f"workload: seed {seed} drew too few writes")
    return ops[:n]


def _system(protocol: str, seed: int, servers: int, clients: int, ops: int) -> System:
    ids = tuple(f"s{i}" for i in range(1, servers + 1))
    server: Node[Any]
    if protocol == "multi-paxos":
        server = MultiPaxosServer(ids, election_timeout=(150.0, 300.0), heartbeat=50.0)
    else:
        config = RaftConfig(
            election_timeout=(150.0, 300.0),
            heartbeat_interval=50.0,
            servers=ids,
            machine=KVMachine(),
        )
        server = RaftNode(config)
    nodes: dict[str, Node[Any]] = {s: server for s in ids}
    for c in range(1, clients + 1):
        cid = f"c{c}"
        nodes[cid] = RaftClient(
            ids, workload(seed, ops, cid), timeout=60.0, think=10.0, start=START
        )
    return System(nodes)


def _leader(protocol: str, states: Any) -> str | None:
    if protocol == "multi-paxos":
        return current_leader(states)
    current = leaders(states)
    return current[max(current)][0] if current else None


def measure(
    protocol: str,
    scenario: str,
    seed: int,
    *,
    servers: int = 5,
    clients: int = 3,
    ops: int = 30,
) -> dict[str, Any]:
    """One run of ``protocol`` in ``scenario``: its messages, latencies and downtime.

    Parameters
    ----------
    protocol : {"multi-paxos", "raft"}
    scenario : {"fault-free", "leader crash"}
    seed : int
        Seeds the simulation and the workloads (the same on both protocols).
    servers, clients, ops : int, default 5, 3, 30
        Cluster size, clients, commands per client.

    Returns
    -------
    dict
        ``commands`` (answered), ``messages``, ``latencies`` (ms, one per command)
        ``unavailable`` (ms after the crash until the first answer sent after
        it) and ``rounds`` (how many election rounds were started in that time:
        distinct terms of RequestVote, or distinct rounds of ballots of P1a); both
        None in the fault-free scenario.

    Raises
    ------
    ValueError
        For an unknown protocol or scenario.

    Examples
    --------
    >>> m = measure("raft", "leader crash", 0)
    >>> m["commands"], m["unavailable"] > 150
    (90, True)
    """
    if protocol not in PROTOCOLS:
        raise ValueError(f"measure: protocol={protocol!r}; choose one of {list(PROTOCOLS)}")
    if scenario not in SCENARIOS:
        raise ValueError(f"measure: scenario={scenario!r}; choose one of {list(SCENARIOS)}")
    system = _system(protocol, seed, servers, clients, ops)
    sim = Simulation(system, seed=seed, network=Network(latency=uniform(1.0, MAX_LATENCY)))
    if scenario == "leader crash":

        def crash_leader(s: Simulation) -> None:
            leader = _leader(protocol, s.states)
            if leader is not None:
                s.crash(leader)

        sim.at(CRASH_AT, crash_leader)
    client_ids = [c for c in system.ids if c.startswith("c")]
    horizon = 100.0 * ops + 2000.0
    while sim.now < horizon and any(
        sim.states[c].next_op < ops or sim.states[c].waiting for c in client_ids
    ):
        sim.run(until=sim.now + 100.0)
    done = [op for op in sim.history.operations() if op.status == "ok"]
    last = max((op.complete_time for op in done), default=0.0)
    messages = sum(1 for e in sim.trace.of_kind("send") if e.time <= last)
    unavailable = rounds = None
    if scenario == "leader crash":
        after = [op.complete_time for op in done if op.complete_time > CRASH_AT + MAX_LATENCY]
        unavailable = min(after) - CRASH_AT if after else None
        end = CRASH_AT + (unavailable if unavailable is not None else horizon)
        rounds = len(
            {
                e.data.term if isinstance(e.data, RequestVote) else e.data.ballot.round
                for e in sim.trace.of_kind("send")
                if CRASH_AT < e.time < end and isinstance(e.data, (RequestVote, P1a))
            }
        )
    return {
        "commands": len(done),
        "messages": messages,
        "latencies": [op.complete_time - op.invoke_time for op in done],
        "unavailable": unavailable,
        "rounds": rounds,
    }


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def compare(
    seeds: Sequence[int] = range(10),
    *,
    servers: int = 5,
    clients: int = 3,
    ops: int = 30,
) -> Any:
    """Both protocols in both scenarios on the same seeds: one row each.

    Parameters
    ----------
    seeds : sequence of int, default range(10)
    servers, clients, ops : int, default 5, 3, 30

    Returns
    -------
    pandas.DataFrame
        Indexed by protocol and scenario: ``runs``, ``commands`` (answered, all
        runs), ``messages per command``, ``p50 latency (ms)``, ``p99 latency (ms)``
        (over every command of every run), and for the crash,
        ``unavailable, median (ms)`` and ``unavailable, max (ms)`` over the runs, and
        ``runs with a 2nd election round`` (NaN in the fault-free rows).

    Raises
    ------
    ValueError
        If ``seeds`` is empty.

    Examples
    --------
    >>> df = compare(seeds=range(3))
    >>> int(df.loc[("multi-paxos", "fault-free"), "commands"])
    270
    """
    import pandas as pd

    seeds = list(seeds)
    if not seeds:
        raise ValueError("compare: seeds is empty; give at least one seed")
    rows = []
    for protocol in PROTOCOLS:
        for scenario in SCENARIOS:
            runs = [
                measure(protocol, scenario, s, servers=servers, clients=clients, ops=ops)
                for s in seeds
            ]
            latencies = [x for r in runs for x in r["latencies"]]
            commands = sum(r["commands"] for r in runs)
            down = [r["unavailable"] for r in runs if r["unavailable"] is not None]
            rounds = [r["rounds"] for r in runs if r["rounds"] is not None]
            rows.append(
                {
                    "protocol": protocol,
                    "scenario": scenario,
                    "runs": len(runs),
                    "commands": commands,
                    "messages per command": round(
                        sum(r["messages"] for r in runs) / max(commands, 1), 1
                    ),
                    "p50 latency (ms)": round(_quantile(latencies, 0.5), 1),
                    "p99 latency (ms)": round(_quantile(latencies, 0.99), 1),
                    "unavailable, median (ms)": round(statistics.median(down), 1) if down else None,
                    "unavailable, max (ms)": round(max(down), 1) if down else None,
                    "runs with a 2nd election round": sum(n > 1 for n in rounds)
                    if rounds
                    else None,
                }
            )
    return pd.DataFrame(rows).set_index(["protocol", "scenario"])


_CONCEPTS = [
    (
        "who leads",
        "the proposer of the highest ballot; a ballot is (round, server)",
        "the leader of the highest term; one leader per term (votes)",
        "both numbers order leaders; Paxos makes them unique by adding the server's id",
    ),
    (
        "becoming leader",
        "phase 1: P1a to all, a majority of P1b promises, once for every slot",
        "election: RequestVote to all, a majority of votes",
        "both run once per leader, not per command",
    ),
    (
        "what the new leader learns",
        "every acceptor's vote in every slot from the first it has not learned",
        "nothing: a vote goes only to a candidate whose log is at least as up to date",
        "Raft's election restriction (section 5.4.1) makes the leader's log the truth",
    ),
    (
        "recovery on leader change",
        "re-propose the highest-ballot vote of each slot, fill the gaps with no-ops",
        "the leader's log wins: followers' conflicting entries are overwritten",
        "Paxos repairs per slot; Raft repairs whole suffixes (section 5.3)",
    ),
    (
        "committing a command",
        "phase 2 per slot: P2a, a majority of P2b",
        "AppendEntries, a majority of matching replies",
        "the same majority round trip; AppendEntries also checks the log's prefix",
    ),
    (
        "holes in the log",
        "allowed: slots may be chosen out of order, applied in order",
        "none: entries are appended and committed in order",
        "Paxos may decide slot 7 before slot 6; Raft never",
    ),
    (
        "telling the others",
        "Decision (learners), here sent as soon as a slot is chosen",
        "the commit index, piggybacked on the next AppendEntries",
        "this is most of the gap in messages per command",
    ),
    (
        "an old leader's entries",
        "chosen values survive in any ballot: P2c re-proposes them",
        "committed only by counting replicas of the current term (Figure 8)",
        "a new Raft leader commits them indirectly, via its no-op",
    ),
    (
        "the no-op",
        "fills a gap nobody voted in, so later slots can be applied",
        "appended at the start of a term, to commit the previous terms' entries",
        "same name, different job (Raft section 8)",
    ),
    (
        "durable state",
        "promised ballot and votes",
        "currentTerm, votedFor and the log",
        "both must write before answering",
    ),
    (
        "leader election",
        "not part of the algorithm (section 2.4: any way to pick one)",
        "part of it: randomized timeouts (section 5.2)",
        "here both use Raft's timeouts, for a fair comparison",
    ),
]


def concepts() -> Any:
    """The dictionary between Multi-Paxos and Raft, one concept a row.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``concept``, columns ``Multi-Paxos``, ``Raft`` and ``note``.

    Examples
    --------
    >>> concepts().loc["becoming leader", "Raft"]
    'election: RequestVote to all, a majority of votes'
    """
    import pandas as pd

    return pd.DataFrame(_CONCEPTS, columns=["concept", "Multi-Paxos", "Raft", "note"]).set_index(
        "concept"
    )
