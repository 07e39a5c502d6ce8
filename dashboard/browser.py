"""Running the dashboard as a user does and looking at it in a real browser (used by the
browser tests and scripts/screenshot_dashboard.py).

The app is started with the project's command (`campaign-dw --warehouse W dashboard --port P`)
in a process group of its own, so that stopping it also stops the `streamlit` child it runs.
Chromium is Debian's (`/usr/bin/chromium`), driven by the playwright package (dev extra);
Playwright's own browser download is not needed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
APP = "[data-testid='stApp']"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def browser_missing() -> str | None:
    """Why a browser cannot be driven here, or None when it can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def campaign_dw() -> str:
    """The project's command, from the environment this Python runs in."""
    return str(Path(sys.executable).with_name("campaign-dw"))


@contextlib.contextmanager
def running_dashboard(
    warehouse: Path, port: int | None = None, log: Path | None = None, timeout: float = 60
) -> Iterator[str]:
    """`campaign-dw --warehouse W dashboard --port P` until the block ends; yields its URL."""
    port = port or free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [campaign_dw(), "--warehouse", str(warehouse), "dashboard", "--port", str(port)],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, timeout, log)
        yield url
    finally:
        stop(process)
        if log:
            out.close()


def stop(process: subprocess.Popen) -> None:
    """Stop the process group this module started (the CLI and its streamlit child)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # a streamlit child left behind


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float, log: Path | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"the dashboard exited with {process.returncode} before serving\n{detail}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the dashboard did not answer on {url} within {timeout:.0f} s")


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Debian chromium driven by playwright (a Browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# True once the app is idle and its page has stopped changing for `quiet` ms: Streamlit
# reports `notRunning` when the script ends, but the browser may still be drawing what it sent.
_SETTLED = """([quiet]) => {
  const app = document.querySelector("[data-testid='stApp']");
  const main = document.querySelector("[data-testid='stMain']");
  if (!app || !main || app.getAttribute("data-test-script-state") !== "notRunning"
      || app.getAttribute("data-test-connection-state") !== "CONNECTED") {
    window.__dashboardSettle = null;
    return false;
  }
  const elements = document.querySelectorAll("[data-testid='stElementContainer']").length;
  const signature = elements + ":" + main.innerText.length + ":" + document.querySelectorAll("[role='dialog']").length;
  const now = Date.now();
  const last = window.__dashboardSettle;
  if (!last || last.signature !== signature) {
    window.__dashboardSettle = {signature, since: now};
    return false;
  }
  return elements > 0 && now - last.since >= quiet;
}"""


def wait_for_app(page, timeout: float = 60_000, quiet_ms: int = 500) -> None:
    """Wait until the script has run and the page shows its result: the app's script state
    `notRunning` (after a possible `running`: an action's run may not have started yet) and
    the page unchanged for `quiet_ms`."""
    page.wait_for_selector(f"{APP}[data-test-connection-state='CONNECTED']", timeout=timeout)
    with contextlib.suppress(Exception):  # a run may already be over
        page.wait_for_selector(f"{APP}[data-test-script-state='running']", timeout=700)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_function(_SETTLED, arg=[quiet_ms], polling=100, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
