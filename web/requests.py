"""What handlers read off a request."""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import NamedTuple, TypeVar

import msgspec
from litestar import Request
from litestar.types import Scope

from web.failures import InvalidInput
from web.i18n import LANGUAGE_COOKIE, negotiate, translated
from web.messages import Message

SESSION_COOKIE = "rv_session"
# The largest request body read (Litestar's request_max_body_size); larger ones get 413. The largest
# proposal (a 200-character title and five 50,000-character texts) is about 250,000 characters.
MAX_BODY_BYTES = 1024 * 1024


class Viewer(NamedTuple):
    """What a shared page depends on besides its content: the language, and signed in or not."""

    language: str
    signed_in: bool

    @property
    def variant(self) -> str:
        return f"{self.language}|{'in' if self.signed_in else 'out'}"


def read_cookie(scope: Scope, wanted: str) -> str | None:
    """The value of a cookie (the first of that name), None if absent or empty."""
    for name, value in scope["headers"]:
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, found = part.strip().partition("=")
                if key == wanted and found:
                    return found
    return None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return value.decode("latin-1")
    return None


def read_scope(scope: Scope) -> tuple[str, str | None]:
    """The negotiated language, and the session cookie if any, from the raw headers.

    The one reading of these headers, shared by handlers and the response cache so that both
    always agree on which copy of a page a visitor gets.
    """
    language = negotiate(read_cookie(scope, LANGUAGE_COOKIE), _header(scope, b"accept-language"))
    return language, read_cookie(scope, SESSION_COOKIE)


def language_of(request: Request) -> str:
    return read_scope(request.scope)[0]


def said(request: Request, message: Message) -> str:
    """A domain message (an error's, say) in the language of the page answering `request`."""
    return translated(message, language_of(request))


def viewer_in(scope: Scope) -> Viewer:
    """The viewer as every cached answer knows it: signed in means a valid session or token (the
    authentication middleware has put its account in scope["user"]), not merely a cookie."""
    return Viewer(read_scope(scope)[0], scope.get("user") is not None)


def viewer_of(request: Request) -> Viewer:
    return viewer_in(request.scope)


def site_base(request: Request) -> str:
    """The site's public address (REFERENTIEL_BASE_URL), prefixed to every absolute URL: the Host a
    request names never shapes an answer nor a cache entry."""
    return request.app.state.settings.base_url


def client_address(scope: Scope, trusted_proxies: Iterable[IPv4Network | IPv6Network]) -> str:
    """Who is asking, for per-address limits: the peer, unless it is a trusted proxy
    (REFERENTIEL_TRUSTED_PROXIES); then the last address of X-Forwarded-For that is not one, since
    a client can write anything before what the proxies add."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    trusted = list(trusted_proxies)
    if not trusted or not _within(peer, trusted):
        return peer
    forwarded = ",".join(
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    )
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _within(hop, trusted):
            return hop if _is_address(hop) else peer
    return peer


def _is_address(text: str) -> bool:
    try:
        ip_address(text)
    except ValueError:
        return False
    return True


def _within(address: str, networks: list[IPv4Network | IPv6Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def local_path(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a path on this site, else `fallback` (no open redirects).

    Browsers read a backslash as a slash, and remove tabs and line breaks anywhere in a URL: "/\t/evil"
    is "//evil", another site. So a path with a backslash or any control character is refused too.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return fallback
    return target


Body = TypeVar("Body", bound=msgspec.Struct)
_AT = re.compile(r"at `\$\.([A-Za-z_.]+)")


async def strictly(request: Request, data: Body) -> Body:
    """`data` (a JSON body Litestar decoded) decoded again, strictly.

    Litestar converts bodies leniently ("1" becomes 1, "true" or 1 becomes True, 4.0 becomes 4): a
    handler whose body has numbers or booleans calls this so that a value of the wrong type is
    refused (400, naming the field) as the contract says, rather than guessed at.
    """
    try:
        return msgspec.json.decode(await request.body(), type=type(data), strict=True)
    except msgspec.ValidationError as error:
        field = _AT.search(str(error))
        raise InvalidInput(
            "Validation failed: %(problem)s", field.group(1) if field else None, problem=str(error)
        ) from None
    except msgspec.DecodeError as error:  # a body the handler did not declare, so Litestar let it be
        raise InvalidInput("The request body is not valid JSON: %(problem)s", problem=str(error)) from None


def refuse_unknown_query(request: Request, known: set[str]) -> None:
    """InvalidInput for a query parameter the endpoint does not take, or one given twice."""
    keys = list(request.query_params.keys())
    unknown = sorted({key for key in keys if key not in known})
    if unknown:
        values = {"unknown": ", ".join(unknown), "known": ", ".join(sorted(known))}
        if len(unknown) == 1:
            raise InvalidInput(
                "Unknown query parameter: %(unknown)s. This address takes %(known)s.", unknown[0], **values
            )
        raise InvalidInput(
            "Unknown query parameters: %(unknown)s. This address takes %(known)s.", unknown[0], **values
        )
    repeated = sorted({key for key in keys if len(request.query_params.getall(key)) > 1})
    if repeated:
        raise InvalidInput(
            "The query parameter %(name)s is given more than once: give it once.",
            repeated[0],
            name=repeated[0],
        )
