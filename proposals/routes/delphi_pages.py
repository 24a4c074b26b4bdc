"""Delphi pages: the processes, opening one (stewards), rating (members), closing rounds, concluding,
and the report (page, CSV, JSON). Forms post and redirect; a refused form shows the page again with
the reason beside it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from proposals.delphi import COMMENT_MAX, DEFAULT_CRITERIA, next_round, open_process, rate_item
from proposals.delphi import close_round as close_open_round
from proposals.delphi_conclusion import conclude_process
from proposals.delphi_reading import (
    get_process,
    list_processes,
    my_ratings,
    panel_comments,
    proposals_to_rate,
    round_progress,
)
from proposals.delphi_report import delphi_path, process_json, report_csv
from proposals.roles import Role
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.routes.limits import limit
from proposals.routes.steward_pages import steward
from proposals.working_groups import get_working_group, group_voters
from web.failures import DomainError, InvalidInput
from web.forms import problem, sign_in_first, submitted
from web.numbers import DIGITS
from web.rendering import page
from web.requests import site_base


def _closing(value: str) -> datetime:
    """A closing time from a form's date and time field (UTC, as the pages say)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "Give the closing time as a date and a time, e.g. 2027-01-31 18:00.", "closes_at"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- the list and the opening form ------------------------------------------------------------


@get("/delphi", name="delphi_list")
async def delphi_list(request: Request) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return page(request, "proposals/delphi_list.html", processes=await list_processes())


async def _new_page(
    request: Request, group_id: int, status: int = 200, trouble=None, values=None
) -> Response:
    group = await get_working_group(group_id)
    return page(
        request,
        "proposals/delphi_new.html",
        status,
        group=group,
        candidates=await proposals_to_rate(group.id),
        panel=len(await group_voters(group.id)),
        criteria=DEFAULT_CRITERIA,
        problem=trouble,
        values=values or {"criteria": list(DEFAULT_CRITERIA), "proposals": []},
    )


@get("/working-groups/{group_id:int}/delphi/new", name="delphi_form")
async def delphi_form(request: Request, group_id: FromPath[int]) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    steward(request)
    return await _new_page(request, group_id)


@post("/working-groups/{group_id:int}/delphi", name="delphi_create", guards=[signed_in])
async def delphi_create(request: Request, group_id: FromPath[int]) -> Response:
    actor = steward(request)
    form = await request.form()
    chosen = [v for v in form.getall("proposals") if isinstance(v, str)] if "proposals" in form else []
    criteria = [v for v in form.getall("criteria") if isinstance(v, str)] if "criteria" in form else []
    values = await submitted(request)
    values.update(proposals=chosen, criteria=criteria)
    try:
        if not all(DIGITS.fullmatch(v) for v in chosen):
            raise InvalidInput("Choose proposals from the list.", "proposals")
        process = await open_process(
            actor,
            group_id,
            values.get("title", ""),
            [int(v) for v in chosen],
            _closing(values.get("closes_at", "")),
            criteria,
            values.get("instructions", ""),
        )
    except DomainError as error:
        trouble = problem(request, "delphi", error)
        return await _new_page(request, group_id, error.status_code, trouble, values)
    return Redirect(delphi_path(process), status_code=303)


# --- the process ------------------------------------------------------------------------------


async def _process_page(
    request: Request, process_id: int, status: int = 200, trouble=None, values=None
) -> Response:
    actor = require_actor(request)
    view = await get_process(process_id)
    is_steward = actor.role.at_least(Role.steward)
    current = view.open_round
    previous = None
    if current is not None and current.number > 1:
        previous = view.rounds[current.number - 2]
    return page(
        request,
        "proposals/delphi.html",
        status,
        process=view,
        current=current,
        previous={item.proposal_id: item for item in previous.items} if previous else {},
        comments=await panel_comments(process_id, previous.number) if previous else {},
        is_steward=is_steward,
        is_member=actor.id in await group_voters(view.working_group_id),
        progress=await round_progress(view) if is_steward else None,
        mine={(m.round, m.proposal_id): m for m in await my_ratings(actor.id, process_id)},
        comment_max=COMMENT_MAX,
        problem=trouble,
        values=values or {},
    )


@get("/delphi/{process_id:int}", name="delphi")
async def delphi_page(request: Request, process_id: FromPath[int]) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return await _process_page(request, process_id)


@post("/delphi/{process_id:int}/ratings/{proposal_id:int}", name="delphi_rate", guards=[signed_in])
async def delphi_rate(request: Request, process_id: FromPath[int], proposal_id: FromPath[int]) -> Response:
    actor = require_actor(request)
    await limit(request, "vote", actor.id)
    values = await submitted(request)
    form = f"item-{proposal_id}"
    try:
        view = await get_process(process_id)
        ratings = {}
        for criterion in view.criteria:
            given = values.get(f"rating-{criterion}", "")
            if given:
                if not (len(given) == 1 and DIGITS.fullmatch(given)):
                    raise InvalidInput(
                        "Choose a rating from 1 to 9 for %(criterion)s.", "ratings", criterion=criterion
                    )
                ratings[criterion] = int(given)
        await rate_item(actor, process_id, proposal_id, ratings, values.get("comment", ""))
    except DomainError as error:
        return await _process_page(
            request, process_id, error.status_code, problem(request, form, error), {form: values}
        )
    return Redirect(f"{delphi_path(process_id)}?saved={proposal_id}#{form}", status_code=303)


async def _steward_action(request: Request, process_id: int, form: str, action) -> Response:
    actor = steward(request)
    try:
        await action(actor, process_id)
    except DomainError as error:
        return await _process_page(request, process_id, error.status_code, problem(request, form, error))
    return Redirect(f"{delphi_path(process_id)}#rounds", status_code=303)


@post("/delphi/{process_id:int}/close-round", name="delphi_close_round", guards=[signed_in])
async def delphi_close_round(request: Request, process_id: FromPath[int]) -> Response:
    return await _steward_action(request, process_id, "close-round", close_open_round)


@post("/delphi/{process_id:int}/next-round", name="delphi_next_round", guards=[signed_in])
async def delphi_next_round(request: Request, process_id: FromPath[int]) -> Response:
    return await _steward_action(request, process_id, "next-round", next_round)


@post("/delphi/{process_id:int}/conclusion", name="delphi_conclusion", guards=[signed_in])
async def delphi_conclusion(request: Request, process_id: FromPath[int]) -> Response:
    return await _steward_action(request, process_id, "conclusion", conclude_process)


# --- the report ---------------------------------------------------------------------------------


async def _readable(request: Request, process_id: int):
    """The process, for anyone once concluded (its report is published with its release), else for
    those signed in; None when the reader must sign in first."""
    view = await get_process(process_id)
    if view.concluded_at is None and actor_of(request) is None:
        return None
    return view


@get("/delphi/{process_id:int}/report", name="delphi_report")
async def delphi_report(request: Request, process_id: FromPath[int]) -> Response:
    view = await _readable(request, process_id)
    if view is None:
        return sign_in_first(request)
    return page(request, "proposals/delphi_report.html", process=view)


@get("/delphi/{process_id:int}/report.csv", name="delphi_report_csv")
async def delphi_report_csv(request: Request, process_id: FromPath[int]) -> Response:
    view = await _readable(request, process_id)
    if view is None:
        return sign_in_first(request)
    name = f"delphi-{process_id}.csv"
    return Response(
        report_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get("/delphi/{process_id:int}/report.json", name="delphi_report_json")
async def delphi_report_json(request: Request, process_id: FromPath[int]) -> Response:
    view = await _readable(request, process_id)
    if view is None:
        return sign_in_first(request)
    body = json.dumps(process_json(view, site_base(request)), ensure_ascii=False, indent=2) + "\n"
    return Response(body, media_type="application/json")


DELPHI_PAGES = [
    delphi_list,
    delphi_form,
    delphi_create,
    delphi_page,
    delphi_rate,
    delphi_close_round,
    delphi_next_round,
    delphi_conclusion,
    delphi_report,
    delphi_report_csv,
    delphi_report_json,
]
