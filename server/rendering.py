"""Pages made for one request (forms, personal and moderation pages): never cached."""

from __future__ import annotations

from litestar import Request, Response

from server.auth import actor_of
from server.requests import csrf_token, language_of
from server.templating import render


def page(request: Request, template: str, status_code: int = 200, **context: object) -> Response[str]:
    actor = actor_of(request)
    html = render(
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
