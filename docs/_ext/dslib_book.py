"""The Sphinx extension that turns the notebooks and ``dslib`` into the book's HTML edition.

It does four things, each with small pure functions behind a thin Sphinx hook:

- ``static_outputs`` drops the live view from the stored outputs of widget cells as Sphinx
  reads the notebook. A widget's view needs a kernel and its state is not stored (DESIGN.md,
  section 6); what stays is its static figure, stored in the same output or the next one.
- ``chapter_toctree`` gives each chapter overview (``NN.00-*.ipynb``) a hidden table of
  contents of its sections, so the navigation nests sections under their chapter without
  editing the notebooks.
- ``jupyter_slug`` gives headings the anchors JupyterLab gives them (``#Exercises``), so
  the notebooks' links to a heading of another notebook work in both.
- ``package_pages`` and ``page_rst`` write the API reference, one page per top-level
  package (``docs/api/generated/dslib.raft.rst``: an ``automodule`` per public module),
  grouped by the layer table of ``docs/architecture.md``, read with the reader that
  ``tests/test_layers.py`` enforces it with; ``.. dslib-layer:: kernel`` lists one layer's
  pages. A new module appears without editing a page; a module in no layer fails the build.

The book's files are never changed: the hooks edit the text Sphinx has read, and the API
pages are written to a git-ignored folder.

``TOLERATED`` lists the few known warnings the build lets pass until their source is fixed;
each entry names the file and the fix, and an entry that no longer occurs fails the build,
so the list only shrinks.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import json
import logging
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.logging import WarningLogRecordTranslator, getLogger

ROOT = Path(__file__).resolve().parents[2]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
OVERVIEW = re.compile(r"notebooks/(?P<chapter>\d\d-[^/]+)/\d\d\.00-[^/]+")


@functools.cache
def _test_layers() -> ModuleType:
    """``tests/test_layers.py``, which owns the reader of the layer table (one spelling)."""
    name = "_dslib_test_layers"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "test_layers.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load tests/test_layers.py, which reads the layer table")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


# Known warnings that the build lets pass, each until its source is fixed: (where, message
# start). Fix the source, then delete the entry (the build fails on an entry that no longer
# occurs). Other helpers own these files; the fix of each is in the comment.
TOLERATED: tuple[tuple[str, str], ...] = ()
# (Empty: the last entry, two classes named Operation, went when chapter 12's became
# dslib.replication.abd.RegisterOperation.)


def is_tolerated(location: str, message: str) -> tuple[str, str] | None:
    """The entry of ``TOLERATED`` that covers this warning, or None."""
    for where, start in TOLERATED:
        if where in location and message.startswith(start):
            return where, start
    return None


class _Tolerate(logging.Filter):
    """Drops the warnings of ``TOLERATED`` before Sphinx counts them, and notes each seen."""

    def __init__(self, app: Sphinx) -> None:
        super().__init__()
        self.translate = WarningLogRecordTranslator(app)
        self.seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        self.translate.filter(record)  # type: ignore[arg-type]  # location -> "path:line"
        message = record.msg % record.args if record.args else str(record.msg)
        entry = is_tolerated(str(getattr(record, "location", "") or ""), message)
        if entry is None:
            return True
        self.seen.add(entry)
        return False


def _install_tolerance(app: Sphinx) -> None:
    tolerate = _Tolerate(app)
    for handler in logging.getLogger("sphinx").handlers:
        if handler.level <= logging.WARNING and type(handler).__name__ == "WarningStreamHandler":
            handler.filters.insert(0, tolerate)

    read_all: list[bool] = []  # only a build that reads every page sees every warning

    def before_read(app: Sphinx, env: Any, docnames: list[str]) -> None:
        read_all.append(set(docnames) >= set(env.found_docs))

    def stale(app: Sphinx, exception: BaseException | None) -> None:
        if exception is None and app.builder.name == "html" and all(read_all) and read_all:
            for where, start in sorted(set(TOLERATED) - tolerate.seen):
                getLogger(__name__).warning(
                    "TOLERATED entry (%s, %s) no longer occurs: delete it from %s",
                    where,
                    start,
                    Path(__file__).name,
                )

    app.connect("env-before-read-docs", before_read)
    app.connect("build-finished", stale)


# -- notebooks -----------------------------------------------------------------------------
def static_output(output: dict[str, Any]) -> dict[str, Any] | None:
    """What the HTML shows of one stored output: a widget's view goes (it needs a kernel).

    An output that holds a widget view keeps its static figure (any other rich data, such
    as ``image/png``) and loses its ``text/plain`` repr, the widget's ``VBox(...)``; with
    nothing else to show it is dropped (None).
    """
    data = output.get("data", {})
    if WIDGET_VIEW not in data:
        return output
    static = {mime: v for mime, v in data.items() if mime not in (WIDGET_VIEW, "text/plain")}
    return {**output, "data": static} if static else None


def static_outputs(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook as the HTML shows it: ``static_output`` of every stored output."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            kept = (static_output(out) for out in cell.get("outputs", []))
            cell["outputs"] = [out for out in kept if out is not None]
    return notebook


def chapter_toctree(docname: str, siblings: list[str]) -> str | None:
    """The hidden toctree (MyST) an overview ``NN.00`` gets: its chapter's other sections.

    ``siblings`` are the docnames of the chapter's folder; None if ``docname`` is no overview.
    """
    if OVERVIEW.fullmatch(docname) is None:
        return None
    folder = docname.rsplit("/", 1)[0]
    sections = sorted(
        name.rsplit("/", 1)[1]
        for name in siblings
        if name.startswith(folder + "/") and name != docname
    )
    if not sections:
        return None
    return "```{toctree}\n:hidden:\n\n" + "\n".join(sections) + "\n```\n"


def _on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    if not docname.startswith("notebooks/"):
        return
    notebook = static_outputs(json.loads(source[0]))
    toctree = chapter_toctree(docname, sorted(app.env.found_docs))
    if toctree is not None:
        notebook["cells"].append(
            {"cell_type": "markdown", "id": "dslib-book-toctree", "metadata": {}, "source": toctree}
        )
    source[0] = json.dumps(notebook)


def jupyter_slug(heading: str) -> str:
    """The anchor JupyterLab gives a heading: its text with each space replaced by ``-``.

    >>> jupyter_slug("How do we know it is right?")
    'How-do-we-know-it-is-right?'
    """
    return heading.strip().replace(" ", "-")


# -- the API reference ---------------------------------------------------------------------
def public_modules(package_root: Path) -> list[str]:
    """Every module of the package a reader imports: no ``_private`` part, no ``__main__``."""
    layers = _test_layers()
    names = (layers.module_name(p, package_root) for p in sorted(package_root.rglob("*.py")))
    return sorted(
        name for name in names if not any(part.startswith("_") for part in name.split("."))
    )


def is_moved(module: str) -> bool:
    """True for a one-release shim of a moved module, by its docstring (not imported: warns)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ValueError(f"cannot find the source of {module}")
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    return (ast.get_docstring(tree) or "").startswith("Deprecated old path of")


def modules_by_layer(package_root: Path, architecture: Path) -> dict[str, list[str]]:
    """``{layer name: [module, ...]}`` from the layer table; a module in no layer is an error."""
    tl = _test_layers()
    layers = tl.read_layers(architecture.read_text(encoding="utf-8"))
    grouped: dict[str, list[str]] = {name: [] for _, name in sorted(set(layers.values()))}
    for module in public_modules(package_root):
        layer = tl.layer_of(module, layers)
        if layer is None:
            raise ValueError(f"{module} is in no layer of {architecture.name}: add it to the table")
        grouped[layer[1]].append(module)
    return grouped


def own_members(module: ModuleType) -> list[str]:
    """The public names a module defines itself (re-exports are documented where defined)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    own = []
    for name in names:
        obj = getattr(module, name)
        home = getattr(obj, "__module__", None)
        if home == module.__name__ or (home is None and not isinstance(obj, ModuleType)):
            own.append(name)
    return sorted(own)


def module_rst(name: str, underline: str = "-") -> list[str]:
    """The reStructuredText of one module's section of the API reference."""
    module = importlib.import_module(name)
    title = f"``{name}``"
    lines = [title, underline * len(title), ""]
    members = own_members(module)
    lines += [
        f".. automodule:: {name}",
        "   :no-members:" if not members else f"   :members: {', '.join(members)}",
        "",
    ]
    reexported = sorted(set(getattr(module, "__all__", [])) - set(members))
    if reexported:
        refs = ", ".join(
            f":py:obj:`{n} <{getattr(module, n).__module__}.{n}>`"
            if hasattr(getattr(module, n), "__module__")
            else f"``{n}``"
            for n in reexported
        )
        lines += [f"Re-exported here, documented where defined: {refs}.", ""]
    return lines


GENERATED = ROOT / "docs" / "api" / "generated"


def package_pages(grouped: dict[str, list[str]]) -> dict[str, tuple[str, list[str]]]:
    """``{page: (layer, modules)}``: one page per top-level name (``dslib.raft``), in order.

    A moved module's shim gets no page: its new module is documented.
    """
    pages: dict[str, tuple[str, list[str]]] = {}
    for layer, modules in grouped.items():
        for module in modules:
            if is_moved(module):
                continue
            page = ".".join(module.split(".")[:2])
            if pages.setdefault(page, (layer, []))[0] != layer:
                raise ValueError(f"{page} spans two layers ({pages[page][0]}, {layer})")
            pages[page][1].append(module)
    return pages


def page_rst(page: str, modules: list[str]) -> str:
    """The reStructuredText of one API page: the package (its title), then each submodule."""
    if modules[0] != page:
        raise ValueError(f"the page {page} must start with its own module, not {modules[0]}")
    lines = module_rst(page, underline="=")
    for module in modules[1:]:
        lines += module_rst(module)
    return "\n".join(lines)


# The pages of this build, listed once when it starts, so that the layer pages link exactly
# the pages written (a module added while the build runs waits for the next build).
_PAGES: dict[str, dict[str, tuple[str, list[str]]]] = {}


def _write_api_pages(app: Sphinx) -> None:
    """Writes ``docs/api/generated/*.rst`` (git-ignored), touching only pages that change."""
    grouped = modules_by_layer(ROOT / "dslib", ROOT / "docs" / "architecture.md")
    pages = package_pages(grouped)
    _PAGES.clear()
    _PAGES.update({layer: {} for layer in grouped})
    for page, (layer, modules) in pages.items():
        _PAGES[layer][page] = (layer, modules)
    GENERATED.mkdir(parents=True, exist_ok=True)
    for stale in sorted(GENERATED.glob("*.rst")):
        if stale.stem not in pages:
            stale.unlink()
    for page, (_, modules) in pages.items():
        path = GENERATED / f"{page}.rst"
        text = page_rst(page, modules)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


class LayerDirective(SphinxDirective):
    """``.. dslib-layer:: NAME``: a table of contents of the API pages of one layer."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        layer = self.arguments[0]
        if layer not in _PAGES:
            raise self.error(f"no layer {layer!r}; the layers are {', '.join(_PAGES)}")
        self.env.note_dependency(str(ROOT / "docs" / "architecture.md"))
        pages = list(_PAGES[layer])
        text = StringList()
        for line in [".. toctree::", "   :maxdepth: 1", "", *(f"   generated/{p}" for p in pages)]:
            text.append(line, "<dslib-layer>")
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(text, 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    _install_tolerance(app)
    app.connect("builder-inited", _write_api_pages)
    app.connect("source-read", _on_source_read)
    app.add_directive("dslib-layer", LayerDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
