"""Errors as people and programs expect them: JSON with a `detail` under /api, a page elsewhere."""

from __future__ import annotations

from urllib.parse import urlencode

from asyncpg.exceptions import DataError
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect

from indicators.errors import Conflict, FrameworkError, InvalidInput, NotFound
from proposals.errors import Forbidden, NotSignedIn, TooManyAttempts
from server.requests import language_of
from server.templating import render

STATUS_OF: dict[type[FrameworkError], int] = {
    NotFound: 404,
    InvalidInput: 400,
    Conflict: 409,
    NotSignedIn: 401,
    Forbidden: 403,
    TooManyAttempts: 429,
}


def error_response(request: Request, status: int, detail: str) -> Response:
    if request.scope["path"].startswith("/api/"):
        return Response({"status_code": status, "detail": detail}, status_code=status)
    language = language_of(request)
    page = render(
        "errors/error.html", language, status=status, detail=detail, request_path=request.scope["path"]
    )
    return Response(page, status_code=status, media_type="text/html")


def domain_error(request: Request, exc: FrameworkError) -> Response:
    if isinstance(exc, NotSignedIn) and not request.scope["path"].startswith("/api/"):
        # A person is sent to sign in, and brought back here afterwards.
        query = request.scope["query_string"].decode("latin-1")
        target = request.scope["path"] + (f"?{query}" if query else "") if request.method == "GET" else "/"
        return Redirect(f"/sign-in?{urlencode({'next': target})}", status_code=303)
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 400)
    response = error_response(request, status, str(exc))
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _validation_detail(exc: HTTPException) -> str:
    """Litestar's "Validation failed" plus what failed, from the list it keeps in `extra`."""
    problems = [
        f"{item.get('message', '')} ({item['key']})" if item.get("key") else str(item.get("message", ""))
        for item in exc.extra or []
        if isinstance(item, dict)
    ]
    return f"{exc.detail}: {'; '.join(problems)}" if problems else exc.detail


def http_error(request: Request, exc: HTTPException) -> Response:
    detail = _validation_detail(exc) if isinstance(exc.extra, list) else exc.detail
    if isinstance(exc, NotFoundException) and detail in ("", "Not Found"):
        # The page translates its own default message; the API speaks English.
        detail = "There is nothing at this address." if request.scope["path"].startswith("/api/") else ""
    response = error_response(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def unstorable_value(request: Request, exc: DataError) -> Response:
    # PostgreSQL refuses some values outright (a NUL character in text, say): the request's fault.
    return error_response(
        request, 400, "The request holds a value the database cannot store (such as a NUL character)."
    )


def unexpected_error(request: Request, exc: Exception) -> Response:
    # Litestar's logging config logs it with its traceback (log_exceptions="always").
    detail = "Something went wrong on our side; it has been logged."
    return error_response(request, 500, detail if request.scope["path"].startswith("/api/") else "")


EXCEPTION_HANDLERS = {
    FrameworkError: domain_error,
    HTTPException: http_error,
    DataError: unstorable_value,
    Exception: unexpected_error,
}
