"""`make test` is repeatable: every hypothesis run it makes draws the same examples each time.

Three places run hypothesis: the tests and doctests (under the root ``conftest.py`` profile),
library functions that readers call (they must pass ``derandomize=True`` or a fixed
``seed``), and notebooks (their kernel never sees ``conftest.py``, so each ``settings``
there must say ``derandomize=True``). These tests check each place.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]


def test_the_suite_runs_under_the_repeatable_profile() -> None:
    if os.environ.get("DSLIB_HYPOTHESIS_PROFILE") == "soak":
        pytest.skip("the soak run uses fresh randomness on purpose")
    assert settings.get_current_profile_name() == "repeatable"
    assert settings.default.derandomize
    assert settings.default.database is None


_DRAWN: list[int] = []


@settings(max_examples=5)
@given(st.integers())
def _draw(n: int) -> None:
    _DRAWN.append(n)


def test_a_property_draws_the_same_examples_twice() -> None:
    if os.environ.get("DSLIB_HYPOTHESIS_PROFILE") == "soak":
        pytest.skip("the soak run uses fresh randomness on purpose")
    _DRAWN.clear()
    _draw()
    first = list(_DRAWN)
    _DRAWN.clear()
    _draw()
    assert first == _DRAWN
    assert len(first) == 5


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            called = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if called == name:
                found.append(node)
    return found


def unrepeatable_settings(source: str) -> list[int]:
    """Lines of ``settings(...)`` calls that leave a run to fresh randomness.

    A call is repeatable if it says ``derandomize=True`` or derives from another
    ``settings`` object (its first argument), or if the same source seeds hypothesis with
    ``seed(...)``. ``derandomize=False`` (or any non-literal) without a ``seed(...)`` is not.
    """
    tree = ast.parse(source)
    seed_names = {"seed"} | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "hypothesis"
        for alias in node.names
        if alias.name == "seed" and alias.asname
    }
    seeded = any(_calls(tree, name) for name in seed_names)
    lines = []
    for call in _calls(tree, "settings"):
        value = _keyword(call, "derandomize")
        if isinstance(value, ast.Constant) and value.value is True:
            continue
        if value is None and call.args:
            continue  # settings(parent, ...) inherits the parent's choice
        if seeded:
            continue
        lines.append(call.lineno)
    return lines


def test_the_checker_of_this_file_can_fail() -> None:
    assert unrepeatable_settings("settings(max_examples=3)") == [1]
    assert unrepeatable_settings("settings(derandomize=False)") == [1]
    assert unrepeatable_settings("settings(derandomize=True)") == []
    assert unrepeatable_settings("settings(base, max_examples=3)") == []
    assert unrepeatable_settings("@seed(3)\n@settings(derandomize=False)\ndef f(): pass") == []
    aliased = "from hypothesis import seed as s\ns(3)(f)\nsettings(derandomize=False)"
    assert unrepeatable_settings(aliased) == []
    assert unrepeatable_settings(
        "from hypothesis import seed as s\nsettings(derandomize=False)"
    ) == [2]


def test_library_functions_that_run_hypothesis_are_repeatable() -> None:
    offenders = []
    for path in sorted((ROOT / "dslib").rglob("*.py")):
        source = path.read_text()
        if "hypothesis" not in source:
            continue
        for line in unrepeatable_settings(source):
            offenders.append(f"{path.relative_to(ROOT)}:{line}")
    assert not offenders, (
        "these settings(...) calls run hypothesis with fresh randomness when a reader or a "
        "notebook calls them; pass derandomize=True or a fixed seed: " + ", ".join(offenders)
    )


def notebook_code(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text())["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


def test_notebooks_run_hypothesis_derandomized() -> None:
    offenders = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for index, code in notebook_code(path):
            if "settings(" not in code and "@given" not in code:
                continue
            lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
            try:
                bad = unrepeatable_settings("\n".join(lines))
            except SyntaxError:
                continue
            if "@given" in code and "settings(" not in code:
                bad = [1]
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} cell {index}")
    assert not offenders, (
        "a notebook's kernel does not load conftest.py: these cells run hypothesis without "
        "derandomize=True, so their stored outputs can change from run to run: "
        + ", ".join(offenders)
    )


def test_doctests_see_the_repeatable_profile() -> None:
    """The root conftest.py is loaded for doctests in dslib too (not only for tests/)."""
    if os.environ.get("DSLIB_HYPOTHESIS_PROFILE") == "soak":
        pytest.skip("the soak run uses fresh randomness on purpose")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--co",
            "-p",
            "no:cacheprovider",
            "--doctest-modules",
            "dslib/core.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dslib hypothesis profile: repeatable" in done.stdout, done.stdout


def test_deep_tests_are_skipped_unless_asked_for(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """make test skips the ``deep`` tests, saying where they run; DSLIB_DEEP=1 keeps them."""
    # The root conftest.py (tests/conftest.py is the one "import conftest" would find).
    conftest = request.config.pluginmanager.get_plugin(str(ROOT / "conftest.py"))
    assert conftest is not None
    deep_items = [i for i in request.session.items if i.get_closest_marker("deep")]
    skipped = [m.kwargs.get("reason") for i in deep_items for m in i.iter_markers("skip")]
    if conftest.deep():
        assert skipped == []
    else:
        assert len(skipped) == len(deep_items)
        assert set(skipped) <= {conftest.DEEP_REASON}
    # And in a run of its own without DSLIB_DEEP: the 14 x 14 grid of test_verify_quorums.py
    # is a deep case.
    grid = "tests/test_verify_quorums.py::test_rows_or_columns_witness_on_a_large_grid"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-m", "deep",
         grid],
        cwd=ROOT, capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "DSLIB_DEEP"},
    )  # fmt: skip
    assert "1 skipped" in done.stdout and "deep test: the same check" in done.stdout, done.stdout
    monkeypatch.setenv("DSLIB_DEEP", "1")
    assert conftest.deep()
    monkeypatch.setenv("DSLIB_DEEP", "yes")
    with pytest.raises(pytest.UsageError, match="expected 0 or 1"):
        conftest.deep()
