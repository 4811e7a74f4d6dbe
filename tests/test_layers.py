"""The layer rule of docs/architecture.md: no module of dslib imports from a layer above it.

The layer table is read from the page itself (between ``<!-- layers:begin -->`` and
``<!-- layers:end -->``), so the map and the test cannot drift apart. Every import counts:
module-level, inside a function, and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAP = ROOT / "docs" / "architecture.md"

# Imports that break the rule today, each with its reason. Phase 2 of the restructuring
# empties this list; do not add to it: move the shared code down a layer instead.
ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # FoundBug.diagram() draws the failing run; the figure belongs in dslib.viz (or the
        # method in a viz helper that takes a FoundBug). Owner: dslib/testing.
        ("dslib.testing.find_bug", "dslib.viz.spacetime"),
    }
)


@dataclass(frozen=True)
class Import:
    """One import statement: which module, which line, what it imports."""

    module: str
    line: int
    target: str


def read_layers(text: str) -> dict[str, tuple[int, str]]:
    """``{module prefix: (rank, layer name)}`` from the marked table of the map."""
    match = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", text, re.S)
    if match is None:
        raise ValueError("the map has no <!-- layers:begin --> ... <!-- layers:end --> table")
    layers: dict[str, tuple[int, str]] = {}
    for row in match.group(1).splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].isdigit():
            continue
        rank, name = int(cells[0]), cells[1]
        for prefix in re.findall(r"`([\w.]+)`", cells[2]):
            if prefix in layers:
                raise ValueError(f"{prefix} is listed twice in the layer table")
            layers[prefix] = (rank, name)
    if not layers:
        raise ValueError("the layer table of the map is empty")
    return layers


def layer_of(module: str, layers: dict[str, tuple[int, str]]) -> tuple[int, str] | None:
    """The layer of ``module``: its longest prefix in the table (None if none matches).

    ``pkg.__init__`` in the table stands for the package's own ``__init__`` only, not for
    every module under it.
    """
    if f"{module}.__init__" in layers:
        return layers[f"{module}.__init__"]
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in layers:
            return layers[prefix]
    return None


def module_name(path: Path, package_root: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str, package: str, modules: frozenset[str]) -> list[Import]:
    """Every import of ``package`` in the file, at any depth (functions, TYPE_CHECKING).

    ``from a.b import c`` imports the module ``a.b.c`` if there is one (``modules``), else
    a name defined in ``a.b``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            names = [f"{stem}.{alias.name}" for alias in node.names]
            targets = sorted({name if name in modules else stem for name in names})
        for target in targets:
            if target == package or target.startswith(package + "."):
                out.append(Import(module, node.lineno, target))
    return out


def violations(
    package_root: Path, layers: dict[str, tuple[int, str]], allowed: frozenset[tuple[str, str]]
) -> list[str]:
    """A message for each import from a higher layer, and each module the table misses."""
    package = package_root.name
    paths = sorted(package_root.rglob("*.py"))
    modules = frozenset(module_name(p, package_root) for p in paths)
    problems = []
    for path in paths:
        module = module_name(path, package_root)
        own = layer_of(module, layers)
        if own is None:
            problems.append(
                f"{module} ({path.name}) is in no layer: add its package to the table "
                "in docs/architecture.md"
            )
            continue
        for imp in imports_of(path, module, package, modules):
            target_layer = layer_of(imp.target, layers)
            if target_layer is None or target_layer[0] <= own[0]:
                continue
            if (module, imp.target) in allowed:
                continue
            problems.append(
                f"{module} (line {imp.line}, layer {own[0]} {own[1]}) imports {imp.target} "
                f"(layer {target_layer[0]} {target_layer[1]}): imports must point down"
            )
    return problems


# -- the real package ---------------------------------------------------------------------
def test_no_module_of_dslib_imports_from_a_layer_above_it() -> None:
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    problems = violations(ROOT / "dslib", layers, ALLOWED)
    assert not problems, "\n".join(problems)


def test_every_allowed_exception_is_still_needed() -> None:
    # An entry that no longer breaks the rule must leave the list, so the list only shrinks.
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    found = violations(ROOT / "dslib", layers, frozenset())
    for module, target in sorted(ALLOWED):
        assert any(p.startswith(f"{module} ") and f"imports {target} " in p for p in found), (
            f"({module!r}, {target!r}) is in ALLOWED but no longer breaks the rule: remove it"
        )


def test_the_map_names_the_six_layers_in_order() -> None:
    layers = read_layers(MAP.read_text(encoding="utf-8"))
    names = sorted({v for v in layers.values()})
    assert [n for _, n in names] == [
        "kernel",
        "simulator",
        "instruments",
        "systems",
        "viz",
        "interaction",
    ]
    assert layer_of("dslib.raft.core", layers) == (3, "systems")
    assert layer_of("dslib.core", layers) == (0, "kernel")
    assert layer_of("dslib", layers) == (1, "simulator")


# -- the checker itself can fail ----------------------------------------------------------
TABLE = """
<!-- layers:begin -->
| rank | layer | modules |
|---|---|---|
| 0 | kernel | `pkg.core` |
| 1 | instruments | `pkg.check`, `pkg.__init__` |
| 2 | systems | `pkg.raft` |
<!-- layers:end -->
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


GOOD = {
    "pkg/__init__.py": "from pkg.core import Node\n",
    "pkg/core.py": "import json\n",
    "pkg/check/__init__.py": "from pkg.check.search import run\n",
    "pkg/check/search.py": "from pkg.core import Node\nfrom pkg import core\n",
    "pkg/raft/__init__.py": "from .node import RaftNode\n",
    "pkg/raft/node.py": "from ..check import search\nfrom pkg.core import Node\n",
}


def test_a_tree_that_keeps_the_rule_passes(tmp_path: Path) -> None:
    assert violations(write_tree(tmp_path, GOOD), read_layers(TABLE), frozenset()) == []


@pytest.mark.parametrize(
    ("module", "source", "line", "target"),
    [
        ("pkg/core.py", "from pkg.raft.node import RaftNode\n", 1, "pkg.raft.node"),
        ("pkg/core.py", "import pkg.check.search\n", 1, "pkg.check.search"),
        ("pkg/core.py", "def f():\n    from pkg.check import search\n", 2, "pkg.check.search"),
        (
            "pkg/core.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.raft import node\n",
            3,
            "pkg.raft.node",
        ),
        ("pkg/check/search.py", "from ..raft import node\n", 1, "pkg.raft.node"),
        ("pkg/check/search.py", "from pkg.raft import RaftNode\n", 1, "pkg.raft"),
    ],
)
def test_an_import_from_a_higher_layer_is_named_with_its_line(
    tmp_path: Path, module: str, source: str, line: int, target: str
) -> None:
    root = write_tree(tmp_path, {**GOOD, module: source})
    problems = violations(root, read_layers(TABLE), frozenset())
    own = module.removesuffix(".py").replace("/", ".")
    assert any(p.startswith(f"{own} (line {line},") and f"imports {target} " in p for p in problems)
    assert all("imports must point down" in p for p in problems)
    allowed = frozenset((own, p.split(" imports ")[1].split(" ")[0]) for p in problems)
    assert violations(root, read_layers(TABLE), allowed) == []


def test_a_module_outside_every_layer_is_reported(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {**GOOD, "pkg/queues.py": "x = 1\n"})
    [problem] = violations(root, read_layers(TABLE), frozenset())
    assert problem.startswith("pkg.queues (queues.py) is in no layer")


def test_a_map_without_the_table_is_refused() -> None:
    with pytest.raises(ValueError, match="no <!-- layers:begin -->"):
        read_layers("# a map\n")
    with pytest.raises(ValueError, match="listed twice"):
        read_layers(TABLE.replace("`pkg.raft`", "`pkg.core`"))
