"""Rendered-once bodies and conditional responses.

Published releases never change, so what is made of them (pages, JSON, exports) is
rendered once per worker and served as bytes, with an ETag answering If-None-Match.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from litestar import Request, Response

from web.published_cache import ANY_VIEWER

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
HTML = "text/html"  # Litestar adds "; charset=utf-8" to every text/* type
JSON = "application/json"


@dataclass(frozen=True)
class Body:
    content: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, content: str | bytes, media_type: str, etag: str | None = None) -> Body:
        data = content.encode("utf-8") if isinstance(content, str) else content
        return cls(data, media_type, f'"{etag or hashlib.sha256(data).hexdigest()[:32]}"')


class BodyCache:
    """A bounded cache of rendered bodies (least recently used go first)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._bodies: OrderedDict[Hashable, Body] = OrderedDict()

    async def get(self, key: Hashable, produce: Callable[[], Awaitable[Body]]) -> Body:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
            return body
        body = await produce()
        self._bodies[key] = body
        if len(self._bodies) > self.max_entries:
            self._bodies.popitem(last=False)
        return body


def content_type(media_type: str) -> str:
    """The Content-Type header Litestar sends for a media type."""
    return f"{media_type}; charset=utf-8" if media_type.startswith("text/") else media_type


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag in candidates or "*" in candidates


def respond(
    request: Request,
    body: Body,
    cache_control: str,
    headers: dict[str, str] | None = None,
    variant: str = ANY_VIEWER,
) -> Response[bytes]:
    """A response for published content; also kept for the middleware to answer next time."""
    all_headers = {"ETag": body.etag, "Cache-Control": cache_control, **(headers or {})}
    request.app.state.published.store(
        request.scope,
        variant,
        body.content,
        body.etag,
        {
            "Content-Type": content_type(body.media_type),
            "Content-Length": str(len(body.content)),
            **all_headers,
        },
        immutable=cache_control == IMMUTABLE,
    )
    if _matches(request.headers.get("if-none-match"), body.etag):
        return Response(content=b"", status_code=304, headers=all_headers)
    return Response(content=body.content, media_type=body.media_type, headers=all_headers)
