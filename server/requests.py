"""What handlers read off a request."""

from __future__ import annotations

from litestar import Request

from server.i18n import LANGUAGE_COOKIE, negotiate


def language_of(request: Request) -> str:
    return negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def site_base(request: Request) -> str:
    """The site's own address (scheme and host), prefixed to the html_url of API answers."""
    return str(request.base_url).rstrip("/")


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
