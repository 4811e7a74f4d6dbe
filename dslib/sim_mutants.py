"""Deprecated old path of ``dslib.basics.sim_mutants``, kept for one release.

Importing it warns (``DeprecationWarning``) and gives the very objects of the new module.
"""

import warnings

from dslib.basics.sim_mutants import *  # noqa: F403
from dslib.basics.sim_mutants import __all__ as _moved_all

__all__ = [*_moved_all]

warnings.warn(
    "dslib.sim_mutants moved to dslib.basics.sim_mutants: import it from there "
    "(the old path will be removed in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
