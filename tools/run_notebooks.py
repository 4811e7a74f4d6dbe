"""Execute notebooks in place, top to bottom, each in a fresh kernel (``make book``).

Usage: ``python tools/run_notebooks.py [--time-only] [PATH ...]`` where each PATH is a
notebook or a folder of notebooks (default: ``notebooks``); ``--time-only`` executes
without writing, to measure. Widget state is
dropped (DESIGN.md section 6) and the execution time of each notebook is
printed, so that the 60-second budget is visible.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebook_metadata import installed_kernelspec


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


SLOW_CELL_SECONDS = 10.0  # DESIGN.md section 6: no cell over about 10 s on a quiet machine


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """Seconds a just-executed code cell took, from nbclient's timing metadata (0 if none)."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    from datetime import datetime

    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def execute(path: Path, write: bool = True) -> float:
    """Execute ``path`` in place in a fresh kernel; return the seconds it took.

    Prints each code cell that took longer than ``SLOW_CELL_SECONDS``.
    """
    nb = nbformat.read(path, as_version=4)
    nb.metadata.pop("widgets", None)
    # Stored as the installed kernel reports it, so that opening the notebook in JupyterLab
    # does not rewrite it (tools/notebook_metadata.py).
    nb.metadata["kernelspec"] = installed_kernelspec()
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for index, cell in enumerate(nb.cells):
        seconds = cell_seconds(cell)
        if seconds > SLOW_CELL_SECONDS:
            print(f"  slow cell: {path} cell {index} took {seconds:.1f} s", flush=True)
        cell.metadata.pop("execution", None)
    if write:
        nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    write = "--time-only" not in argv
    argv = [a for a in argv if a != "--time-only"]
    total = 0.0
    for path in notebooks(argv or ["notebooks"]):
        seconds = execute(path, write=write)
        total += seconds
        print(f"{seconds:7.1f} s  {path}", flush=True)
    print(f"{total:7.1f} s  in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
