"""The checks of chapter 12, and the broken variants they must catch (the mutant table).

A ``ReplicationVariant`` names one version of each protocol of the chapter:
the ABD read (a mutant of ``abd.MUTANTS`` or none), the quorum sizes, the primary-backup
server (a mutant of ``primary_backup.MUTANTS`` or none), the CRDT counter and the chain's
server (a mutant of ``chain.MUTANTS`` or none). The correct variant is
``ReplicationVariant()``; each mutant changes one thing:

- ``no-write-back``: ABD reads return without writing back (``abd_mutant="no_write_back"``);
- ``R+W<=N``: quorums of 1 out of 3 presented as strong consistency;
- ``summing-merge``: a G-counter whose merge adds (not idempotent);
- ``ack-before-backup``: the primary acknowledges before the backup has the write;
- ``restart-amnesia``: a restarted server cannot tell that it ran before, and
  serves the first view again from an empty store;
- ``stale-transfer``: the backup installs a resent, stale copy of the state;
- ``no-lease``: the chain's tail answers reads without a lease (``chain_mutant="no_lease"``).

The last two primary-backup mutants are bugs that a seeded sweep
(``benchmarks/sweep_replication.py``) found in an earlier version. Their
minimal schedules are ``PB_SCHEDULES``, replayed by ``pb_schedule_run``: the
restart schedule as ``dslib.testing.find_bug`` shrank it; the resent-transfer
schedule cut by hand from the trace of seed 342 (``find_bug`` did not reach it
in 3,000 runs: it needs some 30 steps in one order), each step checked with
``dslib.testing.Stepper``.

``faulty_run`` makes the seeded runs under random faults that the tests and the
sweep use, and ``faulty_run_verdict`` checks what the chapter claims of each store.

``replication_checks()`` returns the checks by name, each a function of a
variant returning an ``Outcome``; ``replication_mutant_report()`` runs them all
(``dslib.mutants.run_mutants``).

Examples
--------
>>> checks = replication_checks(seeds=4)
>>> sorted(checks)[:3]
['ABD: linearizable under random faults', 'ABD: new-old inversion scenario', \
'CRDT: merge laws (hypothesis)']
>>> checks["z3: read and write quorums intersect"](ReplicationVariant(quorums=(3, 1, 1))).ok
False
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from dslib.mutants import (
    Mutant,
    MutantReport,
    Outcome,
    check_mutant,
    deprecated_spelling,
    run_mutants,
)
from dslib.replication.abd import MUTANTS as ABD_MUTANTS
from dslib.replication.abd import (
    ReadDecision,
    abd_read_decision,
    abd_system,
    default_register_workloads,
    inversion_scenario,
    no_write_back,
)
from dslib.replication.chain import MUTANTS as CHAIN_MUTANTS
from dslib.replication.chain import lease_scenario
from dslib.replication.crdts import check_merge_laws, crdt_convergence, crdt_system
from dslib.replication.primary_backup import partition_scenario
from dslib.sim.nemesis import RandomNemesis
from dslib.sim.network import Network, exponential
from dslib.sim.simulator import Simulation

if TYPE_CHECKING:
    from dslib.testing.executors import Executor

__all__ = [
    "FAULT_KINDS",
    "PB_SCHEDULES",
    "STORES",
    "ReplicationVariant",
    "faulty_run",
    "faulty_run_verdict",
    "pb_schedule_run",
    "replication_checks",
    "replication_mutant_report",
    "replication_mutants",
]


@dataclass(frozen=True)
class ReplicationVariant:
    """One version of each protocol of chapter 12 (the default: all correct).

    ``read_decision`` is an exercise's ABD read; ``abd_mutant``, ``pb_mutant`` and
    ``chain_mutant`` name broken versions from the ``MUTANTS`` of ``abd``,
    ``primary_backup`` and ``chain``. The old spellings ``read_decision=no_write_back`` and
    ``chain_lease=math.inf`` still work for one release, with a ``DeprecationWarning``.

    Examples
    --------
    >>> ReplicationVariant().quorums
    (3, 2, 2)
    """

    read_decision: ReadDecision = abd_read_decision
    quorums: tuple[int, int, int] = (3, 2, 2)
    pb_mutant: str | None = None
    counter: str = "g-counter"
    chain_lease: float = 10.0
    chain_mutant: str | None = None
    abd_mutant: str | None = None

    def __post_init__(self) -> None:
        check_mutant("ReplicationVariant: chain_mutant", self.chain_mutant, CHAIN_MUTANTS)
        check_mutant("ReplicationVariant: abd_mutant", self.abd_mutant, ABD_MUTANTS)
        if self.read_decision is no_write_back:  # the old spelling of abd_mutant="no_write_back"
            deprecated_spelling(
                "ReplicationVariant(read_decision=no_write_back)",
                "ReplicationVariant(abd_mutant='no_write_back')",
                stacklevel=4,
            )
            object.__setattr__(self, "read_decision", abd_read_decision)
            object.__setattr__(self, "abd_mutant", "no_write_back")
        if self.chain_lease == math.inf:  # the old spelling of chain_mutant="no_lease"
            deprecated_spelling(
                "ReplicationVariant(chain_lease=math.inf)",
                "ReplicationVariant(chain_mutant='no_lease')",
                stacklevel=4,
            )
            object.__setattr__(self, "chain_lease", 10.0)
            object.__setattr__(self, "chain_mutant", "no_lease")


def _linearizable(history: Any, model: Any) -> Outcome:
    from dslib.consistency import check_linearizable

    result = check_linearizable(history, model)
    if result.ok:
        return Outcome(True)
    return Outcome(False, len(result.minimal) if result.minimal else None)


def replication_checks(
    seeds: int = 20, *, executor: Executor = None
) -> dict[str, Callable[[ReplicationVariant], Outcome]]:
    """The chapter's checks by name, each a function of a ``ReplicationVariant``.

    Parameters
    ----------
    seeds : int, default 20
        How many seeded runs with random partitions and crashes the ABD check
        makes (seeds 0 to ``seeds - 1``; it stops at the first that fails).
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs those seeds (``dslib.testing.executors.map_seeds``): ``None``
        here, ``n`` local processes, or the workers of a Dask cluster. The
        outcomes are the same whichever runs them; the other checks run here.

    Returns
    -------
    dict
        Check name to a function of a ``ReplicationVariant`` returning an ``Outcome``.

    Raises
    ------
    ValueError
        If ``seeds`` is not an int >= 1, or ``executor`` an int below 1.
    TypeError
        If ``executor`` is of a type that cannot run seeds.

    Examples
    --------
    >>> check = replication_checks(seeds=2)["CRDT: merge laws (hypothesis)"]
    >>> check(ReplicationVariant()).ok
    True
    >>> replication_checks(seeds=4)["ABD: linearizable under random faults"](ReplicationVariant())
    Outcome(ok=True, counterexample_length=None, detail='4 seeds')
    """
    if not (isinstance(seeds, int) and seeds >= 1):
        raise ValueError(f"replication_checks: seeds={seeds!r} must be an int >= 1")
    from dslib.consistency import KeyValue, Register
    from dslib.testing.executors import check_executor, map_seeds

    check_executor(executor, "replication_checks")

    def inversion(v: ReplicationVariant) -> Outcome:
        n, r, w = v.quorums
        if n != 3:
            return Outcome(True, None, "the scenario has 3 replicas")
        sim = inversion_scenario(v.read_decision, r, w, v.abd_mutant).run()
        return _linearizable(sim.history, Register())

    def random_faults(v: ReplicationVariant) -> Outcome:
        task = partial(_abd_random_faults, v)
        outcomes = map_seeds(
            task, range(seeds), executor, stop=lambda out: not out.ok, owner="replication_checks"
        )
        if not outcomes[-1].ok:
            return outcomes[-1]
        return Outcome(True, None, f"{seeds} seeds")

    def quorums_intersect(v: ReplicationVariant) -> Outcome:
        from dslib.replication.pbs import intersection

        n, r, w = v.quorums
        result = intersection(n, r, w)
        if result.holds:
            return Outcome(True)
        a, b = result.witness
        return Outcome(False, len(a) + len(b), repr(result))

    def pb_partition(v: ReplicationVariant) -> Outcome:
        sim = partition_scenario(v.pb_mutant).run(until=400.0)
        return _linearizable(sim.history, KeyValue())

    def pb_restart(v: ReplicationVariant) -> Outcome:
        return _linearizable(pb_schedule_run("restart", v.pb_mutant).history, KeyValue())

    def pb_resent_transfer(v: ReplicationVariant) -> Outcome:
        return _linearizable(pb_schedule_run("resent-transfer", v.pb_mutant).history, KeyValue())

    def chain_partition(v: ReplicationVariant) -> Outcome:
        sim = lease_scenario(v.chain_lease, v.chain_mutant).run(until=300.0)
        return _linearizable(sim.history, KeyValue())

    def merge_laws(v: ReplicationVariant) -> Outcome:
        return check_merge_laws(v.counter, max_examples=50)

    def converge(v: ReplicationVariant) -> Outcome:
        sim = Simulation(crdt_system(v.counter, gossip_until=200.0), seed=1)
        sim.at(10.0, lambda s: s.partition(("c1", "r1"), ("c2", "c3", "r2", "r3")))
        sim.at(60.0, lambda s: s.heal())
        return crdt_convergence(sim.run())

    return {
        "ABD: new-old inversion scenario": inversion,
        "ABD: linearizable under random faults": random_faults,
        "z3: read and write quorums intersect": quorums_intersect,
        "primary-backup: partition scenario": pb_partition,
        "primary-backup: restart schedule": pb_restart,
        "primary-backup: resent-transfer schedule": pb_resent_transfer,
        "chain: partition isolates the tail": chain_partition,
        "CRDT: merge laws (hypothesis)": merge_laws,
        "CRDT: replicas converge": converge,
    }


def _abd_random_faults(v: ReplicationVariant, seed: int) -> Outcome:
    """One seed of the check "ABD: linearizable under random faults" (a ``map_seeds`` task)."""
    from dslib.consistency import Register

    n, r, w = v.quorums
    sim = faulty_run(
        "abd",
        seed,
        ("partition", "crash"),
        replicas=n,
        read_quorum=r,
        write_quorum=w,
        read_decision=v.read_decision,
        mutant=v.abd_mutant,
    )
    out = _linearizable(sim.history, Register())
    return out if out.ok else Outcome(False, out.counterexample_length, f"seed {seed}")


def replication_mutants() -> list[Mutant[ReplicationVariant]]:
    """The mutants of chapter 12, each with the checks that must catch it.

    >>> [m.name for m in replication_mutants()]
    ['no-write-back', 'R+W<=N', 'summing-merge', 'ack-before-backup', 'restart-amnesia', \
'stale-transfer', 'no-lease']
    """
    return [
        Mutant(
            "no-write-back",
            "ABD read returns the newest value of a majority without writing it back",
            lambda: ReplicationVariant(abd_mutant="no_write_back"),
            ("ABD: new-old inversion scenario",),
        ),
        Mutant(
            "R+W<=N",
            "read and write quorums of 1 of 3 presented as strong consistency",
            lambda: ReplicationVariant(quorums=(3, 1, 1)),
            ("ABD: linearizable under random faults", "z3: read and write quorums intersect"),
        ),
        Mutant(
            "summing-merge",
            "a G-counter merge that adds the entries: not idempotent",
            lambda: ReplicationVariant(counter="summing-g-counter"),
            ("CRDT: merge laws (hypothesis)", "CRDT: replicas converge"),
        ),
        Mutant(
            "ack-before-backup",
            "the primary acknowledges a write before the backup has it",
            lambda: ReplicationVariant(pb_mutant="ack_before_backup"),
            ("primary-backup: partition scenario",),
        ),
        Mutant(
            "restart-amnesia",
            "a restarted server, unaware that it ran before, serves view 1 from an empty store",
            lambda: ReplicationVariant(pb_mutant="restart_amnesia"),
            ("primary-backup: restart schedule",),
        ),
        Mutant(
            "stale-transfer",
            "the backup installs a resent copy of the state older than the writes it applied since",
            lambda: ReplicationVariant(pb_mutant="stale_transfer"),
            ("primary-backup: resent-transfer schedule",),
        ),
        Mutant(
            "no-lease",
            "the chain's tail answers reads without a lease from the master",
            lambda: ReplicationVariant(chain_mutant="no_lease"),
            ("chain: partition isolates the tail",),
        ),
    ]


def replication_mutant_report(seeds: int = 20, *, executor: Executor = None) -> MutantReport:
    """Run every check on the correct variant and on each mutant.

    ``seeds`` and ``executor`` go to ``replication_checks``.

    >>> report = replication_mutant_report(seeds=10)
    >>> report.ok
    True
    """
    checks = replication_checks(seeds, executor=executor)
    return run_mutants(ReplicationVariant, replication_mutants(), checks)


# == seeded runs under random faults (the tests and benchmarks/sweep_replication.py) ============
STORES: tuple[str, ...] = ("primary-backup", "chain", "abd", "dynamo")
"""The stores ``faulty_run`` knows, in the chapter's order."""

FAULT_KINDS: tuple[tuple[str, ...], ...] = (("crash",), ("partition",), ("crash", "partition"))
"""The fault kinds of the chapter's randomized tests (``RandomNemesis`` kinds)."""


_FAULTY_RUNS: dict[str, tuple[float, float, float, float, float, float]] = {
    "primary-backup": (250, 30, 50, 2.0, 0.0, 800.0),
    "chain": (250, 40, 30, 2.0, 0.0, 800.0),
    "abd": (150, 30, 20, 3.0, 0.05, 400.0),
    "dynamo": (150, 30, 25, 2.0, 0.0, 700.0),
}
"""Per store: faults until, their mean interval and duration, the mean latency, the
message loss, and how long the run lasts (``faulty_run``)."""


def faulty_run(
    store: str, seed: int, kinds: tuple[str, ...] = ("crash", "partition"), **options: Any
) -> Simulation:
    """One seeded run of a chapter-12 store under random faults, as the tests make it.

    Three clients (five nodes for Dynamo, three servers otherwise); faults
    (``RandomNemesis``) hit the servers only, each undone after a while (a
    crashed server restarts with what it persisted). Primary-backup and chain
    run ten key-value operations per client with exponential latencies; ABD
    eight register operations over a network that also loses 5 % of messages;
    Dynamo its default workload.

    Parameters
    ----------
    store : {"primary-backup", "chain", "abd", "dynamo"}
    seed : int
        The simulation's seed: the same seed, the same run.
    kinds : tuple of str, default ("crash", "partition")
        The nemesis' fault kinds (see ``FAULT_KINDS``).
    **options
        Passed to the store's system builder (``mutant=`` for primary-backup, chain and
        ABD, ``lease=`` for chain, ``read_quorum=``/``write_quorum=`` for ABD,
        ``resolve=`` for Dynamo, ...).

    Returns
    -------
    Simulation
        The finished run; judge it with ``faulty_run_verdict``.

    Raises
    ------
    ValueError
        If ``store`` is not one of ``STORES``.

    Examples
    --------
    >>> sim = faulty_run("chain", seed=3, kinds=("crash",))
    >>> faulty_run_verdict("chain", sim).ok
    True
    """
    from dslib.replication.chain import chain_system
    from dslib.replication.dynamo import dynamo_system
    from dslib.replication.primary_backup import default_kv_workloads, primary_backup_system

    servers: tuple[str, ...] = ("s1", "s2", "s3")
    if store in ("primary-backup", "chain"):
        build = primary_backup_system if store == "primary-backup" else chain_system
        loads = default_kv_workloads(3, 10)
        system = build(clients=3, workloads=loads, think=(5.0, 20.0), **options)
    elif store == "abd":
        replicas = options.pop("replicas", 3)
        system = abd_system(replicas, 3, default_register_workloads(3, 8), **options)
        servers = tuple(f"s{i}" for i in range(1, replicas + 1))
    elif store == "dynamo":
        system = dynamo_system(nodes=5, clients=3, **options)
        servers = tuple(f"n{i}" for i in range(1, 6))
    else:
        raise ValueError(f"faulty_run: unknown store {store!r}; allowed: {list(STORES)}")
    faults, mean_interval, duration, latency, loss, until = _FAULTY_RUNS[store]
    nemesis = RandomNemesis(
        until=faults, kinds=kinds, mean_interval=mean_interval, duration=duration, nodes=servers
    )
    network = Network(latency=exponential(latency), loss=loss)
    sim = Simulation(system, seed=seed, network=network, nemesis=nemesis)
    return sim.run(until=until)


def _show(op: Any) -> str:
    """``c2 put('x', 5) -> 5``: an operation of a history, in one short line."""
    args = [repr(op.key)] if op.key is not None else []
    if op.f in ("put", "write"):
        args.append(repr(op.value))
    return f"{op.process} {op.f}({', '.join(args)}) -> {op.result!r}"


def faulty_run_verdict(store: str, sim: Simulation) -> Outcome:
    """What the chapter claims for ``store``, checked on a finished run.

    Primary-backup, chain and ABD claim linearizability (a key-value model;
    a register for ABD). The Dynamo-style store claims only eventual
    consistency: once faults stop and replication finishes, every home
    replica of a key holds the same versions and no hint is left over
    (``dynamo_convergence``); it makes no linearizability claim.

    Parameters
    ----------
    store : {"primary-backup", "chain", "abd", "dynamo"}
    sim : Simulation
        A finished run (``faulty_run``).

    Returns
    -------
    Outcome
        ``ok``, and a counterexample length and detail when not.

    Raises
    ------
    ValueError
        If ``store`` is not one of ``STORES``.

    Examples
    --------
    >>> faulty_run_verdict("abd", faulty_run("abd", seed=1)).ok
    True
    """
    from dslib.consistency import KeyValue, Register, check_linearizable

    if store in ("primary-backup", "chain", "abd"):
        result = check_linearizable(sim.history, Register() if store == "abd" else KeyValue())
        if result.ok:
            return Outcome(True)
        ops = result.minimal or ()
        return Outcome(False, len(ops) or None, "not linearizable: " + "; ".join(map(_show, ops)))
    if store == "dynamo":
        from dslib.replication.dynamo import dynamo_convergence

        if sim.crashed:
            return Outcome(False, None, f"still crashed at the end: {sorted(sim.crashed)}")
        return dynamo_convergence(sim)
    raise ValueError(f"faulty_run_verdict: unknown store {store!r}; allowed: {list(STORES)}")


# == the schedules of two primary-backup bugs (see the module docstring) =======================
def _restart_schedule() -> list[Any]:
    """One server: view 1 makes s1 primary; put(x, 1) is answered; s1 crashes and restarts
    empty; asked again, the view service still says view 1; get(x) goes to s1."""
    from dslib.replication.primary_backup import Ping, View, ViewReply
    from dslib.sim.clients import Reply, Request
    from dslib.testing import Crash, Deliver, Fire, Invoke, Restart

    view_1 = ViewReply(View(1, "s1", None))
    return [
        Deliver("s1", "vs", Ping(0)),  # the view service learns that s1 is alive
        Crash("s1"),  # find_bug's detour: a restart before any view is harmless
        Fire("vs", "tick"),  # view 1: s1 primary, no backup yet
        Restart("s1"),
        Deliver("s1", "vs", Ping(0)),  # answered with view 1
        Invoke("c1"),
        Deliver("vs", "s1", view_1),  # s1 is primary of view 1 (and writes 1 to its disk)
        Deliver("c1", "s1", Request("c1", 1, "put", "x", 1)),
        Deliver("s1", "c1", Reply(1, True, 1)),  # put(x, 1) is acknowledged
        Crash("s1"),  # its store is lost
        Invoke("c1"),
        Restart("s1"),
        Deliver("s1", "vs", Ping(0)),  # the correct s1 says Ping(0, forgotten=1)
        Deliver("vs", "s1", view_1),  # view 1 again: the broken s1 takes it, empty
        Deliver("c1", "s1", Request("c1", 2, "get", "x", None)),
        Deliver("s1", "c1", Reply(2, True, None)),  # the broken s1 answers get(x) -> None
    ]


def _resent_transfer_schedule() -> list[Any]:
    """Two servers: view 2 makes s2 the backup of s1; s1 sends its state (Transfer), and
    resends it at its next ping before TransferOk is back; s2 installs the first copy, then
    applies put(x, 1), which is acknowledged; the resent copy arrives; s1 crashes."""
    from dslib.replication.primary_backup import (
        Forward,
        ForwardOk,
        Ping,
        Transfer,
        TransferOk,
        View,
        ViewReply,
    )
    from dslib.sim.clients import Reply, Request
    from dslib.testing import Crash, Deliver, Fire, Invoke

    view_2 = View(2, "s1", "s2")
    put = Request("c1", 1, "put", "x", 1)
    return [
        Deliver("s1", "vs", Ping(0)),
        Deliver("s2", "vs", Ping(0)),
        Fire("vs", "tick"),  # view 1: s1 primary, no backup
        Fire("s1", "ping"),
        Fire("s2", "ping"),
        Deliver("s1", "vs", Ping(0)),
        Deliver("vs", "s1", ViewReply(View(1, "s1", None))),
        Fire("vs", "tick"),
        Fire("s1", "ping"),
        Fire("s2", "ping"),
        Deliver("s1", "vs", Ping(1)),  # s1 acknowledges view 1
        Fire("vs", "tick"),  # view 2: s2 becomes the backup
        Fire("s1", "ping"),
        Fire("s2", "ping"),
        Deliver("s1", "vs", Ping(1)),
        Deliver("vs", "s1", ViewReply(view_2)),  # s1 sends Transfer (copy 1)
        Invoke("c1"),
        Deliver("c1", "s1", put),  # queued: the backup has no state yet
        Fire("vs", "tick"),
        Fire("s1", "ping"),  # no TransferOk yet: s1 resends Transfer (copy 2)
        Deliver("s1", "s2", Transfer(view_2, (), ())),  # s2 installs copy 1
        Deliver("s2", "s1", TransferOk(2)),
        Deliver("s1", "s2", Forward(2, put)),  # s2 applies put(x, 1)
        Deliver("s2", "s1", ForwardOk(2, "c1", 1)),
        Deliver("s1", "c1", Reply(1, True, 1)),  # put(x, 1) is acknowledged
        Deliver("s1", "s2", Transfer(view_2, (), ())),  # copy 2, late: the broken s2 installs it
        Fire("s1", "ping"),
        Deliver("s1", "vs", Ping(2)),  # s1 acknowledges view 2
        Crash("s1"),  # then the view service promotes s2, and c1 reads x from it
    ]


PB_SCHEDULES: dict[str, tuple[str, Callable[[], list[Any]]]] = {
    "restart": ("one server, one client: the primary of view 1 restarts", _restart_schedule),
    "resent-transfer": ("two servers: a resent Transfer arrives late", _resent_transfer_schedule),
}
"""The schedules of the two bugs a seeded sweep found, by name: a description and the steps."""


def pb_schedule_run(name: str, mutant: str | None = None, until: float = 200.0) -> Simulation:
    """Replay a schedule of ``PB_SCHEDULES`` step by step, then let the run go on to ``until``.

    A step the version at hand makes impossible is adapted or skipped: a
    message that is not in flight is replaced by the one of the same type on
    the same link (the correct server's ``Ping`` after a restart carries
    ``forgotten=1``), and a step with no such message is skipped (the
    correct server never sends the stale answer). Then the simulation runs on
    with the default network until ``until``, so that fail-over and retries
    happen.

    Parameters
    ----------
    name : {"restart", "resent-transfer"}
    mutant : str or None, default None
        Run the servers as this broken version (``primary_backup.MUTANTS``).
    until : float, default 200
        Simulated time at which the run stops.

    Returns
    -------
    Simulation

    Raises
    ------
    ValueError
        If ``name`` is not a schedule of ``PB_SCHEDULES``.

    Examples
    --------
    >>> from dslib.consistency import KeyValue, check_linearizable
    >>> sim = pb_schedule_run("restart", mutant="restart_amnesia")
    >>> [op.result for op in sim.history.operations()]
    [1, None]
    >>> check_linearizable(sim.history, KeyValue()).ok
    False
    >>> sim = pb_schedule_run("restart")
    >>> [op.status for op in sim.history.operations()]
    ['ok', 'info']
    """
    from dslib.replication.primary_backup import primary_backup_system
    from dslib.testing import Deliver, Stepper

    if name not in PB_SCHEDULES:
        raise ValueError(
            f"pb_schedule_run: unknown schedule {name!r}; allowed: {sorted(PB_SCHEDULES)}"
        )
    servers = 1 if name == "restart" else 2
    workload = [("put", "x", 1), ("get", "x", None)]
    system = primary_backup_system(servers=servers, clients=1, workloads=[workload], mutant=mutant)
    stepper = Stepper(system, timers="any")
    for step in PB_SCHEDULES[name][1]():
        if not stepper.allowed(step) and isinstance(step, Deliver):
            step = next(
                (
                    option
                    for option in stepper.options("deliver")
                    if (option.src, option.dst) == (step.src, step.dst)
                    and type(option.msg) is type(step.msg)
                ),
                step,
            )
        if stepper.allowed(step):
            stepper.apply(step)
    return stepper.sim.run(until=until)
