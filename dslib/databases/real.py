"""A real PostgreSQL and DuckDB under the book's isolation checker (chapter 8, section 5).

The simulated store of sections 8.2 and 8.3 implements each isolation level as the
papers describe it. Here the same transactions run on two real databases, and the same
checker (``dslib.consistency.isolation.check_isolation``) judges what they did:

- **PostgreSQL 16**, started by this module for the reader: an embedded server from PyPI
  (``pgserver``) in a temporary data directory, reachable only through a Unix socket, one
  per Python process, started on first use and stopped and deleted at exit
  (``postgres()``); driven with ``psycopg`` at ``READ COMMITTED``, ``REPEATABLE READ``
  and ``SERIALIZABLE``;
- **DuckDB**, in process, at its only level (multi-version storage; a second writer of a
  row fails at once with a conflict error instead of waiting).

Both keep the list-append workload of Elle in one table ``lists(key, vals)`` whose
``vals`` is an array: an append is one ``INSERT ... ON CONFLICT (key) DO UPDATE`` that
concatenates (a write of one row), a read is a ``SELECT`` of the row, a scan is a
``SELECT`` over a range of keys (a predicate read, recorded as a read of every key of the
range, an absent key read as the empty list).

Two ways to run transactions:

``run_interleaving(script, engine, level)``
    one connection per transaction, all driven from one thread, step by step, in the order
    the script gives (``"T1 r x; T2 r x; T1 append x 1; ..."``). A statement that has to
    wait for a lock is seen waiting (``pg_blocking_pids``, never a timeout guess); the
    transaction's later steps queue behind it, as a real client's would, and the other
    transactions go on. So what PostgreSQL does is determined by the script: the same
    script gives the same history, waits and serialization failures on every run.
    ``CATALOGUE`` holds the anomalies of section 8.2 as scripts.
``run_workload(engine, level, ...)``
    several client threads with their own connections run random list-append
    transactions over a few keys: real concurrency, so the counts vary between runs;
    what is asserted is only what is determined (at ``SERIALIZABLE`` the checker never finds
    an anomaly; at every level the history meets what the level promises).

Errors are classified by their SQLSTATE: ``40001`` serialization failure, ``40P01``
deadlock; DuckDB raises ``TransactionException`` on a write-write conflict (and a primary-key
``ConstraintException`` when two transactions insert the same key). Any other error is
raised, never counted or ignored.

``catalogue_table`` and ``compare_table`` give the chapter's tables, the second beside the
book's simulated store (``dslib.databases.anomalies``) at the level ``SIMULATED`` names.

``MUTANTS`` are broken versions of this module's own harness (a session that forgets to
set the level, one that runs every statement in its own transaction, a recorder that
writes a failed transaction down as committed, one that drops the values read);
``mutant_report()`` shows that the checks in ``HARNESS_CHECKS`` catch each of them.

Examples
--------
>>> run = run_interleaving("T1 r x; T2 r x; T1 append x 1; T2 append x 2; "
...                        "T1 commit; T2 commit", "duckdb")
>>> print(run)
script on DuckDB: aborted (conflict)
   1. T1 r x            -> []
   2. T2 r x            -> []
   3. T1 append x 1     -> ok
   4. T2 append x 2     -> ok
   5. T1 commit         -> ok
   6. T2 commit         -> conflict (TransactionException)
                      TransactionContext Error: Failed to commit: PRIMARY KEY or UNIQUE \
constraint violation: duplicate key "x"

References
----------
.. [1] D. R. K. Ports and K. Grittner, "Serializable Snapshot Isolation in PostgreSQL",
   PVLDB 5(12), 2012: section 2 (snapshot isolation and its anomalies: simple write skew,
   the batch-processing read-only anomaly), section 3 (SSI), section 5 (the
   implementation in PostgreSQL).
.. [2] A. Fekete, E. O'Neil and P. O'Neil, "A Read-Only Transaction Anomaly Under Snapshot
   Isolation", SIGMOD Record 33(3), 2004, section 1.
.. [3] K. Kingsbury and P. Alvaro, "Elle: Inferring Isolation Anomalies from Experimental
   Observations", PVLDB 14(3), 2020, section 3 (list-append histories).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dslib.consistency.isolation import IsolationResult, Txn, check_isolation
from dslib.databases import anomalies as simulated
from dslib.mutants import Mutant, MutantReport, Outcome, check_mutant, run_mutants

__all__ = [
    "CATALOGUE",
    "ENGINES",
    "MUTANTS",
    "POSTGRES_LEVELS",
    "PROMISED",
    "SIMULATED",
    "TARGETS",
    "DatabaseUnavailable",
    "EmbeddedPostgres",
    "Interleaving",
    "ScriptRun",
    "StepRecord",
    "Target",
    "WorkloadRun",
    "catalogue_table",
    "compare_table",
    "get_interleaving",
    "mutant_report",
    "parse_script",
    "postgres",
    "run_catalogue",
    "run_interleaving",
    "run_workload",
    "workload_table",
]

ENGINES = ("postgresql", "duckdb")
"""The real databases this module drives."""

POSTGRES_LEVELS: dict[str, str] = {
    "read-committed": "READ COMMITTED",
    "repeatable-read": "REPEATABLE READ",
    "serializable": "SERIALIZABLE",
}
"""PostgreSQL's levels by the book's name, and the SQL that selects each.

(``READ UNCOMMITTED`` is accepted by PostgreSQL and behaves exactly as ``READ COMMITTED``,
so it is not a separate target.)"""

MUTANTS: dict[str, str] = {
    "level_not_set": "the session never sets the isolation level: every transaction runs at "
    "PostgreSQL's default, READ COMMITTED",
    "autocommit": "the session never sends BEGIN: every statement is its own transaction",
    "failure_recorded_as_ok": "a transaction that failed (serialization failure, deadlock, "
    "conflict) is written into the history as committed",
    "reads_not_recorded": "the recorder drops what each read returned (writes it down as "
    "unknown), so no history can show an anomaly",
}
"""Broken versions of this module's harness, selected with ``mutant=``."""

# What each target promises, in the checker's levels: PostgreSQL's REPEATABLE READ is
# snapshot isolation (Ports and Grittner 2012, section 2); DuckDB documents MVCC with
# optimistic conflict detection, i.e. snapshot isolation.
PROMISED: dict[tuple[str, str | None], str] = {
    ("postgresql", "read-committed"): "read-committed",
    ("postgresql", "repeatable-read"): "snapshot-isolation",
    ("postgresql", "serializable"): "serializable",
    ("duckdb", None): "snapshot-isolation",
}
"""The checker's level each target promises to meet, keyed by ``(engine, level)``."""


@dataclass(frozen=True)
class Target:
    """A database and an isolation level: where transactions run.

    Parameters
    ----------
    engine : {"postgresql", "duckdb"}
    level : str or None
        For PostgreSQL a key of ``POSTGRES_LEVELS``; DuckDB has one level and takes
        ``None``.

    Raises
    ------
    ValueError
        For an unknown engine, an unknown level, or a level given to DuckDB.

    Examples
    --------
    >>> Target("postgresql", "repeatable-read").label
    'PostgreSQL REPEATABLE READ'
    >>> Target("duckdb").label, Target("duckdb").promised
    ('DuckDB', 'snapshot-isolation')
    >>> Target("postgresql", "snapshot")
    Traceback (most recent call last):
    ...
    ValueError: PostgreSQL level 'snapshot' is unknown; allowed: ['read-committed', \
'repeatable-read', 'serializable']
    """

    engine: str
    level: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine {self.engine!r} is unknown; allowed: {list(ENGINES)}")
        if self.engine == "duckdb" and self.level is not None:
            raise ValueError(
                f"DuckDB has one isolation level and no SET TRANSACTION ISOLATION LEVEL; "
                f"got level={self.level!r}, pass level=None"
            )
        if self.engine == "postgresql" and self.level not in POSTGRES_LEVELS:
            raise ValueError(
                f"PostgreSQL level {self.level!r} is unknown; allowed: {list(POSTGRES_LEVELS)}"
            )

    @property
    def label(self) -> str:
        """The name a table shows."""
        if self.engine == "duckdb":
            return "DuckDB"
        return f"PostgreSQL {POSTGRES_LEVELS[str(self.level)]}"

    @property
    def promised(self) -> str:
        """The checker's level this target promises (``PROMISED``)."""
        return PROMISED[(self.engine, self.level)]


TARGETS: tuple[Target, ...] = (
    Target("postgresql", "read-committed"),
    Target("postgresql", "repeatable-read"),
    Target("postgresql", "serializable"),
    Target("duckdb"),
)
"""The four columns of the chapter's tables."""


# ---------------------------------------------------------------------------------------
# The embedded PostgreSQL server
# ---------------------------------------------------------------------------------------


class DatabaseUnavailable(RuntimeError):
    """The embedded PostgreSQL could not be started (the message says why and what to do)."""


_INSTALL_HINT = (
    "install the packages chapter 8 needs: pip install 'pgserver>=0.1.4' 'psycopg[binary]>=3.2' "
    "'duckdb>=1.1' (make lab and make test install them with dslib)"
)


def _import_pgserver() -> Any:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver only
        # keeps an inter-process lock file there and falls back to /tmp.
        warnings.simplefilter("ignore")
        import pgserver

    return pgserver


# PostgreSQL's immediate shutdown is SIGQUIT (POSIX); elsewhere, terminate.
_SIGQUIT = getattr(signal, "SIGQUIT", signal.SIGTERM)
_SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop_postmaster(pid: int, wait: float = 10.0) -> None:
    """PostgreSQL's immediate shutdown (SIGQUIT to the postmaster: no checkpoint, as the
    data directory is deleted next); SIGKILL if it has not exited after ``wait`` seconds."""
    with contextlib.suppress(OSError):
        os.kill(pid, _SIGQUIT)
    deadline = time.monotonic() + wait
    while _alive(pid) and time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # reaps it if it is our child
        time.sleep(0.02)
    if _alive(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, _SIGKILL)


# The watcher: waits while its parent (the Python process that started the server) and
# the server live; when the parent is gone, stops the server and deletes its directory.
_WATCHER = """
import os, shutil, signal, sys, time
parent, postmaster, directory = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
while os.getppid() == parent and alive(postmaster):
    time.sleep(0.5)
if alive(postmaster):
    try:
        os.kill(postmaster, signal.SIGQUIT)
    except OSError:
        pass
    for _ in range(100):
        if not alive(postmaster):
            break
        time.sleep(0.1)
    if alive(postmaster):
        os.kill(postmaster, signal.SIGKILL)
shutil.rmtree(directory, ignore_errors=True)
"""


class EmbeddedPostgres:
    """A PostgreSQL server in a temporary data directory, for this process only.

    Started by ``pgserver`` (PostgreSQL binaries shipped as a Python wheel) with
    ``initdb`` and ``pg_ctl``; it listens on a Unix socket only (no TCP port), trusts the
    local user ``postgres``, and is stopped and its directory deleted by ``stop()``, at
    the end of a ``with`` block, or at interpreter exit. Use ``postgres()`` to share one
    server per process.

    Parameters
    ----------
    parent : str or Path, optional
        Where to make the temporary directory (default: the system's, ``TMPDIR``).

    Raises
    ------
    DatabaseUnavailable
        If the packages are missing or the server does not start; the message names what
        failed (with the end of the server's log) and how to fix it.

    Examples
    --------
    >>> with EmbeddedPostgres() as server:  # doctest: +SKIP
    ...     with server.connect() as conn:
    ...         conn.execute("select 1").fetchone()
    (1,)
    """

    def __init__(self, parent: str | Path | None = None) -> None:
        try:
            pgserver = _import_pgserver()
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise DatabaseUnavailable(f"cannot start PostgreSQL: {exc}; {_INSTALL_HINT}") from exc
        if parent is not None and not Path(parent).is_dir():
            raise DatabaseUnavailable(
                f"cannot start PostgreSQL: parent directory {str(parent)!r} does not exist; "
                "pass an existing directory (or none: the system's temporary directory)"
            )
        self.directory = Path(tempfile.mkdtemp(prefix="dslib-postgres-", dir=parent))
        self._pid = os.getpid()
        self._stopped = False
        self._idle: list[Any] = []
        self._idle_lock = threading.Lock()
        try:
            self._server = pgserver.get_server(self.directory / "data", cleanup_mode="delete")
            self.uri: str = self._server.get_uri()
        except (subprocess.SubprocessError, OSError, AssertionError, KeyError) as exc:
            log = self.directory / "data" / "log"
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else "(no log)"
            shutil.rmtree(self.directory, ignore_errors=True)
            raise DatabaseUnavailable(
                f"cannot start PostgreSQL in {self.directory}: {type(exc).__name__}: {exc}\n"
                f"server log (end):\n{tail}\n"
                "How to fix: the temporary directory must be on a local disk with free space "
                "(set TMPDIR to another directory otherwise); as root, pgserver runs the "
                "server as a user 'pgserver' it creates with useradd, so useradd must work "
                "(or run as an ordinary user); reinstall the server with "
                "pip install --force-reinstall 'pgserver>=0.1.4'."
            ) from exc
        # pgserver's own exit handler stops the server politely (a checkpoint first) and
        # can be cut short when a Jupyter kernel is shut down; ``stop`` does it at once.
        with contextlib.suppress(Exception):
            atexit.unregister(self._server._cleanup)
        self.postmaster: int = int(self._server.get_pid())
        # If this process dies without running ``stop`` (killed, or a kernel that does not
        # get to run its exit handlers), a small watcher process stops the server and
        # deletes the directory: no server outlives the Python process that started it.
        watch = (str(os.getpid()), str(self.postmaster), str(self.directory))
        self._watcher = subprocess.Popen(
            [sys.executable, "-c", _WATCHER, *watch],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        atexit.register(self._stop_at_exit)

    def connect(self, autocommit: bool = True) -> Any:
        """A new ``psycopg`` connection as the superuser ``postgres``.

        With ``autocommit=True`` (the default) the caller sends ``BEGIN`` and ``COMMIT``
        itself, as this module does.
        """
        import psycopg

        if self._stopped:
            raise DatabaseUnavailable("this PostgreSQL server was stopped; start a new one")
        return psycopg.connect(self.uri, autocommit=autocommit)

    def session_connection(self) -> Any:
        """A connection for a session: an idle one kept from an earlier run, or a new one.

        Its settings: a lock wait ends after 30 s (never a hang: a stuck script is
        reported); a deadlock is looked for after 20 ms rather than PostgreSQL's default 1 s;
        a commit does not wait for its log record to reach the disk (a throwaway database:
        isolation is unchanged, only durability after a crash of the machine is given up).
        """
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        import psycopg

        if self._stopped:
            raise DatabaseUnavailable("this PostgreSQL server was stopped; start a new one")
        return psycopg.connect(
            self.uri,
            autocommit=True,
            options="-c lock_timeout=30s -c deadlock_timeout=20ms -c synchronous_commit=off",
        )

    def release(self, conn: Any) -> None:
        """Keep an idle session connection for the next run (at most 16), or close it."""
        import psycopg

        idle = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        with self._idle_lock:
            if idle and not conn.closed and not self._stopped and len(self._idle) < 16:
                self._idle.append(conn)
                return
        conn.close()

    @property
    def version(self) -> str:
        """The server's version, e.g. ``'16.2'``."""
        with self.connect() as conn:
            row = conn.execute("show server_version").fetchone()
        return str(row[0]).split()[0]

    @property
    def running(self) -> bool:
        """Started and not stopped."""
        return not self._stopped

    def stop(self, wait: bool = True) -> None:
        """Stop the server and delete its directory (a second call does nothing).

        Parameters
        ----------
        wait : bool, default True
            Wait until the server has exited and the directory is deleted. At interpreter
            exit ``stop(wait=False)`` runs: it only tells the server to shut down at once,
            and the watcher process, which sees it go, deletes the directory, so that a
            Jupyter kernel exits without delay.
        """
        if self._stopped or os.getpid() != self._pid:
            return
        self._stopped = True
        with self._idle_lock:
            for conn in self._idle:
                with contextlib.suppress(Exception):
                    conn.close()
            self._idle.clear()
        with contextlib.suppress(Exception):
            atexit.unregister(self._stop_at_exit)
        if not wait:
            with contextlib.suppress(OSError):
                os.kill(self.postmaster, _SIGQUIT)
            return
        with contextlib.suppress(Exception):
            self._watcher.terminate()
            self._watcher.wait(timeout=5)
        _stop_postmaster(self.postmaster)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _stop_at_exit(self) -> None:
        self.stop(wait=False)

    def __enter__(self) -> EmbeddedPostgres:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"EmbeddedPostgres({state}, socket in {self.directory})"


_SERVER: EmbeddedPostgres | None = None
_SERVER_LOCK = threading.Lock()


def postgres() -> EmbeddedPostgres:
    """The process's shared PostgreSQL server, started on first use (about a second).

    Returns
    -------
    EmbeddedPostgres
        Stopped and deleted at interpreter exit.

    Raises
    ------
    DatabaseUnavailable
        If it cannot start (see ``EmbeddedPostgres``).

    Examples
    --------
    >>> postgres() is postgres()  # doctest: +SKIP
    True
    """
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.running or _SERVER._pid != os.getpid():
            _SERVER = EmbeddedPostgres()
        return _SERVER


# ---------------------------------------------------------------------------------------
# Sessions: one connection, one transaction at a time, the workloads' micro-operations
# ---------------------------------------------------------------------------------------

_LISTS = "CREATE TABLE lists (key text PRIMARY KEY, vals integer[] NOT NULL)"


_FAILURE_REASONS = ("serialization failure", "deadlock", "conflict")


class TransactionFailed(Exception):
    """A statement or a commit failed in a way the database documents (the transaction is
    aborted): ``reason`` is ``"serialization failure"``, ``"deadlock"`` or ``"conflict"``."""

    def __init__(self, reason: str, code: str, message: str) -> None:
        super().__init__(f"{reason} ({code}): {message}")
        self.reason = reason
        self.code = code
        self.message = message


def _message(exc: Any) -> str:
    """PostgreSQL's message and, for SSI, the reason code of its detail line."""
    detail = getattr(exc.diag, "message_detail", None) or ""
    primary = exc.diag.message_primary or _first_line(str(exc))
    return f"{primary}\n{detail}" if detail else primary


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


class _Session:
    """One connection. Subclasses translate the micro-operations to SQL."""

    engine = ""

    def __init__(self, level: str | None, mutant: str | None) -> None:
        self.level = level
        self.mutant = mutant

    def begin(self) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def rollback(self) -> None:
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # The micro-operations, the same SQL on both engines (%s placeholders become ?).
    def read(self, key: str) -> tuple[int, ...]:
        rows = self.execute("SELECT vals FROM lists WHERE key = %s", (key,))
        return () if not rows else tuple(rows[0][0])

    def append(self, key: str, value: int) -> None:
        self.execute(
            "INSERT INTO lists VALUES (%s, [%s]) ON CONFLICT (key) "
            "DO UPDATE SET vals = list_concat(lists.vals, excluded.vals)"
            if self.engine == "duckdb"
            else "INSERT INTO lists VALUES (%s, ARRAY[%s]::integer[]) ON CONFLICT (key) "
            "DO UPDATE SET vals = lists.vals || excluded.vals",
            (key, value),
        )

    def scan(self, keys: Sequence[str]) -> dict[str, tuple[int, ...]]:
        rows = self.execute(
            "SELECT key, vals FROM lists WHERE key BETWEEN %s AND %s ORDER BY key",
            (min(keys), max(keys)),
        )
        found = {str(k): tuple(v) for k, v in rows}
        strangers = sorted(set(found) - set(keys))
        if strangers:
            raise ValueError(
                f"scan over {list(keys)} found keys {strangers} outside the scanned domain; "
                "give a scan every key its range can hold"
            )
        return {k: found.get(k, ()) for k in keys}


class _PostgresSession(_Session):
    engine = "postgresql"

    def __init__(self, server: EmbeddedPostgres, level: str | None, mutant: str | None) -> None:
        super().__init__(level, mutant)
        self.server = server
        self.conn = server.session_connection()
        self.pid: int = self.conn.info.backend_pid

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        import psycopg

        try:
            return self.conn.execute(sql, tuple(params))
        except psycopg.errors.SerializationFailure as exc:
            self._abort()
            raise TransactionFailed("serialization failure", "40001", _message(exc)) from exc
        except psycopg.errors.DeadlockDetected as exc:
            self._abort()
            raise TransactionFailed("deadlock", "40P01", _first_line(str(exc))) from exc

    def _abort(self) -> None:
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.conn.execute("ROLLBACK")

    def begin(self) -> None:
        if self.mutant == "autocommit":
            return
        if self.mutant == "level_not_set":
            self._run("BEGIN")
            return
        self._run(f"BEGIN ISOLATION LEVEL {POSTGRES_LEVELS[str(self.level)]}")

    def commit(self) -> None:
        if self.mutant != "autocommit":
            self._run("COMMIT")

    def rollback(self) -> None:
        if self.mutant != "autocommit":
            self._abort()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = self._run(sql, params)
        return list(cursor.fetchall()) if cursor.description is not None else []

    def close(self) -> None:
        self.server.release(self.conn)


class _DuckSession(_Session):
    engine = "duckdb"

    def __init__(self, database: Any, level: str | None, mutant: str | None) -> None:
        super().__init__(level, mutant)
        self.conn = database.cursor()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        import duckdb

        try:
            return self.conn.execute(sql.replace("%s", "?"), list(params))
        except duckdb.TransactionException as exc:
            self._abort()
            raise TransactionFailed(
                "conflict", "TransactionException", _first_line(str(exc))
            ) from exc
        except duckdb.ConstraintException as exc:
            # The table's one constraint is its primary key, and an append that finds the
            # key absent inserts it: a duplicate means a concurrent transaction inserted the
            # same key first (DuckDB does not wait for it), a write-write conflict.
            if "Duplicate key" not in str(exc) and "PRIMARY KEY" not in str(exc):
                raise
            self._abort()
            raise TransactionFailed(
                "conflict", "ConstraintException", _first_line(str(exc))
            ) from exc

    def _abort(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.execute("ROLLBACK")

    def begin(self) -> None:
        if self.mutant != "autocommit":
            self._run("BEGIN TRANSACTION")

    def commit(self) -> None:
        if self.mutant != "autocommit":
            self._run("COMMIT")

    def rollback(self) -> None:
        if self.mutant != "autocommit":
            self._abort()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._run(sql, params).fetchall())

    def close(self) -> None:
        self.conn.close()


class _Database:
    """Fresh tables on one engine, and sessions on them."""

    def __init__(self, target: Target, mutant: str | None) -> None:
        self.target = target
        self.mutant = mutant
        self.duck: Any = None
        self.server: EmbeddedPostgres | None = None
        if target.engine == "duckdb":
            import duckdb

            self.duck = duckdb.connect(":memory:")
            self.duck.execute(_LISTS)
        else:
            self.server = postgres()
            conn = self.server.session_connection()
            try:
                conn.execute(_LISTS.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
                conn.execute("TRUNCATE lists")
            finally:
                self.server.release(conn)

    def session(self) -> _Session:
        if self.server is not None:
            return _PostgresSession(self.server, self.target.level, self.mutant)
        return _DuckSession(self.duck, None, self.mutant)

    def close(self) -> None:
        if self.duck is not None:
            self.duck.close()


# One run at a time per process: the runs share the server's tables.
_RUN_LOCK = threading.Lock()


def _target(engine: str | Target, level: str | None) -> Target:
    if isinstance(engine, Target):
        if level is not None:
            raise ValueError("pass either a Target or an engine and a level, not both")
        return engine
    if not isinstance(engine, str):
        raise TypeError(f"engine must be a str or a Target, got {type(engine).__name__}")
    return Target(engine, level)


# ---------------------------------------------------------------------------------------
# Scripted interleavings
# ---------------------------------------------------------------------------------------

_TXN = re.compile(r"^T\d+$")


def parse_script(script: str) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Read a script of steps: ``"T1 r x; T2 append x 1; T1 scan x y z; T1 commit"``.

    Steps are separated by ``;`` or new lines; each names its transaction (``T1``,
    ``T2``, ...) and one micro-operation: ``r KEY``, ``append KEY INT``, ``scan KEY KEY
    ...`` (a predicate read of the key range, every key of which must be listed),
    ``commit`` or ``abort``. A transaction begins at its first step.

    Returns
    -------
    tuple of (str, tuple)
        ``(txn, op)`` with op ``("r", key)``, ``("append", key, value)``, ``("scan",
        keys)``, ``("commit",)`` or ``("abort",)``.

    Raises
    ------
    ValueError
        For a malformed step (the message quotes it and its number), a step after the
        transaction's commit or abort, a value appended twice to a key (the checker needs
        unique values), or a transaction that never ends.

    Examples
    --------
    >>> parse_script("T1 r x; T1 append x 1; T1 commit")
    (('T1', ('r', 'x')), ('T1', ('append', 'x', 1)), ('T1', ('commit',)))
    >>> parse_script("T1 append x one; T1 commit")
    Traceback (most recent call last):
    ...
    ValueError: step 1 'T1 append x one': the value must be an integer
    """
    if not isinstance(script, str):
        raise TypeError(f"a script is a str of steps, got {type(script).__name__}")
    steps: list[tuple[str, tuple[Any, ...]]] = []
    ended: set[str] = set()
    appended: set[tuple[str, int]] = set()
    texts = [s.strip() for s in re.split(r"[;\n]", script) if s.strip()]
    if not texts:
        raise ValueError("the script has no steps")
    for number, text in enumerate(texts, 1):
        words = text.split()
        where = f"step {number} {text!r}"
        if len(words) < 2 or not _TXN.match(words[0]):
            raise ValueError(
                f"{where}: a step is 'T<n> r KEY', 'T<n> append KEY INT', "
                "'T<n> scan KEY KEY ...', 'T<n> commit' or 'T<n> abort'"
            )
        txn, verb, args = words[0], words[1], words[2:]
        if txn in ended:
            raise ValueError(f"{where}: {txn} has already ended")
        op: tuple[Any, ...]
        if verb == "r" and len(args) == 1:
            op = ("r", args[0])
        elif verb == "append" and len(args) == 2:
            try:
                value = int(args[1])
            except ValueError:
                raise ValueError(f"{where}: the value must be an integer") from None
            if (args[0], value) in appended:
                raise ValueError(f"{where}: {value} is appended to {args[0]} twice")
            appended.add((args[0], value))
            op = ("append", args[0], value)
        elif verb == "scan" and args:
            op = ("scan", tuple(args))
        elif verb in ("commit", "abort") and not args:
            op = (verb,)
            ended.add(txn)
        else:
            raise ValueError(
                f"{where}: unknown operation; allowed: r KEY, append KEY INT, scan KEY ..., "
                "commit, abort"
            )
        steps.append((txn, op))
    open_txns = sorted({t for t, _ in steps} - ended)
    if open_txns:
        raise ValueError(f"transactions {open_txns} never commit or abort; end each one")
    return tuple(steps)


def _op_text(op: tuple[Any, ...]) -> str:
    if op[0] == "scan":
        return "scan " + " ".join(op[1])
    return " ".join(str(x) for x in op)


@dataclass(frozen=True)
class Interleaving:
    """A named script: the anomaly it tries to provoke, and the committed state it starts from.

    Attributes
    ----------
    name : str
        The anomaly in plain words (``"write skew"``).
    script : str
        The steps (see ``parse_script``).
    setup : tuple of (str, tuple of int)
        Lists written and committed before the script, by a transaction of process
        ``"setup"`` (it is part of the history).
    note : str
        What the script does, in one sentence.

    Examples
    --------
    >>> get_interleaving("phantom").setup
    (('x', (0,)),)
    """

    name: str
    script: str
    setup: tuple[tuple[str, tuple[int, ...]], ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        parse_script(self.script)

    @property
    def steps(self) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """The parsed steps."""
        return parse_script(self.script)


def _from_simulated(scripted: Any) -> Interleaving:
    """Section 8.2's scripted anomaly as a script for a real database, plus a last
    transaction that reads every key (so the checker knows each key's final order)."""
    steps = []
    for txn, op in scripted.steps:
        if op[0] == "scan":
            keys = [k for k in simulated.KEYS if op[1] <= k <= op[2]]
            steps.append(f"{txn} scan {' '.join(keys)}")
        else:
            steps.append(f"{txn} {_op_text(op)}")
    final = f"T{1 + max(int(t[1:]) for t, _ in scripted.steps)}"
    steps += [f"{final} r {k}" for k in simulated.KEYS] + [f"{final} commit"]
    setup: dict[str, list[int]] = {}
    for op in scripted.setup:
        if op[0] != "append":
            raise ValueError(f"{scripted.name}: setup operation {op!r} is not an append")
        setup.setdefault(op[1], []).append(op[2])
    return Interleaving(
        scripted.name,
        "; ".join(steps),
        tuple((k, tuple(v)) for k, v in setup.items()),
        scripted.story,
    )


CATALOGUE: tuple[Interleaving, ...] = tuple(_from_simulated(a) for a in simulated.CATALOGUE)
"""Section 8.2's anomalies (``dslib.databases.anomalies.CATALOGUE``), the same
interleavings, as scripts for the real databases."""


def get_interleaving(name: str) -> Interleaving:
    """The catalogue's interleaving called ``name``.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the names.

    Examples
    --------
    >>> print(get_interleaving("lost update").script)
    T1 r x; T2 r x; T2 append x 2; T2 commit; T1 append x 1; T1 commit; T3 r x; T3 r y; \
T3 r z; T3 commit
    >>> get_interleaving("lost updates")
    Traceback (most recent call last):
    ...
    ValueError: no interleaving 'lost updates'; the catalogue has ['dirty write', \
'dirty read', 'non-repeatable read', 'phantom', 'lost update', 'read skew', 'write skew', \
'read-only anomaly']
    """
    for i in CATALOGUE:
        if i.name == name:
            return i
    raise ValueError(f"no interleaving {name!r}; the catalogue has {[i.name for i in CATALOGUE]}")


@dataclass(frozen=True)
class StepRecord:
    """One step of a scripted run: what was asked and what the database did.

    ``waited_for`` names the transactions whose locks the statement waited for (it ran on
    when they ended); ``queued_behind`` is the earlier step of the same transaction that was
    still waiting when this one was issued (it ran after that one); ``result`` is the
    value read, ``"ok"``, ``"skipped"`` (the transaction had already failed) or the failure
    (``"serialization failure (40001)"``, ...), with the database's message in ``detail``.
    """

    number: int
    txn: str
    op: str
    result: str
    waited_for: tuple[str, ...] = ()
    queued_behind: int | None = None
    detail: str = ""

    def note(self) -> str:
        """The wait, in words (empty when the step neither waited nor queued)."""
        parts = []
        if self.queued_behind is not None:
            parts.append(f"queued behind step {self.queued_behind}")
        if self.waited_for:
            parts.append(f"waited for {', '.join(self.waited_for)} to end")
        return "; ".join(parts)


@dataclass(frozen=True)
class ScriptRun:
    """A scripted interleaving run on one target: the steps, the history and its verdict.

    Attributes
    ----------
    name : str
        The interleaving's name (or ``"script"``).
    target : Target
    steps : tuple of StepRecord
    history : tuple of Txn
        Setup transaction first, then the script's in order of their names.
    outcomes : tuple of (str, str)
        Each transaction and ``"committed"`` or how it failed.
    result : IsolationResult
        The checker's verdict at ``serializable``.
    promise : IsolationResult
        The checker's verdict at the level the target promises.
    """

    name: str
    target: Target
    steps: tuple[StepRecord, ...]
    history: tuple[Txn, ...]
    outcomes: tuple[tuple[str, str], ...]
    result: IsolationResult = field(repr=False)
    promise: IsolationResult = field(repr=False)

    @property
    def anomalies(self) -> tuple[str, ...]:
        """The anomalies found at ``serializable``: Adya's name (plain words), sorted."""
        return tuple(sorted({_anomaly_name(a) for a in self.result.anomalies}))

    @property
    def failures(self) -> tuple[str, ...]:
        """The failed transactions with the reason, e.g. ``'T2: serialization failure'``."""
        return tuple(f"{t}: {o}" for t, o in self.outcomes if o != "committed")

    @property
    def waits(self) -> tuple[str, ...]:
        """Who waited for whom, e.g. ``'T2 waited for T1'``."""
        return tuple(
            f"{s.txn} waited for {', '.join(s.waited_for)}" for s in self.steps if s.waited_for
        )

    @property
    def aborted(self) -> tuple[str, ...]:
        """Why the database aborted transactions (not the script's own aborts), sorted."""
        return tuple(sorted({o for _, o in self.outcomes if o in _FAILURE_REASONS}))

    def verdict(self) -> str:
        """One cell of the catalogue table, in the words of section 8.2's table.

        ``occurred: <Adya's names>`` when the checker found an anomaly; otherwise how the
        database prevented it: ``waited`` (a statement waited for a lock), ``aborted
        (<reason>)``, or ``snapshot`` (nothing waited or aborted: the reads did not see
        the other transaction's writes).

        Examples
        --------
        >>> run_interleaving(get_interleaving("write skew"), "duckdb").verdict()
        'occurred: G2-item'
        >>> run_interleaving(get_interleaving("lost update"), "duckdb").verdict()
        'aborted (conflict)'
        """
        if self.result.anomalies:
            return "occurred: " + ", ".join(sorted({a.name for a in self.result.anomalies}))
        if self.result.ok is None:
            return "unknown"
        how = ["waited"] if self.waits else []
        how += [f"aborted ({reason})" for reason in self.aborted]
        return ", ".join(how) or "snapshot"

    def to_frame(self) -> Any:
        """The steps as a DataFrame: number, transaction, operation, result, wait."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "step": s.number,
                    "txn": s.txn,
                    "operation": s.op,
                    "result": s.result,
                    "waited": s.note(),
                }
                for s in self.steps
            ]
        )

    def __str__(self) -> str:
        lines = [f"{self.name} on {self.target.label}: {self.verdict()}"]
        for s in self.steps:
            note = f"   ({s.note()})" if s.note() else ""
            lines.append(f"  {s.number:2d}. {s.txn} {s.op:<14} -> {s.result}{note}")
            lines.extend(f"{'':22}{line}" for line in s.detail.splitlines())
        return "\n".join(lines)


def _anomaly_name(anomaly: Any) -> str:
    plain = getattr(anomaly, "plain", "")
    return f"{anomaly.name} ({plain})" if plain else str(anomaly.name)


def _show(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return " ".join(f"{k}={_show(v)}" for k, v in value.items())
    return str(value)


class _Stepper:
    """Drives one session per transaction; PostgreSQL statements run on a worker thread
    each, so the main thread can see a statement waiting for a lock."""

    def __init__(self, database: _Database, txns: Sequence[str], record_failures: bool) -> None:
        self.db = database
        self.txns = list(txns)
        self.sessions = {t: database.session() for t in txns}
        self.threaded = database.server is not None
        self.pools = {
            t: ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"dslib-{t}")
            for t in (txns if self.threaded else ())
        }
        self.monitor = database.server.session_connection() if database.server is not None else None
        self.pid_txn = {
            getattr(s, "pid", -1): t for t, s in self.sessions.items() if hasattr(s, "pid")
        }
        self.queue: dict[str, list[tuple[int, tuple[Any, ...]]]] = {t: [] for t in txns}
        self.running: dict[str, tuple[int, tuple[Any, ...], Future[Any]]] = {}
        self.begun: set[str] = set()
        self.failed: dict[str, str] = {}
        self.ended: set[str] = set()
        self.ops: dict[str, list[tuple[Any, ...]]] = {t: [] for t in txns}
        self.records: dict[int, StepRecord] = {}
        self.waited: dict[int, set[str]] = {}
        self.behind: dict[int, int] = {}
        self.record_failures = record_failures

    # What one step does on its session (on the worker thread for PostgreSQL).
    def _do(self, txn: str, op: tuple[Any, ...]) -> Any:
        session = self.sessions[txn]
        if txn not in self.begun:
            self.begun.add(txn)
            session.begin()
        if op[0] == "r":
            return session.read(op[1])
        if op[0] == "append":
            session.append(op[1], op[2])
            return "ok"
        if op[0] == "scan":
            return session.scan(op[1])
        if op[0] == "commit":
            session.commit()
            return "ok"
        session.rollback()
        return "ok"

    def issue(self, number: int, txn: str, op: tuple[Any, ...]) -> None:
        if self.queue[txn]:
            self.behind[number] = self.queue[txn][-1][0]
        elif txn in self.running:
            self.behind[number] = self.running[txn][0]
        self.queue[txn].append((number, op))
        self.settle()

    def _start_ready(self) -> bool:
        started = False
        for txn in self.txns:
            if txn in self.running or not self.queue[txn]:
                continue
            number, op = self.queue[txn].pop(0)
            if txn in self.failed:
                self.records[number] = StepRecord(
                    number, txn, _op_text(op), "skipped", (), self.behind.get(number)
                )
                if op[0] in ("commit", "abort"):
                    self.ended.add(txn)
                started = True
                continue
            if self.threaded:
                future = self.pools[txn].submit(self._do, txn, op)
            else:
                future = Future()
                try:
                    future.set_result(self._do(txn, op))
                except BaseException as exc:
                    future.set_exception(exc)
            self.running[txn] = (number, op, future)
            started = True
        return started

    def _finish(self, txn: str) -> None:
        number, op, future = self.running.pop(txn)
        detail = ""
        try:
            value = future.result()
        except TransactionFailed as exc:
            self.failed[txn] = exc.reason
            result, detail = f"{exc.reason} ({exc.code})", exc.message
            if op[0] == "append":
                self.ops[txn].append(op)
        else:
            result = "ok" if value == "ok" else _show(value)
            forget = self.db.mutant == "reads_not_recorded"
            if op[0] == "r":
                self.ops[txn].append(("r", op[1], None if forget else value))
            elif op[0] == "scan":
                self.ops[txn].extend(("r", k, None if forget else v) for k, v in value.items())
            elif op[0] == "append":
                self.ops[txn].append(op)
            elif op[0] == "abort":
                self.failed[txn] = "aborted by the script"
        if op[0] in ("commit", "abort"):
            self.ended.add(txn)
        waited = tuple(t for t in self.txns if t in self.waited.get(number, set()))
        self.records[number] = StepRecord(
            number, txn, _op_text(op), result, waited, self.behind.get(number), detail
        )

    def _blocked(self) -> dict[str, tuple[str, ...]]:
        """The running statements that wait for a lock, and whose transactions hold it."""
        if self.monitor is None or not self.running:
            return {}
        sessions = {t: self.sessions[t] for t in self.running}
        pids = [getattr(s, "pid", -1) for s in sessions.values()]
        rows = self.monitor.execute(
            "SELECT pid, pg_blocking_pids(pid) FROM unnest(%s::integer[]) AS pid", (pids,)
        ).fetchall()
        out: dict[str, tuple[str, ...]] = {}
        for pid, blockers in rows:
            if blockers:
                holders = tuple(sorted({self.pid_txn.get(b, f"pid {b}") for b in blockers}))
                out[self.pid_txn[pid]] = holders
        return out

    def settle(self, until_done: bool = False, timeout: float = 30.0) -> None:
        """Run what can run until every statement has finished or waits for a lock."""
        deadline = time.monotonic() + timeout
        while True:
            progressed = self._start_ready()
            for txn in [t for t in self.txns if t in self.running]:
                if self.running[txn][2].done():
                    self._finish(txn)
                    progressed = True
            if progressed:
                continue
            if not self.running:
                return
            blocked = self._blocked()
            for txn, holders in blocked.items():
                self.waited.setdefault(self.running[txn][0], set()).update(holders)
            if not until_done and set(blocked) == set(self.running):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the script is stuck: {sorted(self.running)} still wait after "
                    f"{timeout:.0f} s (waiting for {blocked}); a transaction cannot finish "
                    "while the one it waits for waits for it"
                )
            time.sleep(0.001)

    def history(self) -> tuple[tuple[Txn, ...], tuple[tuple[str, str], ...]]:
        txns, outcomes = [], []
        for t in sorted(self.txns, key=lambda name: int(name[1:])):
            failed = t in self.failed
            kind = "fail" if failed and not self.record_failures else "ok"
            txns.append(Txn(t, tuple(self.ops[t]), kind))
            outcomes.append((t, self.failed[t] if failed else "committed"))
        return tuple(txns), tuple(outcomes)

    def close(self) -> None:
        if self.monitor is not None and self.running:
            # Leaving early (an error): cancel what still waits, so that no worker hangs.
            pids = [getattr(self.sessions[t], "pid", -1) for t in self.running]
            with contextlib.suppress(Exception):
                self.monitor.execute(
                    "SELECT pg_cancel_backend(pid) FROM unnest(%s::integer[]) AS pid", (pids,)
                )
        for pool in self.pools.values():
            pool.shutdown(wait=True)
        for s in self.sessions.values():
            with contextlib.suppress(Exception):
                s.close()
        if self.monitor is not None and self.db.server is not None:
            self.db.server.release(self.monitor)


def _setup(db: _Database, setup: Sequence[tuple[str, Sequence[int]]]) -> Txn | None:
    if not setup:
        return None
    session = db.session()
    try:
        session.begin()
        ops: list[tuple[Any, ...]] = []
        for key, values in setup:
            for v in values:
                session.append(key, v)
                ops.append(("append", key, v))
        session.commit()
    finally:
        session.close()
    return Txn("setup", tuple(ops), "ok")


def run_interleaving(
    interleaving: Interleaving | str,
    engine: str | Target = "postgresql",
    level: str | None = None,
    *,
    setup: Mapping[str, Sequence[int]] | None = None,
    mutant: str | None = None,
) -> ScriptRun:
    """Run a script step by step on a real database and check the history it records.

    Parameters
    ----------
    interleaving : Interleaving or str
        A catalogue entry or a script (see ``parse_script``).
    engine : {"postgresql", "duckdb"} or Target
    level : str or None
        PostgreSQL's level (``POSTGRES_LEVELS``); ``None`` for DuckDB.
    setup : mapping of key to list of int, optional
        Lists committed before a script given as a str (an ``Interleaving`` has its own).
    mutant : str or None
        A broken harness from ``MUTANTS``.

    Returns
    -------
    ScriptRun
        The steps with what each did (and whom it waited for), the history in the
        checker's format, and the checker's verdicts.

    Raises
    ------
    ValueError
        For a malformed script, an unknown engine, level or mutant.
    DatabaseUnavailable
        If PostgreSQL cannot start.
    RuntimeError
        If the script cannot finish (a transaction waits for one that waits for it
        without PostgreSQL seeing a deadlock) or the database fails in a way it does not
        document for concurrency.

    Notes
    -----
    Each transaction has its own connection; statements are issued in the script's order
    from one thread. A PostgreSQL statement runs on the connection's worker thread while
    the main thread polls ``pg_blocking_pids`` until it has either finished or waits for
    a lock; a waiting transaction's later steps queue behind it. So the script determines
    the history: no timing decides what the database sees.

    Examples
    --------
    DuckDB allows write skew: both transactions commit.

    >>> run = run_interleaving("T1 r x; T2 r y; T1 append y 1; T2 append x 2; "
    ...                        "T1 commit; T2 commit", "duckdb")
    >>> run.outcomes
    (('T1', 'committed'), ('T2', 'committed'))
    >>> run.verdict()
    'occurred: G2-item'
    """
    target = _target(engine, level)
    check_mutant("run_interleaving", mutant, MUTANTS)
    if isinstance(interleaving, Interleaving):
        if setup is not None:
            raise ValueError("an Interleaving has its own setup; pass setup only with a str")
        name, steps, start = interleaving.name, interleaving.steps, interleaving.setup
    else:
        name, steps = "script", parse_script(interleaving)
        start = tuple((k, tuple(v)) for k, v in (setup or {}).items())
    txns = sorted({t for t, _ in steps}, key=lambda n: int(n[1:]))
    with _RUN_LOCK:
        db = _Database(target, mutant)
        try:
            first = _setup(db, start)
            stepper = _Stepper(db, txns, record_failures=mutant == "failure_recorded_as_ok")
            try:
                for number, (txn, op) in enumerate(steps, 1):
                    stepper.issue(number, txn, op)
                stepper.settle(until_done=True)
            finally:
                stepper.close()
        finally:
            db.close()
    history, outcomes = stepper.history()
    if first is not None:
        history = (first, *history)
    records = tuple(stepper.records[n] for n in sorted(stepper.records))
    return ScriptRun(
        name,
        target,
        records,
        history,
        outcomes,
        check_isolation(history, workload="list-append", level="serializable"),
        check_isolation(history, workload="list-append", level=target.promised),
    )


def run_catalogue(
    targets: Sequence[Target] = TARGETS,
    catalogue: Sequence[Interleaving] = CATALOGUE,
    mutant: str | None = None,
) -> dict[tuple[str, str], ScriptRun]:
    """Every interleaving on every target: ``{(name, target label): ScriptRun}``.

    Examples
    --------
    >>> runs = run_catalogue([Target("duckdb")], CATALOGUE[:1])
    >>> runs["dirty write", "DuckDB"].failures
    ('T1: conflict',)
    """
    return {
        (i.name, t.label): run_interleaving(i, t, mutant=mutant) for i in catalogue for t in targets
    }


def catalogue_table(runs: Mapping[tuple[str, str], ScriptRun]) -> Any:
    """The runs as a table: one row per anomaly, one column per target, each cell the
    anomaly the checker found or how the database prevented it.

    Examples
    --------
    >>> runs = run_catalogue([Target("duckdb")], CATALOGUE[:2])
    >>> catalogue_table(runs)["DuckDB"].to_dict()
    {'dirty write': 'aborted (conflict)', 'dirty read': 'snapshot'}
    """
    import pandas as pd

    names = list(dict.fromkeys(n for n, _ in runs))
    labels = list(dict.fromkeys(t for _, t in runs))
    frame = pd.DataFrame(
        [[runs[n, t].verdict() for t in labels] for n in names], index=names, columns=labels
    )
    frame.index.name = "anomaly"
    return frame


SIMULATED: dict[str, str] = {
    "PostgreSQL READ COMMITTED": "read-committed",
    "PostgreSQL REPEATABLE READ": "snapshot-isolation",
    "PostgreSQL SERIALIZABLE": "serializable-snapshot",
    "DuckDB": "snapshot-isolation",
}
"""For each target, the level of the book's simulated store (``dslib.databases.concurrency``)
that implements the same isolation: PostgreSQL's REPEATABLE READ is snapshot isolation,
its SERIALIZABLE is serializable snapshot isolation (Ports and Grittner 2012, sections 2-3);
its READ COMMITTED and the store's both forbid exactly G0 and G1, with different
algorithms (a snapshot per statement against short read locks)."""


def compare_table(runs: Mapping[tuple[str, str], ScriptRun]) -> Any:
    """The real runs beside the book's simulated store at the corresponding level.

    Parameters
    ----------
    runs : mapping
        From ``run_catalogue``.

    Returns
    -------
    pandas.DataFrame
        One row per anomaly; for each target two columns, ``(label, "real")`` (the
        verdict, see ``ScriptRun.verdict``) and ``(label, "book's store: <level>")`` (section
        8.2's ``run_anomaly`` at the level ``SIMULATED`` names), in the same vocabulary.

    Examples
    --------
    >>> runs = run_catalogue([Target("duckdb")], [get_interleaving("write skew")])
    >>> print(compare_table(runs).T.to_string())
    anomaly                                         write skew
    DuckDB real                              occurred: G2-item
           book's store: snapshot-isolation  occurred: G2-item
    """
    import pandas as pd

    names = list(dict.fromkeys(n for n, _ in runs))
    labels = list(dict.fromkeys(t for _, t in runs))
    columns, rows = [], []
    for label in labels:
        columns += [(label, "real"), (label, f"book's store: {SIMULATED[label]}")]
    for name in names:
        row = []
        for label in labels:
            sim = simulated.run_anomaly(name, SIMULATED[label])
            row += [runs[name, label].verdict(), simulated._short(sim.outcome)]
        rows.append(row)
    frame = pd.DataFrame(rows, index=names, columns=pd.MultiIndex.from_tuples(columns))
    frame.index.name = "anomaly"
    return frame


# ---------------------------------------------------------------------------------------
# A concurrent random workload
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkloadRun:
    """A concurrent list-append workload run on one target.

    Attributes
    ----------
    target : Target
    history : tuple of Txn
        Every transaction, committed (``"ok"``) or failed (``"fail"``), in completion order.
    failures : tuple of (str, int)
        Failed transactions by reason (``"serialization failure"``, ``"deadlock"``,
        ``"conflict"``), sorted.
    result : IsolationResult
        The checker at ``serializable``.
    promise : IsolationResult
        The checker at the level the target promises.
    """

    target: Target
    history: tuple[Txn, ...] = field(repr=False)
    failures: tuple[tuple[str, int], ...]
    result: IsolationResult = field(repr=False)
    promise: IsolationResult = field(repr=False)

    @property
    def transactions(self) -> int:
        """How many transactions the clients ran (not counting the last read of every key)."""
        return sum(t.process != "final" for t in self.history)

    @property
    def committed(self) -> int:
        """How many of them committed."""
        return sum(t.type == "ok" and t.process != "final" for t in self.history)

    @property
    def anomalies(self) -> tuple[tuple[str, int], ...]:
        """Anomalies found at ``serializable``: Adya's name and how many, sorted."""
        return tuple(sorted(Counter(a.name for a in self.result.anomalies).items()))

    def row(self) -> dict[str, Any]:
        """This run as a row of ``workload_table``."""
        fails = dict(self.failures)
        return {
            "target": self.target.label,
            "transactions": self.transactions,
            "committed": self.committed,
            "serialization failures": fails.get("serialization failure", 0),
            "deadlocks": fails.get("deadlock", 0),
            "conflicts": fails.get("conflict", 0),
            "anomalies found": ", ".join(f"{a} x{n}" for a, n in self.anomalies) or "none",
            "meets its promise": f"{self.target.promised}: {_yes(self.promise.ok)}",
        }


def _yes(ok: bool | None) -> str:
    return {True: "yes", False: "NO", None: "unknown"}[ok]


def _client_transactions(
    rng: random.Random, client: int, count: int, keys: int, max_ops: int
) -> list[list[tuple[Any, ...]]]:
    out = []
    for n in range(count):
        ops: list[tuple[Any, ...]] = []
        for i in range(rng.randint(1, max_ops)):
            key = f"k{rng.randrange(keys)}"
            if rng.random() < 0.5:
                ops.append(("r", key))
            else:
                # unique per key: the client, the transaction and the position say it
                ops.append(("append", key, (client * 10_000 + n) * 10 + i + 1))
        out.append(ops)
    return out


def run_workload(
    engine: str | Target = "postgresql",
    level: str | None = None,
    *,
    clients: int = 4,
    transactions: int = 200,
    keys: int = 3,
    max_ops: int = 4,
    seed: int = 0,
    mutant: str | None = None,
) -> WorkloadRun:
    """Run random list-append transactions from concurrent clients and check the history.

    Parameters
    ----------
    engine, level
        As ``run_interleaving``.
    clients : int, default 4
        Threads, each with its own connection.
    transactions : int, default 200
        In all, split evenly over the clients.
    keys : int, default 3
        Keys ``k0``, ``k1``, ...: few keys, much contention.
    max_ops : int, default 4
        Each transaction has 1 to ``max_ops`` operations, reads and appends equally likely.
    seed : int
        Seeds the transactions each client runs. Which transactions fail and what they
        read depend on real thread timing, so two runs differ; only the property checked
        (no anomaly beyond the promised level) is determined.
    mutant : str or None
        A broken harness from ``MUTANTS``.

    Returns
    -------
    WorkloadRun

    Raises
    ------
    ValueError
        For a count out of range, an unknown engine, level or mutant.
    DatabaseUnavailable
        If PostgreSQL cannot start.

    Examples
    --------
    >>> run = run_workload("duckdb", clients=2, transactions=20)
    >>> run.transactions, run.promise.ok
    (20, True)
    """
    target = _target(engine, level)
    check_mutant("run_workload", mutant, MUTANTS)
    for name, value, low in (
        ("clients", clients, 1),
        ("transactions", transactions, 1),
        ("keys", keys, 1),
        ("max_ops", max_ops, 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"run_workload: {name}={value!r} must be an integer >= {low}")
    if transactions < clients:
        raise ValueError(
            f"run_workload: transactions={transactions} < clients={clients}; "
            "each client needs at least one"
        )
    share = [transactions // clients + (c < transactions % clients) for c in range(clients)]
    plans = [
        _client_transactions(random.Random(f"{seed}:{c}"), c, share[c], keys, max_ops)
        for c in range(clients)
    ]
    history: list[Txn] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    origin = time.monotonic()

    def client(c: int, session: _Session) -> None:
        for plan in plans[c]:
            ops: list[tuple[Any, ...]] = []
            start = time.monotonic() - origin
            kind = "ok"
            try:
                session.begin()
                for op in plan:
                    if op[0] == "r":
                        value = session.read(op[1])
                        ops.append(("r", op[1], None if mutant == "reads_not_recorded" else value))
                    else:
                        ops.append(op)
                        session.append(op[1], op[2])
                session.commit()
                reason = ""
            except TransactionFailed as exc:
                kind, reason = "fail", exc.reason
            except BaseException as exc:
                errors.append(exc)
                return
            if kind == "fail" and mutant == "failure_recorded_as_ok":
                kind = "ok"
            with lock:
                history.append(Txn(c, tuple(ops), kind, start, time.monotonic() - origin))
                if reason:
                    reasons[reason] += 1

    reasons: Counter[str] = Counter()
    with _RUN_LOCK:
        db = _Database(target, mutant)
        try:
            sessions = [db.session() for _ in range(clients)]
            # Every key starts as an empty list (the workload's initial state), so an
            # append always updates a row: no two clients race to insert the same key.
            sessions[0].execute(
                "INSERT INTO lists SELECT 'k' || i, [] FROM range(%s) t(i)"
                if target.engine == "duckdb"
                else "INSERT INTO lists SELECT 'k' || i, '{}' FROM generate_series(0, %s - 1) i",
                (keys,),
            )
            threads = [
                threading.Thread(target=client, args=(c, sessions[c]), name=f"dslib-client-{c}")
                for c in range(clients)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for s in sessions:
                s.close()
            if not errors:
                # A last transaction reads every key, so that the checker knows the final
                # order of every key's appends (without it, the last ones are never read).
                final = db.session()
                final.begin()
                reads = tuple(("r", f"k{i}", final.read(f"k{i}")) for i in range(keys))
                final.commit()
                final.close()
                history.append(Txn("final", reads, "ok"))
        finally:
            db.close()
    if errors:
        raise RuntimeError(
            f"run_workload on {target.label}: a client failed with an error the database does "
            f"not document as a concurrency failure: {type(errors[0]).__name__}: {errors[0]}"
        ) from errors[0]
    done = tuple(history)
    return WorkloadRun(
        target,
        done,
        tuple(sorted(reasons.items())),
        check_isolation(done, workload="list-append", level="serializable"),
        check_isolation(done, workload="list-append", level=target.promised),
    )


def workload_table(runs: Sequence[WorkloadRun]) -> Any:
    """The runs as a DataFrame, one row per target (see ``WorkloadRun.row``)."""
    import pandas as pd

    return pd.DataFrame([r.row() for r in runs]).set_index("target")


# ---------------------------------------------------------------------------------------
# How do we know the harness is right: its mutants and the checks that catch them
# ---------------------------------------------------------------------------------------

_SERIALIZABLE = Target("postgresql", "serializable")


def _catalogue_clean_at_serializable(mutant: str | None) -> Outcome:
    runs = [run_interleaving(i, _SERIALIZABLE, mutant=mutant) for i in CATALOGUE]
    bad = [r.name for r in runs if r.result.ok is not True]
    return Outcome(not bad, None, "anomalies in: " + ", ".join(bad) if bad else "")


def _write_skew_seen_at_repeatable_read(mutant: str | None) -> Outcome:
    run = run_interleaving(
        get_interleaving("write skew"),
        Target("postgresql", "repeatable-read"),
        mutant=mutant,
    )
    seen = run.result.ok is False and run.promise.ok is True
    return Outcome(seen, None, run.verdict())


def _failures_recorded(mutant: str | None) -> Outcome:
    run = run_interleaving(
        get_interleaving("lost update"),
        Target("postgresql", "repeatable-read"),
        mutant=mutant,
    )
    fails = [t.process for t in run.history if t.type == "fail"]
    expected = [t for t, o in run.outcomes if o != "committed"]
    ok = fails == expected and len(expected) == 1
    return Outcome(ok, None, f"recorded as failed: {fails}; failed: {expected}")


HARNESS_CHECKS: dict[str, Callable[[str | None], Outcome]] = {
    "catalogue clean at SERIALIZABLE": _catalogue_clean_at_serializable,
    "write skew seen at REPEATABLE READ": _write_skew_seen_at_repeatable_read,
    "failed transactions recorded as failed": _failures_recorded,
}
"""The checks of the harness, each on the real PostgreSQL, by name."""

MUTANT_CHECKS: dict[str, tuple[str, ...]] = {
    "level_not_set": ("catalogue clean at SERIALIZABLE",),
    "autocommit": ("catalogue clean at SERIALIZABLE",),
    "reads_not_recorded": ("write skew seen at REPEATABLE READ",),
    "failure_recorded_as_ok": (
        "catalogue clean at SERIALIZABLE",
        "failed transactions recorded as failed",
    ),
}
"""The checks that must catch each mutant of ``MUTANTS``."""


def mutant_report() -> MutantReport:
    """Run the harness checks on the correct harness and on each of its mutants.

    Returns
    -------
    MutantReport
        ``to_frame()`` is the page's mutant table; ``problems()`` is empty when the
        correct harness passes every check and each mutant is caught by its checks.

    Examples
    --------
    >>> report = mutant_report()  # doctest: +SKIP
    >>> report.ok  # doctest: +SKIP
    True
    """
    mutants = [
        Mutant(name, MUTANTS[name], _bind(name), MUTANT_CHECKS[name]) for name in sorted(MUTANTS)
    ]
    return run_mutants(_bind(None), mutants, HARNESS_CHECKS)


def _bind(mutant: str | None) -> Callable[[], str | None]:
    return lambda: mutant
