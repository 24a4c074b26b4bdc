"""The page of what a release changes for a programme, indicator by indicator, before it starts its
next assessment."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get
from litestar.params import QueryParameter

from indicators.queries import list_releases
from indicators.versions import LATEST
from programmes.changes import programme_changes
from programmes.membership import get_programme
from programmes.routes.programme_pages import vocabulary
from proposals.routes.authentication import actor_of
from web.forms import sign_in_first
from web.params import RowId
from web.rendering import page
from web.requests import refuse_unknown_query


@get("/programmes/{programme_id:int}/changes", name="programme_changes")
async def changes_page(
    request: Request,
    programme_id: RowId,
    before: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    after: Annotated[str | None, QueryParameter(name="to", max_length=40)] = None,
) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    refuse_unknown_query(request, {"from", "to"})
    programme = await get_programme(actor_of(request), programme_id)
    slug = request.app.state.settings.default_framework
    releases = request.app.state.releases
    framework, _current = await releases.framework(slug)
    changes = await programme_changes(
        actor_of(request), programme_id, slug, releases, before or None, after or LATEST
    )
    return page(
        request,
        "programmes/changes.html",
        programme=programme,
        framework=framework,
        changes=changes,
        releases=await list_releases(framework),
        role=programme.role_of(actor_of(request).id),
        **vocabulary(request),
    )
