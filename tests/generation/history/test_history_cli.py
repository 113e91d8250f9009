"""The ``history`` and ``export`` subcommands, run as an analyst runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

from pypdf import PdfReader

from generation.__main__ import main
from generation.models import JobStatus
from tests.conftest import REPO_ROOT
from tests.generation.history.factories import add_job


def test_history_lists_newest_first(engine, capsys):
    first, _ = add_job(engine, topics="pizza")
    second, _ = add_job(engine, status=JobStatus.FAILED, topics="bagel")

    code = main(["history", "--json"])

    output = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [row["job_id"] for row in output["rows"]] == [second, first]
    assert output["total"] == 2


def test_history_filters_and_searches(engine, capsys):
    add_job(engine, topics="pizza", report={"body": "Dough and cheese."})
    add_job(engine, topics="bagel", report={"body": "Dough and seeds."})
    failed, _ = add_job(engine, status=JobStatus.FAILED, topics="pizza")

    main(["history", "--status", "failed", "--topic", "PIZ", "--json"])
    filtered = json.loads(capsys.readouterr().out)
    main(["history", "-q", "dough seeds", "--json"])
    searched = json.loads(capsys.readouterr().out)

    assert [row["job_id"] for row in filtered["rows"]] == [failed]
    assert [row["topics"] for row in searched["rows"]] == ["bagel"]


def test_history_bad_value_exits_with_sentence(engine, capsys):
    code = main(["history", "--from", "last week"])

    assert code == 2
    assert capsys.readouterr().err == (
        "error: The date 'last week' is not a date like 2025-01-31.\n"
    )


def test_history_writes_csv_of_all_pages(engine, tmp_path, capsys):
    for _ in range(30):
        add_job(engine, topics='=HYPERLINK("http://x")')
    target = tmp_path / "history.csv"

    code = main(["history", "--size", "10", "--csv", str(target)])

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert code == 0
    assert len(rows) == 30
    assert rows[0]["topics"].startswith("'=")
    assert "Wrote 30 rows" in capsys.readouterr().err


def test_export_writes_pdf(engine, tmp_path, capsys):
    _, report_id = add_job(engine, report={"title": "Pizza demand in 2026"})
    target = tmp_path / "report.pdf"

    code = main(["export", str(report_id), "--format", "pdf", "--output", str(target)])

    assert code == 0
    assert "Pizza demand in 2026" in PdfReader(target).pages[0].extract_text()
    assert f"Wrote {target}" in capsys.readouterr().err


def test_export_unknown_report_exits_with_sentence(engine, capsys):
    code = main(["export", "404", "--format", "md", "--output", "-"])

    assert code == 2
    assert capsys.readouterr().err == (
        "error: There is no report 404. Check the report id.\n"
    )


def test_export_runs_as_a_command(engine, tmp_path):
    _, report_id = add_job(engine, report={"title": "Bagel brief"})

    completed = subprocess.run(
        [sys.executable, "-m", "generation", "export", str(report_id), "--output", "-"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("# Report on lasagne")
