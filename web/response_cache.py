"""The middleware that answers a GET of published content from the response cache, before routing.

It runs after authentication (the composition root orders them), so that it knows the viewer as
handlers do: signed in means a session that is valid, not merely a cookie. Only addresses without
a query are answered here; handlers answer the others (web/responses.py).
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from web.requests import viewer_in
from web.responses import ANY_VIEWER, Stored, response_key


def _not_modified(scope: Scope, etag: bytes) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            tags = {tag.strip().removeprefix(b"W/") for tag in value.split(b",")}
            return etag in tags or b"*" in tags
    return False


def _lookup(scope: Scope) -> Stored | None:
    cache = scope["litestar_app"].state.responses
    entry = cache.lookup(response_key(scope, ANY_VIEWER)) or cache.lookup(
        response_key(scope, viewer_in(scope).variant)
    )
    return entry.value.for_viewer(scope) if entry is not None else None


def response_cache_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # What this request reads is read from now on (web/responses.py started_at).
            scope["generation"] = scope["litestar_app"].state.generations.now()  # type: ignore[typeddict-unknown-key]
        if scope["type"] != "http" or scope["method"] != "GET" or scope["query_string"]:
            await app(scope, receive, send)
            return
        stored = _lookup(scope)
        if stored is None:
            await app(scope, receive, send)
            return
        status = 304 if _not_modified(scope, stored.etag.encode()) else 200
        await send({"type": "http.response.start", "status": status, "headers": list(stored.raw_headers)})
        await send({"type": "http.response.body", "body": b"" if status == 304 else stored.body})

    return middleware
