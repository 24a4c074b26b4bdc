"""Answers made once for many requests, served as bytes with an ETag answering If-None-Match.

A page or file of published content is the same for every request of its address and viewer
(language, signed in or not): it is made once per worker and kept in the response cache, from which
the middleware of web/response_cache.py answers the next requests before any handler runs. What it
is made from (`topics`) decides when a write makes it stale; a numbered release never changes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from litestar import Request, Response
from litestar.types import Scope
from markupsafe import Markup

from web.requests import viewer_in

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HTML = "text/html"  # Litestar adds "; charset=utf-8" to every text/* type
JSON = "application/json"
ANY_VIEWER = "*"  # an answer that is the same for every viewer (files, JSON)
PAGE_HEADERS = {"Vary": "Accept-Language, Cookie"}
# Where a page shared by signed-in viewers shows each one's unread count: a random string the server
# never sends (no user text can hold it), filled in for each request.
UNREAD_SLOT = f"unread-slot-{secrets.token_hex(16)}"


def unread_badge(count: int | None) -> Markup:
    """The unread count beside the header's link to notifications (nothing when there is none)."""
    return Markup(' <span class="badge unread">{}</span>').format(count) if count else Markup("")


@dataclass(frozen=True)
class Body:
    content: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, content: str | bytes, media_type: str, etag: str | None = None) -> Body:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return cls(data, media_type, f'"{etag or hashlib.sha256(data).hexdigest()[:32]}"')


@dataclass(frozen=True, slots=True)
class Stored:
    """A whole answer as the response cache keeps it: its headers as sent, and its body. A
    `personal` one holds UNREAD_SLOT, filled in for each viewer (`for_viewer`)."""

    headers: dict[str, str]
    raw_headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    media_type: str
    etag: str
    personal: bool = False

    @classmethod
    def of(cls, body: Body, headers: dict[str, str], personal: bool = False) -> Stored:
        headers = {**headers, "ETag": body.etag}
        everything = {
            **headers,
            "Content-Type": content_type(body.media_type),
            "Content-Length": str(len(body.content)),
        }
        raw = tuple((name.lower().encode(), value.encode()) for name, value in everything.items())
        return cls(headers, raw, body.content, body.media_type, body.etag, personal)

    def for_viewer(self, scope: Scope) -> Stored:
        """The answer as this request's viewer sees it: with their unread count, and an ETag that
        changes with it (a page revalidated after a new notification is sent again)."""
        if not self.personal:
            return self
        count = scope.get("unread")
        body = self.body.replace(UNREAD_SLOT.encode(), unread_badge(count).encode())
        etag = f'{self.etag[:-1]}-{count}"' if count else self.etag
        return Stored.of(Body(body, self.media_type, etag), self.headers)

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(name) + len(value) + 64 for name, value in self.raw_headers)


def content_type(media_type: str) -> str:
    """The Content-Type header Litestar sends for a media type."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def not_modified(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


def response_key(scope: Scope, variant: str) -> tuple[str, str]:
    return (scope["path"], variant)


def started_at(request: Request) -> int:
    """The generation at which the request began (set by the response-cache middleware): what it
    stores was read after it, and is stale if a write came since."""
    return request.scope["generation"]


async def shared_response(
    request: Request,
    produce: Callable[[], Awaitable[Body]],
    *,
    topics: Iterable[str] = (),
    cache_control: str = REVALIDATE,
    headers: dict[str, str] | None = None,
    per_viewer: bool = False,
    personal: bool = False,
) -> Response[bytes]:
    """The answer of this address (its query ignored: published content takes none), made by
    `produce` once for every request of it (and, `per_viewer`, of the same language and signed-in
    state). An immutable answer (IMMUTABLE) is kept for good; another until one of `topics`
    changes. A `personal` one holds UNREAD_SLOT (Stored.for_viewer)."""
    viewer = viewer_in(request.scope)
    variant = viewer.variant if per_viewer else ANY_VIEWER
    all_headers = {"Cache-Control": cache_control, **(headers or {})}
    if per_viewer:
        all_headers.update({**PAGE_HEADERS, "Content-Language": viewer.language})

    async def make() -> Stored:
        body = await produce()
        return Stored.of(body, all_headers, personal)

    immutable = cache_control == IMMUTABLE
    stored = await request.app.state.responses.get(
        response_key(request.scope, variant),
        make,
        topics=() if immutable else topics,
        ttl=None if immutable else request.app.state.responses.ttl,
        size=lambda stored: stored.size,
        since=started_at(request),
    )
    return answer(request, stored.for_viewer(request.scope))


def answer(request: Request, stored: Stored) -> Response[bytes]:
    if not_modified(request.headers.get("if-none-match"), stored.etag):
        return Response(content=b"", status_code=304, headers=stored.headers)
    return Response(content=stored.body, media_type=stored.media_type, headers=stored.headers)
