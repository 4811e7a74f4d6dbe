"""Stored notebooks that opening in JupyterLab does not rewrite (no browser needed).

JupyterLab replaces a notebook's ``kernelspec`` metadata with the connected
kernel's as soon as it opens; a stored value that differs marks the notebook
modified and autosave writes it back. The browser test (``test_browser.py``)
sees that directly; this test sees its cause on every machine, browser or not.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from notebook_metadata import fix, installed_kernelspec, stale  # noqa: E402
from run_notebooks import notebooks  # noqa: E402

NOTEBOOKS = notebooks([str(ROOT / "notebooks")])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_kernelspec_is_the_installed_one(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert not stale(nb, installed_kernelspec()), (
        f"{path}: stored kernelspec {dict(nb.metadata.get('kernelspec', {}))} differs from "
        f"the installed kernel's {installed_kernelspec()}; JupyterLab would rewrite it on "
        f"opening. Fix: python tools/notebook_metadata.py {path}"
    )


def test_the_check_catches_and_fix_repairs_a_stale_kernelspec(tmp_path: Path) -> None:
    spec = installed_kernelspec()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {**spec, "display_name": "Python 3"}  # what the book stored
    path = tmp_path / "stale.ipynb"
    nbformat.write(nb, path)
    assert stale(nbformat.read(path, as_version=4), spec)
    assert fix(path, spec) is True
    fixed = nbformat.read(path, as_version=4)
    assert not stale(fixed, spec) and fixed.cells == nb.cells
    assert fix(path, spec) is False  # a second run changes nothing
