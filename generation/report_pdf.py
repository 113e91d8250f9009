"""A report as a PDF: headings, the report text, tables of figures, charts and
citations, typeset with fpdf2.

fpdf2's built-in fonts cover Latin-1 only, so the PDF embeds DejaVu Sans,
shipped in ``generation/fonts`` with its licence. DejaVu has Latin, Greek and
Cyrillic but no Hangul, CJK or emoji: such characters print as U+FFFD (a
replacement mark), so the reader sees that something is missing and the
export never fails on them.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Final

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TextStyle

from generation.exports import (
    FIGURE_COLUMNS,
    describe_provenance,
    describe_report,
    figure_row,
    input_rows,
    render_markdown,
    safe_link,
)
from generation.report_actions import ReportContext
from generation.text import without_remote_images

logger = logging.getLogger(__name__)

FONT_DIR: Final = Path(__file__).resolve().parent / "fonts"
FONT: Final = "DejaVu"
MONO_FONT: Final = "DejaVuMono"
REPLACEMENT: Final = "\ufffd"
MAX_CHART_HEIGHT_MM: Final = 110
GREY: Final = (87, 96, 106)
ACCENT: Final = (31, 35, 40)


class _ReportDocument(FPDF):
    """A4 pages with the report's title and page numbers in the footer."""

    def __init__(self, title: str) -> None:
        super().__init__(format="A4", unit="mm")
        self.footer_title = title
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.add_font(FONT, "I", FONT_DIR / "DejaVuSans-Oblique.ttf")
        # No bold-oblique file is shipped; bold stands in for it.
        self.add_font(FONT, "BI", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.add_font(MONO_FONT, "", FONT_DIR / "DejaVuSansMono.ttf")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.glyphs = frozenset(self.fonts[FONT.lower()].cmap)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 5, f"{self.footer_title[:90]} · page {self.page_no()}/{{nb}}")

    def printable(self, text: str) -> str:
        """Return ``text`` with characters the font lacks replaced by U+FFFD."""
        return "".join(
            char if ord(char) in self.glyphs or char in "\n\t" else REPLACEMENT
            for char in text
        )


def report_pdf(context: ReportContext) -> bytes:
    """Return the report as PDF bytes."""
    report = context.report
    pdf = _ReportDocument(report.title)
    pdf.set_title(pdf.printable(report.title))
    pdf.set_creator("Trend Reports")
    pdf.add_page()
    missing = sum(
        1
        for char in report.title + report.body
        if ord(char) not in pdf.glyphs and char not in "\n\t"
    )
    if missing:
        logger.warning(
            "Report %s: %s characters have no glyph in DejaVu Sans; printed as U+FFFD",
            report.id,
            missing,
        )

    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 8, pdf.printable(report.title), align="L", new_x=XPos.LMARGIN)
    pdf.ln(1)
    _small_print(pdf, describe_report(report))
    pdf.ln(3)

    _body(pdf, report.body)
    if context.analysis is not None and context.analysis.terms:
        _heading(pdf, "Key figures")
        _figures_table(pdf, [figure_row(item) for item in context.analysis.terms])
    _charts(pdf, context)
    if report.sources:
        _heading(pdf, "Sources")
        _sources(pdf, report.sources)
    _heading(pdf, "Inputs")
    _pairs_table(pdf, input_rows(report))
    provenance = describe_provenance(context)
    if provenance:
        pdf.ln(2)
        _small_print(pdf, provenance)
    return bytes(pdf.output())


def _body(pdf: _ReportDocument, body: str) -> None:
    text = without_remote_images(body.strip())
    if text.startswith("# "):
        text = text.partition("\n")[2].lstrip("\n")
    markup = render_markdown(pdf.printable(text))
    start_page, start_y = pdf.page, pdf.get_y()
    try:
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*ACCENT)
        pdf.write_html(
            markup,
            font_family=FONT,
            tag_styles=_tag_styles(),
            table_line_separators=True,
            warn_on_tags_not_matching=False,
        )
    except Exception:  # fpdf2's HTML layout rejects some shapes (odd tables)
        logger.warning(
            "Report text did not lay out as HTML; printed as plain text", exc_info=True
        )
        if pdf.page == start_page:
            pdf.set_y(start_y)
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 5, pdf.printable(text), new_x=XPos.LMARGIN)


def _tag_styles() -> dict[str, FontFace | TextStyle]:
    heading_colour = "#1f2328"
    return {
        "h1": TextStyle(
            font_family=FONT,
            font_style="B",
            font_size_pt=16,
            color=heading_colour,
            t_margin=5,
            b_margin=2,
        ),
        "h2": TextStyle(
            font_family=FONT,
            font_style="B",
            font_size_pt=14,
            color=heading_colour,
            t_margin=5,
            b_margin=2,
        ),
        "h3": TextStyle(
            font_family=FONT,
            font_style="B",
            font_size_pt=12,
            color=heading_colour,
            t_margin=4,
            b_margin=1,
        ),
        "h4": TextStyle(
            font_family=FONT,
            font_style="B",
            font_size_pt=11,
            color=heading_colour,
            t_margin=3,
            b_margin=1,
        ),
        "code": FontFace(family=MONO_FONT),
        "pre": TextStyle(font_family=MONO_FONT, t_margin=3),
        "blockquote": TextStyle(color="#57606a", l_margin=6, t_margin=2, b_margin=2),
    }


def _heading(pdf: _ReportDocument, text: str) -> None:
    # A heading alone at the foot of a page reads as a mistake.
    if pdf.get_y() > pdf.page_break_trigger - 40:
        pdf.add_page()
    else:
        pdf.ln(4)
    pdf.set_font(FONT, "B", 14)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 7, pdf.printable(text), new_x=XPos.LMARGIN)
    pdf.ln(1)


def _small_print(pdf: _ReportDocument, text: str) -> None:
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 4, pdf.printable(text), align="L", new_x=XPos.LMARGIN)
    pdf.set_text_color(*ACCENT)


def _figures_table(pdf: _ReportDocument, rows: list[list[str]]) -> None:
    pdf.set_font(FONT, size=8)
    widths = (22, 21, 11, 17, 30, 35, 38)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        header = table.row()
        for name in FIGURE_COLUMNS:
            header.cell(name)
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(pdf.printable(cell))


def _pairs_table(pdf: _ReportDocument, pairs: list[tuple[str, str]]) -> None:
    if not pairs:
        return
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=(40, 134),
        text_align="LEFT",
        line_height=4.5,
        first_row_as_headings=False,
    ) as table:
        for label, value in pairs:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(pdf.printable(value[:2000]))


def _charts(pdf: _ReportDocument, context: ReportContext) -> None:
    if context.trends is None:
        return
    from generation.report_charts import render_charts

    charts = [
        chart
        for chart in render_charts(context.trends, formats=("png",))
        if chart.png is not None
    ]
    if not charts:
        return
    sizes = [_placed_size(pdf, chart.png) for chart in charts]
    # Keep the heading on the page of the first chart.
    if pdf.get_y() + 16 + sizes[0][1] > pdf.page_break_trigger:
        pdf.add_page()
    _heading(pdf, "Charts")
    for chart, (width, height) in zip(charts, sizes, strict=True):
        if pdf.get_y() + height + 8 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.image(io.BytesIO(chart.png), w=width, h=height)
        pdf.set_y(pdf.get_y() + 1)
        _small_print(pdf, chart.title)
        pdf.ln(3)


def _placed_size(pdf: _ReportDocument, png: bytes) -> tuple[float, float]:
    """Return the width and height in mm a chart gets: page width, height capped."""
    width_px, height_px = _png_size(png)
    width = pdf.epw
    height = width * height_px / width_px
    if height > MAX_CHART_HEIGHT_MM:
        height = MAX_CHART_HEIGHT_MM
        width = height * width_px / height_px
    return width, height


def _png_size(png: bytes) -> tuple[int, int]:
    # Width and height are the first fields of the IHDR chunk, which PNG
    # requires to come first (bytes 16-24).
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _sources(pdf: _ReportDocument, sources: list[dict]) -> None:
    for number, source in enumerate(sources, start=1):
        title = str(source.get("title") or source.get("uri") or "source")
        uri = safe_link(str(source.get("uri") or ""))
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(
            0,
            4.5,
            pdf.printable(f"{number}. {title}"),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if uri:
            pdf.set_font(FONT, size=7.5)
            pdf.set_text_color(9, 105, 218)
            pdf.multi_cell(0, 4, pdf.printable(uri), link=uri, new_x=XPos.LMARGIN)
            pdf.set_text_color(*ACCENT)
        pdf.ln(1)
