"""The outline review: a Gemini job pauses after its outline until it is approved.

The real google-genai SDK talks to the local fake Gemini server; each
section is the recorded three-event stream.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from generation.errors import InvalidRequest
from generation.jobs import recover_interrupted_jobs
from generation.models import GenerationJob, JobEvent, JobStatus, utcnow
from generation.queries import get_job, get_report
from generation.writers.prompts import MAX_OUTLINE_SECTIONS, check_reviewed_outline
from tests.generation.writers.gemini_fake import (
    FakeGemini,
    outline_then_recorded,
    prompt_of,
    serve_fake_gemini,
)

WAIT_SECONDS = 30
MODEL_OUTLINE = (
    "# GLP-1 drugs: search interest peaks\n"
    "## Summary\nThe main figures.\n"
    "## Ozempic leads\nPeak and average.\n"
    "## Where people search\nStates.\n"
    "## What to watch\nBreakouts to track.\n"
)
OUTLINE_USAGE = {"promptTokenCount": 900, "candidatesTokenCount": 60}
EDITED_OUTLINE = (
    "# Ozempic against Wegovy\n\n"
    "## Summary\nThe two drugs in one paragraph.\n\n"
    "## Which drug people search for\nCompare the peaks of\nozempic and wegovy.\n\n"
    "## What to watch\n"
)
REQUEST = {
    "category": "Health",
    "samples": ["weight-loss-drugs-us"],
    "writer": "gemini",
    "length": "short",
    "options": {"review_outline": True, "model": "gemini-2.5-flash"},
}


@pytest.fixture
def fake_gemini(httpserver, monkeypatch) -> FakeGemini:
    """The fake Gemini API: the outline for the outline step, else the recording."""
    fake = serve_fake_gemini(httpserver, monkeypatch)
    fake.handler(outline_then_recorded(MODEL_OUTLINE, OUTLINE_USAGE))
    return fake


def paused_job(runner) -> GenerationJob:
    job = runner.wait(runner.submit(REQUEST).job_id, WAIT_SECONDS)
    assert job.status == JobStatus.AWAITING_REVIEW, job.message
    return job


def test_job_pauses_with_outline(runner, fake_gemini) -> None:
    job = paused_job(runner)

    assert len(fake_gemini.requests) == 1
    assert job.outline.startswith("# GLP-1 drugs: search interest peaks\n\n## Summary")
    assert "## Where people search\nStates." in job.outline
    assert job.partial_text == job.outline
    assert job.outline_usage["prompt_tokens"] == 900
    assert job.outline_usage["output_tokens"] == 60
    assert job.outline_usage["cost_usd"] > 0
    assert job.report_id is None
    assert "approve it" in job.message


def test_restart_leaves_review_waiting(runner, fake_gemini) -> None:
    job = paused_job(runner)
    # As if the process that wrote the outline stopped two days ago.
    with Session(runner.engine) as session:
        row = session.get(GenerationJob, job.id)
        row.worker = "another-host:4242"
        row.heartbeat_at = utcnow() - timedelta(days=2)
        session.add(row)
        session.commit()

    recovered = recover_interrupted_jobs(runner.engine)
    approved = runner.approve_outline(job.id, job.outline)
    job = runner.wait(job.id, WAIT_SECONDS)

    assert recovered == []
    assert approved is True
    assert job.status == JobStatus.SUCCEEDED, job.message


def test_edited_outline_sections_written(runner, fake_gemini) -> None:
    job = paused_job(runner)

    assert runner.approve_outline(job.id, EDITED_OUTLINE) is True
    job = runner.wait(job.id, WAIT_SECONDS)

    assert job.status == JobStatus.SUCCEEDED, job.message
    section_prompts = [prompt_of(request) for request in fake_gemini.requests[1:]]
    assert len(section_prompts) == 3
    assert "Write section 1 of 3 only" in section_prompts[0]
    assert (
        "Start with the line '## Which drug people search for'" in (section_prompts[1])
    )
    assert (
        "This section should show: Compare the peaks of ozempic and wegovy."
        in section_prompts[1]
    )
    assert not any("reply with the outline only" in text for text in section_prompts)
    report = get_report(job.report_id)
    assert report.title == "Ozempic against Wegovy"
    assert "## Which drug people search for" in report.body
    assert "## Ozempic leads" not in report.body
    assert list(report.stage_costs) == [
        "outline",
        "section 1: Summary",
        "section 2: Which drug people search for",
        "section 3: What to watch",
    ]
    assert report.prompt_tokens == 900 + 3 * 13
    assert report.output_tokens == 60 + 3 * 8
    assert report.cost_usd == pytest.approx(sum(report.stage_costs.values()), abs=1e-6)


def test_outline_approved_once(runner, fake_gemini) -> None:
    job = paused_job(runner)

    first = runner.approve_outline(job.id, job.outline)
    second = runner.approve_outline(job.id, job.outline)
    job = runner.wait(job.id, WAIT_SECONDS)

    assert first is True
    assert second is False
    assert job.status == JobStatus.SUCCEEDED
    # One outline request and one per section of the four, not eight.
    assert len(fake_gemini.requests) == 1 + 4
    with Session(runner.engine) as session:
        approvals = session.exec(
            select(func.count())
            .select_from(JobEvent)
            .where(JobEvent.job_id == job.id)
            .where(JobEvent.stage == "outline approved")
        ).one()
    assert approvals == 1


def test_cancel_at_review_keeps_outline(runner, fake_gemini) -> None:
    job = paused_job(runner)

    assert runner.cancel(job.id) is True
    job = get_job(job.id)

    assert job.status == JobStatus.CANCELLED
    assert "outline is kept" in job.message
    assert job.partial_text.startswith("# GLP-1 drugs")
    with pytest.raises(InvalidRequest, match="not waiting for an outline review"):
        runner.approve_outline(job.id, job.outline)
    assert len(fake_gemini.requests) == 1


def test_retry_refused_while_awaiting(runner, fake_gemini) -> None:
    job = paused_job(runner)

    with pytest.raises(InvalidRequest, match="waiting for its outline review"):
        runner.retry(job.id)


@pytest.mark.parametrize(
    ("outline", "expected"),
    [
        ("", "has 0 section heading"),
        ("# Title\n## Summary\n## What to watch\n", "has 2 section heading"),
        ("Summary\nOzempic\nWhat to watch", "starting with '## '"),
        (
            "# T\n"
            + "".join(f"## Part {n}\n" for n in range(MAX_OUTLINE_SECTIONS + 1)),
            f"the limit is {MAX_OUTLINE_SECTIONS}",
        ),
        ("# T\n## A\n## B\n## C\n" + "x" * 7000, "characters long"),
    ],
)
def test_unusable_outline_rejected(outline, expected) -> None:
    with pytest.raises(InvalidRequest, match=expected):
        check_reviewed_outline(outline)


def test_unusable_outline_leaves_job_waiting(runner, fake_gemini) -> None:
    job = paused_job(runner)

    with pytest.raises(InvalidRequest, match="needs at least 3"):
        runner.approve_outline(job.id, "# Only a title")

    assert get_job(job.id).status == JobStatus.AWAITING_REVIEW
    assert len(fake_gemini.requests) == 1


def test_data_brief_review_rejected(runner) -> None:
    request = {**REQUEST, "writer": "data_brief"}

    with pytest.raises(InvalidRequest, match="writes no outline to review"):
        runner.submit(request)


def test_estimate_counts_review_steps(fake_gemini) -> None:
    from generation.writers.gemini_estimate import estimate_request_cost

    without_review = estimate_request_cost({**REQUEST, "options": {}})
    with_review = estimate_request_cost(REQUEST)

    # The outline step adds a request and its output tokens.
    assert with_review.prompt_tokens > without_review.prompt_tokens
    assert with_review.output_tokens > without_review.output_tokens


def test_long_model_outline_approvable_as_shown(runner, httpserver, monkeypatch):
    # 15 sections with long descriptions: more than an analyst may approve.
    sections = "".join(
        f"## Part {number}\n{'A long description. ' * 40}\n" for number in range(15)
    )
    fake = serve_fake_gemini(httpserver, monkeypatch)
    fake.handler(outline_then_recorded(f"# Plan\n{sections}", OUTLINE_USAGE))
    job = paused_job(runner)

    check_reviewed_outline(job.outline)
    headings = [line for line in job.outline.splitlines() if line.startswith("## ")]
    assert len(headings) == MAX_OUTLINE_SECTIONS
    assert headings[-1] == "## Part 14"
    assert runner.approve_outline(job.id, job.outline) is True
    assert runner.wait(job.id, WAIT_SECONDS).status == JobStatus.SUCCEEDED


def test_template_outline_translated_when_approved(runner, httpserver, monkeypatch):
    fake = serve_fake_gemini(httpserver, monkeypatch)
    fake.handler(outline_then_recorded("Sorry, I cannot help.", OUTLINE_USAGE))
    job = runner.wait(
        runner.submit({**REQUEST, "language": "German"}).job_id, WAIT_SECONDS
    )
    assert job.status == JobStatus.AWAITING_REVIEW, job.message
    assert "this is the report template's" in job.message
    assert "## Summary" in job.outline

    runner.approve_outline(job.id, job.outline)
    job = runner.wait(job.id, WAIT_SECONDS)

    assert job.status == JobStatus.SUCCEEDED, job.message
    section_prompts = [prompt_of(request) for request in fake.requests[1:]]
    assert section_prompts
    assert all(
        "with the heading translated into German" in prompt
        for prompt in section_prompts
    )


def test_english_reviewed_headings_kept_as_written(runner, fake_gemini) -> None:
    job = paused_job(runner)

    runner.approve_outline(job.id, EDITED_OUTLINE)
    runner.wait(job.id, WAIT_SECONDS)

    section_prompts = [prompt_of(request) for request in fake_gemini.requests[1:]]
    assert not any("translated into" in prompt for prompt in section_prompts)


def test_second_outline_after_approval_rejected(runner, fake_gemini) -> None:
    job = paused_job(runner)
    runner.approve_outline(job.id, job.outline)

    with pytest.raises(InvalidRequest, match="already approved"):
        runner.approve_outline(job.id, EDITED_OUTLINE)
    job = runner.wait(job.id, WAIT_SECONDS)

    assert job.status == JobStatus.SUCCEEDED
    assert get_report(job.report_id).title == "GLP-1 drugs: search interest peaks"


def test_progress_resumes_where_review_left_it(runner, fake_gemini) -> None:
    job = paused_job(runner)
    paused_at = job.progress

    runner.approve_outline(job.id, job.outline)
    runner.wait(job.id, WAIT_SECONDS)

    with Session(runner.engine) as session:
        after = session.exec(
            select(JobEvent.progress)
            .where(JobEvent.job_id == job.id)
            .where(JobEvent.id > _approval_event_id(session, job.id))
        ).all()
    assert paused_at > 5
    assert after
    assert min(after) >= paused_at


def _approval_event_id(session, job_id: int) -> int:
    return session.exec(
        select(JobEvent.id)
        .where(JobEvent.job_id == job_id)
        .where(JobEvent.stage == "outline approved")
    ).one()


def test_cancel_after_approval_keeps_outline(runner) -> None:
    # A job approved but not yet started again, as when every worker is busy.
    with Session(runner.engine) as session:
        row = GenerationJob(
            status=JobStatus.QUEUED,
            progress=26,
            outline=EDITED_OUTLINE,
            outline_approved=True,
            partial_text=EDITED_OUTLINE,
            request=REQUEST,
        )
        session.add(row)
        session.commit()
        job_id = row.id

    runner.cancel(job_id)
    job = get_job(job_id)

    assert job.status == JobStatus.CANCELLED
    assert job.message == (
        "Cancelled before the sections were written; the outline is kept."
    )
    assert job.partial_text == EDITED_OUTLINE


def test_unreadable_review_option_rejected(runner) -> None:
    request = {**REQUEST, "options": {"review_outline": "maybe"}}

    with pytest.raises(InvalidRequest, match="review_outline is 'maybe'; give true"):
        runner.submit(request)
