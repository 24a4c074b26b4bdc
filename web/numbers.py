"""Numbers read from text — addresses, queries, forms, settings in JSON strings — strictly and within
bounds.

Python's int(), float() and Fraction() read far more than people write: "1_000", " +7", Arabic-Indic
or full-width digits, "1e3", and "1e999999999", whose Fraction takes minutes and all the memory of
a worker. What this site reads is plain ASCII digits, of a bounded length.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated

from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from web.failures import InvalidInput
from web.messages import Term

LARGEST_ID = 2_147_483_647  # an integer column's largest value: beyond it, no row can match
_DIGITS = re.compile(r"[0-9]{1,10}")
# A share: "a/b", or a decimal ("0.5", ".5", "1"), up to 4 digits in each part (its range is the
# caller's to check).
_FRACTION = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")
_DECIMAL = re.compile(r"[0-9]{0,4}(?:\.[0-9]{1,4})?")


def whole_number(value: str | None, what: Term, field: str) -> int:
    """A positive id typed in (or chosen in) a form."""
    text = (value or "").strip()
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= LARGEST_ID:
        raise InvalidInput("The %(what)s must be a positive whole number.", field, what=what)
    return int(text)


# A row's number in an address: never 0, negative or beyond what a column holds.
RowId = Annotated[int, PathParameter(ge=1, le=LARGEST_ID)]
# A page number as sent (?page=2), checked by its pattern: Litestar's int would take "1e3" or "١".
PageText = Annotated[str | None, QueryParameter(name="page", pattern=r"^[1-9][0-9]{0,5}$")]


def read_page(text: str | None) -> int:
    return 1 if text is None else int(text)


def parse_share(text: str) -> Fraction:
    """A share such as 1/2, 2/3, 0.5 or 1; ValueError for anything else (never a slow parse)."""
    text = text.strip()
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        return Fraction(int(fraction.group(1)), int(fraction.group(2)))  # ZeroDivisionError: 0 below
    if text and text != "." and _DECIMAL.fullmatch(text):
        return Fraction(text)
    raise ValueError(f"not a share: {text!r}")


def _odd_number(segment: str) -> bool:
    """A path segment that int() reads as a number but that is not written in plain ASCII digits."""
    if _DIGITS.fullmatch(segment):
        return False
    try:
        int(segment)
    except ValueError:
        return False
    return True


def canonical_numbers_middleware(app: ASGIApp) -> ASGIApp:
    """Addresses whose numbers are not plain digits ("/proposals/١٢", "/proposals/1_2") name nothing:
    Litestar's int path parameters would read them as 12."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(_odd_number(part) for part in scope["path"].split("/")):
            raise NotFoundException()
        await app(scope, receive, send)

    return middleware
