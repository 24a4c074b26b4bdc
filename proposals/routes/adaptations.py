"""Making local adaptations and proposing changes to them (territorial networks). Thin: the pages are
the proposal form's (proposals.routes.proposal_forms) with the adaptation given."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, JSONBody

from indicators.adaptations import get_adaptation
from indicators.serialize import adaptation_json
from proposals.networks import adopt_release, create_local_adaptation
from proposals.routes.api import ProposalBody, Strict, propose
from proposals.routes.authentication import require_actor, signed_in
from proposals.routes.proposal_forms import Filter, preview_form, show_form, submit_form
from web.params import LARGEST_ID, RowId
from web.requests import site_base, strictly


class AdaptationBody(Strict):
    name: str
    base_version: str
    working_group_id: Annotated[int, msgspec.Meta(ge=1, le=LARGEST_ID)]
    department: str | None = None
    region: str | None = None


class BaseBody(Strict):
    version: str


@post(
    "/frameworks/{slug:str}/adaptations",
    guards=[signed_in],
    summary="Create a local adaptation kept by a territorial network (stewards)",
)
async def api_create_adaptation(
    request: Request, slug: FromPath[str], data: JSONBody[AdaptationBody]
) -> Response:
    data = await strictly(request, data)
    view = await create_local_adaptation(
        require_actor(request),
        slug,
        data.name,
        data.base_version,
        data.working_group_id,
        region=data.region,
        department=data.department,
    )
    return Response(adaptation_json(view, site_base(request)), status_code=201)


@post(
    "/adaptations/{adaptation_id:int}/proposals",
    guards=[signed_in],
    summary="Propose to a local adaptation: reword, declare not applicable here (retire) or add locally",
)
async def api_propose_to_adaptation(
    request: Request, adaptation_id: RowId, data: JSONBody[ProposalBody]
) -> Response:
    return await propose(request, data, None, adaptation_id)


@post(
    "/adaptations/{adaptation_id:int}/base",
    guards=[signed_in],
    status_code=200,
    summary="Adopt a later national release (stewards, members of the network)",
)
async def api_adopt_release(
    request: Request, adaptation_id: RowId, data: JSONBody[BaseBody]
) -> dict[str, Any]:
    view = await adopt_release(require_actor(request), adaptation_id, data.version)
    return adaptation_json(view, site_base(request))


@get("/adaptations/{adaptation_id:int}/proposals/new", name="adaptation_proposal_form")
async def adaptation_proposal_form(
    request: Request,
    adaptation_id: RowId,
    kind: Filter = None,
    indicator: Filter = None,
    theme: Filter = None,
) -> Response:
    return await show_form(request, kind, indicator, theme, await get_adaptation(adaptation_id))


@post(
    "/adaptations/{adaptation_id:int}/proposals/preview",
    name="adaptation_proposal_preview",
    guards=[signed_in],
)
async def adaptation_proposal_preview(request: Request, adaptation_id: RowId) -> Response:
    return await preview_form(request, await get_adaptation(adaptation_id))


@post("/adaptations/{adaptation_id:int}/proposals", name="adaptation_proposal_create", guards=[signed_in])
async def adaptation_proposal_create(request: Request, adaptation_id: RowId) -> Response:
    return await submit_form(request, await get_adaptation(adaptation_id))


NETWORK_PAGES: list = [adaptation_proposal_form, adaptation_proposal_preview, adaptation_proposal_create]
NETWORK_API: list = [api_create_adaptation, api_propose_to_adaptation, api_adopt_release]
