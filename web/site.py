"""Site-wide routes: health check and language switch."""

from __future__ import annotations

from typing import Annotated

from litestar import MediaType, get
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from web.failures import NotFound
from web.i18n import LANGUAGE_COOKIE, LANGUAGES
from web.requests import local_path

ONE_YEAR = 365 * 24 * 3600


@get("/healthz", media_type=MediaType.TEXT, sync_to_thread=False, include_in_schema=False)
def healthz() -> str:
    return "ok"


@get("/language/{code:str}", sync_to_thread=False, include_in_schema=False)
def switch_language(
    code: FromPath[str], target: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None
) -> Redirect:
    if code not in LANGUAGES:
        raise NotFound("The interface is available in French and English, not in %(code)r.", code=code)
    response = Redirect(local_path(target), status_code=303)
    response.set_cookie(LANGUAGE_COOKIE, code, max_age=ONE_YEAR, httponly=True, samesite="lax", secure=False)
    return response
