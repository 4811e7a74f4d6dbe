"""Seeded sweeps: many simulations, one per seed, and a table of what happened in each.

``find_bug`` lets hypothesis choose every step. A *sweep* is the other way to
test under faults, the one most test suites use: run the ordinary seeded
simulator (``dslib.sim``) with a nemesis, once per seed, and check each run.
Each seed gives a different run (latencies, losses, the nemesis' schedule),
and the same seed always gives the same run, so a failing seed is a
reproducible bug report: ``Simulation(system_factory(), seed=...)``.

Because seeds are independent, a long sweep scales out: ``executor=2`` runs it on
two local processes, ``executor=Client("tcp://scheduler:8786")`` on a Dask
cluster (``dslib.testing.executors``), and the table is the same, row for row.

``sweep`` returns a pandas DataFrame with one row per seed: the seed, how many
faults the nemesis applied, how many operations the clients completed, how
many events the run took, and the verdict.

Examples
--------
>>> from dslib.consistency import Register, check_linearizable
>>> from dslib.small_systems.registers import primary_backup
>>> from dslib.sim import RandomNemesis
>>> crashes = RandomNemesis(until=60.0, kinds=("crash",), mean_interval=20.0,
...                         nodes=("primary", "backup"))
>>> table = sweep(primary_backup, seeds=range(5), nemesis=crashes,
...               consistency=lambda h: check_linearizable(h, Register()))
>>> list(table.columns)
['seed', 'faults', 'operations', 'events', 'verdict', 'violated', 'detail']
>>> table[["seed", "faults", "operations", "verdict"]].to_dict("list")
{'seed': [0, 1, 2, 3, 4], 'faults': [4, 0, 2, 4, 6], 'operations': [4, 4, 4, 4, 4], \
'verdict': ['ok', 'ok', 'ok', 'ok', 'ok']}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from dslib.core import System, stable_repr
from dslib.mutants import Outcome
from dslib.sim.history import History
from dslib.sim.nemesis import Nemesis
from dslib.sim.network import Network
from dslib.sim.simulator import Simulation
from dslib.testing.executors import Executor, map_seeds
from dslib.testing.machine import CheckError, Violation, _named, check_signature, run_check

__all__ = ["first_failure", "run_seed", "sweep", "sweep_check"]

FAULT_ENTRIES = ("crash", "restart", "pause", "fault")
"""Trace entries that count as faults in a sweep's ``faults`` column."""


def _takes_seed(factory: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in params
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(required) == 1


def run_seed(
    system_factory: Callable[..., System],
    seed: int,
    nemesis: Nemesis | Callable[[int], Nemesis | None] | None = None,
    network: Network | None = None,
    until: float = 500.0,
    invariants: Any = (),
) -> tuple[Simulation, Violation | None]:
    """Run one seeded simulation; return it and the first invariant violation (or ``None``).

    With invariants, the run goes one event at a time and stops at the first
    violation; without, it runs to ``until`` in one go.

    >>> from dslib.small_systems.registers import primary_backup
    >>> sim, violation = run_seed(primary_backup, 1)
    >>> len(sim.history.operations()), violation
    (4, None)
    """
    system = system_factory(seed) if _takes_seed(system_factory) else system_factory()
    if not isinstance(system, System):
        raise TypeError(f"sweep: system_factory returned {type(system).__name__}, not a System")
    chosen = nemesis(seed) if callable(nemesis) and not isinstance(nemesis, Nemesis) else nemesis
    sim = Simulation(system, seed=seed, network=network, nemesis=chosen)
    try:
        return sim, _run(sim, until, _named(invariants))
    except Exception as exc:
        exc.sim = sim  # type: ignore[attr-defined]
        raise


def _run(sim: Simulation, until: float, checks: Any) -> Violation | None:
    if not checks:
        sim.run(until=until)
        return None
    while True:
        before = sim.events
        sim.run(until=until, max_events=1)
        states = sim.states
        for name, check in checks:
            where = f"at time {sim.now:g}"
            ok, text = run_check(f"invariant {name!r}", check, states, where)
            if not ok:
                return Violation(name, text or f"at time {sim.now}: states {stable_repr(states)}")
        if sim.events == before:
            return None


def sweep(
    system_factory: Callable[..., System],
    seeds: Iterable[int] = range(100),
    nemesis: Nemesis | Callable[[int], Nemesis | None] | None = None,
    check: Callable[[Simulation], Any] | None = None,
    *,
    consistency: Callable[[History], Any] | None = None,
    invariants: Any = (),
    network: Network | None = None,
    until: float = 500.0,
    stop_at_first: bool = False,
    progress: bool | Callable[[int, int], None] = False,
    executor: Executor = None,
) -> Any:
    """Run one seeded simulation per seed, check each, and tabulate the outcomes.

    Parameters
    ----------
    system_factory : callable
        Returns a fresh ``System``; if it takes one argument, it gets the seed
        (to draw a workload from it, say).
    seeds : iterable of int, default range(100)
    nemesis : Nemesis, RandomNemesis, or callable, optional
        The faults: the same nemesis for every seed (a ``RandomNemesis`` draws
        a different schedule from each seed), or a function of the seed.
    check : callable, optional
        Takes the finished ``Simulation``; returns a bool or an object with a
        boolean ``ok``.
    consistency : callable, optional
        Takes the run's ``History`` (e.g. a linearizability check).
    invariants : function, sequence or mapping of functions
        Checked on ``sim.states`` after every event (slower: one event at a time).
    network : Network, optional
    until : float, default 500
        Simulated time at which each run stops.
    stop_at_first : bool, default False
        Stop after the first seed that fails.
    progress : bool or callable, default False
        Show a progress bar (``tqdm.auto``), or call ``progress(done, total)``
        as seeds finish. Off by default: a notebook's stored output must not
        change from run to run.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the seeds (``dslib.testing.executors.map_seeds``): ``None``
        here, one after the other; ``n`` local processes; or the workers of a
        Dask cluster. The table is the same whichever runs it. With an
        executor, everything the sweep is given must pickle (``cloudpickle``:
        lambdas do).

    Returns
    -------
    pandas.DataFrame
        Columns ``seed``, ``faults`` (fault events the nemesis applied),
        ``operations`` (client operations invoked), ``events`` (events the run
        handled), ``verdict`` (``"ok"``, ``"violation"`` or ``"error"``),
        ``violated`` (the failing check) and ``detail`` (its first line).

    Raises
    ------
    TypeError
        If ``system_factory``, ``check`` or ``consistency`` is not callable, a
        seed is not an int, or ``executor`` is of a type that cannot run seeds.
    ValueError
        If ``until`` is not a positive number, or ``executor`` an int below 1.
    CheckError
        If ``check``, ``consistency`` or an invariant cannot take one argument, or
        raises, or returns neither a bool nor an object with a boolean ``ok``.
    """
    if not callable(system_factory):
        raise TypeError(f"sweep: system_factory={system_factory!r} must be callable")
    for name, fn in (("check", check), ("consistency", consistency)):
        if fn is not None and not callable(fn):
            raise TypeError(f"sweep: {name}={fn!r} must be callable or None")
        if fn is not None:
            check_signature(name, fn)
    if not (isinstance(until, (int, float)) and not isinstance(until, bool) and until > 0):
        raise ValueError(f"sweep: until={until!r} must be a number > 0")
    import pandas as pd

    task = partial(
        _sweep_row, system_factory, nemesis, network, until, invariants, consistency, check
    )
    rows = map_seeds(
        task,
        seeds,
        executor,
        stop=(lambda row: row["verdict"] != "ok") if stop_at_first else None,
        progress=progress,
        owner="sweep",
    )
    columns = ["seed", "faults", "operations", "events", "verdict", "violated", "detail"]
    return pd.DataFrame(rows, columns=columns)


def _sweep_row(
    system_factory: Callable[..., System],
    nemesis: Nemesis | Callable[[int], Nemesis | None] | None,
    network: Network | None,
    until: float,
    invariants: Any,
    consistency: Callable[[History], Any] | None,
    check: Callable[[Simulation], Any] | None,
    seed: int,
) -> dict[str, Any]:
    """One row of a sweep's table: run ``seed`` and check it (the task of ``map_seeds``)."""
    verdict_, violated, detail = "ok", "", ""
    sim: Simulation | None = None
    try:
        sim, violation = run_seed(system_factory, seed, nemesis, network, until, invariants)
        if violation is not None:
            verdict_, violated, detail = "violation", violation.property, violation.detail
        else:
            if consistency is not None:
                ok, text = run_check("consistency", consistency, sim.history, "at the end")
                if not ok:
                    verdict_, violated, detail = "violation", "consistency", text
            if verdict_ == "ok" and check is not None:
                ok, text = run_check("check", check, sim, "at the end")
                if not ok:
                    verdict_, violated, detail = "violation", "check", text
    except CheckError:
        raise  # an error in the reader's check, not in the system
    except Exception as exc:
        verdict_, violated, detail = "error", type(exc).__name__, str(exc)
        sim = getattr(exc, "sim", sim)
    return {
        "seed": seed,
        "faults": _faults(sim),
        "operations": len(sim.history.operations()) if sim is not None else 0,
        "events": sim.events if sim is not None else 0,
        "verdict": verdict_,
        "violated": violated,
        "detail": detail.strip().splitlines()[0] if detail.strip() else "",
    }


def _faults(sim: Simulation | None) -> int:
    if sim is None:
        return 0
    return sum(1 for e in sim.trace if e.kind in FAULT_ENTRIES)


def first_failure(table: Any) -> Any:
    """The first row of a sweep's table whose verdict is not ``ok`` (``None`` if none).

    >>> import pandas as pd
    >>> t = pd.DataFrame({"seed": [0, 1], "verdict": ["ok", "violation"]})
    >>> int(first_failure(t)["seed"])
    1
    """
    bad = table[table["verdict"] != "ok"]
    return None if bad.empty else bad.iloc[0]


def sweep_check(
    seeds: Iterable[int] = range(200), **kwargs: Any
) -> Callable[[Callable[..., System]], Outcome]:
    """A check for ``dslib.mutants``: sweep a system factory, fail at the first failing seed.

    Keyword arguments go to ``sweep``. The result's ``ok`` says that every
    seed passed; its ``counterexample_length`` is the number of events of the
    first failing run, and ``detail`` names its seed.

    >>> from dslib.small_systems.registers import primary_backup
    >>> check = sweep_check(seeds=range(3), check=lambda sim: sim.now < 1000)
    >>> check(primary_backup)
    Outcome(ok=True, counterexample_length=None, detail='3 seeds passed')
    """
    chosen = list(seeds)

    def check(system_factory: Callable[..., System]) -> Outcome:
        table = sweep(system_factory, chosen, stop_at_first=True, **kwargs)
        bad = first_failure(table)
        if bad is None:
            return Outcome(True, None, f"{len(table)} seeds passed")
        return Outcome(False, int(bad["events"]), f"seed {int(bad['seed'])}: {bad['violated']}")

    return check
