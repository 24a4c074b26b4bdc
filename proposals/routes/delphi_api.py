"""The Delphi endpoints of the JSON API v1 (contract.md, "Delphi rounds"). Thin: parse, call a use
case, shape (proposals/delphi_report.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, Response, get, post, put
from litestar.params import JSONBody

from proposals.delphi import close_round, next_round, open_process, rate_item
from proposals.delphi_conclusion import conclude_process
from proposals.delphi_reading import get_process, my_ratings, round_progress
from proposals.delphi_report import process_json
from proposals.roles import Role
from proposals.routes.api import Strict
from proposals.routes.authentication import require_actor, signed_in
from proposals.routes.limits import limit
from proposals.serialize import release_ref
from proposals.working_groups import group_voters
from web.failures import Forbidden
from web.params import RowId
from web.requests import site_base, strictly


class ProcessBody(Strict):
    title: str
    proposals: list[int]
    closes_at: datetime
    criteria: list[str] | None = None
    instructions: str = ""


class RatingBody(Strict):
    # Any values: the use case says in its own words what a rating must be.
    ratings: dict[str, Any]
    comment: str | None = None


class NextRoundBody(Strict):
    closes_at: datetime | None = None


async def _process_answer(request: Request, process_id: int) -> dict[str, Any]:
    view = await get_process(process_id)
    actor = require_actor(request)
    progress = await round_progress(view) if actor.role.at_least(Role.steward) else None
    return process_json(view, site_base(request), progress)


@post(
    "/working-groups/{group_id:int}/delphi",
    guards=[signed_in],
    summary="Open a Delphi process on proposals of a working group (stewards)",
)
async def api_open_delphi(request: Request, group_id: RowId, data: JSONBody[ProcessBody]) -> Response:
    data = await strictly(request, data)
    process = await open_process(
        require_actor(request),
        group_id,
        data.title,
        data.proposals,
        data.closes_at,
        data.criteria,
        data.instructions,
    )
    return Response({"id": process, "round": 1}, status_code=201)


@get("/delphi/{process_id:int}", guards=[signed_in], summary="A Delphi process: rounds, figures, outcome")
async def api_get_delphi(request: Request, process_id: RowId) -> dict[str, Any]:
    return await _process_answer(request, process_id)


@put(
    "/delphi/{process_id:int}/ratings/{proposal_id:int}",
    guards=[signed_in],
    summary="Rate an item of the open round (members of the group; again replaces)",
)
async def api_rate(
    request: Request, process_id: RowId, proposal_id: RowId, data: JSONBody[RatingBody]
) -> dict:
    actor = require_actor(request)
    await limit(request, "vote", actor.id)
    data = await strictly(request, data)
    number = await rate_item(actor, process_id, proposal_id, data.ratings, data.comment)
    return {
        "proposal": proposal_id,
        "round": number,
        "ratings": data.ratings,
        "comment": (data.comment or "").strip(),
    }


@get(
    "/delphi/{process_id:int}/my-ratings", guards=[signed_in], summary="The caller's own ratings, all rounds"
)
async def api_my_ratings(request: Request, process_id: RowId) -> list[dict[str, Any]]:
    actor = require_actor(request)
    view = await get_process(process_id)
    mine = await my_ratings(actor.id, process_id)
    if not mine and actor.id not in await group_voters(view.working_group_id):
        raise Forbidden("Only members of the working group rate in its Delphi process.")
    return [
        {"round": m.round, "proposal": m.proposal_id, "ratings": m.ratings, "comment": m.comment}
        for m in mine
    ]


@post(
    "/delphi/{process_id:int}/close-round",
    guards=[signed_in],
    status_code=200,
    summary="Close the open round",
)
async def api_close_round(request: Request, process_id: RowId) -> dict[str, Any]:
    await close_round(require_actor(request), process_id)
    return await _process_answer(request, process_id)


@post(
    "/delphi/{process_id:int}/next-round",
    guards=[signed_in],
    status_code=200,
    summary="Open the next round on the items to re-rate",
)
async def api_next_round(request: Request, process_id: RowId) -> Response:
    body = await request.body()
    closes_at = None
    if body.strip():
        closes_at = (await strictly(request, NextRoundBody())).closes_at
    number = await next_round(require_actor(request), process_id, closes_at)
    return Response({"round": number})


@post(
    "/delphi/{process_id:int}/conclusion",
    guards=[signed_in],
    status_code=200,
    summary="Publish the retained, close the rejected, return the rest to discussion",
)
async def api_conclude(request: Request, process_id: RowId) -> dict[str, Any]:
    conclusion = await conclude_process(require_actor(request), process_id)
    view = await get_process(process_id)
    return {
        "release": release_ref(view.framework, conclusion.release_version, site_base(request)),
        "retained": list(conclusion.retained),
        "rejected": list(conclusion.rejected),
        "returned": list(conclusion.returned),
    }


DELPHI_API = [
    api_open_delphi,
    api_get_delphi,
    api_rate,
    api_my_ratings,
    api_close_round,
    api_next_round,
    api_conclude,
]
