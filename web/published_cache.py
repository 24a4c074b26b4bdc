"""Rendered pages of published releases, answered before any handler runs.

A release never changes once published, so the bytes made from it can be sent again
as they are. Handlers put what they render here; the middleware answers the next
identical GET from memory (with If-None-Match). What depends on which release is
current (home page, 'latest', notices on older releases) is kept `latest_ttl` seconds,
after which one request goes through the handler again and refreshes it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from web.requests import Viewer, read_scope
from web.short_cache import ShortCache

ANY_VIEWER = "*"
REFRESH_TIMEOUT = 5.0  # seconds after which a refresh that never came back is tried again
Key = tuple[bytes, str, str]  # host, path, Viewer.variant (or ANY_VIEWER)


@dataclass(frozen=True)
class Entry:
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes
    expires: float | None  # None: never (a numbered release's JSON or download)


class PublishedCache:
    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, max_entries: int = 4096
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        # Expired entries being rendered again by one request, with when it started.
        self._refreshing: dict[Key, float] = {}

    def store(
        self,
        scope: Scope,
        variant: str,
        body: bytes,
        etag: str,
        headers: dict[str, str],
        immutable: bool,
    ) -> None:
        if scope["method"] != "GET" or scope["query_string"]:
            return
        raw_headers = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
        expires = None if immutable else self.clock() + self.ttl
        key = (_host(scope), scope["path"], variant)
        self._entries[key] = Entry(raw_headers, body, etag.encode(), expires)
        self._refreshing.pop(key, None)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def lookup(self, scope: Scope) -> Entry | None:
        if scope["query_string"]:
            return None  # only addresses without a query are kept (see store)
        host, path = _host(scope), scope["path"]
        key = (host, path, ANY_VIEWER)
        entry = self._entries.get(key)
        if entry is None:
            # Signed in as far as the cookie says: pages only show a link to the account.
            language, session = read_scope(scope)
            key = (host, path, Viewer(language, session is not None).variant)
            entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if entry.expires is not None and entry.expires < now:
            # Expired: one request renders it again while the others still get this copy
            # (without that, every request in flight would query the database at once).
            started = self._refreshing.get(key)
            if started is None or now - started > REFRESH_TIMEOUT:
                self._refreshing[key] = now
                return None
        return entry

    def forget_current(self) -> None:
        """After a publication in this worker: drop whatever depended on the current release."""
        for key in [key for key, entry in self._entries.items() if entry.expires is not None]:
            del self._entries[key]
        self._refreshing.clear()


def published_cache_middleware(cache: PublishedCache) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            entry = cache.lookup(scope) if scope["type"] == "http" and scope["method"] == "GET" else None
            if entry is None:
                await app(scope, receive, send)
                return
            if _not_modified(scope, entry.etag):
                await send({"type": "http.response.start", "status": 304, "headers": entry.headers})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({"type": "http.response.start", "status": 200, "headers": entry.headers})
            await send({"type": "http.response.body", "body": entry.body})

        return middleware

    return factory


def _host(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"host":
            return value
    return b""


def _not_modified(scope: Scope, etag: bytes) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            tags = {tag.strip().removeprefix(b"W/") for tag in value.split(b",")}
            return etag in tags or b"*" in tags
    return False


def forget_after_writes(cache: PublishedCache, *short_caches: ShortCache):
    """A `before_send` hook: any request that may have changed something (not GET or HEAD)
    drops this worker's short-lived pages and data before its answer leaves, so the next page
    is fresh."""

    async def hook(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start" and scope.get("method") not in ("GET", "HEAD", None):
            cache.forget_current()
            for short_cache in short_caches:
                short_cache.clear()

    return hook
