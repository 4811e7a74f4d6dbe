"""Deprecated old path of ``dslib.replication.pbs``, kept for one release.

Importing it warns (``DeprecationWarning``) and gives the very objects of the new module.
"""

import warnings

from dslib.replication.pbs import *  # noqa: F403
from dslib.replication.pbs import __all__ as _moved_all

__all__ = [*_moved_all]

warnings.warn(
    "dslib.pbs moved to dslib.replication.pbs: import it from there "
    "(the old path will be removed in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
