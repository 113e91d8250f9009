"""Exports: PDF text, self-contained HTML, JSON, CSV and the zip bundle."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader

from generation.analysis import analyse
from generation.db import session_scope
from generation.errors import InvalidRequest, NotFound
from generation.exports import export_report, history_csv, report_json
from generation.history import HistoryFilters
from generation.models import JobStatus, Report
from generation.report_actions import delete_report, load_report
from generation.trends.base import TrendsData
from generation.trends.csv_import import parse_trends_csv
from tests.conftest import FIXTURES
from tests.generation.history.factories import add_job

REQUEST = {
    "category": "Health",
    "topics": ["ozempic", "monjauro", "wegovy"],
    "samples": [
        "weight-loss-drugs-us",
        "weight-loss-drugs-by-state",
        "ozempic-related-queries",
    ],
    "writer": "data_brief",
}
# The peak week of each term in the bundled weekly US export.
PEAKS = {"ozempic": "2024-05-12", "monjauro": "2024-12-29", "wegovy": "2024-06-30"}


def recorded_sources() -> list[dict[str, str]]:
    """Return the web sources of a recorded Gemini response grounded in Search."""
    cassette = FIXTURES / "gemini" / "gemini_cassette_grounding_metadata_websearch.yaml"
    interactions = yaml.safe_load(cassette.read_text())["interactions"]
    body = interactions[0]["response"]["parsed_body"]
    chunks = body["candidates"][0]["groundingMetadata"]["groundingChunks"]
    return [{"title": c["web"]["title"], "uri": c["web"]["uri"]} for c in chunks]


@pytest.fixture
def report_id(runner) -> int:
    """A data-brief report on three terms, with the recorded web sources."""
    submission = runner.submit(REQUEST)
    job = runner.wait(submission.job_id, timeout=60)
    assert job.status == JobStatus.SUCCEEDED, job.message
    with session_scope(runner.engine) as session:
        session.get(Report, job.report_id).sources = recorded_sources()
    return job.report_id


def pdf_text(content: bytes) -> str:
    return "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(content)).pages
    )


def without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_contains_title_peaks_and_citations(runner, report_id):
    exported = export_report(report_id, "pdf", engine=runner.engine)

    text = pdf_text(exported.content)
    flat = without_spaces(text)
    assert exported.content.startswith(b"%PDF-")
    assert exported.media_type == "application/pdf"
    assert without_spaces("Health: ozempic, monjauro, wegovy") in flat
    for term, peak in PEAKS.items():
        assert term in text
        assert peak in text
    sources = recorded_sources()
    assert len(sources) == 3
    for source in sources:
        assert without_spaces(source["title"]) in flat
        assert without_spaces(source["uri"].replace(" ", "%20")) in flat


def test_pdf_has_figures_table_charts_and_inputs(runner, report_id):
    content = export_report(report_id, "pdf", engine=runner.engine).content

    reader = PdfReader(io.BytesIO(content))
    text = pdf_text(content)
    assert "Key figures" in text
    assert "Peak period" in text
    assert "Charts" in text
    assert "Inputs" in text
    images = [image for page in reader.pages for image in page.images]
    # Interest over time, and interest by region for each of the three terms.
    assert len(images) == 4


def test_pdf_prints_missing_glyphs_as_replacement(engine):
    _, report_id = add_job(
        engine,
        report={
            "title": "검색 보고서 🎉 Café",
            "body": "## Résumé\n\n윤석열 and 🍕 in one line.",
        },
    )

    text = pdf_text(export_report(report_id, "pdf", engine=engine).content)

    assert "Café" in text
    assert "Résumé" in text
    assert "\ufffd" in text
    assert "in one line" in text


def test_pdf_lays_out_a_table_without_header(engine):
    body = "| a | b |\n| --- | --- |\n| 1 | 2 |\n\n- one\n  - nested\n\n```\ncode\n```"
    _, report_id = add_job(engine, report={"body": body})

    text = pdf_text(export_report(report_id, "pdf", engine=engine).content)

    assert "nested" in text
    assert "code" in text


def test_html_is_self_contained_with_inline_svg(runner, report_id):
    html = export_report(report_id, "html", engine=runner.engine).content.decode()

    assert html.count("<svg") == 4
    assert re.search(r"<(script|img|link|iframe|object|embed)\b", html) is None
    assert re.search(r"\bsrc\s*=", html) is None
    assert "url(" not in html
    assert "@import" not in html
    links = re.findall(r'href="([^"]*)"', html)
    assert links == [source["uri"].replace(" ", "%20") for source in recorded_sources()]
    for term, peak in PEAKS.items():
        assert f"<td>{term}</td><td>{peak}</td>" in html


def test_html_escapes_markup_from_model_and_topics(engine):
    _, report_id = add_job(
        engine,
        topics="<script>alert(1)</script>",
        report={
            "title": "<b>Bold</b> & co",
            "body": (
                "# Title\n\nText <img src=x onerror=alert(2)> more.\n\n"
                "![pixel](https://tracker.example/p.gif)\n\n"
                "[bad](javascript:alert(3)) [good](https://example.org/a)"
            ),
            "sources": [{"title": "<i>x</i>", "uri": "javascript:alert(4)"}],
            "analysis": {"terms": [{"term": "<script>alert(5)</script>"}]},
        },
    )

    html = export_report(report_id, "html", engine=engine).content.decode()

    assert "<script" not in html
    assert "<img" not in html
    # The unsafe link stays visible as text but is no link.
    assert 'href="javascript' not in html
    assert "[bad](javascript:alert(3))" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "tracker.example" not in html
    assert "[image: pixel]" in html
    assert 'href="https://example.org/a"' in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html


def test_markdown_keeps_body_and_adds_sources(runner, report_id):
    markdown = export_report(report_id, "md", engine=runner.engine).content.decode()

    report = load_report(report_id, engine=runner.engine).report
    assert markdown.startswith(report.body.strip()[:40])
    assert "## Key figures" in markdown
    assert "## Sources" in markdown
    assert "1. [Weather information for San Francisco, CA, US](<https://" in markdown


def test_json_round_trips(runner, report_id):
    context = load_report(report_id, engine=runner.engine)

    document = json.loads(
        export_report(report_id, "json", engine=runner.engine).content
    )

    report = context.report
    assert document["format"] == "trend-report"
    assert document["report"]["title"] == report.title
    assert document["report"]["body"] == report.body
    assert document["report"]["sources"] == recorded_sources()
    assert document["analysis"] == report.analysis
    assert document["inputs"] == report.inputs
    assert document["job"]["id"] == report.job_id
    trends = TrendsData.from_json_dict(document["trends"])
    pd.testing.assert_frame_equal(
        trends.interest_over_time, context.trends.interest_over_time
    )
    assert analyse(trends).to_json_dict() == report.analysis
    assert json.loads(report_json(context)) == document


def test_history_csv_neutralises_formulas(engine):
    add_job(
        engine,
        topics="=cmd|' /C calc'!A0",
        report={"title": "+SUM(A1:A9)"},
    )
    add_job(engine, status=JobStatus.FAILED, topics="@evil, -2+3")

    rows = list(csv.DictReader(io.StringIO(history_csv(engine=engine))))

    assert [row["topics"] for row in rows] == ["'@evil, -2+3", "'=cmd|' /C calc'!A0"]
    assert rows[1]["title"] == "'+SUM(A1:A9)"
    assert rows[0]["status"] == "failed"
    assert rows[0]["report_id"] == ""


def test_history_csv_follows_filters_beyond_one_page(engine):
    for _ in range(30):
        add_job(engine, status=JobStatus.FAILED)
    add_job(engine)

    text = history_csv(HistoryFilters(status=JobStatus.FAILED, page=2), engine=engine)

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 30
    assert {row["status"] for row in rows} == {"failed"}


def test_bundle_has_listed_members(runner, report_id):
    exported = export_report(report_id, "zip", engine=runner.engine)

    bundle = zipfile.ZipFile(io.BytesIO(exported.content))
    names = set(bundle.namelist())
    assert exported.filename.endswith(".zip")
    assert {
        "report.pdf",
        "report.md",
        "manifest.json",
        "data/multiTimeline.csv",
        "data/geoMap.csv",
        "data/relatedQueries.csv",
        "charts/interest_over_time.svg",
        "charts/interest_over_time.png",
    } <= names
    assert bundle.read("report.pdf").startswith(b"%PDF-")
    assert bundle.read("charts/interest_over_time.png").startswith(b"\x89PNG")
    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["inputs"]["topics"] == REQUEST["topics"]
    assert manifest["writer"] == "data_brief"
    assert manifest["query"]["geo"] == "United States"
    assert manifest["query"]["terms"] == ["ozempic", "monjauro", "wegovy"]
    assert manifest["prompt"] is None
    assert manifest["files"] == sorted(names - {"manifest.json"})


def test_bundle_data_reimports_with_the_csv_importer(runner, report_id):
    trends = load_report(report_id, engine=runner.engine).trends
    bundle = zipfile.ZipFile(
        io.BytesIO(export_report(report_id, "zip", engine=runner.engine).content)
    )

    over_time = parse_trends_csv(
        bundle.read("data/multiTimeline.csv"), "multiTimeline.csv"
    )
    regions = parse_trends_csv(bundle.read("data/geoMap.csv"), "geoMap.csv")
    related = parse_trends_csv(
        bundle.read("data/relatedQueries.csv"), "relatedQueries.csv"
    )

    pd.testing.assert_frame_equal(
        over_time.interest_over_time, trends.interest_over_time, check_freq=False
    )
    assert over_time.granularity == "weekly"
    pd.testing.assert_frame_equal(regions.interest_by_region, trends.interest_by_region)
    assert regions.region_values == "share"
    original = trends.related_for("ozempic")
    assert related.related[0].top == original.top
    assert related.related[0].rising == original.rising


def test_unknown_format_gets_a_sentence(engine):
    _, report_id = add_job(engine)

    with pytest.raises(InvalidRequest) as raised:
        export_report(report_id, "docx", engine=engine)

    assert raised.value.message == (
        "'docx' is not an export format; choose one of md, html, pdf, json or zip "
        "(the bundle)."
    )


def test_deleted_report_is_not_exported(engine):
    _, report_id = add_job(engine)
    delete_report(report_id, engine=engine)

    with pytest.raises(NotFound):
        export_report(report_id, "md", engine=engine)


def test_file_name_is_ascii_slug(engine):
    _, report_id = add_job(engine, report={"title": "Crème brûlée: 2026 / Q1?"})

    exported = export_report(report_id, "md", engine=engine)

    assert exported.filename == f"report-{report_id}-creme-brulee-2026-q1.md"


def test_bundle_manifest_rebuilds_gemini_prompt(runner, report_id):
    with session_scope(runner.engine) as session:
        report = session.get(Report, report_id)
        report.writer = "gemini"
        report.model = "gemini-2.5-flash"
        report.inputs = dict(report.inputs, writer="gemini", instructions="Be brief.")

    bundle = zipfile.ZipFile(
        io.BytesIO(export_report(report_id, "zip", engine=runner.engine).content)
    )

    manifest = json.loads(bundle.read("manifest.json"))
    prompt = manifest["prompt"]
    assert prompt.startswith("You are a market analyst writing a briefing report")
    assert "<trends_data>" in prompt
    assert "Be brief." in prompt
    assert "2024-05-12" in prompt
    assert manifest["prompt_note"].startswith("Rebuilt from the inputs")
    assert manifest["model"] == "gemini-2.5-flash"


def test_bundle_manifest_keeps_the_prompt_as_sent(runner, report_id):
    with session_scope(runner.engine) as session:
        report = session.get(Report, report_id)
        report.writer = "gemini"
        report.prompt = "The prompt exactly as it went to the model."

    bundle = zipfile.ZipFile(
        io.BytesIO(export_report(report_id, "zip", engine=runner.engine).content)
    )

    manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["prompt"] == "The prompt exactly as it went to the model."
    assert manifest["prompt_note"] == "The prompt as sent when the report was written."
