"""Real Google Trends exports shipped with the app, so it has data offline.

The CSV files live in ``generation/samples/`` beside ``PROVENANCE.md``, which
names the public repository and commit each file was copied from. Loading a
sample parses the file with the same importer as an upload.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from generation.errors import InvalidRequest, NotFound
from generation.trends.base import TrendsData
from generation.trends.csv_import import merge_trends_data, parse_trends_csv

logger = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"
PROVENANCE_FILE = SAMPLES_DIR / "PROVENANCE.md"


@dataclass(frozen=True)
class Sample:
    """One bundled export: a short name for links and forms, and its file."""

    name: str
    title: str
    description: str
    filename: str


_SAMPLES = (
    Sample(
        name="weight-loss-drugs-us",
        title="Weight-loss drugs in the US, weekly over five years",
        description=(
            "Interest over time for ozempic, monjauro and wegovy in the "
            "United States, weekly from November 2020 to November 2025."
        ),
        filename="trends_multitimeline_weekly_3terms_us_5y.csv",
    ),
    Sample(
        name="weight-loss-drugs-by-state",
        title="Weight-loss drugs by US state",
        description=(
            "Each US state's share of searches for ozempic, monjauro and "
            "wegovy, November 2020 to November 2025."
        ),
        filename="trends_geomap_us_states_3terms_percent_lt1.csv",
    ),
    Sample(
        name="ozempic-related-queries",
        title="Queries related to ozempic in the US",
        description=(
            "Top and rising searches related to ozempic in the United States, "
            "September 2024 to September 2025, with breakouts."
        ),
        filename="trends_relatedqueries_ozempic_us_top_rising.csv",
    ),
    Sample(
        name="conflicts-daily",
        title="Israel, Ukraine, Russia and Palestine, daily worldwide",
        description=(
            "Interest over time for four countries in the news, worldwide, "
            "daily from December 2023 to March 2024."
        ),
        filename="trends_multitimeline_daily_4terms_worldwide_nocategoryline.csv",
    ),
    Sample(
        name="organic-food-berlin",
        title="Organic food and markets in Berlin, weekly",
        description=(
            "Five German searches about organic food, supermarkets and weekly "
            "markets in Berlin, weekly from January 2025 to January 2026."
        ),
        filename="trends_multitimeline_weekly_5terms_berlin_city.csv",
    ),
    Sample(
        name="bitcoin-since-2004",
        title="Bitcoin worldwide since 2004, monthly",
        description=(
            "Monthly interest in Bitcoin worldwide from January 2004 to "
            "October 2023, including the months below 1 before it took off."
        ),
        filename="trends_multitimeline_monthly_1term_worldwide_lt1_values.csv",
    ),
)

# The samples the app loads on first start: one topic set seen over time, by
# state and through its related queries.
DEFAULT_SAMPLE_BUNDLE = (
    "weight-loss-drugs-us",
    "weight-loss-drugs-by-state",
    "ozempic-related-queries",
)


def list_samples() -> list[Sample]:
    """Return the bundled samples in the order the app offers them."""
    return list(_SAMPLES)


def get_sample(name: str) -> Sample:
    """Return the sample called ``name``; raises ``NotFound`` if none is."""
    for sample in _SAMPLES:
        if sample.name == name:
            return sample
    valid = ", ".join(sample.name for sample in _SAMPLES)
    raise NotFound(f"No bundled sample is called '{name}', so choose one of: {valid}.")


def load_sample(name: str) -> TrendsData:
    """Parse the bundled export called ``name``."""
    sample = get_sample(name)
    path = SAMPLES_DIR / sample.filename
    data = parse_trends_csv(path.read_bytes(), sample.filename)
    data.source = "sample"
    data.provenance = sample_provenance(sample.filename)
    data.query = {"samples": [sample.name]}
    return data


def load_sample_bundle(names: list[str] | tuple[str, ...]) -> TrendsData:
    """Load several samples and merge them into one dataset."""
    if not names:
        raise InvalidRequest(
            "No sample was chosen, so pick at least one bundled sample.", "samples"
        )
    return merge_trends_data([load_sample(name) for name in dict.fromkeys(names)])


def sample_provenance(filename: str) -> str:
    """Return where ``filename`` was copied from, read from PROVENANCE.md."""
    for line in PROVENANCE_FILE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] == filename:
            _, repository, path, commit, _, licence = cells
            return (
                f"Google Trends website export {path.strip('`')} from "
                f"{repository} at commit {commit[:12]} (licence: {licence})"
            )
    logger.warning("PROVENANCE.md has no row for the sample %s", filename)
    return f"Bundled Google Trends export {filename}"
