"""History and Dashboard pages through AppTest, on a database with known rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from generation import db
from generation.models import JobStatus
from generation.queries import get_job
from generation.report_actions import get_report
from tests.conftest import REPO_ROOT
from tests.generation.history.factories import add_job

TIMEOUT = 60


def open_page(path: str, **query_params: str) -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "navigation.py"), default_timeout=TIMEOUT)
    for name, value in query_params.items():
        app.query_params[name] = value
    app.run()
    app.switch_page(path)
    app.run()
    assert not app.exception, app.exception
    return app


def listed_jobs(app: AppTest) -> list[int]:
    frame = app.dataframe[0].value
    return [int(link.removeprefix("?job=")) for link in frame["job"]]


@pytest.fixture
def rows():
    """Six jobs: pizza, bagel and ramen reports, a failed and a queued job."""
    engine = db.init_db(db.get_engine())
    now = datetime.now(UTC)
    ids = {}
    ids["pizza"], ids["pizza_report"] = add_job(
        engine,
        topics="pizza",
        created_at=now - timedelta(hours=5),
        report={"title": "Pizza demand", "body": "# Pizza demand\n\nDough rises."},
    )
    ids["bagel"], ids["bagel_report"] = add_job(
        engine,
        topics="bagel",
        writer="gemini",
        model="gemini-2.5-flash",
        created_at=now - timedelta(hours=4),
        report={
            "title": "Bagel brief",
            "body": "# Bagel brief\n\nSesame seeds lead.",
            "cost_usd": 0.25,
            "prompt_tokens": 900,
            "output_tokens": 300,
            "sources": [{"title": "Bagel news", "uri": "https://example.com/bagel"}],
        },
    )
    ids["pizza_again"], ids["pizza_again_report"] = add_job(
        engine,
        topics="pizza",
        writer="gemini",
        created_at=now - timedelta(hours=3),
        report={"title": "Pizza demand, again", "body": "Crust and dough."},
    )
    ids["failed"], _ = add_job(
        engine,
        status=JobStatus.FAILED,
        topics="pizza",
        created_at=now - timedelta(hours=2),
    )
    ids["cancelled"], _ = add_job(
        engine,
        status=JobStatus.CANCELLED,
        topics="ramen",
        created_at=now - timedelta(hours=1),
    )
    ids["queued"], _ = add_job(
        engine, status=JobStatus.QUEUED, topics="ramen", created_at=now
    )
    return ids


def test_history_lists_every_job_newest_first(rows):
    app = open_page("pages/history.py")

    assert listed_jobs(app) == [
        rows["queued"],
        rows["cancelled"],
        rows["failed"],
        rows["pizza_again"],
        rows["bagel"],
        rows["pizza"],
    ]
    assert "Rows 1–6 of 6" in app.caption[0].value


def test_history_empty_cells_show_a_dash(rows):
    app = open_page("pages/history.py")
    frame = app.dataframe[0].value
    queued = frame[frame["job"] == f"?job={rows['queued']}"].iloc[0]

    # A queued job has no report, cost or duration yet.
    assert pd.isna(queued["report"])
    assert app.dataframe[0].proto.placeholder == "—"


def test_history_applies_filters_from_the_url(rows):
    app = open_page("pages/history.py", topic="pizza", writer="gemini")

    assert listed_jobs(app) == [rows["pizza_again"]]


def test_history_search_box_puts_search_in_url(rows):
    app = open_page("pages/history.py")

    search = next(box for box in app.text_input if box.label == "Search reports")
    search.input("dough")
    app.get("form_submit_button")[0].click()
    app.run()

    assert not app.exception
    assert app.query_params["q"] == "dough"
    assert listed_jobs(app) == [rows["pizza_again"], rows["pizza"]]


def test_history_status_filter_from_the_form(rows):
    app = open_page("pages/history.py")

    status = next(box for box in app.selectbox if box.label == "Status")
    status.set_value("failed")
    app.get("form_submit_button")[0].click()
    app.run()

    assert app.query_params["status"] == "failed"
    assert listed_jobs(app) == [rows["failed"]]


def test_history_bad_url_values_get_sentences(rows):
    app = open_page("pages/history.py", status="exploded", size="7")

    warnings = [element.value for element in app.warning]
    assert warnings == [
        (
            "The status 'exploded' is not one of queued, running, succeeded, failed, "
            "cancelled, interrupted, awaiting_review, so it was ignored."
        ),
        "The page size '7' is not one of 10, 25, 50, 100, so 25 rows are shown.",
    ]
    assert len(listed_jobs(app)) == 6


def test_history_bad_search_gets_a_sentence(rows):
    app = open_page("pages/history.py", q="***")

    # Pages escape Markdown in messages, so the asterisks arrive escaped.
    assert [element.value.replace("\\", "") for element in app.error] == [
        (
            "The search '***' has no letters or digits to look for. Type a word from a "
            "report's title, topics or text."
        )
    ]


def test_history_pages_with_page_size(rows):
    app = open_page("pages/history.py", size="10", page="2")

    assert "Page 2 is past the last page, 1." in [info.value for info in app.info]


def test_report_page_shows_text_citations_and_costs(rows):
    app = open_page("pages/history.py", report=str(rows["bagel_report"]))

    assert app.title[0].value == "Bagel brief"
    markdown = [element.value for element in app.markdown]
    assert "Sesame seeds lead." in markdown
    assert "1. [Bagel news](https://example.com/bagel)" in markdown
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Tokens"] == "1,200"
    assert metrics["Cost"] == "$0.2500"
    assert metrics["Model"] == "gemini-2.5-flash"
    labels = [button.label for button in app.get("download_button")]
    assert labels == ["Markdown", "HTML", "PDF", "JSON", "Bundle (zip)"]


def test_report_delete_asks_then_keeps_the_job(rows):
    app = open_page("pages/history.py", report=str(rows["pizza_report"]))

    app.button(key="delete").click()
    app.run()
    assert any("Delete report" in element.value for element in app.warning)
    assert get_report(rows["pizza_report"]).deleted_at is None
    app.button(key="delete-confirm").click()
    app.run()

    assert not app.exception
    assert get_report(rows["pizza_report"], include_deleted=True).deleted_at
    assert get_job(rows["pizza"]).report_id == rows["pizza_report"]
    frame = app.dataframe[0].value
    row = frame[frame["job"] == f"?job={rows['pizza']}"].iloc[0]
    assert row["title"] == "report deleted"


def test_report_delete_can_be_called_off(rows):
    app = open_page("pages/history.py", report=str(rows["pizza_report"]))

    app.button(key="delete").click()
    app.run()
    app.button(key="delete-cancel").click()
    app.run()

    assert get_report(rows["pizza_report"]).deleted_at is None
    assert app.title[0].value == "Pizza demand"


def test_deleted_report_url_names_its_job(rows):
    app = open_page("pages/history.py", report=str(rows["pizza_report"]))
    app.button(key="delete").click()
    app.run()
    app.button(key="delete-confirm").click()
    app.run()

    app = open_page("pages/history.py", report=str(rows["pizza_report"]))

    assert any("was deleted on" in element.value for element in app.warning)


def test_compare_two_reports_of_same_topics(rows):
    pair = f"{rows['pizza_report']},{rows['pizza_again_report']}"

    app = open_page("pages/history.py", compare=pair)

    assert app.title[0].value == "Compare reports"
    differences = app.dataframe[1].value
    assert list(differences["input"]) == ["writer"]


def test_compare_different_topics_gets_a_sentence(rows):
    pair = f"{rows['pizza_report']},{rows['bagel_report']}"

    app = open_page("pages/history.py", compare=pair)

    assert [element.value for element in app.error] == [
        (
            f"Report {rows['pizza_report']} covers pizza but report "
            f"{rows['bagel_report']} covers bagel; choose two reports of the same "
            "topics to compare."
        )
    ]


def test_dashboard_shows_known_counts(rows):
    app = open_page("pages/dashboard.py")

    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics["Succeeded"] == "3"
    assert metrics["Failed"] == "1"
    assert metrics["Cancelled"] == "1"
    assert metrics["Queued"] == "1"
    assert metrics["Running"] == "0"
    assert metrics["Success rate"] == "60.0%"
    assert metrics["Tokens"] == "1,200"
    assert metrics["Cost"] == "$0.25"
    assert any("queued: 1" in element.value for element in app.subheader)


def test_dashboard_rejects_odd_window(rows):
    app = open_page("pages/dashboard.py", days="9")

    assert [element.value for element in app.warning] == [
        (
            "The window '9' is not one of 7, 30, 90, 365 days, so the last 30 days "
            "are shown."
        )
    ]
