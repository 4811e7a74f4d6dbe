"""The modules moved into chapter packages: old paths still import for one release, and
nothing in the repository uses them any more.

Chapter 3's small systems moved into ``dslib.small_systems``, chapter 1's broken
simulators into ``dslib.basics`` and chapter 12's ``pbs`` into ``dslib.replication``
(docs/architecture.md, section 3). Each old module is a
shim that warns and re-exports the new one, so a reader's own code keeps working.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MOVED = {
    "dslib.mutex": "dslib.small_systems.mutex",
    "dslib.pbs": "dslib.replication.pbs",
    "dslib.puzzles": "dslib.small_systems.puzzles",
    "dslib.registers": "dslib.small_systems.registers",
    "dslib.sim_mutants": "dslib.basics.sim_mutants",
    "dslib.twophase": "dslib.small_systems.twophase",
}

# Files that still import an old path because another piece of work is editing them; the
# lead switches them over. An entry that no longer uses an old path must leave the list.
PENDING: frozenset[str] = frozenset()

_OLD = "|".join(re.escape(old.removeprefix("dslib.")) for old in sorted(MOVED))
# An import of an old path, in code or in a doctest: ``from dslib.mutex import``,
# ``import dslib.mutex``, ``from dslib import mutex``; or a use as ``dslib.mutex.X``.
OLD_USE = re.compile(
    rf"^\s*(?:>>> |\.\.\. )?(?:from dslib\.(?:{_OLD}) import\b|import dslib\.(?:{_OLD})\b"
    rf"|from dslib import .*\b(?:{_OLD})\b)|\bdslib\.(?:{_OLD})\.\w",
    re.M,
)


def code_of(path: Path) -> str:
    """The text to search: a notebook's code cells, or a Python file's whole text."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def old_path_users() -> dict[str, list[str]]:
    """``{file: [lines that use an old path]}`` over the repository's code and notebooks."""
    shims = {f"dslib/{old.removeprefix('dslib.')}.py" for old in MOVED}
    found: dict[str, list[str]] = {}
    for folder in ("dslib", "tests", "benchmarks", "solutions", "tools", "notebooks"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".ipynb") or ".ipynb_checkpoints" in path.parts:
                continue
            name = path.relative_to(ROOT).as_posix()
            if name in shims or name == "tests/test_moved_modules.py":
                continue
            lines = [m.group(0).strip() for m in OLD_USE.finditer(code_of(path))]
            if lines:
                found[name] = lines
    return found


@pytest.mark.parametrize(("old", "new"), sorted(MOVED.items()))
def test_an_old_path_imports_with_a_warning_and_gives_the_same_objects(old: str, new: str) -> None:
    moved = importlib.import_module(new)
    sys.modules.pop(old, None)  # the shim warns once, when it first runs
    with pytest.warns(DeprecationWarning) as record:
        __import__(old)
    shim = sys.modules[old]
    [warning] = [w for w in record if issubclass(w.category, DeprecationWarning)]
    assert str(warning.message).startswith(f"{old} moved to {new}: import it from there")
    # The warning names the importing file, not the shim: that is what lets pyproject.toml's
    # filter turn an old-path import inside dslib into an error.
    assert warning.filename == __file__
    assert shim.__all__ == moved.__all__
    assert moved.__all__, f"{new} exports nothing"
    for name in moved.__all__:
        assert getattr(shim, name) is getattr(moved, name), f"{old}.{name} is a copy"


def test_an_old_path_imported_from_a_dslib_module_fails_the_tests() -> None:
    # pyproject.toml turns DeprecationWarnings attributed to dslib.* into errors; a module of
    # dslib that still used an old path would fail here, on its first import in the run.
    sys.modules.pop("dslib.mutex", None)
    with pytest.raises(DeprecationWarning, match="^dslib.mutex moved to"):
        exec("import dslib.mutex", {"__name__": "dslib.some_module"})
    assert "dslib.mutex" not in sys.modules


def test_no_code_of_the_repository_uses_an_old_path() -> None:
    found = old_path_users()
    new = {name: lines for name, lines in found.items() if name not in PENDING}
    assert not new, (
        "switch these to the new paths "
        + json.dumps(MOVED)
        + ":\n"
        + "\n".join(f"{name}: {line}" for name, lines in sorted(new.items()) for line in lines)
    )
    done = sorted(PENDING - set(found))
    assert not done, f"these no longer use an old path: remove them from PENDING: {done}"


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("from dslib.mutex import ricart_agrawala\n", True),
        ("    >>> from dslib.registers import primary_backup\n", True),
        ("import dslib.twophase as tp\n", True),
        ("from dslib import puzzles, core\n", True),
        ("dslib.show(dslib.mutex.RicartAgrawala._yields_to)\n", True),
        ("from dslib.sim_mutants import SIMULATOR_MUTANTS\n", True),
        ("from dslib.small_systems.mutex import ricart_agrawala\n", False),
        ("from dslib.basics.sim_mutants import SIMULATOR_MUTANTS\n", False),
        ("from dslib.sim import Simulation\n", False),
        ("import dslib.mutants\n", False),
        ("The old path ``dslib.mutex`` still imports.\n", False),
    ],
)
def test_the_search_for_old_paths_tells_them_from_new_ones(source: str, caught: bool) -> None:
    assert bool(OLD_USE.search(source)) is caught
