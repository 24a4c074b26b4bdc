"""Numbers in addresses and queries, as Litestar reads them: strictly (see web/numbers.py)."""

from __future__ import annotations

from typing import Annotated

from litestar.exceptions import NotFoundException
from litestar.params import PathParameter, QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from web.numbers import DIGITS, LARGEST_ID

# A row's number in an address: never 0, negative or beyond what a column holds.
RowId = Annotated[int, PathParameter(ge=1, le=LARGEST_ID)]
# A page number as sent (?page=2), checked by its pattern: Litestar's int would take "1e3" or "١".
PageText = Annotated[str | None, QueryParameter(name="page", pattern=r"^[1-9][0-9]{0,5}$")]


def read_page(text: str | None) -> int:
    return 1 if text is None else int(text)


def _odd_number(segment: str) -> bool:
    """A path segment that int() reads as a number but that is not written in plain ASCII digits."""
    if DIGITS.fullmatch(segment):
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
