"""One zip to attach to a deck: the report, its data, its charts, its recipe.

The trends data is written back in the CSV layout the Google Trends website
exports (``multiTimeline.csv``, ``geoMap.csv``, ``relatedQueries.csv``), so
the app's importer, a spreadsheet, or anyone used to Trends exports reads
it. The manifest lists the inputs, the query, the writer, the model and the
prompt, so the report can be made again.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import zipfile
from datetime import UTC, datetime
from typing import Any, Final

import pandas as pd

from generation.exports import report_markdown
from generation.report_actions import ReportContext
from generation.trends.base import LESS_THAN_ONE, RelatedList, TrendsData
from generation.trends.csv_import import neutralise_formula

logger = logging.getLogger(__name__)

MANIFEST_VERSION: Final = 1
# The header of the date column, by granularity, as the English website
# writes it.
_DATE_HEADERS: Final = {
    "hourly": "Time",
    "daily": "Day",
    "weekly": "Week",
    "monthly": "Month",
}
_REGION_HEADERS: Final = {
    "COUNTRY": "Country",
    "REGION": "Region",
    "DMA": "Metro",
    "CITY": "City",
}


def report_bundle(context: ReportContext) -> bytes:
    """Return a zip with the report as PDF and Markdown, data, charts, manifest."""
    from generation.report_charts import render_charts
    from generation.report_pdf import report_pdf

    files: dict[str, bytes] = {
        "report.pdf": report_pdf(context),
        "report.md": report_markdown(context).encode("utf-8"),
    }
    if context.trends is not None:
        for name, text in trends_export_files(context.trends).items():
            files[f"data/{name}"] = text.encode("utf-8")
        for chart in render_charts(context.trends):
            if chart.svg is not None:
                files[f"charts/{chart.name}.svg"] = chart.svg.encode("utf-8")
            if chart.png is not None:
                files[f"charts/{chart.name}.png"] = chart.png
    manifest = build_manifest(context, sorted(files))
    files["manifest.json"] = json.dumps(
        manifest, ensure_ascii=False, indent=2, allow_nan=False
    ).encode("utf-8")

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, content in files.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def build_manifest(context: ReportContext, files: list[str]) -> dict[str, Any]:
    """Return what is needed to make the report again, as a JSON-ready dict."""
    report = context.report
    trends = context.trends
    prompt, prompt_note = rebuild_prompt(context)
    return {
        "manifest_version": MANIFEST_VERSION,
        "report_id": report.id,
        "job_id": report.job_id,
        "title": report.title,
        "created_at": report.created_at.isoformat(),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": report.inputs,
        "query": {
            "terms": trends.terms if trends else [],
            "geo": trends.geo if trends else "",
            "timeframe": trends.timeframe if trends else "",
            "category": trends.category if trends else "",
            "granularity": trends.granularity if trends else "",
            "source": trends.source if trends else "",
            "provenance": trends.provenance if trends else "",
            "request": trends.query if trends else {},
            "dataset_id": report.dataset_id,
        },
        "writer": report.writer,
        "writer_version": report.writer_version,
        "model": report.model,
        "prompt": prompt,
        "prompt_note": prompt_note,
        "tokens": {
            "prompt": report.prompt_tokens,
            "output": report.output_tokens,
            "thinking": report.thinking_tokens,
        },
        "cost_usd": report.cost_usd,
        "files": files,
    }


def rebuild_prompt(context: ReportContext) -> tuple[str | None, str]:
    """Return the writer's prompt for this report and a note on where it is from.

    Reports keep the prompt as sent. For reports written before that, the
    Gemini prompt is rebuilt from the inputs and the stored trends data with
    the writer's current templates, which match the original unless the
    templates changed since.
    """
    report = context.report
    if report.writer != "gemini":
        return None, f"The {report.writer or 'unknown'} writer sends no prompt."
    if report.prompt:
        return report.prompt, "The prompt as sent when the report was written."
    if context.trends is None or context.analysis is None:
        return None, "The trends data is missing, so the prompt cannot be rebuilt."
    from generation.config import get_settings
    from generation.requests import parse_request
    from generation.writers import prompts
    from generation.writers.base import Brief
    from generation.writers.gemini import RequestOptions

    request = parse_request(report.inputs)
    brief = Brief.from_request(request, context.trends, context.analysis)
    options = RequestOptions.from_brief(brief, get_settings())
    system = prompts.system_instruction(brief, grounding=options.grounding)
    first = (
        prompts.outline_prompt(brief)
        if brief.length == "long"
        else prompts.single_pass_prompt(brief)
    )
    return (
        f"{system}\n\n{first}",
        (
            "Rebuilt from the inputs and the stored trends data with the writer's "
            "current prompt templates; the system instruction, then the first request."
        ),
    )


def trends_export_files(data: TrendsData) -> dict[str, str]:
    """Return the data as Google Trends CSV exports, by file name."""
    files: dict[str, str] = {}
    if data.interest_over_time is not None and not data.interest_over_time.empty:
        files["multiTimeline.csv"] = _multi_timeline(data)
    if data.interest_by_region is not None and not data.interest_by_region.empty:
        files["geoMap.csv"] = _geo_map(data)
    related = [item for item in data.related if item.top or item.rising]
    for number, item in enumerate(related, start=1):
        kind = "relatedQueries" if item.kind == "queries" else "relatedEntities"
        suffix = "" if len(related) == 1 else f"_{number}"
        files[f"{kind}{suffix}.csv"] = _related(data, item)
    return files


def _multi_timeline(data: TrendsData) -> str:
    frame = data.interest_over_time
    assert frame is not None
    where = data.geo or "Worldwide"
    rows: list[list[str]] = [
        [_DATE_HEADERS.get(data.granularity, "Week")]
        + [_term_header(term, where) for term in frame.columns]
    ]
    hourly = data.granularity == "hourly"
    for stamp, values in frame.iterrows():
        moment = pd.Timestamp(stamp)
        date_text = (
            moment.strftime("%Y-%m-%dT%H") if hourly else moment.date().isoformat()
        )
        rows.append([date_text] + [_index_cell(value) for value in values])
    return _export_text(data, rows)


def _geo_map(data: TrendsData) -> str:
    frame = data.interest_by_region
    assert frame is not None
    period = data.timeframe or _period_text(data) or "Worldwide"
    share = data.region_values == "share"
    rows: list[list[str]] = [
        [_REGION_HEADERS.get(data.region_resolution.upper(), "Region")]
        + [_term_header(term, period) for term in frame.columns]
    ]
    for region, values in frame.iterrows():
        cells = [_index_cell(value, percent=share) for value in values]
        rows.append([neutralise_formula(str(region))] + cells)
    return _export_text(data, rows)


def _related(data: TrendsData, related: RelatedList) -> str:
    where = ", ".join(part for part in (_period_text(data), data.geo) if part)
    lines = _csv_lines([[f"Category: {data.category or 'All categories'}"]])
    if related.term:
        lines += _csv_lines([[_term_header(related.term, where or "Worldwide")]])
    for name, items in (("TOP", related.top), ("RISING", related.rising)):
        lines += "\n" + name + "\n"
        lines += _csv_lines(
            [[neutralise_formula(item.label), item.display] for item in items]
        )
    return lines


def _export_text(data: TrendsData, rows: list[list[str]]) -> str:
    category = f"Category: {data.category or 'All categories'}"
    return _csv_lines([[category]]) + "\n" + _csv_lines(rows)


def _csv_lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _term_header(term: str, detail: str) -> str:
    return f"{neutralise_formula(term)}: ({detail})"


def _index_cell(value: Any, *, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)
    suffix = "%" if percent else ""
    if number == LESS_THAN_ONE:
        return f"<1{suffix}"
    text = f"{number:g}" if not number.is_integer() else str(int(number))
    return text + suffix


def _period_text(data: TrendsData) -> str:
    period = data.period
    if period is None:
        return ""
    start, end = period
    return f"{start:%-m/%-d/%y} - {end:%-m/%-d/%y}"
