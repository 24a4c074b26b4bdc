"""The RAND/UCLA appropriateness method's statistics for one item and criterion: a pure function.

Ratings are integers 1-9. Percentiles interpolate linearly between the closest ranks, as Excel's
PERCENTILE.INC and NumPy's default do (rank h = (n - 1) p, counted from 0), which the method's users
compute with. Exact fractions throughout: a range equal to its threshold is not a disagreement, and
floating point must not decide it. Fitch et al., The RAND/UCLA Appropriateness Method User's
Manual (2001), chapter 8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

SCALE = range(1, 10)
# IPRAS = 2.35 + 1.5 x asymmetry, the manual's constants for panels of any size.
IPR_AT_SYMMETRY = Fraction(235, 100)
ASYMMETRY_FACTOR = Fraction(3, 2)


class Classification(StrEnum):
    appropriate = "appropriate"
    uncertain = "uncertain"
    inappropriate = "inappropriate"


class Outcome(StrEnum):
    retained = "retained"  # appropriate on every criterion
    rejected = "rejected"  # inappropriate on one at least
    re_rate = "re_rate"  # otherwise


@dataclass(frozen=True)
class Figures:
    counts: tuple[int, ...]  # how many rated 1, 2, ... 9
    median: Fraction
    p30: Fraction
    p70: Fraction
    ipr: Fraction  # interpercentile range, p70 - p30
    ipras: Fraction  # the range beyond which the panel disagrees
    disagreement: bool
    classification: Classification

    def as_dict(self) -> dict:
        """For JSON: fractions as numbers. They are exact with three decimals: percentiles of whole
        ratings fall on tenths, so IPRAS = 2.35 + 1.5 x (a multiple of 0.05) on thousandths."""
        number = _number
        return {
            "counts": list(self.counts),
            "median": number(self.median),
            "p30": number(self.p30),
            "p70": number(self.p70),
            "ipr": number(self.ipr),
            "ipras": number(self.ipras),
            "disagreement": self.disagreement,
            "classification": str(self.classification),
        }


def _number(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else round(float(value), 3)


def percentile(ordered: Sequence[int], p: Fraction) -> Fraction:
    """The p-th quantile (0 <= p <= 1) of sorted values, interpolated between closest ranks."""
    rank = (len(ordered) - 1) * p
    below = int(rank)  # floor: rank is never negative
    fraction = rank - below
    if fraction == 0:
        return Fraction(ordered[below])
    return ordered[below] + fraction * (ordered[below + 1] - ordered[below])


def figures(ratings: Sequence[int]) -> Figures:
    """The distribution, median, 30th and 70th percentiles and classification of ratings (one at
    least, each 1-9)."""
    if not ratings:
        raise ValueError("no ratings to summarise")
    if any(value not in SCALE for value in ratings):
        raise ValueError("ratings are integers from 1 to 9")
    ordered = sorted(ratings)
    median = percentile(ordered, Fraction(1, 2))
    p30, p70 = percentile(ordered, Fraction(3, 10)), percentile(ordered, Fraction(7, 10))
    ipr = p70 - p30
    ipras = IPR_AT_SYMMETRY + ASYMMETRY_FACTOR * abs(5 - (p30 + p70) / 2)
    disagreement = ipr > ipras
    return Figures(
        counts=tuple(ordered.count(value) for value in SCALE),
        median=median,
        p30=p30,
        p70=p70,
        ipr=ipr,
        ipras=ipras,
        disagreement=disagreement,
        classification=classify(median, disagreement),
    )


def classify(median: Fraction, disagreement: bool) -> Classification:
    """Appropriate with a median in 7-9, inappropriate in 1-3, uncertain between them or when the
    panel disagrees."""
    if disagreement or 3 < median < 7:
        return Classification.uncertain
    return Classification.appropriate if median >= 7 else Classification.inappropriate


def outcome(classifications: Sequence[Classification]) -> Outcome:
    """An item's outcome from its classification on each criterion."""
    if any(c is Classification.inappropriate for c in classifications):
        return Outcome.rejected
    if classifications and all(c is Classification.appropriate for c in classifications):
        return Outcome.retained
    return Outcome.re_rate
