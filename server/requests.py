"""What handlers read off a request."""

from __future__ import annotations

from typing import NamedTuple

from litestar import Request
from litestar.utils.scope.state import ScopeState

from server.i18n import LANGUAGE_COOKIE, negotiate


class Viewer(NamedTuple):
    """What a shared page depends on besides its content: the language, and signed in or not."""

    language: str
    signed_in: bool

    @property
    def variant(self) -> str:
        return f"{self.language}|{'in' if self.signed_in else 'out'}"


def language_of(request: Request) -> str:
    return negotiate(request.cookies.get(LANGUAGE_COOKIE), request.headers.get("accept-language"))


def viewer_of(request: Request) -> Viewer:
    return Viewer(language_of(request), request.scope.get("user") is not None)


def site_base(request: Request) -> str:
    """The site's own address (scheme and host), prefixed to the html_url of API answers."""
    return str(request.base_url).rstrip("/")


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def csrf_token(request: Request) -> str:
    """The token a form must send back (Litestar's CSRF middleware set it for this request)."""
    return ScopeState.from_scope(request.scope).csrf_token or ""


async def form_data(request: Request) -> dict[str, str]:
    """A submitted form as plain strings (a repeated field keeps its last value)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}
