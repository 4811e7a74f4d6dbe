"""The book's navigation and links (``tools/navigation.py``).

The first two tests check the real book: every page ends with its up-to-date navigation
cell, the contents page is current, and every relative link and ``#anchor`` in the notebooks'
markdown and in the README resolves. The others build small books in a temporary folder and
show that each check fails when it should.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import navigation  # noqa: E402

NOTEBOOKS = ROOT / "notebooks"


def test_every_page_ends_with_its_navigation_and_the_contents_is_current() -> None:
    stale = navigation.stale_notebooks(NOTEBOOKS)
    assert stale == [], f"stale navigation in {stale}; fix: python tools/navigation.py"


def test_every_relative_link_and_anchor_in_the_book_and_readme_resolves() -> None:
    sources = navigation.link_sources(NOTEBOOKS)
    assert ROOT / "README.md" in sources and NOTEBOOKS / navigation.CONTENTS in sources
    assert navigation.broken_links(sources, ROOT) == []


def test_the_readme_and_the_first_page_link_the_contents() -> None:
    readme = navigation.read_markdown((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "notebooks/contents.ipynb" in readme.links
    first = navigation.book_pages(NOTEBOOKS)[0].path
    links = navigation.read_markdown(navigation.markdown_of(NOTEBOOKS / first)).links
    assert "../contents.ipynb" in links


# -- small books made here -------------------------------------------------------------------
def notebook(path: Path, *sources: str) -> Path:
    """Write a notebook of markdown cells (and one code cell) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_markdown_cell(s, id=f"c{i}") for i, s in enumerate(sources)]
    cells.append(nbformat.v4.new_code_cell("1 + 1", id="code"))
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def book(tmp_path: Path) -> Path:
    """A three-page book: chapter 2 with an overview and a section, chapter 17 without one."""
    folder = tmp_path / "notebooks"
    notebook(folder / "02-time/02.00-time.ipynb", "# 2. Time and order", "## Exercises\n\nx")
    notebook(
        folder / "02-time/02.01-clocks.ipynb", "# 2.1 Clocks\n\n[ex](02.00-time.ipynb#Exercises)"
    )
    notebook(folder / "17-capstone/17.01-reality.ipynb", "# 17.1 Reality")
    (tmp_path / "README.md").write_text("[contents](notebooks/contents.ipynb)\n")
    return folder


def navigation_cells(path: Path) -> list[str]:
    cells = nbformat.read(path, as_version=4).cells
    return [c.source for c in cells if navigation.TAG in c.metadata.get("tags", [])]


def test_write_adds_one_navigation_cell_per_page_and_a_rerun_changes_nothing(
    tmp_path: Path,
) -> None:
    folder = book(tmp_path)
    assert len(navigation.write(folder)) == 4  # three pages and the contents
    for path in sorted(folder.rglob("*.*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        assert navigation.TAG in cells[-1].metadata["tags"] and len(navigation_cells(path)) == 1
    assert navigation.write(folder) == [] and navigation.stale_notebooks(folder) == []
    assert navigation.broken_links(navigation.link_sources(folder), tmp_path) == []
    # The section links back to its overview; the chapter without one to its part's heading.
    (section,) = navigation_cells(folder / "02-time/02.01-clocks.ipynb")
    assert "**Chapter:** [2. Time and order](02.00-time.ipynb)" in section
    assert "**Next:** [17.1 Reality](../17-capstone/17.01-reality.ipynb)" in section
    (last,) = navigation_cells(folder / "17-capstone/17.01-reality.ipynb")
    assert "(../contents.ipynb#Part-V:-Security-and-the-whole)" in last
    contents = navigation.markdown_of(folder / navigation.CONTENTS)
    assert "- **7. Message queues**: *to come*" in contents
    assert "- **[2. Time and order](02-time/02.00-time.ipynb)**" in contents
    assert "  - [2.1 Clocks](02-time/02.01-clocks.ipynb)" in contents


def test_a_new_chapter_takes_its_place_and_the_check_sees_the_stale_pages(tmp_path: Path) -> None:
    folder = book(tmp_path)
    navigation.write(folder)
    notebook(folder / "14-consensus/14.00-consensus.ipynb", "# 14. Consensus")
    stale = navigation.stale_notebooks(folder)
    # The pages before and after the new one, the new one, and the contents.
    assert stale == [
        folder / "02-time/02.01-clocks.ipynb",
        folder / "14-consensus/14.00-consensus.ipynb",
        folder / "17-capstone/17.01-reality.ipynb",
        folder / navigation.CONTENTS,
    ]
    navigation.write(folder)
    (section,) = navigation_cells(folder / "02-time/02.01-clocks.ipynb")
    assert "**Next:** [14. Consensus](../14-consensus/14.00-consensus.ipynb)" in section
    assert "14. Consensus**: *to come*" not in navigation.markdown_of(folder / navigation.CONTENTS)


def test_an_edited_navigation_cell_is_stale_and_a_rerun_replaces_it(tmp_path: Path) -> None:
    folder = book(tmp_path)
    navigation.write(folder)
    path = folder / "02-time/02.00-time.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[-1].source += " · hand-edited"
    nbformat.write(nb, path)
    assert navigation.stale_notebooks(folder) == [path]
    navigation.write(folder)
    assert len(navigation_cells(path)) == 1 and "hand-edited" not in navigation_cells(path)[0]


@pytest.mark.parametrize(
    ("name", "first_cell", "message"),
    [
        ("02-time/02.02-Bad_Name.ipynb", "# 2.2 Bad", "is named 02.MM-lowercase-words"),
        ("02-time/03.01-elsewhere.ipynb", "# 3.1 Elsewhere", "is named 02.MM-lowercase-words"),
        ("99-unplanned/99.00-x.ipynb", "# 99. X", "chapter 99 is not in CHAPTERS"),
        ("02-time/02.02-untitled.ipynb", "no title", "first cell must be markdown"),
    ],
)
def test_misnamed_or_untitled_pages_are_refused(
    tmp_path: Path, name: str, first_cell: str, message: str
) -> None:
    folder = book(tmp_path)
    notebook(folder / name, first_cell)
    with pytest.raises(ValueError, match=message):
        navigation.book_pages(folder)


# -- the link check --------------------------------------------------------------------------
def test_anchors_are_the_ones_jupyterlab_gives_headings() -> None:
    md = navigation.read_markdown(
        "# 1.2 Request/response\n\n## The `Network` and *its* [faults](x.ipynb)\n\n"
        '<a id="by-hand"></a>\n\n```\n# not a heading\n```\n'
    )
    assert md.anchors == {"1.2-Request/response", "The-Network-and-its-faults", "by-hand"}
    assert md.links == ("x.ipynb",)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("gone.ipynb", "names a missing file"),
        ("02.00-time.ipynb#Exercise", "names a missing anchor"),  # the heading is Exercises
        ("#Nowhere", "names a missing anchor"),
        ("../../../outside.ipynb", "points outside the repository"),
        ("/notebooks/02-time/02.00-time.ipynb", "is absolute: write it relative to this file"),
        ("../../README.md#Start", "names a missing anchor"),
        ("../../setup.py#L1", "has an anchor into a file that has none"),
    ],
)
def test_each_kind_of_broken_link_in_a_notebook_is_reported(
    tmp_path: Path, link: str, expected: str
) -> None:
    folder = book(tmp_path)
    (tmp_path / "setup.py").write_text("")
    broken = notebook(folder / "02-time/02.02-broken.ipynb", f"# 2.2 Broken\n\nSee [it]({link}).")
    problems = navigation.broken_links([broken], tmp_path)
    assert problems == [f"notebooks/02-time/02.02-broken.ipynb: {link} {expected}"]


def test_links_that_resolve_pass_and_external_ones_are_not_followed(tmp_path: Path) -> None:
    folder = book(tmp_path)
    good = notebook(
        folder / "02-time/02.02-good.ipynb",
        "# 2.2 Good\n\n## Summary\n\n[s](#Summary) [o](02.00-time.ipynb#Exercises) "
        "[f](../02-time) [w](https://example.org/#x) [m](mailto:a@b.c) "
        '<a href="02.01-clocks.ipynb">html</a> ![img](02.00-time.ipynb)',
    )
    assert navigation.broken_links([good], tmp_path) == []


def test_a_broken_readme_link_is_reported(tmp_path: Path) -> None:
    folder = book(tmp_path)
    (tmp_path / "README.md").write_text("[contents](notebooks/content.ipynb)\n")
    assert navigation.broken_links(navigation.link_sources(folder), tmp_path) == [
        "README.md: notebooks/content.ipynb names a missing file"
    ]


def test_main_check_exits_1_and_says_how_to_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = book(tmp_path)
    assert navigation.main(["--check", str(folder)]) == 1
    assert f"fix with: python tools/navigation.py {folder}" in capsys.readouterr().out
    assert navigation.main([str(folder)]) == 0
    assert navigation.main(["--check", str(folder)]) == 0
    notebook(folder / "02-time/02.02-broken.ipynb", "# 2.2 Broken\n\n[x](gone.ipynb)")
    navigation.main([str(folder)])
    capsys.readouterr()
    assert navigation.main(["--check", str(folder)]) == 1
    assert "02.02-broken.ipynb: gone.ipynb names a missing file" in capsys.readouterr().out
    assert navigation.main(["--check", "a", "b"]) == 2


def test_the_contents_page_stores_what_a_kernel_would_write():
    # JupyterLab writes language_info when a kernel connects, and then calls an unedited
    # notebook modified; the contents page is never executed, so it must store it already.
    contents = json.loads((ROOT / "notebooks" / "contents.ipynb").read_text())
    first = json.loads(
        (ROOT / "notebooks/00-how-to-use-this-book/00.00-how-to-use-this-book.ipynb").read_text()
    )
    assert contents["metadata"] == first["metadata"]
