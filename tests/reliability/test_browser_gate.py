"""Browser tests skip on a machine without Chromium, but fail when CI=true."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

BROWSER_TEST = (
    "tests/browser/test_reliability_browser.py::"
    "test_first_request_to_a_page_asks_for_password"
)


def run_browser_test(ci: str | None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "CHROMIUM_PATH": "/nonexistent/chromium"}
    environment.pop("CI", None)
    if ci is not None:
        environment["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", BROWSER_TEST],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_missing_chromium_fails_in_ci():
    completed = run_browser_test(ci="true")

    assert completed.returncode == 1, completed.stdout
    assert "/nonexistent/chromium is missing (CI=true, so browser tests must run)" in (
        completed.stdout
    )
    assert "1 error" in completed.stdout


@pytest.mark.parametrize("ci", [None, "false"])
def test_missing_chromium_skips_locally(ci):
    completed = run_browser_test(ci=ci)

    assert completed.returncode == 0, completed.stdout
    assert "1 skipped" in completed.stdout
    assert "/nonexistent/chromium is missing" in completed.stdout
