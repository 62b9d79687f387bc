"""Real-browser helpers: Debian's Chromium driven by Playwright (never a downloaded browser), uvicorn serving."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from app.settings import PROJECT_DIR
from tests.support.services import unavailable
from tests.support.waiting import wait_until

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def chromium() -> Iterator[Any]:
    """A Playwright Browser on /usr/bin/chromium; skipped (failed in CI) when either is missing."""
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium; ./tongdai test installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def web_app(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """uvicorn serving app.main:create_app on a free loopback port; yields its base URL; stopped by its PID."""
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "warning"]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, cwd=PROJECT_DIR, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            def up() -> bool:
                if proc.poll() is not None:
                    raise AssertionError(f"uvicorn exited with {proc.returncode}: {log_path.read_text()[-2000:]}")
                try:
                    return httpx.get(base + "/login", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(up, "the web app to answer /login", timeout=60)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def expect(target: Any) -> Any:
    """Playwright's expect() with a generous limit: pops arrive by polling every 2 s when Redis is down.

    The pages' Content-Security-Policy forbids eval, so wait with expect() or locators, not wait_for_function
    (or open the page with bypass_csp=True).
    """
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=20_000)
    return playwright_expect(target)
