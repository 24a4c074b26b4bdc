"""Pages: made for one request (forms, personal and moderation pages), or shared by many viewers.

A page that every viewer with the same rights sees alike is rendered once for all of them and kept
in a cache until what it is made from (`topics`) changes. Each viewer's CSRF token goes into the
form fields that ask for it only: the page is rendered with a slot in their place (a random string
the server never sends, so no user text can hold it) and kept split at the slots. So is each form's
idempotency key (web/idempotency.py), fresh for every form of every page shown.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Hashable, Iterable
from functools import cache

from litestar import Request, Response

from web.csrf import csrf_token
from web.requests import language_of, viewer_of
from web.responses import HTML, UNREAD_SLOT, Body, shared_response, started_at, unread_badge
from web.templating import Templates

NO_STORE = {"Cache-Control": "no-store"}


def form_key() -> str:
    """A form's idempotency key: new for each form shown."""
    return secrets.token_urlsafe(16)


def _no_form_key() -> str:
    return ""


def templates_of(request: Request) -> Templates:
    return request.app.state.templates


def _address(request: Request) -> str:
    """The page's path and query: where the language switch comes back to."""
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.scope["path"] + (f"?{query}" if query else "")


def page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    """A page made for this request (the language switch comes back to it, query included: a page
    read through a share link stays readable in the other language)."""
    actor = request.scope.get("user")
    html = templates_of(request).render(
        template,
        language_of(request),
        actor=actor,
        signed_in=actor is not None,
        csrf_token=csrf_token(request),
        form_key=form_key,
        request_path=_address(request),
        unread=unread_badge(request.scope.get("unread")),
        **context,
    )
    return Response(html, status_code=status_code, media_type=HTML, headers=NO_STORE)


async def shared_page(
    request: Request,
    template: str,
    topics: Iterable[str],
    load: Callable[[], Awaitable[dict]] | None = None,
    **context: object,
) -> Response:
    """A page that every signed-out visitor sees alike (at an address without a query): made once
    for all of them and kept until one of `topics`, what it is made from, changes. `load` reads what
    the page needs beyond `context`, only when rendering."""
    if request.scope.get("user") is not None or request.scope["query_string"]:
        return page(request, template, **context, **(await load() if load is not None else {}))
    language = language_of(request)

    async def produce() -> Body:
        loaded = await load() if load is not None else {}
        html = templates_of(request).render(
            template,
            language,
            actor=None,
            signed_in=False,
            # Not a password: a page shared by signed-out visitors carries no CSRF token.
            csrf_token="",  # nosec B106
            form_key=_no_form_key,
            request_path=request.scope["path"],
            unread="",
            **context,
            **loaded,
        )
        return Body.of(html, HTML)

    return await shared_response(request, produce, topics=topics, per_viewer=True)


@cache
def _csrf_slot() -> str:
    return f"csrf-slot-{secrets.token_hex(16)}"


@cache
def _form_key_slot() -> str:
    return f"form-key-slot-{secrets.token_hex(16)}"


def _with_form_keys(html: str) -> str:
    """`html` with a fresh key in each form's key slot."""
    first, *rest = html.split(_form_key_slot())
    return first + "".join(form_key() + part for part in rest)


async def page_for_many(
    request: Request,
    key: Hashable,
    template: str,
    topics: Iterable[str],
    load: Callable[[], Awaitable[dict]] | None = None,
    keep_query: bool = False,
    **context: object,
) -> Response:
    """A page that every viewer with the same rights sees alike (`key` names them): rendered once
    for all of them, each getting their own CSRF token. `load` reads what the page needs beyond
    `context`, only when rendering; `keep_query`: the key covers the query, which the language
    switch then keeps."""
    viewer = viewer_of(request)
    slot = _csrf_slot()

    async def produce() -> tuple[str, ...]:
        loaded = await load() if load is not None else {}
        html = templates_of(request).render(
            template,
            viewer.language,
            actor=None,  # nothing personal in such a page: the key says what differs
            signed_in=viewer.signed_in,
            csrf_token=slot,
            form_key=_form_key_slot,
            unread=UNREAD_SLOT,
            request_path=_address(request) if keep_query else request.scope["path"],
            **context,
            **loaded,
        )
        return tuple(html.split(f'value="{slot}"'))

    parts = await request.app.state.reads.get(
        ("page", template, key, viewer), produce, topics=topics, since=started_at(request)
    )
    html = f'value="{csrf_token(request)}"'.join(parts).replace(
        UNREAD_SLOT, unread_badge(request.scope.get("unread"))
    )
    html = _with_form_keys(html)
    return Response(html, media_type=HTML, headers=NO_STORE)
