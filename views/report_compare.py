"""Two reports on the same topics side by side: figures, inputs and text."""

from __future__ import annotations

import streamlit as st

from generation.analysis import TermAnalysis, describe_direction
from generation.errors import InvalidRequest
from generation.exports import describe_report
from generation.report_actions import compare
from generation.text import escape_markdown, without_remote_images

HISTORY_PAGE = "pages/history.py"


def compare_ids(value: str) -> tuple[int, int]:
    """Return the two report ids of a ``compare=3,7`` URL value."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 2 or not all(part.isdigit() and len(part) < 19 for part in parts):
        raise InvalidRequest(
            f"'{value[:40]}' does not name two reports; the address should end "
            "like ?compare=3,7.",
            field="compare",
        )
    return int(parts[0]), int(parts[1])


def show_comparison(value: str) -> None:
    st.page_link(HISTORY_PAGE, label="All reports", icon=":material/arrow_back:")
    st.title("Compare reports")
    left_id, right_id = compare_ids(value)
    comparison = compare(left_id, right_id)
    left, right = comparison.left, comparison.right

    columns = st.columns(2)
    for column, report in zip(columns, (left, right), strict=True):
        with column:
            st.page_link(
                HISTORY_PAGE,
                label=f"Report {report.id}",
                icon=":material/article:",
                query_params={"report": str(report.id)},
            )
            st.markdown(f"**{escape_markdown(report.title)}**")
            st.caption(escape_markdown(describe_report(report)))

    st.subheader("Figures")
    rows = []
    for item in comparison.terms:
        rows.append(
            {
                "term": item.term,
                f"peak period ({left.id})": _field(item.left, "peak_period"),
                f"peak period ({right.id})": _field(item.right, "peak_period"),
                f"average ({left.id})": _field(item.left, "mean"),
                f"average ({right.id})": _field(item.right, "mean"),
                f"direction ({left.id})": _direction(item.left),
                f"direction ({right.id})": _direction(item.right),
            }
        )
    st.dataframe(rows, hide_index=True, width="stretch")

    st.subheader("Inputs that differ")
    if comparison.input_differences:
        st.dataframe(
            [
                {
                    "input": name,
                    f"report {left.id}": str(a),
                    f"report {right.id}": str(b),
                }
                for name, (a, b) in comparison.input_differences.items()
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("Both reports were started with the same inputs.")

    st.subheader("Text")
    columns = st.columns(2)
    for column, report in zip(columns, (left, right), strict=True):
        with column, st.container(border=True, height=600):
            st.markdown(without_remote_images(report.body))


def _field(item: TermAnalysis | None, name: str) -> str:
    if item is None:
        return "n/a"
    value = getattr(item, name)
    return (
        "n/a"
        if value is None
        else f"{value:g}"
        if isinstance(value, float)
        else str(value)
    )


def _direction(item: TermAnalysis | None) -> str:
    return "n/a" if item is None else describe_direction(item)
