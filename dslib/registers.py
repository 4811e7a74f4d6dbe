"""Deprecated old path of ``dslib.small_systems.registers``, kept for one release.

Importing it warns (``DeprecationWarning``) and gives the very objects of the new module.
"""

import warnings

from dslib.small_systems.registers import *  # noqa: F403
from dslib.small_systems.registers import __all__ as _moved_all

__all__ = [*_moved_all]

warnings.warn(
    "dslib.registers moved to dslib.small_systems.registers: import it from there "
    "(the old path will be removed in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
