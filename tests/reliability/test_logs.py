"""Logs: a line per job transition with the job id, no secrets, a log file."""

from __future__ import annotations

import ast
import logging
import socket
from pathlib import Path

import pytest

from generation import config
from generation.errors import WriterFailed
from generation.jobs import JobRunner, recover_interrupted_jobs
from generation.models import JobStatus
from generation.writers import register_writer
from generation.writers.base import _registry
from tests.conftest import REPO_ROOT
from tests.reliability.conftest import open_app, page_text, run_cli
from tests.reliability.test_recovery import dead_pid, insert_running_job

SAMPLE = {"samples": ["weight-loss-drugs-us"]}
CANARY = "AIzaCANARY-4f1d0c2a-never-shown"


def job_lines(caplog, job_id: int) -> list[str]:
    prefix = f"Job {job_id} "
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "generation.jobs" and record.getMessage().startswith(prefix)
    ]


@pytest.fixture
def failing_writer():
    class FailingWriter:
        name = "test_failing"
        version = "1"

        def write(self, brief, on_progress):
            raise WriterFailed("The model refused the prompt; change the notes.")

    register_writer("test_failing", lambda options: FailingWriter())
    yield "test_failing"
    _registry.pop("test_failing", None)


def test_success_logs_each_transition(runner, caplog):
    caplog.set_level(logging.INFO, logger="generation")

    job = runner.wait(runner.submit(SAMPLE).job_id, timeout=60)

    lines = job_lines(caplog, job.id)
    assert lines[0].startswith(f"Job {job.id} queued (writer data_brief")
    assert lines[1].startswith(f"Job {job.id} running on ")
    assert lines[-1] == f"Job {job.id} succeeded: report {job.report_id}"


def test_failure_logs_sentence(runner, caplog, failing_writer):
    caplog.set_level(logging.INFO, logger="generation")

    job = runner.wait(
        runner.submit({**SAMPLE, "writer": failing_writer}).job_id, timeout=60
    )

    assert job.status == JobStatus.FAILED
    assert job_lines(caplog, job.id)[-1] == (
        f"Job {job.id} failed: The model refused the prompt; change the notes."
    )


def test_cancel_logs_running_and_queued(engine, caplog, paced_writer):
    caplog.set_level(logging.INFO, logger="generation")
    runner = JobRunner(engine, workers=1)
    request = {**SAMPLE, "writer": paced_writer, "options": {"pace_seconds": 0.05}}
    running = runner.submit({**request, "topics": ["ozempic"]}).job_id
    queued = runner.submit({**request, "topics": ["wegovy"]}).job_id
    while runner.wait(running, timeout=0).status != JobStatus.RUNNING:
        pass

    runner.cancel(queued)
    runner.cancel(running)
    runner.wait(running, timeout=60)
    runner.shutdown()

    assert job_lines(caplog, queued)[-1] == f"Job {queued} cancelled before it started"
    assert job_lines(caplog, running)[-1] == (
        f"Job {running} cancelled: Cancelled; the text written so far is kept."
    )


def test_recovery_logs_interrupted(engine, caplog):
    caplog.set_level(logging.INFO, logger="generation")
    orphan = insert_running_job(engine, f"{socket.gethostname()}:{dead_pid()}")

    recover_interrupted_jobs(engine)

    assert job_lines(caplog, orphan) == [f"Job {orphan} marked interrupted"]


def module_loggers(path: Path) -> list[str]:
    """Return the source of each logging.getLogger(...) call in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "getLogger"
        ):
            calls.append(ast.unparse(node))
    return calls


ENGINE_MODULES = sorted(
    path
    for folder in ("generation", "views")
    for path in (REPO_ROOT / folder).rglob("*.py")
    if path.name != "logs.py"
)


@pytest.mark.parametrize(
    "path", ENGINE_MODULES, ids=[str(p.relative_to(REPO_ROOT)) for p in ENGINE_MODULES]
)
def test_one_module_logger(path):
    calls = module_loggers(path)

    assert calls in ([], ["logging.getLogger(__name__)"])
    assert "basicConfig" not in path.read_text(encoding="utf-8")


def test_no_key_in_logs_page_or_database(engine, monkeypatch, caplog):
    monkeypatch.setenv("GEMINI_API_KEY", CANARY)
    monkeypatch.setenv("REPORT_WRITER", "data_brief")
    config.get_settings.cache_clear()
    caplog.set_level(logging.DEBUG)
    runner = JobRunner(engine)
    job = runner.wait(runner.submit(SAMPLE).job_id, timeout=60)
    runner.shutdown()

    settings_page = open_app("pages/settings.py")
    status_page = open_app("pages/generate.py", query_params={"job": str(job.id)})

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert not settings_page.exception
    assert CANARY not in caplog.text
    assert CANARY not in page_text(settings_page)
    assert CANARY not in page_text(status_page)
    database = Path(engine.url.database)
    for stored in database.parent.glob(database.name + "*"):
        assert CANARY.encode() not in stored.read_bytes()
    shown = {row["setting"]: row["value"] for row in config.get_settings().describe()}
    assert shown["GEMINI_API_KEY"] == "set"


def test_log_file_setting_writes_file(engine, tmp_path):
    log_file = tmp_path / "logs" / "trend-reports.log"
    orphan = insert_running_job(engine, f"{socket.gethostname()}:{dead_pid()}")

    completed = run_cli("recover", env={"LOG_FILE": str(log_file)})

    assert completed.returncode == 0, completed.stderr
    text = log_file.read_text(encoding="utf-8")
    assert f"WARNING generation.jobs: Job {orphan} marked interrupted" in text
