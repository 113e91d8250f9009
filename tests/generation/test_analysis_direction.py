"""A term's direction: rising, falling or stable, in points and in percent."""

from __future__ import annotations

import pytest

from generation.analysis import _direction, analyse
from generation.trends import samples


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (40.0, 60.0, "rising"),
        (60.0, 40.0, "falling"),
        # Under 5 points and under 25 percent.
        (50.0, 53.0, "stable"),
        # A small term that halves moves few points but falls.
        (8.0, 4.0, "falling"),
        (2.0, 4.0, "rising"),
        # From nothing to something is a rise, however small.
        (0.0, 3.0, "rising"),
        # "<1" cells (read as 0.5) and zeros on both sides are noise.
        (0.5, 0.0, "stable"),
        (0.0, 0.7, "stable"),
        # Under 5 points, but 30 percent up.
        (10.0, 13.0, "rising"),
    ],
)
def test_direction_of_quarter_means(first, last, expected) -> None:
    assert _direction(first, last, periods=20) == expected


def test_direction_unknown_for_one_period() -> None:
    assert _direction(10.0, 50.0, periods=1) == "unknown"


def test_directions_of_real_exports() -> None:
    berlin = {
        term.term: term
        for term in analyse(samples.load_sample_bundle(["organic-food-berlin"])).terms
    }
    conflicts = {
        term.term: term
        for term in analyse(samples.load_sample_bundle(["conflicts-daily"])).terms
    }

    # 5.9 to 3.0: under 5 points, but the term nearly halved.
    assert berlin["wochenmarkt berlin"].direction == "falling"
    assert berlin["supermarkt berlin"].direction == "rising"
    assert berlin["bio tomaten"].direction == "stable"
    # 17.7 to 14.4: under 5 points and under 25 percent.
    assert conflicts["palestine"].direction == "stable"
    assert conflicts["israel"].direction == "falling"
