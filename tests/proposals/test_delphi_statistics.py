"""The RAND/UCLA statistics (proposals/delphi_statistics.py): worked examples and invariants."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proposals.delphi_statistics import Classification, Outcome, classify, figures, outcome, percentile

A = Classification.appropriate
U = Classification.uncertain
I = Classification.inappropriate  # noqa: E741 (the manual's letter)


def test_the_published_example_of_fifteen_ratings():
    found = figures([4, 5, 6, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 9, 9])
    assert (found.median, found.p30, found.p70, found.ipr, found.ipras) == (7, 7, 8, 1, Fraction("6.1"))
    assert (found.disagreement, found.classification) == (False, A)
    assert found.as_dict() == {
        "counts": [0, 0, 0, 1, 1, 1, 5, 5, 2],
        "median": 7,
        "p30": 7,
        "p70": 8,
        "ipr": 1,
        "ipras": 6.1,
        "disagreement": False,
        "classification": "appropriate",
    }


def test_a_panel_split_at_both_ends_disagrees():
    # Nine panellists: the manual's typical disagreement, four at each extreme.
    found = figures([1, 9, 1, 9, 5, 1, 9, 1, 9])
    assert (found.median, found.p30, found.p70, found.ipr, found.ipras) == (5, 1, 9, 8, Fraction("2.35"))
    assert found.disagreement and found.classification is U


def test_an_asymmetric_low_panel_is_inappropriate_without_disagreement():
    found = figures([2, 2, 2, 3, 3, 3, 3, 4, 9])
    # P30 at rank 2.4: 2 + 0.4 x (3 - 2); P70 at rank 5.6: 3. IPRAS = 2.35 + 1.5 x |5 - 2.7|.
    assert (found.median, found.p30, found.p70) == (3, Fraction("2.4"), 3)
    assert (found.ipr, found.ipras) == (Fraction("0.6"), Fraction("5.8"))
    assert not found.disagreement and found.classification is I


def test_even_panels_interpolate_the_median_and_percentiles():
    found = figures([8, 6, 7, 7])
    assert (found.median, found.p30, found.p70) == (7, Fraction("6.9"), Fraction("7.1"))
    assert found.classification is A
    # A median between two classes is neither appropriate nor inappropriate.
    assert figures([6, 6, 7, 7]).median == Fraction("6.5")
    assert figures([6, 6, 7, 7]).classification is U
    assert figures([3, 3, 4, 4]).classification is U


@pytest.mark.parametrize(
    ("median", "disagreement", "expected"),
    [
        (9, False, A),
        (7, False, A),
        (Fraction(13, 2), False, U),
        (4, False, U),
        (3, False, I),
        (1, False, I),
        (8, True, U),
        (2, True, U),
    ],
)
def test_classification_by_median_and_disagreement(median, disagreement, expected):
    assert classify(Fraction(median), disagreement) is expected


@pytest.mark.parametrize(
    ("classes", "expected"),
    [
        ((A, A), Outcome.retained),
        ((A, U), Outcome.re_rate),
        ((A, I), Outcome.rejected),
        ((U, I), Outcome.rejected),
        ((U, U), Outcome.re_rate),
        ((A,), Outcome.retained),
    ],
)
def test_an_item_is_retained_only_when_appropriate_on_every_criterion(classes, expected):
    assert outcome(classes) is expected


def test_ratings_outside_the_scale_are_refused():
    for ratings in ([], [0, 5, 5], [5, 10, 5]):
        with pytest.raises(ValueError):
            figures(ratings)


ratings_lists = st.lists(st.integers(min_value=1, max_value=9), min_size=3, max_size=60)


@given(ratings_lists)
def test_the_figures_hold_together(ratings):
    found = figures(ratings)
    assert sum(found.counts) == len(ratings)
    assert min(ratings) <= found.p30 <= found.median <= found.p70 <= max(ratings)
    assert found.ipr == found.p70 - found.p30 >= 0
    assert found.ipras >= Fraction("2.35")
    assert found.disagreement == (found.ipr > found.ipras)
    assert found.classification is classify(found.median, found.disagreement)


@given(ratings_lists, st.randoms())
def test_the_order_of_the_ratings_does_not_matter(ratings, random):
    shuffled = list(ratings)
    random.shuffle(shuffled)
    assert figures(shuffled) == figures(ratings)


@given(ratings_lists)
def test_the_scale_is_symmetric(ratings):
    # Rating 10 - r mirrors the panel: figures mirror, appropriate and inappropriate swap.
    found, mirrored = figures(ratings), figures([10 - r for r in ratings])
    assert mirrored.median == 10 - found.median
    assert (mirrored.ipr, mirrored.ipras, mirrored.disagreement) == (
        found.ipr,
        found.ipras,
        found.disagreement,
    )
    swap = {A: I, I: A, U: U}
    assert mirrored.classification is swap[found.classification]


@given(st.integers(min_value=1, max_value=9), st.integers(min_value=3, max_value=40))
def test_a_unanimous_panel_agrees_on_its_rating(value, size):
    found = figures([value] * size)
    assert (found.median, found.ipr, found.disagreement) == (value, 0, False)


@given(st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=30))
def test_percentiles_are_within_neighbouring_ranks(ratings):
    ordered = sorted(ratings)
    for p in (Fraction(3, 10), Fraction(1, 2), Fraction(7, 10)):
        rank = (len(ordered) - 1) * p
        assert ordered[int(rank)] <= percentile(ordered, p) <= ordered[min(int(rank) + 1, len(ordered) - 1)]
