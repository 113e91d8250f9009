"""Reports as files people send: Markdown, HTML, PDF, JSON, CSV and a bundle.

Report text comes from a writer (a model, or text built from search terms
typed by strangers), so it is treated as untrusted everywhere: Markdown is
rendered with raw HTML off, links keep only web and mail addresses, images
become their alt text, and every other value is escaped. An HTML export loads
nothing from the network: its charts are inline SVG and its styles inline.
"""

from __future__ import annotations

import csv
import html
import io
import json
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from markdown_it import MarkdownIt
from sqlalchemy.engine import Engine

from generation.analysis import Analysis, TermAnalysis, describe_direction
from generation.errors import InvalidRequest
from generation.history import HistoryFilters, HistoryRow, iter_history
from generation.models import Report
from generation.report_actions import ReportContext, load_report
from generation.text import without_remote_images
from generation.trends.csv_import import describe_trends_data, neutralise_formula

logger = logging.getLogger(__name__)

REPORT_FORMATS: Final = ("md", "html", "pdf", "json")
MEDIA_TYPES: Final = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
SAFE_LINK_SCHEMES: Final = ("http://", "https://", "mailto:")
HISTORY_CSV_COLUMNS: Final = (
    "job_id",
    "created_at_utc",
    "status",
    "category",
    "topics",
    "writer",
    "model",
    "report_id",
    "title",
    "run_seconds",
    "tokens",
    "cost_usd",
    "schedule_id",
    "retry_of",
    "message",
)

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ExportFile:
    """One exported file: its suggested name, media type and bytes."""

    filename: str
    media_type: str
    content: bytes


def export_report(
    report_id: int, fmt: str, *, engine: Engine | None = None
) -> ExportFile:
    """Return report ``report_id`` as ``fmt``: md, html, pdf, json or zip.

    Raises ``NotFound`` for an unknown or deleted report and ``InvalidRequest``
    for an unknown format.
    """
    fmt = fmt.strip().lower().lstrip(".")
    if fmt == "markdown":
        fmt = "md"
    if fmt not in (*REPORT_FORMATS, "zip"):
        raise InvalidRequest(
            f"'{fmt[:20]}' is not an export format; choose one of "
            f"{', '.join(REPORT_FORMATS)} or zip (the bundle).",
            field="format",
        )
    context = load_report(report_id, engine=engine)
    if fmt == "md":
        content = report_markdown(context).encode("utf-8")
    elif fmt == "html":
        content = report_html(context).encode("utf-8")
    elif fmt == "pdf":
        from generation.report_pdf import report_pdf

        content = report_pdf(context)
    elif fmt == "json":
        content = report_json(context).encode("utf-8")
    else:
        from generation.report_bundle import report_bundle

        content = report_bundle(context)
    return ExportFile(
        filename=export_filename(context.report, fmt),
        media_type=MEDIA_TYPES[fmt],
        content=content,
    )


def export_filename(report: Report, extension: str) -> str:
    """Return a file name such as ``report-12-pizza-and-bagel.pdf``."""
    ascii_title = (
        unicodedata.normalize("NFKD", report.title)
        .encode("ascii", "ignore")
        .decode()
        .lower()
    )
    slug = _SLUG_UNSAFE.sub("-", ascii_title).strip("-")[:60].rstrip("-")
    stem = f"report-{report.id}" + (f"-{slug}" if slug else "")
    return f"{stem}.{extension}"


# Markdown ---------------------------------------------------------------------


def report_markdown(context: ReportContext) -> str:
    """Return the report as Markdown, with its figures, sources and provenance."""
    report = context.report
    body = without_remote_images(report.body.strip())
    parts: list[str] = []
    if not body.startswith("# "):
        parts.append(f"# {_markdown_text(report.title)}")
    parts.append(body)
    if context.analysis is not None and context.analysis.terms:
        parts.append("## Key figures\n\n" + _figures_markdown(context.analysis))
    if report.sources:
        lines = [
            f"{number}. {_markdown_link(source)}"
            for number, source in enumerate(report.sources, start=1)
        ]
        parts.append("## Sources\n\n" + "\n".join(lines))
    parts.append("---\n\n" + _markdown_text(describe_report(report)))
    provenance = describe_provenance(context)
    if provenance:
        parts.append(_markdown_text(provenance))
    return "\n\n".join(parts) + "\n"


def _figures_markdown(analysis: Analysis) -> str:
    header = "| " + " | ".join(FIGURE_COLUMNS) + " |"
    divider = "|" + " --- |" * len(FIGURE_COLUMNS)
    rows = [
        "| " + " | ".join(_markdown_cell(cell) for cell in figure_row(item)) + " |"
        for item in analysis.terms
    ]
    return "\n".join([header, divider, *rows])


def _markdown_text(text: str) -> str:
    # Escapes the characters that would start Markdown syntax, keeping the
    # text readable in a plain editor.
    text = "".join(ch for ch in text if ch == "\n" or ch >= " ")
    return re.sub(r"([\\`*_\[\]<>#|!])", r"\\\1", text.replace("\n", " "))


def _markdown_cell(text: str) -> str:
    return _markdown_text(text) or " "


def _markdown_link(source: dict[str, Any]) -> str:
    title = _markdown_text(str(source.get("title") or source.get("uri") or "source"))
    uri = safe_link(str(source.get("uri") or ""))
    if not uri:
        return title
    return f"[{title}](<{uri}>)"


# HTML -------------------------------------------------------------------------

_HTML_STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1f2328;
  max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #d0d7de; padding: 0.3rem 0.6rem; text-align: left; }
th { background: #f6f8fa; }
.meta { color: #57606a; font-size: 0.9rem; }
figure { margin: 1.5rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: 0.85rem; }
blockquote { border-left: 4px solid #d0d7de; margin: 0; padding-left: 1rem; }
"""


def report_html(context: ReportContext) -> str:
    """Return the report as one self-contained HTML page with inline SVG charts."""
    from generation.report_charts import render_charts

    report = context.report
    body = without_remote_images(report.body.strip())
    if body.startswith("# "):
        body = body.partition("\n")[2].lstrip("\n")
    sections = [
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="meta">{html.escape(describe_report(report))}</p>',
        render_markdown(body),
    ]
    if context.analysis is not None and context.analysis.terms:
        sections.append("<h2>Key figures</h2>" + _figures_html(context.analysis))
    charts = render_charts(context.trends, formats=("svg",)) if context.trends else []
    if charts:
        sections.append("<h2>Charts</h2>")
        for chart in charts:
            sections.append(
                f"<figure>{_inline_svg(chart.svg or '')}"
                f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
            )
    if report.sources:
        items = "".join(f"<li>{_source_html(source)}</li>" for source in report.sources)
        sections.append(f"<h2>Sources</h2><ol>{items}</ol>")
    sections.append("<h2>Inputs</h2>" + _pairs_html(input_rows(report)))
    provenance = describe_provenance(context)
    if provenance:
        sections.append(f'<p class="meta">{html.escape(provenance)}</p>')
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No script, style or image may come from anywhere but this file.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{html.escape(report.title)}</title>"
        f"<style>{_HTML_STYLE}</style></head>\n"
        f"<body><article>\n{''.join(sections)}\n</article></body></html>\n"
    )


def render_markdown(markdown: str) -> str:
    """Return HTML for untrusted Markdown: no raw HTML, no images, safe links."""
    return _markdown_renderer().render(without_remote_images(markdown))


def _markdown_renderer() -> MarkdownIt:
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    renderer.disable("image")
    default_validate = renderer.validateLink

    def validate_link(url: str) -> bool:
        return default_validate(url) and bool(safe_link(url))

    renderer.validateLink = validate_link

    def render_link_open(html_renderer, tokens, index, options, env) -> str:
        tokens[index].attrSet("rel", "noopener noreferrer nofollow")
        return html_renderer.renderToken(tokens, index, options, env)

    renderer.add_render_rule("link_open", render_link_open)
    return renderer


def _figures_html(analysis: Analysis) -> str:
    header = "".join(f"<th>{html.escape(name)}</th>" for name in FIGURE_COLUMNS)
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(cell)}</td>" for cell in figure_row(item))
        + "</tr>"
        for item in analysis.terms
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


def _pairs_html(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
        for name, value in pairs
    )
    return f"<table><tbody>{rows}</tbody></table>"


def _source_html(source: dict[str, Any]) -> str:
    title = html.escape(str(source.get("title") or source.get("uri") or "source"))
    uri = safe_link(str(source.get("uri") or ""))
    if not uri:
        return title
    address = html.escape(uri, quote=True)
    return (
        f'<a href="{address}" rel="noopener noreferrer nofollow">{title}</a> '
        f'<span class="meta">{html.escape(uri)}</span>'
    )


def _inline_svg(svg: str) -> str:
    # vl-convert writes a bare <svg> element; an XML prolog would be invalid
    # inside HTML.
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


# JSON -------------------------------------------------------------------------

JSON_FORMAT_NAME: Final = "trend-report"
JSON_FORMAT_VERSION: Final = 1


def report_json(context: ReportContext) -> str:
    """Return the report, its analysis, inputs and trends data as JSON."""
    report = context.report
    job = context.job
    document = {
        "format": JSON_FORMAT_NAME,
        "version": JSON_FORMAT_VERSION,
        "report": {
            "id": report.id,
            "job_id": report.job_id,
            "dataset_id": report.dataset_id,
            "title": report.title,
            "summary": report.summary,
            "body": report.body,
            "category": report.category,
            "topics": report.topics,
            "sources": report.sources,
            "writer": report.writer,
            "writer_version": report.writer_version,
            "model": report.model,
            "prompt_tokens": report.prompt_tokens,
            "output_tokens": report.output_tokens,
            "thinking_tokens": report.thinking_tokens,
            "cost_usd": report.cost_usd,
            "timings": report.timings,
            "duration_seconds": report.duration_seconds,
            "created_at": _iso(report.created_at),
        },
        "analysis": report.analysis,
        "inputs": report.inputs,
        "job": None
        if job is None
        else {
            "id": job.id,
            "status": job.status.value,
            "retry_of": job.retry_of,
            "created_at": _iso(job.created_at),
            "started_at": _iso(job.started_at),
            "finished_at": _iso(job.finished_at),
        },
        "trends": context.trends.to_json_dict() if context.trends else None,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)


# CSV of the history table -------------------------------------------------------


def history_csv(
    filters: HistoryFilters | None = None, *, engine: Engine | None = None
) -> str:
    """Return every History row matching ``filters`` as CSV (not just one page).

    Text cells that a spreadsheet would run as a formula are prefixed with
    ``'``, because titles and topics are untrusted text.
    """
    buffer = io.StringIO()
    write_history_csv(buffer, iter_history(filters, engine=engine))
    return buffer.getvalue()


def write_history_csv(stream: io.TextIOBase, rows: Iterable[HistoryRow]) -> int:
    """Write History rows to ``stream`` as CSV; return how many were written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(HISTORY_CSV_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(
            [
                row.job_id,
                row.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                row.status.value,
                safe_cell(row.category),
                safe_cell(row.topics),
                safe_cell(row.writer),
                safe_cell(row.model),
                row.report_id or "",
                safe_cell(row.title),
                "" if row.run_seconds is None else row.run_seconds,
                "" if row.tokens is None else row.tokens,
                "" if row.cost_usd is None else f"{row.cost_usd:.6f}",
                row.schedule_id or "",
                row.retry_of or "",
                safe_cell(row.message),
            ]
        )
        count += 1
    return count


def safe_cell(text: str) -> str:
    """Return ``text`` for a CSV cell, neutralised if it reads as a formula."""
    return neutralise_formula(text or "")


# Shared pieces ------------------------------------------------------------------

FIGURE_COLUMNS: Final = (
    "Term",
    "Peak period",
    "Peak",
    "Average",
    "Latest",
    "Direction",
    "Top region",
)


def figure_row(item: TermAnalysis) -> list[str]:
    """Return one term's key figures as the cells of ``FIGURE_COLUMNS``."""
    latest = (
        f"{_number(item.latest_value)} ({item.latest_period})"
        if item.latest_period
        else "n/a"
    )
    region = (
        f"{item.top_region} ({_number(item.top_region_value)})"
        if item.top_region
        else "n/a"
    )
    return [
        item.term,
        item.peak_period or "n/a",
        _number(item.peak_value),
        _number(item.mean),
        latest,
        describe_direction(item),
        region,
    ]


def describe_report(report: Report) -> str:
    """Return one line: id, date, category, writer, model, tokens, cost, time."""
    parts = [
        f"Report {report.id}",
        f"written {report.created_at:%Y-%m-%d %H:%M} UTC",
        f"category {report.category}" if report.category else "",
        f"writer {report.writer} {report.writer_version}".strip(),
        f"model {report.model}" if report.model else "",
    ]
    tokens = report.prompt_tokens + report.output_tokens + report.thinking_tokens
    if tokens:
        parts.append(f"{tokens:,} tokens")
        parts.append(f"cost ${report.cost_usd:.4f}")
    parts.append(f"{report.duration_seconds:.1f} s")
    return " · ".join(part for part in parts if part)


def describe_provenance(context: ReportContext) -> str:
    """Return where the report's trends data came from, or an empty string."""
    trends = context.trends
    if trends is None:
        return context.trends_problem
    pieces = [f"Trends data ({trends.source}): {describe_trends_data(trends)}"]
    if trends.provenance:
        pieces.append(trends.provenance)
    return ". ".join(pieces) + "."


def input_rows(report: Report) -> list[tuple[str, str]]:
    """Return the inputs a report was started with, as (label, value) pairs."""
    inputs = report.inputs or {}
    labels = (
        ("category", "Category"),
        ("topics", "Topics"),
        ("report_type", "Report type"),
        ("length", "Length"),
        ("tone", "Tone"),
        ("language", "Language"),
        ("writer", "Writer"),
        ("instructions", "Notes for the writer"),
        ("samples", "Samples"),
        ("dataset_id", "Dataset"),
        ("trends_query", "Live query"),
        ("options", "Writer options"),
    )
    rows: list[tuple[str, str]] = []
    for key, label in labels:
        value = inputs.get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        elif isinstance(value, dict):
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        else:
            text = str(value)
        rows.append((label, text))
    return rows


def safe_link(uri: str) -> str:
    """Return ``uri`` if it is a web or mail address, else an empty string.

    Spaces are percent-encoded, because search links from grounding can
    hold them; any other control or space character rejects the address.
    """
    uri = uri.strip().replace(" ", "%20")
    if not uri.lower().startswith(SAFE_LINK_SCHEMES):
        return ""
    if any(ch.isspace() or ord(ch) < 32 or ch == "\x7f" for ch in uri):
        return ""
    return uri if len(uri) <= 2000 else ""


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
