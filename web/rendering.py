"""Pages made for one request (forms, personal and moderation pages), and shared ones."""

from __future__ import annotations

from collections.abc import Hashable

from litestar import Request, Response

from web.requests import csrf_token, language_of, viewer_of
from web.responses import HTML, REVALIDATE, Body, respond
from web.templating import Templates


def templates_of(request: Request) -> Templates:
    return request.app.state.templates


def page(
    request: Request, template: str, status_code: int = 200, shared: bool = False, **context: object
) -> Response:
    """A page for this request. `shared`: what a signed-out visitor sees is the same for all of
    them, so it is kept for the next ones like a published page (for latest_ttl seconds)."""
    actor = request.scope.get("user")
    if shared and actor is None and status_code == 200:
        viewer = viewer_of(request)
        html = templates_of(request).render(
            template,
            viewer.language,
            actor=None,
            signed_in=False,
            # Not a password: a page shared by signed-out visitors carries no CSRF token.
            csrf_token="",  # nosec B106
            request_path=request.scope["path"],
            **context,
        )
        headers = {"Vary": "Accept-Language, Cookie", "Content-Language": viewer.language}
        return respond(request, Body.of(html, HTML), REVALIDATE, headers, viewer.variant)
    html = templates_of(request).render(
        template,
        language_of(request),
        actor=actor,
        signed_in=actor is not None,
        csrf_token=csrf_token(request),
        request_path=request.scope["path"],
        **context,
    )
    return Response(
        html, status_code=status_code, media_type="text/html", headers={"Cache-Control": "no-store"}
    )


# Stands for the viewer's CSRF token in a page rendered once for many viewers.
CSRF_PLACEHOLDER = "@@csrf-token@@"


async def page_for_many(request: Request, key: Hashable, template: str, **context: object) -> Response:
    """A signed-in page that every viewer with the same rights sees alike (`key` names them):
    rendered once for all of them (short cache), each getting their own CSRF token."""
    viewer = viewer_of(request)

    async def produce() -> str:
        return templates_of(request).render(
            template,
            viewer.language,
            actor=None,  # nothing personal in such a page: the key says what differs
            signed_in=viewer.signed_in,
            csrf_token=CSRF_PLACEHOLDER,
            request_path=request.scope["path"],
            **context,
        )

    html = await request.app.state.short.get(("page", template, key, viewer), produce)
    return Response(
        html.replace(CSRF_PLACEHOLDER, csrf_token(request)),
        media_type="text/html",
        headers={"Cache-Control": "no-store"},
    )
