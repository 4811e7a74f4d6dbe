"""Sphinx configuration of the book's HTML edition (``make html``).

The source folder is the repository root, so the notebooks' relative links
(``../15-raft/15.01-log-replication-and-safety.ipynb``) resolve as they do in JupyterLab;
only ``docs/`` and ``notebooks/`` are read. The notebooks are rendered from their stored
outputs and never executed: CI's strict nbval already proves those outputs are what the
code prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))

project = "Distributed systems, a runnable textbook"
author = "the dslib authors"
copyright = "the dslib authors (MIT licence)"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
    "dslib_book",
]

root_doc = "docs/index"
include_patterns = ["docs/**", "notebooks/**"]
exclude_patterns = ["docs/_ext/**", "docs/_templates/**", "**/.ipynb_checkpoints/**"]
templates_path = ["_templates"]  # relative to this folder
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# -- notebooks (myst-nb) ----------------------------------------------------------------------
nb_execution_mode = "off"  # the stored outputs are the book; nbval checks them
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 6  # anchors for "other.ipynb#Exercises" links between pages
myst_heading_slug_func = "dslib_book.jupyter_slug"  # JupyterLab's anchors, so links match
nb_merge_streams = True  # one block per cell for print() output, as JupyterLab shows it
# dslib_book drops a widget's live view (no kernel here) and keeps its static figure.

# -- the API reference (autodoc + numpydoc) ---------------------------------------------------
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
numpydoc_show_class_members = False  # methods are documented by autodoc, not as tables
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# numpydoc's References sections are bibliographies: a paper need not be cited as [1]_ in the
# text, so an unreferenced citation is not a mistake.
suppress_warnings = ["ref.citation"]

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Distributed systems"
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
}
toc_object_entries = False  # the page's own contents list modules, not every method
html_additional_pages = {"index": "redirect.html"}  # build/html/index.html -> the contents
html_last_updated_fmt = None
html_copy_source = True  # the theme's download button gives the reader the .ipynb
html_show_sourcelink = False
