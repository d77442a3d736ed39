"""The app under a real browser, for the browser test and the benchmarks that need one: `streamlit run app.py`
on a free local port, and Debian's Chromium as Playwright launches it here."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("MUSICRNN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
READY = '[data-testid="stApp"][data-test-script-state="notRunning"]'  # a page whose script has finished


class AppServerError(RuntimeError):
    """The app exited or did not answer its health check; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(env: dict, log_path: Path, timeout: float = 90.0, **popen_kw) -> tuple[str, subprocess.Popen]:
    """Start the app with `env`, its output in `log_path`; return (url, process) once it answers as healthy."""
    port = free_port()
    with open(log_path, "wb") as log:  # the child keeps its own copy of the file
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                                 "--server.fileWatcherType", "none", "--server.port", str(port),
                                 "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, **popen_kw)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return url, proc
        except OSError:
            pass
        exited = proc.poll()
        if exited is not None or time.monotonic() > deadline:
            stop_app(proc)
            why = f"exited with {exited}" if exited is not None else f"did not answer within {timeout:g} s"
            tail = Path(log_path).read_text(errors="replace")[-3000:]
            raise AppServerError(f"streamlit {why}; {log_path}:\n{tail}")
        time.sleep(0.3)


def stop_app(proc: subprocess.Popen, grace_s: float = 20.0) -> None:
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def need_browser() -> None:
    """Skip a browser test where Chromium or Playwright is missing; under CI (`CI=true`) fail it instead."""
    import pytest

    missing = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = "the playwright package is not installed (pip install playwright)"
    if missing is None and not Path(CHROMIUM).exists():
        missing = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser tests cannot run under CI: {missing}")
        pytest.skip(missing)


def settle(page, timeout=60_000):
    page.wait_for_timeout(300)
    page.wait_for_selector(READY, timeout=timeout)


@contextmanager
def chromium():
    """Debian's Chromium, headless, as Playwright launches it here (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def app_at(home: Path, **env):
    """The app serving from `home` (its runs, data and tunebook there; `env` added), stopped on leaving; a
    failed start fails the test with the app's log."""
    import pytest

    env = {**os.environ, "MUSICRNN_RUNS": str(home / "runs"), "MUSICRNN_DATA": str(home / "data"),
           "MUSICRNN_TUNEBOOK": str(home / "tunebook.sqlite"), **env}
    try:
        url, proc = start_app(env, home / "server.log")
    except AppServerError as e:
        pytest.fail(str(e))
    try:
        yield url
    finally:
        stop_app(proc)


def screenshot_folder(home: Path) -> Path:
    """Where a browser test's screenshots go: $MUSICRNN_SCREENSHOTS (relative to the repository;
    `MUSICRNN_SCREENSHOTS=docs` refreshes the committed ones), else a folder of the test's own `home`, so a
    test run leaves the working tree clean."""
    shots = os.environ.get("MUSICRNN_SCREENSHOTS")
    folder = ROOT / shots if shots else home / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
