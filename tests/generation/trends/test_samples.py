"""The real exports bundled with the app."""

from __future__ import annotations

import pandas as pd
import pytest

from generation.errors import InvalidRequest, NotFound, TrendsFileError
from generation.trends.base import LESS_THAN_ONE
from generation.trends.samples import (
    DEFAULT_SAMPLE_BUNDLE,
    PROVENANCE_FILE,
    SAMPLES_DIR,
    list_samples,
    load_sample,
    load_sample_bundle,
)


def test_list_samples_names_and_files():
    samples = list_samples()

    assert [sample.name for sample in samples] == [
        "weight-loss-drugs-us",
        "weight-loss-drugs-by-state",
        "ozempic-related-queries",
        "conflicts-daily",
        "organic-food-berlin",
        "bitcoin-since-2004",
    ]
    for sample in samples:
        assert (SAMPLES_DIR / sample.filename).is_file()
        assert sample.title
        assert sample.description.endswith(".")


def test_every_bundled_file_has_provenance():
    provenance = PROVENANCE_FILE.read_text(encoding="utf-8")
    bundled = sorted(path.name for path in SAMPLES_DIR.glob("*.csv"))

    assert bundled == sorted(sample.filename for sample in list_samples())
    for filename in bundled:
        assert f"| {filename} | https://github.com/" in provenance


@pytest.mark.parametrize("sample", list_samples(), ids=lambda sample: sample.name)
def test_every_sample_loads(sample):
    data = load_sample(sample.name)

    assert data.source == "sample"
    assert data.query == {"samples": [sample.name]}
    assert data.provenance.startswith("Google Trends website export ")
    assert " from https://github.com/" in data.provenance
    assert "at commit " in data.provenance
    assert (
        data.interest_over_time is not None
        or data.interest_by_region is not None
        or data.related
    )


def test_sample_values_and_provenance():
    data = load_sample("weight-loss-drugs-us")

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.granularity == "weekly"
    assert (
        data.interest_over_time.loc[pd.Timestamp("2025-11-23"), "monjauro"]
        == LESS_THAN_ONE
    )
    assert data.provenance == (
        "Google Trends website export data/multiTimeline-6.csv from "
        "https://github.com/remisublette/GLP1-trends at commit dca501c34f99 "
        "(licence: none visible)"
    )


def test_unknown_sample_lists_valid_names():
    with pytest.raises(NotFound) as caught:
        load_sample("pizza")

    message = caught.value.message
    assert message.startswith("No bundled sample is called 'pizza', so choose one of: ")
    for sample in list_samples():
        assert sample.name in message


def test_default_bundle_merges_series_regions_and_related():
    data = load_sample_bundle(DEFAULT_SAMPLE_BUNDLE)

    assert data.source == "sample"
    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.granularity == "weekly"
    assert data.interest_by_region.loc["West Virginia", "ozempic"] == 74
    assert data.related_for("ozempic").rising[1].label == "ozempic lawsuit 2025"
    assert data.query == {"samples": list(DEFAULT_SAMPLE_BUNDLE)}
    assert data.provenance.count("https://github.com/remisublette/GLP1-trends") == 3


def test_bundle_ignores_repeated_names():
    data = load_sample_bundle(["bitcoin-since-2004", "bitcoin-since-2004"])

    assert data.terms == ["Bitcoin"]
    assert data.query == {"samples": ["bitcoin-since-2004"]}


def test_bundle_of_mixed_granularity_is_rejected():
    with pytest.raises(TrendsFileError) as caught:
        load_sample_bundle(["weight-loss-drugs-us", "conflicts-daily"])

    assert "(weekly and daily)" in caught.value.message


def test_empty_bundle():
    with pytest.raises(InvalidRequest) as caught:
        load_sample_bundle([])

    assert caught.value.field == "samples"
    assert (
        caught.value.message
        == "No sample was chosen, so pick at least one bundled sample."
    )


def test_bundle_with_unknown_name():
    with pytest.raises(NotFound):
        load_sample_bundle(["weight-loss-drugs-us", "nope"])
