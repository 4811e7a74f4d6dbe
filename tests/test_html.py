"""The HTML edition's own code: the internal-link checker and the Sphinx extension's helpers.

``make html`` runs the whole build (warnings as errors) and the checker over it; these tests
show that each piece can fail, on small pages and notebooks made here.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


check_html = _load("check_html", ROOT / "tools" / "check_html.py")
book = _load("dslib_book", ROOT / "docs" / "_ext" / "dslib_book.py")


# -- the link checker ------------------------------------------------------------------------
GOOD = {
    "index.html": '<a href="docs/index.html">contents</a>',
    "docs/index.html": (
        '<h1 id="top">Contents</h1><a href="#top">top</a>'
        '<a href="../notebooks/a.html#Exercises">a</a> <img src="../_static/x.png">'
        '<a href="https://example.org/#nowhere">out</a> <a href="mailto:x@y.z">mail</a>'
        '<a href="//cdn.example.org/m.js">cdn</a> <a href="../notebooks/">folder</a>'
    ),
    "notebooks/a.html": '<h2 id="Exercises">Exercises</h2><a name="old">x</a>'
    '<a href="a.html#old">self</a> <a href="a%20b.html">space</a>',
    "notebooks/a b.html": "<p>a page whose name has a space</p>",
    "notebooks/index.html": "<p>folder index</p>",
    "_static/x.png": "",
    # The theme ships Jinja templates named .html among its assets: not pages.
    "_static/webpack-macros.html": "<script src=\"{{ pathto('x.js', 1) }}\"></script>",
}


def site(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_site_whose_links_all_resolve_passes(tmp_path: Path) -> None:
    assert check_html.broken_links(site(tmp_path, GOOD)) == []


@pytest.mark.parametrize(
    ("page", "text", "expected"),
    [
        ("docs/b.html", '<a href="../notebooks/gone.html">x</a>', "names a missing file"),
        ("docs/b.html", '<a href="../notebooks/a.html#Exercise">x</a>', "names a missing anchor"),
        ("docs/b.html", '<a href="#nowhere">x</a>', "names a missing anchor"),
        ("docs/b.html", '<img src="../_static/gone.png">', "names a missing file"),
        ("docs/b.html", '<a href="../../outside.html">x</a>', "points outside the site"),
        ("docs/b.html", '<a href="../_static/">x</a>', "is a folder without index.html"),
    ],
)
def test_each_kind_of_broken_link_is_reported(
    tmp_path: Path, page: str, text: str, expected: str
) -> None:
    problems = check_html.broken_links(site(tmp_path, {**GOOD, page: text}))
    assert len(problems) == 1
    assert problems[0].startswith(f"{page}: ") and problems[0].endswith(expected)


def test_a_docutils_error_marker_is_left_to_the_build(tmp_path: Path) -> None:
    # docutils links unparsable markup to its error message; Sphinx reports (and under -W
    # fails on) that error itself. A real link right after it is still checked.
    marker = '<a href="#id8"><span class="problematic" id="id9">``</span></a><a href="#id7">x</a>'
    problems = check_html.broken_links(site(tmp_path, {**GOOD, "docs/c.html": marker}))
    assert problems == ["docs/c.html: #id7 names a missing anchor"]


def test_main_exits_1_and_names_the_broken_link(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = site(tmp_path, {**GOOD, "docs/b.html": '<a href="nope.html">x</a>'})
    assert check_html.main([str(broken)]) == 1
    out = capsys.readouterr().out
    assert "docs/b.html: nope.html names a missing file" in out
    assert check_html.main([str(tmp_path / "docs" / "index.html")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_bad_site_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a folder"):
        check_html.broken_links(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"holds no \.html file"):
        check_html.broken_links(tmp_path)


# -- notebooks as pages ----------------------------------------------------------------------
def test_widget_outputs_are_dropped_and_their_static_figure_kept() -> None:
    widget = {"output_type": "display_data", "data": {book.WIDGET_VIEW: {}, "text/plain": "VBox"}}
    figure = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Fig>"}}
    text = {"output_type": "stream", "name": "stdout", "text": "hello"}
    notebook = {
        "cells": [
            {"cell_type": "code", "outputs": [widget, figure, text]},
            {"cell_type": "markdown", "source": "prose"},
        ]
    }
    assert book.static_outputs(notebook)["cells"][0]["outputs"] == [figure, text]
    # A widget whose output bundle carries its own static figure keeps the figure.
    both = {"output_type": "display_data", "data": {book.WIDGET_VIEW: {}, "image/png": "iVBOR",
                                                     "text/plain": "VBox"}}  # fmt: skip
    assert book.static_output(both) == {
        "output_type": "display_data",
        "data": {"image/png": "iVBOR"},
    }


def test_a_chapter_overview_gets_its_sections_as_a_hidden_toctree() -> None:
    docs = [
        "notebooks/12-replication/12.00-replication",
        "notebooks/12-replication/12.02-quorums",
        "notebooks/12-replication/12.01-primary-backup",
        "notebooks/13-sharding/13.01-partitioning",
    ]
    toctree = book.chapter_toctree(docs[0], docs)
    assert toctree == "```{toctree}\n:hidden:\n\n12.01-primary-backup\n12.02-quorums\n```\n"
    assert book.chapter_toctree(docs[1], docs) is None  # a section, not an overview
    assert book.chapter_toctree("notebooks/14-consensus/14.00-consensus", docs) is None
    assert book.chapter_toctree("docs/index", docs) is None


def test_heading_anchors_are_jupyterlabs() -> None:
    # The notebooks link "12.02-quorums-and-abd.ipynb#Exercises", as JupyterLab names it.
    assert book.jupyter_slug("Exercises") == "Exercises"
    assert book.jupyter_slug(" Further reading ") == "Further-reading"


# -- the API reference -----------------------------------------------------------------------
def test_every_public_module_is_on_exactly_one_page_of_its_layer() -> None:
    grouped = book.modules_by_layer(ROOT / "dslib", ROOT / "docs" / "architecture.md")
    assert list(grouped) == ["kernel", "simulator", "instruments", "systems", "viz", "interaction"]
    pages = book.package_pages(grouped)
    on_pages = sorted(m for _, modules in pages.values() for m in modules)
    assert len(on_pages) == len(set(on_pages))
    public = book.public_modules(ROOT / "dslib")
    moved = sorted(set(public) - set(on_pages))
    # What is left out is exactly the one-release shims of moved modules.
    assert moved == ["dslib.mutex", "dslib.pbs", "dslib.puzzles", "dslib.registers",
                     "dslib.sim_mutants", "dslib.twophase"]  # fmt: skip
    assert "dslib.raft.core" in pages["dslib.raft"][1] and pages["dslib.raft"][0] == "systems"
    rst = book.page_rst("dslib.raft", pages["dslib.raft"][1])
    assert rst.startswith("``dslib.raft``\n==============\n\n.. automodule:: dslib.raft\n")
    assert ".. automodule:: dslib.raft.core\n   :members: " in rst
    with pytest.raises(ValueError, match="must start with its own module"):
        book.page_rst("dslib.raft", ["dslib.raft.core"])
    assert pages["dslib.core"][0] == "kernel"
    assert not any(part.startswith("_") for m in public for part in m.split("."))


def test_a_module_in_no_layer_fails_the_build(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "core.py").write_text("")
    (tmp_path / "pkg" / "extra.py").write_text("")
    table = tmp_path / "map.md"
    table.write_text(
        "<!-- layers:begin -->\n| rank | layer | modules |\n|---|---|---|\n"
        "| 0 | kernel | `pkg.core`, `pkg.__init__` |\n<!-- layers:end -->\n"
    )
    with pytest.raises(ValueError, match=r"pkg\.extra is in no layer of map\.md"):
        book.modules_by_layer(tmp_path / "pkg", table)


def test_own_members_leave_re_exports_to_their_home_module() -> None:
    import dslib
    import dslib.raft

    assert book.own_members(dslib) == []  # Node, Simulation ... are documented at home
    assert "RaftNode" not in book.own_members(dslib.raft)
    assert "RaftNode" in book.own_members(sys.modules["dslib.raft.core"])


# -- the tolerated warnings ------------------------------------------------------------------
def test_each_tolerated_warning_names_a_file_that_exists() -> None:
    for where, start in book.TOLERATED:
        path = where.split(":", 1)[0]
        assert start and (path == "" or (ROOT / path).is_file()), (where, start)
        assert book.is_tolerated(f"/x/{where}12", start + " more") == (where, start)
    assert (
        book.is_tolerated("/x/dslib/core.py:docstring of dslib.core:3", "Malformed table") is None
    )


def test_the_examples_in_the_docstrings_run() -> None:
    # These files are outside dslib, so `make test`'s --doctest-modules does not see them.
    import doctest

    for module in (check_html, book):
        failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert tried > 0 and failed == 0, module.__name__
