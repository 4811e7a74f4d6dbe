"""Consistency checkers: is what the clients saw allowed by a consistency model?

A *history* (``dslib.sim.history.History``) records what clients saw: each
operation's invocation and completion (``ok``, ``fail`` or ``info``). A
*model* (``Register``, ``KeyValue``, ...) says what one sequential copy of the
object would do. The checkers decide whether the history is allowed by a
consistency model, and when it is not, explain why with a few operations:

- ``check_linearizable``: one order, consistent with real time (the strongest
  single-object model);
- ``check_sequential``: one order, consistent with each process's own order;
- ``check_sessions``: the session guarantees of each client (read your
  writes, monotonic reads, monotonic writes, writes follow reads);
- ``check_convergence``: do replicas agree once writes stop?

Histories come from the simulator (``sim.history``), from lists written by
hand (``history``, ``history_from_intervals``) or from Jepsen's files
(``read_jepsen_edn``, ``read_jepsen_log``). ``dslib.viz.history.plot_history``
draws one, with what a checker found.

Examples
--------
>>> from dslib.consistency import Register, check_linearizable, history_from_intervals
>>> h = history_from_intervals([
...     ("c1", "write", 1, None, 0, 2),
...     ("c2", "read", None, 1, 1, 3),
...     ("c2", "read", None, None, 4, 5),
... ])
>>> check_linearizable(h, Register())
ConsistencyResult(linearizability: violation, 3 operations cannot be ordered)
"""

from dslib.consistency.convergence import ConvergenceResult, check_convergence
from dslib.consistency.histories import (
    TimedOperation,
    describe,
    history,
    history_from_intervals,
    subhistory,
    timeline,
)
from dslib.consistency.isolation import LEVELS as ISOLATION_LEVELS
from dslib.consistency.isolation import (
    Anomaly,
    AnomalyExample,
    IsolationResult,
    Txn,
    anomaly_catalogue,
    check_isolation,
    dependency_edges,
    generate_history,
    serializable_by_enumeration,
)
from dslib.consistency.isolation_readers import parse_elle_edn, read_elle_edn
from dslib.consistency.linearizability import check_linearizable
from dslib.consistency.models import (
    UNKNOWN,
    CASRegister,
    Counter,
    FIFOQueue,
    KeyValue,
    Register,
    SequentialSpec,
    Set,
)
from dslib.consistency.readers import (
    EDNError,
    EDNRaw,
    parse_edn,
    parse_jepsen_edn,
    parse_jepsen_log,
    read_jepsen_edn,
    read_jepsen_log,
)
from dslib.consistency.results import ConsistencyResult
from dslib.consistency.sequential import check_sequential
from dslib.consistency.sessions import (
    GUARANTEES,
    SessionResult,
    SessionViolation,
    check_sessions,
    sessions_by_enumeration,
)
from dslib.errors import renamed

__all__ = [
    "GUARANTEES",
    "ISOLATION_LEVELS",
    "UNKNOWN",
    "Anomaly",
    "AnomalyExample",
    "CASRegister",
    "ConsistencyResult",
    "ConvergenceResult",
    "Counter",
    "EDNError",
    "EDNRaw",
    "FIFOQueue",
    "IsolationResult",
    "KeyValue",
    "Register",
    "SequentialSpec",
    "SessionResult",
    "SessionViolation",
    "Set",
    "TimedOperation",
    "Txn",
    "anomaly_catalogue",
    "check_convergence",
    "check_isolation",
    "check_linearizable",
    "check_sequential",
    "check_sessions",
    "dependency_edges",
    "describe",
    "generate_history",
    "history",
    "history_from_intervals",
    "parse_edn",
    "parse_elle_edn",
    "parse_jepsen_edn",
    "parse_jepsen_log",
    "read_elle_edn",
    "read_jepsen_edn",
    "read_jepsen_log",
    "serializable_by_enumeration",
    "sessions_by_enumeration",
    "subhistory",
    "timeline",
]

__getattr__ = renamed(
    __name__,
    {
        "CheckResult": (ConsistencyResult, "ConsistencyResult"),
        "Model": (SequentialSpec, "SequentialSpec"),
    },
)
