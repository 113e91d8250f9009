"""Chart images for exports: the app's Altair charts rendered to SVG and PNG.

vl-convert renders Vega-Lite in-process (no browser, no network), so an
export works offline. A chart that fails to render is left out with a
warning; the rest of the export goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import vl_convert

from generation.charts import interest_by_region_chart, interest_over_time_chart
from generation.trends.base import TrendsData

logger = logging.getLogger(__name__)

PNG_SCALE: Final = 2  # pixels per chart unit: sharp in a PDF and on a slide
MAX_REGION_CHARTS: Final = 5


@dataclass(frozen=True)
class ChartImage:
    """One chart: a file-name stem, a caption and its rendered images."""

    name: str
    title: str
    svg: str | None = None
    png: bytes | None = None


def render_charts(
    trends: TrendsData, formats: Iterable[str] = ("svg", "png")
) -> list[ChartImage]:
    """Return interest over time and by region for ``trends``, as images."""
    formats = tuple(formats)
    charts = []
    over_time = interest_over_time_chart(trends)
    if over_time is not None:
        charts.append(("interest_over_time", "Interest over time", over_time))
    regions = trends.interest_by_region
    if regions is not None and not regions.empty:
        for number, term in enumerate(list(regions.columns)[:MAX_REGION_CHARTS], 1):
            chart = interest_by_region_chart(trends, term)
            if chart is not None:
                charts.append(
                    (
                        f"interest_by_region_{number}",
                        f"Interest by region: {term}",
                        chart,
                    )
                )
    images = []
    for name, title, chart in charts:
        image = _render(name, title, chart.to_dict(), formats)
        if image is not None:
            images.append(image)
    return images


def _render(
    name: str, title: str, spec: dict, formats: tuple[str, ...]
) -> ChartImage | None:
    try:
        svg = vl_convert.vegalite_to_svg(spec) if "svg" in formats else None
        png = (
            vl_convert.vegalite_to_png(spec, scale=PNG_SCALE)
            if "png" in formats
            else None
        )
    except Exception:  # vl-convert raises plain ValueError/RuntimeError
        logger.warning("Chart %s could not be rendered; left out", name, exc_info=True)
        return None
    return ChartImage(name=name, title=title, svg=svg, png=png)
