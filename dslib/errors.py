"""Errors raised by dslib.

Every error says what was wrong and what is allowed. Errors raised while a
protocol runs (in a simulation or a check) name the node and the event, so that
the reader can find the handler that misbehaved.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

__all__ = [
    "DslibError",
    "HandlerError",
    "HistoryError",
    "ProtocolError",
    "renamed",
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


def renamed(module: str, old_names: dict[str, tuple[Any, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that still answers to the old names of renamed objects.

    A public name that changes keeps working for one release: reading the old
    name (``from module import Old`` or ``module.Old``) warns with a
    ``DeprecationWarning`` that gives the new name, and returns the very
    object of the new one.

    Parameters
    ----------
    module : str
        The module's ``__name__`` (for the messages).
    old_names : dict
        ``{old name: (the object, its new name)}``.

    Returns
    -------
    callable
        To be assigned to the module's ``__getattr__`` (PEP 562).

    Raises
    ------
    AttributeError
        From the returned function, for a name that is neither current nor old.

    Examples
    --------
    >>> import warnings
    >>> getattr_ = renamed("pkg", {"Old": (int, "New")})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     getattr_("Old") is int
    True
    >>> str(caught[0].message).split(":")[0]
    'pkg.Old was renamed pkg.New'
    >>> getattr_("Other")
    Traceback (most recent call last):
    ...
    AttributeError: module 'pkg' has no attribute 'Other'
    """

    def __getattr__(name: str) -> Any:
        if name not in old_names:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        obj, new = old_names[name]
        warnings.warn(
            f"{module}.{name} was renamed {module}.{new}: import the new name (the old one "
            "will be removed in the next release)",
            DeprecationWarning,
            stacklevel=2,
        )
        return obj

    return __getattr__
