"""Fixtures for browser tests: headless Chromium and the app as a real server.

``browser`` launches Debian's Chromium through Playwright, ``page`` opens a
fresh tab in it, and ``running_app`` starts ``streamlit run app.py`` on a free
local port with its own SQLite file. ``start_app(env)`` starts one with extra
environment variables (settings), for tests that need a different set-up.

When Chromium cannot start, the browser tests are skipped on a developer's
machine but fail when ``CI=true``, so CI never passes without running them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Debian's Chromium; CHROMIUM_PATH points the tests at another build.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
APP_START_TIMEOUT_SECONDS = 60
# Settings from the developer's shell that would leak into the app under test.
SCRUBBED_VARIABLES = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "GOOGLE_GEMINI_BASE_URL",
    "GEMINI_MODEL",
    "REPORT_WRITER",
    "GOOGLE_TRENDS_BASE_URL",
    "LOG_FILE",
    "APP_PASSWORD_HASH",
)


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail in CI, where a skipped browser test hides a gap."""
    if running_in_ci():
        pytest.fail(f"{reason} (CI=true, so browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium for the whole test session."""
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        skip_or_fail("Playwright is not installed")
    manager = sync_playwright().start()
    try:
        launched = manager.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    except Error as error:
        manager.stop()
        skip_or_fail(f"Chromium did not start: {error}")
    yield launched
    launched.close()
    manager.stop()


@pytest.fixture
def page(browser):
    """A fresh tab in its own browser context, closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    tab = context.new_page()
    yield tab
    context.close()


@dataclass
class RunningApp:
    """A ``streamlit run app.py`` server started by a test."""

    url: str
    db_url: str
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def log_text(self) -> str:
        """Return everything the server wrote to stdout and stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_healthy(app: RunningApp) -> None:
    deadline = time.monotonic() + APP_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            pytest.fail(f"The app exited on start-up:\n{app.log_text()}")
        try:
            with urllib.request.urlopen(f"{app.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    app.stop()
    pytest.fail(f"The app did not answer within {APP_START_TIMEOUT_SECONDS} s")


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator[Callable[..., RunningApp]]:
    """Factory: ``start_app(env=None)`` starts the app and returns a RunningApp.

    Each app gets its own SQLite file under ``tmp_path`` unless ``env`` sets
    DATABASE_URL; ``env`` adds or overrides environment variables. Every app
    started is stopped after the test.
    """
    started: list[RunningApp] = []

    def start(env: dict[str, str] | None = None) -> RunningApp:
        number = len(started) + 1
        port = free_port()
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in SCRUBBED_VARIABLES
        }
        environment["DATABASE_URL"] = f"sqlite:///{tmp_path / f'app-{number}.db'}"
        environment["PYTHONUNBUFFERED"] = "1"
        environment.update(env or {})
        log_path = tmp_path / f"app-{number}.log"
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        app = RunningApp(
            url=f"http://127.0.0.1:{port}",
            db_url=environment["DATABASE_URL"],
            log_path=log_path,
            process=process,
        )
        started.append(app)
        _wait_until_healthy(app)
        return app

    yield start
    for app in started:
        app.stop()


@pytest.fixture
def running_app(start_app) -> RunningApp:
    """The app on a free local port with a fresh database."""
    return start_app()
