"""Rerun, duplicate, delete and compare finished reports."""

from __future__ import annotations

import pytest

from generation.db import session_scope
from generation.errors import InvalidRequest, NotFound
from generation.history import HistoryFilters, list_history
from generation.models import GenerationJob, JobStatus
from generation.queries import get_job
from generation.report_actions import (
    compare,
    delete_report,
    duplicate_inputs,
    get_report,
    load_report,
    rerun,
)
from tests.generation.history.factories import add_job

REQUEST = {
    "category": "Health",
    "topics": ["ozempic", "wegovy"],
    "samples": ["weight-loss-drugs-us", "weight-loss-drugs-by-state"],
    "writer": "data_brief",
    "report_type": "market_opportunity",
    "length": "short",
    "tone": "executive",
    "instructions": "Stress the last year.",
}


@pytest.fixture
def finished_report(runner) -> int:
    submission = runner.submit(REQUEST)
    job = runner.wait(submission.job_id, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job.message
    return job.report_id


def test_rerun_creates_job_linked_to_original(runner, finished_report):
    original = get_report(finished_report, engine=runner.engine)

    submission = rerun(finished_report, runner=runner)
    new_job = runner.wait(submission.job_id, timeout=60)

    assert submission.created
    assert new_job.id != original.job_id
    assert new_job.retry_of == original.job_id
    assert new_job.status == JobStatus.SUCCEEDED
    new_report = get_report(new_job.report_id, engine=runner.engine)
    assert new_report.topics == original.topics
    assert new_report.analysis == original.analysis


def test_rerun_uses_same_inputs_and_the_stored_data(runner, finished_report):
    original = get_report(finished_report, engine=runner.engine)
    original_request = get_job(original.job_id, engine=runner.engine).request

    submission = rerun(finished_report, runner=runner)

    request = get_job(submission.job_id, engine=runner.engine).request
    for field in ("category", "topics", "report_type", "length", "tone", "writer"):
        assert request[field] == original_request[field]
    assert request["instructions"] == "Stress the last year."
    assert request["dataset_id"] == original.dataset_id
    assert request["samples"] == []


def test_rerun_applies_edits(runner, finished_report):
    submission = rerun(
        finished_report,
        {"length": "long", "instructions": "Only the last quarter."},
        runner=runner,
    )

    request = get_job(submission.job_id, engine=runner.engine).request
    assert request["length"] == "long"
    assert request["instructions"] == "Only the last quarter."
    assert request["report_type"] == "market_opportunity"


def test_rerun_rejects_edit_of_data(runner, finished_report):
    with pytest.raises(InvalidRequest) as raised:
        rerun(finished_report, {"dataset_id": 999}, runner=runner)

    assert raised.value.message.startswith("A rerun cannot change dataset_id;")
    assert raised.value.field == "dataset_id"


def test_rerun_rejects_invalid_edit_value(runner, finished_report):
    with pytest.raises(InvalidRequest) as raised:
        rerun(finished_report, {"length": "epic"}, runner=runner)

    assert raised.value.field == "length"


def test_duplicate_inputs_returns_the_request(runner, finished_report):
    inputs = duplicate_inputs(finished_report, engine=runner.engine)

    report = get_report(finished_report, engine=runner.engine)
    assert inputs["topics"] == ["ozempic", "wegovy"]
    assert inputs["report_type"] == "market_opportunity"
    assert inputs["tone"] == "executive"
    assert inputs["samples"] == REQUEST["samples"]
    assert inputs["dataset_id"] == report.dataset_id


def test_delete_keeps_job_history(runner, finished_report):
    report = get_report(finished_report, engine=runner.engine)

    assert delete_report(finished_report, engine=runner.engine)

    job = get_job(report.job_id, engine=runner.engine)
    assert job.status == JobStatus.SUCCEEDED
    assert job.report_id == finished_report
    page = list_history(HistoryFilters(), engine=runner.engine)
    row = next(row for row in page.rows if row.job_id == report.job_id)
    assert row.report_deleted
    assert row.title == "report deleted"


def test_deleted_report_cannot_be_opened(runner, finished_report):
    delete_report(finished_report, engine=runner.engine)

    with pytest.raises(NotFound) as raised:
        load_report(finished_report, engine=runner.engine)

    assert "was deleted on" in raised.value.message
    assert "is still listed in History" in raised.value.message


def test_delete_twice_reports_nothing_new(runner, finished_report):
    assert delete_report(finished_report, engine=runner.engine)
    assert not delete_report(finished_report, engine=runner.engine)


def test_deleted_report_can_still_be_rerun(runner, finished_report):
    delete_report(finished_report, engine=runner.engine)

    submission = rerun(finished_report, runner=runner)

    job = runner.wait(submission.job_id, timeout=60)
    assert job.status == JobStatus.SUCCEEDED


def test_load_report_brings_trends_and_analysis(runner, finished_report):
    context = load_report(finished_report, engine=runner.engine)

    assert context.trends is not None
    assert context.trends.terms == ["ozempic", "monjauro", "wegovy"]
    assert context.analysis.term("ozempic").peak_period == "2024-05-12"
    assert context.job.report_id == finished_report


def test_compare_reports_of_same_topics(engine):
    analysis = {
        "terms": [{"term": "pizza", "peak_period": "2024-01-07", "peak_value": 100}]
    }
    _, left = add_job(engine, topics="pizza", report={"analysis": analysis})
    _, right = add_job(
        engine, topics="pizza", writer="gemini", report={"analysis": analysis}
    )

    comparison = compare(left, right, engine=engine)

    assert comparison.left.id == left
    assert comparison.right.id == right
    assert [item.term for item in comparison.terms] == ["pizza"]
    assert comparison.terms[0].left.peak_period == "2024-01-07"
    assert comparison.input_differences == {"writer": ("data_brief", "gemini")}


def test_compare_different_topics_gets_a_sentence(engine):
    _, left = add_job(engine, topics="pizza")
    _, right = add_job(engine, topics="bagel")

    with pytest.raises(InvalidRequest) as raised:
        compare(left, right, engine=engine)

    assert raised.value.message == (
        f"Report {left} covers pizza but report {right} covers bagel; choose two "
        "reports of the same topics to compare."
    )


def test_compare_with_itself_gets_a_sentence(engine):
    _, report_id = add_job(engine)

    with pytest.raises(InvalidRequest):
        compare(report_id, report_id, engine=engine)


def test_unknown_report_is_not_found(engine):
    with pytest.raises(NotFound) as raised:
        get_report(404, engine=engine)

    assert raised.value.message == "There is no report 404. Check the report id."


def test_rerun_links_even_when_job_row_lost_its_request(runner, finished_report):
    report = get_report(finished_report, engine=runner.engine)
    with session_scope(runner.engine) as session:
        session.get(GenerationJob, report.job_id).request = {}

    submission = rerun(finished_report, runner=runner)

    request = get_job(submission.job_id, engine=runner.engine).request
    assert request["topics"] == ["ozempic", "wegovy"]
