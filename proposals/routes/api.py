"""The co-design endpoints of the JSON API v1 (contract.md). Thin: parse, call a use case, shape."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, get, patch, post, put
from litestar.params import FromPath, JSONBody, QueryParameter

from indicators.adaptations import get_adaptation
from indicators.queries import all_theme_codes, list_themes
from indicators.topics import ADAPTATIONS, release_topic
from proposals.discussion import COMMENTS_PER_PAGE, CommentPage, add_comment, hide_comment, list_comments
from proposals.last_call import answer_concern, concerns_of, open_last_call, raise_concern
from proposals.proposing import create_proposal, revise_proposal, withdraw_proposal
from proposals.reading import get_proposal, list_proposals
from proposals.routes.authentication import require_actor, signed_in
from proposals.routes.limits import limit
from proposals.rules import Rule, get_rule, set_rule
from proposals.serialize import (
    comment_json,
    concern_json,
    decision_json,
    page_json,
    proposal_json,
    working_group_json,
)
from proposals.services import refuse_unknown_theme
from proposals.topics import PROPOSALS
from proposals.voting import cast_vote, decide_proposal, open_vote, vote_status
from proposals.working_groups import add_member, create_working_group
from web.messages import Term
from web.numbers import whole_number
from web.params import PageText, RowId, read_page
from web.requests import refuse_unknown_query, site_base, strictly
from web.responses import started_at


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Request bodies refuse fields a client may not set (status, author, ids, tallies...)."""


class WorkingGroupBody(Strict):
    name: str
    themes: list[str]


class ContentBody(Strict, omit_defaults=True):
    title: str | None = None
    statement: str | None = None
    rationale: str | None = None
    evidence_level: str | None = None
    measurement: str | None = None
    territorial_note: str | None = None


def _content(body: ContentBody | None) -> dict[str, str] | None:
    if body is None:
        return None
    return {name: value for name, value in msgspec.structs.asdict(body).items() if value is not None}


class ProposalBody(Strict):
    kind: Literal["add", "amend", "retire", "confirm"]
    base_version: str
    title: str
    rationale: str
    indicator: str | None = None
    theme: str | None = None
    change_class: Literal["minor", "patch"] | None = None
    content: ContentBody | None = None


class RevisionBody(Strict):
    revision: Annotated[int, msgspec.Meta(ge=1)]
    title: str | None = None
    rationale: str | None = None
    content: ContentBody | None = None
    rebase: bool = False


class CommentBody(Strict):
    body: str
    reply_to: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class BallotBody(Strict):
    choice: Literal["for", "against", "abstain"]
    reason: str = ""


class HidingBody(Strict):
    reason: str


class ConcernBody(Strict):
    body: str


class RuleBody(Strict, omit_defaults=True):
    min_discussion_days: int | None = None
    voting_days: int | None = None
    quorum: str | None = None
    retire_threshold: str | None = None
    last_call_days: int | None = None
    review_months: int | None = None


def rule_json(rule: Rule) -> dict[str, Any]:
    return {
        "min_discussion_days": rule.min_discussion_days,
        "voting_days": rule.voting_days,
        "quorum": str(rule.quorum),
        "retire_threshold": str(rule.retire_threshold),
        "last_call_days": rule.last_call_days,
        "review_months": rule.review_months,
    }


@get("/frameworks/{slug:str}/decision-rule", summary="How votes are decided in a framework")
async def api_get_rule(request: Request, slug: FromPath[str]) -> dict[str, Any]:
    framework, _current = await request.app.state.releases.framework(slug)
    return rule_json(await get_rule(framework.id))


@put(
    "/frameworks/{slug:str}/decision-rule", guards=[signed_in], summary="Change the decision rule (stewards)"
)
async def api_set_rule(request: Request, slug: FromPath[str], data: JSONBody[RuleBody]) -> dict[str, Any]:
    data = await strictly(request, data)
    fields = {name: value for name, value in msgspec.structs.asdict(data).items() if value is not None}
    return rule_json(await set_rule(require_actor(request), slug, **fields))


@post(
    "/frameworks/{slug:str}/working-groups", guards=[signed_in], summary="Create a working group (stewards)"
)
async def api_create_group(
    request: Request, slug: FromPath[str], data: JSONBody[WorkingGroupBody]
) -> Response:
    group = await create_working_group(require_actor(request), slug, data.name, data.themes)
    return Response(working_group_json(group), status_code=201)


@put(
    "/working-groups/{group_id:int}/members/{account_id:int}",
    guards=[signed_in],
    summary="Add a member to a working group (stewards; idempotent)",
)
async def api_add_member(request: Request, group_id: RowId, account_id: RowId) -> dict[str, Any]:
    return working_group_json(await add_member(require_actor(request), group_id, account_id))


@post("/frameworks/{slug:str}/proposals", guards=[signed_in], summary="Propose to add, amend or retire")
async def api_create_proposal(
    request: Request, slug: FromPath[str], data: JSONBody[ProposalBody]
) -> Response:
    return await propose(request, data, slug)


async def propose(
    request: Request, data: ProposalBody, slug: str | None, adaptation_id: int | None = None
) -> Response:
    """A new proposal to the framework `slug`, or to a local adaptation: 201 with it."""
    await limit(request, "proposal", require_actor(request).id)
    view = await create_proposal(
        require_actor(request),
        slug,
        data.kind,
        data.base_version,
        data.title,
        data.rationale,
        indicator=data.indicator,
        theme=data.theme,
        change_class=data.change_class,
        content=_content(data.content),
        adaptation_id=adaptation_id,
    )
    return Response(proposal_json(view, site_base(request)), status_code=201)


# 1 to 100, checked by its pattern (Litestar's int would take "1e2" or "١").
PerPageText = Annotated[str | None, QueryParameter(name="per_page", pattern=r"^(100|[1-9][0-9]?)$")]
LIST_QUERY = {"framework", "status", "theme", "adaptation", "page", "per_page", "cursor"}


async def _check_filters(request: Request, framework: str | None, theme: str | None) -> None:
    """An unknown framework (404) or theme (400) is refused, not matched by nothing: a client that
    misspells one learns it rather than concluding there are no proposals."""
    if framework is not None:
        found, _current = await request.app.state.releases.framework(framework)
        refuse_unknown_theme(theme, [row["code"] for row in await list_themes(found)])
    elif theme is not None:
        refuse_unknown_theme(theme, await all_theme_codes())


@get("/proposals", summary="Proposals, newest first, paginated by page number or by cursor")
async def api_list_proposals(
    request: Request,
    framework: Annotated[str | None, QueryParameter(max_length=100)] = None,
    status: Annotated[str | None, QueryParameter(max_length=20)] = None,
    theme: Annotated[str | None, QueryParameter(max_length=20)] = None,
    adaptation_text: Annotated[str | None, QueryParameter(name="adaptation", max_length=20)] = None,
    page_text: PageText = None,
    per_page_text: PerPageText = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> dict[str, Any]:
    refuse_unknown_query(request, LIST_QUERY)  # a misspelt filter must not silently list everything
    page = read_page(page_text)
    per_page = 20 if per_page_text is None else int(per_page_text)
    reads = request.app.state.reads

    async def produce() -> dict[str, Any]:
        await _check_filters(request, framework, theme)
        adaptation = None
        if adaptation_text is not None:  # an unknown adaptation is a 404, as an unknown framework
            number = whole_number(adaptation_text, Term("adaptation number"), "adaptation")
            adaptation = (await get_adaptation(number)).id
        result = await list_proposals(framework, status, theme, page, per_page, adaptation, cursor, reads)
        return page_json(result, site_base(request), _list_address(request))

    # The same answer for everyone: read once for many requests, until a proposal, an adaptation or
    # the current release of a framework listed changes (whether a proposal is outrun).
    key = (
        "api-proposals",
        site_base(request),
        framework,
        status,
        theme,
        adaptation_text,
        page,
        per_page,
        cursor,
    )
    return await reads.get(key, produce, topics=_list_topics, since=started_at(request))


def _list_topics(body: dict[str, Any]) -> tuple[str, ...]:
    return (PROPOSALS, ADAPTATIONS, *{release_topic(item["framework"]) for item in body["items"]})


def _list_address(request: Request) -> Callable[[str], str]:
    """The address of the list at another cursor, with the same filters."""
    kept = [(name, value) for name, value in request.query_params.items() if name not in ("page", "cursor")]
    address = site_base(request) + request.scope["path"]
    return lambda cursor: f"{address}?{urlencode([*kept, ('cursor', cursor)])}"


async def _proposal(request: Request, proposal_id: int) -> dict[str, Any]:
    view = await get_proposal(proposal_id)
    vote = await vote_status(proposal_id) if view.status == "voting" else None
    return proposal_json(view, site_base(request), vote, await concerns_of(proposal_id))


@get("/proposals/{proposal_id:int}", summary="A proposal, its diff, and once decided its tally and release")
async def api_get_proposal(request: Request, proposal_id: RowId) -> dict[str, Any]:
    return await _proposal(request, proposal_id)


@patch(
    "/proposals/{proposal_id:int}", guards=[signed_in], summary="Revise a proposal (author, in discussion)"
)
async def api_revise_proposal(
    request: Request, proposal_id: RowId, data: JSONBody[RevisionBody]
) -> dict[str, Any]:
    await limit(request, "revision", require_actor(request).id)
    data = await strictly(request, data)
    view = await revise_proposal(
        require_actor(request),
        proposal_id,
        data.revision,
        title=data.title,
        rationale=data.rationale,
        content=_content(data.content),
        rebase=data.rebase,
    )
    return proposal_json(view, site_base(request))


@post("/proposals/{proposal_id:int}/comments", guards=[signed_in], summary="Comment or reply (Markdown)")
async def api_add_comment(request: Request, proposal_id: RowId, data: JSONBody[CommentBody]) -> Response:
    await limit(request, "comment", require_actor(request).id)
    data = await strictly(request, data)
    comment = await add_comment(require_actor(request), proposal_id, data.body, data.reply_to)
    return Response(comment_json(comment, site_base(request)), status_code=201)


@get(
    "/proposals/{proposal_id:int}/comments",
    summary="Threaded comments (hidden ones keep their place), a page at a time (X-Total-Count, Link)",
)
async def api_list_comments(
    request: Request, proposal_id: RowId, page_text: PageText = None, per_page_text: PerPageText = None
) -> Response[list[dict[str, Any]]]:
    refuse_unknown_query(request, {"page", "per_page"})
    per_page = COMMENTS_PER_PAGE if per_page_text is None else int(per_page_text)
    comments = await list_comments(proposal_id, page=read_page(page_text), per_page=per_page)
    base = site_base(request)
    return Response(
        [comment_json(comment, base) for comment in comments], headers=pagination_headers(request, comments)
    )


def pagination_headers(request: Request, comments: CommentPage) -> dict[str, str]:
    """X-Total-Count, and Link (RFC 8288) to the first, previous, next and last pages."""
    address = site_base(request) + request.scope["path"]

    def at(number: int) -> str:
        return f"<{address}?{urlencode({'page': number, 'per_page': comments.per_page})}>"

    links = {"first": 1, "prev": comments.page - 1, "next": comments.page + 1, "last": comments.pages}
    shown = [f'{at(number)}; rel="{rel}"' for rel, number in links.items() if 1 <= number <= comments.pages]
    return {"X-Total-Count": str(comments.total), "Link": ", ".join(shown)}


@post(
    "/comments/{comment_id:int}/hiding", guards=[signed_in], summary="Hide a comment with a reason (stewards)"
)
async def api_hide_comment(request: Request, comment_id: RowId, data: JSONBody[HidingBody]) -> dict[str, Any]:
    return comment_json(
        await hide_comment(require_actor(request), comment_id, data.reason), site_base(request)
    )


@post("/proposals/{proposal_id:int}/voting", guards=[signed_in], status_code=200, summary="Open the vote")
async def api_open_vote(request: Request, proposal_id: RowId) -> dict[str, Any]:
    view = await open_vote(require_actor(request), proposal_id)
    return {"status": view.status, "closes_at": view.closes_at.isoformat().replace("+00:00", "Z")}


@put(
    "/proposals/{proposal_id:int}/vote", guards=[signed_in], summary="Vote (a second vote replaces the first)"
)
async def api_vote(request: Request, proposal_id: RowId, data: JSONBody[BallotBody]) -> dict[str, Any]:
    await limit(request, "vote", require_actor(request).id)
    ballot = await cast_vote(require_actor(request), proposal_id, data.choice, data.reason)
    return {"proposal": ballot.proposal_id, "choice": ballot.choice, "reason": ballot.reason}


@post("/proposals/{proposal_id:int}/decision", guards=[signed_in], status_code=200, summary="Decide now")
async def api_decide(request: Request, proposal_id: RowId) -> dict[str, Any]:
    decision = await decide_proposal(require_actor(request), proposal_id)
    return decision_json(decision, site_base(request))


@post(
    "/proposals/{proposal_id:int}/last-call",
    guards=[signed_in],
    status_code=200,
    summary="Open the last call (or the vote, when the framework has none)",
)
async def api_open_last_call(request: Request, proposal_id: RowId) -> dict[str, Any]:
    view = await open_last_call(require_actor(request), proposal_id)
    moments = {"ends_at": view.last_call_ends_at, "closes_at": view.closes_at}
    return {
        "status": view.status,
        **{k: v.isoformat().replace("+00:00", "Z") for k, v in moments.items() if v},
    }


@post(
    "/proposals/{proposal_id:int}/concerns",
    guards=[signed_in],
    summary="Raise a blocking concern (last call)",
)
async def api_raise_concern(request: Request, proposal_id: RowId, data: JSONBody[ConcernBody]) -> Response:
    await limit(request, "comment", require_actor(request).id)
    concern = await raise_concern(require_actor(request), proposal_id, data.body)
    return Response(concern_json(concern), status_code=201)


@post("/concerns/{concern_id:int}/answer", guards=[signed_in], status_code=200, summary="Answer a concern")
async def api_answer_concern(
    request: Request, concern_id: RowId, data: JSONBody[ConcernBody]
) -> dict[str, Any]:
    return concern_json(await answer_concern(require_actor(request), concern_id, data.body))


@post("/proposals/{proposal_id:int}/withdrawal", guards=[signed_in], status_code=200, summary="Withdraw")
async def api_withdraw(request: Request, proposal_id: RowId) -> dict[str, Any]:
    view = await withdraw_proposal(require_actor(request), proposal_id)
    return {"id": view.id, "status": view.status}


PROPOSAL_API = [
    api_get_rule,
    api_set_rule,
    api_create_group,
    api_add_member,
    api_create_proposal,
    api_list_proposals,
    api_get_proposal,
    api_revise_proposal,
    api_add_comment,
    api_list_comments,
    api_hide_comment,
    api_open_vote,
    api_open_last_call,
    api_raise_concern,
    api_answer_concern,
    api_vote,
    api_decide,
    api_withdraw,
]
