"""One finished report: its text, the data it was written from, and how."""

from __future__ import annotations

import json

import streamlit as st

from generation.datasets import load_dataset
from generation.errors import UserFacingError
from generation.models import Report
from generation.text import escape_markdown, without_remote_images
from views.trends_view import show_trends


def show_report(report: Report) -> None:
    if report.deleted_at is not None:
        st.warning(
            f"Report {report.id} was deleted on {report.deleted_at:%Y-%m-%d %H:%M} UTC. "
            "Its job history is kept."
        )
        return
    st.caption(_describe(report))
    text, data, inputs = st.tabs(["Report", "Trends data", "Inputs and timings"])
    with text:
        st.markdown(without_remote_images(_without_title(report.body)))
    with data:
        if report.dataset_id is None:
            st.info("This report has no stored trends data.")
        else:
            try:
                show_trends(load_dataset(report.dataset_id), key=f"report-{report.id}")
            except UserFacingError as error:
                st.warning(error.message)
    with inputs:
        st.markdown("**Inputs**")
        st.code(
            json.dumps(report.inputs, indent=2, ensure_ascii=False), language="json"
        )
        st.markdown("**Seconds per stage**")
        st.dataframe(
            [
                {"stage": stage, "seconds": seconds}
                for stage, seconds in report.timings.items()
            ],
            hide_index=True,
        )
        if report.stage_costs:
            st.markdown("**Cost per writing step**")
            st.dataframe(
                [
                    {"step": step, "US dollars": round(cost, 6)}
                    for step, cost in report.stage_costs.items()
                ],
                hide_index=True,
            )


def _without_title(body: str) -> str:
    """Drop the body's first heading when the page already shows the title."""
    first, _, rest = body.partition("\n")
    if first.startswith("# "):
        return rest.lstrip("\n")
    return body


def _describe(report: Report) -> str:
    parts = [
        f"Report {report.id}",
        f"{report.created_at:%Y-%m-%d %H:%M} UTC",
        escape_markdown(report.category),
        f"writer {report.writer} {report.writer_version}".strip(),
    ]
    if report.model:
        parts.append(f"model {report.model}")
    if report.prompt_tokens or report.output_tokens:
        tokens = f"{report.prompt_tokens:,} prompt + {report.output_tokens:,} output"
        if report.thinking_tokens:
            tokens += f" + {report.thinking_tokens:,} thinking"
        parts.append(f"{tokens} tokens")
        # Small reports cost fractions of a cent, which four decimals hide.
        parts.append(
            f"${report.cost_usd:.6f}"
            if report.cost_usd < 0.01
            else f"${report.cost_usd:.4f}"
        )
    if report.sources:
        parts.append(f"{len(report.sources)} web sources")
    parts.append(f"{report.duration_seconds:.1f} s")
    return " · ".join(parts)
