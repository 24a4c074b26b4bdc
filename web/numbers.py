"""Numbers read from text — addresses, queries, forms, settings in JSON strings — strictly and within
bounds.

Python's int(), float() and Fraction() read far more than people write: "1_000", " +7", Arabic-Indic
or full-width digits, "1e3", and "1e999999999", whose Fraction takes minutes and all the memory of
a worker. What this site reads is plain ASCII digits, of a bounded length.
"""

from __future__ import annotations

import re
from fractions import Fraction

from web.failures import InvalidInput
from web.messages import Term

LARGEST_ID = 2_147_483_647  # an integer column's largest value: beyond it, no row can match
DIGITS = re.compile(r"[0-9]{1,10}")
# A share: "a/b", or a decimal ("0.5", ".5", "1"), up to 4 digits in each part (its range is the
# caller's to check).
_FRACTION = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")
_DECIMAL = re.compile(r"[0-9]{0,4}(?:\.[0-9]{1,4})?")


def whole_number(value: str | None, what: Term, field: str) -> int:
    """A positive id typed in (or chosen in) a form."""
    text = (value or "").strip()
    if not DIGITS.fullmatch(text) or not 1 <= int(text) <= LARGEST_ID:
        raise InvalidInput("The %(what)s must be a positive whole number.", field, what=what)
    return int(text)


def parse_share(text: str) -> Fraction:
    """A share such as 1/2, 2/3, 0.5 or 1; ValueError for anything else (never a slow parse)."""
    text = text.strip()
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        return Fraction(int(fraction.group(1)), int(fraction.group(2)))  # ZeroDivisionError: 0 below
    if text and text != "." and _DECIMAL.fullmatch(text):
        return Fraction(text)
    raise ValueError(f"not a share: {text!r}")
