"""Run one task per seed, here or on many processes or machines, with the same result.

A sweep is embarrassingly parallel: the run of seed 17 does not depend on the run
of seed 16. ``map_seeds(task, seeds, executor=...)`` calls ``task(seed)`` for every
seed and returns the results *in the order of the seeds*, whoever computed them, so
a table built from them is the same, byte for byte, with any executor and any
number of workers. The executor is one of

- ``None`` (the default): one after the other, in this process. Notebooks and
  tests use it: nothing to start, and a failure has its ordinary traceback.
- an int ``n``: ``n`` local worker processes (``concurrent.futures.ProcessPoolExecutor``
  started with ``spawn``; see Notes).
- a ``dask.distributed.Client``: the workers of a Dask cluster, on this machine
  (``LocalCluster``) or on many (``Client("tcp://scheduler:8786")``).
- a ``concurrent.futures.Executor`` that the caller made and keeps (it is not shut down).

Seeds travel in chunks (several seeds per message), which amortizes the cost of
sending a task to a worker over several runs.

Examples
--------
>>> map_seeds(lambda seed: seed * seed, range(5))
[0, 1, 4, 9, 16]
>>> map_seeds(lambda seed: seed, [3, 1, 2], executor=0)
Traceback (most recent call last):
...
ValueError: map_seeds: executor=0 asks for no workers; give None (run here), an int >= 1 \
(local processes), a dask.distributed.Client or a concurrent.futures.Executor
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import multiprocessing
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, TypeVar

__all__ = [
    "Executor",
    "check_executor",
    "map_seeds",
    "open_executor",
    "process_pool",
    "reproduction",
]

R = TypeVar("R")

Executor = Any
"""What ``executor=`` accepts: ``None``, an int >= 1, a ``dask.distributed.Client``,
or a ``concurrent.futures.Executor``."""

CHUNKS_PER_WORKER = 4
"""The default number of chunks per worker: enough that a worker that drew slow seeds
does not hold up the others at the end, few enough that messages stay rare."""

ALLOWED = (
    "give None (run here), an int >= 1 (local processes), a dask.distributed.Client "
    "or a concurrent.futures.Executor"
)


def _is_dask_client(executor: object) -> bool:
    kind = type(executor)
    return kind.__module__.startswith("distributed") and hasattr(executor, "submit")


def check_executor(executor: object, owner: str = "map_seeds") -> Executor:
    """``executor`` itself, if ``map_seeds`` can run on it.

    Parameters
    ----------
    executor : object
        What the caller passed as ``executor=``.
    owner : str, default "map_seeds"
        Who asks, for the message.

    Returns
    -------
    None, int, dask.distributed.Client or concurrent.futures.Executor
        ``executor`` unchanged.

    Raises
    ------
    ValueError
        If ``executor`` is an int below 1.
    TypeError
        If ``executor`` is of any other type (a bool or a float included).

    Examples
    --------
    >>> check_executor(2)
    2
    >>> check_executor("dask")
    Traceback (most recent call last):
    ...
    TypeError: map_seeds: executor='dask' is a str; give None (run here), an int >= 1 \
(local processes), a dask.distributed.Client or a concurrent.futures.Executor
    """
    if executor is None or isinstance(executor, cf.Executor) or _is_dask_client(executor):
        return executor
    if isinstance(executor, int) and not isinstance(executor, bool):
        if executor < 1:
            raise ValueError(f"{owner}: executor={executor!r} asks for no workers; {ALLOWED}")
        return executor
    raise TypeError(f"{owner}: executor={executor!r} is a {type(executor).__name__}; {ALLOWED}")


def process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A pool of ``workers`` local processes, started with ``spawn`` (see ``map_seeds``).

    ``map_seeds(task, seeds, executor=n)`` makes one and shuts it down; a script
    that runs many sweeps makes one with this and passes it to each, so that the
    workers start once.

    Parameters
    ----------
    workers : int
        How many processes; at least 1.

    Returns
    -------
    concurrent.futures.ProcessPoolExecutor
        Use it in a ``with`` block, so that it is shut down.

    Raises
    ------
    ValueError, TypeError
        If ``workers`` is not an int >= 1.

    Examples
    --------
    >>> with process_pool(2) as pool:
    ...     map_seeds(abs, [-3, 4, -5], pool)
    [3, 4, 5]
    """
    check_executor(workers, "process_pool")
    if workers is None or not isinstance(workers, int):
        raise TypeError(f"process_pool: workers={workers!r} must be an int >= 1")
    return cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor a script's ``--workers`` / ``--scheduler`` options ask for, shut down after.

    Parameters
    ----------
    workers : int, optional
        Local processes (``process_pool``); ``None`` or 1 with no scheduler: run here.
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``): connect a
        ``dask.distributed.Client`` to it. Not together with ``workers``.

    Yields
    ------
    None, concurrent.futures.ProcessPoolExecutor or dask.distributed.Client

    Raises
    ------
    ValueError
        If both are given, or ``workers`` is below 1.

    Examples
    --------
    >>> with open_executor() as executor:
    ...     map_seeds(abs, [-1, 2], executor)
    [1, 2]
    """
    if workers is not None and scheduler is not None:
        raise ValueError(
            f"open_executor: workers={workers!r} and scheduler={scheduler!r}: give one, "
            "local processes or a Dask cluster"
        )
    if scheduler is not None:
        from distributed import Client

        with Client(scheduler) as client:
            yield client
    elif workers is None or (check_executor(workers, "open_executor") == 1):
        yield None
    else:
        with process_pool(workers) as pool:
            yield pool


def reproduction(task: Callable[[int], Any], seed: int) -> str:
    """The call that runs ``task`` on ``seed`` alone, as Python text.

    A ``functools.partial`` shows its function and arguments, the seed last among
    the positional ones, as the task gets it.

    Examples
    --------
    >>> from functools import partial
    >>> from dslib.raft.timeouts import trial_seed
    >>> reproduction(partial(trial_seed, 3), 17)
    'dslib.raft.timeouts.trial_seed(3, 17)'
    """
    if isinstance(task, partial):
        args = [_name(a) for a in task.args] + [repr(seed)]
        args += [f"{k}={_name(v)}" for k, v in task.keywords.items()]
        return f"{_name(task.func)}({', '.join(args)})"
    return f"{_name(task)}({seed!r})"


def _name(value: object) -> str:
    if callable(value) and hasattr(value, "__qualname__") and hasattr(value, "__module__"):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def _run_chunk(task: Callable[[int], Any], seeds: Sequence[int]) -> list[tuple[bool, Any]]:
    """Run ``task`` on each seed of a chunk: ``(True, result)``, or ``(False, error)``
    for the first seed that raises (the chunk stops there)."""
    out: list[tuple[bool, Any]] = []
    for seed in seeds:
        try:
            out.append((True, task(seed)))
        except Exception as exc:
            exc.add_note(f"seed {seed}; reproduce: {reproduction(task, seed)}")
            out.append((False, exc))
            break
    return out


def _run_chunk_remote(blob: bytes, seeds: Sequence[int]) -> bytes:
    """``_run_chunk`` in a worker: the task comes as cloudpickle bytes, and an error goes
    back as an ``_ExceptionBox``, with the worker's traceback as a note. The results go
    back as cloudpickle bytes too, so that a result whose class a notebook or script
    defined (``__main__``) arrives, which ``pickle`` would refuse."""
    out = _run_chunk(_cloudpickle().loads(blob), seeds)
    if out and not out[-1][0]:
        exc = out[-1][1]
        exc.add_note("in the worker:\n" + "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        out[-1] = (False, _ExceptionBox.of(exc))
    return bytes(_cloudpickle().dumps(out))


class _ExceptionBox:
    """An exception on its way back from a worker.

    ``pickle`` rebuilds an exception by calling its class with ``args``, which fails
    for a class whose ``__init__`` takes other arguments (``CheckError(check,
    message)``). The box carries the class, ``args`` and attributes, and ``open``
    rebuilds the exception without calling ``__init__``. Attributes that do not
    pickle are left out; an exception whose class does not pickle comes back as a
    ``RuntimeError`` with its text.
    """

    def __init__(
        self, kind: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
    ) -> None:
        self.kind, self.args, self.state = kind, args, state

    @classmethod
    def of(cls, exc: BaseException) -> _ExceptionBox:
        state = {k: v for k, v in vars(exc).items() if _pickles(v)}
        box = cls(type(exc), exc.args, state)
        if _pickles(box):
            return box
        notes = list(getattr(exc, "__notes__", []))
        return cls(RuntimeError, (f"{type(exc).__name__}: {exc}",), {"__notes__": notes})

    def open(self) -> BaseException:
        exc = self.kind.__new__(self.kind)
        exc.args = self.args
        exc.__dict__.update(self.state)
        return exc


def _pickles(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def _cloudpickle() -> Any:
    """``cloudpickle`` (a dependency of dask): it pickles lambdas and functions of a
    notebook or script by value, which ``pickle`` cannot send to another process."""
    import cloudpickle  # type: ignore[import-untyped]

    return cloudpickle


def _chunks(seeds: list[int], workers: int, chunksize: int | None) -> list[list[int]]:
    size = chunksize or max(1, math.ceil(len(seeds) / (CHUNKS_PER_WORKER * workers)))
    return [seeds[i : i + size] for i in range(0, len(seeds), size)]


def _workers(executor: Executor) -> int:
    if executor is None:
        return 1
    if isinstance(executor, int):
        return executor
    if isinstance(executor, cf.Executor):
        return int(getattr(executor, "_max_workers", 1) or 1)
    return max(1, sum(executor.nthreads().values()))


def map_seeds(
    task: Callable[[int], R],
    seeds: Iterable[int],
    executor: Executor = None,
    *,
    stop: Callable[[R], bool] | None = None,
    progress: bool | Callable[[int, int], None] = False,
    chunksize: int | None = None,
    owner: str = "map_seeds",
) -> list[R]:
    """``[task(seed) for seed in seeds]``, computed by ``executor``, in the seeds' order.

    Parameters
    ----------
    task : callable
        Takes a seed, returns something picklable. It must depend on nothing but
        its arguments (no state left behind by an earlier call): each worker is a
        fresh interpreter. Sent to workers with ``cloudpickle``, so a lambda or a
        function defined in a notebook works too; whatever it uses must be
        importable (the same dslib) on every worker.
    seeds : iterable of int
        The seeds, in the order of the result.
    executor : None, int, dask.distributed.Client or concurrent.futures.Executor
        Who runs the tasks (see the module's text). ``None`` runs them here.
    stop : callable, optional
        ``stop(result)`` true means: stop at this seed. The result ends with the
        first such result in the seeds' order; later seeds may have run (on
        other workers) but are dropped, so the result does not depend on the
        executor.
    progress : bool or callable, default False
        ``True`` shows a ``tqdm`` bar; a callable is called as
        ``progress(done, total)`` (seeds) after each chunk. Off by default: a
        notebook's stored output must not change from run to run.
    chunksize : int, optional
        Seeds per message to a worker; default: the seeds split in
        ``CHUNKS_PER_WORKER`` chunks per worker.
    owner : str, default "map_seeds"
        The caller's name, for error messages.

    Returns
    -------
    list
        ``task(seed)`` for each seed, in the order of ``seeds`` (up to the first
        ``stop``).

    Raises
    ------
    TypeError
        If ``task`` is not callable, a seed is not an int, or ``executor`` is of
        a type this function cannot use.
    ValueError
        If ``executor`` is an int below 1 or ``chunksize`` is not an int >= 1.
    Exception
        The first exception (in the seeds' order) that ``task`` raised, with a
        note naming its seed and the call that reproduces it (and, from a worker,
        the worker's traceback). Seeds after it are not run or are dropped.

    Notes
    -----
    Local processes start with ``spawn``: each worker is a new interpreter that
    imports dslib, rather than a ``fork`` copy of this one. A fork copies a
    process's threads' locks in whatever state they were, and a Jupyter kernel
    and pytest-xdist both run threads, so a fork there can hang; ``spawn`` works
    in both, and on every operating system. It costs the time a new interpreter
    takes to import what the task needs, paid once per call (or once per
    ``process_pool`` that several calls share).

    Identical results need tasks that depend only on the seed and their
    arguments. dslib's simulations do: a run draws every random choice from its
    seed and never lets the iteration order of a set of strings (which changes
    with ``PYTHONHASHSEED``, and so between workers) reach its output.

    Examples
    --------
    >>> map_seeds(lambda s: s % 3, range(6), stop=lambda r: r == 2)
    [0, 1, 2]
    >>> map_seeds(lambda s: 1 / (s - 2), range(4))
    Traceback (most recent call last):
    ...
    ZeroDivisionError: division by zero
    seed 2; reproduce: dslib.testing.executors.<lambda>(2)
    """
    if not callable(task):
        raise TypeError(f"{owner}: task={task!r} must be callable")
    check_executor(executor, owner)
    if chunksize is not None and not (
        isinstance(chunksize, int) and not isinstance(chunksize, bool) and chunksize >= 1
    ):
        raise ValueError(f"{owner}: chunksize={chunksize!r} must be an int >= 1 or None")
    chosen = list(seeds)
    for seed in chosen:
        if not (isinstance(seed, int) and not isinstance(seed, bool)):
            raise TypeError(f"{owner}: seed {seed!r} is not an int")
    report = _progress(progress, len(chosen))
    try:
        if executor is None or not chosen:
            return _serial(task, chosen, stop, report)
        return _parallel(task, chosen, executor, stop, report, chunksize)
    finally:
        report(-1)


def _progress(progress: bool | Callable[[int, int], None], total: int) -> Callable[[int], None]:
    """A function of seeds just done (-1: finished) that reports progress."""
    if callable(progress):
        done = [0]

        def call(n: int) -> None:
            if n >= 0:
                done[0] += n
                progress(done[0], total)

        return call
    if not isinstance(progress, bool):
        raise TypeError(f"progress={progress!r} must be a bool or a callable (done, total)")
    if not progress:
        return lambda n: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc="seeds")

    def show(n: int) -> None:
        if n >= 0:
            bar.update(n)
        else:
            bar.close()

    return show


def _serial(
    task: Callable[[int], R],
    seeds: list[int],
    stop: Callable[[R], bool] | None,
    report: Callable[[int], None],
) -> list[R]:
    out = []
    for seed in seeds:
        [(ok, value)] = _run_chunk(task, [seed])
        if not ok:
            raise value
        out.append(value)
        report(1)
        if stop is not None and stop(value):
            break
    return out


def _parallel(
    task: Callable[[int], R],
    seeds: list[int],
    executor: Executor,
    stop: Callable[[R], bool] | None,
    report: Callable[[int], None],
    chunksize: int | None,
) -> list[R]:
    blob = _cloudpickle().dumps(task)
    chunks = _chunks(seeds, _workers(executor), chunksize)
    own = isinstance(executor, int)
    pool: Any = process_pool(executor) if own else executor
    dask = _is_dask_client(pool)
    futures: list[Any] = []
    try:
        if dask:
            from distributed import as_completed

            futures = [pool.submit(_run_chunk_remote, blob, c, pure=False) for c in chunks]
            completed: Iterable[Any] = as_completed(futures)
        else:
            futures = [pool.submit(_run_chunk_remote, blob, c) for c in chunks]
            completed = cf.as_completed(futures)
        index = {id(f): i for i, f in enumerate(futures)}
        results: dict[int, list[tuple[bool, Any]]] = {}
        cutoff = len(chunks)  # chunks after the first one that stops are not needed
        for future in completed:
            i = index[id(future)]
            if i > cutoff:
                continue
            try:
                results[i] = _cloudpickle().loads(future.result())
            except BaseException as exc:  # the worker died, or the chunk could not be sent
                exc.add_note(f"seeds {chunks[i][0]}..{chunks[i][-1]} were running there")
                raise
            report(len(results[i]))
            if _stops(results[i], stop):
                cutoff = min(cutoff, i)
                for later in futures[i + 1 :]:
                    later.cancel()
            if all(j in results for j in range(min(cutoff + 1, len(chunks)))):
                break
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
        elif dask:
            pool.cancel([f for f in futures if not f.done()])
    out: list[R] = []
    for i in range(min(cutoff + 1, len(chunks))):
        for ok, value in results[i]:
            if not ok:
                raise value.open()
            out.append(value)
            if stop is not None and stop(value):
                return out
    return out


def _stops(chunk: list[tuple[bool, Any]], stop: Callable[[Any], bool] | None) -> bool:
    return any(not ok or (stop is not None and stop(value)) for ok, value in chunk)
