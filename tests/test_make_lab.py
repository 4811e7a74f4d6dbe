"""`make lab` starts JupyterLab on the book's first page (headless, on a free port)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIRST_PAGE = "notebooks/00-how-to-use-this-book/00.00-how-to-use-this-book.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="needs make's .venv")
def test_make_lab_serves_the_first_page(tmp_path: Path) -> None:
    assert (ROOT / FIRST_PAGE).exists()
    port, token = free_port(), secrets.token_hex(8)
    args = (
        f"--no-browser --port={port} --ip=127.0.0.1 --IdentityProvider.token={token} "
        f"--ServerApp.open_browser=False"
    )
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    process = subprocess.Popen(
        ["make", "-s", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        status = 0
        while time.monotonic() < deadline and status != 200:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.5)
            try:
                status, _ = fetch(f"{base}/api/status?token={token}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = 0
        assert status == 200, "JupyterLab did not answer within 90 s"
        status, page = fetch(f"{base}/lab/tree/{FIRST_PAGE}?token={token}")
        assert status == 200 and b"JupyterLab" in page
        # The server's default page is the book's first page.
        with urllib.request.urlopen(f"{base}/?token={token}", timeout=5) as response:
            assert response.url.split("?")[0].endswith(f"/lab/tree/{FIRST_PAGE}")
        status, body = fetch(f"{base}/api/contents/{FIRST_PAGE}?token={token}")
        notebook = json.loads(body)
        assert status == 200 and notebook["type"] == "notebook"
        first_cell = notebook["content"]["cells"][0]["source"]
        assert "How to use this book" in first_cell
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
