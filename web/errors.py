"""Errors as people and programs expect them: JSON with a `detail` under /api, a page elsewhere."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

from asyncpg.exceptions import DataError
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Redirect

from web.failures import DomainError
from web.i18n import translated
from web.messages import Message
from web.rendering import templates_of
from web.requests import MAX_BODY_BYTES, language_of


def error_response(request: Request, status: int, detail: str | Message) -> Response:
    """`detail` in English for the API; a page says a Message in its own language."""
    if request.scope["path"].startswith("/api/"):
        return Response({"status_code": status, "detail": str(detail)}, status_code=status)
    language = language_of(request)
    if isinstance(detail, Message):
        detail = translated(detail, language)
    page = templates_of(request).render(
        "errors/error.html", language, status=status, detail=detail, request_path=request.scope["path"]
    )
    return Response(page, status_code=status, media_type="text/html")


def domain_error(request: Request, exc: DomainError) -> Response:
    if exc.status_code == 401 and not request.scope["path"].startswith("/api/"):
        # A person is sent to sign in, and brought back here afterwards.
        query = request.scope["query_string"].decode("latin-1")
        target = request.scope["path"] + (f"?{query}" if query else "") if request.method == "GET" else "/"
        return Redirect(f"/sign-in?{urlencode({'next': target})}", status_code=303)
    response = error_response(request, exc.status_code, exc.message)
    response.headers.update(exc.headers)
    return response


def _validation_detail(exc: HTTPException) -> str:
    """Litestar's "Validation failed" plus what failed, from the list it keeps in `extra`."""
    problems = [
        f"{item.get('message', '')} ({item['key']})" if item.get("key") else str(item.get("message", ""))
        for item in exc.extra or []
        if isinstance(item, dict)
    ]
    return f"{exc.detail}: {'; '.join(problems)}" if problems else exc.detail


def _too_large(request: Request) -> Message:
    handler = request.scope.get("route_handler")
    limit = (handler.resolve_request_max_body_size() if handler else None) or MAX_BODY_BYTES
    return Message(
        "The request is too large: at most %(bytes)s bytes (%(kib)s KiB) are accepted.",
        bytes=limit,
        kib=limit // 1024,
    )


def _api_detail(request: Request, exc: HTTPException) -> str | Message:
    if isinstance(exc, RequestEntityTooLarge):
        return _too_large(request)
    if isinstance(exc, NotFoundException) and exc.detail in ("", "Not Found"):
        return "There is nothing at this address."
    return _validation_detail(exc) if isinstance(exc.extra, list) else exc.detail


def _as_sent(request: Request, key: str) -> str:
    """A handler's argument as the request names it: `page_number` is sent as `?page=`."""
    handler = request.scope.get("route_handler")
    parameter = handler.parsed_fn_signature.parameters.get(key) if handler else None
    definition = getattr(parameter, "kwarg_definition", None)
    return getattr(definition, "name", None) or getattr(definition, "query", None) or key


def _page_detail(request: Request, exc: HTTPException) -> str | Message:
    """What a page says of an HTTP error, in its own language: Litestar's English (and the type
    names of its validation messages) stay out of it. Empty: the page's title and text say it."""
    if isinstance(exc, RequestEntityTooLarge):
        return _too_large(request)
    if isinstance(exc.extra, list):
        keys = {str(item["key"]) for item in exc.extra if isinstance(item, dict) and item.get("key")}
        names = sorted(_as_sent(request, key) for key in keys)
        if not names:
            return Message("A value in the address or the form is not valid.")
        return Message("A value in the address or the form is not valid: %(names)s.", names=", ".join(names))
    if isinstance(exc, PermissionDeniedException) and "CSRF" in exc.detail:
        return Message(
            "This form has expired or did not come from this site: reload the page and send it again."
        )
    if isinstance(exc, MethodNotAllowedException):
        return Message("This address does not answer this kind of request.")
    return ""


def http_error(request: Request, exc: HTTPException) -> Response:
    api = request.scope["path"].startswith("/api/")
    detail = _api_detail(request, exc) if api else _page_detail(request, exc)
    response = error_response(request, exc.status_code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def unstorable_value(request: Request, exc: DataError) -> Response:
    # PostgreSQL refuses some values outright (a NUL character in text, say): the request's fault.
    return error_response(
        request,
        400,
        Message("The request holds a value the database cannot store (such as a NUL character)."),
    )


BUSY_RETRY_AFTER_SECONDS = 2


def is_database_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked": another writer held the lock longer than the busy timeout."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def database_busy(request: Request, exc: sqlite3.OperationalError) -> Response:
    """A wait past the busy timeout (web/database.py) is refused deliberately, not reported as a bug:
    the transaction that waited was rolled back and the client may try again, as Retry-After says."""
    if not is_database_busy(exc):
        return unexpected_error(request, exc)
    detail = "The database is busy: try again in a moment."
    response = error_response(request, 503, detail if request.scope["path"].startswith("/api/") else "")
    response.headers["Retry-After"] = str(BUSY_RETRY_AFTER_SECONDS)
    return response


def undecodable_body(request: Request, exc: UnicodeDecodeError | RecursionError) -> Response:
    """msgspec, decoding a JSON body, raises UnicodeDecodeError for bytes that are not UTF-8 inside a
    string and RecursionError for arrays or objects nested too deeply (Litestar turns only its
    DecodeError into a 400): the request's fault when it has a body to decode."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return unexpected_error(request, exc)
    if isinstance(exc, RecursionError):
        detail = Message("The request body is nested too deeply to be read.")
    else:
        detail = Message(
            "The request body is not valid UTF-8 text (%(reason)s at byte %(byte)s).",
            reason=exc.reason,
            byte=exc.start,
        )
    return error_response(request, 400, detail)


def number_too_large(request: Request, exc: OverflowError) -> Response:
    # SQLite cannot bind an integer beyond 64 bits: an id typed in an address or a form.
    return error_response(
        request, 400, Message("A number in the request is too large to be the number of anything.")
    )


def unexpected_error(request: Request, exc: Exception) -> Response:
    # Litestar's logging config logs it with its traceback (log_exceptions="always").
    detail = "Something went wrong on our side; it has been logged."
    return error_response(request, 500, detail if request.scope["path"].startswith("/api/") else "")


EXCEPTION_HANDLERS = {
    DomainError: domain_error,
    HTTPException: http_error,
    DataError: unstorable_value,
    UnicodeDecodeError: undecodable_body,
    RecursionError: undecodable_body,
    OverflowError: number_too_large,
    sqlite3.OperationalError: database_busy,
    Exception: unexpected_error,
}
