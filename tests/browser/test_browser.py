"""The book in a real browser: JupyterLab started by ``make lab``, driven by Chromium.

What a reader does first is what this checks: the first page opens, its links
lead on, a widget notebook runs from the Run menu, its sliders and buttons redraw
the figure without an error, and opening and closing an unedited notebook leaves
it unmodified (no "Save changes?", nothing for autosave to write back into git).

The server is ``make lab``'s own command with extra ``LAB_ARGS`` (headless, a free
port on 127.0.0.1, a random token); Jupyter's and JupyterLab's per-user state goes
to a temporary directory. The browser is the operating system's Chromium, driven
by Playwright (a browser download at run time is not possible everywhere).
Screenshots of each step go to ``build/browser-screenshots/`` (git-ignored).
Without Chromium or Playwright the module reports one skip saying what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "browser-screenshots"
SCRATCH = ROOT / "build" / "browser-notebooks"  # notebooks made by the test (git-ignored)
FIRST_PAGE = "notebooks/00-how-to-use-this-book/00.00-how-to-use-this-book.ipynb"
LINKED_PAGE = "03.00-how-do-we-know-it-works.ipynb"  # a link on the first page
# Widget notebooks whose Run All takes a few seconds: a slider explorer and the
# step-through debugger (buttons and a list).
WIDGET_NOTEBOOKS = [
    "notebooks/13-sharding/13.01-partitioning-schemes.ipynb",
    "notebooks/01-what-is-a-distributed-system/01.04-step-by-step.ipynb",
]
SERVER_START_S = 180.0  # generous: the machine may be busy
UI_S = 120.0  # the longest any one UI condition may take
RUN_ALL_S = 240.0

INSTALL = (
    "install it with 'sudo apt-get install chromium' (Debian/Ubuntu) and "
    "'pip install -e .[dev]' (Playwright); .ci/run does both"
)
CHROMIUM = (
    os.environ.get("DSLIB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Locator, Page, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(f"browser test: Playwright is not installed; {INSTALL}", allow_module_level=True)
if CHROMIUM is None:  # pragma: no cover - depends on the machine
    pytest.skip(f"browser test: no Chromium found; {INSTALL}", allow_module_level=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Caches that other processes may write under notebooks/ while this test runs: under
# ``make test`` nbval executes notebooks in a second worker, and a kernel's hypothesis
# writes its cache of constants into its working directory (``make`` points it at the
# repository's own .hypothesis, but a reader's ``pytest --nbval`` may not). Not notebooks.
FOREIGN_CACHES = {".hypothesis", "__pycache__"}


def digest_notebooks() -> dict[str, str]:
    """SHA-256 of every file under ``notebooks/``, by path, outside ``FOREIGN_CACHES``."""
    return {
        str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((ROOT / "notebooks").rglob("*"))
        if p.is_file() and not FOREIGN_CACHES.intersection(p.relative_to(ROOT).parts)
    }


def git_status() -> str:
    """``git status`` of ``notebooks/`` ("" where git or the repository is missing)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all", "--", "notebooks"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout


class Lab:
    """A running ``make lab`` server: its URL, token, log and scratch directory."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = state / "lab.log"
        env = dict(os.environ)
        for var, sub in [
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_DATA_DIR", "data"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("JUPYTERLAB_SETTINGS_DIR", "lab-user-settings"),
            ("JUPYTERLAB_WORKSPACES_DIR", "lab-workspaces"),
            ("IPYTHONDIR", "ipython"),
        ]:
            env[var] = str(state / sub)
        # Autosave off in this session only: a notebook run by the test must never be
        # written back, however slow the machine.
        docmanager = state / "lab-user-settings" / "@jupyterlab" / "docmanager-extension"
        docmanager.mkdir(parents=True)
        (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
        # Every cell drawn, not only those in view, so that a widget that fails to
        # display is seen wherever it is in the notebook.
        tracker = state / "lab-user-settings" / "@jupyterlab" / "notebook-extension"
        tracker.mkdir(parents=True)
        (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        env.pop("MPLBACKEND", None)  # the kernels draw for the browser, as for a reader
        lab_args = [
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            f"--FileCheckpoints.root_dir={state / 'checkpoints'}",
        ]
        command = [
            "make", "--no-print-directory", "-C", str(ROOT),
            "-o", ".venv/.installed-stamp",  # never reinstall from inside the test
            "lab", f"PYTHON={sys.executable}", "LAB_ARGS=" + " ".join(lab_args),
        ]  # fmt: skip
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip

    def api(self, path: str, method: str = "GET") -> Any:
        """The JSON answer of the server's REST API at ``path``."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make lab exited ({self.process.returncode}):\n{self.text()}")
            try:
                self.api("/api/status")
                return
            except OSError:
                time.sleep(0.5)  # poll: the server is starting
        raise RuntimeError(f"make lab did not answer in {SERVER_START_S} s:\n{self.text()}")

    def text(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        """Shut every kernel down, then the server (its whole process group)."""
        try:
            for kernel in self.api("/api/kernels"):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except (OSError, ValueError):
            pass
        for sig, wait in [(signal.SIGTERM, 30), (signal.SIGKILL, 30)]:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    server = Lab(tmp_path_factory.mktemp("lab"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def page(lab: Lab) -> Iterator[Page]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.set_default_timeout(UI_S * 1000)
            tab.goto(f"{lab.url}/?token={lab.token}")
            tab.wait_for_function("() => window.jupyterapp && window.jupyterapp.started")
            tab.evaluate("() => window.jupyterapp.restored")
            # make lab opens the first page by itself; let it finish before anything else.
            tab.wait_for_function(
                f"p => {CURRENT} && {CURRENT}.context && {CURRENT}.context.path === p",
                arg=FIRST_PAGE,
            )
            yield tab
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# JavaScript run in the page: the current notebook, and what it shows.
CURRENT = "window.jupyterapp.shell.currentWidget"
STATE_JS = """async output => {
  // What one widget output shows: a hash of each image (the figure) and its text.
  const images = [];
  for (const img of output.querySelectorAll('img')) {
    const bytes = await (await fetch(img.src)).arrayBuffer();
    const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    images.push(Array.from(hash.slice(0, 8)).join('.'));
  }
  return {images: images.join(','), text: output.innerText};
}"""
PROBLEMS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const found = [];
  panel.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    for (let k = 0; k < cell.model.outputs.length; k++) {
      const out = cell.model.outputs.get(k);
      if (out.type === 'error') found.push(`cell ${i}: error output ${out.toJSON().ename}`);
    }
  });
  // The two ways a widget fails to show: JupyterLab's renderer writes this text, and
  // ipywidgets 8 draws an error widget (a model or view class it cannot load).
  if (panel.node.innerText.includes('Error displaying widget'))
    found.push('Error displaying widget');
  for (const e of panel.node.querySelectorAll('.jupyter-widgets-error-widget'))
    found.push('error widget: ' + e.parentElement.textContent.trim().slice(0, 80));
  return found;
}"""
DONE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle') return false;
  const cells = panel.content.widgets.filter(c => c.model.type === 'code');
  const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
  return failed || cells.every(c => c.model.executionCount !== null);
}"""


def open_notebook(page: Page, path: str) -> None:
    # Wait until the notebook's kernel is connected and has answered, so that Run All runs
    # every cell (clicked before, it timed out in a CI run). Return nothing: returning the
    # panel made Playwright serialise the whole widget, which failed in another CI run with
    # "object reference chain is too long" (and, when it worked, was all that gave the
    # kernel time to connect).
    page.evaluate(
        """async p => {
          const panel = await window.jupyterapp.commands.execute('docmanager:open', {path: p});
          await panel.context.ready;
          await panel.sessionContext.ready;
          await panel.sessionContext.session.kernel.info;
        }""",
        path,
    )
    page.wait_for_function(
        f"p => {CURRENT} && {CURRENT}.context && {CURRENT}.context.path === p", arg=path
    )
    page.evaluate(f"async () => {{ await {CURRENT}.context.ready; }}")


def close_discarding(page: Page) -> None:
    """Close the current notebook without saving and shut its kernel down."""
    page.evaluate(
        f"""async () => {{
          const panel = {CURRENT};
          await panel.sessionContext.shutdown();
          panel.context.model.dirty = false;
          panel.dispose();
        }}"""
    )


def output_of(control: Locator) -> Locator:
    """The output area that holds ``control`` (its explorer, figure included)."""
    return control.locator("xpath=ancestor::div[contains(@class, 'jp-OutputArea-output')][1]")


def settled(page: Page, output: Locator) -> dict[str, str]:
    """What ``output`` shows once the kernel is idle and its images are loaded."""
    page.wait_for_function(DONE_JS, timeout=RUN_ALL_S * 1000, polling=250)
    output.evaluate(
        "o => Promise.all([...o.querySelectorAll('img')].map(i => i.complete ? null :"
        " new Promise(r => { i.onload = r; i.onerror = r; })))"
    )
    state: dict[str, str] = output.evaluate(STATE_JS)
    return state


def wait_change(
    page: Page, output: Locator, before: dict[str, str], what: str, seconds: float
) -> str | None:
    """Wait until the figure of ``output`` (or its text, if it has no figure) differs from
    ``before``; the problem, as text, if it never does."""
    key = "images" if before["images"] else "text"
    try:
        output.evaluate(
            f"""async (o, args) => {{
              const [key, old] = args;
              const state = {STATE_JS};
              const deadline = Date.now() + {seconds * 1000};
              while (Date.now() < deadline) {{
                if ((await state(o))[key] !== old) return;
                await new Promise(r => setTimeout(r, 250));
              }}
              throw new Error('unchanged');
            }}""",
            [key, before[key]],
        )
    except PlaywrightError:
        return f"{what} changed nothing in the {'figure' if key == 'images' else 'widget'}"
    return None


def drag(page: Page, handle: Locator) -> str | None:
    """Drag slider ``handle`` by 60 pixels towards the side with room; a problem, as text,
    if its value does not change."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    assert box is not None, "slider handle not visible"
    value = float(handle.get_attribute("aria-valuenow") or "nan")
    step = 60 if value < float(handle.get_attribute("aria-valuemax") or "nan") else -60
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + step, y, steps=6)
    page.mouse.up()
    if float(handle.get_attribute("aria-valuenow") or "nan") == value:
        return f"dragging the slider left its value at {value}"
    return None


def exercise(page: Page, path: str, name: str, change_s: float = UI_S) -> list[str]:
    """Run notebook ``path`` from the Run menu, drag its first slider and click its first
    button, each of which must redraw within ``change_s`` seconds; every problem seen, as
    text (empty: the notebook works)."""
    open_notebook(page, path)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(DONE_JS, timeout=RUN_ALL_S * 1000, polling=500)
    problems: list[str] = page.evaluate(PROBLEMS_JS)
    shot(page, f"{name}-1-run")
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    sliders = page.locator(f"{panel} .widget-slider .noUi-handle")
    buttons = page.locator(f"{panel} .jupyter-widgets button.jupyter-button:not([disabled])")
    if sliders.count() == 0 and buttons.count() == 0:
        problems.append("no slider or button to try")
    for kind, control in [("slider", sliders), ("button", buttons)]:
        if control.count() == 0:
            continue
        target = control.first
        output = output_of(target)
        before = settled(page, output)
        if kind == "slider" and (stuck := drag(page, target)):
            problems.append(stuck)
        elif kind == "button":
            target.click()
        change = wait_change(page, output, before, f"using the {kind}", change_s)
        problems += [change] if change else []
        shot(page, f"{name}-{kind}")
    problems += [p for p in page.evaluate(PROBLEMS_JS) if p not in problems]
    close_discarding(page)
    return problems


def test_first_page_opens_and_its_links_lead_on(page: Page) -> None:
    shot(page, "first-page")
    page.locator(f".jp-NotebookPanel:not(.lm-mod-hidden) a[href*='{LINKED_PAGE}']").first.click()
    page.wait_for_function(
        f"n => {CURRENT} && {CURRENT}.context && {CURRENT}.context.path.endsWith(n)",
        arg=LINKED_PAGE,
    )
    shot(page, "followed-link")


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS)
def test_widget_notebook_runs_and_responds(page: Page, path: str) -> None:
    problems = exercise(page, path, Path(path).stem)
    assert not problems, f"{path}: {problems}; screenshots in {SCREENSHOTS}"


SPAN_JS = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const button = panel && panel.querySelector('.jupyter-widgets button.jupyter-button');
  const root = button && button.closest('.jp-OutputArea-output');
  const img = root && root.querySelector('img');
  if (!img) return null;
  const boxes = [...root.querySelectorAll('button.jupyter-button'), img]
    .map(e => e.getBoundingClientRect());
  const scroller = panel.querySelector('.jp-WindowedPanel-outer')
    || panel.querySelector('.jp-Notebook');
  return {span: Math.max(...boxes.map(b => b.bottom)) - Math.min(...boxes.map(b => b.top)),
          visible: scroller.clientHeight};
}"""


def test_the_debuggers_controls_and_figure_fit_in_a_1000_px_window(page: Page) -> None:
    # Issue 26: every click needed a scroll when the figure sat 641 px below the buttons.
    path = "notebooks/01-what-is-a-distributed-system/01.04-step-by-step.ipynb"
    open_notebook(page, path)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(DONE_JS, timeout=RUN_ALL_S * 1000, polling=500)
    extent = page.evaluate(SPAN_JS)
    print("debugger extent:", extent)
    shot(page, "debugger-extent")
    close_discarding(page)
    assert extent is not None, "no widget with buttons and a figure in 01.04"
    assert page.viewport_size is not None and page.viewport_size["height"] == 1000
    assert extent["span"] <= extent["visible"], (
        f"the debugger's buttons and figure span {extent['span']:.0f} px, but only "
        f"{extent['visible']} px of the notebook show in a 1000 px window"
    )


BROKEN = [
    # A slider whose change redraws nothing (a callback that was never connected).
    "import ipywidgets as w\n"
    "from matplotlib.figure import Figure\n"
    "from dslib.widgets.base import figure_png\n"
    "slider = w.IntSlider(value=3, min=0, max=10)\n"
    "w.VBox([slider, w.Image(value=figure_png(Figure(figsize=(1, 1))), format='png')])",
    # A widget the browser cannot show.
    "from traitlets import Unicode\n"
    "class Broken(w.DOMWidget):\n"
    "    _view_name = Unicode('NoSuchView').tag(sync=True)\n"
    "    _view_module = Unicode('no-such-module').tag(sync=True)\n"
    "Broken()",
    'raise RuntimeError("a deliberately broken cell")',
]


def test_the_check_catches_a_broken_widget(page: Page) -> None:
    import nbformat

    sys.path.insert(0, str(ROOT / "tools"))
    from notebook_metadata import installed_kernelspec

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in BROKEN])
    nb.metadata["kernelspec"] = installed_kernelspec()
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / "broken-widget.ipynb"
    nbformat.write(nb, path)
    try:
        # The slider here never redraws: a short wait shows it as well as a long one.
        problems = exercise(page, str(path.relative_to(ROOT)), "broken-widget", change_s=10)
    finally:
        path.unlink()
    text = "\n".join(problems)
    assert "using the slider changed nothing in the figure" in text, problems
    assert "error widget" in text, problems
    assert "error output RuntimeError" in text, problems


OPEN_JS = """async p => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path: p, kernel: {id: KERNEL}});
  await panel.context.ready;
  await panel.sessionContext.ready;
  const kernel = panel.sessionContext.session.kernel;
  await kernel.info;
  const spec = await kernel.spec;
  await new Promise(r => setTimeout(r, 0));
  const result = {dirty: panel.context.model.dirty, kernel: spec.display_name};
  panel.context.model.dirty = false;
  panel.dispose();
  return result;
}"""


def first_page_of_each_chapter(paths: list[str]) -> list[str]:
    """The first notebook of each folder of ``notebooks/``, and the notebooks at its top.

    >>> first_page_of_each_chapter(["notebooks/a/a.1.ipynb", "notebooks/a/a.0.ipynb",
    ...                              "notebooks/b/b.0.ipynb", "notebooks/contents.ipynb"])
    ['notebooks/a/a.0.ipynb', 'notebooks/b/b.0.ipynb', 'notebooks/contents.ipynb']
    """
    first: dict[str, str] = {}
    for path in sorted(paths):
        first.setdefault(str(Path(path).parent), path)
    return sorted(first.values())


def open_and_close(page: Page, lab: Lab, paths: list[str]) -> None:
    """Open and close each of ``paths``; fail if that wrote to notebooks/ or marked one modified."""
    before, status = digest_notebooks(), git_status()
    # One kernel serves every notebook: connecting to it is what rewrites a stale
    # kernelspec, and starting one kernel per notebook would cost minutes.
    kernel = lab.api("/api/kernels", method="POST")["id"]
    modified = []
    for path in paths:
        seen = page.evaluate(OPEN_JS.replace("KERNEL", json.dumps(kernel)), path)
        if seen["dirty"]:
            stored = json.loads((ROOT / path).read_text())["metadata"].get("kernelspec", {})
            modified.append(f"{path} (stored kernelspec {stored}, kernel {seen['kernel']!r})")
    shot(page, "after-open-close")
    assert digest_notebooks() == before, "opening and closing notebooks wrote to notebooks/"
    assert git_status() == status
    assert not modified, (
        "opening marks these modified; fix with 'python tools/notebook_metadata.py':\n"
        + "\n".join(modified)
    )


def test_opening_and_closing_a_notebook_of_each_chapter_changes_nothing(
    page: Page, lab: Lab
) -> None:
    # Each notebook costs about a second here: make test opens one per chapter (the cause,
    # a stale stored kernelspec, is checked for every notebook without a browser by
    # test_notebook_hygiene.py); the deep test below opens all of them.
    paths = first_page_of_each_chapter([p for p in digest_notebooks() if p.endswith(".ipynb")])
    assert len(paths) >= 18, paths
    open_and_close(page, lab, paths)


@pytest.mark.deep
def test_opening_and_closing_every_notebook_changes_nothing(page: Page, lab: Lab) -> None:
    open_and_close(page, lab, sorted(p for p in digest_notebooks() if p.endswith(".ipynb")))


def test_no_trust_warning_and_no_news_pop_up(page: Page, lab: Lab) -> None:
    # Run last: by now a notebook of each chapter (every notebook, in the deep run) has been
    # opened, and the pop-up had time to appear.
    untrusted = re.findall(r"Notebook (notebooks/\S+) is not trusted", lab.text())
    assert not untrusted, f"make lab did not sign these as trusted: {sorted(set(untrusted))}"
    assert page.get_by_text("Jupyter news").count() == 0, "JupyterLab's news pop-up is shown"
