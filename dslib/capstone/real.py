"""The capstone store as real processes, under kill, pause and partition, with the same checks.

``dslib.capstone.shardkv`` is tested in the simulator; here the same nodes, unchanged,
run as operating-system processes on localhost (``dslib.runtime.Cluster``): the
controller's three Raft servers, three Raft servers per shard group, the admin that
changes the configuration, and the clients. A nemesis schedule drawn from the seed as
the simulator draws it (``dslib.capstone.jepsen.random_schedule``) kills
(``SIGKILL``) and restarts, pauses (``SIGSTOP``) and resumes servers, and partitions
the network through the cluster's proxy, while the admin moves shards between groups.

Then every fault is healed, the clients stop, and the run waits (bounded) until every
Raft group agrees and every group has reached the controller's latest configuration
with no shard in transit. The checks are the simulator's, from what real processes
can show (the final states and the clients' history; there is no trace):

- **linearizability** per key of the clients' history (``check_linearizable``);
- **no acknowledged append lost, none applied twice** in the final store
  (``shardkv.final_store`` and ``shardkv.lost_and_doubled``);
- **one home per shard per configuration**: every configuration a group ever
  installed is a command in its Raft log (the logs are never compacted here), so the
  logs of all servers, read at the end, hold every version of every configuration
  number that any group acted on; no two may give one shard to two groups;
- **the bank total**: bank clients move money between accounts on different shards, each
  transfer a two-phase commit across the groups; the final balances must sum to what the
  accounts opened with (``shardkv.bank_total``);
- **settled**: after the faults, every group at the latest configuration, every
  shard served by its owner there and by no one else;
- **Figure 3's safety properties** on each Raft group's final states.

A run is bounded in time: ``seconds`` of nemesis (longer only if a fault of the schedule
is due later, or came late because a restart was slow: every fault is applied, none
dropped), ``settle`` seconds healed, at most ``agree_timeout`` seconds waiting for
agreement.

Examples
--------
A run takes seconds of wall time and a dozen processes, so it is not a doctest:
``run_capstone(groups=2, clients=2, seconds=5.0)``, or from the shell
``python -m dslib.capstone.real --seconds 10``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dslib.capstone.jepsen import (
    KINDS,
    Progress,
    RealRun,
    _loop,
    _reporter,
    history_stats,
    random_schedule,
)
from dslib.capstone.shardkv import (
    CONTROLLER,
    KV_FS,
    admin_schedule,
    bank_total,
    final_store,
    group_servers,
    lost_and_doubled,
    shardkv_system,
)
from dslib.consistency import KeyValue, check_linearizable
from dslib.raft.core import SAFETY_PROPERTIES, Command, RaftState, leaders
from dslib.runtime import Cluster, NemesisPlayer
from dslib.sharding.controller import Config
from dslib.sharding.store import ServerState
from dslib.sim.history import History
from dslib.sim.nemesis import Fault

__all__ = [
    "agreed",
    "configs_in_logs",
    "main",
    "one_home_in_logs",
    "run_capstone",
    "settled_states",
]


def configs_in_logs(
    states: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> dict[int, dict[Config, tuple[str, ...]]]:
    """Every configuration that a group's servers have in their Raft logs (committed or
    not: a server acts on an entry only once it is committed, but an entry not committed
    yet shows what a leader proposed), by number, with the groups that hold it.

    Examples
    --------
    >>> from dslib.raft.core import Entry
    >>> c1 = Config(1, ("g1", "g1"), ("g1",))
    >>> s = RaftState(log=(Entry(1, Command("g1-1", 1, ("config", c1))),))
    >>> configs_in_logs({"g1-1": s}, {"g1": ["g1-1"]})
    {1: {Config(num=1, shards=('g1', 'g1'), groups=('g1',)): ('g1',)}}
    """
    seen: dict[int, dict[Config, set[str]]] = {}
    for group, servers in sorted(groups.items()):
        for server in servers:
            state = states.get(server)
            if not isinstance(state, RaftState):
                continue
            if state.snapshot is not None:
                raise ValueError(
                    f"configs_in_logs: {server} compacted its log (a snapshot): the "
                    "configurations before it are gone; run without snapshot_every"
                )
            for entry in state.log:
                op = entry.command.op if isinstance(entry.command, Command) else None
                if isinstance(op, tuple) and len(op) == 2 and op[0] == "config":
                    seen.setdefault(op[1].num, {}).setdefault(op[1], set()).add(group)
    return {
        n: {c: tuple(sorted(gs)) for c, gs in sorted(by.items(), key=lambda x: repr(x[0]))}
        for n, by in sorted(seen.items())
    }


def one_home_in_logs(
    states: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """The (configuration, shard) pairs that two versions of one configuration number give
    to two groups, as messages (empty: every shard had one home).

    Examples
    --------
    >>> from dslib.raft.core import Entry
    >>> a, b = Config(1, ("g1", "g2"), ("g1", "g2")), Config(1, ("g1", "g1"), ("g1", "g2"))
    >>> log = lambda c: RaftState(log=(Entry(1, Command("x", 1, ("config", c))),))
    >>> one_home_in_logs({"g1-1": log(a), "g2-1": log(b)}, {"g1": ["g1-1"], "g2": ["g2-1"]})
    ("shard 1 in configuration 1: groups ['g1', 'g2']",)
    """
    problems = []
    for num, versions in configs_in_logs(states, groups).items():
        configs = list(versions)
        for shard in range(len(configs[0].shards)):
            owners = sorted({str(c.shards[shard]) for c in configs})
            if len(owners) > 1:
                problems.append(f"shard {shard} in configuration {num}: groups {owners}")
    return tuple(problems)


def _lead(states: Mapping[str, Any], servers: Sequence[str]) -> RaftState | None:
    up = {s: states[s] for s in servers if isinstance(states.get(s), RaftState)}
    current = leaders(up)
    return up[current[max(current)][0]] if current else None


def _configs(state: RaftState) -> tuple[Config, ...]:
    configs: Any = state.machine
    return tuple(configs)


def _group_state(state: RaftState) -> ServerState:
    machine: Any = state.machine
    if not isinstance(machine, ServerState):
        raise TypeError(f"a shard group's machine should be a ServerState, not {machine!r}")
    return machine


def agreed(states: Mapping[str, Any], groups: Mapping[str, Sequence[str]]) -> bool:
    """Whether every Raft group (the controller's included) has one leader that all its
    servers follow, all having applied the same prefix, and every shard group has reached
    the controller's latest configuration with no shard leaving or pulling."""
    every: dict[str, tuple[str, ...]] = {"ctrl": tuple(CONTROLLER)}
    every.update((g, tuple(s)) for g, s in groups.items())
    for group in every.values():
        raft = [states.get(s) for s in group]
        applied = {(r.commit_index, r.last_applied) for r in raft if isinstance(r, RaftState)}
        whole = all(isinstance(r, RaftState) for r in raft)
        if not whole or len(applied) != 1 or _lead(states, group) is None:
            return False
    ctrl = _lead(states, CONTROLLER)
    assert ctrl is not None
    latest: Config = _configs(ctrl)[-1]
    for servers in groups.values():
        lead = _lead(states, servers)
        assert lead is not None
        m = _group_state(lead)
        if m.config != latest or m.migrating():
            return False
    return True


def settled_states(
    states: Mapping[str, Any], groups: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """What is not as it must be once the faults are over (empty: settled): every group at
    the controller's latest configuration, every shard served by its owner and held by no
    other group."""
    ctrl = _lead(states, CONTROLLER)
    if ctrl is None:
        return ("the controller has no leader",)
    latest = _configs(ctrl)[-1]
    problems = []
    for g in sorted(groups):
        lead = _lead(states, groups[g])
        if lead is None:
            problems.append(f"group {g} has no leader")
            continue
        m = _group_state(lead)
        if m.config != latest:
            problems.append(f"group {g} is at configuration {m.config.num} of {latest.num}")
            continue
        for i, shard in enumerate(m.shards):
            mine = latest.shards[i] == g
            if (shard.status == "serving") != mine or (not mine and shard.status != "absent"):
                problems.append(f"group {g} holds shard {i} as {shard.status}")
    return tuple(problems)


def run_capstone(
    groups: int = 2,
    clients: int = 2,
    seconds: float = 6.0,
    *,
    bank: int = 1,
    transfers: int = 10,
    seed: int = 0,
    shards: int = 4,
    keys: int = 2,
    kinds: Sequence[str] = KINDS,
    mean_interval: float = 1200.0,
    duration: float = 600.0,
    changes: bool = True,
    settle: float = 2.0,
    agree_timeout: float = 20.0,
    schedule: Sequence[tuple[float, Fault]] | None = None,
    mutant: str | None = None,
    progress: Progress = False,
    directory: str | Path | None = None,
    time_limit: float | None = 60.0,
) -> RealRun:
    """The capstone store on real processes under a nemesis and configuration changes, checked.

    Parameters
    ----------
    groups, clients : int
        Shard groups (three servers each) and clients.
    bank : int, default 1
        Bank clients (``b1..``), whose transfers between accounts on different shards
        are two-phase commits across the groups; judged by ``shardkv.bank_total``.
    transfers : int, default 10
        Transfers per bank client; the run waits (up to ``agree_timeout``) until the bank
        clients have finished them before it stops the clients.
    seconds : float, default 6
        How long the nemesis and the admin act.
    seed : int
        Seeds the workload, the changes, the nodes' timers and the nemesis.
    shards, keys : int
        Shards, and keys of each kind (append keys ``a0..``, register keys ``r0..``).
    kinds, mean_interval, duration
        The nemesis's episodes (``"crash"``, ``"pause"``, ``"partition"``) and their
        timing in ms (``jepsen.random_schedule``); they hit the Raft servers only.
    changes : bool, default True
        Let the admin join, leave and move (``shardkv.admin_schedule``) while the
        nemesis acts; False: the groups join at the start and stay.
    settle : float, default 2
        Seconds the healed cluster serves the clients before they stop.
    agree_timeout : float, default 20
        Seconds to wait for every group to agree and reach the latest configuration.
    schedule : sequence of (float, Fault), optional
        A fixed fault schedule (times in ms) instead of the random one.
    mutant : str, optional
        A name of ``shardkv.MUTANTS``.
    progress : bool or callable
        As ``jepsen.run_raft``'s.
    directory : path, optional
        Where the cluster's temporary directory goes.
    time_limit : float or None
        Seconds the linearizability check may take.

    Returns
    -------
    RealRun
        ``broken`` lists what the one-home, settled and Figure 3 checks found.

    Raises
    ------
    ValueError
        For an unknown kind of fault, or fewer shards than groups.
    TimeoutError
        If the healed cluster does not agree within ``agree_timeout``.
    NodeProcessError
        If a node's process fails.
    """
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"run_capstone: kinds {bad}; choose from {list(KINDS)}")
    if not (isinstance(shards, int) and isinstance(groups, int) and 1 <= groups <= shards):
        raise ValueError(
            f"run_capstone: groups={groups!r}, shards={shards!r}; give 1 <= groups <= shards"
        )
    names = [f"g{i}" for i in range(1, groups + 1)]
    until = seconds * 1000.0
    admin = (
        admin_schedule(seed, names, shards, until - 500.0, every=(600.0, 1200.0))
        if changes
        else [(0.0, ("join", g)) for g in names]
    )
    system = shardkv_system(
        seed,
        groups=groups,
        clients=clients,
        ops=max(50, int(seconds * 100)),
        shards=shards,
        keys=keys,
        schedule=admin,
        mutant=mutant,
        think=(0.0, 20.0),
        bank=bank,
        transfers=transfers,
    )
    servers = {g: group_servers(g) for g in names}
    raft_servers = [*CONTROLLER, *(s for g in names for s in servers[g])]
    ids = sorted(system.ids)
    if schedule is None:
        schedule = random_schedule(ids, raft_servers, until, seed, kinds, mean_interval, duration)
    report = _reporter(progress)
    with Cluster(system, seed=seed, proxy=True, directory=directory, timeout=60.0) as cluster:
        player = NemesisPlayer(cluster, schedule)

        def line(_elapsed: float) -> str:
            counts = cluster.record_counts()
            down = [i for i in raft_servers if cluster.status(i) != "running"]
            return f"ok {counts['ok']:6d}  info {counts['info']:4d}  down {down}"

        start = _loop(seconds, player, report, line)
        player.recover(raft_servers)
        time.sleep(settle)
        # A bank client stopped in the middle of a transfer would leave its two-phase
        # commit half done (locks held, money in flight): let every bank client finish
        # its transfers first (bounded), then stop everyone.
        payers = {b: len(getattr(system.nodes[b], "workload", ())) for b in ids if b[0] == "b"}
        cluster.wait_until(
            lambda s: all(s[b].next_op >= n and not s[b].waiting for b, n in payers.items()),
            timeout=agree_timeout,
        )
        for node in ids:
            if node not in raft_servers:
                cluster.crash(node)  # the clients and the admin stop; open operations stay open
        elapsed = time.monotonic() - start
        states = cluster.wait_until(lambda s: agreed(s, servers), timeout=agree_timeout)
        history = cluster.history()
    broken = [*one_home_in_logs(states, servers), *settled_states(states, servers)]
    for g, group in [("ctrl", CONTROLLER), *servers.items()]:
        raft = {s: states[s] for s in group}
        broken += [f"{g}: {p.__name__}" for p in SAFETY_PROPERTIES if not p(raft)]
    final = final_store(states, servers)
    if bank:
        total = bank_total(final)
        broken += [] if total.ok else [f"bank total: {total.detail}"]
    lost, doubled = lost_and_doubled(history, final)
    # Transfers are judged by the bank total; the key-value operations by linearizability.
    kv_history = History([e for e in history if e.f in KV_FS])
    result = check_linearizable(kv_history, KeyValue(), time_limit=time_limit)
    name = f"capstone {groups} groups, {clients} clients, {bank} bank " + (
        "client" if bank == 1 else "clients"
    )
    return RealRun(
        name if mutant is None else f"{name}, mutant {mutant}",
        history,
        result,
        lost,
        doubled,
        tuple(player.applied),
        elapsed,
        history_stats(history),
        tuple(broken),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dslib.capstone.real``: one run from the shell; 0 if every check passed."""
    parser = argparse.ArgumentParser(
        prog="python -m dslib.capstone.real",
        description="The capstone store as real processes under kill, pause and partition.",
    )
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mutant", default=None)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    run = run_capstone(
        args.groups,
        args.clients,
        args.seconds,
        seed=args.seed,
        mutant=args.mutant,
        progress=not args.quiet,
    )
    print(run.summary())
    print(run.result.explain())
    for problem in run.broken:
        print(f"broken: {problem}")
    return 0 if run.verdict == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
