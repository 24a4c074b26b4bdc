"""The programmes' endpoints of the JSON API v1 (contract.md). Thin: parse, call a use case, shape."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from indicators.versions import LATEST
from programmes.answers import AnswerInput, save_answer
from programmes.assessments import list_assessments, read_assessment, start_assessment
from programmes.changes import programme_changes
from programmes.field import territory_kind
from programmes.membership import create_programme, get_programme, remove_member, set_member
from programmes.plan import add_action, update_action
from programmes.routes.field import cached_field_figures
from programmes.serialize import (
    action_json,
    answer_json,
    assessment_json,
    changes_json,
    field_json,
    moment,
    programme_json,
)
from programmes.sharing import create_share_link, revoke_share_link
from programmes.submission import start_successor, submit_assessment
from programmes.urls import assessment_path
from proposals.roles import Role
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.routes.limits import limit
from web.failures import NotFound
from web.params import RowId
from web.requests import refuse_unknown_query, site_base, strictly

PRIVATE = {"Cache-Control": "private, no-store"}


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Request bodies refuse fields a client may not set."""


class ProgrammeBody(Strict):
    name: str
    department: str
    territory_kinds: list[str] = []


class MemberBody(Strict):
    role: str


class AssessmentBody(Strict):
    framework: str
    release: str = LATEST
    adaptation: int | None = None  # a territory's adaptation of the release, to assess against


class AnswerBody(Strict):
    level: str
    justification: str | None = None
    evidence: str | None = None
    links: list[str] | None = None
    version: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None = None


class SuccessorBody(Strict):
    release: str = LATEST


class ShareBody(Strict):
    expires_in_days: int = 30


class ActionBody(Strict):
    indicator: str
    title: str
    owner: str | None = None
    due_on: str | None = None


class ActionChangeBody(Strict, omit_defaults=True):
    status: Literal["planned", "doing", "done"] | None = None
    title: str | None = None
    owner: str | None = None
    due_on: str | None = None


def private(content: Any, status_code: int = 200) -> Response:
    """Programmes' data is for their members: never kept by a shared cache."""
    return Response(content, status_code=status_code, headers=PRIVATE)


async def _programme(request: Request, programme_id: int) -> dict[str, Any]:
    view = await get_programme(actor_of(request), programme_id)
    return programme_json(view, await list_assessments(programme_id), site_base(request))


@post("/programmes", guards=[signed_in], summary="Create a programme (its creator becomes its admin)")
async def api_create_programme(request: Request, data: JSONBody[ProgrammeBody]) -> Response:
    await limit(request, "programme", require_actor(request).id)
    view = await create_programme(require_actor(request), data.name, data.department, data.territory_kinds)
    return private(await _programme(request, view.id), 201)


@get("/programmes/{programme_id:int}", guards=[signed_in], summary="A programme (its members)")
async def api_get_programme(request: Request, programme_id: RowId) -> Response:
    return private(await _programme(request, programme_id))


@put(
    "/programmes/{programme_id:int}/members/{account_id:int}",
    guards=[signed_in],
    summary="Add a member or change their role (programme admin)",
)
async def api_set_member(
    request: Request, programme_id: RowId, account_id: RowId, data: JSONBody[MemberBody]
) -> Response:
    await set_member(require_actor(request), programme_id, account_id, data.role)
    return private(await _programme(request, programme_id))


@delete(
    "/programmes/{programme_id:int}/members/{account_id:int}",
    guards=[signed_in],
    status_code=200,
    summary="Remove a member (programme admin)",
)
async def api_remove_member(request: Request, programme_id: RowId, account_id: RowId) -> Response:
    await remove_member(require_actor(request), programme_id, account_id)
    return private(await _programme(request, programme_id))


@post(
    "/programmes/{programme_id:int}/assessments",
    guards=[signed_in],
    summary="Start a self-assessment against a release (programme contributor)",
)
async def api_start_assessment(
    request: Request, programme_id: RowId, data: JSONBody[AssessmentBody]
) -> Response:
    data = await strictly(request, data)
    releases = request.app.state.releases
    assessment_id = await start_assessment(
        require_actor(request), programme_id, data.framework, data.release, releases, data.adaptation
    )
    view = await read_assessment(require_actor(request), assessment_id, releases)
    body = {"id": view.id, "release": view.release.version, "status": view.status}
    return private({**body, "html_url": site_base(request) + assessment_path(view.id)}, 201)


ShareText = Annotated[str | None, QueryParameter(name="share", max_length=100)]


@get("/assessments/{assessment_id:int}", summary="A self-assessment (programme members, or a share link)")
async def api_get_assessment(request: Request, assessment_id: RowId, share: ShareText = None) -> Response:
    refuse_unknown_query(request, {"share"})
    view = await read_assessment(actor_of(request), assessment_id, request.app.state.releases, share)
    return private(assessment_json(view, site_base(request)))


@put(
    "/assessments/{assessment_id:int}/answers/{code:str}",
    guards=[signed_in],
    summary="Answer one indicator of a draft (programme contributor); `version` refuses a stale save",
)
async def api_save_answer(
    request: Request, assessment_id: RowId, code: FromPath[str], data: JSONBody[AnswerBody]
) -> Response:
    data = await strictly(request, data)
    given = AnswerInput(code, data.level, data.justification, data.evidence, data.links, data.version)
    saved = await save_answer(require_actor(request), assessment_id, given, request.app.state.releases)
    return private(answer_json(saved))


@post(
    "/assessments/{assessment_id:int}/submission",
    guards=[signed_in],
    status_code=200,
    summary="Submit: the assessment is frozen and hashed (programme admin)",
)
async def api_submit(request: Request, assessment_id: RowId) -> Response:
    state = request.app.state
    view = await submit_assessment(
        require_actor(request), assessment_id, state.releases, state.settings.aggregate_min
    )
    return private({"id": view.id, "status": view.status, "content_hash": view.content_hash})


@post(
    "/assessments/{assessment_id:int}/successor",
    guards=[signed_in],
    summary="Start the next assessment from a submitted one, against this or a later release",
)
async def api_successor(request: Request, assessment_id: RowId, data: JSONBody[SuccessorBody]) -> Response:
    releases = request.app.state.releases
    successor = await start_successor(require_actor(request), assessment_id, data.release, releases)
    view = await read_assessment(require_actor(request), successor, releases)
    body = {"id": view.id, "release": view.release.version, "status": view.status}
    return private({**body, "html_url": site_base(request) + assessment_path(view.id)}, 201)


@get(
    "/programmes/{programme_id:int}/changes",
    guards=[signed_in],
    summary="What a release changes for a programme (programme members)",
)
async def api_changes(
    request: Request,
    programme_id: RowId,
    before: Annotated[str | None, QueryParameter(name="from", max_length=40)] = None,
    after: Annotated[str, QueryParameter(name="to", max_length=40)] = LATEST,
    framework: Annotated[str | None, QueryParameter(max_length=100)] = None,
) -> Response:
    refuse_unknown_query(request, {"from", "to", "framework"})
    slug = framework or request.app.state.settings.default_framework
    changes = await programme_changes(
        require_actor(request), programme_id, slug, request.app.state.releases, before, after
    )
    return private(changes_json(changes))


@post(
    "/assessments/{assessment_id:int}/share-links",
    guards=[signed_in],
    summary="A read-only link to the assessment, with an expiry (programme admin)",
)
async def api_share(request: Request, assessment_id: RowId, data: JSONBody[ShareBody]) -> Response:
    data = await strictly(request, data)
    link = await create_share_link(require_actor(request), assessment_id, data.expires_in_days)
    url = f"{site_base(request)}{assessment_path(assessment_id)}?share={link.token}"
    return private({"id": link.id, "url": url, "expires_at": moment(link.expires_at)}, 201)


@delete(
    "/share-links/{link_id:int}",
    guards=[signed_in],
    status_code=204,
    summary="Revoke a share link (programme admin)",
)
async def api_revoke_share(request: Request, link_id: RowId) -> None:
    await revoke_share_link(require_actor(request), link_id)


@post(
    "/assessments/{assessment_id:int}/actions",
    guards=[signed_in],
    summary="Add an action to the improvement plan (programme contributor)",
)
async def api_add_action(request: Request, assessment_id: RowId, data: JSONBody[ActionBody]) -> Response:
    action = await add_action(
        require_actor(request),
        assessment_id,
        data.indicator,
        data.title,
        request.app.state.releases,
        owner=data.owner or "",
        due_on=data.due_on,
    )
    return private(action_json(action), 201)


@patch("/actions/{action_id:int}", guards=[signed_in], summary="Change an action (programme contributor)")
async def api_update_action(request: Request, action_id: RowId, data: JSONBody[ActionChangeBody]) -> Response:
    changes = msgspec.structs.asdict(data)
    given = {name: changes[name] for name in msgspec.json.decode(await request.body()) if name in changes}
    return private(action_json(await update_action(require_actor(request), action_id, **given)))


@get(
    "/frameworks/{slug:str}/releases/{version:str}/indicators/{code:str}/field",
    summary="Field evidence: how programmes answered an indicator, when enough of them have",
)
async def api_field(
    request: Request,
    slug: FromPath[str],
    version: FromPath[str],
    code: FromPath[str],
    kind: Annotated[str | None, QueryParameter(name="territory_kind", max_length=20)] = None,
) -> Response:
    refuse_unknown_query(request, {"territory_kind"})
    _framework, summary, _current = await request.app.state.releases.resolve(slug, version)
    _framework, release, _current = await request.app.state.releases.release(slug, summary.version)
    if code not in release.indicators():
        raise NotFound(
            "The release %(version)s of %(slug)r has no indicator %(code)r.",
            version=release.version,
            slug=slug,
            code=code,
        )
    figures = await cached_field_figures(request, slug, summary.id, code, territory_kind(kind))
    actor = actor_of(request)
    reviewer = actor is not None and actor.role.at_least(Role.member)
    return Response(field_json(figures, reviewer), headers={"Cache-Control": "no-cache"})


PROGRAMME_API = [
    api_create_programme,
    api_get_programme,
    api_set_member,
    api_remove_member,
    api_start_assessment,
    api_get_assessment,
    api_save_answer,
    api_submit,
    api_successor,
    api_changes,
    api_share,
    api_revoke_share,
    api_add_action,
    api_update_action,
    api_field,
]
