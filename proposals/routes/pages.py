"""HTML pages of the co-design loop: proposals, their debate, votes and decisions.

Thin handlers: read the form, call a use case, then redirect (303) or render. A domain error in a
form re-renders the page with the message beside its form (and field), with the error's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect

from indicators.queries import FrameworkInfo
from indicators.topics import release_topic
from proposals.delphi import holding_process
from proposals.discussion import (
    CommentPage,
    ProposalRevisionView,
    TimelineEvent,
    add_comment,
    comment_page_number,
    hide_comment,
    list_comments,
    proposal_revisions,
    proposal_timeline,
)
from proposals.last_call import (
    ConcernView,
    answer_concern,
    concerns_of,
    get_concern,
    open_last_call,
    raise_concern,
)
from proposals.proposing import revise_proposal, withdraw_proposal
from proposals.reading import ProposalView, get_proposal
from proposals.roles import Role
from proposals.routes.authentication import actor_of, require_actor, signed_in
from proposals.routes.limits import limit
from proposals.routes.list_page import LIST_PAGES
from proposals.routes.participation import proposal_panel, proposal_panel_topics
from proposals.routes.proposal_forms import (
    FORM_PAGES,
    LIMITS,
    PROPOSAL_FORM_FIELDS,
    content_of,
    content_values,
    form_field,
)
from proposals.routes.steward_pages import STEWARD_PAGES
from proposals.rules import get_rule
from proposals.services import moment
from proposals.topics import GROUPS, RULES, proposal_topic
from proposals.voting import (
    CHOICES,
    VoteStatus,
    against_reasons,
    cast_vote,
    decide_proposal,
    my_ballot,
    open_vote,
    responsible_working_group,
    vote_status,
    voters_of,
)
from proposals.working_groups import WorkingGroupInfo
from web.failures import DomainError, InvalidInput
from web.forms import problem, sign_in_first, submitted
from web.messages import Term
from web.numbers import whole_number
from web.panels import PROPOSAL, panel_topics, render_panels
from web.params import PageText, read_page
from web.rendering import page, page_for_many, shared_page
from web.requests import language_of, said

DECIDED = ("accepted", "rejected")
# What the timeline of a proposal tells (comments are shown as such; ballots stay private).
TIMELINE_ACTIONS = (
    "proposal.created",
    "proposal.revised",
    "last_call.opened",
    "vote.opened",
    "proposal.withdrawn",
    "proposal.decided",
)
# --- the proposal page ------------------------------------------------------------------------


@dataclass(frozen=True)
class Debate:
    """What every viewer of a proposal page sees alike."""

    proposal: ProposalView
    framework: FrameworkInfo
    current: str
    comments: CommentPage
    revisions: list[ProposalRevisionView]
    timeline: list[TimelineEvent]
    group: WorkingGroupInfo | None
    voting: VoteStatus | None
    voters: tuple[int, ...]  # who may vote, during the last call and while the vote is open
    reasons: list[tuple[str, str]]
    vote_from: datetime | None
    last_call_days: int  # of the framework's rule: 0, no last call before the vote
    concerns: list[ConcernView]
    delphi: int | None  # the Delphi process rating it now, which decides it instead of a vote


def _debate_topics(debate: Debate) -> tuple[str, ...]:
    """What a debate is made of: the proposal, which release is current (is it outrun?), who may vote,
    and the rule (when may the author open the vote)."""
    return (proposal_topic(debate.proposal.id), release_topic(debate.framework.slug), GROUPS, RULES)


async def _debate(request: Request, proposal_id: int, comments_page: int) -> Debate:
    """Read once for many requests, until one of its topics changes (one page of its comments)."""
    proposal = await get_proposal(proposal_id)
    framework, current = await request.app.state.releases.framework(proposal.framework)
    rule = await get_rule(framework.id)
    vote_from = None
    if proposal.status == "discussion":
        vote_from = moment(proposal.created_at) + timedelta(days=rule.min_discussion_days)
    return Debate(
        proposal=proposal,
        framework=framework,
        current=current,
        comments=await list_comments(proposal_id, page=comments_page),
        revisions=await proposal_revisions(proposal_id),
        timeline=[e for e in await proposal_timeline(proposal_id) if e.action in TIMELINE_ACTIONS],
        group=await responsible_working_group(proposal_id),
        voting=await vote_status(proposal_id) if proposal.status == "voting" else None,
        voters=await voters_of(proposal_id) if proposal.status in ("last_call", "voting") else (),
        reasons=await against_reasons(proposal_id) if proposal.status in DECIDED else [],
        vote_from=vote_from,
        last_call_days=rule.last_call_days,
        concerns=await concerns_of(proposal_id),
        delphi=await holding_process(proposal_id) if proposal.status in ("discussion", "last_call") else None,
    )


async def _proposal_page(
    request: Request,
    proposal_id: int,
    status: int = 200,
    trouble: dict | None = None,
    values: dict | None = None,
    comments_page: int = 1,
) -> Response:
    actor = actor_of(request)
    debate = await request.app.state.reads.get(
        ("debate", proposal_id, comments_page),
        lambda: _debate(request, proposal_id, comments_page),
        topics=_debate_topics,
    )
    proposal = debate.proposal
    is_author = actor is not None and actor.id == proposal.author.id
    is_steward = actor is not None and actor.role.at_least(Role.steward)
    # May vote: an active member of the group with the member role or above.
    is_member = actor is not None and debate.voting is not None and actor.id in debate.voters
    # May raise a blocking concern: the same, during the last call.
    may_object = actor is not None and proposal.status == "last_call" and actor.id in debate.voters
    ballot = await my_ballot(proposal_id, actor.id) if is_member else None
    can_open = (
        proposal.status == "discussion"
        and debate.delphi is None
        and (
            is_steward
            or (is_author and debate.vote_from is not None and datetime.now(UTC) >= debate.vote_from)
        )
    )
    context = {
        **{name: getattr(debate, name) for name in Debate.__dataclass_fields__},
        "ballot": ballot,
        "is_author": is_author,
        "is_steward": is_steward,
        "is_member": is_member,
        "may_object": may_object,
        "can_open": can_open,
        "can_comment": actor is not None and proposal.status in ("discussion", "last_call", "voting"),
        "choices": CHOICES,
        "limits": LIMITS,
    }
    # What higher domains add about the indicator (programmes' field evidence, with the reasons
    # given for "not applicable" shown to working-group members, who revise the indicators).
    reviewer = actor is not None and actor.role.at_least(Role.member)
    about = {
        "framework": proposal.framework,
        "version": proposal.base_version,
        "code": proposal.indicator_code,
        "reviewer": reviewer,
    }
    # Who took part, by territory; the contacts in the territories not heard for stewards only, before
    # they open or close the vote: `rights` below holds is_steward, so no one else shares their page.
    steward_extras = is_steward and proposal.status in ("discussion", "voting")
    language = language_of(request)

    async def load() -> dict:
        """What the page shows of other parts, read and rendered only when the page is."""
        return {
            "panels": await render_panels(request, PROPOSAL, language=language, **about),
            **await proposal_panel(request, proposal_id, proposal.framework, steward=steward_extras),
        }

    template = "proposals/proposal.html"
    if trouble is not None or values:
        return page(
            request, template, status, problem=trouble, values=values or {}, **context, **await load()
        )
    topics = (
        *_debate_topics(debate),
        *panel_topics(request, PROPOSAL, **about),
        *proposal_panel_topics(request, proposal_id, proposal.framework),
    )
    if actor is None:  # signed-out visitors all see the same page: it is shared like a published one
        return await shared_page(request, template, topics, load, problem=None, values={}, **context)
    # Viewers with the same rights (and ballot) see the same page: rendered once for them all.
    rights = (
        proposal_id,
        comments_page,
        is_author,
        is_steward,
        is_member,
        may_object,
        can_open,
        ballot,
        reviewer,
    )
    return await page_for_many(request, rights, template, topics, load, problem=None, values={}, **context)


@get("/proposals/{proposal_id:int}", name="proposal")
async def proposal_page(request: Request, proposal_id: FromPath[int], page_text: PageText = None) -> Response:
    """The proposal, its debate and one page of its comments (?page=2...)."""
    return await _proposal_page(request, proposal_id, comments_page=read_page(page_text))


def _back(proposal_id: int, anchor: str) -> Redirect:
    return Redirect(f"/proposals/{proposal_id}#{anchor}", status_code=303)


@post("/proposals/{proposal_id:int}/comments", name="proposal_comment", guards=[signed_in])
async def proposal_comment(request: Request, proposal_id: FromPath[int]) -> Response:
    await limit(request, "comment", require_actor(request).id)
    values = await submitted(request)
    reply_to = values.get("reply_to") or None
    form = f"reply-{reply_to}" if reply_to else "comment"
    try:
        number = whole_number(reply_to, Term("comment replied to"), "reply_to") if reply_to else None
        comment = await add_comment(require_actor(request), proposal_id, values.get("body", ""), number)
    except DomainError as error:
        trouble = problem(request, form, error, "body")
        return await _proposal_page(request, proposal_id, error.status_code, trouble, {form: values})
    page_number = await comment_page_number(proposal_id, comment.id)
    at = f"/proposals/{proposal_id}" + (f"?page={page_number}" if page_number > 1 else "")
    return Redirect(f"{at}#comment-{comment.id}", status_code=303)


@post("/comments/{comment_id:int}/hiding", name="comment_hiding", guards=[signed_in])
async def comment_hiding(request: Request, comment_id: FromPath[int]) -> Response:
    values = await submitted(request)
    try:
        comment = await hide_comment(require_actor(request), comment_id, values.get("reason", ""))
    except DomainError as error:
        try:
            proposal_id = whole_number(values.get("proposal"), Term("proposal number"), "proposal")
        except InvalidInput:
            raise error from None
        form = f"hide-{comment_id}"
        trouble = problem(request, form, error, "reason")
        return await _proposal_page(request, proposal_id, error.status_code, trouble, {form: values})
    return _back(comment.proposal_id, f"comment-{comment_id}")


async def _edit_page(
    request: Request,
    proposal_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    actor = require_actor(request)
    proposal = await get_proposal(proposal_id)
    framework, _current = await request.app.state.releases.framework(proposal.framework)
    blocked = None
    if actor.id != proposal.author.id:
        blocked, status = "not_author", 403
    elif proposal.status != "discussion":
        blocked, status = "closed", 409 if status == 200 else status
    if values is None:
        values = {
            "title": proposal.title,
            "rationale": proposal.rationale,
            "expected_revision": str(proposal.revision),
            **content_values(proposal.proposed),
        }
    return page(
        request,
        "proposals/edit.html",
        status,
        proposal=proposal,
        framework=framework,
        blocked=blocked,
        values=values,
        errors=errors or {},
        limits=LIMITS,
    )


@get("/proposals/{proposal_id:int}/edit", name="proposal_edit_form")
async def proposal_edit_form(request: Request, proposal_id: FromPath[int]) -> Response:
    if actor_of(request) is None:
        return sign_in_first(request)
    return await _edit_page(request, proposal_id)


@post("/proposals/{proposal_id:int}/edit", name="proposal_edit", guards=[signed_in])
async def proposal_edit(request: Request, proposal_id: FromPath[int]) -> Response:
    """A new revision from the edit form, or (rebase=1, from the proposal page) the proposal brought
    onto the current text of its indicator."""
    await limit(request, "revision", require_actor(request).id)
    actor = require_actor(request)
    values = await submitted(request)
    rebase = values.get("rebase") == "1"
    try:
        expected = whole_number(
            values.get("expected_revision"), Term("expected revision"), "expected_revision"
        )
        if rebase:
            await revise_proposal(actor, proposal_id, expected, rebase=True)
        else:
            kind = (await get_proposal(proposal_id)).kind
            await revise_proposal(
                actor,
                proposal_id,
                expected,
                title=values.get("title", ""),
                rationale=values.get("rationale", ""),
                content=content_of(values, kind),
            )
    except DomainError as error:
        if rebase:
            return await _proposal_page(
                request, proposal_id, error.status_code, problem(request, "rebase", error)
            )
        errors = {form_field(error, PROPOSAL_FORM_FIELDS): said(request, error.message)}
        return await _edit_page(request, proposal_id, values, errors, error.status_code)
    return _back(proposal_id, "revisions")


async def _action(request: Request, proposal_id: int, form: str, anchor: str, action) -> Response:
    """Run one of the buttons of the proposal page; its error is shown beside it."""
    try:
        await action(require_actor(request), proposal_id)
    except DomainError as error:
        return await _proposal_page(request, proposal_id, error.status_code, problem(request, form, error))
    return _back(proposal_id, anchor)


@post("/proposals/{proposal_id:int}/withdrawal", name="proposal_withdrawal", guards=[signed_in])
async def proposal_withdrawal(request: Request, proposal_id: FromPath[int]) -> Response:
    return await _action(request, proposal_id, "withdraw", "status", withdraw_proposal)


@post("/proposals/{proposal_id:int}/voting", name="proposal_voting", guards=[signed_in])
async def proposal_voting(request: Request, proposal_id: FromPath[int]) -> Response:
    return await _action(request, proposal_id, "open-vote", "vote", open_vote)


@post("/proposals/{proposal_id:int}/last-call", name="proposal_last_call", guards=[signed_in])
async def proposal_last_call(request: Request, proposal_id: FromPath[int]) -> Response:
    return await _action(request, proposal_id, "open-vote", "vote", open_last_call)


@post("/proposals/{proposal_id:int}/concerns", name="proposal_concern", guards=[signed_in])
async def proposal_concern(request: Request, proposal_id: FromPath[int]) -> Response:
    await limit(request, "comment", require_actor(request).id)
    values = await submitted(request)
    try:
        concern = await raise_concern(require_actor(request), proposal_id, values.get("body", ""))
    except DomainError as error:
        trouble = problem(request, "concern", error, "body")
        return await _proposal_page(request, proposal_id, error.status_code, trouble, {"concern": values})
    return _back(proposal_id, f"concern-{concern.id}")


@post("/concerns/{concern_id:int}/answer", name="concern_answer", guards=[signed_in])
async def concern_answer(request: Request, concern_id: FromPath[int]) -> Response:
    values = await submitted(request)
    form = f"answer-{concern_id}"
    try:
        concern = await answer_concern(require_actor(request), concern_id, values.get("body", ""))
    except DomainError as error:
        proposal_id = (await get_concern(concern_id)).proposal_id  # NotFound for a concern that is not
        trouble = problem(request, form, error, "body")
        return await _proposal_page(request, proposal_id, error.status_code, trouble, {form: values})
    return _back(concern.proposal_id, f"concern-{concern_id}")


@post("/proposals/{proposal_id:int}/vote", name="proposal_vote", guards=[signed_in])
async def proposal_vote(request: Request, proposal_id: FromPath[int]) -> Response:
    await limit(request, "vote", require_actor(request).id)
    values = await submitted(request)
    try:
        await cast_vote(
            require_actor(request), proposal_id, values.get("choice", ""), values.get("reason", "")
        )
    except DomainError as error:
        trouble = problem(request, "vote", error, "reason" if values.get("choice") in CHOICES else "choice")
        return await _proposal_page(request, proposal_id, error.status_code, trouble, {"vote": values})
    return _back(proposal_id, "vote")


@post("/proposals/{proposal_id:int}/decision", name="proposal_decision", guards=[signed_in])
async def proposal_decision(request: Request, proposal_id: FromPath[int]) -> Response:
    try:
        await decide_proposal(require_actor(request), proposal_id)
    except DomainError as error:
        return await _proposal_page(
            request, proposal_id, error.status_code, problem(request, "decision", error)
        )
    return _back(proposal_id, "vote")


PROPOSAL_PAGES = [
    *LIST_PAGES,
    *FORM_PAGES,
    proposal_page,
    proposal_comment,
    comment_hiding,
    proposal_edit_form,
    proposal_edit,
    proposal_withdrawal,
    proposal_voting,
    proposal_last_call,
    proposal_concern,
    concern_answer,
    proposal_vote,
    proposal_decision,
    *STEWARD_PAGES,
]
