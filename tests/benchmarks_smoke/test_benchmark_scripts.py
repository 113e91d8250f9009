"""Every benchmark script runs end to end at a small size.

The benchmarks are not timed here (these machines are shared and noisy);
this keeps a change to the engine from leaving one of them broken.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

SCRIPT_TIMEOUT_SECONDS = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("script", "arguments", "expected"),
    [
        ("submit_latency.py", ["--runs", "2"], "inline / submit:"),
        (
            "concurrency.py",
            ["--jobs", "2", "--rows", "200"],
            "progress share of writing time:",
        ),
        ("gemini_cancel.py", ["--runs", "1"], "cancel to closed stream:"),
        ("history.py", ["--count", "300"], "First page"),
        ("trends_cache.py", ["--rounds", "2"], "uncached / cached:"),
        ("trends_stitching.py", ["--rounds", "1"], "cached stitched / single:"),
        (
            "api.py",
            ["--requests", "3", "--pollers", "2", "--polls", "2", "--port", "PORT"],
            "HTTP / engine, status p50",
        ),
    ],
)
def test_benchmark_runs_small(tmp_path, script, arguments, expected):
    arguments = [str(free_port()) if value == "PORT" else value for value in arguments]

    finished = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / script), *arguments],
        check=False,
        cwd=tmp_path,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
    )

    assert finished.returncode == 0, finished.stderr[-2000:]
    assert expected in finished.stdout
    assert "Traceback" not in finished.stderr
