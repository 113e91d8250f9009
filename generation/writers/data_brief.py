"""The offline writer: a structured report from the trends analysis alone.

It needs no account and no network, so it is the default when no Gemini key
is set. Every figure it states comes from ``generation.analysis``.
"""

from __future__ import annotations

from generation.analysis import Analysis, TermAnalysis, describe_direction
from generation.text import escape_markdown
from generation.trends.provenance import (
    describe_origin,
    describe_partial_period,
    describe_query,
)
from generation.trends.stitching import describe_stitching
from generation.writers.base import Brief, Draft, ProgressCallback, register_writer

WRITER_NAME = "data_brief"
WRITER_VERSION = "1.0"


class DataBriefWriter:
    """Write a data brief: summary, one section per term, comparison, method."""

    name = WRITER_NAME
    version = WRITER_VERSION

    def write(self, brief: Brief, on_progress: ProgressCallback) -> Draft:
        analysis = brief.analysis
        title = f"{brief.category}: {', '.join(brief.topics)} — search interest brief"
        sections: list[str] = []

        on_progress("write", 60, "Writing the summary")
        summary = _summary(analysis)
        sections.append(f"# {escape_markdown(title)}\n\n## Summary\n\n{summary}")

        for index, item in enumerate(analysis.terms):
            percent = 60 + int(25 * (index + 1) / max(1, len(analysis.terms)))
            on_progress("write", percent, f"Writing the section on {item.term}")
            sections.append(_term_section(item, analysis))

        on_progress("write", 88, "Writing the comparison and method")
        if len(analysis.terms) > 1:
            sections.append(_comparison(analysis))
        sections.append(_method(brief))
        if brief.instructions.strip():
            sections.append(
                "## Analyst's note\n\n> " + escape_markdown(brief.instructions.strip())
            )
        body = "\n\n".join(sections) + "\n"
        on_progress("write", 90, "Report written", body)
        return Draft(
            title=title,
            summary=summary,
            body=body,
            writer=WRITER_NAME,
            writer_version=WRITER_VERSION,
        )


def _summary(analysis: Analysis) -> str:
    if not any(item.peak_period for item in analysis.terms):
        return (
            "The data holds no interest-over-time series, so this brief covers "
            "only the related searches and regions it contains."
        )
    parts = []
    for item in analysis.terms:
        if item.peak_period is None:
            continue
        parts.append(
            f"**{escape_markdown(item.term)}** peaked at {_fmt(item.peak_value)} on "
            f"{item.peak_period} and is {describe_direction(item)}"
        )
    period = f"From {analysis.period_start} to {analysis.period_end}"
    text = f"{period}, " + "; ".join(parts) + "."
    if analysis.leader and len(analysis.terms) > 1:
        text += f" **{escape_markdown(analysis.leader)}** drew the most interest on average."
    return text


def _term_section(item: TermAnalysis, analysis: Analysis) -> str:
    lines = [f"## {escape_markdown(item.term)}", ""]
    # Only data that marks its partial period can promise a complete one.
    latest = "Latest complete period" if analysis.partial_last else "Latest period"
    if item.peak_period is not None:
        lines += [
            "| Figure | Value |",
            "| --- | --- |",
            f"| Peak | {_fmt(item.peak_value)} on {item.peak_period} |",
            f"| Average | {_fmt(item.mean)} |",
            f"| {latest} | {_fmt(item.latest_value)} on {item.latest_period} |",
            f"| First quarter average | {_fmt(item.first_quarter_mean)} |",
            f"| Last quarter average | {_fmt(item.last_quarter_mean)} |",
            f"| Change | {_change(item)} |",
            f"| Direction | {item.direction} |",
            "",
        ]
    if item.top_region:
        unit = "index" if analysis.geo else "value"
        lines.append(
            f"Interest is highest in **{escape_markdown(item.top_region)}** "
            f"({unit} {_fmt(item.top_region_value)})."
        )
        lines.append("")
    if item.top_queries:
        labels = ", ".join(escape_markdown(q["label"]) for q in item.top_queries[:5])
        lines.append(f"Top related searches: {labels}.")
        lines.append("")
    if item.rising_queries:
        rising = ", ".join(
            f"{escape_markdown(q['label'])} ({escape_markdown(q['display'])})"
            for q in item.rising_queries[:5]
        )
        lines.append(f"Rising related searches: {rising}.")
        lines.append("")
    if item.breakouts:
        lines.append(
            "Breakouts (growth above 5000 %): "
            + ", ".join(escape_markdown(label) for label in item.breakouts)
            + "."
        )
        lines.append("")
    if len(lines) == 2:
        lines.append("The data holds no figures for this term.")
    return "\n".join(lines).rstrip()


def _comparison(analysis: Analysis) -> str:
    ranked = sorted(
        (item for item in analysis.terms if item.mean is not None),
        key=lambda item: item.mean or 0,
        reverse=True,
    )
    if not ranked:
        return "## Comparison\n\nNo series to compare."
    rows = [
        "## Comparison",
        "",
        "| Term | Average | Peak | Direction |",
        "| --- | --- | --- | --- |",
    ]
    for item in ranked:
        rows.append(
            f"| {escape_markdown(item.term)} | {_fmt(item.mean)} | "
            f"{_fmt(item.peak_value)} ({item.peak_period}) | {describe_direction(item)} |"
        )
    return "\n".join(rows)


def _method(brief: Brief) -> str:
    trends = brief.trends
    partial = (
        "The last period is partial and is left out of the latest value and the change."
        if trends.partial_last
        else describe_partial_period(trends) or "The last period is complete."
    )
    stitching = describe_stitching(trends)
    scale = (
        "the highest point of all the stitched requests"
        if stitching
        else "the highest point of the request"
    )
    figures = (
        "Figures are Google Trends interest values: an index from 0 to 100 "
        f"relative to {scale}; `<1` is counted as 0.5. The change compares the "
        f"average of the first and the last quarter of the range. {partial}"
    )
    paragraphs = [
        "## Method and data source",
        figures,
        f"Source: {escape_markdown(describe_origin(trends))}.",
        f"Query: {escape_markdown(describe_query(trends))}.",
    ]
    if stitching:
        paragraphs.append(escape_markdown(stitching))
    provenance = escape_markdown(trends.provenance or trends.source)
    paragraphs.append(
        f"Provenance: {provenance}. Facts come from the trends data only."
    )
    return "\n\n".join(paragraphs)


def _change(item: TermAnalysis) -> str:
    if item.change_points is None:
        return "n/a"
    sign = "+" if item.change_points >= 0 else ""
    text = f"{sign}{item.change_points} points"
    if item.change_percent is not None:
        text += f" ({sign}{item.change_percent} %)"
    return text


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:g}"


register_writer(WRITER_NAME, lambda options: DataBriefWriter())
