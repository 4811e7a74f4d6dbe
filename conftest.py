"""Hypothesis profiles for the whole suite (tests, doctests in ``dslib``), chosen in one place.

``make test`` must give the same result on every run of the same commit, so the default
profile, ``repeatable``, derandomizes hypothesis: each test draws the same examples every
time (seeded from the test's own name), and no example database carries state between runs.

Fresh randomness belongs to ``make soak`` (``tools/soak.py``), which selects the ``soak``
profile: a fresh seed per round, no database, and every test's ``max_examples`` multiplied
by ``DSLIB_SOAK_FACTOR`` (default 10).

This file is a root ``conftest.py`` so that it is imported before any test module or doctest
builds a ``settings(...)`` object: hypothesis resolves a setting that a test leaves unset
from the profile loaded at that moment.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Old module paths kept for one release as shims that warn (docs/architecture.md): the
# doctest collector would import them and print their DeprecationWarning; their names are
# tested where they moved, and tests/test_moved_modules.py tests the shims themselves.
collect_ignore = [
    f"dslib/{name}.py"
    for name in ("mutex", "pbs", "puzzles", "registers", "sim_mutants", "twophase")
]

PROFILE_VARIABLE = "DSLIB_HYPOTHESIS_PROFILE"
SOAK_FACTOR_VARIABLE = "DSLIB_SOAK_FACTOR"

settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile(
    "soak",
    derandomize=False,
    database=None,
    print_blob=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_profile = os.environ.get(PROFILE_VARIABLE, "repeatable")
if _profile not in ("repeatable", "soak"):
    raise pytest.UsageError(
        f"{PROFILE_VARIABLE}={_profile!r} is not a dslib hypothesis profile; "
        "allowed: 'repeatable' (make test) or 'soak' (make soak)"
    )
settings.load_profile(_profile)


def soak_factor() -> int:
    """The ``max_examples`` multiplier of the soak profile (``DSLIB_SOAK_FACTOR``, >= 1)."""
    raw = os.environ.get(SOAK_FACTOR_VARIABLE, "10")
    try:
        factor = int(raw)
    except ValueError:
        factor = 0
    if factor < 1:
        raise pytest.UsageError(
            f"{SOAK_FACTOR_VARIABLE}={raw!r}: expected a whole number of at least 1"
        )
    return factor


DEEP_VARIABLE = "DSLIB_DEEP"
DEEP_REASON = (
    "deep test: the same check on a larger case, run by 'make soak' "
    f"(or {DEEP_VARIABLE}=1 pytest -m deep), not by make test"
)


def deep() -> bool:
    """Whether the ``deep`` tests run (``DSLIB_DEEP=1``, set by ``make soak``).

    ``make test`` must fit its time budget, so a check whose cost grows with the size of the
    case runs there on a case that is small but still able to fail, and again, marked
    ``@pytest.mark.deep``, on the large case in the soak.
    """
    raw = os.environ.get(DEEP_VARIABLE, "0")
    if raw not in ("0", "1"):
        raise pytest.UsageError(f"{DEEP_VARIABLE}={raw!r}: expected 0 or 1")
    return raw == "1"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"deep: {DEEP_REASON}")


def _skip_deep(items: list[pytest.Item]) -> None:
    if deep():
        return
    marker = pytest.mark.skip(reason=DEEP_REASON)
    for item in items:
        if item.get_closest_marker("deep") is not None:
            item.add_marker(marker)


def _hypothesis_test(item: pytest.Item) -> Any:
    function = getattr(item, "obj", None)
    return function if getattr(function, "is_hypothesis_test", False) else None


# Notebooks whose stored outputs come from a real etcd cluster: without an ``etcd`` binary
# their cells cannot print what was stored, so they are skipped with one clear reason (as
# tests/test_etcd.py is); .ci/run installs etcd, so CI always runs them.
NEEDS_ETCD = ("notebooks/17-capstone/17.01-from-simulation-to-reality.ipynb",)
INSTALL_ETCD = "no etcd binary on PATH: install it with 'sudo apt-get install etcd-server'"


def _skip_without_etcd(items: list[pytest.Item]) -> None:
    if shutil.which("etcd") is not None:
        return
    marker = pytest.mark.skip(reason=INSTALL_ETCD)
    for item in items:
        if any(str(item.path).endswith(path) for path in NEEDS_ETCD):
            item.add_marker(marker)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the etcd notebooks where there is no etcd and the ``deep`` tests unless asked for;
    under the soak profile, keep only hypothesis tests and scale their ``max_examples``.

    A test's own ``settings(max_examples=N)`` wins over any profile, so the soak run
    rewrites the settings each test was given (parent: the test's own settings; so every
    other choice of the test, such as its deadline or health checks, is kept).
    """
    _skip_without_etcd(items)
    _skip_deep(items)
    if settings.get_current_profile_name() != "soak":
        return
    factor = soak_factor()
    kept, dropped = [], []
    scaled: set[int] = set()  # a parametrized test's items share one function: scale it once
    for item in items:
        function = _hypothesis_test(item)
        if function is None:
            dropped.append(item)
            continue
        if id(function) not in scaled:
            scaled.add(id(function))
            own = function._hypothesis_internal_use_settings
            function._hypothesis_internal_use_settings = settings(
                own, max_examples=own.max_examples * factor, derandomize=False, database=None
            )
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    """Name the profile in the header, so a log says how hypothesis ran."""
    return f"dslib hypothesis profile: {settings.get_current_profile_name()}"
