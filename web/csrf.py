"""CSRF protection bound to the browser's session: a token only the server can make, for this session.

A form's token is an HMAC, under the site's secret key, of what identifies the browser: its session
cookie when it has one (so the token changes at every sign-in, and an attacker's own cookie and
token pair is worth nothing with a victim's session), else a random cookie of its own (rv_csrf,
for the forms of signed-out visitors: register, sign in). A POST, PUT, PATCH or DELETE of a page
must send the token of its own session back (form field `_csrf_token`, or header X-CSRF-Token);
the JSON API takes no cookie, so CSRF cannot reach it.

The cookie of a signed-out visitor is set only by a page that puts a token in a form: published
pages, health checks and static files set none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from litestar import Request
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from web.requests import SESSION_COOKIE, read_cookie

CSRF_COOKIE = "rv_csrf"
FIELD = "_csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Not pages: the API takes tokens, not cookies; health checks and static files take no form; an
# unsubscribe link carries its own signed token, and mail clients post to it without cookies (RFC 8058).
EXCLUDED = ("/api/", "/healthz", "/static/", "/notifications/unsubscribe/")


def _binding(scope: Scope) -> str | None:
    """What identifies this browser, as its cookies say; None when it has neither cookie."""
    session = read_cookie(scope, SESSION_COOKIE)
    if session:
        return "session:" + hashlib.sha256(session.encode("utf-8", "surrogatepass")).hexdigest()
    own = read_cookie(scope, CSRF_COOKIE)
    return f"browser:{own}" if own else None


def _token(secret: str, binding: str) -> str:
    return hmac.new(
        secret.encode(), f"csrf|{binding}".encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()


def _same(submitted: str, expected: str) -> bool:
    """Compared in constant time, whatever characters were sent."""
    return hmac.compare_digest(submitted.encode("utf-8", "surrogatepass"), expected.encode())


def csrf_token(request: Request) -> str:
    """The token this request's forms carry (a browser without any cookie gets one, set with the
    answer)."""
    scope = request.scope
    binding = _binding(scope)
    if binding is None:
        own = scope.setdefault("csrf_cookie", secrets.token_urlsafe(32))  # type: ignore[typeddict-item]
        binding = f"browser:{own}"
    return _token(request.app.state.settings.secret_key, binding)


async def _submitted(scope: Scope, receive: Receive) -> str | None:
    request: Request = scope["litestar_app"].request_class(scope=scope, receive=receive)
    token = request.headers.get(HEADER)
    if token is None and request.content_type[0] in (
        RequestEncodingType.URL_ENCODED,
        RequestEncodingType.MULTI_PART,
    ):
        value = (await request.form()).get(FIELD)  # the body is kept for the handler to read again
        token = value if isinstance(value, str) else None
    return token


def csrf_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXCLUDED):
            await app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS:
            binding = _binding(scope)
            submitted = await _submitted(scope, receive)
            secret = scope["litestar_app"].state.settings.secret_key
            if binding is None or submitted is None or not _same(submitted, _token(secret, binding)):
                raise PermissionDeniedException("CSRF token verification failed")
        await app(scope, receive, _setting_the_cookie(scope, send))

    return middleware


def _setting_the_cookie(scope: Scope, send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        own = scope.get("csrf_cookie")
        if own is not None and message["type"] == "http.response.start":
            secure = scope["litestar_app"].state.settings.secure_cookies
            cookie = Cookie(
                key=CSRF_COOKIE, value=own, httponly=True, secure=secure, samesite="lax", path="/"
            )
            message["headers"] = [
                *message.get("headers", []),
                (b"set-cookie", cookie.to_header(header="").encode()),
            ]
        await send(message)

    return wrapped
