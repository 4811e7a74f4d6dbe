"""Errors raised by dslib.

Every error says what was wrong and what is allowed. Errors raised while a
protocol runs (in a simulation or a check) name the node and the event, so that
the reader can find the handler that misbehaved.
"""

from __future__ import annotations

__all__ = [
    "DslibError",
    "HandlerError",
    "HistoryError",
    "ProtocolError",
]


class DslibError(Exception):
    """Base class of every error that dslib raises on purpose."""


class ProtocolError(DslibError, ValueError):
    """A node did something the node API does not allow.

    Examples: sending to a node that does not exist, returning ``None`` from a
    handler, returning a state that is not hashable, setting a negative timer.
    The message names the node and the event that was being handled.
    """


class HandlerError(DslibError):
    """A handler raised an exception while a simulation or a check ran it.

    The original exception is chained (``__cause__``); ``node`` and ``event``
    say where it happened and ``trace`` holds the events up to that point.
    """

    def __init__(self, message: str, *, node: str, event: str, trace: object = None) -> None:
        super().__init__(message)
        self.node = node
        self.event = event
        self.trace = trace


class HistoryError(DslibError, ValueError):
    """A history of operations is malformed (for example an operation completes twice)."""
