"""The automatic reading Explore shows beside the charts."""

from __future__ import annotations

import pandas as pd

from generation.analysis import analyse
from generation.reading import NO_SERIES_SENTENCE, summarise_analysis
from generation.trends import samples
from generation.trends.base import TrendsData


def test_reading_states_peak_direction_and_change():
    data = samples.load_sample_bundle(
        ["weight-loss-drugs-us", "ozempic-related-queries"]
    )
    figures = analyse(data).term("ozempic")

    sentences = summarise_analysis(analyse(data))

    # ozempic's highest week in the export is 2024-05-12.
    assert sentences[0] == (
        "ozempic peaked at 100 on 2024-05-12 and is rising: the last quarter of the "
        f"range averaged {figures.last_quarter_mean:g} against "
        f"{figures.first_quarter_mean:g} in the first "
        f"(+{figures.change_points:g} points, +{figures.change_percent:g} %)."
    )
    assert sentences[1].startswith("monjauro peaked at 1 on 2024-12-29 and is stable:")
    assert sentences[1].endswith(", both quarters below 1 point.")
    assert sentences[3].startswith(
        "ozempic drew the most interest on average (41.2, against 15.6 for wegovy"
    )
    assert sentences[-1] == (
        "Breakout searches (growth above 5000 %) related to ozempic: ozempic vulva, "
        "ozempic lawsuit 2025."
    )


def test_reading_names_both_stable_bands():
    data = samples.load_sample_bundle(["conflicts-daily"])

    sentences = summarise_analysis(analyse(data))

    palestine = next(line for line in sentences if line.startswith("palestine"))
    assert "and is stable:" in palestine
    assert palestine.endswith(", within 5 points and 25 %.")


def test_reading_leaves_out_partial_period():
    index = pd.date_range("2024-01-07", periods=8, freq="W", name="date")
    frame = pd.DataFrame(
        {"pizza": [10.0, 10.0, 20.0, 20.0, 40.0, 40.0, 50.0, 5.0]}, index=index
    )
    data = TrendsData(
        terms=["pizza"],
        interest_over_time=frame,
        granularity="weekly",
        partial_last=True,
    )

    sentences = summarise_analysis(analyse(data))

    # Seven complete weeks: quarters of one week each, 10 then 50.
    assert sentences[0] == (
        "pizza peaked at 50 on 2024-02-18 and is rising: the last quarter of the "
        "range averaged 50 against 10 in the first (+40 points, +400 %)."
    )
    assert sentences[1] == (
        "The last week is not over yet, so it is left out of the latest value and "
        "the change."
    )


def test_reading_without_series_says_so():
    data = samples.load_sample("weight-loss-drugs-by-state")

    assert summarise_analysis(analyse(data)) == [NO_SERIES_SENTENCE]


def test_reading_names_four_terms_beside_leader():
    index = pd.date_range("2024-01-07", periods=4, freq="W", name="date")
    terms = [f"term {number}" for number in range(7)]
    frame = pd.DataFrame(
        {term: [100.0 - 10 * number] * 4 for number, term in enumerate(terms)},
        index=index,
    )
    data = TrendsData(terms=terms, interest_over_time=frame, granularity="weekly")

    sentences = summarise_analysis(analyse(data))

    assert sentences[-1] == (
        "term 0 drew the most interest on average (100, against 90 for term 1, "
        "80 for term 2, 70 for term 3, 60 for term 4 and 2 more terms below)."
    )
