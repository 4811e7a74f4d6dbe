"""Check the internal links of a built HTML site, without the network (``make html``).

Usage: ``python tools/check_html.py build/html``. Every ``href`` and ``src`` of every page
that points inside the site must name a file that exists, and its ``#fragment`` (if any) an
``id`` (or ``<a name>``) of that page. Links with a scheme (``https:``, ``mailto:``) or a
host (``//cdn...``) are external and not checked: the reader's browser fetches those.
Prints one line per broken link and exits 1 if there is any, else prints a summary.

Sphinx's own ``linkcheck`` builder would fetch every external link; this checker is the
part CI can run on a machine that reaches only package registries.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRIBUTES = {"href", "src"}


@dataclass(frozen=True)
class Page:
    """What the checker needs of one HTML file: its anchors and its outgoing links."""

    anchors: frozenset[str]
    links: tuple[str, ...]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.links: list[str] = []
        self.last_tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if (
            self.last_tag == "a"
            and tag == "span"
            and "problematic" in (dict(attrs).get("class") or "")
        ):
            # docutils wraps markup it could not parse in a link to its error message; the
            # build reports that error itself (and fails on it under -W), so it is not a link.
            self.links.pop()
        self.last_tag = tag if tag != "a" or dict(attrs).get("href") else ""
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.anchors.add(value)
            elif name in LINK_ATTRIBUTES and tag != "base":
                self.links.append(value)


def parse_page(text: str) -> Page:
    """The anchors and links of one page.

    >>> page = parse_page('<h2 id="x">X</h2><a href="b.html#y">b</a><img src="i.png">')
    >>> sorted(page.anchors), page.links
    (['x'], ('b.html#y', 'i.png'))
    """
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return Page(frozenset(collector.anchors), tuple(collector.links))


def is_internal(link: str) -> bool:
    """True for a link into the site: no scheme, no host, and not empty."""
    parts = urlsplit(link)
    return not (parts.scheme or parts.netloc) and bool(parts.path or parts.fragment)


def broken_links(site: Path) -> list[str]:
    """One message per internal link of ``site`` that names a missing file or anchor.

    Raises
    ------
    ValueError
        If ``site`` is not a folder holding at least one ``.html`` file.
    """
    if not site.is_dir():
        raise ValueError(f"{site} is not a folder: give the folder of a built HTML site")
    # _static holds the theme's assets (some are Jinja templates named .html), not pages.
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)
    if not pages:
        raise ValueError(f"{site} holds no .html file: build the site first (make html)")

    @cache
    def page(path: Path) -> Page:
        return parse_page(path.read_text(encoding="utf-8", errors="replace"))

    root = site.resolve()
    problems = []
    for source in (p.resolve() for p in pages):
        for link in page(source).links:
            if not is_internal(link):
                continue
            parts = urlsplit(link)
            target = (source.parent / unquote(parts.path)).resolve() if parts.path else source
            where = source.relative_to(root)
            if root not in (target, *target.parents):
                problems.append(f"{where}: {link} points outside the site")
            elif target.is_dir():
                if not (target / "index.html").is_file():
                    problems.append(f"{where}: {link} is a folder without index.html")
            elif not target.is_file():
                problems.append(f"{where}: {link} names a missing file")
            elif (
                parts.fragment
                and target.suffix == ".html"
                and unquote(parts.fragment) not in page(target).anchors
            ):
                problems.append(f"{where}: {link} names a missing anchor")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tools/check_html.py SITE_FOLDER", file=sys.stderr)
        return 2
    site = Path(argv[0])
    try:
        problems = broken_links(site)
    except ValueError as error:
        print(f"check_html: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_html: {len(problems)} broken internal links in {site}")
        return 1
    print(f"check_html: every internal link of the pages of {site} resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
