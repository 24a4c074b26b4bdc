"""What handlers read off a request."""

from __future__ import annotations

import re
from typing import NamedTuple

from litestar import Request
from litestar.types import Scope
from litestar.utils.scope.state import ScopeState

from server.i18n import LANGUAGE_COOKIE, negotiate

SESSION_COOKIE = "rv_session"


class Viewer(NamedTuple):
    """What a shared page depends on besides its content: the language, and signed in or not."""

    language: str
    signed_in: bool

    @property
    def variant(self) -> str:
        return f"{self.language}|{'in' if self.signed_in else 'out'}"


def read_scope(scope: Scope) -> tuple[str, str | None]:
    """The negotiated language, and the session cookie if any, from the raw headers.

    The one reading of these headers, shared by handlers and the published-page cache so that
    both always agree on which copy of a page a visitor gets.
    """
    language_cookie = accept = session = None
    for name, value in scope["headers"]:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, val = part.strip().partition("=")
                if key == LANGUAGE_COOKIE:
                    language_cookie = val
                elif key == SESSION_COOKIE and val:
                    session = val
        elif name == b"accept-language" and accept is None:
            accept = value.decode("latin-1")
    return negotiate(language_cookie, accept), session


def language_of(request: Request) -> str:
    return read_scope(request.scope)[0]


def viewer_of(request: Request) -> Viewer:
    return Viewer(language_of(request), request.scope.get("user") is not None)


_HOST = re.compile(
    r"(?:[A-Za-z0-9-]{1,63}\.)*[A-Za-z0-9-]{1,63}(?::[0-9]{1,5})?"  # name[:port]
    r"|\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?"  # [IPv6][:port]
)


def site_base(request: Request) -> str:
    """The site's own address (scheme and host), prefixed to the html_url of API answers.

    A Host header that is not a host name (or whose port is out of range) gives 'localhost'
    rather than an error.
    """
    host = request.headers.get("host", "")
    port = host.rpartition(":")[2] if host.count(":") == 1 else ""
    if not _HOST.fullmatch(host) or (port.isdigit() and int(port) > 65535):
        host = "localhost"
    return f"{request.scope['scheme']}://{host}"


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
