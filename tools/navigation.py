"""Write, or check, the book's navigation: a links cell at the end of every page, and the contents.

Usage: ``python tools/navigation.py [--check] [NOTEBOOKS_FOLDER]`` (default ``notebooks``).

The book's order is the sorted order of its pages' paths, ``NN-chapter/NN.MM-section.ipynb``,
so a new chapter or section takes its place by its name alone. Each page ends with one
markdown cell tagged ``navigation`` (cell metadata ``{"tags": ["navigation"]}``): links to the
previous page, the next page, the chapter's overview (its ``NN.00`` page; a chapter without
one links to its entry in the contents) and the contents. A rerun replaces that cell, never
adds a second. ``contents.ipynb`` in the notebooks folder, also written here, lists every
part, chapter and section, from the pages' first-cell titles and ``CHAPTERS`` below; a
chapter with no folder yet is marked *to come*.

``--check`` changes nothing. It exits 1, listing what is wrong and the command that fixes
it, if a navigation cell or the contents is stale, or if a relative link or ``#anchor`` in
the markdown of any notebook, or in ``README.md``, does not resolve. Anchors are the ones
JupyterLab gives headings (the heading's text, spaces replaced by ``-``), which the HTML
edition also uses (``docs/_ext/dslib_book.py``, ``jupyter_slug``), so one link works in both.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dslib_book import jupyter_slug  # noqa: E402  (one spelling of the anchors)
from notebook_metadata import installed_kernelspec  # noqa: E402

TAG = "navigation"
CONTENTS = "contents.ipynb"
FOLDER = re.compile(r"(?P<chapter>\d\d)-[a-z0-9-]+")
PAGE = re.compile(r"(?P<chapter>\d\d)\.(?P<section>\d\d)-[a-z0-9-]+\.ipynb")


@dataclass(frozen=True)
class Chapter:
    """One chapter of the book's plan (``BOOK.md``), whether or not it is written yet."""

    number: int
    title: str
    part: str
    to_come: str  # what the chapter will cover, shown while it has no folder


PARTS = (
    "Part I: Foundations",
    "Part II: Architectures and components",
    "Part III: Consistency, replication, sharding",
    "Part IV: Consensus",
    "Part V: Security and the whole",
)
_I, _II, _III, _IV, _V = PARTS
CHAPTERS = (
    Chapter(0, "How to use this book", _I, "JupyterLab, the simulator and the checking tools"),
    Chapter(1, "What is a distributed system?", _I, "the simulated network, partial failure"),
    Chapter(2, "Time and order", _I, "physical, logical and hybrid clocks"),
    Chapter(3, "How do we know it works?", _I, "model checking, testing under faults, z3"),
    Chapter(4, "Failure", _I, "failure models and failure detection"),
    Chapter(5, "Architectures", _II, "client-server, peer-to-peer, microservices, events"),
    Chapter(6, "Load balancing", _II, "policies, the power of two choices, health checks"),
    Chapter(
        7,
        "Message queues",
        _II,
        "a partitioned log, consumer groups and offsets, delivery semantics, a work queue",
    ),
    Chapter(
        8,
        "Databases",
        _II,
        "a storage engine and write-ahead log, isolation levels and their anomalies, "
        "Dynamo-style key-value stores",
    ),
    Chapter(
        9,
        "Caching",
        _II,
        "cache-aside, write-through and write-back, eviction, stale reads, thundering herds",
    ),
    Chapter(
        10,
        "Orchestration",
        _II,
        "reconciliation loops, scheduling, rolling updates, autoscaling, leases",
    ),
    Chapter(11, "CAP and consistency models", _III, "linearizability, sessions, CAP, PACELC"),
    Chapter(12, "Replication", _III, "primary-backup, chains, quorums, CRDTs"),
    Chapter(13, "Sharding", _III, "partitioning, hot spots, cross-shard transactions"),
    Chapter(14, "Consensus", _IV, "the problem, FLP, single-decree Paxos, Multi-Paxos"),
    Chapter(15, "Raft", _IV, "election, log replication, safety, a key-value store"),
    Chapter(
        16,
        "Security",
        _V,
        "threat models, authentication and authorization, replay attacks, Byzantine quorums",
    ),
    Chapter(
        17,
        "Capstone",
        _V,
        "a sharded, replicated, linearizable key-value store, tested Jepsen-style",
    ),
)
BY_NUMBER = {chapter.number: chapter for chapter in CHAPTERS}


@dataclass(frozen=True)
class Page:
    """One page of the book: its path under the notebooks folder, chapter and title."""

    path: Path  # relative to the notebooks folder: "13-sharding/13.01-partitioning-schemes.ipynb"
    chapter: int
    section: int
    title: str


def _title(path: Path, notebook: nbformat.NotebookNode) -> str:
    first = notebook.cells[0] if notebook.cells else None
    lines = first.source.splitlines() if first is not None else []
    if first is None or first.cell_type != "markdown" or not lines or not lines[0].startswith("# "):
        raise ValueError(f"{path}: the first cell must be markdown starting with '# Title'")
    return lines[0][2:].strip()


def book_pages(notebooks: Path) -> list[Page]:
    """Every page of the book under ``notebooks``, in the book's order (sorted paths).

    Raises
    ------
    ValueError
        If a chapter folder or a page is misnamed (not ``NN-name/NN.MM-name.ipynb`` with the
        same NN), names a chapter missing from ``CHAPTERS``, or has no ``# Title`` first cell.
    """
    pages = []
    for folder in sorted(p for p in notebooks.iterdir() if p.is_dir() and p.name[:1].isdigit()):
        folder_name = FOLDER.fullmatch(folder.name)
        if folder_name is None:
            raise ValueError(f"{folder}: a chapter folder is named NN-lowercase-words")
        number = int(folder_name["chapter"])
        if number not in BY_NUMBER:
            raise ValueError(f"{folder}: chapter {number} is not in CHAPTERS of {__file__}")
        for path in sorted(folder.glob("*.ipynb")):
            page = PAGE.fullmatch(path.name)
            if page is None or page["chapter"] != folder_name["chapter"]:
                raise ValueError(
                    f"{path}: a page of chapter {folder_name['chapter']} is named "
                    f"{folder_name['chapter']}.MM-lowercase-words.ipynb"
                )
            title = _title(path, nbformat.read(path, as_version=4))
            pages.append(Page(path.relative_to(notebooks), number, int(page["section"]), title))
    if not pages:
        raise ValueError(f"{notebooks} holds no chapter folder with pages")
    return pages


def _link(text: str, source: Path, target: Path, anchor: str = "") -> str:
    """A markdown link from page ``source`` to ``target`` (both relative to the notebooks)."""
    relative = Path(os.path.relpath(target, source.parent)).as_posix()
    escaped = text.replace("[", r"\[").replace("]", r"\]")
    return f"[{escaped}]({relative}{'#' + anchor if anchor else ''})"


def _overview(pages: list[Page], chapter: int) -> Page | None:
    return next((p for p in pages if p.chapter == chapter and p.section == 0), None)


def chapter_title(number: int) -> str:
    """``"13. Sharding"``: the chapter's number and title as the contents shows them."""
    return f"{number}. {BY_NUMBER[number].title}"


def navigation_cell(pages: list[Page], index: int) -> str:
    """The markdown of the navigation cell that ends ``pages[index]``.

    >>> pages = [Page(Path("02-time/02.00-time.ipynb"), 2, 0, "2. Time and order"),
    ...          Page(Path("02-time/02.01-clocks.ipynb"), 2, 1, "2.1 Physical clocks"),
    ...          Page(Path("17-capstone/17.01-reality.ipynb"), 17, 1, "17.1 Reality")]
    >>> for part in navigation_cell(pages, 1).split(" · "):
    ...     print(part)
    **Previous:** [2. Time and order](02.00-time.ipynb)
    **Next:** [17.1 Reality](../17-capstone/17.01-reality.ipynb)
    **Chapter:** [2. Time and order](02.00-time.ipynb)
    **Contents:** [all chapters and sections](../contents.ipynb)
    >>> print(navigation_cell(pages, 2).split(" · ")[1:3])
    ['**Next:** none yet: the [contents](../contents.ipynb) lists the chapters to come', '**Chapter:** [17. Capstone](../contents.ipynb#Part-V:-Security-and-the-whole)']
    """  # noqa: E501
    page = pages[index]
    contents = Path(CONTENTS)
    parts = []
    if index > 0:
        parts.append(
            f"**Previous:** {_link(pages[index - 1].title, page.path, pages[index - 1].path)}"
        )
    if index + 1 < len(pages):
        parts.append(f"**Next:** {_link(pages[index + 1].title, page.path, pages[index + 1].path)}")
    else:
        to_come = _link("contents", page.path, contents)
        parts.append(f"**Next:** none yet: the {to_come} lists the chapters to come")
    overview = _overview(pages, page.chapter)
    title = chapter_title(page.chapter)
    if overview is None:
        anchor = jupyter_slug(BY_NUMBER[page.chapter].part)
        parts.append(f"**Chapter:** {_link(title, page.path, contents, anchor)}")
    elif overview != page:
        parts.append(f"**Chapter:** {_link(title, page.path, overview.path)}")
    parts.append(f"**Contents:** {_link('all chapters and sections', page.path, contents)}")
    return " · ".join(parts)


def contents_cells(pages: list[Page]) -> list[str]:
    """The markdown cells of the contents page: a title, then one cell per part."""
    intro = (
        "# Contents\n"
        "\n"
        "Every chapter of the book in reading order, each with its sections. A chapter's first\n"
        "link is its overview, which says what the chapter is about and what you will learn.\n"
        "Chapters marked *to come* are still being written; they keep their number, so the\n"
        "pages that exist do not move when they arrive. Every page ends with links to the\n"
        "previous page, the next page, its chapter and this contents."
    )
    contents = Path(CONTENTS)
    cells = [intro]
    for part in PARTS:
        lines = [f"## {part}", ""]
        for chapter in (c for c in CHAPTERS if c.part == part):
            own = [p for p in pages if p.chapter == chapter.number]
            title = chapter_title(chapter.number)
            if not own:
                lines.append(f"- **{title}**: *to come* ({chapter.to_come})")
                continue
            overview = _overview(pages, chapter.number)
            lines.append(f"- **{_link(title, contents, overview.path) if overview else title}**")
            # An overview titled "N. Title" is the chapter's link; a page "N.0 Section" is listed.
            lines += [
                f"  - {_link(p.title, contents, p.path)}"
                for p in own
                if not (p == overview and p.title.startswith(f"{chapter.number}. "))
            ]
        cells.append("\n".join(lines))
    return cells


def _contents_notebook(pages: list[Page], existing: Path) -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_markdown_cell(source, id=f"contents-{i}")
        for i, source in enumerate(contents_cells(pages))
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    if existing.is_file():  # keep what execution or JupyterLab stored (language_info)
        notebook.metadata = nbformat.read(existing, as_version=4).metadata
    notebook.metadata["kernelspec"] = installed_kernelspec()
    # The page is never executed, but JupyterLab writes language_info when a kernel
    # connects and then calls the notebook modified: store what the book's pages store.
    if "language_info" not in notebook.metadata and pages:
        first = nbformat.read(existing.parent / pages[0].path, as_version=4).metadata
        if "language_info" in first:
            notebook.metadata["language_info"] = first["language_info"]
    return notebook


def with_navigation(notebook: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """``notebook`` with every tagged navigation cell removed and one holding ``source`` last."""
    kept = [c for c in notebook.cells if TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_markdown_cell(source, id=TAG, metadata={"tags": [TAG]})
    return nbformat.from_dict({**notebook, "cells": [*kept, cell]})


def planned(notebooks: Path) -> dict[Path, nbformat.NotebookNode]:
    """Every notebook the tool owns a part of, as it should be stored."""
    pages = book_pages(notebooks)
    wanted = {}
    for index, page in enumerate(pages):
        path = notebooks / page.path
        wanted[path] = with_navigation(
            nbformat.read(path, as_version=4), navigation_cell(pages, index)
        )
    contents = notebooks / CONTENTS
    wanted[contents] = _contents_notebook(pages, contents)
    return wanted


def _cells(notebook: nbformat.NotebookNode) -> list[tuple[str, str, str, dict[str, object]]]:
    return [(c.cell_type, c.get("id", ""), c.source, dict(c.metadata)) for c in notebook.cells]


def _stale(wanted: dict[Path, nbformat.NotebookNode]) -> list[Path]:
    return [
        path
        for path, notebook in wanted.items()
        if not path.is_file() or _stored(nbformat.read(path, as_version=4)) != _stored(notebook)
    ]


def _stored(notebook: nbformat.NotebookNode) -> tuple[object, ...]:
    return _cells(notebook), dict(notebook.metadata)


def stale_notebooks(notebooks: Path) -> list[Path]:
    """The notebooks whose navigation cell or contents differs from what the tool writes."""
    return _stale(planned(notebooks))


def write(notebooks: Path) -> list[Path]:
    """Store every navigation cell and the contents; return the notebooks that changed."""
    wanted = planned(notebooks)
    changed = _stale(wanted)
    for path in changed:
        nbformat.write(wanted[path], path)
    return changed


# -- the link check --------------------------------------------------------------------------
_MARKDOWN = MarkdownIt("commonmark").enable("table")
_HTML_ATTRIBUTE = re.compile(r"""\b(href|src|id|name)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class Markdown:
    """What the link check needs of one markdown text: its anchors and its links."""

    anchors: frozenset[str]
    links: tuple[str, ...]


def read_markdown(text: str) -> Markdown:
    """The anchors (JupyterLab's, of headings and HTML ids) and the links of markdown ``text``.

    >>> md = read_markdown("## The `Network` class\\n\\nSee [b](b.ipynb#Summary) and ![f](f.png).")
    >>> sorted(md.anchors), md.links
    (['The-Network-class'], ('b.ipynb#Summary', 'f.png'))
    """
    anchors: set[str] = set()
    links: list[str] = []
    tokens = _MARKDOWN.parse(text)
    for previous, token in zip([None, *tokens], tokens, strict=False):
        if token.type == "inline" and previous is not None and previous.type == "heading_open":
            children = token.children or []
            # JupyterLab's id is the heading's textContent: text and code, not markup or tags.
            words = "".join(c.content for c in children if c.type in ("text", "code_inline"))
            anchors.add(jupyter_slug(words))
        for node in [token, *(token.children or [])]:
            if node.type == "link_open":
                links.append(str(node.attrs["href"]))
            elif node.type == "image":
                links.append(str(node.attrs["src"]))
            elif node.type in ("html_inline", "html_block"):
                for name, value in _HTML_ATTRIBUTE.findall(node.content):
                    (anchors.add if name.lower() in ("id", "name") else links.append)(value)
    return Markdown(frozenset(anchors), tuple(links))


def markdown_of(path: Path) -> str:
    """The markdown of a notebook (its markdown cells) or of a ``.md`` file."""
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return path.read_text(encoding="utf-8")


def broken_links(files: list[Path], root: Path) -> list[str]:
    """One message per relative link or anchor in ``files`` that does not resolve.

    Links with a scheme or host (``https:``, ``mailto:``) are external and not checked; a
    link must stay inside ``root`` (the repository), and an anchor must name a heading (or
    an HTML ``id``) of the notebook or markdown file it points to.
    """
    cache: dict[Path, Markdown] = {}

    def read(path: Path) -> Markdown:
        if path not in cache:
            cache[path] = read_markdown(markdown_of(path))
        return cache[path]

    root = root.resolve()
    problems = []
    for source in files:
        source = source.resolve()
        where = source.relative_to(root)
        for link in read(source).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not (parts.path or parts.fragment):
                continue
            if parts.path.startswith("/"):
                problems.append(f"{where}: {link} is absolute: write it relative to this file")
                continue
            target = (source.parent / unquote(parts.path)).resolve() if parts.path else source
            if root not in (target, *target.parents):
                problems.append(f"{where}: {link} points outside the repository")
            elif not target.exists():
                problems.append(f"{where}: {link} names a missing file")
            elif parts.fragment and target.suffix not in (".ipynb", ".md"):
                problems.append(f"{where}: {link} has an anchor into a file that has none")
            elif parts.fragment and unquote(parts.fragment) not in read(target).anchors:
                problems.append(f"{where}: {link} names a missing anchor")
    return problems


def link_sources(notebooks: Path) -> list[Path]:
    """The files whose links are checked: every notebook under ``notebooks`` and the README."""
    found = [p for p in notebooks.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return [*sorted(found), notebooks.parent / "README.md"]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    folders = [a for a in argv if a != "--check"]
    if len(folders) > 1 or any(a.startswith("-") for a in folders):
        print("usage: python tools/navigation.py [--check] [NOTEBOOKS_FOLDER]", file=sys.stderr)
        return 2
    notebooks = Path(folders[0] if folders else "notebooks")
    try:
        if not check:
            changed = write(notebooks)
            print(f"navigation: {len(changed)} notebooks written")
            for path in changed:
                print(f"  {path}")
            return 0
        stale = stale_notebooks(notebooks)
        problems = broken_links(link_sources(notebooks), notebooks.resolve().parent)
    except ValueError as error:
        print(f"navigation: {error}", file=sys.stderr)
        return 2
    for path in stale:
        print(f"{path}: navigation cell or contents out of date")
    if stale:
        print(f"fix with: python tools/navigation.py {notebooks}")
    for problem in problems:
        print(problem)
    if stale or problems:
        return 1
    print("navigation: every page's navigation, the contents and every relative link are in order")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
