"""Sign the book's notebooks as trusted for this user (``make lab`` runs it first).

Jupyter keeps, per user, a database of notebooks whose outputs the user has
vouched for; for any other notebook the server logs "Notebook ... is not
trusted" on every open and JupyterLab sanitises its stored HTML outputs. A reader
who runs ``make lab`` is about to execute the book's code anyway, so the book's own
notebooks are signed as they are on disk. Only unsigned notebooks are signed, and
nothing is printed, so a second run costs a hash per notebook.

Usage: ``python tools/trust_notebooks.py [PATH ...]`` (default: ``notebooks``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.sign import NotebookNotary


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from run_notebooks import notebooks

    notary = NotebookNotary()
    for path in notebooks(argv or ["notebooks"]):
        nb = nbformat.read(path, as_version=4)
        if not notary.check_signature(nb):
            notary.sign(nb)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
