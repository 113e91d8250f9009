"""The command line's main job on real exports, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from generation.analysis import analyse
from generation.config import Settings, settings_documentation
from generation.trends.csv_import import parse_trends_csv

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLES = REPO_ROOT / "generation" / "samples"
WEEKLY_EXPORT = SAMPLES / "trends_multitimeline_weekly_3terms_us_5y.csv"
REGION_EXPORT = SAMPLES / "trends_geomap_us_states_3terms_percent_lt1.csv"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generation", *args],
        check=False,
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_generate_from_an_export_then_show_gives_each_terms_peak_period():
    generated = run_cli(
        "generate", "--trends-csv", str(WEEKLY_EXPORT), "--wait", "--json"
    )
    assert generated.returncode == 0, generated.stderr
    outcome = json.loads(generated.stdout)
    assert outcome["status"] == "succeeded"
    assert outcome["job_id"] >= 1
    assert outcome["report_id"] >= 1

    shown = run_cli("show", str(outcome["report_id"]), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    expected = analyse(parse_trends_csv(WEEKLY_EXPORT.read_bytes(), WEEKLY_EXPORT.name))
    shown_terms = {item["term"]: item for item in report["analysis"]["terms"]}
    assert list(shown_terms) == ["ozempic", "monjauro", "wegovy"]
    for figures in expected.terms:
        assert shown_terms[figures.term]["peak_period"] == figures.peak_period
        assert shown_terms[figures.term]["peak_value"] == figures.peak_value
    # ozempic's highest week in the export is 2024-05-12 (value 100).
    assert shown_terms["ozempic"]["peak_period"] == "2024-05-12"

    markdown = run_cli("show", str(outcome["report_id"]))
    assert markdown.stdout.startswith("# ")
    assert "2024-05-12" in markdown.stdout


def test_generate_with_topics_uses_them_and_jobs_lists_the_job():
    generated = run_cli(
        "generate",
        "--wait",
        "--trends-csv",
        str(WEEKLY_EXPORT),
        "--topic",
        "wegovy",
        "--category",
        "Health",
        "--json",
    )
    outcome = json.loads(generated.stdout)
    listed = json.loads(run_cli("jobs", "--json").stdout)
    assert listed[0]["id"] == outcome["job_id"]
    assert listed[0]["topics"] == "wegovy"
    assert listed[0]["status"] == "succeeded"


def test_import_says_what_each_file_holds():
    imported = run_cli("import", str(WEEKLY_EXPORT), str(REGION_EXPORT))
    assert imported.returncode == 0, imported.stderr
    lines = imported.stdout.splitlines()
    assert "ozempic, monjauro and wegovy, weekly, 2020-11-22 to 2025-11-23" in lines[0]
    assert lines[0].endswith("262 rows.")
    assert "Interest by region" in lines[1]
    assert lines[2] == "Saved as dataset 1."


def test_bad_arguments_exit_non_zero_with_one_clear_line(tmp_path):
    not_a_report = run_cli("show", "1;DROP TABLE report")
    assert not_a_report.returncode == 2
    assert not_a_report.stderr.strip().splitlines() == [
        (
            "error: '1;DROP TABLE report' is not a report id; a report id is a "
            "positive whole number."
        )
    ]

    missing = run_cli("import", str(tmp_path / "nothing.csv"))
    assert missing.returncode == 2
    assert "could not be read" in missing.stderr
    assert "Traceback" not in missing.stderr

    html = tmp_path / "page.csv"
    html.write_text("<!doctype html><html><body>Sign in</body></html>")
    refused = run_cli("generate", "--trends-csv", str(html), "--json")
    assert refused.returncode == 2
    assert (
        refused.stderr.startswith("error: ") and len(refused.stderr.splitlines()) == 1
    )

    no_data = run_cli("generate", "--topic", "pizza", "--json")
    assert no_data.returncode == 2
    assert no_data.stderr.startswith("error: The request names no trends data.")
    assert "Job" not in no_data.stderr

    off_topic = run_cli(
        "generate",
        "--wait",
        "--trends-csv",
        str(WEEKLY_EXPORT),
        "--topic",
        "bitcoin",
        "--json",
    )
    assert off_topic.returncode == 1
    assert json.loads(off_topic.stdout)["error"].startswith(
        "The trends data has nothing on 'bitcoin'"
    )

    unknown_report = run_cli("show", "424242")
    assert unknown_report.returncode == 2
    assert "There is no report 424242" in unknown_report.stderr


def test_a_bad_setting_is_one_line_not_a_traceback(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "")
    result = run_cli("jobs")
    assert result.returncode == 2
    assert result.stderr == (
        "error: The setting DATABASE_URL is not valid: DATABASE_URL is empty; unset "
        "it or give a URL. Fix it in the environment or in .streamlit/secrets.toml, "
        "then start again.\n"
    )


def test_settings_example_file_matches_the_settings():
    example = (REPO_ROOT / ".streamlit" / "secrets.toml.example").read_text()
    assert example == settings_documentation("toml")
    readme = (REPO_ROOT / "README.md").read_text()
    for name, info in Settings.model_fields.items():
        assert f"`{info.alias or name}`" in readme, f"{info.alias} is not in the README"


def test_jobs_refuses_a_limit_that_is_not_a_count():
    result = run_cli("jobs", "--limit", "-5")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith(
        "argument --limit: '-5' is not a whole number from 1 to 1000"
    )
