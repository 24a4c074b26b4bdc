"""Who is asking: a middleware that never rejects (actor or None), and guards for routes.

Browsers are known by a session cookie (HTML pages, with CSRF on every form); programs by
`Authorization: Bearer` (the JSON API, which accepts no cookie, so CSRF cannot reach it).
"""

from __future__ import annotations

import hashlib
from functools import partial

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from proposals.access import actor_for_session, actor_for_token
from proposals.notifications import unread_count
from proposals.roles import Actor
from proposals.topics import account_topic, notifications_topic
from web.failures import NotSignedIn
from web.requests import read_scope

UNREAD_TTL = 5.0  # seconds


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def session_secret(scope: Scope) -> str | None:
    return read_scope(scope)[1]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        actor: Actor | None = None
        if scope["type"] == "http":
            api = is_api(scope["path"])
            secret = _bearer(scope) if api else session_secret(scope)
            if secret:
                # Kept until the account changes: a sign-out, password change, role change or
                # deactivation is announced (account_topic) and heard by every worker.
                lookup = actor_for_token if api else actor_for_session
                key = (
                    "token" if api else "session",
                    hashlib.sha256(secret.encode("utf-8", "replace")).digest(),
                )
                actor = await scope["litestar_app"].state.reads.get(
                    key, lambda: lookup(secret), topics=_actor_topics
                )
            if actor is not None and not api:  # the header of pages shows the unread count
                # Kept a few seconds (new notifications are not announced, one's own reading is).
                scope["unread"] = await scope["litestar_app"].state.reads.get(
                    ("unread", actor.id),
                    partial(unread_count, actor.id),
                    topics=(notifications_topic(actor.id),),
                    ttl=UNREAD_TTL,
                )
        scope["user"] = actor
        await app(scope, receive, send)

    return middleware


def _actor_topics(actor: Actor | None) -> tuple[str, ...]:
    return (account_topic(actor.id),) if actor is not None else ()


def actor_of(request: Request) -> Actor | None:
    return request.scope.get("user")


def signed_in(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Guard: the route needs an account (roles are checked by the use cases themselves)."""
    if connection.scope.get("user") is None:
        raise NotSignedIn("Sign in first: this needs an account.")


def require_actor(request: Request) -> Actor:
    actor = actor_of(request)
    if actor is None:
        raise NotSignedIn("Sign in first: this needs an account.")
    return actor
