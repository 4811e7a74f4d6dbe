"""Execute notebooks in place, top to bottom, each in a fresh kernel (``make book``).

Usage: ``python tools/run_notebooks.py [PATH ...]`` where each PATH is a
notebook or a folder of notebooks (default: ``notebooks``). Widget state is
dropped (DESIGN.md section 6) and the execution time of each notebook is
printed, so that the 60-second budget is visible.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def notebooks(paths: list[str]) -> list[Path]:
    """Every ``.ipynb`` under ``paths`` (checkpoints excluded), sorted."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [q for q in p.rglob("*.ipynb") if ".ipynb_checkpoints" not in q.parts]
        elif p.suffix == ".ipynb":
            found.append(p)
        else:
            raise SystemExit(f"run_notebooks: {p} is neither a notebook nor a folder")
    return sorted(found)


def execute(path: Path) -> float:
    """Execute ``path`` in place in a fresh kernel; return the seconds it took."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    total = 0.0
    for path in notebooks(argv or ["notebooks"]):
        seconds = execute(path)
        total += seconds
        print(f"{seconds:7.1f} s  {path}", flush=True)
    print(f"{total:7.1f} s  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
