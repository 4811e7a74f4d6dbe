"""Keep each notebook's kernelspec equal to what the installed kernel reports.

JupyterLab writes the kernel's own ``kernelspec`` into a notebook's metadata as
soon as the notebook connects to it. A stored value that differs (the book once
stored ``"Python 3"`` where ipykernel calls itself ``"Python 3 (ipykernel)"``)
therefore marks an unedited notebook modified on opening, and autosave writes it
back into git. ``make book`` (``tools/run_notebooks.py``) stores the installed
value; this script fixes or checks the metadata alone, without executing.

Usage: ``python tools/notebook_metadata.py [--check] [PATH ...]`` where each
PATH is a notebook or a folder (default: ``notebooks``). ``--check`` changes
nothing and exits 1 listing every notebook whose metadata is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

KERNEL = "python3"


def installed_kernelspec(name: str = KERNEL) -> dict[str, str]:
    """The ``kernelspec`` metadata JupyterLab writes for the installed kernel ``name``."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def stale(nb: nbformat.NotebookNode, spec: dict[str, str]) -> bool:
    """Whether opening ``nb`` in JupyterLab would rewrite its kernelspec."""
    return dict(nb.metadata.get("kernelspec", {})) != spec


def fix(path: Path, spec: dict[str, str]) -> bool:
    """Store ``spec`` as ``path``'s kernelspec (cells untouched); return whether it changed."""
    nb = nbformat.read(path, as_version=4)
    if not stale(nb, spec):
        return False
    cells = nbformat.writes(nbformat.from_dict({**nb, "metadata": {}}))
    nb.metadata["kernelspec"] = spec
    assert nbformat.writes(nbformat.from_dict({**nb, "metadata": {}})) == cells
    nbformat.write(nb, path)
    return True


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from run_notebooks import notebooks

    check = "--check" in argv
    paths = notebooks([a for a in argv if a != "--check"] or ["notebooks"])
    spec = installed_kernelspec()
    if check:
        bad = [p for p in paths if stale(nbformat.read(p, as_version=4), spec)]
        for p in bad:
            print(f"stale kernelspec (want {spec}): {p}")
        if bad:
            print("fix with: python tools/notebook_metadata.py " + " ".join(map(str, bad)))
        return 1 if bad else 0
    changed = [p for p in paths if fix(p, spec)]
    print(f"{len(changed)} of {len(paths)} notebooks given kernelspec {spec}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
